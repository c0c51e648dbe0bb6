#pragma once
// A small HTTP/1.1 server on POSIX sockets for `trainbench serve`: GET and
// HEAD only (any other method gets 405), one request per connection
// (Connection: close), the request head parsed by http_request.h. It answers
// connections one at a time, each within kConnectionSeconds, so a client that
// sends nothing holds it up for that long at most; that is enough for a team's
// read-only page, not for the open internet.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "serve/http_request.h"

namespace trainbench::serve {

// How long one connection may take to send its request head.
constexpr int kConnectionSeconds = 5;

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type, -Length, Connection
};

// "OK", "Not Found", ... ("" for a code it does not know).
std::string reason_phrase(int status);

// The response as sent: status line, headers (Content-Length always, the
// body left out for HEAD), body.
std::string serialize_response(const HttpResponse& response, bool head_only);

// A plain-text response: `status` with `message` as its body.
HttpResponse text_response(int status, const std::string& message);

using RequestHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // Binds and listens on host:port (port 0: the system picks one). Throws
  // UsageError naming the address and the reason when it cannot.
  HttpServer(const std::string& host, int port);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:8080/" (an IPv6 host in brackets).
  std::string url() const;

  // Answers connections until `stop` returns true; stop is asked at least
  // every 200 ms and whenever a signal interrupts a wait. The handler's
  // exceptions become a 500 (the message goes to stderr, not to the client).
  void run(const RequestHandler& handler, const std::function<bool()>& stop);

 private:
  void answer(int connection, const RequestHandler& handler, const std::function<bool()>& stop);
  int listener_ = -1;
  std::string host_;
  int port_ = 0;
};

}  // namespace trainbench::serve
