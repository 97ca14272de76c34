#!/bin/sh
# flowmage simulate, the command, on tests/sh/simulate/chain.click: table,
# CSV (per-core rows sum to the trace), SVG, DOT and JSON outputs written
# atomically and byte-identical across runs; a hand-made pcap replayed; and
# every bad input (corrupt or missing pcap, bad --synthetic key, usage,
# configuration syntax) a one-line error with exit status 2.
. "$(dirname "$0")/lib.sh"
S="$FM_ROOT/tests/sh/simulate"
export FLOWMAGE_DATADIR="$FM_ROOT"
SPEC="flows=2000,packets=50k,srcs=300,dsts=40,reverse=0.3,seed=5"
sim() { "$FM_BIN" simulate --config "$S/chain.click" --attrs "$S/attrs.json" --nic ixgbe "$@"; }

"$FM_BIN" simulate --help >"$T/help"
assert_eq "$?" 0 "--help exit status"
assert_contains "$(cat "$T/help")" "--synthetic SPEC" "--help shows --synthetic"
assert_contains "$(cat "$T/help")" "zipf (1.0" "--help documents the spec keys"

sim --synthetic "$SPEC" --csv "$T/a.csv" --svg "$T/a.svg" --dot "$T/a.dot" --json "$T/a.json" >"$T/a.txt" 2>"$T/err"
assert_eq "$?" 0 "synthetic run"
assert_eq "$(cat "$T/err")" "" "nothing on stderr"
out=$(cat "$T/a.txt")
assert_contains "$out" "50000 packets replayed" "trace summary"
assert_contains "$out" "src_ip,dst_ip,src_port,dst_port [symmetric key]" "symmetric candidate listed"
assert [ "$(grep -c '^\* *1 ' "$T/a.txt")" = 1 ]
assert_eq "$(grep -c '^ d3 ' "$T/a.txt")" 1 "the default setting is row 3"
assert_contains "$out" "nat                5-tuple (sym)          shared-nothing" "NF table"
assert_eq "$(head -1 "$T/a.csv" | cut -d, -f1-4)" "component,rank,chosen,default" "CSV header"
# every (setting, device): per-core packets sum to the trace's packets
sums=$(awk -F, 'NR > 1 { s[$2 "/" $5] += $11 } END { for (k in s) print s[k] }' "$T/a.csv" | sort -u)
assert_eq "$sums" 50000 "per-core packets sum to the packets, for every setting"
assert_eq "$(awk -F, 'NR > 1 && $3 == 1' "$T/a.csv" | wc -l | tr -d ' ')" 8 "8 core rows for the chosen"
assert_eq "$(head -c 5 "$T/a.svg")" "<svg " "SVG"
assert_eq "$(tail -1 "$T/a.svg")" "</svg>" "SVG closed"
assert [ "$(grep -c '<rect ' "$T/a.svg")" -ge 16 ]
assert_contains "$(head -1 "$T/a.dot")" "digraph" "DOT"
assert_contains "$(cat "$T/a.json")" '"flowmage_simulate": 1' "JSON"
assert_eq "$(ls -A "$T" | grep -c '^\.')" 0 "no temporary files left"

# deterministic
sim --synthetic "$SPEC" --csv "$T/b.csv" --svg "$T/b.svg" --json "$T/b.json" >"$T/b.txt"
for f in txt csv svg json; do assert cmp -s "$T/a.$f" "$T/b.$f"; done
# one output may go to stdout, with --quiet
sim --synthetic "$SPEC" --csv - -q >"$T/c.csv"
assert cmp -s "$T/a.csv" "$T/c.csv"
sim --synthetic "$SPEC" --csv - >/dev/null 2>&1
assert_eq "$?" 2 "'-' without --quiet"

