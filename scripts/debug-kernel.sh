#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds (once) and installs the debug kernel that `make check-debug` boots:
# Debian's linux-source-6.12, `make tinyconfig` plus
# scripts/debug-kernel/debug.config (KASAN, kmemleak, lockdep, UBSAN,
# DEBUG_OBJECTS, DEBUG_LIST, kprobes/fprobe, and the boot recipe built in).
#
# The build tree is cached outside the checkout, in
#   ${TK_CACHE:-/var/cache/tk}/debug-kernel/<source version>-<key>/
# where <key> hashes the fragment and RECIPE below, so a warm machine rebuilds
# nothing.  The kernel is then installed like a distribution kernel, so that
# tests/vm/vmrun, `make KVER=` and tests/run-all.sh take it unchanged:
#   /boot/vmlinuz-<rel>, /boot/config-<rel>, /lib/modules/<rel>/ (with build ->
#   the cached tree).  It is never added to the boot loader.
#
# Prints the kernel release (e.g. 6.12.117-tkdebug) on stdout; logs go to
# stderr and to <cache>/build.log.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/kconfig-frag.sh

RECIPE=1	# bump when the build steps below change
frag=$PWD/scripts/debug-kernel/debug.config
tarball=/usr/src/linux-source-6.12.tar.xz
log() { echo "debug-kernel: $*" >&2; }

[[ -r $tarball ]] || { log "$tarball missing (apt-get install linux-source-6.12)"; exit 1; }
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.12)
key=$( { echo "recipe $RECIPE"; cat "$frag"; } | sha256sum | cut -c1-12)
cache=${TK_CACHE:-/var/cache/tk}/debug-kernel
dir=$cache/$srcver-$key
tree=$dir/linux

if [[ ! -e $dir/done ]]; then
	t0=$(date +%s)
	rm -rf "$dir"
	mkdir -p "$dir"
	log "building in $dir (tens of minutes on 2 cores); log: $dir/build.log"
	exec 3>&2
	# (set -e does not act left of ||: every step is chained with &&)
	{
		mkdir -p "$tree" &&
		tar -xf "$tarball" -C "$tree" --strip-components=1 &&
		make -C "$tree" -s ARCH=x86_64 tinyconfig &&
		"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "$frag" &&
		make -C "$tree" -s ARCH=x86_64 olddefconfig &&
		check_frag "$frag" "$tree/.config" &&
		make -C "$tree" -s -j"$(nproc)" ARCH=x86_64 bzImage modules &&
		rm -rf "$dir/root" &&
		make -C "$tree" -s ARCH=x86_64 INSTALL_MOD_PATH="$dir/root" modules_install
	} >"$dir/build.log" 2>&1 || { tail -n 30 "$dir/build.log" >&2; log "build failed"; exit 1; }
	echo "$(( $(date +%s) - t0 ))" > "$dir/build-seconds"
	touch "$dir/done"
	log "built in $(cat "$dir/build-seconds") s"
	for d in "$cache"/*/; do	# drop builds of older sources or fragments
		[[ ${d%/} == "$dir" ]] || rm -rf "${d%/}"
	done
fi

rel=$(make -C "$tree" -s ARCH=x86_64 kernelrelease)
if ! cmp -s "$tree/arch/x86/boot/bzImage" "/boot/vmlinuz-$rel" ||
   [[ "$(readlink "/lib/modules/$rel/build" 2>/dev/null)" != "$tree" ]]; then
	install -m 0644 "$tree/arch/x86/boot/bzImage" "/boot/vmlinuz-$rel"
	install -m 0644 "$tree/.config" "/boot/config-$rel"
	rm -rf "/lib/modules/$rel"
	cp -a "$dir/root/lib/modules/$rel" "/lib/modules/$rel"
	rm -f "/lib/modules/$rel/build" "/lib/modules/$rel/source"
	ln -s "$tree" "/lib/modules/$rel/build"
	depmod "$rel"
	log "installed /boot/vmlinuz-$rel and /lib/modules/$rel"
fi
echo "$rel"
