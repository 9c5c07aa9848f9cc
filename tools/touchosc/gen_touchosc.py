#!/usr/bin/python3
"""gen_touchosc.py: writes a TouchOSC layout (.tosc) for specmorphd,
generated from the parameter table (`sm-docgen json`), so a new row of
dsp/params.def gets its control without editing this file.

    gen_touchosc.py [--docgen build/release/sm-docgen | --json FILE]
                    [-o tools/touchosc/specmorph.tosc] [--receive-port 9000]
                    [--connection 1] [--xml] [--check FILE]

What the layout holds (every address comes from the table):
  - an XY pad: x -> /specmorph/norm/morph/position,
               y -> /specmorph/norm/output/width
  - a fader per other live float or int parameter, on its norm path (0..1
    on the parameter's own fader curve, so log rows feel right), with the
    parameter's name above and its value (fed back on the value path)
    below
  - a radio (one segment per choice) per enum parameter, sending the
    choice index on the value path
  - buttons: subscribe (i:RECEIVE_PORT), unsubscribe, one per preset,
    config/save, config/reload
  - meters fed by /specmorph/status/<field>: the *_dbfs levels (-60..0
    dBFS) and dsp_load (0..100 %), and a label per status field
Rebuild-only numbers (window and hop sizes, band count) get no fader: a
fader would rebuild the engine on every step; the preset buttons set them.

The format (.tosc, TouchOSC 1.x): zlib-compressed UTF-8 XML, root
<lexml version='3'> holding one GROUP <node>; a node has <properties>
(typed key/value), <values> (x, y, touch, text... with defaults),
<messages> (<osc>: enabled/send/receive/feedback, connections bit mask,
triggers, path and arguments as lists of <partial>s) and <children>.
The output is deterministic (node IDs are UUIDv5 of the control names), so
a check can tell a stale file: --check compares the XML inside.
"""
import argparse
import json
import os
import subprocess
import sys
import uuid
import zlib

NS = uuid.UUID("6f2b1c52-5b0e-4c1e-9a51-7370656d6f72")  # fixed: stable IDs

W = 1280            # canvas, points (TouchOSC scales it to the screen)
MARGIN = 10

# colours (r, g, b, a)
BG = (0.08, 0.08, 0.1, 1)
PANEL = (0.14, 0.14, 0.17, 1)
ACCENT = (0.25, 0.7, 1.0, 1)
ENUMC = (1.0, 0.6, 0.2, 1)
METER = (0.3, 0.9, 0.4, 1)
LOAD = (1.0, 0.8, 0.2, 1)
BUTTON = (0.5, 0.5, 0.6, 1)
TEXT = (1, 1, 1, 1)
DIM = (0.65, 0.65, 0.7, 1)

LEVEL_RANGE = (-60.0, 0.0)      # dBFS on a level meter
LOAD_RANGE = (0.0, 100.0)       # % on the DSP load meter


# ---- XML text --------------------------------------------------------------

def cdata(text):
    return "<![CDATA[%s]]>" % str(text).replace("]]>", "]]]]><![CDATA[>")


