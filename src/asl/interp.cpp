// The step-by-step interpreter: Execution, its snapshot/restore and runToCompletion.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "asl/asl.h"
#include "asl/model.h"
#include "core/digest.h"
#include "core/ids.h"

namespace riposte::asl {

// Where an error comes from, for the reserved names that stand for a condition rather than
// for a name (the spec's Appendix A): "States.TaskFailed" ("A Task State failed during the
// execution") matches an error a Task's work reported — the runner's error, a timeout of the
// task, a SendTaskFailure — except the timeouts, which have names of their own;
// "States.BranchFailed" ("A branch of a Parallel State failed") matches, on a Parallel, any
// failure of one of its branches. Either way the error keeps its own name. Errors raised by
// the States Language itself (a Fail state, States.NoChoiceMatched, ResultPath, intrinsic
// functions, Map thresholds…) are not task failures, wherever they are raised. A task failure
// stays one when it leaves a Parallel branch or a Map iteration uncaught: the Parallel's or
// the Map's own Retry/Catch on "States.TaskFailed" matches it (docs/playbooks.md). A
// callback Task's missed heartbeat is reported as States.Timeout, as Step Functions reports
// it; "States.HeartbeatTimeout" (which the Step Functions guide lists for Retry and Catch)
// matches that condition.
struct ErrorOrigin {
  bool task = false;       // reported by a Task's work (see above)
  bool branch = false;     // a Parallel's branch failed with it
  bool heartbeat = false;  // a callback Task missed its heartbeat ("States.HeartbeatTimeout")
  // No error name / no cause (a SendTaskFailure without them, a callback timeout's cause):
  // null in the error output, absent from the events, as Step Functions gives them.
  bool no_error = false, no_cause = false;
  // A person's decision (a deny through the approval gate): nothing catches or retries it.
  bool denied = false;
};

// One execution of a state list: the top-level machine, a Parallel branch or a Map iteration.
struct Run {
  enum Phase : int {
    Enter = 0,
    Scheduled = 1,
    Waiting = 2,
    RetryWait = 3,
    Children = 4,
    Done = 5,
    Callback = 6  // a `.waitForTaskToken` Task, started, waits for its token
  };
  const StateList* list = nullptr;
  int state = -1;
  Phase phase = Enter;
  json::value input;       // raw input of the current state
  std::string input_json;  // input serialized by the previous state's exit event (a cache)
  json::value effective;   // Task: parameters; Wait: output; Parallel/Map: effective input
  std::vector<int> retry_counts;
  int attempt = 0;
  int64_t scheduled_event = 0;  // Task: the id of this attempt's TaskScheduled event
  int64_t wake_ms = 0;

  // `.waitForTaskToken` Tasks. Scheduled: `token`, the attempt's token, kept until the runner
  // has started the attempt. Callback: its digest and deadlines (epoch ms; heartbeat_ms is
  // HeartbeatSeconds, 0 = none). `early`: a callback that came while Scheduled.
  std::string token;
  std::string token_digest;
  int64_t timeout_at = 0, heartbeat_at = 0, heartbeat_ms = 0;
  struct Early {
    bool ok = true;
    json::value output;
    std::string error, cause;
    bool no_error = false, no_cause = false;
  };
  std::optional<Early> early;
  // The approval gate (TaskResult::gate_token). gated: Callback waits for a person's decision
  // before the attempt runs; approved: Scheduled, the attempt runs as approved.
  bool gated = false, approved = false;
  int64_t entered_ms = 0;
  json::object vars;  // variables in scope (Assign)

  struct Kid {
    int64_t index = 0;
    std::unique_ptr<Run> run;
  };
  std::vector<Kid> kids;  // active branches / iterations
  json::array results;    // by branch / item index
  json::array items;      // Map items
  std::size_t next_item = 0;
  std::size_t failed = 0;
  bool items_pending = false;  // restored Map: items still to be recomputed
  std::size_t cursor = 0;
  int64_t max_conc = 0;
  double tol_pct = -1, tol_count = -1;

  bool ok = false;
  ErrorOrigin failure;  // Done and failed: what is known of the error beyond its name
  json::value output;
  std::string error, cause;

  // Incremental snapshots (SnapWriter): the blobs holding `input` and `effective` while in
  // the Children phase ("" = not decided yet, "-" = small, written inline) and the blobs of a
  // Map's sealed result chunks (chunks 0..n-1). Forgotten whenever they could change: when a
  // state starts (startState, also on a retry) or is left (exitState).
  std::string in_blob, eff_blob;
  std::vector<std::string> result_chunks;
  void forgetBlobs() {
    in_blob.clear();
    eff_blob.clear();
    result_chunks.clear();
  }
};

namespace {

constexpr int64_t kDefaultInlineConcurrency = 40;
constexpr std::size_t kMaxPayloadBytes = 256 * 1024;
// Step Functions' TimeoutSeconds when a Task has none.
constexpr double kDefaultTaskTimeoutSeconds = 99999999;
// Closed tokens an execution remembers (Execution::closed_tokens_).
constexpr std::size_t kClosedTokens = 64;

// The error output a catcher or a tolerated Map failure sees.
json::value errorOutput(const std::string& error, const std::string& cause, ErrorOrigin o) {
  json::object eo;
  eo["Error"] = o.no_error ? json::value(nullptr) : json::value(error);
  eo["Cause"] = o.no_cause ? json::value(nullptr) : json::value(cause);
  return eo;
}

const char* phaseName(Run::Phase p) {
  switch (p) {
    case Run::Enter:
      return "enter";
    case Run::Scheduled:
      return "scheduled";
    case Run::Waiting:
      return "waiting";
    case Run::RetryWait:
      return "retry_wait";
    case Run::Children:
      return "children";
    case Run::Done:
      return "done";
    case Run::Callback:
      return "callback";
  }
  return "enter";
}

std::optional<Run::Phase> phaseFrom(std::string_view s) {
  for (int p = 0; p <= 6; ++p)
    if (s == phaseName(static_cast<Run::Phase>(p))) return static_cast<Run::Phase>(p);
  return std::nullopt;
}

std::optional<int64_t> asInt(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v.get_uint64());
  if (v.is_double() && std::isfinite(v.get_double()) &&
      v.get_double() == std::floor(v.get_double()) && std::fabs(v.get_double()) < 9e15)
    return static_cast<int64_t>(v.get_double());
  return std::nullopt;
}

struct Failure {
  std::string error, cause;
};

bool starMatch(std::string_view s, std::string_view pat) {
  // '*' matches any run of characters; "\*" a literal star and "\\" a backslash.
  std::size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < pat.size()) {
      char pc = pat[pi];
      if (pc == '\\' && pi + 1 < pat.size()) {
        if (s[si] == pat[pi + 1]) {
          ++si;
          pi += 2;
          continue;
        }
      } else if (pc == '*') {
        star_p = pi++;
        star_s = si;
        continue;
      } else if (pc == s[si]) {
        ++si;
        ++pi;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < pat.size() && pat[pi] == '*') ++pi;
  return pi == pat.size();
}

bool errorMatches(const std::vector<std::string>& names, const std::string& error,
                  ErrorOrigin origin) {
  for (const auto& n : names) {
    if (n == error) return true;
    if (n == "States.ALL") return true;
    if (origin.branch && n == "States.BranchFailed") return true;
    if (origin.heartbeat && n == "States.HeartbeatTimeout") return true;
    if (origin.task && n == "States.TaskFailed" && error != "States.Timeout" &&
        error != "States.HeartbeatTimeout")
      return true;
  }
  return false;
}

bool uncatchable(const std::string& error) {
  return error == "States.Runtime" || error == "States.DataLimitExceeded";
}

}  // namespace

const char* statusName(Status s) {
  switch (s) {
    case Status::Running:
      return "RUNNING";
    case Status::Succeeded:
      return "SUCCEEDED";
    case Status::Failed:
      return "FAILED";
    case Status::TimedOut:
      return "TIMED_OUT";
    case Status::Aborted:
      return "ABORTED";
  }
  return "RUNNING";
}

struct Interp {
  Execution& x;
  TaskRunner* runner;
  int64_t now;
  std::vector<HistoryEvent>* out;

  // --- events -------------------------------------------------------------------------
  void emit(std::string type, json::object details) {
    HistoryEvent e;
    e.id = ++x.last_event_;
    e.previous_id = e.id - 1;
    e.timestamp_ms = now;
    e.type = std::move(type);
    e.details = std::move(details);
    out->push_back(std::move(e));
  }
  static json::string str(const json::value& v) { return json::string(toJson(v)); }

  // --- context object -----------------------------------------------------------------
  json::value executionContext() const {
    json::object ex;
    ex["Id"] = x.info_.execution_id;
    ex["Input"] = x.input_;
    ex["Name"] = x.info_.execution_name;
    ex["RoleArn"] = "arn:aws:iam::000000000000:role/riposte";
    ex["StartTime"] = formatIso8601Millis(x.info_.start_ms);
    ex["RedriveCount"] = 0;
    json::object sm;
    sm["Id"] = "arn:aws:states:local:000000000000:stateMachine:" + x.info_.state_machine_name;
    sm["Name"] = x.info_.state_machine_name;
    json::object c;
    c["Execution"] = std::move(ex);
    c["StateMachine"] = std::move(sm);
    return c;
  }
  json::value context(const Run& r, const State& s, const json::value* item = nullptr,
                      int64_t index = 0) const {
    json::value c = executionContext();
    json::object st;
    st["Name"] = s.name;
    st["EnteredTime"] = formatIso8601Millis(r.entered_ms);
    if (s.type == StateType::Task) st["RetryCount"] = r.attempt;
    c.get_object()["State"] = std::move(st);
    if (s.type == StateType::Task && !r.token.empty()) {
      json::object t;
      t["Token"] = r.token;
      c.get_object()["Task"] = std::move(t);
    }
    if (item) {
      json::object it;
      it["Index"] = index;
      it["Value"] = *item;
      json::object m;
      m["Item"] = std::move(it);
      c.get_object()["Map"] = std::move(m);
    }
    return c;
  }

  struct CtxRef {
    const Interp* in;
    const Run* r;
    const State* s;
    const json::value* item;
    int64_t index;
  };
  Scope scope(const json::value& input, const CtxRef& ref) const {
    return Scope(
        input, [p = &ref]() { return p->in->context(*p->r, *p->s, p->item, p->index); },
        &ref.r->vars);
  }

  JEnv jenv(const Run& r, const json::value* input, const json::value* result,
            const json::value* err, const json::value* ctx) const {
    JEnv e;
    e.input = input;
    e.result = result;
    e.error_output = err;
    e.context = ctx;
    e.vars = &r.vars;
    return e;
  }

  // --- data flow helpers --------------------------------------------------------------
  Result<json::value> applyIoPath(const IoPath& p, json::value v, const CtxRef& ref,
                                  const char* field) const {
    if (p.mode == IoPath::Default) return v;
    if (p.mode == IoPath::Null) return json::value(json::object());
    auto sc = scope(v, ref);
    auto r = resolvePath(p.path, sc);
    if (!r)
      return fail("States.Runtime", std::string("Invalid path '") + p.path.text() + "' in " +
                                        field + ": no results for path in '" +
                                        toJson(v).substr(0, 256) + "'.");
    return r;
  }

