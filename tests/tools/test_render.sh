#!/bin/sh
# test_render.sh: specmorph-render from the command line: results (length,
# channels, alignment, resampling, mixdown, determinism, report) and every
# error path (one clear line, exit 2, nothing left at the output path).
set -u
B="${SM_BUILD:-build/release}"
R="$B/specmorph-render"
G="$B/sm-gen"
W="$B/sm-wavcmp"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$2"; then ok; else ko "$1"; fi; }

# expect_err NAME PATTERN CMD...: exit 2, one stderr line matching PATTERN.
expect_err() {
    name="$1"; pat="$2"; shift 2
    "$@" >"$T/out.txt" 2>"$T/err.txt"
    rc=$?
    if [ $rc -ne 2 ]; then ko "$name: exit $rc, expected 2"; return; fi
    if ! grep -q -- "$pat" "$T/err.txt"; then
        ko "$name: stderr lacks '$pat': $(cat "$T/err.txt")"; return
    fi
    ok
}

"$G" voice 2 "$T/a.wav"
"$G" pad 3 "$T/b.wav"
"$G" noise 1 "$T/b44.wav" --rate 44100

# --- results ---------------------------------------------------------
lat=$("$R" --print-latency)
"$R" -q "$T/a.wav" "$T/b.wav" -o "$T/o.wav" --report "$T/r.json"
check "render exit 0" '[ $? -eq 0 ]'
check "output is stereo, length of the longer input" \
    '"$W" info "$T/o.wav" | grep -q "frames=144000 channels=2 rate=48000"'
check "report is JSON with latency" \
    '/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"latency_samples\"]==int(sys.argv[2]) and d[\"realtime_factor\"]>0 and d[\"audio_seconds\"]>0" "$T/r.json" "$lat"'
check "no partial files left" '[ -z "$(ls "$T" | grep partial)" ]'
# Alignment telemetry: voice against pad is unrelated (confidence low, no
# lag); one value a second of input (3 s and the latency flush).
check "report has the align block, one point a second" \
    '/usr/bin/python3 -c "import json,sys; a=json.load(open(sys.argv[1]))[\"align\"]; s=a[\"series\"]; assert a[\"lag_ms\"]==0 and a[\"confidence\"]<0.1 and len(s)==3 and [p[\"t_s\"] for p in s]==[1,2,3] and all(set(p)=={\"t_s\",\"lag_ms\",\"confidence\",\"delay_ms\"} for p in s)" "$T/r.json"'
# Crossover telemetry: off, the fixed pair and no centroid; on, a sweep
# (sm-gen's, low to high) carries both cutoffs up inside their ranges.
check "report has the xover block (fixed pair when not adaptive)" \
    '/usr/bin/python3 -c "import json,sys; x=json.load(open(sys.argv[1]))[\"xover\"]; s=x[\"series\"]; assert x[\"adaptive\"] is False and x[\"lo_hz\"]==250 and x[\"hi_hz\"]==4000 and x[\"centroid_hz\"]==0 and len(s)==3 and all(p[\"lo_hz\"]==250 and p[\"hi_hz\"]==4000 and set(p)=={\"t_s\",\"lo_hz\",\"hi_hz\",\"centroid_hz\"} for p in s)" "$T/r.json"'
"$G" sweep 6 "$T/sweep.wav"
"$R" -q "$T/sweep.wav" "$T/sweep.wav" -o "$T/sw.wav" -s bands.adaptive=on \
    --report "$T/sw.json"
check "xover: adaptive cutoffs follow a sweep up, inside their ranges" \
    '/usr/bin/python3 -c "import json,sys; x=json.load(open(sys.argv[1]))[\"xover\"]; s=x[\"series\"]; lo=[p[\"lo_hz\"] for p in s]; hi=[p[\"hi_hz\"] for p in s]; assert x[\"adaptive\"] is True and len(s)==6 and all(120<=v<=600 for v in lo) and all(2000<=v<=8000 for v in hi) and lo[-1]>lo[1]*1.5 and hi[-1]>hi[1]*1.5 and s[-1][\"centroid_hz\"]>s[1][\"centroid_hz\"]" "$T/sw.json"'
"$R" -q "$T/a.wav" "$T/a.wav" -o "$T/aa.wav" --report "$T/aa.json"
check "align: identical inputs lock on lag 0, confidently" \
    '/usr/bin/python3 -c "import json,sys; a=json.load(open(sys.argv[1]))[\"align\"]; assert abs(a[\"lag_ms\"])<1e-3 and a[\"confidence\"]>0.2 and a[\"delay_ms\"]==0" "$T/aa.json"'

"$R" -q "$T/a.wav" "$T/b.wav" -o "$T/o2.wav"
check "bit-identical across runs" 'cmp -s "$T/o.wav" "$T/o2.wav"'

# Latency: longest window - 1, plus the limiter's 16 + 48 samples.
check "print-latency without inputs" '[ "$lat" = $((4096 - 1 + 64)) ]'
check "print-latency follows -s" '[ "$("$R" --print-latency -s bands.count=1)" = $((2048 - 1 + 64)) ]'

"$R" -q "$T/a.wav" "$T/b.wav" -o "$T/k.wav" --keep-latency
check "--keep-latency adds the latency" \
    '"$W" info "$T/k.wav" | grep -q "frames=$((144000 + lat)) "'

