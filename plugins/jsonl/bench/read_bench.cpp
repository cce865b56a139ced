// jsonl read/lookup benchmark: writes an N-line file (default 1,000,000), reads it all through
// the connector in pages, then builds the sink's on-disk index and an email key index, looks
// up, and opens the file again as a restarted process would, printing time and peak memory for
// each step in one run.
//
//   ferry_jsonl_bench [lines] [page size]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <ferry/sdk/testing/fake_host.hpp>

#include "connector.hpp"

namespace {

using namespace ferry;
using Clock = std::chrono::steady_clock;

long peakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const long lines = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  const std::size_t page = argc > 2 ? static_cast<std::size_t>(std::atol(argv[2])) : 2000;
  if (lines <= 0 || page == 0) {
    std::fprintf(stderr, "usage: %s [lines > 0] [page size > 0]\n", argv[0]);
    return 2;
  }
  std::string dirTemplate =
      (std::filesystem::temp_directory_path() / "ferry-jsonl-bench-XXXXXX").string();
  if (::mkdtemp(dirTemplate.data()) == nullptr) return 1;
  const std::filesystem::path dir = dirTemplate;

  // Generate the file with a small buffer so generation does not raise the peak.
  auto start = Clock::now();
  {
    std::FILE* out = std::fopen((dir / "Contact.jsonl").c_str(), "w");
    if (out == nullptr) return 1;
    for (long i = 0; i < lines; ++i) {
      std::fprintf(out,
                   "{\"id\":\"c%ld\",\"email\":\"Person%ld@Example.com\",\"name\":\"Person %ld\","
                   "\"score\":%ld,\"updatedAt\":\"2024-03-05T14:07:09.000Z\"}\n",
                   i, i, i, i % 1000);
    }
    std::fclose(out);
  }
  const auto bytes = std::filesystem::file_size(dir / "Contact.jsonl");
  std::printf("file: %ld lines, %.1f MiB, written in %.2f s\n", lines, bytes / 1048576.0,
              secondsSince(start));
  const long baseline = peakRssKiB();
  std::printf("peak RSS before reading: %.1f MiB\n", baseline / 1024.0);

  const sdk::Object settings{
      {"directory", dir.string()},
      {"entities",
       sdk::Object{{"Contact", sdk::Object{{"modifiedAt", "updatedAt"},
                                           {"fields", sdk::Object{{"email", "email"},
                                                                  {"name", "string"},
                                                                  {"score", "integer"},
                                                                  {"updatedAt", "datetime"}}}}}}}};
  auto config = plugins::jsonl::parseConfig(settings);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.error().describe().c_str());
    return 1;
  }
  sdk::testing::FakeHost host;
  plugins::jsonl::JsonlConnector connector(std::move(config.value()), host.context(settings));

  start = Clock::now();
  sdk::ReadRequest request;
  request.entity = "Contact";
  request.limit = page;
  long changes = 0;
  long pages = 0;
  while (true) {
    auto batch = connector.read(request);
    if (!batch.ok()) {
      std::fprintf(stderr, "read failed: %s\n", batch.error().describe().c_str());
      return 1;
    }
    changes += static_cast<long>(batch->changes.size());
    ++pages;
    request.cursor = batch->nextCursor;
    if (!batch->hasMore) break;
  }
  const double readSeconds = secondsSince(start);
  const long afterRead = peakRssKiB();
  std::printf("read: %ld changes in %ld pages of %zu, %.2f s, %.0f lines/s, %.1f MiB/s\n", changes,
              pages, page, readSeconds, changes / readSeconds, bytes / 1048576.0 / readSeconds);
  std::printf("peak RSS after reading: %.1f MiB (+%.1f MiB over the baseline)\n",
              afterRead / 1024.0, (afterRead - baseline) / 1024.0);

  // The sink's first call indexes the file on disk, the first email lookup adds the email keys.
  start = Clock::now();
  auto found =
      connector.lookup("Contact", {sdk::LookupQuery{{{"email", "person4242@example.com"}}}}, {});
  const double indexSeconds = secondsSince(start);
  if (!found.ok() || (*found)[0].size() != (lines > 4242 ? 1u : 0u)) {
    std::fprintf(stderr, "lookup returned the wrong result\n");
    return 1;
  }
  start = Clock::now();
  constexpr int kLookups = 10'000;
  for (int i = 0; i < kLookups; ++i) {
    auto r = connector.lookup(
        "Contact", {sdk::LookupQuery{{{"email", "PERSON" + std::to_string(i) + "@example.com"}}}},
        {});
    if (!r.ok()) return 1;
  }
  const double lookupSeconds = secondsSince(start);
  std::printf("sink: indexed %ld records and their emails in %.2f s; peak RSS %.1f MiB\n", lines,
              indexSeconds, peakRssKiB() / 1024.0);
  std::printf("lookup: %d indexed email lookups in %.3f s (%.1f us each)\n", kLookups,
              lookupSeconds, lookupSeconds / kLookups * 1e6);

  // A restarted process finds the index up to date and answers at once.
  {
    auto again = plugins::jsonl::parseConfig(settings);
    if (!again.ok()) return 1;
    plugins::jsonl::JsonlConnector reopened(std::move(again.value()), host.context(settings));
    start = Clock::now();
    auto r = reopened.lookup("Contact", {sdk::LookupQuery{{{"email", "person7@example.com"}}}}, {});
    if (!r.ok() || (*r)[0].size() != (lines > 7 ? 1u : 0u)) {
      std::fprintf(stderr, "lookup after reopening returned the wrong result\n");
      return 1;
    }
    std::printf("reopen: first lookup of a new connector on the same file %.1f ms\n",
                secondsSince(start) * 1e3);
  }
  connector.stop();  // closes the index: its write-ahead log is checkpointed and removed
  std::uintmax_t indexBytes = 0;
  for (const char* name : {".Contact.jsonl.index", ".Contact.jsonl.index-wal"}) {
    std::error_code missing;
    const auto size = std::filesystem::file_size(dir / name, missing);
    if (!missing) indexBytes += size;
  }
  std::printf("index on disk: %.1f MiB; final peak RSS %.1f MiB\n", indexBytes / 1048576.0,
              peakRssKiB() / 1024.0);

  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
