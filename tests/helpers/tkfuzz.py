#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tkfuzz - fuzzing and load/unload stress of the module stack, for the
debug-kernel tests tests/stack/d-fuzz.sh and tests/stack/d-stress.sh.

  tkfuzz.py list w|r               the writable (r: readable) files of our
                                   modules, found by mode bits
  tkfuzz.py fuzz N SEED            N inputs to every writable file, in one
                                   shuffled sequence of pwrite(2)s; prints
                                   per-file counts and errnos, and
                                   "total=T files=F min=M bad=B"
  tkfuzz.py read STOPFILE [rescan] random reads of every readable file until
                                   STOPFILE exists; prints "reads=.. errors=.."
  tkfuzz.py hammer STOPFILE        getpid() and read() until STOPFILE exists
  tkfuzz.py shapes                 every readable file reads whole and has
                                   the expected line shape
  tkfuzz.py stress MODDIR N SEED   N cycles: load and unload every module in
                                   random order, asserting each step's outcome
Exit status 0 when every check held.
"""
import ctypes
import errno
import os
import random
import re
import sys
import time

QX = "/sys/class/qeexo"
MODS = ["tkcore", "krp", "kmp", "irqstat", "tksample", "leaksim"]
PAGE = 4096
# Never read by the random readers: memleaks scans whatever range the fuzzer
# just wrote to scan_start_addr/scan_end_addr (the whole address space, a
# poisoned KASAN redzone); the events device blocks.
NO_RANDOM_READ = re.compile(r"/memleaks(_ext)?$|^/dev/")


def roots():
    try:    # (the class goes with tkcore, also between a check and the listing)
        r = [os.path.join(QX, d) for d in sorted(os.listdir(QX))]
    except OSError:
        r = []
    r.append("/sys/kernel/telemetry")
    r += ["/sys/module/%s/parameters" % m for m in MODS]
    return r


def discover(bits):
    """Files of ours whose mode has any of @bits (0o222 or 0o444); files
    that vanish meanwhile (a module unloading) are left out."""
    out = []
    for d in roots() + ["/proc"]:
        try:
            names = ["telemetry", "kmonpro"] if d == "/proc" else sorted(os.listdir(d))
        except OSError:
            continue
        for n in names:
            p = os.path.join(d, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if (st.st_mode & 0o170000) == 0o100000 and st.st_mode & bits:
                out.append(p)
    return out


def ename(e):
    return errno.errorcode.get(e, str(e)) if e else "ok"


# ---- models of the kernel's parsers (core/tk_parse.c) ----

def _digit(c, base):
    ch = chr(c)
    d = int(ch, 16) if ch in "0123456789abcdefABCDEF" else -1
    return d if d < base else -1


def parse_u64(b, base=10):
    """(errno, value) as tk_parse_u64() returns them."""
    if b.endswith(b"\n"):
        b = b[:-1]
    if not b:
        return errno.EINVAL, None
    i = 2 if base == 16 and len(b) > 2 and b[0:1] == b"0" and b[1:2] in b"xX" else 0
    val = 0
    for j in range(i, len(b)):
        d = _digit(b[j], base)
        if d < 0:
            return errno.EINVAL, None
        if val > ((1 << 64) - 1 - d) // base:
            if any(_digit(c, base) < 0 for c in b[j + 1:]):
                return errno.EINVAL, None
            return errno.ERANGE, None
        val = val * base + d
    return 0, val


def u32_range(lo, hi):
    def model(b):
        e, v = parse_u64(b)
        if e:
            return e, None
        return (0, v) if lo <= v <= hi else (errno.ERANGE, None)
    return model


class KmpModel:
    """scan_start_addr/scan_end_addr (kmp.c): the range state, exactly."""

    def __init__(self):
        self.start = self.end = None

    def parse(self, b):
        e, v = parse_u64(b, 16)
        if e:
            return e, None
        if v % 8 or v > (1 << 64) - 1:
            return errno.EINVAL, None
        return 0, v

    def start_w(self, b):
        e, v = self.parse(b)
        if e:
            return e
        self.start = v
        if self.end is not None and self.end <= v:
            self.end = None
        return 0

    def end_w(self, b):
        e, v = self.parse(b)
        if e:
            return e
        if not v or (self.start is not None and v <= self.start):
            return errno.EINVAL
        self.end = v
        return 0


# ---- grammars of the command files ----
# Each returns the errno the module's (or the driver core's) parser gives an
# input that is not valid in the file's grammar, or None for a valid one
# (whose outcome then depends on state: an unknown symbol, a full array,
# ...).  A write the grammar rejects must fail with that errno: an accepted
# garbage write is bad.

KRP_NAME_MAX = 127	# krp/krp_util.h
KRP_MAX_FUNCS = 1024	# krp/krp_main.c
KRP_NAME_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def krp_funcs_syntax(b):
    """krp's funcs (krp_main.c funcs_write, krp_util.c): "add LIST",
    "del LIST", "reset" or "reset LIST", one optional trailing newline;
    LIST is NAME[,NAME]... of [A-Za-z0-9_.]{1,127}, no name twice (a second
    trailing newline is dropped with the list's)."""
    if len(b) >= PAGE:
        return errno.E2BIG
    if b.endswith(b"\n"):
        b = b[:-1]
    for w, needs in ((b"add", True), (b"del", True), (b"reset", False)):
        if not b.startswith(w):
            continue
        if len(b) == len(w):
            return errno.EINVAL if needs else None
        if b[len(w):len(w) + 1] != b" " or len(b) == len(w) + 1:
            return errno.EINVAL
        args = b[len(w) + 1:]
        break
    else:
        return errno.EINVAL
    if args.endswith(b"\n"):
        args = args[:-1]
    if not args:
        return None
    seen = []
    for name in args.split(b","):
        if not name or any(c not in KRP_NAME_CHARS for c in name):
            return errno.EINVAL
        if len(name) > KRP_NAME_MAX:
            return errno.ENAMETOOLONG
        if len(seen) == KRP_MAX_FUNCS:
            return errno.E2BIG
        if name in seen:
            return errno.EINVAL
        seen.append(name)
    return None


LEAKSIM_CTL_MAX = 64	# leaksim/leaksim.c
LEAKSIM_CMDS = {b"free": 0, b"kmalloc_dropped": 4096, b"kmalloc_held": 4096,
                b"vmalloc_dropped": 4096, b"vmalloc_held": 4096, b"region": 1024,
                b"region_fill": (1 << 32) - 1}


def leaksim_syntax(b):
    """leaksim's control (leaksim_parse()): "free", or "CMD N" with N a
    decimal in 0..max of CMD, one optional trailing newline, at most 64
    bytes."""
    if len(b) > LEAKSIM_CTL_MAX:
        return errno.EINVAL
    s = b[:-1] if b.endswith(b"\n") else b
    sp = s.find(b" ")
    name = s if sp < 0 else s[:sp]
    if name not in LEAKSIM_CMDS:
        return errno.EINVAL
    mx = LEAKSIM_CMDS[name]
    if not mx:
        return errno.EINVAL if sp >= 0 else None
    if sp < 0:
        return errno.EINVAL
    e, _ = u32_range(0, mx)(b[sp + 1:])	# the number with the newline, if any
    return e or None


TKS_CTL_MAX = 64	# samples/tksample.c
TKS_EMIT_MAX = 10000000


def tksample_syntax(b):
    """tksample's control (control_store()): "stream_start", "stream_stop",
    "emit_bad KIND", "emit N [EVENT]", "bench_msg N", "bench_plain N" with
    N a decimal in 1..10^7, one optional trailing newline, no NUL, at most
    64 bytes.  The words split at the first two spaces; EVENT is the rest.
    emit_bad never succeeds (EPROTO when its invalid call was accepted)."""
    if len(b) > TKS_CTL_MAX or b"\x00" in b:
        return errno.EINVAL
    if b.endswith(b"\n"):
        b = b[:-1]
    cmd, sp, rest = b.partition(b" ")
    arg, sp2, arg2 = rest.partition(b" ")
    if cmd in (b"stream_start", b"stream_stop") and not sp:
        return None
    if cmd == b"emit_bad" and sp and not sp2:
        return None
    if cmd in (b"emit", b"bench_msg", b"bench_plain") and sp and (not sp2 or cmd == b"emit"):
        e, _ = u32_range(1, TKS_EMIT_MAX)(arg)
        return e or None
    return errno.EINVAL


UEVENT_ACTIONS_OK = (b"add", b"remove", b"change", b"move", b"online", b"offline", b"bind",
                     b"unbind")
HEX = frozenset(b"0123456789abcdefABCDEF")


def k_isalnum(c):
    """The kernel's isalnum() (lib/ctype.c: ASCII, plus Latin-1 letters)."""
    return (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5a or 0x61 <= c <= 0x7a or
            (0xc0 <= c <= 0xff and c not in (0xd7, 0xf7)))


def uevent_syntax(b):
    """The driver core's uevent (uevent_store(), kobject_synth_uevent() of
    lib/kobject_uevent.c): ACTION [UUID [KEY=VALUE]...], ACTION one of
    add remove change move online offline bind unbind, then one space and a
    UUID (8-4-4-4-12 hex digits), each pair after one space, KEY and VALUE
    [A-Za-z0-9]+ (the kernel's isalnum()); one trailing newline or NUL
    dropped (before the arguments once more)."""
    n = len(b)
    if n and b[n - 1] in (0x0a, 0x00):
        n -= 1
    if not n:
        return errno.EINVAL
    sp = None
    for i in range(n):	# strnchr(): stops at a NUL
        if b[i] == 0:
            break
        if b[i] == 0x20:
            sp = i
            break
    if b[:sp if sp is not None else n] not in UEVENT_ACTIONS_OK:
        return errno.EINVAL
    if sp is None:
        return None
    a = b[sp + 1:]
    m = len(a)
    if m and a[m - 1] in (0x0a, 0x00):
        m -= 1
    if m < 36 or not all(a[i] == 0x2d if i in (8, 13, 18, 23) else a[i] in HEX for i in range(36)):
        return errno.EINVAL
    i, end = 36, m - 1
    while i <= end:
        if a[i] != 0x20:
            return errno.EINVAL
        i += 1
        for delim in (0x3d, 0x20):	# KEY up to '=', VALUE up to ' ' or the end
            j = i
            while j <= end and a[j] != delim:
                if not k_isalnum(a[j]):
                    return errno.EINVAL
                j += 1
            if j == i or (delim == 0x3d and j > end):
                return errno.EINVAL
            i = j + 1 if delim == 0x3d else j
            if delim == 0x3d and i > end:
                return errno.EINVAL
    return None


# ---- inputs ----

NUMS = [b"0", b"1", b"-1", b"-0", b"+0", b"+1", b"2", b"3600", b"3601", b"100",
        b"101", b"4096", b"4097", b"1024", b"1025", b"2147483647", b"2147483648",
        b"-2147483648", b"4294967295", b"4294967296", b"9223372036854775807",
        b"9223372036854775808", b"-9223372036854775808", b"18446744073709551615",
        b"18446744073709551616", b"99999999999999999999999999", b"0x1", b"0X10",
        b"0x", b"0xffffffffffffffff", b"0x10000000000000000", b"010", b"0o7",
        b"0b1", b"00000000000000000000001", b"1e3", b"1.5", b".5", b"1,2",
        b"\xef\xbc\x91", b"\xd9\xa1", b"ffffffff", b"FFFF", b"deadbeef8",
        b"0xffffc90000000000", b"0xffff888000000000", b"ffffffffffffffff"]
SUFFIX = [b"", b"\n", b"\n\n", b" ", b"\t", b"\r\n", b"\x00", b"\x00\n", b"x",
          b" 1", b"\n1", b"\v", b"\f", b";", b"\xff"]
PREFIX = [b"", b"", b"", b" ", b"\t", b"\n", b"\x00", b"+", b"-", b"0", b"x"]


def generic(rnd):
    k = rnd.random()
    if k < 0.30:
        return rnd.choice(PREFIX) + rnd.choice(NUMS) + rnd.choice(SUFFIX)
    if k < 0.45:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 48)))
    if k < 0.55:
        return bytes(rnd.choice(b"0123456789 \n-+xX\x00abcdef") for _ in range(rnd.randint(1, 24)))
    if k < 0.60:
        # huge: over a page, or exactly one
        n = rnd.choice([PAGE - 1, PAGE, PAGE + 1, 2 * PAGE, 3 * PAGE + 17, 65536])
        return (rnd.choice([b"1", b"A", b"\x00", b" ", b"0"]) * n)[:n]
    if k < 0.63:
        return b"1" + b"0" * rnd.choice([19, 20, 100, PAGE - 2, PAGE + 10])
    if k < 0.66:
        return rnd.choice([b"", b"\n", b"\x00", b" ", b"\x00" * 8, b"\n" * 3])
    return None	# the file's own grammar


