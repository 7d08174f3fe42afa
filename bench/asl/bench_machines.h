#pragma once
// The benchmark machines shared by the in-memory and the durable interpreter benchmarks.

#include <memory>
#include <stdexcept>
#include <string>

#include "asl/asl.h"

namespace riposte::bench {

// Tasks answer with their parameters (the benchmarks measure the interpreter, not actions).
class EchoRunner final : public asl::TaskRunner {
 public:
  asl::TaskResult run(const asl::TaskRequest& req) override {
    asl::TaskResult r;
    r.output = req.parameters;
    return r;
  }
};

inline std::shared_ptr<const asl::StateMachine> load(const std::string& def) {
  auto v = parseJson(def, 512);
  if (!v) throw std::runtime_error(v.error().message);
  auto m = asl::StateMachine::load(*v);
  if (!m) throw std::runtime_error(m.error().message);
  return *m;
}

// Ten Pass states in a row.
inline std::string passChain() {
  std::string s = R"({"StartAt": "S0", "States": {)";
  for (int i = 0; i < 10; ++i) {
    if (i) s += ",";
    s += "\"S" + std::to_string(i) + "\": {\"Type\": \"Pass\", ";
    s += i == 9 ? "\"End\": true}" : "\"Next\": \"S" + std::to_string(i + 1) + "\"}";
  }
  return s + "}}";
}

// 10 Choice states, each with 4 rules (And/Or/Not, numeric, string, boolean), then a Succeed.
inline std::string choiceHeavy() {
  std::string s = R"({"StartAt": "C0", "States": {)";
  for (int i = 0; i < 10; ++i) {
    std::string next = i == 9 ? "Done" : "C" + std::to_string(i + 1);
    s += "\"C" + std::to_string(i) + "\": {\"Type\": \"Choice\", \"Choices\": [";
    s += R"({"Variable": "$.severity", "NumericGreaterThan": 100, "Next": "Done"},)";
    s +=
        R"({"And": [{"Variable": "$.type", "StringEquals": "nothing"}, {"Variable": "$.ok", "BooleanEquals": false}], "Next": "Done"},)";
    s += R"({"Not": {"Variable": "$.resource.id", "StringMatches": "i-*"}, "Next": "Done"},)";
    s +=
        R"({"Or": [{"Variable": "$.severity", "NumericGreaterThanEquals": 7}, {"Variable": "$.type", "StringEquals": "Recon"}], "Next": ")" +
        next + "\"}], \"Default\": \"Done\"},";
  }
  return s + R"("Done": {"Type": "Succeed"}}})";
}

inline json::value choiceInput() {
  return *parseJson(
      R"({"severity": 8, "type": "UnauthorizedAccess", "ok": true, "resource": {"id": "i-0abc"}})");
}

// A Map over $.items with one Pass state per item.
inline std::string map10k() {
  return R"({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
      "End": true}}})";
}

inline json::value map10kInput(int n = 10000) {
  json::array items;
  for (int i = 0; i < n; ++i) items.emplace_back(i);
  json::object in;
  in["items"] = std::move(items);
  return in;
}

}  // namespace riposte::bench
