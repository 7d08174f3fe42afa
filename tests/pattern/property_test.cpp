// Property tests (rapidcheck) of the matcher over generated patterns and events with arrays of
// objects, nested arrays, arrays of arrays and scalars in arrays:
//   * the matcher agrees with a brute-force reference of the specification (docs/patterns.md:
//     one leaf per clause, the chosen leaves array-consistent, exists:false holding when the
//     field has no leaf anywhere), whatever order the pattern's members are written in, on
//     the in-place and the copying entry points, with an unvisited container appended (the
//     tail shortcut) and with a second array of objects in play (the general
//     array-consistency pass instead of the one-array shortcut);
//   * monotonicity: a condition added to a pattern (a field, or a $or) never makes it match
//     an event it did not match;
//   * a pattern matches an event iff it matches among all rules compiled together.
// Each property runs a fixed number of cases (seconds in all); RC_PARAMS="seed=N" replays a
// failure rapidcheck reports.

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pattern/compiler.h"
#include "pattern/pattern.h"
#include "pattern/values.h"

namespace riposte::pattern {
namespace {

// ---------------------------------------------------------------- generated events

struct Value {
  enum class Kind { kString, kNumber, kTrue, kNull, kObject, kArray };
  Kind kind = Kind::kNull;
  std::string text;                                    // string body or number literal
  std::vector<std::pair<std::string, Value>> members;  // kObject
  std::vector<Value> items;                            // kArray
};

std::string render(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kString:
      return "\"" + v.text + "\"";
    case Value::Kind::kNumber:
      return v.text;
    case Value::Kind::kTrue:
      return "true";
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kObject: {
      std::string o = "{";
      for (std::size_t i = 0; i < v.members.size(); ++i)
        o += (i ? "," : "") + ("\"" + v.members[i].first + "\":") + render(v.members[i].second);
      return o + "}";
    }
    case Value::Kind::kArray: {
      std::string a = "[";
      for (std::size_t i = 0; i < v.items.size(); ++i) a += (i ? "," : "") + render(v.items[i]);
      return a + "]";
    }
  }
  return "null";
}

Value scalar() {
  static const char* const kStrings[] = {"x", "x", "y", "xy"};
  static const char* const kNumbers[] = {"0", "1", "1", "2", "1.0"};
  Value v;
  switch (*rc::gen::inRange(0, 6)) {
    case 0:
    case 1:
    case 2:
      v.kind = Value::Kind::kString;
      v.text = kStrings[*rc::gen::inRange(0, 4)];
      break;
    case 3:
      v.kind = Value::Kind::kNumber;
      v.text = kNumbers[*rc::gen::inRange(0, 5)];
      break;
    case 4:
      v.kind = Value::Kind::kNull;
      break;
    default:
      v.kind = Value::Kind::kTrue;
      break;
  }
  return v;
}

Value object(int depth);

Value arrayOf(int depth, int objects_in_10) {
  Value a;
  a.kind = Value::Kind::kArray;
  for (int i = 0, n = *rc::gen::inRange(0, 8) == 0 ? 0 : *rc::gen::inRange(1, 4); i < n; ++i) {
    int e = *rc::gen::inRange(0, 10);
    if (e < objects_in_10) {
      a.items.push_back(object(depth));
    } else if (e < 9) {
      a.items.push_back(scalar());
    } else {
      a.items.push_back(arrayOf(depth + 1, objects_in_10));  // an array inside an array
    }
  }
  return a;
}

// The value of member `key` at `depth` (1 for the root's members): "arr" and "in" mostly
// arrays of objects, "o" mostly an object, the rest mostly scalars.
Value value(int depth, const std::string& key) {
  if (depth >= 4) return scalar();
  int r = *rc::gen::inRange(0, 10);
  if (key == "arr" || key == "in") {
    if (r < 7) return arrayOf(depth, 8);
    if (r < 8) return object(depth);
    if (r < 9) return arrayOf(depth, 0);
    return scalar();
  }
  if (key == "o") return r < 5 ? object(depth) : r < 8 ? arrayOf(depth, 8) : scalar();
  if (r < 8) return scalar();
  return r < 9 ? object(depth) : arrayOf(depth, 5);
}

// Keys: the root's from {t, u, arr, o}, deeper ones from {a, b, c, in}, sometimes the dotted
// "in.a" (the same path as "in" then "a").
Value object(int depth) {
  static const char* const kRootKeys[] = {"t", "u", "arr", "o"};
  static const char* const kKeys[] = {"a", "b", "c", "in", "in.a"};
  Value o;
  o.kind = Value::Kind::kObject;
  std::vector<std::string> keys;
  if (depth == 0) {
    keys.assign(std::begin(kRootKeys), std::end(kRootKeys));
  } else {
    keys.assign(std::begin(kKeys), std::end(kKeys));
  }
  for (const std::string& k : keys) {
    // Present: each root key 7 times in 8, a deeper key 5 in 8, the dotted one 1 in 2.
    const int present = depth == 0 ? 7 : k == "in.a" ? 4 : 5;
    if (*rc::gen::inRange(0, 8) >= present) continue;
    o.members.emplace_back(k, value(depth + 1, k));
  }
  // Member order varies too.
  for (std::size_t i = o.members.size(); i > 1; --i)
    std::swap(o.members[i - 1], o.members[*rc::gen::inRange<std::size_t>(0, i)]);
  return o;
}

// ---------------------------------------------------------------- generated patterns

struct Field {
  std::string path;  // dot-joined
  std::string list;  // the matcher list, JSON
};

const std::vector<std::string>& patternPaths() {
  static const std::vector<std::string> kPaths = {
      "t",        "u",        "arr",      "arr.a", "arr.b",  "arr.c",  "arr.in",
      "arr.in.a", "arr.in.b", "arr.in.c", "o.a",   "o.in.a", "o.in.b", "o.b"};
  return kPaths;
}

std::string matcherList() {
  static const char* const kLists[] = {
      R"(["x"])",
      R"(["y","xy"])",
      R"([1])",
      R"([null,true])",
      R"(["x",1])",
      R"([{"prefix":"x"}])",
      R"([{"numeric":[">",0]}])",
      R"([{"exists":true}])",
      R"([{"exists":true}])",
      R"([{"exists":false}])",
      R"([{"exists":false}])",
      R"([{"exists":false}])",
      R"([{"anything-but":"x"}])",
      R"([{"anything-but":["x","y"]}])",
      R"([{"exists":false},"x"])",
      R"([{"exists":false},{"numeric":["<",2]}])",
  };
  return kLists[*rc::gen::inRange<std::size_t>(0, std::size(kLists))];
}

// `n` fields on distinct paths, none of them in `taken`.
std::vector<Field> fields(std::size_t n, const std::set<std::string>& taken) {
  std::vector<std::string> free;
  for (const std::string& p : patternPaths())
    if (!taken.count(p)) free.push_back(p);
  std::vector<Field> out;
  for (std::size_t i = 0; i < n && !free.empty(); ++i) {
    std::size_t k = *rc::gen::inRange<std::size_t>(0, free.size());
    out.push_back(Field{free[k], matcherList()});
    free.erase(free.begin() + static_cast<std::ptrdiff_t>(k));
  }
  return out;
}

struct Pattern {
  std::vector<Field> fields;
  std::vector<std::vector<Field>> ors;  // a top-level "$or" when non-empty (2+ branches)
};

std::set<std::string> pathsOf(const Pattern& p) {
  std::set<std::string> s;
  for (const Field& f : p.fields) s.insert(f.path);
  for (const auto& b : p.ors)
    for (const Field& f : b) s.insert(f.path);
  return s;
}

// Renders fields as nested objects; a path that is also a prefix of another is written with a
// dotted key (`"arr":[..]` and `"arr.a":[..]`, the same paths as nesting). Members appear in
// `order` (a permutation source: the k-th draw picks among the remaining members).
std::string renderFields(const std::vector<Field>& fs, const std::vector<std::size_t>& order) {
  // Group by first segment.
  std::map<std::string, std::vector<Field>> groups;
  std::map<std::string, std::string> lists;
  for (const Field& f : fs) {
    auto dot = f.path.find('.');
    if (dot == std::string::npos) {
      lists[f.path] = f.list;
    } else {
      groups[f.path.substr(0, dot)].push_back(Field{f.path.substr(dot + 1), f.list});
    }
  }
  std::vector<std::string> members;
  for (const auto& [k, l] : lists) {
    members.push_back("\"" + k + "\":" + l);
    auto g = groups.find(k);
    if (g != groups.end()) {  // k is a value list and a prefix: dotted keys for the rest
      for (const Field& f : g->second) members.push_back("\"" + k + "." + f.path + "\":" + f.list);
      groups.erase(g);
    }
  }
  for (const auto& [k, sub] : groups)
    members.push_back("\"" + k + "\":" + renderFields(sub, order));
  std::string o = "{";
  for (std::size_t i = 0; !members.empty(); ++i) {
    std::size_t k = order.empty() ? 0 : order[i % order.size()] % members.size();
    o += (i ? "," : "") + members[k];
    members.erase(members.begin() + static_cast<std::ptrdiff_t>(k));
  }
  return o + "}";
}

std::string renderPattern(const Pattern& p, const std::vector<std::size_t>& order = {}) {
  std::string o = renderFields(p.fields, order);
  if (p.ors.empty()) return o;
  std::string ors = "\"$or\":[";
  for (std::size_t i = 0; i < p.ors.size(); ++i)
    ors += (i ? "," : "") + renderFields(p.ors[i], order);
  ors += "]";
  return o == "{}" ? "{" + ors + "}" : o.substr(0, o.size() - 1) + "," + ors + "}";
}

Pattern pattern() {
  Pattern p;
  p.fields = fields(*rc::gen::inRange<std::size_t>(1, 4), {});
  if (*rc::gen::inRange(0, 5) == 0) {
    for (int b = 0; b < 2; ++b)
      p.ors.push_back(fields(*rc::gen::inRange<std::size_t>(1, 3), pathsOf(p)));
    if (p.ors[0].empty() || p.ors[1].empty()) p.ors.clear();
  }
  return p;
}

std::vector<std::size_t> memberOrder() {
  return *rc::gen::container<std::vector<std::size_t>>(6, rc::gen::inRange<std::size_t>(0, 8));
}

// ---------------------------------------------------------------- the reference matcher

struct RefLeaf {
  std::string path;
  std::string text;
  Leaf leaf;
  std::map<int, int> membership;  // array id -> element index, for elements that are containers
};

void flatten(const Value& v, const std::string& path, std::map<int, int>& membership, int& arrays,
             std::vector<RefLeaf>& out) {
  switch (v.kind) {
    case Value::Kind::kObject:
      for (const auto& [k, m] : v.members)
        flatten(m, path.empty() ? k : path + "." + k, membership, arrays, out);
      return;
    case Value::Kind::kArray: {
      const int id = arrays++;
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        const Value& e = v.items[i];
        const bool container = e.kind == Value::Kind::kObject || e.kind == Value::Kind::kArray;
        if (container) membership[id] = static_cast<int>(i);
        flatten(e, path, membership, arrays, out);
        if (container) membership.erase(id);
      }
      return;
    }
    default:
      break;
  }
  RefLeaf l;
  l.path = path;
  l.text = v.text;
  l.membership = membership;
  switch (v.kind) {
    case Value::Kind::kString:
      l.leaf.type = Leaf::Type::kString;
      break;
    case Value::Kind::kNumber:
      l.leaf.type = Leaf::Type::kNumber;
      l.leaf.comparable = comparableNumber(v.text, l.leaf.num);
      break;
    case Value::Kind::kTrue:
      l.leaf.type = Leaf::Type::kTrue;
      break;
    default:
      l.leaf.type = Leaf::Type::kNull;
      break;
  }
  out.push_back(std::move(l));
}

