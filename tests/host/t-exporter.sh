#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tk-exporter on the host against the fixture tree tests/fixtures/stack/
# (copied to a temp dir so the test can unload "modules" under it), scraped
# by Debian's real prometheus; promtool on the output; modules missing or
# vanishing mid-scrape; OpenMetrics negotiation; abuse (10,000 malformed or
# oversized requests, 200 idle connections); LeakSanitizer at exit and a
# bound on RSS growth over a long run of the same requests.  TAP.
#
# Runs the ASan+UBSan build (build/host/asan/tk-exporter); `make tools`
# builds it.  Loopback only; every request loop is bounded.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
EXP=${TK_EXPORTER:-$top/build/host/asan/tk-exporter}

n=0
nfail=0
ok() {	# ok STATUS DESCRIPTION
	local st=$1; shift
	n=$((n + 1))
	if [ "$st" -eq 0 ]; then echo "ok $n - $*"; else echo "not ok $n - $*"; nfail=$((nfail + 1)); fi
}
is() {	# is GOT EXPECTED DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got: '$1' expected: '$2'"; fi
}
finish() { echo "1..$n"; exit $((nfail > 0)); }

for tool in curl promtool prometheus python3 jq; do
	if ! command -v $tool >/dev/null; then
		ok 1 "$tool installed (scripts/deps.sh)"
		finish
	fi
done
if [ ! -x "$EXP" ]; then
	ok 1 "tk-exporter built ($EXP)"
	finish
fi

tmp=$(mktemp -d /tmp/tk-exporter-test.XXXXXX)
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

cp -r tests/fixtures/stack "$tmp/root"
SYS=$tmp/root/sys
PROC=$tmp/root/proc
PD=$SYS/class/qeexo/profiler
port=$(freeport)
url=http://127.0.0.1:$port

# ASan: a small quarantine so that RSS reflects the live heap; LeakSanitizer
# at exit; atexit=1 prints ASan's statistics from the same exit handlers
# that run LeakSanitizer's check, the proof that the check ran.
export ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=4:malloc_context_size=8:atexit=1
"$EXP" --listen "127.0.0.1:$port" --sysfs-root "$SYS" --proc-root "$PROC" \
	2>"$tmp/exporter.log" &
epid=$!
pids+=("$epid")
up=1
for _ in $(seq 100); do
	curl -sf -o /dev/null "$url/healthz" && { up=0; break; }
	sleep 0.05
done
ok $up "tk-exporter starts and listens on 127.0.0.1:$port"
[ $up -eq 0 ] || { cat "$tmp/exporter.log"; finish; }

