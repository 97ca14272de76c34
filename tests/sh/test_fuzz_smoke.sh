#!/bin/sh
# A short, bounded run of every fuzz harness (tests/fuzz/run.sh): the
# regression inputs (tests/fuzz/regress: the out-of-range numbers of issue
# 12 that were undefined float-to-integer casts), the seeds, then 3000 new
# inputs or 3 seconds per harness, under ASan and UBSan (float-cast-overflow
# included), with each harness's own checks (located errors, round trips).
# Prints SKIP when clang's libFuzzer runtime is missing.  `make fuzz`
# runs them for longer (FUZZ_TIME seconds each).
. "$FM_ROOT/tests/sh/lib.sh"
out=$(FM_BUILD="$FM_BUILD" CLANG="${CLANG:-clang}" FUZZ_TIME=3 FUZZ_RUNS=3000 \
      sh "$FM_ROOT/tests/fuzz/run.sh" 2>&1)
rc=$?
case "$out" in
SKIP*) echo "$out"; exit 0 ;;
esac
echo "$out" | sed -n 's/^fuzz /note fuzz /p'
assert_eq "$rc" 0 "fuzz harnesses exit status"
for n in click attrs summary nic cost profile section pcap synth; do
    assert_contains "$out" "fuzz $n: " "harness $n ran"
    assert_not_contains "$out" "FAIL fuzz $n" "harness $n found nothing"
done
# each harness on its regression inputs alone (libFuzzer runs every file
# given once): no crash, and every one of them executed
for n in attrs summary nic cost profile; do
    k=$(ls "$FM_ROOT/tests/fuzz/regress/$n" | wc -l)
    assert test "$k" -gt 0
    log=$("$FM_BUILD/fuzz/$n/fuzz_$n" "$FM_ROOT/tests/fuzz/regress/$n"/* 2>&1)
    assert_eq "$?" 0 "harness $n on its regression inputs"
    assert_eq "$(echo "$log" | grep -c '^Running: ')" "$k" "harness $n ran its $k regression inputs"
done
[ "$rc" -eq 0 ] || echo "$out" | tail -40 >&2
t_done "every reader's fuzz harness (Click, attrs, summary, NIC, cost model, profile, section, pcap, synthetic spec) on its regression inputs, seeds and 3000 new inputs, ASan+UBSan"
