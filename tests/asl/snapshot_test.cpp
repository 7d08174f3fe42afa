// Durability: a snapshot taken after any step lets restore() continue exactly there.
#include <gtest/gtest.h>

#include <set>

#include "asl_test_util.h"

namespace riposte::asl {
namespace {
using testing::js;
using testing::load;
using testing::ScriptedRunner;
using testing::types;

const char* kComplex = R"({"StartAt": "Prepare", "States": {
  "Prepare": {"Type": "Pass", "Parameters": {"ids.$": "$.ids", "tag": "q"}, "Next": "Isolate"},
  "Isolate": {"Type": "Task", "Resource": "flaky", "ResultPath": "$.isolated", "Next": "Fan",
              "Retry": [{"ErrorEquals": ["Throttled"], "IntervalSeconds": 2, "MaxAttempts": 3}]},
  "Fan": {"Type": "Parallel", "ResultPath": "$.par", "Next": "Each", "Branches": [
     {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "Next": "T1"},
                                   "T1": {"Type": "Task", "Resource": "echo", "End": true}}},
     {"StartAt": "T2", "States": {"T2": {"Type": "Task", "Resource": "echo", "End": true}}}]},
  "Each": {"Type": "Map", "ItemsPath": "$.ids", "MaxConcurrency": 2, "ResultPath": "$.each",
           "Next": "Check", "ItemProcessor": {"StartAt": "Snap", "States": {
             "Snap": {"Type": "Task", "Resource": "item", "Next": "Pause"},
             "Pause": {"Type": "Wait", "Seconds": 1, "End": true}}}},
  "Check": {"Type": "Choice", "Choices": [{"Variable": "$.each[0].n", "NumericEquals": 1,
            "Next": "Done"}], "Default": "Bad"},
  "Bad": {"Type": "Fail", "Error": "Bad"},
  "Done": {"Type": "Succeed"}}})";

// Deterministic runner: "flaky" fails twice, "item" returns a counter per id.
struct Runner final : TaskRunner {
  int flaky = 0;
  std::map<std::string, int> item_calls;
  TaskResult run(const TaskRequest& req) override {
    if (req.resource == "flaky")
      return ++flaky <= 2 ? ScriptedRunner::err("Throttled")
                          : ScriptedRunner::ok(json::value(true));
    if (req.resource == "item") {
      std::string id = toJson(req.parameters);
      int n = ++item_calls[id];
      json::object o;
      o["id"] = req.parameters;
      o["n"] = n;
      return ScriptedRunner::ok(json::value(std::move(o)));
    }
    return ScriptedRunner::ok(req.parameters);
  }
};

struct Trace {
  Status status;
  json::value output;
  std::vector<HistoryEvent> history;
};

void drive(Execution& x, TaskRunner& r, ManualClock& clock, std::vector<HistoryEvent>& h) {
  while (x.status() == Status::Running) {
    x.step(r, clock, h);
    if (x.wakeAtMs() > clock.nowMillis()) clock.set(x.wakeAtMs());
  }
}

TEST(Snapshot, RestoreAfterEveryStepGivesTheSameHistory) {
  auto m = load(kComplex);
  json::value input = js(R"({"ids": ["a", "b", "c"]})");
  Runner ref_runner;
  ManualClock ref_clock(1'000'000);
  Execution ref(m, input, {"exec-1", "exec-1", "pb", 0});
  std::vector<HistoryEvent> ref_h;
  drive(ref, ref_runner, ref_clock, ref_h);
  ASSERT_EQ(ref.status(), Status::Succeeded) << ref.error() << ref.cause();
  std::size_t total_steps = 0;
  {
    Runner r;
    ManualClock c(1'000'000);
    Execution x(m, input, {"exec-1", "exec-1", "pb", 0});
    std::vector<HistoryEvent> h;
    while (x.status() == Status::Running) {
      x.step(r, c, h);
      ++total_steps;
      if (x.wakeAtMs() > c.nowMillis()) c.set(x.wakeAtMs());
    }
  }
  ASSERT_GT(total_steps, 20u);
  for (std::size_t k = 1; k < total_steps; ++k) {
    Runner r;
    ManualClock c(1'000'000);
    Execution x(m, input, {"exec-1", "exec-1", "pb", 0});
    std::vector<HistoryEvent> h;
    for (std::size_t i = 0; i < k; ++i) {
      x.step(r, c, h);
      if (x.wakeAtMs() > c.nowMillis()) c.set(x.wakeAtMs());
    }
    // "Crash": only the serialized snapshot survives.
    std::string saved = toJson(x.snapshot());
    auto parsed = parseJson(saved, 4096);
    ASSERT_TRUE(parsed);
    auto restored = Execution::restore(m, *parsed);
    ASSERT_TRUE(restored) << restored.error().str();
    Execution y = std::move(*restored);
    EXPECT_EQ(y.lastEventId(), static_cast<int64_t>(h.size()));
    drive(y, r, c, h);
    ASSERT_EQ(y.status(), Status::Succeeded) << "crash after step " << k << ": " << y.error();
    EXPECT_EQ(y.output(), ref.output()) << "crash after step " << k;
    ASSERT_EQ(types(h), types(ref_h)) << "crash after step " << k;
    for (std::size_t i = 0; i < h.size(); ++i) {
      EXPECT_EQ(h[i].id, static_cast<int64_t>(i + 1));
      EXPECT_EQ(h[i].timestamp_ms, ref_h[i].timestamp_ms) << "event " << i << " step " << k;
    }
  }
}

