#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "aws/arn.h"
#include "config/document.h"
#include "core/text.h"
#include "sinks/builtin.h"

namespace riposte::sinks {
namespace {

using config::Field;
using config::Schema;

Schema nameField() {
  return Schema::string("unique among the sinks; keys the sink's durable cursor");
}

Schema timeoutMs(int64_t max, std::string doc) {
  return Schema::integer(1, max, std::move(doc));
}

Schema fileSchema() {
  return Schema::object(
      {
          Field("name", nameField()).needed(),
          Field("path", Schema::string("the JSON-lines file, appended and fsync'd per batch"))
              .needed(),
      },
      "a JSON-lines file");
}

Schema syslogSchema() {
  return Schema::object(
      {
          Field("name", nameField()).needed(),
          Field("transport", Schema::oneOf({"udp", "tcp", "tls"}, "how messages are sent"))
              .byDefault("udp"),
          Field("host", Schema::string("the syslog server")).byDefault("127.0.0.1"),
          Field("port", Schema::integer(1, 65535, "the syslog server's port"))
              .defaultText("514; 6514 with tls"),
          Field("facility", Schema::integer(0, 23, "RFC 5424 facility")).byDefault(13),
          Field("app_name", Schema::string("RFC 5424 APP-NAME")).byDefault("riposte"),
          Field("hostname", Schema::string("RFC 5424 HOSTNAME")).defaultText("this host's name"),
          Field("ca_file", Schema::string("tls: the CA bundle that verifies the server"))
              .defaultText("the system's"),
          Field("verify", Schema::boolean("tls: verify the certificate and host name"))
              .byDefault(true),
          Field("server_name", Schema::string("tls: the name verified")).defaultText("host"),
          Field("timeout_ms", timeoutMs(600000, "connect and send timeout, milliseconds"))
              .byDefault(5000),
      },
      "RFC 5424 syslog with CEF, over udp, tcp or tls");
}

Schema hecSchema() {
  return Schema::object(
      {
          Field("name", nameField()).needed(),
          Field("url", Schema::url({"http", "https"}, "the HEC base URL (https://splunk:8088)"))
              .needed(),
          Field("token", Schema::string("the HEC token (use ${VAR})")
                             .withParser([](const json::value& v) -> std::vector<config::Problem> {
                               if (v.is_string() && v.get_string().empty())
                                 return {{"", "is empty"}};
                               return {};
                             }))
              .needed(),
          Field("index", Schema::string("the Splunk index")).defaultText("the token's"),
          Field("host", Schema::string("the events' host field")).defaultText("this host's name"),
          Field("source", Schema::string("the events' source field")).byDefault("riposte"),
          Field("ack", Schema::boolean("use the indexer acknowledgement protocol"))
              .byDefault(false),
          Field("channel", Schema::string("X-Splunk-Request-Channel"))
              .defaultText("a generated UUID"),
          Field("ack_poll_ms", timeoutMs(60000, "ack: how often acknowledgements are polled, ms"))
              .byDefault(200),
          Field("ack_timeout_ms",
                timeoutMs(3600000, "ack: how long a batch may wait for its acknowledgement, ms"))
              .byDefault(30000),
          Field("timeout_ms", timeoutMs(600000, "request timeout, milliseconds")).byDefault(10000),
      },
      "Splunk HTTP Event Collector");
}

Schema eventsField() {
  return Schema::list(Schema::oneOf({"approval", "failure", "incident", "breaker"},
                                    "approval: requests and decisions; failure: executions that "
                                    "failed uncaught and approvals their deadline decided; "
                                    "incident: opened and its end status; breaker: the circuit "
                                    "breaker opened or closed"),
                      "what this sink tells people of");
}

Schema webhookSchema() {
  std::vector<std::string> formats(std::begin(kNotifyFormats), std::end(kNotifyFormats));
  return Schema::object(
      {
          Field("name", nameField()).needed(),
          Field("format", Schema::oneOf(formats,
                                        "the service's message format: Slack incoming webhook "
                                        "(Block Kit), Microsoft Teams (Adaptive Card), PagerDuty "
                                        "Events API v2, Jira (create issue), generic JSON"))
              .needed(),
          Field("url", Schema::url({"https", "http"},
                                   "where messages are POSTed (a Slack or Teams webhook URL is "
                                   "a secret: use ${VAR}); jira: the site, the API path is "
                                   "appended"))
              .defaultText("pagerduty: https://events.pagerduty.com/v2/enqueue; else required"),
          Field("events", eventsField()).byDefault(json::array{"approval", "failure", "breaker"}),
          Field("routing_key", Schema::string("pagerduty: the integration's routing key (use "
                                              "${VAR})"))
              .defaultText("required for pagerduty"),
          Field("source", Schema::string("pagerduty: payload.source")).byDefault("riposte"),
          Field("project", Schema::string("jira: the project key issues are created in"))
              .defaultText("required for jira"),
          Field("issue_type", Schema::string("jira: the issue type")).byDefault("Task"),
          Field("user", Schema::string("jira: the account (e-mail) of the API token"))
              .defaultText("required for jira"),
          Field("api_token", Schema::string("jira: the API token (use ${VAR})"))
              .defaultText("required for jira"),
          Field("authorization",
                Schema::string("generic: the Authorization header's value (use ${VAR})"))
              .defaultText("none"),
          Field("timeout_ms", timeoutMs(600000, "request timeout, milliseconds")).byDefault(10000),
      },
      "notifications to people over a webhook");
}

Schema snsSchema() {
  return Schema::object(
      {
          Field("name", nameField()).needed(),
          Field("topic_arn", Schema::string("the SNS topic (arn:aws:sns:REGION:ACCOUNT:NAME)"))
              .needed(),
          Field("events", eventsField()).byDefault(json::array{"approval", "failure", "breaker"}),
      },
      "notifications to people through an SNS topic");
}

std::set<std::string> itemEvents(const json::object& item) {
  std::set<std::string> out;
  if (const json::value* e = item.if_contains("events"); e && e->is_array())
    for (const auto& v : e->get_array())
      if (v.is_string()) out.emplace(v.get_string());
  return out;
}

Error itemProblem(const std::string& where, const std::string& field, const std::string& what) {
  return Error{"InvalidSinkConfig", where + "." + field + ": " + what};
}

Result<std::unique_ptr<Sink>> webhookFactory(const json::object& item, const std::string& where,
                                             const SinkContext& ctx) {
  WebhookSinkConfig c;
  c.name = itemString(item, "name");
  c.format.format = itemString(item, "format");
  c.url = itemString(item, "url");
  c.events = itemEvents(item);
  const std::string& f = c.format.format;
  if (c.url.empty() && f == "pagerduty") c.url = "https://events.pagerduty.com/v2/enqueue";
  if (c.url.empty()) return fail(itemProblem(where, "url", "is required for format " + f));
  auto needed = [&](const char* field) -> Result<std::string> {
    std::string v = itemString(item, field);
    if (v.empty()) return fail(itemProblem(where, field, "is required for format " + f));
    return v;
  };
  if (f == "pagerduty") {
    auto k = needed("routing_key");
    if (!k) return fail(k.error());
    c.format.routing_key = *k;
    c.format.source = itemString(item, "source", "riposte");
  } else if (f == "jira") {
    auto p = needed("project");
    if (!p) return fail(p.error());
    auto u = needed("user");
    if (!u) return fail(u.error());
    auto t = needed("api_token");
    if (!t) return fail(t.error());
    c.format.project = *p;
    c.format.issue_type = itemString(item, "issue_type", "Task");
    while (!c.url.empty() && c.url.back() == '/') c.url.pop_back();
    c.url += "/rest/api/2/issue";
    c.headers.emplace_back("Authorization", "Basic " + text::base64Encode(*u + ":" + *t));
  }
  if (auto a = itemString(item, "authorization"); !a.empty())
    c.headers.emplace_back("Authorization", a);
  aws::CurlOptions opts;
  opts.total_timeout = std::chrono::milliseconds(itemInt(item, "timeout_ms", 10000));
  return makeWebhookSink(std::move(c), aws::makeCurlTransport(opts), ctx.approval_links);
}

Result<std::unique_ptr<Sink>> snsFactory(const json::object& item, const std::string& where,
                                         const SinkContext& ctx) {
  SnsSinkConfig c;
  c.name = itemString(item, "name");
  c.topic_arn = itemString(item, "topic_arn");
  c.events = itemEvents(item);
  const auto topic = aws::parseSnsTopicArn(c.topic_arn);
  if (!topic)
    return fail(itemProblem(where, "topic_arn",
                            "'" + c.topic_arn +
                                "' is not an SNS topic ARN "
                                "(arn:aws:sns:REGION:ACCOUNT:NAME)"));
  c.region = topic->region;
  return makeSnsSink(std::move(c), ctx.aws, ctx.approval_links);
}

Result<std::unique_ptr<Sink>> fileFactory(const json::object& item, const std::string&,
                                          const SinkContext&) {
  FileSinkConfig c;
  c.name = itemString(item, "name");
  c.path = itemString(item, "path");
  return makeFileSink(std::move(c));
}

Result<std::unique_ptr<Sink>> syslogFactory(const json::object& item, const std::string&,
                                            const SinkContext&) {
  SyslogSinkConfig c;
  c.name = itemString(item, "name");
  c.transport = itemString(item, "transport", "udp");
  c.host = itemString(item, "host", "127.0.0.1");
  c.port = static_cast<int>(itemInt(item, "port", c.transport == "tls" ? 6514 : 514));
  c.header.facility = static_cast<int>(itemInt(item, "facility", 13));
  c.header.app_name = itemString(item, "app_name", "riposte");
  c.header.hostname = itemString(item, "hostname", localHostname());
  c.header.procid = std::to_string(::getpid());
  c.ca_file = itemString(item, "ca_file");
  c.verify = itemBool(item, "verify", true);
  c.server_name = itemString(item, "server_name");
  c.timeout = std::chrono::milliseconds(itemInt(item, "timeout_ms", 5000));
  return makeSyslogSink(std::move(c));
}

Result<std::unique_ptr<Sink>> hecFactory(const json::object& item, const std::string&,
                                         const SinkContext&) {
  HecSinkConfig c;
  c.name = itemString(item, "name");
  c.url = itemString(item, "url");
  c.token = itemString(item, "token");
  c.fields.index = itemString(item, "index");
  c.fields.host = itemString(item, "host", localHostname());
  c.fields.source = itemString(item, "source", "riposte");
  c.ack = itemBool(item, "ack", false);
  c.channel = itemString(item, "channel");
  c.ack_poll = std::chrono::milliseconds(itemInt(item, "ack_poll_ms", 200));
  c.ack_timeout = std::chrono::milliseconds(itemInt(item, "ack_timeout_ms", 30000));
  aws::CurlOptions opts;
  opts.total_timeout = std::chrono::milliseconds(itemInt(item, "timeout_ms", 10000));
  return makeHecSink(std::move(c), aws::makeCurlTransport(opts));
}

// The names of the items are unique (each keys a durable cursor).
std::vector<config::Problem> uniqueNames(const json::value& v) {
  std::vector<config::Problem> out;
  if (!v.is_array()) return out;
  std::map<std::string, std::size_t> seen;
  const auto& a = v.get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto* o = a[i].if_object();
    const json::value* n = o != nullptr ? o->if_contains("name") : nullptr;
    if (n == nullptr || !n->is_string()) continue;
    const std::string name(n->get_string());
    if (auto it = seen.find(name); it != seen.end()) {
      out.push_back({"[" + std::to_string(i) + "].name", "'" + name + "' is the name of sinks[" +
                                                             std::to_string(it->second) +
                                                             "] too (names must be unique)"});
    } else {
      seen.emplace(name, i);
    }
  }
  return out;
}

}  // namespace

