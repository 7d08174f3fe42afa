#include "runbook/suppression_words.h"

#include "core/clock.h"
#include "runbook/pattern_words.h"

namespace riposte::runbook {

std::string describeSuppressionMatch(const policy::Suppression& s) {
  std::string out;
  if (!s.pattern_json.empty()) {
    auto p = parseJson(s.pattern_json);
    out = p ? describePattern(*p) : "events matching " + s.pattern_json;
    while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  }
  if (!s.scope.empty()) {
    out += out.empty() ? "every event " : ", ";
    out += policy::describeScope(s.scope);
  }
  return out;
}

std::string describeSuppressionExpiry(const policy::Suppression& s) {
  if (!s.expires_ms) return "until deleted (no expiry)";
  return "until " + formatIso8601Millis(*s.expires_ms);
}

}  // namespace riposte::runbook
