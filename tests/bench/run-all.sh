#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: benchmarks, not timed tests.  Host benchmarks
# (tests/bench/host-*.sh) run here; guest benchmarks (tests/bench/guest-*.sh)
# run in one boot per kernel.  Each prints its figures; results are kept in
# build/bench/.  Benchmarks report ratios against a baseline and a peer
# measured in the same run, never a bare absolute time.
#   TK_KERNELS, TK_BENCH="guest-krp.sh host-exporter.sh" select.
#   TK_BENCH_BOOTS=N boots each kernel N times (default 1): under emulation a
#   ratio moves by a few per cent from boot to boot with where the modules
#   land in memory, more than within a boot.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
out=$top/build/bench
rm -rf "$out"
mkdir -p "$out"
sel=${TK_BENCH:-}
boots=${TK_BENCH_BOOTS:-1}
want() { [ -z "$sel" ] || grep -qw -- "$1" <<<"$sel"; }
rc=0

for b in tests/bench/host-*.sh; do
	[ -x "$b" ] && want "$(basename "$b")" || continue
	echo "## $(basename "$b")"
	"$b" 2>&1 | tee "$out/$(basename "$b" .sh).txt" || rc=1
done

guest=()
for b in tests/bench/guest-*.sh; do
	[ -x "$b" ] && want "$(basename "$b")" && guest+=("$b")
done
# Guest memory: the most that a benchmark asks for ("# tk-vm-mem: MiB").
mem=2048
for b in "${guest[@]}"; do
	m=$(sed -n 's/^# tk-vm-mem: \([0-9]*\).*/\1/p' "$b" | head -n1)
	[ "${m:-0}" -gt "$mem" ] && mem=$m
done
if [ ${#guest[@]} -gt 0 ]; then
	for kver in $(scripts/kernels.sh); do
		make -s modules KVER="$kver" >/dev/null || { rc=1; continue; }
		rm -rf "build/stage/$kver"
		make -s install KVER="$kver" DESTDIR="$top/build/stage/$kver" >/dev/null 2>&1
		for boot in $(seq "$boots"); do
			o=$out/$kver
			[ "$boots" = 1 ] || o=$o.$boot
			echo "## $kver: ${guest[*]}"
			[ "$boots" = 1 ] || echo "## boot $boot of $boots"
			tests/vm/vmrun -q -k "$kver" -o "$o" -m "$mem" -t 3000 -- \
				bash -c 'for b in "$@"; do echo "### $b"; "$b" || exit 1; done' _ "${guest[@]}" || rc=1
			cat "$o/guest.log"
		done
	done
fi
exit $rc
