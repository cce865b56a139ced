// A small blocking pool of Poco::Data sessions. Poco's own SessionPool throws as soon as every
// session is busy; the store's callers (scheduler threads, API handlers) would rather wait a
// little for a connection than fail a batch.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <Poco/Data/Session.h>

namespace ferry::host::state {

class SessionPool {
 public:
  // Opens and configures one new session; throws Poco::Exception when it cannot.
  using Factory = std::function<std::unique_ptr<Poco::Data::Session>()>;

  SessionPool(Factory factory, std::size_t maxSessions, std::chrono::milliseconds waitLimit);
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // A borrowed session, returned to the pool when destroyed unless discard() was called
  // (used after a lost connection, so a broken session is never handed out again).
  class Handle {
   public:
    Handle(SessionPool& pool, std::unique_ptr<Poco::Data::Session> session, bool reused);
    Handle(Handle&& other) noexcept;
    Handle& operator=(Handle&&) = delete;
    ~Handle();
    Poco::Data::Session& operator*() const { return *session_; }
    Poco::Data::Session* operator->() const { return session_.get(); }
    void discard() { session_.reset(); }
    // True when the session was used before: its connection may have died while it sat idle.
    bool reused() const { return reused_; }

   private:
    SessionPool* pool_;
    std::unique_ptr<Poco::Data::Session> session_;
    bool reused_;
  };

  // Waits up to the wait limit for a free session, opening a new one while under the maximum.
  // Throws Poco::Data::SessionPoolExhaustedException on timeout.
  Handle acquire();
  // Closes every idle session: after one was found dead, the others (connected to the same
  // server, idle as long) are likely dead too.
  void discardIdle();

 private:
  void giveBack(std::unique_ptr<Poco::Data::Session> session);

  Factory factory_;
  const std::size_t maxSessions_;
  const std::chrono::milliseconds waitLimit_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Poco::Data::Session>> idle_;
  std::size_t open_ = 0;  // idle + borrowed + being opened
};

}  // namespace ferry::host::state
