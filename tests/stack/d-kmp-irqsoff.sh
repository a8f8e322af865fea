#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Debug kernel only (CONFIG_IRQSOFF_TRACER, which brings the preemptirq
# events; scripts/debug-kernel/debug.config): with 100,000 vmalloc() blocks
# tracked, kmp's interrupts-off sections during memleaks and memleaks_ext
# scans stay short, whatever the number of blocks.
#
# The reading task's interrupts-off sections are timed from the preemptirq
# irq_disable/irq_enable events, each irq_disable that a raw spinlock made
# with its stack trace (a trigger); a section is kmp's when the first frame of that stack past the
# tracing and locking machinery is one of kmp's functions (not when kmp only
# called the code that turned interrupts off).  The events' own caller
# fields cannot say it: without frame pointers their "parent" is 0 and the
# caller is _raw_spin_lock_irqsave.  The emulator or the host can stop a
# vCPU inside any section, so one section over the limit is read once more:
# the check fails when both reads have one.  A scan that holds the lock
# while it copies every record has a section of several ms here each time.
# tk-vm-mem: 4096 (100,000 one-page blocks with KASAN and kmemleak)
. "$(dirname "$0")/lib.sh"
P=$QX/profiler
L=$QX/leaksim
T=/sys/kernel/tracing
E=$T/events/preemptirq
LIMIT_US=200

unload_all
[ -e $T/current_tracer ] || mount -t tracefs nodev $T 2>/dev/null
if [ ! -d $E/irq_disable ] || [ ! -d $E/irq_enable ]; then
	ok 1 "the preemptirq events are available ($E)"
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

