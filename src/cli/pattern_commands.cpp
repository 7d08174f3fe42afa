#include "cli/pattern_commands.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "pattern/pattern.h"
#include "pattern/pattern_json.h"

namespace riposte::cli {
namespace fs = std::filesystem;
using pattern::PValue;

namespace {

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("NotFound", "cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string jsonQuote(const std::string& s) {
  PValue v;
  v.kind = PValue::Kind::kString;
  v.text = s;
  return pattern::toJsonText(v);
}

bool looksLikeJsonNumber(const std::string& s) {
  PValue v;
  auto r = pattern::parsePatternJson(s, 1);
  return r && r->kind == PValue::Kind::kNumber;
}

// YAML -> JSON value. Quoted scalars are strings; plain scalars resolve as YAML 1.2 core
// (null, booleans, numbers), everything else is a string.
PValue fromYaml(const YAML::Node& n) {
  PValue v;
  switch (n.Type()) {
    case YAML::NodeType::Map:
      v.kind = PValue::Kind::kObject;
      for (const auto& kv : n)
        v.members.push_back(pattern::PMember{kv.first.as<std::string>(), fromYaml(kv.second)});
      break;
    case YAML::NodeType::Sequence:
      v.kind = PValue::Kind::kArray;
      for (const auto& e : n) v.items.push_back(fromYaml(e));
      break;
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") {
        v.kind = PValue::Kind::kString;
        v.text = s;
      } else if (s == "null" || s == "Null" || s == "NULL" || s == "~" || s.empty()) {
        v.kind = PValue::Kind::kNull;
      } else if (s == "true" || s == "True" || s == "TRUE") {
        v.kind = PValue::Kind::kTrue;
      } else if (s == "false" || s == "False" || s == "FALSE") {
        v.kind = PValue::Kind::kFalse;
      } else if (looksLikeJsonNumber(s)) {
        v.kind = PValue::Kind::kNumber;
        v.text = s;
      } else {
        v.kind = PValue::Kind::kString;
        v.text = s;
      }
      break;
    }
    default:
      v.kind = PValue::Kind::kNull;
  }
  return v;
}

Result<void> addYamlRule(const YAML::Node& n, const std::string& source,
                         std::vector<NamedPattern>& out) {
  if (!n.IsMap()) return fail("InvalidRule", source + ": a rule must be a mapping");
  if (!n["name"] || !n["name"].IsScalar())
    return fail("InvalidRule", source + ": rule has no name");
  std::string name = n["name"].as<std::string>();
  if (n["enabled"] && n["enabled"].IsScalar() && !n["enabled"].as<bool>()) return {};
  YAML::Node p = n["event_pattern"];
  if (!p) return fail("InvalidRule", source + ": rule '" + name + "' has no event_pattern");
  std::string json = p.IsScalar() ? p.Scalar() : pattern::toJsonText(fromYaml(p));
  out.push_back(NamedPattern{name, json, source});
  return {};
}

Result<void> loadYamlFile(const std::string& path, std::vector<NamedPattern>& out) {
  try {
    YAML::Node doc = YAML::LoadFile(path);
    if (doc.IsSequence()) {
      std::size_t i = 0;
      for (const auto& n : doc) {
        auto r = addYamlRule(n, path + "[" + std::to_string(i++) + "]", out);
        if (!r) return r;
      }
      return {};
    }
    return addYamlRule(doc, path, out);
  } catch (const YAML::Exception& e) {
    return fail("InvalidRule", path + ": " + e.what());
  }
}

Result<void> loadJsonLines(const std::string& path, std::vector<NamedPattern>& out) {
  std::ifstream in(path);
  if (!in) return fail("NotFound", "cannot read " + path);
  std::string line;
  std::size_t no = 0;
  while (std::getline(in, line)) {
    ++no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string source = path + ":" + std::to_string(no);
    auto v = pattern::parsePatternJson(line, 128);
    if (!v) return fail("InvalidRule", source + ": " + v.error().message);
    const PValue* name = nullptr;
    const PValue* pat = nullptr;
    for (const auto& [k, m] : v->members) {
      if (k == "name") name = &m;
      if (k == "pattern" || k == "event_pattern") pat = &m;
    }
    if (!name || !name->isString() || !pat) {
      return fail("InvalidRule", source + ": expected {\"name\": string, \"pattern\": ...}");
    }
    out.push_back(
        NamedPattern{name->text, pat->isString() ? pat->text : pattern::toJsonText(*pat), source});
  }
  return {};
}

