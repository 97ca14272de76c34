#!/bin/sh
# Every flow rules file the solver writes in the test suite must parse with
# DPDK's own flow parser, testpmd: the golden rules files of tests/solve, the
# rules solve writes for every configuration of tests/solve on each NIC
# profile and dialect flowrules, and 16-, 100- and 108-queue ports (108
# excludes the settings whose lines would be too long).  A 1024-queue port
# gets the one-line refusal naming the limits and the largest queue count
# that fits.
#
# Each rule goes to testpmd's interactive mode (not --cmdline-file, which
# hides errors) as `flow validate 0 ...` (FastClick, too, puts its own port
# number in place of the one written) on a null device: a line that parses
# gets the null driver's "Function not implemented", once per rule, so the
# test cannot pass on silence; a parse error reads "Bad arguments".  When
# testpmd is missing or cannot run here, the test says SKIP, loudly, after
# the checks that need no testpmd (solving, the line and queue limits).
. "$FM_ROOT/tests/sh/lib.sh"
export FLOWMAGE_DATADIR="$FM_ROOT"
S="$FM_ROOT/tests/solve"
cd "$T" || exit 1

skip() { # the checks that need no testpmd still count
    [ "$t_fail" -eq 0 ] || t_done "solve and the rules limits (testpmd not run: $*)"
    echo "SKIP $t_name: $* -- flow rules NOT validated with DPDK's parser"
    echo "SKIP $t_name: $*" >&2
    exit 0
}

prefix="fm-rules-$$"
cleanup_dpdk() { # the runtime directory of our own prefix only
    rm -rf "/var/run/dpdk/$prefix" "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/$prefix" 2>/dev/null
}
# testpmd wants a forwarding lcore besides the main one: two lcores on CPU 0
# run on any machine.
testpmd() { # input-file output-file
    timeout 120 "$TESTPMD" --lcores=0@0,1@0 --no-huge -m 512 --no-pci --vdev=net_null0 \
        --file-prefix="$prefix" -- -i --total-num-mbufs=8192 <"$1" >"$2" 2>&1
    rc=$?
    cleanup_dpdk
    return $rc
}

mkdir rules
# the reviewed rules files of the golden solve runs
for g in "$S"/*.rules.expected; do
    cp "$g" "rules/golden-$(basename "$g" .expected)"
done
# every configuration of tests/solve, on every NIC profile
for c in "$S"/*.click; do
    name=$(basename "$c" .click)
    for nic in mlx5 ixgbe "$S/nic-nosym.json"; do
        tag=$(basename "$nic" .json)
        cp "$c" "$name.click"
        if "$FM_BIN" solve "$name.click" --attrs "$S/attrs.json" --nic "$nic" -q \
            -o "$name-$tag.opt.click" --rules-file "rules/$name-$tag.{dev}.rules" 2>err; then
            t_ok
        else
            t_bad "solve $name --nic $tag failed: $(cat err)"
        fi
    done
done
# 16, 100 and 108 queues on the Figure 7 chain and the two-port chain
for q in 16 100 108; do
    sed "s/N_QUEUES 16/N_QUEUES $q/" "$S/fig7.click" >fig7-q$q.click
    sed "s/N_QUEUES 4, MAXTHREADS 4/N_QUEUES $q, MAXTHREADS $q/" "$S/twoport.click" \
        >twoport-q$q.click
    for c in fig7-q$q twoport-q$q; do
        if "$FM_BIN" solve $c.click --attrs "$S/attrs.json" -q -o $c.opt.click \
            --rules-file "rules/$c.{dev}.rules" 2>err; then t_ok
        else t_bad "solve $c failed: $(cat err)"; fi
    done
done
# every field set of each NIC profile, at the most queues every set fits (102
# on mlx5: the longest lines) and at 108: an NF keyed by exactly that set
# makes the solver pick it, or the next best set when its lines are too long
for nic in mlx5 ixgbe; do
    q=102
    [ "$nic" = ixgbe ] && q=16
    grep -o '"fields": *\[[^]]*\]' "$FM_ROOT/profiles/nics/$nic.json" | sed 's/"fields": *//' |
    while read -r set; do
        echo "$set"
    done >sets-$nic
    i=0
    while read -r set; do
        i=$((i + 1))
        sed "s/\"elements\": \[/\"elements\": [{\"name\": \"Probe\", \"role\": \"nf\", \"stateful\": true, \"key\": {\"kind\": \"fields\", \"fields\": $set}, \"intensity\": \"per-packet\", \"cost\": 50},/" \
            "$S/attrs.json" >probe-attrs.json
        for qq in $q 108; do
            [ "$nic" = ixgbe ] && [ "$qq" = 108 ] && continue
            printf 'FromDPDKDevice(0, N_QUEUES %s) -> Probe -> Discard;\n' "$qq" >set$i-$qq.click
            if "$FM_BIN" solve set$i-$qq.click --attrs probe-attrs.json --nic $nic -q \
                -o set$i-$qq.opt.click --rules-file "rules/set-$nic-$i-$qq.rules" 2>err; then t_ok
            else t_bad "solve of an NF keyed by $set ($nic, $qq queues) failed: $(cat err)"; fi
        done
    done <sets-$nic