TEST(Snapshot, ScheduledTaskRunsAgainAfterRestore) {
  auto m = load(R"({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "act",
      "Parameters": {"id.$": "$.id"}, "End": true}}})");
  ScriptedRunner r;
  ManualClock c;
  Execution x(m, js(R"({"id": 7})"), {});
  std::vector<HistoryEvent> h;
  x.step(r, c, h);
  ASSERT_EQ(h.back().type, "TaskScheduled");
  json::value snap = x.snapshot();
  x.step(r, c, h);  // the task runs, then the process dies before persisting
  ASSERT_EQ(r.calls.size(), 1u);
  auto y = Execution::restore(m, snap);
  ASSERT_TRUE(y);
  std::vector<HistoryEvent> h2;
  y->step(r, c, h2);
  ASSERT_EQ(r.calls.size(), 2u);  // scheduled but not completed → runs again
  EXPECT_EQ(r.calls[1].parameters, js(R"({"id": 7})"));
  EXPECT_EQ(y->status(), Status::Succeeded);
  EXPECT_EQ(h2.front().id, 4);  // ids continue after ExecutionStarted, Entered, Scheduled
}

TEST(Snapshot, MidMapRestoreDoesNotRerunFinishedIterations) {
  auto m = load(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 3,
      "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "item",
      "End": true}}}, "End": true}}})");
  json::array items;
  for (int i = 0; i < 50; ++i) items.emplace_back(i);
  Runner r;
  ManualClock c;
  Execution x(m, json::value(items), {});
  std::vector<HistoryEvent> h;
  for (int i = 0; i < 60; ++i) x.step(r, c, h);
  int done_before = 0;
  for (const auto& e : h) done_before += e.type == "MapIterationSucceeded";
  ASSERT_GT(done_before, 10);
  auto y = Execution::restore(m, *parseJson(toJson(x.snapshot()), 4096));
  ASSERT_TRUE(y) << y.error().str();
  drive(*y, r, c, h);
  ASSERT_EQ(y->status(), Status::Succeeded);
  ASSERT_EQ(r.item_calls.size(), 50u);
  for (const auto& [id, n] : r.item_calls) EXPECT_EQ(n, 1) << "item " << id << " ran twice";
  ASSERT_EQ(y->output().as_array().size(), 50u);
  EXPECT_EQ(y->output().as_array()[49], js(R"({"id": 49, "n": 1})"));
}

TEST(Snapshot, WaitSurvivesRestartWithItsWakeTime) {
  auto m =
      load(R"({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}})");
  ScriptedRunner r;
  ManualClock c(0);
  Execution x(m, js("{}"), {});
  std::vector<HistoryEvent> h;
  x.step(r, c, h);
  ASSERT_EQ(x.wakeAtMs(), 3'600'000);
  auto y = Execution::restore(m, x.snapshot());
  ASSERT_TRUE(y);
  EXPECT_EQ(y->wakeAtMs(), 3'600'000);
  c.set(3'600'000);
  y->step(r, c, h);
  EXPECT_EQ(y->status(), Status::Succeeded);
}

TEST(Snapshot, FinishedExecutionsRoundTrip) {
  auto m =
      load(R"({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}})");
  ScriptedRunner r;
  ManualClock c;
  Execution x(m, js("{}"), {});
  std::vector<HistoryEvent> h;
  x.step(r, c, h);
  auto y = Execution::restore(m, x.snapshot());
  ASSERT_TRUE(y);
  EXPECT_EQ(y->status(), Status::Failed);
  EXPECT_EQ(y->error(), "E");
  EXPECT_EQ(y->cause(), "C");
  std::vector<HistoryEvent> none;
  y->step(r, c, none);
  EXPECT_TRUE(none.empty());
}

TEST(Snapshot, RestoreRejectsBadSnapshots) {
  auto m =
      load(R"({"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 5, "End": true}}})");
  EXPECT_FALSE(Execution::restore(m, js("[]")));
  EXPECT_FALSE(Execution::restore(m, js(R"({"v": 2})")));
  EXPECT_FALSE(Execution::restore(m, js(R"({"v": 1, "status": "RUNNING", "started": true})")));
  auto bad = Execution::restore(m, js(R"({"v": 1, "status": "RUNNING", "started": true,
      "root": {"s": "Gone", "p": "waiting"}})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "InvalidSnapshot");
  EXPECT_FALSE(Execution::restore(m, js(R"({"v": 1, "status": "RUNNING", "started": true,
      "root": {"s": "A", "p": "children", "kids": [{"i": 0, "run": {"s": "A", "p": "enter"}}]}})")));
}

}  // namespace
}  // namespace riposte::asl

