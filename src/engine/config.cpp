#include "engine/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <variant>

namespace riposte::engine {

namespace fs = std::filesystem;

std::string Problem::str() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + (column > 0 ? ":" + std::to_string(column) : "");
  s += ": ";
  s += warning ? "warning: " : "error: ";
  if (!path.empty()) s += path + ": ";
  return s + message;
}

std::string expandEnv(const std::string& s, std::vector<std::string>* unset) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      auto close = s.find('}', i + 2);
      if (close == std::string::npos) {
        out += s.substr(i);
        break;
      }
      std::string inner = s.substr(i + 2, close - i - 2);
      std::string name = inner, def;
      bool has_def = false;
      if (auto p = inner.find(":-"); p != std::string::npos) {
        name = inner.substr(0, p);
        def = inner.substr(p + 2);
        has_def = true;
      }
      const char* v = std::getenv(name.c_str());
      if (v && *v) {
        out += v;
      } else if (has_def) {
        out += def;
      } else if (unset) {
        unset->push_back(name);
      }
      i = close;
    } else {
      out += s[i];
    }
  }
  return out;
}

namespace {

json::value scalarToJson(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") return json::value(s);
  if (s == "null" || s == "Null" || s == "NULL" || s == "~" || s.empty()) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex int_re("^[-+]?[0-9]+$");
  static const std::regex float_re(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  if (std::regex_match(s, int_re)) {
    // Keep the exact text if it does not fit in 64 bits: parse through JSON.
    auto v = parseJson(s);
    if (v) return *v;
  }
  if (std::regex_match(s, float_re)) {
    auto v = parseJson(s[0] == '.' ? "0" + s : (s[0] == '+' ? s.substr(1) : s));
    if (v) return *v;
  }
  return json::value(s);
}

json::value nodeToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : n) o[kv.first.as<std::string>()] = nodeToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& e : n) a.push_back(nodeToJson(e));
      return a;
    }
    case YAML::NodeType::Scalar:
      return scalarToJson(n);
    default:
      return nullptr;
  }
}

// Expands ${VAR} inside every string of a JSON value.
void expandJson(json::value& v, std::vector<std::string>& unset) {
  if (v.is_string()) {
    std::string s(v.get_string());
    if (s.find("${") != std::string::npos) v = expandEnv(s, &unset);
  } else if (v.is_array()) {
    for (auto& e : v.get_array()) expandJson(e, unset);
  } else if (v.is_object()) {
    for (auto& kv : v.get_object()) expandJson(kv.value(), unset);
  }
}

std::optional<std::string> readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> listFiles(const fs::path& dir, const std::vector<std::string>& suffixes) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    for (const auto& s : suffixes) {
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        out.push_back(e.path());
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string getString(const json::object& o, std::string_view k, const std::string& def = "") {
  auto it = o.find(k);
  if (it == o.end() || !it->value().is_string()) return def;
  return std::string(it->value().get_string());
}

// A boolean setting: true/false, or the string "true"/"false" that ${VAR} expansion leaves
// (`dry_run: ${RIPOSTE_DRY_RUN:-false}`).
std::optional<bool> boolOf(const json::value& v) {
  if (v.is_bool()) return v.get_bool();
  if (v.is_string() && v.get_string() == "true") return true;
  if (v.is_string() && v.get_string() == "false") return false;
  return std::nullopt;
}

bool getBool(const json::object& o, std::string_view k, bool def) {
  auto it = o.find(k);
  if (it == o.end()) return def;
  return boolOf(it->value()).value_or(def);
}

// The 1-based line of the key at `path` (mapping keys from the root) in a YAML document, or 0.
int yamlKeyLine(const std::string& text, const std::vector<std::string>& path) {
  try {
    YAML::Node n = YAML::Load(text);
    int line = 0;
    for (const auto& k : path) {
      if (!n.IsMap()) return 0;
      YAML::Node next;
      for (const auto& kv : n) {
        if (kv.first.IsScalar() && kv.first.Scalar() == k) {
          line = kv.first.Mark().line + 1;
          next = kv.second;
          break;
        }
      }
      if (!next.IsDefined()) return 0;
      n = next;
    }
    return line;
  } catch (const YAML::Exception&) {
    return 0;
  }
}

// The 1-based line and column of the node at a dotted path with list indexes
// ("suppressions[2].match.scope"), as deep as the path can be followed; {0, 0} when not even
// its first step is there.
std::pair<int, int> yamlPathMark(const std::string& text, const std::string& path) {
  std::vector<std::variant<std::string, std::size_t>> steps;
  std::string cur;
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '.' || c == '[') {
      if (!cur.empty()) steps.emplace_back(cur);
      cur.clear();
      if (c == '[') {
        auto close = path.find(']', i);
        if (close == std::string::npos) break;
        steps.emplace_back(static_cast<std::size_t>(std::atoll(path.substr(i + 1).c_str())));
        i = close;
      }
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) steps.emplace_back(cur);
  try {
    YAML::Node n = YAML::Load(text);
    std::pair<int, int> at{0, 0};
    for (const auto& step : steps) {
      YAML::Node next;
      YAML::Mark mark;
      if (const auto* key = std::get_if<std::string>(&step)) {
        if (!n.IsMap()) break;
        for (const auto& kv : n) {
          if (kv.first.IsScalar() && kv.first.Scalar() == *key) {
            next = kv.second;
            mark = kv.first.Mark();
            break;
          }
        }
      } else {
        std::size_t idx = std::get<std::size_t>(step);
        if (!n.IsSequence() || idx >= n.size()) break;
        next = n[idx];
        mark = next.Mark();
      }
      if (!next.IsDefined()) break;
      at = {mark.line + 1, mark.column + 1};
      n = next;
    }
    return at;
  } catch (const YAML::Exception&) {
    return {0, 0};
  }
}

