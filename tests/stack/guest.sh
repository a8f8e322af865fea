#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the booted kernel: every t-*.sh, plus d-*.sh on the debug
# kernel (or only those named), each output saved as $TK_OUT/<name>.tap.  Exit status: number of failed files.
cd "$(dirname "$0")"
out=${TK_OUT:-/tmp}
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	tests=(t-*.sh)
	# d-*.sh need the debug kernel's checkers (scripts/debug-kernel.sh).
	[ -e /sys/kernel/debug/kmemleak ] && tests+=(d-*.sh)
fi
failed=0
echo "# kernel $(uname -r), $(nproc) CPUs"
for t in "${tests[@]}"; do
	name=${t%.sh}
	echo "# --- $name"
	start=$(date +%s)
	if ! bash "./$t" 2>&1 | tee "$out/$name.tap"; then
		:
	fi
	grep -q '^not ok' "$out/$name.tap" && failed=$((failed + 1))
	grep -q '^1\.\.' "$out/$name.tap" || { echo "not ok - $name did not finish"; failed=$((failed + 1)); }
	echo "# $name took $(( $(date +%s) - start )) s"
done
exit $failed
