#include "policy/suppression.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <unordered_map>

#include "config/schema.h"
#include "core/clock.h"
#include "policy/guardduty_filter.h"
#include "policy/schema.h"

namespace riposte::policy {

namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kMaxDurationMs = 3650LL * 24 * 60 * kMinuteMs;

// "unknown key 'expire' (did you mean 'expires'?)"
std::string unknownKey(std::string_view key, const std::vector<std::string>& known) {
  return config::unknownMessage("key", key, known);
}

std::string typeName(const json::value& v) {
  if (v.is_string()) return "a string";
  if (v.is_bool()) return "a boolean";
  if (v.is_null()) return "null";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "a mapping";
  return "a number";
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool leapYear(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// A list of non-empty strings at `path` (one string is not accepted: a list is a list).
std::optional<std::vector<std::string>> stringList(const json::value& v, const std::string& path,
                                                   Problems& problems) {
  if (!v.is_array()) {
    problems.push_back({path, "must be a list of strings, not " + typeName(v)});
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  const auto& a = v.get_array();
  if (a.empty()) {
    problems.push_back({path, "must not be empty (leave the key out instead)"});
    return std::nullopt;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string where = path + "[" + std::to_string(i) + "]";
    if (!a[i].is_string() || a[i].get_string().empty()) {
      problems.push_back({where, "must be a non-empty string, not " + typeName(a[i])});
      ok = false;
      continue;
    }
    out.emplace_back(a[i].get_string());
  }
  if (!ok) return std::nullopt;
  return out;
}

bool validRegion(std::string_view r) {
  // "us-east-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1": letters and digits in
  // dash-separated parts, ending in a number.
  if (r.size() < 4 || r.size() > 32) return false;
  std::size_t dash = r.rfind('-');
  if (dash == std::string_view::npos || !digits(r.substr(dash + 1))) return false;
  for (char c : r)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return r.front() != '-' && r.find("--") == std::string_view::npos;
}

std::optional<ResourceScope> parseScope(const json::value& v, const std::string& path,
                                        Problems& problems) {
  const std::vector<std::string>& kKeys = keysAt("suppressions[].match.scope");
  if (!v.is_object()) {
    problems.push_back(
        {path, "must be a mapping (accounts, regions, resource_ids, tags), not " + typeName(v)});
    return std::nullopt;
  }
  ResourceScope s;
  std::size_t before = problems.size();
  for (const auto& kv : v.get_object()) {
    std::string key(kv.key());
    std::string where = path + "." + key;
    if (key == "accounts") {
      if (auto l = stringList(kv.value(), where, problems)) {
        for (std::size_t i = 0; i < l->size(); ++i) {
          if ((*l)[i].size() != 12 || !digits((*l)[i])) {
            problems.push_back({where + "[" + std::to_string(i) + "]",
                                "'" + (*l)[i] + "' is not an account id (12 digits)"});
          }
        }
        s.accounts = std::move(*l);
      }
    } else if (key == "regions") {
      if (auto l = stringList(kv.value(), where, problems)) {
        for (std::size_t i = 0; i < l->size(); ++i) {
          if (!validRegion((*l)[i])) {
            problems.push_back({where + "[" + std::to_string(i) + "]",
                                "'" + (*l)[i] + "' is not a region name (like us-east-1)"});
          }
        }
        s.regions = std::move(*l);
      }
    } else if (key == "resource_ids") {
      if (auto l = stringList(kv.value(), where, problems)) s.resource_ids = std::move(*l);
    } else if (key == "tags") {
      if (!kv.value().is_object() || kv.value().get_object().empty()) {
        problems.push_back(
            {where, "must be a non-empty mapping of tag keys to values ({Environment: test})"});
        continue;
      }
      for (const auto& t : kv.value().get_object()) {
        if (t.key().empty()) {
          problems.push_back({where, "a tag key must not be empty"});
          continue;
        }
        if (!t.value().is_string()) {
          problems.push_back({where + "." + std::string(t.key()),
                              "a tag value must be a string, not " + typeName(t.value()) +
                                  " (quote it: \"" + json::serialize(t.value()) + "\")"});
          continue;
        }
        s.tags.emplace_back(std::string(t.key()), std::string(t.value().get_string()));
      }
    } else {
      problems.push_back({where, unknownKey(key, kKeys)});
    }
  }
  if (problems.size() != before) return std::nullopt;
  if (s.empty()) {
    problems.push_back({path, "must name at least one of accounts, regions, resource_ids, tags"});
    return std::nullopt;
  }
  return s;
}

const json::value* member(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it == o.end() ? nullptr : &it->value();
}

void appendTagList(const json::value* list, std::vector<std::pair<std::string, std::string>>& out) {
  if (!list || !list->is_array()) return;
  for (const auto& t : list->get_array()) {
    if (!t.is_object()) continue;
    const auto* k = member(t.get_object(), "key");
    const auto* v = member(t.get_object(), "value");
    if (k && k->is_string()) {
      out.emplace_back(std::string(k->get_string()),
                       v && v->is_string() ? std::string(v->get_string()) : std::string());
    }
  }
}

}  // namespace

std::string_view originName(Origin o) {
  return o == Origin::kConfig ? "config" : "store";
}

std::vector<std::pair<std::string, std::string>> resourceTagsOf(const json::object& event) {
  std::vector<std::pair<std::string, std::string>> out;
  const json::value* detail = member(event, "detail");
  if (!detail || !detail->is_object()) return out;
  const auto& d = detail->get_object();
  if (const auto* res = member(d, "resource"); res && res->is_object()) {
    const auto& r = res->get_object();
    for (const char* k : {"instanceDetails", "eksClusterDetails", "ecsClusterDetails"}) {
      if (const auto* x = member(r, k); x && x->is_object())
        appendTagList(member(x->get_object(), "tags"), out);
    }
    if (const auto* b = member(r, "s3BucketDetails"); b && b->is_array()) {
      for (const auto& e : b->get_array())
        if (e.is_object()) appendTagList(member(e.get_object(), "tags"), out);
    }
  }
  if (const auto* f = member(d, "findings"); f && f->is_array()) {
    for (const auto& finding : f->get_array()) {
      if (!finding.is_object()) continue;
      const auto* rs = member(finding.get_object(), "Resources");
      if (!rs || !rs->is_array()) continue;
      for (const auto& r : rs->get_array()) {
        if (!r.is_object()) continue;
        const auto* tags = member(r.get_object(), "Tags");
        if (!tags || !tags->is_object()) continue;
        for (const auto& kv : tags->get_object()) {
          if (kv.value().is_string())
            out.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
        }
      }
    }
  }
  return out;
}

Result<int64_t> parseDurationMs(std::string_view text) {
  auto bad = [&] {
    return fail("InvalidDuration", "'" + std::string(text) +
                                       "' is not a duration: write a whole number and a unit, "
                                       "d (days), h (hours) or m (minutes): 7d, 12h, 30m");
  };
  if (text.size() < 2) return bad();
  char unit = text.back();
  std::string_view num = text.substr(0, text.size() - 1);
  if (!digits(num) || num.front() == '0' || num.size() > 9) return bad();
  int64_t n = 0;
  std::from_chars(num.data(), num.data() + num.size(), n);
  int64_t ms = 0;
  switch (unit) {
    case 'd':
      ms = n * 24 * 60 * kMinuteMs;
      break;
    case 'h':
      ms = n * 60 * kMinuteMs;
      break;
    case 'm':
      ms = n * kMinuteMs;
      break;
    default:
      return bad();
  }
  if (ms > kMaxDurationMs) {
    return fail("InvalidDuration", "'" + std::string(text) +
                                       "' is longer than 3650d (ten years): give no expiry "
                                       "for a suppression that stays until it is deleted");
  }
  return ms;
}

Result<int64_t> parseTimeMs(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return fail("InvalidTime", "'" + std::string(text) + "' is not an RFC 3339 time (" + why +
                                   "; for example 2026-12-31T00:00:00Z)");
  };
  // YYYY-MM-DDTHH:MM:SS, then optional .fraction, then Z or ±HH:MM.
  if (text.size() < 19) return bad("too short");
  for (std::size_t i : {4u, 7u}) {
    if (text[i] != '-') return bad("the date is YYYY-MM-DD");
  }
  if (text[10] != 'T' && text[10] != 't') return bad("a 'T' separates the date and the time");
  if (text[13] != ':' || text[16] != ':') return bad("the time is HH:MM:SS");
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u, 11u, 12u, 14u, 15u, 17u, 18u}) {
    if (text[i] < '0' || text[i] > '9')
      return bad("a digit is expected at position " + std::to_string(i + 1));
  }
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v * 10 + (text[at + i] - '0');
    return v;
  };
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12) return bad("no month " + std::to_string(mo));
  int dim = kDays[mo - 1] + (mo == 2 && leapYear(y) ? 1 : 0);
  if (d < 1 || d > dim) return bad("no day " + std::to_string(d) + " in that month");
  if (h > 23 || mi > 59 || s > 59) return bad("the time of day is out of range");
  std::size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return bad("a fraction needs digits");
  }
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    if (i + 6 != text.size() || text[i + 3] != ':' || !digits(text.substr(i + 1, 2)) ||
        !digits(text.substr(i + 4, 2)) || num(i + 1, 2) > 23 || num(i + 4, 2) > 59)
      return bad("the offset is ±HH:MM");
    i += 6;
  } else {
    return bad("a time zone is required: Z or ±HH:MM");
  }
  if (i != text.size()) return bad("unexpected text after the time zone");
  int64_t ms = 0;
  if (!parseIso8601(std::string(text), ms)) return bad("unreadable");
  return ms;
}

