#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tkcore: files and modes, snapshot contents, parameters, good and bad writes,
# sampling at log_interval, enable=0, a 4096-entry ring read whole, the
# uevents of feature devices, unload while a feature's file is busy.
. "$(dirname "$0")/lib.sh"
unload_all

# ---- load parameters ----
for bad in ring_size=0 ring_size=16385 ring_size=abc ring_size=-1 \
	   log_interval=0 log_interval=3601 log_interval=+5 enable=2 enable=yes; do
	load_core "$bad" 2>/dev/null
	st=$?
	ok $((st == 0)) "insmod tkcore $bad is refused"
	mod_loaded tkcore && rmmod tkcore
done

# /proc/uptime in ms: CLOCK_BOOTTIME (uptime_ns's clock) in steps of 10 ms.
uptime_ms() { awk '{ split($1, t, "."); printf "%d\n", t[1] * 1000 + t[2] * 10 }' /proc/uptime; }
# wait_seq SEQ: wait (up to 60 s) until the newest snapshot is seq >= SEQ.
wait_seq() {
	local i
	for i in $(seq 600); do
		[ "$(last_seq 2>/dev/null || echo 0)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# gaps_after SEQ: the intervals between consecutive snapshots newer than
# SEQ, in ms, one a line.
gaps_after() {
	snap_lines | while read -r l; do
		[ "$(field "$l" seq)" -gt "$1" ] && field "$l" uptime_ns
	done | awk 'NR > 1 {printf "%d\n", ($1 - p) / 1000000} {p = $1}'
}
# The load's snapshot, bracketed: u0 before insmod, u1 once it appeared
# (it is taken by a worker, maybe after insmod returned).
u0=$(uptime_ms)
check "insmod tkcore" -- load_core
wait_seq 1
u1=$(uptime_ms)
for f in "$QX" "$TEL" "$QX/profiler" "$KTEL"; do
	check "$f exists" -- test -d "$f"
done
mode() { stat -L -c %a "$1" 2>/dev/null; }
is "$(mode $TEL/enable)" 644 "telemetry/enable is 0644"
is "$(mode $TEL/log_interval)" 644 "telemetry/log_interval is 0644"
is "$(mode $TEL/ring_size)" 444 "telemetry/ring_size is 0444"
is "$(mode $TEL/snapshot)" 200 "telemetry/snapshot is 0200"
is "$(mode $TEL/features)" 444 "telemetry/features is 0444"
is "$(mode $KTEL/enable)" 644 "/sys/kernel/telemetry/enable is 0644"
is "$(mode $KTEL/log_interval)" 644 "/sys/kernel/telemetry/log_interval is 0644"
is "$(mode /proc/telemetry)" 444 "/proc/telemetry is 0444"
is "$(cat $TEL/enable)" 1 "enable defaults to 1"
is "$(cat $TEL/log_interval)" 5 "log_interval defaults to 5"
is "$(cat $TEL/ring_size)" 10 "ring_size defaults to 10"
is "$(cat $TEL/features)" "" "no features registered"
is "$(ls $QX/profiler | grep -v -e power -e subsystem -e uevent)" "" "profiler has no files without krp/kmp"

# ---- the first snapshot, taken at load ----
# The load queues it at once, then the 5 s timer adds one per interval:
# how many there are by the time this runs depends on the guest's speed.
# What holds at any speed: the first line is seq=1, taken between u0 and
# u1, and every later one comes log_interval after the one before (the
# timer's; the load took one).
head=$(head -n1 /proc/telemetry)
check "header line" -- grep -Eq '^# tkcore [0-9.]+ ring_size=10 log_interval=5 enable=1$' <<<"$head"
s=$(snap_lines | head -n1)
g=$(gaps_after 0 | tr '\n' ' ')
check "one snapshot from the load, any later ones from the 5 s timer ($(snap_lines | wc -l) now, gaps >= 4950: ${g:-none} ms)" -- \
	awk -v g="$g" 'BEGIN {n = split(g, a, " "); for (i = 1; i <= n; i++) if (a[i] < 4950) exit 1}'
check "snapshot line is key=value pairs" -- \
	grep -Eq '^seq=1( [a-z0-9_]+=[0-9]+(\.[0-9]+)?)+$' <<<"$s"
for k in time_ns uptime_ns mem_total_kb mem_free_kb mem_avail_kb buffers_kb \
	 cached_kb swap_free_kb irqs ctxt load1 load5 load15 procs threads running; do
	check "snapshot has $k" -- field "$s" "$k"
done
memtotal=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
is "$(field "$s" mem_total_kb)" "$memtotal" "mem_total_kb equals MemTotal"
ncpu=$(grep -o 'cpu[0-9]*_busy_ms' <<<"$s" | wc -l)
is "$ncpu" "$(nproc)" "one busy/idle pair per online CPU"
check "irqs > 0" -- test "$(field "$s" irqs)" -gt 0
check "procs > 1" -- test "$(field "$s" procs)" -gt 1
check "threads >= procs" -- test "$(field "$s" threads)" -ge "$(field "$s" procs)"
check "running >= 1" -- test "$(field "$s" running)" -ge 1
us=$(( $(field "$s" uptime_ns) / 1000000 ))
check "seq=1's uptime_ns ($us ms) between /proc/uptime before insmod ($u0 ms) and after it ($u1 ms, +10 ms of its resolution)" -- \
	test "$us" -ge "$u0" -a "$us" -le $((u1 + 10))

# ---- on-demand snapshot; context switches count up ----
# The 5 s timer could add one in between on a slow (debug) kernel:
# sampling is off for this check (enable=0 returns once no periodic
# sample runs or is queued), so one write adds exactly one, at the first
# try: a write that adds none or two fails.
"$TKWRITE" $TEL/enable 0 >/dev/null
q0=$(last_seq)
"$TKWRITE" $TEL/snapshot 1 >/dev/null; wst=$?
s2=$(last_snap)
ok $wst "write 1 to snapshot"
is "$(field "$s2" seq)" $((q0 + 1)) "snapshot file adds exactly one snapshot"
"$TKWRITE" $TEL/enable 1 >/dev/null
check "ctxt increases" -- test "$(field "$s2" ctxt)" -gt "$(field "$s" ctxt)"
check "cpu0 busy+idle time advances" -- test \
	$(( $(field "$s2" cpu0_busy_ms) + $(field "$s2" cpu0_idle_ms) )) -ge \
	$(( $(field "$s" cpu0_busy_ms) + $(field "$s" cpu0_idle_ms) ))

# ---- bad writes: clear errno, value unchanged, no log flood ----
# expect FILE INPUT ERRNO
expect() {
	local before after got
	before=$(cat "$1")
	got=$("$TKWRITE" "$1" "$2")
	after=$(cat "$1")
	if [ "$got" = "$3" ] && [ "$before" = "$after" ]; then
		ok 0 "write '$2' to ${1#/sys/} gives $3, value kept"
	else
		ok 1 "write '$2' to ${1#/sys/} gives $3, value kept"
		echo "#   got $got, value $before -> $after"
	fi
}
klog_before=$(dmesg | grep -c tkcore)
for f in $TEL/enable $KTEL/enable $TEL/log_interval $KTEL/log_interval; do
	for in in abc -1 +1 '\n' ' 1' '1 ' 0x10 '1\x002' '1\x00' '1\n\n' 1.5; do
		expect "$f" "$in" EINVAL
	done
	expect "$f" 99999999999999999999 ERANGE
	expect "$f" 4294967297 ERANGE
	# sysfs passes at most one page to store(): 4096 digits overflow.
	before=$(cat "$f")
	got=$("$TKWRITE" "$f" -r 65536 1)
	is "$got/$(cat "$f")" "ERANGE/$before" "64 KiB of digits to ${f#/sys/} refused, value kept"
	got=$("$TKWRITE" "$f" -r 65536 x)
	is "$got/$(cat "$f")" "EINVAL/$before" "64 KiB of letters to ${f#/sys/} refused, value kept"
	got=$("$TKWRITE" "$f" '')
	is "$got/$(cat "$f")" "ok 0/$before" "empty write to ${f#/sys/} is a no-op"
done
for f in $TEL/enable $KTEL/enable; do
	expect "$f" 2 ERANGE
done
for f in $TEL/log_interval $KTEL/log_interval; do
	expect "$f" 0 ERANGE
	expect "$f" 3601 ERANGE
done
"$TKWRITE" $TEL/enable 0 >/dev/null	# no periodic snapshot in between
seq0=$(last_seq)
is "$("$TKWRITE" $TEL/snapshot 0)" ERANGE "write 0 to snapshot gives ERANGE"
is "$("$TKWRITE" $TEL/snapshot x)" EINVAL "write x to snapshot gives EINVAL"
is "$("$TKWRITE" $TEL/snapshot '1\x00')" EINVAL "write 1+NUL to snapshot gives EINVAL"
is "$(last_seq)" "$seq0" "refused snapshot writes take no snapshot"
check "snapshot is write-only" -- sh -c "! cat $TEL/snapshot"
"$TKWRITE" $TEL/enable 1 >/dev/null
klog_after=$(dmesg | grep -c tkcore)
is "$klog_after" "$klog_before" "bad writes log nothing"
check "ring_size is read-only" -- test "$("$TKWRITE" $TEL/ring_size 5)" = EACCES

# ---- good writes, both paths show one value ----
is "$("$TKWRITE" $TEL/log_interval '3600\n')" "ok 5" "log_interval=3600 accepted"
is "$(cat $KTEL/log_interval)" 3600 "/sys/kernel path shows the same value"
is "$("$TKWRITE" $KTEL/log_interval 7)" "ok 1" "log_interval=7 through /sys/kernel"
is "$(cat $TEL/log_interval)" 7 "class path shows it"
is "$("$TKWRITE" $KTEL/enable 0)" "ok 1" "enable=0 through /sys/kernel"
is "$(cat $TEL/enable)" 0 "class path shows enable=0"
is "$("$TKWRITE" $TEL/enable '1\n')" "ok 2" "enable=1"
rmmod tkcore

# ---- sampling follows log_interval; enable=0 stops it ----
# The sampler is deferrable work: on an idle CPU it may fire late (at the
# CPU's next wake-up), never early.  Busy loops on every CPU keep the ticks
# running so that the timing checks see the timer itself.
within() {	# within LO HI "g g g": every gap in [LO, HI] ms
	awk -v lo="$1" -v hi="$2" -v g="$3" 'BEGIN {n = split(g, a, " "); if (n == 0) exit 1; for (i = 1; i <= n; i++) if (a[i] < lo || a[i] > hi) exit 1}'
}
# period LO HI "g g g": no gap under LO ms (the timer is never early) and
# the shortest one at most HI.  A host that stalls the emulator makes a
# timer late, never early, and stretches some gaps but not every one of
# them: the shortest gap is the timer's period.
period() {
	awk -v lo="$1" -v hi="$2" -v g="$3" 'BEGIN {n = split(g, a, " "); if (n < 2) exit 1; m = a[1]; for (i = 1; i <= n; i++) { if (a[i] < lo) exit 1; if (a[i] < m) m = a[i] } exit !(m <= hi)}'
}
# (each check waits for the snapshots it is about, however slow the guest)
load_core log_interval=1
wait_seq 3
st=$?
n=$(snap_lines | wc -l)
ok $st "idle: snapshots advance at log_interval=1 ($n)"
g=$(gaps_after 0 | tr '\n' ' ')
check "idle: never early ($g ms)" -- within 950 100000 "$g"
busy=()
for _ in $(seq "$(nproc)"); do (while :; do :; done) & busy+=($!); done
b0=$(last_seq)
wait_seq $((b0 + 5))
g=$(gaps_after "$b0" | tail -n 4 | tr '\n' ' ')
check "busy: intervals 1 s, never early, the shortest at most 1500 ($g ms)" -- period 950 1500 "$g"
"$TKWRITE" $TEL/log_interval 2 >/dev/null
b0=$(last_seq)
wait_seq $((b0 + 4))
g=$(gaps_after "$b0" | tail -n 3 | tr '\n' ' ')
check "busy: new log_interval=2 applies without reload, the shortest gap at most 2500 ($g ms)" -- period 1950 2500 "$g"
kill "${busy[@]}"
wait "${busy[@]}" 2>/dev/null
"$TKWRITE" $TEL/enable 0 >/dev/null
seq0=$(last_seq)
sleep 3.5
is "$(last_seq)" "$seq0" "enable=0 stops sampling"
# With log_interval=3600, "at once" is the only way a snapshot comes soon.
"$TKWRITE" $TEL/log_interval 3600 >/dev/null
"$TKWRITE" $TEL/enable 1 >/dev/null
wait_seq $((seq0 + 1))
is "$(last_seq)" "$((seq0 + 1))" "enable=1 samples at once (log_interval=3600)"
rmmod tkcore

# ---- a full 4096-entry ring, read whole and in small chunks ----
load_core ring_size=4096 enable=0
check "4100 on-demand snapshots" -- "$TKWRITE" -n 4100 $TEL/snapshot 1
lines=$(snap_lines | wc -l)
is "$lines" 4096 "ring holds 4096 snapshots"
is "$(snap_lines | head -n1 | cut -d' ' -f1)" "seq=5" "oldest kept is seq 5"
is "$(snap_lines | tail -n1 | cut -d' ' -f1)" "seq=4100" "newest is seq 4100"
check "sequence numbers consecutive" -- sh -c "grep -v '^#' /proc/telemetry | sed 's/ .*//; s/seq=//' | awk 'NR > 1 && \$1 != p + 1 {exit 1} {p = \$1}'"
size=$(wc -c </proc/telemetry)
check "output is far larger than a page ($size bytes)" -- test "$size" -gt 100000
cat /proc/telemetry >/tmp/tel.whole
dd if=/proc/telemetry bs=97 2>/dev/null >/tmp/tel.chunks
check "reading in 97-byte chunks gives the same bytes" -- cmp /tmp/tel.whole /tmp/tel.chunks
check "every line complete" -- sh -c "grep -v '^#' /tmp/tel.whole | grep -Evc ' running=[0-9]+ net_rx_bytes=[0-9]+ net_rx_packets=[0-9]+ net_tx_bytes=[0-9]+ net_tx_packets=[0-9]+ cpu0_busy_ms=[0-9]+ .*cpu[0-9]+_idle_ms=[0-9]+\$' | grep -qx 0"
rmmod tkcore
check "tkcore unloads" -- test ! -e /sys/module/tkcore
check "class gone after unload" -- test ! -e $QX
check "/proc/telemetry gone after unload" -- test ! -e /proc/telemetry
check "/sys/kernel/telemetry gone after unload" -- test ! -e $KTEL

# ---- uevents: a udev rule sees a feature's files ----
# A listener on the kernel's uevent socket stats the feature's files the
# moment each event of the qeexo class arrives.  It runs real-time on CPU 0
# and the module loads and unloads run there too, so a load that sent its
# event before adding its files is caught between the two.
WORK=$(mktemp -d)
UEV="python3 $TK_TOP/tests/helpers/tkuevent.py"
check "insmod tkcore" -- load_core
$UEV "$WORK/ready" "$WORK/stop" profiler:funcs,stats,stats_ext \
	irqstat:irqs,softirqs,untracked,seed_irq,seed_count,reset \
	tksample:control,last_ns > "$WORK/uev" 2>&1 &
uev_pid=$!
for _ in $(seq 300); do [ -e "$WORK/ready" ] && break; sleep 0.1; done
diag "listener: $(cat "$WORK/ready" 2>/dev/null)"
check "insmod krp (files on tkcore's profiler)" -- taskset -c 0 insmod "$TK_MODDIR/krp/krp.ko"
check "insmod irqstat (its own device)" -- taskset -c 0 insmod "$TK_MODDIR/irqstat/irqstat.ko"
check "insmod tksample (its own device)" -- taskset -c 0 insmod "$TK_MODDIR/samples/tksample.ko"
check "rmmod krp" -- taskset -c 0 rmmod krp
check "rmmod irqstat" -- taskset -c 0 rmmod irqstat
sleep 1
touch "$WORK/stop"
wait $uev_pid
sed 's/^/#   uevent: /' "$WORK/uev"
uev() { grep -c -- "$1" "$WORK/uev"; }
is "$(uev '^change profiler present=3/3$')" 1 "krp's load: one CHANGE of profiler, its 3 files already there"
is "$(uev '^add irqstat present=6/6$')" 1 "irqstat's load: ADD of irqstat with its 6 files already there"
is "$(uev '^add tksample present=2/2$')" 1 "tksample's load: ADD of tksample with its 2 files already there"
is "$(uev '^change profiler present=0/3 ')" 1 "krp's unload: one CHANGE of profiler, its files already gone"
is "$(uev '^remove irqstat')" 1 "irqstat's unload: REMOVE of irqstat"
is "$(uev '^add .* missing=')" 0 "no ADD before the device's files"

# ---- unload while a feature's file is busy ----
# tksample's "emit 10000000" takes 7 s under emulation (6.12), longer on
# the debug kernel.  rmmod must stop it (ENODEV) and finish within 2 s (5 s
# on the debug kernel: unload_bound_ms), and tkcore's own files must keep
# answering meanwhile.
"$TKWRITE" $QX/tksample/control 'emit 10000000' > "$WORK/emit" &
emit_pid=$!
sleep 1
if kill -0 $emit_pid 2>/dev/null; then
	ok 0 "emit 10000000 still running after 1 s"
else
	ok 1 "emit 10000000 still running after 1 s (it ended: $(cat "$WORK/emit"))"
fi
unload_while_busy tksample $emit_pid "the emit" "the emit" "$WORK/emit"
check "tksample's device is gone" -- test ! -e $QX/tksample
rm -rf "$WORK"
unload_all
splat=$(dmesg | splats | head -n 5)
is "$splat" "" "no WARNING/BUG/Oops in dmesg"

done_testing
