#include "policy/ip.h"

#include <array>
#include <cstdio>

#include "core/text.h"

namespace riposte::policy {
namespace {

constexpr uint64_t kMappedHi = 0;
constexpr uint64_t kMappedLoTag = 0xffffULL << 32;  // ::ffff:0:0/96
constexpr std::size_t kMaxEcho = 64;                // bytes of bad input quoted in a message

bool isMapped(uint64_t hi, uint64_t lo) {
  return hi == kMappedHi && (lo >> 32) == 0xffff;
}

// The offending text, quoted and cut to a readable length, with non-printable bytes escaped.
std::string echo(std::string_view text) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMaxEcho; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'') {
      out += static_cast<char>(c);
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  if (text.size() > kMaxEcho) out += "...";
  return out + "'";
}

tl::unexpected<Error> badAddress(std::string_view text, const std::string& why) {
  return fail("InvalidAddress", "invalid IP address " + echo(text) + ": " + why);
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Strict dotted quad; `why` says what is wrong when it returns false.
bool parseV4(std::string_view s, uint32_t& out, std::string& why) {
  uint32_t v = 0;
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    while (i < s.size() && isDigit(s[i])) ++i;
    std::string_view octet = s.substr(start, i - start);
    if (octet.empty()) {
      if (i < s.size() && s[i] != '.') {
        why = std::string("unexpected character ") + echo(s.substr(i, 1));
      } else {
        why = "expected four dot-separated decimal octets";
      }
      return false;
    }
    if (octet.size() > 1 && octet[0] == '0') {
      why = "octet " + echo(octet) +
            " has a leading zero (ambiguous: some parsers read it as octal, others as decimal)";
      return false;
    }
    if (octet.size() > 3) {
      why = "octet " + echo(octet) + " is out of range (0-255)";
      return false;
    }
    unsigned n = 0;
    for (char c : octet) n = n * 10 + static_cast<unsigned>(c - '0');
    if (n > 255) {
      why = "octet " + std::to_string(n) + " is out of range (0-255)";
      return false;
    }
    v = (v << 8) | n;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.') {
      why = std::string("unexpected character ") + echo(s.substr(i, 1));
      return false;
    }
    if (parts == 4) {
      why = "more than four octets";
      return false;
    }
    ++i;
  }
  if (parts != 4) {
    why = "expected four dot-separated decimal octets, got " + std::to_string(parts) +
          " (shorthand forms such as '127.1' are not accepted)";
    return false;
  }
  out = v;
  return true;
}

// RFC 4291 section 2.2 text form.
bool parseV6(std::string_view s, uint64_t& hi, uint64_t& lo, std::string& why) {
  if (s.find('%') != std::string_view::npos) {
    why = "a zone index ('%...') is not part of an address";
    return false;
  }
  std::array<uint16_t, 8> head{}, tail{};
  int nh = 0, nt = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    compressed = true;
    i = 2;
  } else if (!s.empty() && s[0] == ':') {
    why = "a single ':' at the start";
    return false;
  }
  auto push = [&](uint16_t g) -> bool {
    if (nh + nt >= 8) {
      why = "more than eight groups";
      return false;
    }
    if (compressed) {
      tail[static_cast<std::size_t>(nt++)] = g;
    } else {
      head[static_cast<std::size_t>(nh++)] = g;
    }
    return true;
  };
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && text::hexDigit(s[i]) >= 0) ++i;
    if (i < s.size() && s[i] == '.') {
      // An IPv4 dotted quad in the last 32 bits.
      uint32_t v4 = 0;
      std::string w;
      if (!parseV4(s.substr(start), v4, w)) {
        why = "embedded IPv4 address: " + w;
        return false;
      }
      if (!push(static_cast<uint16_t>(v4 >> 16)) || !push(static_cast<uint16_t>(v4 & 0xffff)))
        return false;
      i = s.size();
      break;
    }
    std::string_view group = s.substr(start, i - start);
    if (group.empty()) {
      if (i < s.size() && s[i] != ':') {
        why = std::string("unexpected character ") + echo(s.substr(i, 1));
      } else {
        why = "an empty group";
      }
      return false;
    }
    if (group.size() > 4) {
      why = "group " + echo(group) + " has more than four hex digits";
      return false;
    }
    unsigned g = 0;
    for (char c : group) g = g * 16 + static_cast<unsigned>(text::hexDigit(c));
    if (!push(static_cast<uint16_t>(g))) return false;
    if (i == s.size()) break;
    if (s[i] != ':') {
      why = std::string("unexpected character ") + echo(s.substr(i, 1));
      return false;
    }
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) {
        why = "'::' appears more than once";
        return false;
      }
      compressed = true;
      ++i;
    } else if (i == s.size()) {
      why = "a single ':' at the end";
      return false;
    }
  }
  int n = nh + nt;
  if (compressed ? n > 7 : n != 8) {
    why = compressed ? "'::' stands for no group (eight groups are already given)"
                     : "expected eight groups (or '::'), got " + std::to_string(n);
    return false;
  }
  std::array<uint16_t, 8> g{};
  for (int k = 0; k < nh; ++k) g[static_cast<std::size_t>(k)] = head[static_cast<std::size_t>(k)];
  for (int k = 0; k < nt; ++k)
    g[static_cast<std::size_t>(8 - nt + k)] = tail[static_cast<std::size_t>(k)];
  hi = lo = 0;
  for (int k = 0; k < 4; ++k) hi = (hi << 16) | g[static_cast<std::size_t>(k)];
  for (int k = 4; k < 8; ++k) lo = (lo << 16) | g[static_cast<std::size_t>(k)];
  return true;
}

