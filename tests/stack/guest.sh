#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the booted kernel: the tests named (tests/run-all.sh names
# each boot's exactly; they are judged on the host by tests/verdict.sh).
# Writes to $TK_OUT, per test NAME:
#   NAME.tap    its output (TAP)
#   NAME.rc     its exit status
#   NAME.dmesg  the kernel log of its run alone: the ring is cleared before
#               it and read after it, between the markers
#               "tk-guest: begin NAME" and "tk-guest: end NAME"
# and boot.dmesg (the kernel log up to the first test), and guest.done once
# every test has run.  Exit status: the number of tests that failed.
cd "$(dirname "$0")" || exit 125
out=${TK_OUT:-/tmp}
if [ $# -eq 0 ]; then
	echo "usage: guest.sh TEST.sh..." >&2
	exit 2
fi
rm -f "$out/guest.done"

# One marker line in the kernel log (<6>: KERN_INFO, kept off the console).
klog() { echo "<6>tk-guest: $*" >/dev/kmsg; }

echo "# kernel $(uname -r), $(nproc) CPUs"
dmesg >"$out/boot.dmesg"
dmesg -C
failed=0
for t in "$@"; do
	name=${t%.sh}
	echo "# --- $name"
	start=$(date +%s)
	klog "begin $name"
	bash "./$t" 2>&1 | tee "$out/$name.tap"
	rc=${PIPESTATUS[0]}
	echo "$rc" >"$out/$name.rc"
	klog "end $name"
	dmesg >"$out/$name.dmesg"
	dmesg -C
	[ "$rc" -eq 0 ] || failed=$((failed + 1))
	echo "# $name took $(( $(date +%s) - start )) s, exit status $rc"
done
echo "$*" >"$out/guest.done"
exit $failed
