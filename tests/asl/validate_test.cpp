#include <gtest/gtest.h>

#include "asl_test_util.h"

namespace riposte::asl {
namespace {
using testing::js;

std::vector<Diagnostic> diags(std::string_view def,
                              const std::function<bool(std::string_view)>& known = {}) {
  return validate(js(def), known);
}

// True when some diagnostic has exactly `path` and its message contains `needle`.
bool has(const std::vector<Diagnostic>& d, const std::string& path, const std::string& needle) {
  for (const auto& x : d)
    if (x.path == path && x.message.find(needle) != std::string::npos) return true;
  return false;
}

std::string dump(const std::vector<Diagnostic>& d) {
  std::string s;
  for (const auto& x : d) s += x.path + ": " + x.message + "\n";
  return s;
}

TEST(Validate, AcceptsAValidMachine) {
  auto d = diags(R"({
    "Comment": "ok", "StartAt": "A", "TimeoutSeconds": 60, "Version": "1.0",
    "States": {
      "A": {"Type": "Task", "Resource": "riposte:x", "Next": "B",
            "Retry": [{"ErrorEquals": ["X"], "IntervalSeconds": 1, "MaxAttempts": 2,
                       "BackoffRate": 1.5, "MaxDelaySeconds": 5, "JitterStrategy": "FULL"},
                      {"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.err"}]},
      "B": {"Type": "Choice", "Choices": [
              {"Variable": "$.x", "NumericGreaterThan": 1, "Next": "C"},
              {"And": [{"Variable": "$.s", "StringMatches": "a*"},
                       {"Not": {"Variable": "$.b", "IsPresent": true}}], "Next": "W"}],
            "Default": "S"},
      "C": {"Type": "Parallel", "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}],
            "Next": "M"},
      "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}, "End": true},
      "W": {"Type": "Wait", "Seconds": 3, "Next": "S"},
      "S": {"Type": "Succeed"},
      "F": {"Type": "Fail", "Error": "E", "Cause": "C"}
    }})",
                 [](std::string_view r) { return r == "riposte:x"; });
  EXPECT_TRUE(d.empty()) << dump(d);
}

TEST(Validate, ReportsEveryProblemWithItsPath) {
  auto d = diags(R"({
    "StartAt": "A",
    "States": {
      "A": {"Type": "Task", "Resource": "riposte:unknown", "Next": "Nowhere",
            "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"], "BackoffRate": 0.5}]},
      "B": {"Type": "Pass"},
      "C": {"Type": "Pass", "End": true, "InputPath": "$.a[", "ResultPath": "$.a[*]", "Bogus": 1},
      "D": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEquals": 5, "Next": "C"}]},
      "E": {"Type": "Wait", "Seconds": 1, "Timestamp": "2026-01-01T00:00:00Z", "End": true},
      "G": {"Type": "Fail", "Error": "x", "ErrorPath": "$.e"},
      "H": {"Type": "Nope"}
    }})",
                 [](std::string_view r) { return r == "riposte:known"; });
  EXPECT_TRUE(has(d, "$.States.A.Resource", "unknown resource 'riposte:unknown'")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.A.Next", "does not exist: 'Nowhere'")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.A.Retry[0].ErrorEquals", "must be the last")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.A.Retry[1].BackoffRate", "greater than or equal to 1.0")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.B", "needs Next or \"End\": true")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.B", "not reachable")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.C.InputPath", "invalid JSONPath")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.C.ResultPath", "Reference Path")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.C.Bogus", "not supported")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.D.Choices[0].StringEquals", "must be a string")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.E", "exactly one of Seconds")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.G", "mutually exclusive")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.H.Type", "must be one of")) << dump(d);
}

