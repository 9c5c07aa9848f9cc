#!/usr/bin/env python3
"""sc_nrt.py: writes the SuperCollider NRT score that tools/bench.sh times.

    python3 sc_nrt.py A.wav B.wav SECONDS SCORE.osc

The score holds the SynthDef (binary SCgf version 2, built here so that
sclang, and the Qt it pulls in, is not needed) and the commands; bench.sh
then runs only the server:

    scsynth -N SCORE.osc _ OUT.wav 48000 WAV float -o 1 -i 0

The SynthDef is what sclang would build from

    SynthDef(\\smmorph, {
        var a = PlayBuf.ar(1, 0), b = PlayBuf.ar(1, 1);
        var ca = FFT(2, a, 0.25, 1), cb = FFT(3, b, 0.25, 1);  // 2048, Hann
        Out.ar(0, IFFT(PV_Morph(ca, cb, 0.5), 1));
    })

with buffers 0 and 1 read from the two files and buffers 2 and 3 of 2048
frames for the FFTs (hop 0.25 = 512). PV_Morph is in sc3-plugins
(BhobFFT; Debian package sc3-plugins-server).
"""
import struct
import sys

FFT_SIZE = 2048
HOP = 0.25
HANN = 1
MORPH = 0.5

SCALAR, CONTROL, AUDIO = 0, 1, 2


def pstr(s):
    b = s.encode()
    return struct.pack(">B", len(b)) + b


def synthdef():
    consts = [0.0, 1.0, 2.0, 3.0, HOP, MORPH, float(HANN)]

    def k(v):  # constant input
        return (-1, consts.index(v))

    # (name, rate, inputs, output rates); inputs: (ugen index, output) or k()
    ugens = [
        # 0, 1: PlayBuf.ar(1, bufnum, rate 1, trigger 1, start 0, loop 0,
        #       doneAction 0)
        ("PlayBuf", AUDIO, [k(0.0), k(1.0), k(1.0), k(0.0), k(0.0), k(0.0)],
         [AUDIO]),
        ("PlayBuf", AUDIO, [k(1.0), k(1.0), k(1.0), k(0.0), k(0.0), k(0.0)],
         [AUDIO]),
        # 2, 3: FFT(buffer, in, hop, wintype, active 1, winsize 0 = size)
        ("FFT", CONTROL, [k(2.0), (0, 0), k(HOP), k(float(HANN)), k(1.0),
                          k(0.0)], [CONTROL]),
        ("FFT", CONTROL, [k(3.0), (1, 0), k(HOP), k(float(HANN)), k(1.0),
                          k(0.0)], [CONTROL]),
        # 4: PV_Morph(bufferA, bufferB, morph)
        ("PV_Morph", CONTROL, [(2, 0), (3, 0), k(MORPH)], [CONTROL]),
        # 5: IFFT.ar(buffer, wintype, winsize 0)
        ("IFFT", AUDIO, [(4, 0), k(float(HANN)), k(0.0)], [AUDIO]),
        # 6: Out.ar(bus 0, signal)
        ("Out", AUDIO, [k(0.0), (5, 0)], []),
    ]
    b = b"SCgf" + struct.pack(">iH", 2, 1) + pstr("smmorph")
    b += struct.pack(">i", len(consts))
    b += b"".join(struct.pack(">f", c) for c in consts)
    b += struct.pack(">ii", 0, 0)  # no parameters, no parameter names
    b += struct.pack(">i", len(ugens))
    for name, rate, ins, outs in ugens:
        b += pstr(name) + struct.pack(">biih", rate, len(ins), len(outs), 0)
        b += b"".join(struct.pack(">ii", u, o) for u, o in ins)
        b += b"".join(struct.pack(">b", r) for r in outs)
    b += struct.pack(">H", 0)  # no variants
    return b


def pad4(b):
    return b + b"\0" * (4 - len(b) % 4)  # strings: at least one NUL


def osc_msg(addr, *args):
    tags, data = ",", b""
    for a in args:
        if isinstance(a, int):
            tags += "i"
            data += struct.pack(">i", a)
        elif isinstance(a, float):
            tags += "f"
            data += struct.pack(">f", a)
        elif isinstance(a, str):
            tags += "s"
            data += pad4(a.encode())
        else:  # blob
            tags += "b"
            data += struct.pack(">i", len(a)) + a + b"\0" * (-len(a) % 4)
    return pad4(addr.encode()) + pad4(tags.encode()) + data


def bundle(t, msgs):
    sec = int(t)
    frac = int((t - sec) * 4294967296.0)
    b = b"#bundle\0" + struct.pack(">II", sec, frac)
    for m in msgs:
        b += struct.pack(">i", len(m)) + m
    return struct.pack(">i", len(b)) + b


def main():
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    a, b, secs, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    score = bundle(0.0, [
        osc_msg("/d_recv", synthdef()),
        osc_msg("/b_allocRead", 0, a),
        osc_msg("/b_allocRead", 1, b),
        osc_msg("/b_alloc", 2, FFT_SIZE),
        osc_msg("/b_alloc", 3, FFT_SIZE),
        # s_new name, node id, addAction 0 (head), target 0 (root group)
        osc_msg("/s_new", "smmorph", 1000, 0, 0),
    ])
    # NRT stops at the last bundle's time: this one sets the length.
    score += bundle(secs, [osc_msg("/c_set", 0, 0)])
    with open(out, "wb") as f:
        f.write(score)
    return 0


if __name__ == "__main__":
    sys.exit(main())
