#pragma once
// ${VAR} and ${VAR:-default} in configuration values, expanded once, from the environment.
//
//   ${NAME}            the variable's value; unset (or empty) is a problem naming NAME, unless
//                      the key is optional-when-empty in its schema (Field::optional_when_empty:
//                      the key is then treated as absent, e.g. notifications.sns_topic_arn)
//   ${NAME:-default}   the variable's value, or `default` when it is unset or empty
//
// NAME is [A-Za-z_][A-Za-z0-9_]*; the expanded text is not expanded again (a value holding
// "${X}" stays as it is). A "$" not followed by "{" is kept. An unterminated "${", a bad name
// or a "${" inside a default is an error.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::config {

struct Expansion {
  std::string text;
  bool expanded = false;           // the input held at least one ${…}
  bool has_default = false;        // one of them was ${NAME:-default} (a value in the file)
  std::vector<std::string> unset;  // ${NAME}s without default whose variable is unset/empty
  std::string error;               // syntax error ("" when none)
};

using Environment = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
Environment processEnvironment();

Expansion expand(std::string_view text, const Environment& env = processEnvironment());

}  // namespace riposte::config
