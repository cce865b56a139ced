// Internal: the Salesforce service behind makeSalesforceService(). Split over service.cpp
// (routing, REST data API), oauth.cpp, bulk.cpp and admin.cpp.
#pragma once

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <Poco/JSON/Object.h>

#include "delivery.hpp"
#include "ferry/sandbox/fake_data.hpp"
#include "ferry/sandbox/json_writer.hpp"
#include "ferry/sandbox/salesforce/service.hpp"
#include "org.hpp"

namespace ferry::sandbox::salesforce {

inline constexpr int kMinApiVersion = 31;
inline constexpr int kMaxApiVersion = 62;

// REST error envelope: [{"message":...,"errorCode":...[,"fields":[...]]}].
Response restError(int status, const std::string& code, const std::string& message,
                   const std::vector<std::string>* fields = nullptr);
// Parses JSON preserving key order; on failure fills `error` with a JSON_PARSER_ERROR response.
Poco::Dynamic::Var parseJsonBody(const std::string& body, Response& error, bool& ok);
// JSON object -> field inputs (skips "attributes"); false with `problem` set when a value is
// an object or array.
bool toFieldInputs(const Poco::JSON::Object& object, FieldInputs& out, std::string& problem,
                   const std::vector<std::string>& skip = {});
// restStyle: the single-record REST array ([{"message","errorCode","fields"}]); otherwise the
// collection style errors list ([{"statusCode","message","fields"}]).
std::string saveErrorsJson(const std::vector<SaveError>& errors, bool restStyle);
int64_t systemNowMs();

class SalesforceService : public Service {
 public:
  explicit SalesforceService(SalesforceOptions options);

  std::string name() const override { return "salesforce"; }
  std::vector<std::string> prefixes() const override { return {"/services/", "/id/"}; }
  // Both end by turning the call's saves into Outbound Messages (outbound.cpp).
  Response handle(const Request& request) override;
  Response admin(const Request& request, const std::string& subPath) override;
  void reset() override;
  std::string snapshot() const override;
  void restore(const std::string& json) override;
  std::string endpointName(const Request& request) const override;
  Response faultResponse(int status, const Request& request) const override;
  void expireTokens() override { accessTokens_.clear(); }

  int64_t now() const;

 private:
  // --- OAuth (oauth.cpp) ---
  struct AccessToken {
    int64_t issuedMs = 0;
    std::string refreshToken;  // the refresh token that minted it; revoking that kills this
  };
  struct RefreshToken {
    std::string scope;
  };
  struct AuthCode {
    std::string redirectUri;
    std::string scope;
    std::string challenge;
    std::string challengeMethod;
    int64_t expiresMs = 0;
  };
  Response oauth(const Request& request, const std::vector<std::string>& parts);
  Response authorize(const Request& request);
  Response token(const Request& request);
  Response revoke(const Request& request);
  Response identity(const Request& request, const std::vector<std::string>& parts);
  Response tokenResponse(const Request& request, const std::string& scope, bool withRefresh,
                         const std::string& existingRefresh);
  std::string randomToken(size_t length);
  std::string instanceUrl(const Request& request) const;
  // Bearer check: empty when valid, else the 401 response.
  std::optional<Response> authenticate(const Request& request);

  // --- REST data API (service.cpp) ---
  Response route(const Request& request);
  Response data(const Request& request, const std::string& version,
                const std::vector<std::string>& rest);
  Response versions(const Request& request) const;
  Response resources(const std::string& version) const;
  Response limits() const;
  Response query(const Request& request, const std::string& version, bool all);
  Response queryMore(const std::string& version, const std::string& locator);
  Response sobjects(const Request& request, const std::string& version,
                    const std::vector<std::string>& rest);
  Response describeGlobal(const std::string& version) const;
  Response describe(const ObjectDef& object, const std::string& version) const;
  Response sobjectRoot(const Request& request, const ObjectDef& object, const std::string& version);
  Response record(const Request& request, const ObjectDef& object, const std::string& id,
                  const std::string& version);
  Response byExternalId(const Request& request, const ObjectDef& object, const std::string& field,
                        const std::string& value, const std::string& version);
  Response replication(const Request& request, const ObjectDef& object, bool deleted);
  Response composite(const Request& request, const std::string& version,
                     const std::vector<std::string>& rest);
  Response collectionWrite(const Request& request, const std::string& method);
  Response collectionDelete(const Request& request);
  Response collectionUpsert(const Request& request, const ObjectDef& object,
                            const std::string& field);
  Response collectionRetrieve(const Request& request, const ObjectDef& object,
                              const std::string& version);
  std::vector<size_t> fieldList(const ObjectDef& object, const std::string& list,
                                std::string& unknown) const;

