// The built-in sinks against local receivers: a UDP and a TCP socket for syslog, an HTTP
// server for Splunk HEC (riposte's own server, on a free loopback port), a temp file.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "server/http_server.h"
#include "sinks/builtin.h"
#include "sinks/sink.h"

namespace riposte::sinks {
namespace {

std::vector<AuditRecord> records(int n) {
  std::vector<AuditRecord> out;
  for (int i = 1; i <= n; ++i) {
    out.push_back(AuditRecord{i, 1700000000000 + i, i % 2 ? "incident.opened" : "action.finished",
                              R"({"incident":{"id":"inc-)" + std::to_string(i) +
                                  R"(","title":"t","severity":5},"status":"succeeded"})"});
  }
  return out;
}

std::string S(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : toJson(v);
}

json::value cfg(const std::string& text) {
  return parseJson(text).value();
}

// --- configuration ---

TEST(MakeSinksTest, BuildsEachTypeInOrder) {
  auto sinks = makeSinks(cfg(R"([
    {"type":"file","name":"audit","path":"/tmp/x.jsonl"},
    {"type":"syslog","name":"siem","transport":"tcp","host":"127.0.0.1","port":6514},
    {"type":"splunk_hec","name":"splunk","url":"https://splunk:8088","token":"abc","ack":true}
  ])"));
  ASSERT_TRUE(sinks) << sinks.error().str();
  ASSERT_EQ(sinks->size(), 3u);
  EXPECT_EQ((*sinks)[0]->name(), "audit");
  EXPECT_EQ((*sinks)[1]->name(), "siem");
  EXPECT_EQ((*sinks)[2]->name(), "splunk");
  EXPECT_TRUE(makeSinks(json::value(nullptr)).value().empty());
}

TEST(MakeSinksTest, ItemsAreHeldToTheirTypesSchemaEveryProblemNamed) {
  auto e = makeSinks(cfg(R"([{"type":"file","name":"a","path":"/x"},
                              {"type":"splunk_hec","name":"splunk","url":"http://h"}])"));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, "InvalidSinkConfig");
  EXPECT_EQ(e.error().message, "sinks[1].token: is required");

  e = makeSinks(cfg(R"([{"type":"kafka","name":"k"}])"));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message,
            "sinks[0].type: unknown type 'kafka' (known: file, sns, splunk_hec, syslog, webhook)");

  e = makeSinks(cfg(R"([{"type":"syslog","name":"s","transport":"sctp"}])"));
  EXPECT_EQ(e.error().message, "sinks[0].transport: must be one of udp, tcp, tls, not 'sctp'");
  e = makeSinks(cfg(R"([{"type":"syslog","name":"s","port":70000,"prot":1,"verify":"yes"}])"));
  EXPECT_EQ(e.error().message,
            "sinks[0].port: must be an integer between 1 and 65535, not 70000\n"
            "sinks[0].prot: unknown key 'prot' (did you mean 'port'?)\n"
            "sinks[0].verify: must be true or false, not 'yes'");
  e = makeSinks(
      cfg(R"([{"type":"file","name":"a","path":"/x"},{"type":"file","name":"a","path":"/y"}])"));
  EXPECT_EQ(e.error().message,
            "sinks[1].name: 'a' is the name of sinks[0] too (names must be unique)");
  e = makeSinks(cfg(R"([{"type":"file","path":"/x"}])"));
  EXPECT_EQ(e.error().message, "sinks[0].name: is required");
  e = makeSinks(cfg(R"({"type":"file"})"));
  EXPECT_EQ(e.error().message, "sinks: must be a list, not a mapping");
}

TEST(MakeSinksTest, RegistryRefusesDuplicatesAndGivesEachTypesSchema) {
  SinkRegistry r;
  ASSERT_TRUE(registerBuiltinSinks(r));
  EXPECT_EQ(r.add("syslog", config::Schema::any("again"), nullptr).error().code,
            "DuplicateSinkType");
  EXPECT_EQ(r.types(),
            (std::vector<std::string>{"file", "sns", "splunk_hec", "syslog", "webhook"}));
  config::Registry c;
  ASSERT_TRUE(registerConfig(c));
  ASSERT_EQ(c.types("sink").size(), 5u);
  EXPECT_NE(c.types("sink").at("splunk_hec")->field("token"), nullptr);
}

