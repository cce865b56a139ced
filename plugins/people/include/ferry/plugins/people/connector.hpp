// The People connector: Customer and Lead (persons by type) and Company as source and sink, plus
// the People webhook as push intake. See README.md for the calls it makes and their limits.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/plugins/people/api.hpp"
#include "ferry/plugins/people/cursor.hpp"
#include "ferry/plugins/people/settings.hpp"
#include "ferry/sdk/connector.hpp"
#include "ferry/sdk/host.hpp"

namespace ferry::plugins::people {

class PeopleConnector final : public sdk::Connector,
                              public sdk::Source,
                              public sdk::Sink,
                              public sdk::PushIntake {
 public:
  // Parses the settings and declares the rate buckets on the context's HTTP client.
  static sdk::Result<std::unique_ptr<PeopleConnector>> create(const sdk::HostContext& context);

  sdk::Status start() override;
  void stop() noexcept override {}
  sdk::Result<std::vector<sdk::EntitySchema>> describe() override;
  sdk::Source* source() override { return this; }
  sdk::Sink* sink() override { return this; }
  sdk::PushIntake* push() override { return this; }
  sdk::Status check() override;

  sdk::Result<sdk::ReadBatch> read(const sdk::ReadRequest& request) override;

  sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> lookup(
      const std::string& entity, const std::vector<sdk::LookupQuery>& queries,
      const std::vector<std::string>& fields) override;
  sdk::Result<std::vector<sdk::WriteResult>> write(const std::string& entity,
                                                   const std::vector<sdk::WriteOp>& ops) override;
  std::size_t maxBatch(const std::string& entity) const override;

  sdk::Result<sdk::PushResult> handlePush(const sdk::InboundRequest& request) override;

 private:
  PeopleConnector(const sdk::HostContext& context, Settings settings);

  struct Call {
    std::string method = "GET";
    std::string pathAndQuery;  // below the base URL, query already encoded
    std::string body;          // JSON, empty for none
    const char* bucket = nullptr;
    std::string what;  // for error messages: "list persons"
    bool idempotent = true;
  };
  // Sends with authentication; a refused OAuth token is renewed once. Any status comes back.
  sdk::Result<sdk::HttpResponse> send(const Call& call);
  // send() that turns non-2xx answers into errors and parses the JSON object body.
  sdk::Result<sdk::Object> sendJson(const Call& call);
  sdk::Result<std::string> authorization(bool renew);

  sdk::Status loadAttributes(bool force);
  sdk::Status provisionAttributes(const std::vector<sdk::WriteOp>& ops,
                                  std::vector<std::optional<sdk::WriteResult>>& results);

  // reader.cpp
  struct Listed {
    std::vector<sdk::Object> items;
    bool lastPage = false;
    std::optional<std::int64_t> totalCount;  // when asked for and answered
  };
  sdk::Result<Listed> listPage(EntityKind kind, int page, int limit, const char* orderBy,
                               bool includeTotal = false);
  sdk::Result<std::vector<sdk::Change>> reconcile(EntityKind kind, const std::string& entity,
                                                  ReadCursor& cursor);

  // lookup.cpp
  sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> lookupPersons(
      const std::vector<sdk::LookupQuery>& queries);
  sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> lookupCompanies(
      const std::vector<sdk::LookupQuery>& queries);
  sdk::Result<std::map<std::string, sdk::Object>> fetchPersons(const std::vector<std::string>& ids);

  // writer.cpp
  sdk::Result<std::vector<sdk::WriteResult>> writePersons(EntityKind kind,
                                                          const std::vector<sdk::WriteOp>& ops);
  sdk::Result<std::vector<sdk::WriteResult>> writeCompanies(const std::vector<sdk::WriteOp>& ops);
  sdk::Status deletePersons(const std::vector<sdk::WriteOp>& ops,
                            const std::vector<std::size_t>& which,
                            std::vector<std::optional<sdk::WriteResult>>& results);
  sdk::Status upsertPersons(EntityKind kind, const std::vector<sdk::WriteOp>& ops,
                            const std::vector<std::size_t>& which,
                            std::vector<std::optional<sdk::WriteResult>>& results);
  void removeDroppedValues(const std::vector<sdk::WriteOp>& ops,
                           const std::vector<std::size_t>& which,
                           std::vector<std::optional<sdk::WriteResult>>& results);
  void linkCompanies(const std::vector<sdk::WriteOp>& ops, const std::vector<std::size_t>& which,
                     std::vector<std::optional<sdk::WriteResult>>& results);

  sdk::HostContext context_;
  Settings settings_;
  AttributeTypes attributes_;
  bool attributesLoaded_ = false;
  std::string accessToken_;
  std::int64_t tokenExpiresMs_ = 0;
};

}  // namespace ferry::plugins::people
