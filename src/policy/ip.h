#pragma once
// IP addresses and CIDR blocks made valid once (policy::IpAddress, policy::Cidr), and the
// special-purpose ranges riposte must recognise (loopback, private, ...). The text forms
// accepted are strict: whatever riposte cannot read exactly is an error, never a guess.
//
//   auto a = policy::IpAddress::make("203.0.113.9");        // Result<IpAddress>
//   auto c = policy::Cidr::make("203.0.113.0/24");          // Result<Cidr>
//   c->contains(*a);                                        // true
//   policy::IpAddress::make("::ffff:203.0.113.9")->isV4();  // true: a v4-mapped address IS v4
//
// Accepted:
//   IPv4  four dot-separated decimal octets 0-255, no leading zeros ("01.2.3.4" is refused:
//         inet_aton reads it as octal, others as decimal), no shorthand ("127.1"), no hex.
//   IPv6  RFC 4291 text: eight groups of 1-4 hex digits (either case), one "::" at most,
//         an IPv4 dotted quad (strict, as above) in the last 32 bits; no zone ("%eth0"), no
//         brackets, no surrounding whitespace.
//   CIDR  address "/" prefix length (decimal, no leading zeros, 0-32 or 0-128); an address
//         without a prefix is a host (/32 or /128). Host bits must be zero: "1.2.3.4/24" is
//         refused (it could mean the /24 or the host), with the network named in the error.
//
// IPv4-mapped IPv6 (::ffff:0:0/96). An address in it is the IPv4 address it maps: make()
// returns an IPv4 address ("::ffff:203.0.113.9" and "::ffff:cb00:7109" equal "203.0.113.9"),
// so it matches IPv4 lists and classifications, and prints as a dotted quad. Dual-stack
// sockets report IPv4 peers in that form; a list must not miss an address because of how it
// was written. A CIDR inside the block (prefix >= 96) becomes the IPv4 CIDR (prefix - 96);
// an IPv6 CIDR shorter than /96 stays IPv6 and never contains an IPv4 address (::/0 is "all
// of IPv6", not "everything"). Other embeddings (IPv4-compatible ::a.b.c.d, NAT64
// 64:ff9b::/96, 6to4) are ordinary IPv6 addresses.
//
// Errors: code "InvalidAddress" or "InvalidCidr", the message naming the text and why.
// Values are immutable and cheap to copy; everything here is pure and thread-safe.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace riposte::policy {

enum class IpFamily : uint8_t { kV4, kV6 };

// What the special-purpose address registries (RFC 6890 and those it cites) say a range is.
enum class AddressClass : uint8_t {
  kUnspecified,  // 0.0.0.0, ::
  kLoopback,     // 127.0.0.0/8, ::1
  kLinkLocal,    // 169.254.0.0/16, fe80::/10 (the instance metadata service is 169.254.169.254)
  kMulticast,    // 224.0.0.0/4, ff00::/8
  kPrivate,      // RFC 1918 10/8, 172.16/12, 192.168/16; RFC 4193 unique local fc00::/7
  kBroadcast,    // 255.255.255.255
};
// "unspecified", "loopback", "link-local", "multicast", "private", "broadcast".
std::string_view addressClassName(AddressClass c);

class IpAddress {
 public:
  // Parses one address (see the accepted forms above). Error code "InvalidAddress".
  static Result<IpAddress> make(std::string_view text);
  static IpAddress v4(uint32_t bits) { return IpAddress(IpFamily::kV4, 0, bits); }
  // 128 bits as two halves (hi = the first 64 bits). A v4-mapped address gives IPv4.
  static IpAddress v6(uint64_t hi, uint64_t lo);

  IpFamily family() const { return family_; }
  bool isV4() const { return family_ == IpFamily::kV4; }
  // The 32 bits of an IPv4 address (precondition: isV4()).
  uint32_t v4Bits() const { return static_cast<uint32_t>(lo_); }
  // The two halves of an IPv6 address (0 and v4Bits() for IPv4).
  uint64_t hi() const { return hi_; }
  uint64_t lo() const { return lo_; }
  int bits() const { return isV4() ? 32 : 128; }

  // Dotted quad, or RFC 5952's canonical IPv6 text (lower case, the longest run of two or
  // more zero groups compressed, the first on a tie).
  std::string str() const;

  bool is(AddressClass c) const;
  bool isUnspecified() const { return is(AddressClass::kUnspecified); }
  bool isLoopback() const { return is(AddressClass::kLoopback); }
  bool isLinkLocal() const { return is(AddressClass::kLinkLocal); }
  bool isMulticast() const { return is(AddressClass::kMulticast); }
  bool isPrivate() const { return is(AddressClass::kPrivate); }
  bool isBroadcast() const { return is(AddressClass::kBroadcast); }

  // IPv4 before IPv6, then numerically.
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  IpAddress(IpFamily f, uint64_t hi, uint64_t lo) : family_(f), hi_(hi), lo_(lo) {}
  friend class Cidr;
  IpFamily family_;
  uint64_t hi_;
  uint64_t lo_;
};

class Cidr {
 public:
  // Parses "address/prefix" or a bare address (a host). Error code "InvalidCidr".
  static Result<Cidr> make(std::string_view text);
  // From a network address and a prefix length (0-32 or 0-128 by the address's family; a
  // v4-mapped address already is IPv4); host bits must be zero. Error code "InvalidCidr".
  static Result<Cidr> make(const IpAddress& network, int prefix);
  // The host CIDR of an address (/32 or /128).
  static Cidr host(const IpAddress& a) { return Cidr(a, a.bits()); }

  const IpAddress& network() const { return network_; }
  int prefix() const { return prefix_; }
  IpFamily family() const { return network_.family(); }
  // The first and last addresses of the block.
  IpAddress first() const { return network_; }
  IpAddress last() const;

  bool contains(const IpAddress& a) const;
  bool contains(const Cidr& c) const;
  bool overlaps(const Cidr& c) const;

  // "203.0.113.0/24", "2001:db8::/32"; a host prints with its prefix ("192.0.2.1/32").
  std::string str() const;

  friend auto operator<=>(const Cidr&, const Cidr&) = default;
  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  Cidr(const IpAddress& n, int p) : network_(n), prefix_(p) {}
  IpAddress network_;
  int prefix_;
};

// One row of the special-purpose registries riposte recognises.
struct SpecialRange {
  AddressClass cls;
  Cidr cidr;
  std::string_view reference;  // "RFC 1918"
};
// Every range behind IpAddress::is(), in this order: the one table the classification, its
// tests and any generated documentation read.
const std::vector<SpecialRange>& specialRanges();
// The classes of every special range a CIDR overlaps (each class once, in enum order):
// {kPrivate} for 10.1.0.0/16, every IPv4 class for 0.0.0.0/0, nothing for 203.0.113.0/24.
std::vector<AddressClass> classesOverlapping(const Cidr& c);

}  // namespace riposte::policy
