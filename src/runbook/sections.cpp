#include "runbook/sections.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "core/text.h"
#include "runbook/iam_policy.h"
#include "runbook/pattern_words.h"
#include "runbook/playbook_graph.h"
#include "runbook/steps.h"
#include "runbook/text.h"

namespace riposte::runbook {
namespace fs = std::filesystem;
using engine::Config;
using engine::Playbook;
using engine::Rule;

namespace {

// A riposte.yaml value as written: "${VAR:-default}" → `default` (environment variable VAR
// overrides it).
Line settingLine(const json::value& v) {
  Line l;
  if (!v.is_string()) {
    l << code(valueText(v));
    return l;
  }
  std::string s(v.get_string());
  if (startsWith(s, "${") && endsWith(s, "}") && s.find("${", 2) == std::string::npos &&
      s.find('}') == s.size() - 1) {
    std::string inner = s.substr(2, s.size() - 3);
    auto dash = inner.find(":-");
    if (dash != std::string::npos) {
      l << code(text::redactUrl(inner.substr(dash + 2))) << text(" (environment variable ")
        << code(inner.substr(0, dash)) << text(" overrides it)");
    } else {
      l << text("the value of the environment variable ") << code(inner) << text(", no default");
    }
    return l;
  }
  l << code(text::redactUrl(s));
  if (s.find("${") != std::string::npos) l << text(" (with environment variables expanded)");
  return l;
}

// A setting that is on/off, as written ("${RIPOSTE_DRY_RUN:-false}" → false).
std::string settingDefault(const json::value* v) {
  if (!v) return "";
  if (v->is_bool()) return v->get_bool() ? "true" : "false";
  if (!v->is_string()) return valueText(*v);
  std::string s(v->get_string());
  if (startsWith(s, "${") && endsWith(s, "}")) {
    auto dash = s.find(":-");
    return dash == std::string::npos ? "" : s.substr(dash + 2, s.size() - dash - 3);
  }
  return s;
}

// Every key of an object as list items ("key: value as written"), nested objects as sublists.
std::vector<Item> settingItems(const json::value& v) {
  std::vector<Item> out;
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      Item it;
      it.line << code(std::string(kv.key()));
      if (kv.value().is_object() || kv.value().is_array()) {
        it.line << text(":");
        it.kids = settingItems(kv.value());
      } else {
        it.line << text(": ") << settingLine(kv.value());
      }
      out.push_back(std::move(it));
    }
  } else if (const auto* a = v.if_array()) {
    std::size_t n = 0;
    for (const auto& e : *a) {
      Item it;
      it.line << text("#" + std::to_string(++n));
      if (e.is_object() || e.is_array()) {
        it.kids = settingItems(e);
      } else {
        it.line << text(": ") << settingLine(e);
      }
      out.push_back(std::move(it));
    }
  }
  return out;
}

// riposte.yaml `playbooks.<name>.dry_run`.
bool playbookDryRun(const Config& cfg, const std::string& name) {
  auto pb = cfg.playbooks.find(name);
  return pb != cfg.playbooks.end() && pb->second.dry_run;
}

// The role of a Task resource's action (descriptor), nullopt when the registry does not know it.
std::optional<actions::Role> roleOf(const std::string& resource,
                                    const actions::Registry& registry) {
  const actions::Action* a = registry.find(resource);
  if (!a) return std::nullopt;
  return a->descriptor().role;
}

// A step that alerts people: a notify action (aws.sns.publish, http:invoke).
bool isNotify(const std::string& resource, const actions::Registry& registry) {
  return roleOf(resource, registry) == actions::Role::kNotify ||
         startsWith(resource, "arn:aws:states:::http:invoke");
}

bool isSiem(const std::string& resource, const actions::Registry& registry) {
  return roleOf(resource, registry) == actions::Role::kSiem;
}

