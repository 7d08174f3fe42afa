// Which ErrorEquals entries match which errors: every reserved error name riposte raises,
// raised by every kind of state that can raise it, matched directly (the raising state's own
// Catch/Retry, where it has one) and from inside a Parallel branch and a Map iteration.
//
// The rule (the spec's Appendix A, the Step Functions error-handling guide, docs/playbooks.md):
//   * an error's own name matches it;
//   * "States.ALL" matches every error but the terminal States.Runtime and
//     States.DataLimitExceeded, which nothing catches;
//   * "States.TaskFailed" matches an error a Task's work reported (the runner's error, a
//     runner that throws, a SendTaskFailure), except States.Timeout and
//     States.HeartbeatTimeout — also when that error leaves a Parallel branch or a Map iteration
//     uncaught; it does not match errors the language itself raises (a Fail state's error,
//     States.NoChoiceMatched, States.ResultPathMatchFailure, States.IntrinsicFailure,
//     States.ExceedToleratedFailureThreshold, States.QueryEvaluationError), whichever state
//     raises them;
//   * "States.BranchFailed" matches, on a Parallel, any failure of one of its branches;
//   * "States.HeartbeatTimeout" matches a callback Task's missed heartbeat (reported as
//     States.Timeout, as Step Functions reports it), also from a branch or an iteration;
//   * nothing else is a wildcard.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "asl_test_util.h"

