#include "pattern/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace riposte::pattern {
namespace {

// Decimal normal form: value = 0.digits * 10^exp, digits without leading/trailing zeros.
struct Decimal {
  bool neg = false;
  std::string digits;  // empty means zero
  long exp = 0;
  bool operator==(const Decimal&) const = default;
};

bool toDecimal(std::string_view t, Decimal& d) {
  std::size_t i = 0;
  d = Decimal{};
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) d.neg = t[i++] == '-';
  std::string digits;
  long point = -1;
  long count = 0;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c >= '0' && c <= '9') {
      digits += c;
      ++count;
    } else if (c == '.') {
      point = count;
    } else {
      break;
    }
  }
  long e = 0;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) eneg = t[i++] == '-';
    long v = 0;
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
      if (v < 100000000) v = v * 10 + (t[i] - '0');
    }
    e = eneg ? -v : v;
  }
  if (point < 0) point = count;
  // value = 0.digits * 10^(point + e)
  std::size_t lead = 0;
  while (lead < digits.size() && digits[lead] == '0') ++lead;
  if (lead == digits.size()) {
    d.neg = false;
    return true;
  }
  std::size_t trail = digits.size();
  while (trail > lead && digits[trail - 1] == '0') --trail;
  d.digits = digits.substr(lead, trail - lead);
  d.exp = point + e - static_cast<long>(lead);
  return true;
}

bool isSimpleInt(std::string_view t) {
  std::size_t i = (!t.empty() && t[0] == '-') ? 1 : 0;
  if (t.size() - i == 0 || t.size() - i > 15) return false;
  for (; i < t.size(); ++i)
    if (t[i] < '0' || t[i] > '9') return false;
  return true;
}

// At most 15 significant digits and a moderate exponent: such decimals map to distinct
// float64 values (DBL_DIG == 15), so the shortest round-trip decimal of the nearest float64
// is the same number and the text is comparable without printing it back.
bool fewDigits(std::string_view t) {
  std::size_t i = (!t.empty() && t[0] == '-') ? 1 : 0;
  int sig = 0, trailing_zeros = 0;
  bool started = false;
  long int_digits = 0;
  bool seen_point = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c >= '0' && c <= '9') {
      if (!seen_point) ++int_digits;
      if (c == '0' && !started) continue;
      started = true;
      ++sig;
      trailing_zeros = c == '0' ? trailing_zeros + 1 : 0;
    } else if (c == '.') {
      seen_point = true;
    } else {
      break;
    }
  }
  long e = 0;
  if (i < t.size()) {  // exponent
    ++i;
    bool neg = false;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) neg = t[i++] == '-';
    std::size_t digits = 0;
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, ++digits) {
      if (digits > 4) return false;
      e = e * 10 + (t[i] - '0');
    }
    if (neg) e = -e;
  }
  return sig - trailing_zeros <= 15 && e + int_digits < 300 && e > -280;
}

}  // namespace

// A plain decimal of at most 15 characters has at most 15 significant digits and exponent 0.
static bool shortPlainDecimal(std::string_view t) {
  if (t.size() > 15) return false;
  for (char c : t)
    if (c == 'e' || c == 'E') return false;
  return true;
}

bool comparableNumber(std::string_view text, double parsed, double& out) {
  if (std::isfinite(parsed) && (shortPlainDecimal(text) || fewDigits(text))) {
    out = parsed == 0 ? 0.0 : parsed;
    return true;
  }
  return comparableNumber(text, out);
}

bool comparableNumber(std::string_view text, double& out) {
  if (isSimpleInt(text)) {
    long long v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    out = static_cast<double>(v);
    return true;
  }
  if (fewDigits(text)) {
    double d = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), d);
    if (r.ec == std::errc() && r.ptr == text.data() + text.size() && std::isfinite(d)) {
      out = d == 0 ? 0.0 : d;
      return true;
    }
  }
  double d = 0;
  const char* b = text.data();
  const char* e = text.data() + text.size();
  if (b != e && *b == '+') ++b;
  auto r = std::from_chars(b, e, d);
  if (r.ec != std::errc() || r.ptr != e || !std::isfinite(d)) return false;
  char buf[64];
  auto w = std::to_chars(buf, buf + sizeof buf, d);
  Decimal a, c;
  toDecimal(text, a);
  toDecimal(std::string_view(buf, static_cast<std::size_t>(w.ptr - buf)), c);
  if (!(a == c)) return false;
  out = d == 0 ? 0.0 : d;
  return true;
}

