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

#include "store/detail.h"

namespace riposte::store {
namespace {

using detail::kActionCols;
using detail::kEventCols;
using detail::kExecutionCols;
using detail::kHistoryCols;
using detail::kIncidentCols;

// Schema 6: task tokens by digest and the callbacks accepted for them.
const std::string kTaskTokensSchema = detail::taskTokensSchema("seq BIGSERIAL PRIMARY KEY");

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
    // 3: blobs of incremental snapshots (the same SQL for both backends).
    detail::kSnapshotBlobsSchema,
    // 4: suppressions created at run time, and the one that silenced an event.
    detail::kSuppressionsSchema,
    // 5: blast-radius limits and the breaker (the same SQL for both backends).
    detail::kLimitsSchema,
    // 6: task tokens (by digest) and their accepted callbacks (`.waitForTaskToken`).
    kTaskTokensSchema.c_str(),
    // 7: approval requests (the approval gate).
    detail::kApprovalsSchema,
    // 8: which worker delivers each sink.
    detail::kSinkLeasesSchema,
    // 9: the last good copies of remote threat lists.
    detail::kThreatListCopiesSchema,
};
constexpr int kSchemaVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));
// pg_advisory_xact_lock key serialising migrations of several processes ("ripo").
constexpr int64_t kMigrationLock = 0x7269706f;
// pg_advisory_xact_lock key serialising audit-log appends ("ripa"): held from the moment a
// transaction takes its audit seq until it commits, so seqs become visible in commit order and
// a sink reading "seq > cursor" never skips a record committed late. A transaction takes it
// only after its last row lock (audit rows are the last thing it writes), so it cannot deadlock.
constexpr int64_t kAuditLock = 0x72697061;
// pg_advisory_xact_lock key serialising limit reservations and breaker changes ("ripl"): taken
// first in their transactions, so workers sharing the store count one after the other and two
// cannot both take the last place of a limit.
constexpr int64_t kLimitsLock = 0x7269706c;

// "$1, $2, …, $n" (from $first on).
std::string placeholders(int n, int first = 1) {
  return detail::placeholders('$', n, first);
}

// One text-format query parameter; nullopt is SQL NULL.
struct Param {
  std::optional<std::string> v;
  Param() = default;                           // SQL NULL
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
  Param(detail::NullIfEmpty n) {  // NOLINT(google-explicit-constructor)
    if (!n.s.empty()) v = n.s;
  }
};

// The `put` of the detail::…Values writers: appends each value to `params`.
struct Append {
  std::vector<Param>& params;
  template <class T>
  void operator()(const T& v) {
    params.emplace_back(v);
  }
};

// The parameters a detail::…Values writer puts: paramsOf(detail::stepValues<Append>, rec).
template <class Write, class... Args>
std::vector<Param> paramsOf(Write write, const Args&... args) {
  std::vector<Param> params;
  write(args..., Append{params});
  return params;
}

// The rows of one result (owned).
class Rows {
 public:
  // One row, as the detail::read… row readers take it.
  class Row {
   public:
    Row(const Rows& rows, int i) : rows_(rows), i_(i) {}
    std::string text(int col, std::size_t spare = 0) const { return rows_.text(i_, col, spare); }
    int64_t i64(int col) const { return rows_.i64(i_, col); }
    double real(int col) const { return rows_.real(i_, col); }
    bool flag(int col) const { return rows_.boolean(i_, col); }

   private:
    const Rows& rows_;
    int i_;
  };

  explicit Rows(PGresult* r) : r_(r, &PQclear) {}

  // Every row through `read` (which takes a Row).
  template <class Read>
  auto all(Read read) const -> std::vector<decltype(read(std::declval<Row>()))> {
    std::vector<decltype(read(std::declval<Row>()))> out;
    out.reserve(static_cast<size_t>(size()));
    for (int i = 0; i < size(); ++i) out.push_back(read(Row(*this, i)));
    return out;
  }
  // The first row through `read`, or nullopt when there is none.
  template <class Read>
  auto first(Read read) const -> std::optional<decltype(read(std::declval<Row>()))> {
    if (size() == 0) return std::nullopt;
    return read(Row(*this, 0));
  }

