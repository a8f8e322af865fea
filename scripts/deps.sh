#!/usr/bin/env bash
# Install what building and testing the kit needs on Debian 12, as root
# (scripts/deps.sh [--bench]):
# build tools, QEMU, busybox, kmod/libkmod, sparse, and the kernels CI boots
# (Debian's 6.1, the newest 6.12 and the newest 6.12 PREEMPT_RT) with their
# headers.  Does nothing when everything is already there, so `make check`
# can always call it.
set -euo pipefail

PKGS=(build-essential bc flex bison libelf-dev libssl-dev dwarves
      qemu-system-x86 busybox-static cpio kmod libkmod-dev xz-utils
      sparse linux-source-6.12 perl libjansson-dev pkg-config python3 util-linux)
# exporters/: HTTP and JSON libraries; a real Prometheus and promtool for the tests
PKGS+=(libmicrohttpd-dev curl jq prometheus)
# packaging: DKMS builds (tests/host/t-install.sh), openssl for signing keys
PKGS+=(dkms openssl)
# tests/bench/guest-cyclictest.sh: cyclictest in the PREEMPT_RT guest
PKGS+=(rt-tests)
# --bench: also the peers the benchmarks measure against.
[ "${1:-}" = "--bench" ] && PKGS+=(bpftrace prometheus-node-exporter)
# Meta-packages that always resolve to the newest kernel of each line.
KPKGS=(linux-image-amd64 linux-headers-amd64
       linux-image-6.12-amd64 linux-headers-6.12-amd64
       linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64)

missing=()
for p in "${PKGS[@]}" "${KPKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root or install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