// ---------------------------------------------------------------------------------- IP

bool parseIp(std::string_view s, IpAddr& out) {
  if (s.empty() || s.size() > 64) return false;
  bool dotted = true;
  int dots = 0;
  bool hexcolon = true;
  bool colon = false;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      dotted = false;
    }
    if (c == ':') {
      colon = true;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      hexcolon = false;
    }
  }
  if (dotted && dots == 3) {
    out = IpAddr{};
    std::size_t part = 0;
    unsigned val = 0;
    bool any = false;
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || s[i] == '.') {
        if (!any || val > 255) return false;
        out.bytes[part++] = static_cast<uint8_t>(val);
        val = 0;
        any = false;
      } else {
        val = val * 10 + static_cast<unsigned>(s[i] - '0');
        if (val > 255) return false;
        any = true;
      }
    }
    return part == 4;
  }
  if (hexcolon && colon) {
    char buf[72];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 0;
    unsigned char a[16];
    if (inet_pton(AF_INET6, buf, a) != 1) return false;
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    out = IpAddr{};
    if (std::memcmp(a, kMapped, 12) == 0) {  // Java turns ::ffff:a.b.c.d into an IPv4 address
      std::memcpy(out.bytes.data(), a + 12, 4);
      return true;
    }
    out.v6 = true;
    std::memcpy(out.bytes.data(), a, 16);
    return true;
  }
  return false;
}

bool IpRange::contains(const IpAddr& a) const {
  if (a.v6 != v6) return false;
  std::size_t n = v6 ? 16 : 4;
  return std::memcmp(a.bytes.data(), lo.data(), n) >= 0 &&
         std::memcmp(a.bytes.data(), hi.data(), n) <= 0;
}

Result<IpRange> parseCidr(std::string_view text) {
  // Java's String.split("/") drops trailing empty strings.
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  if (parts.size() != 2) return fail("InvalidEventPattern", "Malformed CIDR, one '/' required");
  std::string_view m = parts[1];
  long bits = 0;
  {
    std::size_t i = 0;
    bool neg = false;
    if (i < m.size() && (m[i] == '-' || m[i] == '+')) neg = m[i++] == '-';
    if (i == m.size() || m.size() > 11)
      return fail("InvalidEventPattern", "Malformed CIDR, mask bits must be an integer");
    for (; i < m.size(); ++i) {
      if (m[i] < '0' || m[i] > '9')
        return fail("InvalidEventPattern", "Malformed CIDR, mask bits must be an integer");
      bits = bits * 10 + (m[i] - '0');
    }
    if (bits > 2147483647L + (neg ? 1 : 0))
      return fail("InvalidEventPattern", "Malformed CIDR, mask bits must be an integer");
    if (neg) bits = -bits;
  }
  if (bits < 0)
    return fail("InvalidEventPattern", "Malformed CIDR, mask bits must not be negative");
  IpAddr a;
  if (!parseIp(parts[0], a))
    return fail("InvalidEventPattern", "Nonstandard IP address: " + std::string(parts[0]));
  if (!a.v6 && bits > 31) return fail("InvalidEventPattern", "IPv4 mask bits must be < 32");
  if (a.v6 && bits > 127) return fail("InvalidEventPattern", "IPv6 mask bits must be < 128");
  IpRange r;
  r.v6 = a.v6;
  std::size_t n = a.v6 ? 16 : 4;
  for (std::size_t i = 0; i < n; ++i) {
    long keep = std::clamp(bits - static_cast<long>(i) * 8, 0L, 8L);
    uint8_t mask = static_cast<uint8_t>(keep == 8 ? 0xff : (0xff00 >> keep) & 0xff);
    r.lo[i] = a.bytes[i] & mask;
    r.hi[i] = a.bytes[i] | static_cast<uint8_t>(~mask);
  }
  return r;
}

// ------------------------------------------------------------------- equals-ignore-case

namespace {
struct CaseEntry {
  uint32_t unit;
  const char* lower;
  const char* upper;
};
constexpr CaseEntry kCaseTable[] = {
#include "pattern/case_table.inc"
};

void utf8Of(uint32_t cp, std::string& s) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes UTF-8 into UTF-16 code units (invalid bytes become U+FFFD).
std::vector<uint32_t> toUtf16(std::string_view s) {
  std::vector<uint32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    std::size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c >> 5) == 6) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c >> 4) == 14) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c >> 3) == 30) {
      cp = c & 0x07;
      n = 4;
    } else {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    if (i + n > s.size()) {
      out.push_back(0xFFFD);
      break;
    }
    bool ok = true;
    for (std::size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(0xD800 + (cp >> 10));
      out.push_back(0xDC00 + (cp & 0x3FF));
    } else {
      out.push_back(cp);
    }
  }
  return out;
}
}  // namespace