Result<void> checkSuppressionName(std::string_view name) {
  if (name.empty() || name.size() > 56) {
    return fail("InvalidName",
                "a suppression name is 1-56 characters, not " + std::to_string(name.size()));
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return fail("InvalidName", "'" + std::string(name) +
                                     "' is not a suppression name: letters, digits, '.', '_' "
                                     "and '-' only");
    }
  }
  return {};
}

Result<Suppression> parseSuppression(const json::value& entry, const std::string& path,
                                     Origin origin, int64_t now_ms, Problems& problems,
                                     const std::string& default_owner) {
  // A stored suppression is given as the configuration's, but for `created` (riposte sets it).
  static const std::vector<std::string> kConfigKeys = keysAt("suppressions[]");
  static const std::vector<std::string> kStoreKeys = [] {
    std::vector<std::string> k = kConfigKeys;
    std::erase(k, "created");
    return k;
  }();
  const auto& keys = origin == Origin::kConfig ? kConfigKeys : kStoreKeys;
  auto invalid = [&] {
    return fail("InvalidSuppression", problems.empty()
                                          ? path + ": invalid"
                                          : problems.back().path + ": " + problems.back().message);
  };
  if (!entry.is_object()) {
    problems.push_back({path,
                        "a suppression is a mapping (name, reason, owner, expires, match), "
                        "not " +
                            typeName(entry)});
    return invalid();
  }
  const auto& o = entry.get_object();
  std::size_t before = problems.size();
  Suppression s;
  s.origin = origin;
  for (const auto& kv : o) {
    if (std::find(keys.begin(), keys.end(), std::string_view(kv.key())) == keys.end()) {
      std::string msg = unknownKey(kv.key(), keys);
      if (origin == Origin::kStore && kv.key() == "created")
        msg = "'created' is set by riposte when it stores the suppression";
      problems.push_back({path + "." + std::string(kv.key()), msg});
    }
  }
  auto text = [&](const char* key, bool required) -> std::optional<std::string> {
    const auto* v = member(o, key);
    if (!v) {
      if (required) problems.push_back({path + "." + key, std::string("is required")});
      return std::nullopt;
    }
    if (!v->is_string() || v->get_string().empty()) {
      problems.push_back({path + "." + key, "must be a non-empty string, not " + typeName(*v)});
      return std::nullopt;
    }
    return std::string(v->get_string());
  };
  if (auto n = text("name", true)) {
    if (auto c = checkSuppressionName(*n); !c) {
      problems.push_back({path + ".name", c.error().message});
    }
    s.name = *n;
  }
  if (auto r = text("reason", true)) s.reason = *r;
  if (auto w = text("owner", origin == Origin::kConfig || default_owner.empty())) {
    s.owner = *w;
  } else if (origin == Origin::kStore && !member(o, "owner")) {
    s.owner = default_owner;
  }
  std::optional<int64_t> created;
  if (auto c = text("created", false)) {
    if (auto t = parseTimeMs(*c)) {
      created = *t;
      s.created_ms = *t;
    } else {
      problems.push_back({path + ".created", t.error().message});
    }
  }
  if (origin == Origin::kStore) s.created_ms = now_ms;
  if (auto e = text("expires", false)) {
    bool looks_duration =
        !e->empty() && e->find('-') == std::string::npos && e->find(':') == std::string::npos;
    if (looks_duration) {
      auto d = parseDurationMs(*e);
      if (!d) {
        problems.push_back({path + ".expires", d.error().message});
      } else if (origin == Origin::kStore) {
        s.expires_ms = now_ms + *d;
      } else if (created) {
        s.expires_ms = *created + *d;
      } else if (!member(o, "created")) {
        problems.push_back(
            {path + ".expires",
             "a duration needs `created` (the RFC 3339 time it counts from): a file is read again "
             "at every start, so the duration would never end; or give an absolute time"});
      }
    } else if (auto t = parseTimeMs(*e)) {
      s.expires_ms = *t;
    } else {
      problems.push_back({path + ".expires", t.error().message});
    }
  }
  if (const auto* g = member(o, "guardduty")) {
    if (!g->is_string() || g->get_string() != "archive") {
      problems.push_back(
          {path + ".guardduty",
           "the only GuardDuty sync is 'archive' (a filter with action ARCHIVE), "
           "not " +
               (g->is_string() ? "'" + std::string(g->get_string()) + "'" : typeName(*g))});
    } else {
      s.guardduty_archive = true;
      if (s.name.size() < 3)
        problems.push_back({path + ".name",
                            "a suppression synced to GuardDuty needs a name of "
                            "3 characters at least (GuardDuty's filter names)"});
    }
  }
  const auto* m = member(o, "match");
  if (!m) {
    problems.push_back({path + ".match", "is required: a pattern and/or a scope"});
  } else if (!m->is_object()) {
    problems.push_back(
        {path + ".match", "must be a mapping with pattern and/or scope, not " + typeName(*m)});
  } else {
    const std::vector<std::string>& kMatchKeys = keysAt("suppressions[].match");
    for (const auto& kv : m->get_object()) {
      std::string key(kv.key());
      std::string where = path + ".match." + key;
      if (key == "pattern") {
        const auto& pv = kv.value();
        std::string pj;
        if (pv.is_string()) {
          pj = std::string(pv.get_string());
        } else if (pv.is_object()) {
          pj = json::serialize(pv);
        } else {
          problems.push_back({where,
                              "must be an EventBridge pattern (a mapping, or its JSON in a "
                              "string), not " +
                                  typeName(pv)});
          continue;
        }
        if (auto v = pattern::validatePattern(pj); !v) {
          problems.push_back({where, "Event pattern is not valid. Reason: " + v.error().message});
          continue;
        }
        // Kept compact and canonical (a string pattern as it was given, once it is valid).
        if (pv.is_string()) {
          if (auto parsed = parseJson(pj)) pj = json::serialize(*parsed);
        }
        s.pattern_json = std::move(pj);
      } else if (key == "scope") {
        if (auto sc = parseScope(kv.value(), where, problems)) s.scope = std::move(*sc);
      } else {
        problems.push_back({where, unknownKey(key, kMatchKeys)});
      }
    }
    if (problems.size() == before && s.pattern_json.empty() && s.scope.empty()) {
      problems.push_back({path + ".match", "must give a pattern, a scope or both"});
    }
  }
  if (problems.size() != before) return invalid();
  // Synced to GuardDuty only when its filter says exactly what the suppression matches.
  if (s.guardduty_archive) {
    if (auto f = guardDutyFilterOf(s); !f) {
      const std::string& m = f.error().message;
      const std::size_t colon = m.find(": ");
      problems.push_back({path + "." + m.substr(0, colon),
                          "guardduty: archive cannot be honoured: " + m.substr(colon + 2) +
                              " (remove `guardduty: archive` to suppress in riposte only)"});
      return invalid();
    }
  }
  return s;
}