  Result<json::value> applyResultPath(const ResultPathSpec& rp, const json::value& input,
                                      json::value result) const {
    switch (rp.mode) {
      case ResultPathSpec::Replace:
        return result;
      case ResultPathSpec::Discard:
        return input;
      case ResultPathSpec::Path: {
        json::value out = input;
        if (!rp.path.assign(out, std::move(result)))
          return fail("States.ResultPathMatchFailure", "Unable to apply ResultPath '" +
                                                           rp.path.text() + "' to input '" +
                                                           toJson(input).substr(0, 256) + "'.");
        return out;
      }
    }
    return result;
  }

  // Evaluates Assign (JSONPath: `$` = the state result) and applies it to r.vars.
  std::optional<Failure> assignVars(Run& r, const State& s, const std::optional<Template>& a,
                                    const json::value& result) {
    if (!a) return std::nullopt;
    CtxRef ref{this, &r, &s, nullptr, 0};
    auto v = a->eval(scope(result, ref));
    if (!v) return Failure{v.error().code, v.error().message};
    for (auto& kv : v->get_object()) r.vars[kv.key()] = std::move(kv.value());
    return std::nullopt;
  }
  std::optional<Failure> jassignVars(Run& r, const JTemplate* a, const JEnv& env) {
    if (!a) return std::nullopt;
    auto v = a->eval(env);
    if (!v) return Failure{v.error().code, v.error().message};
    if (*v && (*v)->is_object())
      for (auto& kv : (*v)->get_object()) r.vars[kv.key()] = std::move(kv.value());
    return std::nullopt;
  }

  static const std::string& enteredType(StateType t) {
    static const std::string k[] = {
        "TaskStateEntered",    "PassStateEntered", "ChoiceStateEntered",   "WaitStateEntered",
        "SucceedStateEntered", "FailStateEntered", "ParallelStateEntered", "MapStateEntered"};
    return k[static_cast<int>(t)];
  }
  static const std::string& exitedType(StateType t) {
    static const std::string k[] = {
        "TaskStateExited",    "PassStateExited", "ChoiceStateExited",   "WaitStateExited",
        "SucceedStateExited", "FailStateExited", "ParallelStateExited", "MapStateExited"};
    return k[static_cast<int>(t)];
  }

  // --- transitions --------------------------------------------------------------------
  void exitState(Run& r, const State& s, json::value output, int next_override = -2) {
    r.forgetBlobs();
    json::object d(2);
    d["name"] = s.name;
    std::string out_json = toJson(output);
    if (out_json.size() > kMaxPayloadBytes) {
      // Step Functions' 256 KiB limit on a state's output: terminal, not catchable.
      return finishRun(r, false, nullptr, "States.DataLimitExceeded",
                       "The state/task '" + s.name + "' returned a result with a size of " +
                           std::to_string(out_json.size()) +
                           " bytes, exceeding the maximum of 262144 bytes.");
    }
    d["output"] = json::string(out_json);
    emit(exitedType(s.type), std::move(d));
    int next = next_override != -2 ? next_override : s.next;
    if (next_override == -2 && s.end) {
      r.phase = Run::Done;
      r.ok = true;
      r.output = std::move(output);
      return;
    }
    r.state = next;
    r.input_json = std::move(out_json);
    r.input = std::move(output);
    r.phase = Run::Enter;
    r.effective = nullptr;
  }

  void finishRun(Run& r, bool ok, json::value output, std::string error = {},
                 std::string cause = {}, ErrorOrigin origin = {}) {
    r.phase = Run::Done;
    r.ok = ok;
    origin.branch = false;  // a property of the Parallel that handles it, not of the error
    r.failure = ok ? ErrorOrigin{} : origin;
    r.output = std::move(output);
    r.error = std::move(error);
    r.cause = std::move(cause);
    abandonKids(r);
  }

  // --- task tokens --------------------------------------------------------------------
  void closeToken(const std::string& digest) {
    auto& c = x.closed_tokens_;
    c.push_back(digest.substr(0, 32));
    if (c.size() > kClosedTokens) c.erase(c.begin());
  }
  // Closes the run's token, if it holds one (its attempt answered, timed out, failed to start
  // or abandoned): a later callback with it gets TaskTimedOut.
  void closeRunToken(Run& r) {
    if (!r.token.empty()) closeToken(taskTokenDigest(r.token));
    if (!r.token_digest.empty()) closeToken(r.token_digest);
    r.token.clear();
    r.token_digest.clear();
    r.timeout_at = r.heartbeat_at = r.heartbeat_ms = 0;
    r.early.reset();
  }
  // Drops r's children (a failed Parallel or Map, an execution that timed out), closing the
  // tokens they wait for.
  void abandonKids(Run& r) {
    for (auto& k : r.kids) {
      abandonKids(*k.run);
      closeRunToken(*k.run);
    }
    r.kids.clear();
  }
  // The run holding the open token `digest` (scheduled or waiting), or null.
  static Run* findToken(Run& r, const std::string& digest) {
    if ((r.phase == Run::Callback && r.token_digest == digest) ||
        (r.phase == Run::Scheduled && !r.token.empty() && taskTokenDigest(r.token) == digest))
      return &r;
    for (auto& k : r.kids)
      if (Run* f = findToken(*k.run, digest)) return f;
    return nullptr;
  }
  // A waiting run's next deadline.
  static int64_t callbackDeadline(const Run& r) {
    return r.heartbeat_at ? std::min(r.timeout_at, r.heartbeat_at) : r.timeout_at;
  }
  // The token of an open task as history shows it: "<task token sha256:0123456789ab>".
  static json::string hideToken(std::string text, const std::string& token) {
    if (token.empty()) return json::string(text);
    const std::string mask = "<task token sha256:" + taskTokenDigest(token).substr(0, 12) + ">";
    for (std::size_t at = text.find(token); at != std::string::npos;
         at = text.find(token, at + mask.size()))
      text.replace(at, token.size(), mask);
    return json::string(text);
  }

  // The runner started a `.waitForTaskToken` attempt: wait for its token.
  void startCallback(Run& r, const State& s, std::optional<double> timeout,
                     std::optional<double> heartbeat) {
    r.token_digest = taskTokenDigest(r.token);
    r.token.clear();
    r.effective = nullptr;  // the parameters hold the token; a callback needs only r.input
    r.timeout_at = now + static_cast<int64_t>(
                             std::llround(timeout.value_or(kDefaultTaskTimeoutSeconds) * 1e3));
    r.heartbeat_ms = heartbeat ? static_cast<int64_t>(std::llround(*heartbeat * 1e3)) : 0;
    r.heartbeat_at = heartbeat ? now + r.heartbeat_ms : 0;
    r.phase = Run::Callback;
    if (r.early) {
      Run::Early e = std::move(*r.early);
      r.early.reset();
      applyCallback(r, s, std::move(e));
    }
  }

  // A callback's outcome on a waiting run: the Task succeeds or fails with it.
  void applyCallback(Run& r, const State& s, Run::Early e) {
    closeRunToken(r);
    if (r.gated) {
      r.gated = false;
      if (e.ok) {
        // Approved: the same attempt runs now (its parameters evaluated again from its input).
        auto eff = effectiveInput(r, s, true);
        if (!eff) return handleError(r, s, eff.error().code, eff.error().message);
        r.effective = std::move(*eff);
        r.approved = true;
        r.phase = Run::Scheduled;
        return;
      }
      json::object d;
      d["resource"] = s.resource;
      if (!e.no_error) d["error"] = e.error;
      if (!e.no_cause) d["cause"] = e.cause;
      emit("TaskFailed", std::move(d));
      return handleError(
          r, s, std::move(e.error), std::move(e.cause),
          {.task = true, .no_error = e.no_error, .no_cause = e.no_cause, .denied = true});
    }
    if (e.ok) {
      json::object d;
      d["resource"] = s.resource;
      d["output"] = str(e.output);
      emit("TaskSucceeded", std::move(d));
      return finishWithResult(r, s, std::move(e.output));
    }
    json::object d;
    d["resource"] = s.resource;
    if (!e.no_error) d["error"] = e.error;
    if (!e.no_cause) d["cause"] = e.cause;
    emit("TaskFailed", std::move(d));
    handleError(r, s, std::move(e.error), std::move(e.cause),
                {.task = true, .no_error = e.no_error, .no_cause = e.no_cause});
  }

  // A waiting run's deadline passed: States.Timeout, as Step Functions reports both the
  // TimeoutSeconds and the HeartbeatSeconds expiry (TaskTimedOut, no cause).
  void callbackTimedOut(Run& r) {
    const State& s = r.list->states[r.state];
    const bool heartbeat = r.heartbeat_at && r.heartbeat_at < r.timeout_at;
    closeRunToken(r);
    json::object d;
    d["resource"] = s.resource;
    d["error"] = "States.Timeout";
    emit("TaskTimedOut", std::move(d));
    handleError(r, s, "States.Timeout", "",
                {.task = true, .heartbeat = heartbeat, .no_cause = true});
  }

  void handleError(Run& r, const State& s, std::string error, std::string cause,
                   ErrorOrigin origin = {}) {
    abandonKids(r);
    r.items = json::array();
    r.results = json::array();
    if (!uncatchable(error) && !origin.denied) {
      for (std::size_t i = 0; i < s.retry.size(); ++i) {
        const Retrier& rt = s.retry[i];
        if (!errorMatches(rt.errors, error, origin)) continue;
        if (r.retry_counts.size() < s.retry.size()) r.retry_counts.resize(s.retry.size(), 0);
        if (r.retry_counts[i] < rt.max_attempts) {
          double delay = rt.interval * std::pow(rt.backoff, r.retry_counts[i]);
          if (rt.max_delay) delay = std::min(delay, *rt.max_delay);
          if (rt.full_jitter) {
            static thread_local std::mt19937_64 rng{std::random_device{}()};
            delay = std::uniform_real_distribution<double>(0, delay)(rng);
          }
          ++r.retry_counts[i];
          ++r.attempt;
          r.phase = Run::RetryWait;
          r.wake_ms = now + static_cast<int64_t>(std::llround(delay * 1000.0));
          return;
        }
        break;  // the first matching retrier decides; exhausted → Catch
      }
      for (const Catcher& c : s.catchers) {
        if (!errorMatches(c.errors, error, origin)) continue;
        json::value err_out = errorOutput(error, cause, origin);
        json::value output;
        if (s.jsonata) {
          json::value ctx = context(r, s);
          JEnv env = jenv(r, &r.input, nullptr, &err_out, &ctx);
          if (c.joutput) {
            auto v = c.joutput->eval(env);
            if (!v) return finishRun(r, false, nullptr, v.error().code, v.error().message);
            output = v->value_or(json::value(nullptr));
          } else {
            output = err_out;
          }
          if (auto f = jassignVars(r, c.jassign.get(), env))
            return finishRun(r, false, nullptr, f->error, f->cause);
        } else {
          auto o = applyResultPath(c.result_path, r.input, err_out);
          if (!o) return finishRun(r, false, nullptr, o.error().code, o.error().message);
          output = std::move(*o);
          if (auto f = assignVars(r, s, c.assign, err_out))
            return finishRun(r, false, nullptr, f->error, f->cause);
        }
        exitState(r, s, std::move(output), c.next);
        return;
      }
    }
    finishRun(r, false, nullptr, std::move(error), std::move(cause), origin);
  }

