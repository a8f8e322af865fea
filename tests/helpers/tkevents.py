#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tkevents - reader-side checks of /dev/qeexo_events for tests/stack/t-events.sh,
tests/stack/t-exporter.sh (tk-logger --events) and tests/bench/guest-events.sh.

  tkevents.py check FILE UUID N      every line is a JSON object; exactly N
                                     "msg" lines of UUID, seq 1..N in order,
                                     inside one session_begin/session_end
  tkevents.py stream FILE UUID       the msg lines of UUID have strictly
                                     increasing seq; prints "msgs=K drops=D
                                     last=<type of UUID's last line>"
  tkevents.py poll                   poll/O_NONBLOCK behaviour (prints facts)
  tkevents.py busy                   open the device; prints the errno name
  tkevents.py stall FLAG OUT         open, touch FLAG.open, wait for FLAG, then
                                     read without blocking until EAGAIN into OUT
  tkevents.py rate N                 read until N msg lines arrived; prints
                                     "lines=.. msgs=.. drops=.. secs=.."
Exit status 0 when the check holds.
"""
import errno
import json
import os
import select
import sys
import time

DEV = "/dev/qeexo_events"


def load(path):
    out = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                print(f"line {n}: not JSON: {e}: {raw[:200]!r}")
                sys.exit(1)
            if not isinstance(obj, dict) or "type" not in obj:
                print(f"line {n}: not an event object: {raw[:200]!r}")
                sys.exit(1)
            out.append(obj)
    return out


def check(path, uuid, n):
    ev = [e for e in load(path) if e.get("uuid") == uuid]
    msgs = [e for e in ev if e["type"] == "msg"]
    seqs = [m["data"]["seq"] for m in msgs]
    begins = [e for e in ev if e["type"] == "session_begin"]
    ends = [e for e in ev if e["type"] == "session_end"]
    sess = {m["session"] for m in msgs}
    print(f"msgs={len(msgs)} sessions={sorted(sess)} begins={len(begins)} ends={len(ends)}")
    good = (len(msgs) == n and seqs == list(range(1, n + 1))
            and all(m["data"].get("n") == n for m in msgs) and len(sess) == 1
            and any(b["session"] in sess for b in begins)
            and any(e["session"] in sess for e in ends)
            and all(isinstance(m["ts"], int) and isinstance(m["cpu"], int) for m in msgs)
            and not [e for e in load(path) if e["type"] == "dropped"])
    if not good and seqs != list(range(1, n + 1)):
        bad = next((i for i, s in enumerate(seqs) if s != i + 1), None)
        print(f"seq out of order at index {bad}: {seqs[max(0, (bad or 0) - 2):(bad or 0) + 3]}")
    return 0 if good else 1


def stream(path, uuid):
    allev = load(path)
    ev = [e for e in allev if e.get("uuid") == uuid]
    seqs = [e["data"]["seq"] for e in ev if e["type"] == "msg"]
    drops = sum(e["count"] for e in allev if e["type"] == "dropped")
    inc = all(b > a for a, b in zip(seqs, seqs[1:]))
    last = ev[-1]["type"] if ev else "none"
    print(f"msgs={len(seqs)} drops={drops} last={last} increasing={int(inc)}")
    return 0 if inc and seqs else 1


def poll_check():
    fd = os.open(DEV, os.O_RDONLY | os.O_NONBLOCK)
    p = select.poll()
    p.register(fd, select.POLLIN)
    print("empty_poll=%d" % len(p.poll(200)))
    try:
        os.read(fd, 4096)
        print("empty_read=data")
    except OSError as e:
        print("empty_read=" + errno.errorcode[e.errno])
    # The caller emits 5 messages once it sees this file.
    open("/tmp/tkevents.poll", "w").close()
    t0 = time.time()
    r = p.poll(30000)
    print("poll_events=%d poll_secs=%.1f" % (len(r), time.time() - t0))
    data = b""
    deadline = time.time() + 30
    while data.count(b'"type":"session_end"') < 1 and time.time() < deadline:
        if p.poll(1000):
            data += os.read(fd, 65536)
    print("lines=%d msgs=%d" % (data.count(b"\n"), data.count(b'"type":"msg"')))
    os.close(fd)
    return 0


def busy():
    try:
        fd = os.open(DEV, os.O_RDONLY)
        os.close(fd)
        print("ok")
    except OSError as e:
        print(errno.errorcode[e.errno])
    return 0


def stall(flag, out):
    fd = os.open(DEV, os.O_RDONLY | os.O_NONBLOCK)
    open(flag + ".open", "w").close()
    while not os.path.exists(flag):
        time.sleep(0.1)
    with open(out, "wb") as f:
        while True:
            try:
                b = os.read(fd, 1 << 16)
            except BlockingIOError:
                break
            if not b:
                break
            f.write(b)
    os.close(fd)
    return 0


def rate(n):
    fd = os.open(DEV, os.O_RDONLY)
    open("/tmp/tkevents.rate", "w").close()
    buf = b""
    msgs = lines = drops = 0
    t0 = None
    while msgs < n:
        b = os.read(fd, 1 << 16)
        if t0 is None:
            t0 = time.time()
        buf += b
        *done, buf = buf.split(b"\n")
        for ln in done:
            lines += 1
            if b'"type":"msg"' in ln:
                msgs += 1
            elif b'"type":"dropped"' in ln:
                drops += json.loads(ln)["count"]
        if msgs + drops >= n:
            break
    secs = time.time() - t0
    os.close(fd)
    print("lines=%d msgs=%d drops=%d secs=%.3f" % (lines, msgs, drops, secs))
    return 0


def main(a):
    if a[:1] == ["check"] and len(a) == 4:
        return check(a[1], a[2], int(a[3]))
    if a[:1] == ["stream"] and len(a) == 3:
        return stream(a[1], a[2])
    if a == ["poll"]:
        return poll_check()
    if a == ["busy"]:
        return busy()
    if a[:1] == ["stall"] and len(a) == 3:
        return stall(a[1], a[2])
    if a[:1] == ["rate"] and len(a) == 2:
        return rate(int(a[1]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
