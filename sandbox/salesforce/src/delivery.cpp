#include "delivery.hpp"

#include <algorithm>
#include <cstring>

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/SAX/XMLReader.h>
#include <Poco/URI.h>

#include "ferry/sandbox/http_util.hpp"
#include "ferry/sandbox/json_writer.hpp"

namespace ferry::sandbox::salesforce {
namespace {

constexpr const char* kOutboundNs = "http://soap.sforce.com/2005/09/outbound";
constexpr size_t kMaxAnswerBytes = 1u << 20;  // a listener's answer is a few hundred bytes

using Clock = std::chrono::steady_clock;

// The notificationsResponse element anywhere below `node`, or nullptr.
Poco::XML::Element* findResponse(Poco::XML::Node* node) {
  for (auto* n = node->firstChild(); n != nullptr; n = n->nextSibling()) {
    if (n->nodeType() != Poco::XML::Node::ELEMENT_NODE) continue;
    if (n->localName() == "notificationsResponse" && n->namespaceURI() == kOutboundNs)
      return static_cast<Poco::XML::Element*>(n);
    if (auto* found = findResponse(n)) return found;
  }
  return nullptr;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string queuedKey(const std::string& actionId, const std::string& recordId) {
  std::string key = actionId;
  key += '\x1f';
  key += recordId;
  return key;
}

int64_t millisUntil(Clock::time_point when, Clock::time_point now) {
  return std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(when - now).count());
}

}  // namespace

int64_t retryDelayMs(uint64_t failedAttempts, int64_t initialMs, int64_t maxMs) {
  int64_t delay = std::max<int64_t>(1, initialMs);
  for (uint64_t i = 1; i < failedAttempts && delay < maxMs; ++i) delay *= 2;
  return std::min(delay, std::max<int64_t>(1, maxMs));
}

void appendXmlText(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\r':
        out += "&#13;";  // a bare CR would be normalised away by the listener's parser
        break;
      default:
        // XML 1.0 has no way to carry other C0 control characters, escaped or not.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;
        out.push_back(c);
    }
  }
}

std::string renderEnvelope(const OutboundEnvelope& envelope,
                           const std::vector<OutboundNotification>& notifications) {
  std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                    "\n"
                    R"(<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/")"
                    R"( xmlns:xsd="http://www.w3.org/2001/XMLSchema")"
                    R"( xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">)"
                    "\n <soapenv:Body>\n  <notifications xmlns=\"";
  out += kOutboundNs;
  out += "\">\n   <OrganizationId>";
  appendXmlText(out, envelope.organizationId);
  out += "</OrganizationId>\n   <ActionId>";
  appendXmlText(out, envelope.actionId);
  out += "</ActionId>\n   ";
  if (envelope.sessionId.empty()) {
    out += R"(<SessionId xsi:nil="true"/>)";
  } else {
    out += "<SessionId>";
    appendXmlText(out, envelope.sessionId);
    out += "</SessionId>";
  }
  out += "\n   <EnterpriseUrl>";
  appendXmlText(out, envelope.enterpriseUrl);
  out += "</EnterpriseUrl>\n   <PartnerUrl>";
  appendXmlText(out, envelope.partnerUrl);
  out += "</PartnerUrl>\n";
  for (const auto& notification : notifications) {
    out += "   <Notification>\n    <Id>";
    appendXmlText(out, notification.id);
    out += "</Id>\n    ";
    out += notification.sObjectXml;
    out += "\n   </Notification>\n";
  }
  out += "  </notifications>\n </soapenv:Body>\n</soapenv:Envelope>\n";
  return out;
}

bool isPositiveAck(std::string_view body) {
  // Entity declarations could make a hostile listener's answer expensive to parse.
  if (body.find("<!DOCTYPE") != std::string_view::npos ||
      body.find("<!ENTITY") != std::string_view::npos)
    return false;
  try {
    Poco::XML::DOMParser parser;
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    Poco::AutoPtr<Poco::XML::Document> document = parser.parseMemory(body.data(), body.size());
    Poco::XML::Element* response = findResponse(document);
    if (response == nullptr) return false;
    for (auto* n = response->firstChild(); n != nullptr; n = n->nextSibling()) {
      if (n->nodeType() != Poco::XML::Node::ELEMENT_NODE || n->localName() != "Ack") continue;
      const std::string value = trim(n->innerText());
      return value == "true" || value == "1";  // xsd:boolean
    }
  } catch (const Poco::Exception&) {
  }
  return false;
}

