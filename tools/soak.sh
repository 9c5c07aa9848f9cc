#!/bin/sh
# soak.sh BUILD [MINUTES]: leaves specmorphd running on a private dummy
# server at 128-frame periods (real-time where allowed) for MINUTES
# (default 10) while both inputs get audio, then reports under-runs,
# overruns and xruns with the DSP load and the worker's time per period.
#
# A dummy server on a shared or virtual machine xruns by itself whenever
# the machine stalls its threads, so the same graph is first run for the
# same time with a trivial pass-through client (sm-jackio --thru) in the
# daemon's place: the baseline. Both runs count xruns with the same
# observer (the player, over the recording window). Under-runs that came
# right after cycles JACK ran off the beat (underruns_irregular in the
# status line: the machine stalled the graph, then JACK caught up and left
# the worker less than its prefill time) are counted apart. Passes when
# the daemon caused no under-run (none on a regular beat) and no overrun,
# and its run has no more xruns than
# the baseline plus three standard deviations of a Poisson count
# (xruns are rare independent events; 3 sigma keeps a false alarm near
# 1 in 1000). With a baseline of 0 that means 0 xruns, as on a real-time
# kernel with a quiet machine. `make soak` (not in make check: it takes
# twice MINUTES). SOAK_ARGS adds daemon options (e.g.
# "--set jack.prefill_periods=2"); SOAK_BASELINE=0 skips the baseline.
set -eu
b="$1"
min=${2:-${SOAK_MINUTES:-10}}
secs=$((min * 60))
rate=48000
. tests/tools/jackenv.sh
trap jack_cleanup EXIT
trap 'exit 130' INT TERM
JE_MAX_S=$((2 * secs + 240))

"$b/sm-gen" voice $((secs + 2)) "$JE_TMP/a.wav"
"$b/sm-gen" drums $((secs + 2)) "$JE_TMP/b.wav"
jack_start 128

# play_record NAME LOG: the player and recorder through client NAME for
# the whole time; prints the xruns the player saw while recording.
play_record() {
    timeout $((secs + 60)) "$b/sm-jackio" -S "$JACK_SERVER" \
        --play "$JE_TMP/a.wav" "$JE_TMP/b.wav" --to "$1" \
        --record "$JE_TMP/o.wav" --frames $((secs * rate)) \
        --timeout $((secs + 30)) >"$2" 2>&1 || { cat "$2" >&2; return 1; }
    x=$(sed -n 's/.*warning: \([0-9]*\) xrun.*/\1/p' "$2" | tail -n 1)
    echo "${x:-0}"
}

base=""
if [ "${SOAK_BASELINE:-1}" != 0 ]; then
    echo "soak: baseline: ${min} min through a pass-through client; server $JACK_SERVER"
    spawn "$JE_TMP/t.log" "$b/sm-jackio" -S "$JACK_SERVER" --thru soak \
        --timeout $((secs + 120))
    tpid=$SPAWNED
    ttpid=$SPAWNED_T
    wait_for_log "$JE_TMP/t.log" "ready:" 10 || { cat "$JE_TMP/t.log"; exit 1; }
    base=$(play_record soak "$JE_TMP/io0.log")
    stop_spawned "$tpid" "$ttpid"
    echo "soak: baseline: $base xruns ($(sed -n 's/thru: //p' "$JE_TMP/t.log") seen by the pass-through client)"
fi

# shellcheck disable=SC2086
spawn "$JE_TMP/d.log" "$b/specmorphd" -s "$JACK_SERVER" -n soak ${SOAK_ARGS:-}
dpid=$SPAWNED
dtpid=$SPAWNED_T
wait_for_log "$JE_TMP/d.log" "ready:" 10 || { cat "$JE_TMP/d.log"; exit 1; }
echo "soak: daemon: ${min} min at period 128, 48 kHz, default settings ${SOAK_ARGS:-}"
dx=$(play_record soak "$JE_TMP/io1.log")
kill -USR1 "$dpid"
wait_for_log "$JE_TMP/d.log" "status:" 5 || true
st=$(grep "status:" "$JE_TMP/d.log" | tail -n 1)
echo "soak: daemon: $dx xruns seen by the player; $st"
f() { printf '%s\n' "$st" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
stop_spawned "$dpid" "$dtpid"

# Allowed xruns: baseline + 3 sqrt(baseline), rounded down (awk: no bc).
allow=$(awk -v n="${base:-0}" 'BEGIN { printf "%d", n + 3 * sqrt(n) }')
summary="DSP load $(f dsp_load), worker mean/p99/max $(f worker_mean_us)/$(f worker_p99_us)/$(f worker_max_us) us of a 2667 us period"
ur=$(f underruns)
ui=$(f underruns_irregular)
own=$((ur - ui))
counts="under-runs $ur ($ui after off-beat cycles, $own on the beat), overruns $(f overruns), $dx xruns (baseline ${base:-not run}, allowed $allow)"
if [ "$own" = 0 ] && [ "$(f overruns)" = 0 ] && [ "$dx" -le "$allow" ]; then
    echo "soak: PASS: $counts; $summary"
else
    echo "soak: FAIL: $counts; $summary"
    exit 1
fi
