#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The telemetry event API end to end with the sample producer
# tksample: files, /dev/qeexo_events (N in = N out, in order, valid JSON,
# poll, exclusive open), the qeexo tracepoints in tracefs, rejected calls and
# their counters, overload with a stalled reader, unload mid-stream.
. "$(dirname "$0")/lib.sh"
unload_all
EV=$QX/events
DEV=/dev/qeexo_events
UUID=5a3b1e0c-7d2f-4c8e-9b61-0e4f2a7c9d13
CTL=$QX/tksample/control
TKEV="python3 $TK_TOP/tests/helpers/tkevents.py"
T=/tmp/t-events
rm -rf $T; mkdir -p $T

# Value of KEY in the producers line of the sample.
pfield() { field "$(grep "^$UUID " $EV/producers)" "$1"; }
# Wait up to $2 seconds (default 60) for command $1 to succeed.
# Start `cat $DEV > $1` and wait until the device is open.
reader_start() {
	cat $DEV >"$1" &
	rd=$!
	wait_for '[ "$(cat $EV/readers)" = 1 ]' 20
}
reader_stop() { kill "$rd" 2>/dev/null; wait "$rd" 2>/dev/null; }

check "load tkcore" -- load_core enable=0
check "load tksample" -- load_tksample
for f in producers rejects dropped buffer_kb readers; do
	check "events/$f exists" -- test -f $EV/$f
done
is "$(stat -c '%F %a %U' $DEV)" "character special file 400 root" "$DEV is a root-only character device"
is "$(cat $EV/readers)" 0 "no reader at first"
is "$(cat $EV/buffer_kb)" 256 "buffer_kb is the default 256"
is "$(pfield name) $(pfield version) $(pfield session) $(pfield msgs)" "tksample 0.1.0 0 0" \
	"producers lists the sample: name, version, no session, no message"

# ---- tracefs ----
TR=/sys/kernel/tracing
[ -d $TR/events ] || mount -t tracefs nodev $TR 2>/dev/null
for e in register session_begin msg session_end unregister; do
	check "tracefs has qeexo/$e" -- test -d $TR/events/qeexo/$e
done
fmt=$(grep -o 'field:[^;]*' $TR/events/qeexo/msg/format | tr '\n' ' ')
check "qeexo:msg has fields uuid session event data" -- \
	sh -c "echo '$fmt' | grep -q 'uuid' && echo '$fmt' | grep -q 'u32 session' && echo '$fmt' | grep -q 'event' && echo '$fmt' | grep -q 'data'"
echo 0 >$TR/tracing_on
echo >$TR/trace
echo 1 >$TR/events/qeexo/msg/enable
echo 1 >$TR/events/qeexo/session_begin/enable
echo 1 >$TR/tracing_on
is "$("$TKWRITE" $CTL 'emit 3 ev_trace')" "ok 15" "emit 3 with the tracepoints enabled"
echo 0 >$TR/tracing_on
tr_msgs=$(grep -c "msg: uuid=$UUID session=[0-9]* event=ev_trace data={\"seq\":[123],\"n\":3}" $TR/trace)
is "$tr_msgs" 3 "tracefs shows the 3 messages with their fields"
check "tracefs shows session_begin with its name" -- \
	grep -q "session_begin: uuid=$UUID session=[0-9]* session_name=emit" $TR/trace
echo 0 >$TR/events/qeexo/enable
echo >$TR/trace
echo 1 >$TR/tracing_on

# ---- the reader: N in, N out ----
N=2000
reader_start $T/n.jsonl
ok $? "reader opened the device"
is "$($TKEV busy)" EBUSY "a second open fails with EBUSY"
m0=$(pfield msgs)
is "$("$TKWRITE" $CTL "emit $N")" "ok 9" "emit $N"
wait_for "grep -q session_end $T/n.jsonl" 60
reader_stop
out=$($TKEV check $T/n.jsonl $UUID $N)
ok $? "reader got exactly $N valid JSON messages, seq 1..$N in order, in one session ($out)"
is "$(( $(pfield msgs) - m0 ))" $N "producer counts $N messages"
is "$(pfield drops)" 0 "no drops"
is "$(cat $EV/dropped)" 0 "events/dropped is 0"
is "$(cat $EV/readers)" 0 "reader closed"

# ---- poll and non-blocking read ----
$TKEV poll >$T/poll.out &
pp=$!
wait_for "test -e /tmp/tkevents.poll" 20
"$TKWRITE" $CTL "emit 5" >/dev/null
wait $pp
diag "$(tr '\n' ' ' <$T/poll.out)"
check "poll times out on an empty device" -- grep -q '^empty_poll=0$' $T/poll.out
check "non-blocking read of an empty device: EAGAIN" -- grep -q '^empty_read=EAGAIN$' $T/poll.out
check "poll reports data once messages are emitted" -- grep -q '^poll_events=1 ' $T/poll.out
check "the reader gets the 5 messages after poll" -- grep -q 'msgs=5$' $T/poll.out
rm -f /tmp/tkevents.poll

