// Parallel / Map semantics, history shape, retries of compound states.
#include <gtest/gtest.h>

#include "asl_test_util.h"

namespace riposte::asl {
namespace {
using testing::js;
using testing::load;
using testing::run;
using testing::ScriptedRunner;
using testing::types;

TEST(Flow, ParallelRetryRestartsAllBranches) {
  ScriptedRunner r;
  int calls = 0;
  r.fns["flaky"] = [&](const TaskRequest&) {
    return ++calls == 1 ? ScriptedRunner::err("Transient") : ScriptedRunner::ok(json::value("ok"));
  };
  auto o = run(R"({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
      "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1}],
      "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "steady", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "flaky", "End": true}}}]}}})",
               R"({"x": 1})", &r);
  ASSERT_EQ(o.status, Status::Succeeded) << o.error;
  EXPECT_EQ(o.output, js(R"([{"x": 1}, "ok"])"));
  EXPECT_EQ(r.calls.size(), 4u);  // both branches ran twice
}

TEST(Flow, MapHistoryAndConcurrencyPath) {
  ScriptedRunner r;
  ManualClock clock;
  auto m = load(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs",
      "MaxConcurrencyPath": "$.mc", "ItemProcessor": {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "End": true}}}, "End": true}}})");
  auto o = runToCompletion(m, js(R"({"xs": [1, 2], "mc": 1})"), r, clock);
  ASSERT_EQ(o.status, Status::Succeeded);
  EXPECT_EQ(types(o.history), (std::vector<std::string>{
                                  "ExecutionStarted", "MapStateEntered", "MapStateStarted",
                                  "MapIterationStarted", "PassStateEntered", "PassStateExited",
                                  "MapIterationSucceeded", "MapIterationStarted",
                                  "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
                                  "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(o.history[3].details.at("index"), json::value(0));
  auto bad = runToCompletion(m, js(R"({"xs": [1], "mc": -1})"), r, clock);
  EXPECT_EQ(bad.status, Status::Failed);
  EXPECT_EQ(bad.error, "States.Runtime");
}

TEST(Flow, MapToleratedPercentageFromPath) {
  const char* def = R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
      "ItemsPath": "$.xs", "ToleratedFailurePercentagePath": "$.pct",
      "ItemProcessor": {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "BooleanEquals": false, "Next": "F"}],
              "Default": "OK"},
        "F": {"Type": "Fail", "Error": "No"},
        "OK": {"Type": "Succeed"}}}}}})";
  auto ok = run(def, R"({"xs": [true, false, true, true], "pct": 25})");
  EXPECT_EQ(ok.status, Status::Succeeded) << ok.error;
  auto over = run(def, R"({"xs": [true, false, false, true], "pct": 25})");
  EXPECT_EQ(over.error, "States.ExceedToleratedFailureThreshold");
  auto badpct = run(def, R"({"xs": [true], "pct": 101})");
  EXPECT_EQ(badpct.error, "States.Runtime");
}

TEST(Flow, MapCatchAndResultSelector) {
  auto o = run(R"X({"StartAt": "M", "States": {"M": {"Type": "Map", "Next": "Done",
      "ResultSelector": {"n.$": "States.ArrayLength($)"}, "ResultPath": "$.r",
      "Catch": [{"ErrorEquals": ["Item.Bad"], "ResultPath": "$.err", "Next": "Done"}],
      "ItemProcessor": {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": 9, "Next": "F"}],
              "Default": "OK"},
        "F": {"Type": "Fail", "Error": "Item.Bad", "Cause": "too big"},
        "OK": {"Type": "Pass", "End": true}}}, "ItemsPath": "$.xs"},
      "Done": {"Type": "Succeed"}}})X",
               R"({"xs": [1, 2, 3]})");
  EXPECT_EQ(o.output, js(R"({"xs": [1, 2, 3], "r": {"n": 3}})"));
  auto c = run(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "Next": "Done",
      "Catch": [{"ErrorEquals": ["Item.Bad"], "ResultPath": "$.err", "Next": "Done"}],
      "ItemProcessor": {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": 9, "Next": "F"}],
              "Default": "OK"},
        "F": {"Type": "Fail", "Error": "Item.Bad", "Cause": "too big"},
        "OK": {"Type": "Pass", "End": true}}}, "ItemsPath": "$.xs"},
      "Done": {"Type": "Succeed"}}})",
               R"({"xs": [1, 20, 3]})");
  EXPECT_EQ(c.output,
            js(R"({"xs": [1, 20, 3], "err": {"Error": "Item.Bad", "Cause": "too big"}})"));
}

TEST(Flow, HeartbeatTimeoutIsATimeout) {
  ScriptedRunner r;
  r.fns["hb"] = [](const TaskRequest&) { return ScriptedRunner::err("States.HeartbeatTimeout"); };
  auto o = run(R"({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "hb",
      "HeartbeatSeconds": 2, "TimeoutSeconds": 10, "End": true,
      "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Wrong"},
                {"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Ok"}]},
      "Wrong": {"Type": "Fail"}, "Ok": {"Type": "Succeed"}}})",
               "{}", &r);
  EXPECT_EQ(o.status, Status::Succeeded);
  EXPECT_EQ(r.calls[0].heartbeat_seconds, 2);
  EXPECT_EQ(types(o.history)[4], "TaskTimedOut");
}

TEST(Flow, RunnerExceptionsBecomeTaskFailed) {
  ScriptedRunner r;
  r.fns["throws"] = [](const TaskRequest&) -> TaskResult { throw std::runtime_error("kaput"); };
  auto o = run(
      R"({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "throws", "End": true}}})",
      "{}", &r);
  EXPECT_EQ(o.error, "States.TaskFailed");
  EXPECT_EQ(o.cause, "kaput");
}

TEST(Flow, ChoiceAssignAndVariablesInBranches) {
  auto o = run(R"({"StartAt": "C", "States": {
      "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "P",
            "Assign": {"picked": "one"}}], "Default": "P"},
      "P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "X", "States": {"X": {"Type": "Pass", "Parameters": {"v.$": "$picked"}, "End": true}}}]}}})",
               R"({"a": 1})");
  ASSERT_EQ(o.status, Status::Succeeded) << o.cause;
  EXPECT_EQ(o.output, js(R"([{"v": "one"}])"));
}

}  // namespace
}  // namespace riposte::asl

namespace riposte::asl {
namespace {

TEST(Flow, OutputsOver256KiBAreDataLimitExceeded) {
  std::string big(300 * 1024, 'x');
  json::object in;
  in["blob"] = big;
  testing::ScriptedRunner r;
  ManualClock clock;
  auto m = testing::load(R"({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Q"},
      "Q": {"Type": "Succeed"}}})");
  auto o = runToCompletion(m, json::value(in), r, clock);
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "States.DataLimitExceeded");
}

}  // namespace
}  // namespace riposte::asl
