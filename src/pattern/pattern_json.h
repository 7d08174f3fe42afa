#pragma once
// A small JSON reader for event patterns. Unlike a general DOM it keeps what the pattern
// compiler needs: duplicate object keys in document order, the literal text of numbers, and
// the line/column of every value (for error messages).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace riposte::pattern {

struct PMember;

struct PValue {
  enum class Kind : uint8_t { kObject, kArray, kString, kNumber, kTrue, kFalse, kNull };
  Kind kind = Kind::kNull;
  // kString: the unescaped UTF-8 text; kNumber: the literal token text ("3.0e2").
  std::string text;
  std::vector<PValue> items;     // kArray
  std::vector<PMember> members;  // kObject, duplicates kept, in order
  uint32_t line = 1;
  uint32_t column = 1;

  bool isNumber() const { return kind == Kind::kNumber; }
  bool isString() const { return kind == Kind::kString; }
};

struct PMember {
  std::string first;  // key
  PValue second;      // value
};

// Parses one JSON value (and nothing after it but whitespace). Nesting deeper than
// `max_depth` is an error. The error (code "InvalidEventPattern") uses Jackson-style wording
// followed by " at line L, column C". Thread-safe (no shared state).
Result<PValue> parsePatternJson(std::string_view text, int max_depth);

// Serialises a value back to compact JSON, keeping number texts and duplicate keys.
std::string toJsonText(const PValue& v);

// Number of UTF-16 code units in a UTF-8 string (Java's String.length()).
std::size_t utf16Length(std::string_view utf8);

}  // namespace riposte::pattern
