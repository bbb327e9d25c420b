// Scenario loader: hosts, subsystems, links and connect (the topology sections).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>

#include "sim/fabric/transport.hpp"
#include "sim/scenario/loader_sections.hpp"
#include "sim/scenario/units.hpp"

namespace sim::scenario::detail {
namespace {

bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

std::string port_ids(const Subsystem& s) {
  std::vector<std::string> ids;
  for (const Port& p : s.ports) ids.push_back(std::to_string(p.id));
  return join(ids);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Identify strings are fixed-width ASCII fields (model 40, serial 20, firmware 8 bytes).
std::string read_identify_string(const MapReader& m, std::string_view key, std::size_t max_len,
                                 const std::string& fallback) {
  const Node* v = m.find(key);
  if (v == nullptr) return fallback;
  std::string text = read_string(*v, m.path(key));
  if (text.size() > max_len) {
    fail(v->loc, m.path(key),
         std::string(key) + " is " + std::to_string(text.size()) +
             " characters long, the limit is " + std::to_string(max_len),
         "it is reported in a fixed-width Identify Controller field");
  }
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) {
      fail(v->loc, m.path(key), std::string(key) + " must be printable ASCII");
    }
  }
  return text;
}

std::string read_nqn(const Node& n, const std::string& key) {
  std::string nqn = read_string(n, key);
  const std::string example = "e.g. nqn.2026-01.io.nvmsim:array1";
  if (nqn.rfind("nqn.", 0) != 0) {
    fail(n.loc, key, "invalid NQN '" + nqn + "': an NQN starts with 'nqn.'", example);
  }
  if (nqn.size() > 223) {
    fail(n.loc, key, "NQN is " + std::to_string(nqn.size()) + " bytes long, the limit is 223");
  }
  if (std::any_of(nqn.begin(), nqn.end(), [](char c) { return c <= ' ' || c == 0x7f; })) {
    fail(n.loc, key, "invalid NQN '" + nqn + "': no spaces or control characters", example);
  }
  return nqn;
}

NvmeOptions parse_nvme(const Node& n, const std::string& path) {
  MapReader m(n, path, kNvmeKeys);
  NvmeOptions o;
  // KATO travels in milliseconds (a 32-bit field); 0 switches keep-alive off.
  get_duration(m, "kato", o.kato, {.max = 0xFFFFFFFFll * kMillisecond, .step = kMillisecond});
  get_duration(m, "io_timeout", o.io_timeout, {.min = 1});
  get_duration(m, "admin_timeout", o.admin_timeout, {.min = 1});
  get_int(m, "max_retries", o.max_retries, 0, 1000);
  get_duration(m, "reconnect_delay", o.reconnect_delay, {.min = 1});
  if (const Node* v = m.find("ctrl_loss_tmo")) {
    o.ctrl_loss_tmo = read_duration_or_off(*v, m.path("ctrl_loss_tmo"), {.off_word = "never"});
  }
  if (const Node* v = m.find("fast_io_fail_tmo")) {
    o.fast_io_fail_tmo = read_duration_or_off(*v, m.path("fast_io_fail_tmo"), {.off_word = "off"});
  }
  get_enum(m, "failover_hold", o.failover_hold, kHolds, "failover_hold");
  get_bool(m, "queue_if_no_path", o.queue_if_no_path);
  return o;
}

std::vector<Namespace> parse_namespaces(const MapReader& m, const Subsystem& s) {
  const Node* list = m.find("namespaces");
  if (list == nullptr) return {Namespace{.loc = s.loc}};
  const std::string path = m.path("namespaces");
  std::vector<Namespace> out;
  std::map<std::uint32_t, SourceLoc> seen;
  const auto& items = read_list(*list, path, "'- {nsid: 1, size: 64g, lba_size: 4k}'");
  for (std::size_t i = 0; i < items.size(); ++i) {
    MapReader nm(items[i], index_path(path, i), kNamespaceKeys);
    Namespace ns;
    ns.loc = items[i].loc;
    const Node* nsid = nm.find("nsid");
    if (nsid) ns.nsid = static_cast<std::uint32_t>(read_int(*nsid, nm.path("nsid"), 1, 0xFFFFFFFE));
    const Node& nsid_at = nsid ? *nsid : items[i];
    if (auto [it, fresh] = seen.emplace(ns.nsid, nsid_at.loc); !fresh) {
      fail(nsid_at.loc, nm.path("nsid"),
           "duplicate nsid " + std::to_string(ns.nsid) + " in subsystem '" + s.nqn + "'",
           "first used at " + where(it->second) + (nsid ? "" : "; nsid defaults to 1"));
    }
    if (const Node* v = nm.find("lba_size")) {
      ns.lba_size = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(read_size(*v, nm.path("lba_size")), UINT32_MAX));
      if (!is_power_of_two(ns.lba_size) || ns.lba_size < 512 || ns.lba_size > 65536) {
        fail(v->loc, nm.path("lba_size"),
             "lba_size must be a power of two between 512 and 64k, got " + v->text);
      }
    }
    if (const Node* v = nm.find("size")) ns.size = read_size(*v, nm.path("size"));
    if (ns.size == 0 || ns.size % ns.lba_size != 0) {
      const Node* at = nm.find("size") ? nm.find("size") : nm.find("lba_size");
      fail(at->loc, nm.path("size"),
           "namespace size must be a positive multiple of lba_size (" + format_size(ns.lba_size) +
               "), got " + format_size(ns.size));
    }
    get_int(nm, "ana_group", ns.ana_group, 1, 255);
    out.push_back(ns);
  }
  return out;
}

