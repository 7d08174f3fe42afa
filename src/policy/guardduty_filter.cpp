#include "policy/guardduty_filter.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <utility>
#include <vector>

#include "config/schema.h"
#include "policy/schema.h"

namespace riposte::policy {

namespace {

struct FieldType {
  std::string_view field;
  char type;
};

constexpr FieldType kFields[] = {
#include "policy/guardduty_fields.inc"
};

constexpr std::size_t kMaxValues = 50;  // GuardDuty: at most 50 values a condition

auto unmappable(const std::string& where, const std::string& why) {
  return fail("UnmappableSuppression", where + ": " + why);
}

bool wholeNumber(const json::value& v, int64_t& out) {
  if (v.is_int64()) {
    out = v.get_int64();
    return true;
  }
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<uint64_t>(INT64_MAX)) return false;
    out = static_cast<int64_t>(v.get_uint64());
    return true;
  }
  if (v.is_double()) {
    const double d = v.get_double();
    if (std::floor(d) != d || std::fabs(d) > 9007199254740992.0) return false;
    out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

std::string typeWord(char t) {
  switch (t) {
    case 'S':
      return "text";
    case 'N':
      return "an integer";
    case 'D':
      return "a number";
    case 'B':
      return "a boolean";
    default:
      return "a timestamp";
  }
}

// One field's list of matchers → its condition.
Result<json::object> conditionOf(const std::string& field, char type, const json::array& list,
                                 const std::string& where) {
  if (list.empty()) return unmappable(where, "an empty list matches nothing");
  if (list.size() > kMaxValues)
    return unmappable(
        where, "GuardDuty takes at most 50 values a criterion, not " + std::to_string(list.size()));
  json::object cond;
  std::size_t objects = 0;
  for (const auto& m : list) objects += m.is_object() ? 1 : 0;
  if (objects > 0) {
    const json::object& first = std::find_if(list.begin(), list.end(), [](const json::value& m) {
                                  return m.is_object();
                                })->get_object();
    const std::string op = first.empty() ? std::string("{}") : std::string(first.begin()->key());
    if (op == "anything-but")
      return unmappable(where,
                        "anything-but cannot be a GuardDuty criterion: GuardDuty's notEquals "
                        "also matches findings without " +
                            field + ", which the pattern does not match");
    if (op != "numeric" || first.size() != 1)
      return unmappable(where, "'" + op +
                                   "' cannot be a GuardDuty criterion (GuardDuty matches whole "
                                   "values and integer ranges only)");
    if (list.size() != 1)
      return unmappable(where,
                        "a numeric range together with other values is an OR GuardDuty "
                        "cannot say in one criterion");
    if (type != 'N' && type != 'D')
      return unmappable(where, field + " is " + typeWord(type) + " in a finding, not a number");
    const json::value& spec = first.begin()->value();
    if (!spec.is_array() || spec.as_array().size() % 2 != 0 || spec.as_array().empty())
      return unmappable(where, "numeric must be a list of operator, number pairs");
    const json::array& a = spec.as_array();
    for (std::size_t i = 0; i < a.size(); i += 2) {
      int64_t n = 0;
      if (!a[i].is_string() || !wholeNumber(a[i + 1], n))
        return unmappable(where,
                          "GuardDuty's range criteria take whole numbers: a bound that is not "
                          "one cannot be said exactly");
      const std::string_view o = a[i].get_string();
      if (o == ">") {
        cond["greaterThan"] = n;
      } else if (o == ">=") {
        cond["greaterThanOrEqual"] = n;
      } else if (o == "<") {
        cond["lessThan"] = n;
      } else if (o == "<=") {
        cond["lessThanOrEqual"] = n;
      } else if (o == "=") {
        cond["greaterThanOrEqual"] = n;
        cond["lessThanOrEqual"] = n;
      } else {
        return unmappable(where, "'" + std::string(o) + "' is not a numeric operator");
      }
    }
    return cond;
  }
  json::array values;
  for (const auto& m : list) {
    int64_t n = 0;
    if (m.is_string() && type == 'S') {
      values.emplace_back(m.get_string());
    } else if (m.is_bool() && type == 'B') {
      values.emplace_back(m.get_bool() ? "true" : "false");
    } else if (type == 'N' && wholeNumber(m, n)) {
      values.emplace_back(std::to_string(n));
    } else if (type == 'D' && list.size() == 1 && wholeNumber(m, n)) {
      cond["greaterThanOrEqual"] = n;
      cond["lessThanOrEqual"] = n;
      return cond;
    } else if (m.is_null()) {
      return unmappable(where, "null cannot be a GuardDuty criterion");
    } else {
      return unmappable(where,
                        field + " is " + typeWord(type) + " in a finding; the value " +
                            json::serialize(m) +
                            (type == 'D' ? " (one whole number, or a numeric range, maps)" : "") +
                            " cannot be a GuardDuty criterion on it");
    }
  }
  cond["equals"] = std::move(values);
  return cond;
}

// `a` ∩ `b` of two equals lists (as sets, `a`'s order).
json::array intersect(const json::array& a, const json::array& b) {
  json::array out;
  for (const auto& v : a)
    if (std::find(b.begin(), b.end(), v) != b.end()) out.push_back(v);
  return out;
}

Result<void> addEquals(json::object& criterion, const std::string& field, json::array values,
                       const std::string& where) {
  if (auto* have = criterion.if_contains(field)) {
    auto& c = have->as_object();
    if (!c.contains("equals") || c.size() != 1)
      return unmappable(where, field + " is also a range in the pattern");
    values = intersect(c.at("equals").as_array(), values);
    if (values.empty())
      return unmappable(where, "the pattern's and the scope's " + field +
                                   " have nothing in common: the suppression matches nothing");
  }
  criterion[field] = json::object{{"equals", std::move(values)}};
  return {};
}

bool listsExactly(const json::value& v, std::string_view wanted) {
  if (!v.is_array()) return false;
  for (const auto& m : v.as_array())
    if (m.is_string() && m.get_string() == wanted) return true;
  return false;
}

Result<void> walkDetail(const json::object& o, const std::string& prefix, const std::string& where,
                        json::object& criterion) {
  for (const auto& kv : o) {
    const std::string key(kv.key());
    const std::string w = where + "." + key;
    if (key == "$or")
      return unmappable(w, "$or cannot be a GuardDuty filter (its criteria are ANDed)");
    const std::string field = prefix.empty() ? key : prefix + "." + key;
    if (kv.value().is_object()) {
      if (auto r = walkDetail(kv.value().get_object(), field, w, criterion); !r) return r;
      continue;
    }
    if (!kv.value().is_array()) return unmappable(w, "must be a list of values");
    const char type = guardDutyFieldType(field);
    if (type == 0)
      return unmappable(w, "GuardDuty cannot filter on " + field +
                               " (not one of CreateFilter's criterion fields)");
    if (type == 'T')
      return unmappable(w, "GuardDuty's criterion on " + field +
                               " takes epoch milliseconds while the finding holds text: they "
                               "cannot be matched the same way");
    auto c = conditionOf(field, type, kv.value().get_array(), w);
    if (!c) return fail(c.error());
    if (c->contains("equals") && field == "region") {
      if (auto r = addEquals(criterion, field, c->at("equals").as_array(), w); !r) return r;
    } else {
      criterion[field] = std::move(*c);
    }
  }
  return {};
}

std::string description(const Suppression& s) {
  std::string text = "riposte suppression " + s.name + ": " + s.reason;
  for (char& ch : text) {
    const unsigned char u = static_cast<unsigned char>(ch);
    const bool ok = std::isalnum(u) ||
                    std::string_view("-.:_(){}[]/ \t\v\n\f\r").find(ch) != std::string_view::npos;
    if (!ok) ch = ' ';
  }
  if (text.size() > 512) text.resize(512);
  return text;
}

}  // namespace

std::optional<GuardDutySettings> parseGuardDutySettings(const json::value& v, Problems& problems) {
  const std::size_t before = problems.size();
  if (!v.is_object()) {
    problems.push_back({"guardduty", "must be a mapping with detector_id and region"});
    return std::nullopt;
  }
  const std::vector<std::string>& keys = keysAt("guardduty");
  GuardDutySettings g;
  for (const auto& kv : v.get_object()) {
    const std::string key(kv.key());
    const std::string where = "guardduty." + key;
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      problems.push_back({where, config::unknownMessage("key", key, keys)});
    } else if (!kv.value().is_string() || kv.value().get_string().empty()) {
      problems.push_back({where, "must be a non-empty string"});
    } else if (key == "detector_id") {
      g.detector_id = std::string(kv.value().get_string());
      const bool ok = g.detector_id.size() <= 300 &&
                      std::all_of(g.detector_id.begin(), g.detector_id.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c));
                      });
      if (!ok) problems.push_back({where, "is not a GuardDuty detector id (letters and digits)"});
    } else {
      g.region = std::string(kv.value().get_string());
    }
  }
  if (g.detector_id.empty() && !v.get_object().contains("detector_id"))
    problems.push_back({"guardduty.detector_id", "is required (aws guardduty list-detectors)"});
  if (problems.size() != before) return std::nullopt;
  return g;
}

