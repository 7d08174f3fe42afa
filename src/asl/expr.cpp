#include "asl/expr.h"

#include <openssl/evp.h>

#include <cmath>
#include <random>

#include "core/digest.h"
#include "core/ids.h"

namespace riposte::asl {

const json::value& Scope::context() const {
  if (!context_) context_ = make_context_ ? make_context_() : json::value(json::object());
  return *context_;
}

Result<json::value> resolvePath(const JsonPath& path, const Scope& scope) {
  const json::value* root = nullptr;
  json::value var_holder;
  switch (path.root()) {
    case JsonPath::Root::Input:
      root = &scope.input();
      break;
    case JsonPath::Root::Context:
      root = &scope.context();
      break;
    case JsonPath::Root::Variable: {
      const json::value* v = scope.vars() ? scope.vars()->if_contains(path.variable()) : nullptr;
      if (!v)
        return fail("States.Runtime", "The variable '$" + path.variable() +
                                          "' is not defined (path '" + path.text() + "').");
      root = v;
      break;
    }
  }
  if (path.isRootOnly()) return *root;
  auto v = path.eval(*root);
  if (!v)
    return fail("States.Runtime", "Invalid path '" + path.text() + "': no results for path in '" +
                                      toJson(*root).substr(0, 256) + "'.");
  return std::move(*v);
}

// ---------------------------------------------------------------------------------------
// Intrinsic parser
namespace {

struct FnSpec {
  const char* name;
  int min_args, max_args;  // -1 = unbounded
};
constexpr FnSpec kFunctions[] = {
    {"States.Format", 1, -1},     {"States.StringToJson", 1, 1},   {"States.JsonToString", 1, 1},
    {"States.Array", 0, -1},      {"States.ArrayPartition", 2, 2}, {"States.ArrayContains", 2, 2},
    {"States.ArrayRange", 3, 3},  {"States.ArrayGetItem", 2, 2},   {"States.ArrayLength", 1, 1},
    {"States.ArrayUnique", 1, 1}, {"States.Base64Encode", 1, 1},   {"States.Base64Decode", 1, 1},
    {"States.Hash", 2, 2},        {"States.JsonMerge", 3, 3},      {"States.MathRandom", 2, 3},
    {"States.MathAdd", 2, 2},     {"States.StringSplit", 2, 2},    {"States.UUID", 0, 0},
};

class IntrinsicParser {
 public:
  explicit IntrinsicParser(std::string_view s) : s_(s) {}

  Result<IntrinsicCall> run() {
    auto c = call(0);
    if (!c) return c;
    ws();
    if (pos_ != s_.size()) return err("unexpected text after the call");
    return c;
  }

