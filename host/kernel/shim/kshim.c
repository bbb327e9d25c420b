// SPDX-License-Identifier: GPL-2.0-only
/*
 * kshim.c: the kernel services that the kernel's own drivers/nvme/host/multipath.c and the rooted
 * part of core.c call, provided on simulated time for one single-threaded discrete-event run.
 *
 * Compiled with the kernel's own flags against a configured tree (see host/kernel/CMakeLists.txt)
 * and linked with those objects into one blob per kernel version; only ks_ops_<tag>() stays
 * global. Written for nvmsim; nothing here is copied from the kernel. Where a function stands in
 * for a kernel one it keeps the kernel's name and contract (named in the comment above it).
 *
 * Execution model: every event runs to completion. Work items run on fibers owned by the
 * simulator (ks_host_cb.run_on_fiber) because nvme_get_log, called from ana_work and from
 * nvme_mpath_init_identify, is a real admin command that takes fabric time; mutexes are real
 * cooperative locks for that reason. Spinlocks, RCU and SRCU read sides are no-ops: nothing is
 * ever suspended inside one, which the SRCU nesting checks below assert.
 */
#include <linux/version.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/bio.h>
#include <linux/workqueue.h>
#include <linux/timer.h>
#include <linux/mutex.h>
#include <linux/srcu.h>
#include <linux/ratelimit.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <linux/device.h>
#include <linux/printk.h>
#include <linux/kref.h>
#include <linux/pr.h>
#include <generated/utsrelease.h>
#include "nvme.h"
#include "ks_api.h"

#ifndef KS_VERSION_TAG
#error "KS_VERSION_TAG (6_1 or 6_12) must be defined by the build"
#endif
#define KS_CAT2(a, b) a##b
#define KS_CAT(a, b) KS_CAT2(a, b)

#define KS_NEW_API (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0))

/* libc, resolved at the final link (the blob is built with -nostdinc). */
extern int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
extern void *memset(void *s, int c, size_t n);
extern void *memcpy(void *d, const void *s, size_t n);

static const struct ks_host_cb *cb;

static void ks_strlcpy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++)
		dst[i] = src[i];
	if (n)
		dst[i] = 0;
}

/* ---- clock ------------------------------------------------------------------------------------ */

unsigned long volatile __cacheline_aligned_in_smp __jiffy_arch_data jiffies;
unsigned long ksim_irqflags = X86_EFLAGS_IF;
unsigned long page_offset_base;
unsigned long vmemmap_base;

/* HZ is 1000 in the blob's configuration: one jiffy per simulated millisecond. Recomputed at every
 * entry from the simulator and before every callback that may run kernel code. */
static void ks_tick(void)
{
	jiffies = (unsigned long)(cb->now_ns(cb->ctx) / (1000000000LL / HZ));
}

static long long jiffies_to_sim_ns(unsigned long j)
{
	return (long long)j * (1000000000LL / HZ);
}

/* ---- memory and logging ----------------------------------------------------------------------- */

static void *ks_zalloc(size_t n)
{
	void *p = cb->alloc(cb->ctx, n);

	if (p)
		memset(p, 0, n);
	return p;
}

void kfree(const void *p)
{
	if (p)
		cb->free(cb->ctx, (void *)p);
}

#if KS_NEW_API
void *__kvmalloc_node_noprof(DECL_BUCKET_PARAMS(size, b), gfp_t flags, int node)
{
	return ks_zalloc(size);
}
#else
void *kvmalloc_node(size_t size, gfp_t flags, int node)
{
	return ks_zalloc(size);
}
#endif

void kvfree(const void *p)
{
	kfree(p);
}

static void ks_vlog(const char *dev, const char *fmt, va_list ap)
{
	char buf[512];
	int level = 6;

	if (fmt[0] == KERN_SOH_ASCII && fmt[1] >= '0' && fmt[1] <= '7') {
		level = fmt[1] - '0';
		fmt += 2;
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	{
		size_t n = strlen(buf);

		while (n && buf[n - 1] == '\n')
			buf[--n] = 0;
	}
	cb->log(cb->ctx, level, dev ? dev : "", buf);
}

static const char *ks_dev_name(const struct device *dev)
{
	if (!dev)
		return "";
	return dev->init_name ? dev->init_name : "";
}

asmlinkage __visible int _printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_vlog(NULL, fmt, ap);
	va_end(ap);
	return 0;
}

#define KS_DEV_LOG(fn, lvl)                                             \
	void fn(const struct device *dev, const char *fmt, ...)        \
	{                                                               \
		va_list ap;                                             \
		char f[256];                                            \
		f[0] = KERN_SOH_ASCII;                                  \
		f[1] = lvl;                                             \
		ks_strlcpy(f + 2, fmt, sizeof(f) - 2);                     \
		va_start(ap, fmt);                                      \
		ks_vlog(ks_dev_name(dev), f, ap);                       \
		va_end(ap);                                             \
	}
KS_DEV_LOG(_dev_err, '3')
KS_DEV_LOG(_dev_warn, '4')
KS_DEV_LOG(_dev_info, '6')

/* Rate limiting would make logs depend on earlier runs in the same process: never suppress. */
int ___ratelimit(struct ratelimit_state *rs, const char *func)
{
	return 1;
}

void warn_slowpath_fmt(const char *file, const int line, unsigned taint, const char *fmt, ...)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "kernel WARN at %s:%d", file, line);
	cb->fatal(cb->ctx, buf);
}

void refcount_warn_saturate(refcount_t *r, enum refcount_saturation_type t)
{
	cb->fatal(cb->ctx, "refcount saturated (a reference counting bug)");
}

