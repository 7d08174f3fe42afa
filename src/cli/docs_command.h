#pragma once
// `riposte docs`: the incident-response runbook generated from a configuration directory.

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>

namespace riposte::cli {

// Adds the subcommand
//   docs --config DIR [-o FILE] [--format md|html] [--date YYYY-MM-DD]
//       writes the runbook (stdout without -o). The format defaults to html when FILE ends
//       in .html/.htm, else md. The date defaults to the date of the newest git commit that
//       touched DIR, else today (UTC). Exit 0; 2 on an invalid configuration or argument;
//       1 when the file cannot be written.
//   docs --actions [-o FILE]
//       the reference tables of the actions (runbook/actions_reference.h), from their
//       descriptors: printed, or written into FILE between its generated-section markers (the
//       rest of FILE is kept). Exit 0; 2 when FILE has no markers; 1 when it cannot be written.
//   docs --config-reference [-o FILE]
//       the configuration reference (config/reference.h): every key of riposte.yaml (with the
//       built-in sink and source types) and of a rule, its type, default, whether required,
//       and its doc; printed, or written into FILE (README.md) between its markers, as above.
// Failures throw CLI::RuntimeError(exit_code) (messages already printed), as the other
// subcommands do.
void addDocsCommands(CLI::App& app);

// ----- The logic behind the command (callable from tests) -----

struct DocsOptions {
  std::string config_dir = "config/default";
  std::string output;             // "" = `out`
  std::string format;             // "md" | "markdown" | "html"; "" = from the output's extension
  std::string date;               // "" = defaultDocsDate(config_dir)
  bool actions = false;           // the actions reference instead of the runbook
  bool config_reference = false;  // the configuration reference instead of the runbook
};

// Loads and validates the configuration (problems go to `err`), renders, writes. Returns the
// exit code.
int runDocs(const DocsOptions& options, std::ostream& out, std::ostream& err);

// The committer date (YYYY-MM-DD) of the newest git commit touching `config_dir`, or today's
// UTC date when there is none (not a git checkout, git missing, uncommitted directory).
std::string defaultDocsDate(const std::string& config_dir);

}  // namespace riposte::cli