SAFE_FUNCS = ["sys_getpid", "vfs_read", "vfs_write", "sys_getppid", "ksys_read",
              "__x64_sys_getuid", "do_sys_poll"]


def funcs_input(rnd):
    k = rnd.random()
    if k < 0.06:	# valid adds and dels: each a kprobe/fprobe (un)registration
        return ("add " if rnd.random() < 0.5 else "del ").encode() + \
            ",".join(rnd.sample(SAFE_FUNCS, rnd.randint(1, 2))).encode() + rnd.choice([b"", b"\n"])
    w = rnd.choice([b"add", b"del", b"reset", b"ADD", b"add\x00", b"reset ", b"", b"list"])
    names = [rnd.choice([b"sys_getpid", b"no_such_func_x", b"", b" ", b"vfs_read\x00",
                         b"a" * rnd.choice([1, 63, 64, 65, 200]), b"vfs-read", b"sys_",
                         b"krp_fuzz\xff", b"vfs_read,vfs_read", b"+vfs_read",
                         b"vfs_read+0x4", b"0xffffffff81000000", b"%s%n"])
             for _ in range(rnd.randint(0, 4))]
    sep = rnd.choice([b",", b",", b" ", b",,", b"\n", b", "])
    return w + rnd.choice([b" ", b" ", b"  ", b"\t", b""]) + sep.join(names) + rnd.choice(SUFFIX)


