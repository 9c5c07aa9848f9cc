#!/usr/bin/python3
"""image_check.py: test helper for specmorph-image (tests/tools/test_image.sh).

Reads and writes PNG files by hand (zlib + struct; python3-png is not
needed), so the test can check the tool's images independently of libpng
and forge broken ones. Subcommands:

  meta IMG.png                  print the text chunks, key=value per line
  info IMG.png                  width height bitdepth colourtype
  bound IN.wav IMG.png          quantisation bound on the round-trip SNR (dB)
                                of the colour image IMG made from IN, from
                                the README's per-bin error model
  hsv IMG.png                   check every pixel is an exact HSV code:
                                min channel 0, hue step H integer in
                                [0, 6v), re-encoding gives the pixel
  snr REF.wav TEST.wav          SNR of TEST against REF (dB)
  stats F.wav                   frames rate peak rms finite
  gray OUT.png W H [seed]       a synthetic 16-bit gray image, no metadata
  graya OUT.png W H             a 16-bit gray+alpha image, no metadata
  rgb8 OUT.png W H              an 8-bit RGB image
  strip IN OUT                  IN without its text chunks
  palette OUT.png               a palette image
  zero OUT.png                  a PNG whose IHDR says width 0
  truncate IN OUT N             the first N bytes of IN
  badcrc IN OUT                 IN with the CRC of its first IDAT broken
  badidat IN OUT                IN with zlib data of its first IDAT damaged
                                (CRC recomputed, so only inflate sees it)
  settext IN OUT KEY VALUE      IN with text chunk KEY set to VALUE (added
                                when absent; VALUE '-' removes it)
"""
import struct
import sys
import zlib

import numpy as np

SIG = b"\x89PNG\r\n\x1a\n"


def chunks(data):
    if data[:8] != SIG:
        raise SystemExit("not a PNG")
    pos = 8
    out = []
    while pos + 8 <= len(data):
        n, t = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        out.append((t, body))
        pos += 12 + n
        if t == b"IEND":
            break
    return out


def chunk(t, body):
    return (struct.pack(">I", len(body)) + t + body +
            struct.pack(">I", zlib.crc32(t + body) & 0xffffffff))


def build(chs):
    return SIG + b"".join(chunk(t, b) for t, b in chs)


def read(path):
    return open(path, "rb").read()


def texts(chs):
    d = []
    for t, b in chs:
        if t == b"tEXt":
            k, v = b.split(b"\0", 1)
            d.append((k.decode("latin-1"), v.decode("latin-1")))
    return d


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def pixels(path):
    """16-bit pixels as an int array [height, width, channels]."""
    chs = chunks(read(path))
    w, h, depth, ct, _, _, il = struct.unpack(">IIBBBBB", chs[0][1])
    assert depth == 16 and il == 0, "only 16-bit non-interlaced"
    nch = {0: 1, 2: 3, 4: 2, 6: 4}[ct]
    bpp = 2 * nch
    raw = zlib.decompress(b"".join(b for t, b in chs if t == b"IDAT"))
    stride = w * bpp
    img = np.zeros((h, stride), dtype=np.int64)
    prev = np.zeros(stride, dtype=np.int64)
    pos = 0
    for y in range(h):
        f = raw[pos]
        line = np.frombuffer(raw[pos + 1:pos + 1 + stride],
                             dtype=np.uint8).astype(np.int64)
        pos += 1 + stride
        cur = line.copy()
        if f == 1:
            for i in range(bpp, stride):
                cur[i] = (cur[i] + cur[i - bpp]) & 255
        elif f == 2:
            cur = (cur + prev) & 255
        elif f == 3:
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((a + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                c = prev[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + paeth(a, prev[i], c)) & 255
        img[y] = cur
        prev = cur
    px = (img[:, 0::2] << 8) | img[:, 1::2]
    return px.reshape(h, w, nch)


def write_png(path, w, h, depth, ct, rows, extra=()):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ct, 0, 0, 0)
    raw = b"".join(b"\0" + r for r in rows)
    chs = [(b"IHDR", ihdr)] + list(extra) + [
        (b"IDAT", zlib.compress(raw, 9)), (b"IEND", b"")]
    open(path, "wb").write(build(chs))


def stft(x, n, hop):
    """The tool's framing (offline.h): window - hop zeros first."""
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    frames = (len(x) - 1 + n - hop) // hop + 1
    xp = np.concatenate([np.zeros(n - hop), x, np.zeros(n)])
    return np.array([np.fft.rfft(xp[m * hop:m * hop + n] * w)
                     for m in range(frames)])


def frame_ratio(n, hop):
    w2 = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)) ** 2
    s = [w2[i::hop].sum() for i in range(hop)]
    return max(s) / min(s)