std::vector<RefLeaf> flatten(const Value& event) {
  std::vector<RefLeaf> out;
  std::map<int, int> membership;
  int arrays = 0;
  flatten(event, "", membership, arrays, out);
  for (RefLeaf& l : out) l.leaf.text = l.text;  // after the vector stopped moving
  return out;
}

bool consistent(const std::map<int, int>& a, const std::map<int, int>& b) {
  for (const auto& [id, i] : b) {
    auto it = a.find(id);
    if (it != a.end() && it->second != i) return false;
  }
  return true;
}

bool choose(const std::vector<std::vector<const RefLeaf*>>& options, std::size_t k,
            const std::map<int, int>& bound) {
  if (k == options.size()) return true;
  for (const RefLeaf* l : options[k]) {
    if (!consistent(bound, l->membership)) continue;
    std::map<int, int> next = bound;
    next.insert(l->membership.begin(), l->membership.end());
    if (choose(options, k + 1, next)) return true;
  }
  return false;
}

// The specification, by brute force over the compiled sub-rules.
bool referenceMatch(const CompiledPattern& cp, const std::vector<RefLeaf>& leaves) {
  for (const SubRule& sub : cp.sub_rules) {
    std::vector<std::vector<const RefLeaf*>> options;
    bool ok = true;
    for (const Clause& c : sub) {
      bool absent_ok = false, present = false;
      std::vector<const RefLeaf*> hits;
      for (const Matcher& m : *c.matchers)
        absent_ok = absent_ok || m.kind == Matcher::Kind::kAbsent;
      for (const RefLeaf& l : leaves) {
        if (l.path != c.path) continue;
        present = true;
        for (const Matcher& m : *c.matchers) {
          if (m.kind != Matcher::Kind::kAbsent && m.matches(l.leaf)) {
            hits.push_back(&l);
            break;
          }
        }
      }
      if (!present && absent_ok) continue;  // exists:false: no leaf anywhere
      if (hits.empty()) {
        ok = false;
        break;
      }
      options.push_back(std::move(hits));
    }
    if (ok && choose(options, 0, {})) return true;
  }
  return false;
}

