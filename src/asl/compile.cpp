// Validation and compilation of a definition into the Machine model.
#include <cctype>
#include <cmath>
#include <set>

#include "asl/asl.h"
#include "asl/model.h"

namespace riposte::asl {

const char* typeName(StateType t) {
  switch (t) {
    case StateType::Task:
      return "Task";
    case StateType::Pass:
      return "Pass";
    case StateType::Choice:
      return "Choice";
    case StateType::Wait:
      return "Wait";
    case StateType::Succeed:
      return "Succeed";
    case StateType::Fail:
      return "Fail";
    case StateType::Parallel:
      return "Parallel";
    case StateType::Map:
      return "Map";
  }
  return "?";
}

namespace {

const std::set<std::string, std::less<>> kComparisons = {"StringEquals",
                                                         "StringEqualsPath",
                                                         "StringLessThan",
                                                         "StringLessThanPath",
                                                         "StringGreaterThan",
                                                         "StringGreaterThanPath",
                                                         "StringLessThanEquals",
                                                         "StringLessThanEqualsPath",
                                                         "StringGreaterThanEquals",
                                                         "StringGreaterThanEqualsPath",
                                                         "StringMatches",
                                                         "NumericEquals",
                                                         "NumericEqualsPath",
                                                         "NumericLessThan",
                                                         "NumericLessThanPath",
                                                         "NumericGreaterThan",
                                                         "NumericGreaterThanPath",
                                                         "NumericLessThanEquals",
                                                         "NumericLessThanEqualsPath",
                                                         "NumericGreaterThanEquals",
                                                         "NumericGreaterThanEqualsPath",
                                                         "BooleanEquals",
                                                         "BooleanEqualsPath",
                                                         "TimestampEquals",
                                                         "TimestampEqualsPath",
                                                         "TimestampLessThan",
                                                         "TimestampLessThanPath",
                                                         "TimestampGreaterThan",
                                                         "TimestampGreaterThanPath",
                                                         "TimestampLessThanEquals",
                                                         "TimestampLessThanEqualsPath",
                                                         "TimestampGreaterThanEquals",
                                                         "TimestampGreaterThanEqualsPath",
                                                         "IsNull",
                                                         "IsPresent",
                                                         "IsNumeric",
                                                         "IsString",
                                                         "IsBoolean",
                                                         "IsTimestamp"};

const std::set<std::string, std::less<>> kKnownErrors = {"States.ALL",
                                                         "States.HeartbeatTimeout",
                                                         "States.Timeout",
                                                         "States.TaskFailed",
                                                         "States.Permissions",
                                                         "States.ResultPathMatchFailure",
                                                         "States.ParameterPathFailure",
                                                         "States.BranchFailed",
                                                         "States.NoChoiceMatched",
                                                         "States.IntrinsicFailure",
                                                         "States.ExceedToleratedFailureThreshold",
                                                         "States.ItemReaderFailed",
                                                         "States.ResultWriterFailed",
                                                         "States.Runtime",
                                                         "States.DataLimitExceeded",
                                                         "States.QueryEvaluationError"};

// The HTTP Task's errors (arn:aws:states:::http:invoke): "States.Http.Socket" and
// "States.Http.StatusCode.NNN" for a status code 100 to 599.
bool httpErrorName(std::string_view e) {
  if (e == "States.Http.Socket") return true;
  constexpr std::string_view kStatus = "States.Http.StatusCode.";
  if (!e.starts_with(kStatus)) return false;
  std::string_view n = e.substr(kStatus.size());
  return n.size() == 3 && n[0] >= '1' && n[0] <= '5' &&
         std::isdigit(static_cast<unsigned char>(n[1])) &&
         std::isdigit(static_cast<unsigned char>(n[2]));
}

std::set<std::string, std::less<>> allowedFields(StateType t) {
  std::set<std::string, std::less<>> f = {"Type", "Comment", "QueryLanguage"};
  auto add = [&](std::initializer_list<const char*> l) {
    for (auto* s : l) f.insert(s);
  };
  switch (t) {
    case StateType::Task:
      add({"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
           "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
           "HeartbeatSecondsPath", "Credentials", "Assign", "Arguments", "Output"});
      break;
    case StateType::Pass:
      add({"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign",
           "Output"});
      break;
    case StateType::Choice:
      add({"InputPath", "OutputPath", "Choices", "Default", "Assign", "Output"});
      break;
    case StateType::Wait:
      add({"Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath",
           "TimestampPath", "Assign", "Output"});
      break;
    case StateType::Succeed:
      add({"InputPath", "OutputPath", "Output"});
      break;
    case StateType::Fail:
      add({"Error", "Cause", "ErrorPath", "CausePath"});
      break;
    case StateType::Parallel:
      add({"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
           "Retry", "Catch", "Branches", "Assign", "Arguments", "Output"});
      break;
    case StateType::Map:
      add({"Next",
           "End",
           "InputPath",
           "OutputPath",
           "ResultPath",
           "Parameters",
           "ResultSelector",
           "Retry",
           "Catch",
           "Iterator",
           "ItemProcessor",
           "ItemsPath",
           "ItemSelector",
           "MaxConcurrency",
           "MaxConcurrencyPath",
           "ToleratedFailurePercentage",
           "ToleratedFailurePercentagePath",
           "ToleratedFailureCount",
           "ToleratedFailureCountPath",
           "ItemReader",
           "ResultWriter",
           "ItemBatcher",
           "Label",
           "Items",
           "Assign",
           "Arguments",
           "Output"});
      break;
  }
  return f;
}

const std::set<std::string, std::less<>> kJsonPathOnly = {"InputPath",
                                                          "OutputPath",
                                                          "ResultPath",
                                                          "Parameters",
                                                          "ResultSelector",
                                                          "ItemsPath",
                                                          "SecondsPath",
                                                          "TimestampPath",
                                                          "TimeoutSecondsPath",
                                                          "HeartbeatSecondsPath",
                                                          "ErrorPath",
                                                          "CausePath",
                                                          "MaxConcurrencyPath",
                                                          "ToleratedFailurePercentagePath",
                                                          "ToleratedFailureCountPath",
                                                          "Result"};
const std::set<std::string, std::less<>> kJsonataOnly = {"Arguments", "Output", "Items"};

bool isJsonataExpr(const json::value& v) {
  if (!v.is_string()) return false;
  std::string_view s = v.get_string();
  return s.size() >= 4 && s.starts_with("{%") && s.ends_with("%}");
}

bool isNonNegInt(const json::value& v) {
  if (v.is_int64()) return v.get_int64() >= 0;
  if (v.is_uint64()) return true;
  if (v.is_double()) return v.get_double() >= 0 && v.get_double() == std::floor(v.get_double());
  return false;
}

constexpr std::string_view kWaitForTaskToken = ".waitForTaskToken";
constexpr std::string_view kApprovalResource = "riposte:approval";

// Whether a path yields the task token when evaluated: "$$", "$$.Task", "$$.Task.Token" and
// their bracketed spellings (evaluated against a probe Context object, so every spelling the
// JSONPath engine accepts counts).
bool pathPassesToken(const JsonPath& p) {
  if (p.root() != JsonPath::Root::Context) return false;
  static constexpr std::string_view kProbe = "riposte-task-token-probe";
  static const json::value probe = [] {
    json::object task;
    task["Token"] = json::string(kProbe);
    json::object c;
    c["Task"] = std::move(task);
    return json::value(std::move(c));
  }();
  const json::value input = json::object();
  Scope sc(
      input, [] { return probe; }, nullptr);
  auto v = resolvePath(p, sc);
  return v && toJson(*v).find(kProbe) != std::string::npos;
}

bool callPassesToken(const IntrinsicCall& c) {
  for (const auto& a : c.args) {
    if (a.kind == IntrinsicArg::Path && pathPassesToken(a.path)) return true;
    if (a.kind == IntrinsicArg::Call && a.call && callPassesToken(*a.call)) return true;
  }
  return false;
}

// JSONPath Parameters: some "key.$" field (at any depth) is a path or an intrinsic function
// that passes the token.
bool parametersPassToken(const json::value& v) {
  if (v.is_array()) {
    for (const auto& e : v.get_array())
      if (parametersPassToken(e)) return true;
    return false;
  }
  if (!v.is_object()) return false;
  for (const auto& kv : v.get_object()) {
    if (kv.key().ends_with(".$") && kv.value().is_string()) {
      auto d = DynamicValue::compile(std::string(kv.value().get_string()));
      if (d && (d->is_call ? callPassesToken(d->call) : pathPassesToken(d->path))) return true;
    } else if (parametersPassToken(kv.value())) {
      return true;
    }
  }
  return false;
}

// JSONata Arguments: some "{% … %}" expression reads $states.context, $states.context.Task or
// $states.context.Task.Token.
bool argumentsPassToken(const json::value& v) {
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (v.is_string()) {
    std::string_view t = v.get_string();
    if (!(t.size() >= 4 && t.starts_with("{%") && t.ends_with("%}"))) return false;
    constexpr std::string_view kCtx = "$states.context";
    for (std::size_t at = t.find(kCtx); at != std::string_view::npos; at = t.find(kCtx, at + 1)) {
      std::string_view rest = t.substr(at + kCtx.size());
      if (rest.empty() || (rest[0] != '.' && !ident(rest[0]))) return true;  // all of it
      if (!rest.starts_with(".Task")) continue;
      rest.remove_prefix(5);
      if (rest.empty() || (rest[0] != '.' && !ident(rest[0]))) return true;  // Task
      if (rest.starts_with(".Token") && (rest.size() == 6 || !ident(rest[6]))) return true;
    }
    return false;
  }
  if (v.is_array()) {
    for (const auto& e : v.get_array())
      if (argumentsPassToken(e)) return true;
  } else if (v.is_object()) {
    for (const auto& kv : v.get_object())
      if (argumentsPassToken(kv.value())) return true;
  }
  return false;
}

class Compiler {
 public:
  explicit Compiler(const std::function<bool(std::string_view)>& known) : known_(known) {}