# leaksim: the sized commands are capped.  A 1 GiB region or 4096 held
# vmalloc blocks would take the guest's memory.  A dropped block leaks for
# good, and once a kmemleak `clear` has painted it grey its uninitialised
# contents (stale slab pointers) are scanned as references, hiding the very
# leaks d-kmemleak.sh counts: dropping is left to that test (N=0 only here).
LEAKSIM_CAPS = {b"kmalloc_dropped": 0, b"vmalloc_dropped": 0, b"kmalloc_held": 256,
                b"vmalloc_held": 16, b"region": 4, b"region_fill": (1 << 32) - 1}
LEAKSIM_MAX = {b"region": 1024, b"region_fill": (1 << 32) - 1}	# else 4096
LEAKSIM_RE = re.compile(rb"(kmalloc_dropped|vmalloc_dropped|kmalloc_held|vmalloc_held|region|region_fill) ([0-9]+)\n?\Z")


def leaksim_input(rnd):
    if rnd.random() < 0.5:
        c = rnd.choice(list(LEAKSIM_CAPS) + [b"free", b"KMALLOC_HELD", b"region_fil", b"frees"])
        arg = rnd.choice([b"", b" " + rnd.choice(NUMS), b" " + str(rnd.randint(0, 8)).encode(),
                          b" " + str(rnd.randint(0, 8)).encode(), b"  1", b" 1 2", b" \n"])
        return c + arg + rnd.choice(SUFFIX)
    return generic(rnd) or b"free\n"


