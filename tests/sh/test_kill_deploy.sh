#!/bin/sh
# SIGKILL at random points of `flowmage deploy` (issue 12): whenever the
# run dies, every output path -- the configuration, the rules, --json,
# --dot, and each file of the work directory -- holds either what it held
# before or the complete new file, never part of one; a work directory that
# did not exist either does not exist or is complete; and the temporary
# files a killed run leaves are removed by the next run, which then writes
# everything.
#
# Rounds alternate between a fresh directory and one holding older outputs
# (marked, plus a stale summary the new run removes).  Half the kill times
# are uniform over a whole run, half around its end, where the renames are.
#   FM_KILL_ROUNDS   rounds (default 100)
#   FM_KILL_SECONDS  stop starting rounds after this long (default 60, for
#                    make check; 0: no limit)
. "$FM_ROOT/tests/sh/lib.sh"
export FLOWMAGE_DATADIR="$FM_ROOT"
unset OPENAI_BASE_URL OPENAI_API_KEY
O2="$FM_BUILD/fixtures/O2"
cd "$T" || exit 1
cat >chain.click <<'EOF'
in :: FromDPDKDevice(0, N_QUEUES 8);
in -> ttl :: TTLDecrementer -> scan :: PortScanDetector(THRESHOLD 20)
   -> pol :: Policer(RATE 1000) -> fm :: FlowManagerLike -> cnt :: FlowPacketCounter
   -> ToDPDKDevice(0);
EOF
deploy() {
    (cd run && exec "$FM_BIN" deploy --build "$O2/libnfs.a" --config ../chain.click -o out.click \
        --work work --json r.json --dot c.dot -q)
}
now_ms() { date +%s%3N; }

# the new outputs, and a run's duration
rm -rf run && mkdir run
t0=$(now_ms)
deploy >/dev/null 2>&1
assert_eq "$?" 0 "reference run"
dur=$(($(now_ms) - t0))
cp -r run ref
(cd ref && find . -type f | sort) >files.txt
assert test "$(wc -l <files.txt)" -gt 30
# older outputs: every file marked (but the rules: solve refuses to replace
# rules it did not write), and a stale summary
cp -r ref old
while read -r f; do [ "$f" = ./out.rules ] || echo "// old" >>"old/$f"; done <files.txt
printf '{"flowmage_summary": 1, "name": "Gone"}\n' >old/work/summaries/Gone.json
(cd old && find . -type f | sort) >oldfiles.txt

# state of one output path: absent, old, new, or PARTIAL
state() {
    if [ ! -e "run/$1" ]; then echo absent
    elif [ -f "ref/$1" ] && cmp -s "run/$1" "ref/$1"; then echo new
    elif [ -f "old/$1" ] && cmp -s "run/$1" "old/$1"; then echo old
    else echo PARTIAL; fi
}

rounds=${FM_KILL_ROUNDS:-100} limit=${FM_KILL_SECONDS:-60}
start=$(date +%s)
i=0 partial=0 left=0 cleaned=0 before=0 after=0 during=0 fresh=0 unexpected=0 incomplete=0
while [ "$i" -lt "$rounds" ]; do
    if [ "$limit" -gt 0 ] && [ $(($(date +%s) - start)) -ge "$limit" ]; then break; fi
    i=$((i + 1))
    rm -rf run
    if [ $((i % 2)) = 1 ]; then mkdir run; fresh=$((fresh + 1)); else cp -r old run; fi
    # kill time (ms): uniform over 1.1 runs, or in the last 15% of a run
    delay=$(awk -v s="$i" -v d="$dur" 'BEGIN { srand(s * 7919); r = rand();
        if (s % 4 < 2) printf "%d", r * d * 1.1; else printf "%d", d * (0.85 + 0.2 * r) }')
    # the background job is flowmage itself (exec), so the kill reaches it
    (cd run && exec "$FM_BIN" deploy --build "$O2/libnfs.a" --config ../chain.click \
        -o out.click --work work --json r.json --dot c.dot -q >/dev/null 2>&1) &
    pid=$!
    sleep "$(awk -v m="$delay" 'BEGIN { printf "%.3f", m / 1000 }')"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # per path: still as before the run, already as after it, or PARTIAL
    unchanged=0 changed=0
    for f in $(cat files.txt oldfiles.txt | sort -u); do
        s=$(state "$f")
        was=absent
        [ $((i % 2)) = 0 ] && [ -f "old/$f" ] && was=old
        will=absent
        [ -f "ref/$f" ] && will=new
        [ "$was" = old ] && [ "$will" = new ] && cmp -s "old/$f" "ref/$f" && continue
        case "$s" in
        PARTIAL) partial=$((partial + 1)); echo "round $i (kill at ${delay} ms): $f is partial" >&2 ;;
        "$was") unchanged=$((unchanged + 1)) ;;
        "$will") changed=$((changed + 1)) ;;
        *) partial=$((partial + 1)); echo "round $i: $f is $s, neither $was nor $will" >&2 ;;
        esac
    done
    # nothing else at an output name; a new work directory is whole
    extra=$(cd run && find . -type f ! -name '.fm-tmp.*' ! -path '*/.fm-tmp.*' | sort |
            comm -23 - ../files.txt | comm -23 - ../oldfiles.txt | wc -l)
    unexpected=$((unexpected + extra))
    if [ $((i % 2)) = 1 ] && [ -d run/work ] && ! diff -r -x '.fm-tmp.*' ref/work run/work >/dev/null; then
        incomplete=$((incomplete + 1))
        echo "round $i: the new work directory is not whole" >&2
    fi
    if [ "$changed" = 0 ]; then before=$((before + 1))
    elif [ "$unchanged" = 0 ]; then after=$((after + 1))
    else during=$((during + 1)); fi
    tmps=$(find run -name '.fm-tmp.*' | wc -l)
    # the next run removes what the killed one left and writes everything
    deploy >/dev/null 2>&1
    rc=$?
    [ "$tmps" -gt 0 ] && left=$((left + 1))
    if [ "$rc" = 0 ] && [ "$(find run -name '.fm-tmp.*' | wc -l)" = 0 ] &&
       diff -r ref run >/dev/null; then
        [ "$tmps" -gt 0 ] && cleaned=$((cleaned + 1))
    else
        echo "round $i: the next run (exit $rc) left temporary files or other outputs" >&2
        partial=$((partial + 1))
    fi
done
echo "note test_kill_deploy: $i kill rounds ($fresh fresh, $((i - fresh)) over older outputs;" \
     "a run takes ${dur} ms): killed before any rename $before, after the last $after," \
     "between renames $during; temporary files left in $left rounds, removed by the next" \
     "run in $cleaned; partial outputs $partial"
assert test "$i" -ge 4
assert_eq "$partial" 0 "partial outputs (or a next run that failed to clean up)"
assert_eq "$unexpected" 0 "files at names that are not outputs"
assert_eq "$incomplete" 0 "new work directories not whole"
assert_eq "$cleaned" "$left" "rounds whose temporary files the next run removed"
# with enough rounds some kill must land while temporaries exist (else the
# checks above only saw finished or unstarted runs)
[ "$i" -lt 20 ] || assert test $((during + left)) -gt 0
t_done "$i SIGKILLs at random points of deploy: every output old or whole, temporary files removed by the next run"
