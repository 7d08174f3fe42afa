#include "cli/serve_runtime.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "cli/config_loader.h"
#include "config/document.h"
#include "config/expand.h"
#include "core/log.h"
#include "server/auth.h"
#include "server/http_server.h"
#include "sinks/sink.h"
#include "sources/sqs_poller.h"
#include "store/store.h"

namespace riposte::cli {

namespace fs = std::filesystem;

namespace {

// A problem of riposte.yaml that is about the running process, not about the file (a changed
// store a running riposte cannot apply): located at the key's value when the file has it.
std::string problem(const std::string& dir, const std::string& key, const std::string& message) {
  std::vector<config::Located> ignored;
  std::ifstream in(fs::path(dir) / "riposte.yaml", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  config::Mark at;
  if (auto doc = config::readYaml(text.str(), "riposte.yaml", ignored, /*expand=*/false);
      doc && doc->root.member(key) != nullptr) {
    at = doc->root.member(key)->mark;
  }
  return dir + "/" + config::Located{"riposte.yaml", at, key, message}.str();
}

// The configured sinks, and two more riposte keeps itself: notifications.on_failure's SNS topic
// ("on_failure", events [failure]) when it is on and has a topic, and the circuit breaker's
// alert ("breaker", events [breaker], to notifications.sns_topic_arn) when a breaker is
// configured. Sent from the audit log like every notification: a crash does not lose them.
json::value sinksSetting(const engine::Config& c) {
  auto it = c.settings.find("sinks");
  json::value out = it == c.settings.end() ? json::value(nullptr) : it->value();
  auto add = [&](const char* name, const std::string& topic, const char* event) {
    if (!out.is_array()) out = json::array();
    out.as_array().push_back(json::object{
        {"type", "sns"}, {"name", name}, {"topic_arn", topic}, {"events", json::array{event}}});
  };
  if (c.on_failure.enabled && !c.on_failure.sns_topic_arn.empty())
    add("on_failure", c.on_failure.sns_topic_arn, "failure");
  if (c.guard_rails.breaker && !c.sns_topic_arn.empty()) add("breaker", c.sns_topic_arn, "breaker");
  return out;
}

// Whether a notification sink of `sinks` (the JSON of sinksSetting) tells of failures: a
// webhook or sns item whose events (by default approval and failure) hold "failure".
bool failureAlertsGo(const json::value& sinks) {
  if (!sinks.is_array()) return false;
  for (const auto& item : sinks.get_array()) {
    const json::object* o = item.if_object();
    const json::value* type = o ? o->if_contains("type") : nullptr;
    if (!type || !type->is_string() ||
        (type->get_string() != "webhook" && type->get_string() != "sns"))
      continue;
    const json::value* events = o->if_contains("events");
    if (!events) return true;  // the default: approval and failure
    if (events->is_array())
      for (const auto& e : events->get_array())
        if (e.is_string() && e.get_string() == "failure") return true;
  }
  return false;
}

std::string pollerKey(const engine::SqsSource& q) {
  return q.queue_url + "|" + q.region + "|" + std::to_string(q.wait_seconds);
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<std::string> strings(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_array())
    for (const auto& e : v.get_array())
      if (e.is_string()) out.emplace_back(e.get_string());
  return out;
}

}  // namespace

LoadResult loadChecked(const std::string& dir) {
  LoadResult out;
  std::ostringstream text;
  auto cfg = loadConfigChecked(dir, text);
  // One problem per line, "<dir>/<file>:<line>:<column>: <path>: <message>".
  std::istringstream lines(text.str());
  for (std::string line; std::getline(lines, line);) out.problems.push_back(std::move(line));
  if (!cfg) {
    if (out.problems.empty()) out.problems.push_back(dir + ": " + cfg.error().message);
    return out;
  }
  if (auto s = sinks::makeSinks(sinksSetting(*cfg)); !s) {
    out.problems.push_back(problem(dir, "sinks", s.error().message));
    return out;
  }
  out.config = std::move(*cfg);
  return out;
}

// ---------------------------------------------------------------- the runtime

struct ServeRuntime::Impl {
  ServeOptions opt;

  // The configuration in force, with the flags' overrides applied. Written by reload() only.
  mutable std::mutex mu;  // guards current, sinks, bound
  engine::Config current;
  std::string bound;  // "host:port" once the HTTP server listens
  std::mutex reload_mu;

  std::shared_ptr<store::Store> store;
  std::unique_ptr<engine::Engine> engine;

