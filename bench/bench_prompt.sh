#!/bin/sh
# bench_prompt — prompt bytes per NF: what `flowmage analyze` sends (the
# compact summary + the per-packet functions' source lines) against the
# paper's prompt (the same instructions + the element's whole .cc and .hh),
# for the fixture NFs, measured in the same run.  Target: overall ratio
# <= 0.10.  No network: prompts come from `analyze --print-prompts`.
#
# Needs the plugin and `flowmage summarize` (stage 2) to build summaries of
# tests/fixtures.  FM_BENCH_SUMMARIES=DIR FM_BENCH_SOURCES=ROOT skip that
# step and measure an existing summary directory instead.
set -u
: "${FM_BIN:?}" "${FM_ROOT:?}"
W=$(mktemp -d "${TMPDIR:-/tmp}/fm-bench-prompt.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
unset OPENAI_BASE_URL OPENAI_API_KEY
export FLOWMAGE_DATADIR="${FLOWMAGE_DATADIR:-$FM_ROOT}"   # profiles, for out-of-tree builds
fail() { echo "bench_prompt: $*" >&2; exit 1; }

if [ -n "${FM_BENCH_SUMMARIES:-}" ]; then
    sums=$FM_BENCH_SUMMARIES
    src=${FM_BENCH_SOURCES:?FM_BENCH_SOURCES must name the source root}
else
    src=$FM_ROOT/tests/fixtures
    [ -f "$src/build.sh" ] || fail "tests/fixtures/build.sh is missing"
    [ -f "${FM_PLUGIN:-}" ] || fail "the plugin is not built (FM_PLUGIN=${FM_PLUGIN:-unset})"
    out=$("$FM_BIN" summarize --help 2>&1)
    case "$out" in
    *"not built yet"*|*"unknown command"*)
        fail "'flowmage summarize' is not available yet (stage 2): cannot build the fixture summaries" ;;
    esac
    sh "$src/build.sh" "$W/obj" -fplugin="$FM_PLUGIN" -O2 >"$W/build.log" 2>&1 ||
        { cat "$W/build.log" >&2; fail "building the fixtures failed"; }
    "$FM_BIN" summarize "$W/obj" -o "$W/sum" >"$W/sum.log" 2>&1 ||
        { cat "$W/sum.log" >&2; fail "flowmage summarize failed"; }
    sums=$W/sum
fi
"$FM_BIN" analyze "$sums" --print-prompts "$W/p" --source-root "$src" --quiet ||
    fail "analyze --print-prompts failed"
"$FM_BIN" analyze "$sums" --print-prompts "$W/f" --quiet ||
    fail "analyze --print-prompts (facts only) failed"
[ "$(wc -l <"$W/p/prompts.tsv")" -gt 1 ] || fail "no NF in $sums"

# The element's own files: its .cc as named in the summary (absolute, or
# relative to the source root, or found by name under it) and the .hh/.h of
# the same base name next to it.
locate() {
    f=$1
    [ -f "$f" ] && { echo "$f"; return; }
    [ -f "$src/$f" ] && { echo "$src/$f"; return; }
    find "$src" -name "$(basename "$f")" -type f 2>/dev/null | head -1
}

printf '%-24s %8s %8s %8s %7s %7s\n' NF prompt no-src paper ratio no-src
tot_p=0 tot_f=0 tot_b=0 n=0
tab=$(printf '\t')
while IFS="$tab" read -r kind name pbytes nbytes file; do
    [ "$kind" = nf ] || continue
    cc=$(locate "$file")
    [ -n "$cc" ] || { echo "bench_prompt: $name: source $file not found" >&2; continue; }
    whole=$(wc -c <"$cc")
    for h in "${cc%.*}.hh" "${cc%.*}.h"; do
        [ -f "$h" ] && whole=$((whole + $(wc -c <"$h")))
    done
    fixed=$((pbytes - nbytes))
    base=$((fixed + whole))
    fonly=$(awk -F'\t' -v n="$name" '$1=="nf" && $2==n {print $3}' "$W/f/prompts.tsv")
    printf '%-24s %8d %8d %8d %7.3f %7.3f\n' "$name" "$pbytes" "$fonly" "$base" \
        "$(echo "$pbytes $base" | awk '{print $1/$2}')" \
        "$(echo "$fonly $base" | awk '{print $1/$2}')"
    tot_p=$((tot_p + pbytes)) tot_f=$((tot_f + fonly)) tot_b=$((tot_b + base))
    tot_nf=$(( ${tot_nf:-0} + nbytes )) tot_whole=$(( ${tot_whole:-0} + whole ))
    n=$((n + 1))
done <"$W/p/prompts.tsv"
[ "$n" -gt 0 ] || fail "no NF source found under $src"
ratio=$(echo "$tot_p $tot_b" | awk '{printf "%.3f", $1/$2}')
fratio=$(echo "$tot_f $tot_b" | awk '{printf "%.3f", $1/$2}')
cratio=$(echo "$tot_nf $tot_whole" | awk '{printf "%.3f", $1/$2}')
echo "NFs: $n; bytes: flowmage $tot_p (facts only: $tot_f), paper-style $tot_b"
echo "ratio (whole prompt, with per-packet source): $ratio   facts only: $fratio"
echo "ratio (NF-specific text vs the NF's files):   $cratio"
if awk -v r="$ratio" 'BEGIN{exit !(r <= 0.10)}'; then
    echo "target <= 0.10: met"
else
    echo "target <= 0.10: NOT met (see docs/analyze.md, 'Prompt size')"
fi
