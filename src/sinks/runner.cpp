#include "sinks/runner.h"

#include <algorithm>

#include "core/log.h"

namespace riposte::sinks {

std::chrono::milliseconds backoffFor(int64_t failures, const SinkRunnerOptions& opts) {
  if (failures <= 0) return std::chrono::milliseconds(0);
  int64_t ms = opts.initial_backoff.count();
  const int64_t cap = opts.max_backoff.count();
  for (int64_t i = 1; i < failures && ms < cap; ++i) ms *= 2;
  return std::chrono::milliseconds(std::min(ms, cap));
}

SinkRunner::SinkRunner(std::shared_ptr<store::Store> store, std::unique_ptr<Sink> sink,
                       SinkRunnerOptions opts)
    : store_(std::move(store)), sink_(std::move(sink)), opts_(opts) {
  opts_.batch_size = std::max(1, opts_.batch_size);
}

SinkRunner::~SinkRunner() {
  stop();
}

void SinkRunner::noteFailure(const Error& e) {
  std::lock_guard lock(mu_);
  ++counters_.failures;
  ++counters_.consecutive_failures;
  counters_.last_error = e.str();
}

Result<void> SinkRunner::sendOrIsolate(const std::vector<AuditRecord>& batch) {
  auto sent = sink_->send(batch);
  if (sent) {
    std::lock_guard lock(mu_);
    counters_.delivered += static_cast<int64_t>(batch.size());
    ++counters_.batches;
    return {};
  }
  if (sent.error().code != kSinkRejected) return sent;
  if (batch.size() == 1) {
    logError("sink rejected an audit record as malformed; passing it",
             {{"sink", sink_->name()},
              {"seq", std::to_string(batch[0].seq)},
              {"kind", batch[0].kind},
              {"error", sent.error().str()}});
    std::lock_guard lock(mu_);
    ++counters_.rejected;
    return {};
  }
  // Find the bad record(s): each record on its own. A transport failure on the way stops the
  // split; the whole batch is sent again later (at least once).
  for (const auto& rec : batch) {
    auto one = sendOrIsolate({rec});
    if (!one) return one;
  }
  return {};
}

Result<int> SinkRunner::runOnce() {
  if (!opts_.worker_id.empty()) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto held = store_->claimSinkLease(sink_->name(), opts_.worker_id, now, opts_.lease.count());
    if (!held) {
      noteFailure(held.error());
      return fail(held.error());
    }
    if (*held != leased_)
      logInfo(*held ? "sink lease taken: this worker delivers it"
                    : "sink lease held by another worker: it delivers",
              {{"sink", sink_->name()}, {"worker", opts_.worker_id}});
    leased_ = *held;
    if (!*held) return 0;  // another worker delivers it; ask again after poll_interval
  }
  auto cursor = store_->sinkCursor(sink_->name());
  if (!cursor) {
    noteFailure(cursor.error());
    return fail(cursor.error());
  }
  if (!positioned_) {
    auto placed = position();
    if (!placed) return fail(placed.error());
    cursor = *placed;
  }
  auto batch = store_->readAudit(*cursor, opts_.batch_size);
  if (!batch) {
    noteFailure(batch.error());
    return fail(batch.error());
  }
  if (batch->empty()) return 0;
  if (auto s = sendOrIsolate(*batch); !s) {
    noteFailure(s.error());
    return fail(s.error());
  }
  if (auto c = store_->setSinkCursor(sink_->name(), batch->back().seq); !c) {
    // Delivered but not recorded: delivered again next time (at least once).
    noteFailure(c.error());
    return fail(c.error());
  }
  {
    std::lock_guard lock(mu_);
    counters_.consecutive_failures = 0;
    counters_.last_error.clear();
  }
  return static_cast<int>(batch->size());
}

Result<int64_t> SinkRunner::position() {
  auto cursor = store_->sinkCursorIfSet(sink_->name());
  if (!cursor) {
    noteFailure(cursor.error());
    return fail(cursor.error());
  }
  if (*cursor || !sink_->startsAtHead() || positioned_) {
    positioned_ = true;
    return cursor->value_or(0);
  }
  // Its first run ever: from the end of the log (what is written from now on is delivered).
  // The cursor is written even at 0, so that a restart does not skip what came meanwhile.
  auto head = store_->auditHead();
  if (!head) {
    noteFailure(head.error());
    return fail(head.error());
  }
  if (auto c = store_->setSinkCursor(sink_->name(), *head); !c) {
    noteFailure(c.error());
    return fail(c.error());
  }
  logInfo("sink starts at the end of the audit log",
          {{"sink", sink_->name()}, {"seq", std::to_string(*head)}});
  positioned_ = true;
  return *head;
}