// ---------------------------------------------------------------- helpers

bool matchOne(const std::string& pattern, const std::string& event) {
  auto r = matches(pattern, event);
  RC_ASSERT(r.has_value());
  return *r;
}

template <class Property>
void check(int cases, Property&& property) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  if (std::getenv("RC_PARAMS") == nullptr) params.seed = 20261202;  // deterministic in ctest
  params.maxSuccess = cases;
  params.maxSize = 100;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata meta;
  meta.id = std::string(info->test_suite_name()) + "/" + info->name();
  meta.description = info->name();
  const auto result = rc::detail::checkTestable(std::forward<Property>(property), meta, params);
  std::ostringstream ss;
  rc::detail::printResultMessage(result, ss);
  EXPECT_TRUE(result.template is<rc::detail::SuccessResult>()) << ss.str();
}

// ---------------------------------------------------------------- properties

TEST(PatternProperties, MatcherAgreesWithTheReference) {
  int matched = 0, total = 0;
  check(1500, [&] {
    const Pattern p = pattern();
    const std::string text = renderPattern(p, memberOrder());
    auto cp = compilePattern(text);
    RC_ASSERT(cp.has_value());
    RuleSetBuilder b;
    RC_ASSERT(b.add("p", text).has_value());
    auto rs = b.build();
    // The same pattern with a second array of objects that always binds: the general pass.
    Pattern q = p;
    q.fields.push_back(Field{"zz.k", R"(["v"])"});
    RuleSetBuilder b2;
    RC_ASSERT(b2.add("q", renderPattern(q)).has_value());
    auto rs2 = b2.build();
    for (int k = 0; k < 4; ++k) {
      const Value ev = object(0);
      const std::string event = render(ev);
      const bool want = referenceMatch(*cp, flatten(ev));
      RC_LOG() << text << " / " << event << " -> reference " << want << "\n";
      auto got = rs->match(event);
      RC_ASSERT(got.has_value());
      RC_ASSERT(!got->empty() == want);
      std::string padded = event;
      padded.reserve(event.size() + RuleSet::kPadding);
      auto in_place = rs->matchString(padded);
      RC_ASSERT(in_place.has_value());
      RC_ASSERT(*in_place == *got);
      // An unvisited container last, and one first (no tail shortcut then).
      const std::string body = event.substr(1, event.size() - 2);
      const std::string tail =
          "{" + body + (body.empty() ? "" : ",") + R"("zy":{"a":[1,{"b":2}]}})";
      const std::string head =
          R"({"zy":[{"a":1}])" + std::string(body.empty() ? "" : ",") + body + "}";
      for (const std::string& e : {tail, head}) {
        auto t = rs->match(e);
        RC_ASSERT(t.has_value());
        RC_ASSERT(*t == *got);
      }
      const std::string general =
          "{" + body + (body.empty() ? "" : ",") + R"("zz":[{"k":"w"},{"k":"v","j":[{"k":"v"}]}]})";
      auto g = rs2->match(general);
      RC_ASSERT(g.has_value());
      RC_ASSERT(!g->empty() == want);
      ++total;
      matched += want;
    }
  });
  // The generators make both answers often.
  EXPECT_GT(matched, total / 10) << matched << " of " << total;
  EXPECT_GT(total - matched, total / 10) << matched << " of " << total;
}