# ---- direct checks ----
get() { curl -s --max-time 5 "$@"; }
code() { curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$@"; }
metric() {	# metric FILE 'name{labels}' : the value of one exposition line
	awk -v k="$2" '$1 == k { print $2; exit }' "$1"
}

get -D "$tmp/h.txt" "$url/metrics" >"$tmp/m.txt"
is "$(sed -n 's/\r$//; s/^Content-Type: //Ip' "$tmp/h.txt")" \
	"text/plain; version=0.0.4; charset=utf-8" "/metrics is text 0.0.4 by default"
promtool check metrics <"$tmp/m.txt" >"$tmp/promtool.txt" 2>&1
st=$?
[ -s "$tmp/promtool.txt" ] && st=1
ok $st "promtool check metrics: clean"
sed 's/^/#   /' "$tmp/promtool.txt" | head -n 10
is "$(metric "$tmp/m.txt" qeexo_memory_total_bytes)" $((2014124 * 1024)) "memory in bytes (kB x 1024)"
is "$(metric "$tmp/m.txt" qeexo_uptime_seconds)" 14.011953367 "uptime in seconds from the newest snapshot"
is "$(metric "$tmp/m.txt" qeexo_interrupts_total)" 4242 "interrupts as a _total counter"
is "$(metric "$tmp/m.txt" 'qeexo_cpu_seconds_total{cpu="1",mode="idle"}')" 11.236 "per-CPU idle seconds"
is "$(metric "$tmp/m.txt" qeexo_load1)" 0.31 "load1"
is "$(metric "$tmp/m.txt" qeexo_feature_leaksim_kmalloc_dropped)" 3 "feature field as qeexo_feature_<key>"
is "$(metric "$tmp/m.txt" 'qeexo_krp_duration_seconds_bucket{function="sys_getpid",le="0.000000255"}')" 610 "krp histogram: cumulative buckets, le in seconds (an octave bound: under 256 ns)"
is "$(metric "$tmp/m.txt" 'qeexo_krp_duration_seconds_bucket{function="sys_getpid",le="0.000000159"}')" 310 "krp histogram from hist2: a quarter-octave bound (under 160 ns)"
is "$(metric "$tmp/m.txt" 'qeexo_krp_duration_seconds_bucket{function="sys_getpid",le="60.129542143"}')" 1000 "the last fixed bound: 2^35 * 1.75 ns - 1 ns"
is "$(grep -c '^qeexo_krp_duration_seconds_bucket{function="sys_getpid",' "$tmp/m.txt")" 121 "120 fixed bounds and +Inf for a function with hist2"
is "$(grep -c '^qeexo_krp_duration_seconds_bucket{function="vfs_read",' "$tmp/m.txt")" 31 "a log2-only line (no hist2): the 30 octave bounds and +Inf"
# the same bounds on every host: 2^k (1 + q/4) ns - 1 ns, k = 6..35, q = 0..3
want=$(awk 'BEGIN {for (k = 6; k <= 35; k++) for (q = 0; q < 4; q++) printf "%.0f\n", 2 ^ k * (4 + q) / 4 - 1}')
got=$(sed -n 's/^qeexo_krp_duration_seconds_bucket{function="sys_getpid",le="\([0-9.]*\)"}.*/\1/p' "$tmp/m.txt" |
	awk '{split($1, p, "."); f = p[2]; while (length(f) < 9) f = f "0"; printf "%.0f\n", p[1] * 1000000000 + f}')
is "$(md5sum <<<"$got")" "$(md5sum <<<"$want")" "krp histogram bounds are exactly the documented fixed ones"
is "$(metric "$tmp/m.txt" 'qeexo_krp_duration_seconds_bucket{function="vfs_read",le="0.000002047"}')" 40 "a log2-only line keeps its octave counts"
is "$(metric "$tmp/m.txt" 'qeexo_krp_duration_percentile_seconds{function="sys_getpid",percentile="99.9"}')" 0.000009 "krp p99.9 from p999_ns"
is "$(grep -c 'qeexo_krp_duration_percentile_seconds{function="vfs_read",percentile="99.9"}' "$tmp/m.txt")" 0 "no p99.9 from a log2-only line"
is "$(metric "$tmp/m.txt" 'qeexo_krp_duration_seconds_bucket{function="sys_getpid",le="+Inf"}')" 1000 "krp histogram +Inf = count"
is "$(metric "$tmp/m.txt" 'qeexo_krp_duration_seconds_sum{function="sys_getpid"}')" 0.00025 "krp histogram sum in seconds"
is "$(metric "$tmp/m.txt" 'qeexo_krp_missed_total{function="sys_getpid"}')" 2 "krp missed counter"
is "$(metric "$tmp/m.txt" qeexo_kmp_tracked_bytes)" 69632 "kmp tracked_bytes"
is "$(grep -c '^qeexo_kmp_scan_blocks' "$tmp/m.txt")" 0 "no kmp scan without --kmp-scan"
is "$(metric "$tmp/m.txt" qeexo_kmp_missed_total)" 5 "kmp missed counter"
is "$(metric "$tmp/m.txt" 'qeexo_up{feature="tkcore"}')" 1 "up{tkcore} = 1"
is "$(metric "$tmp/m.txt" 'qeexo_irq_handled_total{irq="4",name="ttyS0"}')" 1234 "irqstat: interrupts per line"
is "$(metric "$tmp/m.txt" 'qeexo_irq_handler_calls_total{irq="4",name="ttyS0"}')" 2468 "irqstat: handler calls per line"
is "$(metric "$tmp/m.txt" 'qeexo_irq_handler_seconds_total{irq="24",name="virtio0-requests"}')" 0.025 "irqstat: handler seconds per line"
is "$(metric "$tmp/m.txt" 'qeexo_irq_handler_max_seconds{irq="4",name="ttyS0"}')" 0.000041 "irqstat: longest handler call"
ok "$(grep -qF 'qeexo_irq_handled_total{irq="25",name="odd\"name\\x"} 2' "$tmp/m.txt"; echo $?)" "irqstat: an action name is escaped as a label value"
is "$(metric "$tmp/m.txt" 'qeexo_softirqs_total{vector="NET_RX"}')" 340 "irqstat: softirqs per vector"
is "$(grep -c '^qeexo_softirqs_total{' "$tmp/m.txt")" 10 "irqstat: ten softirq vectors"
is "$(metric "$tmp/m.txt" 'qeexo_irq_seed_calls_total{irq="4"}')" 1234 "irqstat: seed-mode handler calls"
is "$(metric "$tmp/m.txt" 'qeexo_irq_vector_handled_total{row="LOC",name="local_timer"}')" 2710 "irqstat: architecture row LOC counted"
is "$(metric "$tmp/m.txt" 'qeexo_irq_vector_handled_total{row="TLB",name="tlb_shootdown"}')" 12 "irqstat: an untimed row is counted"
is "$(metric "$tmp/m.txt" 'qeexo_irq_vector_handler_seconds_total{row="LOC",name="local_timer"}')" 0.081302113 "irqstat: LOC handler seconds"
is "$(grep -c '^qeexo_irq_vector_handler_seconds_total{row="TLB"' "$tmp/m.txt")" 0 "irqstat: no handler time for an untimed row"
is "$(metric "$tmp/m.txt" 'qeexo_irq_nest_overflow_total')" 2 "irqstat: nest_overflow"
is "$(metric "$tmp/m.txt" 'qeexo_up{feature="irqstat"}')" 1 "up{irqstat} = 1"
P1='uuid="5a3b1e0c-7d2f-4c8e-9b61-0e4f2a7c9d13",name="tksample",version="0.1.0"'
P2='uuid="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",name="odd\"prod\\x",version="1.2.3-rc.1+b5"'
is "$(metric "$tmp/m.txt" "qeexo_event_producer_messages_total{$P1}")" 2000 "events: messages per producer"
is "$(metric "$tmp/m.txt" "qeexo_event_producer_sessions_total{$P1}")" 3 "events: sessions per producer"
is "$(metric "$tmp/m.txt" "qeexo_event_producer_dropped_records_total{$P1}")" 7 "events: drops per producer"
is "$(metric "$tmp/m.txt" "qeexo_event_producer_rejects_total{$P1,reason=\"no_session\"}")" 4 "events: rejects per producer and reason"
is "$(grep -c '^qeexo_event_producer_rejects_total{' "$tmp/m.txt")" 12 "events: six reasons for each of two producers"
# (grep -F: awk -v would unescape the backslashes)
ok "$(grep -qxF "qeexo_event_producer_messages_total{$P2} 17" "$tmp/m.txt"; echo $?)" "events: a producer name is escaped as a label value"
ok "$(grep -qxF "qeexo_event_producer_rejects_total{$P2,reason=\"dead\"} 1" "$tmp/m.txt"; echo $?)" "events: escaped producer's rejects"
is "$(metric "$tmp/m.txt" 'qeexo_events_rejects_total{reason="handle"}')" 7 "events: global rejects by reason"
is "$(grep -c '^qeexo_events_rejects_total{' "$tmp/m.txt")" 7 "events: seven global reasons"
is "$(metric "$tmp/m.txt" qeexo_events_dropped_records_total)" 9 "events: total dropped records"
is "$(metric "$tmp/m.txt" qeexo_events_readers)" 1 "events: readers"
is "$(metric "$tmp/m.txt" qeexo_events_buffer_bytes)" $((256 * 1024)) "events: buffer in bytes (KiB x 1024)"
is "$(metric "$tmp/m.txt" 'qeexo_up{feature="events"}')" 1 "up{events} = 1"
is "$(metric "$tmp/m.txt" qeexo_exporter_scrape_read_errors)" 0 "fixture tree: no read errors"
is "$(metric "$tmp/m.txt" qeexo_network_receive_bytes_total)" 123459789 "network: received bytes as a counter"
is "$(metric "$tmp/m.txt" qeexo_network_transmit_packets_total)" 45708 "network: sent packets as a counter"
is "$(grep -c '^qeexo_feature_net_' "$tmp/m.txt")" 0 "network keys have metrics of their own"
is "$(metric "$tmp/m.txt" 'qeexo_exporter_build_info{version="'"$(sed -n 's/^#define TK_VERSION "\(.*\)"/\1/p' include/tkcore/version.h)"'"}')" 1 "build_info carries TK_VERSION"

