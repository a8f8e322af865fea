// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: kmp - the kernel memory profiler, a leak detector for vmalloc()/vfree()
 *
 * kmp records every block allocated with vmalloc() and forgets it when it is
 * given to vfree().  Reading /sys/class/qeexo/profiler/memleaks scans a
 * memory range chosen by the user (scan_start_addr, scan_end_addr) for
 * pointer-sized words equal to the start address of a live block: a block
 * that some word points to is "not freed yet", one that none points to is a
 * "possible leak".  By default only exact start addresses count; with
 * interior_pointers set to 1, any address inside a block counts, as in
 * kmemleak (mm/kmemleak.c).  As kmemleak skips the object it scans, a word
 * inside a block never counts for that block itself (an empty list_head at
 * its start points to the block).  Unlike kmemleak the range is the user's,
 * not the whole kernel.
 *
 * Tracing.  A kretprobe on the function behind vmalloc() (vmalloc, or
 * vmalloc_noprof from 6.10: TK_VMALLOC_SYM in compat.h) and a kprobe on
 * vfree(), as in samples/kprobes.  The kretprobe's entry handler saves the
 * requested size and a raw stack trace in the instance's private data; its
 * return handler takes the returned address and the return address of the
 * call (the allocating instruction pointer, which rethook puts in regs->ip,
 * right even when other kretprobes hook the same call), cuts the stack
 * trace so that it starts at that caller, and records the block.  The
 * vfree() pre-handler removes the block passed to it, if tracked.
 * Allocations through other functions (vzalloc(), __vmalloc(), kvmalloc(),
 * ...) are not tracked, and a vfree() of an untracked address changes
 * nothing.
 *
 * Tracking.  Records come from a pool of max_blocks entries (module
 * parameter) allocated at load: probe handlers never allocate.  A live record
 * is in a hash table keyed by its start address; a free one is on the free
 * list.  Insert and remove are O(1).  Each live record has a sequence number
 * (kmp_seq, never reused; 0 while free) that tells a scan whether it is
 * still the block the scan copied.  When the pool is empty the allocation is counted in
 * track_overflow and not tracked; a vmalloc() the kretprobe missed (all of its
 * maxactive instances in use) or a recursive hit is counted in missed.  If a
 * vfree() was missed, the next block at the same address replaces the stale
 * record.
 *
 * Scanning.  A read of memleaks or memleaks_ext from offset 0 takes one scan
 * (tk_textfile keeps the text for the rest of that pass; if the text outgrows
 * its buffer, the result of the same scan is formatted again): copy the
 * blocks live when the scan began into a snapshot, without taking the lock
 * of the probes (see the notes on locking), sort their start
 * addresses (unless they came in address order), then read [start, end) one
 * page at a time with copy_from_kernel_nofault() and cond_resched() between
 * pages.  Eight words at a time and without branches, the words go through
 * two pre-filters: an OR of the eight must have every bit that all starts
 * have (the high bits of kernel addresses at least), then one of them must
 * lie between the lowest start and the highest (the highest end with
 * interior pointers).  Only a word that passes both is looked up: in an
 * open-addressing hash table of the snapshot's starts, or with interior
 * pointers by binary search for the block that contains it.  A page that
 * cannot be read (unmapped: a guard page, being vfree()d, not a kernel
 * address) is skipped and counted; a page that the kernel maps uncached or
 * write-combined (ioremap() of device registers: tk_kernel_page_uncached() in
 * compat.h) is never read, and is skipped too.  A fatal signal ends a scan
 * with -EINTR, and kmp's unload (tk_feature_stopping()) with -ENODEV: both
 * are checked after every page, every KMP_COPY_STEP records of the copy,
 * every 16,384 steps of the sort and every 1,024 lines of formatting, so a
 * read of any size ends within milliseconds.  kmp's own records and
 * snapshots hold every start address, so where they lie inside the range
 * they read as zeros; a snapshot's starts and each page read are zeroed
 * before their memory is freed, so that no later scan finds a stale copy.
 * The blocks themselves may be vfree()d during the scan: the snapshot is a
 * copy, and after the range is read every block of the snapshot whose
 * record no longer has the sequence number copied (freed, or freed and
 * replaced) is dropped from the result, as kmemleak drops objects freed
 * while it scans.  memleaks keeps its last snapshot (at most max_blocks
 * starts, 40 bytes each, freed at unload) and the next pass reuses it, with
 * fresh counters, when kmp_gen shows that no block was allocated or freed
 * since, and otherwise copies into the same arrays while they are large
 * enough; the memory is scanned again at every pass.  memleaks_ext, whose
 * snapshot copies whole records, takes a new one at every pass.  Scans of
 * the two files take turns (kmp_scan_lock).
 *
 * Notes on locking.  kmp_lock, a raw spinlock taken with interrupts off,
 * guards the hash table, the free list, the sequence numbers and the
 * counters: vmalloc() runs in process context, vfree() also in interrupt
 * context (never in NMI context), and kprobe handlers run with preemption
 * off (hence raw).  The probe handlers do O(1) work under it (a hash lookup,
 * a list move).  A scan does not take it to copy the blocks: it reads the
 * counters and the last sequence number under it once, then walks the pool
 * array with no lock, and copies each record whose sequence number is set
 * and not above that number, as a seqcount reader does: the sequence number,
 * smp_rmb(), the fields, smp_rmb(), the sequence number again; if it
 * changed, the block was freed meanwhile and is not copied.  The writer's
 * side is in kmp_vmalloc_ret(): a record's fields are written only while its
 * sequence number is 0 (set by kmp_forget() when the block was freed), with
 * smp_wmb() before the fields and before the new number; numbers are never
 * reused, so an unchanged number means unchanged fields.  Records live in
 * the pool as long as kmp is loaded, so the walk never reads freed memory.
 * The copy is therefore the set of blocks live when it began, less those
 * freed before it reached them; those freed after it copied them are
 * dropped after the range is read, by comparing sequence numbers again.  So
 * a scan never holds up a vmalloc() or vfree() on any CPU beyond a few
 * O(1) sections, and never turns interrupts off for longer.  kmp_scan_lock
 * (a mutex) serialises the scans and their formatting; kmp_range_lock the
 * range; the interior pointer switch is one bool read once per scan.
 *
 * Lifetimes.  At load: pool and table, then the vfree() kprobe, then the
 * kretprobe (so no tracked block can miss its vfree()), then the sysfs files
 * (tk_register_feature()).  At unload the reverse: the files go first
 * (tk_unregister_feature() waits for running reads, which it has told to
 * stop: they return -ENODEV), then the kretprobe and
 * the kprobe (unregistering waits until no handler runs; calls still inside
 * vmalloc() then return without calling the handler), and only then are the
 * pool, the table and any kept scan result freed.  The blocks themselves are
 * never freed by kmp.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/kmemleak.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <tkcore/tkcore.h>
