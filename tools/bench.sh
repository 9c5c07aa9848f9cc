#!/bin/sh
# bench.sh: CPU cost of specmorph-render against the peer phase-vocoder
# morphs that are installed (Csound's pvs chain, SuperCollider's PV_Morph).
#
#   sh tools/bench.sh BUILD_DIR            (make bench)
#
# Knobs (environment): BENCH_RUNS (timed runs per chain, default 5),
# BENCH_SECONDS (length of the sources, default 60), PYTHON (default
# /usr/bin/python3).
#
# How it measures, and why:
#   - Each chain is one process reading the same two generated 60 s, 48 kHz
#     mono files and writing a float WAV. Its cost is the CPU time of that
#     process (user + sys, all threads, from the rusage the kernel reports to
#     the parent at wait(): Python's resource.getrusage(RUSAGE_CHILDREN)
#     around subprocess, microsecond resolution; GNU /usr/bin/time %U+%S,
#     10 ms resolution, where Python is missing). CPU time, not wall time:
#     it does not count time spent waiting for a shared core, and it sums
#     threads, so "x real time" below is per core.
#   - Machines here are shared and noisy, so: one untimed warm-up run per
#     chain (page cache, shared libraries; it is also the run whose output
#     is checked: ~60 s long, not silent), then BENCH_RUNS
#     timed rounds in which the chains run side by side, interleaved, the
#     order rotated each round, so that load drifting during the bench hits
#     every chain alike; the median of the runs is reported, with the range.
#   - specmorph-render also reports, with --bench, its engine-only CPU time
#     (no file I/O, no resampling); that median is shown beside it. The
#     targets are judged on process CPU, the same measure for every chain.
#
# Targets (from the issue): single band (2048/512) at least as fast as the
# Csound chain (CPU ratio <= 1.0); 3 bands (defaults) at 30x real time or
# better on one core. A MISS is reported, not an error: the exit status is
# non-zero only when something failed to run or produced a wrong output.
#
# Per-chain values live in variables named by chain (label_r1, cpu_cs, ...)
# read back through eval, and lists of numbers are split on purpose:
# shellcheck disable=SC2034,SC2154,SC2086,SC2317
set -u

BUILD=${1:?usage: sh tools/bench.sh BUILD_DIR}
RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECONDS:-60}
RATE=48000
PY=${PYTHON:-/usr/bin/python3}
TARGET_RTF3=30
CS_KSMPS=64

