#!/bin/sh
# bench_prompt — prompt bytes per NF: what `flowmage analyze` sends against
# a paper-style prompt (FlowMage sent each element's whole source files),
# for the fixture NFs, measured in the same run.  No network: prompts come
# from `analyze --print-prompts`.
#
# Both prompts are made of the same shared system message (instructions and
# answer schema, identical for every NF) and an NF-specific part:
#   flowmage:    the user message (DATA block: facts + source excerpt)
#   paper-style: the NF's whole files: its .cc, the .hh/.h of the same name
#                and the headers it includes with "..." from its own
#                directory (for a fixture, e.g. hashedstate.hh; never the
#                framework's headers)
# Reported per NF and overall:
#   (1) NF-specific bytes: user message vs whole files  <- the target
#   (2) whole prompts: system + user vs system + whole files
#   (3) like (1), against the whole files with comments and blank lines
#       removed (flowmage removes them from its excerpts too); and (1)
#       against the NF's own .cc/.hh alone, without other included headers
# Target: (1) overall <= 0.10 (docs/analyze.md, "Prompt size", says why).
#
# Needs the plugin and `flowmage summarize` to build summaries of
# tests/fixtures.  FM_BENCH_SUMMARIES=DIR FM_BENCH_SOURCES=ROOT skip that
# step and measure an existing summary directory instead (e.g. a FastClick
# build); FM_BENCH_BUDGET=BYTES sets --source-budget.
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
    sh "$src/build.sh" "$W/obj" -fplugin="$FM_PLUGIN" -O2 >"$W/build.log" 2>&1 ||
        { cat "$W/build.log" >&2; fail "building the fixtures failed"; }
    "$FM_BIN" summarize "$W/obj" -o "$W/sum" >"$W/sum.log" 2>&1 ||
        { cat "$W/sum.log" >&2; fail "flowmage summarize failed"; }
    sums=$W/sum
fi
budget=${FM_BENCH_BUDGET:+--source-budget $FM_BENCH_BUDGET}
# shellcheck disable=SC2086
"$FM_BIN" analyze "$sums" --print-prompts "$W/p" --source-root "$src" $budget \
    --no-cost-compare --quiet || fail "analyze --print-prompts failed"
"$FM_BIN" analyze "$sums" --print-prompts "$W/f" --no-cost-compare --quiet ||
    fail "analyze --print-prompts (facts only) failed"
[ "$(wc -l <"$W/p/prompts.tsv")" -gt 1 ] || fail "no NF in $sums"
src=$(cd "$src" && pwd -P) || fail "no source root $src"

# The NF's own file as named in the summary: absolute, relative to the
# source root, or by its longest suffix that exists under the root.
locate() {
    f=$1
    [ -f "$f" ] && { realpath "$f"; return; }
    while :; do
        [ -f "$src/$f" ] && { realpath "$src/$f"; return; }
        case $f in */*) f=${f#*/} ;; *) return ;; esac
    done
}

# The paper-style file set of an NF whose own file is $1 (one per line).
paper_files() {
    dir=$(dirname "$1") stem=$(basename "$1"); stem=${stem%.*}
    : >"$W/set"
    for f in "$1" "$dir/$stem.cc" "$dir/$stem.cpp" "$dir/$stem.hh" "$dir/$stem.h"; do
        [ -f "$f" ] && ! grep -qxF "$f" "$W/set" && echo "$f" >>"$W/set"
    done
    n=0
    while [ "$n" -lt "$(wc -l <"$W/set")" ]; do    # quoted includes, transitively
        n=$((n + 1))
        f=$(sed -n "${n}p" "$W/set")
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
        while read -r inc; do
            [ -f "$dir/$inc" ] || continue
            g=$(realpath "$dir/$inc")
            [ "$(dirname "$g")" = "$dir" ] && ! grep -qxF "$g" "$W/set" && echo "$g" >>"$W/set"
        done
    done
    cat "$W/set"
}

