# jackenv.sh: sourced (POSIX sh) by the tests that need a JACK server.
#
# Every test run gets private dummy servers (jackd -n sm-test-PID-N
# -d dummy -r 48000 -p PERIOD), never the user's server. Every JACK command
# and every background process is wrapped in `timeout`, and a trap on
# EXIT/INT/TERM stops whatever was started here (servers, daemons,
# clients), so nothing is left running even when a test fails half-way.
#
#   jack_start [PERIOD]     start a new server (period 256 unless given);
#                           sets JACK_SERVER, JACK_PERIOD, JACK_PID
#   jack_stop               stop it (SIGTERM, then SIGKILL) and wait
#   jack_kill               SIGKILL it (a crash) and wait
#   jack_restart            start the same server (name, period) again
#   spawn LOG CMD...        run CMD in the background (stdout and stderr to
#                           LOG, killed after JE_MAX_S); sets SPAWNED (the
#                           pid of CMD itself, for signals) and SPAWNED_T
#                           (its timeout wrapper: `wait` on it gives CMD's
#                           exit status)
#   wait_exit PID TPID SECS wait up to SECS for a spawned process to end;
#                           sets EXIT_RC; 1 if it is still running
#   stop_spawned PID TPID   SIGTERM (then SIGKILL) a spawned process
#   jl ARGS...              jack_lsp on the current server (timeout 5)
#   wait_for_port NAME:PORT SECS     until the port exists
#   wait_for_no_port NAME:PORT SECS  until it is gone
#   wait_for_log FILE PATTERN SECS   until FILE has a line matching the
#                                    extended regex PATTERN
#   port_connected A B      true when port A is connected to port B
#   wait_for_connection A B SECS
#   port_latency PORT capture|playback   prints "MIN MAX"
#   now_ms                  milliseconds (monotonic enough for timeouts)
#
# Knobs: SM_JACK_RT=auto|0|1: run the servers real-time (-R) or not (-r);
# auto (default) uses -R where this process may use SCHED_FIFO (a non-RT
# dummy server on a busy 2-core machine has xruns now and then, which the
# sample-exact tests then retry), else -r. JE_MAX_S: hard limit on every
# background process (default 300 s).
#
# The caller sets nothing; JE_TMP is a private temporary directory,
# removed by the cleanup.

export JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1
JE_MAX_S=${JE_MAX_S:-300}
JE_TMP=$(mktemp -d)
JE_N=0
JE_SERVERS=""      # names of every server started here
JE_PROCS=""        # "pid:tpid" of every process spawned here
JE_SPROCS=""       # "pid:tpid" of every server process started here
JACK_SERVER=""
JACK_PERIOD=256
JACK_PID=""
JACK_TPID=""

case "${SM_JACK_RT:-auto}" in
    1) JE_RTFLAG=-R ;;
    0) JE_RTFLAG=-r ;;
    *) if chrt -f 10 true 2>/dev/null; then JE_RTFLAG=-R; else JE_RTFLAG=-r; fi ;;
esac

now_ms() { date +%s%3N; }

# Deadline helpers: je_deadline SECS (fractions allowed) prints the time
# in ms at which SECS from now have passed.
je_deadline() { echo $(( $(now_ms) + $(awk "BEGIN{printf \"%d\", $1 * 1000}") )); }
je_before() { [ "$(now_ms)" -lt "$1" ]; }

# je_alive PID: running (a zombie, ended but not reaped, is not).
je_alive() {
    _st=$(ps -o stat= -p "$1" 2>/dev/null)
    [ -n "$_st" ] && [ "${_st#Z}" = "$_st" ]
}

# Child pid of a `timeout` wrapper (it forks at once; allow 2 s).
je_child() {
    _d=$(je_deadline 2)
    while je_before "$_d"; do
        _c=$(pgrep -P "$1" 2>/dev/null | head -n 1)
        if [ -n "$_c" ]; then echo "$_c"; return 0; fi
        je_alive "$1" || return 1
        sleep 0.01
    done
    return 1
}

je_server_up() {
    [ "$(timeout 5 jack_wait -c -s "$1" 2>/dev/null)" = "running" ]
}

# jack_start [PERIOD]
jack_start() {
    JE_N=$((JE_N + 1))
    JACK_SERVER="sm-test-$$-$JE_N"
    JACK_PERIOD=${1:-256}
    JE_SERVERS="$JE_SERVERS $JACK_SERVER"
    jack_restart
}

# Starts $JACK_SERVER with $JACK_PERIOD (again, after jack_kill/jack_stop).
jack_restart() {
    timeout "$JE_MAX_S" jackd -n "$JACK_SERVER" "$JE_RTFLAG" -d dummy \
        -r 48000 -p "$JACK_PERIOD" >>"$JE_TMP/jackd-$JACK_SERVER.log" 2>&1 &
    JACK_TPID=$!
    JACK_PID=$(je_child "$JACK_TPID") || JACK_PID=""
    JE_SPROCS="$JE_SPROCS ${JACK_PID:-0}:$JACK_TPID"
    # jack_wait -w polls once a second; -c is instant, so poll it (10 s).
    _d=$(je_deadline 10)
    while je_before "$_d"; do
        if je_server_up "$JACK_SERVER"; then return 0; fi
        je_alive "$JACK_TPID" || break
        sleep 0.02
    done
    echo "jackenv: JACK server $JACK_SERVER did not start:" >&2
    sed 's/^/    /' "$JE_TMP/jackd-$JACK_SERVER.log" >&2
    return 1
}

