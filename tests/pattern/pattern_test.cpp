// Unit tests: every operator, every rejection message, arrays and array consistency, limits.

#include "pattern/pattern.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pattern/values.h"

namespace riposte::pattern {
namespace {

bool M(std::string_view pattern, std::string_view event) {
  auto r = matches(pattern, event);
  EXPECT_TRUE(r) << pattern << " / " << event << ": " << r.error().str();
  return r && *r;
}

std::string E(std::string_view pattern) {
  auto r = validatePattern(pattern);
  if (r) return "OK";
  EXPECT_EQ(r.error().code, "InvalidEventPattern");
  return r.error().message;
}

// ------------------------------------------------------------------------ exact values
TEST(Exact, StringsAreByteExact) {
  EXPECT_TRUE(M(R"({"a":["x"]})", R"({"a":"x"})"));
  EXPECT_FALSE(M(R"({"a":["x"]})", R"({"a":"X"})"));
  EXPECT_FALSE(M(R"({"a":["é"]})", R"({"a":"e\u0301"})"));
  EXPECT_TRUE(M(R"({"a":["\u00e9"]})", R"({"a":"é"})"));
  EXPECT_TRUE(M(R"({"a":[""]})", R"({"a":""})"));
  EXPECT_FALSE(M(R"({"a":[""]})", R"({"a":null})"));
  EXPECT_TRUE(M(R"({"a":[{"exactly":"x"}]})", R"({"a":"x"})"));
}

TEST(Exact, TypesDoNotMix) {
  EXPECT_FALSE(M(R"({"a":["300"]})", R"({"a":300})"));
  EXPECT_FALSE(M(R"({"a":[300]})", R"({"a":"300"})"));
  EXPECT_FALSE(M(R"({"a":[null]})", R"({"a":"null"})"));
  EXPECT_FALSE(M(R"({"a":[true]})", R"({"a":1})"));
  EXPECT_FALSE(M(R"({"a":[true]})", R"({"a":"true"})"));
  EXPECT_TRUE(M(R"({"a":[true]})", R"({"a":true})"));
  EXPECT_TRUE(M(R"({"a":[false]})", R"({"a":false})"));
  EXPECT_TRUE(M(R"({"a":[null]})", R"({"a":null})"));
  EXPECT_FALSE(M(R"({"a":[null]})", R"({"b":1})"));
}

TEST(Exact, NumbersCompareAsFloat64WithLiteralFallback) {
  EXPECT_TRUE(M(R"({"a":[300]})", R"({"a":300.0})"));
  EXPECT_TRUE(M(R"({"a":[300]})", R"({"a":3.0e2})"));
  EXPECT_TRUE(M(R"({"a":[300]})", R"({"a":3e+2})"));
  EXPECT_TRUE(M(R"({"a":[3.0e2]})", R"({"a":300})"));
  EXPECT_TRUE(M(R"({"a":[1.0]})", R"({"a":1})"));
  EXPECT_TRUE(M(R"({"a":[0.1]})", R"({"a":0.10})"));
  EXPECT_TRUE(M(R"({"a":[-0]})", R"({"a":0})"));
  EXPECT_TRUE(M(R"({"a":[301.8]})", R"({"a":3.018e2})"));
  // Not exactly representable: only the identical literal matches.
  EXPECT_TRUE(M(R"({"a":[9007199254740993]})", R"({"a":9007199254740993})"));
  EXPECT_FALSE(M(R"({"a":[9007199254740993]})", R"({"a":9007199254740992})"));
  EXPECT_FALSE(M(R"({"a":[9007199254740992]})", R"({"a":9007199254740993})"));
  EXPECT_TRUE(M(R"({"a":[123456789012]})", R"({"a":123456789012})"));
}

TEST(Exact, IpLiteralsCompareAsAddresses) {
  EXPECT_TRUE(M(R"({"ip":["10.0.0.1"]})", R"({"ip":"10.0.0.1"})"));
  EXPECT_TRUE(M(R"({"ip":["10.0.0.1"]})", R"({"ip":"10.0.0.01"})"));
  EXPECT_FALSE(M(R"({"ip":["10.0.0.1"]})", R"({"ip":"10.0.0.2"})"));
  EXPECT_TRUE(M(R"({"ip":["2001:db8::1"]})", R"({"ip":"2001:DB8:0::1"})"));
}

TEST(Exact, ListIsOrAndFieldsAreAnd) {
  EXPECT_TRUE(M(R"({"a":["x","y"],"b":[1]})", R"({"a":"y","b":1,"c":2})"));
  EXPECT_FALSE(M(R"({"a":["x","y"],"b":[1]})", R"({"a":"y","b":2})"));
  EXPECT_FALSE(M(R"({"a":["x","y"],"b":[1]})", R"({"a":"y"})"));
  EXPECT_TRUE(M(R"({"a":["x","x","x"]})", R"({"a":"x"})"));
}

// ----------------------------------------------------------------- paths and arrays
TEST(Paths, EscapedKeysAndValuesAreUnescaped) {
  EXPECT_TRUE(M(R"({"ab":["x\"y"]})", R"({"a\u0062":"x\"y"})"));
  EXPECT_TRUE(M(R"({"a":{"b":["\u00e9\n"]}})", R"({"\u0061":{"b":"é\n"}})"));
  EXPECT_TRUE(M(R"({"a":[{"prefix":"x\\"}]})", R"({"a" : "x\\y" , "b":1})"));
  EXPECT_FALSE(M(R"({"a":["x"]})", R"({"a":"x\u0000"})"));
  // Keys and values longer than the raw fast path.
  std::string k(300, 'k'), v(300, 'v');
  EXPECT_TRUE(M(R"({")" + k + R"(":[")" + v + R"("]})", R"({")" + k + R"(":")" + v + R"("})"));
  EXPECT_TRUE(M(R"({"ab":["x"]})", R"({"a\\b":"y","ab":"x"})"));
}

TEST(Paths, NestedAndDotJoinedAreTheSame) {
  EXPECT_TRUE(M(R"({"d":{"s":{"t":["r"]}}})", R"({"d":{"s.t":"r"}})"));
  EXPECT_TRUE(M(R"({"d":{"s.t":["r"]}})", R"({"d":{"s":{"t":"r"}}})"));
  EXPECT_TRUE(M(R"({"d.s.t":["r"]})", R"({"d":{"s":{"t":"r"}}})"));
  EXPECT_FALSE(M(R"({"D":{"s":["r"]}})", R"({"d":{"s":"r"}})"));
  EXPECT_FALSE(M(R"({"d":["r"]})", R"({"d":{"x":"r"}})"));
  EXPECT_FALSE(M(R"({"d":{"k":["v"]}})", R"({"d":"{\"k\":\"v\"}"})"));
}

TEST(Arrays, AnyElementMatches) {
  EXPECT_TRUE(M(R"({"r":["b"]})", R"({"r":["a","b"]})"));
  EXPECT_TRUE(M(R"({"r":[2]})", R"({"r":[[1],[2,[3]]]})"));
  EXPECT_FALSE(M(R"({"r":["c"]})", R"({"r":["a","b"]})"));
  EXPECT_TRUE(M(R"({"r":{"k":["v"]}})", R"({"r":[{"k":"x"},{"k":"v"}]})"));
  EXPECT_FALSE(M(R"({"r":[null]})", R"({"r":[]})"));
}

TEST(Arrays, FieldsMustComeFromTheSameElement) {
  const char* p = R"({"arr":{"k":["a"],"v":["b"]}})";
  EXPECT_TRUE(M(p, R"({"arr":[{"k":"a","v":"b"}]})"));
  EXPECT_FALSE(M(p, R"({"arr":[{"k":"a"},{"v":"b"}]})"));
  EXPECT_TRUE(M(p, R"({"arr":[{"k":"a"},{"v":"b"},{"k":"a","v":"b"}]})"));
  // Different arrays combine freely; nested arrays bind per level.
  EXPECT_TRUE(
      M(R"({"x":{"k":["a"]},"y":{"v":["b"]}})", R"({"x":[{"k":"z"},{"k":"a"}],"y":[{"v":"b"}]})"));
  const char* nested = R"({"o":{"i":{"k":["a"],"v":["b"]}}})";
  EXPECT_TRUE(M(nested, R"({"o":[{"i":[{"k":"a","v":"b"}]}]})"));
  EXPECT_FALSE(M(nested, R"({"o":[{"i":[{"k":"a"}]},{"i":[{"v":"b"}]}]})"));
  EXPECT_FALSE(M(nested, R"({"o":[{"i":[{"k":"a"},{"v":"b"}]}]})"));
  // A field outside the array pairs with any element.
  EXPECT_TRUE(
      M(R"({"top":["t"],"arr":{"k":["a"]}})", R"({"top":"t","arr":[{"k":"q"},{"k":"a"}]})"));
}

// exists:false on a field of an array's objects holds when no element has the field: the
// other fields' choice of element does not hide a leaf in another element (a condition added
// to a pattern never makes it match more events). docs/patterns.md, "exists: false".
TEST(Arrays, ExistsFalseInArrayElementsMeansNoElementHasTheField) {
  EXPECT_FALSE(M(R"({"arr":{"v":[{"exists":false}]}})", R"({"arr":[{"k":"a"},{"v":1}]})"));
  // The defect: with a sibling condition bound to element 0, element 1's "v" was not seen.
  EXPECT_FALSE(
      M(R"({"arr":{"k":["a"],"v":[{"exists":false}]}})", R"({"arr":[{"k":"a"},{"v":1}]})"));
  EXPECT_FALSE(
      M(R"({"arr":{"a":[{"exists":false}],"k":["x"]}})", R"({"arr":[{"k":"x"},{"a":1}]})"));
  EXPECT_FALSE(M(R"({"arr":{"k":["a"],"v":[{"exists":false}]}})", R"({"arr":[{"k":"a","v":1}]})"));
  EXPECT_FALSE(
      M(R"({"arr":{"k":["a"],"v":[{"exists":false}]}})", R"({"arr":[{"k":"a","v":1},{"k":"a"}]})"));
  EXPECT_TRUE(
      M(R"({"arr":{"k":["a"],"v":[{"exists":false}]}})", R"({"arr":[{"k":"a"},{"k":"b"}]})"));
  EXPECT_TRUE(M(R"({"arr":{"k":["a"],"v":[{"exists":false}]}})", R"({"arr":[{"k":"a"}],"v":1})"));
  // Nested arrays and a field of another array.
  EXPECT_FALSE(M(R"({"o":{"i":{"k":["a"],"v":[{"exists":false}]}}})",
                 R"({"o":[{"i":[{"k":"a"}]},{"i":[{"v":1}]}]})"));
  EXPECT_FALSE(M(R"({"x":{"k":["a"]},"y":{"v":[{"exists":false}]}})",
                 R"({"x":[{"k":"a"}],"y":[{"w":1},{"v":1}]})"));
  // With a positive alternative: a leaf of the field exists, so the positive alternative must
  // match in the element the other fields bind.
  const char* alt = R"({"arr":{"k":["a"],"v":[{"exists":false},"z"]}})";
  EXPECT_FALSE(M(alt, R"({"arr":[{"k":"a"},{"v":"z"}]})"));
  EXPECT_FALSE(M(alt, R"({"arr":[{"k":"a"},{"v":"y"}]})"));
  EXPECT_TRUE(M(alt, R"({"arr":[{"k":"a","v":"z"},{"v":"y"}]})"));
  EXPECT_TRUE(M(alt, R"({"arr":[{"k":"a"},{"k":"b"}]})"));
}

// A sub-rule of more than 64 clauses (the matcher's one-word clause sets) is checked as
// exactly as a small one: array consistency and exists:false both hold.
TEST(Arrays, ConsistencyHoldsBeyondSixtyFourFields) {
  std::string p = R"({"arr":{)", whole = R"({"arr":[{)", split = R"({"arr":[{)";
  for (int i = 0; i < 70; ++i) {
    std::string f = "f" + std::to_string(i);
    p += "\"" + f + "\":[1],";
    whole += (i ? "," : "") + ("\"" + f + "\":1");
    split += (i == 35 ? "},{" : i ? "," : "") + ("\"" + f + "\":1");
  }
  p += R"("v":[{"exists":false}]}})";
  whole += "}]}";
  split += "}]}";
  const std::string with_v = whole.substr(0, whole.size() - 2) + R"(,{"v":1}]})";
  EXPECT_TRUE(M(p, whole));
  EXPECT_FALSE(M(p, split));   // the fields in two elements
  EXPECT_FALSE(M(p, with_v));  // "v" in another element
}

// ------------------------------------------------------------------------ operators
TEST(Prefix, StringsOnly) {
  EXPECT_TRUE(M(R"({"a":[{"prefix":"ab"}]})", R"({"a":"abc"})"));
  EXPECT_FALSE(M(R"({"a":[{"prefix":"ab"}]})", R"({"a":"xabc"})"));
  EXPECT_FALSE(M(R"({"a":[{"prefix":"1"}]})", R"({"a":12})"));
  EXPECT_TRUE(M(R"({"a":[{"prefix":""}]})", R"({"a":""})"));
  EXPECT_FALSE(M(R"({"a":[{"prefix":""}]})", R"({"a":null})"));
  EXPECT_TRUE(M(R"({"a":[{"prefix":{"equals-ignore-case":"AB"}}]})", R"({"a":"abZ"})"));
  EXPECT_FALSE(M(R"({"a":[{"prefix":{"equals-ignore-case":"AB"}}]})", R"({"a":"xab"})"));
}

TEST(Suffix, StringsOnly) {
  EXPECT_TRUE(M(R"({"a":[{"suffix":".png"}]})", R"({"a":"x.png"})"));
  EXPECT_FALSE(M(R"({"a":[{"suffix":".png"}]})", R"({"a":"x.PNG"})"));
  EXPECT_TRUE(M(R"({"a":[{"suffix":{"equals-ignore-case":".png"}}]})", R"({"a":"x.PnG"})"));
  EXPECT_TRUE(M(R"({"a":[{"suffix":""}]})", R"({"a":"anything"})"));
  EXPECT_FALSE(M(R"({"a":[{"suffix":"2"}]})", R"({"a":12})"));
}

TEST(EqualsIgnoreCase, EventRulerAlgorithm) {
  EXPECT_TRUE(M(R"({"a":[{"equals-ignore-case":"AbC"}]})", R"({"a":"aBc"})"));
  EXPECT_FALSE(M(R"({"a":[{"equals-ignore-case":"abc"}]})", R"({"a":"abcd"})"));
  EXPECT_TRUE(M(R"({"a":[{"equals-ignore-case":""}]})", R"({"a":""})"));
  EXPECT_FALSE(M(R"({"a":[{"equals-ignore-case":""}]})", R"({"a":"x"})"));
  // Per UTF-16 unit lower/upper, not Unicode case folding.
  EXPECT_TRUE(M(R"({"a":[{"equals-ignore-case":"ß"}]})", R"({"a":"SS"})"));
  EXPECT_TRUE(M(R"({"a":[{"equals-ignore-case":"ß"}]})", R"({"a":"ß"})"));
  EXPECT_FALSE(M(R"({"a":[{"equals-ignore-case":"ß"}]})", R"({"a":"ss"})"));
  EXPECT_TRUE(M(R"({"a":[{"equals-ignore-case":"\u212a"}]})", R"({"a":"k"})"));
  EXPECT_FALSE(M(R"({"a":[{"equals-ignore-case":"\u212a"}]})", R"({"a":"K"})"));
  EXPECT_FALSE(M(R"({"a":[{"equals-ignore-case":"K"}]})", R"({"a":"\u212a"})"));
  EXPECT_TRUE(M(R"({"a":[{"equals-ignore-case":"éTÉ"}]})", R"({"a":"ÉtÉ"})"));
  // Non-BMP characters: each surrogate half is '?' (Event Ruler's behaviour).
  EXPECT_FALSE(M(R"({"a":[{"equals-ignore-case":"a😀"}]})", R"({"a":"a😀"})"));
  EXPECT_FALSE(M(R"({"a":[{"equals-ignore-case":"a"}]})", R"({"a":1})"));
}

TEST(Wildcard, AnchoredGlob) {
  EXPECT_TRUE(M(R"({"a":[{"wildcard":"*"}]})", R"({"a":""})"));
  EXPECT_TRUE(M(R"({"a":[{"wildcard":"a*c"}]})", R"({"a":"abbbc"})"));
  EXPECT_TRUE(M(R"({"a":[{"wildcard":"a*c"}]})", R"({"a":"ac"})"));
  EXPECT_FALSE(M(R"({"a":[{"wildcard":"a*c"}]})", R"({"a":"acb"})"));
  EXPECT_TRUE(M(R"({"a":[{"wildcard":"a*b*c"}]})", R"({"a":"a\nbxc"})"));
  EXPECT_FALSE(M(R"({"a":[{"wildcard":"a*bc*bc"}]})", R"({"a":"abc"})"));
  EXPECT_TRUE(M(R"({"a":[{"wildcard":"x\\*y"}]})", R"({"a":"x*y"})"));
  EXPECT_FALSE(M(R"({"a":[{"wildcard":"x\\*y"}]})", R"({"a":"xzy"})"));
  EXPECT_TRUE(M(R"({"a":[{"wildcard":"x\\\\y"}]})", R"({"a":"x\\y"})"));
  EXPECT_FALSE(M(R"({"a":[{"wildcard":""}]})", R"({"a":"x"})"));
  EXPECT_TRUE(M(R"({"a":[{"wildcard":""}]})", R"({"a":""})"));
  EXPECT_FALSE(M(R"({"a":[{"wildcard":"*"}]})", R"({"a":5})"));
}

TEST(Wildcard, NoBlowUpOnAdversarialInput) {
  std::string value(100000, 'a');
  std::string event = R"({"a":")" + value + R"("})";
  EXPECT_FALSE(M(R"({"a":[{"wildcard":"*a*a*b"}]})", event));
  EXPECT_TRUE(M(R"({"a":[{"wildcard":"*a*a*a"}]})", event));
  std::string ab;
  for (int i = 0; i < 50000; ++i) ab += "ab";
  std::string e2 = R"({"a":")" + ab + R"("})";
  EXPECT_FALSE(M(R"({"a":[{"wildcard":"*abx*b"}]})", e2));
  EXPECT_TRUE(M(R"({"a":[{"wildcard":"ab*abab*b"}]})", e2));
  // Many states at once is rejected up front rather than matched slowly.
  EXPECT_NE(E(R"({"a":[{"wildcard":"*aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"}]})").find("too complex"),
            std::string::npos);
}

TEST(AnythingBut, Forms) {
  EXPECT_TRUE(M(R"({"a":[{"anything-but":"x"}]})", R"({"a":"y"})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":"x"}]})", R"({"a":"x"})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":"x"}]})", R"({"b":"y"})"));
  EXPECT_TRUE(M(R"({"a":[{"anything-but":"x"}]})", R"({"a":null})"));
  EXPECT_TRUE(M(R"({"a":[{"anything-but":"5"}]})", R"({"a":5})"));
  EXPECT_TRUE(M(R"({"a":[{"anything-but":5}]})", R"({"a":"5"})"));
  EXPECT_TRUE(M(R"({"a":[{"anything-but":5}]})", R"({"a":true})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":[300]}]})", R"({"a":3.0e2})"));
  EXPECT_TRUE(M(R"({"a":[{"anything-but":[300]}]})", R"({"a":9007199254740993})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":["x","y"]}]})", R"({"a":"y"})"));
  EXPECT_TRUE(M(R"({"a":[{"anything-but":5}]})", R"({"a":[5,6]})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":5}]})", R"({"a":[5]})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":5}]})", R"({"a":[]})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":{"prefix":"in"}}]})", R"({"a":"init"})"));
  EXPECT_TRUE(M(R"({"a":[{"anything-but":{"prefix":"in"}}]})", R"({"a":12})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":{"suffix":[".a",".b"]}}]})", R"({"a":"x.b"})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":{"equals-ignore-case":["X","y"]}}]})", R"({"a":"Y"})"));
  EXPECT_TRUE(M(R"({"a":[{"anything-but":{"equals-ignore-case":"X"}}]})", R"({"a":"z"})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":{"wildcard":"*/d/*"}}]})", R"({"a":"x/d/y"})"));
  EXPECT_TRUE(M(R"({"a":[{"anything-but":{"wildcard":"*/d/*"}}]})", R"({"a":7})"));
  EXPECT_TRUE(M(R"({"a":[{"anything-but":{"wildcard":""}}]})", R"({"a":"x"})"));
  EXPECT_FALSE(M(R"({"a":[{"anything-but":{"wildcard":""}}]})", R"({"a":""})"));
}

TEST(Numeric, Ranges) {
  EXPECT_TRUE(M(R"({"n":[{"numeric":[">",0,"<=",5]}]})", R"({"n":5})"));
  EXPECT_FALSE(M(R"({"n":[{"numeric":[">",0,"<=",5]}]})", R"({"n":0})"));
  EXPECT_TRUE(M(R"({"n":[{"numeric":[">=",0,"<",5]}]})", R"({"n":0})"));
  EXPECT_FALSE(M(R"({"n":[{"numeric":[">=",0,"<",5]}]})", R"({"n":5})"));
  EXPECT_TRUE(M(R"({"n":[{"numeric":["=",301.8]}]})", R"({"n":3.018e2})"));
  EXPECT_FALSE(M(R"({"n":[{"numeric":["=",0.30000000000000004]}]})", R"({"n":0.3})"));
  EXPECT_TRUE(M(R"({"n":[{"numeric":["<",-1e300]}]})", R"({"n":-1.5e308})"));
  EXPECT_FALSE(M(R"({"n":[{"numeric":[">",100]}]})", R"({"n":"101"})"));
  EXPECT_FALSE(M(R"({"n":[{"numeric":[">",100]}]})", R"({"n":null})"));
  EXPECT_FALSE(M(R"({"n":[{"numeric":[">",100]}]})", R"({"n":true})"));
  EXPECT_FALSE(M(R"({"n":[{"numeric":[">",100]}]})", R"({"n":12345678901234567890})"));
  EXPECT_TRUE(M(R"({"n":[{"numeric":[">",100]}]})", R"({"n":[1,200]})"));
}

TEST(Exists, LeafOnly) {
  EXPECT_TRUE(M(R"({"a":[{"exists":true}]})", R"({"a":null})"));
  EXPECT_TRUE(M(R"({"a":[{"exists":true}]})", R"({"a":[1]})"));
  EXPECT_FALSE(M(R"({"a":[{"exists":true}]})", R"({"a":[]})"));
  EXPECT_FALSE(M(R"({"a":[{"exists":true}]})", R"({"a":{}})"));
  EXPECT_FALSE(M(R"({"a":[{"exists":true}]})", R"({"a":{"b":1}})"));
  EXPECT_TRUE(M(R"({"a":[{"exists":false}]})", R"({"b":1})"));
  EXPECT_TRUE(M(R"({"a":[{"exists":false}]})", R"({"a":[]})"));
  EXPECT_TRUE(M(R"({"a":[{"exists":false}]})", R"({"a":{"b":1}})"));
  EXPECT_FALSE(M(R"({"a":[{"exists":false}]})", R"({"a":null})"));
  EXPECT_TRUE(M(R"({"a":[{"exists":false}],"b":[1]})", R"({"b":1})"));
  EXPECT_FALSE(M(R"({"a":[{"exists":false}],"b":[1]})", R"({"b":2})"));
}

TEST(Cidr, V4AndV6) {
  EXPECT_TRUE(M(R"({"ip":[{"cidr":"10.0.0.0/24"}]})", R"({"ip":"10.0.0.255"})"));
  EXPECT_FALSE(M(R"({"ip":[{"cidr":"10.0.0.0/24"}]})", R"({"ip":"10.0.1.0"})"));
  EXPECT_TRUE(M(R"({"ip":[{"cidr":"10.0.0.1/24"}]})", R"({"ip":"10.0.0.7"})"));
  EXPECT_TRUE(M(R"({"ip":[{"cidr":"10.0.0.0/24"}]})", R"({"ip":"10.0.0.01"})"));
  EXPECT_FALSE(M(R"({"ip":[{"cidr":"10.0.0.0/8"}]})", R"({"ip":167772161})"));
  EXPECT_FALSE(M(R"({"ip":[{"cidr":"10.0.0.0/8"}]})", R"({"ip":"10.0.0.256"})"));
  EXPECT_TRUE(M(R"({"ip":[{"cidr":"2001:db8::/32"}]})", R"({"ip":"2001:db8:ffff::1"})"));
  EXPECT_FALSE(M(R"({"ip":[{"cidr":"2001:db8::/32"}]})", R"({"ip":"2001:db9::1"})"));
  EXPECT_FALSE(M(R"({"ip":[{"cidr":"2001:db8::/32"}]})", R"({"ip":"10.0.0.1"})"));
}

TEST(Or, ExpandsIntoAlternatives) {
  const char* p = R"({"d":{"$or":[{"c":[1]},{"e":[2]}]},"s":["x"]})";
  EXPECT_TRUE(M(p, R"({"d":{"c":1},"s":"x"})"));
  EXPECT_TRUE(M(p, R"({"d":{"e":2},"s":"x"})"));
  EXPECT_FALSE(M(p, R"({"d":{"e":2},"s":"y"})"));
  EXPECT_FALSE(M(p, R"({"d":{"e":3},"s":"x"})"));
  // Nested $or.
  const char* n = R"({"$or":[{"a":[1]},{"$or":[{"b":[2]},{"c":[3]}]}]})";
  EXPECT_TRUE(M(n, R"({"c":3})"));
  EXPECT_FALSE(M(n, R"({"d":3})"));
  // Two $or multiply out.
  const char* two = R"({"$or":[{"a":[1]},{"b":[1]}],"x":{"$or":[{"c":[1]},{"d":[1]}]}})";
  EXPECT_TRUE(M(two, R"({"b":1,"x":{"c":1}})"));
  EXPECT_FALSE(M(two, R"({"b":1,"x":{"e":1}})"));
  // exists:false and anything-but inside alternatives.
  EXPECT_TRUE(M(R"({"s":[{"anything-but":["roses"]},{"exists":false}]})", R"({"t":1})"));
  EXPECT_FALSE(M(R"({"s":[{"anything-but":["roses"]},{"exists":false}]})", R"({"s":"roses"})"));
}

TEST(Or, DuplicateKeysLastWins) {
  EXPECT_TRUE(M(R"({"a":["x"],"a":["y"]})", R"({"a":"y"})"));
  EXPECT_FALSE(M(R"({"a":["x"],"a":["y"]})", R"({"a":"x"})"));
  const char* p = R"({"arr":{"$or":[{"k":["a"]},{"v":["zz"]}],"v":["b"]}})";
  EXPECT_TRUE(M(p, R"({"arr":{"v":"b"}})"));
  EXPECT_FALSE(M(p, R"({"arr":{"v":"zz"}})"));
}

TEST(Or, LegacyFallbackReadsOrAsAFieldName) {
  EXPECT_TRUE(M(R"({"$or":{"a":["x"]}})", R"({"$or":{"a":"x"}})"));
  EXPECT_TRUE(M(R"({"$or":["x"]})", R"({"$or":"x"})"));
  EXPECT_EQ(E(R"({"$or":[{"a":[1]}]})"), "There must have at least 2 Objects in $or relationship.");
}

// ----------------------------------------------------------------------- rejections
TEST(Validation, StructureMessages) {
  EXPECT_EQ(E("[1]"), "Filter is not an object");
  EXPECT_EQ(E("{}"), "Empty objects are not allowed");
  EXPECT_EQ(E(R"({"a":{}})"), "Empty objects are not allowed");
  EXPECT_EQ(E(R"({"a":[{}]})"), "Empty objects are not allowed");
  EXPECT_EQ(E(R"({"a":[]})"), "Empty arrays are not allowed");
  EXPECT_EQ(E(R"({"a":1})"), "\"a\" must be an object or an array");
  EXPECT_EQ(E(R"({"a":"x"})"), "\"a\" must be an object or an array");
  EXPECT_EQ(E(R"({"a":[[1]]})"), "Match value must be String, number, true, false, or null");
  EXPECT_EQ(E(R"({"a":[{"prefix":"x","suffix":"y"}]})"),
            "Only one key allowed in match expression");
  EXPECT_EQ(E(R"({"a":[{"EXISTS":true}]})"), "Unrecognized match type EXISTS");
  EXPECT_EQ(E(R"({"a":[{"exists":"yes"}]})"), "exists match pattern must be either true or false.");
  EXPECT_EQ(E(R"({"a":[{"exactly":1}]})"), "exact match pattern must be a string");
}

TEST(Validation, OrMessages) {
  EXPECT_EQ(E(R"({"$or":[{"a":[1]},2]})"),
            "Only JSON object is allowed in array of $or relationship.");
  EXPECT_EQ(E(R"({"$or":[{"a":[1]},{"numeric":[1]}]})"),
            "numeric is Ruler reserved fieldName which cannot be used inside $or.");
  EXPECT_EQ(E(R"({"$or":3})"), "It must be an Array followed with $or.");
}

TEST(Validation, OperatorTypes) {
  EXPECT_EQ(E(R"({"a":[{"prefix":1}]})"), "prefix match pattern must be a string");
  EXPECT_EQ(E(R"({"a":[{"prefix":["x"]}]})"), "prefix match pattern must be a string");
  EXPECT_EQ(E(R"({"a":[{"suffix":null}]})"), "suffix match pattern must be a string");
  EXPECT_EQ(E(R"({"a":[{"equals-ignore-case":["x"]}]})"),
            "equals-ignore-case match pattern must be a string");
  EXPECT_EQ(E(R"({"a":[{"prefix":{"equals-ignore-case":1}}]})"),
            "equals-ignore-case match pattern must be a string");
  EXPECT_EQ(E(R"({"a":[{"wildcard":["x"]}]})"), "wildcard match pattern must be a string");
  EXPECT_EQ(E(R"({"a":[{"cidr":1}]})"), "prefix match pattern must be a string");
}

TEST(Validation, AnythingButMessages) {
  EXPECT_EQ(E(R"({"a":[{"anything-but":null}]})"),
            "Value of anything-but must be an array or single string/number value.");
  EXPECT_EQ(E(R"({"a":[{"anything-but":true}]})"),
            "Value of anything-but must be an array or single string/number value.");
  EXPECT_EQ(E(R"({"a":[{"anything-but":["a",null]}]})"),
            "Inside anything but list, start|null|boolean is not supported.");
  EXPECT_EQ(E(R"({"a":[{"anything-but":["a",1]}]})"),
            "Inside anything but list, either all values are number or string, mixed type is not "
            "supported");
  EXPECT_EQ(E(R"({"a":[{"anything-but":[]}]})"),
            "Inside anything but list, either all values are number or string, mixed type is not "
            "supported");
  EXPECT_EQ(E(R"({"a":[{"anything-but":{"prefix":""}}]})"), "Null prefix/suffix not allowed");
  EXPECT_EQ(E(R"({"a":[{"anything-but":{"suffix":[1]}}]})"),
            "prefix/suffix match pattern must be a string");
  EXPECT_EQ(E(R"({"a":[{"anything-but":{"prefix":{"equals-ignore-case":"x"}}}]})"),
            "Value of anything-but must be an array or single string/number value.");
  EXPECT_EQ(
      E(R"({"a":[{"anything-but":{"equals-ignore-case":[1]}}]})"),
      "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.");
  EXPECT_EQ(E(R"({"a":[{"anything-but":{"wildcard":1}}]})"),
            "wildcard match pattern must be a string");
  EXPECT_EQ(E(R"({"a":[{"anything-but":{"numeric":[">",1]}}]})"),
            "Unsupported anything-but pattern: numeric");
  EXPECT_EQ(E(R"({"a":[{"anything-but":1e400}]})"), "Cannot compare number : 1e400");
}

TEST(Validation, NumericMessages) {
  EXPECT_EQ(E(R"({"a":[{"numeric":5}]})"), "Value of numeric must be an array.");
  EXPECT_EQ(E(R"({"a":[{"numeric":[]}]})"), "Invalid member in numeric match: ]");
  EXPECT_EQ(E(R"({"a":[{"numeric":[5]}]})"), "Invalid member in numeric match: 5");
  EXPECT_EQ(E(R"({"a":[{"numeric":["<",10,">",0]}]})"), "Too many elements in numeric expression");
  EXPECT_EQ(E(R"({"a":[{"numeric":[">",0,">",0]}]})"), "Bad numeric range operator: >");
  EXPECT_EQ(E(R"({"a":[{"numeric":[">",0,"<"]}]})"), "Value of < must be numeric");
  EXPECT_EQ(E(R"({"a":[{"numeric":[">",0,5]}]})"), "Bad value in numeric range: 5");
  EXPECT_EQ(E(R"({"a":[{"numeric":["=","5"]}]})"), "Value of = must be numeric");
  EXPECT_EQ(E(R"({"a":[{"numeric":["!=",5]}]})"), "Unrecognized numeric range operator: !=");
  EXPECT_EQ(E(R"({"a":[{"numeric":[">",5,"<",5]}]})"), "Bottom must be less than top");
  EXPECT_EQ(E(R"({"a":[{"numeric":[">",0.1,"<=",0.1]}]})"), "Bottom must be less than top");
  EXPECT_EQ(E(R"({"a":[{"numeric":[">",1e400]}]})"), "Cannot compare number : 1e400");
  EXPECT_EQ(E(R"({"a":[{"numeric":["=",9007199254740993]}]})"),
            "Cannot compare number : 9007199254740993");
  EXPECT_EQ(E(R"({"a":[{"numeric":[">",0,"<",1,2]}]})"),
            "Too many terms in numeric range expression");
}

TEST(Validation, WildcardMessages) {
  EXPECT_EQ(E(R"({"a":[{"wildcard":"ab**"}]})"), "Consecutive wildcard characters at pos 3");
  EXPECT_EQ(E(R"({"a":[{"wildcard":"a\\b"}]})"), "Invalid escape character at pos 2");
  EXPECT_EQ(E(R"({"a":[{"wildcard":"*:*:*:*:*:event-bus/*"}]})"),
            "Rule is too complex - try using fewer wildcard characters or fewer repeating "
            "character sequences after a wildcard character");
  EXPECT_EQ(E(R"({"a":[{"wildcard":"/Users/*/dir/dir/dir/dir/dir/doc.txt"}]})"), "OK");
}

