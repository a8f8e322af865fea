#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tkctl: load/status/unload from a build tree and from the installed tree,
# every error path's exit code and message, a 50-cycle loop, and tkctl top
# on the real /proc/kmonpro.
. "$(dirname "$0")/lib.sh"
unload_all
TKCTL=$TK_TOP/build/host/tkctl
T() { "$TKCTL" --from "$TK_MODDIR" "$@"; }
ours_loaded() { for m in tkcore krp kmp irqstat leaksim; do mod_loaded $m && echo $m; done | tr '\n' ' '; }

is "$("$TKCTL" --version)" "tkctl $(sed -n 's/^#define TK_VERSION "\(.*\)"/\1/p' "$TK_TOP/include/tkcore/version.h")" "--version"
check "--help" -- sh -c "$TKCTL --help | grep -q 'Exit codes'"

# ---- load all / status / unload all, from the build tree ----
out=$(T load all 2>&1)
st=$?
is "$st" 0 "load all --from the build tree"
check "core loaded first, krp after" -- sh -c "printf '%s\n' \"$out\" | grep -n . | grep -E '^1:core: loaded' >/dev/null && printf '%s\n' \"$out\" | grep -q '^krp: loaded'"
check "leaksim is not part of all" -- test ! -e /sys/module/leaksim
s=$("$TKCTL" status)
check "status shows tkcore loaded with refcount and user" -- grep -Eq '^core +tkcore +loaded refcnt=[1-9][0-9]* used-by=([a-z]+,)*krp' <<<"$s"
check "status shows a health line for core" -- grep -q 'sampling on every 5s' <<<"$s"
check "status shows krp's health" -- grep -q '0 function(s) profiled, 0 failed' <<<"$s"
check "status shows parameters" -- grep -Eq 'log_interval=5' <<<"$s"
j=$("$TKCTL" --json status)
check "--json status is valid JSON with every feature" -- python3 -c '
import json, sys
d = json.loads(sys.argv[1])
m = {x["feature"]: x for x in d["modules"]}
assert set(m) == {"core", "krp", "kmp", "irqstat", "leaksim"}
assert m["core"]["loaded"] and m["krp"]["loaded"] and not m["leaksim"]["loaded"]
assert "krp" in m["core"]["holders"] and m["core"]["params"]["ring_size"] == "10"
' "$j"
check "unload all" -- T unload all
is "$(ours_loaded)" "" "nothing of ours left loaded"

# ---- krp through tkctl ----
check "load krp with parameters (core pulled in)" -- T load krp funcs=sys_getpid,sys_getppid
"$TKLOAD" getpid 500 >/dev/null
s=$("$TKCTL" stats krp)
check "stats krp prints a table with percentiles" -- grep -Eq '^FUNCTION +CALLS +AVG +MIN +P50 +P90 +P99 +P99\.9 +MAX +MISSED' <<<"$s"
check "with a getpid row" -- grep -Eq '^sys_getpid +[0-9]+ ' <<<"$s"
j=$("$TKCTL" --json stats krp)
check "--json stats krp" -- python3 -c '
import json, sys
d = json.loads(sys.argv[1])["krp"]
assert [r["function"] for r in d] == ["sys_getpid", "sys_getppid"]
assert d[0]["calls"] >= 500 and d[0]["p50_ns"] <= d[0]["p99_ns"] <= d[0]["max_ns"]
' "$j"
check "krp add" -- "$TKCTL" krp add sys_getuid sys_getgid
check "krp list shows it" -- sh -c "$TKCTL krp list | grep -q '^sys_getgid target=__x64_sys_getgid'"
check "krp del" -- "$TKCTL" krp del sys_getuid
check "krp reset" -- "$TKCTL" krp reset
out=$("$TKCTL" krp add no_such_function_xyz 2>&1)
st=$?
is "$st/$out" "1/tkctl: krp add: No such file or directory" "krp add of an unknown symbol fails with the kernel's errno"