#include <tkcore/version.h>

/* Stack entries kept per block, and taken before cutting at the caller. */
#define KMP_STACK_DEPTH		8
#define KMP_RAW_DEPTH		16
/* Largest scan chunk: one page, so that one unmapped page fails alone. */
#define KMP_CHUNK		PAGE_SIZE
/* Longest memleaks line: 0x + 16 digits, ':', status, ':', 0x + 16, '\n'. */
#define KMP_LINE_MAX		64
/* Typical memleaks_ext entry: its line plus KMP_STACK_DEPTH stack lines. */
#define KMP_EXT_ENTRY_EST	768
/* Pool entries a scan's copy looks at between two tk_feature_yield(). */
#define KMP_COPY_STEP		1024
#define KMP_MIN_BLOCKS		16
#define KMP_MAX_BLOCKS		(1024U * 1024)

/**
 * struct kmp_block - a live vmalloc() block, or a free pool entry
 * @hnode: in kmp_hash while live
 * @node: on kmp_free while free
 * @start: the address vmalloc() returned
 * @ip: return address of the vmalloc() call: the allocation site
 * @size: the size asked of vmalloc()
 * @seq: kmp_seq when this block was recorded, 0 while free; the other
 *	fields change only while it is 0
 * @time_ns: ktime_get_ns() at allocation
 * @pid: pid of the allocating task
 * @nr_stack: entries used in @stack
 * @comm: comm of the allocating task
 * @stack: stack trace from the allocation site outwards
 */
struct kmp_block {
	struct hlist_node hnode;
	struct list_head node;
	unsigned long start;
	unsigned long ip;
	unsigned long size;
	unsigned long seq;
	u64 time_ns;
	pid_t pid;
	unsigned int nr_stack;
	char comm[TASK_COMM_LEN];
	unsigned long stack[KMP_STACK_DEPTH];
};

/**
 * struct kmp_ri_data - per-call data of the vmalloc() kretprobe
 * @size: the size argument
 * @nr: entries used in @stack
 * @stack: stack trace taken in the entry handler
 */
struct kmp_ri_data {
	unsigned long size;
	unsigned int nr;
	unsigned long stack[KMP_RAW_DEPTH];
};

/**
 * struct kmp_key - one block of a scan snapshot, in start address order
 * @start: the block's start address
 * @ip: its allocation site
 * @size: its size
 * @seq: its record's sequence number when copied
 * @idx: its index in &struct kmp_scan.blk (memleaks_ext only)
 * @rec: its record's index in kmp_pool
 */
struct kmp_key {
	unsigned long start;
	unsigned long ip;
	unsigned long size;
	unsigned long seq;
	unsigned int idx;
	unsigned int rec;
};

/**
 * struct kmp_scan - the result of one scan
 * @n: blocks in the snapshot
 * @cap: entries allocated in @key (and @blk)
 * @blk: for memleaks_ext, copies of the live blocks, in pool order
 * @key: the blocks' start addresses and sites, sorted by address
 * @found: bit i set when a word pointing to block i was found
 * @gone: bit i set when block i was freed during the scan
 * @nr_gone: bits set in @gone
 * @slot: open-addressing hash table of the starts, by hash_long(start,
 *	@slot_bits) and linear probing: i + 1 for key[i], 0 for an empty slot
 * @slot_bits: log2 of the entries in @slot
 * @ones: the bits set in every word that the lookup can match
 * @ones_span: the bits set in every address in [lowest start, @hi_end)
 * @hi_end: the highest end of a block (exclusive)
 * @interior: interior pointers count (interior_pointers at the scan)
 * @gen: kmp_gen when the snapshot was taken
 * @lo: start of the range scanned
 * @hi: end of the range scanned (exclusive)
 * @now_ns: ktime_get_ns() when the snapshot was taken
 * @bytes: tracked bytes then
 * @overflow: track_overflow then
 * @missed: missed then
 * @skipped: pages of the range not read (unmapped, or device memory)
 */
struct kmp_scan {
	unsigned int n;
	unsigned int cap;
	struct kmp_block *blk;
	struct kmp_key *key;
	unsigned long *found;
	unsigned long *gone;
	unsigned int nr_gone;
	u32 *slot;
	unsigned int slot_bits;
	unsigned long ones;
	unsigned long ones_span;
	unsigned long hi_end;
	bool interior;
	unsigned long gen;
	unsigned long lo;
	unsigned long hi;
	u64 now_ns;
	unsigned long bytes;
	unsigned long overflow;
	unsigned long missed;
	unsigned long skipped;
};

/**
 * struct kmp_view - one of the two scan files
 * @tf: its tk_textfile
 * @ext: true for memleaks_ext
 * @res: the last scan, or NULL
 * @res_size: size of the buffer that the text of @res overflowed, or 0
 * @res_time: jiffies when @res was formatted
 *
 * Used only by fill(), under kmp_scan_lock.  A new pass scans again, into
 * @res: for memleaks, its snapshot of the blocks is kept if none was
 * allocated or freed since (see kmp_gen); memleaks_ext frees @res after a
 * pass.  Only the retry that tk_textfile makes at once with a larger buffer,
 * after @res overflowed, formats @res without a scan.
 */
