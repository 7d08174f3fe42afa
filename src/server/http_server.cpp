#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "core/json.h"
#include "core/log.h"
#include "core/text.h"

namespace riposte::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string HttpRequest::header(const std::string& name) const {
  auto it = headers.find(text::asciiLower(name));
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::queryParam(const std::string& name, const std::string& def) const {
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return def;
  for (auto p : u->params()) {
    if (p.key == name) return p.value;
  }
  return def;
}

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::error(int status, const std::string& code, const std::string& message) {
  json::object o;
  o["error"] = code;
  o["message"] = message;
  return json(status, json::serialize(o));
}

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, const Handler& handler, const HttpServerOptions& opt,
          std::atomic<int>& open)
      : stream_(std::move(socket)), handler_(handler), opt_(opt), open_(open) {}
  ~Session() { --open_; }

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::doRead, shared_from_this()));
  }

 private:
  void doRead() {
    parser_.emplace();
    parser_->body_limit(opt_.body_limit);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(opt_.timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == beast::error::timeout || ec == asio::error::operation_aborted) {
      return close();
    }
    if (ec == http::error::body_limit) {
      auto r = HttpResponse::error(
          413, "TooLarge", "request body exceeds " + std::to_string(opt_.body_limit) + " bytes");
      return write(r, false);
    }
    if (ec) {
      auto r = HttpResponse::error(400, "BadRequest", "malformed HTTP request: " + ec.message());
      return write(r, false);
    }
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto& f : msg) {
      req.raw_headers.emplace_back(f.name_string(), f.value());
      req.headers[text::asciiLower(f.name_string())] = std::string(f.value());
    }
    req.body = std::move(msg.body());
    beast::error_code rec;
    auto ep = stream_.socket().remote_endpoint(rec);
    if (!rec) req.remote = ep.address().to_string() + ":" + std::to_string(ep.port());
    HttpResponse res;
    try {
      res = handler_(req);
    } catch (const std::exception& e) {
      logError("handler threw", {{"path", req.path}, {"error", e.what()}});
      res = HttpResponse::error(500, "InternalError", e.what());
    }
    write(res, msg.keep_alive());
  }

  void write(const HttpResponse& r, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(r.status));
    res->set(http::field::server, "riposte");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->body() = r.body;
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(opt_.timeout_seconds));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec || !res->keep_alive()) return self->close();
                        self->doRead();
                      });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const Handler& handler_;
  const HttpServerOptions& opt_;
  std::atomic<int>& open_;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions opt;
  Handler handler;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<bool> running{false};
  uint16_t bound_port = 0;
  std::atomic<int> open{0};
  std::atomic<int64_t> refused{0};

  void doAccept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (!ec) {
        if (open.fetch_add(1) >= std::max(1, opt.max_connections)) {
          --open;
          ++refused;
          // A fresh connection's send buffer takes this at once: the write does not wait.
          static const std::string kBusy =
              "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
              "Retry-After: 1\r\nConnection: close\r\nContent-Length: 68\r\n\r\n"
              "{\"error\":\"TooManyConnections\",\"message\":\"too many open connections\"}";
          beast::error_code wec;
          s.non_blocking(true, wec);
          asio::write(s, asio::buffer(kBusy), wec);
          s.shutdown(tcp::socket::shutdown_both, wec);
          s.close(wec);
        } else {
          std::make_shared<Session>(std::move(s), handler, opt, open)->run();
        }
      }
      if (running && acceptor.is_open()) doAccept();
    });
  }
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler) : impl_(new Impl) {
  impl_->opt = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() {
  stop();
}

Result<void> HttpServer::start() {
  beast::error_code ec;
  auto addr = asio::ip::make_address(impl_->opt.host, ec);
  if (ec) return fail("ListenFailed", "bad listen address '" + impl_->opt.host + "'");
  tcp::endpoint ep(addr, impl_->opt.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("ListenFailed", "cannot listen on " + impl_->opt.host + ":" +
                                    std::to_string(impl_->opt.port) + ": " + ec.message());
  }
  impl_->bound_port = impl_->acceptor.local_endpoint().port();
  impl_->running = true;
  impl_->doAccept();
  for (int i = 0; i < std::max(1, impl_->opt.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
  return {};
}

void HttpServer::stop() {
  if (!impl_ || !impl_->running.exchange(false)) return;
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

uint16_t HttpServer::port() const {
  return impl_->bound_port;
}

int HttpServer::openConnections() const {
  return impl_->open.load();
}

int64_t HttpServer::refusedConnections() const {
  return impl_->refused.load();
}

Result<std::pair<std::string, uint16_t>> parseListen(const std::string& listen) {
  std::string host, port;
  if (!listen.empty() && listen[0] == '[') {
    auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return fail("InvalidConfig", "listen address '" + listen + "' is not [HOST]:PORT");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos)
      return fail("InvalidConfig", "listen address '" + listen + "' is not HOST:PORT");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  if (host.empty()) host = "0.0.0.0";
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535)
    return fail("InvalidConfig", "listen address '" + listen + "' has a bad port");
  return std::make_pair(host, static_cast<uint16_t>(p));
}

}  // namespace riposte::server
