#include "serve/http_request.h"

#include <cctype>

namespace trainbench::serve {
namespace {

// RFC 9110's tchar: what a method or a header name may hold.
bool is_token_char(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!is_token_char(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string lowercase_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

ParseResult rejected(int http_status, std::string error) {
  ParseResult result;
  result.status = ParseStatus::kRejected;
  result.http_status = http_status;
  result.error = std::move(error);
  return result;
}

// Where the head ends (just past its blank line) and that blank line's start;
// npos when the bytes hold no blank line yet.
std::size_t end_of_head(std::string_view received, std::size_t* content_end) {
  for (std::size_t at = received.find('\n'); at != std::string_view::npos; at = received.find('\n', at + 1)) {
    // A line break followed by another (LF LF or LF CR LF) ends the head.
    if (at + 1 < received.size() && received[at + 1] == '\n') {
      *content_end = at + 1;
      return at + 2;
    }
    if (at + 2 < received.size() && received[at + 1] == '\r' && received[at + 2] == '\n') {
      *content_end = at + 1;
      return at + 3;
    }
  }
  return std::string_view::npos;
}

// The head's lines without their CR LF (or LF) endings.
std::vector<std::string_view> split_lines(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const std::size_t at = head.find('\n');
    std::string_view line = head.substr(0, at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (at == std::string_view::npos) break;
    head.remove_prefix(at + 1);
  }
  return lines;
}

// Controls (and DEL) have no place in a request line or a field value; a
// tab is allowed in values only.
bool has_control(std::string_view text, bool allow_tab) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && !(allow_tab && c == '\t')) || u == 0x7f) return true;
  }
  return false;
}

std::optional<ParseResult> parse_request_line(std::string_view line, HttpRequest* request) {
  if (has_control(line, false)) return rejected(400, "the request line holds a control character");
  const std::size_t first_space = line.find(' ');
  const std::size_t last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return rejected(400, "the request line is not METHOD TARGET HTTP/1.1");
  }
  const std::string_view method = line.substr(0, first_space);
  const std::string_view target = line.substr(first_space + 1, last_space - first_space - 1);
  const std::string_view version = line.substr(last_space + 1);
  if (!is_token(method)) return rejected(400, "the method is not a token");
  if (target.empty() || target.find(' ') != std::string_view::npos) {
    return rejected(400, "the request target is empty or holds a space");
  }
  const bool http_1x =
      version.size() == 8 && version.substr(0, 7) == "HTTP/1." && std::isdigit(static_cast<unsigned char>(version[7]));
  if (!http_1x) {
    if (version.substr(0, 5) == "HTTP/") return rejected(505, "only HTTP/1.0 and HTTP/1.1 are served");
    return rejected(400, "the request line does not end in HTTP/1.1");
  }
  if (version[7] != '0' && version[7] != '1') return rejected(505, "only HTTP/1.0 and HTTP/1.1 are served");
  if (target.front() != '/') return rejected(400, "the request target must be a path (\"/...\")");

  request->method = std::string(method);
  request->target = std::string(target);
  request->minor_version = version[7] - '0';
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  std::string_view query;
  if (const std::size_t question = target.find('?'); question != std::string_view::npos) {
    query = target.substr(question + 1);
    query = query.substr(0, query.find('#'));
  }
  std::optional<std::string> decoded_path = percent_decode(path, false);
  if (!decoded_path) return rejected(400, "the path has a '%' not followed by two hex digits");
  if (decoded_path->find('\0') != std::string::npos) return rejected(400, "the path holds a NUL byte");
  std::optional<QueryParameters> parameters = parse_query(query);
  if (!parameters) return rejected(400, "the query has a '%' not followed by two hex digits");
  request->path = std::move(*decoded_path);
  request->query = std::move(*parameters);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> query_value(const QueryParameters& query, const std::string& name) {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::optional<QueryParameters> parse_query(std::string_view query) {
  QueryParameters parameters;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    const std::size_t equals = piece.find('=');
    std::optional<std::string> name = percent_decode(piece.substr(0, equals), true);
    std::optional<std::string> value =
        percent_decode(equals == std::string_view::npos ? std::string_view() : piece.substr(equals + 1), true);
    if (!name || !value) return std::nullopt;
    parameters.emplace_back(std::move(*name), std::move(*value));
  }
  return parameters;
}

std::string format_query(const QueryParameters& parameters) {
  std::string out;
  for (const auto& [name, value] : parameters) {
    if (value.empty()) continue;
    if (!out.empty()) out += '&';
    out += percent_encode(name) + "=" + percent_encode(value);
  }
  return out;
}

ParseResult parse_request_head(std::string_view received) {
  // Empty lines before the request line are to be ignored (RFC 9112 2.2).
  std::size_t leading = 0;
  while (leading < received.size() && (received[leading] == '\r' || received[leading] == '\n')) ++leading;
  std::size_t content_end = 0;
  const std::size_t head_end = end_of_head(received.substr(leading), &content_end);
  if (head_end == std::string_view::npos) {
    if (received.size() > kMaxRequestHeadBytes) {
      return rejected(431, "the request line and headers exceed " + std::to_string(kMaxRequestHeadBytes) + " bytes");
    }
    // A request line alone, ended by its line break, can be judged already.
    const std::string_view pending = received.substr(leading);
    const std::size_t first_break = pending.find('\n');
    if (first_break != std::string_view::npos) {
      std::string_view line = pending.substr(0, first_break);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      HttpRequest ignored;
      if (std::optional<ParseResult> problem = parse_request_line(line, &ignored)) return *problem;
    }
    return ParseResult{};
  }
  if (leading + head_end > kMaxRequestHeadBytes) {
    return rejected(431, "the request line and headers exceed " + std::to_string(kMaxRequestHeadBytes) + " bytes");
  }

  const std::vector<std::string_view> lines = split_lines(received.substr(leading, content_end));
  ParseResult result;
  if (lines.empty()) return rejected(400, "no request line");
  if (std::optional<ParseResult> problem = parse_request_line(lines.front(), &result.request)) return *problem;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') return rejected(400, "folded header lines are not accepted");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return rejected(400, "a header line has no ':'");
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return rejected(400, "a header name is not a token (or has a space before its ':')");
    const std::string_view value = trim_spaces(line.substr(colon + 1));
    if (has_control(value, true)) return rejected(400, "a header value holds a control character");
    if (result.request.headers.size() == kMaxHeaderFields) {
      return rejected(431, "more than " + std::to_string(kMaxHeaderFields) + " header fields");
    }
    result.request.headers.emplace_back(lowercase_ascii(name), std::string(value));
  }
  result.status = ParseStatus::kComplete;
  result.head_bytes = leading + head_end;
  return result;
}

}  // namespace trainbench::serve
