#!/bin/sh
# Inputs that lie and outputs that race (issue 12, items 1, 2 and 6), from
# the command line:
#  - a mistyped attrs.json ("stateful": "true") or summary ("role": "NF")
#    is one located error, exit 2, instead of an NF silently dropped from
#    the decision;
#  - every output of solve and deploy is checked before the first write: a
#    bad --json or --dot path leaves the configuration, the rules and the
#    work directory as they were (or absent);
#  - concurrent summarize runs into one directory leave exactly one run's
#    result (FM_RACE_ROUNDS rounds of four staggered runs, default 30), and
#    a directory locked by another run fails clearly once
#    FLOWMAGE_LOCK_TIMEOUT has passed (exit 3).
. "$FM_ROOT/tests/sh/lib.sh"
export FLOWMAGE_DATADIR="$FM_ROOT"
unset OPENAI_BASE_URL OPENAI_API_KEY
O2="$FM_BUILD/fixtures/O2"
S="$FM_ROOT/tests/solve"
cd "$T" || exit 1

# ---- item 1: wrong types are errors with a position ----
sed 's/"name": "PortScanDetector", "role": "nf", "stateful": true/&X/; s/"stateful": trueX/"stateful": "true"/' \
    "$S/attrs.json" >bad-attrs.json
line=$(grep -n '"stateful": "true"' bad-attrs.json | cut -d: -f1)
assert test -n "$line"
"$FM_BIN" solve "$S/scan16.click" --attrs bad-attrs.json -o out.click >o.txt 2>e.txt
assert_eq "$?" 2 "mistyped stateful: exit status"
assert_contains "$(cat e.txt)" "bad-attrs.json:$line:60: elements[10] (\"PortScanDetector\").stateful: expected true or false, got the string \"true\"" \
    "mistyped stateful: located message"
assert_eq "$(wc -l <e.txt | tr -d ' ')" 1 "one line"
assert test ! -e out.click
cp -r "$FM_ROOT/tests/analyze/chain" sums
sed -i 's/"role": "nf"/"role": "NF"/' sums/Policer.json
"$FM_BIN" analyze sums -o attrs.json >o.txt 2>e.txt
assert_eq "$?" 2 "summary role NF: exit status"
assert_contains "$(cat e.txt)" "sums/Policer.json:5:11: role: the string \"NF\" is not one of other, nf or flow_manager" \
    "summary role NF: located message"
assert test ! -e attrs.json

# ---- item 2: every output checked before the first write ----
echo file >notadir
"$FM_BIN" solve "$S/scan16.click" --attrs "$S/attrs.json" -o x.click --json notadir/r.json -q \
    2>e.txt
assert_eq "$?" 2 "solve --json into a file: exit status"
assert_contains "$(cat e.txt)" "notadir/r.json: cannot write: notadir is not a directory" "named"
assert test ! -e x.click
assert test ! -e x.rules
"$FM_BIN" solve "$S/scan16.click" --attrs "$S/attrs.json" -o x.click --dot nodir/c.dot -q \
    2>e.txt
assert_eq "$?" 2 "solve --dot into a missing directory: exit status"
assert_contains "$(cat e.txt)" "nodir/c.dot: cannot write: directory nodir does not exist" "named"
assert test ! -e x.click
# an existing output stays as it was
echo previous >x.click
"$FM_BIN" solve "$S/scan16.click" --attrs "$S/attrs.json" -o x.click --json notadir/r.json -q \
    2>/dev/null
assert_eq "$(cat x.click)" "previous" "existing output untouched"
# the same output twice is refused before writing either
"$FM_BIN" solve "$S/scan16.click" --attrs "$S/attrs.json" -o y.click --json y.click -q 2>e.txt
assert_eq "$?" 2 "one path for two outputs"
assert test ! -e y.click

cat >chain.click <<'EOF'
in :: FromDPDKDevice(0, N_QUEUES 8);
in -> scan :: PortScanDetector(THRESHOLD 20) -> pol :: Policer(RATE 1000) -> ToDPDKDevice(0);
EOF
"$FM_BIN" deploy --build "$O2/libnfs.a" --config chain.click --json notadir/r.json -q 2>e.txt
assert_eq "$?" 2 "deploy --json into a file: exit status"
assert_eq "$(ls -A | grep -c -e '^chain.opt' -e '^\.flowmage' -e '^\.fm-tmp')" 0 \
    "no configuration, rules, work directory or temporary file"
