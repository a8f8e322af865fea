#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kmp.ko (vmalloc leak detector) with leaksim.ko as the leaking party: the
# seed's memleaks format, held vs dropped blocks, the scan range files, bad
# input, ranges across unmapped pages and device memory, verdicts
# (self-references, interior pointers, stale snapshot copies), 5,000
# blocks, overflow, unload during a long scan, and a load/unload storm.
# (Interrupts-off sections of a scan: d-kmp-irqsoff.sh; vmalloc() latency
# during scans of 1,000,000 blocks: tests/bench/guest-kmp.sh.)
. "$(dirname "$0")/lib.sh"

P=$QX/profiler
L=$QX/leaksim
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

load_kmp() { insmod "$TK_MODDIR/kmp/kmp.ko" "$@"; }

# rd FILE: read FILE whole; prints "ok" or the errno name (EFAULT, ...).
rd() {
	python3 - "$1" <<'EOF'
import errno, sys
try:
    with open(sys.argv[1], "rb") as f:
        f.read()
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
EOF
}

# wr FILE BYTES: one exact write; prints "ok N" or the errno name.
wr() { "$TKWRITE" "$1" "$2"; }

# leaksim's text: [.text, next section) from /sys/module/leaksim/sections.
text_range() {
	local s next a f
	s=$(cat /sys/module/leaksim/sections/.text)
	next=
	for f in /sys/module/leaksim/sections/.* /sys/module/leaksim/sections/*; do
		[ -f "$f" ] || continue
		a=$(cat "$f")
		if (( a > s )) && { [ -z "$next" ] || (( a < next )); }; then
			next=$a
		fi
	done
	echo "$s $next"
}

# leaks FILE: the memleaks lines of FILE whose IP is in leaksim's text.
leaks() {
	local lo hi start st ip
	read -r lo hi < <(text_range)
	while IFS=: read -r start st ip; do
		(( ip >= lo && ip < hi )) && echo "$start:$st:$ip"
	done < "$1"
	return 0
}

ext_range() { head -n1 "$P/memleaks_ext" | sed -n 's/.* range=\([^ ]*\).*/\1/p'; }

unload_all

# ---- load order, files ----
check "insmod tkcore" -- load_core
check "insmod kmp" -- load_kmp
check "insmod leaksim (after kmp)" -- load_leaksim
is "$(cat $TEL/features)" "kmp kmp profiler
leaksim leaksim leaksim" "features lists kmp under profiler"
modes=
for f in scan_start_addr scan_end_addr memleaks memleaks_ext tracked_blocks \
	tracked_bytes track_overflow missed; do
	modes="$modes $f=$(stat -c %a $P/$f 2>/dev/null)"
done
is "$modes" " scan_start_addr=200 scan_end_addr=200 memleaks=400 memleaks_ext=400 tracked_blocks=444 tracked_bytes=444 track_overflow=444 missed=444" "kmp file modes"
modes=
for f in control held_range kmalloc_dropped vmalloc_dropped kmalloc_held \
	vmalloc_held region_range region_read_ns vmalloc_pair_ns; do
	modes="$modes $f=$(stat -c %a $L/$f 2>/dev/null)"
done
is "$modes" " control=200 held_range=400 kmalloc_dropped=444 vmalloc_dropped=444 kmalloc_held=444 vmalloc_held=444 region_range=400 region_read_ns=400 vmalloc_pair_ns=400" "leaksim file modes"
is "$(cat $L/kmalloc_dropped)" 1 "leaksim still leaks one kmalloc block at load"
is "$(rd $P/memleaks)" ENODATA "memleaks without a range: ENODATA"
is "$(rd $P/memleaks_ext)" ENODATA "memleaks_ext without a range: ENODATA"

# ---- 7 dropped + 5 held vmalloc blocks ----
b0=$(cat $P/tracked_blocks)
y0=$(cat $P/tracked_bytes)
is "$(wr $L/control 'vmalloc_dropped 7')" "ok 17" "control: vmalloc_dropped 7"
is "$(wr $L/control $'vmalloc_held 5\n')" "ok 15" "control: vmalloc_held 5 (with newline)"
is "$(cat $L/vmalloc_dropped) $(cat $L/vmalloc_held)" "7 5" "leaksim counts 7 dropped, 5 held"
is "$(( $(cat $P/tracked_blocks) - b0 ))" 12 "tracked_blocks grew by 12"
is "$(( $(cat $P/tracked_bytes) - y0 ))" $((12 * 4096)) "tracked_bytes grew by 12 pages"
read -r hs he < $L/held_range
check "held_range is two aligned hex addresses" -- \
	test $((hs % 8)) -eq 0 -a $((he - hs)) -eq $((4096 * 8))
is "$(wr $P/scan_start_addr "$hs")" "ok ${#hs}" "scan_start_addr = held array start"
is "$(wr $P/scan_end_addr "${he#0x}")" "ok $(( ${#he} - 2 ))" "scan_end_addr = held array end (hex without 0x)"
is "$(ext_range)" "$hs-$he" "memleaks_ext shows the range"
cat $P/memleaks > "$WORK/m1"
bad=$(grep -cvE '^0x[0-9a-f]+:(possible leak|not freed yet):0x[0-9a-f]+$' "$WORK/m1")
is "$bad" 0 "every memleaks line is <0xstart>:<possible leak|not freed yet>:<0xip>"
leaks "$WORK/m1" > "$WORK/l1"
is "$(grep -c ':possible leak:' "$WORK/l1")" 7 "7 possible leaks allocated in leaksim's text"
is "$(grep -c ':not freed yet:' "$WORK/l1")" 5 "5 not freed yet allocated in leaksim's text"
is "$(grep -c . "$WORK/m1")" "$(cat $P/tracked_blocks)" "memleaks has one line per tracked block"
# The allocation site, symbolised.
cat $P/memleaks_ext > "$WORK/e1"
n=$(grep -E '^0x' "$WORK/e1" | grep -c 'size=4096 age_ms=[0-9]* pid=[0-9]* comm=[^ ]* site=leaksim_alloc+0x[0-9a-f]*/0x[0-9a-f]* \[leaksim\]$')
is "$n" 12 "memleaks_ext: 12 blocks, size, age, pid, comm, site leaksim_alloc [leaksim]"
check "memleaks_ext: stack trace lines below each block" -- \
	grep -qP '^\tcontrol_store\+0x[0-9a-f]+/0x[0-9a-f]+ \[leaksim\]$' "$WORK/e1"
check "memleaks_ext header has blocks, bytes, overflow, missed" -- \
	grep -qE '^# blocks=[0-9]+ bytes=[0-9]+ overflow=0 missed=[0-9]+ range=' "$WORK/e1"
held=$(grep ':not freed yet:' "$WORK/l1" | cut -d: -f1 | sort)
"$TKWRITE" $TEL/snapshot 1 >/dev/null
s=$(last_snap)
is "$(field "$s" kmp_tracked_blocks)" "$(cat $P/tracked_blocks)" "snapshot carries kmp_tracked_blocks"
is "$(field "$s" kmp_tracked_bytes)" "$(cat $P/tracked_bytes)" "snapshot carries kmp_tracked_bytes"

# ---- free: the held blocks leave the table ----
is "$(wr $L/control free)" "ok 4" "control: free"
is "$(cat $L/vmalloc_held)" 0 "leaksim holds nothing"
is "$(( $(cat $P/tracked_blocks) - b0 ))" 7 "tracked_blocks: only the 7 dropped remain"
cat $P/memleaks > "$WORK/m2"
leaks "$WORK/m2" > "$WORK/l2"
is "$(grep -c ':possible leak:' "$WORK/l2") $(grep -c ':not freed yet:' "$WORK/l2")" "7 0" \
	"after free: 7 possible leaks, nothing not freed yet"
gone=0
for a in $held; do grep -q "^$a:" "$WORK/m2" && gone=1; done
ok $gone "the 5 freed blocks are gone from memleaks"

# ---- the range files: bad input, state unchanged ----
for f in scan_start_addr scan_end_addr; do
	for bad in x 0xg -8 +8 ' 8' '8 ' 0x '\n' '8\n\n' '8\0' 'ff\x00ff' 0x0x8; do
		is "$(wr $P/$f "$bad")" EINVAL "$f: '$bad' is EINVAL"
	done
	is "$(wr $P/$f 0x1001)" EINVAL "$f: unaligned 0x1001 is EINVAL"
	is "$(wr $P/$f 0x1004)" EINVAL "$f: 4-byte aligned 0x1004 is EINVAL"
	is "$(wr $P/$f 10000000000000000)" ERANGE "$f: 17 hex digits is ERANGE"
	is "$("$TKWRITE" $P/$f -r 4096 8)" ERANGE "$f: 4096 digits is ERANGE"
	is "$(ext_range)" "$hs-$he" "$f: range unchanged after bad input"
done
is "$(wr $P/scan_end_addr "$hs")" EINVAL "scan_end_addr = start is EINVAL"
is "$(wr $P/scan_end_addr "$(printf '%#x' $((hs - 8)))")" EINVAL "scan_end_addr below start is EINVAL"
is "$(wr $P/scan_end_addr 0)" EINVAL "scan_end_addr 0 is EINVAL"
is "$(ext_range)" "$hs-$he" "range unchanged after rejected ends"
mid=$(printf '%#x' $((hs + 4096)))
is "$(wr $P/scan_start_addr "$mid")" "ok ${#mid}" "scan_start_addr inside the range keeps the end"
is "$(ext_range)" "$mid-$he" "range is start..old end"
is "$(wr $P/scan_start_addr "$he")" "ok ${#he}" "scan_start_addr at the end is accepted"
is "$(rd $P/memleaks)" ENODATA "... and un-sets the end: memleaks is ENODATA"
is "$(wr $P/scan_end_addr "$hs")" EINVAL "an end below the new start is EINVAL"
is "$(wr $P/scan_start_addr "$hs")" "ok ${#hs}" "start back to the array"
is "$(rd $P/memleaks)" ENODATA "end still unset"
is "$(wr $P/scan_end_addr "$he")" "ok ${#he}" "end written again"
is "$(ext_range)" "$hs-$he" "range complete again"
is "$(wr $P/scan_start_addr 0XFFFFFFFFFFFFFFF0)" "ok 18" "upper-case hex with 0X accepted"
is "$(wr $P/scan_end_addr FFFFFFFFFFFFFFF8)" "ok 16" "upper-case hex without prefix accepted"

# ---- unreadable pages: skipped and counted, never an error ----
# skipped FILE: the skipped= field of a memleaks_ext header in FILE
skipped() { head -n1 "$1" | sed -n 's/.* skipped=\([0-9]*\).*/\1/p'; }
# status_of ADDR FILE: the status of block ADDR in memleaks FILE
status_of() { sed -n "s/^$1:\([^:]*\):.*/\1/p" "$2"; }
cat $P/memleaks_ext > "$WORK/u0" 2>&1
is "$(skipped "$WORK/u0")" 1 "top of the address space (unmapped): read ok, skipped=1"
wr $P/scan_start_addr 0x1000 >/dev/null
wr $P/scan_end_addr 0x3000 >/dev/null
cat $P/memleaks_ext > "$WORK/u1" 2>&1
is "$(skipped "$WORK/u1")" 2 "user-space range (2 pages): read ok, skipped=2"
is "$(rd $P/memleaks)" ok "memleaks of that range: ok"
# Held and dropped blocks, and a region whose words point at the held ones;
# the range runs from a page below the region to two pages past its end:
# the guard page after it (and whatever is below it) cannot be read.
is "$(wr $L/control 'vmalloc_held 3')" "ok 14" "hold 3 vmalloc blocks"
is "$(wr $L/control 'vmalloc_dropped 2')" "ok 17" "drop 2"
is "$(wr $L/control 'region 1')" "ok 8" "a 1 MiB region"
is "$(wr $L/control 'region_fill 1')" "ok 13" "every word points at (or 8 bytes into) a held block"
read -r rs re < $L/region_range
wr $P/scan_start_addr "$(printf '%#x' $((rs - 4096)))" >/dev/null
wr $P/scan_end_addr "$(printf '%#x' $((re + 8192)))" >/dev/null
if cat $P/memleaks_ext > "$WORK/u2" 2>"$WORK/u2.err"; then r=ok; else r=$(cat "$WORK/u2.err"); fi
is "$r" ok "a range across the region's guard pages reads"
sk=$(skipped "$WORK/u2")
check "... and skipped some pages (skipped=${sk:-none}, range of $(( (re - rs) / 4096 + 3 )) pages)" -- \
	test "${sk:-0}" -gt 0 -a "${sk:-0}" -le 3
grep -E '^0x' "$WORK/u2" | sed 's/ size=.*//' > "$WORK/u2.m"
leaks "$WORK/u2.m" > "$WORK/u2.l"
is "$(grep -c ':not freed yet:' "$WORK/u2.l") $(grep -c ':possible leak:' "$WORK/u2.l")" "3 $(cat $L/vmalloc_dropped)" \
	"the held blocks are found in the region, the dropped ones are leaks"
wr $L/control free >/dev/null
wr $L/control 'region 0' >/dev/null
# Device memory: an ioremap area (HPET's registers when there is one) is
# never read: every page of it is skipped.
# (vmallocinfo hashes its addresses unless kptr_restrict is 1, for root.)
kr=$(cat /proc/sys/kernel/kptr_restrict)
echo 1 > /proc/sys/kernel/kptr_restrict
io=$(grep -E ' ioremap( |$)' /proc/vmallocinfo | grep -E 'hpet' | head -n1)
[ -n "$io" ] || io=$(grep -E ' ioremap( |$)' /proc/vmallocinfo | grep -vE 'acpi|virtio|vp_' | head -n1)
echo "$kr" > /proc/sys/kernel/kptr_restrict
if [ -n "$io" ]; then
	ios=${io%%-*}
	iop=$(awk '{print $2}' <<<"$io")
	wr $P/scan_start_addr "$ios" >/dev/null
	# The area's size counts its guard page: scan the mapped part.
	wr $P/scan_end_addr "$(printf '%#x' $((ios + iop - 4096)))" >/dev/null
	cat $P/memleaks_ext > "$WORK/u3" 2>&1
	is "$(skipped "$WORK/u3")" $(( (iop - 4096) / 4096 )) "ioremap area ${io%% phys*}: every page skipped, none read"
else
	ok 1 "an ioremap area in /proc/vmallocinfo to scan"
fi
check "no oops reading those ranges" -- sh -c "! dmesg | grep -qE 'BUG|Oops'"
wr $P/scan_start_addr "$hs" >/dev/null
wr $P/scan_end_addr "$he" >/dev/null

# ---- verdicts ----
# new_leaksim_blocks BEFORE AFTER: memleaks lines of leaksim's blocks in
# AFTER whose start is not in BEFORE.
new_blocks() { leaks "$2" | cut -d: -f1 | grep -vxF -f <(cut -d: -f1 "$1") || true; }
cat $P/memleaks > "$WORK/v0"
is "$(wr $L/control 'vmalloc_selfref 1')" "ok 17" "control: vmalloc_selfref 1"
cat $P/memleaks > "$WORK/v1"
sr=$(new_blocks "$WORK/v0" "$WORK/v1")
check "the self-referencing block is tracked ($sr)" -- test -n "$sr" -a "$(wc -w <<<"$sr")" -eq 1
wr $P/scan_start_addr "$sr" >/dev/null
wr $P/scan_end_addr "$(printf '%#x' $((sr + 4096)))" >/dev/null
cat $P/memleaks > "$WORK/v2"
is "$(status_of "$sr" "$WORK/v2")" "possible leak" \
	"a block whose only pointers to itself are its own (empty list_head) is a possible leak"
is "$(cat $P/interior_pointers 2>&1)" 0 "interior_pointers is off by default"
cat $P/memleaks > "$WORK/v0"
is "$(wr $L/control 'vmalloc_interior 1')" "ok 18" "control: vmalloc_interior 1"
wr $P/scan_start_addr "$hs" >/dev/null
wr $P/scan_end_addr "$he" >/dev/null
cat $P/memleaks > "$WORK/v3"
ip=$(new_blocks "$WORK/v0" "$WORK/v3")
check "the block held by an interior pointer is tracked ($ip)" -- test -n "$ip" -a "$(wc -w <<<"$ip")" -eq 1
is "$(status_of "$ip" "$WORK/v3")" "possible leak" "exact-start rule: a block with only an interior pointer is a possible leak"
for bad in 2 -1 x '1 ' 01x on '1\n\n' '1\0' '\n'; do
	is "$(wr $P/interior_pointers "$bad")" EINVAL "interior_pointers: '$bad' is EINVAL"
done
is "$(wr $P/interior_pointers '')" "ok 0" "interior_pointers: an empty write does nothing"
is "$(cat $P/interior_pointers 2>&1)" 0 "interior_pointers unchanged after bad input"
is "$(wr $P/interior_pointers $'1\n')" "ok 2" "interior_pointers: 1"
cat $P/memleaks > "$WORK/v4"
is "$(status_of "$ip" "$WORK/v4")" "not freed yet" "interior pointers on: that block is not freed yet"
is "$(leaks "$WORK/v4" | grep -c ':possible leak:')" "$(leaks "$WORK/v3" | grep -c ':possible leak:' | awk '{print $1 - 1}')" \
	"interior pointers on: every other block keeps its verdict"
wr $P/scan_start_addr "$sr" >/dev/null
wr $P/scan_end_addr "$(printf '%#x' $((sr + 4096)))" >/dev/null
is "$(status_of "$sr" $P/memleaks)" "possible leak" "interior pointers on: the self-referencing block is still a possible leak"
is "$(wr $P/interior_pointers 0)" "ok 1" "interior_pointers: 0"
wr $L/control free >/dev/null
# Stale copies: a memleaks_ext pass copies every start into an array that
# it frees at the end.  "scratch 1536" shows a kmalloc-2k object that was
# just freed, which that array (about 46 blocks tracked) reuses on the same
# CPU; a scan of it then must not find the starts that the array held.
# Every tracked block is a dropped one: any "not freed yet" is stale.
rmmod leaksim kmp
load_kmp
load_leaksim kmalloc_dropped=0
nb=$(cat $P/tracked_blocks)
wr $L/control "vmalloc_dropped $((46 - nb))" >/dev/null
wr $P/scan_start_addr "$hs" >/dev/null
wr $P/scan_end_addr "$he" >/dev/null
stale=$(python3 - "$P" "$L" "$hs" "$he" <<'PY'
import os, sys
P, L, hs, he = sys.argv[1:]
os.sched_setaffinity(0, {0})
def rd(f):
    with open(f, "rb") as fh:
        return fh.read().decode()
def wr(f, s):
    with open(f, "w") as fh:
        fh.write(s)
total = 0
for t in range(3):
    rd(P + "/memleaks")                 # memleaks keeps its own snapshot
    wr(L + "/control", "scratch 1536")  # a kmalloc-2k object, freed
    rd(P + "/memleaks_ext")             # its array reuses it, then frees it
    xs, xe = rd(L + "/scratch_range").split()
    wr(P + "/scan_start_addr", xs)
    wr(P + "/scan_end_addr", xe)
    m = rd(P + "/memleaks")
    n = m.count(":not freed yet:")
    print("# try %d: %d blocks, a scan of the freed array at %s finds %d not freed yet"
          % (t + 1, m.count("\n"), xs, n), file=sys.stderr)
    total += n
    wr(P + "/scan_start_addr", hs)
    wr(P + "/scan_end_addr", he)
print(total)
PY
)
is "$stale" 0 "freed snapshot arrays hold no block address (3 tries)"
rmmod leaksim kmp
load_kmp
load_leaksim kmalloc_dropped=0 vmalloc_dropped=7
read -r hs he < $L/held_range
wr $P/scan_start_addr "$hs" >/dev/null
wr $P/scan_end_addr "$he" >/dev/null

# ---- leaksim control: bad input, state unchanged ----
st0="$(cat $L/vmalloc_dropped $L/vmalloc_held $L/kmalloc_dropped $L/kmalloc_held $P/tracked_blocks | tr '\n' ' ')"
for bad in '' bogus 'bogus 1' vmalloc_held 'vmalloc_held ' 'vmalloc_held  1' \
	'vmalloc_held 1 ' 'vmalloc_held -1' 'vmalloc_held +1' 'vmalloc_held 0x1' \
	'vmalloc_held 1\0' 'vmalloc_held\n1' 'vmalloc_kept 1' 'vmalloc 1' \
	'_held 1' 'VMALLOC_HELD 1' 'free 1' 'free\n\n' ' free' 'FREE'; do
	want=EINVAL
	[ -z "$bad" ] && want="ok 0"
	is "$(wr $L/control "$bad")" "$want" "control: '$bad' is ${want}"
done
is "$(wr $L/control 'vmalloc_held 4097')" ERANGE "control: 4097 blocks is ERANGE"
is "$(wr $L/control 'kmalloc_dropped 99999999999999999999')" ERANGE "control: huge count is ERANGE"
is "$("$TKWRITE" $L/control -r 100 a)" EINVAL "control: 100 bytes of garbage is EINVAL"
is "$(wr $L/control 'region 1025')" ERANGE "control: region over 1024 MiB is ERANGE"
is "$(wr $L/control 'region_fill 1')" ENXIO "control: region_fill without a region is ENXIO"
is "$(rd $L/region_range)" ENODATA "region_range without a region: ENODATA"
is "$(wr $L/control 'region 1')" "ok 8" "control: region 1 (MiB)"
read -r rs re < $L/region_range
is "$((re - rs))" $((1 << 20)) "region_range spans 1 MiB"
check "region_read_ns reads it" -- grep -qE '^[0-9]+$' $L/region_read_ns
is "$(wr $L/control 'region 0')" "ok 8" "control: region 0 frees it"
is "$(wr $L/control 'vmalloc_held 4000')" "ok 17" "hold 4000 vmalloc blocks"
is "$(wr $L/control 'kmalloc_held 97')" ENOSPC "97 more held blocks: ENOSPC (4096 slots)"
is "$(cat $L/vmalloc_held) $(cat $L/kmalloc_held)" "4000 0" "nothing allocated by the refused command"
is "$(wr $L/control 'kmalloc_held 96')" "ok 15" "96 more fill the array"
is "$(wr $L/control 'vmalloc_held 0')" "ok 14" "0 more blocks is fine"
is "$(wr $L/control 'vmalloc_held 1')" ENOSPC "then the array is full"
is "$(wr $L/control free)" "ok 4" "free all"
st1="$(cat $L/vmalloc_dropped $L/vmalloc_held $L/kmalloc_dropped $L/kmalloc_held $P/tracked_blocks | tr '\n' ' ')"
is "$st1" "$st0" "counts as before the bad commands"
is "$(wr $P/tracked_blocks 1)" EACCES "tracked_blocks is read-only"

# ---- 5,000 blocks print whole ----
is "$(wr $L/control 'vmalloc_dropped 2500')" "ok 20" "leak 2500 more"
is "$(wr $L/control 'vmalloc_dropped 2500')" "ok 20" "... and 2500 more"
is "$(wr $L/control 'vmalloc_held 10')" "ok 15" "hold 10"
cat $P/memleaks > "$WORK/m3"
leaks "$WORK/m3" > "$WORK/l3"
is "$(grep -c ':possible leak:' "$WORK/l3") $(grep -c ':not freed yet:' "$WORK/l3")" "5007 10" \
	"5,007 possible leaks and 10 not freed yet, whole"
check "memleaks is more than a page ($(stat -c %s "$WORK/m3") bytes read)" -- test "$(wc -c < "$WORK/m3")" -gt 200000
check "memleaks is in increasing address order, no duplicates" -- env LC_ALL=C sort -c -u -t: -k1,1 "$WORK/m3"
dd if=$P/memleaks of="$WORK/m4" bs=100 status=none
check "a dd bs=100 read equals a whole read" -- cmp -s "$WORK/m3" "$WORK/m4"
dd if=$P/memleaks of="$WORK/m5" bs=1 count=5000 status=none
check "a partial 1-byte-chunk read is a prefix of it" -- cmp -s "$WORK/m5" <(head -c 5000 "$WORK/m3")
cat $P/memleaks_ext > "$WORK/e3"
is "$(grep -c '^0x' "$WORK/e3")" "$(grep -c . "$WORK/m3")" "memleaks_ext ($(wc -c < "$WORK/e3") bytes) has every block"
dd if=$P/memleaks_ext of="$WORK/e4" bs=4000 status=none
is "$(grep -E '^0x' "$WORK/e4" | sed 's/ size=.*//')" "$(cat "$WORK/m3")" "chunked memleaks_ext lists the same blocks and statuses"
wr $L/control free >/dev/null

# ---- module parameters ----
check "rmmod leaksim kmp" -- rmmod leaksim kmp
for bad in max_blocks=0 max_blocks=15 max_blocks=1048577 max_blocks=x max_blocks=-1; do
	load_kmp "$bad" 2>/dev/null
	st=$?
	ok $((st == 0)) "insmod kmp $bad is refused"
done
check "no kmp after refused loads" -- test ! -e /sys/module/kmp
for bad in vmalloc_held=4097 vmalloc_size=0 vmalloc_size=16777217 kmalloc_held=-1; do
	load_leaksim "$bad" 2>/dev/null
	st=$?
	ok $((st == 0)) "insmod leaksim $bad is refused"
done

# ---- overflow: a pool of 16 ----
check "insmod kmp max_blocks=16" -- load_kmp max_blocks=16
check "insmod leaksim vmalloc_held=20 vmalloc_size=100" -- load_leaksim vmalloc_held=20 vmalloc_size=100 kmalloc_dropped=0
is "$(cat $P/tracked_blocks)" 16 "16 blocks tracked"
is "$(cat $P/tracked_bytes)" 1600 "tracked_bytes counts the sizes asked (100 each)"
is "$(cat $P/track_overflow)" 4 "4 allocations counted in track_overflow"
read -r hs he < $L/held_range
wr $P/scan_start_addr "$hs" >/dev/null
wr $P/scan_end_addr "$he" >/dev/null
check "memleaks_ext header shows overflow=4" -- sh -c "head -n1 $P/memleaks_ext | grep -q ' overflow=4 '"
is "$(grep -c ':not freed yet:' $P/memleaks)" 16 "the 16 tracked ones are not freed yet"
check "rmmod leaksim (frees 20 blocks, 16 tracked)" -- rmmod leaksim
is "$(cat $P/tracked_blocks) $(cat $P/tracked_bytes)" "0 0" "table empty again"
is "$(wr $L/control free 2>&1)" ENOENT "leaksim's files went with it"
check "rmmod kmp" -- rmmod kmp

# ---- krp on the same functions: two kretprobes hook each vmalloc() ----
# The allocation site must stay the caller's, not the rethook trampoline,
# whichever probe hooks first.
sym=vmalloc
grep -q ' vmalloc_noprof$' /proc/kallsyms && sym=vmalloc_noprof
for order in "kmp krp" "krp kmp"; do
	# krp failing to probe a function kmp already hooks (or the other way
	# round) is the very defect this checks for: a load that fails fails.
	d0=$(dmesg | wc -l)
	err=
	for m in $order; do
		if [ "$m" = kmp ]; then
			e=$(load_kmp 2>&1) || err="$err insmod kmp: ${e:-failed};"
		else
			e=$(insmod "$TK_MODDIR/krp/krp.ko" "funcs=vfree,$sym" 2>&1) ||
				err="$err insmod krp funcs=vfree,$sym: ${e:-failed};"
		fi
	done
	if [ -n "$err" ] || ! mod_loaded krp || ! mod_loaded kmp; then
		ok 1 "kmp and krp both load with krp on $sym and vfree (loaded $order)"
		diag "${err:- one of them is not loaded}"
		dmesg | tail -n +$((d0 + 1)) | grep -E 'krp|kmp' | tail -n 10 | sed 's/^/#   dmesg: /'
		for m in leaksim krp kmp; do mod_loaded $m && rmmod $m; done
		continue
	fi
	ok 0 "kmp and krp both load with krp on $sym and vfree (loaded $order)"
	load_leaksim kmalloc_dropped=0
	wr $L/control 'vmalloc_dropped 3' >/dev/null
	wr $L/control 'vmalloc_held 2' >/dev/null
	read -r hs he < $L/held_range
	wr $P/scan_start_addr "$hs" >/dev/null
	wr $P/scan_end_addr "$he" >/dev/null
	cat $P/memleaks > "$WORK/k1"
	leaks "$WORK/k1" > "$WORK/k2"
	is "$(grep -c ':possible leak:' "$WORK/k2") $(grep -c ':not freed yet:' "$WORK/k2")" "3 2" \
		"with krp on $sym too (loaded $order): 3 possible leaks, 2 not freed yet, sites in leaksim"
	check "rmmod leaksim krp kmp" -- rmmod leaksim krp kmp
done

# ---- unload during a long memleaks scan ----
# 4,000 tracked blocks and a region (as large as the guest's memory allows,
# up to 1 GiB) whose every word points at one of them: every word of the
# scan is looked up.  rmmod kmp during that read
# must stop the scan (ENODEV) and finish within 2 s (5 s on the debug
# kernel), and tkcore's own files must keep answering meanwhile.
check "insmod kmp" -- load_kmp
check "insmod leaksim kmalloc_dropped=0" -- load_leaksim kmalloc_dropped=0
is "$(wr $L/control 'vmalloc_held 4000')" "ok 17" "hold 4000 vmalloc blocks"
# MemAvailable less 700 MiB, in 128 MiB steps, 256..1024 MiB
mib=$(awk '/^MemAvailable:/ {m = int(($2 / 1024 - 700) / 128) * 128; print (m < 256 ? 256 : (m > 1024 ? 1024 : m))}' /proc/meminfo)
is "$(wr $L/control "region $mib")" "ok $((7 + ${#mib}))" "a $mib MiB region"
is "$(wr $L/control 'region_fill 1')" "ok 13" "every word of it points at a held block"
read -r rs re < $L/region_range
wr $P/scan_start_addr "$rs" >/dev/null
wr $P/scan_end_addr "$re" >/dev/null
# timed_read FILE: "ERRNO|ok MS" of a whole read of FILE
timed_read() {
	python3 - "$1" <<'PY'
import errno, sys, time
t0 = time.monotonic()
try:
    with open(sys.argv[1], "rb") as f:
        while f.read(65536):
            pass
    r = "ok"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e.errno))
print(r, int((time.monotonic() - t0) * 1000))
PY
}
read -r r full < <(timed_read $P/memleaks)
diag "a whole memleaks read of the region: $r, $full ms"
check "the scan is long enough to unload during it (${full} ms >= 3000)" -- test "$r" = ok -a "${full:-0}" -ge 3000
timed_read $P/memleaks > "$WORK/scan" &
scan_pid=$!
sleep 0.5
if kill -0 $scan_pid 2>/dev/null; then
	ok 0 "memleaks read still running after 0.5 s"
