#include "pg_server.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>

namespace riposte::store::testing {
namespace {

namespace fs = std::filesystem;

// Finds the PostgreSQL server binaries: $RIPOSTE_PG_BINDIR, else the newest
// /usr/lib/postgresql/<version>/bin holding initdb.
std::string findBindir() {
  if (const char* env = std::getenv("RIPOSTE_PG_BINDIR"); env && *env) return env;
  std::string best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    fs::path bin = entry.path() / "bin";
    if (fs::exists(bin / "initdb") && fs::exists(bin / "pg_ctl") && bin.string() > best) {
      best = bin.string();
    }
  }
  return best;
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<PgServer>& holder() {
  static std::unique_ptr<PgServer> server;
  return server;
}

}  // namespace

Result<PgServer*> PgServer::shared() {
  static std::mutex mu;
  static std::optional<Error> failed;
  std::lock_guard lock(mu);
  if (failed) return fail(*failed);
  if (!holder()) {
    std::unique_ptr<PgServer> s(new PgServer());
    auto r = s->start();
    if (!r) {
      failed = r.error();
      return fail(r.error());
    }
    holder() = std::move(s);
  }
  return holder().get();
}

PgServer::~PgServer() {
  stop();
}

Result<void> PgServer::start() {
  bindir_ = findBindir();
  if (bindir_.empty() || !fs::exists(bindir_ + "/initdb") || !fs::exists(bindir_ + "/pg_ctl")) {
    return fail("PostgresMissing",
                "PostgreSQL server binaries (initdb, pg_ctl) not found " +
                    (bindir_.empty() ? std::string("under /usr/lib/postgresql/*/bin")
                                     : "in RIPOSTE_PG_BINDIR=" + bindir_) +
                    ": `make deps` installs them (Debian package postgresql)");
  }
  char tmpl[] = "/tmp/riposte-pg-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return fail("PgServer", "mkdtemp failed");
  dir_ = tmpl;
  // As root, the server runs as `postgres`: it must own the directory.
  std::string as_user;
  if (::geteuid() == 0) {
    passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) {
      return fail("PostgresMissing",
                  "running as root but there is no `postgres` user: `make deps` installs the "
                  "Debian package postgresql, which creates it");
    }
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return fail("PgServer", "chown " + dir_ + " failed");
    }
    as_user = "runuser -u postgres -- ";
  }
  std::string initdb = as_user + bindir_ + "/initdb -D " + dir_ +
                       "/data -U postgres --auth=trust -E UTF8 --no-sync >" + dir_ +
                       "/initdb.log 2>&1";
  if (std::system(initdb.c_str()) != 0) {
    return fail("PgServer", "initdb failed: " + readFile(dir_ + "/initdb.log"));
  }
  for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
    port_ = freePort();
    std::string start = as_user + bindir_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ +
                        "/server.log -w -t 30 -o \"-c listen_addresses=127.0.0.1 -p " +
                        std::to_string(port_) + " -k " + dir_ +
                        " -c fsync=off -c full_page_writes=off -c max_connections=50\" start "
                        ">/dev/null 2>&1";
    running_ = std::system(start.c_str()) == 0;
  }
  if (!running_) return fail("PgServer", "pg_ctl start failed: " + readFile(dir_ + "/server.log"));
  return {};
}

void PgServer::stop() {
  if (running_) {
    std::string as_user = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
    std::string cmd =
        as_user + bindir_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
    running_ = false;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

std::string PgServer::url(const std::string& schema) const {
  std::string u = "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
  if (!schema.empty()) u += "?options=-csearch_path%3D" + schema;
  return u;
}

Result<void> PgServer::exec(const std::string& sql) const {
  PGconn* c = PQconnectdb(url().c_str());
  std::unique_ptr<PGconn, void (*)(PGconn*)> guard(c, &PQfinish);
  if (PQstatus(c) != CONNECTION_OK) return fail("PgServer", PQerrorMessage(c));
  PGresult* r = PQexec(c, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string msg = PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) return fail("PgServer", msg);
  return {};
}

Result<std::string> PgServer::freshSchemaUrl() {
  std::string schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++schemas_);
  auto r = exec("CREATE SCHEMA " + schema);
  if (!r) return fail(r.error());
  return url(schema);
}

}  // namespace riposte::store::testing
