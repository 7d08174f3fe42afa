#include "store/store_url.h"

#include <libpq-fe.h>

#include <string_view>

#include "core/text.h"

namespace riposte::store {
namespace {

constexpr std::string_view kSqliteMemory = "sqlite::memory:";
constexpr std::string_view kSqlitePrefix = "sqlite://";

Result<std::string> percentDecode(std::string_view s, const std::string& url) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int hi = i + 2 < s.size() ? text::hexDigit(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? text::hexDigit(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return fail("InvalidStoreUrl", "store URL '" + url + "': bad percent-escape at offset " +
                                         std::to_string(kSqlitePrefix.size() + i));
    }
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return fail("InvalidStoreUrl", "store URL '" + url + "': NUL in path");
    out.push_back(c);
    i += 2;
  }
  return out;
}

}  // namespace

Result<StoreUrl> parseStoreUrl(const std::string& url) {
  std::string_view u(url);
  StoreUrl out;
  if (u == kSqliteMemory) {
    out.sqlite_path = ":memory:";
    return out;
  }
  if (u.starts_with(kSqlitePrefix)) {
    std::string_view rest = u.substr(kSqlitePrefix.size());
    if (rest.find_first_of("?#") != std::string_view::npos) {
      return fail("InvalidStoreUrl",
                  "store URL '" + url + "': SQLite URLs take no query or fragment");
    }
    if (rest.empty() || rest == "/") {
      return fail("InvalidStoreUrl", "store URL '" + url +
                                         "': no database path (expected sqlite:///abs/path.db "
                                         "or sqlite://relative/path.db)");
    }
    auto path = percentDecode(rest, url);
    if (!path) return fail(path.error());
    if (path->back() == '/') {
      return fail("InvalidStoreUrl",
                  "store URL '" + url + "': the path names a directory, not a database file");
    }
    out.sqlite_path = std::move(*path);
    return out;
  }
  if (u.starts_with("sqlite:")) {
    return fail("InvalidStoreUrl", "store URL '" + url +
                                       "': expected sqlite:///abs/path.db, "
                                       "sqlite://relative/path.db or sqlite::memory:");
  }
  if (u.starts_with("postgresql://") || u.starts_with("postgres://")) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
    if (opts == nullptr) {
      std::string msg = err ? err : "cannot parse";
      if (err) PQfreemem(err);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      return fail("InvalidStoreUrl", "store URL: " + msg);
    }
    PQconninfoFree(opts);
    out.backend = StoreUrl::Backend::kPostgres;
    out.postgres_conninfo = url;
    return out;
  }
  auto colon = u.find(':');
  std::string scheme = colon == std::string_view::npos ? "" : std::string(u.substr(0, colon));
  // The URL itself is not echoed: a mistyped PostgreSQL URL may carry a password.
  return fail("InvalidStoreUrl",
              std::string("store URL: ") +
                  (scheme.empty() ? "no scheme" : "unknown scheme '" + scheme + "'") +
                  " (known: sqlite:///abs/path.db, sqlite://relative/path.db, "
                  "sqlite::memory:, postgresql://user:pass@host:port/db)");
}

}  // namespace riposte::store
