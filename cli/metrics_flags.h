// --metrics-port and --metrics-bind, shared by every long-running command,
// and starting the /metrics endpoint they describe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cli/command_line.h"
#include "common/status.h"
#include "monitoring/metrics_server.h"

namespace kappa::cli {

// Default ports: infer and demo 8000 (the seed's), produce 8001, train 8002,
// reprocess 8003, so that they can run side by side on one machine.
struct MetricsFlags {
  int64_t port = 0;
  std::string bind = "0.0.0.0";  // every interface, as the seed's endpoint and containers need
  int64_t linger_s = 0;  // jobs: keep serving this long after the end
};

// --metrics-bind: an IPv4 address, or an IPv6 one bare or in brackets
// (returned in brackets, as the HTTP server wants it); InvalidArgument
// otherwise (host names are not resolved: say which interface).
Result<std::string> ParseBindAddress(std::string_view text);

// Registers both flags; `flags->port` holds the command's default.
void AddMetricsFlags(CommandLine* cl, MetricsFlags* flags);
// For jobs that end (train, reprocess): also --metrics-linger SECONDS, so
// that Prometheus, scraping every few seconds, sees the final values.
void AddJobMetricsFlags(CommandLine* cl, MetricsFlags* flags);
// Waits flags.linger_s (or until Ctrl-C) when the endpoint is served.
void LingerForScrapes(const MetricsFlags& flags, const monitoring::MetricsServer& server);

// Starts the endpoint for `command` (kappa_build_info{command}). When
// `required` (infer: the endpoint is part of its service), a port that
// cannot be bound is an error; otherwise the job warns and runs without
// the endpoint (its metrics are still collected).
Result<std::unique_ptr<monitoring::MetricsServer>> StartMetrics(const MetricsFlags& flags,
                                                                const std::string& command,
                                                                bool required);

}  // namespace kappa::cli
