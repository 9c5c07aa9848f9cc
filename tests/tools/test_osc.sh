#!/bin/sh
# test_osc.sh: the OSC server of specmorphd against the running daemon,
# with real clients on 127.0.0.1 (tests/tools/osc_check.py does the
# talking; each of its "ok:"/"FAIL:" lines counts here). The parameter
# table comes from /specmorph/list, never from here.
#   1. params: every parameter set and read back (candidates from the
#      list: type, range, default; a refused one must leave the value as
#      it was and another must pass); list/end's count = the param replies
#   2. coerce/norm: i, h, f, d, T/F; enums by name and by index;
#      /specmorph/norm/...: 0 -> min, 1 -> max, 0.5 -> the curve's middle
#      (live rows on the JACK daemon, every row on one without JACK)
#   3. reject: every rejection answers /specmorph/error s:path s:reason and
#      changes nothing (range, NaN, Inf, types, blob, argument count,
#      non-integers, enum names, unknown addresses with a suggestion, norm
#      outside 0..1, combinations the configuration check refuses)
#   4. allow: --osc-allow 10.0.0.0/8 drops 127.0.0.1 (no pong, denied=N in
#      the SIGUSR1 status line); 127.0.0.0/8 answers
#   5. subscribe: /specmorph/subscribed, the full state in both forms,
#      another client's changes in both forms, status at status_hz;
#      nothing after unsubscribe; at most 16 subscribers
#   6. bundle: a pair valid only together is accepted as a bundle and
#      refused as separate messages; all-or-nothing; queries see the values
#      from before; bad bundles are dropped whole
#   7. saveload/atomic: save, --check-config, change, reload -> back;
#      saves killed with SIGKILL at random moments leave a complete file
#   8. preset: lowlatency (bands.count = 1, the same layout from any
#      state), unknown names with a suggestion
#   9. fuzz: 100 000+ malformed and random datagrams (max_rate 100000):
#      still answers, values in range, alive, no under-run, clean exit
#  10. flood: 10 000 messages/s for 2 s against max_rate 2000: dropped and
#      counted, handled <= max_rate x time + burst, RSS flat, no under-run
# SM_VERBOSE=1 names every check that passes too; SM_OSC_LOGS=DIR keeps
# the logs.
set -u
B="${SM_BUILD:-build/release}"
D="$B/specmorphd"
PY=/usr/bin/python3
H="$(dirname "$0")/osc_check.py"
. "$(dirname "$0")/jackenv.sh"
T="$JE_TMP"
pass=0
fail=0
ok() { pass=$((pass + 1)); [ "${SM_VERBOSE:-0}" = 1 ] && echo "ok: $*"; return 0; }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$2"; then ok "$1"; else ko "$1"; fi; }

for t in jackd jack_lsp jack_wait; do
    if ! command -v $t >/dev/null; then
        echo "test_osc: $t not installed (apt-get install jackd2)"
        exit 1
    fi
done
if [ ! -x "$D" ]; then echo "test_osc: $D not built"; exit 1; fi
if ! "$PY" -c 'import liblo' 2>/dev/null; then
    echo "test_osc: $PY lacks liblo (apt-get install python3-liblo)"
    exit 1
fi

# Daemons never see the user's configuration, and a save without -c
# cannot reach the user's home.
mkdir -p "$T/xdg" "$T/home"
# A JACK server that does not exist: the daemon keeps retrying and OSC
# works meanwhile. Named like the test's servers, so that the final check
# sees any daemon left behind.
NOSRV="sm-test-$$-none"
STATUS_HZ=20    # set below with --set osc.status_hz
MAX_RATE=2000   # [osc] max_rate's default (conf/settings.def)
# RSS growth allowed during the flood; a sanitizer build (SM_BUILD=
# build/asan) keeps freed memory in quarantine, hundreds of MB.
RSS_MAX_KB=4096
grep -q __asan_init "$D" && RSS_MAX_KB=1048576

# osc SECTION PORT ARGS...: one section of osc_check.py; its ok/FAIL lines
# count here (info lines are shown with SM_VERBOSE=1).
osc() {
    _t0=$(now_ms)
    timeout 150 "$PY" "$H" "$@" >"$T/osc-$1.out" 2>&1
    _rc=$?
    _n=0
    while IFS= read -r _line; do
        case "$_line" in
            "ok: "*) ok "${_line#ok: }"; _n=$((_n + 1)) ;;
            "FAIL: "*) ko "${_line#FAIL: }"; _n=$((_n + 1)) ;;
            "info: "*) [ "${SM_VERBOSE:-0}" = 1 ] && echo "$_line" ;;
            *) echo "    $_line" ;;
        esac
    done <"$T/osc-$1.out"
    [ $_rc -eq 0 ] || ko "osc_check.py $1: exit status $_rc"
    [ $_n -gt 0 ] || ko "osc_check.py $1: no checks ran"
    [ "${SM_VERBOSE:-0}" = 1 ] &&
        echo "info: section $1 took $(($(now_ms) - _t0)) ms"
    return 0
}

