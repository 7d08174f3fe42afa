#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "store/detail.h"

namespace riposte::store {
namespace {

using detail::kActionCols;
using detail::kEventCols;
using detail::kExecutionCols;
using detail::kHistoryCols;
using detail::kIncidentCols;

// Schema 7: task tokens by digest and the callbacks accepted for them.
const std::string kTaskTokensSchema = detail::taskTokensSchema("seq INTEGER PRIMARY KEY");

// Each entry upgrades the schema by one version; entry i takes user_version i to i + 1.
// Never edit a shipped entry: append a new one.
const char* const kMigrations[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  received_ms INTEGER NOT NULL,
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
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  dedup_key TEXT NOT NULL UNIQUE,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  finding_id TEXT NOT NULL,
  finding_type TEXT NOT NULL,
  severity REAL NOT NULL,
  title TEXT NOT NULL,
  rule TEXT NOT NULL,
  playbook TEXT NOT NULL,
  status TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  event_count INTEGER NOT NULL,
  first_event_id TEXT NOT NULL
);
CREATE INDEX incidents_created ON incidents (created_ms, seq);
CREATE INDEX incidents_resource ON incidents (resource_id);

CREATE TABLE incident_events (
  seq INTEGER PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  UNIQUE (incident_id, event_id)
);

CREATE TABLE executions (
  seq INTEGER PRIMARY KEY,
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
  wake_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL,
  dry_run INTEGER NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_until_ms INTEGER NOT NULL
);
CREATE INDEX executions_runnable ON executions (wake_ms, seq) WHERE status = 'RUNNING';
CREATE INDEX executions_incident ON executions (incident_id);

CREATE TABLE history (
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  previous_seq INTEGER NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  type TEXT NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY (execution_id, seq)
) WITHOUT ROWID;

CREATE TABLE actions (
  seq INTEGER PRIMARY KEY,
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
  changed INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL
);
CREATE INDEX actions_incident ON actions (incident_id, started_ms, seq);
CREATE INDEX actions_execution ON actions (execution_id);
)sql",
    // 2: the audit log fed to sinks, and each sink's delivery cursor.
    R"sql(
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE sink_cursors (
  sink TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
);
)sql",
    // 3: blobs of incremental snapshots (the same SQL for both backends).
    detail::kSnapshotBlobsSchema,
    // 4: an execution's definition and input, which never change, out of the row every step
    // updates (SQLite rewrites a whole row, overflow pages included, on any UPDATE); reads go
    // through executions_full, which has the columns the executions table had.
    R"sql(
CREATE TABLE execution_bodies (
  execution_id TEXT PRIMARY KEY REFERENCES executions (id) ON DELETE CASCADE,
  definition TEXT NOT NULL,
  input TEXT NOT NULL
);
INSERT INTO execution_bodies (execution_id, definition, input)
  SELECT id, definition, input FROM executions;
UPDATE executions SET definition = '', input = '';
CREATE VIEW executions_full AS
  SELECT e.seq AS seq, e.id AS id, e.incident_id AS incident_id, e.playbook AS playbook,
         b.definition AS definition, e.status AS status, b.input AS input, e.output AS output,
         e.error AS error, e.cause AS cause, e.snapshot AS snapshot, e.wake_ms AS wake_ms,
         e.started_ms AS started_ms, e.ended_ms AS ended_ms, e.dry_run AS dry_run,
         e.lease_owner AS lease_owner, e.lease_until_ms AS lease_until_ms
  FROM executions e JOIN execution_bodies b ON b.execution_id = e.id;
)sql",
    // 5: suppressions created at run time, and the one that silenced an event.
    detail::kSuppressionsSchema,
    // 6: blast-radius limits and the breaker (the same SQL for both backends).
    detail::kLimitsSchema,
    // 7: task tokens (by digest) and their accepted callbacks (`.waitForTaskToken`).
    kTaskTokensSchema.c_str(),
    // 8: approval requests (the approval gate).
    detail::kApprovalsSchema,
    // 9: which worker delivers each sink.
    detail::kSinkLeasesSchema,
    // 10: the last good copies of remote threat lists.
    detail::kThreatListCopiesSchema,
};
constexpr int kSchemaVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

// "?1, ?2, …, ?n"
std::string placeholders(int n) {
  return detail::placeholders('?', n);
}

// A cached prepared statement in use: reset and unbound when it goes out of scope.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt() {
    if (s_ != nullptr) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }

  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, bool v) { return bind(i, static_cast<int64_t>(v ? 1 : 0)); }
  Stmt& bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  // Empty strings are stored as NULL (optional foreign keys).
  Stmt& bind(int i, detail::NullIfEmpty v) {
    if (v.s.empty()) {
      sqlite3_bind_null(s_, i);
      return *this;
    }
    return bind(i, v.s);
  }
  // Binds what a detail::…Values writer puts, from ?1 on.
  auto binder() {
    return [this, i = 1](const auto& v) mutable { bind(i++, v); };
  }

  // `spare`: capacity to reserve past the end of the text.
  std::string text(int i, std::size_t spare = 0) const {
    const auto* p = sqlite3_column_text(s_, i);
    if (p == nullptr) return {};
    auto n = static_cast<size_t>(sqlite3_column_bytes(s_, i));
    std::string out;
    out.reserve(n + spare);
    out.assign(reinterpret_cast<const char*>(p), n);
    return out;
  }
  int64_t i64(int i) const { return sqlite3_column_int64(s_, i); }
  double real(int i) const { return sqlite3_column_double(s_, i); }
  bool flag(int i) const { return i64(i) != 0; }
  bool isNull(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }

  sqlite3_stmt* raw() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

}  // namespace

struct SqliteStore::Impl {
  sqlite3* db = nullptr;
  std::string path;
  Options options;
  std::mutex mu;  // guards everything below and the connection
  std::unordered_map<std::string, sqlite3_stmt*> cache;

  ~Impl() {
    for (auto& [sql, st] : cache) sqlite3_finalize(st);
    if (db != nullptr) sqlite3_close_v2(db);
  }

