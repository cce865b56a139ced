// Result<T> and Error: the only way failures cross the plugin boundary (no exceptions do).
#pragma once

#include <cassert>
#include <exception>
#include <string>
#include <utility>
#include <variant>

namespace ferry::sdk {

enum class ErrorCode {
  kInvalidArgument,    // caller's input is wrong (bad setting, unknown entity/field)
  kNotFound,           // asked-for object does not exist
  kUnauthenticated,    // credentials missing, expired or refused; needs re-authorisation
  kPermissionDenied,   // authenticated, but not allowed
  kRateLimited,        // remote said slow down (429, REQUEST_LIMIT_EXCEEDED)
  kUnavailable,        // transient remote/network failure (timeout, 5xx, dropped connection)
  kConflict,           // remote state conflicts (duplicate, uniqueness, locked row)
  kBudgetExhausted,    // the configured API budget share is spent; work is deferred
  kMalformedResponse,  // remote answered something we cannot parse
  kUnsupported,        // operation not offered by this connector/entity
  kInternal,           // a bug: a broken invariant or an unexpected exception
};

const char* toString(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;     // precise, human-readable; never contains secrets
  bool retriable = false;  // true when the same call may succeed later unchanged
  std::string remoteCode;  // the remote API's own code (e.g. "INVALID_SESSION_ID"), if any

  static Error make(ErrorCode c, std::string msg, bool retry = false, std::string remote = {}) {
    return Error{c, std::move(msg), retry, std::move(remote)};
  }
  // "unavailable: connect timed out (remote: ...)" style text for logs and API bodies.
  std::string describe() const;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : data_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(data_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(data_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(data_);
  }
  Error&& takeError() {
    assert(!ok());
    return std::get<1>(std::move(data_));
  }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }
  Error&& takeError() {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

// Runs fn, turning any escaping exception into an Error: used by plugin shells (and by the
// export macro around the factory) so that nothing ever unwinds through the boundary.
template <typename Fn>
auto guard(const char* what, Fn&& fn) noexcept -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Error::make(ErrorCode::kInternal, std::string(what) + " threw: " + e.what());
  } catch (...) {
    return Error::make(ErrorCode::kInternal, std::string(what) + " threw a non-standard exception");
  }
}

}  // namespace ferry::sdk