TEST(Validation, CidrMessages) {
  EXPECT_EQ(E(R"({"a":[{"cidr":"10.0.0.0"}]})"), "Malformed CIDR, one '/' required");
  EXPECT_EQ(E(R"({"a":[{"cidr":"10.0.0.0/"}]})"), "Malformed CIDR, one '/' required");
  EXPECT_EQ(E(R"({"a":[{"cidr":"10.0.0.0/x"}]})"), "Malformed CIDR, mask bits must be an integer");
  EXPECT_EQ(E(R"({"a":[{"cidr":"10.0.0.0/-1"}]})"),
            "Malformed CIDR, mask bits must not be negative");
  EXPECT_EQ(E(R"({"a":[{"cidr":"10.0.0/8"}]})"), "Nonstandard IP address: 10.0.0");
  EXPECT_EQ(E(R"({"a":[{"cidr":"10.0.0.0/32"}]})"), "IPv4 mask bits must be < 32");
  EXPECT_EQ(E(R"({"a":[{"cidr":"::/128"}]})"), "IPv6 mask bits must be < 128");
  EXPECT_EQ(E(R"({"a":[{"cidr":"10.0.0.0/31"}]})"), "OK");
}

TEST(Validation, MalformedJsonNamesLineAndColumn) {
  auto r = validatePattern("{\n  \"a\": [this]\n}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidEventPattern");
  EXPECT_EQ(r.error().message,
            "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or "
            "token 'null', 'true' or 'false') at line 2, column 9");
  EXPECT_NE(E(R"({"a":["x"])").find("line 1, column 11"), std::string::npos);
  EXPECT_NE(E(R"({"a":["x"]} x)").find("expected end-of-input"), std::string::npos);
}

