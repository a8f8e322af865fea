// SPDX-License-Identifier: GPL-2.0
/*
 * leaksim.c - deliberate, counted kernel memory leaks.
 *
 * leaksim exists to give leak detectors (kmemleak, and the kit's own kmp)
 * something real to find.  It allocates blocks on demand, each of one kind:
 *
 *   kmalloc  LEAKSIM_BLOCK (64) bytes from kmalloc(), for kmemleak;
 *   vmalloc  vmalloc_size bytes from vmalloc(), for kmp;
 *
 * and each either
 *
 *   dropped  its address is forgotten: a real leak, which stays after unload;
 *   held     its address is kept in leaksim_held[], a module-owned array
 *            whose range /sys/class/qeexo/leaksim/held_range shows, so that
 *            a scan of that range (kmp) finds a pointer to the block.
 *
 * At load the module parameters kmalloc_dropped (default 1: the original
 * telemetry module's one small leak), kmalloc_held, vmalloc_dropped and
 * vmalloc_held say how many of each; at runtime the root-only control file
 * takes "<kind>_<dropped|held> N" and "free" (release every held block).
 * Unload releases the held blocks too.  A command either does all it says or
 * fails with nothing changed: dropped blocks are forgotten only once all N
 * were allocated.
 *
 * The blocks are allocated by leaksim_alloc(), which is never inlined: the
 * allocation site a detector reports is then in leaksim's .text, also for the
 * blocks leaked at load (module_init code is freed after load).
 *
 * Verdict fixtures for kmp: "vmalloc_selfref N" leaks blocks whose first
 * member is an empty list_head (the block's only pointer to it is its own),
 * "vmalloc_interior N" holds blocks through a pointer 64 bytes into each (no
 * pointer to the start anywhere), and "scratch N" allocates N bytes with
 * kmalloc(), frees them at once and shows where they were (scratch_range):
 * the next allocation of that size on this CPU usually gets the same memory,
 * and a scan of the range then reads what that allocation left behind.
 *
 * Scale fixtures: "vmalloc_bulk N" holds up to 1,048,576 more blocks in an
 * array of its own (not in held_range), and "pair_lat N" times vmalloc() +
 * vfree() pairs back to back for N ms (vmalloc_pair_lat shows the result).
 *
 * Benchmark knobs (tests/bench/guest-kmp.sh): "region N" allocates an N MiB
 * region with vzalloc() (not tracked by kmp, which traces vmalloc() only),
 * "region_fill N" makes every Nth word of it point at (or 8 bytes past) a held
 * block, region_range shows where it is, a read of region_read_ns reads it
 * the way kmp's scan does but without looking at the words, and a read of
 * vmalloc_pair_ns times vmalloc()+vfree() pairs.
 *
 * It is also the first feature module of tkcore: it registers the device
 * /sys/class/qeexo/leaksim/ with its files, and adds leaksim_kmalloc_dropped
 * and leaksim_vmalloc_dropped to every snapshot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <tkcore/tkcore.h>
#include <tkcore/version.h>

#define LEAKSIM_BLOCK		64
#define LEAKSIM_MAX_BLOCKS	4096
#define LEAKSIM_MAX_HELD	4096
#define LEAKSIM_MAX_VSIZE	(16 << 20)
#define LEAKSIM_CTL_MAX		64
#define LEAKSIM_MAX_REGION_MB	1024
#define LEAKSIM_PAIRS		1000
#define LEAKSIM_MAX_BULK	(1024U * 1024)
/* Where a vmalloc_interior block's held pointer points, into the block. */
#define LEAKSIM_INTERIOR_OFF	64
#define LEAKSIM_MAX_SCRATCH	65536
#define LEAKSIM_MAX_LAT_MS	60000
#define LEAKSIM_MAX_LAT_SAMPLES	(256U * 1024)

enum leaksim_kind {
	LEAKSIM_KMALLOC,
	LEAKSIM_VMALLOC,
	LEAKSIM_NR_KINDS,
};

/* In leaksim_held_kind[]: the slot points LEAKSIM_INTERIOR_OFF into it. */
#define LEAKSIM_HELD_INTERIOR	0x80