# OpenMetrics when asked (Prometheus's own Accept header), text otherwise.
PROM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
get -D "$tmp/h.txt" -H "Accept: $PROM_ACCEPT" "$url/metrics" >"$tmp/om.txt"
is "$(sed -n 's/\r$//; s/^Content-Type: //Ip' "$tmp/h.txt")" \
	"application/openmetrics-text; version=1.0.0; charset=utf-8" "OpenMetrics when Accept prefers it"
is "$(tail -n 1 "$tmp/om.txt")" "# EOF" "OpenMetrics ends with # EOF"
ok "$(grep -qx '# TYPE qeexo_interrupts counter' "$tmp/om.txt"; echo $?)" "OpenMetrics counter family named without _total"
get -D "$tmp/h.txt" -H 'Accept: text/plain;q=0.9,application/openmetrics-text;q=0.5' "$url/metrics" >/dev/null
is "$(sed -n 's/\r$//; s/^Content-Type: //Ip' "$tmp/h.txt")" \
	"text/plain; version=0.0.4; charset=utf-8" "text when Accept prefers text/plain"

is "$(code "$url/")" 200 "GET / landing page"
is "$(get "$url/healthz" | jq -r '.features.krp')" true "/healthz reports krp present"
is "$(code "$url/nope")" 404 "unknown path 404"
is "$(code -X POST -d x=1 "$url/metrics")" 405 "POST 405"

