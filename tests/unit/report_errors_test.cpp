// Failed I/O is not throughput (fio): errors are counted in total_err / err_ios and fio's
// `error`, never in bytes, IOPS, bandwidth or latency; and the time series stores only buckets
// with activity, so its size follows the run's work, not its duration.
#include <gtest/gtest.h>

#include <string>

#include "sim/metrics/stats.hpp"
#include "sim/report/fio_json.hpp"
#include "sim/report/fio_text.hpp"
#include "sim/world/report.hpp"

namespace sim::report {
namespace {

using metrics::Dir;
using metrics::JobStats;
using metrics::TimeSeries;
using scenario::ContinueOnError;

// 3 reads of 4 KiB succeed at 100/200/300 ms (clat 1 us); reads fail at 150 and 250 ms
// (status 0x371), a write fails at 400 ms (0x370), a flush at 500 ms; runtime 1 s.
JobStats mixed(ContinueOnError c) {
  JobStats job("j", 0);
  job.stop_on_error = world::stop_on_error_dirs(c);
  for (int i = 1; i <= 3; ++i) job.add(Dir::Read, ms(100) * i, 4096, 0, 1000);
  job.add_error(Dir::Read, ms(150), 0x371);
  job.add_error(Dir::Read, ms(250), 0x371);
  job.add_error(Dir::Write, ms(400), 0x370);
  job.add_error(Dir::Flush, ms(500), 0x370);
  job.finish(sec(1));
  return job;
}

TEST(ReportErrors, FailedIoIsNotThroughput) {
  const JobStats job = mixed(ContinueOnError::None);
  EXPECT_EQ(job.read.total_ios(), 3u);
  EXPECT_EQ(job.read.io_bytes(), 3u * 4096);
  EXPECT_EQ(job.read.clat().count(), 3u);
  EXPECT_EQ(job.read.err_ios(), 2u);
  EXPECT_EQ(job.write.total_ios(), 0u);
  EXPECT_EQ(job.write.io_bytes(), 0u);
  EXPECT_EQ(job.write.err_ios(), 1u);
  EXPECT_EQ(job.sync_lat.count(), 0u);
  EXPECT_EQ(job.sync_err, 1u);
  EXPECT_EQ(job.total_err, 4u);
  const auto j = fio_job_json(job, {50.0}, false);
  EXPECT_EQ(j.at("read").at("total_ios"), 3);
  EXPECT_EQ(j.at("read").at("io_bytes"), 3 * 4096);
  EXPECT_DOUBLE_EQ(j.at("read").at("iops").get<double>(), 3.0);  // 3 I/Os in 1 s
  EXPECT_EQ(j.at("read").at("bw_bytes"), 3 * 4096);
  EXPECT_EQ(j.at("write").at("total_ios"), 0);
  EXPECT_EQ(j.at("read").at("clat_ns").at("N"), 3);
  EXPECT_EQ(j.at("read").at("clat_ns").at("max"), 1000);
  EXPECT_EQ(j.at("total_err"), 4);
  EXPECT_EQ(j.at("error"), 5);
  EXPECT_EQ(j.at("first_error"), 5);
}

// fio's continue_on_error: which direction's error ends the job (trims and flushes are writes).
TEST(ReportErrors, ContinueOnErrorDecidesErr) {
  struct Case {
    ContinueOnError c;
    int error;
    std::string text;
  };
  const std::string read150 = "read error at 0.150000000s, status 0x371, error=Input/output error";
  const std::string write400 = "write error at 0.400000000s, status 0x370, error=Input/output error";
  for (const Case& k : {Case{ContinueOnError::None, 5, read150}, Case{ContinueOnError::Verify, 5, read150},
                        Case{ContinueOnError::Read, 5, write400}, Case{ContinueOnError::Write, 5, read150},
                        Case{ContinueOnError::Io, 0, ""}, Case{ContinueOnError::All, 0, ""}}) {
    const JobStats job = mixed(k.c);
    EXPECT_EQ(job.error, k.error) << scenario::to_string(k.c);
    EXPECT_EQ(job.error_text, k.text) << scenario::to_string(k.c);
  }
  // Only read errors, continue_on_error: read -> err 0; a flush error alone stops a `read` job.
  JobStats reads("r", 0);
  reads.stop_on_error = world::stop_on_error_dirs(ContinueOnError::Read);
  reads.add_error(Dir::Read, ms(1), 0x371);
  reads.finish(sec(1));
  EXPECT_EQ(reads.error, 0);
  EXPECT_EQ(reads.total_err, 1u);
  JobStats flush("f", 0);
  flush.stop_on_error = world::stop_on_error_dirs(ContinueOnError::Read);
  flush.add_error(Dir::Flush, ms(2), 0x6);
  flush.finish(sec(1));
  EXPECT_EQ(flush.error, 5);
  EXPECT_EQ(flush.error_text, "flush error at 0.002000000s, status 0x006, error=Input/output error");
}

TEST(ReportErrors, TextShowsErrAndTheErrorCount) {
  const std::string text = fio_text_job(mixed(ContinueOnError::None), {50.0});
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "j: (groupid=0, jobs=1): err= 5 (read error at 0.150000000s, status 0x371, "
            "error=Input/output error)");
  EXPECT_NE(text.find("  read: IOPS=3, "), std::string::npos) << text;
  EXPECT_EQ(text.find("  write: "), std::string::npos) << text;  // nothing written
  EXPECT_NE(text.find("     issued rwts: total=5,1,0,1 "), std::string::npos) << text;
  EXPECT_NE(text.find("     errors    : total=4, first_error=5/<Input/output error> (read=2, write=1, "
                      "trim=0, flush=1)\n"),
            std::string::npos)
      << text;
  // No error: no errors line, err= 0.
  JobStats ok("ok", 0);
  ok.add(Dir::Read, ms(1), 4096, 0, 1000);
  ok.finish(sec(1));
  const std::string t2 = fio_text_job(ok, {50.0});
  EXPECT_EQ(t2.substr(0, t2.find('\n')), "ok: (groupid=0, jobs=1): err= 0");
  EXPECT_EQ(t2.find("errors"), std::string::npos);
}

TEST(ReportErrors, TimeSeriesCountsErrorsApart) {
  TimeSeries ts(ms(100));
  const auto total = ts.scope("total");
  ts.add(total, ms(10), Dir::Read, 4096, 1000);
  ts.add_error(total, ms(20));
  ts.add_error(total, ms(150));
  ts.add_error(total, ms(160));
  ts.finish(ms(200));
  EXPECT_EQ(ts.csv(),
            "t_ms,scope,read_iops,write_iops,read_bw_bytes,write_bw_bytes,lat_p50_ns,lat_p99_ns,"
            "lat_max_ns,ios,err_ios\n"
            "0,total,10,0,40960,0,1000,1000,1000,1,1\n"
            "100,total,0,0,0,0,0,0,0,0,2\n");
}

// 1 ns buckets over 2 s would be 2e9 rows per scope: only the buckets with activity are stored
// and written (sparse above kMaxDenseRows rows).
TEST(ReportErrors, TimeSeriesIsSparseWhenBucketsAreMany) {
  TimeSeries ts(1);
  const auto total = ts.scope("total");
  const auto job = ts.scope("job:j");
  ts.add(total, 5, Dir::Read, 4096, 7);
  ts.add(job, 5, Dir::Read, 4096, 7);
  ts.add_error(total, sec(1));
  ts.finish(sec(2));
  EXPECT_FALSE(ts.dense());
  EXPECT_EQ(ts.buckets(), 2'000'000'000);
  EXPECT_EQ(ts.rows("total").size(), 2u);
  // One I/O in a 1 ns bucket: 1e9 IOPS, 4096e9 B/s.
  EXPECT_EQ(ts.csv(),
            "t_ms,scope,read_iops,write_iops,read_bw_bytes,write_bw_bytes,lat_p50_ns,lat_p99_ns,"
            "lat_max_ns,ios,err_ios\n"
            "0.000005,job:j,1000000000,0,4096000000000,0,7,7,7,1,0\n"
            "0.000005,total,1000000000,0,4096000000000,0,7,7,7,1,0\n"
            "1000,total,0,0,0,0,0,0,0,0,1\n");
  // A run of 1e9 s with 100 ms buckets and no I/O: header only, nothing allocated per bucket.
  TimeSeries idle(ms(100));
  idle.scope("total");
  idle.finish(sec(1'000'000'000));
  EXPECT_FALSE(idle.dense());
  EXPECT_EQ(idle.csv(),
            "t_ms,scope,read_iops,write_iops,read_bw_bytes,write_bw_bytes,lat_p50_ns,lat_p99_ns,"
            "lat_max_ns,ios,err_ios\n");
}

// The dense/sparse boundary: buckets x scopes <= kMaxDenseRows.
TEST(ReportErrors, TimeSeriesDenseUpToTheRowLimit) {
  const auto limit = static_cast<std::int64_t>(TimeSeries::kMaxDenseRows);
  TimeSeries a(ms(1));
  a.scope("total");
  a.scope("job:j");
  a.finish(ms(1) * (limit / 2));  // limit/2 buckets x 2 scopes = limit rows
  EXPECT_TRUE(a.dense());
  TimeSeries b(ms(1));
  b.scope("total");
  b.scope("job:j");
  b.finish(ms(1) * (limit / 2 + 1));
  EXPECT_FALSE(b.dense());
}

}  // namespace
}  // namespace sim::report
