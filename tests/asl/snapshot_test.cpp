// Durability: a snapshot taken after any step lets restore() continue exactly there.
#include <gtest/gtest.h>

#include <iostream>
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

// --- incremental snapshots ---------------------------------------------------------------------
namespace riposte::asl {
namespace {
using testing::js;
using testing::load;
using testing::ScriptedRunner;
using testing::types;

// What the engine would persist: every step's snapshot and the blobs handed out with it.
struct PersistedBlobs {
  std::vector<SnapshotBlob> blobs;  // in the order they were handed out
  std::map<std::string, std::size_t, std::less<>> index;
  std::size_t bytes = 0;
  void add(const std::vector<SnapshotBlob>& bs) {
    for (const auto& b : bs) {
      EXPECT_TRUE(index.emplace(b.id, blobs.size()).second) << "blob handed out twice: " << b.id;
      bytes += b.json.size();
      blobs.push_back(b);
    }
  }
  // The blobs persisted by the time `count` of them had been handed out.
  BlobLookup upTo(std::size_t count) const {
    return [this, count](std::string_view id) -> std::optional<std::string> {
      auto it = index.find(id);
      if (it == index.end() || it->second >= count) return std::nullopt;
      return blobs[it->second].json;
    };
  }
  BlobLookup all() const { return upTo(blobs.size()); }
};

// Persists one step: returns the serialized snapshot (what executions.snapshot would hold).
std::string persist(Execution& x, PersistedBlobs& store) {
  IncrementalSnapshot s = x.snapshotIncremental();
  store.add(s.blobs);
  return toJson(s.snapshot);
}

Execution restoreFrom(const std::shared_ptr<const StateMachine>& m, const std::string& text,
                      const BlobLookup& blobs) {
  auto parsed = parseJson(text, 4096);
  EXPECT_TRUE(parsed);
  auto y = Execution::restore(m, *parsed, blobs);
  EXPECT_TRUE(y) << y.error().str();
  return std::move(*y);
}

TEST(IncrementalSnapshot, RestoreAfterEveryStepGivesTheSameHistory) {
  // kComplex with an input large enough that the execution input and the Parallel's and the
  // Map's inputs become blobs.
  std::string def = kComplex;
  const std::string keep = R"("tag": "q")";
  def.replace(def.find(keep), keep.size(), keep + R"(, "pad.$": "$.pad")");
  auto m = load(def);
  json::value input = js(R"({"ids": ["a", "b", "c"]})");
  input.as_object()["pad"] = std::string(3000, 'p');
  Runner ref_runner;
  ManualClock ref_clock(1'000'000);
  Execution ref(m, input, {"exec-1", "exec-1", "pb", 0});
  std::vector<HistoryEvent> ref_h;
  drive(ref, ref_runner, ref_clock, ref_h);
  ASSERT_EQ(ref.status(), Status::Succeeded) << ref.error() << ref.cause();
  std::size_t total_steps = 0, max_blobs = 0;
  for (std::size_t k = 1;; ++k) {
    Runner r;
    ManualClock c(1'000'000);
    Execution x(m, input, {"exec-1", "exec-1", "pb", 0});
    std::vector<HistoryEvent> h;
    PersistedBlobs store;
    std::string saved;
    for (std::size_t i = 0; i < k && x.status() == Status::Running; ++i) {
      x.step(r, c, h);
      saved = persist(x, store);  // after every step, as the engine does
      if (x.wakeAtMs() > c.nowMillis()) c.set(x.wakeAtMs());
    }
    if (x.status() != Status::Running) {
      total_steps = k - 1;
      break;
    }
    max_blobs = std::max(max_blobs, store.blobs.size());
    // "Crash": only what was persisted survives.
    Execution y = restoreFrom(m, saved, store.all());
    EXPECT_EQ(y.lastEventId(), static_cast<int64_t>(h.size()));
    while (y.status() == Status::Running) {
      y.step(r, c, h);
      persist(y, store);  // continuing hands out only new blob ids
      if (y.wakeAtMs() > c.nowMillis()) c.set(y.wakeAtMs());
    }
    ASSERT_EQ(y.status(), Status::Succeeded) << "crash after step " << k << ": " << y.error();
    EXPECT_EQ(y.output(), ref.output()) << "crash after step " << k;
    ASSERT_EQ(types(h), types(ref_h)) << "crash after step " << k;
    for (std::size_t i = 0; i < h.size(); ++i)
      EXPECT_EQ(h[i].timestamp_ms, ref_h[i].timestamp_ms) << "event " << i << " step " << k;
  }
  EXPECT_GT(total_steps, 20u);
  // The execution input, then the Parallel's input and the Map's (which differs: it has the
  // Parallel's result).
  EXPECT_GE(max_blobs, 3u);
}

// A Map over `n` items whose processor runs a Task and a Pass; items divisible by 97 fail and
// are tolerated, so some results are error objects.
const char* kBigMap = R"({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
    "MaxConcurrency": 10, "ToleratedFailureCount": 100, "ResultPath": "$.out", "End": true,
    "ItemProcessor": {"StartAt": "T", "States": {
      "T": {"Type": "Task", "Resource": "item", "Next": "P"},
      "P": {"Type": "Pass", "Parameters": {"id.$": "$.id", "done": true}, "End": true}}}}}})";

