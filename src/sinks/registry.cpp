#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/config.h"
#include "sinks/builtin.h"

namespace riposte::sinks {
namespace {

Error configError(const std::string& where, const std::string& field, const std::string& what) {
  return Error{"InvalidSinkConfig", where + ": field '" + field + "' " + what};
}

// "${VAR}" and "${VAR:-default}" → the environment's value, in every string of `v`.
void expandEnv(json::value& v) {
  if (v.is_string()) {
    std::string s(v.as_string());
    std::string out;
    size_t i = 0;
    while (i < s.size()) {
      size_t open = s.find("${", i);
      size_t close = open == std::string::npos ? open : s.find('}', open);
      if (close == std::string::npos) {
        out += s.substr(i);
        break;
      }
      out += s.substr(i, open - i);
      std::string name = s.substr(open + 2, close - open - 2);
      std::string fallback;
      if (size_t d = name.find(":-"); d != std::string::npos) {
        fallback = name.substr(d + 2);
        name.resize(d);
      }
      const char* env = std::getenv(name.c_str());
      out += env != nullptr && *env != '\0' ? std::string(env) : fallback;
      i = close + 1;
    }
    v = json::string(out);
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) expandEnv(e);
  } else if (v.is_object()) {
    for (auto& kv : v.as_object()) expandEnv(kv.value());
  }
}

Result<std::unique_ptr<Sink>> fileFactory(const json::object& item, const std::string& where) {
  if (auto r = configOnly(item, where, {"type", "name", "path"}); !r) return fail(r.error());
  FileSinkConfig c;
  auto name = configString(item, where, "name", std::nullopt);
  if (!name) return fail(name.error());
  auto path = configString(item, where, "path", std::nullopt);
  if (!path) return fail(path.error());
  c.name = *name;
  c.path = *path;
  return makeFileSink(std::move(c));
}

Result<std::unique_ptr<Sink>> syslogFactory(const json::object& item, const std::string& where) {
  if (auto r = configOnly(item, where,
                          {"type", "name", "transport", "host", "port", "facility", "app_name",
                           "hostname", "ca_file", "verify", "server_name", "timeout_ms"});
      !r) {
    return fail(r.error());
  }
  SyslogSinkConfig c;
#define RIPOSTE_SINK_FIELD(var, expr) \
  auto var = (expr);                  \
  if (!var) return fail(var.error());
  RIPOSTE_SINK_FIELD(name, configString(item, where, "name", std::nullopt));
  RIPOSTE_SINK_FIELD(transport, configString(item, where, "transport", std::string("udp")));
  if (*transport != "udp" && *transport != "tcp" && *transport != "tls") {
    return fail(
        configError(where, "transport", "must be one of udp, tcp, tls (got '" + *transport + "')"));
  }
  RIPOSTE_SINK_FIELD(host, configString(item, where, "host", std::string("127.0.0.1")));
  RIPOSTE_SINK_FIELD(port,
                     configInt(item, where, "port", *transport == "tls" ? 6514 : 514, 1, 65535));
  RIPOSTE_SINK_FIELD(facility, configInt(item, where, "facility", 13, 0, 23));
  RIPOSTE_SINK_FIELD(app, configString(item, where, "app_name", std::string("riposte")));
  RIPOSTE_SINK_FIELD(hostname, configString(item, where, "hostname", localHostname()));
  RIPOSTE_SINK_FIELD(ca, configString(item, where, "ca_file", std::string()));
  RIPOSTE_SINK_FIELD(verify, configBool(item, where, "verify", true));
  RIPOSTE_SINK_FIELD(server_name, configString(item, where, "server_name", std::string()));
  RIPOSTE_SINK_FIELD(timeout, configInt(item, where, "timeout_ms", 5000, 1, 600000));
  c.name = *name;
  c.transport = *transport;
  c.host = *host;
  c.port = static_cast<int>(*port);
  c.header.facility = static_cast<int>(*facility);
  c.header.app_name = *app;
  c.header.hostname = *hostname;
  c.header.procid = std::to_string(::getpid());
  c.ca_file = *ca;
  c.verify = *verify;
  c.server_name = *server_name;
  c.timeout = std::chrono::milliseconds(*timeout);
  return makeSyslogSink(std::move(c));
}

Result<std::unique_ptr<Sink>> hecFactory(const json::object& item, const std::string& where) {
  if (auto r = configOnly(item, where,
                          {"type", "name", "url", "token", "index", "host", "source", "ack",
                           "channel", "ack_poll_ms", "ack_timeout_ms", "timeout_ms"});
      !r) {
    return fail(r.error());
  }
  HecSinkConfig c;
  RIPOSTE_SINK_FIELD(name, configString(item, where, "name", std::nullopt));
  RIPOSTE_SINK_FIELD(url, configString(item, where, "url", std::nullopt));
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    return fail(configError(where, "url", "must start with http:// or https://"));
  }
  RIPOSTE_SINK_FIELD(token, configString(item, where, "token", std::nullopt));
  if (token->empty()) return fail(configError(where, "token", "is empty"));
  RIPOSTE_SINK_FIELD(index, configString(item, where, "index", std::string()));
  RIPOSTE_SINK_FIELD(host, configString(item, where, "host", localHostname()));
  RIPOSTE_SINK_FIELD(source, configString(item, where, "source", std::string("riposte")));
  RIPOSTE_SINK_FIELD(ack, configBool(item, where, "ack", false));
  RIPOSTE_SINK_FIELD(channel, configString(item, where, "channel", std::string()));
  RIPOSTE_SINK_FIELD(poll, configInt(item, where, "ack_poll_ms", 200, 1, 60000));
  RIPOSTE_SINK_FIELD(ack_timeout, configInt(item, where, "ack_timeout_ms", 30000, 1, 3600000));
  RIPOSTE_SINK_FIELD(timeout, configInt(item, where, "timeout_ms", 10000, 1, 600000));
#undef RIPOSTE_SINK_FIELD
  c.name = *name;
  c.url = *url;
  c.token = *token;
  c.fields.index = *index;
  c.fields.host = *host;
  c.fields.source = *source;
  c.ack = *ack;
  c.channel = *channel;
  c.ack_poll = std::chrono::milliseconds(*poll);
  c.ack_timeout = std::chrono::milliseconds(*ack_timeout);
  aws::CurlOptions opts;
  opts.total_timeout = std::chrono::milliseconds(*timeout);
  return makeHecSink(std::move(c), aws::makeCurlTransport(opts));
}

}  // namespace

