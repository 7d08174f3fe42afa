#include "asl/jsonpath.h"

#include <cmath>

namespace riposte::asl {

struct FilterExpr;

struct PathSegment {
  enum Kind { Field, Index, Wildcard, Slice, Union, Descend, Filter, Length } kind = Field;
  std::string name;
  long index = 0;
  std::optional<long> start, end;
  long step = 1;
  std::vector<std::string> names;
  std::vector<long> indices;
  std::shared_ptr<const FilterExpr> filter;
  std::shared_ptr<const PathSegment> sub;  // Descend: what to select at every level
};

struct FilterExpr {
  enum Kind { Or, And, Not, Cmp, Operand } kind = Operand;
  std::string op;  // Cmp: == != < <= > >=
  std::vector<FilterExpr> kids;
  // Operand: either a literal or a path relative to @ (or $).
  bool is_path = false;
  bool from_root = false;
  std::vector<PathSegment> path;
  json::value literal;
};

namespace {

bool isNumber(const json::value& v) {
  return v.is_number();
}
double num(const json::value& v) {
  return v.to_number<double>();
}

}  // namespace

bool jsonEquals(const json::value& a, const json::value& b) {
  if (isNumber(a) && isNumber(b)) {
    if (a.is_double() || b.is_double()) return num(a) == num(b);
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    return num(a) == num(b);
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& kv : x) {
        auto it = y.find(kv.key());
        if (it == y.end() || !jsonEquals(kv.value(), it->value())) return false;
      }
      return true;
    }
    case json::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!jsonEquals(x[i], y[i])) return false;
      return true;
    }
    default:
      return a == b;
  }
}

// ---------------------------------------------------------------------------------------
// Parser
class PathParser {
 public:
  explicit PathParser(std::string_view s) : s_(s) {}

  Result<JsonPath> run() {
    JsonPath p;
    p.text_ = std::string(s_);
    if (s_.empty() || s_[0] != '$') return err("a path must start with '$'");
    pos_ = 1;
    if (pos_ < s_.size() && s_[pos_] == '$') {
      p.root_ = JsonPath::Root::Context;
      ++pos_;
    } else if (pos_ < s_.size() && s_[pos_] != '.' && s_[pos_] != '[') {
      std::size_t b = pos_;
      while (pos_ < s_.size() && s_[pos_] != '.' && s_[pos_] != '[') ++pos_;
      p.root_ = JsonPath::Root::Variable;
      p.variable_ = std::string(s_.substr(b, pos_ - b));
    }
    auto segs = segments(false);
    if (!segs) return tl::unexpected(segs.error());
    p.segments_ = std::move(*segs);
    for (std::size_t i = 0; i < p.segments_.size(); ++i) {
      const auto& sg = p.segments_[i];
      if (sg.kind == PathSegment::Length && i + 1 != p.segments_.size())
        return err("length() must be the last step");
      if (sg.kind != PathSegment::Field && sg.kind != PathSegment::Index) p.reference_ = false;
      if (sg.kind == PathSegment::Wildcard || sg.kind == PathSegment::Slice ||
          sg.kind == PathSegment::Descend || sg.kind == PathSegment::Filter ||
          (sg.kind == PathSegment::Union))
        p.definite_ = false;
    }
    return p;
  }