// Mask of the host bits of a prefix over 128 bits, as (hi, lo).
void hostMask(int bits, int prefix, uint64_t& mhi, uint64_t& mlo) {
  if (bits == 32) {
    mhi = 0;
    mlo = prefix >= 32 ? 0 : (prefix == 0 ? 0xffffffffULL : (0xffffffffULL >> prefix));
    return;
  }
  if (prefix >= 128) {
    mhi = mlo = 0;
  } else if (prefix >= 64) {
    mhi = 0;
    mlo = prefix == 64 ? ~0ULL : (~0ULL >> (prefix - 64));
  } else {
    mlo = ~0ULL;
    mhi = prefix == 0 ? ~0ULL : (~0ULL >> prefix);
  }
}

}  // namespace

std::string_view addressClassName(AddressClass c) {
  switch (c) {
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kBroadcast:
      return "broadcast";
  }
  return "unknown";
}

IpAddress IpAddress::v6(uint64_t hi, uint64_t lo) {
  if (isMapped(hi, lo)) return v4(static_cast<uint32_t>(lo));
  return IpAddress(IpFamily::kV6, hi, lo);
}

static bool parseAddress(std::string_view text, IpAddress& out, std::string& why) {
  if (text.empty()) {
    why = "empty";
    return false;
  }
  if (text.find(':') == std::string_view::npos) {
    uint32_t v = 0;
    if (!parseV4(text, v, why)) return false;
    out = IpAddress::v4(v);
    return true;
  }
  uint64_t hi = 0, lo = 0;
  if (!parseV6(text, hi, lo, why)) return false;
  out = IpAddress::v6(hi, lo);
  return true;
}

Result<IpAddress> IpAddress::make(std::string_view text) {
  IpAddress a = v4(0);
  std::string why;
  if (!parseAddress(text, a, why)) return badAddress(text, why);
  return a;
}

std::string IpAddress::str() const {
  char buf[48];
  if (isV4()) {
    auto v = v4Bits();
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff,
                  v & 0xff);
    return buf;
  }
  std::array<unsigned, 8> g{};
  for (int k = 0; k < 4; ++k) g[static_cast<std::size_t>(k)] = (hi_ >> (48 - 16 * k)) & 0xffff;
  for (int k = 0; k < 4; ++k) g[static_cast<std::size_t>(4 + k)] = (lo_ >> (48 - 16 * k)) & 0xffff;
  // RFC 5952 4.2: the longest run of at least two zero groups, the first one on a tie.
  int best = -1, best_len = 0;
  for (int k = 0; k < 8;) {
    if (g[static_cast<std::size_t>(k)] != 0) {
      ++k;
      continue;
    }
    int j = k;
    while (j < 8 && g[static_cast<std::size_t>(j)] == 0) ++j;
    if (j - k > best_len) {
      best = k;
      best_len = j - k;
    }
    k = j;
  }
  if (best_len < 2) best = -1;
  std::string out;
  for (int k = 0; k < 8; ++k) {
    if (k == best) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", g[static_cast<std::size_t>(k)]);
    out += buf;
  }
  return out;
}

bool IpAddress::is(AddressClass c) const {
  for (const auto& r : specialRanges()) {
    if (r.cls == c && r.cidr.contains(*this)) return true;
  }
  return false;
}

Result<Cidr> Cidr::make(const IpAddress& network, int prefix) {
  IpAddress n = network;
  int p = prefix;
  if (p < 0 || p > n.bits()) {
    return fail("InvalidCidr", "prefix length " + std::to_string(p) + " is out of range (0-" +
                                   std::to_string(n.bits()) + ") for " + n.str());
  }
  uint64_t mhi = 0, mlo = 0;
  hostMask(n.bits(), p, mhi, mlo);
  if ((n.hi_ & mhi) || (n.lo_ & mlo)) {
    IpAddress net(n.family_, n.hi_ & ~mhi, n.lo_ & ~mlo);
    return fail("InvalidCidr", "host bits set in " + n.str() + "/" + std::to_string(p) +
                                   " (the network is " + net.str() + "/" + std::to_string(p) + ")");
  }
  return Cidr(n, p);
}

