#include "store/postgres/postgres_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/ids.h"
#include "core/log.h"
#include "store/detail.h"

namespace riposte::store {
namespace {

// Each entry upgrades the schema by one version (recorded in schema_migrations).
// Never edit a shipped entry: append a new one.
const char* const kMigrations[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE events (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  received_ms BIGINT NOT NULL,
  source TEXT NOT NULL,
  detail_type TEXT NOT NULL,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  body TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  matched_rules TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX events_pending ON events (received_ms, seq) WHERE status = 'pending';

CREATE TABLE incidents (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  dedup_key TEXT NOT NULL UNIQUE,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  finding_id TEXT NOT NULL,
  finding_type TEXT NOT NULL,
  severity DOUBLE PRECISION NOT NULL,
  title TEXT NOT NULL,
  rule TEXT NOT NULL,
  playbook TEXT NOT NULL,
  status TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  event_count BIGINT NOT NULL,
  first_event_id TEXT NOT NULL
);
CREATE INDEX incidents_created ON incidents (created_ms, seq);
CREATE INDEX incidents_resource ON incidents (resource_id);

CREATE TABLE incident_events (
  seq BIGSERIAL PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  UNIQUE (incident_id, event_id)
);

CREATE TABLE executions (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  incident_id TEXT REFERENCES incidents (id) ON DELETE CASCADE,
  playbook TEXT NOT NULL,
  definition TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT NOT NULL,
  error TEXT NOT NULL,
  cause TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  wake_ms BIGINT NOT NULL,
  started_ms BIGINT NOT NULL,
  ended_ms BIGINT NOT NULL,
  dry_run BOOLEAN NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_until_ms BIGINT NOT NULL
);
CREATE INDEX executions_runnable ON executions (wake_ms, seq) WHERE status = 'RUNNING';
CREATE INDEX executions_incident ON executions (incident_id);

CREATE TABLE history (
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  previous_seq BIGINT NOT NULL,
  timestamp_ms BIGINT NOT NULL,
  type TEXT NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY (execution_id, seq)
);

CREATE TABLE actions (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  incident_id TEXT REFERENCES incidents (id) ON DELETE CASCADE,
  execution_id TEXT REFERENCES executions (id) ON DELETE CASCADE,
  state_name TEXT NOT NULL,
  action TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  state_before TEXT NOT NULL,
  state_after TEXT NOT NULL,
  output TEXT NOT NULL,
  error_code TEXT NOT NULL,
  error_message TEXT NOT NULL,
  summary TEXT NOT NULL,
  changed BOOLEAN NOT NULL,
  started_ms BIGINT NOT NULL,
  ended_ms BIGINT NOT NULL
);
CREATE INDEX actions_incident ON actions (incident_id, started_ms, seq);
CREATE INDEX actions_execution ON actions (execution_id);
)sql",
    // 2: the audit log fed to sinks, and each sink's delivery cursor.
    R"sql(
CREATE TABLE audit_log (
  seq BIGSERIAL PRIMARY KEY,
  time_ms BIGINT NOT NULL,
  kind TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE sink_cursors (
  sink TEXT PRIMARY KEY,
  seq BIGINT NOT NULL
);
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));
// pg_advisory_xact_lock key serialising migrations of several processes ("ripo").
constexpr int64_t kMigrationLock = 0x7269706f;
// pg_advisory_xact_lock key serialising audit-log appends ("ripa"): held from the moment a
// transaction takes its audit seq until it commits, so seqs become visible in commit order and
// a sink reading "seq > cursor" never skips a record committed late. A transaction takes it
// only after its last row lock (audit rows are the last thing it writes), so it cannot deadlock.
constexpr int64_t kAuditLock = 0x72697061;

const std::string kEventCols =
    "id, received_ms, source, detail_type, account, region, body, channel, status, error, "
    "matched_rules";
const std::string kIncidentCols =
    "id, dedup_key, account, region, resource_type, resource_id, finding_id, finding_type, "
    "severity, title, rule, playbook, status, created_ms, updated_ms, event_count, "
    "first_event_id";
const std::string kExecutionCols =
    "id, incident_id, playbook, definition, status, input, output, error, cause, snapshot, "
    "wake_ms, started_ms, ended_ms, dry_run, lease_owner, lease_until_ms";
const std::string kHistoryCols = "execution_id, seq, previous_seq, timestamp_ms, type, details";
const std::string kActionCols =
    "id, incident_id, execution_id, state_name, action, status, input, state_before, "
    "state_after, output, error_code, error_message, summary, changed, started_ms, ended_ms";

// "$1, $2, …, $n"
std::string placeholders(int n) {
  std::string out;
  for (int i = 1; i <= n; ++i) {
    if (i > 1) out += ", ";
    out += "$" + std::to_string(i);
  }
  return out;
}

// One text-format query parameter; nullopt is SQL NULL.
struct Param {
  std::optional<std::string> v;
  Param(const std::string& s) : v(s) {}        // NOLINT(google-explicit-constructor)
  Param(const char* s) : v(std::string(s)) {}  // NOLINT(google-explicit-constructor)
  Param(int64_t i) : v(std::to_string(i)) {}   // NOLINT(google-explicit-constructor)
  Param(int i) : v(std::to_string(i)) {}       // NOLINT(google-explicit-constructor)
  Param(bool b) : v(b ? "true" : "false") {}   // NOLINT(google-explicit-constructor)
  Param(double d) {                            // NOLINT(google-explicit-constructor)
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d);
    v = std::string(buf, res.ptr);
  }
  // Empty strings become NULL (optional foreign keys).
  static Param optional(const std::string& s) {
    Param p(s);
    if (s.empty()) p.v.reset();
    return p;
  }
};

// The rows of one result (owned).
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r, &PQclear) {}
  int size() const { return PQntuples(r_.get()); }
  bool isNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col),
                       static_cast<size_t>(PQgetlength(r_.get(), row, col)));
  }
  int64_t i64(int row, int col) const {
    return std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10);
  }
  double real(int row, int col) const {
    return std::strtod(PQgetvalue(r_.get(), row, col), nullptr);
  }
  bool boolean(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }
  const PGresult* get() const { return r_.get(); }
  // Rows an INSERT/UPDATE/DELETE touched.
  int64_t affected() const {
    return std::strtoll(PQcmdTuples(const_cast<PGresult*>(r_.get())), nullptr, 10);
  }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

