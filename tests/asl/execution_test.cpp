#include <gtest/gtest.h>

#include "asl_test_util.h"

namespace riposte::asl {
namespace {
using testing::js;
using testing::load;
using testing::run;
using testing::ScriptedRunner;
using testing::types;

TEST(Execution, PassDataFlow) {
  auto o = run(R"({"StartAt": "A", "States": {
      "A": {"Type": "Pass", "InputPath": "$.in", "Parameters": {"x.$": "$.v", "lit": [1, {"k.$": "$.v"}]},
            "ResultPath": "$.res", "OutputPath": "$.res", "Next": "B"},
      "B": {"Type": "Pass", "Result": {"r": 1}, "ResultPath": "$.added", "Next": "C"},
      "C": {"Type": "Pass", "ResultPath": null, "Result": "ignored", "Next": "D"},
      "D": {"Type": "Pass", "InputPath": null, "End": true, "ResultPath": "$.z", "Result": 2}}})",
               R"({"in": {"v": 5}})");
  ASSERT_EQ(o.status, Status::Succeeded) << o.error << o.cause;
  // ResultPath applies to the raw state input, whatever InputPath selected.
  EXPECT_EQ(o.output, js(R"({"x": 5, "lit": [1, {"k": 5}], "added": {"r": 1}, "z": 2})"));
  auto o2 = run(R"({"StartAt": "A", "States": {
      "A": {"Type": "Pass", "InputPath": "$.in", "Parameters": {"x.$": "$.v", "lit": [1, {"k.$": "$.v"}]},
            "ResultPath": "$.res", "End": true}}})",
                R"({"in": {"v": 5}})");
  EXPECT_EQ(o2.output, js(R"({"in": {"v": 5}, "res": {"x": 5, "lit": [1, {"k": 5}]}})"));
  auto o3 =
      run(R"({"StartAt": "A", "States": {"A": {"Type": "Pass", "OutputPath": null, "End": true}}})",
          R"({"a": 1})");
  EXPECT_EQ(o3.output, js("{}"));
}

TEST(Execution, ContextObjectAndVariables) {
  auto m = load(R"X({"StartAt": "A", "States": {
      "A": {"Type": "Pass", "Assign": {"saved.$": "$.v", "const": "c"}, "Next": "B"},
      "B": {"Type": "Pass", "End": true, "Parameters": {
        "name.$": "$$.State.Name", "input.$": "$$.Execution.Input", "exec.$": "$$.Execution.Name",
        "machine.$": "$$.StateMachine.Name", "saved.$": "$saved", "c.$": "$const",
        "fmt.$": "States.Format('{}-{}', $saved, $$.Execution.Name)"}}}})X");
  ScriptedRunner r;
  ManualClock clock;
  ExecutionInfo info;
  info.execution_name = "run-1";
  info.state_machine_name = "pb";
  auto o = runToCompletion(m, js(R"({"v": 9})"), r, clock, info);
  ASSERT_EQ(o.status, Status::Succeeded) << o.cause;
  EXPECT_EQ(o.output, js(R"({"name": "B", "input": {"v": 9}, "exec": "run-1", "machine": "pb",
                             "saved": 9, "c": "c", "fmt": "9-run-1"})"));
}

TEST(Execution, PathErrorsAreStatesRuntime) {
  auto o = run(
      R"({"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.nope", "End": true}}})",
      "{}");
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "States.Runtime");
  auto o2 =
      run(R"({"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"a.$": "$.nope"},
      "End": true}}})",
          "{}");
  EXPECT_EQ(o2.error, "States.Runtime");
  EXPECT_NE(o2.cause.find("a.$"), std::string::npos) << o2.cause;
  auto o3 = run(R"({"StartAt": "A", "States": {"A": {"Type": "Pass", "ResultPath": "$.s.x",
      "End": true}}})",
                R"({"s": "str"})");
  EXPECT_EQ(o3.error, "States.ResultPathMatchFailure");
}