  // Result processing for Task / Parallel / Map / Pass, then exit.
  void finishWithResult(Run& r, const State& s, json::value result) {
    CtxRef ref{this, &r, &s, nullptr, 0};
    if (s.jsonata) {
      json::value ctx = context(r, s);
      JEnv env = jenv(r, &r.input, &result, nullptr, &ctx);
      json::value output = result;
      if (s.joutput) {
        auto v = s.joutput->eval(env);
        if (!v) return handleError(r, s, v.error().code, v.error().message);
        output = v->value_or(json::value(nullptr));
      }
      if (auto f = jassignVars(r, s.jassign.get(), env))
        return handleError(r, s, f->error, f->cause);
      return exitState(r, s, std::move(output));
    }
    if (s.result_selector) {
      auto v = s.result_selector->eval(scope(result, ref));
      if (!v) return handleError(r, s, v.error().code, v.error().message);
      result = std::move(*v);
    }
    if (auto f = assignVars(r, s, s.assign, result)) return handleError(r, s, f->error, f->cause);
    auto o = applyResultPath(s.result_path, r.input, std::move(result));
    if (!o) return handleError(r, s, o.error().code, o.error().message);
    auto out = applyIoPath(s.output_path, std::move(*o), ref, "OutputPath");
    if (!out) return handleError(r, s, out.error().code, out.error().message);
    exitState(r, s, std::move(*out));
  }

  // InputPath then Parameters (JSONPath) or Arguments (JSONata).
  // `consume`: the raw input is not needed afterwards (no ResultPath to apply), so it may be
  // moved instead of copied.
  Result<json::value> effectiveInput(Run& r, const State& s, bool with_parameters,
                                     bool consume = false) {
    CtxRef ref{this, &r, &s, nullptr, 0};
    if (s.jsonata) {
      if (!with_parameters || !s.jarguments) return r.input;
      json::value ctx = context(r, s);
      auto v = s.jarguments->eval(jenv(r, &r.input, nullptr, nullptr, &ctx));
      if (!v) return fail(v.error());
      return v->value_or(json::value(nullptr));
    }
    Result<json::value> in = consume && s.input_path.mode == IoPath::Default
                                 ? Result<json::value>(std::move(r.input))
                                 : applyIoPath(s.input_path, r.input, ref, "InputPath");
    if (!in) return in;
    if (with_parameters && s.parameters) return s.parameters->eval(scope(*in, ref));
    return in;
  }

  // --- states -------------------------------------------------------------------------
  void enterState(Run& r) {
    const State& s = r.list->states[r.state];
    r.entered_ms = now;
    r.retry_counts.assign(s.retry.size(), 0);
    r.attempt = 0;
    json::object d(2);
    d["name"] = s.name;
    if (!r.input_json.empty())
      d["input"] = json::string(std::move(r.input_json));
    else
      d["input"] = str(r.input);
    r.input_json.clear();
    emit(enteredType(s.type), std::move(d));
    startState(r, s);
  }

  void startState(Run& r, const State& s) {
    r.forgetBlobs();
    switch (s.type) {
      case StateType::Pass:
        return pass(r, s);
      case StateType::Task:
        return scheduleTask(r, s);
      case StateType::Choice:
        return choice(r, s);
      case StateType::Wait:
        return wait(r, s);
      case StateType::Succeed:
        return succeed(r, s);
      case StateType::Fail:
        return failState(r, s);
      case StateType::Parallel:
        return parallel(r, s);
      case StateType::Map:
        return map(r, s);
    }
  }

  void pass(Run& r, const State& s) {
    bool consume = !s.jsonata && s.result_path.mode == ResultPathSpec::Replace;
    auto eff = effectiveInput(r, s, true, consume);
    if (!eff) return handleError(r, s, eff.error().code, eff.error().message);
    finishWithResult(r, s, s.result ? *s.result : std::move(*eff));
  }

  std::optional<double> numberFrom(Run& r, const State& s, const std::optional<double>& lit,
                                   const std::optional<JsonPath>& path,
                                   const std::shared_ptr<const JTemplate>& jexpr,
                                   const json::value& input, Failure& f, const char* field) {
    if (lit) return lit;
    if (path) {
      CtxRef ref{this, &r, &s, nullptr, 0};
      auto v = resolvePath(*path, scope(input, ref));
      if (!v || !asInt(*v) || *asInt(*v) <= 0) {
        f = {"States.Runtime", std::string("The value of ") + field +
                                   " must be a positive integer (path '" + path->text() + "')."};
        return std::nullopt;
      }
      return static_cast<double>(*asInt(*v));
    }
    if (jexpr) {
      json::value ctx = context(r, s);
      auto v = jexpr->eval(jenv(r, &r.input, nullptr, nullptr, &ctx));
      if (!v || !*v || !asInt(**v) || *asInt(**v) <= 0) {
        f = {"States.Runtime",
             std::string("The value of ") + field + " must be a positive integer."};
        return std::nullopt;
      }
      return static_cast<double>(*asInt(**v));
    }
    return std::nullopt;
  }

  // A `.waitForTaskToken` attempt's token, from the runner (before Parameters, which may read
  // it as $$.Task.Token).
  std::optional<Failure> newToken(Run& r, const State& s) {
    TaskRequest req;
    req.resource = s.run_resource;
    req.state_name = s.name;
    req.attempt = r.attempt;
    req.scheduled_event_id = x.last_event_ + 1;  // the TaskScheduled about to be emitted
    req.wait_for_task_token = true;
    Result<std::string> t = fail("States.Runtime", "no task runner");
    try {
      if (runner) t = runner->newTaskToken(req);
    } catch (const std::exception& e) {
      t = fail("States.Runtime", e.what());
    }
    if (!t)
      return Failure{"States.Runtime",
                     "No task token for state '" + s.name + "': " + t.error().message};
    if (!wellFormedTaskToken(*t))
      return Failure{"States.Runtime",
                     "The task token made for state '" + s.name + "' is malformed."};
    r.token = std::move(*t);
    return std::nullopt;
  }

  void scheduleTask(Run& r, const State& s) {
    if (s.wait_for_token)
      if (auto f = newToken(r, s)) return handleError(r, s, f->error, f->cause);
    auto eff = effectiveInput(r, s, true);
    if (!eff) {
      closeRunToken(r);
      return handleError(r, s, eff.error().code, eff.error().message);
    }
    r.effective = std::move(*eff);
    json::object d;
    d["resource"] = s.resource;
    d["name"] = s.name;
    d["parameters"] = hideToken(toJson(r.effective), r.token);
    Failure f;
    json::value pin;
    if (s.timeout_path || s.heartbeat_path) {
      auto input_for_paths = effectiveInput(r, s, false);
      pin = input_for_paths ? std::move(*input_for_paths) : r.input;
    }
    auto t = numberFrom(r, s, s.timeout, s.timeout_path, s.jtimeout, pin, f, "TimeoutSecondsPath");
    std::optional<double> h;
    if (f.error.empty())
      h = numberFrom(r, s, s.heartbeat, s.heartbeat_path, s.jheartbeat, pin, f,
                     "HeartbeatSecondsPath");
    if (!f.error.empty()) {
      closeRunToken(r);
      return handleError(r, s, f.error, f.cause);
    }
    if (t) d["timeoutInSeconds"] = *t;
    if (h) d["heartbeatInSeconds"] = *h;
    d["attempt"] = r.attempt;
    emit("TaskScheduled", std::move(d));
    r.scheduled_event = x.last_event_;
    r.phase = Run::Scheduled;
  }

  void runTask(Run& r) {
    const State& s = r.list->states[r.state];
    TaskRequest req;
    req.resource = s.run_resource;
    req.parameters = r.effective;
    req.context = context(r, s);
    req.state_name = s.name;
    req.attempt = r.attempt;
    req.scheduled_event_id = r.scheduled_event;
    req.wait_for_task_token = s.wait_for_token;
    req.task_token = r.token;
    req.approved = r.approved;
    Failure f;
    json::value pin;
    if (s.timeout_path || s.heartbeat_path) {
      auto pin_r = effectiveInput(r, s, false);
      pin = pin_r ? std::move(*pin_r) : r.input;
    }
    req.timeout_seconds =
        numberFrom(r, s, s.timeout, s.timeout_path, s.jtimeout, pin, f, "TimeoutSecondsPath");
    req.heartbeat_seconds = numberFrom(r, s, s.heartbeat, s.heartbeat_path, s.jheartbeat, pin, f,
                                       "HeartbeatSecondsPath");
    json::object d;
    d["resource"] = s.resource;
    emit("TaskStarted", std::move(d));
    TaskResult res;
    try {
      res = runner->run(req);
    } catch (const std::exception& e) {
      res.ok = false;
      res.error = "States.TaskFailed";
      res.cause = e.what();
    }
    const bool approved = r.approved;
    r.approved = false;  // one run
    if (res.ok && !res.gate_token.empty()) {
      if (s.wait_for_token || approved || !wellFormedTaskToken(res.gate_token)) {
        res.ok = false;
        res.error = "States.Runtime";
        res.cause = s.wait_for_token ? "a .waitForTaskToken Task cannot ask for approval"
                    : approved       ? "the Task asked for approval again after it was approved"
                                     : "the approval gate's task token is malformed";
      } else {
        // The work waits for a person: the gate's request holds this token's digest.
        json::object sd;
        sd["resource"] = s.resource;
        sd["output"] = str(res.output);
        emit("TaskSubmitted", std::move(sd));
        r.token = std::move(res.gate_token);
        r.gated = true;
        return startCallback(r, s, std::nullopt, std::nullopt);
      }
    }
    if (res.ok && s.wait_for_token) {
      json::object sd;
      sd["resource"] = s.resource;
      sd["output"] = hideToken(toJson(res.output), r.token);
      emit("TaskSubmitted", std::move(sd));
      return startCallback(r, s, req.timeout_seconds, req.heartbeat_seconds);
    }
    if (res.ok) {
      json::object sd;
      sd["resource"] = s.resource;
      sd["output"] = str(res.output);
      emit("TaskSucceeded", std::move(sd));
      return finishWithResult(r, s, std::move(res.output));
    }
    closeRunToken(r);  // the attempt could not be started: its token is dead
    if (res.error.empty()) res.error = "States.TaskFailed";
    json::object fd;
    fd["resource"] = s.resource;
    fd["error"] = res.error;
    fd["cause"] = res.cause;
    emit(res.error == "States.Timeout" || res.error == "States.HeartbeatTimeout" ? "TaskTimedOut"
                                                                                 : "TaskFailed",
         std::move(fd));
    handleError(r, s, std::move(res.error), std::move(res.cause),
                {.task = true, .denied = res.final});
  }

