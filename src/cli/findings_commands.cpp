#include "cli/findings_commands.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "actions/action.h"
#include "asl/asl.h"
#include "aws/client.h"
#include "aws/credential_chain.h"
#include "cli/config_loader.h"
#include "cli/event_input.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/incident.h"
#include "pattern/pattern.h"
#include "policy/limits.h"
#include "policy/threat_intel.h"
#include "runbook/suppression_words.h"
#include "sources/ingest.h"
#include "sources/samples.h"
#include "store/store.h"

namespace riposte::cli {

namespace {

// ------------------------------------------------------------------ configuration

Result<engine::Config> loadConfigQuiet(const std::string& dir) {
  return loadConfigChecked(dir, std::cerr);
}

// ------------------------------------------------------------------ plan-only actions

// Without an AWS endpoint a dry-run action that needs to read first cannot: instead of failing
// the Task (which would send the playbook down its Catch path), it reports what it would call.
class PlanOnlyAction final : public actions::Action {
 public:
  explicit PlanOnlyAction(const actions::Action* inner) : inner_(inner) {}
  const actions::Descriptor& descriptor() const override { return inner_->descriptor(); }
  Result<actions::ActionOutcome> run(const json::value& input,
                                     actions::ActionContext& ctx) const override {
    auto r = inner_->run(input, ctx);
    if (r || r.error().code != actions::kNotConfigured) return r;
    json::array calls;
    std::string list;
    std::set<std::string> seen;
    for (const auto& p : inner_->descriptor().permissions) {  // in the order it calls them
      if (!seen.insert(p.action).second) continue;
      calls.push_back(json::value(p.action));
      list += (list.empty() ? "" : ", ") + p.action;
    }
    actions::ActionOutcome out;
    out.summary = "would call " + list + " (no AWS endpoint: nothing read)";
    out.output = json::object{{"dryRun", true},
                              {"planned", true},
                              {"action", std::string(inner_->name())},
                              {"wouldCall", std::move(calls)},
                              {"description", inner_->descriptor().description},
                              {"summary", out.summary}};
    out.before = nullptr;
    out.after = nullptr;
    return out;
  }

 private:
  const actions::Action* inner_;
};

const actions::Registry& builtinRegistry() {
  static const actions::Registry r = actions::Registry::builtins();
  return r;
}

actions::Registry planOnlyRegistry() {
  actions::Registry out;
  const auto& base = builtinRegistry();
  for (const auto& n : base.names()) (void)out.add(std::make_shared<PlanOnlyAction>(base.find(n)));
  return out;
}

// ------------------------------------------------------------------ the dry-run engine

// An Engine on an in-memory store with dry-run forced, driven by a manual clock so Wait states
// and retries are simulated instantly. `endpoint` empty: no AWS at all.
class Simulator {
 public:
  static Result<std::unique_ptr<Simulator>> make(engine::Config cfg, const std::string& endpoint) {
    auto sim = std::unique_ptr<Simulator>(new Simulator());
    cfg.store_url = "sqlite::memory:";
    cfg.safety.dry_run = true;
    std::shared_ptr<aws::Client> aws;
    if (!endpoint.empty()) {
      auto creds = aws::resolveCredentialsChain();
      if (!creds) {
        return fail(creds.error().code,
                    "--against needs AWS credentials: " + creds.error().message);
      }
      aws = std::make_shared<aws::Client>(*creds);
      std::string ep = endpoint;
      while (!ep.empty() && ep.back() == '/') ep.pop_back();
      aws->setEndpointResolver([ep](std::string_view, std::string_view) { return ep; });
    }
    auto store = store::openStore(cfg.store_url);
    if (!store) return fail(store.error());
    engine::EngineOptions opt;
    opt.background = false;
    opt.worker_id = "simulate";
    opt.simulation = true;  // the guard rails decide the dry runs too
    opt.lease_ms = 1;
    opt.batch = 256;
    sim->engine_ =
        std::make_unique<engine::Engine>(std::move(cfg), std::move(*store), aws, sim->clock_, opt);
    if (endpoint.empty()) sim->engine_->setRegistry(planOnlyRegistry());
    if (auto r = sim->engine_->start(); !r) return fail(r.error());
    return sim;
  }

  // Ingests and runs everything to the end (advancing the clock through waits).
  Result<std::vector<bool>> run(const std::vector<sources::NormalizedEvent>& events) {
    auto stored = engine_->ingest(events, "simulate");
    if (!stored) return stored;
    for (int i = 0; i < 100000; ++i) {
      if (auto r = engine_->drain(); !r) return fail(r.error());
      auto w = engine_->store().nextWake();
      if (!w) return fail(w.error());
      if (!*w) break;
      clock_.set(std::max(**w, clock_.nowMillis() + 1));
    }
    return stored;
  }

  engine::Engine& engine() { return *engine_; }

