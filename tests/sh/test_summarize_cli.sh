# flowmage summarize: deterministic output, stale files removed, clear
# errors for bad input, an unknown element base and an unknown profile.
. "$FM_ROOT/tests/sh/lib.sh"
O2="$FM_BUILD/fixtures/O2"

"$FM_BIN" summarize -q "$O2" -o "$T/a"
assert_eq "$?" 0 "summarize the -O2 fixtures"
"$FM_BIN" summarize -q "$O2" -o "$T/b"
if diff -r "$T/a" "$T/b" >/dev/null; then t_ok; else t_bad "two runs differ"; fi
# same objects named in the opposite order: same bytes
set -- $(ls "$O2"/*.o | sort -r)
"$FM_BIN" summarize -q "$@" -o "$T/c"
for f in "$T"/a/*.json; do
    [ "$(basename "$f")" = index.json ] && continue
    if cmp -s "$f" "$T/c/$(basename "$f")"; then t_ok; else t_bad "$(basename "$f") depends on input order"; fi
done
assert_contains "$(cat "$T/a/index.json")" '"name": "Policer"' "index lists the elements"
n=$(ls "$T/a" | wc -l)
assert test "$n" -ge 30

# a stale summary (an element that disappeared) is removed on re-run
cp "$T/a/Policer.json" "$T/a/Gone.json"
sed -i 's/"name": "Policer"/"name": "Gone"/' "$T/a/Gone.json"
"$FM_BIN" summarize -q "$O2" -o "$T/a"
assert test ! -e "$T/a/Gone.json"

# bad input: one-line errors naming the file, exit 2
"$FM_BIN" summarize -q "$T/a/index.json" -o "$T/x" 2>"$T/err"
assert_eq "$?" 2 "a JSON file is not an object"
assert_contains "$(cat "$T/err")" "index.json: not an object file" "error names the file"
assert_eq "$(wc -l <"$T/err")" 1 "one line"
cp "$O2/policer.o" "$T/bad.o"
objcopy --dump-section .flowmage="$T/sec.bin" "$T/bad.o" "$T/scratch.o"
printf 'X' | dd of="$T/sec.bin" bs=1 seek=40 conv=notrunc 2>/dev/null
objcopy --update-section .flowmage="$T/sec.bin" "$T/bad.o"
"$FM_BIN" summarize -q "$T/bad.o" -o "$T/x" 2>"$T/err"
assert_eq "$?" 2 "corrupt facts"
assert_contains "$(cat "$T/err")" "bad.o: offset " "error gives the offset"
assert test ! -e "$T/x/index.json"

# an element base that does not exist in the input
sed 's/"bases": \["Element"\]/"bases": ["NoSuchElement"]/' "$FM_ROOT/profiles/fastclick.json" >"$T/prof.json"
"$FM_BIN" summarize -q -p "$T/prof.json" "$O2" -o "$T/y" 2>"$T/err"
assert_eq "$?" 2 "unknown element base"
assert_contains "$(cat "$T/err")" "NoSuchElement" "error names the missing base"
sed 's/"packet_records"/"packet_recrods"/' "$FM_ROOT/profiles/fastclick.json" >"$T/typo.json"
"$FM_BIN" summarize -q -p "$T/typo.json" "$O2" -o "$T/y" 2>"$T/err"
assert_eq "$?" 2 "profile typo"
line=$(grep -n '"packet_recrods"' "$T/typo.json" | cut -d: -f1)
assert_contains "$(cat "$T/err")" "typo.json:$line:5: summarize: unknown field \"packet_recrods\"" "typo named"
sed 's/"index_allocators": \[/"index_allocators": ["nfidx_alloc:x", /' "$FM_ROOT/tests/fixtures/dpdk-alloc.json" >"$T/alloc.json"
"$FM_BIN" summarize -q -p "$T/alloc.json" "$O2" -o "$T/y" 2>"$T/err"
assert_eq "$?" 2 "malformed index allocator"
assert_contains "$(cat "$T/err")" '"nfidx_alloc:x" must be "name" or "name:N"' "malformed allocator named"
"$FM_BIN" summarize -q -p nosuchprofile "$O2" -o "$T/y" 2>"$T/err"
assert_eq "$?" 2 "unknown profile"
assert_contains "$(cat "$T/err")" 'no profile named "nosuchprofile"' "error names the profile"
"$FM_BIN" summarize "$O2" 2>"$T/err"
assert_eq "$?" 2 "missing -o"

# framework_state: the clicklike packet pool (Packet::kill recycles into a
# global ring) is the framework's memory; without the profile saying so it
# is reported as the NF's global state
sed '/"framework_state"/,/},/d' "$FM_ROOT/profiles/fastclick.json" >"$T/nofw.json"
assert_not_contains "$(cat "$T/nofw.json")" framework_state "profile without framework_state"
"$FM_BIN" summarize -q -p "$T/nofw.json" --only ACLFilter "$O2" -o "$T/nofw"
assert_eq "$?" 0 "summarize without framework_state"
assert_contains "$(cat "$T/nofw/ACLFilter.json")" '"location": "global_packet_pool.ring[i]"' \
    "pool writes are global state without framework_state"
"$FM_BIN" summarize -q --only ACLFilter "$O2" -o "$T/fw"
assert_not_contains "$(cat "$T/fw/ACLFilter.json")" global_packet_pool \
    "pool writes are not the NF's state with framework_state"
assert_contains "$(cat "$T/fw/ACLFilter.json")" '"global_state": []' "no global state"
# and writes there are not kept at all: they do not count toward the
# stores limit (Packet::kill writes the pool four times, the packet once)
FLOWMAGE_LIMITS=stores=2 "$FM_BIN" summarize -q --only ACLFilter "$O2" -o "$T/fw2"
assert_eq "$?" 0 "summarize with stores=2"
assert_not_contains "$(cat "$T/fw2/ACLFilter.json")" "writes in Packet::kill" \
    "pool writes do not count toward the stores limit"
FLOWMAGE_LIMITS=stores=2 "$FM_BIN" summarize -q -p "$T/nofw.json" --only ACLFilter "$O2" \
    -o "$T/nofw2"
assert_contains "$(cat "$T/nofw2/ACLFilter.json")" "more than 2 writes in Packet::kill" \
    "they do without framework_state"
# what is found unchanged between fixpoint rounds is not made again (a
# call whose arguments, summaries and memory read did not change, a callee
# record whose translation read nothing that grew, what an aggregate copy
# already copied): it happens, and no summary changes for it
for o in O0 O2; do
    for p in fastclick dpdk; do
        FLOWMAGE_REUSE=0 "$FM_BIN" summarize -q -p "$p" "$FM_BUILD/fixtures/$o" -o "$T/made-$o-$p"
        assert_eq "$?" 0 "summarize $o ($p) making everything again"
        FLOWMAGE_TRACE_WORK=1 "$FM_BIN" summarize -q -p "$p" "$FM_BUILD/fixtures/$o" \
            -o "$T/reused-$o-$p" 2>"$T/work-$o-$p"
        if diff -r "$T/made-$o-$p" "$T/reused-$o-$p" >"$T/diff"; then t_ok; else
            t_bad "$o ($p): reusing changed the summaries: $(head -5 "$T/diff")"; fi
    done
    sum=$(sed -n 's/.*(reused: \([0-9]*\) calls, \([0-9]*\) records)/\1 \2/p' "$T/work-$o-fastclick" |
          awk '{ c += $1; r += $2 } END { print c + 0, r + 0 }')
    if [ "${sum% *}" -gt 0 ]; then t_ok; else t_bad "$o: no call found unchanged ($sum)"; fi
    if [ "${sum#* }" -gt 0 ]; then t_ok; else t_bad "$o: no callee record found unchanged ($sum)"; fi
done
t_done "determinism (repeat, input order), stale files, corrupt/foreign input, unknown base and profile, framework state and the stores limit, reuse between rounds changes nothing"
