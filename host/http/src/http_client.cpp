#include "ferry/host/http/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <optional>
#include <random>

#include <zlib.h>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include "ferry/host/common/clock.hpp"
#include "ferry/host/common/logging.hpp"
#include "ferry/host/http/rate_limit.hpp"

namespace ferry::host {
namespace {

using sdk::Error;
using sdk::ErrorCode;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kDefaultBucket = "default";
const std::vector<double> kLatencyBoundsMs{5,   10,   25,   50,   100,   250,
                                           500, 1000, 2500, 5000, 10000, 30000};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool validMethod(const std::string& m) {
  return !m.empty() && std::all_of(m.begin(), m.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) != 0;
  });
}

// Trusted-CA contexts are expensive (they load the whole CA directory): one per location.
Poco::Net::Context::Ptr clientContext(const std::string& caLocation) {
  static std::mutex mutex;
  static std::map<std::string, Poco::Net::Context::Ptr> contexts;
  static std::once_flag sslInit;
  std::call_once(sslInit, [] { Poco::Net::initializeSSL(); });
  std::lock_guard lock(mutex);
  auto it = contexts.find(caLocation);
  if (it != contexts.end()) return it->second;
  Poco::Net::Context::Params params;
  params.caLocation = caLocation;
  // Strict: the server certificate must verify and match the host name, loopback included.
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.loadDefaultCAs = caLocation.empty();
  params.cipherList = "HIGH:!aNULL:!MD5:!RC4";
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  ctx->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                        Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
  contexts.emplace(caLocation, ctx);
  // Without a handler, Poco would look for an Application configuration inside OpenSSL's verify
  // callback and throw through C code. Reject is the only acceptable answer to a bad cert.
  static std::once_flag handlerInit;
  std::call_once(handlerInit, [&ctx] {
    Poco::Net::SSLManager::instance().initializeClient(
        nullptr, new Poco::Net::RejectCertificateHandler(false), ctx);
  });
  return ctx;
}

struct Target {
  bool https = false;
  std::string host;
  std::uint16_t port = 0;
  std::string pathAndQuery;
  std::string origin;   // scheme://host:port, the pool key
  std::string display;  // scheme://host[:port]/path, safe to log (no query)
};

sdk::Result<Target> parseTarget(const std::string& url) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    return Error::make(ErrorCode::kInvalidArgument, "invalid URL: " + e.message());
  }
  Target t;
  const std::string scheme = lower(uri.getScheme());
  if (scheme != "http" && scheme != "https") {
    return Error::make(ErrorCode::kInvalidArgument,
                       "URL scheme must be http or https, got '" + scheme + "'");
  }
  if (uri.getHost().empty()) return Error::make(ErrorCode::kInvalidArgument, "URL has no host");
  t.https = scheme == "https";
  t.host = uri.getHost();
  t.port = uri.getPort();
  t.pathAndQuery = uri.getPathAndQuery();
  if (t.pathAndQuery.empty()) t.pathAndQuery = "/";
  t.origin = scheme + "://" + t.host + ":" + std::to_string(t.port);
  t.display = scheme + "://" + uri.getAuthority() + (uri.getPath().empty() ? "/" : uri.getPath());
  // Credentials in the authority must not reach logs.
  if (!uri.getUserInfo().empty()) {
    t.display = scheme + "://" + t.host + ":" + std::to_string(t.port) + uri.getPath();
  }
  return t;
}

// A failure to obtain a response; `sent` says whether the request may have reached the server.
struct NetworkFailure {
  Error error;
  bool mayHaveReachedServer = false;
};

struct BodyTooLarge {};