 private:
  Simulator() : clock_(SystemClock::instance().nowMillis()) {}
  ManualClock clock_;
  std::unique_ptr<engine::Engine> engine_;
};

// ------------------------------------------------------------------ report helpers

json::value parsedOr(const std::string& s) {
  if (s.empty()) return nullptr;
  auto v = parseJson(s, 512);
  return v ? *v : json::value(s);
}

json::value detailsValue(const json::object& d, const char* key) {
  auto it = d.find(key);
  if (it == d.end()) return nullptr;
  if (it->value().is_string()) return parsedOr(std::string(it->value().get_string()));
  return it->value();
}

std::string oneLine(const json::value& v, size_t max = 160) {
  if (v.is_double()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v.get_double());
    return buf;
  }
  std::string s = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

json::array namesJson(const std::vector<std::string>& names) {
  json::array a;
  for (const auto& n : names) a.push_back(json::value(n));
  return a;
}

// An event's threat-intelligence verdict: the riposte.threatIntel member the engine matched it
// with, and each remote address with the lists holding it.
json::object threatIntelJson(const policy::ThreatIntel::EventVerdict& v) {
  json::array addresses;
  for (const auto& a : v.addresses) {
    addresses.push_back(json::object{{"address", a.address.str()},
                                     {"malicious", namesJson(a.lists.malicious)},
                                     {"trusted", namesJson(a.lists.trusted)}});
  }
  return json::object{{"malicious", namesJson(v.lists.malicious)},
                      {"trusted", namesJson(v.lists.trusted)},
                      {"addresses", std::move(addresses)}};
}

// The steps of an execution (from its GetExecutionHistory-like events) with the actions each
// Task ran.
json::array stepsOf(const json::value& execution, const std::vector<store::ActionRecord>& acts,
                    const actions::Registry& registry) {
  json::array steps;
  std::map<std::string, size_t> next_action;  // state → index into acts already used
  const json::value* events = findPath(execution, "events");
  if (!events || !events->is_array()) return steps;
  for (const auto& e : events->get_array()) {
    const std::string type = stringAt(e, "type").value_or("");
    const json::object* d = nullptr;
    for (const auto& kv : e.get_object()) {
      if (kv.key().ends_with("EventDetails") && kv.value().is_object())
        d = &kv.value().get_object();
    }
    static const json::object kEmpty;
    const json::object& det = d ? *d : kEmpty;
    if (type.ends_with("StateEntered")) {
      json::object s{{"state", det.contains("name") ? det.at("name") : json::value("")},
                     {"type", type.substr(0, type.size() - std::string("StateEntered").size())},
                     {"input", detailsValue(det, "input")}};
      steps.push_back(std::move(s));
      continue;
    }
    if (steps.empty()) continue;
    json::object& cur = steps.back().get_object();
    if (type == "TaskScheduled") {
      cur["resource"] = detailsValue(det, "resource");
      cur["parameters"] = detailsValue(det, "parameters");
    } else if (type == "TaskSucceeded") {
      cur["result"] = detailsValue(det, "output");
    } else if (type.ends_with("Failed") || type == "TaskTimedOut") {
      if (det.contains("error")) cur["error"] = det.at("error");
      if (det.contains("cause")) cur["cause"] = det.at("cause");
    } else if (type.ends_with("StateExited")) {
      cur["output"] = detailsValue(det, "output");
    }
    if (type == "TaskSucceeded" || type == "TaskFailed" || type == "TaskTimedOut") {
      const std::string state =
          cur["state"].is_string() ? std::string(cur["state"].get_string()) : "";
      size_t& from = next_action[state];
      for (size_t i = from; i < acts.size(); ++i) {
        if (acts[i].state_name != state) continue;
        const auto& a = acts[i];
        json::object aj{{"action", a.action},           {"status", a.status},
                        {"summary", a.summary},         {"input", parsedOr(a.input)},
                        {"output", parsedOr(a.output)}, {"before", parsedOr(a.before)}};
        if (!a.error_code.empty()) {
          aj["error"] = a.error_code;
          aj["message"] = a.error_message;
        }
        if (const auto* act = registry.find(a.action)) {
          const actions::Descriptor& d = act->descriptor();
          json::array perms;
          for (const auto& p : d.permissionNames()) perms.push_back(json::value(p));
          aj["permissions"] = std::move(perms);
          aj["description"] = d.description;
          aj["role"] = std::string(actions::roleName(d.role));
          aj["undo"] = d.undo.empty() ? json::value(nullptr) : json::value(d.undo);
        }
        json::array list = cur.contains("actions") ? cur["actions"].get_array() : json::array{};
        list.push_back(std::move(aj));
        cur["actions"] = std::move(list);
        from = i + 1;
        break;
      }
    }
  }
  return steps;
}

Result<std::vector<store::IncidentRecord>> allIncidents(store::Store& st) {
  std::vector<store::IncidentRecord> all;
  for (int offset = 0;; offset += 500) {
    auto page = st.listIncidents(500, offset);
    if (!page) return fail(page.error());
    all.insert(all.end(), page->begin(), page->end());
    if (page->size() < 500) break;
  }
  std::reverse(all.begin(), all.end());  // oldest first
  return all;
}

// ------------------------------------------------------------------ simulate

struct SimulateArgs {
  std::string config_dir, finding_file, type, against, instance_id, region = "us-east-1",
                                                                    account = "123456789012";
  std::optional<double> severity;
  bool json_out = false;
};

Result<json::object> simulate(const SimulateArgs& a) {
  auto cfg = loadConfigQuiet(a.config_dir);
  if (!cfg) return fail("InvalidConfig", "invalid configuration: " + cfg.error().message);
  std::map<std::string, engine::Rule> rules;
  for (const auto& r : cfg->rules) rules[r.name] = r;
  const auto& clock = SystemClock::instance();
  std::vector<sources::NormalizedEvent> events;
  if (!a.finding_file.empty()) {
    auto evs = readEvents(a.finding_file, clock);
    if (!evs) return fail(evs.error());
    events = std::move(*evs);
  } else {
    sources::SampleOptions o;
    o.instance_id = a.instance_id;
    o.severity = a.severity;
    o.region = a.region;
    o.account = a.account;
    o.seed = std::random_device{}();
    auto f = sources::sampleFinding(a.type, o);
    if (!f) return fail(f.error());
    auto ev = toEvent(sources::sampleEvent(*f), clock, "sample");
    if (!ev) return fail(ev.error());
    events.push_back(std::move(*ev));
  }
  auto sim = Simulator::make(*cfg, a.against);
  if (!sim) return fail(sim.error());
  auto& eng = (*sim)->engine();
  const auto intel = eng.threatFeeds().intel();
  json::array events_json;
  for (const auto& ev : events) {
    auto verdict = intel->explain(ev.body);
    if (!verdict) return fail(verdict.error());
    auto names = eng.matchRules(ev.body);
    if (!names) return fail(names.error());
    json::array matched;
    for (const auto& n : *names) {
      const auto& r = rules[n];
      matched.push_back(json::object{
          {"rule", n},
          {"description", r.description},
          {"playbook", r.playbook.empty() ? json::value(nullptr) : json::value(r.playbook)}});
    }
    // What the engine sees in it (GuardDuty and Security Hub ASFF findings alike).
    const store::IncidentRecord facts = engine::describeIncident(ev.envelope);
    events_json.push_back(json::object{
        {"eventId", ev.id},
        {"source", ev.source},
        {"detailType", ev.detail_type},
        {"findingType", facts.finding_type},
        {"severity", facts.severity},
        {"title", facts.title},
        {"resource", json::object{{"type", facts.resource_type}, {"id", facts.resource_id}}},
        {"threatIntel", threatIntelJson(*verdict)},
        {"rules", std::move(matched)}});
  }
  auto stored = (*sim)->run(events);
  if (!stored) return fail(stored.error());
  // Which events a suppression silenced (the engine marked them in the store), and why.
  auto supp = eng.suppressions();
  if (!supp) return fail(supp.error());
  for (std::size_t i = 0; i < events.size(); ++i) {
    json::object& ej = events_json[i].get_object();
    ej["suppressed"] = nullptr;
    auto rec = eng.store().getEvent(events[i].id);
    if (!rec) return fail(rec.error());
    if (!*rec || (*rec)->status != "suppressed") continue;
    json::object why{{"suppression", (*rec)->suppression}};
    if (const policy::Suppression* s = (*supp)->find((*rec)->suppression)) {
      why["reason"] = s->reason;
      why["owner"] = s->owner;
      why["expires"] =
          s->expires_ms ? json::value(formatIso8601Millis(*s->expires_ms)) : json::value(nullptr);
      why["matches"] = runbook::describeSuppressionMatch(*s);
      if (auto f = cfg->suppression_files.find(s->name); f != cfg->suppression_files.end())
        why["file"] = f->second;
    }
    ej["suppressed"] = std::move(why);
  }
  auto incs = allIncidents(eng.store());
  if (!incs) return fail(incs.error());
  const actions::Registry& registry = eng.registry();
  json::array incidents;
  for (const auto& inc : *incs) {
    json::object ij{
        {"incidentId", inc.id},
        {"rule", inc.rule},
        {"playbook", inc.playbook.empty() ? json::value(nullptr) : json::value(inc.playbook)},
        {"status", inc.status},
        {"resource", json::object{{"type", inc.resource_type},
                                  {"id", inc.resource_id},
                                  {"account", inc.account},
                                  {"region", inc.region}}},
        {"findingType", inc.finding_type},
        {"eventCount", inc.event_count}};
    auto acts = eng.store().actionsForIncident(inc.id);
    if (!acts) return fail(acts.error());
    auto execs = eng.store().executionsForIncident(inc.id);
    if (!execs) return fail(execs.error());
    json::array ej;
    for (const auto& x : *execs) {
      auto xv = eng.execution(x.id);
      if (!xv) return fail(xv.error());
      std::vector<store::ActionRecord> mine;
      for (const auto& ar : *acts) {
        if (ar.execution_id == x.id) mine.push_back(ar);
      }
      json::object one{{"executionId", x.id},
                       {"playbook", x.playbook},
                       {"status", x.status},
                       {"dryRun", x.dry_run},
                       {"steps", stepsOf(*xv, mine, registry)}};
      if (!x.error.empty()) {
        one["error"] = x.error;
        one["cause"] = x.cause;
      }
      if (x.status == "SUCCEEDED") one["output"] = parsedOr(x.output);
      ej.push_back(std::move(one));
    }
    ij["executions"] = std::move(ej);
    incidents.push_back(std::move(ij));
  }
  return json::object{
      {"dryRun", true},
      {"against", a.against.empty() ? json::value(nullptr) : json::value(a.against)},
      {"events", std::move(events_json)},
      {"incidents", std::move(incidents)}};
}

void printSimulation(const json::object& r, std::ostream& os) {
  const json::value v = r;
  const json::value* against = findPath(v, "against");
  os << "Simulation (dry run: nothing is changed; "
     << (against && against->is_string()
             ? "read-only AWS calls against " + std::string(against->get_string())
             : std::string("no AWS calls"))
     << ")\n";
  for (const auto& ev : r.at("events").get_array()) {
    os << "\nFinding " << oneLine(ev.at("findingType")) << "  severity "
       << oneLine(ev.at("severity")) << "\n  " << oneLine(ev.at("title"), 200) << "\n";
    const auto& rules = ev.at("rules").get_array();
    const auto& ti = ev.at("threatIntel").get_object();
    const auto& addresses = ti.at("addresses").get_array();
    if (!addresses.empty()) {
      std::string listed;
      for (const auto& a : addresses) {
        std::string in;
        for (const char* verdict : {"malicious", "trusted"}) {
          for (const auto& n : a.at(verdict).get_array())
            in += (in.empty() ? "" : ", ") + oneLine(n) + " (" + verdict + ")";
        }
        if (!in.empty()) listed += "\n    " + oneLine(a.at("address")) + " is in " + in;
      }
      os << "  Threat intelligence: " << addresses.size() << " remote address"
         << (addresses.size() == 1 ? "" : "es")
         << (listed.empty() ? ", in no list" : "; riposte.threatIntel is set from") << listed
         << "\n";
    }
    if (const json::value& why = ev.at("suppressed"); why.is_object()) {
      const auto& w = why.get_object();
      os << "  Suppressed by " << oneLine(w.at("suppression"));
      if (w.contains("reason")) os << " (" << oneLine(w.at("reason"), 200) << ")";
      os << ": stored and marked suppressed; no incident, no action";
      if (!rules.empty()) {
        std::string names;
        for (const auto& rule : rules)
          names += (names.empty() ? "" : ", ") + oneLine(rule.at("rule"));
        os << " (it matches " << names << ")";
      }
      os << ".\n";
      if (w.contains("owner"))
        os << "    owner " << oneLine(w.at("owner")) << ", "
           << (w.at("expires").is_string() ? "until " + oneLine(w.at("expires"))
                                           : std::string("no expiry"))
           << "\n";
      continue;
    }
    if (rules.empty()) os << "  No rule fires: riposte would do nothing.\n";
    for (const auto& rule : rules) {
      os << "  Rule " << oneLine(rule.at("rule")) << " fires -> "
         << (rule.at("playbook").is_null() ? std::string("record the incident only")
                                           : "playbook " + oneLine(rule.at("playbook")))
         << "\n";
    }
  }
  for (const auto& inc : r.at("incidents").get_array()) {
    os << "\nIncident " << oneLine(inc.at("incidentId")) << " (rule " << oneLine(inc.at("rule"))
       << ", " << oneLine(inc.at("resource").at("type")) << " "
       << oneLine(inc.at("resource").at("id")) << "): " << oneLine(inc.at("status")) << "\n";
    for (const auto& x : inc.at("executions").get_array()) {
      os << "  Playbook " << oneLine(x.at("playbook")) << " -> " << oneLine(x.at("status"));
      if (x.get_object().contains("error"))
        os << " (" << oneLine(x.at("error")) << ": " << oneLine(x.at("cause")) << ")";
      os << "\n";
      int n = 0;
      for (const auto& s : x.at("steps").get_array()) {
        const auto& so = s.get_object();
        os << "    " << ++n << ". " << oneLine(so.at("state")) << " (" << oneLine(so.at("type"));
        if (so.contains("resource")) os << " " << oneLine(so.at("resource"));
        os << ")\n";
        if (n == 1) os << "         input:  " << oneLine(so.at("input")) << "\n";
        if (so.contains("parameters"))
          os << "         params: " << oneLine(so.at("parameters")) << "\n";
        if (so.contains("actions")) {
          for (const auto& a : so.at("actions").get_array()) {
            os << "         action: " << oneLine(a.at("action")) << " [" << oneLine(a.at("status"))
               << "] " << oneLine(a.at("summary"), 300) << "\n";
          }
        }
        if (so.contains("error"))
          os << "         error:  " << oneLine(so.at("error")) << ": "
             << oneLine(so.contains("cause") ? so.at("cause") : json::value("")) << "\n";
        if (so.contains("result")) {
          os << "         result: " << oneLine(so.at("result"), 300) << "\n";
        } else if (so.contains("output") && !so.contains("resource")) {
          os << "         output: " << oneLine(so.at("output")) << "\n";
        }
      }
    }
  }
  os << "\nNothing was changed (dry run).\n";
}

// ------------------------------------------------------------------ replay

struct RuleStats {
  // matched = fired (opened an incident) + repeats (attached to the incident an earlier event
  // opened) + suppressed (silenced by a suppression: no incident).
  int64_t matched = 0, fired = 0, suppressed = 0;
  // What the guard rails did to its actions: refused by a limit or the breaker (planned only
  // under on_limit dry_run or approve, failed under fail), refused by the scope, refused
  // because the address to block is trusted.
  int64_t limited = 0, out_of_scope = 0, protected_refusals = 0;
  std::map<std::string, int64_t> actions;     // action → times it would run
  std::map<std::string, int64_t> executions;  // status → count
};

void progress(size_t done, size_t total) {
  const int width = 30;
  int filled = total ? static_cast<int>(width * done / total) : width;
  std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done
            << "/" << total << std::flush;
}

Result<json::object> replay(const std::string& file, const std::string& config_dir) {
  auto cfg = loadConfigQuiet(config_dir);
  if (!cfg) return fail("InvalidConfig", "invalid configuration: " + cfg.error().message);
  auto text = readAll(file);
  if (!text) return fail(text.error());
  std::vector<std::string> lines;
  {
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) lines.push_back(std::move(line));
  }
  auto sim = Simulator::make(*cfg, "");
  if (!sim) return fail(sim.error());
  auto& eng = (*sim)->engine();
  const bool tty = isatty(STDERR_FILENO);
  const auto& clock = SystemClock::instance();
  std::map<std::string, RuleStats> stats;
  int64_t events = 0, duplicates = 0, unmatched = 0, suppressed = 0;
  std::map<std::string, int64_t> by_suppression;  // name → events it silenced
  // Threat intelligence as the engine matched it (riposte.threatIntel): list → events holding
  // an address it lists; and the events with any malicious list.
  std::map<std::string, int64_t> by_list;
  int64_t with_malicious = 0;
  const auto intel = eng.threatFeeds().intel();
  json::array invalid;
  std::vector<sources::NormalizedEvent> batch;
  auto flush = [&]() -> Result<void> {
    if (batch.empty()) return {};
    auto stored = (*sim)->run(batch);
    if (!stored) return fail(stored.error());
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!(*stored)[i]) {
        ++duplicates;
        continue;
      }
      ++events;
      // The lists holding any of the event's remote addresses, each list once an event: what
      // enrichment sets as riposte.threatIntel (policy/threat_intel.h), without writing it.
      if (auto v = intel->explain(batch[i].body)) {
        if (!v->lists.malicious.empty()) ++with_malicious;
        for (const auto* names : {&v->lists.malicious, &v->lists.trusted})
          for (const auto& n : *names) ++by_list[n];
      }
      auto names = eng.matchRules(batch[i].body);
      if (!names) return fail(names.error());
      auto ev = eng.store().getEvent(batch[i].id);
      if (!ev) return fail(ev.error());
      const bool silenced = *ev && (*ev)->status == "suppressed";
      if (silenced) {
        ++suppressed;
        ++by_suppression[(*ev)->suppression];
      } else if (names->empty()) {
        ++unmatched;
      }
      for (const auto& n : *names) {
        ++stats[n].matched;
        if (silenced) ++stats[n].suppressed;
      }
    }
    batch.clear();
    return {};
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      std::string where = file + ":" + std::to_string(i + 1);
      auto v = parseJson(line, 512);
      Result<sources::NormalizedEvent> ev =
          !v ? Result<sources::NormalizedEvent>(fail(v.error()))
          : !v->is_object()
              ? Result<sources::NormalizedEvent>(fail("InvalidInput", "not a JSON object"))
              : toEvent(v->get_object(), clock, where);
      if (ev) {
        batch.push_back(std::move(*ev));
      } else {
        invalid.push_back(
            json::object{{"line", static_cast<int64_t>(i + 1)}, {"error", ev.error().str()}});
      }
    }
    if (batch.size() >= 256) {
      if (auto r = flush(); !r) return fail(r.error());
    }
    if (tty && (i % 64 == 0 || i + 1 == lines.size())) progress(i + 1, lines.size());
  }
  if (auto r = flush(); !r) return fail(r.error());
  if (tty) std::cerr << "\n";

  auto incs = allIncidents(eng.store());
  if (!incs) return fail(incs.error());
  for (const auto& inc : *incs) {
    auto& s = stats[inc.rule];
    ++s.fired;
    auto acts = eng.store().actionsForIncident(inc.id);
    if (!acts) return fail(acts.error());
    for (const auto& a : *acts) {
      if (a.error_code == policy::kLimitExceeded) {
        ++s.limited;
        ++s.actions[a.action +
                    (a.status == "failed" ? " (limited: failed)" : " (limited: planned only)")];
      } else if (a.error_code == policy::kOutOfScope) {
        ++s.out_of_scope;
        ++s.actions[a.action + " (out of scope)"];
      } else if (a.error_code == actions::kResourceProtected) {
        ++s.protected_refusals;
        ++s.actions[a.action + " (refused: protected)"];
      } else if (a.status == "failed") {
        ++s.actions[a.action + " (failed)"];
      } else {
        ++s.actions[a.action];
      }
    }
    auto execs = eng.store().executionsForIncident(inc.id);
    if (!execs) return fail(execs.error());
    for (const auto& x : *execs) ++s.executions[x.status];
  }
  json::array rules;
  for (const auto& r : cfg->rules) {
    const auto& s = stats[r.name];
    json::object acts;
    for (const auto& [k, n] : s.actions) acts[k] = n;
    json::object ex;
    for (const auto& [k, n] : s.executions) ex[k] = n;
    rules.push_back(json::object{
        {"rule", r.name},
        {"enabled", r.enabled},
        {"playbook", r.playbook.empty() ? json::value(nullptr) : json::value(r.playbook)},
        {"matched", s.matched},
        {"fired", s.fired},
        {"repeats", s.matched - s.fired - s.suppressed},
        {"suppressed", s.suppressed},
        {"limited", s.limited},
        {"outOfScope", s.out_of_scope},
        {"protected", s.protected_refusals},
        {"executions", std::move(ex)},
        {"actions", std::move(acts)}});
  }
  json::array sups;
  for (const auto& [name, n] : by_suppression) {
    json::object o{{"suppression", name}, {"events", n}};
    for (const auto& s : cfg->suppressions) {
      if (s.name != name) continue;
      o["reason"] = s.reason;
      o["owner"] = s.owner;
      if (auto f = cfg->suppression_files.find(name); f != cfg->suppression_files.end())
        o["file"] = f->second;
    }
    sups.push_back(std::move(o));
  }
  json::array lists;
  for (const auto& l : cfg->threat_intel.lists) {
    auto it = by_list.find(l.name);
    lists.push_back(json::object{{"list", l.name},
                                 {"verdict", std::string(policy::verdictName(l.verdict))},
                                 {"events", it == by_list.end() ? int64_t{0} : it->second}});
  }
  return json::object{{"file", file},
                      {"lines", static_cast<int64_t>(lines.size())},
                      {"threatIntel", json::object{{"eventsWithMalicious", with_malicious},
                                                   {"lists", std::move(lists)}}},
                      {"events", events},
                      {"duplicateEvents", duplicates},
                      {"unmatched", unmatched},
                      {"suppressed", suppressed},
                      {"suppressions", std::move(sups)},
                      {"invalid", std::move(invalid)},
                      {"dryRun", true},
                      {"rules", std::move(rules)}};
}

