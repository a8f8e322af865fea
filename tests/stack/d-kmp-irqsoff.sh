#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Debug kernel only (CONFIG_IRQSOFF_TRACER, scripts/debug-kernel/debug.config):
# with 100,000 vmalloc() blocks tracked, no section with interrupts off
# lasts longer than 200 us during memleaks and memleaks_ext scans.  (A scan
# holds the table for a fixed batch of records at a time, whatever their
# number: an unbounded section would last tens of ms here.)  The
# irqsoff tracer keeps the longest irqs-off section of the whole system and
# where it started and ended, and with tracing_thresh every section longer
# than that.  Under emulation the guest has sections of milliseconds without
# any scan (the baseline shows them and where they are), so the check is
# that no section over 200 us began or ended in kmp during the scans.
# tk-vm-mem: 4096 (100,000 one-page blocks with KASAN and kmemleak)
. "$(dirname "$0")/lib.sh"
P=$QX/profiler
L=$QX/leaksim
T=/sys/kernel/tracing
LIMIT_US=200

unload_all
[ -e $T/current_tracer ] || mount -t tracefs nodev $T 2>/dev/null
if ! grep -qw irqsoff $T/available_tracers 2>/dev/null; then
	ok 1 "the irqsoff tracer is available ($T/available_tracers)"
	done_testing
	exit
fi
mem=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
check "guest memory for 100,000 one-page blocks ($mem MiB >= 3000)" -- test "$mem" -ge 3000
check "insmod tkcore" -- load_core
check "insmod kmp max_blocks=131072" -- insmod "$TK_MODDIR/kmp/kmp.ko" max_blocks=131072
check "insmod leaksim kmalloc_dropped=0" -- load_leaksim kmalloc_dropped=0
t0=$(date +%s)
is "$("$TKWRITE" $L/control 'vmalloc_bulk 100000')" "ok 19" "hold 100,000 vmalloc blocks"
diag "100,000 vmalloc() took $(( $(date +%s) - t0 )) s"
nb=$(cat $P/tracked_blocks)
check "kmp tracks them ($nb blocks)" -- test "$nb" -ge 100000
read -r hs he < $L/held_range
"$TKWRITE" $P/scan_start_addr "$hs" >/dev/null
"$TKWRITE" $P/scan_end_addr "$he" >/dev/null

# The tracer keeps the longest section since the last reset; with
# tracing_thresh set, it also logs every section longer than that, each
# with the functions that turned interrupts off and on again
# ("func <-caller").  kmp_sections: how many logged sections began or ended
# in kmp; sites: the distinct start/end sites of the logged sections.
kmp_sections() { grep -cE ': +[^ ]+ <-kmp_|: +kmp_[a-z_]+ <-' $T/trace; }
sites() {
	grep -E '^ *[^#].*[0-9]+us ?[:!+*#@$]? ?:? ' $T/trace |
		sed -n 's/.*us[^:]*: *\([^ ]*\) *<-\([^ ]*\).*/\1<-\2/p' | sort | uniq -c | sort -rn | head -n 4 | tr '\n' ';'
}
reset() { echo 0 > $T/tracing_max_latency; echo > $T/trace; }
echo 0 > $T/tracing_on
echo 0 > $T/options/function-trace 2>/dev/null
echo $LIMIT_US > $T/tracing_thresh
echo irqsoff > $T/current_tracer
reset
echo 1 > $T/tracing_on
# Baseline: as long as a scan, no scan (the other CPU reads /dev/zero).
timeout 20 dd if=/dev/zero of=/dev/null bs=64k status=none
diag "baseline (20 s, no scan): longest irqs-off section $(cat $T/tracing_max_latency) us; over $LIMIT_US us: $(sites)"
diag "baseline: sections over $LIMIT_US us in kmp: $(kmp_sections)"
# scan FILE NBLOCKS: read FILE with the tracer reset; check it.
scan() {
	local f=$1 want=$2 n ms us k t0
	reset
	t0=$(date +%s%N)
	# memleaks_ext's entries carry stacks: count them, do not keep them.
	n=$(grep -c '^0x' $P/$f)
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	us=$(cat $T/tracing_max_latency)
	k=$(kmp_sections)
	diag "$f: $n blocks in $ms ms; longest irqs-off section $us us; over $LIMIT_US us: $(sites)"
	check "$f lists the $want blocks ($n)" -- test "$n" -ge "$want"
	is "$k" 0 "$f scan of $want blocks: no irqs-off section over $LIMIT_US us in kmp"
}
scan memleaks 100000
scan memleaks_ext 100000
echo 0 > $T/tracing_on
echo nop > $T/current_tracer
echo 0 > $T/tracing_thresh
t0=$(date +%s)
is "$("$TKWRITE" $L/control free)" "ok 4" "free them"
diag "freeing took $(( $(date +%s) - t0 )) s"
check "rmmod leaksim kmp tkcore" -- rmmod leaksim kmp tkcore
splat=$(dmesg | splats | head -n 5)
is "$splat" "" "no WARNING/BUG/Oops in dmesg"
done_testing
