#include "sim/world/decision_trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>
#include <stdexcept>

namespace sim::world {

namespace {

constexpr std::size_t kFlushAt = 1u << 20;  // write the buffer out once it holds 1 MiB
constexpr int kFormatVersion = 1;
// World numbers bios from (host number << 48) + 1 (Host::set_tag_base, host numbers from 1). The
// trace writes them less 2^48, so the first host's bios are 1, 2, 3, ... and host k's are
// (k - 1) * 2^48 + n: short, and still unique across hosts.
constexpr std::uint64_t kBioBase = 1ull << 48;
std::uint64_t bio_no(std::uint64_t id) { return id >= kBioBase ? id - kBioBase : id; }

char dir_char(events::Dir d) {
  switch (d) {
    case events::Dir::Read: return 'r';
    case events::Dir::Write: return 'w';
    case events::Dir::Trim: return 't';
    case events::Dir::Flush: return 'f';
  }
  return '?';
}

}  // namespace

const char* to_string(TraceIo v) {
  switch (v) {
    case TraceIo::All: return "all";
    case TraceIo::Paths: return "paths";
    case TraceIo::Control: return "control";
  }
  return "?";
}

bool parse_trace_io(std::string_view s, TraceIo& out) {
  for (TraceIo v : {TraceIo::All, TraceIo::Paths, TraceIo::Control})
    if (s == to_string(v)) {
      out = v;
      return true;
    }
  return false;
}

DecisionTrace::DecisionTrace(events::Bus& bus, const DecisionTraceOptions& opts, TraceNames names,
                             std::string_view scenario, std::uint64_t seed)
    : io_(opts.io), names_(std::move(names)), file_(opts.file) {
  out_ = std::fopen(file_.c_str(), "wb");
  if (!out_) throw std::runtime_error(fmt::format("nvmsim: cannot write decision trace {}: {}", file_, std::strerror(errno)));
  buf_.reserve(kFlushAt + 4096);

  begin(0, "hdr");
  key_int("v", kFormatVersion);
  key_str("scenario", scenario);
  key_uint("seed", seed);
  key_str("io", to_string(io_));
  end_line();

  const bool per_io = io_ != TraceIo::Control;
  if (io_ == TraceIo::All)
    bus.subscribe<events::BioSubmitted>([this](const events::BioSubmitted& e) {
      begin(e.t, "sub");
      key_uint("b", bio_no(e.bio));
      key_int("j", e.job);
      key("d");
      buf_ += '"';
      buf_ += dir_char(e.dir);
      buf_ += '"';
      key_uint("o", e.offset);
      key_uint("n", e.bytes);
      if (e.fua) key_int("fua", 1);
      end_line();
    });
  if (per_io) {
    bus.subscribe<events::CommandSent>([this](const events::CommandSent& e) {
      count_send(e.path);
      begin(e.t, "snd");
      bio_ids(e.bios);
      key_int("p", e.path);
      end_line();
    });
  } else {
    // Only the per-path totals of the `end` line: RequestIssued is published anyway.
    bus.subscribe<events::RequestIssued>([this](const events::RequestIssued& e) { count_send(e.path); });
  }
  bus.subscribe<events::RequestCompleted>([this](const events::RequestCompleted& e) {
    if (e.status == 0) return;
    if (e.path >= 0) ++errors_[path_slot(e.path)];
    begin(e.t, "rqe");
    key_int("p", e.path);
    key_uint("s", e.status);
    end_line();
  });
  bus.subscribe<events::BioCompleted>([this, per_io](const events::BioCompleted& e) {
    ++bios_;
    if (e.status != 0) ++bio_errors_;
    if (!per_io && e.status == 0) return;
    begin(e.t, "cpl");
    key_uint("b", bio_no(e.bio));
    key_uint("s", e.status);
    end_line();
  });
  bus.subscribe<events::Failover>([this](const events::Failover& e) {
    ++failovers_;
    begin(e.t, "fo");
    key_str("h", e.head);
    key_int("p", e.path);
    key_uint("s", e.status);
    key_uint("n", e.bios);
    if (e.release_at != e.t) key_int("rel", e.release_at);
    end_line();
  });
  bus.subscribe<events::BioParked>([this](const events::BioParked& e) {
    begin(e.t, e.parked ? "park" : "unpark");
    key_str("h", names_.head(e.head));
    key_uint("b", bio_no(e.leaf));
    if (e.root != e.leaf) key_uint("r", bio_no(e.root));
    end_line();
  });
  bus.subscribe<events::CtrlStateChanged>([this](const events::CtrlStateChanged& e) {
    begin(e.t, "ctrl");
    key_str("c", e.ctrl);
    key_str("from", e.from);
    key_str("to", e.to);
    key_str("why", e.reason);
    end_line();
  });
  bus.subscribe<events::PathStateChanged>([this](const events::PathStateChanged& e) {
    if (e.path < 0) return;
    const auto i = static_cast<std::size_t>(e.path);
    if (path_state_.size() <= i) path_state_.resize(i + 1);
    if (path_state_[i] == e.state) return;
    const bool first = path_state_[i].empty();
    path_state_[i] = e.state;
    begin(e.t, "path");
    key_int("p", e.path);
    key_str("st", e.state);
    if (first) {
      const TraceNames::Path p = names_.path(e.path);
      key_str("name", p.name);
      key_str("head", p.head);
      key_str("ctrl", p.ctrl);
    }
    end_line();
  });
  bus.subscribe<events::ReconnectAttempt>([this](const events::ReconnectAttempt& e) {
    begin(e.t, "rcn");
    key_str("c", names_.ctrl(e.ctrl_id));
    key_int("n", e.attempt);
    key_int("max", e.max);
    end_line();
  });
  bus.subscribe<events::FailfastExpired>([this](const events::FailfastExpired& e) {
    begin(e.t, "ffx");
    key_str("c", names_.ctrl(e.ctrl_id));
    end_line();
  });
  bus.subscribe<events::HostEvent>([this](const events::HostEvent& e) {
    begin(e.t, "log");
    key_str("host", e.host);
    key_str("what", e.what);
    end_line();
  });
  bus.subscribe<events::HostBlocked>([this](const events::HostBlocked& e) {
    begin(e.t, "blk");
    key_str("host", e.host);
    key_str("what", e.what);
    end_line();
  });
  bus.subscribe<events::DeviceEvent>([this](const events::DeviceEvent& e) {
    begin(e.t, "dev");
    key_str("sub", e.subsystem);
    if (e.port >= 0) key_int("port", e.port);
    if (e.cntlid >= 0) key_int("cntlid", e.cntlid);
    key_str("what", e.what);
    end_line();
  });
}

DecisionTrace::~DecisionTrace() {
  if (!out_) return;
  flush();
  std::fclose(out_);
}

void DecisionTrace::fault(Time t, std::string_view action, std::string_view target) {
  begin(t, "flt");
  key_str("a", action);
  key_str("tgt", target);
  end_line();
}

void DecisionTrace::finish(Time t) {
  begin(t, "end");
  key_uint("bios", bios_);
  key_uint("errs", bio_errors_);
  key_uint("fo", failovers_);
  auto list = [&](const char* key, const std::vector<std::uint64_t>& v) {
    fmt::format_to(std::back_inserter(buf_), ",\"{}\":[{}]", key, fmt::join(v, ","));
  };
  // Sized to every path the run had (paths that never sent show 0).
  const std::size_t n = std::max(sends_.size(), path_state_.size());
  sends_.resize(n);
  errors_.resize(n);
  list("snd", sends_);
  list("rqe", errors_);
  key_uint("lines", lines_ + 1);
  end_line();
  flush();
  const bool close_failed = std::fclose(out_) != 0;
  out_ = nullptr;
  if (write_failed_ || close_failed) throw std::runtime_error(fmt::format("nvmsim: cannot write decision trace {}", file_));
}

void DecisionTrace::begin(Time t, const char* kind) {
  buf_ += "{\"t\":";
  append_int(t);
  buf_ += ",\"e\":\"";
  buf_ += kind;
  buf_ += '"';
}

// std::to_chars into the buffer: the hot path (several numbers per I/O) without fmt's overhead.
template <class T>
void DecisionTrace::append_int(T v) {
  char tmp[24];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  buf_.append(tmp, r.ptr);
}

void DecisionTrace::end_line() {
  buf_ += "}\n";
  ++lines_;
  if (buf_.size() >= kFlushAt) flush();
}

void DecisionTrace::flush() {
  if (!out_ || buf_.empty()) return;
  if (std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size()) write_failed_ = true;
  buf_.clear();
}

void DecisionTrace::key_str(const char* k, std::string_view v) {
  key(k);
  buf_ += '"';
  for (const char c : v) {
    switch (c) {
      case '"': buf_ += "\\\""; break;
      case '\\': buf_ += "\\\\"; break;
      case '\n': buf_ += "\\n"; break;
      case '\t': buf_ += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) fmt::format_to(std::back_inserter(buf_), "\\u{:04x}", static_cast<unsigned>(c));
        else buf_ += c;
    }
  }
  buf_ += '"';
}

