#!/bin/sh
# test_touchosc.sh: the generated TouchOSC layout (tools/touchosc/) against
# the parameter table (sm-docgen json):
#   a. tools/touchosc/specmorph.tosc decompresses (zlib) to valid XML:
#      <lexml>, one root GROUP, unique node IDs and names
#   b. every OSC address it sends exists (a parameter's value or norm path,
#      a command, a preset), with the arguments the server takes; every
#      address it listens to exists (parameter paths, status fields)
#   c. one control per live parameter (the XY pad counts for morph and
#      width), faders on norm paths scaled 0..1, a radio per enum on the
#      value path with one segment per choice, no control for rebuild-only
#      numbers; subscribe sends i:9000; every status field is shown
#   d. the generator: not stale (same XML as the committed file),
#      deterministic, --receive-port, and new table rows (a live float, an
#      enum, a status field) get their controls without code changes
#   e. against a running specmorphd (no JACK server: a private server name
#      that does not exist): every message the layout sends, as TouchOSC
#      would send it (faders and XY f at their start positions, every
#      radio segment i, buttons), and the other commands of sm-docgen json,
#      draw no /specmorph/error; after subscribing, every address the
#      layout listens to arrives, and the status report's fields are
#      sm-docgen json's
# What it cannot check without the TouchOSC app: see tools/touchosc/README.md.
set -u
B="${SM_BUILD:-build/release}"
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ ! -x "$B/sm-docgen" ]; then echo "test_touchosc: $B/sm-docgen not built"; exit 1; fi
"$B/sm-docgen" json > "$T/table.json" || { echo "FAIL: sm-docgen json"; exit 1; }

"$PY" - "$T" tools/touchosc/specmorph.tosc "$B/specmorphd" \
    conf/specmorphd.ini <<'EOF'
import json, os, shutil, socket, subprocess, sys, time, zlib
import xml.etree.ElementTree as ET

tmp, tosc, daemon, ini = sys.argv[1:5]
GEN = ["/usr/bin/python3", "tools/touchosc/gen_touchosc.py"]
table = json.load(open(os.path.join(tmp, "table.json")))
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s%s" % (name, (": " + str(detail)) if detail else ""))


def props(n):
    out = {}
    for p in n.find("properties"):
        v = p.find("value")
        if p.get("type") in ("r", "c"):
            out[p.find("key").text] = {c.tag: float(c.text) for c in v}
        else:
            out[p.find("key").text] = v.text
    return out


def messages(n):
    """[(send, receive, path, [(type, conversion, value, min, max)],
    [(var, condition)])] of a node's <osc> messages."""
    out = []
    m = n.find("messages")
    for o in (m.findall("osc") if m is not None else []):
        parts = o.find("path").findall("partial")
        path = "".join(p.findtext("value") for p in parts
                       if p.findtext("type") == "CONSTANT")
        const = all(p.findtext("type") == "CONSTANT" for p in parts)
        args = [(p.findtext("type"), p.findtext("conversion"),
                 p.findtext("value"), float(p.findtext("scaleMin")),
                 float(p.findtext("scaleMax")))
                for p in o.find("arguments").findall("partial")]
        trig = [(t.findtext("var"), t.findtext("condition"))
                for t in o.find("triggers").findall("trigger")]
        out.append((o.findtext("send") == "1", o.findtext("receive") == "1",
                    path if const else None, args, trig))
    return out


def load(path):
    data = open(path, "rb").read()
    return ET.fromstring(zlib.decompress(data))


# --- a. format --------------------------------------------------------
try:
    root = load(tosc)
except Exception as e:  # not zlib, not XML
    print("FAIL: %s does not load: %s" % (tosc, e))
    sys.exit(1)
check("root is <lexml>", root.tag == "lexml" and root.get("version"),
      root.tag)
tops = root.findall("node")
check("one root GROUP", len(tops) == 1 and tops[0].get("type") == "GROUP")
nodes = list(root.iter("node"))
ids = [n.get("ID") for n in nodes]
check("node IDs unique", len(ids) == len(set(ids)))
names = [props(n).get("name") for n in nodes]
check("node names unique", len(names) == len(set(names)))
for n in nodes:
    p = props(n)
    for k in ("frame", "name", "color", "visible"):
        check("%s has %s" % (p.get("name"), k), k in p)
    if n.get("type") in ("FADER", "XY", "RADIO", "BUTTON"):
        vals = {v.findtext("key") for v in n.find("values")}
        check("%s has values x/touch" % p.get("name"), {"x", "touch"} <= vals)

# --- b. addresses -------------------------------------------------------
params = table["params"]
by_path = {p["path"]: p for p in params}
by_norm = {p["norm_path"]: p for p in params}
status_paths = {s["path"] for s in table["status"]}
preset_paths = {p["path"] for p in table["presets"]}
command_args = {c["path"]: c["args"] for c in table["commands"]
                if "<" not in c["path"]}
port = 9000