int sysfs_emit(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PAGE_SIZE, fmt, ap);
	va_end(ap);
	return n;
}

/* sysfs_streq: equal, ignoring one trailing newline on either side. */
bool sysfs_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	if (*a == *b)
		return true;
	if (*a == '\n' && a[1] == 0 && *b == 0)
		return true;
	if (*b == '\n' && b[1] == 0 && *a == 0)
		return true;
	return false;
}

int dev_set_name(struct device *dev, const char *fmt, ...)
{
	return 0;
}

static int ks_param_set_bool(const char *val, const struct kernel_param *kp)
{
	return 0;
}

static int ks_param_get_bool(char *buf, const struct kernel_param *kp)
{
	return 0;
}

const struct kernel_param_ops param_ops_bool = {
	.set = ks_param_set_bool,
	.get = ks_param_get_bool,
};

/* ---- fibers, mutexes, SRCU -------------------------------------------------------------------- */

/* A mutex's owner word holds the owning fiber (in_fiber() id), or 1 when taken outside a fiber. */
void __mutex_init(struct mutex *lock, const char *name, struct lock_class_key *key)
{
	atomic_long_set(&lock->owner, 0);
}

void mutex_lock(struct mutex *lock)
{
	long me = cb->in_fiber(cb->ctx);

	if (!me)
		me = 1;
	while (atomic_long_read(&lock->owner)) {
		if (atomic_long_read(&lock->owner) == me)
			cb->fatal(cb->ctx, "recursive mutex_lock (a deadlock in the kernel)");
		if (me == 1)
			cb->fatal(cb->ctx, "mutex_lock would sleep outside a fiber");
		cb->sleep_on(cb->ctx, lock);
	}
	atomic_long_set(&lock->owner, me);
}

void mutex_unlock(struct mutex *lock)
{
	atomic_long_set(&lock->owner, 0);
	cb->wake(cb->ctx, lock);
}

#if !KS_NEW_API
void __init_rwsem(struct rw_semaphore *sem, const char *name, struct lock_class_key *key) { }
#endif
void down_read(struct rw_semaphore *sem) { }
void up_read(struct rw_semaphore *sem) { }
void down_write(struct rw_semaphore *sem) { }
void up_write(struct rw_semaphore *sem) { }

DEFINE_MUTEX(nvme_subsystems_lock);

void __srcu_read_unlock(struct srcu_struct *ssp, int idx)
{
	int n = READ_ONCE(ssp->srcu_lock_nesting[idx]) - 1;

	if (n < 0)
		cb->fatal(cb->ctx, "SRCU read unlock without lock");
	WRITE_ONCE(ssp->srcu_lock_nesting[idx], n);
}

/* With run-to-completion events no reader can be in flight here; a nonzero count means a reader
 * slept inside its read side, which the kernel forbids for this code. */
void synchronize_srcu(struct srcu_struct *ssp)
{
	if (READ_ONCE(ssp->srcu_lock_nesting[0]) || READ_ONCE(ssp->srcu_lock_nesting[1]))
		cb->fatal(cb->ctx, "synchronize_srcu inside an SRCU read-side section");
}

int init_srcu_struct(struct srcu_struct *ssp)
{
	memset(ssp, 0, sizeof(*ssp));
	return 0;
}

int __wake_up(struct wait_queue_head *wq_head, unsigned int mode, int nr, void *key)
{
	return 0;
}

/* ---- work queues and timers ------------------------------------------------------------------- */

/* The pending event's id lives in the otherwise unused list linkage of the work item / timer. */
#define WORK_EVENT(w) (*(unsigned long long *)&(w)->entry.next)
#define TIMER_EVENT(t) (*(unsigned long long *)&(t)->entry.pprev)

/* Work queues are all the same simulated one; the structure is opaque, so a stand-in address. */
static long ks_wq_dummy[8];
struct workqueue_struct *nvme_wq = (struct workqueue_struct *)ks_wq_dummy;
struct workqueue_struct *system_wq = (struct workqueue_struct *)ks_wq_dummy;
#if KS_NEW_API
struct workqueue_struct *system_percpu_wq = (struct workqueue_struct *)ks_wq_dummy;
#endif

static void ks_requeue_notify(struct nvme_ns_head *h);

/* The function of every head's requeue_work (static in multipath.c), learnt at the first head. */
static work_func_t ks_requeue_fn;

static void ks_work_body(void *arg)
{
	struct work_struct *work = arg;

	ks_tick();
	if (ks_requeue_fn && work->func == ks_requeue_fn)
		ks_requeue_notify(container_of(work, struct nvme_ns_head, requeue_work));
	work->func(work);
}

static void ks_work_fire(void *arg)
{
	struct work_struct *work = arg;

	WORK_EVENT(work) = 0;
	clear_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(work));
	cb->run_on_fiber(cb->ctx, ks_work_body, work);
}

/* queue_work_on: an already-pending item is not queued twice (the kernel's coalescing). Work runs
 * in the same simulated instant, after the current event. */
static bool ks_queue_work_at(struct work_struct *work, long long at_ns)
{
	if (test_and_set_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(work)))
		return false;
	WORK_EVENT(work) = cb->schedule(cb->ctx, at_ns, ks_work_fire, work);
	return true;
}

bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work)
{
	return ks_queue_work_at(work, cb->now_ns(cb->ctx));
}

int kblockd_schedule_work(struct work_struct *work)
{
	return queue_work_on(0, NULL, work);
}

bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq, struct delayed_work *dwork,
			   unsigned long delay)
{
	return ks_queue_work_at(&dwork->work, cb->now_ns(cb->ctx) + jiffies_to_sim_ns(delay));
}

static bool ks_cancel_work(struct work_struct *work)
{
	if (!test_and_clear_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(work)))
		return false;
	if (WORK_EVENT(work))
		cb->cancel(cb->ctx, WORK_EVENT(work));
	WORK_EVENT(work) = 0;
	return true;
}

/* cancel_work_sync: a run already started on a fiber that now sleeps (an ANA log read) finishes
 * by itself when its command completes; nothing here can wait for it outside a fiber. */
bool cancel_work_sync(struct work_struct *work)
{
	return ks_cancel_work(work);
}

bool cancel_delayed_work_sync(struct delayed_work *dwork)
{
	return ks_cancel_work(&dwork->work);
}

/* flush_work: a pending item runs now, in the caller's context. */
bool flush_work(struct work_struct *work)
{
	if (!ks_cancel_work(work))
		return false;
	ks_work_body(work);
	return true;
}

void init_timer_key(struct timer_list *timer, void (*func)(struct timer_list *), unsigned int flags,
		    const char *name, struct lock_class_key *key)
{
	memset(timer, 0, sizeof(*timer));
	timer->function = func;
	timer->flags = flags;
}

static void ks_timer_fire(void *arg)
{
	struct timer_list *timer = arg;

	TIMER_EVENT(timer) = 0;
	ks_tick();
	timer->function(timer);
}

static int ks_timer_cancel(struct timer_list *timer)
{
	if (!TIMER_EVENT(timer))
		return 0;
	cb->cancel(cb->ctx, TIMER_EVENT(timer));
	TIMER_EVENT(timer) = 0;
	return 1;
}

int mod_timer(struct timer_list *timer, unsigned long expires)
{
	int was = ks_timer_cancel(timer);

	timer->expires = expires;
	TIMER_EVENT(timer) = cb->schedule(cb->ctx, jiffies_to_sim_ns(expires), ks_timer_fire, timer);
	return was;
}

int timer_delete_sync(struct timer_list *timer)
{
	return ks_timer_cancel(timer);
}

/* ---- objects ---------------------------------------------------------------------------------- */

struct ks_subsys {
	struct nvme_subsystem s;
};

struct ks_ctrl {
	struct nvme_ctrl c;
	struct nvme_ctrl_ops ops;
	struct blk_mq_tag_set tagset;
	struct nvme_id_ctrl id; /* what nvme_mpath_init_identify is handed */
	void *cctrl;
	char name[32];
};

/* A disk with its queue and whole-disk block device (a path disk or a head disk). */
struct ks_disk {
	struct gendisk disk;
	struct request_queue q;
	struct block_device bdev;
	void *cobj; /* the simulator's NvmeNs or NsHead */
};

struct ks_head {
	void *chead;
	struct nvme_ns_head *h;
	unsigned int lba_shift;
};

struct ks_ns {
	struct nvme_ns ns;
	struct ks_disk d;
	void *cns;
};

struct ks_rq {
	void *crq;
	struct ks_ctrl *ctrl;
	int requeued;
	int stolen;
	int ended;
	struct nvme_command cmd;
	struct request rq;
	struct nvme_request pdu; /* blk_mq_rq_to_pdu(): right behind the request */
};
_Static_assert(offsetof(struct ks_rq, pdu) == offsetof(struct ks_rq, rq) + sizeof(struct request),
	       "nvme_request must follow struct request");

static inline struct ks_rq *to_ks_rq(struct request *rq)
{
	return container_of(rq, struct ks_rq, rq);
}

static inline struct ks_ctrl *to_ks_ctrl(struct nvme_ctrl *c)
{
	return container_of(c, struct ks_ctrl, c);
}

static inline struct ks_disk *to_ks_disk(struct gendisk *disk)
{
	return container_of(disk, struct ks_disk, disk);
}

static void ks_disk_init(struct ks_disk *d, void *cobj, void *private_data)
{
	d->disk.queue = &d->q;
	d->disk.part0 = &d->bdev;
	d->disk.private_data = private_data;
	d->bdev.bd_disk = &d->disk;
	d->cobj = cobj;
	d->bdev.bd_device.init_name = d->disk.disk_name;
	blk_set_stacking_limits(&d->q.limits);
}

/* ---- block layer ------------------------------------------------------------------------------ */

/* __blk_alloc_disk: the head disk of nvme_mpath_alloc_disk. */
#if KS_NEW_API
struct gendisk *__blk_alloc_disk(struct queue_limits *lim, int node, struct lock_class_key *lkclass)
#else
struct gendisk *__blk_alloc_disk(int node, struct lock_class_key *lkclass)
#endif
{
	struct ks_disk *d = ks_zalloc(sizeof(*d));

	if (!d)
		return ERR_PTR(-ENOMEM);
	ks_disk_init(d, NULL, NULL);
#if KS_NEW_API
	if (lim)
		d->q.limits = *lim;
#endif
	return &d->disk;
}

void put_disk(struct gendisk *disk)
{
	if (disk)
		kfree(to_ks_disk(disk));
}

static struct ks_head *ks_head_of_disk(struct gendisk *disk)
{
	struct nvme_ns_head *head = disk->private_data;

	return dev_get_drvdata(&head->cdev_device);
}

/* device_add_disk: the head disk appears (nvme_mpath_set_live). */
int device_add_disk(struct device *parent, struct gendisk *disk, const struct attribute_group **groups)
{
	struct ks_head *kh = ks_head_of_disk(disk);

	set_bit(GD_ADDED, &disk->state);
	cb->head_disk(cb->ctx, kh->chead, 1);
	return 0;
}

