#!/bin/sh
# The demo (examples/demo.sh, what `make demo` runs), in a temporary
# directory: it must succeed offline and print a real result — the device
# line of the configuration changed in the diff, the flow rules, the
# explanation table with each example NF's decision, and a simulation with
# per-core loads for the chosen and the default setting — without writing
# into the source tree.
. "$FM_ROOT/tests/sh/lib.sh"
cd "$T" || exit 1

sum_examples() { find "$FM_ROOT/examples" -type f -exec cksum {} + | sort; }
before=$(sum_examples)

start=$(date +%s)
# no network needed: an endpoint in the environment must not be used
FM_DEMO_DIR="$T/demo" OPENAI_BASE_URL=http://127.0.0.1:9/v1 \
    sh "$FM_ROOT/examples/demo.sh" >out.txt 2>err.txt
rc=$?
end=$(date +%s)
assert_eq "$rc" 0 "demo exit status"
[ "$rc" = 0 ] || { cat err.txt >&2; tail -40 out.txt >&2; }
out=$(cat out.txt)

# the five sections, in order
assert_eq "$(grep -c '^==> [1-5]/5 ' out.txt)" 5 "five section headers"
assert_eq "$(grep '^==> ' out.txt | cut -c5-7 | tr -d '\n')" "1/52/53/54/55/5" "sections in order"

# 1: the objects carry facts (deploy below would fail otherwise)
assert_contains "$out" "12 objects, each carrying a .flowmage section" "objects compiled"
assert test -f "$T/demo/obj/scanwatch.o"

# 2: deploy's stage lines and decision
assert_contains "$out" "flowmage: deploy: summarize: 12 elements (4 stateful)" "summarize stage"
assert_contains "$out" "flowmage: deploy: analyze: static attributes (no --endpoint)" "analyze is static"
assert_contains "$out" "in: src_ip; shared-nothing: scan, flows, bytes; shared: police" "decision line"
assert test -f "$T/demo/.flowmage/attrs.json"
assert test -f "$T/demo/.flowmage/summaries/ScanWatch.json"
assert test -f "$T/demo/.flowmage/solve.json"

# 3: the diff changes the device line and nothing else
diff=$(sed -n '/^==> 3\/5/,/^==> 4\/5/p' out.txt)
assert_contains "$diff" "--- examples/chain.click" "diff header"
assert_contains "$diff" "-in :: FromDPDKDevice(\$port, N_QUEUES \$queues, BURST 32, PROMISC true);" \
    "original device line removed"
assert_contains "$diff" "+in :: FromDPDKDevice(\$port, N_QUEUES \$queues, BURST 32, PROMISC true, MODE flow, FLOW_RULES_FILE $T/demo/chain.opt.rules);" \
    "device line gains MODE flow and the rules file"
assert_eq "$(printf '%s\n' "$diff" | grep -c '^[-+][^-+]')" 2 "exactly one line changed"
assert_contains "$diff" "actions rss types ipv4 l3-src-only end queues 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 end" \
    "the rules hash the source address over 16 queues"
assert_eq "$(cat "$T/demo/chain.click")" "$(cat "$FM_ROOT/examples/chain.click")" "input copy unchanged"

# 4: the explanation table: which NFs are shared-nothing, and why
expl=$(sed -n '/^==> 4\/5/,/^==> 5\/5/p' out.txt)
# row NAME CLASS REGEX: the table row of NAME matches REGEX (blanks: ' +')
row() {
    if printf '%s\n' "$expl" | grep -Eq "^  $1 +$2 +$3"; then t_ok; else
        t_bad "explanation row of $1 does not match '$3':"
        printf '%s\n' "$expl" | grep -E "^  $1 " >&2
    fi
}
row check CheckIPv4Header '- +- +- +[0-9.]+ +stateless '
row scan ScanWatch 'src_ip +per-packet +yes +[0-9.]+ +shared-nothing +in hashes src_ip, a subset of its key \(src_ip\)'
row police HostPolicer 'dst_ip +per-packet +yes +[0-9.]+ +shared +in hashes src_ip, not a subset of its key \(dst_ip\)'
row flows FlowTable '5-tuple +per-flow +yes +[0-9.]+ +shared-nothing '
row bytes FlowByteCounter '5-tuple via flows +per-packet +no +[0-9.]+ +shared-nothing '
assert_contains "$expl" "*  1 src_ip" "src_ip ranked first"

# 5: the simulation: chosen and default rows, 16 per-core loads each
sim=$(sed -n '/^==> 5\/5/,$p' out.txt)
assert_contains "$sim" "device in (FromDPDKDevice): 16 cores" "simulated device"
assert test -n "$(printf '%s\n' "$sim" | grep -E '^\* 1 +src_ip ')"
assert test -n "$(printf '%s\n' "$sim" | grep -E '^ d[0-9]+ +src_ip,dst_ip,src_port,dst_port ')"
for which in "chosen (\*)" "default (d)"; do
    line=$(printf '%s\n' "$sim" | grep "per-core share, $which:")
    n=$(printf '%s\n' "$line" | sed 's/.*://' | tr ' ' '\n' | grep -c '%$')
    assert_eq "$n" 16 "per-core loads, $which"
done
assert test -n "$(printf '%s\n' "$sim" | grep -E '^  scan +src_ip +shared-nothing +shared, ')"
assert_contains "$sim" "1000000 packets replayed" "the synthetic trace was replayed"

# the source tree was only read
assert_eq "$(sum_examples)" "$before" "examples/ unchanged"

# a failing step stops the demo with a non-zero status
mkdir fakebuild
cp "$FM_BUILD/flowmage.so" fakebuild/
printf '#!/bin/sh\necho "flowmage: simulated failure" >&2\nexit 3\n' >fakebuild/flowmage
chmod +x fakebuild/flowmage
FM_BUILD="$T/fakebuild" FM_DEMO_DIR="$T/demo2" sh "$FM_ROOT/examples/demo.sh" >out2.txt 2>&1
assert_eq "$?" 3 "demo fails when deploy fails"
assert_not_contains "$(cat out2.txt)" "==> 3/5" "no later section after a failure"

echo "note: demo ran in $((end - start)) s"
t_done "demo sections, device line diff, rules, explanation per NF, chosen/default per-core loads, failure stops it"