static unsigned int kmalloc_dropped = 1;
static unsigned int kmalloc_held;
static unsigned int vmalloc_dropped;
static unsigned int vmalloc_held;
static unsigned int vmalloc_size = PAGE_SIZE;

/* Blocks leaked on purpose by this instance, per kind. */
static atomic_long_t leaksim_dropped[LEAKSIM_NR_KINDS];

/*
 * The held blocks: leaksim_held[0..leaksim_nr_held) point to them, and
 * leaksim_held_kind[] says how each was allocated.  leaksim_lock serialises
 * every change; readers of the counts need no lock.
 */
static DEFINE_MUTEX(leaksim_lock);
static void *leaksim_held[LEAKSIM_MAX_HELD];
static u8 leaksim_held_kind[LEAKSIM_MAX_HELD];
static unsigned int leaksim_nr_held;
static unsigned int leaksim_nr_held_kind[LEAKSIM_NR_KINDS];

/* The benchmark region (vzalloc()), under leaksim_lock. */
static unsigned long *leaksim_region;
static size_t leaksim_region_size;

/* The bulk blocks (vmalloc_bulk), under leaksim_lock. */
static void **leaksim_bulk;
static unsigned int leaksim_nr_bulk;

/* The last scratch allocation: freed memory, shown by scratch_range. */
static unsigned long leaksim_scratch;
static size_t leaksim_scratch_size;

/* The last pair_lat run, under leaksim_lock. */
static struct {
	unsigned int pairs;
	u64 p50, p99, max;
} leaksim_lat;

/* ---- parameters ---- */

TK_MODULE_PARAM_RANGE(kmalloc_dropped, kmalloc_dropped, 0, LEAKSIM_MAX_BLOCKS, 0444);
MODULE_PARM_DESC(kmalloc_dropped,
		 "kmalloc blocks to leak at load (0..4096, default 1)");
TK_MODULE_PARAM_RANGE(kmalloc_held, kmalloc_held, 0, LEAKSIM_MAX_BLOCKS, 0444);
MODULE_PARM_DESC(kmalloc_held,
		 "kmalloc blocks to allocate and hold at load (0..4096, default 0)");
TK_MODULE_PARAM_RANGE(vmalloc_dropped, vmalloc_dropped, 0, LEAKSIM_MAX_BLOCKS, 0444);
MODULE_PARM_DESC(vmalloc_dropped,
		 "vmalloc blocks to leak at load (0..4096, default 0)");
TK_MODULE_PARAM_RANGE(vmalloc_held, vmalloc_held, 0, LEAKSIM_MAX_BLOCKS, 0444);
MODULE_PARM_DESC(vmalloc_held,
		 "vmalloc blocks to allocate and hold at load (0..4096, default 0)");
TK_MODULE_PARAM_RANGE(vmalloc_size, vmalloc_size, 1, LEAKSIM_MAX_VSIZE, 0444);
MODULE_PARM_DESC(vmalloc_size,
		 "bytes per vmalloc block (1..16777216, default PAGE_SIZE)");

/* ---- allocating and releasing ---- */

/* Never inlined: the allocation site is this function, in .text. */
static noinline void *leaksim_alloc(enum leaksim_kind kind)
{
	size_t size;
	char *p;

	if (kind == LEAKSIM_VMALLOC) {
		size = vmalloc_size;
		p = vmalloc(size);
	} else {
		size = LEAKSIM_BLOCK;
		p = kmalloc(size, GFP_KERNEL);
	}
	/*
	 * Something recognisable in a hex dump, and nothing else: a dropped
	 * block must hold no stale pointer, or kmemleak would take it for a
	 * reference and miss other leaks (leaksim's own included).
	 */
	if (p) {
		memset(p, 0, size);
		strscpy(p, "leaksim block", size);
	}
	return p;
}

static void leaksim_release(unsigned int kind, void *p)
{
	if (kind & LEAKSIM_HELD_INTERIOR)
		p -= LEAKSIM_INTERIOR_OFF;
	kind &= ~LEAKSIM_HELD_INTERIOR;
	if (kind == LEAKSIM_VMALLOC)
		vfree(p);
	else
		kfree(p);
}

/*
 * Leak @n blocks of @kind: all of them, or none (-ENOMEM).  With @selfref,
 * each (vmalloc) block starts with an empty list_head: its only pointers to
 * itself are its own.
 */
