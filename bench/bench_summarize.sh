#!/bin/sh
# Time and peak memory of summarize on a large corpus: the fixture NFs
# copied under COPIES distinct names (default 12: ~460 elements in ~460
# objects, the size of a FastClick build), compiled once with the plugin
# and cached under $FM_BUILD/bench-corpus.  Baseline in the same run:
# reading the same facts without analysing them (dump --stats).
# Target for a whole FastClick build: under 1 s and 200 MB.
# FM_BENCH_CORPUS=PATH measures a real build instead (a directory of
# objects, an archive or a linked binary, e.g. FastClick's userlevel/click;
# FLOWMAGE_DATADIR must then name this repository if flowmage is not
# installed).
set -u
: "${FM_ROOT:?}" "${FM_BUILD:?}" "${FM_BIN:?}" "${FM_PLUGIN:?}"
export FLOWMAGE_DATADIR="${FLOWMAGE_DATADIR:-$FM_ROOT}"
# Best of FM_BENCH_RUNS runs (default 3), by CPU time: timings on shared
# machines vary by a quarter from run to run.  Prints wall, peak KB, user,
# system.  t DIR CMD...: with a DIR, each run writes its own new directory
# DIR/runN (-o DIR/runN appended), as a first run does: replacing the
# previous run's few hundred files a second later costs up to a tenth of a
# second of system time on a file system that does not reuse just-freed
# inodes at once (ext4 without a journal), which would be the bench's own
# doing, not summarize's.
runs=${FM_BENCH_RUNS:-3}
t() {
    dir=$1 best="" i=0
    shift
    while [ "$i" -lt "$runs" ]; do
        if [ -n "$dir" ]; then
            r=$(/usr/bin/time -f "%e %M %U %S" "$@" -o "$dir/run$i" 2>&1 >/dev/null | tail -1)
        else
            r=$(/usr/bin/time -f "%e %M %U %S" "$@" 2>&1 >/dev/null | tail -1)
        fi
        best=$(printf '%s\n%s\n' "$best" "$r" |
               awk 'NF == 4 { c = $3 + $4; if (b == "" || c < bc) { b = $0; bc = c } } END { print b }')
        i=$((i + 1))
    done
    echo "$best"
}
report() {
    echo "$1 $2" | awk '{
        rc = $3 + $4; sc = $7 + $8
        printf "  read facts only: %.2f s wall, %.2f s CPU, %.0f MB peak\n", $1, rc, $2 / 1024
        printf "  summarize:       %.2f s wall, %.2f s CPU, %.0f MB peak\n", $5, sc, $6 / 1024
        printf "  ratio summarize/read: CPU %.2f, memory %.2f\n", sc / (rc > 0 ? rc : 0.01), $6 / $2
        printf "  against the target (1 s, 200 MB): CPU %.2f, wall %.2f, memory %.2f\n", sc, $5, $6 / 1024 / 200
    }'
}
# measure INPUT: read_only, full (the two best runs) and nsum (files written)
measure() {
    out=$(mktemp -d "${TMPDIR:-/tmp}/fm-bench-sum.XXXXXX") || exit 1
    read_only=$(t "" "$FM_BIN" dump --stats "$1")
    full=$(t "$out" "$FM_BIN" summarize -q "$1")
    nsum=$(ls "$out/run0" | grep -c '\.json$')
    rm -rf "$out"
}
if [ -n "${FM_BENCH_CORPUS:-}" ]; then
    [ -e "$FM_BENCH_CORPUS" ] || { echo "bench_summarize: no $FM_BENCH_CORPUS"; exit 1; }
    measure "$FM_BENCH_CORPUS"
    echo "summarize: $FM_BENCH_CORPUS, $((nsum - 1)) elements (best of $runs runs)"
    report "$read_only" "$full"
    exit 0
fi
copies=${COPIES:-12}
corpus=$FM_BUILD/bench-corpus/c$copies
if [ ! -f "$corpus/.done" ]; then
    echo "building the corpus ($copies copies of the fixture NFs, once)..."
    rm -rf "$corpus" && mkdir -p "$corpus/src" "$corpus/obj" || exit 2
    fx=$FM_ROOT/tests/fixtures
    i=0
    while [ "$i" -lt "$copies" ]; do
        for f in "$fx"/nfs/*.cc; do
            b=$(basename "$f" .cc)
            [ "$b" = keyhelpers ] && continue
            cls=$(sed -n 's/.*class_name() const override { return "\([A-Za-z0-9_]*\)"; }.*/\1/p' "$f" | head -1)
            [ -n "$cls" ] || continue
            sed "s/\\<$cls\\>/${cls}_$i/g" "$f" >"$corpus/src/${b}_$i.cc"
        done
        i=$((i + 1))
    done
    cp "$fx"/nfs/*.hh "$corpus/src/"
    for f in "$fx"/clicklike/lib/*.cc "$fx"/clicklike/elements/*.cc "$fx"/nfs/keyhelpers.cc; do
        [ "$(basename "$f")" = nfs_main.cc ] || cp "$f" "$corpus/src/"
    done
    cp "$fx"/clicklike/elements/*.hh "$corpus/src/"
    ( cd "$corpus/src" && ls *.cc | xargs -P 2 -I{} sh -c \
        'g++ -std=gnu++17 -O2 -I'"$fx"'/clicklike/include -I'"$fx"'/dpdk -I. -fplugin='"$FM_PLUGIN"' -c {} -o ../obj/$(basename {} .cc).o' ) \
        || { echo "corpus build failed"; exit 1; }
    touch "$corpus/.done"
fi
nobj=$(ls "$corpus/obj" | wc -l)
bytes=$(cat "$corpus"/obj/*.o | wc -c)
measure "$corpus/obj"
echo "summarize: $nobj objects ($((bytes / 1048576)) MiB), $((nsum - 1)) elements (best of $runs runs)"
report "$read_only" "$full"
