# `flowmage dump` on fixture objects against reviewed golden output: the
# policer-shaped virtual hook loads click_ip.ip_dst and returns what the
# IPAddress built from it holds; the cross-unit key helper; a C function.
. "$FM_ROOT/tests/sh/lib.sh"
O0="$FM_BUILD/fixtures/O0"
G="$FM_ROOT/tests/golden"
golden() { # name object function-filter
    "$FM_BIN" dump --no-types -f "$3" "$O0/$2" >"$T/$1.json"
    assert_eq "$?" 0 "dump $3"
    assert_golden "$T/$1.json" "$G/dump-$1.json" "dump of $3"
}
golden policer-hook policer.o "Policer::calculate_hash"
golden pair-key keyhelpers.o "pair_key"
golden flow-counter flow_counter.o "flow_counter_process"
golden scan-base portscandetector.o "HashedStateElement<ScanState>::push_batch"

# the facts the golden files show, asserted directly
h=$(cat "$T/policer-hook.json")
assert_contains "$h" '"path": "click_ip.ip_dst"' "the hook loads click_ip.ip_dst"
assert_contains "$h" '"callee": "IPAddress::IPAddress"' "and builds an IPAddress from it"
assert_contains "$h" '"kind": "ret"' "and returns"
s=$(cat "$T/scan-base.json")
assert_contains "$s" '"virtual": "HashedStateElement<ScanState>"' "the base calls the hook virtually"
assert_contains "$s" '"callee": "HashTable<unsigned int, ScanState>::find_insert"' "and keys its table"
t_done "golden dumps: virtual hook, cross-unit helper, C function, templated base"