TEST(LoadSinksConfigTest, ReadsTheSinksKeyAndExpandsEnvironment) {
  char tmpl[] = "/tmp/riposte-sinkcfg-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  {
    std::ofstream f(dir + "/riposte.yaml");
    f << "listen: 127.0.0.1:8080\nsinks:\n  - type: splunk_hec\n    name: splunk\n"
         "    url: http://127.0.0.1:8088\n    token: ${RIPOSTE_TEST_HEC_TOKEN}\n    ack: true\n    "
         "index: ${RIPOSTE_TEST_NO_SUCH_VAR:-main}\n";
  }
  ::setenv("RIPOSTE_TEST_HEC_TOKEN", "s3cr3t", 1);
  auto v = loadSinksConfig(dir);
  ASSERT_TRUE(v) << v.error().str();
  ASSERT_TRUE(v->is_array());
  const auto& item = v->as_array().at(0).as_object();
  EXPECT_EQ(S(item.at("token")), "s3cr3t");
  EXPECT_EQ(S(item.at("ack")), "true");
  EXPECT_EQ(S(item.at("index")), "main");
  {
    std::ofstream f(dir + "/riposte.yaml");
    f << "listen: 127.0.0.1:8080\n";
  }
  EXPECT_TRUE(loadSinksConfig(dir).value().is_null());
  std::filesystem::remove_all(dir);
}

// --- file ---

TEST(FileSinkTest, AppendsOneJsonLinePerRecord) {
  char tmpl[] = "/tmp/riposte-filesink-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string path = dir + "/sub/audit.jsonl";
  auto sink = makeFileSink({"f", path});
  auto recs = records(3);
  ASSERT_TRUE(sink->send({recs[0], recs[1]}));
  ASSERT_TRUE(sink->send({recs[2]}));
  std::ifstream in(path);
  std::string line;
  std::vector<int64_t> seqs;
  while (std::getline(in, line)) {
    auto v = parseJson(line);
    ASSERT_TRUE(v) << line;
    seqs.push_back(v->as_object().at("seq").as_int64());
  }
  EXPECT_EQ(seqs, (std::vector<int64_t>{1, 2, 3}));
  std::filesystem::remove_all(dir);
  auto bad = makeFileSink({"f", "/proc/riposte-no-such-dir/x.jsonl"});
  auto r = bad->send(recs);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kSinkUnavailable);
}

// --- syslog ---

// A loopback socket on a free port.
int listenOn(int type, uint16_t& port) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (type == SOCK_STREAM) ::listen(fd, 4);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Parses RFC 6587 octet-counted frames out of `buf`.
std::vector<std::string> unframe(const std::string& buf) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < buf.size()) {
    size_t sp = buf.find(' ', i);
    if (sp == std::string::npos) break;
    size_t n = std::stoul(buf.substr(i, sp - i));
    out.push_back(buf.substr(sp + 1, n));
    i = sp + 1 + n;
  }
  return out;
}

TEST(SyslogSinkTest, UdpSendsOneDatagramPerRecord) {
  uint16_t port = 0;
  int fd = listenOn(SOCK_DGRAM, port);
  SyslogSinkConfig c;
  c.name = "s";
  c.transport = "udp";
  c.port = port;
  c.header.hostname = "h";
  auto sink = makeSyslogSink(c);
  ASSERT_TRUE(sink->send(records(2)));
  for (int i = 1; i <= 2; ++i) {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    std::string m(buf, static_cast<size_t>(n));
    EXPECT_EQ(m.substr(0, 3), "<10");  // facility 13
    EXPECT_NE(m.find(" h riposte "), std::string::npos) << m;
    EXPECT_NE(m.find("seq=\"" + std::to_string(i) + "\""), std::string::npos) << m;
    EXPECT_NE(m.find("CEF:0|riposte|riposte|"), std::string::npos);
  }
  ::close(fd);
}