 private:
  tl::unexpected<Error> err(const std::string& what) const {
    return fail("InvalidPath", "invalid JSONPath '" + std::string(s_) + "' at offset " +
                                   std::to_string(pos_) + ": " + what);
  }
  bool eof() const { return pos_ >= s_.size(); }
  char peek() const { return eof() ? '\0' : s_[pos_]; }
  void ws() {
    while (!eof() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }

  // Parses steps until end (top level) or until a character that cannot continue a
  // relative path inside a filter.
  Result<std::vector<PathSegment>> segments(bool in_filter) {
    std::vector<PathSegment> out;
    while (!eof()) {
      char c = peek();
      if (c == '.') {
        ++pos_;
        if (peek() == '.') {
          ++pos_;
          PathSegment d;
          d.kind = PathSegment::Descend;
          PathSegment sub;
          if (peek() == '[') {
            auto b = bracket();
            if (!b) return tl::unexpected(b.error());
            sub = std::move(*b);
          } else {
            auto n = dotName(in_filter);
            if (!n) return tl::unexpected(n.error());
            sub = std::move(*n);
          }
          if (sub.kind == PathSegment::Length) return err("length() after '..'");
          d.sub = std::make_shared<PathSegment>(std::move(sub));
          out.push_back(std::move(d));
          continue;
        }
        auto n = dotName(in_filter);
        if (!n) return tl::unexpected(n.error());
        out.push_back(std::move(*n));
      } else if (c == '[') {
        auto b = bracket();
        if (!b) return tl::unexpected(b.error());
        out.push_back(std::move(*b));
      } else if (in_filter) {
        break;
      } else {
        return err("unexpected character '" + std::string(1, c) + "'");
      }
    }
    return out;
  }

  Result<PathSegment> dotName(bool in_filter) {
    PathSegment sg;
    if (peek() == '*') {
      ++pos_;
      sg.kind = PathSegment::Wildcard;
      return sg;
    }
    std::size_t b = pos_;
    while (!eof()) {
      char c = s_[pos_];
      if (c == '.' || c == '[') break;
      if (c == ']') return err("unexpected ']'");
      if (in_filter && (c == ' ' || c == ')' || c == '=' || c == '!' || c == '<' || c == '>' ||
                        c == '&' || c == '|' || c == ','))
        break;
      ++pos_;
    }
    if (pos_ == b) return err("empty field name");
    sg.name = std::string(s_.substr(b, pos_ - b));
    if (sg.name == "length()") sg.kind = PathSegment::Length;
    return sg;
  }

  Result<std::string> quoted() {
    char q = s_[pos_++];
    std::string out;
    while (!eof() && s_[pos_] != q) {
      // Only an escaped quote of the same kind is an escape (Jayway); any other backslash
      // is a literal character of the name.
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size() && s_[pos_ + 1] == q) {
        out += q;
        pos_ += 2;
        continue;
      }
      out += s_[pos_++];
    }
    if (eof()) return err("unterminated string");
    ++pos_;
    return out;
  }

