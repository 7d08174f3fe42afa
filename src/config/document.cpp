#include "config/document.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <set>

#include "config/expand.h"
#include "core/text.h"

namespace riposte::config {

// ------------------------------------------------------------------- problems and paths

std::string Located::str() const {
  std::string s = file;
  if (at.line > 0) {
    s += ":" + std::to_string(at.line);
    if (at.column > 0) s += ":" + std::to_string(at.column);
  }
  s += ": ";
  if (!path.empty()) s += path + ": ";
  return s + message;
}

std::string joinPath(std::string_view base, std::string_view key) {
  if (base.empty() || base == "$") return base.empty() ? std::string(key) : "$." + std::string(key);
  return std::string(base) + "." + std::string(key);
}

std::string indexPath(std::string_view base, std::size_t index) {
  return std::string(base) + "[" + std::to_string(index) + "]";
}

Node::Node() = default;

const Node* Node::member(std::string_view key) const {
  for (const auto& [k, n] : members)
    if (k == key) return &n;
  return nullptr;
}

Node* Node::member(std::string_view key) {
  for (auto& [k, n] : members)
    if (k == key) return &n;
  return nullptr;
}

namespace {

// Walks `path` from `root`; `key_out` gets the last member step's node (for at_key).
template <class N>
N& walk(N& root, std::string_view path, bool* last_was_member = nullptr) {
  N* n = &root;
  if (last_was_member) *last_was_member = false;
  if (!path.empty() && path[0] == '$') path.remove_prefix(1);
  while (!path.empty()) {
    if (path[0] == '.') {
      path.remove_prefix(1);
      continue;
    }
    if (path[0] == '[') {
      auto close = path.find(']');
      if (close == std::string_view::npos) break;
      std::size_t index = 0;
      auto digits = path.substr(1, close - 1);
      auto r = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() ||
          index >= n->items.size()) {
        break;
      }
      n = &n->items[index];
      if (last_was_member) *last_was_member = false;
      path.remove_prefix(close + 1);
      continue;
    }
    // The longest member name that the path starts with, followed by its end, '.' or '['.
    N* next = nullptr;
    std::size_t best = 0;
    for (auto& [k, child] : n->members) {
      if (k.size() < best || k.empty() || path.substr(0, k.size()) != k) continue;
      if (k.size() < path.size() && path[k.size()] != '.' && path[k.size()] != '[') continue;
      if (next == nullptr || k.size() > best) {
        next = &child;
        best = k.size();
      }
    }
    if (next == nullptr) break;
    n = next;
    if (last_was_member) *last_was_member = true;
    path.remove_prefix(best);
  }
  return *n;
}

}  // namespace

const Node& Document::find(std::string_view path) const {
  return walk(root, path);
}

Node& Document::find(std::string_view path) {
  return walk(root, path);
}

Mark Document::locate(std::string_view path, bool at_key) const {
  bool member = false;
  const Node& n = walk(root, path, &member);
  if (at_key && member && n.key_mark.line > 0) return n.key_mark;
  return n.mark;
}

Located Document::locate(const Problem& p) const {
  return Located{file, locate(p.path, p.at_key), p.path, p.message};
}

namespace {

void collectUnset(const Document& doc, const Node& n, const json::value* v, const std::string& path,
                  std::vector<Located>& out) {
  for (const auto& name : n.unset) {
    out.push_back(Located{doc.file, n.mark, path,
                          "environment variable " + name +
                              " is not set (set it, or give a default: ${" + name + ":-value})"});
  }
  const json::object* o = v != nullptr && v->is_object() ? &v->get_object() : nullptr;
  for (const auto& [k, child] : n.members) {
    // A member the schema removed (optional-when-empty) has no value any more.
    const json::value* cv = o != nullptr ? o->if_contains(k) : nullptr;
    if (cv == nullptr) continue;
    collectUnset(doc, child, cv, joinPath(path, k), out);
  }
  const json::array* a = v != nullptr && v->is_array() ? &v->get_array() : nullptr;
  for (std::size_t i = 0; i < n.items.size(); ++i) {
    collectUnset(doc, n.items[i], a != nullptr && i < a->size() ? &(*a)[i] : nullptr,
                 indexPath(path, i), out);
  }
}

}  // namespace

