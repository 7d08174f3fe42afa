#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <filesystem>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/ids.h"
#include "core/log.h"
#include "store/detail.h"

namespace riposte::store {
namespace {

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
};
constexpr int kSchemaVersion = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

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
  Stmt& bindOptional(int i, const std::string& v) {
    if (v.empty()) {
      sqlite3_bind_null(s_, i);
      return *this;
    }
    return bind(i, v);
  }

  std::string text(int i) const {
    const auto* p = sqlite3_column_text(s_, i);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(s_, i)));
  }
  int64_t i64(int i) const { return sqlite3_column_int64(s_, i); }
  double real(int i) const { return sqlite3_column_double(s_, i); }
  bool isNull(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }

  sqlite3_stmt* raw() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

EventRecord readEvent(const Stmt& st) {
  EventRecord e;
  e.id = st.text(0);
  e.received_ms = st.i64(1);
  e.source = st.text(2);
  e.detail_type = st.text(3);
  e.account = st.text(4);
  e.region = st.text(5);
  e.body = st.text(6);
  e.channel = st.text(7);
  e.status = st.text(8);
  e.error = st.text(9);
  e.matched_rules = detail::decodeStringList(st.text(10));
  return e;
}

IncidentRecord readIncident(const Stmt& st) {
  IncidentRecord r;
  r.id = st.text(0);
  r.dedup_key = st.text(1);
  r.account = st.text(2);
  r.region = st.text(3);
  r.resource_type = st.text(4);
  r.resource_id = st.text(5);
  r.finding_id = st.text(6);
  r.finding_type = st.text(7);
  r.severity = st.real(8);
  r.title = st.text(9);
  r.rule = st.text(10);
  r.playbook = st.text(11);
  r.status = st.text(12);
  r.created_ms = st.i64(13);
  r.updated_ms = st.i64(14);
  r.event_count = st.i64(15);
  r.first_event_id = st.text(16);
  return r;
}

ExecutionRecord readExecution(const Stmt& st) {
  ExecutionRecord r;
  r.id = st.text(0);
  r.incident_id = st.text(1);
  r.playbook = st.text(2);
  r.definition = st.text(3);
  r.status = st.text(4);
  r.input = st.text(5);
  r.output = st.text(6);
  r.error = st.text(7);
  r.cause = st.text(8);
  r.snapshot = st.text(9);
  r.wake_ms = st.i64(10);
  r.started_ms = st.i64(11);
  r.ended_ms = st.i64(12);
  r.dry_run = st.i64(13) != 0;
  r.lease_owner = st.text(14);
  r.lease_until_ms = st.i64(15);
  return r;
}

HistoryRecord readHistory(const Stmt& st) {
  HistoryRecord h;
  h.execution_id = st.text(0);
  h.seq = st.i64(1);
  h.previous_seq = st.i64(2);
  h.timestamp_ms = st.i64(3);
  h.type = st.text(4);
  h.details = st.text(5);
  return h;
}

ActionRecord readAction(const Stmt& st) {
  ActionRecord a;
  a.id = st.text(0);
  a.incident_id = st.text(1);
  a.execution_id = st.text(2);
  a.state_name = st.text(3);
  a.action = st.text(4);
  a.status = st.text(5);
  a.input = st.text(6);
  a.before = st.text(7);
  a.after = st.text(8);
  a.output = st.text(9);
  a.error_code = st.text(10);
  a.error_message = st.text(11);
  a.summary = st.text(12);
  a.changed = st.i64(13) != 0;
  a.started_ms = st.i64(14);
  a.ended_ms = st.i64(15);
  return a;
}

}  // namespace

struct SqliteStore::Impl {
  sqlite3* db = nullptr;
  std::string path;
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

  Result<void> exec(const std::string& sql) {
    auto st = prepare(sql);
    if (!st) return tl::unexpected(st.error());
    return run(*st, sql);
  }

  int64_t changes() const { return sqlite3_changes64(db); }
};

namespace {

using Impl = SqliteStore::Impl;

// A write transaction (BEGIN IMMEDIATE: takes the write lock up front, so two processes
// never deadlock upgrading a read lock). Rolled back unless committed.
class WriteTx {
 public:
  explicit WriteTx(Impl& im) : im_(im) {}
  WriteTx(const WriteTx&) = delete;
  WriteTx& operator=(const WriteTx&) = delete;
  ~WriteTx() {
    if (open_) {
      auto r = im_.exec("ROLLBACK");
      (void)r;
    }
  }
  Result<void> begin() {
    auto r = im_.exec("BEGIN IMMEDIATE");
    if (r) open_ = true;
    return r;
  }
  Result<void> commit() {
    auto r = im_.exec("COMMIT");
    if (r) open_ = false;
    return r;
  }

