#pragma once
// Payload templates (Parameters, ResultSelector, ItemSelector, Assign) and intrinsic
// functions (`States.Format(...)` …): compiled once, evaluated against a Scope.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "asl/jsonpath.h"
#include "core/json.h"
#include "core/result.h"

namespace riposte::asl {

// What paths resolve against: the state's input ($), the Context object ($$, built on first
// use) and the variables ($name).
class Scope {
 public:
  Scope(const json::value& input, std::function<json::value()> make_context,
        const json::object* vars)
      : input_(input), make_context_(std::move(make_context)), vars_(vars) {}
  const json::value& input() const { return input_; }
  const json::value& context() const;
  const json::object* vars() const { return vars_; }

 private:
  const json::value& input_;
  std::function<json::value()> make_context_;
  mutable std::optional<json::value> context_;
  const json::object* vars_;
};

// Resolves a path in a scope. Errors are "States.Runtime" with a Step Functions-like cause.
Result<json::value> resolvePath(const JsonPath& path, const Scope& scope);

struct IntrinsicCall;

// One argument of an intrinsic function call.
struct IntrinsicArg {
  enum Kind { Literal, Path, Call } kind = Literal;
  json::value literal;
  JsonPath path;
  std::shared_ptr<const IntrinsicCall> call;
};

struct IntrinsicCall {
  std::string name;  // "States.Format"
  std::vector<IntrinsicArg> args;
};

// Parses "States.Fn(arg, …)". Error code "InvalidIntrinsic" saying what and where; unknown
// functions and wrong argument counts are rejected here.
Result<IntrinsicCall> parseIntrinsic(std::string_view text);
// Evaluates a call. A function that fails (wrong argument type, index out of range, bad JSON
// or base64, …) is "States.IntrinsicFailure" (the spec's name; catchable), its cause naming the
// function and what was wrong. A path argument that matches nothing is "States.Runtime", as
// for any path in a payload template.
Result<json::value> evalIntrinsic(const IntrinsicCall& call, const Scope& scope);

// A compiled payload template: literals copied, "key.$" fields replaced by the value of a
// path or of an intrinsic function.
class Template {
 public:
  // `where` is the definition path used in error messages ("$.States.X.Parameters"). On
  // failure the error names the first problem; `all` (optional) receives every problem as
  // {code = the field's path, message}.
  static Result<Template> compile(const json::value& tmpl, const std::string& where,
                                  std::vector<Error>* all = nullptr);
  Result<json::value> eval(const Scope& scope) const;
  bool usesContext() const { return uses_context_; }

  struct Node;
  Template();
  Template(const Template&);
  Template(Template&&) noexcept;
  Template& operator=(const Template&);
  Template& operator=(Template&&) noexcept;
  ~Template();

 private:
  std::shared_ptr<const Node> root_;
  bool uses_context_ = false;
};

// A "key.$" value: a path or an intrinsic call.
struct DynamicValue {
  bool is_call = false;
  JsonPath path;
  IntrinsicCall call;
  std::string text;
  static Result<DynamicValue> compile(const std::string& text);
  Result<json::value> eval(const Scope& scope, const std::string& field) const;
};

}  // namespace riposte::asl
