#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Debug kernel only: 100 cycles of loading and unloading tkcore, krp, kmp,
# irqstat and tksample in random order (tests/helpers/tkfuzz.py stress: each
# step's outcome asserted: a feature without tkcore fails with ENOENT,
# tkcore with users is refused, a second load gives EEXIST), while random
# readers read every file of whichever modules are loaded, a loop calls the
# functions krp probes (getpid, read), and tksample streams events; no read
# may fail with EIO (readers count errnos by name and file).  Around
# the cycles kmemleak is cleared and scanned: no new object at all.
# The driver loads with finit_module(2) and unloads with delete_module(2)
# from one process: under emulation with KASAN every exec of insmod/rmmod
# costs ~0.5 s on top of the kernel's own ~0.1 s load and ~0.2 s unload.
. "$(dirname "$0")/lib.sh"
CYCLES=${TK_STRESS_CYCLES:-100}
TKFUZZ="python3 $TK_TOP/tests/helpers/tkfuzz.py"
T=/tmp/d-stress
rm -rf $T && mkdir -p $T

need_kmemleak
unload_all
dmesg0=$(dmesg | wc -l)
kml_clear

rm -f $T/stop
$TKFUZZ read $T/stop rescan > $T/read.1 2>&1 &
$TKFUZZ read $T/stop rescan > $T/read.2 2>&1 &
$TKFUZZ hammer $T/stop > $T/hammer 2>&1 &
$TKFUZZ stress "$TK_MODDIR" "$CYCLES" "${TK_STRESS_SEED:-$RANDOM}" > $T/stress 2>&1
st=$?
touch $T/stop
wait
grep '^#' $T/stress
summary=$(tail -n1 $T/stress)
rs1=$(tail -n1 $T/read.1) rs2=$(tail -n1 $T/read.2)
diag "stress: $summary; readers: $rs1 / $rs2; hammer: $(cat $T/hammer)"
is "$st $(field "$summary" cycles) $(field "$summary" bad)" "0 $CYCLES 0" \
	"$CYCLES random-order load/unload cycles, every step's outcome as expected"
r1=$(field "$rs1" reads) calls=$(field "$(cat $T/hammer)" calls)
check "readers and the getpid/read loop ran ($r1 reads, $calls calls)" -- \
	test "${r1:-0}" -gt 100 -a "${calls:-0}" -gt 1000
# A read racing an unload gets ENODEV (ENOENT at open) or a whole text:
# errnos counted by name; the readers' "# EIO: file=count" lines say where.
grep -h '^# EIO:' $T/read.1 $T/read.2
eio=$(( $(field "$rs1" eio || echo 1) + $(field "$rs2" eio || echo 1) ))
is "$eio" 0 "no read racing an unload got EIO ($(field "$rs1" reads) + $(field "$rs2" reads) reads)"
check "nothing of ours left loaded" -- sh -c '! ls -d /sys/module/{tkcore,krp,kmp,irqstat,tksample} 2>/dev/null | grep -q .'

kml_nothing_new $T/kml "the cycles"
sp=$(dmesg | tail -n +$((dmesg0 + 1)) | splats)
is "$sp" "" "no WARN/BUG/KASAN/lockdep/UBSAN report in dmesg"
[ -n "$sp" ] && echo "$sp" | head -20 | sed 's/^/#   /'
done_testing