 private:
  Impl& im_;
  bool open_ = false;
};

Result<void> insertHistory(Impl& im, const std::string& execution_id,
                           const std::vector<HistoryRecord>& events) {
  static const std::string sql =
      "INSERT INTO history (" + kHistoryCols + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  for (const auto& h : events) {
    if (!h.execution_id.empty() && h.execution_id != execution_id) {
      return fail("InvalidArgument", "history event of execution '" + h.execution_id +
                                         "' recorded for execution '" + execution_id + "'");
    }
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, execution_id)
        .bind(2, h.seq)
        .bind(3, h.previous_seq)
        .bind(4, h.timestamp_ms)
        .bind(5, h.type)
        .bind(6, h.details.empty() ? std::string("{}") : h.details);
    RIPOSTE_STORE_TRY(
        im.run(st, "insert history event " + std::to_string(h.seq) + " of " + execution_id));
  }
  return {};
}

Result<std::optional<ExecutionRecord>> selectExecution(Impl& im, const std::string& id) {
  static const std::string sql = "SELECT " + kExecutionCols + " FROM executions WHERE id = ?1";
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
  st.bind(1, id);
  RIPOSTE_STORE_TRY_ASSIGN(row, im.step(st, "get execution"));
  if (!row) return std::optional<ExecutionRecord>();
  return std::optional<ExecutionRecord>(readExecution(st));
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
  RIPOSTE_STORE_TRY_ASSIGN(row, im.step(st, "get incident"));
  if (!row) return std::optional<IncidentRecord>();
  return std::optional<IncidentRecord>(readIncident(st));
}

Result<void> appendAudit(Impl& im, const detail::AuditEntry& e) {
  static const std::string sql = "INSERT INTO audit_log (time_ms, kind, json) VALUES (?1, ?2, ?3)";
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
  st.bind(1, e.time_ms).bind(2, e.kind).bind(3, e.json);
  return im.run(st, "append audit " + e.kind);
}

Result<void> auditSteps(Impl& im, const std::string& execution_id, const std::string& incident_id,
                        const std::vector<HistoryRecord>& events) {
  for (const auto& h : events) {
    RIPOSTE_STORE_TRY(appendAudit(im, detail::auditStep(execution_id, incident_id, h)));
  }
  return {};
}

Result<std::optional<ActionRecord>> selectAction(Impl& im, const std::string& id) {
  static const std::string sql = "SELECT " + kActionCols + " FROM actions WHERE id = ?1";
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
  st.bind(1, id);
  RIPOSTE_STORE_TRY_ASSIGN(row, im.step(st, "get action"));
  if (!row) return std::optional<ActionRecord>();
  return std::optional<ActionRecord>(readAction(st));
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

int SqliteStore::schemaVersion() {
  return kSchemaVersion;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, Options options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
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
  std::lock_guard lock(impl_->mu);
  auto& im = *impl_;
  WriteTx tx(im);
  RIPOSTE_STORE_TRY(tx.begin());
  int64_t version = 0;
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
  if (version == kSchemaVersion) return tx.commit();
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
  RIPOSTE_STORE_TRY(tx.commit());
  logInfo("store schema migrated", {{"backend", "sqlite"},
                                    {"from", std::to_string(version)},
                                    {"to", std::to_string(kSchemaVersion)}});
  return {};
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
  for (const auto& e : events) {
    RIPOSTE_STORE_TRY(detail::checkId("event", e.id));
    RIPOSTE_STORE_TRY(detail::checkEventStatus(e.status));
  }
  static const std::string sql = "INSERT INTO events (" + kEventCols +
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                                 "ON CONFLICT (id) DO NOTHING";
  std::lock_guard lock(impl_->mu);
  auto& im = *impl_;
  WriteTx tx(im);
  RIPOSTE_STORE_TRY(tx.begin());
  for (const auto& e : events) {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, e.id)
        .bind(2, e.received_ms)
        .bind(3, e.source)
        .bind(4, e.detail_type)
        .bind(5, e.account)
        .bind(6, e.region)
        .bind(7, e.body)
        .bind(8, e.channel)
        .bind(9, e.status)
        .bind(10, e.error)
        .bind(11, detail::encodeStringList(e.matched_rules));
    RIPOSTE_STORE_TRY(im.run(st, "insert event " + e.id));
    stored.push_back(im.changes() == 1);
  }
  RIPOSTE_STORE_TRY(tx.commit());
  return stored;
}