void ignoreNotice(void*, const char*) {}

// One connection with its own prepared-statement cache.
class Conn {
 public:
  explicit Conn(PGconn* pg) : pg_(pg) { PQsetNoticeProcessor(pg_, &ignoreNotice, nullptr); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() { PQfinish(pg_); }

  bool ok() const { return PQstatus(pg_) == CONNECTION_OK; }
  bool idle() const { return PQtransactionStatus(pg_) == PQTRANS_IDLE; }
  // Reconnects with the same parameters; prepared statements are gone with the session.
  bool reset() {
    prepared_.clear();
    PQreset(pg_);
    if (ok()) PQsetNoticeProcessor(pg_, &ignoreNotice, nullptr);
    return ok();
  }
  std::string errorMessage() const { return trim(PQerrorMessage(pg_)); }

  // Runs `sql` as a cached prepared statement with text parameters.
  Result<Rows> query(const std::string& sql, const std::vector<Param>& params) {
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
      std::string name = "s" + std::to_string(prepared_.size() + 1);
      Rows prep(
          PQprepare(pg_, name.c_str(), sql.c_str(), static_cast<int>(params.size()), nullptr));
      if (auto e = check(prep, "prepare")) return fail(*e);
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.v ? p.v->c_str() : nullptr);
    Rows rows(PQexecPrepared(pg_, it->second.c_str(), static_cast<int>(values.size()),
                             values.data(), nullptr, nullptr, 0));
    if (auto e = check(rows, "query")) return fail(*e);
    return rows;
  }

  // Runs one or more statements without parameters (BEGIN, COMMIT, migrations).
  Result<void> simple(const std::string& sql) {
    Rows rows(PQexec(pg_, sql.c_str()));
    if (auto e = check(rows, "exec")) return fail(*e);
    return {};
  }

 private:
  static std::string trim(const char* s) {
    std::string m = s ? s : "";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m;
  }

  std::optional<Error> check(const Rows& rows, std::string_view what) const {
    // A null PGresult (out of memory, lost connection) is an error too.
    const PGresult* r = rows.get();
    auto st = PQresultStatus(r);
    if (r != nullptr && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) return std::nullopt;
    std::string msg = r ? trim(PQresultErrorMessage(r)) : "";
    if (msg.empty()) msg = errorMessage();
    msg = std::string(what) + ": " + msg;
    if (!ok()) return Error{"StoreUnavailable", msg};
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : "";
    if (sqlstate == "23505") return Error{"Conflict", msg};
    if (sqlstate == "23503") return Error{"NotFound", msg + " (no such parent row)"};
    if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
      return Error{"StoreBusy", msg};
    }
    if (sqlstate.starts_with("08")) return Error{"StoreUnavailable", msg};
    return Error{"StoreError", msg};
  }

  PGconn* pg_;
  std::unordered_map<std::string, std::string> prepared_;
};

}  // namespace

struct PostgresStore::Impl {
  std::string conninfo;
  int max_conns = 4;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<Conn>> idle;  // guarded by mu
  int total = 0;                            // guarded by mu

  Result<std::unique_ptr<Conn>> connect() const {
    PGconn* pg = PQconnectdb(conninfo.c_str());
    if (pg == nullptr) return fail("StoreUnavailable", "PostgreSQL: out of memory");
    auto c = std::make_unique<Conn>(pg);
    if (!c->ok()) {
      return fail("StoreUnavailable", "cannot connect to PostgreSQL: " + c->errorMessage());
    }
    return c;
  }

