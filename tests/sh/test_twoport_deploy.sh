#!/bin/sh
# Keys per input port, from compiled code to the written configuration: the
# fixture HostRateMonitor counts hosts by ip_src on input 0 and by ip_dst on
# input 1 (one table).  Summarize finds a key per port, and deploy then
# hashes src_ip on the outside port and dst_ip on the inside port with one
# key, keeping the monitor shared-nothing; simulate replays flows and their
# replies on the two ports and finds no entry reached from two cores.
. "$FM_ROOT/tests/sh/lib.sh"
cp "$FM_ROOT/tests/sh/twoport/monitor.click" "$T/"
"$FM_BIN" deploy --build "$FM_BUILD/fixtures/O2" --config "$T/monitor.click" \
    -o "$T/monitor.opt.click" --explain --work "$T/w" >"$T/out" 2>&1
assert_eq "$?" 0 "deploy exit status"
out=$(cat "$T/out")
assert_contains "$out" "outside: src_ip; shared-nothing: mon" "outside hashes the remote host's address"
assert_contains "$out" "inside: dst_ip; shared-nothing: mon" "inside hashes it too"
assert_contains "$(cat "$T/w/summaries/HostRateMonitor.json")" '"keys_by_port"' "summary lists keys per port"
k_out=$(sed -n 's/.*key \([0-9a-f]*\) .*/\1/p' "$T/monitor.opt.outside.rules" | head -1)
k_in=$(sed -n 's/.*key \([0-9a-f]*\) .*/\1/p' "$T/monitor.opt.inside.rules" | head -1)
assert_eq "$k_out" "$k_in" "both ports use one Toeplitz key"
assert_contains "$(cat "$T/monitor.opt.outside.rules")" "l3-src-only" "outside rule hashes the source"
assert_contains "$(cat "$T/monitor.opt.inside.rules")" "l3-dst-only" "inside rule hashes the destination"
"$FM_BIN" deploy --build "$FM_BUILD/fixtures/O2" --config "$T/monitor.opt.click" \
    -o "$T/again.click" --work "$T/w2" >/dev/null 2>&1
assert_eq "$(cmp -s "$T/monitor.opt.click" "$T/again.click" && echo same)" same "deploying again changes nothing"
"$FM_BIN" simulate --config "$T/monitor.click" --attrs "$T/w/attrs.json" \
    --synthetic "flows=2000,packets=20000,srcs=300,dsts=50" --two-port outside,inside >"$T/sim" 2>&1
assert_eq "$?" 0 "simulate exit status"
chosen=$(grep '^\* 1 ' "$T/sim")
assert_contains "$chosen" "src_ip | dst_ip" "simulate's best setting is the one deployed"
# shared = 0.0% and entries reached from two cores = 0.0% for it; the
# default (d) reaches almost every entry from two cores
assert_contains "$chosen" "   0.0%   0.0%" "no entry reached from two cores with the chosen setting"
default=$(grep '^ d' "$T/sim")
assert test -n "$default"
assert_not_contains "$default" "   0.0%   0.0%" "the default splits entries across cores"
t_done "per-port keys from the fixtures to two ports' rules (same key, src_ip outside, dst_ip inside)"
