#include "test_support.hpp"

namespace ferry::sandbox::salesforce::testing {
namespace {

class BulkTest : public SalesforceTest {
 protected:
  std::string openJob(const std::string& spec) {
    Reply reply = api("POST", "/jobs/ingest", spec);
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.object()->getValue<std::string>("state"), "Open");
    return reply.object()->getValue<std::string>("id");
  }
  // Closes the job and polls until it is done; returns the final job JSON.
  Poco::JSON::Object::Ptr closeAndWait(const std::string& id) {
    Reply closed = api("PATCH", "/jobs/ingest/" + id, R"({"state":"UploadComplete"})");
    EXPECT_EQ(closed.status, 200) << closed.body;
    EXPECT_EQ(closed.object()->getValue<std::string>("state"), "UploadComplete");
    for (int poll = 0; poll < 5; ++poll) {
      auto job = api("GET", "/jobs/ingest/" + id).object();
      std::string state = job->getValue<std::string>("state");
      if (state == "JobComplete" || state == "Failed" || state == "Aborted") return job;
    }
    ADD_FAILURE() << "job never finished";
    return nullptr;
  }
};

TEST_F(BulkTest, IngestInsertWithChunkedUploadAndResults) {
  std::string id =
      openJob(R"({"object":"Contact","operation":"insert","contentType":"CSV","lineEnding":"LF"})");
  EXPECT_EQ(id.substr(0, 3), "750");
  std::string csv =
      "LastName,Email,Title\nNovak,m@example.com,\"CEO, founder\"\nBroken,not-an-email,x\n\"Quote "
      "\"\"Q\"\"\",,\n";
  Reply upload =
      api("PUT", "/jobs/ingest/" + id + "/batches", csv, {{"Content-Type", "text/csv"}}, true);
  EXPECT_EQ(upload.status, 201) << upload.body;
  EXPECT_EQ(
      api("PUT", "/jobs/ingest/" + id + "/batches", csv, {{"Content-Type", "text/csv"}}).status,
      409);
  auto job = closeAndWait(id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->getValue<std::string>("state"), "JobComplete");
  EXPECT_EQ(job->getValue<int>("numberRecordsProcessed"), 3);
  EXPECT_EQ(job->getValue<int>("numberRecordsFailed"), 1);
  Reply success = api("GET", "/jobs/ingest/" + id + "/successfulResults/");
  ASSERT_EQ(success.status, 200);
  EXPECT_EQ(success.header("Content-Type"), "text/csv");
  EXPECT_EQ(success.body.substr(0, success.body.find('\n')),
            R"("sf__Id","sf__Created","LastName","Email","Title")");
  EXPECT_NE(success.body.find(R"("true","Novak","m@example.com","CEO, founder")"),
            std::string::npos)
      << success.body;
  EXPECT_NE(success.body.find(R"("Quote ""Q""")"), std::string::npos) << success.body;
  Reply failed = api("GET", "/jobs/ingest/" + id + "/failedResults/");
  EXPECT_NE(
      failed.body.find("INVALID_EMAIL_ADDRESS:Email: invalid email address: not-an-email:Email --"),
      std::string::npos)
      << failed.body;
  EXPECT_EQ(column(query("SELECT Title FROM Contact WHERE LastName = 'Novak'"), "Title"),
            std::vector<std::string>{"CEO, founder"});
}

TEST_F(BulkTest, IngestUpsertUpdateDeleteAndRelationshipColumns) {
  std::string account = create("Account", R"({"Name":"Acme","Ferry_External_Id__c":"acc-1"})");
  create("Contact", R"({"LastName":"Old","Ferry_External_Id__c":"c-1","Title":"Keep"})");
  std::string upsert = openJob(
      R"({"object":"Contact","operation":"upsert","externalIdFieldName":"Ferry_External_Id__c"})");
  api("PUT", "/jobs/ingest/" + upsert + "/batches",
      "Ferry_External_Id__c,LastName,Title,Account.Ferry_External_Id__c\r\nc-1,Renamed,,acc-1\r\nc-"
      "2,Fresh,#N/A,acc-1\r\nc-3,Orphan,,acc-404\r\n",
      {{"Content-Type", "text/csv"}});
  auto job = closeAndWait(upsert);
  EXPECT_EQ(job->getValue<int>("numberRecordsFailed"), 1);
  auto renamed = api("GET", "/sobjects/Contact/Ferry_External_Id__c/c-1").object();
  EXPECT_EQ(renamed->getValue<std::string>("LastName"), "Renamed");
  EXPECT_EQ(renamed->getValue<std::string>("Title"), "Keep");  // empty cell: unchanged
  EXPECT_EQ(renamed->getValue<std::string>("AccountId"), account);
  Reply results = api("GET", "/jobs/ingest/" + upsert + "/successfulResults/");
  EXPECT_NE(results.body.find(R"("false","c-1")"), std::string::npos) << results.body;
  EXPECT_NE(results.body.find(R"("true","c-2")"), std::string::npos) << results.body;
  EXPECT_NE(api("GET", "/jobs/ingest/" + upsert + "/failedResults/")
                .body.find("Foreign key external ID: acc-404"),
            std::string::npos);

  std::string id = renamed->getValue<std::string>("Id");
  std::string remove = openJob(R"({"object":"Contact","operation":"delete"})");
  api("PUT", "/jobs/ingest/" + remove + "/batches", "Id\n" + id + "\n",
      {{"Content-Type", "text/csv"}});
  EXPECT_EQ(closeAndWait(remove)->getValue<int>("numberRecordsFailed"), 0);
  EXPECT_EQ(query("SELECT Id FROM Contact WHERE Id = '" + id + "'", {}, true)
                .object()
                ->getValue<int>("totalSize"),
            1);

  std::string hard = openJob(R"({"object":"Contact","operation":"hardDelete"})");
  Reply fresh = api("GET", "/sobjects/Contact/Ferry_External_Id__c/c-2");
  api("PUT", "/jobs/ingest/" + hard + "/batches",
      "Id\n" + fresh.object()->getValue<std::string>("Id") + "\n", {{"Content-Type", "text/csv"}});
  closeAndWait(hard);
  EXPECT_EQ(query("SELECT Id FROM Contact", {}, true).object()->getValue<int>("totalSize"),
            1);  // only the soft-deleted one
}

TEST_F(BulkTest, IngestJobErrors) {
  EXPECT_EQ(api("POST", "/jobs/ingest", R"({"object":"Widget","operation":"insert"})").status, 400);
  EXPECT_EQ(api("POST", "/jobs/ingest", R"({"object":"Contact","operation":"merge"})").status, 400);
  EXPECT_EQ(api("POST", "/jobs/ingest",
                R"({"object":"Contact","operation":"upsert","externalIdFieldName":"LastName"})")
                .status,
            400);
  std::string id = openJob(R"({"object":"Contact","operation":"insert"})");
  EXPECT_EQ(api("PUT", "/jobs/ingest/" + id + "/batches", "LastName\nx\n",
                {{"Content-Type", "application/json"}})
                .status,
            400);
  EXPECT_EQ(api("GET", "/jobs/ingest/" + id + "/successfulResults/").status, 409);
  api("PUT", "/jobs/ingest/" + id + "/batches", "Bogus\nx\n", {{"Content-Type", "text/csv"}});
  auto job = closeAndWait(id);
  EXPECT_EQ(job->getValue<std::string>("state"), "Failed");
  EXPECT_NE(job->getValue<std::string>("errorMessage").find("Bogus"), std::string::npos);
  std::string aborted = openJob(R"({"object":"Contact","operation":"insert"})");
  EXPECT_EQ(api("PATCH", "/jobs/ingest/" + aborted, R"({"state":"Aborted"})")
                .object()
                ->getValue<std::string>("state"),
            "Aborted");
  EXPECT_EQ(api("DELETE", "/jobs/ingest/" + aborted).status, 204);
  EXPECT_EQ(api("GET", "/jobs/ingest/" + aborted).status, 404);
}

TEST_F(BulkTest, QueryJobPagesWithLocator) {
  ASSERT_EQ(adminCall("POST", "/seed", R"({"Contact":25})").status, 200);
  Reply created = api(
      "POST", "/jobs/query",
      R"({"operation":"query","query":"SELECT Id, LastName, SystemModstamp FROM Contact ORDER BY LastName"})");
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id = created.object()->getValue<std::string>("id");
  EXPECT_EQ(api("GET", "/jobs/query/" + id + "/results").status, 409);  // not complete yet
  std::string state;
  for (int poll = 0; poll < 5 && state != "JobComplete"; ++poll)
    state = api("GET", "/jobs/query/" + id).object()->getValue<std::string>("state");
  ASSERT_EQ(state, "JobComplete");
  std::string locator;
  int rows = 0, chunks = 0;
  while (true) {
    Reply chunk = api("GET", "/jobs/query/" + id + "/results?maxRecords=10" +
                                 (locator.empty() ? "" : "&locator=" + locator));
    ASSERT_EQ(chunk.status, 200) << chunk.body;
    EXPECT_EQ(chunk.body.substr(0, chunk.body.find('\n')), R"("Id","LastName","SystemModstamp")");
    int inChunk = std::stoi(chunk.header("Sforce-NumberOfRecords"));
    rows += inChunk;
    ++chunks;
    EXPECT_EQ(static_cast<int>(std::count(chunk.body.begin(), chunk.body.end(), '\n')),
              inChunk + 1);
    locator = chunk.header("Sforce-Locator");
    if (locator == "null") break;
  }
  EXPECT_EQ(rows, 25);
  EXPECT_EQ(chunks, 3);
  EXPECT_EQ(api("GET", "/services/data/v59.0/jobs/query/" + id + "/results").status,
            409);  // other version
  EXPECT_EQ(api("GET", "/jobs/query/" + id + "/results?locator=%%%").status, 400);
  EXPECT_EQ(
      api("POST", "/jobs/query", R"({"operation":"query","query":"SELECT COUNT() FROM Contact"})")
          .status,
      400);
  EXPECT_EQ(
      api("POST", "/jobs/query", R"({"operation":"query","query":"SELECT Nope FROM Contact"})")
          .errorCode(),
      "INVALID_FIELD");
}

}  // namespace
}  // namespace ferry::sandbox::salesforce::testing
