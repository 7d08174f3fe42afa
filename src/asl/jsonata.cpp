#include "asl/jsonata.h"

#include <cmath>
#include <vector>

namespace riposte::asl {

// An expression node (or, at template level, a literal / object / array of nodes).
struct JNode {
  enum Kind {
    Literal,
    Object,
    Array,  // template structure and constructors
    States,
    Var,  // $states, $name
    Field,
    Index,  // postfix steps: kids[0] is the base
    Call,   // $fn(args): name, kids = args
    Unary,
    Binary,
    Cond  // op, kids
  } kind = Literal;
  json::value literal;
  std::string name;               // Field name, Var name, Call name, Binary/Unary op
  std::vector<std::string> keys;  // Object
  std::vector<JNode> kids;
  bool expression = false;  // template: a "{% %}" string
};

namespace {

using Val = std::optional<json::value>;

tl::unexpected<Error> qerr(const std::string& m) {
  return fail("States.QueryEvaluationError", m);
}

class JParser {
 public:
  explicit JParser(std::string_view s) : s_(s) {}
  Result<JNode> run() {
    auto e = expr();
    if (!e) return e;
    ws();
    if (pos_ != s_.size()) return err("unexpected '" + std::string(s_.substr(pos_, 10)) + "'");
    return e;
  }

 private:
  tl::unexpected<Error> err(const std::string& m) const {
    return fail("InvalidJsonata", "JSONata expression '" + std::string(s_) + "' at offset " +
                                      std::to_string(pos_) + ": " + m);
  }
  void ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(std::string_view t) {
    ws();
    if (s_.substr(pos_, t.size()) != t) return false;
    if (std::isalpha(static_cast<unsigned char>(t[0])) && pos_ + t.size() < s_.size() &&
        (std::isalnum(static_cast<unsigned char>(s_[pos_ + t.size()])) ||
         s_[pos_ + t.size()] == '_'))
      return false;
    pos_ += t.size();
    return true;
  }
  static JNode bin(std::string op, JNode l, JNode r) {
    JNode n;
    n.kind = JNode::Binary;
    n.name = std::move(op);
    n.kids.push_back(std::move(l));
    n.kids.push_back(std::move(r));
    return n;
  }

