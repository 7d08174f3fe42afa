#include "runbook/steps.h"

#include <cstring>
#include <map>

#include "asl/visit.h"
#include "runbook/choice_words.h"
#include "runbook/playbook_graph.h"
#include "runbook/text.h"

namespace riposte::runbook {
namespace {

std::string iamPrefix(const std::string& sdk_service) {
  static const std::map<std::string, std::string> kPrefix = {
      {"sfn", "states"},
      {"cloudwatchlogs", "logs"},
      {"elasticloadbalancingv2", "elasticloadbalancing"},
      {"cloudwatch", "cloudwatch"},
      {"eventbridge", "events"},
      {"accessanalyzer", "access-analyzer"},
      {"inspector2", "inspector2"}};
  auto it = kPrefix.find(sdk_service);
  return it == kPrefix.end() ? sdk_service : it->second;
}

std::string pathNote(const std::string& path) {
  static const std::vector<std::pair<std::string, std::string>> kExact = {
      {"$.riposte.incidentId", "the incident id"},
      {"$.riposte.notify.snsTopicArn", "notifications.sns_topic_arn in riposte.yaml"},
      {"$.riposte.remoteIp", "the attacker's IP address riposte found in the finding"},
      {"$.riposte.dryRun", "whether this execution is a dry run"},
      {"$.riposte.rule", "the name of the rule that fired"},
      {"$.riposte.eventId", "the id of the event"},
      {"$.detail", "the finding"},
      {"$", "the whole input"},
      {"$.results", "the results of the earlier steps"}};
  for (const auto& [p, note] : kExact)
    if (path == p) return note;
  if (startsWith(path, "$.detail.")) return "from the finding";
  if (startsWith(path, "$.results.")) return "the result of an earlier step";
  if (startsWith(path, "$$.")) return "from the execution context";
  return "";
}

Line parametersLine(const json::value& params) {
  Line l;
  const auto* o = params.if_object();
  if (!o) {
    l << code(toJson(params));
    return l;
  }
  bool first = true;
  for (const auto& kv : *o) {
    if (!first) l << text("; ");
    first = false;
    std::string key(kv.key());
    if (endsWith(key, ".$") && kv.value().is_string()) {
      std::string path(kv.value().get_string());
      l << code(key.substr(0, key.size() - 2)) << text(" ← ") << code(path);
      if (auto note = pathNote(path); !note.empty()) l << text(" (" + note + ")");
    } else {
      l << code(key) << text(" = ") << code(toJson(kv.value()));
    }
  }
  if (first) l << text("none");
  return l;
}

std::string secondsText(double s) {
  json::value v(s);
  if (s == static_cast<double>(static_cast<int64_t>(s))) v = static_cast<int64_t>(s);
  return numberText(v) + " s";
}

std::string retrierWords(const json::object& r) {
  std::string errs = errorNames(member(r, "ErrorEquals"));
  double interval = 1, backoff = 2;
  int64_t attempts = 3;
  if (auto v =
          asNumber(member(r, "IntervalSeconds") ? *member(r, "IntervalSeconds") : json::value()))
    interval = *v;
  if (auto v = asNumber(member(r, "BackoffRate") ? *member(r, "BackoffRate") : json::value()))
    backoff = *v;
  if (auto v = asNumber(member(r, "MaxAttempts") ? *member(r, "MaxAttempts") : json::value()))
    attempts = static_cast<int64_t>(*v);
  std::string out = "on " + errs + ": ";
  if (attempts <= 0) return out + "not retried";
  out += "retried up to " + std::to_string(attempts) + (attempts == 1 ? " time" : " times") +
         ", first after " + secondsText(interval);
  if (backoff != 1) {
    json::value b(backoff);
    if (backoff == static_cast<double>(static_cast<int64_t>(backoff)))
      b = static_cast<int64_t>(backoff);
    out += ", each wait ×" + numberText(b) + " the previous";
  }
  if (const auto* m = member(r, "MaxDelaySeconds"); m && asNumber(*m))
    out += ", at most " + secondsText(*asNumber(*m)) + " apart";
  if (stringMember(r, "JitterStrategy") == "FULL") out += ", with full jitter";
  return out;
}

std::string resultPathWords(const json::object& s, const char* what) {
  const auto* rp = member(s, "ResultPath");
  if (!rp) return "";
  if (rp->is_null()) return std::string("discards ") + what + " (keeps its input)";
  if (rp->is_string()) {
    std::string p(rp->get_string());
    if (p == "$") return "";
    return std::string("stores ") + what + " at " + p;
  }
  return "";
}

void stateItems(const json::object& s, const std::string& name, const actions::Registry& registry,
                Item& item);

}  // namespace

std::string undoText(const actions::Descriptor& d, const actions::Registry& registry) {
  if (!d.undo.empty()) return "release runs riposte:" + d.undo + ", which " + d.undo_note;
  if (auto of = registry.undoOf(d.name); !of.empty())
    return "it is the undo of riposte:" + of + "; release never undoes it.";
  return d.undo_note;
}

TaskInfo taskInfo(const std::string& resource_in, const json::object* parameters,
                  const actions::Registry& registry) {
  TaskInfo t;
  std::string resource = resource_in;
  for (const char* suffix : {".waitForTaskToken", ".sync:2", ".sync"}) {
    if (endsWith(resource, suffix)) resource = resource.substr(0, resource.size() - strlen(suffix));
  }
  // Every registered resource (built-ins and the aws-sdk / sns:publish integrations) is
  // described by its action's descriptor.
  if (const actions::Action* a = registry.find(resource)) {
    const actions::Descriptor& d = a->descriptor();
    t.kind = startsWith(resource, "riposte:") ? "action" : "integration";
    t.action = a;
    t.what = d.description;
    t.permissions = actions::actionsOf(actions::permissionsFor(d, parameters));
    t.undo = undoText(d, registry);
    return t;
  }
  if (startsWith(resource, "riposte:")) {
    t.kind = "unknown";
    t.what = "Runs " + resource + ", which is not a registered action.";
    t.undo = "not undone: riposte does not know this action.";
    return t;
  }
  // Resources riposte cannot run (a playbook that uses one does not validate): described from
  // their Step Functions name, for a runbook of a configuration that is being written.
  constexpr std::string_view kSdk = "arn:aws:states:::aws-sdk:";
  constexpr std::string_view kStates = "arn:aws:states:::";
  if (startsWith(resource, kSdk)) {
    std::string rest = resource.substr(kSdk.size());
    auto colon = rest.find(':');
    std::string svc = rest.substr(0, colon);
    std::string api = colon == std::string::npos ? "" : capitalize(rest.substr(colon + 1));
    t.kind = "aws-sdk";
    t.what = "Calls the AWS API " + svc + " " + api + " directly (an AWS SDK integration).";
    t.permissions = {iamPrefix(svc) + ":" + api};
    t.undo =
        "not undone by riposte: a direct AWS call records no state to restore; undo it by "
        "hand if it changed anything.";
    return t;
  }
  if (startsWith(resource, kStates)) {
    std::string rest = resource.substr(kStates.size());
    auto colon = rest.find(':');
    std::string svc = rest.substr(0, colon);
    std::string api = colon == std::string::npos ? "" : rest.substr(colon + 1);
    t.kind = "integration";
    if (svc == "lambda" && api == "invoke") {
      t.what = "Invokes a Lambda function.";
      t.permissions = {"lambda:InvokeFunction"};
    } else {
      t.what = "Calls " + svc + " " + capitalize(api) + " (an optimized integration).";
      t.permissions = {iamPrefix(svc) + ":" + capitalize(api)};
    }
    t.undo = "not undone by riposte (undo it by hand if it changed anything).";
    return t;
  }
  t.kind = "unknown";
  t.what = "Runs " + resource + ".";
  t.undo = "not undone: riposte does not know this resource.";
  return t;
}

std::vector<std::pair<std::string, const json::object*>> tasksOf(const json::value& definition) {
  std::vector<std::pair<std::string, const json::object*>> out;
  asl::forEachState(definition, [&](const asl::VisitedState& s) {
    if (s.type == "Task") out.emplace_back(std::string(s.name), s.state);
  });
  return out;
}

std::vector<Item> stateListItems(const json::value& definition, const actions::Registry& registry) {
  std::vector<Item> items;
  Graph g = buildGraph(definition);
  for (int i : g.order) {
    Item it;
    stateItems(*g.states[static_cast<std::size_t>(i)], g.names[static_cast<std::size_t>(i)],
               registry, it);
    items.push_back(std::move(it));
  }
  return items;
}

namespace {

void stateItems(const json::object& s, const std::string& name, const actions::Registry& registry,
                Item& item) {
  const std::string type = stringMember(s, "Type");
  item.line << strong(name) << text(" (" + type + ")");
  std::string comment = stringMember(s, "Comment");
  if (!comment.empty()) item.line << text(": " + comment);
  auto kid = [&](Line l) { item.kids.push_back(Item{std::move(l), {}}); };

  if (type == "Task") {
    std::string resource = stringMember(s, "Resource");
    TaskInfo t = taskInfo(resource, taskParameters(s), registry);
    kid(Line{text("Runs "), code(resource), text(": " + t.what)});
    for (const char* key : {"Parameters", "Arguments"}) {
      if (const auto* p = member(s, key)) kid(Line{text("Input: ")} << parametersLine(*p));
    }
    if (!t.permissions.empty()) {
      kid(Line{text("AWS calls (IAM permissions): ")} << codeList(t.permissions));
    } else {
      kid(line("AWS calls: none"));
    }
    kid(Line{text("Undo: " + t.undo)});
    if (const auto* ts = member(s, "TimeoutSeconds"); ts && asNumber(*ts))
      kid(line("Times out after " + secondsText(*asNumber(*ts)) + " (States.Timeout)."));
  } else if (type == "Pass") {
    if (const auto* r = member(s, "Result")) {
      const auto* rp = member(s, "ResultPath");
      std::string at = rp && rp->is_string() ? std::string(rp->get_string()) : "$";
      kid(Line{text("Sets "), code(at), text(" to "), code(toJson(*r)), text(".")});
    } else if (const auto* p = member(s, "Parameters")) {
      kid(Line{text("Reshapes its input: ")} << parametersLine(*p));
    } else {
      kid(line("Passes its input on unchanged."));
    }
  } else if (type == "Choice") {
    if (const auto* cs = member(s, "Choices"); cs && cs->is_array()) {
      for (const auto& c : cs->get_array()) {
        const auto* co = c.if_object();
        if (!co) continue;
        kid(Line{text("If " + describeChoiceRule(c) + " → "), strong(stringMember(*co, "Next"))});
      }
    }
    if (const auto* d = member(s, "Default"); d && d->is_string()) {
      kid(Line{text("Otherwise (Default) → "), strong(std::string(d->get_string()))});
    } else {
      kid(line("Otherwise the execution fails with States.NoChoiceMatched."));
    }
  } else if (type == "Wait") {
    if (const auto* v = member(s, "Seconds"); v && asNumber(*v)) {
      kid(line("Waits " + secondsText(*asNumber(*v)) + "."));
    } else if (const auto* v = member(s, "Timestamp")) {
      kid(Line{text("Waits until "), code(valueText(*v)), text(".")});
    } else if (const auto* v = member(s, "SecondsPath")) {
      kid(Line{text("Waits the number of seconds at "), code(valueText(*v)), text(".")});
    } else if (const auto* v = member(s, "TimestampPath")) {
      kid(Line{text("Waits until the time at "), code(valueText(*v)), text(".")});
    }
  } else if (type == "Succeed") {
    kid(line("Ends the execution successfully."));
  } else if (type == "Fail") {
    Line l{text("Ends the execution as failed")};
    if (auto e = stringMember(s, "Error"); !e.empty()) l << text(" with error ") << code(e);
    std::string cause = stringMember(s, "Cause");
    if (!cause.empty()) l << text(": " + cause);
    if (cause.empty() || (cause.back() != '.' && cause.back() != '!' && cause.back() != '?'))
      l << text(".");
    kid(std::move(l));
  } else if (type == "Parallel") {
    const std::vector<const json::value*> branches = asl::nestedStateLists(s);
    kid(line("Runs " + std::to_string(branches.size()) +
             " branches at the same time and continues when all "
             "have finished (a failed branch fails the state):"));
    for (std::size_t i = 0; i < branches.size(); ++i) {
      Item br{line("Branch " + std::to_string(i + 1) + ":"),
              stateListItems(*branches[i], registry)};
      item.kids.push_back(std::move(br));
    }
  } else if (type == "Map") {
    std::string items = stringMember(s, "ItemsPath", "$");
    Line l{text("For each item of "), code(items)};
    if (const auto* mc = member(s, "MaxConcurrency"); mc && asNumber(*mc) && *asNumber(*mc) > 0)
      l << text(" (at most " + numberText(*mc) + " at a time)");
    l << text(", runs:");
    const std::vector<const json::value*> procs = asl::nestedStateLists(s);
    Item m{std::move(l), procs.empty() ? std::vector<Item>{} : stateListItems(*procs[0], registry)};
    item.kids.push_back(std::move(m));
  }

  if (type != "Pass") {
    if (auto w = resultPathWords(s, "its result"); !w.empty()) kid(line(capitalize(w) + "."));
  }
  if (const auto* op = member(s, "OutputPath"); op && op->is_string() && op->get_string() != "$")
    kid(Line{text("Its output is "), code(std::string(op->get_string())), text(".")});
  if (const auto* rs = member(s, "Retry"); rs && rs->is_array()) {
    for (const auto& r : rs->get_array())
      if (r.is_object()) kid(line("Retry: " + retrierWords(r.get_object()) + "."));
  }
  if (const auto* cs = member(s, "Catch"); cs && cs->is_array()) {
    for (const auto& c : cs->get_array()) {
      const auto* co = c.if_object();
      if (!co) continue;
      std::string errs = errorNames(member(*co, "ErrorEquals"));
      std::string what = errs == "States.ALL" ? "any error (States.ALL)" : errs;
      std::string rp = resultPathWords(*co, "the error");
      Line l{text("On " + what + ": ")};
      if (!rp.empty()) l << text(rp + " and ");
      l << text("continues at ") << strong(stringMember(*co, "Next")) << text(".");
      kid(std::move(l));
    }
  }
  if (type != "Choice" && type != "Succeed" && type != "Fail") {
    if (const auto* n = member(s, "Next"); n && n->is_string()) {
      kid(Line{text("Then → "), strong(std::string(n->get_string()))});
    } else if (const auto* e = member(s, "End"); e && e->is_bool() && e->get_bool()) {
      kid(line("Then the execution ends successfully."));
    }
  }
}

}  // namespace
}  // namespace riposte::runbook