// Inflates a gzip (also multi-member) or zlib body; an error text when it is not valid.
std::optional<std::string> inflateBody(const std::string& in, std::size_t limit, std::string& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return "zlib initialisation failed";  // 32: auto-detect
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[32768];
  std::optional<std::string> error;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > limit) {
      error = "inflated body larger than " + std::to_string(limit) + " bytes";
      break;
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another gzip member follows
      continue;
    }
    if (rc != Z_OK) {
      error = zs.msg != nullptr ? zs.msg : "corrupt data";
      break;
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      error = "truncated compressed body";
      break;
    }
  }
  inflateEnd(&zs);
  return error;
}

void readAll(std::istream& in, std::string& out, std::size_t limit) {
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    if (out.size() + n > limit) throw BodyTooLarge{};
    out.append(buf, n);
  }
}

}  // namespace

struct PocoHttpClient::Impl {
  struct Pooled {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    SteadyClock::time_point idleSince;
  };
  struct Lease {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    bool reused = false;
  };
  struct Metrics {
    CounterFamily* requests = nullptr;
    CounterFamily* retries = nullptr;
    CounterFamily* throttled = nullptr;
    CounterFamily* rateWait = nullptr;
    CounterFamily* bytesOut = nullptr;
    CounterFamily* bytesIn = nullptr;
    CounterFamily* opened = nullptr;
    HistogramFamily* latency = nullptr;
  };

  explicit Impl(HttpClientOptions o) : options(std::move(o)) {
    clock = options.clock != nullptr ? options.clock : &systemClock();
    logger = options.logger ? options.logger : getLogger("ferry.http");
    rng.seed(options.jitterSeed != 0 ? options.jitterSeed : std::random_device{}());
    stats.latency.boundsMs = kLatencyBoundsMs;
    stats.latency.counts.assign(kLatencyBoundsMs.size() + 1, 0);
    if (options.metrics != nullptr) {
      auto& r = *options.metrics;
      metrics.requests = &r.counter("ferry_http_requests_total",
                                    "HTTP attempts by bucket and status (\"error\": no response).",
                                    {"connection", "bucket", "status"});
      metrics.retries = &r.counter("ferry_http_retries_total", "HTTP attempts after the first.",
                                   {"connection", "bucket"});
      metrics.throttled =
          &r.counter("ferry_http_throttled_total", "HTTP 429 answers.", {"connection", "bucket"});
      metrics.rateWait = &r.counter("ferry_http_rate_limit_wait_seconds_total",
                                    "Time spent waiting for client-side rate-limit tokens.",
                                    {"connection", "bucket"});
      metrics.bytesOut =
          &r.counter("ferry_http_sent_bytes_total", "Request body bytes sent.", {"connection"});
      metrics.bytesIn =
          &r.counter("ferry_http_received_bytes_total",
                     "Response body bytes received (before inflating).", {"connection"});
      metrics.opened = &r.counter("ferry_http_connections_opened_total",
                                  "New HTTP(S) connections opened.", {"connection"});
      metrics.latency = &r.histogram("ferry_http_request_duration_seconds",
                                     "Duration of single HTTP attempts.", {"connection", "bucket"});
    }
  }

  // ---- pool ----

  Lease checkout(const Target& t) {
    {
      std::lock_guard lock(poolMutex);
      auto& idle = pool[t.origin];
      const auto now = SteadyClock::now();
      while (!idle.empty()) {
        Pooled p = std::move(idle.back());
        idle.pop_back();
        if (now - p.idleSince > options.idleTimeout) continue;  // ours to retire
        if (isClosed(*p.session)) {
          std::lock_guard statsLock(statsMutex);
          ++stats.staleConnections;
          continue;
        }
        return {std::move(p.session), true};
      }
    }
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (t.https) {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(t.host, t.port,
                                                                clientContext(options.caLocation));
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(t.host, t.port);
    }
    session->setKeepAlive(true);
    // The pool enforces idleTimeout itself; Poco must not reconnect behind its back.
    session->setKeepAliveTimeout(Poco::Timespan(24L * 3600, 0));
    return {std::move(session), false};
  }

