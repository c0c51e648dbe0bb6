// libFuzzer target: the request-head parser of `trainbench serve`
// (serve::parse_request_head, src/serve/http_request.h), which reads bytes
// from whoever connects. It must never throw or crash; what it accepts must
// be a well-formed head (a token method, a path starting with '/', lowercase
// token header names, no more than the limits allow), and a head it accepts
// must parse the same with bytes appended (the server reads in pieces).
// percent_decode must invert percent_encode on every input.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "serve/http_request.h"

namespace {

using trainbench::serve::ParseResult;
using trainbench::serve::ParseStatus;

bool is_lowercase_token(const std::string& text) {
  if (text.empty()) return false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || std::isupper(u) || c == ':' || c == '"' || c == '(' || c == ')') return false;
  }
  return true;
}

void check_accepted(const ParseResult& result, std::size_t size) {
  const auto& request = result.request;
  if (result.head_bytes == 0 || result.head_bytes > size) __builtin_trap();
  if (result.head_bytes > trainbench::serve::kMaxRequestHeadBytes) __builtin_trap();
  if (request.method.empty() || request.path.empty() || request.path.front() != '/') __builtin_trap();
  if (request.path.find('\0') != std::string::npos) __builtin_trap();
  if (request.minor_version != 0 && request.minor_version != 1) __builtin_trap();
  if (request.headers.size() > trainbench::serve::kMaxHeaderFields) __builtin_trap();
  for (const auto& [name, value] : request.headers) {
    if (!is_lowercase_token(name)) __builtin_trap();
    if (value.find_first_of("\r\n") != std::string::npos) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const ParseResult result = trainbench::serve::parse_request_head(bytes);
  if (result.status == ParseStatus::kRejected) {
    if (result.error.empty()) __builtin_trap();
    if (result.http_status != 400 && result.http_status != 431 && result.http_status != 505) __builtin_trap();
  } else if (result.status == ParseStatus::kComplete) {
    check_accepted(result, size);
    // More bytes after the head (a body, the next read) change nothing.
    const std::string longer = std::string(bytes) + "X";
    const ParseResult again = trainbench::serve::parse_request_head(longer);
    if (again.status != ParseStatus::kComplete || again.head_bytes != result.head_bytes ||
        again.request.target != result.request.target || again.request.headers != result.request.headers) {
      __builtin_trap();
    }
  }
  if (trainbench::serve::percent_decode(trainbench::serve::percent_encode(bytes), true) != std::string(bytes)) {
    __builtin_trap();
  }
  return 0;
}
