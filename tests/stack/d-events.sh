#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Debug kernel only: the event API's lifetimes under concurrency, with
# KASAN, lockdep and kmemleak watching.  For TK_EVENTS_SECS (default 60)
# seconds tkpeer runs, on each CPU, an owner thread (register by handle,
# sessions, messages from the thread and from an hrtimer in hard interrupt
# context, unregister), a by-id thread and a thread that unregisters the
# others' producers by id; meanwhile tksample streams, a reader opens and
# closes /dev/qeexo_events again and again, and the qeexo:msg tracepoint is
# switched on and off.  Every API call's result must be one a race with
# another thread's unregister can give; then everything unloads and
# kmemleak finds nothing new.
. "$(dirname "$0")/lib.sh"
SECS=${TK_EVENTS_SECS:-60}
T=/tmp/d-events
TR=/sys/kernel/tracing
rm -rf $T && mkdir -p $T

need_kmemleak
unload_all
kml_clear
[ -d $TR/events ] || mount -t tracefs nodev $TR 2>/dev/null

load3() { load_core enable=0 && load_tksample && load_tkpeer; }
check "load tkcore, tksample, tkpeer" -- load3
PEER=$QX/tkpeer/control
is "$("$TKWRITE" $QX/tksample/control stream_start)" "ok 12" "tksample streams"
# The reader: open, read a while, close, again, until told to stop; it is
# up before the stress starts.
python3 - $T/ready $T/stop >$T/reader <<'PY' &
import os, random, sys, time
opens = lines = 0
open(sys.argv[1], "w").close()
while not os.path.exists(sys.argv[2]):
    fd = os.open("/dev/qeexo_events", os.O_RDONLY | os.O_NONBLOCK)
    opens += 1
    end = time.monotonic() + random.uniform(0.001, 0.2)
    while time.monotonic() < end:
        try:
            lines += os.read(fd, 1 << 16).count(b"\n")
        except BlockingIOError:
            time.sleep(0.001)
    os.close(fd)
print(f"opens={opens} lines={lines}")
PY
rd=$!
for i in $(seq 300); do [ -e $T/ready ] && break; sleep 0.1; done
cmd="stress $SECS"
is "$("$TKWRITE" $PEER "$cmd")" "ok ${#cmd}" "tkpeer stress for $SECS s"
is "$("$TKWRITE" $PEER "$cmd")" EBUSY "a second stress while one runs: EBUSY"
# The tracepoints, on and off.
toggles=0
while grep -q running=1 $QX/tkpeer/stats; do
	echo 1 >$TR/events/qeexo/msg/enable
	sleep 0.$((RANDOM % 3 + 1))
	echo 0 >$TR/events/qeexo/msg/enable
	sleep 0.$((RANDOM % 3 + 1))
	toggles=$((toggles + 1))
done
touch $T/stop
wait $rd
echo 0 >$TR/events/qeexo/msg/enable
st=$(cat $QX/tkpeer/stats)
diag "tkpeer: $st"
diag "reader: $(cat $T/reader); tracepoint toggles: $toggles"
check "the stress made at least 10000 calls ($(field "$st" ops)), ${SECS} s long" -- test "$(field "$st" ops)" -ge 10000
check "it raced: some calls found their producer unregistered by another thread" -- \
	test $(( $(field "$st" shutdown) + $(field "$st" noent) )) -gt 0
is "$(field "$st" bad) $(field "$st" last_bad)" "0 0" "every call's result was one a race allows"
check "the owners' hrtimers made calls ($(field "$st" timer))" -- test "$(field "$st" timer)" -gt 0
is "$(field "$st" timer_not_hardirq)" 0 "every hrtimer call was in hard interrupt context (PREEMPT_RT too)"
check "the reader opened and closed at least 20 times" -- test "$(field "$(cat $T/reader)" opens)" -ge 20
# (each switch patches the kernel's text and waits for RCU: seconds apiece
# on the debug kernel under this load)
check "qeexo:msg switched on and off at least 3 times during the stress ($toggles)" -- test $toggles -ge 3
is "$("$TKWRITE" $PEER stress_stop)" "ok 11" "stress_stop waits for the threads"
is "$("$TKWRITE" $QX/tksample/control stream_stop)" "ok 11" "tksample's stream stops"
check "unload tkpeer, tksample, tkcore" -- sh -c "rmmod tkpeer && rmmod tksample && rmmod tkcore"

kml_nothing_new $T/kml "the stress"
done_testing