void Document::unsetProblems(std::vector<Located>& out) const {
  collectUnset(*this, root, &value, "", out);
}

// ------------------------------------------------------------------- YAML

namespace {

Mark markOf(const YAML::Mark& m) {
  if (m.line < 0 || m.column < 0) return {};
  return Mark{m.line + 1, m.column + 1};
}

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A YAML 1.2 core-schema number, decimal only: [-+]?[0-9]+ or a float with '.' / exponent.
std::optional<json::value> plainNumber(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (allDigits(body)) {
    // Leading zeros are allowed by YAML ("007" is 7); keep the digits exact.
    std::size_t nz = body.find_first_not_of('0');
    std::string digits(nz == std::string_view::npos ? "0" : body.substr(nz));
    auto v = parseJson((negative ? "-" : "") + digits);
    if (v) return *v;
    return std::nullopt;
  }
  // float: (\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::size_t i = 0;
  std::string text = negative ? "-" : "";
  std::size_t int_digits = 0;
  while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++int_digits;
  text += int_digits ? std::string(body.substr(0, int_digits)) : "0";
  bool dot = false;
  if (i < body.size() && body[i] == '.') {
    dot = true;
    ++i;
    std::size_t start = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
    if (int_digits == 0 && i == start) return std::nullopt;
    text += "." + (i == start ? std::string("0") : std::string(body.substr(start, i - start)));
  } else if (int_digits == 0) {
    return std::nullopt;
  }
  bool exp = false;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    exp = true;
    ++i;
    std::string e = "e";
    if (i < body.size() && (body[i] == '-' || body[i] == '+')) e += body[i++];
    std::size_t start = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
    if (i == start) return std::nullopt;
    text += e + std::string(body.substr(start, i - start));
  }
  if (i != body.size() || (!dot && !exp)) return std::nullopt;
  auto v = parseJson(text);
  if (!v) return std::nullopt;
  return *v;
}

struct YamlReader {
  std::string file;
  std::vector<Located>& out;
  bool expand_vars = true;
  int depth = 0;

  void problem(Mark at, const std::string& path, const std::string& message) {
    out.push_back(Located{file, at, path, message});
  }

  json::value scalar(const YAML::Node& y, Node& n, const std::string& path) {
    const std::string& s = y.Scalar();
    const bool quoted = y.Tag() == "!";
    if (expand_vars && s.find("${") != std::string::npos) {
      Expansion e = expand(s);
      n.expanded = true;
      n.has_default = e.has_default;
      n.unset = std::move(e.unset);
      if (!e.error.empty()) problem(n.mark, path, e.error);
      return json::value(e.text);
    }
    if (!quoted) {
      if (!y.Tag().empty() && y.Tag() != "?") {
        problem(n.mark, path, "YAML tag '" + y.Tag() + "' is not supported");
        return json::value(s);
      }
      if (s.empty() || s == "null" || s == "~") return nullptr;
      if (s == "true") return true;
      if (s == "false") return false;
      if (auto num = plainNumber(s)) return *num;
    }
    return json::value(s);
  }