def leaksim_safe(b):
    """Rewrite an accepted sized command whose N is over its cap."""
    m = LEAKSIM_RE.match(b)
    if not m:
        return b
    cap = LEAKSIM_CAPS[m.group(1)]
    n = int(m.group(2))
    if n <= cap or n > LEAKSIM_MAX.get(m.group(1), 4096):
        return b	# harmless, or out of range (ERANGE)
    return m.group(1) + b" " + str(n % (cap + 1)).encode() + (b"\n" if b.endswith(b"\n") else b"")


TKS_RE = re.compile(rb"(emit|bench_msg|bench_plain) ([0-9]+)")
TKS_CAP = 2000	# emit/bench N up to 10^7 are valid but take minutes here


def tksample_input(rnd):
    if rnd.random() < 0.5:
        c = rnd.choice([b"stream_start", b"stream_stop", b"emit", b"bench_msg", b"bench_plain",
                        b"emit_bad", b"EMIT", b"emit_"])
        arg = rnd.choice([b"", b" " + rnd.choice(NUMS), b" " + str(rnd.randint(1, 50)).encode(),
                          b" 3 ev", b" 2 bad name", b" 1 " + b"e" * 40,
                          b" " + rnd.choice([b"uuid", b"name", b"version", b"exists", b"nosession",
                                             b"end", b"handle", b"unregistered", b"event",
                                             b"json", b"big", b"twice", b"other"])])
        return c + arg + rnd.choice(SUFFIX)
    return generic(rnd) or b"stream_stop"


def tksample_safe(b):
    m = TKS_RE.match(b)
    if m and TKS_CAP < int(m.group(2)) <= 10000000:
        return b[:m.start(2)] + str(int(m.group(2)) % TKS_CAP + 1).encode() + b[m.end(2):]
    return b


UEVENT_ACTIONS = [b"add", b"remove", b"change", b"move", b"online", b"offline", b"bind",
                  b"unbind", b"change 1b4e28ba-2fa1-11d2-883f-0016d3cca427 A=1",
                  b"change zzz", b"change 1b4e28ba-2fa1-11d2-883f-0016d3cca427 =",
                  b"change 1b4e28ba-2fa1-11d2-883f-0016d3cca427 " + b"K=V " * 40]