void DecisionTrace::key(const char* key) {
  buf_ += ",\"";
  buf_ += key;
  buf_ += "\":";
}

void DecisionTrace::key_int(const char* k, std::int64_t v) {
  key(k);
  append_int(v);
}

void DecisionTrace::key_uint(const char* k, std::uint64_t v) {
  key(k);
  append_int(v);
}

// One bio: "b":ID (and "r":ROOT when it is a split leaf). Several (a merged request):
// "b":[ID,...] (and "r":[ROOT,...] when any is a split leaf).
void DecisionTrace::bio_ids(std::span<const events::BioRange> bios) {
  if (bios.size() == 1) {
    key_uint("b", bio_no(bios[0].leaf));
    if (bios[0].root != bios[0].leaf) key_uint("r", bio_no(bios[0].root));
    return;
  }
  key("b");
  bool split = false;
  for (std::size_t i = 0; i < bios.size(); ++i) {
    buf_ += i ? ',' : '[';
    append_int(bio_no(bios[i].leaf));
    split |= bios[i].root != bios[i].leaf;
  }
  buf_ += ']';
  if (!split) return;
  key("r");
  for (std::size_t i = 0; i < bios.size(); ++i) {
    buf_ += i ? ',' : '[';
    append_int(bio_no(bios[i].root));
  }
  buf_ += ']';
}

std::size_t DecisionTrace::path_slot(int path) {
  const auto i = static_cast<std::size_t>(path);
  if (sends_.size() <= i) {
    sends_.resize(i + 1);
    errors_.resize(i + 1);
  }
  return i;
}

void DecisionTrace::count_send(int path) {
  if (path >= 0) ++sends_[path_slot(path)];
}

}  // namespace sim::world
