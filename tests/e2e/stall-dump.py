#!/usr/bin/env python3
"""stall-dump.py QEMU_PID MONITOR_SOCK SERIAL_SOCK
   stall-dump.py --host-only QEMU_PID


run.sh calls this when the emulated machine's console has been silent too
long, before it stops QEMU: what every layer was doing, in the run's log.

 1. QEMU's threads, host CPU time over 5 s: a vCPU thread at 100% spins
    (a lock, a loop in Xen or dom0), one at 0% waits (halted, blocked).
 2. QEMU's monitor, `info registers -a` twice: where each emulated CPU is
    (RIP inside Xen's text or dom0's).
 3. The serial line: dom0's sysrq through hvc0 (Ctrl-O w: blocked tasks,
    Ctrl-O l: every CPU's backtrace), then Xen's debug keys (Ctrl-A three
    times switches the input to Xen; d: registers and stacks of every
    CPU, q: domains and vCPUs, r: run queues).

Steps 2 and 3 need QEMU's monitor and serial line on sockets, which run.sh
no longer gives it (the emulated SVM faulted far more often with them):
--host-only takes step 1 alone. Everything Xen and dom0 print lands in
the console log; this script prints the rest on stdout and never fails
the run (each step bounded, errors said).
"""
import os
import socket
import sys
import time


def say(*a):
    print("E2E-STALL-DUMP:", *a, flush=True)


def thread_times(pid):
    out = {}
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            with open(f"{base}/{tid}/stat") as f:
                stat = f.read()
            with open(f"{base}/{tid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # utime, stime: fields 14 and 15 of stat, 12 and 13 after comm
        out[tid] = (comm, int(fields[11]) + int(fields[12]), fields[0])
    return out


def cpu_usage(pid):
    tick = os.sysconf("SC_CLK_TCK")
    before = thread_times(pid)
    time.sleep(5)
    after = thread_times(pid)
    for tid, (comm, t, state) in sorted(after.items()):
        if tid in before:
            pct = 100.0 * (t - before[tid][1]) / tick / 5
            say(f"qemu thread {tid} {comm}: {pct:.0f}% of a host CPU, state {state}")


def drain(sock, seconds):
    """Read (and drop: the chardev's logfile has it) what comes back."""
    got = b""
    end = time.time() + seconds
    sock.settimeout(0.5)
    while time.time() < end:
        try:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        except socket.timeout:
            pass
    return got


def monitor(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    drain(s, 1)
    for round_ in (1, 2):
        s.sendall(b"info registers -a\n")
        text = drain(s, 8).decode(errors="replace")
        for line in text.splitlines():
            if line.startswith(("CPU#", "RAX=", "RSI=", "RIP=", "CS =", "CR0=")):
                say(f"monitor round {round_}: {line.strip()}")
        time.sleep(2)
    s.close()


def serial(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    drain(s, 1)
    for keys, wait, what in ((b"\x0fw", 15, "dom0 sysrq w"),
                             (b"\x0fl", 15, "dom0 sysrq l"),
                             (b"\x01\x01\x01", 3, "input to Xen"),
                             (b"d", 20, "Xen key d"),
                             (b"q", 10, "Xen key q"),
                             (b"r", 10, "Xen key r"),
                             (b"\x01\x01\x01", 3, "input back to dom0")):
        say(f"serial: {what}")
        s.sendall(keys)
        got = drain(s, wait)
        say(f"serial: {what}: {len(got)} bytes came back")
    s.close()


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--host-only":
        pid, steps = args[1], ()
    elif len(args) == 3:
        pid, mon, ser = args
        steps = (("monitor", lambda: monitor(mon)), ("serial", lambda: serial(ser)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for name, step in (("threads", lambda: cpu_usage(pid)),) + steps:
        try:
            step()
        except Exception as e:  # a diagnostic never fails the run
            say(f"{name}: {type(e).__name__}: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
