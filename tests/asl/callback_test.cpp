// `.waitForTaskToken` Tasks: validation, the token in $$.Task.Token, the callback phase and
// its deadlines, SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat and their Step
// Functions error names, Parallel and Map with several tokens open, snapshots while waiting.
//
// Event shapes follow AWS recordings kept by LocalStack (tests/aws/services/stepfunctions/v2/
// callback/test_callback.snapshot.json, timeouts/test_heartbeats.snapshot.json, recorded
// against Step Functions): TaskScheduled, TaskStarted, TaskSubmitted, then TaskSucceeded /
// TaskFailed / TaskTimedOut; a missed heartbeat and a TimeoutSeconds expiry are both
// TaskTimedOut "States.Timeout" without a cause; SendTaskFailure without error or cause gives
// {"Error": null, "Cause": null} to a catcher.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "asl_test_util.h"

namespace riposte::asl {
namespace {
using testing::js;
using testing::ScriptedRunner;
using testing::types;

// Deterministic tokens ("tok-1", "tok-2", …); a callback Task's start answers
// {"MessageId": "m-<n>"}; "fail-start" fails to start; other resources echo.
class TokenRunner final : public TaskRunner {
 public:
  std::vector<TaskRequest> calls, token_requests;
  int tokens = 0;
  TaskResult run(const TaskRequest& req) override {
    calls.push_back(req);
    if (req.resource == "fail-start") return ScriptedRunner::err("Sns.Unreachable", "no route");
    if (req.wait_for_task_token) {
      json::object o;
      o["MessageId"] = "m-" + std::to_string(calls.size());
      o["Echo"] = req.parameters;  // a start response that repeats the token
      return ScriptedRunner::ok(json::value(std::move(o)));
    }
    return ScriptedRunner::ok(req.parameters);
  }
  Result<std::string> newTaskToken(const TaskRequest& req) override {
    token_requests.push_back(req);
    return "tok-" + std::to_string(++tokens);
  }
};

std::shared_ptr<const StateMachine> loadKnown(std::string_view def) {
  auto m = StateMachine::load(js(def), [](std::string_view r) {
    return r == "arn:aws:states:::sns:publish" || r == "riposte:notify" || r == "echo" ||
           r == "fail-start" || r == "arn:aws:states:::http:invoke" || r == "guarded";
  });
  EXPECT_TRUE(m) << m.error().message;
  return m ? *m : nullptr;
}

// Drives an execution: steps while something is due, jumps the clock over Waits and Retry
// delays, stops when only a callback (or its deadline) can move it on.
template <class Runner = TokenRunner>
struct BasicHarness {
  std::shared_ptr<const StateMachine> machine;
  Runner runner;
  ManualClock clock{1'000'000};
  Execution x;
  std::vector<HistoryEvent> h;

  BasicHarness(std::string_view def, std::string_view input)
      : machine(loadKnown(def)), x(machine, js(input), {"exec-1", "exec-1", "pb", 0}) {}

  void settle() {
    while (x.status() == Status::Running) {
      if (x.wakeAtMs() <= clock.nowMillis()) {
        x.step(runner, clock, h);
      } else if (x.awaitingCallback()) {
        return;
      } else {
        clock.set(x.wakeAtMs());
      }
    }
  }
  // Moves the clock to `ms` since the start and runs what is due then.
  void at(int64_t ms) {
    clock.set(1'000'000 + ms);
    settle();
  }
  Result<void> success(std::string_view token, std::string_view output) {
    auto r = x.sendTaskSuccess(token, output, clock, h);
    if (r) settle();
    return r;
  }
  Result<void> failure(std::string_view token, std::optional<std::string_view> error,
                       std::optional<std::string_view> cause) {
    auto r = x.sendTaskFailure(token, error, cause, clock, h);
    if (r) settle();
    return r;
  }
  std::vector<std::string> openDigests() const {
    std::vector<std::string> d;
    for (const auto& p : x.pendingTasks()) d.push_back(p.token_digest);
    return d;
  }
  const HistoryEvent* last(std::string_view type) const {
    for (auto it = h.rbegin(); it != h.rend(); ++it)
      if (it->type == type) return &*it;
    return nullptr;
  }
};
using Harness = BasicHarness<>;

const char* kApproval = R"({"StartAt": "Ask", "States": {
  "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
          "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:1:approvals",
                         "Message": {"TaskToken.$": "$$.Task.Token", "instance.$": "$.id"}},
          "ResultSelector": {"ok.$": "$.approved"}, "ResultPath": "$.decision",
          "OutputPath": "$.decision", "Next": "Done"},
  "Done": {"Type": "Succeed"}}})";

std::string errorCode(const Result<void>& r) {
  return r ? std::string("ok") : r.error().code;
}

// --- validation ----------------------------------------------------------------------------

TEST(CallbackValidate, SuffixOnARunnableBaseIsAccepted) {
  auto known = [](std::string_view r) { return r == "arn:aws:states:::sns:publish"; };
  EXPECT_TRUE(validate(js(kApproval), known).empty());
  auto m = StateMachine::load(js(kApproval), known);
  ASSERT_TRUE(m) << m.error().message;
  // The base must be runnable: the diagnostic names the resource as written.
  auto d = validate(js(kApproval), [](std::string_view) { return false; });
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].path, "$.States.Ask.Resource");
  EXPECT_EQ(d[0].message, "unknown resource 'arn:aws:states:::sns:publish.waitForTaskToken'");
  auto bare = validate(js(R"({"StartAt": "A", "States": {"A": {"Type": "Task",
      "Resource": ".waitForTaskToken", "Parameters": {"t.$": "$$.Task.Token"}, "End": true}}})"),
                       [](std::string_view) { return true; });
  ASSERT_EQ(bare.size(), 1u);
  EXPECT_EQ(bare[0].message, "unknown resource '.waitForTaskToken'");
}

TEST(CallbackValidate, ParametersMustPassTheToken) {
  auto diags = [](std::string_view task_fields) {
    return validate(js(std::string(R"({"StartAt": "A", "States": {"A": {"Type": "Task",
        "Resource": "riposte:notify.waitForTaskToken", "End": true)") +
                       std::string(task_fields) + "}}}"));
  };
  // Passed: directly, nested, in an array, the Task object or the whole context, inside an
  // intrinsic function, with bracket notation.
  for (std::string ok :
       {R"(, "Parameters": {"t.$": "$$.Task.Token"})",
        R"(, "Parameters": {"a": {"b": [1, {"t.$": "$$.Task.Token"}]}})",
        R"(, "Parameters": {"task.$": "$$.Task"})", R"(, "Parameters": {"ctx.$": "$$"})",
        R"J(, "Parameters": {"url.$": "States.Format('https://x/?t={}', $$.Task.Token)"})J",
        R"J(, "Parameters": {"t.$": "States.Array(States.Array($$.Task.Token))"})J",
        R"(, "Parameters": {"t.$": "$$['Task']['Token']"})"})
    EXPECT_TRUE(diags(ok).empty()) << ok;
  const std::string msg =
      "a \".waitForTaskToken\" Task must pass the task token ($$.Task.Token) in its Parameters: "
      "no callback can reach it otherwise";
  for (std::string bad :
       {R"(, "Parameters": {"t.$": "$$.Execution.Id"})",
        R"(, "Parameters": {"t": "$$.Task.Token"})", R"(, "Parameters": {"t.$": "$.Task.Token"})",
        R"J(, "Parameters": {"t.$": "States.Format('{}', $$.State.Name)"})J"}) {
    auto d = diags(bad);
    ASSERT_EQ(d.size(), 1u) << bad;
    EXPECT_EQ(d[0].path, "$.States.A.Parameters") << bad;
    EXPECT_EQ(d[0].message, msg) << bad;
  }
  auto none = diags("");
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].path, "$.States.A");
  EXPECT_EQ(none[0].message, msg);
  // Tasks without the suffix need no token.
  EXPECT_TRUE(validate(js(R"({"StartAt": "A", "States": {"A": {"Type": "Task",
      "Resource": "riposte:notify", "End": true}}})"))
                  .empty());
}

