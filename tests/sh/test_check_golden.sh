#!/bin/sh
# flowmage check output against reviewed golden files: the text report and
# the SARIF (with --source-root) of tests/sh/check/baseline.json vs new.json.
# `make regen-golden` rewrites them after a reviewed change.
. "$(dirname "$0")/lib.sh"
cd "$FM_ROOT/tests/sh/check" || exit 1
"$FM_BIN" check --baseline baseline.json new.json --source-root /src/fw \
    --sarif "$T/out.sarif" >"$T/out.txt"
assert_eq "$?" 1 "exit status"
assert_golden "$T/out.txt" expected.txt "text report"
assert_golden "$T/out.sarif" expected.sarif "SARIF"
t_done "text report and SARIF equal the reviewed golden files"
