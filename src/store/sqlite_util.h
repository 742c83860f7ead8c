// Small helpers over SQLite's C API shared by the SQLiteStore's source files. Internal.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace rota::sqlite_util {

// Resets a cached statement and clears its bindings when the scope ends, whichever way it ends.
// A reset statement also ends the read transaction it held open, which would otherwise keep WAL
// checkpoints from finishing. Bindings are SQLITE_STATIC, so they must not outlive the scope.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* statement) : statement_(statement) {}
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_;
};

inline int BindOne(sqlite3_stmt* s, int index, int64_t value) {
  return sqlite3_bind_int64(s, index, static_cast<sqlite3_int64>(value));
}
inline int BindOne(sqlite3_stmt* s, int index, uint64_t value) {
  return sqlite3_bind_int64(s, index, static_cast<sqlite3_int64>(value));
}
inline int BindOne(sqlite3_stmt* s, int index, const std::string& value) {
  return sqlite3_bind_text(s, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}

// Binds `values` to ?1, ?2, ... in order; returns the first failure's code, or SQLITE_OK.
template <class... Values>
int BindAll(sqlite3_stmt* statement, const Values&... values) {
  int index = 0;
  int rc = SQLITE_OK;
  ((rc = rc == SQLITE_OK ? BindOne(statement, ++index, values) : rc), ...);
  return rc;
}

// Binds `values` and runs a statement that returns no rows. SQLITE_DONE means it worked.
template <class... Values>
int StepOnce(sqlite3_stmt* statement, const Values&... values) {
  int rc = BindAll(statement, values...);
  return rc == SQLITE_OK ? sqlite3_step(statement) : rc;
}

inline std::string ColumnText(sqlite3_stmt* s, int column) {
  const unsigned char* text = sqlite3_column_text(s, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(s, column)));
}

inline int64_t ColumnInt64(sqlite3_stmt* s, int column) {
  return static_cast<int64_t>(sqlite3_column_int64(s, column));
}

inline uint64_t ColumnUint64(sqlite3_stmt* s, int column) {
  return static_cast<uint64_t>(sqlite3_column_int64(s, column));
}

}  // namespace rota::sqlite_util
