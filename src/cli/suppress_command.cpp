#include "cli/suppress_command.h"

#include <cstdlib>
#include <iostream>

#include "cli/serve_runtime.h"
#include "core/clock.h"
#include "engine/suppressions.h"
#include "runbook/suppression_words.h"
#include "sources/samples.h"
#include "store/store.h"

namespace riposte::cli {

namespace {

struct CommonArgs {
  std::string config = "config/default", store;
  bool json = false;
  std::string name, reason, by;  // delete
};

struct Opened {
  engine::Config cfg;
  std::unique_ptr<store::Store> store;
};

// The configuration (for its suppressions and its store) and the store, as `serve` opens them.
Opened open(const CommonArgs& a) {
  LoadResult loaded = loadChecked(a.config);
  for (const auto& p : loaded.problems) std::cerr << p << "\n";
  if (!loaded.config) {
    throw CLI::RuntimeError("invalid configuration in '" + a.config +
                                "' (pass --config DIR: the directory riposte serve runs with)",
                            2);
  }
  Opened o{std::move(*loaded.config), nullptr};
  if (!a.store.empty()) o.cfg.store_url = a.store;
  auto st = store::openStore(o.cfg.store_url);
  if (!st) throw CLI::RuntimeError("cannot open store: " + st.error().str(), 1);
  o.store = std::move(*st);
  return o;
}

// Who asks: --by, else $USER.
std::string whoAsks(std::string by) {
  if (by.empty()) {
    const char* user = std::getenv("USER");
    if (!user || !*user) throw CLI::RuntimeError("who asks: pass --by NAME", 2);
    by = user;
  }
  return by;
}

// The body's paths as the flags that gave them ("body.expires" → "--for/--until").
std::string inFlags(std::string msg) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"body.match.scope.resource_ids", "--resource"},
      {"body.match.scope.accounts", "--account"},
      {"body.match.scope.regions", "--region"},
      {"body.match.scope.tags", "--tag"},
      {"body.match.pattern", "--pattern"},
      {"body.expires", "--for/--until"},
      {"body.reason", "--reason"},
      {"body.owner", "--owner"},
      {"body.name", "--name"},
      {"body.match", "--type/--pattern"},
  };
  for (const auto& [from, to] : kMap) {
    for (std::size_t p; (p = msg.find(from)) != std::string::npos;)
      msg.replace(p, std::string_view(from).size(), to);
  }
  return msg;
}

void printSuppression(const policy::Suppression& s, const engine::Config& cfg, int64_t now,
                      std::ostream& os) {
  os << s.name << "  (" << policy::originName(s.origin);
  if (auto f = cfg.suppression_files.find(s.name);
      f != cfg.suppression_files.end() && s.origin == policy::Origin::kConfig)
    os << ": " << f->second;
  os << ", " << runbook::describeSuppressionExpiry(s) << (s.expiredAt(now) ? ", EXPIRED" : "")
     << ")\n";
  os << "  matches: " << runbook::describeSuppressionMatch(s) << "\n";
  os << "  reason:  " << s.reason << "\n";
  os << "  owner:   " << s.owner;
  if (!s.created_by.empty())
    os << " (created by " << s.created_by << " at " << formatIso8601Millis(s.created_ms) << ")";
  os << "\n";
}

}  // namespace

