// Internal: the Outbound Message queue and its background sender. Notifications are queued per
// endpoint in order and batched into SOAP messages of up to 100 (same action, not yet attempted);
// the head message of an endpoint is retried with growing intervals until the listener answers
// <Ack>true</Ack>, so nothing behind it overtakes it. Thread-safe: the service enqueues under its
// own call serialisation, the sender thread only ever touches this object.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ferry/sandbox/salesforce/outbound.hpp"

namespace ferry::sandbox::salesforce {

inline constexpr size_t kMaxNotificationsPerMessage = 100;

// The envelope fields every notification of one message shares.
struct OutboundEnvelope {
  std::string actionId;
  std::string organizationId;
  std::string sessionId;  // empty: <SessionId xsi:nil="true"/>
  std::string enterpriseUrl;
  std::string partnerUrl;
};

struct OutboundNotification {
  std::string id;          // 04l… notification id
  std::string recordId;    // for refreshes and the queue view
  std::string sObjectXml;  // the rendered <sObject> element
};

struct OutboundCounters {
  uint64_t queued = 0;           // notifications ever queued
  uint64_t pendingMessages = 0;  // not yet delivered, dropped or expired
  uint64_t pendingNotifications = 0;
  uint64_t deliveredMessages = 0;  // acknowledged with <Ack>true</Ack>
  uint64_t deliveredNotifications = 0;
  uint64_t attempts = 0;         // HTTP requests made (or failed by the knob)
  uint64_t failedAttempts = 0;   // attempts without an acknowledgement
  uint64_t droppedMessages = 0;  // lost on purpose by the drop knob
  uint64_t expiredMessages = 0;  // older than maxAgeMs
};

// The retry interval after `failedAttempts` failures: initial, doubled each time, capped.
int64_t retryDelayMs(uint64_t failedAttempts, int64_t initialMs, int64_t maxMs);
// XML character data: escapes markup characters, drops characters XML 1.0 cannot carry.
void appendXmlText(std::string& out, std::string_view text);
// The SOAP 1.1 request Salesforce posts.
std::string renderEnvelope(const OutboundEnvelope& envelope,
                           const std::vector<OutboundNotification>& notifications);
// True when `body` is a SOAP answer whose notificationsResponse carries Ack true.
bool isPositiveAck(std::string_view body);
// Empty when `url` is an http:// URL on 127.0.0.1, ::1 or localhost; otherwise the reason.
std::string checkLoopbackEndpoint(const std::string& url);

class OutboundSender {
 public:
  explicit OutboundSender(OutboundDeliveryKnobs knobs);
  ~OutboundSender();
  OutboundSender(const OutboundSender&) = delete;
  OutboundSender& operator=(const OutboundSender&) = delete;

  // Appends to the endpoint's last message when it belongs to the same action, has not been
  // tried yet and has room; otherwise starts a new message. Not sent before `notBefore`.
  void enqueue(const std::string& endpoint, const OutboundEnvelope& envelope,
               OutboundNotification notification, std::chrono::milliseconds notBefore);
  // Queued (not in-flight) notifications of this action for these records (id -> <sObject>)
  // carry the new rendering from now on: Salesforce sends a record as it is when the message
  // leaves, not as it was queued. No queue scan unless one of them is queued.
  void refresh(const std::string& actionId,
               const std::unordered_map<std::string, std::string>& sObjects);

  OutboundDeliveryKnobs knobs() const;
  // Validates ranges; returns the reason (empty when accepted; nothing changes otherwise).
  std::string setKnobs(const OutboundDeliveryKnobs& knobs);
  OutboundCounters counters() const;
  // {"counters":{…},"knobs":{…},"endpoints":[{"endpoint","messages":[…]}]}
  std::string toJson() const;
  void retryNow();  // every waiting message becomes due
  void clear();     // drops queued messages and zeroes the counters
  // Blocks until nothing is queued or in flight, or the timeout passes; true when idle.
  bool waitIdle(std::chrono::milliseconds timeout);

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Message {
    uint64_t serial = 0;
    OutboundEnvelope envelope;
    std::vector<OutboundNotification> notifications;
    SteadyTime queuedAt;
    SteadyTime dueAt;
    uint64_t attempts = 0;
    bool inFlight = false;
    std::string lastError;
  };
  enum class Outcome { kAcknowledged, kFailed, kDropped, kExpired };

  void run();
  // The endpoint whose head message is due first (caller holds mutex_); false when none.
  bool nextDue(std::string& endpoint, SteadyTime& due);
  Message* findMessage(const std::string& endpoint, uint64_t serial);  // caller holds mutex_
  void forget(const Message& message);  // its notifications leave queued_; caller holds mutex_
  void finish(const std::string& endpoint, uint64_t serial, Outcome outcome,
              const std::string& error);        // caller holds mutex_
  bool drawFault(int64_t& next, double share);  // caller holds mutex_
  Outcome post(const std::string& endpoint, const std::string& body, int64_t timeoutMs,
               std::string& error) const;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  OutboundDeliveryKnobs knobs_;
  uint64_t randomState_ = 1;
  std::map<std::string, std::deque<Message>> queues_;  // endpoint -> messages in order
  // "<actionId>\x1f<recordId>" -> notifications queued, so most refreshes skip the scan
  std::unordered_map<std::string, uint32_t> queued_;
  uint64_t serial_ = 0;
  OutboundCounters counters_;
  bool stopping_ = false;
  std::thread worker_;  // last: starts once everything above is initialised
};

}  // namespace ferry::sandbox::salesforce