std::string itemString(const json::object& item, std::string_view field,
                       const std::string& fallback) {
  const json::value* v = item.if_contains(field);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : fallback;
}

int64_t itemInt(const json::object& item, std::string_view field, int64_t fallback) {
  const json::value* v = item.if_contains(field);
  return v != nullptr && v->is_int64() ? v->get_int64() : fallback;
}

bool itemBool(const json::object& item, std::string_view field, bool fallback) {
  const json::value* v = item.if_contains(field);
  return v != nullptr && v->is_bool() ? v->get_bool() : fallback;
}

std::string localHostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "-";
  return buf;
}

Result<void> SinkRegistry::add(const std::string& type, config::Schema schema,
                               SinkFactory factory) {
  if (!types_.emplace(type, Type{std::move(schema), std::move(factory)}).second) {
    return fail("DuplicateSinkType", "sink type '" + type + "' is registered twice");
  }
  return {};
}

Result<const SinkFactory*> SinkRegistry::find(const std::string& type) const {
  auto it = types_.find(type);
  if (it != types_.end()) return &it->second.factory;
  std::string known;
  for (const auto& t : types()) known += (known.empty() ? "" : ", ") + t;
  return fail("UnknownSinkType", "unknown sink type '" + type + "' (known: " + known + ")");
}