  int size() const { return PQntuples(r_.get()); }
  bool isNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  // `spare`: capacity to reserve past the end of the text.
  std::string text(int row, int col, std::size_t spare = 0) const {
    auto n = static_cast<size_t>(PQgetlength(r_.get(), row, col));
    std::string out;
    out.reserve(n + spare);
    out.assign(PQgetvalue(r_.get(), row, col), n);
    return out;
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

Result<void> insertHistory(Conn& c, const std::string& execution_id,
                           const std::vector<HistoryRecord>& events) {
  static const std::string sql =
      "INSERT INTO history (" + kHistoryCols + ") VALUES (" + placeholders(6) + ")";
  for (const auto& h : events) {
    RIPOSTE_STORE_TRY(detail::checkHistoryEvent(execution_id, h));
    RIPOSTE_STORE_TRY(c.query(sql, paramsOf(detail::historyValues<Append>, execution_id, h)));
  }
  return {};
}

Result<void> insertBlobs(Conn& c, const std::string& execution_id,
                         const std::vector<SnapshotBlobRecord>& blobs) {
  static const std::string sql =
      "INSERT INTO snapshot_blobs (execution_id, id, json) VALUES ($1, $2, $3) "
      "ON CONFLICT DO NOTHING";
  for (const auto& b : blobs) RIPOSTE_STORE_TRY(c.query(sql, {execution_id, b.id, b.json}));
  return {};
}

Result<void> deleteBlobs(Conn& c, const std::string& execution_id) {
  static const std::string sql = "DELETE FROM snapshot_blobs WHERE execution_id = $1";
  RIPOSTE_STORE_TRY(c.query(sql, {execution_id}));
  return {};
}

Result<std::optional<ExecutionRecord>> selectExecution(Conn& c, const std::string& id) {
  static const std::string sql = "SELECT " + kExecutionCols + " FROM executions WHERE id = $1";
  RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id}));
  return rows.first(detail::readExecution<Rows::Row>);
}

Result<std::optional<IncidentRecord>> selectIncident(Conn& c, const std::string& id) {
  static const std::string sql = "SELECT " + kIncidentCols + " FROM incidents WHERE id = $1";
  RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id}));
  return rows.first(detail::readIncident<Rows::Row>);
}

Result<void> appendAudit(Conn& c, const detail::AuditEntry& e) {
  RIPOSTE_STORE_TRY(c.query("SELECT pg_advisory_xact_lock($1)", {kAuditLock}));
  RIPOSTE_STORE_TRY(c.query("INSERT INTO audit_log (time_ms, kind, json) VALUES ($1, $2, $3)",
                            {e.time_ms, e.kind, e.json}));
  return {};
}

Result<std::optional<ActionRecord>> selectAction(Conn& c, const std::string& id) {
  static const std::string sql = "SELECT " + kActionCols + " FROM actions WHERE id = $1";
  RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id}));
  return rows.first(detail::readAction<Rows::Row>);
}

// The `tx` of detail's shared write steps, inside Impl::write.
struct Tx {
  Conn& c;
  Result<void> insertBlobs(const std::string& execution_id,
                           const std::vector<SnapshotBlobRecord>& blobs) {
    return store::insertBlobs(c, execution_id, blobs);
  }
  Result<void> deleteBlobs(const std::string& execution_id) {
    return store::deleteBlobs(c, execution_id);
  }
  Result<void> appendAudit(const detail::AuditEntry& e) { return store::appendAudit(c, e); }
  Result<void> insertHistory(const std::string& execution_id,
                             const std::vector<HistoryRecord>& events) {
    return store::insertHistory(c, execution_id, events);
  }
  Result<std::optional<IncidentRecord>> selectIncident(const std::string& id) {
    return store::selectIncident(c, id);
  }
  Result<std::optional<ExecutionRecord>> selectExecution(const std::string& id) {
    return store::selectExecution(c, id);
  }
  Result<std::optional<ActionRecord>> selectAction(const std::string& id) {
    return store::selectAction(c, id);
  }

  // --- task tokens (detail::tokensStepped, detail::callbackAccepted) ---
  Result<void> upsertToken(const TaskTokenRecord& t) {
    static const std::string sql =
        "INSERT INTO task_tokens AS t (" + detail::kTaskTokenCols + ") VALUES (" +
        placeholders(10) +
        ") ON CONFLICT (digest) DO UPDATE SET started = GREATEST(t.started, excluded.started), "
        "timeout_at_ms = GREATEST(t.timeout_at_ms, excluded.timeout_at_ms), "
        "heartbeat_at_ms = GREATEST(t.heartbeat_at_ms, excluded.heartbeat_at_ms), "
        "heartbeat_ms = excluded.heartbeat_ms, "
        "closed_ms = CASE WHEN excluded.status = 'closed' AND t.status <> 'closed' "
        "THEN excluded.closed_ms ELSE t.closed_ms END, "
        "status = CASE WHEN excluded.status = 'closed' THEN 'closed' ELSE t.status END";
    RIPOSTE_STORE_TRY(c.query(sql, paramsOf(detail::taskTokenValues<Append>, t)));
    return {};
  }
  Result<void> updateToken(const TaskTokenRecord& t) {
    RIPOSTE_STORE_TRY(
        c.query("UPDATE task_tokens SET status = $2, heartbeat_at_ms = $3 WHERE digest = $1",
                {t.digest, t.status, t.heartbeat_at_ms}));
    return {};
  }
  Result<std::optional<TaskTokenRecord>> selectToken(const std::string& digest) {
    static const std::string sql =
        "SELECT " + detail::kTaskTokenCols + " FROM task_tokens WHERE digest = $1";
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {digest}));
    return rows.first(detail::readTaskToken<Rows::Row>);
  }
  // The execution's row locked first, as recordSteps locks it before the token rows.
  Result<std::optional<ExecutionRecord>> lockExecution(const std::string& id) {
    static const std::string sql =
        "SELECT " + kExecutionCols + " FROM executions WHERE id = $1 FOR UPDATE";
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id}));
    return rows.first(detail::readExecution<Rows::Row>);
  }
  Result<int64_t> insertCallback(const TaskCallbackRecord& cb) {
    static const std::string sql =
        "INSERT INTO task_callbacks (execution_id, token_digest, state_name, kind, output, "
        "error, cause, received_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq";
    std::vector<Param> params{cb.execution_id,
                              cb.token_digest,
                              cb.state_name,
                              cb.kind,
                              cb.output,
                              cb.error ? Param(*cb.error) : Param(),
                              cb.cause ? Param(*cb.cause) : Param(),
                              cb.received_ms};
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, params));
    return rows.i64(0, 0);
  }
  Result<void> deleteCallback(int64_t seq) {
    RIPOSTE_STORE_TRY(c.query("DELETE FROM task_callbacks WHERE seq = $1", {seq}));
    return {};
  }
  Result<std::optional<int64_t>> firstCallbackMs(const std::string& execution_id) {
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query("SELECT min(received_ms) FROM task_callbacks WHERE execution_id = $1",
                      {execution_id}));
    if (rows.size() == 0 || rows.isNull(0, 0)) return std::optional<int64_t>();
    return std::optional<int64_t>(rows.i64(0, 0));
  }
  Result<void> lowerWake(const std::string& execution_id, int64_t ms) {
    RIPOSTE_STORE_TRY(c.query("UPDATE executions SET wake_ms = LEAST(wake_ms, $2) WHERE id = $1",
                              {execution_id, ms}));
    return {};
  }
};

