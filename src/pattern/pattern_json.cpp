#include "pattern/pattern_json.h"

#include <fmt/format.h>

#include "core/text.h"

namespace riposte::pattern {
namespace {

constexpr const char* kExpectValue =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

class Reader {
 public:
  Reader(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

  Result<PValue> parseDocument() {
    skipWs();
    PValue v;
    if (!parseValue(v, 0)) return fail("InvalidEventPattern", error_);
    skipWs();
    if (pos_ < s_.size()) {
      setError(fmt::format("Unexpected character ({}): expected end-of-input", describe(s_[pos_])));
      return fail("InvalidEventPattern", error_);
    }
    return v;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  uint32_t line_ = 1;
  std::size_t line_start_ = 0;
  int max_depth_;
  std::string error_;

  uint32_t column() const { return static_cast<uint32_t>(pos_ - line_start_ + 1); }

  bool setError(std::string msg) {
    error_ = fmt::format("{} at line {}, column {}", msg, line_, column());
    return false;
  }

  static std::string describe(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return fmt::format("'{}' (code {})", c, static_cast<int>(u));
    return fmt::format("CTRL-CHAR, code {}", static_cast<int>(u));
  }

  void skipWs() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '\n') {
        ++line_;
        line_start_ = ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
  }

  bool eof(const char* what) {
    return setError(fmt::format("Unexpected end-of-input: expected close marker for {}", what));
  }

  bool parseValue(PValue& out, int depth) {
    if (pos_ >= s_.size()) return setError("Unexpected end-of-input: expected a value");
    out.line = line_;
    out.column = column();
    char c = s_[pos_];
    switch (c) {
      case '{':
        return parseObject(out, depth + 1);
      case '[':
        return parseArray(out, depth + 1);
      case '"':
        out.kind = PValue::Kind::kString;
        return parseString(out.text);
      default:
        break;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parseNumber(out);
    if (c >= 'a' && c <= 'z') return parseWord(out);
    if ((c >= 'A' && c <= 'Z') || c == '_') return parseWord(out);
    return setError(fmt::format("Unexpected character ({}): expected a valid value {}", describe(c),
                                kExpectValue));
  }

  bool parseWord(PValue& out) {
    std::size_t start = pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
        ++pos_;
      else
        break;
    }
    std::string_view w = s_.substr(start, pos_ - start);
    if (w == "true") {
      out.kind = PValue::Kind::kTrue;
    } else if (w == "false") {
      out.kind = PValue::Kind::kFalse;
    } else if (w == "null") {
      out.kind = PValue::Kind::kNull;
    } else {
      pos_ = start;
      return setError(fmt::format("Unrecognized token '{}': was expecting {}", w, kExpectValue));
    }
    return true;
  }

  bool parseNumber(PValue& out) {
    std::size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      std::size_t d = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - d;
    };
    std::size_t int_start = pos_;
    std::size_t n = digits();
    if (n == 0) {
      return setError(
          "Unexpected character: expected digit (0-9) to follow minus sign, for valid "
          "numeric value");
    }
    if (n > 1 && s_[int_start] == '0') {
      return setError("Invalid numeric value: Leading zeroes not allowed");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) {
        return setError("Unexpected character: Decimal point not followed by a digit");
      }
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0)
        return setError("Unexpected character: Exponent indicator not followed by a digit");
    }
    out.kind = PValue::Kind::kNumber;
    out.text.assign(s_.substr(start, pos_ - start));
    return true;
  }

