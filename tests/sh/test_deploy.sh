#!/bin/sh
# flowmage deploy: one command from a build (the fixture NFs compiled with
# the plugin) to a configuration.  Checks: the happy path writes the
# configuration, the rules and the work directory (summaries/, attrs.json,
# solve.json); the result is byte-identical to running summarize, analyze
# and solve by hand; deploying the output again changes nothing; bad input
# (configuration syntax, a build without facts, a missing file, usage)
# exits 2 with a precise message and writes nothing; an unreachable LLM
# endpoint exits 3 and writes nothing; --dry-run, --work, --json, --dot;
# --help and the man page list every option.
. "$FM_ROOT/tests/sh/lib.sh"
export FLOWMAGE_DATADIR="$FM_ROOT"
unset OPENAI_BASE_URL OPENAI_API_KEY
O2="$FM_BUILD/fixtures/O2"
cd "$T" || exit 1

cat >chain.click <<'EOF'
// fixture NFs: a scan detector (src_ip), a policer (dst_ip), a flow
// manager (5-tuple) and a counter in its flow space, 8 queues
define($q 8)
in :: FromDPDKDevice(0, N_QUEUES $q);
in -> ttl :: TTLDecrementer
   -> scan :: PortScanDetector(THRESHOLD 20)
   -> pol :: Policer(RATE 1000)
   -> fm :: FlowManagerLike
   -> cnt :: FlowPacketCounter
   -> ToDPDKDevice(0);
EOF
cp chain.click orig.click

# ---- happy path: an archive as the build, defaults for -o and --work ----
"$FM_BIN" deploy --build "$O2/libnfs.a" --config chain.click >out.txt 2>err.txt
assert_eq "$?" 0 "deploy exit status"
out=$(cat out.txt) err=$(cat err.txt)
assert test -f chain.opt.click
assert test -f chain.opt.rules
assert_eq "$(cat chain.click)" "$(cat orig.click)" "the input is not modified"
assert_contains "$(sed -n 4p chain.opt.click)" \
    "in :: FromDPDKDevice(0, N_QUEUES \$q, MODE flow, FLOW_RULES_FILE $T/chain.opt.rules);" \
    "device line rewritten"
assert_eq "$(diff chain.click chain.opt.click | grep -c '^[<>]')" 2 "one line changed"
assert_contains "$(cat chain.opt.rules)" "actions rss types ipv4 l3-dst-only end queues 0 1 2 3 4 5 6 7 end" \
    "rules hash the destination over 8 queues"
