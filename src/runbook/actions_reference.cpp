#include "runbook/actions_reference.h"

#include "runbook/document.h"
#include "runbook/steps.h"

namespace riposte::runbook {
namespace {

std::string replayWords(actions::Replay r) {
  switch (r) {
    case actions::Replay::kRerun:
      return "run again (it checks the state first)";
    case actions::Replay::kRerunDeduplicated:
      return "run again with the same deduplication id";
    case actions::Replay::kFailInterrupted:
      return "not run again: riposte.ActionInterrupted";
  }
  return "";
}

Line conditionsLine(const actions::Permission& p) {
  Line l;
  for (const auto& c : p.conditions) {
    if (!l.empty()) l << text("; ");
    std::string values;
    for (const auto& v : c.values) values += (values.empty() ? "" : ", ") + v;
    l << code(c.op + " " + c.key + " = " + values);
  }
  auto more = [&](Line what) {
    if (!l.empty()) l << text("; ");
    l << what;
  };
  if (p.writes_principal) {
    more(
        Line{text("only on principals without the protection tag; never on riposte's own "
                  "roles")});
  }
  if (!p.when_parameter.empty()) {
    more(Line{text("only when the Task's Parameters have "), code(p.when_parameter)});
  }
  if (l.empty()) l << text("—");
  return l;
}

Result<std::pair<std::size_t, std::size_t>> markers(const std::string& document) {
  const auto b = document.find(kActionsBegin);
  const auto e = document.find(kActionsEnd);
  if (b == std::string::npos || e == std::string::npos || e < b) {
    return fail("InvalidArgument", std::string("the document has no \"") + kActionsBegin +
                                       "\" … \"" + kActionsEnd + "\" section to generate");
  }
  return std::make_pair(b + std::string(kActionsBegin).size(), e);
}

}  // namespace

std::string actionsReference(const actions::Registry& registry) {
  Doc doc;
  doc.para(Line{text("Generated from each action's descriptor ("), code("actions::Descriptor"),
                text(", "), code("src/actions/descriptor.h"),
                text("), as the engine, release, the runbook, "), code("simulate"), text(" and "),
                code("iam-policy"), text(" read it.")});
  std::vector<std::vector<Line>> rows;
  for (const auto& name : registry.names()) {
    const actions::Descriptor& d = registry.find(name)->descriptor();
    Line undo = d.undo.empty() ? Line{text("none")} : Line{code(d.undo)};
    rows.push_back({Line{code(name)}, line(std::string(actions::roleName(d.role))), undo,
                    line(undoText(d, registry)), line(replayWords(d.replay))});
  }
  doc.table({line("Action"), line("Role"), line("Undo (release runs it)"),
             line("What release does"), line("After a crash during the call")},
            std::move(rows));
  doc.para(Line{text("Roles: "), strong("contain"), text(" cuts an attacker off (destructive: "),
                code("Descriptor::isDestructive()"), text("); "), strong("restore"),
                text(" is an undo release runs; "), strong("evidence"),
                text(" keeps or marks what the investigation needs; "), strong("notify"),
                text(" tells people; "), strong("siem"),
                text(" records the incident in a security system; "), strong("read"),
                text(" reads only.")});

  std::vector<std::vector<Line>> perms;
  for (const auto& name : registry.names()) {
    const actions::Descriptor& d = registry.find(name)->descriptor();
    for (const auto& p : d.permissions) {
      Line res = p.task_topics ? Line{text("the SNS topics the Task publishes to")}
                               : codeList(p.resources);
      perms.push_back({Line{code(name)}, Line{code(p.action)}, res, conditionsLine(p)});
    }
  }
  doc.para(
      line("The IAM permissions, in the order each action calls them, with the resources "
           "AWS authorizes each call against (\"*\": AWS allows no narrower scope):"));
  doc.table({line("Action"), line("IAM action"), line("Resources"), line("Condition")},
            std::move(perms));
  doc.para(Line{text("Step Functions integrations ("),
                code("arn:aws:states:::aws-sdk:<service>:<api>"), text(", "),
                code("arn:aws:states:::sns:publish"), text(") need "), code("<service>:<Api>"),
                text(" on the resources above when the API is listed there, else on \"*\" (an IAM "
                     "change riposte has no scope for is refused by iam-policy). Their role is "
                     "decided from the API: Describe*, Get* and List* read, SNS Publish notifies, "
                     "any other call counts as contain (destructive). They have no undo; reads "
                     "and iam:UpdateAccessKey run again after a crash, SNS Publish with the same "
                     "deduplication id, any other call fails with riposte.ActionInterrupted.")});
  return renderMarkdown(doc);
}

Result<std::string> spliceActionsReference(const std::string& document,
                                           const std::string& generated) {
  auto m = markers(document);
  if (!m) return fail(m.error());
  return document.substr(0, m->first) + "\n" + generated + document.substr(m->second);
}

Result<std::string> actionsReferenceOf(const std::string& document) {
  auto m = markers(document);
  if (!m) return fail(m.error());
  std::string s = document.substr(m->first, m->second - m->first);
  if (!s.empty() && s.front() == '\n') s.erase(0, 1);
  return s;
}

}  // namespace riposte::runbook
