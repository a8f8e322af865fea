#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tk-exporter and tk-logger (host builds, build/host/) against the real
# modules in a booted kernel: values equal /proc/telemetry and sysfs,
# modules unloaded under them, promtool clean; tk-logger --events records
# tksample's events (N in, N logged, in order), EBUSY and ENOENT said
# clearly.  krp and kmp load on every kernel the suite boots: their checks
# fail, never vanish, when they do not.
. "$(dirname "$0")/lib.sh"
# promtool_clean FILE WHAT: `promtool check metrics` has nothing to say
# about FILE.  promtool comes with scripts/deps.sh (Debian's prometheus):
# without it the check fails, saying so.
promtool_clean() {
	local st
	if ! command -v promtool >/dev/null; then
		ok 1 "promtool check metrics$2: clean"
		diag "promtool not found in PATH ($PATH): scripts/deps.sh installs it (package prometheus)"
		return
	fi
	promtool check metrics <"$1" >"$tmp/pt.txt" 2>&1
	st=$?
	[ -s "$tmp/pt.txt" ] && st=1
	ok $st "promtool check metrics$2: clean"
	[ $st -eq 0 ] || sed 's/^/#   /' "$tmp/pt.txt" | head -n 10
}
EXP=$TK_TOP/build/host/tk-exporter
LOGGER=$TK_TOP/build/host/tk-logger
PORT=9839
URL=http://127.0.0.1:$PORT
tmp=$(mktemp -d)
epid=
trap '[ -n "$epid" ] && kill $epid 2>/dev/null; rm -rf "$tmp"' EXIT

unload_all
install_modules
ip link set lo up 2>/dev/null

metric() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
scrape() { curl -s --max-time 5 -o "$1" -w '%{http_code}' "$URL/metrics"; }

check "tk-exporter and tk-logger built" -- test -x "$EXP" -a -x "$LOGGER"
check "modprobe tkcore log_interval=1" -- modprobe tkcore log_interval=1
check "modprobe leaksim kmalloc_dropped=2" -- modprobe leaksim kmalloc_dropped=2
# kmp and krp load on every kernel the suite boots (6.1, 6.12, debug):
# each one that does not is a failure, and its checks below fail with it.
have_kmp=0
out=$(modprobe kmp 2>&1) && have_kmp=1
ok $((1 - have_kmp)) "modprobe kmp"
[ $have_kmp = 1 ] || diag "modprobe kmp: ${out:-failed}; dmesg: $(dmesg | grep kmp | tail -n 3 | tr '\n' ' ')"
have_krp=0
out=$(modprobe krp funcs=sys_getpid 2>&1) && have_krp=1
ok $((1 - have_krp)) "modprobe krp funcs=sys_getpid"
[ $have_krp = 1 ] || diag "modprobe krp: ${out:-failed}; dmesg: $(dmesg | grep krp | tail -n 3 | tr '\n' ' ')"
check "modprobe irqstat" -- modprobe irqstat

"$EXP" --listen 127.0.0.1:$PORT 2>"$tmp/exporter.log" &
epid=$!
st=1
for _ in $(seq 100); do curl -sf -o /dev/null "$URL/healthz" && { st=0; break; }; sleep 0.05; done
ok $st "tk-exporter listens on 127.0.0.1:$PORT"