// Answers "item" with {"id": item} (item 97k fails); records which items it ran.
struct ItemRunner final : TaskRunner {
  std::vector<int64_t> ran;
  TaskResult run(const TaskRequest& req) override {
    int64_t id = req.parameters.as_int64();
    ran.push_back(id);
    if (id % 97 == 0) return ScriptedRunner::err("Item.Bad", "item " + std::to_string(id));
    json::object o;
    o["id"] = id;
    return ScriptedRunner::ok(json::value(std::move(o)));
  }
};

TEST(IncrementalSnapshot, LargeMapRestoredMidwayKeepsItsResults) {
  constexpr int kItems = 1000;
  auto m = load(kBigMap);
  json::object in;
  json::array items;
  for (int i = 0; i < kItems; ++i) items.emplace_back(i);
  in["items"] = std::move(items);
  in["pad"] = std::string(2000, 'p');
  json::value input(std::move(in));

  ItemRunner ref_runner;
  ManualClock ref_clock(5'000);
  Execution ref(m, input, {"exec-1", "exec-1", "pb", 0});
  std::vector<HistoryEvent> ref_h;
  drive(ref, ref_runner, ref_clock, ref_h);
  ASSERT_EQ(ref.status(), Status::Succeeded) << ref.error() << ref.cause();
  const auto& out = ref.output().at("out").as_array();
  ASSERT_EQ(out.size(), static_cast<std::size_t>(kItems));
  EXPECT_EQ(out[97], js(R"({"Error": "Item.Bad", "Cause": "item 97"})"));
  EXPECT_EQ(out[998], js(R"({"id": 998, "done": true})"));

  // One uninterrupted pass that persists after every step, remembering what the store held
  // after each step.
  struct Persisted {
    std::string snapshot;
    std::size_t blobs, events, ran;
  };
  std::vector<Persisted> after;
  PersistedBlobs store;
  ItemRunner runner;
  ManualClock clock(5'000);
  Execution x(m, input, {"exec-1", "exec-1", "pb", 0});
  std::vector<HistoryEvent> h;
  std::size_t max_snapshot = 0;
  while (x.status() == Status::Running) {
    x.step(runner, clock, h);
    std::string s = persist(x, store);
    if (x.status() == Status::Running) max_snapshot = std::max(max_snapshot, s.size());
    after.push_back({std::move(s), store.blobs.size(), h.size(), runner.ran.size()});
    if (x.wakeAtMs() > clock.nowMillis()) clock.set(x.wakeAtMs());
  }
  ASSERT_EQ(x.output(), ref.output());
  ASSERT_GT(after.size(), 2500u);
  // The input once (the Map's input and effective input are the same value), and the results
  // in 7 sealed chunks of 128 (the last, partial one is never sealed: the Map ends first).
  EXPECT_EQ(store.blobs.size(), 8u);
  // While the Map runs, never more than the open iterations and a chunk's worth of results.
  EXPECT_LT(max_snapshot, 12'000u);

  // Crash after many different steps: restore what was persisted, run to the end.
  for (std::size_t k = 0; k < after.size() - 1; k += 53) {
    const Persisted& p = after[k];
    Execution y = restoreFrom(m, p.snapshot, store.upTo(p.blobs));
    EXPECT_EQ(y.lastEventId(), static_cast<int64_t>(p.events));
    ItemRunner rest;
    ManualClock c(h[p.events - 1].timestamp_ms);
    if (y.wakeAtMs() > c.nowMillis()) c.set(y.wakeAtMs());
    std::vector<HistoryEvent> tail(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(p.events));
    drive(y, rest, c, tail);
    ASSERT_EQ(y.status(), Status::Succeeded) << "crash after step " << k + 1 << ": " << y.cause();
    ASSERT_EQ(y.output(), ref.output()) << "crash after step " << k + 1;
    ASSERT_EQ(types(tail), types(ref_h)) << "crash after step " << k + 1;
    // Every item ran exactly once: before the crash or after it, never both.
    std::vector<int64_t> all(runner.ran.begin(),
                             runner.ran.begin() + static_cast<std::ptrdiff_t>(p.ran));
    all.insert(all.end(), rest.ran.begin(), rest.ran.end());
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kItems)) << "crash after step " << k + 1;
    for (int i = 0; i < kItems; ++i) ASSERT_EQ(all[static_cast<std::size_t>(i)], i);
  }
}

TEST(IncrementalSnapshot, PerStepSizeDoesNotGrowWithTheItems) {
  // The benchmark's Map (one Pass per item, 40 open iterations): the self-contained snapshot
  // grows with the items and the results so far; the incremental one does not. (The last step,
  // which ends the execution, writes its output once either way.)
  auto m = load(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
      "End": true}}})");
  auto maxPerStep = [&](int n, bool incremental) {
    json::object in;
    json::array items;
    for (int i = 0; i < n; ++i) items.emplace_back(i);
    in["items"] = std::move(items);
    ScriptedRunner r;
    ManualClock c;
    Execution x(m, json::value(std::move(in)), {"e", "e", "pb", 0});
    std::vector<HistoryEvent> h;
    PersistedBlobs store;
    std::size_t biggest = 0, steps = 0;
    while (x.status() == Status::Running) {
      x.step(r, c, h);
      if (!incremental && ++steps % 500 != 0) continue;  // (sampled: it is slow)
      std::size_t size = incremental ? persist(x, store).size() : toJson(x.snapshot()).size();
      if (x.status() == Status::Running) biggest = std::max(biggest, size);
    }
    EXPECT_EQ(x.output().as_array().size(), static_cast<std::size_t>(n));
    return biggest;
  };
  std::size_t inc_1k = maxPerStep(1000, true), inc_10k = maxPerStep(10000, true);
  std::size_t full_10k = maxPerStep(10000, false);
  EXPECT_GT(full_10k, 100'000u);
  EXPECT_LT(inc_10k, 12'000u);
  // From 1,000 to 10,000 items only the list of sealed chunk ids grows (~7 bytes a chunk).
  EXPECT_LT(inc_10k, inc_1k + 1'000u);
  std::cout << "[snapshot] largest per-step snapshot while the Map runs: incremental " << inc_1k
            << " B (1,000 items), " << inc_10k << " B (10,000 items); self-contained " << full_10k
            << " B (10,000 items)\n";
}

TEST(IncrementalSnapshot, NeedsItsBlobs) {
  auto m = load(kBigMap);
  json::object in;
  json::array items;
  for (int i = 0; i < 300; ++i) items.emplace_back(i);
  in["items"] = std::move(items);
  ItemRunner r;
  ManualClock c;
  Execution x(m, json::value(std::move(in)), {});
  std::vector<HistoryEvent> h;
  PersistedBlobs store;
  std::string saved;
  for (int i = 0; i < 600; ++i) {
    x.step(r, c, h);
    saved = persist(x, store);
  }
  ASSERT_EQ(x.status(), Status::Running);
  ASSERT_GE(store.blobs.size(), 2u);  // the input and at least one chunk of results
  auto parsed = parseJson(saved, 4096);
  ASSERT_TRUE(parsed);
  auto none = Execution::restore(m, *parsed);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "InvalidSnapshot");
  EXPECT_NE(none.error().message.find("needs its blobs"), std::string::npos);
  auto missing = Execution::restore(m, *parsed, store.upTo(store.blobs.size() - 1));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("was not found"), std::string::npos);
  auto corrupt = Execution::restore(
      m, *parsed, [](std::string_view) { return std::optional<std::string>("{not json"); });
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code, "InvalidSnapshot");
  // The self-contained form of the same point restores without any blobs, and so does an
  // execution restored from the incremental form.
  Execution y = restoreFrom(m, saved, store.all());
  auto full = Execution::restore(m, *parseJson(toJson(y.snapshot()), 4096));
  ASSERT_TRUE(full) << full.error().str();
  EXPECT_EQ(full->lastEventId(), x.lastEventId());
}

