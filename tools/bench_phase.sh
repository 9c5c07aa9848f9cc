#!/bin/sh
# bench_phase.sh BUILD: quality and CPU cost of the phase methods (part of
# `make bench`), against the phaseret reference figures of issue 6.
#
#   sh tools/bench_phase.sh BUILD_DIR
#
# Material (48 kHz mono, PHASEBENCH_SECONDS long, default 6), as the
# reference's: two speech signals, a piano, drums, a sweep with noise.
#   speech1, speech2  espeak-ng, two sentences in two voices (en-us male,
#                     en-gb female variant), resampled from espeak's rate;
#                     without espeak-ng: sm-gen voice, two seeds (said so)
#   piano             fluidsynth with the GM soundfont (FluidR3_GM.sf2 of
#                     fluid-soundfont-gm) playing chords and arpeggios from
#                     a MIDI file written here (Python); without them: the
#                     built-in piano of sm-phasebench (inharmonic partials,
#                     exponential decays; said so)
#   drums             sm-gen drums (kick, snare, hats)
#   sweep             sm-phasebench's sweepnoise: log sweep 50 Hz..16 kHz
#                     plus white noise 20 dB below it
# Each method reconstructs each signal's STFT magnitude with no source
# phase (sm-phasebench; est = NULL) at window/hop 2048/512, 2048/256 and
# 512/128 (periodic Hann). SC is the mean of the five dB values; CPU is
# the process CPU of the reconstruction alone, median of PHASEBENCH_REPEAT
# runs (default 3; offline methods once), total over total length, in ms
# per second of audio (one core).
#
# Every setting ends with verdicts against the targets of the issue:
#   real time: our best real-time method at a look-ahead in ms no longer
#   than the best real-time reference's and at no more CPU must beat that
#   reference's SC by 3 dB or more (phaseret's look-ahead in frames is
#   taken at the same hop and rate);
#   offline: fgla must reach the offline FGLA reference (100 iterations)
#   with fewer iterations.
# A MISS is reported, not an error: the exit status is non-zero only when
# something failed to run. Knobs (environment): PHASEBENCH_SECONDS,
# PHASEBENCH_REPEAT, PHASEBENCH_RT (real-time method list), PHASEBENCH_OFF
# (offline list), PYTHON. Under 5 minutes on 2 cores with the defaults.
#
# Per-setting values are split on purpose:
# shellcheck disable=SC2086
set -u

BUILD=${1:?usage: sh tools/bench_phase.sh BUILD_DIR}
SECS=${PHASEBENCH_SECONDS:-6}
REPEAT=${PHASEBENCH_REPEAT:-3}
RATE=48000
PY=${PYTHON:-/usr/bin/python3}
PB=$BUILD/sm-phasebench
GEN=$BUILD/sm-gen
SF2_DIRS="/usr/share/sounds/sf2 /usr/share/soundfonts"

# Methods: the defaults of params.def (plain names), the reference's
# configuration of RTISI-LA (look-ahead 3, 4 iterations), and shorter
# look-aheads that fit the tighter targets (2048/256: one hop, 5.3 ms).
RT_METHODS=${PHASEBENCH_RT:-"mix,lws,lws:la=1,pghi,rtisila,rtisila:la=3:it=4,rtisila:la=3:it=8,rtisila:la=1:it=4,rtisila:la=1:it=8,bregman,bregman:la=3:it=4,bregman:la=1:it=8,hpss"}
OFF_METHODS=${PHASEBENCH_OFF:-"gla:it=32,fgla:it=16,fgla:it=32"}