ParsedSuppressions parseSuppressions(const json::value& list, const std::string& path,
                                     Origin origin, int64_t now_ms) {
  ParsedSuppressions out;
  if (list.is_null()) return out;
  if (!list.is_array()) {
    out.problems.push_back({path, "must be a list of suppressions, not " + typeName(list)});
    return out;
  }
  std::set<std::string> names;
  const auto& a = list.get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string where = path + "[" + std::to_string(i) + "]";
    auto s = parseSuppression(a[i], where, origin, now_ms, out.problems);
    if (!s) continue;
    if (!names.insert(s->name).second) {
      out.problems.push_back(
          {where + ".name", "duplicate suppression name '" + s->name + "' (names are unique)"});
      continue;
    }
    out.suppressions.push_back(std::move(*s));
    out.indexes.push_back(i);
  }
  return out;
}

json::object suppressionJson(const Suppression& s, int64_t now_ms) {
  json::object o;
  o["name"] = s.name;
  o["reason"] = s.reason;
  o["owner"] = s.owner;
  o["expires"] =
      s.expires_ms ? json::value(formatIso8601Millis(*s.expires_ms)) : json::value(nullptr);
  json::object match;
  if (!s.pattern_json.empty()) {
    auto p = parseJson(s.pattern_json);
    match["pattern"] = p ? *p : json::value(s.pattern_json);
  }
  if (!s.scope.empty()) {
    json::object scope;
    auto list = [](const std::vector<std::string>& v) {
      json::array a;
      for (const auto& x : v) a.push_back(json::value(x));
      return a;
    };
    if (!s.scope.accounts.empty()) scope["accounts"] = list(s.scope.accounts);
    if (!s.scope.regions.empty()) scope["regions"] = list(s.scope.regions);
    if (!s.scope.resource_ids.empty()) scope["resource_ids"] = list(s.scope.resource_ids);
    if (!s.scope.tags.empty()) {
      json::object tags;
      for (const auto& [k, v] : s.scope.tags) tags[k] = v;
      scope["tags"] = std::move(tags);
    }
    match["scope"] = std::move(scope);
  }
  o["match"] = std::move(match);
  if (s.guardduty_archive) o["guardduty"] = "archive";
  o["source"] = std::string(originName(s.origin));
  if (s.created_ms) o["createdAt"] = formatIso8601Millis(s.created_ms);
  if (!s.created_by.empty()) o["createdBy"] = s.created_by;
  o["expired"] = s.expiredAt(now_ms);
  o["deletable"] = s.origin == Origin::kStore;
  return o;
}