Result<std::optional<EventRecord>> SqliteStore::getEvent(const std::string& id) {
  static const std::string sql = "SELECT " + kEventCols + " FROM events WHERE id = ?1";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, id);
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "get event"));
  if (!row) return std::optional<EventRecord>();
  return std::optional<EventRecord>(readEvent(st));
}

Result<std::vector<EventRecord>> SqliteStore::pendingEvents(int limit) {
  RIPOSTE_STORE_TRY(detail::checkLimit(limit));
  static const std::string sql = "SELECT " + kEventCols +
                                 " FROM events WHERE status = 'pending' "
                                 "ORDER BY received_ms, seq LIMIT ?1";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, limit);
  std::vector<EventRecord> out;
  for (;;) {
    RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "pending events"));
    if (!row) break;
    out.push_back(readEvent(st));
  }
  return out;
}

Result<void> SqliteStore::markEvent(const std::string& id, const std::string& status,
                                    const std::vector<std::string>& matched_rules,
                                    const std::string& error) {
  RIPOSTE_STORE_TRY(detail::checkEventStatus(status));
  static const std::string sql =
      "UPDATE events SET status = ?2, matched_rules = ?3, error = ?4 WHERE id = ?1";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, id).bind(2, status).bind(3, detail::encodeStringList(matched_rules)).bind(4, error);
  RIPOSTE_STORE_TRY(impl_->run(st, "mark event"));
  if (impl_->changes() == 0) return fail("NotFound", "no event '" + id + "'");
  return {};
}

Result<int64_t> SqliteStore::countEvents() {
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare("SELECT count(*) FROM events"));
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "count events"));
  return row ? st.i64(0) : 0;
}

// --- incidents ---

Result<Store::Upserted> SqliteStore::upsertIncident(const IncidentRecord& rec,
                                                    const std::string& event_id) {
  if (rec.dedup_key.empty()) return fail("InvalidArgument", "incident dedup_key is empty");
  static const std::string insert_sql =
      "INSERT INTO incidents (" + kIncidentCols +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0, ?16)";
  static const std::string attach_sql =
      "INSERT INTO incident_events (incident_id, event_id) VALUES (?1, ?2) "
      "ON CONFLICT (incident_id, event_id) DO NOTHING";
  static const std::string bump_sql =
      "UPDATE incidents SET event_count = event_count + 1, updated_ms = max(updated_ms, ?2), "
      "severity = max(severity, ?3) WHERE id = ?1";
  const int64_t now_ms = rec.updated_ms != 0 ? rec.updated_ms : rec.created_ms;

  std::lock_guard lock(impl_->mu);
  auto& im = *impl_;
  WriteTx tx(im);
  RIPOSTE_STORE_TRY(tx.begin());
  Upserted out;
  std::string id;
  {
    RIPOSTE_STORE_TRY_ASSIGN(existing, selectIncident(im, IncidentKey::kDedupKey, rec.dedup_key));
    if (existing) id = existing->id;
  }
  if (id.empty()) {
    id = rec.id.empty() ? newId("inc") : rec.id;
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(insert_sql));
    st.bind(1, id)
        .bind(2, rec.dedup_key)
        .bind(3, rec.account)
        .bind(4, rec.region)
        .bind(5, rec.resource_type)
        .bind(6, rec.resource_id)
        .bind(7, rec.finding_id)
        .bind(8, rec.finding_type)
        .bind(9, rec.severity)
        .bind(10, rec.title)
        .bind(11, rec.rule)
        .bind(12, rec.playbook)
        .bind(13, rec.status.empty() ? std::string("open") : rec.status)
        .bind(14, rec.created_ms)
        .bind(15, now_ms)
        .bind(16, rec.first_event_id.empty() ? event_id : rec.first_event_id);
    RIPOSTE_STORE_TRY(im.run(st, "insert incident " + id));
    out.created = true;
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
  {
    RIPOSTE_STORE_TRY_ASSIGN(row, selectIncident(im, IncidentKey::kId, id));
    if (!row) return fail("StoreError", "incident '" + id + "' vanished inside its transaction");
    out.incident = std::move(*row);
  }
  if (out.created || attached) {
    RIPOSTE_STORE_TRY(
        appendAudit(im, detail::auditIncident(out.created ? "incident.opened" : "incident.event",
                                              out.incident, event_id)));
  }
  RIPOSTE_STORE_TRY(tx.commit());
  return out;
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
  std::vector<IncidentRecord> out;
  for (;;) {
    RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "list incidents"));
    if (!row) break;
    out.push_back(readIncident(st));
  }
  return out;
}

