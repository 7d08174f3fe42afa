// The cost of reading a finding as riposte does (core/json.h parseJson: exact doubles, the
// depth limit, and duplicate member names refused) against Boost.JSON's own parser on the same
// text, in the same run (the peer: what parseJson would cost without its checks).
//
//   build/bin/json_bench
//
// Inputs: a GuardDuty finding event of the sample catalogue (sources::sampleEvent, ~4 KB), and
// one object of 10,000 members (the worst case of the duplicate check: one name set).
#include <benchmark/benchmark.h>

#include "core/json.h"
#include "sources/samples.h"

namespace {

std::string findingText() {
  riposte::sources::SampleOptions o;
  o.now_ms = 1'767'225'600'000;
  auto f = riposte::sources::sampleFinding("UnauthorizedAccess:EC2/SSHBruteForce", o);
  return riposte::toJson(riposte::sources::sampleEvent(*f));
}

std::string wideText() {
  std::string s = "{";
  for (int i = 0; i < 10000; ++i)
    s += "\"member-" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  return s + "\"last\":0}";
}

void run(benchmark::State& state, const std::string& text, bool ours) {
  for (auto _ : state) {
    if (ours) {
      auto v = riposte::parseJson(text);
      benchmark::DoNotOptimize(v);
    } else {
      auto v = boost::json::parse(text);
      benchmark::DoNotOptimize(v);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["bytes"] = static_cast<double>(text.size());
}

void BM_Finding_parseJson(benchmark::State& s) {
  run(s, findingText(), true);
}
void BM_Finding_boost(benchmark::State& s) {
  run(s, findingText(), false);
}
void BM_Wide_parseJson(benchmark::State& s) {
  run(s, wideText(), true);
}
void BM_Wide_boost(benchmark::State& s) {
  run(s, wideText(), false);
}

BENCHMARK(BM_Finding_parseJson);
BENCHMARK(BM_Finding_boost);
BENCHMARK(BM_Wide_parseJson);
BENCHMARK(BM_Wide_boost);

}  // namespace