  std::optional<long> integer() {
    std::size_t b = pos_;
    if (peek() == '-') ++pos_;
    while (!eof() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (pos_ == b || (pos_ == b + 1 && s_[b] == '-')) {
      pos_ = b;
      return std::nullopt;
    }
    try {
      return std::stol(std::string(s_.substr(b, pos_ - b)));
    } catch (...) {
      return std::nullopt;
    }
  }

  Result<PathSegment> bracket() {
    ++pos_;  // [
    ws();
    PathSegment sg;
    char c = peek();
    if (c == '*') {
      ++pos_;
      sg.kind = PathSegment::Wildcard;
    } else if (c == '\'' || c == '"') {
      std::vector<std::string> names;
      while (true) {
        ws();
        if (peek() != '\'' && peek() != '"') return err("expected a quoted name");
        auto q = quoted();
        if (!q) return tl::unexpected(q.error());
        names.push_back(std::move(*q));
        ws();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        break;
      }
      if (names.size() == 1) {
        sg.kind = PathSegment::Field;
        sg.name = std::move(names[0]);
      } else {
        sg.kind = PathSegment::Union;
        sg.names = std::move(names);
      }
    } else if (c == '?') {
      ++pos_;
      ws();
      if (peek() != '(') return err("expected '(' after '?'");
      ++pos_;
      auto e = orExpr();
      if (!e) return tl::unexpected(e.error());
      ws();
      if (peek() != ')') return err("expected ')' to close the filter");
      ++pos_;
      sg.kind = PathSegment::Filter;
      sg.filter = std::make_shared<FilterExpr>(std::move(*e));
    } else {
      std::optional<long> first;
      if (peek() != ':') {
        first = integer();
        if (!first) return err("expected an index, a name, '*' or a filter");
      }
      ws();
      if (peek() == ':') {
        sg.kind = PathSegment::Slice;
        sg.start = first;
        ++pos_;
        ws();
        if (peek() != ']' && peek() != ':') {
          sg.end = integer();
          if (!sg.end) return err("bad slice end");
        }
        ws();
        if (peek() == ':') {
          ++pos_;
          ws();
          if (peek() != ']') {
            auto st = integer();
            if (!st || *st == 0) return err("bad slice step");
            sg.step = *st;
          }
        }
      } else if (peek() == ',') {
        sg.kind = PathSegment::Union;
        sg.indices.push_back(*first);
        while (peek() == ',') {
          ++pos_;
          ws();
          auto n = integer();
          if (!n) return err("expected an index");
          sg.indices.push_back(*n);
          ws();
        }
      } else {
        sg.kind = PathSegment::Index;
        sg.index = *first;
      }
    }
    ws();
    if (peek() != ']') return err("expected ']'");
    ++pos_;
    return sg;
  }

  Result<FilterExpr> orExpr() {
    auto l = andExpr();
    if (!l) return l;
    while (true) {
      ws();
      if (s_.substr(pos_, 2) != "||") return l;
      pos_ += 2;
      auto r = andExpr();
      if (!r) return r;
      FilterExpr e;
      e.kind = FilterExpr::Or;
      e.kids.push_back(std::move(*l));
      e.kids.push_back(std::move(*r));
      l = std::move(e);
    }
  }
  Result<FilterExpr> andExpr() {
    auto l = unary();
    if (!l) return l;
    while (true) {
      ws();
      if (s_.substr(pos_, 2) != "&&") return l;
      pos_ += 2;
      auto r = unary();
      if (!r) return r;
      FilterExpr e;
      e.kind = FilterExpr::And;
      e.kids.push_back(std::move(*l));
      e.kids.push_back(std::move(*r));
      l = std::move(e);
    }
  }
  Result<FilterExpr> unary() {
    ws();
    if (++depth_ > kMaxFilterDepth) return err("filter nested too deeply");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    if (peek() == '!') {
      ++pos_;
      auto k = unary();
      if (!k) return k;
      FilterExpr e;
      e.kind = FilterExpr::Not;
      e.kids.push_back(std::move(*k));
      return e;
    }
    if (peek() == '(') {
      ++pos_;
      auto k = orExpr();
      if (!k) return k;
      ws();
      if (peek() != ')') return err("expected ')'");
      ++pos_;
      return k;
    }
    auto l = operand();
    if (!l) return l;
    ws();
    static const char* kOps[] = {"==", "!=", "<=", ">=", "<", ">"};
    for (const char* op : kOps) {
      std::string_view o(op);
      if (s_.substr(pos_, o.size()) == o) {
        pos_ += o.size();
        auto r = operand();
        if (!r) return r;
        FilterExpr e;
        e.kind = FilterExpr::Cmp;
        e.op = std::string(o);
        e.kids.push_back(std::move(*l));
        e.kids.push_back(std::move(*r));
        return e;
      }
    }
    return l;
  }
  Result<FilterExpr> operand() {
    ws();
    FilterExpr e;
    e.kind = FilterExpr::Operand;
    char c = peek();
    if (c == '@' || c == '$') {
      ++pos_;
      e.is_path = true;
      e.from_root = c == '$';
      auto segs = segments(true);
      if (!segs) return tl::unexpected(segs.error());
      e.path = std::move(*segs);
      return e;
    }
    if (c == '\'' || c == '"') {
      auto q = quoted();
      if (!q) return tl::unexpected(q.error());
      e.literal = json::string(*q);
      return e;
    }
    for (std::string_view kw : {"true", "false", "null"}) {
      if (s_.substr(pos_, kw.size()) == kw) {
        pos_ += kw.size();
        e.literal = kw == "true"    ? json::value(true)
                    : kw == "false" ? json::value(false)
                                    : json::value(nullptr);
        return e;
      }
    }
    std::size_t b = pos_;
    if (peek() == '-') ++pos_;
    while (!eof() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
                      s_[pos_] == 'e' || s_[pos_] == 'E'))
      ++pos_;
    if (pos_ == b) return err("expected a value in the filter");
    auto v = parseJson(s_.substr(b, pos_ - b));
    if (!v || !v->is_number()) return err("bad number in the filter");
    e.literal = *v;
    return e;
  }

  static constexpr int kMaxFilterDepth = 32;
  std::string_view s_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------------------
// Evaluation
struct PathEval {
  using Nodes = std::vector<const json::value*>;