  void checkin(const Target& t, std::unique_ptr<Poco::Net::HTTPClientSession> session) {
    std::lock_guard lock(poolMutex);
    auto& idle = pool[t.origin];
    idle.push_back({std::move(session), SteadyClock::now()});
    while (idle.size() > options.maxIdlePerOrigin) idle.erase(idle.begin());
  }

  // An idle keep-alive socket is readable only when the server closed it (or broke protocol).
  static bool isClosed(Poco::Net::HTTPClientSession& session) {
    if (!session.connected()) return true;
    try {
      return session.socket().poll(
          Poco::Timespan(0), Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR);
    } catch (const Poco::Exception&) {
      return true;
    }
  }

  // ---- one exchange ----

  sdk::Result<sdk::HttpResponse> exchangeOnce(const sdk::HttpRequest& req, const Target& t,
                                              Lease& lease, bool& mayHaveReachedServer) {
    auto& session = *lease.session;
    const auto rw = Poco::Timespan(static_cast<long>(req.timeout.count() / 1000),
                                   static_cast<long>((req.timeout.count() % 1000) * 1000));
    const auto ct =
        Poco::Timespan(static_cast<long>(options.connectTimeout.count() / 1000),
                       static_cast<long>((options.connectTimeout.count() % 1000) * 1000));
    session.setTimeout(ct, rw, rw);

    Poco::Net::HTTPRequest preq(req.method, t.pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
    preq.setKeepAlive(true);
    for (const auto& [name, value] : req.headers) preq.add(name, value);
    if (!preq.has("Accept-Encoding")) preq.set("Accept-Encoding", "gzip");
    if (!preq.has("User-Agent")) preq.set("User-Agent", options.userAgent);
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
      preq.setContentLength64(static_cast<Poco::Int64>(req.body.size()));
    }

    const char* phase = "connect";
    try {
      const bool wasConnected = session.connected();
      std::ostream& out = session.sendRequest(preq);
      if (!wasConnected) noteOpened();
      phase = "send";
      mayHaveReachedServer = true;
      // Poco reports socket errors by throwing from the stream buffer; let them reach us
      // instead of ending as a silently short stream.
      out.exceptions(std::ios::badbit);
      out.write(req.body.data(), static_cast<std::streamsize>(req.body.size()));
      if (!out) throw Poco::Net::NetException("connection lost while sending the request body");
      addBytesOut(req.body.size());

      phase = "receive";
      Poco::Net::HTTPResponse presp;
      std::istream& raw = session.receiveResponse(presp);
      sdk::HttpResponse resp;
      resp.status = static_cast<int>(presp.getStatus());
      raw.exceptions(std::ios::badbit);
      std::string wire;
      readAll(raw, wire, options.maxResponseBytes);
      addBytesIn(wire.size());
      const auto announced = presp.getContentLength64();
      const bool bodyless =
          req.method == "HEAD" || resp.status == 204 || resp.status == 304 || resp.status < 200;
      if (!bodyless && announced != Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH &&
          static_cast<std::uint64_t>(announced) != wire.size()) {
        throw Poco::Net::NetException("connection closed after " + std::to_string(wire.size()) +
                                      " of " + std::to_string(announced) + " body bytes");
      }
      const std::string encoding = lower(presp.get("Content-Encoding", ""));
      const bool inflate = encoding == "gzip" || encoding == "x-gzip" || encoding == "deflate";
      if (inflate) {
        if (auto error = inflateBody(wire, options.maxResponseBytes, resp.body)) {
          // The connection itself is fine: the body was read to its end.
          if (presp.getKeepAlive()) checkin(t, std::move(lease.session));
          return Error::make(ErrorCode::kMalformedResponse, req.method + " " + t.display +
                                                                ": undecodable " + encoding +
                                                                " body (" + *error + ")");
        }
      } else {
        resp.body = std::move(wire);
      }
      for (const auto& [name, value] : presp) {
        if (inflate && (Poco::icompare(name, "Content-Encoding") == 0 ||
                        Poco::icompare(name, "Content-Length") == 0)) {
          continue;
        }
        resp.headers.emplace_back(name, value);
      }
      if (presp.getKeepAlive() && raw.eof()) {
        checkin(t, std::move(lease.session));
      }
      return resp;
    } catch (const BodyTooLarge&) {
      return Error::make(ErrorCode::kMalformedResponse,
                         req.method + " " + t.display + ": response body larger than " +
                             std::to_string(options.maxResponseBytes) + " bytes");
    } catch (const Poco::Net::CertificateValidationException& e) {
      return Error::make(
          ErrorCode::kUnavailable,
          req.method + " " + t.display + ": TLS certificate rejected: " + e.message(), false);
    } catch (const Poco::Net::SSLException& e) {
      return Error::make(ErrorCode::kUnavailable,
                         req.method + " " + t.display + ": TLS failure: " + e.displayText(), false);
    } catch (const Poco::TimeoutException&) {
      const auto ms = std::string(phase) == "connect" ? options.connectTimeout : req.timeout;
      return Error::make(ErrorCode::kUnavailable,
                         req.method + " " + t.display + ": " + phase + " timed out after " +
                             std::to_string(ms.count()) + " ms",
                         true);
    } catch (const Poco::Exception& e) {
      return Error::make(
          ErrorCode::kUnavailable,
          req.method + " " + t.display + ": " + phase + " failed: " + e.displayText(), true);
    } catch (const std::exception& e) {
      return Error::make(ErrorCode::kUnavailable,
                         req.method + " " + t.display + ": " + phase + " failed: " + e.what(),
                         true);
    }
  }

