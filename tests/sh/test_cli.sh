#!/bin/sh
# The CLI skeleton every command shares (cli/options.c): -h/--help prints
# the command's usage on stdout and exits 0; a usage error is exactly one
# line "flowmage: CMD: what (see 'flowmage CMD --help')" on stderr, nothing on
# stdout, exit 2; the shared options (--cores, --nic, -p/--profile,
# -q/--quiet, -o) are spelled and checked alike; the version is the same
# everywhere it is shown.
. "$FM_ROOT/tests/sh/lib.sh"
export FLOWMAGE_DATADIR="$FM_ROOT"
cd "$T" || exit 1
COMMANDS="dump summarize analyze solve simulate check deploy"

# run ARGS...: exit status in $rc, outputs in out.txt / err.txt
run() { "$FM_BIN" "$@" >out.txt 2>err.txt; rc=$?; }
# usage_error WANT ARGS...: exit 2, nothing on stdout, exactly the one line
usage_error() {
    want=$1; shift
    run "$@"
    assert_eq "$rc" 2 "exit status of: $*"
    assert_eq "$(cat out.txt)" "" "stdout of: $*"
    assert_eq "$(cat err.txt)" "$want" "stderr of: $*"
}

for c in $COMMANDS; do
    for h in --help -h; do
        run "$c" "$h"
        assert_eq "$rc" 0 "$c $h exit status"
        assert_contains "$(head -1 out.txt)" "usage: flowmage $c " "$c $h prints its usage"
        assert_eq "$(cat err.txt)" "" "$c $h writes nothing on stderr"
    done
    hint="(see 'flowmage $c --help')"
    usage_error "flowmage: $c: unknown option '--frobnicate' $hint" "$c" --frobnicate
    usage_error "flowmage: $c: unknown option '-Z' $hint" "$c" -Z
    usage_error "flowmage: $c: option '--help' takes no value $hint" "$c" --help=yes
done

# missing values, long and short, and ambiguous prefixes
usage_error "flowmage: solve: option '--attrs' needs a value (see 'flowmage solve --help')" \
    solve x.click --attrs
usage_error "flowmage: dump: option '-o' needs a value (see 'flowmage dump --help')" dump x.o -o
usage_error "flowmage: dump: option '-f' needs a value (see 'flowmage dump --help')" dump x.o -f
usage_error "flowmage: solve: option '--c' is ambiguous: --cores, --cost-model (see 'flowmage solve --help')" \
    solve x.click --c 4
usage_error "flowmage: deploy: option '--quiet' takes no value (see 'flowmage deploy --help')" \
    deploy --quiet=1

# --cores: one parser, one wording, each command's range
for c in solve deploy; do
    usage_error "flowmage: $c: --cores needs an integer in 1..65535, got 'x' (see 'flowmage $c --help')" \
        "$c" --cores x
    usage_error "flowmage: $c: --cores needs an integer in 1..65535, got '0' (see 'flowmage $c --help')" \
        "$c" --cores 0
done
usage_error "flowmage: simulate: --cores needs an integer in 1..1024, got '2000' (see 'flowmage simulate --help')" \
    simulate --cores 2000

# the shared options do what they say, in every command that takes them
S="$FM_ROOT/tests/solve"
cp "$S/scan16.click" chain.click
run solve chain.click --attrs "$S/attrs.json" -p fastclick --nic mlx5 --cores 4 -q -o opt.click
assert_eq "$rc" 0 "solve with -p --nic --cores -q -o"
assert_eq "$(cat out.txt err.txt)" "" "solve -q prints nothing"
assert "test" -s opt.click
run solve chain.click --attrs "$S/attrs.json" -p nosuchprofile --dry-run
assert_eq "$rc" 2 "solve -p names the profile"
assert_contains "$(cat err.txt)" "nosuchprofile" "solve -p: the error names it"
run analyze "$FM_ROOT/tests/analyze/chain" -q -o attrs.json
assert_eq "$rc" 0 "analyze -q"
assert_eq "$(cat out.txt err.txt)" "" "analyze -q prints nothing"
assert "test" -s attrs.json
run simulate --config chain.click --attrs "$S/attrs.json" --synthetic "flows=100,packets=1k" \
    -q --cores 4 --nic mlx5 -p fastclick --json sim.json
assert_eq "$rc" 0 "simulate with -q --cores --nic -p"
assert_eq "$(cat out.txt)" "" "simulate -q: no table"
assert "test" -s sim.json

# the program itself
run
assert_eq "$rc" 2 "no command: exit status"
assert_contains "$(cat err.txt)" "usage: flowmage COMMAND" "no command: the usage"
run frobnicate
assert_eq "$rc" 2 "unknown command: exit status"
assert_eq "$(wc -l <err.txt)" 1 "unknown command: one line"
assert_contains "$(cat err.txt)" "flowmage: unknown command 'frobnicate' (one of dump, summarize" \
    "unknown command: the line"
run --help
assert_eq "$rc" 0 "flowmage --help"

# the version: include/flowmage/version.h, --version, the man page, the plugin
v=$(sed -n 's/^#define FM_VERSION "\(.*\)"$/\1/p' "$FM_ROOT/include/flowmage/version.h")
assert_eq "$("$FM_BIN" --version)" "flowmage $v" "--version"
assert_contains "$(head -1 "$FM_ROOT/docs/flowmage.1")" "\"flowmage $v\"" "the man page's version"
plugin=$(echo 'int x;' | gcc -fplugin="$FM_PLUGIN" -v -x c -c - -o /dev/null 2>&1)
assert_contains "$plugin" "flowmage: $v" "the plugin's plugin_info version"
if ! grep -rn --include='*.c' --include='*.cc' --include='*.h' '"[0-9]\+\.[0-9]\+\.[0-9]\+"' \
        "$FM_ROOT/cli" "$FM_ROOT/common" "$FM_ROOT/plugin" "$FM_ROOT/include" |
        grep -v 'include/flowmage/version.h' >versions.txt; then
    t_ok
else
    t_bad "a version string outside include/flowmage/version.h: $(cat versions.txt)"
fi

t_done "--help exits 0 for every command, usage errors one line + exit 2, shared options alike, the version in one place"