std::map<int, AnaState> parse_ana_map(const Node& n, const std::string& path) {
  std::map<int, AnaState> out;
  if (n.is_null()) return out;
  if (!n.is_map()) {
    fail(n.loc, path, "ana must map ANA group ids to states, got " + describe(n),
         "e.g. ana: {1: optimized, 2: non-optimized}");
  }
  for (std::size_t i = 0; i < n.keys.size(); ++i) {
    const Node& key = n.keys[i];
    const std::string key_path = child_path(path, key.is_scalar() ? key.text : "?");
    const std::int64_t id = read_int(key, key_path, std::numeric_limits<std::int64_t>::min(),
                                     std::numeric_limits<std::int64_t>::max());
    if (id < 1 || id > 255) {
      fail(key.loc, key_path, "ANA group id must be between 1 and 255, got " + key.text);
    }
    const int group = static_cast<int>(id);
    if (out.count(group) != 0) fail(key.loc, key_path, "duplicate ANA group " + key.text);
    out[group] = read_enum(n.items[i], key_path, kAnaStates, "ANA state");
  }
  return out;
}

// tcp/rdma: IPv4 with an optional ":trsvcid"; fc and pcie: the address as the kernel prints it
// (one word without ',' or '=', which would break the sysfs address string).
std::string parse_port_address(const Node& n, const std::string& key, Transport t) {
  const std::string a = read_string(n, key);
  if (t == Transport::Tcp || t == Transport::Rdma) {
    const std::size_t colon = a.find(':');
    const std::string ip = a.substr(0, colon);
    int parts = 0;
    bool ok = true;
    std::size_t begin = 0;
    while (ok && begin <= ip.size()) {
      std::size_t end = ip.find('.', begin);
      if (end == std::string::npos) end = ip.size();
      const std::string part = ip.substr(begin, end - begin);
      ok = !part.empty() && part.size() <= 3 && part.find_first_not_of("0123456789") == std::string::npos &&
           std::stoi(part) <= 255;
      ++parts;
      begin = end + 1;
    }
    if (ok && colon != std::string::npos) {
      const std::string port = a.substr(colon + 1);
      ok = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
           std::stoi(port) >= 1 && std::stoi(port) <= 65535;
    }
    if (!ok || parts != 4)
      fail(n.loc, key, "invalid " + std::string(to_string(t)) + " address '" + a + "'",
           "an IPv4 address with an optional service id, e.g. 192.168.1.10 or 192.168.1.10:4420");
    return a;
  }
  if (a.empty() || a.find_first_of(",= \t") != std::string::npos)
    fail(n.loc, key, "invalid " + std::string(to_string(t)) + " address '" + a + "'",
         t == Transport::Fc ? "e.g. nn-0x200000109b123456:pn-0x100000109b123456" : "e.g. 0000:01:00.0");
  return a;
}

// 8-4-4-4-12 hex digits, as nvme-cli's hostid.
std::string parse_hostid(const Node& n, const std::string& key) {
  const std::string id = read_string(n, key);
  bool ok = id.size() == 36;
  for (std::size_t i = 0; ok && i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    ok = dash ? id[i] == '-' : std::isxdigit(static_cast<unsigned char>(id[i])) != 0;
  }
  if (!ok) fail(n.loc, key, "invalid hostid '" + id + "'", "a UUID such as 4c4c4544-0035-4710-8031-b7c04f4e4a32");
  return id;
}