namespace riposte::asl {
namespace {
using testing::js;
using testing::ScriptedRunner;

// Answers "fail:<Error>" with that error, "throw" by throwing, anything else by echoing.
// `.waitForTaskToken` Tasks get tokens "t-<n>"; runIt answers "callback-fail:<Error>" ones
// with SendTaskFailure and lets the others' deadlines pass.
class FailingRunner final : public TaskRunner {
 public:
  int calls = 0;
  std::map<std::string, std::string> tokens;  // digest → token
  TaskResult run(const TaskRequest& req) override {
    ++calls;
    if (req.resource == "throw") throw std::runtime_error("the runner threw");
    if (req.resource.starts_with("fail:"))
      return ScriptedRunner::err(req.resource.substr(5), "cause of " + req.resource.substr(5));
    return ScriptedRunner::ok(req.parameters);
  }
  Result<std::string> newTaskToken(const TaskRequest&) override {
    std::string t = "t-" + std::to_string(tokens.size() + 1);
    tokens[taskTokenDigest(t)] = t;
    return t;
  }
};

// One way to raise an error: the state "R" (its JSON object without Next/End/Catch), the
// input it needs, the error it raises, and whether that error is a Task's own failure.
struct Raiser {
  std::string what;
  std::string state;  // a JSON object's members, e.g. "\"Type\": \"Task\", \"Resource\": …"
  std::string input;
  std::string error;
  bool task = false;       // reported by a Task's work
  bool catchable = true;   // not States.Runtime / States.DataLimitExceeded
  bool has_catch = false;  // Task, Parallel, Map: the state itself may carry Catch/Retry
  bool heartbeat = false;  // a callback Task's missed heartbeat ("States.HeartbeatTimeout")
};

std::vector<Raiser> raisers() {
  const std::string pass_branch =
      R"({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}})";
  return {
      {"a Task whose runner fails with a custom error",
       R"("Type": "Task", "Resource": "fail:Task.Custom")", "{}", "Task.Custom", true, true, true},
      {"a Task whose runner fails with States.TaskFailed",
       R"("Type": "Task", "Resource": "fail:States.TaskFailed")", "{}", "States.TaskFailed", true,
       true, true},
      {"a Task whose runner throws", R"("Type": "Task", "Resource": "throw")", "{}",
       "States.TaskFailed", true, true, true},
      {"a Task whose runner reports States.Permissions",
       R"("Type": "Task", "Resource": "fail:States.Permissions")", "{}", "States.Permissions", true,
       true, true},
      {"a Task that times out", R"("Type": "Task", "Resource": "fail:States.Timeout")", "{}",
       "States.Timeout", true, true, true},
      {"a Task that misses a heartbeat",
       R"("Type": "Task", "Resource": "fail:States.HeartbeatTimeout")", "{}",
       "States.HeartbeatTimeout", true, true, true},
      {"a callback Task answered by SendTaskFailure",
       R"("Type": "Task", "Resource": "callback-fail:Task.Custom.waitForTaskToken",
          "Parameters": {"t.$": "$$.Task.Token"})",
       "{}", "Task.Custom", true, true, true},
      {"a callback Task answered by SendTaskFailure States.Permissions",
       R"("Type": "Task", "Resource": "callback-fail:States.Permissions.waitForTaskToken",
          "Parameters": {"t.$": "$$.Task.Token"})",
       "{}", "States.Permissions", true, true, true},
      {"a callback Task past its TimeoutSeconds",
       R"("Type": "Task", "Resource": "notify.waitForTaskToken", "TimeoutSeconds": 60,
          "Parameters": {"t.$": "$$.Task.Token"})",
       "{}", "States.Timeout", true, true, true},
      {"a callback Task that misses its heartbeat",
       R"("Type": "Task", "Resource": "notify.waitForTaskToken", "HeartbeatSeconds": 10,
          "Parameters": {"t.$": "$$.Task.Token"})",
       "{}", "States.Timeout", true, true, true, true},
      {"a Task whose ResultPath cannot be applied",
       R"("Type": "Task", "Resource": "echo", "ResultPath": "$.s.x")", R"({"s": 1})",
       "States.ResultPathMatchFailure", false, true, true},
      {"a Task whose Parameters call a failing intrinsic",
       R"J("Type": "Task", "Resource": "echo", "Parameters": {"v.$": "States.ArrayGetItem($.a, 5)"})J",
       R"({"a": []})", "States.IntrinsicFailure", false, true, true},
      {"a Task whose ResultSelector calls a failing intrinsic",
       R"J("Type": "Task", "Resource": "echo", "ResultSelector": {"v.$": "States.MathAdd($.s, 1)"})J",
       R"({"s": "x"})", "States.IntrinsicFailure", false, true, true},
      {"a Task whose runner reports States.Runtime",
       R"("Type": "Task", "Resource": "fail:States.Runtime")", "{}", "States.Runtime", true, false,
       true},
      {"a Pass whose ResultPath cannot be applied", R"("Type": "Pass", "ResultPath": "$.s.x")",
       R"({"s": 1})", "States.ResultPathMatchFailure", false, true, false},
      {"a Pass whose Parameters call a failing intrinsic",
       R"J("Type": "Pass", "Parameters": {"v.$": "States.StringToJson($.s)"})J", R"({"s": "{bad"})",
       "States.IntrinsicFailure", false, true, false},
      {"a Pass whose InputPath matches nothing", R"("Type": "Pass", "InputPath": "$.missing")",
       "{}", "States.Runtime", false, false, false},
      {"a Pass whose output is over 256 KiB",
       R"("Type": "Pass", "Result": ")" + std::string(270 * 1024, 'x') + "\"", "{}",
       "States.DataLimitExceeded", false, false, false},
      {"a Choice with no matching rule",
       R"("Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Never"}])",
       R"({"n": 2})", "States.NoChoiceMatched", false, true, false},
      {"a Fail state with a custom error",
       R"("Type": "Fail", "Error": "Boom", "Cause": "it went boom")", "{}", "Boom", false, true,
       false},
      {"a Fail state whose CausePath calls a failing intrinsic",
       R"J("Type": "Fail", "Error": "E", "CausePath": "States.ArrayGetItem($.a, 1)")J",
       R"({"a": []})", "States.IntrinsicFailure", false, true, false},
      {"a JSONata Fail state whose Error is not a string",
       R"("Type": "Fail", "QueryLanguage": "JSONata", "Error": "{% 1 + 1 %}")", "{}",
       "States.QueryEvaluationError", false, true, false},
      {"a Map over more failing items than it tolerates",
       R"("Type": "Map", "ItemsPath": "$.items", "ToleratedFailureCount": 0,
          "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Item.Bad"}}})",
       R"({"items": [1]})", "States.ExceedToleratedFailureThreshold", false, true, true},
      {"a Map whose ItemSelector calls a failing intrinsic",
       R"J("Type": "Map", "ItemsPath": "$.items",
          "ItemSelector": {"v.$": "States.Base64Decode($$.Map.Item.Value)"},
          "ItemProcessor": )J" +
           pass_branch,
       R"({"items": ["%%"]})", "States.IntrinsicFailure", false, true, true},
      {"a Map whose ResultPath cannot be applied",
       R"("Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.s.x", "ItemProcessor": )" +
           pass_branch,
       R"({"items": [1], "s": 1})", "States.ResultPathMatchFailure", false, true, true},
      {"a Parallel whose ResultPath cannot be applied",
       R"("Type": "Parallel", "ResultPath": "$.s.x", "Branches": [)" + pass_branch + "]",
       R"({"s": 1})", "States.ResultPathMatchFailure", false, true, true},
      {"a Parallel whose Parameters call a failing intrinsic",
       R"J("Type": "Parallel", "Parameters": {"v.$": "States.ArrayLength($.s)"}, "Branches": [)J" +
           pass_branch + "]",
       R"({"s": 1})", "States.IntrinsicFailure", false, true, true},
  };
}

