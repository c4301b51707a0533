// MetricsServer: one prometheus-cpp registry per process and, optionally, the
// HTTP endpoint that serves it at /metrics, together with the process
// metrics of process_metrics.h.
//
// Components register their metric families on registry() once at start-up
// and keep references (prometheus-cpp metrics are thread-safe to update).
// Port 0 means "no endpoint": metrics are still collected (tests read them
// through registry()). The endpoint is an HttpServer (http_server.h) with
// the one page /metrics; its threads only read the registry. Not copyable.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace prometheus {
class Registry;
class Collectable;
}  // namespace prometheus

namespace kappa::monitoring {

class HttpServer;

struct MetricsServerOptions {
  std::string bind_address = "0.0.0.0";  // address of the /metrics endpoint
  int port = 0;                          // 0 = do not serve
  std::string command = "kappa";         // kappa_build_info{command}
};

class MetricsServer {
 public:
  // Starts serving when options.port != 0. Fails (IoError) when the port
  // cannot be bound, InvalidArgument when it is out of range.
  static Result<std::unique_ptr<MetricsServer>> Start(const MetricsServerOptions& options);
  ~MetricsServer();

  prometheus::Registry& registry() { return *registry_; }
  // The bound port (the real one when options.port was ephemeral), 0 if none.
  int port() const { return port_; }

  // The exposition text of registry() and the process metrics, as /metrics
  // serves it.
  std::string Scrape() const;

 private:
  MetricsServer() = default;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_;
  std::unique_ptr<HttpServer> http_;  // last: its handlers read the above
  int port_ = 0;
};

}  // namespace kappa::monitoring