struct ChoiceCase {
  const char* rule;
  const char* input;
  bool expect;
};

TEST(Execution, ChoiceOperators) {
  const ChoiceCase cases[] = {
      {R"("Variable": "$.s", "StringEquals": "abc")", R"({"s": "abc"})", true},
      {R"("Variable": "$.s", "StringEquals": "abc")", R"({"s": 1})", false},
      {R"("Variable": "$.s", "StringLessThan": "b")", R"({"s": "a"})", true},
      {R"("Variable": "$.s", "StringGreaterThan": "b")", R"({"s": "a"})", false},
      {R"("Variable": "$.s", "StringLessThanEquals": "a")", R"({"s": "a"})", true},
      {R"("Variable": "$.s", "StringGreaterThanEquals": "b")", R"({"s": "c"})", true},
      {R"("Variable": "$.s", "StringEqualsPath": "$.t")", R"({"s": "x", "t": "x"})", true},
      {R"("Variable": "$.s", "StringMatches": "log-*.txt")", R"({"s": "log-2024.txt"})", true},
      {R"("Variable": "$.s", "StringMatches": "a\\*b")", R"({"s": "a*b"})", true},
      {R"("Variable": "$.s", "StringMatches": "a\\*b")", R"({"s": "axb"})", false},
      {R"("Variable": "$.n", "NumericEquals": 3)", R"({"n": 3.0})", true},
      {R"("Variable": "$.n", "NumericLessThan": 3)", R"({"n": 2.5})", true},
      {R"("Variable": "$.n", "NumericGreaterThan": 3)", R"({"n": 3})", false},
      {R"("Variable": "$.n", "NumericLessThanEquals": 3)", R"({"n": 3})", true},
      {R"("Variable": "$.n", "NumericGreaterThanEquals": 3)", R"({"n": 4})", true},
      {R"("Variable": "$.n", "NumericGreaterThanPath": "$.m")", R"({"n": 4, "m": 3})", true},
      {R"("Variable": "$.n", "NumericEquals": 3)", R"({"n": "3"})", false},
      {R"("Variable": "$.b", "BooleanEquals": false)", R"({"b": false})", true},
      {R"("Variable": "$.b", "BooleanEqualsPath": "$.c")", R"({"b": true, "c": false})", false},
      {R"("Variable": "$.t", "TimestampEquals": "2026-01-01T00:00:00Z")",
       R"({"t": "2026-01-01T00:00:00.000Z"})", true},
      {R"("Variable": "$.t", "TimestampLessThan": "2026-01-01T00:00:00Z")",
       R"({"t": "2025-12-31T23:59:59Z"})", true},
      {R"("Variable": "$.t", "TimestampGreaterThanEquals": "2026-01-01T00:00:00Z")",
       R"({"t": "not a time"})", false},
      {R"("Variable": "$.t", "TimestampLessThanEqualsPath": "$.u")",
       R"({"t": "2026-01-01T00:00:00Z", "u": "2026-01-01T01:00:00+01:00"})", true},
      {R"("Variable": "$.x", "IsNull": true)", R"({"x": null})", true},
      {R"("Variable": "$.x", "IsPresent": false)", R"({})", true},
      {R"("Variable": "$.x", "IsPresent": true)", R"({"x": null})", true},
      {R"("Variable": "$.x", "IsNumeric": true)", R"({"x": "1"})", false},
      {R"("Variable": "$.x", "IsString": true)", R"({"x": "1"})", true},
      {R"("Variable": "$.x", "IsBoolean": false)", R"({"x": 1})", true},
      {R"("Variable": "$.x", "IsTimestamp": true)", R"({"x": "2026-11-23T09:00:00Z"})", true},
      {R"("And": [{"Variable": "$.a", "NumericEquals": 1}, {"Variable": "$.b", "NumericEquals": 2}])",
       R"({"a": 1, "b": 2})", true},
      {R"("Or": [{"Variable": "$.a", "NumericEquals": 5}, {"Variable": "$.b", "NumericEquals": 5}])",
       R"({"a": 1, "b": 2})", false},
      {R"("Not": {"Variable": "$.a", "StringEquals": "x"})", R"({"a": "y"})", true},
  };
  for (const auto& c : cases) {
    std::string def =
        std::string(R"({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{)") +
        c.rule + R"(, "Next": "Yes"}], "Default": "No"},
        "Yes": {"Type": "Pass", "Result": "yes", "End": true},
        "No": {"Type": "Pass", "Result": "no", "End": true}}})";
    auto o = run(def, c.input);
    ASSERT_EQ(o.status, Status::Succeeded) << c.rule << " " << o.error << " " << o.cause;
    EXPECT_EQ(o.output, json::value(c.expect ? "yes" : "no")) << c.rule << " on " << c.input;
  }
}

