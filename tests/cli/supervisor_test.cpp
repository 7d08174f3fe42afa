// The supervisor: services started in order and stopped in reverse, teardown when a start
// fails, a stop requested from another thread; signals taken on the signal thread.
#include "cli/supervisor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <stdexcept>

namespace riposte::cli {
namespace {

struct Journal {
  std::mutex mu;
  std::vector<std::string> lines;
  void add(std::string s) {
    std::lock_guard lk(mu);
    lines.push_back(std::move(s));
  }
};

std::unique_ptr<Service> recorded(Journal& j, const std::string& name,
                                  std::function<Result<void>()> start = {}) {
  return makeService(
      name,
      [&j, name, start]() -> Result<void> {
        if (start) {
          auto r = start();
          if (!r) return r;
        }
        j.add("start " + name);
        return {};
      },
      [&j, name] { j.add("stop " + name); });
}

using Lines = std::vector<std::string>;

TEST(Supervisor, StartsInOrderAndStopsInReverse) {
  Journal j;
  {
    Supervisor s;
    for (const char* n : {"store", "engine", "sinks", "pollers", "http"}) s.add(recorded(j, n));
    ASSERT_TRUE(s.start());
    EXPECT_EQ(j.lines,
              (Lines{"start store", "start engine", "start sinks", "start pollers", "start http"}));
    s.stop();
    s.stop();  // idempotent
  }            // and the destructor stops nothing twice
  EXPECT_EQ(j.lines,
            (Lines{"start store", "start engine", "start sinks", "start pollers", "start http",
                   "stop http", "stop pollers", "stop sinks", "stop engine", "stop store"}));
}

TEST(Supervisor, AFailedStartStopsWhatStartedInReverse) {
  Journal j;
  Supervisor s;
  s.add(recorded(j, "store"));
  s.add(recorded(j, "engine"));
  s.add(recorded(j, "http", [] { return Result<void>(fail("ListenFailed", "port in use")); }));
  s.add(recorded(j, "never"));
  auto r = s.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ListenFailed");
  EXPECT_EQ(r.error().message, "http: port in use");
  // The failed service is not stopped (it released what it took), the later one never ran.
  EXPECT_EQ(j.lines, (Lines{"start store", "start engine", "stop engine", "stop store"}));
  s.stop();
  EXPECT_EQ(j.lines.size(), 4u);
}

TEST(Supervisor, AnExceptionInAStartIsAFailedStart) {
  Journal j;
  Supervisor s;
  s.add(recorded(j, "store"));
  s.add(recorded(j, "engine", []() -> Result<void> { throw std::runtime_error("boom"); }));
  auto r = s.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "engine: boom");
  EXPECT_EQ(j.lines, (Lines{"start store", "stop store"}));
}

TEST(Supervisor, WaitReturnsTheFirstStopRequestFromAnotherThread) {
  Supervisor s;
  auto waiting = std::async(std::launch::async, [&] { return s.wait(); });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  std::thread([&] {
    s.requestStop("SIGTERM");
    s.requestStop("SIGINT");
  }).join();
  EXPECT_EQ(waiting.get(), "SIGTERM");
  EXPECT_EQ(s.wait(), "SIGTERM");  // already requested: returns at once
}

// A process-directed signal, blocked by the watcher in this (the only) thread, is taken by the
// watcher's thread and handed to the callback there; one that comes before start() waits.
TEST(SignalWatcher, DeliversSignalsOnItsOwnThread) {
  SignalWatcher w({SIGHUP, SIGTERM});
  ASSERT_EQ(kill(getpid(), SIGHUP), 0);  // pending until the watcher runs
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> got;
  std::vector<std::thread::id> on;
  ASSERT_TRUE(w.start([&](int sig) {
    std::lock_guard lk(mu);
    got.push_back(sig);
    on.push_back(std::this_thread::get_id());
    cv.notify_all();
  }));
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(5), [&] { return got.size() == 1; }));
  }
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(5), [&] { return got.size() == 2; }));
  }
  w.stop();
  EXPECT_EQ(got, (std::vector<int>{SIGHUP, SIGTERM}));
  EXPECT_NE(on[0], std::this_thread::get_id());
  EXPECT_EQ(signalName(SIGHUP), "SIGHUP");
  EXPECT_EQ(signalName(SIGTERM), "SIGTERM");
}

}  // namespace
}  // namespace riposte::cli
