#include "store/store.h"

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_url.h"

namespace riposte::store {

Result<std::unique_ptr<Store>> openStore(const std::string& url) {
  auto parsed = parseStoreUrl(url);
  if (!parsed) return fail(parsed.error());
  std::unique_ptr<Store> store;
  if (parsed->backend == StoreUrl::Backend::kSqlite) {
    auto s = SqliteStore::open(parsed->sqlite_path);
    if (!s) return fail(s.error());
    store = std::move(*s);
  } else {
    auto s = PostgresStore::open(parsed->postgres_conninfo);
    if (!s) return fail(s.error());
    store = std::move(*s);
  }
  auto m = store->migrate();
  if (!m) return fail(m.error());
  return store;
}

}  // namespace riposte::store
