#include "policy/coverage.h"

#include "pattern/pattern.h"

namespace riposte::policy {

Result<std::vector<TypeCoverage>> typeCoverage(const std::vector<CatalogueType>& catalogue,
                                               const std::vector<CoverageRule>& rules,
                                               const SuppressionSet& suppressions, int64_t now_ms) {
  pattern::RuleSetBuilder b;
  for (const auto& r : rules) {
    if (auto i = b.add(r.name, r.pattern_json); !i)
      return fail("InvalidEventPattern", "rule '" + r.name + "': " + i.error().message);
  }
  auto rule_set = b.build();
  // The suppressions' patterns, each on its own: a scope-less one that matches silences the
  // type; a scoped one only some of its resources.
  pattern::RuleSetBuilder sb;
  std::vector<const Suppression*> owner;
  std::vector<std::string> scope_only;  // they apply to every type, on some resources
  for (const auto& s : suppressions.suppressions()) {
    if (s.expiredAt(now_ms)) continue;
    if (s.pattern_json.empty()) {
      scope_only.push_back(s.name);
      continue;
    }
    if (auto i = sb.add(s.name, s.pattern_json); !i)
      return fail("InvalidEventPattern", "suppression '" + s.name + "': " + i.error().message);
    owner.push_back(&s);
  }
  auto supp_set = sb.build();
  std::vector<TypeCoverage> out;
  out.reserve(catalogue.size());
  for (const auto& t : catalogue) {
    TypeCoverage c{t.type, t.family, {}, {}, scope_only};
    auto m = rule_set->match(t.event_json);
    if (!m) return fail("InvalidEvent", "sample of " + t.type + ": " + m.error().message);
    for (auto i : *m) c.rules.push_back(rules[i].name);
    auto sm = supp_set->match(t.event_json);
    if (!sm) return fail("InvalidEvent", "sample of " + t.type + ": " + sm.error().message);
    for (auto i : *sm) {
      const Suppression& s = *owner[i];
      if (s.scope.empty()) {
        if (c.suppressed_by.empty()) c.suppressed_by = s.name;
      } else {
        c.partly_by.push_back(s.name);
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace riposte::policy
