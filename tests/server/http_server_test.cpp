#include "server/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace riposte::server {
namespace {

// Sends raw bytes to 127.0.0.1:port and returns everything the server answers until it closes.
std::string rawExchange(uint16_t port, const std::string& bytes, bool half_close = true) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed";
  }
  std::size_t off = 0;
  while (off < bytes.size()) {
    auto n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  if (half_close) ::shutdown(fd, SHUT_WR);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions opt;
    opt.port = 0;
    opt.body_limit = 1024;
    opt.timeout_seconds = 2;
    server_ = std::make_unique<HttpServer>(opt, [](const HttpRequest& r) {
      if (r.path == "/throw") throw std::runtime_error("boom");
      HttpResponse res = HttpResponse::json(200, "{}");
      res.body = r.method + " " + r.path + " q=" + r.queryParam("q", "-") +
                 " ct=" + r.header("Content-Type") + " body=" + r.body;
      return res;
    });
    ASSERT_TRUE(server_->start());
    ASSERT_NE(server_->port(), 0);
  }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesRequestsWithKeepAlive) {
  std::string two =
      "POST /x?q=1 HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc"
      "GET /y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  std::string out = rawExchange(server_->port(), two);
  EXPECT_NE(out.find("POST /x q=1 ct=text/plain body=abc"), std::string::npos) << out;
  EXPECT_NE(out.find("GET /y q=- ct= body="), std::string::npos) << out;
}

TEST_F(HttpServerTest, RejectsOversizeBodyWith413) {
  std::string req =
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a');
  std::string out = rawExchange(server_->port(), req);
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  EXPECT_NE(out.find("TooLarge"), std::string::npos);
}

TEST_F(HttpServerTest, MalformedRequestGets400AndServerKeepsServing) {
  std::string out = rawExchange(server_->port(), "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  std::string bad_chunk =
      "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n";
  out = rawExchange(server_->port(), bad_chunk);
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  out = rawExchange(server_->port(), "GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_NE(out.find("GET /ok"), std::string::npos) << out;
}

TEST_F(HttpServerTest, HandlerExceptionIs500) {
  std::string out =
      rawExchange(server_->port(), "GET /throw HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 500", 0), 0u) << out;
}

TEST_F(HttpServerTest, SlowClientTimesOut) {
  // Sends half a request and never finishes it: the server closes the connection.
  std::string out = rawExchange(server_->port(), "POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nab",
                                /*half_close=*/false);
  EXPECT_EQ(out.find("200 OK"), std::string::npos) << out;
}

// Past max_connections a connection is answered 503 and closed; once one closes, the next is
// served again.
TEST(HttpServerLimits, ConnectionsBeyondTheCapAre503) {
  HttpServerOptions opt;
  opt.port = 0;
  opt.max_connections = 2;
  opt.timeout_seconds = 5;
  HttpServer server(opt, [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
  ASSERT_TRUE(server.start());
  auto connectIdle = [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
  };
  int a = connectIdle(), b = connectIdle();
  for (int i = 0; i < 200 && server.openConnections() < 2; ++i) ::usleep(10'000);
  ASSERT_EQ(server.openConnections(), 2);
  std::string out = rawExchange(server.port(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 503", 0), 0u) << out;
  EXPECT_NE(out.find("TooManyConnections"), std::string::npos);
  EXPECT_EQ(server.refusedConnections(), 1);
  ::close(a);
  for (int i = 0; i < 200 && server.openConnections() > 1; ++i) ::usleep(10'000);
  out = rawExchange(server.port(), "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  ::close(b);
}

TEST(ParseListen, Forms) {
  EXPECT_EQ(parseListen("127.0.0.1:8080")->second, 8080);
  EXPECT_EQ(parseListen("[::1]:9")->first, "::1");
  EXPECT_EQ(parseListen(":80")->first, "0.0.0.0");
  EXPECT_FALSE(parseListen("nope"));
  EXPECT_FALSE(parseListen("h:99999"));
}

}  // namespace
}  // namespace riposte::server
