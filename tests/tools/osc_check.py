#!/usr/bin/python3
# osc_check.py: the OSC side of tests/tools/test_osc.sh. Each section talks
# to a running specmorphd on 127.0.0.1 with real clients (liblo for the
# messages a surface sends, a raw UDP socket for what liblo would never
# encode) and prints one "ok: ..." or "FAIL: ..." line per check; the
# shell counts them. "info: ..." lines are shown with SM_VERBOSE=1.
#
#   osc_check.py freeport
#   osc_check.py SECTION PORT [ARGS...]
#
# Sections (see test_osc.sh for which daemon each one gets): params,
# coerce, norm, reject, allow, subscribe, bundle, saveload, atomic,
# preset, fuzz, flood. The parameter table comes from /specmorph/list;
# rows are named only where a rule about them is tested (the crossover
# pair's 1.5 x rule, window/hop pairs, bands.count of a preset). Exit
# status 0 when the section ran to its end (whatever it found), 3 when it
# crashed.
#
# Run with Debian's /usr/bin/python3 (python3-liblo).
import math
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback

import liblo

P = "/specmorph/"
NORM = P + "norm/"


def ok(msg):
    print("ok: " + msg, flush=True)


def fail(msg):
    print("FAIL: " + msg, flush=True)


def check(cond, msg, detail=""):
    if cond:
        ok(msg)
    else:
        fail(msg + (": " + detail if detail else ""))
    return bool(cond)


def info(msg):
    print("info: " + msg, flush=True)


def f32(x):
    return struct.unpack(">f", struct.pack(">f", x))[0]


# ---- raw OSC encoding (for what liblo will not send) ----------------------

def ostr(s):
    b = s.encode() if isinstance(s, str) else bytes(s)
    return b + b"\0" * (4 - len(b) % 4)


def oblob(b):
    return struct.pack(">i", len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)


def enc_msg(path, *args):
    """args: (tag, value) pairs."""
    tags = ","
    data = b""
    for a in args:
        t = a[0]
        v = a[1] if len(a) > 1 else None
        tags += t
        if t == "i":
            data += struct.pack(">i", v)
        elif t == "h":
            data += struct.pack(">q", v)
        elif t == "f":
            data += struct.pack(">f", v)
        elif t == "d":
            data += struct.pack(">d", v)
        elif t in "sS":
            data += ostr(v)
        elif t == "b":
            data += oblob(v)
        elif t in "tcmr":
            data += struct.pack(">Q", v) if t == "t" else struct.pack(">I", v)
        elif t in "TFNI":
            pass
        else:
            raise ValueError(t)
    return ostr(path) + ostr(tags) + data


def enc_bundle(elems, tt=1):
    out = b"#bundle\0" + struct.pack(">Q", tt)
    for e in elems:
        out += struct.pack(">i", len(e)) + e
    return out


# ---- a client ---------------------------------------------------------------

# The daemon handles at most [osc] max_rate messages a second (default
# 2000, a burst of a quarter of that) and drops the rest silently: the
# clients here stay below it together, or a lost ping would read as a
# daemon that does not answer.
RATE = 1500.0
BURST = 100.0
_next_send = 0.0


def throttle(n=1):
    global _next_send
    now = time.monotonic()
    _next_send = max(_next_send, now - BURST / RATE) + n / RATE
    if _next_send > now:
        time.sleep(_next_send - now)


class Client:
    """One UDP socket (a liblo server on a free port): sends to the daemon
    and receives its replies, decoded by liblo."""

    def __init__(self, dport):
        self.dport = dport
        self.srv = liblo.Server()
        self.port = self.srv.port
        self.addr = liblo.Address("127.0.0.1", dport, liblo.UDP)
        self.q = []
        self.srv.add_method(None, None, self._cb)
        # The same socket for raw datagrams, so replies come back here.
        self.raw = socket.socket(fileno=os.dup(self.srv.fileno()))

    def _cb(self, path, args, types, src):
        self.q.append((path, list(args), types, time.monotonic()))

    def close(self):
        self.raw.close()
        self.srv.free()

    def send(self, path, *args):
        throttle()
        self.srv.send(self.addr, liblo.Message(path, *args))

    def send_msg(self, m):
        throttle(8 if isinstance(m, liblo.Bundle) else 1)
        self.srv.send(self.addr, m)

    def send_raw(self, data):
        throttle(8 if data[:1] == b"#" else 1)
        self.raw.sendto(data, ("127.0.0.1", self.dport))

    def drain(self):
        while self.srv.recv(0):
            pass
        self.q = []

    def pump(self, secs):
        """Receives for secs; returns what came."""
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            self.srv.recv(max(1, int(left * 1000)))
        got, self.q = self.q, []
        return got

    def wait(self, pred, secs=10.0):
        """Receives until a message matches pred. Returns (everything up to
        and including it, the match or None); the rest stays queued."""
        end = time.monotonic() + secs
        seen = []
        while True:
            while self.q:
                m = self.q.pop(0)
                seen.append(m)
                if pred(m):
                    return seen, m
            left = end - time.monotonic()
            if left <= 0:
                return seen, None
            self.srv.recv(max(1, int(left * 1000)))

    def exchange(self, sends, secs=10.0):
        """Sends each item (a liblo.Message, (path, args...) or raw bytes),
        then a ping; returns the replies before the pong, or None when no
        pong came."""
        self.drain()
        for s in sends:
            if isinstance(s, (bytes, bytearray)):
                self.send_raw(s)
            elif isinstance(s, (liblo.Message, liblo.Bundle)):
                self.send_msg(s)
            else:
                self.send(s[0], *s[1:])
        self.send(P + "ping")
        seen, m = self.wait(lambda m: m[0] == P + "pong", secs)
        if m is None:
            return None
        return seen[:-1]

    def ping(self, secs=3.0):
        return self.exchange([], secs) is not None

    def get(self, path):
        """The value of path (a value or norm path), or None."""
        r = self.exchange([(P + "get", ("s", path))])
        if r is None:
            return None
        for m in r:
            if m[0] == path and len(m[1]) == 1:
                return m[1][0]
        return None

    def list(self):
        """(params, count from list/end, problems)."""
        self.drain()
        self.send(P + "list")
        seen, end = self.wait(lambda m: m[0] == P + "list/end", 10)
        params = []
        problems = []
        for m in seen:
            if m[0] != P + "param":
                continue
            a = m[1]
            if m[2][:6] != "ssfffs" or len(a) != 10:
                problems.append("bad param reply %r %r" % (m[2], a))
                continue
            params.append(dict(path=a[0], type=a[1], min=a[2], max=a[3],
                               default=a[4], unit=a[5], value=a[6],
                               apply=a[7], curve=a[8],
                               choices=a[9].split(",") if a[9] else [],
                               name=a[0][len(P):].replace("/", ".")))
        count = end[1][0] if end and end[1] else None
        return params, count, problems

    def values(self):
        params, _, _ = self.list()
        return {p["path"]: p["value"] for p in params}


def errors(replies):
    return [m for m in (replies or []) if m[0] == P + "error"]


def typed(p, v):
    return ("f", float(v)) if p["type"] == "float" else ("i", int(v))


def same_value(p, a, b):
    if a is None or b is None:
        return False
    if p["type"] == "float":
        return f32(a) == f32(b)
    return int(a) == int(b) and float(a) == float(b)


def is_pow2(x):
    x = float(x)
    return x >= 1 and x == int(x) and (int(x) & (int(x) - 1)) == 0


def pow2_row(p):
    return (p["type"] == "int" and is_pow2(p["min"]) and is_pow2(p["max"])
            and is_pow2(p["default"]))


def in_range(p, v):
    if v is None or isinstance(v, str) or v != v:
        return False
    if p["type"] != "float" and float(v) != math.floor(float(v)):
        return False
    return f32(p["min"]) <= v <= f32(p["max"])