assert_contains "$out" "in: dst_ip; shared-nothing: pol, fm, cnt; shared: scan" "decision line"
assert_contains "$out" "wrote chain.opt.click (2 edits), rules: $T/chain.opt.rules" "what was written"
assert_contains "$out" "work: .flowmage (summaries/, attrs.json, solve.json)" "work directory named"
# the stage line counts what the reviewed expectations hold: the fixtures'
# elements and devices the fastclick profile finds (not the plain-C dpdk/ NFs)
set -- $(awk '
    /^  "elements": \[/ { sec = 1; next }
    /^  "devices": \[/  { sec = 2; next }
    /^  \]/             { sec = 0; next }
    sec == 1 && /^      "file":/     { c = ($0 !~ /"dpdk\//) }
    sec == 1 && /^      "stateful":/ { if (c) { n++; s += ($0 ~ /true/) } }
    sec == 2 && /"name":/            { n++; s += ($0 ~ /"stateful": true/) }
    END { print n + 0, s + 0 }' "$FM_ROOT/tests/fixtures/expected.json")
assert test "$1" -ge 31
assert_contains "$err" "flowmage: deploy: summarize: $1 elements ($2 stateful)" \
    "summarize stage line"
assert_contains "$err" "flowmage: deploy: analyze: static attributes (no --endpoint)" "analyze is static"
assert_contains "$err" "flowmage: deploy: solve: 1 device, 2 edits" "solve stage line"

# the work directory
assert test -f .flowmage/summaries/index.json
assert test -f .flowmage/summaries/PortScanDetector.json
assert test -f .flowmage/summaries/FromDPDKDevice.json
assert_contains "$(cat .flowmage/attrs.json)" '"flowmage_attrs": 1' "attrs.json written"
assert_contains "$(cat .flowmage/attrs.json)" '"provenance": "static"' "attrs are static"
assert_contains "$(cat .flowmage/solve.json)" '"flowmage_solve_report": 1' "solve.json written"
assert_contains "$(cat .flowmage/solve.json)" '"output": "chain.opt.click"' "report names the output"
assert_eq "$(find . -name '*.tmp*' | wc -l)" 0 "no temporary files left"

# ---- the same as the three stages by hand ----
mkdir hand
"$FM_BIN" summarize "$O2/libnfs.a" -o hand/sums -q
"$FM_BIN" analyze hand/sums -o hand/attrs.json
"$FM_BIN" solve chain.click --attrs hand/attrs.json -o hand/out.click \
    --rules-file "$T/hand/out.rules" -q
assert diff -r hand/sums .flowmage/summaries
assert cmp hand/attrs.json .flowmage/attrs.json
assert cmp hand/out.rules chain.opt.rules
assert_eq "$(sed "s|$T/hand/out.rules|$T/chain.opt.rules|" hand/out.click)" "$(cat chain.opt.click)" \
    "configuration equals summarize + analyze + solve"

# ---- idempotence: deploying the output again changes nothing ----
cp chain.opt.click first.click
cp chain.opt.rules first.rules
"$FM_BIN" deploy --build "$O2/libnfs.a" --config chain.opt.click -o chain.opt.click >again.txt 2>&1
assert_eq "$?" 0 "second deploy"
assert cmp first.click chain.opt.click
assert cmp first.rules chain.opt.rules
assert_contains "$(cat again.txt)" "wrote chain.opt.click (0 edits: it already says this, no rules file)" \
    "no edit the second time"
assert_contains "$(cat again.txt)" "in: dst_ip (unchanged);" "the setting it has already"
# ... from the linked binary too (its .flowmage section), into another file
"$FM_BIN" deploy --build "$O2/nfs-bin" --config chain.opt.click -o third.click -q
assert_eq "$?" 0 "deploy from the linked binary"
assert cmp first.click third.click

# ---- --work, --dry-run, --json, --dot ----
mkdir sub
"$FM_BIN" deploy --build "$O2/libnfs.a" --config chain.click -o sub/x.click --dry-run \
    --json report.json --dot chain.dot >dry.txt 2>&1
assert_eq "$?" 0 "dry run"
assert test ! -e sub/x.click
assert test ! -e sub/x.rules
assert test -f sub/.flowmage/attrs.json
assert_contains "$(cat dry.txt)" "dry run: 2 edits not written" "dry run says so"
assert_contains "$(cat report.json)" '"flowmage_solve_report": 1' "--json report"
assert_contains "$(cat chain.dot)" "digraph" "--dot file"
"$FM_BIN" deploy --build "$O2" --config chain.click -o sub/y.click --work "$T/w" -q --explain >expl.txt
assert_eq "$?" 0 "--work elsewhere (and a directory as the build)"
assert test -f w/summaries/index.json
assert test -f w/attrs.json
assert test -f w/solve.json
assert test -f sub/y.click
assert_contains "$(cat expl.txt)" "chosen: dst_ip" "--explain prints the choice"
assert test -n "$(grep -E '^  scan +PortScanDetector +src_ip +per-packet +yes .* shared +in hashes dst_ip' expl.txt)"
assert test -n "$(grep -E '^  cnt +FlowPacketCounter +5-tuple via fm .* shared-nothing' expl.txt)"
assert_eq "$(sed -n '/^  chosen/p' expl.txt | wc -l)" 1 "-q: only the explanation on stdout"
assert_not_contains "$(cat expl.txt)" "wrote " "-q: no summary"
# a device class that does not accept the dialect's keyword: left alone,
# reported, and that is a result (exit 0), not an error
"$FM_BIN" deploy --build "$O2/libnfs.a" --config chain.click -o sub/z.click \
    --dialect hashfunc >hf.txt 2>&1
assert_eq "$?" 0 "hashfunc on a class without HASHFUNC"
assert cmp chain.click sub/z.click
assert_contains "$(cat hf.txt)" "in: none; shared: scan, pol, fm, cnt" "every NF stays shared"
assert_contains "$(cat hf.txt)" "FromDPDKDevice does not accept keyword HASHFUNC" "and why"

# ---- errors: exit 2, one line, nothing written ----
expect_fail() { # exit-status expected-stderr-substring command...
    want_rc=$1 want=$2; shift 2
    "$@" >o.txt 2>e.txt; rc=$?
    assert_eq "$rc" "$want_rc" "exit status of: $*"
    assert_contains "$(cat e.txt)" "$want" "message of: $*"
    assert_eq "$(wc -l <e.txt | tr -d ' ')" 1 "one line of error for: $*"
}
rm -rf nothing && mkdir nothing && cd nothing || exit 1
printf 'in :: FromDPDKDevice(0, N_QUEUES 4);\n\nin -> scan :: PortScanDetector(THRESHOLD 2\n   -> Discard;\n' >bad.click
expect_fail 2 "flowmage: bad.click:3:31: missing ')': this '(' is never closed" \
    "$FM_BIN" deploy --build "$O2/libnfs.a" --config bad.click
printf 'in :: FromDPDKDevice(0, N_QUEUES 4);\nin -> -> Discard;\n' >bad2.click
expect_fail 2 "flowmage: bad2.click:2:7: expected an element, got '->'" \
    "$FM_BIN" deploy --build "$O2/libnfs.a" --config bad2.click
expect_fail 2 "flowmage: nosuch.click: cannot open" \
    "$FM_BIN" deploy --build "$O2/libnfs.a" --config nosuch.click
expect_fail 2 "flowmage: $T/none.o: No such file or directory" \
    "$FM_BIN" deploy --build "$T/none.o" --config ../chain.click -o out.click
printf 'int main(void) { return 0; }\n' >plain.c
gcc -c plain.c -o plain.o
expect_fail 2 "no flowmage facts in the build" \
    "$FM_BIN" deploy --build plain.o --config ../chain.click -o out.click
assert_contains "$(cat e.txt)" "-fplugin=flowmage" "the hint names the plugin"
expect_fail 2 "--config CHAIN.click is required" "$FM_BIN" deploy --build "$O2/libnfs.a"
expect_fail 2 "no build given" "$FM_BIN" deploy --config ../chain.click
expect_fail 2 "--cores needs an integer in 1..65535, got 'x'" \
    "$FM_BIN" deploy --build "$O2/libnfs.a" --config ../chain.click --cores x
expect_fail 2 "--dialect must be flowrules or hashfunc" \
    "$FM_BIN" deploy --build "$O2/libnfs.a" --config ../chain.click --dialect rss
expect_fail 2 "unknown option '--frobnicate'" \
    "$FM_BIN" deploy --build "$O2/libnfs.a" --config ../chain.click --frobnicate
expect_fail 2 "no NIC profile named \"e1000\"" \
    "$FM_BIN" deploy --build "$O2/libnfs.a" --config ../chain.click -o out.click --nic e1000
expect_fail 2 "profiles/nosuch.json: no profile named \"nosuch\"" \
    "$FM_BIN" deploy --build "$O2/libnfs.a" --config ../chain.click -o out.click --profile nosuch
# the environment: an endpoint that refuses connections
expect_fail 3 "flowmage: endpoint http://127.0.0.1:9/v1:" \
    "$FM_BIN" deploy --build "$O2/libnfs.a" --config ../chain.click -o out.click \
    --endpoint http://127.0.0.1:9/v1 --retries 0 --no-cache
assert_eq "$(ls -A | sort | tr '\n' ' ')" "bad.click bad2.click e.txt o.txt plain.c plain.o " \
    "failed runs wrote nothing (no output, no rules, no .flowmage)"
# a failure keeps an existing output and work directory as they were
cd "$T" || exit 1
echo previous >keep.click
mkdir -p keepwork && echo old >keepwork/attrs.json
"$FM_BIN" deploy --build "$O2/libnfs.a" --config nothing/bad.click -o keep.click \
    --work keepwork 2>/dev/null
assert_eq "$?" 2 "bad configuration, existing output"
assert_eq "$(cat keep.click)" "previous" "existing output untouched"
assert_eq "$(cat keepwork/attrs.json)" "old" "existing work directory untouched"

# ---- --help and the man page ----
help=$("$FM_BIN" deploy --help); assert_eq "$?" 0 "--help exit status"
opts=$(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z-]+' | sort -u)
for o in --build --config --output --work --profile --endpoint --model --samples \
         --nic --cores --dialect --rules-file --explain --dot --json --dry-run --quiet; do
    assert_contains "$opts" "$o" "--help lists $o"
done
man=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$FM_ROOT/docs/flowmage.1")
for o in $opts; do
    assert_contains "$man" "$o" "the man page documents deploy's $o"
done

t_done "happy path, work directory, equal to the stages by hand, idempotence, binary input, --work/--dry-run/--json/--dot/--explain, errors with positions and exit codes, nothing written on failure, help and man page"