# ---- rejected calls, each with its errno, counted ----
reader_start $T/bad.jsonl
r0=$(cat $EV/rejects)
while read -r kind want; do
	is "$("$TKWRITE" $CTL "emit_bad $kind")" "$want" "invalid call '$kind' rejected with $want"
done <<'EOF'
uuid EINVAL
name ENAMETOOLONG
version EINVAL
exists EEXIST
event EINVAL
json EBADMSG
big EMSGSIZE
nosession ENOTCONN
end ENOTCONN
twice EBUSY
unregistered ENOENT
handle EINVAL
EOF
is "$("$TKWRITE" $CTL "emit 1 a_32_character_event_name_xxxxxx")" ENAMETOOLONG \
	"an event name of 32 characters: ENAMETOOLONG"
is "$(pfield rej_event) $(pfield rej_payload) $(pfield rej_size) $(pfield rej_no_session) $(pfield rej_session) $(pfield rej_dead)" \
	"2 1 1 2 1 0" "producer counts rej_event=2 rej_payload=1 rej_size=1 rej_no_session=2 rej_session=1"
is "$(cat $EV/rejects)" "uuid=1 name=1 version=1 exists=1 full=0 unknown=1 handle=1" \
	"rejects without a producer are counted by reason (before: $r0)"
"$TKWRITE" $CTL "emit 1" >/dev/null
wait_for "grep -q '\"type\":\"msg\"' $T/bad.jsonl" 30
reader_stop
is "$(grep -c '"type":"msg"' $T/bad.jsonl)" 1 "the reader saw only the one valid message"
check "the reader saw the short-lived producer come and go" -- \
	sh -c "grep -q '\"type\":\"register\".*\"name\":\"gone\"' $T/bad.jsonl && grep -q '\"type\":\"unregister\".*\"name\":\"gone\"' $T/bad.jsonl"

# ---- the checks follow the consumer: parsed for the reader (above),
# measured for the tracepoint alone, not read without a consumer ----
rejs() { echo "$(pfield rej_event) $(pfield rej_payload) $(pfield rej_size)"; }
r0=$(rejs); m0=$(pfield msgs)
is "$("$TKWRITE" $CTL "emit_bad json")" EPROTO "no reader, no tracepoint: a bad payload is not read (call returns 0)"
is "$("$TKWRITE" $CTL "emit_bad event")" EPROTO "no reader, no tracepoint: a bad event name is not read"
is "$("$TKWRITE" $CTL "emit_bad big")" EPROTO "no reader, no tracepoint: an oversized payload is not read"
is "$(rejs)" "$r0" "and nothing is counted as rejected"
is "$(pfield msgs)" $((m0 + 3)) "but the 3 messages are counted"
echo 0 >$TR/tracing_on
echo >$TR/trace
echo 1 >$TR/events/qeexo/msg/enable
echo 1 >$TR/tracing_on
is "$("$TKWRITE" $CTL "emit_bad json")" EPROTO "qeexo:msg in ftrace, no reader: a payload that is not JSON is delivered as a string"
is "$("$TKWRITE" $CTL "emit_bad event")" EPROTO "qeexo:msg in ftrace, no reader: so is an event name with a space"
is "$("$TKWRITE" $CTL "emit_bad big")" EMSGSIZE "qeexo:msg in ftrace, no reader: a payload over 1024 bytes is rejected"
is "$("$TKWRITE" $CTL "emit 1 a_32_character_event_name_xxxxxx")" ENAMETOOLONG \
	"qeexo:msg in ftrace, no reader: an event name of 32 characters is rejected"
echo 0 >$TR/tracing_on
echo 0 >$TR/events/qeexo/msg/enable
check "tracefs shows the payload as given" -- grep -q "msg: uuid=$UUID session=[0-9]* event=x data={ hello_world: true }" $TR/trace
check "and the event name as given" -- grep -q "msg: uuid=$UUID session=[0-9]* event=no spaces data={}" $TR/trace
is "$(grep -c "msg: uuid=$UUID" $TR/trace)" 2 "and no rejected message"
set -- $r0
is "$(rejs)" "$(($1 + 1)) $2 $(($3 + 1))" "the two rejections are counted (rej_event, rej_size), the payload is not"
echo >$TR/trace
echo 1 >$TR/tracing_on