def candidates(p, cur):
    """Values to try for p, most interesting first; the current one only
    when there is nothing else."""
    mn, mx, df = p["min"], p["max"], p["default"]
    if p["type"] == "enum":
        c = list(range(int(mx) + 1))
    elif pow2_row(p):
        c = [mx, df * 2, df / 2, mn]
    elif p["type"] == "int":
        c = [round((mn + mx) / 2), mx, mn, df]
    else:
        mid = (math.sqrt(mn * mx) if p["curve"] == "log" and mn > 0
               else (mn + mx) / 2)
        c = [mid, mx, mn, df]
    out = []
    for v in c:
        v = float(v) if p["type"] == "float" else int(v)
        if p["type"] == "float":
            v = f32(v)
        if in_range(p, v) and not same_value(p, v, cur) and v not in out:
            out.append(v)
    return out or [cur]


def expected_norm(p, v):
    mn, mx = p["min"], p["max"]
    if not mx > mn:
        return 0.0
    if v <= mn:
        return 0.0
    if v >= mx:
        return 1.0
    if p["curve"] == "log" and mn > 0:
        return math.log(v / mn) / math.log(mx / mn)
    return (v - mn) / (mx - mn)


def get_list(c, where):
    params, count, problems = c.list()
    check(params and count == len(params),
          "%s: /specmorph/list/end count = number of /specmorph/param replies"
          % where, "count %r, %d replies" % (count, len(params)))
    for pr in problems:
        fail("%s: %s" % (where, pr))
    return params


# ---- daemon status (SIGUSR1) ------------------------------------------------

# The OSC counters' line ("status: osc port=..." or "osc: port=..."),
# after the engine's "status: xruns=... underruns=..." when connected.
OSC_LINE = re.compile(r"(status: osc |osc: )port=\d+ packets=")


def status(pid, log, secs=3.0):
    """Sends SIGUSR1, returns the fields of the status lines it logs."""
    def lines():
        try:
            with open(log, errors="replace") as f:
                return [l for l in f if OSC_LINE.search(l)]
        except OSError:
            return []
    n = len(lines())
    os.kill(pid, signal.SIGUSR1)
    end = time.monotonic() + secs
    while len(lines()) <= n and time.monotonic() < end:
        time.sleep(0.01)
    out = {}
    try:
        with open(log, errors="replace") as f:
            text = f.readlines()
    except OSError:
        return out
    # The last osc line and the engine line just before it (if any).
    idx = [i for i, l in enumerate(text) if OSC_LINE.search(l)]
    if len(idx) <= n:
        return out
    i = idx[-1]
    use = [text[i]]
    for l in text[max(0, i - 3):i][::-1]:
        if "status: " in l:
            use.append(l)
            break
    for l in use:
        for k, v in re.findall(r"(\w+)=([-0-9.]+)", l):
            out.setdefault(k, float(v))
    return out


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
    return -1


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        return st not in ("Z", "X")
    except OSError:
        return False


# ---- 1. every parameter set and read back -----------------------------------

def sec_params(port):
    c = Client(port)
    params = get_list(c, "params")
    for p in params:
        cur = c.get(p["path"])
        if not same_value(p, cur, p["value"]):
            fail("params: %s: /specmorph/get gives %r, the list %r"
                 % (p["name"], cur, p["value"]))
            continue
        done = None
        notes = []
        bad = None
        for v in candidates(p, cur):
            r = c.exchange([(p["path"], typed(p, v))])
            got = c.get(p["path"])
            if r is None:
                bad = "no answer after setting %r" % v
                break
            e = errors(r)
            if e:
                if (e[0][1][0] != p["path"] or len(e[0][1]) != 2
                        or not e[0][1][1]):
                    bad = "malformed error for %r: %r" % (v, e[0])
                    break
                if not same_value(p, got, cur):
                    bad = ("%r rejected (%s) but the value changed to %r"
                           % (v, e[0][1][1], got))
                    break
                notes.append("%r rejected: %s" % (v, e[0][1][1]))
                continue
            if not same_value(p, got, v):
                bad = "set %r, read back %r" % (v, got)
                break
            done = v
            break
        if bad:
            fail("params: %s: %s" % (p["name"], bad))
        elif done is None:
            fail("params: %s: no candidate accepted (%s)"
                 % (p["name"], "; ".join(notes)))
        else:
            ok("params: %s = %r read back%s" % (
                p["name"], done,
                " (after %s)" % "; ".join(notes) if notes else ""))
        # Back to where it was.
        r = c.exchange([(p["path"], typed(p, cur))])
        got = c.get(p["path"])
        if errors(r) or not same_value(p, got, cur):
            fail("params: %s: restoring %r: %r, reads %r"
                 % (p["name"], cur, errors(r), got))
    after = c.values()
    check(all(same_value(p, after.get(p["path"]), p["value"])
              for p in params), "params: every value restored")
    c.close()


# ---- 2. type coercion and the normalised form --------------------------------

def set_read(c, p, arg, expect, label):
    """Sends one typed value; expects no error and expect read back."""
    r = c.exchange([liblo.Message(p["path"], arg)])
    got = c.get(p["path"])
    e = errors(r)
    check(r is not None and not e and same_value(p, got, expect),
          "coerce: %s %s -> %r" % (p["name"], label, expect),
          "errors %r, read %r" % ([m[1] for m in e], got))


def sec_coerce(port):
    c = Client(port)
    params = get_list(c, "coerce")
    fl = [p for p in params if p["type"] == "float" and p["min"] <= 0
          and p["max"] >= 1]
    it = [p for p in params if p["type"] == "int" and not pow2_row(p)]
    en = [p for p in params if p["type"] == "enum" and len(p["choices"]) > 1]
    if not (fl and it and en):
        fail("coerce: the list lacks a float row with 0..1 in range, an "
             "int row or an enum row with two choices")
        return
    # A float: every numeric type.
    p = fl[0]
    cur = c.get(p["path"])
    lo_i, hi_i = math.ceil(p["min"]), math.floor(p["max"])
    mid = f32((p["min"] + p["max"]) / 2)
    q3 = p["min"] + 0.3 * (p["max"] - p["min"])
    set_read(c, p, ("i", hi_i), hi_i, "i:%d" % hi_i)
    set_read(c, p, ("h", lo_i), lo_i, "h:%d" % lo_i)
    set_read(c, p, ("f", mid), mid, "f:%g" % mid)
    set_read(c, p, ("d", q3), f32(q3), "d:%r" % q3)
    set_read(c, p, ("T",), 1.0, "T")
    set_read(c, p, ("F",), 0.0, "F")
    c.exchange([(p["path"], typed(p, cur))])
    # An int: both ends (valid on their own), every numeric type.
    p = it[0]
    cur = c.get(p["path"])
    mn, mx = int(p["min"]), int(p["max"])
    set_read(c, p, ("i", mn), mn, "i:%d" % mn)
    set_read(c, p, ("h", mx), mx, "h:%d" % mx)
    set_read(c, p, ("f", float(mn)), mn, "f:%g" % mn)
    set_read(c, p, ("d", float(mx)), mx, "d:%g" % mx)
    if mn == 1:
        set_read(c, p, ("T",), 1, "T")
    c.exchange([(p["path"], typed(p, cur))])
    check(same_value(p, c.get(p["path"]), cur), "coerce: %s restored"
          % p["name"])
    # An enum: by name (any case) and by index.
    p = en[0]
    cur = c.get(p["path"])
    n = len(p["choices"])
    for i in list(range(n))[::-1]:
        set_read(c, p, ("s", p["choices"][i]), i, "s:%s" % p["choices"][i])
    set_read(c, p, ("s", p["choices"][1].upper()), 1,
             "s:%s" % p["choices"][1].upper())
    set_read(c, p, ("i", 0), 0, "i:0")
    set_read(c, p, ("h", n - 1), n - 1, "h:%d" % (n - 1))
    set_read(c, p, ("f", 0.0), 0, "f:0")
    set_read(c, p, ("d", 1.0), 1, "d:1")
    set_read(c, p, ("F",), 0, "F")
    set_read(c, p, ("T",), 1, "T")
    c.exchange([(p["path"], typed(p, cur))])
    c.close()


