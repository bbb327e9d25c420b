#pragma once
// The host NVMe controller (drivers/nvme/host/core.c + the fabrics transports' queue handling and
// error recovery, tcp.c/rdma.c, and the pci.c reset path): state machine, bring-up over the fabric,
// keep-alive, I/O queues and tags, request submission, timeouts, the completion path with
// nvme_decide_disposition, error recovery, reconnect and deletion.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "host/nvme.hpp"
#include "host/profile.hpp"

namespace host {

enum class Disposition : std::uint8_t { Complete, Retry, Failover };

class NvmeCtrl final : public sim::fabric::CapsuleSink, public sim::engine::EventTarget {
 public:
  // Opens a new association for this controller over its link (TCP connect + the target accepting
  // it); nullopt when the target cannot be reached (link or port down, powered off).
  using Connector = std::function<std::optional<std::uint32_t>(NvmeCtrl&)>;

  NvmeCtrl(Host& host, int instance, CtrlOptions opts, sim::fabric::Link& link,
           sim::scenario::Transport transport);

  const std::string& name() const { return name_; }
  Host& host() const { return host_; }
  int instance() const { return instance_; }
  CtrlState state() const { return state_; }
  NvmeSubsystem* subsys() const { return subsys_; }
  void set_subsys(NvmeSubsystem* s) { subsys_ = s; }  // by nvme_init_subsystem
  const sim::nvme::IdentifyController& id() const { return id_; }
  sim::fabric::Link& link() const { return link_; }
  sim::scenario::Transport transport() const { return transport_; }
  const CtrlOptions& opts() const { return opts_; }
  const Profile& profile() const;
  int numa_node() const { return opts_.numa_node; }
  std::uint32_t max_bytes() const { return max_bytes_; }
  std::vector<NvmeNs*>& namespaces() { return namespaces_; }
  const std::vector<NvmeNs*>& namespaces() const { return namespaces_; }
  bool fabrics() const { return transport_ != sim::scenario::Transport::Pcie; }
  // Gone for good: deleted and torn down (the kernel would have freed it).
  bool removed() const { return removed_; }
  int nr_reconnects() const { return nr_reconnects_; }
  int max_reconnects() const;  // -1 = forever

  // nvme_change_ctrl_state: the only place the state is written. False if not allowed.
  bool nvme_change_ctrl_state(CtrlState to, const std::string& reason);

  // `nvme connect`: open the first association and bring the controller up. If that fails the
  // controller is removed again (the connect command fails; nothing retries).
  void start_connect(Connector connector);
  // `nvme disconnect`, ctrl_loss_tmo running out, a dead PCIe controller: nvme_delete_ctrl.
  bool nvme_delete_ctrl(const std::string& reason);
  // nvme_reset_ctrl: full teardown and immediate re-setup (ANATT expiry, PCIe timeouts).
  bool nvme_reset_ctrl(const std::string& reason);
  // The fabrics transports' error recovery (nvme_tcp_error_recovery and friends).
  void nvme_error_recovery(const std::string& reason);

  // nvme_ana_work, queued: re-read the ANA log (once per burst of ANA errors or AENs).
  void queue_ana_work();

  // Block layer entry for a bio aimed at one of this controller's namespaces.
  void submit_to_queue(NvmeNs* ns, Bio* bio);
  void blk_start_plug() { ++plug_depth_; }
  void blk_finish_plug();

  // ctrl->nr_active: multipath requests in flight (queue-depth policy).
  int nr_active = 0;
  bool failfast_expired = false;  // NVME_CTRL_FAILFAST_EXPIRED
  // When the current failure was detected (LIVE -> RESETTING), for the failover hold.
  sim::Time recovery_started = 0;
  // World-wide controller number for reports (set by whoever creates it).
  int record_id = -1;

  // Failover hold (failover_hold option): bios of requests cancelled on this controller wait here
  // until it is safe to run them elsewhere. Returns false if no hold applies.
  bool hold_failed_over(BioList& bios, std::uint16_t status);
  // When held bios go (-1 while a cross-controller reset decides it).
  sim::Time hold_until() const { return ccr_pending_ ? -1 : hold_release_time(); }

  // CapsuleSink
  void on_completion(sim::nvme::Completion&& cqe) override;
  void on_transport_error(std::uint32_t assoc) override;
  void on_event(std::uint32_t kind, std::uint64_t arg) override;
  std::string describe_event(std::uint32_t kind, std::uint64_t arg) const override;

  std::uint64_t requests_completed() const { return requests_completed_; }
  // Every bio this controller holds: in requests (sent, retrying or plugged), waiting for a tag,
  // or held by a failover hold.
  void collect_bios(std::vector<const Bio*>& out) const;

  // BP-09: run scan work that waited behind a partition read.
  void resume_scan_work() { nvme_scan_work(); }
  // BP-11: keep `log` for later if a head it touches has I/O outstanding (true = deferred).
  bool bp11_defer_ana(const sim::nvme::AnaLog& log);
  void bp11_retry_ana();
  // BP-04 / BP-12: a deletion that waited for parked bios tries again.
  void bp_retry_delete() {
    if (bp_delete_waits_) do_delete();
  }
  // core: linux: the kernel gave the request back (blk_mq_end_request), asked for it to run again
  // after `delay` (nvme_retry_req), or reads a log page (nvme_get_log).
  void kernel_end_request(Request& rq) { free_request(rq); }
  void kernel_retry_request(Request& rq, sim::Time delay);
  void kernel_get_log(std::uint8_t lid, std::uint8_t lsp, std::uint32_t nsid,
                      std::function<void(const sim::nvme::Completion&)> done);
  // Requests of this controller on the wire for paths of `head`.
  int inflight_on(const NsHead* head) const;

