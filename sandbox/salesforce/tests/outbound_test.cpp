// Outbound Messages: what changes fire them, the SOAP format (read back with the Salesforce
// connector's own parser), delivery retried until <Ack>true</Ack>, batching, per-endpoint order,
// the delivery knobs and the admin API. A small SOAP listener on loopback port 0 plays ferry.
#include <condition_variable>
#include <functional>
#include <set>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include "delivery.hpp"
#include "ferry/plugins/salesforce/outbound.hpp"
#include "test_support.hpp"

namespace ferry::sandbox::salesforce::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
namespace connector = ferry::plugins::salesforce;

struct Received {
  std::string target;  // path and query
  std::string contentType;
  std::string soapAction;
  std::string body;
  Clock::time_point at;
};

struct Answer {
  int status = 200;
  std::string body;
};

// Records every POST and answers as `script` says for the n-th request (from 0); acknowledges
// by default with the connector's own answer.
class Listener {
 public:
  using Script = std::function<Answer(size_t)>;

  Listener() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, params);
    server_->start();
  }
  ~Listener() { server_->stopAll(true); }

  std::string url(const std::string& path = "/inbound") const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + path;
  }
  void script(Script script) {
    std::lock_guard lock(mutex_);
    script_ = std::move(script);
  }
  // Waits until at least n requests arrived; returns a copy of all of them.
  std::vector<Received> waitFor(size_t n, milliseconds timeout = milliseconds(10000)) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
    return received_;
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return received_.size();
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(Listener& owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      Received got;
      got.target = request.getURI();
      got.contentType = request.getContentType();
      got.soapAction = request.get("SOAPAction", "<none>");
      Poco::StreamCopier::copyToString(request.stream(), got.body);
      got.at = Clock::now();
      Answer answer;
      {
        std::lock_guard lock(owner_.mutex_);
        answer = owner_.script_ ? owner_.script_(owner_.received_.size())
                                : Answer{200, connector::outboundAck(true)};
        owner_.received_.push_back(std::move(got));
      }
      owner_.arrived_.notify_all();
      response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
      response.setContentType("text/xml; charset=utf-8");
      response.sendBuffer(answer.body.data(), answer.body.size());
    }

   private:
    Listener& owner_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(Listener& owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(owner_);
    }

   private:
    Listener& owner_;
  };

  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  Script script_;
  std::vector<Received> received_;
};

// A loopback port nobody listens on (bound once by the kernel's choice, then released).
uint16_t unusedPort() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  const uint16_t port = socket.address().port();
  socket.close();
  return port;
}

class OutboundTest : public SalesforceTest {
 protected:
  // Defines an outbound message; returns its id (ActionId).
  std::string define(const std::string& json) {
    Reply reply = adminCall("POST", "/outbound-messages", json);
    EXPECT_EQ(reply.status, 201) << reply.body;
    return reply.status == 201 ? reply.object()->getValue<std::string>("id") : "";
  }
  std::string defineFor(const std::string& object, const std::string& url,
                        const std::string& extra = "") {
    return define(R"({"object":")" + object + R"(","endpointUrl":")" + url + "\"" + extra + "}");
  }
  void knobs(const std::string& json) {
    Reply reply = adminCall("PUT", "/outbound-delivery/knobs", json);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }
  Poco::JSON::Object::Ptr delivery() { return adminCall("GET", "/outbound-delivery").object(); }
  uint64_t counter(const std::string& name) {
    return delivery()->getObject("counters")->getValue<uint64_t>(name);
  }
  // Polls the delivery view until `condition` holds (deliveries run on their own thread).
  bool until(const std::function<bool()>& condition, milliseconds timeout = milliseconds(10000)) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return condition();
  }
  std::string orgId() {
    return adminCall("GET", "/").object()->getObject("credentials")->getValue<std::string>("orgId");
  }
  connector::OutboundMessage parse(const Received& received) {
    auto parsed = connector::parseOutboundMessage(received.body);
    EXPECT_TRUE(parsed.ok()) << (parsed ? "" : parsed.error().message) << "\n" << received.body;
    return parsed ? *parsed : connector::OutboundMessage{};
  }
  // Creates n Contacts in one collection call; returns their ids in order.
  std::vector<std::string> createContacts(int n, const std::string& prefix) {
    std::string records;
    for (int i = 0; i < n; ++i) {
      records += std::string(i ? "," : "") + R"({"attributes":{"type":"Contact"},"LastName":")" +
                 prefix + std::to_string(i) + "\"}";
    }
    Reply reply =
        api("POST", "/composite/sobjects", R"({"allOrNone":true,"records":[)" + records + "]}");
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::vector<std::string> ids;
    auto results = reply.array();
    for (size_t i = 0; results && i < results->size(); ++i)
      ids.push_back(results->getObject(static_cast<unsigned>(i))->getValue<std::string>("id"));
    return ids;
  }

  Listener listener_;
};

