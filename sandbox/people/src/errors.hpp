// The three error envelopes of the People API (§12), built exactly as documented.
#pragma once

#include <string>
#include <vector>

#include "ferry/sandbox/service.hpp"
#include "person_input.hpp"

namespace ferry::sandbox::people {

// Legacy ApiException of every /people/2 endpoint:
// {"requestError":{"serviceException":{"messageId","text","validationErrors"?}}}.
// messageId/text follow the status (BAD_REQUEST "Bad request", NOT_FOUND "Not found", ...);
// `text` overrides the default text when given.
Response legacyError(int status, const std::string& text = {},
                     const std::vector<Violation>& violations = {});

// v3 batch error {code, message, details[{property, message}]} (request level, no index).
Response v3Error(int status, const std::string& code, const std::string& message,
                 const std::vector<Violation>& details = {});

// Platform ApiError {errorCode "E<status>", description, action, violations, resources}.
Response platformError(int status, const std::string& description, const std::string& action,
                       const std::vector<Violation>& violations = {});

Response tooManyRequests(bool platformEnvelope);

}  // namespace ferry::sandbox::people
