#include "support/iam_evaluator.h"

#include <cctype>
#include <vector>

namespace riposte::testing {
namespace {

char fold(char c, bool ignore_case) {
  return ignore_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

std::vector<std::string> stringsOf(const json::value* v) {
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) out.emplace_back(v->get_string());
  if (v->is_bool()) out.emplace_back(v->get_bool() ? "true" : "false");
  if (v->is_array()) {
    for (const auto& x : v->get_array()) {
      if (x.is_string()) out.emplace_back(x.get_string());
      if (x.is_bool()) out.emplace_back(x.get_bool() ? "true" : "false");
    }
  }
  return out;
}

// The six parts of an ARN; the resource part keeps its colons. Fewer when it has fewer.
std::vector<std::string> arnParts(std::string_view arn) {
  std::vector<std::string> out;
  std::size_t b = 0;
  while (out.size() < 5) {
    std::size_t e = arn.find(':', b);
    if (e == std::string_view::npos) break;
    out.emplace_back(arn.substr(b, e - b));
    b = e + 1;
  }
  out.emplace_back(arn.substr(b));
  return out;
}

bool resourceMatches(const std::string& pattern, const std::string& resource) {
  if (pattern == "*") return true;
  auto p = arnParts(pattern), r = arnParts(resource);
  if (p.size() != r.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!iamGlob(p[i], r[i], false)) return false;
  }
  return true;
}

bool anyOf(const json::value* v, const std::function<bool(const std::string&)>& f) {
  for (const auto& s : stringsOf(v))
    if (f(s)) return true;
  return false;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One operator of a Condition block with all its keys.
bool operatorHolds(const std::string& op, const json::object& keys,
                   const std::map<std::string, std::string>& context) {
  std::map<std::string, std::string> ctx;
  for (const auto& [k, v] : context) ctx[lower(k)] = v;
  const bool negated = op.starts_with("StringNot") || op.starts_with("ArnNot");
  for (const auto& kv : keys) {
    auto it = ctx.find(lower(std::string(kv.key())));
    if (it == ctx.end()) {
      if (!negated) return false;
      continue;
    }
    const std::string& have = it->second;
    const json::value* want = &kv.value();
    bool match = false;
    if (op == "StringEquals" || op == "StringNotEquals" || op == "ArnEquals" ||
        op == "ArnNotEquals" || op == "Bool") {
      match = anyOf(want, [&](const std::string& w) { return w == have; });
    } else if (op == "StringEqualsIgnoreCase" || op == "StringNotEqualsIgnoreCase") {
      match = anyOf(want, [&](const std::string& w) { return lower(w) == lower(have); });
    } else if (op == "StringLike" || op == "StringNotLike" || op == "ArnLike" ||
               op == "ArnNotLike") {
      match = anyOf(want, [&](const std::string& w) { return iamGlob(w, have, false); });
    } else {
      return false;  // an operator this evaluator does not know never holds
    }
    if (negated ? match : !match) return false;
  }
  return true;
}

bool statementMatches(const json::object& st, const IamRequest& r) {
  auto actionIn = [&](const json::value* v) {
    return anyOf(v, [&](const std::string& a) { return iamGlob(a, r.action, true); });
  };
  auto resourceIn = [&](const json::value* v) {
    return anyOf(v, [&](const std::string& p) { return resourceMatches(p, r.resource); });
  };
  if (const json::value* a = st.if_contains("Action")) {
    if (!actionIn(a)) return false;
  } else if (const json::value* na = st.if_contains("NotAction")) {
    if (actionIn(na)) return false;
  } else {
    return false;
  }
  if (const json::value* res = st.if_contains("Resource")) {
    if (!resourceIn(res)) return false;
  } else if (const json::value* nr = st.if_contains("NotResource")) {
    if (resourceIn(nr)) return false;
  } else {
    return false;
  }
  if (const json::value* c = st.if_contains("Condition")) {
    if (!c->is_object()) return false;
    for (const auto& kv : c->get_object()) {
      if (!kv.value().is_object()) return false;
      if (!operatorHolds(std::string(kv.key()), kv.value().get_object(), r.context)) return false;
    }
  }
  return true;
}

}  // namespace

const char* iamDecisionName(IamDecision d) {
  switch (d) {
    case IamDecision::kAllow:
      return "allowed";
    case IamDecision::kImplicitDeny:
      return "implicitly denied";
    case IamDecision::kExplicitDeny:
      return "explicitly denied";
  }
  return "?";
}

bool iamGlob(std::string_view pattern, std::string_view text, bool ignore_case) {
  // Iterative wildcard match with backtracking to the last '*'.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || fold(pattern[p], ignore_case) == fold(text[t], ignore_case))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

IamDecision evaluateIam(const json::value& policy, const IamRequest& request) {
  std::vector<const json::object*> statements;
  if (const json::object* o = policy.if_object()) {
    if (const json::value* s = o->if_contains("Statement")) {
      if (s->is_object()) statements.push_back(&s->get_object());
      if (s->is_array()) {
        for (const auto& x : s->get_array())
          if (x.is_object()) statements.push_back(&x.get_object());
      }
    } else {
      statements.push_back(o);
    }
  }
  bool allowed = false;
  for (const auto* st : statements) {
    if (!statementMatches(*st, request)) continue;
    const json::value* e = st->if_contains("Effect");
    const std::string effect = e && e->is_string() ? std::string(e->get_string()) : "";
    if (effect == "Deny") return IamDecision::kExplicitDeny;
    if (effect == "Allow") allowed = true;
  }
  return allowed ? IamDecision::kAllow : IamDecision::kImplicitDeny;
}

}  // namespace riposte::testing
