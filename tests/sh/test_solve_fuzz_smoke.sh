#!/bin/sh
# A short, bounded run of the Click parser fuzzer (tests/fuzz/run.sh): 20000
# inputs or 10 seconds, whichever comes first, under ASan and UBSan, with the
# harness's position checks.  Prints SKIP when clang's libFuzzer runtime is
# missing.  `make fuzz FUZZ_TIME=...` runs it for longer.
. "$FM_ROOT/tests/sh/lib.sh"
out=$(FM_BUILD="$FM_BUILD" CLANG="${CLANG:-clang}" FUZZ_TIME=10 FUZZ_RUNS=20000 \
      sh "$FM_ROOT/tests/fuzz/run.sh" 2>&1)
rc=$?
case "$out" in
SKIP*) echo "$out"; exit 0 ;;
esac
echo "$out" | tail -1
assert_eq "$rc" 0 "fuzzer exit status"
assert_contains "$out" "no crash" "fuzzer verdict"
t_done "bounded libFuzzer run of the Click parser (ASan+UBSan, position invariants)"
