#!/bin/sh
# demo.sh BUILD: renders two generated sources (a speech-like voice and a
# harmonic pad) through specmorph-render with the default settings and a
# morph sweep of positions, and says where the results are. The live JACK
# demo replaces this when the daemon lands.
set -eu
b="$1"
out="${DEMO_DIR:-$b/demo}"
mkdir -p "$out"
"$b/sm-gen" voice 10 "$out/a-voice.wav"
"$b/sm-gen" pad 10 "$out/b-pad.wav"
for pos in 0.25 0.5 0.75; do
    "$b/specmorph-render" -q "$out/a-voice.wav" "$out/b-pad.wav" \
        -s morph.position=$pos -o "$out/merge-$pos.wav" \
        --report "$out/merge-$pos.json"
done
lat=$("$b/specmorph-render" --print-latency)
echo "demo: sources   $out/a-voice.wav  $out/b-pad.wav"
for pos in 0.25 0.5 0.75; do
    rtf=$(sed -n 's/.*"realtime_factor": \([0-9.]*\).*/\1/p' "$out/merge-$pos.json")
    echo "demo: merged    $out/merge-$pos.wav  (morph.position=$pos, ${rtf}x real time)"
done
echo "demo: engine latency $lat samples at 48 kHz (trimmed: outputs are time-aligned)"
