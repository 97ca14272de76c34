#!/bin/sh
# Run every flowmage test: the C unit tests built into $FM_BUILD/tests/ and
# the shell tests tests/sh/test_*.sh.  Optional argument: a substring that
# selects tests by name.  Each test prints PASS/FAIL lines saying what it
# checked; this script prints a total and fails if any test failed.
set -u
: "${FM_BUILD:?FM_BUILD must point at a build directory}"
: "${FM_ROOT:?FM_ROOT must point at the source tree}"
export FM_BUILD FM_ROOT
export FM_BIN="$FM_BUILD/flowmage" FM_PLUGIN="$FM_BUILD/flowmage.so"
# profiles and other data files come from the source tree under test
export FLOWMAGE_DATADIR="$FM_ROOT"
filter="${1:-}"
# ASan inside tests: leaks are bugs too; abort on the first error.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

pass=0 fail=0 failed=""
run_one() { # name command...
    name=$1; shift
    case "$name" in *"$filter"*) ;; *) return 0 ;; esac
    out=$(mktemp)
    if "$@" >"$out" 2>&1; then
        pass=$((pass + 1))
        grep -E '^(PASS|SKIP|note)' "$out" || echo "PASS $name"
    else
        fail=$((fail + 1))
        failed="$failed $name"
        cat "$out"
        echo "FAIL $name (exit status $?)"
    fi
    rm -f "$out"
}

for t in "$FM_BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "$(basename "$t")" "$t"
done
for t in "$FM_ROOT"/tests/sh/test_*.sh; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t" .sh)" sh "$t"
done

echo "----"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