std::vector<std::string> SinkRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : types_) out.push_back(k);
  return out;
}

Result<void> SinkRegistry::registerConfig(config::Registry& registry) const {
  for (const auto& [name, t] : types_) {
    if (auto r = registry.addType("sink", name, t.schema); !r) return r;
  }
  return {};
}

config::Schema SinkRegistry::schema() const {
  config::Registry r;
  (void)registerConfig(r);  // a fresh registry: no duplicate
  return Schema::list(r.tagged("sink", "type", "one SIEM sink"),
                      "SIEM sinks fed from the audit log")
      .withParser(uniqueNames);
}

Result<void> registerBuiltinSinks(SinkRegistry& registry) {
  if (auto r = registry.add("file", fileSchema(), fileFactory); !r) return r;
  if (auto r = registry.add("splunk_hec", hecSchema(), hecFactory); !r) return r;
  if (auto r = registry.add("webhook", webhookSchema(), webhookFactory); !r) return r;
  if (auto r = registry.add("sns", snsSchema(), snsFactory); !r) return r;
  return registry.add("syslog", syslogSchema(), syslogFactory);
}

Result<void> registerConfig(config::Registry& registry) {
  SinkRegistry sinks;
  if (auto r = registerBuiltinSinks(sinks); !r) return r;
  return sinks.registerConfig(registry);
}