  // A connection borrowed from the pool; given back (or dropped when broken) on destruction.
  class Lease {
   public:
    Lease(Impl& im, std::unique_ptr<Conn> c) : im_(im), c_(std::move(c)) {}
    Lease(Lease&& o) noexcept : im_(o.im_), c_(std::move(o.c_)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (!c_) return;
      std::lock_guard lock(im_.mu);
      if (c_->ok() && c_->idle()) {
        im_.idle.push_back(std::move(c_));
      } else {
        c_.reset();
        --im_.total;
      }
      im_.cv.notify_one();
    }
    Conn& operator*() { return *c_; }
    Conn* operator->() { return c_.get(); }

   private:
    Impl& im_;
    std::unique_ptr<Conn> c_;
  };

  Result<Lease> acquire() {
    std::unique_ptr<Conn> c;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return !idle.empty() || total < max_conns; });
      if (!idle.empty()) {
        c = std::move(idle.back());
        idle.pop_back();
      } else {
        ++total;
      }
    }
    if (c) {
      if (!c->ok() && !c->reset()) {
        std::string msg = c->errorMessage();
        Lease drop(*this, std::move(c));  // gives the slot back
        return fail("StoreUnavailable", "cannot reconnect to PostgreSQL: " + msg);
      }
      return Lease(*this, std::move(c));
    }
    auto fresh = connect();
    if (!fresh) {
      std::lock_guard lock(mu);
      --total;
      cv.notify_one();
      return fail(fresh.error());
    }
    return Lease(*this, std::move(*fresh));
  }

  // Runs a read; retried once on a fresh connection when the connection broke.
  template <class F>
  auto read(F&& fn) -> decltype(fn(std::declval<Conn&>())) {
    for (int attempt = 0;; ++attempt) {
      auto lease = acquire();
      if (!lease) return fail(lease.error());
      auto r = fn(**lease);
      if (r || attempt > 0 || (*lease)->ok()) return r;
      (*lease)->reset();
    }
  }

  // Runs `fn` inside BEGIN … COMMIT (rolled back if it fails). When the connection turns out
  // to be broken at BEGIN (nothing was sent yet), reconnects and tries once more.
  template <class F>
  auto write(F&& fn) -> decltype(fn(std::declval<Conn&>())) {
    for (int attempt = 0;; ++attempt) {
      auto lease = acquire();
      if (!lease) return fail(lease.error());
      Conn& c = **lease;
      auto begun = c.simple("BEGIN");
      if (!begun) {
        if (attempt == 0 && !c.ok()) {
          c.reset();
          continue;
        }
        return fail(begun.error());
      }
      auto r = fn(c);
      if (!r) {
        if (c.ok()) (void)c.simple("ROLLBACK");
        return r;
      }
      auto committed = c.simple("COMMIT");
      if (!committed) return fail(committed.error());
      return r;
    }
  }
};

namespace {

EventRecord readEvent(const Rows& r, int i) {
  EventRecord e;
  e.id = r.text(i, 0);
  e.received_ms = r.i64(i, 1);
  e.source = r.text(i, 2);
  e.detail_type = r.text(i, 3);
  e.account = r.text(i, 4);
  e.region = r.text(i, 5);
  e.body = r.text(i, 6);
  e.channel = r.text(i, 7);
  e.status = r.text(i, 8);
  e.error = r.text(i, 9);
  e.matched_rules = detail::decodeStringList(r.text(i, 10));
  return e;
}

IncidentRecord readIncident(const Rows& r, int i) {
  IncidentRecord x;
  x.id = r.text(i, 0);
  x.dedup_key = r.text(i, 1);
  x.account = r.text(i, 2);
  x.region = r.text(i, 3);
  x.resource_type = r.text(i, 4);
  x.resource_id = r.text(i, 5);
  x.finding_id = r.text(i, 6);
  x.finding_type = r.text(i, 7);
  x.severity = r.real(i, 8);
  x.title = r.text(i, 9);
  x.rule = r.text(i, 10);
  x.playbook = r.text(i, 11);
  x.status = r.text(i, 12);
  x.created_ms = r.i64(i, 13);
  x.updated_ms = r.i64(i, 14);
  x.event_count = r.i64(i, 15);
  x.first_event_id = r.text(i, 16);
  return x;
}

ExecutionRecord readExecution(const Rows& r, int i) {
  ExecutionRecord x;
  x.id = r.text(i, 0);
  x.incident_id = r.text(i, 1);  // NULL reads as ""
  x.playbook = r.text(i, 2);
  x.definition = r.text(i, 3);
  x.status = r.text(i, 4);
  x.input = r.text(i, 5);
  x.output = r.text(i, 6);
  x.error = r.text(i, 7);
  x.cause = r.text(i, 8);
  x.snapshot = r.text(i, 9);
  x.wake_ms = r.i64(i, 10);
  x.started_ms = r.i64(i, 11);
  x.ended_ms = r.i64(i, 12);
  x.dry_run = r.boolean(i, 13);
  x.lease_owner = r.text(i, 14);
  x.lease_until_ms = r.i64(i, 15);
  return x;
}

HistoryRecord readHistory(const Rows& r, int i) {
  HistoryRecord h;
  h.execution_id = r.text(i, 0);
  h.seq = r.i64(i, 1);
  h.previous_seq = r.i64(i, 2);
  h.timestamp_ms = r.i64(i, 3);
  h.type = r.text(i, 4);
  h.details = r.text(i, 5);
  return h;
}

ActionRecord readAction(const Rows& r, int i) {
  ActionRecord a;
  a.id = r.text(i, 0);
  a.incident_id = r.text(i, 1);
  a.execution_id = r.text(i, 2);
  a.state_name = r.text(i, 3);
  a.action = r.text(i, 4);
  a.status = r.text(i, 5);
  a.input = r.text(i, 6);
  a.before = r.text(i, 7);
  a.after = r.text(i, 8);
  a.output = r.text(i, 9);
  a.error_code = r.text(i, 10);
  a.error_message = r.text(i, 11);
  a.summary = r.text(i, 12);
  a.changed = r.boolean(i, 13);
  a.started_ms = r.i64(i, 14);
  a.ended_ms = r.i64(i, 15);
  return a;
}

Result<void> insertHistory(Conn& c, const std::string& execution_id,
                           const std::vector<HistoryRecord>& events) {
  static const std::string sql =
      "INSERT INTO history (" + kHistoryCols + ") VALUES (" + placeholders(6) + ")";
  for (const auto& h : events) {
    if (!h.execution_id.empty() && h.execution_id != execution_id) {
      return fail("InvalidArgument", "history event of execution '" + h.execution_id +
                                         "' recorded for execution '" + execution_id + "'");
    }
    RIPOSTE_STORE_TRY(c.query(sql, {execution_id, h.seq, h.previous_seq, h.timestamp_ms, h.type,
                                    h.details.empty() ? std::string("{}") : h.details}));
  }
  return {};
}

Result<std::optional<ExecutionRecord>> selectExecution(Conn& c, const std::string& id) {
  static const std::string sql = "SELECT " + kExecutionCols + " FROM executions WHERE id = $1";
  RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id}));
  if (rows.size() == 0) return std::optional<ExecutionRecord>();
  return std::optional<ExecutionRecord>(readExecution(rows, 0));
}

