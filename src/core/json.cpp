#include "core/json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <sstream>
#include <unordered_set>
#include <vector>

namespace riposte {

namespace {

// The handler of Boost.JSON's own parser (a value_stack fed by basic_parser), except for
// doubles: Boost 1.81 converts a number's text to a double imprecisely (more than a quarter of
// the shortest texts serialize() writes for random doubles read back one ulp off), so a value
// would not survive its own serialization (snapshots, their blobs, stored records). The double
// is converted again from its text, correctly rounded (std::from_chars).
struct ExactDoubles {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::string number;  // the start of a number split across writes (on_number_part)

  // Duplicate member names are refused (one reading of a document everywhere: a matcher and a
  // playbook must not read different values of one key). The keys of the open objects are
  // kept in `arena`, one (offset, length) each in `keys`; `levels` marks where each open
  // object's keys start. A small object is searched linearly; past kLinear keys an object's
  // names go into a hash set too, so a hostile object of many keys costs linear time.
  static constexpr std::size_t kLinear = 32;
  std::string key;    // the key being read (its parts)
  std::string arena;  // the names of the open objects' keys
  std::vector<std::pair<std::size_t, std::size_t>> keys;
  struct Level {
    std::size_t first_key;
    std::unique_ptr<std::unordered_set<std::string>> big;
  };
  std::vector<Level> levels;
  std::string duplicate;  // the duplicated name, once found
  bool has_duplicate = false;

  explicit ExactDoubles(json::storage_ptr sp) : st(std::move(sp)) {}

  bool seen(std::string_view k) {
    Level& l = levels.back();
    if (l.big) return !l.big->insert(std::string(k)).second;
    const char* base = arena.data();
    for (std::size_t i = l.first_key; i < keys.size(); ++i) {
      if (keys[i].second == k.size() && std::memcmp(base + keys[i].first, k.data(), k.size()) == 0)
        return true;
    }
    keys.emplace_back(arena.size(), k.size());
    arena.append(k);
    if (keys.size() - l.first_key > kLinear) {
      l.big = std::make_unique<std::unordered_set<std::string>>();
      for (std::size_t i = l.first_key; i < keys.size(); ++i)
        l.big->insert(arena.substr(keys[i].first, keys[i].second));
    }
    return false;
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    levels.push_back({keys.size(), nullptr});
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    const std::size_t first = levels.back().first_key;
    if (first < keys.size()) arena.resize(keys[first].first);
    keys.resize(first);
    levels.pop_back();
    st.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key.append(s.data(), s.size());
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    std::string_view name(s.data(), s.size());
    if (!key.empty()) {  // the name came in parts
      key.append(s.data(), s.size());
      name = key;
    }
    if (seen(name)) {
      duplicate = name;
      has_duplicate = true;
      ec = json::error::syntax;
      return false;
    }
    key.clear();
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code& ec) {
    std::string_view text(s.data(), s.size());
    if (!number.empty()) {
      number.append(s.data(), s.size());
      text = number;
    }
    double exact = 0;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), exact);
    // JSON's number grammar is a subset of from_chars' general format. Beyond a double's range
    // (result_out_of_range) Boost's value stands: zero for an underflow; an overflow (1e400)
    // is refused, since no JSON text could write the infinity back (a snapshot holding one
    // could not be restored).
    if (err == std::errc() && end == text.data() + text.size()) d = exact;
    number.clear();
    if (!std::isfinite(d)) {
      ec = json::error::exponent_overflow;
      return false;
    }
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

Result<json::value> parseJson(std::string_view text, int max_depth) {
  json::parse_options opt;
  opt.max_depth = static_cast<std::size_t>(max_depth);
  json::basic_parser<ExactDoubles> p(opt, json::storage_ptr());
  p.handler().st.reset();
  p.handler().key.clear();
  boost::system::error_code ec;
  // As json::stream_parser's write_some() then finish().
  std::size_t n = p.write_some(true, text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = json::error::extra_data;
  if (!ec) p.write_some(false, nullptr, 0, ec);
  if (ec) {
    // Compute line/column of the failing offset for a useful message.
    std::size_t off = ec == json::error::extra_data ? n : std::min(n, text.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < off && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = ec.message();
    if (ec == json::error::too_deep) what = "nesting deeper than " + std::to_string(max_depth);
    if (p.handler().has_duplicate) {
      std::string name = p.handler().duplicate.substr(0, 100);
      for (char& c : name)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
      what = "duplicate member name \"" + name +
             "\" (a document must have one reading: every key once per object)";
    }
    return fail("InvalidJson", "malformed JSON at line " + std::to_string(line) + ", column " +
                                   std::to_string(col) + ": " + what);
  }
  return p.handler().st.release();
}

std::string toJson(const json::value& v) {
  return json::serialize(v);
}

static void pretty(std::ostream& os, const json::value& jv, std::string& indent) {
  switch (jv.kind()) {
    case json::kind::object: {
      const auto& obj = jv.get_object();
      if (obj.empty()) {
        os << "{}";
        return;
      }
      os << "{\n";
      indent.append(2, ' ');
      bool first = true;
      for (const auto& kv : obj) {
        if (!first) os << ",\n";
        first = false;
        os << indent << json::serialize(json::string(kv.key())) << ": ";
        pretty(os, kv.value(), indent);
      }
      indent.resize(indent.size() - 2);
      os << "\n" << indent << "}";
      return;
    }
    case json::kind::array: {
      const auto& arr = jv.get_array();
      if (arr.empty()) {
        os << "[]";
        return;
      }
      os << "[\n";
      indent.append(2, ' ');
      bool first = true;
      for (const auto& e : arr) {
        if (!first) os << ",\n";
        first = false;
        os << indent;
        pretty(os, e, indent);
      }
      indent.resize(indent.size() - 2);
      os << "\n" << indent << "]";
      return;
    }
    default:
      os << json::serialize(jv);
  }
}

std::string toPrettyJson(const json::value& v) {
  std::ostringstream os;
  std::string indent;
  pretty(os, v, indent);
  return os.str();
}

const json::value* findPath(const json::value& v, std::string_view dotted) {
  const json::value* cur = &v;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    std::string_view key = dotted.substr(0, dot);
    const auto* obj = cur->if_object();
    if (!obj) return nullptr;
    auto it = obj->find(key);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  return cur;
}

std::optional<std::string> stringAt(const json::value& v, std::string_view dotted) {
  const auto* p = findPath(v, dotted);
  if (!p || !p->is_string()) return std::nullopt;
  return std::string(p->get_string());
}

std::optional<double> asNumber(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}

std::optional<double> numberAt(const json::value& v, std::string_view dotted) {
  const auto* p = findPath(v, dotted);
  if (!p) return std::nullopt;
  return asNumber(*p);
}

}  // namespace riposte
