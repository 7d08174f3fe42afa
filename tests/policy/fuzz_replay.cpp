// Replays the fuzz seed corpora through the libFuzzer entry points in the normal build:
//   policy_fuzz_replay <fuzz/policy/corpus>
// Every file of corpus/fuzz_threat_list, fuzz_threat_enrich and fuzz_threat_config is run; the
// entry points abort on a broken invariant.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

extern "C" int ThreatListFuzz(const uint8_t* data, size_t size);
extern "C" int ThreatEnrichFuzz(const uint8_t* data, size_t size);
extern "C" int ThreatConfigFuzz(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 2) {
    std::cerr << "usage: policy_fuzz_replay CORPUS_DIR\n";
    return 2;
  }
  int n = 0;
  for (const char* target : {"fuzz_threat_list", "fuzz_threat_enrich", "fuzz_threat_config"}) {
    fs::path dir = fs::path(argv[1]) / target;
    if (!fs::is_directory(dir)) {
      std::cerr << "missing corpus " << dir << "\n";
      return 1;
    }
    int here = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
      std::ifstream in(e.path(), std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto* p = reinterpret_cast<const uint8_t*>(data.data());
      if (std::string(target) == "fuzz_threat_list") {
        ThreatListFuzz(p, data.size());
      } else if (std::string(target) == "fuzz_threat_config") {
        ThreatConfigFuzz(p, data.size());
      } else {
        ThreatEnrichFuzz(p, data.size());
      }
      ++here;
    }
    if (here == 0) {
      std::cerr << "empty corpus " << dir << "\n";
      return 1;
    }
    n += here;
  }
  std::cout << "replayed " << n << " corpus inputs\n";
  return 0;
}