Result<std::optional<IncidentRecord>> selectIncident(Conn& c, const std::string& id) {
  static const std::string sql = "SELECT " + kIncidentCols + " FROM incidents WHERE id = $1";
  RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id}));
  if (rows.size() == 0) return std::optional<IncidentRecord>();
  return std::optional<IncidentRecord>(readIncident(rows, 0));
}

Result<void> appendAudit(Conn& c, const detail::AuditEntry& e) {
  RIPOSTE_STORE_TRY(c.query("SELECT pg_advisory_xact_lock($1)", {kAuditLock}));
  RIPOSTE_STORE_TRY(c.query("INSERT INTO audit_log (time_ms, kind, json) VALUES ($1, $2, $3)",
                            {e.time_ms, e.kind, e.json}));
  return {};
}

Result<void> auditSteps(Conn& c, const std::string& execution_id, const std::string& incident_id,
                        const std::vector<HistoryRecord>& events) {
  for (const auto& h : events) {
    RIPOSTE_STORE_TRY(appendAudit(c, detail::auditStep(execution_id, incident_id, h)));
  }
  return {};
}

Result<std::optional<ActionRecord>> selectAction(Conn& c, const std::string& id) {
  static const std::string sql = "SELECT " + kActionCols + " FROM actions WHERE id = $1";
  RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id}));
  if (rows.size() == 0) return std::optional<ActionRecord>();
  return std::optional<ActionRecord>(readAction(rows, 0));
}

}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresStore::~PostgresStore() = default;

int PostgresStore::schemaVersion() {
  return kSchemaVersion;
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& conninfo,
                                                           Options options) {
  if (options.pool_size < 1) return fail("InvalidArgument", "pool_size must be >= 1");
  auto impl = std::make_unique<Impl>();
  impl->conninfo = conninfo;
  impl->max_conns = options.pool_size;
  {
    auto c = impl->connect();
    if (!c) return fail(c.error());
    impl->idle.push_back(std::move(*c));
    impl->total = 1;
  }
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

Result<void> PostgresStore::migrate() {
  int64_t from = 0;
  auto r = impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(c.query("SELECT pg_advisory_xact_lock($1)", {kMigrationLock}));
    RIPOSTE_STORE_TRY(
        c.simple("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                 "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"));
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query("SELECT coalesce(max(version), 0) FROM schema_migrations", {}));
    from = rows.i64(0, 0);
    if (from > kSchemaVersion) {
      return fail("StoreError", "database has schema version " + std::to_string(from) +
                                    ", newer than this build's " + std::to_string(kSchemaVersion));
    }
    for (int64_t v = from; v < kSchemaVersion; ++v) {
      auto applied = c.simple(kMigrations[v]);
      if (!applied) {
        return fail("StoreError", "migration to schema version " + std::to_string(v + 1) +
                                      " failed: " + applied.error().message);
      }
      RIPOSTE_STORE_TRY(c.query("INSERT INTO schema_migrations (version) VALUES ($1)", {v + 1}));
    }
    return {};
  });
  if (r && from < kSchemaVersion) {
    logInfo("store schema migrated", {{"backend", "postgresql"},
                                      {"from", std::to_string(from)},
                                      {"to", std::to_string(kSchemaVersion)}});
  }
  return r;
}

