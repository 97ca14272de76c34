#!/bin/sh
# Toeplitz RSS hashing speed: fm_rss_hash (key passed per call) and the
# table-driven fm_toeplitz_ctx_rss_hash, against a naive bit-by-bit
# reference (Microsoft's pseudocode: per input bit, XOR the leading 32 key
# bits, shift the key by one), all on the same IPv4 TCP 4-tuples in the same
# run.  Target: the ctx path >= 20 M hashes/s per core (simulate replays
# traces through it).
#
# Builds a small C driver against the library sources with the Makefile's
# default optimisation (-O2 -g), so it runs even when other parts of the
# tree do not build.  Env: FM_ROOT (source tree), CC, BENCH_N (hashes per
# timed pass, default 20000000).
set -eu
: "${FM_ROOT:?}"
CC=${CC:-gcc}
N=${BENCH_N:-20000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/bench.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowmage/toeplitz.h"

#define NT 4096 /* distinct tuples, cycled: fits in L1/L2 like a hot trace */

static uint32_t naive(const uint8_t *key, size_t keylen, const fm_flow_tuple *t)
{
    uint8_t in[12];
    memcpy(in, t->src, 4);
    memcpy(in + 4, t->dst, 4);
    in[8] = (uint8_t)(t->sport >> 8), in[9] = (uint8_t)t->sport;
    in[10] = (uint8_t)(t->dport >> 8), in[11] = (uint8_t)t->dport;
    uint32_t h = 0, v = 0;
    size_t next = 32;
    for (size_t j = 0; j < 32; j++)
        v = (v << 1) | ((key[j / 8] >> (7 - j % 8)) & 1u);
    for (size_t i = 0; i < 96; i++) {
        if ((in[i / 8] >> (7 - i % 8)) & 1)
            h ^= v;
        v = (v << 1) | (next < keylen * 8 ? (key[next / 8] >> (7 - next % 8)) & 1u : 0u);
        next++;
    }
    return h;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static fm_flow_tuple tu[NT];
static fm_toeplitz_ctx ctx;

enum { NAIVE, PLAIN, CTX };

static double run(int which, long n, uint32_t *sum)
{
    const fm_fieldset h4 = FM_F_SRC_IP | FM_F_DST_IP | FM_F_SRC_PORT | FM_F_DST_PORT;
    uint32_t acc = 0;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        const fm_flow_tuple *t = &tu[i & (NT - 1)];
        if (which == NAIVE)
            acc += naive(fm_rss_ms_key, 40, t);
        else if (which == PLAIN)
            acc += fm_rss_hash(fm_rss_ms_key, 40, t, h4);
        else
            acc += fm_toeplitz_ctx_rss_hash(&ctx, t, h4);
    }
    double dt = now() - t0;
    *sum = acc;
    return (double)n / dt;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000000;
    uint64_t s = 0x243f6a8885a308d3ull;
    for (int i = 0; i < NT; i++) {
        memset(&tu[i], 0, sizeof tu[i]);
        for (int b = 0; b < 4; b++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            tu[i].src[b] = (uint8_t)s;
            tu[i].dst[b] = (uint8_t)(s >> 8);
        }
        tu[i].sport = (uint16_t)(s >> 16);
        tu[i].dport = (uint16_t)(s >> 32);
        tu[i].proto = 6;
    }
    double t0 = now();
    fm_toeplitz_ctx_init(&ctx, fm_rss_ms_key, 40);
    double init_us = (now() - t0) * 1e6;

    uint32_t c0, c1, c2;
    long nn = n / 8; /* the naive one is slow: fewer iterations */
    double r0 = run(NAIVE, nn, &c0);
    double r1 = run(PLAIN, n, &c1);
    double r2 = run(CTX, n, &c2);
    /* Same work, same answers: checksums over the naive pass's range. */
    uint32_t a0, a1, a2;
    run(NAIVE, NT, &a0), run(PLAIN, NT, &a1), run(CTX, NT, &a2);
    if (a0 != a1 || a0 != a2) {
        fprintf(stderr, "bench_toeplitz: implementations disagree (%08x %08x %08x)\n", a0, a1, a2);
        return 1;
    }
    printf("naive bit-by-bit reference   %8.1f M hashes/s\n", r0 / 1e6);
    printf("fm_rss_hash (key per call)   %8.1f M hashes/s   %5.1fx naive\n", r1 / 1e6, r1 / r0);
    printf("fm_toeplitz_ctx_rss_hash     %8.1f M hashes/s   %5.1fx naive   (ctx init %.0f us)\n",
           r2 / 1e6, r2 / r0, init_us);
    printf("target: ctx path >= 20 M hashes/s per core: %s\n", r2 >= 20e6 ? "met" : "NOT MET");
    (void)c0, (void)c1, (void)c2;
    return r2 >= 20e6 ? 0 : 1;
}
EOF

"$CC" -std=c11 -O2 -g -Wall -Wextra -I"$FM_ROOT/include" -D_POSIX_C_SOURCE=200809L \
    -D_DEFAULT_SOURCE "$tmp/bench.c" "$FM_ROOT/solver/rss/toeplitz.c" \
    "$FM_ROOT/solver/rss/gf2.c" "$FM_ROOT/common/fields.c" "$FM_ROOT/common/util.c" \
    -o "$tmp/bench"
"$tmp/bench" "$N"