# dstart LOG ARGS...: the daemon on a free port (DPORT), with DPID and
# DTPID as spawn sets them; true once the OSC socket is open. A port taken
# between the choice and the bind gets another try.
dstart() {
    _l="$1"
    shift
    for _try in 1 2 3; do
        DPORT=$("$PY" "$H" freeport)
        spawn "$_l" env XDG_CONFIG_HOME="$T/xdg" HOME="$T/home" \
            "$D" --osc-port "$DPORT" "$@"
        DPID=$SPAWNED
        DTPID=$SPAWNED_T
        wait_for_log "$_l" 'osc: listening on' 5 && return 0
        stop_spawned "$DPID" "$DTPID"
    done
    return 1
}
dstop() { stop_spawned "$DPID" "$DTPID"; }

jack_start 256 || exit 1

# --- the main daemon: 1-3, 5-8, 10 ------------------------------------------
printf '; test_osc\n' >"$T/m.ini"
if ! dstart "$T/m.log" -s "$JACK_SERVER" -n smosc -c "$T/m.ini" \
    --set osc.status_hz=$STATUS_HZ ||
    ! wait_for_log "$T/m.log" 'ready:' 10; then
    ko "main daemon: not ready"
    cat "$T/m.log"
    echo "test_osc: $pass passed, $fail failed"
    exit 1
fi
ok "main daemon ready on port $DPORT"
osc params "$DPORT"
osc coerce "$DPORT"
osc norm "$DPORT" live
osc reject "$DPORT"
osc subscribe "$DPORT" "$STATUS_HZ"
osc bundle "$DPORT" "$DPID" "$T/m.log"
osc saveload "$DPORT" "$D" "$T/m.ini" "$T"
osc preset "$DPORT"
osc flood "$DPORT" "$DPID" "$T/m.log" "$MAX_RATE" "$RSS_MAX_KB"
check "main daemon: alive at the end" 'je_alive "$DPID"'
dstop
check "main daemon: SIGTERM: exit 0" \
    '[ "$EXIT_RC" = 0 ] || { tail -n 5 "$T/m.log"; false; }'

# --- 9. fuzz ----------------------------------------------------------------
if dstart "$T/f.log" -s "$JACK_SERVER" -n smfuzz --set osc.max_rate=100000 &&
    wait_for_log "$T/f.log" 'ready:' 10; then
    ok "fuzz daemon ready"
    osc fuzz "$DPORT" "$DPID" "$T/f.log" 100000
    dstop
    check "fuzz: SIGTERM afterwards: exit 0" \
        '[ "$EXIT_RC" = 0 ] || { tail -n 5 "$T/f.log"; false; }'
else
    ko "fuzz daemon: not ready"
    dstop
fi
jack_stop

# --- 4. allow-list (no JACK server needed) ---------------------------------------
if dstart "$T/a1.log" -s "$NOSRV" --osc-allow 10.0.0.0/8; then
    check "allow: the log names the allowed range" \
        'grep -q "allowed: 10.0.0.0/8" "$T/a1.log"'
    osc allow "$DPORT" "$DPID" "$T/a1.log" deny
else
    ko "allow: daemon with --osc-allow 10.0.0.0/8 did not start"
fi
dstop
if dstart "$T/a2.log" -s "$NOSRV" --osc-allow 127.0.0.0/8; then
    osc allow "$DPORT" "$DPID" "$T/a2.log" answer
    # Every row's normalised form, where no engine has to be rebuilt.
    osc norm "$DPORT" all
else
    ko "allow: daemon with --osc-allow 127.0.0.0/8 did not start"
fi
dstop

# --- 7. atomic save ------------------------------------------------------------
osc atomic "$("$PY" "$H" freeport)" "$D" "$NOSRV" "$T" 24

# SM_OSC_LOGS=DIR keeps the daemons' logs and the sections' output.
if [ -n "${SM_OSC_LOGS:-}" ]; then
    mkdir -p "$SM_OSC_LOGS" && cp "$T"/*.log "$T"/*.out "$SM_OSC_LOGS"/
fi
# Everything started here ran with one of this run's server names.
jack_cleanup
check "nothing left running" '! pgrep -f "sm-test-$$-" >/dev/null'

echo "test_osc: $pass passed, $fail failed"
[ $fail -eq 0 ]