# ---- real Prometheus scraping it ----
pport=$(freeport)
purl=http://127.0.0.1:$pport
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tk
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn \
	>"$tmp/prometheus.log" 2>&1 &
ppid=$!
pids+=("$ppid")
q() {	# q PROMQL: the value of the first result, or "none"
	curl -s --max-time 5 --get --data-urlencode "query=$1" "$purl/api/v1/query" |
		jq -r 'if .status == "success" and (.data.result | length) > 0 then .data.result[0].value[1] else "none" end' 2>/dev/null
}
waitq() {	# waitq PROMQL VALUE: poll up to 30 s for VALUE
	local i v
	for i in $(seq 150); do
		v=$(q "$1")
		[ "$v" = "$2" ] && { echo "$v"; return 0; }
		sleep 0.2
	done
	echo "$v"
}
is "$(waitq 'up{job="tk"}' 1)" 1 "prometheus scraped the exporter (up == 1, OpenMetrics parsed)"
is "$(q qeexo_memory_total_bytes)" 2062462976 "prometheus: qeexo_memory_total_bytes equals the fixture's"
is "$(q 'qeexo_cpu_seconds_total{cpu="0",mode="busy"}')" 2.904 "prometheus: per-CPU busy seconds"
is "$(q 'qeexo_krp_calls_total{function="vfs_read"}')" 42 "prometheus: krp calls of vfs_read"
is "$(q 'qeexo_krp_duration_seconds_count{function="sys_getpid"}')" 1000 "prometheus: krp histogram count"
# 42 calls: 40 in [1024, 2047] ns, 2 in [2^20, 2^21) ns: the median
# interpolates 21/40 of the way through the 1.023..2.047 us bucket.
hq=$(q 'histogram_quantile(0.5, qeexo_krp_duration_seconds_bucket{function="vfs_read"})')
ok "$(python3 -c 'import sys; v = float(sys.argv[1]); e = 1.023e-6 + 1.024e-6 * 21 / 40; sys.exit(abs(v - e) > 1e-12)' "$hq" 2>/dev/null; echo $?)" \
	"prometheus: histogram_quantile over krp's buckets ($hq s)"