TEST(OutboundDeliveryUnit, RetryIntervalsDoubleUpToTheCap) {
  EXPECT_EQ(retryDelayMs(1, 100, 1000), 100);
  EXPECT_EQ(retryDelayMs(2, 100, 1000), 200);
  EXPECT_EQ(retryDelayMs(4, 100, 1000), 800);
  EXPECT_EQ(retryDelayMs(5, 100, 1000), 1000);
  EXPECT_EQ(retryDelayMs(500, 10000, 7200000), 7200000);  // no overflow on long outages
}

TEST(OutboundDeliveryUnit, OnlyANotificationsResponseWithAckTrueCounts) {
  EXPECT_TRUE(isPositiveAck(connector::outboundAck(true)));
  EXPECT_FALSE(isPositiveAck(connector::outboundAck(false)));
  EXPECT_FALSE(isPositiveAck(connector::outboundFault("no")));
  EXPECT_TRUE(isPositiveAck(R"(<Envelope><Body><notificationsResponse )"
                            R"(xmlns="http://soap.sforce.com/2005/09/outbound"><Ack> 1 </Ack>)"
                            R"(</notificationsResponse></Body></Envelope>)"));
  // The element must be in the outbound namespace; plain text or a DTD is no acknowledgement.
  EXPECT_FALSE(isPositiveAck("<notificationsResponse><Ack>true</Ack></notificationsResponse>"));
  EXPECT_FALSE(isPositiveAck("<Ack>true</Ack"));
  EXPECT_FALSE(isPositiveAck("OK"));
  EXPECT_FALSE(isPositiveAck(R"(<!DOCTYPE x [<!ENTITY a "true">]><notificationsResponse )"
                             R"(xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>&a;</Ack>)"
                             R"(</notificationsResponse>)"));
}

TEST(OutboundDeliveryUnit, EndpointsStayOnLoopback) {
  EXPECT_EQ(checkLoopbackEndpoint("http://127.0.0.1:8080/api/v1/inbound/salesforce?token=x"), "");
  EXPECT_EQ(checkLoopbackEndpoint("http://localhost:8080/x"), "");
  EXPECT_EQ(checkLoopbackEndpoint("http://[::1]:8080/x"), "");
  EXPECT_NE(checkLoopbackEndpoint("http://example.com:8080/x"), "");
  EXPECT_NE(checkLoopbackEndpoint("https://127.0.0.1:8443/x"), "");
  EXPECT_NE(checkLoopbackEndpoint("127.0.0.1:8080"), "");
  EXPECT_NE(checkLoopbackEndpoint("http://10.0.0.1:80/x"), "");
}

TEST(OutboundDeliveryUnit, TextIsEscapedAndControlCharactersDropped) {
  std::string out;
  appendXmlText(out, std::string("a&b<c>\"d\"\r\x01\te\n", 15));
  EXPECT_EQ(out, "a&amp;b&lt;c&gt;&quot;d&quot;&#13;\te\n");
}

