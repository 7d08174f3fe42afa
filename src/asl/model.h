#pragma once
// The compiled form of a state machine (internal to src/asl).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asl/expr.h"
#include "asl/jsonata.h"
#include "asl/jsonpath.h"

namespace riposte::asl {

enum class StateType { Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map };
const char* typeName(StateType t);

// InputPath / OutputPath: absent = "$", null = {} (discard), or a path.
struct IoPath {
  enum Mode { Default, Null, Path } mode = Default;
  JsonPath path;
};

// ResultPath: absent = "$" (the result replaces the input), null = discard the result.
struct ResultPathSpec {
  enum Mode { Replace, Discard, Path } mode = Replace;
  JsonPath path;
};

struct Retrier {
  std::vector<std::string> errors;
  double interval = 1;
  int max_attempts = 3;
  double backoff = 2.0;
  std::optional<double> max_delay;
  bool full_jitter = false;
};

struct Catcher {
  std::vector<std::string> errors;
  int next = -1;
  ResultPathSpec result_path;
  std::optional<Template> assign;            // JSONPath mode
  std::shared_ptr<const JTemplate> jassign;  // JSONata mode
  std::shared_ptr<const JTemplate> joutput;  // JSONata mode
};

// One Choice rule (a Boolean expression; top-level rules carry `next`).
struct Cond {
  enum Kind { And, Or, Not, Compare, Jsonata } kind = Compare;
  std::string op;  // "StringEquals", "NumericLessThanPath", "IsPresent", …
  // `op` decoded at load: what is compared and how.
  enum Family {
    String,
    Numeric,
    Boolean,
    Timestamp,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
    StringMatches
  } family = String;
  enum Relation { Eq, Lt, Gt, Le, Ge } relation = Eq;
  bool rhs_is_path = false;
  JsonPath variable;
  JsonPath rhs_path;
  json::value rhs;
  std::vector<Cond> kids;
  std::shared_ptr<const JTemplate> condition;  // JSONata: a literal or "{% … %}"
  int next = -1;
  std::optional<Template> assign;
  std::shared_ptr<const JTemplate> jassign, joutput;
};

struct StateList;

struct State {
  std::string name;
  StateType type = StateType::Pass;
  bool jsonata = false;  // QueryLanguage of this state
  int next = -1;
  bool end = false;

  IoPath input_path, output_path;
  ResultPathSpec result_path;
  std::optional<Template> parameters, result_selector, assign;
  std::optional<json::value> result;  // Pass
  std::vector<Retrier> retry;
  std::vector<Catcher> catchers;

  // Task
  std::string resource;         // as written
  std::string run_resource;     // what the runner runs: `resource` without ".waitForTaskToken"
  bool wait_for_token = false;  // ".waitForTaskToken": waits for a callback with its token
  std::optional<double> timeout, heartbeat;
  std::optional<JsonPath> timeout_path, heartbeat_path;

  // Choice
  std::vector<Cond> choices;
  int default_next = -1;

  // Wait
  std::optional<double> seconds;
  std::optional<int64_t> timestamp_ms;
  std::optional<JsonPath> seconds_path, timestamp_path;

  // Fail
  std::optional<std::string> error, cause;
  std::optional<DynamicValue> error_path, cause_path;

  // Parallel
  std::vector<std::shared_ptr<const StateList>> branches;

  // Map
  std::shared_ptr<const StateList> processor;
  std::optional<JsonPath> items_path;
  std::optional<Template> item_selector;
  int max_concurrency = 0;
  std::optional<JsonPath> max_concurrency_path;
  std::optional<double> tolerated_percentage, tolerated_count;
  std::optional<JsonPath> tolerated_percentage_path, tolerated_count_path;
  std::optional<json::value> items_literal;  // JSONPath mode has none; JSONata "Items": [..]

  // JSONata mode fields (each a literal or a "{% … %}" expression tree).
  std::shared_ptr<const JTemplate> jarguments, joutput, jassign, jitems, jitem_selector, jseconds,
      jtimestamp, jerror, jcause, jtimeout, jheartbeat, jmax_concurrency;

  bool uses_context = false;  // some template reads $$ (build the Context object)
};

struct StateList {
  std::vector<State> states;
  int start = 0;
  std::map<std::string, int, std::less<>> index;
  int find(std::string_view name) const {
    auto it = index.find(name);
    return it == index.end() ? -1 : it->second;
  }
};

struct Machine {
  StateList top;
  std::optional<double> timeout_seconds;
  bool jsonata = false;
};

}  // namespace riposte::asl
