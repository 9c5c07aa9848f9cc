#!/bin/sh
# run.sh SECONDS: builds the libFuzzer targets with clang (ASan + UBSan)
# and runs each for SECONDS from a seed corpus; `make fuzz` (not in
# make check). Crashes are left in build/fuzz/ as crash-* files.
set -eu
secs=${1:-60}
out=build/fuzz
mkdir -p "$out"
CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null; then
    echo "fuzz: $CC not found (apt-get install clang)"
    exit 1
fi
flags="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -Idsp -Iconf -Iosc -I/usr/include/iniparser"
libs="-lfftw3f_threads -lfftw3f -lsndfile -lsamplerate -liniparser -llo -lm -lpthread"
lib_src="$(ls dsp/*.c conf/*.c osc/*.c)"
echo "fuzz: building the targets"
# shellcheck disable=SC2086
$CC $flags -o "$out/fuzz_osc" tests/fuzz/fuzz_osc.c $lib_src $libs
# shellcheck disable=SC2086
$CC $flags -o "$out/fuzz_ini" tests/fuzz/fuzz_ini.c $lib_src $libs
/usr/bin/python3 tests/fuzz/seeds.py "$out/corpus_osc"
mkdir -p "$out/corpus_ini"
cp conf/specmorphd.ini "$out/corpus_ini/example.ini"
printf '[mask]\nk = 3\n[jack]\nprefill_periods = 2\n[osc]\nallow = "10.0.0.0/8"\n' \
    > "$out/corpus_ini/small.ini"
rc=0
for t in osc ini; do
    echo "fuzz: fuzz_$t for $secs s"
    (cd "$out" && ./fuzz_$t -max_total_time="$secs" -max_len=70000 \
        -print_final_stats=1 corpus_$t) >"$out/fuzz_$t.log" 2>&1 || rc=1
    tail -n 12 "$out/fuzz_$t.log" | grep -E "stat::number_of_executed_units|ERROR|Done" || true
done
[ $rc = 0 ] && echo "fuzz: no crash" || echo "fuzz: FAILED (see $out/*.log and crash-* files)"
exit $rc
