#pragma once
// The host's NVMe sysfs as Linux lays it out, so nvme-cli / libnvme read nvmsim's topology
// (`nvmsim topology FILE --at T --sysfs DIR`). Layout (DIR stands for /sys), as libnvme 1.x
// (src/nvme/tree.c) scans it:
//   class/nvme-subsystem/nvme-subsysN -> ../../devices/virtual/nvme-subsystem/nvme-subsysN
//       subsysnqn model serial firmware_rev iopolicy subsystype
//       nvmeC -> ../../nvme-fabrics/ctl/nvmeC          (one link per controller)
//       nvmeNnM/  head disk: nsid size hidden=0 dev queue/logical_block_size slaves/nvmeNcCnM
//   class/nvme/nvmeC -> ../../devices/virtual/nvme-fabrics/ctl/nvmeC
//       transport address state subsysnqn hostnqn hostid cntlid model serial firmware_rev
//       numa_node queue_count sqsize cntrltype dctype
//       nvmeNcCnM/  path disk: nsid ana_state ana_grpid size hidden=1 holders/nvmeNnM
//       nvmeCnM/    without multipath, the controller's own disk
//   block/<disk> -> ../devices/.../<disk>                (every disk, hidden ones too)
// Every file holds one value and a newline, as sysfs attributes do.
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/world/report.hpp"

namespace sim::world {

// "traddr=192.168.1.1,trsvcid=4420" (tcp, rdma), "traddr=nn-...:pn-...,host_traddr=nn-...:pn-..."
// (fc) or "0000:11:00.0" (pcie): the sysfs `address` of a controller on `link`. A port without
// `address` gets one derived from its subsystem's position N (1-based) and its id P: tcp/rdma
// 192.168.N.P (P 1..254, N <= 254; else 10.N.P/256.P%256), trsvcid 4420; fc WWNs with N and P
// in them; pcie bus N*16+P.
std::string controller_address(const scenario::Scenario& s, const scenario::Link& link);
// hosts[].hostid, or a UUID derived from the host's name (the one in its default hostnqn).
std::string hostid_for(const scenario::Host& h);

// Fills what the host model does not know: addresses from the ports, model / serial / firmware
// from the subsystems, hostid and hostnqn from the hosts.
void resolve_topology(std::vector<HostTopology>& topo, const scenario::Scenario& s);

// Writes the tree of each host into `dir` (one host) or `dir/<host>/` (several). `dir` must not
// exist or be empty. Throws std::runtime_error when it cannot.
void write_sysfs(const std::vector<HostTopology>& topo, const std::string& dir);

}  // namespace sim::world