  json::value convert(const YAML::Node& y, Node& n, const std::string& path) {
    n.mark = markOf(y.Mark());
    if (++depth > 256) {
      --depth;
      problem(n.mark, path, "nested deeper than 256 levels");
      return nullptr;
    }
    json::value result;
    switch (y.Type()) {
      case YAML::NodeType::Map: {
        json::object o;
        for (const auto& kv : y) {
          Mark key_mark = markOf(kv.first.Mark());
          if (!kv.first.IsScalar()) {
            problem(key_mark, path, "a mapping key must be a string");
            continue;
          }
          const std::string key = kv.first.Scalar();
          const std::string child_path = joinPath(path, key);
          if (o.contains(key)) {
            problem(key_mark, child_path, "duplicate key '" + key + "'");
            continue;
          }
          Node child;
          child.key_mark = key_mark;
          json::value v = convert(kv.second, child, child_path);
          o[key] = std::move(v);
          n.members.emplace_back(key, std::move(child));
        }
        result = std::move(o);
        break;
      }
      case YAML::NodeType::Sequence: {
        json::array a;
        std::size_t i = 0;
        for (const auto& e : y) {
          Node child;
          a.push_back(convert(e, child, indexPath(path, i++)));
          n.items.push_back(std::move(child));
        }
        result = std::move(a);
        break;
      }
      case YAML::NodeType::Scalar:
        result = scalar(y, n, path);
        break;
      default:
        result = nullptr;
    }
    --depth;
    return result;
  }
};

}  // namespace

std::optional<Document> readYaml(std::string_view text, std::string file, std::vector<Located>& out,
                                 bool expand) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    out.push_back(Located{file, markOf(e.mark), "", "not valid YAML: " + e.msg});
    return std::nullopt;
  }
  Document d;
  d.file = std::move(file);
  if (docs.size() > 1) {
    out.push_back(
        Located{d.file, markOf(docs[1].Mark()), "",
                "a file holds one YAML document (found " + std::to_string(docs.size()) + ")"});
  }
  if (docs.empty()) {
    d.value = nullptr;
    d.root.mark = Mark{1, 1};
    return d;
  }
  YamlReader r{d.file, out, expand};
  try {
    d.value = r.convert(docs[0], d.root, "");
  } catch (const YAML::Exception& e) {
    out.push_back(Located{d.file, markOf(e.mark), "", "not valid YAML: " + e.msg});
    return std::nullopt;
  }
  if (d.root.mark.line == 0) d.root.mark = Mark{1, 1};
  return d;
}

// ------------------------------------------------------------------- JSON

namespace {

class JsonReader {
 public:
  JsonReader(std::string_view text, std::string file, std::vector<Located>& out, bool expand)
      : s_(text), file_(std::move(file)), out_(out), expand_(expand) {}

  std::optional<Document> read() {
    Document d;
    d.file = file_;
    skipSpace();
    if (!value(d.value, d.root, "", 0)) return std::nullopt;
    skipSpace();
    if (i_ < s_.size()) {
      error("unexpected text after the JSON value");
      return std::nullopt;
    }
    return d;
  }

 private:
  std::string_view s_;
  std::string file_;
  std::vector<Located>& out_;
  bool expand_;
  std::size_t i_ = 0;
  int line_ = 1;
  std::size_t line_start_ = 0;

  Mark here() const { return Mark{line_, static_cast<int>(i_ - line_start_) + 1}; }

  bool error(const std::string& message) {
    out_.push_back(Located{file_, here(), "", "not valid JSON: " + message});
    return false;
  }