 private:
  enum EventKind : std::uint32_t { kRetry = 0, kRequeueRerun = 1 };
  using AdminDone = std::function<void(const sim::nvme::Completion&)>;
  struct AdminCmd {
    AdminDone done;
    sim::Time deadline = sim::kNever;  // an AER has none: it is meant to stay outstanding
    bool keep_alive = false;
  };

  void submit_admin(sim::nvme::Command cmd, AdminDone done, bool keep_alive = false);
  void on_admin_completion(const sim::nvme::Completion& cqe);
  void admin_timeout(std::uint16_t cid);
  // Bring-up steps, in the order the Linux fabrics transports run them (nvme_tcp_setup_ctrl).
  void connect_and_setup();
  void setup_ctrl();
  void connect_admin_queue();
  void identify_controller();
  void read_ana_log(std::function<void(bool ok)> then);
  void nvme_configure_host_options(std::function<void()> then);
  void set_queue_count();
  void connect_io_queue(int qid);
  void setup_done();
  void setup_failed(const std::string& why);
  void nvme_scan_work();
  void scan_namespace(std::vector<std::uint32_t> nsids, std::size_t i);
  void nvme_ns_remove(NvmeNs* ns);
  void submit_aer();
  void on_aen(std::uint32_t result);
  void nvme_keep_alive_work();
  void nvme_queue_keep_alive_work();
  bool keep_alive_outstanding() const;
  void err_work();
  sim::Time keep_alive_period() const;
  void arm_anatt_timer(const sim::nvme::AnaLog& log);

  // Error handling and lifecycle.
  void teardown();  // cancel everything in flight, close the association
  void nvme_cancel_inflight();
  void bp13_split_for_late_cqe(Request& rq, BioList& late);
  void reconnect_or_remove();
  void reconnect_ctrl_work();
  void start_failfast_timer();
  void do_delete();
  void finish_delete();
  void release_held();
  void release_held_at();  // arm the hold timer
  sim::Time hold_release_time() const;
  void start_ccr();

  HwQueue& queue_for_cpu(int cpu);
  Request* get_request(HwQueue& q);
  void start_request(Request& rq);  // hands a request to the transport
  void queue_rq(Request& rq);                   // nvme_tcp_queue_rq / nvme_check_ready
  void free_request(Request& rq);
  void nvme_complete_rq(Request& rq);
  Disposition nvme_decide_disposition(const Request& rq) const;
  void nvme_end_req(Request& rq);
  void nvme_retry_req(Request& rq);
  std::uint64_t request_key(const Request& rq) const;
  // The blk-mq request timeout: one timer per controller at the earliest deadline rounded up to a
  // whole second (blk_add_timer -> round_jiffies_up), then every expired request is handled.
  void add_timeout(sim::Time deadline);
  void timeout_work();
  void nvme_timeout(Request& rq);
  int inflight() const;

  Host& host_;
  int instance_;
  std::string name_;
  CtrlOptions opts_;
  sim::fabric::Link& link_;
  sim::scenario::Transport transport_;
  Connector connector_;
  std::uint32_t assoc_ = 0;
  bool assoc_open_ = false;
  CtrlState state_ = CtrlState::New;
  bool initial_connect_ = true;
  bool reset_in_progress_ = false;  // nvme_reset_ctrl's setup, not a fabrics reconnect
  bool removed_ = false;
  NvmeSubsystem* subsys_ = nullptr;
  sim::nvme::IdentifyController id_;
  std::shared_ptr<const sim::nvme::AnaLog> ana_log_;
  std::uint32_t max_bytes_ = 0;
  int granted_io_queues_ = 0;
  std::vector<HwQueue> queues_;  // I/O queues, qid = index + 1
  std::map<std::uint16_t, AdminCmd> admin_inflight_;
  std::uint16_t next_admin_cid_ = 0;
  std::vector<NvmeNs*> namespaces_;  // sorted by NSID (nvme_ns_add_to_ctrl_list)
  int plug_depth_ = 0;
  std::vector<Request*> plug_list_;
  std::uint64_t requests_completed_ = 0;
  std::uint64_t ka_timer_ = 0;
  sim::Time ka_sent_ = 0;
  sim::Time ka_last_check_ = 0;
  bool err_work_waits_for_ka_ = false;
  std::uint16_t last_setup_status_ = 0;
  bool comp_seen_ = false;
  bool ana_work_queued_ = false;
  std::uint64_t anatt_timer_ = 0;
  std::uint64_t reconnect_timer_ = 0;
  std::uint64_t failfast_timer_ = 0;
  int nr_reconnects_ = 0;
  std::uint64_t timeout_timer_ = 0;
  sim::Time timeout_at_ = 0;
  std::function<void()> on_drained_;  // deletion waits for in-flight I/O of removed paths
  BioList held_;
  std::uint64_t hold_timer_ = 0;
  bool ccr_pending_ = false;
  std::vector<sim::events::BioRange> sent_scratch_;  // CommandSent's bio list, reused
  std::vector<Request*> bp10_noq_;   // BP-10: requests queued before the I/O queues exist
  bool bp10_freeze_waiter_ = false;
  bool bp_delete_waits_ = false;  // BP-04 / BP-12: do_delete waits for parked bios
  std::shared_ptr<const sim::nvme::AnaLog> bp11_deferred_;
};

}  // namespace host