def sec_norm(port, which):
    """/specmorph/norm/...: 0 -> min, 1 -> max, the midpoint on the curve;
    /specmorph/get of a norm path. which: live (the rows that change
    without a new engine) or all."""
    c = Client(port)
    params = get_list(c, "norm")
    for p in params:
        if which == "live" and p["apply"] != "live":
            continue
        npath = NORM + p["path"][len(P):]
        cur = c.get(p["path"])
        cases = [(0.0, p["min"]), (1.0, p["max"])]
        if p["type"] == "float":
            mid = (math.sqrt(p["min"] * p["max"]) if p["curve"] == "log"
                   else (p["min"] + p["max"]) / 2)
            cases.append((0.5, mid))
        bad = []
        notes = []
        for n, want in cases:
            r = c.exchange([(npath, ("f", n))])
            got = c.get(p["path"])
            gotn = c.get(npath)
            e = errors(r)
            if r is None:
                bad.append("no answer to %g" % n)
                continue
            if e:
                # A cross-parameter rule may refuse the end of a range.
                if e[0][1][0] != npath or not same_value(p, got, cur):
                    bad.append("%g: error %r and value %r (was %r)"
                               % (n, e[0][1], got, cur))
                else:
                    notes.append("%g refused: %s" % (n, e[0][1][1]))
                continue
            tol = 1e-5 * (p["max"] - p["min"]) + 1e-6 * abs(want)
            if got is None or abs(got - want) > tol:
                bad.append("norm %g gave %r, expected %r" % (n, got, want))
            if gotn is None or abs(gotn - expected_norm(p, got)) > 1e-4:
                bad.append("get %s after %g: %r" % (npath, n, gotn))
            c.exchange([(p["path"], typed(p, cur))])
        if bad:
            fail("norm: %s: %s" % (p["name"], "; ".join(bad)))
        else:
            ok("norm: %s 0/1%s map to min/max%s" % (
                p["name"], "/0.5" if len(cases) > 2 else "",
                " (%s)" % "; ".join(notes) if notes else ""))
        c.exchange([(p["path"], typed(p, cur))])
        if not same_value(p, c.get(p["path"]), cur):
            fail("norm: %s not restored" % p["name"])
    # Numbers of other types on a norm path.
    p = [q for q in params if q["type"] == "float" and q["apply"] == "live"][0]
    npath = NORM + p["path"][len(P):]
    cur = c.get(p["path"])
    for arg, n in ((("i", 1), 1.0), (("F",), 0.0), (("d", 1.0), 1.0),
                   (("h", 0), 0.0)):
        c.exchange([liblo.Message(npath, arg)])
        check(same_value(p, c.get(p["path"]), p["max"] if n else p["min"]),
              "norm: %s %s:%s" % (p["name"], arg[0],
                                  arg[1] if len(arg) > 1 else ""))
    c.exchange([(p["path"], typed(p, cur))])
    c.close()


# ---- 3. rejections ---------------------------------------------------------

def sec_reject(port):
    c = Client(port)
    params = get_list(c, "reject")
    tally = {}

    def reject(p, path, args, label, want_in_reason=None, epath=None):
        """Sends path with args (liblo tuples, or raw bytes); expects one
        /specmorph/error s:epath s:reason, p unchanged."""
        before = c.get(p["path"]) if p else None
        if isinstance(args, (bytes, bytearray)):
            r = c.exchange([args])
        else:
            r = c.exchange([liblo.Message(path, *args)])
        after = c.get(p["path"]) if p else None
        e = errors(r)
        why = None
        if r is None:
            why = "no answer"
        elif len(e) != 1:
            why = "%d error replies: %r" % (len(e), r)
        elif e[0][2] != "ss" or e[0][1][0] != (epath or path):
            why = "error reply %r %r" % (e[0][2], e[0][1])
        elif not e[0][1][1]:
            why = "empty reason"
        elif want_in_reason and want_in_reason not in e[0][1][1]:
            why = "reason %r lacks %r" % (e[0][1][1], want_in_reason)
        elif p and not same_value(p, after, before):
            why = "value changed from %r to %r" % (before, after)
        t = tally.setdefault(label, [0, []])
        t[0] += 1
        if why:
            t[1].append("%s: %s" % (path, why))

    nan, inf = float("nan"), float("inf")
    for p in params:
        path = p["path"]
        npath = NORM + path[len(P):]
        span = max(1.0, p["max"] - p["min"])
        if p["type"] == "float":
            reject(p, path, [("f", p["max"] + span)], "above max")
            reject(p, path, [("f", p["min"] - span)], "below min")
            reject(p, path, [("s", "1")], "a string for a number")
        else:
            reject(p, path, [("i", int(p["max"] + span))], "above max")
            reject(p, path, [("i", int(p["min"] - span))], "below min")
            reject(p, path, [("h", 1 << 40)], "h beyond int range")
            reject(p, path, [("f", p["min"] + 0.5)], "non-integer f")
            reject(p, path, [("d", p["min"] + 1e-9)], "non-integer d")
        if p["type"] == "int":
            reject(p, path, [("s", str(int(p["min"])))],
                   "a string for a number")
        if p["type"] == "enum":
            reject(p, path, [("s", p["choices"][0] + "xq")],
                   "unknown enum name")
        reject(p, path, [("f", nan)], "NaN f")
        reject(p, path, [("d", nan)], "NaN d")
        reject(p, path, [("f", inf)], "+Inf f")
        reject(p, path, [("d", -inf)], "-Inf d")
        reject(p, path, [("d", 1e300)], "d beyond float range")
        reject(p, path, [("b", [0, 0, 0, 1])], "blob")
        reject(p, path, [("N",)], "nil")
        reject(p, path, [("I",)], "infinitum")
        reject(p, path, [], "no argument")
        reject(p, path, [typed(p, p["value"]), typed(p, p["value"])],
               "two arguments")
        reject(p, npath, [("f", -0.01)], "norm below 0")
        reject(p, npath, [("f", 1.01)], "norm above 1")
        reject(p, npath, [("f", nan)], "norm NaN")
        reject(p, npath, [("s", "0.5")], "norm string")
        # A close miss of the address: the reason names the real one.
        reject(p, path + "x", [typed(p, p["value"])],
               "unknown address (suggests)", "did you mean %s?" % path)
        reject(p, npath[:-1], [("f", 0.5)],
               "unknown norm address (suggests)", "did you mean %s?" % npath)
        reject(p, P + "get", [("s", path[:-1])],
               "get of an unknown address (suggests)",
               "did you mean %s?" % path, path[:-1])
    reject(None, P + "nosuch/thing", [("f", 1.0)], "unknown address",
           "/specmorph/list")
    # A get of an address longer than any reply buffer: still an error,
    # its path cut short.
    far = P + "x" * 5000
    r = c.exchange([(P + "get", ("s", far))])
    e = errors(r)
    check(len(e) == 1 and e[0][1][0] and far.startswith(e[0][1][0]) and
          e[0][1][1], "reject: get of a 5000-character address: an error "
          "(its path cut short)", repr([(m[0], m[1][0][:40]) for m in e]))
    reject(None, P + "get", [], "get without an argument")
    reject(None, P + "get", [("i", 1)], "get of a number")
    reject(None, P + "subscribe", [("s", "9000")], "subscribe with a string")
    reject(None, P + "subscribe", [("i", 0)], "subscribe to port 0")
    reject(None, P + "subscribe", [("i", 70000)], "subscribe to port 70000")
    reject(None, P + "unsubscribe", [("i", 1), ("i", 2)],
           "unsubscribe with two ports")
    reject(None, P + "config/save", [("i", 1)], "save with an argument")
    reject(None, P + "config/reload", [("s", "x")], "reload with an argument")
    by = {p["name"]: p for p in params}
    # Combinations that fail the configuration check: a hop above half its
    # window, for each window/hop pair the list has.
    pairs = [(by[n], by[n[:-len("window")] + "hop"]) for n in by
             if n.endswith("window") and n[:-len("window")] + "hop" in by]
    check(pairs, "reject: the list has window/hop pairs")
    # (The check covers the pairs that bands.count uses; the others may
    # take it, and are put back.)
    refused = 0
    for w, h in pairs:
        wv, hv = c.get(w["path"]), c.get(h["path"])
        r = c.exchange([(h["path"], ("i", int(wv)))])
        if errors(r):
            refused += 1
            reject(h, h["path"], [("i", int(wv))],
                   "hop = window (config check)")
        else:
            info("reject: %s = %s = %d accepted (a pair not in use)"
                 % (h["name"], w["name"], wv))
            c.exchange([(h["path"], ("i", int(hv)))])
    check(refused, "reject: hop = window refused for %d of %d pairs"
          % (refused, len(pairs)))
    for p in params:
        if p["type"] == "int" and not pow2_row(p):
            # Every value between the ends that the configuration refuses
            # (bands.count = 2).
            for v in range(int(p["min"]) + 1, int(p["max"])):
                r = c.exchange([(p["path"], ("i", v))])
                if errors(r):
                    reject(p, p["path"], [("i", v)],
                           "an in-range int the configuration refuses")
            # The accepted ones are put back.
            c.exchange([(p["path"], typed(p, p["value"]))])
    for label, (n, bad) in sorted(tally.items()):
        if bad:
            fail("reject: %s (%d of %d): %s" % (label, len(bad), n,
                                                 "; ".join(bad[:4])))
        else:
            ok("reject: %s: /specmorph/error s:path s:reason, value "
               "unchanged (%d case%s)" % (label, n, "s" if n > 1 else ""))
    after = c.values()
    check(all(same_value(p, after.get(p["path"]), p["value"])
              for p in params), "reject: no value changed")
    c.close()


