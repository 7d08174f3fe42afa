// libFuzzer target: the TXT and CSV list parsers. The first byte picks the parser and its
// options; the rest is the file. Invariants: no crash or hang; an accepted list keeps at
// most max_entries entries, counts at least the bad lines it details, numbers every bad
// line within the lines read; every entry prints as text that parses back to itself; and a
// list accepted with a larger limit is the same list.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/threat_list.h"

#ifndef RIPOSTE_FUZZ_ENTRY
#define RIPOSTE_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

namespace {

using namespace riposte::policy;

riposte::Result<ParsedList> parse(uint8_t mode, std::string_view text, const ListLimits& limits) {
  if ((mode & 1) == 0) return parseTxtList(text, limits);
  CsvOptions o;
  o.column_index = (mode >> 1) & 3;
  o.header = static_cast<CsvOptions::Header>((mode >> 3) % 3);
  if (mode & 0x20) o.column = "ip";
  return parseCsvList(text, o, limits);
}

}  // namespace

extern "C" int RIPOSTE_FUZZ_ENTRY(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t mode = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  ListLimits small;
  small.max_entries = 16;
  small.max_reported = 4;
  auto r = parse(mode, text, small);
  if (!r) {
    const auto& code = r.error().code;
    if (code != "ListTooLarge" && code != "InvalidList") std::abort();
    if (r.error().message.empty()) std::abort();
  } else {
    if (r->entries.size() > small.max_entries) std::abort();
    if (r->bad_lines.size() > small.max_reported) std::abort();
    if (r->bad_line_count < r->bad_lines.size()) std::abort();
    if (r->entries.empty() && r->bad_line_count > 0) std::abort();
    for (const auto& b : r->bad_lines) {
      if (b.line == 0 || b.line > r->lines || b.reason.empty()) std::abort();
    }
    for (const auto& c : r->entries) {
      auto back = Cidr::make(c.str());
      if (!back || !(*back == c)) std::abort();
    }
    auto big = parse(mode, text, ListLimits{});
    if (!big || big->entries != r->entries || big->bad_line_count != r->bad_line_count)
      std::abort();
  }
  return 0;
}