static int leaksim_drop(enum leaksim_kind kind, unsigned int n, bool selfref)
{
	void **tmp;
	unsigned int i;
	int ret = 0;

	if (!n)
		return 0;
	tmp = kvcalloc(n, sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		tmp[i] = leaksim_alloc(kind);
		if (!tmp[i]) {
			ret = -ENOMEM;
			while (i--)
				leaksim_release(kind, tmp[i]);
			break;
		}
		if (selfref)
			INIT_LIST_HEAD(tmp[i]);
	}
	if (!ret)
		atomic_long_add(n, &leaksim_dropped[kind]);
	/* Forget the addresses for good: no copy left in freed memory. */
	memzero_explicit(tmp, n * sizeof(*tmp));
	kvfree(tmp);
	return ret;
}

/*
 * Allocate and hold @n blocks of @kind: all of them, or none.  With
 * @interior, the held pointer points LEAKSIM_INTERIOR_OFF into the block.
 */
static int leaksim_hold(enum leaksim_kind kind, unsigned int n, bool interior)
{
	unsigned int i, first = leaksim_nr_held;
	void *p;

	lockdep_assert_held(&leaksim_lock);
	if (n > LEAKSIM_MAX_HELD - leaksim_nr_held)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		p = leaksim_alloc(kind);
		if (!p) {
			while (i--) {
				p = leaksim_held[first + i];
				WRITE_ONCE(leaksim_held[first + i], NULL);
				leaksim_release(kind, p);
			}
			return -ENOMEM;
		}
		leaksim_held_kind[first + i] = kind;
		if (interior) {
			leaksim_held_kind[first + i] |= LEAKSIM_HELD_INTERIOR;
			p += LEAKSIM_INTERIOR_OFF;
		}
		WRITE_ONCE(leaksim_held[first + i], p);
	}
	leaksim_nr_held += n;
	WRITE_ONCE(leaksim_nr_held_kind[kind], leaksim_nr_held_kind[kind] + n);
	return 0;
}

static void leaksim_free_bulk(void)
{
	unsigned int i;

	lockdep_assert_held(&leaksim_lock);
	for (i = 0; i < leaksim_nr_bulk; i++) {
		vfree(leaksim_bulk[i]);
		if (!(i % 1024))
			cond_resched();
	}
	kvfree(leaksim_bulk);
	leaksim_bulk = NULL;
	leaksim_nr_bulk = 0;
}

/* Allocate and hold @n vmalloc blocks in the bulk array: all, or none. */
static int leaksim_hold_bulk(unsigned int n)
{
	unsigned int i;

	lockdep_assert_held(&leaksim_lock);
	if (leaksim_bulk)
		return -EBUSY;
	if (!n)
		return 0;
	leaksim_bulk = kvcalloc(n, sizeof(*leaksim_bulk), GFP_KERNEL);
	if (!leaksim_bulk)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		leaksim_bulk[i] = leaksim_alloc(LEAKSIM_VMALLOC);
		leaksim_nr_bulk = i + 1;
		if (!leaksim_bulk[i] || fatal_signal_pending(current)) {
			leaksim_free_bulk();
			return fatal_signal_pending(current) ? -EINTR : -ENOMEM;
		}
		if (!(i % 1024))
			cond_resched();
	}
	WRITE_ONCE(leaksim_nr_held_kind[LEAKSIM_VMALLOC],
		   leaksim_nr_held_kind[LEAKSIM_VMALLOC] + n);
	return 0;
}

static void leaksim_free_held(void)
{
	unsigned int i;
	void *p;

	lockdep_assert_held(&leaksim_lock);
	leaksim_free_bulk();
	for (i = 0; i < leaksim_nr_held; i++) {
		p = leaksim_held[i];
		WRITE_ONCE(leaksim_held[i], NULL);
		leaksim_release(leaksim_held_kind[i], p);
	}
	leaksim_nr_held = 0;
	for (i = 0; i < LEAKSIM_NR_KINDS; i++)
		WRITE_ONCE(leaksim_nr_held_kind[i], 0);
}

/* ---- the benchmark region ---- */

