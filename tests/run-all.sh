#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: host unit tests, the style gate, then the module-stack
# suite booted on every kernel (tests/vm/vmrun): one boot per Debian kernel,
# four on the debug kernel (its t-*.sh and its d-*.sh each in two halves).
# Prints per-test TAP and a final line "N passed, N failed, N skipped";
# exits non-zero on any failure (tests/verdict.sh says what fails).
#
#   TK_KERNELS="rel rel"   kernels to boot (default: scripts/kernels.sh);
#                          "none": no boots (host tests and style gate only)
#   TK_DEBUG=0             leave out the debug kernel of scripts/debug-kernel.sh
#                          (KASAN, lockdep, kmemleak; built on first use,
#                          ~10 min, then cached), which is in the default list
#   TK_JOBS=N              emulators run at once (default: one per CPU)
#   TK_VM_TIMEOUT=S        limit per boot (default 2400)
#   TK_TESTS="t-core.sh"   guest test files to run (default: all)
#   TK_SKIP_STYLE=1        skip check-style
#   TK_GUEST_ONLY=1        skip the host unit tests, host suites and style gate
#   TK_RESULTS=DIR         where results go (default build/test; emptied first)
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
res=${TK_RESULTS:-$top/build/test}
rm -rf "$res"
mkdir -p "$res"
t0=$(date +%s)

# result, tap_verdict, run_tap, splat_verdict, klog_verdict, summary
. tests/verdict.sh

# TK_KERNELS=none: no boots (the host suites still see the default kernels).
no_boots=
[ "${TK_KERNELS:-}" = none ] && { no_boots=1; unset TK_KERNELS; }

exec_verdict tests/host tests/stack

if [ -n "${TK_GUEST_ONLY:-}" ]; then
	TK_SKIP_STYLE=1
	make -s tools || result 1 "userspace tools build"
else
	echo "# host unit tests"
	# Each binary on its own: its TAP plan and its exit status count (a
	# sanitizer's abort or a leak at exit is a failure, and the binaries
	# after it still run).
	if make -s unit-build >"$res/unit-build.log" 2>&1; then
		result 0 "unit tests build (ASan, UBSan)"
	else
		cat "$res/unit-build.log"
		result 1 "unit tests build (ASan, UBSan)"
	fi
	for u in $(make -s unit-list); do
		echo "# unit $(basename "$u")"
		run_tap "unit/$(basename "$u")" "$res/unit-$(basename "$u").tap" "$u"
	done

	make -s tools || result 1 "userspace tools build"

	# Host-side suites of the userspace parts (tests/host/t-*.sh, TAP each).
	for t in tests/host/t-*.sh; do
		name=$(basename "$t" .sh)
		echo "# host $name"
		[ -x "$t" ] || { result 1 "host/$name: not executable, not run"; continue; }
		run_tap "host/$name" "$res/host-$name.tap" "$t"
	done
fi

if [ -z "${TK_SKIP_STYLE:-}" ]; then
	echo "# check-style"
	scripts/check-style.sh >"$res/style.log" 2>&1
	st=$?
	[ $st -ne 0 ] && cat "$res/style.log"
	result $st "check-style (checkpatch --strict, sparse, W=1) clean"
fi

if [ -n "$no_boots" ]; then
	kernels=
elif [ -n "${TK_KERNELS:-}" ]; then
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

# Seconds each guest test file took on the debug kernel (7 Dec 2026, a
# loaded host; a file not listed counts 120).  A Debian kernel's boot runs
# the t-*.sh in a quarter (6.1) to a third (6.12) of their debug time.
declare -A cost=([t-krp.sh]=380 [t-kmp.sh]=540 [t-stress.sh]=340
	[t-kmonpro.sh]=300 [t-tkctl.sh]=175 [t-core.sh]=160 [t-irqstat.sh]=135
	[t-events.sh]=110 [t-exporter.sh]=105 [t-install.sh]=60
	[t-hotplug.sh]=40 [t-leaksim.sh]=20
	[d-stress.sh]=1150 [d-kmp-irqsoff.sh]=300 [d-fuzz.sh]=225
	[d-events.sh]=180 [d-kmemleak.sh]=105)
cost_of() { # FILE...: their summed debug-kernel cost
	local t s=0
	for t in "$@"; do s=$(( s + ${cost[$t]:-120} )); done
	echo "$s"
}

