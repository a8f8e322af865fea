#!/usr/bin/env bash
# Print the kernel releases the tests boot, one per line: the newest
# installed Debian 6.1 (x.y.0-N-amd64), 6.12 (6.12.N+deb12-amd64) and 6.12
# PREEMPT_RT (6.12.N+deb12-rt-amd64) that have an image in /boot and a build
# tree.  TK_KERNELS="rel rel" overrides.
set -euo pipefail

if [ -n "${TK_KERNELS:-}" ]; then
	tr ' ' '\n' <<<"$TK_KERNELS" | sed '/^$/d'
	exit 0
fi
usable() {
	[ -e "/boot/vmlinuz-$1" ] && [ -d "/lib/modules/$1/build" ]
}
for pat in '6.1.0-*-amd64' '6.12.*+deb12-amd64' '6.12.*+deb12-rt-amd64'; do
	best=
	for d in /lib/modules/$pat; do
		rel=${d##*/}
		# The globs keep the lines apart (+deb12-amd64 vs +deb12-rt-amd64);
		# a 6.1 -rt or -cloud flavour is not one of them.
		case $pat:$rel in *-rt-amd64:*) ;; *:*-rt-* | *:*-cloud-*) continue ;; esac
		usable "$rel" && best=$(printf '%s\n%s\n' "$best" "$rel" | sed '/^$/d' | sort -V | tail -n1)
	done
	if [ -z "$best" ]; then
		echo "kernels.sh: no usable kernel matching $pat (run make deps)" >&2
		exit 1
	fi
	echo "$best"
done
