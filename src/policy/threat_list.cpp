#include "policy/threat_list.h"

#include <cctype>

namespace riposte::policy {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// A bounded, printable excerpt of a line for a message.
std::string excerpt(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < 64; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  }
  return text.size() > 64 ? out + "..." : out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// Walks the lines of a list: strips a leading BOM and each line's CR.
class Lines {
 public:
  explicit Lines(std::string_view text) : rest_(text) {
    if (rest_.substr(0, kBom.size()) == kBom) rest_.remove_prefix(kBom.size());
    done_ = rest_.empty();
  }
  bool next(std::string_view& line) {
    if (done_) return false;
    auto nl = rest_.find('\n');
    line = rest_.substr(0, nl);
    if (nl == std::string_view::npos) {
      done_ = true;
    } else {
      rest_.remove_prefix(nl + 1);
      done_ = rest_.empty();  // a final newline ends the last line, it does not start one
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number_;
    return true;
  }
  std::size_t number() const { return number_; }

 private:
  std::string_view rest_;
  bool done_ = false;
  std::size_t number_ = 0;
};

class Collector {
 public:
  explicit Collector(const ListLimits& l) : limits_(l) {}

  void bad(std::size_t line, std::string reason) {
    ++out_.bad_line_count;
    if (out_.bad_lines.size() < limits_.max_reported) {
      out_.bad_lines.push_back(BadLine{line, std::move(reason)});
    }
  }
  // Parses one entry; false when the entry limit is exceeded.
  bool entry(std::size_t line, std::string_view text) {
    for (char c : text) {
      if (blank(c)) {
        bad(line, "expected one address or CIDR per line, found more than one field in '" +
                      excerpt(text) + "'");
        return true;
      }
    }
    auto c = Cidr::make(text);
    if (!c) {
      bad(line, c.error().message);
      return true;
    }
    if (out_.entries.size() == limits_.max_entries) {
      too_large_line_ = line;
      return false;
    }
    out_.entries.push_back(*c);
    return true;
  }

  Result<ParsedList> finish(std::size_t lines) {
    out_.lines = lines;
    if (too_large_line_) {
      return fail("ListTooLarge", "the list has more than " + std::to_string(limits_.max_entries) +
                                      " entries (the limit, reached at line " +
                                      std::to_string(too_large_line_) + ")");
    }
    if (out_.entries.empty() && out_.bad_line_count > 0) {
      std::string msg = "no line of the list could be read (" +
                        std::to_string(out_.bad_line_count) + " bad line" +
                        (out_.bad_line_count == 1 ? "" : "s");
      for (std::size_t i = 0; i < out_.bad_lines.size() && i < 3; ++i) {
        msg += i ? "; " : ": ";
        msg += "line " + std::to_string(out_.bad_lines[i].line) + ": " + out_.bad_lines[i].reason;
      }
      return fail("InvalidList", msg + ")");
    }
    return std::move(out_);
  }

 private:
  const ListLimits& limits_;
  ParsedList out_;
  std::size_t too_large_line_ = 0;
};

Result<void> checkSize(std::string_view text, const ListLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return fail("ListTooLarge", "the list is " + std::to_string(text.size()) +
                                    " bytes; the limit is " + std::to_string(limits.max_bytes));
  }
  return {};
}

// One CSV record's fields (RFC 4180, within a line). False with `why` on a malformed line.
bool splitCsv(std::string_view line, std::vector<std::string>& fields, std::string& why) {
  fields.clear();
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && blank(line[i])) ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        field += line[i++];
      }
      if (!closed) {
        why = "unterminated quoted field " + std::to_string(fields.size() + 1) +
              " (a quoted field must close on its line)";
        return false;
      }
      while (i < line.size() && blank(line[i])) ++i;
      if (i < line.size() && line[i] != ',') {
        why = "text after the closing quote of field " + std::to_string(fields.size() + 1);
        return false;
      }
    } else {
      std::size_t start = i;
      while (i < line.size() && line[i] != ',') ++i;
      field = std::string(trim(line.substr(start, i - start)));
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

// A first-row field that names a column rather than being a (bad) address.
bool looksLikeHeader(std::string_view field) {
  if (Cidr::make(field)) return false;
  for (char c : field) {
    if (c == '.' || c == ':' || c == '/') return false;
  }
  return true;
}

}  // namespace

std::string_view listFormatName(ListFormat f) {
  return f == ListFormat::kTxt ? "txt" : "csv";
}

Result<ListFormat> listFormatFromName(std::string_view name) {
  if (iequals(name, "txt")) return ListFormat::kTxt;
  if (iequals(name, "csv")) return ListFormat::kCsv;
  return fail("InvalidListFormat",
              "unknown list format '" + std::string(name) + "' (known: txt, csv)");
}

Result<ParsedList> parseTxtList(std::string_view text, const ListLimits& limits) {
  if (auto r = checkSize(text, limits); !r) return fail(r.error());
  Collector c(limits);
  Lines lines(text);
  std::string_view line;
  while (lines.next(line)) {
    auto hash = line.find('#');
    std::string_view entry = trim(line.substr(0, hash));
    if (entry.empty()) continue;
    if (!c.entry(lines.number(), entry)) break;
  }
  return c.finish(lines.number());
}

Result<ParsedList> parseCsvList(std::string_view text, const CsvOptions& csv,
                                const ListLimits& limits) {
  if (auto r = checkSize(text, limits); !r) return fail(r.error());
  Collector c(limits);
  Lines lines(text);
  std::string_view line;
  std::vector<std::string> fields;
  std::string why;
  std::size_t column = csv.column_index;
  bool first = true;
  bool need_header = !csv.column.empty() || csv.header == CsvOptions::Header::kPresent;
  while (lines.next(line)) {
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    if (!splitCsv(line, fields, why)) {
      if (first && need_header)
        return fail("InvalidList",
                    "line " + std::to_string(lines.number()) + " (the header): " + why);
      c.bad(lines.number(), why);
      first = false;
      continue;
    }
    if (first) {
      first = false;
      if (!csv.column.empty()) {
        std::size_t k = 0;
        while (k < fields.size() && !iequals(trim(fields[k]), csv.column)) ++k;
        if (k == fields.size()) {
          std::string names;
          for (const auto& f : fields) names += (names.empty() ? "" : ", ") + f;
          return fail("InvalidList", "no column named '" + csv.column + "' in the header (line " +
                                         std::to_string(lines.number()) + ": " + names + ")");
        }
        column = k;
        continue;
      }
      if (csv.header == CsvOptions::Header::kPresent) continue;
      if (csv.header == CsvOptions::Header::kAuto && column < fields.size() &&
          looksLikeHeader(trim(fields[column])))
        continue;
    }
    if (column >= fields.size()) {
      c.bad(lines.number(), "the row has " + std::to_string(fields.size()) +
                                " field(s); the address is field " + std::to_string(column + 1));
      continue;
    }
    std::string_view entry = trim(fields[column]);
    if (entry.empty()) {
      c.bad(lines.number(), "the address field (" + std::to_string(column + 1) + ") is empty");
      continue;
    }
    if (!c.entry(lines.number(), entry)) break;
  }
  return c.finish(lines.number());
}

Result<ParsedList> parseList(std::string_view text, ListFormat format, const ListLimits& limits) {
  return format == ListFormat::kTxt ? parseTxtList(text, limits)
                                    : parseCsvList(text, CsvOptions{}, limits);
}

}  // namespace riposte::policy
