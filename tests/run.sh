#!/bin/sh
# Run every flowmage test: the C unit tests built into $FM_BUILD/tests/ and
# the shell tests tests/sh/test_*.sh.
#
#   sh tests/run.sh [-j N] [FILTER]
#
# FILTER, a substring, selects tests by name; -j N runs N tests at a time.
# Each test's output is captured and printed as one block, in the order the
# tests are listed, whatever order they finish in, so parallel runs read like
# serial ones.  A test passes when it exits 0 and prints its verdict line
# `PASS NAME: N checks (...)` (tests/unit/check.h, tests/sh/lib.sh); it is
# skipped when it exits 0 with a `SKIP ...` line instead; anything else fails
# (a test that exits 0 without its verdict may have stopped half-way), with
# the test's own exit status.  Ends with `tests: N passed, N failed` (and
# `, N skipped` when some were) and fails if any test failed or none matched.
set -u

# One test, run by xargs below: its output to DIR/NAME.out, then its exit
# status to DIR/NAME.rc (renamed into place: the file appears complete).
if [ "${1:-}" = --one ]; then
    dir=$2 path=$3
    name=$(basename "$path" .sh)
    case "$path" in
    *.sh) sh "$path" >"$dir/$name.out" 2>&1 ;;
    *) "$path" >"$dir/$name.out" 2>&1 ;;
    esac
    echo $? >"$dir/$name.rc.tmp" && mv "$dir/$name.rc.tmp" "$dir/$name.rc"
    exit 0
fi

jobs=1
while getopts j: opt; do
    case $opt in
    j) jobs=$OPTARG ;;
    *) echo "usage: sh tests/run.sh [-j N] [FILTER]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
case "$jobs" in '' | *[!0-9]* | 0) echo "tests/run.sh: -j needs a count, got '$jobs'" >&2; exit 2 ;; esac
filter="${1:-}"

: "${FM_BUILD:?FM_BUILD must point at a build directory}"
: "${FM_ROOT:?FM_ROOT must point at the source tree}"
export FM_BUILD FM_ROOT
export FM_BIN="$FM_BUILD/flowmage" FM_PLUGIN="$FM_BUILD/flowmage.so"
# profiles and other data files come from the source tree under test
export FLOWMAGE_DATADIR="$FM_ROOT"
# ASan inside tests: leaks are bugs too; abort on the first error.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

work=$(mktemp -d "${TMPDIR:-/tmp}/fm-run.XXXXXX")
xargs_pid=""
cleanup() {
    [ -n "$xargs_pid" ] && kill "$xargs_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The selected tests, one path a line, unit tests first.
for t in "$FM_BUILD"/tests/test_* "$FM_ROOT"/tests/sh/test_*.sh; do
    case "$t" in
    *.sh) [ -f "$t" ] || continue ;;
    *.d | *.o) continue ;;
    *) [ -f "$t" ] && [ -x "$t" ] || continue ;;
    esac
    case "$(basename "$t" .sh)" in *"$filter"*) echo "$t" ;; esac
done >"$work/list"

if [ ! -s "$work/list" ]; then
    echo "tests/run.sh: no test matches '$filter'" >&2
    exit 1
fi

xargs -d '\n' -n 1 -P "$jobs" sh "$0" --one "$work" <"$work/list" &
xargs_pid=$!

pass=0 fail=0 skip=0 failed=""
while IFS= read -r t; do
    name=$(basename "$t" .sh)
    while [ ! -f "$work/$name.rc" ]; do
        if ! kill -0 "$xargs_pid" 2>/dev/null && [ ! -f "$work/$name.rc" ]; then
            echo "tests/run.sh: $name was never run" >>"$work/$name.out"
            echo 127 >"$work/$name.rc"
        fi
        sleep 0.1
    done
    rc=$(cat "$work/$name.rc")
    out="$work/$name.out"
    if [ "$rc" -ne 0 ]; then
        why="exit status $rc"
    elif grep -Eq "^PASS $name: [0-9]+ checks" "$out"; then
        pass=$((pass + 1))
        grep -E '^(PASS|SKIP|note)' "$out"
        continue
    elif grep -q '^SKIP ' "$out"; then
        skip=$((skip + 1))
        grep -E '^(SKIP|note)' "$out"
        continue
    else
        why="exit status 0 without its verdict line 'PASS $name: N checks'"
    fi
    fail=$((fail + 1))
    failed="$failed $name"
    cat "$out"
    echo "FAIL $name ($why)"
done <"$work/list"
wait "$xargs_pid" 2>/dev/null
xargs_pid=""

echo "----"
if [ "$skip" -gt 0 ]; then
    echo "tests: $pass passed, $fail failed, $skip skipped"
else
    echo "tests: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
