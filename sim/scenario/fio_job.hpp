#pragma once
// Internal to the scenario loader: fio job files (`workloads[].fio`, `nvmsim run --fio`).
//
// A job file is read as fio reads it (init.c parse_jobs_ini): `[section]` headers, `key=value` or
// a bare `key` per line, `#` and `;` comment lines, blank lines; the options of a `[global]`
// section apply to every job section after it, and a job's own option replaces a global one (the
// later of two settings wins, as in fio). Each job section becomes one workload map in nvmsim's
// own keys, every value located where the job file wrote it, so parse_workload checks it and its
// errors point into the job file (file:line:column). Options nvmsim does not simulate are an
// error naming them, never ignored (scenario-format.md, "workloads[].fio").
#include <string>
#include <vector>

#include "sim/scenario/loader_node.hpp"

namespace sim::scenario::detail {

// The fio options a job file may use, as fio spells them.
extern const std::vector<std::string_view> kFioJobOptions;

// One job section, translated: a Map node with nvmsim workload keys (name, target, rw, bs, ...).
struct FioJob {
  std::string section;
  SourceLoc loc;  // the [section] header
  Node workload;
  bool has_target = false;  // filename= was given
};

// Reads `path` (as opened; `from` and `key` say who named it, for "cannot read" errors).
// Throws InputError.
std::vector<FioJob> read_fio_jobs(const std::string& path, const SourceLoc& from, const std::string& key);

}  // namespace sim::scenario::detail
