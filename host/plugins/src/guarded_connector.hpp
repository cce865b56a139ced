// The host's last defence around a plugin's connector: every call is made inside try/catch so a
// plugin that lets an exception escape produces a kInternal Error naming the plugin instead of
// unwinding through host frames. Also holds the library so it outlives the connector.
#pragma once

#include <memory>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "ferry/sdk/connector.hpp"

namespace ferry::host::detail {

// Runs fn; an escaping exception becomes an Error "plugin '<name>': <what> threw: ...".
template <typename Fn>
auto callPlugin(const std::string& plugin, const char* what, Fn&& fn) noexcept -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return sdk::Error::make(sdk::ErrorCode::kInternal,
                            "plugin '" + plugin + "': " + what + " threw: " + e.what());
  } catch (...) {
    return sdk::Error::make(sdk::ErrorCode::kInternal,
                            "plugin '" + plugin + "': " + what + " threw a non-standard exception");
  }
}

class GuardedSource final : public sdk::Source {
 public:
  explicit GuardedSource(const std::string& plugin) : plugin_(plugin) {}
  void bind(sdk::Source* inner) noexcept { inner_ = inner; }
  sdk::Result<sdk::ReadBatch> read(const sdk::ReadRequest& request) override {
    return callPlugin(plugin_, "read", [&] { return inner_->read(request); });
  }

 private:
  const std::string& plugin_;
  sdk::Source* inner_ = nullptr;
};

class GuardedSink final : public sdk::Sink {
 public:
  explicit GuardedSink(const std::string& plugin) : plugin_(plugin) {}
  void bind(sdk::Sink* inner) noexcept { inner_ = inner; }
  sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> lookup(
      const std::string& entity, const std::vector<sdk::LookupQuery>& queries,
      const std::vector<std::string>& fields) override {
    return callPlugin(plugin_, "lookup", [&] { return inner_->lookup(entity, queries, fields); });
  }
  sdk::Result<std::vector<sdk::WriteResult>> write(const std::string& entity,
                                                   const std::vector<sdk::WriteOp>& ops) override {
    return callPlugin(plugin_, "write", [&] { return inner_->write(entity, ops); });
  }
  std::size_t maxBatch(const std::string& entity) const override {
    try {
      return inner_->maxBatch(entity);
    } catch (...) {
      return 1;  // the smallest batch is always safe
    }
  }

 private:
  const std::string& plugin_;
  sdk::Sink* inner_ = nullptr;
};

class GuardedPush final : public sdk::PushIntake {
 public:
  explicit GuardedPush(const std::string& plugin) : plugin_(plugin) {}
  void bind(sdk::PushIntake* inner) noexcept { inner_ = inner; }
  sdk::Result<sdk::PushResult> handlePush(const sdk::InboundRequest& request) override {
    return callPlugin(plugin_, "handlePush", [&] { return inner_->handlePush(request); });
  }

 private:
  const std::string& plugin_;
  sdk::PushIntake* inner_ = nullptr;
};

class GuardedConnector final : public sdk::Connector {
 public:
  GuardedConnector(std::shared_ptr<boost::dll::shared_library> library, std::string plugin,
                   std::unique_ptr<sdk::Connector> inner)
      : library_(std::move(library)), plugin_(std::move(plugin)), inner_(std::move(inner)) {}

  // Members die in reverse order, so inner_ (code in the plugin) goes before library_.
  ~GuardedConnector() override = default;

  sdk::Status start() override {
    return callPlugin(plugin_, "start", [&] { return inner_->start(); });
  }
  void stop() noexcept override {
    try {
      inner_->stop();
    } catch (...) {  // stop() is noexcept by contract; a plugin breaking it must not kill us
    }
  }
  sdk::Result<std::vector<sdk::EntitySchema>> describe() override {
    return callPlugin(plugin_, "describe", [&] { return inner_->describe(); });
  }
  sdk::Status check() override {
    return callPlugin(plugin_, "check", [&] { return inner_->check(); });
  }
  sdk::Source* source() override {
    return wrap(source_, [&] { return inner_->source(); });
  }
  sdk::Sink* sink() override {
    return wrap(sink_, [&] { return inner_->sink(); });
  }
  sdk::PushIntake* push() override {
    return wrap(push_, [&] { return inner_->push(); });
  }

 private:
  template <typename Wrapper, typename Get>
  Wrapper* wrap(Wrapper& wrapper, Get&& get) noexcept {
    try {
      auto* role = get();
      if (role == nullptr) return nullptr;
      wrapper.bind(role);
      return &wrapper;
    } catch (...) {
      return nullptr;
    }
  }

  std::shared_ptr<boost::dll::shared_library> library_;  // first member: destroyed last
  std::string plugin_;
  std::unique_ptr<sdk::Connector> inner_;
  GuardedSource source_{plugin_};
  GuardedSink sink_{plugin_};
  GuardedPush push_{plugin_};
};

}  // namespace ferry::host::detail