# Freeze the ring: sampling off, then one snapshot, so the newest line is fixed.
echo 0 >$TEL/enable
"$TKWRITE" $TEL/snapshot 1 >/dev/null
s=$(last_snap)
is "$(scrape "$tmp/m.txt")" 200 "GET /metrics: 200"
is "$(metric "$tmp/m.txt" qeexo_snapshots_total)" "$(field "$s" seq)" "qeexo_snapshots_total = seq of the newest snapshot"
is "$(metric "$tmp/m.txt" qeexo_memory_total_bytes)" $(( $(field "$s" mem_total_kb) * 1024 )) "qeexo_memory_total_bytes = mem_total_kb x 1024"
is "$(metric "$tmp/m.txt" qeexo_interrupts_total)" "$(field "$s" irqs)" "qeexo_interrupts_total = irqs"
is "$(metric "$tmp/m.txt" qeexo_processes)" "$(field "$s" procs)" "qeexo_processes = procs"
is "$(metric "$tmp/m.txt" qeexo_load1)" "$(field "$s" load1)" "qeexo_load1 = load1"
ms=$(field "$s" cpu0_busy_ms)
is "$(metric "$tmp/m.txt" 'qeexo_cpu_seconds_total{cpu="0",mode="busy"}')" "$(awk -v m="$ms" 'BEGIN { s = sprintf("%d.%03d", m / 1000, m % 1000); sub(/\.?0+$/, "", s); print s }')" "cpu0 busy seconds = cpu0_busy_ms / 1000"
is "$(metric "$tmp/m.txt" qeexo_feature_leaksim_kmalloc_dropped)" "$(cat $QX/leaksim/kmalloc_dropped)" "leaksim field = leaksim/kmalloc_dropped (2)"
is "$(metric "$tmp/m.txt" qeexo_tkcore_ring_size)" "$(cat $TEL/ring_size)" "ring size = telemetry/ring_size"
is "$(metric "$tmp/m.txt" qeexo_tkcore_enabled)" 0 "enabled = 0 after writing enable=0"
is "$(metric "$tmp/m.txt" 'qeexo_up{feature="tkcore"}')" 1 "up{tkcore} = 1"
is "$(metric "$tmp/m.txt" 'qeexo_up{feature="leaksim"}')" 1 "up{leaksim} = 1"
is "$(metric "$tmp/m.txt" qeexo_exporter_scrape_read_errors)" 0 "no read errors"
promtool_clean "$tmp/m.txt" ""
if [ $have_kmp = 1 ]; then
	b=$(cat $QX/profiler/tracked_blocks)
	scrape "$tmp/k.txt" >/dev/null
	a=$(cat $QX/profiler/tracked_blocks)
	v=$(metric "$tmp/k.txt" qeexo_kmp_tracked_blocks)
	ok "$([ -n "$v" ] && [ "$v" -ge $((b < a ? b : a)) ] && [ "$v" -le $((b > a ? b : a)) ] && echo 0 || echo 1)" "kmp tracked_blocks ($v) between reads before ($b) and after ($a)"
	is "$(metric "$tmp/k.txt" 'qeexo_up{feature="kmp"}')" 1 "up{kmp} = 1"
else
	ok 1 "kmp tracked_blocks and up{kmp} in the metrics: kmp did not load"
fi
if [ $have_krp = 1 ]; then
	check "krp has profiler/stats_ext" -- test -e $QX/profiler/stats_ext
	b=$(awk '$1 == "sys_getpid" { sub("count=", "", $4); print $4 }' $QX/profiler/stats_ext)
	scrape "$tmp/r.txt" >/dev/null
	a=$(awk '$1 == "sys_getpid" { sub("count=", "", $4); print $4 }' $QX/profiler/stats_ext)
	v=$(metric "$tmp/r.txt" 'qeexo_krp_calls_total{function="sys_getpid"}')
	ok "$([ -n "$v" ] && [ "$v" -ge "${b:-0}" ] && [ "$v" -le "${a:-0}" ] && echo 0 || echo 1)" "krp calls of sys_getpid ($v) between stats_ext before ($b) and after ($a)"
	is "$(metric "$tmp/r.txt" 'qeexo_up{feature="krp"}')" 1 "up{krp} = 1"
	is "$(metric "$tmp/r.txt" qeexo_exporter_scrape_read_errors)" 0 "krp's stats_ext parses without errors"
else
	ok 1 "krp calls of sys_getpid and up{krp} in the metrics: krp did not load"
