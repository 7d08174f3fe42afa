// States.IntrinsicFailure and States.BranchFailed: where they are produced and what they match.
#include <gtest/gtest.h>

#include <algorithm>

#include "asl_test_util.h"

namespace riposte::asl {
namespace {
using testing::js;
using testing::run;
using testing::ScriptedRunner;
using testing::types;

// A Task whose Parameters call States.ArrayGetItem($.a, 9), then the given Catch array.
std::string failingIntrinsic(std::string_view catchers) {
  return std::string(R"J({"StartAt": "T", "States": {
      "T": {"Type": "Task", "Resource": "echo", "Next": "Done",
            "Parameters": {"x.$": "States.ArrayGetItem($.a, 9)"}, "Catch": )J") +
         std::string(catchers) + R"J(},
      "Caught": {"Type": "Pass", "End": true},
      "Done": {"Type": "Succeed"}}})J";
}

TEST(Errors, IntrinsicFailureFailsTheExecution) {
  auto o = run(failingIntrinsic(R"([{"ErrorEquals": ["Other"], "Next": "Caught"}])"),
               R"({"a": [1, 2]})");
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "States.IntrinsicFailure");
  EXPECT_EQ(o.cause,
            "Invalid arguments in States.ArrayGetItem: the index 9 is out of bounds for an array "
            "of 2 items");
  ASSERT_FALSE(o.history.empty());
  EXPECT_EQ(o.history.back().type, "ExecutionFailed");
  EXPECT_EQ(o.history.back().details.at("error"), json::value("States.IntrinsicFailure"));
}

TEST(Errors, IntrinsicFailureIsCaughtByItsNameAndByStatesAll) {
  for (std::string names : {R"(["States.IntrinsicFailure"])", R"(["States.ALL"])"}) {
    auto o = run(failingIntrinsic(R"([{"ErrorEquals": )" + names +
                                  R"(, "ResultPath": "$.err", "Next": "Caught"}])"),
                 R"({"a": []})");
    ASSERT_EQ(o.status, Status::Succeeded) << names << ": " << o.error;
    EXPECT_EQ(o.output.at("err").at("Error"), json::value("States.IntrinsicFailure")) << names;
    EXPECT_EQ(o.output.at("err").at("Cause"),
              json::value("Invalid arguments in States.ArrayGetItem: the index 9 is out of bounds "
                          "for an array of 0 items"));
  }
  auto o =
      run(failingIntrinsic(R"([{"ErrorEquals": ["Custom"], "Next": "Caught"}])"), R"({"a": []})");
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "States.IntrinsicFailure");
}

TEST(Errors, IntrinsicFailureIsRetried) {
  auto o = run(R"J({"StartAt": "P", "States": {"P": {"Type": "Task", "Resource": "echo",
      "End": true, "Parameters": {"x.$": "States.StringToJson($.s)"},
      "Retry": [{"ErrorEquals": ["States.IntrinsicFailure"], "MaxAttempts": 2,
                 "IntervalSeconds": 1}]}}})J",
               R"({"s": "{not json"})");
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "States.IntrinsicFailure");
  EXPECT_TRUE(
      o.cause.starts_with("Invalid arguments in States.StringToJson: the string is not valid JSON"))
      << o.cause;
  // Entered once; no task ever scheduled (Parameters failed before TaskScheduled).
  auto t = types(o.history);
  EXPECT_EQ(std::count(t.begin(), t.end(), "TaskStateEntered"), 1);
  EXPECT_EQ(std::count(t.begin(), t.end(), "TaskScheduled"), 0);
  // The retrier matched: two retries, waiting 1 s then 2 s on the ManualClock.
  EXPECT_EQ(o.history.back().timestamp_ms - o.history.front().timestamp_ms, 3000);
}

TEST(Errors, IntrinsicFailureInEveryPayloadTemplate) {
  // ResultSelector, ItemSelector, Assign and a Fail state's CausePath all report it.
  auto rs = run(R"J({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "echo",
      "End": true, "ResultSelector": {"n.$": "States.MathAdd($.v, 1)"}}}})J",
                R"({"v": "one"})");
  EXPECT_EQ(rs.error, "States.IntrinsicFailure");
  EXPECT_EQ(rs.cause, "Invalid arguments in States.MathAdd: expected integers, got \"one\" and 1");
  auto is = run(R"J({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
      "ItemSelector": {"d.$": "States.Base64Decode($$.Map.Item.Value)"},
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}})J",
                R"(["YQ==", "%%%"])");
  EXPECT_EQ(is.error, "States.IntrinsicFailure");
  EXPECT_EQ(is.cause,
            "Invalid arguments in States.Base64Decode: the input is not valid base64: \"%%%\"");
  auto as = run(R"J({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
      "Assign": {"n.$": "States.ArrayLength($.v)"}}}})J",
                R"({"v": 3})");
  EXPECT_EQ(as.error, "States.IntrinsicFailure");
  EXPECT_EQ(as.cause, "Invalid arguments in States.ArrayLength: expected an array, got a number 3");
  auto fs = run(R"J({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E",
      "CausePath": "States.ArrayGetItem($.a, 5)"}}})J",
                R"({"a": ["x"]})");
  EXPECT_EQ(fs.error, "States.IntrinsicFailure");
  EXPECT_EQ(fs.cause,
            "Invalid arguments in States.ArrayGetItem: the index 5 is out of bounds for an array "
            "of 1 items");
}

