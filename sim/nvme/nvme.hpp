#pragma once
// NVMe vocabulary shared by host and device: opcodes, status codes and the capsules that cross the
// fabric. Values follow the NVMe Base and NVMe-oF specifications (nvme-spec-facts.md sections 5
// and 7); host and device never share anything else.
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace sim::nvme {

// I/O command set opcodes (NVM command set).
namespace io_opc {
inline constexpr std::uint8_t kFlush = 0x00;
inline constexpr std::uint8_t kWrite = 0x01;
inline constexpr std::uint8_t kRead = 0x02;
inline constexpr std::uint8_t kWriteZeroes = 0x08;
inline constexpr std::uint8_t kDsm = 0x09;  // deallocate = trim
}  // namespace io_opc

// Admin opcodes, and the fabrics command capsule opcode.
namespace admin_opc {
inline constexpr std::uint8_t kGetLogPage = 0x02;
inline constexpr std::uint8_t kIdentify = 0x06;
inline constexpr std::uint8_t kSetFeatures = 0x09;
inline constexpr std::uint8_t kAsyncEventRequest = 0x0C;
inline constexpr std::uint8_t kKeepAlive = 0x18;
inline constexpr std::uint8_t kCrossCtrlReset = 0x38;  // TP8028; cdw10 = impacted CNTLID
inline constexpr std::uint8_t kFabrics = 0x7F;  // Connect, Property Get/Set
}  // namespace admin_opc

// Fabrics command types (Command::fctype when opcode is kFabrics).
namespace fctype {
inline constexpr std::uint8_t kPropertySet = 0x00;
inline constexpr std::uint8_t kConnect = 0x01;
inline constexpr std::uint8_t kPropertyGet = 0x04;
}  // namespace fctype

// Controller properties (register offsets) and the CC bits the host writes.
namespace prop {
inline constexpr std::uint32_t kCc = 0x14;
inline constexpr std::uint32_t kCsts = 0x1C;
inline constexpr std::uint32_t kCcEnable = 0x1;
inline constexpr std::uint32_t kCcShnNormal = 0x1u << 14;
inline constexpr std::uint32_t kCstsCfs = 0x2;
}  // namespace prop

// Asynchronous event completion DW0: type bits 2:0, info 15:8, log page 23:16 (spec-facts 6.4).
namespace aen {
inline constexpr std::uint32_t kTypeNotice = 0x2;
inline constexpr std::uint32_t kNoticeNsChanged = 0x00;
inline constexpr std::uint32_t kNoticeAnaChange = 0x03;
constexpr std::uint32_t result(std::uint32_t type, std::uint32_t info, std::uint32_t log) {
  return (type & 0x7) | ((info & 0xFF) << 8) | ((log & 0xFF) << 16);
}
constexpr std::uint32_t type_of(std::uint32_t r) { return r & 0x7; }
constexpr std::uint32_t info_of(std::uint32_t r) { return (r >> 8) & 0xFF; }
}  // namespace aen

// Identify CNS values used.
namespace cns {
inline constexpr std::uint32_t kNamespace = 0x00;
inline constexpr std::uint32_t kController = 0x01;
inline constexpr std::uint32_t kActiveNsList = 0x02;
}  // namespace cns

inline constexpr std::uint8_t kLogChangedNs = 0x04;
inline constexpr std::uint8_t kLogAna = 0x0C;
// Get Log Page CDW10 bit 15: Retain Asynchronous Event (the AEN stays masked when set).
inline constexpr std::uint32_t kLogRae = 1u << 15;

// Status field as the host stores it (CQE status >> 1): bits 10:0 SCT+SC, 12:11 CRD, 13 More,
// 14 DNR.
namespace status {
inline constexpr std::uint16_t kSuccess = 0x000;
inline constexpr std::uint16_t kInvalidOpcode = 0x001;
inline constexpr std::uint16_t kInvalidField = 0x002;
inline constexpr std::uint16_t kInternal = 0x006;
inline constexpr std::uint16_t kAbortRequested = 0x007;
inline constexpr std::uint16_t kInvalidNs = 0x00B;
inline constexpr std::uint16_t kCmdSeqError = 0x00C;
inline constexpr std::uint16_t kTransientTransport = 0x022;
inline constexpr std::uint16_t kLbaRange = 0x080;
inline constexpr std::uint16_t kNsNotReady = 0x082;
inline constexpr std::uint16_t kConnectInvalidParam = 0x182;
inline constexpr std::uint16_t kWriteFault = 0x280;
inline constexpr std::uint16_t kUnrecoveredRead = 0x281;
inline constexpr std::uint16_t kAnaPersistentLoss = 0x301;
inline constexpr std::uint16_t kAnaInaccessible = 0x302;
inline constexpr std::uint16_t kAnaTransition = 0x303;
inline constexpr std::uint16_t kCtrlPathError = 0x360;
inline constexpr std::uint16_t kHostPathError = 0x370;
inline constexpr std::uint16_t kHostAbortedCmd = 0x371;
inline constexpr std::uint16_t kCrdMask = 0x1800;
inline constexpr std::uint16_t kMore = 0x2000;
inline constexpr std::uint16_t kDnr = 0x4000;
inline constexpr std::uint16_t kCodeMask = 0x7FF;
}  // namespace status

constexpr std::uint16_t status_code(std::uint16_t s) { return s & status::kCodeMask; }
constexpr std::uint8_t status_type(std::uint16_t s) { return (s >> 8) & 0x7; }

enum class AnaState : std::uint8_t {
  Optimized = 0x1,
  NonOptimized = 0x2,
  Inaccessible = 0x3,
  PersistentLoss = 0x4,
  Change = 0xF,
};
AnaState from_scenario(scenario::AnaState s);
const char* to_string(AnaState s);  // as sysfs prints it

// Identify Controller fields the host reads (nvme-spec-facts.md 1.2, 3.1, 3.3, 6.1).
struct IdentifyController {
  std::uint16_t cntlid = 0;
  std::uint8_t cmic = 0;          // bit0 multi-port, bit1 multi-ctrl, bit3 ANA
  std::uint32_t mdts_bytes = 0;   // already decoded: max transfer in bytes
  std::uint16_t kas = 0;          // 100 ms units
  std::uint16_t cqt_ms = 0;
  std::uint16_t crdt[3] = {0, 0, 0};  // command retry delay times, 100 ms units
  std::uint8_t ccrl = 0;          // cross-controller resets this controller can run (0 = no CCR)
  bool tbkas = false;
  bool vwc = false;
  std::uint32_t nn = 0;
  std::uint8_t anatt_s = 0;
  std::uint32_t anagrpmax = 0;
  std::uint32_t nanagrpid = 0;
  std::uint32_t mnan = 0;
  std::uint16_t max_io_queues = 0;
  std::uint16_t mqes = 0;         // 0-based
  std::string subnqn, serial, model, firmware;
};

struct IdentifyNamespace {
  std::uint32_t nsid = 0;
  std::uint64_t nsze = 0;         // in logical blocks
  std::uint32_t lba_size = 0;
  bool shared = false;            // NMIC bit 0
  std::uint32_t anagrpid = 0;
  std::uint64_t eui64 = 0;
  std::uint64_t nguid_hi = 0, nguid_lo = 0;
};

struct AnaGroupDesc {
  std::uint32_t grpid = 0;
  std::uint64_t chgcnt = 0;
  AnaState state = AnaState::Optimized;
  std::vector<std::uint32_t> nsids;  // ascending
};
struct AnaLog {
  std::uint64_t chgcnt = 0;
  std::vector<AnaGroupDesc> groups;  // ascending grpid
};

using AdminData =
    std::variant<IdentifyController, IdentifyNamespace, std::vector<std::uint32_t>, AnaLog>;

struct Command {
  std::uint16_t qid = 0;
  std::uint16_t cid = 0;
  std::uint8_t opcode = 0;
  std::uint8_t fctype = 0;  // fabrics command type when opcode == kFabrics
  bool fua = false;
  std::uint32_t nsid = 0;
  std::uint64_t slba = 0;
  std::uint32_t nlb = 0;     // number of logical blocks (not 0's based)
  std::uint32_t cdw10 = 0;
  std::uint32_t cdw11 = 0;
  std::uint32_t cdw12 = 0;
  std::uint32_t data_bytes = 0;  // payload host -> controller (writes)
  // What the data is, for the checkers: a write lands this tag on every LBA it covers (0: the
  // device makes one up), and a read with want_tokens returns the tag found on each LBA.
  std::uint64_t tag = 0;
  bool want_tokens = false;
};

struct Completion {
  std::uint16_t qid = 0;
  std::uint16_t cid = 0;
  std::uint16_t status = status::kSuccess;
  std::uint32_t result = 0;
  std::uint32_t data_bytes = 0;  // payload controller -> host (reads, admin data)
  std::shared_ptr<const AdminData> admin_data;
  std::shared_ptr<const std::vector<std::uint64_t>> tokens;  // read data per LBA (want_tokens)
};

}  // namespace sim::nvme
