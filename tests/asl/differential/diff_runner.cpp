// Runs States Language cases (JSONL lines {"id", "definition", "input", "lambdas"}) through
// riposte's interpreter and prints one JSON line per case: {"id", "status", "output", "error",
// "cause"} (status INVALID_DEFINITION when the definition does not load). Used by
// differential.py.
//
// "lambdas" scripts `arn:aws:states:::lambda:invoke.waitForTaskToken` Tasks as
// ../shared/tools/asl_oracle.py does (its FAKES, the callback behaviours only): the n-th call
// of a function (Parameters.FunctionName, counted per execution) uses the n-th behaviour, the
// last one repeating; {"callback": {"token_path", "success" | "failure": {"error", "cause"}}}
// answers with the token found at token_path in Parameters.Payload right after the Task
// started; neither answers never (the deadlines fire: the clock is a ManualClock).
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "asl/asl.h"

using namespace riposte;

namespace {
class FakeLambdas final : public asl::TaskRunner {
 public:
  explicit FakeLambdas(json::value spec) : spec_(std::move(spec)) {}
  // Callbacks to send: (token, the behaviour's "callback" object).
  std::deque<std::pair<std::string, json::object>> answers;

  asl::TaskResult run(const asl::TaskRequest& req) override {
    asl::TaskResult r;
    const json::value* fn = req.parameters.is_object()
                                ? req.parameters.get_object().if_contains("FunctionName")
                                : nullptr;
    const json::value* b =
        fn && fn->is_string() ? behaviour(std::string(fn->get_string())) : nullptr;
    const json::value* cb = b && b->is_object() ? b->get_object().if_contains("callback") : nullptr;
    if (!req.wait_for_task_token || req.resource != "arn:aws:states:::lambda:invoke" || !cb ||
        !cb->is_object()) {
      r.ok = false;
      r.error = "States.TaskFailed";
      r.cause = "no task runner (" + req.resource + ")";
      return r;
    }
    std::string path = "TaskToken";
    if (const auto* p = cb->get_object().if_contains("token_path"); p && p->is_string())
      path = std::string(p->get_string());
    const json::value* payload = req.parameters.get_object().if_contains("Payload");
    const json::value* token = payload ? findPath(*payload, path) : nullptr;
    if (token && token->is_string())
      answers.emplace_back(std::string(token->get_string()), cb->get_object());
    r.output = json::object();
    return r;
  }

 private:
  const json::value* behaviour(const std::string& fn) {
    const json::value* list = spec_.is_object() ? spec_.get_object().if_contains(fn) : nullptr;
    if (!list || !list->is_array() || list->get_array().empty()) return nullptr;
    std::size_t n = calls_[fn]++;
    const auto& a = list->get_array();
    return &a[std::min(n, a.size() - 1)];
  }
  json::value spec_;
  std::map<std::string, std::size_t> calls_;
};

// Runs to the end, answering callbacks as they are scripted and letting deadlines pass.
asl::Outcome drive(std::shared_ptr<const asl::StateMachine> m, json::value input,
                   FakeLambdas& runner) {
  ManualClock clock;
  asl::Execution x(std::move(m), std::move(input), {});
  asl::Outcome o;
  while (x.status() == asl::Status::Running) {
    if (!runner.answers.empty()) {
      auto [token, cb] = std::move(runner.answers.front());
      runner.answers.pop_front();
      if (const auto* f = cb.if_contains("failure"); f && f->is_object()) {
        const auto* e = f->get_object().if_contains("error");
        const auto* c = f->get_object().if_contains("cause");
        // The oracle sends error "Error" when the script names none; moto drops the cause
        // (its SendTaskFailure handler passes only the error), so a script gives none.
        (void)x.sendTaskFailure(
            token, e && e->is_string() ? std::string_view(e->get_string()) : "Error",
            c && c->is_string() ? std::optional<std::string_view>(std::string_view(c->get_string()))
                                : std::nullopt,
            clock, o.history);
      } else if (const auto* s = cb.if_contains("success")) {
        (void)x.sendTaskSuccess(token, toJson(*s), clock, o.history);
      }
      continue;
    }
    if (x.wakeAtMs() > clock.nowMillis()) clock.set(x.wakeAtMs());
    x.step(runner, clock, o.history);
  }
  o.status = x.status();
  o.output = x.output();
  o.error = x.error();
  o.cause = x.cause();
  return o;
}
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
      FakeLambdas runner(o.contains("lambdas") ? o.at("lambdas") : json::value(nullptr));
      auto r = drive(*m, input, runner);
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
