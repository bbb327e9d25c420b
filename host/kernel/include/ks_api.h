/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The C boundary between the simulator (C++) and the kernel blob (the kernel's own multipath.c and
 * a gc-rooted subset of core.c, linked with our shim, kshim.c). Kernel headers cannot be included
 * from C++, so everything kernel-shaped stays behind opaque handles: the simulator only sees the
 * two tables below.
 *
 * One blob per kernel version exports exactly one symbol, ks_ops_<tag>() (tag 6_1 or 6_12), which
 * returns its operation table. The simulator hands the blob its callbacks once, with init().
 *
 * Handles: "c*" pointers are the simulator's own objects (NvmeCtrl, NvmeNs, NsHead, Bio, Request),
 * stored by the shim and handed back in callbacks; "k*" pointers are the blob's.
 */
#ifndef NVMSIM_KS_API_H
#define NVMSIM_KS_API_H

#ifdef __cplusplus
extern "C" {
#endif

struct ks_subsys;
struct ks_ctrl;
struct ks_head;
struct ks_ns;

/* Controller states, numbered as enum nvme_ctrl_state. */
enum ks_ctrl_state {
	KS_CTRL_NEW = 0,
	KS_CTRL_LIVE = 1,
	KS_CTRL_RESETTING = 2,
	KS_CTRL_CONNECTING = 3,
	KS_CTRL_DELETING = 4,
	KS_CTRL_DELETING_NOIO = 5,
	KS_CTRL_DEAD = 6,
};

/* What the kernel did with a completed request (observed through the block layer calls it made). */
enum ks_disposition {
	KS_DISP_COMPLETE = 0, /* blk_mq_end_request with the bios still attached */
	KS_DISP_RETRY = 1,    /* blk_mq_requeue_request */
	KS_DISP_FAILOVER = 2, /* blk_steal_bios to the head's requeue list */
};

/* What happened to a bio submitted to a head disk, as seen right after the call. */
enum ks_submit_result {
	KS_SUBMIT_SENT = 0,   /* reached a path's request queue (the host callback ran) */
	KS_SUBMIT_PARKED = 1, /* put on the head's requeue list */
	KS_SUBMIT_FAILED = 2, /* ended with an error */
	KS_SUBMIT_SPLIT = 3,  /* the host split it and resubmitted the pieces */
};

enum ks_bio_op { KS_OP_READ = 0, KS_OP_WRITE = 1, KS_OP_FLUSH = 2, KS_OP_DISCARD = 3 };

#define KS_BIO_FUA 0x1u

/* Identify Controller fields the multipath code reads. */
struct ks_id_ctrl {
	unsigned int nn;
	unsigned int mnan;
	unsigned char cmic;
	unsigned char anacap;
	unsigned char anatt;
	unsigned int nanagrpid;
	unsigned int anagrpmax;
	unsigned short crdt[3];
	unsigned int max_hw_sectors; /* from MDTS, in 512-byte sectors */
	unsigned char vwc;
};

/* Callbacks into the simulator. Every one is called from kernel context. */
struct ks_host_cb {
	void *ctx;
	/* Simulated clock, in nanoseconds. */
	long long (*now_ns)(void *ctx);
	/* A one-shot event at an absolute simulated time; returns a nonzero id for cancel. */
	unsigned long long (*schedule)(void *ctx, long long at_ns, void (*fn)(void *), void *arg);
	void (*cancel)(void *ctx, unsigned long long id);
	/* Runs fn(arg) on a fiber, now; returns when it finished or blocked. */
	void (*run_on_fiber)(void *ctx, void (*fn)(void *), void *arg);
	/* Nonzero while running on a fiber (a place where the kernel may sleep). */
	int (*in_fiber)(void *ctx);
	/* Sleeps the current fiber until wake(channel) (mutexes, waiting for a work item). */
	void (*sleep_on)(void *ctx, const void *channel);
	void (*wake)(void *ctx, const void *channel);
	/* nvme_get_log: a real admin command over the fabric; sleeps the fiber until it completes.
	 * Returns 0, an NVMe status (> 0) or a negative errno. */
	int (*get_log)(void *ctx, void *cctrl, unsigned int nsid, unsigned char lid, unsigned char lsp,
		       void *buf, unsigned long len, unsigned long long offset);
	/* A bio reached a path disk's request queue (blk_mq_submit_bio). */
	void (*submit_to_path)(void *ctx, void *cns, void *cbio);
	/* bio_endio: the bio is done with this block status (0 = OK). */
	void (*bio_endio)(void *ctx, void *cbio, int blk_status);
	/* blk_mq_end_request: the request is finished (its remaining bios already went to bio_endio). */
	void (*rq_end)(void *ctx, void *crq);
	/* blk_mq_requeue_request + blk_mq_delay_kick_requeue_list: run it again after delay_ms. */
	void (*rq_requeue)(void *ctx, void *crq, unsigned long delay_ms);
	/* bio_split_to_limits on a head: nonzero if the host split the bio and resubmitted the pieces. */
	int (*split)(void *ctx, void *chead, void *cbio);
	/* nvme_reset_ctrl from kernel code (the ANATT timer). Returns 0 or -EBUSY. */
	int (*reset_ctrl)(void *ctx, void *cctrl);
	/* nvme_requeue_work of this head is about to take its whole requeue list. */
	void (*requeue_work)(void *ctx, void *chead);
	/* The head disk was added (live = 1) or deleted (live = 0). */
	void (*head_disk)(void *ctx, void *chead, int live);
	/* A kernel log line (printk level 0-7, device name or "", message without newline). */
	void (*log)(void *ctx, int level, const char *dev, const char *msg);
	/* A kernel WARN or an impossible shim state: the run must stop. */
	void (*fatal)(void *ctx, const char *msg);
	/* Memory for kernel objects. */
	void *(*alloc)(void *ctx, unsigned long size);
	void (*free)(void *ctx, void *p);
};

struct ks_ops {
	const char *version;  /* "6.1.192" */
	int has_queue_depth;  /* the queue-depth iopolicy exists */
	/* Once, before anything else. The table must outlive the blob's use. */
	void (*init)(const struct ks_host_cb *cb);

	/* nvme_init_subsystem. iopolicy: 0 numa, 1 round-robin, 2 queue-depth. */
	struct ks_subsys *(*subsys_create)(const char *nqn, int instance, unsigned char cmic, int iopolicy);
	/* The sysfs store of the subsystem's iopolicy attribute (name as written to sysfs). */
	int (*subsys_store_iopolicy)(struct ks_subsys *s, const char *name);

	/* nvme_init_ctrl + nvme_mpath_init_ctrl (before the first connect). */
	struct ks_ctrl *(*ctrl_create)(void *cctrl, int instance, const char *name, int fabrics);
	/* nvme_init_subsystem: the controller joins its subsystem (after Identify Controller). */
	void (*ctrl_join)(struct ks_ctrl *c, struct ks_subsys *s);
	void (*ctrl_identify)(struct ks_ctrl *c, const struct ks_id_ctrl *id);
	/* nvme_mpath_init_identify. May sleep in nvme_get_log: call it from a fiber. */
	int (*ctrl_mpath_init_identify)(struct ks_ctrl *c);
	/* nvme_change_ctrl_state (the real one). Returns nonzero if the transition happened. */
	int (*ctrl_change_state)(struct ks_ctrl *c, int new_state);
	int (*ctrl_state)(struct ks_ctrl *c);
	/* nvme_mpath_update (after LIVE). May sleep on ana_lock: call from a fiber. */
	void (*ctrl_mpath_update)(struct ks_ctrl *c);
	/* Queue ana_work if the controller uses ANA (an ANA change notice, the end of a scan). */
	void (*ctrl_queue_ana_work)(struct ks_ctrl *c);
	/* nvme_mpath_stop (teardown before a reset or reconnect). */
	void (*ctrl_mpath_stop)(struct ks_ctrl *c);
	void (*ctrl_clear_paths)(struct ks_ctrl *c);       /* nvme_mpath_clear_ctrl_paths */
	void (*ctrl_kick_requeue_lists)(struct ks_ctrl *c); /* nvme_kick_requeue_lists */
	void (*ctrl_set_failfast_expired)(struct ks_ctrl *c, int expired);
	/* nvme_mark_namespaces_dead: the path queues are dying. */
	void (*ctrl_mark_dead)(struct ks_ctrl *c);
	/* The controller leaves its subsystem and is freed (nvme_mpath_uninit first). */
	void (*ctrl_free)(struct ks_ctrl *c);
	int (*ctrl_nr_active)(struct ks_ctrl *c);

	/* nvme_alloc_ns_head + nvme_mpath_alloc_disk. */
	struct ks_head *(*head_create)(struct ks_ctrl *c, void *chead, unsigned int nsid, int instance,
				       unsigned long long capacity_sectors, unsigned int lba_shift,
				       unsigned int max_sectors, int shared);
	int (*head_disk_live)(struct ks_head *h);
	/* Bios on the head's requeue list, in order. */
	void (*head_for_each_requeued)(struct ks_head *h, void (*fn)(void *cbio, void *arg), void *arg);
	/* The last path went: nvme_mpath_shutdown_disk, then nvme_mpath_remove_disk when released. */
	void (*head_shutdown)(struct ks_head *h);
	void (*head_free)(struct ks_head *h);

	/* nvme_alloc_ns: the path joins its controller's list and its head's list, READY set. */
	struct ks_ns *(*ns_create)(struct ks_ctrl *c, struct ks_head *h, void *cns, const char *disk_name);
	/* nvme_mpath_add_disk. May sleep on ana_lock: call from a fiber. */
	void (*ns_mpath_add_disk)(struct ks_ns *ns, unsigned int anagrpid);
	/* nvme_ns_remove's multipath half. Returns nonzero if it was the head's last path. The path
	 * stays allocated: requests still in flight on it point at its queue. */
	int (*ns_remove)(struct ks_ns *ns);
	int (*ns_ana_state)(struct ks_ns *ns);
	int (*ns_ana_pending)(struct ks_ns *ns);
	int (*ns_ready)(struct ks_ns *ns);

	/* A kernel bio for the simulator's bio (reused for the simulator bio's lifetime). */
	void *(*bio_alloc)(void *cbio);
	void (*bio_prepare)(void *kbio, int op, unsigned long long sector, unsigned int bytes, unsigned int flags);
	void (*bio_free)(void *kbio);
	/* submit_bio on the head disk (nvme_ns_head_submit_bio through submit_bio_noacct). */
	int (*head_submit_bio)(struct ks_head *h, void *kbio);

	/* A kernel request for one of the simulator's request slots. */
	void *(*rq_alloc)(void *crq, struct ks_ctrl *c);
	void (*rq_free)(void *krq);
	/* Binds the request to a path and its bios (a fresh request from blk_mq_submit_bio). */
	void (*rq_prepare)(void *krq, struct ks_ns *ns, void *const *kbios, int nbios, int op,
			   unsigned long long sector, unsigned int bytes, int mpath);
	/* nvme_check_ready + nvme_fail_nonready_command: 0 ready (send it), 1 BLK_STS_RESOURCE (run
	 * the queue again later), 2 the kernel completed it. */
	int (*rq_queue_check)(void *krq, int queue_live);
	/* nvme_start_request. */
	void (*rq_start)(void *krq);
	/* nvme_complete_rq with this NVMe status. */
	int (*rq_complete)(void *krq, unsigned short status);
};

const struct ks_ops *ks_ops_6_1(void);
const struct ks_ops *ks_ops_6_12(void);

#ifdef __cplusplus
}
#endif

#endif /* NVMSIM_KS_API_H */
