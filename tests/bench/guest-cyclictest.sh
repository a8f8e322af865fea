#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scheduling latency the stack adds, inside a booted kernel (meant for the
# PREEMPT_RT kernel; it runs on the others too): cyclictest (rt-tests), one
# SCHED_FIFO 95 thread per CPU waking every 1 ms for SECS seconds, its
# worst wake-up latency over the CPUs, idle and with the stack loaded and
# working:
#   krp        profiling hot functions (getpid, read, write, the scheduler's
#              wake-up, vmalloc/vfree) while a loop calls them;
#   kmp        100,000 tracked vmalloc blocks (leaksim's vmalloc_bulk),
#              memleaks read again and again (each read scans leaksim's
#              held range and lists the 100,000 blocks);
#   irqstat    loaded, its files read once a second, serial and virtio
#              interrupt traffic;
#   events     tksample's stream (a kernel thread emitting as fast as it
#              can) read by a reader of /dev/qeexo_events.
# and, between the two, busy: the same user-space loops (getpid calls, reads,
# serial and virtio traffic; a dd in place of the event stream, readers of
# /proc files in place of memleaks) without the stack, so that what the
# emulator's busy vCPUs add (both run on one host thread) is told apart from
# what the stack adds.  Prints the three maxima (us) and the ratios
# loaded / idle and loaded / busy: under emulation the absolute latencies
# mean little, the ratios do.  Not part of make check.
# tk-vm-mem: 4096
set -uo pipefail
. "$(dirname "$0")/../stack/lib.sh"
SECS=${TK_BENCH_SECS:-30}
L=$QX/leaksim
P=$QX/profiler

command -v cyclictest >/dev/null || { echo "cyclictest not installed (rt-tests)"; exit 1; }

# cyclic: the worst latency (us) of SECS s of cyclictest over every CPU.
cyclic() {
	cyclictest -q -m -S -p 95 -i 1000 -D "$SECS" 2>/dev/null |
		sed -n 's/.* Max: *\([0-9]*\).*/\1/p' | sort -n | tail -n1
}

# loops FILES...: the user-space load, until $stop goes; FILES are read.
loops() {
	( while [ -e "$stop" ]; do "$TKLOAD" getpid 20000 >/dev/null; head -c 65536 /dev/zero | cat >/dev/null; done ) &
	( while [ -e "$stop" ]; do cat "$@" >/dev/null
		serial_traffic 200; cat /usr/bin/bash >/dev/null; sleep 1; done ) &
}

unload_all
echo "# kernel $(uname -r), $(nproc) CPUs, realtime=$(cat /sys/kernel/realtime 2>/dev/null || echo 0), $SECS s per run"
idle=$(cyclic)
[ -n "$idle" ] || { echo "cyclictest printed no Max"; exit 1; }
stop=$(mktemp)
( while [ -e "$stop" ]; do cat /proc/interrupts /proc/vmallocinfo >/dev/null; done ) &
( while [ -e "$stop" ]; do dd if=/dev/zero of=/dev/null bs=4k count=10000 status=none; done ) &
loops /proc/interrupts /proc/softirqs /proc/stat
sleep 2
busy=$(cyclic)
rm -f "$stop"
wait
[ -n "$busy" ] || { echo "cyclictest printed no Max when busy"; exit 1; }

load_core log_interval=1 || exit 1
load_irqstat || exit 1
insmod "$TK_MODDIR/kmp/kmp.ko" max_blocks=131072 || exit 1
load_leaksim kmalloc_dropped=0 || exit 1
load_krp funcs=sys_getpid,vfs_read,vfs_write,try_to_wake_up,vfree || exit 1
load_tksample || exit 1
"$TKWRITE" $L/control 'vmalloc_bulk 100000' >/dev/null || exit 1
read -r hs he < $L/held_range
"$TKWRITE" $P/scan_start_addr "$hs" >/dev/null &&
	"$TKWRITE" $P/scan_end_addr "$he" >/dev/null || exit 1
echo "# tracked blocks $(cat $P/tracked_blocks), krp on $(grep -c . $P/funcs) functions"
cat /dev/qeexo_events >/dev/null &
reader=$!
"$TKWRITE" $QX/tksample/control stream_start >/dev/null || exit 1
stop=$(mktemp)
( while [ -e "$stop" ]; do cat $P/memleaks >/dev/null; done ) &
loops $QX/irqstat/irqs $QX/irqstat/vectors /proc/telemetry
sleep 2
loaded=$(cyclic)
rm -f "$stop"
"$TKWRITE" $QX/tksample/control stream_stop >/dev/null
kill $reader 2>/dev/null
wait
echo "# after the loaded run: memleaks lists $(wc -l <$P/memleaks) blocks; krp: $(tr '\n' ' ' <$P/stats)"
"$TKWRITE" $L/control free >/dev/null
unload_all
[ -n "$loaded" ] || { echo "cyclictest printed no Max under load"; exit 1; }
echo "cyclictest max latency: idle ${idle} us, busy without the stack ${busy} us, stack loaded ${loaded} us"
awk -v a="$idle" -v u="$busy" -v b="$loaded" 'BEGIN {
	printf "ratio loaded / idle %.2f, loaded / busy %.2f\n", b / (a ? a : 1), b / (u ? u : 1) }'
exit 0
