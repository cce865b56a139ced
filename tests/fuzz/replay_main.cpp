// A driver for the fuzz entry point that needs no libFuzzer (any compiler): feeds every file of
// the given directories, plus deterministic mutations of each (truncations, byte flips, spliced
// lines), to LLVMFuzzerTestOneInput. Run as a unit test so the harness and the parsers' crash
// resistance are checked in every build; the real fuzzer explores far more.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void feed(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    for (const auto& e : std::filesystem::directory_iterator(argv[i])) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      seeds.push_back(text.str());
    }
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "no seed files found\n");
    return 1;
  }
  std::mt19937 random(20240305);  // fixed: every run replays the same inputs
  const char* tokens[] = {"{",
                          "}",
                          "[",
                          "]",
                          ":",
                          "- ",
                          "\n",
                          "  ",
                          "${",
                          "*",
                          "&a ",
                          "!!str ",
                          "\"",
                          "'",
                          "#",
                          ",",
                          "~",
                          "transform: ",
                          "reverse: false",
                          "\t"};
  std::size_t inputs = 0;
  for (const auto& seed : seeds) {
    feed(seed);
    ++inputs;
    for (int round = 0; round < 40; ++round) {
      std::string mutated = seed;
      const std::size_t at = mutated.empty() ? 0 : random() % mutated.size();
      switch (round % 4) {
        case 0:
          mutated.resize(at);
          break;
        case 1:
          if (!mutated.empty()) mutated[at] = static_cast<char>(random() % 256);
          break;
        case 2:
          mutated.insert(at, tokens[random() % std::size(tokens)]);
          break;
        case 3: {
          const auto& other = seeds[random() % seeds.size()];
          const std::size_t from = other.empty() ? 0 : random() % other.size();
          mutated.insert(at, other.substr(from, 80));
          break;
        }
      }
      feed(mutated);
      ++inputs;
    }
  }
  std::printf("replayed %zu inputs from %zu seeds\n", inputs, seeds.size());
  return 0;
}
