// Scenario loader: reading files, merging includes, applying --set overrides, and the top level.
#include "sim/scenario/loader.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

#include "sim/scenario/loader_sections.hpp"

namespace sim::scenario {
namespace {

namespace fs = std::filesystem;
using detail::fail;
using detail::Node;

constexpr std::string_view kListSections[] = {"hosts",   "subsystems", "links",
                                              "connect", "workloads",  "faults"};
constexpr std::string_view kMapSections[] = {"expect", "report", "limits", "explore"};
// Input limits (scenario-format.md, "How the file is read").
constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;  // per file
constexpr std::size_t kMaxFiles = 256;                         // the main file and its includes
constexpr std::size_t kMaxSetPath = 64;                        // components of a --set path

bool is_one_of(std::string_view key, detail::Names names) {
  return std::find(names.begin(), names.end(), key) != names.end();
}

const char* list_example(std::string_view section) {
  if (section == "hosts") return "'- name: h1'";
  if (section == "subsystems") return "'- nqn: nqn.2026-01.io.nvmsim:array1'";
  if (section == "links") return "'- {name: a, host: h1, subsystem: <nqn>, port: 1}'";
  if (section == "connect") return "'- {link: a}'";
  if (section == "workloads") return "'- {name: w, host: h1, target: nvme0n1}'";
  return "'- {at: 5s, action: link-down, link: a}'";
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Closes a descriptor on every way out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads a whole scenario file; nullopt and `error` set when it cannot or must not be read. Only
// regular files of at most kMaxFileBytes are read: a device (/dev/zero), a FIFO or a kernel
// pseudo-file (/proc/kmsg) would never end or block. The file is checked before it is opened,
// opened without blocking, and checked again on the descriptor (it may have been replaced).
std::optional<std::string> read_file(const std::string& path, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = std::string("it is ") + file_kind(st.st_mode) + ", not a regular file";
    return std::nullopt;
  }
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
  if (f.fd < 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  struct statfs fs_info {};
  if (::fstat(f.fd, &st) != 0 || ::fstatfs(f.fd, &fs_info) != 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = std::string("it is ") + file_kind(st.st_mode) + ", not a regular file";
    return std::nullopt;
  }
  if (fs_info.f_type == PROC_SUPER_MAGIC || fs_info.f_type == SYSFS_MAGIC) {
    error = "it is a kernel pseudo-file (/proc, /sys), not a scenario";
    return std::nullopt;
  }
  const auto too_big = [&] {
    error = "it is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB";
  };
  if (st.st_size > static_cast<off_t>(kMaxFileBytes)) {
    too_big();
    return std::nullopt;
  }
  std::string text;
  text.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  for (;;) {
    // One byte past the cap tells a file that grew since fstat from one that ends there.
    if (got == text.size()) text.resize(std::min(kMaxFileBytes + 1, std::max<std::size_t>(got * 2, 4096)));
    const ssize_t n = ::read(f.fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno == EAGAIN ? std::string("reading it would block") : std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
    if (got > kMaxFileBytes) {
      too_big();
      return std::nullopt;
    }
  }
  text.resize(got);
  return text;
}

void check_version(const Node& v) {
  const std::int64_t version =
      detail::read_int(v, "nvmsim", std::numeric_limits<std::int64_t>::min(),
                       std::numeric_limits<std::int64_t>::max());
  if (version != 1) {
    fail(v.loc, "nvmsim", "unsupported format version " + v.text,
         "this nvmsim reads format version 1 ('nvmsim: 1')");
  }
}

// Checks that must see one file on its own: its top-level keys, and that sections have the shape
// that merging relies on. Errors then name this file even when it is an include.
void check_file_shape(const Node& root, bool is_main) {
  if (!root.is_map()) {
    fail(root.loc, "", "a scenario file is a map of sections, got " + detail::describe(root),
         "start with 'nvmsim: 1' and continue with sections such as hosts:, subsystems:");
  }
  detail::MapReader top(root, "", detail::kTopKeys);
  if (!is_main) {
    if (const Node* v = top.find("nvmsim")) check_version(*v);
  }
  for (std::size_t i = 0; i < root.keys.size(); ++i) {
    const std::string& key = root.keys[i].text;
    const Node& value = root.items[i];
    if (is_one_of(key, kListSections)) detail::read_list(value, key, list_example(key));
    if (is_one_of(key, kMapSections) && !value.is_null() && !value.is_map()) {
      fail(value.loc, key, key + " must be a map, got " + detail::describe(value),
           "write 'key: value' lines under " + key + ":");
    }
  }
}

// Lays the sections of `overlay` over `base`: lists are concatenated (base items first), the keys
// of map sections and the top-level scalars of `overlay` win.
void merge_into(Node& base, const Node& overlay, bool keep_version) {
  for (std::size_t i = 0; i < overlay.keys.size(); ++i) {
    const Node& key = overlay.keys[i];
    const Node& value = overlay.items[i];
    if (key.text == "include" || (key.text == "nvmsim" && !keep_version)) continue;
    Node* existing = base.find(key.text);
    if (existing == nullptr) {
      base.set(key, value);
    } else if (is_one_of(key.text, kListSections)) {
      Node merged = value;
      merged.kind = existing->is_seq() || value.is_seq() ? Node::Kind::Seq : Node::Kind::Null;
      merged.items = existing->items;
      merged.items.insert(merged.items.end(), value.items.begin(), value.items.end());
      base.set(key, std::move(merged));
    } else if (is_one_of(key.text, kMapSections) && !existing->is_null()) {
      Node merged = *existing;
      for (std::size_t j = 0; j < value.keys.size(); ++j) merged.set(value.keys[j], value.items[j]);
      base.set(key, std::move(merged));
    } else {
      base.set(key, value);
    }
  }
}

// Reads a file and everything it includes into one document.
class Assembler {
 public:
  Node assemble(const std::string& text, const std::string& name, bool is_main) {
    Node root = detail::parse_yaml(text, name);
    if (root.is_null()) root.kind = Node::Kind::Map;  // an empty file: errors come from the checks
    check_file_shape(root, is_main);
    chain_.push_back(identity(name));
    included_.insert(identity(name));
    Node merged = Node::make(Node::Kind::Map, root.loc);
    if (const Node* inc = root.find("include")) {
      if (inc->is_map()) {
        fail(inc->loc, "include", "include must be a list of file names, got a map",
             "e.g. include: [topology.yaml]");
      }
      const std::vector<Node> names = inc->is_scalar() ? std::vector<Node>{*inc} : inc->items;
      for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string key = inc->is_scalar() ? "include" : detail::index_path("include", i);
        merge_into(merged, include(names[i], key, name), false);
      }
    }
    merge_into(merged, root, is_main);
    chain_.pop_back();
    return merged;
  }

 private:
  static std::string identity(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(path, ec);
    return ec ? fs::path(path).lexically_normal().string() : p.string();
  }

  Node include(const Node& entry, const std::string& key, const std::string& from) {
    const std::string rel = detail::read_string(entry, key);
    const std::string path = (fs::path(from).parent_path() / rel).lexically_normal().string();
    const std::string id = identity(path);
    for (std::size_t i = 0; i < chain_.size(); ++i) {
      if (chain_[i] != id) continue;
      std::string cycle;
      for (std::size_t j = i; j < chain_.size(); ++j)
        cycle += fs::path(chain_[j]).filename().string() + " -> ";
      fail(entry.loc, key, "include cycle: " + cycle + fs::path(id).filename().string());
    }
    // A file reached twice through different includes (a shared base) contributes once; merging
    // it twice would only produce duplicate definitions.
    if (included_.count(id) != 0) return Node::make(Node::Kind::Map, entry.loc);
    if (included_.size() >= kMaxFiles) {
      fail(entry.loc, key,
           "too many included files: a scenario is at most " + std::to_string(kMaxFiles) +
               " files, includes included");
    }
    std::string error;
    auto text = read_file(path, error);
    if (!text) fail(entry.loc, key, "cannot read included file '" + path + "': " + error);
    return assemble(*text, path, false);
  }

  std::vector<std::string> chain_;  // files being assembled, outermost first
  std::set<std::string> included_;
};

// --set key.path=value: walks maps by key and lists by index, creating missing map keys, and
// replaces the value. Positions point into the override string (file "--set", line 1; a --grid
// value's columns are those of the --grid argument).
void apply_override(Node& root, const Override& o) {
  const std::string& text = o.text;
  auto at = [&o](std::size_t index0) {
    return SourceLoc{o.origin, 1, static_cast<int>(index0) + 1};
  };
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos) {
    fail(at(0), "", o.origin + " expects key.path=value, got '" + text + "'",
         "e.g. " + o.origin + " hosts.0.iopolicy=round-robin");
  }
  struct Component {
    std::string name;
    std::size_t pos;
  };
  std::vector<Component> path;
  for (std::size_t begin = 0; begin <= eq;) {
    std::size_t end = text.find('.', begin);
    if (end == std::string::npos || end > eq) end = eq;
    if (end == begin) {
      fail(at(begin), "", "empty key in " + o.origin + " path '" + text.substr(0, eq) + "'");
    }
    path.push_back({text.substr(begin, end - begin), begin});
    if (path.size() > kMaxSetPath) {
      fail(at(begin), "",
           o.origin + " path is longer than " + std::to_string(kMaxSetPath) + " keys");
    }
    begin = end + 1;
  }
  if (path.front().name == "include") {
    fail(at(0), "include", "include cannot be changed with " + o.origin,
         o.origin + " applies to the scenario after its includes are merged");
  }
  const std::size_t value_at = eq + 1 + static_cast<std::size_t>(o.value_shift);
  Node value = detail::parse_yaml(text.substr(eq + 1), o.origin, static_cast<int>(value_at));
  if (value.is_null()) value.loc = at(value_at);

  Node* cur = &root;
  std::string key;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const Component& c = path[i];
    const bool last = i + 1 == path.size();
    if (cur->is_null()) cur->kind = Node::Kind::Map;  // `nvme:` with nothing under it
    if (cur->is_map()) {
      key = detail::child_path(key, c.name);
      if (last) {
        cur->set(Node::make(Node::Kind::Scalar, at(c.pos), c.name), value);
        return;
      }
      if (cur->find(c.name) == nullptr) {
        // A missing key becomes a map (numeric keys too: ANA maps are keyed by group id); if a
        // list was meant, interpretation says so at this component.
        cur->set(Node::make(Node::Kind::Scalar, at(c.pos), c.name),
                 Node::make(Node::Kind::Map, at(c.pos)));
      }
      cur = cur->find(c.name);
    } else if (cur->is_seq()) {
      const bool numeric = c.name.find_first_not_of("0123456789") == std::string::npos;
      if (!numeric) {
        fail(at(c.pos), key,
             "'" + key + "' is a list: expected an item number, got '" + c.name + "'",
             "items count from 0, e.g. --set hosts.0.cpus=8");
      }
      const std::size_t index = c.name.size() > 9 ? SIZE_MAX : std::stoul(c.name);
      if (index >= cur->items.size()) {
        fail(at(c.pos), key + "[" + c.name + "]",
             "item " + c.name + " does not exist: '" + key + "' has " +
                 std::to_string(cur->items.size()) + " item(s)");
      }
      key = detail::index_path(key, index);
      if (last) {
        cur->items[index] = value;
        return;
      }
      cur = &cur->items[index];
    } else {
      fail(at(c.pos), key,
           "cannot set '" + c.name + "' inside '" + key + "': it is a single value");
    }
  }
}

// Adds a named item, rejecting a second definition of the same name.
template <typename T>
void add_named(std::vector<T>& list, std::map<std::string, std::size_t>& names, T item,
               const std::string& name, const Node& name_node, const std::string& key,
               const char* what) {
  if (auto it = names.find(name); it != names.end()) {
    fail(name_node.loc, key, std::string("duplicate ") + what + " '" + name + "'",
         "first defined at " + detail::where(list[it->second].loc));
  }
  names.emplace(name, list.size());
  list.push_back(std::move(item));
}

const std::vector<Node>& section_items(const detail::MapReader& top, std::string_view section) {
  static const std::vector<Node> kNone;
  const Node* v = top.find(section);
  return v ? detail::read_list(*v, std::string(section), list_example(section)) : kNone;
}

// The scalar settings at the top of the file.
void read_settings(const detail::MapReader& top, Scenario& s) {
  using namespace detail;
  const Node* version = top.find("nvmsim");
  if (version == nullptr) {
    fail(SourceLoc{s.file, 1, 1}, "nvmsim", "missing required key 'nvmsim'",
         "start the file with 'nvmsim: 1' (the format version)");
  }
  check_version(*version);
  s.version = 1;
  if (const Node* v = top.find("name")) s.name = read_string(*v, "name", true);
  if (const Node* v = top.find("description")) s.description = read_string(*v, "description", true);
  if (const Node* v = top.find("seed")) s.seed = read_uint(*v, "seed");
  if (const Node* v = top.find("duration")) s.duration = read_duration(*v, "duration", {.min = 1});
  get_enum(top, "kernel", s.kernel, kKernels, "kernel profile");
}

// Hosts, subsystems, links and connect, in that order: each may refer to the ones before it.
void read_topology(const detail::MapReader& top, Scenario& s, detail::Registry& r) {
  using namespace detail;
  const auto& hosts = section_items(top, "hosts");
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const std::string path = index_path("hosts", i);
    Host h = parse_host(hosts[i], path, s.kernel);
    const std::string name = h.name;
    add_named(s.hosts, r.hosts, std::move(h), name, *hosts[i].find("name"), path + ".name", "host");
  }
  const auto& subsystems = section_items(top, "subsystems");
  for (std::size_t i = 0; i < subsystems.size(); ++i) {
    const std::string path = index_path("subsystems", i);
    Subsystem sub = parse_subsystem(subsystems[i], path);
    const std::string nqn = sub.nqn;
    add_named(s.subsystems, r.subsystems, std::move(sub), nqn, *subsystems[i].find("nqn"),
              path + ".nqn", "subsystem NQN");
  }
  const auto& links = section_items(top, "links");
  for (std::size_t i = 0; i < links.size(); ++i) {
    const std::string path = index_path("links", i);
    Link l = parse_link(links[i], path, s, r);
    const std::string name = l.name;
    add_named(s.links, r.links, std::move(l), name, *links[i].find("name"), path + ".name", "link");
  }
  if (top.has("connect")) {
    const auto& connects = section_items(top, "connect");
    for (std::size_t i = 0; i < connects.size(); ++i) {
      s.connect.push_back(parse_connect(connects[i], index_path("connect", i), s, r));
    }
  } else {
    // No connect section: every link connects at t=0, in link order.
    for (const Link& l : s.links) {
      s.connect.push_back(Connect{.loc = l.loc, .host = l.host, .link = l.name});
    }
  }
}