  // --- Bulk API 2.0 (bulk.cpp) ---
  struct IngestJob {
    std::string id, object, operation, externalIdField,
        state = "Open", lineEnding = "LF", columnDelimiter = "COMMA", apiVersion, errorMessage;
    int64_t createdMs = 0, modifiedMs = 0;
    std::string data;  // uploaded CSV
    bool uploaded = false;
    int64_t processed = 0, failed = 0;
    std::string successCsv, failedCsv, unprocessedCsv;
  };
  struct QueryJob {
    std::string id, object, operation, query, state, lineEnding = "LF", columnDelimiter = "COMMA",
                                                     apiVersion, errorMessage;
    int64_t createdMs = 0, modifiedMs = 0;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    int pollsUntilComplete = 0;
  };
  Response bulk(const Request& request, const std::string& version,
                const std::vector<std::string>& rest);
  Response ingest(const Request& request, const std::string& version,
                  const std::vector<std::string>& rest);
  Response queryJobs(const Request& request, const std::string& version,
                     const std::vector<std::string>& rest);
  void processIngest(IngestJob& job);
  std::string ingestJson(const IngestJob& job, bool full) const;
  std::string queryJobJson(const QueryJob& job) const;

  // --- API usage ---
  int64_t apiUsage() const;
  void countCall();
  std::string limitInfo() const;

  // --- admin (admin.cpp) ---
  Response adminRoute(const Request& request, const std::string& subPath);
  Response seed(const Request& request);
  Response knobsJson() const;
  Response setKnobs(const Request& request);

  // --- Outbound Messages (outbound.cpp) ---
  struct OutboundDefinition {
    std::string id;  // 04k…, the messages' ActionId
    OutboundMessageConfig config;
    const ObjectDef* object = nullptr;
    std::vector<size_t> fields;  // Id first, then config.fields (canonical names, sorted)
  };
  // Validates `config` and fills `out` (all but its id); returns the reason when invalid.
  // `selfId` is the definition being edited (its own name is no conflict).
  std::string defineOutbound(const OutboundMessageConfig& config, const std::string& selfId,
                             OutboundDefinition& out) const;
  // defaults_.outboundMessages; throws std::invalid_argument naming a bad one.
  void installDefaultOutbound();
  std::string outboundJson(const OutboundDefinition& definition) const;
  std::string renderSObject(const OutboundDefinition& definition, const Record& record) const;
  OutboundEnvelope outboundEnvelope(const OutboundDefinition& definition, const std::string& base);
  void dispatchChanges(const Request& request);
  Response outboundAdmin(const Request& request, const std::vector<std::string>& parts);
  Response deliveryAdmin(const Request& request, const std::vector<std::string>& parts);
  void writeOutboundSnapshot(JsonWriter& json) const;
  void restoreOutbound(const Poco::JSON::Object& root);

  SalesforceOptions options_;
  SalesforceOptions defaults_;
  Schema schema_;
  std::unique_ptr<Org> org_;
  int64_t clockOffsetMs_ = 0;
  SeededRandom random_;
  std::unordered_map<std::string, AccessToken> accessTokens_;
  std::unordered_map<std::string, RefreshToken> refreshTokens_;
  std::unordered_map<std::string, AuthCode> codes_;
  // Rolling 24 h API usage in hourly buckets: hour index -> calls.
  mutable std::map<int64_t, int64_t> usageByHour_;
  int64_t usageAdjustment_ = 0;  // admin override of the current usage
  struct Cursor {
    std::vector<std::string> rows;
    size_t batchSize = 2000;
    int64_t lastUsedMs = 0;
  };
  std::unordered_map<std::string, Cursor> cursors_;
  std::deque<std::string> cursorOrder_;
  uint64_t cursorSerial_ = 0;
  std::map<std::string, IngestJob> ingestJobs_;
  std::map<std::string, QueryJob> queryJobs_;
  uint64_t jobSerial_ = 0;
  std::vector<OutboundDefinition> outbound_;
  uint64_t outboundSerial_ = 0;
  uint64_t notificationSerial_ = 0;  // never reset: listeners dedupe by notification id
  std::unique_ptr<OutboundSender> sender_;
};

}  // namespace ferry::sandbox::salesforce