  struct SinkSlot {
    std::string name;
    std::string config;  // the item's JSON: a change restarts the sink
    std::unique_ptr<sinks::SinkRunner> runner;
  };
  std::vector<SinkSlot> sinks;
  // What sinks get from the running riposte: approval links (from the engine, so made with the
  // configuration in force when the message is rendered) and the AWS client.
  sinks::SinkContext sinkContext() {
    sinks::SinkContext ctx;
    ctx.aws = opt.aws;
    ctx.approval_links = [this](const json::object& requested) {
      return engine ? engine->approvalLinks(requested) : json::object();
    };
    return ctx;
  }

  struct Poller {
    std::string key;
    std::string queue_url;
    std::unique_ptr<sources::SqsPoller> poller;
    std::atomic<bool> running{true};
    std::thread thread;
  };
  std::vector<std::unique_ptr<Poller>> pollers;
  // Asked to stop by a reload, still finishing their last long poll: joined at stop.
  std::vector<std::unique_ptr<Poller>> retiring;

  std::unique_ptr<server::Api> api;
  std::unique_ptr<server::HttpServer> http;

  void applyOverrides(engine::Config& c) const {
    if (!opt.listen.empty()) c.listen = opt.listen;
    if (!opt.store_url.empty()) c.store_url = opt.store_url;
  }

  // The runners for `setting`, reusing those of `keep` whose item did not change (moved out of
  // `keep`; what is left there is to be stopped). `built` are the sinks makeSinks made of
  // `setting`, in its order.
  std::vector<SinkSlot> sinkSlots(const json::value& setting,
                                  std::vector<std::unique_ptr<sinks::Sink>> built,
                                  std::vector<SinkSlot>& keep, std::vector<std::string>& started) {
    std::vector<SinkSlot> out;
    const json::array empty;
    const json::array& items = setting.is_array() ? setting.get_array() : empty;
    for (std::size_t i = 0; i < built.size(); ++i) {
      SinkSlot slot;
      slot.name = built[i]->name();
      slot.config = i < items.size() ? json::serialize(items[i]) : std::string();
      auto same = std::find_if(keep.begin(), keep.end(), [&](const SinkSlot& k) {
        return k.runner && k.name == slot.name && k.config == slot.config;
      });
      if (same != keep.end()) {
        slot.runner = std::move(same->runner);
      } else {
        // Several workers on one store: each sink is delivered by one of them (its lease).
        sinks::SinkRunnerOptions o = opt.sinks;
        if (o.worker_id.empty() && engine) o.worker_id = engine->workerId();
        slot.runner = std::make_unique<sinks::SinkRunner>(store, std::move(built[i]), o);
        started.push_back(slot.name);
      }
      out.push_back(std::move(slot));
    }
    return out;
  }

  std::unique_ptr<Poller> startPoller(const engine::SqsSource& q) {
    auto p = std::make_unique<Poller>();
    p->key = pollerKey(q);
    p->queue_url = q.queue_url;
    sources::SqsSourceConfig sc;
    sc.queue_url = q.queue_url;
    sc.region = q.region;
    sc.wait_seconds = q.wait_seconds;
    engine::Engine* eng = engine.get();
    p->poller = std::make_unique<sources::SqsPoller>(
        sc, *opt.aws,
        [eng](const std::vector<sources::NormalizedEvent>& evs) { return eng->ingest(evs, "sqs"); },
        *opt.clock);
    p->thread = std::thread([raw = p.get()] { raw->poller->run(raw->running); });
    logInfo("polling SQS queue", {{"queue", q.queue_url}});
    return p;
  }

  void stopPollers() {
    for (auto& p : pollers) p->running = false;
    for (auto& p : retiring) p->running = false;
    for (auto& p : pollers)
      if (p->thread.joinable()) p->thread.join();
    for (auto& p : retiring)
      if (p->thread.joinable()) p->thread.join();
    pollers.clear();
    retiring.clear();
  }