  // Maps the connection's last error to an Error; `rc` is the (extended) result code.
  Error error(int rc, std::string_view what) const {
    std::string msg = std::string(what) + ": " + sqlite3_errmsg(db);
    int primary = rc & 0xff;
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return Error{"Conflict", msg};
    }
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return Error{"NotFound", msg + " (no such parent row)"};
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Error{"StoreBusy", msg};
    return Error{"StoreError", msg};
  }

  Result<Stmt> prepare(const std::string& sql) {
    auto it = cache.find(sql);
    if (it != cache.end()) return Stmt(it->second);
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()) + 1,
                                SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) return tl::unexpected(error(rc, "prepare"));
    cache.emplace(sql, st);
    return Stmt(st);
  }

  // One step: true when a row is available, false when done.
  Result<bool> step(Stmt& st, std::string_view what) {
    int rc = sqlite3_step(st.raw());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return tl::unexpected(error(rc, what));
  }

  // Runs a statement that returns no rows (or ignores them).
  Result<void> run(Stmt& st, std::string_view what) {
    for (;;) {
      auto r = step(st, what);
      if (!r) return tl::unexpected(r.error());
      if (!*r) return {};
    }
  }

  // Every row of `st` through `read` (which reads the current row of `st`).
  template <class Read>
  auto all(Stmt& st, std::string_view what, Read read) -> Result<std::vector<decltype(read(st))>> {
    std::vector<decltype(read(st))> out;
    for (;;) {
      RIPOSTE_STORE_TRY_ASSIGN(row, step(st, what));
      if (!row) return out;
      out.push_back(read(st));
    }
  }

  // The first row of `st` through `read`, or nullopt when there is none.
  template <class Read>
  auto first(Stmt& st, std::string_view what, Read read)
      -> Result<std::optional<decltype(read(st))>> {
    RIPOSTE_STORE_TRY_ASSIGN(row, step(st, what));
    if (!row) return std::optional<decltype(read(st))>();
    return std::optional<decltype(read(st))>(read(st));
  }

  Result<void> exec(const std::string& sql) {
    auto st = prepare(sql);
    if (!st) return tl::unexpected(st.error());
    return run(*st, sql);
  }

  int64_t changes() const { return sqlite3_changes64(db); }

  // Whether a write asked to flush as `f` says flushes (options.flush_steps: always).
  bool flushes(Store::Flush f) const { return f == Store::Flush::kNow || options.flush_steps; }

  // Runs `fn(*this)` holding the mutex, inside a write transaction (BEGIN IMMEDIATE: takes the
  // write lock up front, so two processes never deadlock upgrading a read lock). Committed
  // when `fn` succeeds, rolled back when it fails or the commit fails.
  //
  // `flush` false: the commit is not flushed to disk by itself (synchronous=NORMAL for this
  // transaction): it survives any crash of the process at once, and a power loss from the
  // next flushed commit on, since that flush writes the whole WAL up to it (recordSteps).
  template <class F>
  auto write(F&& fn, bool flush = true) -> decltype(fn(*this)) {
    std::lock_guard lock(mu);
    if (!flush) {
      RIPOSTE_STORE_TRY(exec("PRAGMA synchronous = NORMAL"));
    }
    struct Restore {
      Impl* im;
      bool on;
      ~Restore() {
        if (on) (void)im->exec("PRAGMA synchronous = FULL");
      }
    } restore{this, !flush};
    RIPOSTE_STORE_TRY(exec("BEGIN IMMEDIATE"));
    auto r = fn(*this);
    if (r) {
      auto committed = exec("COMMIT");
      if (committed) return r;
      r = fail(committed.error());
    }
    auto rolled_back = exec("ROLLBACK");
    (void)rolled_back;
    return r;
  }
};

namespace {

using Impl = SqliteStore::Impl;

Result<void> insertHistory(Impl& im, const std::string& execution_id,
                           const std::vector<HistoryRecord>& events) {
  static const std::string sql =
      "INSERT INTO history (" + kHistoryCols + ") VALUES (" + placeholders(6) + ")";
  for (const auto& h : events) {
    RIPOSTE_STORE_TRY(detail::checkHistoryEvent(execution_id, h));
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    detail::historyValues(execution_id, h, st.binder());
    RIPOSTE_STORE_TRY(
        im.run(st, "insert history event " + std::to_string(h.seq) + " of " + execution_id));
  }
  return {};
}

Result<std::optional<ExecutionRecord>> selectExecution(Impl& im, const std::string& id) {
  static const std::string sql = "SELECT " + kExecutionCols + " FROM executions_full WHERE id = ?1";
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
  st.bind(1, id);
  return im.first(st, "get execution", detail::readExecution<Stmt>);
}

// The incident whose id (or dedup_key) is `value`.
enum class IncidentKey { kId, kDedupKey };
Result<std::optional<IncidentRecord>> selectIncident(Impl& im, IncidentKey key,
                                                     const std::string& value) {
  static const std::string by_id = "SELECT " + kIncidentCols + " FROM incidents WHERE id = ?1";
  static const std::string by_key =
      "SELECT " + kIncidentCols + " FROM incidents WHERE dedup_key = ?1";
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(key == IncidentKey::kId ? by_id : by_key));
  st.bind(1, value);
  return im.first(st, "get incident", detail::readIncident<Stmt>);
}

Result<void> appendAudit(Impl& im, const detail::AuditEntry& e) {
  static const std::string sql = "INSERT INTO audit_log (time_ms, kind, json) VALUES (?1, ?2, ?3)";
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
  st.bind(1, e.time_ms).bind(2, e.kind).bind(3, e.json);
  return im.run(st, "append audit " + e.kind);
}

Result<std::optional<ActionRecord>> selectAction(Impl& im, const std::string& id) {
  static const std::string sql = "SELECT " + kActionCols + " FROM actions WHERE id = ?1";
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
  st.bind(1, id);
  return im.first(st, "get action", detail::readAction<Stmt>);
}

// The `tx` of detail's shared write steps, inside Impl::write.
Result<void> insertBlobs(Impl& im, const std::string& execution_id,
                         const std::vector<SnapshotBlobRecord>& blobs) {
  static const std::string sql =
      "INSERT OR IGNORE INTO snapshot_blobs (execution_id, id, json) VALUES (?1, ?2, ?3)";
  for (const auto& b : blobs) {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, execution_id).bind(2, b.id).bind(3, b.json);
    RIPOSTE_STORE_TRY(im.run(st, "insert snapshot blob " + b.id + " of " + execution_id));
  }
  return {};
}

Result<void> deleteBlobs(Impl& im, const std::string& execution_id) {
  static const std::string sql = "DELETE FROM snapshot_blobs WHERE execution_id = ?1";
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
  st.bind(1, execution_id);
  return im.run(st, "delete snapshot blobs of " + execution_id);
}

struct Tx {
  Impl& im;
  Result<void> insertBlobs(const std::string& execution_id,
                           const std::vector<SnapshotBlobRecord>& blobs) {
    return store::insertBlobs(im, execution_id, blobs);
  }
  Result<void> deleteBlobs(const std::string& execution_id) {
    return store::deleteBlobs(im, execution_id);
  }
  Result<void> appendAudit(const detail::AuditEntry& e) { return store::appendAudit(im, e); }
  Result<void> insertHistory(const std::string& execution_id,
                             const std::vector<HistoryRecord>& events) {
    return store::insertHistory(im, execution_id, events);
  }
  Result<std::optional<IncidentRecord>> selectIncident(const std::string& id) {
    return store::selectIncident(im, IncidentKey::kId, id);
  }
  Result<std::optional<ExecutionRecord>> selectExecution(const std::string& id) {
    return store::selectExecution(im, id);
  }
  Result<std::optional<ActionRecord>> selectAction(const std::string& id) {
    return store::selectAction(im, id);
  }