IgnoreCase::IgnoreCase(std::string_view pattern, Mode mode) : mode_(mode) {
  for (uint32_t u : toUtf16(pattern)) {
    Unit unit;
    if (u >= 0xD800 && u <= 0xDFFF) {
      unit.lower = "?";
      unit.upper = "?";
    } else {
      auto it = std::lower_bound(std::begin(kCaseTable), std::end(kCaseTable), u,
                                 [](const CaseEntry& e, uint32_t v) { return e.unit < v; });
      if (it != std::end(kCaseTable) && it->unit == u) {
        unit.lower = it->lower;
        unit.upper = it->upper;
      } else {
        utf8Of(u, unit.lower);
        unit.upper = unit.lower;
      }
    }
    if (unit.lower.size() != 1 || unit.upper.size() != 1 ||
        static_cast<unsigned char>(unit.lower[0]) >= 0x80 ||
        static_cast<unsigned char>(unit.upper[0]) >= 0x80) {
      ascii_ = false;
    }
    units_.push_back(std::move(unit));
  }
  if (ascii_) {
    for (const Unit& u : units_) ascii_lower_ += u.lower[0];
  }
}

bool IgnoreCase::matchAscii(std::string_view v) const {
  std::size_t n = ascii_lower_.size();
  if (v.size() < n) return false;
  if (mode_ == Mode::kEquals && v.size() != n) return false;
  std::size_t off = mode_ == Mode::kSuffix ? v.size() - n : 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = v[off + i];
    char l = ascii_lower_[i];
    if (c == l) continue;
    // For ASCII letters the upper form is the other case; other ASCII maps to itself.
    if (l >= 'a' && l <= 'z' && c == l - 32) continue;
    if (units_[i].upper[0] == c) continue;
    return false;
  }
  return true;
}

bool IgnoreCase::matches(std::string_view v) const {
  if (ascii_) return matchAscii(v);
  // Simulate the small automaton: the set of byte offsets reachable after each unit.
  std::vector<std::size_t> cur{0}, next;
  bool suffix = mode_ == Mode::kSuffix;
  for (std::size_t k = 0; k < units_.size(); ++k) {
    const Unit& u = suffix ? units_[units_.size() - 1 - k] : units_[k];
    next.clear();
    for (std::size_t pos : cur) {
      for (int alt = 0; alt < 2; ++alt) {
        const std::string& a = alt == 0 ? u.lower : u.upper;
        if (alt == 1 && a == u.lower) break;
        if (pos + a.size() > v.size()) continue;
        bool eq = suffix ? v.compare(v.size() - pos - a.size(), a.size(), a) == 0
                         : v.compare(pos, a.size(), a) == 0;
        if (eq) next.push_back(pos + a.size());
      }
    }
    if (next.empty()) return false;
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    std::swap(cur, next);
  }
  if (mode_ != Mode::kEquals) return true;
  return std::find(cur.begin(), cur.end(), v.size()) != cur.end();
}

// ------------------------------------------------------------------------- wildcard

Result<Wildcard> Wildcard::parse(std::string_view p) {
  Wildcard w;
  w.pieces_.emplace_back();
  bool prev_star = false;
  std::size_t pos = 0;  // 1-based position in UTF-16 units of the current character
  for (std::size_t i = 0; i < p.size(); ++i) {
    auto c = static_cast<unsigned char>(p[i]);
    if ((c & 0xC0) != 0x80) pos += c >= 0xF0 ? 2 : 1;
    if (p[i] == '*') {
      if (prev_star) {
        return fail("InvalidEventPattern",
                    "Consecutive wildcard characters at pos " + std::to_string(pos - 1));
      }
      prev_star = true;
      w.pieces_.emplace_back();
      continue;
    }
    prev_star = false;
    if (p[i] == '\\') {
      if (i + 1 < p.size() && (p[i + 1] == '*' || p[i + 1] == '\\')) {
        w.pieces_.back() += p[i + 1];
        ++i;
        ++pos;
        continue;
      }
      return fail("InvalidEventPattern", "Invalid escape character at pos " + std::to_string(pos));
    }
    w.pieces_.back() += p[i];
  }
  for (const std::string& piece : w.pieces_) {
    std::vector<uint32_t> f(piece.size() + 1, 0);
    uint32_t k = 0;
    for (std::size_t i = 1; i < piece.size(); ++i) {
      while (k > 0 && piece[i] != piece[k]) k = f[k];
      if (piece[i] == piece[k]) ++k;
      f[i + 1] = k;
    }
    w.failure_.push_back(std::move(f));
  }
  return w;
}