is "$(q 'qeexo_kmp_tracked_blocks')" 17 "prometheus: kmp tracked_blocks"
is "$(q 'qeexo_up{feature="kmp"}')" 1 "prometheus: up{kmp} = 1"
is "$(q 'qeexo_irq_handled_total{irq="24"}')" 5000 "prometheus: irqstat interrupts of line 24 equal the fixture's"
is "$(q 'qeexo_softirqs_total{vector="TIMER"}')" 5000 "prometheus: irqstat TIMER softirqs"
is "$(q 'qeexo_event_producer_messages_total{name="tksample"}')" 2000 "prometheus: messages of the tksample producer"
is "$(q 'qeexo_event_producer_rejects_total{name="odd\"prod\\x",reason="dead"}')" 1 "prometheus: the escaped producer name round-trips"

# events "unloads" (a tkcore without the event API): up{events} = 0.
EVD=$SYS/class/qeexo/events
mv "$EVD" "$tmp/events.saved"
is "$(code "$url/metrics")" 200 "events removed: /metrics still 200"
get "$url/metrics" >"$tmp/me.txt"
is "$(metric "$tmp/me.txt" 'qeexo_up{feature="events"}')" 0 "events removed: up{events} = 0"
is "$(grep -c '^qeexo_event' "$tmp/me.txt")" 0 "events removed: no event metrics"
is "$(metric "$tmp/me.txt" qeexo_exporter_scrape_read_errors)" 0 "events removed: not an error"
is "$(get "$url/healthz" | jq -r .features.events)" false "events removed: /healthz events false"
mv "$tmp/events.saved" "$EVD"
is "$(waitq 'qeexo_up{feature="events"}' 1)" 1 "events back: prometheus sees up{events} = 1"

# A malformed producers line (bad uuid, a count that is not a number) is
# dropped and counted; the good line stays.
cp "$EVD/producers" "$tmp/producers.saved"
{ head -n 1 "$tmp/producers.saved"
  echo 'NOT-A-UUID name=x version=1.0.0 session=0 sessions=0 msgs=1 drops=0'
  echo '11111111-2222-3333-4444-555555555555 name=y version=1.0.0 session=0 sessions=0 msgs=x drops=0'
} >"$EVD/producers"
get "$url/metrics" >"$tmp/mb.txt"
is "$(grep -c '^qeexo_event_producer_messages_total{' "$tmp/mb.txt")" 1 "events: malformed producer lines dropped"
is "$(metric "$tmp/mb.txt" qeexo_exporter_scrape_read_errors)" 1 "events: dropped lines counted as a read error"
ok "$(promtool check metrics <"$tmp/mb.txt" >/dev/null 2>&1; echo $?)" "events: malformed lines: promtool clean"
cp "$tmp/producers.saved" "$EVD/producers"
is "$(q 'qeexo_network_transmit_bytes_total')" 23459789 "prometheus: network transmit bytes equal the fixture's"

# irqstat "unloads": its metrics go stale, up{irqstat} drops to 0.
IQD=$SYS/class/qeexo/irqstat
mv "$IQD" "$tmp/irqstat.saved"
is "$(waitq 'qeexo_up{feature="irqstat"}' 0)" 0 "irqstat removed: up{irqstat} = 0"
is "$(q 'count(qeexo_irq_handled_total)')" none "irqstat removed: its metrics are absent"
mv "$tmp/irqstat.saved" "$IQD"
is "$(waitq 'qeexo_up{feature="irqstat"}' 1)" 1 "irqstat back: up{irqstat} = 1"

# Snapshots without the network keys (an older tkcore): no network metrics.
cp "$PROC/telemetry" "$tmp/telemetry.net"
sed -i 's/ net_[a-z_]*=[0-9]*//g' "$PROC/telemetry"
get "$url/metrics" >"$tmp/mn.txt"
is "$(grep -c '^qeexo_network_' "$tmp/mn.txt")" 0 "no net_* keys: no network metrics"
is "$(metric "$tmp/mn.txt" qeexo_exporter_scrape_read_errors)" 0 "no net_* keys: not an error"
cp "$tmp/telemetry.net" "$PROC/telemetry"

# kmp "unloads": its metrics go stale, up drops to 0, no scrape fails.
rm "$PD/tracked_blocks" "$PD/tracked_bytes" "$PD/memleaks" "$PD/missed" "$PD/track_overflow" "$PD/scan_skipped_pages"
is "$(waitq 'qeexo_up{feature="kmp"}' 0)" 0 "kmp removed: up{kmp} = 0"
is "$(q 'count(qeexo_kmp_tracked_blocks)')" none "kmp removed: its metrics are absent"
is "$(q 'up{job="tk"}')" 1 "kmp removed: scrapes still succeed"
cp tests/fixtures/stack/sys/class/qeexo/profiler/tracked_b* \
	tests/fixtures/stack/sys/class/qeexo/profiler/{memleaks,missed,track_overflow,scan_skipped_pages} "$PD/"
