#include "engine/engine.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include "core/ids.h"
#include "core/log.h"
#include "engine/action_runner.h"
#include "engine/incident.h"
#include "engine/suppressions.h"

namespace riposte::engine {

namespace {

// A stable worker id, so a restarted riposte takes its executions back at once instead of
// waiting for their leases to expire: RIPOSTE_WORKER_ID, else the host name. Several workers on
// one host sharing a store must each set RIPOSTE_WORKER_ID.
std::string hostWorkerId() {
  if (const char* id = std::getenv("RIPOSTE_WORKER_ID"); id && *id) return id;
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host[0] ? std::string(host) : std::string("riposte");
}

json::value parsedOr(const std::string& text, json::value def = nullptr) {
  if (text.empty()) return def;
  auto v = parseJson(text, 512);
  return v ? *v : json::value(text);
}

// {"malicious": [names], "trusted": [names]}: the lists holding any remote address of the
// event (policy::remoteAddressesOf), sorted and each once, as enrich() sets it for matching.
json::object threatIntelOf(const policy::ThreatIntel& intel, const json::object& event) {
  std::set<std::string> mal, tr;
  for (const auto& a : policy::remoteAddressesOf(json::value(event)).remote.addresses) {
    const auto& m = intel.lookup(a);
    mal.insert(m.malicious.begin(), m.malicious.end());
    tr.insert(m.trusted.begin(), m.trusted.end());
  }
  json::array jm, jt;
  for (const auto& n : mal) jm.emplace_back(n);
  for (const auto& n : tr) jt.emplace_back(n);
  return json::object{{"malicious", std::move(jm)}, {"trusted", std::move(jt)}};
}

}  // namespace

Engine::Engine(Config config, std::shared_ptr<store::Store> store, std::shared_ptr<aws::Client> aws,
               const Clock& clock, EngineOptions options)
    : config_(std::move(config)),
      store_(std::move(store)),
      aws_(std::move(aws)),
      clock_(clock),
      options_(std::move(options)),
      registry_(actions::Registry::builtins()) {
  if (options_.worker_id.empty()) options_.worker_id = hostWorkerId();
  if (aws_) roles_ = std::make_unique<aws::AssumeRoleCache>(*aws_, &clock_);
  metrics_.declare("riposte_events_received_total", "Events accepted into the inbox.", "counter");
  metrics_.declare("riposte_events_rejected_total", "Events or requests rejected as invalid.",
                   "counter");
  metrics_.declare("riposte_events_matched_total", "Events matched, per rule.", "counter");
  metrics_.declare("riposte_events_suppressed_total",
                   "Events stored and silenced by a suppression (no incident, no action), per "
                   "suppression.",
                   "counter");
  metrics_.declare("riposte_events_unmatched_total",
                   "Events no enabled rule matched (and no suppression silenced), by source and "
                   "finding type (the detail-type for events that are not findings).",
                   "counter");
  metrics_.declare("riposte_incidents_total", "Incidents opened.", "counter");
  metrics_.declare("riposte_executions_total", "Playbook executions finished, by status.",
                   "counter");
  metrics_.declare("riposte_actions_total", "Response actions run, by action and status.",
                   "counter");
  metrics_.declare("riposte_aws_errors_total", "Failed actions by AWS error code.", "counter");
  metrics_.declare("riposte_actions_replayed_total",
                   "Task attempts met again after a restart, by action and outcome (recorded: "
                   "the recorded result was used, AWS not called; rerun: an interrupted attempt "
                   "ran again; interrupted: it could not safely run again and failed).",
                   "counter");
  metrics_.declare("riposte_task_callbacks_total",
                   "Task token callbacks (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat) by "
                   "kind and outcome (accepted, then applied or discarded; or the error that "
                   "refused it).",
                   "counter");
  metrics_.declare("riposte_action_duration_seconds", "Response action latency.", "histogram",
                   {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
  metrics_.declare("riposte_incidents", "Incidents by status (from the store).", "gauge");
  metrics_.declare("riposte_executions", "Executions by status (from the store).", "gauge");
  metrics_.declare("riposte_inbox_pending", "Accepted events not yet processed.", "gauge");
  Guard::declareMetrics(metrics_);
  guard_ = std::make_unique<Guard>(*store_, clock_, metrics_);
  approvals_ = std::make_unique<ApprovalGate>(
      *store_, clock_, [this] { return this->config(); },
      [this](store::TaskCallbackRecord cb) { return acceptCallbackByDigest(std::move(cb)); });
  ThreatFeeds::declareMetrics(metrics_);
  feeds_ = std::make_unique<ThreatFeeds>(clock_, metrics_, store_.get());
  BlockPublisher::declareMetrics(metrics_);
  publisher_ = std::make_unique<BlockPublisher>(*store_, clock_, metrics_);
  FilterSync::declareMetrics(metrics_);
  filters_ = std::make_unique<FilterSync>(*store_, clock_, metrics_);
  metrics_.declare("riposte_time_to_contain_seconds",
                   "From finding received to the last containment action done.", "histogram",
                   {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300});
}

Engine::~Engine() {
  stop();
}

Result<std::shared_ptr<Engine::Compiled>> Engine::compile(Config config) const {
  auto c = std::make_shared<Compiled>();
  c->config = std::move(config);
  pattern::RuleSetBuilder builder;
  for (const auto& rule : c->config.rules) {
    if (!rule.enabled) continue;
    auto r = builder.add(rule.name, rule.pattern_json);
    if (!r) {
      return fail("InvalidConfig",
                  rule.file + ": rule '" + rule.name +
                      "': Event pattern is not valid. Reason: " + r.error().message);
    }
    c->rule_of.push_back(&rule);
  }
  // A limit that names an action counts a destructive action the registry knows.
  for (const auto& l : c->config.guard_rails.limits) {
    if (l.action.empty()) continue;
    const actions::Action* a = registry_.find(l.action);
    if (!a || !a->descriptor().isDestructive()) {
      return fail("InvalidConfig",
                  "limit '" + l.name + "': action '" + l.action + "' " +
                      (a ? "is not destructive (role " +
                               std::string(actions::roleName(a->descriptor().role)) +
                               "): limits count destructive actions"
                         : "is not a riposte action"));
    }
  }
  c->rules = builder.build();
  return c;
}

std::shared_ptr<Engine::Compiled> Engine::current() const {
  std::lock_guard lk(compiled_mu_);
  return compiled_;
}

std::shared_ptr<const Config> Engine::config() const {
  if (auto c = current()) return std::shared_ptr<const Config>(c, &c->config);
  // Not started: the constructor's configuration, owned by the engine itself.
  return std::shared_ptr<const Config>(std::shared_ptr<const Config>(), &config_);
}

Result<void> Engine::start() {
  auto c = compile(config_);
  if (!c) return fail(c.error());
  {
    std::lock_guard lk(compiled_mu_);
    compiled_ = *c;
  }
  // The threat lists, read before the first event is matched.
  configureThreatIntel(config_);
  if (options_.background) feeds_->start();
  // Executions a killed predecessor with the same worker id held are ours to resume now.
  if (auto r = store_->releaseLeases(options_.worker_id); r && *r > 0) {
    logInfo("resuming executions of a previous run",
            {{"worker", options_.worker_id}, {"executions", std::to_string(*r)}});
  }
  if (options_.background && !running_.exchange(true)) {
    worker_ = std::thread([this] { workerLoop(); });
  }
  return {};
}

void Engine::stop() {
  feeds_->stop();
  if (running_.exchange(false)) {
    {
      std::lock_guard lk(wake_mu_);
      wake_ = true;
    }
    wake_cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }
}

Result<void> Engine::reload(Config config) {
  auto c = compile(std::move(config));
  if (!c) return fail(c.error());
  // New or changed threat lists are read before the new rules match (unchanged ones keep
  // their copies).
  configureThreatIntel((*c)->config);
  std::lock_guard lk(compiled_mu_);
  compiled_ = *c;
  return {};
}

void Engine::configureThreatIntel(const Config& c) {
  feeds_->configure(c.dir, c.threat_intel, c.default_region, aws_);
  feeds_->refresh();
  std::vector<std::string> blockers;  // the actions that block an address
  for (const auto& name : registry_.names()) {
    const actions::Action* a = registry_.find(name);
    if (a && !a->descriptor().blocked_address.empty()) blockers.push_back(name);
  }
  publisher_->configure(c.threat_intel.publish, c.default_region, aws_, std::move(blockers));
  // Suppressions marked `guardduty: archive`: their filters (guardduty_filters.h).
  filters_->configure(c.guardduty, c.default_region, aws_);
}

void Engine::syncFilters(const std::shared_ptr<Compiled>& compiled) {
  auto version = store_->suppressionsVersion();
  if (!version || !filters_->due(*version)) return;
  auto stored = storedSuppressions(*store_);
  if (!stored) {
    logError("GuardDuty filter sync: the stored suppressions", {{"error", stored.error().str()}});
    return;
  }
  auto r = filters_->sync(effectiveSuppressions(compiled->config, std::move(*stored)), *version);
  if (!r) logError("GuardDuty filter sync failed", {{"error", r.error().str()}});
}

Result<std::vector<bool>> Engine::ingest(const std::vector<sources::NormalizedEvent>& events,
                                         const std::string& channel) {
  std::vector<store::EventRecord> recs;
  recs.reserve(events.size());
  int64_t now = clock_.nowMillis();
  for (const auto& e : events) {
    store::EventRecord r;
    r.id = e.id;
    r.received_ms = now;
    r.source = e.source;
    r.detail_type = e.detail_type;
    r.account = e.account;
    r.region = e.region;
    r.body = e.body;
    r.channel = channel;
    recs.push_back(std::move(r));
  }
  auto stored = store_->insertEvents(recs);
  if (!stored) return stored;
  for (bool s : *stored) {
    if (s) metrics_.inc("riposte_events_received_total", {{"channel", channel}});
  }
  {
    std::lock_guard lk(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_all();
  return stored;
}

Result<std::vector<std::string>> Engine::matchRules(std::string_view event_json) const {
  auto c = current();
  if (!c) return fail("NotStarted", "engine not started");
  // Enriched as processEvent enriches it, so what is reported here is what would fire.
  auto to_match = feeds_->intel()->enrich(event_json);
  if (!to_match) return fail(to_match.error());
  auto m = c->rules->matchString(*to_match);
  if (!m) return fail(m.error());
  std::vector<std::string> names;
  for (auto i : *m) names.push_back(c->rule_of[i]->name);
  return names;
}

// What processing an event writes is derived from the event, which was flushed when it was
// accepted: written without flushes of its own (store::Store::Flush), it is hardened by the
// next flushed write — at the latest when a playbook's first action records itself, before
// anything leaves riposte — and a power loss before that only makes the event pending again.
Result<void> Engine::processEvent(const store::EventRecord& ev, const Compiled& compiled,
                                  const policy::SuppressionSet& suppressions) {
  constexpr auto kDerived = store::Store::Flush::kWithNextFlush;
  // Bodies read from the store carry spare capacity: the matcher parses them in place.
  static_assert(store::kBodySpare >= pattern::RuleSet::kPadding);
  // Matched (by rules and suppressions) with riposte.threatIntel set (policy/threat_intel.h):
  // the lists holding the event's remote addresses; a root "riposte" member the event itself
  // carried is dropped. The stored body is not changed.
  const auto intel = feeds_->intel();
  thread_local std::string to_match;
  if (auto en = intel->enrich(ev.body, to_match); !en) {
    metrics_.inc("riposte_events_rejected_total", {{"reason", "unmatchable"}});
    return store_->markEvent(ev.id, "failed", {}, en.error().str(), kDerived);
  }
  auto matched = compiled.rules->matchString(to_match);
  if (!matched) {
    metrics_.inc("riposte_events_rejected_total", {{"reason", "unmatchable"}});
    return store_->markEvent(ev.id, "failed", {}, matched.error().str(), kDerived);
  }
  std::vector<std::string> names;
  for (auto i : *matched) names.push_back(compiled.rule_of[i]->name);

  // The DOM, read at most once: for a scope's resource facts, the unmatched counter's type and
  // the incidents.
  std::optional<Result<json::value>> dom;
  auto parsedEvent = [&]() -> const json::object* {
    if (!dom) dom = parseJson(ev.body, 512);
    return *dom && (*dom)->is_object() ? &(*dom)->get_object() : nullptr;
  };
  if (suppressions.size() > 0) {
    policy::EventFacts facts;
    facts.account = ev.account;
    facts.region = ev.region;
    if (suppressions.needsFacts()) {
      if (const json::object* event = parsedEvent()) addResourceFacts(*event, facts);
    }
    auto s = suppressions.match(to_match, facts, clock_.nowMillis());
    if (!s) return store_->markEvent(ev.id, "failed", names, s.error().str(), kDerived);
    if (*s) {
      metrics_.inc("riposte_events_suppressed_total", {{"suppression", (*s)->name}});
      logInfo("event suppressed", {{"event", ev.id},
                                   {"suppression", (*s)->name},
                                   {"reason", (*s)->reason},
                                   {"rules", std::to_string(names.size())}});
      return store_->markEventSuppressed(ev.id, (*s)->name, names, kDerived);
    }
  }
  if (names.empty()) {
    std::string type;
    if (const json::object* event = parsedEvent()) type = describeIncident(*event).finding_type;
    if (type.empty()) type = ev.detail_type;
    metrics_.inc("riposte_events_unmatched_total", {{"source", ev.source}, {"type", type}});
    return store_->markEvent(ev.id, "processed", {}, "", kDerived);
  }

  const json::object* event_ptr = parsedEvent();
  if (!event_ptr)
    return store_->markEvent(ev.id, "failed", names, "stored event is not a JSON object", kDerived);
  const auto& event = *event_ptr;
  store::IncidentRecord facts = describeIncident(event);
  int64_t now = clock_.nowMillis();

  for (auto i : *matched) {
    const Rule& rule = *compiled.rule_of[i];
    metrics_.inc("riposte_events_matched_total", {{"rule", rule.name}});
    store::IncidentRecord want = facts;
    want.id = newId("inc");
    want.rule = rule.name;
    want.playbook = rule.playbook;
    want.status = rule.playbook.empty() ? "recorded" : "open";
    want.created_ms = want.updated_ms = now;
    want.first_event_id = ev.id;
    auto up = store_->upsertIncident(want, ev.id, kDerived);
    if (!up) return fail(up.error());
    const auto& inc = up->incident;
    if (up->created) {
      metrics_.inc("riposte_incidents_total", {{"rule", rule.name}});
      logInfo("incident opened", {{"incident", inc.id},
                                  {"rule", rule.name},
                                  {"resource", inc.resource_id},
                                  {"finding", inc.finding_type}});
    }
    if (rule.playbook.empty()) continue;
    // One execution per incident and playbook: a repeat of the finding changes nothing.
    auto execs = store_->executionsForIncident(inc.id);
    if (!execs) return fail(execs.error());
    bool exists = std::any_of(execs->begin(), execs->end(),
                              [&](const auto& x) { return x.playbook == rule.playbook; });
    if (exists) continue;
    const auto pb = compiled.config.playbooks.find(rule.playbook);
    if (pb == compiled.config.playbooks.end()) continue;  // checked at load
    json::object input = event;
    json::object meta;
    meta["incidentId"] = inc.id;
    meta["rule"] = rule.name;
    meta["eventId"] = ev.id;
    bool dry = compiled.config.safety.dry_run || rule.dry_run || pb->second.dry_run;
    meta["dryRun"] = dry;
    json::object notify;
    notify["snsTopicArn"] = compiled.config.sns_topic_arn;
    meta["notify"] = std::move(notify);
    meta["remoteIp"] = [&]() -> json::value {
      auto d = event.find("detail");
      if (d == event.end() || !d->value().is_object()) return nullptr;
      auto ip = remoteIpOf(d->value().get_object());
      return ip.empty() ? json::value(nullptr) : json::value(ip);
    }();
    // What the rules matched on, for a Choice: the lists holding the remote addresses.
    meta["threatIntel"] = threatIntelOf(*intel, event);
    input["riposte"] = std::move(meta);

    store::ExecutionRecord x;
    // Deterministic per (incident, playbook): two workers that process the same event race
    // on one primary key, and the loser sees Conflict instead of starting a second response.
    x.id = "exec-" + inc.id.substr(inc.id.find('-') + 1) + "-" + rule.playbook;
    x.incident_id = inc.id;
    x.playbook = rule.playbook;
    x.definition = pb->second.definition_json;
    x.status = "RUNNING";
    x.input = json::serialize(input);
    x.started_ms = now;
    x.wake_ms = now;
    x.dry_run = dry;
    if (auto r = store_->createExecution(x, {}, kDerived); !r) {
      if (r.error().code == "Conflict") continue;  // another worker started it
      return fail(r.error());
    }
    store_->setIncidentStatus(inc.id, "responding", now, kDerived);
    logInfo("execution started", {{"incident", inc.id},
                                  {"execution", x.id},
                                  {"playbook", rule.playbook},
                                  {"dry_run", dry ? "true" : "false"}});
  }
  return store_->markEvent(ev.id, "processed", names, "", kDerived);
}

Result<std::shared_ptr<const asl::StateMachine>> Engine::machineFor(const std::string& definition) {
  std::lock_guard lk(machines_mu_);
  auto it = machines_.find(definition);
  if (it != machines_.end()) return it->second;
  auto def = parseJson(definition, 512);
  if (!def) return fail(def.error());
  auto m = asl::StateMachine::load(
      *def, [this](std::string_view r) { return registry_.find(r) != nullptr; });
  if (!m) return fail(m.error());
  machines_[definition] = *m;
  return *m;
}

// One claimed execution being run by runExecutions.
struct Engine::Live {
  store::ExecutionRecord rec;
  std::optional<asl::Execution> exec;
  std::unique_ptr<ActionRunner> runner;
  std::vector<store::HistoryRecord> hist;
  std::vector<store::SnapshotBlobRecord> blobs;  // this step's new snapshot blobs
  bool finished = false;
  bool parked = false;  // on a durable timer: its lease given back with this step
  // Task tokens: the open ones as last persisted (digest → task), what this step writes of
  // them, whether the execution held any before or after it, and the callbacks it applied.
  std::map<std::string, asl::PendingTask> tokens;
  std::vector<store::TaskTokenRecord> token_writes;
  bool holds_tokens = false;
  std::vector<int64_t> callbacks_applied;
};

Result<std::unique_ptr<Engine::Live>> Engine::startLive(store::ExecutionRecord rec) {
  auto live = std::make_unique<Live>();
  live->rec = std::move(rec);
  store::ExecutionRecord& r = live->rec;
  auto inc = store_->getIncident(r.incident_id);
  if (!inc) return fail(inc.error());
  store::IncidentRecord incident = inc->value_or(store::IncidentRecord{});
  // A definition or snapshot that cannot be loaded fails the execution (recorded at once).
  auto fail_execution = [&](const Error& e) -> Result<std::unique_ptr<Live>> {
    r.status = "FAILED";
    r.error = "States.Runtime";
    r.cause = e.str();
    r.ended_ms = clock_.nowMillis();
    if (auto w = store_->recordStep(r, {}); !w) return fail(w.error());
    finishIncident(r);
    return std::unique_ptr<Live>();
  };
  auto machine = machineFor(r.definition);
  if (!machine) return fail_execution(machine.error());
  if (r.snapshot.empty()) {
    asl::ExecutionInfo info;
    info.execution_id = r.id;
    info.execution_name = r.id;
    info.state_machine_name = r.playbook;
    info.start_ms = r.started_ms;
    live->exec.emplace(*machine, parsedOr(r.input, json::object()), info);
  } else {
    auto snap = parseJson(r.snapshot, 4096);
    if (!snap) return fail_execution(snap.error());
    // An incremental snapshot names blobs written with earlier steps.
    std::optional<Error> lookup_error;
    auto lookup = [&](std::string_view id) -> std::optional<std::string> {
      auto b = store_->snapshotBlob(r.id, std::string(id));
      if (!b) {
        lookup_error = b.error();
        return std::nullopt;
      }
      return *b;
    };
    auto restored = asl::Execution::restore(*machine, *snap, lookup);
    // A store that cannot be read is not a broken execution: leave it for a later claim.
    if (lookup_error) return fail(*lookup_error);
    if (!restored) return fail_execution(restored.error());
    live->exec.emplace(std::move(*restored));
    for (auto& p : live->exec->pendingTasks()) live->tokens.emplace(p.token_digest, p);
  }
  ActionRunnerContext rctx = runnerContext(incident);
  rctx.incident_id = r.incident_id;
  rctx.execution_id = r.id;
  rctx.dry_run = r.dry_run;
  live->runner = std::make_unique<ActionRunner>(std::move(rctx));
  return live;
}

ActionRunnerContext Engine::runnerContext(const store::IncidentRecord& incident) {
  ActionRunnerContext rctx;
  rctx.registry = &registry_;
  rctx.store = store_.get();
  if (auto c = clientForAccount(incident.account)) {
    rctx.aws = *c;
  } else {
    rctx.aws_error = c.error();
  }
  rctx.clock = &clock_;
  rctx.metrics = &metrics_;
  rctx.incident_id = incident.id;
  rctx.playbook = incident.playbook;
  rctx.account = incident.account;
  rctx.region = incident.region;
  auto c = current();
  rctx.protected_tag = c ? c->config.safety.protected_tag_key : "riposte:protected";
  rctx.guard = guard_.get();
  rctx.approvals = approvals_.get();
  rctx.http = http_.get();
  rctx.simulation = options_.simulation;
  if (feeds_->configured()) {
    rctx.intel = feeds_->intel();
    rctx.trusted_unavailable = feeds_->trustedUnavailable();
  }
  rctx.on_blocked = [p = publisher_.get()] { p->markDirty(); };
  if (c) {
    rctx.config = std::shared_ptr<const Config>(c, &c->config);
    for (const auto& rule : c->config.rules) {
      if (rule.name != incident.rule) continue;
      rctx.rule_on_limit = rule.on_limit;
      rctx.require_approval = rule.require_approval;
    }
    if (!rctx.require_approval)
      if (auto pb = c->config.playbooks.find(incident.playbook); pb != c->config.playbooks.end())
        rctx.require_approval = pb->second.require_approval;
    for (const auto& [group, _] : c->config.approvals.groups) rctx.approver_groups.push_back(group);
  }
  return rctx;
}

// Takes one interpreter step of `live` and fills its record and history for recordSteps.
void Engine::stepLive(Live& live, std::vector<asl::HistoryEvent>& events) {
  store::ExecutionRecord& rec = live.rec;
  asl::Execution& exec = *live.exec;
  events.clear();
  // Callbacks accepted for its tokens come first: each is applied at the time it was accepted
  // (a deadline that passed since does not undo it), and they are this step.
  // Its approval requests first: a deadline that passed decides by on_timeout, and a decision
  // not yet handed to its task is (they arrive as callbacks).
  if (!live.tokens.empty()) approvals_->settle(rec.id);
  if (!applyCallbacks(live, events)) exec.step(*live.runner, clock_, events);
  diffTokens(live);
  live.hist.clear();
  for (auto& e : events) {
    store::HistoryRecord h;
    h.execution_id = rec.id;
    h.seq = e.id;
    h.previous_seq = e.previous_id;
    h.timestamp_ms = e.timestamp_ms;
    h.type = std::move(e.type);
    h.details = json::serialize(e.details);
    live.hist.push_back(std::move(h));
  }
  // Incremental: a large Map's finished results and large inputs are blobs written once, so
  // what each step writes does not grow with the items.
  asl::IncrementalSnapshot snap = exec.snapshotIncremental();
  rec.snapshot = json::serialize(snap.snapshot);
  live.blobs.clear();
  for (auto& b : snap.blobs) live.blobs.push_back({std::move(b.id), std::move(b.json)});
  rec.status = asl::statusName(exec.status());
  rec.wake_ms = exec.wakeAtMs();
  // Waiting on an approval: woken at its deadline, to apply on_timeout.
  if (exec.status() == asl::Status::Running && live.holds_tokens)
    rec.wake_ms = std::min(rec.wake_ms, approvals_->settle(rec.id));
  int64_t now = clock_.nowMillis();
  rec.lease_until_ms = now + options_.lease_ms;
  live.finished = exec.status() != asl::Status::Running;
  live.parked = false;
  if (live.finished) {
    rec.ended_ms = now;
    if (exec.status() == asl::Status::Succeeded) {
      rec.output = json::serialize(exec.output());
    } else {
      rec.error = exec.error();
      rec.cause = exec.cause();
    }
  } else if (rec.wake_ms > now) {
    // Parked on a durable timer (Wait, Retry delay): give the lease back, so whichever
    // worker is free when the timer is due runs it.
    rec.lease_until_ms = 0;
    live.parked = true;
  }
}

// Runs the claimed executions in rounds: each round takes one step of every execution still
// running and persists all of those steps in one transaction (one disk flush) before any of
// them takes its next step. An execution leaves when it ends, parks on a durable timer (it is
// claimed again when due) or loses its lease.
Result<void> Engine::runExecutions(std::vector<store::ExecutionRecord> recs) {
  std::vector<std::unique_ptr<Live>> live;
  live.reserve(recs.size());
  for (auto& rec : recs) {
    std::string id = rec.id;
    auto l = startLive(std::move(rec));
    if (!l) {
      logError("execution could not start", {{"execution", id}, {"error", l.error().str()}});
      continue;
    }
    if (*l) live.push_back(std::move(*l));
  }
  std::vector<asl::HistoryEvent> events;
  std::vector<store::Store::StepRef> steps;
  while (!live.empty() && (running_ || !options_.background)) {
    steps.clear();
    for (auto& l : live) {
      stepLive(*l, events);
      steps.push_back({&l->rec, &l->hist, &l->blobs, l->holds_tokens ? &l->token_writes : nullptr,
                       l->callbacks_applied.empty() ? nullptr : &l->callbacks_applied});
    }
    auto written = store_->recordSteps(steps);
    if (!written) return fail(written.error());  // nothing written: resumed from the store
    std::size_t keep = 0;
    for (std::size_t i = 0; i < live.size(); ++i) {
      Live& l = *live[i];
      if (!(*written)[i]) {
        logError("execution step not recorded",
                 {{"execution", l.rec.id}, {"error", (*written)[i].error().str()}});
        continue;
      }
      if (l.finished) {
        metrics_.inc("riposte_executions_total", {{"status", l.rec.status}});
        logInfo("execution finished", {{"incident", l.rec.incident_id},
                                       {"execution", l.rec.id},
                                       {"status", l.rec.status},
                                       {"error", l.rec.error}});
        finishIncident(l.rec);
        continue;
      }
      // On a durable timer, its lease given back: claimed again when due (by any worker).
      if (l.parked) continue;
      live[keep++] = std::move(live[i]);
    }
    live.resize(keep);
  }
  return {};
}

namespace {
// How logs, the audit log and the timeline name a token: never the token itself.
std::string tokenLabel(const std::string& digest) {
  return "sha256:" + digest.substr(0, 12);
}
}  // namespace

bool Engine::applyCallbacks(Live& live, std::vector<asl::HistoryEvent>& events) {
  live.callbacks_applied.clear();
  if (live.tokens.empty()) return false;
  auto cbs = store_->taskCallbacks(live.rec.id);
  if (!cbs) {
    logError("cannot read the task callbacks of an execution",
             {{"execution", live.rec.id}, {"error", cbs.error().str()}});
    return false;
  }
  asl::Execution& exec = *live.exec;
  for (const auto& cb : *cbs) {
    ManualClock at(cb.received_ms);
    Result<void> r;
    if (cb.kind == "success") {
      r = exec.taskSucceeded(cb.token_digest, cb.output, at, events);
    } else if (cb.kind == "failure") {
      auto view = [](const std::optional<std::string>& v) {
        return v ? std::optional<std::string_view>(*v) : std::nullopt;
      };
      r = exec.taskFailed(cb.token_digest, view(cb.error), view(cb.cause), at, events);
    } else {
      r = exec.taskHeartbeat(cb.token_digest, at);
    }
    const std::string outcome = r ? "applied" : "discarded";
    metrics_.inc("riposte_task_callbacks_total", {{"kind", cb.kind}, {"outcome", outcome}});
    if (r) {
      logInfo("task callback applied", {{"execution", live.rec.id},
                                        {"state", cb.state_name},
                                        {"kind", cb.kind},
                                        {"token", tokenLabel(cb.token_digest)}});
    } else {
      // Accepted while the task was open, but the execution closed it before applying it (a
      // sibling branch failed, the execution timed out): Step Functions' TaskTimedOut, late.
      logWarn("task callback discarded: its task was closed before it could be applied",
              {{"execution", live.rec.id},
               {"state", cb.state_name},
               {"kind", cb.kind},
               {"token", tokenLabel(cb.token_digest)},
               {"error", r.error().str()}});
    }
    live.callbacks_applied.push_back(cb.seq);
  }
  return !live.callbacks_applied.empty();
}

void Engine::diffTokens(Live& live) {
  live.token_writes.clear();
  std::map<std::string, asl::PendingTask> next;
  for (auto& p : live.exec->pendingTasks()) next.emplace(p.token_digest, std::move(p));
  live.holds_tokens = !live.tokens.empty() || !next.empty();
  if (!live.holds_tokens) return;
  const int64_t now = clock_.nowMillis();
  auto record = [&](const asl::PendingTask& p, bool closed) {
    store::TaskTokenRecord t;
    t.digest = p.token_digest;
    t.execution_id = live.rec.id;
    t.state_name = p.state_name;
    t.status = closed ? "closed" : "open";
    t.started = p.started;
    t.created_ms = now;
    t.timeout_at_ms = p.timeout_at_ms;
    t.heartbeat_at_ms = p.heartbeat_at_ms;
    t.heartbeat_ms = p.heartbeat_ms;
    t.closed_ms = closed ? now : 0;
    live.token_writes.push_back(std::move(t));
  };
  for (const auto& [digest, p] : next) {
    auto old = live.tokens.find(digest);
    if (old == live.tokens.end() || old->second.started != p.started ||
        old->second.timeout_at_ms != p.timeout_at_ms ||
        old->second.heartbeat_at_ms != p.heartbeat_at_ms) {
      record(p, false);
    }
  }
  for (const auto& [digest, p] : live.tokens) {
    if (!next.count(digest)) record(p, true);
  }
  live.tokens = std::move(next);
}

Result<void> Engine::acceptCallback(std::string_view token, store::TaskCallbackRecord cb) {
  if (!asl::wellFormedTaskToken(token)) {
    metrics_.inc("riposte_task_callbacks_total", {{"kind", cb.kind}, {"outcome", "InvalidToken"}});
    return fail("InvalidToken", "Invalid Token: the task token is malformed");
  }
  cb.token_digest = asl::taskTokenDigest(token);
  return acceptCallbackByDigest(std::move(cb));
}

Result<void> Engine::acceptCallbackByDigest(store::TaskCallbackRecord cb) {
  cb.received_ms = clock_.nowMillis();
  auto r = store_->acceptTaskCallback(cb);
  if (!r) {
    metrics_.inc("riposte_task_callbacks_total", {{"kind", cb.kind}, {"outcome", r.error().code}});
    logInfo("task callback refused",
            {{"kind", cb.kind}, {"token", tokenLabel(cb.token_digest)}, {"error", r.error().code}});
    return fail(r.error());
  }
  metrics_.inc("riposte_task_callbacks_total", {{"kind", cb.kind}, {"outcome", "accepted"}});
  logInfo("task callback accepted", {{"execution", r->execution_id},
                                     {"state", r->state_name},
                                     {"kind", r->kind},
                                     {"token", tokenLabel(r->token_digest)}});
  wakeWorker();
  return {};
}

Result<json::value> Engine::listApprovals(const std::string& status) {
  return approvals_->list(status);
}

Result<json::value> Engine::approval(const std::string& id) {
  return approvals_->get(id);
}

Result<json::value> Engine::decideApproval(const std::string& id, const std::string& decision,
                                           const std::string& reason, const std::string& approver) {
  return approvals_->decide(id, decision, reason, approver);
}

Result<json::value> Engine::approvalLink(const std::string& id, const std::string& token) {
  return approvals_->link(id, token);
}

Result<json::value> Engine::decideApprovalByLink(const std::string& id, const std::string& token,
                                                 const std::string& reason) {
  return approvals_->decideByLink(id, token, reason);
}

json::object Engine::approvalLinks(const json::object& requested) const {
  return approvals_->linksOf(requested);
}

Result<void> Engine::sendTaskSuccess(std::string_view token, std::string_view output_json) {
  if (auto v = parseJson(output_json, 512); !v) {
    return fail("InvalidOutput",
                "Invalid Output: the task output is not valid JSON: " + v.error().message);
  }
  store::TaskCallbackRecord cb;
  cb.kind = "success";
  cb.output = std::string(output_json);
  return acceptCallback(token, std::move(cb));
}

Result<void> Engine::sendTaskFailure(std::string_view token, std::optional<std::string> error,
                                     std::optional<std::string> cause) {
  store::TaskCallbackRecord cb;
  cb.kind = "failure";
  cb.error = std::move(error);
  cb.cause = std::move(cause);
  return acceptCallback(token, std::move(cb));
}

Result<void> Engine::sendTaskHeartbeat(std::string_view token) {
  store::TaskCallbackRecord cb;
  cb.kind = "heartbeat";
  return acceptCallback(token, std::move(cb));
}

void Engine::wakeWorker() {
  {
    std::lock_guard lk(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_all();
}

void Engine::finishIncident(const store::ExecutionRecord& rec) {
  int64_t now = clock_.nowMillis();
  auto actions = store_->actionsForIncident(rec.incident_id);
  bool contained = false, notified = false, limited = false;
  int64_t last_containment = 0;
  if (actions) {
    for (const auto& a : *actions) {
      if (a.execution_id != rec.id) continue;
      bool ok = a.status == "succeeded" || a.status == "unchanged";
      // What the action is decides what its success means (its descriptor's role).
      const actions::Action* action = registry_.find(a.action);
      if (ok && action && action->descriptor().isDestructive()) {
        contained = true;
        last_containment = std::max(last_containment, a.ended_ms);
      }
      if (ok && action && action->descriptor().role == actions::Role::kNotify) notified = true;
      if (a.status == "dry_run" && a.error_code == policy::kLimitExceeded) limited = true;
    }
  }
  std::string status;
  if (rec.status != "SUCCEEDED" && rec.error == policy::kApprovalDenied) {
    status = "denied";  // a person said no (or the deadline did): nothing after it ran
  } else if (rec.status != "SUCCEEDED") {
    status = "failed";
  } else if (rec.dry_run && limited) {
    status = "limited";  // a simulation (riposte simulate): the guard rails decide dry runs too
  } else if (rec.dry_run) {
    status = "planned";
  } else if (contained) {
    status = "contained";
  } else if (limited) {
    status = "limited";  // a limit or the breaker held its containment: planned only
  } else if (notified) {
    status = "notified";
  } else {
    status = "responded";
  }
  // Derived from the execution's last step, which recordSteps wrote the same way.
  store_->setIncidentStatus(rec.incident_id, status, now, store::Store::Flush::kWithNextFlush);
  if (contained) {
    auto inc = store_->getIncident(rec.incident_id);
    if (inc && *inc) {
      auto ev = store_->getEvent((*inc)->first_event_id);
      if (ev && *ev) {
        metrics_.observe("riposte_time_to_contain_seconds", {},
                         static_cast<double>(last_containment - (*ev)->received_ms) / 1000.0);
      }
    }
  }
}

Result<void> Engine::drain() {
  std::lock_guard lk(drain_mu_);
  if (!current()) return fail("NotStarted", "engine not started");
  for (;;) {
    // Taken again at every pass, so a reload applies from the next batch on even while the
    // inbox never empties; the batch in hand finishes under the configuration it began with.
    auto compiled = current();
    bool did = false;
    auto pending = store_->pendingEvents(options_.batch);
    if (!pending) return fail(pending.error());
    std::shared_ptr<const policy::SuppressionSet> supp;
    if (!pending->empty()) {
      auto s = suppressionsFor(compiled);
      // Without the suppressions it cannot know what is silenced: the events wait.
      if (!s) return fail(s.error());
      supp = *s;
    }
    for (const auto& ev : *pending) {
      did = true;
      if (auto r = processEvent(ev, *compiled, *supp); !r) {
        logError("event processing failed", {{"event", ev.id}, {"error", r.error().str()}});
        store_->markEvent(ev.id, "failed", {}, r.error().str());
      }
    }
    auto runnable = store_->claimRunnable(options_.worker_id, clock_.nowMillis(), options_.lease_ms,
                                          options_.batch);
    if (!runnable) return fail(runnable.error());
    if (!runnable->empty()) {
      did = true;
      if (auto r = runExecutions(std::move(*runnable)); !r) {
        logError("execution steps failed", {{"error", r.error().str()}});
      }
    }
    if (!did) {
      // What riposte blocks changed in this drain (a block or a release): GuardDuty's list.
      if (publisher_->due()) (void)publisher_->sync();
      // What GuardDuty archives follows what riposte suppresses.
      syncFilters(compiled);
      return {};
    }
  }
}

bool Engine::waitIdle(int64_t timeout_ms) {
  int64_t deadline = clock_.nowMillis() + timeout_ms;
  for (;;) {
    auto pending = store_->pendingEvents(1);
    auto wake = store_->nextWake();
    bool busy = !pending || !pending->empty() || !wake || (*wake && **wake <= clock_.nowMillis());
    if (!busy) return true;
    if (clock_.nowMillis() > deadline) return false;
    if (options_.background) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } else if (auto r = drain(); !r) {
      return false;
    }
  }
}

void Engine::workerLoop() {
  logInfo("worker started", {{"worker", options_.worker_id}});
  while (running_) {
    if (auto r = drain(); !r) {
      logError("worker pass failed", {{"error", r.error().str()}});
    }
    std::unique_lock lk(wake_mu_);
    int64_t wait_ms = 1000;
    if (auto w = store_->nextWake(); w && *w) {
      wait_ms = std::clamp<int64_t>(**w - clock_.nowMillis(), 0, 1000);
    }
    wake_cv_.wait_for(lk, std::chrono::milliseconds(wait_ms), [this] { return wake_; });
    wake_ = false;
  }
  logInfo("worker stopped", {{"worker", options_.worker_id}});
}

Result<aws::Client*> Engine::clientForAccount(const std::string& account) {
  auto c = current();
  const auto& accounts = c ? c->config.accounts : config_.accounts;
  auto it = accounts.find(account);
  if (it == accounts.end() || !roles_) return aws_.get();
  aws::AssumeRoleRequest req;
  req.role_arn = it->second.role_arn;
  req.external_id = it->second.external_id;
  req.session_name = "riposte";
  auto client = roles_->clientFor(req);
  if (!client) {
    metrics_.inc("riposte_aws_errors_total", {{"code", client.error().code}});
    return fail("AssumeRoleFailed", "cannot assume " + req.role_arn + " for account " + account +
                                        ": " + client.error().str());
  }
  return client->get();
}

Result<json::value> Engine::release(const std::string& incident_id, const std::string& by,
                                    const std::string& reason) {
  auto inc = store_->getIncident(incident_id);
  if (!inc) return fail(inc.error());
  if (!*inc) return fail("NotFound", "no incident '" + incident_id + "'");
  auto acts = store_->actionsForIncident(incident_id);
  if (!acts) return fail(acts.error());
  ActionRunnerContext rctx = runnerContext(**inc);
  rctx.incident_id = incident_id;
  ActionRunner runner(rctx);
  json::array released, skipped, failed;
  for (auto it = acts->rbegin(); it != acts->rend(); ++it) {
    store::ActionRecord a = *it;
    if (a.status != "succeeded") continue;  // unchanged or failed: nothing of ours to undo
    if (a.state_name.starts_with("release:")) continue;  // an undo itself is never undone
    const actions::Action* action = registry_.find(a.action);
    std::string undo = action ? action->descriptor().undo : std::string();
    if (undo.empty()) {
      skipped.push_back(
          json::object{{"actionId", a.id}, {"action", a.action}, {"reason", "not reversible"}});
      continue;
    }
    asl::TaskRequest req;
    req.resource = undo;
    req.parameters =
        actions::undoInput(parsedOr(a.output, json::object()), parsedOr(a.before, json::object()));
    req.state_name = "release:" + a.state_name;
    auto r = runner.run(req);
    if (!r.ok) {
      failed.push_back(json::object{{"actionId", a.id},
                                    {"action", a.action},
                                    {"undo", undo},
                                    {"error", r.error},
                                    {"cause", r.cause}});
      continue;
    }
    a.status = "released";
    if (auto u = store_->updateAction(a); !u) return fail(u.error());
    released.push_back(json::object{{"actionId", a.id},
                                    {"action", a.action},
                                    {"undo", undo},
                                    {"summary", runner.records().back().summary}});
  }
  if (failed.empty()) {
    if (auto s = store_->setIncidentStatus(incident_id, "released", clock_.nowMillis(),
                                           store::Store::Flush::kNow, {by, reason});
        !s)
      return fail(s.error());
  }
  // An address unblocked leaves the list GuardDuty reads (threat_publish.h).
  bool unblocked = false;
  for (const auto& r : released) {
    const actions::Action* a = registry_.find(std::string(r.at("action").as_string()));
    if (a && !a->descriptor().blocked_address.empty()) unblocked = true;
  }
  if (unblocked) {
    publisher_->markDirty();
    if (publisher_->due()) (void)publisher_->sync();
  }
  logInfo("incident released", {{"incident", incident_id},
                                {"by", by},
                                {"reason", reason},
                                {"released", std::to_string(released.size())},
                                {"failed", std::to_string(failed.size())}});
  json::object o;
  o["incidentId"] = incident_id;
  o["status"] = failed.empty() ? "released" : (*inc)->status;
  o["released"] = std::move(released);
  o["skipped"] = std::move(skipped);
  o["failed"] = std::move(failed);
  return o;
}

Result<std::shared_ptr<const policy::SuppressionSet>> Engine::suppressionsFor(
    const std::shared_ptr<Compiled>& compiled) {
  auto version = store_->suppressionsVersion();
  if (!version) return fail(version.error());
  std::lock_guard lk(supp_mu_);
  if (supp_set_ && supp_compiled_ == compiled && supp_version_ == *version) return supp_set_;
  auto stored = storedSuppressions(*store_);
  if (!stored) return fail(stored.error());
  std::vector<std::string> shadowed;
  auto all = effectiveSuppressions(compiled->config, std::move(*stored), &shadowed);
  for (const auto& n : shadowed) {
    logWarn("stored suppression shadowed by the configuration",
            {{"suppression", n}, {"file", compiled->config.suppression_files.at(n)}});
  }
  auto set = policy::SuppressionSet::build(std::move(all));
  if (!set) return fail(set.error());
  supp_set_ = *set;
  supp_compiled_ = compiled;
  supp_version_ = *version;
  return supp_set_;
}

Result<std::shared_ptr<const policy::SuppressionSet>> Engine::suppressions() {
  auto c = current();
  if (!c) return fail("NotStarted", "engine not started");
  return suppressionsFor(c);
}

Result<json::value> Engine::listSuppressions() {
  auto set = suppressions();
  if (!set) return fail(set.error());
  return suppressionsJson(current()->config, (*set)->suppressions(), clock_.nowMillis());
}

Result<json::value> Engine::createSuppression(const json::value& body, const std::string& by) {
  auto c = current();
  if (!c) return fail("NotStarted", "engine not started");
  int64_t now = clock_.nowMillis();
  auto s = engine::createSuppression(*store_, c->config, body, by, now);
  if (!s) return fail(s.error());
  logInfo("suppression created", {{"suppression", s->name}, {"by", by}, {"reason", s->reason}});
  json::object o = policy::suppressionJson(*s, now);
  return o;
}

Result<void> Engine::deleteSuppression(const std::string& name, const std::string& by,
                                       const std::string& reason) {
  auto c = current();
  if (!c) return fail("NotStarted", "engine not started");
  auto r = engine::deleteSuppression(*store_, c->config, name, by, reason, clock_.nowMillis());
  if (!r) return r;
  logInfo("suppression deleted", {{"suppression", name}, {"by", by}, {"reason", reason}});
  return {};
}

std::string Engine::renderMetrics() {
  feeds_->updateGauges();  // the lists' ages, now
  // Counts by status replace the whole family: a status no longer counted reads 0.
  auto byStatus = [](const std::vector<std::pair<std::string, int64_t>>& counts) {
    std::vector<std::pair<Metrics::Labels, double>> out;
    for (const auto& [status, n] : counts)
      out.push_back({{{"status", status}}, static_cast<double>(n)});
    return out;
  };
  if (auto c = store_->incidentCounts()) metrics_.setAll("riposte_incidents", byStatus(*c));
  if (auto c = store_->executionCounts()) metrics_.setAll("riposte_executions", byStatus(*c));
  if (auto p = store_->pendingEvents(10'000)) {
    metrics_.set("riposte_inbox_pending", {}, static_cast<double>(p->size()));
  }
  if (auto c = current()) {
    const auto& rails = c->config.guard_rails;
    const int64_t now = clock_.nowMillis();
    std::vector<std::pair<Metrics::Labels, double>> usage, maxes;
    for (const auto& l : rails.limits) {
      if (!l.max_percent) maxes.push_back({{{"limit", l.name}}, static_cast<double>(l.max)});
      if (auto u = store_->limitUsage(l.name, l.window_ms, now)) {
        for (const auto& [key, n] : *u)
          usage.push_back({{{"limit", l.name}, {"key", key}}, static_cast<double>(n)});
      }
    }
    metrics_.setAll("riposte_limit_usage", usage);
    metrics_.setAll("riposte_limit_max", maxes);
    if (auto b = store_->breakerState()) {
      metrics_.set("riposte_limit_breaker_open", {}, b->open ? 1 : 0);
    }
    if (rails.breaker) {
      if (auto n = store_->breakerCount(rails.breaker->window_ms, now)) {
        metrics_.set("riposte_limit_breaker_attempts", {}, static_cast<double>(*n));
      }
    }
  }
  return metrics_.render();
}

// ---------------------------------------------------------------- guard rails

namespace {

json::object breakerJson(const store::BreakerState& b) {
  json::object o;
  o["state"] = b.open ? "open" : "closed";
  o["open"] = b.open;
  if (b.opened_ms) {
    o["openedAt"] = formatIso8601Millis(b.opened_ms);
    o["openedReason"] = b.opened_reason;
  }
  if (b.closed_ms) {
    o["closedAt"] = formatIso8601Millis(b.closed_ms);
    o["closedBy"] = b.closed_by;
    o["closedReason"] = b.closed_reason;
  }
  return o;
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::value(s));
  return a;
}

json::object scopeListJson(const policy::ScopeList& l) {
  json::object o;
  o["accounts"] = strings(l.accounts);
  o["regions"] = strings(l.regions);
  o["vpcs"] = strings(l.vpcs);
  o["resourceIds"] = strings(l.resource_ids);
  json::object tags;
  for (const auto& [k, v] : l.tags) tags[k] = strings(v);
  o["tags"] = std::move(tags);
  return o;
}

}  // namespace

Result<json::value> Engine::policyView() {
  auto c = current();
  if (!c) return fail("NotStarted", "engine not started");
  const auto& rails = c->config.guard_rails;
  const int64_t now = clock_.nowMillis();
  json::object o;
  json::array limits;
  for (const auto& l : rails.limits) {
    json::object j;
    j["name"] = l.name;
    if (!l.role.empty()) j["role"] = l.role;
    if (!l.action.empty()) j["action"] = l.action;
    json::array per;
    if (l.per_account) per.push_back("account");
    if (l.per_region) per.push_back("region");
    j["per"] = per.empty() ? json::value("global") : json::value(std::move(per));
    if (l.max_percent) {
      j["maxPercent"] = *l.max_percent;
    } else {
      j["max"] = l.max;
    }
    j["window"] = policy::windowName(l.window_ms);
    j["onLimit"] = policy::onLimitName(l.on_limit);
    j["description"] = l.describe();
    auto usage = store_->limitUsage(l.name, l.window_ms, now);
    if (!usage) return fail(usage.error());
    json::array levels;
    for (const auto& [key, n] : *usage) levels.push_back(json::object{{"key", key}, {"count", n}});
    j["levels"] = std::move(levels);
    limits.push_back(std::move(j));
  }
  o["limits"] = std::move(limits);
  auto b = store_->breakerState();
  if (!b) return fail(b.error());
  json::object breaker = breakerJson(*b);
  breaker["armed"] = rails.breaker.has_value();
  if (rails.breaker) {
    breaker["threshold"] = rails.breaker->threshold;
    breaker["window"] = policy::windowName(rails.breaker->window_ms);
    breaker["onLimit"] = policy::onLimitName(rails.breaker->on_limit);
    breaker["description"] = rails.breaker->describe();
    auto n = store_->breakerCount(rails.breaker->window_ms, now);
    if (!n) return fail(n.error());
    breaker["count"] = *n;
  }
  o["breaker"] = std::move(breaker);
  o["scope"] = json::object{{"allow", scopeListJson(rails.scope.allow)},
                            {"deny", scopeListJson(rails.scope.deny)}};
  json::object rules;
  for (const auto& r : c->config.rules) {
    if (r.on_limit) rules[r.name] = json::object{{"onLimit", policy::onLimitName(*r.on_limit)}};
  }
  o["rules"] = std::move(rules);
  // Threat intelligence: every list's size, age and last fetch, and what is published.
  json::object intel = feeds_->statusJson().as_object();
  intel["publish"] = publisher_->statusJson();
  o["threatIntel"] = std::move(intel);
  o["guardDutyFilters"] = filters_->statusJson();
  return o;
}

Result<json::value> Engine::closeBreaker(const std::string& by, const std::string& reason) {
  if (by.empty()) return fail("InvalidInput", "who closes the breaker is required (by)");
  if (reason.empty()) return fail("InvalidInput", "why the breaker is closed is required (reason)");
  auto closed = store_->closeBreaker(by, reason, clock_.nowMillis());
  if (!closed) return fail(closed.error());
  auto b = store_->breakerState();
  if (!b) return fail(b.error());
  if (*closed) {
    logWarn("circuit breaker closed", {{"by", by}, {"reason", reason}});
    {
      std::lock_guard lk(wake_mu_);
      wake_ = true;
    }
    wake_cv_.notify_all();
  }
  return json::object{{"closed", *closed}, {"breaker", breakerJson(*b)}};
}

// ---------------------------------------------------------------- read API

namespace {

// GetExecutionHistory names an event's details after its type: "TaskScheduled" →
// "taskScheduledEventDetails", every "…StateEntered" → "stateEnteredEventDetails".
std::string historyDetailsKey(const std::string& type) {
  if (type.ends_with("StateEntered")) return "stateEnteredEventDetails";
  if (type.ends_with("StateExited")) return "stateExitedEventDetails";
  std::string key = type;
  if (!key.empty()) key[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[0])));
  return key + "EventDetails";
}

json::object incidentJson(const store::IncidentRecord& i) {
  json::object o;
  o["id"] = i.id;
  o["status"] = i.status;
  o["rule"] = i.rule;
  o["playbook"] = i.playbook;
  json::object res;
  res["type"] = i.resource_type;
  res["id"] = i.resource_id;
  res["account"] = i.account;
  res["region"] = i.region;
  o["resource"] = std::move(res);
  json::object f;
  f["id"] = i.finding_id;
  f["type"] = i.finding_type;
  f["severity"] = i.severity;
  f["title"] = i.title;
  o["finding"] = std::move(f);
  o["eventCount"] = i.event_count;
  o["createdAt"] = formatIso8601Millis(i.created_ms);
  o["updatedAt"] = formatIso8601Millis(i.updated_ms);
  return o;
}

}  // namespace

Result<json::value> Engine::listIncidents(int limit, int offset) {
  auto list = store_->listIncidents(limit, offset);
  if (!list) return fail(list.error());
  json::array arr;
  for (const auto& i : *list) arr.push_back(incidentJson(i));
  json::object o;
  o["incidents"] = std::move(arr);
  return o;
}

Result<json::value> Engine::incident(const std::string& id) {
  auto inc = store_->getIncident(id);
  if (!inc) return fail(inc.error());
  if (!*inc) return fail("NotFound", "no incident '" + id + "'");
  json::object o = incidentJson(**inc);
  json::array timeline;
  auto add = [&](int64_t ms, std::string kind, json::object entry) {
    entry["time"] = formatIso8601Millis(ms);
    entry["at"] = ms;
    entry["kind"] = std::move(kind);
    timeline.push_back(std::move(entry));
  };
  auto events = store_->incidentEvents(id);
  if (events) {
    for (const auto& eid : *events) {
      auto ev = store_->getEvent(eid);
      if (!ev || !*ev) continue;
      json::object e;
      e["eventId"] = eid;
      e["channel"] = (*ev)->channel;
      e["source"] = (*ev)->source;
      e["detailType"] = (*ev)->detail_type;
      e["summary"] = "finding received via " + (*ev)->channel;
      add((*ev)->received_ms, "event", std::move(e));
    }
  }
  {
    json::object d;
    const auto& i = **inc;
    d["rule"] = i.rule;
    d["playbook"] = i.playbook;
    d["summary"] =
        "rule '" + i.rule + "' matched: " +
        (i.playbook.empty() ? std::string("record only") : "run playbook '" + i.playbook + "'");
    add(i.created_ms, "decision", std::move(d));
  }
  json::array execs_json;
  auto execs = store_->executionsForIncident(id);
  if (execs) {
    for (const auto& x : *execs) {
      json::object e;
      e["executionId"] = x.id;
      e["playbook"] = x.playbook;
      e["status"] = x.status;
      e["dryRun"] = x.dry_run;
      e["summary"] = "playbook '" + x.playbook + "' started" + (x.dry_run ? " (dry run)" : "");
      add(x.started_ms, "execution_started", e);
      if (x.status != "RUNNING") {
        json::object end;
        end["executionId"] = x.id;
        end["status"] = x.status;
        if (!x.error.empty()) {
          end["error"] = x.error;
          end["cause"] = x.cause;
        }
        end["durationMs"] = x.ended_ms - x.started_ms;
        end["summary"] = "playbook '" + x.playbook + "' " + x.status +
                         (x.error.empty() ? "" : " (" + x.error + ")");
        add(x.ended_ms, "execution_finished", std::move(end));
      }
      // `.waitForTaskToken` Tasks: when each began to wait and when its token closed.
      if (auto tokens = store_->taskTokens(x.id)) {
        for (const auto& t : *tokens) {
          json::object w;
          w["executionId"] = x.id;
          w["state"] = t.state_name;
          w["token"] = tokenLabel(t.digest);
          w["status"] = t.status;
          w["summary"] = "state '" + t.state_name + "' waits for a task token callback (token " +
                         tokenLabel(t.digest) + ")";
          add(t.created_ms, "task_token", std::move(w));
          if (t.status == "closed") {
            json::object c;
            c["executionId"] = x.id;
            c["state"] = t.state_name;
            c["token"] = tokenLabel(t.digest);
            c["summary"] = "task token " + tokenLabel(t.digest) + " of state '" + t.state_name +
                           "' closed (answered, timed out or abandoned): it can no longer be used";
            add(t.closed_ms, "task_token_closed", std::move(c));
          }
        }
      }
      // Approval requests: when each was asked, every vote, and the decision.
      if (auto approvals = store_->listApprovals(x.id)) {
        for (const auto& a : *approvals) {
          auto st = policy::approvalFromJson(parseJson(a.json).value_or(json::value()));
          if (!st) continue;
          json::object r = ApprovalGate::view(a, *st);
          r["summary"] = "approval " + a.id + " requested of " +
                         std::to_string(st->spec.approvers.size()) + " approver(s), quorum " +
                         std::to_string(st->spec.quorum) + ", deadline " +
                         formatIso8601Millis(st->deadline_ms) + ", on_timeout " +
                         (st->spec.on_timeout == policy::OnTimeout::kApprove ? "approve" : "deny");
          add(a.created_ms, "approval_requested", std::move(r));
          for (const auto& v : st->votes) {
            json::object vo{{"approvalId", a.id},
                            {"approver", v.approver},
                            {"decision", v.decision},
                            {"reason", v.reason}};
            vo["summary"] = v.approver + " voted " + v.decision + " on approval " + a.id +
                            (v.reason.empty() ? "" : ": " + v.reason);
            add(v.at_ms, "approval_vote", std::move(vo));
          }
          if (st->status != "pending") {
            json::object d{{"approvalId", a.id},
                           {"status", st->status},
                           {"decidedBy", st->decided_by},
                           {"reason", st->reason}};
            d["summary"] = "approval " + a.id + " " + st->status + " (" + st->decided_by + ")" +
                           (st->reason.empty() ? "" : ": " + st->reason);
            add(st->decided_ms, "approval_decided", std::move(d));
          }
        }
      }
      execs_json.push_back(std::move(e));
    }
  }
  auto acts = store_->actionsForIncident(id);
  if (acts) {
    for (const auto& a : *acts) {
      json::object e;
      e["actionId"] = a.id;
      e["executionId"] = a.execution_id;
      e["state"] = a.state_name;
      e["action"] = a.action;
      e["status"] = a.status;
      e["changed"] = a.changed;
      e["before"] = parsedOr(a.before);
      e["after"] = parsedOr(a.after);
      e["durationMs"] = a.ended_ms > 0 ? a.ended_ms - a.started_ms : 0;
      if (!a.error_code.empty()) {
        e["error"] = a.error_code;
        e["message"] = a.error_message;
      }
      e["summary"] = a.summary;
      add(a.started_ms, "action", std::move(e));
    }
  }
  std::stable_sort(timeline.begin(), timeline.end(),
                   [](const json::value& a, const json::value& b) {
                     return a.at("at").to_number<int64_t>() < b.at("at").to_number<int64_t>();
                   });
  o["executions"] = std::move(execs_json);
  o["timeline"] = std::move(timeline);
  // Whether a suppression now silences this incident's finding (its repeats are then stored
  // and marked suppressed, not attached here): the first event read against the set in force.
  o["suppressedNow"] = nullptr;
  if (auto first = store_->getEvent((*inc)->first_event_id); first && *first) {
    auto set = suppressions();
    if (set && (*set)->size() > 0) {
      policy::EventFacts facts{(*first)->account, (*first)->region, {}, {}};
      if (auto body = parseJson((*first)->body, 512); body && body->is_object())
        addResourceFacts(body->get_object(), facts);
      auto m = (*set)->match((*first)->body, facts, clock_.nowMillis());
      if (m && *m) o["suppressedNow"] = policy::suppressionJson(**m, clock_.nowMillis());
    }
  }
  return o;
}

Result<json::value> Engine::event(const std::string& id) {
  auto ev = store_->getEvent(id);
  if (!ev) return fail(ev.error());
  if (!*ev) return fail("NotFound", "no event '" + id + "'");
  const store::EventRecord& e = **ev;
  json::object o{{"eventId", e.id},
                 {"receivedAt", formatIso8601Millis(e.received_ms)},
                 {"channel", e.channel},
                 {"source", e.source},
                 {"detailType", e.detail_type},
                 {"account", e.account},
                 {"region", e.region},
                 {"status", e.status}};
  json::array rules;
  for (const auto& r : e.matched_rules) rules.push_back(json::value(r));
  o["matchedRules"] = std::move(rules);
  if (!e.error.empty()) o["error"] = e.error;
  if (e.status == "suppressed") {
    json::object why{{"name", e.suppression}};
    auto set = suppressions();
    const policy::Suppression* s = set ? (*set)->find(e.suppression) : nullptr;
    if (s) {
      why = policy::suppressionJson(*s, clock_.nowMillis());
    } else {
      why["deleted"] = true;  // deleted (or its file changed) since it silenced the event
    }
    o["suppression"] = std::move(why);
    o["summary"] = "suppressed by '" + e.suppression + "'" +
                   (s ? " (" + s->reason + ", owner " + s->owner + ")" : std::string()) +
                   ": stored, no incident, no action";
  }
  auto body = parseJson(e.body, 512);
  o["event"] = body ? *body : json::value(nullptr);
  return o;
}

Result<json::value> Engine::execution(const std::string& id) {
  auto x = store_->getExecution(id);
  if (!x) return fail(x.error());
  if (!*x) return fail("NotFound", "no execution '" + id + "'");
  const auto& e = **x;
  json::object o;
  o["executionArn"] = "riposte:execution:" + e.playbook + ":" + e.id;
  o["id"] = e.id;
  o["incidentId"] = e.incident_id;
  o["playbook"] = e.playbook;
  o["status"] = e.status;
  o["dryRun"] = e.dry_run;
  o["startDate"] = formatIso8601Millis(e.started_ms);
  if (e.ended_ms) o["stopDate"] = formatIso8601Millis(e.ended_ms);
  o["input"] = e.input;
  if (e.status == "SUCCEEDED") o["output"] = e.output;
  if (!e.error.empty()) {
    o["error"] = e.error;
    o["cause"] = e.cause;
  }
  json::array events;
  auto hist = store_->history(id);
  if (hist) {
    for (const auto& h : *hist) {
      json::object ev;
      ev["timestamp"] = formatIso8601Millis(h.timestamp_ms);
      ev["type"] = h.type;
      ev["id"] = h.seq;
      ev["previousEventId"] = h.previous_seq;
      auto details = parsedOr(h.details, json::object());
      // GetExecutionHistory names the details after the event type: "taskScheduledEventDetails".
      ev[historyDetailsKey(h.type)] = std::move(details);
      events.push_back(std::move(ev));
    }
  }
  o["events"] = std::move(events);
  return o;
}

}  // namespace riposte::engine
