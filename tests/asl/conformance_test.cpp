// Runs the 65 States Language cases recorded against AWS Step Functions
// (../shared/conformance/states-language.jsonl, read at test time; see its README).
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "asl/asl.h"

namespace riposte::asl {
namespace {

const char* kMasks[] = {"<ArnPart_0idx>", "<ExecArnPart_0idx>", "start-time",
                        "entered-time",   "timestamp",          "snf_role_arn",
                        "<region>",       "<partition>",        "111111111111"};

bool masked(std::string_view s) {
  for (const char* m : kMasks)
    if (s.find(m) != std::string_view::npos) return true;
  return false;
}

// Expected (with masks as wildcards) vs actual; `where` names the first difference.
bool same(const json::value& exp, const json::value& act, std::string& where,
          const std::string& at = "$") {
  if (exp.is_string() && masked(exp.get_string())) {
    if (!act.is_string()) where = at;
    return act.is_string();
  }
  if (exp.is_number() && act.is_number()) {
    if (exp.to_number<double>() == act.to_number<double>()) return true;
    where = at;
    return false;
  }
  if (exp.kind() != act.kind()) {
    where = at;
    return false;
  }
  if (exp.is_object()) {
    const auto& e = exp.get_object();
    const auto& a = act.get_object();
    if (e.size() != a.size()) {
      where = at + " (member count)";
      return false;
    }
    for (const auto& kv : e) {
      auto* p = a.if_contains(kv.key());
      if (!p) {
        where = at + "." + std::string(kv.key()) + " (missing)";
        return false;
      }
      if (!same(kv.value(), *p, where, at + "." + std::string(kv.key()))) return false;
    }
    return true;
  }
  if (exp.is_array()) {
    const auto& e = exp.get_array();
    const auto& a = act.get_array();
    if (e.size() != a.size()) {
      where = at + " (length)";
      return false;
    }
    for (std::size_t i = 0; i < e.size(); ++i)
      if (!same(e[i], a[i], where, at + "[" + std::to_string(i) + "]")) return false;
    return true;
  }
  if (exp != act) where = at;
  return exp == act;
}

class NoTasks final : public TaskRunner {
 public:
  TaskResult run(const TaskRequest& req) override {
    TaskResult r;
    r.ok = false;
    r.error = "States.TaskFailed";
    r.cause = "no task runner in the conformance test (" + req.resource + ")";
    return r;
  }
};

TEST(Conformance, AllRecordedCasesMatchAws) {
  std::string path =
      std::string(RIPOSTE_SOURCE_DIR) + "/../shared/conformance/states-language.jsonl";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "cannot read " << path;
  std::string line;
  int ran = 0, passed = 0;
  std::vector<std::string> failures;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto c = parseJson(line, 512);
    ASSERT_TRUE(c) << c.error().str();
    std::string id = stringAt(*c, "id").value_or("?");
    const json::value& def = c->at("definition");
    json::value input = c->as_object().if_contains("input") ? c->at("input") : json::object();
    const json::value& expected = c->at("expected");
    std::string status = std::string(expected.at("status").as_string());
    ++ran;
    auto m = StateMachine::load(def);
    std::string why;
    if (status.starts_with("OTHER:")) {
      if (!m) {
        ++passed;
        continue;
      }
      NoTasks runner;
      ManualClock clock;
      auto o = runToCompletion(*m, input, runner, clock);
      if (o.status == Status::Failed || o.status == Status::TimedOut) {
        ++passed;
        continue;
      }
      failures.push_back(id + ": expected rejection or failure, got " + statusName(o.status));
      continue;
    }
    if (!m) {
      failures.push_back(id + ": load failed: " + m.error().message);
      continue;
    }
    NoTasks runner;
    ManualClock clock;
    ExecutionInfo info;
    info.execution_name = "exec";
    info.state_machine_name = "machine";
    auto o = runToCompletion(*m, input, runner, clock, info);
    if (status != statusName(o.status)) {
      failures.push_back(id + ": status " + statusName(o.status) + " (" + o.error + ": " + o.cause +
                         "), expected " + status);
      continue;
    }
    if (status == "SUCCEEDED") {
      json::value exp = expected.at("output");
      if (exp.is_string()) {
        auto p = parseJson(std::string_view(exp.get_string()), 512);
        if (p) exp = *p;
      }
      std::string where;
      if (!same(exp, o.output, where)) {
        failures.push_back(id + ": output differs at " + where +
                           "\n   got:      " + toJson(o.output) + "\n   expected: " + toJson(exp));
        continue;
      }
    } else {
      const json::value& ee = expected.at("error");
      std::string exp_err = ee.is_string() ? std::string(ee.get_string()) : "";
      if (exp_err != o.error) {
        failures.push_back(id + ": error '" + o.error + "', expected '" + exp_err + "'");
        continue;
      }
      if (!exp_err.starts_with("States.")) {
        const json::value& ec = expected.at("cause");
        std::string exp_cause = ec.is_string() ? std::string(ec.get_string()) : "";
        if (!masked(exp_cause) && exp_cause != o.cause) {
          failures.push_back(id + ": cause '" + o.cause + "', expected '" + exp_cause + "'");
          continue;
        }
      }
    }
    ++passed;
  }
  std::cout << "[conformance] states-language.jsonl: " << ran << " cases ran, " << passed
            << " passed\n";
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(ran, 65);
  EXPECT_EQ(passed, ran);
}

}  // namespace
}  // namespace riposte::asl
