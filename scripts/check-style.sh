#!/usr/bin/env bash
# Style gate for all kernel code: checkpatch.pl --strict and kernel-doc (taken
# from Debian's linux-source-6.12, cached outside the checkout), sparse (C=2)
# and a W=1 -Werror build, on every kernel the tests boot.  Exits non-zero on any
# finding.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${TK_CACHE:-/var/cache/tk}
tarball=$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || true)
[ -n "$tarball" ] || { echo "check-style: linux-source-6.12 not installed (make deps)" >&2; exit 1; }
ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
cp_dir=$cache/checkpatch-$ver
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ] || [ ! -x "$cp_dir/scripts/kernel-doc" ]; then
	mkdir -p "$cp_dir"
	tar -C "$cp_dir" --strip-components=1 -xJf "$tarball" --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' '*/scripts/kernel-doc'
fi

fail=0
mapfile -t files < <(git ls-files -- 'include/*.h' 'core/*.[ch]' 'krp/*.[ch]' \
	'kmp/*.[ch]' 'irqstat/*.[ch]' 'leaksim/*.[ch]' 'samples/*.[ch]' | sort)
echo "checkpatch --strict over ${#files[@]} files"
checkpatch() {
	"$cp_dir/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
		--ignore FILE_PATH_CHANGES "$@"
}
for f in "${files[@]}"; do
	case $f in
	# The compat header is the one place allowed to test kernel versions
	# (and maps some API arguments away).
	include/tkcore/compat.h)
		checkpatch --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_ARG_UNUSED -f "$f" || fail=1 ;;
	# TRACE_EVENT() definitions keep the kernel's own layout for them.
	*_trace.h)
		checkpatch --ignore PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE -f "$f" || fail=1 ;;
	*)	checkpatch -f "$f" || fail=1 ;;
	esac
done

# kernel-doc: no warnings, and a kernel-doc comment for every exported symbol.
echo "kernel-doc over ${#files[@]} files"
if "$cp_dir/scripts/kernel-doc" -none -Wall "${files[@]}" 2>&1 | grep .; then
	fail=1
fi
for f in "${files[@]}"; do
	for sym in $(sed -n 's/^EXPORT_SYMBOL\(_GPL\)\?(\(.*\));/\2/p' "$f"); do
		grep -q "^ \* $sym() - " "$f" ||
			{ echo "$f: exported $sym has no kernel-doc comment"; fail=1; }
	done
done

for kver in $(scripts/kernels.sh); do
	log=$(mktemp)
	echo "sparse + W=1 for $kver"
	make -s modules KVER="$kver" >/dev/null
	# C=2 re-checks every file, built or not.
	if ! make -s -C "/lib/modules/$kver/build" M="$PWD/build/kmod/$kver" \
		W=1 C=2 CHECK=sparse modules >"$log" 2>&1; then
		cat "$log"; fail=1
	fi
	if grep -E 'warning:|error:' "$log"; then
		fail=1
	fi
	rm -f "$log"
done

if [ $fail -ne 0 ]; then
	echo "check-style: FAILED" >&2
	exit 1
fi
echo "check-style: clean"
