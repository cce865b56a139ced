#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include "errors.hpp"
#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "ferry/sdk/json_text.hpp"
#include "people_service.hpp"

namespace ferry::sandbox::people {

namespace {

constexpr double kDefaultRate = 5;  // §3: most People endpoints allow 5 requests/s per account

bool isWriteMethod(const std::string& method) { return method != "GET"; }

}  // namespace

std::optional<int> parseIntParam(const Request& request, const std::string& name, int fallback) {
  const std::string* text = request.param(name);
  if (text == nullptr || text->empty()) return fallback;
  try {
    size_t used = 0;
    const long value = std::stol(*text, &used);
    if (used != text->size() || value < std::numeric_limits<int>::min() ||
        value > std::numeric_limits<int>::max()) {
      return std::nullopt;
    }
    return static_cast<int>(value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Response jsonOk(std::string body, int status) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response emptyOk() {
  Response response;
  response.status = 200;
  response.contentType.clear();
  return response;
}

std::string violationText(const Violation& violation) {
  return violation.property.empty() ? violation.message
                                    : violation.property + ": " + violation.message;
}

PeopleService::PeopleService(PeopleOptions options)
    : options_(std::move(options)),
      limiter_(options_.steadyClock ? SteadyClock(options_.steadyClock) : systemSteadyClock()),
      webhooks_(options_.webhookAttempts, options_.webhookRetryDelay),
      tokenRandom_(std::random_device{}()) {
  if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
  limiter_.setEnabled(options_.rateLimits);
  if (auto error = webhooks_.setUrl(options_.webhookUrl); !error.empty()) {
    throw std::invalid_argument(error);
  }
}

Route PeopleService::route(const std::string& method, const std::string& path) {
  Route r;
  const auto parts = splitPath(path);
  auto allow = [&](std::string tmpl, std::initializer_list<const char*> methods) {
    r.known = true;
    r.endpoint = method + " " + tmpl;
    for (const char* m : methods) {
      if (method == m) r.methodAllowed = true;
    }
  };
  r.ratePerSecond = kDefaultRate;
  const size_t n = parts.size();
  if (n >= 3 && parts[0] == "people" && parts[1] == "2") {
    const std::string& area = parts[2];
    if (area == "persons") {
      if (n == 3) {
        allow("/people/2/persons", {"GET", "POST", "PUT", "PATCH", "DELETE"});
        if (method == "POST") r.ratePerSecond = 10;  // §3: create allows 10/s
      } else if (n == 4 && parts[3] == "contactInformation") {
        allow("/people/2/persons/contactInformation", {"PUT", "PATCH", "DELETE"});
      } else if (n == 4 && parts[3] == "batch") {
        allow("/people/2/persons/batch", {"POST", "PATCH", "DELETE"});
      } else if (n == 4 && parts[3] == "match") {
        allow("/people/2/persons/match", {"POST"});
        r.ratePerSecond = 15;
      }
    } else if (area == "customAttributes" || area == "tags") {
      const std::string base = "/people/2/" + area;
      if (n == 3) {
        allow(base, {"GET", "POST"});
      } else if (n == 4) {
        allow(base + "/{name}", {"GET", "DELETE"});
        r.pathParam = parts[3];
      } else if (n == 5 && area == "customAttributes" && parts[4] == "append") {
        allow(base + "/{name}/append", {"POST"});
        r.pathParam = parts[3];
      } else if (n == 5 && area == "tags" && parts[4] == "persons") {
        allow(base + "/{name}/persons", {"PATCH", "DELETE"});
        r.pathParam = parts[3];
      }
    } else if (area == "companies") {
      if (n == 3) {
        allow("/people/2/companies", {"GET", "POST", "PATCH", "DELETE"});
      } else if (n == 4 && parts[3] == "batch") {
        allow("/people/2/companies/batch", {"POST", "PATCH", "DELETE"});
      } else if (n == 4 && parts[3] == "persons") {
        allow("/people/2/companies/persons", {"PATCH", "DELETE"});
      }
    }
  } else if (n == 4 && parts[0] == "people" && parts[1] == "3" && parts[2] == "persons") {
    r.envelope = Envelope::kV3;
    if (parts[3] == "upsert") {
      allow("/people/3/persons/upsert", {"PUT", "PATCH"});
    } else if (parts[3] == "merge") {
      allow("/people/3/persons/merge", {"POST"});
    }
  } else if (path == "/auth/1/oauth2/token") {
    allow("/auth/1/oauth2/token", {"POST"});
    r.ratePerSecond = 0;
  }
  if (!r.known) r.endpoint = method + " " + path;
  // Matching identities is a read although it is a POST.
  r.write = isWriteMethod(method) && r.endpoint != "POST /people/2/persons/match";
  return r;
}

std::string PeopleService::endpointName(const Request& request) const {
  return route(request.method, request.path).endpoint;
}

Response PeopleService::faultResponse(int status, const Request& request) const {
  const Route r = route(request.method, request.path);
  if (status == 429) return tooManyRequests(r.envelope == Envelope::kV3);
  if (r.envelope == Envelope::kV3) return v3Error(status, "500100", "Internal server error");
  return legacyError(status);
}

std::optional<Response> PeopleService::authenticate(const Request& request, const Route& r) {
  const std::string* header = request.header("Authorization");
  if (header == nullptr) return legacyError(401);
  const auto space = header->find(' ');
  if (space == std::string::npos) return legacyError(401);
  const std::string scheme = header->substr(0, space);
  const std::string credential = header->substr(space + 1);
  const std::vector<std::string>* scopes = nullptr;
  static const std::vector<std::string> kAllScopes;
  if (scheme == "App") {
    for (const auto& key : options_.apiKeys) {
      if (key.key == credential) scopes = &key.scopes;
    }
  } else if (scheme == "Bearer") {
    const auto it = tokens_.find(credential);
    if (it != tokens_.end()) {
      if (options_.clock() < it->second) {
        scopes = &kAllScopes;
      } else {
        tokens_.erase(it);
      }
    }
  }
  if (scopes == nullptr) return legacyError(401);
  if (!scopes->empty()) {
    auto has = [&](const char* scope) {
      return std::find(scopes->begin(), scopes->end(), scope) != scopes->end();
    };
    const bool allowed =
        r.write ? has("people:manage") : (has("people:read") || has("people:manage"));
    if (!allowed) return legacyError(403);
  }
  return std::nullopt;
}

Response PeopleService::issueToken(const Request& request) {
  const auto form = parseForm(request.body);
  auto field = [&](const char* name) -> std::string {
    for (const auto& [key, value] : form) {
      if (key == name) return value;
    }
    return {};
  };
  if (field("grant_type") != "client_credentials") {
    return legacyError(400, "grant_type must be client_credentials",
                       {{"grant_type", "must be client_credentials"}});
  }
  const auto client = options_.oauthClients.find(field("client_id"));
  if (client == options_.oauthClients.end() || client->second != field("client_secret")) {
    return legacyError(401);
  }
  // Forget expired tokens so a long-running sandbox does not accumulate them.
  const auto at = options_.clock();
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    it = it->second <= at ? tokens_.erase(it) : std::next(it);
  }
  std::ostringstream token;
  token << std::hex << std::setfill('0') << std::setw(16) << tokenRandom_() << std::setw(16)
        << tokenRandom_();
  tokens_[token.str()] = at + options_.tokenTtl;
  JsonWriter w;
  w.beginObject().key("access_token").value(token.str());
  w.key("expires_in").value(static_cast<int64_t>(options_.tokenTtl.count()));
  w.key("token_type").value("Bearer").endObject();
  return jsonOk(w.take());
}

void PeopleService::expireTokens() { tokens_.clear(); }

Response PeopleService::handle(const Request& request) {
  const Route r = route(request.method, request.path);
  try {
    if (r.endpoint == "POST /auth/1/oauth2/token") return issueToken(request);
    if (auto denied = authenticate(request, r)) return *denied;
    if (!r.known) return legacyError(404);
    if (!r.methodAllowed) {
      return r.envelope == Envelope::kV3 ? v3Error(405, "405100", "Method not allowed")
                                         : legacyError(405);
    }
    if (r.ratePerSecond > 0 &&
        !limiter_.allow("account:" + r.endpoint, r.ratePerSecond, r.ratePerSecond)) {
      return tooManyRequests(r.envelope == Envelope::kV3);
    }
    if (request.body.size() > options_.maxBodyBytes) {
      const std::string text =
          "Request body exceeds " + std::to_string(options_.maxBodyBytes) + " bytes";
      return r.envelope == Envelope::kV3 ? v3Error(413, "400100", text) : legacyError(413, text);
    }
    return dispatch(request, r);
  } catch (const std::exception&) {
    // A handler bug must surface as the API's 500, never take the sandbox down.
    return r.envelope == Envelope::kV3 ? v3Error(500, "500100", "Internal server error")
                                       : legacyError(500);
  }
}

Response PeopleService::dispatch(const Request& request, const Route& r) {
  const auto& e = r.endpoint;
  const auto& m = request.method;
  if (e == m + " /people/2/persons") {
    if (m == "GET") return getPersons(request);
    if (m == "POST") return createPerson(request, Source::kApi);
    if (m == "PUT") return writePerson(request, WriteMode::kReplace, Source::kApi);
    if (m == "PATCH") return writePerson(request, WriteMode::kMerge, Source::kApi);
    return deletePerson(request, Source::kApi);
  }
  if (e == m + " /people/2/persons/contactInformation") return contactInformation(request);
  if (e == "POST /people/2/persons/batch") return batchCreate(request);
  if (e == "PATCH /people/2/persons/batch") return batchUpdate(request);
  if (e == "DELETE /people/2/persons/batch") return batchDelete(request);
  if (e == "POST /people/2/persons/match") return match(request);
  if (e == "PUT /people/3/persons/upsert") return upsert(request, WriteMode::kReplace);
  if (e == "PATCH /people/3/persons/upsert") return upsert(request, WriteMode::kMerge);
  if (e == "POST /people/3/persons/merge") return merge(request);
  if (e == "GET /people/2/customAttributes") return listAttributes(request);
  if (e == "POST /people/2/customAttributes") return createAttribute(request);
  if (e == "GET /people/2/customAttributes/{name}") return getAttribute(r.pathParam);
  if (e == "DELETE /people/2/customAttributes/{name}") return deleteAttribute(r.pathParam);
  if (e == "POST /people/2/customAttributes/{name}/append")
    return appendAttribute(request, r.pathParam);
  if (e == "GET /people/2/tags") return listTags(request);
  if (e == "POST /people/2/tags") return createTag(request);
  if (e == "GET /people/2/tags/{name}") return getTag(r.pathParam);
  if (e == "DELETE /people/2/tags/{name}") return deleteTag(r.pathParam);
  if (e == "PATCH /people/2/tags/{name}/persons") return tagPersons(request, r.pathParam, true);
  if (e == "DELETE /people/2/tags/{name}/persons") return tagPersons(request, r.pathParam, false);
  if (e == m + " /people/2/companies") return companies(request);
  if (e == m + " /people/2/companies/batch") return companyBatch(request);
  if (e == "PATCH /people/2/companies/persons") return companyPersons(request, true);
  if (e == "DELETE /people/2/companies/persons") return companyPersons(request, false);
  return legacyError(404);
}

std::string PeopleService::now() const {
  const std::time_t t = std::chrono::system_clock::to_time_t(options_.clock());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return buffer;
}

std::string PeopleService::eventTimestamp() const {
  const auto at = options_.clock();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%s.%03d+00:00", now().c_str(), static_cast<int>(millis));
  return buffer;
}

std::optional<Response> PeopleService::parseObject(const Request& request, Envelope envelope,
                                                   Poco::JSON::Object::Ptr& out) const {
  std::string problem;
  try {
    // JSON text is UTF-8 (RFC 8259); anything else would be stored and echoed back corrupted.
    if (!sdk::isValidUtf8(request.body))
      throw Poco::SyntaxException("request body is not valid UTF-8");
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var parsed = parser.parse(request.body);
    if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
      out = parsed.extract<Poco::JSON::Object::Ptr>();
      return std::nullopt;
    }
    problem = "Request body must be a JSON object";
  } catch (const Poco::Exception& e) {
    problem = "Malformed JSON: " + e.message();
  } catch (const std::exception& e) {
    problem = std::string("Malformed JSON: ") + e.what();
  }
  if (envelope == Envelope::kV3) return v3Error(400, "400103", problem);
  return legacyError(400, problem);
}

EventContext PeopleService::eventContext(Source source) {
  EventContext c;
  c.source = sourceName(source);
  c.sourceId =
      std::string(source == Source::kApi ? "api-" : "portal-") + std::to_string(++eventSequence_);
  if (source == Source::kPortal) {
    c.invokerType = "user";
    c.invokerId = "1001";
    c.invokerName = "Sandbox User";
    c.invokerEmail = "sandbox.user@example.com";
  } else {
    c.invokerType = "client";
    c.invokerId = "api";
  }
  c.timestamp = eventTimestamp();
  return c;
}

void PeopleService::emit(std::vector<std::string> events, Source source) {
  if (events.empty()) return;
  if (source == Source::kApi && !options_.webhookOnApiChanges) return;
  webhooks_.enqueue(std::move(events));
}

PeopleService::Written PeopleService::commit(Person candidate, const Person* before, Source source,
                                             bool bumpUnchanged) {
  Written result;
  candidate.id = before == nullptr ? 0 : before->id;
  if (auto conflict = store_.findConflict(candidate)) {
    result.kind = Written::Kind::kConflict;
    result.conflict = *conflict;
    return result;
  }
  if (before != nullptr && !bumpUnchanged && candidate.sameContent(*before)) {
    result.kind = Written::Kind::kUnchanged;
    result.person = before;
    return result;
  }
  const auto stamp = now();
  for (const auto& tag : candidate.tags) store_.ensureTag(tag, stamp);
  candidate.modifiedAt = stamp;
  candidate.modifiedFrom = sourceName(source);
  const bool notify = source == Source::kPortal || options_.webhookOnApiChanges;
  if (before == nullptr) {
    candidate.createdAt = stamp;
    candidate.origin = sourceName(source);
    result.kind = Written::Kind::kCreated;
    result.person = &store_.insert(std::move(candidate));
    if (notify) emit(personEvents(nullptr, result.person, eventContext(source)), source);
    return result;
  }
  std::optional<Person> previous;
  if (notify) previous = *before;
  result.kind = Written::Kind::kUpdated;
  result.person = &store_.replace(candidate);
  if (notify) emit(personEvents(&*previous, result.person, eventContext(source)), source);
  return result;
}

void PeopleService::removePerson(int64_t id, Source source) {
  const Person* person = store_.find(id);
  if (person == nullptr) return;
  if (source == Source::kPortal || options_.webhookOnApiChanges) {
    emit(personEvents(person, nullptr, eventContext(source)), source);
  }
  store_.erase(id);
}

void PeopleService::reset() {
  store_.clear();
  tokens_.clear();
  limiter_.reset();
  webhooks_.clear();
  eventSequence_ = 0;
}

std::string PeopleService::snapshot() const { return store_.toJson(); }

void PeopleService::restore(const std::string& json) { store_.fromJson(json); }

std::unique_ptr<ferry::sandbox::Service> makePeopleService(const PeopleOptions& options) {
  return std::make_unique<PeopleService>(options);
}

}  // namespace ferry::sandbox::people
