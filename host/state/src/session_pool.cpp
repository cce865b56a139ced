#include "session_pool.hpp"

#include <Poco/Data/DataException.h>

namespace ferry::host::state {

SessionPool::SessionPool(Factory factory, std::size_t maxSessions,
                         std::chrono::milliseconds waitLimit)
    : factory_(std::move(factory)), maxSessions_(maxSessions), waitLimit_(waitLimit) {}

SessionPool::Handle::Handle(SessionPool& pool, std::unique_ptr<Poco::Data::Session> session,
                            bool reused)
    : pool_(&pool), session_(std::move(session)), reused_(reused) {}

SessionPool::Handle::Handle(Handle&& other) noexcept
    : pool_(other.pool_), session_(std::move(other.session_)), reused_(other.reused_) {
  other.pool_ = nullptr;
}

SessionPool::Handle::~Handle() {
  if (pool_ != nullptr) pool_->giveBack(std::move(session_));
}

SessionPool::Handle SessionPool::acquire() {
  std::unique_lock lock(mutex_);
  const bool ready =
      available_.wait_for(lock, waitLimit_, [&] { return !idle_.empty() || open_ < maxSessions_; });
  if (!ready) {
    throw Poco::Data::SessionPoolExhaustedException("all " + std::to_string(maxSessions_) +
                                                    " state store sessions stayed busy");
  }
  if (!idle_.empty()) {
    auto session = std::move(idle_.back());
    idle_.pop_back();
    return Handle(*this, std::move(session), /*reused=*/true);
  }
  ++open_;  // reserve the slot, then connect without holding the lock
  lock.unlock();
  try {
    return Handle(*this, factory_(), /*reused=*/false);
  } catch (...) {
    lock.lock();
    --open_;
    available_.notify_one();
    throw;
  }
}

void SessionPool::discardIdle() {
  std::vector<std::unique_ptr<Poco::Data::Session>> dropped;
  {
    std::lock_guard lock(mutex_);
    open_ -= idle_.size();
    dropped.swap(idle_);
    available_.notify_all();
  }
  // Closed outside the lock: closing a dead connection may take a moment.
}

void SessionPool::giveBack(std::unique_ptr<Poco::Data::Session> session) {
  std::lock_guard lock(mutex_);
  if (session) {
    idle_.push_back(std::move(session));
  } else {
    --open_;  // discarded: its slot is free for a fresh connection
  }
  available_.notify_one();
}

}  // namespace ferry::host::state
