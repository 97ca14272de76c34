#!/bin/sh
# Build the Click parser fuzzer (clang, libFuzzer + ASan + UBSan) and run it.
#   FM_BUILD   build directory (the fuzzer goes to $FM_BUILD/fuzz)
#   CLANG      clang to use (default clang)
#   FUZZ_TIME  seconds to run (default 60)
#   FUZZ_RUNS  optional: stop after this many inputs
# Prints "SKIP ..." and exits 0 when clang or its fuzzer runtime is missing.
# New interesting inputs go to $FM_BUILD/fuzz/corpus; the seed corpus in
# tests/fuzz/corpus is only read.  A crash leaves $FM_BUILD/fuzz/crash-*.
set -u
: "${FM_BUILD:?FM_BUILD must point at a build directory}"
root=$(cd "$(dirname "$0")/../.." && pwd)
clang=${CLANG:-clang}
out="$FM_BUILD/fuzz"
mkdir -p "$out/corpus"
probe="$out/probe.c"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe"
if ! "$clang" -fsanitize=fuzzer "$probe" -o "$out/probe" >/dev/null 2>&1; then
    echo "SKIP fuzz: $clang cannot link -fsanitize=fuzzer (install clang and libclang-rt-dev)"
    exit 0
fi
# the parser is solver/click/click_*.c and depends only on common/util.c
srcs="$root/tests/fuzz/fuzz_click.c $root/common/util.c $(echo "$root"/solver/click/click_*.c)"
# shellcheck disable=SC2086
if ! "$clang" -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=undefined -I"$root/include" \
        -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $srcs -o "$out/fuzz_click"; then
    echo "FAIL fuzz: cannot build the fuzzer"
    exit 1
fi
set -- "$out/corpus" "$root/tests/fuzz/corpus" -dict="$root/tests/fuzz/click.dict" \
    -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/" -max_total_time="${FUZZ_TIME:-60}"
[ -n "${FUZZ_RUNS:-}" ] && set -- "$@" -runs="$FUZZ_RUNS"
"$out/fuzz_click" "$@" 2>"$out/fuzz.log"
status=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log" | tail -1)
if [ "$status" -ne 0 ]; then
    tail -40 "$out/fuzz.log"
    echo "FAIL fuzz: the Click parser fuzzer found a problem (see $out/fuzz.log, $out/crash-*)"
    exit 1
fi
echo "fuzz: ${execs:-?} inputs run, no crash (log: $out/fuzz.log)"
