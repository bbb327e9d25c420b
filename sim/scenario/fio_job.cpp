#include "sim/scenario/fio_job.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace sim::scenario::detail {

const std::vector<std::string_view> kFioJobOptions = {
    "name",     "filename",      "rw",           "readwrite", "rwmixread", "bs",
    "bssplit",  "iodepth",       "numjobs",      "size",      "offset",    "rate_iops",
    "runtime",  "ramp_time",     "time_based",    "fsync",        "continue_on_error",      "cpus_allowed",
    "direct",   "ioengine"};

namespace {

constexpr std::uintmax_t kMaxJobFileBytes = 1 << 20;

// Engines that submit asynchronously and reap completions, which is what a job's iodepth does here.
constexpr std::string_view kAsyncEngines[] = {"libaio", "io_uring", "posixaio"};

struct Option {
  std::string key, value;
  SourceLoc key_loc, value_loc;
  bool bare = false;  // `time_based` without '='
};

struct Section {
  std::string name;
  SourceLoc loc;
  std::vector<Option> options;
};

std::string trim(const std::string& s, std::size_t& lead) {
  const std::size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) {
    lead = s.size();
    return {};
  }
  const std::size_t e = s.find_last_not_of(" \t\r");
  lead = b;
  return s.substr(b, e - b + 1);
}

std::string supported_list() {
  std::string out;
  for (auto o : kFioJobOptions) out += (out.empty() ? "" : ", ") + std::string(o);
  return out;
}

// The file's sections in order, [global] ones included.
std::vector<Section> read_sections(const std::string& path, std::istream& in) {
  std::vector<Section> out;
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    std::size_t lead = 0;
    const std::string text = trim(raw, lead);
    const int col = static_cast<int>(lead) + 1;
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text[0] == '[') {
      if (text.back() != ']' || text.size() < 3)
        fail({path, line, col}, "", "malformed section header '" + text + "'", "e.g. [randread-4k]");
      out.push_back(Section{text.substr(1, text.size() - 2), {path, line, col + 1}, {}});
      continue;
    }
    if (out.empty())
      fail({path, line, col}, "", "option '" + text + "' outside of a job section",
           "put options under [global] or a [job] header");
    Option o;
    const std::size_t eq = text.find('=');
    std::size_t klead = 0, vlead = 0;
    o.key = trim(text.substr(0, eq), klead);
    o.key_loc = {path, line, col};
    if (eq == std::string::npos) {
      o.bare = true;
      o.value_loc = o.key_loc;
    } else {
      o.value = trim(text.substr(eq + 1), vlead);
      o.value_loc = {path, line, col + static_cast<int>(eq + 1 + vlead)};
    }
    if (o.key.empty()) fail(o.key_loc, "", "option without a name: '" + text + "'");
    out.back().options.push_back(std::move(o));
  }
  return out;
}

Node scalar(const SourceLoc& loc, std::string text) { return Node::make(Node::Kind::Scalar, loc, std::move(text)); }

// fio's time options take plain seconds ("runtime=30"); nvmsim's durations carry a unit.
std::string fio_seconds(const std::string& v) {
  const bool digits = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
  return digits ? v + "s" : v;
}

bool fio_true(const Option& o) { return o.bare || o.value == "1" || o.value == "true"; }

// "0-3,6" -> [0, 1, 2, 3, 6], each element located at the value.
Node cpu_list(const Option& o) {
  Node list = Node::make(Node::Kind::Seq, o.value_loc);
  std::stringstream ss(o.value);
  std::string part;
  auto number = [&](const std::string& t) {
    if (t.empty() || t.size() > 7 || t.find_first_not_of("0123456789") != std::string::npos)
      fail(o.value_loc, o.key, "invalid cpus_allowed '" + o.value + "'", "a list such as 0-3,6");
    return std::stoi(t);
  };
  while (std::getline(ss, part, ',')) {
    const std::size_t dash = part.find('-');
    const int lo = number(part.substr(0, dash));
    const int hi = dash == std::string::npos ? lo : number(part.substr(dash + 1));
    if (hi < lo || hi - lo > 4096)
      fail(o.value_loc, o.key, "invalid cpu range '" + part + "' in cpus_allowed");
    for (int c = lo; c <= hi; ++c) list.items.push_back(scalar(o.value_loc, std::to_string(c)));
  }
  if (list.items.empty()) fail(o.value_loc, o.key, "empty cpus_allowed");
  return list;
}