TEST(Execution, ChoiceErrors) {
  auto o = run(R"({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
      {"Variable": "$.a", "NumericEquals": 1, "Next": "D"}]}, "D": {"Type": "Succeed"}}})",
               R"({"a": 2})");
  EXPECT_EQ(o.error, "States.NoChoiceMatched");
  auto o2 = run(R"({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
      {"Variable": "$.missing", "NumericEquals": 1, "Next": "D"}], "Default": "D"}, "D": {"Type": "Succeed"}}})",
                R"({"a": 2})");
  EXPECT_EQ(o2.error, "States.Runtime");
}

TEST(Execution, WaitEndsTheStepWithAWakeTime) {
  auto m = load(R"({"StartAt": "W", "States": {
      "W": {"Type": "Wait", "Seconds": 30, "Next": "W2"},
      "W2": {"Type": "Wait", "TimestampPath": "$.at", "Next": "W3"},
      "W3": {"Type": "Wait", "SecondsPath": "$.bad", "End": true}}})");
  ScriptedRunner r;
  ManualClock clock(1'000'000);
  Execution x(m, js(R"({"at": "1970-01-01T00:20:00Z", "bad": "x"})"), {});
  std::vector<HistoryEvent> h;
  x.step(r, clock, h);
  EXPECT_EQ(x.status(), Status::Running);
  EXPECT_EQ(x.wakeAtMs(), 1'030'000);
  clock.set(1'030'000);
  x.step(r, clock, h);  // exits W
  x.step(r, clock, h);  // enters W2 (until 1,200,000)
  EXPECT_EQ(x.wakeAtMs(), 1'200'000);
  clock.set(1'200'000);
  x.step(r, clock, h);
  x.step(r, clock, h);
  EXPECT_EQ(x.status(), Status::Failed);
  EXPECT_EQ(x.error(), "States.Runtime");
}

TEST(Execution, TaskStepsStopAfterTaskScheduled) {
  auto m = load(R"({"StartAt": "T", "States": {
      "T": {"Type": "Task", "Resource": "riposte:act", "Parameters": {"id.$": "$.id"},
            "TimeoutSecondsPath": "$.to", "HeartbeatSeconds": 5,
            "ResultSelector": {"code.$": "$.code"}, "ResultPath": "$.result", "End": true}}})");
  ScriptedRunner r;
  r.fns["riposte:act"] = [](const TaskRequest&) {
    return ScriptedRunner::ok(js(R"({"code": 200, "x": 1})"));
  };
  ManualClock clock;
  Execution x(m, js(R"({"id": "i-1", "to": 30})"), {});
  std::vector<HistoryEvent> h;
  x.step(r, clock, h);
  EXPECT_EQ(types(h),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled"}));
  EXPECT_TRUE(r.calls.empty());
  x.step(r, clock, h);
  ASSERT_EQ(r.calls.size(), 1u);
  const TaskRequest& req = r.calls[0];
  EXPECT_EQ(req.resource, "riposte:act");
  EXPECT_EQ(req.parameters, js(R"({"id": "i-1"})"));
  EXPECT_EQ(req.state_name, "T");
  EXPECT_EQ(req.timeout_seconds, 30);
  EXPECT_EQ(req.heartbeat_seconds, 5);
  EXPECT_EQ(req.attempt, 0);
  EXPECT_EQ(*findPath(req.context, "State.Name"), json::value("T"));
  EXPECT_EQ(x.status(), Status::Succeeded);
  EXPECT_EQ(x.output(), js(R"({"id": "i-1", "to": 30, "result": {"code": 200}})"));
  for (std::size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h[i].id, static_cast<int64_t>(i + 1));
    EXPECT_EQ(h[i].previous_id, static_cast<int64_t>(i));
  }
  EXPECT_EQ(h.back().type, "ExecutionSucceeded");
}