  json::object running() const {
    std::lock_guard lk(mu);
    const engine::Config& c = current;
    json::object o;
    o["config"] = opt.config_dir;
    o["rules"] = c.rules.size();
    o["rulesEnabled"] = std::count_if(c.rules.begin(), c.rules.end(),
                                      [](const engine::Rule& r) { return r.enabled; });
    o["playbooks"] = c.playbooks.size();
    o["dryRun"] = c.safety.dry_run;
    json::array dry_playbooks, dry_rules;
    for (const auto& [name, pb] : c.playbooks)
      if (pb.dry_run) dry_playbooks.push_back(json::string(name));
    for (const auto& r : c.rules)
      if (r.dry_run) dry_rules.push_back(json::string(r.name));
    o["dryRunPlaybooks"] = std::move(dry_playbooks);
    o["dryRunRules"] = std::move(dry_rules);
    o["store"] = redactUrl(c.store_url);
    o["listen"] = bound.empty() ? c.listen : bound;
    json::array sink_names, queues;
    for (const auto& s : sinks) sink_names.push_back(json::string(s.name));
    for (const auto& q : c.sqs_sources) queues.push_back(json::string(q.queue_url));
    o["sinks"] = std::move(sink_names);
    o["sqs"] = std::move(queues);
    return o;
  }
};

ServeRuntime::ServeRuntime(ServeOptions options, engine::Config initial)
    : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
  impl_->applyOverrides(initial);
  impl_->current = std::move(initial);
}

ServeRuntime::~ServeRuntime() = default;

void ServeRuntime::addServices(Supervisor& sup) {
  Impl& m = *impl_;
  sup.add(makeService(
      "store",
      [&m]() -> Result<void> {
        auto s = store::openStore(m.current.store_url);
        if (!s) return fail(s.error().code, "cannot open store: " + s.error().message);
        m.store = std::move(*s);
        if (auto p = m.store->ping(); !p) {
          m.store.reset();
          return fail(p.error().code, "store unreachable: " + p.error().message);
        }
        return {};
      },
      // The engine and sinks share it: it closes when the last of them lets it go.
      [&m] { m.store.reset(); }));
  sup.add(makeService(
      "engine",
      [&m]() -> Result<void> {
        m.engine = std::make_unique<engine::Engine>(m.current, m.store, m.opt.aws, *m.opt.clock,
                                                    m.opt.engine);
        if (m.opt.prepare_engine) m.opt.prepare_engine(*m.engine);
        if (auto r = m.engine->start(); !r) {
          m.engine.reset();
          return fail(r.error());
        }
        return {};
      },
      [&m] {
        m.engine->stop();
        m.engine.reset();
      }));
  sup.add(makeService(
      "sinks",
      [&m]() -> Result<void> {
        auto built = sinks::makeSinks(sinksSetting(m.current), m.sinkContext());
        if (!built) return fail(built.error());
        std::vector<Impl::SinkSlot> none;
        std::vector<std::string> started;
        auto slots = m.sinkSlots(sinksSetting(m.current), std::move(*built), none, started);
        for (auto& s : slots) s.runner->start();
        std::lock_guard lk(m.mu);
        m.sinks = std::move(slots);
        return {};
      },
      [&m] {
        std::vector<Impl::SinkSlot> slots;
        {
          std::lock_guard lk(m.mu);
          slots.swap(m.sinks);
        }
        for (auto& s : slots) s.runner->stop();
      }));
  sup.add(makeService(
      "pollers",
      [&m]() -> Result<void> {
        if (!m.current.sqs_sources.empty() && !m.opt.aws)
          return fail("InvalidConfig", "sources.sqs needs AWS credentials");
        for (const auto& q : m.current.sqs_sources) m.pollers.push_back(m.startPoller(q));
        return {};
      },
      [&m] { m.stopPollers(); }));
  sup.add(makeService(
      "http",
      [this, &m]() -> Result<void> {
        auto addr = server::parseListen(m.current.listen);
        if (!addr) return fail(addr.error());
        auto auth = server::authSettings(
            m.current.settings.contains("api") && m.current.settings.at("api").is_object()
                ? m.current.settings.at("api").get_object()
                : json::object(),
            m.current.default_region, config::processEnvironment());
        if (!auth) return fail(auth.error());
        for (const auto& file : m.opt.credentials) {
          if (auto r = server::addCredentialsFile(*auth, file, config::processEnvironment()); !r)
            return fail(r.error());
        }
        if (auto r = server::checkListen(*auth, addr->first); !r) return fail(r.error());
        if (auth->none) {
          logWarn(
              "the API needs no credential (api.auth: none): anyone on this machine can "
              "drive riposte",
              {{"listen", m.current.listen}});
        } else if (auth->tokens.empty() && auth->access_keys.empty()) {
          logWarn(
              "no API credential is configured: every endpoint but /healthz and /readyz "
              "answers 401; create a token with `riposte token create` and add it to "
              "api.tokens or a --credentials file",
              {});
        }
        logInfo("api authentication", {{"auth", auth->none ? "none" : "tokens"},
                                       {"tokens", std::to_string(auth->tokens.size())},
                                       {"access_keys", std::to_string(auth->access_keys.size())}});
        m.api = std::make_unique<server::Api>(*m.engine);
        auto authenticator = std::make_unique<server::Authenticator>(std::move(*auth), addr->first,
                                                                     addr->second, *m.opt.clock);
        server::Authenticator* authn = authenticator.get();
        m.api->setAuthenticator(std::move(authenticator));
        m.api->addMetrics([&m] {
          std::vector<sinks::SinkStatus> st;
          std::lock_guard lk(m.mu);
          for (auto& s : m.sinks) st.push_back(s.runner->status());
          return sinks::renderSinkMetrics(st);
        });
        m.api->setReloadHook([this] { return reload("api"); });
        server::HttpServerOptions ho;
        ho.host = addr->first;
        ho.port = addr->second;
        if (const json::value* api = m.current.settings.if_contains("api"); api && api->is_object())
          if (const json::value* mc = api->get_object().if_contains("max_connections");
              mc && mc->is_int64())
            ho.max_connections = static_cast<int>(mc->get_int64());
        m.api->addMetrics([&m] {
          if (!m.http) return std::string();
          return "# HELP riposte_http_connections_open HTTP connections open now\n"
                 "# TYPE riposte_http_connections_open gauge\n"
                 "riposte_http_connections_open " +
                 std::to_string(m.http->openConnections()) +
                 "\n# HELP riposte_http_connections_refused_total Connections answered 503 for "
                 "api.max_connections\n# TYPE riposte_http_connections_refused_total counter\n"
                 "riposte_http_connections_refused_total " +
                 std::to_string(m.http->refusedConnections()) + "\n";
        });
        m.http = std::make_unique<server::HttpServer>(
            ho, [api = m.api.get()](const server::HttpRequest& r) { return api->handle(r); });
        if (auto r = m.http->start(); !r) {
          m.http.reset();
          m.api.reset();
          return fail(r.error());
        }
        authn->setPort(m.http->port());
        std::lock_guard lk(m.mu);
        m.bound = ho.host + ":" + std::to_string(m.http->port());
        return {};
      },
      [&m] {
        m.http->stop();
        m.http.reset();
        m.api.reset();
        std::lock_guard lk(m.mu);
        m.bound.clear();
      }));
}

server::ReloadReport ServeRuntime::reload(const std::string& trigger) {
  Impl& m = *impl_;
  std::lock_guard reloading(m.reload_mu);
  server::ReloadReport report;
  const std::string& dir = m.opt.config_dir;
  auto refuse = [&](std::vector<std::string> problems) {
    report.ok = false;
    report.problems = std::move(problems);
    report.running = m.running();
    logWarn("configuration reload refused: the running configuration stays",
            {{"trigger", trigger},
             {"config", dir},
             {"problems", std::to_string(report.problems.size())}});
    for (const auto& p : report.problems) logWarn("reload problem", {{"problem", p}});
    return report;
  };
  if (!m.engine) return refuse({"riposte is not running: nothing to reload"});

  LoadResult loaded = m.opt.loader(dir);
  if (!loaded.config) {
    if (loaded.problems.empty()) loaded.problems.push_back(dir + ": not loaded");
    return refuse(std::move(loaded.problems));
  }
  engine::Config next = std::move(*loaded.config);
  m.applyOverrides(next);

  // What a running process cannot apply: refused as a whole, never half-applied.
  std::vector<std::string> problems;
  engine::Config before;
  {
    std::lock_guard lk(m.mu);
    before = m.current;
  }
  if (next.store_url != before.store_url) {
    problems.push_back(problem(dir, "store",
                               "changed from '" + redactUrl(before.store_url) + "' to '" +
                                   redactUrl(next.store_url) +
                                   "': a running riposte keeps its store; restart it to change "
                                   "the store"));
  }
  if (next.listen != before.listen) {
    problems.push_back(problem(dir, "listen",
                               "changed from '" + before.listen + "' to '" + next.listen +
                                   "': a running riposte keeps its listen address; restart it "
                                   "to change the address"));
  }
  auto built = sinks::makeSinks(sinksSetting(next), m.sinkContext());
  if (!built) problems.push_back(problem(dir, "sinks", built.error().message));
  if (!next.sqs_sources.empty() && !m.opt.aws) {
    problems.push_back(problem(dir, "sources", "sources.sqs needs AWS credentials"));
  }
  if (!problems.empty()) return refuse(std::move(problems));

  // The engine's part is the last that can fail: nothing has changed until it succeeded.
  if (auto r = m.engine->reload(next); !r) return refuse({dir + ": " + r.error().message});

  // Sinks and SQS queues: restart those whose configuration changed.
  // The new list replaces the old at once (under the lock /metrics reads it with); the old
  // runner of a changed sink stops before its successor starts, on the same durable cursor.
  std::vector<Impl::SinkSlot> old_sinks;
  std::vector<std::string> sinks_started, sinks_stopped;
  std::vector<sinks::SinkRunner*> to_start;
  {
    std::lock_guard lk(m.mu);
    old_sinks.swap(m.sinks);
    m.sinks = m.sinkSlots(sinksSetting(next), std::move(*built), old_sinks, sinks_started);
    for (auto& s : m.sinks)
      if (std::find(sinks_started.begin(), sinks_started.end(), s.name) != sinks_started.end())
        to_start.push_back(s.runner.get());
  }
  for (auto& s : old_sinks) {
    if (!s.runner) continue;  // kept: moved to the new list
    s.runner->stop();
    sinks_stopped.push_back(s.name);
  }
  for (auto* r : to_start) r->start();

  std::vector<std::string> queues_started, queues_stopped;
  std::vector<std::unique_ptr<Impl::Poller>> pollers;
  std::set<std::string> wanted;
  for (const auto& q : next.sqs_sources) wanted.insert(pollerKey(q));
  for (auto& p : m.pollers) {
    if (wanted.count(p->key)) {
      wanted.erase(p->key);
      pollers.push_back(std::move(p));
    } else {
      p->running = false;  // finishes its long poll, joined at stop
      queues_stopped.push_back(p->queue_url);
      m.retiring.push_back(std::move(p));
    }
  }
  for (const auto& q : next.sqs_sources) {
    if (!wanted.count(pollerKey(q))) continue;
    wanted.erase(pollerKey(q));
    pollers.push_back(m.startPoller(q));
    queues_started.push_back(q.queue_url);
  }
  m.pollers = std::move(pollers);

  if (next.log_level != before.log_level || next.log_format != before.log_format) {
    setupLogging(next.log_level, next.log_format);
  }
  {
    std::lock_guard lk(m.mu);
    m.current = std::move(next);
  }
  report.ok = true;
  report.running = m.running();
  auto array = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.push_back(json::string(s));
    return a;
  };
  report.restarted = json::object{{"sinksStarted", array(sinks_started)},
                                  {"sinksStopped", array(sinks_stopped)},
                                  {"sqsStarted", array(queues_started)},
                                  {"sqsStopped", array(queues_stopped)}};
  std::string started = joined(sinks_started), stopped = joined(sinks_stopped);
  std::string q_started = joined(queues_started), q_stopped = joined(queues_stopped);
  logRunning("configuration reloaded", trigger);
  if (!started.empty() || !stopped.empty() || !q_started.empty() || !q_stopped.empty()) {
    logInfo("reload restarted sources and sinks", {{"sinks_started", started},
                                                   {"sinks_stopped", stopped},
                                                   {"sqs_started", q_started},
                                                   {"sqs_stopped", q_stopped}});
  }
  return report;
}