here=$(cd "$(dirname "$0")" && pwd)
render=$BUILD/specmorph-render
gen=$BUILD/sm-gen

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smbench.XXXXXX") || exit 1
child=""
cleanup() {
    # a run in flight: its command (the timer's child), then the timer
    if [ -n "$child" ]; then
        pkill -TERM -P "$child" 2>/dev/null
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

failed=""
fail() { # chain message
    echo "bench: FAILED $1: $2" >&2
    failed="$failed $1"
}

for f in "$render" "$gen"; do
    if [ ! -x "$f" ]; then
        echo "bench: $f not built (make all)" >&2
        exit 1
    fi
done

# ---- the timer: runs "$@", writes its CPU seconds (user+sys) to $tmp/cpu
if "$PY" -c 'import resource, subprocess' 2>/dev/null; then
    timer="python resource.getrusage(RUSAGE_CHILDREN)"
    timed() {
        "$PY" -c '
import resource, subprocess, sys
try:
    rc = subprocess.call(sys.argv[2:])
except OSError as e:
    sys.stderr.write("bench: %s: %s\n" % (sys.argv[2], e))
    sys.exit(127)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    f.write("%.6f\n" % (ru.ru_utime + ru.ru_stime))
sys.exit(rc if rc >= 0 else 128 - rc)
' "$tmp/cpu" "$@"
    }
elif /usr/bin/time -f '%U' -o "$tmp/cpu" true 2>/dev/null && [ -s "$tmp/cpu" ]; then
    timer="GNU /usr/bin/time %U+%S"
    timed() {
        /usr/bin/time -f '%U %S' -o "$tmp/cpu.raw" "$@"
        rc=$?
        # on failure GNU time puts "Command exited..." before the times
        tail -n 1 "$tmp/cpu.raw" | awk '{ printf "%.6f\n", $1 + $2 }' >"$tmp/cpu"
        return $rc
    }
else
    echo "bench: need $PY (resource module) or GNU /usr/bin/time (package time)" >&2
    exit 1
fi

# ---- helpers
# wav_seconds FILE: duration of a RIFF/WAVE file from its fmt and data chunks
wav_seconds() {
    [ -f "$1" ] || return 1
    [ "$(dd if="$1" bs=1 count=4 2>/dev/null)" = RIFF ] || return 1
    size=$(wc -c <"$1")
    off=12 ch="" rate="" bits="" data=""
    while [ $((off + 8)) -le "$size" ]; do
        id=$(dd if="$1" bs=1 skip="$off" count=4 2>/dev/null)
        len=$(od -An -tu4 --endian=little -j $((off + 4)) -N4 "$1" | tr -d ' ')
        case $id in
        "fmt ")
            ch=$(od -An -tu2 --endian=little -j $((off + 10)) -N2 "$1" | tr -d ' ')
            rate=$(od -An -tu4 --endian=little -j $((off + 12)) -N4 "$1" | tr -d ' ')
            bits=$(od -An -tu2 --endian=little -j $((off + 22)) -N2 "$1" | tr -d ' ')
            ;;
        data)
            data=$len
            data_off=$((off + 8))
            # a writer that died may leave the placeholder length
            [ $((off + 8 + data)) -gt "$size" ] && data=$((size - off - 8))
            break
            ;;
        esac
        off=$((off + 8 + len + len % 2))
    done
    [ -n "$ch" ] && [ -n "$data" ] && [ "$ch" -gt 0 ] && [ "$bits" -gt 0 ] &&
        [ "$rate" -gt 0 ] || return 1
    awk -v d="$data" -v c="$ch" -v b="$bits" -v r="$rate" \
        'BEGIN { printf "%.3f\n", d / (c * int((b + 7) / 8)) / r }'
}

# check_out CHAIN FILE: the output must be a WAV as long as the sources
# (+-1 s), and not silent (peak of one second of float samples from the
# middle above -80 dBFS)
check_out() {
    d=$(wav_seconds "$2") || d=""
    if [ -z "$d" ]; then
        fail "$1" "no readable WAV output"
        return 1
    fi
    if ! awk -v d="$d" -v s="$SECS" 'BEGIN { exit !(d > s - 1 && d < s + 1) }'; then
        fail "$1" "output is $d s long, expected ~$SECS s"
        return 1
    fi
    wav_seconds "$2" >/dev/null # again, outside $(): sets data_off, bits, ...
    [ "$bits" = 32 ] || return 0 # float expected; no check on other formats
    mid=$((data_off + data / 2 / 4 * 4))
    peak=$(od -An -v -tf4 --endian=little -j "$mid" -N $((RATE * 4)) "$2" |
        awk '{ for (i = 1; i <= NF; i++) { v = $i < 0 ? -$i : $i; if (v > p) p = v } }
             END { printf "%g\n", p + 0 }')
    if ! awk -v p="$peak" 'BEGIN { exit !(p > 0.0001) }'; then
        fail "$1" "output is silent (peak $peak in the middle second)"
        return 1
    fi
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit 1
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 }
    END { printf "%.3f-%.3f", lo, hi }'; }

# default_of KEY: a parameter's default as specmorph-render --help prints it
default_of() {
    "$render" --help 2>/dev/null | awk -v k="$1" '$1 == k {
        for (i = 2; i < NF; i++) if ($i == "default") { print $(i + 1); exit } }'
}

# ---- sources
A=$tmp/a-voice.wav
B=$tmp/b-pad.wav
if ! "$gen" voice "$SECS" "$A" --rate "$RATE" --seed 1 ||
    ! "$gen" pad "$SECS" "$B" --rate "$RATE" --seed 2; then
    echo "bench: sm-gen failed" >&2
    exit 1
fi