class Target:
    def __init__(self, path, rnd):
        self.path = path
        self.model = None	# bytes -> (errno, value): exact expected outcome
        self.syntax = None	# bytes -> errno of an input the grammar rejects, None if valid
        self.never_ok = lambda b: False	# valid inputs that must fail all the same
        self.readback = None	# a file whose content a rejected write must not change
        self.extra = lambda r: None
        self.safe = lambda b: b
        self.allowed = {errno.EINVAL, errno.ERANGE}
        self.counts = {}
        self.n = 0
        self.secs = 0.0
        base = os.path.basename(path)
        parent = os.path.basename(os.path.dirname(path))
        rw = os.stat(path).st_mode & 0o444
        if base == "enable" or base == "procnet":
            self.model = u32_range(0, 1)
            self.extra = lambda r: r.choice([b"0", b"1", b"0\n", b"1\n"])
        elif base == "log_interval":
            self.model = u32_range(1, 3600)
            self.extra = lambda r: str(r.choice([1, 2, 5, 3599, 3600, 3601, 0])).encode() + r.choice([b"", b"\n"])
        elif base == "top_n":
            self.model = u32_range(1, 100)
            self.extra = lambda r: str(r.randint(0, 101)).encode() + r.choice([b"", b"\n"])
        elif base in ("snapshot", "reset"):
            self.model = u32_range(1, 1)
            self.extra = lambda r: r.choice([b"1", b"1\n", b"01", b"2"])
        elif base in ("scan_start_addr", "scan_end_addr"):
            self.extra = lambda r: r.choice([b"", b"0x", b"0X"]) + ("%x" % (r.getrandbits(64) & ~r.choice([0, 7]))).encode() + r.choice([b"", b"\n"])
        elif base == "funcs":
            self.extra = funcs_input
            self.syntax = krp_funcs_syntax
            self.allowed = {errno.EINVAL, errno.E2BIG, errno.ENOENT, errno.EEXIST, errno.ENOSPC,
                            errno.ENAMETOOLONG, errno.ERANGE}
        elif base == "control" and parent == "leaksim":
            self.extra = leaksim_input
            self.safe = leaksim_safe
            self.syntax = leaksim_syntax
            # ENXIO: region_fill without a region; ENOSPC: the held array is full
            self.allowed = {errno.EINVAL, errno.ERANGE, errno.ENXIO, errno.ENOSPC}
            self.readback = [os.path.join(os.path.dirname(path), f) for f in
                             ("kmalloc_dropped", "vmalloc_dropped", "kmalloc_held", "vmalloc_held")]
        elif base == "control" and parent == "tksample":
            self.extra = tksample_input
            self.safe = tksample_safe
            self.syntax = tksample_syntax
            self.never_ok = lambda b: b.startswith(b"emit_bad ")
            # emit_bad passes on the errno of the invalid call it made, or
            # EPROTO when the call was accepted: with no consumer attached
            # (none here) a bad event name or payload is not read, so
            # "emit_bad event|json|big" give EPROTO; "nosession" and "end"
            # give ENOTCONN.
            self.allowed = {errno.EINVAL, errno.ERANGE, errno.EBUSY, errno.ESRCH, errno.ENOENT,
                            errno.ENOTCONN, errno.EPROTO,
                            errno.EEXIST, errno.EMSGSIZE, errno.EBADF, errno.EBADMSG,
                            errno.EALREADY, errno.E2BIG, errno.ENOSPC, errno.ENAMETOOLONG}
            self.readback = [os.path.join(os.path.dirname(path), "last_ns")]
        elif base == "uevent":
            self.extra = lambda r: r.choice(UEVENT_ACTIONS) + r.choice(SUFFIX)
            self.syntax = uevent_syntax
            self.allowed = {errno.EINVAL, errno.ENODEV}
        if rw and self.readback is None:
            self.readback = [path]

    def gen(self, rnd):
        b = generic(rnd)
        if b is None:
            b = self.extra(rnd)
        if b is None:
            b = rnd.choice(NUMS)
        return self.safe(b)


_rfds = {}


def rd(p):
    """Whole content of a small sysfs file (one fd per file, pread at 0)."""
    try:
        if p not in _rfds:
            _rfds[p] = os.open(p, os.O_RDONLY)
        return os.pread(_rfds[p], PAGE, 0)
    except OSError as e:
        return "error %s" % ename(e.errno)