TEST(Validate, StructuralErrors) {
  EXPECT_TRUE(has(diags("[]"), "$", "must be a JSON object"));
  EXPECT_TRUE(has(diags(R"({"States": {"A": {"Type": "Succeed"}}})"), "$.StartAt", "required"));
  EXPECT_TRUE(has(diags(R"({"StartAt": "X", "States": {"A": {"Type": "Succeed"}}})"), "$.StartAt",
                  "does not exist"));
  EXPECT_TRUE(has(diags(R"({"StartAt": "A", "States": {}})"), "$.States", "at least one"));
  auto d = diags(R"({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [
      {"Variable": "$.a", "Next": "A"},
      {"Variable": "$.a", "IsNull": true, "BooleanEquals": true, "Next": "A"},
      {"Not": {"Variable": "$.a", "IsNull": true, "Next": "A"}, "Next": "A"},
      {"Variable": "$.t", "TimestampEquals": "yesterday", "Next": "A"}]}}})");
  EXPECT_TRUE(has(d, "$.States.A.Choices[0]", "exactly one")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.A.Choices[1]", "only one")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.A.Choices[2].Not.Next", "only top-level")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.A.Choices[3].TimestampEquals", "RFC 3339")) << dump(d);
}

TEST(Validate, ParametersAndIntrinsicsAreCheckedAtLoad) {
  auto d = diags(R"X({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true,
      "Parameters": {"ok.$": "States.Format('{}', $.x)", "bad.$": "States.Nope()",
                     "nested": {"p.$": "$.a["}, "num.$": 5}}}})X");
  EXPECT_TRUE(has(d, "$.States.A.Parameters.bad.$", "unknown function")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.A.Parameters.nested.p.$", "invalid JSONPath")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.A.Parameters.num.$", "must be a string")) << dump(d);
  EXPECT_EQ(d.size(), 3u) << dump(d);
}

TEST(Validate, ErrorNamesAreTheSpecsOrTheHttpTasks) {
  auto d = diags(R"({"StartAt": "A", "States": {
      "A": {"Type": "Task", "Resource": "riposte:x", "End": true,
            "Retry": [{"ErrorEquals": ["States.Http.Socket", "States.Http.StatusCode.503"]}],
            "Catch": [{"ErrorEquals": ["States.Http.StatusCode.404", "States.Http.StatusCode.42",
                                       "States.Http.StatusCode.604", "States.Http.Other",
                                       "States.Nope"], "Next": "F"}]},
      "F": {"Type": "Fail"}}})",
                 [](std::string_view r) { return r == "riposte:x"; });
  EXPECT_FALSE(has(d, "$.States.A.Retry[0].ErrorEquals[0]", "unknown")) << dump(d);
  EXPECT_FALSE(has(d, "$.States.A.Retry[0].ErrorEquals[1]", "unknown")) << dump(d);
  EXPECT_FALSE(has(d, "$.States.A.Catch[0].ErrorEquals[0]", "unknown")) << dump(d);
  for (int i : {1, 2, 3, 4})
    EXPECT_TRUE(has(d, "$.States.A.Catch[0].ErrorEquals[" + std::to_string(i) + "]",
                    "unknown States error name"))
        << i << "\n"
        << dump(d);
  EXPECT_EQ(d.size(), 4u) << dump(d);
}

TEST(Validate, NestedBranchesAndMapsUseNestedPaths) {
  auto d = diags(R"({"StartAt": "P", "States": {
      "P": {"Type": "Parallel", "Next": "M", "Branches": [
              {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}]},
      "M": {"Type": "Map", "End": true, "MaxConcurrency": -1,
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task", "End": true}}}}}})");
  EXPECT_TRUE(has(d, "$.States.P.Branches[0].States.X.Next", "does not exist")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.M.MaxConcurrency", "non-negative")) << dump(d);
  EXPECT_TRUE(has(d, "$.States.M.ItemProcessor.States.I.Resource", "required")) << dump(d);
}

TEST(Validate, LoadJoinsDiagnostics) {
  auto m = StateMachine::load(js(R"({"StartAt": "A", "States": {"A": {"Type": "Pass"}}})"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, "InvalidDefinition");
  EXPECT_NE(m.error().message.find("$.States.A: a state needs Next"), std::string::npos)
      << m.error().message;
}

TEST(Validate, JsonataAndJsonPathFieldsDoNotMix) {
  auto d = diags(R"({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
      "A": {"Type": "Pass", "End": true, "InputPath": "$.x", "Output": "{% $states.input %}"}}})");
  EXPECT_TRUE(has(d, "$.States.A.InputPath", "JSONPath field")) << dump(d);
  auto d2 =
      diags(R"({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Output": 1}}})");
  EXPECT_TRUE(has(d2, "$.States.A.Output", "JSONata field")) << dump(d2);
}

}  // namespace
}  // namespace riposte::asl
