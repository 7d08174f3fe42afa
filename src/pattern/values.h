#pragma once
// Value-level building blocks of the matcher: EventBridge (Event Ruler) number semantics,
// IP literals and CIDR ranges, the equals-ignore-case algorithm and wildcard globs.
// All functions are pure and thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace riposte::pattern {

// Parses a JSON number token. Returns true when the number is "comparable" in Event Ruler's
// sense: finite as a float64 and its decimal value equals the shortest round-trip decimal of
// that float64 (so 0.1, 300.0 and 3e2 are; 9007199254740993 and 1e400 are not). `out` is
// the float64 value (-0 normalised to 0) when comparable.
bool comparableNumber(std::string_view text, double& out);
// The same, when the caller already has the correctly rounded float64 of `text`.
bool comparableNumber(std::string_view text, double parsed, double& out);

// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
struct IpAddr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
};

// Parses an IP literal the way Event Ruler does: only strings shaped like
// [0-9]+.[0-9]+.[0-9]+.[0-9]+ (each part <= 255, leading zeros allowed) or
// [0-9a-fA-F:]*:[0-9a-fA-F:]* (a valid IPv6 text form; an IPv4-mapped ::ffff:x:y is IPv4).
bool parseIp(std::string_view s, IpAddr& out);

// An inclusive address range of one family.
struct IpRange {
  bool v6 = false;
  std::array<uint8_t, 16> lo{};
  std::array<uint8_t, 16> hi{};
  bool contains(const IpAddr& a) const;
};

// Parses "ip/bits" with Event Ruler's checks and messages ("Malformed CIDR, one '/'
// required", "Nonstandard IP address: x", "IPv4 mask bits must be < 32", ...).
Result<IpRange> parseCidr(std::string_view text);

// equals-ignore-case as Event Ruler implements it: for each UTF-16 code unit of the pattern
// the event must hold, at that point, the UTF-8 of the unit's lower-case or upper-case form
// (Java String.toLowerCase/toUpperCase, Locale.ROOT). Surrogate halves encode as '?'.
class IgnoreCase {
 public:
  enum class Mode : uint8_t { kEquals, kPrefix, kSuffix };
  IgnoreCase() = default;
  IgnoreCase(std::string_view pattern, Mode mode);
  bool matches(std::string_view value) const;
  Mode mode() const { return mode_; }
  // True when every unit of the pattern maps to ASCII bytes only; asciiLower() is then the
  // pattern lower-cased, and a value matches (in kEquals mode) iff it is ASCII and equal
  // to it after ASCII lower-casing (this lets many patterns share one hash look-up).
  bool ascii() const { return ascii_; }
  const std::string& asciiLower() const { return ascii_lower_; }

 private:
  struct Unit {
    std::string lower;
    std::string upper;
  };
  Mode mode_ = Mode::kEquals;
  bool ascii_ = true;  // all units are single ASCII bytes: a byte-wise fast path applies
  std::string ascii_lower_;
  std::vector<Unit> units_;
  bool matchAscii(std::string_view v) const;
};

// A wildcard glob: '*' matches any run of bytes (including none); "\*" and "\\" are
// literals. Matching is anchored, greedy (leftmost occurrence of each piece between stars,
// which is exact for '*'-only globs) and linear: pieces are found with Knuth-Morris-Pratt,
// so the cost is O(value length + pattern length) whatever the input.
class Wildcard {
 public:
  Wildcard() = default;
  // Parses and validates ("Consecutive wildcard characters at pos N", "Invalid escape
  // character at pos N"; N is 1-based).
  static Result<Wildcard> parse(std::string_view pattern);
  bool matches(std::string_view value) const;
  // Literal pieces between stars; pieces().size() == stars + 1.
  const std::vector<std::string>& pieces() const { return pieces_; }

 private:
  std::vector<std::string> pieces_;
  std::vector<std::vector<uint32_t>> failure_;  // KMP failure function of each piece
};

// Worst-case number of simultaneously active automaton states over all inputs for the union
// of these globs (a measure of how expensive the globs are to match). Capped at `cap`.
int wildcardComplexity(const std::vector<const Wildcard*>& globs, int cap);

}  // namespace riposte::pattern