TEST(CallbackValidate, JsonataArgumentsMustPassTheToken) {
  auto diags = [](std::string_view args) {
    return validate(js(std::string(R"({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken", "End": true,
              "Arguments": )") +
                       std::string(args) + "}}}"));
  };
  EXPECT_TRUE(diags(R"({"token": "{% $states.context.Task.Token %}"})").empty());
  EXPECT_TRUE(diags(R"({"m": {"t": "{% 'x' & $states.context.Task.Token %}"}})").empty());
  EXPECT_TRUE(diags(R"("{% $states.context %}")").empty());
  auto d = diags(R"({"token": "{% $states.context.Execution.Id %}"})");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].path, "$.States.A.Arguments");
  EXPECT_EQ(d[0].message,
            "a \".waitForTaskToken\" Task must pass the task token "
            "($states.context.Task.Token) in its Arguments: no callback can reach it otherwise");
  EXPECT_EQ(diags(R"({"token": "{% $states.context.TaskTokens %}"})").size(), 1u);
}

// --- the happy path --------------------------------------------------------------------------

TEST(Callback, SuccessIsTheTaskResult) {
  Harness t(kApproval, R"({"id": "i-1"})");
  t.settle();
  ASSERT_EQ(t.x.status(), Status::Running);
  EXPECT_TRUE(t.x.awaitingCallback());
  EXPECT_EQ(types(t.h),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                      "TaskStarted", "TaskSubmitted"}));
  // The runner started the work with the resource's base, the token in its parameters and
  // context.
  ASSERT_EQ(t.runner.calls.size(), 1u);
  const TaskRequest& req = t.runner.calls[0];
  EXPECT_EQ(req.resource, "arn:aws:states:::sns:publish");
  EXPECT_TRUE(req.wait_for_task_token);
  EXPECT_EQ(req.task_token, "tok-1");
  EXPECT_EQ(req.parameters.at("Message").at("TaskToken"), json::value("tok-1"));
  EXPECT_EQ(*findPath(req.context, "Task.Token"), json::value("tok-1"));
  // The token source was asked for this attempt, before Parameters.
  ASSERT_EQ(t.runner.token_requests.size(), 1u);
  EXPECT_EQ(t.runner.token_requests[0].state_name, "Ask");
  EXPECT_EQ(t.runner.token_requests[0].scheduled_event_id, 3);
  EXPECT_EQ(t.runner.token_requests[0].resource, "arn:aws:states:::sns:publish");
  // History shows the resource as written, and never the open token.
  const std::string mask = "<task token sha256:" + taskTokenDigest("tok-1").substr(0, 12) + ">";
  const HistoryEvent* sched = t.last("TaskScheduled");
  ASSERT_TRUE(sched);
  EXPECT_EQ(sched->details.at("resource"),
            json::value("arn:aws:states:::sns:publish.waitForTaskToken"));
  EXPECT_EQ(js(std::string(sched->details.at("parameters").as_string())),
            js(R"({"TopicArn": "arn:aws:sns:us-east-1:1:approvals",
                   "Message": {"TaskToken": ")" +
               mask + R"(", "instance": "i-1"}})"));
  const HistoryEvent* sub = t.last("TaskSubmitted");
  ASSERT_TRUE(sub);
  EXPECT_EQ(std::string(sub->details.at("output").as_string()).find("tok-1"), std::string::npos);
  EXPECT_NE(std::string(sub->details.at("output").as_string()).find("\"MessageId\":\"m-1\""),
            std::string::npos);
  for (const auto& e : t.h)
    EXPECT_EQ(toJson(json::value(e.details)).find("tok-1"), std::string::npos);
  // pendingTasks names it by digest.
  auto p = t.x.pendingTasks();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].token_digest, taskTokenDigest("tok-1"));
  EXPECT_EQ(p[0].state_name, "Ask");
  EXPECT_EQ(p[0].resource, "arn:aws:states:::sns:publish.waitForTaskToken");
  EXPECT_EQ(p[0].scheduled_event_id, 3);
  EXPECT_TRUE(p[0].started);
  // No TimeoutSeconds: Step Functions' default, 99999999 s from TaskStarted.
  EXPECT_EQ(p[0].timeout_at_ms, 1'000'000 + 99'999'999'000LL);
  EXPECT_EQ(p[0].heartbeat_at_ms, 0);
  EXPECT_EQ(t.x.wakeAtMs(), p[0].timeout_at_ms);
  // The callback, an hour later.
  t.clock.advance(std::chrono::hours(1));
  ASSERT_EQ(errorCode(t.success("tok-1", R"({"approved": true, "by": "alice"})")), "ok");
  EXPECT_EQ(t.x.status(), Status::Succeeded);
  EXPECT_EQ(t.x.output(), js(R"({"ok": true})"));  // ResultSelector, ResultPath, OutputPath
  auto ty = types(t.h);
  EXPECT_EQ(std::vector<std::string>(ty.begin() + 5, ty.end()),
            (std::vector<std::string>{"TaskSucceeded", "TaskStateExited", "SucceedStateEntered",
                                      "SucceedStateExited", "ExecutionSucceeded"}));
  const HistoryEvent* ok = t.last("TaskSucceeded");
  EXPECT_EQ(ok->timestamp_ms, 1'000'000 + 3'600'000);
  EXPECT_EQ(js(std::string(ok->details.at("output").as_string())),
            js(R"({"approved": true, "by": "alice"})"));
  EXPECT_TRUE(t.x.pendingTasks().empty());
  // Single use.
  EXPECT_EQ(errorCode(t.success("tok-1", "{}")), "TaskTimedOut");
}

TEST(Callback, StepIsANoOpWhileWaiting) {
  Harness t(kApproval, R"({"id": "i-1"})");
  t.settle();
  json::value before = t.x.snapshot();
  std::size_t events = t.h.size();
  t.x.step(t.runner, t.clock, t.h);  // early: before any deadline
  EXPECT_EQ(t.h.size(), events);
  EXPECT_EQ(t.x.snapshot(), before);
  EXPECT_EQ(t.runner.calls.size(), 1u);
}

TEST(Callback, JsonataTask) {
  Harness t(R"({"QueryLanguage": "JSONata", "StartAt": "Ask", "States": {
      "Ask": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken", "End": true,
              "Arguments": {"token": "{% $states.context.Task.Token %}", "id": "{% $states.input.id %}"},
              "Output": {"answer": "{% $states.result.choice %}", "id": "{% $states.input.id %}"}}}})",
            R"({"id": 7})");
  t.settle();
  ASSERT_EQ(t.runner.calls.size(), 1u);
  EXPECT_EQ(t.runner.calls[0].parameters, js(R"({"token": "tok-1", "id": 7})"));
  ASSERT_EQ(errorCode(t.success("tok-1", R"({"choice": "isolate"})")), "ok");
  EXPECT_EQ(t.x.status(), Status::Succeeded);
  EXPECT_EQ(t.x.output(), js(R"({"answer": "isolate", "id": 7})"));
}

// --- failure, Retry and Catch ---------------------------------------------------------------

const char* kRejectable = R"({"StartAt": "Ask", "States": {
  "Ask": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken",
          "Parameters": {"t.$": "$$.Task.Token"}, "Next": "Done",
          "Retry": [{"ErrorEquals": ["Approval.Later"], "IntervalSeconds": 5, "MaxAttempts": 1}],
          "Catch": [{"ErrorEquals": ["CATCHER"], "ResultPath": "$.err", "Next": "Rejected"}]},
  "Rejected": {"Type": "Pass", "End": true},
  "Done": {"Type": "Succeed"}}})";

