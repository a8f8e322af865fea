# SPDX-License-Identifier: GPL-2.0
# How results become the verdict of `make check`: sourced by run-all.sh,
# and by tests/host/t-runner.sh, which feeds it broken results to show that
# each of them fails the run.
#
# A result counts as passed only when it positively said so:
#  - a TAP stream passes when it has exactly one plan, as many results as the
#    plan says, no `not ok`, and its program exited 0; a `# SKIP` result is
#    a skip, counted apart;
#  - every test that was queued must have reported: a missing file fails;
#  - a kernel log fails on any line of tests/splat.ere, and a per-test log
#    must hold the guest's begin and end markers (else the ring lost part of
#    it, and with it possibly a splat).

TK_VERDICT_TOP=${TK_VERDICT_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TK_SPLAT_ERE=${TK_SPLAT_ERE:-$TK_VERDICT_TOP/tests/splat.ere}

pass=0
fail=0
skip=0
failures=()
skips=()

# result STATUS DESCRIPTION: one pass (STATUS 0) or failure outside a TAP file.
result() {
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1)); echo "ok - $2"
	else
		fail=$((fail + 1)); failures+=("$2"); echo "not ok - $2"
	fi
}

# tap_verdict FILE LABEL [EXIT_STATUS]: add FILE's TAP results to the totals.
# Fails the run when FILE is missing, has no plan or several, reported a
# different number of results than planned, or when the program that wrote
# it exited non-zero (a crash, a sanitizer's report at exit) without saying
# `not ok`.
tap_verdict() {
	local file=$1 label=$2 rc=${3-} p f s n plans planned l
	if [ ! -e "$file" ]; then
		fail=$((fail + 1)); failures+=("$label: reported nothing (no TAP output)")
		return
	fi
	s=$(grep -Eic '^ok .*# *skip' "$file")
	p=$(( $(grep -c '^ok ' "$file") - s ))
	f=$(grep -c '^not ok ' "$file")
	pass=$((pass + p))
	skip=$((skip + s))
	fail=$((fail + f))
	while IFS= read -r l; do failures+=("$label: $l"); done < <(grep '^not ok ' "$file")
	while IFS= read -r l; do skips+=("$label: $l"); done < <(grep -Ei '^ok .*# *skip' "$file")
	n=$((p + f + s))
	plans=$(grep -Ec '^1\.\.[0-9]+' "$file")
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$file" | head -n1)
	if [ "$plans" -eq 0 ]; then
		fail=$((fail + 1)); failures+=("$label: did not finish (no TAP plan after $n results)")
	elif [ "$plans" -gt 1 ]; then
		fail=$((fail + 1)); failures+=("$label: $plans TAP plans (output of two runs?)")
	elif [ "$planned" -ne "$n" ]; then
		fail=$((fail + 1)); failures+=("$label: planned $planned results, reported $n")
	fi
	if [ -n "$rc" ] && [ "$rc" != 0 ] && [ "$f" -eq 0 ]; then
		fail=$((fail + 1)); failures+=("$label: exited with status $rc without a failing check")
	fi
}

# run_tap LABEL OUTFILE COMMAND...: run a TAP-producing program, show its
# output, and judge it with its exit status.
run_tap() {
	local label=$1 out=$2 rc
	shift 2
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	tap_verdict "$out" "$label" "$rc"
}

# exec_verdict DIR...: every test script ([td]-*.sh) under the DIRs is
# executable; one that lost its bit is a finding, not a test to pass over.
exec_verdict() {
	local noexec
	noexec=$(find "$@" -name '[td]-*.sh' ! -perm -u+x | sort)
	[ -n "$noexec" ] && echo "# not executable: $noexec"
	result "$([ -z "$noexec" ] && echo 0 || echo 1)" "test scripts are executable"
}

# kernel_lines: the kernel's own lines of a serial console (stdin), from
# their printk timestamp on; test output that shares the console has none.
kernel_lines() { tr -d '\r' | grep -aoE '\[ *[0-9]+\.[0-9]+\] .*'; }

# splat_verdict FILE LABEL: FILE (a kernel log) holds no splat.
splat_verdict() {
	local sp
	if [ ! -e "$1" ]; then
		result 1 "$2: kernel log captured"
		return
	fi
	sp=$(grep -aEf "$TK_SPLAT_ERE" "$1")
	[ -n "$sp" ] && printf '%s\n' "$sp" | head -n 40 | sed 's/^/#   /'
	result "$([ -z "$sp" ] && echo 0 || echo 1)" "$2: no WARN/BUG/Oops/lockdep/KASAN/UBSAN in the kernel log"
}

# klog_verdict FILE LABEL NAME: FILE is the whole kernel log of test NAME,
# from the guest's "tk-guest: begin NAME" marker to its "end NAME" marker,
# and holds no splat.
klog_verdict() {
	if [ -e "$1" ]; then
		local b e
		b=$(grep -c "tk-guest: begin $3\$" "$1")
		e=$(grep -c "tk-guest: end $3\$" "$1")
		[ "$b" = 1 ] && [ "$e" = 1 ] ||
			result 1 "$2: kernel log whole (begin markers $b, end markers $e: the ring lost lines)"
	fi
	splat_verdict "$1" "$2"
}

# summary: the failures and skips, then the closing line; status 0 only
# without failures.
summary() {
	if [ ${#skips[@]} -gt 0 ]; then
		echo "# skipped:"
		printf '#   %s\n' "${skips[@]}"
	fi
	if [ ${#failures[@]} -gt 0 ]; then
		echo "# failures:"
		printf '#   %s\n' "${failures[@]}"
	fi
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
}
