#pragma once
// The HTTP transport under the AWS client: an interface (so tests can fake it) and a libcurl
// implementation.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aws/sigv4.h"
#include "core/result.h"

namespace riposte::aws {

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute: scheme://host[:port]/path[?query]
  Pairs headers;    // sent as given (a Host header here replaces curl's)
  std::string body;
  // A CA bundle (PEM file) that verifies an https:// server instead of the system's store.
  std::string ca_file;
};

struct HttpResponse {
  long status = 0;
  Pairs headers;  // names lowercased
  std::string body;

  // Case-insensitive header look-up (first match).
  std::optional<std::string> header(std::string_view name) const;
};

// Sends one request. A transport failure (DNS, connect, timeout, reset) is an Error with code
// "TransportError"; any HTTP status, including 4xx/5xx, is a response. Implementations must be
// thread-safe.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> send(const HttpRequest& req) = 0;
};

struct CurlOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{30000};
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  // false: never through a proxy, whatever HTTP(S)_PROXY say (the link-local credential
  // endpoints: IMDS, the ECS and EKS container agents).
  bool use_proxy = true;
};

// libcurl transport: honours HTTPS_PROXY/NO_PROXY, verifies TLS, reuses connections per
// thread. Thread-safe.
std::shared_ptr<HttpTransport> makeCurlTransport(CurlOptions opts = {});

}  // namespace riposte::aws
