// Replays the fuzz seed corpora through the libFuzzer entry points in the normal build:
//   pattern_fuzz_replay <fuzz/pattern/corpus>
// Every file of corpus/fuzz_pattern_compile and corpus/fuzz_pattern_match is run; the
// entry points abort on a broken invariant.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

extern "C" int PatternCompileFuzz(const uint8_t* data, size_t size);
extern "C" int PatternMatchFuzz(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 2) {
    std::cerr << "usage: pattern_fuzz_replay CORPUS_DIR\n";
    return 2;
  }
  int n = 0;
  for (const char* target : {"fuzz_pattern_compile", "fuzz_pattern_match"}) {
    fs::path dir = fs::path(argv[1]) / target;
    if (!fs::is_directory(dir)) {
      std::cerr << "missing corpus " << dir << "\n";
      return 1;
    }
    for (const auto& e : fs::directory_iterator(dir)) {
      std::ifstream in(e.path(), std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto* p = reinterpret_cast<const uint8_t*>(data.data());
      if (std::string(target) == "fuzz_pattern_compile") {
        PatternCompileFuzz(p, data.size());
      } else {
        PatternMatchFuzz(p, data.size());
      }
      ++n;
    }
  }
  std::cout << "replayed " << n << " corpus inputs\n";
  return n > 0 ? 0 : 1;
}
