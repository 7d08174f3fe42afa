#include "policy/json_scan.h"

#include <cstdint>
#include <cstring>

#include "core/text.h"

#if defined(__AVX2__) || defined(__SSE2__)
#include <immintrin.h>
#endif

namespace riposte::policy::scan {
namespace {

// The structural bytes of one 64-byte block, one bit per byte.
struct Block {
  uint64_t quote, backslash, open, close;
};

#if defined(__AVX2__)
inline uint64_t mask64(__m256i lo, __m256i hi, char c) {
  __m256i k = _mm256_set1_epi8(c);
  auto l = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, k)));
  auto h = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, k)));
  return (uint64_t{h} << 32) | l;
}
inline Block classify(const char* b) {
  __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
  __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
  // '{' 0x7b and '[' 0x5b (and '}' 0x7d, ']' 0x5d) differ only in bit 0x20.
  __m256i k20 = _mm256_set1_epi8(0x20);
  __m256i lo20 = _mm256_or_si256(lo, k20), hi20 = _mm256_or_si256(hi, k20);
  return Block{mask64(lo, hi, '"'), mask64(lo, hi, '\\'), mask64(lo20, hi20, '{'),
               mask64(lo20, hi20, '}')};
}
inline uint64_t quoteOrBackslash(const char* b) {
  __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
  __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
  return mask64(lo, hi, '"') | mask64(lo, hi, '\\');
}
#elif defined(__SSE2__)
inline uint64_t mask16x4(const __m128i v[4], char c) {
  __m128i k = _mm_set1_epi8(c);
  uint64_t m = 0;
  for (int i = 0; i < 4; ++i) {
    m |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v[i], k)))} << (16 * i);
  }
  return m;
}
inline Block classify(const char* b) {
  __m128i v[4], v20[4];
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * i));
    v20[i] = _mm_or_si128(v[i], _mm_set1_epi8(0x20));
  }
  return Block{mask16x4(v, '"'), mask16x4(v, '\\'), mask16x4(v20, '{'), mask16x4(v20, '}')};
}
inline uint64_t quoteOrBackslash(const char* b) {
  __m128i v[4];
  for (int i = 0; i < 4; ++i) v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * i));
  return mask16x4(v, '"') | mask16x4(v, '\\');
}
#else
inline Block classify(const char* b) {
  Block k{0, 0, 0, 0};
  for (int i = 0; i < 64; ++i) {
    char c = b[i];
    char c20 = static_cast<char>(c | 0x20);
    k.quote |= uint64_t{c == '"'} << i;
    k.backslash |= uint64_t{c == '\\'} << i;
    k.open |= uint64_t{c20 == '{'} << i;
    k.close |= uint64_t{c20 == '}'} << i;
  }
  return k;
}
inline uint64_t quoteOrBackslash(const char* b) {
  uint64_t m = 0;
  for (int i = 0; i < 64; ++i) m |= uint64_t{b[i] == '"' || b[i] == '\\'} << i;
  return m;
}
#endif

// Bit i = XOR of bits 0..i: set from an opening quote up to (not including) its closing one.
inline uint64_t prefixXor(uint64_t x) {
#if defined(__PCLMUL__)
  return static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_clmulepi64_si128(
      _mm_set_epi64x(0, static_cast<int64_t>(x)), _mm_set1_epi8(static_cast<char>(0xff)), 0)));
#else
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
#endif
}

// A window of 64 readable bytes at `p`: `p` itself when the input has them, else a copy of
// what is left, zero-filled (zeros are not structural). `valid` masks the real bytes.
struct Window {
  const char* data;
  uint64_t valid;
  std::size_t len;
  char tmp[64];

  Window(const char* p, const char* end) {
    auto left = static_cast<std::size_t>(end - p);
    if (left >= 64) {
      data = p;
      valid = ~uint64_t{0};
      len = 64;
    } else {
      std::memset(tmp, 0, sizeof tmp);
      std::memcpy(tmp, p, left);
      data = tmp;
      valid = left == 0 ? 0 : (~uint64_t{0} >> (64 - left));
      len = left;
    }
  }
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;
};

