#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: host unit tests, the style gate, then the module-stack
# suite booted on every kernel (tests/vm/vmrun): one boot per Debian kernel,
# three on the debug kernel (its suite in two halves, then the d-*.sh).
# Prints per-test TAP and a final line "N passed, N failed"; exits non-zero
# on any failure.
#
#   TK_KERNELS="rel rel"   kernels to boot (default: scripts/kernels.sh)
#   TK_DEBUG=0             leave out the debug kernel of scripts/debug-kernel.sh
#                          (KASAN, lockdep, kmemleak; built on first use,
#                          ~10 min, then cached), which is in the default list
#   TK_JOBS=N              emulators run at once (default: one per CPU)
#   TK_VM_TIMEOUT=S        limit per boot (default 2400)
#   TK_TESTS="t-core.sh"   guest test files to run (default: all)
#   TK_SKIP_STYLE=1        skip check-style
#   TK_GUEST_ONLY=1        skip the host unit tests, host suites and style gate
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
res=$top/build/test
rm -rf "$res"
mkdir -p "$res"

pass=0
fail=0
failures=()
t0=$(date +%s)

# count_tap FILE LABEL: add FILE's TAP results to the totals.
count_tap() {
	local p f
	p=$(grep -c '^ok ' "$1" || true)
	f=$(grep -c '^not ok ' "$1" || true)
	pass=$((pass + p))
	fail=$((fail + f))
	while IFS= read -r l; do failures+=("$2: $l"); done < <(grep '^not ok ' "$1" || true)
	if ! grep -q '^1\.\.[0-9]' "$1"; then
		fail=$((fail + 1))
		failures+=("$2: did not finish (no TAP plan)")
	fi
}

# result OK DESCRIPTION: one pass/fail outside a TAP file.
result() {
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1)); echo "ok - $2"
	else
		fail=$((fail + 1)); failures+=("$2"); echo "not ok - $2"
	fi
}

if [ -n "${TK_GUEST_ONLY:-}" ]; then
	TK_SKIP_STYLE=1
	make -s tools || result 1 "userspace tools build"
else
	echo "# host unit tests"
	make -s unit >"$res/unit.tap" 2>&1
	cat "$res/unit.tap"
	count_tap "$res/unit.tap" unit

	make -s tools || result 1 "userspace tools build"

	# Host-side suites of the userspace parts (tests/host/t-*.sh, TAP each).
	for t in tests/host/t-*.sh; do
		[ -x "$t" ] || continue
		name=$(basename "$t" .sh)
		echo "# host $name"
		"$t" >"$res/host-$name.tap" 2>&1
		cat "$res/host-$name.tap"
		count_tap "$res/host-$name.tap" "host/$name"
	done
fi

if [ -z "${TK_SKIP_STYLE:-}" ]; then
	echo "# check-style"
	scripts/check-style.sh >"$res/style.log" 2>&1
	st=$?
	[ $st -ne 0 ] && cat "$res/style.log"
	result $st "check-style (checkpatch --strict, sparse, W=1) clean"
fi

if [ -n "${TK_KERNELS:-}" ]; then
	kernels=$TK_KERNELS
else
	kernels=$(scripts/kernels.sh) || { result 1 "kernels available"; kernels=; }
	if [ "${TK_DEBUG:-1}" != 0 ]; then
		echo "# debug kernel (scripts/debug-kernel.sh)"
		d0=$(date +%s)
		if dk=$(scripts/debug-kernel.sh); then
			kernels="$dk $kernels"
			result 0 "debug kernel $dk ready ($(( $(date +%s) - d0 )) s)"
		else
			result 1 "debug kernel builds"
		fi
	fi
fi

# A debug kernel (kmemleak built in) is 2-3x slower: its suite is split over
# two boots, balanced by the seconds each file took on it (23 Nov 2026, a
# loaded host; unknown files count 120), heaviest first onto the lighter
# half, and the d-*.sh checks get a boot of their own.
debug_groups() {
	local -A w=([t-krp.sh]=600 [t-kmp.sh]=270 [t-stress.sh]=240
		[t-kmonpro.sh]=200 [t-exporter.sh]=150 [t-tkctl.sh]=135
		[t-core.sh]=120 [t-irqstat.sh]=115 [t-events.sh]=100
		[t-install.sh]=85 [t-leaksim.sh]=20)
	local t g
	local -a load=(0 0) grp=("" "")
	for t in $(cd tests/stack && for f in t-*.sh; do echo "${w[$f]:-120} $f"; done |
		   sort -rn | cut -d' ' -f2); do
		g=0
		[ "${load[1]}" -lt "${load[0]}" ] && g=1
		grp[g]+="$t "
		load[g]=$(( load[g] + ${w[$t]:-120} ))
	done
	printf '%s\n' "${grp[@]}" "$(cd tests/stack && echo d-*.sh)"
}

