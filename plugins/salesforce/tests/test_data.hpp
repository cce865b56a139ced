// Recorded response shapes (tests/data) for the unit tests.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ferry::plugins::salesforce::testing {

inline std::string readData(const std::string& name) {
  std::ifstream in(std::string(FERRY_SF_TEST_DATA) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing test data file " + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace ferry::plugins::salesforce::testing