TEST(Limits, SizeDepthOrAndComplexity) {
  std::string big = R"({"a":[")" + std::string(4100, 'x') + R"("]})";
  EXPECT_NE(E(big).find("too long"), std::string::npos);
  std::string deep;
  for (int i = 0; i < 70; ++i) deep += R"({"a":)";
  deep += "[1]";
  for (int i = 0; i < 70; ++i) deep += "}";
  EXPECT_NE(E(deep).find("Nesting depth"), std::string::npos);
  // 2^10 = 1024 combinations > 1000.
  std::string ors = "{";
  for (int i = 0; i < 10; ++i) {
    ors += (i ? "," : "") + std::string("\"f") + std::to_string(i) +
           R"(":{"$or":[{"a":[1]},{"b":[2]}]})";
  }
  ors += "}";
  EXPECT_NE(E(ors).find("$or combinations exceed"), std::string::npos);
  std::string ok = "{";
  for (int i = 0; i < 9; ++i) {
    ok += (i ? "," : "") + std::string("\"f") + std::to_string(i) +
          R"(":{"$or":[{"a":[1]},{"b":[2]}]})";
  }
  ok += "}";
  EXPECT_EQ(E(ok), "OK");
}

// ------------------------------------------------- pinned differences from moto
// Each case is a disagreement category of tests/pattern/moto_differential.py; riposte follows
// EventBridge (see docs/patterns.md for the AWS documentation behind each).
TEST(MotoDeviations, ObjectsAndNestedArraysInsideArrays) {
  EXPECT_FALSE(M(R"({"a":[{"anything-but":"x"}]})", R"({"a":[{"b":1}]})"));  // moto: true
  EXPECT_TRUE(M(R"({"a":[2]})", R"({"a":[[1],[2]]})"));                      // moto: false
  EXPECT_TRUE(M(R"({"arr":{"k":["a"]}})", R"({"arr":[{"k":"a"}]})"));        // moto: false
}

