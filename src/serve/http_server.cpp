#include "serve/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace trainbench::serve {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kStopCheckMilliseconds = 200;

// Waits until `fd` is ready for `events`, `deadline` passes (false) or stop()
// says so (false). A signal only makes it ask stop() sooner.
bool wait_for(int fd, short events, Clock::time_point deadline, const std::function<bool()>& stop) {
  while (!stop()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd poll_fd{fd, events, 0};
    const int ready = ::poll(&poll_fd, 1, static_cast<int>(std::min<long long>(left, kStopCheckMilliseconds)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
  return false;
}

void send_all(int connection, const std::string& bytes, const std::function<bool()>& stop) {
  const auto deadline = Clock::now() + std::chrono::seconds(kConnectionSeconds);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(connection, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait_for(connection, POLLOUT, deadline, stop)) return;
    } else {
      return;  // the client went away
    }
  }
}

// Closes after the response has gone: reading what the client still sends
// (a body we did not want) for a moment first, so that closing with unread
// bytes does not reset the connection before the client has read the response.
void close_gracefully(int connection) {
  ::shutdown(connection, SHUT_WR);
  const auto deadline = Clock::now() + std::chrono::milliseconds(500);
  char discard[4096];
  std::size_t drained = 0;
  while (drained < (1u << 20)) {
    if (!wait_for(connection, POLLIN, deadline, [] { return false; })) break;
    const ssize_t n = ::recv(connection, discard, sizeof discard, MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) break;
    if (n > 0) drained += static_cast<std::size_t>(n);
  }
  ::close(connection);
}

// An IPv6 address in brackets, as a URL writes it.
std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string status_line_text(int status) {
  const std::string reason = reason_phrase(status);
  return std::to_string(status) + (reason.empty() ? "" : " " + reason);
}

}  // namespace

std::string reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

std::string serialize_response(const HttpResponse& response, bool head_only) {
  std::string out = "HTTP/1.1 " + status_line_text(response.status) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Connection: close\r\n";
  out += "X-Content-Type-Options: nosniff\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  if (!head_only) out += response.body;
  return out;
}

HttpResponse text_response(int status, const std::string& message) {
  return HttpResponse{status, "text/plain; charset=utf-8", status_line_text(status) + ": " + message + "\n", {}};
}

HttpServer::HttpServer(const std::string& host, int port) : host_(host) {
  const std::string where = url_host(host) + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(port);
  if (const int code = ::getaddrinfo(host.c_str(), port_text.c_str(), &hints, &found); code != 0) {
    throw UsageError("cannot listen on " + where + ": " + ::gai_strerror(code) + " (--host takes an address or name)");
  }
  std::string reason = "no address";
  for (addrinfo* address = found; address != nullptr && listener_ < 0; address = address->ai_next) {
    const int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
    if (fd < 0) {
      reason = std::strerror(errno);
      continue;
    }
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, address->ai_addr, address->ai_addrlen) != 0 || ::listen(fd, 16) != 0) {
      reason = std::strerror(errno);
      ::close(fd);
      continue;
    }
    listener_ = fd;
  }
  ::freeaddrinfo(found);
  if (listener_ < 0) {
    throw UsageError("cannot listen on " + where + ": " + reason + (port != 0 ? " (--port 0 picks a free port)" : ""));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

HttpServer::~HttpServer() {
  if (listener_ >= 0) ::close(listener_);
}

std::string HttpServer::url() const {
  return "http://" + url_host(host_) + ":" + std::to_string(port_) + "/";
}

void HttpServer::run(const RequestHandler& handler, const std::function<bool()>& stop) {
  while (!stop()) {
    pollfd poll_fd{listener_, POLLIN, 0};
    const int ready = ::poll(&poll_fd, 1, kStopCheckMilliseconds);
    if (ready <= 0) continue;  // timeout or a signal: ask stop() again
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;  // the client gave up already, or out of descriptors for now
    answer(connection, handler, stop);
  }
}

void HttpServer::answer(int connection, const RequestHandler& handler, const std::function<bool()>& stop) {
  const auto deadline = Clock::now() + std::chrono::seconds(kConnectionSeconds);
  std::string received;
  ParseResult parsed;
  char buffer[4096];
  while (parsed.status == ParseStatus::kIncomplete) {
    if (!wait_for(connection, POLLIN, deadline, stop)) {
      if (!stop()) {
        send_all(connection, serialize_response(text_response(408, "no complete request in time"), false), stop);
      }
      ::close(connection);
      return;
    }
    const ssize_t n = ::recv(connection, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {  // closed before a whole head: nothing to answer
      ::close(connection);
      return;
    }
    received.append(buffer, static_cast<std::size_t>(n));
    parsed = parse_request_head(received);
  }

  HttpResponse response;
  bool head_only = false;
  if (parsed.status == ParseStatus::kRejected) {
    response = text_response(parsed.http_status, parsed.error);
  } else if (parsed.request.method != "GET" && parsed.request.method != "HEAD") {
    response = text_response(405, "this page is read-only: GET and HEAD only");
    response.headers.emplace_back("Allow", "GET, HEAD");
  } else {
    head_only = parsed.request.method == "HEAD";
    try {
      response = handler(parsed.request);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "trainbench serve: %s %s: %s\n", parsed.request.method.c_str(),
                   parsed.request.target.c_str(), e.what());
      response = text_response(500, "the page could not be made (the server's log says why)");
    }
  }
  if (parsed.status == ParseStatus::kComplete) {
    std::fprintf(stderr, "%s %s %d\n", parsed.request.method.c_str(), parsed.request.target.c_str(), response.status);
  }
  send_all(connection, serialize_response(response, head_only), stop);
  close_gracefully(connection);
}

}  // namespace trainbench::serve
