// The runbook's policy sections: 8. Suppressions (every one in words) and 9. Coverage (the
// GuardDuty finding types no enabled rule handles).
#include <map>

#include "core/clock.h"
#include "policy/guardduty_filter.h"
#include "runbook/sections.h"
#include "runbook/suppression_words.h"
#include "runbook/text.h"

namespace riposte::runbook {

namespace {

// 00:00 UTC of a YYYY-MM-DD date (validated by the caller), in epoch milliseconds.
int64_t dateMs(const std::string& date) {
  auto t = policy::parseTimeMs(date + "T00:00:00Z");
  return t ? *t : 0;
}

}  // namespace

void suppressionsSection(Doc& doc, const Context& c) {
  doc.heading(2, "8. Suppressions");
  doc.para(Line{
      text("A suppression silences findings that are known and accepted (a penetration test, a "
           "scanner, a noisy finding type) without editing a rule: an event it matches is stored "
           "and marked "),
      code("suppressed"), text(" with its name, counted in "),
      code("riposte_events_suppressed_total{suppression}"),
      text(", and opens no incident; no action runs. An expired suppression stops applying by "
           "itself. The configuration's come from "),
      code("policies/*.yaml"),
      text("; others are made at run time, kept in the store and audited (who, when, why): "),
      code("riposte suppress --type T --for 7d --reason WHY"), text(" or "),
      code("POST /v1/suppressions"), text("; see them all with "), code("riposte suppress list"),
      text(" or "), code("GET /v1/suppressions"), text(".")});
  const auto& all = c.cfg.suppressions;
  if (all.empty()) {
    doc.para(line("The configuration defines no suppression."));
    return;
  }
  doc.para(
      line("The configuration's suppressions, in the order they are checked (the first "
           "that applies names the event):"));
  std::vector<Item> items;
  for (const auto& s : all) {
    Line head{strong(s.name)};
    if (auto f = c.cfg.suppression_files.find(s.name); f != c.cfg.suppression_files.end())
      head << text(" (") << code(f->second) << text(")");
    head << text(": " + describeSuppressionMatch(s) + ".");
    std::vector<Item> kids;
    kids.push_back(Item{line("Reason: " + s.reason), {}});
    kids.push_back(Item{line("Owner: " + s.owner), {}});
    kids.push_back(Item{line("Applies " + describeSuppressionExpiry(s) + "."), {}});
    if (!s.pattern_json.empty()) {
      kids.push_back(Item{Line{text("Pattern: "), code(s.pattern_json)}, {}});
    }
    if (s.guardduty_archive) {
      Line g{text("GuardDuty archives its findings too: riposte keeps the filter "),
             code(std::string(policy::kGuardDutyFilterPrefix) + s.name),
             text(" (action ARCHIVE) on detector ")};
      g << code(c.cfg.guardduty ? c.cfg.guardduty->detector_id : std::string("(none)"))
        << text(", and deletes it when the suppression expires or is removed.");
      kids.push_back(Item{std::move(g), {}});
    }
    items.push_back(Item{std::move(head), std::move(kids)});
  }
  doc.list(std::move(items));
}

void coverageSection(Doc& doc, const Context& c) {
  doc.heading(2, "9. Coverage");
  if (!c.catalogue) {
    doc.para(
        line("The coverage of GuardDuty's finding types was not computed for this document "
             "(run riposte coverage --config DIR)."));
    return;
  }
  auto supp = policy::SuppressionSet::build(c.cfg.suppressions);
  std::vector<policy::CoverageRule> rules;
  for (const auto& r : c.cfg.rules)
    if (r.enabled) rules.push_back({r.name, r.pattern_json});
  auto cov = supp ? policy::typeCoverage(*c.catalogue, rules, **supp, dateMs(c.date))
                  : Result<std::vector<policy::TypeCoverage>>(fail(supp.error()));
  if (!cov) {
    doc.para(line("The coverage could not be computed: " + cov.error().message));
    return;
  }
  std::vector<const policy::TypeCoverage*> gaps;
  for (const auto& t : *cov)
    if (!t.handled()) gaps.push_back(&t);
  doc.para(Line{
      text("Of the " + std::to_string(cov->size()) + " GuardDuty finding types riposte knows ("),
      code("riposte findings types"),
      text("), " + std::to_string(cov->size() - gaps.size()) +
           " are handled by an enabled rule and " + std::to_string(gaps.size()) +
           " are not. A type is handled when its sample finding matches an enabled "
           "rule's pattern and no suppression silences it everywhere. A finding no "
           "rule handles is stored and counted in "),
      code("riposte_events_unmatched_total{source,type}"),
      text("; which of an archive's findings arrived unhandled: "),
      code("riposte coverage --config " + c.label + " --events FILE.jsonl"), text(".")});
  if (gaps.empty()) return;
  std::vector<std::vector<Line>> rows;
  for (const auto* t : gaps) {
    std::string why = t->suppressed_by.empty() ? "no enabled rule matches it"
                                               : "suppressed by " + t->suppressed_by;
    rows.push_back({Line{code(t->type)}, line(t->family), line(why)});
  }
  doc.table({line("Finding type"), line("Family"), line("Why it is not handled")}, std::move(rows));
}

}  // namespace riposte::runbook