std::string paramText(const json::object& task, const char* key) {
  for (const char* pkey : {"Parameters", "Arguments"}) {
    const auto* p = asObject(member(task, pkey));
    if (!p) continue;
    if (const auto* v = member(*p, std::string(key) + ".$"); v && v->is_string())
      return std::string(v->get_string());
    if (const auto* v = member(*p, key)) return valueText(*v);
  }
  return "";
}

std::vector<Item> notificationItems(const Context& c, const Playbook* pb) {
  std::vector<Item> out;
  if (!pb) return out;
  for (const auto& [name, t] : tasksOf(pb->definition)) {
    std::string r = stringMember(*t, "Resource");
    if (!isNotify(r, c.registry)) continue;
    Item it;
    if (startsWith(r, "arn:aws:states:::http:invoke")) {
      it.line << text("Step ") << strong(name) << text(" calls the HTTP endpoint ");
      std::string url = paramText(*t, "ApiEndpoint");
      it.line << code(url.empty() ? "(from the input)" : url);
      std::string conn_arn;
      for (const char* pkey : {"Parameters", "Arguments"}) {
        const auto* p = asObject(member(*t, pkey));
        const auto* a = p ? asObject(member(*p, "Authentication")) : nullptr;
        const auto* v = a ? member(*a, "ConnectionArn") : nullptr;
        if (v && v->is_string()) conn_arn = std::string(v->get_string());
      }
      if (auto name = actions::connectionName(conn_arn)) {
        it.line << text(" through the connection ") << code(*name);
        if (const auto* conn = c.cfg.connections->find(*name))
          it.line << text(" (" + std::string(actions::authName(conn->auth)) +
                          ", its secret from the environment)");
      }
      it.line << text("; in a dry run nothing is sent.");
    } else {
      std::string topic = paramText(*t, "topicArn");
      if (topic.empty()) topic = paramText(*t, "TopicArn");
      it.line << text("Step ") << strong(name) << text(" sends an alert to the SNS topic ");
      if (topic == "$.riposte.notify.snsTopicArn") {
        it.line << text("of ") << code("notifications.sns_topic_arn") << text(" in riposte.yaml: ");
        const auto* n = asObject(member(c.raw, "notifications"));
        const auto* v = n ? member(*n, "sns_topic_arn") : nullptr;
        if (v) {
          it.line << settingLine(*v);
        } else if (!c.cfg.sns_topic_arn.empty()) {
          it.line << code(c.cfg.sns_topic_arn);
        } else {
          it.line << text("not set");
        }
        it.line << text(".");
      } else {
        it.line << code(topic.empty() ? "(from the input)" : topic) << text(".");
      }
    }
    out.push_back(std::move(it));
  }
  return out;
}

std::vector<Item> siemItems(const Context& c, const Playbook* pb) {
  std::vector<Item> out;
  if (pb) {
    for (const auto& [name, t] : tasksOf(pb->definition)) {
      const std::string r = stringMember(*t, "Resource");
      if (!isSiem(r, c.registry)) continue;
      out.push_back(Item{Line{text("Step "), strong(name), text(" records the response with "),
                              code(r), text(" (see 6. Integration with SIEM).")},
                         {}});
    }
  }
  out.push_back(Item{line("The incident, every step of the execution and every action (with what "
                          "it found and what it changed) are recorded in riposte's audit log."),
                     {}});
  return out;
}

const json::value* sinksSetting(const json::object& raw) {
  for (const char* key : {"sinks", "siem"})
    if (const auto* v = member(raw, key)) return v;
  return nullptr;
}

