#!/bin/sh
# Long Click arguments (issue 12, item 9): the variable-expansion limit
# counts only what $variables add, so a 2 MB argument without '$' is
# solved, while a definition that grows past the limit is still refused
# with its position.
. "$FM_ROOT/tests/sh/lib.sh"
cd "$T" || exit 1
attrs="$FM_ROOT/tests/solve/attrs.json"
awk 'BEGIN { s = "a"; while (length(s) < 2000000) s = s s;
             print "in :: FromDPDKDevice(0, N_QUEUES 4);";
             print "in -> Classifier(" s ") -> pol :: Policer(RATE 1) -> Discard;" }' >big.click
assert test "$(wc -c <big.click)" -gt 2000000
"$FM_BIN" solve big.click --attrs "$attrs" -o big.opt.click -q 2>e.txt
assert_eq "$?" 0 "2 MB argument without \$: solved"
assert_eq "$(cat e.txt)" "" "no error"
assert_eq "$(grep -c 'FromDPDKDevice(0, N_QUEUES 4, MODE flow' big.opt.click)" 1 "rewritten"
# 2^21 bytes through nested definitions: refused, located
{
    echo 'define($a0 xxxxxxxxxxxxxxxx)'
    i=1
    while [ $i -le 17 ]; do echo "define(\$a$i \$a$((i - 1))\$a$((i - 1)))"; i=$((i + 1)); done
    echo 'in :: FromDPDKDevice(0, N_QUEUES 4);'
    echo 'in -> Classifier($a17) -> Discard;'
} >grow.click
"$FM_BIN" solve grow.click --attrs "$attrs" -o grow.opt.click -q 2>e.txt
assert_eq "$?" 2 "exponential definitions: refused"
assert_contains "$(cat e.txt)" "grow.click:" "located"
assert_contains "$(cat e.txt)" "expand to more than" "says why"
t_done "a 2 MB argument without \$ is solved; definitions growing past the limit are refused"