TEST(IncrementalSnapshot, AFinishedExecutionNeedsNoBlobs) {
  // Once the execution has ended its blobs can be deleted: the last snapshot is self-contained.
  auto m = load(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
      "End": true}}})");
  json::object in;
  json::array items;
  for (int i = 0; i < 500; ++i) items.emplace_back(i);
  in["items"] = std::move(items);
  json::value input(std::move(in));
  ScriptedRunner r;
  ManualClock c;
  Execution x(m, input, {});
  std::vector<HistoryEvent> h;
  PersistedBlobs store;
  std::string saved;
  while (x.status() == Status::Running) {
    x.step(r, c, h);
    saved = persist(x, store);
  }
  ASSERT_GE(store.blobs.size(), 4u);
  auto y = Execution::restore(m, *parseJson(saved, 4096));
  ASSERT_TRUE(y) << y.error().str();
  EXPECT_EQ(y->status(), Status::Succeeded);
  EXPECT_EQ(y->output(), input.at("items"));
  EXPECT_EQ(y->lastEventId(), x.lastEventId());
}

TEST(IncrementalSnapshot, ContinuesFromASelfContainedSnapshot) {
  // An execution persisted with snapshot() (as the engine does today) and restored switches to
  // incremental snapshots mid-Map; both restores give the uninterrupted output.
  auto m = load(kBigMap);
  json::object in;
  json::array items;
  for (int i = 0; i < 400; ++i) items.emplace_back(i);
  in["items"] = std::move(items);
  json::value input(std::move(in));
  ItemRunner ref_runner;
  ManualClock ref_clock;
  auto ref = runToCompletion(m, input, ref_runner, ref_clock, {"e", "e", "pb", 0});
  ASSERT_EQ(ref.status, Status::Succeeded);

  ItemRunner r;
  ManualClock c;
  Execution x(m, input, {"e", "e", "pb", 0});
  std::vector<HistoryEvent> h;
  for (int i = 0; i < 500; ++i) x.step(r, c, h);
  Execution y = restoreFrom(m, toJson(x.snapshot()), {});
  PersistedBlobs store;
  std::string saved;
  for (int i = 0; i < 500; ++i) {
    y.step(r, c, h);
    saved = persist(y, store);
  }
  ASSERT_EQ(y.status(), Status::Running);
  Execution z = restoreFrom(m, saved, store.all());
  while (z.status() == Status::Running) {
    z.step(r, c, h);
    persist(z, store);
  }
  EXPECT_EQ(z.output(), ref.output);
  EXPECT_EQ(types(h), types(ref.history));
  EXPECT_EQ(r.ran.size(), 400u);
}

}  // namespace
}  // namespace riposte::asl
