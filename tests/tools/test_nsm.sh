#!/bin/sh
# test_nsm.sh: specmorphd under a session manager: a fake NSM server
# (nsm_fake.py, python3-liblo) announces/opens/saves against the daemon on
# a private JACK dummy server, checks the session file, the JACK name from
# the client id, dirty/clean reports and that a reopened session restores
# the saved state.
set -u
B="${SM_BUILD:-build/release}"
. "$(dirname "$0")/jackenv.sh"
if ! /usr/bin/python3 -c "import liblo" 2>/dev/null; then
    echo "test_nsm: python3-liblo missing (apt-get install python3-liblo)"
    exit 1
fi
jack_start 256 || exit 1
port=$(( 20000 + $$ % 20000 ))
timeout 120 /usr/bin/python3 "$(dirname "$0")/nsm_fake.py" "$B/specmorphd" \
    "$JACK_SERVER" "$JE_TMP" "$port"
rc=$?
jack_stop
jack_cleanup
[ $rc = 0 ] && echo "test_nsm: passed" || echo "test_nsm: FAILED (rc $rc)"
exit $rc
