#pragma once
// Message digests and their hex form (OpenSSL's EVP), the one place riposte spells them.
//
//   std::string d = sha256Hex("abc");          // "ba7816bf…" (64 lower-case hex digits)
//   std::string h = hexEncode(raw_bytes);      // two lower-case hex digits a byte
//
// Pure functions; thread-safe.

#include <string>
#include <string_view>

namespace riposte {

// Two lower-case hexadecimal digits for each byte of `bytes`.
std::string hexEncode(std::string_view bytes);
// SHA-256 / SHA-1 of `data`, in lower-case hex.
std::string sha256Hex(std::string_view data);
std::string sha1Hex(std::string_view data);

}  // namespace riposte