std::vector<Port> parse_ports(const MapReader& m, const Subsystem& s) {
  std::vector<Port> out;
  const Node* list = m.find("ports");
  if (list == nullptr) {
    Port p;
    p.loc = s.loc;
    out.push_back(std::move(p));
  } else {
    const std::string path = m.path("ports");
    const auto& items = read_list(*list, path, "'- {id: 1, transport: tcp}'");
    if (items.empty()) {
      fail(list->loc, path, "a subsystem needs at least one port",
           "e.g. ports: [{id: 1, transport: tcp}]");
    }
    std::map<int, SourceLoc> seen;
    for (std::size_t i = 0; i < items.size(); ++i) {
      MapReader pm(items[i], index_path(path, i), kPortKeys);
      Port p;
      p.loc = items[i].loc;
      get_int(pm, "id", p.id, 0, 65535);
      const Node& id_at = pm.has("id") ? *pm.find("id") : items[i];
      if (auto [it, fresh] = seen.emplace(p.id, id_at.loc); !fresh) {
        fail(id_at.loc, pm.path("id"),
             "duplicate port id " + std::to_string(p.id) + " in subsystem '" + s.nqn + "'",
             "first used at " + where(it->second) + (pm.has("id") ? "" : "; id defaults to 1"));
      }
      get_enum(pm, "transport", p.transport, kTransports, "transport");
      if (const Node* v = pm.find("ana")) p.ana = parse_ana_map(*v, pm.path("ana"));
      if (const Node* v = pm.find("address")) p.address = parse_port_address(*v, pm.path("address"), p.transport);
      out.push_back(std::move(p));
    }
  }
  // A group the map leaves out is optimized through this port; spelled out so that `validate`
  // shows the full picture and models never guess.
  for (Port& p : out) {
    for (const Namespace& ns : s.namespaces) p.ana.emplace(ns.ana_group, AnaState::Optimized);
  }
  return out;
}

ControllerConfig parse_controller(const Node& n, const std::string& path) {
  MapReader m(n, path, kControllerKeys);
  ControllerConfig c;
  get_int(m, "max_io_queues", c.max_io_queues, 1, 65535);
  get_int(m, "queue_depth", c.queue_depth, 2, 65536);
  if (const Node* v = m.find("mdts")) {
    c.mdts = read_size(*v, m.path("mdts"));
    if (!is_power_of_two(c.mdts) || c.mdts < 4096) {
      fail(v->loc, m.path("mdts"), "mdts must be a power of two of at least 4k, got " + v->text,
           "MDTS is reported as a power of two of the 4k memory page");
    }
  }
  get_duration(m, "cmd_overhead", c.cmd_overhead);
  get_int(m, "abort_limit", c.abort_limit, 1, 256);
  get_duration(m, "zombie_window", c.zombie_window);
  return c;
}

Media parse_media(const Node& n, const std::string& path) {
  MapReader m(n, path, kMediaKeys);
  Media media;
  get_duration(m, "read_latency", media.read_latency);
  get_duration(m, "write_latency", media.write_latency);
  get_duration(m, "flush_latency", media.flush_latency);
  if (const Node* v = m.find("bandwidth")) {
    media.bandwidth = read_bandwidth(*v, m.path("bandwidth"));
    if (media.bandwidth == 0) fail(v->loc, m.path("bandwidth"), "bandwidth must be greater than 0");
  }
  get_int(m, "parallelism", media.parallelism, 1, 65536);
  if (const Node* j = m.find("jitter")) {
    MapReader jm(*j, m.path("jitter"), kJitterKeys);
    get_enum(jm, "dist", media.jitter.dist, kJitterDists, "jitter distribution");
    // Beyond these the "jitter" dominates the latency it perturbs.
    if (const Node* v = jm.find("sigma")) {
      media.jitter.sigma = read_double(*v, jm.path("sigma"), 0, 2, false, false);
    }
    if (const Node* v = jm.find("spread")) {
      media.jitter.spread = read_double(*v, jm.path("spread"), 0, 1, false, true);
    }
  }
  return media;
}

}  // namespace

std::size_t lookup(const std::map<std::string, std::size_t>& names, const Node& n,
                   const std::string& key, const char* what) {
  const std::string name = read_string(n, key);
  if (auto it = names.find(name); it != names.end()) return it->second;
  std::vector<std::string_view> known;
  for (const auto& [k, _] : names) known.emplace_back(k);
  fail(n.loc, key, std::string("unknown ") + what + " '" + name + "'",
       known.empty() ? std::string("no ") + what + " is defined" : value_hint(name, known));
}

