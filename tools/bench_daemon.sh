#!/bin/sh
# bench_daemon.sh BUILD: specmorphd's DSP load at JACK periods of 64, 128
# and 256 frames with the default (3-band) settings, each on a private
# dummy server: JACK's own load figure and the DSP worker's time per
# wake-up (one period of audio): mean, p99 (4 us bins) and max, beside the
# period's time budget; plus xruns and under-runs. Part of `make bench`.
# BENCH_DAEMON_SECONDS sets the length of each run (default 20).
set -eu
b="$1"
secs=${BENCH_DAEMON_SECONDS:-20}
rate=48000
. tests/tools/jackenv.sh
trap jack_cleanup EXIT
trap 'exit 130' INT TERM

"$b/sm-gen" voice $((secs + 1)) "$JE_TMP/a.wav"
"$b/sm-gen" pad $((secs + 1)) "$JE_TMP/b.wav"

echo
echo "specmorphd DSP load, default settings (3 bands), ${secs} s of voice + pad per period"
echo
echo "| period | budget us | JACK DSP load | worker mean us | worker p99 us | worker max us | p99 / budget | xruns | under-runs |"
echo "|---|---|---|---|---|---|---|---|---|"
fail=0
for period in 64 128 256; do
    jack_start "$period"
    name="bench-$period"
    spawn "$JE_TMP/d-$period.log" "$b/specmorphd" -s "$JACK_SERVER" -n "$name"
    dpid=$SPAWNED
    dtpid=$SPAWNED_T
    if ! wait_for_log "$JE_TMP/d-$period.log" "ready:" 10; then
        echo "| $period | daemon did not start |"
        fail=1
        jack_stop
        continue
    fi
    # The recording only drives the load; a gap in it (a server xrun on a
    # busy machine) shows in the xruns column, not as a failure.
    timeout $((secs + 30)) "$b/sm-jackio" -S "$JACK_SERVER" \
        --play "$JE_TMP/a.wav" "$JE_TMP/b.wav" --to "$name" \
        --record "$JE_TMP/o.wav" --frames $((secs * rate)) \
        >"$JE_TMP/io.log" 2>&1 || true
    kill -USR1 "$dpid"
    wait_for_log "$JE_TMP/d-$period.log" "status:" 5 || true
    st=$(grep "status:" "$JE_TMP/d-$period.log" | tail -n 1)
    f() { printf '%s\n' "$st" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
    budget=$(awk "BEGIN{printf \"%.0f\", $period * 1e6 / $rate}")
    p99=$(f worker_p99_us)
    ratio=$(awk "BEGIN{printf \"%.1f%%\", 100 * ${p99:-0} / $budget}")
    echo "| $period | $budget | $(f dsp_load) | $(f worker_mean_us) | $p99 | $(f worker_max_us) | $ratio | $(f xruns) | $(f underruns) |"
    stop_spawned "$dpid" "$dtpid"
    jack_stop
done
echo
echo "(worker time: one wake-up processes one period; p99 from 4 us bins)"
exit $fail
