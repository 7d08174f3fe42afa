#include "cli/docs_command.h"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "actions/registry.h"
#include "asl/asl.h"
#include "cli/config_loader.h"
#include "cli/coverage_command.h"
#include "config/reference.h"
#include "engine/config.h"
#include "pattern/pattern.h"
#include "runbook/actions_reference.h"
#include "runbook/runbook.h"

namespace riposte::cli {
namespace fs = std::filesystem;

namespace {

// The directory as the document names it: relative to the working directory when inside it,
// without "./" or a trailing "/", so that `--config ./config/default/` and `--config
// config/default` give the same document.
std::string configLabel(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::path(dir).lexically_normal();
  if (p.is_absolute()) {
    fs::path cwd = fs::current_path(ec);
    if (!ec) {
      fs::path rel = p.lexically_relative(cwd);
      if (!rel.empty() && *rel.begin() != "..") p = rel;
    }
  }
  std::string s = p.generic_string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  if (s.empty()) s = ".";
  return s;
}

bool isHtmlName(const std::string& file) {
  auto ext = fs::path(file).extension().string();
  return ext == ".html" || ext == ".htm";
}

}  // namespace

std::string defaultDocsDate(const std::string& config_dir) {
  std::string cmd = "git -C '" + config_dir + "' log -1 --format=%cs -- . 2>/dev/null";
  bool safe = config_dir.find('\'') == std::string::npos;
  if (safe) {
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[64] = {};
      std::string out;
      while (std::fgets(buf, sizeof buf, p)) out += buf;
      ::pclose(p);
      while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
      if (out.size() == 10 && out[4] == '-' && out[7] == '-') return out;
    }
  }
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

namespace {

// Writes beside the target, then renames: a reader never sees half a document.
int writeAtomically(const std::string& file, const std::string& text, std::ostream& err) {
  std::string tmp = file + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.flush()) {
      err << "riposte docs: cannot write " << tmp << "\n";
      return 1;
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    err << "riposte docs: cannot write " << file << ": " << ec.message() << "\n";
    fs::remove(tmp, ec);
    return 1;
  }
  return 0;
}

// A generated reference: printed, or written into FILE between its markers (`splice` puts it
// there; its error when FILE has none).
int printOrSplice(const DocsOptions& options, const std::string& generated,
                  Result<std::string> (*splice)(const std::string&, const std::string&),
                  std::ostream& out, std::ostream& err) {
  if (options.output.empty() || options.output == "-") {
    out << generated;
    return 0;
  }
  std::ifstream in(options.output, std::ios::binary);
  if (!in) {
    err << "riposte docs: cannot read " << options.output << "\n";
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto spliced = splice(ss.str(), generated);
  if (!spliced) {
    err << "riposte docs: " << options.output << ": " << spliced.error().message << "\n";
    return 2;
  }
  return writeAtomically(options.output, *spliced, err);
}

}  // namespace

int runDocs(const DocsOptions& options, std::ostream& out, std::ostream& err) {
  if (options.actions && options.config_reference) {
    err << "riposte docs: --actions and --config-reference are separate documents: one at a "
           "time\n";
    return 2;
  }
  if (options.actions) {
    return printOrSplice(options, runbook::actionsReference(actions::Registry::builtins()),
                         runbook::spliceActionsReference, out, err);
  }
  if (options.config_reference) {
    // Every key of riposte.yaml (with the built-in sink and source types) and of a rule.
    return printOrSplice(options, engine::referenceMarkdown(configRegistry()),
                         config::spliceConfigReference, out, err);
  }
  std::string format = options.format;
  if (format.empty()) format = isHtmlName(options.output) ? "html" : "md";
  runbook::RunbookFormat fmt;
  if (format == "md" || format == "markdown") {
    fmt = runbook::RunbookFormat::Markdown;
  } else if (format == "html") {
    fmt = runbook::RunbookFormat::Html;
  } else {
    err << "riposte docs: unknown format '" << format << "' (md or html)\n";
    return 2;
  }

  const actions::Registry registry = actions::Registry::builtins();
  auto cfg = loadConfigChecked(options.config_dir, err);
  if (!cfg) {
    err << "riposte docs: invalid configuration: " << cfg.error().message << "\n";
    return 2;
  }

  runbook::RunbookMeta meta;
  meta.date = options.date.empty() ? defaultDocsDate(options.config_dir) : options.date;
  meta.config_label = configLabel(options.config_dir);
  meta.command = "riposte docs --config " + meta.config_label;
  if (!options.output.empty() && options.output != "-")
    meta.command += " -o " + configLabel(options.output);
  if (fmt == runbook::RunbookFormat::Html && !isHtmlName(options.output))
    meta.command += " --format html";
  meta.command += " --date " + meta.date;
  const std::vector<policy::CatalogueType> catalogue = guardDutyCatalogue();
  meta.catalogue = &catalogue;
  auto doc = runbook::renderRunbook(*cfg, registry, fmt, meta);
  if (!doc) {
    err << "riposte docs: " << doc.error().message << "\n";
    return 2;
  }
  if (options.output.empty() || options.output == "-") {
    out << *doc;
    return 0;
  }
  return writeAtomically(options.output, *doc, err);
}

void addDocsCommands(CLI::App& app) {
  auto* docs = app.add_subcommand(
      "docs", "Write the incident-response runbook generated from a configuration");
  auto opts = std::make_shared<DocsOptions>();
  docs->add_option("--config", opts->config_dir, "Configuration directory")->capture_default_str();
  docs->add_option("-o,--output", opts->output, "Output file (default: stdout)");
  docs->add_option("--format", opts->format, "md or html (default: from the file name, else md)")
      ->check(CLI::IsMember({"md", "markdown", "html"}));
  docs->add_flag("--actions", opts->actions,
                 "The actions reference tables (into FILE between its markers) instead");
  docs->add_flag("--config-reference", opts->config_reference,
                 "The configuration reference, every key (into FILE between its markers) "
                 "instead");
  docs->add_option("--date", opts->date,
                   "Review date YYYY-MM-DD (default: the config's last git commit, else today)");
  docs->callback([opts] {
    int rc = runDocs(*opts, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace riposte::cli
