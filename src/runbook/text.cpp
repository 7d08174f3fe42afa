#include "runbook/text.h"

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace riposte::runbook {

const json::object* asObject(const json::value* v) {
  return v ? v->if_object() : nullptr;
}

const json::value* member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::string stringMember(const json::object& o, std::string_view key, std::string def) {
  const auto* v = member(o, key);
  return v && v->is_string() ? std::string(v->get_string()) : def;
}

std::string numberText(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
    return std::string(buf, r.ptr);
  }
  return toJson(v);
}

// JSON text of a scalar (strings quoted), numbers in their shortest form.
std::string valueText(const json::value& v) {
  if (v.is_number()) return numberText(v);
  return toJson(v);
}

std::string joinStrings(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// "a", "a or b", "a, b or c".
std::string joinWords(const std::vector<std::string>& v, std::string_view last) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += (i + 1 == v.size()) ? std::string(" ") + std::string(last) + " " : ", ";
    out += v[i];
  }
  return out;
}

std::string truncateText(const std::string& s, std::size_t max_chars) {
  // Counts UTF-8 code points, cuts on a code point boundary.
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (count == max_chars) return s.substr(0, i) + "…";
      ++count;
    }
  }
  return s;
}

std::size_t utf8Length(const std::string& s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

bool startsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool endsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string lastSegment(const std::string& dotted) {
  auto p = dotted.rfind('.');
  return p == std::string::npos ? dotted : dotted.substr(p + 1);
}

std::optional<std::string> readTextFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string capitalize(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

const json::object* taskParameters(const json::object& task) {
  for (const char* key : {"Parameters", "Arguments"}) {
    if (const json::value* p = task.if_contains(key); p && p->is_object()) return &p->as_object();
  }
  return nullptr;
}

}  // namespace riposte::runbook
