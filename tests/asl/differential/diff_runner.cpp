// Runs States Language cases (JSONL lines {"id", "definition", "input"}) through riposte's
// interpreter and prints one JSON line per case: {"id", "status", "output", "error", "cause"}
// (status INVALID_DEFINITION when the definition does not load). Used by differential.py.
#include <fstream>
#include <iostream>

#include "asl/asl.h"

using namespace riposte;

namespace {
class NoTasks final : public asl::TaskRunner {
 public:
  asl::TaskResult run(const asl::TaskRequest& req) override {
    asl::TaskResult r;
    r.ok = false;
    r.error = "States.TaskFailed";
    r.cause = "no task runner (" + req.resource + ")";
    return r;
  }
};
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: asl_diff_runner CASES.jsonl\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "cannot read " << argv[1] << "\n";
    return 2;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto c = parseJson(line, 512);
    if (!c || !c->is_object()) {
      std::cerr << "bad case line\n";
      return 2;
    }
    json::object out;
    const auto& o = c->get_object();
    out["id"] = o.contains("id") ? o.at("id") : json::value(nullptr);
    json::value def = o.contains("definition") ? o.at("definition") : json::value(nullptr);
    if (def.is_string()) {
      auto d = parseJson(std::string_view(def.get_string()), 512);
      def = d ? *d : json::value(nullptr);
    }
    json::value input = o.contains("input") ? o.at("input") : json::value(json::object());
    auto m = asl::StateMachine::load(def);
    if (!m) {
      out["status"] = "INVALID_DEFINITION";
      out["output"] = nullptr;
      out["error"] = "InvalidDefinition";
      out["cause"] = m.error().message;
    } else {
      NoTasks runner;
      ManualClock clock;
      auto r = asl::runToCompletion(*m, input, runner, clock);
      out["status"] = asl::statusName(r.status);
      out["output"] = r.status == asl::Status::Succeeded ? r.output : json::value(nullptr);
      out["error"] =
          r.status == asl::Status::Succeeded ? json::value(nullptr) : json::value(r.error);
      out["cause"] =
          r.status == asl::Status::Succeeded ? json::value(nullptr) : json::value(r.cause);
    }
    std::cout << toJson(out) << "\n";
  }
  return 0;
}