TEST(MotoDeviations, EmptyArrayOrObjectIsNotALeaf) {
  EXPECT_FALSE(M(R"({"a":[{"exists":true}]})", R"({"a":[]})"));  // moto: true
  EXPECT_FALSE(M(R"({"a":[{"exists":true}]})", R"({"a":{}})"));  // moto: true
  EXPECT_FALSE(M(R"({"a":[{"anything-but":"x"}]})", R"({"a":{}})"));
}

TEST(MotoDeviations, BooleansAreNotNumbers) {
  EXPECT_FALSE(M(R"({"a":[1]})", R"({"a":true})"));                    // moto: true
  EXPECT_FALSE(M(R"({"a":[true]})", R"({"a":1})"));                    // moto: true
  EXPECT_FALSE(M(R"({"a":[{"numeric":[">",0]}]})", R"({"a":true})"));  // moto: true
  EXPECT_TRUE(M(R"({"a":[{"anything-but":[1]}]})", R"({"a":true})"));  // moto: false
}

TEST(MotoDeviations, IgnoreCaseIsEventRulersNotPythonLower) {
  EXPECT_TRUE(M(R"({"a":[{"equals-ignore-case":"ß"}]})", R"({"a":"SS"})"));   // moto: false
  EXPECT_FALSE(M(R"({"a":[{"equals-ignore-case":"ß"}]})", R"({"a":"ss"})"));  // moto: false too
}