enum class Place { Direct, InParallel, InMap };
const char* placeName(Place p) {
  return p == Place::Direct       ? "on the state itself"
         : p == Place::InParallel ? "inside a Parallel branch"
                                  : "inside a Map iteration";
}

// "R" as a complete state: Choice and Fail end by themselves; others End, with `handling`
// (Catch/Retry members, possibly empty) when they may carry it.
std::string stateR(const Raiser& r, const std::string& handling) {
  std::string s = "{" + r.state;
  if (!r.state.starts_with(R"("Type": "Choice")") && !r.state.starts_with(R"("Type": "Fail")"))
    s += ", \"End\": true";
  if (!handling.empty()) s += ", " + handling;
  return s + "}";
}

// A machine that raises `r` at `place`, with `handling` on the state that catches there: R
// itself, the Parallel around R's branch, or the Map around R's iteration. Caught errors go to
// "Caught", whose output is the error output {"Error", "Cause"}.
std::string machine(const Raiser& r, Place place, const std::string& handling) {
  // A Choice's rule needs a target; nothing else may be unreachable.
  const std::string never =
      r.state.starts_with(R"("Type": "Choice")") ? R"(, "Never": {"Type": "Succeed"})" : "";
  if (place == Place::Direct)
    return R"({"StartAt": "R", "States": {"R": )" + stateR(r, handling) + never +
           (handling.empty() ? "" : R"(, "Caught": {"Type": "Pass", "End": true})") + "}}";
  std::string inner = R"({"StartAt": "R", "States": {"R": )" + stateR(r, "") + never + "}}";
  std::string outer = place == Place::InParallel
                          ? R"("Type": "Parallel", "Branches": [)" + inner + "]"
                          : R"("Type": "Map", "ItemsPath": "$.items", "ItemProcessor": )" + inner;
  return R"({"StartAt": "O", "States": {"O": {)" + outer + ", \"End\": true, " + handling +
         R"(}, "Caught": {"Type": "Pass", "End": true}}})";
}

std::string inputFor(const Raiser& r, Place place) {
  return place == Place::InMap ? R"({"items": [)" + r.input + "]}" : r.input;
}

// What the rule above says.
bool shouldMatch(const Raiser& r, Place place, const std::string& name) {
  if (!r.catchable) return false;
  if (name == r.error || name == "States.ALL") return true;
  if (name == "States.TaskFailed")
    return r.task && r.error != "States.Timeout" && r.error != "States.HeartbeatTimeout";
  if (name == "States.BranchFailed") return place == Place::InParallel;
  if (name == "States.HeartbeatTimeout") return r.heartbeat;
  return false;
}

const std::vector<std::string> kMatchers = {"States.ALL",
                                            "States.TaskFailed",
                                            "States.BranchFailed",
                                            "States.Timeout",
                                            "States.HeartbeatTimeout",
                                            "States.Permissions",
                                            "States.ResultPathMatchFailure",
                                            "States.NoChoiceMatched",
                                            "States.IntrinsicFailure",
                                            "States.ExceedToleratedFailureThreshold",
                                            "States.QueryEvaluationError",
                                            "States.ParameterPathFailure",
                                            "Task.Custom",
                                            "Boom",
                                            "Unrelated.Error"};

