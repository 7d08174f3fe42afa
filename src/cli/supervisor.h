#pragma once
// Starting and stopping a long-running process in order (STYLE.md item 9): services with
// start/stop, started in the order they were added and stopped in reverse, with teardown
// guaranteed when a start fails; and signals received on a dedicated thread, not in a handler.
//
//   SignalWatcher signals({SIGHUP, SIGINT, SIGTERM});  // first, before any thread starts
//   Supervisor sup;
//   sup.add(makeService("store", [&] { return openIt(); }, [&] { closeIt(); }));
//   sup.add(...);                                    // engine, sinks, pollers, HTTP
//   if (auto r = sup.start(); !r) return 1;          // whatever started is stopped again
//   signals.start([&](int sig) {
//     if (sig == SIGHUP) reload(); else sup.requestStop(signalName(sig));
//   });
//   sup.wait();                                      // until requestStop()
//   signals.stop();
//   sup.stop();                                      // reverse order

#include <condition_variable>
#include <csignal>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"

namespace riposte::cli {

// One part of the process that runs between start() and stop().
class Service {
 public:
  virtual ~Service() = default;
  virtual const std::string& name() const = 0;
  // Starts the service. On error the service has released whatever it took (it is not stopped
  // afterwards). Exceptions are treated as an error by the Supervisor.
  virtual Result<void> start() = 0;
  // Stops what start() started. Called once, only after a successful start(); must not throw.
  virtual void stop() = 0;
};

// A Service made of two functions.
std::unique_ptr<Service> makeService(std::string name, std::function<Result<void>()> start,
                                     std::function<void()> stop);

// Owns services, starts them in order and stops them in reverse. Thread-safety: add(),
// start() and stop() from one thread (the main one); requestStop() from any thread (a signal
// thread, a failing service's own thread); wait() from the main thread.
class Supervisor {
 public:
  Supervisor() = default;
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  ~Supervisor();  // stop()

  void add(std::unique_ptr<Service> service);

  // Starts every service in order, each logged ("service started"). When one fails (an error
  // or an exception) the ones already started are stopped in reverse order and the error is
  // returned, naming the service: "<name>: <message>".
  Result<void> start();
  // Stops the started services in reverse order, each logged. Idempotent.
  void stop();

  // Asks wait() to return; `reason` is logged and returned by wait(). The first reason wins.
  void requestStop(const std::string& reason);
  // Blocks until requestStop() (immediately when it already happened). Returns its reason.
  std::string wait();

 private:
  std::vector<std::unique_ptr<Service>> services_;
  std::size_t started_ = 0;  // services_[0, started_) are running
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
  std::string stop_reason_;
};

// Receives signals on a dedicated thread (signalfd), never in a signal handler, so what a
// signal triggers (a reload, a stop) runs as ordinary code.
//
// The constructor blocks `signals` in the calling thread; threads started afterwards inherit
// that mask, so no other thread takes them: construct it first in main(), before any thread
// starts. Signals arriving before start() stay pending and are delivered once it runs.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::vector<int> signals);
  ~SignalWatcher();  // stop(); the calling thread's previous mask is restored
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Starts the thread: every signal received calls `on_signal(signo)` on it, one at a time.
  Result<void> start(std::function<void(int)> on_signal);
  // Stops and joins the thread (not from `on_signal` itself). Idempotent.
  void stop();

 private:
  void loop();

  sigset_t set_{};
  sigset_t old_{};
  int signal_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop() writes it
  std::function<void(int)> on_signal_;
  std::thread thread_;
};

// "SIGTERM", "SIGHUP", … ("signal N" for others).
std::string signalName(int signo);

}  // namespace riposte::cli
