// Which States Language definitions riposte accepts: reads JSON lines {"id", "definition"}
// (the definition an object or a JSON string) and prints one JSON line per case:
// {"id", "accepted", "message"}. asl_validator_check.py runs the accepted ones through the npm
// package asl-validator. Exit 0 unless the input cannot be read.
#include <fstream>
#include <iostream>

#include "asl/asl.h"

using namespace riposte;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: asl_validator_check CASES.jsonl\n";
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
    const auto& o = c->get_object();
    json::object out;
    out["id"] = o.contains("id") ? o.at("id") : json::value(nullptr);
    json::value def = o.contains("definition") ? o.at("definition") : json::value(nullptr);
    if (def.is_string()) {
      auto d = parseJson(std::string_view(def.get_string()), 512);
      def = d ? *d : json::value(nullptr);
    }
    auto m = asl::StateMachine::load(def);
    out["accepted"] = m.has_value();
    out["message"] = m ? std::string() : m.error().message;
    std::cout << toJson(out) << "\n";
  }
  return 0;
}
