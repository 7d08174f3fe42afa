#include "cli/coverage_command.h"

#include <iostream>
#include <map>

#include "cli/config_loader.h"
#include "cli/event_input.h"
#include "core/clock.h"
#include "engine/incident.h"
#include "engine/suppressions.h"
#include "pattern/pattern.h"
#include "sources/samples.h"

namespace riposte::cli {

std::vector<policy::CatalogueType> guardDutyCatalogue() {
  std::vector<policy::CatalogueType> out;
  for (const auto& t : sources::sampleTypes()) {
    auto ev = sources::catalogueEvent(t.type);
    if (!ev) continue;  // every listed type has a sample (tests/sources check it)
    out.push_back({t.type, t.family, json::serialize(*ev)});
  }
  return out;
}

std::vector<policy::CoverageRule> enabledRules(const engine::Config& cfg) {
  std::vector<policy::CoverageRule> out;
  for (const auto& r : cfg.rules) {
    if (r.enabled) out.push_back({r.name, r.pattern_json});
  }
  return out;
}

Result<json::object> coverageReport(const engine::Config& cfg, const std::string& events_file,
                                    int64_t now_ms) {
  auto supp = policy::SuppressionSet::build(cfg.suppressions);
  if (!supp) return fail(supp.error());
  const auto rules = enabledRules(cfg);
  auto types = policy::typeCoverage(guardDutyCatalogue(), rules, **supp, now_ms);
  if (!types) return fail(types.error());
  json::array unhandled;
  int64_t handled = 0;
  for (const auto& t : *types) {
    if (t.handled()) {
      ++handled;
      continue;
    }
    json::object o{{"type", t.type}, {"family", t.family}};
    if (!t.suppressed_by.empty()) o["suppressedBy"] = t.suppressed_by;
    if (!t.rules.empty()) {
      json::array rs;
      for (const auto& r : t.rules) rs.push_back(json::value(r));
      o["rules"] = std::move(rs);
    }
    unhandled.push_back(std::move(o));
  }
  json::object out{{"catalogue", "GuardDuty finding types (riposte findings types)"},
                   {"types", static_cast<int64_t>(types->size())},
                   {"handled", handled},
                   {"unhandled", std::move(unhandled)}};
  if (events_file.empty()) return out;

  auto events = readEvents(events_file, SystemClock::instance());
  if (!events) return fail(events.error());
  pattern::RuleSetBuilder b;
  for (const auto& r : rules) {
    if (auto i = b.add(r.name, r.pattern_json); !i)
      return fail("InvalidEventPattern", "rule '" + r.name + "': " + i.error().message);
  }
  auto rule_set = b.build();
  std::map<std::pair<std::string, std::string>, int64_t> by_type;  // (type, source) → count
  std::map<std::string, int64_t> by_suppression;
  int64_t ok = 0, silenced = 0, missed = 0;
  for (const auto& ev : *events) {
    auto m = rule_set->match(ev.body);
    if (!m) return fail("InvalidEvent", "event " + ev.id + ": " + m.error().message);
    policy::EventFacts facts;
    facts.account = ev.account;
    facts.region = ev.region;
    if ((*supp)->needsFacts()) engine::addResourceFacts(ev.envelope, facts);
    auto s = (*supp)->match(ev.body, facts, now_ms);
    if (!s) return fail("InvalidEvent", "event " + ev.id + ": " + s.error().message);
    if (*s) {
      ++silenced;
      ++by_suppression[(*s)->name];
    } else if (!m->empty()) {
      ++ok;
    } else {
      ++missed;
      std::string type = engine::describeIncident(ev.envelope).finding_type;
      if (type.empty()) type = ev.detail_type;
      ++by_type[{type, ev.source}];
    }
  }
  std::vector<std::pair<std::pair<std::string, std::string>, int64_t>> sorted(by_type.begin(),
                                                                              by_type.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  json::array list;
  for (const auto& [k, n] : sorted)
    list.push_back(json::object{{"type", k.first}, {"source", k.second}, {"count", n}});
  json::object sup;
  for (const auto& [name, n] : by_suppression) sup[name] = n;
  out["events"] = json::object{{"file", events_file},
                               {"total", static_cast<int64_t>(events->size())},
                               {"handled", ok},
                               {"suppressed", silenced},
                               {"unhandled", missed},
                               {"unhandledByType", std::move(list)},
                               {"suppressedBy", std::move(sup)}};
  return out;
}

namespace {

void printCoverage(const json::object& r, const std::string& dir, std::ostream& os) {
  const auto& unhandled = r.at("unhandled").get_array();
  os << "Coverage of " << dir << ": " << r.at("types").to_number<int64_t>()
     << " GuardDuty finding types, " << r.at("handled").to_number<int64_t>()
     << " handled by an enabled rule, " << unhandled.size() << " not\n";
  if (!unhandled.empty()) {
    os << "\nNOT HANDLED (no enabled rule matches the type's sample finding, or a suppression "
          "silences it)\n";
    std::size_t w = 4;
    for (const auto& t : unhandled) w = std::max(w, t.at("type").get_string().size());
    for (const auto& t : unhandled) {
      const auto& o = t.get_object();
      std::string type(o.at("type").get_string());
      os << "  " << type << std::string(w - type.size(), ' ') << "  "
         << std::string(o.at("family").get_string());
      if (o.contains("suppressedBy"))
        os << "  suppressed by " << std::string(o.at("suppressedBy").get_string());
      os << "\n";
    }
  }
  if (!r.contains("events")) return;
  const auto& e = r.at("events").get_object();
  os << "\nEvents of " << std::string(e.at("file").get_string()) << ": "
     << e.at("total").to_number<int64_t>() << " (" << e.at("handled").to_number<int64_t>()
     << " handled, " << e.at("suppressed").to_number<int64_t>() << " suppressed, "
     << e.at("unhandled").to_number<int64_t>() << " unhandled)\n";
  const auto& by = e.at("unhandledByType").get_array();
  if (!by.empty()) {
    os << "\nUNHANDLED EVENTS BY TYPE\n  COUNT  TYPE\n";
    for (const auto& t : by) {
      std::string n = std::to_string(t.at("count").to_number<int64_t>());
      os << "  " << std::string(n.size() < 5 ? 5 - n.size() : 0, ' ') << n << "  "
         << std::string(t.at("type").get_string()) << "  ("
         << std::string(t.at("source").get_string()) << ")\n";
    }
  }
  for (const auto& kv : e.at("suppressedBy").get_object()) {
    os << "suppressed by " << std::string(kv.key()) << ": " << kv.value().to_number<int64_t>()
       << " events\n";
  }
}

}  // namespace

void addCoverageCommand(CLI::App& app) {
  static std::string config, events;
  static bool json_out = false;
  auto* c = app.add_subcommand(
      "coverage",
      "GuardDuty finding types no enabled rule handles; with --events, the events that "
      "arrived unhandled");
  c->add_option("--config", config, "Configuration directory")->required();
  c->add_option("--events", events, "Events or findings (JSON lines, a JSON array; - = stdin)");
  c->add_flag("--json", json_out, "Print JSON");
  c->callback([] {
    auto cfg = loadConfigChecked(config, std::cerr);
    if (!cfg) throw CLI::RuntimeError("invalid configuration: " + cfg.error().message, 2);
    auto r = coverageReport(*cfg, events, SystemClock::instance().nowMillis());
    if (!r) throw CLI::RuntimeError(r.error().str(), 2);
    if (json_out) {
      std::cout << toPrettyJson(*r) << "\n";
    } else {
      printCoverage(*r, config, std::cout);
    }
  });
}

}  // namespace riposte::cli