TEST(PatternProperties, AddingAConditionNeverWidensAMatch) {
  int narrowed = 0, total = 0;
  check(2000, [&] {
    const Pattern p = pattern();
    Pattern wider = p;  // p plus one condition: a field, or a $or, on paths p does not use
    if (*rc::gen::inRange(0, 4) == 0 && p.ors.empty()) {
      for (int b = 0; b < 2; ++b)
        wider.ors.push_back(fields(*rc::gen::inRange<std::size_t>(1, 3), pathsOf(p)));
      if (wider.ors[1].empty()) wider.ors.pop_back();
      if (wider.ors.size() < 2) wider.ors.clear();
    }
    if (wider.ors.size() == p.ors.size()) {
      auto extra = fields(1, pathsOf(p));
      RC_PRE(!extra.empty());
      // Inserted anywhere: its position among the members must not matter.
      auto at = *rc::gen::inRange<std::size_t>(0, wider.fields.size() + 1);
      wider.fields.insert(wider.fields.begin() + static_cast<std::ptrdiff_t>(at), extra[0]);
    }
    const std::string base = renderPattern(p), more = renderPattern(wider, memberOrder());
    for (int k = 0; k < 4; ++k) {
      const std::string event = render(object(0));
      const bool m_base = matchOne(base, event), m_more = matchOne(more, event);
      RC_LOG() << base << " -> " << m_base << ", " << more << " -> " << m_more << " / " << event
               << "\n";
      RC_ASSERT(!m_more || m_base);
      ++total;
      narrowed += m_base && !m_more;
    }
  });
  EXPECT_GT(narrowed, total / 50) << narrowed << " of " << total;
}