void ruleSection(Doc& doc, const Context& c, const Rule& r) {
  doc.heading(3, r.name);
  if (!r.description.empty()) doc.para(line(r.description));
  {
    Line l{strong("Status"), text(": ")};
    l << text(r.enabled ? "enabled" : "disabled (never fires)");
    if (r.dry_run) {
      l << text("; dry run (plans and records, changes nothing)");
    } else if (playbookDryRun(c.cfg, r.playbook)) {
      l << text("; dry run: its playbook ") << code(r.playbook)
        << text(" always runs dry (plans and records, changes nothing)");
    }
    l << text("; defined in ") << code(r.file) << text(".");
    doc.para(std::move(l));
  }
  doc.para(Line{strong("Trigger"), text(": " + describePattern(r.pattern))});
  std::vector<Item> conds;
  for (const auto& s : describePatternConditions(r.pattern)) {
    std::size_t depth = 0;
    while (depth < s.size() && s[depth] == ' ') ++depth;
    Item it{line(s.substr(depth)), {}};
    // Indented lines belong to the last item one level up.
    std::vector<Item>* where = &conds;
    for (std::size_t d = 0; d < depth / 2 && !where->empty(); ++d) where = &where->back().kids;
    where->push_back(std::move(it));
  }
  if (!conds.empty()) {
    doc.para(line("It matches an event when all of these hold:"));
    doc.list(std::move(conds));
  }
  doc.para(line("The EventBridge pattern, verbatim:"));
  doc.codeBlock("json", toPrettyJson(r.pattern) + "\n");

  const Playbook* pb = nullptr;
  if (!r.playbook.empty()) {
    auto it = c.cfg.playbooks.find(r.playbook);
    if (it != c.cfg.playbooks.end()) pb = &it->second;
  }
  if (r.playbook.empty()) {
    doc.para(Line{strong("Automated response"),
                  text(": none. riposte records the incident (and its finding) for the security "
                       "team to review; no playbook runs and nothing is changed.")});
  } else if (!pb) {
    doc.para(Line{strong("Automated response"), text(": playbook "), code(r.playbook),
                  text(", which is not in the configuration.")});
  } else {
    Line l{strong("Automated response"), text(": the playbook "), code(pb->name)};
    const auto* def = pb->definition.if_object();
    if (auto cm = def ? stringMember(*def, "Comment") : ""; !cm.empty()) l << text(". " + cm);
    if (l.back().text.empty() || l.back().text.back() != '.') l << text(".");
    l << text(" Its steps, in execution order (see the diagram under Playbooks):");
    doc.para(std::move(l));
    doc.list(stateListItems(pb->definition, c.registry), true);
  }
  auto notes = notificationItems(c, pb);
  if (notes.empty()) {
    doc.para(Line{strong("Notification"), text(": none (no step of this response alerts anyone; "
                                               "the incident is visible in riposte's API).")});
  } else {
    doc.para(Line{strong("Notification"), text(":")});
    doc.list(std::move(notes));
  }
  doc.para(Line{strong("SIEM integration"), text(":")});
  doc.list(siemItems(c, pb));
}

// The names of the registered actions the playbooks' Tasks run.
std::set<std::string> usedActions(const Context& c) {
  std::set<std::string> out;
  for (const auto& [name, pb] : c.cfg.playbooks) {
    for (const auto& [state, t] : tasksOf(pb.definition)) {
      if (const auto* a = c.registry.find(stringMember(*t, "Resource"))) {
        out.insert(std::string(a->name()));
      }
    }
  }
  return out;
}

}  // namespace

void overviewSection(Doc& doc, const Context& c) {
  [[maybe_unused]] const Config& cfg = c.cfg;
  [[maybe_unused]] const actions::Registry& registry = c.registry;
  std::size_t enabled = 0;
  for (const auto& r : cfg.rules) enabled += r.enabled ? 1 : 0;
  const std::set<std::string> used_actions = usedActions(c);
  doc.heading(2, "1. Overview");
  doc.para(line(
      "This document details the automated responses riposte runs for security findings: for "
      "each rule, what triggers it, the steps of its automated response with the AWS calls they "
      "make and how each is undone, who is notified and what reaches the SIEM; then the safety "
      "settings, the IAM permissions riposte needs, and the review record. It is generated from "
      "the configuration riposte runs, so it describes exactly what riposte will do."));
  doc.para(line(std::to_string(cfg.rules.size()) + " rules (" + std::to_string(enabled) +
                " enabled), " + std::to_string(cfg.playbooks.size()) + " playbooks, " +
                std::to_string(used_actions.size()) + " response actions."));
  {
    std::vector<std::vector<Line>> rows;
    for (const auto& r : cfg.rules) {
      rows.push_back(
          {Line{code(r.name)}, line(describePattern(r.pattern)),
           r.playbook.empty() ? line("record only") : Line{code(r.playbook)},
           line(r.enabled ? (r.dry_run || playbookDryRun(cfg, r.playbook) ? "enabled (dry run)"
                                                                          : "enabled")
                          : "disabled")});
    }
    doc.table({line("Rule"), line("Trigger"), line("Response"), line("Status")}, std::move(rows));
  }
}