// Runs to the end; a callback Task "callback-fail:<Error>" is answered with SendTaskFailure
// <Error>, any other one waits until its deadline passes.
Outcome runIt(const std::string& def, const std::string& input, FailingRunner& runner) {
  auto m = StateMachine::load(js(def));
  EXPECT_TRUE(m) << m.error().message << "\n" << def.substr(0, 2000);
  if (!m) return Outcome{Status::Aborted, nullptr, "load", "failed", {}};
  ManualClock clock;
  Execution x(*m, js(input), {});
  Outcome o;
  while (x.status() == Status::Running) {
    if (x.wakeAtMs() > clock.nowMillis()) {
      bool answered = false;
      for (const auto& p : x.pendingTasks()) {
        constexpr std::string_view kFail = "callback-fail:";
        if (!p.started || !p.resource.starts_with(kFail)) continue;
        std::string error = p.resource.substr(kFail.size());
        error.resize(error.size() - std::string_view(".waitForTaskToken").size());
        EXPECT_TRUE(x.sendTaskFailure(runner.tokens.at(p.token_digest), error, "cause of " + error,
                                      clock, o.history));
        answered = true;
        break;
      }
      if (!answered) clock.set(x.wakeAtMs());
      continue;
    }
    x.step(runner, clock, o.history);
  }
  o.status = x.status();
  o.output = x.output();
  o.error = x.error();
  o.cause = x.cause();
  return o;
}

TEST(ErrorMatching, EveryReservedNameAgainstEveryRaiserAndPlace) {
  int cells = 0;
  for (const Raiser& r : raisers()) {
    for (Place place : {Place::Direct, Place::InParallel, Place::InMap}) {
      if (place == Place::Direct && !r.has_catch) {
        // Nothing to catch with: the execution fails with the state's error.
        FailingRunner runner;
        auto o = runIt(machine(r, place, ""), inputFor(r, place), runner);
        EXPECT_EQ(o.status, Status::Failed) << r.what;
        EXPECT_EQ(o.error, r.error) << r.what;
        continue;
      }
      for (const std::string& name : kMatchers) {
        SCOPED_TRACE(r.what + ", " + placeName(place) + ", ErrorEquals [\"" + name + "\"]");
        ++cells;
        FailingRunner runner;
        auto o =
            runIt(machine(r, place,
                          R"("Catch": [{"ErrorEquals": [")" + name + R"("], "Next": "Caught"}])"),
                  inputFor(r, place), runner);
        if (shouldMatch(r, place, name)) {
          ASSERT_EQ(o.status, Status::Succeeded) << o.error << ": " << o.cause;
          ASSERT_TRUE(o.output.is_object()) << toJson(o.output);
          // The error output keeps the error's own name, whatever matched it.
          EXPECT_EQ(o.output.at("Error"), json::value(r.error));
        } else {
          EXPECT_EQ(o.status, Status::Failed);
          EXPECT_EQ(o.error, r.error);
        }
      }
    }
  }
  EXPECT_GT(cells, 600);
}