TEST_F(OutboundTest, MessageFormatIsWhatTheConnectorParses) {
  const std::string action =
      defineFor("Contact", listener_.url("/api/v1/inbound/salesforce?token=t0k"),
                R"(,"fields":["Email","MailingCity","Phone","Birthdate",)"
                R"("HasOptedOutOfEmail","LastModifiedDate"],)"
                R"("sendSessionId":true)");
  ASSERT_EQ(action.substr(0, 3), "04k");
  const std::string id =
      create("Contact",
             R"({"LastName":"Novak","Email":"m.novak@example.com","MailingCity":"Rock & <Roll>",)"
             R"("Birthdate":"1990-04-01"})");
  auto received = listener_.waitFor(1);
  ASSERT_EQ(received.size(), 1u);
  const Received& got = received[0];
  EXPECT_EQ(got.target, "/api/v1/inbound/salesforce?token=t0k");
  EXPECT_EQ(got.contentType, "text/xml; charset=utf-8");
  EXPECT_EQ(got.soapAction, "\"\"");

  connector::OutboundMessage message = parse(got);
  EXPECT_EQ(message.organizationId, orgId());
  EXPECT_EQ(message.actionId, action);
  ASSERT_EQ(message.notifications.size(), 1u);
  EXPECT_EQ(message.notifications[0].objectType, "Contact");
  EXPECT_EQ(message.notifications[0].recordId, id);
  EXPECT_EQ(message.notifications[0].notificationId.substr(0, 3), "04l");
  EXPECT_EQ(message.notifications[0].notificationId.size(), 18u);

  // Fields: Id first, then the chosen ones by name, typed as SOAP text; nulls are left out.
  const std::string& body = got.body;
  const auto at = [&](const std::string& text) { return body.find(text); };
  EXPECT_NE(at("<sf:Id>" + id + "</sf:Id>"), std::string::npos) << body;
  EXPECT_NE(at("<sf:MailingCity>Rock &amp; &lt;Roll&gt;</sf:MailingCity>"), std::string::npos);
  EXPECT_NE(at("<sf:Birthdate>1990-04-01</sf:Birthdate>"), std::string::npos);
  EXPECT_NE(at("<sf:HasOptedOutOfEmail>false</sf:HasOptedOutOfEmail>"), std::string::npos);
  EXPECT_NE(at("<sf:LastModifiedDate>2026-01-01T00:00:00.000Z</sf:LastModifiedDate>"),
            std::string::npos);
  EXPECT_EQ(at("<sf:Phone>"), std::string::npos);
  EXPECT_LT(at("<sf:Id>"), at("<sf:Birthdate>"));
  EXPECT_LT(at("<sf:Birthdate>"), at("<sf:Email>"));
  EXPECT_NE(
      at(R"(<sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">)"),
      std::string::npos);
  const std::string org15 = orgId().substr(0, 15);
  EXPECT_NE(at("/services/Soap/c/62.0/" + org15 + "</EnterpriseUrl>"), std::string::npos);
  EXPECT_NE(at("/services/Soap/u/62.0/" + org15 + "</PartnerUrl>"), std::string::npos);

  // The session id is a live session of the integration user.
  const auto open = body.find("<SessionId>");
  ASSERT_NE(open, std::string::npos) << body;
  const auto close = body.find("</SessionId>", open);
  const std::string session = body.substr(open + 11, close - open - 11);
  Reply read = call("GET", "/services/data/v60.0/sobjects/Contact/" + id, "",
                    {{"Authorization", "Bearer " + session}});
  EXPECT_EQ(read.status, 200) << read.body;

  ASSERT_TRUE(until([&] { return counter("deliveredMessages") == 1; }));
  EXPECT_EQ(counter("deliveredNotifications"), 1u);
  EXPECT_EQ(counter("attempts"), 1u);
  EXPECT_EQ(counter("pendingMessages"), 0u);
}