Result<Cidr> Cidr::make(std::string_view text) {
  auto slash = text.find('/');
  std::string_view addr = text.substr(0, slash);
  auto bad = [&](const std::string& why) {
    return fail("InvalidCidr", "invalid CIDR " + echo(text) + ": " + why);
  };
  IpAddress base = IpAddress::v4(0);
  std::string why;
  if (!parseAddress(addr, base, why)) return bad(why);
  const IpAddress* a = &base;
  if (slash == std::string_view::npos) return host(base);
  std::string_view p = text.substr(slash + 1);
  bool mapped_text = !a->isV4() || addr.find(':') != std::string_view::npos;
  int max = mapped_text ? 128 : 32;
  if (p.empty()) return bad("no prefix length after '/'");
  for (char c : p) {
    if (!isDigit(c)) return bad("prefix length " + echo(p) + " is not a decimal number");
  }
  if (p.size() > 1 && p[0] == '0') return bad("prefix length " + echo(p) + " has a leading zero");
  if (p.size() > 3)
    return bad("prefix length " + echo(p) + " is out of range (0-" + std::to_string(max) + ")");
  int n = 0;
  for (char c : p) n = n * 10 + (c - '0');
  if (n > max) {
    return bad("prefix length " + std::to_string(n) + " exceeds " + std::to_string(max) +
               (max == 32 ? " for IPv4" : " for IPv6"));
  }
  if (a->isV4() && mapped_text) {
    // Written as IPv6 inside ::ffff:0:0/96: the IPv4 CIDR when the prefix stays inside it.
    if (n < 96) {
      IpAddress v6(IpFamily::kV6, kMappedHi, kMappedLoTag | a->v4Bits());
      auto r = make(v6, n);
      if (!r) return bad(r.error().message);
      return r;
    }
    n -= 96;
  }
  auto r = make(*a, n);
  if (!r) return bad(r.error().message);
  return r;
}

IpAddress Cidr::last() const {
  uint64_t mhi = 0, mlo = 0;
  hostMask(network_.bits(), prefix_, mhi, mlo);
  return IpAddress(network_.family_, network_.hi_ | mhi, network_.lo_ | mlo);
}

bool Cidr::contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  uint64_t mhi = 0, mlo = 0;
  hostMask(network_.bits(), prefix_, mhi, mlo);
  return (a.hi_ & ~mhi) == network_.hi_ && (a.lo_ & ~mlo) == network_.lo_;
}

bool Cidr::contains(const Cidr& c) const {
  return c.family() == family() && c.prefix_ >= prefix_ && contains(c.network_);
}

bool Cidr::overlaps(const Cidr& c) const {
  return contains(c) || c.contains(*this);
}

std::string Cidr::str() const {
  return network_.str() + "/" + std::to_string(prefix_);
}

const std::vector<SpecialRange>& specialRanges() {
  static const auto* table = [] {
    auto c = [](const char* t) { return *Cidr::make(t); };
    return new std::vector<SpecialRange>{
        {AddressClass::kUnspecified, c("0.0.0.0/32"), "RFC 1122"},
        {AddressClass::kUnspecified, c("::/128"), "RFC 4291"},
        {AddressClass::kLoopback, c("127.0.0.0/8"), "RFC 1122"},
        {AddressClass::kLoopback, c("::1/128"), "RFC 4291"},
        {AddressClass::kLinkLocal, c("169.254.0.0/16"), "RFC 3927"},
        {AddressClass::kLinkLocal, c("fe80::/10"), "RFC 4291"},
        {AddressClass::kMulticast, c("224.0.0.0/4"), "RFC 5771"},
        {AddressClass::kMulticast, c("ff00::/8"), "RFC 4291"},
        {AddressClass::kPrivate, c("10.0.0.0/8"), "RFC 1918"},
        {AddressClass::kPrivate, c("172.16.0.0/12"), "RFC 1918"},
        {AddressClass::kPrivate, c("192.168.0.0/16"), "RFC 1918"},
        {AddressClass::kPrivate, c("fc00::/7"), "RFC 4193"},
        {AddressClass::kBroadcast, c("255.255.255.255/32"), "RFC 919"},
    };
  }();
  return *table;
}

std::vector<AddressClass> classesOverlapping(const Cidr& c) {
  std::vector<AddressClass> out;
  for (auto cls : {AddressClass::kUnspecified, AddressClass::kLoopback, AddressClass::kLinkLocal,
                   AddressClass::kMulticast, AddressClass::kPrivate, AddressClass::kBroadcast}) {
    for (const auto& r : specialRanges()) {
      if (r.cls == cls && r.cidr.overlaps(c)) {
        out.push_back(cls);
        break;
      }
    }
  }
  return out;
}

}  // namespace riposte::policy