# Bytes of code in a file once comments and blank lines are gone.
code_bytes() {
    g++ -x c++ -fpreprocessed -dD -E -P "$1" 2>/dev/null | grep -v '^[[:space:]]*$' | wc -c
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }

tab=$(printf '\t')
printf '%-22s %6s %6s %6s %6s %6s | %6s %6s %6s | %6s %6s  %s\n' \
    NF user facts src paper code "(1)" nosrc "(3)" sys "(2)" files
n=0 tu=0 tf=0 tw=0 tc=0 to=0 ts=0 maxr=0 minr=9 sys=0
while IFS="$tab" read -r kind name pbytes ubytes sbytes srcb file; do
    [ "$kind" = nf ] || continue
    cc=$(locate "$file")
    [ -n "$cc" ] || { echo "bench_prompt: $name: source $file not found under $src" >&2; continue; }
    whole=0 code=0 own=0 names= stem=$(basename "$cc"); stem=${stem%.*}
    for f in $(paper_files "$cc"); do
        whole=$((whole + $(wc -c <"$f"))) code=$((code + $(code_bytes "$f")))
        g=$(basename "$f")
        [ "${g%.*}" = "$stem" ] && own=$((own + $(wc -c <"$f")))
        names="${names:+$names+}$g"
    done
    fbytes=$(awk -F'\t' -v n="$name" '$1=="nf" && $2==n {print $4}' "$W/f/prompts.tsv")
    r1=$(ratio "$ubytes" "$whole")
    printf '%-22s %6d %6d %6d %6d %6d | %6s %6s %6s | %6d %6s  %s\n' "$name" \
        "$ubytes" "$fbytes" "$srcb" "$whole" "$code" "$r1" \
        "$(ratio "$fbytes" "$whole")" "$(ratio "$ubytes" "$code")" "$sbytes" \
        "$(ratio $((sbytes + ubytes)) $((sbytes + whole)))" "$names"
    tu=$((tu + ubytes)) tf=$((tf + fbytes)) tw=$((tw + whole)) tc=$((tc + code)) to=$((to + own))
    ts=$((ts + sbytes)) sys=$sbytes n=$((n + 1))
    minr=$(awk -v a="$minr" -v b="$r1" 'BEGIN { print (b < a ? b : a) }')
    maxr=$(awk -v a="$maxr" -v b="$r1" 'BEGIN { print (b > a ? b : a) }')
done <"$W/p/prompts.tsv"
[ "$n" -gt 0 ] || fail "no NF source found under $src"
r1=$(ratio "$tu" "$tw")
echo "columns: user = flowmage's NF-specific bytes (the user message), facts = the same"
echo "  without --source-root, src = its source excerpt, paper = the NF's whole files,"
echo "  code = those files without comments and blank lines, sys = the shared system"
echo "  message; (1) user/paper, nosrc facts/paper, (3) user/code, (2) (sys+user)/(sys+paper)"
echo "NFs: $n; shared system message: $sys bytes, identical for every NF"
echo "(1) NF-specific bytes, flowmage/paper-style: $tu / $tw = $r1 (per NF $minr .. $maxr; without source lines: $(ratio "$tf" "$tw"))"
echo "(2) whole prompts incl. the shared system message: $((ts + tu)) / $((ts + tw)) = $(ratio $((ts + tu)) $((ts + tw)))"
echo "(3) NF-specific bytes vs whole files without comments/blank lines: $tu / $tc = $(ratio "$tu" "$tc")"
echo "    (1) against the NF's own .cc/.hh only (no other included header): $tu / $to = $(ratio "$tu" "$to")"
if awk -v r="$r1" 'BEGIN{exit !(r <= 0.10)}'; then
    echo "target (1) <= 0.10: met"
else
    echo "target (1) <= 0.10: NOT met (see docs/analyze.md, 'Prompt size')"
fi