  Result<JNode> expr() {
    if (++depth_ > 64) return err("nested too deeply");
    auto c = orExpr();
    if (!c) return c;
    if (eat("?")) {
      auto a = expr();
      if (!a) return a;
      JNode n;
      n.kind = JNode::Cond;
      n.kids.push_back(std::move(*c));
      n.kids.push_back(std::move(*a));
      if (eat(":")) {
        auto b = expr();
        if (!b) return b;
        n.kids.push_back(std::move(*b));
      }
      --depth_;
      return n;
    }
    --depth_;
    return c;
  }
  Result<JNode> orExpr() {
    auto l = andExpr();
    if (!l) return l;
    while (eat("or")) {
      auto r = andExpr();
      if (!r) return r;
      l = bin("or", std::move(*l), std::move(*r));
    }
    return l;
  }
  Result<JNode> andExpr() {
    auto l = cmp();
    if (!l) return l;
    while (eat("and")) {
      auto r = cmp();
      if (!r) return r;
      l = bin("and", std::move(*l), std::move(*r));
    }
    return l;
  }
  Result<JNode> cmp() {
    auto l = concat();
    if (!l) return l;
    for (std::string_view op : {"!=", "<=", ">=", "=", "<", ">", "in"}) {
      if (eat(op)) {
        auto r = concat();
        if (!r) return r;
        return bin(std::string(op), std::move(*l), std::move(*r));
      }
    }
    return l;
  }
  Result<JNode> concat() {
    auto l = add();
    if (!l) return l;
    while (eat("&")) {
      auto r = add();
      if (!r) return r;
      l = bin("&", std::move(*l), std::move(*r));
    }
    return l;
  }
  Result<JNode> add() {
    auto l = mul();
    if (!l) return l;
    while (true) {
      std::string op = eat("+") ? "+" : eat("-") ? "-" : "";
      if (op.empty()) return l;
      auto r = mul();
      if (!r) return r;
      l = bin(op, std::move(*l), std::move(*r));
    }
  }
  Result<JNode> mul() {
    auto l = unary();
    if (!l) return l;
    while (true) {
      std::string op = eat("*") ? "*" : eat("/") ? "/" : eat("%") ? "%" : "";
      if (op.empty()) return l;
      auto r = unary();
      if (!r) return r;
      l = bin(op, std::move(*l), std::move(*r));
    }
  }
  Result<JNode> unary() {
    if (depth_ > 64) return err("nested too deeply");
    if (eat("-")) {
      ++depth_;
      auto k = unary();
      --depth_;
      if (!k) return k;
      JNode n;
      n.kind = JNode::Unary;
      n.name = "-";
      n.kids.push_back(std::move(*k));
      return n;
    }
    return postfix();
  }
  Result<std::string> name() {
    ws();
    std::size_t b = pos_;
    if (pos_ < s_.size() && s_[pos_] == '`') {
      auto e = s_.find('`', pos_ + 1);
      if (e == std::string_view::npos) return err("unterminated `name`");
      pos_ = e + 1;
      return std::string(s_.substr(b + 1, e - b - 1));
    }
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                s_[pos_] == '_' || s_[pos_] == '-'))
      ++pos_;
    if (pos_ == b) return err("expected a name");
    return std::string(s_.substr(b, pos_ - b));
  }
  Result<JNode> postfix() {
    auto base = primary();
    if (!base) return base;
    while (true) {
      if (eat(".")) {
        auto n = name();
        if (!n) return tl::unexpected(n.error());
        JNode f;
        f.kind = JNode::Field;
        f.name = std::move(*n);
        f.kids.push_back(std::move(*base));
        base = std::move(f);
      } else if (eat("[")) {
        auto i = expr();
        if (!i) return i;
        if (!eat("]")) return err("expected ']'");
        JNode f;
        f.kind = JNode::Index;
        f.kids.push_back(std::move(*base));
        f.kids.push_back(std::move(*i));
        base = std::move(f);
      } else {
        return base;
      }
    }
  }
  Result<JNode> primary() {
    ws();
    if (pos_ >= s_.size()) return err("unexpected end");
    char c = s_[pos_];
    JNode n;
    if (c == '(') {
      ++pos_;
      auto e = expr();
      if (!e) return e;
      if (!eat(")")) return err("expected ')'");
      return e;
    }
    if (c == '"' || c == '\'') {
      ++pos_;
      std::string out;
      while (pos_ < s_.size() && s_[pos_] != c) {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) {
          char e = s_[++pos_];
          out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          ++pos_;
          continue;
        }
        out += s_[pos_++];
      }
      if (pos_ >= s_.size()) return err("unterminated string");
      ++pos_;
      n.literal = json::string(out);
      return n;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t b = pos_;
      while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) ||
                                  s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E'))
        ++pos_;
      auto v = parseJson(s_.substr(b, pos_ - b));
      if (!v) return err("bad number");
      n.literal = *v;
      return n;
    }
    if (c == '[') {
      ++pos_;
      n.kind = JNode::Array;
      if (!eat("]")) {
        do {
          auto e = expr();
          if (!e) return e;
          n.kids.push_back(std::move(*e));
        } while (eat(","));
        if (!eat("]")) return err("expected ']'");
      }
      return n;
    }
    if (c == '{') {
      ++pos_;
      n.kind = JNode::Object;
      if (!eat("}")) {
        do {
          ws();
          auto k = primary();
          if (!k || k->kind != JNode::Literal || !k->literal.is_string())
            return err("object keys must be strings");
          if (!eat(":")) return err("expected ':'");
          auto v = expr();
          if (!v) return v;
          n.keys.emplace_back(k->literal.get_string());
          n.kids.push_back(std::move(*v));
        } while (eat(","));
        if (!eat("}")) return err("expected '}'");
      }
      return n;
    }
    if (c == '$') {
      ++pos_;
      std::size_t b = pos_;
      while (pos_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
        ++pos_;
      std::string id(s_.substr(b, pos_ - b));
      if (eat("(")) {
        n.kind = JNode::Call;
        n.name = id;
        if (!eat(")")) {
          do {
            auto e = expr();
            if (!e) return e;
            n.kids.push_back(std::move(*e));
          } while (eat(","));
          if (!eat(")")) return err("expected ')'");
        }
        return n;
      }
      if (id == "states") {
        n.kind = JNode::States;
        return n;
      }
      if (id.empty()) return err("'$' alone is not supported");
      n.kind = JNode::Var;
      n.name = id;
      return n;
    }
    for (std::string_view kw : {"true", "false", "null"}) {
      if (eat(kw)) {
        n.literal = kw == "true"    ? json::value(true)
                    : kw == "false" ? json::value(false)
                                    : json::value(nullptr);
        return n;
      }
    }
    return err("unexpected '" + std::string(1, c) + "'");
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

bool truthy(const Val& v) {
  if (!v) return false;
  switch (v->kind()) {
    case json::kind::null:
      return false;
    case json::kind::bool_:
      return v->get_bool();
    case json::kind::string:
      return !v->get_string().empty();
    case json::kind::array: {
      for (const auto& e : v->get_array())
        if (truthy(e)) return true;
      return false;
    }
    case json::kind::object:
      return !v->get_object().empty();
    default:
      return v->to_number<double>() != 0;
  }
}

json::value number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 9e15) return json::value(static_cast<int64_t>(d));
  return json::value(d);
}