  std::vector<Diagnostic> diags;

  void diag(const std::string& path, const std::string& msg) { diags.push_back({path, msg}); }

  std::unique_ptr<Machine> machine(const json::value& def) {
    auto m = std::make_unique<Machine>();
    if (!def.is_object()) {
      diag("$", "a state machine definition must be a JSON object");
      return m;
    }
    const auto& o = def.get_object();
    static const std::set<std::string, std::less<>> kTop = {
        "StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"};
    for (const auto& kv : o)
      if (!kTop.count(kv.key()))
        diag("$." + std::string(kv.key()), "field is not supported at the top level");
    if (auto* v = o.if_contains("Version")) {
      if (!v->is_string() || v->get_string() != "1.0") diag("$.Version", "must be \"1.0\"");
    }
    if (auto* v = o.if_contains("TimeoutSeconds")) {
      if (!isNonNegInt(*v) || v->to_number<double>() <= 0)
        diag("$.TimeoutSeconds", "must be a positive integer");
      else
        m->timeout_seconds = v->to_number<double>();
    }
    m->jsonata = queryLanguage(o, "$", false);
    stateList(def, "$", m->jsonata, m->top);
    return m;
  }

 private:
  bool queryLanguage(const json::object& o, const std::string& path, bool inherited) {
    auto* v = o.if_contains("QueryLanguage");
    if (!v) return inherited;
    if (!v->is_string() || (v->get_string() != "JSONPath" && v->get_string() != "JSONata")) {
      diag(path + ".QueryLanguage", "must be \"JSONPath\" or \"JSONata\"");
      return inherited;
    }
    if (inherited && v->get_string() == "JSONPath")
      diag(path + ".QueryLanguage", "a JSONata state machine cannot contain JSONPath states");
    return v->get_string() == "JSONata";
  }