std::string checkLoopbackEndpoint(const std::string& url) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception&) {
    return "endpointUrl is not a valid URL";
  }
  if (uri.getScheme() != "http")
    return "endpointUrl must be an http:// URL (the sandbox delivers on loopback only)";
  const std::string& host = uri.getHost();
  if (host != "localhost" && host != "::1" && host.rfind("127.", 0) != 0)
    return "endpointUrl must point at a loopback host (127.0.0.1, ::1 or localhost), not " + host;
  if (uri.getPort() == 0) return "endpointUrl needs a port";
  return {};
}

OutboundSender::OutboundSender(OutboundDeliveryKnobs knobs)
    : knobs_(knobs), randomState_(knobs.seed), worker_([this] { run(); }) {}

OutboundSender::~OutboundSender() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void OutboundSender::enqueue(const std::string& endpoint, const OutboundEnvelope& envelope,
                             OutboundNotification notification,
                             std::chrono::milliseconds notBefore) {
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    auto& queue = queues_[endpoint];
    Message* tail = queue.empty() ? nullptr : &queue.back();
    if (tail == nullptr || tail->attempts > 0 || tail->inFlight ||
        tail->envelope.actionId != envelope.actionId ||
        tail->notifications.size() >= kMaxNotificationsPerMessage) {
      Message message;
      message.serial = ++serial_;
      message.queuedAt = now;
      message.dueAt = now;
      queue.push_back(std::move(message));
      tail = &queue.back();
    }
    tail->envelope = envelope;  // the newest session id and URLs
    ++queued_[queuedKey(envelope.actionId, notification.recordId)];
    tail->notifications.push_back(std::move(notification));
    tail->dueAt = std::max(tail->dueAt, now + notBefore);
    ++counters_.queued;
  }
  wake_.notify_all();
}

void OutboundSender::refresh(const std::string& actionId,
                             const std::unordered_map<std::string, std::string>& sObjects) {
  std::lock_guard lock(mutex_);
  const bool anyQueued = std::any_of(sObjects.begin(), sObjects.end(), [&](const auto& entry) {
    return queued_.count(queuedKey(actionId, entry.first)) > 0;
  });
  if (!anyQueued) return;
  for (auto& [endpoint, queue] : queues_) {
    for (auto& message : queue) {
      if (message.inFlight || message.envelope.actionId != actionId) continue;
      for (auto& notification : message.notifications) {
        auto fresh = sObjects.find(notification.recordId);
        if (fresh != sObjects.end()) notification.sObjectXml = fresh->second;
      }
    }
  }
}

void OutboundSender::forget(const Message& message) {
  for (const auto& notification : message.notifications) {
    auto entry = queued_.find(queuedKey(message.envelope.actionId, notification.recordId));
    if (entry != queued_.end() && --entry->second == 0) queued_.erase(entry);
  }
}

OutboundDeliveryKnobs OutboundSender::knobs() const {
  std::lock_guard lock(mutex_);
  return knobs_;
}

std::string OutboundSender::setKnobs(const OutboundDeliveryKnobs& knobs) {
  if (knobs.retryInitialMs < 1 || knobs.retryMaxMs < knobs.retryInitialMs)
    return "retryInitialMs must be >= 1 and retryMaxMs >= retryInitialMs";
  if (knobs.maxAgeMs < 1 || knobs.timeoutMs < 1) return "maxAgeMs and timeoutMs must be positive";
  if (knobs.delayMs < 0 || knobs.failNext < 0 || knobs.dropNext < 0)
    return "delayMs, failNext and dropNext must not be negative";
  if (knobs.failShare < 0 || knobs.failShare > 1 || knobs.dropShare < 0 || knobs.dropShare > 1)
    return "failShare and dropShare must be within 0..1";
  {
    std::lock_guard lock(mutex_);
    if (knobs.seed != knobs_.seed) randomState_ = knobs.seed;
    knobs_ = knobs;
  }
  wake_.notify_all();  // un-pausing or shorter intervals take effect at once
  return {};
}