def wav(path):
    import soundfile
    x, rate = soundfile.read(path, dtype="float64", always_2d=True)
    return x.mean(axis=1), rate


def bound(wavpath, pngpath):
    meta = dict(texts(chunks(read(pngpath))))
    assert meta["specmorph:freq_scale"] == "linear"
    assert meta["specmorph:content"] == "magnitude+phase"
    n = int(meta["specmorph:window"])
    hop = int(meta["specmorph:hop"])
    top = 0.5 * n * 10 ** (float(meta["specmorph:top_db"]) / 20)
    x, _ = wav(wavpath)
    X = stft(x, n, hop)                      # frames x bins
    px = pixels(pngpath)                      # rows x frames x 3
    v = px.max(axis=2)[::-1, :].T             # frames x bins, bin 0 first
    assert v.shape == X.shape, (v.shape, X.shape)
    a = np.abs(X)
    assert a.max() <= top * (1 + 1e-6), "clipped: bound does not apply"
    vv = np.maximum(v, 1).astype(np.float64)
    if meta["specmorph:scale"] == "log":
        step = float(meta["specmorph:db_range"]) / 65535
        em = np.full(v.shape, 10 ** (step / 40) - 1)
    else:
        p = float(meta["specmorph:power"])
        em = ((vv + 0.5) / vv) ** (1 / p) - 1
    ep = np.pi / (6 * vv)
    # Per bin: |X| (1e-6 for float32 arithmetic on top) when above the
    # floor, |X| itself (decoded as silence) when at brightness 0.
    e = np.where(v > 0, a * (em + (1 + em) * ep + 1e-6), a)
    wgt = np.full(X.shape[1], 2.0)
    wgt[0] = wgt[-1] = 1.0
    sig = (wgt * a ** 2).sum()
    err = (wgt * e ** 2).sum()
    return 10 * np.log10(sig / err) - 10 * np.log10(frame_ratio(n, hop))


