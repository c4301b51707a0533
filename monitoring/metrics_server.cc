#include "monitoring/metrics_server.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <string>

#include "monitoring/http_server.h"
#include "monitoring/process_metrics.h"

namespace kappa::monitoring {

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const MetricsServerOptions& options) {
  if (options.port < 0 || options.port > 65535) {
    return Status::InvalidArgument("metrics port must be 0..65535, got " +
                                   std::to_string(options.port));
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->registry_ = std::make_shared<prometheus::Registry>();
  server->process_ = std::make_shared<ProcessCollector>(options.command);
  if (options.port != 0) {
    // Our own read-only server (http_server.h), not prometheus-cpp's
    // exposer: exactly /metrics, GET and HEAD only, the same hardening as
    // the demo's pages.
    const MetricsServer* self = server.get();
    auto http = HttpServer::Start(options.bind_address, options.port,
                                  {{"/metrics", "text/plain; version=0.0.4; charset=utf-8",
                                    [self] { return self->Scrape(); }}});
    if (!http.ok()) {
      return Status::IoError("cannot serve metrics on " + options.bind_address + ":" +
                             std::to_string(options.port) + " (" + http.status().message() + ")");
    }
    server->http_ = std::move(http).value();
    server->port_ = server->http_->port();
  }
  return server;
}

MetricsServer::~MetricsServer() = default;

std::string MetricsServer::Scrape() const {
  auto families = registry_->Collect();
  for (auto& f : process_->Collect()) families.push_back(std::move(f));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace kappa::monitoring
