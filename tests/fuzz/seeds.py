#!/usr/bin/python3
"""seeds.py OUTDIR: a seed corpus of valid OSC datagrams for fuzz_osc
(sets of every type tag, queries, bundles, nested bundles), so the fuzzer
starts from inputs that reach the dispatch code."""
import os
import struct
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def pad(b):
    return b + b"\0" * (4 - len(b) % 4)


def msg(path, tags="", *args):
    b = pad(path.encode()) + pad(("," + tags).encode())
    for t, a in zip(tags, args):
        if t == "i":
            b += struct.pack(">i", a)
        elif t == "h":
            b += struct.pack(">q", a)
        elif t == "f":
            b += struct.pack(">f", a)
        elif t == "d":
            b += struct.pack(">d", a)
        elif t == "s":
            b += pad(a.encode())
        elif t == "b":
            b += struct.pack(">i", len(a)) + a + b"\0" * (-len(a) % 4)
    return b


def bundle(*elems):
    b = b"#bundle\0" + struct.pack(">Q", 1)
    for e in elems:
        b += struct.pack(">i", len(e)) + e
    return b


seeds = [
    msg("/specmorph/morph/position", "f", 0.25),
    msg("/specmorph/mask/k", "i", 3),
    msg("/specmorph/mask/k", "h", 4),
    msg("/specmorph/mask/k", "d", 2.5),
    msg("/specmorph/mask/type", "s", "wiener"),
    msg("/specmorph/bands/count", "T"),
    msg("/specmorph/output/width", "F"),
    msg("/specmorph/norm/bands/xover_lo_hz", "f", 0.5),
    msg("/specmorph/bands/lf_window", "i", 8192),
    msg("/specmorph/get", "s", "/specmorph/mask/k"),
    msg("/specmorph/list"),
    msg("/specmorph/subscribe", "i", 9),
    msg("/specmorph/unsubscribe"),
    msg("/specmorph/status"),
    msg("/specmorph/ping"),
    msg("/specmorph/preset/lowlatency"),
    msg("/specmorph/config/save"),
    msg("/specmorph/mask/k", "b", b"\x01\x02\x03"),
    bundle(msg("/specmorph/bands/xover_lo_hz", "f", 3000.0),
           msg("/specmorph/bands/xover_hi_hz", "f", 6000.0)),
    bundle(bundle(msg("/specmorph/ping")), msg("/specmorph/mask/k", "f", 1.0)),
]
for i, s in enumerate(seeds):
    with open(os.path.join(out, "seed%02d" % i), "wb") as f:
        f.write(s)