  // Choice rules. Returns nullopt on a runtime error (f set).
  std::optional<bool> evalCond(const Cond& c, Run& r, const State& s, const json::value& input,
                               const json::value* jctx, Failure& f) {
    switch (c.kind) {
      case Cond::And:
        for (const auto& k : c.kids) {
          auto v = evalCond(k, r, s, input, jctx, f);
          if (!v || !*v) return v;
        }
        return true;
      case Cond::Or:
        for (const auto& k : c.kids) {
          auto v = evalCond(k, r, s, input, jctx, f);
          if (!v || *v) return v;
        }
        return false;
      case Cond::Not: {
        auto v = evalCond(c.kids[0], r, s, input, jctx, f);
        if (!v) return v;
        return !*v;
      }
      case Cond::Jsonata: {
        auto v = c.condition->eval(jenv(r, &input, nullptr, nullptr, jctx));
        if (!v) {
          f = {v.error().code, v.error().message};
          return std::nullopt;
        }
        if (!*v || !(*v)->is_bool()) {
          f = {"States.QueryEvaluationError", "The Condition of a Choice rule must be a boolean."};
          return std::nullopt;
        }
        return (*v)->get_bool();
      }
      case Cond::Compare:
        break;
    }
    CtxRef ref{this, &r, &s, nullptr, 0};
    Scope sc = scope(input, ref);
    // Fast path: a definite path into the input is looked up in place, without a copy.
    const json::value* vp = nullptr;
    json::value var_holder;
    if (c.variable.root() == JsonPath::Root::Input && c.variable.findable()) {
      vp = c.variable.find(input);
    } else if (auto var = resolvePath(c.variable, sc)) {
      var_holder = std::move(*var);
      vp = &var_holder;
    }
    if (c.family == Cond::IsPresent) return (vp != nullptr) == c.rhs.get_bool();
    if (!vp) {
      f = {"States.Runtime", "Invalid path '" + c.variable.text() +
                                 "': The choice state's condition path references an invalid "
                                 "value."};
      return std::nullopt;
    }
    const json::value& v = *vp;
    json::value rhs_holder;
    const json::value* rhs = &c.rhs;
    if (c.rhs_is_path) {
      const json::value* rp = nullptr;
      if (c.rhs_path.root() == JsonPath::Root::Input && c.rhs_path.findable()) {
        rp = c.rhs_path.find(input);
      } else if (auto rv = resolvePath(c.rhs_path, sc)) {
        rhs_holder = std::move(*rv);
        rp = &rhs_holder;
      }
      if (!rp) {
        f = {"States.Runtime", "Invalid path '" + c.rhs_path.text() +
                                   "': The choice state's condition path references an invalid "
                                   "value."};
        return std::nullopt;
      }
      rhs = rp;
    }
    auto isTs = [](const json::value& x, int64_t& ms) {
      return x.is_string() && parseIso8601(std::string(x.get_string()), ms);
    };
    auto rel = [&](int x) -> bool {
      switch (c.relation) {
        case Cond::Eq:
          return x == 0;
        case Cond::Lt:
          return x < 0;
        case Cond::Gt:
          return x > 0;
        case Cond::Le:
          return x <= 0;
        case Cond::Ge:
          return x >= 0;
      }
      return false;
    };
    switch (c.family) {
      case Cond::IsNull:
        return v.is_null() == c.rhs.get_bool();
      case Cond::IsNumeric:
        return v.is_number() == c.rhs.get_bool();
      case Cond::IsString:
        return v.is_string() == c.rhs.get_bool();
      case Cond::IsBoolean:
        return v.is_bool() == c.rhs.get_bool();
      case Cond::IsTimestamp: {
        int64_t ms;
        return isTs(v, ms) == c.rhs.get_bool();
      }
      case Cond::IsPresent:
        return true;
      case Cond::StringMatches:
        return v.is_string() && rhs->is_string() && starMatch(v.get_string(), rhs->get_string());
      case Cond::String: {
        if (!v.is_string() || !rhs->is_string()) return false;
        int x = std::string_view(v.get_string()).compare(std::string_view(rhs->get_string()));
        return rel(x < 0 ? -1 : x > 0 ? 1 : 0);
      }
      case Cond::Numeric: {
        if (!v.is_number() || !rhs->is_number()) return false;
        if (c.relation == Cond::Eq) return jsonEquals(v, *rhs);
        double a = v.to_number<double>(), b = rhs->to_number<double>();
        return rel(a < b ? -1 : a > b ? 1 : 0);
      }
      case Cond::Boolean:
        return v.is_bool() && rhs->is_bool() && v.get_bool() == rhs->get_bool();
      case Cond::Timestamp: {
        int64_t a, b;
        if (!isTs(v, a) || !isTs(*rhs, b)) return false;
        return rel(a < b ? -1 : a > b ? 1 : 0);
      }
    }
    return false;
  }

  void choice(Run& r, const State& s) {
    auto eff = effectiveInput(r, s, false, !s.jsonata);
    if (!eff) return handleError(r, s, eff.error().code, eff.error().message);
    std::optional<json::value> jctx;
    if (s.jsonata) jctx = context(r, s);
    for (const Cond& c : s.choices) {
      Failure f;
      auto m = evalCond(c, r, s, *eff, jctx ? &*jctx : nullptr, f);
      if (!m) return handleError(r, s, f.error, f.cause);
      if (!*m) continue;
      json::value output;
      if (s.jsonata) {
        JEnv env = jenv(r, &r.input, nullptr, nullptr, &*jctx);
        const JTemplate* o = c.joutput ? c.joutput.get() : s.joutput.get();
        output = r.input;
        if (o) {
          auto v = o->eval(env);
          if (!v) return handleError(r, s, v.error().code, v.error().message);
          output = v->value_or(json::value(nullptr));
        }
        if (auto fl = jassignVars(r, c.jassign ? c.jassign.get() : s.jassign.get(), env))
          return handleError(r, s, fl->error, fl->cause);
      } else {
        CtxRef ref{this, &r, &s, nullptr, 0};
        if (auto fl = assignVars(r, s, c.assign ? c.assign : s.assign, *eff))
          return handleError(r, s, fl->error, fl->cause);
        auto o = applyIoPath(s.output_path, std::move(*eff), ref, "OutputPath");
        if (!o) return handleError(r, s, o.error().code, o.error().message);
        output = std::move(*o);
      }
      return exitState(r, s, std::move(output), c.next);
    }
    if (s.default_next >= 0) {
      json::value output = std::move(*eff);
      if (s.jsonata) {
        if (s.joutput) {
          JEnv env = jenv(r, &r.input, nullptr, nullptr, &*jctx);
          auto v = s.joutput->eval(env);
          if (!v) return handleError(r, s, v.error().code, v.error().message);
          output = v->value_or(json::value(nullptr));
        }
      } else {
        if (auto fl = assignVars(r, s, s.assign, output))
          return handleError(r, s, fl->error, fl->cause);
        CtxRef ref{this, &r, &s, nullptr, 0};
        auto o = applyIoPath(s.output_path, std::move(output), ref, "OutputPath");
        if (!o) return handleError(r, s, o.error().code, o.error().message);
        output = std::move(*o);
      }
      return exitState(r, s, std::move(output), s.default_next);
    }
    handleError(
        r, s, "States.NoChoiceMatched",
        "No Matches! No choice rule matched and there is no Default in state '" + s.name + "'.");
  }

  void wait(Run& r, const State& s) {
    auto eff = effectiveInput(r, s, false);
    if (!eff) return handleError(r, s, eff.error().code, eff.error().message);
    int64_t until = now;
    CtxRef ref{this, &r, &s, nullptr, 0};
    if (s.seconds) {
      until = now + static_cast<int64_t>(*s.seconds * 1000);
    } else if (s.timestamp_ms) {
      until = *s.timestamp_ms;
    } else if (s.seconds_path) {
      auto v = resolvePath(*s.seconds_path, scope(*eff, ref));
      auto n = v ? asInt(*v) : std::nullopt;
      if (!n || *n < 0)
        return handleError(r, s, "States.Runtime",
                           "The SecondsPath parameter does not reference a valid non-negative "
                           "integer: '" +
                               s.seconds_path->text() + "'.");
      until = now + *n * 1000;
    } else if (s.timestamp_path) {
      auto v = resolvePath(*s.timestamp_path, scope(*eff, ref));
      int64_t ms;
      if (!v || !v->is_string() || !parseIso8601(std::string(v->get_string()), ms))
        return handleError(r, s, "States.Runtime",
                           "The TimestampPath parameter does not reference a valid ISO-8601 "
                           "timestamp: '" +
                               s.timestamp_path->text() + "'.");
      until = ms;
    } else if (s.jseconds || s.jtimestamp) {
      json::value ctx = context(r, s);
      auto v =
          (s.jseconds ? s.jseconds : s.jtimestamp)->eval(jenv(r, &r.input, nullptr, nullptr, &ctx));
      if (!v) return handleError(r, s, v.error().code, v.error().message);
      if (s.jseconds) {
        auto n = *v ? asInt(**v) : std::nullopt;
        if (!n || *n < 0)
          return handleError(r, s, "States.QueryEvaluationError",
                             "Seconds must evaluate to a non-negative integer.");
        until = now + *n * 1000;
      } else {
        int64_t ms;
        if (!*v || !(*v)->is_string() || !parseIso8601(std::string((*v)->get_string()), ms))
          return handleError(r, s, "States.QueryEvaluationError",
                             "Timestamp must evaluate to an ISO-8601 timestamp.");
        until = ms;
      }
    }
    json::value output;
    if (s.jsonata) {
      output = r.input;
      json::value ctx = context(r, s);
      JEnv env = jenv(r, &r.input, nullptr, nullptr, &ctx);
      if (s.joutput) {
        auto v = s.joutput->eval(env);
        if (!v) return handleError(r, s, v.error().code, v.error().message);
        output = v->value_or(json::value(nullptr));
      }
      if (auto fl = jassignVars(r, s.jassign.get(), env))
        return handleError(r, s, fl->error, fl->cause);
    } else {
      if (auto fl = assignVars(r, s, s.assign, *eff))
        return handleError(r, s, fl->error, fl->cause);
      auto o = applyIoPath(s.output_path, *eff, ref, "OutputPath");
      if (!o) return handleError(r, s, o.error().code, o.error().message);
      output = std::move(*o);
    }
    if (until > now) {
      r.effective = std::move(output);
      r.phase = Run::Waiting;
      r.wake_ms = until;
      return;
    }
    exitState(r, s, std::move(output));
  }

  void succeed(Run& r, const State& s) {
    json::value output;
    if (s.jsonata) {
      output = r.input;
      if (s.joutput) {
        json::value ctx = context(r, s);
        auto v = s.joutput->eval(jenv(r, &r.input, nullptr, nullptr, &ctx));
        if (!v) return handleError(r, s, v.error().code, v.error().message);
        output = v->value_or(json::value(nullptr));
      }
    } else {
      auto eff = effectiveInput(r, s, false);
      if (!eff) return handleError(r, s, eff.error().code, eff.error().message);
      CtxRef ref{this, &r, &s, nullptr, 0};
      auto o = applyIoPath(s.output_path, *eff, ref, "OutputPath");
      if (!o) return handleError(r, s, o.error().code, o.error().message);
      output = std::move(*o);
    }
    json::object d;
    d["name"] = s.name;
    d["output"] = str(output);
    emit("SucceedStateExited", std::move(d));
    finishRun(r, true, std::move(output));
  }

  void failState(Run& r, const State& s) {
    std::string error = s.error.value_or(""), cause = s.cause.value_or("");
    CtxRef ref{this, &r, &s, nullptr, 0};
    auto dyn = [&](const std::optional<DynamicValue>& d, std::string& out,
                   const char* field) -> bool {
      if (!d) return true;
      auto v = d->eval(scope(r.input, ref), field);
      if (!v && v.error().code == "States.IntrinsicFailure") {
        handleError(r, s, v.error().code, v.error().message);
        return false;
      }
      if (!v || !v->is_string()) {
        handleError(r, s, "States.Runtime",
                    std::string("The ") + field + " '" + d->text +
                        "' did not resolve to a string in the input.");
        return false;
      }
      out = std::string(v->get_string());
      return true;
    };
    if (!dyn(s.error_path, error, "ErrorPath")) return;
    if (!dyn(s.cause_path, cause, "CausePath")) return;
    if (s.jerror || s.jcause) {
      json::value ctx = context(r, s);
      JEnv env = jenv(r, &r.input, nullptr, nullptr, &ctx);
      for (auto [t, o] : {std::pair{s.jerror.get(), &error}, std::pair{s.jcause.get(), &cause}}) {
        if (!t) continue;
        auto v = t->eval(env);
        if (!v) return handleError(r, s, v.error().code, v.error().message);
        if (!*v || !(*v)->is_string())
          return handleError(r, s, "States.QueryEvaluationError",
                             "Error and Cause must evaluate to strings.");
        *o = std::string((*v)->get_string());
      }
    }
    finishRun(r, false, nullptr, std::move(error), std::move(cause));
  }