# a pcap written by hand: two IPv4 TCP packets, one ARP frame
hdr='\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000'
rec='\000\000\000\000\000\000\000\000\066\000\000\000\066\000\000\000'
eth='\002\000\000\000\000\001\002\000\000\000\000\002'
ip='\105\000\000\050\000\001\000\000\100\006\000\000\012\000\000\001\300\250\001\001'
z16='\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
{
    printf "$hdr"
    printf "$rec$eth\010\000$ip\004\322\000\120$z16"
    printf "$rec$eth\010\000$ip\004\323\000\120$z16"
    printf "$rec$eth\010\006$ip\000\000\000\000$z16"
} >"$T/t.pcap"
sim --trace "$T/t.pcap" --no-nfs >"$T/p.txt" 2>"$T/err"
assert_eq "$?" 0 "pcap run"
assert_contains "$(cat "$T/p.txt")" "2 packets replayed, 2 flows" "pcap packets"
assert_contains "$(cat "$T/p.txt")" "skipped 1 of 3 packets: 1 not IP" "non-IP counted"

# bad input: exit 2, one line, file (and offset) named
echo "this is not a capture" >"$T/bad.pcap"
sim --trace "$T/bad.pcap" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "corrupt pcap"
assert_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "one-line error"
assert_contains "$(cat "$T/err")" "flowmage: $T/bad.pcap: offset 0: " "file and offset"
sim --trace "$T/nope.pcap" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "missing pcap"
assert_contains "$(cat "$T/err")" "$T/nope.pcap" "missing file named"
sim --synthetic "flows=100,packets=1k,bogus=3" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "bad --synthetic key"
assert_contains "$(cat "$T/err")" '--synthetic:1:22: key "bogus": unknown key' "key and column named"
sim --synthetic "flows=100,packets=50" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "packets < flows"
sim --synthetic "$SPEC" --trace "$T/t.pcap" >/dev/null 2>&1
assert_eq "$?" 2 "--trace and --synthetic"
sim >/dev/null 2>&1
assert_eq "$?" 2 "neither --trace nor --synthetic"
"$FM_BIN" simulate --config "$S/chain.click" --synthetic "$SPEC" >/dev/null 2>&1
assert_eq "$?" 2 "no --attrs"
sim --synthetic "$SPEC" --cores 0 >/dev/null 2>&1
assert_eq "$?" 2 "--cores 0"
printf 'in :: FromDPDKDevice(0, N_QUEUES 8);\nin -> nat :: NatRewriter(\n' >"$T/broken.click"
"$FM_BIN" simulate --config "$T/broken.click" --attrs "$S/attrs.json" --synthetic "$SPEC" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "configuration syntax error"
assert_contains "$(cat "$T/err")" "flowmage: $T/broken.click:" "configuration error names the file"
sim --synthetic "$SPEC" --svg "$T/nodir/x.svg" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "SVG into a missing directory"

# two ports: connections inside, replies outside; the chosen setting reaches
# no entry of the monitor or the NAT from two cores
TP="$FM_ROOT/tests/solve"
"$FM_BIN" simulate --config "$TP/twoport.click" --attrs "$TP/attrs.json" --two-port inside,outside \
    --synthetic "flows=3000,packets=30k,srcs=400,dsts=50,reverse=0.5,seed=4" >"$T/tp.txt" 2>"$T/err"
assert_eq "$?" 0 "two-port run"
out=$(cat "$T/tp.txt")
assert_contains "$out" "two ports: connections on inside, replies on outside" "two-port table"
assert_contains "$out" "mon                shared-nothing, 0 of 50 entries from two cores" "monitor"
assert_contains "$out" "nat                shared-nothing, 0 of " "NAT"
assert_eq "$(grep -c '^\* *1 .* 0$' "$T/tp.txt")" 1 "chosen row: no unsound packet"
"$FM_BIN" simulate --config "$TP/twoport.click" --attrs "$TP/attrs.json" --two-port inside \
    --synthetic "$SPEC" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "--two-port needs two names"
"$FM_BIN" simulate --config "$TP/twoport.click" --attrs "$TP/attrs.json" --two-port inside,x \
    --synthetic "$SPEC" >/dev/null 2>"$T/err"
assert_eq "$?" 2 "--two-port: unknown device"
assert_contains "$(cat "$T/err")" "no input device named 'x' (its input devices: inside, outside)" \
    "--two-port: names the devices"

t_done "table/CSV/SVG/DOT/JSON, per-core sums, determinism, hand-made pcap, corrupt/missing pcap, bad spec, usage and config errors exit 2, two-port replay"