Result<Suppression> suppressionFromStored(const json::value& stored) {
  if (!stored.is_object()) return fail("InvalidSuppression", "stored suppression is not an object");
  json::object entry;
  const auto& o = stored.get_object();
  for (const char* k : {"name", "reason", "owner", "match", "guardduty"}) {
    if (auto it = o.find(k); it != o.end() && !it->value().is_null()) entry[k] = it->value();
  }
  if (auto it = o.find("expires"); it != o.end() && it->value().is_string())
    entry["expires"] = it->value();
  int64_t created = 0;
  if (auto it = o.find("createdAt"); it != o.end() && it->value().is_string()) {
    auto t = parseTimeMs(it->value().get_string());
    if (!t) return fail(t.error());
    created = *t;
  }
  Problems problems;
  auto s = parseSuppression(entry, "suppression", Origin::kStore, created, problems);
  if (!s) return fail(s.error());
  if (auto it = o.find("createdBy"); it != o.end() && it->value().is_string())
    s->created_by = std::string(it->value().get_string());
  return s;
}

std::string describeScope(const ResourceScope& scope) {
  std::vector<std::string> parts;
  auto join = [](const std::vector<std::string>& v, const std::string& word) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0) s += i + 1 == v.size() ? " " + word + " " : ", ";
      s += v[i];
    }
    return s;
  };
  if (!scope.accounts.empty())
    parts.push_back((scope.accounts.size() == 1 ? "in account " : "in accounts ") +
                    join(scope.accounts, "or"));
  if (!scope.regions.empty())
    parts.push_back((scope.regions.size() == 1 ? "in region " : "in regions ") +
                    join(scope.regions, "or"));
  if (!scope.resource_ids.empty()) parts.push_back("about " + join(scope.resource_ids, "or"));
  if (!scope.tags.empty()) {
    std::vector<std::string> tags;
    for (const auto& [k, v] : scope.tags) tags.push_back(k + "=" + v);
    parts.push_back((scope.tags.size() == 1 ? "on a resource tagged " : "on a resource tagged ") +
                    join(tags, "or"));
  }
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) s += i + 1 == parts.size() ? " and " : ", ";
    s += parts[i];
  }
  return s;
}