Result<void> PostgresStore::ping() {
  return impl_->read([](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(c.query("SELECT 1", {}));
    return {};
  });
}

// --- events ---

Result<std::vector<bool>> PostgresStore::insertEvents(const std::vector<EventRecord>& events) {
  if (events.empty()) return std::vector<bool>();
  for (const auto& e : events) {
    RIPOSTE_STORE_TRY(detail::checkId("event", e.id));
    RIPOSTE_STORE_TRY(detail::checkEventStatus(e.status));
  }
  // Up to kChunk rows per INSERT (one round trip each); RETURNING names the rows inserted.
  // Within one INSERT a later row with the id of an earlier one is skipped, so the first
  // occurrence of an id in the batch is the one stored, as with SQLite.
  constexpr size_t kChunk = 32;
  return impl_->write([&](Conn& c) -> Result<std::vector<bool>> {
    std::vector<bool> stored;
    stored.reserve(events.size());
    std::unordered_set<std::string> seen;
    for (size_t begin = 0; begin < events.size(); begin += kChunk) {
      const size_t end = std::min(events.size(), begin + kChunk);
      std::string sql = "INSERT INTO events (" + kEventCols + ") VALUES ";
      std::vector<Param> params;
      params.reserve((end - begin) * 11);
      for (size_t i = begin; i < end; ++i) {
        const auto& e = events[i];
        if (i > begin) sql += ", ";
        sql += "(";
        for (int k = 1; k <= 11; ++k) {
          if (k > 1) sql += ", ";
          sql += "$" + std::to_string(params.size() + k);
        }
        sql += ")";
        for (Param p :
             {Param(e.id), Param(e.received_ms), Param(e.source), Param(e.detail_type),
              Param(e.account), Param(e.region), Param(e.body), Param(e.channel), Param(e.status),
              Param(e.error), Param(detail::encodeStringList(e.matched_rules))}) {
          params.push_back(std::move(p));
        }
      }
      sql += " ON CONFLICT (id) DO NOTHING RETURNING id";
      RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, params));
      std::unordered_set<std::string> inserted;
      for (int r = 0; r < rows.size(); ++r) inserted.insert(rows.text(r, 0));
      for (size_t i = begin; i < end; ++i) {
        const bool first = seen.insert(events[i].id).second;
        stored.push_back(first && inserted.count(events[i].id) > 0);
      }
    }
    return stored;
  });
}

Result<std::optional<EventRecord>> PostgresStore::getEvent(const std::string& id) {
  static const std::string sql = "SELECT " + kEventCols + " FROM events WHERE id = $1";
  return impl_->read([&](Conn& c) -> Result<std::optional<EventRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id}));
    if (rows.size() == 0) return std::optional<EventRecord>();
    return std::optional<EventRecord>(readEvent(rows, 0));
  });
}

Result<std::vector<EventRecord>> PostgresStore::pendingEvents(int limit) {
  RIPOSTE_STORE_TRY(detail::checkLimit(limit));
  static const std::string sql = "SELECT " + kEventCols +
                                 " FROM events WHERE status = 'pending' "
                                 "ORDER BY received_ms, seq LIMIT $1";
  return impl_->read([&](Conn& c) -> Result<std::vector<EventRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {limit}));
    std::vector<EventRecord> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(readEvent(rows, i));
    return out;
  });
}

Result<void> PostgresStore::markEvent(const std::string& id, const std::string& status,
                                      const std::vector<std::string>& matched_rules,
                                      const std::string& error) {
  RIPOSTE_STORE_TRY(detail::checkEventStatus(status));
  static const std::string sql =
      "UPDATE events SET status = $2, matched_rules = $3, error = $4 WHERE id = $1";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query(sql, {id, status, detail::encodeStringList(matched_rules), error}));
    if (rows.affected() == 0) return fail("NotFound", "no event '" + id + "'");
    return {};
  });
}

Result<int64_t> PostgresStore::countEvents() {
  return impl_->read([](Conn& c) -> Result<int64_t> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query("SELECT count(*) FROM events", {}));
    return rows.i64(0, 0);
  });
}

// --- incidents ---

