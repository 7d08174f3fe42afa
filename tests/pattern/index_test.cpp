// The matcher's indexes agree with the one-matcher-at-a-time definition.

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "pattern/compiler.h"
#include "pattern/pattern.h"
#include "pattern/range_index.h"

namespace riposte::pattern {
namespace {

TEST(RangeIndex, StabbingMatchesBruteForce) {
  std::mt19937 rng(1);
  for (int round = 0; round < 50; ++round) {
    std::vector<NumRange> rs;
    int n = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      NumRange r;
      r.id = static_cast<uint32_t>(i);
      double a = static_cast<double>(rng() % 40) / 2 - 10,
             b = static_cast<double>(rng() % 40) / 2 - 10;
      if (a > b) std::swap(a, b);
      switch (rng() % 4) {
        case 0:
          r.has_lo = true;
          r.lo = a;
          r.lo_incl = rng() % 2;
          break;
        case 1:
          r.has_hi = true;
          r.hi = b;
          r.hi_incl = rng() % 2;
          break;
        case 2:
          r.has_lo = r.has_hi = true;
          r.lo = a;
          r.hi = b;
          r.lo_incl = rng() % 2;
          r.hi_incl = rng() % 2;
          break;
        default:
          r.has_lo = r.has_hi = r.lo_incl = r.hi_incl = true;
          r.lo = r.hi = a;
          break;
      }
      rs.push_back(r);
    }
    RangeIndex idx;
    idx.build(rs);
    for (double x = -11; x <= 11; x += 0.25) {
      std::multiset<uint32_t> got, want;
      idx.stab(x, [&](uint32_t id) { got.insert(id); });
      for (const auto& r : rs)
        if (r.contains(x)) want.insert(r.id);
      ASSERT_EQ(got, want) << "x=" << x << " round " << round;
    }
  }
}

// Many rules of each indexed operator on one field: the RuleSet answer equals evaluating
// every rule alone.
TEST(RuleSetIndex, AgreesWithSingleRuleMatching) {
  std::mt19937 rng(2);
  const char* words[] = {"Alpha",     "alpha", "ALPHA", "beta",  "Beta", "gamma", "10.0.0.1",
                         "10.0.0.01", "ß",     "SS",    "delta", "al",   "ph",    ""};
  std::vector<std::string> patterns;
  for (int i = 0; i < 300; ++i) {
    std::string w = words[rng() % 14];
    std::string n = std::to_string(static_cast<int>(rng() % 20) - 10);
    switch (rng() % 9) {
      case 0:
        patterns.push_back(R"({"f":[")" + w + R"("]})");
        break;
      case 1:
        patterns.push_back(R"({"f":[{"equals-ignore-case":")" + w + R"("}]})");
        break;
      case 2:
        patterns.push_back(R"({"f":[{"prefix":{"equals-ignore-case":")" + w + R"("}}]})");
        break;
      case 3:
        patterns.push_back(R"({"f":[{"suffix":{"equals-ignore-case":")" + w + R"("}}]})");
        break;
      case 4:
        patterns.push_back(R"({"f":[{"numeric":[">",)" + n + "]}]}");
        break;
      case 5:
        patterns.push_back(R"({"f":[{"numeric":[">=",)" + n + R"(,"<",)" +
                           std::to_string(std::stoi(n) + 3) + "]}]}");
        break;
      case 6:
        patterns.push_back(R"({"f":[)" + n + "]}");
        break;
      case 7:
        patterns.push_back(R"({"f":[{"prefix":")" + w + R"("}]})");
        break;
      default:
        patterns.push_back(R"({"f":[{"suffix":")" + w + R"("}]})");
        break;
    }
  }
  RuleSetBuilder b;
  for (const auto& p : patterns) ASSERT_TRUE(b.add("r", p)) << p;
  auto rs = b.build();
  // Events with one field "f" holding one scalar (string or number).
  std::vector<std::pair<bool, std::string>> values;  // (is_string, text)
  for (const char* w : words) values.emplace_back(true, w);
  for (const char* w : {"alphabet", "xALPHA", "Beta-1", "10.0.0.1 ", "SS\u00df", "ssSS"})
    values.emplace_back(true, w);
  for (int v = -12; v <= 12; ++v) values.emplace_back(false, std::to_string(v));
  values.emplace_back(false, "-7.5");
  values.emplace_back(false, "3.0e0");
  std::vector<CompiledPattern> compiled;
  for (const auto& p : patterns) compiled.push_back(*compilePattern(p));
  for (const auto& [is_string, text] : values) {
    std::string e = is_string ? R"({"f":")" + text + "\"}" : R"({"f":)" + text + "}";
    auto got = rs->match(e);
    ASSERT_TRUE(got) << e;
    // Reference: the per-leaf definition of each matcher.
    std::string unescaped = text == "SS\\u00df" ? "SS\u00df" : text;
    Leaf leaf;
    leaf.type = is_string ? Leaf::Type::kString : Leaf::Type::kNumber;
    leaf.text = unescaped;
    if (!is_string) leaf.comparable = comparableNumber(text, leaf.num);
    std::vector<uint32_t> want;
    for (uint32_t i = 0; i < compiled.size(); ++i) {
      for (const Matcher& m : *compiled[i].sub_rules[0][0].matchers) {
        if (m.matches(leaf)) {
          want.push_back(i);
          break;
        }
      }
    }
    ASSERT_EQ(*got, want) << e;
  }
}

}  // namespace
}  // namespace riposte::pattern

