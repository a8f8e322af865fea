# SPDX-License-Identifier: GPL-2.0
# TAP helpers and module-stack fixtures for the guest-side tests.
# Sourced by tests/stack/t-*.sh, which run as root inside a booted kernel
# (tests/vm/vmrun) with the checkout at the same path as on the host.

TK_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TK_KVER=${TK_KVER:-$(uname -r)}
TK_MODDIR=$TK_TOP/build/kmod/$TK_KVER
TKWRITE=$TK_TOP/build/host/tkwrite
QX=/sys/class/qeexo
TEL=$QX/telemetry
KTEL=/sys/kernel/telemetry

_tap_n=0
_tap_fail=0

ok() {	# ok COND_STATUS DESCRIPTION
	local st=$1; shift
	_tap_n=$((_tap_n + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		_tap_fail=$((_tap_fail + 1))
	fi
}

check() {	# check DESCRIPTION -- COMMAND...: ok iff COMMAND succeeds
	local desc=$1; shift
	[ "$1" = "--" ] && shift
	if "$@" >/dev/null 2>&1; then ok 0 "$desc"; else ok 1 "$desc"; fi
}

is() {	# is GOT EXPECTED DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   got:      '$1'"
		echo "#   expected: '$2'"
	fi
}

# skip DESCRIPTION REASON: a check that does not apply here (a kernel
# without the feature it is about).  The runner counts it as skipped, not
# passed, and the closing line says how many.  A check the run is there to
# prove must never skip: when it cannot be made, it fails (ok 1) and says why.
skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

diag() { echo "# $*"; }

done_testing() {
	echo "1..$_tap_n"
	[ $_tap_fail -eq 0 ]
}

# Kernel log lines that are a splat (WARN, BUG, lockdep, KASAN, UBSAN, ...).
TK_SPLAT_ERE=$TK_TOP/tests/splat.ere
splats() { grep -Ef "$TK_SPLAT_ERE"; }	# stdin: kernel log; stdout: splats

# ---- fixtures ----

mod_loaded() { [ -d "/sys/module/$1" ] && [ -e "/sys/module/$1/refcnt" ]; }

# Unload every module of ours, features first.
unload_all() {
	local m
	for m in tkirqnest tkpeer tksample leaksim krp kmp irqstat tkcore; do
		mod_loaded "$m" && rmmod "$m" 2>/dev/null
	done
	return 0
}

load_core() { insmod "$TK_MODDIR/core/tkcore.ko" "$@"; }
load_leaksim() { insmod "$TK_MODDIR/leaksim/leaksim.ko" "$@"; }
load_krp() { insmod "$TK_MODDIR/krp/krp.ko" "$@"; }
load_irqstat() { insmod "$TK_MODDIR/irqstat/irqstat.ko" "$@"; }
load_tksample() { insmod "$TK_MODDIR/samples/tksample.ko" "$@"; }
load_tkpeer() { insmod "$TK_MODDIR/samples/tkpeer.ko" "$@"; }
load_tkirqnest() { insmod "$TK_MODDIR/samples/tkirqnest.ko" "$@"; }
TKLOAD=$TK_TOP/build/host/tkload

# Install the modules where modprobe finds them, from the tree that the host
# staged with `make install DESTDIR=build/stage/<release>` (the guest's root
# is a throw-away overlay, so this never touches the host), then depmod.
install_modules() {
	local stage=$TK_TOP/build/stage/$TK_KVER/lib/modules/$TK_KVER/updates
	# Once per boot: depmod takes tens of seconds under emulation.
	[ -e /run/tk-installed ] && return 0
	[ -d "$stage" ] || { echo "# no staged install in $stage" >&2; return 1; }
	mkdir -p "/lib/modules/$TK_KVER/updates"
	cp -r "$stage"/. "/lib/modules/$TK_KVER/updates/"
	depmod -a "$TK_KVER" && touch /run/tk-installed
}

# Value of KEY in a "k=v k=v" line.
# wait_for COMMAND [SECONDS]: until COMMAND (eval'd) succeeds, at most
# SECONDS (default 60); fails if it never did.
wait_for() {
	local i
	for i in $(seq $(( ${2:-60} * 10 ))); do eval "$1" && return 0; sleep 0.1; done
	return 1
}

# serial_traffic BYTES: interrupts on ttyS0's line (the console).
serial_traffic() {
	head -c "$1" /dev/zero | tr '\0' '.' >/dev/console
	echo >/dev/console
}

field() {	# field LINE KEY
	local kv
	for kv in $1; do
		[ "${kv%%=*}" = "$2" ] && { echo "${kv#*=}"; return 0; }
	done
	return 1
}

# ---- kmemleak (debug kernel) ----

KML=/sys/kernel/debug/kmemleak
# kmemleak reports only objects older than 5 s, and an object only once:
# `clear` forgets what earlier scans found, so that only new leaks count.
# A leak is often found only by the second scan: the first still sees a
# stale copy of the pointer (a stack, a register saved by the allocator).
kml_scan() { echo scan > $KML; sleep 6; echo scan > $KML; }
kml_clear() { kml_scan; echo clear > $KML; }
# kml_nothing_new FILE AFTER: once every object of the run is older than
# kmemleak's 5 s, a scan finds no new object ("kmemleak reports no new
# object after AFTER"); the records found are kept in FILE and shown.
kml_nothing_new() {
	sleep 6
	kml_scan
	kml_records >"$1"
	is "$(grep -c . "$1")" 0 "kmemleak reports no new object after $2"
	[ -s "$1" ] && sed 's/^/#   /' "$1" | head -20
	return 0
}
# A d-*.sh test needs kmemleak: without it, one failing line and the end.
need_kmemleak() {
	[ -w "$KML" ] && return 0
	ok 1 "kmemleak interface at $KML"
	done_testing
	exit
}

# Records of the last scan as one line each: "<addr> <size> <backtrace...>"
# (6.12 prints each backtrace line as "    symbol+off/len [module]").
kml_records() {
	awk '/^unreferenced object/ {
		if (r != "") print r
		a = $3; s = $5; sub(/\):?$/, "", s); r = a " " s; bt = 0; next }
	/^  backtrace/ { bt = 1; next }
	/^  [^ ]/ { bt = 0 }
	bt && /^    [^ ]/ { r = r " " $1 " " $2 }
	END { if (r != "") print r }' $KML
}