  static void apply(const PathSegment& sg, const json::value& v, const json::value& root,
                    Nodes& out) {
    switch (sg.kind) {
      case PathSegment::Field:
        if (v.is_object()) {
          if (auto* p = v.get_object().if_contains(sg.name)) out.push_back(p);
        }
        break;
      case PathSegment::Index:
        if (v.is_array()) {
          const auto& a = v.get_array();
          long i = sg.index < 0 ? static_cast<long>(a.size()) + sg.index : sg.index;
          if (i >= 0 && i < static_cast<long>(a.size())) out.push_back(&a[i]);
        }
        break;
      case PathSegment::Wildcard:
        if (v.is_array()) {
          for (const auto& e : v.get_array()) out.push_back(&e);
        } else if (v.is_object()) {
          for (const auto& kv : v.get_object()) out.push_back(&kv.value());
        }
        break;
      case PathSegment::Slice: {
        if (!v.is_array()) break;
        const auto& a = v.get_array();
        long n = static_cast<long>(a.size());
        auto norm = [n](long x) { return x < 0 ? std::max(0L, n + x) : std::min(x, n); };
        if (sg.step > 0) {
          long s = sg.start ? norm(*sg.start) : 0, e = sg.end ? norm(*sg.end) : n;
          for (long i = s; i < e; i += sg.step) out.push_back(&a[i]);
        } else {
          long s = sg.start ? std::min(norm(*sg.start), n - 1) : n - 1;
          long e = sg.end ? norm(*sg.end) : -1;
          for (long i = s; i > e && i >= 0; i += sg.step) out.push_back(&a[i]);
        }
        break;
      }
      case PathSegment::Union:
        if (!sg.names.empty() && v.is_object()) {
          for (const auto& n : sg.names)
            if (auto* p = v.get_object().if_contains(n)) out.push_back(p);
        } else if (v.is_array()) {
          const auto& a = v.get_array();
          for (long idx : sg.indices) {
            long i = idx < 0 ? static_cast<long>(a.size()) + idx : idx;
            if (i >= 0 && i < static_cast<long>(a.size())) out.push_back(&a[i]);
          }
        }
        break;
      case PathSegment::Descend:
        descend(*sg.sub, v, root, out);
        break;
      case PathSegment::Filter:
        if (v.is_array()) {
          for (const auto& e : v.get_array())
            if (truthy(*sg.filter, e, root)) out.push_back(&e);
        } else if (v.is_object()) {
          for (const auto& kv : v.get_object())
            if (truthy(*sg.filter, kv.value(), root)) out.push_back(&kv.value());
        }
        break;
      case PathSegment::Length:
        break;  // handled by the caller
    }
  }

  static void descend(const PathSegment& sub, const json::value& v, const json::value& root,
                      Nodes& out) {
    apply(sub, v, root, out);
    if (v.is_array()) {
      for (const auto& e : v.get_array()) descend(sub, e, root, out);
    } else if (v.is_object()) {
      for (const auto& kv : v.get_object()) descend(sub, kv.value(), root, out);
    }
  }

  static const json::value* walkDefinite(const std::vector<PathSegment>& segs,
                                         const json::value& v) {
    const json::value* cur = &v;
    for (const auto& sg : segs) {
      if (sg.kind == PathSegment::Field) {
        if (!cur->is_object()) return nullptr;
        cur = cur->get_object().if_contains(sg.name);
      } else if (sg.kind == PathSegment::Index) {
        if (!cur->is_array()) return nullptr;
        const auto& a = cur->get_array();
        long i = sg.index < 0 ? static_cast<long>(a.size()) + sg.index : sg.index;
        if (i < 0 || i >= static_cast<long>(a.size())) return nullptr;
        cur = &a[i];
      } else {
        return nullptr;
      }
      if (!cur) return nullptr;
    }
    return cur;
  }

  // Value of an operand (nullopt = missing).
  static std::optional<json::value> operandValue(const FilterExpr& e, const json::value& at,
                                                 const json::value& root) {
    if (!e.is_path) return e.literal;
    Nodes cur{e.from_root ? &root : &at};
    bool has_len = !e.path.empty() && e.path.back().kind == PathSegment::Length;
    std::size_t n = e.path.size() - (has_len ? 1 : 0);
    for (std::size_t i = 0; i < n; ++i) {
      Nodes next;
      for (auto* p : cur) apply(e.path[i], *p, root, next);
      cur = std::move(next);
    }
    if (cur.empty()) return std::nullopt;
    const json::value& v = *cur.front();
    if (has_len) {
      if (v.is_array()) return json::value(static_cast<int64_t>(v.get_array().size()));
      if (v.is_string()) return json::value(static_cast<int64_t>(v.get_string().size()));
      return std::nullopt;
    }
    return v;
  }

