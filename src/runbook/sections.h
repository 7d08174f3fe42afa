#pragma once
// The sections of the runbook (the seed's template: overview, procedures, playbooks, actions,
// notifications, SIEM, safety, suppressions, coverage, IAM, review), each added to a Doc from the
// configuration.

#include <string>

#include "actions/registry.h"
#include "core/json.h"
#include "engine/config.h"
#include "policy/coverage.h"
#include "runbook/document.h"

namespace riposte::runbook {

// What every section reads.
struct Context {
  const engine::Config& cfg;
  const actions::Registry& registry;
  json::object raw;     // riposte.yaml as written (${VAR} not expanded)
  std::string label;    // how the configuration directory is named
  std::string version;  // configVersion()
  std::string date;     // YYYY-MM-DD
  std::string command;  // the command that regenerates the document
  const std::vector<policy::CatalogueType>* catalogue = nullptr;  // RunbookMeta::catalogue
};

void overviewSection(Doc& doc, const Context& c);       // 1.
void proceduresSection(Doc& doc, const Context& c);     // 2. one procedure per rule
void playbooksSection(Doc& doc, const Context& c);      // 3. diagrams and transitions
void actionsSection(Doc& doc, const Context& c);        // 4. the response actions used
void notificationsSection(Doc& doc, const Context& c);  // 5.
void siemSection(Doc& doc, const Context& c);           // 6.
void safetySection(Doc& doc, const Context& c);         // 7.
void guardRailsSection(Doc& doc, const Context& c);     // 7., its limits, breaker and scope
void threatIntelSection(Doc& doc, const Context& c);    // 7., its threat-intelligence lists
void suppressionsSection(Doc& doc, const Context& c);   // 8. every suppression in words
void coverageSection(Doc& doc, const Context& c);       // 9. finding types no rule handles
void iamSection(Doc& doc, const Context& c);            // 10. the policy iam-policy prints
void reviewSection(Doc& doc, const Context& c);         // 11.

// "2026-11-23" + 3 → "2027-02-23" (the day clamped to the month's last).
std::string plusMonths(const std::string& date, int months);
// YYYY-MM-DD with a plausible month and day.
bool validDate(const std::string& date);

}  // namespace riposte::runbook
