#pragma once
// `riposte test-pattern` and `riposte match`: the EventBridge pattern engine from the shell.

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/result.h"

namespace riposte::cli {

// Adds the subcommands
//   test-pattern --pattern FILE|JSON --event FILE|JSON
//       prints true/false; exit 0 (match), 1 (no match), 2 (invalid pattern or event)
//   match --rules FILE|DIR --events FILE.jsonl [--stats] [--threads N]
//       one JSON line per event, in input order: {"line":N,"matches":["rule",...]}
//       (or {"line":N,"error":"..."}); --stats prints throughput and per-rule counts on
//       stderr. Exit 0, or 2 when the rules cannot be loaded.
// Failures are reported by throwing CLI::RuntimeError(exit_code) from the callback; main()
// returns e.get_exit_code() for it (messages are already printed).
void addPatternCommands(CLI::App& app);

// ----- The logic behind the commands (callable from tests) -----

// An argument that is either inline JSON (starts with '{' or '[') or a file path.
Result<std::string> readJsonArg(const std::string& arg);

// test-pattern: returns the exit code; prints "true"/"false" to out, errors to err.
int runTestPattern(const std::string& pattern_arg, const std::string& event_arg, std::ostream& out,
                   std::ostream& err);

struct NamedPattern {
  std::string name;
  std::string pattern_json;
  std::string source;  // file (and line) it came from, for messages
};

// Loads enabled rules from a directory of *.yaml/*.yml rule files (keys name,
// event_pattern as a YAML mapping or a JSON string, enabled default true; a file may also
// hold a YAML sequence of such rules), a single YAML file, or a JSON-lines file of
// {"name": ..., "pattern": object-or-string}. Files are read in name order.
Result<std::vector<NamedPattern>> loadRules(const std::string& file_or_dir);

struct MatchOptions {
  bool stats = false;
  unsigned threads = 0;  // 0: every core
};

// match: reads events (JSON lines; "-" for stdin), writes one line per event to out in input
// order. Returns the exit code.
int runMatch(const std::string& rules_arg, const std::string& events_path,
             const MatchOptions& options, std::istream* stdin_stream, std::ostream& out,
             std::ostream& err);

}  // namespace riposte::cli
