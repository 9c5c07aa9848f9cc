#!/bin/sh
# test_phasebench.sh: sm-phasebench on a tiny signal: every method runs,
# the output has its documented form, the figures are finite and ordered
# as the algorithms guarantee, files and built-ins agree, and the error
# paths give one clear line and exit 2. Quick (a few seconds): a CI check
# of the measuring tool, not of the methods' quality targets (make bench).
# The checks are strings that check() evals, so single quotes on purpose:
# shellcheck disable=SC2016,SC2034
set -u
B="${SM_BUILD:-build/release}"
P="$B/sm-phasebench"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$2"; then ok; else ko "$1"; fi; }

expect_err() { # NAME PATTERN CMD...: exit 2 and a line matching PATTERN
    name="$1"; pat="$2"; shift 2
    "$@" >"$T/out.txt" 2>"$T/err.txt"
    rc=$?
    if [ $rc -ne 2 ]; then ko "$name: exit $rc, expected 2"; return; fi
    if ! grep -q -- "$pat" "$T/err.txt"; then
        ko "$name: stderr lacks '$pat': $(cat "$T/err.txt")"; return
    fi
    ok
}

# sc SPEC FILE: the sc_db field of that method's row in a TSV
sc() { awk -F '\t' -v m="$1" '$7 == m { print $13 }' "$2"; }
# lt A B SLACK: A < B + SLACK (dB)
lt() { awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { exit !(a + 0 < b + s) }'; }

# --- every method, machine-readable --------------------------------------
M="mix,lws,pghi,rtisila,rtisila:la=3:it=4,bregman,bregman:la=1:it=8,hpss"
M="$M,gla:it=5,gla:it=50,fgla:it=50"
"$P" -q --tsv -r 2 --seconds 0.6 -w 1024 -H 256 -m "$M" piano sweepnoise \
    >"$T/a.tsv" 2>"$T/a.err"
rc=$?
check "all methods run, repeats bit-identical (exit 0)" '[ $rc -eq 0 ]'
[ $rc -eq 0 ] || sed 's/^/    /' "$T/a.err"
check "TSV header" 'head -n 1 "$T/a.tsv" | grep -q "^signal	seconds	rate	window	hop	method	spec	realtime	lookahead_frames	lookahead_ms	iterations	cpu_ms_per_s	sc_db	mag_err_db$"'
# 11 methods x (2 signals + mean) rows
check "one row per method and signal, plus means" \
    '[ "$(tail -n +2 "$T/a.tsv" | wc -l)" -eq 33 ]'
check "14 fields in every row" \
    '[ -z "$(awk -F "\t" "NF != 14" "$T/a.tsv")" ]'
check "every method name appears" \
    'for n in mix lws pghi rtisila bregman hpss gla fgla; do
         awk -F "\t" -v n=$n "\$6 == n" "$T/a.tsv" | grep -q . || exit 1; done'
check "SC finite and below 0 dB on a non-silent signal" \
    '[ -z "$(tail -n +2 "$T/a.tsv" | awk -F "\t" "!(\$13 ~ /^-?[0-9.]+\$/ && \$13 < 0)")" ]'
check "CPU a finite non-negative number" \
    '[ -z "$(tail -n +2 "$T/a.tsv" | awk -F "\t" "!(\$12 ~ /^[0-9.]+\$/)")" ]'
check "realtime rows: look-ahead ms = frames x hop / rate" \
    '[ -z "$(tail -n +2 "$T/a.tsv" | awk -F "\t" "\$8 == 1 {
         d = \$10 - 1000 * \$9 * \$5 / \$3; if (\$9 < 0 || \$9 > 8 || d > 0.006 || d < -0.006) print }")" ]'
check "offline rows: no look-ahead, iterations as asked" \
    '[ "$(awk -F "\t" "\$8 == 0 && \$9 == -1 { print \$11 }" "$T/a.tsv" | sort -u | tr "\n" " ")" = "5 50 " ]'
check "mix has no look-ahead, pghi at most one frame" \
    '[ "$(awk -F "\t" "\$1 == \"piano\" && \$7 == \"mix\" { print \$9 }" "$T/a.tsv")" = 0 ] &&
     [ "$(awk -F "\t" "\$1 == \"piano\" && \$7 == \"pghi\" { print \$9 }" "$T/a.tsv")" -le 1 ]'
check "iterations reported for rtisila, none for pghi" \
    '[ "$(awk -F "\t" "\$1 == \"piano\" && \$7 == \"rtisila:la=3:it=4\" { print \$11 }" "$T/a.tsv")" = 4 ] &&
     [ "$(awk -F "\t" "\$1 == \"piano\" && \$7 == \"pghi\" { print \$11 }" "$T/a.tsv")" = 0 ]'