char guardDutyFieldType(std::string_view field) {
  auto it = std::lower_bound(std::begin(kFields), std::end(kFields), field,
                             [](const FieldType& f, std::string_view k) { return f.field < k; });
  return it != std::end(kFields) && it->field == field ? it->type : 0;
}

Result<GuardDutyFilter> guardDutyFilterOf(const Suppression& s) {
  GuardDutyFilter f;
  f.name = std::string(kGuardDutyFilterPrefix) + s.name;
  if (s.name.size() < 3)
    return unmappable("name", "a GuardDuty filter name has 3 characters at least");
  f.description = description(s);
  if (!s.scope.accounts.empty())
    return unmappable("match.scope.accounts",
                      "the event's account can be GuardDuty's administrator account while the "
                      "finding's accountId is the member's: say detail.accountId in the pattern");
  if (!s.scope.resource_ids.empty())
    return unmappable("match.scope.resource_ids",
                      "riposte reads resource ids across several resource kinds, which one "
                      "GuardDuty criterion cannot say: name the field in the pattern (for "
                      "example detail.resource.instanceDetails.instanceId)");
  if (!s.scope.tags.empty())
    return unmappable("match.scope.tags",
                      "riposte reads tags across several resource kinds, and GuardDuty matches "
                      "a tag's key and value separately: name the fields in the pattern");
  if (!s.pattern_json.empty()) {
    auto p = parseJson(s.pattern_json);
    if (!p || !p->is_object()) return unmappable("match.pattern", "is not a JSON object");
    for (const auto& kv : p->get_object()) {
      const std::string key(kv.key());
      const std::string w = "match.pattern." + key;
      if (key == "source") {
        if (!listsExactly(kv.value(), "aws.guardduty"))
          return unmappable(w,
                            "does not list aws.guardduty: the suppression never matches a "
                            "GuardDuty finding");
      } else if (key == "detail-type") {
        if (!listsExactly(kv.value(), "GuardDuty Finding"))
          return unmappable(w,
                            "does not list \"GuardDuty Finding\": the suppression never "
                            "matches a GuardDuty finding");
      } else if (key == "region") {
        if (!kv.value().is_array()) return unmappable(w, "must be a list of values");
        auto c = conditionOf("region", 'S', kv.value().get_array(), w);
        if (!c) return fail(c.error());
        if (auto r = addEquals(f.criterion, "region", c->at("equals").as_array(), w); !r)
          return fail(r.error());
      } else if (key == "detail") {
        if (!kv.value().is_object())
          return unmappable(w, "must be a mapping of the finding's fields");
        if (auto r = walkDetail(kv.value().get_object(), "", w, f.criterion); !r)
          return fail(r.error());
      } else if (key == "account") {
        return unmappable(w,
                          "the event's account can be GuardDuty's administrator account while "
                          "the finding's accountId is the member's: say detail.accountId");
      } else if (key == "$or") {
        return unmappable(w, "$or cannot be a GuardDuty filter (its criteria are ANDed)");
      } else {
        return unmappable(w, "is not a field of the finding GuardDuty filters on");
      }
    }
  }
  if (!s.scope.regions.empty()) {
    json::array regions;
    for (const auto& r : s.scope.regions) regions.emplace_back(r);
    if (auto r = addEquals(f.criterion, "region", std::move(regions), "match.scope.regions"); !r)
      return fail(r.error());
  }
  if (f.criterion.empty())
    return unmappable("match",
                      "leaves no GuardDuty criterion: the filter would archive every "
                      "finding of the detector");
  return f;
}

}  // namespace riposte::policy
