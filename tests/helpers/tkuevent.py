#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tkuevent - a kernel uevent listener for tests/stack/t-core.sh.

  tkuevent.py READYFILE STOPFILE [DEV:FILE,FILE...]...

Listens on NETLINK_KOBJECT_UEVENT (the kernel's own multicast group, no
udevd needed) for events of the qeexo class until STOPFILE exists.  When an
event arrives it stats, at once, the files named for its device under
/sys/class/qeexo/DEV/ and prints one line per event:

  ACTION DEV present=P/N [missing=FILE,...]

so a test can tell whether a udev rule run for that event would have seen
the device's files.  The listener runs as a real-time task (SCHED_FIFO) on
CPU 0: a task on the same CPU that sends the event (pin it there with
taskset) is preempted at its next scheduling point after the event, before
it can add files it has not added yet.  READYFILE is created once the
socket is bound.
"""
import os
import select
import socket
import sys

QX = "/sys/class/qeexo"
NETLINK_KOBJECT_UEVENT = 15


def main(a):
    if len(a) < 2:
        print(__doc__)
        return 2
    ready, stop = a[0], a[1]
    want = {}
    for spec in a[2:]:
        dev, _, files = spec.partition(":")
        want[dev] = [f for f in files.split(",") if f]
    try:
        os.sched_setaffinity(0, {0})
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
        rt = "rt"
    except OSError as e:
        rt = "not rt (%s)" % e
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_KOBJECT_UEVENT)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((0, 1))	# group 1: the kernel's events
    with open(ready, "w") as f:
        f.write(rt + "\n")
    while not os.path.exists(stop):
        r, _, _ = select.select([s], [], [], 0.1)
        if not r:
            continue
        msg = s.recv(65536)
        # Stat first, parse after: the state at the moment of the event.
        seen = {}
        for dev, files in want.items():
            seen[dev] = [f for f in files if not os.path.exists(os.path.join(QX, dev, f))]
        env = {}
        for kv in msg.split(b"\0")[1:]:
            k, _, v = kv.partition(b"=")
            env[k.decode(errors="replace")] = v.decode(errors="replace")
        if env.get("SUBSYSTEM") != "qeexo":
            continue
        dev = env.get("DEVPATH", "").rsplit("/", 1)[-1]
        act = env.get("ACTION", "?")
        if dev in want:
            files = want[dev]
            miss = seen[dev]
            line = "%s %s present=%d/%d" % (act, dev, len(files) - len(miss), len(files))
            if miss:
                line += " missing=" + ",".join(miss)
        else:
            line = "%s %s" % (act, dev)
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
