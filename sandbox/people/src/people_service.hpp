// PeopleService: routes emulated People API calls, checks credentials, scopes and rate limits,
// and answers with the documented shapes. The handlers live in persons_api.cpp (v2 persons),
// upsert_api.cpp (v3 upsert and merge), catalog_api.cpp (custom attributes, tags, companies) and
// admin_api.cpp (the sandbox's own /__sandbox/people API).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "ferry/sandbox/people/service.hpp"
#include "ferry/sandbox/token_bucket.hpp"
#include "person_input.hpp"
#include "store.hpp"
#include "webhooks.hpp"

namespace ferry::sandbox::people {

// Which error envelope an endpoint speaks (§12).
enum class Envelope { kLegacy, kV3 };

// A resolved route: the counted/rate-limited endpoint name and what the handler needs.
struct Route {
  std::string endpoint;      // "PATCH /people/2/persons/batch", "GET /people/2/tags/{name}"
  std::string pathParam;     // {name} when the template has one
  double ratePerSecond = 0;  // 0: not rate limited
  Envelope envelope = Envelope::kLegacy;
  bool write = false;  // needs people:manage
  bool known = false;  // path exists (for 404 vs 405)
  bool methodAllowed = false;
};

class PeopleService final : public ferry::sandbox::Service {
 public:
  explicit PeopleService(PeopleOptions options);

  std::string name() const override { return "people"; }
  std::vector<std::string> prefixes() const override { return {"/people/", "/auth/"}; }
  Response handle(const Request& request) override;
  Response admin(const Request& request, const std::string& subPath) override;
  void reset() override;
  std::string snapshot() const override;
  void restore(const std::string& json) override;
  std::string endpointName(const Request& request) const override;
  Response faultResponse(int status, const Request& request) const override;
  void expireTokens() override;

  // Where a write comes from: the API (a client such as ferry) or the portal (admin calls).
  enum class Source { kApi, kPortal };

 private:
  struct Written {
    enum class Kind { kCreated, kUpdated, kUnchanged, kConflict } kind = Kind::kCreated;
    const Person* person = nullptr;
    Conflict conflict;
  };

  // ---- service.cpp ----
  static Route route(const std::string& method, const std::string& path);
  std::optional<Response> authenticate(const Request& request, const Route& route);
  Response issueToken(const Request& request);
  Response dispatch(const Request& request, const Route& route);
  std::string now() const;             // yyyy-MM-dd'T'HH:mm:ss (UTC)
  std::string eventTimestamp() const;  // 2025-09-10T13:47:40.032+00:00
  // Parses a JSON object body; on failure returns the error response in the endpoint's envelope.
  std::optional<Response> parseObject(const Request& request, Envelope envelope,
                                      Poco::JSON::Object::Ptr& out) const;
  // Stores candidate (a new person when before is null) after the uniqueness check, stamps
  // timestamps and origin, registers new tags and queues webhook events.
  Written commit(Person candidate, const Person* before, Source source, bool bumpUnchanged);
  void removePerson(int64_t id, Source source);
  void emit(std::vector<std::string> events, Source source);
  EventContext eventContext(Source source);
  static const char* sourceName(Source source) { return source == Source::kApi ? "API" : "PORTAL"; }

  // ---- persons_api.cpp ----
  // Resolves identifier+type query parameters; sets `error` (400/404) when it cannot.
  const Person* lookup(const Request& request, std::optional<Response>& error) const;
  Response getPersons(const Request& request);
  Response listPersons(const Request& request);
  Response createPerson(const Request& request, Source source);
  Response writePerson(const Request& request, WriteMode mode, Source source);
  Response deletePerson(const Request& request, Source source);
  Response contactInformation(const Request& request);
  Response batchCreate(const Request& request);
  Response batchUpdate(const Request& request);
  Response batchDelete(const Request& request);
  // One failed entry of a v2 batch update/delete: its status and error messages.
  struct EntryFailure {
    int status = 0;
    std::vector<std::string> messages;
  };
  using QueriedEntryFn =
      std::function<std::optional<EntryFailure>(const Poco::JSON::Object& entry, const Person&)>;
  // The v2 batch update/delete frame: resolves each entry's query to a person and applies `apply`
  // to it. Failed entries are listed ({query, status, [isModified], errors}) and make it a 207.
  Response queriedBatch(const Request& request, bool reportsModified, const QueriedEntryFn& apply);
  Response match(const Request& request);
  Response personResponse(const Person& person) const;
  Response conflictResponse(const Conflict& conflict) const;

  // ---- upsert_api.cpp ----
  Response upsert(const Request& request, WriteMode mode);
  Response merge(const Request& request);
  // Folds every person in ids (ascending) into the first; returns the survivor.
  Person mergePersons(const std::vector<int64_t>& ids, Source source);

  // ---- catalog_api.cpp ----
  Response listAttributes(const Request& request);
  Response createAttribute(const Request& request);
  Response defineAttribute(const Poco::JSON::Object& body);
  Response getAttribute(const std::string& name);
  Response deleteAttribute(const std::string& name);
  Response appendAttribute(const Request& request, const std::string& name);
  Response listTags(const Request& request);
  Response createTag(const Request& request);
  Response getTag(const std::string& name);
  Response deleteTag(const std::string& name);
  Response tagPersons(const Request& request, const std::string& name, bool add);
  Response companies(const Request& request);
  Response companyBatch(const Request& request);
  Response companyPersons(const Request& request, bool link);

  // ---- admin_api.cpp ----
  Response seed(const Request& request);
  Response dump() const;
  Response webhookSettings(const Request& request, bool flush);
  Response rateLimitSettings(const Request& request);
  Response portalMerge(const Request& request);

  PeopleOptions options_;
  PeopleStore store_;
  RateLimiter limiter_;
  WebhookDispatcher webhooks_;
  std::map<std::string, std::chrono::system_clock::time_point> tokens_;  // access token -> expiry
  std::mt19937_64 tokenRandom_;
  uint64_t eventSequence_ = 0;
};

// Shared by the handler files.
std::optional<int> parseIntParam(const Request& request, const std::string& name, int fallback);
Response jsonOk(std::string body, int status = 200);
Response emptyOk();
std::string violationText(const Violation& violation);  // "property: message"

}  // namespace ferry::sandbox::people