mkdir keepwork && echo old >keepwork/attrs.json
"$FM_BIN" deploy --build "$O2/libnfs.a" --config chain.click -o k.click --work keepwork \
    --dot nodir/c.dot -q 2>e.txt
assert_eq "$?" 2 "deploy --dot into a missing directory: exit status"
assert_eq "$(cat keepwork/attrs.json)" "old" "existing work directory untouched"
assert_eq "$(ls -A keepwork | tr '\n' ' ')" "attrs.json " "nothing added to it"
assert test ! -e k.click
"$FM_BIN" deploy --build "$O2/libnfs.a" --config chain.click -o k.click --work fresh/w \
    --json notadir/r.json -q 2>/dev/null
assert_eq "$?" 2 "deploy into a fresh work directory, bad --json"
assert test ! -e fresh
# and the same runs without the bad output succeed and write everything
"$FM_BIN" deploy --build "$O2/libnfs.a" --config chain.click -o k.click --work fresh/w \
    --json r.json --dot c.dot -q
assert_eq "$?" 0 "deploy with good outputs"
for f in k.click k.rules fresh/w/attrs.json fresh/w/solve.json fresh/w/summaries/index.json \
         r.json c.dot; do
    assert test -s "$f"
done
assert_eq "$(find . -name '.fm-tmp*' | wc -l | tr -d ' ')" 0 "no temporary file left"

# ---- item 6: concurrent summarize runs into one directory ----
L1=ACLFilter,ClientServiceCounter,Discard,DstSessionTracker,EtherSwap,FirstSeenTracker
L1=$L1,FiveTupleCounter,FlowLoadBalancer,FlowManagerLike,FlowPacketCounter,FromDPDKDevice
L2=HostPairMonitor,MacLearner,NextHopCounter,PayloadMatcher,PerThreadStats,Policer
L2=$L2,PortScanDetector,PrefixLimiter,ProtoClassifier,ServiceCounter,SketchCounter
"$FM_BIN" summarize "$O2/libnfs.a" --only "$L1" -o refA -q
"$FM_BIN" summarize "$O2/libnfs.a" --only "$L2" -o refB -q
rounds=${FM_RACE_ROUNDS:-30} mixed=0 i=0
while [ "$i" -lt "$rounds" ]; do
    i=$((i + 1))
    rm -rf race
    [ $((i % 3)) = 0 ] || mkdir race
    for k in 1 2 3 4; do
        L=$L1
        [ $((k % 2)) = 0 ] && L=$L2
        (sleep "0.0$(((i * 7 + k * 13) % 10))"; "$FM_BIN" summarize "$O2/libnfs.a" --only "$L" \
            -o race -q) &
    done
    wait
    if ! diff -r race refA >/dev/null 2>&1 && ! diff -r race refB >/dev/null 2>&1; then
        mixed=$((mixed + 1))
    fi
done
echo "note test_outputs: $rounds rounds of 4 concurrent summarize runs, $mixed mixed"
assert_eq "$mixed" 0 "directories mixing two runs"
# a directory another run holds: a clear failure after the timeout
mkdir held
flock held sleep 3 &
holder=$!
sleep 0.3
FLOWMAGE_LOCK_TIMEOUT=0.5 "$FM_BIN" summarize "$O2/libnfs.a" -o held -q 2>e.txt
assert_eq "$?" 3 "locked directory: exit status"
assert_contains "$(cat e.txt)" "flowmage: held: in use by another flowmage run" "locked: message"
assert_eq "$(ls -A held | wc -l | tr -d ' ')" 0 "nothing written while locked"
wait "$holder"
"$FM_BIN" summarize "$O2/libnfs.a" -o held -q
assert_eq "$?" 0 "written once the lock is released"
assert test -f held/index.json

t_done "mistyped attrs and summaries located, outputs checked before the first write (solve, deploy: --json, --dot, -o, --work), concurrent summarize runs serialised, locked directory fails clearly"