// Without `duration` the run ends when the last workload does, so each one needs a runtime.
void check_duration(const Scenario& s) {
  if (s.duration) return;
  if (s.workloads.empty()) {
    fail(SourceLoc{s.file, 1, 1}, "duration", "missing required key 'duration'",
         "add e.g. 'duration: 60s' (it may be left out only when every workload has a runtime)");
  }
  for (const Workload& w : s.workloads) {
    if (w.runtime) continue;
    fail(w.loc, "duration", "duration is required: workload '" + w.name + "' has no runtime",
         "add e.g. 'duration: 60s' at the top level, or a runtime to every workload");
  }
}

Scenario interpret(const Node& root, const std::string& file) {
  using namespace detail;
  MapReader top(root, "", kTopKeys);
  Scenario s;
  s.file = file;
  read_settings(top, s);
  Registry r;
  read_topology(top, s, r);
  const auto& workloads = section_items(top, "workloads");
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    const std::string path = index_path("workloads", i);
    for (Workload& w : parse_workloads(workloads[i], path, s, r)) {
      const std::string name = w.name;
      const Node* at = workloads[i].find("name");
      add_named(s.workloads, r.workloads, std::move(w), name, at ? *at : workloads[i], path + ".name", "workload");
    }
  }
  const auto& faults = section_items(top, "faults");
  for (std::size_t i = 0; i < faults.size(); ++i) {
    s.faults.push_back(parse_fault(faults[i], index_path("faults", i), s, r));
  }
  if (const Node* v = top.find("expect")) s.expect = parse_expect(*v, "expect");
  if (const Node* v = top.find("report")) s.report = parse_report(*v, "report");
  if (const Node* v = top.find("limits")) s.limits = parse_limits(*v, "limits");
  check_duration(s);
  if (const Node* v = top.find("explore")) s.explore = parse_explore(*v, "explore", s, r);
  return s;
}