  bool hex4(uint32_t& out) {
    if (pos_ + 4 > s_.size())
      return setError("Unexpected end-of-input within/between String entries");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      const int d = text::hexDigit(c);
      if (d >= 0)
        out = (out << 4) | static_cast<uint32_t>(d);
      else
        return setError(fmt::format(
            "Unexpected character ({}): expected a hex-digit for character escape sequence",
            describe(c)));
    }
    return true;
  }

  bool parseString(std::string& out) {
    ++pos_;  // opening quote
    out.clear();
    while (true) {
      if (pos_ >= s_.size())
        return setError("Unexpected end-of-input: was expecting closing quote for a string value");
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return setError(fmt::format(
            "Illegal unquoted character ({}): has to be escaped using backslash to be included in "
            "string value",
            describe(c)));
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size())
        return setError("Unexpected end-of-input in character escape sequence");
      char e = s_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 6 <= s_.size() && s_[pos_] == '\\' &&
              s_[pos_ + 1] == 'u') {
            std::size_t save = pos_;
            pos_ += 2;
            uint32_t lo;
            if (!hex4(lo)) return false;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
              text::appendUtf8(out, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
              break;
            }
            pos_ = save;
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) {
            out += '?';  // a lone surrogate: what Java's UTF-8 encoder writes for it
          } else {
            text::appendUtf8(out, cp);
          }
          break;
        }
        default:
          --pos_;
          return setError(fmt::format("Unrecognized character escape {}", describe(e)));
      }
    }
  }

  bool parseArray(PValue& out, int depth) {
    if (depth > max_depth_)
      return setError(fmt::format("Nesting depth exceeds the maximum of {}", max_depth_));
    out.kind = PValue::Kind::kArray;
    ++pos_;
    skipWs();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      skipWs();
      if (pos_ >= s_.size()) return eof("Array");
      if (s_[pos_] == ']') {
        return setError(fmt::format("Unexpected character ({}): expected a value", describe(']')));
      }
      out.items.emplace_back();
      if (!parseValue(out.items.back(), depth)) return false;
      skipWs();
      if (pos_ >= s_.size()) return eof("Array");
      char c = s_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      if (c == ']') {
        ++pos_;
        return true;
      }
      return setError(fmt::format(
          "Unexpected character ({}): was expecting comma to separate Array entries", describe(c)));
    }
  }

  bool parseObject(PValue& out, int depth) {
    if (depth > max_depth_)
      return setError(fmt::format("Nesting depth exceeds the maximum of {}", max_depth_));
    out.kind = PValue::Kind::kObject;
    ++pos_;
    skipWs();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skipWs();
      if (pos_ >= s_.size()) return eof("Object");
      if (s_[pos_] != '"') {
        return setError(
            fmt::format("Unexpected character ({}): was expecting double-quote to start field name",
                        describe(s_[pos_])));
      }
      std::string key;
      if (!parseString(key)) return false;
      skipWs();
      if (pos_ >= s_.size()) return eof("Object");
      if (s_[pos_] != ':') {
        return setError(fmt::format(
            "Unexpected character ({}): was expecting a colon to separate field name and value",
            describe(s_[pos_])));
      }
      ++pos_;
      skipWs();
      out.members.push_back(PMember{std::move(key), PValue{}});
      if (!parseValue(out.members.back().second, depth)) return false;
      skipWs();
      if (pos_ >= s_.size()) return eof("Object");
      char c = s_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      if (c == '}') {
        ++pos_;
        return true;
      }
      return setError(
          fmt::format("Unexpected character ({}): was expecting comma to separate Object entries",
                      describe(c)));
    }
  }
};

}  // namespace

Result<PValue> parsePatternJson(std::string_view text, int max_depth) {
  Reader r(text, max_depth);
  return r.parseDocument();
}

namespace {
void quote(std::string& out, const std::string& s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}
void write(std::string& out, const PValue& v) {
  switch (v.kind) {
    case PValue::Kind::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, m] : v.members) {
        if (!first) out += ',';
        first = false;
        quote(out, k);
        out += ':';
        write(out, m);
      }
      out += '}';
      break;
    }
    case PValue::Kind::kArray: {
      out += '[';
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ',';
        write(out, v.items[i]);
      }
      out += ']';
      break;
    }
    case PValue::Kind::kString:
      quote(out, v.text);
      break;
    case PValue::Kind::kNumber:
      out += v.text;
      break;
    case PValue::Kind::kTrue:
      out += "true";
      break;
    case PValue::Kind::kFalse:
      out += "false";
      break;
    case PValue::Kind::kNull:
      out += "null";
      break;
  }
}
}  // namespace

std::string toJsonText(const PValue& v) {
  std::string out;
  write(out, v);
  return out;
}

std::size_t utf16Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) n += (c >= 0xF0) ? 2 : 1;
  }
  return n;
}

}  // namespace riposte::pattern
