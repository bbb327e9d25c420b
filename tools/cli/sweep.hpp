#pragma once
// `nvmsim sweep`: the CLI shell over sim::api::run_sweep (sim/api/sweep.hpp). main.cpp adds the
// subcommand with add_sweep() and, when it was chosen, hands over to sweep_main().
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tools::cli {

struct SweepArgs {
  std::string file, out_dir, seeds;
  std::vector<std::string> sets, grid;
  int jobs = 1;
  bool quiet = false;
};

CLI::App* add_sweep(CLI::App& app, SweepArgs& args);
int sweep_main(const SweepArgs& args);  // the exit code

}  // namespace tools::cli