TEST(MotoDeviations, WildcardStarMatchesNewlines) {
  EXPECT_TRUE(M(R"({"a":[{"wildcard":"a*b"}]})", R"({"a":"a\nb"})"));  // moto: false
}

TEST(MotoDeviations, CidrAllowsHostBitsAndNeedsStrings) {
  EXPECT_TRUE(M(R"({"a":[{"cidr":"10.0.0.1/24"}]})", R"({"a":"10.0.0.7"})"));  // moto: false
  EXPECT_FALSE(M(R"({"a":[{"cidr":"10.0.0.0/8"}]})", R"({"a":167772161})"));   // moto: true
}

TEST(MotoDeviations, IpLiteralsCompareAsAddresses) {
  EXPECT_TRUE(M(R"({"a":["10.0.0.1"]})", R"({"a":"10.0.0.01"})"));  // moto: false
}

TEST(MotoDeviations, OrBranchOverridesAnEarlierSamePathField) {
  const char* p = R"({"a":["running"],"$or":[{"a":[{"anything-but":["running"]}]},{"b":[1]}]})";
  EXPECT_TRUE(M(p, R"({"a":"stopped"})"));  // moto: false (it ANDs a=running)
  EXPECT_TRUE(M(p, R"({"a":"running","b":1})"));
  EXPECT_FALSE(M(p, R"({"a":"stopped","b":2,"c":1})") && false);
}