// Inside a write transaction: Flush::kWithNextFlush commits without waiting for the WAL
// flush (the next commit that waits flushes it up to this one).
Result<void> relaxFlush(Conn& c, Store::Flush flush) {
  if (flush == Store::Flush::kNow) return {};
  return c.simple("SET LOCAL synchronous_commit = off");
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
  if (r && from < kSchemaVersion) detail::logMigrated("postgresql", from, kSchemaVersion);
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
  RIPOSTE_STORE_TRY(detail::checkEvents(events));
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
      params.reserve((end - begin) * detail::kEventValues);
      for (size_t i = begin; i < end; ++i) {
        const auto& e = events[i];
        if (i > begin) sql += ", ";
        sql += "(" + placeholders(detail::kEventValues, static_cast<int>(params.size()) + 1) + ")";
        detail::eventValues(e, Append{params});
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
    return rows.first(detail::readEvent<Rows::Row>);
  });
}

Result<std::vector<EventRecord>> PostgresStore::pendingEvents(int limit) {
  RIPOSTE_STORE_TRY(detail::checkLimit(limit));
  static const std::string sql = "SELECT " + kEventCols +
                                 " FROM events WHERE status = 'pending' "
                                 "ORDER BY received_ms, seq LIMIT $1";
  return impl_->read([&](Conn& c) -> Result<std::vector<EventRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {limit}));
    return rows.all(detail::readEvent<Rows::Row>);
  });
}

Result<void> PostgresStore::markEvent(const std::string& id, const std::string& status,
                                      const std::vector<std::string>& matched_rules,
                                      const std::string& error, Flush flush) {
  RIPOSTE_STORE_TRY(detail::checkEventStatus(status));
  static const std::string sql =
      "UPDATE events SET status = $2, matched_rules = $3, error = $4 WHERE id = $1";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(relaxFlush(c, flush));
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query(sql, {id, status, detail::encodeStringList(matched_rules), error}));
    if (rows.affected() == 0) return fail("NotFound", "no event '" + id + "'");
    return {};
  });
}

Result<void> PostgresStore::markEventSuppressed(const std::string& id,
                                                const std::string& suppression,
                                                const std::vector<std::string>& matched_rules,
                                                Flush flush) {
  RIPOSTE_STORE_TRY(detail::checkId("suppression", suppression));
  static const std::string sql =
      "UPDATE events SET status = 'suppressed', matched_rules = $2, error = '', suppression = $3 "
      "WHERE id = $1";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(relaxFlush(c, flush));
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query(sql, {id, detail::encodeStringList(matched_rules), suppression}));
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
                                                      const std::string& event_id, Flush flush) {
  RIPOSTE_STORE_TRY(detail::checkDedupKey(rec));
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
  const int64_t now_ms = detail::incidentNowMs(rec);
  const std::string new_id = detail::newIncidentId(rec);
  return impl_->write([&](Conn& c) -> Result<Upserted> {
    RIPOSTE_STORE_TRY(relaxFlush(c, flush));
    bool created = false;
    std::string id;
    {
      RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(insert_sql, paramsOf(detail::incidentValues<Append>,
                                                                  rec, new_id, event_id)));
      if (rows.size() == 1) {
        id = rows.text(0, 0);
        created = true;
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
    Tx tx{c};
    return detail::incidentUpserted(tx, id, created, attached, event_id);
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
    return rows.all(detail::readIncident<Rows::Row>);
  });
}

Result<void> PostgresStore::setIncidentStatus(const std::string& id, const std::string& status,
                                              int64_t now_ms, Flush flush, const StatusCause& why) {
  RIPOSTE_STORE_TRY(detail::checkIncidentStatus(status));
  static const std::string sql =
      "UPDATE incidents SET status = $2, updated_ms = $3, dedup_key = CASE WHEN $2 = 'released' "
      "AND strpos(dedup_key, '#released:') = 0 THEN dedup_key || '#released:' || id ELSE "
      "dedup_key END WHERE id = $1";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(relaxFlush(c, flush));
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id, status, now_ms}));
    Tx tx{c};
    return detail::incidentStatusSet(tx, id, now_ms, rows.affected(), why);
  });
}

