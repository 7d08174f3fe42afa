#include "pattern/compiler.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "pattern/pattern.h"
#include "pattern/pattern_json.h"

namespace riposte::pattern {
namespace {

// Internal exception for the recursive compiler; caught in compilePattern (module edge).
struct PatternError {
  std::string message;
};

[[noreturn]] void barf(std::string msg) {
  throw PatternError{std::move(msg)};
}

const std::unordered_set<std::string_view> kReservedInOr = {"exactly",
                                                            "equals-ignore-case",
                                                            "prefix",
                                                            "suffix",
                                                            "anything-but",
                                                            "exists",
                                                            "wildcard",
                                                            "numeric",
                                                            "cidr",
                                                            "=",
                                                            "<",
                                                            "<=",
                                                            ">",
                                                            ">=",
                                                            "regex",
                                                            "not-wildcard",
                                                            "not-equals-ignore-case",
                                                            "date-after",
                                                            "date-on-or-after",
                                                            "date-before",
                                                            "date-on-or-before",
                                                            "in-date-range",
                                                            "ip-address-in-range",
                                                            "ip-address-not-in-range"};

// Jackson's getText() of the token that starts this value.
std::string tokenText(const PValue* v) {
  if (v == nullptr) return "]";
  switch (v->kind) {
    case PValue::Kind::kObject:
      return "{";
    case PValue::Kind::kArray:
      return "[";
    case PValue::Kind::kTrue:
      return "true";
    case PValue::Kind::kFalse:
      return "false";
    case PValue::Kind::kNull:
      return "null";
    default:
      return v->text;
  }
}

double requireComparable(const PValue& v) {
  double d = 0;
  if (!comparableNumber(v.text, d)) barf("Cannot compare number : " + v.text);
  return d;
}

// A sub-rule under construction: path -> matchers, later writes override.
using Partial = std::map<std::string, MatcherList>;

class Compiler {
 public:
  std::vector<Partial> rules;

  void compileTop(const PValue& v) {
    if (v.kind != PValue::Kind::kObject) barf("Filter is not an object");
    guard("", [&] { compileObject(v, "", true, rules, false, ""); });
  }

  bool treat_or_as_field = false;
  // Set by checkPattern: an error is recorded with its place in the pattern and compiling goes
  // on with the next member or array item (the partial rules are then not used).
  std::vector<PatternProblem>* collect = nullptr;

 private:
  static std::string join(const std::string& prefix, bool top, const std::string& key) {
    return top ? key : prefix + "." + key;
  }
  static std::string at(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }

  // Runs f; when collecting, an error is recorded at `where` instead of ending the compile.
  template <class F>
  void guard(const std::string& where, F&& f) {
    if (collect == nullptr) return f();
    try {
      f();
    } catch (const PatternError& e) {
      collect->push_back(PatternProblem{where, e.message});
    }
  }

  // `where`: the place of `obj` in the pattern ("detail.$or[1]"), for checkPattern.
  void compileObject(const PValue& obj, const std::string& prefix, bool top,
                     std::vector<Partial>& rs, bool in_or, const std::string& where) {
    if (obj.members.empty()) barf("Empty objects are not allowed");
    for (const auto& member : obj.members) {
      // Named, not a structured binding: clang-14 (make fuzz) cannot capture those.
      const auto& key = member.first;
      const auto& val = member.second;
      guard(at(where, key), [&] {
        if (key == "$or" && !treat_or_as_field) {
          compileOr(val, prefix, top, rs, at(where, key));
          return;
        }
        if (in_or && kReservedInOr.count(key)) {
          barf(key + " is Ruler reserved fieldName which cannot be used inside $or.");
        }
        switch (val.kind) {
          case PValue::Kind::kObject:
            compileObject(val, join(prefix, top, key), false, rs, in_or, at(where, key));
            break;
          case PValue::Kind::kArray:
            writeRules(rs, join(prefix, top, key), val, at(where, key));
            break;
          default:
            barf("\"" + key + "\" must be an object or an array");
        }
      });
    }
  }