  void parallel(Run& r, const State& s) {
    auto eff = effectiveInput(r, s, true);
    if (!eff) return handleError(r, s, eff.error().code, eff.error().message);
    r.effective = std::move(*eff);
    json::object d;
    d["name"] = s.name;
    emit("ParallelStateStarted", std::move(d));
    r.kids.clear();
    r.results = json::array(s.branches.size(), nullptr);
    for (std::size_t i = 0; i < s.branches.size(); ++i) {
      auto k = std::make_unique<Run>();
      k->list = s.branches[i].get();
      k->state = k->list->start;
      k->input = r.effective;
      k->vars = r.vars;
      r.kids.push_back({static_cast<int64_t>(i), std::move(k)});
    }
    r.cursor = 0;
    r.failed = 0;
    r.phase = Run::Children;
  }

  // The items of a Map state (Items / ItemsPath over the effective input). Deterministic, so
  // snapshots do not store them: restore() recomputes them from the effective input.
  Result<json::array> itemsOf(Run& r, const State& s, const json::value& eff) {
    CtxRef ref{this, &r, &s, nullptr, 0};
    json::value items;
    if (s.jsonata && s.jitems) {
      json::value ctx = context(r, s);
      auto v = s.jitems->eval(jenv(r, &r.input, nullptr, nullptr, &ctx));
      if (!v) return fail(v.error());
      items = v->value_or(json::value(nullptr));
    } else if (!s.jsonata && s.items_path) {
      auto v = resolvePath(*s.items_path, scope(eff, ref));
      if (!v)
        return fail("States.Runtime",
                    "Invalid path '" + s.items_path->text() + "' in ItemsPath: no results.");
      items = std::move(*v);
    } else {
      items = eff;
    }
    if (!items.is_array())
      return fail("States.Runtime", "The items of Map state '" + s.name +
                                        "' must be a JSON array, got '" +
                                        toJson(items).substr(0, 256) + "'.");
    return std::move(items.get_array());
  }

  void map(Run& r, const State& s) {
    auto eff = effectiveInput(r, s, false);
    if (!eff) return handleError(r, s, eff.error().code, eff.error().message);
    CtxRef ref{this, &r, &s, nullptr, 0};
    auto items_r = itemsOf(r, s, *eff);
    if (!items_r) return handleError(r, s, items_r.error().code, items_r.error().message);
    int64_t mc = s.max_concurrency;
    if (s.max_concurrency_path) {
      auto v = resolvePath(*s.max_concurrency_path, scope(*eff, ref));
      auto n = v ? asInt(*v) : std::nullopt;
      if (!n || *n < 0)
        return handleError(r, s, "States.Runtime",
                           "MaxConcurrencyPath '" + s.max_concurrency_path->text() +
                               "' must reference a non-negative integer.");
      mc = *n;
    } else if (s.jmax_concurrency) {
      json::value ctx = context(r, s);
      auto v = s.jmax_concurrency->eval(jenv(r, &r.input, nullptr, nullptr, &ctx));
      auto n = v && *v ? asInt(**v) : std::nullopt;
      if (!n || *n < 0)
        return handleError(r, s, "States.QueryEvaluationError",
                           "MaxConcurrency must evaluate to a non-negative integer.");
      mc = *n;
    }
    r.tol_pct = s.tolerated_percentage.value_or(-1);
    r.tol_count = s.tolerated_count.value_or(-1);
    for (auto [p, dst, pct] : {std::tuple{&s.tolerated_percentage_path, &r.tol_pct, true},
                               std::tuple{&s.tolerated_count_path, &r.tol_count, false}}) {
      if (!*p) continue;
      auto v = resolvePath(**p, scope(*eff, ref));
      if (!v || !v->is_number() || v->to_number<double>() < 0 ||
          (pct && v->to_number<double>() > 100) || (!pct && !asInt(*v)))
        return handleError(r, s, "States.Runtime",
                           "The value of '" + (*p)->text() + "' is not a valid tolerated failure " +
                               (pct ? "percentage." : "count."));
      *dst = v->to_number<double>();
    }
    r.effective = std::move(*eff);
    r.items = std::move(*items_r);
    r.results = json::array(r.items.size(), nullptr);
    r.max_conc = mc;
    r.next_item = 0;
    r.failed = 0;
    r.cursor = 0;
    r.kids.clear();
    json::object d;
    d["name"] = s.name;
    d["length"] = static_cast<int64_t>(r.items.size());
    emit("MapStateStarted", std::move(d));
    r.phase = Run::Children;
  }

  // After restore: recomputes the items of every open Map (they are not in snapshots).
  Result<void> recomputeItems(Run& r) {
    if (r.items_pending) {
      const State& s = r.list->states[r.state];
      auto items = itemsOf(r, s, r.effective);
      if (!items)
        return fail("InvalidSnapshot", "cannot recompute the items of Map state '" + s.name +
                                           "': " + items.error().message);
      r.items = std::move(*items);
      r.items_pending = false;
      if (r.next_item > r.items.size() || r.results.size() != r.items.size())
        return fail("InvalidSnapshot", "bad Map progress in state '" + s.name + "'");
    }
    for (auto& k : r.kids)
      if (auto ok = recomputeItems(*k.run); !ok) return ok;
    return {};
  }

  int64_t limitOf(const Run& r) const {
    return r.max_conc > 0 ? r.max_conc : kDefaultInlineConcurrency;
  }

  bool launchIteration(Run& r, const State& s) {
    int64_t idx = static_cast<int64_t>(r.next_item++);
    const json::value& item = r.items[static_cast<std::size_t>(idx)];
    json::value input;
    if (s.jsonata && s.jitem_selector) {
      json::value ctx = context(r, s, &item, idx);
      auto v = s.jitem_selector->eval(jenv(r, &r.input, nullptr, nullptr, &ctx));
      if (!v) {
        handleError(r, s, v.error().code, v.error().message);
        return false;
      }
      input = v->value_or(json::value(nullptr));
    } else if (s.item_selector) {
      CtxRef ref{this, &r, &s, &item, idx};
      auto v = s.item_selector->eval(scope(r.effective, ref));
      if (!v) {
        handleError(r, s, v.error().code, v.error().message);
        return false;
      }
      input = std::move(*v);
    } else {
      input = item;
    }
    auto k = std::make_unique<Run>();
    k->list = s.processor.get();
    k->state = k->list->start;
    k->input = std::move(input);
    k->vars = r.vars;
    json::object d;
    d["name"] = s.name;
    d["index"] = idx;
    emit("MapIterationStarted", std::move(d));
    r.kids.push_back({idx, std::move(k)});
    return true;
  }

  bool tolerated(const Run& r) const {
    if (r.tol_count < 0 && r.tol_pct < 0) return false;
    bool ok = false;
    if (r.tol_count >= 0 && static_cast<double>(r.failed) <= r.tol_count) ok = true;
    if (r.tol_pct >= 0 && !r.items.empty() &&
        static_cast<double>(r.failed) * 100.0 <= r.tol_pct * static_cast<double>(r.items.size()))
      ok = true;
    return ok;
  }

  void completeChildren(Run& r, const State& s) {
    json::object d;
    d["name"] = s.name;
    emit(s.type == StateType::Map ? "MapStateSucceeded" : "ParallelStateSucceeded", std::move(d));
    json::value result(std::move(r.results));
    r.results = json::array();
    r.items = json::array();
    finishWithResult(r, s, std::move(result));
  }

  void stepChildren(Run& r) {
    const State& s = r.list->states[r.state];
    bool is_map = s.type == StateType::Map;
    if (is_map) {
      while (static_cast<int64_t>(r.kids.size()) < limitOf(r) && r.next_item < r.items.size())
        if (!launchIteration(r, s)) return;
    }
    if (r.kids.empty()) return completeChildren(r, s);
    std::size_t n = r.kids.size();
    std::size_t pick = n;
    for (std::size_t k = 0; k < n; ++k) {
      std::size_t j = (r.cursor + k) % n;
      if (wakeOf(*r.kids[j].run) <= now) {
        pick = j;
        break;
      }
    }
    if (pick == n) return;  // everything is waiting
    Run& kid = *r.kids[pick].run;
    advance(kid);
    if (kid.phase != Run::Done) {
      r.cursor = (pick + 1) % n;
      return;
    }
    int64_t idx = r.kids[pick].index;
    if (kid.ok) {
      r.results[static_cast<std::size_t>(idx)] = std::move(kid.output);
      if (is_map) {
        json::object d;
        d["name"] = s.name;
        d["index"] = idx;
        emit("MapIterationSucceeded", std::move(d));
      }
    } else {
      std::string error = std::move(kid.error), cause = std::move(kid.cause);
      ErrorOrigin origin = kid.failure;
      if (is_map) {
        json::object d;
        d["name"] = s.name;
        d["index"] = idx;
        d["error"] = error;
        d["cause"] = cause;
        emit("MapIterationFailed", std::move(d));
        ++r.failed;
        if (tolerated(r) && !origin.denied) {
          r.results[static_cast<std::size_t>(idx)] = errorOutput(error, cause, origin);
        } else {
          json::object fd;
          fd["name"] = s.name;
          emit("MapStateFailed", std::move(fd));
          if (r.tol_count >= 0 || r.tol_pct >= 0) {
            error = "States.ExceedToleratedFailureThreshold";
            cause = "The specified tolerated failure threshold was exceeded in Map state '" +
                    s.name + "'.";
            origin = {};
          }
          return handleError(r, s, std::move(error), std::move(cause), origin);
        }
      } else {
        json::object fd;
        fd["name"] = s.name;
        emit("ParallelStateFailed", std::move(fd));
        origin.branch = true;
        return handleError(r, s, std::move(error), std::move(cause), origin);
      }
    }
    r.kids.erase(r.kids.begin() + static_cast<std::ptrdiff_t>(pick));
    r.cursor = r.kids.empty() ? 0 : pick % r.kids.size();
    if (r.kids.empty() && (!is_map || r.next_item >= r.items.size())) completeChildren(r, s);
  }

  // When `r` can next advance (0: now). `callbacks` false: as if no callback deadline were
  // set (int64 max: nothing but a callback can move it on).
  int64_t wakeOf(const Run& r, bool callbacks = true) const {
    switch (r.phase) {
      case Run::Waiting:
      case Run::RetryWait:
        return r.wake_ms;
      case Run::Callback:
        return callbacks ? callbackDeadline(r) : std::numeric_limits<int64_t>::max();
      case Run::Children: {
        const State& s = r.list->states[r.state];
        if (r.kids.empty()) return 0;
        if (s.type == StateType::Map && r.next_item < r.items.size() &&
            static_cast<int64_t>(r.kids.size()) < limitOf(r))
          return 0;
        int64_t m = std::numeric_limits<int64_t>::max();
        for (const auto& k : r.kids) {
          m = std::min(m, wakeOf(*k.run, callbacks));
          if (m <= now) break;
        }
        return m;
      }
      default:
        return 0;
    }
  }

