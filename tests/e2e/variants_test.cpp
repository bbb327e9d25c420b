// hosts[].variant validation: unknown ids and mainline properties exit 2 at the host's
// file:line:column with the list of valid ids; a valid variant runs.
#include <gtest/gtest.h>

#include <string>

#include "e2e_util.hpp"

namespace {

std::string scenario(const std::string& variant) {
  return R"(nvmsim: 1
duration: 10ms
hosts:
  - {name: h1, variant: )" + variant + R"(}
subsystems:
  - nqn: nqn.x:s
    ports: [{id: 1}, {id: 2}]
    namespaces: [{nsid: 1, size: 1g, lba_size: 4k}]
links:
  - {name: a, host: h1, subsystem: nqn.x:s, port: 1}
  - {name: b, host: h1, subsystem: nqn.x:s, port: 2}
workloads:
  - {name: w, host: h1, target: nvme0n1}
)";
}

sim::api::Result run(const std::string& variant) {
  return sim::api::run_forked(sim::scenario::load_string(scenario(variant), "v.yaml", {}));
}

TEST(Variants, UnknownIdIsAnInputErrorWithTheValidIds) {
  const auto r = run("[BP-99]");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("v.yaml:4:5"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("unknown bug-pattern variant 'BP-99'"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("(key: variant)"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("valid variants: BP-02, BP-03"), std::string::npos) << r.error;
}

TEST(Variants, MainlinePropertiesAreRefused) {
  for (const char* id : {"BP-01", "BP-18", "BP-19"}) {
    const auto r = run(std::string("[BP-02, ") + id + "]");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.error.find("v.yaml:4:5"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(std::string(id) + " is a mainline property"), std::string::npos) << r.error;
  }
}

TEST(Variants, KnownVariantsRun) { EXPECT_EQ(run("[BP-02, BP-13, BP-21]").exit_code, 0); }

}  // namespace