je_wait_gone() { # PID SECS
    _d=$(je_deadline "$2")
    while je_alive "$1" && je_before "$_d"; do sleep 0.01; done
    ! je_alive "$1"
}

jack_stop() {
    [ -n "$JACK_TPID" ] || return 0
    je_end "$JACK_PID" "$JACK_TPID" 5
    JACK_PID=""
    JACK_TPID=""
    return 0
}

jack_kill() {
    [ -n "$JACK_TPID" ] || return 0
    je_sig KILL "$JACK_PID" "$JACK_TPID"
    je_end "$JACK_PID" "$JACK_TPID" 5
    JACK_PID=""
    JACK_TPID=""
    return 0
}

# spawn LOG CMD...
spawn() {
    _log="$1"
    shift
    timeout "$JE_MAX_S" "$@" >"$_log" 2>&1 &
    SPAWNED_T=$!
    SPAWNED=$(je_child "$SPAWNED_T") || SPAWNED=""
    JE_PROCS="$JE_PROCS ${SPAWNED:-0}:$SPAWNED_T"
    [ -n "$SPAWNED" ]
}

# wait_exit PID TPID SECS: waits up to SECS for a spawned process to end
# by itself; EXIT_RC is its exit status. 1 when it is still running.
wait_exit() {
    EXIT_RC=""
    je_wait_gone "$2" "$3" || return 1
    wait "$2"
    EXIT_RC=$?
    JE_PROCS=$(je_forget "$JE_PROCS" "${1:-0}:$2")
    return 0
}

# stop_spawned PID TPID: SIGTERM, SIGKILL after 3 s; EXIT_RC its status.
stop_spawned() { je_end "$1" "$2" 3; }

jl() { timeout 5 jack_lsp -s "$JACK_SERVER" "$@" 2>/dev/null; }

je_has_port() { jl | grep -qxF -- "$1"; }

wait_for_port() {
    _d=$(je_deadline "$2")
    while je_before "$_d"; do
        je_has_port "$1" && return 0
        sleep 0.02
    done
    je_has_port "$1"
}

wait_for_no_port() {
    _d=$(je_deadline "$2")
    while je_before "$_d"; do
        je_has_port "$1" || return 0
        sleep 0.02
    done
    ! je_has_port "$1"
}

wait_for_log() {
    _d=$(je_deadline "$3")
    while je_before "$_d"; do
        grep -Eq -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.02
    done
    grep -Eq -- "$2" "$1" 2>/dev/null
}

# port_connected A B: jack_lsp -c prints each port, then its connections
# indented by three spaces.
port_connected() {
    jl -c | awk -v a="$1" -v b="$2" '
        /^[^ \t]/ { cur = $0; next }
        { sub(/^[ \t]+/, ""); if (cur == a && $0 == b) found = 1 }
        END { exit !found }'
}

wait_for_connection() {
    _d=$(je_deadline "$3")
    while je_before "$_d"; do
        port_connected "$1" "$2" && return 0
        sleep 0.02
    done
    port_connected "$1" "$2"
}

# port_latency PORT capture|playback -> "MIN MAX"
port_latency() {
    jl -l | awk -v p="$1" -v m="$2" '
        /^[^ \t]/ { cur = $0; next }
        cur == p && $0 ~ ("port " m " latency") {
            sub(/.*\[ */, ""); sub(/ *\].*/, ""); print; exit }'
}

# je_sig SIG PID TPID: signals a process started here, and only while it
# is still ours (PID a child of TPID, TPID not reaped yet), so that a
# recycled pid is never hit.
je_sig() {
    if [ -n "$2" ] && [ "$2" != 0 ] &&
        [ "$(ps -o ppid= -p "$2" 2>/dev/null | tr -d ' ')" = "$3" ]; then
        kill "-$1" "$2" 2>/dev/null
    fi
    return 0
}

# je_forget LIST PID:TPID prints LIST without that entry.
je_forget() { echo " $1 " | sed "s/ $2 / /g"; }

# je_end PID TPID SECS: SIGTERM (forwarded by timeout), SIGKILL after SECS,
# reap; EXIT_RC is the status.
je_end() {
    je_sig TERM "$1" "$2"
    if ! je_wait_gone "$2" "$3"; then
        je_sig KILL "$1" "$2"
        kill -KILL "$2" 2>/dev/null
    fi
    wait "$2" 2>/dev/null
    EXIT_RC=$?
    JE_PROCS=$(je_forget "$JE_PROCS" "${1:-0}:$2")
    JE_SPROCS=$(je_forget "$JE_SPROCS" "${1:-0}:$2")
}

# je_reap LIST: ends every "pid:tpid" of LIST.
je_reap() {
    for _p in $1; do je_sig TERM "${_p%%:*}" "${_p#*:}"; done
    for _p in $1; do je_end "${_p%%:*}" "${_p#*:}" 2; done
}

jack_cleanup() {
    je_reap "$JE_PROCS"
    JE_PROCS=""
    jack_stop
    je_reap "$JE_SPROCS"
    JE_SPROCS=""
    # Servers that died hard leave their sockets and semaphores behind.
    for _s in $JE_SERVERS; do
        rm -f /dev/shm/jack_"$_s"_* /dev/shm/jack_sem.*_"$_s"_* 2>/dev/null
    done
    JE_SERVERS=""
    rm -rf "$JE_TMP"
}
trap 'jack_cleanup' EXIT
trap 'jack_cleanup; trap - EXIT; exit 130' INT
trap 'jack_cleanup; trap - EXIT; exit 143' TERM
