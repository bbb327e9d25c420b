// fio's log files (sim/report/fio_log.hpp): window arithmetic as fio 3.33's add_log_sample and
// __add_samples do it. The real fio2gnuplot / fio_generate_plots run in tests/clients/fio_logs.sh.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "sim/report/fio_log.hpp"

namespace sim::report {
namespace {

using metrics::Dir;

TEST(FioLog, LatencyWindowClosesOnTheFirstCompletionPastItAndCountsIt) {
  FioJobLog log(100 * kMillisecond);
  log.add(Dir::Read, ms(10), 4096, us(1), us(10));
  log.add(Dir::Read, ms(99), 4096, us(3), us(30));
  // 100 ms past the window start (0): closes it, counts in it, prints at its own ms.
  log.add(Dir::Read, ms(150) + 999'999, 4096, us(2), us(20));
  // The next window starts at 100 (150 rounded down): 201 closes it.
  log.add(Dir::Read, ms(180), 4096, 1, 3);
  log.add(Dir::Read, ms(201), 4096, 2, 4);
  log.finish(ms(250));
  EXPECT_EQ(log.clat(), "150, 20000, 0, 0, 0\n201, 4, 0, 0, 0\n");  // (3 + 4) / 2 = 3.5 -> 4
  EXPECT_EQ(log.slat(), "150, 2000, 0, 0, 0\n201, 2, 0, 0, 0\n");   // (1 + 2) / 2 = 1.5 -> 2
  EXPECT_EQ(log.lat(), "150, 22000, 0, 0, 0\n201, 5, 0, 0, 0\n");
}

TEST(FioLog, DirectionsHaveTheirOwnWindowsAndTheEndFlushesThem) {
  FioJobLog log(50 * kMillisecond);
  log.add(Dir::Write, ms(20), 8192, 0, 100);
  log.add(Dir::Read, ms(60), 4096, 0, 10);   // read window 0..: 60 >= 50, prints
  log.add(Dir::Trim, ms(70), 4096, 0, 7);    // trim window too: 70 >= 50, prints
  log.add(Dir::Flush, ms(71), 0, 0, 1000);   // flushes are not logged
  log.finish(ms(75) + 5);
  EXPECT_EQ(log.clat(), "60, 10, 0, 0, 0\n70, 7, 2, 0, 0\n75, 100, 1, 0, 0\n");  // write: at the end
}

TEST(FioLog, RatesPerWholeWindowSkipIdleWindowsAndThePartialLastOne) {
  FioJobLog log(100 * kMillisecond);
  for (int i = 0; i < 10; ++i) log.add(Dir::Read, ms(i), 4096, 0, 1);      // window 0
  log.add(Dir::Write, ms(50), 1024, 0, 1);                                 // window 0
  // Window 1 and 2 idle (a stall): no lines. Window 3 has three reads.
  for (int i = 0; i < 3; ++i) log.add(Dir::Read, ms(300 + i), 4096, 0, 1);
  log.add(Dir::Read, ms(420), 4096, 0, 1);  // window 4, partial at the end: no line
  log.finish(ms(450));
  EXPECT_EQ(log.iops(), "100, 100, 0, 0, 0\n100, 10, 1, 0, 0\n400, 30, 0, 0, 0\n");
  // 40960 B in 100 ms = 400 KiB/s; 1024 B = 10 KiB/s; 12288 B = 120 KiB/s.
  EXPECT_EQ(log.bw(), "100, 400, 0, 0, 0\n100, 10, 1, 0, 0\n400, 120, 0, 0, 0\n");
}

TEST(FioLog, AnEndOnAWindowBoundaryPrintsThatWindow) {
  FioJobLog log(100 * kMillisecond);
  log.add(Dir::Read, ms(99), 4096, 0, 1);
  log.finish(ms(100));
  EXPECT_EQ(log.iops(), "100, 10, 0, 0, 0\n");
  log.finish(ms(500));  // idempotent
  EXPECT_EQ(log.iops(), "100, 10, 0, 0, 0\n");
}

TEST(FioLog, NamesAsFioDoes) {
  FioJobLog log(kMillisecond);
  const auto files = fio_log_files(log, "oltp", 3);
  ASSERT_EQ(files.size(), 5u);
  EXPECT_EQ(files[0].first, "oltp_lat.3.log");
  EXPECT_EQ(files[1].first, "oltp_clat.3.log");
  EXPECT_EQ(files[2].first, "oltp_slat.3.log");
  EXPECT_EQ(files[3].first, "oltp_iops.3.log");
  EXPECT_EQ(files[4].first, "oltp_bw.3.log");
  EXPECT_THROW(FioJobLog(kMillisecond + 1), std::invalid_argument);
  EXPECT_THROW(FioJobLog(0), std::invalid_argument);
}

}  // namespace
}  // namespace sim::report
