#include "config/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace riposte::config {

// ------------------------------------------------------------------- construction

Schema Schema::any(std::string doc, ValueParser parser) {
  Schema s;
  s.kind = Kind::kAny;
  s.doc = std::move(doc);
  s.parser = std::move(parser);
  return s;
}
Schema Schema::string(std::string doc) {
  Schema s;
  s.kind = Kind::kString;
  s.doc = std::move(doc);
  return s;
}
Schema Schema::secret(std::string doc) {
  Schema s = string(std::move(doc));
  s.is_secret = true;
  s.type_name = "secret (${VAR})";
  return s;
}
Schema Schema::boolean(std::string doc) {
  Schema s;
  s.kind = Kind::kBool;
  s.doc = std::move(doc);
  return s;
}
Schema Schema::integer(int64_t min, int64_t max, std::string doc) {
  Schema s;
  s.kind = Kind::kInt;
  s.min = min;
  s.max = max;
  s.doc = std::move(doc);
  return s;
}
Schema Schema::oneOf(std::vector<std::string> values, std::string doc) {
  Schema s;
  s.kind = Kind::kEnum;
  s.values = std::move(values);
  s.doc = std::move(doc);
  return s;
}
Schema Schema::duration(std::string doc) {
  Schema s;
  s.kind = Kind::kDuration;
  s.doc = std::move(doc);
  return s;
}
Schema Schema::url(std::vector<std::string> schemes, std::string doc) {
  Schema s;
  s.kind = Kind::kUrl;
  s.values = std::move(schemes);
  s.doc = std::move(doc);
  return s;
}
Schema Schema::listen(int min_port, std::string doc) {
  Schema s;
  s.kind = Kind::kListen;
  s.min = min_port;
  s.max = 65535;
  s.doc = std::move(doc);
  return s;
}
Schema Schema::list(Schema item, std::string doc) {
  Schema s;
  s.kind = Kind::kList;
  s.item = std::make_shared<const Schema>(std::move(item));
  s.doc = std::move(doc);
  return s;
}
Schema Schema::map(Schema item, std::string doc, ValueParser key_parser) {
  Schema s;
  s.kind = Kind::kMap;
  s.item = std::make_shared<const Schema>(std::move(item));
  s.doc = std::move(doc);
  s.key_parser = std::move(key_parser);
  return s;
}
Schema Schema::object(std::vector<Field> fields, std::string doc) {
  Schema s;
  s.kind = Kind::kObject;
  s.fields = std::move(fields);
  s.doc = std::move(doc);
  return s;
}
Schema Schema::tagged(std::string tag,
                      std::vector<std::pair<std::string, std::shared_ptr<const Schema>>> variants,
                      std::string doc) {
  Schema s;
  s.kind = Kind::kTagged;
  s.tag = std::move(tag);
  s.variants = std::move(variants);
  s.doc = std::move(doc);
  return s;
}

Schema&& Schema::withParser(ValueParser p) && {
  parser = std::move(p);
  return std::move(*this);
}

Schema&& Schema::named(std::string type) && {
  type_name = std::move(type);
  return std::move(*this);
}

Schema&& Schema::keyed(std::string key) && {
  key_name = std::move(key);
  return std::move(*this);
}