TEST_F(OutboundTest, WithoutASessionTheElementIsNil) {
  defineFor("Lead", listener_.url());
  create("Lead", R"({"LastName":"L","Company":"C"})");
  auto received = listener_.waitFor(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_NE(received[0].body.find(R"(<SessionId xsi:nil="true"/>)"), std::string::npos);
  EXPECT_EQ(parse(received[0]).notifications.at(0).objectType, "Lead");
}

TEST_F(OutboundTest, RetriedWithGrowingIntervalsUntilAckTrue) {
  knobs(R"({"retryInitialMs":100,"retryMaxMs":200})");
  listener_.script([](size_t n) -> Answer {
    if (n == 0) return {500, "busy"};
    if (n == 1) return {200, connector::outboundAck(false)};
    if (n == 2) return {200, connector::outboundFault("cannot store it")};
    return {200, connector::outboundAck(true)};
  });
  defineFor("Contact", listener_.url());
  const std::string id = create("Contact", R"({"LastName":"Retry"})");
  auto received = listener_.waitFor(4);
  ASSERT_EQ(received.size(), 4u);
  for (const auto& got : received) EXPECT_EQ(parse(got).notifications.at(0).recordId, id);
  // Intervals 100, 200, 200 ms (doubled, then capped); never shorter.
  const auto gap = [&](size_t i) {
    return std::chrono::duration_cast<milliseconds>(received[i].at - received[i - 1].at).count();
  };
  EXPECT_GE(gap(1), 95);
  EXPECT_GE(gap(2), 195);
  EXPECT_GE(gap(3), 195);
  ASSERT_TRUE(until([&] { return counter("deliveredMessages") == 1; }));
  EXPECT_EQ(counter("attempts"), 4u);
  EXPECT_EQ(counter("failedAttempts"), 3u);
  EXPECT_EQ(counter("pendingMessages"), 0u);
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(listener_.count(), 4u);  // acknowledged: never sent again
}

TEST_F(OutboundTest, NotificationsAreBatchedUpToAHundredAndCarryTheLatestData) {
  knobs(R"({"paused":true})");
  defineFor("Contact", listener_.url(), R"(,"fields":["MailingCity"])");
  std::vector<std::string> ids = createContacts(150, "Batch");
  std::vector<std::string> more = createContacts(100, "More");
  ids.insert(ids.end(), more.begin(), more.end());
  ASSERT_EQ(ids.size(), 250u);
  // Edited while queued: the queued notification now carries the new value, and the edit adds
  // one more notification.
  ASSERT_EQ(api("PATCH", "/sobjects/Contact/" + ids[0], R"({"MailingCity":"Later"})").status, 204);

  auto view = delivery();
  EXPECT_EQ(view->getObject("counters")->getValue<uint64_t>("pendingMessages"), 3u);
  EXPECT_EQ(view->getObject("counters")->getValue<uint64_t>("pendingNotifications"), 251u);
  auto messages = view->getArray("endpoints")->getObject(0)->getArray("messages");
  ASSERT_EQ(messages->size(), 3u);
  EXPECT_EQ(messages->getObject(0)->getValue<int>("notifications"), 100);
  EXPECT_EQ(messages->getObject(2)->getValue<int>("notifications"), 51);
  EXPECT_EQ(listener_.count(), 0u);

  knobs(R"({"paused":false})");
  auto received = listener_.waitFor(3);
  ASSERT_EQ(received.size(), 3u);
  std::vector<std::string> delivered;
  std::set<std::string> notificationIds;
  for (const auto& got : received) {
    for (const auto& note : parse(got).notifications) {
      delivered.push_back(note.recordId);
      notificationIds.insert(note.notificationId);
    }
  }
  EXPECT_EQ(parse(received[0]).notifications.size(), 100u);
  EXPECT_EQ(parse(received[1]).notifications.size(), 100u);
  EXPECT_EQ(parse(received[2]).notifications.size(), 51u);
  std::vector<std::string> expected = ids;
  expected.push_back(ids[0]);
  EXPECT_EQ(delivered, expected);  // creation order, the edit last
  EXPECT_EQ(notificationIds.size(), 251u);
  const std::string first = received[0].body.substr(0, received[0].body.find("</Notification>"));
  EXPECT_NE(first.find("<sf:MailingCity>Later</sf:MailingCity>"), std::string::npos) << first;
}

TEST_F(OutboundTest, AFailingMessageHoldsBackItsEndpointButNoOther) {
  knobs(R"({"retryInitialMs":150,"retryMaxMs":150,"failNext":2})");
  // Leads go to a port nobody listens on; its queue must not delay the Contacts' endpoint.
  defineFor("Lead", "http://127.0.0.1:" + std::to_string(unusedPort()) + "/dead?token=never-shown");
  defineFor("Contact", listener_.url());

  create("Lead", R"({"LastName":"Stuck","Company":"C"})");
  const std::string first = create("Contact", R"({"LastName":"First"})");
  // The first Contact message has been tried (and failed by the knob) before the second exists,
  // so the second is a message of its own, due at once, yet it waits behind the first.
  ASSERT_TRUE(until([&] {
    auto endpoints = delivery()->getArray("endpoints");
    for (size_t i = 0; i < endpoints->size(); ++i) {
      auto e = endpoints->getObject(static_cast<unsigned>(i));
      if (e->getValue<std::string>("endpoint") != listener_.url()) continue;
      auto head = e->getArray("messages")->getObject(0);
      if (head->getValue<int>("attempts") >= 1 && !head->get("lastError").isEmpty()) return true;
    }
    return false;
  }));
  const std::string second = create("Contact", R"({"LastName":"Second"})");
  auto received = listener_.waitFor(2);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(parse(received[0]).notifications.at(0).recordId, first);
  EXPECT_EQ(parse(received[1]).notifications.at(0).recordId, second);

  // The Lead message is still queued, with the reason and a masked endpoint. (The listener sees
  // a request before the sender has read the answer, so wait for the Contacts' queue to empty.)
  ASSERT_TRUE(until([&] { return delivery()->getArray("endpoints")->size() == 1; }));
  auto view = delivery();
  const std::string text = adminCall("GET", "/outbound-delivery").body;
  EXPECT_EQ(text.find("never-shown"), std::string::npos) << text;
  EXPECT_NE(text.find("/dead?token=***"), std::string::npos) << text;
  EXPECT_GE(view->getObject("counters")->getValue<uint64_t>("pendingMessages"), 1u);
  auto endpoints = view->getArray("endpoints");
  ASSERT_EQ(endpoints->size(), 1u);
  auto stuck = endpoints->getObject(0)->getArray("messages")->getObject(0);
  EXPECT_GE(stuck->getValue<int>("attempts"), 1);
  EXPECT_FALSE(stuck->getValue<std::string>("lastError").empty());
}

TEST_F(OutboundTest, OnlyCommittedCreatesAndEditsThroughTheApiOrAdminFire) {
  knobs(R"({"paused":true})");
  const std::string action = define(R"({"name":"NewContacts","object":"Contact","endpointUrl":")" +
                                    listener_.url() + R"(","triggers":["create"]})");
  const auto queued = [&] { return counter("queued"); };
  const std::string id = create("Contact", R"({"LastName":"A"})");
  EXPECT_EQ(queued(), 1u);
  api("PATCH", "/sobjects/Contact/" + id, R"({"LastName":"B"})");
  EXPECT_EQ(queued(), 1u) << "create-only rule fired on an edit";

  ASSERT_EQ(
      adminCall("PATCH", "/outbound-messages/" + action, R"({"triggers":["create","update"]})")
          .status,
      200);
  api("PATCH", "/sobjects/Contact/" + id, R"({"LastName":"C"})");
  EXPECT_EQ(queued(), 2u);
  adminCall("PATCH", "/records/Contact/" + id, R"({"LastName":"D"})");  // a user in the UI
  EXPECT_EQ(queued(), 3u);
  adminCall("POST", "/seed", R"({"Contact":5})");
  EXPECT_EQ(queued(), 3u) << "seeding is set-up, not an edit";
  // Rolled back: nothing was saved, nothing fires.
  Reply rolledBack = api("POST", "/composite/sobjects", R"({"allOrNone":true,"records":[
      {"attributes":{"type":"Contact"},"LastName":"Kept?"},
      {"attributes":{"type":"Contact"},"FirstName":"NoLastName"}]})");
  ASSERT_EQ(rolledBack.status, 200);
  EXPECT_EQ(queued(), 3u);
  // Deletes never fire; a queued notification of a deleted record loses its data.
  api("DELETE", "/sobjects/Contact/" + id);
  EXPECT_EQ(queued(), 3u);
  // An update failing validation fires nothing either.
  api("PATCH", "/sobjects/Contact/" + create("Contact", R"({"LastName":"E"})"),
      R"({"Email":"not-an-email"})");
  EXPECT_EQ(queued(), 4u);
  ASSERT_EQ(adminCall("PATCH", "/outbound-messages/" + action, R"({"active":false})").status, 200);
  create("Contact", R"({"LastName":"F"})");
  EXPECT_EQ(queued(), 4u) << "an inactive rule fired";

  knobs(R"({"paused":false})");
  auto received = listener_.waitFor(1);
  ASSERT_EQ(received.size(), 1u);
  const std::string& body = received[0].body;
  const auto firstNote = body.substr(0, body.find("</Notification>"));
  EXPECT_NE(firstNote.find("<sf:Id>" + id + "</sf:Id>"), std::string::npos);
  EXPECT_EQ(firstNote.find("<sf:LastName>"), std::string::npos);  // deleted: no data
}

