#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepares (once) the minimal kernel trees `make check-style` builds the
# modules against: Debian's linux-source-6.12, `make tinyconfig` plus
# scripts/min-kernel/kit.config (what the modules need, CONFIG_SWAP=n) plus
# one of
#   noswap.config   networking on
#   nonet.config    CONFIG_NET=n
# Prints one line per configuration, "<name> <tree>": `make modules
# KDIR=<tree>` builds against it.
#
# The trees are configured and `make modules_prepare`d only: no vmlinux is
# built (a tinyconfig vmlinux takes many minutes on 2 cores; this takes
# about one).  So there is no Module.symvers, and modpost cannot check the
# modules' undefined symbols: without it, modpost reports every symbol the
# modules take from the kernel as unresolved, an error unless
# KBUILD_MODPOST_WARN=1 turns it into a warning (scripts/check-style.sh does
# that and drops those warnings).  A module that calls a function its
# kernel's headers do not declare still fails to compile (-Werror), but one
# whose call is declared and not built in would build here and fail to
# load.  check-style.sh makes up for part of that: it fails a module
# importing a symbol that the source files the configuration leaves out
# export (net/ for nonet, the swap files for both).
#
# One source tree, one object tree per configuration (O=), all cached in
#   ${TK_CACHE:-/var/cache/tk}/min-kernel/<source version>-<key>/
# where <key> hashes the fragments and RECIPE below; a warm machine redoes
# nothing.  Other builds under min-kernel/ are removed, nothing outside it.
# Logs go to stderr and to <cache>/build.log.
set -euo pipefail
cd "$(dirname "$0")/.."

RECIPE=1	# bump when the build steps below change
CONFIGS="noswap nonet"
fragdir=$PWD/scripts/min-kernel
tarball=/usr/src/linux-source-6.12.tar.xz
log() { echo "min-kernel: $*" >&2; }

[[ -r $tarball ]] || { log "$tarball missing (apt-get install linux-source-6.12)"; exit 1; }
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.12)
key=$( { echo "recipe $RECIPE"; for f in kit $CONFIGS; do
	echo "== $f"; cat "$fragdir/$f.config"; done; } | sha256sum | cut -c1-12)
cache=${TK_CACHE:-/var/cache/tk}/min-kernel
dir=$cache/$srcver-$key
mkdir -p "$cache"
# One preparer at a time (two gates on one machine share the cache).
exec 9>"$cache/.lock"
flock 9

. scripts/kconfig-frag.sh

if [[ ! -e $dir/done ]]; then
	t0=$(date +%s)
	rm -rf "$dir"
	mkdir -p "$dir"
	log "preparing in $dir (about a minute); log: $dir/build.log"
	exec 3>&2
	# A subshell outside any || list, so that set -e stops at a failed step.
	set +e
	(
		set -e
		mkdir -p "$dir/linux"
		tar -xf "$tarball" -C "$dir/linux" --strip-components=1
		for c in $CONFIGS; do
			o=$dir/$c
			mkdir -p "$o"
			make -C "$dir/linux" -s O="$o" ARCH=x86_64 tinyconfig
			"$dir/linux/scripts/kconfig/merge_config.sh" -m -O "$o" \
				"$o/.config" "$fragdir/kit.config" "$fragdir/$c.config"
			make -C "$dir/linux" -s O="$o" ARCH=x86_64 olddefconfig
			check_frag "$fragdir/kit.config" "$o/.config"
			check_frag "$fragdir/$c.config" "$o/.config"
			make -C "$dir/linux" -s -j"$(nproc)" O="$o" ARCH=x86_64 modules_prepare
		done
	) >"$dir/build.log" 2>&1
	st=$?
	set -e
	if [[ $st -ne 0 ]]; then
		tail -n 30 "$dir/build.log" >&2
		log "prepare failed"
		exit 1
	fi
	echo "$(( $(date +%s) - t0 ))" > "$dir/build-seconds"
	touch "$dir/done"
	log "prepared in $(cat "$dir/build-seconds") s"
	for d in "$cache"/*/; do	# drop trees of older sources or fragments
		[[ ${d%/} == "$dir" ]] || rm -rf "${d%/}"
	done
fi

for c in $CONFIGS; do
	echo "$c $dir/$c"
done
