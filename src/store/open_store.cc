#include "store/open_store.h"

#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace rota {

bool IsPostgresUrl(const std::string& store) {
  return store.starts_with("postgres://") || store.starts_with("postgresql://");
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& store) {
  if (IsPostgresUrl(store)) {
    Result<std::unique_ptr<PostgresStore>> opened = PostgresStore::Open(store);
    if (!opened.ok()) return opened.error();
    return std::unique_ptr<Store>(std::move(opened).value());
  }
  const std::string path = store.starts_with("sqlite:") ? store.substr(7) : store;
  Result<std::unique_ptr<SQLiteStore>> opened = SQLiteStore::Open(path);
  if (!opened.ok()) return opened.error();
  return std::unique_ptr<Store>(std::move(opened).value());
}

}  // namespace rota
