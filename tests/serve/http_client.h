#pragma once
// A minimal HTTP client for the serve tests (curl may not be installed where
// the tests run): one request per connection, the bytes sent as given, the
// reply read until the server closes.
#include <string>

namespace trainbench::testing {

struct HttpReply {
  int status = 0;      // 0 when no status line came back
  std::string head;    // status line and headers, without the blank line
  std::string body;
};

// Sends `request` as it is to 127.0.0.1:port and reads until the server
// closes the connection or `seconds` pass.
HttpReply http_exchange(int port, const std::string& request, int seconds = 10);

// GET (or another method) of `target` with a Host header and nothing else.
HttpReply http_request(int port, const std::string& method, const std::string& target);

// A header's value ("" when absent); the name in any case.
std::string header_value(const HttpReply& reply, const std::string& name);

}  // namespace trainbench::testing
