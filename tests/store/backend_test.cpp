// URL parsing, and what is particular to each backend: SQLite's file, pragmas and schema
// version; PostgreSQL's reconnection and connection errors.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "pg_server.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store/store_url.h"

namespace riposte::store {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/riposte-store-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

EventRecord event(const std::string& id) {
  EventRecord e;
  e.id = id;
  e.received_ms = 1;
  e.body = "{}";
  return e;
}

// Reads one integer/text pragma through a separate SQLite connection.
std::string pragma(const std::string& db_path, const std::string& name) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  std::string sql = "PRAGMA " + name;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

// --- URLs ---

TEST(StoreUrlTest, ParsesEachForm) {
  auto abs = parseStoreUrl("sqlite:///var/lib/riposte/riposte.db").value();
  EXPECT_EQ(abs.backend, StoreUrl::Backend::kSqlite);
  EXPECT_EQ(abs.sqlite_path, "/var/lib/riposte/riposte.db");
  EXPECT_EQ(parseStoreUrl("sqlite://data/riposte.db").value().sqlite_path, "data/riposte.db");
  EXPECT_EQ(parseStoreUrl("sqlite:///tmp/with%20space.db").value().sqlite_path,
            "/tmp/with space.db");
  EXPECT_EQ(parseStoreUrl("sqlite::memory:").value().sqlite_path, ":memory:");
  auto pg = parseStoreUrl("postgresql://riposte:secret@db.internal:5433/riposte").value();
  EXPECT_EQ(pg.backend, StoreUrl::Backend::kPostgres);
  EXPECT_EQ(pg.postgres_conninfo, "postgresql://riposte:secret@db.internal:5433/riposte");
  EXPECT_EQ(parseStoreUrl("postgres://h/db").value().backend, StoreUrl::Backend::kPostgres);
}

TEST(StoreUrlTest, RejectsMalformedUrlsWithAReason) {
  struct Case {
    std::string url;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {"", "no scheme"},
           {"riposte.db", "no scheme"},
           {"mysql://h/db", "unknown scheme 'mysql'"},
           {"sqlite:", "expected sqlite:///abs/path.db"},
           {"sqlite:/abs.db", "expected sqlite:///abs/path.db"},
           {"sqlite://", "no database path"},
           {"sqlite:///", "no database path"},
           {"sqlite:///var/lib/", "names a directory"},
           {"sqlite:///a%zz.db", "bad percent-escape"},
           {"sqlite:///a%2", "bad percent-escape"},
           {"sqlite:///a.db?mode=ro", "no query"},
           {"postgresql://h/db?bogus=1", "bogus"},
       }) {
    auto r = parseStoreUrl(c.url);
    ASSERT_FALSE(r) << c.url;
    EXPECT_EQ(r.error().code, "InvalidStoreUrl") << c.url;
    EXPECT_NE(r.error().message.find(c.says), std::string::npos)
        << c.url << " -> " << r.error().message;
    auto opened = openStore(c.url);
    ASSERT_FALSE(opened) << c.url;
    EXPECT_EQ(opened.error().code, "InvalidStoreUrl");
  }
  // A mistyped scheme never echoes the URL (it may hold a password).
  auto r = parseStoreUrl("postgresq://user:hunter2@h/db");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
}

// --- SQLite ---

TEST(SqliteStoreTest, OpensWithWalAndCreatesParentDirectories) {
  TempDir dir;
  std::string path = dir.path() + "/a/b/c/riposte.db";
  auto s = openStore("sqlite://" + path);
  ASSERT_TRUE(s) << s.error().str();
  ASSERT_TRUE((*s)->insertEvents({event("e")}));
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(pragma(path, "journal_mode"), "wal");
  EXPECT_EQ(pragma(path, "user_version"), std::to_string(SqliteStore::schemaVersion()));
}

TEST(SqliteStoreTest, RelativeUrlIsRelativeToTheWorkingDirectory) {
  TempDir dir;
  auto old = fs::current_path();
  fs::current_path(dir.path());
  auto s = openStore("sqlite://state/riposte.db");
  fs::current_path(old);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_TRUE(fs::exists(dir.path() + "/state/riposte.db"));
}