Scenario load(const std::string& text, const std::string& name,
              const std::vector<std::string>& overrides) {
  Assembler assembler;
  Node root = assembler.assemble(text, name, true);
  for (const std::string& o : overrides) apply_override(root, Override{.text = o});
  return interpret(root, name);
}

std::string read_main_file(const std::string& path) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) throw InputError(SourceLoc{path, 0, 0}, "", "cannot read scenario file: " + error);
  return *text;
}

}  // namespace

Scenario load_file(const std::string& path, const std::vector<std::string>& overrides) {
  return load(read_main_file(path), path, overrides);
}

struct Document::Tree {
  Node root;
  std::string name;
};

Document::Document(std::unique_ptr<Tree> tree) : tree_(std::move(tree)) {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

Document Document::read_file(const std::string& path) {
  Assembler assembler;
  Node root = assembler.assemble(read_main_file(path), path, true);
  return Document(std::make_unique<Tree>(Tree{std::move(root), path}));
}

// On a copy of the tree, so the document serves the next override list unchanged.
Scenario Document::interpret(const std::vector<Override>& overrides) const {
  Node root = tree_->root;
  for (const Override& o : overrides) apply_override(root, o);
  return scenario::interpret(root, tree_->name);
}

Scenario load_string(const std::string& text, const std::string& name,
                     const std::vector<std::string>& overrides) {
  return load(text, name, overrides);
}

}  // namespace sim::scenario