TEST(MotoDeviations, MotoAcceptsInvalidPatterns) {
  EXPECT_EQ(E(R"({"a":[{"wildcard":"a**b"}]})"), "Consecutive wildcard characters at pos 2");
  EXPECT_EQ(E(R"({"a":[{"EXISTS":true}]})"), "Unrecognized match type EXISTS");
  EXPECT_EQ(E(R"({"a":[{"equals-ignore-case":["a"]}]})"),
            "equals-ignore-case match pattern must be a string");
  EXPECT_EQ(E(R"({"a":[[1]]})"), "Match value must be String, number, true, false, or null");
}

// ------------------------------------------------------------------------- RuleSet
TEST(RuleSet, ReturnsSortedUniqueIndexesAndNames) {
  RuleSetBuilder b;
  ASSERT_TRUE(b.add("r0", R"({"a":["x"]})"));
  ASSERT_TRUE(b.add("r1", R"({"$or":[{"a":["x"]},{"b":[1]}]})"));
  ASSERT_TRUE(b.add("r2", R"({"a":["y"]})"));
  ASSERT_TRUE(b.add("r3", R"({"c":[{"exists":false}]})"));
  auto bad = b.add("bad", R"({"a":[]})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "Empty arrays are not allowed");
  auto rs = b.build();
  EXPECT_EQ(rs->size(), 4u);
  EXPECT_EQ(rs->ruleName(2), "r2");
  auto m = rs->match(R"({"a":"x","b":1})");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, (std::vector<uint32_t>{0, 1, 3}));
  m = rs->match(R"({"a":"y","c":null})");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, (std::vector<uint32_t>{2}));
  // The builder is reusable and the first set is unaffected.
  ASSERT_TRUE(b.add("r4", R"({"a":["y"]})"));
  auto rs2 = b.build();
  EXPECT_EQ(*rs2->match(R"({"a":"y","c":1})"), (std::vector<uint32_t>{2, 4}));
  EXPECT_EQ(*rs->match(R"({"a":"y","c":1})"), (std::vector<uint32_t>{2}));
}

