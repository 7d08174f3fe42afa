#include "policy/limits.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "config/schema.h"
#include "policy/schema.h"

namespace riposte::policy {

std::string_view onLimitName(OnLimit o) {
  switch (o) {
    case OnLimit::kApprove:
      return "approve";
    case OnLimit::kDryRun:
      return "dry_run";
    case OnLimit::kFail:
      return "fail";
  }
  return "dry_run";
}

std::optional<OnLimit> onLimitFromName(std::string_view name) {
  if (name == "approve") return OnLimit::kApprove;
  if (name == "dry_run") return OnLimit::kDryRun;
  if (name == "fail") return OnLimit::kFail;
  return std::nullopt;
}

std::optional<int64_t> parseWindow(std::string_view text) {
  if (text.size() < 2 || text.size() > 12) return std::nullopt;
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1000;
      break;
    case 'm':
      unit = 60'000;
      break;
    case 'h':
      unit = 3'600'000;
      break;
    case 'd':
      unit = 86'400'000;
      break;
    default:
      return std::nullopt;
  }
  std::string_view digits = text.substr(0, text.size() - 1);
  if (digits.front() == '0') return std::nullopt;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
    if (n > 366LL * 86'400) return std::nullopt;
  }
  int64_t ms = n * unit;
  if (ms > 366LL * 86'400'000) return std::nullopt;
  return ms;
}