Result<std::string> configString(const json::object& item, const std::string& where,
                                 const std::string& field, std::optional<std::string> fallback) {
  auto it = item.find(field);
  if (it == item.end() || it->value().is_null()) {
    if (fallback) return *fallback;
    return fail(configError(where, field, "is required"));
  }
  if (!it->value().is_string()) return fail(configError(where, field, "must be a string"));
  return std::string(it->value().as_string());
}

Result<int64_t> configInt(const json::object& item, const std::string& where,
                          const std::string& field, int64_t fallback, int64_t min, int64_t max) {
  auto it = item.find(field);
  if (it == item.end() || it->value().is_null()) return fallback;
  const auto& v = it->value();
  int64_t n = 0;
  if (v.is_int64()) {
    n = v.as_int64();
  } else if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(max)) {
    n = static_cast<int64_t>(v.as_uint64());
  } else {
    return fail(configError(where, field, "must be an integer"));
  }
  if (n < min || n > max) {
    return fail(configError(where, field,
                            "must be between " + std::to_string(min) + " and " +
                                std::to_string(max) + " (got " + std::to_string(n) + ")"));
  }
  return n;
}

Result<bool> configBool(const json::object& item, const std::string& where,
                        const std::string& field, bool fallback) {
  auto it = item.find(field);
  if (it == item.end() || it->value().is_null()) return fallback;
  if (!it->value().is_bool()) return fail(configError(where, field, "must be true or false"));
  return it->value().as_bool();
}