bool Wildcard::matches(std::string_view v) const {
  if (pieces_.size() == 1) return v == pieces_[0];
  const std::string& first = pieces_.front();
  const std::string& last = pieces_.back();
  if (v.size() < first.size() + last.size()) return false;
  if (v.compare(0, first.size(), first) != 0) return false;
  if (v.compare(v.size() - last.size(), last.size(), last) != 0) return false;
  std::size_t pos = first.size();
  std::size_t end = v.size() - last.size();
  for (std::size_t i = 1; i + 1 < pieces_.size(); ++i) {
    const std::string& piece = pieces_[i];
    if (piece.empty()) continue;
    // Knuth-Morris-Pratt: leftmost occurrence of piece in v[pos, end).
    const std::vector<uint32_t>& f = failure_[i];
    uint32_t k = 0;
    std::size_t j = pos;
    for (; j < end; ++j) {
      while (k > 0 && v[j] != piece[k]) k = f[k];
      if (v[j] == piece[k]) ++k;
      if (k == piece.size()) break;
    }
    if (k != piece.size()) return false;
    pos = j + 1;
  }
  return true;
}

int wildcardComplexity(const std::vector<const Wildcard*>& globs, int cap) {
  // Tokens: one per literal byte or star, per glob; a state is (glob, token index). Explores
  // the subsets of states reachable by some input (a lazy subset construction). From a
  // subset only the bytes its literal states expect, plus one "any other byte", lead to
  // different subsets, which keeps the work proportional to the pattern's length.
  struct Glob {
    std::string tokens;      // bytes, with '\0' placeholders for stars
    std::vector<bool> star;  // star[i] is true when token i is a star
  };
  std::vector<Glob> gs;
  for (const Wildcard* w : globs) {
    Glob g;
    const auto& pieces = w->pieces();
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      for (char c : pieces[i]) {
        g.tokens += c;
        g.star.push_back(false);
      }
      if (i + 1 < pieces.size()) {
        g.tokens += '\0';
        g.star.push_back(true);
      }
    }
    gs.push_back(std::move(g));
  }
  using State = std::vector<std::pair<uint32_t, uint32_t>>;
  auto closure = [&](State& st) {
    State out;
    for (auto [g, i] : st) {
      while (true) {
        out.emplace_back(g, i);
        if (i < gs[g].star.size() && gs[g].star[i]) {
          ++i;
          continue;
        }
        break;
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    st.swap(out);
  };
  State start;
  for (uint32_t g = 0; g < gs.size(); ++g) start.emplace_back(g, 0);
  closure(start);
  std::set<State> seen{start};
  std::vector<State> queue{start};
  int best = static_cast<int>(start.size());
  const std::size_t kMaxSets = 20000;
  std::vector<int> bytes;
  while (!queue.empty()) {
    State s = std::move(queue.back());
    queue.pop_back();
    bytes.clear();
    for (auto [g, i] : s) {
      if (i < gs[g].star.size() && !gs[g].star[i])
        bytes.push_back(static_cast<unsigned char>(gs[g].tokens[i]));
    }
    std::sort(bytes.begin(), bytes.end());
    bytes.erase(std::unique(bytes.begin(), bytes.end()), bytes.end());
    bytes.push_back(-1);  // any byte no literal state expects
    for (int b : bytes) {
      State n;
      for (auto [g, i] : s) {
        const Glob& gl = gs[g];
        if (i >= gl.star.size()) continue;
        if (gl.star[i]) {
          n.emplace_back(g, i);
        } else if (static_cast<unsigned char>(gl.tokens[i]) == b) {
          n.emplace_back(g, i + 1);
        }
      }
      if (n.empty()) continue;
      closure(n);
      best = std::max(best, static_cast<int>(n.size()));
      if (best >= cap || seen.size() >= kMaxSets) return cap;
      if (!seen.insert(n).second) continue;
      queue.push_back(std::move(n));
    }
  }
  return best;
}

}  // namespace riposte::pattern