Result<std::vector<std::string>> PostgresStore::incidentEvents(const std::string& incident_id) {
  static const std::string sql =
      "SELECT event_id FROM incident_events WHERE incident_id = $1 ORDER BY seq";
  return impl_->read([&](Conn& c) -> Result<std::vector<std::string>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {incident_id}));
    return rows.all([](const Rows::Row& row) { return row.text(0); });
  });
}

// --- executions ---

Result<void> PostgresStore::createExecution(const ExecutionRecord& rec,
                                            const std::vector<HistoryRecord>& first_events,
                                            Flush flush) {
  RIPOSTE_STORE_TRY(detail::checkId("execution", rec.id));
  static const std::string sql =
      "INSERT INTO executions (" + kExecutionCols + ") VALUES (" + placeholders(16) + ")";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(relaxFlush(c, flush));
    RIPOSTE_STORE_TRY(c.query(sql, paramsOf(detail::executionValues<Append>, rec)));
    Tx tx{c};
    return detail::executionCreated(tx, rec, first_events);
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
    return rows.all(detail::readExecution<Rows::Row>);
  });
}

Result<void> PostgresStore::recordStep(const ExecutionRecord& rec,
                                       const std::vector<HistoryRecord>& events) {
  RIPOSTE_STORE_TRY(detail::checkId("execution", rec.id));
  static const std::string sql =
      "UPDATE executions SET status = $3, output = $4, error = $5, cause = $6, snapshot = $7, "
      "wake_ms = $8, ended_ms = $9, lease_until_ms = $10 WHERE id = $1 AND lease_owner = $2";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, paramsOf(detail::stepValues<Append>, rec)));
    Tx tx{c};
    return detail::stepRecorded(tx, rec, rows.affected(), events);
  });
}

Result<std::vector<Result<void>>> PostgresStore::recordSteps(const std::vector<StepRef>& steps) {
  static const std::string sql =
      "UPDATE executions SET status = $3, output = $4, error = $5, cause = $6, snapshot = $7, "
      "wake_ms = $8, ended_ms = $9, lease_until_ms = $10 WHERE id = $1 AND lease_owner = $2";
  if (steps.empty()) return std::vector<Result<void>>{};
  return impl_->write([&](Conn& c) -> Result<std::vector<Result<void>>> {
    // As SQLite's recordSteps: this commit does not wait for its WAL flush; the next commit
    // that does (an event, an action, a sink cursor: synchronous_commit stays on for them)
    // flushes the WAL up to it, and a crash of riposte loses nothing either way.
    RIPOSTE_STORE_TRY(relaxFlush(c, Flush::kWithNextFlush));
    Tx tx{c};
    return detail::stepsRecorded(tx, steps, [&](const ExecutionRecord& rec) -> Result<int64_t> {
      RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, paramsOf(detail::stepValues<Append>, rec)));
      return static_cast<int64_t>(rows.affected());
    });
  });
}

Result<TaskCallbackRecord> PostgresStore::acceptTaskCallback(const TaskCallbackRecord& cb) {
  return impl_->write([&](Conn& c) -> Result<TaskCallbackRecord> {
    Tx tx{c};
    return detail::callbackAccepted(tx, cb);
  });
}

Result<std::vector<TaskCallbackRecord>> PostgresStore::taskCallbacks(
    const std::string& execution_id) {
  static const std::string sql = "SELECT " + detail::kTaskCallbackCols +
                                 " FROM task_callbacks WHERE execution_id = $1 ORDER BY seq";
  return impl_->read([&](Conn& c) -> Result<std::vector<TaskCallbackRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {execution_id}));
    std::vector<TaskCallbackRecord> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(detail::readTaskCallback(Rows::Row(rows, i),
                                             [&](int col) { return rows.isNull(i, col); }));
    }
    return out;
  });
}

Result<std::vector<TaskTokenRecord>> PostgresStore::taskTokens(const std::string& execution_id) {
  static const std::string sql = "SELECT " + detail::kTaskTokenCols +
                                 " FROM task_tokens WHERE execution_id = $1 "
                                 "ORDER BY created_ms, digest";
  return impl_->read([&](Conn& c) -> Result<std::vector<TaskTokenRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {execution_id}));
    return rows.all(detail::readTaskToken<Rows::Row>);
  });
}

