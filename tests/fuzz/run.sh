#!/bin/sh
# Build flowmage's fuzz harnesses (clang, libFuzzer + ASan + UBSan with
# float-cast-overflow) and run them, one after the other.
#
#   sh tests/fuzz/run.sh [NAME...]    (default: every tests/fuzz/fuzz_NAME.c)
#     click    the Click parser (solver/click)
#     attrs    attrs.json                 summary  one summary file
#     nic      NIC profiles               cost     cost models
#     profile  framework profiles         section  .flowmage sections
#     pcap     pcap/pcapng traces         synth    --synthetic trace specs
#
#   FM_BUILD   build directory (everything goes under $FM_BUILD/fuzz)
#   CLANG      clang to use (default clang)
#   FUZZ_TIME  seconds per harness (default 60)
#   FUZZ_RUNS  optional: stop each harness after this many inputs
#
# Each harness first runs its regression inputs (tests/fuzz/regress/NAME:
# inputs that crashed once) and its seeds (tests/fuzz/corpus/NAME, plus
# the tree's own files of that format: profiles, the tests' attributes and
# summaries, the fixtures' objects), then mutates them.  New interesting
# inputs go to $FM_BUILD/fuzz/NAME/corpus.  One line per harness:
#   fuzz NAME: N inputs run (R/s), no crash
# A crash prints the end of the log, leaves $FM_BUILD/fuzz/NAME/crash-*
# and makes the script exit 1.  Prints "SKIP ..." and exits 0 when clang
# or its fuzzer runtime is missing.
set -u
: "${FM_BUILD:?FM_BUILD must point at a build directory}"
root=$(cd "$(dirname "$0")/../.." && pwd)
clang=${CLANG:-clang}
out="$FM_BUILD/fuzz"
mkdir -p "$out"
probe="$out/probe.c"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe"
if ! "$clang" -fsanitize=fuzzer "$probe" -o "$out/probe" >/dev/null 2>&1; then
    echo "SKIP fuzz: $clang cannot link -fsanitize=fuzzer (install clang and libclang-rt-dev)"
    exit 0
fi

# The library sources the harnesses reach (a harness that needs another
# fails to link, naming the symbol: add its file here).
lib_src="$(cd "$root" && echo common/*.c solver/click/*.c solver/rss/*.c \
    summarize/summary_json.c summarize/profile.c summarize/program.c summarize/reader.c \
    summarize/dump.c solver/solve_profile.c solver/solve_cost.c \
    simulate/pcap.c simulate/trace.c simulate/synth.c)"
objs=""
for s in $lib_src; do objs="$objs $out/lib/obj/${s%.c}.o"; done
# shellcheck disable=SC2086
if ! make -s -C "$root" BUILD="$out/lib" CC="$clang" SAN=1 OPT="-O1 -g" WERROR=0 \
        CFLAGS="-fsanitize=fuzzer-no-link" $objs >"$out/lib.log" 2>&1; then
    tail -30 "$out/lib.log"
    echo "FAIL fuzz: cannot build the instrumented library (see $out/lib.log)"
    exit 1
fi
# shellcheck disable=SC2086
ar rcs "$out/libfuzz.a.$$" $objs && mv -f "$out/libfuzz.a.$$" "$out/libfuzz.a"

san="-fsanitize=fuzzer,address,undefined,float-cast-overflow"
san="$san -fno-sanitize-recover=undefined,float-cast-overflow"
cflags="-g -O1 -std=c11 -I$root/include -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE"

