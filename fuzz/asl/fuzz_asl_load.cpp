// Fuzzes the ASL loader (validate + compile) and, for definitions that load, a bounded run
// with a fake task runner and a manual clock. On the way: snapshot/restore, and after every
// step an incremental snapshot, each blob id handed out once, which must restore (from the
// blobs handed out so far) to the same execution (its self-contained snapshot).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
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
};
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
  for (int i = 0; i < 500 && x.status() == asl::Status::Running; ++i) {
    x.step(runner, clock, h);
    if (x.wakeAtMs() > clock.nowMillis()) clock.set(x.wakeAtMs());
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
