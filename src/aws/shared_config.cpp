#include "aws/shared_config.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/text.h"

namespace riposte::aws {
namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (isSpace(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (isSpace(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Cuts a comment that starts after whitespace ("value ; note", "value # note").
std::string_view stripInlineComment(std::string_view s) {
  for (size_t i = 1; i < s.size(); ++i) {
    if ((s[i] == '#' || s[i] == ';') && isSpace(s[i - 1])) return trim(s.substr(0, i));
  }
  return s;
}

enum class SectionKind { kProfile, kSsoSession, kSkipped };

struct ParsedSection {
  SectionKind kind = SectionKind::kSkipped;
  std::string name;
  bool plain_default = false;  // [default] in the config file (loses to [profile default])
  std::vector<std::pair<std::string, ProfileSetting>> settings;
};

std::string envOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string expandHome(const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const std::string home = homeDirectory();
    if (!home.empty()) return home + path.substr(1);
  }
  return path;
}

// Reads `path`; nullopt-like empty text when it does not exist and `must_exist` is false.
Result<std::string> readFile(const std::string& path, bool must_exist, const char* variable) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT && !must_exist) return std::string();
    std::string why = err == ENOENT ? "does not exist" : std::strerror(err);
    return fail(
        "InvalidSharedConfig",
        path + ": " + why + (must_exist ? std::string(" (named by ") + variable + ")" : ""));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail("InvalidSharedConfig", path + ": read error");
  return ss.str();
}

}  // namespace

const ProfileSetting* ConfigSection::find(std::string_view key) const {
  auto it = settings.find(std::string(key));
  return it == settings.end() ? nullptr : &it->second;
}

const ConfigSection* SharedConfig::profile(std::string_view name) const {
  auto it = profiles.find(std::string(name));
  return it == profiles.end() ? nullptr : &it->second;
}

const ConfigSection* SharedConfig::ssoSession(std::string_view name) const {
  auto it = sso_sessions.find(std::string(name));
  return it == sso_sessions.end() ? nullptr : &it->second;
}

Result<void> parseSharedFile(std::string_view text, const std::string& path, SharedFileKind kind,
                             SharedConfig& into) {
  std::vector<ParsedSection> sections;
  ParsedSection* current = nullptr;
  ProfileSetting* last = nullptr;  // the setting an indented line continues
  bool has_prefixed_default = false;
  auto error = [&](int line, const std::string& what) {
    return fail("InvalidSharedConfig", path + ":" + std::to_string(line) + ": " + what);
  };

  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view line = trim(raw);
    if (line.empty()) {
      last = nullptr;
      continue;
    }
    if (line.front() == '#' || line.front() == ';') continue;

    if (isSpace(raw.front())) {  // continues the value above, or a sub-setting of it
      if (!current) return error(line_no, "an indented line outside any section");
      if (current->kind == SectionKind::kSkipped) continue;
      if (!last) return error(line_no, "an indented line that continues no setting");
      last->value += "\n" + std::string(stripInlineComment(line));
      continue;
    }

    if (line.front() == '[') {
      const size_t close = line.find(']');
      if (close == std::string_view::npos) return error(line_no, "a section header without ]");
      std::string_view after = trim(line.substr(close + 1));
      if (!after.empty() && after.front() != '#' && after.front() != ';') {
        return error(line_no, "text after the section header");
      }
      std::string_view header = trim(line.substr(1, close - 1));
      if (header.empty()) return error(line_no, "an empty section name");
      ParsedSection s;
      auto prefixed = [&](std::string_view prefix, std::string& name) {
        if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0 ||
            !isSpace(header[prefix.size()])) {
          return false;
        }
        name = std::string(trim(header.substr(prefix.size())));
        return true;
      };
      if (kind == SharedFileKind::kConfig) {
        if (header == "default") {
          s.kind = SectionKind::kProfile;
          s.name = "default";
          s.plain_default = true;
        } else if (prefixed("profile", s.name)) {
          s.kind = SectionKind::kProfile;
          if (s.name == "default") has_prefixed_default = true;
        } else if (prefixed("sso-session", s.name)) {
          s.kind = SectionKind::kSsoSession;
        } else if (header == "profile" || header == "sso-session") {
          return error(line_no, "[" + std::string(header) + "] without a name");
        }
      } else {
        std::string ignored;
        if (!prefixed("profile", ignored)) {
          s.kind = SectionKind::kProfile;
          s.name = std::string(header);
        }
      }
      sections.push_back(std::move(s));
      current = &sections.back();
      last = nullptr;
      continue;
    }

    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return error(line_no, "expected [section] or `setting = value`");
    }
    if (!current) return error(line_no, "a setting before any [section]");
    const std::string key = text::asciiLower(trim(line.substr(0, eq)));
    if (key.empty()) return error(line_no, "a setting without a name");
    std::string value(stripInlineComment(trim(line.substr(eq + 1))));
    if (!value.empty() && (value.front() == '#' || value.front() == ';')) value.clear();
    current->settings.emplace_back(key, ProfileSetting{std::move(value), path, line_no});
    last = &current->settings.back().second;
  }

  for (auto& s : sections) {
    if (s.kind == SectionKind::kSkipped) continue;
    if (s.plain_default && has_prefixed_default) continue;  // [profile default] wins
    auto& map = s.kind == SectionKind::kProfile ? into.profiles : into.sso_sessions;
    ConfigSection& target = map[s.name];
    target.name = s.name;
    for (auto& [k, v] : s.settings) target.settings[k] = std::move(v);
  }
  return {};
}

std::string homeDirectory() {
  return envOrEmpty("HOME");
}

std::string sharedConfigPath() {
  if (std::string v = envOrEmpty("AWS_CONFIG_FILE"); !v.empty()) return expandHome(v);
  const std::string home = homeDirectory();
  return home.empty() ? std::string() : home + "/.aws/config";
}

std::string sharedCredentialsPath() {
  if (std::string v = envOrEmpty("AWS_SHARED_CREDENTIALS_FILE"); !v.empty()) return expandHome(v);
  const std::string home = homeDirectory();
  return home.empty() ? std::string() : home + "/.aws/credentials";
}

Result<SharedConfig> loadSharedConfig() {
  SharedConfig cfg;
  cfg.config_file = sharedConfigPath();
  cfg.credentials_file = sharedCredentialsPath();
  struct File {
    const std::string& path;
    const char* variable;
    SharedFileKind kind;
  };
  // The credentials file is read last: its settings win.
  for (const File& f :
       {File{cfg.config_file, "AWS_CONFIG_FILE", SharedFileKind::kConfig},
        File{cfg.credentials_file, "AWS_SHARED_CREDENTIALS_FILE", SharedFileKind::kCredentials}}) {
    if (f.path.empty()) continue;
    auto text = readFile(f.path, !envOrEmpty(f.variable).empty(), f.variable);
    if (!text) return fail(text.error());
    if (auto r = parseSharedFile(*text, f.path, f.kind, cfg); !r) return fail(r.error());
  }
  return cfg;
}

}  // namespace riposte::aws