 private:
  tl::unexpected<Error> err(const std::string& what) const {
    return fail("InvalidIntrinsic", "invalid intrinsic function '" + std::string(s_) +
                                        "' at offset " + std::to_string(pos_) + ": " + what);
  }
  bool eof() const { return pos_ >= s_.size(); }
  char peek() const { return eof() ? '\0' : s_[pos_]; }
  void ws() {
    while (!eof() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }

  Result<IntrinsicCall> call(int depth) {
    if (depth > 16) return err("calls nested too deeply");
    ws();
    std::size_t b = pos_;
    while (!eof() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.'))
      ++pos_;
    IntrinsicCall c;
    c.name = std::string(s_.substr(b, pos_ - b));
    const FnSpec* spec = nullptr;
    for (const auto& f : kFunctions)
      if (c.name == f.name) spec = &f;
    if (!spec) return err("unknown function '" + c.name + "'");
    ws();
    if (peek() != '(') return err("expected '('");
    ++pos_;
    ws();
    if (peek() == ')') {
      ++pos_;
    } else {
      while (true) {
        auto a = arg(depth);
        if (!a) return tl::unexpected(a.error());
        c.args.push_back(std::move(*a));
        ws();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        if (peek() == ')') {
          ++pos_;
          break;
        }
        return err("expected ',' or ')'");
      }
    }
    int n = static_cast<int>(c.args.size());
    if (n < spec->min_args || (spec->max_args >= 0 && n > spec->max_args))
      return err(
          c.name + " takes " +
          (spec->min_args == spec->max_args
               ? std::to_string(spec->min_args)
               : std::to_string(spec->min_args) + ".." +
                     (spec->max_args < 0 ? std::string("n") : std::to_string(spec->max_args))) +
          " arguments, got " + std::to_string(n));
    if (c.name == "States.Format" &&
        (c.args[0].kind != IntrinsicArg::Literal || !c.args[0].literal.is_string()))
      return err("the first argument of States.Format must be a string literal");
    return c;
  }

  Result<IntrinsicArg> arg(int depth) {
    ws();
    IntrinsicArg a;
    char c = peek();
    if (c == '\'') {
      ++pos_;
      std::string out;
      while (!eof() && s_[pos_] != '\'') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) {
          char e = s_[pos_ + 1];
          // Keep \{ and \} escaped: States.Format needs to tell them from placeholders.
          if (e == '{' || e == '}') out += '\\';
          out += e;
          pos_ += 2;
          continue;
        }
        out += s_[pos_++];
      }
      if (eof()) return err("unterminated string");
      ++pos_;
      a.kind = IntrinsicArg::Literal;
      a.literal = json::string(out);
      return a;
    }
    if (c == '$') {
      std::size_t b = pos_;
      int bracket = 0;
      char quote = 0;
      while (!eof()) {
        char ch = s_[pos_];
        if (quote) {
          if (ch == '\\')
            ++pos_;
          else if (ch == quote)
            quote = 0;
        } else if (ch == '\'' || ch == '"') {
          quote = ch;
        } else if (ch == '[' || ch == '(') {
          ++bracket;
        } else if (ch == ']' || (ch == ')' && bracket > 0)) {
          --bracket;
        } else if (bracket == 0 && (ch == ',' || ch == ')' || ch == ' ')) {
          break;
        }
        ++pos_;
      }
      auto p = JsonPath::parse(s_.substr(b, pos_ - b));
      if (!p) return err(p.error().message);
      a.kind = IntrinsicArg::Path;
      a.path = std::move(*p);
      return a;
    }
    if (s_.substr(pos_, 7) == "States.") {
      auto inner = call(depth + 1);
      if (!inner) return tl::unexpected(inner.error());
      a.kind = IntrinsicArg::Call;
      a.call = std::make_shared<IntrinsicCall>(std::move(*inner));
      return a;
    }
    for (std::string_view kw : {"true", "false", "null"}) {
      if (s_.substr(pos_, kw.size()) == kw) {
        pos_ += kw.size();
        a.literal = kw == "true"    ? json::value(true)
                    : kw == "false" ? json::value(false)
                                    : json::value(nullptr);
        return a;
      }
    }
    std::size_t b = pos_;
    if (peek() == '-' || peek() == '+') ++pos_;
    while (!eof() &&
           (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
            s_[pos_] == 'e' || s_[pos_] == 'E' ||
            ((s_[pos_] == '-' || s_[pos_] == '+') && (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E'))))
      ++pos_;
    if (pos_ == b) return err("expected an argument");
    std::string_view t = s_.substr(b, pos_ - b);
    if (!t.empty() && t[0] == '+') t.remove_prefix(1);
    auto v = parseJson(t);
    if (!v || !v->is_number()) return err("bad number '" + std::string(t) + "'");
    a.literal = *v;
    return a;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// The spec (Payload Template): "If the Intrinsic Function fails during evaluation, the
// interpreter fails the machine execution with an Error Name of States.IntrinsicFailure".
// Catchable (States.ALL matches it); see docs/playbooks.md.
tl::unexpected<Error> ifail(const IntrinsicCall& c, const std::string& what) {
  return fail("States.IntrinsicFailure", "Invalid arguments in " + c.name + ": " + what);
}

// A value as it appears in a cause: JSON text, cut to keep causes short.
std::string shown(const json::value& v) {
  std::string t = toJson(v);
  if (t.size() > 64) t = t.substr(0, 61) + "...";
  return t;
}

const char* kindOf(const json::value& v) {
  if (v.is_null()) return "null";
  if (v.is_bool()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

std::optional<int64_t> asInteger(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v.get_uint64());
  if (v.is_double()) {
    double d = v.get_double();
    if (std::isfinite(d) && std::fabs(d) < 9e15 && d == std::floor(d))
      return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

std::string formatArg(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return toJson(v);
}

std::string base64Encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  for (char c : in)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
      return std::nullopt;
  std::string out(3 * in.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() > 1 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::optional<std::string> hashHex(std::string_view in, std::string_view alg) {
  const EVP_MD* md = alg == "MD5"       ? EVP_md5()
                     : alg == "SHA-1"   ? EVP_sha1()
                     : alg == "SHA-256" ? EVP_sha256()
                     : alg == "SHA-384" ? EVP_sha384()
                     : alg == "SHA-512" ? EVP_sha512()
                                        : nullptr;
  if (!md) return std::nullopt;
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(in.data(), in.size(), buf, &len, md, nullptr) != 1) return std::nullopt;
  return hexEncode(std::string_view(reinterpret_cast<const char*>(buf), len));
}

}  // namespace

Result<IntrinsicCall> parseIntrinsic(std::string_view text) {
  return IntrinsicParser(text).run();
}

Result<json::value> evalIntrinsic(const IntrinsicCall& c, const Scope& scope) {
  std::vector<json::value> a;
  a.reserve(c.args.size());
  for (const auto& arg : c.args) {
    switch (arg.kind) {
      case IntrinsicArg::Literal:
        a.push_back(arg.literal);
        break;
      case IntrinsicArg::Path: {
        auto v = resolvePath(arg.path, scope);
        if (!v) return v;
        a.push_back(std::move(*v));
        break;
      }
      case IntrinsicArg::Call: {
        auto v = evalIntrinsic(*arg.call, scope);
        if (!v) return v;
        a.push_back(std::move(*v));
        break;
      }
    }
  }
  const std::string& n = c.name;
  if (n == "States.Format") {
    std::string_view f = a[0].get_string();
    std::string out;
    std::size_t next = 1;
    for (std::size_t i = 0; i < f.size(); ++i) {
      if (f[i] == '\\' && i + 1 < f.size() && (f[i + 1] == '{' || f[i + 1] == '}')) {
        out += f[++i];
      } else if (f[i] == '{' && i + 1 < f.size() && f[i + 1] == '}') {
        if (next >= a.size())
          return ifail(c, "the format string has more {} placeholders than arguments (" +
                              std::to_string(a.size() - 1) + ")");
        out += formatArg(a[next++]);
        ++i;
      } else {
        out += f[i];
      }
    }
    if (next != a.size())
      return ifail(c, "the format string has " + std::to_string(next - 1) +
                          " {} placeholders for " + std::to_string(a.size() - 1) + " arguments");
    return json::value(json::string(out));
  }
  if (n == "States.StringToJson") {
    if (!a[0].is_string())
      return ifail(c, std::string("expected a string, got ") + kindOf(a[0]) + " " + shown(a[0]));
    std::string_view text = a[0].get_string();
    // AWS (recorded by LocalStack's aws-validated test_string_to_json): "" and " " give null.
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::value(nullptr);
    auto v = parseJson(text);
    if (!v)
      return ifail(c, "the string is not valid JSON (" + v.error().message + "): " + shown(a[0]));
    return *v;
  }
  if (n == "States.JsonToString") return json::value(json::string(toJson(a[0])));
  if (n == "States.Array") {
    json::array out;
    for (auto& v : a) out.push_back(std::move(v));
    return json::value(std::move(out));
  }
  if (n == "States.ArrayPartition") {
    auto size = asInteger(a[1]);
    if (!a[0].is_array())
      return ifail(c, std::string("the first argument must be an array, got ") + kindOf(a[0]));
    if (!size || *size <= 0)
      return ifail(c, "the chunk size must be a positive integer, got " + shown(a[1]));
    json::array out;
    const auto& arr = a[0].get_array();
    for (std::size_t i = 0; i < arr.size(); i += static_cast<std::size_t>(*size)) {
      json::array chunk;
      for (std::size_t j = i; j < arr.size() && j < i + static_cast<std::size_t>(*size); ++j)
        chunk.push_back(arr[j]);
      out.push_back(std::move(chunk));
    }
    return json::value(std::move(out));
  }
  if (n == "States.ArrayContains") {
    if (!a[0].is_array())
      return ifail(c, std::string("the first argument must be an array, got ") + kindOf(a[0]));
    for (const auto& v : a[0].get_array())
      if (jsonEquals(v, a[1])) return json::value(true);
    return json::value(false);
  }
  if (n == "States.ArrayRange") {
    auto s = asInteger(a[0]), e = asInteger(a[1]), st = asInteger(a[2]);
    if (!s || !e || !st)
      return ifail(c, "expected three integers, got " + shown(a[0]) + ", " + shown(a[1]) + ", " +
                          shown(a[2]));
    if (*st == 0) return ifail(c, "the step must not be 0");
    json::array out;
    for (int64_t i = *s; *st > 0 ? i <= *e : i >= *e; i += *st) {
      out.emplace_back(i);
      if (out.size() > 1000) return ifail(c, "the range has more than 1000 items");
    }
    return json::value(std::move(out));
  }
  if (n == "States.ArrayGetItem") {
    auto i = asInteger(a[1]);
    if (!a[0].is_array())
      return ifail(c, std::string("the first argument must be an array, got ") + kindOf(a[0]));
    if (!i) return ifail(c, "the index must be an integer, got " + shown(a[1]));
    if (*i < 0 || *i >= static_cast<int64_t>(a[0].get_array().size()))
      return ifail(c, "the index " + std::to_string(*i) + " is out of bounds for an array of " +
                          std::to_string(a[0].get_array().size()) + " items");
    return a[0].get_array()[static_cast<std::size_t>(*i)];
  }
  if (n == "States.ArrayLength") {
    if (!a[0].is_array())
      return ifail(c, std::string("expected an array, got ") + kindOf(a[0]) + " " + shown(a[0]));
    return json::value(static_cast<int64_t>(a[0].get_array().size()));
  }
  if (n == "States.ArrayUnique") {
    if (!a[0].is_array())
      return ifail(c, std::string("expected an array, got ") + kindOf(a[0]) + " " + shown(a[0]));
    json::array out;
    for (const auto& v : a[0].get_array()) {
      bool seen = false;
      for (const auto& o : out)
        if (jsonEquals(o, v)) {
          seen = true;
          break;
        }
      if (!seen) out.push_back(v);
    }
    return json::value(std::move(out));
  }
  if (n == "States.Base64Encode") {
    if (!a[0].is_string())
      return ifail(c, std::string("expected a string, got ") + kindOf(a[0]) + " " + shown(a[0]));
    if (a[0].get_string().size() > 10000) return ifail(c, "the input exceeds 10000 characters");
    return json::value(json::string(base64Encode(a[0].get_string())));
  }
  if (n == "States.Base64Decode") {
    if (!a[0].is_string())
      return ifail(c, std::string("expected a string, got ") + kindOf(a[0]) + " " + shown(a[0]));
    if (a[0].get_string().size() > 10000) return ifail(c, "the input exceeds 10000 characters");
    auto d = base64Decode(a[0].get_string());
    if (!d) return ifail(c, "the input is not valid base64: " + shown(a[0]));
    return json::value(json::string(*d));
  }
  if (n == "States.Hash") {
    if (!a[1].is_string())
      return ifail(c, std::string("the algorithm must be a string, got ") + kindOf(a[1]));
    std::string in = a[0].is_string() ? std::string(a[0].get_string()) : toJson(a[0]);
    if (in.size() > 10000) return ifail(c, "the input exceeds 10000 characters");
    auto h = hashHex(in, a[1].get_string());
    if (!h)
      return ifail(c, "unknown algorithm '" + std::string(a[1].get_string()) +
                          "' (MD5, SHA-1, SHA-256, SHA-384 or SHA-512)");
    return json::value(json::string(*h));
  }
  if (n == "States.JsonMerge") {
    if (!a[0].is_object() || !a[1].is_object())
      return ifail(
          c, std::string("expected two objects, got ") + kindOf(a[0]) + " and " + kindOf(a[1]));
    if (!a[2].is_bool() || a[2].get_bool())
      return ifail(c, "only shallow merging is supported: the third argument must be false");
    json::object out = a[0].get_object();
    for (const auto& kv : a[1].get_object()) out[kv.key()] = kv.value();
    return json::value(std::move(out));
  }
  if (n == "States.MathRandom") {
    auto s = asInteger(a[0]), e = asInteger(a[1]);
    if (!s || !e) return ifail(c, "expected integers, got " + shown(a[0]) + " and " + shown(a[1]));
    if (*s > *e)
      return ifail(
          c, "the start " + std::to_string(*s) + " is greater than the end " + std::to_string(*e));
    std::mt19937_64 rng;
    if (a.size() == 3) {
      auto seed = asInteger(a[2]);
      if (!seed) return ifail(c, "the seed must be an integer, got " + shown(a[2]));
      rng.seed(static_cast<uint64_t>(*seed));
    } else {
      rng.seed(std::random_device{}());
    }
    std::uniform_int_distribution<int64_t> d(*s, *e);
    return json::value(d(rng));
  }
  if (n == "States.MathAdd") {
    auto x = asInteger(a[0]), y = asInteger(a[1]);
    if (!x || !y) return ifail(c, "expected integers, got " + shown(a[0]) + " and " + shown(a[1]));
    return json::value(*x + *y);
  }
  if (n == "States.StringSplit") {
    if (!a[0].is_string() || !a[1].is_string())
      return ifail(
          c, std::string("expected two strings, got ") + kindOf(a[0]) + " and " + kindOf(a[1]));
    std::string_view s = a[0].get_string(), d = a[1].get_string();
    json::array out;
    std::string cur;
    for (char ch : s) {
      if (d.find(ch) != std::string_view::npos) {
        if (!cur.empty()) out.emplace_back(json::string(cur));
        cur.clear();
      } else {
        cur += ch;
      }
    }
    if (!cur.empty()) out.emplace_back(json::string(cur));
    return json::value(std::move(out));
  }
  if (n == "States.UUID") return json::value(json::string(newUuid()));
  return ifail(c, "unknown function");
}

// ---------------------------------------------------------------------------------------
// Templates
Result<DynamicValue> DynamicValue::compile(const std::string& text) {
  DynamicValue d;
  d.text = text;
  if (text.starts_with("States.")) {
    auto c = parseIntrinsic(text);
    if (!c) return tl::unexpected(c.error());
    d.is_call = true;
    d.call = std::move(*c);
    return d;
  }
  auto p = JsonPath::parse(text);
  if (!p) return tl::unexpected(p.error());
  d.path = std::move(*p);
  return d;
}

Result<json::value> DynamicValue::eval(const Scope& scope, const std::string& field) const {
  if (is_call) return evalIntrinsic(call, scope);
  auto v = resolvePath(path, scope);
  if (!v)
    return fail("States.Runtime",
                "The JSONPath '" + path.text() + "' specified for the field '" + field +
                    ".$' could not be found in the input '" +
                    toJson(path.root() == JsonPath::Root::Context ? scope.context() : scope.input())
                        .substr(0, 256) +
                    "'");
  return v;
}

struct Template::Node {
  enum Kind { Literal, Dynamic, Object, Array } kind = Literal;
  json::value literal;
  DynamicValue dyn;
  std::string key;  // Object members: the output key (".$" stripped)
  std::vector<Node> kids;
};

namespace {

bool compileNode(const json::value& v, const std::string& where, Template::Node& out,
                 bool& uses_context, std::vector<Error>& errors) {
  if (v.is_object()) {
    out.kind = Template::Node::Object;
    for (const auto& kv : v.get_object()) {
      Template::Node child;
      std::string key(kv.key());
      std::string at = where + "." + key;
      if (key.size() > 2 && key.ends_with(".$")) {
        child.key = key.substr(0, key.size() - 2);
        if (!kv.value().is_string()) {
          errors.emplace_back(at, "the value of a '.$' field must be a string");
          continue;
        }
        auto d = DynamicValue::compile(std::string(kv.value().get_string()));
        if (!d) {
          errors.emplace_back(at, d.error().message);
          continue;
        }
        if (d->text.find("$$") != std::string::npos) uses_context = true;
        child.kind = Template::Node::Dynamic;
        child.dyn = std::move(*d);
      } else {
        child.key = key;
        if (!compileNode(kv.value(), at, child, uses_context, errors)) continue;
      }
      out.kids.push_back(std::move(child));
    }
    return errors.empty();
  }
  if (v.is_array()) {
    out.kind = Template::Node::Array;
    std::size_t i = 0;
    for (const auto& e : v.get_array()) {
      Template::Node child;
      if (!compileNode(e, where + "[" + std::to_string(i++) + "]", child, uses_context, errors))
        continue;
      out.kids.push_back(std::move(child));
    }
    return true;
  }
  out.kind = Template::Node::Literal;
  out.literal = v;
  return true;
}

Result<json::value> evalNode(const Template::Node& n, const Scope& scope) {
  switch (n.kind) {
    case Template::Node::Literal:
      return n.literal;
    case Template::Node::Dynamic:
      return n.dyn.eval(scope, n.key);
    case Template::Node::Object: {
      json::object o;
      o.reserve(n.kids.size());
      for (const auto& k : n.kids) {
        auto v = evalNode(k, scope);
        if (!v) return v;
        o[k.key] = std::move(*v);
      }
      return json::value(std::move(o));
    }
    case Template::Node::Array: {
      json::array a;
      a.reserve(n.kids.size());
      for (const auto& k : n.kids) {
        auto v = evalNode(k, scope);
        if (!v) return v;
        a.push_back(std::move(*v));
      }
      return json::value(std::move(a));
    }
  }
  return json::value();
}

}  // namespace

Template::Template() = default;
Template::Template(const Template&) = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(const Template&) = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<Template> Template::compile(const json::value& tmpl, const std::string& where,
                                   std::vector<Error>* all) {
  Template t;
  auto node = std::make_shared<Node>();
  std::vector<Error> errors;
  compileNode(tmpl, where, *node, t.uses_context_, errors);
  if (!errors.empty()) {
    if (all) *all = errors;
    return fail("InvalidDefinition", errors[0].code + ": " + errors[0].message);
  }
  t.root_ = std::move(node);
  return t;
}

Result<json::value> Template::eval(const Scope& scope) const {
  if (!root_) return json::value(json::object());
  return evalNode(*root_, scope);
}

}  // namespace riposte::asl