def main(argv):
    cmd = argv[1]
    if cmd == "meta":
        for k, v in texts(chunks(read(argv[2]))):
            print("%s=%s" % (k, v))
    elif cmd == "info":
        w, h, depth, ct = struct.unpack(">IIBB", chunks(read(argv[2]))[0][1][:10])
        print(w, h, depth, ct)
    elif cmd == "bound":
        print("%.3f" % bound(argv[2], argv[3]))
    elif cmd == "hsv":
        px = pixels(argv[2]).reshape(-1, 3)
        r, g, b = px[:, 0], px[:, 1], px[:, 2]
        v = px.max(axis=1)
        assert (px.min(axis=1) == 0).all(), "a pixel with min channel > 0"
        nz = v > 0
        r, g, b, v = r[nz], g[nz], b[nz], v[nz]
        # H from the sextant table (README): the channel equal to v and
        # the middle channel give s and f.
        H = np.where((r == v) & (b == 0), g,                  # s 0
            np.where((g == v) & (b == 0), 2 * v - r,          # s 1 (r>0)
            np.where((g == v) & (r == 0), 2 * v + b,          # s 2
            np.where((b == v) & (r == 0), 4 * v - g,          # s 3 (g>0)
            np.where((b == v) & (g == 0), 4 * v + r,          # s 4
                     6 * v - b)))))                            # s 5 (b>0)
        assert ((H >= 0) & (H < 6 * v)).all(), "hue step out of range"
        s_, f = H // v, H % v
        er = np.select([s_ == 0, s_ == 1, s_ == 2, s_ == 3, s_ == 4],
                       [v, v - f, 0, 0, f], v)
        eg = np.select([s_ == 0, s_ == 1, s_ == 2, s_ == 3, s_ == 4],
                       [f, v, v, v - f, 0], 0)
        eb = np.select([s_ == 0, s_ == 1, s_ == 2, s_ == 3, s_ == 4],
                       [0, 0, f, v, v], v - f)
        assert (er == r).all() and (eg == g).all() and (eb == b).all(), \
            "a pixel that is not the code of its (v, H)"
        print(int(nz.sum()), "pixels ok")
    elif cmd == "snr":
        a, _ = wav(argv[2])
        b, _ = wav(argv[3])
        assert len(a) == len(b), (len(a), len(b))
        err = ((a - b) ** 2).sum()
        print("%.3f" % (10 * np.log10((a ** 2).sum() / err) if err else 999))
    elif cmd == "stats":
        x, rate = wav(argv[2])
        print(len(x), rate, "%.6g" % np.abs(x).max(),
              "%.6g" % np.sqrt((x ** 2).mean()), int(np.isfinite(x).all()))
    elif cmd == "gray":
        w, h = int(argv[3]), int(argv[4])
        seed = int(argv[5]) if len(argv) > 5 else 1
        rng = np.random.default_rng(seed)
        # Painted strokes: a few horizontal lines (tones) and a vertical
        # one (a click) over a dark noisy background.
        img = (rng.random((h, w)) * 20000).astype(np.int64)
        for r in range(0, h, max(1, h // 5)):
            img[r, :] = 60000
        img[:, w // 2] = 50000
        rows = [struct.pack(">%dH" % w, *map(int, img[y])) for y in range(h)]
        write_png(argv[2], w, h, 16, 0, rows)
    elif cmd == "graya":
        w, h = int(argv[3]), int(argv[4])
        rows = [struct.pack(">%dH" % (2 * w),
                            *[v for x in range(w)
                              for v in ((x * 997 + y * 131) % 65536, 65535)])
                for y in range(h)]
        write_png(argv[2], w, h, 16, 4, rows)
    elif cmd == "strip":
        chs = [(t, b) for t, b in chunks(read(argv[2]))
               if t not in (b"tEXt", b"zTXt", b"iTXt")]
        open(argv[3], "wb").write(build(chs))
    elif cmd == "rgb8":
        w, h = int(argv[3]), int(argv[4])
        rows = [bytes([(x * 7 + y) & 255 for x in range(w) for _ in range(3)])
                for y in range(h)]
        write_png(argv[2], w, h, 8, 2, rows)
    elif cmd == "palette":
        ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 3, 0, 0, 0)
        raw = b"".join(b"\0" + bytes(4) for _ in range(4))
        open(argv[2], "wb").write(build([
            (b"IHDR", ihdr), (b"PLTE", bytes(3)),
            (b"IDAT", zlib.compress(raw)), (b"IEND", b"")]))
    elif cmd == "zero":
        ihdr = struct.pack(">IIBBBBB", 0, 16, 16, 0, 0, 0, 0)
        open(argv[2], "wb").write(build([
            (b"IHDR", ihdr), (b"IDAT", zlib.compress(b"")),
            (b"IEND", b"")]))
    elif cmd == "truncate":
        open(argv[3], "wb").write(read(argv[2])[:int(argv[4])])
    elif cmd == "badcrc":
        data = bytearray(read(argv[2]))
        pos = 8
        while True:
            n, t = struct.unpack(">I4s", data[pos:pos + 8])
            if t == b"IDAT":
                data[pos + 8 + n] ^= 0xff       # first CRC byte
                break
            pos += 12 + n
        open(argv[3], "wb").write(bytes(data))
    elif cmd == "badidat":
        chs = chunks(read(argv[2]))
        for i, (t, b) in enumerate(chs):
            if t == b"IDAT":
                bb = bytearray(b)
                for j in range(2, min(len(bb), 64)):
                    bb[j] ^= 0x5a
                chs[i] = (t, bytes(bb))
                break
        open(argv[3], "wb").write(build(chs))
    elif cmd == "settext":
        key, val = argv[4], argv[5]
        chs = chunks(read(argv[2]))
        out, done = [], False
        for t, b in chs:
            if t == b"tEXt" and b.split(b"\0", 1)[0].decode("latin-1") == key:
                if val != "-" and not done:
                    out.append((t, key.encode() + b"\0" + val.encode()))
                done = True
                continue
            if t == b"IDAT" and not done and val != "-":
                out.append((b"tEXt", key.encode() + b"\0" + val.encode()))
                done = True
            out.append((t, b))
        open(argv[3], "wb").write(build(out))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