namespace riposte::pattern {
namespace {

// Array consistency on one array of objects: the event matches exactly when it matches with
// the array cut down to one of its elements (fields of an array's objects bind within one
// element) and no element holds a field the pattern says does not exist (exists:false looks
// at every element). And the answer is the same when a second array of objects (always
// satisfied) makes the matcher take its general path instead of the one-array shortcut.
// Random patterns of 2-3 clauses (exists:false among them, one positive at least) over 0-4
// elements.
TEST(ArrayConsistency, OneArrayEqualsSomeSingleElementAndTheGeneralPass) {
  std::mt19937 rng(7);
  const char* vals[] = {"\"x\"", "\"y\"", "1", "null"};
  auto elem = [&] {
    std::string e = "{";
    for (const char* f : {"a", "b", "c"}) {
      if (rng() % 3 == 0) continue;
      if (e.size() > 1) e += ",";
      e += std::string("\"") + f + "\":" + vals[rng() % 4];
    }
    return e + "}";
  };
  const char* positive[] = {R"(["x",1])", R"([{"exists":true}])", R"(["y",null])"};
  int checked = 0, matched = 0;
  for (int round = 0; round < 400; ++round) {
    std::string inner;
    std::vector<const char*> fields = {"a", "b", "c"};
    std::shuffle(fields.begin(), fields.end(), rng);
    std::size_t n = 2 + rng() % 2;
    std::vector<std::string> absent;
    for (std::size_t i = 0; i < n; ++i) {
      const bool pos = i == 0 || rng() % 3;
      const char* m = pos ? positive[rng() % 3] : R"([{"exists":false}])";
      if (!pos) absent.push_back(std::string("\"") + fields[i] + "\":");
      inner += (i ? "," : "") + std::string("\"") + fields[i] + "\":" + m;
    }
    bool top_rule = rng() % 2;
    std::string pattern = "{\"arr\":{" + inner + "}" + (top_rule ? ",\"top\":[\"t\"]" : "");
    RuleSetBuilder b, b2;
    ASSERT_TRUE(b.add("p", pattern + "}")) << pattern;
    ASSERT_TRUE(b2.add("p", pattern + ",\"other\":{\"k\":[\"v\"],\"j\":[1]}}")) << pattern;
    auto rs = b.build(), rs2 = b2.build();
    for (int k = 0; k < 10; ++k) {
      std::vector<std::string> elems(rng() % 5);
      for (auto& e : elems) e = elem();
      std::string top = rng() % 4 ? ",\"top\":\"t\"" : "";
      auto event = [&](const std::vector<std::string>& es, bool other) {
        std::string e = "{\"arr\":[";
        for (std::size_t i = 0; i < es.size(); ++i) e += (i ? "," : "") + es[i];
        e += "]" + top;
        if (other) e += R"(,"other":[{"k":"v","j":1},{"k":"w"}])";
        return e + "}";
      };
      auto got = rs->match(event(elems, false));
      ASSERT_TRUE(got) << event(elems, false);
      bool want = false;
      for (const auto& e : elems) {
        auto one = rs->match(event({e}, false));
        ASSERT_TRUE(one);
        want = want || !one->empty();
      }
      for (const auto& e : elems)
        for (const auto& f : absent) want = want && e.find(f) == std::string::npos;
      ++checked;
      matched += !got->empty();
      EXPECT_EQ(!got->empty(), want) << pattern << " / " << event(elems, false);
      auto general = rs2->match(event(elems, true));
      ASSERT_TRUE(general);
      EXPECT_EQ(!general->empty(), !got->empty()) << pattern << " / " << event(elems, true);
    }
  }
  EXPECT_GT(matched, 100);
  EXPECT_GT(checked - matched, 100);
}

// The one-array shortcut against the general pass for patterns the test above does not make:
// clauses outside the array (top-level fields, positive or exists:false), exists:false inside
// it, and no positive clause inside it at all (the event then matches only with no element
// chosen, so every element's violations count).
TEST(ArrayConsistency, OneArrayShortcutEqualsTheGeneralPassWithTopLevelClauses) {
  std::mt19937 rng(5);
  const char* vals[] = {"\"x\"", "\"y\"", "1", "null"};
  const char* matchers[] = {R"(["x",1])", R"([{"exists":true}])", R"(["y",null])",
                            R"([{"exists":false}])"};
  auto elem = [&] {
    std::string e = "{";
    for (const char* f : {"a", "b", "c"}) {
      if (rng() % 3 == 0) continue;
      if (e.size() > 1) e += ",";
      e += std::string("\"") + f + "\":" + vals[rng() % 4];
    }
    return e + "}";
  };
  int checked = 0, matched = 0, none_chosen = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> clauses;
    std::vector<const char*> fields = {"a", "b", "c"};
    std::shuffle(fields.begin(), fields.end(), rng);
    std::string inner;
    bool inner_positive = false;
    for (std::size_t i = 0, n = 1 + rng() % 3; i < n; ++i) {
      std::size_t m = rng() % 4;
      inner_positive = inner_positive || m != 3;
      inner += (i ? "," : "") + std::string("\"") + fields[i] + "\":" + matchers[m];
    }
    std::string pattern = "{\"arr\":{" + inner + "}";
    for (const char* f : {"t1", "t2"})
      if (rng() % 2) pattern += std::string(",\"") + f + "\":" + matchers[rng() % 4];
    RuleSetBuilder b, b2;
    ASSERT_TRUE(b.add("p", pattern + "}")) << pattern;
    ASSERT_TRUE(b2.add("p", pattern + R"(,"other":{"k":["v"],"j":[1]}})")) << pattern;
    auto rs = b.build(), rs2 = b2.build();
    for (int k = 0; k < 20; ++k) {
      std::vector<std::string> elems(rng() % 4);
      for (auto& e : elems) e = elem();
      std::string tops;
      for (const char* f : {"t1", "t2"})
        if (rng() % 2) tops += std::string(",\"") + f + "\":" + vals[rng() % 4];
      auto event = [&](bool other) {
        std::string e = "{\"arr\":[";
        for (std::size_t i = 0; i < elems.size(); ++i) e += (i ? "," : "") + elems[i];
        e += "]" + tops;
        if (other) e += R"(,"other":[{"k":"v","j":1},{"k":"w"}])";
        return e + "}";
      };
      auto got = rs->match(event(false));
      ASSERT_TRUE(got) << event(false);
      auto general = rs2->match(event(true));
      ASSERT_TRUE(general) << event(true);
      EXPECT_EQ(!got->empty(), !general->empty()) << pattern << " / " << event(false);
      ++checked;
      matched += !got->empty();
      none_chosen += !got->empty() && !inner_positive && !elems.empty();
    }
  }
  EXPECT_GT(matched, 2000);
  EXPECT_GT(checked - matched, 2000);
  EXPECT_GT(none_chosen, 100);
}

}  // namespace
}  // namespace riposte::pattern