# ---- the chains
chains="r1 r3 r3x"
label_r1="specmorph 1-band"
label_r3="specmorph 3-band (default)"
# the default with the alignment stage off: the difference is its cost
# (voice against pad: the estimator runs, nothing is delayed)
label_r3x="specmorph 3-band, align off"
wh_r1="2048/512"
wh_r3="$(default_of bands.lf_window)/$(default_of bands.lf_hop)"
wh_r3="$wh_r3, $(default_of bands.mf_window)/$(default_of bands.mf_hop)"
wh_r3="$wh_r3, $(default_of bands.hf_window)/$(default_of bands.hf_hop)"
wh_r3x=$wh_r3
# the default with each mask modulator at amount 1, and with all three:
# the differences to r3 are the modulators' costs
chains="$chains r3t r3f r3s r3m"
label_r3t="specmorph 3-band, + transient modulator"
label_r3f="specmorph 3-band, + tonality modulator"
label_r3s="specmorph 3-band, + snr modulator"
label_r3m="specmorph 3-band, + all three modulators"
wh_r3t=$wh_r3 wh_r3f=$wh_r3 wh_r3s=$wh_r3 wh_r3m=$wh_r3
# the default with adaptive crossovers: the difference to r3 is the
# centroid analyser plus the crossover's per-sample coefficient ramp (the
# cutoffs then move most of the time)
chains="$chains r3a"
label_r3a="specmorph 3-band, + adaptive crossovers"
wh_r3a=$wh_r3
# the default with each phase method at the defaults of phase.lookahead
# and phase.iterations: the differences to r3 (mix) are the methods' costs
# (their quality is measured by bench_phase.sh)
for m in lws pghi rtisila bregman hpss; do
    chains="$chains r3p$m"
    eval "label_r3p$m=\"specmorph 3-band, phase.method=$m\""
    eval "wh_r3p$m=\$wh_r3"
done

notes=""
if command -v csound >/dev/null 2>&1; then
    chains="$chains cs"
    label_cs="csound pvsanal/pvsmorph/pvsynth"
    wh_cs="2048/512 Hann"
else
    notes="$notes
csound: not installed, skipped (Debian package csound; make deps-bench)"
fi

# SuperCollider: scsynth, the PV_Morph UGen from sc3-plugins, and Python to
# write the SynthDef and the NRT score (sclang is not needed).
sc_plugin=""
if command -v scsynth >/dev/null 2>&1; then
    for d in /usr/lib/SuperCollider/plugins /usr/local/lib/SuperCollider/plugins \
        /usr/share/SuperCollider/Extensions /usr/local/share/SuperCollider/Extensions \
        "${HOME:-/nonexistent}/.local/share/SuperCollider/Extensions"; do
        [ -d "$d" ] || continue
        # the UGen's name as a whole NUL-terminated string in a plugin
        sc_plugin=$(grep -rlz --include='*.so' '^PV_Morph$' "$d" 2>/dev/null |
            grep -v supernova | head -n 1)
        [ -n "$sc_plugin" ] && break
    done
    if [ -z "$sc_plugin" ]; then
        notes="$notes
supercollider: scsynth found but no PV_Morph UGen (package sc3-plugins-server), skipped"
    elif ! "$PY" -c 'import struct' 2>/dev/null; then
        notes="$notes
supercollider: needs $PY to write the NRT score, skipped"
    elif ! "$PY" "$here/bench/sc_nrt.py" "$A" "$B" "$SECS" "$tmp/score.osc"; then
        fail sc "could not write the NRT score"
    else
        chains="$chains sc"
        label_sc="supercollider FFT/PV_Morph/IFFT"
        wh_sc="2048/512 Hann"
    fi
else
    notes="$notes
supercollider: not installed (scsynth, sc3-plugins-server), skipped"
fi

