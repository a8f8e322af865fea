#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tk-exporter (release build) against Debian's prometheus-node-exporter with
# only its stat and meminfo collectors, on loopback on this host: scrape
# latency (median and p90 over paired, interleaved scrapes in random order,
# a new connection per scrape, Prometheus's Accept header) and RSS.
# tk-exporter reads a fixture tree (tests/fixtures/stack, plus a "large"
# variant: a 600-snapshot ring and 32 profiled functions), since the host
# has no tkcore loaded.  Targets: <= 0.5x latency, <= 0.3x RSS, judged on
# the "small" case (the shipped defaults); exit 1 when missed.
#   TK_BENCH_PAIRS=N   pairs per case (default 2000)
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
EXP=$top/build/host/tk-exporter
NE=$(command -v prometheus-node-exporter || true)
PAIRS=${TK_BENCH_PAIRS:-2000}
[ -x "$EXP" ] || { echo "build/host/tk-exporter missing: make tools" >&2; exit 1; }
[ -n "$NE" ] || { echo "prometheus-node-exporter missing: scripts/deps.sh" >&2; exit 1; }

tmp=$(mktemp -d /tmp/tk-bench.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
waitup() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; return 1; }

# The large fixture: 600 snapshots, 32 functions.
cp -r tests/fixtures/stack "$tmp/small"
cp -r tests/fixtures/stack "$tmp/large"
python3 - "$tmp/large" <<'EOF'
import sys
root = sys.argv[1]
head = open(root + "/proc/telemetry").read().splitlines()
last = head[-1]
with open(root + "/proc/telemetry", "w") as f:
    f.write("# tkcore 0.1.0 ring_size=600 log_interval=1 enable=1\n")
    for i in range(600):
        f.write(last.replace("seq=3 ", "seq=%d " % (i + 1), 1) + "\n")
with open(root + "/sys/class/qeexo/profiler/stats_ext", "w") as f:
    for i in range(32):
        f.write("fn_%d target=sym_%d mech=fprobe count=%d total_ns=%d min_ns=1 max_ns=9 missed=0 "
                "p50_ns=1 p90_ns=2 p99_ns=3 hist=%s\n" % (i, i, 40 * i, 99 * i,
                ",".join(str(i) for _ in range(40))))
EOF

ne_port=$(freeport)
"$NE" --collector.disable-defaults --collector.stat --collector.meminfo \
	--web.listen-address="127.0.0.1:$ne_port" >"$tmp/ne.log" 2>&1 &
ne_pid=$!
pids+=("$ne_pid")
waitup "http://127.0.0.1:$ne_port/metrics" || { echo "node_exporter did not start" >&2; cat "$tmp/ne.log"; exit 1; }

cat >"$tmp/pair.py" <<'EOF'
# Paired, interleaved scrapes: each pair scrapes A and B in random order.
import http.client, random, statistics, sys, time
a_port, b_port, pairs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
          "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
def scrape(port):
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/metrics", headers={"Accept": ACCEPT})
    r = c.getresponse()
    body = r.read()
    c.close()
    dt = time.perf_counter() - t0
    assert r.status == 200, r.status
    return dt, len(body)
for _ in range(50):
    scrape(a_port); scrape(b_port)
rnd = random.Random(1)
A, B, ratios = [], [], []
for _ in range(pairs):
    if rnd.random() < 0.5:
        a, na = scrape(a_port); b, nb = scrape(b_port)
    else:
        b, nb = scrape(b_port); a, na = scrape(a_port)
    A.append(a); B.append(b); ratios.append(a / b)
q = lambda v, p: sorted(v)[int(p * (len(v) - 1))]
print("%.1f %.1f %.1f %.1f %.3f %d %d" % (
    statistics.median(A) * 1e6, q(A, 0.9) * 1e6,
    statistics.median(B) * 1e6, q(B, 0.9) * 1e6,
    statistics.median(ratios), na, nb))
EOF

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

echo "# $(nproc) CPUs, $(uname -r); node_exporter: $("$NE" --version 2>&1 | head -n 1)"
echo "# $PAIRS pairs per case; latency = client-side time of one scrape on a new connection, in us"
printf '%-6s %10s %10s %10s %10s %12s %12s %8s %9s %9s\n' case tk_p50 tk_p90 ne_p50 ne_p90 latency_x pair_med_x tk_rss ne_rss rss_x
st=0
for fx in small large; do
	port=$(freeport)
	"$EXP" --listen "127.0.0.1:$port" --sysfs-root "$tmp/$fx/sys" --proc-root "$tmp/$fx/proc" \
		2>"$tmp/tk-$fx.log" &
	tk_pid=$!
	pids+=("$tk_pid")
	waitup "http://127.0.0.1:$port/metrics" || { echo "tk-exporter did not start" >&2; exit 1; }
	read -r tp50 tp90 np50 np90 pmed tbytes nbytes < <(python3 "$tmp/pair.py" "$port" "$ne_port" "$PAIRS")
	trss=$(rss_kb $tk_pid)
	nrss=$(rss_kb $ne_pid)
	lx=$(awk -v a="$tp50" -v b="$np50" 'BEGIN { printf "%.3f", a / b }')
	rx=$(awk -v a="$trss" -v b="$nrss" 'BEGIN { printf "%.3f", a / b }')
	printf '%-6s %10s %10s %10s %10s %12s %12s %8s %9s %9s\n' "$fx" "$tp50" "$tp90" "$np50" "$np90" "$lx" "$pmed" "$trss" "$nrss" "$rx"
	echo "#   $fx: response bytes tk $tbytes, node_exporter $nbytes; VmHWM tk $(hwm_kb $tk_pid) kB, node_exporter $(hwm_kb $ne_pid) kB"
	# The targets apply to the shipped defaults (ring_size 10, a few
	# functions); "large" (7x node_exporter's output) is reported only.
	[ $fx = small ] && { awk -v l="$lx" -v r="$rx" 'BEGIN { exit !(l <= 0.5 && r <= 0.3) }' || st=1; }
	kill $tk_pid
	wait $tk_pid 2>/dev/null
done
if [ $st -eq 0 ]; then
	echo "# targets met (small = defaults): latency <= 0.5x and RSS <= 0.3x node_exporter's"
else
	echo "# TARGET MISSED (small = defaults): latency <= 0.5x, RSS <= 0.3x"
fi
exit $st