static int leaksim_set_region(unsigned int mib)
{
	unsigned long *p = NULL;

	lockdep_assert_held(&leaksim_lock);
	if (mib) {
		p = vzalloc((size_t)mib << 20);
		if (!p)
			return -ENOMEM;
	}
	vfree(leaksim_region);
	leaksim_region = p;
	leaksim_region_size = (size_t)mib << 20;
	return 0;
}

/* Every @every-th word: a held block's address, +8 every other round. */
static int leaksim_fill_region(unsigned int every)
{
	size_t i, j, n = leaksim_region_size / sizeof(unsigned long);
	unsigned long v;

	lockdep_assert_held(&leaksim_lock);
	if (!leaksim_region)
		return -ENXIO;
	memset(leaksim_region, 0, leaksim_region_size);
	if (!every || !leaksim_nr_held)
		return 0;
	for (i = 0, j = 0; i < n; i += every, j++) {
		v = (unsigned long)leaksim_held[j % leaksim_nr_held];
		if ((j / leaksim_nr_held) & 1)
			v += sizeof(unsigned long);
		leaksim_region[i] = v;
		if (!(j % 4096))
			cond_resched();
	}
	return 0;
}

/* ---- verdict and scale fixtures ---- */

/* kmalloc(@n) and kfree() at once; scratch_range shows where it was. */
static int leaksim_set_scratch(unsigned int n)
{
	void *p;

	lockdep_assert_held(&leaksim_lock);
	if (!n)
		return -EINVAL;
	p = kmalloc(n, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	kfree(p);
	leaksim_scratch = (unsigned long)p;
	leaksim_scratch_size = n;
	return 0;
}

/*
 * How many of the pairs recorded with an expected interval @e exceed @x:
 * a pair that took v stands for v, v - e, v - 2e, ... down to e (the pairs
 * that would have run while it was stalled, as HdrHistogram's
 * recordValueWithExpectedInterval() counts them).
 */
static u64 leaksim_lat_above(const u32 *v, unsigned int n, u64 e, u64 x)
{
	u64 c = 0, k, m;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (v[i] <= x)
			continue;
		k = v[i] > e ? div64_u64(v[i] - e, e) : 0;
		m = div64_u64(v[i] - x - 1, e);
		c += min(k, m) + 1;
	}
	return c;
}

static int leaksim_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* Time vmalloc() + vfree() pairs back to back for @ms ms. */
static int leaksim_pair_lat(unsigned int ms)
{
	u64 t0, t, end, total, lo, hi, mid, e;
	unsigned int n = 0;
	u32 *v;
	void *p;

	lockdep_assert_held(&leaksim_lock);
	if (!ms)
		return -EINVAL;
	v = kvmalloc_array(LEAKSIM_MAX_LAT_SAMPLES, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	end = ktime_get_ns() + (u64)ms * NSEC_PER_MSEC;
	while (n < LEAKSIM_MAX_LAT_SAMPLES) {
		t0 = ktime_get_ns();
		if (t0 >= end)
			break;
		p = leaksim_alloc(LEAKSIM_VMALLOC);
		if (!p) {
			kvfree(v);
			return -ENOMEM;
		}
		vfree(p);
		t = ktime_get_ns() - t0;
		v[n++] = min_t(u64, t, U32_MAX);
		if (fatal_signal_pending(current)) {
			kvfree(v);
			return -EINTR;
		}
		cond_resched();
	}
	sort(v, n, sizeof(*v), leaksim_cmp_u32, NULL);
	e = max_t(u64, v[n / 2], 1);
	total = leaksim_lat_above(v, n, e, 0);
	/* The smallest x with at most 1% of the pairs above it. */
	lo = 0;
	hi = v[n - 1];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (leaksim_lat_above(v, n, e, mid) * 100 <= total)
			hi = mid;
		else
			lo = mid + 1;
	}
	leaksim_lat.pairs = n;
	leaksim_lat.p50 = v[n / 2];
	leaksim_lat.p99 = lo;
	leaksim_lat.max = v[n - 1];
	kvfree(v);
	return 0;
}

/* ---- files ---- */

static ssize_t kmalloc_dropped_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&leaksim_dropped[LEAKSIM_KMALLOC]));
}
static DEVICE_ATTR_RO(kmalloc_dropped);