Result<Store::Upserted> PostgresStore::upsertIncident(const IncidentRecord& rec,
                                                      const std::string& event_id) {
  if (rec.dedup_key.empty()) return fail("InvalidArgument", "incident dedup_key is empty");
  static const std::string insert_sql = "INSERT INTO incidents (" + kIncidentCols + ") VALUES (" +
                                        placeholders(15) +
                                        ", 0, $16) ON CONFLICT (dedup_key) DO NOTHING RETURNING id";
  static const std::string find_sql = "SELECT id FROM incidents WHERE dedup_key = $1 FOR UPDATE";
  static const std::string attach_sql =
      "INSERT INTO incident_events (incident_id, event_id) VALUES ($1, $2) "
      "ON CONFLICT (incident_id, event_id) DO NOTHING";
  static const std::string bump_sql =
      "UPDATE incidents SET event_count = event_count + 1, "
      "updated_ms = greatest(updated_ms, $2), severity = greatest(severity, $3) WHERE id = $1";
  const int64_t now_ms = rec.updated_ms != 0 ? rec.updated_ms : rec.created_ms;
  const std::string new_id = rec.id.empty() ? newId("inc") : rec.id;
  return impl_->write([&](Conn& c) -> Result<Upserted> {
    Upserted out;
    std::string id;
    {
      RIPOSTE_STORE_TRY_ASSIGN(
          rows, c.query(insert_sql,
                        {new_id, rec.dedup_key, rec.account, rec.region, rec.resource_type,
                         rec.resource_id, rec.finding_id, rec.finding_type, rec.severity, rec.title,
                         rec.rule, rec.playbook,
                         rec.status.empty() ? std::string("open") : rec.status, rec.created_ms,
                         now_ms, rec.first_event_id.empty() ? event_id : rec.first_event_id}));
      if (rows.size() == 1) {
        id = rows.text(0, 0);
        out.created = true;
      }
    }
    if (id.empty()) {
      RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(find_sql, {rec.dedup_key}));
      if (rows.size() == 0) {
        return fail("StoreError", "incident '" + rec.dedup_key + "' neither inserted nor found");
      }
      id = rows.text(0, 0);
    }
    bool attached = true;
    if (!event_id.empty()) {
      RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(attach_sql, {id, event_id}));
      attached = rows.affected() == 1;
    }
    if (attached) RIPOSTE_STORE_TRY(c.query(bump_sql, {id, now_ms, rec.severity}));
    RIPOSTE_STORE_TRY_ASSIGN(row, selectIncident(c, id));
    if (!row) return fail("StoreError", "incident '" + id + "' vanished inside its transaction");
    out.incident = std::move(*row);
    if (out.created || attached) {
      RIPOSTE_STORE_TRY(
          appendAudit(c, detail::auditIncident(out.created ? "incident.opened" : "incident.event",
                                               out.incident, event_id)));
    }
    return out;
  });
}

Result<std::optional<IncidentRecord>> PostgresStore::getIncident(const std::string& id) {
  return impl_->read([&](Conn& c) { return selectIncident(c, id); });
}

Result<std::vector<IncidentRecord>> PostgresStore::listIncidents(int limit, int offset) {
  RIPOSTE_STORE_TRY(detail::checkLimit(limit, offset));
  static const std::string sql = "SELECT " + kIncidentCols +
                                 " FROM incidents ORDER BY created_ms DESC, seq DESC "
                                 "LIMIT $1 OFFSET $2";
  return impl_->read([&](Conn& c) -> Result<std::vector<IncidentRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {limit, offset}));
    std::vector<IncidentRecord> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(readIncident(rows, i));
    return out;
  });
}

Result<void> PostgresStore::setIncidentStatus(const std::string& id, const std::string& status,
                                              int64_t now_ms) {
  if (status.empty()) return fail("InvalidArgument", "incident status is empty");
  static const std::string sql = "UPDATE incidents SET status = $2, updated_ms = $3 WHERE id = $1";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id, status, now_ms}));
    if (rows.affected() == 0) return fail("NotFound", "no incident '" + id + "'");
    RIPOSTE_STORE_TRY_ASSIGN(row, selectIncident(c, id));
    if (!row) return fail("StoreError", "incident '" + id + "' vanished inside its transaction");
    auto entry = detail::auditIncident("incident.status", *row, "");
    entry.time_ms = now_ms;
    return appendAudit(c, entry);
  });
}

Result<std::vector<std::string>> PostgresStore::incidentEvents(const std::string& incident_id) {
  static const std::string sql =
      "SELECT event_id FROM incident_events WHERE incident_id = $1 ORDER BY seq";
  return impl_->read([&](Conn& c) -> Result<std::vector<std::string>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {incident_id}));
    std::vector<std::string> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(rows.text(i, 0));
    return out;
  });
}

// --- executions ---

Result<void> PostgresStore::createExecution(const ExecutionRecord& rec,
                                            const std::vector<HistoryRecord>& first_events) {
  RIPOSTE_STORE_TRY(detail::checkId("execution", rec.id));
  static const std::string sql =
      "INSERT INTO executions (" + kExecutionCols + ") VALUES (" + placeholders(16) + ")";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(c.query(
        sql, {rec.id, Param::optional(rec.incident_id), rec.playbook, rec.definition, rec.status,
              rec.input, rec.output, rec.error, rec.cause, rec.snapshot, rec.wake_ms,
              rec.started_ms, rec.ended_ms, rec.dry_run, rec.lease_owner, rec.lease_until_ms}));
    RIPOSTE_STORE_TRY(insertHistory(c, rec.id, first_events));
    RIPOSTE_STORE_TRY(appendAudit(c, detail::auditExecutionStarted(rec)));
    return auditSteps(c, rec.id, rec.incident_id, first_events);
  });
}