  void stateList(const json::value& def, const std::string& path, bool jsonata, StateList& out) {
    if (!def.is_object()) {
      diag(path, "must be an object with StartAt and States");
      return;
    }
    const auto& o = def.get_object();
    const json::value* start = o.if_contains("StartAt");
    const json::value* states = o.if_contains("States");
    if (!states || !states->is_object()) {
      diag(path + ".States", "is required and must be an object");
      return;
    }
    if (states->get_object().empty()) diag(path + ".States", "must contain at least one state");
    int i = 0;
    for (const auto& kv : states->get_object()) {
      State s;
      s.name = std::string(kv.key());
      if (s.name.empty() || s.name.size() > 80)
        diag(path + ".States", "state name '" + s.name + "' must be 1 to 80 characters long");
      out.index[s.name] = i++;
      out.states.push_back(std::move(s));
    }
    if (!start || !start->is_string()) {
      diag(path + ".StartAt", "is required and must be a string");
    } else {
      out.start = out.find(start->get_string());
      if (out.start < 0) {
        diag(path + ".StartAt",
             "refers to a state that does not exist: '" + std::string(start->get_string()) + "'");
        out.start = 0;
      }
    }
    for (const auto& kv : states->get_object()) {
      std::string sp = path + ".States." + std::string(kv.key());
      state(kv.value(), sp, jsonata, out, out.states[out.find(kv.key())]);
    }
    // Reachability from StartAt.
    if (out.states.empty() || !start || !start->is_string()) return;
    std::vector<bool> seen(out.states.size(), false);
    std::vector<int> worklist{out.start};
    while (!worklist.empty()) {
      int k = worklist.back();
      worklist.pop_back();
      if (k < 0 || seen[k]) continue;
      seen[k] = true;
      const State& s = out.states[k];
      worklist.push_back(s.next);
      worklist.push_back(s.default_next);
      for (const auto& c : s.catchers) worklist.push_back(c.next);
      for (const auto& c : s.choices) worklist.push_back(c.next);
    }
    for (std::size_t k = 0; k < seen.size(); ++k)
      if (!seen[k])
        diag(path + ".States." + out.states[k].name, "state is not reachable from StartAt");
  }

  int target(const json::value* v, const std::string& path, const StateList& list) {
    if (!v || !v->is_string()) {
      diag(path, "must be the name of a state");
      return -1;
    }
    int t = list.find(v->get_string());
    if (t < 0)
      diag(path, "refers to a state that does not exist: '" + std::string(v->get_string()) + "'");
    return t;
  }

  void ioPath(const json::object& o, const char* field, const std::string& path, IoPath& out) {
    auto* v = o.if_contains(field);
    if (!v) return;
    if (v->is_null()) {
      out.mode = IoPath::Null;
      return;
    }
    if (!v->is_string()) {
      diag(path + "." + field, "must be a JSONPath string or null");
      return;
    }
    auto p = JsonPath::parse(v->get_string());
    if (!p) {
      diag(path + "." + field, p.error().message);
      return;
    }
    out.mode = IoPath::Path;
    out.path = std::move(*p);
  }

  void resultPath(const json::value* v, const std::string& path, ResultPathSpec& out) {
    if (!v) return;
    if (v->is_null()) {
      out.mode = ResultPathSpec::Discard;
      return;
    }
    if (!v->is_string()) {
      diag(path, "must be a Reference Path string or null");
      return;
    }
    auto p = JsonPath::parse(v->get_string());
    if (!p) {
      diag(path, p.error().message);
      return;
    }
    if (!p->isReference() || p->root() != JsonPath::Root::Input) {
      diag(path, "must be a Reference Path ('$', '$.a.b', '$.a[0]')");
      return;
    }
    if (p->isRootOnly()) {
      out.mode = ResultPathSpec::Replace;
      return;
    }
    out.mode = ResultPathSpec::Path;
    out.path = std::move(*p);
  }

  std::optional<JsonPath> path(const json::value* v, const std::string& where,
                               bool reference = false) {
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      diag(where, "must be a JSONPath string");
      return std::nullopt;
    }
    auto p = JsonPath::parse(v->get_string());
    if (!p) {
      diag(where, p.error().message);
      return std::nullopt;
    }
    if (reference && !p->isReference()) {
      diag(where, "must be a Reference Path");
      return std::nullopt;
    }
    return std::move(*p);
  }

  std::optional<Template> tmpl(const json::value* v, const std::string& where, State* s,
                               bool must_be_object = false) {
    if (!v) return std::nullopt;
    if (must_be_object && !v->is_object()) {
      diag(where, "must be an object");
      return std::nullopt;
    }
    std::vector<Error> errors;
    auto t = Template::compile(*v, where, &errors);
    if (!t) {
      for (const auto& e : errors) diag(e.code, e.message);
      return std::nullopt;
    }
    if (s && t->usesContext()) s->uses_context = true;
    return std::move(*t);
  }

