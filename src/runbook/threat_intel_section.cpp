// The runbook's threat-intelligence part (of section 7): every list in words — verdict,
// source, format, refresh — what a trusted list means for blocking, what a list that cannot
// be read does, and what riposte publishes for GuardDuty. Read from the configuration
// (policy/threat_config.h describes it); nothing when no list and no publishing is set.
#include "runbook/sections.h"

namespace riposte::runbook {

void threatIntelSection(Doc& doc, const Context& c) {
  const policy::ThreatIntelConfig& ti = c.cfg.threat_intel;
  if (ti.empty()) return;
  doc.heading(3, "Threat intelligence");
  std::vector<Item> items;
  std::vector<std::string> trusted;
  for (const auto& l : ti.lists) {
    Line li{strong(l.name), text(": " + l.describe() + ".")};
    if (!l.description.empty()) li << text(" " + l.description);
    items.push_back(Item{std::move(li), {}});
    if (l.verdict == policy::Verdict::kTrusted) trusted.push_back(l.name);
  }
  doc.list(std::move(items));
  std::vector<Item> how;
  how.push_back(Item{
      line("Every finding is matched with riposte.threatIntel set: the names of the lists "
           "holding any of its remote addresses, by verdict (a member the finding itself "
           "carried under \"riposte\" is dropped). Rules and playbook Choice states may use it; "
           "the stored finding is unchanged."),
      {}});
  if (!trusted.empty()) {
    how.push_back(Item{Line{text("Trusted addresses (")}
                           << codeList(trusted)
                           << text(") are never blocked: aws.ec2.blockIp, aws.wafv2.blockIp "
                                   "and the direct calls that deny addresses (aws-sdk "
                                   "ec2:createNetworkAclEntry / replaceNetworkAclEntry with "
                                   "RuleAction deny) refuse an address or CIDR that overlaps "
                                   "one with ResourceProtected whatever the playbook says, and "
                                   "refuse to block anything (riposte.TrustedListUnavailable) "
                                   "while a trusted list has not been read since riposte "
                                   "started."),
                       {}});
  }
  how.push_back(Item{
      line("A list that cannot be fetched or parsed keeps its last good copy; the failure is "
           "counted (riposte_threat_list_fetch_failures_total), logged, shown by GET /v1/policy "
           "with the list's size and age, and the list is tried again after 1 minute, then 2, "
           "4, … up to its interval."),
      {}});
  if (ti.publish) {
    how.push_back(Item{line("Publishing: " + ti.publish->describe() +
                            "; the object is rewritten and the set updated after every block "
                            "and release."),
                       {}});
  }
  doc.list(std::move(how));
}

}  // namespace riposte::runbook