is "$(waitq 'qeexo_up{feature="kmp"}' 1)" 1 "kmp back: up{kmp} = 1"

# Everything gone (tkcore unloaded): 200, only self-metrics, up = 0.
mv "$PROC/telemetry" "$tmp/telemetry.saved"
mv "$SYS/class/qeexo" "$tmp/qeexo.saved"
is "$(code "$url/metrics")" 200 "all modules missing: /metrics still 200"
get "$url/metrics" >"$tmp/m0.txt"
is "$(metric "$tmp/m0.txt" 'qeexo_up{feature="tkcore"}')" 0 "all modules missing: up{tkcore} = 0"
is "$(metric "$tmp/m0.txt" 'qeexo_up{feature="events"}')" 0 "all modules missing: up{events} = 0"
is "$(grep -c '^qeexo_memory' "$tmp/m0.txt")" 0 "all modules missing: no snapshot metrics"
ok "$(promtool check metrics <"$tmp/m0.txt" >/dev/null 2>&1; echo $?)" "all modules missing: promtool clean"
is "$(get "$url/healthz" | jq -r .status)" tkcore-missing "/healthz says tkcore is missing"
is "$(waitq 'qeexo_up{feature="tkcore"}' 0)" 0 "prometheus sees up{tkcore} = 0"
mv "$tmp/telemetry.saved" "$PROC/telemetry"
mv "$tmp/qeexo.saved" "$SYS/class/qeexo"
is "$(waitq 'qeexo_up{feature="tkcore"}' 1)" 1 "modules back: up{tkcore} = 1 again"

# Read errors: a file that cannot be read, an invalid function name, a
# label value that needs escaping.  Counted, dropped, never a 500.
cp "$PD/stats_ext" "$tmp/stats_ext.saved"
mv "$PD/tracked_blocks" "$tmp/tracked_blocks.saved"
mkdir "$PD/tracked_blocks"	# read() gives EISDIR
{ cat "$tmp/stats_ext.saved"
  echo 'bad{name}="x" target=x mech=fprobe count=1 total_ns=1 min_ns=1 max_ns=1 missed=0 p50_ns=1 p90_ns=1 p99_ns=1 hist=1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0'
  echo 'esc_me target=a"b\c mech=fprobe count=1 total_ns=1 min_ns=1 max_ns=1 missed=0 p50_ns=1 p90_ns=1 p99_ns=1 hist=1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0'
  echo 'short_hist target=x mech=fprobe count=1 hist=1,2,3'
} >"$PD/stats_ext"
is "$(code "$url/metrics")" 200 "read errors: /metrics still 200"
get "$url/metrics" >"$tmp/m1.txt"
is "$(metric "$tmp/m1.txt" qeexo_exporter_scrape_read_errors)" 2 "unreadable file and dropped krp lines counted as read errors"
is "$(grep -c 'bad{name}' "$tmp/m1.txt")" 0 "invalid function name dropped"
ok "$(grep -qF 'target="a\"b\\c"' "$tmp/m1.txt"; echo $?)" "label value escaped per the exposition format"
ok "$(promtool check metrics <"$tmp/m1.txt" >/dev/null 2>&1; echo $?)" "read errors: promtool clean"
rmdir "$PD/tracked_blocks"
mv "$tmp/tracked_blocks.saved" "$PD/tracked_blocks"
cp "$tmp/stats_ext.saved" "$PD/stats_ext"

# Modules vanishing and coming back while scrapes run: every scrape 200.
python3 - "$PD" "$PROC" <<'EOF' &
import os, sys, time
pd, proc = sys.argv[1], sys.argv[2]
end = time.time() + 4
while time.time() < end:
    for d, f in ((pd, "stats_ext"), (proc, "telemetry")):
        os.rename(os.path.join(d, f), os.path.join(d, f + ".gone"))
        time.sleep(0.001)
        os.rename(os.path.join(d, f + ".gone"), os.path.join(d, f))