void del_gendisk(struct gendisk *disk)
{
	struct ks_head *kh = ks_head_of_disk(disk);

	clear_bit(GD_ADDED, &disk->state);
	cb->head_disk(cb->ctx, kh->chead, 0);
}

void disk_uevent(struct gendisk *disk, enum kobject_action action) { }

int bdev_disk_changed(struct gendisk *disk, bool invalidate)
{
	return 0;
}

int nvme_cdev_add(struct cdev *cdev, struct device *cdev_device, const struct file_operations *fops,
		  struct module *owner)
{
	return 0;
}

void nvme_cdev_del(struct cdev *cdev, struct device *cdev_device) { }

void blk_set_stacking_limits(struct queue_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->logical_block_size = 512;
	lim->physical_block_size = 512;
	lim->max_segments = USHRT_MAX;
	lim->max_sectors = UINT_MAX;
	lim->max_hw_sectors = UINT_MAX;
}

#if !KS_NEW_API
void blk_queue_flag_set(unsigned int flag, struct request_queue *q)
{
	set_bit(flag, &q->queue_flags);
}

void blk_queue_write_cache(struct request_queue *q, bool wc, bool fua) { }
void blk_queue_logical_block_size(struct request_queue *q, unsigned int size) { }
void blk_queue_dma_alignment(struct request_queue *q, int mask) { }
#endif

void blk_freeze_queue_start(struct request_queue *q) { }
void blk_mq_freeze_queue_wait(struct request_queue *q) { }
void blk_mq_unfreeze_queue(struct request_queue *q) { }

/* bio_split_to_limits: splitting is the simulator's (the same split as its model host), which
 * resubmits the pieces to the head and tells us to drop this bio. */
struct bio *bio_split_to_limits(struct bio *bio)
{
	struct gendisk *disk = bio->bi_bdev->bd_disk;

	if (disk->fops && disk->fops->submit_bio) {
		struct ks_head *kh = ks_head_of_disk(disk);

		if (cb->split(cb->ctx, kh->chead, bio->bi_private))
			return NULL;
	}
	return bio;
}

/* bio_endio: a finished bio goes back to its owner. */
void bio_endio(struct bio *bio)
{
	cb->bio_endio(cb->ctx, bio->bi_private, bio->bi_status);
}

/* submit_bio_noacct: bio-based disks (the head) run their submit_bio, request-based ones (a path)
 * go to the simulator's request queue. Submissions made while one is in progress are queued and
 * run after it, one level at a time, like the block layer's current->bio_list. */
static struct bio_list ks_submit_pending;
static int ks_in_submit;

static void ks_dispatch(struct bio *bio)
{
	struct gendisk *disk = bio->bi_bdev->bd_disk;

	if (disk->fops && disk->fops->submit_bio)
		disk->fops->submit_bio(bio);
	else
		cb->submit_to_path(cb->ctx, to_ks_disk(disk)->cobj, bio->bi_private);
}

void submit_bio_noacct(struct bio *bio)
{
	if (ks_in_submit) {
		bio_list_add(&ks_submit_pending, bio);
		return;
	}
	ks_in_submit = 1;
	do {
		ks_dispatch(bio);
	} while ((bio = bio_list_pop(&ks_submit_pending)));
	ks_in_submit = 0;
}

/* blk_steal_bios: the request's bios move, in order, to the end of the list; the request keeps
 * none. */
void blk_steal_bios(struct bio_list *list, struct request *rq)
{
	if (rq->bio) {
		if (list->tail)
			list->tail->bi_next = rq->bio;
		else
			list->head = rq->bio;
		list->tail = rq->biotail;
		rq->bio = NULL;
		rq->biotail = NULL;
	}
	rq->__data_len = 0;
	to_ks_rq(rq)->stolen = 1;
}

/* blk_mq_end_request: every bio still attached ends with the request's status, then the request
 * is given back. */
void blk_mq_end_request(struct request *rq, blk_status_t error)
{
	struct ks_rq *r = to_ks_rq(rq);
	struct bio *bio = rq->bio;

	rq->bio = NULL;
	rq->biotail = NULL;
	while (bio) {
		struct bio *next = bio->bi_next;

		bio->bi_next = NULL;
		bio->bi_status = error;
		bio_endio(bio);
		bio = next;
	}
	r->ended = 1;
	cb->rq_end(cb->ctx, r->crq);
}

/* blk_mq_requeue_request + blk_mq_delay_kick_requeue_list: nvme_retry_req calls them back to back
 * for one request, so the kick re-runs the request the first one marked. */
static struct ks_rq *ks_requeued;

void blk_mq_requeue_request(struct request *rq, bool kick_requeue_list)
{
	to_ks_rq(rq)->requeued = 1;
	ks_requeued = to_ks_rq(rq);
	if (kick_requeue_list)
		blk_mq_delay_kick_requeue_list(rq->q, 0);
}

void blk_mq_delay_kick_requeue_list(struct request_queue *q, unsigned long msecs)
{
	struct ks_rq *r = ks_requeued;

	ks_requeued = NULL;
	if (!r)
		cb->fatal(cb->ctx, "requeue kick without a requeued request");
	cb->rq_requeue(cb->ctx, r->crq, msecs);
}

void set_capacity(struct gendisk *disk, sector_t sectors)
{
	disk->part0->bd_nr_sectors = sectors;
}

#if KS_NEW_API
unsigned long bdev_start_io_acct(struct block_device *bdev, enum req_op op, unsigned long start_time)
{
	return start_time;
}