bool isYaml(const fs::path& p) {
  return p.extension() == ".yaml" || p.extension() == ".yml";
}

}  // namespace

Result<std::string> readJsonArg(const std::string& arg) {
  auto first = arg.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (arg[first] == '{' || arg[first] == '[')) return arg;
  return readFile(arg);
}

int runTestPattern(const std::string& pattern_arg, const std::string& event_arg, std::ostream& out,
                   std::ostream& err) {
  auto p = readJsonArg(pattern_arg);
  if (!p) {
    err << "test-pattern: " << p.error().message << "\n";
    return 2;
  }
  auto e = readJsonArg(event_arg);
  if (!e) {
    err << "test-pattern: " << e.error().message << "\n";
    return 2;
  }
  auto r = pattern::matches(*p, *e);
  if (!r) {
    if (r.error().code == "InvalidEventPattern") {
      err << "Event pattern is not valid. Reason: " << r.error().message << "\n";
    } else {
      err << "Event is not valid: " << r.error().message << "\n";
    }
    return 2;
  }
  out << (*r ? "true" : "false") << "\n";
  return *r ? 0 : 1;
}

Result<std::vector<NamedPattern>> loadRules(const std::string& arg) {
  std::vector<NamedPattern> out;
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(arg, ec)) {
      if (e.is_regular_file() && isYaml(e.path())) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto r = loadYamlFile(f.string(), out);
      if (!r) return fail(r.error());
    }
    return out;
  }
  if (!fs::exists(arg, ec)) return fail("NotFound", "no such rules file or directory: " + arg);
  auto r = isYaml(arg) ? loadYamlFile(arg, out) : loadJsonLines(arg, out);
  if (!r) return fail(r.error());
  return out;
}

