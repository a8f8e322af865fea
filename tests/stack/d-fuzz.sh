#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Debug kernel only: every writable file of every module of ours gets at
# least FUZZ_N random inputs, the driver core's uevent files of our devices
# included (random bytes, over-a-page strings, numeric edge
# cases, signs, NULs, valid-but-extreme values) while random readers read
# every readable file; afterwards no splat, every readable file still parses,
# the modules unload.  tests/helpers/tkfuzz.py holds the inputs and the exact
# expected errno of every numeric file (the tk_parse rules) and the grammar of
# every command file (krp funcs, the control files, uevent: a write outside
# it must fail with the parser's errno); a rejected write
# must leave the file's read-back value (or the counters it drives) as it was.
# Left out as destructive: leaksim's sized commands above small caps (a
# 1 GiB region takes the guest's memory; dropped blocks, N=0 only, leak for
# good and would hide d-kmemleak.sh's leaks from kmemleak), tksample's
# emit/bench N above 2000 (valid up to 10^7, minutes under KASAN), krp adds
# outside a list of harmless functions, and reading memleaks while the scan
# range is random (it would scan the whole address space).
. "$(dirname "$0")/lib.sh"
FUZZ_N=${TK_FUZZ_N:-2000}
MIN_FILES=13	# our own writable files (telemetry 5, kernel/telemetry 2,
		# profiler 3, irqstat, leaksim, tksample), uevent files on top
TKFUZZ="python3 $TK_TOP/tests/helpers/tkfuzz.py"
T=/tmp/d-fuzz
rm -rf $T && mkdir -p $T

unload_all
dmesg0=$(dmesg | wc -l)
load_core && load_krp funcs=sys_getpid,vfs_read && insmod "$TK_MODDIR/kmp/kmp.ko" &&
	load_irqstat && load_tksample && load_leaksim kmalloc_dropped=0
ok $? "every module of ours loaded"

$TKFUZZ list w > $T/w
nw=$(grep -c . $T/w)
diag "writable files: $(tr '\n' ' ' < $T/w)"
check "$nw writable files found by mode bits, at least $MIN_FILES of our own" -- \
	test "$(grep -vc '/uevent$' $T/w)" -ge $MIN_FILES
for f in $TEL/{enable,log_interval,snapshot,top_n,procnet} $KTEL/{enable,log_interval} \
	$QX/profiler/{funcs,scan_start_addr,scan_end_addr} $QX/irqstat/reset \
	$QX/leaksim/control $QX/tksample/control; do
	grep -qx "$f" $T/w || missing="$missing $f"
done
is "${missing:-}" "" "the list holds every known writable file"

rm -f $T/stop
# Each rejected uevent write logs an error: keep those off the emulated
# serial console, which is slow (dmesg still has them, for the splat check).
read -r cl _ < /proc/sys/kernel/printk
echo 1 > /proc/sys/kernel/printk
$TKFUZZ read $T/stop > $T/read.1 2>&1 &
t0=$SECONDS
$TKFUZZ fuzz "$FUZZ_N" "${TK_FUZZ_SEED:-$RANDOM}" > $T/fuzz 2>&1
st=$?
touch $T/stop
wait
echo "$cl" > /proc/sys/kernel/printk
sed 's/^/# /; s/^# # /# /' $T/fuzz
summary=$(tail -n1 $T/fuzz)
total=$(field "$summary" own_total) files=$(field "$summary" own_files)
min=$(field "$summary" own_min)
diag "fuzz: $summary ($((SECONDS - t0)) s); reader: $(cat $T/read.1)"
check "$total writes to $files files, >= $FUZZ_N each" -- \
	test "${min:-0}" -ge "$FUZZ_N" -a "${files:-0}" -ge $MIN_FILES
check "$(field "$summary" total) writes in all, to all $nw writable files (uevent included), >= $FUZZ_N each" -- \
	test "$(field "$summary" files)" -eq "$nw" -a "$(field "$summary" min)" -ge "$FUZZ_N"
is "$st $(field "$summary" bad)" "0 0" \
	"every write: the exact errno of the parse rules and grammars (no garbage accepted), rejected ones change nothing"
r1=$(field "$(cat $T/read.1)" reads)
check "a concurrent random reader ran ($r1 reads)" -- test "${r1:-0}" -gt 100

# Back to sane settings, a real scan range for memleaks, then every file.
echo stream_stop > $QX/tksample/control 2>/dev/null
echo free > $QX/leaksim/control && echo "region 0" > $QX/leaksim/control
echo 0 > $TEL/procnet && echo 5 > $TEL/log_interval && echo 1 > $TEL/enable &&
	echo 10 > $TEL/top_n && echo 1 > $TEL/snapshot
ok $? "settings restored"
read -r s e < $QX/leaksim/held_range
echo "$s" > $QX/profiler/scan_start_addr && echo "$e" > $QX/profiler/scan_end_addr
ok $? "scan range set to leaksim's held array"
out=$($TKFUZZ shapes)
ok $? "every readable file reads and has its line shape ($(echo "$out" | tail -n1))"
echo "$out" | grep '^#' | head -20
last_snap | grep -Eq '^seq=[0-9]+ time_ns=[0-9]+ '
ok $? "a snapshot taken after the fuzz parses"

rmmod leaksim tksample irqstat kmp krp && rmmod tkcore
ok $? "every module unloads"
check "nothing of ours left loaded" -- sh -c '! ls -d /sys/module/{tkcore,krp,kmp,irqstat,tksample,leaksim} 2>/dev/null | grep -q .'
sp=$(dmesg | tail -n +$((dmesg0 + 1)) | splats)
is "$sp" "" "no WARN/BUG/KASAN/lockdep/UBSAN report in dmesg"
[ -n "$sp" ] && echo "$sp" | head -20 | sed 's/^/#   /'
done_testing
