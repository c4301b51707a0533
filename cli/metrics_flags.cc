#include "cli/metrics_flags.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include "common/shutdown.h"

namespace kappa::cli {

void AddMetricsFlags(CommandLine* cl, MetricsFlags* flags) {
  cl->AddInt("metrics-port", 0, "PORT",
             fmt::format("Prometheus /metrics port (default {}; 0 = none)", flags->port),
             &flags->port, 0, 65535);
  cl->AddOption("metrics-bind", 0, "ADDRESS",
                fmt::format("IP address of the metrics endpoint (default {}; 127.0.0.1:\n"
                            "this machine only, 0.0.0.0: every interface; IPv6 as\n"
                            "::1 or [::1])",
                            flags->bind),
                [flags](std::string_view v) -> Status {
                  auto address = ParseBindAddress(v);
                  if (!address.ok()) return address.status();
                  flags->bind = std::move(address).value();
                  return Status::Ok();
                });
}

Result<std::string> ParseBindAddress(std::string_view text) {
  std::string address(text);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return address;
  // civetweb's form of an IPv6 listening address.
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) return "[" + address + "]";
  return Status::InvalidArgument("expected an IPv4 or IPv6 address such as 127.0.0.1, got '" +
                                 std::string(text) + "'");
}

void AddJobMetricsFlags(CommandLine* cl, MetricsFlags* flags) {
  AddMetricsFlags(cl, flags);
  cl->AddInt("metrics-linger", 0, "SECONDS",
             "keep serving /metrics this long after the job ends, for a last scrape\n"
             "(default 0)",
             &flags->linger_s, 0, 3600);
}

void LingerForScrapes(const MetricsFlags& flags, const monitoring::MetricsServer& server) {
  if (flags.linger_s <= 0 || server.port() == 0) return;
  spdlog::info("serving the final metrics for {} s (--metrics-linger; Ctrl-C ends it)",
               flags.linger_s);
  WaitForShutdown(std::chrono::seconds(flags.linger_s));
}

Result<std::unique_ptr<monitoring::MetricsServer>> StartMetrics(const MetricsFlags& flags,
                                                                const std::string& command,
                                                                bool required) {
  monitoring::MetricsServerOptions options{
      .bind_address = flags.bind, .port = static_cast<int>(flags.port), .command = command};
  auto server = monitoring::MetricsServer::Start(options);
  if (!server.ok() && !required && server.status().code() == StatusCode::kIoError) {
    spdlog::warn("{}; running without /metrics (choose another --metrics-port, or 0)",
                 server.status().message());
    options.port = 0;
    server = monitoring::MetricsServer::Start(options);
  }
  if (!server.ok()) return server.status();
  if ((*server)->port() != 0) {
    spdlog::info("metrics on http://{}:{}/metrics", flags.bind, (*server)->port());
  }
  return server;
}

}  // namespace kappa::cli