# ---- overload: a reader that does not read ----
rmmod tksample && rmmod tkcore
check "reload tkcore with 8 KiB per CPU" -- load_core enable=0 events_buffer_kb=8
check "reload tksample" -- load_tksample
python3 "$TK_TOP/tests/helpers/tkevents.py" stall $T/flag $T/stall.jsonl &
sp=$!
wait_for "test -e $T/flag.open" 20
NO=20000
t0=$(date +%s)
is "$("$TKWRITE" $CTL "emit $NO")" "ok 10" "emit $NO into a stalled reader returns"
ok $(( $(date +%s) - t0 > 120 )) "and does not hang ($(( $(date +%s) - t0 )) s)"
d=$(pfield drops)
ok $(( d == 0 )) "producer counts drops ($d)"
is "$(cat $EV/dropped)" "$d" "events/dropped equals the producer's drops"
is "$(pfield msgs)" $NO "all $NO messages were accepted"
touch $T/flag
wait $sp
got=$(grep -c '"type":"msg"' $T/stall.jsonl)
all=$(grep -c "\"uuid\":\"$UUID\"" $T/stall.jsonl)
dl=$(grep '"type":"dropped"' $T/stall.jsonl | head -n1)
diag "delivered $got messages ($all records), dropped $d records: $dl"
check "the reader's first line reports the drops" -- \
	sh -c "head -n1 $T/stall.jsonl | grep -q '^{\"type\":\"dropped\",\"count\":$d,\"total\":$d}\$'"
is "$(( all + d ))" $((NO + 2)) "records delivered + dropped = $NO messages + session begin and end"
ok $(( got > 2000 )) "bounded: at most a few buffer pages delivered ($got)"
out=$(python3 "$TK_TOP/tests/helpers/tkevents.py" stream $T/stall.jsonl $UUID)
ok $? "delivered messages still in order ($out)"

