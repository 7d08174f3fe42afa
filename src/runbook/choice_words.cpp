#include "runbook/choice_words.h"

#include <map>
#include <optional>
#include <vector>

#include "runbook/text.h"

namespace riposte::runbook {
namespace {

std::string choiceOpWords(const std::string& op, const json::value& v, bool rhs_path) {
  std::string base = op;
  if (rhs_path && endsWith(base, "Path")) base = base.substr(0, base.size() - 4);
  std::string rhs =
      rhs_path ? (v.is_string() ? std::string(v.get_string()) : toJson(v)) : valueText(v);
  bool yes = !v.is_bool() || v.get_bool();
  static const std::map<std::string, std::string> kCompare = {
      {"StringEquals", "is"},
      {"StringLessThan", "sorts before"},
      {"StringGreaterThan", "sorts after"},
      {"StringLessThanEquals", "sorts before or equals"},
      {"StringGreaterThanEquals", "sorts after or equals"},
      {"StringMatches", "matches the pattern"},
      {"NumericEquals", "="},
      {"NumericLessThan", "<"},
      {"NumericGreaterThan", ">"},
      {"NumericLessThanEquals", "≤"},
      {"NumericGreaterThanEquals", "≥"},
      {"BooleanEquals", "is"},
      {"TimestampEquals", "is the time"},
      {"TimestampLessThan", "is before"},
      {"TimestampGreaterThan", "is after"},
      {"TimestampLessThanEquals", "is at or before"},
      {"TimestampGreaterThanEquals", "is at or after"}};
  if (auto it = kCompare.find(base); it != kCompare.end()) return it->second + " " + rhs;
  if (op == "IsNull") return yes ? "is null" : "is not null";
  if (op == "IsPresent") return yes ? "is present" : "is absent";
  if (op == "IsNumeric") return yes ? "is a number" : "is not a number";
  if (op == "IsString") return yes ? "is a string" : "is not a string";
  if (op == "IsBoolean") return yes ? "is a boolean" : "is not a boolean";
  if (op == "IsTimestamp") return yes ? "is a timestamp" : "is not a timestamp";
  return op + " " + rhs;
}

std::string choiceWords(const json::value& rule, bool nested) {
  const auto* o = rule.if_object();
  if (!o) return toJson(rule);
  auto group = [&](const char* key, const char* sep) -> std::optional<std::string> {
    const auto* a = member(*o, key);
    if (!a || !a->is_array()) return std::nullopt;
    std::vector<std::string> parts;
    for (const auto& e : a->get_array()) parts.push_back(choiceWords(e, true));
    std::string s = joinStrings(parts, sep);
    return nested && parts.size() > 1 ? "(" + s + ")" : s;
  };
  if (auto s = group("And", " and ")) return *s;
  if (auto s = group("Or", " or ")) return *s;
  if (const auto* n = member(*o, "Not")) return "not (" + choiceWords(*n, false) + ")";
  if (const auto* c = member(*o, "Condition")) {
    return "the condition " + (c->is_string() ? std::string(c->get_string()) : toJson(*c)) +
           " holds";
  }
  std::string var = stringMember(*o, "Variable", "$");
  for (const auto& kv : *o) {
    std::string k(kv.key());
    if (k == "Variable" || k == "Next" || k == "Comment" || k == "Assign" || k == "Output") {
      continue;
    }
    bool path = endsWith(k, "Path") && k.rfind("Is", 0) != 0;
    return var + " " + choiceOpWords(k, kv.value(), path);
  }
  return var + " (no test)";
}

}  // namespace

std::string describeChoiceRule(const json::value& rule) {
  return choiceWords(rule, false);
}

std::string errorNames(const json::value* errs) {
  std::vector<std::string> e;
  if (errs && errs->is_array()) {
    for (const auto& x : errs->get_array())
      if (x.is_string()) e.emplace_back(x.get_string());
  }
  return joinStrings(e, ", ");
}

}  // namespace riposte::runbook