  void compileOr(const PValue& val, const std::string& prefix, bool top, std::vector<Partial>& rs,
                 const std::string& where) {
    std::vector<Partial> current = rs;
    rs.clear();
    if (val.kind != PValue::Kind::kArray) barf("It must be an Array followed with $or.");
    int count = 0;
    for (const PValue& item : val.items) {
      const std::string item_at = where + "[" + std::to_string(count) + "]";
      ++count;
      std::vector<Partial> branch = current;
      bool object = true;
      guard(item_at, [&] {
        if (item.kind != PValue::Kind::kObject) {
          object = false;
          barf("Only JSON object is allowed in array of $or relationship.");
        }
      });
      if (!object) continue;
      if (branch.empty()) branch.emplace_back();
      guard(item_at, [&] { compileObject(item, prefix, top, branch, true, item_at); });
      if (rs.size() + branch.size() > kMaxOrCombinations) {
        barf("Event pattern is too complex: its $or combinations exceed the limit of " +
             std::to_string(kMaxOrCombinations));
      }
      for (auto& b : branch) rs.push_back(std::move(b));
    }
    if (count < 2) barf("There must have at least 2 Objects in $or relationship.");
  }

  void writeRules(std::vector<Partial>& rs, const std::string& name, const PValue& arr,
                  const std::string& where) {
    auto values = std::make_shared<std::vector<Matcher>>();
    std::size_t index = 0;
    for (const PValue& item : arr.items) {
      guard(where + "[" + std::to_string(index++) + "]", [&] { values->push_back(matcher(item)); });
    }
    if (arr.items.empty()) barf("Empty arrays are not allowed");
    if (rs.empty()) rs.emplace_back();
    MatcherList list = values;
    for (auto& r : rs) r[name] = list;
  }

  Matcher matcher(const PValue& item) {
    {
      Matcher m;
      switch (item.kind) {
        case PValue::Kind::kObject:
          m = matchExpression(item);
          break;
        case PValue::Kind::kString: {
          IpAddr a;
          if (parseIp(item.text, a)) {
            m.kind = Matcher::Kind::kIp;
            m.ip.v6 = a.v6;
            m.ip.lo = a.bytes;
            m.ip.hi = a.bytes;
          } else {
            m.kind = Matcher::Kind::kString;
          }
          m.text = item.text;
          break;
        }
        case PValue::Kind::kNumber:
          m.kind = Matcher::Kind::kNumber;
          m.text = item.text;
          m.comparable = comparableNumber(item.text, m.num);
          break;
        case PValue::Kind::kTrue:
          m.kind = Matcher::Kind::kTrue;
          break;
        case PValue::Kind::kFalse:
          m.kind = Matcher::Kind::kFalse;
          break;
        case PValue::Kind::kNull:
          m.kind = Matcher::Kind::kNull;
          break;
        case PValue::Kind::kArray:
          barf("Match value must be String, number, true, false, or null");
      }
      return m;
    }
  }

  static void onlyOneKey(const PValue& obj) {
    if (obj.members.size() > 1) barf("Only one key allowed in match expression");
  }

  Matcher matchExpression(const PValue& obj) {
    if (obj.members.empty()) barf("Empty objects are not allowed");
    const std::string& name = obj.members[0].first;
    const PValue& v = obj.members[0].second;
    Matcher m;
    if (name == "exactly") {
      if (!v.isString()) barf("exact match pattern must be a string");
      m.kind = Matcher::Kind::kString;
      m.text = v.text;
    } else if (name == "prefix" || name == "suffix") {
      bool prefix = name == "prefix";
      if (v.kind == PValue::Kind::kObject) {
        if (v.members.empty()) barf("Empty objects are not allowed");
        if (v.members[0].first != "equals-ignore-case") {
          barf("Unsupported " + name + " pattern: " + v.members[0].first);
        }
        const PValue& s = v.members[0].second;
        if (!s.isString()) barf("equals-ignore-case match pattern must be a string");
        onlyOneKey(v);
        m.kind = prefix ? Matcher::Kind::kPrefixIc : Matcher::Kind::kSuffixIc;
        m.text = s.text;
        m.ic = std::make_shared<IgnoreCase>(
            s.text, prefix ? IgnoreCase::Mode::kPrefix : IgnoreCase::Mode::kSuffix);
      } else {
        if (!v.isString()) barf(name + " match pattern must be a string");
        m.kind = prefix ? Matcher::Kind::kPrefix : Matcher::Kind::kSuffix;
        m.text = v.text;
      }
    } else if (name == "equals-ignore-case") {
      if (!v.isString()) barf("equals-ignore-case match pattern must be a string");
      m.kind = Matcher::Kind::kEqualsIc;
      m.text = v.text;
      m.ic = std::make_shared<IgnoreCase>(v.text, IgnoreCase::Mode::kEquals);
    } else if (name == "wildcard") {
      if (!v.isString()) barf("wildcard match pattern must be a string");
      auto w = Wildcard::parse(v.text);
      if (!w) barf(w.error().message);
      m.kind = Matcher::Kind::kWildcard;
      m.text = v.text;
      m.wildcard = std::make_shared<Wildcard>(std::move(*w));
    } else if (name == "numeric") {
      if (v.kind != PValue::Kind::kArray) barf("Value of numeric must be an array.");
      m = numeric(v);
    } else if (name == "anything-but") {
      m.kind = Matcher::Kind::kAnythingBut;
      m.anything_but = anythingBut(v);
    } else if (name == "exists") {
      if (v.kind == PValue::Kind::kTrue) {
        m.kind = Matcher::Kind::kExists;
      } else if (v.kind == PValue::Kind::kFalse) {
        m.kind = Matcher::Kind::kAbsent;
      } else {
        barf("exists match pattern must be either true or false.");
      }
    } else if (name == "cidr") {
      if (!v.isString()) barf("prefix match pattern must be a string");
      auto r = parseCidr(v.text);
      if (!r) barf(r.error().message);
      m.kind = Matcher::Kind::kIp;
      m.text = v.text;
      m.ip = *r;
    } else {
      barf("Unrecognized match type " + name);
    }
    onlyOneKey(obj);
    return m;
  }

