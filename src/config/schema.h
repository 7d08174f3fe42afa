#pragma once
// Schemas of configuration sections and the checker that holds a document to them.
//
//   using config::Schema; using config::Field;
//   Schema safety = Schema::object({
//       Field("dry_run", Schema::boolean("true: plan and record every action, change nothing"))
//           .byDefault(false),
//       Field("protected_tag", Schema::string("resources with this tag are never modified"))
//           .byDefault("riposte:protected=true"),
//   }, "safety switches");
//   std::vector<config::Problem> problems;
//   config::check(safety, doc, "safety", problems);   // doc: config::Document
//
// What the checker holds to (each a Problem {path, message} located at the value itself):
//  - unknown keys are errors, with the closest known key suggested ("did you mean 'safety'?");
//  - a boolean is a YAML/JSON boolean, or exactly the string "true"/"false" that ${VAR}
//    expansion left (then it is rewritten as the boolean); yes, True, 1, on, "true" are errors;
//  - an integer is an integer (or the digits ${VAR} expansion left) within the range;
//  - enums, durations ("30s", "5m", "250ms", "1h30m"), URLs with their schemes and listen
//    addresses (host:port) are parsed strictly: anything else is an error, never a default;
//  - a required key that is missing is an error; a missing key with a default gets the default
//    written into the document's value (so the typed reader after it reads it from there);
//  - a key marked optional_when_empty whose value is only unset ${VAR}s is removed from the
//    value, as if absent (notifications.sns_topic_arn: ${RIPOSTE_SNS_TOPIC_ARN}); elsewhere an
//    unset ${VAR} without default is an error (Document::unsetProblems).
// Every problem of the document is reported, not only the first. The reference of a schema
// (every key, its type and default) is config/reference.h.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/document.h"
#include "core/json.h"

namespace riposte::config {

struct Field;

// A parser of a value owned by another module: over the JSON value (YAML already converted,
// ${VAR} expanded), it returns {path, message} problems whose paths are relative to the value
// ("" = the value itself, "[2].expires", "limits[0].on_limit").
using ValueParser = std::function<std::vector<Problem>(const json::value& value)>;

struct Schema {
  enum class Kind {
    kAny,       // anything (checked by `parser` when set)
    kString,    //
    kBool,      //
    kInt,       // min..max
    kEnum,      // one of `values`
    kDuration,  // "250ms", "30s", "5m", "1h30m", "2d"
    kUrl,       // scheme://… with the scheme one of `values`
    kListen,    // host:port (IPv6 as [::1]:8080), port min..max
    kList,      // of `item`
    kMap,       // string keys (checked by `key_parser` when set) → `item`
    kObject,    // known `fields`
    kTagged,    // an object whose `tag` member picks one of `variants` (by name)
  };
  Kind kind = Kind::kAny;
  std::string doc;  // one line
  int64_t min = 0, max = 0;
  std::vector<std::string> values;
  std::shared_ptr<const Schema> item;
  std::vector<Field> fields;
  std::string tag;
  std::vector<std::pair<std::string, std::shared_ptr<const Schema>>> variants;
  std::string type_name;   // the reference's word for the type ("store URL"); not for mappings
  std::string key_name;    // kMap: the reference's word for a key ("account id")
  ValueParser parser;      // extra checks after the type's (any kind)
  ValueParser key_parser;  // kMap: each key, as a JSON string
  bool is_secret = false;  // kString: only from the environment (Schema::secret)

  static Schema any(std::string doc, ValueParser parser = {});
  static Schema string(std::string doc);
  // A string that is a secret: it must come from the environment, ${NAME} (text around it is
  // allowed: "Bearer ${TOKEN}"); a literal, or a ${NAME:-default}, is an error. Problems never
  // quote the value.
  static Schema secret(std::string doc);
  static Schema boolean(std::string doc);
  static Schema integer(int64_t min, int64_t max, std::string doc);
  static Schema oneOf(std::vector<std::string> values, std::string doc);
  static Schema duration(std::string doc);
  static Schema url(std::vector<std::string> schemes, std::string doc);
  static Schema listen(int min_port, std::string doc);
  static Schema list(Schema item, std::string doc);
  static Schema map(Schema item, std::string doc, ValueParser key_parser = {});
  static Schema object(std::vector<Field> fields, std::string doc);
  static Schema tagged(std::string tag,
                       std::vector<std::pair<std::string, std::shared_ptr<const Schema>>> variants,
                       std::string doc);

  Schema&& withParser(ValueParser p) &&;
  Schema&& named(std::string type) &&;
  Schema&& keyed(std::string key) &&;
  const Field* field(std::string_view name) const;
};

struct Field {
  std::string name;
  Schema schema;
  bool required = false;
  std::optional<json::value> default_value;  // written into the value when the key is absent
  std::string default_text;                  // for the reference when not a plain value
  bool optional_when_empty = false;

  Field(std::string n, Schema s) : name(std::move(n)), schema(std::move(s)) {}
  Field&& needed() && {
    required = true;
    return std::move(*this);
  }
  Field&& byDefault(json::value v) && {
    default_value = std::move(v);
    return std::move(*this);
  }
  // A default computed by the reader (documented, not written into the value).
  Field&& defaultText(std::string text) && {
    default_text = std::move(text);
    return std::move(*this);
  }
  Field&& optionalWhenEmpty() && {
    optional_when_empty = true;
    return std::move(*this);
  }
};

// Checks (and normalises, see the top of this file) `value` at `path` of `doc` against
// `schema`. `value`/`node` default to the document's value at `path`.
void check(const Schema& schema, Document& doc, const std::string& path, std::vector<Problem>& out);
void check(const Schema& schema, json::value& value, Node& node, const std::string& path,
           std::vector<Problem>& out);

// The closest of `known` to `word` when it is close enough to be a typo (Damerau-Levenshtein,
// at most 1 edit for short words, 2 from 5 letters, 3 from 9), else "".
std::string closest(std::string_view word, const std::vector<std::string>& known);
// "unknown key 'saftey' (did you mean 'safety'?)" / "unknown key 'x' (known: a, b)".
std::string unknownMessage(std::string_view what, std::string_view word,
                           const std::vector<std::string>& known);

// Duration text → milliseconds: one or more <digits><unit>, unit ms|s|m|h|d ("1h30m").
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);
// "host:port" / "[v6]:port" → host and port (no range check).
std::optional<std::pair<std::string, int>> parseListen(std::string_view text);
// A JSON boolean, or the string "true"/"false" (what a module parser over json::value accepts
// from ${VAR} expansion).
std::optional<bool> boolOf(const json::value& v);

}  // namespace riposte::config
