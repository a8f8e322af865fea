#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installed as a package (docs/install.md): the host's staged `make install`
# (build/stage/<release>, tests/run-all.sh) copied file by file from its
# manifest into the guest's throw-away root, then: modprobe by name with no
# path, tkcore pulled in, krp counting, the version in the running kernel,
# the two config examples inert until copied to .conf, systemd-modules-load,
# `modprobe -r`, and `make uninstall` run in the guest.  Leaves the modules
# installed and indexed (/run/tk-installed) for the files that follow.
. "$(dirname "$0")/lib.sh"
unload_all
P=$QX/profiler
stage=$TK_TOP/build/stage/$TK_KVER
man=/usr/local/share/tkit/manifest-$TK_KVER
ver=$(sed -n 's/^#define TK_VERSION "\(.*\)"$/\1/p' "$TK_TOP/include/tkcore/version.h")

# ---- install ----
diag "at ${SECONDS}s: install from the staged manifest"
check "the host staged an install with a manifest" -- test -s "$stage$man"
bad=0
while IFS= read -r f; do
	install -D -m "$(stat -c %a "$stage$f")" "$stage$f" "$f" || bad=$((bad + 1))
done <"$stage$man"
install -D -m 0644 "$stage$man" "$man" || bad=$((bad + 1))
is "$bad" 0 "$(wc -l <"$stage$man") files installed into the guest's root"
t0=$SECONDS
check "depmod -a" -- depmod -a "$TK_KVER"
diag "depmod took $((SECONDS - t0)) s"
touch /run/tk-installed	# lib.sh's install_modules: already done

# ---- modprobe by name ----
diag "at ${SECONDS}s: modprobe by name"
case $(modinfo -n krp 2>/dev/null) in
/lib/modules/"$TK_KVER"/updates/krp/krp.ko*) ok 0 "modinfo -n krp: in updates/krp/" ;;
*) ok 1 "modinfo -n krp: in updates/krp/ (got '$(modinfo -n krp 2>&1)')" ;;
esac
check "modprobe krp funcs=sys_getpid" -- modprobe krp funcs=sys_getpid
check "tkcore pulled in" -- mod_loaded tkcore
is "$(cat /sys/module/krp/version) $(cat /sys/module/tkcore/version)" "$ver $ver" \
	"the running modules carry version $ver"
"$TKLOAD" getpid 1000 >/dev/null
c=$(grep '^sys_getpid:' $P/stats | cut -d: -f3)
check "krp counted 1000 getpid calls ($c)" -- test "${c:-0}" -ge 1000 -a "${c:-0}" -le 1050
is "$(tkctl --version)" "tkctl $ver" "tkctl from PATH, same version"
check "tkctl status sees krp loaded" -- sh -c "tkctl status | grep -Eq '^krp +krp +loaded'"
check "modprobe -r krp tkcore" -- modprobe -r krp tkcore
check "both gone" -- test ! -e /sys/module/krp -a ! -e /sys/module/tkcore

# ---- the config examples ----
diag "at ${SECONDS}s: modprobe.d and modules-load.d examples"
is "$(modprobe -c | grep -c '^options krp ')" 0 "the modprobe.d example does nothing as installed"
cp /etc/modprobe.d/tkit.conf.example /etc/modprobe.d/tkit.conf
cp /etc/modules-load.d/tkit.conf.example /etc/modules-load.d/tkit.conf
is "$(modprobe -c | grep '^options krp ')" "options krp funcs=sys_getpid,sys_openat,vfs_read" \
	"copied to tkit.conf, modprobe uses its options"
sml=$(ls /lib/systemd/systemd-modules-load /usr/lib/systemd/systemd-modules-load 2>/dev/null | head -n1)
check "systemd-modules-load loads modules-load.d/tkit.conf" -- "$sml"
mod_loaded krp && mod_loaded tkcore
ok $? "krp loaded as at boot, tkcore pulled in"
is "$(cut -d' ' -f1 $P/funcs 2>/dev/null | tr '\n' ,)" "sys_getpid,sys_openat,vfs_read," \
	"with funcs= from modprobe.d/tkit.conf"
check "modprobe -r krp tkcore" -- modprobe -r krp tkcore
rm -f /etc/modprobe.d/tkit.conf /etc/modules-load.d/tkit.conf

# ---- uninstall ----
# With a recording depmod: a real one costs minutes under emulation, and the
# files are put back afterwards, so the index of the first depmod stays true
# for the test files that follow.
diag "at ${SECONDS}s: make uninstall"
files=$(cat "$man")
printf '#!/bin/sh\necho "$*" >>/tmp/tk-depmod.args\n' >/tmp/tk-depmod
chmod +x /tmp/tk-depmod
rm -f /tmp/tk-depmod.args
check "make uninstall" -- make -s -C "$TK_TOP" uninstall KVER="$TK_KVER" DEPMOD=/tmp/tk-depmod
left=0
for f in $files $man; do [ -e "$f" ] && left=$((left + 1)); done
is "$left" 0 "every file of the manifest is gone"
is "$(cat /tmp/tk-depmod.args 2>/dev/null)" "-a $TK_KVER" "then depmod -a $TK_KVER runs"
check "no folder of ours left in updates/" -- \
	test -z "$(find "/lib/modules/$TK_KVER/updates" -mindepth 1 -type d 2>/dev/null)"
while IFS= read -r f; do install -D -m "$(stat -c %a "$stage$f")" "$stage$f" "$f"; done <"$stage$man"
check "put back: modprobe krp again" -- modprobe krp
check "modprobe -r krp tkcore" -- modprobe -r krp tkcore
done_testing