TEST(ErrorMatching, RetryMatchesExactlyAsCatchDoes) {
  // The same function decides a retrier: TaskFailed on a Parallel retries a branch's Task
  // failure, and not a branch's Fail state.
  for (const auto& [resource_state, retried] :
       {std::pair{std::string(R"({"Type": "Task", "Resource": "fail:Task.Custom", "End": true})"),
                  true},
        std::pair{std::string(R"({"Type": "Fail", "Error": "Boom"})"), false}}) {
    FailingRunner runner;
    auto o = runIt(R"({"StartAt": "O", "States": {"O": {"Type": "Parallel", "End": true,
        "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2, "IntervalSeconds": 1}],
        "Branches": [{"StartAt": "R", "States": {"R": )" +
                       resource_state + R"(}}]}}})",
                   "{}", runner);
    EXPECT_EQ(o.status, Status::Failed) << resource_state;
    int entered = 0;
    for (const auto& e : o.history) entered += e.type == "ParallelStateEntered";
    EXPECT_EQ(entered, 1) << resource_state;  // a retry re-starts the state, not re-enters it
    int started = 0;
    for (const auto& e : o.history) started += e.type == "ParallelStateStarted";
    EXPECT_EQ(started, retried ? 3 : 1) << resource_state;
  }
}

TEST(ErrorMatching, TheIssuesCases) {
  // Catch ["States.TaskFailed"] on a Parallel does not catch a branch's Fail "Boom", nor
  // States.NoChoiceMatched, States.ResultPathMatchFailure, States.IntrinsicFailure raised in a
  // branch; each fails the execution under its own name.
  for (
      const auto& [branch_state, error] : std::vector<std::pair<std::string, std::string>>{
          {R"({"Type": "Fail", "Error": "Boom", "Cause": "c"})", "Boom"},
          {R"({"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1,
                "Next": "X"}]}, "X": {"Type": "Succeed"})",
           "States.NoChoiceMatched"},
          {R"({"Type": "Pass", "ResultPath": "$.n.x", "End": true})",
           "States.ResultPathMatchFailure"},
          {R"J({"Type": "Pass", "Parameters": {"v.$": "States.ArrayGetItem($.a, 3)"}, "End": true})J",
           "States.IntrinsicFailure"}}) {
    FailingRunner runner;
    auto o = runIt(R"({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "C"}],
        "Branches": [{"StartAt": "B", "States": {"B": )" +
                       branch_state + R"(}}]}, "C": {"Type": "Pass", "End": true}}})",
                   R"({"n": 2, "a": []})", runner);
    EXPECT_EQ(o.status, Status::Failed) << error;
    EXPECT_EQ(o.error, error);
  }
}

TEST(ErrorMatching, TaskFailureStaysOneThroughNestedParallelAndMap) {
  // A Task failing inside a Parallel inside a Map iteration: the Map's TaskFailed catches it;
  // the Map's BranchFailed does not (Map iterations are not branches); the inner Parallel's
  // BranchFailed does (its branch failed).
  auto def = [](const std::string& inner_catch, const std::string& map_catch) {
    std::string inner_next = R"("Next": "J")";
    std::string inner_handling = inner_catch.empty() ? ""
                                                     : R"(, "Catch": [{"ErrorEquals": [")" +
                                                           inner_catch + R"("], "Next": "J"}])";
    return R"({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemsPath": "$.items", "Catch": [{"ErrorEquals": [")" +
           map_catch + R"("], "Next": "C"}],
        "ItemProcessor": {"StartAt": "I", "States": {
          "I": {"Type": "Parallel", )" +
           inner_next + inner_handling + R"(, "Branches": [{"StartAt": "T", "States": {
                "T": {"Type": "Task", "Resource": "fail:Lookup.Failed", "End": true}}}]},
          "J": {"Type": "Pass", "Result": "inner caught", "End": true}}}},
      "C": {"Type": "Pass", "End": true}}})";
  };
  FailingRunner r1;
  auto caught = runIt(def("", "States.TaskFailed"), R"({"items": [1]})", r1);
  ASSERT_EQ(caught.status, Status::Succeeded) << caught.error;
  EXPECT_EQ(caught.output.at("Error"), json::value("Lookup.Failed"));
  FailingRunner r2;
  auto missed = runIt(def("", "States.BranchFailed"), R"({"items": [1]})", r2);
  EXPECT_EQ(missed.status, Status::Failed);
  EXPECT_EQ(missed.error, "Lookup.Failed");
  FailingRunner r3;
  auto inner = runIt(def("States.BranchFailed", "Unrelated"), R"({"items": [1]})", r3);
  ASSERT_EQ(inner.status, Status::Succeeded) << inner.error;
  EXPECT_EQ(inner.output, js(R"(["inner caught"])"));
  FailingRunner r4;
  auto inner_task = runIt(def("States.TaskFailed", "Unrelated"), R"({"items": [1]})", r4);
  ASSERT_EQ(inner_task.status, Status::Succeeded) << inner_task.error;
  EXPECT_EQ(inner_task.output, js(R"(["inner caught"])"));
}

}  // namespace
}  // namespace riposte::asl