static ssize_t vmalloc_dropped_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&leaksim_dropped[LEAKSIM_VMALLOC]));
}
static DEVICE_ATTR_RO(vmalloc_dropped);

static ssize_t kmalloc_held_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(leaksim_nr_held_kind[LEAKSIM_KMALLOC]));
}
static DEVICE_ATTR_RO(kmalloc_held);

static ssize_t vmalloc_held_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(leaksim_nr_held_kind[LEAKSIM_VMALLOC]));
}
static DEVICE_ATTR_RO(vmalloc_held);

static ssize_t held_range_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#lx %#lx\n", (unsigned long)leaksim_held,
			  (unsigned long)(leaksim_held + LEAKSIM_MAX_HELD));
}
static DEVICE_ATTR_ADMIN_RO(held_range);

static ssize_t region_range_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	unsigned long s, e;

	mutex_lock(&leaksim_lock);
	s = (unsigned long)leaksim_region;
	e = s + leaksim_region_size;
	mutex_unlock(&leaksim_lock);
	if (!s)
		return -ENODATA;
	return sysfs_emit(buf, "%#lx %#lx\n", s, e);
}
static DEVICE_ATTR_ADMIN_RO(region_range);

static ssize_t scratch_range_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	unsigned long s, e;

	mutex_lock(&leaksim_lock);
	s = leaksim_scratch;
	e = s + leaksim_scratch_size;
	mutex_unlock(&leaksim_lock);
	if (!s)
		return -ENODATA;
	return sysfs_emit(buf, "%#lx %#lx\n", s, e);
}
static DEVICE_ATTR_ADMIN_RO(scratch_range);

static ssize_t vmalloc_pair_lat_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	ssize_t ret;

	mutex_lock(&leaksim_lock);
	if (!leaksim_lat.pairs)
		ret = -ENODATA;
	else
		ret = sysfs_emit(buf, "pairs=%u p50_ns=%llu p99_ns=%llu max_ns=%llu\n",
				 leaksim_lat.pairs, leaksim_lat.p50,
				 leaksim_lat.p99, leaksim_lat.max);
	mutex_unlock(&leaksim_lock);
	return ret;
}
static DEVICE_ATTR_ADMIN_RO(vmalloc_pair_lat);

/* A plain read of the region, one page at a time as kmp's scan reads. */
static ssize_t region_read_ns_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	size_t off;
	void *page;
	u64 t0, t;
	int ret = 0;

	page = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	mutex_lock(&leaksim_lock);
	if (!leaksim_region)
		ret = -ENODATA;
	t0 = ktime_get_ns();
	for (off = 0; !ret && off < leaksim_region_size; off += PAGE_SIZE) {
		if (copy_from_kernel_nofault(page, (void *)leaksim_region + off,
					     PAGE_SIZE))
			ret = -EFAULT;
		cond_resched();
	}
	t = ktime_get_ns() - t0;
	mutex_unlock(&leaksim_lock);
	kfree(page);
	return ret ? ret : sysfs_emit(buf, "%llu\n", t);
}
static DEVICE_ATTR_ADMIN_RO(region_read_ns);

/* Mean time of one vmalloc(vmalloc_size) + vfree() pair. */
static ssize_t vmalloc_pair_ns_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	unsigned int i;
	u64 t0, t;
	void *p;

	t0 = ktime_get_ns();
	for (i = 0; i < LEAKSIM_PAIRS; i++) {
		p = leaksim_alloc(LEAKSIM_VMALLOC);
		if (!p)
			return -ENOMEM;
		vfree(p);
	}
	t = ktime_get_ns() - t0;
	return sysfs_emit(buf, "%llu\n", div_u64(t, LEAKSIM_PAIRS));
}
static DEVICE_ATTR_ADMIN_RO(vmalloc_pair_ns);

enum leaksim_cmd {
	LEAKSIM_CMD_FREE,
	LEAKSIM_CMD_KMALLOC_DROPPED,
	LEAKSIM_CMD_KMALLOC_HELD,
	LEAKSIM_CMD_VMALLOC_DROPPED,
	LEAKSIM_CMD_VMALLOC_HELD,
	LEAKSIM_CMD_REGION,
	LEAKSIM_CMD_REGION_FILL,
	LEAKSIM_CMD_VMALLOC_SELFREF,
	LEAKSIM_CMD_VMALLOC_INTERIOR,
	LEAKSIM_CMD_VMALLOC_BULK,
	LEAKSIM_CMD_SCRATCH,
	LEAKSIM_CMD_PAIR_LAT,
	LEAKSIM_NR_CMDS,
};