for f in "$PB" "$GEN"; do
    if [ ! -x "$f" ]; then
        echo "bench_phase: $f not built (make all)" >&2
        exit 1
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smphase.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failed=""
notes=""
note() { notes="$notes
$*"; }

# ---- the signals
# to48 IN OUT: IN resampled to 48 kHz mono, cut to SECS
to48() { "$PB" -q --rate "$RATE" --seconds "$SECS" --write "$2" "$1"; }

S1="The quick brown fox jumps over the lazy dog, while five boxing wizards jump quickly beside the old stone bridge."
S2="Seven silver swans swam silently seaward, and a lonely whistle echoed over the harbour at dawn."
speech=""
if command -v espeak-ng >/dev/null 2>&1 &&
    espeak-ng -v en-us -s 150 -w "$tmp/s1.raw.wav" "$S1" 2>/dev/null &&
    espeak-ng -v en-gb+f3 -s 140 -w "$tmp/s2.raw.wav" "$S2" 2>/dev/null &&
    to48 "$tmp/s1.raw.wav" "$tmp/speech1.wav" &&
    to48 "$tmp/s2.raw.wav" "$tmp/speech2.wav"; then
    speech="espeak-ng (en-us, en-gb+f3)"
else
    note "speech: espeak-ng not installed or failed (package espeak-ng; make deps-bench): sm-gen voice instead"
    "$GEN" voice "$SECS" "$tmp/speech1.wav" --rate "$RATE" --seed 1 &&
        "$GEN" voice "$SECS" "$tmp/speech2.wav" --rate "$RATE" --seed 7 ||
        failed="$failed speech"
    speech="sm-gen voice (synthetic)"
fi

# A MIDI file (format 0, 120 bpm): four bars, each a held chord then an
# arpeggio an octave up, on the GM acoustic grand piano.
write_midi() {
    "$PY" - "$1" <<'EOF'
import struct, sys
TPQ = 480
ev = []
def note(t, dur, key, vel):
    ev.append((t, 1, bytes([0x90, key, vel])))
    ev.append((t + dur, 0, bytes([0x80, key, 0])))
prog = [(48, [0, 4, 7, 12]), (45, [0, 3, 7, 12]), (50, [0, 3, 7, 10]),
        (43, [0, 4, 7, 14])]
t = 0
for root, iv in prog:
    for k in iv:
        note(t, 2 * TPQ - 40, root + k, 84)
    for i in range(6):
        key = root + 12 + iv[(i * 2) % 4] + (12 if i == 3 else 0)
        note(t + 2 * TPQ + i * TPQ // 3, TPQ // 2, key, 64 + 10 * (i % 3))
    t += 4 * TPQ
ev.sort(key=lambda e: (e[0], e[1]))
def vlq(n):
    out = [n & 0x7f]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7f))
        n >>= 7
    return bytes(reversed(out))
trk = bytearray(vlq(0) + bytes([0xff, 0x51, 3]) + (500000).to_bytes(3, 'big'))
trk += vlq(0) + bytes([0xc0, 0])
last = 0
for tick, _, b in ev:
    trk += vlq(tick - last) + b
    last = tick
trk += vlq(TPQ) + bytes([0xff, 0x2f, 0])
with open(sys.argv[1], 'wb') as f:
    f.write(b'MThd' + struct.pack('>IHHH', 6, 0, 1, TPQ))
    f.write(b'MTrk' + struct.pack('>I', len(trk)) + bytes(trk))
EOF
}

sf2=""
for d in $SF2_DIRS; do
    for n in FluidR3_GM.sf2 default-GM.sf2; do
        [ -f "$d/$n" ] && [ -z "$sf2" ] && sf2=$d/$n
    done
done
piano=""
if ! command -v fluidsynth >/dev/null 2>&1; then
    note "piano: fluidsynth not installed (packages fluidsynth, fluid-soundfont-gm): synthesized piano-like signal instead"
elif [ -z "$sf2" ]; then
    note "piano: no GM soundfont in $SF2_DIRS (package fluid-soundfont-gm): synthesized piano-like signal instead"
elif ! write_midi "$tmp/piano.mid" 2>/dev/null; then
    note "piano: $PY could not write the MIDI file: synthesized piano-like signal instead"
elif fluidsynth -ni -q -g 0.8 -r "$RATE" -F "$tmp/piano.raw.wav" "$sf2" \
    "$tmp/piano.mid" >/dev/null 2>&1 </dev/null &&
    to48 "$tmp/piano.raw.wav" "$tmp/piano.wav"; then
    piano="fluidsynth, $(basename "$sf2")"
else
    note "piano: fluidsynth failed: synthesized piano-like signal instead"
fi
if [ -z "$piano" ]; then
    "$PB" -q --rate "$RATE" --seconds "$SECS" --write "$tmp/piano.wav" piano ||
        failed="$failed piano"
    piano="sm-phasebench piano (synthetic)"
fi

"$GEN" drums "$SECS" "$tmp/drums.wav" --rate "$RATE" --seed 3 || failed="$failed drums"
"$PB" -q --rate "$RATE" --seconds "$SECS" --write "$tmp/sweep.wav" sweepnoise ||
    failed="$failed sweep"

