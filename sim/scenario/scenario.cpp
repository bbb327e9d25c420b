#include "sim/scenario/scenario.hpp"

#include <algorithm>

namespace sim::scenario {

// The spellings here are the YAML spellings: the loader matches user text against them and
// dump_yaml prints them, so there is exactly one place that defines each name.

const char* to_string(Multipath v) {
  switch (v) {
    case Multipath::Native:
      return "native";
    case Multipath::Off:
      return "off";
  }
  return "?";
}

const char* to_string(IoPolicy v) {
  switch (v) {
    case IoPolicy::Numa:
      return "numa";
    case IoPolicy::RoundRobin:
      return "round-robin";
    case IoPolicy::QueueDepth:
      return "queue-depth";
  }
  return "?";
}

const char* to_string(KernelProfile v) {
  switch (v) {
    case KernelProfile::K6_12:
      return "6.12";
    case KernelProfile::K6_17:
      return "6.17";
    case KernelProfile::K6_1:
      return "6.1";
    case KernelProfile::K4_15:
      return "4.15";
  }
  return "?";
}

const char* to_string(HostCore v) {
  switch (v) {
    case HostCore::Model:
      return "model";
    case HostCore::Linux:
      return "linux";
  }
  return "?";
}

const char* to_string(FailoverHold v) {
  switch (v) {
    case FailoverHold::None:
      return "none";
    case FailoverHold::Kato_Cqt:
      return "kato+cqt";
    case FailoverHold::TwoKato_Cqt:
      return "2kato+cqt";
    case FailoverHold::Ccr:
      return "ccr";
  }
  return "?";
}

const char* to_string(Transport v) {
  switch (v) {
    case Transport::Tcp:
      return "tcp";
    case Transport::Rdma:
      return "rdma";
    case Transport::Fc:
      return "fc";
    case Transport::Pcie:
      return "pcie";
  }
  return "?";
}

const char* to_string(AnaState v) {
  switch (v) {
    case AnaState::Optimized:
      return "optimized";
    case AnaState::NonOptimized:
      return "non-optimized";
    case AnaState::Inaccessible:
      return "inaccessible";
    case AnaState::PersistentLoss:
      return "persistent-loss";
    case AnaState::Change:
      return "change";
  }
  return "?";
}

const char* to_string(JitterDist v) {
  switch (v) {
    case JitterDist::None:
      return "none";
    case JitterDist::Uniform:
      return "uniform";
    case JitterDist::Exp:
      return "exp";
    case JitterDist::Lognormal:
      return "lognormal";
  }
  return "?";
}

const char* to_string(ContinueOnError v) {
  switch (v) {
    case ContinueOnError::None: return "none";
    case ContinueOnError::Read: return "read";
    case ContinueOnError::Write: return "write";
    case ContinueOnError::Io: return "io";
    case ContinueOnError::Verify: return "verify";
    case ContinueOnError::All: return "all";
  }
  return "?";
}

bool continue_on_error_covers(ContinueOnError c, bool read) {
  switch (c) {
    case ContinueOnError::None:
    case ContinueOnError::Verify: return false;
    case ContinueOnError::Read: return read;
    case ContinueOnError::Write: return !read;
    case ContinueOnError::Io:
    case ContinueOnError::All: return true;
  }
  return false;
}

const char* to_string(RwMode v) {
  switch (v) {
    case RwMode::Read:
      return "read";
    case RwMode::Write:
      return "write";
    case RwMode::RandRead:
      return "randread";
    case RwMode::RandWrite:
      return "randwrite";
    case RwMode::Rw:
      return "rw";
    case RwMode::RandRw:
      return "randrw";
    case RwMode::Trim:
      return "trim";
  }
  return "?";
}

const char* to_string(LinkDownMode v) {
  switch (v) {
    case LinkDownMode::Silent:
      return "silent";
    case LinkDownMode::Reset:
      return "reset";
  }
  return "?";
}

Time Scenario::end_time() const {
  if (duration) return *duration;
  // The loader only omits `duration` when every workload has a runtime; a workload without one
  // contributes its start so a hand-built Scenario still gets a sane bound.
  Time end = 0;
  for (const Workload& w : workloads) end = std::max(end, w.start + w.ramp_time + w.runtime.value_or(0));
  return end;
}

}  // namespace sim::scenario
