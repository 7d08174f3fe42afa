// Replays the fuzz seed corpus (and the crashers the fuzzer found, kept there) through the
// libFuzzer entry point in the normal build:
//   config_fuzz_replay <fuzz/config/corpus>
// Every file of corpus/fuzz_config_document is run; the entry point aborts on a broken
// invariant (fuzz/config/fuzz_config_document.cpp).

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

extern "C" int ConfigDocumentFuzz(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 2) {
    std::cerr << "usage: config_fuzz_replay CORPUS_DIR\n";
    return 2;
  }
  const fs::path dir = fs::path(argv[1]) / "fuzz_config_document";
  if (!fs::is_directory(dir)) {
    std::cerr << "missing corpus " << dir << "\n";
    return 1;
  }
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ConfigDocumentFuzz(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    ++n;
  }
  if (n == 0) {
    std::cerr << "empty corpus " << dir << "\n";
    return 1;
  }
  std::cout << "replayed " << n << " corpus inputs\n";
  return 0;
}