Result<void> SqliteStore::setIncidentStatus(const std::string& id, const std::string& status,
                                            int64_t now_ms) {
  if (status.empty()) return fail("InvalidArgument", "incident status is empty");
  static const std::string sql = "UPDATE incidents SET status = ?2, updated_ms = ?3 WHERE id = ?1";
  std::lock_guard lock(impl_->mu);
  auto& im = *impl_;
  WriteTx tx(im);
  RIPOSTE_STORE_TRY(tx.begin());
  {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, id).bind(2, status).bind(3, now_ms);
    RIPOSTE_STORE_TRY(im.run(st, "set incident status"));
  }
  if (im.changes() == 0) return fail("NotFound", "no incident '" + id + "'");
  RIPOSTE_STORE_TRY_ASSIGN(row, selectIncident(im, IncidentKey::kId, id));
  if (!row) return fail("StoreError", "incident '" + id + "' vanished inside its transaction");
  auto entry = detail::auditIncident("incident.status", *row, "");
  entry.time_ms = now_ms;
  RIPOSTE_STORE_TRY(appendAudit(im, entry));
  return tx.commit();
}

Result<std::vector<std::string>> SqliteStore::incidentEvents(const std::string& incident_id) {
  static const std::string sql =
      "SELECT event_id FROM incident_events WHERE incident_id = ?1 ORDER BY seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, incident_id);
  std::vector<std::string> out;
  for (;;) {
    RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "incident events"));
    if (!row) break;
    out.push_back(st.text(0));
  }
  return out;
}

// --- executions ---

Result<void> SqliteStore::createExecution(const ExecutionRecord& rec,
                                          const std::vector<HistoryRecord>& first_events) {
  RIPOSTE_STORE_TRY(detail::checkId("execution", rec.id));
  static const std::string sql =
      "INSERT INTO executions (" + kExecutionCols +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
  std::lock_guard lock(impl_->mu);
  auto& im = *impl_;
  WriteTx tx(im);
  RIPOSTE_STORE_TRY(tx.begin());
  {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, rec.id)
        .bindOptional(2, rec.incident_id)
        .bind(3, rec.playbook)
        .bind(4, rec.definition)
        .bind(5, rec.status)
        .bind(6, rec.input)
        .bind(7, rec.output)
        .bind(8, rec.error)
        .bind(9, rec.cause)
        .bind(10, rec.snapshot)
        .bind(11, rec.wake_ms)
        .bind(12, rec.started_ms)
        .bind(13, rec.ended_ms)
        .bind(14, rec.dry_run)
        .bind(15, rec.lease_owner)
        .bind(16, rec.lease_until_ms);
    RIPOSTE_STORE_TRY(im.run(st, "insert execution " + rec.id));
  }
  RIPOSTE_STORE_TRY(insertHistory(im, rec.id, first_events));
  RIPOSTE_STORE_TRY(appendAudit(im, detail::auditExecutionStarted(rec)));
  RIPOSTE_STORE_TRY(auditSteps(im, rec.id, rec.incident_id, first_events));
  return tx.commit();
}

Result<std::optional<ExecutionRecord>> SqliteStore::getExecution(const std::string& id) {
  std::lock_guard lock(impl_->mu);
  return selectExecution(*impl_, id);
}

Result<std::vector<ExecutionRecord>> SqliteStore::executionsForIncident(
    const std::string& incident_id) {
  static const std::string sql = "SELECT " + kExecutionCols +
                                 " FROM executions WHERE incident_id = ?1 "
                                 "ORDER BY started_ms, seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, incident_id);
  std::vector<ExecutionRecord> out;
  for (;;) {
    RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "executions for incident"));
    if (!row) break;
    out.push_back(readExecution(st));
  }
  return out;
}

