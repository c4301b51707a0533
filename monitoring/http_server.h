// HttpServer: a small read-only HTTP endpoint for kappa's own pages (the
// demo's status page, its JSON and /metrics on one port), on civetweb, the
// server prometheus-cpp already brings.
//
// Only GET and HEAD of the registered paths are answered (405 for other
// methods, 404 for other paths); nothing is read from disk. Handlers run
// on civetweb's threads and must be thread-safe. Not copyable.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

struct mg_context;
struct mg_connection;

namespace kappa::monitoring {

struct HttpRoute {
  std::string path;          // exact, e.g. "/status.json"
  std::string content_type;  // e.g. "application/json"
  std::function<std::string()> body;
};

class HttpServer {
 public:
  // Port 0 picks a free one (see port()). IoError when the address cannot
  // be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& bind_address, int port,
                                                   std::vector<HttpRoute> routes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }

 private:
  HttpServer() = default;
  static int Handle(::mg_connection* connection, void* route);

  std::vector<HttpRoute> routes_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace kappa::monitoring