SIGNALS="speech1 speech2 piano drums sweep"
inputs=""
for s in $SIGNALS; do
    if [ ! -s "$tmp/$s.wav" ]; then
        echo "bench_phase: no $s signal" >&2
        exit 1
    fi
    inputs="$inputs $tmp/$s.wav"
done

echo
echo "phase reconstruction: spectral convergence (SC dB, lower is better) of"
echo "each method from the magnitude alone, and CPU ms per second of audio"
echo "(one core; reconstruction only, median of $REPEAT runs, offline methods 1)"
echo "signals: $SECS s each at $RATE Hz: speech1, speech2 = $speech;"
echo "  piano = $piano; drums = sm-gen drums; sweep = log sweep 50 Hz..16 kHz + noise at -20 dB"
echo "$(nproc 2>/dev/null || echo ?) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)"

# ---- one setting: the table and the verdicts
# reference rows: name la_frames cpu sc (issue 6, phaseret, Hann)
refs() {
    case $1 in
    2048/512) echo "RTPGHI 1 14 -23.2|RTISI-LA 3 37 -23.7|FGLA 100 - -29.3" ;;
    2048/256) echo "RTPGHI 1 30 -26.0|RTISI-LA 3 82 -21.5|FGLA 100 - -29.7" ;;
    512/128) echo "RTPGHI 1 14 -14.5|RTISI-LA 3 38 -22.8|FGLA 100 - -20.7" ;;
    esac
}

