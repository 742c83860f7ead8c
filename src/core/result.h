// Result<T>: a value or an Error, returned by everything in src/core, src/spec and src/sched that can
// fail. Nothing in those folders throws; adapters around third-party code turn exceptions into Error.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace rota {

// A problem worth telling the user about. `code` is a short stable word for scripts and tests
// ("invalid_frames", "cycle", ...); `message` is the sentence a person reads.
struct Error {
  std::string code;
  std::string message;
};

struct Unit {};  // Result<Unit>: success carries nothing

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}    // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok()
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

inline Error MakeError(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

}  // namespace rota
