#pragma once
// The host NVMe controller (drivers/nvme/host/core.c + the fabrics transport's queue handling):
// state machine, bring-up over the fabric, I/O queues and tags, request submission and the
// completion path with nvme_decide_disposition.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "host/nvme.hpp"

namespace host {

enum class Disposition : std::uint8_t { Complete, Retry, Failover };

class NvmeCtrl final : public sim::fabric::CapsuleSink, public sim::engine::EventTarget {
 public:
  NvmeCtrl(Host& host, int instance, CtrlOptions opts, sim::fabric::Link& link,
           sim::scenario::Transport transport);

  const std::string& name() const { return name_; }
  int instance() const { return instance_; }
  CtrlState state() const { return state_; }
  NvmeSubsystem* subsys() const { return subsys_; }
  void set_subsys(NvmeSubsystem* s) { subsys_ = s; }  // by nvme_init_subsystem
  const sim::nvme::IdentifyController& id() const { return id_; }
  sim::fabric::Link& link() const { return link_; }
  sim::scenario::Transport transport() const { return transport_; }
  const CtrlOptions& opts() const { return opts_; }
  int numa_node() const { return opts_.numa_node; }
  std::uint32_t max_bytes() const { return max_bytes_; }
  std::vector<NvmeNs*>& namespaces() { return namespaces_; }
  const std::vector<NvmeNs*>& namespaces() const { return namespaces_; }

  // nvme_change_ctrl_state: the only place the state is written. False if not allowed.
  bool nvme_change_ctrl_state(CtrlState to, const std::string& reason);

  // Starts the association and the bring-up sequence (admin Connect ... LIVE ... scan).
  void start_connect(std::uint32_t assoc);

  // nvme_ana_work, queued: re-read the ANA log (once per burst of ANA errors or AENs).
  void queue_ana_work();

  // Block layer entry for a bio aimed at one of this controller's namespaces.
  void submit_to_queue(NvmeNs* ns, Bio* bio);
  void blk_start_plug() { ++plug_depth_; }
  void blk_finish_plug();

  // ctrl->nr_active: multipath requests in flight (queue-depth policy).
  int nr_active = 0;
  bool failfast_expired = false;  // NVME_CTRL_FAILFAST_EXPIRED

  // CapsuleSink
  void on_completion(sim::nvme::Completion&& cqe) override;
  void on_transport_error(std::uint32_t assoc) override;
  void on_event(std::uint32_t kind, std::uint64_t arg) override;

  std::uint64_t requests_completed() const { return requests_completed_; }

 private:
  enum EventKind : std::uint32_t { kRetry = 0, kRequeueRerun = 1 };
  using AdminDone = std::function<void(const sim::nvme::Completion&)>;

  void submit_admin(sim::nvme::Command cmd, AdminDone done);
  void on_admin_completion(const sim::nvme::Completion& cqe);
  // Bring-up steps, in the order the Linux fabrics transports run them.
  void connect_admin_queue();
  void identify_controller();
  void read_ana_log(std::function<void()> then);
  void set_queue_count();
  void connect_io_queue(int qid);
  void setup_done();
  void nvme_scan_work();
  void scan_namespace(std::vector<std::uint32_t> nsids, std::size_t i);
  void nvme_keep_alive_work();

  HwQueue& queue_for_cpu(int cpu);
  Request* get_request(HwQueue& q);
  void start_request(Request& rq);  // hands a request to the transport
  void queue_rq(Request& rq);                   // nvme_tcp_queue_rq / nvme_check_ready
  void free_request(Request& rq);
  void nvme_complete_rq(Request& rq);
  Disposition nvme_decide_disposition(const Request& rq) const;
  void nvme_end_req(Request& rq);
  void nvme_retry_req(Request& rq);

  Host& host_;
  int instance_;
  std::string name_;
  CtrlOptions opts_;
  sim::fabric::Link& link_;
  sim::scenario::Transport transport_;
  std::uint32_t assoc_ = 0;
  CtrlState state_ = CtrlState::New;
  NvmeSubsystem* subsys_ = nullptr;
  sim::nvme::IdentifyController id_;
  std::shared_ptr<const sim::nvme::AnaLog> ana_log_;
  std::uint32_t max_bytes_ = 0;
  int granted_io_queues_ = 0;
  std::vector<HwQueue> queues_;  // I/O queues, qid = index + 1
  std::map<std::uint16_t, AdminDone> admin_inflight_;
  std::uint16_t next_admin_cid_ = 0;
  std::vector<NvmeNs*> namespaces_;  // sorted by NSID (nvme_ns_add_to_ctrl_list)
  int plug_depth_ = 0;
  std::vector<Request*> plug_list_;
  std::uint64_t requests_completed_ = 0;
  std::uint64_t ka_timer_ = 0;
  bool ana_work_queued_ = false;
};

}  // namespace host