TEST(Execution, RetryBackoffMaxDelayAndAttempts) {
  auto m = load(R"({"StartAt": "T", "States": {
      "T": {"Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["Other"], "MaxAttempts": 9},
                      {"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 3,
                       "MaxAttempts": 3, "MaxDelaySeconds": 10}]}}})");
  ScriptedRunner r;
  int n = 0;
  r.fns["r"] = [&](const TaskRequest&) {
    return ++n <= 3 ? ScriptedRunner::err("Flaky") : ScriptedRunner::ok(json::value("done"));
  };
  ManualClock clock(0);
  Execution x(m, js("{}"), {});
  std::vector<HistoryEvent> h;
  std::vector<int64_t> waits;
  while (x.status() == Status::Running) {
    x.step(r, clock, h);
    if (x.wakeAtMs() > clock.nowMillis()) {
      waits.push_back(x.wakeAtMs() - clock.nowMillis());
      clock.set(x.wakeAtMs());
    }
  }
  EXPECT_EQ(x.status(), Status::Succeeded);
  EXPECT_EQ(waits, (std::vector<int64_t>{2000, 6000, 10000}));  // 2, 6, 18 capped at 10
  ASSERT_EQ(r.calls.size(), 4u);
  EXPECT_EQ(r.calls[3].attempt, 3);
  EXPECT_EQ(*findPath(r.calls[3].context, "State.RetryCount"), json::value(3));
}

TEST(Execution, RetryExhaustedThenCatchInOrder) {
  ScriptedRunner r;
  r.fns["r"] = [](const TaskRequest&) { return ScriptedRunner::err("Boom", "it broke"); };
  auto o = run(R"({"StartAt": "T", "States": {
      "T": {"Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 1}],
            "Catch": [{"ErrorEquals": ["Other"], "Next": "Wrong"},
                      {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.err", "Next": "Handled"},
                      {"ErrorEquals": ["States.ALL"], "Next": "Wrong"}]},
      "Wrong": {"Type": "Fail", "Error": "Wrong"},
      "Handled": {"Type": "Pass", "End": true}}})",
               R"({"k": 1})", &r);
  ASSERT_EQ(o.status, Status::Succeeded) << o.error;
  EXPECT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(o.output, js(R"({"k": 1, "err": {"Error": "Boom", "Cause": "it broke"}})"));
}

TEST(Execution, MaxAttemptsZeroAndTimeoutNotMatchedByTaskFailed) {
  ScriptedRunner r;
  r.fns["r"] = [](const TaskRequest&) { return ScriptedRunner::err("States.Timeout", "slow"); };
  auto o = run(R"({"StartAt": "T", "States": {
      "T": {"Type": "Task", "Resource": "r", "End": true, "TimeoutSeconds": 1,
            "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 0}],
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "C"}]},
      "C": {"Type": "Succeed"}}})",
               "{}", &r);
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "States.Timeout");
  EXPECT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].timeout_seconds, 1);
  EXPECT_NE(std::find(types(o.history).begin(), types(o.history).end(), "TaskTimedOut"),
            types(o.history).end());
}