// ---------------------------------------------------------------- the set

// Scope-only suppressions by the first dimension they name (resource ids, else accounts, else
// regions, else tags): the event's values are looked up there, the rest of the scope checked.
struct SuppressionSet::Index {
  std::unordered_map<std::string, std::vector<uint32_t>> by_resource, by_account, by_region,
      by_tag;  // by_tag key: "<key>\n<value>"
};

SuppressionSet::~SuppressionSet() = default;

std::shared_ptr<const SuppressionSet> SuppressionSet::empty() {
  static const std::shared_ptr<const SuppressionSet> e = *build({});
  return e;
}

Result<std::shared_ptr<const SuppressionSet>> SuppressionSet::build(std::vector<Suppression> all) {
  auto set = std::shared_ptr<SuppressionSet>(new SuppressionSet());
  set->index_ = std::make_unique<Index>();
  pattern::RuleSetBuilder builder;
  std::set<std::string_view> names;
  for (uint32_t i = 0; i < all.size(); ++i) {
    const Suppression& s = all[i];
    if (!names.insert(s.name).second)
      return fail("Conflict", "suppression name '" + s.name + "' is used twice");
    if (!s.pattern_json.empty()) {
      auto r = builder.add(s.name, s.pattern_json);
      if (!r) {
        return fail("InvalidEventPattern",
                    "suppression '" + s.name +
                        "': Event pattern is not valid. Reason: " + r.error().message);
      }
      set->pattern_owner_.push_back(i);
    } else {
      auto& ix = *set->index_;
      if (!s.scope.resource_ids.empty()) {
        for (const auto& id : s.scope.resource_ids) ix.by_resource[id].push_back(i);
      } else if (!s.scope.accounts.empty()) {
        for (const auto& a : s.scope.accounts) ix.by_account[a].push_back(i);
      } else if (!s.scope.regions.empty()) {
        for (const auto& r : s.scope.regions) ix.by_region[r].push_back(i);
      } else {
        for (const auto& [k, v] : s.scope.tags) ix.by_tag[k + "\n" + v].push_back(i);
      }
    }
    if (!s.scope.resource_ids.empty() || !s.scope.tags.empty()) set->needs_facts_ = true;
  }
  set->patterns_ = builder.build();
  // Names point into all_: moved in after the names set is done with.
  names.clear();
  set->all_ = std::move(all);
  return std::shared_ptr<const SuppressionSet>(std::move(set));
}

