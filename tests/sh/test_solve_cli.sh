#!/bin/sh
# flowmage solve as a command: --help, usage errors, syntax errors reported
# as FILE:LINE:COL with exit 2, nothing half-written on failure, idempotence
# (solving the output again changes no byte, the rules file neither), the
# keyword-not-accepted path, --dry-run, --json and --dot.
. "$FM_ROOT/tests/sh/lib.sh"
export FLOWMAGE_DATADIR="$FM_ROOT"
S="$FM_ROOT/tests/solve"
A="$S/attrs.json"
cd "$T" || exit 1

# --help
help=$("$FM_BIN" solve --help); assert_eq "$?" 0 "--help exit status"
for opt in --attrs --output --nic --cores --dialect --rules-file --directional \
           --cost-model --profile --explain --dot --json --dry-run --quiet; do
    assert_contains "$help" "$opt" "--help mentions $opt"
done

# usage errors: exit 2 and a one-line message
expect_fail() { # expected-stderr-substring command...
    want=$1; shift
    "$@" >out.txt 2>err.txt; rc=$?
    assert_eq "$rc" 2 "exit status of: $*"
    assert_contains "$(cat err.txt)" "$want" "message of: $*"
}
cp "$S/scan16.click" chain.click
expect_fail "--attrs ATTRS.json is required" "$FM_BIN" solve chain.click
expect_fail "--cores needs an integer in 1..65535, got 'x'" "$FM_BIN" solve chain.click --attrs "$A" --cores x
expect_fail "--dialect must be flowrules or hashfunc" "$FM_BIN" solve chain.click --attrs "$A" --dialect foo
expect_fail "unknown option '--frobnicate'" "$FM_BIN" solve chain.click --attrs "$A" --frobnicate
expect_fail "missing CONFIG.click" "$FM_BIN" solve --attrs "$A"
expect_fail "no NIC profile named \"e1000\"" "$FM_BIN" solve chain.click --attrs "$A" --nic e1000
printf '{"flowmage_attrs": 1,\n "elements": [}\n' >broken.json
expect_fail "flowmage: broken.json:2:" "$FM_BIN" solve chain.click --attrs broken.json

# syntax errors: exact positions, exit 2, no output written
printf 'fd :: FromDPDKDevice(0, N_QUEUES 4);\n\nfd -> Strip(14)\n   -> ;\n' >bad1.click
expect_fail "flowmage: bad1.click:4:7: expected an element after '->'" \
    "$FM_BIN" solve bad1.click --attrs "$A"
printf 'fd :: FromDPDKDevice(0, N_QUEUES 4,\n   MODE "rss);\nfd -> Discard;\n' >bad2.click
expect_fail "flowmage: bad2.click:2:9: unterminated string" "$FM_BIN" solve bad2.click --attrs "$A"
printf 'elementclass E { $a | input -> output }\nfd :: FromDPDKDevice(0, N_QUEUES 4);\nfd -> e :: E(1, 2) -> Discard;\n' >bad3.click
expect_fail "flowmage: bad3.click:3:7: no definition of elementclass 'E' takes these 2 arguments" \
    "$FM_BIN" solve bad3.click --attrs "$A"
printf 'fd :: FromDPDKDevice(0);\nfd -> Discard;\n' >bad4.click
expect_fail "flowmage: bad4.click:1:1: cannot tell how many cores read 'fd'" \
    "$FM_BIN" solve bad4.click --attrs "$A"
assert test ! -e bad1.opt.click
assert test ! -e bad2.opt.click

# nothing half-written: a failing run leaves an existing output alone
echo "previous" >keep.click
"$FM_BIN" solve bad1.click --attrs "$A" -o keep.click 2>/dev/null
assert_eq "$(cat keep.click)" "previous" "existing output untouched on error"
assert_eq "$(ls | grep -c '\.tmp\.')" 0 "no temporary files left behind"

# default output next to the input, absolute rules path, idempotence
"$FM_BIN" solve chain.click --attrs "$A" >run1.txt; assert_eq "$?" 0 "first solve"
assert test -f chain.opt.click
assert test -f chain.opt.rules
assert_contains "$(cat chain.opt.click)" "FLOW_RULES_FILE $T/chain.opt.rules" "absolute default rules path"
assert_contains "$(cat run1.txt)" "in: src_ip; shared-nothing: scan, fc; shared: pol" "summary line"
cp chain.opt.rules rules.before
"$FM_BIN" solve chain.opt.click --attrs "$A" -o again.click >run2.txt
assert cmp -s chain.opt.click again.click
assert cmp -s chain.opt.rules rules.before
assert_contains "$(cat run2.txt)" "(0 edits: it already says this, no rules file)" \
    "second run edits nothing"
assert_contains "$(cat run2.txt)" "in: src_ip (unchanged);" "second run: setting unchanged"
assert_not_contains "$(cat run2.txt)" "rules:" "second run: no rules file written"
"$FM_BIN" solve again.click --attrs "$A" -o again.click -q
assert cmp -s chain.opt.click again.click

# the device does not accept the keywords: nothing written, reported
"$FM_BIN" solve chain.click --attrs "$S/attrs-nokw.json" -o nokw.click >nokw.txt
assert_eq "$?" 0 "keyword not accepted is not an error"
assert cmp -s chain.click nokw.click
assert_contains "$(cat nokw.txt)" "note: in: nothing will be written, its NFs stay shared: FromDPDKDevice does not accept keyword MODE" "reported"
assert_contains "$(cat nokw.txt)" "in: none; shared: scan, pol, fc" "all shared"

# --dry-run writes nothing; --json and --dot
"$FM_BIN" solve chain.click --attrs "$A" -o dry.click --dry-run --json report.json \
    --dot chain.dot -q
assert test ! -e dry.click
assert test ! -e dry.rules
assert_contains "$(cat report.json)" '"flowmage_solve_report": 1' "report version"
assert_contains "$(cat report.json)" '"decision": "shared-nothing"' "report decisions"
if command -v python3 >/dev/null 2>&1; then
    assert python3 -c "import json,sys; d=json.load(open('report.json')); sys.exit(d['devices'][0]['chosen']['fields'] != ['src_ip'])"
fi
assert_contains "$(cat chain.dot)" '"scan" [label="scan\nPortScanDetector\nkey src_ip\nshared-nothing", shape=box, style="rounded,filled", fillcolor="#a1d99b"]' "dot: shared-nothing in green"
assert_contains "$(cat chain.dot)" 'fillcolor="#fc9272"' "dot: shared in red"
"$FM_BIN" solve chain.click --attrs "$A" --dry-run --json - -q >stdout.json
assert_contains "$(head -1 stdout.json)" "{" "--json - writes to standard output"

# a cost model file that does not parse is an input error with its position
printf '{"flowmage_cost_model": 1, "tie_epsilon": }\n' >cm.json
expect_fail "flowmage: cm.json:1:" "$FM_BIN" solve chain.click --attrs "$A" --cost-model cm.json
printf '{"flowmage_cost_model": 1, "field_entropy_bits": {"src_ip": 1, "dst_ip": 1}}\n' >few.json
"$FM_BIN" solve chain.click --attrs "$A" --cost-model few.json --dry-run >few.txt
assert_contains "$(cat few.txt)" "in: src_ip,dst_ip,src_port,dst_port (unchanged);" \
    "few addresses: hash the ports too (what the NIC does already)"
assert_contains "$(cat few.txt)" "dry run: 0 edits" "few addresses: nothing to write"

t_done "help, usage and syntax errors with positions, atomic outputs, idempotence, keywords, dry run, json, dot, cost model"
