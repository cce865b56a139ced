// The load the tests that interrupt `ferry run` share: thousands of Contacts in a JSON-lines file
// copied to an empty Person file by a one-way jsonl -> jsonl flow matching on email. The emails
// are written mixed-case and the flow lowers them, so a sink line shows it went through the
// mapping. Header-only.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace ferry::testing {

struct JsonlCopyLoad {
  std::string flow;      // the flow's name, as `ferry run` prints it in its summary
  std::string schedule;  // the flow's `every`
  int records = 0;       // source Contacts c0 .. c<records-1>, emails P<i>@Example.test
  int maxBatch = 500;    // the jsonl connections' batch size
};

// Writes into `dir`: in/Contact.jsonl, an empty out/Person.jsonl, the connections `src` and
// `dst` in a `connections` folder next to `flowFile` (relative to `dir`, where `ferry run
// <flow file>` looks for them) and the flow itself.
inline void writeJsonlCopyLoad(const std::filesystem::path& dir, const std::string& flowFile,
                               const JsonlCopyLoad& load) {
  namespace fs = std::filesystem;
  fs::create_directories(dir / "in");
  fs::create_directories(dir / "out");
  const fs::path connections = (dir / flowFile).parent_path() / "connections";
  fs::create_directories(connections);
  std::ofstream in(dir / "in" / "Contact.jsonl");
  for (int i = 0; i < load.records; ++i) {
    in << R"({"id":"c)" << i << R"(","email":"P)" << i << R"(@Example.test","firstName":"F)" << i
       << R"(","lastName":"L"})"
       << "\n";
  }
  std::ofstream(dir / "out" / "Person.jsonl").close();
  const auto writeConnection = [&](const std::string& name, const std::string& folder,
                                   const std::string& entity) {
    std::ofstream(connections / (name + ".yaml"))
        << "connection: " << name
        << "\nplugin: jsonl\nsettings:\n  directory: " << (dir / folder).string()
        << "\n  maxBatch: " << load.maxBatch << "\n  entities:\n    " << entity
        << ":\n      id: id\n      fields:\n        email: email\n"
        << "        firstName: string\n        lastName: string\n";
  };
  writeConnection("src", "in", "Contact");
  writeConnection("dst", "out", "Person");
  std::ofstream(dir / flowFile) << "flow: " + load.flow + R"(
source: { connection: src, entity: Contact }
sink: { connection: dst, entity: Person }
direction: one-way
schedule: { every: )" + load.schedule + R"( }
match:
  - { source: email, sink: email }
map:
  firstName: firstName
  lastName: lastName
  email: { to: email, transform: [trim, lower] }
)";
}

// The sink file writeJsonlCopyLoad() sets up.
inline std::filesystem::path jsonlCopySink(const std::filesystem::path& dir) {
  return dir / "out" / "Person.jsonl";
}

}  // namespace ferry::testing
