// SPDX-License-Identifier: GPL-2.0
/*
 * textfile.c - read-only sysfs files whose text may run past one page.
 *
 * A sysfs show() method gets one page.  Statistics of 256 functions or a list
 * of 5,000 leak records do not fit, so such files are binary attributes whose
 * read() serves any offset.  tk_textfile does the bookkeeping: a read at
 * offset 0 calls the feature's fill() once to produce the whole text, keeps
 * it for that open file, and serves every later read of the same open file
 * from it.  A reader taking the file in small chunks thus sees one consistent
 * text, produced exactly once per pass (kmp scans memory only then).
 *
 * sysfs gives binary attributes no open/release hooks, so texts are keyed by
 * the struct file and dropped when the reader reaches end of file, when more
 * than TK_TEXT_READERS readers are mid-way, or after TK_TEXT_AGE of disuse.
 * A reader whose text was dropped mid-way gets a fresh one.  The buffer of a
 * dropped text, if at most TK_TEXT_SPARE, is kept as the textfile's spare for
 * the next pass, which then needs no allocation (one spare per textfile, the
 * largest so kept, freed by tk_textfile_destroy()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <tkcore/tkcore.h>

#define TK_TEXT_READERS	16
#define TK_TEXT_AGE	(60 * HZ)
#define TK_TEXT_MIN	PAGE_SIZE
#define TK_TEXT_MAX	(64 << 20)
#define TK_TEXT_SPARE	(4 << 20)

struct tk_text_reader {
	struct list_head node;
	const struct file *filp;
	char *buf;
	size_t size;		/* of buf */
	size_t len;
	unsigned long used;	/* jiffies of the last read */
};

/**
 * tk_text_printf() - append formatted text to a tk_text
 * @t: the text being filled
 * @fmt: printf format
 *
 * Text that does not fit marks @t overflowed; tk_textfile then calls the
 * fill() method again with a buffer twice as large.
 */
void tk_text_printf(struct tk_text *t, const char *fmt, ...)
{
	va_list args;
	size_t room;
	int n;

	if (t->overflow)
		return;
	room = t->size - t->len;
	va_start(args, fmt);
	n = vsnprintf(t->buf + t->len, room, fmt, args);
	va_end(args);
	if (n < 0 || (size_t)n >= room) {
		t->overflow = true;
		return;
	}
	t->len += n;
}
EXPORT_SYMBOL_GPL(tk_text_printf);

/**
 * tk_textfile_init() - prepare a tk_textfile before its attribute is created
 * @tf: the textfile, with @tf->fill set
 */
void tk_textfile_init(struct tk_textfile *tf)
{
	mutex_init(&tf->lock);
	INIT_LIST_HEAD(&tf->readers);
	tf->nr_readers = 0;
	tf->spare = NULL;
	tf->spare_size = 0;
}
EXPORT_SYMBOL_GPL(tk_textfile_init);

/* Keep @buf as the spare of @tf if it is the largest fit, else free it. */
static void tk_text_keep(struct tk_textfile *tf, char *buf, size_t size)
{
	if (buf && size <= TK_TEXT_SPARE &&
	    (!tf->spare || size > tf->spare_size)) {
		kvfree(tf->spare);
		tf->spare = buf;
		tf->spare_size = size;
	} else {
		kvfree(buf);
	}
}

static void tk_reader_free(struct tk_textfile *tf, struct tk_text_reader *r)
{
	list_del(&r->node);
	tf->nr_readers--;
	tk_text_keep(tf, r->buf, r->size);
	kfree(r);
}

/* Produce the whole text, growing the buffer until it fits. */
static int tk_textfile_fill(struct tk_textfile *tf, struct tk_text_reader *r)
{
	struct tk_text t = { };
	size_t size = TK_TEXT_MIN;
	int ret;

	if (tf->size_hint)
		size = clamp_t(size_t, tf->size_hint(tf), TK_TEXT_MIN, TK_TEXT_MAX);
	for (;;) {
		if (tf->spare && tf->spare_size >= size) {
			t.buf = tf->spare;
			size = tf->spare_size;
			tf->spare = NULL;
		} else {
			t.buf = kvmalloc(size, GFP_KERNEL);
			if (!t.buf)
				return -ENOMEM;
		}
		t.size = size;
		t.len = 0;
		t.overflow = false;
		ret = tf->fill(tf, &t);
		if (ret) {
			tk_text_keep(tf, t.buf, size);
			return ret;
		}
		if (!t.overflow)
			break;
		tk_text_keep(tf, t.buf, size);
		if (size >= TK_TEXT_MAX)
			return -EFBIG;
		size *= 2;
	}
	tk_text_keep(tf, r->buf, r->size);
	r->buf = t.buf;
	r->size = size;
	r->len = t.len;
	return 0;
}

/**
 * tk_textfile_read() - the read() method of a tk_textfile's bin_attribute
 * @tf: the textfile
 * @filp: the open file, as passed to the bin_attribute's read()
 * @buf: destination
 * @off: offset in the text
 * @count: bytes wanted
 *
 * Context: process context; may sleep.  Reads of one textfile are serialised.
 * Return: bytes copied, 0 at end of text, or a negative errno from fill(),
 * -ENOMEM, or -EFBIG for a text over 64 MiB.
 */
ssize_t tk_textfile_read(struct tk_textfile *tf, struct file *filp, char *buf,
			 loff_t off, size_t count)
{
	struct tk_text_reader *r = NULL, *it, *tmp;
	ssize_t ret;

	mutex_lock(&tf->lock);
	list_for_each_entry_safe(it, tmp, &tf->readers, node) {
		if (it->filp == filp)
			r = it;
		else if (time_after(jiffies, it->used + TK_TEXT_AGE))
			tk_reader_free(tf, it);
	}
	if (!r) {
		if (tf->nr_readers >= TK_TEXT_READERS)
			tk_reader_free(tf, list_last_entry(&tf->readers,
							   struct tk_text_reader,
							   node));
		r = kzalloc(sizeof(*r), GFP_KERNEL);
		if (!r) {
			ret = -ENOMEM;
			goto unlock;
		}
		r->filp = filp;
		list_add(&r->node, &tf->readers);
		tf->nr_readers++;
		ret = tk_textfile_fill(tf, r);
		if (ret)
			goto drop;
	} else if (off == 0) {
		ret = tk_textfile_fill(tf, r);
		if (ret)
			goto drop;
	}
	r->used = jiffies;
	/* Most recently used first: eviction takes the tail. */
	list_move(&r->node, &tf->readers);
	if (off >= r->len) {
		ret = 0;
		goto drop;
	}
	ret = min_t(size_t, count, r->len - off);
	memcpy(buf, r->buf + off, ret);
	goto unlock;
drop:
	tk_reader_free(tf, r);
unlock:
	mutex_unlock(&tf->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(tk_textfile_read);

/**
 * tk_textfile_destroy() - free what a tk_textfile keeps
 * @tf: the textfile
 *
 * Call after the attribute has been removed (tk_unregister_feature()), when
 * no read can be running.
 */
void tk_textfile_destroy(struct tk_textfile *tf)
{
	struct tk_text_reader *r, *tmp;

	list_for_each_entry_safe(r, tmp, &tf->readers, node)
		tk_reader_free(tf, r);
	kvfree(tf->spare);
	tf->spare = NULL;
}
EXPORT_SYMBOL_GPL(tk_textfile_destroy);