# run_chain CHAIN OUT: one run, CPU seconds in $tmp/cpu, stdout/stderr kept
run_chain() {
    rm -f "$2"
    case $1 in
    r1) set -- "$render" -q --bench -s bands.count=1 -s bands.single_window=2048 \
        -s bands.single_hop=512 -s morph.position=0.5 "$A" "$B" -o "$2" ;;
    r3) set -- "$render" -q --bench -s morph.position=0.5 "$A" "$B" -o "$2" ;;
    r3x) set -- "$render" -q --bench -s morph.position=0.5 -s align.enabled=off \
        "$A" "$B" -o "$2" ;;
    r3a) set -- "$render" -q --bench -s morph.position=0.5 -s bands.adaptive=on \
        "$A" "$B" -o "$2" ;;
    r3p*) set -- "$render" -q --bench -s morph.position=0.5 \
        -s phase.method="${1#r3p}" "$A" "$B" -o "$2" ;;
    r3t | r3f | r3s | r3m)
        case $1 in
        r3t) m="-s mod.transient_amount=1" ;;
        r3f) m="-s mod.tonality_amount=1" ;;
        r3s) m="-s mod.snr_amount=1" ;;
        *) m="-s mod.transient_amount=1 -s mod.tonality_amount=1 -s mod.snr_amount=1" ;;
        esac
        set -- "$render" -q --bench -s morph.position=0.5 $m "$A" "$B" -o "$2" ;;
    cs) set -- csound --ksmps=$CS_KSMPS --omacro:SRCA="\"$A\"" \
        --omacro:SRCB="\"$B\"" --smacro:DUR="$SECS" -o "$2" \
        "$here/bench/morph.csd" ;;
    sc) set -- scsynth -N "$tmp/score.osc" _ "$2" "$RATE" WAV float -o 1 -i 0 ;;
    esac
    # in the background so that a signal to this shell is handled at once
    timed "$@" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null &
    child=$!
    wait "$child"
    rc=$?
    child=""
    return $rc
}

show_log() {
    sed -n '1,20p' "$tmp/stdout" "$tmp/stderr" | sed 's/^/    /' >&2
}

# engine_rtf: the rtf field of the renderer's --bench line
engine_rtf() {
    sed -n 's/^bench:.* rtf=\([0-9.eE+-]*\).*$/\1/p' "$tmp/stdout" | head -n 1
}

echo "bench: $(nproc 2>/dev/null || echo ?) cores," \
    "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)," \
    "load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "bench: sources voice + pad, $SECS s at $RATE Hz mono; $RUNS timed runs" \
    "per chain after one warm-up; CPU time by $timer"

# warm-up and output checks
ok=""
for c in $chains; do
    out=$tmp/out-$c.wav
    if ! run_chain "$c" "$out"; then
        fail "$c" "exited non-zero"
        show_log
        continue
    fi
    check_out "$c" "$out" || { show_log; continue; }
    case $c in
    r1 | r3 | r3x | r3[tfsma] | r3p*)
        if [ -z "$(engine_rtf)" ]; then
            fail "$c" "no 'bench: ... rtf=' line on stdout"
            show_log
            continue
        fi
        ;;
    sc)
        if grep -qi 'not installed\|FAILURE\|exception' "$tmp/stderr" "$tmp/stdout"; then
            fail sc "scsynth reported an error"
            show_log
            continue
        fi
        ;;
    esac
    rm -f "$out"
    ok="$ok $c"
done

# timed rounds, interleaved, order rotated each round
order=$ok
i=1
while [ "$i" -le "$RUNS" ] && [ -n "$order" ]; do
    for c in $order; do
        out=$tmp/out-$c.wav
        if run_chain "$c" "$out"; then
            eval "cpu_$c=\"\${cpu_$c:-} $(cat "$tmp/cpu")\""
            case $c in r1 | r3 | r3x | r3[tfsma] | r3p*) eval "eng_$c=\"\${eng_$c:-} $(engine_rtf)\"" ;; esac
        else
            fail "$c" "exited non-zero in timed run $i"
            show_log
        fi
        rm -f "$out"
    done
    # rotate: first chain goes last
    set -- $order
    first=$1
    shift
    order="$* $first"
    i=$((i + 1))
done

# ---- results
med_cs=""
for c in $ok; do
    eval "v=\${cpu_$c:-}"
    [ -n "$v" ] || continue
    eval "med_$c=$(median $v)"
    eval "rng_$c=$(minmax $v)"
    eval "e=\${eng_$c:-}"
    [ -n "$e" ] && eval "emed_$c=$(median $e)"
done

echo
printf '| %-48s | %-28s | %-21s | %-13s | %-11s | %-15s | %-15s |\n' \
    chain window/hop "CPU s (median of $RUNS)" "CPU s range" "x real time" \
    "engine-only xRT" "ratio vs csound"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' -------------------------------------------------- \
    ------------------------------ ----------------------- --------------- \
    ------------- ----------------- -----------------
