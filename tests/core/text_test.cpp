// core/text.h: cuts that never split a UTF-8 character.
#include "core/text.h"

#include <gtest/gtest.h>

namespace riposte::text {
namespace {

bool validUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80         ? 1
                          : (c >> 5) == 6  ? 2
                          : (c >> 4) == 14 ? 3
                          : (c >> 3) == 30 ? 4
                                           : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

TEST(Text, TruncateUtf8NeverSplitsACharacter) {
  EXPECT_EQ(truncateUtf8("short", 10, "..."), "short");
  EXPECT_EQ(truncateUtf8("abcdefghij", 8, "..."), "abcde...");
  EXPECT_EQ(truncateUtf8("abcdefghij", 8), "abcdefgh");
  const std::string mixed = "aé侵🛑b侵é🛑";
  for (std::size_t max = 0; max <= mixed.size() + 1; ++max) {
    for (std::string_view tail : {"", "...", "…"}) {
      const std::string got = truncateUtf8(mixed, max, tail);
      EXPECT_LE(got.size(), max) << max;
      EXPECT_TRUE(validUtf8(got)) << max << " " << tail;
      if (mixed.size() <= max) {
        EXPECT_EQ(got, mixed);
      }
    }
  }
  EXPECT_EQ(truncateUtf8("🛑🛑", 5), "🛑");
  EXPECT_EQ(truncateUtf8("🛑🛑", 3), "");
}

}  // namespace
}  // namespace riposte::text
