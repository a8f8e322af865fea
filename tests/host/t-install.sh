#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Packaging on the host (docs/install.md), for each test kernel: `make
# install DESTDIR=` writes exactly the expected files and manifest, `make
# uninstall` removes them and nothing else, SIGN_KEY= signs the modules; one
# version everywhere; and dkms add/build/install/remove with every tree
# (source, dkms, install) in a temporary folder, so the host's /usr/src,
# /var/lib/dkms and /lib/modules are never touched.
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail + 1)); fi; }
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; echo "#   got:      $(tr '\n' ' ' <<<"$1")"; echo "#   expected: $(tr '\n' ' ' <<<"$2")"
	fi
}
t0=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ver=$(sed -n 's/^#define TK_VERSION "\(.*\)"$/\1/p' include/tkcore/version.h)
kernels=$(scripts/kernels.sh) || { ok 1 "test kernels available"; echo "1..$n"; exit 1; }

# FOLDER/NAME of every module, from the Kbuild files (as tests/run-all.sh).
mods=$(for kb in */Kbuild; do
	sed -n "s|^obj-m += \(.*\)\.o$|${kb%/Kbuild}/\1|p" "$kb"
done | sort)
# The suffix kbuild and dkms give installed modules on kernel $1.
suffix() {
	local c=/lib/modules/$1/build/.config
	if grep -q '^CONFIG_MODULE_COMPRESS_XZ=y' "$c"; then echo .ko.xz
	elif grep -q '^CONFIG_MODULE_COMPRESS_ZSTD=y' "$c"; then echo .ko.zst
	elif grep -q '^CONFIG_MODULE_COMPRESS_GZIP=y' "$c"; then echo .ko.gz
	else echo .ko; fi
}
# Files `make install` writes for kernel $1 with the default PREFIX and
# SYSCONFDIR, the manifest excepted (docs/install.md's table).
expected() {
	local m sfx
	sfx=$(suffix "$1")
	for m in $mods; do echo "/lib/modules/$1/updates/$m$sfx"; done
	cat <<-EOT
	/usr/local/bin/tkctl
	/usr/local/bin/tk-exporter
	/usr/local/bin/tk-logger
	/usr/local/share/man/man1/tkctl.1
	/usr/local/share/bash-completion/completions/tkctl
	/usr/local/lib/systemd/system/tk-exporter.service
	/usr/local/lib/systemd/system/tk-logger.service
	/usr/local/share/doc/tkit/install.md
	/usr/local/share/doc/tkit/metrics.md
	/etc/logrotate.d/tk-logger
	/etc/modprobe.d/tkit.conf.example
	/etc/modules-load.d/tkit.conf.example
	EOT
}
files() { (cd "$1" && find . -type f | sed 's|^\.||' | sort); }
# sig_verifies MODULE KVER: MODULE (maybe compressed) ends in a valid
# signature by $tmp/sign.der over exactly build/kmod/KVER/krp/krp.ko.
sig_verifies() {
	local plain=$tmp/plain.ko
	case $1 in
	*.xz) xz -dc "$1" ;; *.zst) zstd -qdc "$1" ;; *.gz) gzip -dc "$1" ;; *) cat "$1" ;;
	esac >"$plain"
	python3 - "$plain" "$tmp" <<-'EOP' || return 1
	import struct, sys
	d = open(sys.argv[1], 'rb').read()
	magic = b"~Module signature appended~\n"
	assert d.endswith(magic)
	body = d[:-len(magic)]
	siglen = struct.unpack('>I', body[-4:])[0]
	open(sys.argv[2] + '/sig.p7', 'wb').write(body[-12 - siglen:-12])
	open(sys.argv[2] + '/data.bin', 'wb').write(body[:-12 - siglen])
	EOP
	openssl x509 -inform DER -in "$tmp/sign.der" -out "$tmp/sign.pem" &&
		openssl cms -verify -binary -inform DER -in "$tmp/sig.p7" -content "$tmp/data.bin" \
			-certfile "$tmp/sign.pem" -nointern -noverify -out /dev/null 2>/dev/null &&
		cmp -s "$tmp/data.bin" "build/kmod/$2/krp/krp.ko"
}
host_state() { find /usr/src /var/lib/dkms /lib/modules/*/updates -maxdepth 3 2>/dev/null | sort | md5sum; }
host0=$(host_state)

# ---- one version ----
echo "# version $ver"
ok "$([[ $ver =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; echo $?)" "TK_VERSION is x.y.z"
make -s tools >"$tmp/tools.log" 2>&1 || cat "$tmp/tools.log"
is "$(build/host/tkctl --version)" "tkctl $ver" "tkctl --version"
is "$(build/host/tk-exporter --version)" "tk-exporter $ver" "tk-exporter --version (and its build_info metric)"
is "$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)" "$ver" "dkms.conf PACKAGE_VERSION"
is "$(cd /tmp && bash -c '. "$1"; for i in "${!BUILT_MODULE_NAME[@]}"; do
	echo "${BUILT_MODULE_LOCATION[i]}${BUILT_MODULE_NAME[i]} ${DEST_MODULE_LOCATION[i]}"; done' _ "$top/dkms.conf" | sort)" \
	"$(sed 's|$| /updates/dkms|' <<<"$mods")" "dkms.conf lists every Kbuild obj-m module, into updates/dkms"

# ---- make install / uninstall, per kernel ----
openssl req -new -x509 -nodes -days 1 -subj "/CN=tkit test signing key" -newkey rsa:2048 \
	-keyout "$tmp/sign.key" -outform DER -out "$tmp/sign.der" >/dev/null 2>&1
for k in $kernels; do
	echo "# ==== $k"
	if ! make -s modules KVER="$k" >"$tmp/build.log" 2>&1; then
		cat "$tmp/build.log"; ok 1 "$k: modules build"; continue
	fi
	for ko in build/kmod/"$k"/*/*.ko; do
		is "$(modinfo -F version "$ko")" "$ver" "$k: modinfo -F version ${ko#build/kmod/"$k"/}"
	done
	d=$tmp/root-$k
	make -s install KVER="$k" DESTDIR="$d" >"$tmp/install.log" 2>&1
	ok $? "$k: make install DESTDIR= succeeds"
	man=/usr/local/share/tkit/manifest-$k
	is "$(files "$d")" "$( (expected "$k"; echo "$man") | sort)" "$k: it installs exactly the expected files"
	is "$(cat "$d$man" 2>/dev/null)" "$(expected "$k" | sort)" "$k: the manifest lists them all"
	is "$(grep -h '^ExecStart=' "$d"/usr/local/lib/systemd/system/*.service | cut -d' ' -f1 | sort)" \
		"$(printf 'ExecStart=/usr/local/bin/%s\n' tk-exporter tk-logger)" "$k: units start the installed binaries"
	for f in "$d/lib/modules/$k/updates"/*/*; do
		is "$(modinfo -F version "$f")" "$ver" "$k: installed ${f##*/} has version $ver"
	done
	# Files that are not ours, one next to each kind of ours, must stay.
	mkdir -p "$d/lib/modules/$k/updates/other"
	touch "$d/usr/local/bin/other" "$d/etc/modprobe.d/tkit.conf" "$d/lib/modules/$k/updates/other/x.ko"
	make -s uninstall KVER="$k" DESTDIR="$d" >"$tmp/uninstall.log" 2>&1
	ok $? "$k: make uninstall DESTDIR= succeeds"
	is "$(files "$d")" "$(printf '%s\n' /etc/modprobe.d/tkit.conf "/lib/modules/$k/updates/other/x.ko" /usr/local/bin/other | sort)" \
		"$k: make uninstall removes every file of ours and nothing else"
	is "$(cd "$d" && find . -path '*/tkit' -o -path "./lib/modules/$k/updates/*" -type d | sort)" \
		"./lib/modules/$k/updates/other" "$k: and the folders only we use"
	! make -s uninstall KVER="$k" DESTDIR="$d" >/dev/null 2>&1
	ok $? "$k: a second uninstall fails: nothing installed"

	# SIGN_KEY=: every module signed, compressed ones recompressed.
	d=$tmp/signed-$k
	make -s install KVER="$k" DESTDIR="$d" SIGN_KEY="$tmp/sign.key" SIGN_CERT="$tmp/sign.der" \
		>"$tmp/install.log" 2>&1
	ok $? "$k: make install SIGN_KEY= SIGN_CERT= succeeds"
	signers=$(for m in $mods; do modinfo -F signer "$d/lib/modules/$k/updates/$m$(suffix "$k")"; done | sort -u)
	is "$signers" "tkit test signing key" "$k: every installed module is signed with that key"
	ok "$(sig_verifies "$d/lib/modules/$k/updates/krp/krp$(suffix "$k")" "$k"; echo $?)" \
		"$k: krp's signature verifies (CMS, the cert) over the plain module kbuild built"
	rm -rf "$d"
done

# ---- DKMS ----
tdk=$(date +%s)
if ! command -v dkms >/dev/null; then
	ok 1 "dkms installed (scripts/deps.sh)"
else
	dk=$tmp/dkms
	mkdir -p "$dk/tree" "$dk/lib/modules"
	opts=(--dkmstree "$dk/tree" --sourcetree "$dk/stage/usr/src" --installtree "$dk/lib/modules")
	# dkms signs what it builds, with a MOK pair it creates: here, not in /var/lib/dkms.
	export mok_signing_key=$dk/mok.key mok_certificate=$dk/mok.pub
	make -s dkms-source DESTDIR="$dk/stage" >/dev/null
	src=$dk/stage/usr/src/tkit-$ver
	ok "$([ -f "$src/dkms.conf" ] && [ -f "$src/Kbuild" ] && [ -z "$(find "$src" -name '*.o' -o -name '*.ko')" ]; echo $?)" \
		"make dkms-source stages dkms.conf and the sources, no objects"
	dkms add "tkit/$ver" "${opts[@]}" >"$dk/log" 2>&1
	ok $? "dkms add tkit/$ver"
	for k in $kernels; do
		# depmod -b needs the kernel's own index files next to ours.
		mkdir -p "$dk/lib/modules/$k"
		cp /lib/modules/"$k"/modules.builtin* /lib/modules/"$k"/modules.order "$dk/lib/modules/$k/"
		b0=$(date +%s)
		dkms build "tkit/$ver" -k "$k" "${opts[@]}" >>"$dk/log" 2>&1
		ok $? "$k: dkms build ($(($(date +%s) - b0)) s)"
		dkms install "tkit/$ver" -k "$k" --no-depmod "${opts[@]}" >>"$dk/log" 2>&1
		ok $? "$k: dkms install"
		dir=$dk/lib/modules/$k/updates/dkms
		is "$(cd "$dir" 2>/dev/null && ls | sort)" "$(for m in $mods; do echo "${m#*/}$(suffix "$k")"; done | sort)" \
			"$k: every module in updates/dkms/"
		for f in "$dir"/*; do
			is "$(modinfo -F version "$f") $(modinfo -F vermagic "$f" | cut -d' ' -f1) $(modinfo -F signer "$f")" \
				"$ver $k DKMS module signing key" "$k: ${f##*/}: version, vermagic, signed by dkms's key"
		done
		depmod -b "$dk" "$k" >>"$dk/log" 2>&1
		is "$(modprobe -d "$dk" -S "$k" --show-depends krp 2>&1 | sed "s|$dir/||")" \
			"$(printf 'insmod tkcore%s \ninsmod krp%s \n' "$(suffix "$k")" "$(suffix "$k")")" \
			"$k: modprobe krp by name resolves to tkcore, then krp"
	done
	is "$(dkms status "${opts[@]}" 2>/dev/null | sed 's/, x86_64//' | sort)" \
		"$(for k in $kernels; do echo "tkit/$ver, $k: installed"; done | sort)" "dkms status: $ver installed for each kernel"
	dkms remove "tkit/$ver" --all --no-depmod "${opts[@]}" >>"$dk/log" 2>&1
	ok $? "dkms remove --all"
	is "$(find "$dk/lib" "$dk/tree" -name '*.ko*')" "" "no module left in the install and dkms trees"
	[ $fail -eq 0 ] || tail -n 30 "$dk/log"
fi
is "$(host_state)" "$host0" "the host's /usr/src, /var/lib/dkms and /lib/modules/*/updates are as before"
echo "# dkms part $(($(date +%s) - tdk)) s, whole file $(($(date +%s) - t0)) s"
echo "1..$n"
[ $fail -eq 0 ]