  Matcher numeric(const PValue& arr) {
    const auto& it = arr.items;
    auto at = [&](std::size_t i) -> const PValue* { return i < it.size() ? &it[i] : nullptr; };
    Matcher m;
    m.kind = Matcher::Kind::kNumeric;
    if (!at(0) || !at(0)->isString()) barf("Invalid member in numeric match: " + tokenText(at(0)));
    const std::string& op = at(0)->text;
    auto number = [&](std::size_t i, const std::string& o) {
      if (!at(i) || !at(i)->isNumber()) barf("Value of " + o + " must be numeric");
      return requireComparable(*at(i));
    };
    if (op == "=") {
      m.lo = m.hi = number(1, op);
      m.has_lo = m.has_hi = m.lo_incl = m.hi_incl = true;
      if (it.size() > 2) barf("Too many elements in numeric expression");
    } else if (op == ">" || op == ">=") {
      m.has_lo = true;
      m.lo_incl = op == ">=";
      m.lo = number(1, op);
      if (it.size() == 2) return m;
      if (!at(2)->isString()) barf("Bad value in numeric range: " + tokenText(at(2)));
      const std::string& op2 = at(2)->text;
      if (op2 != "<" && op2 != "<=") barf("Bad numeric range operator: " + op2);
      m.has_hi = true;
      m.hi_incl = op2 == "<=";
      m.hi = number(3, op2);
      if (it.size() > 4) barf("Too many terms in numeric range expression");
      if (!(m.lo < m.hi)) barf("Bottom must be less than top");
    } else if (op == "<" || op == "<=") {
      m.has_hi = true;
      m.hi_incl = op == "<=";
      m.hi = number(1, op);
      if (it.size() > 2) barf("Too many elements in numeric expression");
    } else {
      barf("Unrecognized numeric range operator: " + op);
    }
    return m;
  }