/* The control commands: name, and the largest N (0: takes no N). */
static const struct {
	const char *name;
	u32 max;
} leaksim_cmds[LEAKSIM_NR_CMDS] = {
	[LEAKSIM_CMD_FREE] = { "free", 0 },
	[LEAKSIM_CMD_KMALLOC_DROPPED] = { "kmalloc_dropped", LEAKSIM_MAX_BLOCKS },
	[LEAKSIM_CMD_KMALLOC_HELD] = { "kmalloc_held", LEAKSIM_MAX_BLOCKS },
	[LEAKSIM_CMD_VMALLOC_DROPPED] = { "vmalloc_dropped", LEAKSIM_MAX_BLOCKS },
	[LEAKSIM_CMD_VMALLOC_HELD] = { "vmalloc_held", LEAKSIM_MAX_BLOCKS },
	[LEAKSIM_CMD_REGION] = { "region", LEAKSIM_MAX_REGION_MB },
	[LEAKSIM_CMD_REGION_FILL] = { "region_fill", U32_MAX },
	[LEAKSIM_CMD_VMALLOC_SELFREF] = { "vmalloc_selfref", LEAKSIM_MAX_BLOCKS },
	[LEAKSIM_CMD_VMALLOC_INTERIOR] = { "vmalloc_interior", LEAKSIM_MAX_BLOCKS },
	[LEAKSIM_CMD_VMALLOC_BULK] = { "vmalloc_bulk", LEAKSIM_MAX_BULK },
	[LEAKSIM_CMD_SCRATCH] = { "scratch", LEAKSIM_MAX_SCRATCH },
	[LEAKSIM_CMD_PAIR_LAT] = { "pair_lat", LEAKSIM_MAX_LAT_MS },
};

/*
 * Parse "<command>" or "<command> N", with an optional trailing newline.
 * Returns the command, or -EINVAL / -ERANGE.
 */
static int leaksim_parse(const char *buf, size_t count, u32 *n)
{
	size_t len = count, name_len;
	const char *sp;
	int c;

	if (len && buf[len - 1] == '\n')
		len--;
	sp = memchr(buf, ' ', len);
	name_len = sp ? sp - buf : len;
	for (c = 0; c < LEAKSIM_NR_CMDS; c++) {
		if (strlen(leaksim_cmds[c].name) != name_len ||
		    memcmp(buf, leaksim_cmds[c].name, name_len))
			continue;
		if (!leaksim_cmds[c].max)
			return sp ? -EINVAL : c;
		if (!sp)
			return -EINVAL;
		/* The number, with the trailing newline if there was one. */
		*n = 0;
		return tk_parse_u32_range(sp + 1, count - name_len - 1, 0,
					  leaksim_cmds[c].max, n) ?: c;
	}
	return -EINVAL;
}