void printReplay(const json::object& r, std::ostream& os) {
  os << "Replay of " << oneLine(r.at("file")) << ": " << r.at("events").to_number<int64_t>()
     << " events (" << r.at("duplicateEvents").to_number<int64_t>() << " duplicate, "
     << r.at("invalid").get_array().size() << " invalid, "
     << r.at("suppressed").to_number<int64_t>() << " suppressed, "
     << r.at("unmatched").to_number<int64_t>() << " matched no rule); dry run, no AWS calls\n\n";
  size_t w = 4;
  for (const auto& rule : r.at("rules").get_array())
    w = std::max(w, rule.at("rule").get_string().size());
  auto pad = [](std::string s, size_t n) {
    return s.size() >= n ? s : s + std::string(n - s.size(), ' ');
  };
  auto rpad = [](std::string s, size_t n) {
    return s.size() >= n ? s : std::string(n - s.size(), ' ') + s;
  };
  os << pad("RULE", w) << "  " << rpad("MATCHED", 7) << "  " << rpad("FIRED", 7) << "  "
     << rpad("REPEATS", 7) << "  " << rpad("SUPPRESSED", 10) << "  " << rpad("LIMITED", 7) << "  "
     << rpad("OUT OF SCOPE", 12) << "  ACTIONS IT WOULD TAKE\n";
  for (const auto& rule : r.at("rules").get_array()) {
    std::string acts;
    for (const auto& kv : rule.at("actions").get_object()) {
      acts += (acts.empty() ? "" : ", ") + std::string(kv.key()) + " x" +
              std::to_string(kv.value().to_number<int64_t>());
    }
    if (acts.empty()) acts = rule.at("playbook").is_null() ? "(record only)" : "-";
    os << pad(std::string(rule.at("rule").get_string()), w) << "  "
       << rpad(std::to_string(rule.at("matched").to_number<int64_t>()), 7) << "  "
       << rpad(std::to_string(rule.at("fired").to_number<int64_t>()), 7) << "  "
       << rpad(std::to_string(rule.at("repeats").to_number<int64_t>()), 7) << "  "
       << rpad(std::to_string(rule.at("suppressed").to_number<int64_t>()), 10) << "  "
       << rpad(std::to_string(rule.at("limited").to_number<int64_t>()), 7) << "  "
       << rpad(std::to_string(rule.at("outOfScope").to_number<int64_t>()), 12) << "  " << acts
       << "\n";
  }
  os << "\nREPEATS: events attached to the incident an earlier event opened (same resource and "
        "finding). SUPPRESSED: events a suppression silenced (stored, no incident). LIMITED: "
        "actions a blast-radius limit or the breaker refused (then on_limit: planned only, or "
        "failed). OUT OF SCOPE: destructive actions the scope refused.\n";
  for (const auto& s : r.at("suppressions").get_array()) {
    const auto& so = s.get_object();
    os << "suppressed by " << oneLine(so.at("suppression")) << ": "
       << so.at("events").to_number<int64_t>() << " events";
    if (so.contains("reason")) os << " (" << oneLine(so.at("reason"), 200) << ")";
    os << "\n";
  }
  for (const auto& l : r.at("threatIntel").at("lists").get_array()) {
    const auto& lo = l.get_object();
    os << "threat list " << oneLine(lo.at("list")) << " (" << oneLine(lo.at("verdict"))
       << "): " << lo.at("events").to_number<int64_t>() << " events hold an address it lists\n";
  }
  for (const auto& bad : r.at("invalid").get_array()) {
    os << "invalid line " << bad.at("line").to_number<int64_t>() << ": "
       << oneLine(bad.at("error"), 200) << "\n";
  }
}

