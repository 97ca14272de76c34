#!/bin/sh
# The test runner itself (tests/run.sh), fed fake tests in a fake tree: a
# test passes only when it exits 0 with its verdict line; one that exits 0
# without it fails; SKIP is counted apart; a failure reports the test's own
# exit status; each test's output is one block, in list order, also when
# several run at once (-j); the closing line counts all three.
# FM_RUNNER=path runs these checks against another runner.
. "$FM_ROOT/tests/sh/lib.sh"
runner=${FM_RUNNER:-$FM_ROOT/tests/run.sh}
fb=$T/build fr=$T/root
mkdir -p "$fb/tests" "$fr/tests/sh"

unit() { # name exit-status line... : a fake unit test binary
    n=$1 rc=$2; shift 2
    { echo '#!/bin/sh'; for l; do printf "echo '%s'\n" "$l"; done; echo "exit $rc"; } >"$fb/tests/$n"
    chmod +x "$fb/tests/$n"
}
unit test_good 0 "note test_good: a note" "PASS test_good: 3 checks (fine)"
unit test_noverdict 0 "it ran, and said nothing"
unit test_skipped 0 "SKIP test_skipped: no clang here"
unit test_crash 3 "FAIL test_crash: something" "more output"
unit test_wrongname 0 "PASS test_other: 2 checks (not its own)"
unit test_passlate 1 "PASS test_passlate: 1 checks (then died)"
# a slow shell test whose lines must stay together while the others run
cat >"$fr/tests/sh/test_slow.sh" <<'EOF'
for i in 1 2 3 4; do echo "slow line $i"; sleep 0.2; done
echo "PASS test_slow: 4 checks (slow)"
exit 1
EOF
# the same lines from a quick shell test, printed while test_slow sleeps
cat >"$fr/tests/sh/test_quick.sh" <<'EOF'
echo "quick line"; echo "FAIL test_quick: on purpose"; exit 5
EOF

run() { # args...: the runner on the fake tree; output in out.txt, status in $rc
    FM_BUILD=$fb FM_ROOT=$fr sh "$runner" "$@" >"$T/out.txt" 2>&1
    rc=$?
    out=$(cat "$T/out.txt")
}

order() { # the tests in the order of their blocks' closing lines
    grep -oE '^FAIL test_[a-z]+ \(|^PASS test_good:|^SKIP test_skipped:' "$T/out.txt" |
        sed -E 's/^[A-Z]+ //; s/[ :(]+$//' | tr '\n' ' '
}
all="test_crash test_good test_noverdict test_passlate test_skipped test_wrongname test_quick test_slow "

run
assert_eq "$rc" 1 "a run with failures fails"
assert_contains "$out" "tests: 1 passed, 6 failed, 1 skipped" "the closing line counts skips apart"
assert_contains "$out" "PASS test_good: 3 checks (fine)" "the verdict of a passing test"
assert_contains "$out" "note test_good: a note" "its notes"
assert_contains "$out" "FAIL test_noverdict (exit status 0 without its verdict line" \
    "exit 0 without a verdict line fails"
assert_contains "$out" "it ran, and said nothing" "its output is shown"
assert_contains "$out" "SKIP test_skipped: no clang here" "the SKIP line is shown"
assert_not_contains "$out" "FAIL test_skipped" "a skip is no failure"
assert_contains "$out" "FAIL test_crash (exit status 3)" "the test's own exit status"
assert_contains "$out" "FAIL test_wrongname (exit status 0 without" "another test's verdict is not its own"
assert_contains "$out" "FAIL test_passlate (exit status 1)" "a verdict then a failing exit fails"
assert_contains "$out" "FAIL test_quick (exit status 5)" "shell tests too"
assert_contains "$out" "failed: test_crash test_noverdict test_passlate test_wrongname test_quick test_slow" \
    "the failed list, in order"
assert_eq "$(order)" "$all" "blocks in list order (unit tests, then shell tests)"
serial=$out

# four at a time: the same output, each test's lines one block
run -j 4
assert_eq "$rc" 1 "-j 4: a run with failures fails"
assert_eq "$out" "$serial" "-j 4 prints what a serial run prints"
slow=$(grep -n 'slow line\|FAIL test_slow (' "$T/out.txt" | cut -d: -f1 | tr '\n' ' ')
first=${slow%% *}
assert_eq "$slow" "$first $((first + 1)) $((first + 2)) $((first + 3)) $((first + 5)) " \
    "test_slow's output is one block"
assert_eq "$(order)" "$all" "-j 4: blocks in list order"

run good
assert_eq "$rc" 0 "a passing selection passes"
assert_eq "$(tail -1 "$T/out.txt")" "tests: 1 passed, 0 failed" "no skip: no skip count"
run skipped
assert_eq "$rc" 0 "a skip alone passes"
assert_eq "$(tail -1 "$T/out.txt")" "tests: 0 passed, 0 failed, 1 skipped" "a skip alone is counted"
run nosuchtest
assert_eq "$rc" 1 "a filter that matches nothing fails"
assert_contains "$out" "no test matches 'nosuchtest'" "and says so"

t_done "verdict line required, SKIP counted apart, the test's own exit status, one block per test in list order under -j, closing line"