std::string withCatcher(const std::string& name) {
  std::string d = kRejectable;
  d.replace(d.find("CATCHER"), 7, name);
  return d;
}

TEST(Callback, FailureGoesThroughCatch) {
  for (std::string name : {"Approval.Rejected", "States.TaskFailed", "States.ALL"}) {
    Harness t(withCatcher(name), R"({"id": 1})");
    t.settle();
    ASSERT_EQ(errorCode(t.failure("tok-1", "Approval.Rejected", "bob said no")), "ok") << name;
    ASSERT_EQ(t.x.status(), Status::Succeeded) << name << ": " << t.x.error();
    EXPECT_EQ(t.x.output(),
              js(R"({"id": 1, "err": {"Error": "Approval.Rejected", "Cause": "bob said no"}})"));
    const HistoryEvent* f = t.last("TaskFailed");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->details.at("error"), json::value("Approval.Rejected"));
    EXPECT_EQ(f->details.at("cause"), json::value("bob said no"));
  }
  Harness t(withCatcher("Other"), "{}");
  t.settle();
  ASSERT_EQ(errorCode(t.failure("tok-1", "Approval.Rejected", "no")), "ok");
  EXPECT_EQ(t.x.status(), Status::Failed);
  EXPECT_EQ(t.x.error(), "Approval.Rejected");
  EXPECT_EQ(t.x.cause(), "no");
}

TEST(Callback, FailureWithoutErrorOrCauseIsNullInTheErrorOutput) {
  // AWS: test_sqs_failure_in_wait_for_task_tok_no_error_field — a SendTaskFailure with neither
  // field; States.ALL catches it with {"Error": null, "Cause": null}; TaskFailed has neither.
  Harness t(withCatcher("States.ALL"), R"({"id": 1})");
  t.settle();
  ASSERT_EQ(errorCode(t.failure("tok-1", std::nullopt, std::nullopt)), "ok");
  ASSERT_EQ(t.x.status(), Status::Succeeded);
  EXPECT_EQ(t.x.output(), js(R"({"id": 1, "err": {"Error": null, "Cause": null}})"));
  const HistoryEvent* f = t.last("TaskFailed");
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->details.contains("error"));
  EXPECT_FALSE(f->details.contains("cause"));
  // Uncaught: the execution fails without an error name.
  Harness u(withCatcher("Other"), "{}");
  u.settle();
  ASSERT_EQ(errorCode(u.failure("tok-1", std::nullopt, "only a cause")), "ok");
  EXPECT_EQ(u.x.status(), Status::Failed);
  EXPECT_EQ(u.x.error(), "");
  EXPECT_EQ(u.x.cause(), "only a cause");
  const HistoryEvent* ef = u.last("ExecutionFailed");
  ASSERT_TRUE(ef);
  EXPECT_FALSE(ef->details.contains("error"));
  EXPECT_EQ(ef->details.at("cause"), json::value("only a cause"));
}

TEST(Callback, FailureIsRetriedWithANewToken) {
  Harness t(withCatcher("Other"), R"({"id": 1})");
  t.settle();
  ASSERT_EQ(errorCode(t.failure("tok-1", "Approval.Later", "busy")), "ok");
  // The retrier waits 5 s, then schedules a new attempt with a new token.
  EXPECT_EQ(t.x.status(), Status::Running);
  ASSERT_EQ(t.runner.calls.size(), 2u);
  EXPECT_EQ(t.runner.calls[1].task_token, "tok-2");
  EXPECT_EQ(t.runner.calls[1].attempt, 1);
  EXPECT_EQ(*findPath(t.runner.calls[1].context, "State.RetryCount"), json::value(1));
  EXPECT_EQ(t.openDigests(), (std::vector<std::string>{taskTokenDigest("tok-2")}));
  EXPECT_EQ(errorCode(t.success("tok-1", "{}")), "TaskTimedOut");  // the old attempt's
  ASSERT_EQ(errorCode(t.success("tok-2", R"({"done": 1})")), "ok");
  EXPECT_EQ(t.x.status(), Status::Succeeded);
  EXPECT_EQ(t.x.output(), js(R"({"done": 1})"));
}

TEST(Callback, AStartThatFailsIsATaskFailure) {
  Harness t(R"({"StartAt": "Ask", "States": {
      "Ask": {"Type": "Task", "Resource": "fail-start.waitForTaskToken",
              "Parameters": {"t.$": "$$.Task.Token"}, "End": true,
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "C"}]},
      "C": {"Type": "Pass", "End": true}}})",
            "{}");
  t.settle();
  ASSERT_EQ(t.x.status(), Status::Succeeded);
  EXPECT_EQ(t.x.output(), js(R"({"Error": "Sns.Unreachable", "Cause": "no route"})"));
  auto ty = types(t.h);
  EXPECT_EQ(std::count(ty.begin(), ty.end(), "TaskSubmitted"), 0);
  EXPECT_EQ(std::count(ty.begin(), ty.end(), "TaskFailed"), 1);
  EXPECT_EQ(errorCode(t.success("tok-1", "{}")), "TaskTimedOut");  // never opened, closed
}

// --- deadlines -------------------------------------------------------------------------------

const char* kTimed = R"({"StartAt": "Ask", "States": {
  "Ask": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken",
          "Parameters": {"t.$": "$$.Task.Token"}, "TimeoutSeconds": 300, "HEARTBEAT" "Next": "Done",
          "Catch": [{"ErrorEquals": ["CATCHER"], "Next": "Late"}]},
  "Late": {"Type": "Pass", "End": true},
  "Done": {"Type": "Succeed"}}})";

std::string timed(const std::string& catcher, const std::string& heartbeat = "") {
  std::string d = kTimed;
  d.replace(d.find("CATCHER"), 7, catcher);
  d.replace(d.find("\"HEARTBEAT\" "), 12, heartbeat);
  return d;
}