  std::shared_ptr<const AnythingBut> anythingBut(const PValue& v) {
    auto ab = std::make_shared<AnythingBut>();
    const std::string kBadValue =
        "Value of anything-but must be an array or single string/number value.";
    switch (v.kind) {
      case PValue::Kind::kString:
        ab->kind = AnythingBut::Kind::kStrings;
        ab->strings.push_back(v.text);
        return ab;
      case PValue::Kind::kNumber:
        ab->kind = AnythingBut::Kind::kNumbers;
        ab->numbers.push_back(requireComparable(v));
        return ab;
      case PValue::Kind::kArray: {
        bool has_num = false, has_str = false;
        for (const PValue& e : v.items) {
          if (e.isString()) {
            has_str = true;
            ab->strings.push_back(e.text);
          } else if (e.isNumber()) {
            has_num = true;
            ab->numbers.push_back(requireComparable(e));
          } else {
            barf("Inside anything but list, start|null|boolean is not supported.");
          }
        }
        if (has_num == has_str) {
          barf(
              "Inside anything but list, either all values are number or string, mixed type is "
              "not supported");
        }
        ab->kind = has_num ? AnythingBut::Kind::kNumbers : AnythingBut::Kind::kStrings;
        return ab;
      }
      case PValue::Kind::kObject:
        break;
      default:
        barf(kBadValue);
    }
    if (v.members.empty()) barf("Anything-But expression name not found");
    const std::string& op = v.members[0].first;
    const PValue& p = v.members[0].second;
    auto strings = [&](const std::string& type_msg, bool non_empty) {
      std::vector<std::string> out;
      if (p.isString()) {
        out.push_back(p.text);
      } else if (p.kind == PValue::Kind::kArray) {
        for (const PValue& e : p.items) {
          if (!e.isString()) barf(type_msg);
          out.push_back(e.text);
        }
      } else {
        barf(type_msg);
      }
      if (non_empty) {
        for (const auto& s : out)
          if (s.empty()) barf("Null prefix/suffix not allowed");
      }
      return out;
    };
    if (op == "prefix" || op == "suffix") {
      if (p.kind == PValue::Kind::kObject) barf(kBadValue);
      ab->kind = op == "prefix" ? AnythingBut::Kind::kPrefix : AnythingBut::Kind::kSuffix;
      ab->strings = strings("prefix/suffix match pattern must be a string", true);
    } else if (op == "equals-ignore-case") {
      ab->kind = AnythingBut::Kind::kIgnoreCase;
      for (const auto& s :
           strings("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
                   "supported.",
                   false)) {
        ab->ignore_case.emplace_back(s, IgnoreCase::Mode::kEquals);
      }
    } else if (op == "wildcard") {
      ab->kind = AnythingBut::Kind::kWildcard;
      for (const auto& s : strings("wildcard match pattern must be a string", false)) {
        auto w = Wildcard::parse(s);
        if (!w) barf(w.error().message);
        ab->wildcards.push_back(std::move(*w));
      }
    } else {
      barf("Unsupported anything-but pattern: " + op);
    }
    onlyOneKey(v);
    return ab;
  }
};

bool isOrStructureError(const std::string& m) {
  return m == "It must be an Array followed with $or." ||
         m == "There must have at least 2 Objects in $or relationship." ||
         m == "Only JSON object is allowed in array of $or relationship.";
}

void checkWildcardComplexity(const std::vector<Partial>& rules) {
  std::set<const std::vector<Matcher>*> seen;
  auto check = [](const Wildcard& w) {
    if (wildcardComplexity({&w}, kMaxWildcardComplexity) >= kMaxWildcardComplexity) {
      barf(
          "Rule is too complex - try using fewer wildcard characters or fewer repeating "
          "character sequences after a wildcard character");
    }
  };
  for (const Partial& r : rules) {
    for (const auto& [path, list] : r) {
      if (!seen.insert(list.get()).second) continue;
      for (const Matcher& m : *list) {
        if (m.kind == Matcher::Kind::kWildcard) check(*m.wildcard);
        if (m.kind == Matcher::Kind::kAnythingBut) {
          for (const Wildcard& w : m.anything_but->wildcards) check(w);
        }
      }
    }
  }
}

}  // namespace

bool AnythingBut::excludes(const Leaf& leaf) const {
  switch (kind) {
    case Kind::kStrings:
      return leaf.type == Leaf::Type::kString &&
             std::find(strings.begin(), strings.end(), leaf.text) != strings.end();
    case Kind::kNumbers:
      return leaf.type == Leaf::Type::kNumber && leaf.comparable &&
             std::find(numbers.begin(), numbers.end(), leaf.num) != numbers.end();
    case Kind::kPrefix:
      if (leaf.type != Leaf::Type::kString) return false;
      for (const auto& s : strings)
        if (leaf.text.starts_with(s)) return true;
      return false;
    case Kind::kSuffix:
      if (leaf.type != Leaf::Type::kString) return false;
      for (const auto& s : strings)
        if (leaf.text.ends_with(s)) return true;
      return false;
    case Kind::kIgnoreCase:
      if (leaf.type != Leaf::Type::kString) return false;
      for (const auto& ic : ignore_case)
        if (ic.matches(leaf.text)) return true;
      return false;
    case Kind::kWildcard:
      if (leaf.type != Leaf::Type::kString) return false;
      for (const auto& w : wildcards)
        if (w.matches(leaf.text)) return true;
      return false;
  }
  return false;
}

bool Matcher::matches(const Leaf& leaf) const {
  using T = Leaf::Type;
  switch (kind) {
    case Kind::kString:
      return leaf.type == T::kString && leaf.text == text;
    case Kind::kNumber:
      return leaf.type == T::kNumber &&
             ((comparable && leaf.comparable && num == leaf.num) || leaf.text == text);
    case Kind::kTrue:
      return leaf.type == T::kTrue;
    case Kind::kFalse:
      return leaf.type == T::kFalse;
    case Kind::kNull:
      return leaf.type == T::kNull;
    case Kind::kIp: {
      if (leaf.type != T::kString) return false;
      IpAddr a;
      return parseIp(leaf.text, a) && ip.contains(a);
    }
    case Kind::kPrefix:
      return leaf.type == T::kString && leaf.text.starts_with(text);
    case Kind::kSuffix:
      return leaf.type == T::kString && leaf.text.ends_with(text);
    case Kind::kPrefixIc:
    case Kind::kSuffixIc:
    case Kind::kEqualsIc:
      return leaf.type == T::kString && ic->matches(leaf.text);
    case Kind::kWildcard:
      return leaf.type == T::kString && wildcard->matches(leaf.text);
    case Kind::kNumeric: {
      if (leaf.type != T::kNumber || !leaf.comparable) return false;
      double x = leaf.num;
      if (has_lo && (lo_incl ? x < lo : x <= lo)) return false;
      if (has_hi && (hi_incl ? x > hi : x >= hi)) return false;
      return true;
    }
    case Kind::kExists:
      return true;
    case Kind::kAbsent:
      return false;
    case Kind::kAnythingBut:
      return !anything_but->excludes(leaf);
  }
  return false;
}

Result<CompiledPattern> compilePattern(std::string_view json) {
  if (utf16Length(json) > kMaxPatternChars) {
    return fail("InvalidEventPattern",
                "Event pattern is too long: " + std::to_string(utf16Length(json)) +
                    " characters, the limit is " + std::to_string(kMaxPatternChars));
  }
  auto doc = parsePatternJson(json, kMaxPatternDepth);
  if (!doc) return fail(doc.error());
  std::vector<Partial> rules;
  try {
    Compiler c;
    try {
      c.compileTop(*doc);
    } catch (const PatternError& e) {
      // Event Ruler's Machine falls back to its legacy compiler, which reads "$or" as an
      // ordinary field name, when the JSON compiler rejects the $or structure.
      if (!isOrStructureError(e.message)) throw;
      Compiler legacy;
      legacy.treat_or_as_field = true;
      try {
        legacy.compileTop(*doc);
      } catch (const PatternError&) {
        throw e;
      }
      c.rules = std::move(legacy.rules);
    }
    checkWildcardComplexity(c.rules);
    rules = std::move(c.rules);
  } catch (const PatternError& e) {
    return fail("InvalidEventPattern", e.message);
  }
  CompiledPattern out;
  out.sub_rules.reserve(rules.size());
  for (auto& r : rules) {
    if (r.size() > kMaxSubRuleClauses) {
      return fail("InvalidEventPattern", "Event pattern is too complex: a rule has more than " +
                                             std::to_string(kMaxSubRuleClauses) + " fields");
    }
    SubRule s;
    s.reserve(r.size());
    for (auto& [path, list] : r) s.push_back(Clause{path, list});
    out.sub_rules.push_back(std::move(s));
  }
  return out;
}

std::vector<PatternProblem> checkPattern(std::string_view json) {
  auto compiled = compilePattern(json);
  if (compiled) return {};
  std::vector<PatternProblem> out;
  if (utf16Length(json) <= kMaxPatternChars) {
    if (auto doc = parsePatternJson(json, kMaxPatternDepth)) {
      Compiler c;
      c.collect = &out;
      try {
        c.compileTop(*doc);
      } catch (const PatternError& e) {
        out.push_back(PatternProblem{"", e.message});
      }
    }
  }
  // A problem of the pattern as a whole (its size, its $or combinations, its wildcards).
  if (out.empty()) out.push_back(PatternProblem{"", compiled.error().message});
  return out;
}

}  // namespace riposte::pattern