TEST(SqliteStoreTest, InMemoryStoreWorks) {
  auto s = openStore("sqlite::memory:");
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ((*s)->insertEvents({event("x"), event("x")}).value(), (std::vector<bool>{true, false}));
  EXPECT_EQ((*s)->countEvents().value(), 1);
}

TEST(SqliteStoreTest, CommittedWritesSurviveAKilledProcess) {
  // The child commits, then dies without closing anything (no destructor, no checkpoint):
  // what insertEvents acknowledged must be in the file (WAL, synchronous=FULL).
  TempDir dir;
  std::string url = "sqlite://" + dir.path() + "/crash.db";
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = openStore(url);
    bool ok = s && (*s)->insertEvents({event("acked-1"), event("acked-2")}) &&
              (*s)->markEvent("acked-1", "processed", {"r"}, "");
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(fs::exists(dir.path() + "/crash.db-wal"));  // never checkpointed by a close
  auto s = openStore(url);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ((*s)->countEvents().value(), 2);
  EXPECT_EQ((*s)->getEvent("acked-1").value()->status, "processed");
}

TEST(SqliteStoreTest, RefusesADatabaseFromANewerBuild) {
  TempDir dir;
  std::string path = dir.path() + "/r.db";
  ASSERT_TRUE(openStore("sqlite://" + path));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = openStore("sqlite://" + path);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().message;
}

// Schema 4 moves an execution's definition and input out of the row each step rewrites: a
// database of schema 3 keeps its executions readable, whole, after the upgrade.
TEST(SqliteStoreTest, UpgradeFromSchema3KeepsDefinitionsAndInputs) {
  TempDir dir;
  std::string path = dir.path() + "/r.db";
  {
    auto s = openStore("sqlite://" + path);
    ASSERT_TRUE(s) << s.error().str();
    IncidentRecord inc;
    inc.dedup_key = "k";
    inc.created_ms = 1;
    ASSERT_TRUE((*s)->upsertIncident(inc, ""));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // Back to schema 3's shape, with a row written as schema 3 wrote it.
  const char* downgrade = R"sql(
    DROP TABLE suppressions;
    DROP TABLE suppressions_version;
    ALTER TABLE events DROP COLUMN suppression;
    DROP VIEW executions_full;
    DROP TABLE execution_bodies;
    DROP TABLE limit_places;
    DROP TABLE breaker_attempts;
    DROP TABLE breaker_state;
    DROP TABLE approvals;
    DROP TABLE task_callbacks;
    DROP TABLE task_tokens;
    DROP TABLE sink_leases;
    DROP TABLE threat_list_copies;
    INSERT INTO executions (id, incident_id, playbook, definition, status, input, output, error,
      cause, snapshot, wake_ms, started_ms, ended_ms, dry_run, lease_owner, lease_until_ms)
    VALUES ('x-old', (SELECT id FROM incidents LIMIT 1), 'pb', '{"StartAt":"A"}', 'RUNNING',
      '{"finding":1}', '', '', '', '', 5, 1, 0, 0, '', 0);
    PRAGMA user_version = 3;
  )sql";
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, downgrade, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_close(db);

  auto s = openStore("sqlite://" + path);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(pragma(path, "user_version"), std::to_string(SqliteStore::schemaVersion()));
  auto x = (*s)->getExecution("x-old");
  ASSERT_TRUE(x);
  ASSERT_TRUE(x->has_value());
  EXPECT_EQ((*x)->definition, R"({"StartAt":"A"})");
  EXPECT_EQ((*x)->input, R"({"finding":1})");
  EXPECT_EQ((*x)->wake_ms, 5);
  auto claimed = (*s)->claimRunnable("w", 10, 100, 5);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->at(0).definition, R"({"StartAt":"A"})");
  // The row each step rewrites no longer holds them.
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT length(definition) + length(input) FROM executions", -1,
                               &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(SqliteStoreTest, UnwritableLocationIsAnError) {
  TempDir dir;
  std::string file = dir.path() + "/plain-file";
  { std::ofstream(file) << "x"; }
  auto s = openStore("sqlite://" + file + "/sub/r.db");  // parent is a file
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "StoreError");
}