# ---- 4. allow-list -----------------------------------------------------------

def sec_allow(port, pid, log, mode):
    c = Client(port)
    st0 = status(pid, log)
    n = 5
    pongs = 0
    for _ in range(n):
        c.send(P + "ping")
        _, m = c.wait(lambda m: m[0] == P + "pong", 0.3)
        pongs += m is not None
    # A set too, which must not count as anything but a denied datagram.
    c.send(P + "morph/position", ("f", 0.25))
    time.sleep(0.1)
    st1 = status(pid, log)
    if not st0 or not st1:
        fail("allow: no status line after SIGUSR1")
        return
    d = st1["denied"] - st0["denied"]
    if mode == "deny":
        check(pongs == 0, "allow: sender outside --osc-allow gets no pong",
              "%d pongs" % pongs)
        check(d == n + 1, "allow: denied counts the %d datagrams" % (n + 1),
              "denied went from %g to %g" % (st0["denied"], st1["denied"]))
        check(st1["messages"] == st0["messages"],
              "allow: denied datagrams are not handled")
    else:
        check(pongs == n, "allow: sender inside --osc-allow gets its pongs",
              "%d of %d" % (pongs, n))
        check(d == 0, "allow: nothing denied")
    c.close()


# ---- 5. subscription ---------------------------------------------------------

def sec_subscribe(port, hz):
    c = Client(port)      # the controller that subscribes
    c2 = Client(port)     # another client that changes things
    s = Client(port)      # the subscriber (never sends)
    params = get_list(c, "subscribe")
    by = {p["path"]: p for p in params}
    s.drain()
    r = c.exchange([(P + "subscribe", ("i", s.port))])
    check(r is not None and not errors(r), "subscribe: no error", repr(r))
    # The state: subscribed, both forms of every parameter, a status.
    seen, m = s.wait(lambda m: m[0] == P + "status", 5)
    check(seen and seen[0][0] == P + "subscribed" and
          seen[0][1] == [s.port], "subscribe: /specmorph/subscribed i:port "
          "first", repr(seen[:1]))
    vals = {x[0]: x[1] for x in seen if len(x[1]) == 1}
    bad = []
    for p in params:
        v = vals.get(p["path"], [None])[0]
        n = vals.get(NORM + p["path"][len(P):], [None])[0]
        if not same_value(p, v, p["value"]):
            bad.append("%s = %r (list: %r)" % (p["name"], v, p["value"]))
        if n is None or abs(n - expected_norm(p, p["value"])) > 1e-4:
            bad.append("norm %s = %r (expected %r)" % (
                p["name"], n, expected_norm(p, p["value"])))
    check(not bad, "subscribe: the full state in both forms (%d values)"
          % (2 * len(params)), "; ".join(bad[:5]))
    check(m is not None and len(m[1]) % 2 == 0 and "connected" in m[1],
          "subscribe: a /specmorph/status with name/value pairs",
          repr(m))
    # Changes by another client, in both forms.
    fl = [p for p in params if p["type"] == "float" and p["apply"] == "live"]
    p, q = fl[0], fl[-1]
    v = f32(p["min"] + 0.37 * (p["max"] - p["min"]))
    c2.exchange([(p["path"], ("f", v))])
    seen, m = s.wait(lambda m: m[0] == NORM + p["path"][len(P):], 3)
    got = [x for x in seen if x[0] == p["path"]]
    check(got and same_value(p, got[-1][1][0], v) and m is not None and
          abs(m[1][0] - expected_norm(p, v)) < 1e-5,
          "subscribe: another client's set of %s arrives in both forms"
          % p["name"], "value %r, norm %r" % (got, m))
    nq = 0.75
    c2.exchange([(NORM + q["path"][len(P):], ("f", nq))])
    want = c2.get(q["path"])
    seen, m = s.wait(lambda m: m[0] == NORM + q["path"][len(P):], 3)
    got = [x for x in seen if x[0] == q["path"]]
    check(got and same_value(q, got[-1][1][0], want) and m is not None and
          abs(m[1][0] - nq) < 1e-5,
          "subscribe: another client's norm set of %s arrives in both forms"
          % q["name"], "value %r (want %r), norm %r" % (got, want, m))
    # Status at about status_hz.
    s.pump(0.15)
    t0 = time.monotonic()
    got = s.pump(1.0)
    dt = time.monotonic() - t0
    ns = sum(1 for x in got if x[0] == P + "status")
    check(0.5 * hz * dt <= ns <= 1.5 * hz * dt + 1,
          "subscribe: %d /specmorph/status in %.2f s at status_hz = %d"
          % (ns, dt, hz))
    fields = [x for x in got if x[0].startswith(P + "status/")]
    check(fields and any(x[0] == P + "status/connected" for x in fields),
          "subscribe: /specmorph/status/<field> messages too")
    # Unsubscribe: the confirmation, then nothing.
    r = c.exchange([(P + "unsubscribe", ("i", s.port))])
    seen, m = s.wait(lambda m: m[0] == P + "unsubscribed", 3)
    check(m is not None and m[1] == [s.port],
          "unsubscribe: /specmorph/unsubscribed i:port")
    c2.exchange([(p["path"], ("f", f32(p["min"] + 0.61 *
                                       (p["max"] - p["min"]))))])
    late = s.pump(0.4)
    check(not late, "unsubscribe: nothing more arrives (changes, status)",
          "%d messages, first %r" % (len(late), late[:1]))
    # Without a port: the sender itself.
    c.drain()
    c.send(P + "subscribe")
    seen, m = c.wait(lambda m: m[0] == P + "subscribed", 3)
    check(m is not None and m[1] == [c.port],
          "subscribe without a port subscribes the sender")
    c.send(P + "unsubscribe")
    seen, m = c.wait(lambda m: m[0] == P + "unsubscribed", 3)
    check(m is not None, "unsubscribe without a port")
    c.pump(0.2)
    # At most 16: the 17th is refused; subscribing twice counts once.
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
             for _ in range(17)]
    for k in socks:
        k.bind(("127.0.0.1", 0))
    ports = [k.getsockname()[1] for k in socks]
    r = c.exchange([(P + "subscribe", ("i", x)) for x in ports[:16]] +
                   [(P + "subscribe", ("i", ports[0]))])
    check(r is not None and not errors(r), "subscribe: 16 subscribers "
          "(one of them twice)", repr(errors(r)))
    r = c.exchange([(P + "subscribe", ("i", ports[16]))])
    check(len(errors(r)) == 1 and "16" in errors(r)[0][1][1],
          "subscribe: the 17th is refused", repr(r))
    r = c.exchange([(P + "unsubscribe", ("i", x)) for x in ports[:16]])
    for k in socks:
        k.close()
    c.exchange([(p["path"], typed(p, by[p["path"]]["value"])),
                (q["path"], typed(q, by[q["path"]]["value"]))])
    for x in (c, c2, s):
        x.close()


# ---- 6. bundles --------------------------------------------------------------