json::object ServeRuntime::running() const {
  return impl_->running();
}

void ServeRuntime::logRunning(const std::string& message, const std::string& trigger) const {
  json::object r = running();
  auto text = [&](const char* k) -> std::string {
    const json::value& v = r.at(k);
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_array()) return joined(strings(v));
    return json::serialize(v);
  };
  std::string config = text("config"), rules = text("rules"), enabled = text("rulesEnabled"),
              playbooks = text("playbooks"), dry = text("dryRun"), dry_pb = text("dryRunPlaybooks"),
              dry_rules = text("dryRunRules"), store = text("store"), listen = text("listen"),
              sinks = text("sinks"), sqs = text("sqs");
  logInfo(message, {{"trigger", trigger},
                    {"config", config},
                    {"rules", rules},
                    {"rules_enabled", enabled},
                    {"playbooks", playbooks},
                    {"dry_run", dry},
                    {"dry_run_playbooks", dry_pb},
                    {"dry_run_rules", dry_rules},
                    {"store", store},
                    {"listen", listen},
                    {"sinks", sinks},
                    {"sqs", sqs}});
  // Failure is never silent: say so when no sink would carry a failure alert.
  engine::Config cfg;
  {
    std::lock_guard lk(impl_->mu);
    cfg = impl_->current;
  }
  if (cfg.on_failure.enabled && !failureAlertsGo(sinksSetting(cfg)))
    logWarn("failure alerts go nowhere",
            {{"why",
              "notifications.on_failure is on, but it has no SNS topic "
              "(notifications.sns_topic_arn or on_failure.sns_topic_arn) and no webhook "
              "or sns sink subscribes to failure"}});
}

uint16_t ServeRuntime::port() const {
  return impl_->http ? impl_->http->port() : 0;
}

engine::Engine* ServeRuntime::engine() const {
  return impl_->engine.get();
}

}  // namespace riposte::cli
