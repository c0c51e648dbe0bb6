// The request-head parser of `trainbench serve`: what it takes, what it
// refuses with which status, and percent-decoding of paths and queries.
#include "serve/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace trainbench::serve {
namespace {

ParseResult parse_whole_head(const std::string& text) { return parse_request_head(text); }

TEST(HttpRequest, ParsesRequestLineHeadersPathAndQuery) {
  const std::string head =
      "GET /a%20b/c?model=resnet18&amp=bf16&note=x+y%2Bz&empty=&flag HTTP/1.1\r\n"
      "Host: 127.0.0.1:8080\r\n"
      "User-Agent:   tester  \r\n"
      "\r\n";
  const ParseResult result = parse_whole_head(head + "body that is not read");
  ASSERT_EQ(result.status, ParseStatus::kComplete) << result.error;
  EXPECT_EQ(result.head_bytes, head.size());
  const HttpRequest& request = result.request;
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/a b/c");
  EXPECT_EQ(request.minor_version, 1);
  ASSERT_EQ(request.query.size(), 5u);
  EXPECT_EQ(query_value(request.query, "model"), "resnet18");
  EXPECT_EQ(query_value(request.query, "amp"), "bf16");
  EXPECT_EQ(query_value(request.query, "note"), "x y+z");
  EXPECT_EQ(query_value(request.query, "empty"), "");
  EXPECT_EQ(query_value(request.query, "flag"), "");
  EXPECT_FALSE(query_value(request.query, "missing").has_value());
  ASSERT_EQ(request.headers.size(), 2u);
  EXPECT_EQ(request.headers[0].first, "host");
  EXPECT_EQ(request.headers[0].second, "127.0.0.1:8080");
  EXPECT_EQ(request.headers[1].second, "tester");
}

TEST(HttpRequest, TakesBareLineFeedsHttp10AndLeadingBlankLines) {
  const ParseResult result = parse_whole_head("\r\n\nHEAD /rows.json HTTP/1.0\nHost: x\n\n");
  ASSERT_EQ(result.status, ParseStatus::kComplete) << result.error;
  EXPECT_EQ(result.request.method, "HEAD");
  EXPECT_EQ(result.request.path, "/rows.json");
  EXPECT_EQ(result.request.minor_version, 0);
  EXPECT_TRUE(result.request.query.empty());
}

TEST(HttpRequest, WaitsForTheBlankLineThatEndsTheHead) {
  EXPECT_EQ(parse_whole_head("").status, ParseStatus::kIncomplete);
  EXPECT_EQ(parse_whole_head("GET / HT").status, ParseStatus::kIncomplete);
  EXPECT_EQ(parse_whole_head("GET / HTTP/1.1\r\nHost: x\r\n").status, ParseStatus::kIncomplete);
  EXPECT_EQ(parse_whole_head("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, ParseStatus::kComplete);
}

TEST(HttpRequest, RejectsMalformedHeadsWith400) {
  for (const std::string head : {
           "GET\r\n\r\n",                                // no target, no version
           "GET /\r\n\r\n",                              // no version
           "GET  / HTTP/1.1\r\n\r\n",                    // empty target between two spaces
           "G(T / HTTP/1.1\r\n\r\n",                     // method not a token
           "GET http://example.com/ HTTP/1.1\r\n\r\n",   // absolute form
           "GET * HTTP/1.1\r\n\r\n",                     // asterisk form
           "GET /%zz HTTP/1.1\r\n\r\n",                  // bad escape in the path
           "GET /%2 HTTP/1.1\r\n\r\n",                   // truncated escape
           "GET /?a=%g1 HTTP/1.1\r\n\r\n",               // bad escape in the query
           "GET /%00 HTTP/1.1\r\n\r\n",                  // NUL in the path
           "GET /\x01 HTTP/1.1\r\n\r\n",                 // control character
           "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
           "GET / HTTP/1.1\r\nHost : x\r\n\r\n",         // space before the colon
           "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
           "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n",
           "GET / FTP/1.1\r\n\r\n",
       }) {
    const ParseResult result = parse_whole_head(head);
    EXPECT_EQ(result.status, ParseStatus::kRejected) << head;
    EXPECT_EQ(result.http_status, 400) << head;
    EXPECT_FALSE(result.error.empty()) << head;
  }
}

TEST(HttpRequest, ABadRequestLineIsRejectedBeforeTheHeadEnds) {
  const ParseResult result = parse_whole_head("GET http://example.com/ HTTP/1.1\r\nHost: x");
  EXPECT_EQ(result.status, ParseStatus::kRejected);
  EXPECT_EQ(result.http_status, 400);
}

TEST(HttpRequest, OtherHttpVersionsGet505) {
  for (const std::string head : {"GET / HTTP/2.0\r\n\r\n", "GET / HTTP/1.2\r\n\r\n"}) {
    const ParseResult result = parse_whole_head(head);
    EXPECT_EQ(result.status, ParseStatus::kRejected) << head;
    EXPECT_EQ(result.http_status, 505) << head;
  }
}

TEST(HttpRequest, HeadsOverTheLimitGet431) {
  const std::string line = "GET / HTTP/1.1\r\n";
  const std::string filler = "X-Filler: " + std::string(1000, 'a') + "\r\n";
  std::string head = line;
  while (head.size() <= kMaxRequestHeadBytes) head += filler;
  // Unfinished and already over the limit: refused without waiting for more.
  ParseResult result = parse_whole_head(head);
  EXPECT_EQ(result.status, ParseStatus::kRejected);
  EXPECT_EQ(result.http_status, 431);
  // Finished but over the limit.
  result = parse_whole_head(head + "\r\n");
  EXPECT_EQ(result.http_status, 431);
  // Just under the limit is fine.
  std::string fits = line + "X: " + std::string(kMaxRequestHeadBytes - line.size() - 7, 'b') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), kMaxRequestHeadBytes);
  EXPECT_EQ(parse_whole_head(fits).status, ParseStatus::kComplete);
  // Too many fields, each small.
  std::string many = line;
  for (std::size_t i = 0; i <= kMaxHeaderFields; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  result = parse_whole_head(many + "\r\n");
  EXPECT_EQ(result.http_status, 431);
}

TEST(HttpRequest, PercentDecodingAndEncodingRoundTrip) {
  EXPECT_EQ(percent_decode("a%2Fb+c", true), "a/b c");
  EXPECT_EQ(percent_decode("a%2fb+c", false), "a/b+c");
  EXPECT_FALSE(percent_decode("%", false).has_value());
  EXPECT_FALSE(percent_decode("%4", false).has_value());
  EXPECT_FALSE(percent_decode("%4x", false).has_value());
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  const std::string encoded = percent_encode(every_byte);
  EXPECT_EQ(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"),
            std::string::npos);
  EXPECT_EQ(percent_decode(encoded, true), every_byte);
  EXPECT_EQ(percent_encode("<script> a&b"), "%3Cscript%3E%20a%26b");
}

TEST(HttpRequest, QueriesFormatBackWithoutEmptyValues) {
  const auto parsed = parse_query("model=res+net&&device=&amp=bf16");
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ(format_query(*parsed), "model=res%20net&amp=bf16");
  EXPECT_EQ(parse_query(format_query(*parsed))->at(0).second, "res net");
  EXPECT_FALSE(parse_query("a=%zz").has_value());
}

}  // namespace
}  // namespace trainbench::serve
