#!/bin/sh
# gendocs.sh BUILD [--check]: regenerates the README parameter, preset and
# settings references (between their markers) and conf/specmorphd.ini from the parameter
# table. With --check, fails when the committed files are stale.
set -eu
gen="$1/sm-docgen"
mode="${2:-write}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" ini > "$tmp/specmorphd.ini"
"$gen" markdown > "$tmp/params.md"
"$gen" settings > "$tmp/settings.md"
"$gen" presets > "$tmp/presets.md"
awk -v tbl="$tmp/params.md" -v st="$tmp/settings.md" -v pr="$tmp/presets.md" '
    /<!-- params:begin -->/ { print; while ((getline l < tbl) > 0) print l; skip = 1; next }
    /<!-- settings:begin -->/ { print; while ((getline l < st) > 0) print l; skip = 1; next }
    /<!-- presets:begin -->/ { print; while ((getline l < pr) > 0) print l; skip = 1; next }
    /<!-- (params|settings|presets):end -->/ { skip = 0 }
    !skip { print }
' README.md > "$tmp/README.md"
if [ "$mode" = "--check" ]; then
    ok=1
    cmp -s "$tmp/specmorphd.ini" conf/specmorphd.ini || { echo "docs: conf/specmorphd.ini is stale: run make docs" >&2; ok=0; }
    cmp -s "$tmp/README.md" README.md || { echo "docs: README.md parameter reference is stale: run make docs" >&2; ok=0; }
    [ $ok = 1 ]
else
    cp "$tmp/specmorphd.ini" conf/specmorphd.ini
    cp "$tmp/README.md" README.md
    echo "docs: README.md and conf/specmorphd.ini regenerated"
fi