snap_lines() { grep -v '^#' /proc/telemetry; }
last_snap() { snap_lines | tail -n1; }
last_seq() { field "$(last_snap)" seq; }

# ---- tkcore answering while a feature is busy ----

# core_latency: the ms tkcore's own files take to answer, as
# "features=MS snapshot=MS enable=MS": a read of telemetry/features, a write
# of 1 to telemetry/snapshot, enable=0 then enable=1 (all take or wait for
# tkcore's registration lock).  Timed inside one process: no exec counted.
core_latency() {
	python3 - "$TEL" <<'PY'
import os, sys, time
t = sys.argv[1]
def ms(f):
    t0 = time.monotonic()
    f()
    return int((time.monotonic() - t0) * 1000)
def rd():
    with open(t + "/features", "rb") as f:
        f.read()
def wr(p, b):
    fd = os.open(t + "/" + p, os.O_WRONLY)
    try:
        os.write(fd, b)
    finally:
        os.close(fd)
print("features=%d snapshot=%d enable=%d" % (
    ms(rd), ms(lambda: wr("snapshot", b"1")),
    ms(lambda: (wr("enable", b"0"), wr("enable", b"1")))))
PY
}

# The bound on an rmmod during a feature's long operation, rmmod's exec
# included: 2 s on Debian's kernels; 5 s on the debug kernel (kmemleak,
# KASAN, lockdep), where an unload's RCU waits and the exec alone took
# 1.8-2.5 s with the operation already stopped.
unload_bound_ms() { if [ -e "$KML" ]; then echo 5000; else echo 2000; fi; }

# unload_while_busy MOD PID DURING OP OUT: while PID (OP, a read or write
# of one of MOD's files, which writes its errno first into OUT) runs,
# rmmod MOD: it succeeds within unload_bound_ms, OP ends with ENODEV, and
# tkcore's own files answer in under 500 ms meanwhile (core_latency).
unload_while_busy() {
	local mod=$1 pid=$2 during=$3 op=$4 out=$5 rm rm_pid lat rst rms bound k v
	rm=$(mktemp)
	timed_rmmod "$mod" >"$rm" &
	rm_pid=$!
	sleep 0.3
	lat=$(core_latency)
	wait "$rm_pid"
	wait "$pid"
	read -r rst rms <"$rm"
	rm -f "$rm"
	diag "rmmod $mod: status $rst, $rms ms; tkcore meanwhile: $lat; $op: $(cat "$out")"
	is "$rst" 0 "rmmod $mod during $during succeeds"
	bound=$(unload_bound_ms)
	check "rmmod $mod during $during takes under $bound ms ($rms ms)" -- test "${rms:-99999}" -lt "$bound"
	is "$(cut -d' ' -f1 "$out")" ENODEV "$op ends with ENODEV"
	for k in features snapshot enable; do
		v=$(field "$lat" $k)
		check "telemetry/$k answers in under 500 ms meanwhile (${v:-?} ms)" -- test "${v:-99999}" -lt 500
	done
}
# timed_rmmod MOD: rmmod MOD; prints "RC MS" (exit status, wall ms).
timed_rmmod() {
	local t0 st
	t0=$(date +%s%N)
	rmmod "$1"
	st=$?
	echo "$st $(( ($(date +%s%N) - t0) / 1000000 ))"
}