# copy FILE... into DIR (last argument) under names made from their paths
cp_seeds() {
    eval "to=\${$#}"
    while [ $# -gt 1 ]; do
        [ -f "$1" ] && cp "$1" "$to/$(echo "${1#"$root"/}" | tr / _)"
        shift
    done
}

# seeds NAME DIR: the tree's own files of the harness's format
seeds() {
    case "$1" in
    attrs) cp_seeds "$root"/tests/solve/attrs*.json "$root"/tests/sh/check/*.json \
              "$root"/tests/sh/simulate/attrs.json "$root"/tests/analyze/static.golden.json "$2" ;;
    summary) for f in "$root"/tests/analyze/chain/*.json; do
                 case "$f" in */index.json) ;; *) cp_seeds "$f" "$2" ;; esac
             done ;;
    nic) cp_seeds "$root"/profiles/nics/*.json "$2" ;;
    cost) cp_seeds "$root"/tests/solve/cm-*.json "$2" ;;
    profile) cp_seeds "$root"/profiles/*.json "$2" ;;
    section)
        "$clang" -O1 -I"$root/include" "$root/tests/fuzz/seed_section.c" -lz \
            -o "$out/seed_section" || return 1
        for o in "$FM_BUILD"/fixtures/O0/*.o "$FM_BUILD"/fixtures/O2/*.o; do
            [ -f "$o" ] || continue
            b=$(basename "$(dirname "$o")")-$(basename "$o" .o)
            objcopy --dump-section .flowmage="$out/section/$b.fmg" "$o" "$out/section/scratch.o" \
                2>/dev/null && "$out/seed_section" "$2" "$out/section/$b.fmg"
            rm -f "$out/section/$b.fmg" "$out/section/scratch.o"
        done
        # small units only: a mutation of a 200 KB unit costs 50 ms
        find "$2" -type f -size +16k -exec rm -f {} + ;;
    esac
    return 0
}

# dict NAME: the click dictionary, or the quoted words of the JSON seeds
dict() {
    if [ "$1" = click ]; then
        echo "$root/tests/fuzz/click.dict"
        return
    fi
    d="$out/$1/dict"
    {
        printf '"true"\n"false"\n"null"\n"1e999"\n"-1"\n"0.5"\n"{}"\n"[]"\n"\\"\\""\n'
        cat "$out/$1/seed"/* 2>/dev/null | tr -c 'A-Za-z0-9_.+:/=-' '\n' |
            grep -E '^[A-Za-z_][A-Za-z0-9_.+:/=-]{1,40}$' | sort -u | head -400 |
            sed 's/.*/"&"/'
    } >"$d"
    echo "$d"
}

names="${*:-$(cd "$root/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}"
failed=0
for n in $names; do
    src="$root/tests/fuzz/fuzz_$n.c"
    if [ ! -f "$src" ]; then
        echo "FAIL fuzz: no harness $src"
        failed=1
        continue
    fi
    dir="$out/$n"
    mkdir -p "$dir/corpus"
    rm -rf "$dir/seed"
    mkdir -p "$dir/seed"
    [ -d "$root/tests/fuzz/corpus/$n" ] && cp "$root/tests/fuzz/corpus/$n"/* "$dir/seed/"
    if ! seeds "$n" "$dir/seed" || ! "$clang" $cflags $san "$src" "$out/libfuzz.a" \
            -lelf -lcjson -lpcap -lz -lm -lpthread -o "$dir/fuzz_$n" 2>"$dir/build.log"; then
        tail -20 "$dir/build.log"
        echo "FAIL fuzz: cannot build fuzz_$n (see $dir/build.log)"
        failed=1
        continue
    fi
    set -- "$dir/corpus" "$dir/seed"
    [ -d "$root/tests/fuzz/regress/$n" ] && set -- "$@" "$root/tests/fuzz/regress/$n"
    set -- "$@" -dict="$(dict "$n")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/" -max_total_time="${FUZZ_TIME:-60}"
    case "$n" in click) set -- "$@" -max_len=4096 ;; section) set -- "$@" -max_len=16384 ;; esac
    [ -n "${FUZZ_RUNS:-}" ] && set -- "$@" -runs="$FUZZ_RUNS"
    start=$(date +%s)
    "$dir/fuzz_$n" "$@" 2>"$dir/fuzz.log"
    status=$?
    secs=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -1)
    if [ "$status" -ne 0 ]; then
        tail -40 "$dir/fuzz.log"
        echo "FAIL fuzz $n: the harness found a problem (see $dir/fuzz.log, $dir/crash-*)"
        failed=1
        continue
    fi
    echo "fuzz $n: ${execs:-?} inputs run ($(( ${execs:-0} / (secs > 0 ? secs : 1) ))/s), no crash"
done
exit "$failed"