Result<std::optional<std::string>> PostgresStore::snapshotBlob(const std::string& execution_id,
                                                               const std::string& id) {
  static const std::string sql =
      "SELECT json FROM snapshot_blobs WHERE execution_id = $1 AND id = $2";
  return impl_->read([&](Conn& c) -> Result<std::optional<std::string>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {execution_id, id}));
    return rows.first([](const Rows::Row& row) { return row.text(0); });
  });
}

Result<std::vector<HistoryRecord>> PostgresStore::history(const std::string& execution_id) {
  static const std::string sql =
      "SELECT " + kHistoryCols + " FROM history WHERE execution_id = $1 ORDER BY seq";
  return impl_->read([&](Conn& c) -> Result<std::vector<HistoryRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {execution_id}));
    return rows.all(detail::readHistory<Rows::Row>);
  });
}

Result<int64_t> PostgresStore::releaseLeases(const std::string& owner) {
  static const std::string sql =
      "UPDATE executions SET lease_until_ms = 0 WHERE lease_owner = $1 AND status = 'RUNNING' "
      "RETURNING id";
  return impl_->write([&](Conn& c) -> Result<int64_t> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {owner}));
    return static_cast<int64_t>(rows.size());
  });
}

Result<std::vector<ExecutionRecord>> PostgresStore::claimRunnable(const std::string& owner,
                                                                  int64_t now_ms, int64_t lease_ms,
                                                                  int limit) {
  RIPOSTE_STORE_TRY(detail::checkClaim(owner, lease_ms, limit));
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
    auto picked = rows.all([](const Rows::Row& row) {
      return std::make_pair(row.i64(16), detail::readExecution(row));
    });
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
        rows,
        c.query("SELECT status, count(*) FROM " + table + " GROUP BY status ORDER BY status", {}));
    return rows.all([](const Rows::Row& row) { return std::make_pair(row.text(0), row.i64(1)); });
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
    RIPOSTE_STORE_TRY(c.query(sql, paramsOf(detail::actionValues<Append>, rec)));
    Tx tx{c};
    return detail::actionInserted(tx, rec);
  });
}

Result<void> PostgresStore::updateAction(const ActionRecord& rec) {
  RIPOSTE_STORE_TRY(detail::checkId("action", rec.id));
  static const std::string sql =
      "UPDATE actions SET status = $2, input = $3, state_before = $4, state_after = $5, "
      "output = $6, error_code = $7, error_message = $8, summary = $9, changed = $10, "
      "started_ms = $11, ended_ms = $12 WHERE id = $1";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, paramsOf(detail::actionUpdateValues<Append>, rec)));
    Tx tx{c};
    return detail::actionUpdated(tx, rec, rows.affected());
  });
}

Result<std::optional<ActionRecord>> PostgresStore::getAction(const std::string& id) {
  return impl_->read([&](Conn& c) { return selectAction(c, id); });
}

Result<std::vector<ActionRecord>> PostgresStore::actionsForIncident(
    const std::string& incident_id) {
  static const std::string sql =
      "SELECT " + kActionCols + " FROM actions WHERE incident_id = $1 ORDER BY started_ms, seq";
  return impl_->read([&](Conn& c) -> Result<std::vector<ActionRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {incident_id}));
    return rows.all(detail::readAction<Rows::Row>);
  });
}

Result<std::vector<ActionRecord>> PostgresStore::actionsWithStatus(
    const std::vector<std::string>& actions, const std::string& status) {
  static const std::string sql = "SELECT " + kActionCols +
                                 " FROM actions WHERE action = $1 AND status = $2 "
                                 "ORDER BY started_ms, seq";
  return impl_->read([&](Conn& c) -> Result<std::vector<ActionRecord>> {
    std::vector<ActionRecord> out;
    for (const auto& a : actions) {
      RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {a, status}));
      for (auto& r : rows.all(detail::readAction<Rows::Row>)) out.push_back(std::move(r));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& x, const auto& y) { return x.started_ms < y.started_ms; });
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
    return rows.all(detail::readAuditRecord<Rows::Row>);
  });
}

Result<int64_t> PostgresStore::auditHead() {
  return impl_->read([](Conn& c) -> Result<int64_t> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query("SELECT coalesce(max(seq), 0) FROM audit_log", {}));
    return rows.i64(0, 0);
  });
}

Result<int64_t> PostgresStore::sinkCursor(const std::string& sink) {
  RIPOSTE_STORE_TRY_ASSIGN(c, sinkCursorIfSet(sink));
  return c.value_or(0);
}

Result<std::optional<int64_t>> PostgresStore::sinkCursorIfSet(const std::string& sink) {
  RIPOSTE_STORE_TRY(detail::checkId("sink", sink));
  return impl_->read([&](Conn& c) -> Result<std::optional<int64_t>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query("SELECT seq FROM sink_cursors WHERE sink = $1", {sink}));
    if (rows.size() == 0) return std::optional<int64_t>();
    return std::optional<int64_t>(rows.i64(0, 0));
  });
}

