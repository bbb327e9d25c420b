#pragma once
// `nvmsim explore`: the CLI shell over sim::explore (sim/explore/explore.hpp). main.cpp adds the
// subcommand with add_explore() and, when it was chosen, hands over to explore_main().
#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>
#include <vector>

namespace tools::cli {

struct ExploreArgs {
  std::string file, out_dir, seed, time_budget;
  std::vector<std::string> sets;
  std::size_t runs = 100;
  int jobs = 0;  // 0: the cores
  bool stop_at_first = false, no_shrink = false, quiet = false;
};

CLI::App* add_explore(CLI::App& app, ExploreArgs& args);
int explore_main(const ExploreArgs& args);  // the exit code

}  // namespace tools::cli
