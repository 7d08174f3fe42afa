#pragma once
// Parsers for threat-intelligence list files: GuardDuty's plaintext (TXT) format and plain
// CSV. Pure: text in, entries and per-line problems out (no I/O, thread-safe).
//
//   auto list = policy::parseTxtList(file_text);            // Result<ParsedList>
//   for (const auto& bad : list->bad_lines) log(bad.line, bad.reason);
//
// TXT (GuardDuty's "Plaintext (TXT)": "IP addresses and CIDR ranges must appear one per
// line"): one address or CIDR per line, in the forms policy::Cidr::make accepts (a bare
// address is a host). Also accepted, as feeds write them: a UTF-8 byte order mark at the
// start, CRLF line ends, blank lines, spaces and tabs around the entry, and comments: from
// a '#' to the end of the line (a whole line or after the entry). GuardDuty's documentation
// does not describe comments; no address contains '#', so the reading is unambiguous.
//
// CSV (RFC 4180 fields: comma-separated, optionally double-quoted with "" for a quote):
//   - one column holds the address or CIDR: the first by default, another by 0-based index
//     (CsvOptions::column_index) or by header name (CsvOptions::column, which needs a
//     header; names compare ASCII-case-insensitively); every other column is ignored;
//   - the header is optional: with Header::kAuto the first row is a header when its address
//     field is not an address and does not look like one (no '.', ':' or '/': "ip",
//     "indicator", "ipv4"); kPresent and kAbsent say so explicitly;
//   - lines starting with '#' (after blanks) are comments, blank lines are skipped, a BOM
//     and CRLF are accepted as in TXT; a quoted field must close on its line (a field never
//     spans lines), and nothing but blanks may follow its closing quote.
//
// Every bad line is counted and reported with its 1-based line number and the reason (the
// first ListLimits::max_reported of them in detail); the good lines are kept. Errors:
//   "ListTooLarge"  the text is over max_bytes, or holds more than max_entries entries;
//   "InvalidList"   no entry could be read but some line was bad (an HTML error page, a
//                   binary file, the wrong format), or the named CSV column is missing.
// A text with no entries and no bad lines (empty, only comments) is an empty list.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "policy/ip.h"

namespace riposte::policy {

enum class ListFormat : uint8_t { kTxt, kCsv };
// "txt", "csv".
std::string_view listFormatName(ListFormat f);
// From a configured name ("txt", "csv"; any case). Error "InvalidListFormat" naming both.
Result<ListFormat> listFormatFromName(std::string_view name);

struct ListLimits {
  // GuardDuty's quotas: 250,000 IP addresses and CIDR ranges per threat IP list (its trusted
  // IP lists hold 2,000, which riposte does not impose), in a file of at most 35 MB.
  static constexpr std::size_t kGuardDutyMaxEntries = 250'000;
  static constexpr std::size_t kGuardDutyMaxBytes = 35u * 1024 * 1024;

  std::size_t max_entries = kGuardDutyMaxEntries;
  std::size_t max_bytes = kGuardDutyMaxBytes;
  std::size_t max_reported = 1000;  // bad lines kept in detail; all are counted
};

struct CsvOptions {
  enum class Header : uint8_t { kAuto, kPresent, kAbsent };
  std::string column;            // the address column's header name; "" = by column_index
  std::size_t column_index = 0;  // 0-based, used when `column` is empty
  Header header = Header::kAuto;
};

struct BadLine {
  std::size_t line = 0;  // 1-based
  std::string reason;    // quotes (a bounded excerpt of) the text
};

struct ParsedList {
  std::vector<Cidr> entries;       // in file order, duplicates kept
  std::vector<BadLine> bad_lines;  // the first ListLimits::max_reported bad lines
  std::size_t bad_line_count = 0;  // every bad line
  std::size_t lines = 0;           // lines read
};

Result<ParsedList> parseTxtList(std::string_view text, const ListLimits& limits = {});
Result<ParsedList> parseCsvList(std::string_view text, const CsvOptions& csv = {},
                                const ListLimits& limits = {});
// Either parser by format (CSV with default options).
Result<ParsedList> parseList(std::string_view text, ListFormat format,
                             const ListLimits& limits = {});

}  // namespace riposte::policy