  // --- task tokens (detail::tokensStepped, detail::callbackAccepted) ---
  Result<void> upsertToken(const TaskTokenRecord& t) {
    static const std::string sql =
        "INSERT INTO task_tokens (" + detail::kTaskTokenCols + ") VALUES (" + placeholders(10) +
        ") ON CONFLICT (digest) DO UPDATE SET started = max(started, excluded.started), "
        "timeout_at_ms = max(timeout_at_ms, excluded.timeout_at_ms), "
        "heartbeat_at_ms = max(heartbeat_at_ms, excluded.heartbeat_at_ms), "
        "heartbeat_ms = excluded.heartbeat_ms, "
        "closed_ms = CASE WHEN excluded.status = 'closed' AND status <> 'closed' "
        "THEN excluded.closed_ms ELSE closed_ms END, "
        "status = CASE WHEN excluded.status = 'closed' THEN 'closed' ELSE status END";
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    detail::taskTokenValues(t, st.binder());
    return im.run(st, "write task token of " + t.execution_id);
  }
  Result<void> updateToken(const TaskTokenRecord& t) {
    static const std::string sql =
        "UPDATE task_tokens SET status = ?2, heartbeat_at_ms = ?3 WHERE digest = ?1";
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, t.digest).bind(2, t.status).bind(3, t.heartbeat_at_ms);
    return im.run(st, "update task token of " + t.execution_id);
  }
  Result<std::optional<TaskTokenRecord>> selectToken(const std::string& digest) {
    static const std::string sql =
        "SELECT " + detail::kTaskTokenCols + " FROM task_tokens WHERE digest = ?1";
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, digest);
    return im.first(st, "get task token", detail::readTaskToken<Stmt>);
  }
  // BEGIN IMMEDIATE already serialises every writer.
  Result<std::optional<ExecutionRecord>> lockExecution(const std::string& id) {
    return store::selectExecution(im, id);
  }
  Result<int64_t> insertCallback(const TaskCallbackRecord& cb) {
    static const std::string sql =
        "INSERT INTO task_callbacks (execution_id, token_digest, state_name, kind, output, "
        "error, cause, received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, cb.execution_id)
        .bind(2, cb.token_digest)
        .bind(3, cb.state_name)
        .bind(4, cb.kind)
        .bind(5, cb.output)
        .bind(8, cb.received_ms);
    if (cb.error) st.bind(6, *cb.error);
    if (cb.cause) st.bind(7, *cb.cause);
    RIPOSTE_STORE_TRY(im.run(st, "insert task callback of " + cb.execution_id));
    return static_cast<int64_t>(sqlite3_last_insert_rowid(im.db));
  }
  Result<void> deleteCallback(int64_t seq) {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare("DELETE FROM task_callbacks WHERE seq = ?1"));
    st.bind(1, seq);
    return im.run(st, "delete applied task callback");
  }
  Result<std::optional<int64_t>> firstCallbackMs(const std::string& execution_id) {
    RIPOSTE_STORE_TRY_ASSIGN(
        st, im.prepare("SELECT min(received_ms) FROM task_callbacks WHERE execution_id = ?1"));
    st.bind(1, execution_id);
    RIPOSTE_STORE_TRY_ASSIGN(row, im.step(st, "first task callback"));
    if (!row || st.isNull(0)) return std::optional<int64_t>();
    return std::optional<int64_t>(st.i64(0));
  }
  Result<void> lowerWake(const std::string& execution_id, int64_t ms) {
    RIPOSTE_STORE_TRY_ASSIGN(
        st, im.prepare("UPDATE executions SET wake_ms = min(wake_ms, ?2) WHERE id = ?1"));
    st.bind(1, execution_id).bind(2, ms);
    return im.run(st, "wake execution " + execution_id);
  }
};

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

int SqliteStore::schemaVersion() {
  return kSchemaVersion;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, Options options) {
  // SQLite's allocation statistics take a global mutex on every allocation; riposte reads
  // none of them. Only possible before SQLite initializes (later calls are refused, harmlessly).
  static std::once_flag no_memstatus;
  std::call_once(no_memstatus, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  const bool memory = path == ":memory:";
  if (!memory) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return fail("StoreError", "cannot create directory '" + parent.string() +
                                      "' for the SQLite store: " + ec.message());
      }
    }
  }
  int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = impl->db ? sqlite3_errmsg(impl->db) : sqlite3_errstr(rc);
    return fail("StoreError", "cannot open SQLite database '" + path + "': " + msg);
  }
  sqlite3_extended_result_codes(impl->db, 1);
  sqlite3_busy_timeout(impl->db, options.busy_timeout_ms);
  // journal_mode returns a row: read it to check WAL was accepted.
  {
    auto st = impl->prepare("PRAGMA journal_mode = WAL");
    if (!st) return fail(st.error());
    auto row = impl->step(*st, "set journal_mode");
    if (!row) return fail("StoreError", "'" + path + "': " + row.error().message);
    std::string mode = *row ? st->text(0) : "";
    if (!memory && mode != "wal") {
      return fail("StoreError",
                  "'" + path + "': SQLite refused WAL mode (journal_mode is '" + mode + "')");
    }
  }
  for (const char* pragma : {"PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    auto r = impl->exec(pragma);
    if (!r) return fail("StoreError", "'" + path + "': " + r.error().message);
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

Result<void> SqliteStore::migrate() {
  int64_t version = 0;
  auto migrated = impl_->write([&](Impl& im) -> Result<void> {
    {
      RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare("PRAGMA user_version"));
      RIPOSTE_STORE_TRY_ASSIGN(row, im.step(st, "read user_version"));
      if (row) version = st.i64(0);
    }
    if (version > kSchemaVersion) {
      return fail("StoreError", "database '" + im.path + "' has schema version " +
                                    std::to_string(version) + ", newer than this build's " +
                                    std::to_string(kSchemaVersion));
    }
    if (version == kSchemaVersion) return {};
    for (int64_t v = version; v < kSchemaVersion; ++v) {
      char* err = nullptr;
      int rc = sqlite3_exec(im.db, kMigrations[v], nullptr, nullptr, &err);
      if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        return fail("StoreError",
                    "migration to schema version " + std::to_string(v + 1) + " failed: " + msg);
      }
    }
    // PRAGMA takes no bound parameters; the value is our own constant.
    char* err = nullptr;
    std::string set = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
    if (sqlite3_exec(im.db, set.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return fail("StoreError", "set user_version: " + msg);
    }
    return {};
  });
  if (migrated && version < kSchemaVersion) detail::logMigrated("sqlite", version, kSchemaVersion);
  return migrated;
}

Result<void> SqliteStore::ping() {
  std::lock_guard lock(impl_->mu);
  // Reads the database header: takes a read lock, so it fails when the file is unusable.
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare("PRAGMA user_version"));
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "ping"));
  if (!row) return fail("StoreError", "ping returned no row");
  return {};
}

// --- events ---

Result<std::vector<bool>> SqliteStore::insertEvents(const std::vector<EventRecord>& events) {
  std::vector<bool> stored;
  stored.reserve(events.size());
  if (events.empty()) return stored;
  RIPOSTE_STORE_TRY(detail::checkEvents(events));
  static const std::string sql = "INSERT INTO events (" + kEventCols + ") VALUES (" +
                                 placeholders(detail::kEventValues) +
                                 ") "
                                 "ON CONFLICT (id) DO NOTHING";
  return impl_->write([&](Impl& im) -> Result<std::vector<bool>> {
    for (const auto& e : events) {
      RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
      detail::eventValues(e, st.binder());
      RIPOSTE_STORE_TRY(im.run(st, "insert event " + e.id));
      stored.push_back(im.changes() == 1);
    }
    return stored;
  });
}