TEST_F(OutboundTest, LeadConversionFiresForTheRecordsItCreatesAndEdits) {
  knobs(R"({"paused":true})");
  defineFor("Contact", listener_.url("/contacts"));
  defineFor("Lead", listener_.url("/leads"));
  const std::string lead = create("Lead", R"({"LastName":"Convert","Company":"Acme"})");
  Reply converted = adminCall("POST", "/convert-lead", R"({"leadId":")" + lead + R"("})");
  ASSERT_EQ(converted.status, 200) << converted.body;
  const std::string contact = converted.object()->getValue<std::string>("contactId");
  knobs(R"({"paused":false})");
  auto received = listener_.waitFor(2);
  ASSERT_EQ(received.size(), 2u);
  std::map<std::string, std::vector<std::string>> byTarget;
  for (const auto& got : received)
    for (const auto& note : parse(got).notifications) byTarget[got.target].push_back(note.recordId);
  EXPECT_EQ(byTarget["/leads"], (std::vector<std::string>{lead, lead}));  // created, converted
  EXPECT_EQ(byTarget["/contacts"], std::vector<std::string>{contact});
}

TEST_F(OutboundTest, DropAndExpiryKnobsLoseMessagesForGood) {
  knobs(R"({"dropNext":1})");
  defineFor("Contact", listener_.url());
  create("Contact", R"({"LastName":"Lost"})");
  ASSERT_TRUE(until([&] { return counter("droppedMessages") == 1; }));
  const std::string kept = create("Contact", R"({"LastName":"Kept"})");
  auto received = listener_.waitFor(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(parse(received[0]).notifications.at(0).recordId, kept);
  EXPECT_EQ(counter("attempts"), 1u);  // the dropped message never reached the wire

  knobs(R"({"maxAgeMs":150,"retryInitialMs":50,"retryMaxMs":50})");
  listener_.script([](size_t) { return Answer{503, "down"}; });
  create("Contact", R"({"LastName":"Expires"})");
  ASSERT_TRUE(until([&] { return counter("expiredMessages") == 1; }));
  EXPECT_EQ(counter("pendingMessages"), 0u);
  EXPECT_GE(counter("failedAttempts"), 2u);
}

TEST_F(OutboundTest, DelayKnobHoldsEachAttempt) {
  knobs(R"({"delayMs":300})");
  defineFor("Contact", listener_.url());
  const auto start = Clock::now();
  create("Contact", R"({"LastName":"Slow"})");
  auto received = listener_.waitFor(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_GE(std::chrono::duration_cast<milliseconds>(received[0].at - start).count(), 295);
}

TEST_F(OutboundTest, RetryNowAndClear) {
  knobs(R"({"retryInitialMs":600000,"retryMaxMs":600000,"failNext":1})");
  defineFor("Contact", listener_.url());
  const std::string id = create("Contact", R"({"LastName":"Waits"})");
  ASSERT_TRUE(until([&] { return counter("failedAttempts") == 1; }));
  EXPECT_EQ(listener_.count(), 0u);  // next try in ten minutes
  ASSERT_EQ(adminCall("POST", "/outbound-delivery/retry").status, 200);
  auto received = listener_.waitFor(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(parse(received[0]).notifications.at(0).recordId, id);
  ASSERT_TRUE(until([&] { return counter("pendingMessages") == 0; }));

  knobs(R"({"paused":true})");
  create("Contact", R"({"LastName":"Cleared"})");
  EXPECT_EQ(counter("pendingMessages"), 1u);
  ASSERT_EQ(adminCall("DELETE", "/outbound-delivery").status, 200);
  EXPECT_EQ(counter("pendingMessages"), 0u);
  EXPECT_EQ(counter("queued"), 0u);
}

TEST_F(OutboundTest, AdminApiValidatesAndNeverEchoesTheEndpointSecret) {
  const std::string url = listener_.url("/in?token=top-secret-value");
  const auto refused = [&](const std::string& json, int status, const std::string& words) {
    Reply reply = adminCall("POST", "/outbound-messages", json);
    EXPECT_EQ(reply.status, status) << json << " -> " << reply.body;
    EXPECT_NE(reply.body.find(words), std::string::npos) << reply.body;
    EXPECT_EQ(reply.body.find("top-secret-value"), std::string::npos) << reply.body;
  };
  refused(R"({"object":"Contact","endpointUrl":"http://example.com:80/x"})", 400, "loopback");
  refused(R"({"object":"Contact","endpointUrl":"https://127.0.0.1:1/x"})", 400, "http://");
  refused(R"({"object":"Opportunity","endpointUrl":")" + url + "\"}", 400, "Opportunity");
  refused(R"({"object":"Contact","endpointUrl":")" + url + R"(","fields":["Nope"]})", 400,
          "no field 'Nope'");
  refused(R"({"object":"Contact","endpointUrl":")" + url + R"(","fields":"Email"})", 400,
          "array of strings");
  refused(R"({"object":"Contact","endpointUrl":")" + url + R"(","triggers":[]})", 400, "trigger");
  refused(R"({"object":"Contact","endpointUrl":")" + url + R"(","triggers":["delete"]})", 400,
          "delete");
  refused(R"({"object":"Contact","endpointUrl":")" + url + R"(","organizationId":"001x"})", 400,
          "organizationId");
  refused(R"({"object":"Contact","endpointUrl":")" + url + R"(","colour":"blue"})", 400, "colour");
  refused("[1]", 400, "JSON object");

  Reply created =
      adminCall("POST", "/outbound-messages",
                R"({"name":"ToFerry","object":"contact","endpointUrl":")" + url +
                    R"(","fields":["email","Id","Email"],"organizationId":"00D000000000001"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body.find("top-secret-value"), std::string::npos) << created.body;
  auto definition = created.object();
  EXPECT_EQ(definition->getValue<std::string>("object"), "Contact");
  EXPECT_EQ(definition->getValue<std::string>("endpointUrl"), listener_.url("/in?token=***"));
  EXPECT_EQ(definition->getArray("fields")->size(), 2u);  // Id, Email
  const std::string organization = definition->getValue<std::string>("organizationId");
  EXPECT_EQ(organization.substr(0, 15), "00D000000000001");
  EXPECT_EQ(organization.size(), 18u);
  refused(R"({"name":"toferry","object":"Lead","endpointUrl":")" + url + "\"}", 409, "exists");

  const std::string id = definition->getValue<std::string>("id");
  Reply list = adminCall("GET", "/outbound-messages");
  EXPECT_EQ(list.object()->getArray("outboundMessages")->size(), 1u);
  EXPECT_EQ(list.body.find("top-secret-value"), std::string::npos);
  EXPECT_EQ(adminCall("PATCH", "/outbound-messages/" + id, R"({"object":"Lead"})").status, 400);
  EXPECT_EQ(adminCall("GET", "/outbound-messages/04k000000000099AAA").status, 404);
  EXPECT_EQ(adminCall("PUT", "/outbound-delivery/knobs", R"({"failShare":2})").status, 400);
  EXPECT_EQ(adminCall("PUT", "/outbound-delivery/knobs", R"({"retryMaxMs":1})").status, 400);
  EXPECT_EQ(adminCall("PUT", "/outbound-delivery/knobs", R"({"speed":1})").status, 400);

  // The configured organization id is what the message carries.
  create("Contact", R"({"LastName":"Org"})");
  auto received = listener_.waitFor(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(parse(received[0]).organizationId, organization);

  ASSERT_EQ(adminCall("DELETE", "/outbound-messages/" + id).status, 200);
  EXPECT_EQ(adminCall("GET", "/outbound-messages").object()->getArray("outboundMessages")->size(),
            0u);
}

TEST_F(OutboundTest, OptionsDefineMessagesThatSurviveResetAndSnapshots) {
  SalesforceOptions options;
  OutboundMessageConfig fromOptions;
  fromOptions.object = "Contact";
  fromOptions.endpointUrl = listener_.url("/from-options");
  fromOptions.fields = {"Email"};
  options.outboundMessages.push_back(fromOptions);
  options.outboundDelivery.retryInitialMs = 50;
  options.outboundDelivery.retryMaxMs = 50;
  start(options);
  auto list = [&] {
    return adminCall("GET", "/outbound-messages").object()->getArray("outboundMessages");
  };
  ASSERT_EQ(list()->size(), 1u);
  const std::string id = list()->getObject(0)->getValue<std::string>("id");
  defineFor("Lead", listener_.url("/extra"));
  const std::string snapshot = call("GET", "/__sandbox/snapshot").body;

  ASSERT_EQ(call("POST", "/__sandbox/reset").status, 200);
  ASSERT_EQ(list()->size(), 1u);  // back to the options' one, same id
  EXPECT_EQ(list()->getObject(0)->getValue<std::string>("id"), id);
  EXPECT_EQ(delivery()->getObject("knobs")->getValue<int64_t>("retryInitialMs"), 50);

  ASSERT_EQ(call("PUT", "/__sandbox/snapshot", snapshot).status, 200);
  ASSERT_EQ(list()->size(), 2u);
  token_ = passwordToken();
  create("Lead", R"({"LastName":"Restored","Company":"C"})");
  auto received = listener_.waitFor(1);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].target, "/extra");

  options.outboundMessages[0].endpointUrl = "http://192.0.2.1:80/x";
  EXPECT_THROW(makeSalesforceService(options), std::invalid_argument);
}

}  // namespace
}  // namespace ferry::sandbox::salesforce::testing
