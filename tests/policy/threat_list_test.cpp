// The list parsers: GuardDuty TXT and CSV, bad lines with their numbers, limits.
#include "policy/threat_list.h"

#include <gtest/gtest.h>

namespace riposte::policy {
namespace {

std::vector<std::string> strs(const ParsedList& l) {
  std::vector<std::string> out;
  for (const auto& c : l.entries) out.push_back(c.str());
  return out;
}

std::vector<std::size_t> badLineNumbers(const ParsedList& l) {
  std::vector<std::size_t> out;
  for (const auto& b : l.bad_lines) out.push_back(b.line);
  return out;
}

using V = std::vector<std::string>;
using N = std::vector<std::size_t>;

TEST(TxtList, ReadsGuardDutysSample) {
  // The sample of GuardDuty's "List formats" (Plaintext (TXT)).
  auto l = parseTxtList("54.20.175.217\n205.0.0.0/8\n");
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(strs(*l), (V{"54.20.175.217/32", "205.0.0.0/8"}));
  EXPECT_EQ(l->lines, 2u);
  EXPECT_EQ(l->bad_line_count, 0u);
}

TEST(TxtList, AcceptsBomCrlfBlanksCommentsAndIpv6) {
  std::string text =
      "\xEF\xBB\xBF# tor exit nodes, 2026-12-01\r\n"
      "\r\n"
      "  198.51.100.7  \r\n"
      "\t203.0.113.0/24\t# a whole block\r\n"
      "2001:db8::/32#no space before the comment\r\n"
      "   # indented comment\n"
      "::ffff:192.0.2.1\n"
      "192.0.2.99";  // no final newline
  auto l = parseTxtList(text);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(strs(*l), (V{"198.51.100.7/32", "203.0.113.0/24", "2001:db8::/32", "192.0.2.1/32",
                         "192.0.2.99/32"}));
  EXPECT_EQ(l->lines, 8u);
  EXPECT_EQ(l->bad_line_count, 0u);
}

TEST(TxtList, ReportsEachBadLineWithItsNumberAndKeepsTheGood) {
  std::string text =
      "198.51.100.7\n"
      "not-an-ip\n"
      "1.2.3.4/33\n"
      "01.2.3.4\n"
      "203.0.113.0/24\n"
      "1.2.3.4/24\n"
      "198.51.100.8 198.51.100.9\n"
      "198.51.100.10,tor\n"
      "\x01\x02\n"
      "2001:db8::1\n";
  auto l = parseTxtList(text);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(strs(*l), (V{"198.51.100.7/32", "203.0.113.0/24", "2001:db8::1/128"}));
  EXPECT_EQ(l->bad_line_count, 7u);
  EXPECT_EQ(badLineNumbers(*l), (N{2, 3, 4, 6, 7, 8, 9}));
  EXPECT_NE(l->bad_lines[0].reason.find("'not-an-ip'"), std::string::npos)
      << l->bad_lines[0].reason;
  EXPECT_NE(l->bad_lines[1].reason.find("exceeds 32"), std::string::npos);
  EXPECT_NE(l->bad_lines[2].reason.find("leading zero"), std::string::npos);
  EXPECT_NE(l->bad_lines[3].reason.find("1.2.3.0/24"), std::string::npos);
  EXPECT_NE(l->bad_lines[4].reason.find("one address or CIDR per line"), std::string::npos);
  EXPECT_NE(l->bad_lines[6].reason.find("\\x01"), std::string::npos) << l->bad_lines[6].reason;
}

TEST(TxtList, EmptyOrCommentsOnlyIsAnEmptyList) {
  for (const char* text : {"", "\n", "\r\n\r\n", "# nothing yet\n#\n", "\xEF\xBB\xBF"}) {
    auto l = parseTxtList(text);
    ASSERT_TRUE(l) << text;
    EXPECT_TRUE(l->entries.empty());
    EXPECT_EQ(l->bad_line_count, 0u);
  }
}

TEST(TxtList, EntirelyUnreadableIsAnError) {
  auto l = parseTxtList("<html>\n<body>503 Service Unavailable</body>\n</html>\n");
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, "InvalidList");
  EXPECT_NE(l.error().message.find("3 bad lines"), std::string::npos) << l.error().message;
  EXPECT_NE(l.error().message.find("line 1"), std::string::npos);
  std::string binary("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  EXPECT_EQ(parseTxtList(binary).error().code, "InvalidList");
}

TEST(TxtList, EnforcesTheEntryAndByteLimits) {
  ListLimits limits;
  limits.max_entries = 3;
  EXPECT_TRUE(parseTxtList("192.0.2.1\n192.0.2.2\n192.0.2.3\n", limits));
  auto over = parseTxtList("192.0.2.1\n192.0.2.2\n# c\n192.0.2.3\nbad\n192.0.2.4\n", limits);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "ListTooLarge");
  EXPECT_NE(over.error().message.find("more than 3 entries"), std::string::npos);
  EXPECT_NE(over.error().message.find("line 6"), std::string::npos) << over.error().message;

  limits = ListLimits{};
  limits.max_bytes = 20;
  EXPECT_TRUE(parseTxtList("192.0.2.1\n192.0.2.2\n", limits));  // 20 bytes
  auto big = parseTxtList("192.0.2.1\n192.0.2.22\n", limits);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, "ListTooLarge");
  EXPECT_NE(big.error().message.find("21 bytes"), std::string::npos);
}

TEST(TxtList, DefaultLimitsAreGuardDutys) {
  ListLimits l;
  EXPECT_EQ(l.max_entries, 250'000u);
  EXPECT_EQ(l.max_bytes, 35u * 1024 * 1024);
  std::string text;
  for (uint32_t i = 0; i < 250'001; ++i) {
    text += IpAddress::v4(0x0a000000u + i).str();
    text += '\n';
  }
  auto over = parseTxtList(text);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, "ListTooLarge");
  text.resize(text.rfind('\n', text.size() - 2) + 1);
  auto ok = parseTxtList(text);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->entries.size(), 250'000u);
}