std::string toStr(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return toJson(v);
}

bool deepEq(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
  if (a.kind() != b.kind()) return false;
  if (a.is_object() || a.is_array()) return toJson(a) == toJson(b);
  return a == b;
}

class JEval {
 public:
  explicit JEval(const JEnv& env) : env_(env) {}

  Result<Val> eval(const JNode& n) {
    switch (n.kind) {
      case JNode::Literal:
        return Val(n.literal);
      case JNode::Object: {
        json::object o;
        for (std::size_t i = 0; i < n.kids.size(); ++i) {
          auto v = eval(n.kids[i]);
          if (!v) return v;
          if (*v) o[n.keys[i]] = std::move(**v);
        }
        return Val(json::value(std::move(o)));
      }
      case JNode::Array: {
        json::array a;
        for (const auto& k : n.kids) {
          auto v = eval(k);
          if (!v) return v;
          if (*v) a.push_back(std::move(**v));
        }
        return Val(json::value(std::move(a)));
      }
      case JNode::States: {
        json::object o;
        if (env_.input) o["input"] = *env_.input;
        if (env_.result) o["result"] = *env_.result;
        if (env_.error_output) o["errorOutput"] = *env_.error_output;
        if (env_.context) o["context"] = *env_.context;
        return Val(json::value(std::move(o)));
      }
      case JNode::Var: {
        const json::value* v = env_.vars ? env_.vars->if_contains(n.name) : nullptr;
        if (!v) return qerr("The variable '$" + n.name + "' is not defined.");
        return Val(*v);
      }
      case JNode::Field: {
        auto b = eval(n.kids[0]);
        if (!b || !*b) return b;
        return Val(field(**b, n.name));
      }
      case JNode::Index: {
        auto b = eval(n.kids[0]);
        if (!b || !*b) return b;
        auto i = eval(n.kids[1]);
        if (!i) return i;
        if (!*i || !(*i)->is_number()) return qerr("only numeric array indexes are supported");
        const json::value& base = **b;
        if (!base.is_array()) {
          double k = (*i)->to_number<double>();
          return k == 0 ? Val(base) : Val();
        }
        const auto& a = base.get_array();
        long k = static_cast<long>(std::floor((*i)->to_number<double>()));
        if (k < 0) k += static_cast<long>(a.size());
        if (k < 0 || k >= static_cast<long>(a.size())) return Val();
        return Val(a[static_cast<std::size_t>(k)]);
      }
      case JNode::Unary: {
        auto v = eval(n.kids[0]);
        if (!v || !*v) return v;
        if (!(*v)->is_number()) return qerr("'-' needs a number");
        return Val(number(-(*v)->to_number<double>()));
      }
      case JNode::Cond: {
        auto c = eval(n.kids[0]);
        if (!c) return c;
        if (truthy(*c)) return eval(n.kids[1]);
        if (n.kids.size() > 2) return eval(n.kids[2]);
        return Val();
      }
      case JNode::Binary:
        return binary(n);
      case JNode::Call:
        return call(n);
    }
    return Val();
  }