for c in r1 r3 r3x r3t r3f r3s r3m r3a r3plws r3ppghi r3prtisila r3pbregman \
    r3phpss cs sc; do
    eval "lab=\${label_$c:-}"
    [ -n "$lab" ] || continue
    [ "$c" = cs ] && lab="$lab (ksmps $CS_KSMPS)"
    [ "$c" = sc ] && lab="$lab (block 64, NRT)"
    eval "wh=\${wh_$c}"
    eval "m=\${med_$c:-}"
    if [ -z "$m" ]; then
        printf '| %-48s | %-28s | %-21s | %-13s | %-11s | %-15s | %-15s |\n' \
            "$lab" "$wh" FAILED - - - -
        continue
    fi
    eval "rg=\${rng_$c}"
    eval "em=\${emed_$c:--}"
    rtf=$(awk -v s="$SECS" -v m="$m" 'BEGIN { printf "%.1f", s / m }')
    [ "$em" != - ] && em=$(awk -v x="$em" 'BEGIN { printf "%.1f", x }')
    ratio=-
    [ -n "${med_cs:-}" ] && ratio=$(awk -v m="$m" -v c="$med_cs" 'BEGIN { printf "%.2f", m / c }')
    printf '| %-48s | %-28s | %-21s | %-13s | %-11s | %-15s | %-15s |\n' \
        "$lab" "$wh" "$(awk -v m="$m" 'BEGIN { printf "%.3f", m }')" "$rg" \
        "$rtf" "$em" "$ratio"
done
[ -n "$notes" ] && printf '%s\n' "$notes" | sed '/^$/d'

echo
if [ -n "${med_r1:-}" ] && [ -n "${med_cs:-}" ]; then
    r=$(awk -v m="$med_r1" -v c="$med_cs" 'BEGIN { printf "%.2f", m / c }')
    v=$(awk -v r="$r" 'BEGIN { print (r <= 1.0) ? "PASS" : "MISS" }')
    echo "target: specmorph 1-band CPU <= csound pvs chain CPU (ratio <= 1.00): $r -> $v"
else
    echo "target: specmorph 1-band CPU <= csound pvs chain CPU: n/a (a chain did not run)"
fi
if [ -n "${med_r3:-}" ] && [ -n "${med_r3x:-}" ]; then
    awk -v on="$med_r3" -v off="$med_r3x" -v s="$SECS" 'BEGIN {
        printf "alignment stage (3-band default, on - off): %.3f CPU s for %d s, %.2f %% of a core\n",
            on - off, s, 100 * (on - off) / s }'
fi
if [ -n "${med_r3:-}" ] && [ -n "${med_r3a:-}" ]; then
    awk -v on="$med_r3a" -v off="$med_r3" -v s="$SECS" 'BEGIN {
        printf "adaptive crossovers (3-band default, on - off): %.3f CPU s for %d s, %.2f %% of a core\n",
            on - off, s, 100 * (on - off) / s }'
fi
for c in r3t r3f r3s r3m; do
    eval "m=\${med_$c:-}"
    if [ -z "$m" ] || [ -z "${med_r3:-}" ]; then continue; fi
    eval "lab=\${label_$c}"
    awk -v on="$m" -v off="$med_r3" -v s="$SECS" -v l="${lab#specmorph 3-band, + }" 'BEGIN {
        printf "%s (3-band default, amount 1 - 0): %.3f CPU s for %d s, %.2f %% of a core\n",
            l, on - off, s, 100 * (on - off) / s }'
done
if [ -n "${med_r3:-}" ]; then
    x=$(awk -v s="$SECS" -v m="$med_r3" 'BEGIN { printf "%.1f", s / m }')
    v=$(awk -v x="$x" -v t="$TARGET_RTF3" 'BEGIN { print (x >= t) ? "PASS" : "MISS" }')
    echo "target: specmorph 3-band >= ${TARGET_RTF3}x real time on one core (process CPU): ${x}x -> $v"
else
    echo "target: specmorph 3-band >= ${TARGET_RTF3}x real time: n/a (did not run)"
fi

if [ -n "$failed" ]; then
    echo "bench: failed:$failed" >&2
    exit 1
fi
exit 0
