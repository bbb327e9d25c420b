#include "sim/world/sysfs.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace sim::world {
namespace fs = std::filesystem;
namespace sc = sim::scenario;

namespace {

constexpr const char* kUuidNqn = "nqn.2014-08.org.nvmexpress:uuid:";

std::string default_ip(std::size_t n, int p) {
  if (n <= 254 && p >= 1 && p <= 254) return fmt::format("192.168.{}.{}", n, p);
  return fmt::format("10.{}.{}.{}", n % 256, (p >> 8) & 0xFF, p & 0xFF);
}

void put(const fs::path& file, const std::string& value) {
  fs::create_directories(file.parent_path());
  std::ofstream f(file, std::ios::binary);
  if (!f) throw std::runtime_error("cannot write " + file.string());
  f << value << "\n";
}

void link(const fs::path& at, const std::string& target) {
  fs::create_directories(at.parent_path());
  std::error_code ec;
  fs::create_symlink(target, at, ec);
  if (ec) throw std::runtime_error("cannot create " + at.string() + ": " + ec.message());
}

// Attributes every disk has: nsid, size (512-byte sectors), the block size, hidden, dev.
void disk_attrs(const fs::path& d, std::uint32_t nsid, std::uint64_t bytes, std::uint32_t lba_size, bool hidden,
                int minor) {
  put(d / "nsid", std::to_string(nsid));
  put(d / "size", std::to_string(bytes / 512));
  put(d / "queue" / "logical_block_size", std::to_string(lba_size));
  put(d / "hidden", hidden ? "1" : "0");
  put(d / "dev", fmt::format("259:{}", minor));
}

// What a subsystem and each of its controllers both show of the subsystem.
void subsys_identity(const TopoSubsys& s, const fs::path& dir) {
  put(dir / "subsysnqn", s.nqn);
  put(dir / "model", s.model);
  put(dir / "serial", s.serial);
  put(dir / "firmware_rev", s.firmware);
}

void write_host(const HostTopology& h, const fs::path& root) {
  const fs::path subsys_dir = root / "devices/virtual/nvme-subsystem";
  const fs::path ctl_dir = root / "devices/virtual/nvme-fabrics/ctl";
  fs::create_directories(root / "class/nvme");
  fs::create_directories(root / "class/nvme-subsystem");
  fs::create_directories(root / "block");
  int minor = 0;
  for (const TopoSubsys& s : h.subsystems) {
    const fs::path sd = subsys_dir / s.name;
    subsys_identity(s, sd);
    put(sd / "iopolicy", s.iopolicy);
    put(sd / "subsystype", "nvm");
    link(root / "class/nvme-subsystem" / s.name, "../../devices/virtual/nvme-subsystem/" + s.name);
    for (const TopoHead& hd : s.heads) {
      disk_attrs(sd / hd.disk, hd.nsid, hd.bytes, hd.lba_size, false, minor++);
      fs::create_directories(sd / hd.disk / "slaves");
      link(root / "block" / hd.disk, "../devices/virtual/nvme-subsystem/" + s.name + "/" + hd.disk);
    }
    for (const TopoPath& p : s.paths) {
      const fs::path cd = ctl_dir / p.ctrl;
      put(cd / "transport", p.transport);
      put(cd / "address", p.address);
      put(cd / "state", p.state);
      subsys_identity(s, cd);
      put(cd / "hostnqn", h.hostnqn);
      put(cd / "hostid", h.hostid);
      put(cd / "cntlid", std::to_string(p.cntlid));
      put(cd / "numa_node", "-1");
      put(cd / "cntrltype", "io");
      put(cd / "dctype", "none");
      link(root / "class/nvme" / p.ctrl, "../../devices/virtual/nvme-fabrics/ctl/" + p.ctrl);
      link(sd / p.ctrl, "../../nvme-fabrics/ctl/" + p.ctrl);
      for (const TopoNs& n : p.ns) {
        const fs::path nd = cd / n.disk;
        disk_attrs(nd, n.nsid, n.bytes, n.lba_size, !n.head.empty(), minor++);
        if (!n.ana_state.empty()) {
          put(nd / "ana_state", n.ana_state);
          put(nd / "ana_grpid", std::to_string(n.ana_grpid));
        }
        link(root / "block" / n.disk, "../devices/virtual/nvme-fabrics/ctl/" + p.ctrl + "/" + n.disk);
        if (n.head.empty()) continue;
        // The 2017 multipath series' links between a head and its path disks.
        fs::create_directories(nd / "holders");
        link(nd / "holders" / n.head, "../../../../../nvme-subsystem/" + s.name + "/" + n.head);
        link(sd / n.head / "slaves" / n.disk, "../../../../nvme-fabrics/ctl/" + p.ctrl + "/" + n.disk);
      }
    }
  }
}

}  // namespace