std::string nameForType(const std::string& type) {
  std::string out;
  for (char c : type) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    bool keep = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '.' || l == '_';
    if (c == '*') {
      if (!out.empty() && out.back() != '-') out += '-';
      out += "all";
    } else if (keep) {
      out += l;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && (out.back() == '-' || out.back() == '.')) out.pop_back();
  if (out.size() > 56) out.resize(56);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

Result<json::object> suppressionBody(const SuppressArgs& a) {
  if (a.types.empty() == a.pattern.empty())
    return fail("InvalidArgument",
                "say what to suppress: --type T (a GuardDuty finding type; 'Recon:EC2/*' for a "
                "prefix) or --pattern P (an EventBridge pattern), one of the two");
  int expiries = !a.for_duration.empty() + !a.until.empty() + a.no_expiry;
  if (expiries != 1)
    return fail("InvalidArgument",
                "say until when: --for 7d (d, h or m), --until 2026-12-31T00:00:00Z, or "
                "--no-expiry for a suppression that stays until deleted (one of the three)");
  json::object body;
  json::object match;
  if (!a.types.empty()) {
    json::array values;
    for (const auto& t : a.types) {
      if (t.empty() || t == "*") return fail("InvalidArgument", "--type: an empty finding type");
      if (t.back() == '*') {
        values.push_back(json::object{{"prefix", t.substr(0, t.size() - 1)}});
      } else {
        values.push_back(json::value(t));
      }
    }
    match["pattern"] = json::object{{"source", json::array{"aws.guardduty"}},
                                    {"detail", json::object{{"type", std::move(values)}}}};
  } else {
    auto p = parseJson(a.pattern);
    if (!p) return fail("InvalidArgument", "--pattern is not JSON: " + p.error().message);
    match["pattern"] = std::move(*p);
  }
  json::object scope;
  auto list = [](const std::vector<std::string>& v) {
    json::array out;
    for (const auto& x : v) out.push_back(json::value(x));
    return out;
  };
  if (!a.accounts.empty()) scope["accounts"] = list(a.accounts);
  if (!a.regions.empty()) scope["regions"] = list(a.regions);
  if (!a.resources.empty()) scope["resource_ids"] = list(a.resources);
  if (!a.tags.empty()) {
    json::object tags;
    for (const auto& kv : a.tags) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        return fail("InvalidArgument", "--tag '" + kv + "': give KEY=VALUE");
      tags[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    scope["tags"] = std::move(tags);
  }
  if (!scope.empty()) match["scope"] = std::move(scope);
  std::string name = a.name;
  if (name.empty()) {
    if (a.types.size() != 1)
      return fail("InvalidArgument",
                  "name the suppression: --name N (a name is derived only from one --type)");
    name = nameForType(a.types[0]);
    if (name.size() < 3)
      return fail("InvalidArgument", "name the suppression: --name N ('" + a.types[0] +
                                         "' gives no name of 3 characters)");
  }
  body["name"] = name;
  body["reason"] = a.reason;
  if (!a.owner.empty()) body["owner"] = a.owner;
  if (!a.for_duration.empty()) body["expires"] = a.for_duration;
  if (!a.until.empty()) body["expires"] = a.until;
  body["match"] = std::move(match);
  return body;
}

void addSuppressCommand(CLI::App& app) {
  static SuppressArgs add;
  static CommonArgs common;
  auto* sup = app.add_subcommand(
      "suppress",
      "Silence findings at run time (in the store riposte serve runs on; audited): "
      "suppress --type T | --pattern P --for 7d --reason WHY; suppress list; suppress delete NAME");
  sup->require_subcommand(0, 1);
  auto where = [](CLI::App* c) {
    c->add_option("--config", common.config, "Configuration directory (its store, its names)")
        ->capture_default_str();
    c->add_option("--store", common.store, "Store URL (overrides riposte.yaml)");
  };
  where(sup);
  sup->add_option("--type", add.types,
                  "GuardDuty finding type to suppress (repeatable; 'Recon:EC2/*' for a prefix)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sup->add_option("--pattern", add.pattern, "EventBridge pattern (JSON) the events match");
  sup->add_option("--resource", add.resources, "Only about this resource id (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sup->add_option("--account", add.accounts, "Only in this account (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sup->add_option("--region", add.regions, "Only in this region (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sup->add_option("--tag", add.tags, "Only on a resource tagged KEY=VALUE (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sup->add_option("--for", add.for_duration, "How long: 7d, 12h, 30m");
  sup->add_option("--until", add.until, "Until when (RFC 3339: 2026-12-31T00:00:00Z)");
  sup->add_flag("--no-expiry", add.no_expiry, "Stays until deleted (on purpose)");
  sup->add_option("--reason", add.reason, "Why (recorded, shown in the runbook and the events)");
  sup->add_option("--owner", add.owner, "Who answers for it (default: who creates it)");
  sup->add_option("--name", add.name, "Its name (default: derived from the --type)");
  sup->add_option("--by", add.by, "Who creates it (default: $USER)");
  sup->add_flag("--json", common.json, "Print JSON");

  auto* list =
      sup->add_subcommand("list", "Every suppression: the configuration's and the store's");
  where(list);
  list->add_flag("--json", common.json, "Print JSON (as GET /v1/suppressions)");
  list->callback([] {
    auto o = open(common);
    auto stored = engine::storedSuppressions(*o.store);
    if (!stored) throw CLI::RuntimeError(stored.error().str(), 1);
    auto all = engine::effectiveSuppressions(o.cfg, std::move(*stored));
    const int64_t now = SystemClock::instance().nowMillis();
    if (common.json) {
      std::cout << toPrettyJson(engine::suppressionsJson(o.cfg, all, now)) << "\n";
      return;
    }
    if (all.empty()) std::cout << "No suppression.\n";
    for (const auto& s : all) printSuppression(s, o.cfg, now, std::cout);
  });

  auto* del = sup->add_subcommand("delete", "Delete a suppression of the store (audited)");
  where(del);
  del->add_option("name", common.name, "The suppression's name")->required();
  del->add_option("--reason", common.reason, "Why it no longer applies")->required();
  del->add_option("--by", common.by, "Who deletes it (default: $USER)");
  del->callback([] {
    const std::string by = whoAsks(common.by) + " via cli";
    auto o = open(common);
    const int64_t now = SystemClock::instance().nowMillis();
    auto r = engine::deleteSuppression(*o.store, o.cfg, common.name, by, common.reason, now);
    if (!r) throw CLI::RuntimeError(r.error().str(), 1);
    std::cout << "suppression '" << common.name << "' deleted: it no longer applies\n";
  });

  sup->callback([sup, list, del] {
    if (list->parsed() || del->parsed()) return;
    if (add.types.empty() && add.pattern.empty() && add.reason.empty()) {
      std::cerr << sup->help();
      throw CLI::RuntimeError(2);
    }
    if (add.reason.empty())
      throw CLI::RuntimeError("say why: --reason WHY (recorded and shown with the events)", 2);
    auto body = suppressionBody(add);
    if (!body) throw CLI::RuntimeError(body.error().message, 2);
    for (const auto& t : add.types) {
      if (t.back() != '*' && !sources::findSampleType(t))
        std::cerr << "riposte: note: '" << t
                  << "' is not a GuardDuty finding type riposte knows (riposte findings types)\n";
    }
    const std::string who = whoAsks(add.by);
    if (!body->contains("owner")) (*body)["owner"] = who;
    auto o = open(common);
    const int64_t now = SystemClock::instance().nowMillis();
    auto s = engine::createSuppression(*o.store, o.cfg, *body, who + " via cli", now);
    if (!s) {
      int code = s.error().code == "InvalidSuppression" ? 2 : 1;
      std::string hint = s.error().code == "Conflict" ? " (choose another with --name)" : "";
      throw CLI::RuntimeError(s.error().code + ": " + inFlags(s.error().message) + hint, code);
    }
    if (common.json) {
      std::cout << toPrettyJson(policy::suppressionJson(*s, now)) << "\n";
      return;
    }
    std::cout << "suppression '" << s->name << "' created in " << redactUrl(o.cfg.store_url)
              << ": events it matches are stored and marked suppressed, no incident opens\n";
    printSuppression(*s, o.cfg, now, std::cout);
  });
}

}  // namespace riposte::cli
