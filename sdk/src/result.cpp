// Error codes and their text.
#include "ferry/sdk/result.hpp"

namespace ferry::sdk {

const char* toString(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kBudgetExhausted:
      return "budget_exhausted";
    case ErrorCode::kMalformedResponse:
      return "malformed_response";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string text = toString(code);
  text += ": ";
  text += message;
  if (!remoteCode.empty()) {
    text += " (remote: ";
    text += remoteCode;
    text += ')';
  }
  return text;
}

}  // namespace ferry::sdk