  void skipSpace() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\n') {
        ++line_;
        line_start_ = i_ + 1;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        break;
      }
      ++i_;
    }
  }

  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return error("unexpected character");
    i_ += word.size();
    return true;
  }

  bool hex4(uint32_t& cp) {
    if (i_ + 4 > s_.size()) return error("truncated \\u escape");
    cp = 0;
    for (int k = 0; k < 4; ++k) {
      const int d = text::hexDigit(s_[i_++]);
      if (d < 0) return error("bad \\u escape");
      cp = (cp << 4) | static_cast<uint32_t>(d);
    }
    return true;
  }

  // At the opening quote.
  bool string(std::string& out) {
    ++i_;
    while (true) {
      if (i_ >= s_.size()) return error("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        break;
      }
      if (c < 0x20) return error("control character in a string (escape it)");
      if (c != '\\') {
        out += static_cast<char>(c);
        ++i_;
        continue;
      }
      if (++i_ >= s_.size()) return error("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = 0;
            if (s_.substr(i_, 2) != "\\u") return error("unpaired surrogate in \\u escape");
            i_ += 2;
            if (!hex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return error("unpaired surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return error("unpaired surrogate in \\u escape");
          }
          text::appendUtf8(out, cp);
          break;
        }
        default:
          return error(std::string("bad escape '\\") + e + "'");
      }
    }
    return true;
  }

  bool number(json::value& v) {
    std::size_t start = i_;
    if (s_[i_] == '-') ++i_;
    auto digits = [&] {
      std::size_t b = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - b;
    };
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (digits() == 0) {
      return error("bad number");
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (digits() == 0) return error("bad number");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (digits() == 0) return error("bad number");
    }
    auto parsed = parseJson(s_.substr(start, i_ - start));
    if (!parsed) return error("bad number");
    v = std::move(*parsed);
    return true;
  }

  bool value(json::value& v, Node& n, const std::string& path, int depth) {
    if (depth > 512) return error("nested deeper than 512 levels");
    if (i_ >= s_.size()) return error("unexpected end of text");
    n.mark = here();
    char c = s_[i_];
    if (c == '{') {
      ++i_;
      json::object o;
      skipSpace();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        v = std::move(o);
        return true;
      }
      while (true) {
        skipSpace();
        if (i_ >= s_.size() || s_[i_] != '"') return error("expected a member name (a string)");
        Node child;
        child.key_mark = here();
        std::string key;
        if (!string(key)) return false;
        skipSpace();
        if (i_ >= s_.size() || s_[i_] != ':') return error("expected ':'");
        ++i_;
        skipSpace();
        const std::string child_path = joinPath(path, key);
        json::value cv;
        if (!value(cv, child, child_path, depth + 1)) return false;
        if (o.contains(key)) {
          out_.push_back(Located{file_, child.key_mark, child_path, "duplicate key '" + key + "'"});
        } else {
          o[key] = std::move(cv);
          n.members.emplace_back(std::move(key), std::move(child));
        }
        skipSpace();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == '}') {
          ++i_;
          break;
        }
        return error("expected ',' or '}'");
      }
      v = std::move(o);
      return true;
    }
    if (c == '[') {
      ++i_;
      json::array a;
      skipSpace();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        v = std::move(a);
        return true;
      }
      while (true) {
        skipSpace();
        Node child;
        json::value cv;
        if (!value(cv, child, indexPath(path, a.size()), depth + 1)) return false;
        a.push_back(std::move(cv));
        n.items.push_back(std::move(child));
        skipSpace();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == ']') {
          ++i_;
          break;
        }
        return error("expected ',' or ']'");
      }
      v = std::move(a);
      return true;
    }
    if (c == '"') {
      std::string text;
      if (!string(text)) return false;
      if (expand_ && text.find("${") != std::string::npos) {
        Expansion e = expand(text);
        n.expanded = true;
        n.has_default = e.has_default;
        n.unset = std::move(e.unset);
        if (!e.error.empty()) out_.push_back(Located{file_, n.mark, path, e.error});
        v = json::value(e.text);
      } else {
        v = json::value(text);
      }
      return true;
    }
    if (c == 't') {
      v = true;
      return literal("true");
    }
    if (c == 'f') {
      v = false;
      return literal("false");
    }
    if (c == 'n') {
      v = nullptr;
      return literal("null");
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(v);
    return error("unexpected character");
  }
};

}  // namespace

std::optional<Document> readJson(std::string_view text, std::string file, std::vector<Located>& out,
                                 bool expand) {
  return JsonReader(text, std::move(file), out, expand).read();
}

Result<json::value> readValue(std::string_view text, const std::string& file, bool yaml,
                              bool expand) {
  std::vector<Located> problems;
  auto doc = yaml ? readYaml(text, file, problems, expand) : readJson(text, file, problems, expand);
  if (doc) doc->unsetProblems(problems);
  if (!problems.empty()) return fail("InvalidConfig", problems.front().str());
  return std::move(doc->value);
}

}  // namespace riposte::config