 private:
  static Val field(const json::value& b, const std::string& name) {
    if (b.is_object()) {
      auto* p = b.get_object().if_contains(name);
      return p ? Val(*p) : Val();
    }
    if (b.is_array()) {
      json::array out;
      for (const auto& e : b.get_array()) {
        Val v = field(e, name);
        if (!v) continue;
        if (v->is_array())
          for (auto& x : v->get_array()) out.push_back(x);
        else
          out.push_back(std::move(*v));
      }
      if (out.empty()) return Val();
      if (out.size() == 1) return Val(out[0]);
      return Val(json::value(std::move(out)));
    }
    return Val();
  }

  Result<Val> binary(const JNode& n) {
    const std::string& op = n.name;
    auto l = eval(n.kids[0]);
    if (!l) return l;
    if (op == "and") {
      if (!truthy(*l)) return Val(json::value(false));
      auto r = eval(n.kids[1]);
      if (!r) return r;
      return Val(json::value(truthy(*r)));
    }
    if (op == "or") {
      if (truthy(*l)) return Val(json::value(true));
      auto r = eval(n.kids[1]);
      if (!r) return r;
      return Val(json::value(truthy(*r)));
    }
    auto r = eval(n.kids[1]);
    if (!r) return r;
    if (op == "&")
      return Val(json::value(json::string((*l ? toStr(**l) : "") + (*r ? toStr(**r) : ""))));
    if (op == "=" || op == "!=") {
      if (!*l || !*r) return Val(json::value(false));
      bool eq = deepEq(**l, **r);
      return Val(json::value(op == "=" ? eq : !eq));
    }
    if (op == "in") {
      if (!*l || !*r) return Val(json::value(false));
      if ((*r)->is_array()) {
        for (const auto& e : (*r)->get_array())
          if (deepEq(e, **l)) return Val(json::value(true));
        return Val(json::value(false));
      }
      return Val(json::value(deepEq(**l, **r)));
    }
    if (!*l || !*r) return Val();
    const json::value& a = **l;
    const json::value& b = **r;
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      int c;
      if (a.is_number() && b.is_number()) {
        double x = a.to_number<double>(), y = b.to_number<double>();
        c = x < y ? -1 : x > y ? 1 : 0;
      } else if (a.is_string() && b.is_string()) {
        int x = std::string_view(a.get_string()).compare(std::string_view(b.get_string()));
        c = x < 0 ? -1 : x > 0 ? 1 : 0;
      } else {
        return qerr("the operands of '" + op + "' must both be numbers or both be strings");
      }
      bool res = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
      return Val(json::value(res));
    }
    if (!a.is_number() || !b.is_number())
      return qerr("the operands of '" + op + "' must be numbers");
    double x = a.to_number<double>(), y = b.to_number<double>();
    if (op == "+") return Val(number(x + y));
    if (op == "-") return Val(number(x - y));
    if (op == "*") return Val(number(x * y));
    if (op == "/") {
      if (y == 0) return qerr("division by zero");
      return Val(number(x / y));
    }
    if (y == 0) return qerr("division by zero");
    return Val(number(std::fmod(x, y)));
  }

  Result<Val> call(const JNode& n) {
    std::vector<Val> a;
    for (const auto& k : n.kids) {
      auto v = eval(k);
      if (!v) return v;
      a.push_back(std::move(*v));
    }
    const std::string& f = n.name;
    auto arg = [&](std::size_t i) -> const Val& {
      static const Val kNone;
      return i < a.size() ? a[i] : kNone;
    };
    auto num = [&](std::size_t i) -> std::optional<double> {
      if (!arg(i) || !arg(i)->is_number()) return std::nullopt;
      return arg(i)->to_number<double>();
    };
    if (f == "not") return arg(0) ? Val(json::value(!truthy(arg(0)))) : Val();
    if (f == "boolean") return arg(0) ? Val(json::value(truthy(arg(0)))) : Val();
    if (f == "exists") return Val(json::value(arg(0).has_value()));
    if (f == "string") return arg(0) ? Val(json::value(json::string(toStr(*arg(0))))) : Val();
    if (f == "number") {
      if (!arg(0)) return Val();
      if (arg(0)->is_number()) return arg(0);
      if (arg(0)->is_string()) {
        auto v = parseJson(std::string_view(arg(0)->get_string()));
        if (v && v->is_number()) return Val(*v);
      }
      return qerr("$number: cannot convert to a number");
    }
    if (f == "count") {
      if (!arg(0)) return Val(json::value(0));
      return Val(
          json::value(static_cast<int64_t>(arg(0)->is_array() ? arg(0)->get_array().size() : 1)));
    }
    if (f == "length") {
      if (!arg(0) || !arg(0)->is_string()) return qerr("$length needs a string");
      return Val(json::value(static_cast<int64_t>(arg(0)->get_string().size())));
    }
    if (f == "uppercase" || f == "lowercase") {
      if (!arg(0) || !arg(0)->is_string()) return Val();
      std::string s(arg(0)->get_string());
      for (auto& c : s)
        c = static_cast<char>(f == "uppercase" ? std::toupper(static_cast<unsigned char>(c))
                                               : std::tolower(static_cast<unsigned char>(c)));
      return Val(json::value(json::string(s)));
    }
    if (f == "substring") {
      if (!arg(0) || !arg(0)->is_string() || !num(1)) return qerr("$substring(str, start[, len])");
      std::string s(arg(0)->get_string());
      long st = static_cast<long>(*num(1));
      if (st < 0) st = std::max(0L, static_cast<long>(s.size()) + st);
      if (st > static_cast<long>(s.size())) return Val(json::value(""));
      std::size_t len =
          num(2) ? static_cast<std::size_t>(std::max(0.0, *num(2))) : std::string::npos;
      return Val(json::value(json::string(s.substr(static_cast<std::size_t>(st), len))));
    }
    if (f == "join") {
      if (!arg(0) || !arg(0)->is_array()) return qerr("$join needs an array of strings");
      std::string sep = arg(1) && arg(1)->is_string() ? std::string(arg(1)->get_string()) : "";
      std::string out;
      bool first = true;
      for (const auto& e : arg(0)->get_array()) {
        if (!e.is_string()) return qerr("$join needs an array of strings");
        if (!first) out += sep;
        first = false;
        out += e.get_string();
      }
      return Val(json::value(json::string(out)));
    }
    if (f == "split") {
      if (!arg(0) || !arg(0)->is_string() || !arg(1) || !arg(1)->is_string())
        return qerr("$split(str, separator)");
      std::string s(arg(0)->get_string()), sep(arg(1)->get_string());
      json::array out;
      if (sep.empty()) {
        for (char c : s) out.emplace_back(json::string(1, c));
      } else {
        std::size_t b = 0, e;
        while ((e = s.find(sep, b)) != std::string::npos) {
          out.emplace_back(json::string(s.substr(b, e - b)));
          b = e + sep.size();
        }
        out.emplace_back(json::string(s.substr(b)));
      }
      return Val(json::value(std::move(out)));
    }
    if (f == "contains") {
      if (!arg(0) || !arg(0)->is_string() || !arg(1) || !arg(1)->is_string()) return Val();
      return Val(json::value(
          std::string_view(arg(0)->get_string()).find(std::string_view(arg(1)->get_string())) !=
          std::string_view::npos));
    }
    if (f == "sum" || f == "max" || f == "min" || f == "average") {
      if (!arg(0)) return Val();
      json::array one;
      const json::array* arr = nullptr;
      if (arg(0)->is_array()) {
        arr = &arg(0)->get_array();
      } else {
        one.push_back(*arg(0));
        arr = &one;
      }
      if (arr->empty()) return f == "sum" ? Val(json::value(0)) : Val();
      double acc = f == "max" ? -INFINITY : f == "min" ? INFINITY : 0;
      for (const auto& e : *arr) {
        if (!e.is_number()) return qerr("$" + f + " needs numbers");
        double d = e.to_number<double>();
        acc = f == "max" ? std::max(acc, d) : f == "min" ? std::min(acc, d) : acc + d;
      }
      if (f == "average") acc /= static_cast<double>(arr->size());
      return Val(number(acc));
    }
    if (f == "abs" || f == "floor" || f == "ceil" || f == "round") {
      if (!num(0)) return Val();
      double d = *num(0);
      d = f == "abs"     ? std::fabs(d)
          : f == "floor" ? std::floor(d)
          : f == "ceil"  ? std::ceil(d)
                         : std::nearbyint(d);
      return Val(number(d));
    }
    if (f == "keys") {
      if (!arg(0) || !arg(0)->is_object()) return Val();
      json::array out;
      for (const auto& kv : arg(0)->get_object()) out.emplace_back(json::string(kv.key()));
      return Val(json::value(std::move(out)));
    }
    if (f == "append") {
      json::array out;
      for (std::size_t i = 0; i < 2; ++i) {
        if (!arg(i)) continue;
        if (arg(i)->is_array())
          for (const auto& e : arg(i)->get_array()) out.push_back(e);
        else
          out.push_back(*arg(i));
      }
      return Val(json::value(std::move(out)));
    }
    if (f == "type") {
      if (!arg(0)) return Val();
      const char* t = arg(0)->is_null()     ? "null"
                      : arg(0)->is_number() ? "number"
                      : arg(0)->is_string() ? "string"
                      : arg(0)->is_bool()   ? "boolean"
                      : arg(0)->is_array()  ? "array"
                                            : "object";
      return Val(json::value(t));
    }
    return qerr("unsupported JSONata function '$" + f + "'");
  }

  const JEnv& env_;
};