namespace riposte::asl {
namespace {

TEST(Snapshot, MapItemsAreRecomputedOnRestore) {
  auto m = testing::load(R"({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
      "A": {"Type": "Pass", "Assign": {"xs": "{% $states.input.v %}"}, "Next": "M"},
      "M": {"Type": "Map", "Items": "{% $xs %}", "MaxConcurrency": 1,
            "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}", "v": "{% $states.context.Map.Item.Value %}"},
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "End": true}}})");
  testing::ScriptedRunner r;
  ManualClock c;
  json::value input = testing::js(R"({"v": ["a", "b", "c", "d"]})");
  auto ref = runToCompletion(m, input, r, c);
  ASSERT_EQ(ref.status, Status::Succeeded) << ref.cause;
  Execution x(m, input, {});
  std::vector<HistoryEvent> h;
  for (int i = 0; i < 5; ++i) x.step(r, c, h);
  json::value snap = x.snapshot();
  EXPECT_EQ(toJson(snap).find("\"items\""), std::string::npos);  // recomputed, not stored
  auto y = Execution::restore(m, *parseJson(toJson(snap), 4096));
  ASSERT_TRUE(y) << y.error().str();
  while (y->status() == Status::Running) y->step(r, c, h);
  EXPECT_EQ(y->output(), ref.output);
  EXPECT_EQ(y->output(),
            testing::js(R"([{"i":0,"v":"a"},{"i":1,"v":"b"},{"i":2,"v":"c"},{"i":3,"v":"d"}])"));
}

// TaskRequest::scheduled_event_id names one attempt: a restored snapshot runs the scheduled
// Task with the same id (a replay), while a Retry, a loop back and each Map iteration get new
// ones (new attempts). This is what lets the engine run a Task's action exactly once.
TEST(Snapshot, ScheduledEventIdNamesOneAttemptAcrossRestore) {
  auto m = load(R"({"StartAt": "T", "States": {
    "T": {"Type": "Task", "Resource": "flaky", "Next": "Again",
          "Retry": [{"ErrorEquals": ["Throttled"], "IntervalSeconds": 1, "MaxAttempts": 2}]},
    "Again": {"Type": "Choice", "Choices": [{"Variable": "$.loops", "NumericLessThan": 2,
              "Next": "T"}], "Default": "Each"},
    "Each": {"Type": "Map", "ItemsPath": "$.ids", "ItemProcessor": {"StartAt": "I",
             "States": {"I": {"Type": "Task", "Resource": "item", "End": true}}}, "End": true}}})");
  int flaky = 0, loops = 0;
  std::vector<TaskRequest> seen;
  testing::ScriptedRunner r;
  r.fns["flaky"] = [&](const TaskRequest&) {
    if (++flaky == 1) return testing::ScriptedRunner::err("Throttled");
    return testing::ScriptedRunner::ok(
        json::object{{"loops", ++loops}, {"ids", json::array{"a", "b"}}});
  };
  ManualClock c(1'000'000);
  Execution x(m, js("{}"), {"exec-1", "exec-1", "pb", 0});
  std::vector<HistoryEvent> h;
  while (x.status() == Status::Running) {
    // Snapshot right after each TaskScheduled and run the Task from a restored copy first: the
    // copy must ask with the id the original then uses.
    std::size_t before = r.calls.size();
    json::value snap = x.snapshot();
    auto y = Execution::restore(m, *parseJson(toJson(snap), 4096));
    ASSERT_TRUE(y) << y.error().str();
    std::vector<HistoryEvent> yh;
    testing::ScriptedRunner probe;
    probe.fns["flaky"] = [](const TaskRequest&) { return testing::ScriptedRunner::err("X"); };
    y->step(probe, c, yh);
    x.step(r, c, h);
    if (x.wakeAtMs() > c.nowMillis()) c.set(x.wakeAtMs());
    if (r.calls.size() == before + 1) {
      ASSERT_EQ(probe.calls.size(), 1u);
      EXPECT_EQ(probe.calls[0].scheduled_event_id, r.calls.back().scheduled_event_id);
      EXPECT_EQ(probe.calls[0].attempt, r.calls.back().attempt);
    }
  }
  ASSERT_EQ(x.status(), Status::Succeeded) << x.error() << x.cause();
  // T: attempt 0 (Throttled), its retry, then the loop back: three attempts of T; then two Map
  // iterations of I. Every attempt has its own id, the id of its TaskScheduled event.
  ASSERT_EQ(r.calls.size(), 5u);
  std::set<int64_t> ids;
  for (const auto& call : r.calls) {
    EXPECT_GT(call.scheduled_event_id, 0);
    ids.insert(call.scheduled_event_id);
    const HistoryEvent& e = h.at(static_cast<std::size_t>(call.scheduled_event_id - 1));
    EXPECT_EQ(e.id, call.scheduled_event_id);
    EXPECT_EQ(e.type, "TaskScheduled");
    EXPECT_EQ(std::string(e.details.at("name").as_string()), call.state_name);
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(r.calls[0].attempt, 0);
  EXPECT_EQ(r.calls[1].attempt, 1);
  EXPECT_EQ(r.calls[2].attempt, 0);
}

}  // namespace
}  // namespace riposte::asl
