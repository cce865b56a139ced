#include "ferry/host/flow/diagnostics.hpp"

#include <algorithm>

#include "ferry/host/plugins/settings.hpp"
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

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string best = closestMatch(word, candidates);
  return best.empty() ? std::string() : " (did you mean \"" + best + "\"?)";
}

}  // namespace ferry::host
