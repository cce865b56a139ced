#include "ferry/host/engine/record_space.hpp"

#include <algorithm>

namespace ferry::host::engine {
namespace {

const sdk::Value kNull;

const sdk::Value& orNull(const sdk::Value* v) { return v != nullptr ? *v : kNull; }

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

const sdk::Value* fieldAt(const sdk::Object& record, std::string_view path) noexcept {
  if (const sdk::Value* flat = record.find(path)) return flat;
  if (path.find('.') == std::string_view::npos) return nullptr;
  return sdk::findPath(record, path);
}

void putField(sdk::Object& record, const std::string& path, sdk::Value value) {
  if (sdk::Value* flat = record.find(path)) {
    *flat = std::move(value);
    return;
  }
  sdk::setPath(record, path, std::move(value));
}

FieldValues project(const sdk::Object& record, const std::vector<std::string>& paths) {
  FieldValues out;
  out.reserve(paths.size());
  for (const auto& path : paths) out.set(path, orNull(fieldAt(record, path)));
  return out;
}

sdk::Object unproject(const FieldValues& values) {
  sdk::Object out;
  for (const auto& [path, value] : values) {
    if (path == kParkedKey) continue;
    sdk::setPath(out, path, value);
  }
  return out;
}

std::vector<std::string> parkedFields(const FieldValues& base) {
  std::vector<std::string> out;
  const sdk::Value* v = base.find(kParkedKey);
  if (v == nullptr || !v->isList()) return out;
  for (const auto& item : v->asList()) {
    if (item.isString()) out.push_back(item.asString());
  }
  return out;
}

void setParkedFields(FieldValues& base, const std::vector<std::string>& fields) {
  if (fields.empty()) {
    base.erase(kParkedKey);
    return;
  }
  sdk::List list;
  for (const auto& f : fields) list.emplace_back(f);
  base.set(std::string(kParkedKey), std::move(list));
}

std::vector<std::string> changedFields(const FieldValues& a, const FieldValues& b,
                                       const std::vector<std::string>& paths,
                                       const std::vector<std::string>& skip) {
  std::vector<std::string> out;
  for (const auto& path : paths) {
    if (!skip.empty() && contains(skip, path)) continue;
    if (!(orNull(a.find(path)) == orNull(b.find(path)))) out.push_back(path);
  }
  return out;
}

MergeResult mergeFields(const FieldValues& base, const FieldValues& reader,
                        const FieldValues& other, const std::vector<std::string>& paths,
                        ConflictWinner onConflict) {
  MergeResult m;
  const std::vector<std::string> alreadyParked = parkedFields(base);
  for (const auto& path : paths) {
    const sdk::Value& b = orNull(base.find(path));
    const sdk::Value& r = orNull(reader.find(path));
    const sdk::Value& o = orNull(other.find(path));
    sdk::Value target = o;
    sdk::Value agreed = b;
    if (contains(alreadyParked, path)) {
      // Waiting for a person: neither side's value moves.
    } else if (r == o) {
      agreed = r;
    } else if (o == b) {  // only the reader changed: it flows across
      target = r;
      agreed = r;
      m.toOther.push_back(path);
    } else if (r == b) {
      // Only the other side changed; its own pass carries it over.
    } else {
      m.conflicts.push_back(path);
      if (onConflict == ConflictWinner::kReader) {
        target = r;
        agreed = r;
        m.toOther.push_back(path);
      } else if (onConflict == ConflictWinner::kPark) {
        m.parked.push_back(path);
      }
      // kOther: the other side keeps its value; its pass writes it back to the reader.
    }
    m.target.set(path, std::move(target));
    m.newBase.set(path, std::move(agreed));
  }
  std::vector<std::string> parked = alreadyParked;
  for (const auto& p : m.parked) parked.push_back(p);
  setParkedFields(m.newBase, parked);
  return m;
}

}  // namespace ferry::host::engine
