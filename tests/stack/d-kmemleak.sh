#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Debug kernel only (guest.sh runs d-*.sh where kmemleak exists): the
# kernel's own leak detector agrees with leaksim and kmp, and our modules
# leak nothing of their own.
#  1. leaksim drops K kmalloc and V vmalloc blocks and holds H more: a
#     kmemleak scan reports exactly K + V objects with leaksim in their
#     backtraces, none of the held ones.
#  2. kmp's "possible leak" set for leaksim's dropped vmalloc blocks (the
#     held-pointer array as the scan range) is a subset of kmemleak's.
#  3. After `clear`, 100 load/unload cycles of tkcore, krp, kmp (and every
#     other module of ours but leaksim) under load: a new scan reports no
#     new object at all.
. "$(dirname "$0")/lib.sh"
KML=/sys/kernel/debug/kmemleak
PROF=$QX/profiler
K=7 V=5 H=3

if [ ! -w $KML ]; then
	ok 1 "kmemleak interface at $KML"
	done_testing
	exit
fi
unload_all

# kmemleak reports only objects older than 5 s, and an object only once:
# `clear` forgets what earlier scans found, so that only new leaks count.
# A leak is often found only by the second scan: the first still sees a
# stale copy of the pointer (a stack, a register saved by the allocator).
kml_scan() { echo scan > $KML; sleep 6; echo scan > $KML; }
kml_clear() { kml_scan; echo clear > $KML; }

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

kml_clear
load_core && insmod "$TK_MODDIR/kmp/kmp.ko" &&
	load_leaksim kmalloc_dropped=$K vmalloc_dropped=$V vmalloc_held=$H kmalloc_held=$H
ok $? "tkcore, kmp and leaksim (K=$K kmalloc, V=$V vmalloc dropped, $H of each held) loaded"
sleep 6
kml_scan
kml_records > /tmp/kml.1
grep ' leaksim' /tmp/kml.1 > /tmp/kml.leaksim
n=$(grep -c . /tmp/kml.leaksim)
is "$n" $((K + V)) "kmemleak reports exactly K+V=$((K + V)) objects allocated by leaksim"
nk=$(awk '$2 == 64 && $0 ~ /kmalloc/' /tmp/kml.leaksim | grep -c .)
is "$nk" $K "of them K=$K are leaksim's 64-byte kmalloc blocks"
nv=$(grep -c 'vmalloc' /tmp/kml.leaksim)
is "$nv" $V "and V=$V its vmalloc blocks"
grep -q 'leaksim_' /tmp/kml.leaksim
ok $? "their backtraces name leaksim's functions"
[ "$n" -eq $((K + V)) ] || { diag "kmemleak:"; sed 's/^/#   /' /tmp/kml.1 | head -40; }

# kmp over leaksim's held-pointer array: dropped blocks are "possible leak".
read -r s e < $QX/leaksim/held_range
echo "$s" > $PROF/scan_start_addr && echo "$e" > $PROF/scan_end_addr
cat $PROF/memleaks_ext > /tmp/kmp.ext
ok $? "kmp scan of leaksim's held-pointer array"
grep -E '^0x[0-9a-f]+:possible leak:.* site=.*\[leaksim\]' /tmp/kmp.ext | cut -d: -f1 | sort > /tmp/kmp.pl
grep -E '^0x[0-9a-f]+:not freed yet:.* site=.*\[leaksim\]' /tmp/kmp.ext | cut -d: -f1 | sort > /tmp/kmp.nf
is "$(grep -c . /tmp/kmp.pl)" $V "kmp: V=$V possible leaks allocated by leaksim"
is "$(grep -c . /tmp/kmp.nf)" $H "kmp: H=$H held blocks not freed yet"
awk '{ print $1 }' /tmp/kml.leaksim | sort > /tmp/kml.addr
missing=$(comm -23 /tmp/kmp.pl /tmp/kml.addr)
is "$missing" "" "kmp's possible leaks are a subset of kmemleak's unreferenced objects"
both=$(comm -12 /tmp/kmp.nf /tmp/kml.addr)
is "$both" "" "no block kmp sees held is reported by kmemleak"

rmmod leaksim kmp tkcore
ok $? "unload leaksim, kmp, tkcore"

# 3. Load/unload cycles of everything else, with the probed paths busy.
kml_clear
mods=()
for m in tkcore krp kmp irqstat tksample; do
	f=$(find "$TK_MODDIR" -name "$m.ko" | head -n1)
	[ -n "$f" ] && mods+=("$f")
done
( while :; do cat /proc/telemetry >/dev/null 2>&1; sleep 0.05; done ) &
busy=$!
fails=0
t0=$SECONDS
for i in $(seq 100); do
	[ $((i % 20)) -eq 0 ] && diag "cycle $i at $((SECONDS - t0)) s"
	for f in "${mods[@]}"; do
		case $f in
		*/krp.ko) insmod "$f" funcs=sys_getpid,vfs_read ;;
		*) insmod "$f" ;;
		esac || fails=$((fails + 1))
	done
	cat $PROF/stats $PROF/memleaks >/dev/null 2>&1
	for ((j = ${#mods[@]} - 1; j >= 0; j--)); do
		rmmod "$(basename "${mods[j]}" .ko)" || fails=$((fails + 1))
	done
done
kill $busy; wait $busy 2>/dev/null
is "$fails" 0 "100 load/unload cycles of ${#mods[@]} modules without a failed insmod/rmmod"
sleep 6
kml_scan
kml_records > /tmp/kml.2
is "$(grep -c . /tmp/kml.2)" 0 "kmemleak reports no new object after the cycles"
[ -s /tmp/kml.2 ] && sed 's/^/#   /' /tmp/kml.2 | head -20
done_testing