std::string where(const SourceLoc& loc) {
  return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
}

std::string read_name(const Node& n, const std::string& key) {
  std::string name = read_string(n, key);
  const bool ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ':';
  });
  if (!ok) {
    fail(
        n.loc, key, "invalid name '" + name + "'",
        "names use letters, digits and '_', '-', '.', ':' (they appear in reports and file names)");
  }
  return name;
}

const Port* find_port(const Subsystem& s, int id) {
  for (const Port& p : s.ports) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

int read_port_ref(const Node& n, const std::string& key, const Subsystem& s) {
  const int id = static_cast<int>(read_int(n, key, 0, 65535));
  if (find_port(s, id) == nullptr) {
    fail(n.loc, key, "subsystem '" + s.nqn + "' has no port " + std::to_string(id),
         "its ports: " + port_ids(s));
  }
  return id;
}

std::string derived_serial(const std::string& nqn) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64-bit offset basis and prime
  for (unsigned char c : nqn) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "NVMSIM%012llX",
                static_cast<unsigned long long>(h & 0xFFFFFFFFFFFFull));
  return buf;
}

Host parse_host(const Node& n, const std::string& path, KernelProfile default_kernel) {
  MapReader m(n, path, kHostKeys);
  Host h;
  h.loc = n.loc;
  h.kernel = default_kernel;
  h.name = read_name(m.require("name"), m.path("name"));
  if (const Node* v = m.find("hostid")) h.hostid = parse_hostid(*v, m.path("hostid"));
  get_int(m, "numa_nodes", h.numa_nodes, 1, 64);
  get_int(m, "cpus", h.cpus, 1, 1024);
  if (h.cpus < h.numa_nodes) {
    const char* key = m.has("cpus") ? "cpus" : "numa_nodes";
    fail(m.find(key)->loc, m.path(key),
         "cpus (" + std::to_string(h.cpus) + ") must be at least numa_nodes (" +
             std::to_string(h.numa_nodes) + ")",
         "every numa node needs at least one cpu");
  }
  get_enum(m, "multipath", h.multipath, kMultipaths, "multipath mode");
  get_enum(m, "iopolicy", h.iopolicy, kIoPolicies, "iopolicy");
  get_enum(m, "kernel", h.kernel, kKernels, "kernel profile");
  get_enum(m, "core", h.core, kCores, "host core");
  if (const Node* v = m.find("variant")) {
    const std::string vpath = m.path("variant");
    const auto& items = read_list(*v, vpath, "variant: [BP-01]");
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string id = read_string(items[i], index_path(vpath, i));
      const bool ok =
          id.size() == 5 && id.rfind("BP-", 0) == 0 && is_digit(id[3]) && is_digit(id[4]);
      if (!ok) {
        fail(items[i].loc, index_path(vpath, i), "invalid bug-pattern id '" + id + "'",
             "ids look like BP-07 (see linux-mpath-semantics.md)");
      }
      if (std::find(h.variant.begin(), h.variant.end(), id) != h.variant.end()) {
        fail(items[i].loc, index_path(vpath, i), "bug pattern " + id + " is listed twice");
      }
      h.variant.push_back(id);
    }
  }
  if (const Node* v = m.find("nvme")) h.nvme = parse_nvme(*v, m.path("nvme"));
  return h;
}

Subsystem parse_subsystem(const Node& n, const std::string& path) {
  MapReader m(n, path, kSubsystemKeys);
  Subsystem s;
  s.loc = n.loc;
  s.nqn = read_nqn(m.require("nqn"), m.path("nqn"));
  s.model = read_identify_string(m, "model", 40, s.model);
  s.serial = read_identify_string(m, "serial", 20, derived_serial(s.nqn));
  s.firmware = read_identify_string(m, "firmware", 8, s.firmware);
  if (const Node* v = m.find("cmic")) {
    MapReader cm(*v, m.path("cmic"), kCmicKeys);
    get_bool(cm, "multi_port", s.cmic.multi_port);
    get_bool(cm, "multi_ctrl", s.cmic.multi_ctrl);
    get_bool(cm, "ana", s.cmic.ana);
  }
  // Identify reports ANATT in seconds (1 byte), CQT in milliseconds and KAS in 100 ms units
  // (16 bits each); values that the field cannot carry would be silently rounded otherwise.
  get_duration(m, "anatt", s.anatt, {.min = kSecond, .max = 255 * kSecond, .step = kSecond});
  get_duration(m, "cqt", s.cqt, {.max = 65535 * kMillisecond, .step = kMillisecond});
  if (const Node* v = m.find("crdt")) {
    const std::string key = m.path("crdt");
    if (!v->is_seq() || v->items.size() != 3)
      fail(v->loc, key, "crdt must be a list of three durations [CRDT1, CRDT2, CRDT3], got " + describe(*v),
           "e.g. crdt: [100ms, 1s, 0]");
    for (std::size_t i = 0; i < 3; ++i)
      s.crdt[i] = read_duration(v->items[i], index_path(key, i),
                                {.max = 65535 * 100 * kMillisecond, .step = 100 * kMillisecond});
  }
  get_duration(m, "kas", s.kas, {.max = 65535 * 100 * kMillisecond, .step = 100 * kMillisecond});
  get_bool(m, "tbkas", s.tbkas);
  get_bool(m, "ccr", s.ccr);
  get_bool(m, "vwc", s.vwc);
  s.namespaces = parse_namespaces(m, s);
  s.ports = parse_ports(m, s);
  if (const Node* v = m.find("controller"))
    s.controller = parse_controller(*v, m.path("controller"));
  if (const Node* v = m.find("media")) s.media = parse_media(*v, m.path("media"));
  return s;
}