TEST(TxtList, CountsEveryBadLineButDetailsAFew) {
  ListLimits limits;
  limits.max_reported = 2;
  auto l = parseTxtList("x\ny\n192.0.2.1\nz\n", limits);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->bad_line_count, 3u);
  EXPECT_EQ(badLineNumbers(*l), (N{1, 2}));
}

TEST(CsvList, FirstColumnWithAnAutoDetectedHeader) {
  auto l = parseCsvList(
      "ip,first_seen,description\r\n"
      "198.51.100.7,2026-11-30,\"scanner, port 22\"\r\n"
      "203.0.113.0/24,2026-12-01,botnet\r\n");
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(strs(*l), (V{"198.51.100.7/32", "203.0.113.0/24"}));
  EXPECT_EQ(l->bad_line_count, 0u);
}

TEST(CsvList, WithoutAHeader) {
  auto l = parseCsvList("198.51.100.7,a\n203.0.113.9\n");
  ASSERT_TRUE(l);
  EXPECT_EQ(strs(*l), (V{"198.51.100.7/32", "203.0.113.9/32"}));
  // A first row that tried to be an address is a bad line, not a header.
  auto bad = parseCsvList("1.2.3.4/33,x\n198.51.100.7,y\n");
  ASSERT_TRUE(bad);
  EXPECT_EQ(strs(*bad), (V{"198.51.100.7/32"}));
  EXPECT_EQ(badLineNumbers(*bad), (N{1}));
}

TEST(CsvList, NamedColumnAndIndex) {
  CsvOptions o;
  o.column = "Indicator";
  std::string text =
      "# exported 2026-12-01\n"
      "type,indicator,confidence\n"
      "IPv4,198.51.100.7,90\n"
      "CIDR,\"203.0.113.0/24\",80\n"
      "IPv6, 2001:db8::1 ,70\n";
  auto l = parseCsvList(text, o);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(strs(*l), (V{"198.51.100.7/32", "203.0.113.0/24", "2001:db8::1/128"}));

  CsvOptions idx;
  idx.column_index = 1;
  idx.header = CsvOptions::Header::kPresent;
  auto byIndex = parseCsvList(text, idx);
  ASSERT_TRUE(byIndex);
  EXPECT_EQ(strs(*byIndex), strs(*l));

  o.column = "address";
  auto missing = parseCsvList(text, o);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "InvalidList");
  EXPECT_NE(missing.error().message.find("type, indicator, confidence"), std::string::npos)
      << missing.error().message;
}

TEST(CsvList, HeaderAbsentMakesTheFirstRowData) {
  CsvOptions o;
  o.header = CsvOptions::Header::kAbsent;
  auto l = parseCsvList("ip\n198.51.100.7\n", o);
  ASSERT_TRUE(l);
  EXPECT_EQ(strs(*l), (V{"198.51.100.7/32"}));
  EXPECT_EQ(badLineNumbers(*l), (N{1}));
}

TEST(CsvList, ReportsMalformedRows) {
  std::string text =
      "ip,note\n"
      "198.51.100.7,ok\n"
      "\"198.51.100.8,unterminated\n"
      "\"198.51.100.9\"x,after the quote\n"
      ",empty address\n"
      "\"198.51.100.\"\"10\",escaped quote in the address\n"
      "  # a comment\n"
      "\n"
      "203.0.113.9,\"a \"\"quoted\"\" note, with a comma\"\n";
  CsvOptions o;
  o.column_index = 0;
  auto l = parseCsvList(text, o);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(strs(*l), (V{"198.51.100.7/32", "203.0.113.9/32"}));
  EXPECT_EQ(badLineNumbers(*l), (N{3, 4, 5, 6}));
  EXPECT_NE(l->bad_lines[0].reason.find("unterminated"), std::string::npos);
  EXPECT_NE(l->bad_lines[1].reason.find("after the closing quote"), std::string::npos);
  EXPECT_NE(l->bad_lines[2].reason.find("empty"), std::string::npos);

  CsvOptions second;
  second.column_index = 2;
  auto short_rows = parseCsvList("a,b,198.51.100.7\na,b\n", second);
  ASSERT_TRUE(short_rows);
  EXPECT_EQ(badLineNumbers(*short_rows), (N{2}));
  EXPECT_NE(short_rows->bad_lines[0].reason.find("2 field(s)"), std::string::npos);
}

TEST(CsvList, EntirelyUnreadableAndLimits) {
  EXPECT_EQ(parseCsvList("x,y\nnope,1\nnada,2\n").error().code, "InvalidList");
  ListLimits limits;
  limits.max_entries = 1;
  EXPECT_EQ(parseCsvList("198.51.100.7\n198.51.100.8\n", {}, limits).error().code, "ListTooLarge");
  EXPECT_TRUE(parseCsvList("ip,note\n"));  // a header alone: an empty list
}

TEST(ListFormat, Names) {
  EXPECT_EQ(*listFormatFromName("TXT"), ListFormat::kTxt);
  EXPECT_EQ(*listFormatFromName("csv"), ListFormat::kCsv);
  auto bad = listFormatFromName("stix");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "InvalidListFormat");
  EXPECT_NE(bad.error().message.find("txt, csv"), std::string::npos);
  EXPECT_EQ(listFormatName(ListFormat::kCsv), "csv");
  EXPECT_EQ(strs(*parseList("192.0.2.1\n", ListFormat::kCsv)), (V{"192.0.2.1/32"}));
}

}  // namespace
}  // namespace riposte::policy