sends = {}      # path -> [(node, args)]
receives = set()
for n in nodes:
    for send, recv, path, args, trig in messages(n):
        name = props(n)["name"]
        check("%s: constant OSC path" % name, path is not None)
        if path is None:
            continue
        if send:
            sends.setdefault(path, []).append((n, args, trig))
            ok = (path in by_path or path in by_norm or path in preset_paths
                  or path in command_args)
            check("%s sends to a known address" % name, ok, path)
            if path in by_path or path in by_norm:
                check("%s: one argument" % name, len(args) == 1, args)
            elif path in preset_paths or command_args.get(path) == "":
                check("%s: no arguments to %s" % (name, path), args == [],
                      args)
            elif command_args.get(path) == "[i:port]":
                check("%s: i:%d to %s" % (name, port, path),
                      args == [("CONSTANT", "INTEGER", str(port), 0, 1)],
                      args)
            if n.get("type") == "BUTTON":
                check("%s: sends on press only" % name,
                      trig == [("x", "RISE")], trig)
        if recv:
            receives.add(path)
            check("%s listens to a known address" % name,
                  path in by_path or path in by_norm or path in status_paths,
                  path)

# --- c. controls per parameter -------------------------------------------
for p in params:
    ctrls = [n for path in (p["path"], p["norm_path"])
             for n, _, _ in sends.get(path, [])]
    if p["live"] or p["type"] == "enum":
        check("one control for %s" % p["name"], len(ctrls) == 1,
              len(ctrls))
    else:
        check("no control for rebuild-only %s" % p["name"], not ctrls)
    for n, args, trig in sends.get(p["norm_path"], []):
        if n.get("type") == "FADER":
            check("%s: fader x 0..1 float" % p["name"],
                  args == [("VALUE", "FLOAT", "x", 0, 1)], args)
            x = [v.findtext("default") for v in n.find("values")
                 if v.findtext("key") == "x"][0]
            check("%s: fader starts at the default" % p["name"],
                  abs(float(x) - p["norm_default"]) < 1e-5, x)
    if p["type"] == "enum":
        radios = [n for n, _, _ in sends.get(p["path"], [])
                  if n.get("type") == "RADIO"]
        check("%s: a radio on the value path" % p["name"], len(radios) == 1)
        for n in radios:
            check("%s: one segment per choice" % p["name"],
                  props(n)["steps"] == str(len(p["choices"])),
                  props(n)["steps"])
            args = [a for s, r, path, a, t in messages(n)]
            check("%s: sends the index" % p["name"],
                  args == [[("VALUE", "INTEGER", "x", 0, 1)]], args)
    if p["live"] and p["type"] != "enum":
        check("%s: its value is shown" % p["name"], p["path"] in receives)

xys = [n for n in nodes if n.get("type") == "XY"]
check("one XY pad", len(xys) == 1)
if xys:
    m = [(path, args, trig) for s, r, path, args, trig in messages(xys[0])]
    check("XY: x -> norm morph.position, y -> norm output.width",
          m == [("/specmorph/norm/morph/position",
                 [("VALUE", "FLOAT", "x", 0, 1)], [("x", "ANY")]),
                ("/specmorph/norm/output/width",
                 [("VALUE", "FLOAT", "y", 0, 1)], [("y", "ANY")])], m)
check("a subscribe button", "/specmorph/subscribe" in sends)
for s in table["status"]:
    check("status %s shown" % s["name"], s["path"] in receives)
for f in ("in_a_dbfs", "in_b_dbfs", "out_l_dbfs", "out_r_dbfs", "dsp_load"):
    meters = [n for n in nodes if n.get("type") == "FADER"
              and props(n)["interactive"] == "0"
              and any(path == "/specmorph/status/" + f
                      for s, r, path, a, t in messages(n))]
    check("a meter for %s" % f, len(meters) == 1)

# --- d. the generator ------------------------------------------------------
tj = os.path.join(tmp, "table.json")
r = subprocess.run(GEN + ["--json", tj, "--check", tosc])
check("specmorph.tosc is up to date (make docs)", r.returncode == 0)
a, b = os.path.join(tmp, "a.tosc"), os.path.join(tmp, "b.tosc")
subprocess.run(GEN + ["--json", tj, "-o", a], check=True)
subprocess.run(GEN + ["--json", tj, "-o", b], check=True)
check("deterministic", open(a, "rb").read() == open(b, "rb").read())
subprocess.run(GEN + ["--json", tj, "-o", a, "--receive-port", "9123"],
               check=True)
sub = [args for n in load(a).iter("node")
       for s, r, path, args, t in messages(n)
       if path == "/specmorph/subscribe"]
check("--receive-port", sub == [[("CONSTANT", "INTEGER", "9123", 0, 1)]],
      sub)

# New rows: a live float, an enum with four choices, a status field.
t2 = json.loads(json.dumps(table))
t2["params"].append(dict(t2["params"][0], name="mod.amount",
                         section="mod", key="amount",
                         path="/specmorph/mod/amount",
                         norm_path="/specmorph/norm/mod/amount"))
enum = [p for p in table["params"] if p["type"] == "enum"][0]
t2["params"].append(dict(enum, name="mod.shape", section="mod",
                         key="shape", path="/specmorph/mod/shape",
                         norm_path="/specmorph/norm/mod/shape",
                         choices=["sine", "tri", "saw", "noise"], max=3))