Result<std::optional<EventRecord>> SqliteStore::getEvent(const std::string& id) {
  static const std::string sql = "SELECT " + kEventCols + " FROM events WHERE id = ?1";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, id);
  return impl_->first(st, "get event", detail::readEvent<Stmt>);
}

Result<std::vector<EventRecord>> SqliteStore::pendingEvents(int limit) {
  RIPOSTE_STORE_TRY(detail::checkLimit(limit));
  static const std::string sql = "SELECT " + kEventCols +
                                 " FROM events WHERE status = 'pending' "
                                 "ORDER BY received_ms, seq LIMIT ?1";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, limit);
  return impl_->all(st, "pending events", detail::readEvent<Stmt>);
}

Result<void> SqliteStore::markEvent(const std::string& id, const std::string& status,
                                    const std::vector<std::string>& matched_rules,
                                    const std::string& error, Flush flush) {
  RIPOSTE_STORE_TRY(detail::checkEventStatus(status));
  static const std::string sql =
      "UPDATE events SET status = ?2, matched_rules = ?3, error = ?4 WHERE id = ?1";
  return impl_->write(
      [&](Impl& im) -> Result<void> {
        RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
        st.bind(1, id)
            .bind(2, status)
            .bind(3, detail::encodeStringList(matched_rules))
            .bind(4, error);
        RIPOSTE_STORE_TRY(im.run(st, "mark event"));
        if (im.changes() == 0) return fail("NotFound", "no event '" + id + "'");
        return {};
      },
      impl_->flushes(flush));
}

Result<void> SqliteStore::markEventSuppressed(const std::string& id, const std::string& suppression,
                                              const std::vector<std::string>& matched_rules,
                                              Flush flush) {
  RIPOSTE_STORE_TRY(detail::checkId("suppression", suppression));
  static const std::string sql =
      "UPDATE events SET status = 'suppressed', matched_rules = ?2, error = '', suppression = ?3 "
      "WHERE id = ?1";
  return impl_->write(
      [&](Impl& im) -> Result<void> {
        RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
        st.bind(1, id).bind(2, detail::encodeStringList(matched_rules)).bind(3, suppression);
        RIPOSTE_STORE_TRY(im.run(st, "mark event suppressed"));
        if (im.changes() == 0) return fail("NotFound", "no event '" + id + "'");
        return {};
      },
      impl_->flushes(flush));
}

Result<int64_t> SqliteStore::countEvents() {
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare("SELECT count(*) FROM events"));
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "count events"));
  return row ? st.i64(0) : 0;
}

// --- incidents ---

Result<Store::Upserted> SqliteStore::upsertIncident(const IncidentRecord& rec,
                                                    const std::string& event_id, Flush flush) {
  RIPOSTE_STORE_TRY(detail::checkDedupKey(rec));
  static const std::string insert_sql =
      "INSERT INTO incidents (" + kIncidentCols + ") VALUES (" + placeholders(15) + ", 0, ?16)";
  static const std::string attach_sql =
      "INSERT INTO incident_events (incident_id, event_id) VALUES (?1, ?2) "
      "ON CONFLICT (incident_id, event_id) DO NOTHING";
  static const std::string bump_sql =
      "UPDATE incidents SET event_count = event_count + 1, updated_ms = max(updated_ms, ?2), "
      "severity = max(severity, ?3) WHERE id = ?1";
  const int64_t now_ms = detail::incidentNowMs(rec);

  return impl_->write(
      [&](Impl& im) -> Result<Upserted> {
        bool created = false;
        std::string id;
        {
          RIPOSTE_STORE_TRY_ASSIGN(existing,
                                   selectIncident(im, IncidentKey::kDedupKey, rec.dedup_key));
          if (existing) id = existing->id;
        }
        if (id.empty()) {
          id = detail::newIncidentId(rec);
          RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(insert_sql));
          detail::incidentValues(rec, id, event_id, st.binder());
          RIPOSTE_STORE_TRY(im.run(st, "insert incident " + id));
          created = true;
        }
        bool attached = true;
        if (!event_id.empty()) {
          RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(attach_sql));
          st.bind(1, id).bind(2, event_id);
          RIPOSTE_STORE_TRY(im.run(st, "attach event to incident"));
          attached = im.changes() == 1;
        }
        if (attached) {
          RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(bump_sql));
          st.bind(1, id).bind(2, now_ms).bind(3, rec.severity);
          RIPOSTE_STORE_TRY(im.run(st, "update incident"));
        }
        Tx tx{im};
        return detail::incidentUpserted(tx, id, created, attached, event_id);
      },
      impl_->flushes(flush));
}

Result<std::optional<IncidentRecord>> SqliteStore::getIncident(const std::string& id) {
  std::lock_guard lock(impl_->mu);
  return selectIncident(*impl_, IncidentKey::kId, id);
}

Result<std::vector<IncidentRecord>> SqliteStore::listIncidents(int limit, int offset) {
  RIPOSTE_STORE_TRY(detail::checkLimit(limit, offset));
  static const std::string sql = "SELECT " + kIncidentCols +
                                 " FROM incidents ORDER BY created_ms DESC, seq DESC "
                                 "LIMIT ?1 OFFSET ?2";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, limit).bind(2, offset);
  return impl_->all(st, "list incidents", detail::readIncident<Stmt>);
}

Result<void> SqliteStore::setIncidentStatus(const std::string& id, const std::string& status,
                                            int64_t now_ms, Flush flush, const StatusCause& why) {
  RIPOSTE_STORE_TRY(detail::checkIncidentStatus(status));
  static const std::string sql =
      "UPDATE incidents SET status = ?2, updated_ms = ?3, dedup_key = CASE WHEN ?2 = 'released' "
      "AND instr(dedup_key, '#released:') = 0 THEN dedup_key || '#released:' || id ELSE "
      "dedup_key END WHERE id = ?1";
  return impl_->write(
      [&](Impl& im) -> Result<void> {
        {
          RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
          st.bind(1, id).bind(2, status).bind(3, now_ms);
          RIPOSTE_STORE_TRY(im.run(st, "set incident status"));
        }
        Tx tx{im};
        return detail::incidentStatusSet(tx, id, now_ms, im.changes(), why);
      },
      impl_->flushes(flush));
}

Result<std::vector<std::string>> SqliteStore::incidentEvents(const std::string& incident_id) {
  static const std::string sql =
      "SELECT event_id FROM incident_events WHERE incident_id = ?1 ORDER BY seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, incident_id);
  return impl_->all(st, "incident events", [](const Stmt& row) { return row.text(0); });
}

// --- executions ---

