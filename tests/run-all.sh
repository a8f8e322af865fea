#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: host unit tests, the style gate, then the module-stack
# suite in one boot per kernel (tests/vm/vmrun).  Prints per-test TAP and a
# final line "N passed, N failed"; exits non-zero on any failure.
#
#   TK_KERNELS="rel rel"   kernels to boot (default: scripts/kernels.sh)
#   TK_DEBUG=1             add the debug kernel of scripts/debug-kernel.sh
#                          (built on first use, ~10 min) to the default list
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
	if [ -n "${TK_DEBUG:-}" ]; then
		echo "# debug kernel (scripts/debug-kernel.sh)"
		d0=$(date +%s)
		if dk=$(scripts/debug-kernel.sh); then
			kernels="$kernels $dk"
			result 0 "debug kernel $dk ready ($(( $(date +%s) - d0 )) s)"
		else
			result 1 "debug kernel builds"
		fi
	fi
fi
for kver in $kernels; do
	out=$res/$kver
	mkdir -p "$out"
	echo "# ==== $kver"
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
	b0=$(date +%s)
	# shellcheck disable=SC2086
	tests/vm/vmrun -k "$kver" -o "$out" -t "${TK_VM_TIMEOUT:-1500}" -- \
		tests/stack/guest.sh ${TK_TESTS:-}
	vmrc=$?
	echo "# $kver: boot + tests took $(( $(date +%s) - b0 )) s, guest rc $vmrc"
	case $vmrc in
	124) result 1 "$kver: guest timed out" ;;
	125) result 1 "$kver: guest ended without a result (panic or crash)"
	     tail -n 40 "$out/console.log" ;;
	*) result 0 "$kver: guest ran to the end" ;;
	esac
	for tap in "$out"/t-*.tap "$out"/d-*.tap; do
		[ -e "$tap" ] || continue
		count_tap "$tap" "$kver/$(basename "$tap" .tap)"
	done
	# Any splat in the guest's kernel log fails the run (tests/splat.ere:
	# WARN, BUG, Oops, lockdep, KASAN, UBSAN, DEBUG_OBJECTS reports, ...).
	if [ -s "$out/dmesg.txt" ]; then
		splat=$(grep -Ef tests/splat.ere "$out/dmesg.txt" || true)
		[ -n "$splat" ] && printf '%s\n' "$splat" | head -n 40
		result "$([ -z "$splat" ] && echo 0 || echo 1)" "$kver: guest dmesg free of WARN/BUG/Oops/lockdep/KASAN"
	else
		result 1 "$kver: guest dmesg captured"
	fi
done

echo "# total wall time $(( $(date +%s) - t0 )) s"
if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