std::string controller_address(const sc::Scenario& s, const sc::Link& l) {
  std::size_t n = 0;
  const sc::Port* port = nullptr;
  for (std::size_t i = 0; i < s.subsystems.size() && !port; ++i) {
    if (s.subsystems[i].nqn != l.subsystem) continue;
    n = i + 1;
    for (const auto& p : s.subsystems[i].ports)
      if (p.id == l.port) port = &p;
  }
  if (!port) return "traddr=" + l.name;
  switch (port->transport) {
    case sc::Transport::Tcp:
    case sc::Transport::Rdma: {
      std::string ip = port->address.empty() ? default_ip(n, port->id) : port->address;
      std::string svc = "4420";
      if (const auto colon = ip.find(':'); colon != std::string::npos) {
        svc = ip.substr(colon + 1);
        ip.resize(colon);
      }
      return fmt::format("traddr={},trsvcid={}", ip, svc);
    }
    case sc::Transport::Fc: {
      std::size_t host = 0;
      for (std::size_t i = 0; i < s.hosts.size(); ++i)
        if (s.hosts[i].name == l.host) host = i + 1;
      const std::string tr = port->address.empty()
                                 ? fmt::format("nn-0x2000{:06x}{:06x}:pn-0x1000{:06x}{:06x}", n, port->id, n, port->id)
                                 : port->address;
      return fmt::format("traddr={},host_traddr=nn-0x20000090fa{:06x}:pn-0x10000090fa{:06x}", tr, host, host);
    }
    case sc::Transport::Pcie:
      return port->address.empty() ? fmt::format("0000:{:02x}:00.0", (n * 16 + static_cast<std::size_t>(port->id)) & 0xFF)
                                   : port->address;
  }
  return "traddr=" + l.name;
}

std::string hostid_for(const sc::Host& h) {
  if (!h.hostid.empty()) return h.hostid;
  const std::string nqn = hostnqn_for(h.name);
  return nqn.substr(nqn.rfind(':') + 1);
}

void resolve_topology(std::vector<HostTopology>& topo, const sc::Scenario& s) {
  for (HostTopology& t : topo) {
    for (const auto& h : s.hosts)
      if (h.name == t.host) {
        t.hostid = hostid_for(h);
        t.hostnqn = kUuidNqn + t.hostid;
      }
    for (TopoSubsys& ts : t.subsystems) {
      for (const auto& sub : s.subsystems)
        if (sub.nqn == ts.nqn) {
          ts.model = sub.model;
          ts.serial = sub.serial;
          ts.firmware = sub.firmware;
        }
      for (TopoPath& p : ts.paths)
        for (const auto& l : s.links)
          if (l.name == p.link) p.address = controller_address(s, l);
    }
  }
}

void write_sysfs(const std::vector<HostTopology>& topo, const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
    throw std::runtime_error("--sysfs " + dir + ": the directory is not empty");
  fs::create_directories(dir);
  for (const HostTopology& h : topo) write_host(h, topo.size() == 1 ? fs::path(dir) : fs::path(dir) / h.host);
}

}  // namespace sim::world
