// SPDX-License-Identifier: GPL-2.0
/*
 * tksample.c - a sample producer of tkcore's telemetry event API, for the
 * tests (tests/stack/t-events.sh), the benchmark and the demo.
 *
 * At load it registers the producer 5a3b1e0c-7d2f-4c8e-9b61-0e4f2a7c9d13
 * ("tksample", 1.0.0).  The root-only file /sys/class/qeexo/tksample/control
 * takes one command per write:
 *
 *   emit N [EVENT]   begin a session "emit", emit N messages EVENT (default
 *                    "sample") with the payload {"seq":I,"n":N} for I = 1..N,
 *                    end the session; the write fails with the first error
 *   emit_bad KIND    make one invalid call; the write fails with the errno
 *                    the API gave (EPROTO if it accepted the call).  KIND:
 *                    uuid name version exists event json big nosession end
 *                    twice unregistered handle
 *   stream_start     a kernel thread emits {"seq":I} in a session "stream"
 *   stream_stop      as fast as it can until stopped (or unload)
 *   bench_msg N      time N tk_telemetry_msg() calls with a fixed payload
 *   bench_plain N    time N calls of the plain tracepoint tksample:plain,
 *                    whose fields are those of qeexo:msg
 *
 * last_ns shows the mean ns per call of the last bench_* command, with
 * two decimals.  The <tkcore/native.h> names are used by the
 * "unregistered" case.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <tkcore/tkcore.h>
#include <tkcore/native.h>
#include <tkcore/version.h>
#include "sample_cmd.h"

#define CREATE_TRACE_POINTS
#include "tksample_trace.h"

#define TKS_UUID	"5a3b1e0c-7d2f-4c8e-9b61-0e4f2a7c9d13"
#define TKS_UUID2	"5a3b1e0c-7d2f-4c8e-9b61-0e4f2a7c9d14"
#define TKS_CTL_MAX	64
#define TKS_EMIT_MAX	10000000
#define TKS_BENCH_PAYLOAD	"{\"seq\":123456,\"src\":\"bench\"}"

static struct tk_producer *tks_prod;
/* Serialises the commands and the stream thread's start and stop. */
static DEFINE_MUTEX(tks_lock);
static struct task_struct *tks_stream;
static u64 tks_last_ns100;	/* last bench: ns per call x 100 */
static struct tk_feature tks_feature;

/*
 * emit N: stops early, ending the session, with -ENODEV when the module is
 * being unloaded (its unload waits for this write) or -EINTR on a fatal
 * signal, checked every 256 messages.
 */
static int tks_emit(u32 n, const char *event)
{
	char buf[48];
	u32 i;
	int ret, ret2;

	ret = tk_telemetry_session_begin(tks_prod, "emit");
	if (ret)
		return ret;
	for (i = 1; i <= n; i++) {
		snprintf(buf, sizeof(buf), "{\"seq\":%u,\"n\":%u}", i, n);
		ret = tk_telemetry_msg(tks_prod, event, buf);
		if (ret)
			break;
		if (!(i & 255)) {
			ret = tk_feature_yield(&tks_feature);
			if (ret)
				break;
		}
	}
	ret2 = tk_telemetry_session_end(tks_prod);
	return ret ?: ret2;
}

/* Expect @ret < 0 from an invalid call: pass it on, or -EPROTO. */
static int tks_expect_err(int ret)
{
	return ret < 0 ? ret : -EPROTO;
}

static int tks_emit_bad(const char *kind)
{
	struct tk_producer *p;
	char *big;
	int ret, ret2;

	if (!strcmp(kind, "uuid") || !strcmp(kind, "name") ||
	    !strcmp(kind, "version") || !strcmp(kind, "exists")) {
		if (!strcmp(kind, "uuid"))
			p = tk_telemetry_register("5a3b1e0c-7d2f-4c8e-9b61",
						  "bad", "1.0.0");
		else if (!strcmp(kind, "name"))
			p = tk_telemetry_register(TKS_UUID2,
						  "a_name_of_thirty_two_characters_",
						  "1.0.0");
		else if (!strcmp(kind, "version"))
			p = tk_telemetry_register(TKS_UUID2, "bad", "1.0");
		else
			p = tk_telemetry_register(TKS_UUID, "again", "1.0.0");
		if (!IS_ERR(p)) {
			tk_telemetry_unregister(p);
			return -EPROTO;
		}
		return PTR_ERR(p);
	}
	if (!strcmp(kind, "nosession"))
		return tks_expect_err(tk_telemetry_msg(tks_prod, "x", "{}"));
	if (!strcmp(kind, "end"))
		return tks_expect_err(tk_telemetry_session_end(tks_prod));
	if (!strcmp(kind, "handle"))
		return tks_expect_err(tk_telemetry_msg(NULL, "x", "{}"));
	if (!strcmp(kind, "unregistered")) {
		ret = register_telemetry(TKS_UUID2, "gone", "1.0.0");
		if (!ret)
			ret = unregister_telemetry(TKS_UUID2);
		if (ret)
			return ret;
		return tks_expect_err(telemetry_msg(TKS_UUID2, "x", "{}"));
	}

	/* The rest are calls inside a session. */
	ret = tk_telemetry_session_begin(tks_prod, "bad");
	if (ret)
		return ret;
	if (!strcmp(kind, "event")) {
		ret = tk_telemetry_msg(tks_prod, "no spaces", "{}");
	} else if (!strcmp(kind, "json")) {
		/* A bare key is not JSON. */
		ret = tk_telemetry_msg(tks_prod, "x", "{ hello_world: true }");
	} else if (!strcmp(kind, "big")) {
		/* A valid object, one byte over the limit. */
		big = kmalloc(TK_EV_PAYLOAD_MAX + 2, GFP_KERNEL);
		if (big) {
			memset(big, ' ', TK_EV_PAYLOAD_MAX + 1);
			big[0] = '{';
			big[TK_EV_PAYLOAD_MAX] = '}';
			big[TK_EV_PAYLOAD_MAX + 1] = 0;
			ret = tk_telemetry_msg(tks_prod, "x", big);
			kfree(big);
		} else {
			ret = -ENOMEM;
		}
	} else if (!strcmp(kind, "twice")) {
		ret = tk_telemetry_session_begin(tks_prod, "again");
	} else {
		ret = -EINVAL;	/* unknown kind: a plain usage error */
		tk_telemetry_session_end(tks_prod);
		return ret;
	}
	ret2 = tk_telemetry_session_end(tks_prod);
	return ret2 ?: tks_expect_err(ret);
}