TEST(PatternProperties, EachRuleAnswersInASetAsAlone) {
  int hits = 0, total = 0;
  check(600, [&] {
    const auto n = *rc::gen::inRange<std::size_t>(1, 13);
    std::vector<std::string> texts;
    RuleSetBuilder b;
    for (std::size_t i = 0; i < n; ++i) {
      texts.push_back(renderPattern(pattern(), memberOrder()));
      RC_ASSERT(b.add("r" + std::to_string(i), texts.back()).has_value());
    }
    if (*rc::gen::inRange(0, 4) == 0) {  // the same pattern twice: two indexes
      texts.push_back(texts[0]);
      RC_ASSERT(b.add("again", texts.back()).has_value());
    }
    auto rs = b.build();
    for (int k = 0; k < 4; ++k) {
      const std::string event = render(object(0));
      auto got = rs->match(event);
      RC_ASSERT(got.has_value());
      std::vector<uint32_t> want;
      RC_LOG() << event << "\n";
      for (std::size_t i = 0; i < texts.size(); ++i)
        if (matchOne(texts[i], event)) want.push_back(static_cast<uint32_t>(i));
      RC_ASSERT(*got == want);
      total += static_cast<int>(texts.size());
      hits += static_cast<int>(want.size());
    }
  });
  EXPECT_GT(hits, total / 10) << hits << " of " << total;
}

}  // namespace
}  // namespace riposte::pattern
