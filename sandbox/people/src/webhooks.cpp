#include "webhooks.hpp"

#include <algorithm>
#include <limits>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include "ferry/sandbox/json_writer.hpp"
#include "person_input.hpp"

namespace ferry::sandbox::people {

namespace {

void writePersonBlock(JsonWriter& w, const Person& person) {
  // Webhooks carry the id as a string (§1, §11).
  w.key("person").beginObject().key("id").value(std::to_string(person.id));
  for (const char* name : {"externalId", "firstName", "lastName"}) {
    const auto value = person.field(name);
    if (!value.empty()) w.key(name).value(value);
  }
  w.key("email").beginArray();
  for (const auto& e : person.emails) w.value(e.value);
  w.endArray().key("phone").beginArray();
  for (const auto& p : person.phones) w.value(p.value);
  w.endArray().endObject();
}

// Opens {"type","timestamp","payload":{person, invoker, ...; the caller adds the rest and closes.
void beginEvent(JsonWriter& w, const char* type, const Person& person, const EventContext& c) {
  w.beginObject().key("type").value(type).key("timestamp").value(c.timestamp);
  w.key("payload").beginObject();
  writePersonBlock(w, person);
  w.key("invoker").beginObject().key("type").value(c.invokerType).key("id").value(c.invokerId);
  if (!c.invokerName.empty()) w.key("name").value(c.invokerName);
  if (!c.invokerEmail.empty()) w.key("email").value(c.invokerEmail);
  w.endObject();
}

std::string endEvent(JsonWriter& w) {
  w.endObject().endObject();
  return w.take();
}

void writeSource(JsonWriter& w, const EventContext& c) {
  w.key("source").value(c.source).key("sourceId").value(c.sourceId);
}

void attributeChanged(std::vector<std::string>& out, const Person& after, const EventContext& c,
                      const std::string& name, const Poco::Dynamic::Var& from,
                      const Poco::Dynamic::Var& to) {
  JsonWriter w;
  beginEvent(w, "PERSON_ATTRIBUTE_CHANGED", after, c);
  w.key("attributeName").value(name).key("from").value(from).key("to").value(to);
  writeSource(w, c);
  out.push_back(endEvent(w));
}

void contactEvents(std::vector<std::string>& out, const Person& after, const EventContext& c,
                   const std::vector<Contact>& before, const std::vector<Contact>& now,
                   bool email) {
  auto has = [email](const std::vector<Contact>& list, const Contact& contact) {
    return std::any_of(list.begin(), list.end(),
                       [&](const Contact& x) { return sameContact(x, contact, email); });
  };
  const char* channel = email ? "EMAIL" : "MSISDN";
  auto emit = [&](const char* type, const Contact& contact) {
    JsonWriter w;
    beginEvent(w, type, after, c);
    w.key("channelData").beginObject().key("type").value(channel).key("value").value(contact.value);
    writeSource(w, c);
    w.endObject();
    out.push_back(endEvent(w));
  };
  for (const auto& contact : now) {
    if (!has(before, contact)) emit("PERSON_CONTACT_INFORMATION_CREATED", contact);
  }
  for (const auto& contact : before) {
    if (!has(now, contact)) emit("PERSON_CONTACT_INFORMATION_DELETED", contact);
  }
}

}  // namespace

std::vector<std::string> personEvents(const Person* before, const Person* after,
                                      const EventContext& c) {
  std::vector<std::string> out;
  if (before == nullptr && after == nullptr) return out;
  if (before == nullptr) {
    JsonWriter w;
    beginEvent(w, "PERSON_CREATED", *after, c);
    w.key("personType").value(after->type());
    writeSource(w, c);
    out.push_back(endEvent(w));
    return out;
  }
  if (after == nullptr) {
    JsonWriter w;
    beginEvent(w, "PERSON_DELETED", *before, c);
    w.key("personType").value(before->type()).key("source").value(c.source);
    out.push_back(endEvent(w));
    return out;
  }
  using Poco::Dynamic::Var;
  for (const auto& spec : personFieldSpecs()) {
    const std::string name = spec.name;
    const auto from = name == "type" ? before->type() : before->field(name);
    const auto to = name == "type" ? after->type() : after->field(name);
    if (from == to) continue;
    attributeChanged(out, *after, c, name, from.empty() ? Var() : Var(from),
                     to.empty() ? Var() : Var(to));
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : before->customAttributes) names.push_back(name);
  for (const auto& [name, value] : after->customAttributes) names.push_back(name);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const auto& name : names) {
    const auto b = before->customAttributes.find(name);
    const auto a = after->customAttributes.find(name);
    const Var from = b == before->customAttributes.end() ? Var() : b->second;
    const Var to = a == after->customAttributes.end() ? Var() : a->second;
    if (canonicalJson(from) != canonicalJson(to)) attributeChanged(out, *after, c, name, from, to);
  }
  for (const auto& tag : after->tags) {
    if (std::find(before->tags.begin(), before->tags.end(), tag) != before->tags.end()) continue;
    JsonWriter w;
    beginEvent(w, "PERSON_TAG_ADDED", *after, c);
    w.key("addedTag").value(tag);
    writeSource(w, c);
    out.push_back(endEvent(w));
  }
  for (const auto& tag : before->tags) {
    if (std::find(after->tags.begin(), after->tags.end(), tag) != after->tags.end()) continue;
    JsonWriter w;
    beginEvent(w, "PERSON_TAG_DELETED", *after, c);
    w.key("removedTag").value(tag);
    writeSource(w, c);
    out.push_back(endEvent(w));
  }
  contactEvents(out, *after, c, before->emails, after->emails, true);
  contactEvents(out, *after, c, before->phones, after->phones, false);
  return out;
}

