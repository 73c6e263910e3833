#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/):
inputs a well-behaved guest or toolstack would produce, in each target's
record format, so the fuzzer starts from the device's normal paths.
Run from anywhere; the files are committed."""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# fuzz_ioreq: op (1) | where (4) | [where high (4)] | data (8) | flags (2)
def sync(space, where, data, size_log2, read, rep=None, ptr=False, vcpu=0, type_idx=0):
    op = space & 3
    rec = bytes([op]) + struct.pack("<I", where & 0xffffffff)
    if space == 3:
        rec += struct.pack("<I", where >> 32)
    f = size_log2 | (0x10 if rep else 0) | (read << 5) | ((1 << 7) if ptr else 0)
    f |= type_idx << 8 | vcpu << 12
    rec += struct.pack("<QH", data, f)
    if rep:
        rec += struct.pack("<I", rep)
    return rec


put("fuzz_ioreq", "pvinfo-read", sync(0, 0x78000, 0, 3, 1) + sync(0, 0x78008, 0, 2, 1))
put("fuzz_ioreq", "ggtt-write", sync(0, 0x800000, 0x100001, 3, 0) + sync(0, 0x800000, 0, 3, 1))
put("fuzz_ioreq", "cfg-bar-sizing",
    sync(2, 0x10, 0xffffffff, 2, 0) + sync(2, 0x10, 0, 2, 1) + sync(2, 0x10, 0xe0000000, 2, 0))
put("fuzz_ioreq", "rep-from-ram", sync(0, 0x78800, 0x1000, 2, 0, rep=16, ptr=True))
put("fuzz_ioreq", "aperture", sync(1, 0x1000, 0x55aa55aa, 2, 0) + sync(1, 0x1000, 0, 2, 1))
put("fuzz_ioreq", "invalidate", sync(0, 0, 0, 0, 0, type_idx=4))
slot = struct.pack("<BBHI", 1, 2 << 2, 0x8000, 0x12345678)  # MMIO write, 4 bytes
put("fuzz_ioreq", "buffered", bytes([0x80 | 0x20 | 3]) + slot * 4)

# fuzz_pci: flags (1) | reg (2) | [value (4) if write]
def cfg(reg, size_log2, write, val=0, touch=False):
    f = size_log2 | (4 if write else 0) | (8 if touch else 0)
    return bytes([f]) + struct.pack("<H", reg) + (struct.pack("<I", val) if write else b"")


bios = b"".join([cfg(0x10, 2, 1, 0xffffffff), cfg(0x10, 2, 0), cfg(0x10, 2, 1, 0xe0000000),
                 cfg(0x18, 2, 1, 0xffffffff), cfg(0x18, 2, 0), cfg(0x18, 2, 1, 0xc0000000),
                 cfg(0x04, 1, 1, 6, touch=True)])
put("fuzz_pci", "bios", bios)
put("fuzz_pci", "msi", cfg(0x34, 0, 0) + cfg(0xac, 1, 0) + cfg(0xb0, 2, 1, 0xfee00000) +
    cfg(0xae, 1, 1, 1))
put("fuzz_pci", "move-bar0", bios + cfg(0x10, 2, 1, 0xd0000000, touch=True))
put("fuzz_pci", "flr", cfg(0x78, 1, 1, 0x8000) + cfg(0x04, 1, 0))
put("fuzz_pci", "opregion", cfg(0xfc, 2, 0) + cfg(0xe8, 2, 1, 1) + cfg(0x50, 1, 0))


# fuzz_bar0 / fuzz_display: flags (1) | offset (3) | value (8)
def rec(window, kind, size_log2, off, val=0):
    return bytes([window | size_log2 << 3 | kind << 5]) + struct.pack("<I", off)[:3] + \
        struct.pack("<Q", val)


W, R, RAM, TICK = 0, 3, 5, 7
put("fuzz_bar0", "pvinfo", rec(0, R, 3, 0) + rec(0, R, 2, 0x10) + rec(0, W, 2, 0x20, 3))
put("fuzz_bar0", "ggtt", rec(1, W, 3, 0, 0x100001) + rec(1, R, 3, 0) + rec(1, W, 3, 0x1000, 3))
put("fuzz_bar0", "forcewake", rec(4, W, 2, 0x188, 0x00010001) + rec(4, R, 2, 0x130))
put("fuzz_bar0", "irq", rec(2, W, 2, 0x200, 0x80000000) + rec(2, W, 2, 0x304, 0) +
    rec(2, R, 2, 0x308))
put("fuzz_bar0", "gdrst", rec(6, W, 2, 0x941c, 1) + rec(6, R, 2, 0x941c))
put("fuzz_bar0", "ticks", rec(0, TICK, 0, 0) * 4)
aux_native_read = (0x9 << 28) | (0 << 8) | 15   # native read, DPCD 0, 16 bytes
put("fuzz_display", "aux-dpcd",
    rec(0, W, 2, 0x14, aux_native_read << 0) + rec(0, W, 2, 0x10, 0x80000000 | 4 << 20) +
    rec(0, R, 2, 0x10) + rec(0, R, 2, 0x14))
put("fuzz_display", "gmbus-edid",
    rec(1, W, 2, 0x00, 5) + rec(1, W, 2, 0x04, 0x42000000 | 128 << 16 | 0x50 << 1 | 1) +
    rec(1, R, 2, 0x08) + rec(1, R, 2, 0x0c) * 4)
# A 64x64 XRGB8888 linear plane at graphics address 0, its four pages
# mapped to guest-physical 0x100000.., a pattern in them, a flip, a vblank.
plane = b"".join(rec(5, W, 3, 8 * i, (0x100000 + 0x1000 * i) | 1) for i in range(4))
plane += (rec(3, W, 2, 0x1c, (63 << 16) | 63) + rec(2, W, 2, 0x08, 0x80000000) +
          rec(2, W, 2, 0x180, 0x84000000) + rec(2, W, 2, 0x188, 4) +
          rec(2, W, 2, 0x190, (63 << 16) | 63) + rec(2, W, 2, 0x19c, 0))
plane += b"".join(rec(0, RAM, 0, (0x100000 >> 3) + 64 * i, 0x00ff00ff00ff00ff) for i in range(8))
plane += rec(0, TICK, 0, 0)
put("fuzz_display", "plane-linear", plane)
put("fuzz_display", "cursor", plane + rec(2, W, 2, 0x80, 0x27) + rec(2, W, 2, 0x88, 0x1000) +
    rec(2, W, 2, 0x84, 0) + rec(0, TICK, 0, 0))

# fuzz_cmd: engine (1) | flags (1) | head/4 (2) | tail/4 (2) | ring | memory at 0x40000
def dw(*v):
    return b"".join(struct.pack("<I", x & 0xffffffff) for x in v)


MI_NOOP, MI_USER_INTERRUPT, MI_BBE = 0, 0x02 << 23, 0x0a << 23
SDI_GGTT = (0x20 << 23) | (1 << 22) | 2
BB_START = (0x31 << 23) | 1
LRI1 = (0x22 << 23) | 1
PIPE_CONTROL = 0x7a000000 | 4
ring = dw(SDI_GGTT, 0x3000, 0, 0x1234, MI_USER_INTERRUPT, BB_START, 0x40000, 0, MI_NOOP)
batch = dw(SDI_GGTT, 0x3004, 0, 0x5678, LRI1, 0x2000 + 0x600, 0, PIPE_CONTROL,
           (1 << 14) | (1 << 24) | (1 << 8), 0x3008, 0, 1, 0, MI_BBE)
pad = lambda b, n: b + bytes(n - len(b))
put("fuzz_cmd", "rcs-store-batch", bytes([0, 0]) + struct.pack("<HH", 0, len(ring) // 4) +
    pad(ring, 0x4000) + batch)
put("fuzz_cmd", "bcs-two-elements", bytes([1, 0x20]) + struct.pack("<HH", 0, 4) +
    pad(dw(MI_NOOP, MI_NOOP, MI_USER_INTERRUPT, MI_NOOP), 0x4000))
put("fuzz_cmd", "ppgtt-lite-restore", bytes([2, 0x10 | 3 << 2]) + struct.pack("<HH", 0, 8) +
    pad(dw(0x20 << 23 | 2, 0x1000, 0, 7, MI_USER_INTERRUPT, MI_NOOP, MI_NOOP, MI_NOOP), 0x4000) +
    # 4-level tables from graphics address 0x40000 (guest-physical 0x140000):
    # PML4, PDP, PD, PT, then the page VA 0x1000 maps to.
    struct.pack("<Q", 0x141003).ljust(0x1000, b"\0") +
    struct.pack("<Q", 0x142003).ljust(0x1000, b"\0") +
    struct.pack("<Q", 0x143003).ljust(0x1000, b"\0") +
    (bytes(8) + struct.pack("<Q", 0x144003)).ljust(0x1000, b"\0"))
put("fuzz_cmd", "self-loop", bytes([0, 0]) + struct.pack("<HH", 0, 4) +
    pad(dw(BB_START, 0x40000, 0, MI_NOOP), 0x4000) + dw(BB_START, 0x40000, 0))

# fuzz_state: byte 0 even: patch records section (1) | offset (4) | len (1) | bytes
put("fuzz_state", "identity", bytes([0]))
put("fuzz_state", "patch-regs", bytes([0, 2]) + struct.pack("<I", 0x2034) + bytes([4]) +
    b"\xff\xff\x00\x00")
put("fuzz_state", "truncate-ggtt", bytes([0, 3]) + struct.pack("<I", 100) + bytes([0xff]))
put("fuzz_state", "raw", bytes([1]) + b"XGVTSTAT" + bytes(40))


# fuzz_savefile: a well-formed file as xl-vgpu save writes it.
def section(tag, data):
    sh = tag.encode().ljust(16, b"\0") + struct.pack("<Q", len(data))
    crc = zlib.crc32(data, zlib.crc32(sh))
    return sh + struct.pack("<II", crc, 0) + data


def savefile(sections):
    return b"XGVTSAVE" + struct.pack("<II", 1, len(sections)) + b"".join(sections)


good = [section("name", b"win10"), section("vgpu0.spec", b"type=GVTg_V5_4"),
        section("vgpu0.state", b"XGVTSTAT" + bytes(24)), section("xl", b"xl-image")]
put("fuzz_savefile", "good", savefile(good))
put("fuzz_savefile", "two-vgpus", savefile(good[:3] + [section("vgpu1.spec", b"sbdf=0000:00:03.0"),
                                                     section("vgpu1.state", b"x"), good[3]]))
put("fuzz_savefile", "truncated", savefile(good)[:60])

# fuzz_vgpu_entry: xl.cfg entries.
for i, e in enumerate([b"type=GVTg_V5_4,sbdf=0000:00:02.0,vnc=127.0.0.1:5901",
                       b"type=GVTg_V5_8,resolution=1280x720,log_level=debug",
                       b"edid=/etc/xen/monitor.bin,kms=/dev/dri/card0:DP-1,io_bar=1",
                       b"device_id=0x1912,sbdf=00:02.0", b"type=,,=,sbdf=zz"]):
    put("fuzz_vgpu_entry", "entry%d" % i, e)


# fuzz_bars: op (1) | a (4) | b (8). Ops (low 3 bits): 0 config write
# (bits 7:5 pick the register), 1 GGTT entry (bit 6: raw), 2 aperture
# (bit 6 write, bit 7 beyond the slice, bits 4:3 size), 3 guest RAM,
# 4 sync point (bit 6: GFX_FLSH_CNTL), 5 time passes + capture,
# 6 Xen refuses moves (bit 7), 7 save.
def bars(op, a=0, b=0):
    return bytes([op]) + struct.pack("<IQ", a & 0xffffffff, b & 0xffffffffffffffff)


# The console through the aperture: bind 4 pages, draw, show, a vblank.
console = b"".join(bars(1 | 0x80, 8 * i, 0x400 + i) for i in range(4))
console += bars(4 | 0x40)
console += b"".join(bars(2 | 0x40 | (2 << 3), 4 * i, 0x00ff00ff) for i in range(64))
console += bars(3, 0x400010, 0x1234) + bars(4) + bars(5, 0, 0x84000000) + bars(7)
put("fuzz_bars", "console-through-aperture", console)
# BAR0 and BAR2 moved, once with Xen refusing, entries kept.
moves = bars(1 | 0x80, 16, 0x401) + bars(0 | (0 << 5), 0x4) + bars(0 | (1 << 5), 0xd1000000)
moves += bars(0 | (0 << 5), 0x6) + bars(1 | 0x80, 24, 0x402) + bars(6 | 0x80)
moves += bars(0 | (3 << 5), 0xb0000000) + bars(2 | 0x40, 8, 7) + bars(6)
moves += bars(0 | (3 << 5), 0xc0000000) + bars(4) + bars(7)
put("fuzz_bars", "bar-moves", moves)
# Sizing: all-ones written and read back, then placed again.
sizing = bars(0 | (1 << 5), 0xffffffff) + bars(0 | (2 << 5), 0xffffffff)
sizing += bars(0 | (1 << 5), 0xe0000000) + bars(0 | (2 << 5), 0) + bars(1 | 0x80, 0, 0x500) + bars(4 | 0x40)
put("fuzz_bars", "bar-sizing", sizing)


# fuzz_edid: files offered with --edid: a valid 1280x720 EDID, one with a
# bad checksum, one with a bad header, a short one.
def edid_1280x720():
    e = bytearray(128)
    e[0:8] = b"\x00\xff\xff\xff\xff\xff\xff\x00"
    e[8:10] = b"\x31\xd8"  # manufacturer "LXN"
    e[18], e[19] = 1, 4     # EDID 1.4
    d = 54                  # first detailed timing: 74.25 MHz 1280x720
    e[d:d + 2] = (7425).to_bytes(2, "little")
    e[d + 2], e[d + 3], e[d + 4] = 0x00, 0x72, 0x51
    e[d + 5], e[d + 6], e[d + 7] = 0xd0, 0x1e, 0x20
    e[127] = (256 - sum(e[:127]) % 256) % 256
    return bytes(e)


good = edid_1280x720()
put("fuzz_edid", "valid-1280x720", good)
put("fuzz_edid", "bad-checksum", good[:127] + bytes([(good[127] + 1) % 256]))
put("fuzz_edid", "bad-header", b"\x01" + good[1:])
put("fuzz_edid", "short", good[:100])


# fuzz_cmdgen: engine (1) | flags (1) | records kind (1) | a (4) | b (4);
# kind 0xff moves on to the next stream (ring, batch 0, 1, 2). Flags bits
# 0-2: batch i is PPGTT; bits 3+: the PPGTT's shape.
def gen(kind, a=0, b=0):
    return bytes([kind]) + struct.pack("<II", a & 0xffffffff, b & 0xffffffff)


NEXT = bytes([0xff]) + bytes(8)
# The ring stores, flushes, calls batch 0 (GGTT) which calls batch 1
# (PPGTT, second level) which stores and blits through the PPGTT.
ring = gen(2, 0x10, 0x1111) + gen(4, 0x20, 0x100) + gen(6, 0, 0) + gen(8) + gen(5, 0x30, 7)
b0 = gen(3, 0, 0) + gen(6, 1, 3) + gen(12, 0x00010000, 3) + gen(11, 2, 0)
b1 = gen(2, 0x40000100, 0x2222) + gen(9, 0x40000000, 0x00aa) + gen(10, 0x40000400, 0x40000000)
b1 += gen(13, 0x40000800, 0x40000000)
put("fuzz_cmdgen", "ring-batch-ppgtt", bytes([0, 0b010]) + ring + NEXT + b0 + NEXT + b1)
put("fuzz_cmdgen", "blitter", bytes([1, 0b001]) + gen(6, 0, 2) + gen(5, 0, 1) + NEXT +
    gen(9, 0, 0x123) + gen(10, 0x100, 0x800) + gen(9, 0x40000000, 0x3f))
put("fuzz_cmdgen", "huge-and-holes", bytes([0, 0b0111 | (3 << 3)]) + gen(6, 0, 2) + NEXT + NEXT +
    gen(2, 0x7fff0000, 1) + gen(2, 0x40000000, 2) + gen(13, 0x40000000, 0x7ffff000))
put("fuzz_cmdgen", "denied-lri", bytes([2, 0]) + gen(3, 0x5555, 0x10001) + gen(3, 0x4, 2))
