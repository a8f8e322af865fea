#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The verdict of `make check` (tests/verdict.sh) against broken results: each
# way a failure could pass for a success must fail the run, and good results
# must pass.  Each case runs the verdict in a subshell on results made here.
cd "$(dirname "$0")/../.."
top=$PWD
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail + 1)); fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# verdict SCRIPT: run SCRIPT (bash) with verdict.sh sourced, then summary;
# prints the closing line and the failures, returns summary's status.
verdict() {
	bash -c ". '$top/tests/verdict.sh' >/dev/null; $1
		summary" 2>&1 | grep -v '^ok \|^not ok ' >"$tmp/v.out"
	return "${PIPESTATUS[0]}"
}
says() { grep -q -- "$1" "$tmp/v.out" || { sed 's/^/#   /' "$tmp/v.out" >&2; return 1; }; }
# expect_fail DESCRIPTION SCRIPT PATTERN: the verdict fails and names why.
expect_fail() {
	verdict "$2"
	local st=$?
	ok "$([ $st -ne 0 ] && says "$3"; echo $?)" "$1"
}

cd "$tmp" || exit 1
printf 'ok 1 - a\nok 2 - b\n1..2\n' >good.tap
verdict "tap_verdict good.tap good 0"
ok "$([ $? = 0 ] && says '^2 passed, 0 failed, 0 skipped$'; echo $?)" "a whole TAP stream with exit 0 passes"

# ---- unit binaries: a crash, a sanitizer's report at exit ----
cat >abort.sh <<'EOF'
echo "ok 1 - first"
echo "ok 2 - second"
kill -ABRT $$
EOF
expect_fail "a program that aborts after two passes fails the run" \
	"run_tap unit/abort abort.tap bash abort.sh" 'unit/abort: did not finish (no TAP plan after 2 results)'
expect_fail "the same crash fails through its exit status alone" \
	"run_tap unit/abort abort.tap bash abort.sh" 'unit/abort: exited with status 134'
printf 'echo "ok 1 - a"; echo "1..1"; exit 23\n' >leak.sh
expect_fail "a leak reported at exit (status 23 after a whole plan) fails the run" \
	"run_tap unit/leak leak.tap bash leak.sh" 'unit/leak: exited with status 23 without a failing check'
printf 'ok 1 - a\nok 2 - b\n1..3\n' >short.tap
expect_fail "fewer results than planned fails" "tap_verdict short.tap short 0" 'short: planned 3 results, reported 2'
cat good.tap good.tap >twice.tap
expect_fail "two plans in one file fail" "tap_verdict twice.tap twice 0" 'twice: 2 TAP plans'
verdict "result 0 a; run_tap unit/x x.tap bash -c 'echo ok 1 - x; echo 1..1'; run_tap unit/abort abort.tap bash abort.sh; run_tap unit/y y.tap bash -c 'echo ok 1 - y; echo 1..1'"
ok "$([ $? != 0 ] && says '^5 passed, 2 failed, 0 skipped$'; echo $?)" "a crashing binary does not stop the ones after it (5 passed, 2 failed)"

# ---- tests that never reported ----
expect_fail "a queued test without a TAP file fails" "tap_verdict nothing.tap boot/t-gone 0" 'boot/t-gone: reported nothing'
expect_fail "a test file without a plan fails" "printf 'ok 1 - a\n' >np.tap; tap_verdict np.tap boot/t-np ''" 'boot/t-np: did not finish'

# ---- skips ----
printf 'ok 1 - a\nok 2 - b # SKIP no fprobe on this kernel\n1..2\n' >skip.tap
verdict "tap_verdict skip.tap boot/t-skip 0"
ok "$([ $? = 0 ] && says '^1 passed, 0 failed, 1 skipped$' && says 'boot/t-skip: ok 2 - b # SKIP no fprobe'; echo $?)" \
	"a skip is counted and listed as a skip, not a pass"

# ---- kernel logs ----
printf '[    1.000000] tk-guest: begin t-a\n[    2.000000] ok\n[    3.000000] tk-guest: end t-a\n' >clean.dmesg
verdict "klog_verdict clean.dmesg boot/t-a t-a"
ok "$([ $? = 0 ] && says '^1 passed, 0 failed'; echo $?)" "a whole, clean per-test kernel log passes"
printf '[    1.000000] tk-guest: begin t-a\n[    1.500000] WARNING: CPU: 1 PID: 42 at mm/vmalloc.c:1 f+0x1/0x2\n[    3.000000] tk-guest: end t-a\n' >warn.dmesg
expect_fail "a WARN in a test's own kernel log fails that test" "klog_verdict warn.dmesg boot/t-a t-a" 'boot/t-a: no WARN'
printf '[    2.000000] ok\n[    3.000000] tk-guest: end t-a\n' >cut.dmesg
expect_fail "a per-test log that lost its beginning (ring overflow) fails" "klog_verdict cut.dmesg boot/t-a t-a" 'begin markers 0'
expect_fail "a test whose kernel log was never saved fails" "splat_verdict none.dmesg boot/t-a" 'boot/t-a: kernel log captured'
cat >console.log <<'EOF'
ok 12 - no WARNING/BUG/Oops in dmesg
# Call Trace in a description is no splat
ok 13 - something[   88.123456] BUG: KASAN: slab-use-after-free in krp_show+0x10/0x20
EOF
verdict "kernel_lines <console.log >console.kernel; splat_verdict console.kernel boot/console"
st=$?
ok "$([ $st != 0 ] && says 'boot/console: no WARN' && grep -q 'BUG: KASAN' "$tmp/v.out"; echo $?)" \
	"a KASAN report on the serial console, mid-line after test output, fails the run"
printf 'ok 1 - no WARNING/BUG/Oops in dmesg\n# Call Trace is just a word here\n' >quiet.log
verdict "kernel_lines <quiet.log >quiet.kernel; splat_verdict quiet.kernel boot/console"
ok "$([ $? = 0 ]; echo $?)" "test output that names splats is not mistaken for one"

# ---- test scripts ----
mkdir -p scripts
printf '#!/bin/sh\n' >scripts/t-a.sh
printf '#!/bin/sh\n' >scripts/d-b.sh
chmod +x scripts/t-a.sh
expect_fail "a test script that lost its executable bit fails the run" "exec_verdict scripts" 'test scripts are executable'
chmod +x scripts/d-b.sh
verdict "exec_verdict scripts"
ok "$([ $? = 0 ]; echo $?)" "executable scripts pass"

echo "1..$n"
[ $fail -eq 0 ]