void bdev_end_io_acct(struct block_device *bdev, enum req_op op, unsigned int sectors,
		      unsigned long start_time) { }
#endif

/* ---- NVMe core services multipath.c calls ----------------------------------------------------- */

int nvme_get_log(struct nvme_ctrl *ctrl, u32 nsid, u8 log_page, u8 lsp, u8 csi, void *log,
		 size_t size, u64 offset)
{
	int ret;

	if (!cb->in_fiber(cb->ctx))
		cb->fatal(cb->ctx, "nvme_get_log outside a fiber");
	ret = cb->get_log(cb->ctx, to_ks_ctrl(ctrl)->cctrl, nsid, log_page, lsp, log, size, offset);
	ks_tick();
	return ret;
}

/* nvme_reset_ctrl: the simulator owns the reset (its transport does the work); it moves the
 * controller to RESETTING through ctrl_change_state. */
int nvme_reset_ctrl(struct nvme_ctrl *ctrl)
{
	int ret = cb->reset_ctrl(cb->ctx, to_ks_ctrl(ctrl)->cctrl);

	ks_tick();
	return ret;
}

bool nvme_tryget_ns_head(struct nvme_ns_head *head)
{
	return kref_get_unless_zero(&head->ref);
}

static void ks_head_release(struct kref *ref) { }

void nvme_put_ns_head(struct nvme_ns_head *head)
{
	/* Heads are freed by the simulator (head_shutdown / head_free), after their last path. */
	kref_put(&head->ref, ks_head_release);
}

int nvme_getgeo(struct block_device *bdev, struct hd_geometry *geo)
{
	return -ENOTTY;
}

#if KS_NEW_API
int nvme_ns_head_ioctl(struct block_device *bdev, blk_mode_t mode, unsigned int cmd, unsigned long arg)
#else
int nvme_ns_head_ioctl(struct block_device *bdev, fmode_t mode, unsigned int cmd, unsigned long arg)
#endif
{
	return -ENOTTY;
}

long nvme_ns_head_chr_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return -ENOTTY;
}

int nvme_ns_head_chr_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	return -ENOTTY;
}

int nvme_ns_chr_uring_cmd_iopoll(struct io_uring_cmd *ioucmd, struct io_comp_batch *iob,
				 unsigned int poll_flags)
{
	return 0;
}

#if KS_NEW_API
int nvme_ns_get_unique_id(struct nvme_ns *ns, u8 id[16], enum blk_unique_id type)
{
	return -EINVAL;
}

const struct attribute_group *nvme_ns_attr_groups[] = { NULL };
#else
int nvme_ns_head_chr_uring_cmd_iopoll(struct io_uring_cmd *ioucmd, struct io_comp_batch *iob,
				      unsigned int poll_flags)
{
	return 0;
}

const struct attribute_group *nvme_ns_id_attr_groups[] = { NULL };
#endif

const struct pr_ops nvme_pr_ops;

/* ---- the operation table ---------------------------------------------------------------------- */

static void ks_init(const struct ks_host_cb *host)
{
	cb = host;
}

static struct ks_subsys *ks_subsys_create(const char *nqn, int instance, unsigned char cmic, int iopolicy)
{
	struct ks_subsys *ks = ks_zalloc(sizeof(*ks));
	struct nvme_subsystem *s = &ks->s;

	INIT_LIST_HEAD(&s->ctrls);
	INIT_LIST_HEAD(&s->nsheads);
	__mutex_init(&s->lock, "subsys", NULL);
	ks_strlcpy(s->subnqn, nqn, sizeof(s->subnqn));
	s->instance = instance;
	s->cmic = cmic;
	/* The iopolicy module parameter's default, as nvme_mpath_default_iopolicy applies it. */
	WRITE_ONCE(s->iopolicy, iopolicy);
	return ks;
}

static ssize_t ks_store_iopolicy_attr(struct nvme_subsystem *s, const char *name)
{
	return subsys_attr_iopolicy.store(&s->dev, &subsys_attr_iopolicy, name, strlen(name));
}

static int ks_subsys_store_iopolicy(struct ks_subsys *ks, const char *name)
{
	ssize_t r;

	ks_tick();
	r = ks_store_iopolicy_attr(&ks->s, name);
	return r < 0 ? (int)r : 0;
}


static struct ks_ctrl *ks_ctrl_create(void *cctrl, int instance, const char *name, int fabrics)
{
	struct ks_ctrl *k = ks_zalloc(sizeof(*k));
	struct nvme_ctrl *c = &k->c;

	k->cctrl = cctrl;
	ks_strlcpy(k->name, name, sizeof(k->name));
	k->ops.flags = fabrics ? NVME_F_FABRICS : 0;
	k->ops.name = "nvmsim";
	c->ops = &k->ops;
	c->state = NVME_CTRL_NEW;
	c->instance = instance;
	c->numa_node = NUMA_NO_NODE;
	c->device = &c->ctrl_device;
	c->ctrl_device.init_name = k->name;
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->namespaces);
#if KS_NEW_API
	init_srcu_struct(&c->srcu);
	__mutex_init(&c->namespaces_lock, "ns", NULL);
#else
	init_rwsem(&c->namespaces_rwsem);
#endif
	INIT_LIST_HEAD(&c->state_wq.head);
	c->tagset = &k->tagset;
	INIT_LIST_HEAD(&c->subsys_entry);
	nvme_mpath_init_ctrl(c);
	return k;
}

static void ks_ctrl_join(struct ks_ctrl *k, struct ks_subsys *ks)
{
	k->c.subsys = &ks->s;
	list_add_tail(&k->c.subsys_entry, &ks->s.ctrls);
}

