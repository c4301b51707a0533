#include "monitoring/metrics_server.h"

#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <string>

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
    const std::string address = options.bind_address + ":" + std::to_string(options.port);
    try {
      // prometheus-cpp reports a failed bind by throwing (civetweb).
      server->exposer_ = std::make_unique<prometheus::Exposer>(address);
    } catch (const std::exception& e) {
      return Status::IoError("cannot serve metrics on " + address + ": " + e.what());
    }
    server->exposer_->RegisterCollectable(server->registry_);
    server->exposer_->RegisterCollectable(server->process_);
    const auto ports = server->exposer_->GetListeningPorts();
    server->port_ = ports.empty() ? options.port : ports.front();
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