TEST(Execution, StatesAllDoesNotCatchRuntimeErrors) {
  auto o = run(R"({"StartAt": "T", "States": {
      "T": {"Type": "Task", "Resource": "r", "InputPath": "$.missing", "End": true,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
      "C": {"Type": "Succeed"}}})",
               "{}");
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "States.Runtime");
}

TEST(Execution, ResultPathFailureIsCatchable) {
  auto o = run(R"({"StartAt": "T", "States": {
      "T": {"Type": "Task", "Resource": "r", "ResultPath": "$.s.x", "End": true,
            "Catch": [{"ErrorEquals": ["States.ResultPathMatchFailure"], "Next": "C", "ResultPath": "$.e"}]},
      "C": {"Type": "Pass", "OutputPath": "$.e.Error", "End": true}}})",
               R"({"s": 1})");
  ASSERT_EQ(o.status, Status::Succeeded) << o.error << o.cause;
  EXPECT_EQ(o.output, json::value("States.ResultPathMatchFailure"));
}

TEST(Execution, MachineTimeout) {
  auto m = load(R"({"StartAt": "W", "TimeoutSeconds": 5, "States": {
      "W": {"Type": "Wait", "Seconds": 60, "End": true}}})");
  ScriptedRunner r;
  ManualClock clock(0);
  auto o = runToCompletion(m, js("{}"), r, clock);
  EXPECT_EQ(o.status, Status::TimedOut);
  EXPECT_EQ(o.error, "States.Timeout");
  EXPECT_EQ(clock.nowMillis(), 5000);
  EXPECT_EQ(o.history.back().type, "ExecutionTimedOut");
}

TEST(Execution, FailStatePathsAndIntrinsics) {
  auto o = run(R"X({"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.e",
      "CausePath": "States.Format('bad {}', $.id)"}}})X",
               R"({"e": "Custom.Error", "id": 7})");
  EXPECT_EQ(o.status, Status::Failed);
  EXPECT_EQ(o.error, "Custom.Error");
  EXPECT_EQ(o.cause, "bad 7");
  EXPECT_EQ(types(o.history),
            (std::vector<std::string>{"ExecutionStarted", "FailStateEntered", "ExecutionFailed"}));
}

TEST(Execution, ParallelOrderFailureAndCatch) {
  auto o = run(R"({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
      "ResultSelector": {"first.$": "$[0]", "second.$": "$[1]"},
      "Branches": [
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "Next": "A"},
                                      "A": {"Type": "Pass", "Result": "slow", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "InputPath": "$.v", "End": true}}}]}}})",
               R"({"v": 3})");
  ASSERT_EQ(o.status, Status::Succeeded) << o.error << o.cause;
  EXPECT_EQ(o.output, js(R"({"first": "slow", "second": 3})"));
  auto f = run(R"({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "S",
      "Catch": [{"ErrorEquals": ["Nope"], "Next": "S"}],
      "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": "BranchErr", "Cause": "c"}}}]},
      "S": {"Type": "Succeed"}}})",
               "{}");
  EXPECT_EQ(f.status, Status::Failed);
  EXPECT_EQ(f.error, "BranchErr");
  EXPECT_EQ(f.cause, "c");
}

