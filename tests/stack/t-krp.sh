#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# krp.ko: the seed's command and format, exact counts, timing accuracy,
# runtime control, the extended stats, missed calls, bad input, 256
# functions, and unloading under load.
. "$(dirname "$0")/lib.sh"
unload_all
P=$QX/profiler
case $TK_KVER in
6.1.*) MECH=kretprobe ;;
*) MECH=fprobe ;;
esac

stat_of() { grep "^$1:" $P/stats; }	# stat_of NAME -> name:avg:count
count_of() { stat_of "$1" | cut -d: -f3; }
avg_of() { stat_of "$1" | cut -d: -f2; }
ext_of() { grep "^$1 " $P/stats_ext; }

check "insmod tkcore" -- load_core
# ---- the seed's exact command ----
diag "at ${SECONDS}s: the seed's exact command"
check "insmod krp.ko funcs=sys_getpid,sys_clone" -- load_krp funcs=sys_getpid,sys_clone
"$TKLOAD" getpid 100 >/dev/null
check "stats is sym:avg_ns:count, in the order given" -- \
	sh -c "grep -Ezq '^sys_getpid:[0-9]+:[0-9]+
sys_clone:[0-9]+:[0-9]+
\$' $P/stats"
is "$(stat -c %a $P/stats)" 444 "stats is 0444"
is "$(stat -c %a $P/stats_ext)" 444 "stats_ext is 0444"
is "$(stat -c %a $P/funcs)" 644 "funcs is 0644"
check "stats cannot be written" -- sh -c "! $TKWRITE $P/stats 1"
is "$(grep -c . $P/funcs)" 2 "funcs lists both"
check "funcs shows target and mechanism" -- \
	grep -qx "sys_getpid target=__x64_sys_getpid mech=$MECH state=active" $P/funcs
is "$(cat $TEL/features)" "krp krp profiler" "krp registered under profiler"

# ---- exact counts ----
diag "at ${SECONDS}s: exact counts"
# Bound: getpid is called by nothing else in the guest while the helper
# runs but the shell around it: 3 to 5 calls seen (the count is the same
# at any speed); allow NOISE such calls.
NOISE=10
c0=$(count_of sys_getpid)
"$TKLOAD" getpid 20000 >/dev/null
c1=$(count_of sys_getpid)
d=$((c1 - c0))
check "20000 getpid calls counted ($d): >= 20000, <= $((20000 + NOISE))" -- test "$d" -ge 20000 -a "$d" -le $((20000 + NOISE))

# ---- extended stats ----
diag "at ${SECONDS}s: extended stats"
e=$(ext_of sys_getpid)
check "stats_ext line format" -- grep -Eq "^sys_getpid target=__x64_sys_getpid mech=$MECH count=[0-9]+ total_ns=[0-9]+ min_ns=[0-9]+ max_ns=[0-9]+ missed=[0-9]+ p50_ns=[0-9]+ p90_ns=[0-9]+ p99_ns=[0-9]+ p999_ns=[0-9]+ hist2=[0-9]+:[0-9]+(,[0-9]+:[0-9]+)* hist=([0-9]+,){39}[0-9]+\$" <<<"$e"
cnt=$(field "$e" count)
hsum=$(field "$e" hist | tr ',' '\n' | awk '{s += $1} END {print s}')
is "$hsum" "$cnt" "histogram buckets sum to count"
# hist2 bucket b starts at b ns below 64, else at (b % 32 + 32) << (b / 32 - 1)
check "hist2 buckets ascend, sum to count and fold into hist's log2 buckets" -- awk \
	-v h2="$(field "$e" hist2)" -v h="$(field "$e" hist)" -v cnt="$cnt" 'BEGIN {
	n = split(h2, kv, ","); prev = -1
	for (i = 1; i <= n; i++) {
		split(kv[i], p, ":"); b = p[1] + 0
		if (b <= prev || b > 1023 || p[2] + 0 == 0) exit 1
		prev = b
		lo = b < 64 ? b : (b % 32 + 32) * 2 ^ (int(b / 32) - 1)
		j = 0; while (2 ^ (j + 1) <= lo) j++
		l2[j] += p[2]; sum += p[2]
	}
	split(h, c, ",")
	for (j = 0; j < 40; j++) if (c[j + 1] + 0 != l2[j] + 0) exit 1
	exit !(sum == cnt)
}'
check "min <= p50 <= p90 <= p99 <= p999 <= max" -- awk -v a="$(field "$e" min_ns)" -v b="$(field "$e" p50_ns)" \
	-v c="$(field "$e" p90_ns)" -v d="$(field "$e" p99_ns)" -v f="$(field "$e" p999_ns)" \
	-v m="$(field "$e" max_ns)" 'BEGIN {exit !(a <= b && b <= c && c <= d && d <= f && f <= m && m > 0)}'
