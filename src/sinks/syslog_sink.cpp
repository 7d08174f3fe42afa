#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sinks/builtin.h"

namespace riposte::sinks {
namespace {

std::string sslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

// RFC 5424 messages over UDP (one datagram each), TCP or TLS (RFC 6587 octet counting). The
// connection is opened lazily and re-opened after any error or when the peer closed it.
// Note: TCP and TLS syslog have no application acknowledgement: a batch written to a socket
// the server has just lost can be lost with it (the peer-closed check before each batch
// narrows that window); UDP gives no delivery guarantee at all.
class SyslogSink final : public Sink {
 public:
  explicit SyslogSink(SyslogSinkConfig cfg) : cfg_(std::move(cfg)) {}
  ~SyslogSink() override {
    disconnect();
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }
  const std::string& name() const override { return cfg_.name; }

  Result<void> send(const std::vector<AuditRecord>& batch) override {
    if (fd_ >= 0 && peerClosed()) disconnect();
    if (fd_ < 0) {
      if (auto c = connect(); !c) return c;
    }
    if (cfg_.transport == "udp") {
      for (const auto& rec : batch) {
        std::string msg = toRfc5424(rec, cfg_.header);
        if (::send(fd_, msg.data(), msg.size(), 0) < 0) return failErrno("send");
      }
      return {};
    }
    std::string buf;
    for (const auto& rec : batch) buf += octetFrame(toRfc5424(rec, cfg_.header));
    return writeAll(buf);
  }

 private:
  std::string where() const {
    return cfg_.transport + "://" + cfg_.host + ":" + std::to_string(cfg_.port);
  }

  Result<void> failErrno(const char* what) {
    std::string msg = "syslog " + where() + ": " + what + ": " + std::strerror(errno);
    disconnect();
    return fail(kSinkUnavailable, msg);
  }
  Result<void> failTls(const char* what) {
    std::string msg = "syslog " + where() + ": " + what + ": " + sslErrors();
    disconnect();
    return fail(kSinkUnavailable, msg);
  }

  void disconnect() {
    if (ssl_ != nullptr) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  // True when a stream peer has closed (or reset) the connection.
  bool peerClosed() {
    if (cfg_.transport == "udp") return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if ((p.revents & (POLLERR | POLLHUP)) != 0) return true;
    if (ssl_ != nullptr) {
      // TLS 1.3 servers send session tickets after the handshake: consume them.
      char buf[512];
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n > 0) return false;
      int err = SSL_get_error(ssl_, n);
      ERR_clear_error();
      return err != SSL_ERROR_WANT_READ;
    }
    char c;
    ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  Result<void> connect() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = cfg_.transport == "udp" ? SOCK_DGRAM : SOCK_STREAM;
    addrinfo* res = nullptr;
    std::string port = std::to_string(cfg_.port);
    if (int rc = ::getaddrinfo(cfg_.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      return fail(kSinkUnavailable,
                  "syslog " + where() + ": cannot resolve host: " + ::gai_strerror(rc));
    }
    std::string last = "no address";
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      timeval tv{};
      tv.tv_sec = cfg_.timeout.count() / 1000;
      tv.tv_usec = static_cast<suseconds_t>((cfg_.timeout.count() % 1000) * 1000);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // also bounds connect()
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        fd_ = fd;
        break;
      }
      last = std::strerror(errno);
      ::close(fd);
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) return fail(kSinkUnavailable, "syslog " + where() + ": connect: " + last);
    if (cfg_.transport == "tls") return startTls();
    return {};
  }

  Result<void> startTls() {
    if (ctx_ == nullptr) {
      // OpenSSL writes with write(2): a peer that closed must be an error, not SIGPIPE.
      ::signal(SIGPIPE, SIG_IGN);
      ctx_ = SSL_CTX_new(TLS_client_method());
      if (ctx_ == nullptr) return failTls("SSL_CTX_new");
      SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
      SSL_CTX_clear_mode(ctx_, SSL_MODE_AUTO_RETRY);
      if (cfg_.verify) {
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
        int ok = cfg_.ca_file.empty()
                     ? SSL_CTX_set_default_verify_paths(ctx_)
                     : SSL_CTX_load_verify_locations(ctx_, cfg_.ca_file.c_str(), nullptr);
        if (ok != 1) {
          std::string msg =
              "syslog " + where() + ": cannot load CA '" + cfg_.ca_file + "': " + sslErrors();
          SSL_CTX_free(ctx_);
          ctx_ = nullptr;
          disconnect();
          return fail(kSinkUnavailable, msg);
        }
      }
    }
    ssl_ = SSL_new(ctx_);
    if (ssl_ == nullptr) return failTls("SSL_new");
    const std::string& peer = cfg_.server_name.empty() ? cfg_.host : cfg_.server_name;
    in6_addr probe{};
    const bool ip = ::inet_pton(AF_INET, peer.c_str(), &probe) == 1 ||
                    ::inet_pton(AF_INET6, peer.c_str(), &probe) == 1;
    if (!ip) SSL_set_tlsext_host_name(ssl_, peer.c_str());  // SNI carries names only
    if (cfg_.verify) {
      // An address is checked against the certificate's IP SANs, a name against its DNS SANs.
      int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), peer.c_str())
                  : SSL_set1_host(ssl_, peer.c_str());
      if (ok != 1) return failTls("set the name to verify");
    }
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) {
      long v = SSL_get_verify_result(ssl_);
      std::string extra =
          v != X509_V_OK ? std::string(" (") + X509_verify_cert_error_string(v) + ")" : "";
      std::string msg = "syslog " + where() + ": TLS handshake: " + sslErrors() + extra;
      disconnect();
      return fail(kSinkUnavailable, msg);
    }
    return {};
  }

  Result<void> writeAll(const std::string& buf) {
    size_t off = 0;
    while (off < buf.size()) {
      if (ssl_ != nullptr) {
        size_t n = 0;
        if (SSL_write_ex(ssl_, buf.data() + off, buf.size() - off, &n) != 1) {
          return failTls("write");
        }
        off += n;
      } else {
        ssize_t n = ::send(fd_, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return failErrno("send");
        off += static_cast<size_t>(n);
      }
    }
    return {};
  }

  SyslogSinkConfig cfg_;
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace

std::unique_ptr<Sink> makeSyslogSink(SyslogSinkConfig cfg) {
  return std::make_unique<SyslogSink>(std::move(cfg));
}

}  // namespace riposte::sinks