# balance N FILE...: N groups of the files, one per line, balanced by cost
# (heaviest first onto the lightest group); each group keeps the files'
# alphabetical order.
balance() {
	local n=$1 t i g
	shift
	local -a load grp
	for ((i = 0; i < n; i++)); do load[i]=0 grp[i]=""; done
	for t in $(for f in "$@"; do echo "${cost[$f]:-120} $f"; done |
		   sort -rn | cut -d' ' -f2); do
		g=0
		for ((i = 1; i < n; i++)); do
			[ "${load[i]}" -lt "${load[g]}" ] && g=$i
		done
		grp[g]+="$t "
		load[g]=$(( load[g] + ${cost[$t]:-120} ))
	done
	for ((i = 0; i < n; i++)); do
		tr ' ' '\n' <<<"${grp[i]}" | sed '/^$/d' | sort | tr '\n' ' '
		echo
	done
}

# A debug kernel (kmemleak built in) is 2-3x slower: its t-*.sh are split
# over two boots, and the d-*.sh (checks only it can make) over two more.
debug_groups() {
	# shellcheck disable=SC2046
	balance 2 $(cd tests/stack && echo t-*.sh)
	# shellcheck disable=SC2046
	balance 2 $(cd tests/stack && echo d-*.sh)
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
	# Each boot is queued with the exact list of tests it must report.
	if [ -z "${TK_TESTS:-}" ] && grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "/boot/config-$kver" 2>/dev/null; then
		i=0
		while IFS= read -r g; do
			i=$((i + 1))
			# shellcheck disable=SC2086
			[ -n "${g// /}" ] && jobs_q+=("$(cost_of $g)|$kver|$kver.$i|$g")
		done < <(debug_groups)
	else
		g=${TK_TESTS:-$(cd tests/stack && echo t-*.sh)}
		# shellcheck disable=SC2086
		jobs_q+=("$(( $(cost_of $g) / 4 ))|$kver|$kver|$g")
	fi
done

# Boot the queue, longest first (by the costs above; among equals the newer
# kernel first), TK_JOBS (default: one per CPU) emulators at a time: each is
# single-threaded.  A boot's console is printed when it ends.
mapfile -t jobs_q < <(printf '%s\n' "${jobs_q[@]}" | sed '/^$/d' | sort -t'|' -k1,1rn -k2,2Vr | cut -d'|' -f2-)
run_job() { # KVER NAME TESTS
	local out=$res/$2 b0 rc mem=2048 m t
	mkdir -p "$out"
	# Guest memory: the most that a test asks for ("# tk-vm-mem: MiB").
	for t in $3; do
		m=$(sed -n 's/^# tk-vm-mem: \([0-9]*\).*/\1/p' "tests/stack/$t" | head -n1)
		[ "${m:-0}" -gt "$mem" ] && mem=$m
	done
	b0=$(date +%s)
	echo "# ---- $2: booting for $3"
	# shellcheck disable=SC2086
	tests/vm/vmrun -q -k "$1" -o "$out" -m "$mem" -t "${TK_VM_TIMEOUT:-2400}" -- \
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

# The verdict of each boot: it must have run to the end, every test it was
# given must have reported (TAP plan, exit status), and no kernel log of it
# may hold a splat: the boot's, each test's own (tests/stack/guest.sh clears
# the ring between tests and marks each test's start and end, so a lost
# line is noticed), the one after the last test, and the kernel's lines on
# the serial console (what a crash leaves behind when no log was saved).
for j in "${jobs_q[@]}"; do
	IFS='|' read -r kver name tests <<<"$j"
	out=$res/$name
	vmrc=$(cat "$out/vmrc" 2>/dev/null || echo 125)
	case $vmrc in
	124) result 1 "$name: guest timed out" ;;
	125) result 1 "$name: guest ended without a result (panic or crash)"
	     tail -n 40 "$out/console.log" ;;
	130) result 1 "$name: interrupted" ;;
	*) [ -e "$out/guest.done" ]
	   result $? "$name: guest ran every test to the end (guest rc $vmrc)" ;;
	esac
	splat_verdict "$out/boot.dmesg" "$name/boot"
	for t in $tests; do
		tn=${t%.sh}
		tap_verdict "$out/$tn.tap" "$name/$tn" "$(cat "$out/$tn.rc" 2>/dev/null)"
		[ -e "$out/$tn.tap" ] && klog_verdict "$out/$tn.dmesg" "$name/$tn" "$tn"
	done
	[ -e "$out/dmesg.txt" ] && splat_verdict "$out/dmesg.txt" "$name/after the tests"
	kernel_lines <"$out/console.log" >"$out/console.kernel"
	splat_verdict "$out/console.kernel" "$name/serial console"
done

echo "# total wall time $(( $(date +%s) - t0 )) s"
summary
