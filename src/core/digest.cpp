#include "core/digest.h"

#include <openssl/evp.h>

namespace riposte {

std::string hexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

namespace {

std::string digestHex(std::string_view data, const EVP_MD* md) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), buf, &n, md, nullptr);
  return hexEncode(std::string_view(reinterpret_cast<const char*>(buf), n));
}

}  // namespace

std::string sha256Hex(std::string_view data) {
  return digestHex(data, EVP_sha256());
}

std::string sha1Hex(std::string_view data) {
  return digestHex(data, EVP_sha1());
}

}  // namespace riposte