TEST(CallbackDeadline, TimeoutSecondsRaisesStatesTimeout) {
  Harness t(timed("States.Timeout"), "{}");
  t.settle();
  EXPECT_EQ(t.x.wakeAtMs(), 1'000'000 + 300'000);
  t.at(299'999);
  EXPECT_EQ(t.x.status(), Status::Running);
  EXPECT_EQ(t.last("TaskTimedOut"), nullptr);
  t.at(300'000);
  ASSERT_EQ(t.x.status(), Status::Succeeded);
  // {"Error": "States.Timeout", "Cause": null}: AWS records no cause.
  EXPECT_EQ(t.x.output(), js(R"({"Error": "States.Timeout", "Cause": null})"));
  const HistoryEvent* e = t.last("TaskTimedOut");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->timestamp_ms, 1'000'000 + 300'000);
  EXPECT_EQ(e->details.at("error"), json::value("States.Timeout"));
  EXPECT_FALSE(e->details.contains("cause"));
  EXPECT_EQ(errorCode(t.success("tok-1", "{}")), "TaskTimedOut");
}

TEST(CallbackDeadline, CallbackAtTheDeadlineIsTooLate) {
  Harness t(timed("Other"), "{}");
  t.settle();
  t.clock.set(1'000'000 + 300'000);  // due, but no step has run yet: nothing changes
  json::value before = t.x.snapshot();
  EXPECT_EQ(errorCode(t.x.sendTaskSuccess("tok-1", "{}", t.clock, t.h)), "TaskTimedOut");
  EXPECT_EQ(t.x.snapshot(), before);
  t.settle();
  EXPECT_EQ(t.x.status(), Status::Failed);
  EXPECT_EQ(t.x.error(), "States.Timeout");
  const HistoryEvent* ef = t.last("ExecutionFailed");
  EXPECT_EQ(ef->details.at("error"), json::value("States.Timeout"));
  EXPECT_FALSE(ef->details.contains("cause"));
}

TEST(CallbackDeadline, TimeoutIsNotATaskFailedButIsRetriable) {
  Harness t(timed("States.TaskFailed"), "{}");
  t.settle();
  t.at(300'000);
  EXPECT_EQ(t.x.status(), Status::Failed);
  EXPECT_EQ(t.x.error(), "States.Timeout");
  Harness r(R"({"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
      "Resource": "riposte:notify.waitForTaskToken", "Parameters": {"t.$": "$$.Task.Token"},
      "TimeoutSeconds": 10, "End": true,
      "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 2, "MaxAttempts": 2}]}}})",
            "{}");
  r.settle();
  r.at(10'000);  // attempt 1 times out; retried 2 s later
  ASSERT_EQ(r.runner.calls.size(), 2u);
  EXPECT_EQ(r.runner.calls[1].task_token, "tok-2");
  EXPECT_EQ(r.x.pendingTasks().at(0).timeout_at_ms, 1'000'000 + 22'000);
  ASSERT_EQ(errorCode(r.success("tok-2", "\"yes\"")), "ok");
  EXPECT_EQ(r.x.status(), Status::Succeeded);
  EXPECT_EQ(r.x.output(), json::value("yes"));
}

TEST(CallbackDeadline, HeartbeatsKeepItAliveUntilTheyStop) {
  Harness t(timed("States.HeartbeatTimeout", R"("HeartbeatSeconds": 60, )"), "{}");
  t.settle();
  auto p = t.x.pendingTasks();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].heartbeat_at_ms, 1'000'000 + 60'000);
  EXPECT_EQ(t.x.wakeAtMs(), 1'000'000 + 60'000);
  for (int64_t s : {50, 100, 150}) {
    t.at(s * 1000);
    ASSERT_EQ(errorCode(t.x.sendTaskHeartbeat("tok-1", t.clock)), "ok");
    EXPECT_EQ(t.x.wakeAtMs(), 1'000'000 + (s + 60) * 1000);
    EXPECT_EQ(t.x.pendingTasks()[0].heartbeat_at_ms, 1'000'000 + (s + 60) * 1000);
  }
  std::size_t events = t.h.size();
  t.at(209'999);
  EXPECT_EQ(t.h.size(), events);  // heartbeats leave no event
  t.at(210'000);                  // 60 s after the last heartbeat, before TimeoutSeconds
  ASSERT_EQ(t.x.status(), Status::Succeeded) << t.x.error();
  // Reported as States.Timeout, as Step Functions reports a missed heartbeat (AWS:
  // test_heartbeat_timeout); "States.HeartbeatTimeout" in ErrorEquals matches it.
  EXPECT_EQ(t.x.output(), js(R"({"Error": "States.Timeout", "Cause": null})"));
  EXPECT_EQ(t.last("TaskTimedOut")->details.at("error"), json::value("States.Timeout"));
  EXPECT_EQ(errorCode(t.x.sendTaskHeartbeat("tok-1", t.clock)), "TaskTimedOut");
}

TEST(CallbackDeadline, WhichNamesMatchWhichExpiry) {
  struct Case {
    std::string catcher, heartbeat;
    int64_t at;
    bool caught;
  };
  for (const Case& c : std::vector<Case>{
           {"States.Timeout", R"("HeartbeatSeconds": 60, )", 60'000, true},
           {"States.HeartbeatTimeout", R"("HeartbeatSeconds": 60, )", 60'000, true},
           {"States.ALL", R"("HeartbeatSeconds": 60, )", 60'000, true},
           {"States.TaskFailed", R"("HeartbeatSeconds": 60, )", 60'000, false},
           {"States.HeartbeatTimeout", "", 300'000, false},  // TimeoutSeconds expired
           {"States.Timeout", "", 300'000, true},
           {"States.ALL", "", 300'000, true},
       }) {
    Harness t(timed(c.catcher, c.heartbeat), "{}");
    t.settle();
    t.at(c.at);
    EXPECT_EQ(t.x.status(), c.caught ? Status::Succeeded : Status::Failed)
        << c.catcher << " " << c.heartbeat;
    if (!c.caught) {
      EXPECT_EQ(t.x.error(), "States.Timeout");
    }
  }
}

TEST(CallbackDeadline, HeartbeatAfterTheTimeoutLeavesTheTimeout) {
  // HeartbeatSeconds does not extend TimeoutSeconds.
  Harness t(timed("States.Timeout", R"("HeartbeatSeconds": 100, )"), "{}");
  t.settle();
  for (int64_t s : {90, 180, 270}) {
    t.at(s * 1000);
    ASSERT_EQ(errorCode(t.x.sendTaskHeartbeat("tok-1", t.clock)), "ok");
  }
  EXPECT_EQ(t.x.wakeAtMs(), 1'000'000 + 300'000);
  t.at(300'000);
  EXPECT_EQ(t.x.status(), Status::Succeeded);
  EXPECT_EQ(t.last("TaskTimedOut")->timestamp_ms, 1'000'000 + 300'000);
}

TEST(CallbackDeadline, PathsSetTheDeadlines) {
  Harness t(R"({"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
      "Resource": "riposte:notify.waitForTaskToken", "Parameters": {"t.$": "$$.Task.Token"},
      "TimeoutSecondsPath": "$.limits.total", "HeartbeatSecondsPath": "$.limits.beat",
      "End": true}}})",
            R"({"limits": {"total": 900, "beat": 120}})");
  t.settle();
  auto p = t.x.pendingTasks();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].timeout_at_ms, 1'000'000 + 900'000);
  EXPECT_EQ(p[0].heartbeat_at_ms, 1'000'000 + 120'000);
  const HistoryEvent* s = t.last("TaskScheduled");
  EXPECT_EQ(s->details.at("timeoutInSeconds"), json::value(900.0));
  EXPECT_EQ(s->details.at("heartbeatInSeconds"), json::value(120.0));
  t.at(120'000);
  EXPECT_EQ(t.x.status(), Status::Failed);
  EXPECT_EQ(t.x.error(), "States.Timeout");
}

TEST(CallbackDeadline, TheMachinesTimeoutEndsTheWait) {
  Harness t(R"({"StartAt": "Ask", "TimeoutSeconds": 30, "States": {"Ask": {"Type": "Task",
      "Resource": "riposte:notify.waitForTaskToken", "Parameters": {"t.$": "$$.Task.Token"},
      "End": true}}})",
            "{}");
  t.settle();
  EXPECT_EQ(t.x.wakeAtMs(), 1'000'000 + 30'000);
  t.clock.set(1'000'000 + 30'000);
  EXPECT_EQ(errorCode(t.x.sendTaskSuccess("tok-1", "{}", t.clock, t.h)), "TaskTimedOut");
  t.settle();
  EXPECT_EQ(t.x.status(), Status::TimedOut);
  EXPECT_EQ(errorCode(t.x.sendTaskSuccess("tok-1", "{}", t.clock, t.h)), "TaskTimedOut");
}

// --- the error names -------------------------------------------------------------------------

TEST(CallbackErrors, StepFunctionsNames) {
  Harness t(kApproval, R"({"id": "i-1"})");
  t.settle();
  json::value before = t.x.snapshot();
  std::size_t events = t.h.size();
  // Malformed: InvalidToken.
  for (std::string bad : {std::string(""), std::string("tok 1"), std::string("tok-1\n"),
                          std::string("é"), std::string(2049, 'a')})
    EXPECT_EQ(errorCode(t.x.sendTaskSuccess(bad, "{}", t.clock, t.h)), "InvalidToken") << bad;
  EXPECT_EQ(errorCode(t.x.sendTaskHeartbeat("", t.clock)), "InvalidToken");
  EXPECT_EQ(errorCode(t.x.sendTaskFailure("a b", "E", "c", t.clock, t.h)), "InvalidToken");
  // Well-formed, not this execution's: TaskDoesNotExist.
  EXPECT_EQ(errorCode(t.x.sendTaskSuccess("tok-2", "{}", t.clock, t.h)), "TaskDoesNotExist");
  EXPECT_EQ(errorCode(t.x.sendTaskHeartbeat("tok-9", t.clock)), "TaskDoesNotExist");
  EXPECT_EQ(errorCode(t.x.sendTaskFailure("tok-9", "E", "c", t.clock, t.h)), "TaskDoesNotExist");
  // Not JSON: InvalidOutput.
  for (std::string bad : {"", "{", "{\"a\": }", "tru", "[1,]"})
    EXPECT_EQ(errorCode(t.x.sendTaskSuccess("tok-1", bad, t.clock, t.h)), "InvalidOutput") << bad;
  // None of these changed anything.
  EXPECT_EQ(t.x.snapshot(), before);
  EXPECT_EQ(t.h.size(), events);
  // Answered: a second answer of any kind is TaskTimedOut ("already been closed").
  ASSERT_EQ(errorCode(t.success("tok-1", R"({"approved": false})")), "ok");
  EXPECT_EQ(errorCode(t.x.sendTaskSuccess("tok-1", "{}", t.clock, t.h)), "TaskTimedOut");
  EXPECT_EQ(errorCode(t.x.sendTaskFailure("tok-1", "E", "c", t.clock, t.h)), "TaskTimedOut");
  EXPECT_EQ(errorCode(t.x.sendTaskHeartbeat("tok-1", t.clock)), "TaskTimedOut");
  // Ended executions: unknown tokens stay TaskDoesNotExist.
  EXPECT_EQ(errorCode(t.x.sendTaskSuccess("tok-3", "{}", t.clock, t.h)), "TaskDoesNotExist");
}

TEST(CallbackErrors, ScalarAndLargeOutputs) {
  for (std::string out : {"0", "\"text\"", "null", "[1, 2]", "true"}) {
    Harness t(R"({"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
        "Resource": "riposte:notify.waitForTaskToken", "Parameters": {"t.$": "$$.Task.Token"},
        "End": true}}})",
              "{}");
    t.settle();
    ASSERT_EQ(errorCode(t.success("tok-1", out)), "ok") << out;
    EXPECT_EQ(t.x.output(), js(out));
  }
  // A result over 256 KiB fails the state (States.DataLimitExceeded), as any state output.
  Harness t(R"({"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
      "Resource": "riposte:notify.waitForTaskToken", "Parameters": {"t.$": "$$.Task.Token"},
      "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
      "C": {"Type": "Pass", "End": true}}})",
            "{}");
  t.settle();
  ASSERT_EQ(errorCode(t.success("tok-1", "\"" + std::string(300'000, 'x') + "\"")), "ok");
  EXPECT_EQ(t.x.status(), Status::Failed);
  EXPECT_EQ(t.x.error(), "States.DataLimitExceeded");
}

// --- several tokens at once ------------------------------------------------------------------

TEST(CallbackConcurrency, ParallelBranchesWaitTogether) {
  Harness t(R"({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
      {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken",
          "Parameters": {"who": "a", "t.$": "$$.Task.Token"}, "End": true}}},
      {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken",
          "Parameters": {"who": "b", "t.$": "$$.Task.Token"}, "TimeoutSeconds": 60, "End": true}}},
      {"StartAt": "C", "States": {"C": {"Type": "Pass", "Result": "c", "End": true}}}]}}})",
            "{}");
  t.settle();
  ASSERT_TRUE(t.x.awaitingCallback());
  auto p = t.x.pendingTasks();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].state_name, "A");
  EXPECT_EQ(p[1].state_name, "B");
  EXPECT_EQ(t.x.wakeAtMs(), p[1].timeout_at_ms);  // the earliest deadline
  ASSERT_EQ(errorCode(t.success("tok-2", "\"from b\"")), "ok");
  EXPECT_EQ(t.x.status(), Status::Running);
  EXPECT_EQ(t.openDigests(), (std::vector<std::string>{taskTokenDigest("tok-1")}));
  EXPECT_EQ(t.x.wakeAtMs(), p[0].timeout_at_ms);  // B's deadline is gone
  ASSERT_EQ(errorCode(t.success("tok-1", "\"from a\"")), "ok");
  ASSERT_EQ(t.x.status(), Status::Succeeded);
  EXPECT_EQ(t.x.output(), js(R"(["from a", "from b", "c"])"));  // by branch, not by answer
}

