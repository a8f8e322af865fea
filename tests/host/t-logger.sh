#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tk-logger on the host against a copy of tests/fixtures/stack/: JSON lines
# with the fixture's values, following log_interval, line atomicity under
# kill -9 (of the logger, of its process group, through a pipe; its writer
# child exits with it), SIGHUP reopen after mv (logrotate), SIGTERM clean
# exit, modules vanishing and coming back; --events with a regular file and
# a FIFO as the event device (order, exactly once, bad lines counted and
# skipped, interleaving with snapshots, SIGTERM drain, kill -9 with events
# flowing, a missing device).  Runs the ASan+UBSan build.  TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
LOG=${TK_LOGGER:-$top/build/host/asan/tk-logger}

n=0
nfail=0
ok() {
	local st=$1; shift
	n=$((n + 1))
	if [ "$st" -eq 0 ]; then echo "ok $n - $*"; else echo "not ok $n - $*"; nfail=$((nfail + 1)); fi
}
is() { if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got: '$1' expected: '$2'"; fi; }
finish() { echo "1..$n"; exit $((nfail > 0)); }

for tool in jq python3; do
	command -v $tool >/dev/null || { ok 1 "$tool installed (scripts/deps.sh)"; finish; }
done
[ -x "$LOG" ] || { ok 1 "tk-logger built ($LOG)"; finish; }

tmp=$(mktemp -d /tmp/tk-logger-test.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
export ASAN_OPTIONS=detect_leaks=1

cp -r tests/fixtures/stack "$tmp/root"
SYS=$tmp/root/sys
PROC=$tmp/root/proc
roots=(--sysfs-root "$SYS" --proc-root "$PROC")

# all_json FILE: every line is one JSON object (python's parser, strict)
all_json() {
	python3 - "$1" <<'EOF'
import json, sys
data = open(sys.argv[1], "rb").read()
if data and not data.endswith(b"\n"):
    print("# no newline at the end"); sys.exit(1)
for i, l in enumerate(data.split(b"\n")[:-1]):
    try:
        o = json.loads(l)
        assert isinstance(o, dict) and "modules" in o
    except Exception as e:
        print("# line %d: %s: %r" % (i + 1, e, l[:80])); sys.exit(1)
EOF
}
lines() { wc -l <"$1" | tr -d ' '; }

# ---- content ----
"$LOG" "${roots[@]}" --output - --count 1 --kmp-scan >"$tmp/one.json" 2>"$tmp/one.err"
is $? 0 "--output - --count 1 exits 0"
is "$(lines "$tmp/one.json")" 1 "one line on stdout"
o=$(cat "$tmp/one.json")
is "$(jq -r .snapshot.mem_total_kb <<<"$o")" 2014124 "snapshot fields of the newest line (mem_total_kb)"
is "$(jq -r .snapshot.seq <<<"$o")" 3 "newest snapshot (seq 3)"
is "$(jq -r .snapshot.load1 <<<"$o")" 0.31 "load average as a number"
is "$(jq -r .snapshot.leaksim_kmalloc_dropped <<<"$o")" 3 "feature fields of the snapshot"
is "$(jq -c .modules <<<"$o")" '{"tkcore":true,"krp":true,"kmp":true,"leaksim":true,"irqstat":true}' "module presence"
is "$(jq -r '.irqstat.lines[] | select(.irq == 4) | "\(.name) \(.count) \(.calls) \(.total_ns) \(.max_ns) \(.cpu | join(","))"' <<<"$o")" \
	"ttyS0 1234 2468 6170000 41000 1000,234" "irqstat: a line with its per-CPU counts"
is "$(jq -r '.irqstat.lines | length' <<<"$o")" 4 "irqstat: every line"
is "$(jq -r '.irqstat.vectors[] | select(.row == "LOC") | "\(.name) \(.timed) \(.count) \(.calls) \(.total_ns) \(.max_ns) \(.cpu | join(","))"' <<<"$o")" \
	"local_timer true 2710 2710 81302113 402113 1402,1308" "irqstat: an architecture row with its per-CPU counts"
is "$(jq -r '([.irqstat.vectors[].row] | join(" ")), .irqstat.nest_overflow' <<<"$o" | tr '\n' ' ')" "NMI LOC CAL TLB ERR 2 " "irqstat: every row, nest_overflow"
is "$(jq -r '.irqstat.lines[] | select(.irq == 25) | .name' <<<"$o")" 'odd"name\x' "irqstat: names kept verbatim"
is "$(jq -r '.irqstat.softirqs.NET_RX, (.irqstat.softirqs | length)' <<<"$o" | tr '\n' ' ')" "340 10 " "irqstat: softirqs by vector"
is "$(jq -r '"\(.irqstat.seed_irq) \(.irqstat.seed_count) \(.irqstat.untracked)"' <<<"$o")" "4 1234 0" "irqstat: seed line and untracked"
is "$(jq -r '.snapshot | "\(.net_rx_bytes) \(.net_rx_packets) \(.net_tx_bytes) \(.net_tx_packets)"' <<<"$o")" \
	"123459789 98795 23459789 45708" "network totals of the snapshot"
is "$(jq -r '.krp.functions[0] | "\(.name) \(.count) \(.hist[7])"' <<<"$o")" "sys_getpid 1000 600" "krp stats with histogram"
is "$(jq -r '.krp.functions[0] | "\(.p999_ns) \(.hist_q | length) \(.hist_q[4]) \(.hist_q[5]) \(.hist_q | add)"' <<<"$o")" \
	"9000 121 10 300 1000" "krp p999 and the fixed-bound histogram (hist_q) from hist2"
is "$(jq -c '.krp.functions[1] | [has("p999_ns"), has("hist_q"), .hist[10]]' <<<"$o")" "[false,false,40]" \
	"a log2-only line: no p999, no hist_q"
is "$(jq -r .kmp.tracked_bytes <<<"$o")" 69632 "kmp counters"
is "$(jq -r .kmp.scan_possible_leak <<<"$o")" 2 "kmp scan with --kmp-scan"
is "$(jq -r .kmp.scan_skipped_pages <<<"$o")" 3 "kmp scan: skipped pages"
is "$(jq -r .tkcore.ring_size <<<"$o")" 10 "tkcore header"
is "$(jq -r 'has("event_reader")' <<<"$o")" false "no event_reader section without --events"
(cd "$tmp" && "$LOG" "${roots[@]}" --count 1 2>/dev/null)
is "$(lines "$tmp/telemetry_log.json" 2>/dev/null)" 1 "default output telemetry_log.json"
"$LOG" --bogus >/dev/null 2>&1
is $? 2 "unknown option: exit 2"

# ---- follows log_interval; SIGTERM ends it cleanly ----
echo 1 >"$SYS/class/qeexo/telemetry/log_interval"
"$LOG" "${roots[@]}" --output "$tmp/iv.json" 2>"$tmp/iv.err" &
lp=$!
pids+=("$lp")
sleep 2.5
kill -TERM $lp
wait $lp
is $? 0 "SIGTERM: exit 0"
c=$(lines "$tmp/iv.json")
ok "$([ "$c" -ge 2 ] && [ "$c" -le 4 ] && echo 0 || echo 1)" "log_interval=1: $c lines in 2.5 s (one at start, then one a second)"
ok "$(all_json "$tmp/iv.json" >/dev/null; echo $?)" "SIGTERM: every line whole JSON"

# ---- kill -9: never a torn line ----
# 80 profiled functions make each line ~29 kB (eight pages): a write(2) that
# long is cut short by a SIGKILL arriving during it (generic_perform_write),
# which is why a writer child does the writing (tk-logger.c).  The logger
# writes back to back and is killed at random moments; after each kill its
# writer must finish and exit by itself, leaving only whole lines.
python3 - "$SYS/class/qeexo/profiler/stats_ext" <<'EOF'
import sys
with open(sys.argv[1], "a") as f:
    for i in range(80):
        f.write("fn_%d target=sym_%d mech=fprobe count=%d total_ns=%d min_ns=1 max_ns=9 missed=0 "
                "p50_ns=1 p90_ns=2 p99_ns=3 hist=%s\n" % (i, i, i * 7, i * 99,
                ",".join(str(i * j) for j in range(40))))
EOF
# alive PID: the process exists and is not a zombie (an orphan's zombie is
# init's to reap, and not every container's PID 1 does)
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
# gone PID: wait up to 2 s for it to end
gone() { local t; for t in $(seq 40); do alive "$1" || return 0; sleep 0.05; done; return 1; }
# writer_of PID: the writer child of logger PID
writer_of() { local t w; for t in $(seq 40); do w=$(pgrep -P "$1") && { echo "$w"; return; }; sleep 0.05; done; }
endnl() { [ ! -s "$1" ] || [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" = 0a ]; }

kills=40 torn=0 lingered=0 nowriter=0 grp=0
for i in $(seq $kills); do
	# every other run in a session (and process group) of its own, killed
	# as a group: the writer has a group of its own and is not hit
	if [ $((i % 2)) -eq 0 ]; then
		setsid "$LOG" "${roots[@]}" --output "$tmp/k9.json" --interval-ms 0 2>>"$tmp/k9.err" &
	else
		"$LOG" "${roots[@]}" --output "$tmp/k9.json" --interval-ms 0 2>>"$tmp/k9.err" &
	fi
	lp=$!
	wp=$(writer_of $lp)
	[ -n "$wp" ] || nowriter=$((nowriter + 1))
	sleep "0.$((RANDOM % 3 + 1))$((RANDOM % 10))"
	if [ $((i % 2)) -eq 0 ] && [ "$(ps -o pgid= -p $lp | tr -d ' ')" = "$lp" ]; then
		kill -9 -- -$lp
		grp=$((grp + 1))
	else
		kill -9 $lp
	fi
	wait $lp 2>/dev/null
	if [ -n "$wp" ] && ! gone "$wp"; then
		lingered=$((lingered + 1))
		kill -9 "$wp" 2>/dev/null
	fi
	endnl "$tmp/k9.json" || torn=$((torn + 1))
done
c=$(lines "$tmp/k9.json")
echo "# kill -9 x$kills ($grp of the process group): $c lines, $(stat -c %s "$tmp/k9.json") bytes," \
	"$(grep -c 'ended mid-' "$tmp/k9.err") half-sent lines dropped by the writer, $torn torn tails"
ok "$([ "$c" -gt $kills ] && echo 0 || echo 1)" "kill -9 x$kills: logger wrote ($c lines)"
is "$nowriter" 0 "kill -9: every logger had its writer child"
is "$grp" $((kills / 2)) "kill -9: half the kills hit the whole process group"
is "$lingered" 0 "kill -9: the writer ends within 2 s of its logger (no orphan)"
is "$torn" 0 "kill -9: the file ends in a newline after every kill"
"$LOG" "${roots[@]}" --output "$tmp/k9.json" --count 1 2>>"$tmp/k9.err"
is "$(grep -c 'torn line' "$tmp/k9.err")" 0 "kill -9: no torn tail ever needed repair"
ok "$(all_json "$tmp/k9.json"; echo $?)" "kill -9: every line parses as JSON, the file ends in a newline"

# the same through a pipe (--output -): the reader gets whole lines only
mkfifo "$tmp/fifo"
ptorn=0
for i in $(seq 6); do
	cat "$tmp/fifo" >"$tmp/pipe$i.json" &
	cp=$!
	"$LOG" "${roots[@]}" --output - --interval-ms 0 >"$tmp/fifo" 2>>"$tmp/pipe.err" &
	lp=$!
	# a busy host may take a while for the first line: kill after it
	for t in $(seq 200); do [ -s "$tmp/pipe$i.json" ] && break; sleep 0.05; done
	sleep "0.$((RANDOM % 3 + 1))$((RANDOM % 10))"
	kill -9 $lp
	wait $lp 2>/dev/null
	wait $cp	# EOF once the writer has exited
	if ! { [ -s "$tmp/pipe$i.json" ] && all_json "$tmp/pipe$i.json"; }; then
		ptorn=$((ptorn + 1))
		echo "# pipe run $i: $(stat -c %s "$tmp/pipe$i.json") bytes"
	fi
done
is "$ptorn" 0 "kill -9 with --output - to a pipe: 6 runs, only whole lines reach the reader"
timeout 20 "$LOG" "${roots[@]}" --output - --interval-ms 0 2>"$tmp/head.err" | head -c 100 >/dev/null
is "${PIPESTATUS[0]}" 1 "--output - to a reader that goes away: exit 1 (EPIPE), no hang"

# SIGTERM while writing large lines back to back: exit 0, last line whole,
# writer reaped by the logger (not even a zombie left)
tbad=0
for i in $(seq 5); do
	"$LOG" "${roots[@]}" --output "$tmp/term.json" --interval-ms 0 2>>"$tmp/term.err" &
	lp=$!
	wp=$(writer_of $lp)
	sleep "0.$((RANDOM % 3 + 1))$((RANDOM % 10))"
	kill -TERM $lp
	wait $lp
	st=$?
	{ [ "$st" -eq 0 ] && [ -n "$wp" ] && ! ps -p "$wp" >/dev/null && endnl "$tmp/term.json"; } ||
		{ tbad=$((tbad + 1)); echo "# SIGTERM run $i: exit $st, writer '$wp'"; }
done
is "$tbad" 0 "SIGTERM x5 mid-stream: exit 0, writer reaped, file ends in a newline"
ok "$(all_json "$tmp/term.json"; echo $?)" "SIGTERM x5: every line parses ($(lines "$tmp/term.json") lines)"

# the writer killed alone: the logger notices and exits 1 (systemd restarts it)
"$LOG" "${roots[@]}" --output "$tmp/wk.json" --interval-ms 20 2>"$tmp/wk.err" &
lp=$!
wp=$(writer_of $lp)
sleep 0.3
[ -n "$wp" ] && kill -9 "$wp"
timeout 5 tail --pid=$lp -f /dev/null
kill -9 $lp 2>/dev/null	# still running: fails below
wait $lp
is $? 1 "writer killed: the logger exits 1 (within 5 s)"
ok "$(grep -q 'writer killed by signal 9' "$tmp/wk.err"; echo $?)" "writer killed: said on stderr"
"$LOG" "${roots[@]}" --output "$tmp/wk.json" --count 1 2>>"$tmp/wk.err"
ok "$(all_json "$tmp/wk.json"; echo $?)" "writer killed: the next start leaves only whole lines"

# a torn tail left by something else is cut back at start
printf '{"modules":{}}\n{"torn' >"$tmp/torn.json"
"$LOG" "${roots[@]}" --output "$tmp/torn.json" --count 1 2>"$tmp/torn.err"
ok "$(all_json "$tmp/torn.json" >/dev/null; echo $?)" "a torn tail from before is cut at start"
is "$(lines "$tmp/torn.json")" 2 "and the new line follows the last whole one"

# ---- SIGHUP reopens (logrotate: mv, then HUP) ----
"$LOG" "${roots[@]}" --output "$tmp/rot.json" --interval-ms 100 2>"$tmp/rot.err" &
lp=$!
pids+=("$lp")
sleep 0.6
mv "$tmp/rot.json" "$tmp/rot.json.1"
kill -HUP $lp
sleep 0.3
s1=$(stat -c %s "$tmp/rot.json.1")
sleep 0.5
s2=$(stat -c %s "$tmp/rot.json.1")
ok "$([ -s "$tmp/rot.json" ] && echo 0 || echo 1)" "SIGHUP: a new file at the old name ($(lines "$tmp/rot.json" 2>/dev/null) lines)"
is "$s2" "$s1" "SIGHUP: the rotated file is no longer written"
ok "$(kill -0 $lp 2>/dev/null; echo $?)" "SIGHUP: logger keeps running"

# ---- modules unloaded and reloaded under it ----
sleep 0.3
# sysfs first, /proc last and back first: a line logged between the two
# moves never says tkcore is absent while the feature files are there.
mv "$SYS/class/qeexo" "$tmp/qeexo.saved"
mv "$PROC/telemetry" "$tmp/telemetry.saved"
sleep 0.5
mv "$tmp/telemetry.saved" "$PROC/telemetry"
mv "$tmp/qeexo.saved" "$SYS/class/qeexo"
sleep 0.5
kill -TERM $lp
wait $lp
is $? 0 "SIGTERM after rotation and module flaps: exit 0"
ok "$(all_json "$tmp/rot.json"; echo $?)" "every line whole JSON across the flaps"
seqs=$(jq -r 'if .modules.tkcore then "P" else "A" end' "$tmp/rot.json" | uniq | tr -d '\n')
ok "$(case $seqs in *PAP*) echo 0 ;; *) echo 1 ;; esac)" "present, absent, present again in order ($seqs)"
is "$(jq -c 'select(.modules.tkcore == false) | [.snapshot, .krp, .kmp, .irqstat]' "$tmp/rot.json" | sort -u)" "[null,null,null,null]" "absence logged as null sections"
ok "$(grep -q 'tkcore absent' "$tmp/rot.err" && grep -q 'tkcore present' "$tmp/rot.err"; echo $?)" "absence and return reported on stderr"

# ---- --events: the event device's lines, one logged line each ----
# every_line FILE: each line is a snapshot or an event line whose "event" is
# an object with a "type"; logger.line counts 1, 2, 3, ... across both kinds
every_line() {
	python3 - "$1" <<'EOF'
import json, sys
data = open(sys.argv[1], "rb").read()
if not data.endswith(b"\n"):
    print("# no newline at the end"); sys.exit(1)
for i, l in enumerate(data.split(b"\n")[:-1]):
    try:
        o = json.loads(l)
        assert isinstance(o, dict)
        if o.get("kind") == "event":
            assert isinstance(o["event"], dict) and isinstance(o["event"]["type"], str)
            assert isinstance(o["time_ns"], int) and o["time"].endswith("Z")
        else:
            assert "modules" in o and "kind" not in o
        assert o["logger"]["line"] == i + 1, "logger.line %r" % o["logger"]["line"]
    except Exception as e:
        print("# line %d: %s: %r" % (i + 1, e, l[:80])); sys.exit(1)
EOF
}
# evseqs FILE [UUID]: data.seq of the logged msg events, space-separated
evseqs() { jq -r --arg u "${2:-}" 'select(.kind == "event" and .event.type == "msg" and ($u == "" or .event.uuid == $u)) | .event.data.seq' "$1" | tr '\n' ' '; }
evmsg() { printf '{"type":"msg","ts":%d,"cpu":0,"uuid":"%s","name":"t","session":1,"event":"e","data":{"seq":%d}}\n' "$2" "$1" "$2"; }

mkdir -p "$tmp/root/dev"
EVDEV=$tmp/root/dev/qeexo_events
{
	evmsg u1 1
	echo 'not json'
	evmsg u1 2
	echo '[1,2]'
	echo '{"no_type":1}'
	printf '{"type":"msg","uuid":"u1","data":{"seq":3,"big":18446744073709551615,"s":"caf\xc3\xa9"}}\r\n'
	echo '{"type":"msg","data":{"seq":'
	printf '{"type":"msg","data":{}}\0\n'
	printf '{"type":"msg","data":{"s":"\xff"}}\n'
	python3 -c 'print("{\"type\":\"msg\",\"pad\":\"" + "x" * 70000 + "\"}")'
	echo '{"type":"dropped","count":7,"total":7}'
	evmsg u1 4
	echo
	evmsg u1 5
	printf '{"type":"msg","cut'
} >"$EVDEV"
"$LOG" "${roots[@]}" --dev-root "$tmp/root/dev" --events --output "$tmp/evf.json" --count 2 --interval-ms 200 2>"$tmp/evf.err"
is $? 0 "--events with a regular file as the device: exit 0"
ok "$(every_line "$tmp/evf.json"; echo $?)" "--events: every line a snapshot or an event object, logger.line 1, 2, 3, ..."
is "$(evseqs "$tmp/evf.json")" "1 2 3 4 5 " "the 5 good msg lines logged once each, in order"
is "$(jq -c 'select(.kind == "event" and .event.type == "dropped") | .event' "$tmp/evf.json")" \
	'{"type":"dropped","count":7,"total":7}' "the device's dropped line is logged as it came"
ok "$(grep -q '"big":18446744073709551615,"s":"caf' "$tmp/evf.json"; echo $?)" "an event's object is embedded verbatim (an integer above 2^63 kept)"
is "$(jq -r 'select(.kind == null) | "x"' "$tmp/evf.json" | tr -d '\n')" xx "2 snapshot lines (--count counts snapshots only)"
is "$(head -n 1 "$tmp/evf.json" | jq -r 'has("kind")')" false "the snapshot line has no kind (unchanged schema)"
is "$(tail -n 1 "$tmp/evf.json" | jq -c .event_reader)" \
	"{\"path\":\"$EVDEV\",\"open\":false,\"lines\":6,\"malformed\":9,\"dropped\":7}" \
	"event_reader: 6 lines logged, 9 bad ones counted, 7 drops, closed at EOF"
is "$(grep -c 'events: skipped a line' "$tmp/evf.err")" 9 "each bad line reported on stderr (9)"
ok "$(grep -q 'longer than 64 KiB' "$tmp/evf.err" && grep -q 'cut by the end of file' "$tmp/evf.err" && grep -q 'end of file, no more events' "$tmp/evf.err"; echo $?)" \
	"overlong line, a line cut by EOF and the EOF itself said on stderr"
ok "$(! grep -q 'not json\|no_type\|\[1,2\]' "$tmp/evf.json"; echo $?)" "no bad line reaches the log"

# environment: TK_LOGGER_EVENTS=PATH, and =1 with TK_DEV_ROOT
TK_LOGGER_EVENTS=$EVDEV "$LOG" "${roots[@]}" --output "$tmp/eve1.json" --count 1 2>/dev/null
TK_LOGGER_EVENTS=1 TK_DEV_ROOT=$tmp/root/dev "$LOG" "${roots[@]}" --output "$tmp/eve2.json" --count 1 2>/dev/null
is "$(evseqs "$tmp/eve1.json")/$(evseqs "$tmp/eve2.json")" "1 2 3 4 5 /1 2 3 4 5 " "TK_LOGGER_EVENTS=PATH and =1 with TK_DEV_ROOT"

# a missing device: a clear message, exit 1, the output untouched
"$LOG" "${roots[@]}" --dev-root "$tmp/nodev" --events --output "$tmp/noev.json" --count 1 2>"$tmp/noev.err"
is $? 1 "--events without the device: exit 1"
ok "$(grep -q "qeexo_events: No such file or directory (tkcore is not loaded" "$tmp/noev.err"; echo $?)" "and says tkcore is not loaded"
ok "$([ ! -e "$tmp/noev.json" ]; echo $?)" "and creates no output file"
"$LOG" "${roots[@]}" --events= --count 1 >/dev/null 2>&1
is $? 2 "--events= (empty path): exit 2"

# A FIFO as the device: batches of events, each followed by a snapshot;
# then a burst and SIGTERM at once: everything queued is logged before exit.
mkfifo "$tmp/evfifo"
exec 3<>"$tmp/evfifo"
"$LOG" "${roots[@]}" --events="$tmp/evfifo" --output "$tmp/evq.json" --interval-ms 300 2>"$tmp/evq.err" &
lp=$!
pids+=("$lp")
# snaps_after FILE: snapshot lines after the last event line
snaps_after() { awk '/"kind":"event"/ { n = 0; next } { n++ } END { print n + 0 }' "$1" 2>/dev/null; }
for b in 0 1 2; do
	for i in 1 2 3 4 5; do evmsg fifo $((b * 5 + i)) >&3; done
	[ $b = 1 ] && echo '{"type":"msg",oops}' >&3
	for t in $(seq 100); do
		[ "$(evseqs "$tmp/evq.json" | wc -w)" -ge $((b * 5 + 5)) ] && [ "$(snaps_after "$tmp/evq.json")" -ge 1 ] && break
		sleep 0.05
	done
done
for i in $(seq 16 215); do evmsg fifo "$i"; done >&3
kill -TERM $lp
wait $lp
is $? 0 "FIFO device: SIGTERM right after a burst of 200 events: exit 0"
exec 3>&-
ok "$(every_line "$tmp/evq.json"; echo $?)" "FIFO device: every line whole JSON, logger.line consecutive"
is "$(evseqs "$tmp/evq.json" fifo)" "$(seq 1 215 | tr '\n' ' ')" "FIFO device: 215 events logged exactly once, in order (the burst drained at SIGTERM)"
inter=$(python3 - "$tmp/evq.json" <<'EOF'
import json, sys
kinds = []
for l in open(sys.argv[1]):
    o = json.loads(l)
    kinds.append(o["event"]["data"]["seq"] if o.get("kind") == "event" else "S")
pos = {k: i for i, k in enumerate(kinds) if k != "S"}
# a snapshot line between seq 5 and 6 and between 10 and 11
print(sum(1 for a in (5, 10) if "S" in kinds[pos[a]:pos[a + 1]]), kinds.count("S"))
EOF
)
is "${inter%% *}" 2 "FIFO device: events interleaved with snapshots (a snapshot between the batches; snapshots: ${inter#* })"
is "$(jq -c 'select(.kind == null) | .event_reader.malformed' "$tmp/evq.json" | tail -n 1)" 1 "FIFO device: the bad line in batch 2 counted (malformed 1)"
ok "$(! grep -q oops "$tmp/evq.json"; echo $?)" "FIFO device: the bad line not logged"

# kill -9 with events flowing: a feeder writes events as fast as the logger
# takes them while the logger writes 29 kB snapshots back to back.  Whole
# lines only; each run's events in order; the device is released with the
# logger (the feeder gets EPIPE, so the writer child did not keep it open).
evkills=10 evtorn=0 evheld=0
for i in $(seq $evkills); do
	rm -f "$tmp/k9fifo"
	mkfifo "$tmp/k9fifo"
	python3 - "$tmp/k9fifo" "$i" <<'EOF' &
import sys
run, seq = int(sys.argv[2]), 0
try:
    with open(sys.argv[1], "wb", buffering=0) as f:
        while True:
            chunk = []
            for _ in range(50):
                seq += 1
                chunk.append('{"type":"msg","uuid":"k9","data":{"run":%d,"seq":%d}}\n' % (run, seq))
            f.write("".join(chunk).encode())
except BrokenPipeError:
    pass
EOF
	fp=$!
	if [ $((i % 2)) -eq 0 ]; then
		setsid "$LOG" "${roots[@]}" --events="$tmp/k9fifo" --output "$tmp/k9ev.json" --interval-ms 0 2>>"$tmp/k9ev.err" &
	else
		"$LOG" "${roots[@]}" --events="$tmp/k9fifo" --output "$tmp/k9ev.json" --interval-ms 0 2>>"$tmp/k9ev.err" &
	fi
	lp=$!
	wp=$(writer_of $lp)
	# the feeder (python) may take a while to start on a busy host: kill
	# once this run's events reach the file
	for t in $(seq 200); do grep -q "\"run\":$i," "$tmp/k9ev.json" 2>/dev/null && break; sleep 0.05; done
	sleep "0.$((RANDOM % 3 + 1))$((RANDOM % 10))"
	if [ $((i % 2)) -eq 0 ] && [ "$(ps -o pgid= -p $lp | tr -d ' ')" = "$lp" ]; then
		kill -9 -- -$lp
	else
		kill -9 $lp
	fi
	wait $lp 2>/dev/null
	[ -n "$wp" ] && ! gone "$wp" && kill -9 "$wp" 2>/dev/null
	if ! gone "$fp"; then
		evheld=$((evheld + 1))
		kill -9 "$fp" 2>/dev/null
	fi
	wait "$fp" 2>/dev/null
	endnl "$tmp/k9ev.json" || evtorn=$((evtorn + 1))
done
is "$evtorn" 0 "kill -9 x$evkills with events flowing: the file ends in a newline after every kill"
is "$evheld" 0 "kill -9: the event source is released with the logger (the feeder gets EPIPE within 2 s)"
k9=$(python3 - "$tmp/k9ev.json" <<'EOF'
import json, sys
last, bad, ev, snap = {}, 0, 0, 0
for l in open(sys.argv[1], "rb"):
    o = json.loads(l)
    if o.get("kind") == "event":
        d = o["event"]["data"]
        ev += 1
        if d["seq"] <= last.get(d["run"], 0):
            bad += 1
        last[d["run"]] = d["seq"]
    else:
        assert "modules" in o
        snap += 1
print("events=%d snapshots=%d runs=%d out_of_order=%d" % (ev, snap, len(last), bad))
sys.exit(1 if bad or len(last) < 10 or not snap else 0)
EOF
)
ok $? "kill -9 with events: every line parses; events of all 10 runs and snapshots logged, each run's events in order ($k9)"

if cat "$tmp"/*.err | grep -qE 'AddressSanitizer|LeakSanitizer|runtime error'; then
	ok 1 "no sanitizer report"
	cat "$tmp"/*.err | grep -A20 -E 'Sanitizer|runtime error' | head -n 30 | sed 's/^/#   /'
else
	ok 0 "no sanitizer report"
fi
finish
