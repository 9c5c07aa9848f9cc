#!/bin/sh
# soak.sh BUILD [MINUTES]: leaves specmorphd running on a private dummy
# server at 128-frame periods (real-time where allowed) for MINUTES
# (default 10) while both inputs get audio, then reports under-runs,
# overruns and xruns with the DSP load and the worker's time per period.
# Passes when the daemon caused no under-run or overrun and JACK counted
# no xrun. `make soak` (not in make check: it takes the whole time).
# SOAK_ARGS adds daemon options (e.g. "--set jack.prefill_periods=2").
set -eu
b="$1"
min=${2:-${SOAK_MINUTES:-10}}
secs=$((min * 60))
rate=48000
. tests/tools/jackenv.sh
trap jack_cleanup EXIT
trap 'exit 130' INT TERM
JE_MAX_S=$((secs + 120))

"$b/sm-gen" voice $((secs + 2)) "$JE_TMP/a.wav"
"$b/sm-gen" drums $((secs + 2)) "$JE_TMP/b.wav"
jack_start 128
# shellcheck disable=SC2086
spawn "$JE_TMP/d.log" "$b/specmorphd" -s "$JACK_SERVER" -n soak ${SOAK_ARGS:-}
dpid=$SPAWNED
dtpid=$SPAWNED_T
wait_for_log "$JE_TMP/d.log" "ready:" 10 || { cat "$JE_TMP/d.log"; exit 1; }
echo "soak: ${min} min at period 128, 48 kHz, default settings ${SOAK_ARGS:-}; server $JACK_SERVER"
timeout $((secs + 60)) "$b/sm-jackio" -S "$JACK_SERVER" \
    --play "$JE_TMP/a.wav" "$JE_TMP/b.wav" --to soak \
    --record "$JE_TMP/o.wav" --frames $((secs * rate)) \
    --timeout $((secs + 30)) >"$JE_TMP/io.log" 2>&1 || true
kill -USR1 "$dpid"
wait_for_log "$JE_TMP/d.log" "status:" 5 || true
st=$(grep "status:" "$JE_TMP/d.log" | tail -n 1)
echo "soak: $st"
f() { printf '%s\n' "$st" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
stop_spawned "$dpid" "$dtpid"
if [ "$(f underruns)" = 0 ] && [ "$(f overruns)" = 0 ] && [ "$(f xruns)" = 0 ]; then
    echo "soak: PASS: 0 under-runs, 0 overruns, 0 xruns; DSP load $(f dsp_load), worker p99 $(f worker_p99_us) us of a 2667 us period"
else
    echo "soak: FAIL: under-runs $(f underruns), overruns $(f overruns), xruns $(f xruns)"
    exit 1
fi
