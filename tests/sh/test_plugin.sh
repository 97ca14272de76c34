# The GCC plugin: silent, never changes generated code, carries facts in a
# non-allocated .flowmage section for C and C++ at -O0/-O2/-O3, survives
# -flto builds and a large hostile unit, honours its options.
. "$FM_ROOT/tests/sh/lib.sh"
FX="$FM_ROOT/tests/fixtures"
CXXF="-std=gnu++17 -Iclicklike/include -Iclicklike -Idpdk"
cd "$FX" || exit 2

# 1. same object code with and without the plugin, and not a word printed
for O in -O0 -O2 -O3; do
    for src in nfs/policer.cc nfs/symconnmarker.cc nfs/fivetuplecounter.cc \
               clicklike/lib/nfs_main.cc dpdk/flow_counter.c; do
        case $src in
        *.c) comp="gcc -std=c11 -Idpdk" ;;
        *) comp="g++ $CXXF" ;;
        esac
        $comp $O -c "$src" -o "$T/a.o"
        $comp $O -fplugin="$FM_PLUGIN" -c "$src" -o "$T/b.o" >"$T/out" 2>&1
        assert_eq "$?:$(cat "$T/out")" "0:" "compiling $src $O with the plugin"
        objcopy "$T/a.o" "$T/a2.o"
        objcopy --remove-section=.flowmage "$T/b.o" "$T/b2.o"
        if cmp -s "$T/a2.o" "$T/b2.o"; then t_ok; else t_bad "$src $O: object differs beyond .flowmage"; fi
        # "[Nr] Name Type Address Off Size ES Flg Lk Inf Al": no Flg column
        # at all means flags "" (not allocated, not "e"xcluded)
        sec=$(readelf -SW "$T/b.o" | awk '/ \.flowmage / { sub(/^.*\]/, ""); print $2, NF }')
        assert_eq "$sec" "PROGBITS 9" ".flowmage is a flagless PROGBITS section in $src $O"
    done
done

# 2. a C unit is recorded as C, with its functions
"$FM_BIN" dump --no-types "$T/b.o" >"$T/c.json"
assert_contains "$(cat "$T/c.json")" '"language": "GNU C' "C unit language"
assert_contains "$(cat "$T/c.json")" '"name": "flow_counter_process"' "C function recorded"
assert_contains "$(cat "$T/c.json")" '"path": "struct rte_ipv4_hdr.src_addr"' "C struct field load"

# 3. -flto: objects carry the facts, the program links and runs
if sh ./build.sh "$T/lto" -O2 -flto -fplugin="$FM_PLUGIN" >"$T/lto.log" 2>&1; then
    t_ok
    assert "$T/lto/nfs-bin" >/dev/null
    n=$("$FM_BIN" dump --stats "$T/lto/policer.o" | awk '$1 == "functions" { print $2 }')
    if [ "${n:-0}" -gt 5 ]; then t_ok; else t_bad "-flto object has $n functions"; fi
else
    t_bad "-flto build failed: $(tail -5 "$T/lto.log")"
fi

# 4. thousands of functions, templates, lambdas, exceptions, multiple and
#    virtual inheritance, varargs, computed goto, inline asm
sh "$FM_ROOT/tests/sh/gen_stress.sh" 3000 >"$T/stress.cc"
for O in -O0 -O2; do
    g++ -std=gnu++17 $O -fplugin="$FM_PLUGIN" -c "$T/stress.cc" -o "$T/stress.o" >"$T/out" 2>&1
    assert_eq "$?:$(head -c 300 "$T/out")" "0:" "stress unit $O compiles silently"
    n=$("$FM_BIN" dump --stats "$T/stress.o" | awk '$1 == "functions" { print $2 }')
    if [ "${n:-0}" -ge 3000 ]; then t_ok; else t_bad "stress unit $O: $n functions recorded"; fi
done

# 5. options: dump directory, exclude list, verbose statistics
mkdir -p "$T/dumps"
g++ $CXXF -O0 -fplugin="$FM_PLUGIN" -fplugin-arg-flowmage-dump-dir="$T/dumps" \
    -fplugin-arg-flowmage-exclude="clicklike/" -fplugin-arg-flowmage-verbose \
    -c nfs/policer.cc -o "$T/p.o" 2>"$T/verbose"
assert_contains "$(cat "$T/verbose")" "functions" "verbose prints statistics"
set -- "$T"/dumps/policer.cc.*.fmg
assert test -f "$1"
"$FM_BIN" dump --no-types "$1" >"$T/raw.json"
assert_contains "$(cat "$T/raw.json")" '"name": "Policer::calculate_hash"' "raw .fmg dump readable"
"$FM_BIN" dump --no-types -f "Packet::ip_header" "$T/p.o" >"$T/ex.json"
assert_contains "$(cat "$T/ex.json")" '"excluded"' "functions under an excluded prefix are marked"
assert_contains "$(cat "$T/ex.json")" '"events": []' "excluded functions carry no events"

# 6. facts survive an archive and a link
ar rcs "$T/lib.a" "$T/p.o"
assert_contains "$("$FM_BIN" dump --no-types -f calculate_hash "$T/lib.a")" "Policer::calculate_hash" \
    "facts read from an archive"
# 7. comparisons with zero record what they test: C++'s `!flag` of a bool
#    (GIMPLE: (b ^ 1) != 0) is "b == 0"; `(x & m) == 0` is no test of x
#    being zero (x = 2, m = 1)
cat >"$T/zt.cc" <<'EOF2'
struct St { bool seen; int tokens, mask; };
static inline bool seen(const St *s) { return s->seen; }
void first(St *s) { if (!seen(s)) s->tokens = 1; }
void again(St *s) { if (seen(s)) s->tokens = 2; }
void masked(St *s) { if ((s->tokens & s->mask) == 0) s->tokens = 3; }
EOF2
for O in -O0 -O2; do
    g++ -std=gnu++17 $O -fplugin="$FM_PLUGIN" -c "$T/zt.cc" -o "$T/zt.o"
    c1=$("$FM_BIN" dump --no-types -f first "$T/zt.o" | tr -d ' \n' | grep -o '"kind":"cond"[^}]*')
    assert_contains "$c1" '"cmp":"=="' "!seen() is recorded as seen() == 0 ($O)"
    assert_contains "$c1" '"lhs":["ev0"]' "the tested value is the call's result ($O)"
    assert_contains "$c1" '"rhs_zero":true' "a zero test ($O)"
    c2=$("$FM_BIN" dump --no-types -f again "$T/zt.o" | tr -d ' \n' | grep -o '"kind":"cond"[^}]*')
    assert_contains "$c2" '"cmp":"!="' "seen() is recorded as seen() != 0 ($O)"
    c3=$("$FM_BIN" dump --no-types -f masked "$T/zt.o" | tr -d ' \n' | grep -o '"kind":"cond"[^}]*')
    assert_contains "$c3" '"cmp":"=="' "the masked test is recorded ($O)"
    assert_not_contains "$c3" 'rhs_zero' "(x & m) == 0 is no zero test of x ($O)"
done
t_done "silent, identical code (-O0/-O2/-O3, C and C++), section flags, -flto, 3000-function stress unit, options, archives, zero tests"