const Field* Schema::field(std::string_view name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

namespace {

std::string joinWords(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

// ------------------------------------------------------------------- helpers

namespace {

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
std::size_t editDistance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string quoted(const json::value& v) {
  if (v.is_string()) return "'" + std::string(v.get_string()) + "'";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "a mapping";
  if (v.is_double()) return fmt::format("{}", v.get_double());
  return json::serialize(v);
}

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& known) {
  if (word.size() > 64) return "";
  const std::size_t limit = word.size() < 5 ? 1 : word.size() < 9 ? 2 : 3;
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& k : known) {
    if (k.size() > word.size() + limit || word.size() > k.size() + limit) continue;
    std::size_t d = editDistance(word, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

std::string unknownMessage(std::string_view what, std::string_view word,
                           const std::vector<std::string>& known) {
  std::string msg = "unknown " + std::string(what) + " '" + std::string(word) + "'";
  if (std::string c = closest(word, known); !c.empty()) return msg + " (did you mean '" + c + "'?)";
  if (known.empty()) return msg + " (none is known)";
  return msg + " (known: " + joinWords(known) + ")";
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::chrono::milliseconds total{0};
  std::size_t i = 0;
  std::string last_unit;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i - start > 12) return std::nullopt;
    int64_t n = 0;
    std::from_chars(text.data() + start, text.data() + i, n);
    std::size_t ustart = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    std::string_view unit = text.substr(ustart, i - ustart);
    int64_t ms = 0;
    if (unit == "ms") {
      ms = 1;
    } else if (unit == "s") {
      ms = 1000;
    } else if (unit == "m") {
      ms = 60'000;
    } else if (unit == "h") {
      ms = 3'600'000;
    } else if (unit == "d") {
      ms = 86'400'000;
    } else {
      return std::nullopt;
    }
    total += std::chrono::milliseconds(n * ms);
  }
  return total;
}

std::optional<std::pair<std::string, int>> parseListen(std::string_view text) {
  std::string host;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = std::string(text.substr(0, colon));
    if (host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs [ ]
    port = text.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 6) return std::nullopt;
  for (char c : host)
    if (c == ' ' || c == '/' || c == '@') return std::nullopt;
  int p = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), p);
  if (r.ec != std::errc() || r.ptr != port.data() + port.size()) return std::nullopt;
  return std::make_pair(host, p);
}

std::optional<bool> boolOf(const json::value& v) {
  if (v.is_bool()) return v.get_bool();
  if (v.is_string() && v.get_string() == "true") return true;
  if (v.is_string() && v.get_string() == "false") return false;
  return std::nullopt;
}

// ------------------------------------------------------------------- the checker

namespace {

struct Checker {
  std::vector<Problem>& out;

  void problem(const std::string& path, std::string message, bool at_key = false) {
    out.push_back(Problem{path, std::move(message), at_key});
  }

  void runParser(const ValueParser& p, const json::value& v, const std::string& path) {
    if (!p) return;
    for (auto& q : p(v)) {
      std::string full = path;
      if (!q.path.empty()) {
        if (q.path[0] == '[')
          full += q.path;
        else
          full = joinPath(path, q.path);
      }
      problem(full, std::move(q.message), q.at_key);
    }
  }

  void value(const Schema& s, json::value& v, Node& n, const std::string& path) {
    using K = Schema::Kind;
    switch (s.kind) {
      case K::kAny:
        break;
      case K::kString:
        if (s.is_secret) {
          if (!v.is_string()) return problem(path, "must be a string (a secret from ${VAR})");
          if (!n.expanded)
            return problem(path,
                           "a secret may not be written in the file: write ${NAME} and set NAME "
                           "in riposte's environment");
          if (n.has_default)
            return problem(path,
                           "a secret may not have a default in the file (${NAME:-…}): write "
                           "${NAME} and set NAME in riposte's environment");
          break;
        }
        if (!v.is_string()) return problem(path, "must be a string, not " + quoted(v));
        break;
      case K::kBool:
        if (v.is_bool()) break;
        if (v.is_string() && n.expanded &&
            (v.get_string() == "true" || v.get_string() == "false")) {
          v = v.get_string() == "true";
          break;
        }
        if (v.is_string() && (v.get_string() == "true" || v.get_string() == "false"))
          return problem(path,
                         "must be true or false (a boolean, not the string " + quoted(v) + ")");
        return problem(path, "must be true or false, not " + quoted(v));
      case K::kInt: {
        int64_t x = 0;
        if (v.is_int64()) {
          x = v.get_int64();
        } else if (v.is_uint64()) {
          x = v.get_uint64() > static_cast<uint64_t>(INT64_MAX)
                  ? INT64_MAX
                  : static_cast<int64_t>(v.get_uint64());
        } else if (v.is_string() && n.expanded) {
          std::string_view t = v.get_string();
          auto r = std::from_chars(t.data(), t.data() + t.size(), x);
          if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size())
            return problem(path, "must be an integer between " + std::to_string(s.min) + " and " +
                                     std::to_string(s.max) + ", not " + quoted(v));
        } else {
          return problem(path, "must be an integer between " + std::to_string(s.min) + " and " +
                                   std::to_string(s.max) + ", not " + quoted(v));
        }
        if (x < s.min || x > s.max)
          return problem(path, "must be an integer between " + std::to_string(s.min) + " and " +
                                   std::to_string(s.max) + ", not " + quoted(v));
        v = x;
        break;
      }
      case K::kEnum: {
        if (!v.is_string())
          return problem(path, "must be one of " + joinWords(s.values) + ", not " + quoted(v));
        std::string t(v.get_string());
        if (std::find(s.values.begin(), s.values.end(), t) != s.values.end()) break;
        std::string msg = "must be one of " + joinWords(s.values) + ", not " + quoted(v);
        if (std::string c = closest(t, s.values); !c.empty()) msg += " (did you mean '" + c + "'?)";
        return problem(path, msg);
      }
      case K::kDuration:
        if (!v.is_string() || !parseDuration(v.get_string()))
          return problem(
              path, "must be a duration such as 250ms, 30s, 5m, 1h30m or 2d, not " + quoted(v));
        break;
      case K::kUrl: {
        if (!v.is_string()) return problem(path, "must be a URL, not " + quoted(v));
        std::string_view t = v.get_string();
        auto sep = t.find("://");
        std::string scheme(t.substr(0, sep == std::string_view::npos ? 0 : sep));
        if (sep == std::string_view::npos ||
            std::find(s.values.begin(), s.values.end(), scheme) == s.values.end())
          return problem(path, "must be a URL starting with " +
                                   joinWords(
                                       [&] {
                                         std::vector<std::string> v2;
                                         for (const auto& x : s.values) v2.push_back(x + "://");
                                         return v2;
                                       }(),
                                       " or ") +
                                   ", not " + quoted(v));
        if (t.size() == sep + 3)
          return problem(path, "is a URL with nothing after " + scheme + "://");
        break;
      }
      case K::kListen: {
        if (!v.is_string()) return problem(path, "must be host:port, not " + quoted(v));
        auto hp = parseListen(v.get_string());
        if (!hp) return problem(path, "must be host:port (IPv6 as [::1]:8080), not " + quoted(v));
        if (hp->second < s.min || hp->second > s.max)
          return problem(path, "port " + std::to_string(hp->second) + " is out of range " +
                                   std::to_string(s.min) + "–" + std::to_string(s.max));
        break;
      }
      case K::kList: {
        if (!v.is_array()) return problem(path, "must be a list, not " + quoted(v));
        auto& a = v.get_array();
        if (n.items.size() < a.size()) n.items.resize(a.size());
        for (std::size_t i = 0; i < a.size(); ++i)
          value(*s.item, a[i], n.items[i], indexPath(path, i));
        break;
      }
      case K::kMap: {
        if (!v.is_object()) return problem(path, "must be a mapping, not " + quoted(v));
        for (auto& kv : v.get_object()) {
          const std::string key(kv.key());
          const std::string child = joinPath(path, key);
          Node* cn = n.member(key);
          if (cn == nullptr) {
            n.members.emplace_back(key, Node{});
            cn = &n.members.back().second;
          }
          if (s.key_parser) {
            for (auto& q : s.key_parser(json::value(key)))
              problem(child, std::move(q.message), true);
          }
          value(*s.item, kv.value(), *cn, child);
        }
        break;
      }
      case K::kObject:
        if (!v.is_object()) return problem(path, "must be a mapping, not " + quoted(v));
        object(s, v.get_object(), n, path);
        break;
      case K::kTagged: {
        if (!v.is_object()) return problem(path, "must be a mapping, not " + quoted(v));
        auto& o = v.get_object();
        std::vector<std::string> names;
        for (const auto& [name, _] : s.variants) names.push_back(name);
        const json::value* t = o.if_contains(s.tag);
        if (t == nullptr || t->is_null())
          return problem(joinPath(path, s.tag), "is required (one of " + joinWords(names) + ")");
        if (!t->is_string())
          return problem(joinPath(path, s.tag),
                         "must be one of " + joinWords(names) + ", not " + quoted(*t));
        const Schema* variant = nullptr;
        for (const auto& [name, vs] : s.variants)
          if (name == t->get_string()) variant = vs.get();
        if (variant == nullptr)
          return problem(joinPath(path, s.tag),
                         unknownMessage(s.tag, std::string(t->get_string()), names));
        object(*variant, o, n, path);
        break;
      }
    }
    runParser(s.parser, v, path);
  }

  void object(const Schema& s, json::object& o, Node& n, const std::string& path) {
    std::vector<std::string> names;
    for (const auto& f : s.fields) names.push_back(f.name);
    std::vector<std::string> remove;
    for (auto& kv : o) {
      const std::string key(kv.key());
      const std::string child = joinPath(path, key);
      const Field* f = s.field(key);
      if (f == nullptr) {
        problem(child, unknownMessage("key", key, names), true);
        continue;
      }
      Node* cn = n.member(key);
      if (cn == nullptr) {
        n.members.emplace_back(key, Node{});
        cn = &n.members.back().second;
      }
      if (f->optional_when_empty && !cn->unset.empty() && kv.value().is_string() &&
          kv.value().get_string().empty()) {
        remove.push_back(key);  // only unset ${VAR}s: as if absent
        continue;
      }
      if (kv.value().is_null() && !f->required) {
        remove.push_back(key);  // `key:` with no value: as if absent
        continue;
      }
      value(f->schema, kv.value(), *cn, child);
    }
    for (const auto& k : remove) o.erase(k);
    for (const auto& f : s.fields) {
      if (o.contains(f.name)) continue;
      if (f.required) {
        problem(joinPath(path, f.name), "is required");
      } else if (f.default_value) {
        // Written in, then held to its own schema: a mapping's defaults get theirs.
        json::value& dv = o[f.name];
        dv = *f.default_value;
        Node* cn = n.member(f.name);
        if (cn == nullptr) {
          n.members.emplace_back(f.name, Node{});
          cn = &n.members.back().second;
        }
        value(f.schema, dv, *cn, joinPath(path, f.name));
      }
    }
  }
};

}  // namespace

void check(const Schema& schema, json::value& value, Node& node, const std::string& path,
           std::vector<Problem>& out) {
  Checker c{out};
  c.value(schema, value, node, path);
}

void check(const Schema& schema, Document& doc, const std::string& path,
           std::vector<Problem>& out) {
  if (path.empty()) return check(schema, doc.value, doc.root, path, out);
  // The value at `path` (members only: sections of a file).
  json::value* v = &doc.value;
  Node* n = &doc.root;
  std::string_view rest = path;
  while (!rest.empty()) {
    auto dot = rest.find('.');
    std::string key(rest.substr(0, dot));
    if (!v->is_object() || !v->get_object().contains(key)) return;
    v = &v->get_object()[key];
    Node* next = n->member(key);
    if (next == nullptr) return;
    n = next;
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  check(schema, *v, *n, path, out);
}

}  // namespace riposte::config