void SinkRunner::start() {
  // Before the thread: what is written once start() returns is delivered (serve starts the
  // sinks before it accepts events). A store error here is retried by the thread's runOnce.
  if (!thread_.joinable()) (void)position();
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void SinkRunner::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SinkRunner::loop() {
  logInfo("sink started", {{"sink", sink_->name()}});
  for (;;) {
    std::chrono::milliseconds wait{0};
    auto r = runOnce();
    if (!r) {
      int64_t n = counters().consecutive_failures;
      wait = backoffFor(n, opts_);
      if (n == 1 || n % 10 == 0) {
        logWarn("sink delivery failed; retrying", {{"sink", sink_->name()},
                                                   {"error", r.error().str()},
                                                   {"consecutive_failures", std::to_string(n)},
                                                   {"retry_in_ms", std::to_string(wait.count())}});
      }
    } else if (*r < opts_.batch_size) {
      wait = opts_.poll_interval;
    }
    std::unique_lock lock(mu_);
    if (stop_) break;
    if (wait.count() > 0) cv_.wait_for(lock, wait, [this] { return stop_; });
    if (stop_) break;
  }
  logInfo("sink stopped", {{"sink", sink_->name()}});
}

Result<int64_t> SinkRunner::backlog() {
  auto head = store_->auditHead();
  if (!head) return fail(head.error());
  auto cursor = store_->sinkCursor(sink_->name());
  if (!cursor) return fail(cursor.error());
  return std::max<int64_t>(0, *head - *cursor);
}

SinkCounters SinkRunner::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

SinkStatus SinkRunner::status() {
  SinkStatus s;
  s.name = sink_->name();
  auto cursor = store_->sinkCursor(s.name);
  auto head = store_->auditHead();
  s.cursor = cursor ? *cursor : -1;
  s.backlog = cursor && head ? std::max<int64_t>(0, *head - *cursor) : -1;
  s.counters = counters();
  return s;
}

SinkManager::SinkManager(std::shared_ptr<store::Store> store,
                         std::vector<std::unique_ptr<Sink>> sinks, SinkRunnerOptions opts) {
  for (auto& s : sinks) runners_.push_back(std::make_unique<SinkRunner>(store, std::move(s), opts));
}

SinkManager::SinkManager(store::Store& store, std::vector<std::unique_ptr<Sink>> sinks,
                         SinkRunnerOptions opts)
    : SinkManager(std::shared_ptr<store::Store>(&store, [](store::Store*) {}), std::move(sinks),
                  opts) {}

SinkManager::~SinkManager() {
  stop();
}

void SinkManager::start() {
  for (auto& r : runners_) r->start();
}

void SinkManager::stop() {
  for (auto& r : runners_) r->stop();
}

std::vector<SinkStatus> SinkManager::status() {
  std::vector<SinkStatus> out;
  out.reserve(runners_.size());
  for (auto& r : runners_) out.push_back(r->status());
  return out;
}

namespace {

std::string promLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string renderSinkMetrics(const std::vector<SinkStatus>& statuses) {
  if (statuses.empty()) return {};
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    int64_t (*value)(const SinkStatus&);
  };
  const Family families[] = {
      {"riposte_sink_backlog", "gauge", "Audit records not yet delivered to the sink.",
       [](const SinkStatus& s) { return s.backlog; }},
      {"riposte_sink_delivered_total", "counter", "Audit records delivered to the sink.",
       [](const SinkStatus& s) { return s.counters.delivered; }},
      {"riposte_sink_failures_total", "counter", "Failed delivery attempts (retried).",
       [](const SinkStatus& s) { return s.counters.failures; }},
      {"riposte_sink_rejected_total", "counter",
       "Audit records the sink rejected as malformed (logged and passed).",
       [](const SinkStatus& s) { return s.counters.rejected; }},
  };
  std::string out;
  for (const auto& f : families) {
    out += std::string("# HELP ") + f.name + " " + f.help + "\n";
    out += std::string("# TYPE ") + f.name + " " + f.type + "\n";
    for (const auto& s : statuses) {
      int64_t v = f.value(s);
      if (v < 0) continue;  // unknown (store unreadable)
      out +=
          std::string(f.name) + "{sink=\"" + promLabel(s.name) + "\"} " + std::to_string(v) + "\n";
    }
  }
  return out;
}

}  // namespace riposte::sinks