struct kmp_view {
	struct tk_textfile tf;
	bool ext;
	struct kmp_scan *res;
	size_t res_size;
	unsigned long res_time;
};

static unsigned int max_blocks = 65536;

static DEFINE_RAW_SPINLOCK(kmp_lock);
static struct kmp_block *kmp_pool;
static struct hlist_head *kmp_hash;
static unsigned int kmp_hash_bits;
static LIST_HEAD(kmp_free);
/* Written under kmp_lock, read anywhere. */
static unsigned long kmp_nr_blocks;
static unsigned long kmp_nr_bytes;
static unsigned long kmp_overflow;
/* Bumped under kmp_lock at every change to the set of live blocks. */
static unsigned long kmp_gen;
/* The last sequence number given to a record, under kmp_lock. */
static unsigned long kmp_seq;
/* interior_pointers: a pointer into a block counts, not only its start. */
static bool kmp_interior;
/* Pages skipped by the last scan (scan_skipped_pages). */
static unsigned long kmp_last_skipped;
/*
 * Serialises the scans of the two files (and their formatting), so that a
 * scan can hide the snapshot that the other file keeps.
 */
static DEFINE_MUTEX(kmp_scan_lock);
static struct kmp_view kmp_leaks;
static struct kmp_view kmp_leaks_ext;
static struct tk_feature kmp_feature;

/* The scan range; see the ABI document for how the two files interact. */
static DEFINE_MUTEX(kmp_range_lock);
static unsigned long kmp_range_start;
static unsigned long kmp_range_end;
static bool kmp_start_set;
static bool kmp_end_set;

/* ---- parameters ---- */

TK_MODULE_PARAM_RANGE(max_blocks, max_blocks, KMP_MIN_BLOCKS, KMP_MAX_BLOCKS, 0444);
MODULE_PARM_DESC(max_blocks,
		 "most vmalloc blocks tracked at once (16..1048576, default 65536)");

/* ---- tracking (probe context) ---- */

static struct kmp_block *kmp_find(unsigned long start)
{
	struct kmp_block *b;

	hlist_for_each_entry(b, &kmp_hash[hash_long(start, kmp_hash_bits)],
			     hnode)
		if (b->start == start)
			return b;
	return NULL;
}

static int kmp_vmalloc_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct kmp_ri_data *d = (struct kmp_ri_data *)ri->data;

	d->size = regs_get_kernel_argument(regs, 0);
	d->nr = stack_trace_save(d->stack, KMP_RAW_DEPTH, 0);
	return 0;
}

NOKPROBE_SYMBOL(kmp_vmalloc_entry);

/* Return the record of a freed block to the pool.  Under kmp_lock. */
static void kmp_forget(struct kmp_block *b)
{
	hlist_del(&b->hnode);
	list_add(&b->node, &kmp_free);
	WRITE_ONCE(b->seq, 0);
	WRITE_ONCE(kmp_nr_blocks, kmp_nr_blocks - 1);
	WRITE_ONCE(kmp_nr_bytes, kmp_nr_bytes - b->size);
	kmp_gen++;
}

NOKPROBE_SYMBOL(kmp_forget);

static int kmp_vmalloc_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kmp_ri_data *d = (struct kmp_ri_data *)ri->data;
	unsigned long start = regs_return_value(regs);
	/*
	 * The real return address: rethook sets it as the instruction pointer
	 * before calling the handlers.  get_kretprobe_retaddr() would give the
	 * trampoline when another kretprobe on this function hooked first.
	 */
	unsigned long ip = instruction_pointer(regs);
	unsigned int i, first = 0, nr;
	struct kmp_block *b;
	unsigned long flags;

	if (!start)
		return 0;
	/* The trace starts inside the kprobe machinery: cut it at the caller. */
	for (i = 0; i < d->nr; i++) {
		if (d->stack[i] == ip) {
			first = i;
			break;
		}
	}
	nr = min_t(unsigned int, d->nr - first, KMP_STACK_DEPTH);

	raw_spin_lock_irqsave(&kmp_lock, flags);
	b = kmp_find(start);
	/* Its vfree() was missed: the new block replaces the record. */
	if (b)
		kmp_forget(b);
	b = list_first_entry_or_null(&kmp_free, struct kmp_block, node);
	if (!b) {
		WRITE_ONCE(kmp_overflow, kmp_overflow + 1);
		raw_spin_unlock_irqrestore(&kmp_lock, flags);
		return 0;
	}
	list_del(&b->node);
	hlist_add_head(&b->hnode, &kmp_hash[hash_long(start, kmp_hash_bits)]);
	WRITE_ONCE(kmp_nr_blocks, kmp_nr_blocks + 1);
	kmp_gen++;
	/*
	 * A scan may be copying this record's previous block: the fields
	 * change only while the sequence number reads 0, written here too so
	 * that this CPU's barrier orders it before them.
	 */
	WRITE_ONCE(b->seq, 0);
	/* Pairs with the smp_rmb()s of kmp_copy_blocks(). */
	smp_wmb();
	b->start = start;
	b->ip = ip;
	b->size = d->size;
	b->time_ns = ktime_get_ns();
	b->pid = task_pid_nr(current);
	strscpy(b->comm, current->comm, sizeof(b->comm));
	b->nr_stack = nr;
	memcpy(b->stack, d->stack + first, nr * sizeof(b->stack[0]));
	/* The fields before the number that makes them live. */
	smp_wmb();
	WRITE_ONCE(b->seq, ++kmp_seq);
	WRITE_ONCE(kmp_nr_bytes, kmp_nr_bytes + b->size);
	raw_spin_unlock_irqrestore(&kmp_lock, flags);
	return 0;
}

NOKPROBE_SYMBOL(kmp_vmalloc_ret);

static int kmp_vfree_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long start = regs_get_kernel_argument(regs, 0);
	struct kmp_block *b;
	unsigned long flags;

	if (!start)
		return 0;
	raw_spin_lock_irqsave(&kmp_lock, flags);
	b = kmp_find(start);
	if (b)
		kmp_forget(b);
	raw_spin_unlock_irqrestore(&kmp_lock, flags);
	return 0;
}