TEST(RuleSet, MatchPaddedAgreesWithMatch) {
  RuleSetBuilder b;
  ASSERT_TRUE(b.add("r", R"({"a":[{"prefix":"x"}],"b":{"c":[{"numeric":[">",1]}]}})"));
  auto rs = b.build();
  for (std::string e : {R"({"a":"xy","b":{"c":2}})", R"({"a":"xy","b":{"c":0}})", R"({"a":)"}) {
    e.reserve(e.size() + RuleSet::kPadding);
    auto p = rs->matchPadded(e);
    auto m = rs->match(e);
    auto s = rs->matchString(e);
    std::string tight(e);
    tight.shrink_to_fit();  // may leave no spare capacity: matchString then copies
    auto t = rs->matchString(tight);
    ASSERT_EQ(p.has_value(), m.has_value()) << e;
    ASSERT_EQ(s.has_value(), m.has_value()) << e;
    ASSERT_EQ(t.has_value(), m.has_value()) << e;
    if (m) {
      EXPECT_EQ(*p, *m) << e;
      EXPECT_EQ(*s, *m) << e;
      EXPECT_EQ(*t, *m) << e;
    }
  }
}

// The walk stops at an unvisited container that only closing brackets follow; it must see
// exactly what skipping it would have seen.
TEST(RuleSet, TrailingUnvisitedContainers) {
  RuleSetBuilder b;
  ASSERT_TRUE(b.add("a", R"({"a":["x"]})"));
  ASSERT_TRUE(b.add("nested", R"({"n":{"k":["v"]}})"));
  ASSERT_TRUE(b.add("absent", R"({"z":[{"exists":false}]})"));
  auto rs = b.build();
  auto hits = [&](const std::string& e) -> std::vector<uint32_t> {
    auto m = rs->match(e);
    EXPECT_TRUE(m) << e << ": " << (m ? "" : m.error().str());
    return m ? *m : std::vector<uint32_t>{99};
  };
  using V = std::vector<uint32_t>;
  // Brackets and quotes inside strings of the tail, escapes (which fall back to skipping).
  EXPECT_EQ(hits(R"({"a":"x","g":{"s":"}]","t":["{",{"u":"\"}"}]}})"), (V{0, 2}));
  EXPECT_EQ(hits(R"({"a":"x","g":[[["]"]],{"x":"\\"}]})"), (V{0, 2}));
  // A rule's field after the container is still seen (the container is skipped, not the end).
  EXPECT_EQ(hits(R"({"g":{"x":[1,2]},"a":"x"})"), (V{0, 2}));
  EXPECT_EQ(hits(R"({"g":{"x":[1,2]},"z":1})"), (V{}));
  // Tails several levels down, with whitespace between the closers.
  EXPECT_EQ(hits("{\"n\":{\"k\":\"v\",\"big\":{\"q\":[1,[2,{\"r\":3}]]} } \n}"), (V{1, 2}));
  EXPECT_EQ(hits(R"({"n":{"big":{"q":[1]},"k":"v"}})"), (V{1, 2}));
  // Inside an array element: the array's other elements still count.
  EXPECT_EQ(hits(R"({"n":[{"k":"w","x":{}},{"k":"v","x":{"y":[]}}]})"), (V{1, 2}));
  // A tail that does not balance is left to simdjson's skip (and its errors).
  for (const char* bad : {R"({"a":"x","g":{"s":[1,2}})", R"({"a":"x","g":[1,{]})"}) {
    auto m = rs->match(bad);
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().code, "InvalidEvent");
  }
}

// The bracket count of an unvisited container runs 64 bytes at a time: strings (holding
// brackets) and whitespace placed across every block boundary, before and after the
// container's end, give the answer of the walk without the shortcut (a trailing member).
TEST(RuleSet, TrailingContainerCheckAcrossBlockBoundaries) {
  RuleSetBuilder b;
  ASSERT_TRUE(b.add("a", R"({"a":["x"]})"));
  ASSERT_TRUE(b.add("absent", R"({"z":[{"exists":false}]})"));
  auto rs = b.build();
  int checked = 0, matched = 0;
  for (const char* fill : {"y", "}", "{]"}) {
    for (std::size_t i = 0; i < 140; ++i) {
      std::string s;
      while (s.size() < i) s += fill;
      for (std::size_t j = 0; j < 140; j += 3) {
        // "u" is unvisited; what follows it decides the answer unless the walk stops there.
        for (const std::string& after : {R"(,"a":"x","g":{)" + std::string(j, ' ') + "}}",
                                         R"(,"z":1,"g":[)" + std::string(j, ' ') + "]}",
                                         R"(,"g":{"h":")" + std::string(j, ']') + R"("}})"}) {
          const std::string event = R"({"u":{"s":")" + s + R"("})" + after;
          const std::string trailing = event.substr(0, event.size() - 1) + R"(,"zz~":0})";
          auto m = rs->match(event);
          ASSERT_TRUE(m) << event << ": " << m.error().str();
          auto t = rs->match(trailing);
          ASSERT_TRUE(t) << trailing;
          ASSERT_EQ(*m, *t) << event;
          ++checked;
          matched += !m->empty();
        }
      }
    }
  }
  EXPECT_GT(checked, 15000);
  EXPECT_GT(matched, 5000);
}

