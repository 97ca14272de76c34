#!/bin/sh
# flowmage solve on the configurations of tests/solve/: the rewritten
# configuration, the rules files, the --explain text, and for two of them the
# --json report and --dot drawing, compared byte for byte with the reviewed
# tests/solve/*.expected files.  `make regen-golden` (FM_REGEN=1) rewrites
# them; review the diff like code.
. "$FM_ROOT/tests/sh/lib.sh"
export FLOWMAGE_DATADIR="$FM_ROOT"
S="$FM_ROOT/tests/solve"
cd "$T" || exit 1

# name  config  extra options
run_case() {
    name=$1 cfg=$2
    shift 2
    cp "$S/$cfg.click" "$name.click"
    if "$FM_BIN" solve "$name.click" --attrs "$S/attrs.json" -o "$name.opt.click" \
        --rules-file "$name.rules" --explain -q "$@" >"$name.explain" 2>"$name.err"; then
        t_ok
    else
        t_bad "$name: solve failed: $(cat "$name.err")"
        return
    fi
    assert_golden "$name.opt.click" "$S/$name.opt.click.expected" "$name: configuration"
    assert_golden "$name.explain" "$S/$name.explain.expected" "$name: --explain"
    for r in "$name".rules "$name".*.rules; do
        [ -f "$r" ] && assert_golden "$r" "$S/$r.expected" "$name: rules $r"
    done
}

run_case scan16 scan16
run_case scan16-ixgbe scan16 --nic ixgbe
cp "$S/cm-src-high.json" .   # relative, so the golden text names no checkout path
run_case scan16-ixgbe-high scan16 --nic ixgbe --cost-model cm-src-high.json
run_case policer policer
run_case nat nat
run_case nat-hashfunc nat --dialect hashfunc
run_case nat-directional nat --directional --nic "$S/nic-nosym.json"
run_case branchy branchy
run_case compound compound
run_case compound-twice compound-twice
run_case multiline multiline
run_case flowmgr flowmgr
run_case missing missing

"$FM_BIN" solve scan16.click --attrs "$S/attrs.json" -o scan16.opt.click \
    --rules-file scan16.rules -q --dry-run --json scan16.json
assert_golden scan16.json "$S/scan16.json.expected" "scan16: --json report"
"$FM_BIN" solve branchy.click --attrs "$S/attrs.json" -o branchy.opt.click \
    --rules-file branchy.rules -q --dry-run --dot branchy.dot
assert_golden branchy.dot "$S/branchy.dot.expected" "branchy: --dot drawing"

t_done "golden outputs of 13 solve runs (configs, rules, explain), a JSON report, a DOT drawing"