Link parse_link(const Node& n, const std::string& path, const Scenario& s, const Registry& r) {
  MapReader m(n, path, kLinkKeys);
  Link l;
  l.loc = n.loc;
  l.name = read_name(m.require("name"), m.path("name"));
  l.host = s.hosts[lookup(r.hosts, m.require("host"), m.path("host"), "host")].name;
  const Subsystem& sub =
      s.subsystems[lookup(r.subsystems, m.require("subsystem"), m.path("subsystem"), "subsystem")];
  l.subsystem = sub.nqn;
  if (const Node* v = m.find("port")) {
    l.port = read_port_ref(*v, m.path("port"), sub);
  } else if (find_port(sub, l.port) == nullptr) {
    fail(n.loc, m.path("port"),
         "link '" + l.name + "' names no port and subsystem '" + sub.nqn + "' has no port " +
             std::to_string(l.port),
         "add port: <id> (its ports: " + port_ids(sub) + ")");
  }
  const auto defaults = fabric::transport_defaults(find_port(sub, l.port)->transport);
  l.latency = defaults.link_latency;
  l.bandwidth = defaults.link_bandwidth;
  get_duration(m, "latency", *l.latency);
  if (const Node* v = m.find("bandwidth")) {
    l.bandwidth = read_bandwidth(*v, m.path("bandwidth"));
    if (*l.bandwidth == 0) fail(v->loc, m.path("bandwidth"), "bandwidth must be greater than 0");
  }
  return l;
}

Connect parse_connect(const Node& n, const std::string& path, const Scenario& s,
                      const Registry& r) {
  MapReader m(n, path, kConnectKeys);
  Connect c;
  c.loc = n.loc;
  const Node& link_node = m.require("link");
  const Link& link = s.links[lookup(r.links, link_node, m.path("link"), "link")];
  c.link = link.name;
  c.host = link.host;
  if (const Node* v = m.find("host")) {
    const std::string& host = s.hosts[lookup(r.hosts, *v, m.path("host"), "host")].name;
    if (host != link.host) {
      fail(v->loc, m.path("host"),
           "link '" + link.name + "' belongs to host '" + link.host + "', not '" + host + "'",
           "drop host: (it follows from the link) or pick a link of '" + host + "'");
    }
  }
  for (std::size_t i = 0; i < s.connect.size(); ++i) {
    if (s.connect[i].link == c.link) {
      fail(link_node.loc, m.path("link"),
           "link '" + c.link + "' is already connected by connect[" + std::to_string(i) + "]",
           "to connect again later, disconnect and reconnect with host-disconnect/host-connect "
           "faults");
    }
  }
  get_int(m, "nr_io_queues", c.nr_io_queues, 0, 1024);
  get_int(m, "queue_size", c.queue_size, 2, 1024);
  get_duration(m, "at", c.at);
  get_int(m, "numa_node", c.numa_node, -1, 63);
  const Host& host = s.hosts[r.hosts.at(link.host)];
  if (c.numa_node >= host.numa_nodes) {
    fail(m.find("numa_node")->loc, m.path("numa_node"),
         "numa_node " + std::to_string(c.numa_node) + " does not exist on host '" + host.name + "'",
         "its numa nodes are 0.." + std::to_string(host.numa_nodes - 1) + " (-1: none)");
  }
  return c;
}

}  // namespace sim::scenario::detail
