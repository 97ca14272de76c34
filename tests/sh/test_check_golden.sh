#!/bin/sh
# flowmage check output against reviewed golden files: the text report and
# the SARIF of tests/sh/check/baseline.json vs new.json, with this directory
# as the source root (absolute /src/fw/... and ../outside/... evidence then
# lies outside it).  The root's absolute file:// URI depends on the
# checkout, so the golden file has file:///ROOT/ there.
# `make regen-golden` rewrites them after a reviewed change.
. "$(dirname "$0")/lib.sh"
cd "$FM_ROOT/tests/sh/check" || exit 1
"$FM_BIN" check --baseline baseline.json new.json --source-root . \
    --sarif "$T/raw.sarif" >"$T/out.txt"
assert_eq "$?" 1 "exit status"
assert_sarif "$T/raw.sarif"
sed 's|"uri": "file://[^"]*/"|"uri": "file:///ROOT/"|' "$T/raw.sarif" >"$T/out.sarif"
assert_eq "$(grep -c '"uri": "file://' "$T/out.sarif")" 1 "one absolute URI: the source root"
assert_golden "$T/out.txt" expected.txt "text report"
assert_golden "$T/out.sarif" expected.sarif "SARIF"
assert_sarif expected.sarif

# Every SARIF the tests write is checked: a shell test that passes --sarif
# calls assert_sarif, a unit test that renders SARIF runs fm_sarif_check.
for f in "$FM_ROOT"/tests/sh/test_*.sh; do
    grep -q -e '--sarif' "$f" || continue
    if grep -q 'assert_sarif ' "$f"; then t_ok; else t_bad "$(basename "$f") writes SARIF unchecked"; fi
done
for f in "$FM_ROOT"/tests/unit/test_*.c; do
    grep -q 'fm_check_sarif(' "$f" || continue
    if grep -q 'fm_sarif_check(' "$f"; then t_ok; else t_bad "$(basename "$f") renders SARIF unchecked"; fi
done
t_done "text report and SARIF equal the reviewed golden files, both SARIF files pass the code-scanning checks, every test that writes SARIF checks it"
