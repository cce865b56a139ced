#include "ferry/host/flow/diagnostics.hpp"

#include <algorithm>
#include <cctype>

#include "ferry/sdk/value.hpp"

namespace ferry::host {

std::string Diagnostic::format() const {
  std::string out = pos.file.empty() ? std::string("<input>") : pos.file;
  if (pos.line > 0) {
    out += ':' + std::to_string(pos.line);
    if (pos.column > 0) out += ':' + std::to_string(pos.column);
  }
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  out += message;
  return out;
}

void Diagnostics::error(const SourcePos& pos, std::string code, std::string message) {
  items_.push_back({Diagnostic::Severity::kError, pos, std::move(code), std::move(message)});
  ++errorCount_;
}

void Diagnostics::warning(const SourcePos& pos, std::string code, std::string message) {
  items_.push_back({Diagnostic::Severity::kWarning, pos, std::move(code), std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
  for (const auto& d : other.items_) {
    items_.push_back(d);
    if (d.severity == Diagnostic::Severity::kError) ++errorCount_;
  }
}

namespace {

std::vector<const Diagnostic*> sorted(const std::vector<Diagnostic>& items) {
  std::vector<const Diagnostic*> out;
  out.reserve(items.size());
  for (const auto& d : items) out.push_back(&d);
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic* a, const Diagnostic* b) {
    return std::tie(a->pos.file, a->pos.line, a->pos.column) <
           std::tie(b->pos.file, b->pos.line, b->pos.column);
  });
  return out;
}

}  // namespace

std::string Diagnostics::format() const {
  std::string out;
  for (const Diagnostic* d : sorted(items_)) {
    out += d->format();
    out += '\n';
  }
  return out;
}

std::string Diagnostics::toJson() const {
  sdk::List list;
  for (const Diagnostic* d : sorted(items_)) {
    list.emplace_back(sdk::Object{
        {"file", d->pos.file},
        {"line", d->pos.line},
        {"column", d->pos.column},
        {"severity", d->severity == Diagnostic::Severity::kError ? "error" : "warning"},
        {"code", d->code},
        {"message", d->message},
    });
  }
  return sdk::Value(std::move(list)).toJson();
}

namespace {

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  // Allow about one typo per three characters: "sourc" -> "source", not "map" -> "flow".
  const std::size_t limit = std::max<std::size_t>(1, (word.size() + 2) / 3);
  std::string best;
  std::size_t bestDistance = limit + 1;
  for (const auto& c : candidates) {
    // Far longer or shorter names cannot be within the limit; skip the quadratic work.
    const std::size_t gap = c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
    if (gap > limit) continue;
    const std::size_t d = editDistance(word, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string best = closestMatch(word, candidates);
  return best.empty() ? std::string() : " (did you mean \"" + best + "\"?)";
}

}  // namespace ferry::host