Result<void> SqliteStore::createExecution(const ExecutionRecord& rec,
                                          const std::vector<HistoryRecord>& first_events,
                                          Flush flush) {
  RIPOSTE_STORE_TRY(detail::checkId("execution", rec.id));
  static const std::string sql =
      "INSERT INTO executions (" + kExecutionCols + ") VALUES (" + placeholders(16) + ")";
  static const std::string body_sql =
      "INSERT INTO execution_bodies (execution_id, definition, input) VALUES (?1, ?2, ?3)";
  return impl_->write(
      [&](Impl& im) -> Result<void> {
        {
          // The definition and input go to execution_bodies (schema 4), the row keeps ''.
          ExecutionRecord row = rec;
          row.definition.clear();
          row.input.clear();
          RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
          detail::executionValues(row, st.binder());
          RIPOSTE_STORE_TRY(im.run(st, "insert execution " + rec.id));
        }
        {
          RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(body_sql));
          st.bind(1, rec.id).bind(2, rec.definition).bind(3, rec.input);
          RIPOSTE_STORE_TRY(im.run(st, "insert the definition and input of execution " + rec.id));
        }
        Tx tx{im};
        return detail::executionCreated(tx, rec, first_events);
      },
      impl_->flushes(flush));
}

Result<std::optional<ExecutionRecord>> SqliteStore::getExecution(const std::string& id) {
  std::lock_guard lock(impl_->mu);
  return selectExecution(*impl_, id);
}

Result<std::vector<ExecutionRecord>> SqliteStore::executionsForIncident(
    const std::string& incident_id) {
  static const std::string sql = "SELECT " + kExecutionCols +
                                 " FROM executions_full WHERE incident_id = ?1 "
                                 "ORDER BY started_ms, seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, incident_id);
  return impl_->all(st, "executions for incident", detail::readExecution<Stmt>);
}

Result<void> SqliteStore::recordStep(const ExecutionRecord& rec,
                                     const std::vector<HistoryRecord>& events) {
  RIPOSTE_STORE_TRY(detail::checkId("execution", rec.id));
  static const std::string sql =
      "UPDATE executions SET status = ?3, output = ?4, error = ?5, cause = ?6, snapshot = ?7, "
      "wake_ms = ?8, ended_ms = ?9, lease_until_ms = ?10 WHERE id = ?1 AND lease_owner = ?2";
  return impl_->write([&](Impl& im) -> Result<void> {
    {
      RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
      detail::stepValues(rec, st.binder());
      RIPOSTE_STORE_TRY(im.run(st, "record step of " + rec.id));
    }
    Tx tx{im};
    return detail::stepRecorded(tx, rec, im.changes(), events);
  });
}

Result<std::vector<Result<void>>> SqliteStore::recordSteps(const std::vector<StepRef>& steps) {
  static const std::string sql =
      "UPDATE executions SET status = ?3, output = ?4, error = ?5, cause = ?6, snapshot = ?7, "
      "wake_ms = ?8, ended_ms = ?9, lease_until_ms = ?10 WHERE id = ?1 AND lease_owner = ?2";
  if (steps.empty()) return std::vector<Result<void>>{};
  return impl_->write(
      [&](Impl& im) -> Result<std::vector<Result<void>>> {
        Tx tx{im};
        return detail::stepsRecorded(tx, steps, [&](const ExecutionRecord& rec) -> Result<int64_t> {
          RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
          detail::stepValues(rec, st.binder());
          RIPOSTE_STORE_TRY(im.run(st, "record step of " + rec.id));
          return im.changes();
        });
      },
      impl_->flushes(Flush::kWithNextFlush));
}

Result<std::optional<std::string>> SqliteStore::snapshotBlob(const std::string& execution_id,
                                                             const std::string& id) {
  static const std::string sql =
      "SELECT json FROM snapshot_blobs WHERE execution_id = ?1 AND id = ?2";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, execution_id).bind(2, id);
  return impl_->first(st, "snapshot blob", [](const Stmt& row) { return row.text(0); });
}

Result<std::vector<HistoryRecord>> SqliteStore::history(const std::string& execution_id) {
  static const std::string sql =
      "SELECT " + kHistoryCols + " FROM history WHERE execution_id = ?1 ORDER BY seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, execution_id);
  return impl_->all(st, "history", detail::readHistory<Stmt>);
}

Result<int64_t> SqliteStore::releaseLeases(const std::string& owner) {
  static const std::string sql =
      "UPDATE executions SET lease_until_ms = 0 WHERE lease_owner = ?1 AND status = 'RUNNING'";
  return impl_->write([&](Impl& im) -> Result<int64_t> {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, owner);
    RIPOSTE_STORE_TRY(im.run(st, "release leases"));
    return static_cast<int64_t>(im.changes());
  });
}

Result<std::vector<ExecutionRecord>> SqliteStore::claimRunnable(const std::string& owner,
                                                                int64_t now_ms, int64_t lease_ms,
                                                                int limit) {
  RIPOSTE_STORE_TRY(detail::checkClaim(owner, lease_ms, limit));
  std::vector<ExecutionRecord> out;
  if (limit == 0) return out;
  static const std::string pick_sql =
      "SELECT id FROM executions WHERE status = 'RUNNING' AND wake_ms <= ?1 "
      "AND (lease_owner = '' OR lease_until_ms <= ?1) ORDER BY wake_ms, seq LIMIT ?2";
  static const std::string claim_sql =
      "UPDATE executions SET lease_owner = ?2, lease_until_ms = ?3 WHERE id = ?1";
  return impl_->write([&](Impl& im) -> Result<std::vector<ExecutionRecord>> {
    std::vector<std::string> ids;
    {
      RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(pick_sql));
      st.bind(1, now_ms).bind(2, limit);
      RIPOSTE_STORE_TRY_ASSIGN(picked, im.all(st, "pick runnable executions",
                                              [](const Stmt& row) { return row.text(0); }));
      ids = std::move(picked);
    }
    for (const auto& id : ids) {
      {
        RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(claim_sql));
        st.bind(1, id).bind(2, owner).bind(3, now_ms + lease_ms);
        RIPOSTE_STORE_TRY(im.run(st, "claim execution " + id));
      }
      RIPOSTE_STORE_TRY_ASSIGN(row, selectExecution(im, id));
      if (row) out.push_back(std::move(*row));
    }
    return out;
  });
}

Result<std::optional<int64_t>> SqliteStore::nextWake() {
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(
      st, impl_->prepare("SELECT min(wake_ms) FROM executions WHERE status = 'RUNNING'"));
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "next wake"));
  if (!row || st.isNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(st.i64(0));
}

Result<std::vector<std::pair<std::string, int64_t>>> SqliteStore::statusCounts(
    const std::string& table) {
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare("SELECT status, count(*) FROM " + table +
                                              " GROUP BY status ORDER BY status"));
  return impl_->all(st, table + " counts",
                    [](const Stmt& row) { return std::make_pair(row.text(0), row.i64(1)); });
}

Result<std::vector<std::pair<std::string, int64_t>>> SqliteStore::executionCounts() {
  return statusCounts("executions");
}

Result<std::vector<std::pair<std::string, int64_t>>> SqliteStore::incidentCounts() {
  return statusCounts("incidents");
}

// --- actions ---

