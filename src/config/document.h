#pragma once
// One file of the configuration directory, read with the position of every value.
//
//   std::vector<config::Located> problems;
//   auto doc = config::readYaml(text, "rules/ec2.yaml", problems);   // or readJson (.asl.json)
//   // doc->value is the file as JSON (core/json.h), ${VAR}s expanded (see expand.h);
//   // a module's parser returns {path, message} problems over that value:
//   for (const auto& p : parseMySection(doc->value)) problems.push_back(doc->locate(p));
//   // → "rules/ec2.yaml:7:15: event_pattern.detail.severity[0]: …"
//
// Paths are dotted member names with [index] for list items ("sinks[1].port",
// "$.States.Isolate.Next": a leading "$" is allowed). A member name may itself contain dots or
// spaces (ASL state names, "Parameters.InstanceId.$"): a path is matched against the member
// names the document really has, the longest first. A path that goes further than the
// document (a missing required key) is located at the deepest value it reaches.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace riposte::config {

// A position in a file: 1-based line and column; 0 when unknown.
struct Mark {
  int line = 0;
  int column = 0;
};

// What a section's parser reports: where inside the file's value, and what is wrong.
// `at_key`: locate the member's name rather than its value (an unknown key).
struct Problem {
  std::string path;
  std::string message;
  bool at_key = false;
};

// A problem located in a file of the configuration directory.
struct Located {
  std::string file;  // relative to the configuration directory ("rules/ec2.yaml")
  Mark at;
  std::string path;
  std::string message;

  // "file:line:column: path: message" (the position and path are left out when unknown).
  std::string str() const;
};

// The positions of one value and, for objects and arrays, of what it holds (parallel to the
// json::value of the document).
struct Node {
  // Defined in document.cpp, where Node is complete: clang-14 (make fuzz) with libstdc++ 12
  // cannot work out the implicit default constructor of a class holding
  // std::pair<std::string, Node> inside its own definition.
  Node();

  Mark mark;      // the value
  Mark key_mark;  // the member name, when this value is an object member
  std::vector<std::pair<std::string, Node>> members;  // objects, in file order
  std::vector<Node> items;                            // arrays
  bool expanded = false;                              // a string that held a ${VAR} (expand.h)
  bool has_default = false;                           // … a ${VAR:-default}
  std::vector<std::string> unset;  // the ${VAR}s it named that are unset and have no default

  const Node* member(std::string_view key) const;
  Node* member(std::string_view key);
};

struct Document {
  std::string file;  // relative to the configuration directory
  json::value value;
  Node root;

  // The node `path` names, or the deepest one on its way.
  const Node& find(std::string_view path) const;
  Node& find(std::string_view path);
  // Where `path` is: the value's mark (or its member name's with at_key).
  Mark locate(std::string_view path, bool at_key = false) const;
  Located locate(const Problem& p) const;
  // The ${VAR}s left unset in the document (every Node::unset still there), as problems.
  void unsetProblems(std::vector<Located>& out) const;
};

// YAML (yaml-cpp): one document per file. Plain scalars are typed strictly: true/false are
// booleans (not True, yes, on), null/~/empty are null, decimal numbers are numbers, the rest
// (and every quoted scalar) are strings. A ${VAR} is expanded in every string, once, and the
// result stays a string (the schema checker reads "true"/"false"/digits left by expansion as
// the type its key wants). Member names must be strings and unique. Problems go to `out`;
// nullopt when the text is not YAML. `expand` false leaves ${VAR}s as written (the runbook
// shows the settings as written).
std::optional<Document> readYaml(std::string_view text, std::string file, std::vector<Located>& out,
                                 bool expand = true);

// JSON (RFC 8259, strict: no comments, no trailing commas, unique member names, depth 512).
// Strings are ${VAR}-expanded as in readYaml unless `expand` is false.
std::optional<Document> readJson(std::string_view text, std::string file, std::vector<Located>& out,
                                 bool expand = true);

// A whole file's value, read as YAML (`yaml`) or JSON as above, for a caller that wants the
// value only (a playbook file given to `riposte execute`): the first problem is the error
// ("InvalidConfig", "file:line:column: message").
Result<json::value> readValue(std::string_view text, const std::string& file, bool yaml,
                              bool expand = true);

// Joins path segments: joinPath("sinks[1]", "port") = "sinks[1].port", joinPath("", "x") = "x".
std::string joinPath(std::string_view base, std::string_view key);
std::string indexPath(std::string_view base, std::size_t index);

}  // namespace riposte::config
