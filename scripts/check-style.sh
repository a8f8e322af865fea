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
	if grep -Ei 'warning:|error:' "$log"; then
		fail=1
	fi
	rm -f "$log"
done

# W=1 -Werror builds against the minimal kernels of scripts/min-kernel.sh
# (tinyconfig plus the kit's needs; "noswap": CONFIG_SWAP=n, "nonet": also
# CONFIG_NET=n).  Those trees have no Module.symvers (no vmlinux is built), so
# modpost runs with KBUILD_MODPOST_WARN=1 and its "undefined!" warnings for
# the kernel's symbols are dropped: undefined symbols are NOT checked against
# the kernel there, except for the check below.  Any other output fails.
t0=$SECONDS
min_trees=$(scripts/min-kernel.sh) || { echo "minimal kernels: prepare FAILED"; fail=1; min_trees=; }
while read -r name tree; do
	[ -n "$name" ] || continue
	log=$(mktemp)
	echo "W=1 for minimal kernel $name"
	ok=1
	make -s modules KDIR="$tree" KBUILD_MODPOST_WARN=1 </dev/null >"$log" 2>&1 || ok=0
	# modpost's note about the missing Module.symvers, its unresolved
	# symbols, and the Makefile's closing line are all it may print.
	other=$(grep -vE -e '^WARNING: Module.symvers is missing\.$' \
		-e '^ +(Modules may not have dependencies or modversions|You may get many unresolved symbol errors|You can set KBUILD_MODPOST_WARN=1 to turn errors into warning|if you want to proceed at your own risk)\.?$' \
		-e '^WARNING: modpost: "[A-Za-z0-9_.]+" \[[^]]+\] undefined!$' \
		-e '^WARNING: modpost: suppressed [0-9]+ unresolved symbol warnings because there were too many\)$' \
		-e '^modules for [^ ]+ in [^ ]+$' "$log" || true)
	[ -z "$other" ] || ok=0
	# Symbols the modules import that the kernel's configuration leaves
	# out: those the source files its config does not build export (the
	# swap files; net/ when CONFIG_NET=n).
	objdir=build/kmod/$(cat "$tree/include/config/kernel.release")
	src=$(readlink -f "$tree/source")
	out=(mm/page_io.c mm/swap_state.c mm/swapfile.c mm/swap_slots.c)
	grep -q '^CONFIG_NET=y' "$tree/.config" || out+=(net)
	absent=$(cd "$src" && grep -rhoE 'EXPORT_SYMBOL(_GPL|_NS|_NS_GPL)?\([A-Za-z0-9_]+' "${out[@]}" |
		sed 's/.*(//' | sort -u)
	imports=$(find "$objdir" -name '*.ko' -exec nm -u {} + | awk '{print $2}' | sort -u)
	bad=$(comm -12 <(echo "$absent") <(echo "$imports"))
	if [ -n "$bad" ]; then
		echo "modules import symbols this kernel does not have:" \
			"$(echo "$bad" | tr '\n' ' ')" >>"$log"
		ok=0
	fi
	if [ $ok -eq 1 ]; then
		echo "minimal kernel $name: clean"
	else
		cat "$log"; echo "minimal kernel $name: FAILED"; fail=1
	fi
	rm -f "$log"
done <<<"$min_trees"
echo "minimal kernels: $((SECONDS - t0)) s"

if [ $fail -ne 0 ]; then
	echo "check-style: FAILED" >&2
	exit 1
fi
echo "check-style: clean"