TEST(CallbackConcurrency, AFailedBranchClosesTheOthersTokens) {
  Harness t(R"({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
      "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "C"}], "Branches": [
      {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken",
          "Parameters": {"t.$": "$$.Task.Token"}, "End": true}}},
      {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken",
          "Parameters": {"t.$": "$$.Task.Token"}, "End": true}}}]},
      "C": {"Type": "Pass", "End": true}}})",
            "{}");
  t.settle();
  ASSERT_EQ(t.x.pendingTasks().size(), 2u);
  ASSERT_EQ(errorCode(t.failure("tok-1", "Denied", "by a")), "ok");
  ASSERT_EQ(t.x.status(), Status::Succeeded);  // a callback failure is a task failure
  EXPECT_EQ(t.x.output(), js(R"({"Error": "Denied", "Cause": "by a"})"));
  EXPECT_EQ(errorCode(t.success("tok-2", "{}")), "TaskTimedOut");  // abandoned with its branch
}

TEST(CallbackConcurrency, MapIterationsEachWait) {
  Harness t(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 3, "End": true,
      "ItemProcessor": {"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
          "Resource": "riposte:notify.waitForTaskToken",
          "Parameters": {"item.$": "$", "t.$": "$$.Task.Token"}, "End": true}}}}}})",
            "[10, 20, 30, 40, 50]");
  t.settle();
  // MaxConcurrency 3: three open at once.
  ASSERT_EQ(t.x.pendingTasks().size(), 3u);
  std::map<std::string, json::value> item_of;
  for (const auto& c : t.runner.calls) item_of[c.task_token] = c.parameters.at("item");
  EXPECT_EQ(item_of.size(), 3u);
  // Answer out of order, each answer letting the next iteration start.
  std::set<std::string> answered;
  while (t.x.status() == Status::Running) {
    for (const auto& c : t.runner.calls) item_of[c.task_token] = c.parameters.at("item");
    std::string pick;
    for (auto it = item_of.rbegin(); it != item_of.rend(); ++it)
      if (!answered.count(it->first)) {
        pick = it->first;
        break;
      }
    ASSERT_FALSE(pick.empty());
    answered.insert(pick);
    EXPECT_LE(t.x.pendingTasks().size(), 3u);
    ASSERT_EQ(
        errorCode(t.success(pick, toJson(json::value(item_of[pick].to_number<int64_t>() + 1)))),
        "ok");
  }
  ASSERT_EQ(t.x.status(), Status::Succeeded);
  EXPECT_EQ(t.x.output(), js("[11, 21, 31, 41, 51]"));
  EXPECT_EQ(t.runner.tokens, 5);
}

TEST(CallbackConcurrency, RunToCompletionStopsAtACallback) {
  auto m = loadKnown(kApproval);
  TokenRunner r;
  ManualClock clock;
  auto o = runToCompletion(m, js(R"({"id": 1})"), r, clock);
  EXPECT_EQ(o.status, Status::Running);
  EXPECT_EQ(o.history.back().type, "TaskSubmitted");
  EXPECT_EQ(clock.nowMillis(), ManualClock().nowMillis());  // did not jump to the deadline
}

// --- snapshots -------------------------------------------------------------------------------