Result<void> SqliteStore::insertAction(const ActionRecord& rec) {
  RIPOSTE_STORE_TRY(detail::checkId("action", rec.id));
  static const std::string sql =
      "INSERT INTO actions (" + kActionCols + ") VALUES (" + placeholders(16) + ")";
  return impl_->write([&](Impl& im) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    detail::actionValues(rec, st.binder());
    RIPOSTE_STORE_TRY(im.run(st, "insert action " + rec.id));
    Tx tx{im};
    return detail::actionInserted(tx, rec);
  });
}

Result<void> SqliteStore::updateAction(const ActionRecord& rec) {
  RIPOSTE_STORE_TRY(detail::checkId("action", rec.id));
  static const std::string sql =
      "UPDATE actions SET status = ?2, input = ?3, state_before = ?4, state_after = ?5, "
      "output = ?6, error_code = ?7, error_message = ?8, summary = ?9, changed = ?10, "
      "started_ms = ?11, ended_ms = ?12 WHERE id = ?1";
  return impl_->write([&](Impl& im) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    detail::actionUpdateValues(rec, st.binder());
    RIPOSTE_STORE_TRY(im.run(st, "update action " + rec.id));
    Tx tx{im};
    return detail::actionUpdated(tx, rec, im.changes());
  });
}

Result<std::optional<ActionRecord>> SqliteStore::getAction(const std::string& id) {
  std::lock_guard lock(impl_->mu);
  return selectAction(*impl_, id);
}

Result<std::vector<ActionRecord>> SqliteStore::actionsForIncident(const std::string& incident_id) {
  static const std::string sql = "SELECT " + kActionCols +
                                 " FROM actions WHERE incident_id = ?1 "
                                 "ORDER BY started_ms, seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, incident_id);
  return impl_->all(st, "actions for incident", detail::readAction<Stmt>);
}

Result<std::vector<ActionRecord>> SqliteStore::actionsWithStatus(
    const std::vector<std::string>& actions, const std::string& status) {
  static const std::string sql = "SELECT " + kActionCols +
                                 " FROM actions WHERE action = ?1 AND status = ?2 "
                                 "ORDER BY started_ms, seq";
  std::vector<std::pair<int64_t, ActionRecord>> all;  // (order of insertion, record)
  std::lock_guard lock(impl_->mu);
  for (const auto& a : actions) {
    RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
    st.bind(1, a);
    st.bind(2, status);
    RIPOSTE_STORE_TRY_ASSIGN(rows, impl_->all(st, "actions with status", detail::readAction<Stmt>));
    for (auto& r : rows) all.emplace_back(static_cast<int64_t>(all.size()), std::move(r));
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
    return x.second.started_ms < y.second.started_ms;
  });
  std::vector<ActionRecord> out;
  for (auto& [_, r] : all) out.push_back(std::move(r));
  return out;
}

// --- task tokens ---

Result<TaskCallbackRecord> SqliteStore::acceptTaskCallback(const TaskCallbackRecord& cb) {
  return impl_->write([&](Impl& im) -> Result<TaskCallbackRecord> {
    Tx tx{im};
    return detail::callbackAccepted(tx, cb);
  });
}

Result<std::vector<TaskCallbackRecord>> SqliteStore::taskCallbacks(
    const std::string& execution_id) {
  static const std::string sql = "SELECT " + detail::kTaskCallbackCols +
                                 " FROM task_callbacks WHERE execution_id = ?1 ORDER BY seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, execution_id);
  return impl_->all(st, "task callbacks", [](const Stmt& r) {
    return detail::readTaskCallback(r, [&](int col) { return r.isNull(col); });
  });
}

Result<std::vector<TaskTokenRecord>> SqliteStore::taskTokens(const std::string& execution_id) {
  static const std::string sql = "SELECT " + detail::kTaskTokenCols +
                                 " FROM task_tokens WHERE execution_id = ?1 "
                                 "ORDER BY created_ms, rowid";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, execution_id);
  return impl_->all(st, "task tokens", detail::readTaskToken<Stmt>);
}

// --- approval requests ---

Result<bool> SqliteStore::insertApproval(const ApprovalRecord& rec, const std::string& audit_json) {
  RIPOSTE_STORE_TRY(detail::checkId("approval", rec.id));
  static const std::string sql = "INSERT INTO approvals (" + detail::kApprovalCols +
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0) "
                                 "ON CONFLICT (id) DO NOTHING";
  return impl_->write([&](Impl& im) -> Result<bool> {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, rec.id)
        .bind(2, rec.incident_id)
        .bind(3, rec.execution_id)
        .bind(4, rec.state_name)
        .bind(5, rec.token_digest)
        .bind(6, rec.status)
        .bind(7, int64_t{rec.delivered ? 1 : 0})
        .bind(8, rec.created_ms)
        .bind(9, rec.deadline_ms)
        .bind(10, rec.json);
    RIPOSTE_STORE_TRY(im.run(st, "insert approval " + rec.id));
    if (sqlite3_changes(im.db) == 0) return false;
    RIPOSTE_STORE_TRY(
        appendAudit(im, detail::AuditEntry{rec.created_ms, "approval.requested", audit_json}));
    return true;
  });
}

Result<std::optional<ApprovalRecord>> SqliteStore::getApproval(const std::string& id) {
  static const std::string sql =
      "SELECT " + detail::kApprovalCols + " FROM approvals WHERE id = ?1";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, id);
  return impl_->first(st, "get approval", detail::readApproval<Stmt>);
}

Result<std::vector<ApprovalRecord>> SqliteStore::listApprovals(const std::string& execution_id) {
  static const std::string sql = "SELECT " + detail::kApprovalCols +
                                 " FROM approvals WHERE ?1 = '' OR execution_id = ?1 "
                                 "ORDER BY created_ms, id";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, execution_id);
  return impl_->all(st, "list approvals", detail::readApproval<Stmt>);
}

Result<void> SqliteStore::updateApproval(const ApprovalRecord& rec, int64_t time_ms,
                                         const std::string& audit_kind,
                                         const std::string& audit_json) {
  static const std::string sql =
      "UPDATE approvals SET status = ?2, delivered = ?3, json = ?4, token_digest = ?6, "
      "version = version + 1 WHERE id = ?1 AND version = ?5";
  return impl_->write([&](Impl& im) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, rec.id)
        .bind(2, rec.status)
        .bind(3, int64_t{rec.delivered ? 1 : 0})
        .bind(4, rec.json)
        .bind(5, rec.version)
        .bind(6, rec.token_digest);
    RIPOSTE_STORE_TRY(im.run(st, "update approval " + rec.id));
    if (sqlite3_changes(im.db) == 0) {
      RIPOSTE_STORE_TRY_ASSIGN(q, im.prepare("SELECT 1 FROM approvals WHERE id = ?1"));
      q.bind(1, rec.id);
      RIPOSTE_STORE_TRY_ASSIGN(row, im.step(q, "approval exists"));
      if (!row) return fail("NotFound", "no approval '" + rec.id + "'");
      return fail("Conflict", "approval '" + rec.id + "' changed meanwhile");
    }
    if (audit_kind.empty()) return {};
    return appendAudit(im, detail::AuditEntry{time_ms, audit_kind, audit_json});
  });
}