  static bool truthy(const FilterExpr& e, const json::value& at, const json::value& root) {
    switch (e.kind) {
      case FilterExpr::Or:
        return truthy(e.kids[0], at, root) || truthy(e.kids[1], at, root);
      case FilterExpr::And:
        return truthy(e.kids[0], at, root) && truthy(e.kids[1], at, root);
      case FilterExpr::Not:
        return !truthy(e.kids[0], at, root);
      case FilterExpr::Operand: {
        auto v = operandValue(e, at, root);
        if (!v) return false;
        if (!e.is_path) return !(v->is_bool() && !v->get_bool()) && !v->is_null();
        return true;  // existence
      }
      case FilterExpr::Cmp: {
        auto l = operandValue(e.kids[0], at, root);
        auto r = operandValue(e.kids[1], at, root);
        if (!l || !r) return e.op == "!=" && (l.has_value() != r.has_value());
        if (e.op == "==") return jsonEquals(*l, *r);
        if (e.op == "!=") return !jsonEquals(*l, *r);
        int c;
        if (l->is_number() && r->is_number()) {
          double a = num(*l), b = num(*r);
          c = a < b ? -1 : a > b ? 1 : 0;
        } else if (l->is_string() && r->is_string()) {
          int x = std::string_view(l->get_string()).compare(std::string_view(r->get_string()));
          c = x < 0 ? -1 : x > 0 ? 1 : 0;
        } else {
          return false;
        }
        if (e.op == "<") return c < 0;
        if (e.op == "<=") return c <= 0;
        if (e.op == ">") return c > 0;
        return c >= 0;
      }
    }
    return false;
  }
};

JsonPath::JsonPath() = default;
JsonPath::JsonPath(const JsonPath&) = default;
JsonPath::JsonPath(JsonPath&&) noexcept = default;
JsonPath& JsonPath::operator=(const JsonPath&) = default;
JsonPath& JsonPath::operator=(JsonPath&&) noexcept = default;
JsonPath::~JsonPath() = default;

Result<JsonPath> JsonPath::parse(std::string_view text) {
  return PathParser(text).run();
}
bool JsonPath::isRootOnly() const {
  return segments_.empty();
}
bool JsonPath::findable() const {
  return definite_ && (segments_.empty() || segments_.back().kind != PathSegment::Length);
}

const json::value* JsonPath::find(const json::value& root) const {
  if (!definite_) return nullptr;
  if (!segments_.empty() && segments_.back().kind == PathSegment::Length) return nullptr;
  return PathEval::walkDefinite(segments_, root);
}

std::optional<json::value> JsonPath::eval(const json::value& root) const {
  bool has_len = !segments_.empty() && segments_.back().kind == PathSegment::Length;
  if (definite_) {
    if (!has_len) {
      const json::value* p = PathEval::walkDefinite(segments_, root);
      if (!p) return std::nullopt;
      return *p;
    }
    std::vector<PathSegment> head(segments_.begin(), segments_.end() - 1);
    const json::value* p = PathEval::walkDefinite(head, root);
    if (!p) return std::nullopt;
    if (p->is_array()) return json::value(static_cast<int64_t>(p->get_array().size()));
    if (p->is_object()) return json::value(static_cast<int64_t>(p->get_object().size()));
    if (p->is_string()) return json::value(static_cast<int64_t>(p->get_string().size()));
    return std::nullopt;
  }
  PathEval::Nodes cur{&root};
  std::size_t n = segments_.size() - (has_len ? 1 : 0);
  for (std::size_t i = 0; i < n; ++i) {
    PathEval::Nodes next;
    for (auto* p : cur) PathEval::apply(segments_[i], *p, root, next);
    cur = std::move(next);
  }
  json::array out;
  out.reserve(cur.size());
  for (auto* p : cur) {
    if (has_len) {
      if (p->is_array()) out.emplace_back(static_cast<int64_t>(p->get_array().size()));
    } else {
      out.push_back(*p);
    }
  }
  return json::value(std::move(out));
}

bool JsonPath::assign(json::value& root, json::value v) const {
  if (!reference_) return false;
  json::value* cur = &root;
  for (const auto& sg : segments_) {
    if (sg.kind == PathSegment::Field) {
      if (!cur->is_object()) return false;
      auto& o = cur->get_object();
      auto* next = o.if_contains(sg.name);
      if (!next) next = &o.emplace(sg.name, json::object()).first->value();
      cur = next;
    } else {
      if (!cur->is_array()) return false;
      auto& a = cur->get_array();
      long i = sg.index < 0 ? static_cast<long>(a.size()) + sg.index : sg.index;
      if (i < 0 || i >= static_cast<long>(a.size())) return false;
      cur = &a[i];
    }
  }
  *cur = std::move(v);
  return true;
}

}  // namespace riposte::asl
