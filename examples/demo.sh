#!/bin/sh
# flowmage's demo: the whole pipeline on the bundled example, offline.
#
#   make demo                      (installs what is missing, builds, runs this)
#   FM_BUILD=build sh examples/demo.sh
#
# 1. compiles the example NFs (examples/nfs/) and the mock device elements
#    with the flowmage GCC plugin, as a FastClick build would be compiled;
# 2. runs `flowmage deploy` (summarize -> analyze -> solve) on the objects
#    and examples/chain.click, with static attributes (no LLM, no network);
# 3. prints the optimized configuration as a diff, the solver's explanation,
#    and a simulation of the chosen and the default RSS setting on a
#    synthetic trace.
#
# Everything is written under $FM_DEMO_DIR (default $FM_BUILD/demo); the
# source tree is only read.  Exits non-zero as soon as a step fails.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
FM_BUILD=${FM_BUILD:-$root/build}
FM_BUILD=$(cd "$FM_BUILD" 2>/dev/null && pwd) || {
    echo "demo: no build directory $FM_BUILD (run 'make demo')" >&2
    exit 2
}
flowmage=$FM_BUILD/flowmage
plugin=$FM_BUILD/flowmage.so
for f in "$flowmage" "$plugin"; do
    [ -f "$f" ] || { echo "demo: $f is missing (run 'make demo')" >&2; exit 2; }
done
out=${FM_DEMO_DIR:-$FM_BUILD/demo}
CXX=${CXX:-g++}
jobs=${FM_DEMO_JOBS:-2}
# The profiles come from this source tree.
FLOWMAGE_DATADIR=$root
export FLOWMAGE_DATADIR

section() {
    printf '\n==> %s\n\n' "$*"
}

start=$(date +%s)
rm -rf "$out/obj" "$out/.flowmage"
mkdir -p "$out/obj"
cp "$root/examples/chain.click" "$out/chain.click"
rm -f "$out/chain.opt.click" "$out/chain.opt.rules"

section "1/5 Compile the example NFs with the flowmage plugin"
# Sources are named relative to the tree, so evidence reads
# "examples/nfs/scanwatch.cc:42".  The framework (tests/fixtures/clicklike)
# is flowmage's own imitation of FastClick's API; the device elements are
# its mock FromDPDKDevice/ToDPDKDevice/Discard.
cd "$root"
fw=tests/fixtures/clicklike
srcs=""
for s in examples/nfs/*.cc "$fw"/elements/*.cc "$fw"/lib/*.cc; do
    case $s in */nfs_main.cc) ;; *) srcs="$srcs $s" ;; esac   # not the test driver
done
flags="-std=gnu++17 -O2 -I$fw/include -fplugin=$plugin"
echo "$CXX $flags -c SOURCE -o $out/obj/NAME.o"
for s in $srcs; do echo "    $s"; done
# xargs stops with a non-zero status if any compile fails.
# shellcheck disable=SC2086,SC2016
printf '%s\n' $srcs | xargs -P "$jobs" -I{} sh -c \
    'o=$(basename "$1" .cc); exec "$2" $3 -c "$1" -o "$4/$o.o"' sh {} "$CXX" "$flags" "$out/obj"
set -- "$out"/obj/*.o
echo "$# objects, each carrying a .flowmage section"

section "2/5 flowmage deploy: summarize -> analyze (static, offline) -> solve"
cd "$out"
echo "flowmage deploy --build obj --config chain.click -o chain.opt.click"
"$flowmage" deploy --build obj --config chain.click -o chain.opt.click 2>&1

section "3/5 The optimized configuration (diff against examples/chain.click)"
rc=0
diff -u --label examples/chain.click --label chain.opt.click chain.click chain.opt.click || rc=$?
[ "$rc" -le 1 ] || exit "$rc"
[ "$rc" -eq 1 ] || { echo "demo: the configuration did not change" >&2; exit 1; }
echo
echo "chain.opt.rules, the flow rules FastClick installs on the port (MODE flow):"
cat chain.opt.rules

section "4/5 Why: the solver's explanation"
# deploy kept its intermediate results in .flowmage/; any stage can be
# rerun from them, here solve, to explain the decision without writing.
echo "flowmage solve chain.click --attrs .flowmage/attrs.json -o chain.opt.click --explain --dry-run -q"
"$flowmage" solve chain.click --attrs .flowmage/attrs.json -o chain.opt.click \
    --explain --dry-run -q

section "5/5 Simulation: chosen (*) vs default (d) RSS on a synthetic trace"
spec="flows=50000,packets=1M,zipf=1.0,srcs=5000,dsts=500,seed=1"
echo "flowmage simulate --config chain.click --attrs .flowmage/attrs.json \\"
echo "    --synthetic $spec --top 3"
"$flowmage" simulate --config chain.click --attrs .flowmage/attrs.json \
    --synthetic "$spec" --top 3

end=$(date +%s)
printf '\ndemo: done in %ss; files in %s\n' "$((end - start))" "$out"