TEST(CallbackSnapshot, RestoreWhileWaitingKeepsOnlyTheDigest) {
  Harness t(timed("States.Timeout", R"("HeartbeatSeconds": 60, )"), R"({"id": 1})");
  t.settle();
  ASSERT_EQ(errorCode(t.x.sendTaskHeartbeat("tok-1", t.clock)), "ok");
  for (bool incremental : {false, true}) {
    std::map<std::string, std::string, std::less<>> blobs;
    json::value snap;
    if (incremental) {
      auto inc = t.x.snapshotIncremental();
      snap = inc.snapshot;
      for (auto& b : inc.blobs) blobs[b.id] = b.json;
    } else {
      snap = t.x.snapshot();
    }
    std::string text = toJson(snap);
    EXPECT_EQ(text.find("tok-1"), std::string::npos) << text;  // only its digest
    EXPECT_NE(text.find(taskTokenDigest("tok-1")), std::string::npos);
    auto y = Execution::restore(t.machine, *parseJson(text, 4096),
                                [&](std::string_view id) -> std::optional<std::string> {
                                  auto it = blobs.find(id);
                                  if (it == blobs.end()) return std::nullopt;
                                  return it->second;
                                });
    ASSERT_TRUE(y) << y.error().str();
    EXPECT_EQ(y->snapshot(), t.x.snapshot());
    EXPECT_EQ(y->wakeAtMs(), t.x.wakeAtMs());
    EXPECT_TRUE(y->awaitingCallback());
    auto p = y->pendingTasks();
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].token_digest, taskTokenDigest("tok-1"));
    EXPECT_EQ(p[0].heartbeat_at_ms, t.x.pendingTasks()[0].heartbeat_at_ms);
    std::vector<HistoryEvent> h;
    ASSERT_EQ(errorCode(y->sendTaskSuccess("tok-1", "1", t.clock, h)), "ok");
    EXPECT_EQ(h.front().id, t.x.lastEventId() + 1);
    EXPECT_EQ(types(h), (std::vector<std::string>{"TaskSucceeded", "TaskStateExited"}));
    while (y->status() == Status::Running) y->step(t.runner, t.clock, h);  // "Done"
    EXPECT_EQ(y->status(), Status::Succeeded);
  }
}

TEST(CallbackSnapshot, CallbackBeforeTheRestartedStartIsKept) {
  // A crash after the runner started the attempt (the token is out) but before that step was
  // persisted: the restored execution is "scheduled" again. A callback arriving now is kept,
  // and applied once the replayed start has run.
  auto m = loadKnown(kApproval);
  TokenRunner r;
  ManualClock c;
  Execution x(m, js(R"({"id": 1})"), {});
  std::vector<HistoryEvent> h;
  x.step(r, c, h);
  ASSERT_EQ(h.back().type, "TaskScheduled");
  json::value scheduled = x.snapshot();
  // Scheduled and not started: the snapshot holds the token (for an exact replay).
  EXPECT_NE(toJson(scheduled).find("tok-1"), std::string::npos);
  auto p = x.pendingTasks();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_FALSE(p[0].started);
  x.step(r, c, h);  // started; then the process dies
  auto y = Execution::restore(m, scheduled);
  ASSERT_TRUE(y);
  std::vector<HistoryEvent> h2;
  ASSERT_EQ(errorCode(y->sendTaskSuccess("tok-1", R"({"approved": true})", c, h2)), "ok");
  EXPECT_TRUE(h2.empty());
  EXPECT_EQ(errorCode(y->sendTaskSuccess("tok-1", "{}", c, h2)), "TaskTimedOut");  // answered
  // It survives a snapshot too.
  auto z = Execution::restore(m, y->snapshot());
  ASSERT_TRUE(z) << z.error().str();
  z->step(r, c, h2);  // the replayed start, then the kept answer
  EXPECT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[1].task_token, "tok-1");
  EXPECT_EQ(r.calls[1].scheduled_event_id, 3);
  while (z->status() == Status::Running) z->step(r, c, h2);
  EXPECT_EQ(z->status(), Status::Succeeded);
  EXPECT_EQ(z->output(), js(R"({"ok": true})"));
  std::vector<std::string> t;
  for (const auto& e : h2) t.push_back(e.type);
  EXPECT_EQ(t, (std::vector<std::string>{"TaskStarted", "TaskSubmitted", "TaskSucceeded",
                                         "TaskStateExited", "SucceedStateEntered",
                                         "SucceedStateExited", "ExecutionSucceeded"}));
}

TEST(CallbackSnapshot, AKeptFailureAppliesAfterTheStartAndAFailedStartDropsIt) {
  // A kept SendTaskFailure goes through Catch once the replayed start has run.
  {
    auto m = loadKnown(withCatcher("Approval.Rejected"));
    TokenRunner r;
    ManualClock c;
    Execution x(m, js(R"({"id": 1})"), {});
    std::vector<HistoryEvent> h;
    x.step(r, c, h);  // scheduled
    ASSERT_EQ(errorCode(x.sendTaskFailure("tok-1", "Approval.Rejected", "early", c, h)), "ok");
    auto y = Execution::restore(m, x.snapshot());
    ASSERT_TRUE(y) << y.error().str();
    while (y->status() == Status::Running) y->step(r, c, h);
    EXPECT_EQ(y->status(), Status::Succeeded);
    EXPECT_EQ(y->output(),
              js(R"({"id": 1, "err": {"Error": "Approval.Rejected", "Cause": "early"}})"));
  }
  // The replayed start fails (the runner's error): the kept answer is dropped with the token,
  // and the Task fails with the runner's error.
  {
    auto m = loadKnown(R"({"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
        "Resource": "fail-start.waitForTaskToken", "Parameters": {"t.$": "$$.Task.Token"},
        "End": true}}})");
    TokenRunner r;
    ManualClock c;
    Execution x(m, js("{}"), {});
    std::vector<HistoryEvent> h;
    x.step(r, c, h);
    ASSERT_EQ(errorCode(x.sendTaskSuccess("tok-1", "{}", c, h)), "ok");
    while (x.status() == Status::Running) x.step(r, c, h);
    EXPECT_EQ(x.status(), Status::Failed);
    EXPECT_EQ(x.error(), "Sns.Unreachable");
    auto t = types(h);
    EXPECT_EQ(std::count(t.begin(), t.end(), "TaskSucceeded"), 0);
    EXPECT_EQ(errorCode(x.sendTaskSuccess("tok-1", "{}", c, h)), "TaskTimedOut");
  }
}

TEST(CallbackSnapshot, AScheduledTokenIsClosedWhenItsBranchIsAbandoned) {
  // Branch B's Task is scheduled (its token made, not yet published) when branch A fails.
  Harness t(R"({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
      {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken",
          "Parameters": {"t.$": "$$.Task.Token"}, "End": true}}},
      {"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "Stop"}}}]}}})",
            "{}");
  t.x.step(t.runner, t.clock, t.h);  // ExecutionStarted, ParallelStateEntered/Started
  t.x.step(t.runner, t.clock, t.h);  // B enters: scheduled, its token made
  ASSERT_EQ(t.x.pendingTasks().size(), 1u);
  EXPECT_FALSE(t.x.pendingTasks()[0].started);
  t.settle();  // A fails: the Parallel fails and abandons B
  EXPECT_EQ(t.x.status(), Status::Failed);
  EXPECT_EQ(t.x.error(), "Stop");
  EXPECT_TRUE(t.runner.calls.empty());  // B never started
  EXPECT_EQ(errorCode(t.x.sendTaskSuccess("tok-1", "{}", t.clock, t.h)), "TaskTimedOut");
}