Result<std::optional<ExecutionRecord>> PostgresStore::getExecution(const std::string& id) {
  return impl_->read([&](Conn& c) { return selectExecution(c, id); });
}

Result<std::vector<ExecutionRecord>> PostgresStore::executionsForIncident(
    const std::string& incident_id) {
  static const std::string sql = "SELECT " + kExecutionCols +
                                 " FROM executions WHERE incident_id = $1 "
                                 "ORDER BY started_ms, seq";
  return impl_->read([&](Conn& c) -> Result<std::vector<ExecutionRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {incident_id}));
    std::vector<ExecutionRecord> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(readExecution(rows, i));
    return out;
  });
}

Result<void> PostgresStore::recordStep(const ExecutionRecord& rec,
                                       const std::vector<HistoryRecord>& events) {
  RIPOSTE_STORE_TRY(detail::checkId("execution", rec.id));
  static const std::string sql =
      "UPDATE executions SET status = $3, output = $4, error = $5, cause = $6, snapshot = $7, "
      "wake_ms = $8, ended_ms = $9, lease_until_ms = $10 WHERE id = $1 AND lease_owner = $2";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query(sql, {rec.id, rec.lease_owner, rec.status, rec.output, rec.error, rec.cause,
                            rec.snapshot, rec.wake_ms, rec.ended_ms, rec.lease_until_ms}));
    if (rows.affected() == 0) {
      RIPOSTE_STORE_TRY_ASSIGN(current, selectExecution(c, rec.id));
      if (!current) return fail("NotFound", "no execution '" + rec.id + "'");
      return fail("LeaseLost", "execution '" + rec.id + "' is leased by '" + current->lease_owner +
                                   "', not '" + rec.lease_owner + "'");
    }
    RIPOSTE_STORE_TRY(insertHistory(c, rec.id, events));
    if (events.empty()) return {};
    RIPOSTE_STORE_TRY_ASSIGN(current, selectExecution(c, rec.id));
    return auditSteps(c, rec.id, current ? current->incident_id : "", events);
  });
}

Result<std::vector<HistoryRecord>> PostgresStore::history(const std::string& execution_id) {
  static const std::string sql =
      "SELECT " + kHistoryCols + " FROM history WHERE execution_id = $1 ORDER BY seq";
  return impl_->read([&](Conn& c) -> Result<std::vector<HistoryRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {execution_id}));
    std::vector<HistoryRecord> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(readHistory(rows, i));
    return out;
  });
}

Result<std::vector<ExecutionRecord>> PostgresStore::claimRunnable(const std::string& owner,
                                                                  int64_t now_ms, int64_t lease_ms,
                                                                  int limit) {
  if (owner.empty()) return fail("InvalidArgument", "lease owner is empty");
  if (lease_ms <= 0) return fail("InvalidArgument", "lease_ms must be > 0");
  RIPOSTE_STORE_TRY(detail::checkLimit(limit));
  if (limit == 0) return std::vector<ExecutionRecord>();
  // Returned columns: the execution's, then its seq (to restore the pick order).
  static const std::string sql =
      "WITH picked AS (SELECT id FROM executions WHERE status = 'RUNNING' AND wake_ms <= $1 "
      "AND (lease_owner = '' OR lease_until_ms <= $1) ORDER BY wake_ms, seq LIMIT $2 "
      "FOR UPDATE SKIP LOCKED) "
      "UPDATE executions AS e SET lease_owner = $3, lease_until_ms = $4 FROM picked "
      "WHERE e.id = picked.id RETURNING e.id, e.incident_id, e.playbook, e.definition, e.status, "
      "e.input, e.output, e.error, e.cause, e.snapshot, e.wake_ms, e.started_ms, e.ended_ms, "
      "e.dry_run, e.lease_owner, e.lease_until_ms, e.seq";
  return impl_->write([&](Conn& c) -> Result<std::vector<ExecutionRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {now_ms, limit, owner, now_ms + lease_ms}));
    std::vector<std::pair<int64_t, ExecutionRecord>> picked;
    for (int i = 0; i < rows.size(); ++i)
      picked.emplace_back(rows.i64(i, 16), readExecution(rows, i));
    std::sort(picked.begin(), picked.end(), [](const auto& a, const auto& b) {
      return a.second.wake_ms != b.second.wake_ms ? a.second.wake_ms < b.second.wake_ms
                                                  : a.first < b.first;
    });
    std::vector<ExecutionRecord> out;
    out.reserve(picked.size());
    for (auto& p : picked) out.push_back(std::move(p.second));
    return out;
  });
}

Result<std::optional<int64_t>> PostgresStore::nextWake() {
  return impl_->read([](Conn& c) -> Result<std::optional<int64_t>> {
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query("SELECT min(wake_ms) FROM executions WHERE status = 'RUNNING'", {}));
    if (rows.size() == 0 || rows.isNull(0, 0)) return std::optional<int64_t>();
    return std::optional<int64_t>(rows.i64(0, 0));
  });
}