def fuzz(per_file, seed):
    """Every writable file gets @per_file inputs, the driver core's uevent
    files of our devices included."""
    rnd = random.Random(seed)
    files = discover(0o222)
    targets = [Target(p, rnd) for p in files]
    kmp = KmpModel()
    seq = [t for t in targets for _ in range(per_file)]
    rnd.shuffle(seq)
    fds = {t.path: os.open(t.path, os.O_WRONLY) for t in targets}
    bad = []
    cache = {}	# read-back values known since the last accepted write
    t0 = time.monotonic()
    for t in seq:
        ts = time.monotonic()
        data = t.gen(rnd)
        before = None
        if t.readback:
            before = [cache[p] if p in cache else rd(p) for p in t.readback]
        try:
            r = os.pwrite(fds[t.path], data, 0)
            e = 0
        except OSError as x:
            r, e = -1, x.errno
        t.n += 1
        t.counts[ename(e)] = t.counts.get(ename(e), 0) + 1
        # sysfs hands a store() at most one page: what the kernel parsed
        sent = data[:PAGE]
        base = os.path.basename(t.path)
        want = None
        if not data:
            want = 0	# sysfs returns 0 without calling store()
        elif t.model:
            want, _ = t.model(sent)
        elif base == "scan_start_addr":
            want = kmp.start_w(sent)
        elif base == "scan_end_addr":
            want = kmp.end_w(sent)
        elif t.syntax:
            want = t.syntax(sent)
            if want is None and not e and t.never_ok(sent):
                bad.append("%s: %r: accepted, but it never succeeds" % (t.path, data[:80]))
        if want is not None and want != e:
            bad.append("%s: %r: got %s, expected %s%s" % (t.path, data[:80], ename(e), ename(want),
                                                          " (not in the file's grammar)" if t.syntax and not t.model else ""))
        elif want is None and e and e not in t.allowed:
            bad.append("%s: %r: unexpected errno %s" % (t.path, data[:80], ename(e)))
        if not e and data and r != len(sent):
            bad.append("%s: %r: wrote %d of %d bytes" % (t.path, data[:80], r, len(sent)))
        if e or not data:
            if before is not None:
                after = [rd(p) for p in t.readback]
                if after != before:
                    bad.append("%s: %r rejected (%s) but changed %s: %r -> %r" % (
                        t.path, data[:80], ename(e), t.readback, before, after))
                cache.update(zip(t.readback, after))
        else:
            cache.clear()
            if t.model and t.readback == [t.path]:
                _, v = t.model(sent)
                got = rd(t.path)
                if got.strip() != str(v).encode():
                    bad.append("%s: %r accepted but reads back %r" % (t.path, data[:80], got))
        t.secs += time.monotonic() - ts
    dt = time.monotonic() - t0
    for fd in fds.values():
        os.close(fd)
    total = sum(t.n for t in targets)
    own = [t for t in targets if not t.path.endswith("/uevent")]
    for t in targets:
        print("# %s: %d writes (%.1f s): %s" % (t.path, t.n, t.secs, " ".join(
            "%s=%d" % kv for kv in sorted(t.counts.items()))))
    for b in bad[:30]:
        print("# BAD " + b)
    print("total=%d files=%d min=%d own_total=%d own_files=%d own_min=%d bad=%d secs=%.0f" % (
        total, len(targets), min(t.n for t in targets) if targets else 0,
        sum(t.n for t in own), len(own), min(t.n for t in own) if own else 0, len(bad), dt))
    return 0 if not bad else 1


def reader(stop, rescan=False):
    """Random reads; with @rescan the file list follows modules coming and
    going (a file vanishing under the reader is then expected)."""
    rnd = random.Random()
    files = []
    n = 0
    errs = {}
    where = {}	# errno name: {file: count}

    def err(p, e):
        errs[ename(e)] = errs.get(ename(e), 0) + 1
        w = where.setdefault(ename(e), {})
        w[p] = w.get(p, 0) + 1

    while not os.path.exists(stop):
        if not files or (rescan and n % 20 == 0):
            files = [p for p in discover(0o444) if not NO_RANDOM_READ.search(p)]
            if not files:
                time.sleep(0.05)
                continue
        p = rnd.choice(files)
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError as e:
            err(p, e.errno)
            continue
        try:
            if rnd.random() < 0.2:
                os.pread(fd, rnd.choice([1, 7, 100, PAGE]), rnd.choice([0, 1, 100, PAGE - 1, PAGE, 1 << 20]))
            else:
                sz = rnd.choice([1, 3, 64, 1000, PAGE, 65536])
                got = 0
                while got < (1 << 20):
                    b = os.read(fd, sz)
                    if not b:
                        break
                    got += len(b)
        except OSError as e:
            err(p, e.errno)
        os.close(fd)
        n += 1
    # Which files gave which errno, for the diagnostics of the caller.
    for name in sorted(where):
        print("# %s: %s" % (name, " ".join("%s=%d" % kv for kv in sorted(where[name].items()))))
    print("reads=%d errors=%d eio=%d %s" % (n, sum(errs.values()), errs.get("EIO", 0),
                                           " ".join("%s=%d" % kv for kv in sorted(errs.items()))))
    return 0