// One option into the workload map (or a check of an option that only has to agree with nvmsim).
void translate(const Option& o, Node& w, bool& has_target) {
  auto put = [&](const char* key, Node value) { w.set(scalar(o.key_loc, key), std::move(value)); };
  auto need_value = [&]() {
    if (o.bare) fail(o.key_loc, o.key, "fio option '" + o.key + "' needs a value", o.key + "=...");
  };
  const std::string& k = o.key;
  if (k == "time_based") {
    if (!fio_true(o))
      fail(o.value_loc, k, "time_based=" + o.value + ": nvmsim runs every job time-based",
           "a job runs until its runtime or the scenario's duration, wrapping over its region");
    return;
  }
  if (k == "direct") {
    if (!fio_true(o))
      fail(o.value_loc, k, "direct=" + o.value + ": nvmsim simulates direct I/O only (no page cache)");
    return;
  }
  need_value();
  if (k == "ioengine") {
    if (std::find(std::begin(kAsyncEngines), std::end(kAsyncEngines), o.value) == std::end(kAsyncEngines))
      fail(o.value_loc, k, "ioengine=" + o.value + " is not simulated: nvmsim jobs are asynchronous block I/O",
           "use libaio, io_uring or posixaio (all run as the same simulated submission path)");
    return;
  }
  if (k == "name") return put("name", scalar(o.value_loc, o.value));
  if (k == "filename") {
    if (o.value.rfind("/dev/", 0) != 0 || o.value.find(':') != std::string::npos)
      fail(o.value_loc, k, "filename=" + o.value + ": expected one block device such as /dev/nvme0n1");
    has_target = true;
    return put("target", scalar(o.value_loc, o.value.substr(5)));
  }
  if (k == "rw" || k == "readwrite")
    return put("rw", scalar(o.value_loc, o.value == "readwrite" ? "rw" : o.value));
  if (k == "bs" || k == "bssplit") return put("bs", scalar(o.value_loc, o.value));
  if (k == "runtime") return put("runtime", scalar(o.value_loc, fio_seconds(o.value)));
  if (k == "ramp_time") return put("ramp_time", scalar(o.value_loc, fio_seconds(o.value)));
  if (k == "fsync") return put("flush_every", scalar(o.value_loc, o.value));
  if (k == "continue_on_error") {
    const std::string v = o.value == "0" ? "none" : o.value == "1" ? "all" : o.value;
    return put("continue_on_error", scalar(o.value_loc, v));
  }
  if (k == "cpus_allowed") return put("cpus", cpu_list(o));
  for (const char* same : {"rwmixread", "iodepth", "numjobs", "size", "offset", "rate_iops"})
    if (k == same) return put(same, scalar(o.value_loc, o.value));
  fail(o.key_loc, k, "fio option '" + k + "' is not supported by nvmsim",
       "supported: " + supported_list());
}

}  // namespace

std::vector<FioJob> read_fio_jobs(const std::string& path, const SourceLoc& from, const std::string& key) {
  // A job file is a small regular file: never a device or a pipe that would not end.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    fail(from, key, "cannot read fio job file '" + path + "'", "it must be a regular file");
  if (std::filesystem::file_size(path, ec) > kMaxJobFileBytes)
    fail(from, key, "fio job file '" + path + "' is larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(from, key, "cannot read fio job file '" + path + "'");
  const auto sections = read_sections(path, in);
  std::vector<FioJob> jobs;
  // Latest value per option: globals so far, then the job's own (fio: the later setting wins).
  std::map<std::string, Option> globals;
  for (const Section& s : sections) {
    if (s.name == "global") {
      for (const Option& o : s.options) globals[o.key] = o;
      continue;
    }
    std::map<std::string, Option> opts = globals;
    for (const Option& o : s.options) opts[o.key] = o;
    // fio's bssplit overrides bs wherever either was written.
    if (opts.count("bssplit")) opts.erase("bs");
    if (!opts.count("time_based"))
      fail(s.loc, "time_based",
           "job '" + s.name + "' is not time_based: fio would stop it after size bytes, nvmsim runs it until its runtime",
           "add time_based=1 (to the job or [global]) and a runtime");
    FioJob job;
    job.section = s.name;
    job.loc = s.loc;
    job.workload = Node::make(Node::Kind::Map, s.loc);
    job.workload.set(scalar(s.loc, "name"), scalar(s.loc, s.name));
    // fio's default rw is read (nvmsim's own default is randread).
    job.workload.set(scalar(s.loc, "rw"), scalar(s.loc, "read"));
    // In file order, so the first unsupported option is the one reported.
    std::vector<const Option*> ordered;
    for (const auto& [k, o] : opts) ordered.push_back(&o);
    std::sort(ordered.begin(), ordered.end(), [](const Option* a, const Option* b) {
      return a->key_loc.line < b->key_loc.line;
    });
    for (const Option* o : ordered) translate(*o, job.workload, job.has_target);
    jobs.push_back(std::move(job));
  }
  if (jobs.empty()) fail({path, 1, 1}, key, "fio job file '" + path + "' has no job section", "add e.g. [job1]");
  return jobs;
}

}  // namespace sim::scenario::detail
