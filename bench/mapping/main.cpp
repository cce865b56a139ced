// Mapping engine throughput on one core: a 20-field Salesforce Contact -> People Customer map,
// applied forward and in reverse to pre-built records. Prints records/second for
//   plain       renames plus cheap transforms (trim, lower, prefix, value map, country code)
//   validated   the same plus email syntax checks and E.164 phone normalisation (libphonenumber)
// Usage: bench_mapping [records-per-run [plain|validated]]   (default 1000000, both maps)
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ferry/host/flow/validator.hpp"

namespace {

using namespace ferry::host;
using ferry::sdk::Object;
using ferry::sdk::Value;

StaticSchemaProvider schemas() {
  StaticSchemaProvider p;
  for (const char* name : {"/salesforce.json", "/people.json"}) {
    std::ifstream in(std::string(FERRY_FLOW_SCHEMAS_DIR) + name);
    std::stringstream text;
    text << in.rdbuf();
    auto schema = pluginSchemaFromJson(text.str());
    if (!schema) {
      std::fprintf(stderr, "%s\n", schema.error().message.c_str());
      std::exit(1);
    }
    p.add(std::move(*schema));
  }
  return p;
}

std::string flowText(bool validated) {
  const std::string email = validated ? "[trim, lower, email]" : "[trim, lower]";
  const std::string phone = validated ? "[{ e164: { default_region: HR } }]" : "[trim]";
  return R"(flow: bench
source: { connection: salesforce, entity: Contact }
sink: { connection: people, entity: Customer }
direction: two-way
map:
  Id: { to: externalId, transform: [{ prefix: "sf-" }], reverse: false }
  FirstName: firstName
  LastName: lastName
  Email: { to: contactInformation.email, transform: )" +
         email + R"( }
  MobilePhone: { to: contactInformation.phone, transform: )" +
         phone + R"( }
  Phone: customAttributes.Phone
  MailingStreet: address
  MailingCity: city
  MailingCountry: { to: country, transform: [country] }
  Birthdate: birthDate
  Title: customAttributes.Title
  Department: customAttributes.Department
  Salutation: { to: gender, transform: [{ values: { Mr.: MALE, Ms.: FEMALE } }] }
  HasOptedOutOfEmail: customAttributes.EmailOptOut
  DoNotCall: customAttributes.DoNotCall
  LeadSource: customAttributes.LeadSource
  Description: customAttributes.Notes
  MailingState: customAttributes.State
  MailingPostalCode: customAttributes.PostalCode
  Ferry_External_Id__c: customAttributes.FerryId
)";
}

std::vector<Object> contacts(std::size_t n) {
  static const char* kCountries[] = {"Croatia", "Germany", "Slovenia", "Austria"};
  std::vector<Object> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string s = std::to_string(i);
    out.push_back(Object{
        {"Id", "0035g00000X" + s},
        {"FirstName", "Ana"},
        {"LastName", "Horvat" + s},
        {"Email", " Ana.Horvat" + s + "@Example.com"},
        {"MobilePhone", "+38591" + std::to_string(1000000 + i % 8999999)},
        {"Phone", "+38512345678"},
        {"MailingStreet", "Ilica " + s},
        {"MailingCity", "Zagreb"},
        {"MailingCountry", kCountries[i % 4]},
        {"Birthdate",
         ferry::sdk::Date{1980 + static_cast<int>(i % 30), 1 + static_cast<int>(i % 12), 1}},
        {"Title", "Engineer"},
        {"Department", "R&D"},
        {"Salutation", i % 2 == 0 ? "Mr." : "Ms."},
        {"HasOptedOutOfEmail", i % 3 == 0},
        {"DoNotCall", false},
        {"LeadSource", "Web"},
        {"Description", "Imported"},
        {"MailingState", "Grad Zagreb"},
        {"MailingPostalCode", "10000"},
        {"Ferry_External_Id__c", "ext-" + s},
        // Fields the map does not read, as a real query result has them.
        {"SystemModstamp", ferry::sdk::DateTime{1709647629000}},
        {"OwnerId", "0055g00000AbCdEAAV"},
        {"AccountId", "0015g00000AbC34AAD"},
    });
  }
  return out;
}

// CPU time of this thread: the figure stays meaningful on a machine shared with other work.
double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t runs = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const StaticSchemaProvider provider = schemas();
  ConnectionSet connections;
  connections.add(ConnectionDef{"salesforce", "salesforce", {}, "", {}});
  connections.add(ConnectionDef{"people", "people", {}, "", {}});
  const std::vector<Object> records = contacts(10'000);

  std::printf("mapping engine, 20-field Contact -> Customer map, one core, %zu records per run\n",
              runs);
  std::printf("%-10s %16s %16s   (records per CPU-second of this thread)\n", "map", "forward rec/s",
              "reverse rec/s");
  const std::string only = argc > 2 ? argv[2] : "";
  for (const bool validated : {false, true}) {
    if (!only.empty() && only != (validated ? "validated" : "plain")) continue;
    Diagnostics diags;
    const auto flow = loadFlow(flowText(validated), "bench.yaml", connections, provider, diags);
    if (!flow) {
      std::fprintf(stderr, "%s", diags.format().c_str());
      return 1;
    }
    std::vector<Object> sinks;
    sinks.reserve(records.size());
    for (const auto& r : records) sinks.push_back(*flow->mapping->forward(r));

    std::size_t fields = 0;
    double start = cpuSeconds();
    for (std::size_t i = 0; i < runs; ++i) {
      auto out = flow->mapping->forward(records[i % records.size()]);
      fields += out.ok() ? out->size() : 0;
    }
    const double forward = cpuSeconds() - start;
    start = cpuSeconds();
    for (std::size_t i = 0; i < runs; ++i) {
      auto out = flow->mapping->reverse(sinks[i % sinks.size()]);
      fields += out.ok() ? out->size() : 0;
    }
    const double reverse = cpuSeconds() - start;
    const double n = static_cast<double>(runs);
    std::printf("%-10s %16.0f %16.0f\n", validated ? "validated" : "plain", n / forward,
                n / reverse);
    if (fields == 0) return 1;  // keeps the work observable
  }
  return 0;
}