else
	ok 1 "memleaks read still running after 0.5 s (it ended: $(cat "$WORK/scan"))"
fi
unload_while_busy kmp $scan_pid "the scan" "the memleaks read" "$WORK/scan"
check "kmp's files are gone" -- test ! -e $P/memleaks
is "$(wr $L/control free)" "ok 4" "leaksim frees its blocks"
is "$(wr $L/control 'region 0')" "ok 8" "and its region"
check "rmmod leaksim" -- rmmod leaksim

# ---- storm: kmp loaded and unloaded while leaksim allocates and frees ----
check "insmod leaksim kmalloc_dropped=0" -- load_leaksim kmalloc_dropped=0
vm0=$(awk '/^VmallocUsed/ {print $2}' /proc/meminfo)
touch "$WORK/run"
(
	while [ -e "$WORK/run" ]; do
		"$TKWRITE" $L/control 'vmalloc_held 50' >/dev/null
		"$TKWRITE" $L/control free >/dev/null
	done
) &
alloc_pid=$!
(
	while [ -e "$WORK/run" ]; do
		cat $P/memleaks $P/memleaks_ext >/dev/null 2>&1
		cat $P/tracked_blocks >/dev/null 2>&1
	done
) &
read_pid=$!
fails=0
for _ in $(seq 20); do
	load_kmp || fails=$((fails + 1))
	wr $P/scan_start_addr "$hs" >/dev/null
	wr $P/scan_end_addr "$he" >/dev/null
	sleep 0.2
	rmmod kmp || fails=$((fails + 1))
done
rm -f "$WORK/run"
wait $alloc_pid $read_pid
is "$fails" 0 "20 load/unload cycles of kmp during a vmalloc/vfree storm"
check "leaksim still answers" -- test "$(cat $L/vmalloc_held)" -ge 0
wr $L/control free >/dev/null
vm1=$(awk '/^VmallocUsed/ {print $2}' /proc/meminfo)
diag "VmallocUsed before ${vm0} kB, after ${vm1} kB"
check "no vmalloc memory kept by 20 kmp loads (VmallocUsed +$((vm1 - vm0)) kB < 4 MB)" -- \
	test $((vm1 - vm0)) -lt 4096
check "insmod kmp again" -- load_kmp
b0=$(cat $P/tracked_blocks)
is "$(wr $L/control 'vmalloc_held 3')" "ok 14" "hold 3"
is "$(( $(cat $P/tracked_blocks) - b0 ))" 3 "kmp tracks the new blocks"
check "rmmod leaksim kmp tkcore" -- rmmod leaksim kmp tkcore
check "all gone" -- test ! -e $QX -a ! -e /sys/module/kmp

splat=$(dmesg | splats | head -n 5)
is "$splat" "" "no WARNING/BUG/Oops in dmesg"

done_testing