Result<std::vector<std::unique_ptr<Sink>>> makeSinks(const json::value& cfg,
                                                     const SinkRegistry& registry,
                                                     const SinkContext& ctx) {
  std::vector<std::unique_ptr<Sink>> out;
  if (cfg.is_null()) return out;
  // Held to the schema first (a copy: the defaults are written into it).
  json::value items = cfg;
  config::Node node;
  std::vector<config::Problem> problems;
  config::check(registry.schema(), items, node, "sinks", problems);
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "\n") + p.path + ": " + p.message;
    return fail("InvalidSinkConfig", msg);
  }
  const auto& list = items.get_array();
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& item = list[i].get_object();
    const std::string name = itemString(item, "name");
    const std::string where = "sinks[" + std::to_string(i) + "] (" + name + ")";
    auto factory = registry.find(itemString(item, "type"));
    if (!factory) return fail(Error{factory.error().code, where + ": " + factory.error().message});
    auto sink = (**factory)(item, where, ctx);
    if (!sink) return fail(sink.error());
    out.push_back(std::move(*sink));
  }
  return out;
}

Result<std::vector<std::unique_ptr<Sink>>> makeSinks(const json::value& sinks_config,
                                                     const SinkContext& ctx) {
  SinkRegistry registry;
  if (auto r = registerBuiltinSinks(registry); !r) return fail(r.error());
  return makeSinks(sinks_config, registry, ctx);
}

Result<json::value> loadSinksConfig(const std::string& config_dir) {
  std::string path = config_dir + "/riposte.yaml";
  std::ifstream in(path);
  if (!in) return fail("InvalidSinkConfig", "cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<config::Located> problems;
  auto doc = config::readYaml(ss.str(), "riposte.yaml", problems);
  if (doc) {
    std::vector<config::Located> unset;
    doc->unsetProblems(unset);
    for (auto& u : unset)
      if (u.path.starts_with("sinks")) problems.push_back(std::move(u));
  }
  if (!problems.empty()) return fail("InvalidSinkConfig", problems.front().str());
  if (!doc->value.is_object()) return json::value(nullptr);
  auto it = doc->value.as_object().find("sinks");
  if (it == doc->value.as_object().end()) return json::value(nullptr);
  return it->value();
}

}  // namespace riposte::sinks