TEST(Execution, MapSelectorConcurrencyAndOrder) {
  auto m = load(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs",
      "MaxConcurrency": 2, "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value",
      "k.$": "$.k"}, "ItemProcessor": {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "r", "End": true}}}, "ResultPath": "$.out", "End": true}}})");
  ScriptedRunner r;
  int active = 0, max_active = 0;
  (void)active;
  r.fns["r"] = [&](const TaskRequest& q) { return ScriptedRunner::ok(q.parameters); };
  ManualClock clock;
  Execution x(m, js(R"({"xs": ["a", "b", "c", "d", "e"], "k": 0})"), {});
  std::vector<HistoryEvent> h;
  while (x.status() == Status::Running) {
    x.step(r, clock, h);
    // Count iterations started but not finished.
    int open = 0;
    for (const auto& e : h) {
      if (e.type == "MapIterationStarted") ++open;
      if (e.type == "MapIterationSucceeded") --open;
    }
    max_active = std::max(max_active, open);
  }
  ASSERT_EQ(x.status(), Status::Succeeded) << x.error() << x.cause();
  EXPECT_EQ(max_active, 2);
  EXPECT_EQ(*findPath(x.output(), "out"),
            js(R"([{"i":0,"v":"a","k":0},{"i":1,"v":"b","k":0},{"i":2,"v":"c","k":0},
                   {"i":3,"v":"d","k":0},{"i":4,"v":"e","k":0}])"));
}

TEST(Execution, MapToleratedFailures) {
  const char* def = R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
      "ToleratedFailureCount": %d,
      "ItemProcessor": {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": 2, "Next": "F"}],
              "Default": "OK"},
        "F": {"Type": "Fail", "Error": "Big", "Cause": "too big"},
        "OK": {"Type": "Pass", "End": true}}}}}})";
  char buf[1024];
  std::snprintf(buf, sizeof buf, def, 2);
  auto o = run(buf, "[1, 2, 3, 4]");
  ASSERT_EQ(o.status, Status::Succeeded) << o.error;
  EXPECT_EQ(
      o.output,
      js(R"([1, 2, {"Error": "Big", "Cause": "too big"}, {"Error": "Big", "Cause": "too big"}])"));
  std::snprintf(buf, sizeof buf, def, 1);
  auto f = run(buf, "[1, 2, 3, 4]");
  EXPECT_EQ(f.status, Status::Failed);
  EXPECT_EQ(f.error, "States.ExceedToleratedFailureThreshold");
  auto plain = run(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
      "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E1"}}}}}})",
                   "[1]");
  EXPECT_EQ(plain.error, "E1");
  auto empty = run(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
      "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E1"}}}}}})",
                   "[]");
  EXPECT_EQ(empty.status, Status::Succeeded);
  EXPECT_EQ(empty.output, js("[]"));
  auto notarray = run(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}})",
                      R"({"a":1})");
  EXPECT_EQ(notarray.error, "States.Runtime");
}

TEST(Execution, DeepJsonataNestingIsALoadError) {
  std::string expr = "{% " + std::string(100000, '-') + "1 %}";
  json::object pass;
  pass["Type"] = "Pass";
  pass["End"] = true;
  pass["Output"] = expr;
  json::object states;
  states["A"] = pass;
  json::object def;
  def["QueryLanguage"] = "JSONata";
  def["StartAt"] = "A";
  def["States"] = states;
  auto m = StateMachine::load(def);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("nested too deeply"), std::string::npos)
      << m.error().message.substr(0, 300);
}

TEST(Execution, JsonataStates) {
  auto o = run(R"({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
      "A": {"Type": "Pass", "Assign": {"n": "{% $states.input.n * 2 %}"}, "Output": {"x": "{% $states.input.n + 1 %}"}, "Next": "C"},
      "C": {"Type": "Choice", "Choices": [{"Condition": "{% $n = 4 and $states.input.x > 2 %}", "Next": "T"}], "Default": "F"},
      "T": {"Type": "Task", "Resource": "r", "Arguments": {"v": "{% $n & '-' & $string($states.input.x) %}"},
            "Output": "{% $states.result.v %}", "End": true},
      "F": {"Type": "Fail", "Error": "{% 'E' & $string($n) %}"}}})",
               R"({"n": 2})");
  ASSERT_EQ(o.status, Status::Succeeded) << o.error << o.cause;
  EXPECT_EQ(o.output, json::value("4-3"));
}

}  // namespace
}  // namespace riposte::asl
