// libFuzzer target: one file of the configuration directory, from bytes to checked settings.
// The bytes are read as YAML and as JSON (config/document.h: values with positions, ${VAR}
// expanded from a fixed environment), and each document is held to the riposte.yaml schema
// (with the built-in sink and source types) and to the rule schema. Invariants: no crash or
// hang; every problem (reading, schema, unset ${VAR}) has a message and a position inside the
// input (a line that exists, a column within it or just past its end); checking is pure (a
// second read and check gives the same problems).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "config/document.h"
#include "config/registry.h"
#include "config/schema.h"
#include "engine/config.h"
#include "sinks/sink.h"
#include "sources/config.h"

#ifndef RIPOSTE_FUZZ_ENTRY
#define RIPOSTE_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

using namespace riposte;

namespace {

const config::Registry& registry() {
  static const config::Registry r = [] {
    config::Registry reg;
    if (!sinks::registerConfig(reg) || !sources::registerConfig(reg)) std::abort();
    return reg;
  }();
  return r;
}

// The environment ${VAR}s read: fixed, so that a run is reproducible.
void fixEnvironment() {
  static const bool done = [] {
    ::setenv("RIPOSTE_FUZZ_TRUE", "true", 1);
    ::setenv("RIPOSTE_FUZZ_PORT", "8080", 1);
    ::setenv("RIPOSTE_FUZZ_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/q", 1);
    ::setenv("RIPOSTE_FUZZ_EMPTY", "", 1);
    ::unsetenv("RIPOSTE_FUZZ_UNSET");
    return true;
  }();
  (void)done;
}

// Byte lengths of the input's lines, counted with '\n' only and with every YAML line break
// (\r\n, \r, \n): a position must lie within one of the two.
struct Lines {
  std::vector<std::size_t> lf, yaml;
  explicit Lines(std::string_view t) {
    lf.push_back(0);
    yaml.push_back(0);
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '\n') {
        lf.push_back(0);
      } else {
        ++lf.back();
      }
      if (t[i] == '\n' || (t[i] == '\r' && (i + 1 >= t.size() || t[i + 1] != '\n'))) {
        yaml.push_back(0);
      } else if (t[i] != '\r') {
        ++yaml.back();
      }
    }
  }
  static bool in(const std::vector<std::size_t>& v, config::Mark m) {
    return m.line >= 1 && static_cast<std::size_t>(m.line) <= v.size() && m.column >= 1 &&
           static_cast<std::size_t>(m.column) <= v[m.line - 1] + 1;
  }
  bool within(config::Mark m) const { return in(lf, m) || in(yaml, m); }
};

void holds(const std::vector<config::Located>& problems, const Lines& lines) {
  for (const auto& p : problems) {
    if (p.message.empty() || p.file != "riposte.yaml") std::abort();
    if (!lines.within(p.at)) std::abort();
    (void)p.str();
  }
}

// Read (as YAML or JSON) and check against `schema`: every problem, located.
std::vector<config::Located> readAndCheck(std::string_view text, bool yaml,
                                          const config::Schema& schema) {
  std::vector<config::Located> out;
  auto doc = yaml ? config::readYaml(text, "riposte.yaml", out)
                  : config::readJson(text, "riposte.yaml", out);
  if (!doc) {
    if (out.empty()) std::abort();  // not a document, and not saying why
    return out;
  }
  std::vector<config::Problem> problems;
  config::check(schema, *doc, "", problems);
  for (const auto& p : problems) out.push_back(doc->locate(p));
  doc->unsetProblems(out);
  return out;
}

bool same(const std::vector<config::Located>& a, const std::vector<config::Located>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].str() != b[i].str()) return false;
  return true;
}

}  // namespace

extern "C" int RIPOSTE_FUZZ_ENTRY(const uint8_t* data, size_t size) {
  fixEnvironment();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const Lines lines(text);
  static const config::Schema settings = engine::settingsSchema(registry());
  static const config::Schema rule = engine::ruleSchema();
  for (bool yaml : {true, false}) {
    for (const config::Schema* schema : {&settings, &rule}) {
      auto problems = readAndCheck(text, yaml, *schema);
      holds(problems, lines);
      if (!same(problems, readAndCheck(text, yaml, *schema))) std::abort();
    }
  }
  return 0;
}
