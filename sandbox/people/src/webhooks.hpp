// The People webhook (§11): event bodies built from a person's before/after state, and a small
// background sender so a request that triggers events never waits for their delivery.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "model.hpp"

namespace ferry::sandbox::people {

struct EventContext {
  std::string source;  // PORTAL | API
  std::string sourceId;
  std::string invokerType;  // user | client | system
  std::string invokerId;
  std::string invokerName;
  std::string invokerEmail;
  std::string timestamp;  // 2025-09-10T13:47:40.032+00:00
};

// PERSON_CREATED (before null), PERSON_DELETED (after null), or one event per changed attribute,
// added/removed tag and added/removed email or phone.
std::vector<std::string> personEvents(const Person* before, const Person* after,
                                      const EventContext& context);
std::string mergedEvent(const Person& survivor, const EventContext& context);

struct WebhookStats {
  uint64_t queued = 0;
  uint64_t delivered = 0;
  uint64_t failed = 0;    // gave up after every attempt
  uint64_t attempts = 0;  // HTTP requests made, retries included
  size_t pending = 0;
};

class WebhookDispatcher {
 public:
  WebhookDispatcher(int attempts, std::chrono::milliseconds retryDelay);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // Only http:// URLs are accepted (the sandbox listens and calls on loopback); returns an error
  // message or "" when set. An empty URL switches deliveries off.
  std::string setUrl(const std::string& url);
  std::string url() const;
  void enqueue(std::vector<std::string> bodies);  // dropped when no URL is set
  WebhookStats stats() const;
  // Blocks until nothing is queued or in flight, or the timeout passes; true when idle.
  bool waitIdle(std::chrono::milliseconds timeout);
  void clear();  // drops queued events and zeroes the statistics

 private:
  struct Job {
    std::string url;
    std::string body;
  };
  void run();
  bool deliver(const Job& job);  // one HTTP attempt

  const int attempts_;
  const std::chrono::milliseconds retryDelay_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Job> queue_;
  bool inFlight_ = false;
  bool stopping_ = false;
  std::string url_;
  WebhookStats stats_;
  std::thread worker_;
};

}  // namespace ferry::sandbox::people