// --- suppressions ---

namespace {
Result<void> bumpSuppressionsVersion(Impl& im) {
  static const std::string sql = "UPDATE suppressions_version SET version = version + 1";
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
  return im.run(st, "bump suppressions version");
}
}  // namespace

Result<void> SqliteStore::insertSuppression(const SuppressionRecord& rec,
                                            const std::string& reason) {
  RIPOSTE_STORE_TRY(detail::checkSuppression(rec));
  static const std::string sql =
      "INSERT INTO suppressions (name, json, created_ms, created_by) VALUES (?1, ?2, ?3, ?4)";
  return impl_->write([&](Impl& im) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, rec.name).bind(2, rec.json).bind(3, rec.created_ms).bind(4, rec.created_by);
    if (auto r = im.run(st, "insert suppression " + rec.name); !r) {
      if (r.error().code == "Conflict")
        return fail("Conflict", "a suppression named '" + rec.name + "' exists");
      return r;
    }
    RIPOSTE_STORE_TRY(bumpSuppressionsVersion(im));
    return appendAudit(im, detail::auditSuppression("suppression.created", rec.name, rec.created_by,
                                                    reason, rec.json, rec.created_ms));
  });
}

Result<void> SqliteStore::deleteSuppression(const std::string& name, const std::string& by,
                                            const std::string& reason, int64_t now_ms) {
  RIPOSTE_STORE_TRY(detail::checkId("suppression", name));
  static const std::string get = "SELECT json FROM suppressions WHERE name = ?1";
  static const std::string del = "DELETE FROM suppressions WHERE name = ?1";
  return impl_->write([&](Impl& im) -> Result<void> {
    std::string json;
    {
      RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(get));
      st.bind(1, name);
      RIPOSTE_STORE_TRY_ASSIGN(
          row, im.first(st, "get suppression", [](const Stmt& r) { return r.text(0); }));
      if (!row) return fail("NotFound", "no stored suppression '" + name + "'");
      json = *row;
    }
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(del));
    st.bind(1, name);
    RIPOSTE_STORE_TRY(im.run(st, "delete suppression " + name));
    RIPOSTE_STORE_TRY(bumpSuppressionsVersion(im));
    return appendAudit(
        im, detail::auditSuppression("suppression.deleted", name, by, reason, json, now_ms));
  });
}

Result<std::vector<SuppressionRecord>> SqliteStore::listSuppressions() {
  static const std::string sql =
      "SELECT name, json, created_ms, created_by FROM suppressions ORDER BY created_ms, name";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  return impl_->all(st, "list suppressions", [](const Stmt& r) {
    return SuppressionRecord{r.text(0), r.text(1), r.i64(2), r.text(3)};
  });
}

Result<int64_t> SqliteStore::suppressionsVersion() {
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare("SELECT version FROM suppressions_version"));
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "suppressions version"));
  return row ? st.i64(0) : int64_t{0};
}

// --- audit log and sink cursors ---

Result<std::vector<AuditRecord>> SqliteStore::readAudit(int64_t after_seq, int limit) {
  RIPOSTE_STORE_TRY(detail::checkLimit(limit));
  static const std::string sql =
      "SELECT seq, time_ms, kind, json FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, after_seq).bind(2, limit);
  return impl_->all(st, "read audit", detail::readAuditRecord<Stmt>);
}

Result<int64_t> SqliteStore::auditHead() {
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare("SELECT coalesce(max(seq), 0) FROM audit_log"));
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "audit head"));
  return row ? st.i64(0) : 0;
}

Result<int64_t> SqliteStore::sinkCursor(const std::string& sink) {
  RIPOSTE_STORE_TRY_ASSIGN(c, sinkCursorIfSet(sink));
  return c.value_or(0);
}

Result<std::optional<int64_t>> SqliteStore::sinkCursorIfSet(const std::string& sink) {
  RIPOSTE_STORE_TRY(detail::checkId("sink", sink));
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare("SELECT seq FROM sink_cursors WHERE sink = ?1"));
  st.bind(1, sink);
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "sink cursor"));
  return row ? std::optional<int64_t>(st.i64(0)) : std::nullopt;
}

Result<void> SqliteStore::setSinkCursor(const std::string& sink, int64_t seq) {
  RIPOSTE_STORE_TRY(detail::checkSinkCursor(sink, seq));
  static const std::string sql =
      "INSERT INTO sink_cursors (sink, seq) VALUES (?1, ?2) "
      "ON CONFLICT (sink) DO UPDATE SET seq = excluded.seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, sink).bind(2, seq);
  return impl_->run(st, "set sink cursor");
}

Result<bool> SqliteStore::claimSinkLease(const std::string& sink, const std::string& owner,
                                         int64_t now_ms, int64_t lease_ms) {
  RIPOSTE_STORE_TRY(detail::checkId("sink", sink));
  static const std::string sql =
      "INSERT INTO sink_leases (sink, owner, until_ms) VALUES (?1, ?2, ?4) "
      "ON CONFLICT (sink) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms "
      "WHERE sink_leases.owner = excluded.owner OR sink_leases.until_ms <= ?3";
  return impl_->write([&](Impl& im) -> Result<bool> {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, sink).bind(2, owner).bind(3, now_ms).bind(4, now_ms + lease_ms);
    RIPOSTE_STORE_TRY(im.run(st, "claim sink lease " + sink));
    return sqlite3_changes(im.db) == 1;
  });
}

// --- threat list copies ---

Result<void> SqliteStore::putThreatListCopy(const ThreatListCopy& c) {
  RIPOSTE_STORE_TRY(detail::checkId("threat list", c.list));
  static const std::string sql =
      "INSERT INTO threat_list_copies (list, fetch_key, entries, bad_lines, etag, last_modified, "
      "fetched_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (list) DO UPDATE SET "
      "fetch_key = excluded.fetch_key, entries = excluded.entries, bad_lines = "
      "excluded.bad_lines, etag = excluded.etag, last_modified = excluded.last_modified, "
      "fetched_ms = excluded.fetched_ms";
  return impl_->write([&](Impl& im) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, c.list)
        .bind(2, c.fetch_key)
        .bind(3, c.entries)
        .bind(4, c.bad_lines)
        .bind(5, c.etag)
        .bind(6, c.last_modified)
        .bind(7, c.fetched_ms);
    return im.run(st, "put threat list copy " + c.list);
  });
}

Result<void> SqliteStore::touchThreatListCopy(const std::string& list, const std::string& fetch_key,
                                              int64_t fetched_ms) {
  RIPOSTE_STORE_TRY(detail::checkId("threat list", list));
  static const std::string sql =
      "UPDATE threat_list_copies SET fetched_ms = ?3 WHERE list = ?1 AND fetch_key = ?2";
  return impl_->write([&](Impl& im) -> Result<void> {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, list).bind(2, fetch_key).bind(3, fetched_ms);
    return im.run(st, "touch threat list copy " + list);
  });
}