def sec_bundle(port, pid, log):
    c = Client(port)
    params = get_list(c, "bundle")
    by = {p["name"]: p for p in params}
    lo, hi = by.get("bands.xover_lo_hz"), by.get("bands.xover_hi_hz")
    if not (lo and hi):
        fail("bundle: no bands.xover_lo_hz / bands.xover_hi_hz in the list")
        return
    lo0, hi0 = c.get(lo["path"]), c.get(hi["path"])
    R = 1.5  # xover_hi_hz >= 1.5 x xover_lo_hz
    # A state from which the pair (lo2, hi2) is valid only together: lo2
    # alone is too close to hi1, hi2 alone is fine.
    hi1 = f32(max(hi["min"], R * lo0 * 1.01))
    lo2 = f32(min(lo["max"], hi1 * 0.9))
    hi2 = f32(min(hi["max"], R * lo2 * 1.2))
    if not (lo2 * R > hi1 and hi2 >= R * lo2 and hi1 >= R * lo0):
        fail("bundle: cannot find a pair valid only together in %r / %r"
             % (lo, hi))
        return
    r = c.exchange([(hi["path"], ("f", hi1))])
    check(not errors(r) and c.get(hi["path"]) == hi1,
          "bundle: start at %s = %g, %s = %g" % (lo["name"], lo0, hi["name"],
                                                  hi1), repr(errors(r)))
    # Together: accepted.
    r = c.exchange([liblo.Bundle(liblo.Message(lo["path"], ("f", lo2)),
                                 liblo.Message(hi["path"], ("f", hi2)))])
    glo, ghi = c.get(lo["path"]), c.get(hi["path"])
    check(r is not None and not errors(r) and glo == lo2 and ghi == hi2,
          "bundle: {lo = %g, hi = %g} accepted, both read back" % (lo2, hi2),
          "errors %r, read %r / %r" % (errors(r), glo, ghi))
    # And back down in one bundle, in the order that fails one by one.
    r = c.exchange([liblo.Bundle(liblo.Message(hi["path"], ("f", hi1)),
                                 liblo.Message(lo["path"], ("f", lo0)))])
    check(not errors(r) and c.get(lo["path"]) == lo0 and
          c.get(hi["path"]) == hi1, "bundle: {hi = %g, lo = %g} accepted"
          % (hi1, lo0), repr(errors(r)))
    # The same two as separate messages, wrong order: lo first fails.
    r = c.exchange([(lo["path"], ("f", lo2)), (hi["path"], ("f", hi2))])
    e = errors(r)
    glo, ghi = c.get(lo["path"]), c.get(hi["path"])
    check(len(e) == 1 and e[0][1][0] == lo["path"] and glo == lo0 and
          ghi == hi2, "bundle: as separate messages lo = %g is refused "
          "(value kept), hi = %g accepted" % (lo2, hi2),
          "errors %r, read %r / %r" % ([x[1] for x in e], glo, ghi))
    # A bundle that fails together: an error for each set, nothing changes.
    c.exchange([liblo.Bundle(liblo.Message(hi["path"], ("f", hi1)),
                             liblo.Message(lo["path"], ("f", lo0)))])
    r = c.exchange([liblo.Bundle(liblo.Message(lo["path"], ("f", lo2)),
                                 liblo.Message(hi["path"], ("f", hi1)))])
    e = errors(r)
    check(len(e) == 2 and {x[1][0] for x in e} == {lo["path"], hi["path"]}
          and c.get(lo["path"]) == lo0 and c.get(hi["path"]) == hi1,
          "bundle: an invalid combination: an error per set, nothing "
          "applied", repr([x[1] for x in e]))
    # Queries in a bundle see the values from before it; time tags are
    # ignored (a bundle for an hour from now applies now).
    fl = [p for p in params if p["type"] == "float" and p["apply"] == "live"]
    p = fl[0]
    v0 = c.get(p["path"])
    v1 = f32(p["min"] + 0.21 * (p["max"] - p["min"]))
    r = c.exchange([liblo.Bundle(time.time() + 3600,
                                 liblo.Message(p["path"], ("f", v1)),
                                 liblo.Message(P + "get", ("s", p["path"])))])
    inb = [m for m in (r or []) if m[0] == p["path"]]
    check(inb and inb[0][1][0] == v0 and c.get(p["path"]) == v1,
          "bundle: a get inside sees the value from before; the time tag "
          "is ignored", "in bundle %r, after %r" % (inb, c.get(p["path"])))
    # Nested bundles (depth 3) apply.
    v2 = f32(p["min"] + 0.42 * (p["max"] - p["min"]))
    inner = enc_msg(p["path"], ("f", v2))
    for _ in range(3):
        inner = enc_bundle([inner])
    r = c.exchange([inner])
    check(not errors(r) and c.get(p["path"]) == v2,
          "bundle: nested 3 deep applies")
    # Dropped whole, silently: nested 20 deep; an element size past the
    # end; an element that is not a valid message.
    v3 = f32(p["min"] + 0.83 * (p["max"] - p["min"]))
    good = enc_msg(p["path"], ("f", v3))
    deep = good
    for _ in range(20):
        deep = enc_bundle([deep])
    badsize = bytearray(enc_bundle([good]))
    badsize[16:20] = struct.pack(">i", len(good) + 4)
    trunc = ostr(lo["path"]) + ostr(",fff") + struct.pack(">f", 1.0)
    badtags = enc_bundle([good, trunc])
    st0 = status(pid, log)
    for label, data in (("nested 20 deep", deep),
                        ("an element size past the end", bytes(badsize)),
                        ("an element with bad type tags", badtags)):
        r = c.exchange([data])
        check(r == [] and c.get(p["path"]) == v2,
              "bundle: %s: dropped whole, no reply" % label,
              "replies %r, %s = %r" % (r, p["name"], c.get(p["path"])))
    st1 = status(pid, log)
    check(st1.get("malformed", 0) - st0.get("malformed", 0) == 3,
          "bundle: the three counted as malformed",
          "%r -> %r" % (st0.get("malformed"), st1.get("malformed")))
    c.exchange([liblo.Bundle(liblo.Message(p["path"], ("f", v0)),
                             liblo.Message(lo["path"], ("f", lo0)),
                             liblo.Message(hi["path"], ("f", hi0)))])
    check(c.get(lo["path"]) == lo0 and c.get(hi["path"]) == hi0 and
          c.get(p["path"]) == v0, "bundle: values restored")
    c.close()


# ---- 7. save and reload; atomic save ------------------------------------------