static void ks_ctrl_identify(struct ks_ctrl *k, const struct ks_id_ctrl *id)
{
	struct nvme_ctrl *c = &k->c;

	c->max_hw_sectors = id->max_hw_sectors;
	c->max_namespaces = id->mnan;
	c->vwc = id->vwc;
	c->crdt[0] = id->crdt[0];
	c->crdt[1] = id->crdt[1];
	c->crdt[2] = id->crdt[2];
	if (c->subsys)
		c->subsys->cmic = id->cmic;
	memset(&k->id, 0, sizeof(k->id));
	k->id.nn = cpu_to_le32(id->nn);
	k->id.mnan = cpu_to_le32(id->mnan);
	k->id.cmic = id->cmic;
	k->id.anacap = id->anacap;
	k->id.anatt = id->anatt;
	k->id.nanagrpid = cpu_to_le32(id->nanagrpid);
	k->id.anagrpmax = cpu_to_le32(id->anagrpmax);
}

static int ks_ctrl_mpath_init_identify(struct ks_ctrl *k)
{
	ks_tick();
	return nvme_mpath_init_identify(&k->c, &k->id);
}

static int ks_ctrl_change_state(struct ks_ctrl *k, int new_state)
{
	ks_tick();
	return nvme_change_ctrl_state(&k->c, new_state);
}

static int ks_ctrl_state(struct ks_ctrl *k)
{
	return READ_ONCE(k->c.state);
}

static void ks_ctrl_mpath_update(struct ks_ctrl *k)
{
	ks_tick();
	nvme_mpath_update(&k->c);
}

/* nvme_handle_aen_notice (ANA change) and the end of nvme_scan_work: re-read the log from
 * ana_work, if the controller uses ANA. */
static void ks_ctrl_queue_ana_work(struct ks_ctrl *k)
{
	ks_tick();
	if (k->c.ana_log_buf)
		queue_work(nvme_wq, &k->c.ana_work);
}

static void ks_ctrl_mpath_stop(struct ks_ctrl *k)
{
	ks_tick();
	nvme_mpath_stop(&k->c);
}

static void ks_ctrl_clear_paths(struct ks_ctrl *k)
{
	ks_tick();
	nvme_mpath_clear_ctrl_paths(&k->c);
}

static void ks_ctrl_kick_requeue_lists(struct ks_ctrl *k)
{
	ks_tick();
	nvme_kick_requeue_lists(&k->c);
}

static void ks_ctrl_set_failfast_expired(struct ks_ctrl *k, int expired)
{
	if (expired)
		set_bit(NVME_CTRL_FAILFAST_EXPIRED, &k->c.flags);
	else
		clear_bit(NVME_CTRL_FAILFAST_EXPIRED, &k->c.flags);
}

/* nvme_mark_namespaces_dead: the path queues are dying (blk_mark_disk_dead). */
static void ks_ctrl_mark_dead(struct ks_ctrl *k)
{
	struct nvme_ns *ns;

	list_for_each_entry(ns, &k->c.namespaces, list)
		set_bit(QUEUE_FLAG_DYING, &ns->queue->queue_flags);
}

static void ks_ctrl_free(struct ks_ctrl *k)
{
	ks_tick();
	nvme_mpath_stop(&k->c);
	nvme_mpath_uninit(&k->c);
	list_del(&k->c.subsys_entry);
	kfree(k);
}

static int ks_ctrl_nr_active(struct ks_ctrl *k)
{
#if KS_NEW_API
	return atomic_read(&k->c.nr_active);
#else
	return 0;
#endif
}

/* nvme_alloc_ns_head: a new logical namespace; nvme_mpath_alloc_disk decides whether it gets a
 * multipath disk. */
static struct ks_head *ks_head_create(struct ks_ctrl *k, void *chead, unsigned int nsid, int instance,
				      unsigned long long capacity, unsigned int lba_shift,
				      unsigned int max_sectors, int shared)
{
	struct ks_head *kh = ks_zalloc(sizeof(*kh));
	struct nvme_ns_head *h = ks_zalloc(struct_size(h, current_path, nr_node_ids));

	kh->chead = chead;
	kh->h = h;
	kh->lba_shift = lba_shift;
#if KS_NEW_API
	h->lba_shift = lba_shift; /* the LBA size lives in the head from 6.9 */
#endif
	INIT_LIST_HEAD(&h->list);
	init_srcu_struct(&h->srcu);
	h->subsys = k->c.subsys;
	h->ns_id = nsid;
	h->instance = instance;
	h->shared = shared;
	kref_init(&h->ref);
	dev_set_drvdata(&h->cdev_device, kh);
	list_add_tail(&h->entry, &k->c.subsys->nsheads);
	ks_tick();
	nvme_mpath_alloc_disk(&k->c, h);
	ks_requeue_fn = h->requeue_work.func;
	if (h->disk) {
		struct ks_disk *d = to_ks_disk(h->disk);

		d->cobj = chead;
		d->q.limits.max_sectors = max_sectors;
		d->q.limits.max_hw_sectors = max_sectors;
		set_capacity(h->disk, capacity);
	}
	return kh;
}

static void ks_requeue_notify(struct nvme_ns_head *h)
{
	struct ks_head *kh = dev_get_drvdata(&h->cdev_device);

	cb->requeue_work(cb->ctx, kh->chead);
}


static int ks_head_disk_live(struct ks_head *kh)
{
	return test_bit(NVME_NSHEAD_DISK_LIVE, &kh->h->flags);
}