// ------------------------------------------------------------------ sample

struct SampleArgs {
  std::vector<std::string> types;
  bool all = false;
  int count = 0;
  std::string format = "guardduty", instance_id, region = "us-east-1", account = "123456789012";
  std::optional<double> severity;
  std::optional<uint64_t> seed;
};

void listTypes(std::ostream& os) {
  for (const auto& t : sources::sampleTypes()) {
    char sev[16];
    std::snprintf(sev, sizeof sev, "%g", t.severity);
    os << t.type << "\t" << t.family << "\t" << t.resource_type << "\t"
       << (t.action_type.empty() ? "-" : t.action_type) << "\t" << sev << "\n";
  }
}

int runSample(const SampleArgs& a) {
  for (const auto& t : a.types) {
    if (!sources::findSampleType(t)) {
      std::cerr << "riposte: unknown GuardDuty finding type '" << t << "'. Known types ("
                << sources::sampleTypes().size() << "):\n";
      for (const auto& k : sources::sampleTypes()) std::cerr << "  " << k.type << "\n";
      return 2;
    }
  }
  std::vector<std::string> types = a.types;
  if (a.all)
    for (const auto& t : sources::sampleTypes()) types.push_back(t.type);
  const uint64_t seed =
      a.seed.value_or(std::random_device{}() * 0x100000001ull ^ std::random_device{}());
  int count = a.count > 0 ? a.count : (types.empty() ? 1 : static_cast<int>(types.size()));
  const int64_t now = SystemClock::instance().nowMillis();
  std::mt19937_64 pick(seed);
  for (int i = 0; i < count; ++i) {
    std::string type = types.empty()
                           ? sources::sampleTypes()[pick() % sources::sampleTypes().size()].type
                           : types[static_cast<size_t>(i) % types.size()];
    sources::SampleOptions o;
    o.instance_id = a.instance_id;
    o.severity = a.severity;
    o.region = a.region;
    o.account = a.account;
    // --all: one world (the same instance, key, bucket…) seen by every type; else one each.
    o.seed = a.all && a.count == 0 ? seed : seed + static_cast<uint64_t>(i);
    o.now_ms = now - static_cast<int64_t>(count - 1 - i) * 1000;
    auto f = sources::sampleFinding(type, o);
    if (!f) {
      std::cerr << "riposte: " << f.error().message << "\n";
      return 2;
    }
    json::value out;
    if (a.format == "event") {
      out = sources::sampleEvent(*f);
    } else if (a.format == "asff") {
      out = sources::toAsff(*f);
    } else {
      out = std::move(*f);
    }
    std::cout << json::serialize(out) << "\n";
  }
  return 0;
}

}  // namespace

