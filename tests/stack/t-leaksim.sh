#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The registration API end to end with leaksim: modprobe pulls tkcore in,
# files and snapshot fields appear and go, unloading in every order.
. "$(dirname "$0")/lib.sh"
unload_all
install_modules

# leaksim needs tkcore's symbols: a bare insmod without it must fail.
load_leaksim 2>/dev/null
st=$?
ok $((st == 0)) "insmod leaksim without tkcore is refused"
check "nothing left loaded" -- test ! -e /sys/module/leaksim

check "modprobe leaksim" -- modprobe leaksim
check "modprobe pulled tkcore in" -- mod_loaded tkcore
check "leaksim loaded" -- mod_loaded leaksim
is "$(cat /sys/module/tkcore/refcnt)" 1 "tkcore refcnt is 1 (held by leaksim)"
is "$(cat $TEL/features)" "leaksim leaksim leaksim" "features lists leaksim"
is "$(stat -c %a $QX/leaksim/kmalloc_dropped)" 444 "leaksim/kmalloc_dropped is 0444"
is "$(cat $QX/leaksim/kmalloc_dropped)" 1 "one block leaked at load by default"
check "dmesg tells of the deliberate leak" -- sh -c "dmesg | grep -q 'leaksim: leaked 1 kmalloc block'"
"$TKWRITE" $TEL/snapshot 1 >/dev/null
s=$(last_snap)
is "$(field "$s" leaksim_kmalloc_dropped)" 1 "snapshot carries leaksim_kmalloc_dropped"

# tkcore may not go while leaksim is loaded.
rmmod tkcore 2>/dev/null
st=$?
ok $((st == 0)) "rmmod tkcore refused while leaksim is loaded"
check "tkcore still loaded" -- mod_loaded tkcore
check "its files are still there" -- test -e $TEL/enable -a -e $QX/leaksim/kmalloc_dropped
modprobe -r tkcore 2>/dev/null
st=$?
ok $((st == 0)) "modprobe -r tkcore refused while leaksim is loaded"

check "rmmod leaksim" -- rmmod leaksim
check "leaksim device removed" -- test ! -e $QX/leaksim
is "$(cat $TEL/features)" "" "features empty again"
check "tkcore stays" -- test -e $TEL/enable -a -e $QX/profiler
"$TKWRITE" $TEL/snapshot 1 >/dev/null
s=$(last_snap)
case $s in *leaksim_*) st=1 ;; *) st=0 ;; esac
ok $st "new snapshots have no leaksim field"
check "older snapshots keep theirs" -- sh -c "grep -q leaksim_kmalloc_dropped=1 /proc/telemetry"
check "rmmod tkcore now succeeds" -- rmmod tkcore

# Reload: a fresh instance, parameters, and modprobe -r taking both out.
check "modprobe leaksim kmalloc_dropped=3" -- modprobe leaksim kmalloc_dropped=3
is "$(cat $QX/leaksim/kmalloc_dropped)" 3 "three blocks leaked"
check "modprobe -r leaksim" -- modprobe -r leaksim
check "modprobe -r removed tkcore too" -- test ! -e /sys/module/tkcore
for bad in kmalloc_dropped=-1 kmalloc_dropped=4097 kmalloc_dropped=x; do
	modprobe leaksim "$bad" 2>/dev/null
	st=$?
	ok $((st == 0)) "modprobe leaksim $bad is refused"
	check "no leaksim after refused $bad" -- test ! -e /sys/module/leaksim
done
# modprobe loaded tkcore before leaksim refused its parameter; it stays.
check "tkcore left by the refused modprobe unloads" -- rmmod tkcore

# Order: core first by hand, feature, feature out, core out.
check "insmod tkcore, then leaksim" -- sh -c "insmod $TK_MODDIR/core/tkcore.ko && insmod $TK_MODDIR/leaksim/leaksim.ko kmalloc_dropped=0"
is "$(cat $QX/leaksim/kmalloc_dropped)" 0 "kmalloc_dropped=0 leaks nothing"
check "rmmod leaksim tkcore" -- rmmod leaksim tkcore
check "all gone" -- test ! -e $QX -a ! -e /sys/module/leaksim -a ! -e /sys/module/tkcore

done_testing