TEST(SqliteStoreTest, TwoConnectionsShareOneFile) {
  // Like two riposte processes on one database: separate connections, each writing.
  TempDir dir;
  std::string url = "sqlite://" + dir.path() + "/shared.db";
  auto a = openStore(url);
  auto b = openStore(url);
  ASSERT_TRUE(a && b);
  auto writer = [](Store* s, const std::string& prefix) {
    for (int i = 0; i < 50; ++i) {
      auto r = s->insertEvents({event(prefix + std::to_string(i)), event("common")});
      if (!r) ADD_FAILURE() << r.error().str();
    }
  };
  std::thread ta(writer, a->get(), "a");
  std::thread tb(writer, b->get(), "b");
  ta.join();
  tb.join();
  EXPECT_EQ((*a)->countEvents().value(), 101);
  EXPECT_EQ((*b)->countEvents().value(), 101);
}

// --- PostgreSQL ---

TEST(PostgresStoreTest, UnreachableServerIsStoreUnavailable) {
  auto s = openStore("postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "StoreUnavailable");
  EXPECT_NE(s.error().message.find("127.0.0.1"), std::string::npos) << s.error().message;
}

TEST(PostgresStoreTest, ReconnectsAfterTheServerDropsItsConnections) {
  auto server = testing::PgServer::shared();
  ASSERT_TRUE(server) << server.error().str();
  auto url = (*server)->freshSchemaUrl();
  ASSERT_TRUE(url) << url.error().str();
  auto s = openStore(*url);
  ASSERT_TRUE(s) << s.error().str();
  ASSERT_TRUE((*s)->insertEvents({event("before")}));

  // Terminates every other client connection (the store's), failing if there was none.
  const std::string kill_all =
      "DO $$ BEGIN IF (WITH others AS MATERIALIZED (SELECT pid FROM pg_stat_activity "
      "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend') "
      "SELECT count(*) FROM others WHERE pg_terminate_backend(pid)) < 1 THEN "
      "RAISE EXCEPTION 'no connection to terminate'; END IF; END $$";
  auto kill = (*server)->exec(kill_all);
  ASSERT_TRUE(kill) << kill.error().str();

  // A read retries on a fresh connection; a write reconnects at BEGIN.
  auto count = (*s)->countEvents();
  ASSERT_TRUE(count) << count.error().str();
  EXPECT_EQ(*count, 1);
  kill = (*server)->exec(kill_all);
  ASSERT_TRUE(kill) << kill.error().str();
  auto ins = (*s)->insertEvents({event("after")});
  ASSERT_TRUE(ins) << ins.error().str();
  EXPECT_EQ(*ins, std::vector<bool>{true});
  EXPECT_TRUE((*s)->ping());
  EXPECT_EQ((*s)->countEvents().value(), 2);
}

TEST(PostgresStoreTest, MigrationsRecordTheirVersionOnce) {
  auto server = testing::PgServer::shared();
  ASSERT_TRUE(server) << server.error().str();
  auto url = (*server)->freshSchemaUrl();
  ASSERT_TRUE(url);
  // Several stores migrating the same schema at once: one applies it, the others see it.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      auto s = openStore(*url);
      if (s) {
        ++ok;
      } else {
        ADD_FAILURE() << s.error().str();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 3);
  auto s = PostgresStore::open(*url);
  ASSERT_TRUE(s);
  ASSERT_TRUE((*s)->migrate());
  std::string schema = url->substr(url->rfind("%3D") + 3);
  auto check =
      (*server)->exec("DO $$ BEGIN IF (SELECT count(*) FROM " + schema + ".schema_migrations) <> " +
                      std::to_string(PostgresStore::schemaVersion()) +
                      " THEN RAISE EXCEPTION 'wrong migration count'; END IF; END $$");
  EXPECT_TRUE(check) << check.error().str();
}

}  // namespace
}  // namespace riposte::store
