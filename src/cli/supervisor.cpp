#include "cli/supervisor.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "core/log.h"

namespace riposte::cli {

namespace {

class FunctionService final : public Service {
 public:
  FunctionService(std::string name, std::function<Result<void>()> start, std::function<void()> stop)
      : name_(std::move(name)), start_(std::move(start)), stop_(std::move(stop)) {}
  const std::string& name() const override { return name_; }
  Result<void> start() override { return start_ ? start_() : Result<void>{}; }
  void stop() override {
    if (stop_) stop_();
  }

 private:
  std::string name_;
  std::function<Result<void>()> start_;
  std::function<void()> stop_;
};

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

std::unique_ptr<Service> makeService(std::string name, std::function<Result<void>()> start,
                                     std::function<void()> stop) {
  return std::make_unique<FunctionService>(std::move(name), std::move(start), std::move(stop));
}

// ---------------------------------------------------------------- Supervisor

Supervisor::~Supervisor() {
  stop();
}

void Supervisor::add(std::unique_ptr<Service> service) {
  services_.push_back(std::move(service));
}

Result<void> Supervisor::start() {
  while (started_ < services_.size()) {
    Service& s = *services_[started_];
    Result<void> r;
    try {
      r = s.start();
    } catch (const std::exception& e) {
      r = fail("StartFailed", e.what());
    } catch (...) {
      r = fail("StartFailed", "unknown exception");
    }
    if (!r) {
      logError("service failed to start", {{"service", s.name()}, {"error", r.error().str()}});
      stop();
      return fail(r.error().code, s.name() + ": " + r.error().message);
    }
    logInfo("service started", {{"service", s.name()}});
    ++started_;
  }
  return {};
}

void Supervisor::stop() {
  while (started_ > 0) {
    Service& s = *services_[--started_];
    s.stop();
    logInfo("service stopped", {{"service", s.name()}});
  }
}

void Supervisor::requestStop(const std::string& reason) {
  {
    std::lock_guard lk(mu_);
    if (stop_requested_) return;
    stop_requested_ = true;
    stop_reason_ = reason;
  }
  cv_.notify_all();
}

std::string Supervisor::wait() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [this] { return stop_requested_; });
  return stop_reason_;
}

// ---------------------------------------------------------------- SignalWatcher

SignalWatcher::SignalWatcher(std::vector<int> signals) {
  sigemptyset(&set_);
  for (int s : signals) sigaddset(&set_, s);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
}

SignalWatcher::~SignalWatcher() {
  stop();
  if (signal_fd_ >= 0) close(signal_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

Result<void> SignalWatcher::start(std::function<void(int)> on_signal) {
  if (thread_.joinable()) return fail("AlreadyStarted", "the signal thread is running");
  if (signal_fd_ < 0) signal_fd_ = signalfd(-1, &set_, SFD_CLOEXEC);
  if (signal_fd_ < 0) return fail("SignalSetupFailed", errnoText("signalfd"));
  if (wake_fd_ < 0) wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return fail("SignalSetupFailed", errnoText("eventfd"));
  on_signal_ = std::move(on_signal);
  thread_ = std::thread([this] { loop(); });
  return {};
}

void SignalWatcher::stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof one) != static_cast<ssize_t>(sizeof one)) {
    logError("cannot wake the signal thread", {{"error", errnoText("write")}});
  }
  thread_.join();
  uint64_t drained = 0;
  (void)!read(wake_fd_, &drained, sizeof drained);
}

void SignalWatcher::loop() {
  pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      logError("signal thread stopped", {{"error", errnoText("poll")}});
      return;
    }
    if (fds[1].revents & POLLIN) return;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      ssize_t got = read(signal_fd_, &info, sizeof info);
      if (got != static_cast<ssize_t>(sizeof info)) continue;
      on_signal_(static_cast<int>(info.ssi_signo));
    }
  }
}

std::string signalName(int signo) {
  switch (signo) {
    case SIGHUP:
      return "SIGHUP";
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGQUIT:
      return "SIGQUIT";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGUSR2:
      return "SIGUSR2";
    default:
      return "signal " + std::to_string(signo);
  }
}

}  // namespace riposte::cli
