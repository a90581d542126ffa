// Result<T> and Error: how every fallible function in fleetgate reports failure.
// No exceptions on the serving path; foreign error codes are converted once, at
// the boundary where the C library is called, into one Error type.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace fleetgate {

// Broad classes of failure; callers branch on these, humans read `message`.
enum class Errc {
  invalid_argument,  // bad input from a caller or a peer
  config,            // a configuration value is wrong
  not_found,
  already_exists,
  io,                // disk or file-system failure
  corrupt,           // stored data failed an integrity check
  space,             // cache full, map full, quota reached
  busy,              // a capped resource is exhausted; try later
  verification,      // a signature, hash, length or version check refused data
  network,           // connection, TLS or protocol failure with a peer
  timeout,
  unsupported,       // valid but not implemented, e.g. TUF delegations
  cancelled,
  internal,
};

std::string_view errc_name(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string detail;   // machine-oriented tag, e.g. "rollback" or "MDB_MAP_FULL"
  std::string message;  // one human sentence: what failed and why

  std::string to_string() const;  // "<code>: <message> [<detail>]"
};

inline Error make_error(Errc code, std::string detail, std::string message) {
  return Error{code, std::move(detail), std::move(message)};
}

// Value or Error. Access the value only after checking ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), failed_(true) {}  // NOLINT: implicit

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return err_; }
  Error&& take_error() { return std::move(err_); }

 private:
  Error err_;
  bool failed_ = false;
};

using Status = Result<void>;

inline Status ok_status() { return Status{}; }

}  // namespace fleetgate

// Propagates an error from an expression returning Result<...>.
#define FG_TRY(expr)                                   \
  do {                                                 \
    auto fg_try_result_ = (expr);                      \
    if (!fg_try_result_.ok()) return fg_try_result_.take_error(); \
  } while (0)

#define FG_CONCAT_INNER(a, b) a##b
#define FG_CONCAT(a, b) FG_CONCAT_INNER(a, b)
// Declares `lhs` from the value of a Result-returning expression, or returns its error.
#define FG_ASSIGN_OR_RETURN(lhs, expr) \
  FG_ASSIGN_OR_RETURN_IMPL(FG_CONCAT(fg_assign_, __LINE__), lhs, expr)
#define FG_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.take_error();        \
  lhs = std::move(tmp).value()
