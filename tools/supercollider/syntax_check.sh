#!/bin/sh
# syntax_check.sh [FILE.scd]: compiles every top-level ( ... ) block of a
# SuperCollider file with sclang, without running it (no audio server, no
# display: Qt offscreen). Exit 0 when every block compiles. Needs sclang
# (Debian: supercollider-language).
set -eu
f="${1:-$(dirname "$0")/specmorph.scd}"
command -v sclang >/dev/null || { echo "syntax_check: sclang not installed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/check.scd" <<'SC'
(
var text = File.readAllString("SM_FILE".standardizePath), blocks = List.new;
var cur = nil, bad = 0;
text.split($\n).do { |line|
    case
    { cur.isNil and: { line == "(" } } { cur = List.new }
    { cur.notNil and: { line == ")" } } { blocks.add(cur.join("\n")); cur = nil }
    { cur.notNil } { cur.add(line) };
};
if(cur.notNil) { "unclosed block at the end".postln; bad = bad + 1 };
blocks.do { |b, i|
    if(thisProcess.interpreter.compile("(\n" ++ b ++ "\n)").isNil) {
        "block % does not compile".format(i + 1).postln;
        bad = bad + 1;
    };
};
"syntax_check: % blocks, % bad".format(blocks.size, bad).postln;
(if(bad == 0) { 0 } { 1 }).exit;
)
SC
sed -i "s|SM_FILE|$(realpath "$f")|" "$tmp/check.scd"
# Root in a container: QtWebEngine refuses its sandbox; nothing is shown.
rc=0
QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 \
    timeout 120 sclang "$tmp/check.scd" > "$tmp/log" 2>&1 || rc=$?
grep -E -A6 "^ERROR|syntax_check|does not compile|unclosed" "$tmp/log" || true
exit $rc