fi
# irqstat: the busiest line's count lies between two reads of irqs.
irqcount() { awk -v k="irq=$1" '$1 == k { sub("count=", "", $3); print $3 }' $QX/irqstat/irqs; }
line=$(awk '{ c = $3; sub("count=", "", c); if (c + 0 > m) { m = c + 0; l = $1 } } END { sub("irq=", "", l); print l }' $QX/irqstat/irqs)
name=$(awk -v k="irq=$line" '$1 == k { sub("name=", "", $2); print $2 }' $QX/irqstat/irqs)
b=$(irqcount "$line")
scrape "$tmp/q.txt" >/dev/null
a=$(irqcount "$line")
v=$(metric "$tmp/q.txt" "qeexo_irq_handled_total{irq=\"$line\",name=\"$name\"}")
ok "$([ -n "$v" ] && [ "$v" -ge "${b:-0}" ] && [ "$v" -le "${a:-0}" ] && echo 0 || echo 1)" "irqstat: line $line ($name) interrupts ($v) between irqs before ($b) and after ($a)"
is "$(grep -c '^qeexo_softirqs_total{' "$tmp/q.txt")" 10 "irqstat: ten softirq vectors"
is "$(metric "$tmp/q.txt" 'qeexo_up{feature="irqstat"}')" 1 "up{irqstat} = 1"
is "$(metric "$tmp/q.txt" qeexo_exporter_scrape_read_errors)" 0 "irqstat's files parse without errors"
promtool_clean "$tmp/q.txt" " with irqstat"

# events: the sample producer's counters as the exporter publishes them.
UUID=5a3b1e0c-7d2f-4c8e-9b61-0e4f2a7c9d13
CTL=$QX/tksample/control
check "load tksample" -- load_tksample
evline() { grep "^$UUID " $QX/events/producers; }
PL="uuid=\"$UUID\",name=\"$(field "$(evline)" name)\",version=\"$(field "$(evline)" version)\""
scrape "$tmp/e0.txt" >/dev/null
is "$(metric "$tmp/e0.txt" 'qeexo_up{feature="events"}')" 1 "up{events} = 1"
is "$(metric "$tmp/e0.txt" "qeexo_event_producer_messages_total{$PL}")" 0 "events: tksample has sent no message yet"
pay0=$(metric "$tmp/e0.txt" "qeexo_event_producer_rejects_total{$PL,reason=\"payload\"}")
guuid0=$(metric "$tmp/e0.txt" 'qeexo_events_rejects_total{reason="uuid"}')
N=1500
is "$("$TKWRITE" $CTL "emit $N")" "ok $(printf 'emit %s' $N | wc -c)" "tksample: emit $N"
scrape "$tmp/e1.txt" >/dev/null
is "$(metric "$tmp/e1.txt" "qeexo_event_producer_messages_total{$PL}")" $N "events: messages counter of tksample = $N"
is "$(metric "$tmp/e1.txt" "qeexo_event_producer_messages_total{$PL}")" "$(field "$(evline)" msgs)" "events: messages counter = producers msgs"
is "$(metric "$tmp/e1.txt" "qeexo_event_producer_sessions_total{$PL}")" 1 "events: one session begun"
is "$(metric "$tmp/e1.txt" "qeexo_event_producer_dropped_records_total{$PL}")" 0 "events: no drops without a reader"
is "$(metric "$tmp/e1.txt" qeexo_events_readers)" 0 "events: no reader"
is "$(metric "$tmp/e1.txt" qeexo_events_buffer_bytes)" $(( $(cat $QX/events/buffer_kb) * 1024 )) "events: buffer bytes = buffer_kb x 1024"
# A payload is parsed on its way to the reader: open it meanwhile.
cat /dev/qeexo_events >/dev/null &
rd=$!
for _ in $(seq 200); do [ "$(cat $QX/events/readers)" = 1 ] && break; sleep 0.05; done
is "$("$TKWRITE" $CTL "emit_bad json")" EBADMSG "tksample: a payload that is not JSON rejected (reader open)"
kill $rd; wait $rd 2>/dev/null
is "$("$TKWRITE" $CTL "emit_bad uuid")" EINVAL "tksample: a malformed uuid rejected"
scrape "$tmp/e2.txt" >/dev/null
is "$(metric "$tmp/e2.txt" "qeexo_event_producer_rejects_total{$PL,reason=\"payload\"}")" $(( ${pay0:-0} + 1 )) "events: rejects{reason=payload} of tksample moved by 1 (from ${pay0:-none})"
is "$(metric "$tmp/e2.txt" 'qeexo_events_rejects_total{reason="uuid"}')" $(( ${guuid0:-0} + 1 )) "events: global rejects{reason=uuid} moved by 1 (from ${guuid0:-none})"
is "$(metric "$tmp/e2.txt" "qeexo_event_producer_messages_total{$PL}")" $N "events: rejected calls are not messages"
is "$(metric "$tmp/e2.txt" qeexo_exporter_scrape_read_errors)" 0 "events' files parse without errors"
promtool_clean "$tmp/e2.txt" " with events"

