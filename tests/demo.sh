#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: build, boot a Debian kernel under QEMU with the whole stack
# loaded, show /proc/telemetry and the /sys/class/qeexo tree, power off.
#   TK_DEMO_KERNEL=<release>   kernel to boot (default: the newest 6.12)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--guest" ]; then
	. tests/stack/lib.sh
	unload_all
	install_modules
	TKCTL=build/host/tkctl
	echo "== tkctl load: the whole stack"
	$TKCTL load core log_interval=1 krp funcs=sys_getpid,sys_openat,vfs_read kmp \
		leaksim vmalloc_dropped=3 vmalloc_held=2
	echo "== sampling for 4 s at log_interval=1 while the system works"
	build/host/tkload getpid 5000 >/dev/null
	for _ in 1 2 3; do cat /etc/os-release >/dev/null; sleep 1.3; done
	echo "== tkctl status"
	$TKCTL status
	echo "== tkctl stats"
	$TKCTL stats
	echo "== kmp: scan leaksim's held pointers"
	read -r start end </sys/class/qeexo/leaksim/held_range
	echo "$start" >/sys/class/qeexo/profiler/scan_start_addr
	echo "$end" >/sys/class/qeexo/profiler/scan_end_addr
	cat /sys/class/qeexo/profiler/memleaks
	echo "($(grep -c 'possible leak' /sys/class/qeexo/profiler/memleaks) block(s) with no pointer in the scanned range: leaksim's 3 dropped ones, plus any other vmalloc() user's)"
	echo "== cat /proc/telemetry"
	cat /proc/telemetry
	echo "== /sys/class/qeexo"
	for d in /sys/class/qeexo/*/; do
		echo "${d%/}/"
		for f in "$d"*; do
			[ -f "$f" ] || continue
			case ${f##*/} in uevent) continue ;; esac
			if [ -r "$f" ] && [ "$(stat -L -c %a "$f")" != 200 ]; then
				v=$(head -n1 "$f" 2>/dev/null) || v="(nothing to read now)"
				printf '  %-16s %.90s\n' "${f##*/}" "$v"
			else
				printf '  %-16s (write-only)\n' "${f##*/}"
			fi
		done
	done
	echo "== /sys/kernel/telemetry"
	grep -H . /sys/kernel/telemetry/*
	echo "== tk-exporter: a few metrics"
	ip link set lo up	# the guest's loopback starts down
	build/host/tk-exporter --listen 127.0.0.1:9839 &
	exp=$!
	sleep 1
	curl -s --max-time 10 http://127.0.0.1:9839/metrics | grep -E '^qeexo_(up|krp_calls_total|memory_total_bytes|kmp_tracked_blocks)' | head -n 12
	kill $exp
	echo "== telemetry events: tksample emits 3 messages, read from /dev/qeexo_events"
	modprobe tksample
	cat /dev/qeexo_events >/tmp/demo-events.jsonl &
	rd=$!
	while [ "$(cat /sys/class/qeexo/events/readers)" != 1 ]; do sleep 0.1; done
	echo 'emit 3' >/sys/class/qeexo/tksample/control
	sleep 1
	kill $rd
	cat /tmp/demo-events.jsonl
	echo "-- /sys/class/qeexo/events/producers"
	cat /sys/class/qeexo/events/producers
	modprobe -r tksample
	$TKCTL unload all
	echo "== unloaded: $(lsmod | grep -cE '^(tkcore|krp|kmp|leaksim) ') of our modules left"
	exit 0
fi

kver=${TK_DEMO_KERNEL:-$(scripts/kernels.sh | grep -v -- -rt- | tail -n1)}
rm -rf "build/stage/$kver"
make -s install KVER="$kver" DESTDIR="$PWD/build/stage/$kver" >/dev/null 2>&1
make -s tools
out=$PWD/build/demo
rm -rf "$out"
echo "booting $kver under QEMU (software emulation, ~30 s)..."
tests/vm/vmrun -k "$kver" -o "$out" -t 600 -- tests/demo.sh --guest
