#pragma once
// The JSONata subset used by QueryLanguage "JSONata" states: literals, `$states.input…`,
// `$states.result…`, `$states.errorOutput…`, `$states.context…`, `$variable…`, field and
// index steps, arithmetic (+ - * / %), `&`, comparisons (= != < <= > >=), `and`/`or`,
// conditionals (`a ? b : c`), array/object constructors and the common functions ($not,
// $string, $number, $count, $exists, $length, $uppercase, $lowercase, $substring, $join,
// $sum, $max, $min, $abs, $floor, $ceil, $round, $boolean, $keys, $append, $contains, $split,
// $type). A JTemplate is a JSON value whose strings of the form "{% expr %}" are evaluated.

#include <memory>
#include <optional>
#include <string>

#include "core/json.h"
#include "core/result.h"

namespace riposte::asl {

// What `$states` and variables resolve to.
struct JEnv {
  const json::value* input = nullptr;
  const json::value* result = nullptr;
  const json::value* error_output = nullptr;
  const json::value* context = nullptr;
  const json::object* vars = nullptr;
};

struct JNode;

class JTemplate {
 public:
  // Compiles a template; error code "InvalidJsonata" naming `where`.
  static Result<std::shared_ptr<const JTemplate>> compile(const json::value& v,
                                                          const std::string& where);
  // Evaluates. An expression that yields nothing (JSONata "undefined") gives nullopt at the
  // top level and drops the member inside objects. Errors: "States.QueryEvaluationError".
  Result<std::optional<json::value>> eval(const JEnv& env) const;
  // True when this template is a single expression string.
  bool isExpression() const;

  JTemplate();
  ~JTemplate();

 private:
  std::shared_ptr<const JNode> root_;
};

}  // namespace riposte::asl
