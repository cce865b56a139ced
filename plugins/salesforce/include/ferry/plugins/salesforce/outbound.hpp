// Salesforce Outbound Messages (SOAP 1.1 notifications): parsing and the acknowledgement.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/sdk/result.hpp"

namespace ferry::plugins::salesforce {

struct OutboundNotification {
  std::string notificationId;
  std::string objectType;  // "Contact" (from xsi:type="sf:Contact")
  std::string recordId;    // empty when the notification carries no usable Id
};

struct OutboundMessage {
  std::string organizationId;
  std::string actionId;
  std::vector<OutboundNotification> notifications;
};

// Parses a notifications envelope (up to 100 notifications). External entities and DTDs are
// not processed. Malformed XML or a foreign document is kInvalidArgument.
sdk::Result<OutboundMessage> parseOutboundMessage(std::string_view xml);

// The SOAP answer Salesforce waits for: <Ack>true</Ack> (or false, which makes it retry).
std::string outboundAck(bool ack);
// A SOAP 1.1 Fault with a (non-secret) reason.
std::string outboundFault(std::string_view reason);

}  // namespace ferry::plugins::salesforce
