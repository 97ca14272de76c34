#!/bin/sh
# simulate's replay engine: packets per second on one core, against a naive
# replay of the same trace in the same run (Microsoft's bit-by-bit Toeplitz
# pseudocode per packet, then the same RETA).  All must give the same
# per-core counts.  Target: the engine >= 20 M packets/s per core.
#
# Two engine paths are timed: fm_sim_assign hashes every packet through the
# fm_toeplitz_ctx tables (the floor: a trace whose packets are all distinct
# flows), and fm_sim_replay, what `flowmage simulate` runs per setting:
# each distinct flow hashed once, packets counted per flow, plus the state
# sharing of three NFs.  The trace is synthetic (BENCH_SPEC, default 5 M
# packets, 100 k connections, Zipf 1.1, 10 % IPv6, 20 % replies, shuffled:
# no locality to help the caches); each path best of BENCH_REPS (default 3).  Builds a small C driver against the engine's
# sources with the Makefile's default optimisation (-O2 -g), so it runs
# even when other parts of the tree do not build.  Env: FM_ROOT, CC.
set -eu
: "${FM_ROOT:?}"
CC=${CC:-gcc}
SPEC=${BENCH_SPEC:-flows=100000,packets=5M,zipf=1.1,srcs=10000,dsts=1000,ipv6=0.1,reverse=0.2,seed=1}
REPS=${BENCH_REPS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/bench.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowmage/simulate.h"

#define H4 (FM_F_SRC_IP | FM_F_DST_IP | FM_F_SRC_PORT | FM_F_DST_PORT)
#define CORES 8
#define RETA 512

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Microsoft's pseudocode: per input bit, XOR the leading 32 key bits, shift
 * the key by one bit. */
static uint32_t naive_hash(const uint8_t *key, size_t keylen, const uint8_t *in, size_t n)
{
    uint32_t h = 0, v = 0;
    size_t next = 32;
    for (size_t j = 0; j < 32; j++)
        v = (v << 1) | ((key[j / 8] >> (7 - j % 8)) & 1u);
    for (size_t i = 0; i < n * 8; i++) {
        if ((in[i / 8] >> (7 - i % 8)) & 1)
            h ^= v;
        v = (v << 1) | (next < keylen * 8 ? (key[next / 8] >> (7 - next % 8)) & 1u : 0u);
        next++;
    }
    return h;
}

static void naive_replay(const fm_trace *t, uint64_t *count)
{
    memset(count, 0, CORES * sizeof *count);
    for (size_t p = 0; p < t->npkts; p++) {
        const fm_flow_tuple *f = &t->flows[t->pkt_flow[p]];
        uint8_t in[36];
        size_t n = 0, a = f->ipv6 ? 16 : 4;
        memcpy(in, f->src, a), n += a;
        memcpy(in + n, f->dst, a), n += a;
        if (f->proto == 6 || f->proto == 17) {
            in[n++] = (uint8_t)(f->sport >> 8), in[n++] = (uint8_t)f->sport;
            in[n++] = (uint8_t)(f->dport >> 8), in[n++] = (uint8_t)f->dport;
        }
        uint32_t h = naive_hash(fm_rss_ms_key, 40, in, n);
        count[(h & (RETA - 1)) % CORES]++;
    }
}

int main(int argc, char **argv)
{
    const char *spec = argv[1];
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    fm_synth_spec s;
    fm_trace t;
    fm_error e = {0};
    double t0 = now();
    if (fm_synth_parse(spec, &s, &e) != 0 || fm_synth_generate(&s, &t, &e) != 0) {
        fprintf(stderr, "bench_simulate: %s\n", e.msg);
        return 2;
    }
    double gen = now() - t0;
    fm_sim_rss r;
    fm_sim_rss_spec sp = {.hashed = H4, .cores = CORES, .reta_size = RETA};
    if (fm_sim_rss_init(&r, &sp, &e) != 0)
        return 2;
    const fm_sim_nf nfs[3] = {{"conn", 1, H4 | FM_F_PROTO, 1, 0},
                              {"per_dst", 1, FM_F_DST_IP, 0, 0},
                              {"per_src", 1, FM_F_SRC_IP, 0, 0}};
    fm_sim_nfs ns;
    t0 = now();
    fm_sim_nfs_build(&ns, &t, nfs, 3);
    double build = now() - t0;
    int shared[3] = {0, 1, 1};
    double best = 1e30, best_pp = 1e30;
    fm_sim_result res;
    memset(&res, 0, sizeof res);
    uint16_t *core = malloc(t.npkts * sizeof *core);
    uint64_t pp[CORES] = {0};
    for (int i = 0; i < reps; i++) {
        fm_sim_result_free(&res);
        t0 = now();
        fm_sim_replay(&t, &r, &ns, shared, &res, &e);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
        t0 = now();
        fm_sim_assign(&t, &r, core);
        memset(pp, 0, sizeof pp);
        for (size_t p = 0; p < t.npkts; p++)
            pp[core[p]]++;
        dt = now() - t0;
        if (dt < best_pp)
            best_pp = dt;
    }
    free(core);
    uint64_t naive[CORES];
    t0 = now();
    naive_replay(&t, naive);
    double nt = now() - t0;
    for (int c = 0; c < CORES; c++)
        if (naive[c] != res.core_pkts[c] || naive[c] != pp[c]) {
            fprintf(stderr, "bench_simulate: engine and naive replay disagree on core %d "
                            "(%llu vs %llu)\n", c, (unsigned long long)res.core_pkts[c],
                    (unsigned long long)naive[c]);
            return 1;
        }
    double eng = (double)t.npkts / best, nai = (double)t.npkts / nt;
    double per = (double)t.npkts / best_pp;
    printf("trace: %zu packets, %zu directional flows (generated in %.2f s; NF entries "
           "built in %.3f s)\n", t.npkts, t.nflows, gen, build);
    printf("naive bit-by-bit replay, per packet        %8.1f M packets/s\n", nai / 1e6);
    printf("fm_sim_assign: ctx tables, every packet    %8.1f M packets/s   %6.1fx naive\n",
           per / 1e6, per / nai);
    printf("fm_sim_replay: per flow + 3 NFs (engine)   %8.1f M packets/s   %6.1fx naive\n",
           eng / 1e6, eng / nai);
    printf("target: engine >= 20 M packets/s per core: %s (every-packet floor: %s)\n",
           eng >= 20e6 ? "met" : "NOT MET", per >= 20e6 ? "also met" : "below");
    fm_sim_result_free(&res);
    fm_sim_nfs_free(&ns);
    fm_sim_rss_free(&r);
    fm_trace_free(&t);
    return eng >= 20e6 ? 0 : 1;
}
CEOF

"$CC" -std=c11 -O2 -g -Wall -Wextra -I"$FM_ROOT/include" -D_POSIX_C_SOURCE=200809L \
    -D_DEFAULT_SOURCE "$tmp/bench.c" "$FM_ROOT/simulate/trace.c" "$FM_ROOT/simulate/synth.c" \
    "$FM_ROOT/simulate/replay.c" "$FM_ROOT/solver/rss/toeplitz.c" "$FM_ROOT/solver/rss/gf2.c" \
    "$FM_ROOT/common/fields.c" "$FM_ROOT/common/util.c" -lm -o "$tmp/bench"
"$tmp/bench" "$SPEC" "$REPS"
