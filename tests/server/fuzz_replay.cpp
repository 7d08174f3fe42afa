// Replays the API front door's fuzz seed corpus through its libFuzzer entry point in the normal
// build: server_fuzz_replay <fuzz/server/corpus>. The entry point aborts on a broken invariant.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

extern "C" int ApiAuthFuzz(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 2) {
    std::cerr << "usage: server_fuzz_replay CORPUS_DIR\n";
    return 2;
  }
  const fs::path dir = fs::path(argv[1]) / "fuzz_api_auth";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ApiAuthFuzz(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    ++n;
  }
  std::cout << "replayed " << n << " corpus inputs\n";
  return n > 0 ? 0 : 1;
}