NOKPROBE_SYMBOL(kmp_vfree_pre);

static struct kretprobe kmp_vmalloc_rp = {
	.kp.symbol_name = TK_VMALLOC_SYM,
	.entry_handler = kmp_vmalloc_entry,
	.handler = kmp_vmalloc_ret,
	.data_size = sizeof(struct kmp_ri_data),
};

static struct kprobe kmp_vfree_kp = {
	.symbol_name = "vfree",
	.pre_handler = kmp_vfree_pre,
};

static unsigned long kmp_missed(void)
{
	return READ_ONCE(kmp_vmalloc_rp.nmissed) +
	       READ_ONCE(kmp_vmalloc_rp.kp.nmissed) +
	       READ_ONCE(kmp_vfree_kp.nmissed);
}

/* ---- scanning ---- */

/* Free the snapshot of @s. */
static void kmp_scan_drop(struct kmp_scan *s)
{
	/* No copy of a start may outlive the snapshot (see Scanning). */
	if (s->key)
		memzero_explicit(s->key, array_size(s->cap, sizeof(*s->key)));
	kvfree(s->blk);
	kvfree(s->key);
	bitmap_free(s->found);
	bitmap_free(s->gone);
	kvfree(s->slot);
	s->blk = NULL;
	s->key = NULL;
	s->found = NULL;
	s->gone = NULL;
	s->slot = NULL;
	s->n = 0;
	s->cap = 0;
}

static void kmp_scan_free(struct kmp_scan *s)
{
	if (!s)
		return;
	kmp_scan_drop(s);
	kfree(s);
}

static void kmp_sift_down(struct kmp_key *k, unsigned int i, unsigned int n)
{
	struct kmp_key x = k[i];
	unsigned int c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && k[c + 1].start > k[c].start)
			c++;
		if (k[c].start <= x.start)
			break;
		k[i] = k[c];
		i = c;
	}
	k[i] = x;
}