static void ks_head_for_each_requeued(struct ks_head *kh, void (*fn)(void *cbio, void *arg), void *arg)
{
	struct bio *bio;

	for (bio = kh->h->requeue_list.head; bio; bio = bio->bi_next)
		fn(bio->bi_private, arg);
}

/* The last path went (nvme_ns_remove): the disk goes and the head is released, which runs
 * nvme_mpath_remove_disk (nvme_free_ns_head). */
static void ks_head_shutdown(struct ks_head *kh)
{
	struct nvme_ns_head *h = kh->h;

	ks_tick();
	nvme_mpath_shutdown_disk(h);
	list_del_init(&h->entry);
	nvme_mpath_remove_disk(h); /* puts the disk */
	kfree(h);
	kh->h = NULL;
}

static void ks_head_free(struct ks_head *kh)
{
	if (kh->h) {
		if (kh->h->disk)
			put_disk(kh->h->disk);
		list_del_init(&kh->h->entry);
		kfree(kh->h);
	}
	kfree(kh);
}

/* nvme_alloc_ns: the path's disk and queue, on the controller's list (sorted by NSID, as
 * nvme_ns_add_to_ctrl_list keeps it) and on its head's. */
static struct ks_ns *ks_ns_create(struct ks_ctrl *k, struct ks_head *kh, void *cns, const char *disk_name)
{
	struct ks_ns *kns = ks_zalloc(sizeof(*kns));
	struct nvme_ns *ns = &kns->ns;
	struct nvme_ns *tmp;

	kns->cns = cns;
	ks_disk_init(&kns->d, cns, ns);
	ns->disk = &kns->d.disk;
	ks_strlcpy(ns->disk->disk_name, disk_name, sizeof(ns->disk->disk_name));
	ns->queue = &kns->d.q;
	ns->queue->queuedata = ns;
	ns->ctrl = &k->c;
	ns->head = kh->h;
#if !KS_NEW_API
	ns->lba_shift = kh->lba_shift;
#endif
	kref_init(&ns->kref);
	set_capacity(ns->disk, get_capacity(kh->h->disk ? kh->h->disk : ns->disk));
	list_for_each_entry_reverse(tmp, &k->c.namespaces, list) {
		if (tmp->head->ns_id < kh->h->ns_id) {
			list_add(&ns->list, &tmp->list);
			goto added;
		}
	}
	list_add(&ns->list, &k->c.namespaces);
added:
	list_add_tail_rcu(&ns->siblings, &kh->h->list);
	kref_get(&kh->h->ref);
	set_bit(NVME_NS_READY, &ns->flags);
	return kns;
}

static void ks_ns_mpath_add_disk(struct ks_ns *kns, unsigned int anagrpid)
{
	ks_tick();
	nvme_mpath_add_disk(&kns->ns, cpu_to_le32(anagrpid));
}

/* nvme_ns_remove, multipath half: not ready, off the current paths, off the head's list (the last
 * path tells the caller to shut the head disk down), off the controller's list. */
static int ks_ns_remove(struct ks_ns *kns)
{
	struct nvme_ns *ns = &kns->ns;
	struct nvme_ns_head *h = ns->head;
	int last;

	ks_tick();
	clear_bit(NVME_NS_READY, &ns->flags);
	synchronize_srcu(&h->srcu);
	if (nvme_mpath_clear_current_path(ns))
		synchronize_srcu(&h->srcu);
	list_del_rcu(&ns->siblings);
	last = list_empty(&h->list);
	synchronize_srcu(&h->srcu);
	list_del_rcu(&ns->list);
	return last;
}


static int ks_ns_ana_state(struct ks_ns *kns)
{
	return kns->ns.ana_state;
}

static int ks_ns_ana_pending(struct ks_ns *kns)
{
	return test_bit(NVME_NS_ANA_PENDING, &kns->ns.flags);
}

static int ks_ns_ready(struct ks_ns *kns)
{
	return test_bit(NVME_NS_READY, &kns->ns.flags);
}

static void *ks_bio_alloc(void *cbio)
{
	struct bio *bio = ks_zalloc(sizeof(*bio));

	bio->bi_private = cbio;
	return bio;
}

static void ks_bio_prepare(void *kbio, int op, unsigned long long sector, unsigned int bytes, unsigned int flags)
{
	struct bio *bio = kbio;
	blk_opf_t opf;

	switch (op) {
	case KS_OP_WRITE:
		opf = REQ_OP_WRITE;
		break;
	case KS_OP_FLUSH:
		opf = REQ_OP_FLUSH;
		break;
	case KS_OP_DISCARD:
		opf = REQ_OP_DISCARD;
		break;
	default:
		opf = REQ_OP_READ;
		break;
	}
	if (flags & KS_BIO_FUA)
		opf |= REQ_FUA;
	bio->bi_opf = opf;
	bio->bi_next = NULL;
	bio->bi_status = 0;
	bio->bi_iter.bi_sector = sector;
	bio->bi_iter.bi_size = bytes;
}

static void ks_bio_free(void *kbio)
{
	kfree(kbio);
}

static int ks_head_submit_bio(struct ks_head *kh, void *kbio)
{
	struct bio *bio = kbio;

	ks_tick();
	bio->bi_bdev = kh->h->disk->part0;
	submit_bio_noacct(bio);
	return 0;
}

static void *ks_rq_alloc(void *crq, struct ks_ctrl *k)
{
	struct ks_rq *r = ks_zalloc(sizeof(*r));

	r->crq = crq;
	r->ctrl = k;
	return &r->rq;
}