  // One attempt, with a transparent second try on a fresh connection when a reused one turns
  // out to have been closed by the server mid-exchange.
  sdk::Result<sdk::HttpResponse> attempt(const sdk::HttpRequest& req, const Target& t,
                                         const std::string& bucket) {
    for (int round = 0;; ++round) {
      Lease lease = checkout(t);
      const bool reused = lease.reused;
      bool reached = false;
      const auto started = SteadyClock::now();
      auto result = exchangeOnce(req, t, lease, reached);
      const double ms =
          std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count();
      recordAttempt(bucket, result.ok() ? result->status : 0, ms, reused);
      if (result.ok() || !reused || round > 0 || result.error().code != ErrorCode::kUnavailable ||
          !result.error().retriable) {
        return result;
      }
      if (!req.retry.idempotent && reached) return result;
      {
        std::lock_guard lock(statsMutex);
        ++stats.staleConnections;
      }
      {
        // Whatever closed this connection (a server restart, an idle sweep) closed its siblings.
        std::lock_guard lock(poolMutex);
        pool.erase(t.origin);
      }
      logger->debug("{} {}: pooled connection was closed by the server; reconnecting", req.method,
                    t.display);
    }
  }

  // ---- rate limiting ----

  void waitForToken(const std::string& bucket) {
    std::chrono::milliseconds wait{0};
    {
      std::lock_guard lock(bucketMutex);
      auto it = buckets.find(bucket);
      if (it == buckets.end()) return;
      wait = it->second.reserve(clock->nowMs());
    }
    if (wait.count() <= 0) return;
    clock->sleepFor(wait);
    std::lock_guard lock(statsMutex);
    stats.rateLimitWaitMs += wait.count();
    if (metrics.rateWait != nullptr) {
      metrics.rateWait->labels({options.connection, bucket})
          .inc(static_cast<double>(wait.count()) / 1000.0);
    }
  }

  bool hasBucket(const std::string& bucket) {
    std::lock_guard lock(bucketMutex);
    return buckets.count(bucket) != 0;
  }

  void pause(const std::string& bucket, std::chrono::milliseconds d) {
    std::lock_guard lock(bucketMutex);
    auto it = buckets.find(bucket);
    if (it != buckets.end()) it->second.pauseUntil(clock->nowMs() + d.count());
  }

  double jitter() {
    std::lock_guard lock(rngMutex);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }

  // ---- counters ----

  void noteOpened() {
    std::lock_guard lock(statsMutex);
    ++stats.connectionsOpened;
    if (metrics.opened != nullptr) metrics.opened->labels({options.connection}).inc();
  }

  void addBytesOut(std::uint64_t n) {
    std::lock_guard lock(statsMutex);
    stats.bytesOut += n;
    if (metrics.bytesOut != nullptr)
      metrics.bytesOut->labels({options.connection}).inc(static_cast<double>(n));
  }

  void addBytesIn(std::uint64_t n) {
    std::lock_guard lock(statsMutex);
    stats.bytesIn += n;
    if (metrics.bytesIn != nullptr)
      metrics.bytesIn->labels({options.connection}).inc(static_cast<double>(n));
  }

  void recordAttempt(const std::string& bucket, int status, double ms, bool reused) {
    std::lock_guard lock(statsMutex);
    ++stats.attempts;
    ++stats.calls[bucket][status];
    if (status == 0) ++stats.networkErrors;
    if (status == 429) ++stats.throttled;
    if (reused) ++stats.connectionsReused;
    auto& lat = stats.latency;
    const auto idx = static_cast<std::size_t>(
        std::lower_bound(lat.boundsMs.begin(), lat.boundsMs.end(), ms) - lat.boundsMs.begin());
    ++lat.counts[idx];
    lat.sumMs += ms;
    ++lat.count;
    if (metrics.requests != nullptr) {
      metrics.requests
          ->labels({options.connection, bucket, status == 0 ? "error" : std::to_string(status)})
          .inc();
      if (status == 429) metrics.throttled->labels({options.connection, bucket}).inc();
      metrics.latency->labels({options.connection, bucket}).observe(ms / 1000.0);
    }
  }

  void recordRetry(const std::string& bucket, std::chrono::milliseconds backoff) {
    std::lock_guard lock(statsMutex);
    ++stats.retries;
    stats.backoffWaitMs += backoff.count();
    if (metrics.retries != nullptr) metrics.retries->labels({options.connection, bucket}).inc();
  }

  HttpClientOptions options;
  sdk::Clock* clock = nullptr;
  std::shared_ptr<spdlog::logger> logger;
  Metrics metrics;

  std::mutex poolMutex;
  std::map<std::string, std::vector<Pooled>> pool;

  std::mutex bucketMutex;
  std::map<std::string, TokenBucket> buckets;

  std::mutex rngMutex;
  std::mt19937_64 rng;

  mutable std::mutex statsMutex;
  HttpStats stats;
};

std::uint64_t HttpStats::callsWithStatus(int status) const {
  std::uint64_t n = 0;
  for (const auto& [bucket, byStatus] : calls) {
    auto it = byStatus.find(status);
    if (it != byStatus.end()) n += it->second;
  }
  return n;
}

std::uint64_t HttpStats::callsInBucket(const std::string& bucket) const {
  std::uint64_t n = 0;
  auto it = calls.find(bucket);
  if (it == calls.end()) return 0;
  for (const auto& [status, count] : it->second) n += count;
  return n;
}

PocoHttpClient::PocoHttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

PocoHttpClient::~PocoHttpClient() = default;

const HttpClientOptions& PocoHttpClient::options() const noexcept { return impl_->options; }

HttpStats PocoHttpClient::stats() const {
  std::lock_guard lock(impl_->statsMutex);
  return impl_->stats;
}

void PocoHttpClient::closeIdleConnections() {
  std::lock_guard lock(impl_->poolMutex);
  impl_->pool.clear();
}

