#!/bin/sh
# flowmage check, the command: exit codes 0/1/2 on crafted attribute pairs
# (tests/sh/check/), --fail-on, --json, --sarif written atomically (and not
# at all on failure), one-line errors for bad input, and byte-identical
# output across runs.  The text and SARIF themselves: test_check_golden.sh.
. "$(dirname "$0")/lib.sh"
C="$FM_ROOT/tests/sh/check"
cd "$FM_ROOT" || exit 1   # the default source root, which holds the baselines

"$FM_BIN" check --help >"$T/help"
assert_eq "$?" 0 "--help exit status"
assert_contains "$(cat "$T/help")" "--fail-on CLASSES" "--help lists --fail-on"

# a file against itself: the baseline's own ambiguity was accepted -> 0
"$FM_BIN" check --baseline "$C/baseline.json" "$C/baseline.json" >"$T/same"
assert_eq "$?" 0 "baseline vs itself"
assert_contains "$(cat "$T/same")" "nothing needs a human: exit 0" "verdict line"
assert_contains "$(cat "$T/same")" "(already in the baseline)" "accepted ambiguity still listed"

# one change of every class -> 1
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" --sarif "$T/out.sarif" >"$T/text"
assert_eq "$?" 1 "baseline vs new"
out=$(cat "$T/text")
for w in "new       RateLimiter" "removed   OldThing" "key changed from {src_ip,dst_ip,src_port,dst_port} to {src_ip,dst_ip}" \
         "intensity changed from per-packet to per-flow" "symmetric changed from yes to no" \
         "pointer chasing changed from no to yes" "stateful changed from no to yes" \
         "key kind changed from flow_manager to fields {src_ip}" "global state changed from no to yes" \
         "role changed from flow_manager to nf" "LLM disagree on key" "state reached through a virtual call" \
         "its key is unknown"; do
    assert_contains "$out" "$w" "finding"
done
assert [ -s "$T/out.sarif" ]
assert_sarif "$T/out.sarif"
assert_eq "$(ls -A "$T" | grep -c '^\.\|tmp')" 0 "no temporary file left next to the SARIF"
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" --sarif "$T/out2.sarif" >"$T/text2"
assert cmp -s "$T/out.sarif" "$T/out2.sarif"
assert cmp -s "$T/text" "$T/text2"

# --fail-on
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" --fail-on none >/dev/null
assert_eq "$?" 0 "--fail-on none"
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" --fail-on removed >/dev/null
assert_eq "$?" 1 "--fail-on removed (OldThing is gone)"
"$FM_BIN" check --baseline "$C/new.json" "$C/new.json" --fail-on all >/dev/null
assert_eq "$?" 0 "--fail-on all, no difference"
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" --fail-on new,chaned 2>"$T/err" >/dev/null
assert_eq "$?" 2 "--fail-on with a typo"
assert_contains "$(cat "$T/err")" '"chaned"' "the typo is named"

# --json to stdout
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" --json >"$T/j"
assert_eq "$?" 1 "--json exit status"
assert_contains "$(cat "$T/j")" '"needs_human": true' "--json verdict"
assert_contains "$(cat "$T/j")" '"flowmage_check": 1' "--json version"
# --sarif - to stdout
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" --sarif - >"$T/s"
assert cmp -s "$T/s" "$T/out.sarif"
assert_sarif "$T/s"

# SARIF locations: --source-root, --build-dir, --summaries
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" --source-root "$T" --sarif "$T/x.sarif" \
    >/dev/null 2>"$T/err"
assert_eq "$?" 2 "baseline outside the source root"
assert_contains "$(cat "$T/err")" "not under the source root" "says why"
assert [ ! -e "$T/x.sarif" ]
mkdir -p "$T/repo/ci" "$T/repo/userlevel" "$T/repo/elements"
cp "$C/baseline.json" "$T/repo/ci/base.json"
sed 's|"file": "nfs/flowcounter.cc"|"file": "../elements/flowcounter.cc"|' "$C/new.json" >"$T/repo/new.json"
: >"$T/repo/elements/flowcounter.cc"
(cd "$T/repo" && "$FM_BIN" check --baseline ci/base.json new.json --build-dir userlevel \
    --sarif out.sarif >/dev/null)
assert_eq "$?" 1 "--build-dir"
assert_contains "$(cat "$T/repo/out.sarif")" '"uri": "elements/flowcounter.cc"' "relative to the build dir"
assert_contains "$(cat "$T/repo/out.sarif")" '"uri": "ci/base.json"' "removed NF at its baseline entry"
assert_sarif "$T/repo/out.sarif"
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" --summaries "$T/nosuch" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "unreadable --summaries"
assert_contains "$(cat "$T/err")" "$T/nosuch" "names the summaries"

# bad input -> 2, one line naming the file, nothing written
printf '{"flowmage_attrs": 1, "elements": [\n  {"name": "X",,}\n]}\n' >"$T/broken.json"
"$FM_BIN" check --baseline "$C/baseline.json" "$T/broken.json" --sarif "$T/no.sarif" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "invalid JSON"
assert_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "one-line error"
assert_contains "$(cat "$T/err")" "flowmage: $T/broken.json:2:" "error names file:line"
assert [ ! -e "$T/no.sarif" ]
"$FM_BIN" check --baseline "$T/missing.json" "$C/new.json" 2>"$T/err" >/dev/null
assert_eq "$?" 2 "missing baseline file"
assert_contains "$(cat "$T/err")" "$T/missing.json" "error names the missing file"
echo '{"something": "else"}' >"$T/other.json"
"$FM_BIN" check --baseline "$C/baseline.json" "$T/other.json" 2>"$T/err" >/dev/null
assert_eq "$?" 2 "not an attributes file"
assert_contains "$(cat "$T/err")" "flowmage_attrs" "says what is missing"
"$FM_BIN" check "$C/new.json" 2>/dev/null
assert_eq "$?" 2 "no --baseline"
"$FM_BIN" check --baseline "$C/baseline.json" 2>/dev/null
assert_eq "$?" 2 "no new attributes"
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" "$C/new.json" 2>/dev/null
assert_eq "$?" 2 "two new attributes"
"$FM_BIN" check --baseline "$C/baseline.json" "$C/new.json" --sarif "$T/nodir/x.sarif" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "SARIF into a missing directory"
assert_contains "$(cat "$T/err")" "$T/nodir/x.sarif" "error names the SARIF path"

t_done "exit 0/1/2 on crafted pairs, every change class in the text, --fail-on, --json, --sarif (atomic, '-', deterministic, code-scanning checks), --source-root, --build-dir, --summaries, one-line input errors"