EOF
flap=$!
bad=0
for _ in $(seq 300); do
	c=$(code "$url/metrics")
	[ "$c" = 200 ] || bad=$((bad + 1))
done
wait $flap
is "$bad" 0 "300 scrapes while modules flap: all 200"
is "$(q 'up{job="tk"}')" 1 "prometheus: scrapes succeed throughout"

# ---- abuse ----
cat >"$tmp/abuse.py" <<'EOF'
# N malformed or oversized requests on loopback, 4 workers.
import random, socket, sys, threading, time
port, N = int(sys.argv[1]), int(sys.argv[2])
big = b"A" * 70000
kinds = [
    lambda r: bytes(r.getrandbits(8) for _ in range(r.randint(1, 600))),
    lambda r: b"GET /" + big + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    lambda r: b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n",
    lambda r: b"FOO /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    lambda r: b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n",
    lambda r: b"GET /metrics HTTP/1.1\r\n\r\n",
    lambda r: b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nabc",
    lambda r: b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    lambda r: b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    lambda r: b"GET /metr\x00ics HTTP/1.1\r\nHost: x\r\n\r\n",
    lambda r: b"GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
    lambda r: b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"H: v\r\n" * 5000 + b"\r\n",
    lambda r: b"\r\n" * 1000,
    lambda r: b"GET /%%%%%%/../../etc/passwd?" + b"q=" * 500 + b" HTTP/1.0\r\n\r\n",
]
W = 4
stats = {"sent": 0, "answered": 0, "refused": 0}
lock = threading.Lock()
def worker(w):
    r = random.Random(w)
    for i in range(w, N, W):
        req = kinds[i % len(kinds)](r)
        s = socket.socket()
        s.settimeout(3)
        got = False
        try:
            s.connect(("127.0.0.1", port))
            try:
                s.sendall(req)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            got = s.recv(4096).startswith(b"HTTP/")
        except OSError:
            pass
        finally:
            s.close()
        with lock:
            stats["sent"] += 1
            stats["answered" if got else "refused"] += 1
t0 = time.time()
ts = [threading.Thread(target=worker, args=(w,)) for w in range(W)]
[t.start() for t in ts]
[t.join() for t in ts]
print("sent %(sent)d answered %(answered)d closed-without-answer %(refused)d" % stats,
      "in %.1f s" % (time.time() - t0))
EOF
cat >"$tmp/idle.py" <<'EOF'
# 200 idle connections (half with a partial request), then a timed scrape.
import socket, subprocess, sys, time
port, url = int(sys.argv[1]), sys.argv[2]
socks = []
for i in range(200):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    if i % 2:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
time.sleep(0.5)
t0 = time.time()
out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                      "--max-time", "5", url + "/metrics"], capture_output=True, text=True)
dt = time.time() - t0
print("code %s time %.3f" % (out.stdout, dt))
for s in socks:
    s.close()
EOF
python3 "$tmp/abuse.py" "$port" 10000 >"$tmp/abuse.txt" 2>&1
sed 's/^/# abuse: /' "$tmp/abuse.txt"
ok "$(grep -q '^sent 10000 ' "$tmp/abuse.txt"; echo $?)" "10,000 malformed or oversized requests sent"
ok "$(kill -0 $epid 2>/dev/null; echo $?)" "exporter survives the abuse"
is "$(code "$url/metrics")" 200 "scrape after abuse: 200"

python3 "$tmp/idle.py" "$port" "$url" >"$tmp/idle.txt" 2>&1
sed 's/^/# idle: /' "$tmp/idle.txt"
read -r _ icode _ itime <"$tmp/idle.txt"
is "$icode" 200 "scrape with 200 idle connections open: 200"
ok "$(awk -v t="${itime:-9}" 'BEGIN { exit !(t < 1.0) }'; echo $?)" "scrape with 200 idle connections open answers in < 1 s (${itime}s)"