# Build and stage the modules for each kernel; queue its boots ("kver|name|tests").
jobs_q=()
for kver in $kernels; do
	out=$res/$kver
	mkdir -p "$out"
	echo "# ==== $kver: build"
	if ! make -s modules KVER="$kver" >"$out/build.log" 2>&1; then
		cat "$out/build.log"
		result 1 "$kver: modules build with W=1"
		continue
	fi
	result 0 "$kver: modules build with W=1"
	# The guest installs from this staged `make install` (tests/stack/lib.sh).
	rm -rf "build/stage/$kver"
	make -s install KVER="$kver" DESTDIR="$top/build/stage/$kver" >>"$out/build.log" 2>&1
	# (compressed as the kernel's config says: 6.12 uses .ko.xz)
	files=$(cd "build/stage/$kver/lib/modules" 2>/dev/null && find . -type f | sort | sed 's/\.ko\.\(xz\|zst\|gz\)$/.ko/' | tr '\n' ' ')
	expect=$(for kb in */Kbuild; do
		sed -n "s|^obj-m += \(.*\)\.o$|./$kver/updates/${kb%/Kbuild}/\1.ko|p" "$kb"
	done | sort | tr '\n' ' ')
	st=0
	[ "$files" = "$expect" ] || { st=1; echo "# got: $files"; }
	result $st "$kver: make install DESTDIR= installs exactly the modules into lib/modules"
	if [ -z "${TK_TESTS:-}" ] && grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "/boot/config-$kver" 2>/dev/null; then
		i=0
		while IFS= read -r g; do
			i=$((i + 1))
			[ -n "${g// /}" ] && jobs_q+=("$kver|$kver.$i|$g")
		done < <(debug_groups)
	else
		jobs_q+=("$kver|$kver|${TK_TESTS:-}")
	fi
done

# Boot the queue, TK_JOBS (default: one per CPU) emulators at a time: each
# is single-threaded.  A boot's console is printed when it ends.
run_job() { # KVER NAME TESTS
	local out=$res/$2 b0 rc
	mkdir -p "$out"
	b0=$(date +%s)
	echo "# ---- $2: booting for ${3:-all tests}"
	# shellcheck disable=SC2086
	tests/vm/vmrun -q -k "$1" -o "$out" -t "${TK_VM_TIMEOUT:-2400}" -- \
		tests/stack/guest.sh $3 >"$out/vmrun.log" 2>&1
	rc=$?
	echo "$rc" >"$out/vmrc"
	{
		flock 9
		echo "# ==== $2 ($1): console"
		tr -d '\r' <"$out/console.log"
		cat "$out/vmrun.log"
		echo "# $2: boot + tests took $(( $(date +%s) - b0 )) s, guest rc $rc"
	} 9>"$res/.print.lock"
}
trap 'kill $(jobs -p) 2>/dev/null; wait; exit 130' INT TERM
njobs=${TK_JOBS:-$(nproc)}
[ "$njobs" -ge 1 ] 2>/dev/null || njobs=1
for j in "${jobs_q[@]}"; do
	IFS='|' read -r kver name tests <<<"$j"
	while [ "$(jobs -rp | wc -l)" -ge "$njobs" ]; do wait -n; done
	run_job "$kver" "$name" "$tests" &
done
wait
trap - INT TERM

for j in "${jobs_q[@]}"; do
	IFS='|' read -r kver name tests <<<"$j"
	out=$res/$name
	vmrc=$(cat "$out/vmrc" 2>/dev/null || echo 125)
	case $vmrc in
	124) result 1 "$name: guest timed out" ;;
	125) result 1 "$name: guest ended without a result (panic or crash)"
	     tail -n 40 "$out/console.log" ;;
	*) result 0 "$name: guest ran to the end" ;;
	esac
	for tap in "$out"/t-*.tap "$out"/d-*.tap; do
		[ -e "$tap" ] || continue
		count_tap "$tap" "$name/$(basename "$tap" .tap)"
	done
	# Any splat in the guest's kernel log fails the run (tests/splat.ere:
	# WARN, BUG, Oops, lockdep, KASAN, UBSAN, DEBUG_OBJECTS reports, ...).
	if [ -s "$out/dmesg.txt" ]; then
		splat=$(grep -Ef tests/splat.ere "$out/dmesg.txt" || true)
		[ -n "$splat" ] && printf '%s\n' "$splat" | head -n 40
		result "$([ -z "$splat" ] && echo 0 || echo 1)" "$name: guest dmesg free of WARN/BUG/Oops/lockdep/KASAN"
	else
		result 1 "$name: guest dmesg captured"
	fi
done

echo "# total wall time $(( $(date +%s) - t0 )) s"
if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