static void ks_rq_free(void *krq)
{
	kfree(to_ks_rq(krq));
}

/* A fresh request from blk_mq_submit_bio: the bios in order, flags from the first bio. */
static void ks_rq_prepare(void *krq, struct ks_ns *kns, void *const *kbios, int n, int op,
			  unsigned long long sector, unsigned int bytes, int mpath)
{
	struct request *rq = krq;
	struct ks_rq *r = to_ks_rq(rq);
	int i;

	r->requeued = r->stolen = r->ended = 0;
	rq->q = kns->ns.queue;
	rq->bio = rq->biotail = NULL;
	for (i = 0; i < n; i++) {
		struct bio *bio = kbios[i];

		bio->bi_next = NULL;
		bio->bi_bdev = kns->ns.disk->part0;
		if (mpath)
			bio->bi_opf |= REQ_NVME_MPATH;
		if (rq->biotail)
			rq->biotail->bi_next = bio;
		else
			rq->bio = bio;
		rq->biotail = bio;
	}
	rq->cmd_flags = rq->bio ? rq->bio->bi_opf : (blk_opf_t)REQ_OP_FLUSH;
	rq->rq_flags = RQF_DONTPREP;
	rq->__sector = sector;
	rq->__data_len = bytes;
	memset(&r->cmd, 0, sizeof(r->cmd));
	r->cmd.common.opcode = op == KS_OP_WRITE ? nvme_cmd_write :
			       op == KS_OP_FLUSH ? nvme_cmd_flush :
			       op == KS_OP_DISCARD ? nvme_cmd_dsm : nvme_cmd_read;
	r->cmd.common.nsid = cpu_to_le32(kns->ns.head->ns_id);
	memset(&r->pdu, 0, sizeof(r->pdu));
	r->pdu.cmd = &r->cmd;
	r->pdu.ctrl = &r->ctrl->c;
}

static int ks_rq_queue_check(void *krq, int queue_live)
{
	struct request *rq = krq;
	struct ks_rq *r = to_ks_rq(rq);

	ks_tick();
	if (nvme_check_ready(&r->ctrl->c, rq, queue_live))
		return 0;
	if (nvme_fail_nonready_command(&r->ctrl->c, rq) == BLK_STS_RESOURCE)
		return 1;
	return 2;
}

static void ks_rq_start(void *krq)
{
	struct request *rq = krq;

	ks_tick();
#if KS_NEW_API
	if (rq->cmd_flags & REQ_NVME_MPATH)
		nvme_mpath_start_request(rq);
#endif
	rq->deadline = jiffies;
}

static int ks_rq_complete(void *krq, unsigned short status)
{
	struct request *rq = krq;
	struct ks_rq *r = to_ks_rq(rq);

	ks_tick();
	r->requeued = r->stolen = r->ended = 0;
	nvme_req(rq)->status = status;
	nvme_complete_rq(rq);
	if (r->stolen)
		return KS_DISP_FAILOVER;
	if (r->requeued)
		return KS_DISP_RETRY;
	return KS_DISP_COMPLETE;
}


static const struct ks_ops ks_ops_table = {
	.version = UTS_RELEASE,
	.has_queue_depth = KS_NEW_API,
	.init = ks_init,
	.subsys_create = ks_subsys_create,
	.subsys_store_iopolicy = ks_subsys_store_iopolicy,
	.ctrl_create = ks_ctrl_create,
	.ctrl_join = ks_ctrl_join,
	.ctrl_identify = ks_ctrl_identify,
	.ctrl_mpath_init_identify = ks_ctrl_mpath_init_identify,
	.ctrl_change_state = ks_ctrl_change_state,
	.ctrl_state = ks_ctrl_state,
	.ctrl_mpath_update = ks_ctrl_mpath_update,
	.ctrl_queue_ana_work = ks_ctrl_queue_ana_work,
	.ctrl_mpath_stop = ks_ctrl_mpath_stop,
	.ctrl_clear_paths = ks_ctrl_clear_paths,
	.ctrl_kick_requeue_lists = ks_ctrl_kick_requeue_lists,
	.ctrl_set_failfast_expired = ks_ctrl_set_failfast_expired,
	.ctrl_mark_dead = ks_ctrl_mark_dead,
	.ctrl_free = ks_ctrl_free,
	.ctrl_nr_active = ks_ctrl_nr_active,
	.head_create = ks_head_create,
	.head_disk_live = ks_head_disk_live,
	.head_for_each_requeued = ks_head_for_each_requeued,
	.head_shutdown = ks_head_shutdown,
	.head_free = ks_head_free,
	.ns_create = ks_ns_create,
	.ns_mpath_add_disk = ks_ns_mpath_add_disk,
	.ns_remove = ks_ns_remove,
	.ns_ana_state = ks_ns_ana_state,
	.ns_ana_pending = ks_ns_ana_pending,
	.ns_ready = ks_ns_ready,
	.bio_alloc = ks_bio_alloc,
	.bio_prepare = ks_bio_prepare,
	.bio_free = ks_bio_free,
	.head_submit_bio = ks_head_submit_bio,
	.rq_alloc = ks_rq_alloc,
	.rq_free = ks_rq_free,
	.rq_prepare = ks_rq_prepare,
	.rq_queue_check = ks_rq_queue_check,
	.rq_start = ks_rq_start,
	.rq_complete = ks_rq_complete,
};

const struct ks_ops *KS_CAT(ks_ops_, KS_VERSION_TAG)(void);
const struct ks_ops *KS_CAT(ks_ops_, KS_VERSION_TAG)(void)
{
	return &ks_ops_table;
}