# ---- line shapes of every readable file ----

NUM = r"-?[0-9]+"
KV = r"[a-z_0-9]+=\S*"
SHAPES = [
    (r"/proc/telemetry$", r"(# tkcore \S+( [a-z_]+=\S+)*|seq=[0-9]+( %s)*)" % KV),
    (r"/proc/kmonpro$", r"(kmonpro \S+|cpu|mem|tasks|net|top|nettop|irq|softirq|[a-z_]+)( %s)*( comm=.*)?" % KV),
    (r"/events/producers$", r"[0-9a-f-]{36}( %s)+" % KV),
    (r"/events/rejects$", r"(%s)( %s)*" % (KV, KV)),
    (r"/irqstat/irqs$", r"irq=[0-9]+ name=\S* count=[0-9]+( %s)*" % KV),
    (r"/irqstat/softirqs$", r"vec=[0-9]+ name=\S+ count=[0-9]+( %s)*" % KV),
    (r"/irqstat/vectors$", r"row=[A-Z0-9]+ name=\S+ timed=[01] count=[0-9]+( %s)*" % KV),
    (r"/(held_range|region_range)$", r"(0x[0-9a-f]+ 0x[0-9a-f]+)?"),
    (r"/tksample/last_ns$", r"[0-9]+\.[0-9]{2}"),
    (r"/profiler/funcs$", r"\S+ target=\S+ mech=\S+ state=\S+( %s)*" % KV),
    (r"/profiler/stats$", r"[^:\s]+:[0-9]+:[0-9]+"),
    (r"/profiler/stats_ext$", r"\S+( %s)+" % KV),
    (r"/profiler/memleaks$", r"0x[0-9a-f]+:(possible leak|not freed yet):0x[0-9a-f]+"),
    (r"/profiler/memleaks_ext$", r"(# .*|0x[0-9a-f]+:(possible leak|not freed yet):0x[0-9a-f]+ .*|\t\S.*)"),
    (r"/telemetry/features$", r"\S+ \S+ \S+"),
    (r"/uevent$", r"[A-Z_]+=.*"),
    (r"/parameters/(procnet|enable)$", r"[YN]"),
    (r"/parameters/(funcs|mech)$", r"\S*"),
    (r"/leaksim/vmalloc_pair_ns$|/leaksim/region_read_ns$", r"[0-9]+"),
    (r".", NUM),
]


def shapes():
    bad = 0
    files = discover(0o444)
    for p in files:
        try:
            with open(p, "rb") as f:
                data = f.read()
        except OSError as e:
            # an incomplete scan range (ENODATA) is the only read error allowed
            if p.endswith("memleaks") or p.endswith("memleaks_ext") or e.errno != errno.ENODATA:
                print("# %s: read error %s" % (p, ename(e.errno)))
                bad += 1
            continue
        pat = next(s for r, s in SHAPES if re.search(r, p))
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            print("# %s: not ASCII: %r" % (p, data[:200]))
            bad += 1
            continue
        if text and not text.endswith("\n"):
            print("# %s: no final newline: %r" % (p, text[-100:]))
            bad += 1
        for ln in text.splitlines():
            if not re.fullmatch(pat, ln):
                print("# %s: line %r does not match %r" % (p, ln[:200], pat))
                bad += 1
                break
    print("files=%d bad=%d" % (len(files), bad))
    return 1 if bad else 0


# ---- load/unload stress ----

libc = ctypes.CDLL(None, use_errno=True)
SYS_finit_module = 313	# x86-64
SYS_delete_module = 176


def kload(path, params):
    fd = os.open(path, os.O_RDONLY)
    r = libc.syscall(SYS_finit_module, fd, params.encode(), 0)
    e = ctypes.get_errno() if r else 0
    os.close(fd)
    return e


def kunload(name):
    r = libc.syscall(SYS_delete_module, name.encode(), os.O_NONBLOCK)
    return ctypes.get_errno() if r else 0


STRESS_MODS = {	# name: (path under MODDIR, parameters)
    "tkcore": ("core/tkcore.ko", ""),
    "krp": ("krp/krp.ko", "funcs=sys_getpid,vfs_read"),
    "kmp": ("kmp/kmp.ko", ""),
    "irqstat": ("irqstat/irqstat.ko", ""),
    "tksample": ("samples/tksample.ko", ""),
}