def num(v):
    """A number as TouchOSC writes it: integers without a point."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int) or float(v).is_integer():
        return "%d" % int(v)
    return repr(round(float(v), 6))


def prop(kind, key, value):
    if kind == "s":
        body = cdata(value)
    elif kind == "c":
        body = "<r>%s</r><g>%s</g><b>%s</b><a>%s</a>" % tuple(num(c) for c in value)
    elif kind == "r":
        body = "<x>%s</x><y>%s</y><w>%s</w><h>%s</h>" % tuple(num(c) for c in value)
    else:
        body = num(value)
    return ("<property type='%s'><key>%s</key><value>%s</value></property>"
            % (kind, cdata(key), body))


def value(key, default, locked_default=False):
    return ("<value><key>%s</key><locked>0</locked>"
            "<lockedDefaultCurrent>%d</lockedDefaultCurrent>"
            "<default>%s</default><defaultPull>0</defaultPull></value>"
            % (cdata(key), 1 if locked_default else 0, cdata(default)))


def partial(ptype, conversion, val, smin=0, smax=1):
    return ("<partial><type>%s</type><conversion>%s</conversion>"
            "<value>%s</value><scaleMin>%s</scaleMin><scaleMax>%s</scaleMax>"
            "</partial>" % (ptype, conversion, cdata(val), num(smin), num(smax)))


class Ctx:
    def __init__(self, connection):
        # One bit per connection, connection 1 rightmost (as TouchOSC
        # writes "00001" for connection 1 only).
        self.connections = "".join("1" if i == connection else "0"
                                   for i in range(5, 0, -1))
        self.names = set()


def osc(ctx, path, args, send=True, receive=True, trigger="x",
        condition="ANY"):
    """One <osc> message: a constant path, args = partials."""
    trig = ("<trigger><var>%s</var><condition>%s</condition></trigger>"
            % (cdata(trigger), condition)) if trigger else ""
    return ("<osc><enabled>1</enabled><send>%d</send><receive>%d</receive>"
            "<feedback>0</feedback><connections>%s</connections>"
            "<triggers>%s</triggers><path>%s</path><arguments>%s</arguments>"
            "</osc>" % (1 if send else 0, 1 if receive else 0, ctx.connections,
                        trig, partial("CONSTANT", "STRING", path),
                        "".join(args)))


def common(name, frame, color, interactive, extra=(), outline=True,
           background=True):
    props = [
        ("b", "background", background),
        ("c", "color", color),
        ("f", "cornerRadius", 1),
        ("r", "frame", frame),
        ("b", "grabFocus", interactive),
        ("b", "interactive", interactive),
        ("b", "locked", False),
        ("s", "name", name),
        ("i", "orientation", 0),
        ("b", "outline", outline),
        ("i", "outlineStyle", 1),
        ("i", "pointerPriority", 0),
        ("i", "shape", 1),
        ("b", "visible", True),
    ]
    keys = {k for _, k, _ in extra}
    props = [p for p in props if p[1] not in keys] + list(extra)
    props.sort(key=lambda p: p[1])
    return "".join(prop(*p) for p in props)


def node(ctx, ntype, name, props, values, messages="", children=None):
    if name in ctx.names:
        raise SystemExit("gen_touchosc: duplicate control name %s" % name)
    ctx.names.add(name)
    nid = uuid.uuid5(NS, name)
    out = ["<node ID='%s' type='%s'>" % (nid, ntype),
           "<properties>%s</properties>" % props,
           "<values>%s</values>" % "".join(values)]
    if messages:
        out.append("<messages>%s</messages>" % messages)
    if children is not None:
        out.append("<children>\n%s\n</children>" % "\n".join(children))
    out.append("</node>")
    return "".join(out)


# ---- controls --------------------------------------------------------------

def label(ctx, name, frame, text, size=12, color=TEXT, align=2,
          receive=None, background=False):
    """A LABEL; receive=path makes it show the first argument of that
    message (as text)."""
    props = common(name, frame, PANEL, False, outline=False,
                   background=background, extra=[
                       ("i", "font", 0),
                       ("i", "textAlignH", align),
                       ("i", "textAlignV", 2),
                       ("b", "textClip", True),
                       ("c", "textColor", color),
                       ("i", "textLength", 0),
                       ("i", "textSize", size),
                   ])
    msgs = ""
    if receive:
        msgs = osc(ctx, receive, [partial("VALUE", "STRING", "text")],
                   send=False, receive=True, trigger="text")
    return node(ctx, "LABEL", name, props,
                [value("text", text, locked_default=not receive),
                 value("touch", "false")], msgs)


def fader(ctx, name, frame, path, default, color, orientation=0,
          interactive=True, smin=0, smax=1):
    props = common(name, frame, color, interactive, extra=[
        ("b", "bar", True),
        ("i", "barDisplay", 0),
        ("b", "cursor", interactive),
        ("i", "cursorDisplay", 0),
        ("b", "grid", interactive),
        ("i", "gridSteps", 10),
        ("i", "orientation", orientation),
        ("i", "response", 0),
        ("i", "responseFactor", 100),
    ])
    msg = osc(ctx, path, [partial("VALUE", "FLOAT", "x", smin, smax)],
              send=interactive, receive=True)
    return node(ctx, "FADER", name, props,
                [value("touch", "false"), value("x", num(default))], msg)


def xy(ctx, name, frame, xpath, ypath, xdef, ydef):
    props = common(name, frame, ACCENT, True, extra=[
        ("b", "cursor", True),
        ("i", "cursorDisplay", 0),
        ("i", "gridStepsX", 10),
        ("i", "gridStepsY", 10),
        ("b", "gridX", True),
        ("b", "gridY", True),
        ("b", "lines", True),
        ("i", "linesDisplay", 0),
        ("b", "lockX", False),
        ("b", "lockY", False),
        ("i", "response", 0),
        ("i", "responseFactor", 100),
    ])
    # Two messages, one per axis: each address takes one value.
    msgs = (osc(ctx, xpath, [partial("VALUE", "FLOAT", "x")], trigger="x") +
            osc(ctx, ypath, [partial("VALUE", "FLOAT", "y")], trigger="y"))
    return node(ctx, "XY", name, props,
                [value("touch", "false"), value("x", num(xdef)),
                 value("y", num(ydef))], msgs)


def radio(ctx, name, frame, path, steps, default):
    props = common(name, frame, ENUMC, True, extra=[
        ("i", "orientation", 1),      # segments left to right
        ("i", "radioType", 0),
        ("i", "steps", steps),
    ])
    # x is the segment index 0..steps-1; scale 0..1 sends it unchanged
    # (TouchOSC sends min + x * (max - min)).
    msg = osc(ctx, path, [partial("VALUE", "INTEGER", "x", 0, 1)])
    return node(ctx, "RADIO", name, props,
                [value("touch", "false"), value("x", "%d" % default)], msg)


def button(ctx, name, frame, path, args=(), color=BUTTON):
    props = common(name, frame, color, True, extra=[
        ("i", "buttonType", 0),       # momentary
        ("b", "press", True),
        ("b", "release", True),
        ("b", "valuePosition", False),
    ])
    # RISE: one message per press, none on release.
    msg = osc(ctx, path, list(args), send=True, receive=False, trigger="x",
              condition="RISE")
    return node(ctx, "BUTTON", name, props,
                [value("touch", "false"), value("x", "0")], msg)


# ---- layout ----------------------------------------------------------------

def short(p):
    return p["key"]


def build(table, receive_port, connection):
    ctx = Ctx(connection)
    params = table["params"]
    byname = {p["name"]: p for p in params}
    kids = []

    # Row 1: commands. Buttons carry no text: a label on top names each.
    cmds = {c["path"] for c in table["commands"]}
    prefix = table["osc"]["prefix"]
    buttons = [("subscribe", prefix + "subscribe",
                [partial("CONSTANT", "INTEGER", receive_port)],
                "subscribe %d" % receive_port, ACCENT),
               ("unsubscribe", prefix + "unsubscribe",
                [partial("CONSTANT", "INTEGER", receive_port)],
                "unsubscribe", BUTTON)]
    for pr in table["presets"]:
        buttons.append(("preset_" + pr["name"], pr["path"], [],
                        pr["name"], ENUMC))
    buttons += [("save", prefix + "config/save", [], "save", BUTTON),
                ("reload", prefix + "config/reload", [], "reload", BUTTON)]
    for _, path, _, _, _ in buttons:
        if path not in cmds and path not in {p["path"] for p in table["presets"]}:
            raise SystemExit("gen_touchosc: %s is not in sm-docgen json" % path)
    bw = min(130, (W - 2 * MARGIN - 200) // len(buttons) - 8)
    label_w = 190
    kids.append(label(ctx, "title", (MARGIN, 10, label_w, 50),
                      "specmorphd", size=20, align=0))
    x = MARGIN + label_w + 10
    for name, path, args, text, col in buttons:
        kids.append(button(ctx, "btn_" + name, (x, 10, bw, 50), path, args,
                           col))
        kids.append(label(ctx, "btn_" + name + "_label", (x, 10, bw, 50),
                          text, size=12))
        x += bw + 8

    top = 80
    # Left: XY pad, morph.position (x) and output.width (y), when both
    # exist (they are the table's; fall back to faders if one goes).
    xp, yp = byname.get("morph.position"), byname.get("output.width")
    on_xy = set()
    left_w = 420
    y_left = top
    if xp and yp:
        on_xy = {xp["name"], yp["name"]}
        kids.append(label(ctx, "xy_title", (MARGIN, top, left_w, 20),
                          "x: %s   y: %s" % (xp["name"], yp["name"]),
                          size=12, color=DIM, align=0))
        kids.append(xy(ctx, "xy_morph_width",
                       (MARGIN, top + 24, left_w, left_w),
                       xp["norm_path"], yp["norm_path"],
                       xp["norm_default"], yp["norm_default"]))
        yv = top + 24 + left_w + 6
        half = left_w // 2
        for i, p in enumerate((xp, yp)):
            kids.append(label(ctx, "xy_%s_name" % p["key"],
                              (MARGIN + i * half, yv, 90, 22),
                              p["key"], size=11, color=DIM, align=0))
            kids.append(label(ctx, "xy_%s_value" % p["key"],
                              (MARGIN + i * half + 90, yv, half - 95, 22),
                              "-", size=12, align=0, receive=p["path"]))
        y_left = yv + 30

    # Middle: enums as radios, then live numbers as faders.
    mid_x = MARGIN + left_w + 20
    mid_w = 560
    y = top
    for p in params:
        if p["type"] != "enum":
            continue
        steps = len(p["choices"])
        kids.append(label(ctx, "%s_name" % p["name"], (mid_x, y, mid_w, 20),
                          "%s (%s)" % (p["name"], "live" if p["live"]
                                       else "rebuild"),
                          size=12, color=DIM, align=0))
        kids.append(radio(ctx, p["name"], (mid_x, y + 22, mid_w, 44),
                          p["path"], steps, int(p["default"])))
        seg = mid_w / steps
        for i, ch in enumerate(p["choices"]):
            kids.append(label(ctx, "%s_choice_%d" % (p["name"], i),
                              (int(mid_x + i * seg), y + 22, int(seg), 44),
                              ch, size=13))
        y += 76

    faders = [p for p in params
              if p["type"] in ("float", "int") and p["live"]
              and p["name"] not in on_xy]
    slot = 92
    per_row = max(1, mid_w // slot)
    rows = (len(faders) + per_row - 1) // per_row
    # Fader height: up to 220, less to keep more rows within 800 points
    # (down to 120; beyond that the canvas grows).
    extra = 84                      # labels above and below a fader
    fh = 220
    if rows:
        fh = max(120, min(220, (800 - MARGIN - y) // rows - extra))
    for i, p in enumerate(faders):
        fx = mid_x + (i % per_row) * slot
        fy = y + (i // per_row) * (fh + extra)
        kids.append(label(ctx, "%s_section" % p["name"], (fx, fy, slot - 6, 16),
                          p["section"], size=10, color=DIM))
        kids.append(label(ctx, "%s_name" % p["name"], (fx, fy + 16, slot - 6, 18),
                          p["key"], size=11))
        kids.append(fader(ctx, p["name"], (fx + 14, fy + 36, slot - 34, fh),
                          p["norm_path"], p["norm_default"], ACCENT))
        unit = (" " + p["unit"]) if p["unit"] else ""
        kids.append(label(ctx, "%s_value" % p["name"],
                          (fx, fy + 40 + fh, slot - 6, 18), "-", size=11,
                          receive=p["path"]))
        kids.append(label(ctx, "%s_range" % p["name"],
                          (fx, fy + 58 + fh, slot - 6, 14),
                          "%s..%s%s" % (num(p["min"]), num(p["max"]), unit),
                          size=9, color=DIM))
    y_mid = y + rows * (fh + extra)

    # Right: status meters and labels.
    rx = mid_x + mid_w + 20
    rw = W - MARGIN - rx
    status = table["status"]
    meters = [s for s in status
              if s["name"].endswith("_dbfs") or s["name"] == "dsp_load"]
    kids.append(label(ctx, "status_title", (rx, top, rw, 20),
                      "status (after subscribe)", size=12, color=DIM,
                      align=0))
    mw = rw // max(1, len(meters))
    mh = 200
    for i, s in enumerate(meters):
        mx = rx + i * mw
        level = s["name"].endswith("_dbfs")
        lo, hi = LEVEL_RANGE if level else LOAD_RANGE
        kids.append(fader(ctx, "meter_" + s["name"], (mx + 6, top + 24, mw - 12, mh),
                          s["path"], 0, METER if level else LOAD,
                          interactive=False, smin=lo, smax=hi))
        kids.append(label(ctx, "meter_%s_name" % s["name"],
                          (mx, top + 28 + mh, mw, 16),
                          s["name"].replace("_dbfs", ""), size=10,
                          color=DIM))
    ly = top + 52 + mh
    for s in status:
        # The unit, where the name does not say it already (latency_ms).
        unit = s["unit"]
        unit = "" if not unit or s["name"].lower().endswith(unit.lower()) \
            else " " + unit
        kids.append(label(ctx, "status_%s_name" % s["name"], (rx, ly, 130, 20),
                          s["name"] + unit, size=11, color=DIM, align=0))
        kids.append(label(ctx, "status_%s" % s["name"], (rx + 130, ly, rw - 130, 20),
                          "-", size=12, align=0, receive=s["path"]))
        ly += 22

    h = max(800, y_left, y_mid, ly) + MARGIN
    root_props = common("specmorph", (0, 0, W, h), BG, False, outline=False)
    root = node(ctx, "GROUP", "specmorph", root_props,
                [value("touch", "false")], children=kids)
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<lexml version='3'>\n"
            + root + "\n</lexml>\n")


def load_table(args):
    if args.json:
        with open(args.json, encoding="utf-8") as f:
            return json.load(f)
    out = subprocess.run([args.docgen, "json"], check=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out.decode("utf-8"))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docgen", default="build/release/sm-docgen",
                    help="sm-docgen to ask for the table (default %(default)s)")
    ap.add_argument("--json", help="read the table from this file instead")
    ap.add_argument("-o", "--output",
                    default=os.path.join(here, "specmorph.tosc"))
    ap.add_argument("--receive-port", type=int, default=9000,
                    help="the port TouchOSC receives on, sent with "
                         "/specmorph/subscribe (default %(default)s)")
    ap.add_argument("--connection", type=int, default=1, choices=range(1, 6),
                    help="TouchOSC OSC connection to use (default 1)")
    ap.add_argument("--xml", action="store_true",
                    help="write the XML uncompressed (for reading)")
    ap.add_argument("--check", metavar="FILE",
                    help="exit 1 when FILE differs from what would be "
                         "generated (compares the XML inside)")
    args = ap.parse_args()
    if not 1 <= args.receive_port <= 65535:
        ap.error("--receive-port: 1 to 65535")
    xml = build(load_table(args), args.receive_port,
                args.connection).encode("utf-8")
    if args.check:
        try:
            with open(args.check, "rb") as f:
                have = zlib.decompress(f.read())
        except (OSError, zlib.error) as e:
            print("touchosc: %s: %s" % (args.check, e), file=sys.stderr)
            return 1
        if have != xml:
            print("touchosc: %s is stale: run make docs" % args.check,
                  file=sys.stderr)
            return 1
        return 0
    data = xml if args.xml else zlib.compress(xml, 9)
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
