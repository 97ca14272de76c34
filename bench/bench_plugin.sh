#!/bin/sh
# Compile time with and without the plugin, alternating, median ratio.
# Corpus: the fixtures (default), or any tree: CORPUS_DIR=/path/src
# CORPUS_FLAGS="-I/path/include -O2" ROUNDS=5.  Target on real code <= 1.03.
set -u
: "${FM_ROOT:?}" "${FM_PLUGIN:?}"
rounds=${ROUNDS:-5}
if [ -n "${CORPUS_DIR:-}" ]; then
    dir=$CORPUS_DIR
    flags=${CORPUS_FLAGS:--O2}
else
    dir=$FM_ROOT/tests/fixtures
    flags="-O2 -Iclicklike/include -Iclicklike -Idpdk"
fi
cd "$dir" || exit 2
files=$(find . -name '*.cc' -o -name '*.cpp' | sort)
[ -n "$files" ] || { echo "no C++ sources under $dir"; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
now() { date +%s%N; }
compile_all() { # extra flags
    for f in $files; do
        # shellcheck disable=SC2086
        g++ -std=gnu++17 $flags "$@" -c "$f" -o "$out/x.o" 2>/dev/null || return 1
    done
}
base="" plug=""
i=0
while [ "$i" -lt "$rounds" ]; do
    t0=$(now); compile_all || exit 1; t1=$(now)
    compile_all -fplugin="$FM_PLUGIN" || { echo "plugin build failed"; exit 1; }; t2=$(now)
    base="$base $(( (t1 - t0) / 1000000 ))"
    plug="$plug $(( (t2 - t1) / 1000000 ))"
    i=$((i + 1))
done
median() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mb=$(median $base) mp=$(median $plug)
n=$(echo "$files" | wc -l)
echo "plugin compile time: $n files, $rounds alternating rounds"
echo "  without plugin: median ${mb} ms   with plugin: median ${mp} ms"
awk -v a="$mp" -v b="$mb" 'BEGIN { printf "  ratio with/without: %.3f (target on real code <= 1.03)\n", a / b }'