t2["status"].append(dict(t2["status"][0], name="mod_phase",
                         path="/specmorph/status/mod_phase"))
tj2 = os.path.join(tmp, "table2.json")
json.dump(t2, open(tj2, "w"))
subprocess.run(GEN + ["--json", tj2, "-o", a], check=True)
new = load(a)
found = {}
for n in new.iter("node"):
    for s, r, path, args, t in messages(n):
        found.setdefault(path, []).append((n.get("type"), s, r,
                                          props(n).get("steps")))
check("new live float gets a fader",
      ("FADER", True, True, None) in found.get("/specmorph/norm/mod/amount",
                                             []), found.get(
                                                 "/specmorph/norm/mod/amount"))
check("new enum gets a 4-step radio",
      ("RADIO", True, True, "4") in found.get("/specmorph/mod/shape", []),
      found.get("/specmorph/mod/shape"))
check("new status field gets a label",
      ("LABEL", False, True, None) in found.get(
          "/specmorph/status/mod_phase", []))

# --- e. against the daemon ---------------------------------------------------
def live():
    try:
        import liblo
    except ImportError:
        check("python3-liblo installed (apt-get install python3-liblo)",
              False)
        return
    if not os.access(daemon, os.X_OK):
        check("%s built" % daemon, False)
        return
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = os.path.join(tmp, "d.ini")
    shutil.copy(ini, conf)
    log = open(os.path.join(tmp, "d.log"), "w")
    d = subprocess.Popen([daemon, "-c", conf, "-s", "sm_touchosc_nojack",
                          "--osc-port", str(port), "--osc-bind", "127.0.0.1"],
                         stdout=log, stderr=subprocess.STDOUT)
    got = []
    srv = liblo.Server(0)
    srv.add_method(None, None, lambda path, args: got.append((path, args)))
    target = liblo.Address("127.0.0.1", port)

    def drain(seconds):
        end = time.time() + seconds
        while time.time() < end:
            srv.recv(20)
    try:
        for _ in range(100):
            srv.send(target, "/specmorph/ping")
            drain(0.05)
            if any(p == "/specmorph/pong" for p, _ in got):
                break
        check("daemon answers ping", any(p == "/specmorph/pong"
                                         for p, _ in got),
              open(os.path.join(tmp, "d.log")).read())
        srv.send(target, "/specmorph/subscribe")
        drain(0.3)
        sent = 0
        for n in nodes:
            steps = int(props(n).get("steps") or 0)
            defaults = {v.findtext("key"): v.findtext("default")
                        for v in n.find("values")}
            for send, recv, path, args, trig in messages(n):
                if not send or path is None:
                    continue
                variants = [[]]
                for ptype, conv, val, smin, smax in args:
                    if ptype == "CONSTANT":
                        v = [int(val) if conv == "INTEGER" else
                             float(val) if conv == "FLOAT" else val]
                    elif conv == "INTEGER":     # radio: every segment
                        v = list(range(steps))
                    else:
                        # fader / XY: where the control starts (extremes
                        # would trip the crossover pair rule, rightly)
                        v = [float(defaults[val])]
                    variants = [a + [x] for a in variants for x in v]
                for a in variants:
                    m = liblo.Message(path)
                    for x in a:
                        m.add(("i", x) if isinstance(x, int) else
                              ("f", x) if isinstance(x, float) else ("s", x))
                    srv.send(target, m)
                    sent += 1
                    drain(0.01)
        # The commands of sm-docgen json the layout does not send.
        replies = {"/specmorph/ping": "/specmorph/pong",
                   "/specmorph/list": "/specmorph/list/end",
                   "/specmorph/status": "/specmorph/status",
                   "/specmorph/get": "/specmorph/mask/k"}
        for c in table["commands"]:
            if c["path"] in sends or "<" in c["path"]:
                continue
            check("reply known for %s" % c["path"], c["path"] in replies)
            if c["args"] == "s:path":
                srv.send(target, c["path"], "/specmorph/mask/k")
            else:
                srv.send(target, c["path"])
            sent += 1
        drain(0.5)
        for c, r in replies.items():
            check("%s answers %s" % (c, r), any(p == r for p, _ in got))
        errors = [a for p, a in got if p == "/specmorph/error"]
        check("%d messages as the layout sends them: no error" % sent,
              sent >= sum(len(v) for v in sends.values()) and not errors,
              errors)
        reports = [a for p, a in got if p == "/specmorph/status"]
        names = [str(x) for x in reports[0][0::2]] if reports else []
        check("the status fields of sm-docgen json = the daemon's",
              names == [f["name"] for f in table["status"]],
              (names, [f["name"] for f in table["status"]]))
        arrived = {p for p, _ in got}
        missing = sorted(receives - arrived)
        check("every address the layout listens to arrives", not missing,
              missing)
    finally:
        d.terminate()
        try:
            d.wait(5)
        except subprocess.TimeoutExpired:
            d.kill()
        log.close()


live()

print("test_touchosc: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
