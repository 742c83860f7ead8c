// Which Store a server uses: `rota server --store postgres://user@host:port/db` (several servers
// may share it), or an SQLite file (`--db FILE`, the default; `--store sqlite:FILE` too).
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace rota {

// True for postgres:// and postgresql:// URLs.
bool IsPostgresUrl(const std::string& store);

// Opens the store `store` names: a PostgreSQL URL, "sqlite:FILE", or a file. Errors as the
// store's Open gives them ("store_io", "store_version").
Result<std::unique_ptr<Store>> OpenStore(const std::string& store);

}  // namespace rota