Result<std::vector<std::pair<std::string, int64_t>>> PostgresStore::statusCounts(
    const std::string& table) {
  return impl_->read([&table](Conn& c) -> Result<std::vector<std::pair<std::string, int64_t>>> {
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query("SELECT status, count(*) FROM " + table + " GROUP BY status ORDER BY status",
                      {}));
    std::vector<std::pair<std::string, int64_t>> out;
    for (int i = 0; i < rows.size(); ++i) out.emplace_back(rows.text(i, 0), rows.i64(i, 1));
    return out;
  });
}

Result<std::vector<std::pair<std::string, int64_t>>> PostgresStore::executionCounts() {
  return statusCounts("executions");
}

Result<std::vector<std::pair<std::string, int64_t>>> PostgresStore::incidentCounts() {
  return statusCounts("incidents");
}

// --- actions ---

Result<void> PostgresStore::insertAction(const ActionRecord& rec) {
  RIPOSTE_STORE_TRY(detail::checkId("action", rec.id));
  static const std::string sql =
      "INSERT INTO actions (" + kActionCols + ") VALUES (" + placeholders(16) + ")";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(
        c.query(sql, {rec.id, Param::optional(rec.incident_id), Param::optional(rec.execution_id),
                      rec.state_name, rec.action, rec.status, rec.input, rec.before, rec.after,
                      rec.output, rec.error_code, rec.error_message, rec.summary, rec.changed,
                      rec.started_ms, rec.ended_ms}));
    if (detail::actionEnded(rec.status)) {
      RIPOSTE_STORE_TRY(appendAudit(c, detail::auditActionFinished(rec)));
    }
    return {};
  });
}

Result<void> PostgresStore::updateAction(const ActionRecord& rec) {
  RIPOSTE_STORE_TRY(detail::checkId("action", rec.id));
  static const std::string sql =
      "UPDATE actions SET status = $2, input = $3, state_before = $4, state_after = $5, "
      "output = $6, error_code = $7, error_message = $8, summary = $9, changed = $10, "
      "started_ms = $11, ended_ms = $12 WHERE id = $1";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query(sql, {rec.id, rec.status, rec.input, rec.before, rec.after, rec.output,
                            rec.error_code, rec.error_message, rec.summary, rec.changed,
                            rec.started_ms, rec.ended_ms}));
    if (rows.affected() == 0) return fail("NotFound", "no action '" + rec.id + "'");
    if (!detail::actionEnded(rec.status)) return {};
    RIPOSTE_STORE_TRY_ASSIGN(row, selectAction(c, rec.id));
    if (!row) return fail("StoreError", "action '" + rec.id + "' vanished inside its transaction");
    return appendAudit(c, detail::auditActionFinished(*row));
  });
}

Result<std::vector<ActionRecord>> PostgresStore::actionsForIncident(
    const std::string& incident_id) {
  static const std::string sql =
      "SELECT " + kActionCols + " FROM actions WHERE incident_id = $1 ORDER BY started_ms, seq";
  return impl_->read([&](Conn& c) -> Result<std::vector<ActionRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {incident_id}));
    std::vector<ActionRecord> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(readAction(rows, i));
    return out;
  });
}

// --- audit log and sink cursors ---

Result<std::vector<AuditRecord>> PostgresStore::readAudit(int64_t after_seq, int limit) {
  RIPOSTE_STORE_TRY(detail::checkLimit(limit));
  static const std::string sql =
      "SELECT seq, time_ms, kind, json FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2";
  return impl_->read([&](Conn& c) -> Result<std::vector<AuditRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {after_seq, limit}));
    std::vector<AuditRecord> out;
    out.reserve(static_cast<size_t>(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(AuditRecord{rows.i64(i, 0), rows.i64(i, 1), rows.text(i, 2), rows.text(i, 3)});
    }
    return out;
  });
}

Result<int64_t> PostgresStore::auditHead() {
  return impl_->read([](Conn& c) -> Result<int64_t> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query("SELECT coalesce(max(seq), 0) FROM audit_log", {}));
    return rows.i64(0, 0);
  });
}

Result<int64_t> PostgresStore::sinkCursor(const std::string& sink) {
  RIPOSTE_STORE_TRY(detail::checkId("sink", sink));
  return impl_->read([&](Conn& c) -> Result<int64_t> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query("SELECT seq FROM sink_cursors WHERE sink = $1", {sink}));
    return rows.size() == 0 ? 0 : rows.i64(0, 0);
  });
}

Result<void> PostgresStore::setSinkCursor(const std::string& sink, int64_t seq) {
  RIPOSTE_STORE_TRY(detail::checkId("sink", sink));
  if (seq < 0) return fail("InvalidArgument", "sink cursor " + std::to_string(seq) + " < 0");
  static const std::string sql =
      "INSERT INTO sink_cursors (sink, seq) VALUES ($1, $2) "
      "ON CONFLICT (sink) DO UPDATE SET seq = excluded.seq";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(c.query(sql, {sink, seq}));
    return {};
  });
}

}  // namespace riposte::store