void proceduresSection(Doc& doc, const Context& c) {
  [[maybe_unused]] const Config& cfg = c.cfg;
  [[maybe_unused]] const actions::Registry& registry = c.registry;
  doc.heading(2, "2. Incident response procedures");
  doc.para(
      line("Rules are evaluated on every event; every rule that matches opens (or updates) "
           "an incident for the affected resource, and its playbook runs once per incident."));
  for (const auto& r : cfg.rules) ruleSection(doc, c, r);
}

void playbooksSection(Doc& doc, const Context& c) {
  [[maybe_unused]] const Config& cfg = c.cfg;
  [[maybe_unused]] const actions::Registry& registry = c.registry;
  doc.heading(2, "3. Playbooks");
  for (const auto& [name, pb] : cfg.playbooks) {
    doc.heading(3, name);
    Line l{text("Defined in "), code(pb.file)};
    std::vector<std::string> users;
    for (const auto& r : cfg.rules)
      if (r.playbook == name) users.push_back(r.name);
    if (users.empty()) {
      l << text("; no rule runs it.");
    } else {
      l << text("; run by ") << codeList(users) << text(".");
    }
    if (pb.dry_run) {
      l << text(" Always a dry run (") << code("playbooks." + name + ".dry_run: true")
        << text(" in ") << code("riposte.yaml")
        << text("): every action plans and records what it would do and changes nothing.");
    }
    doc.para(std::move(l));
    if (const auto* o = pb.definition.if_object()) {
      if (auto cm = stringMember(*o, "Comment"); !cm.empty()) doc.para(line(cm));
    }
    doc.diagram(&pb.definition);
    std::vector<std::vector<Line>> rows;
    Graph g = buildGraph(pb.definition);
    for (int i : g.order) {
      const auto& s = *g.states[static_cast<std::size_t>(i)];
      std::vector<std::string> next;
      for (const auto& e : g.edges) {
        if (e.from != i) continue;
        std::string t = g.names[static_cast<std::size_t>(e.to)];
        if (e.kind == GEdge::Choice) t += " (if " + e.label + ")";
        if (e.kind == GEdge::Default) t += " (default)";
        if (e.kind == GEdge::Catch) t += " (" + e.label + ")";
        next.push_back(t);
      }
      if (next.empty()) next.push_back(stringMember(s, "Type") == "Fail" ? "end (failed)" : "end");
      rows.push_back({Line{strong(g.names[static_cast<std::size_t>(i)])},
                      line(stringMember(s, "Type")), line(joinStrings(next, "; "))});
    }
    doc.table({line("State"), line("Type"), line("Goes to")}, std::move(rows));
  }
}