# ---- errors and exit codes ----
out=$(T load krp 2>&1)
is "$?/$out" "0/krp: already loaded" "already loaded is not an error"
out=$(T unload core 2>&1)
is "$?/$out" "7/tkctl: core: tkcore is in use" "unloading tkcore in use: exit 7"
check "tkcore still loaded" -- mod_loaded tkcore
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TKCTL" --from "$TK_MODDIR" load core 2>&1)
is "$?/$out" "3/tkctl: load needs root" "not root: exit 3"
out=$(T load bogus 2>&1)
is "$?" 4 "unknown feature: exit 4"
check "with the list of features" -- grep -q 'features: core krp kmp irqstat leaksim' <<<"$out"
mkdir -p /tmp/empty
out=$("$TKCTL" --from /tmp/empty load leaksim 2>&1)
is "$?/$out" "5/tkctl: leaksim: no leaksim.ko in /tmp/empty" "module file not found: exit 5"
out=$(T load leaksim kmalloc_dropped=99999 2>&1)
st=$?
is "$st" 6 "a parameter the module rejects: exit 6"
check "names the kernel's errno and points at dmesg" -- grep -q 'the kernel refused leaksim: Numerical result out of range (see dmesg' <<<"$out"
T unload all >/dev/null
out=$(T load core krp funcs=a,,b leaksim 2>&1)
is "$?" 6 "a failed load in the middle: exit 6"
check "says what it left: core loaded, leaksim not attempted" -- grep -q 'stopped at krp; loaded by this command: core; not attempted: leaksim' <<<"$out"
is "$(ours_loaded)" "tkcore " "and left exactly that"
out=$("$TKCTL" load 2>&1)
is "$?" 2 "load without a feature: usage, exit 2"
out=$("$TKCTL" load funcs=x 2>&1)
is "$?" 2 "parameter before a feature: exit 2"
T unload all >/dev/null

# ---- the installed tree (make install + depmod) ----
install_modules
check "load krp from /lib/modules" -- "$TKCTL" load krp funcs=sys_getpid
check "tkcore pulled in through depmod" -- mod_loaded tkcore
check "load leaksim from /lib/modules" -- "$TKCTL" load leaksim
check "unload all" -- "$TKCTL" unload all
is "$(ours_loaded)" "" "nothing left"
rm -rf /lib/modules/$TK_KVER/updates/krp
depmod -a "$TK_KVER" 2>/dev/null
out=$("$TKCTL" load krp 2>&1)
is "$?" 5 "a module missing from /lib/modules: exit 5"
rm -f /run/tk-installed

# ---- 50 load/unload cycles ----
fails=0
for i in $(seq 50); do
	T load core krp funcs=sys_getpid leaksim kmalloc_dropped=0 >/dev/null || fails=$((fails + 1))
	T unload all >/dev/null || fails=$((fails + 1))
done
is "$fails" 0 "50 load/unload cycles through tkctl"
is "$(ours_loaded)" "" "nothing left after the cycles"

# ---- tkctl top on the real /proc/kmonpro: a busy loop shows up ----
T load core log_interval=1 >/dev/null
cp "$(command -v bash)" /tmp/tkbusy	# a comm of its own
/tmp/tkbusy -c 'while :; do :; done' &
busy=$!
# Two samples of tkcore with the loop running, however long they take.
kseq() { awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^seq=/) print substr($i, 5) }' /proc/kmonpro; }
k0=$(kseq)
for _ in $(seq 600); do [ "$(kseq)" -ge $((k0 + 2)) ] && break; sleep 0.1; done
out=$("$TKCTL" top -b -n 2 -d 1 2>&1)
st=$?
kill "$busy"
wait "$busy" 2>/dev/null
is "$st" 0 "top -b -n 2 -d 1 on /proc/kmonpro"
is "$(grep -c '^up ' <<<"$out")" 2 "two frames"
row=$(awk -v RS= 'NR == 2' <<<"$out" | awk -v p="$busy" '/^Processes by CPU/ { t = 1; next }
	/^(Processes by socket|IFACE)/ { t = 0 } t && $1 == p && $NF == "tkbusy"')
check "the busy loop is in the table of processes by CPU" -- test -n "$row"
cpu=$(awk '{ print int($2) }' <<<"$row")
check "at 50% of a CPU or more (got ${cpu:-nothing})" -- test "${cpu:-0}" -ge 50
[ -n "$row" ] || awk -v RS= 'NR == 2' <<<"$out" | sed 's/^/# /'
T unload all >/dev/null
done_testing