TEST(Errors, MissingPathInAnIntrinsicIsStillRuntime) {
  // Not the function failing: its path argument matched nothing (States.Runtime, which
  // States.ALL does not catch).
  auto o = run(failingIntrinsic(R"([{"ErrorEquals": ["States.ALL"], "Next": "Caught"}])"),
               R"({"b": 1})");
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "States.Runtime");
}

// A Parallel with a steady branch and one that fails with `error` (a Fail state with cause
// "the cause"), plus `handling` (its Retry/Catch fields).
std::string failingBranch(std::string_view error, std::string_view handling) {
  return std::string(R"({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "Done",
      "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": ")") +
         std::string(error) + R"(", "Cause": "the cause"}}}], )" + std::string(handling) +
         R"(},
      "Caught": {"Type": "Pass", "End": true},
      "Done": {"Type": "Succeed"}}})";
}

TEST(Errors, BranchFailedCatchesAnyBranchFailureAndKeepsItsError) {
  auto o = run(failingBranch("Lookup.NotFound", R"("Catch": [{
      "ErrorEquals": ["States.BranchFailed"], "ResultPath": "$.err", "Next": "Caught"}])"),
               R"({"in": 1})");
  ASSERT_EQ(o.status, Status::Succeeded) << o.error;
  // The error output is the branch's error, as Step Functions reports it.
  EXPECT_EQ(o.output,
            js(R"({"in": 1, "err": {"Error": "Lookup.NotFound", "Cause": "the cause"}})"));
  auto t = types(o.history);
  EXPECT_NE(std::find(t.begin(), t.end(), "ParallelStateFailed"), t.end());
}

TEST(Errors, BranchErrorNameStillMatches) {
  // The conformance cases (parallel_state_catch, parallel_state_retry) catch and retry a
  // Parallel by the branch's own error name; that keeps working.
  auto o = run(failingBranch("Lookup.NotFound", R"("Catch": [{
      "ErrorEquals": ["Lookup.NotFound"], "Next": "Caught"}])"),
               "{}");
  ASSERT_EQ(o.status, Status::Succeeded) << o.error;
  EXPECT_EQ(o.output, js(R"({"Error": "Lookup.NotFound", "Cause": "the cause"})"));
}

TEST(Errors, BranchFailedCatchesStatesErrorsFromBranches) {
  // A branch ending in a States.* error (here an intrinsic failure inside the branch).
  auto o = run(R"J({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
      "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "Caught"}],
      "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true,
          "Parameters": {"v.$": "States.ArrayGetItem($.a, 3)"}}}}]},
      "Caught": {"Type": "Pass", "End": true}}})J",
               R"({"a": []})");
  ASSERT_EQ(o.status, Status::Succeeded) << o.error;
  EXPECT_EQ(o.output.at("Error"), json::value("States.IntrinsicFailure"));
}

TEST(Errors, UncaughtBranchFailureReportsTheBranchError) {
  auto o = run(failingBranch("Lookup.NotFound",
                             R"("Catch": [{"ErrorEquals": ["Other"], "Next": "Caught"}])"),
               "{}");
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "Lookup.NotFound");
  EXPECT_EQ(o.cause, "the cause");
}

TEST(Errors, BranchFailedRetriesTheParallel) {
  ScriptedRunner r;
  int calls = 0;
  r.fns["flaky"] = [&](const TaskRequest&) {
    return ++calls < 3 ? ScriptedRunner::err("Transient", "try again")
                       : ScriptedRunner::ok(json::value("ok"));
  };
  auto o = run(R"({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
      "Retry": [{"ErrorEquals": ["States.BranchFailed"], "IntervalSeconds": 1, "MaxAttempts": 2}],
      "Branches": [{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "flaky",
                                                     "End": true}}}]}}})",
               "{}", &r);
  ASSERT_EQ(o.status, Status::Succeeded) << o.error;
  EXPECT_EQ(o.output, js(R"(["ok"])"));
  EXPECT_EQ(calls, 3);
}

TEST(Errors, BranchFailedDoesNotCatchTerminalErrors) {
  // States.Runtime in a branch stays uncatchable, as it is for States.ALL.
  auto o = run(R"({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
      "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "Caught"}],
      "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "InputPath": "$.nope",
                                                     "End": true}}}]},
      "Caught": {"Type": "Pass", "End": true}}})",
               "{}");
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "States.Runtime");
}

TEST(Errors, BranchFailedIsNotAMapIterationError) {
  // The spec names it for Parallel branches only.
  auto o = run(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
      "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "Caught"}],
      "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Item.Bad"}}}},
      "Caught": {"Type": "Pass", "End": true}}})",
               "[1]");
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "Item.Bad");
}

TEST(Errors, NestedParallelFailureIsABranchFailureOfTheOuterParallel) {
  auto o = run(R"({"StartAt": "Outer", "States": {"Outer": {"Type": "Parallel", "End": true,
      "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "Caught"}],
      "Branches": [{"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": true,
          "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Deep",
                                                         "Cause": "down"}}}]}}}]},
      "Caught": {"Type": "Pass", "End": true}}})",
               "{}");
  ASSERT_EQ(o.status, Status::Succeeded) << o.error;
  EXPECT_EQ(o.output, js(R"({"Error": "Deep", "Cause": "down"})"));
}

}  // namespace
}  // namespace riposte::asl
