// DirStats / TimeSeries bookkeeping and the fio-compatible JSON and text writers, checked against
// real fio's shape (when fio is installed) and fio's own json+ -> CSV tool.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/metrics/stats.hpp"
#include "sim/report/fio_json.hpp"
#include "sim/report/fio_text.hpp"

namespace sim::report {
namespace {

using metrics::DirStats;
using metrics::JobStats;
using metrics::TimeSeries;
using json = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------
// DirStats bandwidth windows

TEST(DirStats, BandwidthWindowsAreAlignedToJobStartAndSkipIdleWindows) {
  DirStats d(sec(1), ms(500));
  // Window 0 [1.0 s, 1.5 s): 2 x 4 KiB -> 8192 B / 0.5 s = 16 KiB/s, 4 IOPS.
  d.add(sec(1) + ms(100), 4096, 0, 1000);
  d.add(sec(1) + ms(200), 4096, 0, 1000);
  // Window 1 [1.5 s, 2.0 s): one 1 MiB I/O exactly at the window start -> 2048 KiB/s, 2 IOPS.
  d.add(sec(1) + ms(500), 1 << 20, 0, 1000);
  // Window 2 [2.0 s, 2.5 s): nothing -> no sample (fio skips idle windows).
  // Window 3 [2.5 s, 3.0 s): 3 x 4 KiB -> 24 KiB/s, 6 IOPS.
  for (int i = 0; i < 3; ++i) d.add(sec(2) + ms(600) + i, 4096, 0, 1000);
  // Window 4 [3.0 s, 3.5 s): one I/O, but the job ends at 3.2 s: 200 ms < half a window.
  d.add(sec(3) + ms(100), 4096, 0, 1000);
  d.finish(sec(3) + ms(200));
  EXPECT_EQ(d.bw_samples(), (std::vector<std::uint64_t>{16, 2048, 24}));
  EXPECT_EQ(d.iops_samples(), (std::vector<std::uint64_t>{4, 2, 6}));
  EXPECT_EQ(d.total_ios(), 7u);  // the dropped tail still counts as I/O
  EXPECT_EQ(d.io_bytes(), 6u * 4096 + (1 << 20));

  const metrics::SampleSummary bw = d.bw_summary();
  EXPECT_EQ(bw.min, 16u);
  EXPECT_EQ(bw.max, 2048u);
  EXPECT_EQ(bw.samples, 3u);
  EXPECT_DOUBLE_EQ(bw.mean, 696.0);
  // Sample stddev of {16, 2048, 24}: sqrt(((680)^2 + (1352)^2 + (672)^2) / 2).
  EXPECT_NEAR(bw.stddev, std::sqrt((680.0 * 680 + 1352.0 * 1352 + 672.0 * 672) / 2), 1e-9);
}

TEST(DirStats, LastPartialWindowCountsFromHalfAWindowAtItsCoveredTime) {
  DirStats d(0, ms(500));
  d.add(ms(100), 4096, 0, 10);
  d.add(ms(600), 4096, 0, 10);  // closes window 0 (1 I/O -> 8 KiB/s, 2 IOPS)
  d.finish(ms(800));            // window 1 covers 300 ms >= 250 ms: 4096 B / 0.3 s
  EXPECT_EQ(d.bw_samples(), (std::vector<std::uint64_t>{8, 13}));  // 13.33 KiB/s, floored
  EXPECT_EQ(d.iops_samples(), (std::vector<std::uint64_t>{2, 3}));
  d.finish(sec(5));  // idempotent
  EXPECT_EQ(d.bw_samples().size(), 2u);
}

TEST(DirStats, RecordsSlatClatAndTheirSum) {
  DirStats d;
  d.add(ms(1), 512, 300, 700);
  d.add(ms(2), 512, 100, 2'500'000);
  EXPECT_EQ(d.slat().min(), 100);
  EXPECT_EQ(d.clat().max(), 2'500'000);
  EXPECT_EQ(d.lat().min(), 1000);
  EXPECT_EQ(d.lat().max(), 2'500'100);
  // fio latency distribution: 700 ns -> nsec "750", 2.5 ms -> msec "4".
  EXPECT_EQ(d.latency_dist()[8], 1u);
  EXPECT_EQ(d.latency_dist()[21], 1u);
}

TEST(DirStats, LatencyDistBucketIsUpperBound) {
  std::vector<Time> probes = {0, 1, INT64_MAX};
  for (Time b : metrics::kLatencyDistBounds) {
    probes.insert(probes.end(), {b - 1, b, b + 1});
  }
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) {
    probes.push_back(std::uniform_int_distribution<Time>(0, sec(5))(rng));
  }
  for (Time t : probes) {
    const auto want =
        static_cast<std::size_t>(std::upper_bound(metrics::kLatencyDistBounds.begin(),
                                                  metrics::kLatencyDistBounds.end(), t) -
                                 metrics::kLatencyDistBounds.begin());
    ASSERT_EQ(metrics::latency_dist_bucket(t), want) << t;
  }
}

TEST(JobStats, DepthBucketsFollowFio) {
  EXPECT_EQ(metrics::iodepth_level_bucket(1), 0u);
  EXPECT_EQ(metrics::iodepth_level_bucket(3), 1u);
  EXPECT_EQ(metrics::iodepth_level_bucket(4), 2u);
  EXPECT_EQ(metrics::iodepth_level_bucket(63), 5u);
  EXPECT_EQ(metrics::iodepth_level_bucket(64), 6u);
  EXPECT_EQ(metrics::iodepth_level_bucket(4096), 6u);
  EXPECT_EQ(metrics::iodepth_batch_bucket(0), 0u);
  EXPECT_EQ(metrics::iodepth_batch_bucket(1), 1u);
  EXPECT_EQ(metrics::iodepth_batch_bucket(4), 1u);
  EXPECT_EQ(metrics::iodepth_batch_bucket(5), 2u);
  EXPECT_EQ(metrics::iodepth_batch_bucket(64), 5u);
  EXPECT_EQ(metrics::iodepth_batch_bucket(65), 6u);
  JobStats job("j", 0);
  job.add(metrics::Dir::Flush, ms(1), 0, 10, 20);
  EXPECT_EQ(job.sync_lat.count(), 1u);
  EXPECT_EQ(job.sync_lat.max(), 30);
  EXPECT_THROW(job.dir(metrics::Dir::Flush), std::logic_error);
}

// ---------------------------------------------------------------------------------------------
// Test jobs

// A job with random reads and writes; the same seed gives the same job.
JobStats random_job(const std::string& name, int groupid, std::uint64_t seed, int ios) {
  JobStats job(name, ms(10));
  job.groupid = groupid;
  job.iodepth = 8;
  job.job_options = {{"name", name}, {"rw", "randrw"}, {"bs", "4k"}, {"iodepth", "8"}};
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> clat(11.0, 0.8);
  Time t = ms(10);
  for (int i = 0; i < ios; ++i) {
    t += std::uniform_int_distribution<Time>(1, us(900))(rng);
    const auto dir = (rng() & 1) ? metrics::Dir::Read : metrics::Dir::Write;
    job.add(dir, t, 4096, std::uniform_int_distribution<Time>(500, 3000)(rng),
            static_cast<Time>(clat(rng)));
    job.record_depth(static_cast<std::uint32_t>(1 + i % 8));
    job.record_submit(1);
    job.record_complete(1);
  }
  job.finish(t + us(1));
  return job;
}

// Evenly spaced reads: `count` reads of 4 KiB over [start, start + span).
JobStats even_reads(const std::string& name, int count, Time span, Time clat) {
  JobStats job(name, 0);
  const Time step = span / count;
  for (int i = 0; i < count; ++i) job.add(metrics::Dir::Read, step / 2 + i * step, 4096, 0, clat);
  job.finish(span);
  return job;
}

// ---------------------------------------------------------------------------------------------
// fio JSON

TEST(FioJson, IdleDirectionIsExactlyWhatFioPrints) {
  const JobStats job = even_reads("r", 100, sec(1), us(50));
  const json j = fio_job_json(job, fio_default_percentiles(), true);
  // Copied from `fio --ioengine=null --rw=randrw --output-format=json+` (fio-3.33), "trim".
  const std::string fio_idle = R"({
  "io_bytes" : 0,
  "io_kbytes" : 0,
  "bw_bytes" : 0,
  "bw" : 0,
  "iops" : 0.000000,
  "runtime" : 0,
  "total_ios" : 0,
  "short_ios" : 0,
  "drop_ios" : 0,
  "slat_ns" : {
    "min" : 0,
    "max" : 0,
    "mean" : 0.000000,
    "stddev" : 0.000000,
    "N" : 0
  },
  "clat_ns" : {
    "min" : 0,
    "max" : 0,
    "mean" : 0.000000,
    "stddev" : 0.000000,
    "N" : 0
  },
  "lat_ns" : {
    "min" : 0,
    "max" : 0,
    "mean" : 0.000000,
    "stddev" : 0.000000,
    "N" : 0
  },
  "bw_min" : 0,
  "bw_max" : 0,
  "bw_agg" : 0.000000,
  "bw_mean" : 0.000000,
  "bw_dev" : 0.000000,
  "bw_samples" : 0,
  "iops_min" : 0,
  "iops_max" : 0,
  "iops_mean" : 0.000000,
  "iops_stddev" : 0.000000,
  "iops_samples" : 0
}
)";
  EXPECT_EQ(fio_json_dump(j["trim"]), fio_idle);
  EXPECT_EQ(fio_json_dump(j["write"]), fio_idle);
  EXPECT_EQ(fio_json_dump(j["sync"]), R"({
  "total_ios" : 0,
  "lat_ns" : {
    "min" : 0,
    "max" : 0,
    "mean" : 0.000000,
    "stddev" : 0.000000,
    "N" : 0
  }
}
)");
}