  void advance(Run& r) {
    switch (r.phase) {
      case Run::Enter:
        return enterState(r);
      case Run::Scheduled:
        return runTask(r);
      case Run::Waiting: {
        const State& s = r.list->states[r.state];
        json::value out = std::move(r.effective);
        r.effective = nullptr;
        return exitState(r, s, std::move(out));
      }
      case Run::RetryWait: {
        const State& s = r.list->states[r.state];
        return startState(r, s);
      }
      case Run::Children:
        return stepChildren(r);
      case Run::Callback:
        return callbackTimedOut(r);
      case Run::Done:
        return;
    }
  }

  // --- execution level ----------------------------------------------------------------
  // The machine's TimeoutSeconds, as an epoch-ms deadline (int64 max: none).
  int64_t deadline() const {
    const Machine& m = x.machine_->machine();
    return m.timeout_seconds ? x.info_.start_ms + static_cast<int64_t>(*m.timeout_seconds * 1000)
                             : std::numeric_limits<int64_t>::max();
  }

  void timeOut() {
    x.status_ = Status::TimedOut;
    x.error_ = "States.Timeout";
    x.cause_ = "The execution exceeded the state machine's TimeoutSeconds.";
    json::object d;
    d["error"] = x.error_;
    d["cause"] = x.cause_;
    emit("ExecutionTimedOut", std::move(d));
    if (x.root_) {
      abandonKids(*x.root_);
      closeRunToken(*x.root_);
    }
    x.root_.reset();
    x.wake_ms_ = 0;
  }

  // After the root run advanced (a step, a callback): ends the execution when the root run
  // is done, else sets when it can next advance.
  void settle() {
    Run& root = *x.root_;
    if (root.phase == Run::Done) {
      if (root.ok) {
        x.status_ = Status::Succeeded;
        x.output_ = std::move(root.output);
        json::object d;
        d["output"] = str(x.output_);
        emit("ExecutionSucceeded", std::move(d));
      } else {
        x.status_ = Status::Failed;
        x.error_ = std::move(root.error);
        x.cause_ = std::move(root.cause);
        json::object d;
        if (!root.failure.no_error) d["error"] = x.error_;
        if (!root.failure.no_cause) d["cause"] = x.cause_;
        emit("ExecutionFailed", std::move(d));
      }
      x.root_.reset();
      x.wake_ms_ = 0;
      return;
    }
    x.wake_ms_ = std::min(wakeOf(root), deadline());
  }

  // The open task a callback names, or the Step Functions error for it.
  static Result<Run*> openTaskByDigest(Execution& x, const std::string& digest, int64_t now) {
    if (digest.size() != 64) return fail("InvalidToken", "Invalid token digest");
    Run* r = x.status_ == Status::Running && x.root_ ? findToken(*x.root_, digest) : nullptr;
    if (!r) {
      const auto& c = x.closed_tokens_;
      if (std::find(c.begin(), c.end(), digest.substr(0, 32)) != c.end())
        return fail("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
      return fail("TaskDoesNotExist", "The task token does not name a task of this execution");
    }
    std::vector<HistoryEvent> none;
    Interp in{x, nullptr, now, &none};
    if (now >= in.deadline())
      return fail("TaskTimedOut", "Task Timed Out: the execution has exceeded its TimeoutSeconds");
    if (r->phase == Run::Callback && now >= callbackDeadline(*r))
      return fail("TaskTimedOut", "Task Timed Out: the task has exceeded its " +
                                      std::string(r->heartbeat_at && r->heartbeat_at < r->timeout_at
                                                      ? "HeartbeatSeconds"
                                                      : "TimeoutSeconds"));
    if (r->early) return fail("TaskTimedOut", "Task Timed Out: the task has been answered");
    return r;
  }

  // Hands a callback's outcome to the run it names: applied now when the task waits, kept
  // until it is started when it is only scheduled.
  void deliver(Run& r, Run::Early e) {
    if (r.phase == Run::Scheduled) {
      r.early = std::move(e);
      return;
    }
    applyCallback(r, r.list->states[r.state], std::move(e));
    settle();
  }

  static void pending(const Run& r, std::vector<PendingTask>& out) {
    if ((r.phase == Run::Callback && !r.token_digest.empty()) ||
        (r.phase == Run::Scheduled && !r.token.empty())) {
      const State& s = r.list->states[r.state];
      PendingTask p;
      p.token_digest = r.phase == Run::Callback ? r.token_digest : taskTokenDigest(r.token);
      p.state_name = s.name;
      p.resource = s.resource;
      p.scheduled_event_id = r.scheduled_event;
      p.started = r.phase == Run::Callback;
      p.timeout_at_ms = r.timeout_at;
      p.heartbeat_at_ms = r.heartbeat_at;
      p.heartbeat_ms = r.heartbeat_ms;
      out.push_back(std::move(p));
    }
    std::vector<const Run::Kid*> kids;
    for (const auto& k : r.kids) kids.push_back(&k);
    std::sort(kids.begin(), kids.end(),
              [](const Run::Kid* a, const Run::Kid* b) { return a->index < b->index; });
    for (const auto* k : kids) pending(*k->run, out);
  }
};

// ---------------------------------------------------------------------------------------
// Execution

Execution::Execution(std::shared_ptr<const StateMachine> machine, json::value input,
                     ExecutionInfo info)
    : machine_(std::move(machine)), info_(std::move(info)), input_(std::move(input)) {
  if (info_.state_machine_name.empty()) info_.state_machine_name = "riposte";
  if (info_.execution_name.empty())
    info_.execution_name = info_.execution_id.empty() ? newUuid() : info_.execution_id;
  if (info_.execution_id.empty())
    info_.execution_id = "arn:aws:states:local:000000000000:execution:" + info_.state_machine_name +
                         ":" + info_.execution_name;
}
Execution::Execution(Execution&&) noexcept = default;
Execution& Execution::operator=(Execution&&) noexcept = default;
Execution::~Execution() = default;

Status Execution::status() const {
  return status_;
}
int64_t Execution::wakeAtMs() const {
  return wake_ms_;
}
const json::value& Execution::output() const {
  return output_;
}
const std::string& Execution::error() const {
  return error_;
}
const std::string& Execution::cause() const {
  return cause_;
}
int64_t Execution::lastEventId() const {
  return last_event_;
}

void Execution::step(TaskRunner& runner, const Clock& clock, std::vector<HistoryEvent>& out) {
  if (status_ != Status::Running || !machine_) return;
  Interp in{*this, &runner, clock.nowMillis(), &out};
  const Machine& m = machine_->machine();
  if (!started_) {
    started_ = true;
    if (info_.start_ms == 0) info_.start_ms = in.now;
    json::object d;
    d["input"] = Interp::str(input_);
    d["roleArn"] = "arn:aws:iam::000000000000:role/riposte";
    in.emit("ExecutionStarted", std::move(d));
    root_ = std::make_unique<Run>();
    root_->list = &m.top;
    root_->state = m.top.start;
    root_->input = input_;
  }
  if (in.now >= in.deadline()) return in.timeOut();
  if (in.wakeOf(*root_) <= in.now) in.advance(*root_);
  in.settle();
}

// --- callbacks -------------------------------------------------------------------------------

std::vector<PendingTask> Execution::pendingTasks() const {
  std::vector<PendingTask> out;
  if (status_ == Status::Running && root_) Interp::pending(*root_, out);
  return out;
}

bool Execution::awaitingCallback() const {
  if (status_ != Status::Running || !root_) return false;
  std::vector<HistoryEvent> none;
  Interp in{const_cast<Execution&>(*this), nullptr, 0, &none};
  return in.wakeOf(*root_, false) == std::numeric_limits<int64_t>::max();
}

namespace {
// A token as received, checked, then named by its digest.
Result<std::string> digestOf(std::string_view token) {
  if (!wellFormedTaskToken(token)) return fail("InvalidToken", "Invalid token");
  return taskTokenDigest(token);
}
}  // namespace

Result<void> Execution::sendTaskSuccess(std::string_view token, std::string_view output_json,
                                        const Clock& clock, std::vector<HistoryEvent>& out) {
  auto d = digestOf(token);
  if (!d) return fail(d.error());
  return taskSucceeded(*d, output_json, clock, out);
}

Result<void> Execution::sendTaskFailure(std::string_view token,
                                        std::optional<std::string_view> error,
                                        std::optional<std::string_view> cause, const Clock& clock,
                                        std::vector<HistoryEvent>& out) {
  auto d = digestOf(token);
  if (!d) return fail(d.error());
  return taskFailed(*d, error, cause, clock, out);
}

Result<void> Execution::sendTaskHeartbeat(std::string_view token, const Clock& clock) {
  auto d = digestOf(token);
  if (!d) return fail(d.error());
  return taskHeartbeat(*d, clock);
}

Result<void> Execution::taskSucceeded(const std::string& digest, std::string_view output_json,
                                      const Clock& clock, std::vector<HistoryEvent>& out) {
  const int64_t now = clock.nowMillis();
  auto r = Interp::openTaskByDigest(*this, digest, now);
  if (!r) return fail(r.error());
  auto v = parseJson(output_json, 512);
  if (!v) return fail("InvalidOutput", "The output is not valid JSON: " + v.error().message);
  Interp in{*this, nullptr, now, &out};
  Run::Early e;
  e.output = std::move(*v);
  in.deliver(**r, std::move(e));
  return {};
}

Result<void> Execution::taskFailed(const std::string& digest, std::optional<std::string_view> error,
                                   std::optional<std::string_view> cause, const Clock& clock,
                                   std::vector<HistoryEvent>& out) {
  const int64_t now = clock.nowMillis();
  auto r = Interp::openTaskByDigest(*this, digest, now);
  if (!r) return fail(r.error());
  Interp in{*this, nullptr, now, &out};
  Run::Early e;
  e.ok = false;
  e.error = std::string(error.value_or(""));
  e.cause = std::string(cause.value_or(""));
  e.no_error = !error;
  e.no_cause = !cause;
  in.deliver(**r, std::move(e));
  return {};
}

Result<void> Execution::taskHeartbeat(const std::string& digest, const Clock& clock) {
  const int64_t now = clock.nowMillis();
  auto r = Interp::openTaskByDigest(*this, digest, now);
  if (!r) return fail(r.error());
  Run& run = **r;
  if (run.phase == Run::Callback && run.heartbeat_ms > 0) {
    run.heartbeat_at = now + run.heartbeat_ms;
    std::vector<HistoryEvent> none;
    Interp in{*this, nullptr, now, &none};
    wake_ms_ = std::min(in.wakeOf(*root_), in.deadline());
  }
  return {};
}

bool wellFormedTaskToken(std::string_view token) {
  if (token.empty() || token.size() > 2048) return false;
  for (char c : token)
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("-_.~+/=:").find(c) == std::string_view::npos)
      return false;
  return true;
}

std::string taskTokenDigest(std::string_view token) {
  return sha256Hex(token);
}

Result<std::string> TaskRunner::newTaskToken(const TaskRequest&) {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1)
    return fail("States.Runtime", "the CSPRNG (OpenSSL RAND_bytes) failed");
  static const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : b) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kB64[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kB64[(acc << (6 - bits)) & 63]);
  return out;
}

