#include "core/ids.h"

#include <openssl/rand.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>

namespace riposte {

static void randomBytes(unsigned char* p, int n) {
  if (RAND_bytes(p, n) != 1) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    for (int i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(rng());
  }
}

std::string newUuid() {
  unsigned char b[16];
  randomBytes(b, 16);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::string newId(const std::string& prefix) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  unsigned char b[6];
  randomBytes(b, 6);
  char out[64];
  std::snprintf(out, sizeof out, "%s-%013llx%02x%02x%02x%02x%02x%02x", prefix.c_str(),
                static_cast<unsigned long long>(ms), b[0], b[1], b[2], b[3], b[4], b[5]);
  return out;
}

}  // namespace riposte