# tk-logger --events: every event of the device as a line of its own,
# between the snapshot lines.
"$LOGGER" --events --output "$tmp/ev.json" --interval-ms 300 2>"$tmp/ev.err" &
lpid=$!
st=1
for _ in $(seq 200); do [ "$(cat $QX/events/readers)" = 1 ] && { st=0; break; }; sleep 0.05; done
ok $st "tk-logger --events opened /dev/qeexo_events (events/readers = 1)"
"$LOGGER" --events --output "$tmp/ev2.json" --count 1 2>"$tmp/ev2.err"
is $? 1 "a second tk-logger --events: exit 1"
ok "$(grep -q 'qeexo_events: Device or resource busy (another process reads the events' "$tmp/ev2.err"; echo $?)" \
	"and says the device is busy ($(head -c 100 "$tmp/ev2.err"))"
check "and leaves no output file" -- test ! -e "$tmp/ev2.json"
NE=500
is "$("$TKWRITE" $CTL "emit $NE")" "ok $(printf 'emit %s' $NE | wc -c)" "tksample: emit $NE while tk-logger --events runs"
for _ in $(seq 600); do grep -q '"type":"session_end"' "$tmp/ev.json" && break; sleep 0.1; done
# One more snapshot line after the events (the logger writes one each 300 ms).
kinds() { jq -r 'if .kind == "event" then "E" else "S" end' "$tmp/ev.json" 2>/dev/null | uniq | tr -d '\n'; }
for _ in $(seq 600); do kinds | grep -q 'E.*S$' && break; sleep 0.1; done
kill -TERM $lpid
wait $lpid
is $? 0 "tk-logger --events exits 0 on SIGTERM"
jq -c 'select(.kind == "event") | .event' "$tmp/ev.json" >"$tmp/ev.jsonl"
out=$(python3 "$TK_TOP/tests/helpers/tkevents.py" check "$tmp/ev.jsonl" $UUID $NE)
ok $? "logger: exactly $NE msg events of tksample, seq 1..$NE in order, one session, no drops ($out)"
is "$(jq -r 'select(.kind == "event" and .event.uuid == "'$UUID'" and .event.type == "msg") | .logger.line' "$tmp/ev.json" |
	awk 'NR > 1 && $1 <= p { bad++ } { p = $1 } END { print bad + 0 }')" 0 "logger: event lines in logger.line order"
is "$(jq -r 'select(.kind == null) | .event_reader | "\(.open) \(.malformed) \(.dropped) \(.lines > 0)"' "$tmp/ev.json" | tail -n 1)" \
	"true 0 0 true" "logger: event_reader open, nothing malformed or dropped"
ok "$(jq -r 'if .kind == "event" then "E" else "S" end' "$tmp/ev.json" | uniq | tr -d '\n' | grep -q '^S.*E.*S$'; echo $?)" \
	"logger: snapshot lines before and after the events ($(jq -r 'if .kind == "event" then "E" else "S" end' "$tmp/ev.json" | uniq -c | tr -s ' \n' ' '))"