report() { # W H TSV
    awk -F '\t' -v w="$1" -v h="$2" -v rate="$RATE" -v sigs="$SIGNALS" \
        -v refs="$(refs "$1/$2")" '
    function num(x) { return x ~ /^-?[0-9.]+$/ }
    $1 == "signal" { next }
    {
        k = $7
        if (!(k in seen)) { seen[k] = 1; order[++n] = k }
        rt[k] = $8; la[k] = $9; it[k] = $11
        lams[k] = 1000 * $9 * h / rate
        if ($1 == "(mean)") {
            cpu[k] = $12; sc[k] = $13
        } else {
            name = $1; sub(/\.wav$/, "", name)
            v[k, name] = $13
        }
    }
    END {
        ns = split(sigs, S, " ")
        hdr = sprintf("| %-24s | %-8s | %5s | %6s | %4s | %8s | %7s |", "method", "kind",
            "LA fr", "LA ms", "iter", "CPU ms/s", "SC mean")
        sep = "|--------------------------|----------|-------|--------|------|----------|---------|"
        for (i = 1; i <= ns; i++) { hdr = hdr sprintf(" %7s |", S[i]); sep = sep "---------|" }
        print ""
        printf "window %d / hop %d (Hann), %d Hz\n\n", w, h, rate
        print hdr
        print sep
        for (j = 1; j <= n; j++) {
            k = order[j]
            ok[k] = num(sc[k]) && num(cpu[k])
            line = sprintf("| %-24s | %-8s | %5s | %6s | %4s | %8s | %7s |", k,
                rt[k] ? "realtime" : "offline", rt[k] ? la[k] : "-",
                rt[k] ? sprintf("%.1f", lams[k]) : "-", it[k] > 0 ? it[k] : "-",
                num(cpu[k]) ? sprintf("%.1f", cpu[k]) : "FAILED",
                num(sc[k]) ? sprintf("%.2f", sc[k]) : "FAILED")
            for (i = 1; i <= ns; i++) {
                x = v[k, S[i]]
                line = line sprintf(" %7s |", num(x) ? sprintf("%.2f", x) : (x == "" ? "-" : x))
            }
            print line
        }
        nr = split(refs, R, "|")
        for (i = 1; i <= nr; i++) {
            split(R[i], f, " ")
            rn[i] = f[1]; rla[i] = f[2]; rcpu[i] = f[3]; rsc[i] = f[4]
            rlams[i] = 1000 * f[2] * h / rate
            if (rn[i] == "FGLA")
                line = sprintf("| %-24s | %-8s | %5s | %6s | %4s | %8s | %7s |",
                    "phaseret FGLA (ref)", "offline", "-", "-", f[2], "-", f[4])
            else
                line = sprintf("| %-24s | %-8s | %5s | %6.1f | %4s | %8s | %7s |",
                    "phaseret " rn[i] " (ref)", "realtime", f[2], rlams[i],
                    rn[i] == "RTISI-LA" ? 4 : "-", f[3], f[4])
            for (c = 1; c <= ns; c++) line = line sprintf(" %7s |", "")
            print line
        }
        print ""
        # the best real-time reference, and ours within its look-ahead and CPU
        best = 0
        for (i = 1; i <= nr; i++)
            if (rn[i] != "FGLA" && (best == 0 || rsc[i] < rsc[best])) best = i
        # the best reference first (the target), then the other
        for (pass = 1; pass <= 2; pass++) for (i = 1; i <= nr; i++) {
            if (rn[i] == "FGLA" || (pass == 1) != (i == best)) continue
            cand = ""
            for (j = 1; j <= n; j++) {
                k = order[j]
                if (!rt[k] || !ok[k]) continue
                if (lams[k] > rlams[i] + 1e-6 || cpu[k] > rcpu[i]) continue
                if (cand == "" || sc[k] < sc[cand]) cand = k
            }
            printf "%s %d/%d: vs %s%s (%.1f dB, LA %.1f ms, %s ms/s): ", (i == best ? "target" : "also  "),
                w, h, (i == best ? "the best real-time reference " : ""), rn[i], rsc[i], rlams[i], rcpu[i]
            if (cand == "") {
                print "no method of ours within that look-ahead and CPU -> MISS"
                continue
            }
            d = rsc[i] - sc[cand]
            printf "ours within that look-ahead and CPU: %s %.2f dB (LA %.1f ms, %.1f ms/s), %.2f dB better (3 needed) -> %s\n",
                cand, sc[cand], lams[cand], cpu[cand], d, (d >= 3 ? "PASS" : "MISS")
        }
        # best real-time method of ours, any look-ahead and cost
        cand = ""
        for (j = 1; j <= n; j++) {
            k = order[j]
            if (rt[k] && ok[k] && (cand == "" || sc[k] < sc[cand])) cand = k
        }
        if (cand != "")
            printf "info   %d/%d: best real-time overall: %s %.2f dB, LA %.1f ms, %.1f ms/s\n",
                w, h, cand, sc[cand], lams[cand], cpu[cand]
        # fgla: fewest iterations that reach the offline reference
        for (i = 1; i <= nr; i++) if (rn[i] == "FGLA") fi = i
        cand = ""; bestf = ""
        for (j = 1; j <= n; j++) {
            k = order[j]
            if (rt[k] || !ok[k] || k !~ /^fgla/) continue
            if (bestf == "" || sc[k] < sc[bestf]) bestf = k
            if (sc[k] <= rsc[fi] && (cand == "" || it[k] + 0 < it[cand] + 0)) cand = k
        }
        if (cand != "")
            printf "target %d/%d: fgla vs offline FGLA (%.1f dB, 100 it): %s %.2f dB with %d it -> %s\n",
                w, h, rsc[fi], cand, sc[cand], it[cand], (it[cand] + 0 < 100 ? "PASS" : "MISS")
        else if (bestf != "")
            printf "target %d/%d: fgla vs offline FGLA (%.1f dB, 100 it): best %s %.2f dB with %d it -> MISS\n",
                w, h, rsc[fi], bestf, sc[bestf], it[bestf]
        else
            printf "target %d/%d: fgla vs offline FGLA: fgla did not run -> MISS\n", w, h
    }' "$3"
}

for wh in 2048/512 2048/256 512/128; do
    w=${wh%/*}
    h=${wh#*/}
    out=$tmp/t-$w-$h.tsv
    echo "bench_phase: $wh ..." >&2
    "$PB" -q --tsv -w "$w" -H "$h" -r "$REPEAT" -m "$RT_METHODS" $inputs \
        >"$out" 2>"$tmp/err" || failed="$failed $wh(realtime)"
    # warnings and errors of sm-phasebench go with the notes
    while IFS= read -r l; do note "$wh: $l"; done <"$tmp/err"
    "$PB" -q --tsv -w "$w" -H "$h" -r 1 -m "$OFF_METHODS" $inputs \
        >>"$out" 2>"$tmp/err" || failed="$failed $wh(offline)"
    while IFS= read -r l; do note "$wh: $l"; done <"$tmp/err"
    report "$w" "$h" "$out"
done

[ -n "$notes" ] && { echo; printf '%s\n' "$notes" | sed '/^$/d'; }
if [ -n "$failed" ]; then
    echo "bench_phase: failed:$failed" >&2
    exit 1
fi
exit 0
