#pragma once
// The JSONPath subset of the States Language (Jayway-compatible): `$`, `.name`, `['name']`,
// `[n]` (negative counts from the end), `[*]`, `.*`, `..name`, `[a,b]`, `[start:end:step]`,
// `[?(@.x > 1 && @.y)]` filters and a trailing `.length()`. `$$…` addresses the Context
// object and `$name…` a variable (set by Assign). Compiled once, evaluated many times.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace riposte::asl {

struct PathSegment;
struct FilterExpr;

class JsonPath {
 public:
  enum class Root { Input, Context, Variable };

  // Parses a path. Error code "InvalidPath" with the position of the problem.
  static Result<JsonPath> parse(std::string_view text);

  const std::string& text() const { return text_; }
  Root root() const { return root_; }
  // The variable name for Root::Variable ("$x.y" → "x").
  const std::string& variable() const { return variable_; }
  // True when the path selects at most one value (no wildcard, slice, union, filter, `..`).
  bool definite() const { return definite_; }
  // True when the path is only `.name` / `['name']` / `[n]` steps (a Reference Path: what
  // ResultPath and Choice Variables must be).
  bool isReference() const { return reference_; }
  // True for `$`, `$$` or `$var` alone.
  bool isRootOnly() const;

  // Evaluates against `root` (the input, the Context object or the variable's value).
  // A definite path returns its value or nullopt when nothing matches; an indefinite path
  // returns the array of matches (possibly empty).
  std::optional<json::value> eval(const json::value& root) const;
  // True when find() can answer (a definite path without `.length()`).
  bool findable() const;
  // For definite paths: a pointer to the matched value inside `root`, or nullptr.
  const json::value* find(const json::value& root) const;
  // Sets the value at a Reference Path, creating missing objects on the way. Fails (false)
  // when a step meets a value of the wrong kind (not an object / index out of range).
  bool assign(json::value& root, json::value v) const;

  JsonPath();
  JsonPath(const JsonPath&);
  JsonPath(JsonPath&&) noexcept;
  JsonPath& operator=(const JsonPath&);
  JsonPath& operator=(JsonPath&&) noexcept;
  ~JsonPath();

 private:
  std::string text_;
  std::string variable_;
  Root root_ = Root::Input;
  bool definite_ = true;
  bool reference_ = true;
  std::vector<PathSegment> segments_;
  friend class PathParser;
  friend struct PathEval;
};

// Structural JSON equality where numbers compare by value (1 == 1.0).
bool jsonEquals(const json::value& a, const json::value& b);

}  // namespace riposte::asl