// A machine with callbacks in sequence, in a Parallel and in a Map, answered by a fixed
// script (by step count): crashing after any step and restoring from the persisted
// incremental snapshot gives the same history and output as an uninterrupted run.
const char* kMixed = R"({"StartAt": "Ask", "States": {
  "Ask": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken", "HeartbeatSeconds": 30,
          "TimeoutSeconds": 600, "Parameters": {"t.$": "$$.Task.Token"}, "ResultPath": "$.a",
          "Next": "Both"},
  "Both": {"Type": "Parallel", "ResultPath": "$.b", "Next": "Each", "Branches": [
     {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "Next": "B1"},
        "B1": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken",
               "Parameters": {"t.$": "$$.Task.Token"}, "End": true}}},
     {"StartAt": "B2", "States": {"B2": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken",
               "Parameters": {"t.$": "$$.Task.Token"}, "TimeoutSeconds": 20, "End": true,
               "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}],
               "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B3"}]},
        "B3": {"Type": "Pass", "Result": "b2 timed out twice", "End": true}}}]},
  "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ResultPath": "$.m",
           "End": true, "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task",
             "Resource": "riposte:notify.waitForTaskToken",
             "Parameters": {"v.$": "$", "t.$": "$$.Task.Token"}, "End": true}}}}}})";

// When an open task was started, from its deadline (the test's Tasks set TimeoutSeconds 600
// on "Ask", none elsewhere: Step Functions' default).
int64_t startedAt(const PendingTask& p) {
  return p.timeout_at_ms - (p.state_name == "Ask" ? 600'000 : 99'999'999'000LL);
}

TEST(CallbackSnapshot, RestoreAfterEveryStepAndCallbackGivesTheSameHistory) {
  auto m = loadKnown(kMixed);
  const json::value input = js(R"({"items": [1, 2, 3]})");
  // One "operation" = a step, or a callback (the script decides, from what is open and when).
  // Tokens are "tok-<n>" in the order asked for, the same in every run.
  // The world around one execution: the runner, the clock, the persisted history, and a
  // script answering callbacks: "Ask" gets a heartbeat after 2 s and its answer after 25 s, B2
  // is never answered (it times out twice), every other token is answered after 3 s.
  struct World {
    TokenRunner r;
    ManualClock c{1'000'000};
    std::vector<HistoryEvent> h;
    std::map<std::string, std::string> token_of;  // digest → token (the runner saw them)
    // Does one operation; false when the execution has ended.
    bool op(Execution& x) {
      if (x.status() != Status::Running) return false;
      for (const auto& call : r.calls)
        if (!call.task_token.empty()) token_of[taskTokenDigest(call.task_token)] = call.task_token;
      for (const auto& p : x.pendingTasks()) {
        if (!p.started || p.state_name == "B2") continue;
        const int64_t waited = c.nowMillis() - startedAt(p);
        const std::string& tok = token_of.at(p.token_digest);
        if (p.state_name == "Ask" && waited >= 2'000 && waited < 3'000) {
          EXPECT_TRUE(x.sendTaskHeartbeat(tok, c));
          c.advance(std::chrono::milliseconds(1000));
          return true;
        }
        if (waited >= (p.state_name == "Ask" ? 25'000 : 3'000)) {
          EXPECT_TRUE(x.sendTaskSuccess(tok, "\"" + p.state_name + "\"", c, h));
          return true;
        }
      }
      if (x.wakeAtMs() <= c.nowMillis()) {
        x.step(r, c, h);
        return true;
      }
      // Nothing due: move time on by 1 s, or to the next deadline if sooner.
      c.set(std::min(x.wakeAtMs(), c.nowMillis() + 1000));
      return true;
    }
  };
  World ref;
  Execution rx(m, input, {"exec-1", "exec-1", "pb", 0});
  std::size_t ops = 0;
  while (ref.op(rx)) ++ops;
  ASSERT_EQ(rx.status(), Status::Succeeded) << rx.error() << rx.cause();
  EXPECT_EQ(rx.output(), js(R"({"items": [1, 2, 3], "a": "Ask",
      "b": ["B1", "b2 timed out twice"], "m": ["I", "I", "I"]})"));
  ASSERT_GT(ops, 50u);
  auto rt = types(ref.h);
  EXPECT_EQ(std::count(rt.begin(), rt.end(), "TaskTimedOut"), 2);
  for (std::size_t k = 1; k < ops; k += 3) {
    World run;
    Execution x(m, input, {"exec-1", "exec-1", "pb", 0});
    std::map<std::string, std::string, std::less<>> blobs;
    json::value persisted;
    for (std::size_t i = 0; i < k; ++i) {
      run.op(x);
      auto inc = x.snapshotIncremental();
      for (auto& b : inc.blobs) blobs[b.id] = b.json;
      persisted = inc.snapshot;
    }
    // "Crash": only what was persisted survives.
    auto y = Execution::restore(m, *parseJson(toJson(persisted), 4096),
                                [&](std::string_view id) -> std::optional<std::string> {
                                  auto it = blobs.find(id);
                                  if (it == blobs.end()) return std::nullopt;
                                  return it->second;
                                });
    ASSERT_TRUE(y) << y.error().str();
    Execution z = std::move(*y);
    while (run.op(z)) {
    }
    ASSERT_EQ(z.status(), Status::Succeeded) << "crash after op " << k << ": " << z.error();
    EXPECT_EQ(z.output(), rx.output()) << "crash after op " << k;
    ASSERT_EQ(types(run.h), rt) << "crash after op " << k;
    for (std::size_t i = 0; i < run.h.size(); ++i)
      EXPECT_EQ(run.h[i].timestamp_ms, ref.h[i].timestamp_ms) << "event " << i << " op " << k;
  }
}

TEST(CallbackSnapshot, CorruptCallbackFieldsAreInvalidSnapshots) {
  Harness t(kApproval, R"({"id": 1})");
  t.settle();
  const json::value good = t.x.snapshot();
  auto corrupt = [&](const std::function<void(json::object&)>& f) {
    json::value s = good;
    f(s.get_object()["root"].get_object());
    auto r = Execution::restore(t.machine, s);
    return r ? std::string("restored") : r.error().code;
  };
  EXPECT_EQ(corrupt([](json::object& r) { r["tk"] = "abc"; }), "InvalidSnapshot");
  EXPECT_EQ(corrupt([](json::object& r) { r.erase("tk"); }), "InvalidSnapshot");
  EXPECT_EQ(corrupt([](json::object& r) { r["tt"] = 0; }), "InvalidSnapshot");
  EXPECT_EQ(corrupt([](json::object& r) { r["hi"] = 5; }), "InvalidSnapshot");
  EXPECT_EQ(corrupt([](json::object& r) { r["tok"] = "x"; }), "InvalidSnapshot");
  EXPECT_EQ(corrupt([](json::object& r) {
              r["early"] = json::object{{"ok", true}};
            }),
            "InvalidSnapshot");
  // A Wait state cannot be waiting for a callback.
  auto m2 = StateMachine::load(js(R"({"StartAt": "Ask", "States": {"Ask": {"Type": "Wait",
      "Seconds": 1, "End": true}}})"));
  ASSERT_TRUE(m2);
  EXPECT_FALSE(Execution::restore(*m2, good));
}

// --- tokens ----------------------------------------------------------------------------------

