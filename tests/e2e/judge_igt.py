"""judge.py's checks of i915's own test programs (IGT) in the guest.

The guest's igt-run prints one line per run:
    E2E-IGT: PROG VARIANT SUCCESS|FAIL|SKIP|CRASH|TIMEOUT SECONDS FIGURE
Each run expected here must be there and SUCCESS, with a figure (a missing
line is a FAIL). No SKIP is accepted: each program skips only without an
i915 device or, for kms_vblank, with pipe A off, and the guest has both
(fbcon lights pipe A before igt-run starts), so a skip is a fault here.
"""
import re

# (program, variant, what the check says)
RUNS = [
    ("gem_create", "4KiB", "GEM objects created, moved to the GTT domain, closed (4 KiB)"),
    ("gem_exec_nop", "all-continuous", "nop batches on every engine, back to back"),
    ("gem_exec_nop", "all-sync", "nop batches on every engine, each waited for"),
    ("gem_blt", "bcs0-copy-1MiB", "1 MiB XY_SRC_COPY_BLT copies on the blitter (bcs0)"),
    ("kms_vblank", "query-idle", "vblank counter queries while 121 vblanks go by"),
    ("kms_vblank", "event-idle", "vblank events, five times 121 vblanks"),
]
ENGINES = ("rcs0", "bcs0", "vcs0", "vecs0")


def igt_line(g, prog, variant):
    """(result, seconds, figure, the rest) of the run's E2E-IGT line, or None."""
    m = re.search(r"E2E-IGT: %s %s (\S+) ([0-9.]+) ([^\r\n]*?)\s*(\(exit -?\d+\))?\s*$" %
                  (re.escape(prog), re.escape(variant)), g, re.M)
    return (m.group(1), float(m.group(2)), m.group(3), m.group(4) or "") if m else None


def judge(check, g, tag):
    """check(name, ok, detail) for each IGT run in g, one kernel's log."""
    m = re.search(r"E2E-IGT-ENGINES: ([^\r\n]*)", g)
    found = m.group(1).split() if m else []
    check(tag + "IGT: i915 offers every engine of the vGPU (%s)" % " ".join(ENGINES),
          all(e in found for e in ENGINES), "engines: %s" % (" ".join(found) if m else "no E2E-IGT-ENGINES line"))
    for prog, variant, what in RUNS:
        r = igt_line(g, prog, variant)
        # A GPU reset during the run (i915's count before and after it;
        # IGT's exit handler wedges and resets the GT without a dmesg line).
        reset = re.search(r"E2E-IGT-RESET: %s %s ([^\r\n]*)" % (re.escape(prog), re.escape(variant)), g)
        ok = r is not None and r[0] == "SUCCESS" and re.match(r"-?[0-9]", r[2]) is not None and not reset
        check(tag + "IGT %s %s: %s" % (prog, variant, what), ok,
              ("%s in %.2f s: %s %s" % r if r else "no E2E-IGT line") +
              ("; " + reset.group(1) if reset else ""))
        if r:
            print("INFO: %sIGT %s %s: %s (%s, %.2f s of guest time)" % (tag, prog, variant, r[2], r[0], r[1]))
    # The rate derived from two processes' run times counts IGT's own
    # start-up and event handling under emulation (15.9 Hz measured while
    # the counter ran at 60): a figure, not a check. judge.py checks the
    # rate from i915's counter and event stamps (vblank-rate).
    r = igt_line(g, "kms_vblank", "rate")
    if r:
        print("INFO: %sIGT kms_vblank rate: %s" % (tag, r[2]))
    # IGT's exit handler wedges the GT when its engines are not idle within
    # 200 ms of a run's end: the GPU must still do the guest's own work.
    w = re.search(r"E2E-IGT-WEDGED: ([^\s,]+)", g)
    check(tag + "IGT: after the runs i915 is not wedged and GPU work is still right",
          w is not None and w.group(1) != "1" and re.search(r"E2E-IGT-GPU: all ok", g) is not None,
          "i915_wedged %s; %s" % (w.group(1) if w else "?",
                                  "; ".join(re.findall(r"E2E-IGT-GPU: [^\r\n]*", g))[:200] or "no E2E-IGT-GPU line"))
    d = re.search(r"E2E-IGT-DONE: ([^\r\n]*)", g)
    if d:
        print("INFO: %sIGT: %s" % (tag, d.group(1)))