// --- snapshot ------------------------------------------------------------------------------
//
// Two forms. snapshot() (v 1) is self-contained. snapshotIncremental() (v 2) writes the same
// tree, except that values which stay the same over many steps are blobs, handed out once and
// referenced by id ("<key>_b"): the execution input and a Children-phase run's input and
// effective input when they serialize to kBlobMinBytes or more, and a Map's results in chunks
// of kResultChunk once every iteration of the chunk has finished ("rb": the sealed chunks;
// "rpi" and "rp": the indices and results of the finished iterations after them). What a v 2
// snapshot holds apart from blob ids is bounded by the open iterations and one chunk, whatever the
// number of items.

namespace {

constexpr std::size_t kBlobMinBytes = 1024;
constexpr std::size_t kResultChunk = 128;

}  // namespace

struct SnapWriter {
  Execution* x = nullptr;  // incremental: hands out blobs from x; null: self-contained
  std::vector<SnapshotBlob>* blobs = nullptr;

  bool incremental() const { return x != nullptr; }

  std::string newBlob(std::string text) {
    // The same value handed out twice in one snapshot (the execution input, then a first Map's
    // input and effective input) is one blob.
    for (const auto& b : *blobs)
      if (b.json == text) return b.id;
    std::string id = "b" + std::to_string(++x->next_blob_);
    blobs->push_back({id, std::move(text)});
    return id;
  }

  // `v` under `key`, or (incremental, large) the id of a blob holding it under `key`_b;
  // `cache` keeps the decision until the value can change.
  void put(json::object& o, std::string_view key, const json::value& v, std::string& cache) {
    if (incremental()) {
      if (cache.empty()) {
        std::string text = toJson(v);
        cache = text.size() >= kBlobMinBytes ? newBlob(std::move(text)) : "-";
      }
      if (cache != "-") {
        o[std::string(key) + "_b"] = cache;
        return;
      }
    }
    o[key] = v;
  }

  // A running Map's results: sealed chunks as blobs, the finished iterations after them inline.
  void mapResults(json::object& o, Run& r) {
    const std::size_t n = r.results.size(), k = kResultChunk;
    std::vector<std::size_t> open;
    for (const auto& kid : r.kids) open.push_back(static_cast<std::size_t>(kid.index));
    std::sort(open.begin(), open.end());
    // Iterations start in index order: every index below this one has finished.
    std::size_t low = open.empty() ? r.next_item : std::min(open.front(), r.next_item);
    std::size_t c = r.result_chunks.size();
    while (c * k < n && std::min((c + 1) * k, n) <= low) {
      auto first = r.results.begin() + static_cast<std::ptrdiff_t>(c * k);
      auto last = r.results.begin() + static_cast<std::ptrdiff_t>(std::min((c + 1) * k, n));
      r.result_chunks.push_back(newBlob(toJson(json::value(json::array(first, last)))));
      ++c;
    }
    json::array ids;
    for (const auto& id : r.result_chunks) ids.emplace_back(json::string(id));
    json::array pending_at, pending;
    auto next_open = open.begin();
    for (std::size_t i = c * k; i < r.next_item; ++i) {
      while (next_open != open.end() && *next_open < i) ++next_open;
      if (next_open != open.end() && *next_open == i) continue;
      pending_at.emplace_back(static_cast<int64_t>(i));
      pending.push_back(r.results[i]);
    }
    o["n"] = static_cast<int64_t>(n);
    o["rk"] = static_cast<int64_t>(k);
    o["rb"] = std::move(ids);
    o["rpi"] = std::move(pending_at);
    o["rp"] = std::move(pending);
  }

  json::value run(Run& r) {
    json::object o;
    const bool children = r.phase == Run::Children;
    o["s"] = r.list->states[r.state].name;
    o["p"] = phaseName(r.phase);
    if (children)
      put(o, "in", r.input, r.in_blob);
    else
      o["in"] = r.input;
    if (!r.effective.is_null()) {
      if (children)
        put(o, "eff", r.effective, r.eff_blob);
      else
        o["eff"] = r.effective;
    }
    if (!r.retry_counts.empty()) {
      json::array a;
      for (int c : r.retry_counts) a.emplace_back(c);
      o["rc"] = std::move(a);
    }
    if (r.attempt) o["at"] = r.attempt;
    if ((r.phase == Run::Scheduled || r.phase == Run::Callback) && r.scheduled_event)
      o["se"] = r.scheduled_event;
    if (!r.token.empty()) o["tok"] = r.token;  // scheduled, not yet started: see asl.h
    if (r.phase == Run::Callback) {
      o["tk"] = r.token_digest;
      o["tt"] = r.timeout_at;
      if (r.heartbeat_ms) {
        o["th"] = r.heartbeat_at;
        o["hi"] = r.heartbeat_ms;
      }
    }
    if (r.early) {
      json::object e;
      e["ok"] = r.early->ok;
      if (r.early->ok) {
        e["out"] = r.early->output;
      } else {
        if (!r.early->no_error) e["err"] = r.early->error;
        if (!r.early->no_cause) e["cause"] = r.early->cause;
      }
      o["early"] = std::move(e);
    }
    if (r.wake_ms) o["w"] = r.wake_ms;
    o["t"] = r.entered_ms;
    if (!r.vars.empty()) o["vars"] = r.vars;
    if (children) {
      const bool is_map = r.list->states[r.state].type == StateType::Map;
      json::array kids;
      for (const auto& k : r.kids) {
        json::object ko;
        ko["i"] = k.index;
        ko["run"] = run(*k.run);
        kids.push_back(std::move(ko));
      }
      o["kids"] = std::move(kids);
      if (is_map && incremental())
        mapResults(o, r);
      else
        o["res"] = r.results;
      if (!is_map) o["items"] = r.items;
      o["ni"] = static_cast<int64_t>(r.next_item);
      o["nf"] = static_cast<int64_t>(r.failed);
      o["cur"] = static_cast<int64_t>(r.cursor);
      o["mc"] = r.max_conc;
      o["tp"] = r.tol_pct;
      o["tc"] = r.tol_count;
    }
    if (r.phase == Run::Done) {
      o["ok"] = r.ok;
      o["out"] = r.output;
      o["err"] = r.error;
      o["cause"] = r.cause;
      if (r.failure.task) o["tf"] = true;
      if (r.failure.heartbeat) o["hb"] = true;
      if (r.failure.no_error) o["ne"] = true;
      if (r.failure.no_cause) o["nc"] = true;
      if (r.failure.denied) o["dn"] = true;
    }
    if (r.gated) o["gt"] = true;
    if (r.approved) o["ap"] = true;
    return o;
  }

  json::value execution(const Execution& e, std::string& input_blob) {
    json::object o;
    o["v"] = incremental() ? 2 : 1;
    o["status"] = statusName(e.status_);
    o["started"] = e.started_;
    o["last_event"] = e.last_event_;
    o["wake"] = e.wake_ms_;
    json::object info;
    info["id"] = e.info_.execution_id;
    info["name"] = e.info_.execution_name;
    info["machine"] = e.info_.state_machine_name;
    info["start_ms"] = e.info_.start_ms;
    o["info"] = std::move(info);
    // A finished execution's snapshot is self-contained: its blobs may be deleted.
    if (e.status_ == Status::Running)
      put(o, "input", e.input_, input_blob);
    else
      o["input"] = e.input_;
    if (e.status_ == Status::Succeeded) o["output"] = e.output_;
    if (e.status_ != Status::Running && e.status_ != Status::Succeeded) {
      o["error"] = e.error_;
      o["cause"] = e.cause_;
    }
    if (e.root_) o["root"] = run(*e.root_);
    if (!e.closed_tokens_.empty()) {
      json::array ct;
      for (const auto& t : e.closed_tokens_) ct.emplace_back(json::string(t));
      o["ct"] = std::move(ct);
    }
    o["nb"] = e.next_blob_;  // after the blobs this snapshot hands out
    return o;
  }
};

namespace {

// Reads snapshots of either form; `blobs` is null when the caller has none.
struct SnapReader {
  const BlobLookup* blobs = nullptr;

  static tl::unexpected<Error> bad(const std::string& m) { return fail("InvalidSnapshot", m); }

  // The value under `key`, or the blob whose id is under `key`_b (its id kept in `cache`).
  Result<json::value> get(const json::object& o, std::string_view key, std::string* cache) {
    std::string bkey = std::string(key) + "_b";
    if (const auto* id = o.if_contains(bkey)) {
      if (!id->is_string()) return bad("bad blob reference '" + bkey + "'");
      auto v = blob(id->get_string());
      if (v && cache) *cache = std::string(id->get_string());
      return v;
    }
    if (const auto* v = o.if_contains(key)) return *v;
    return json::value(nullptr);
  }

  Result<json::value> blob(std::string_view id) {
    if (!blobs || !*blobs)
      return bad("an incremental snapshot needs its blobs (blob '" + std::string(id) + "')");
    auto text = (*blobs)(id);
    if (!text) return bad("blob '" + std::string(id) + "' was not found");
    auto v = parseJson(*text, 4096);
    if (!v) return bad("blob '" + std::string(id) + "' is not JSON: " + v.error().message);
    return std::move(*v);
  }

  // A Map's results written by SnapWriter::mapResults.
  Result<void> mapResults(const json::object& o, Run& r) {
    int64_t n = -1, k = 0;
    if (const auto* x = o.if_contains("n")) n = asInt(*x).value_or(-1);
    if (const auto* x = o.if_contains("rk")) k = asInt(*x).value_or(0);
    const json::value* ids = o.if_contains("rb");
    const json::value* pending_at = o.if_contains("rpi");
    const json::value* pending = o.if_contains("rp");
    if (n < 0 || k <= 0 || !ids || !ids->is_array() || !pending_at || !pending_at->is_array() ||
        !pending || !pending->is_array() ||
        pending_at->get_array().size() != pending->get_array().size())
      return bad("bad Map results");
    const auto size = static_cast<std::size_t>(n), chunk = static_cast<std::size_t>(k);
    r.results = json::array(size, nullptr);
    std::size_t c = 0;
    for (const auto& id : ids->get_array()) {
      if (!id.is_string()) return bad("bad result chunk reference");
      auto v = blob(id.get_string());
      if (!v) return tl::unexpected(v.error());
      std::size_t first = c * chunk, last = std::min(first + chunk, size);
      if (first >= size || !v->is_array() || v->get_array().size() != last - first)
        return bad("result chunk '" + std::string(id.get_string()) + "' does not fit");
      auto& a = v->get_array();
      for (std::size_t i = first; i < last; ++i) r.results[i] = std::move(a[i - first]);
      r.result_chunks.emplace_back(id.get_string());
      ++c;
    }
    for (std::size_t j = 0; j < pending->get_array().size(); ++j) {
      int64_t i = asInt(pending_at->get_array()[j]).value_or(-1);
      if (i < 0 || static_cast<std::size_t>(i) >= size) return bad("bad pending result");
      r.results[static_cast<std::size_t>(i)] = pending->get_array()[j];
    }
    return {};
  }