Result<void> SqliteStore::recordStep(const ExecutionRecord& rec,
                                     const std::vector<HistoryRecord>& events) {
  RIPOSTE_STORE_TRY(detail::checkId("execution", rec.id));
  static const std::string sql =
      "UPDATE executions SET status = ?3, output = ?4, error = ?5, cause = ?6, snapshot = ?7, "
      "wake_ms = ?8, ended_ms = ?9, lease_until_ms = ?10 WHERE id = ?1 AND lease_owner = ?2";
  std::lock_guard lock(impl_->mu);
  auto& im = *impl_;
  WriteTx tx(im);
  RIPOSTE_STORE_TRY(tx.begin());
  {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
    st.bind(1, rec.id)
        .bind(2, rec.lease_owner)
        .bind(3, rec.status)
        .bind(4, rec.output)
        .bind(5, rec.error)
        .bind(6, rec.cause)
        .bind(7, rec.snapshot)
        .bind(8, rec.wake_ms)
        .bind(9, rec.ended_ms)
        .bind(10, rec.lease_until_ms);
    RIPOSTE_STORE_TRY(im.run(st, "record step of " + rec.id));
  }
  if (im.changes() == 0) {
    RIPOSTE_STORE_TRY_ASSIGN(current, selectExecution(im, rec.id));
    if (!current) return fail("NotFound", "no execution '" + rec.id + "'");
    return fail("LeaseLost", "execution '" + rec.id + "' is leased by '" + current->lease_owner +
                                 "', not '" + rec.lease_owner + "'");
  }
  RIPOSTE_STORE_TRY(insertHistory(im, rec.id, events));
  if (!events.empty()) {
    RIPOSTE_STORE_TRY_ASSIGN(current, selectExecution(im, rec.id));
    RIPOSTE_STORE_TRY(auditSteps(im, rec.id, current ? current->incident_id : "", events));
  }
  return tx.commit();
}

Result<std::vector<HistoryRecord>> SqliteStore::history(const std::string& execution_id) {
  static const std::string sql =
      "SELECT " + kHistoryCols + " FROM history WHERE execution_id = ?1 ORDER BY seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, execution_id);
  std::vector<HistoryRecord> out;
  for (;;) {
    RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "history"));
    if (!row) break;
    out.push_back(readHistory(st));
  }
  return out;
}

Result<std::vector<ExecutionRecord>> SqliteStore::claimRunnable(const std::string& owner,
                                                                int64_t now_ms, int64_t lease_ms,
                                                                int limit) {
  if (owner.empty()) return fail("InvalidArgument", "lease owner is empty");
  if (lease_ms <= 0) return fail("InvalidArgument", "lease_ms must be > 0");
  RIPOSTE_STORE_TRY(detail::checkLimit(limit));
  std::vector<ExecutionRecord> out;
  if (limit == 0) return out;
  static const std::string pick_sql =
      "SELECT id FROM executions WHERE status = 'RUNNING' AND wake_ms <= ?1 "
      "AND (lease_owner = '' OR lease_until_ms <= ?1) ORDER BY wake_ms, seq LIMIT ?2";
  static const std::string claim_sql =
      "UPDATE executions SET lease_owner = ?2, lease_until_ms = ?3 WHERE id = ?1";
  std::lock_guard lock(impl_->mu);
  auto& im = *impl_;
  WriteTx tx(im);
  RIPOSTE_STORE_TRY(tx.begin());
  std::vector<std::string> ids;
  {
    RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(pick_sql));
    st.bind(1, now_ms).bind(2, limit);
    for (;;) {
      RIPOSTE_STORE_TRY_ASSIGN(row, im.step(st, "pick runnable executions"));
      if (!row) break;
      ids.push_back(st.text(0));
    }
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
  RIPOSTE_STORE_TRY(tx.commit());
  return out;
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
  std::vector<std::pair<std::string, int64_t>> out;
  for (;;) {
    RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, table + " counts"));
    if (!row) break;
    out.emplace_back(st.text(0), st.i64(1));
  }
  return out;
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
      "INSERT INTO actions (" + kActionCols +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
  std::lock_guard lock(impl_->mu);
  auto& im = *impl_;
  WriteTx tx(im);
  RIPOSTE_STORE_TRY(tx.begin());
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
  st.bind(1, rec.id)
      .bindOptional(2, rec.incident_id)
      .bindOptional(3, rec.execution_id)
      .bind(4, rec.state_name)
      .bind(5, rec.action)
      .bind(6, rec.status)
      .bind(7, rec.input)
      .bind(8, rec.before)
      .bind(9, rec.after)
      .bind(10, rec.output)
      .bind(11, rec.error_code)
      .bind(12, rec.error_message)
      .bind(13, rec.summary)
      .bind(14, rec.changed)
      .bind(15, rec.started_ms)
      .bind(16, rec.ended_ms);
  RIPOSTE_STORE_TRY(im.run(st, "insert action " + rec.id));
  if (detail::actionEnded(rec.status)) {
    RIPOSTE_STORE_TRY(appendAudit(im, detail::auditActionFinished(rec)));
  }
  return tx.commit();
}

