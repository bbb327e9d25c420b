// Ports' addresses as sysfs and nvme-cli show them (sim/world/sysfs.hpp), and the host ID. The
// tree itself is read by the real nvme-cli in tests/clients/sysfs.sh.
#include <gtest/gtest.h>

#include <string>

#include "sim/world/sysfs.hpp"
#include "scenario_test_support.hpp"

namespace sim::world {
namespace {

using scenario::testing::load_yaml;

const char* kTwoSubsystems = R"(nvmsim: 1
duration: 1s
hosts:
  - {name: h1}
  - {name: h2, hostid: 4c4c4544-0035-4710-8031-b7c04f4e4a32}
subsystems:
  - nqn: nqn.2026-01.io.nvmsim:a
    ports:
      - {id: 1, transport: tcp}
      - {id: 300, transport: rdma}
      - {id: 2, transport: tcp, address: "10.1.2.3:4430"}
    namespaces: [{nsid: 1, size: 1g}]
  - nqn: nqn.2026-01.io.nvmsim:b
    ports:
      - {id: 1, transport: fc}
      - {id: 2, transport: pcie}
      - {id: 3, transport: fc, address: "nn-0x200000109b123456:pn-0x100000109b123456"}
    namespaces: [{nsid: 1, size: 1g}]
links:
  - {name: a1, host: h1, subsystem: nqn.2026-01.io.nvmsim:a, port: 1}
  - {name: a300, host: h1, subsystem: nqn.2026-01.io.nvmsim:a, port: 300}
  - {name: a2, host: h1, subsystem: nqn.2026-01.io.nvmsim:a, port: 2}
  - {name: b1, host: h2, subsystem: nqn.2026-01.io.nvmsim:b, port: 1}
  - {name: b2, host: h2, subsystem: nqn.2026-01.io.nvmsim:b, port: 2}
  - {name: b3, host: h2, subsystem: nqn.2026-01.io.nvmsim:b, port: 3}
)";

TEST(SysfsAddress, DerivedPerPortOrAsGiven) {
  const auto s = load_yaml(kTwoSubsystems);
  auto addr = [&](const char* link) {
    for (const auto& l : s.links)
      if (l.name == link) return controller_address(s, l);
    return std::string("no such link");
  };
  EXPECT_EQ(addr("a1"), "traddr=192.168.1.1,trsvcid=4420");
  EXPECT_EQ(addr("a300"), "traddr=10.1.1.44,trsvcid=4420");  // id 300 = 1 * 256 + 44
  EXPECT_EQ(addr("a2"), "traddr=10.1.2.3,trsvcid=4430");
  EXPECT_EQ(addr("b1"), "traddr=nn-0x2000000002000001:pn-0x1000000002000001,"
                        "host_traddr=nn-0x20000090fa000002:pn-0x10000090fa000002");
  EXPECT_EQ(addr("b2"), "0000:22:00.0");  // bus 2 * 16 + 2
  EXPECT_EQ(addr("b3"), "traddr=nn-0x200000109b123456:pn-0x100000109b123456,"
                        "host_traddr=nn-0x20000090fa000002:pn-0x10000090fa000002");
}

TEST(SysfsAddress, HostIdGivenOrDerivedFromTheHostnqn) {
  const auto s = load_yaml(kTwoSubsystems);
  EXPECT_EQ(hostid_for(s.hosts[1]), "4c4c4544-0035-4710-8031-b7c04f4e4a32");
  const std::string derived = hostid_for(s.hosts[0]);
  EXPECT_EQ(hostnqn_for("h1"), "nqn.2014-08.org.nvmexpress:uuid:" + derived);
  EXPECT_EQ(derived.size(), 36u);
}

TEST(SysfsAddress, ValidateShowsAGivenAddressAndItLoadsBack) {
  const auto s = load_yaml(kTwoSubsystems);
  const auto again = load_yaml(scenario::dump_yaml(s));
  EXPECT_EQ(again.subsystems[0].ports[2].address, "10.1.2.3:4430");
  EXPECT_EQ(again.subsystems[1].ports[2].address, "nn-0x200000109b123456:pn-0x100000109b123456");
  EXPECT_EQ(again.hosts[1].hostid, "4c4c4544-0035-4710-8031-b7c04f4e4a32");
}

}  // namespace
}  // namespace sim::world
