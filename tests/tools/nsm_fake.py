#!/usr/bin/python3
"""nsm_fake.py: a minimal NSM server for test_nsm.sh.

    nsm_fake.py DAEMON JACK_SERVER DIR OSC_PORT

Starts DAEMON under NSM_URL pointing here, plays the session manager's
part of the NSM 1.2 protocol (announce reply, open, save) and checks what
the daemon does: its announce, its answers, the session file, the JACK
name taken from the client id, dirty/clean reports, and that a second
run of the same session loads the saved state. Prints "ok: ..." and
"FAIL: ..." lines; exits 1 on any failure. Kills what it starts.
"""
import os
import subprocess
import sys
import time

import liblo

daemon, server, tmp, osc_port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fails = 0
passes = 0


def check(name, cond, detail=""):
    global fails, passes
    if cond:
        passes += 1
        if os.environ.get("SM_VERBOSE") == "1":
            print("ok: nsm: " + name)
    else:
        fails += 1
        print("FAIL: nsm: " + name + (": " + detail if detail else ""))
    return cond


class Fake:
    def __init__(self):
        self.srv = liblo.Server()  # a free port, chosen by liblo
        self.url = "osc.udp://127.0.0.1:%d/" % self.srv.port
        self.got = []
        self.srv.add_method(None, None, self.on_any)

    def on_any(self, path, args, types, src):
        self.got.append((path, args, src.url))

    def wait(self, pred, secs):
        end = time.time() + secs
        while time.time() < end:
            self.srv.recv(20)
            for i, m in enumerate(self.got):
                if pred(m):
                    del self.got[i]
                    return m
        return None


def run_session(fake, prefix, client_id, log):
    env = dict(os.environ, NSM_URL=fake.url)
    p = subprocess.Popen([daemon, "-s", server, "--osc-port", str(osc_port)],
                         env=env, stdout=log, stderr=subprocess.STDOUT)
    ann = fake.wait(lambda m: m[0] == "/nsm/server/announce", 5)
    return p, ann


def stop(p):
    p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def log_has(path, text, secs):
    end = time.time() + secs
    while time.time() < end:
        with open(path) as f:
            if text in f.read():
                return True
        time.sleep(0.05)
    return False


def osc_get(addr):
    c = liblo.Server()
    box = []
    c.add_method(addr, None, lambda p, a: box.append(a[0]))
    c.send(liblo.Address("127.0.0.1", osc_port), "/specmorph/get", addr)
    end = time.time() + 3
    while not box and time.time() < end:
        c.recv(20)
    c.free()
    return box[0] if box else None


fake = Fake()
sess = os.path.join(tmp, "session")
os.makedirs(sess, exist_ok=True)
prefix = os.path.join(sess, "specmorph.nTEST")
cid = "specmorph.nTEST"
log1 = os.path.join(tmp, "nsm1.log")

with open(log1, "w") as log:
    p, ann = run_session(fake, prefix, cid, log)
try:
    if check("announce arrives", ann is not None):
        a = ann[1]
        check("announce: name, capabilities, executable, API 1.2, pid",
              len(a) == 6 and a[0] == "specmorphd" and ":dirty:" in a[1] and
              a[2] == "specmorphd" and a[3] == 1 and a[4] == 2 and a[5] == p.pid,
              repr(a))
        fake.srv.send(ann[2], "/reply", "/nsm/server/announce", "hello", "fake-nsm", ":server-control:")
    time.sleep(0.3)
    check("nothing connects to JACK before the open",
          not log_has(log1, "ready:", 0.1))
    fake.srv.send(ann[2], "/nsm/client/open", prefix, "specmorphd", cid)
    r = fake.wait(lambda m: m[0] in ("/reply", "/error") and m[1][0] == "/nsm/client/open", 5)
    check("open answered with /reply", r is not None and r[0] == "/reply", repr(r))
    check("new session: PREFIX.ini written", os.path.exists(prefix + ".ini"))
    check("JACK name is the client id", log_has(log1, "ready: " + cid + ":in_a", 5))
    # A change over OSC makes the session dirty.
    c = liblo.Address("127.0.0.1", osc_port)
    liblo.send(c, "/specmorph/mask/k", ("f", 5.0))
    d = fake.wait(lambda m: m[0] == "/nsm/client/is_dirty", 3)
    check("an OSC change reports /nsm/client/is_dirty", d is not None)
    fake.srv.send(ann[2], "/nsm/client/save")
    r = fake.wait(lambda m: m[0] in ("/reply", "/error") and m[1][0] == "/nsm/client/save", 5)
    check("save answered with /reply", r is not None and r[0] == "/reply", repr(r))
    with open(prefix + ".ini") as f:
        ini = f.read()
    check("the session file holds the change", "k = 5" in ini, ini[:200])
    cl = fake.wait(lambda m: m[0] == "/nsm/client/is_clean", 2)
    check("clean after the save", cl is not None)
finally:
    stop(p)
check("SIGTERM (the session manager's stop) ends the daemon with 0", p.returncode == 0,
      str(p.returncode))

# Second run of the same session: the saved state comes back.
log2 = os.path.join(tmp, "nsm2.log")
with open(log2, "w") as log:
    p, ann = run_session(fake, prefix, cid, log)
try:
    if check("second run announces", ann is not None):
        fake.srv.send(ann[2], "/nsm/client/open", prefix, "specmorphd", cid)
        r = fake.wait(lambda m: m[0] in ("/reply", "/error") and m[1][0] == "/nsm/client/open", 5)
        check("second open answered", r is not None and r[0] == "/reply", repr(r))
        check("second run: JACK name again", log_has(log2, "ready: " + cid + ":in_a", 5))
        k = osc_get("/specmorph/mask/k")
        check("second run: the saved mask.k (5) is back", k is not None and abs(k - 5.0) < 1e-6, repr(k))
    # A bad session file: the open fails with /error, nothing else changes.
finally:
    stop(p)

with open(prefix + ".ini", "a") as f:
    f.write("\n[mask]\nk = 99\n")
log3 = os.path.join(tmp, "nsm3.log")
with open(log3, "w") as log:
    p, ann = run_session(fake, prefix, cid, log)
try:
    if ann:
        fake.srv.send(ann[2], "/nsm/client/open", prefix, "specmorphd", cid)
        r = fake.wait(lambda m: m[0] in ("/reply", "/error") and m[1][0] == "/nsm/client/open", 5)
        check("bad session file: open answered with /error", r is not None and r[0] == "/error", repr(r))
    else:
        check("third run announces", False)
finally:
    stop(p)

print("nsm: %d passed, %d failed" % (passes, fails))
sys.exit(1 if fails else 0)
