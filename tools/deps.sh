#!/bin/sh
# deps.sh: installs the Debian packages given as arguments that are missing.
# Prints the exact command it runs; uses sudo when not root; NO_DEPS=1 skips.
set -eu
missing=""
for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "${NO_DEPS:-0}" = 1 ]; then
    echo "deps: NO_DEPS=1, not installing:$missing" >&2
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "deps: missing packages:$missing" >&2
    echo "deps: run as root: apt-get update && apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi
cmd="$sudo env DEBIAN_FRONTEND=noninteractive apt-get"
echo "deps: $cmd update && $cmd install -y --no-install-recommends$missing"
$cmd update -qq
# shellcheck disable=SC2086
$cmd install -y -qq --no-install-recommends $missing </dev/null
