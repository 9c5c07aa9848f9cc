#!/bin/sh
# run.sh: runs each test program or script given, prints its output, and
# closes with one "N passed, N failed" line (exit 1 if any failed).
# Shell tests find the built tools through $SM_BUILD.
pass=0
fail=0
failed=""
for t in "$@"; do
    echo "== $t"
    case "$t" in
        *.sh) timeout 900 sh "$t" ;;
        *) timeout 900 "$t" ;;
    esac
    rc=$?
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        failed="$failed $t(rc=$rc)"
    fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "check: $pass passed, $fail failed"
[ $fail -eq 0 ]