# Time alignment: B silent, one band, mono: L is A after trimming.
"$G" noise 2 "$T/n.wav"
# (Not white noise as A: its intersample peaks reach over the -1 dBTP
# ceiling at a -6 dBFS sample peak, and the limiter rightly acts.)
"$R" -q "$T/a.wav" "$T/n.wav" -s morph.position=0 -s bands.count=1 \
    -s output.width=0 -o "$T/al.wav"
check "output aligned with input (position 0 = A)" \
    '"$W" diff "$T/al.wav" "$T/a.wav" --channel 0 --max-db -100 >/dev/null'

# Resampling (B at 44.1 kHz) and -r.
"$R" -q "$T/a.wav" "$T/b44.wav" -o "$T/rs.wav"
check "input at another rate is resampled" \
    '"$W" info "$T/rs.wav" | grep -q "frames=96000 channels=2 rate=48000"'
"$R" -q -r 44100 "$T/a.wav" "$T/b44.wav" -o "$T/rs2.wav"
check "-r sets the engine rate" \
    '"$W" info "$T/rs2.wav" | grep -q "frames=88200 channels=2 rate=44100"'

# Mixdown: a stereo input is accepted (the renderer's own output).
"$R" -q "$T/o.wav" "$T/a.wav" -o "$T/mx.wav"
check "stereo input mixed down" '"$W" info "$T/mx.wav" | grep -q "channels=2"'

# FLAC output and INI config.
cat > "$T/good.ini" <<'INI'
[mask]
type = psf
k = 3
[output]
width = 0.2
INI
"$R" -q -c "$T/good.ini" "$T/a.wav" "$T/b.wav" -o "$T/o.flac" --report "$T/f.json"
check "FLAC output with INI" '"$W" info "$T/o.flac" | grep -q "channels=2"'
check "INI values in force" 'grep -q "\"mask.type\": \"psf\"" "$T/f.json" && grep -q "\"mask.k\": 3" "$T/f.json"'

# --- error paths -----------------------------------------------------
expect_err "missing input" "nothere.wav: No such file" "$R" "$T/nothere.wav" "$T/b.wav" -o "$T/e.wav"
echo "this is not audio" > "$T/text.wav"
expect_err "not audio" "not a readable audio file" "$R" "$T/text.wav" "$T/b.wav" -o "$T/e.wav"
printf 'RIFF\044\000\000\000WAVEfmt \020\000\000\000\001\000\001\000\200\273\000\000\000\167\001\000\002\000\020\000data\000\000\000\000' > "$T/empty.wav"
expect_err "zero length" "zero length" "$R" "$T/a.wav" "$T/empty.wav" -o "$T/e.wav"
expect_err "unknown key" "did you mean mask.k" "$R" -s mask.kk=2 "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
expect_err "out of range" "expected a number from 0.1 to 20" "$R" -s mask.k=50 "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
expect_err "bad enum" "expected one of softmax, wiener, psf" "$R" -s mask.type=loud "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
expect_err "garbage number" "is not a number" "$R" -s output.width=0.5x "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
expect_err "inconsistent" "more than half" "$R" -s bands.lf_hop=4096 "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
printf '[mask]\nk = 2\ntype = wiener\n[bands]\ncount = 2\n' > "$T/bad.ini"
expect_err "bad INI value" "bad.ini:5: bands.count" "$R" -c "$T/bad.ini" "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
printf '[mask]\nkay = 2\n' > "$T/bad2.ini"
expect_err "bad INI key" "bad2.ini:2: mask.kay: unknown key (did you mean mask.k?)" "$R" -c "$T/bad2.ini" "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
expect_err "missing INI" "nofile.ini: cannot read" "$R" -c "$T/nofile.ini" "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
expect_err "no output" "no output" "$R" "$T/a.wav" "$T/b.wav"
expect_err "one input" "expected two inputs" "$R" "$T/a.wav" -o "$T/e.wav"
expect_err "unknown option" "unknown option" "$R" --frobnicate "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
expect_err "bad rate" "-r: expected a rate" "$R" -r 12 "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
expect_err "unwritable output" "cannot write here" "$R" "$T/a.wav" "$T/b.wav" -o "$T/no/such/dir/e.wav"
expect_err "unknown output type" "unknown output type" "$R" "$T/a.wav" "$T/b.wav" -o "$T/e.xyz"
expect_err "bad format" "expected float, pcm16 or pcm24" "$R" --format pcm8 "$T/a.wav" "$T/b.wav" -o "$T/e.wav"
check "no output left by any failure" '[ ! -e "$T/e.wav" ] && [ -z "$(ls "$T" | grep partial)" ]'

# An existing output survives a failed render untouched.
cp "$T/o.wav" "$T/keep.wav"
"$R" -q -s mask.k=99 "$T/a.wav" "$T/b.wav" -o "$T/keep.wav" 2>/dev/null
check "failed render leaves existing output intact" 'cmp -s "$T/o.wav" "$T/keep.wav"'

# Interrupted mid-way: exit 130, no output, no partial file.
"$G" noise 600 "$T/long.wav"
"$R" -q "$T/long.wav" "$T/long.wav" -o "$T/int.wav" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
check "interrupt exits 130" '[ $rc -eq 130 ]'
check "interrupt leaves nothing" '[ ! -e "$T/int.wav" ] && [ -z "$(ls "$T" | grep partial)" ]'

"$R" --help | grep -q "morph.position" && ok || ko "--help lists parameters"
"$R" --version | grep -q "specmorph-render" && ok || ko "--version"

echo "test_render: $pass passed, $fail failed"
[ $fail -eq 0 ]
