#pragma once
// Helpers for the asl tests: inline definitions, scripted task runners.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "asl/asl.h"

namespace riposte::asl::testing {

inline json::value js(std::string_view text) {
  auto v = parseJson(text, 512);
  EXPECT_TRUE(v) << v.error().str();
  return v ? *v : json::value();
}

inline std::shared_ptr<const StateMachine> load(std::string_view def) {
  auto m = StateMachine::load(js(def));
  EXPECT_TRUE(m) << m.error().message;
  return m ? *m : nullptr;
}

// A runner that answers by resource with a function; records every request.
class ScriptedRunner final : public TaskRunner {
 public:
  using Fn = std::function<TaskResult(const TaskRequest&)>;
  std::map<std::string, Fn> fns;
  std::vector<TaskRequest> calls;
  TaskResult run(const TaskRequest& req) override {
    calls.push_back(req);
    auto it = fns.find(req.resource);
    if (it == fns.end()) {
      TaskResult r;
      r.output = req.parameters;  // echo
      return r;
    }
    return it->second(req);
  }
  static TaskResult ok(json::value v) {
    TaskResult r;
    r.output = std::move(v);
    return r;
  }
  static TaskResult err(std::string e, std::string c = "") {
    TaskResult r;
    r.ok = false;
    r.error = std::move(e);
    r.cause = std::move(c);
    return r;
  }
};

inline Outcome run(std::string_view def, std::string_view input, TaskRunner* runner = nullptr) {
  ScriptedRunner echo;
  ManualClock clock;
  auto m = load(def);
  if (!m) return Outcome{Status::Aborted, nullptr, "load", "failed", {}};
  return runToCompletion(m, js(input), runner ? *runner : echo, clock);
}

inline std::vector<std::string> types(const std::vector<HistoryEvent>& h) {
  std::vector<std::string> t;
  for (const auto& e : h) t.push_back(e.type);
  return t;
}

}  // namespace riposte::asl::testing
