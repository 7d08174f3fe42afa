// IpAddress and Cidr: the strict text forms, RFC 5952 output, v4-mapped normalisation, and
// the special-purpose ranges.
#include "policy/ip.h"

#include <gtest/gtest.h>

#include <random>

namespace riposte::policy {
namespace {

IpAddress ip(std::string_view s) {
  auto a = IpAddress::make(s);
  EXPECT_TRUE(a) << s << ": " << a.error().message;
  return a ? *a : IpAddress::v4(0);
}

Cidr cidr(std::string_view s) {
  auto c = Cidr::make(s);
  EXPECT_TRUE(c) << s << ": " << c.error().message;
  return c ? *c : Cidr::host(IpAddress::v4(0));
}

// The error message for text that must be refused.
std::string refusedAddress(std::string_view s) {
  auto a = IpAddress::make(s);
  EXPECT_FALSE(a) << "accepted '" << s << "' as " << (a ? a->str() : "");
  if (a) return "";
  EXPECT_EQ(a.error().code, "InvalidAddress");
  return a.error().message;
}

std::string refusedCidr(std::string_view s) {
  auto c = Cidr::make(s);
  EXPECT_FALSE(c) << "accepted '" << s << "' as " << (c ? c->str() : "");
  if (c) return "";
  EXPECT_EQ(c.error().code, "InvalidCidr");
  return c.error().message;
}

TEST(IpAddress, ParsesIpv4) {
  EXPECT_EQ(ip("0.0.0.0").v4Bits(), 0u);
  EXPECT_EQ(ip("255.255.255.255").v4Bits(), 0xffffffffu);
  EXPECT_EQ(ip("203.0.113.9").v4Bits(), 0xcb007109u);
  EXPECT_EQ(ip("10.0.0.1").str(), "10.0.0.1");
  EXPECT_TRUE(ip("192.0.2.1").isV4());
  EXPECT_EQ(ip("192.0.2.1").bits(), 32);
}

TEST(IpAddress, RefusesAmbiguousOrMalformedIpv4) {
  EXPECT_NE(refusedAddress("01.2.3.4").find("leading zero"), std::string::npos);
  EXPECT_NE(refusedAddress("1.2.3.04").find("leading zero"), std::string::npos);
  EXPECT_NE(refusedAddress("1.2.3.00").find("leading zero"), std::string::npos);
  EXPECT_NE(refusedAddress("1.2.3.256").find("out of range"), std::string::npos);
  EXPECT_NE(refusedAddress("1.2.3.1000").find("out of range"), std::string::npos);
  EXPECT_NE(refusedAddress("127.1").find("shorthand"), std::string::npos);
  for (const char* s :
       {"", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "0x7f.0.0.1", "1.2.3.4 ",
        " 1.2.3.4", "1.2.3.4\n", "1.2.3.-4", "+1.2.3.4", "1.2.3.4/", "a.b.c.d", "not-an-ip",
        "1.2.3.4\xc2\xa0", "1,2,3,4", "4294967295", "1.2.3.4%eth0"}) {
    refusedAddress(s);
  }
}

TEST(IpAddress, ParsesIpv6TextForms) {
  EXPECT_EQ(ip("::").str(), "::");
  EXPECT_EQ(ip("::1").str(), "::1");
  EXPECT_EQ(ip("1::").str(), "1::");
  EXPECT_EQ(ip("2001:db8::1").str(), "2001:db8::1");
  EXPECT_EQ(ip("2001:0DB8:0000:0000:0000:0000:0000:0001").str(), "2001:db8::1");
  EXPECT_EQ(ip("2001:db8:0:0:1:0:0:1").str(), "2001:db8::1:0:0:1");  // the first longest run
  EXPECT_EQ(ip("2001:db8:0:0:0:1:0:0").str(), "2001:db8::1:0:0");
  EXPECT_EQ(ip("2001:db8:0:1:1:1:1:1").str(), "2001:db8:0:1:1:1:1:1");  // one zero stays
  EXPECT_EQ(ip("2001:db8::0:1").str(), "2001:db8::1");
  EXPECT_EQ(ip("fe80::1:2:3:4").str(), "fe80::1:2:3:4");
  EXPECT_EQ(ip("64:ff9b::192.0.2.33").str(), "64:ff9b::c000:221");  // NAT64: stays IPv6
  EXPECT_EQ(ip("::192.0.2.33").str(), "::c000:221");                // IPv4-compatible: IPv6
  EXPECT_EQ(ip("1:2:3:4:5:6:7::").str(), "1:2:3:4:5:6:7:0");        // "::" for one group
  EXPECT_EQ(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").hi(), ~0ULL);
  EXPECT_FALSE(ip("2001:db8::1").isV4());
  EXPECT_EQ(ip("2001:db8::1").bits(), 128);
}

TEST(IpAddress, RefusesMalformedIpv6) {
  EXPECT_NE(refusedAddress("fe80::1%eth0").find("zone"), std::string::npos);
  EXPECT_NE(refusedAddress("1::2::3").find("more than once"), std::string::npos);
  EXPECT_NE(refusedAddress("2001:db8::00001").find("four hex digits"), std::string::npos);
  for (const char* s :
       {":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
        ":1::", "1::2:", "[::1]", "::g", "2001:db8::1.2.3", "::1.2.3.04", "::1.2.3.4:5",
        "1:2:3:4:5:6:7:1.2.3.4", " ::1", "::1 ", "2001:db8:::1", "::ffff:1.2.3.256"}) {
    refusedAddress(s);
  }
}

TEST(IpAddress, V4MappedIsIpv4) {
  EXPECT_EQ(ip("::ffff:203.0.113.9"), ip("203.0.113.9"));
  EXPECT_EQ(ip("::FFFF:cb00:7109"), ip("203.0.113.9"));
  EXPECT_EQ(ip("0:0:0:0:0:ffff:cb00:7109").str(), "203.0.113.9");
  EXPECT_TRUE(ip("::ffff:127.0.0.1").isLoopback());
  EXPECT_EQ(IpAddress::v6(0, 0xffffcb007109ULL), ip("203.0.113.9"));
  // Next to the mapped block: ordinary IPv6.
  EXPECT_FALSE(ip("::fffe:cb00:7109").isV4());
  EXPECT_FALSE(ip("0:0:0:1:0:ffff:cb00:7109").isV4());
}

TEST(IpAddress, TextRoundTripsForRandomAddresses) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    uint64_t hi = rng(), lo = rng();
    // Zero groups are where the text forms differ: punch some.
    for (int g = 0; g < 8; ++g) {
      if (rng() % 3 == 0) {
        if (g < 4) {
          hi &= ~(0xffffULL << (16 * g));
        } else {
          lo &= ~(0xffffULL << (16 * (g - 4)));
        }
      }
    }
    IpAddress a = rng() % 4 == 0 ? IpAddress::v4(static_cast<uint32_t>(lo)) : IpAddress::v6(hi, lo);
    auto back = IpAddress::make(a.str());
    ASSERT_TRUE(back) << a.str();
    EXPECT_EQ(*back, a) << a.str();
  }
}

TEST(IpAddress, OrdersV4BeforeV6ThenNumerically) {
  EXPECT_LT(ip("255.255.255.255"), ip("::"));
  EXPECT_LT(ip("9.0.0.0"), ip("10.0.0.0"));
  EXPECT_LT(ip("2001:db8::1"), ip("2001:db8::2"));
  EXPECT_LT(ip("::fffe:ffff:ffff"), ip("1::"));
}

TEST(Cidr, ParsesBlocksAndHosts) {
  Cidr c = cidr("203.0.113.0/24");
  EXPECT_EQ(c.prefix(), 24);
  EXPECT_EQ(c.first(), ip("203.0.113.0"));
  EXPECT_EQ(c.last(), ip("203.0.113.255"));
  EXPECT_EQ(c.str(), "203.0.113.0/24");
  EXPECT_EQ(cidr("192.0.2.7").str(), "192.0.2.7/32");
  EXPECT_EQ(cidr("2001:db8::7").str(), "2001:db8::7/128");
  EXPECT_EQ(cidr("0.0.0.0/0").last(), ip("255.255.255.255"));
  EXPECT_EQ(cidr("::/0").last(), ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(cidr("2001:db8::/32").last(), ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(cidr("2001:db8:0:0:8000::/65").last(), ip("2001:db8::ffff:ffff:ffff:ffff"));
  EXPECT_EQ(cidr("10.0.0.0/8").family(), IpFamily::kV4);
  EXPECT_EQ(Cidr::host(ip("192.0.2.1")).prefix(), 32);
}

TEST(Cidr, RefusesBadPrefixesAndHostBits) {
  EXPECT_NE(refusedCidr("1.2.3.4/33").find("exceeds 32"), std::string::npos);
  EXPECT_NE(refusedCidr("2001:db8::/129").find("exceeds 128"), std::string::npos);
  std::string m = refusedCidr("1.2.3.4/24");
  EXPECT_NE(m.find("host bits"), std::string::npos) << m;
  EXPECT_NE(m.find("1.2.3.0/24"), std::string::npos) << m;
  EXPECT_NE(refusedCidr("2001:db8::1/32").find("2001:db8::/32"), std::string::npos);
  EXPECT_NE(refusedCidr("10.0.0.0/08").find("leading zero"), std::string::npos);
  for (const char* s : {"10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/ 8",
                        "10.0.0.0 /8", "/8", "10.0.0.0/8a", "10.0.0.0/0x8", "01.0.0.0/8",
                        "0.0.0.0/00", "10.0.0.0/1000000000000", "::/1e2", "garbage"}) {
    refusedCidr(s);
  }
  EXPECT_FALSE(Cidr::make(ip("10.0.0.1"), 8));
  EXPECT_FALSE(Cidr::make(ip("10.0.0.0"), 33));
  EXPECT_FALSE(Cidr::make(ip("10.0.0.0"), -1));
  EXPECT_TRUE(Cidr::make(ip("10.0.0.0"), 8));
}

TEST(Cidr, V4MappedBlocksAreIpv4) {
  EXPECT_EQ(cidr("::ffff:192.0.2.0/120"), cidr("192.0.2.0/24"));
  EXPECT_EQ(cidr("::ffff:0:0/96"), cidr("0.0.0.0/0"));
  EXPECT_EQ(cidr("::ffff:192.0.2.1"), cidr("192.0.2.1/32"));
  EXPECT_EQ(cidr("::ffff:192.0.2.1/128"), cidr("192.0.2.1/32"));
  // Shorter than /96: IPv6, and no IPv4 address is in it.
  Cidr wide = cidr("::/80");
  EXPECT_EQ(wide.family(), IpFamily::kV6);
  EXPECT_FALSE(wide.contains(ip("::ffff:192.0.2.1")));
  EXPECT_FALSE(cidr("::/0").contains(ip("192.0.2.1")));
  EXPECT_NE(refusedCidr("::ffff:192.0.2.1/120").find("192.0.2.0/24"), std::string::npos);
  refusedCidr("::ffff:0:0/95");
  refusedCidr("::ffff:192.0.2.0/129");
}

TEST(Cidr, ContainsAndOverlaps) {
  Cidr net = cidr("10.0.0.0/8");
  EXPECT_TRUE(net.contains(ip("10.255.255.255")));
  EXPECT_FALSE(net.contains(ip("11.0.0.0")));
  EXPECT_FALSE(net.contains(ip("::ffff:b00:0")));
  EXPECT_TRUE(net.contains(ip("::ffff:10.1.2.3")));
  EXPECT_TRUE(net.contains(cidr("10.1.0.0/16")));
  EXPECT_FALSE(cidr("10.1.0.0/16").contains(net));
  EXPECT_TRUE(net.overlaps(cidr("10.1.0.0/16")));
  EXPECT_TRUE(cidr("10.1.0.0/16").overlaps(net));
  EXPECT_FALSE(net.overlaps(cidr("11.0.0.0/8")));
  EXPECT_FALSE(net.overlaps(cidr("::/0")));
  EXPECT_TRUE(cidr("0.0.0.0/0").contains(ip("255.255.255.255")));
  EXPECT_TRUE(cidr("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(cidr("2001:db8::/32").contains(ip("2001:db9::")));
  EXPECT_TRUE(cidr("::/0").contains(ip("::")));
}

TEST(SpecialRanges, ClassifyEachRangeToItsEdges) {
  for (const auto& r : specialRanges()) {
    SCOPED_TRACE(r.cidr.str());
    EXPECT_TRUE(r.cidr.first().is(r.cls));
    EXPECT_TRUE(r.cidr.last().is(r.cls));
    EXPECT_FALSE(r.reference.empty());
  }
  EXPECT_TRUE(ip("0.0.0.0").isUnspecified());
  EXPECT_TRUE(ip("::").isUnspecified());
  EXPECT_FALSE(ip("0.0.0.1").isUnspecified());
  EXPECT_TRUE(ip("127.255.0.1").isLoopback());
  EXPECT_TRUE(ip("::1").isLoopback());
  EXPECT_FALSE(ip("128.0.0.1").isLoopback());
  EXPECT_TRUE(ip("169.254.169.254").isLinkLocal());
  EXPECT_TRUE(ip("fe80::1").isLinkLocal());
  EXPECT_TRUE(ip("febf::1").isLinkLocal());
  EXPECT_FALSE(ip("fec0::1").isLinkLocal());
  EXPECT_TRUE(ip("224.0.0.1").isMulticast());
  EXPECT_TRUE(ip("239.255.255.255").isMulticast());
  EXPECT_FALSE(ip("240.0.0.0").isMulticast());
  EXPECT_TRUE(ip("ff02::1").isMulticast());
  EXPECT_TRUE(ip("10.1.2.3").isPrivate());
  EXPECT_TRUE(ip("172.16.0.0").isPrivate());
  EXPECT_TRUE(ip("172.31.255.255").isPrivate());
  EXPECT_FALSE(ip("172.15.255.255").isPrivate());
  EXPECT_FALSE(ip("172.32.0.0").isPrivate());
  EXPECT_TRUE(ip("192.168.255.255").isPrivate());
  EXPECT_FALSE(ip("192.169.0.0").isPrivate());
  EXPECT_TRUE(ip("fd12:3456::1").isPrivate());
  EXPECT_TRUE(ip("fc00::").isPrivate());
  EXPECT_FALSE(ip("fe00::").isPrivate());
  EXPECT_FALSE(ip("100.64.0.1").isPrivate());  // shared address space is not RFC 1918
  EXPECT_TRUE(ip("255.255.255.255").isBroadcast());
  EXPECT_FALSE(ip("255.255.255.254").isBroadcast());
  EXPECT_TRUE(ip("::ffff:10.0.0.1").isPrivate());
  for (const char* s : {"203.0.113.9", "8.8.8.8", "2001:db8::1", "2600::1"}) {
    IpAddress a = ip(s);
    EXPECT_FALSE(a.isUnspecified() || a.isLoopback() || a.isLinkLocal() || a.isMulticast() ||
                 a.isPrivate() || a.isBroadcast())
        << s;
  }
}

TEST(SpecialRanges, ClassesOverlappingACidr) {
  using C = AddressClass;
  EXPECT_EQ(classesOverlapping(cidr("10.1.0.0/16")), std::vector<C>{C::kPrivate});
  EXPECT_EQ(classesOverlapping(cidr("203.0.113.0/24")), std::vector<C>{});
  EXPECT_EQ(classesOverlapping(cidr("0.0.0.0/0")),
            (std::vector<C>{C::kUnspecified, C::kLoopback, C::kLinkLocal, C::kMulticast,
                            C::kPrivate, C::kBroadcast}));
  EXPECT_EQ(
      classesOverlapping(cidr("::/0")),
      (std::vector<C>{C::kUnspecified, C::kLoopback, C::kLinkLocal, C::kMulticast, C::kPrivate}));
  EXPECT_EQ(classesOverlapping(cidr("8.0.0.0/6")), (std::vector<C>{C::kPrivate}));
  EXPECT_EQ(classesOverlapping(cidr("169.254.169.254")), std::vector<C>{C::kLinkLocal});
  EXPECT_EQ(addressClassName(C::kLinkLocal), "link-local");
}

}  // namespace
}  // namespace riposte::policy
