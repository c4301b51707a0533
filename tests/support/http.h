// A minimal HTTP/1.0 client for integration tests (our /metrics endpoints,
// the Prometheus server's API), loopback only, so that tests need no curl.
#pragma once

#include <map>
#include <string>

namespace kappa::testing {

struct HttpResponse {
  int status = 0;  // 0: no connection or no valid answer
  std::string body;
};

// GET http://127.0.0.1:port/target (target starts with '/'), within 10 s.
HttpResponse HttpGet(int port, const std::string& target);

// Percent-encodes `text` for a query string.
std::string UrlEncode(const std::string& text);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

// Parses Prometheus text exposition: "name{labels}" -> value, for samples
// (comments skipped). Keys are exactly as printed, e.g.
// processing_latency_seconds_bucket{le="0.005"}.
std::map<std::string, double> ParseExposition(const std::string& text);

}  // namespace kappa::testing