is "$(cat $QX/events/readers)" 0 "the device is free once the logger exited"

rmmod tksample
scrape "$tmp/e3.txt" >/dev/null
is "$(grep -c "^qeexo_event_producer_messages_total{uuid=\"$UUID\"" "$tmp/e3.txt")" 0 "events: tksample unloaded: its series are gone"

# The logger sees the same snapshot.
"$LOGGER" --output "$tmp/log.json" --count 2 --interval-ms 200 2>/dev/null
is "$(wc -l <"$tmp/log.json" | tr -d ' ')" 2 "tk-logger wrote 2 lines"
l=$(tail -n 1 "$tmp/log.json")
is "$(jq -r .snapshot.seq <<<"$l")" "$(field "$s" seq)" "logger: snapshot.seq = newest seq"
is "$(jq -r .snapshot.mem_free_kb <<<"$l")" "$(field "$s" mem_free_kb)" "logger: snapshot.mem_free_kb = mem_free_kb"
is "$(jq -r .modules.leaksim <<<"$l")" true "logger: leaksim present"
is "$(jq -r "[.irqstat.lines[] | select(.irq == $line)] | length" <<<"$l")" 1 "logger: irqstat has line $line"
is "$(jq -r '.irqstat.softirqs | length' <<<"$l")" 10 "logger: irqstat softirqs by vector"

# Unload and reload under them while scrapes and the logger run.
"$LOGGER" --output "$tmp/flap.json" --interval-ms 50 2>/dev/null &
lpid=$!
bad=0
for _ in 1 2 3 4 5; do
	rmmod leaksim
	c=$(scrape "$tmp/f.txt"); [ "$c" = 200 ] || bad=$((bad + 1))
	modprobe leaksim
	c=$(scrape "$tmp/f.txt"); [ "$c" = 200 ] || bad=$((bad + 1))
done
rmmod leaksim
rmmod irqstat
[ $have_krp = 1 ] && rmmod krp
[ $have_kmp = 1 ] && rmmod kmp
rmmod tkcore
sleep 0.2
is "$(scrape "$tmp/g.txt")" 200 "all modules unloaded: /metrics still 200"
is "$(metric "$tmp/g.txt" 'qeexo_up{feature="tkcore"}')" 0 "all modules unloaded: up{tkcore} = 0"
is "$(grep -c '^qeexo_memory' "$tmp/g.txt")" 0 "all modules unloaded: no snapshot metrics"
is "$(metric "$tmp/g.txt" 'qeexo_up{feature="events"}')" 0 "all modules unloaded: up{events} = 0"
is "$bad" 0 "10 scrapes while leaksim unloads and reloads: all 200"
"$LOGGER" --events --output "$tmp/noev.json" --count 1 2>"$tmp/noev.err"
is $? 1 "tk-logger --events with tkcore unloaded: exit 1"
ok "$(grep -q 'qeexo_events: No such file or directory (tkcore is not loaded' "$tmp/noev.err"; echo $?)" \
	"and says tkcore is not loaded"
modprobe tkcore log_interval=1
# until the logger (50 ms interval) has logged tkcore present again
for _ in $(seq 600); do tail -n 1 "$tmp/flap.json" | jq -e .modules.tkcore >/dev/null 2>&1 && break; sleep 0.1; done
kill -TERM $lpid
wait $lpid
is $? 0 "logger exits 0 on SIGTERM after the modules went and came back"
seqs=$(jq -r 'if .modules.tkcore then "P" else "A" end' "$tmp/flap.json" | uniq | tr -d '\n')
ok "$(case $seqs in *PAP*|PAP*) echo 0 ;; *) echo 1 ;; esac)" "logger logged tkcore present, absent, present ($seqs)"
kill -TERM $epid
wait $epid
is $? 0 "tk-exporter exits 0 on SIGTERM"
epid=
unload_all
done_testing