TEST(TaskToken, DefaultSourceIsRandomAndWellFormed) {
  struct Plain final : TaskRunner {
    TaskResult run(const TaskRequest&) override { return {}; }
  } plain;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto t = plain.newTaskToken(TaskRequest{});
    ASSERT_TRUE(t);
    EXPECT_EQ(t->size(), 43u);  // 256 bits, base64url
    EXPECT_TRUE(wellFormedTaskToken(*t));
    EXPECT_EQ(
        t->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(TaskToken, DigestIsSha256Hex) {
  EXPECT_EQ(taskTokenDigest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(taskTokenDigest("").size(), 64u);
}

TEST(TaskToken, ASourceThatFailsFailsTheTask) {
  struct Broken final : TaskRunner {
    int runs = 0;
    TaskResult run(const TaskRequest&) override {
      ++runs;
      return {};
    }
    Result<std::string> newTaskToken(const TaskRequest&) override {
      return fail("Entropy", "no entropy");
    }
  } broken;
  struct Malformed final : TaskRunner {
    int runs = 0;
    TaskResult run(const TaskRequest&) override {
      ++runs;
      return {};
    }
    Result<std::string> newTaskToken(const TaskRequest&) override {
      return std::string("has space");
    }
  } malformed;
  auto m = loadKnown(withCatcher("States.ALL"));
  for (TaskRunner* r : std::vector<TaskRunner*>{&broken, &malformed}) {
    ManualClock c;
    auto o = runToCompletion(m, js("{}"), *r, c);
    // States.Runtime: not even States.ALL catches it; nothing was started.
    EXPECT_EQ(o.status, Status::Failed);
    EXPECT_EQ(o.error, "States.Runtime");
  }
  EXPECT_EQ(broken.runs, 0);
  EXPECT_EQ(malformed.runs, 0);
}

// --- the approval gate (TaskResult::gate_token): a Task's runner asks a person first ---------

// "guarded" asks for approval until the attempt runs approved; other resources echo.
class GateRunner final : public TaskRunner {
 public:
  std::vector<TaskRequest> calls;
  int tokens = 0;
  bool ask_again = false;  // a runner that asks even when approved (refused)
  TaskResult run(const TaskRequest& req) override {
    calls.push_back(req);
    if (req.resource == "guarded" && (!req.approved || ask_again)) {
      TaskResult r;
      r.output = json::object{{"approvalId", "apr-" + std::to_string(calls.size())}};
      r.gate_token = "gate-" + std::to_string(++tokens);
      return r;
    }
    return ScriptedRunner::ok(json::object{{"acted", req.parameters}, {"approved", req.approved}});
  }
};

using GateHarness = BasicHarness<GateRunner>;

const char* kGated = R"({"StartAt": "Isolate", "States": {
  "Isolate": {"Type": "Task", "Resource": "guarded", "Parameters": {"id.$": "$.id"},
              "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
              "ResultPath": "$.r", "End": true},
  "Caught": {"Type": "Pass", "Result": "caught", "End": true}}})";

TEST(ApprovalGate, ApprovedRunsTheSameAttemptAgainAsApproved) {
  GateHarness t(kGated, R"({"id": "i-1"})");
  t.settle();
  ASSERT_TRUE(t.x.awaitingCallback());
  ASSERT_EQ(t.runner.calls.size(), 1u);
  EXPECT_FALSE(t.runner.calls[0].approved);
  auto p = t.x.pendingTasks();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].token_digest, taskTokenDigest("gate-1"));
  EXPECT_EQ(p[0].state_name, "Isolate");
  EXPECT_EQ(types(t.h).back(), "TaskSubmitted");
  ASSERT_EQ(errorCode(t.x.sendTaskSuccess("gate-1", R"({"approved": true})", t.clock, t.h)), "ok");
  t.settle();
  ASSERT_EQ(t.x.status(), Status::Succeeded);
  ASSERT_EQ(t.runner.calls.size(), 2u);
  EXPECT_TRUE(t.runner.calls[1].approved);
  EXPECT_EQ(t.runner.calls[1].scheduled_event_id, t.runner.calls[0].scheduled_event_id);
  EXPECT_EQ(t.runner.calls[1].parameters, js(R"({"id": "i-1"})"));
  EXPECT_EQ(t.x.output().at("r").at("approved"), json::value(true));
  // The gate token is closed: a second callback is refused as Step Functions does.
  EXPECT_EQ(errorCode(t.x.sendTaskSuccess("gate-1", "{}", t.clock, t.h)), "TaskTimedOut");
}

TEST(ApprovalGate, ADenyIsNeitherRetriedNorCaught) {
  GateHarness t(kGated, R"({"id": "i-1"})");
  t.settle();
  ASSERT_EQ(errorCode(t.x.sendTaskFailure("gate-1", "riposte.ApprovalDenied", "no: build server",
                                          t.clock, t.h)),
            "ok");
  t.settle();
  EXPECT_EQ(t.x.status(), Status::Failed);
  EXPECT_EQ(t.x.error(), "riposte.ApprovalDenied");
  EXPECT_EQ(t.x.cause(), "no: build server");
  EXPECT_EQ(t.runner.calls.size(), 1u);  // no retry
}

TEST(ApprovalGate, ADenyInABranchIsNotCaughtByTheParallel) {
  GateHarness t(R"({"StartAt": "P", "States": {
    "P": {"Type": "Parallel", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
          "Branches": [{"StartAt": "Isolate", "States": {"Isolate": {"Type": "Task",
                          "Resource": "guarded", "End": true}}}], "End": true},
    "Caught": {"Type": "Pass", "End": true}}})",
                "{}");
  t.settle();
  ASSERT_EQ(errorCode(t.x.sendTaskFailure("gate-1", "riposte.ApprovalDenied", "no", t.clock, t.h)),
            "ok");
  t.settle();
  EXPECT_EQ(t.x.status(), Status::Failed);
  EXPECT_EQ(t.x.error(), "riposte.ApprovalDenied");
}

TEST(ApprovalGate, AFinalTaskFailureIsNotCaught) {
  class Denier final : public TaskRunner {
   public:
    TaskResult run(const TaskRequest&) override {
      TaskResult r = ScriptedRunner::err("riposte.ApprovalDenied", "denied earlier");
      r.final = true;
      return r;
    }
  } denier;
  auto m = loadKnown(kGated);
  Execution x(m, js(R"({"id": "i-1"})"), {"exec-1", "exec-1", "pb", 0});
  ManualClock clock{1};
  std::vector<HistoryEvent> h;
  while (x.status() == Status::Running) x.step(denier, clock, h);
  EXPECT_EQ(x.status(), Status::Failed);
  EXPECT_EQ(x.error(), "riposte.ApprovalDenied");
}

TEST(ApprovalGate, AskingAgainWhenApprovedIsARuntimeError) {
  GateHarness t(kGated, R"({"id": "i-1"})");
  t.runner.ask_again = true;
  t.settle();
  ASSERT_EQ(errorCode(t.x.sendTaskSuccess("gate-1", "{}", t.clock, t.h)), "ok");
  t.settle();
  EXPECT_EQ(t.x.status(), Status::Failed);
  EXPECT_EQ(t.x.error(), "States.Runtime");
}

TEST(ApprovalGate, SnapshotsWhileWaitingAndOnceApprovedRestore) {
  GateHarness t(kGated, R"({"id": "i-1"})");
  t.settle();
  auto restore = [&](const json::value& snap) {
    auto y = Execution::restore(t.machine, snap);
    EXPECT_TRUE(y) << y.error().str();
    return y;
  };
  // Waiting: only the digest, and still waiting for a person after a restart.
  const std::string text = toJson(t.x.snapshot());
  EXPECT_EQ(text.find("gate-1"), std::string::npos) << text;
  auto y = restore(t.x.snapshot());
  ASSERT_TRUE(y);
  EXPECT_TRUE(y->awaitingCallback());
  ASSERT_EQ(y->pendingTasks().size(), 1u);
  // Approved, not yet run: a restart runs it as approved.
  ASSERT_EQ(errorCode(y->sendTaskSuccess("gate-1", "{}", t.clock, t.h)), "ok");
  auto z = restore(y->snapshot());
  ASSERT_TRUE(z);
  GateRunner r2;
  while (z->status() == Status::Running) z->step(r2, t.clock, t.h);
  EXPECT_EQ(z->status(), Status::Succeeded);
  ASSERT_EQ(r2.calls.size(), 1u);
  EXPECT_TRUE(r2.calls[0].approved);
  // The waiting snapshot marks the gate; without the mark it could not be waiting.
  std::string waiting = toJson(t.x.snapshot());
  auto at = waiting.find("\"gt\":true");
  ASSERT_NE(at, std::string::npos) << waiting;
  waiting.replace(at, 9, "\"gt\":false");
  auto broken = Execution::restore(t.machine, *parseJson(waiting));
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, "InvalidSnapshot");
}

}  // namespace
}  // namespace riposte::asl