void addFindingsCommands(CLI::App& app) {
  // --- findings sample | types
  auto* findings = app.add_subcommand("findings", "Sample GuardDuty findings");
  findings->require_subcommand(1);
  auto* sample = findings->add_subcommand(
      "sample", "Print realistic sample GuardDuty findings, one JSON a line");
  static SampleArgs sa;
  static double severity = -1;
  static uint64_t seed = 0;
  sample->add_option("--type", sa.types, "Finding type (repeatable); see `findings types`");
  sample->add_flag("--all", sa.all, "One finding of every known type");
  sample->add_option("--count", sa.count, "How many findings (types are cycled)");
  sample->add_option("--format", sa.format, "guardduty (bare finding), event (EventBridge) or asff")
      ->check(CLI::IsMember({"guardduty", "event", "asff"}))
      ->capture_default_str();
  sample->add_option("--instance-id", sa.instance_id, "EC2 instance the findings are about");
  auto* sev_opt = sample->add_option("--severity", severity, "Severity (default: the type's)")
                      ->check(CLI::Range(0.0, 10.0));
  sample->add_option("--region", sa.region, "Region")->capture_default_str();
  sample->add_option("--account", sa.account, "Account id")->capture_default_str();
  auto* seed_opt =
      sample->add_option("--seed", seed, "Seed: the same seed gives the same findings");
  sample->callback([sev_opt, seed_opt] {
    if (sev_opt->count() > 0) sa.severity = severity;
    if (seed_opt->count() > 0) sa.seed = seed;
    if (int rc = runSample(sa); rc != 0) throw CLI::RuntimeError(rc);
  });
  findings
      ->add_subcommand("types",
                       "List the known finding types (type, family, resource, "
                       "action, default severity)")
      ->callback([] { listTypes(std::cout); });

  // --- simulate
  auto* simc = app.add_subcommand(
      "simulate", "Show what riposte would do with a finding (dry run: changes nothing)");
  static SimulateArgs sim;
  static double sim_sev = -1;
  simc->add_option("--config", sim.config_dir, "Configuration directory")->required();
  auto* file_opt =
      simc->add_option("--finding", sim.finding_file,
                       "File with a finding or event (JSON, array or JSON lines; - = stdin)");
  auto* type_opt = simc->add_option("--type", sim.type, "Simulate a sample finding of this type");
  file_opt->excludes(type_opt);
  simc->add_option(
      "--against", sim.against,
      "AWS endpoint (http://127.0.0.1:PORT for moto): make the read-only calls for real");
  simc->add_option("--instance-id", sim.instance_id, "With --type: the instance it is about");
  auto* ssev = simc->add_option("--severity", sim_sev, "With --type: the severity")
                   ->check(CLI::Range(0.0, 10.0));
  simc->add_option("--region", sim.region, "With --type: region")->capture_default_str();
  simc->add_option("--account", sim.account, "With --type: account")->capture_default_str();
  simc->add_flag("--json", sim.json_out, "Print the plan as JSON");
  simc->callback([ssev] {
    if (ssev->count() > 0) sim.severity = sim_sev;
    if (sim.finding_file.empty() && sim.type.empty())
      throw CLI::RuntimeError("simulate needs --finding FILE or --type TYPE", 2);
    setupLogging("error", "json");
    auto r = simulate(sim);
    if (!r) {
      if (r.error().code == "UnknownFindingType") {
        std::cerr << "riposte: unknown GuardDuty finding type '" << sim.type << "'. Known types:\n";
        for (const auto& k : sources::sampleTypes()) std::cerr << "  " << k.type << "\n";
        throw CLI::RuntimeError(2);
      }
      throw CLI::RuntimeError(r.error().str(), 1);
    }
    if (sim.json_out) {
      std::cout << toPrettyJson(*r) << "\n";
    } else {
      printSimulation(*r, std::cout);
    }
  });

  // --- replay
  auto* rep = app.add_subcommand(
      "replay", "Back-test the rules and playbooks over an archive of findings (dry run)");
  static std::string rep_file, rep_config;
  static bool rep_json = false;
  rep->add_option("file", rep_file, "JSON lines: EventBridge events or bare findings")->required();
  rep->add_option("--config", rep_config, "Configuration directory")->required();
  rep->add_flag("--json", rep_json, "Print the summary as JSON");
  rep->callback([] {
    setupLogging("error", "json");
    auto r = replay(rep_file, rep_config);
    if (!r) throw CLI::RuntimeError(r.error().str(), 1);
    if (rep_json) {
      std::cout << toPrettyJson(*r) << "\n";
    } else {
      printReplay(*r, std::cout);
    }
  });
}

}  // namespace riposte::cli
