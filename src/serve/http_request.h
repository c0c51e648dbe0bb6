#pragma once
// The head of an HTTP/1.x request (request line and headers), parsed from the
// bytes a socket has received so far, for `trainbench serve`. No sockets and
// no LibTorch here: the parser sees only bytes, so it is unit-tested and
// fuzzed (fuzz/fuzz_http_request.cpp) on its own. It never throws: a request
// it cannot take is a status with the HTTP code to answer and why.
//
// What it accepts (RFC 9112, narrowed to what a read-only page needs):
//   - a request line METHOD SP TARGET SP HTTP/1.0|1.1, lines ending in CRLF
//     (a bare LF is taken too, as most servers do);
//   - an origin-form target only ("/path?query"): absolute URLs, "*" and
//     authority forms are refused;
//   - header fields "name: value", the name a token, no space before the
//     colon, no obsolete line folding;
//   - a head of at most kMaxRequestHeadBytes bytes and kMaxHeaderFields fields.
// A body is never read: the server answers GET and HEAD only and closes the
// connection after each response.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainbench::serve {

constexpr std::size_t kMaxRequestHeadBytes = 16 * 1024;
constexpr std::size_t kMaxHeaderFields = 100;

using QueryParameters = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // as sent: "GET", "HEAD", "POST" (methods are case-sensitive)
  std::string target;  // as sent: "/index.html?model=resnet%2018"
  std::string path;    // percent-decoded: "/index.html"
  QueryParameters query;  // decoded, in order, repeats kept ("+" is a space)
  int minor_version = 1;  // HTTP/1.0 or HTTP/1.1
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, values trimmed
};

// The first value of a query parameter; nullopt when absent.
std::optional<std::string> query_value(const QueryParameters& query, const std::string& name);

enum class ParseStatus {
  kIncomplete,  // no blank line yet, and under the limit: read more
  kComplete,    // `request` is filled; the head was `head_bytes` long
  kRejected,    // answer `http_status` with `error` and close
};

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  HttpRequest request;
  std::size_t head_bytes = 0;
  int http_status = 0;  // kRejected: 400 malformed, 431 head too large, 505 version
  std::string error;    // kRejected: one line for the response body
};

// Parses what has been received. kIncomplete until the blank line that ends
// the head arrives; kRejected as soon as the bytes cannot become a valid head
// (or exceed kMaxRequestHeadBytes without ending).
ParseResult parse_request_head(std::string_view received);

// "%2Fa+b" -> "/a b" with plus_is_space, "/a+b" without. nullopt for a "%"
// not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// Every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) as %XX, so that
// percent_decode(percent_encode(x), true) == x.
std::string percent_encode(std::string_view text);

// "a=1&b=x+y&c" -> {a: 1}, {b: "x y"}, {c: ""}; empty pieces are skipped.
// nullopt when a name or value has a bad escape.
std::optional<QueryParameters> parse_query(std::string_view query);

// The inverse for links: "a=1&b=x%20y" (pairs with an empty value left out).
std::string format_query(const QueryParameters& parameters);

}  // namespace trainbench::serve