/* Heapsort by start address, with the comparison inlined. */
static int kmp_sort_keys(struct kmp_key *k, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = n / 2; i-- > 0; )
		kmp_sift_down(k, i, n);
	for (i = n; i-- > 1; ) {
		swap(k[0], k[i]);
		kmp_sift_down(k, 0, i);
		if (!(i % 16384)) {
			ret = tk_feature_yield(&kmp_feature);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Take the counters into @s, and clear its results. */
static void kmp_snapshot_counters(struct kmp_scan *s)
{
	s->now_ns = ktime_get_ns();
	s->missed = kmp_missed();
	s->skipped = 0;
	s->nr_gone = 0;
	s->interior = READ_ONCE(kmp_interior);
	bitmap_zero(s->found, s->cap);
	bitmap_zero(s->gone, s->cap);
}

/* Copy block @b, whose sequence number read @seq, into entry @n of @s. */
static void kmp_copy_block(struct kmp_scan *s, unsigned int n,
			   const struct kmp_block *b, unsigned long seq,
			   bool full)
{
	struct kmp_key *k = &s->key[n];
	struct kmp_block *c;

	k->start = b->start;
	k->ip = b->ip;
	k->size = b->size;
	k->seq = seq;
	k->idx = n;
	k->rec = b - kmp_pool;
	if (full) {
		c = &s->blk[n];
		c->size = b->size;
		c->time_ns = b->time_ns;
		c->pid = b->pid;
		memcpy(c->comm, b->comm, sizeof(c->comm));
		c->nr_stack = b->nr_stack;
		memcpy(c->stack, b->stack, sizeof(c->stack));
	}
}

/*
 * Copy the blocks live now into @s: the records of the pool whose sequence
 * number is set and not above @limit, without kmp_lock (see the notes on
 * locking).  Returns 0, or -ENODEV / -EINTR from tk_feature_yield().
 */
static int kmp_copy_blocks(struct kmp_scan *s, bool full, unsigned long limit,
			   bool *sorted)
{
	unsigned long seq, prev = 0;
	const struct kmp_block *b;
	unsigned int i, n = 0;
	int ret = 0;

	*sorted = true;
	for (i = 0; i < max_blocks && n < s->cap; i++) {
		b = &kmp_pool[i];
		seq = READ_ONCE(b->seq);
		/* Live, and allocated before the copy began. */
		if (seq && seq <= limit) {
			/* Pairs with the smp_wmb()s of kmp_vmalloc_ret(). */
			smp_rmb();
			kmp_copy_block(s, n, b, seq, full);
			/* The fields before the number read again. */
			smp_rmb();
			/* Freed (and maybe reused) while copied: not live. */
			if (READ_ONCE(b->seq) == seq) {
				/* Mostly in address order: then no sort. */
				if (s->key[n].start < prev)
					*sorted = false;
				prev = s->key[n].start;
				n++;
			}
		}
		if (!((i + 1) % KMP_COPY_STEP)) {
			ret = tk_feature_yield(&kmp_feature);
			if (ret)
				break;
		}
	}
	s->n = n;
	return ret;
}

/*
 * Copy the live blocks into @s and sort them by start address.  If @s holds
 * a snapshot and no block was allocated or freed since, keep it; if it
 * holds arrays large enough, reuse them.
 */
static int kmp_snapshot_blocks(struct kmp_scan *s, bool full)
{
	unsigned int nr, n, i, h, mask;
	unsigned long flags, limit, diff;
	bool sorted;
	int ret;

	if (s->key) {
		raw_spin_lock_irqsave(&kmp_lock, flags);
		if (s->gen == kmp_gen) {
			s->bytes = kmp_nr_bytes;
			s->overflow = kmp_overflow;
			raw_spin_unlock_irqrestore(&kmp_lock, flags);
			kmp_snapshot_counters(s);
			return 0;
		}
		raw_spin_unlock_irqrestore(&kmp_lock, flags);
	}
	/*
	 * The blocks to copy: those with a sequence number up to @limit, at
	 * most @nr of them (the live ones now; records are never reused
	 * with a lower number).
	 */
	raw_spin_lock_irqsave(&kmp_lock, flags);
	nr = kmp_nr_blocks;
	limit = kmp_seq;
	s->bytes = kmp_nr_bytes;
	s->overflow = kmp_overflow;
	s->gen = kmp_gen;
	raw_spin_unlock_irqrestore(&kmp_lock, flags);

	/*
	 * memleaks keeps its arrays from pass to pass while they are large
	 * enough (with some room to grow): no allocation of megabytes at
	 * every pass while blocks come and go.
	 */
	if (s->key && nr > s->cap)
		kmp_scan_drop(s);
	if (s->key) {
		memset(s->slot, 0, array_size(1U << s->slot_bits,
					      sizeof(*s->slot)));
	} else {
		s->cap = max(full ? nr : nr + nr / 64 + 16, 1U);
		s->key = kvmalloc_array(s->cap, sizeof(*s->key), GFP_KERNEL);
		if (full)
			s->blk = kvmalloc_array(s->cap, sizeof(*s->blk),
						GFP_KERNEL);
		s->found = bitmap_alloc(s->cap, GFP_KERNEL);
		s->gone = bitmap_alloc(s->cap, GFP_KERNEL);
		/* Twice the slots as blocks: few probes, even for a miss. */
		s->slot_bits = max(order_base_2(2 * s->cap), 4);
		s->slot = kvcalloc(1U << s->slot_bits, sizeof(*s->slot),
				   GFP_KERNEL);
		if (!s->key || (full && !s->blk) || !s->found || !s->gone ||
		    !s->slot)
			return -ENOMEM;
		/* Block addresses: not references, for kmemleak (kmp_init). */
		kmemleak_no_scan(s->key);
	}
	ret = kmp_copy_blocks(s, full, limit, &sorted);
	if (ret)
		return ret;
	n = s->n;

	if (!sorted) {
		ret = kmp_sort_keys(s->key, n);
		if (ret)
			return ret;
	}
	mask = (1U << s->slot_bits) - 1;
	s->ones = ~0UL;
	s->hi_end = 0;
	for (i = 0; i < n; i++) {
		h = hash_long(s->key[i].start, s->slot_bits);
		while (s->slot[h])
			h = (h + 1) & mask;
		s->slot[h] = i + 1;
		s->ones &= s->key[i].start;
		s->hi_end = max(s->hi_end, s->key[i].start +
				max(s->key[i].size, 1UL));
	}
	/*
	 * With interior pointers, a word anywhere in [lowest start, highest
	 * end) may match: only the bits that all of that span shares.
	 */
	if (n) {
		diff = s->key[0].start ^ (s->hi_end - 1);
		s->ones_span = diff ? s->key[0].start &
			~(BIT(fls_long(diff)) - 1) : s->key[0].start;
	}
	kmp_snapshot_counters(s);
	return 0;
}

/*
 * After the range was read: mark the blocks whose record no longer holds
 * the block copied (vfree()d during the scan, maybe replaced).  Lockless:
 * records stay in the pool, and the sequence number of a block that is
 * freed at this very moment may be seen either way.
 */
static int kmp_mark_gone(struct kmp_scan *s)
{
	unsigned int i;
	int ret;

	for (i = 0; i < s->n; i++) {
		if (READ_ONCE(kmp_pool[s->key[i].rec].seq) != s->key[i].seq) {
			__set_bit(i, s->gone);
			s->nr_gone++;
		}
		if (!(i % 16384)) {
			ret = tk_feature_yield(&kmp_feature);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Zero the words of @buf (a copy of @addr..@addr+@len) that hold kmp's own
 * memory at [@start, @start + @size).
 */
static void kmp_hide(void *buf, unsigned long addr, size_t len,
		     const void *start, size_t size)
{
	unsigned long s = (unsigned long)start, e = s + size;
	unsigned long from = max(s, addr), to = min(e, addr + len);

	if (start && from < to)
		memset(buf + (from - addr), 0, to - from);
}

/* Zero the words of @buf (a copy of @addr..@addr+@len) that hold kmp's own
 * copies of start addresses: the pool and the snapshots of both files.
 */
static void kmp_hide_own(void *buf, unsigned long addr, size_t len)
{
	const struct kmp_scan *res[] = { kmp_leaks.res, kmp_leaks_ext.res };
	unsigned int i;

	kmp_hide(buf, addr, len, kmp_pool,
		 array_size(max_blocks, sizeof(*kmp_pool)));
	for (i = 0; i < ARRAY_SIZE(res); i++)
		if (res[i])
			kmp_hide(buf, addr, len, res[i]->key,
				 array_size(res[i]->cap, sizeof(*res[i]->key)));
}

/*
 * Mark block @i as pointed to by the word at @at, unless that word lies in
 * the block itself: a block's pointers to itself are no reference.
 */
static void kmp_mark(struct kmp_scan *s, unsigned int i, unsigned long at)
{
	if (at - s->key[i].start >= s->key[i].size)
		__set_bit(i, s->found);
}

/* Mark the block starting at @v (or, interior, holding @v), if any. */
static void kmp_lookup(struct kmp_scan *s, unsigned long v, unsigned long at)
{
	unsigned int mask = (1U << s->slot_bits) - 1;
	unsigned int h, i, lo, hi, mid;

	if (s->interior) {
		/* The last block starting at or below @v. */
		lo = 0;
		hi = s->n;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (s->key[mid].start <= v)
				lo = mid;
			else
				hi = mid;
		}
		if (v - s->key[lo].start < max(s->key[lo].size, 1UL))
			kmp_mark(s, lo, at);
		return;
	}
	h = hash_long(v, s->slot_bits);
	while ((i = s->slot[h])) {
		if (s->key[i - 1].start == v) {
			kmp_mark(s, i - 1, at);
			return;
		}
		h = (h + 1) & mask;
	}
}

#define KMP_IN(v)	((v) - lo <= span)

/*
 * Eight words that passed the first pre-filter, the first at address @at.
 * Out of line, so that the loop of kmp_scan_words() keeps everything in
 * registers.
 */
static noinline void kmp_scan_group(struct kmp_scan *s, const unsigned long *w,
				    unsigned long lo, unsigned long span,
				    unsigned long at)
{
	unsigned int j;

	if (!(KMP_IN(w[0]) | KMP_IN(w[1]) | KMP_IN(w[2]) | KMP_IN(w[3]) |
	      KMP_IN(w[4]) | KMP_IN(w[5]) | KMP_IN(w[6]) | KMP_IN(w[7])))
		return;
	for (j = 0; j < 8; j++)
		if (KMP_IN(w[j]))
			kmp_lookup(s, w[j], at + j * sizeof(*w));
}

/* The @nw words at @w, a copy of the memory at @at. */
static void kmp_scan_words(struct kmp_scan *s, const unsigned long *w,
			   size_t nw, unsigned long at)
{
	const unsigned long lo = s->key[0].start;
	const unsigned long span = s->interior ? s->hi_end - 1 - lo :
				   s->key[s->n - 1].start - lo;
	const unsigned long ones = s->interior ? s->ones_span : s->ones;
	const unsigned long *end = w + round_down(nw, 8);
	size_t j;

	/*
	 * The pre-filters, eight words at a time and without branches, since
	 * almost no word passes.  First one OR per word: a match has every bit
	 * of @ones set (the high bits of kernel addresses at least), so eight
	 * words that together lack one hold no match.  Zeros and small values
	 * stop there.  Then one compare per word for lo <= v <= lo + span.
	 */
	for (; w < end; w += 8, at += 8 * sizeof(*w))
		if (((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) &
		     ones) == ones)
			kmp_scan_group(s, w, lo, span, at);
	for (j = 0; j < nw % 8; j++)
		if (KMP_IN(w[j]))
			kmp_lookup(s, w[j], at + j * sizeof(*w));
}

#undef KMP_IN

/* Read [s->lo, s->hi) and mark the blocks pointed to. */
static int kmp_scan_range(struct kmp_scan *s)
{
	unsigned long addr, next;
	void *buf;
	size_t len;
	int ret = 0;

	buf = kmalloc(KMP_CHUNK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (addr = s->lo; addr < s->hi; addr = next) {
		next = ALIGN_DOWN(addr, KMP_CHUNK) + KMP_CHUNK;
		/* next == 0: the chunk ends at the top of the address space. */
		if (!next || next > s->hi)
			next = s->hi;
		len = next - addr;
		/* Device memory is never read; an unmapped page fails alone. */
		if (tk_kernel_page_uncached(addr) ||
		    copy_from_kernel_nofault(buf, (const void *)addr, len)) {
			s->skipped++;
		} else if (s->n) {
			kmp_hide_own(buf, addr, len);
			kmp_scan_words(s, buf, len / sizeof(unsigned long),
				       addr);
		}
		/* -ENODEV while kmp unloads, -EINTR on a fatal signal */
		ret = tk_feature_yield(&kmp_feature);
		if (ret)
			break;
	}
	/* The words read may point at blocks: leave no copy behind. */
	kfree_sensitive(buf);
	return ret;
}

/*
 * One scan into @v->res: snapshot, then range.  -ENODATA while no range is
 * set.  After an error, @v->res is not to be formatted.
 */
static int kmp_scan(struct kmp_view *v)
{
	struct kmp_scan *s = v->res;
	int ret;

	if (!s) {
		s = kzalloc(sizeof(*s), GFP_KERNEL);
		if (!s)
			return -ENOMEM;
		v->res = s;
	}
	mutex_lock(&kmp_range_lock);
	if (!kmp_start_set || !kmp_end_set) {
		mutex_unlock(&kmp_range_lock);
		return -ENODATA;
	}
	s->lo = kmp_range_start;
	s->hi = kmp_range_end;
	mutex_unlock(&kmp_range_lock);

	ret = kmp_snapshot_blocks(s, v->ext);
	if (ret) {
		kmp_scan_drop(s);
		return ret;
	}
	ret = kmp_scan_range(s);
	if (!ret)
		ret = kmp_mark_gone(s);
	if (!ret)
		WRITE_ONCE(kmp_last_skipped, s->skipped);
	return ret;
}

/* ---- the scan files ---- */

static const char *kmp_status(const struct kmp_scan *s, unsigned int i)
{
	return test_bit(i, s->found) ? "not freed yet" : "possible leak";
}

/* The two lowercase hex digits of each byte value, filled at load. */
static char kmp_hex2[256][2] __ro_after_init;

/* "0x" and the lowercase hex digits of @v, as %#lx prints a non-zero @v. */
static noinline char *kmp_put_hex_short(char *p, unsigned long v)
{
	char tmp[2 * sizeof(v)];
	unsigned int n = 0;

	*p++ = '0';
	*p++ = 'x';
	do {
		tmp[n++] = hex_asc[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* The two hex digits of byte @shift / 8 of @v at @p. */
static __always_inline void kmp_hex_byte(char *p, unsigned long v,
					 unsigned int shift)
{
	memcpy(p, kmp_hex2[(v >> shift) & 0xff], 2);
}

/* The same, unrolled, for 16 digits (64-bit kernel addresses all have 16). */
static __always_inline char *kmp_put_hex(char *p, unsigned long v)
{
	if (!(v >> 60))
		return kmp_put_hex_short(p, v);
	p[0] = '0';
	p[1] = 'x';
	kmp_hex_byte(p + 2, v, 56);
	kmp_hex_byte(p + 4, v, 48);
	kmp_hex_byte(p + 6, v, 40);
	kmp_hex_byte(p + 8, v, 32);
	kmp_hex_byte(p + 10, v, 24);
	kmp_hex_byte(p + 12, v, 16);
	kmp_hex_byte(p + 14, v, 8);
	kmp_hex_byte(p + 16, v, 0);
	return p + 18;
}

/*
 * One memleaks line, "%#lx:%s:%#lx\n" formatted by hand: at 10,000 blocks
 * vsnprintf() costs as much as scanning megabytes.
 */
static void kmp_put_line(struct tk_text *t, const struct kmp_key *k,
			 const char *status)
{
	char *p;

	if (t->overflow || t->size - t->len < KMP_LINE_MAX) {
		t->overflow = true;
		return;
	}
	p = kmp_put_hex(t->buf + t->len, k->start);
	*p++ = ':';
	/* Both statuses are 13 characters long. */
	memcpy(p, status, sizeof("possible leak") - 1);
	p += sizeof("possible leak") - 1;
	*p++ = ':';
	p = kmp_put_hex(p, k->ip);
	*p++ = '\n';
	t->len = p - t->buf;
}

static void kmp_put_ext(const struct kmp_scan *s, unsigned int i,
			struct tk_text *t)
{
	const struct kmp_key *k = &s->key[i];
	const struct kmp_block *b = &s->blk[k->idx];
	char comm[TASK_COMM_LEN];
	unsigned int j;

	/* comm is free-form: keep it one word. */
	for (j = 0; j < sizeof(comm) - 1 && b->comm[j]; j++)
		comm[j] = b->comm[j] > ' ' && b->comm[j] < 0x7f ? b->comm[j] : '?';
	comm[j] = '\0';
	tk_text_printf(t, "%#lx:%s:%#lx size=%lu age_ms=%llu pid=%d comm=%s site=%pS\n",
		       k->start, kmp_status(s, i), k->ip, b->size,
		       div_u64(s->now_ns - b->time_ns, NSEC_PER_MSEC), b->pid,
		       comm, (void *)k->ip);
	for (j = 0; j < b->nr_stack; j++)
		tk_text_printf(t, "\t%pS\n", (void *)b->stack[j]);
}

static int kmp_format(const struct kmp_scan *s, bool ext, struct tk_text *t)
{
	unsigned int i;
	int ret;

	if (ext)
		tk_text_printf(t,
			       "# blocks=%u bytes=%lu overflow=%lu missed=%lu range=%#lx-%#lx skipped=%lu\n",
			       s->n - s->nr_gone, s->bytes, s->overflow,
			       s->missed, s->lo, s->hi, s->skipped);
	for (i = 0; i < s->n && !t->overflow; i++) {
		if (test_bit(i, s->gone))
			continue;
		if (ext)
			kmp_put_ext(s, i, t);
		else
			kmp_put_line(t, &s->key[i], kmp_status(s, i));
		if (!(i % 1024)) {
			ret = tk_feature_yield(&kmp_feature);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int kmp_fill(struct tk_textfile *tf, struct tk_text *t)
{
	struct kmp_view *v = container_of(tf, struct kmp_view, tf);
	int ret = 0;

	mutex_lock(&kmp_scan_lock);
	/* The immediate retry of an overflowed pass formats the same scan. */
	if (!v->res_size || t->size <= v->res_size ||
	    time_after(jiffies, v->res_time + HZ)) {
		v->res_size = 0;
		ret = kmp_scan(v);
		if (ret)
			goto unlock;
	}
	ret = kmp_format(v->res, v->ext, t);
	if (ret) {
		v->res_size = 0;
		goto unlock;
	}
	v->res_size = t->overflow ? t->size : 0;
	v->res_time = jiffies;
unlock:
	/* memleaks_ext's copies of the blocks are large: keep them for a retry only. */
	if (v->ext && !v->res_size) {
		kmp_scan_free(v->res);
		v->res = NULL;
	}
	mutex_unlock(&kmp_scan_lock);
	return ret;
}

static size_t kmp_leaks_hint(struct tk_textfile *tf)
{
	return (READ_ONCE(kmp_nr_blocks) + 32) * KMP_LINE_MAX;
}

static size_t kmp_leaks_ext_hint(struct tk_textfile *tf)
{
	return (READ_ONCE(kmp_nr_blocks) + 32) * KMP_EXT_ENTRY_EST;
}

static struct kmp_view kmp_leaks = {
	.tf.fill = kmp_fill,
	.tf.size_hint = kmp_leaks_hint,
};

static struct kmp_view kmp_leaks_ext = {
	.tf.fill = kmp_fill,
	.tf.size_hint = kmp_leaks_ext_hint,
	.ext = true,
};

TK_TEXTFILE_ATTR(memleaks, 0400, kmp_leaks.tf);
TK_TEXTFILE_ATTR(memleaks_ext, 0400, kmp_leaks_ext.tf);

/* ---- the range files ---- */

static int kmp_parse_addr(const char *buf, size_t count, unsigned long *addr)
{
	u64 v;
	int ret;

	ret = tk_parse_u64(buf, count, 16, &v);
	if (ret)
		return ret;
	if (!IS_ALIGNED(v, sizeof(unsigned long)))
		return -EINVAL;
	*addr = v;
	return 0;
}

static ssize_t scan_start_addr_store(struct device *dev,
				     struct device_attribute *attr,
				     const char *buf, size_t count)
{
	unsigned long v;
	int ret;

	ret = kmp_parse_addr(buf, count, &v);
	if (ret)
		return ret;
	mutex_lock(&kmp_range_lock);
	kmp_range_start = v;
	kmp_start_set = true;
	/* An end at or below the new start no longer makes a range. */
	if (kmp_end_set && kmp_range_end <= v)
		kmp_end_set = false;
	mutex_unlock(&kmp_range_lock);
	return count;
}
static DEVICE_ATTR_WO(scan_start_addr);

static ssize_t scan_end_addr_store(struct device *dev,
				   struct device_attribute *attr,
				   const char *buf, size_t count)
{
	unsigned long v;
	int ret;

	ret = kmp_parse_addr(buf, count, &v);
	if (ret)
		return ret;
	mutex_lock(&kmp_range_lock);
	if (!v || (kmp_start_set && v <= kmp_range_start)) {
		ret = -EINVAL;
	} else {
		kmp_range_end = v;
		kmp_end_set = true;
	}
	mutex_unlock(&kmp_range_lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(scan_end_addr);

/* ---- options ---- */

static ssize_t interior_pointers_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(kmp_interior));
}

/* "0" or "1", with one optional newline: nothing else. */
static ssize_t interior_pointers_store(struct device *dev,
				       struct device_attribute *attr,
				       const char *buf, size_t count)
{
	size_t len = count;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len != 1 || (buf[0] != '0' && buf[0] != '1'))
		return -EINVAL;
	WRITE_ONCE(kmp_interior, buf[0] == '1');
	return count;
}
static DEVICE_ATTR_RW(interior_pointers);

/* ---- counters ---- */

static ssize_t scan_skipped_pages_show(struct device *dev,
				       struct device_attribute *attr,
				       char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(kmp_last_skipped));
}
static DEVICE_ATTR_RO(scan_skipped_pages);

static ssize_t tracked_blocks_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(kmp_nr_blocks));
}
static DEVICE_ATTR_RO(tracked_blocks);

static ssize_t tracked_bytes_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(kmp_nr_bytes));
}
static DEVICE_ATTR_RO(tracked_bytes);

static ssize_t track_overflow_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(kmp_overflow));
}
static DEVICE_ATTR_RO(track_overflow);

static ssize_t missed_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%lu\n", kmp_missed());
}
static DEVICE_ATTR_RO(missed);

static struct attribute *kmp_attrs[] = {
	&dev_attr_scan_start_addr.attr,
	&dev_attr_scan_end_addr.attr,
	&dev_attr_tracked_blocks.attr,
	&dev_attr_tracked_bytes.attr,
	&dev_attr_track_overflow.attr,
	&dev_attr_missed.attr,
	&dev_attr_interior_pointers.attr,
	&dev_attr_scan_skipped_pages.attr,
	NULL,
};

static struct bin_attribute *kmp_bin_attrs[] = {
	&bin_attr_memleaks,
	&bin_attr_memleaks_ext,
	NULL,
};

static const struct attribute_group kmp_group = {
	.attrs = kmp_attrs,
	.bin_attrs = kmp_bin_attrs,
};

static const struct attribute_group *kmp_groups[] = {
	&kmp_group,
	NULL,
};

static const char * const kmp_keys[] = {
	"kmp_tracked_blocks",
	"kmp_tracked_bytes",
};

static void kmp_snapshot(const struct tk_feature *feat, u64 *vals)
{
	vals[0] = READ_ONCE(kmp_nr_blocks);
	vals[1] = READ_ONCE(kmp_nr_bytes);
}

static struct tk_feature kmp_feature = {
	.name = "kmp",
	.owner = THIS_MODULE,
	.device = "profiler",
	.groups = kmp_groups,
	.snap_keys = kmp_keys,
	.nr_snap_keys = ARRAY_SIZE(kmp_keys),
	.snapshot = kmp_snapshot,
};

/* ---- load and unload ---- */

static void kmp_free_tracking(void)
{
	kvfree(kmp_hash);
	kmp_hash = NULL;
	vfree(kmp_pool);
	kmp_pool = NULL;
}

static int __init kmp_init(void)
{
	unsigned int i;
	int ret;

	kmp_hash_bits = ilog2(roundup_pow_of_two(max_blocks));
	kmp_hash = kvcalloc(1U << kmp_hash_bits, sizeof(*kmp_hash),
			    GFP_KERNEL);
	kmp_pool = vzalloc(array_size(max_blocks, sizeof(*kmp_pool)));
	if (!kmp_hash || !kmp_pool) {
		kmp_free_tracking();
		return -ENOMEM;
	}
	/*
	 * The pool holds the address of every tracked block.  kmemleak must
	 * not take those for references: kmp would hide from it the very
	 * leaks that it reports itself.  (A no-op without kmemleak.)
	 */
	kmemleak_no_scan(kmp_pool);
	for (i = 0; i < max_blocks; i++)
		list_add_tail(&kmp_pool[i].node, &kmp_free);
	for (i = 0; i < ARRAY_SIZE(kmp_hex2); i++)
		hex_byte_pack(kmp_hex2[i], i);
	tk_textfile_init(&kmp_leaks.tf);
	tk_textfile_init(&kmp_leaks_ext.tf);

	/* vfree() first: every block tracked then has its free seen. */
	ret = register_kprobe(&kmp_vfree_kp);
	if (ret) {
		pr_err("cannot probe vfree: %d\n", ret);
		goto free;
	}
	/* vmalloc() sleeps: allow several calls in flight per CPU. */
	kmp_vmalloc_rp.maxactive = max_t(int, 64, 8 * num_possible_cpus());
	ret = register_kretprobe(&kmp_vmalloc_rp);
	if (ret) {
		pr_err("cannot probe %s: %d\n", TK_VMALLOC_SYM, ret);
		goto unprobe_vfree;
	}
	ret = tk_register_feature(&kmp_feature);
	if (ret) {
		pr_err("cannot register with tkcore: %d\n", ret);
		goto unprobe_vmalloc;
	}
	pr_info("tracking %s()/vfree(), up to %u blocks\n", TK_VMALLOC_SYM,
		max_blocks);
	return 0;

unprobe_vmalloc:
	unregister_kretprobe(&kmp_vmalloc_rp);
unprobe_vfree:
	unregister_kprobe(&kmp_vfree_kp);
free:
	kmp_free_tracking();
	return ret;
}

static void __exit kmp_exit(void)
{
	tk_unregister_feature(&kmp_feature);
	unregister_kretprobe(&kmp_vmalloc_rp);
	unregister_kprobe(&kmp_vfree_kp);
	tk_textfile_destroy(&kmp_leaks.tf);
	tk_textfile_destroy(&kmp_leaks_ext.tf);
	kmp_scan_free(kmp_leaks.res);
	kmp_scan_free(kmp_leaks_ext.res);
	kmp_free_tracking();
}

module_init(kmp_init);
module_exit(kmp_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Kernel Telemetry Kit developers");
MODULE_DESCRIPTION("Kernel memory profiler: vmalloc/vfree leak detection");
MODULE_VERSION(TK_VERSION);
