#!/bin/sh
# The plugin's options (issue 12, item 9): an unknown option, a known one
# without its value or with a bad one, and a dump-dir that cannot be
# written are each said in one line with -fplugin-arg-flowmage-verbose,
# and nothing at all is printed without it (configure scripts take any
# compiler output for a failure); the compilation succeeds either way and
# a good option still works.
. "$FM_ROOT/tests/sh/lib.sh"
cd "$T" || exit 1
echo 'int f(int x) { return x + 1; }' >a.c
echo file >plainfile
P="-fplugin=$FM_PLUGIN"
V=-fplugin-arg-flowmage-verbose

check_option() { # option expected-verbose-text what
    gcc -c $P "$1" a.c -o a.o 2>quiet.txt
    assert_eq "$?" 0 "$3: compiles"
    assert_eq "$(cat quiet.txt)" "" "$3: silent without verbose"
    gcc -c $P $V "$1" a.c -o a.o 2>loud.txt
    assert_eq "$?" 0 "$3: compiles with verbose"
    assert_contains "$(cat loud.txt)" "$2" "$3: said with verbose"
}
check_option -fplugin-arg-flowmage-bogus=1 \
    "flowmage: unknown option -fplugin-arg-flowmage-bogus ignored (known: compress, dump-dir, exclude, max-events, verbose)" \
    "unknown option"
check_option -fplugin-arg-flowmage-colour \
    "flowmage: unknown option -fplugin-arg-flowmage-colour ignored" "unknown option without value"
check_option -fplugin-arg-flowmage-max-events=lots \
    "option -fplugin-arg-flowmage-max-events ignored: it needs an integer in 1..100000000, got 'lots'" \
    "bad max-events"
check_option -fplugin-arg-flowmage-max-events=99999999999999999999 \
    "got '99999999999999999999'" "max-events out of range"
check_option -fplugin-arg-flowmage-dump-dir \
    "option -fplugin-arg-flowmage-dump-dir ignored: it needs a value" "dump-dir without value"
check_option -fplugin-arg-flowmage-dump-dir="$T/missing" \
    "flowmage: dump-dir $T/missing: No such file or directory: no dump can be written there" \
    "missing dump-dir"
assert_contains "$(cat loud.txt)" "a.c: cannot write the facts dump into $T/missing" \
    "the failed dump is reported too"
check_option -fplugin-arg-flowmage-dump-dir="$T/plainfile" \
    "dump-dir $T/plainfile is not a directory" "dump-dir is a file"
# a good dump-dir still gets its dump, silently
mkdir dumps
gcc -c $P -fplugin-arg-flowmage-dump-dir="$T/dumps" a.c -o a.o 2>quiet.txt
assert_eq "$(cat quiet.txt)" "" "good dump-dir: silent"
assert_eq "$(ls dumps | grep -c '^a\.c\.[0-9]*\.fmg$')" 1 "good dump-dir: one dump"
# units are stored as they are unless compress asks for them deflated
# (header flags, byte 6 of the section); both read back as the same facts
i=0
while [ $i -lt 40 ]; do
    echo "struct s$i { int a, b; }; int g$i(struct s$i *p, int k) { if (k) p->a += k; return p->b; }"
    i=$((i + 1))
done >big.c
gcc -c $P big.c -o raw.o && gcc -c $P -fplugin-arg-flowmage-compress big.c -o z.o
assert_eq "$?" 0 "compress: compiles"
flags() { objcopy --dump-section .flowmage="$1.sec" "$1" /dev/null && od -An -tu1 -j6 -N1 "$1.sec" | tr -d ' '; }
assert_eq "$(flags raw.o)" 0 "default: stored as is"
assert_eq "$(flags z.o)" 1 "compress: deflated"
assert [ "$(stat -c %s z.o.sec)" -lt "$(stat -c %s raw.o.sec)" ]
"$FM_BIN" dump raw.o >raw.txt && "$FM_BIN" dump z.o >z.txt
assert_eq "$?" 0 "both read"
assert_eq "$(cmp raw.txt z.txt && echo same)" same "same facts either way"
t_done "unknown options, missing and bad values, unwritable dump-dir: one line with verbose, silence without; units stored as is, or deflated with compress, read back the same"