echo 0 > $T/tracing_on
echo nop > $T/current_tracer
bufkb=$(cat $T/buffer_size_kb)
echo 32768 > $T/buffer_size_kb
# Stacks only for the sections a raw spinlock opens (kmp's are of those):
# the offsets from _stext of _raw_spin_lock_irqsave and the next symbol.
stext=$(awk '$3 == "_stext" {print $1; exit}' /proc/kallsyms)
rs=$(awk '$3 == "_raw_spin_lock_irqsave" {print $1; exit}' /proc/kallsyms)
rn=$(awk '{print $1}' /proc/kallsyms | sort -u | awk -v a="$rs" '($1 "") > a {print; exit}')
rs_lo=$(( 0x$rs - 0x$stext ))
rs_hi=$(( 0x$rn - 0x$stext ))
# sections: "<us> <1 if kmp's> <frames>" for each section in the trace (an
# irq_disable, its stack, and the next irq_enable on the same CPU; timed
# from the stack entry when there is one, which is written after the
# unwind: the unwind is the tracer's cost, not the section's).
sections() {
	awk '/^#/ { next }
	/^ *=> / {
		if (cur == "") next
		f = $2
		sub(/\+.*/, "", f)
		# The first frame past the tracing and locking machinery is
		# the code that turned interrupts off.
		if (!seen[cur] && f !~ /^(_*trace|_*raw_spin|do_raw_spin|lock_acquire|event_trigger|stack_trace|_*ftrace|preempt|rcu|_*local_irq|arch_local)/) {
			seen[cur] = 1
			if (f ~ /^kmp_/) mine[cur] = 1
		}
		if (nf[cur]++ < 8) fr[cur] = fr[cur] "," f
		next
	}
	{
		cpu = ""; ts = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^\[[0-9]+\]$/) cpu = $i
			if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = substr($i, 1, length($i) - 1); ev = $(i + 1); break }
		}
		if (cpu == "" || ts == "") next
		if (ev == "irq_disable:") { start[cpu] = ts; mine[cpu] = 0; seen[cpu] = 0; fr[cpu] = ""; nf[cpu] = 0; cur = cpu }
		# From the stack entry on: not the time spent unwinding it.
		else if (ev == "<stack") { cur = cpu; if (cpu in start) start[cpu] = ts }
		else if (ev == "irq_enable:" && (cpu in start)) {
			printf "%.0f %d %s\n", (ts - start[cpu]) * 1e6, mine[cpu], substr(fr[cpu], 2)
			delete start[cpu]; cur = ""
		}
		else cur = ""
	}' "$1"
}
# traced FILE: read FILE with the events on for the reader; sets n (blocks
# listed), lost (events lost), ns (kmp's sections), over (those over the
# limit) and max (the longest, us).
traced() {
	local f=$1 ms t0 pid all
	echo > $T/trace
	rm -f /tmp/irqsoff.go /tmp/irqsoff.n
	mkfifo /tmp/irqsoff.go
	# memleaks_ext's entries carry stacks: count them, do not keep them.
	sh -c 'read -r x < /tmp/irqsoff.go; exec grep -c "^0x" "$1"' _ $P/$f > /tmp/irqsoff.n &
	pid=$!
	echo "common_pid == $pid" > $E/irq_disable/filter
	echo "common_pid == $pid" > $E/irq_enable/filter
	echo "stacktrace if common_pid == $pid && caller_offs >= $rs_lo && caller_offs < $rs_hi" > $E/irq_disable/trigger
	echo 1 > $E/irq_disable/enable
	echo 1 > $E/irq_enable/enable
	echo 1 > $T/tracing_on
	t0=$(date +%s%N)
	echo go > /tmp/irqsoff.go
	wait $pid
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo 0 > $T/tracing_on
	echo 0 > $E/irq_disable/enable
	echo 0 > $E/irq_enable/enable
	echo "!stacktrace if common_pid == $pid && caller_offs >= $rs_lo && caller_offs < $rs_hi" > $E/irq_disable/trigger
	n=$(cat /tmp/irqsoff.n)
	cat $T/trace > /tmp/irqsoff.trace
	# "entries-in-buffer/entries-written: X/Y": Y > X lost events
	lost=$(sed -n 's/.*entries-in-buffer\/entries-written: \([0-9]*\)\/\([0-9]*\).*/\2 - \1/p' /tmp/irqsoff.trace | head -n1)
	sections /tmp/irqsoff.trace > /tmp/irqsoff.all
	all=$(grep -c . /tmp/irqsoff.all)
	awk '$2 == 1 {print $1}' /tmp/irqsoff.all | sort -n > /tmp/irqsoff.us
	ns=$(grep -c . /tmp/irqsoff.us)
	over=$(awk -v l=$LIMIT_US '$1 > l' /tmp/irqsoff.us | grep -c .)
	max=$(tail -n1 /tmp/irqsoff.us)
	diag "$f: $n blocks in $ms ms; the reader's irqs-off sections: $all (longest $(sort -rn /tmp/irqsoff.all | head -n1 | cut -d' ' -f1) us, a switch-out included); kmp's: $ns, p50 $(awk -v n="$ns" 'NR == int((n + 1) / 2) {print; exit}' /tmp/irqsoff.us) us, p99 $(awk -v n="$ns" 'NR == int(n * 0.99 + 0.999) {print; exit}' /tmp/irqsoff.us) us, max ${max:-?} us, $over over $LIMIT_US us"
	# The longest raw-spinlock sections (those with a stack).
	awk 'NF > 2' /tmp/irqsoff.all | sort -rn | head -n 3 | sed 's/^/#   longest: /' | cut -c1-300
}
# scan FILE NBLOCKS: a traced read of FILE, once more if a kmp section was
# over the limit; check the blocks and kmp's sections.
scan() {
	local f=$1 want=$2 n lost ns over max longest
	traced "$f"
	longest="longest $max us"
	if [ "$over" -gt 0 ]; then
		diag "$f: a kmp section of $max us; once more (an emulator stall, or a real one?)"
		traced "$f"
		longest+=", then $max us"
	fi
	check "$f lists the $want blocks ($n)" -- test "${n:-0}" -ge "$want"
	is "$(( ${lost:-1} ))" 0 "$f: the trace lost no event"
	check "$f of $want blocks: kmp's irqs-off sections traced ($ns)" -- test "$ns" -gt 0
	is "$over" 0 "$f of $want blocks: no kmp irqs-off section over $LIMIT_US us ($longest)"
}
scan memleaks 100000
scan memleaks_ext 100000
echo 0 > $E/irq_disable/filter
echo 0 > $E/irq_enable/filter
echo "$bufkb" > $T/buffer_size_kb
t0=$(date +%s)
is "$("$TKWRITE" $L/control free)" "ok 4" "free them"
diag "freeing took $(( $(date +%s) - t0 )) s"
check "rmmod leaksim kmp tkcore" -- rmmod leaksim kmp tkcore
splat=$(dmesg | splats | head -n 5)
is "$splat" "" "no WARNING/BUG/Oops in dmesg"
done_testing
