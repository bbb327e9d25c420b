// Replays fuzz regressions and the malformed corpus through the fuzz harness, built with the
// project's compiler as an ordinary test (label "fuzz"): every file must load or be rejected with
// an InputError; any other exception fails the run. With --runnable, a scenario that loads is also
// put through sim::world::check_runnable (the checks before a simulation, without running it).
//   nvmsim_fuzz_replay [--runnable] FILE_OR_DIR...
#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/scenario/loader.hpp"
#include "sim/world/world.hpp"
#include "tests/fuzz/loader_fuzz.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  bool runnable = false;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--runnable") {
      runnable = true;
    } else if (fs::is_directory(arg)) {
      for (const auto& e : fs::recursive_directory_iterator(arg))
        if (e.is_regular_file() && e.path().filename().string()[0] != '.' &&
            e.path().extension() != ".md")
          files.push_back(e.path());
    } else {
      files.emplace_back(arg);
    }
  }
  std::sort(files.begin(), files.end());
  int bugs = 0, loaded = 0, rejected = 0;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    try {
      // Named by its path, so that includes in a corpus file resolve beside it.
      const auto outcome = nvmsim_fuzz::load_one(text.str(), f.string());
      if (outcome == nvmsim_fuzz::Outcome::Loaded) {
        ++loaded;
        if (runnable) {
          const auto input = nvmsim_fuzz::split_input(text.str());
          const auto s = sim::scenario::load_string(input.yaml, f.string(), input.sets);
          try {
            sim::world::check_runnable(s);
          } catch (const sim::scenario::InputError&) {
          }
        }
      } else {
        ++rejected;
      }
    } catch (const std::exception& e) {
      ++bugs;
      std::cerr << f.string() << ": BUG: " << e.what() << "\n";
    } catch (...) {
      ++bugs;
      std::cerr << f.string() << ": BUG: unknown exception\n";
    }
  }
  std::cout << files.size() << " file(s): " << loaded << " loaded, " << rejected << " rejected, "
            << bugs << " bug(s)\n";
  return bugs == 0 && !files.empty() ? 0 : 1;
}