void actionsSection(Doc& doc, const Context& c) {
  [[maybe_unused]] const Config& cfg = c.cfg;
  [[maybe_unused]] const actions::Registry& registry = c.registry;
  doc.heading(2, "4. Response actions used");
  doc.para(
      line("Every action is idempotent (it checks first and changes nothing when the "
           "resource is already in the wanted state), records what it found and what it "
           "changed (enough to undo it), refuses protected resources and only plans in dry "
           "run. Releasing an incident (POST /v1/incidents/{id}/release) runs the undo of "
           "each action from that record."));
  {
    std::vector<std::vector<Line>> rows;
    for (const auto& name : usedActions(c)) {
      // Built-ins are "riposte:<name>"; an integration's name is its resource.
      const std::string resource = startsWith(name, "arn:") ? name : "riposte:" + name;
      const actions::Descriptor& d = registry.find(resource)->descriptor();
      // The steps that run it, and the calls they make (a fallback only when a step opts in).
      std::vector<std::string> steps, calls;
      std::set<std::string> seen;
      for (const auto& [pbn, pb] : cfg.playbooks) {
        for (const auto& [sn, st] : tasksOf(pb.definition)) {
          const actions::Action* a = registry.find(stringMember(*st, "Resource"));
          if (!a || a->name() != name) continue;
          steps.push_back(pbn + "/" + sn);
          for (const auto& p : actions::permissionsFor(d, taskParameters(*st)))
            if (seen.insert(p.action).second) calls.push_back(p.action);
        }
      }
      rows.push_back({Line{code(resource)}, line(std::string(actions::roleName(d.role))),
                      line(d.description), codeList(calls), line(undoText(d, registry)),
                      codeList(steps)});
    }
    if (!rows.empty()) {
      doc.table({line("Action"), line("Role"), line("What it does"), line("IAM permissions"),
                 line("Undo"), line("Used by")},
                std::move(rows));
    }
  }
}

void notificationsSection(Doc& doc, const Context& c) {
  [[maybe_unused]] const Config& cfg = c.cfg;
  [[maybe_unused]] const actions::Registry& registry = c.registry;
  doc.heading(2, "5. Notifications");
  if (const auto* n = member(c.raw, "notifications"); n && n->is_object()) {
    doc.para(line("Notification targets (riposte.yaml notifications:), as written:"));
    doc.list(settingItems(*n));
  } else {
    doc.para(line("No notification target is configured in riposte.yaml (notifications:)."));
  }
  {
    std::vector<Item> who;
    for (const auto& r : cfg.rules) {
      auto it = cfg.playbooks.find(r.playbook);
      auto notes = notificationItems(c, it == cfg.playbooks.end() ? nullptr : &it->second);
      Item item{Line{code(r.name), text(notes.empty() ? ": no alert." : ":")}, std::move(notes)};
      who.push_back(std::move(item));
    }
    doc.para(line("Alerts per rule:"));
    doc.list(std::move(who));
  }
}

void siemSection(Doc& doc, const Context& c) {
  [[maybe_unused]] const Config& cfg = c.cfg;
  [[maybe_unused]] const actions::Registry& registry = c.registry;
  doc.heading(2, "6. Integration with SIEM");
  {
    // Every SIEM action the playbooks use, with the playbooks that use it.
    std::map<std::string, std::set<std::string>> siem;  // resource → playbooks
    for (const auto& [name, pb] : cfg.playbooks) {
      for (const auto& [state, t] : tasksOf(pb.definition)) {
        const std::string x = stringMember(*t, "Resource");
        if (isSiem(x, registry)) siem[x].insert(name);
      }
    }
    std::vector<Item> items;
    if (siem.empty()) {
      items.push_back(Item{line("No playbook records its response in a security system."), {}});
    }
    for (const auto& [resource, pbs] : siem) {
      items.push_back(Item{Line{code(resource), text(" (")}
                               << text(pbs.size() == 1 ? "playbook " : "playbooks ")
                               << codeList({pbs.begin(), pbs.end()})
                               << text("): " + registry.find(resource)->descriptor().description),
                           {}});
    }
    items.push_back(Item{Line{text("Audit log: every event, incident, execution step and action "
                                   "is recorded in the store and served by the HTTP API "
                                   "(GET /v1/incidents, GET /v1/executions/{id}). Store: ")}
                             << settingLine(member(c.raw, "store") ? *member(c.raw, "store")
                                                                   : json::value(cfg.store_url))
                             << text("."),
                         {}});
    if (const auto* s = sinksSetting(c.raw)) {
      Item it{line("SIEM sinks configured in riposte.yaml, fed from the audit log:"),
              settingItems(*s)};
      items.push_back(std::move(it));
    } else {
      items.push_back(Item{line("No other SIEM sink (Splunk HEC, syslog, JSON lines) is "
                                "configured in riposte.yaml."),
                           {}});
    }
    doc.list(std::move(items));
  }
}