def stress(moddir, cycles, seed):
    """Each cycle loads the modules in a random order: a feature tried
    before tkcore must fail with ENOENT (its symbols do not resolve), the
    rest load once tkcore is in, a second load fails with EEXIST.  Then it
    unloads them in a random order: tkcore while a feature uses it must be
    refused (EAGAIN), a module not loaded gives ENOENT.  Every step's outcome
    is asserted; prints the mean cost of each kind of step and a summary."""
    rnd = random.Random(seed)
    loaded = set()
    steps = bad = 0
    cost = {}
    t0 = time.monotonic()

    def step(kind, m, want):
        nonlocal steps, bad
        t = time.monotonic()
        if kind == "load":
            e = kload(os.path.join(moddir, STRESS_MODS[m][0]), STRESS_MODS[m][1])
        else:
            e = kunload(m)
        c = cost.setdefault((kind, m, ename(e)), [0, 0.0])
        c[0] += 1
        c[1] += time.monotonic() - t
        steps += 1
        if e not in want:
            bad += 1
            print("# BAD cycle %d: %s %s: %s, expected %s (loaded: %s)" % (
                i, kind, m, ename(e), "/".join(ename(w) for w in want), sorted(loaded)))
        return e

    ctl = os.path.join(QX, "tksample", "control")
    for i in range(1, cycles + 1):
        order = list(STRESS_MODS)
        rnd.shuffle(order)
        for m in order:
            if m != "tkcore" and "tkcore" not in loaded:
                # without tkcore a feature cannot resolve its symbols
                step("load", m, {errno.ENOENT})
                continue
            if step("load", m, {0}) == 0:
                loaded.add(m)
            if m == "tkcore":
                for f in [x for x in order if x not in loaded]:
                    if step("load", f, {0}) == 0:
                        loaded.add(f)
                break
        if "tksample" in loaded:
            try:
                with open(ctl, "wb", buffering=0) as f:
                    f.write(b"stream_start")
            except OSError as e:
                bad += 1
                print("# BAD cycle %d: stream_start: %s" % (i, ename(e.errno)))
        # twice loaded: EEXIST
        step("load", rnd.choice(sorted(loaded)), {errno.EEXIST})
        order = sorted(loaded)
        rnd.shuffle(order)
        for m in order:
            if m == "tkcore" and len(loaded) > 1:
                step("unload", "tkcore", {errno.EAGAIN, errno.EBUSY})
                continue
            if step("unload", m, {0}) == 0:
                loaded.discard(m)
        if "tkcore" in loaded:
            if step("unload", "tkcore", {0}) == 0:
                loaded.discard("tkcore")
        step("unload", rnd.choice(list(STRESS_MODS)), {errno.ENOENT})
        if loaded:
            bad += 1
            print("# BAD cycle %d: still loaded: %s" % (i, sorted(loaded)))
            for m in ["tksample", "irqstat", "kmp", "krp", "tkcore"]:
                if kunload(m) == 0:
                    loaded.discard(m)
        if i % 20 == 0:
            print("# cycle %d at %.0f s" % (i, time.monotonic() - t0))
            sys.stdout.flush()
    for k in sorted(cost):
        n, s = cost[k]
        print("# step %s %s -> %s: %d times, %.0f ms each" % (k[0], k[1], k[2], n, s * 1000 / n))
    print("cycles=%d steps=%d bad=%d secs=%.0f" % (cycles, steps, bad, time.monotonic() - t0))
    return 1 if bad else 0


def hammer(stop):
    """getpid() and read() in a loop: the functions krp probes in d-stress."""
    fd = os.open("/proc/self/stat", os.O_RDONLY)
    n = 0
    while not os.path.exists(stop):
        for _ in range(200):
            os.getpid()
            os.pread(fd, 64, 0)
        n += 200
    print("calls=%d" % (2 * n))
    return 0


def main(a):
    if a[:1] == ["list"]:
        for p in discover(0o222 if a[1] == "w" else 0o444):
            print(p)
        return 0
    if a[:1] == ["fuzz"]:
        return fuzz(int(a[1]), int(a[2]))
    if a[:1] == ["read"]:
        return reader(a[1], a[2:3] == ["rescan"])
    if a[:1] == ["hammer"]:
        return hammer(a[1])
    if a[:1] == ["shapes"]:
        return shapes()
    if a[:1] == ["stress"]:
        return stress(a[1], int(a[2]), int(a[3]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    sys.exit(main(sys.argv[1:]))