bool SuppressionSet::scopeMatches(const ResourceScope& s, const EventFacts& f) const {
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  if (!s.accounts.empty() && !has(s.accounts, f.account)) return false;
  if (!s.regions.empty() && !has(s.regions, f.region)) return false;
  if (!s.resource_ids.empty()) {
    bool any = std::any_of(f.resource_ids.begin(), f.resource_ids.end(),
                           [&](const std::string& id) { return has(s.resource_ids, id); });
    if (!any) return false;
  }
  if (!s.tags.empty()) {
    bool any = std::any_of(s.tags.begin(), s.tags.end(), [&](const auto& t) {
      return std::find(f.tags.begin(), f.tags.end(), t) != f.tags.end();
    });
    if (!any) return false;
  }
  return true;
}

Result<const Suppression*> SuppressionSet::match(const std::string& event_json,
                                                 const EventFacts& facts, int64_t now_ms) const {
  uint32_t best = UINT32_MAX;
  auto consider = [&](uint32_t i) {
    if (i >= best) return;
    const Suppression& s = all_[i];
    if (s.expiredAt(now_ms)) return;
    if (!s.scope.empty() && !scopeMatches(s.scope, facts)) return;
    best = i;
  };
  if (patterns_->size() > 0) {
    auto hits = patterns_->matchString(event_json);
    if (!hits) return fail(hits.error());
    for (uint32_t h : *hits) consider(pattern_owner_[h]);
  }
  const Index& ix = *index_;
  auto lookup = [&](const std::unordered_map<std::string, std::vector<uint32_t>>& m,
                    const std::string& key) {
    if (m.empty()) return;
    auto it = m.find(key);
    if (it == m.end()) return;
    for (uint32_t i : it->second) consider(i);
  };
  for (const auto& id : facts.resource_ids) lookup(ix.by_resource, id);
  lookup(ix.by_account, facts.account);
  lookup(ix.by_region, facts.region);
  if (!ix.by_tag.empty()) {
    for (const auto& [k, v] : facts.tags) lookup(ix.by_tag, k + "\n" + v);
  }
  return best == UINT32_MAX ? nullptr : &all_[best];
}

const Suppression* SuppressionSet::find(std::string_view name) const {
  for (const auto& s : all_)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace riposte::policy