  std::shared_ptr<const JTemplate> jt(const json::value* v, const std::string& where) {
    if (!v) return nullptr;
    auto t = JTemplate::compile(*v, where);
    if (!t) {
      diag(where, t.error().message);
      return nullptr;
    }
    return *t;
  }

  void errorList(const json::value* v, const std::string& where, std::vector<std::string>& out,
                 bool last) {
    if (!v || !v->is_array() || v->get_array().empty()) {
      diag(where, "must be a non-empty array of error names");
      return;
    }
    const auto& a = v->get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_string()) {
        diag(where + "[" + std::to_string(i) + "]", "must be a string");
        continue;
      }
      std::string e(a[i].get_string());
      if (e.starts_with("States.") && !kKnownErrors.count(e) && !httpErrorName(e))
        diag(where + "[" + std::to_string(i) + "]", "unknown States error name '" + e + "'");
      if (e == "States.ALL") {
        if (a.size() != 1)
          diag(where, "\"States.ALL\" must appear alone in ErrorEquals");
        else if (!last)
          diag(where, "a retrier or catcher with \"States.ALL\" must be the last one");
      }
      out.push_back(std::move(e));
    }
  }

  void retriers(const json::object& o, const std::string& sp, State& s) {
    auto* v = o.if_contains("Retry");
    if (!v) return;
    if (!v->is_array()) {
      diag(sp + ".Retry", "must be an array");
      return;
    }
    const auto& a = v->get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::string rp = sp + ".Retry[" + std::to_string(i) + "]";
      if (!a[i].is_object()) {
        diag(rp, "must be an object");
        continue;
      }
      const auto& r = a[i].get_object();
      static const std::set<std::string, std::less<>> kF = {
          "ErrorEquals",     "IntervalSeconds", "MaxAttempts", "BackoffRate",
          "MaxDelaySeconds", "JitterStrategy",  "Comment"};
      for (const auto& kv : r)
        if (!kF.count(kv.key())) diag(rp + "." + std::string(kv.key()), "field is not supported");
      Retrier rt;
      errorList(r.if_contains("ErrorEquals"), rp + ".ErrorEquals", rt.errors, i + 1 == a.size());
      if (auto* x = r.if_contains("IntervalSeconds")) {
        if (!isNonNegInt(*x) || x->to_number<double>() < 1 || x->to_number<double>() > 99999999)
          diag(rp + ".IntervalSeconds", "must be a positive integer");
        else
          rt.interval = x->to_number<double>();
      }
      if (auto* x = r.if_contains("MaxAttempts")) {
        if (!isNonNegInt(*x) || x->to_number<double>() > 99999999)
          diag(rp + ".MaxAttempts", "must be a non-negative integer");
        else
          rt.max_attempts = static_cast<int>(x->to_number<double>());
      }
      if (auto* x = r.if_contains("BackoffRate")) {
        if (!x->is_number() || x->to_number<double>() < 1.0)
          diag(rp + ".BackoffRate", "must be a number greater than or equal to 1.0");
        else
          rt.backoff = x->to_number<double>();
      }
      if (auto* x = r.if_contains("MaxDelaySeconds")) {
        if (!isNonNegInt(*x) || x->to_number<double>() < 1 || x->to_number<double>() > 31622400)
          diag(rp + ".MaxDelaySeconds", "must be a positive integer");
        else
          rt.max_delay = x->to_number<double>();
      }
      if (auto* x = r.if_contains("JitterStrategy")) {
        if (!x->is_string() || (x->get_string() != "FULL" && x->get_string() != "NONE"))
          diag(rp + ".JitterStrategy", "must be \"FULL\" or \"NONE\"");
        else
          rt.full_jitter = x->get_string() == "FULL";
      }
      s.retry.push_back(std::move(rt));
    }
  }

  void catchers(const json::object& o, const std::string& sp, State& s, const StateList& list) {
    auto* v = o.if_contains("Catch");
    if (!v) return;
    if (!v->is_array()) {
      diag(sp + ".Catch", "must be an array");
      return;
    }
    const auto& a = v->get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::string cp = sp + ".Catch[" + std::to_string(i) + "]";
      if (!a[i].is_object()) {
        diag(cp, "must be an object");
        continue;
      }
      const auto& c = a[i].get_object();
      static const std::set<std::string, std::less<>> kF = {"ErrorEquals", "Next",   "ResultPath",
                                                            "Comment",     "Assign", "Output"};
      for (const auto& kv : c)
        if (!kF.count(kv.key())) diag(cp + "." + std::string(kv.key()), "field is not supported");
      Catcher ct;
      errorList(c.if_contains("ErrorEquals"), cp + ".ErrorEquals", ct.errors, i + 1 == a.size());
      ct.next = target(c.if_contains("Next"), cp + ".Next", list);
      if (s.jsonata) {
        if (c.if_contains("ResultPath"))
          diag(cp + ".ResultPath", "is not supported in JSONata states");
        ct.jassign = jt(c.if_contains("Assign"), cp + ".Assign");
        ct.joutput = jt(c.if_contains("Output"), cp + ".Output");
      } else {
        resultPath(c.if_contains("ResultPath"), cp + ".ResultPath", ct.result_path);
        ct.assign = tmpl(c.if_contains("Assign"), cp + ".Assign", &s, true);
        if (c.if_contains("Output")) diag(cp + ".Output", "is only supported in JSONata states");
      }
      s.catchers.push_back(std::move(ct));
    }
  }

  bool condition(const json::value& v, const std::string& cp, bool top, Cond& out,
                 const StateList& list, bool jsonata, State& s) {
    if (!v.is_object()) {
      diag(cp, "must be an object");
      return false;
    }
    const auto& o = v.get_object();
    if (top) {
      out.next = target(o.if_contains("Next"), cp + ".Next", list);
      if (jsonata) {
        out.jassign = jt(o.if_contains("Assign"), cp + ".Assign");
        out.joutput = jt(o.if_contains("Output"), cp + ".Output");
      } else {
        out.assign = tmpl(o.if_contains("Assign"), cp + ".Assign", &s, true);
      }
    } else if (o.if_contains("Next")) {
      diag(cp + ".Next", "only top-level Choice rules may have Next");
    }
    if (jsonata) {
      auto* c = o.if_contains("Condition");
      if (!c) {
        diag(cp, "a JSONata Choice rule needs a Condition");
        return false;
      }
      out.kind = Cond::Jsonata;
      out.condition = jt(c, cp + ".Condition");
      for (const auto& kv : o)
        if (kv.key() != "Condition" && kv.key() != "Next" && kv.key() != "Comment" &&
            kv.key() != "Assign" && kv.key() != "Output")
          diag(cp + "." + std::string(kv.key()), "field is not supported in a JSONata rule");
      return true;
    }
    std::vector<std::string> ops;
    for (const auto& kv : o) {
      std::string k(kv.key());
      if (k == "Next" || k == "Comment" || k == "Variable" || k == "Assign") continue;
      if (k == "And" || k == "Or" || k == "Not" || kComparisons.count(k))
        ops.push_back(k);
      else
        diag(cp + "." + k, "is not a Choice rule field");
    }
    if (ops.size() != 1) {
      diag(cp, ops.empty() ? "a Choice rule needs exactly one comparison operator, And, Or or Not"
                           : "a Choice rule may have only one comparison operator");
      return false;
    }
    const std::string& op = ops[0];
    const json::value& arg = o.at(op);
    if (op == "And" || op == "Or") {
      out.kind = op == "And" ? Cond::And : Cond::Or;
      if (!arg.is_array() || arg.get_array().empty()) {
        diag(cp + "." + op, "must be a non-empty array of rules");
        return false;
      }
      std::size_t i = 0;
      for (const auto& e : arg.get_array()) {
        Cond k;
        if (condition(e, cp + "." + op + "[" + std::to_string(i++) + "]", false, k, list, jsonata,
                      s))
          out.kids.push_back(std::move(k));
      }
      if (o.if_contains("Variable")) diag(cp + ".Variable", "not allowed with " + op);
      return true;
    }
    if (op == "Not") {
      out.kind = Cond::Not;
      Cond k;
      if (condition(arg, cp + ".Not", false, k, list, jsonata, s)) out.kids.push_back(std::move(k));
      if (o.if_contains("Variable")) diag(cp + ".Variable", "not allowed with Not");
      return true;
    }
    out.kind = Cond::Compare;
    out.op = op;
    {
      std::string_view b(op);
      if (b.ends_with("Path")) b.remove_suffix(4);
      static const std::pair<const char*, Cond::Family> kFamilies[] = {
          {"IsNull", Cond::IsNull},
          {"IsPresent", Cond::IsPresent},
          {"IsNumeric", Cond::IsNumeric},
          {"IsString", Cond::IsString},
          {"IsBoolean", Cond::IsBoolean},
          {"IsTimestamp", Cond::IsTimestamp},
          {"StringMatches", Cond::StringMatches}};
      out.family = b.starts_with("Numeric")     ? Cond::Numeric
                   : b.starts_with("Boolean")   ? Cond::Boolean
                   : b.starts_with("Timestamp") ? Cond::Timestamp
                                                : Cond::String;
      for (const auto& [n, f] : kFamilies)
        if (b == n) out.family = f;
      out.relation = b.ends_with("GreaterThanEquals") ? Cond::Ge
                     : b.ends_with("LessThanEquals")  ? Cond::Le
                     : b.ends_with("GreaterThan")     ? Cond::Gt
                     : b.ends_with("LessThan")        ? Cond::Lt
                                                      : Cond::Eq;
    }
    auto var = path(o.if_contains("Variable"), cp + ".Variable");
    if (!o.if_contains("Variable")) diag(cp + ".Variable", "is required with " + op);
    if (var) {
      if (var->root() == JsonPath::Root::Context) s.uses_context = true;
      out.variable = std::move(*var);
    }
    std::string at = cp + "." + op;
    if (op.ends_with("Path")) {
      out.rhs_is_path = true;
      auto p = path(&arg, at);
      if (p) {
        if (p->root() == JsonPath::Root::Context) s.uses_context = true;
        out.rhs_path = std::move(*p);
      }
      return true;
    }
    out.rhs = arg;
    if (op.starts_with("Is")) {
      if (!arg.is_bool()) diag(at, "must be a boolean");
    } else if (op.starts_with("String")) {
      if (!arg.is_string()) diag(at, "must be a string");
    } else if (op.starts_with("Numeric")) {
      if (!arg.is_number()) diag(at, "must be a number");
    } else if (op.starts_with("Boolean")) {
      if (!arg.is_bool()) diag(at, "must be a boolean");
    } else if (op.starts_with("Timestamp")) {
      int64_t ms;
      if (!arg.is_string() || !parseIso8601(std::string(arg.get_string()), ms))
        diag(at, "must be an RFC 3339 timestamp string");
    }
    return true;
  }

  void state(const json::value& v, const std::string& sp, bool jsonata, StateList& list, State& s) {
    if (!v.is_object()) {
      diag(sp, "a state must be an object");
      return;
    }
    const auto& o = v.get_object();
    auto* type = o.if_contains("Type");
    static const std::map<std::string, StateType, std::less<>> kTypes = {
        {"Task", StateType::Task},         {"Pass", StateType::Pass},
        {"Choice", StateType::Choice},     {"Wait", StateType::Wait},
        {"Succeed", StateType::Succeed},   {"Fail", StateType::Fail},
        {"Parallel", StateType::Parallel}, {"Map", StateType::Map}};
    if (!type || !type->is_string() || !kTypes.count(type->get_string())) {
      diag(sp + ".Type", "must be one of Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map");
      return;
    }
    s.type = kTypes.find(type->get_string())->second;
    s.jsonata = queryLanguage(o, sp, jsonata);
    auto allowed = allowedFields(s.type);
    for (const auto& kv : o) {
      std::string k(kv.key());
      if (!allowed.count(k)) {
        diag(sp + "." + k,
             "field is not supported by a " + std::string(typeName(s.type)) + " state");
        continue;
      }
      if (s.jsonata && kJsonPathOnly.count(k))
        diag(sp + "." + k, "is a JSONPath field: not supported in a JSONata state");
      if (!s.jsonata && kJsonataOnly.count(k))
        diag(sp + "." + k, "is a JSONata field: set QueryLanguage to JSONata to use it");
    }

    // Transitions.
    bool terminal_kind =
        s.type == StateType::Choice || s.type == StateType::Succeed || s.type == StateType::Fail;
    auto* next = o.if_contains("Next");
    auto* end = o.if_contains("End");
    if (!terminal_kind) {
      if (end && (!end->is_bool() || !end->get_bool()) && !next) diag(sp + ".End", "must be true");
      bool is_end = end && end->is_bool() && end->get_bool();
      if (next && is_end) diag(sp, "a state cannot have both Next and End");
      if (!next && !is_end) diag(sp, "a state needs Next or \"End\": true");
      if (next) s.next = target(next, sp + ".Next", list);
      s.end = is_end;
    }

    // Data flow.
    if (!s.jsonata) {
      ioPath(o, "InputPath", sp, s.input_path);
      ioPath(o, "OutputPath", sp, s.output_path);
      resultPath(o.if_contains("ResultPath"), sp + ".ResultPath", s.result_path);
      if (s.type != StateType::Map)
        s.parameters = tmpl(o.if_contains("Parameters"), sp + ".Parameters", &s, true);
      s.result_selector = tmpl(o.if_contains("ResultSelector"), sp + ".ResultSelector", &s, true);
      s.assign = tmpl(o.if_contains("Assign"), sp + ".Assign", &s, true);
    } else {
      s.jarguments = jt(o.if_contains("Arguments"), sp + ".Arguments");
      s.joutput = jt(o.if_contains("Output"), sp + ".Output");
      s.jassign = jt(o.if_contains("Assign"), sp + ".Assign");
      if (auto* a = o.if_contains("Assign"); a && !a->is_object())
        diag(sp + ".Assign", "must be an object");
    }

    switch (s.type) {
      case StateType::Task: {
        auto* r = o.if_contains("Resource");
        if (!r || !r->is_string() || r->get_string().empty()) {
          diag(sp + ".Resource", "is required and must be a string");
        } else {
          s.resource = std::string(r->get_string());
          std::string_view base = s.resource;
          if (base.ends_with(kWaitForTaskToken)) {
            base.remove_suffix(kWaitForTaskToken.size());
            s.wait_for_token = true;
          }
          s.run_resource = std::string(base);
          if (base.empty() || (known_ && !known_(base)))
            diag(sp + ".Resource", "unknown resource '" + s.resource + "'");
          if (s.wait_for_token) {
            taskTokenPassed(o, sp, s);
          } else if (base == kApprovalResource) {
            s.wait_for_token = true;  // waits for its decision; its runner keeps the token
          }
        }
        timeouts(o, sp, s);
        retriers(o, sp, s);
        catchers(o, sp, s, list);
        break;
      }
      case StateType::Pass:
        if (auto* r = o.if_contains("Result")) s.result = *r;
        break;
      case StateType::Choice: {
        auto* c = o.if_contains("Choices");
        if (!c || !c->is_array() || c->get_array().empty()) {
          diag(sp + ".Choices", "is required and must be a non-empty array");
        } else {
          std::size_t i = 0;
          for (const auto& e : c->get_array()) {
            Cond k;
            if (condition(e, sp + ".Choices[" + std::to_string(i++) + "]", true, k, list, s.jsonata,
                          s))
              s.choices.push_back(std::move(k));
          }
        }
        if (auto* d = o.if_contains("Default")) s.default_next = target(d, sp + ".Default", list);
        break;
      }
      case StateType::Wait: {
        int n = 0;
        if (auto* x = o.if_contains("Seconds")) {
          ++n;
          if (s.jsonata && isJsonataExpr(*x))
            s.jseconds = jt(x, sp + ".Seconds");
          else if (!isNonNegInt(*x))
            diag(sp + ".Seconds", "must be a non-negative integer");
          else
            s.seconds = x->to_number<double>();
        }
        if (auto* x = o.if_contains("Timestamp")) {
          ++n;
          int64_t ms = 0;
          if (s.jsonata && isJsonataExpr(*x))
            s.jtimestamp = jt(x, sp + ".Timestamp");
          else if (!x->is_string() || !parseIso8601(std::string(x->get_string()), ms))
            diag(sp + ".Timestamp", "must be an RFC 3339 timestamp");
          else
            s.timestamp_ms = ms;
        }
        if (o.if_contains("SecondsPath")) {
          ++n;
          s.seconds_path = path(o.if_contains("SecondsPath"), sp + ".SecondsPath");
        }
        if (o.if_contains("TimestampPath")) {
          ++n;
          s.timestamp_path = path(o.if_contains("TimestampPath"), sp + ".TimestampPath");
        }
        if (n != 1)
          diag(sp,
               "a Wait state needs exactly one of Seconds, Timestamp, SecondsPath, "
               "TimestampPath");
        break;
      }
      case StateType::Succeed:
        break;
      case StateType::Fail: {
        auto str = [&](const char* f, std::optional<std::string>& out,
                       std::shared_ptr<const JTemplate>& jout) {
          if (auto* x = o.if_contains(f)) {
            if (s.jsonata && isJsonataExpr(*x))
              jout = jt(x, sp + "." + f);
            else if (!x->is_string())
              diag(sp + "." + f, "must be a string");
            else
              out = std::string(x->get_string());
          }
        };
        str("Error", s.error, s.jerror);
        str("Cause", s.cause, s.jcause);
        auto dyn = [&](const char* f, std::optional<DynamicValue>& out) {
          if (auto* x = o.if_contains(f)) {
            if (!x->is_string()) {
              diag(sp + "." + f, "must be a path or an intrinsic function");
              return;
            }
            auto d = DynamicValue::compile(std::string(x->get_string()));
            if (!d)
              diag(sp + "." + f, d.error().message);
            else {
              if (d->text.find("$$") != std::string::npos) s.uses_context = true;
              out = std::move(*d);
            }
          }
        };
        dyn("ErrorPath", s.error_path);
        dyn("CausePath", s.cause_path);
        if (o.if_contains("Error") && o.if_contains("ErrorPath"))
          diag(sp, "Error and ErrorPath are mutually exclusive");
        if (o.if_contains("Cause") && o.if_contains("CausePath"))
          diag(sp, "Cause and CausePath are mutually exclusive");
        break;
      }
      case StateType::Parallel: {
        auto* b = o.if_contains("Branches");
        if (!b || !b->is_array() || b->get_array().empty()) {
          diag(sp + ".Branches", "is required and must be a non-empty array");
        } else {
          std::size_t i = 0;
          for (const auto& e : b->get_array()) {
            auto l = std::make_shared<StateList>();
            stateList(e, sp + ".Branches[" + std::to_string(i++) + "]", s.jsonata, *l);
            s.branches.push_back(std::move(l));
          }
        }
        retriers(o, sp, s);
        catchers(o, sp, s, list);
        break;
      }
      case StateType::Map:
        map(o, sp, s, list);
        break;
    }
  }

  // Step Functions' callback pattern: a ".waitForTaskToken" Task must hand its token to
  // whoever will call back, in Parameters (JSONPath) or Arguments (JSONata).
  void taskTokenPassed(const json::object& o, const std::string& sp, const State& s) {
    const char* field = s.jsonata ? "Arguments" : "Parameters";
    const json::value* v = o.if_contains(field);
    if (v && (s.jsonata ? argumentsPassToken(*v) : parametersPassToken(*v))) return;
    diag(v ? sp + "." + field : sp,
         std::string("a \".waitForTaskToken\" Task must pass the task token (") +
             (s.jsonata ? "$states.context.Task.Token" : "$$.Task.Token") + ") in its " + field +
             ": no callback can reach it otherwise");
  }

  void timeouts(const json::object& o, const std::string& sp, State& s) {
    auto num = [&](const char* f, std::optional<double>& out,
                   std::shared_ptr<const JTemplate>& jout) {
      if (auto* x = o.if_contains(f)) {
        if (s.jsonata && isJsonataExpr(*x))
          jout = jt(x, sp + "." + f);
        else if (!isNonNegInt(*x) || x->to_number<double>() < 1 ||
                 x->to_number<double>() > 99999999)
          diag(sp + "." + f, "must be a positive integer");
        else
          out = x->to_number<double>();
      }
    };
    num("TimeoutSeconds", s.timeout, s.jtimeout);
    num("HeartbeatSeconds", s.heartbeat, s.jheartbeat);
    s.timeout_path = path(o.if_contains("TimeoutSecondsPath"), sp + ".TimeoutSecondsPath", true);
    s.heartbeat_path =
        path(o.if_contains("HeartbeatSecondsPath"), sp + ".HeartbeatSecondsPath", true);
    if (o.if_contains("TimeoutSeconds") && o.if_contains("TimeoutSecondsPath"))
      diag(sp, "TimeoutSeconds and TimeoutSecondsPath are mutually exclusive");
    if (o.if_contains("HeartbeatSeconds") && o.if_contains("HeartbeatSecondsPath"))
      diag(sp, "HeartbeatSeconds and HeartbeatSecondsPath are mutually exclusive");
    if (s.timeout && s.heartbeat && *s.heartbeat >= *s.timeout)
      diag(sp + ".HeartbeatSeconds", "must be smaller than TimeoutSeconds");
  }

  void map(const json::object& o, const std::string& sp, State& s, const StateList& list) {
    auto* proc = o.if_contains("ItemProcessor");
    const char* pf = "ItemProcessor";
    if (!proc) {
      proc = o.if_contains("Iterator");
      pf = "Iterator";
    } else if (o.if_contains("Iterator")) {
      diag(sp, "ItemProcessor and Iterator are mutually exclusive");
    }
    if (!proc) {
      diag(sp + ".ItemProcessor", "is required");
    } else if (proc->is_object()) {
      std::string pp = sp + "." + pf;
      if (auto* cfg = proc->get_object().if_contains("ProcessorConfig")) {
        if (!cfg->is_object()) {
          diag(pp + ".ProcessorConfig", "must be an object");
        } else if (auto* mode = cfg->get_object().if_contains("Mode")) {
          if (!mode->is_string() ||
              (mode->get_string() != "INLINE" && mode->get_string() != "DISTRIBUTED"))
            diag(pp + ".ProcessorConfig.Mode", "must be INLINE or DISTRIBUTED");
        }
      }
      for (const auto& kv : proc->get_object())
        if (kv.key() != "StartAt" && kv.key() != "States" && kv.key() != "ProcessorConfig" &&
            kv.key() != "Comment" && kv.key() != "QueryLanguage")
          diag(pp + "." + std::string(kv.key()), "field is not supported");
      auto l = std::make_shared<StateList>();
      stateList(*proc, pp, queryLanguage(proc->get_object(), pp, s.jsonata), *l);
      s.processor = std::move(l);
    } else {
      diag(sp + "." + pf, "must be an object");
    }
    if (!s.jsonata) {
      s.items_path = path(o.if_contains("ItemsPath"), sp + ".ItemsPath", true);
      if (o.if_contains("ItemSelector") && o.if_contains("Parameters"))
        diag(sp, "ItemSelector and Parameters are mutually exclusive");
      s.item_selector = tmpl(o.if_contains("ItemSelector"), sp + ".ItemSelector", &s, true);
      if (!s.item_selector)
        s.item_selector = tmpl(o.if_contains("Parameters"), sp + ".Parameters", &s, true);
    } else {
      s.jitems = jt(o.if_contains("Items"), sp + ".Items");
      s.jitem_selector = jt(o.if_contains("ItemSelector"), sp + ".ItemSelector");
    }
    if (auto* x = o.if_contains("MaxConcurrency")) {
      if (s.jsonata && isJsonataExpr(*x))
        s.jmax_concurrency = jt(x, sp + ".MaxConcurrency");
      else if (!isNonNegInt(*x))
        diag(sp + ".MaxConcurrency", "must be a non-negative integer");
      else
        s.max_concurrency = static_cast<int>(std::min(x->to_number<double>(), 1e9));
    }
    s.max_concurrency_path =
        path(o.if_contains("MaxConcurrencyPath"), sp + ".MaxConcurrencyPath", true);
    if (o.if_contains("MaxConcurrency") && o.if_contains("MaxConcurrencyPath"))
      diag(sp, "MaxConcurrency and MaxConcurrencyPath are mutually exclusive");
    if (auto* x = o.if_contains("ToleratedFailurePercentage")) {
      if (!x->is_number() || x->to_number<double>() < 0 || x->to_number<double>() > 100)
        diag(sp + ".ToleratedFailurePercentage", "must be a number between 0 and 100");
      else
        s.tolerated_percentage = x->to_number<double>();
    }
    if (auto* x = o.if_contains("ToleratedFailureCount")) {
      if (!isNonNegInt(*x))
        diag(sp + ".ToleratedFailureCount", "must be a non-negative integer");
      else
        s.tolerated_count = x->to_number<double>();
    }
    s.tolerated_percentage_path = path(o.if_contains("ToleratedFailurePercentagePath"),
                                       sp + ".ToleratedFailurePercentagePath", true);
    s.tolerated_count_path =
        path(o.if_contains("ToleratedFailureCountPath"), sp + ".ToleratedFailureCountPath", true);
    if (o.if_contains("ItemReader"))
      diag(sp + ".ItemReader", "is not supported (riposte runs Map states inline)");
    if (o.if_contains("ResultWriter"))
      diag(sp + ".ResultWriter", "is not supported (riposte runs Map states inline)");
    if (o.if_contains("ItemBatcher"))
      diag(sp + ".ItemBatcher", "is not supported (riposte runs Map states inline)");
    if (auto* x = o.if_contains("Label"); x && !x->is_string())
      diag(sp + ".Label", "must be a string");
    retriers(o, sp, s);
    catchers(o, sp, s, list);
  }

  const std::function<bool(std::string_view)>& known_;
};

std::string joinDiagnostics(const std::vector<Diagnostic>& d) {
  std::string out;
  for (const auto& x : d) {
    if (!out.empty()) out += "; ";
    out += x.path + ": " + x.message;
  }
  return out;
}

}  // namespace

std::vector<Diagnostic> validate(const json::value& definition,
                                 const std::function<bool(std::string_view)>& known_resource) {
  Compiler c(known_resource);
  c.machine(definition);
  return std::move(c.diags);
}

StateMachine::~StateMachine() = default;

const json::value& StateMachine::definition() const {
  return definition_;
}

Result<std::shared_ptr<const StateMachine>> StateMachine::load(
    const json::value& definition, const std::function<bool(std::string_view)>& known_resource) {
  Compiler c(known_resource);
  auto m = c.machine(definition);
  if (!c.diags.empty()) return fail("InvalidDefinition", joinDiagnostics(c.diags));
  auto sm = std::make_shared<StateMachine>();
  sm->machine_ = std::move(m);
  sm->definition_ = definition;
  return std::shared_ptr<const StateMachine>(std::move(sm));
}

}  // namespace riposte::asl
