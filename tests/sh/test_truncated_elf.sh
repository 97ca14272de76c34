#!/bin/sh
# Truncated objects and archives (issue 12, item 5) are errors naming the
# file, exit 2 -- not objects without facts (which `dump` used to accept
# with exit 0, and `summarize` then blamed the profile for): an object cut
# anywhere (inside the header, before its section header table, one byte
# short), an archive cut inside its symbol table, a member or the last
# member; the intact files still load.
. "$FM_ROOT/tests/sh/lib.sh"
export FLOWMAGE_DATADIR="$FM_ROOT"
obj="$FM_BUILD/fixtures/O0/policer.o"
ar="$FM_BUILD/fixtures/O2/libnfs.a"
osize=$(stat -c %s "$obj")
asize=$(stat -c %s "$ar")

expect_truncated() { # file what
    "$FM_BIN" dump --stats "$1" >/dev/null 2>"$T/err"
    assert_eq "$?" 2 "$2: dump exit status"
    assert_contains "$(cat "$T/err")" "flowmage: $1" "$2: names the file"
    assert_contains "$(cat "$T/err")" "truncated" "$2: says truncated"
    assert_eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "$2: one line"
}

for n in 20 64 100 4000 $((osize / 2)) $((osize - 1)); do
    head -c "$n" "$obj" >"$T/cut$n.o"
    expect_truncated "$T/cut$n.o" "object cut at $n of $osize bytes"
done
for n in 30 100 5000 $((asize / 2)) $((asize - 1)); do
    head -c "$n" "$ar" >"$T/cut$n.a"
    expect_truncated "$T/cut$n.a" "archive cut at $n of $asize bytes"
done
# summarize names the file, not the profile
"$FM_BIN" summarize "$T/cut4000.o" -o "$T/sums" 2>"$T/err"
assert_eq "$?" 2 "summarize exit status"
assert_contains "$(cat "$T/err")" "cut4000.o: truncated ELF file" "summarize blames the file"
assert_not_contains "$(cat "$T/err")" "profile" "not the profile"
assert test ! -e "$T/sums"
# the intact files load
assert_contains "$("$FM_BIN" dump --stats "$obj")" "units 1" "intact object"
"$FM_BIN" dump --stats "$ar" >"$T/out" 2>"$T/err"
assert_eq "$?" 0 "intact archive"
assert_eq "$(cat "$T/err")" "" "intact archive: no error"
t_done "objects and archives cut at 11 places: one-line error naming the file, exit 2; intact files load"
