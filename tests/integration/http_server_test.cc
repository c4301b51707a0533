// The HTTP endpoints of kappa (MetricsServer's /metrics on prometheus-cpp's
// exposer, HttpServer's demo pages) under hostile clients on raw loopback
// sockets: garbage, oversized and half-sent requests, other methods, path
// traversal and a crowd of idle connections. After each, the endpoint still
// answers GET /metrics with the expected content; it serves only its own
// pages, and only on the address it was told to bind.
#include "monitoring/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "monitoring/metrics_server.h"
#include "tests/support/broker_fixture.h"
#include "tests/support/http.h"
#include "tests/support/subprocess.h"

namespace kappa {
namespace {

using Clock = std::chrono::steady_clock;

// A connected TCP socket to host:port, or -1.
int Connect(const char* host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends all of `bytes` (as far as the peer takes them: a server may close
// in the middle of an oversized request).
void SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

struct RawReply {
  std::string bytes;    // what the server sent
  bool closed = false;  // the server closed (or reset) the connection
  int status() const {
    int code = 0;
    return std::sscanf(bytes.c_str(), "HTTP/1.%*1d %d", &code) == 1 ? code : 0;
  }
};

// Reads what the server sends until it closes the connection or `timeout`.
RawReply ReadUntilClosed(int fd, std::chrono::milliseconds timeout) {
  RawReply reply;
  const auto deadline = Clock::now() + timeout;
  char buf[16384];
  while (Clock::now() < deadline) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (poll(&p, 1, static_cast<int>(std::max<int64_t>(left, 1))) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      reply.closed = true;
      break;
    }
    reply.bytes.append(buf, static_cast<size_t>(n));
  }
  return reply;
}

// One connection: sends `request`, returns what came back before the server
// closed it (every answer of ours says Connection: close).
RawReply Exchange(int port, std::string_view request, const char* host = "127.0.0.1") {
  const int fd = Connect(host, port);
  if (fd < 0) return {};
  SendAll(fd, request);
  auto reply = ReadUntilClosed(fd, std::chrono::seconds(30));
  close(fd);
  return reply;
}

constexpr const char* kProbe = "kappa_hostile_probe_total";

// MetricsServer on 127.0.0.1 with one counter at 7, so that every check of
// /metrics can see its own content.
struct ServedMetrics {
  std::unique_ptr<monitoring::MetricsServer> server;
  int port = 0;
};

ServedMetrics StartMetrics(const std::string& bind = "127.0.0.1") {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto server = monitoring::MetricsServer::Start(
        {.bind_address = bind, .port = testing::FreeLoopbackPort(), .command = "test"});
    if (!server.ok()) continue;
    prometheus::BuildCounter()
        .Name(kProbe)
        .Help("probe")
        .Register((*server)->registry())
        .Add({})
        .Increment(7);
    const int port = (*server)->port();
    return {std::move(server).value(), port};
  }
  ADD_FAILURE() << "no free port";
  return {};
}

// GET /metrics answers 200 with the probe counter: the server is alive and
// serves what it should.
::testing::AssertionResult MetricsStillServed(int port) {
  const auto r = testing::HttpGet(port, "/metrics");
  if (r.status != 200) return ::testing::AssertionFailure() << "GET /metrics: " << r.status;
  const auto samples = testing::ParseExposition(r.body);
  const auto it = samples.find(kProbe);
  if (it == samples.end() || it->second != 7) {
    return ::testing::AssertionFailure() << "probe missing from /metrics:\n" << r.body;
  }
  return ::testing::AssertionSuccess();
}

struct Attack {
  std::string name;
  std::string request;
  // Acceptable statuses; empty: the server may answer anything but 200, or
  // close without an answer.
  std::vector<int> statuses;
};

constexpr char kGarbage[] = "\x00\xff\x13\x7f garbage\r\n\r\n";

std::vector<Attack> Attacks(const std::string& page) {
  const std::string big(70 * 1024, 'a');
  return {
      {"garbage bytes", std::string(kGarbage, sizeof kGarbage - 1), {}},
      {"binary noise", std::string(4096, '\xfe'), {}},
      {"no HTTP version", "GET " + page + "\r\n\r\n", {}},
      {"bad version", "GET " + page + " HTTP/9.9\r\n\r\n", {}},
      {"huge header", "GET " + page + " HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", {}},
      {"many headers",
       "GET " + page + " HTTP/1.1\r\n" +
           [] {
             std::string h;
             for (int i = 0; i < 2000; ++i) h += "X-H" + std::to_string(i) + ": v\r\n";
             return h;
           }() +
           "\r\n",
       {}},
      {"huge URI", "GET /" + big + " HTTP/1.1\r\nHost: x\r\n\r\n", {}},
      {"POST", "POST " + page + " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", {405}},
      {"PUT", "PUT " + page + " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", {405}},
      {"DELETE", "DELETE " + page + " HTTP/1.1\r\nHost: x\r\n\r\n", {405}},
      {"PATCH", "PATCH " + page + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", {405}},
      {"OPTIONS", "OPTIONS " + page + " HTTP/1.1\r\nHost: x\r\n\r\n", {405}},
      {"TRACE", "TRACE " + page + " HTTP/1.1\r\nHost: x\r\n\r\n", {400, 405}},
      {"CONNECT", "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n", {}},
      {"negative Content-Length", "GET " + page + " HTTP/1.1\r\nContent-Length: -5\r\n\r\n", {}},
      {"bad chunked body",
       "POST " + page + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",
       {}},
      {"traversal", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}},
      {"encoded traversal",
       "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
       {400, 404}},
      {"traversal after the page",
       "GET " + page + "/../../../etc/passwd HTTP/1.1\r\n\r\n",
       {400, 404}},
      // civetweb decodes %00 and the path ends there: the page itself (never
      // a file), or a refusal.
      {"NUL in the path", "GET " + page + "%00.html HTTP/1.1\r\nHost: x\r\n\r\n", {200, 400, 404}},
      {"unknown page", "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", {404}},
      {"root of a metrics-only server", "GET /etc/ HTTP/1.1\r\nHost: x\r\n\r\n", {404}},
  };
}

void ExpectSurvivesAttacks(int port, const std::string& page,
                           const std::function<::testing::AssertionResult()>& still_served) {
  for (const auto& attack : Attacks(page)) {
    SCOPED_TRACE(attack.name);
    const auto reply = Exchange(port, attack.request);
    EXPECT_TRUE(reply.closed) << "the server ends the exchange";
    if (attack.statuses.empty()) {
      EXPECT_NE(reply.status(), 200) << reply.bytes.substr(0, 200);
    } else {
      EXPECT_NE(std::find(attack.statuses.begin(), attack.statuses.end(), reply.status()),
                attack.statuses.end())
          << reply.bytes.substr(0, 200);
    }
    EXPECT_EQ(reply.bytes.find("root:"), std::string::npos) << "no file is served";
    EXPECT_TRUE(still_served());
  }
}

TEST(HttpServerTest, MetricsEndpointSurvivesMalformedRequestsAndServesOnlyMetrics) {
  auto served = StartMetrics();
  ASSERT_NE(served.server, nullptr);
  ASSERT_TRUE(MetricsStillServed(served.port));
  ExpectSurvivesAttacks(served.port, "/metrics", [&] { return MetricsStillServed(served.port); });

  // HEAD: the headers of a 200, no body.
  const auto head = Exchange(served.port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(head.status(), 200) << head.bytes;
  EXPECT_EQ(head.bytes.find(kProbe), std::string::npos) << head.bytes;
  // Nothing but /metrics: no index, no directory listing.
  for (const char* path : {"/", "/metrics.txt", "/tmp/", "/proc/self/environ"}) {
    const auto r = testing::HttpGet(served.port, path);
    EXPECT_EQ(r.status, 404) << path << "\n" << r.body;
  }
}

TEST(HttpServerTest, StatusPagesSurviveMalformedRequestsAndServeOnlyTheirRoutes) {
  std::unique_ptr<monitoring::HttpServer> server;
  int port = 0;
  auto served = StartMetrics();
  ASSERT_NE(served.server, nullptr);
  monitoring::MetricsServer* metrics = served.server.get();
  for (int attempt = 0; attempt < 5 && server == nullptr; ++attempt) {
    auto s = monitoring::HttpServer::Start(
        "127.0.0.1", testing::FreeLoopbackPort(),
        {{"/", "text/html", [] { return std::string("<h1>kappa</h1>"); }},
         {"/metrics", "text/plain", [metrics] { return metrics->Scrape(); }}});
    if (s.ok()) server = std::move(s).value();
  }
  ASSERT_NE(server, nullptr);
  port = server->port();
  ASSERT_TRUE(MetricsStillServed(port));
  ExpectSurvivesAttacks(port, "/metrics", [&] { return MetricsStillServed(port); });
  EXPECT_EQ(testing::HttpGet(port, "/").status, 200);
  for (const char* path : {"/metrics/", "/index.html", "/status", "/tmp/"}) {
    EXPECT_EQ(testing::HttpGet(port, path).status, 404) << path;
  }
}

// A crowd of idle connections (each holding a server thread while it
// waits for a request line that never comes) does not keep a scrape out,
// and the server drops connections that stay silent.
TEST(HttpServerTest, IdleConnectionsDoNotStarveScrapesAndAreDropped) {
  auto served = StartMetrics();
  ASSERT_NE(served.server, nullptr);
  constexpr int kIdle = 50;
  std::vector<int> idle;
  for (int i = 0; i < kIdle; ++i) {
    const int fd = Connect("127.0.0.1", served.port);
    ASSERT_GE(fd, 0);
    // Half of them send half a request; the rest send nothing.
    if (i % 2 == 0) SendAll(fd, "GET /metr");
    idle.push_back(fd);
  }
  EXPECT_TRUE(MetricsStillServed(served.port)) << "with " << kIdle << " idle connections";
  // A request that stops half-way and hangs up.
  {
    const int fd = Connect("127.0.0.1", served.port);
    SendAll(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow:");
    close(fd);
  }
  EXPECT_TRUE(MetricsStillServed(served.port));
  // The server gives up on the silent ones by itself.
  for (int fd : idle) {
    const auto reply = ReadUntilClosed(fd, std::chrono::seconds(60));
    EXPECT_TRUE(reply.closed) << "an idle connection is dropped by the server";
    EXPECT_NE(reply.status(), 200);
    close(fd);
  }
  EXPECT_TRUE(MetricsStillServed(served.port));
}

TEST(HttpServerTest, TheEndpointListensOnlyOnTheBindAddress) {
  // 127.0.0.2 is loopback too (127/8), but not 127.0.0.1.
  auto served = StartMetrics("127.0.0.2");
  ASSERT_NE(served.server, nullptr);
  const auto there = Exchange(served.port, "GET /metrics HTTP/1.0\r\n\r\n", "127.0.0.2");
  EXPECT_EQ(there.status(), 200);
  EXPECT_NE(there.bytes.find(kProbe), std::string::npos);
  EXPECT_EQ(Connect("127.0.0.1", served.port), -1) << "not served on 127.0.0.1";
}

using HttpServerBinaryTest = testing::EmbeddedBrokerTest;

TEST_F(HttpServerBinaryTest, MetricsBindFlagIsHonouredByTheBinary) {
  // A slow `kappa produce` serves /metrics while it runs.
  const int port = testing::FreeLoopbackPort();
  testing::TempDir dir;
  testing::BackgroundProcess produce(
      {testing::KappaBinary(), "produce", "-b", bootstrap(), "--rate", "1", "--count", "1000",
       "--metrics-port", std::to_string(port), "--metrics-bind", "127.0.0.2"},
      dir.File("produce"));
  RawReply there;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        there = Exchange(port, "GET /metrics HTTP/1.0\r\n\r\n", "127.0.0.2");
        return there.status() == 200;
      },
      std::chrono::seconds(20)))
      << produce.Stderr();
  EXPECT_NE(there.bytes.find("kappa_build_info{command=\"produce\""), std::string::npos);
  EXPECT_EQ(Connect("127.0.0.1", port), -1) << "not served on 127.0.0.1";
  produce.Signal(SIGTERM);
  EXPECT_TRUE(produce.Wait(std::chrono::seconds(30)).has_value());

  // An address that is not one is bad configuration.
  const auto bad = testing::RunProcess({testing::KappaBinary(), "produce", "-b", "127.0.0.1:1",
                                        "--metrics-bind", "not-an-address", "--count", "1"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--metrics-bind"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace kappa
