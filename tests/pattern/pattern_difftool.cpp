// Reads JSON lines {"p": "<pattern JSON>", "e": "<event JSON>"} on stdin and prints, per line,
// "1" (match), "0" (no match) or "E <reason>" (invalid pattern or event). Used by
// moto_differential.py.

#include <iostream>
#include <string>

#include "pattern/pattern.h"
#include "pattern/pattern_json.h"

int main() {
  using namespace riposte::pattern;
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    auto row = parsePatternJson(line, 16);
    if (!row) {
      std::cout << "E bad input line: " << row.error().message << "\n";
      continue;
    }
    std::string p, e;
    for (const auto& [k, v] : row->members) {
      if (k == "p") p = v.text;
      if (k == "e") e = v.text;
    }
    auto r = matches(p, e);
    if (!r) {
      std::cout << "E " << r.error().message << "\n";
    } else {
      std::cout << (*r ? "1" : "0") << "\n";
    }
  }
  return 0;
}