OutboundCounters OutboundSender::counters() const {
  std::lock_guard lock(mutex_);
  OutboundCounters counters = counters_;
  for (const auto& [endpoint, queue] : queues_) {
    counters.pendingMessages += queue.size();
    for (const auto& message : queue) counters.pendingNotifications += message.notifications.size();
  }
  return counters;
}

std::string OutboundSender::toJson() const {
  const OutboundCounters c = counters();
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  JsonWriter json;
  json.beginObject().key("counters").beginObject();
  json.key("queued").value(c.queued).key("pendingMessages").value(c.pendingMessages);
  json.key("pendingNotifications").value(c.pendingNotifications);
  json.key("deliveredMessages").value(c.deliveredMessages);
  json.key("deliveredNotifications").value(c.deliveredNotifications);
  json.key("attempts").value(c.attempts).key("failedAttempts").value(c.failedAttempts);
  json.key("droppedMessages").value(c.droppedMessages);
  json.key("expiredMessages").value(c.expiredMessages).endObject();
  json.key("knobs").beginObject();
  json.key("retryInitialMs").value(knobs_.retryInitialMs);
  json.key("retryMaxMs").value(knobs_.retryMaxMs).key("maxAgeMs").value(knobs_.maxAgeMs);
  json.key("timeoutMs").value(knobs_.timeoutMs).key("delayMs").value(knobs_.delayMs);
  json.key("failNext").value(knobs_.failNext).key("failShare").value(knobs_.failShare);
  json.key("dropNext").value(knobs_.dropNext).key("dropShare").value(knobs_.dropShare);
  json.key("paused").value(knobs_.paused).key("seed").value(knobs_.seed).endObject();
  json.key("endpoints").beginArray();
  for (const auto& [endpoint, queue] : queues_) {
    json.beginObject().key("endpoint").value(redactUrl(endpoint)).key("messages").beginArray();
    for (const auto& message : queue) {
      json.beginObject().key("serial").value(message.serial);
      json.key("actionId").value(message.envelope.actionId);
      json.key("notifications").value(static_cast<uint64_t>(message.notifications.size()));
      json.key("recordIds").beginArray();
      for (const auto& notification : message.notifications) json.value(notification.recordId);
      json.endArray();
      json.key("attempts").value(message.attempts).key("inFlight").value(message.inFlight);
      json.key("ageMs").value(millisUntil(now, message.queuedAt));
      json.key("nextAttemptInMs").value(millisUntil(message.dueAt, now));
      json.key("lastError");
      if (message.lastError.empty())
        json.null();
      else
        json.value(message.lastError);
      json.endObject();
    }
    json.endArray().endObject();
  }
  json.endArray().endObject();
  return json.take();
}

void OutboundSender::retryNow() {
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    for (auto& [endpoint, queue] : queues_)
      for (auto& message : queue) message.dueAt = std::min(message.dueAt, now);
  }
  wake_.notify_all();
}

void OutboundSender::clear() {
  {
    std::lock_guard lock(mutex_);
    // A message in flight stays until its attempt ends (the sender finds it by serial).
    for (auto& [endpoint, queue] : queues_) {
      std::erase_if(queue, [this](const Message& message) {
        if (message.inFlight) return false;
        forget(message);
        return true;
      });
    }
    std::erase_if(queues_, [](const auto& entry) { return entry.second.empty(); });
    counters_ = OutboundCounters{};
    if (queues_.empty()) idle_.notify_all();
  }
  wake_.notify_all();
}

bool OutboundSender::waitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return queues_.empty(); });
}

bool OutboundSender::nextDue(std::string& endpoint, SteadyTime& due) {
  bool found = false;
  for (const auto& [url, queue] : queues_) {
    if (queue.empty() || queue.front().inFlight) continue;
    if (!found || queue.front().dueAt < due) {
      endpoint = url;
      due = queue.front().dueAt;
      found = true;
    }
  }
  return found;
}

OutboundSender::Message* OutboundSender::findMessage(const std::string& endpoint, uint64_t serial) {
  auto queue = queues_.find(endpoint);
  if (queue == queues_.end()) return nullptr;
  for (auto& message : queue->second)
    if (message.serial == serial) return &message;
  return nullptr;
}

