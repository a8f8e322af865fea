#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: build, boot a Debian kernel under QEMU with the whole stack
# loaded, show /proc/telemetry and the /sys/class/qeexo tree, power off.
#   TK_DEMO_KERNEL=<release>   kernel to boot (default: the newest 6.12)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--guest" ]; then
	. tests/stack/lib.sh
	unload_all
	install_modules
	echo "== modprobe leaksim (pulls tkcore in)"
	modprobe tkcore log_interval=1
	modprobe leaksim
	lsmod | grep -E '^(tkcore|leaksim) '
	echo "== sampling for 4 s at log_interval=1"
	sleep 4
	echo "== cat /proc/telemetry"
	cat /proc/telemetry
	echo "== /sys/class/qeexo"
	for d in /sys/class/qeexo/*/; do
		echo "${d%/}/"
		for f in "$d"*; do
			[ -f "$f" ] || continue
			case ${f##*/} in uevent) continue ;; esac
			if [ -r "$f" ] && [ "$(stat -L -c %a "$f")" != 200 ]; then
				printf '  %-16s %s\n' "${f##*/}" "$(tr '\n' ' ' <"$f")"
			else
				printf '  %-16s (write-only)\n' "${f##*/}"
			fi
		done
	done
	echo "== /sys/kernel/telemetry"
	grep -H . /sys/kernel/telemetry/*
	modprobe -r leaksim
	echo "== unloaded: $(lsmod | grep -cE '^(tkcore|leaksim) ') of our modules left"
	exit 0
fi

kver=${TK_DEMO_KERNEL:-$(scripts/kernels.sh | tail -n1)}
rm -rf "build/stage/$kver"
make -s install KVER="$kver" DESTDIR="$PWD/build/stage/$kver" >/dev/null 2>&1
make -s tools
out=$PWD/build/demo
rm -rf "$out"
echo "booting $kver under QEMU (software emulation, ~30 s)..."
tests/vm/vmrun -k "$kver" -o "$out" -t 600 -- tests/demo.sh --guest