# ---- unload of the producer mid-stream ----
rmmod tksample && rmmod tkcore
check "reload tkcore" -- load_core enable=0
check "reload tksample" -- load_tksample
reader_start $T/stream.jsonl
is "$("$TKWRITE" $CTL stream_start)" "ok 12" "stream started"
wait_for "[ \$(grep -c '\"type\":\"msg\"' $T/stream.jsonl) -gt 100 ]" 60
ok $? "stream flows to the reader"
t0=$(date +%s)
check "rmmod tksample mid-stream" -- timeout 60 rmmod tksample
diag "rmmod took $(( $(date +%s) - t0 )) s"
wait_for "grep -q '\"type\":\"unregister\"' $T/stream.jsonl" 20
reader_stop
out=$(python3 "$TK_TOP/tests/helpers/tkevents.py" stream $T/stream.jsonl $UUID)
ok $? "stream messages in order ($out)"
# A full buffer drops any new record, the unregistration's too (seen on the
# debug kernel: 149,718 drops): it must be the last event unless the reader
# reported drops.
case $out in
*last=unregister*) lu=unregister ;;
*" drops=0 "*) lu=missing ;;
*) lu=dropped ;;
esac
ok $([ $lu != missing ]; echo $?) "the sample's last event is its unregistration, or drops were reported ($lu)"
# The buffers drop new records when full, session_end included (and the
# reader merges the CPUs' buffers by time, so its "dropped" line need not
# follow the last message): session_end comes right before the
# unregistration, or the reader reported drops.
se=$(awk -v u="$UUID" '
	/"type":"dropped"/ { dropped = 1 }
	index($0, u) { prev = cur; cur = $0 }
	END { if (prev ~ /"type":"session_end"/) print "before"; else if (dropped) print "dropped"; else print "missing" }
' $T/stream.jsonl)
ok $([ "$se" != missing ]; echo $?) "session_end came before the unregistration, or drops were reported ($se)"
check "producers no longer lists the sample" -- sh -c "! grep -q $UUID $EV/producers"

# ---- another module unregisters the sample's producer by its id ----
# The owner keeps its handle and keeps calling from its kernel thread:
# every call fails with ESHUTDOWN, and its own unregister at unload only
# releases the handle (a second unlisting would be list corruption).
diag "at ${SECONDS}s: a producer unregistered by another module"
PEER=$QX/tkpeer/control
check "reload tksample" -- load_tksample
check "load tkpeer" -- load_tkpeer
is "$("$TKWRITE" $CTL stream_start)" "ok 12" "the owner streams from a kernel thread"
wait_for '[ "$(pfield msgs)" -gt 1000 ] 2>/dev/null' 60
ok $? "its messages flow ($(pfield msgs))"
cmd="unregister $UUID"
is "$("$TKWRITE" $PEER "$cmd")" "ok ${#cmd}" "tkpeer unregisters the sample's producer by its id"
check "producers no longer lists it" -- sh -c "! grep -q $UUID $EV/producers"
is "$("$TKWRITE" $PEER "$cmd")" ENOENT "a second unregister by id: ENOENT"
is "$("$TKWRITE" $PEER "emit $UUID 1")" ENOENT "by-id calls on it: ENOENT"
is "$("$TKWRITE" $CTL "emit 1")" ESHUTDOWN "the owner's own calls on its handle: ESHUTDOWN"
sleep 1
check "rmmod tksample: the owner stops its thread and releases its handle" -- timeout 60 rmmod tksample
check "load tksample again: the id is free" -- load_tksample
check "rmmod tksample" -- rmmod tksample

# ---- a reader that opens mid-message gets only messages checked for it ----
# tkpeer floods messages whose payload is not JSON with only the tracepoint
# on (measured, accepted), while a reader opens and closes again and again:
# no such message may reach a reader, whose lines embed payloads unescaped.
diag "at ${SECONDS}s: reader opening during a flood of unparsed messages"
check "load tksample" -- load_tksample
echo 0 >$TR/tracing_on
echo 1 >$TR/events/qeexo/msg/enable
echo 1 >$TR/tracing_on
cmd="flood $UUID 2000000"
taskset -c 1 "$TKWRITE" $PEER "$cmd" >$T/flood.out &
fl=$!
out=$(python3 - $fl <<'PY'
import os, sys, time
pid = int(sys.argv[1])
opens = hits = lines = 0
t0 = time.monotonic()
while os.path.exists(f"/proc/{pid}") and time.monotonic() - t0 < 120:
    try:
        fd = os.open("/dev/qeexo_events", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        continue
    opens += 1
    time.sleep(0.002)
    data = b""
    try:
        while True:
            data += os.read(fd, 1 << 16)
    except BlockingIOError:
        pass
    os.close(fd)
    lines += data.count(b"\n")
    hits += data.count(b'"event":"flood"')
print(f"opens={opens} lines={lines} flood_lines={hits}")
PY
)
wait $fl
is "$(cat $T/flood.out)" "ok ${#cmd}" "tkpeer flooded 2000000 unparsed messages"
echo 0 >$TR/events/qeexo/msg/enable
diag "$out"
check "the reader opened at least 20 times during the flood ($out)" -- test "$(field "$out" opens)" -ge 20
is "$(field "$out" flood_lines)" 0 "no unparsed message reached a reader"

# ---- a call in flight when its producer is unregistered ----
# tkpeer's "race": a FIFO thread is woken from inside tk_telemetry_msg()
# on the caller's CPU and, with full preemption, takes the CPU as soon as
# it may: it unregisters the producer, waits for RCU callbacks and fills
# memory of the producer's size with poison.  The call must still finish
# on live memory: it runs inside an RCU read-side section.  (Without one,
# the FIFO thread preempts it mid-call and it resumes on freed memory.)
diag "at ${SECONDS}s: a call preempted in flight while its producer goes"
PRE=/sys/kernel/debug/sched/preempt
[ -e $PRE ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
if ! grep -q '^CONFIG_PREEMPT_RCU=y' "/boot/config-$(uname -r)" 2>/dev/null; then
	skip "a call preempted in flight finishes on live memory" "no PREEMPT_RCU in this kernel: no preemption inside the call to race with"
elif [ ! -w $PRE ]; then
	ok 1 "$PRE can switch this PREEMPT_RCU kernel to full preemption"
else
	old=$(sed -n 's/.*(\([a-z]*\)).*/\1/p' $PRE)
	echo full >$PRE
	reader_start $T/race.jsonl
	is "$("$TKWRITE" $PEER race)" "ok 4" \
		"a call preempted in flight while another thread unregisters its producer finishes on live memory"
	reader_stop
	out=$(python3 - $T/race.jsonl <<'PY'
import json, sys
n = bad = 0
for raw in open(sys.argv[1], "rb"):
    try:
        e = json.loads(raw)
    except ValueError:
        bad += 1
        continue
    if e.get("event") == "race":
        n += 1
        bad += e.get("name") != "tkpeer_race_in_flight" or e.get("data") != {"in": "flight"}
print(f"race_lines={n} bad={bad}")
PY
)
	check "the reader got the race's messages whole: name, payload, valid JSON ($out)" -- \
		test "$(field "$out" race_lines)" -ge 1 -a "$(field "$out" bad)" = 0
	echo "$old" >$PRE
	check "preemption mode back to $old" -- grep -q "($old)" $PRE
fi
check "rmmod tksample and tkpeer" -- sh -c "rmmod tksample && rmmod tkpeer"
check "rmmod tkcore" -- rmmod tkcore
check "$DEV is gone" -- test ! -e $DEV

done_testing
