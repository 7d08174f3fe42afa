#include "config/expand.h"

#include <cstdlib>

namespace riposte::config {

namespace {

bool nameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool nameChar(char c) {
  return nameStart(c) || (c >= '0' && c <= '9');
}

}  // namespace

Environment processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Expansion expand(std::string_view s, const Environment& env) {
  Expansion out;
  out.text.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$' || i + 1 >= s.size() || s[i + 1] != '{') {
      out.text += s[i];
      continue;
    }
    out.expanded = true;
    const std::size_t close = s.find('}', i + 2);
    if (close == std::string_view::npos) {
      out.error = "unterminated '${' (write ${NAME} or ${NAME:-default})";
      return out;
    }
    std::string_view inner = s.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (auto d = inner.find(":-"); d != std::string_view::npos) {
      name = inner.substr(0, d);
      fallback = inner.substr(d + 2);
      out.has_default = true;
    }
    bool good = !name.empty() && nameStart(name[0]);
    for (char c : name) good = good && nameChar(c);
    if (!good) {
      out.error = "'${" + std::string(inner) +
                  "}' is not a variable reference (a name is letters, digits and _, not "
                  "starting with a digit)";
      return out;
    }
    if (fallback && fallback->find("${") != std::string_view::npos) {
      out.error = "'${" + std::string(inner) + "}': a default cannot hold another ${…}";
      return out;
    }
    const std::string key(name);
    auto value = env ? env(key) : std::nullopt;
    if (value && !value->empty()) {
      out.text += *value;
    } else if (fallback) {
      out.text += *fallback;
    } else {
      out.unset.push_back(key);
    }
    i = close;
  }
  return out;
}

}  // namespace riposte::config