int runMatch(const std::string& rules_arg, const std::string& events_path,
             const MatchOptions& options, std::istream* stdin_stream, std::ostream& out,
             std::ostream& err) {
  auto rules = loadRules(rules_arg);
  if (!rules) {
    err << "match: " << rules.error().message << "\n";
    return 2;
  }
  pattern::RuleSetBuilder builder;
  for (const auto& r : *rules) {
    auto added = builder.add(r.name, r.pattern_json);
    if (!added) {
      err << "match: " << r.source << ": rule '" << r.name
          << "': Event pattern is not valid. Reason: " << added.error().message << "\n";
      return 2;
    }
  }
  auto rs = builder.build();

  std::ifstream file;
  std::istream* in = stdin_stream;
  if (events_path != "-") {
    file.open(events_path, std::ios::binary);
    if (!file) {
      err << "match: cannot read " << events_path << "\n";
      return 2;
    }
    in = &file;
  }
  if (in == nullptr) in = &std::cin;

  unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<uint64_t> counts(rs->size(), 0);
  std::vector<std::vector<uint64_t>> thread_counts(threads, std::vector<uint64_t>(rs->size(), 0));
  uint64_t events = 0, invalid = 0, with_match = 0;
  std::atomic<uint64_t> invalid_a{0}, matched_a{0};
  auto start = std::chrono::steady_clock::now();
  const std::size_t kBlock = 1 << 15;
  std::vector<std::string> lines, results;
  std::size_t line_no = 0;
  bool done = false;
  while (!done) {
    lines.clear();
    std::string line;
    while (lines.size() < kBlock) {
      line.reserve(4096);
      if (!std::getline(*in, line)) {
        done = true;
        break;
      }
      lines.push_back(std::move(line));
    }
    if (lines.empty()) break;
    results.assign(lines.size(), std::string());
    std::size_t base = line_no;
    auto work = [&](unsigned t) {
      std::vector<std::string_view> names;
      for (std::size_t i = t; i < lines.size(); i += threads) {
        std::string& o = results[i];
        o = "{\"line\":" + std::to_string(base + i + 1);
        if (lines[i].find_first_not_of(" \t\r") == std::string::npos) {
          o += ",\"error\":\"empty line\"}";
          invalid_a++;
          continue;
        }
        // Lines read into a roomy buffer are parsed in place.
        auto m = rs->matchString(lines[i]);
        if (!m) {
          o += ",\"error\":" + jsonQuote(m.error().message) + "}";
          invalid_a++;
          continue;
        }
        names.clear();
        for (uint32_t idx : *m) {
          thread_counts[t][idx]++;
          std::string_view n = rs->ruleName(idx);
          if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
        }
        if (!names.empty()) matched_a++;
        o += ",\"matches\":[";
        for (std::size_t k = 0; k < names.size(); ++k) {
          if (k) o += ',';
          o += jsonQuote(std::string(names[k]));
        }
        o += "]}";
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& th : pool) th.join();
    for (const auto& r : results) out << r << '\n';
    line_no += lines.size();
    events += lines.size();
  }
  out.flush();
  invalid = invalid_a.load();
  with_match = matched_a.load();
  if (options.stats) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const auto& tc : thread_counts)
      for (std::size_t i = 0; i < tc.size(); ++i) counts[i] += tc[i];
    err << "{\"events\":" << events << ",\"invalid\":" << invalid << ",\"matched\":" << with_match
        << ",\"rules\":" << rs->size() << ",\"threads\":" << threads << ",\"seconds\":" << secs
        << ",\"events_per_second\":" << (secs > 0 ? static_cast<uint64_t>(events / secs) : 0)
        << ",\"rule_matches\":{";
    // Counts per rule name (rules sharing a name are summed).
    std::vector<std::pair<std::string, uint64_t>> by_name;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const std::string& n = rs->ruleName(static_cast<uint32_t>(i));
      auto it =
          std::find_if(by_name.begin(), by_name.end(), [&](const auto& p) { return p.first == n; });
      if (it == by_name.end())
        by_name.emplace_back(n, counts[i]);
      else
        it->second += counts[i];
    }
    for (std::size_t i = 0; i < by_name.size(); ++i) {
      err << (i ? "," : "") << jsonQuote(by_name[i].first) << ":" << by_name[i].second;
    }
    err << "}}\n";
  }
  return 0;
}

void addPatternCommands(CLI::App& app) {
  auto* tp =
      app.add_subcommand("test-pattern", "Test one EventBridge event pattern against one event");
  auto pattern_arg = std::make_shared<std::string>();
  auto event_arg = std::make_shared<std::string>();
  tp->add_option("--pattern", *pattern_arg, "Pattern: a file or inline JSON")->required();
  tp->add_option("--event", *event_arg, "Event: a file or inline JSON")->required();
  tp->callback([pattern_arg, event_arg] {
    int code = runTestPattern(*pattern_arg, *event_arg, std::cout, std::cerr);
    if (code != 0) throw CLI::RuntimeError(code);
  });

  auto* m = app.add_subcommand("match", "Back-test rules against a JSON-lines file of events");
  auto rules_arg = std::make_shared<std::string>();
  auto events_arg = std::make_shared<std::string>();
  auto opts = std::make_shared<MatchOptions>();
  m->add_option("--rules", *rules_arg,
                "Rules: a directory of *.yaml rules, a YAML file, or JSON lines")
      ->required();
  m->add_option("--events", *events_arg, "Events: a JSON-lines file, or - for stdin")->required();
  m->add_flag("--stats", opts->stats, "Print events/s and match counts on stderr");
  m->add_option("--threads", opts->threads, "Worker threads (default: every core)");
  m->callback([rules_arg, events_arg, opts] {
    int code = runMatch(*rules_arg, *events_arg, *opts, &std::cin, std::cout, std::cerr);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace riposte::cli
