#pragma once
// A throwaway PostgreSQL 15 server for tests: initdb in a temp dir, listening only on
// 127.0.0.1 on a free port (unix socket in the temp dir), fsync off. Started on first use,
// once per test binary, stopped and deleted at exit. Runs the server as the `postgres` user
// when the tests run as root (PostgreSQL refuses to run as root).

#include <string>

#include "core/result.h"

namespace riposte::store::testing {

class PgServer {
 public:
  // The shared server, started on first call. Fails (with a message naming `make deps`)
  // when the PostgreSQL server binaries are missing or the server does not start.
  static Result<PgServer*> shared();
  ~PgServer();

  int port() const { return port_; }
  // "postgresql://postgres@127.0.0.1:<port>/postgres", optionally with search_path set.
  std::string url(const std::string& schema = "") const;
  // Runs SQL statements (no result) on a fresh connection.
  Result<void> exec(const std::string& sql) const;
  // A new empty schema, unique in this process; returns a URL whose search_path is it.
  Result<std::string> freshSchemaUrl();

 private:
  PgServer() = default;
  Result<void> start();
  void stop();

  std::string bindir_;
  std::string dir_;
  int port_ = 0;
  bool running_ = false;
  int schemas_ = 0;
};

}  // namespace riposte::store::testing