Result<void> SqliteStore::updateAction(const ActionRecord& rec) {
  RIPOSTE_STORE_TRY(detail::checkId("action", rec.id));
  static const std::string sql =
      "UPDATE actions SET status = ?2, input = ?3, state_before = ?4, state_after = ?5, "
      "output = ?6, error_code = ?7, error_message = ?8, summary = ?9, changed = ?10, "
      "started_ms = ?11, ended_ms = ?12 WHERE id = ?1";
  std::lock_guard lock(impl_->mu);
  auto& im = *impl_;
  WriteTx tx(im);
  RIPOSTE_STORE_TRY(tx.begin());
  RIPOSTE_STORE_TRY_ASSIGN(st, im.prepare(sql));
  st.bind(1, rec.id)
      .bind(2, rec.status)
      .bind(3, rec.input)
      .bind(4, rec.before)
      .bind(5, rec.after)
      .bind(6, rec.output)
      .bind(7, rec.error_code)
      .bind(8, rec.error_message)
      .bind(9, rec.summary)
      .bind(10, rec.changed)
      .bind(11, rec.started_ms)
      .bind(12, rec.ended_ms);
  RIPOSTE_STORE_TRY(im.run(st, "update action " + rec.id));
  if (im.changes() == 0) return fail("NotFound", "no action '" + rec.id + "'");
  if (detail::actionEnded(rec.status)) {
    RIPOSTE_STORE_TRY_ASSIGN(row, selectAction(im, rec.id));
    if (!row) return fail("StoreError", "action '" + rec.id + "' vanished inside its transaction");
    RIPOSTE_STORE_TRY(appendAudit(im, detail::auditActionFinished(*row)));
  }
  return tx.commit();
}

Result<std::vector<ActionRecord>> SqliteStore::actionsForIncident(const std::string& incident_id) {
  static const std::string sql = "SELECT " + kActionCols +
                                 " FROM actions WHERE incident_id = ?1 "
                                 "ORDER BY started_ms, seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, incident_id);
  std::vector<ActionRecord> out;
  for (;;) {
    RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "actions for incident"));
    if (!row) break;
    out.push_back(readAction(st));
  }
  return out;
}

// --- audit log and sink cursors ---

Result<std::vector<AuditRecord>> SqliteStore::readAudit(int64_t after_seq, int limit) {
  RIPOSTE_STORE_TRY(detail::checkLimit(limit));
  static const std::string sql =
      "SELECT seq, time_ms, kind, json FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, after_seq).bind(2, limit);
  std::vector<AuditRecord> out;
  for (;;) {
    RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "read audit"));
    if (!row) break;
    out.push_back(AuditRecord{st.i64(0), st.i64(1), st.text(2), st.text(3)});
  }
  return out;
}

Result<int64_t> SqliteStore::auditHead() {
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare("SELECT coalesce(max(seq), 0) FROM audit_log"));
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "audit head"));
  return row ? st.i64(0) : 0;
}

Result<int64_t> SqliteStore::sinkCursor(const std::string& sink) {
  RIPOSTE_STORE_TRY(detail::checkId("sink", sink));
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare("SELECT seq FROM sink_cursors WHERE sink = ?1"));
  st.bind(1, sink);
  RIPOSTE_STORE_TRY_ASSIGN(row, impl_->step(st, "sink cursor"));
  return row ? st.i64(0) : 0;
}

Result<void> SqliteStore::setSinkCursor(const std::string& sink, int64_t seq) {
  RIPOSTE_STORE_TRY(detail::checkId("sink", sink));
  if (seq < 0) return fail("InvalidArgument", "sink cursor " + std::to_string(seq) + " < 0");
  static const std::string sql =
      "INSERT INTO sink_cursors (sink, seq) VALUES (?1, ?2) "
      "ON CONFLICT (sink) DO UPDATE SET seq = excluded.seq";
  std::lock_guard lock(impl_->mu);
  RIPOSTE_STORE_TRY_ASSIGN(st, impl_->prepare(sql));
  st.bind(1, sink).bind(2, seq);
  return impl_->run(st, "set sink cursor");
}

}  // namespace riposte::store