int hex4(const char* p) {
  int v = 0;
  for (int i = 0; i < 4; ++i) {
    const int d = text::hexDigit(p[i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

}  // namespace

const char* skipLongStringBody(const char* p, const char* end, bool* escaped) {
  while (p < end) {
    Window w(p, end);
    uint64_t m = quoteOrBackslash(w.data) & w.valid;
    if (!m) {
      p += w.len;
      continue;
    }
    auto i = static_cast<std::size_t>(__builtin_ctzll(m));
    if (w.data[i] == '"') return p + i + 1;
    if (escaped) *escaped = true;
    p += i + 2;  // a backslash escapes the byte after it (a \u's hex digits are plain bytes)
  }
  return nullptr;
}

const char* skipContainer(const char* p, const char* end) {
  int64_t depth = 0;
  uint64_t in_string = 0;  // all ones while a string is open across a block boundary
  bool escape = false;     // the block's first byte is escaped (a backslash ended the last)
  while (p < end) {
    Window w(p, end);
    Block b = classify(w.data);
    if (escape || (b.backslash & w.valid)) {
      // Rare: escapes inside strings. Byte by byte, carrying the string state.
      bool in = in_string != 0;
      for (std::size_t i = 0; i < w.len; ++i) {
        char c = w.data[i];
        if (in) {
          if (escape) {
            escape = false;
          } else if (c == '\\') {
            escape = true;
          } else if (c == '"') {
            in = false;
          }
        } else if (c == '"') {
          in = true;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if (c == '}' || c == ']') {
          if (--depth == 0) return p + i + 1;
        }
      }
      in_string = in ? ~uint64_t{0} : 0;
      p += w.len;
      continue;
    }
    uint64_t strings = prefixXor(b.quote & w.valid) ^ in_string;
    in_string = static_cast<uint64_t>(static_cast<int64_t>(strings) >> 63);
    uint64_t outside = ~strings & w.valid;
    uint64_t opens = b.open & outside, closes = b.close & outside;
    auto nc = static_cast<int64_t>(__builtin_popcountll(closes));
    if (nc < depth) {  // depth cannot reach 0 inside this block
      depth += static_cast<int64_t>(__builtin_popcountll(opens)) - nc;
    } else {
      for (uint64_t bits = opens | closes; bits; bits &= bits - 1) {
        auto i = static_cast<unsigned>(__builtin_ctzll(bits));
        if ((opens >> i) & 1) {
          ++depth;
        } else if (--depth == 0) {
          return p + i + 1;
        }
      }
    }
    p += w.len;
  }
  return nullptr;
}

bool unescape(std::string_view raw, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == raw.size()) return false;
    switch (raw[i]) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        if (raw.size() - i < 5) return false;
        int u = hex4(raw.data() + i + 1);
        if (u < 0) return false;
        i += 4;
        auto cp = static_cast<uint32_t>(u);
        if (cp >= 0xdc00 && cp <= 0xdfff) return false;  // a low surrogate alone
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (raw.size() - i < 7 || raw[i + 1] != '\\' || raw[i + 2] != 'u') return false;
          int lo = hex4(raw.data() + i + 3);
          if (lo < 0xdc00 || lo > 0xdfff) return false;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (static_cast<uint32_t>(lo) - 0xdc00);
          i += 6;
        }
        text::appendUtf8(out, cp);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

bool Cursor::string(std::string_view& raw, bool& escaped) {
  if (peek() != '"') return false;
  const char* body = p_ + 1;
  escaped = false;
  const char* after = skipStringBody(body, end_, &escaped);
  if (!after) return false;
  raw = std::string_view(body, static_cast<std::size_t>(after - 1 - body));
  p_ = after;
  return true;
}

bool Cursor::text(std::string_view& out, std::string& scratch) {
  std::string_view raw;
  bool escaped = false;
  if (!string(raw, escaped)) return false;
  if (!escaped) {
    out = raw;
    return true;
  }
  if (!unescape(raw, scratch)) return false;
  out = scratch;
  return true;
}

bool Cursor::skipValue() {
  char c = peek();
  if (c == '"') {
    const char* after = skipStringBody(p_ + 1, end_);
    if (!after) return false;
    p_ = after;
    return true;
  }
  if (c == '{' || c == '[') {
    const char* after = skipContainer(p_, end_);
    if (!after) return false;
    p_ = after;
    return true;
  }
  // A number, true, false or null: up to the next delimiter.
  const char* start = p_;
  while (p_ < end_) {
    char d = *p_;
    if ((d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') || d == '-' || d == '+' || d == '.' ||
        d == 'E') {
      ++p_;
    } else {
      break;
    }
  }
  return p_ != start;
}

}  // namespace riposte::policy::scan