void safetySection(Doc& doc, const Context& c) {
  [[maybe_unused]] const Config& cfg = c.cfg;
  [[maybe_unused]] const actions::Registry& registry = c.registry;
  doc.heading(2, "7. Safety settings");
  {
    const auto* safety = asObject(member(c.raw, "safety"));
    std::vector<Item> items;
    const json::value* dry = safety ? member(*safety, "dry_run") : nullptr;
    Line d{strong("Dry run"), text(": ")};
    if (dry) {
      d << settingLine(*dry);
    } else {
      d << code(cfg.safety.dry_run ? "true" : "false");
    }
    std::string def = dry ? settingDefault(dry) : (cfg.safety.dry_run ? "true" : "false");
    d << text(def == "true" ? ". On by default: " : ". When on, ");
    d << text("every action reads and records what it would do and changes nothing.");
    items.push_back(Item{std::move(d), {}});
    std::vector<std::string> dry_rules, dry_pbs;
    for (const auto& r : cfg.rules)
      if (r.dry_run) dry_rules.push_back(r.name);
    for (const auto& [n, pb] : cfg.playbooks)
      if (pb.dry_run) dry_pbs.push_back(n);
    Line dr{text("Rules always in dry run: ")};
    dr << (dry_rules.empty() ? line("none") : codeList(dry_rules)) << text("; playbooks: ")
       << (dry_pbs.empty() ? line("none") : codeList(dry_pbs)) << text(".");
    items.push_back(Item{std::move(dr), {}});
    const json::value* tag = safety ? member(*safety, "protected_tag") : nullptr;
    Line p{strong("Protected resources"), text(": resources tagged ")};
    if (tag) {
      p << settingLine(*tag);
    } else {
      p << code(cfg.safety.protected_tag_key + "=" + cfg.safety.protected_tag_value);
    }
    p << text(
        " are never modified: actions refuse them with ResourceProtected (the step fails "
        "and its Catch, if any, handles it).");
    items.push_back(Item{std::move(p), {}});
    if (safety) {
      json::object other;
      for (const auto& kv : *safety)
        if (kv.key() != "dry_run" && kv.key() != "protected_tag") other[kv.key()] = kv.value();
      if (!other.empty())
        items.push_back(Item{line("Other safety settings:"), settingItems(json::value(other))});
    }
    items.push_back(Item{line("Repeats: one execution per incident and playbook, so a finding "
                              "reported again changes nothing; every action checks the current "
                              "state before it changes it."),
                         {}});
    doc.list(std::move(items));
  }
  guardRailsSection(doc, c);
  threatIntelSection(doc, c);
}