is "$(field "$e" missed)" 0 "no missed getpid calls"
# Per-CPU bucket counts are 16 bits: past 65536 calls of one bucket on one
# CPU they carry into a shared count.  2,000,000 getpid calls on CPU 0 put
# more than 65536 into the busiest bucket; the buckets must still sum to
# count exactly.
taskset -c 0 "$TKLOAD" getpid 2000000 >/dev/null
e=$(ext_of sys_getpid)
top=$(field "$e" hist2 | tr ',' '\n' | cut -d: -f2 | sort -n | tail -n1)
check "busiest bucket past a 16-bit count after 2,000,000 calls on one CPU ($top)" -- test "${top:-0}" -gt 65536
is "$(field "$e" hist2 | tr ',' '\n' | cut -d: -f2 | awk '{s += $1} END {print s}')" "$(field "$e" count)" \
	"and hist2 still sums to count"
is "$(field "$e" hist | tr ',' '\n' | awk '{s += $1} END {print s}')" "$(field "$e" count)" "and so does hist"

# ---- accuracy: 1 ms sleeps ----
diag "at ${SECONDS}s: accuracy: 1 ms sleeps"
check "add sys_clock_nanosleep" -- "$TKWRITE" $P/funcs 'add sys_clock_nanosleep\n'
out=$("$TKLOAD" sleep 200 1000)
mean=${out##*mean_ns=}
kavg=$(avg_of sys_clock_nanosleep)
check "krp's clock_nanosleep average ($kavg ns) within 10% of the caller's ($mean ns)" -- \
	awk -v k="$kavg" -v m="$mean" 'BEGIN {d = k - m; if (d < 0) d = -d; exit !(m > 1000000 && d <= m / 10)}'
is "$(count_of sys_clock_nanosleep)" 200 "200 sleeps counted"
e=$(ext_of sys_clock_nanosleep)
is "$kavg" "$(( $(field "$e" total_ns) / $(field "$e" count) ))" "stats avg = stats_ext total_ns / count"

# ---- runtime control ----
diag "at ${SECONDS}s: runtime control"
# (the shell itself calls getpid now and then: exact checks use
# clock_nanosleep, which nothing else here calls)
check "add sys_getppid,sys_getuid" -- "$TKWRITE" $P/funcs 'add sys_getppid,sys_getuid'
is "$(cut -d: -f1 $P/stats | tr '\n' ' ')" "sys_getpid sys_clone sys_clock_nanosleep sys_getppid sys_getuid " "new functions appended in order"
is "$(count_of sys_clock_nanosleep)" 200 "stats of functions that stay are kept"
check "del sys_clone,sys_getuid" -- "$TKWRITE" $P/funcs 'del sys_clone,sys_getuid'
is "$(cut -d: -f1 $P/stats | tr '\n' ' ')" "sys_getpid sys_clock_nanosleep sys_getppid " "deleted functions gone"
is "$(count_of sys_clock_nanosleep)" 200 "and the others kept"
c0=$(count_of sys_getpid)
check "reset sys_clock_nanosleep" -- "$TKWRITE" $P/funcs 'reset sys_clock_nanosleep'
is "$(count_of sys_clock_nanosleep)" 0 "reset one zeroes it"
check "reset one keeps the others" -- test "$(count_of sys_getpid)" -ge "$c0" -a "$c0" -ge 20000
# Counts are per CPU: a reset must zero every CPU's.  So each CPU makes
# calls of its own first (500 getpid, 10 sleeps), then after the reset
# getpid holds at most the shell's NOISE calls and the others nothing
# (clock_nanosleep and getppid have no other caller here).
for ((c = 0; c < $(nproc); c++)); do
	taskset -c $c "$TKLOAD" getpid 500 >/dev/null
	taskset -c $c "$TKLOAD" sleep 10 100 >/dev/null
done
is "$(count_of sys_clock_nanosleep)" $((10 * $(nproc))) "every CPU made 10 sleeps"
check "reset" -- "$TKWRITE" $P/funcs 'reset\n'
st=$(cat $P/stats | tr '\n' ' ')
check "reset zeroes all: getpid <= $NOISE, the others 0 ($st)" -- \
	test "$(count_of sys_getpid)" -le $NOISE -a "$(count_of sys_clock_nanosleep)" = 0 -a "$(count_of sys_getppid)" = 0
check "ext after reset: min 0, empty histogram" -- grep -Eq "^sys_clock_nanosleep .* count=0 total_ns=0 min_ns=0 max_ns=0 .* p999_ns=0 hist2= hist=(0,){39}0\$" $P/stats_ext

# ---- percentiles against durations measured around each call ----
diag "at ${SECONDS}s: percentiles of clock_nanosleep against the caller's own timing"
# Each sleep is timed by the caller too.  krp times a part of that: the
# caller's duration d_u minus the system call's entry and exit and the
# probe's own work, d_k = d_u - o with o >= 0 (the emulator's wakeup jitter
# is inside both).  The mean o is exact: the caller's mean minus krp's
# total_ns / count.  Per call d_k <= d_u, so krp's value of rank r is at
# most the caller's, U_r: krp's percentile must be at most 1.03 U_r.  From
# below, o may vary per call, and the busy emulator also delays some calls
# after they return to user space, which the caller counts and krp does
# not: allowing 1% of the calls (m = n / 100) such a delay and the others
# an overhead up to 2 o, krp's value of rank r is at least U_(r-m) - 2 o,
# and its percentile must be at least 0.97 (U_(r-m) - 2 o).
pct_run() {	# LABEL N USEC[,USEC...]
	local label=$1 n=$2 list=$3 out e mu mk o pm k u ul rank m=$(($2 / 100))
	"$TKWRITE" $P/funcs 'reset sys_clock_nanosleep' >/dev/null
	out=$("$TKLOAD" sleep "$n" "$list" /tmp/krp-pct.txt)
	e=$(ext_of sys_clock_nanosleep)
	is "$(field "$e" count)" "$n" "$label: $n sleeps timed"
	mu=${out##*mean_ns=}
	mk=$(( $(field "$e" total_ns) / n ))
	o=$((mu - mk))
	check "$label: krp's mean ($mk ns) is inside the caller's ($mu ns)" -- test "$o" -ge 0 -a "$mk" -gt 0
	sort -n /tmp/krp-pct.txt >/tmp/krp-pct.sorted
	for pm in 500 900 990 999; do
		k=$(field "$e" "p$( ((pm == 999)) && echo 999 || echo $((pm / 10)))_ns")
		rank=$(( (n * pm + 999) / 1000 ))
		u=$(sed -n "${rank}p" /tmp/krp-pct.sorted)
		ul=$(sed -n "$((rank > m ? rank - m : 1))p" /tmp/krp-pct.sorted)
		diag "$label p$pm/1000: krp ${k:-none} ns, caller $u ns (rank $rank; $ul at rank - $m), o $o ns: krp/(caller - o) $(awk -v k="${k:-0}" -v u="$u" -v o="$o" 'BEGIN {printf "%.4f", k / (u - o)}')"
		check "$label p$pm/1000: krp ${k:-none} in [0.97 ($ul - 2 * $o), 1.03 * $u]" -- \
			awk -v k="${k:--1}" -v u="$u" -v ul="$ul" -v o="$o" 'BEGIN {exit !(k >= 0.97 * (ul - 2 * o) && k <= 1.03 * u)}'
	done
}
pct_run "100 us" 1000 100
pct_run "1 ms" 1000 1000
pct_run "10 ms" 200 10000
pct_run "bimodal 80% 100 us, 20% 10 ms" 1000 100,100,100,100,10000,100,100,100,100,10000

# ---- bad input: errno, state unchanged ----
diag "at ${SECONDS}s: bad input: errno, state unchanged"
state() { cat $P/funcs; cut -d: -f1 $P/stats; }
bad() {	# bad INPUT ERRNO
	local before after got
	before=$(state)
	got=$("$TKWRITE" $P/funcs "$1")
	after=$(state)
	if [ "$got" = "$2" ] && [ "$before" = "$after" ]; then
		ok 0 "funcs '$1' -> $2, state unchanged"
	else
		ok 1 "funcs '$1' -> $2, state unchanged"
		echo "#   got $got"
	fi
}
bad 'add no_such_function_xyz' ENOENT
bad 'add sys_getuid,no_such_function_xyz' ENOENT
bad 'add sys_getpid' EEXIST
bad 'add sys_getuid,sys_getuid' EINVAL
bad 'add a,,b' EINVAL
bad 'add ,a' EINVAL
bad 'add a b' EINVAL
bad 'add a\nb' EINVAL
bad 'add a\x00b' EINVAL
bad 'add ' EINVAL
bad 'add' EINVAL
bad 'remove sys_getpid' EINVAL
bad ' add sys_getuid' EINVAL
bad 'del no_such_function_xyz' ENOENT
bad 'del sys_getpid,no_such_function_xyz' ENOENT
bad 'reset no_such_function_xyz' ENOENT
bad '\n' EINVAL
before=$(cat $P/funcs)
got=$("$TKWRITE" $P/funcs -r 10240 a)
is "$got/$(cat $P/funcs | md5sum)" "E2BIG/$(md5sum <<<"$before")" "10 KiB write refused with E2BIG, state unchanged"
got=$("$TKWRITE" $P/funcs "add $(head -c 200 /dev/zero | tr '\0' a)")
is "$got" ENAMETOOLONG "a 200-character name is refused"
check "bad writes leave no failed entries" -- sh -c "! grep -q failed $P/funcs"
rmmod krp

# ---- load-time names ----
diag "at ${SECONDS}s: load-time names"
check "modprobe-free insmod with an unknown name among good ones loads" -- load_krp funcs=sys_getpid,no_such_function_xyz
check "the unknown name is reported in funcs" -- \
	grep -qx "no_such_function_xyz target=no_such_function_xyz mech=none state=failed errno=-2 reason=unknown symbol" $P/funcs
check "and in dmesg" -- sh -c "dmesg | grep -q 'krp: cannot profile no_such_function_xyz (no_such_function_xyz): unknown symbol (-2)'"
is "$(cut -d: -f1 $P/stats)" sys_getpid "stats shows only what is profiled"
check "a failed entry can be deleted" -- "$TKWRITE" $P/funcs 'del no_such_function_xyz'
rmmod krp
load_krp funcs=no_such_function_xyz,nor_this_one 2>/dev/null
st=$?
ok $((st == 0)) "load with no probe-able name fails"
check "and leaves no krp" -- test ! -e /sys/module/krp
for bad in 'funcs=a,,b' 'funcs=sys_getpid,sys_getpid' 'funcs=sys_getpid,' 'funcs="a b"' \
	"funcs=$(head -c 10240 /dev/zero | tr '\0' a)" mech=bogus maxactive=0; do
	load_krp "$bad" 2>/dev/null
	st=$?
	ok $((st == 0)) "insmod krp ${bad:0:40} is refused"
	mod_loaded krp && rmmod krp
done
check "empty funcs= loads" -- load_krp funcs=
is "$(cat $P/stats)" "" "with nothing profiled"
rmmod krp
if [ "$MECH" = fprobe ]; then
	check "mech=kretprobe on a fprobe kernel" -- load_krp funcs=sys_getpid mech=kretprobe
	check "uses kretprobes" -- grep -q "mech=kretprobe state=active" $P/funcs
	"$TKLOAD" getpid 1000 >/dev/null
	check "and counts" -- test "$(count_of sys_getpid)" -ge 1000
	rmmod krp
else
	load_krp funcs=sys_getpid mech=fprobe 2>/dev/null
	st=$?
	ok $((st == 0)) "mech=fprobe refused where fprobe is unusable"
	mod_loaded krp && rmmod krp
fi

# ---- sys_ names: the system call only where no function has the name ----
diag "at ${SECONDS}s: sys_ names that are kernel functions"
# sys_fillrect and sys_imageblit are the fbdev drawing helpers (built in on
# both Debian kernels); vfb draws with them once fbcon takes the console
# over.  A kernel without fbdev (the debug kernel's tinyconfig) has neither.
have_fb=
grep -q ' sys_imageblit$' /proc/kallsyms && modinfo vfb >/dev/null 2>&1 && have_fb=1
if [ -n "$have_fb" ]; then
	check "load sys_getpid, sys_fillrect, sys_imageblit" -- \
		load_krp funcs=sys_getpid,sys_fillrect,sys_imageblit
	check "sys_fillrect is profiled as itself" -- \
		grep -qx "sys_fillrect target=sys_fillrect mech=$MECH state=active" $P/funcs
	check "sys_imageblit is profiled as itself" -- \
		grep -qx "sys_imageblit target=sys_imageblit mech=$MECH state=active" $P/funcs
	check "a virtual framebuffer (vfb) with fbcon on it" -- modprobe vfb vfb_enable=1
	for i in $(seq 40); do echo "krp test line $i"; done >/dev/tty1
	check "drawing text on tty1 calls sys_imageblit ($(count_of sys_imageblit) calls)" -- \
		test "$(count_of sys_imageblit)" -gt 0
	check "and sys_fillrect ($(count_of sys_fillrect) calls)" -- \
		test "$(count_of sys_fillrect)" -gt 0
	rmmod krp
	check "add sys_fillrect at runtime is profiled as itself too" -- sh -c \
		"insmod $TK_MODDIR/krp/krp.ko && $TKWRITE $P/funcs 'add sys_fillrect' &&
		 grep -qx 'sys_fillrect target=sys_fillrect mech=$MECH state=active' $P/funcs"
	rmmod krp
	# fbcon holds the framebuffer until it is unbound from the consoles.
	for v in /sys/class/vtconsole/vtcon*; do
		grep -q "frame buffer" "$v/name" && echo 0 >"$v/bind"
	done
	check "vfb unloads once fbcon lets go of it" -- rmmod vfb
else
	skip "sys_fillrect, sys_imageblit profiled as themselves while vfb draws" "no fbdev in this kernel"
fi
check "load sys_getpid" -- load_krp funcs=sys_getpid
check "sys_getpid is still the system call" -- \
	grep -qx "sys_getpid target=__x64_sys_getpid mech=$MECH state=active" $P/funcs
"$TKLOAD" getpid 100 >/dev/null
check "and getpid(2) is counted under sys_getpid" -- test "$(count_of sys_getpid)" -ge 100
is "$("$TKWRITE" $P/funcs 'add sys_no_such_call')" ENOENT "a sys_ name that is neither is refused with ENOENT"
rmmod krp

# ---- the funcs parameter reads back whole ----
diag "at ${SECONDS}s: the funcs parameter reads back whole"
# Distinct unknown names (skipped at load) make a list of an exact length.
plist() { # BYTES: sys_getpid, then names of 100 characters, exactly BYTES long
	local want=$1 s=sys_getpid i=0 n
	while [ $(( ${#s} + 102 )) -le "$want" ]; do
		s+=,$(printf 'n%03d%096d' $i 0); i=$((i + 1))
	done
	n=$(( want - ${#s} - 1 ))
	[ $n -gt 0 ] && s+=,$(printf 'z%0*d' $((n - 1)) 0)
	printf %s "$s"
}
l=$(plist 4094)
check "a funcs= list of 4094 bytes loads" -- load_krp "funcs=$l"
is "$(cat /sys/module/krp/parameters/funcs | md5sum)" "$(printf '%s\n' "$l" | md5sum)" \
	"parameters/funcs reads back all 4094 bytes and the newline"
rmmod krp
l=$(plist 4095)
load_krp "funcs=$l" 2>/dev/null
st=$?
ok $((st == 0)) "a funcs= list of 4095 bytes (${#l}) is refused"
check "and dmesg says why" -- sh -c "dmesg | grep -q 'krp: funcs= is 4095 bytes, at most 4094 fit; add more with the funcs file'"
check "and leaves no krp" -- test ! -e /sys/module/krp

# ---- missed calls are counted ----
diag "at ${SECONDS}s: missed calls are counted"
check "load with maxactive=1" -- load_krp funcs=sys_clock_nanosleep maxactive=1
"$TKLOAD" sleep 100 2000 >/dev/null &
"$TKLOAD" sleep 100 2000 >/dev/null &
"$TKLOAD" sleep 100 2000 >/dev/null
wait
e=$(ext_of sys_clock_nanosleep)
m=$(field "$e" missed)
c=$(field "$e" count)
check "overlapping sleeps beyond maxactive are missed ($m missed, $c timed)" -- test "$m" -gt 0
check "timed + missed covers every call ($((c + m)) of 300)" -- test $((c + m)) -ge 300
rmmod krp

# ---- 256 functions, output past a page ----
diag "at ${SECONDS}s: 256 functions, output past a page"
mapfile -t many < <(grep -E '^__x64_sys_[a-z0-9_]+$' /sys/kernel/tracing/available_filter_functions | sort -u | head -n 256 | sed 's/^__x64_//')
list=$(IFS=,; echo "${many[*]}")
t0=$(date +%s)
check "load with ${#many[@]} functions" -- load_krp "funcs=$list"
diag "registering ${#many[@]} probes took $(( $(date +%s) - t0 )) s"
is "$(grep -c 'state=active' $P/funcs)" 256 "all 256 active"
is "$(wc -l <$P/stats)" 256 "stats has 256 lines"
size=$(wc -c <$P/stats_ext)
check "stats_ext is past a page ($size bytes)" -- test "$size" -gt 8192
# Counts move between two passes, so compare what must not move.
cat $P/stats_ext >/tmp/ext.whole
dd if=$P/stats_ext bs=100 2>/dev/null >/tmp/ext.chunks
is "$(cut -d' ' -f1-3 /tmp/ext.chunks | md5sum)" "$(cut -d' ' -f1-3 /tmp/ext.whole | md5sum)" "a 100-byte-chunk read has the same functions"
is "$(grep -Ec ' hist=([0-9]+,){39}[0-9]+$' /tmp/ext.chunks)" 256 "and 256 complete lines"
"$TKWRITE" $TEL/snapshot 1 >/dev/null
s=$(last_snap)
is "$(field "$s" krp_functions)" 256 "snapshot carries krp_functions"
check "snapshot carries krp_calls" -- field "$s" krp_calls
rmmod krp

# ---- modprobe pulls tkcore in ----
diag "at ${SECONDS}s: modprobe pulls tkcore in"
rmmod tkcore
install_modules
check "modprobe krp funcs=sys_getpid" -- modprobe krp funcs=sys_getpid
check "tkcore pulled in" -- mod_loaded tkcore
check "modprobe -r krp" -- modprobe -r krp
check "both gone" -- test ! -e /sys/module/krp -a ! -e /sys/module/tkcore

# ---- unload while profiled calls run and a reader loops ----
diag "at ${SECONDS}s: unload while profiled calls run and a reader loops"
load_core
# 100 cycles; 25 on the debug kernel (KASAN makes a cycle 3x slower there),
# whose d-stress.sh loads and unloads krp 100 more times under a getpid
# and read(2) hammer and readers of every file.
cycles=100
[ -e "$KML" ] && cycles=25
CYCLES=${TK_KRP_CYCLES:-$cycles}
# The calls and the reader run at nice 19: on each CPU they run whenever
# the loading task waits (grace periods, text patching), and do not take
# two thirds of the CPU from it.
nice -n 19 "$TKLOAD" spin 100000 >/dev/null &
s1=$!
nice -n 19 "$TKLOAD" spin 100000 >/dev/null &
s2=$!
( while :; do cat $P/stats $P/stats_ext $P/funcs >/dev/null 2>&1; done ) &
rd=$!
renice -n 19 -p $rd >/dev/null
fails=0
for i in $(seq "$CYCLES"); do
	load_krp funcs=sys_getpid,sys_getppid || fails=$((fails + 1))
	rmmod krp || fails=$((fails + 1))
done
kill $s1 $s2 $rd
wait 2>/dev/null
is "$fails" 0 "$CYCLES load/unload cycles under two getpid loops and a reader"
rmmod tkcore
done_testing
