#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# 50 load/unload cycles of the stack while a reader loops over every file.
. "$(dirname "$0")/lib.sh"
unload_all
CYCLES=${TK_CYCLES:-50}

reader() {
	local n=0 f
	while [ ! -e /tmp/stop-reader ]; do
		for f in /proc/telemetry $QX/*/* $KTEL/*; do
			[ -f "$f" ] && cat "$f" >/dev/null 2>&1
		done
		n=$((n + 1))
		echo $n >/tmp/reader-passes
	done
}
rm -f /tmp/stop-reader /tmp/reader-passes
reader &
rpid=$!

fails=0
for i in $(seq "$CYCLES"); do
	load_core log_interval=1 ring_size=64 || { fails=$((fails + 1)); continue; }
	load_leaksim kmalloc_dropped=0 || fails=$((fails + 1))
	"$TKWRITE" $TEL/snapshot 1 >/dev/null || fails=$((fails + 1))
	"$TKWRITE" $TEL/log_interval $((i % 7 + 1)) >/dev/null || fails=$((fails + 1))
	if [ $((i % 2)) -eq 0 ]; then
		# Odd order on even cycles: tkcore first (must be refused).
		rmmod tkcore 2>/dev/null && fails=$((fails + 1))
	fi
	rmmod leaksim || fails=$((fails + 1))
	rmmod tkcore || fails=$((fails + 1))
done
touch /tmp/stop-reader
wait $rpid
is "$fails" 0 "$CYCLES load/unload cycles, every step as expected"
passes=$(cat /tmp/reader-passes 2>/dev/null || echo 0)
check "reader looped over every file ($passes passes)" -- test "$passes" -ge 5
check "nothing left loaded" -- test ! -e /sys/module/tkcore -a ! -e /sys/module/leaksim

done_testing