# ---- memory: nothing leaks ----
# The leak check is LeakSanitizer's, when the exporter exits below: it
# reports every block that nothing points to any more, however small, and
# every request above ran in this process (scrapes, 404, 405, modules
# missing and flapping, read errors, the abuse, the idle connections).
# A leak of 8 bytes a scrape planted in render_metrics() is reported there
# (and fails the exit status and the no-report checks).
#
# Memory still pointed to but growing with each request (a list never
# emptied) LeakSanitizer cannot see; that shows as steady growth of VmRSS
# over a long run of the same requests: two windows of 2,000 requests on
# one keep-alive connection (1,600 scrapes, 200 404s, 200 /healthz).  The
# first brings the heap, ASan's quarantine (4 MiB) and the connection's
# pool to their working size (it grows ~3.9 MB); after it the same
# requests allocate and free the same sizes, and what is left is the
# allocator's own settling (and Prometheus's scrapes in between): the
# second window grew 60 to 224 kB in ten runs at load average 8 to 13 on
# a 2-core host, later windows -68 to +52 kB.  Bound: 1 MiB, fixed, for
# 2,000 requests, 4.5 times the most seen: anything keeping 512 bytes or
# more a request fails, run after run.  Smaller growth is below what RSS
# tells apart in seconds: that is LeakSanitizer's part.
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$epid/status"; }
window() {	# window: 2,000 requests; prints the HTTP codes' counts
	curl -s --max-time 60 -w '%{http_code}\n' -o /dev/null "$url/metrics?[1-1600]" \
		-o /dev/null "$url/nope?[1-200]" -o /dev/null "$url/healthz?[1-200]" |
		sort | uniq -c | awk '{ printf "%s%s x %s", (NR > 1 ? ", " : ""), $1, $2 }'
}
rss0=$(rss)
codes1=$(window)
rss1=$(rss)
codes2=$(window)
rss2=$(rss)
echo "# VmRSS $rss0 -> $rss1 -> $rss2 kB over two windows of 2,000 requests"
is "$codes1/$codes2" "1800 x 200, 200 x 404/1800 x 200, 200 x 404" "two windows of 2,000 requests answered"
ok "$([ $((rss2 - rss1)) -le 1024 ]; echo $?)" "second window: RSS grew $((rss2 - rss1)) kB (bound 1024 kB; first window $((rss1 - rss0)) kB)"

# Environment variables configure it too.
port2=$(freeport)
TK_EXPORTER_LISTEN=127.0.0.1:$port2 TK_SYSFS_ROOT=$SYS TK_PROC_ROOT=$PROC TK_EXPORTER_KMP_SCAN=1 \
	"$EXP" 2>"$tmp/exporter2.log" &
e2=$!
pids+=("$e2")
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port2/healthz" && break; sleep 0.05; done
get "http://127.0.0.1:$port2/metrics" > "$tmp/m2.txt"
is "$(metric "$tmp/m2.txt" 'qeexo_kmp_scan_blocks{status="possible_leak"}')" 2 "env TK_EXPORTER_LISTEN/TK_*_ROOT/TK_EXPORTER_KMP_SCAN configure it"
is "$(metric "$tmp/m2.txt" qeexo_kmp_scan_skipped_pages)" 3 "kmp scan: skipped pages"
kill -TERM $e2
wait $e2
is $? 0 "second exporter exits 0 on SIGTERM"

# Clean shutdown, no sanitizer report.
is "$(q 'up{job="tk"}')" 1 "prometheus: still scraping after the abuse"
kill -TERM $epid
wait $epid
is $? 0 "exporter exits 0 on SIGTERM (LeakSanitizer clean)"
# Left main() and ran the exit handlers to the end, LeakSanitizer's check
# among them (a leak report ends the process before ASan's statistics).
ok "$(grep -q '^AddressSanitizer exit stats:' "$tmp/exporter.log" &&
      grep -q '^AddressSanitizer exit stats:' "$tmp/exporter2.log"; echo $?)" \
	"both exporters finished their exit handlers (LeakSanitizer's check among them)"
if grep -qE 'ERROR: (Address|Leak)Sanitizer|Sanitizer has encountered|runtime error|^SUMMARY: ' \
	"$tmp/exporter.log" "$tmp/exporter2.log"; then
	ok 1 "no sanitizer report"
	grep -hE -A 30 'ERROR: |Sanitizer has encountered|runtime error' "$tmp/exporter.log" \
		"$tmp/exporter2.log" | head -n 40 | sed 's/^/#   /'
else
	ok 0 "no sanitizer report"
fi
finish
