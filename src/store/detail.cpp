#include "store/detail.h"

#include "core/json.h"

namespace riposte::store::detail {

std::string encodeStringList(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(json::string(s));
  return toJson(a);
}

std::vector<std::string> decodeStringList(const std::string& s) {
  std::vector<std::string> out;
  auto v = parseJson(s, 4);
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

Result<void> checkId(const std::string& what, const std::string& id) {
  if (id.empty()) return fail("InvalidArgument", what + " id is empty");
  return {};
}

Result<void> checkEventStatus(const std::string& status) {
  if (status == "pending" || status == "processed" || status == "failed") return {};
  return fail("InvalidArgument",
              "event status '" + status + "' is not one of pending, processed, failed");
}

Result<void> checkLimit(int limit, int offset) {
  if (limit < 0) return fail("InvalidArgument", "limit " + std::to_string(limit) + " < 0");
  if (offset < 0) return fail("InvalidArgument", "offset " + std::to_string(offset) + " < 0");
  return {};
}

}  // namespace riposte::store::detail
