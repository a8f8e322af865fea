#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tkctl's read commands and usage errors on the host, against a fixture
# sysfs/proc tree (TKCTL_SYSFS_ROOT/TKCTL_PROC_ROOT); no kernel module needed.
cd "$(dirname "$0")/../.."
TKCTL=$PWD/build/host/tkctl
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail + 1)); fi; }
t() { local d=$1; shift; "$@" >/dev/null 2>&1; ok $? "$d"; }

fx=$(mktemp -d)
trap 'rm -rf "$fx"' EXIT
mkdir -p "$fx/sys/class/qeexo/profiler" "$fx/sys/class/qeexo/leaksim" "$fx/sys/class/qeexo/telemetry" "$fx/proc"
hist="0,0,0,0,0,0,0,0,0,5,7,1$(printf ',0%.0s' $(seq 28))"
cat >"$fx/sys/class/qeexo/profiler/stats_ext" <<EOT
sys_getpid target=__x64_sys_getpid mech=fprobe count=13 total_ns=18473 min_ns=900 max_ns=4000 missed=2 p50_ns=1023 p90_ns=2047 p99_ns=4000 p999_ns=4000 hist2=184:5,206:7,254:1 hist=$hist
vfs_read target=vfs_read mech=kretprobe count=0 total_ns=0 min_ns=0 max_ns=0 missed=0 p50_ns=0 p90_ns=0 p99_ns=0 hist=$(printf '0,%.0s' $(seq 39))0
EOT
printf '7\n' >"$fx/sys/class/qeexo/leaksim/kmalloc_dropped"
mkdir -p "$fx/sys/class/qeexo/irqstat"
cat >"$fx/sys/class/qeexo/irqstat/irqs" <<EOT
irq=4 name=ttyS0 count=100 calls=200 total_ns=300000 max_ns=9000 cpu0=60 cpu0_ns=1 cpu0_max_ns=1 cpu1=40 cpu1_ns=1 cpu1_max_ns=1
irq=24 name=virtio0-requests count=7 calls=7 total_ns=7000 max_ns=2000 cpu0=7 cpu0_ns=7000 cpu0_max_ns=2000
EOT
printf 'vec=0 name=HI count=3 cpu0=3\nvec=3 name=NET_RX count=42 cpu0=40 cpu1=2\n' >"$fx/sys/class/qeexo/irqstat/softirqs"
cat >"$fx/sys/class/qeexo/irqstat/vectors" <<EOT
row=LOC name=local_timer timed=1 count=400 calls=400 total_ns=800000 max_ns=9000 cpu0=300 cpu0_ns=1 cpu0_max_ns=1 cpu1=100 cpu1_ns=1 cpu1_max_ns=1
row=TLB name=tlb_shootdown timed=0 count=12 calls=0 total_ns=0 max_ns=0 cpu0=12 cpu0_ns=0 cpu0_max_ns=0
EOT
export TKCTL_SYSFS_ROOT=$fx/sys TKCTL_PROC_ROOT=$fx/proc

out=$("$TKCTL" stats krp)
ok "$(grep -Ec '^sys_getpid +13 +1.42 us +900 ns +1.02 us +2.05 us +4.00 us +4.00 us +4.00 us +2$' <<<"$out" | grep -qx 1; echo $?)" "stats krp: one formatted row per function, with p99.9"
ok "$(grep -Ec '^vfs_read +0 +0 ns +0 ns +0 ns +0 ns +0 ns +- +0 ns +0$' <<<"$out" | grep -qx 1; echo $?)" "a function with no calls, from a krp without p999: p99.9 is -"
j=$("$TKCTL" --json stats)
t "--json stats: krp rows and leaksim counter" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
r = d["krp"][0]
assert r["function"] == "sys_getpid" and r["avg_ns"] == 1421 and r["missed"] == 2 and r["p90_ns"] == 2047
assert r["p999_ns"] == 4000 and "p999_ns" not in d["krp"][1]
assert d["leaksim"]["kmalloc_dropped"] == 7
' "$j"
out=$("$TKCTL" stats irqstat)
ok "$(grep -Ec '^ +4 ttyS0 +100 +200 +1.50 us +9.00 us +300.00 us$' <<<"$out" | grep -qx 1; echo $?)" "stats irqstat: one row per line (avg per call)"
ok "$(grep -Ec '^NET_RX +42$' <<<"$out" | grep -qx 1; echo $?)" "stats irqstat: softirqs by vector"
ok "$(grep -Ec '^ +LOC local_timer +400 +400 +2.00 us +9.00 us +800.00 us$' <<<"$out" | grep -qx 1; echo $?)" "stats irqstat: a timed architecture row"
ok "$(grep -Ec '^ +TLB tlb_shootdown +12 +- +- +- +-$' <<<"$out" | grep -qx 1; echo $?)" "stats irqstat: an untimed row shows no time"
t "--json stats irqstat" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["irqstat"]
l = d["lines"][1]
assert l == {"irq": 24, "name": "virtio0-requests", "count": 7, "calls": 7, "total_ns": 7000, "avg_ns": 1000, "max_ns": 2000}, l
assert d["softirqs"] == {"HI": 3, "NET_RX": 42}
assert d["vectors"][0] == {"row": "LOC", "name": "local_timer", "timed": True, "count": 400, "calls": 400, "total_ns": 800000, "avg_ns": 2000, "max_ns": 9000}, d["vectors"][0]
assert d["vectors"][1]["row"] == "TLB" and d["vectors"][1]["timed"] is False
' "$("$TKCTL" --json stats irqstat)"
out=$("$TKCTL" stats kmp)
ok "$([ "$out" = "kmp: not loaded" ]; echo $?)" "stats of an absent feature says so"
"$TKCTL" bogus >/dev/null 2>&1; ok "$([ $? -eq 2 ]; echo $?)" "unknown command: exit 2"
"$TKCTL" stats bogus >/dev/null 2>&1; ok "$([ $? -eq 4 ]; echo $?)" "unknown feature: exit 4"
"$TKCTL" help krp | grep -q 'krp list'; ok $? "help COMMAND"
"$TKCTL" --version | grep -Eq '^tkctl [0-9]+\.[0-9]+\.[0-9]+$'; ok $? "--version"
echo "1..$n"
[ $fail -eq 0 ]