std::string windowName(int64_t ms) {
  if (ms > 0 && ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms > 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms > 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

namespace {

std::string perWords(bool account, bool region) {
  if (account && region) return "per account and region";
  if (account) return "per account";
  if (region) return "per region";
  return "in all";
}

std::string percentText(double p) {
  std::string s = std::to_string(p);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string Limit::describe() const {
  std::string what = !action.empty() ? action + " actions" : "actions of role " + role;
  if (max_percent) {
    return what + " on " + percentText(*max_percent) + "% of the running instances per " +
           windowName(window_ms) + " " + perWords(per_account, per_region);
  }
  return std::to_string(max) + " " + what + " per " + windowName(window_ms) + " " +
         perWords(per_account, per_region);
}

std::string Breaker::describe() const {
  return "opens when more than " + std::to_string(threshold) +
         " executions attempt a destructive action within " + windowName(window_ms);
}

// ---------------------------------------------------------------- parsing

namespace {

struct Reader {
  std::vector<Problem>& problems;
  void add(std::string path, std::string message) {
    problems.push_back(Problem{std::move(path), std::move(message)});
  }
  // Checks that `v` is a mapping with only `known` keys. False when not a mapping.
  bool object(const json::value& v, const std::string& path,
              const std::vector<std::string>& known) {
    if (!v.is_object()) {
      add(path, "must be a mapping");
      return false;
    }
    for (const auto& kv : v.get_object()) {
      if (std::find(known.begin(), known.end(), kv.key()) == known.end()) {
        add(path + "." + std::string(kv.key()), config::unknownMessage("key", kv.key(), known));
      }
    }
    return true;
  }
  std::optional<std::string> string(const json::value& v, const std::string& path) {
    if (!v.is_string() || v.get_string().empty()) {
      add(path, "must be a non-empty string");
      return std::nullopt;
    }
    return std::string(v.get_string());
  }
  // A whole number in [lo, hi].
  std::optional<int64_t> integer(const json::value& v, const std::string& path, int64_t lo,
                                 int64_t hi) {
    std::optional<int64_t> n;
    if (v.is_int64()) n = v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX))
      n = static_cast<int64_t>(v.get_uint64());
    if (!n || *n < lo || *n > hi) {
      add(path, "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
      return std::nullopt;
    }
    return n;
  }
  std::optional<int64_t> window(const json::value& v, const std::string& path) {
    if (v.is_string()) {
      if (auto ms = parseWindow(v.get_string())) return ms;
    }
    add(path,
        "must be a duration: a whole number and a unit s, m, h or d (\"30s\", \"10m\", \"1h\"), "
        "at most 366d");
    return std::nullopt;
  }
  std::optional<OnLimit> onLimit(const json::value& v, const std::string& path) {
    if (v.is_string()) {
      if (auto o = onLimitFromName(v.get_string())) return o;
    }
    add(path, "must be approve, dry_run or fail");
    return std::nullopt;
  }
  // A list of non-empty strings, each once.
  std::vector<std::string> strings(const json::value& v, const std::string& path) {
    std::vector<std::string> out;
    if (!v.is_array()) {
      add(path, "must be a list of strings");
      return out;
    }
    std::set<std::string> seen;
    const auto& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      auto s = string(a[i], p);
      if (!s) continue;
      if (!seen.insert(*s).second) {
        add(p, "'" + *s + "' is listed twice");
        continue;
      }
      out.push_back(*s);
    }
    return out;
  }
};

bool validName(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

const std::vector<std::string_view> kRoles = {"contain", "restore", "evidence",
                                              "notify",  "siem",    "read"};

}  // namespace

std::vector<Limit> parseLimits(const json::value& v, std::vector<Problem>& problems) {
  Reader r{problems};
  std::vector<Limit> out;
  if (!v.is_array()) {
    r.add("limits",
          "must be a list of limits ({name, role or action, per, max or max_percent, "
          "window, on_limit})");
    return out;
  }
  std::set<std::string> names;
  const auto& items = v.get_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string at = "limits[" + std::to_string(i) + "]";
    const std::size_t before = problems.size();
    if (!r.object(items[i], at, keysAt("limits[]"))) continue;
    const auto& o = items[i].get_object();
    Limit l;
    auto need = [&](std::string_view key) -> const json::value* {
      auto* p = o.if_contains(key);
      if (!p) r.add(at + "." + std::string(key), "is required");
      return p;
    };
    if (auto* n = need("name")) {
      if (auto s = r.string(*n, at + ".name")) {
        if (!validName(*s)) {
          r.add(at + ".name", "'" + *s + "': a name is 1 to 64 of A-Z a-z 0-9 - _ .");
        } else if (!names.insert(*s).second) {
          r.add(at + ".name", "duplicate limit name '" + *s + "'");
        } else {
          l.name = *s;
        }
      }
    }
    auto* role = o.if_contains("role");
    auto* action = o.if_contains("action");
    if (role && action) {
      r.add(at, "give either role or action, not both");
    } else if (!role && !action) {
      r.add(at,
            "needs role (contain) or action (the name of a destructive action) to say "
            "what it counts");
    } else if (role) {
      if (auto s = r.string(*role, at + ".role")) {
        if (std::find(kRoles.begin(), kRoles.end(), *s) == kRoles.end()) {
          r.add(at + ".role", "unknown role '" + *s +
                                  "' (roles: contain, restore, evidence, notify, siem, read)");
        } else if (*s != "contain") {
          r.add(at + ".role", "role '" + *s +
                                  "' is not destructive: limits count destructive actions "
                                  "(role contain)");
        } else {
          l.role = *s;
        }
      }
    } else if (auto s = r.string(*action, at + ".action")) {
      l.action = s->starts_with("riposte:") ? s->substr(8) : *s;
    }
    if (auto* per = need("per")) {
      auto one = [&](const json::value& e, const std::string& p) {
        if (!e.is_string()) {
          r.add(p, "must be global, account or region");
          return;
        }
        auto s = e.get_string();
        if (s == "account") {
          l.per_account = true;
        } else if (s == "region") {
          l.per_region = true;
        } else if (s != "global" || per->is_array()) {
          r.add(p, "'" + std::string(s) +
                       "': must be global, account, region, or a list of account and region");
        }
      };
      if (per->is_array()) {
        const auto& a = per->get_array();
        if (a.empty()) r.add(at + ".per", "must not be an empty list");
        for (std::size_t j = 0; j < a.size(); ++j)
          one(a[j], at + ".per[" + std::to_string(j) + "]");
      } else {
        one(*per, at + ".per");
      }
    }
    auto* max = o.if_contains("max");
    auto* pct = o.if_contains("max_percent");
    if (max && pct) {
      r.add(at, "give either max (a rate limit) or max_percent (a share cap), not both");
    } else if (!max && !pct) {
      r.add(at,
            "needs max (at most N per window) or max_percent (a share of the running "
            "instances)");
    } else if (max) {
      if (auto n = r.integer(*max, at + ".max", 1, 1'000'000)) l.max = *n;
    } else {
      auto d = asNumber(*pct);
      if (!d || !std::isfinite(*d) || *d <= 0 || *d > 100) {
        r.add(at + ".max_percent", "must be a number above 0 and at most 100");
      } else {
        l.max_percent = *d;
        if (!(l.per_account && l.per_region)) {
          r.add(at + ".per",
                "a share cap counts per account and region (the running instances are counted "
                "in the region the action acts in): per must be [account, region]");
        }
      }
    }
    if (auto* w = need("window")) {
      if (auto ms = r.window(*w, at + ".window")) l.window_ms = *ms;
    }
    if (auto* ol = need("on_limit")) {
      if (auto x = r.onLimit(*ol, at + ".on_limit")) l.on_limit = *x;
    }
    if (problems.size() == before) out.push_back(std::move(l));
  }
  return out;
}

std::optional<Breaker> parseBreaker(const json::value& v, std::vector<Problem>& problems) {
  Reader r{problems};
  const std::size_t before = problems.size();
  if (!r.object(v, "breaker", keysAt("breaker"))) return std::nullopt;
  const auto& o = v.get_object();
  Breaker b;
  for (const std::string& key : keysAt("breaker")) {
    if (!o.contains(key)) r.add("breaker." + key, "is required");
  }
  if (auto* t = o.if_contains("threshold")) {
    if (auto n = r.integer(*t, "breaker.threshold", 1, 1'000'000)) b.threshold = *n;
  }
  if (auto* w = o.if_contains("window")) {
    if (auto ms = r.window(*w, "breaker.window")) b.window_ms = *ms;
  }
  if (auto* ol = o.if_contains("on_limit")) {
    if (auto x = r.onLimit(*ol, "breaker.on_limit")) b.on_limit = *x;
  }
  if (problems.size() != before) return std::nullopt;
  return b;
}

namespace {

ScopeList parseScopeList(Reader& r, const json::value& v, const std::string& at) {
  ScopeList s;
  if (!r.object(v, at, keysAt(at))) return s;
  const auto& o = v.get_object();
  if (auto* a = o.if_contains("accounts")) {
    s.accounts = r.strings(*a, at + ".accounts");
    for (std::size_t i = 0; i < s.accounts.size(); ++i) {
      const auto& id = s.accounts[i];
      if (id.size() != 12 ||
          !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        r.add(at + ".accounts[" + std::to_string(i) + "]",
              "'" + id + "': an account id is 12 digits (quote it in YAML)");
      }
    }
  }
  if (auto* a = o.if_contains("regions")) s.regions = r.strings(*a, at + ".regions");
  if (auto* a = o.if_contains("vpcs")) {
    s.vpcs = r.strings(*a, at + ".vpcs");
    for (std::size_t i = 0; i < s.vpcs.size(); ++i) {
      if (!s.vpcs[i].starts_with("vpc-")) {
        r.add(at + ".vpcs[" + std::to_string(i) + "]",
              "'" + s.vpcs[i] + "': a VPC id starts with vpc-");
      }
    }
  }
  if (auto* a = o.if_contains("resource_ids")) s.resource_ids = r.strings(*a, at + ".resource_ids");
  if (auto* t = o.if_contains("tags")) {
    if (!t->is_object()) {
      r.add(at + ".tags", "must map tag keys to lists of values ({env: [prod]})");
    } else {
      for (const auto& kv : t->get_object()) {
        std::string p = at + ".tags." + std::string(kv.key());
        if (kv.key().empty()) {
          r.add(at + ".tags", "a tag key must not be empty");
          continue;
        }
        auto values = r.strings(kv.value(), p);
        if (kv.value().is_array() && kv.value().get_array().empty()) {
          r.add(p, "must list at least one value");
        }
        s.tags[std::string(kv.key())] = std::move(values);
      }
    }
  }
  return s;
}

}  // namespace

Scope parseScope(const json::value& v, std::vector<Problem>& problems) {
  Reader r{problems};
  Scope s;
  if (!r.object(v, "scope", keysAt("scope"))) return s;
  const auto& o = v.get_object();
  if (auto* a = o.if_contains("allow")) s.allow = parseScopeList(r, *a, "scope.allow");
  if (auto* d = o.if_contains("deny")) s.deny = parseScopeList(r, *d, "scope.deny");
  return s;
}

// ---------------------------------------------------------------- decisions

std::vector<LimitCheck> checksFor(const GuardRails& rails, const ActionFacts& facts) {
  std::vector<LimitCheck> out;
  for (const auto& l : rails.limits) {
    bool counts = !l.action.empty() ? l.action == facts.action : l.role == facts.role;
    if (!counts) continue;
    std::string key;
    if (l.per_account) key = "account=" + facts.account;
    if (l.per_region) key += (key.empty() ? "" : "/") + std::string("region=") + facts.region;
    if (key.empty()) key = "global";
    out.push_back(LimitCheck{&l, std::move(key)});
  }
  return out;
}

int64_t shareCapMax(double percent, int64_t running) {
  if (running <= 0 || percent <= 0) return 0;
  // Exact for whole percentages; a tiny epsilon keeps 5 % of 20 at 1, not 0.99999.
  return static_cast<int64_t>(std::floor(percent * static_cast<double>(running) / 100.0 + 1e-9));
}

namespace {

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Whether the tags carry any key with one of its listed values.
bool tagsMatch(const std::map<std::string, std::vector<std::string>>& want,
               const std::map<std::string, std::string>& have) {
  for (const auto& [k, values] : want) {
    auto it = have.find(k);
    if (it != have.end() && contains(values, it->second)) return true;
  }
  return false;
}

std::string tagList(const std::map<std::string, std::vector<std::string>>& want) {
  std::string s;
  for (const auto& [k, values] : want) {
    for (const auto& v : values) s += (s.empty() ? "" : ", ") + k + "=" + v;
  }
  return s;
}

}  // namespace

ScopeDecision checkScope(const Scope& scope, const ResourceFacts& f) {
  auto no = [](std::string why) { return ScopeDecision{false, std::move(why)}; };
  const std::string res = f.resource_id.empty() ? std::string("the resource") : f.resource_id;
  // What the lists need and cannot be read refuses the action, whichever list needs it.
  if (scope.needsResourceId() && f.resource_id.empty()) {
    return no(
        "scope lists resource ids, and riposte cannot tell which resource this action "
        "changes" +
        (f.resource_id_error.empty() ? std::string() : ": " + f.resource_id_error) +
        "; not acting");
  }
  if (scope.needsVpc() && f.has_vpc && !f.vpc) {
    return no("scope lists VPCs, and riposte cannot read the VPC of " + res + ": " +
              (f.vpc_error.empty() ? std::string("unknown") : f.vpc_error) + "; not acting");
  }
  if (scope.needsTags() && f.has_tags && !f.tags) {
    return no("scope lists tags, and riposte cannot read the tags of " + res + ": " +
              (f.tags_error.empty() ? std::string("unknown") : f.tags_error) + "; not acting");
  }
  const ScopeList& d = scope.deny;
  if (contains(d.accounts, f.account)) return no("account " + f.account + " is in scope.deny");
  if (contains(d.regions, f.region)) return no("region " + f.region + " is in scope.deny");
  if (!f.resource_id.empty() && contains(d.resource_ids, f.resource_id))
    return no(res + " is in scope.deny.resource_ids");
  if (f.vpc && contains(d.vpcs, *f.vpc)) return no(res + " is in " + *f.vpc + ", in scope.deny");
  if (f.tags && tagsMatch(d.tags, *f.tags))
    return no(res + " carries a tag of scope.deny.tags (" + tagList(d.tags) + ")");
  const ScopeList& a = scope.allow;
  if (!a.accounts.empty() && !contains(a.accounts, f.account))
    return no("account " + f.account + " is not in scope.allow.accounts");
  if (!a.regions.empty() && !contains(a.regions, f.region))
    return no("region " + f.region + " is not in scope.allow.regions");
  if (!a.resource_ids.empty() && !contains(a.resource_ids, f.resource_id))
    return no(res + " is not in scope.allow.resource_ids");
  if (!a.vpcs.empty() && f.has_vpc && !contains(a.vpcs, *f.vpc))
    return no(res + " is in " + *f.vpc + ", not in scope.allow.vpcs");
  if (!a.tags.empty() && f.has_tags && !tagsMatch(a.tags, *f.tags))
    return no(res + " carries none of the tags of scope.allow.tags (" + tagList(a.tags) + ")");
  return {};
}

}  // namespace riposte::policy