std::string mergedEvent(const Person& survivor, const EventContext& c) {
  JsonWriter w;
  beginEvent(w, "PERSON_MERGED", survivor, c);
  writeSource(w, c);
  return endEvent(w);
}

WebhookDispatcher::WebhookDispatcher(int attempts, std::chrono::milliseconds retryDelay)
    : attempts_(std::max(1, attempts)), retryDelay_(retryDelay), worker_([this] { run(); }) {}

WebhookDispatcher::~WebhookDispatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

std::string WebhookDispatcher::setUrl(const std::string& url) {
  if (!url.empty()) {
    try {
      const Poco::URI uri(url);
      if (uri.getScheme() != "http" || uri.getHost().empty()) {
        return "webhook URL must be an http:// URL with a host";
      }
    } catch (const Poco::Exception& e) {
      return "webhook URL is invalid: " + e.message();
    }
  }
  std::lock_guard lock(mutex_);
  url_ = url;
  return {};
}

std::string WebhookDispatcher::url() const {
  std::lock_guard lock(mutex_);
  return url_;
}

void WebhookDispatcher::enqueue(std::vector<std::string> bodies) {
  {
    std::lock_guard lock(mutex_);
    if (url_.empty()) return;
    for (auto& body : bodies) {
      queue_.push_back({url_, std::move(body)});
      ++stats_.queued;
    }
  }
  wake_.notify_all();
}

WebhookStats WebhookDispatcher::stats() const {
  std::lock_guard lock(mutex_);
  WebhookStats stats = stats_;
  stats.pending = queue_.size() + (inFlight_ ? 1 : 0);
  return stats;
}

bool WebhookDispatcher::waitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !inFlight_; });
}

void WebhookDispatcher::clear() {
  std::lock_guard lock(mutex_);
  queue_.clear();
  const bool busy = inFlight_;
  stats_ = WebhookStats{};
  inFlight_ = busy;
}

void WebhookDispatcher::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    inFlight_ = true;
    bool delivered = false;
    auto delay = retryDelay_;
    for (int attempt = 1; attempt <= attempts_ && !delivered; ++attempt) {
      ++stats_.attempts;
      lock.unlock();
      delivered = deliver(job);
      lock.lock();
      if (delivered || attempt == attempts_) break;
      // Interruptible back-off: shutting down never waits for a retry delay.
      if (wake_.wait_for(lock, delay, [this] { return stopping_; })) return;
      delay *= 2;
    }
    ++(delivered ? stats_.delivered : stats_.failed);
    inFlight_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

bool WebhookDispatcher::deliver(const Job& job) {
  try {
    const Poco::URI uri(job.url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(2, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(job.body.size()));
    session.sendRequest(request) << job.body;
    Poco::Net::HTTPResponse response;
    auto& in = session.receiveResponse(response);
    in.ignore(std::numeric_limits<std::streamsize>::max());
    return response.getStatus() >= 200 && response.getStatus() < 300;
  } catch (const Poco::Exception&) {
    return false;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace ferry::sandbox::people
