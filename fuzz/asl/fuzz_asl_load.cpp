// Fuzzes the ASL loader (validate + compile) and, for definitions that load, a bounded run
// with a fake task runner and a manual clock. On the way: snapshot/restore, and after every
// step an incremental snapshot, each blob id handed out once, which must restore (from the
// blobs handed out so far) to the same execution (its self-contained snapshot).
// `.waitForTaskToken` Tasks get deterministic tokens; while tokens are open, the input's bytes
// choose what happens: SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat with an open
// token, a callback with a malformed, unknown or closed token (which must fail with
// InvalidToken / TaskDoesNotExist / TaskTimedOut and change nothing), or time passing to the
// next deadline (timeouts). Restores happen while tokens are open.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "asl/asl.h"

namespace {
class FakeRunner final : public riposte::asl::TaskRunner {
 public:
  riposte::asl::TaskResult run(const riposte::asl::TaskRequest& req) override {
    riposte::asl::TaskResult r;
    if (req.attempt % 2 == 0 && req.resource.size() % 2 == 1) {
      r.ok = false;
      r.error = "Fuzz.Error";
      r.cause = "odd resource";
    } else {
      r.output = req.parameters;
    }
    return r;
  }
  riposte::Result<std::string> newTaskToken(const riposte::asl::TaskRequest&) override {
    std::string t = "fz-" + std::to_string(++tokens);
    issued[riposte::asl::taskTokenDigest(t)] = t;
    return t;
  }
  int tokens = 0;
  std::map<std::string, std::string> issued;  // digest → token
};

// A callback that must be refused changes nothing: same snapshot, no events.
void refused(riposte::asl::Execution& x, const riposte::Result<void>& r, const char* code,
             const riposte::json::value& before, std::size_t events, std::size_t now_events) {
  if (r || r.error().code != code || x.snapshot() != before || events != now_events) std::abort();
}

// One callback chosen by `sel` while tokens are open. Returns false to let time pass instead.
bool callback(riposte::asl::Execution& x, FakeRunner& runner, riposte::ManualClock& clock,
              std::vector<riposte::asl::HistoryEvent>& h, std::set<std::string>& closed,
              unsigned sel) {
  using namespace riposte;
  auto open = x.pendingTasks();
  if (open.empty()) return false;
  const auto& p = open[sel % open.size()];
  auto it = runner.issued.find(p.token_digest);
  if (it == runner.issued.end()) std::abort();  // every open token was issued by the runner
  const std::string token = it->second;
  const json::value before = x.snapshot();
  const std::size_t events = h.size();
  switch ((sel / 7) % 8) {
    case 0:
    case 1: {
      auto r = x.sendTaskSuccess(token, (sel & 64) ? "{\"ok\": 1}" : "[1, 2]", clock, h);
      if (!r && r.error().code != "TaskTimedOut") std::abort();
      if (r) closed.insert(token);
      return true;
    }
    case 2: {
      auto r = (sel & 64) ? x.sendTaskFailure(token, "Fuzz.Rejected", "no", clock, h)
                          : x.sendTaskFailure(token, std::nullopt, std::nullopt, clock, h);
      if (!r && r.error().code != "TaskTimedOut") std::abort();
      if (r) closed.insert(token);
      return true;
    }
    case 3: {
      auto r = x.sendTaskHeartbeat(token, clock);
      if (!r && r.error().code != "TaskTimedOut") std::abort();
      return true;
    }
    case 4:
      refused(x, x.sendTaskSuccess(token + " ", "{}", clock, h), "InvalidToken", before, events,
              h.size());
      return true;
    case 5:
      refused(x, x.sendTaskSuccess("unknown-" + token, "{}", clock, h), "TaskDoesNotExist", before,
              events, h.size());
      return true;
    case 6:
      if (!closed.empty()) {
        const std::string& old = *closed.begin();
        // Remembered (the most recent 64 closed tokens) or forgotten.
        auto r = x.sendTaskHeartbeat(old, clock);
        if (r || (r.error().code != "TaskTimedOut" && r.error().code != "TaskDoesNotExist"))
          std::abort();
        if (x.snapshot() != before) std::abort();
      }
      return true;
    default:
      return false;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace riposte;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto def = parseJson(text, 64);
  if (!def) return 0;
  (void)asl::validate(*def, [](std::string_view r) { return !r.empty(); });
  auto m = asl::StateMachine::load(*def);
  if (!m) return 0;
  json::value input = def->is_object() && def->get_object().contains("Comment")
                          ? def->get_object().at("Comment")
                          : json::value(json::object());
  FakeRunner runner;
  ManualClock clock(0);
  asl::Execution x(*m, input, {});
  std::vector<asl::HistoryEvent> h;
  std::map<std::string, std::string, std::less<>> blobs;
  asl::BlobLookup lookup = [&](std::string_view id) -> std::optional<std::string> {
    auto it = blobs.find(id);
    if (it == blobs.end()) return std::nullopt;
    return it->second;
  };
  std::set<std::string> closed;
  for (int i = 0; i < 500 && x.status() == asl::Status::Running; ++i) {
    x.step(runner, clock, h);
    const unsigned sel = static_cast<unsigned>(data[static_cast<std::size_t>(i) % size]) * 31u +
                         static_cast<unsigned>(i);
    bool acted = x.status() == asl::Status::Running && callback(x, runner, clock, h, closed, sel);
    if (!acted && x.wakeAtMs() > clock.nowMillis()) clock.set(x.wakeAtMs());
    if (acted && !x.pendingTasks().empty() && (sel & 3) == 0)
      clock.set(clock.nowMillis() + 1000 * static_cast<int64_t>(sel % 97));
    asl::IncrementalSnapshot inc = x.snapshotIncremental();
    for (auto& b : inc.blobs)
      if (!blobs.emplace(std::move(b.id), std::move(b.json)).second) std::abort();
    // Restored where the snapshot's form changes (blobs handed out) and every 8th step: a full
    // comparison each step makes long Maps quadratic.
    if (!inc.blobs.empty() || i % 8 == 0) {
      auto z = asl::Execution::restore(*m, inc.snapshot, lookup);
      if (!z || z->snapshot() != x.snapshot()) std::abort();
    }
    if (i == 7) {  // exercise snapshot/restore on the way
      auto y = asl::Execution::restore(*m, x.snapshot());
      if (y) x = std::move(*y);
    }
  }
  return 0;
}