bool isExpr(const json::value& v) {
  if (!v.is_string()) return false;
  std::string_view s = v.get_string();
  return s.size() >= 4 && s.starts_with("{%") && s.ends_with("%}");
}

Result<JNode> compileValue(const json::value& v, const std::string& where, int depth) {
  if (depth > 64) return fail("InvalidJsonata", where + ": nested too deeply");
  JNode n;
  if (isExpr(v)) {
    std::string_view s = v.get_string();
    auto e = JParser(s.substr(2, s.size() - 4)).run();
    if (!e) return fail("InvalidJsonata", e.error().message);
    e->expression = true;
    return e;
  }
  if (v.is_object()) {
    n.kind = JNode::Object;
    for (const auto& kv : v.get_object()) {
      auto k = compileValue(kv.value(), where + "." + std::string(kv.key()), depth + 1);
      if (!k) return k;
      n.keys.emplace_back(kv.key());
      n.kids.push_back(std::move(*k));
    }
    return n;
  }
  if (v.is_array()) {
    n.kind = JNode::Array;
    for (const auto& e : v.get_array()) {
      auto k = compileValue(e, where, depth + 1);
      if (!k) return k;
      n.kids.push_back(std::move(*k));
    }
    return n;
  }
  n.literal = v;
  return n;
}

}  // namespace

JTemplate::JTemplate() = default;
JTemplate::~JTemplate() = default;

Result<std::shared_ptr<const JTemplate>> JTemplate::compile(const json::value& v,
                                                            const std::string& where) {
  auto n = compileValue(v, where, 0);
  if (!n) return tl::unexpected(n.error());
  auto t = std::make_shared<JTemplate>();
  t->root_ = std::make_shared<JNode>(std::move(*n));
  return std::shared_ptr<const JTemplate>(std::move(t));
}

bool JTemplate::isExpression() const {
  return root_ && root_->expression;
}

Result<std::optional<json::value>> JTemplate::eval(const JEnv& env) const {
  if (!root_) return std::optional<json::value>();
  JEval e(env);
  return e.eval(*root_);
}

}  // namespace riposte::asl