void PocoHttpClient::defineBucket(const sdk::RateBucket& bucket) {
  if (!(bucket.ratePerSecond > 0) || !std::isfinite(bucket.ratePerSecond) ||
      !std::isfinite(bucket.burst)) {
    logWith(*impl_->logger, sdk::LogLevel::kError,
            "rate bucket '" + bucket.name + "' refused: rate must be a positive number",
            {{log_keys::kConnection, impl_->options.connection}});
    return;
  }
  std::lock_guard lock(impl_->bucketMutex);
  const auto now = impl_->clock->nowMs();
  auto it = impl_->buckets.find(bucket.name);
  if (it != impl_->buckets.end()) {
    it->second.reconfigure(bucket.ratePerSecond, bucket.burst, now);
  } else {
    impl_->buckets.emplace(bucket.name, TokenBucket(bucket.ratePerSecond, bucket.burst, now));
  }
}

void PocoHttpClient::penalize(const std::string& bucket, std::chrono::milliseconds pause) {
  impl_->pause(bucket, pause);
}

sdk::Result<sdk::HttpResponse> PocoHttpClient::send(const sdk::HttpRequest& request) {
  auto& impl = *impl_;
  if (!validMethod(request.method)) {
    return Error::make(ErrorCode::kInvalidArgument,
                       "invalid HTTP method '" + request.method + "' (expected e.g. GET, POST)");
  }
  auto target = parseTarget(request.url);
  if (!target.ok()) return target.takeError();
  const Target& t = *target;
  const std::string bucket = request.bucket.empty() ? kDefaultBucket : request.bucket;
  const bool limited = !request.bucket.empty() && impl.hasBucket(request.bucket);
  const int maxAttempts = std::max(1, request.retry.maxAttempts);
  {
    std::lock_guard lock(impl.statsMutex);
    ++impl.stats.requests;
  }
  const LogScope scope{{log_keys::kConnection, impl.options.connection}};

  for (int attempt = 1;; ++attempt) {
    if (!request.bucket.empty()) impl.waitForToken(request.bucket);
    auto result = impl.attempt(request, t, bucket);

    std::optional<std::chrono::milliseconds> retryAfter;
    std::string reason;
    bool retry = false;
    if (result.ok()) {
      auto& resp = *result;
      resp.attempts = attempt;
      const int status = resp.status;
      if ((status == 429 || status == 503) && resp.header("Retry-After") != nullptr) {
        retryAfter = parseRetryAfter(*resp.header("Retry-After"), impl.clock->nowMs());
      }
      if (status == 429) {
        retry = request.retry.retryOn429;
        const auto pauseFor = retryAfter.value_or(backoffDelay(request.retry, attempt, 0.5));
        if (limited) impl.pause(request.bucket, pauseFor);
      } else if (status >= 500 && status <= 599) {
        retry = request.retry.retryOn5xx && request.retry.idempotent;
      }
      reason = request.method + " " + t.display + ": HTTP " + std::to_string(status);
    } else {
      const auto& err = result.error();
      retry = err.retriable && request.retry.retryOnNetwork && request.retry.idempotent;
      reason = err.message;
    }
    if (!retry || attempt >= maxAttempts) {
      if (!result.ok() && attempt > 1) {
        auto err = result.takeError();
        err.message += " (after " + std::to_string(attempt) + " attempts)";
        return err;
      }
      return result;
    }
    if (retryAfter && *retryAfter > request.retry.maxDelay) {
      impl.logger->info("{} {}: not retrying: server asked to wait {} ms (more than {} ms)",
                        request.method, t.display, retryAfter->count(),
                        request.retry.maxDelay.count());
      return result;
    }
    const auto delay = retryAfter.value_or(backoffDelay(request.retry, attempt, impl.jitter()));
    impl.logger->warn("{}; retry {}/{} in {} ms", reason, attempt, maxAttempts - 1, delay.count());
    // A 429 on a limited bucket already paused it; waiting for the token is the backoff.
    const bool bucketWaits = limited && result.ok() && result->status == 429;
    impl.recordRetry(bucket, bucketWaits ? std::chrono::milliseconds(0) : delay);
    if (!bucketWaits) impl.clock->sleepFor(delay);
  }
}

}  // namespace ferry::host