  // A `.waitForTaskToken` Task's token fields (SnapWriter::run).
  static Result<void> token(const json::object& o, const State& s, Run& r) {
    auto set = [&](const char* k) {
      auto* x = o.if_contains(k);
      return x && x->is_bool() && x->get_bool();
    };
    r.gated = set("gt");
    r.approved = set("ap");
    if (r.gated && (s.type != StateType::Task || s.wait_for_token || r.phase != Run::Callback))
      return bad("state '" + s.name + "' cannot be waiting for an approval");
    if (r.approved && (s.type != StateType::Task || r.phase != Run::Scheduled))
      return bad("state '" + s.name + "' cannot be an approved attempt");
    const bool callback_task = s.type == StateType::Task && (s.wait_for_token || r.gated);
    if (const auto* t = o.if_contains("tok")) {
      if (!callback_task || r.phase != Run::Scheduled || !t->is_string() ||
          !wellFormedTaskToken(t->get_string()))
        return bad("bad task token in state '" + s.name + "'");
      r.token = std::string(t->get_string());
    }
    if (r.phase == Run::Callback) {
      auto digest = o.if_contains("tk");
      auto hex = [](std::string_view d) {
        return d.size() == 64 && d.find_first_not_of("0123456789abcdef") == std::string_view::npos;
      };
      if (!callback_task || !digest || !digest->is_string() || !hex(digest->get_string()))
        return bad("state '" + s.name + "' cannot be waiting for a callback");
      r.token_digest = std::string(digest->get_string());
      if (auto* x = o.if_contains("tt")) r.timeout_at = asInt(*x).value_or(0);
      if (auto* x = o.if_contains("th")) r.heartbeat_at = asInt(*x).value_or(0);
      if (auto* x = o.if_contains("hi")) r.heartbeat_ms = asInt(*x).value_or(0);
      if (r.timeout_at <= 0 || r.heartbeat_at < 0 || r.heartbeat_ms < 0 ||
          (r.heartbeat_ms > 0) != (r.heartbeat_at > 0))
        return bad("bad callback deadlines in state '" + s.name + "'");
    }
    if (const auto* e = o.if_contains("early")) {
      if (!callback_task || r.phase != Run::Scheduled || r.token.empty() || !e->is_object())
        return bad("bad early callback in state '" + s.name + "'");
      const auto& eo = e->get_object();
      Run::Early early;
      const auto* ok = eo.if_contains("ok");
      if (!ok || !ok->is_bool()) return bad("bad early callback in state '" + s.name + "'");
      early.ok = ok->get_bool();
      if (early.ok) {
        if (const auto* out = eo.if_contains("out")) early.output = *out;
      } else {
        const auto* err = eo.if_contains("err");
        const auto* cause = eo.if_contains("cause");
        if ((err && !err->is_string()) || (cause && !cause->is_string()))
          return bad("bad early callback in state '" + s.name + "'");
        early.no_error = !err;
        early.no_cause = !cause;
        if (err) early.error = std::string(err->get_string());
        if (cause) early.cause = std::string(cause->get_string());
      }
      r.early = std::move(early);
    }
    return {};
  }

  Result<std::unique_ptr<Run>> run(const json::value& v, const StateList* list, int depth) {
    if (depth > 64) return bad("snapshot nested too deeply");
    if (!v.is_object()) return bad("a run must be an object");
    const auto& o = v.get_object();
    auto r = std::make_unique<Run>();
    r->list = list;
    auto sname = stringAt(v, "s");
    if (!sname) return bad("a run needs its state name");
    r->state = list->find(*sname);
    if (r->state < 0) return bad("unknown state '" + *sname + "' (was the machine changed?)");
    auto p = stringAt(v, "p");
    auto ph = p ? phaseFrom(*p) : std::nullopt;
    if (!ph) return bad("bad phase");
    r->phase = *ph;
    auto in = get(o, "in", &r->in_blob);
    if (!in) return tl::unexpected(in.error());
    r->input = std::move(*in);
    auto eff = get(o, "eff", &r->eff_blob);
    if (!eff) return tl::unexpected(eff.error());
    r->effective = std::move(*eff);
    if (auto* x = o.if_contains("rc"); x && x->is_array())
      for (const auto& c : x->get_array())
        r->retry_counts.push_back(static_cast<int>(asInt(c).value_or(0)));
    if (auto* x = o.if_contains("at")) r->attempt = static_cast<int>(asInt(*x).value_or(0));
    if (auto* x = o.if_contains("se")) r->scheduled_event = asInt(*x).value_or(0);
    if (auto* x = o.if_contains("w")) r->wake_ms = asInt(*x).value_or(0);
    if (auto* x = o.if_contains("t")) r->entered_ms = asInt(*x).value_or(0);
    if (auto* x = o.if_contains("vars"); x && x->is_object()) r->vars = x->get_object();
    const State& s = list->states[r->state];
    if (r->phase == Run::Children) {
      if (s.type != StateType::Parallel && s.type != StateType::Map)
        return bad("state '" + s.name + "' has no children");
      if (o.if_contains("rb")) {
        if (s.type != StateType::Map) return bad("state '" + s.name + "' is not a Map");
        if (auto ok = mapResults(o, *r); !ok) return tl::unexpected(ok.error());
      } else if (auto* x = o.if_contains("res"); x && x->is_array()) {
        r->results = x->get_array();
      }
      if (auto* x = o.if_contains("items"); x && x->is_array()) r->items = x->get_array();
      r->next_item = static_cast<std::size_t>(numberAt(v, "ni").value_or(0));
      r->failed = static_cast<std::size_t>(numberAt(v, "nf").value_or(0));
      r->cursor = static_cast<std::size_t>(numberAt(v, "cur").value_or(0));
      r->max_conc = static_cast<int64_t>(numberAt(v, "mc").value_or(0));
      r->tol_pct = numberAt(v, "tp").value_or(-1);
      r->tol_count = numberAt(v, "tc").value_or(-1);
      if (s.type == StateType::Map) r->items_pending = true;
      if (auto* x = o.if_contains("kids"); x && x->is_array()) {
        for (const auto& k : x->get_array()) {
          auto idx = k.is_object() ? numberAt(k, "i") : std::nullopt;
          const json::value* kr = k.is_object() ? k.get_object().if_contains("run") : nullptr;
          if (!idx || !kr) return bad("bad child run");
          int64_t i = static_cast<int64_t>(*idx);
          const StateList* kl = nullptr;
          if (s.type == StateType::Parallel) {
            if (i < 0 || i >= static_cast<int64_t>(s.branches.size()))
              return bad("bad branch index");
            kl = s.branches[static_cast<std::size_t>(i)].get();
          } else {
            kl = s.processor.get();
          }
          if (i < 0 || i >= static_cast<int64_t>(r->results.size())) return bad("bad child index");
          auto kid = run(*kr, kl, depth + 1);
          if (!kid) return tl::unexpected(kid.error());
          r->kids.push_back({i, std::move(*kid)});
        }
      }
      if (r->cursor >= std::max<std::size_t>(1, r->kids.size())) r->cursor = 0;
    }
    if (r->phase == Run::Done) {
      if (auto* x = o.if_contains("ok"); x && x->is_bool()) r->ok = x->get_bool();
      if (auto* x = o.if_contains("out")) r->output = *x;
      r->error = stringAt(v, "err").value_or("");
      r->cause = stringAt(v, "cause").value_or("");
      auto flag = [&](const char* k) {
        auto* x = o.if_contains(k);
        return x && x->is_bool() && x->get_bool();
      };
      r->failure = {.task = flag("tf"),
                    .heartbeat = flag("hb"),
                    .no_error = flag("ne"),
                    .no_cause = flag("nc"),
                    .denied = flag("dn")};
    }
    if (auto ok = token(o, s, *r); !ok) return tl::unexpected(ok.error());
    return r;
  }
};

std::optional<Status> statusFrom(std::string_view s) {
  for (Status st :
       {Status::Running, Status::Succeeded, Status::Failed, Status::TimedOut, Status::Aborted})
    if (s == statusName(st)) return st;
  return std::nullopt;
}

}  // namespace

json::value Execution::snapshot() const {
  std::string no_cache;  // a self-contained snapshot decides nothing to keep
  return SnapWriter{}.execution(*this, no_cache);
}

IncrementalSnapshot Execution::snapshotIncremental() {
  IncrementalSnapshot out;
  SnapWriter w{this, &out.blobs};
  out.snapshot = w.execution(*this, input_blob_);
  return out;
}

Result<Execution> Execution::restore(std::shared_ptr<const StateMachine> machine,
                                     const json::value& snap) {
  return restore(std::move(machine), snap, BlobLookup{});
}

Result<Execution> Execution::restore(std::shared_ptr<const StateMachine> machine,
                                     const json::value& snap, const BlobLookup& blobs) {
  auto bad = [](const std::string& m) { return fail("InvalidSnapshot", m); };
  if (!machine) return bad("no state machine");
  if (!snap.is_object()) return bad("a snapshot must be an object");
  auto version = numberAt(snap, "v").value_or(0);
  if (version != 1 && version != 2) return bad("unknown snapshot version");
  SnapReader reader{&blobs};
  Execution x;
  x.machine_ = machine;
  const auto& o = snap.get_object();
  auto st = stringAt(snap, "status");
  auto status = st ? statusFrom(*st) : std::nullopt;
  if (!status) return bad("bad status");
  x.status_ = *status;
  if (auto* s = o.if_contains("started"); s && s->is_bool()) x.started_ = s->get_bool();
  x.last_event_ = static_cast<int64_t>(numberAt(snap, "last_event").value_or(0));
  x.wake_ms_ = static_cast<int64_t>(numberAt(snap, "wake").value_or(0));
  x.next_blob_ = static_cast<int64_t>(numberAt(snap, "nb").value_or(0));
  x.info_.execution_id = stringAt(snap, "info.id").value_or("");
  x.info_.execution_name = stringAt(snap, "info.name").value_or("");
  x.info_.state_machine_name = stringAt(snap, "info.machine").value_or("");
  x.info_.start_ms = static_cast<int64_t>(numberAt(snap, "info.start_ms").value_or(0));
  if (auto* ct = o.if_contains("ct")) {
    if (!ct->is_array() || ct->get_array().size() > kClosedTokens) return bad("bad closed tokens");
    for (const auto& t : ct->get_array()) {
      if (!t.is_string() || t.get_string().size() != 32) return bad("bad closed token");
      x.closed_tokens_.emplace_back(t.get_string());
    }
  }
  auto input = reader.get(o, "input", &x.input_blob_);
  if (!input) return tl::unexpected(input.error());
  x.input_ = std::move(*input);
  if (auto* i = o.if_contains("output")) x.output_ = *i;
  x.error_ = stringAt(snap, "error").value_or("");
  x.cause_ = stringAt(snap, "cause").value_or("");
  if (x.status_ == Status::Running && x.started_) {
    auto* root = o.if_contains("root");
    if (!root) return bad("a running execution needs its root run");
    auto r = reader.run(*root, &machine->machine().top, 0);
    if (!r) return tl::unexpected(r.error());
    x.root_ = std::move(*r);
    std::vector<HistoryEvent> none;
    Interp in{x, nullptr, 0, &none};
    if (auto ok = in.recomputeItems(*x.root_); !ok) return tl::unexpected(ok.error());
  }
  return x;
}

// --- runToCompletion -------------------------------------------------------------------------
Outcome runToCompletion(std::shared_ptr<const StateMachine> machine, json::value input,
                        TaskRunner& runner, Clock& clock, ExecutionInfo info) {
  Execution x(std::move(machine), std::move(input), std::move(info));
  Outcome o;
  o.history.reserve(64);
  auto* manual = dynamic_cast<ManualClock*>(&clock);
  while (x.status() == Status::Running) {
    x.step(runner, clock, o.history);
    if (x.status() != Status::Running || x.awaitingCallback()) break;
    int64_t now = clock.nowMillis();
    if (x.wakeAtMs() > now) {
      if (manual)
        manual->set(x.wakeAtMs());
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(x.wakeAtMs() - now));
    }
  }
  o.status = x.status();
  o.output = x.output();
  o.error = x.error();
  o.cause = x.cause();
  return o;
}

}  // namespace riposte::asl
