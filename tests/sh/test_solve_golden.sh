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
run_case fig7 fig7
run_case twoport twoport

"$FM_BIN" solve scan16.click --attrs "$S/attrs.json" -o scan16.opt.click \
    --rules-file scan16.rules -q --dry-run --json scan16.json
assert_golden scan16.json "$S/scan16.json.expected" "scan16: --json report"
"$FM_BIN" solve branchy.click --attrs "$S/attrs.json" -o branchy.opt.click \
    --rules-file branchy.rules -q --dry-run --dot branchy.dot
assert_golden branchy.dot "$S/branchy.dot.expected" "branchy: --dot drawing"

"$FM_BIN" solve twoport.click --attrs "$S/attrs.json" -o twoport.opt.click \
    --rules-file twoport.rules -q --dry-run --json twoport.json --dot fig7-twoport.dot
assert_golden twoport.json "$S/twoport.json.expected" "twoport: --json report (keys per port)"
"$FM_BIN" solve fig7.click --attrs "$S/attrs.json" -o fig7.opt.click \
    --rules-file fig7.rules -q --dry-run --dot fig7.dot
assert_golden fig7.dot "$S/fig7.dot.expected" "fig7: --dot drawing (NF modes)"

# solving an output again changes nothing and writes no rules file
touch -d @1000000000 ./*.rules
touch -d @1000000001 rules.stamp
for name in fig7 twoport; do
    "$FM_BIN" solve "$name.opt.click" --attrs "$S/attrs.json" -o "$name.again.click" \
        --explain -q >"$name.again.explain" 2>&1
    assert cmp -s "$name.opt.click" "$name.again.click"
    assert_contains "$(cat "$name.again.explain")" "edits: none (the configuration already says \
this: the output equals the input, no rules file written)" "$name: solved again: no-op"
    assert test -z "$(find . -name "$name*.rules" -newer rules.stamp)"
done

t_done "golden outputs of 15 solve runs (configs, rules, explain), two JSON reports, two DOT drawings; solving the output again is a no-op"
