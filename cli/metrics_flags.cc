#include "cli/metrics_flags.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/shutdown.h"

namespace kappa::cli {

void AddMetricsFlags(CommandLine* cl, MetricsFlags* flags) {
  cl->AddInt("metrics-port", 0, "PORT",
             fmt::format("Prometheus /metrics port (default {}; 0 = none)", flags->port),
             &flags->port, 0, 65535);
  cl->AddString("metrics-bind", 0, "ADDRESS",
                fmt::format("address of the metrics endpoint (default {})", flags->bind),
                &flags->bind);
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