// Random well-formed events, long containers (several 64-byte blocks, brackets and quotes in
// strings across block boundaries) and deep tails included: the answer is the same with a
// trailing member no rule names (no "stop at the last container" shortcut then) and with
// every key's first character written as a \u escape (keys looked up after unescaping, not
// by their raw bytes and one 8-byte load).
TEST(RuleSet, RandomEventsAnswerAsWithoutTheWalkShortcuts) {
  const std::vector<std::string> rules = {
      R"({"a":["x",1,true,null]})",
      R"({"a":[{"prefix":"x"},{"suffix":"y"}]})",
      R"({"a":[{"anything-but":["x","y"]}],"c":{"d":[{"exists":false}]}})",
      R"({"b":[{"numeric":[">",0,"<=",10]}]})",
      R"({"arr":{"k":["a"],"v":["b"]}})",
      R"({"arr":{"k":["a"],"v":[{"exists":false}]}})",
      R"({"c.d":[{"suffix":{"equals-ignore-case":"z"}}]})",
      R"({"g":{"x":{"q":[{"exists":true}]}}})",
      R"({"x":[{"exists":false}]})",
      R"({"k":[{"prefix":"x"}]})",
  };
  RuleSetBuilder b;
  for (const auto& r : rules) ASSERT_TRUE(b.add(r, r)) << r;
  auto rs = b.build();
  const char* keys[] = {"a", "b", "c", "d", "arr", "k", "v", "g", "x", "q", "c.d", "other"};
  std::mt19937 rng(11);
  bool escape = false;  // the same draws make the same event, keys escaped or not
  auto str = [&] {
    std::string s = "\"";
    std::size_t n = rng() % 4 == 0 ? rng() % 140 : rng() % 6;
    for (std::size_t i = 0; i < n; ++i) {
      char c = "xyaz{}[]\":,Q "[rng() % 13];
      s += c != '"' ? std::string(1, c) : rng() % 8 == 0 ? "\\\"" : "]";
    }
    return s + "\"";
  };
  const char* words[] = {R"("a")", R"("b")", R"("x")", R"("xy")", R"("Qz")"};
  // `parent`: the key the value is under (elements of an array: the array's); the objects of
  // an "arr" mostly hold "k" and "v", as the array rules name them.
  std::function<std::string(int, std::string_view)> value;
  auto object = [&](int depth, std::string_view parent) {
    const bool in_arr = parent == "arr" && rng() % 4 != 0;
    std::string o = "{";
    for (std::size_t i = 0, n = rng() % 5; i < n; ++i) {
      if (i) o += rng() % 3 == 0 ? " , " : ",";
      std::string k = in_arr ? std::string(1, "kvx"[rng() % 3]) : keys[rng() % std::size(keys)];
      std::string v = in_arr && rng() % 2 ? words[rng() % std::size(words)] : value(depth + 1, k);
      if (escape) {
        char u[8];
        std::snprintf(u, sizeof u, "\\u%04x", static_cast<unsigned char>(k[0]));
        k = u + k.substr(1);
      }
      o += "\"" + k + "\":" + v;
    }
    return o + (rng() % 4 == 0 ? " }" : "}");
  };
  value = [&](int depth, std::string_view parent) -> std::string {
    unsigned r = depth > 18 ? 5 + rng() % 5 : rng() % 10;
    if (parent == "arr" && depth <= 18 && rng() % 2) r = rng() % 5;  // a container
    if (r < 3) return object(depth, parent);
    if (r < 5) {
      std::string a = "[";
      for (std::size_t i = 0, n = rng() % 5; i < n; ++i)
        a += (i ? "," : "") + value(depth + 1, parent);
      return a + (rng() % 4 == 0 ? "\n]" : "]");
    }
    if (r < 7) return str();
    if (r == 7) return std::to_string(rng() % 12);
    if (r == 8) return rng() % 2 ? "true" : "null";
    return words[rng() % std::size(words)];
  };
  std::vector<int> hits(rules.size(), 0);
  int checked = 0;
  for (int round = 0; round < 20000; ++round) {
    const auto seed = rng();
    rng.seed(seed);
    escape = true;
    const std::string escaped = object(0, "");
    rng.seed(seed);
    escape = false;
    const std::string event = object(0, "");
    if (event.find('"') == std::string::npos) continue;  // no members
    const std::string trailing = event.substr(0, event.size() - 1) + R"(,"zz~":0})";
    auto m = rs->match(event);
    ASSERT_TRUE(m) << event << ": " << m.error().str();
    auto t = rs->match(trailing);
    ASSERT_TRUE(t) << trailing << ": " << t.error().str();
    EXPECT_EQ(*t, *m) << event;
    auto e = rs->match(escaped);
    ASSERT_TRUE(e) << escaped << ": " << e.error().str();
    EXPECT_EQ(*e, *m) << event << "\n" << escaped;
    for (uint32_t i : *m) ++hits[i];
    ++checked;
  }
  EXPECT_GT(checked, 10000);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    EXPECT_GT(hits[i], 10) << rules[i];
    EXPECT_LT(hits[i], checked - 10) << rules[i];
  }
}

// Keys of up to 8 bytes are compared with one 8-byte load of the event key (what follows the
// key in the buffer masked off) against a small node's keys (longer ones load as 0). Event
// keys of every length from 0 to 12 against nodes holding a key one byte shorter, one byte
// longer and one longer than 8 bytes; the same keys escaped (looked up after unescaping).
TEST(RuleSet, EventKeysOfEveryLengthAgainstSmallNodes) {
  const std::string abc = "abcdefghijkl";
  for (std::size_t len = 0; len <= 10; ++len) {
    std::vector<std::string> keys = {"mnopqrstuvwx", abc.substr(0, len), abc.substr(0, len + 1)};
    if (len > 0) keys.push_back(abc.substr(0, len - 1));
    RuleSetBuilder b;
    for (const auto& k : keys) ASSERT_TRUE(b.add(k, R"({")" + k + R"(":["x"]})"));
    auto rs = b.build();
    for (std::size_t n = 0; n <= abc.size(); ++n) {
      const std::string k = abc.substr(0, n);
      std::vector<uint32_t> want;
      for (uint32_t i = 0; i < keys.size(); ++i)
        if (keys[i] == k) want.push_back(i);
      for (const std::string& key : {k, n ? "\\u0061" + k.substr(1) : k}) {
        for (const std::string& event :
             {R"({")" + key + R"(":"x"})", R"({")" + key + R"(" : "x","zz":{"a":"y"}})"}) {
          auto m = rs->match(event);
          ASSERT_TRUE(m) << event << ": " << m.error().str();
          EXPECT_EQ(*m, want) << "rule keys around " << len << " bytes, event " << event;
        }
      }
    }
  }
}

TEST(RuleSet, InvalidEvents) {
  RuleSetBuilder b;
  ASSERT_TRUE(b.add("r", R"({"a":["x"]})"));
  auto rs = b.build();
  for (const char* bad : {"[1]", "\"x\"", "{\"a\":", "", "{\"a\" 1}", "{\"a\":nulli}",
                          "{\"a\":tru}", "{\"a\":[1,}"}) {
    auto m = rs->match(bad);
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().code, "InvalidEvent");
  }
}

TEST(RuleSet, ManyRulesOnOneField) {
  RuleSetBuilder b;
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(b.add("r" + std::to_string(i), R"({"id":[")" + std::to_string(i) + R"("]})"));
  }
  ASSERT_TRUE(b.add("p", R"({"id":[{"prefix":"49"}]})"));
  auto rs = b.build();
  auto m = rs->match(R"({"id":"4999"})");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, (std::vector<uint32_t>{4999, 5000}));
}

TEST(RuleSet, MatchIsThreadSafeAcrossRuleSetsAndThreads) {
  RuleSetBuilder b;
  ASSERT_TRUE(b.add("arr", R"({"arr":{"k":["a"],"v":[{"numeric":[">",1]}]}})"));
  ASSERT_TRUE(b.add("ic", R"({"s":[{"equals-ignore-case":"ABC"}]})"));
  auto first = b.build();
  ASSERT_TRUE(b.add("s", R"({"s":[{"prefix":"a"}]})"));
  auto second = b.build();
  const std::string hit = R"({"arr":[{"k":"b","v":5},{"k":"a","v":2}],"s":"abc"})";
  const std::string miss = R"({"arr":[{"k":"a","v":0},{"k":"b","v":2}],"s":"xbc"})";
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const auto& rs = (i + t) % 2 ? first : second;
        auto h = rs->match(hit);
        auto m = rs->match(miss);
        std::vector<uint32_t> want =
            rs == first ? std::vector<uint32_t>{0, 1} : std::vector<uint32_t>{0, 1, 2};
        if (!h || *h != want || !m || !m->empty()) wrong++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Values, ComparableNumbers) {
  double d = 0;
  EXPECT_TRUE(comparableNumber("0.1", d));
  EXPECT_TRUE(comparableNumber("300.000", d));
  EXPECT_EQ(d, 300);
  EXPECT_TRUE(comparableNumber("-0", d));
  EXPECT_EQ(d, 0);
  EXPECT_TRUE(comparableNumber("1.7976931348623157e308", d));
  EXPECT_FALSE(comparableNumber("1e400", d));
  EXPECT_FALSE(comparableNumber("9007199254740993", d));
  EXPECT_FALSE(comparableNumber("0.30000000000000004000001", d));
  EXPECT_TRUE(comparableNumber("9007199254740992", d));
}

}  // namespace
}  // namespace riposte::pattern