int lineOf(const std::string& text, const std::string& needle) {
  auto p = text.find(needle);
  if (p == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(p), '\n'));
}

}  // namespace

Result<json::value> yamlToJson(const std::string& text, const std::string& file) {
  try {
    YAML::Node n = YAML::Load(text);
    return nodeToJson(n);
  } catch (const YAML::Exception& e) {
    return fail("InvalidYaml", file + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

Result<Config> loadConfig(const std::string& dir, const Checkers& checkers,
                          std::vector<Problem>& problems) {
  Config cfg;
  cfg.dir = dir;
  auto add = [&](std::string file, int line, std::string path, std::string msg,
                 bool warning = false) {
    problems.push_back(Problem{std::move(file), line, 0, std::move(path), std::move(msg), warning});
  };
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    add(dir, 0, "", "configuration directory not found");
    return fail("InvalidConfig", "configuration directory '" + dir + "' not found");
  }
  fs::path root(dir);

  // riposte.yaml
  fs::path main = root / "riposte.yaml";
  std::string main_text;
  std::optional<json::value> playbook_settings;  // riposte.yaml `playbooks`, applied below
  if (fs::exists(main)) {
    auto text = readFile(main);
    auto v = yamlToJson(text.value_or(""), "riposte.yaml");
    if (!v) {
      add("riposte.yaml", 0, "", v.error().message);
    } else if (!v->is_object() && !v->is_null()) {
      add("riposte.yaml", 1, "", "must be a mapping");
    } else if (v->is_object()) {
      std::vector<std::string> unset;
      expandJson(*v, unset);
      for (const auto& u : unset)
        add("riposte.yaml", lineOf(*text, "${" + u), "",
            "environment variable " + u + " is not set (expanded to \"\")", true);
      const auto& o = v->get_object();
      main_text = *text;
      if (auto it = o.find("playbooks"); it != o.end()) playbook_settings = it->value();
      cfg.settings = o;
      cfg.store_url = getString(o, "store", cfg.store_url);
      cfg.listen = getString(o, "listen", cfg.listen);
      if (auto it = o.find("log"); it != o.end() && it->value().is_object()) {
        cfg.log_level = getString(it->value().get_object(), "level", cfg.log_level);
        cfg.log_format = getString(it->value().get_object(), "format", cfg.log_format);
      }
      if (auto it = o.find("aws"); it != o.end() && it->value().is_object()) {
        cfg.default_region = getString(it->value().get_object(), "region", cfg.default_region);
        cfg.default_account = getString(it->value().get_object(), "account", cfg.default_account);
        if (auto acc = it->value().get_object().find("accounts");
            acc != it->value().get_object().end()) {
          if (!acc->value().is_object()) {
            add("riposte.yaml", lineOf(*text, "accounts"), "aws.accounts",
                "must map account ids to {role_arn, external_id}");
          } else {
            for (const auto& [id, v] : acc->value().get_object()) {
              std::string where = "aws.accounts." + std::string(id);
              bool digits = id.size() == 12 && std::all_of(id.begin(), id.end(), [](char c) {
                              return c >= '0' && c <= '9';
                            });
              if (!digits) {
                add("riposte.yaml", lineOf(*text, std::string(id)), where,
                    "an account id is 12 digits");
                continue;
              }
              if (!v.is_object() || getString(v.get_object(), "role_arn").rfind("arn:", 0) != 0) {
                add("riposte.yaml", lineOf(*text, std::string(id)), where,
                    "needs a role_arn (arn:aws:iam::<account>:role/<name>)");
                continue;
              }
              cfg.accounts[std::string(id)] = AccountSettings{
                  getString(v.get_object(), "role_arn"), getString(v.get_object(), "external_id")};
            }
          }
        }
      }
      if (auto it = o.find("notifications"); it != o.end() && it->value().is_object()) {
        cfg.sns_topic_arn = getString(it->value().get_object(), "sns_topic_arn");
      }
      if (auto it = o.find("sources"); it != o.end() && it->value().is_object()) {
        const auto& src = it->value().get_object();
        if (auto q = src.find("sqs"); q != src.end()) {
          if (!q->value().is_array()) {
            add("riposte.yaml", lineOf(*text, "sqs"), "sources.sqs", "must be a list of queues");
          } else {
            for (std::size_t i = 0; i < q->value().get_array().size(); ++i) {
              const auto& e = q->value().get_array()[i];
              std::string where = "sources.sqs[" + std::to_string(i) + "]";
              if (!e.is_object() || getString(e.get_object(), "queue_url").empty()) {
                add("riposte.yaml", lineOf(*text, "sqs"), where, "needs a queue_url");
                continue;
              }
              SqsSource s;
              s.queue_url = getString(e.get_object(), "queue_url");
              s.region = getString(e.get_object(), "region");
              if (auto w = e.get_object().if_contains("wait_seconds"); w && w->is_int64())
                s.wait_seconds = static_cast<int>(std::clamp<int64_t>(w->get_int64(), 0, 20));
              cfg.sqs_sources.push_back(std::move(s));
            }
          }
        }
      }
      if (auto it = o.find("safety"); it != o.end() && it->value().is_object()) {
        const auto& s = it->value().get_object();
        cfg.safety.dry_run = getBool(s, "dry_run", false);
        std::string tag = getString(s, "protected_tag", "riposte:protected=true");
        auto eq = tag.find('=');
        cfg.safety.protected_tag_key = tag.substr(0, eq);
        cfg.safety.protected_tag_value = eq == std::string::npos ? "" : tag.substr(eq + 1);
      }
    }
  }

  // playbooks/
  for (const auto& p : listFiles(root / "playbooks", {".asl.json", ".asl.yaml", ".asl.yml"})) {
    std::string rel = "playbooks/" + p.filename().string();
    std::string name = p.filename().string();
    name = name.substr(0, name.find(".asl."));
    auto text = readFile(p);
    if (!text) {
      add(rel, 0, "", "cannot read file");
      continue;
    }
    Result<json::value> def = p.extension() == ".json" ? parseJson(*text) : yamlToJson(*text, rel);
    if (!def) {
      add(rel, 0, "", def.error().message);
      continue;
    }
    std::vector<std::string> unset;
    expandJson(*def, unset);
    for (const auto& u : unset)
      add(rel, lineOf(*text, "${" + u), "", "environment variable " + u + " is not set", true);
    if (checkers.playbook) {
      for (const auto& [path, msg] : checkers.playbook(*def)) {
        // Point at the line of the last path component when we can find it.
        std::string last =
            path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
        add(rel, lineOf(*text, "\"" + last + "\""), path, msg);
      }
    }
    Playbook pb;
    pb.name = name;
    pb.file = rel;
    pb.definition_json = json::serialize(*def);
    pb.definition = std::move(*def);
    cfg.playbooks[name] = std::move(pb);
  }

  // riposte.yaml `playbooks.<name>`: per-playbook settings, outside the ASL document (which
  // stays a valid States Language definition).
  if (playbook_settings && !playbook_settings->is_null()) {
    const std::string f = "riposte.yaml";
    if (!playbook_settings->is_object()) {
      add(f, yamlKeyLine(main_text, {"playbooks"}), "playbooks",
          "must map playbook names to their settings ({dry_run: true})");
    } else {
      for (const auto& [key, settings] : playbook_settings->get_object()) {
        const std::string name(key);
        const std::string where = "playbooks." + name;
        const int line = yamlKeyLine(main_text, {"playbooks", name});
        auto pb = cfg.playbooks.find(name);
        if (pb == cfg.playbooks.end()) {
          std::string known;
          for (const auto& [k, _] : cfg.playbooks) known += (known.empty() ? "" : ", ") + k;
          add(f, line, where,
              "unknown playbook '" + name + "' (known: " + (known.empty() ? "none" : known) + ")");
          continue;
        }
        if (settings.is_null()) continue;
        if (!settings.is_object()) {
          add(f, line, where, "must be a mapping of settings ({dry_run: true})");
          continue;
        }
        for (const auto& [skey, sval] : settings.get_object()) {
          const int sline = yamlKeyLine(main_text, {"playbooks", name, std::string(skey)});
          if (skey == "dry_run") {
            auto b = boolOf(sval);
            if (!b) {
              add(f, sline, where + ".dry_run", "must be true or false");
              continue;
            }
            pb->second.dry_run = *b;
          } else {
            add(f, sline, where + "." + std::string(skey),
                "unknown playbook setting '" + std::string(skey) + "' (known: dry_run)");
          }
        }
      }
    }
  }

  // rules/
  for (const auto& p : listFiles(root / "rules", {".yaml", ".yml", ".json"})) {
    std::string rel = "rules/" + p.filename().string();
    auto text = readFile(p);
    if (!text) {
      add(rel, 0, "", "cannot read file");
      continue;
    }
    auto v = p.extension() == ".json" ? parseJson(*text) : yamlToJson(*text, rel);
    if (!v) {
      add(rel, 0, "", v.error().message);
      continue;
    }
    std::vector<const json::value*> items;
    if (v->is_array()) {
      for (const auto& e : v->get_array()) items.push_back(&e);
    } else if (v->is_object() && v->get_object().contains("rules") &&
               v->get_object().at("rules").is_array()) {
      for (const auto& e : v->get_object().at("rules").get_array()) items.push_back(&e);
    } else {
      items.push_back(&*v);
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      std::string where = items.size() > 1 ? "[" + std::to_string(i) + "]" : "";
      if (!items[i]->is_object()) {
        add(rel, 0, where, "a rule must be a mapping");
        continue;
      }
      const auto& o = items[i]->get_object();
      Rule r;
      r.file = rel;
      r.name = getString(o, "name");
      r.line = r.name.empty() ? 0 : lineOf(*text, r.name);
      if (r.name.empty()) {
        add(rel, 0, where + "name", "missing rule name");
        continue;
      }
      r.description = getString(o, "description");
      r.enabled = getBool(o, "enabled", true);
      r.dry_run = getBool(o, "dry_run", false);
      if (auto* ol = o.if_contains("on_limit")) {
        auto x = ol->is_string() ? policy::onLimitFromName(ol->get_string()) : std::nullopt;
        if (!x) {
          add(rel, lineOf(*text, "on_limit"), where + "on_limit",
              "must be approve, dry_run or fail");
          continue;
        }
        r.on_limit = *x;
      }
      r.playbook = getString(o, "playbook");
      auto pat = o.find("event_pattern");
      if (pat == o.end()) {
        add(rel, r.line, where + "event_pattern", "rule '" + r.name + "' has no event_pattern");
        continue;
      }
      if (pat->value().is_string()) {
        auto pj = parseJson(pat->value().get_string());
        if (!pj) {
          add(rel, lineOf(*text, "event_pattern"), where + "event_pattern", pj.error().message);
          continue;
        }
        r.pattern = *pj;
        r.pattern_json = std::string(pat->value().get_string());
      } else {
        r.pattern = pat->value();
        r.pattern_json = json::serialize(r.pattern);
      }
      if (checkers.pattern) {
        std::string err = checkers.pattern(r.pattern_json);
        if (!err.empty()) {
          add(rel, lineOf(*text, "event_pattern"), where + "event_pattern",
              "Event pattern is not valid. Reason: " + err);
          continue;
        }
      }
      if (!r.playbook.empty() && !cfg.playbooks.count(r.playbook)) {
        std::string known;
        for (const auto& [k, _] : cfg.playbooks) known += (known.empty() ? "" : ", ") + k;
        add(rel, lineOf(*text, "playbook"), where + "playbook",
            "unknown playbook '" + r.playbook + "' (known: " + known + ")");
        continue;
      }
      for (const auto& other : cfg.rules) {
        if (other.name == r.name) {
          add(rel, r.line, where + "name",
              "duplicate rule name '" + r.name + "' (also in " + other.file + ")");
        }
      }
      cfg.rules.push_back(std::move(r));
    }
  }
  loadPolicies(dir, cfg, problems);
  for (const auto& p : problems) {
    if (!p.warning) return fail("InvalidConfig", p.str());
  }
  return cfg;
}

void loadPolicies(const std::string& dir, Config& cfg, std::vector<Problem>& problems) {
  // The sections a policies file may hold, each read by its parser in src/policy.
  static const std::vector<std::string> kSections = {"suppressions", "limits", "breaker", "scope",
                                                     "threat_intel"};
  std::map<std::string, std::string> once;  // limits, breaker, scope: section → its file
  fs::path root(dir);
  for (const auto& p : listFiles(root / "policies", {".yaml", ".yml", ".json"})) {
    std::string rel = "policies/" + p.filename().string();
    auto text = readFile(p);
    if (!text) {
      problems.push_back(Problem{rel, 0, 0, "", "cannot read file", false});
      continue;
    }
    auto v = p.extension() == ".json" ? parseJson(*text) : yamlToJson(*text, rel);
    if (!v) {
      problems.push_back(Problem{rel, 0, 0, "", v.error().message, false});
      continue;
    }
    if (v->is_null()) continue;
    if (!v->is_object()) {
      problems.push_back(Problem{
          rel, 1, 0, "",
          "must be a mapping of policy sections (known: suppressions, limits, breaker, scope, "
          "threat_intel)",
          false});
      continue;
    }
    std::vector<std::string> unset;
    expandJson(*v, unset);
    for (const auto& u : unset)
      problems.push_back(Problem{rel, lineOf(*text, "${" + u), 0, "",
                                 "environment variable " + u + " is not set", true});
    auto add = [&](const policy::Problem& pr) {
      auto [line, col] = yamlPathMark(*text, pr.path);
      problems.push_back(Problem{rel, line, col, pr.path, pr.message, false});
    };
    for (const auto& [key, value] : v->get_object()) {
      std::string section(key);
      if (section == "suppressions") {
        // Config suppressions are not relative to now: a duration counts from `created`.
        auto parsed = policy::parseSuppressions(value, section, policy::Origin::kConfig, 0);
        for (const auto& pr : parsed.problems) add(pr);
        for (std::size_t k = 0; k < parsed.suppressions.size(); ++k) {
          auto& s = parsed.suppressions[k];
          if (auto other = cfg.suppression_files.find(s.name);
              other != cfg.suppression_files.end()) {
            add({section + "[" + std::to_string(parsed.indexes[k]) + "].name",
                 "duplicate suppression name '" + s.name + "' (also in " + other->second + ")"});
            continue;
          }
          cfg.suppression_files[s.name] = rel;
          cfg.suppressions.push_back(std::move(s));
        }
        continue;
      }
      if (section == "limits" || section == "breaker" || section == "scope") {
        // Blast-radius guard rails (policy/limits.h): each section once in the directory.
        if (auto it = once.find(section); it != once.end()) {
          add({section, "'" + section + "' is already set in " + it->second});
          continue;
        }
        once[section] = rel;
        std::vector<policy::Problem> found;
        if (section == "limits") {
          cfg.guard_rails.limits = policy::parseLimits(value, found);
        } else if (section == "breaker") {
          cfg.guard_rails.breaker = policy::parseBreaker(value, found);
        } else {
          cfg.guard_rails.scope = policy::parseScope(value, found);
        }
        for (const auto& pr : found) add(pr);
        continue;
      }
      if (section == "threat_intel") {
        // Threat-intelligence lists (policy/threat_config.h): lists add up across files.
        std::vector<policy::Problem> found;
        auto ti = policy::parseThreatIntel(value, found);
        for (const auto& pr : found) add(pr);
        for (std::size_t k = 0; k < ti.lists.size(); ++k) {
          auto& l = ti.lists[k];
          auto& have = cfg.threat_intel.lists;
          if (std::any_of(have.begin(), have.end(),
                          [&](const auto& x) { return x.name == l.name; })) {
            // The entry's index in this file, for its position.
            std::string at = "threat_intel.lists";
            const auto& items = value.get_object().at("lists").get_array();
            for (std::size_t i = 0; i < items.size(); ++i) {
              const auto* n =
                  items[i].is_object() ? items[i].get_object().if_contains("name") : nullptr;
              if (n && n->is_string() && n->get_string() == l.name) {
                at += "[" + std::to_string(i) + "].name";
                break;
              }
            }
            add({at, "duplicate list name '" + l.name +
                         "' (another policies file has a list of that name)"});
            continue;
          }
          have.push_back(std::move(l));
        }
        if (ti.publish) {
          if (auto it = once.find("threat_intel.publish"); it != once.end()) {
            add({"threat_intel.publish", "'threat_intel.publish' is already set in " + it->second});
          } else {
            once["threat_intel.publish"] = rel;
            cfg.threat_intel.publish = std::move(ti.publish);
          }
        }
        continue;
      }
      std::string known;
      for (const auto& k : kSections) known += (known.empty() ? "" : ", ") + k;
      add({section, "unknown policy section '" + section + "' (known: " + known + ")"});
    }
  }
}

}  // namespace riposte::engine