bool OutboundSender::drawFault(int64_t& next, double share) {
  if (next > 0) {
    --next;
    return true;
  }
  if (share <= 0) return false;
  // SplitMix64, as the core's fault injector: reproducible for a given seed.
  uint64_t z = (randomState_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53 < share;
}

void OutboundSender::finish(const std::string& endpoint, uint64_t serial, Outcome outcome,
                            const std::string& error) {
  Message* message = findMessage(endpoint, serial);
  if (message == nullptr) return;  // cleared while in flight
  message->inFlight = false;
  if (outcome == Outcome::kFailed) {
    ++counters_.failedAttempts;
    message->lastError = error;
    message->dueAt =
        Clock::now() + std::chrono::milliseconds(retryDelayMs(
                           message->attempts, knobs_.retryInitialMs, knobs_.retryMaxMs));
    return;
  }
  if (outcome == Outcome::kAcknowledged) {
    ++counters_.deliveredMessages;
    counters_.deliveredNotifications += message->notifications.size();
  } else if (outcome == Outcome::kDropped) {
    ++counters_.droppedMessages;
  } else {
    ++counters_.expiredMessages;
  }
  forget(*message);
  auto& queue = queues_[endpoint];
  std::erase_if(queue, [serial](const Message& m) { return m.serial == serial; });
  if (queue.empty()) queues_.erase(endpoint);
  if (queues_.empty()) idle_.notify_all();
}

void OutboundSender::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    std::string endpoint;
    SteadyTime due;
    if (knobs_.paused || !nextDue(endpoint, due)) {
      wake_.wait(lock);
      continue;
    }
    const auto now = Clock::now();
    if (due > now) {
      wake_.wait_until(lock, due);
      continue;
    }
    Message& head = queues_[endpoint].front();
    const uint64_t serial = head.serial;
    if (now - head.queuedAt >= std::chrono::milliseconds(knobs_.maxAgeMs)) {
      finish(endpoint, serial, Outcome::kExpired, {});
      continue;
    }
    // The drop knob loses a message before its first attempt, as a message that expired would.
    if (head.attempts == 0 && drawFault(knobs_.dropNext, knobs_.dropShare)) {
      finish(endpoint, serial, Outcome::kDropped, {});
      continue;
    }
    head.inFlight = true;
    ++head.attempts;
    ++counters_.attempts;
    const bool fail = drawFault(knobs_.failNext, knobs_.failShare);
    const std::string body = renderEnvelope(head.envelope, head.notifications);
    const int64_t delayMs = knobs_.delayMs;
    const int64_t timeoutMs = knobs_.timeoutMs;
    if (delayMs > 0 &&
        wake_.wait_for(lock, std::chrono::milliseconds(delayMs), [this] { return stopping_; }))
      return;
    std::string error;
    Outcome outcome = Outcome::kFailed;
    if (fail) {
      error = "failed by the failNext/failShare knob";
    } else {
      lock.unlock();
      outcome = post(endpoint, body, timeoutMs, error);
      lock.lock();
    }
    finish(endpoint, serial, outcome, error);
  }
}

OutboundSender::Outcome OutboundSender::post(const std::string& endpoint, const std::string& body,
                                             int64_t timeoutMs, std::string& error) const {
  try {
    const Poco::URI uri(endpoint);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(timeoutMs * 1000));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("text/xml; charset=utf-8");
    request.set("SOAPAction", "\"\"");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string answer;
    char buffer[4096];
    while (in && answer.size() < kMaxAnswerBytes) {
      in.read(buffer, sizeof buffer);
      answer.append(buffer, static_cast<size_t>(in.gcount()));
    }
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
      error = "HTTP " + std::to_string(static_cast<int>(response.getStatus()));
      return Outcome::kFailed;
    }
    if (!isPositiveAck(answer)) {
      error = "the answer carries no <Ack>true</Ack>";
      return Outcome::kFailed;
    }
    return Outcome::kAcknowledged;
  } catch (const Poco::Exception& e) {
    // Poco's texts name the failure (refused, timeout), never the URL and its secret.
    error = e.displayText();
  } catch (const std::exception& e) {
    error = e.what();
  }
  return Outcome::kFailed;
}

}  // namespace ferry::sandbox::salesforce