static int tks_stream_fn(void *arg)
{
	char buf[32];
	u64 i = 0;
	int ret;

	ret = tk_telemetry_session_begin(tks_prod, "stream");
	while (!kthread_should_stop()) {
		if (!ret) {
			snprintf(buf, sizeof(buf), "{\"seq\":%llu}", ++i);
			tk_telemetry_msg(tks_prod, "stream", buf);
		}
		if (ret || !(i & 63))
			cond_resched();
		if (ret)
			schedule_timeout_interruptible(HZ / 10);
	}
	if (!ret)
		tk_telemetry_session_end(tks_prod);
	return 0;
}

static void tks_stream_stop(void)
{
	lockdep_assert_held(&tks_lock);
	if (tks_stream) {
		kthread_stop(tks_stream);
		tks_stream = NULL;
	}
}

static int tks_bench(bool plain, u32 n)
{
	u64 t0, t;
	u32 i;
	int ret = 0;

	if (!plain) {
		ret = tk_telemetry_session_begin(tks_prod, "bench");
		if (ret)
			return ret;
	}
	t0 = ktime_get_ns();
	for (i = 0; i < n && !ret; i++) {
		if (plain)
			trace_plain(TKS_UUID, 1, "bench", TKS_BENCH_PAYLOAD);
		else
			ret = tk_telemetry_msg(tks_prod, "bench",
					       TKS_BENCH_PAYLOAD);
	}
	t = ktime_get_ns() - t0;
	if (!plain)
		tk_telemetry_session_end(tks_prod);
	if (!ret)
		WRITE_ONCE(tks_last_ns100, div_u64(t * 100, n));
	return ret;
}

/* ---- files ---- */

static ssize_t control_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	char cmd[TKS_CTL_MAX + 1], *arg, *arg2;
	u32 n;
	int ret;

	ret = tk_sample_cmd(buf, count, cmd, TKS_CTL_MAX, &arg, &arg2);
	if (ret)
		return ret;

	mutex_lock(&tks_lock);
	if (!strcmp(cmd, "stream_start") && !arg) {
		ret = tks_stream ? -EBUSY : 0;
		if (!ret) {
			tks_stream = kthread_run(tks_stream_fn, NULL,
						 "tksample_stream");
			if (IS_ERR(tks_stream)) {
				ret = PTR_ERR(tks_stream);
				tks_stream = NULL;
			}
		}
	} else if (!strcmp(cmd, "stream_stop") && !arg) {
		ret = tks_stream ? 0 : -ESRCH;
		tks_stream_stop();
	} else if (!strcmp(cmd, "emit_bad") && arg && !arg2) {
		ret = tks_emit_bad(arg);
	} else if ((!strcmp(cmd, "emit") || !strcmp(cmd, "bench_msg") ||
		    !strcmp(cmd, "bench_plain")) && arg &&
		   (!arg2 || !strcmp(cmd, "emit"))) {
		ret = tk_parse_u32_range(arg, strlen(arg), 1, TKS_EMIT_MAX, &n);
		if (!ret && !strcmp(cmd, "emit"))
			ret = tks_emit(n, arg2 ?: "sample");
		else if (!ret)
			ret = tks_bench(!strcmp(cmd, "bench_plain"), n);
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&tks_lock);
	return ret ?: count;
}
static DEVICE_ATTR_WO(control);

static ssize_t last_ns_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	u64 v = READ_ONCE(tks_last_ns100);

	return sysfs_emit(buf, "%llu.%02llu\n", div_u64(v, 100),
			  v - div_u64(v, 100) * 100);
}
static DEVICE_ATTR_RO(last_ns);

static struct attribute *tks_attrs[] = {
	&dev_attr_control.attr,
	&dev_attr_last_ns.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tks);

static struct tk_feature tks_feature = {
	.name = "tksample",
	.owner = THIS_MODULE,
	.groups = tks_groups,
};

static int __init tks_init(void)
{
	int ret;

	tks_prod = tk_telemetry_register(TKS_UUID, "tksample", TK_VERSION);
	if (IS_ERR(tks_prod))
		return PTR_ERR(tks_prod);
	ret = tk_register_feature(&tks_feature);
	if (ret)
		tk_telemetry_unregister(tks_prod);
	return ret;
}

static void __exit tks_exit(void)
{
	/* No command runs once the files are gone; then stop the stream. */
	tk_unregister_feature(&tks_feature);
	mutex_lock(&tks_lock);
	tks_stream_stop();
	mutex_unlock(&tks_lock);
	tk_telemetry_unregister(tks_prod);
}

module_init(tks_init);
module_exit(tks_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Kernel Telemetry Kit developers");
MODULE_DESCRIPTION("Sample producer of tkcore's telemetry events");
MODULE_VERSION(TK_VERSION);