TEST(SyslogSinkTest, TcpUsesOctetCountingAndReconnectsAfterThePeerCloses) {
  uint16_t port = 0;
  int lfd = listenOn(SOCK_STREAM, port);
  SyslogSinkConfig c;
  c.name = "s";
  c.transport = "tcp";
  c.port = port;
  auto sink = makeSyslogSink(c);
  auto recs = records(3);
  ASSERT_TRUE(sink->send({recs[0], recs[1]}));
  int conn = ::accept(lfd, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  std::string got;
  while (unframe(got).size() < 2) {
    char buf[4096];
    ssize_t n = ::recv(conn, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<size_t>(n));
  }
  auto msgs = unframe(got);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].substr(0, 3), "<10");
  EXPECT_NE(msgs[1].find("seq=\"2\""), std::string::npos);
  ::close(conn);  // the server goes away …
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(sink->send({recs[2]}));  // … the sink notices and reconnects
  conn = ::accept(lfd, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  got.clear();
  while (unframe(got).empty()) {
    char buf[4096];
    ssize_t n = ::recv(conn, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(unframe(got)[0].find("seq=\"3\""), std::string::npos);
  ::close(conn);
  ::close(lfd);
}

TEST(SyslogSinkTest, RefusedConnectionIsUnavailable) {
  uint16_t port = 0;
  int lfd = listenOn(SOCK_STREAM, port);
  ::close(lfd);  // nothing listens there now
  SyslogSinkConfig c;
  c.name = "s";
  c.transport = "tcp";
  c.port = port;
  auto r = makeSyslogSink(c)->send(records(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kSinkUnavailable);
  EXPECT_NE(r.error().message.find("connect"), std::string::npos);
}

// --- Splunk HEC ---

// A HEC receiver: checks the token, records requests, answers like Splunk.
class HecReceiver {
 public:
  explicit HecReceiver(bool ack) : ack_(ack) {
    server::HttpServerOptions o;
    o.port = 0;
    server_ = std::make_unique<server::HttpServer>(
        o, [this](const server::HttpRequest& r) { return handle(r); });
    EXPECT_TRUE(server_->start());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  server::HttpResponse handle(const server::HttpRequest& r) {
    std::lock_guard lock(mu);
    requests.push_back(r);
    if (r.header("authorization") != "Splunk tok") {
      return server::HttpResponse::json(401, R"({"text":"Invalid token","code":4})");
    }
    if (down) return server::HttpResponse::json(503, R"({"text":"Server is busy","code":9})");
    if (r.path == "/services/collector/event") {
      if (r.body.find("\"poison\"") != std::string::npos) {
        return server::HttpResponse::json(400, R"({"text":"Invalid data format","code":6})");
      }
      if (!ack_) return server::HttpResponse::json(200, R"({"text":"Success","code":0})");
      return server::HttpResponse::json(
          200, R"({"text":"Success","code":0,"ackId":)" + std::to_string(next_ack++) + "}");
    }
    if (r.path == "/services/collector/ack") {
      ++ack_polls;
      auto v = parseJson(r.body).value();
      auto id = v.as_object().at("acks").as_array().at(0).as_int64();
      bool done = ack_polls > pending_polls;  // acknowledged after a few polls
      return server::HttpResponse::json(
          200, R"({"acks":{")" + std::to_string(id) + "\":" + (done ? "true" : "false") + "}}");
    }
    return server::HttpResponse::json(404, "{}");
  }

  std::mutex mu;
  std::vector<server::HttpRequest> requests;
  bool down = false;
  int next_ack = 0;
  int ack_polls = 0;
  int pending_polls = 2;

 private:
  bool ack_;
  std::unique_ptr<server::HttpServer> server_;
};

HecSinkConfig hecConfig(const std::string& url, bool ack) {
  HecSinkConfig c;
  c.name = "splunk";
  c.url = url + "/";
  c.token = "tok";
  c.fields.host = "riposte-1";
  c.fields.index = "security";
  c.ack = ack;
  c.ack_poll = std::chrono::milliseconds(5);
  c.ack_timeout = std::chrono::milliseconds(2000);
  return c;
}

TEST(HecSinkTest, BatchesEventsInOneRequestWithTheTokenHeader) {
  HecReceiver rx(false);
  auto sink = makeHecSink(hecConfig(rx.url(), false), aws::makeCurlTransport());
  ASSERT_TRUE(sink->send(records(3)));
  ASSERT_EQ(rx.requests.size(), 1u);
  const auto& req = rx.requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/services/collector/event");
  EXPECT_EQ(req.header("authorization"), "Splunk tok");
  EXPECT_EQ(req.header("x-splunk-request-channel"), "");
  // Three JSON objects, one per line.
  std::vector<json::object> events;
  size_t i = 0;
  while (i < req.body.size()) {
    size_t nl = req.body.find('\n', i);
    events.push_back(parseJson(req.body.substr(i, nl - i)).value().as_object());
    i = nl + 1;
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(S(events[0].at("sourcetype")), "riposte:incident");
  EXPECT_EQ(S(events[1].at("sourcetype")), "riposte:action");
  EXPECT_EQ(S(events[0].at("host")), "riposte-1");
  EXPECT_EQ(S(events[0].at("index")), "security");
  EXPECT_EQ(S(events[0].at("source")), "riposte");
  EXPECT_DOUBLE_EQ(events[2].at("time").to_number<double>(), 1700000000.003);
  EXPECT_EQ(S(events[2].at("event").as_object().at("seq")), "3");
}

TEST(HecSinkTest, AckProtocolWaitsUntilAcknowledged) {
  HecReceiver rx(true);
  auto sink = makeHecSink(hecConfig(rx.url(), true), aws::makeCurlTransport());
  ASSERT_TRUE(sink->send(records(2)));
  EXPECT_EQ(rx.ack_polls, 3);  // false, false, true
  ASSERT_EQ(rx.requests.size(), 4u);
  std::string channel = rx.requests[0].header("x-splunk-request-channel");
  EXPECT_EQ(channel.size(), 36u);  // a UUID
  for (const auto& r : rx.requests) EXPECT_EQ(r.header("x-splunk-request-channel"), channel);
  EXPECT_EQ(rx.requests[1].path, "/services/collector/ack");
  EXPECT_EQ(rx.requests[1].body, R"({"acks":[0]})");
}

TEST(HecSinkTest, NeverAcknowledgedIsUnavailable) {
  HecReceiver rx(true);
  rx.pending_polls = 1000000;
  auto c = hecConfig(rx.url(), true);
  c.ack_timeout = std::chrono::milliseconds(50);
  auto r = makeHecSink(c, aws::makeCurlTransport())->send(records(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kSinkUnavailable);
  EXPECT_NE(r.error().message.find("not acknowledged"), std::string::npos);
}

TEST(HecSinkTest, StatusesMapToRetryOrReject) {
  HecReceiver rx(false);
  auto sink = makeHecSink(hecConfig(rx.url(), false), aws::makeCurlTransport());
  rx.down = true;
  EXPECT_EQ(sink->send(records(1)).error().code, kSinkUnavailable);
  rx.down = false;
  auto poison = records(1);
  poison[0].json = R"({"x":"poison"})";
  EXPECT_EQ(sink->send(poison).error().code, kSinkRejected);
  auto bad_token = hecConfig(rx.url(), false);
  bad_token.token = "wrong";
  auto r = makeHecSink(bad_token, aws::makeCurlTransport())->send(records(1));
  EXPECT_EQ(r.error().code, kSinkUnavailable);  // retried: a token fix must not lose records
  EXPECT_NE(r.error().message.find("HTTP 401"), std::string::npos);
  auto nowhere = hecConfig("http://127.0.0.1:1", false);
  EXPECT_EQ(makeHecSink(nowhere, aws::makeCurlTransport())->send(records(1)).error().code,
            kSinkUnavailable);
}

}  // namespace
}  // namespace riposte::sinks
