// Outbound Message (SOAP) parsing with Poco's DOM parser; DTDs are refused up front so entity
// expansion tricks (XXE, "billion laughs") never reach the parser.
#include "ferry/plugins/salesforce/outbound.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/Attr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NamedNodeMap.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/Exception.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/XML/XMLString.h>

#include "ferry/plugins/salesforce/soql.hpp"

namespace ferry::plugins::salesforce {

namespace {

constexpr const char* kOutboundNs = "http://soap.sforce.com/2005/09/outbound";
constexpr const char* kXsiNs = "http://www.w3.org/2001/XMLSchema-instance";
constexpr std::size_t kMaxNotifications = 100;

sdk::Error invalid(const std::string& why) {
  return sdk::Error::make(sdk::ErrorCode::kInvalidArgument, "outbound message: " + why);
}

// First direct child element with this local name, or nullptr.
Poco::XML::Element* child(Poco::XML::Node* parent, const std::string& localName) {
  for (auto* n = parent->firstChild(); n != nullptr; n = n->nextSibling()) {
    if (n->nodeType() == Poco::XML::Node::ELEMENT_NODE && n->localName() == localName) {
      return static_cast<Poco::XML::Element*>(n);
    }
  }
  return nullptr;
}

std::string textOf(Poco::XML::Node* node) {
  return node == nullptr ? std::string() : node->innerText();
}

// Finds the element with this local name and namespace anywhere below `root` (depth first).
Poco::XML::Element* findDeep(Poco::XML::Node* root, const std::string& ns,
                             const std::string& localName) {
  for (auto* n = root->firstChild(); n != nullptr; n = n->nextSibling()) {
    if (n->nodeType() != Poco::XML::Node::ELEMENT_NODE) continue;
    if (n->localName() == localName && n->namespaceURI() == ns) {
      return static_cast<Poco::XML::Element*>(n);
    }
    if (auto* found = findDeep(n, ns, localName)) return found;
  }
  return nullptr;
}

}  // namespace

sdk::Result<OutboundMessage> parseOutboundMessage(std::string_view xml) {
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    return invalid("document type declarations are not accepted");
  }
  Poco::AutoPtr<Poco::XML::Document> doc;
  try {
    Poco::XML::DOMParser parser;
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    doc = parser.parseMemory(xml.data(), xml.size());
  } catch (const Poco::Exception& e) {
    return invalid("not well-formed XML (" + e.message() + ")");
  }
  auto* notifications = findDeep(doc, kOutboundNs, "notifications");
  if (notifications == nullptr) return invalid("no <notifications> element");

  OutboundMessage m;
  m.organizationId = textOf(child(notifications, "OrganizationId"));
  m.actionId = textOf(child(notifications, "ActionId"));
  for (auto* n = notifications->firstChild(); n != nullptr; n = n->nextSibling()) {
    if (n->nodeType() != Poco::XML::Node::ELEMENT_NODE || n->localName() != "Notification") {
      continue;
    }
    if (m.notifications.size() == kMaxNotifications) {
      return invalid("more than 100 notifications");
    }
    OutboundNotification note;
    note.notificationId = textOf(child(n, "Id"));
    auto* sobject = child(n, "sObject");
    if (sobject == nullptr) return invalid("a notification has no <sObject>");
    std::string type = sobject->getAttributeNS(kXsiNs, "type");
    if (const auto colon = type.find(':'); colon != std::string::npos) type.erase(0, colon + 1);
    if (!isIdentifier(type)) return invalid("a notification has no valid sObject type");
    note.objectType = type;
    // A notification only wakes the flows reading its object; the record Id is informative.
    // Salesforce may send one without data (a record deleted before delivery): refusing the
    // whole message would make Salesforce retry it, and hold back later ones, for a day.
    note.recordId = textOf(child(sobject, "Id"));
    if (note.recordId.size() != 15 && note.recordId.size() != 18) note.recordId.clear();
    m.notifications.push_back(std::move(note));
  }
  if (m.notifications.empty()) return invalid("no notifications");
  return m;
}

std::string outboundAck(bool ack) {
  return std::string(
             R"(<?xml version="1.0" encoding="UTF-8"?>)"
             R"(<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">)"
             R"(<soapenv:Body><notificationsResponse xmlns=")") +
         kOutboundNs + R"("><Ack>)" + (ack ? "true" : "false") +
         R"(</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>)";
}

std::string outboundFault(std::string_view reason) {
  std::string escaped;
  for (const char c : reason) {
    switch (c) {
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '&':
        escaped += "&amp;";
        break;
      default:
        escaped.push_back(c);
    }
  }
  return R"(<?xml version="1.0" encoding="UTF-8"?>)"
         R"(<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">)"
         R"(<soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>)" +
         escaped + R"(</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>)";
}

}  // namespace ferry::plugins::salesforce