Result<void> PostgresStore::setSinkCursor(const std::string& sink, int64_t seq) {
  RIPOSTE_STORE_TRY(detail::checkSinkCursor(sink, seq));
  static const std::string sql =
      "INSERT INTO sink_cursors (sink, seq) VALUES ($1, $2) "
      "ON CONFLICT (sink) DO UPDATE SET seq = excluded.seq";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(c.query(sql, {sink, seq}));
    return {};
  });
}

Result<bool> PostgresStore::claimSinkLease(const std::string& sink, const std::string& owner,
                                           int64_t now_ms, int64_t lease_ms) {
  RIPOSTE_STORE_TRY(detail::checkId("sink", sink));
  static const std::string sql =
      "INSERT INTO sink_leases (sink, owner, until_ms) VALUES ($1, $2, $4) "
      "ON CONFLICT (sink) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms "
      "WHERE sink_leases.owner = excluded.owner OR sink_leases.until_ms <= $3 RETURNING owner";
  return impl_->write([&](Conn& c) -> Result<bool> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {sink, owner, now_ms, now_ms + lease_ms}));
    return rows.size() == 1;
  });
}

// --- threat list copies ---

Result<void> PostgresStore::putThreatListCopy(const ThreatListCopy& c) {
  RIPOSTE_STORE_TRY(detail::checkId("threat list", c.list));
  static const std::string sql =
      "INSERT INTO threat_list_copies (list, fetch_key, entries, bad_lines, etag, last_modified, "
      "fetched_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (list) DO UPDATE SET "
      "fetch_key = excluded.fetch_key, entries = excluded.entries, bad_lines = "
      "excluded.bad_lines, etag = excluded.etag, last_modified = excluded.last_modified, "
      "fetched_ms = excluded.fetched_ms";
  return impl_->write([&](Conn& conn) -> Result<void> {
    RIPOSTE_STORE_TRY(conn.query(
        sql, {c.list, c.fetch_key, c.entries, c.bad_lines, c.etag, c.last_modified, c.fetched_ms}));
    return {};
  });
}

Result<void> PostgresStore::touchThreatListCopy(const std::string& list,
                                                const std::string& fetch_key, int64_t fetched_ms) {
  RIPOSTE_STORE_TRY(detail::checkId("threat list", list));
  static const std::string sql =
      "UPDATE threat_list_copies SET fetched_ms = $3 WHERE list = $1 AND fetch_key = $2";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY(c.query(sql, {list, fetch_key, fetched_ms}));
    return {};
  });
}

Result<std::optional<ThreatListCopy>> PostgresStore::getThreatListCopy(const std::string& list) {
  RIPOSTE_STORE_TRY(detail::checkId("threat list", list));
  return impl_->read([&](Conn& c) -> Result<std::optional<ThreatListCopy>> {
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query("SELECT fetch_key, entries, bad_lines, etag, last_modified, fetched_ms "
                      "FROM threat_list_copies WHERE list = $1",
                      {list}));
    if (rows.size() == 0) return std::optional<ThreatListCopy>();
    return std::optional<ThreatListCopy>(ThreatListCopy{list, rows.text(0, 0), rows.text(0, 1),
                                                        rows.i64(0, 2), rows.text(0, 3),
                                                        rows.text(0, 4), rows.i64(0, 5)});
  });
}

// --- approval requests ---

Result<bool> PostgresStore::insertApproval(const ApprovalRecord& rec,
                                           const std::string& audit_json) {
  RIPOSTE_STORE_TRY(detail::checkId("approval", rec.id));
  static const std::string sql = "INSERT INTO approvals (" + detail::kApprovalCols + ") VALUES (" +
                                 placeholders(10) + ", 0) ON CONFLICT (id) DO NOTHING";
  return impl_->write([&](Conn& c) -> Result<bool> {
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query(sql, {rec.id, rec.incident_id, rec.execution_id, rec.state_name,
                            rec.token_digest, rec.status, int64_t{rec.delivered ? 1 : 0},
                            rec.created_ms, rec.deadline_ms, rec.json}));
    if (rows.affected() == 0) return false;
    RIPOSTE_STORE_TRY(
        appendAudit(c, detail::AuditEntry{rec.created_ms, "approval.requested", audit_json}));
    return true;
  });
}

Result<std::optional<ApprovalRecord>> PostgresStore::getApproval(const std::string& id) {
  static const std::string sql =
      "SELECT " + detail::kApprovalCols + " FROM approvals WHERE id = $1";
  return impl_->read([&](Conn& c) -> Result<std::optional<ApprovalRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {id}));
    if (rows.size() == 0) return std::optional<ApprovalRecord>();
    return std::optional<ApprovalRecord>(detail::readApproval(Rows::Row(rows, 0)));
  });
}