def check_config(daemon, path, env):
    r = subprocess.run(["timeout", "10", daemon, "--check-config", "-c", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env)
    return r.returncode == 0, r.stdout.decode(errors="replace").strip()


def daemon_env(tmp):
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = os.path.join(tmp, "xdg")
    env["HOME"] = os.path.join(tmp, "home")
    return env


def live_state(params, k):
    """A distinct state of the live rows: state k (0 or 1) puts each at
    20 % or 70 % of its range (an enum at its first or last choice)."""
    st = {}
    for p in params:
        if p["apply"] != "live":
            continue
        if p["type"] == "enum":
            st[p["path"]] = 0 if k == 0 else int(p["max"])
        elif p["name"].startswith("bands.xover"):
            continue  # bound by a rule; kept out of the way
        else:
            x = p["min"] + (0.2 if k == 0 else 0.7) * (p["max"] - p["min"])
            st[p["path"]] = f32(x) if p["type"] == "float" else round(x)
    return st


def state_msgs(params, st):
    by = {p["path"]: p for p in params}
    return [liblo.Message(path, typed(by[path], v)) for path, v in st.items()]


def sec_saveload(port, daemon, ini, tmp):
    env = daemon_env(tmp)
    c = Client(port)
    params = get_list(c, "saveload")
    by = {p["path"]: p for p in params}
    v0 = {p["path"]: p["value"] for p in params}
    sa = live_state(params, 0)
    # One rebuild row too: the largest hop a window allows.
    hop = [p for p in params if p["name"].endswith("hf_hop")]
    win = [p for p in params if p["name"].endswith("hf_window")]
    if hop and win:
        sa[hop[0]["path"]] = int(c.get(win[0]["path"]) // 2)
    r = c.exchange([liblo.Bundle(*state_msgs(params, sa))])
    check(r is not None and not errors(r), "save: a new state set",
          repr(errors(r)))
    saved = c.values()
    c.drain()
    c.send(P + "config/save")
    seen, m = c.wait(lambda m: m[0] in (P + "config/saved", P + "error"), 10)
    check(m is not None and m[0] == P + "config/saved" and
          m[1] == [ini], "save: /specmorph/config/saved s:%s" % ini,
          repr(m))
    good, out = check_config(daemon, ini, env)
    check(good, "save: the file passes --check-config", out)
    # Change everything saved, then reload.
    sb = live_state(params, 1)
    if hop and win:
        sb[hop[0]["path"]] = int(c.get(win[0]["path"]) // 4)
    r = c.exchange([liblo.Bundle(*state_msgs(params, sb))])
    mid = c.values()
    check(not errors(r) and all(mid[k] != saved[k] for k in sb),
          "save: then changed", repr(errors(r)))
    c.drain()
    c.send(P + "config/reload")
    seen, m = c.wait(lambda m: m[0] in (P + "config/reloaded", P + "error"),
                     10)
    check(m is not None and m[0] == P + "config/reloaded" and
          m[1] == [ini], "reload: /specmorph/config/reloaded s:%s" % ini,
          repr(m))
    back = c.values()
    diff = [(by[k]["name"], saved[k], back.get(k)) for k in saved
            if not same_value(by[k], back.get(k), saved[k])]
    check(not diff, "reload: every saved value is back", repr(diff[:5]))
    # Leave the daemon as it was (the file keeps the saved state).
    c.exchange([liblo.Bundle(*[liblo.Message(k, typed(by[k], v))
                               for k, v in v0.items()])])
    now = c.values()
    check(all(same_value(by[k], now.get(k), v0[k]) for k in v0),
          "save: values restored")
    c.close()


SPAWNED = []  # [Popen of timeout, daemon pid] of the daemons started here


def spawn_daemon(daemon, args, log, env):
    """timeout 30 DAEMON ARGS; returns (Popen of timeout, daemon pid)."""
    lf = open(log, "ab")
    pr = subprocess.Popen(["timeout", "30", daemon] + args, stdout=lf,
                          stderr=subprocess.STDOUT, env=env)
    lf.close()
    entry = [pr, None]
    SPAWNED.append(entry)
    end = time.monotonic() + 3
    while time.monotonic() < end:
        try:
            with open("/proc/%d/task/%d/children" % (pr.pid, pr.pid)) as f:
                kids = f.read().split()
            if kids:
                entry[1] = int(kids[0])
                return pr, entry[1]
        except OSError:
            pass
        time.sleep(0.002)
    return pr, None


def end_daemon(pr, pid):
    """SIGKILL (the daemon, while it is still ours), reap."""
    if pid and pr.poll() is None and alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        pr.wait(5)
    except subprocess.TimeoutExpired:
        pr.kill()
        pr.wait()
    SPAWNED[:] = [e for e in SPAWNED if e[0] is not pr]


def sec_atomic(port, daemon, server, tmp, rounds):
    """Save is killed (SIGKILL) at random moments: the file is always one
    complete state or the other. At least `rounds` kills, more (up to 2.5
    times as many) until 3 of them landed inside a save (a temporary file
    left behind shows it)."""
    env = daemon_env(tmp)
    rounds = int(rounds)
    most = int(rounds * 2.5)
    ini = os.path.join(tmp, "atomic", "a.ini")
    os.makedirs(os.path.dirname(ini), exist_ok=True)
    with open(ini, "w") as f:
        f.write("; start\n")
    log = os.path.join(tmp, "atomic.log")
    args = ["-s", server, "-c", ini, "--osc-port", str(port)]

    def start():
        pr, pid = spawn_daemon(daemon, args, log, env)
        c = Client(port)
        end = time.monotonic() + 5
        while time.monotonic() < end:
            if c.ping(0.05):
                return pr, pid, c
        c.close()
        end_daemon(pr, pid)
        return pr, None, None

    # The two reference files, saved cleanly.
    pr, pid, c = start()
    if not c:
        fail("atomic: the daemon (no JACK server) does not answer on OSC")
        return
    params = get_list(c, "atomic")
    by = {p["path"]: p for p in params}
    st = [live_state(params, 0), live_state(params, 1)]
    ref = []
    save_ms = []
    for k in (0, 1):
        c.exchange([liblo.Bundle(*state_msgs(params, st[k]))])
        c.drain()
        t0 = time.monotonic()
        c.send(P + "config/save")
        _, m = c.wait(lambda m: m[0] in (P + "config/saved", P + "error"), 5)
        save_ms.append((time.monotonic() - t0) * 1000)
        check(m is not None and m[0] == P + "config/saved",
              "atomic: reference save %d" % k, repr(m))
        with open(ini, "rb") as f:
            ref.append(f.read())
        good, out = check_config(daemon, ini, env)
        check(good, "atomic: reference file %d passes --check-config" % k, out)
    c.close()
    end_daemon(pr, pid)
    check(ref[0] != ref[1], "atomic: the two states' files differ")
    # The file holds ref[1]; each round starts from the file's state and
    # saves the other one.
    top = max(3.0, 2.5 * max(save_ms))
    info("atomic: a save takes %.1f ms; kills at 0 to %.1f ms" %
         (max(save_ms), top))
    rnd = random.Random(os.getpid())
    cur = 1
    outcome = {"old": 0, "new": 0}
    bad = []
    inside = 0
    i = 0
    dirn = os.path.dirname(ini)
    while i < rounds or (inside < 3 and i < most):
        i += 1
        tmps = len(os.listdir(dirn))
        pr, pid, c = start()
        if not c:
            bad.append("round %d: daemon not answering" % i)
            continue
        want = 1 - cur
        c.send_raw(enc_bundle([enc_msg(k, typed(by[k], v))
                               for k, v in st[want].items()]))
        c.send(P + "config/save")
        # Half the kills within the time a save takes, half up to 2.5 x.
        time.sleep(rnd.uniform(0, top if i % 2 else max(save_ms)) / 1000.0)
        if pr.poll() is not None or not alive(pid):
            bad.append("round %d: the daemon ended by itself (status %r)"
                       % (i, pr.poll()))
        end_daemon(pr, pid)
        c.close()
        with open(ini, "rb") as f:
            data = f.read()
        good, out = check_config(daemon, ini, env)
        if data == ref[want]:
            outcome["new"] += 1
            cur = want
        elif data == ref[cur]:
            outcome["old"] += 1
        else:
            bad.append("round %d: the file is neither state (%d bytes)"
                       % (i, len(data)))
            if data in ref:
                cur = ref.index(data)
        if not good:
            bad.append("round %d: --check-config: %s" % (i, out))
        inside += len(os.listdir(dirn)) > tmps
    check(not bad, "atomic: %d saves killed at random (%d inside the "
          "write): the file is always a complete state (old %d, new %d)"
          % (i, inside, outcome["old"], outcome["new"]), "; ".join(bad[:5]))
    if inside == 0:
        info("atomic: no kill landed inside a save (all before or after)")
    info("atomic: %d temporary files left behind by the killed saves"
         % (len(os.listdir(dirn)) - 1))


# ---- 8. presets ----------------------------------------------------------------

def sec_preset(port):
    c = Client(port)
    params = get_list(c, "preset")
    by = {p["path"]: p for p in params}
    v0 = {p["path"]: p["value"] for p in params}
    cnt = [p for p in params if p["name"] == "bands.count"]

    def apply(name):
        c.drain()
        c.send(P + "preset/" + name)
        seen, m = c.wait(lambda m: m[0] in (P + "preset/applied",
                                            P + "error"), 10)
        return m

    m = apply("lowlatency")
    check(m is not None and m[0] == P + "preset/applied" and
          m[1] == ["lowlatency"], "preset: /specmorph/preset/applied "
          "s:lowlatency", repr(m))
    v1 = c.values()
    check(cnt and v1.get(cnt[0]["path"]) == 1, "preset: lowlatency gives "
          "bands.count = 1", repr(v1.get(cnt[0]["path"]) if cnt else None))
    changed = sorted(k for k in v0 if not same_value(by[k], v1[k], v0[k]))
    check(changed, "preset: lowlatency changed something", repr(changed))
    info("preset: lowlatency changed %s" % ", ".join(
        "%s %r -> %r" % (by[k]["name"], v0[k], v1[k]) for k in changed))
    # Again from another state: the same layout; a live value it does not
    # set stays as it is.
    fl = [p for p in params if p["type"] == "float" and p["apply"] == "live"
          and p["path"] not in changed]
    p = fl[0]
    pv = f32(p["min"] + 0.66 * (p["max"] - p["min"]))
    r = c.exchange([liblo.Bundle(*[liblo.Message(k, typed(by[k], v0[k]))
                                   for k in changed] +
                                 [liblo.Message(p["path"], ("f", pv))])])
    check(not errors(r), "preset: back to the start state", repr(errors(r)))
    m = apply("LowLatency")
    check(m is not None and m[0] == P + "preset/applied",
          "preset: names are case-insensitive", repr(m))
    v2 = c.values()
    diff = [by[k]["name"] for k in changed if not same_value(by[k], v2[k],
                                                             v1[k])]
    check(not diff, "preset: the same values from another state", repr(diff))
    check(v2[p["path"]] == pv, "preset: %s (not part of it) kept" % p["name"],
          "%r != %r" % (v2[p["path"]], pv))
    # Unknown names.
    for name, hint in (("lowlatncy", "lowlatency"), ("qqqqqqqqqq", None)):
        before = c.values()
        r = c.exchange([(P + "preset/" + name,)])
        e = errors(r)
        after = c.values()
        check(len(e) == 1 and e[0][1][0] == P + "preset/" + name and
              "unknown preset" in e[0][1][1] and
              (hint is None or hint in e[0][1][1]) and before == after,
              "preset: unknown %r: error%s, nothing changed"
              % (name, " suggesting %s" % hint if hint else ""),
              repr([x[1] for x in e]))
    r = c.exchange([(P + "preset/lowlatency", ("i", 1))])
    check(len(errors(r)) == 1, "preset: with an argument: error")
    r = c.exchange([liblo.Bundle(*[liblo.Message(k, typed(by[k], v))
                                   for k, v in v0.items()])])
    now = c.values()
    check(not errors(r) and all(same_value(by[k], now[k], v0[k])
                                for k in v0), "preset: values restored",
          repr(errors(r)))
    c.close()


# ---- 9. fuzz --------------------------------------------------------------------

def sec_fuzz(port, pid, log, count):
    count = int(count)
    c = Client(port)
    params = get_list(c, "fuzz")
    if "underruns" not in status(pid, log):
        fail("fuzz: no JACK status line (underruns=) from SIGUSR1")
        return
    rnd = random.Random(1234 + os.getpid())
    paths = [p["path"] for p in params]
    norms = [NORM + x[len(P):] for x in paths]
    live = [p for p in params if p["apply"] == "live"]
    cmds = [P + x for x in ("get", "list", "subscribe", "unsubscribe",
                            "status", "config/save", "config/reload",
                            "preset/lowlatency", "preset/x", "ping",
                            "nosuch", "norm/", "")]
    tags = "ifdhsSbTFNItcmr[]"

    def garbage_args():
        n = rnd.choice((0, 1, 1, 2, 3, 8))
        out = ","
        data = b""
        for _ in range(n):
            t = rnd.choice(tags)
            out += t
            if t in "ifcmr":
                data += os.urandom(4)
            elif t in "hdt":
                data += os.urandom(8)
            elif t in "sS":
                data += ostr(os.urandom(rnd.randint(0, 12)).replace(b"\0",
                                                                    b"a"))
            elif t == "b":
                data += oblob(os.urandom(rnd.randint(0, 40)))
        return ostr(out) + data

    def valid_garbage():
        """A real address with arguments that cannot be a valid value of a
        row that needs a new engine, nor a command that acts."""
        kind = rnd.random()
        if kind < 0.3 and live:
            p = rnd.choice(live)
            # Any number, in range or not: these apply.
            x = rnd.uniform(p["min"] - 10, p["max"] + 10)
            t = rnd.choice("ifdh")
            if t in "ih":
                x = int(x)
            return enc_msg(p["path"], (t, x))
        path = rnd.choice(paths + norms + cmds)
        args = garbage_args()
        if args[:4] == b",\0\0\0" or args[:2] in (b",i", b",f", b",d", b",h",
                                                 b",T", b",F", b",s", b",S"):
            # Not a single plain value, not zero arguments.
            args = ostr(",N" + rnd.choice("bNIst")) + (b"\0" * 8)
        return ostr(path) + args

    def random_bytes():
        n = rnd.choice((1, 3, 4, 8, 16, 20, 64, 100, 256, 1000, 1500))
        b = bytearray(os.urandom(n))
        if rnd.random() < 0.5 and n >= 4:
            b[0] = ord("/")
        if rnd.random() < 0.2 and n >= 16:
            b[:8] = b"#bundle\0"
        return bytes(b)

    common = [enc_msg(P + "ping"), enc_msg(P + "get", ("s", paths[0])),
              enc_bundle([enc_msg(live[0]["path"], typed(live[0],
                                                         live[0]["value"]))] * 3)]
    templates = [enc_msg(p["path"], typed(p, p["value"]))
                 for p in params] + common
    # Mutations may turn a value into another valid one: only rows that
    # change without a new engine (a random window or hop would measure
    # the engine rebuild and that configuration's CPU load, not OSC).
    safe = [enc_msg(p["path"], typed(p, p["value"])) for p in live] + common

    def truncated():
        t = rnd.choice(templates)
        return t[:rnd.randint(0, len(t) - 1)]

    def bad_tags():
        p = rnd.choice(paths)
        t = rnd.choice([b"", b"f", b",", b",,", b",Z", b",fff", b",i\xff",
                        b",s", b",b", b"f,", b",iiiiiiiiiiiiiiiiiiiiiiiii"])
        return ostr(p) + (ostr(t) if rnd.random() < 0.7 else t) + \
            os.urandom(rnd.choice((0, 1, 4, 7, 8)))

    def huge_blob():
        n = rnd.randint(65000, 65400)
        return ostr(rnd.choice(paths)) + ostr(",b") + \
            struct.pack(">i", n if rnd.random() < 0.7 else n + 4096) + \
            bytes(n + (4 - n % 4) % 4)

    def nested():
        m = valid_garbage()
        depth = rnd.choice((9, 12, 20, 20, 40))
        for _ in range(depth):
            m = enc_bundle([m])
        return m

    def bad_bundle():
        elems = [valid_garbage() for _ in range(rnd.randint(1, 4))]
        b = bytearray(enc_bundle(elems))
        at = 16
        k = rnd.randrange(len(elems))
        for e in elems[:k]:
            at += 4 + len(e)
        sz = rnd.choice((0, 1, 3, 5, len(elems[k]) + 4, 0x7FFFFFFF,
                         -4 & 0xFFFFFFFF, 65536))
        b[at:at + 4] = struct.pack(">I", sz)
        if rnd.random() < 0.2:
            b = b[:rnd.randint(8, len(b))]
        return bytes(b)

    def mutated():
        b = bytearray(rnd.choice(safe))
        for _ in range(rnd.randint(1, 4)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        return bytes(b)

    gens = [(random_bytes, 20), (truncated, 15), (bad_tags, 15),
            (valid_garbage, 20), (nested, 8), (bad_bundle, 10),
            (mutated, 12)]
    pick = []
    for g, w in gens:
        pick += [g] * w
    ping = enc_msg(P + "ping")
    sock = c.raw
    sock.setblocking(False)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    except OSError:
        pass
    dest = ("127.0.0.1", port)
    # Batches that fit the daemon's socket buffer (about 200 kB by
    # default, a few hundred small datagrams; a huge blob ends its batch),
    # each closed by a ping whose pong says the daemon has read them all.
    batch = 64

    def barrier():
        """Ping and wait for the pong (dropping every other reply)."""
        sock.sendto(ping, dest)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            r, _, _ = select.select([sock], [], [], 0.05)
            if not r:
                continue
            while True:
                try:
                    d = sock.recv(70000)
                except BlockingIOError:
                    break
                if d.startswith(b"/specmorph/pong\0"):
                    return True
        return False

    def blast():
        sent = blobs = lost_pongs = 0
        t0 = time.monotonic()
        while sent < count:
            sent, blobs = one_batch(sent, blobs)
            if not barrier():
                lost_pongs += 1
        return sent, time.monotonic() - t0, blobs, lost_pongs

    def one_batch(sent, blobs):
        for _ in range(batch):
            huge = sent % 1000 == 999
            if huge:
                d = huge_blob()
                blobs += 1
            else:
                d = rnd.choice(pick)()
            if not d:
                d = b"\0"
            try:
                sock.sendto(d, dest)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            except OSError:
                continue  # e.g. EMSGSIZE
            sent += 1
            if huge:
                break
        return sent, blobs

    def discard():
        """Drops the replies queued here unread (liblo would decode them;
        some echo the garbage, not always valid UTF-8)."""
        while True:
            r, _, _ = select.select([sock], [], [], 0.2)
            if not r:
                break
            try:
                while True:
                    sock.recv(70000)
            except BlockingIOError:
                pass
        c.q = []

    # A shared machine may starve the worker now and then whatever OSC
    # does: under-runs in one run get a second run, and both are named.
    retried = []
    for attempt in (1, 2):
        st0 = status(pid, log)
        sent, dt, blobs, lost_pongs = blast()
        discard()
        st1 = status(pid, log)
        du = st1.get("underruns", 0) - st0.get("underruns", 0)
        if du == 0:
            break
        retried.append("run %d: %d under-runs, xruns +%d, worker_max_us %s"
                       % (attempt, du, st1.get("xruns", 0) -
                          st0.get("xruns", 0), st1.get("worker_max_us")))
        info("fuzz: " + retried[-1])
    sock.setblocking(True)
    # After: answers, values in range, alive, no under-run.
    pongs = sum(c.ping(2.0) for _ in range(3))
    check(pongs == 3, "fuzz: %d datagrams in %.1f s (%d huge blobs), then "
          "/specmorph/ping answered" % (sent, dt, blobs), "%d of 3" % pongs)
    check(alive(pid), "fuzz: the daemon is alive")
    after, cnt, _ = c.list()
    bad = [(p["name"], p["value"]) for p in after if not in_range(p,
                                                                  p["value"])]
    check(after and len(after) == cnt and not bad,
          "fuzz: every parameter within its range afterwards", repr(bad))
    check(st1.get("underruns") == st0.get("underruns"),
          "fuzz: no under-run during the fuzz%s" % (
              " (second run; %s)" % retried[0] if retried else ""),
          "; ".join(retried))
    got = st1.get("packets", 0) - st0.get("packets", 0)
    check(got >= 0.9 * sent, "fuzz: the daemon read %d of the %d datagrams "
          "(%d barriers lost)" % (got, sent, lost_pongs))
    check(st1.get("malformed", 0) > st0.get("malformed", 0) and
          st1.get("rejected", 0) > st0.get("rejected", 0),
          "fuzz: malformed and rejected counted",
          "malformed +%d, rejected +%d" % (
              st1.get("malformed", 0) - st0.get("malformed", 0),
              st1.get("rejected", 0) - st0.get("rejected", 0)))
    if st1.get("latency") != st0.get("latency"):
        info("fuzz: latency %r -> %r: an engine was rebuilt" %
             (st0.get("latency"), st1.get("latency")))
    info("fuzz: status before %r" % st0)
    info("fuzz: status after %r" % st1)
    c.close()


# ---- 10. rate limit ---------------------------------------------------------------

def sec_flood(port, pid, log, max_rate, rss_max_kb=4096):
    """rss_max_kb: the growth allowed (a sanitizer's allocator keeps freed
    memory in quarantine: the caller raises it then)."""
    max_rate = int(max_rate)
    rss_max_kb = int(rss_max_kb)
    c = Client(port)
    params = get_list(c, "flood")
    p = [q for q in params if q["type"] == "float" and q["apply"] == "live"][0]
    v0 = c.get(p["path"])
    rate, secs, step = 10000, 2.0, 0.01
    per = int(rate * step)
    rnd = random.Random(7)
    pool = [enc_msg(p["path"], ("f", f32(rnd.uniform(p["min"], p["max"]))))
            for _ in range(997)]
    sock = c.raw
    dest = ("127.0.0.1", port)

    def flood():
        """rate messages a second for secs, in slices of step."""
        sent = k = 0
        t0 = time.monotonic()
        while True:
            now = time.monotonic()
            if now - t0 >= secs:
                break
            due = int((now - t0) / step) + 1
            while k < due:
                for _ in range(per):
                    sock.sendto(pool[sent % len(pool)], dest)
                    sent += 1
                k += 1
            time.sleep(max(0.0, t0 + k * step - time.monotonic()))
        return sent, time.monotonic() - t0

    rss0 = rss_kb(pid)
    # As in the fuzz: under-runs in one run get a second run.
    retried = []
    for attempt in (1, 2):
        st0 = status(pid, log)
        sent, dt = flood()
        time.sleep(0.05)
        c.drain()
        pong = c.ping(3.0)
        st1 = status(pid, log)
        du = st1.get("underruns", 0) - st0.get("underruns", 0)
        if du == 0:
            break
        retried.append("run %d: %d under-runs, xruns +%d, worker_max_us %s"
                       % (attempt, du, st1.get("xruns", 0) -
                          st0.get("xruns", 0), st1.get("worker_max_us")))
        info("flood: " + retried[-1])
    rss1 = rss_kb(pid)
    handled = st1.get("messages", 0) - st0.get("messages", 0)
    dropped = st1.get("rate_dropped", 0) - st0.get("rate_dropped", 0)
    burst = max(64, max_rate / 4)
    limit = max_rate * (dt + 0.1) * 1.05 + burst + 10
    info("flood: sent %d in %.2f s; handled %d, rate_dropped %d, RSS %d -> "
         "%d kB" % (sent, dt, handled, dropped, rss0, rss1))
    check(sent >= 0.9 * rate * secs, "flood: %d messages sent in %.2f s"
          % (sent, dt))
    check(dropped > 0, "flood: rate_dropped counted (%d)" % dropped)
    check(handled <= limit, "flood: %d handled <= max_rate x time + burst "
          "(%d)" % (handled, limit))
    check(handled >= 0.5 * max_rate * dt, "flood: the limit still lets "
          "%d through (max_rate %d)" % (handled, max_rate))
    check(rss1 - rss0 < rss_max_kb, "flood: RSS grew %d kB (< %d kB)"
          % (rss1 - rss0, rss_max_kb))
    check(st1.get("underruns") == st0.get("underruns"),
          "flood: no under-run%s" % (" (second run; %s)" % retried[0]
                                     if retried else ""),
          "; ".join(retried))
    check(pong, "flood: /specmorph/ping answered afterwards")
    c.exchange([(p["path"], ("f", v0))])
    c.close()


def freeport():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


SECTIONS = {
    "params": sec_params, "coerce": sec_coerce, "norm": sec_norm,
    "reject": sec_reject, "allow": sec_allow, "subscribe": sec_subscribe,
    "bundle": sec_bundle, "saveload": sec_saveload, "atomic": sec_atomic,
    "preset": sec_preset, "fuzz": sec_fuzz, "flood": sec_flood,
}


def main(argv):
    if argv[1:] == ["freeport"]:
        freeport()
        return 0
    if len(argv) < 3 or argv[1] not in SECTIONS:
        print("usage: osc_check.py freeport | SECTION PORT [ARGS...]",
              file=sys.stderr)
        return 2
    args = [int(a) if re.fullmatch(r"\d+", a) else a for a in argv[3:]]
    # timeout(1) ends a hung section with SIGTERM: clean up on the way out.
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))
    try:
        SECTIONS[argv[1]](int(argv[2]), *args)
    except Exception:
        traceback.print_exc(file=sys.stdout)
        print("FAIL: %s: crashed (see the traceback above)" % argv[1])
        return 3
    finally:
        for pr, pid in list(SPAWNED):
            end_daemon(pr, pid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