# Ordering the algorithms guarantee, per signal. Griffin-Lim never
# increases || |X| - |STFT(y)| || (Griffin & Lim 1984), so 50 iterations
# are no worse than 5 (0.05 dB: float rounding). Zero phase (mix without
# estimate) is the floor: 50 iterations of fast Griffin-Lim are at least
# 6 dB better (zero phase is about -1 dB on these signals, 50 GLA
# iterations from any start -15 dB or lower); no method may be more than
# 1 dB worse than zero phase.
for s in piano sweepnoise; do
    awk -F '\t' -v s=$s '$1 == s' "$T/a.tsv" >"$T/$s.tsv"
    m0=$(sc mix "$T/$s.tsv")
    check "$s: gla 50 it no worse than gla 5 it" \
        'lt "$(sc gla:it=50 "$T/$s.tsv")" "$(sc gla:it=5 "$T/$s.tsv")" 0.05'
    check "$s: fgla 50 it at least 6 dB below zero phase" \
        'lt "$(sc fgla:it=50 "$T/$s.tsv")" "$m0" -6'
    for m in lws pghi rtisila bregman hpss; do
        check "$s: $m no more than 1 dB above zero phase" \
            'lt "$(sc $m "$T/$s.tsv")" "$m0" 1'
    done
done
check "mean row is the mean of the signals' SC" \
    'lt "$(awk -F "\t" "\$7 == \"pghi\" { if (\$1 == \"(mean)\") m = \$13; else { s += \$13; n++ } }
         END { d = m - s / n; print (d < 0 ? -d : d) }" "$T/a.tsv")" 0.011 0'

# --- silence: SC 0 dB by definition, nothing non-finite -------------------
"$P" -q --tsv -r 1 --seconds 0.3 -w 512 -H 128 -m "$M" silence >"$T/s.tsv" 2>&1
rc=$?
check "silence: exit 0, every SC 0.00" \
    '[ $rc -eq 0 ] && [ -z "$(tail -n +2 "$T/s.tsv" | awk -F "\t" "\$13 != \"0.00\"")" ]'

# --- a file gives what the built-in gives ----------------------------------
"$P" -q --seconds 0.6 --write "$T/p.wav" piano
check "--write writes the signal" '[ -s "$T/p.wav" ]'
"$P" -q --tsv -r 1 -w 1024 -H 256 -m pghi,fgla:it=50 "$T/p.wav" >"$T/f.tsv"
check "file input: same SC as the built-in" \
    '[ "$(sc pghi "$T/f.tsv") $(sc fgla:it=50 "$T/f.tsv")" = "$(sc pghi "$T/piano.tsv") $(sc fgla:it=50 "$T/piano.tsv")" ]'
check "file input: signal named after the file" \
    '[ "$(tail -n 1 "$T/f.tsv" | cut -f 1)" = p ]'

# --- human-readable form ----------------------------------------------------
"$P" -q -r 1 --seconds 0.3 -w 512 -H 128 -m mix,pghi piano tone >"$T/h.txt"
check "table: header, one block per signal and a mean block" \
    '[ "$(grep -c "^  method .*LA fr .*LA ms .*iter .*CPU ms/s .*SC dB" "$T/h.txt")" -eq 3 ] &&
     grep -q "^piano: 0.300 s at 48000 Hz (built-in); window 512, hop 128" "$T/h.txt" &&
     grep -q "^mean over 2 signals" "$T/h.txt"'
mkdir "$T/save"
"$P" -q -r 1 --seconds 0.3 -w 512 -H 128 -m rtisila:la=1 --save "$T/save" tone >/dev/null
check "--save writes the reconstruction" '[ -s "$T/save/tone-512-128-rtisila-la-1.wav" ]'

# --- errors: one clear line, exit 2 -----------------------------------------
expect_err "unknown method" "unknown method 'nope'" "$P" -m nope piano
expect_err "bad method option" "unknown method option 'zz'" "$P" -m pghi:zz=1 piano
expect_err "look-ahead out of range" "la=9" "$P" -m rtisila:la=9 piano
expect_err "no such input" "no such file, and not a built-in" "$P" "$T/missing.wav"
echo junk >"$T/bad.wav"
expect_err "not audio" "$T/bad.wav" "$P" "$T/bad.wav"
expect_err "hop over half the window" "at most half the window" "$P" -w 512 -H 300 piano
expect_err "odd window" "an even number" "$P" -w 511 piano
expect_err "bad repeat" "--repeat" "$P" -r 0 piano
expect_err "bad init" "pghi or mix" "$P" --init foo piano
expect_err "no input" "usage" "$P"
check "--help lists the built-ins" '"$P" --help | grep -q sweepnoise'

echo "test_phasebench: $pass passed, $fail failed"
[ $fail -eq 0 ]