Result<void> configOnly(const json::object& item, const std::string& where,
                        std::initializer_list<const char*> known) {
  for (const auto& kv : item) {
    bool ok = false;
    for (const char* k : known) ok = ok || kv.key() == k;
    if (!ok) {
      std::string list;
      for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
      return fail(configError(where, std::string(kv.key()), "is unknown (known: " + list + ")"));
    }
  }
  return {};
}

std::string localHostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "-";
  return buf;
}

Result<void> SinkRegistry::add(const std::string& type, SinkFactory factory) {
  if (!factories_.emplace(type, std::move(factory)).second) {
    return fail("DuplicateSinkType", "sink type '" + type + "' is registered twice");
  }
  return {};
}

Result<const SinkFactory*> SinkRegistry::find(const std::string& type) const {
  auto it = factories_.find(type);
  if (it != factories_.end()) return &it->second;
  std::string known;
  for (const auto& t : types()) known += (known.empty() ? "" : ", ") + t;
  return fail("UnknownSinkType", "unknown sink type '" + type + "' (known: " + known + ")");
}

std::vector<std::string> SinkRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : factories_) out.push_back(k);
  return out;
}

Result<void> registerBuiltinSinks(SinkRegistry& registry) {
  if (auto r = registry.add("file", fileFactory); !r) return r;
  if (auto r = registry.add("splunk_hec", hecFactory); !r) return r;
  return registry.add("syslog", syslogFactory);
}

Result<std::vector<std::unique_ptr<Sink>>> makeSinks(const json::value& cfg,
                                                     const SinkRegistry& registry) {
  std::vector<std::unique_ptr<Sink>> out;
  if (cfg.is_null()) return out;
  if (!cfg.is_array()) return fail("InvalidSinkConfig", "sinks: must be a list");
  std::set<std::string> names;
  const auto& items = cfg.as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    std::string where = "sinks[" + std::to_string(i) + "]";
    if (!items[i].is_object()) return fail("InvalidSinkConfig", where + ": must be a mapping");
    const auto& item = items[i].as_object();
    auto name = configString(item, where, "name", std::nullopt);
    if (!name) return fail(name.error());
    if (name->empty()) return fail(configError(where, "name", "is empty"));
    where += " (" + *name + ")";
    if (!names.insert(*name).second) {
      return fail(configError(where, "name", "is used by another sink"));
    }
    auto type = configString(item, where, "type", std::nullopt);
    if (!type) return fail(type.error());
    auto factory = registry.find(*type);
    if (!factory) return fail(Error{factory.error().code, where + ": " + factory.error().message});
    auto sink = (**factory)(item, where);
    if (!sink) return fail(sink.error());
    out.push_back(std::move(*sink));
  }
  return out;
}

Result<std::vector<std::unique_ptr<Sink>>> makeSinks(const json::value& sinks_config) {
  SinkRegistry registry;
  if (auto r = registerBuiltinSinks(registry); !r) return fail(r.error());
  return makeSinks(sinks_config, registry);
}

Result<json::value> loadSinksConfig(const std::string& config_dir) {
  std::string path = config_dir + "/riposte.yaml";
  std::ifstream in(path);
  if (!in) return fail("InvalidSinkConfig", "cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  auto v = engine::yamlToJson(ss.str(), "riposte.yaml");
  if (!v) return fail(v.error());
  if (!v->is_object()) return json::value(nullptr);
  auto it = v->as_object().find("sinks");
  if (it == v->as_object().end()) return json::value(nullptr);
  json::value sinks = it->value();
  expandEnv(sinks);
  return sinks;
}

}  // namespace riposte::sinks
