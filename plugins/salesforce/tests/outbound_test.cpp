// Outbound Message parsing and acknowledgement.
#include <gtest/gtest.h>

#include "ferry/plugins/salesforce/outbound.hpp"
#include "test_data.hpp"

namespace ferry::plugins::salesforce {
namespace {

TEST(Outbound, ParsesNotifications) {
  auto m = parseOutboundMessage(testing::readData("outbound_message.xml"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->organizationId, "00D5g000004XyZaEAK");
  ASSERT_EQ(m->notifications.size(), 2u);
  EXPECT_EQ(m->notifications[0].objectType, "Contact");
  EXPECT_EQ(m->notifications[0].recordId, "0035g00000XyZ12AAB");
  EXPECT_EQ(m->notifications[1].objectType, "Lead");
}

// A record deleted before delivery may come without data: the message still wakes its object's
// flows (and is acknowledged) instead of being refused and retried for a day.
TEST(Outbound, ANotificationWithoutARecordIdStillCounts) {
  std::string text = testing::readData("outbound_message.xml");
  const std::string id = "<sf:Id>0035g00000XyZ12AAB</sf:Id>";
  text.erase(text.find(id), id.size());
  auto m = parseOutboundMessage(text);
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->notifications.size(), 2u);
  EXPECT_EQ(m->notifications[0].objectType, "Contact");
  EXPECT_EQ(m->notifications[0].recordId, "");
  EXPECT_EQ(m->notifications[1].recordId, "00Q5g00000AbCdEAAV");
}

TEST(Outbound, RefusesBadDocuments) {
  EXPECT_FALSE(parseOutboundMessage("<not xml"));
  EXPECT_FALSE(parseOutboundMessage("<a/>"));
  EXPECT_FALSE(parseOutboundMessage(
      R"(<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>)"));
  auto truncated = testing::readData("outbound_message.xml");
  EXPECT_FALSE(parseOutboundMessage(truncated.substr(0, truncated.size() / 2)));
  std::string noType = testing::readData("outbound_message.xml");
  noType.replace(noType.find("sf:Contact"), 10, "sf:Bad Type");
  EXPECT_FALSE(parseOutboundMessage(noType));
}

TEST(Outbound, AckAndFault) {
  const auto ack = outboundAck(true);
  EXPECT_NE(ack.find("<Ack>true</Ack>"), std::string::npos);
  EXPECT_NE(ack.find("http://soap.sforce.com/2005/09/outbound"), std::string::npos);
  EXPECT_NE(outboundFault("a <b>").find("a &lt;b&gt;"), std::string::npos);
}

}  // namespace
}  // namespace ferry::plugins::salesforce
