#!/bin/sh
# demo.sh BUILD: the live demo. Uses the running JACK server when there is
# one, else starts a private dummy server; starts specmorphd; plays a
# speech-like voice into in_a and a harmonic pad into in_b while recording
# out_l/out_r for about 10 s and sweeping morph.position from A to B over
# OSC (oscsend to the daemon's port, 20 steps a second, as a fader would);
# then prints latency, DSP load, xruns, under-runs and the recording's
# path, and stops everything it started.
set -eu
b="$1"
out="${DEMO_DIR:-$b/demo}"
secs=10
mkdir -p "$out"
export JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1
tmp=$(mktemp -d)
jackd_pid=""
daemon_pid=""
io_pid=""
cleanup() {
    for p in $io_pid $daemon_pid; do kill "$p" 2>/dev/null || true; done
    for p in $io_pid $daemon_pid; do wait "$p" 2>/dev/null || true; done
    if [ -n "$jackd_pid" ]; then
        kill "$jackd_pid" 2>/dev/null || true
        wait "$jackd_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

srv_opt=""
io_srv=""
if timeout 3 jack_lsp >/dev/null 2>&1; then
    echo "demo: using the running JACK server"
else
    server="specmorph-demo-$$"
    srv_opt="-s $server"
    io_srv="-S $server"
    # Real-time scheduling where this user may use it (fewer xruns).
    rt=-r
    chrt -f 10 true 2>/dev/null && rt=-R
    timeout 120 jackd -n "$server" $rt -d dummy -r 48000 -p 256 \
        >"$tmp/jackd.log" 2>&1 &
    jackd_pid=$!
    if ! timeout 10 jack_wait -s "$server" -w >/dev/null 2>&1; then
        echo "demo: could not start a dummy JACK server:" >&2
        cat "$tmp/jackd.log" >&2
        exit 1
    fi
    echo "demo: started a private dummy JACK server ($server, 48 kHz, period 256)"
fi

"$b/sm-gen" voice $((secs + 1)) "$out/a-voice.wav"
"$b/sm-gen" pad $((secs + 1)) "$out/b-pad.wav"

name="specmorph-demo"  # not the server's name: JACK then refuses new clients
ini="$tmp/demo.ini"
printf '[morph]\nposition = 0\n[output]\nwidth = 0.7\n' > "$ini"
# A port of its own, so a daemon already on 8000 is left alone.
osc_port=$((20000 + $$ % 20000))
# shellcheck disable=SC2086
"$b/specmorphd" -c "$ini" -n "$name" $srv_opt --osc-port "$osc_port" \
    >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
i=0
until grep -q "ready:" "$tmp/daemon.log"; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $daemon_pid 2>/dev/null; then
        echo "demo: specmorphd did not start:" >&2
        cat "$tmp/daemon.log" >&2
        exit 1
    fi
    sleep 0.1
done

rate=48000
# shellcheck disable=SC2086
"$b/sm-jackio" $io_srv --play "$out/a-voice.wav" "$out/b-pad.wav" \
    --to "$name" --record "$out/live.wav" --frames $((secs * rate)) \
    --timeout $((secs + 20)) >"$tmp/io.log" 2>&1 &
io_pid=$!
echo "demo: playing voice -> in_a, pad -> in_b; sweeping morph.position 0 -> 1 over OSC (port $osc_port)"
i=0
while [ $i -lt $((secs * 20)) ]; do
    i=$((i + 1))
    sleep 0.04 # plus the time oscsend takes: about 20 a second
    pos=$(awk "BEGIN{printf \"%.4f\", $i / ($secs * 20)}")
    oscsend 127.0.0.1 "$osc_port" /specmorph/morph/position f "$pos" 2>/dev/null || true
done
if ! wait $io_pid; then
    io_pid=""
    echo "demo: playing/recording failed:" >&2
    cat "$tmp/io.log" >&2
    exit 1
fi
io_pid=""
kill -USR1 $daemon_pid
sleep 0.3
kill -TERM $daemon_pid
wait $daemon_pid || true
daemon_pid=""

status=$(grep "status:" "$tmp/daemon.log" | tail -n 1)
field() { printf '%s\n' "$status" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
lat=$(field latency)
echo "demo: recorded  $out/live.wav (${secs} s, stereo)"
echo "demo: latency   $lat samples ($(awk "BEGIN{printf \"%.1f\", $lat*1000/$rate}") ms)"
echo "demo: DSP load  $(field dsp_load) (JACK's figure)"
echo "demo: xruns     $(field xruns)   under-runs $(field underruns)   overruns $(field overruns)"
echo "demo: sources   $out/a-voice.wav  $out/b-pad.wav"