Result<std::vector<ApprovalRecord>> PostgresStore::listApprovals(const std::string& execution_id) {
  static const std::string sql = "SELECT " + detail::kApprovalCols +
                                 " FROM approvals WHERE $1 = '' OR execution_id = $1 "
                                 "ORDER BY created_ms, id";
  return impl_->read([&](Conn& c) -> Result<std::vector<ApprovalRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {execution_id}));
    return rows.all(detail::readApproval<Rows::Row>);
  });
}

Result<void> PostgresStore::updateApproval(const ApprovalRecord& rec, int64_t time_ms,
                                           const std::string& audit_kind,
                                           const std::string& audit_json) {
  static const std::string sql =
      "UPDATE approvals SET status = $2, delivered = $3, json = $4, token_digest = $6, "
      "version = version + 1 WHERE id = $1 AND version = $5";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {rec.id, rec.status, int64_t{rec.delivered ? 1 : 0},
                                                 rec.json, rec.version, rec.token_digest}));
    if (rows.affected() == 0) {
      RIPOSTE_STORE_TRY_ASSIGN(q, c.query("SELECT 1 FROM approvals WHERE id = $1", {rec.id}));
      if (q.size() == 0) return fail("NotFound", "no approval '" + rec.id + "'");
      return fail("Conflict", "approval '" + rec.id + "' changed meanwhile");
    }
    if (audit_kind.empty()) return {};
    return appendAudit(c, detail::AuditEntry{time_ms, audit_kind, audit_json});
  });
}

// --- suppressions ---

Result<void> PostgresStore::insertSuppression(const SuppressionRecord& rec,
                                              const std::string& reason) {
  RIPOSTE_STORE_TRY(detail::checkSuppression(rec));
  static const std::string sql =
      "INSERT INTO suppressions (name, json, created_ms, created_by) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (name) DO NOTHING";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(rows,
                             c.query(sql, {rec.name, rec.json, rec.created_ms, rec.created_by}));
    if (rows.affected() == 0)
      return fail("Conflict", "a suppression named '" + rec.name + "' exists");
    RIPOSTE_STORE_TRY(c.query("UPDATE suppressions_version SET version = version + 1", {}));
    return appendAudit(c, detail::auditSuppression("suppression.created", rec.name, rec.created_by,
                                                   reason, rec.json, rec.created_ms));
  });
}

Result<void> PostgresStore::deleteSuppression(const std::string& name, const std::string& by,
                                              const std::string& reason, int64_t now_ms) {
  RIPOSTE_STORE_TRY(detail::checkId("suppression", name));
  static const std::string sql = "DELETE FROM suppressions WHERE name = $1 RETURNING json";
  return impl_->write([&](Conn& c) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {name}));
    if (rows.size() == 0) return fail("NotFound", "no stored suppression '" + name + "'");
    std::string json = rows.text(0, 0);
    RIPOSTE_STORE_TRY(c.query("UPDATE suppressions_version SET version = version + 1", {}));
    return appendAudit(
        c, detail::auditSuppression("suppression.deleted", name, by, reason, json, now_ms));
  });
}

Result<std::vector<SuppressionRecord>> PostgresStore::listSuppressions() {
  static const std::string sql =
      "SELECT name, json, created_ms, created_by FROM suppressions ORDER BY created_ms, name";
  return impl_->read([&](Conn& c) -> Result<std::vector<SuppressionRecord>> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, {}));
    return rows.all([](const Rows::Row& r) {
      return SuppressionRecord{r.text(0), r.text(1), r.i64(2), r.text(3)};
    });
  });
}

Result<int64_t> PostgresStore::suppressionsVersion() {
  return impl_->read([&](Conn& c) -> Result<int64_t> {
    RIPOSTE_STORE_TRY_ASSIGN(rows, c.query("SELECT version FROM suppressions_version", {}));
    return rows.size() == 0 ? 0 : rows.i64(0, 0);
  });
}

// --- limits and the breaker ---