done
assert_contains "$(cat rules/set-mlx5-*-102.rules)" "l4-src-only end queues 0 1" \
    "the longest rule types were written"
assert_contains "$(cat rules/fig7-q108.*.rules)" "queues 0 1 2" "108 queues: rules written"
assert_contains "$(cat rules/fig7-q108.*.rules)" " 107 end" "108 queues: every queue listed"

# every line within the limits flowmage promises
longest=$(cat rules/*.rules | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
assert test "$longest" -le 510
nq=$(cat rules/*.rules | sed "s/.* queues \([0-9 ]*\) end.*/\1/" | awk '{ if (NF > m) m = NF } END { print m + 0 }')
assert test "$nq" -le 128

# a 1024-queue port: refused in one line, nothing written
sed "s/N_QUEUES 16/N_QUEUES 1024/" "$S/fig7.click" >q1024.click
"$FM_BIN" solve q1024.click --attrs "$S/attrs.json" -o q1024.opt.click \
    --rules-file q1024.rules >out 2>err
assert_eq "$?" 2 "1024 queues: exit status"
assert_eq "$(wc -l <err)" 1 "1024 queues: one line"
msg=$(cat err)
assert_contains "$msg" "q1024.click:6:1:" "1024 queues: position"
assert_contains "$msg" "has 1024 queues" "1024 queues: the count"
assert_contains "$msg" "at most 128 queues and 510 bytes a line" "1024 queues: the limits"
assert_contains "$msg" "at most 102 queues fit every setting of NIC mlx5" "1024 queues: what fits"
assert test ! -e q1024.rules
assert test ! -e q1024.opt.click

TESTPMD=$(command -v dpdk-testpmd || true)
[ -n "$TESTPMD" ] || skip "dpdk-testpmd not found (Debian package dpdk-dev; 'make deps' installs it)"
# Does testpmd run, and does it tell a good rule from a bad one?
cat >probe.in <<'EOF'
flow validate 0 ingress pattern eth / ipv4 / end actions rss types ipv4 l3-src-only end queues 0 1 end / end
flow validate 0 ingress pattern eth / ipv4 / end actions rss types no-such-type end queues 0 end / end
quit
EOF
testpmd probe.in probe.out
if ! grep -q "testpmd>" probe.out; then
    skip "dpdk-testpmd does not start here: $(grep -E 'Error|Cause|cannot|Cannot' probe.out | head -2 | tr '\n' ' ')"
fi
assert_eq "$(grep -c 'Function not implemented' probe.out)" 1 "probe: the good rule parses"
assert_eq "$(grep -c 'Bad arguments' probe.out)" 1 "probe: the bad rule is refused"

# all rules as `flow validate 0 ...`, one testpmd session
: >all.in
nrules=0
for f in rules/*.rules; do
    n=$(grep -c '^flow create ' "$f")
    [ "$n" -gt 0 ] || t_bad "$f holds no rule"
    nrules=$((nrules + n))
    sed -n 's/^flow create [0-9]* /flow validate 0 /p' "$f" >>all.in
done
echo quit >>all.in
nfiles=$(ls rules/*.rules | wc -l)
testpmd all.in all.out
good=$(grep -c 'Function not implemented' all.out)
bad=$(grep -c 'Bad arguments' all.out)
assert_eq "$bad" 0 "rules testpmd refuses"
assert_eq "$good" "$nrules" "rules testpmd parsed (one 'Function not implemented' per rule)"
if [ "$bad" != 0 ]; then
    grep -B1 'Bad arguments' all.out | grep 'testpmd>' | head -3 >&2
fi

t_done "$nrules flow rules in $nfiles rules files parsed by $(basename "$TESTPMD") (flow validate on net_null), longest line $longest bytes, at most $nq queues; 1024 queues refused"
