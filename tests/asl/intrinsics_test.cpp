#include <gtest/gtest.h>

#include "asl/expr.h"
#include "asl_test_util.h"

namespace riposte::asl {
namespace {
using testing::js;

Result<json::value> call(std::string_view text, std::string_view input = "{}") {
  auto c = parseIntrinsic(text);
  if (!c) return tl::unexpected(c.error());
  json::value in = js(input);
  json::value ctx = js(R"({"Execution":{"Name":"ex"}})");
  json::object vars;
  vars["v"] = 7;
  Scope sc(
      in, [&] { return ctx; }, &vars);
  return evalIntrinsic(*c, sc);
}

json::value ok(std::string_view text, std::string_view input = "{}") {
  auto v = call(text, input);
  EXPECT_TRUE(v) << text << ": " << v.error().str();
  return v ? *v : json::value("<error>");
}

std::string errCode(std::string_view text, std::string_view input = "{}") {
  auto v = call(text, input);
  return v ? "<ok>" : v.error().code;
}

TEST(Intrinsics, Format) {
  EXPECT_EQ(ok("States.Format('Hello, {}! {} {}', $.name, 3, true)", R"({"name":"Ann"})"),
            js("\"Hello, Ann! 3 true\""));
  EXPECT_EQ(ok(R"(States.Format('a\{\}b {}', 'x'))"), js(R"("a{}b x")"));
  EXPECT_EQ(ok(R"(States.Format('it\'s {}', $$.Execution.Name))"), js(R"("it's ex")"));
  EXPECT_EQ(ok("States.Format('{}', $v)"), js("\"7\""));
  EXPECT_EQ(errCode("States.Format('{} {}', 1)"), "States.IntrinsicFailure");
}

TEST(Intrinsics, JsonConversions) {
  EXPECT_EQ(ok("States.StringToJson($.s)", R"({"s":"{\"a\":[1,2]}"})"), js(R"({"a":[1,2]})"));
  EXPECT_EQ(ok("States.JsonToString($.o)", R"({"o":{"a":1}})"), js(R"("{\"a\":1}")"));
  EXPECT_EQ(errCode("States.StringToJson('{bad')"), "States.IntrinsicFailure");
  EXPECT_EQ(ok("States.JsonMerge($.a, $.b, false)", R"({"a":{"x":1,"y":{"z":1}},"b":{"y":2}})"),
            js(R"({"x":1,"y":2})"));
  EXPECT_EQ(errCode("States.JsonMerge($.a, $.a, true)", R"({"a":{}})"), "States.IntrinsicFailure");
}

TEST(Intrinsics, Arrays) {
  EXPECT_EQ(ok("States.Array(1, 'a', $.x, States.Array())", R"({"x":null})"),
            js(R"([1,"a",null,[]])"));
  EXPECT_EQ(ok("States.ArrayPartition(States.ArrayRange(1, 5, 1), 2)"), js("[[1,2],[3,4],[5]]"));
  EXPECT_EQ(ok("States.ArrayContains($.a, 2)", R"({"a":[1,2.0]})"), js("true"));
  EXPECT_EQ(ok("States.ArrayContains($.a, 'x')", R"({"a":[1]})"), js("false"));
  EXPECT_EQ(ok("States.ArrayRange(0, 10, 3)"), js("[0,3,6,9]"));
  EXPECT_EQ(ok("States.ArrayGetItem($.a, 1)", R"({"a":["p","q"]})"), js("\"q\""));
  EXPECT_EQ(errCode("States.ArrayGetItem($.a, 5)", R"({"a":[1]})"), "States.IntrinsicFailure");
  EXPECT_EQ(ok("States.ArrayLength($.a)", R"({"a":[1,2,3]})"), js("3"));
  EXPECT_EQ(ok("States.ArrayUnique($.a)", R"({"a":[1,2,1,"1",{"a":1},{"a":1}]})"),
            js(R"([1,2,"1",{"a":1}])"));
  EXPECT_EQ(errCode("States.ArrayRange(0, 2000, 1)"), "States.IntrinsicFailure");
  EXPECT_EQ(errCode("States.ArrayPartition($.a, 0)", R"({"a":[1]})"), "States.IntrinsicFailure");
}

TEST(Intrinsics, EncodingAndHashing) {
  EXPECT_EQ(ok("States.Base64Encode('Data to encode')"), js("\"RGF0YSB0byBlbmNvZGU=\""));
  EXPECT_EQ(ok("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"), js("\"Data to encode\""));
  EXPECT_EQ(ok("States.Base64Decode(States.Base64Encode('ab'))"), js("\"ab\""));
  EXPECT_EQ(errCode("States.Base64Decode('***')"), "States.IntrinsicFailure");
  EXPECT_EQ(ok("States.Hash('input data', 'SHA-1')"),
            js("\"aaff4a450a104cd177d28d18d74485e8cae074b7\""));
  EXPECT_EQ(ok("States.Hash('abc', 'MD5')"), js("\"900150983cd24fb0d6963f7d28e17f72\""));
  EXPECT_EQ(errCode("States.Hash('abc', 'CRC32')"), "States.IntrinsicFailure");
}

TEST(Intrinsics, MathStringsAndIds) {
  EXPECT_EQ(ok("States.MathAdd(111, -1)"), js("110"));
  EXPECT_EQ(errCode("States.MathAdd(1.5, 1)"), "States.IntrinsicFailure");
  auto r1 = ok("States.MathRandom(1, 999, 42)");
  auto r2 = ok("States.MathRandom(1, 999, 42)");
  EXPECT_EQ(r1, r2);  // seeded: deterministic
  for (int i = 0; i < 50; ++i) {
    auto r = ok("States.MathRandom(3, 5)");
    ASSERT_TRUE(r.is_int64());
    EXPECT_GE(r.get_int64(), 3);
    EXPECT_LE(r.get_int64(), 5);
  }
  EXPECT_EQ(ok("States.StringSplit('1,2, 3', ', ')"), js(R"(["1","2","3"])"));
  auto u = ok("States.UUID()");
  ASSERT_TRUE(u.is_string());
  EXPECT_EQ(u.get_string().size(), 36u);
}

TEST(Intrinsics, ParseErrors) {
  for (const char* bad :
       {"States.Nope(1)", "States.Format(", "States.ArrayLength()", "States.Format($.x)",
        "States.MathAdd(1,2,3)", "States.UUID() x", "States.Array('unterminated)"}) {
    auto c = parseIntrinsic(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, "InvalidIntrinsic") << bad;
  }
}

TEST(Intrinsics, FailuresNameTheFunctionAndWhatWasWrong) {
  auto cause = [](std::string_view text, std::string_view input = "{}") {
    auto v = call(text, input);
    EXPECT_FALSE(v) << text;
    if (v) return std::string();
    EXPECT_EQ(v.error().code, "States.IntrinsicFailure") << text;
    return v.error().message;
  };
  EXPECT_EQ(cause("States.ArrayGetItem($.a, 99)", R"({"a":[1,2]})"),
            "Invalid arguments in States.ArrayGetItem: the index 99 is out of bounds for an array "
            "of 2 items");
  EXPECT_EQ(cause("States.ArrayLength($.s)", R"({"s":"abc"})"),
            "Invalid arguments in States.ArrayLength: expected an array, got a string \"abc\"");
  EXPECT_TRUE(cause("States.StringToJson('{bad')")
                  .starts_with("Invalid arguments in States.StringToJson: the string is not valid "
                               "JSON ("));
  EXPECT_EQ(cause("States.Base64Decode('***')"),
            "Invalid arguments in States.Base64Decode: the input is not valid base64: \"***\"");
  EXPECT_EQ(cause("States.MathAdd($.x, 1)", R"({"x":"1"})"),
            "Invalid arguments in States.MathAdd: expected integers, got \"1\" and 1");
  EXPECT_EQ(cause("States.Format('{} {}', 1)"),
            "Invalid arguments in States.Format: the format string has more {} placeholders than "
            "arguments (1)");
  // A failing nested call fails the whole expression with the inner function's error.
  EXPECT_EQ(cause("States.ArrayLength(States.StringToJson('[1,'))").substr(0, 41),
            "Invalid arguments in States.StringToJson:");
}

TEST(Intrinsics, StringToJsonOfBlankIsNull) {
  // AWS's answer, recorded by LocalStack's aws-validated test_string_to_json.
  EXPECT_EQ(ok("States.StringToJson($.s)", R"({"s":""})"), js("null"));
  EXPECT_EQ(ok("States.StringToJson($.s)", R"({"s":" "})"), js("null"));
  EXPECT_EQ(ok("States.StringToJson($.s)", R"({"s":"-0"})"), js("0"));
}

TEST(Intrinsics, MissingPathIsRuntimeError) {
  EXPECT_EQ(errCode("States.ArrayLength($.nope)"), "States.Runtime");
}

}  // namespace
}  // namespace riposte::asl