Result<std::optional<ThreatListCopy>> SqliteStore::getThreatListCopy(const std::string& list) {
  RIPOSTE_STORE_TRY(detail::checkId("threat list", list));
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(
      st, impl_->prepare("SELECT fetch_key, entries, bad_lines, etag, last_modified, fetched_ms "
                         "FROM threat_list_copies WHERE list = ?1"));
  st.bind(1, list);
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "threat list copy"));
  if (!row) return std::optional<ThreatListCopy>();
  return std::optional<ThreatListCopy>(
      ThreatListCopy{list, st.text(0), st.text(1), st.i64(2), st.text(3), st.text(4), st.i64(5)});
}

// --- limits and the breaker ---

namespace {

Result<int64_t> scalar(Impl& im, Stmt& st, std::string_view what) {
  RIPOSTE_STORE_TRY_ASSIGN(row, im.step(st, what));
  return row ? st.i64(0) : 0;
}

Result<BreakerState> selectBreaker(Impl& im) {
  RIPOSTE_STORE_TRY_ASSIGN(
      st, im.prepare("SELECT is_open, opened_ms, opened_reason, closed_ms, closed_by, "
                     "closed_reason FROM breaker_state WHERE id = 1"));
  RIPOSTE_STORE_TRY_ASSIGN(row, im.step(st, "read breaker state"));
  BreakerState b;
  if (!row) return b;
  b.open = st.flag(0);
  b.opened_ms = st.i64(1);
  b.opened_reason = st.text(2);
  b.closed_ms = st.i64(3);
  b.closed_by = st.text(4);
  b.closed_reason = st.text(5);
  return b;
}

// The `tx` of detail::limitsReserved. BEGIN IMMEDIATE already serialises every writer.
struct LimitTx {
  Impl& im;
  Result<void> lockLimits() { return {}; }
  Result<int64_t> placesHeld(const std::string& action_id) {
    RIPOSTE_STORE_TRY_ASSIGN(st,
                             im.prepare("SELECT count(*) FROM limit_places WHERE action_id = ?1"));
    st.bind(1, action_id);
    return scalar(im, st, "places held");
  }
  Result<void> addAttempt(const std::string& execution_id, int64_t now) {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare("INSERT INTO breaker_attempts (execution_id, time_ms) "
                                            "VALUES (?1, ?2) ON CONFLICT DO NOTHING"));
    st.bind(1, execution_id).bind(2, now);
    return im.run(st, "count a breaker attempt");
  }
  Result<int64_t> countAttempts(int64_t since) {
    RIPOSTE_STORE_TRY_ASSIGN(
        st, im.prepare("SELECT count(*) FROM breaker_attempts WHERE time_ms > ?1"));
    st.bind(1, since);
    return scalar(im, st, "count breaker attempts");
  }
  Result<BreakerState> breaker() { return selectBreaker(im); }
  Result<void> openBreaker(int64_t now, const std::string& reason) {
    RIPOSTE_STORE_TRY_ASSIGN(
        st, im.prepare("UPDATE breaker_state SET is_open = 1, opened_ms = ?1, opened_reason = ?2 "
                       "WHERE id = 1"));
    st.bind(1, now).bind(2, reason);
    return im.run(st, "open the breaker");
  }
  Result<void> prune(const std::string& limit, const std::string& key, int64_t before) {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare("DELETE FROM limit_places WHERE limit_name = ?1 AND "
                                            "counter_key = ?2 AND time_ms <= ?3"));
    st.bind(1, limit).bind(2, key).bind(3, before);
    return im.run(st, "prune limit places");
  }
  Result<int64_t> countPlaces(const std::string& limit, const std::string& key, int64_t since) {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare("SELECT count(*) FROM limit_places WHERE limit_name = "
                                            "?1 AND counter_key = ?2 AND time_ms > ?3"));
    st.bind(1, limit).bind(2, key).bind(3, since);
    return scalar(im, st, "count limit places");
  }
  Result<void> addPlace(const std::string& limit, const std::string& key,
                        const std::string& action_id, int64_t now) {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare("INSERT INTO limit_places (limit_name, counter_key, "
                                            "action_id, time_ms) VALUES (?1, ?2, ?3, ?4)"));
    st.bind(1, limit).bind(2, key).bind(3, action_id).bind(4, now);
    return im.run(st, "take a limit place");
  }
  Result<void> appendAudit(const detail::AuditEntry& e) { return store::appendAudit(im, e); }
};

}  // namespace

Result<LimitGrant> SqliteStore::reserveLimits(const LimitRequest& req) {
  return impl_->write([&](Impl& im) -> Result<LimitGrant> {
    LimitTx tx{im};
    return detail::limitsReserved(tx, req);
  });
}

Result<int64_t> SqliteStore::releaseLimits(const std::string& action_id) {
  RIPOSTE_STORE_TRY(detail::checkId("action", action_id));
  return impl_->write([&](Impl& im) -> Result<int64_t> {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare("DELETE FROM limit_places WHERE action_id = ?1"));
    st.bind(1, action_id);
    RIPOSTE_STORE_TRY(im.run(st, "give back limit places"));
    return static_cast<int64_t>(im.changes());
  });
}

Result<std::vector<std::pair<std::string, int64_t>>> SqliteStore::limitUsage(
    const std::string& limit, int64_t window_ms, int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(
      st, impl_->prepare("SELECT counter_key, count(*) FROM limit_places WHERE limit_name = ?1 "
                         "AND time_ms > ?2 GROUP BY counter_key ORDER BY counter_key"));
  st.bind(1, limit).bind(2, now_ms - window_ms);
  return impl_->all(st, "limit usage",
                    [](const Stmt& row) { return std::make_pair(row.text(0), row.i64(1)); });
}

Result<BreakerState> SqliteStore::breakerState() {
  std::lock_guard lock(impl_->mu);
  return selectBreaker(*impl_);
}

Result<int64_t> SqliteStore::breakerCount(int64_t window_ms, int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(
      st, impl_->prepare("SELECT count(*) FROM breaker_attempts WHERE time_ms > ?1"));
  st.bind(1, now_ms - window_ms);
  return scalar(*impl_, st, "count breaker attempts");
}

Result<bool> SqliteStore::closeBreaker(const std::string& by, const std::string& reason,
                                       int64_t now_ms) {
  return impl_->write([&](Impl& im) -> Result<bool> {
    RIPOSTE_STORE_TRY_ASSIGN(state, selectBreaker(im));
    if (!state.open) return false;
    {
      RIPOSTE_STORE_TRY_ASSIGN(
          st, im.prepare("UPDATE breaker_state SET is_open = 0, closed_ms = ?1, closed_by = ?2, "
                         "closed_reason = ?3 WHERE id = 1"));
      st.bind(1, now_ms).bind(2, by).bind(3, reason);
      RIPOSTE_STORE_TRY(im.run(st, "close the breaker"));
    }
    RIPOSTE_STORE_TRY(im.exec("DELETE FROM breaker_attempts"));
    RIPOSTE_STORE_TRY(appendAudit(im, detail::auditBreakerClosed(by, reason, now_ms)));
    return true;
  });
}

}  // namespace riposte::store
