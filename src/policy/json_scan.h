#pragma once
// Internal to policy: a forward-only JSON cursor that reads only what enrichment needs and
// skips everything else in bulk (64 bytes at a time, brackets counted outside strings), so
// finding a few fields in a 5 KB finding costs a fraction of parsing it.
//
// It is not a validator: a value it skips is only bracket-balanced, not checked (the pattern
// matcher judges the event). What it reads it reads exactly: keys and strings are unescaped
// as JSON defines (\uXXXX and surrogate pairs to UTF-8). It never reads outside [begin, end)
// and every loop advances, whatever the bytes. Thread-safe (no shared state).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace riposte::policy::scan {

// Pointer after the closing quote of a string whose body starts at `p` (just past the opening
// quote), or nullptr when it does not close before `end`. Sets *escaped when the body holds
// a backslash (when `escaped` is not null).
const char* skipLongStringBody(const char* p, const char* end, bool* escaped);
inline const char* skipStringBody(const char* p, const char* end, bool* escaped = nullptr) {
  // Most strings (keys, ids, addresses) are short: look 8 bytes at a time for the first
  // quote or backslash, then hand longer or escaped ones to the 64-byte loop.
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  for (int n = 0; n < 4 && end - p >= 8; ++n, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t q = w ^ (kOnes * '"'), b = w ^ (kOnes * '\\');
    uint64_t m = ((q - kOnes) & ~q & kHigh) | ((b - kOnes) & ~b & kHigh);
    if (!m) continue;
    // The lowest flagged byte is exact (a borrow only flags bytes above a real match).
    auto i = static_cast<std::size_t>(__builtin_ctzll(m)) / 8;
    if (p[i] == '"') return p + i + 1;
    break;  // a backslash: the long loop handles escapes
  }
  return skipLongStringBody(p, end, escaped);
}
// Pointer after the bracket closing the container that opens at `p` ('{' or '['), or nullptr
// when it does not close before `end`.
const char* skipContainer(const char* p, const char* end);

// Unescapes a raw JSON string body (what lies between the quotes). False on a bad escape, an
// unpaired surrogate or a control character.
bool unescape(std::string_view raw, std::string& out);

class Cursor {
 public:
  Cursor(const char* begin, const char* end) : p_(begin), end_(end) {}

  const char* pos() const { return p_; }
  bool atEnd() {
    ws();
    return p_ == end_;
  }
  [[gnu::always_inline]] void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  // The next byte after blanks (0 at the end).
  [[gnu::always_inline]] char peek() {
    ws();
    return p_ < end_ ? *p_ : '\0';
  }
  [[gnu::always_inline]] bool consume(char c) {
    if (peek() != c) return false;
    ++p_;
    return true;
  }
  // At '"': the raw body (between the quotes) and whether it holds a backslash.
  bool string(std::string_view& raw, bool& escaped);
  // A string's text, unescaped into `scratch` when needed. False if not a (valid) string.
  bool text(std::string_view& out, std::string& scratch);
  // Skips one value of any kind. False when the bytes are not a value.
  bool skipValue();

 private:
  const char* p_;
  const char* end_;
};

}  // namespace riposte::policy::scan
