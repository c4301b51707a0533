#include "monitoring/http_server.h"

#include <civetweb.h>

#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace kappa::monitoring {
namespace {

// civetweb gives each connection a thread from a fixed pool until its
// request is answered, so a client that opens connections and sends nothing
// holds threads: the pool is sized above what a crowd of idle clients plus
// the scrapers need (unused threads sleep), and a connection that has not
// sent a whole request within the timeout is dropped. Keep-alive stays off
// (every answer closes the connection), and there is no document_root:
// nothing is ever served from disk. Requests are limited to civetweb's
// default 16 KiB of request line and headers.
constexpr int kThreads = 64;
constexpr int kRequestTimeoutMs = 5000;

void Reply(mg_connection* connection, int status, const char* reason, const char* content_type,
           const std::string& body, bool head) {
  mg_printf(connection,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
            "Connection: close\r\n\r\n",
            status, reason, content_type, body.size());
  if (!head) mg_write(connection, body.data(), body.size());
}

}  // namespace

int HttpServer::Handle(mg_connection* connection, void* route_ptr) {
  const auto* route = static_cast<const HttpRoute*>(route_ptr);
  const mg_request_info* request = mg_get_request_info(connection);
  const char* method = request->request_method != nullptr ? request->request_method : "";
  const bool head = std::strcmp(method, "HEAD") == 0;
  if (std::strcmp(method, "GET") != 0 && !head) {
    Reply(connection, 405, "Method Not Allowed", "text/plain", "read-only: GET only\n", false);
    return 405;
  }
  // civetweb matches prefixes; only the exact path is ours.
  if (request->local_uri == nullptr || route->path != request->local_uri) {
    Reply(connection, 404, "Not Found", "text/plain", "not found\n", head);
    return 404;
  }
  std::string body;
  try {
    body = route->body();
  } catch (const std::exception& e) {
    Reply(connection, 500, "Internal Server Error", "text/plain", e.what(), head);
    return 500;
  }
  Reply(connection, 200, "OK", route->content_type.c_str(), body, head);
  return 200;
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& bind_address, int port,
                                                      std::vector<HttpRoute> routes) {
  if (port < 0 || port > 65535) {
    return Status::InvalidArgument("port must be 0..65535, got " + std::to_string(port));
  }
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->routes_ = std::move(routes);
  const std::string listen = bind_address + ":" + std::to_string(port);
  const std::vector<std::string> settings = {
      "listening_ports",    listen,
      "num_threads",        std::to_string(kThreads),
      "request_timeout_ms", std::to_string(kRequestTimeoutMs),
      "enable_keep_alive",  "no"};
  std::vector<const char*> options;
  for (const auto& s : settings) options.push_back(s.c_str());
  options.push_back(nullptr);
  mg_callbacks callbacks{};
  // Bind errors are reported through the return value; keep civetweb quiet.
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
  server->context_ = mg_start(&callbacks, nullptr, options.data());
  if (server->context_ == nullptr) {
    return Status::IoError("cannot serve on " + listen + " (address in use?)");
  }
  // "/" catches every path, so that unknown ones get our 404; the exact
  // routes take precedence (civetweb prefers the longest match).
  static const HttpRoute kNotFound{"", "text/plain", [] { return std::string(); }};
  mg_set_request_handler(server->context_, "/", &HttpServer::Handle,
                         const_cast<HttpRoute*>(&kNotFound));
  for (auto& route : server->routes_) {
    mg_set_request_handler(server->context_, route.path.c_str(), &HttpServer::Handle, &route);
  }
  mg_server_port ports[4]{};
  const int n = mg_get_server_ports(server->context_, 4, ports);
  server->port_ = n > 0 ? ports[0].port : port;
  return server;
}

HttpServer::~HttpServer() {
  if (context_ != nullptr) mg_stop(context_);
}

}  // namespace kappa::monitoring
