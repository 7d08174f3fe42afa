#include "core/json.h"

#include <sstream>

namespace riposte {

Result<json::value> parseJson(std::string_view text, int max_depth) {
  json::parse_options opt;
  opt.max_depth = static_cast<std::size_t>(max_depth);
  json::stream_parser p(json::storage_ptr(), opt);
  boost::system::error_code ec;
  std::size_t n = p.write_some(text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = json::error::extra_data;
  if (!ec) p.finish(ec);
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
    return fail("InvalidJson", "malformed JSON at line " + std::to_string(line) + ", column " +
                                   std::to_string(col) + ": " + what);
  }
  return p.release();
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
