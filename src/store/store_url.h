#pragma once
// Parsing of store URLs (the `store:` key of riposte.yaml and `--store`).

#include <string>

#include "core/result.h"

namespace riposte::store {

struct StoreUrl {
  enum class Backend { kSqlite, kPostgres };
  Backend backend = Backend::kSqlite;
  // SQLite: the database file (absolute, or relative to the working directory), or
  // ":memory:" for a private in-memory database.
  std::string sqlite_path;
  // PostgreSQL: the URL as libpq takes it ("postgresql://user:pass@host:port/db?…").
  std::string postgres_conninfo;
};

// Parses "sqlite:///abs/path.db", "sqlite://relative/path.db", "sqlite::memory:",
// "postgresql://…" or "postgres://…". SQLite paths are percent-decoded. A PostgreSQL URL is
// checked with libpq's own parser. Errors have code "InvalidStoreUrl" and say what is wrong.
Result<StoreUrl> parseStoreUrl(const std::string& url);

}  // namespace riposte::store
