#!/bin/sh
# gendocs.sh BUILD [--check]: regenerates the README parameter, preset,
# settings and OSC references (between their markers), conf/specmorphd.ini
# and the TouchOSC layout tools/touchosc/specmorph.tosc from the parameter
# table. With --check, fails when the committed files are stale.
set -eu
gen="$1/sm-docgen"
mode="${2:-write}"
py="${PYTHON:-/usr/bin/python3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" ini > "$tmp/specmorphd.ini"
"$gen" markdown > "$tmp/params.md"
"$gen" settings > "$tmp/settings.md"
"$gen" presets > "$tmp/presets.md"
"$gen" osc > "$tmp/osc.md"
"$gen" json > "$tmp/table.json"
awk -v tbl="$tmp/params.md" -v st="$tmp/settings.md" -v pr="$tmp/presets.md" \
    -v oc="$tmp/osc.md" '
    /<!-- params:begin -->/ { print; while ((getline l < tbl) > 0) print l; skip = 1; next }
    /<!-- settings:begin -->/ { print; while ((getline l < st) > 0) print l; skip = 1; next }
    /<!-- presets:begin -->/ { print; while ((getline l < pr) > 0) print l; skip = 1; next }
    /<!-- osc:begin -->/ { print; while ((getline l < oc) > 0) print l; skip = 1; next }
    /<!-- (params|settings|presets|osc):end -->/ { skip = 0 }
    !skip { print }
' README.md > "$tmp/README.md"
tosc=tools/touchosc/specmorph.tosc
if [ "$mode" = "--check" ]; then
    ok=1
    cmp -s "$tmp/specmorphd.ini" conf/specmorphd.ini || { echo "docs: conf/specmorphd.ini is stale: run make docs" >&2; ok=0; }
    cmp -s "$tmp/README.md" README.md || { echo "docs: README.md parameter/OSC reference is stale: run make docs" >&2; ok=0; }
    "$py" tools/touchosc/gen_touchosc.py --json "$tmp/table.json" --check "$tosc" || ok=0
    [ $ok = 1 ]
else
    cp "$tmp/specmorphd.ini" conf/specmorphd.ini
    cp "$tmp/README.md" README.md
    "$py" tools/touchosc/gen_touchosc.py --json "$tmp/table.json" -o "$tosc"
    echo "docs: README.md, conf/specmorphd.ini and $tosc regenerated"
fi
