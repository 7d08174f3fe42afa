#pragma once
// A small asynchronous HTTP/1.1 server over Boost.Beast: keep-alive, a body size limit,
// read/write timeouts, a fixed pool of I/O threads. It knows nothing of riposte's API: it
// hands each request to a Handler and writes back what the handler returns.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"

namespace riposte::server {

struct HttpRequest {
  std::string method;                          // "GET", "POST", …
  std::string target;                          // "/v1/incidents?limit=10"
  std::string path;                            // "/v1/incidents"
  std::string query;                           // "limit=10"
  std::map<std::string, std::string> headers;  // lower-case names
  // Every header field as received, in order, duplicates included (SigV4 verification).
  std::vector<std::pair<std::string, std::string>> raw_headers;
  std::string body;
  std::string remote;  // "127.0.0.1:51234"

  // Header value (name in any case) or "".
  std::string header(const std::string& name) const;
  // Query parameter value or `def`.
  std::string queryParam(const std::string& name, const std::string& def = "") const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse json(int status, std::string body);
  // {"error": code, "message": message}
  static HttpResponse error(int status, const std::string& code, const std::string& message);
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = pick a free port (see HttpServer::port())
  int threads = 2;
  std::size_t body_limit = 3 * 1024 * 1024;
  int timeout_seconds = 30;
  // Connections open at once: one more is answered 503 (Retry-After: 1) and closed at once,
  // so a flood of idle connections cannot hold the server's memory and descriptors.
  int max_connections = 512;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the I/O threads. Error (code "ListenFailed") if the address is unusable.
  Result<void> start();
  // Stops accepting, closes connections, joins the threads. Idempotent.
  void stop();
  // The bound port (useful with port 0).
  uint16_t port() const;
  // Connections open now, and those refused so far for max_connections.
  int openConnections() const;
  int64_t refusedConnections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" ("127.0.0.1:8080", "[::1]:8080", ":8080").
Result<std::pair<std::string, uint16_t>> parseListen(const std::string& listen);

}  // namespace riposte::server