static ssize_t control_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	int cmd, ret = 0;
	u32 n = 0;

	if (count > LEAKSIM_CTL_MAX)
		return -EINVAL;
	cmd = leaksim_parse(buf, count, &n);
	if (cmd < 0)
		return cmd;
	mutex_lock(&leaksim_lock);
	switch (cmd) {
	case LEAKSIM_CMD_FREE:
		leaksim_free_held();
		break;
	case LEAKSIM_CMD_KMALLOC_DROPPED:
		ret = leaksim_drop(LEAKSIM_KMALLOC, n, false);
		break;
	case LEAKSIM_CMD_KMALLOC_HELD:
		ret = leaksim_hold(LEAKSIM_KMALLOC, n, false);
		break;
	case LEAKSIM_CMD_VMALLOC_DROPPED:
		ret = leaksim_drop(LEAKSIM_VMALLOC, n, false);
		break;
	case LEAKSIM_CMD_VMALLOC_HELD:
		ret = leaksim_hold(LEAKSIM_VMALLOC, n, false);
		break;
	case LEAKSIM_CMD_VMALLOC_SELFREF:
		ret = leaksim_drop(LEAKSIM_VMALLOC, n, true);
		break;
	case LEAKSIM_CMD_VMALLOC_INTERIOR:
		ret = leaksim_hold(LEAKSIM_VMALLOC, n, true);
		break;
	case LEAKSIM_CMD_VMALLOC_BULK:
		ret = leaksim_hold_bulk(n);
		break;
	case LEAKSIM_CMD_SCRATCH:
		ret = leaksim_set_scratch(n);
		break;
	case LEAKSIM_CMD_PAIR_LAT:
		ret = leaksim_pair_lat(n);
		break;
	case LEAKSIM_CMD_REGION:
		ret = leaksim_set_region(n);
		break;
	case LEAKSIM_CMD_REGION_FILL:
		ret = leaksim_fill_region(n);
		break;
	}
	mutex_unlock(&leaksim_lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(control);

static struct attribute *leaksim_attrs[] = {
	&dev_attr_kmalloc_dropped.attr,
	&dev_attr_vmalloc_dropped.attr,
	&dev_attr_kmalloc_held.attr,
	&dev_attr_vmalloc_held.attr,
	&dev_attr_held_range.attr,
	&dev_attr_control.attr,
	&dev_attr_region_range.attr,
	&dev_attr_region_read_ns.attr,
	&dev_attr_vmalloc_pair_ns.attr,
	&dev_attr_scratch_range.attr,
	&dev_attr_vmalloc_pair_lat.attr,
	NULL,
};
ATTRIBUTE_GROUPS(leaksim);

static const char * const leaksim_keys[] = {
	"leaksim_kmalloc_dropped",
	"leaksim_vmalloc_dropped",
};

static void leaksim_snapshot(const struct tk_feature *feat, u64 *vals)
{
	vals[0] = atomic_long_read(&leaksim_dropped[LEAKSIM_KMALLOC]);
	vals[1] = atomic_long_read(&leaksim_dropped[LEAKSIM_VMALLOC]);
}

static struct tk_feature leaksim_feature = {
	.name = "leaksim",
	.owner = THIS_MODULE,
	.groups = leaksim_groups,
	.snap_keys = leaksim_keys,
	.nr_snap_keys = ARRAY_SIZE(leaksim_keys),
	.snapshot = leaksim_snapshot,
};

/* ---- load and unload ---- */

static int __init leaksim_init(void)
{
	int ret;

	ret = tk_register_feature(&leaksim_feature);
	if (ret) {
		pr_err("cannot register with tkcore: %d\n", ret);
		return ret;
	}
	mutex_lock(&leaksim_lock);
	ret = leaksim_drop(LEAKSIM_KMALLOC, kmalloc_dropped, false);
	if (!ret)
		ret = leaksim_drop(LEAKSIM_VMALLOC, vmalloc_dropped, false);
	if (!ret)
		ret = leaksim_hold(LEAKSIM_KMALLOC, kmalloc_held, false);
	if (!ret)
		ret = leaksim_hold(LEAKSIM_VMALLOC, vmalloc_held, false);
	if (ret)
		leaksim_free_held();
	mutex_unlock(&leaksim_lock);
	if (ret) {
		tk_unregister_feature(&leaksim_feature);
		return ret;
	}
	if (kmalloc_dropped)
		pr_info("leaked %ld kmalloc block(s) of %d bytes on purpose\n",
			atomic_long_read(&leaksim_dropped[LEAKSIM_KMALLOC]),
			LEAKSIM_BLOCK);
	if (vmalloc_dropped)
		pr_info("leaked %ld vmalloc block(s) of %u bytes on purpose\n",
			atomic_long_read(&leaksim_dropped[LEAKSIM_VMALLOC]),
			vmalloc_size);
	return 0;
}

static void __exit leaksim_exit(void)
{
	tk_unregister_feature(&leaksim_feature);
	mutex_lock(&leaksim_lock);
	leaksim_free_held();
	leaksim_set_region(0);
	mutex_unlock(&leaksim_lock);
}

module_init(leaksim_init);
module_exit(leaksim_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Kernel Telemetry Kit developers");
MODULE_DESCRIPTION("Deliberate kernel memory leaks for exercising leak detectors");
MODULE_VERSION(TK_VERSION);