void iamSection(Doc& doc, const Context& c) {
  doc.heading(2, "10. IAM permissions");
  // The settings as written, so that the document does not depend on this process'
  // environment: a ${VAR} topic shows as ${VAR}.
  auto opts = iamPolicyOptionsFor(c.cfg);
  IamPolicyOptions o = opts ? std::move(*opts) : IamPolicyOptions{};
  std::string topic_as_written;
  if (const auto* n = asObject(member(c.raw, "notifications"))) {
    if (const auto* v = member(*n, "sns_topic_arn"); v && v->is_string()) {
      topic_as_written = std::string(v->get_string());
      o.notify_topic_arn = topic_as_written;
      if (auto calls = engineCalls(c.cfg, topic_as_written)) o.engine_calls = std::move(*calls);
    }
  }
  if (const auto* aws = asObject(member(c.raw, "aws"))) {
    if (const auto* accounts = asObject(member(*aws, "accounts"))) {
      o.own_roles.clear();
      for (const auto& kv : *accounts) {
        if (const auto* a = kv.value().if_object()) {
          if (auto r = stringMember(*a, "role_arn"); !r.empty()) o.own_roles.push_back(r);
        }
      }
    }
  }
  std::map<std::string, json::value> playbooks;
  for (const auto& [name, pb] : c.cfg.playbooks) playbooks[name] = pb.definition;
  auto policy = iamPolicyFor(playbooks, c.registry, o);
  if (!policy) {
    doc.para(Line{code("riposte iam-policy --config " + c.label),
                  text(" refuses this configuration: " + policy.error().message + ".")});
    return;
  }
  Line l{text("The policy "), code("riposte iam-policy --config " + c.label),
         text(" prints: every permission the playbooks' steps need, and the ones the undo of "
              "their actions needs (release), each on the resources AWS lets it be scoped to. "
              "IAM changes are allowed only on users and roles without the protection tag ")};
  l << code(o.protected_tag_key + "=" + o.protected_tag_value)
    << text(" (tag riposte's own user or role with it), ") << code("iam:PassRole")
    << text(" only to EC2, ") << code("sns:Publish")
    << text(" only on the topics the playbooks publish to.");
  if (!o.engine_calls.empty()) {
    std::string what;
    for (const auto& e : o.engine_calls) what += (what.empty() ? "" : ", ") + e.what;
    l << text(
        " It also grants what riposte calls itself, outside the playbooks, on exactly the "
        "resources the configuration names: " +
        what + ".");
  }
  if (!o.own_roles.empty()) {
    l << text(" The roles riposte assumes (aws.accounts) are denied every IAM change (")
      << code("RiposteNeverOnItself") << text(").");
  }
  if (topic_as_written.find("${") != std::string::npos) {
    l << text(" ") << code(topic_as_written) << text(" stands for the value of ")
      << code("notifications.sns_topic_arn")
      << text(
             ", which riposte iam-policy expands (it refuses to print a policy while the "
             "setting is unset, rather than grant sns:Publish on every topic).");
  }
  doc.para(std::move(l));
  doc.codeBlock("json", toPrettyJson(policy->document) + "\n");
}

void reviewSection(Doc& doc, const Context& c) {
  [[maybe_unused]] const Config& cfg = c.cfg;
  [[maybe_unused]] const actions::Registry& registry = c.registry;
  doc.heading(2, "11. Review and update");
  {
    std::vector<Item> items;
    items.push_back(Item{Line{text("Configuration version: "), code(c.version),
                              text(" (SHA-256 of the configuration files)")},
                         {}});
    items.push_back(Item{line("Date: " + c.date), {}});
    std::vector<std::string> files;
    {
      std::error_code ec;
      if (!cfg.dir.empty() && fs::is_directory(cfg.dir, ec)) {
        if (fs::exists(fs::path(cfg.dir) / "riposte.yaml", ec)) files.push_back("riposte.yaml");
      }
      for (const auto& [n, pb] : cfg.playbooks) files.push_back(pb.file);
      std::set<std::string> seen;
      for (const auto& r : cfg.rules)
        if (seen.insert(r.file).second) files.push_back(r.file);
    }
    items.push_back(Item{Line{text("Files: ")} << codeList(files), {}});
    items.push_back(
        Item{line("Review these procedures quarterly (next review by " + plusMonths(c.date, 3) +
                  ") and whenever the threat picture or the configuration changes; "
                  "a change to the configuration changes its version, and this "
                  "document must be regenerated with it."),
             {}});
    items.push_back(Item{Line{text("Regenerate: "), code(c.command)}, {}});
    doc.list(std::move(items));
  }
}

bool validDate(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (!std::isdigit(static_cast<unsigned char>(d[i]))) return false;
  int m = std::stoi(d.substr(5, 2)), day = std::stoi(d.substr(8, 2));
  return m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

std::string plusMonths(const std::string& date, int months) {
  int y = std::stoi(date.substr(0, 4)), m = std::stoi(date.substr(5, 2)),
      d = std::stoi(date.substr(8, 2));
  m += months;
  while (m > 12) {
    m -= 12;
    ++y;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max_d = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  d = std::min(d, max_d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

}  // namespace riposte::runbook