namespace {

Result<BreakerState> selectBreaker(Conn& c) {
  RIPOSTE_STORE_TRY_ASSIGN(rows, c.query("SELECT is_open, opened_ms, opened_reason, closed_ms, "
                                         "closed_by, closed_reason FROM breaker_state WHERE id = 1",
                                         {}));
  BreakerState b;
  if (rows.size() == 0) return b;
  b.open = rows.i64(0, 0) != 0;
  b.opened_ms = rows.i64(0, 1);
  b.opened_reason = rows.text(0, 2);
  b.closed_ms = rows.i64(0, 3);
  b.closed_by = rows.text(0, 4);
  b.closed_reason = rows.text(0, 5);
  return b;
}

Result<int64_t> count(Conn& c, const std::string& sql, const std::vector<Param>& params) {
  RIPOSTE_STORE_TRY_ASSIGN(rows, c.query(sql, params));
  return rows.size() == 0 ? 0 : rows.i64(0, 0);
}

// The `tx` of detail::limitsReserved.
struct LimitTx {
  Conn& c;
  Result<void> lockLimits() {
    RIPOSTE_STORE_TRY(c.query("SELECT pg_advisory_xact_lock($1)", {kLimitsLock}));
    return {};
  }
  Result<int64_t> placesHeld(const std::string& action_id) {
    return count(c, "SELECT count(*) FROM limit_places WHERE action_id = $1", {action_id});
  }
  Result<void> addAttempt(const std::string& execution_id, int64_t now) {
    RIPOSTE_STORE_TRY(
        c.query("INSERT INTO breaker_attempts (execution_id, time_ms) VALUES ($1, "
                "$2) ON CONFLICT DO NOTHING",
                {execution_id, now}));
    return {};
  }
  Result<int64_t> countAttempts(int64_t since) {
    return count(c, "SELECT count(*) FROM breaker_attempts WHERE time_ms > $1", {since});
  }
  Result<BreakerState> breaker() { return selectBreaker(c); }
  Result<void> openBreaker(int64_t now, const std::string& reason) {
    RIPOSTE_STORE_TRY(
        c.query("UPDATE breaker_state SET is_open = 1, opened_ms = $1, "
                "opened_reason = $2 WHERE id = 1",
                {now, reason}));
    return {};
  }
  Result<void> prune(const std::string& limit, const std::string& key, int64_t before) {
    RIPOSTE_STORE_TRY(
        c.query("DELETE FROM limit_places WHERE limit_name = $1 AND counter_key = "
                "$2 AND time_ms <= $3",
                {limit, key, before}));
    return {};
  }
  Result<int64_t> countPlaces(const std::string& limit, const std::string& key, int64_t since) {
    return count(c,
                 "SELECT count(*) FROM limit_places WHERE limit_name = $1 AND counter_key = $2 "
                 "AND time_ms > $3",
                 {limit, key, since});
  }
  Result<void> addPlace(const std::string& limit, const std::string& key,
                        const std::string& action_id, int64_t now) {
    RIPOSTE_STORE_TRY(
        c.query("INSERT INTO limit_places (limit_name, counter_key, action_id, "
                "time_ms) VALUES ($1, $2, $3, $4)",
                {limit, key, action_id, now}));
    return {};
  }
  Result<void> appendAudit(const detail::AuditEntry& e) { return store::appendAudit(c, e); }
};

}  // namespace

Result<LimitGrant> PostgresStore::reserveLimits(const LimitRequest& req) {
  return impl_->write([&](Conn& c) -> Result<LimitGrant> {
    LimitTx tx{c};
    return detail::limitsReserved(tx, req);
  });
}

Result<int64_t> PostgresStore::releaseLimits(const std::string& action_id) {
  RIPOSTE_STORE_TRY(detail::checkId("action", action_id));
  return impl_->write([&](Conn& c) -> Result<int64_t> {
    RIPOSTE_STORE_TRY(c.query("SELECT pg_advisory_xact_lock($1)", {kLimitsLock}));
    RIPOSTE_STORE_TRY_ASSIGN(rows,
                             c.query("DELETE FROM limit_places WHERE action_id = $1", {action_id}));
    return rows.affected();
  });
}

Result<std::vector<std::pair<std::string, int64_t>>> PostgresStore::limitUsage(
    const std::string& limit, int64_t window_ms, int64_t now_ms) {
  return impl_->read([&](Conn& c) -> Result<std::vector<std::pair<std::string, int64_t>>> {
    RIPOSTE_STORE_TRY_ASSIGN(
        rows, c.query("SELECT counter_key, count(*) FROM limit_places WHERE limit_name = $1 AND "
                      "time_ms > $2 GROUP BY counter_key ORDER BY counter_key",
                      {limit, now_ms - window_ms}));
    return rows.all([](const Rows::Row& r) { return std::make_pair(r.text(0), r.i64(1)); });
  });
}

Result<BreakerState> PostgresStore::breakerState() {
  return impl_->read([](Conn& c) { return selectBreaker(c); });
}

Result<int64_t> PostgresStore::breakerCount(int64_t window_ms, int64_t now_ms) {
  return impl_->read([&](Conn& c) {
    return count(c, "SELECT count(*) FROM breaker_attempts WHERE time_ms > $1",
                 {now_ms - window_ms});
  });
}

Result<bool> PostgresStore::closeBreaker(const std::string& by, const std::string& reason,
                                         int64_t now_ms) {
  return impl_->write([&](Conn& c) -> Result<bool> {
    RIPOSTE_STORE_TRY(c.query("SELECT pg_advisory_xact_lock($1)", {kLimitsLock}));
    RIPOSTE_STORE_TRY_ASSIGN(state, selectBreaker(c));
    if (!state.open) return false;
    RIPOSTE_STORE_TRY(
        c.query("UPDATE breaker_state SET is_open = 0, closed_ms = $1, closed_by = "
                "$2, closed_reason = $3 WHERE id = 1",
                {now_ms, by, reason}));
    RIPOSTE_STORE_TRY(c.query("DELETE FROM breaker_attempts", {}));
    RIPOSTE_STORE_TRY(appendAudit(c, detail::auditBreakerClosed(by, reason, now_ms)));
    return true;
  });
}

}  // namespace riposte::store