TEST(FioJson, ValuesOfAKnownJobAndGroupShare) {
  // Two jobs in one group over 2 s: a reads 1000 x 4 KiB, b reads 500 x 4 KiB.
  std::vector<JobStats> jobs;
  jobs.push_back(even_reads("a", 1000, sec(2), us(100)));
  jobs.push_back(even_reads("b", 500, sec(2), us(100)));
  const json root = fio_root_json(jobs, {50, 99.9}, "nvmsim-test", 1'700'000'000);
  EXPECT_EQ(root["fio version"], "nvmsim-test");
  EXPECT_EQ(root["timestamp"], 1'700'000'000);
  EXPECT_EQ(root["timestamp_ms"], 1'700'000'000'000);
  EXPECT_EQ(root["time"], "Tue Nov 14 22:13:20 2023");
  const json& a = root["jobs"][0]["read"];
  EXPECT_EQ(a["io_bytes"], 4'096'000u);
  EXPECT_EQ(a["io_kbytes"], 4000u);
  EXPECT_EQ(a["bw_bytes"], 2'048'000u);
  EXPECT_EQ(a["bw"], 2000u);
  EXPECT_DOUBLE_EQ(a["iops"].get<double>(), 500.0);
  EXPECT_EQ(a["runtime"], 2000);
  EXPECT_EQ(a["total_ios"], 1000u);
  EXPECT_EQ(a["clat_ns"]["min"], 100'000);
  EXPECT_EQ(a["clat_ns"]["N"], 1000u);
  EXPECT_EQ(a["clat_ns"]["percentile"]["50.000000"], 100'000);
  EXPECT_EQ(a["clat_ns"]["percentile"]["99.900000"], 100'000);
  EXPECT_FALSE(a["clat_ns"].contains("bins"));  // plain json
  EXPECT_FALSE(a["slat_ns"].contains("percentile"));
  EXPECT_FALSE(a["lat_ns"].contains("percentile"));
  // 4 windows of 250 reads: 2000 KiB/s each; the group moves 3000 KiB/s.
  EXPECT_EQ(a["bw_min"], 2000u);
  EXPECT_EQ(a["bw_max"], 2000u);
  EXPECT_EQ(a["bw_samples"], 4u);
  EXPECT_DOUBLE_EQ(a["bw_mean"].get<double>(), 2000.0);
  EXPECT_NEAR(a["bw_agg"].get<double>(), 200.0 / 3.0, 1e-9);
  EXPECT_NEAR(root["jobs"][1]["read"]["bw_agg"].get<double>(), 100.0 / 3.0, 1e-9);
  EXPECT_EQ(a["iops_mean"].get<double>(), 500.0);
  EXPECT_EQ(root["jobs"][0]["job_runtime"], 2000);
  EXPECT_EQ(root["jobs"][0]["elapsed"], 2);
  // Every clat is 100 us: fio's latency_us "250" bucket holds 100 %.
  EXPECT_DOUBLE_EQ(root["jobs"][0]["latency_us"]["250"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(root["jobs"][0]["latency_us"]["100"].get<double>(), 0.0);
  // Alone, a job is its own group.
  EXPECT_DOUBLE_EQ(fio_job_json(jobs[0], {50}, false)["read"]["bw_agg"].get<double>(), 100.0);
}

TEST(FioJson, OptionsSelectPercentileObjectsAndSortKeys) {
  const JobStats job = random_job("opt", 0, 5, 2000);
  FioJsonOptions opt;
  opt.percentiles = {99.99, 1, 50, 50};
  opt.lat_percentiles = true;
  opt.slat_percentiles = true;
  const json j = fio_job_json(job, opt);
  for (const char* lat : {"slat_ns", "clat_ns", "lat_ns"}) {
    const json& pct = j["read"][lat]["percentile"];
    std::vector<std::string> keys;
    for (auto it = pct.begin(); it != pct.end(); ++it) keys.push_back(it.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"1.000000", "50.000000", "99.990000"})) << lat;
  }
  EXPECT_TRUE(j["sync"]["lat_ns"].size() == 5u);  // no flushes: no percentile object
}

TEST(FioJson, PlusBinsFoldEverythingAboveFiosTopBucket) {
  JobStats job("stall", 0);
  job.add(metrics::Dir::Write, ms(1), 4096, 0, 1'000);
  job.add(metrics::Dir::Write, sec(31), 4096, 0, sec(30));
  job.add(metrics::Dir::Write, sec(46), 4096, 0, sec(45));
  job.finish(sec(47));
  const json bins = fio_job_json(job, {50}, true)["write"]["clat_ns"]["bins"];
  EXPECT_EQ(bins.size(), 2u);
  EXPECT_EQ(bins["1000"], 1u);
  EXPECT_EQ(bins[std::to_string(kFioMaxBinNs)], 2u);
  // min / max / percentiles stay exact.
  const json clat = fio_job_json(job, {50}, true)["write"]["clat_ns"];
  EXPECT_EQ(clat["max"], sec(45));
  EXPECT_NEAR(clat["percentile"]["50.000000"].get<double>(), 30e9, 30e9 * 0.0005);
}

TEST(FioJson, ByteIdenticalAcrossTwoBuildsOfTheSameData) {
  const auto build = [] {
    std::vector<JobStats> jobs;
    jobs.push_back(random_job("oltp", 0, 42, 4000));
    jobs.push_back(random_job("batch", 1, 43, 1000));
    FioJsonOptions opt;
    opt.plus_bins = true;
    opt.lat_percentiles = true;
    return fio_root_json(jobs, opt, "nvmsim-1.0", 1'700'000'000, {{"direct", "1"}});
  };
  const json a = build();
  const json b = build();
  const std::string text = fio_json_dump(a);
  EXPECT_GT(text.size(), 10000u);
  EXPECT_TRUE(text == fio_json_dump(b));  // (EXPECT_TRUE: do not print 1 MB on failure)
  EXPECT_TRUE(a.dump(2) == b.dump(2));
  // The fio-layout text is valid JSON and a fixed point of parse + dump.
  EXPECT_TRUE(fio_json_dump(json::parse(text)) == text);
}

TEST(FioJson, DumpUsesFioLayout) {
  json j = json::object();
  j["name"] = "a\"b";
  j["n"] = 3;
  j["f"] = 0.5;
  j["list"] = json::array({1, json::object({{"k", 2.25}})});
  j["empty"] = json::object();
  EXPECT_EQ(fio_json_dump(j), R"({
  "name" : "a\"b",
  "n" : 3,
  "f" : 0.500000,
  "list" : [
    1,
    {
      "k" : 2.250000
    }
  ],
  "empty" : {}
}
)");
  EXPECT_EQ(fio_percentile_key(99.9), "99.900000");
  EXPECT_EQ(fio_time_string(0), "Thu Jan  1 00:00:00 1970");
}

// Runs a command and returns its stdout ("" if it could not run).
std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

bool file_exists(const char* path) { return access(path, X_OK) == 0; }

// fio's keys must appear in ours in the same order, with the same kind of value (object, float,
// integer, string); ours may add only the documented extras. `strict` (the fio release these
// writers were checked against) also fails on fio keys we do not write; with another release
// such keys are tolerated so a newer fio does not break the build, but the order still counts.
void expect_same_shape(const json& fio, const json& ours, const std::string& path, bool strict) {
  // total_err / first_error: fio writes them (after latency_window) only with continue_on_error;
  // nvmsim always does.
  static const std::set<std::string> kExtras = {"job_start", "global options", "disk_util",
                                                "job options", "total_err", "first_error"};
  static const std::set<std::string> kDataKeyed = {"percentile", "bins", "job options",
                                                   "global options"};
  ASSERT_TRUE(ours.is_object()) << path;
  auto o = ours.begin();
  for (auto f = fio.begin(); f != fio.end(); ++f) {
    auto match = o;
    while (match != ours.end() && match.key() != f.key()) ++match;
    if (match == ours.end()) {
      EXPECT_FALSE(strict) << "missing or misordered key " << path << "/" << f.key();
      continue;
    }
    for (; o != match; ++o) {
      EXPECT_TRUE(kExtras.contains(o.key())) << "unexpected key " << path << "/" << o.key();
    }
    const json& fv = f.value();
    const json& ov = o.value();
    const std::string sub = path + "/" + f.key();
    EXPECT_EQ(fv.is_object(), ov.is_object()) << sub;
    EXPECT_EQ(fv.is_string(), ov.is_string()) << sub;
    EXPECT_EQ(fv.is_number_float(), ov.is_number_float()) << sub;
    EXPECT_EQ(fv.is_number_integer(), ov.is_number_integer()) << sub;
    if (fv.is_object() && !kDataKeyed.contains(f.key())) expect_same_shape(fv, ov, sub, strict);
    ++o;
  }
  for (; o != ours.end(); ++o) {
    EXPECT_TRUE(kExtras.contains(o.key())) << "unexpected key " << path << "/" << o.key();
  }
}

TEST(FioJson, ShapeMatchesRealFioJsonPlus) {
  if (!file_exists("/usr/bin/fio")) GTEST_SKIP() << "fio not installed";
  const std::string text = run_command(
      "/usr/bin/fio --name=x --ioengine=null --rw=randrw --size=1m --bs=4k "
      "--output-format=json+ 2>/dev/null");
  json fio;
  try {
    fio = json::parse(text);
  } catch (const json::exception& e) {
    GTEST_SKIP() << "could not run fio: " << e.what();
  }
  // Same situation as fio's run: reads and writes with I/O, trim idle, no flushes.
  const JobStats job = random_job("x", 0, 1, 3000);
  std::vector<JobStats> jobs;
  jobs.push_back(job);
  const json ours =
      json::parse(fio_json_dump(fio_root_json(jobs, fio_default_percentiles(), "nvmsim", 0, true)));
  const bool strict = fio["fio version"] == "fio-3.33";
  expect_same_shape(fio, ours, "", strict);
  expect_same_shape(fio["jobs"][0], ours["jobs"][0], "/jobs/0", strict);
  // Same percentile keys as fio's default list.
  const json& fp = fio["jobs"][0]["read"]["clat_ns"]["percentile"];
  const json& op = ours["jobs"][0]["read"]["clat_ns"]["percentile"];
  std::vector<std::string> fkeys;
  std::vector<std::string> okeys;
  for (auto it = fp.begin(); it != fp.end(); ++it) fkeys.push_back(it.key());
  for (auto it = op.begin(); it != op.end(); ++it) okeys.push_back(it.key());
  EXPECT_EQ(fkeys, okeys);
}

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t next = s.find(sep, pos);
    if (next == std::string::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, next - pos));
    pos = next + sep.size();
  }
}

TEST(FioJson, FioJsonplusClat2csvReadsOurBins) {
  const char* tool = "/usr/bin/fio_jsonplus_clat2csv";
  if (!file_exists(tool)) GTEST_SKIP() << tool << " not installed";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("nvmsim_clat2csv_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);

  std::vector<JobStats> jobs;
  JobStats a("a", 0);
  for (Time clat : {100, 100, 100, 200, 200, 5000, 70000})
    a.add(metrics::Dir::Read, ms(1), 4096, 0, clat);
  a.add(metrics::Dir::Write, ms(2), 4096, 0, 1000);
  a.add(metrics::Dir::Write, sec(31), 4096, 0, sec(30));  // folded into fio's top bucket
  a.add(metrics::Dir::Write, sec(32), 4096, 0, sec(30));
  a.finish(sec(33));
  jobs.push_back(a);
  JobStats b("b", 0);
  for (Time clat = 10; clat <= 50; clat += 10) b.add(metrics::Dir::Read, ms(1), 512, 0, clat);
  b.finish(ms(2));
  jobs.push_back(b);

  const std::filesystem::path results = dir / "results.json";
  std::ofstream(results) << fio_json_dump(
      fio_root_json(jobs, fio_default_percentiles(), "nvmsim", 1'700'000'000, true));
  const std::string prefix = (dir / "lat.csv").string();
  const std::string cmd = "timeout 60 " + std::string(tool) + " " + results.string() + " " + prefix;
  const std::string out = run_command(cmd + " 2>&1");
  EXPECT_NE(out.find("generated"), std::string::npos) << out;
  EXPECT_EQ(run_command(cmd + " --validate 2>&1"),
            (dir / "lat_job0.csv").string() + " validated\n" + (dir / "lat_job1.csv").string() +
                " validated\n");

  // Columns: nsec, then (count, cumulative, percentile) for read/write/trim x slat/clat/lat.
  const auto read_csv = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line.rfind("nsec, read_slat_ns_count, read_slat_ns_cumulative, ", 0), 0u) << line;
    while (std::getline(in, line)) rows.push_back(split(line, ", "));
    return rows;
  };
  const auto column = [](const std::vector<std::vector<std::string>>& rows, int group) {
    std::vector<std::pair<std::string, std::string>> out;  // nsec -> count
    for (const auto& r : rows) {
      const std::string& count = r.at(1 + 3 * static_cast<std::size_t>(group));
      if (!count.empty()) out.emplace_back(r[0], count);
    }
    return out;
  };
  const auto rows0 = read_csv(dir / "lat_job0.csv");
  const auto rows1 = read_csv(dir / "lat_job1.csv");
  // read_clat is group 1, write_clat group 4.
  EXPECT_EQ(column(rows0, 1), (std::vector<std::pair<std::string, std::string>>{
                                  {"100", "3"}, {"200", "2"}, {"5002", "1"}, {"69984", "1"}}));
  EXPECT_EQ(column(rows0, 4), (std::vector<std::pair<std::string, std::string>>{
                                  {"1000", "1"}, {"17112760320", "2"}}));
  EXPECT_EQ(column(rows1, 1),
            (std::vector<std::pair<std::string, std::string>>{
                {"10", "1"}, {"20", "1"}, {"30", "1"}, {"40", "1"}, {"50", "1"}}));
  // Cumulative counts for read clat of job 0.
  std::vector<std::string> cumulative;
  for (const auto& r : rows0) {
    if (!r.at(4).empty()) cumulative.push_back(r.at(5));
  }
  EXPECT_EQ(cumulative, (std::vector<std::string>{"3", "5", "6", "7"}));
  std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// TimeSeries

TEST(TimeSeries, CsvExactContent) {
  TimeSeries ts(ms(100));
  const auto total = ts.scope("total");
  const auto a = ts.scope("path:a");
  ts.scope("path:b");  // known scope: zero rows until it sees I/O
  ts.add(total, ms(10), metrics::Dir::Read, 4096, 1000);
  ts.add(a, ms(10), metrics::Dir::Read, 4096, 1000);
  ts.add(total, ms(50), metrics::Dir::Write, 8192, 3000);
  ts.add(a, ms(50), metrics::Dir::Write, 8192, 3000);
  ts.add(total, ms(250), metrics::Dir::Read, 4096, 2000);
  ts.add("path:b", ms(250), metrics::Dir::Read, 4096, 2000);
  ts.add(total, ms(320), metrics::Dir::Trim, 1 << 20, 500);  // in the last, half-covered bucket
  ts.finish(ms(350));
  EXPECT_EQ(ts.csv(),
            "t_ms,scope,read_iops,write_iops,read_bw_bytes,write_bw_bytes,lat_p50_ns,lat_p99_ns,"
            "lat_max_ns,ios,err_ios\n"
            "0,path:a,10,10,40960,81920,1000,3000,3000,2,0\n"
            "0,path:b,0,0,0,0,0,0,0,0,0\n"
            "0,total,10,10,40960,81920,1000,3000,3000,2,0\n"
            "100,path:a,0,0,0,0,0,0,0,0,0\n"
            "100,path:b,0,0,0,0,0,0,0,0,0\n"
            "100,total,0,0,0,0,0,0,0,0,0\n"
            "200,path:a,0,0,0,0,0,0,0,0,0\n"
            "200,path:b,10,0,40960,0,2000,2000,2000,1,0\n"
            "200,total,10,0,40960,0,2000,2000,2000,1,0\n"
            "300,path:a,0,0,0,0,0,0,0,0,0\n"
            "300,path:b,0,0,0,0,0,0,0,0,0\n"
            "300,total,0,0,0,0,500,500,500,1,0\n");
}

TEST(TimeSeries, FractionalRatesPercentilesAndLateSamples) {
  TimeSeries ts(ms(3), 7, ms(1));  // origin at 1 ms
  for (int i = 0; i < 100; ++i) ts.add("s", ms(1) + i, metrics::Dir::Read, 512, 1000 + 10 * i);
  ts.add("s", ms(4), metrics::Dir::Write, 512, 50);     // bucket 1
  ts.add("s", ms(2), metrics::Dir::Read, 512, 99'999);  // late, for bucket 0
  const std::vector<TimeSeries::Row> rows = ts.rows("s");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].read_ios, 101u);
  EXPECT_EQ(rows[0].lat_max, 99'999);  // a late sample still moves the max
  // p50 of 1000..1990 is 1490, reported within the 7-bit bucket error (<= 0.8 %).
  EXPECT_NEAR(static_cast<double>(rows[0].lat_p50), 1490.0, 1490.0 * 0.008);
  EXPECT_EQ(rows[1].write_ios, 1u);
  const std::string csv = ts.csv();
  // 101 I/Os in 3 ms = 33666.667 IOPS; t_ms is relative to the origin.
  EXPECT_NE(csv.find("\n0,s,33666.667,0,17237333.333,0,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n3,s,0,333.333,0,170666.667,50,50,50,1,0\n"), std::string::npos) << csv;
  EXPECT_EQ(ts.scope_names(), (std::vector<std::string>{"s"}));
  EXPECT_TRUE(ts.rows("nope").empty());
}

TEST(TimeSeries, EmptySeriesHasOnlyTheHeader) {
  TimeSeries ts(ms(100));
  EXPECT_EQ(ts.csv(),
            "t_ms,scope,read_iops,write_iops,read_bw_bytes,write_bw_bytes,lat_p50_ns,lat_p99_ns,"
            "lat_max_ns,ios,err_ios\n");
}

// ---------------------------------------------------------------------------------------------
// fio text

TEST(FioText, Num2StrMatchesFioOutput) {
  // Pairs taken from real fio output lines.
  EXPECT_EQ(fio_num2str(16'388'096, 4, 1, true, "B"), "15.6MiB");
  EXPECT_EQ(fio_num2str(8'189'953, 4, 1, true, "B/s"), "7998KiB/s");
  EXPECT_EQ(fio_num2str(8'189'953, 4, 1, false, "B/s"), "8190kB/s");
  EXPECT_EQ(fio_num2str(2'720'000, 4, 1, false, ""), "2720k");
  EXPECT_EQ(fio_num2str(2'732'800, 6, 1, false, ""), "2732.8k");
  EXPECT_EQ(fio_num2str(1999, 4, 1, false, ""), "1999");
  EXPECT_EQ(fio_num2str(20'393'984, 4, 1, true, "B"), "19.4MiB");
  EXPECT_EQ(fio_num2str(20'393'984, 4, 1, false, "B"), "20.4MB");
  EXPECT_EQ(fio_num2str(11'166'000'000, 4, 1, true, "B/s"), "10.4GiB/s");
}

TEST(FioText, JobBlockLooksLikeFio) {
  // 100 reads of 4 KiB over 1 s at t = 10 ms .. 1000 ms, slat 1 us, clat 10 .. 1000 ns.
  JobStats job("golden", 0);
  for (int i = 1; i <= 100; ++i) job.add(metrics::Dir::Read, i * ms(10), 4096, 1000, 10 * i);
  job.finish(sec(1));
  EXPECT_EQ(fio_text_job(job, fio_default_percentiles()),
            "golden: (groupid=0, jobs=1): err= 0\n"
            "  read: IOPS=100, BW=400KiB/s (410kB/s)(400KiB/1000msec)\n"
            "    slat (nsec): min=1000, max=1000, avg=1000.00, stdev= 0.00\n"
            "    clat (nsec): min=10, max=1000, avg=505.00, stdev=290.11\n"
            "     lat (nsec): min=1010, max=2000, avg=1505.00, stdev=290.11\n"
            "    clat percentiles (nsec):\n"
            "     |  1.00th=[   10],  5.00th=[   50], 10.00th=[  100], 20.00th=[  200],\n"
            "     | 30.00th=[  300], 40.00th=[  400], 50.00th=[  500], 60.00th=[  600],\n"
            "     | 70.00th=[  700], 80.00th=[  800], 90.00th=[  900], 95.00th=[  950],\n"
            "     | 99.00th=[  990], 99.50th=[ 1000], 99.90th=[ 1000], 99.95th=[ 1000],\n"
            "     | 99.99th=[ 1000]\n"
            "   bw (  KiB/s): min=  392, max=  400, per=99.00%, avg=396.00, stdev= 5.66, "
            "samples=2\n"
            "   iops        : min=   98, max=  100, avg=99.00, stdev= 1.41, samples=2\n"
            "  lat (nsec)   : 20=1.00%, 50=3.00%, 100=5.00%, 250=15.00%, 500=25.00%\n"
            "  lat (nsec)   : 750=25.00%, 1000=25.00%\n"
            "  lat (usec)   : 2=1.00%\n"
            "     issued rwts: total=100,0,0,0 short=0,0,0,0 dropped=0,0,0,0\n");
}

TEST(FioText, UnitsScaleLikeFio) {
  // clat 5 ms .. 500 ms: min > 2 ms, max > 100 ms, stdev > 1 ms -> msec everywhere.
  JobStats job("slow", 0);
  job.error = 5;
  job.error_text = "Input/output error";
  for (int i = 1; i <= 100; ++i) job.add(metrics::Dir::Write, i * ms(10), 65536, 0, ms(5) * i);
  job.record_depth(1);
  job.finish(sec(1));
  const std::string text = fio_text_job(job, {50, 99});
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "slow: (groupid=0, jobs=1): err= 5 (Input/output error)");
  EXPECT_NE(text.find("    clat (msec): min=5, max=500, avg=252.50, stdev=145.06\n"),
            std::string::npos)
      << text;
  // 250 ms and 495 ms sit in buckets whose midpoints are a few us higher; fio rounds up.
  EXPECT_NE(text.find("    clat percentiles (msec):\n     |  50th=[  251],  99th=[  496]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  IO depths    : 1=100.0%, 2=0.0%, 4=0.0%, 8=0.0%, 16=0.0%, 32=0.0%, "
                      ">=64=0.0%\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("submit"), std::string::npos);  // not recorded -> not printed
}

TEST(FioText, RunStatusGroupAndGroupShare) {
  std::vector<JobStats> jobs;
  jobs.push_back(even_reads("a", 1000, sec(2), us(100)));
  jobs.push_back(even_reads("b", 500, sec(2), us(100)));
  FioTextOptions opt;
  opt.group = fio_group_agg(jobs, 0);
  EXPECT_NE(fio_text_job(jobs[0], opt).find("per=66.67%"), std::string::npos);
  EXPECT_NE(fio_text_job(jobs[1], opt).find("per=33.33%"), std::string::npos);
  EXPECT_NE(fio_text_job(jobs[1], FioTextOptions{}).find("per=100.00%"), std::string::npos);
  EXPECT_EQ(fio_text_run_status(jobs),
            "\nRun status group 0 (all jobs):\n"
            "   READ: bw=3000KiB/s (3072kB/s), 1000KiB/s-2000KiB/s (1024kB/s-2048kB/s), "
            "io=6000KiB (6144kB), run=2000-2000msec\n");
}

}  // namespace
}  // namespace sim::report
