#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Sign installed kernel modules for a machine that enforces module signatures
# (Secure Boot), with the kernel's scripts/sign-file and its hash algorithm.
#
#   scripts/sign-modules.sh KVER KEY CERT MODULE...
#
# KEY/CERT: e.g. DKMS's MOK pair /var/lib/dkms/mok.key and mok.pub (enrolled
# with `mokutil --import`, docs/install.md).  MODULE may be .ko, .ko.xz,
# .ko.zst or .ko.gz: a compressed module is decompressed, signed and
# recompressed as kbuild does, since the signature covers the plain module.
# `make install SIGN_KEY=... SIGN_CERT=...` runs this on what it installed.
set -euo pipefail

[ $# -ge 4 ] || { echo "usage: $0 KVER KEY CERT MODULE..." >&2; exit 2; }
kver=$1 key=$2 cert=$3
shift 3
kdir=${KDIR:-/lib/modules/$kver/build}
signfile=$kdir/scripts/sign-file
[ -x "$signfile" ] || { echo "sign-modules: no $signfile (linux-headers-$kver?)" >&2; exit 1; }
[ -r "$key" ] && [ -r "$cert" ] || { echo "sign-modules: cannot read $key or $cert" >&2; exit 1; }
hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' "$kdir/.config" 2>/dev/null)
hash=${hash:-sha512}

for m in "$@"; do
	case $m in
	*.ko) "$signfile" "$hash" "$key" "$cert" "$m" ;;
	*.ko.xz)
		xz -d -f "$m"
		"$signfile" "$hash" "$key" "$cert" "${m%.xz}"
		xz --check=crc32 --lzma2=dict=1MiB -f "${m%.xz}" ;;
	*.ko.zst)
		zstd -q -d -f --rm "$m"
		"$signfile" "$hash" "$key" "$cert" "${m%.zst}"
		zstd -q -T0 -f --rm "${m%.zst}" ;;
	*.ko.gz)
		gzip -d -f "$m"
		"$signfile" "$hash" "$key" "$cert" "${m%.gz}"
		gzip -9 -f "${m%.gz}" ;;
	*) echo "sign-modules: not a module: $m" >&2; exit 1 ;;
	esac
	echo "signed $m ($hash)"
done
