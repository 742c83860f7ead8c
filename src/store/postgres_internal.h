// What postgres_store.cc (the Store) and postgres_lease_table.cc (the LeaseTable) share: the
// connection, the guard every statement runs under (PostgresStore::With), and PostgreSQL array
// literals. Internal to src/store.
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres_store.h"

namespace rota {

struct PgConnection {
  explicit PgConnection(const std::string& url) : c(url) {}
  pqxx::connection c;
  // AwaitAppend's LISTEN, on the tailer's connection; declared after `c`, so destroyed first.
  std::unique_ptr<pqxx::notification_receiver> listener;
  bool woken = false;   // another process's notification arrived
  std::string alive_as;   // the server whose advisory lock this connection holds ("" none)
};

// Runs `body` on the link's connection (made on first use, made again once broken), turning
// exceptions into store_io errors; one statement at a time per link.
template <class T, class Body>
Result<T> PostgresStore::With(Link& link, const char* what, Body body) {
  std::lock_guard lock(link.mu);
  Result<PgConnection*> conn = Connected(link);
  if (!conn.ok()) return conn.error();
  try {
    return body((*conn)->c);
  } catch (const pqxx::broken_connection& e) {
    link.conn.reset();
    return MakeError("store_io", std::string("could not ") + what + " " + url_ + ": the connection broke");
  } catch (const std::exception& e) {
    if (!link.conn->c.is_open()) link.conn.reset();
    std::string why = e.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return MakeError("store_io", std::string("could not ") + what + " " + url_ + ": " + why);
  }
}

namespace postgres_internal {

inline int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// PostgreSQL array literals, passed as one text parameter each: one round trip for a whole batch.
// An element is quoted, with `"` and `\` escaped.
inline void AppendArrayElement(std::string_view text, std::string& out) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

template <class Range, class Element>
inline std::string ArrayLiteral(const Range& range, Element element) {
  std::string out = "{";
  bool first = true;
  for (const auto& item : range) {
    if (!first) out += ',';
    first = false;
    element(item, out);
  }
  out += '}';
  return out;
}

// bytea in its hex input form, "\x0a1b...", as an array element.
inline void AppendByteaElement(std::string_view bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\"\\\\x";
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  out += '"';
}

inline std::string EntriesArray(const std::vector<std::string>& entries) {
  return ArrayLiteral(entries, [](const std::string& e, std::string& out) { AppendByteaElement(e, out); });
}
inline std::string FenceNames(const Fence* fence) {
  if (fence == nullptr) return "{}";
  return ArrayLiteral(fence->leases, [](const auto& l, std::string& out) { AppendArrayElement(l.first, out); });
}
inline std::string FenceEpochs(const Fence* fence) {
  if (fence == nullptr) return "{}";
  return ArrayLiteral(fence->leases, [](const auto& l, std::string& out) { out += std::to_string(l.second); });
}
inline std::string TextArray(const std::vector<std::string>& items) {
  return ArrayLiteral(items, [](const std::string& item, std::string& out) { AppendArrayElement(item, out); });
}
inline std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}
inline std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = 0; at < text.size();) {
    const size_t comma = std::min(text.find(',', at), text.size());
    if (comma > at) out.push_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}


}  // namespace postgres_internal
}  // namespace rota
