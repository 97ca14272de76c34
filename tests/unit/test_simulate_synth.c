/* The synthetic trace generator: the spec grammar (defaults, errors that
 * name the key and column), determinism, and that the trace honours the
 * spec: packets, flows, distinct sources and destinations, protocol and
 * family shares, reverse traffic, and a Zipf skew that can be measured. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flowmage/simulate.h"

static int parse(const char *spec, fm_synth_spec *s, fm_error *e)
{
    memset(e, 0, sizeof *e);
    return fm_synth_parse(spec, s, e);
}

static void test_parse(void)
{
    fm_synth_spec s;
    fm_error e;
    CHECK_INT(parse("", &s, &e), 0);
    CHECK_INT(s.flows, 10000);
    CHECK_INT(s.packets, 1000000);
    CHECK_INT(s.seed, 1);
    CHECK_INT(parse("flows=10000,packets=1000000,zipf=1.1,srcs=1000,dsts=50,"
                    "proto=tcp:0.8,seed=1", &s, &e), 0);
    CHECK(fabs(s.zipf - 1.1) < 1e-12 && s.srcs == 1000 && s.dsts == 50,
          "values not taken");
    CHECK(fabs(s.tcp - 0.8) < 1e-12 && fabs(s.udp - 0.2) < 1e-12 && s.other == 0,
          "tcp:0.8 gives tcp %g udp %g other %g", s.tcp, s.udp, s.other);
    CHECK_INT(parse("packets=5M,flows=2k", &s, &e), 0);
    CHECK_INT(s.packets, 5000000);
    CHECK_INT(s.flows, 2000);
    CHECK_INT(parse("proto=tcp:0.7+udp:0.2+other:0.1", &s, &e), 0);
    CHECK(fabs(s.other - 0.1) < 1e-12, "other %g", s.other);
    CHECK_INT(parse("proto=udp", &s, &e), 0);
    CHECK(s.udp == 1 && s.tcp == 0, "udp alone: tcp %g udp %g", s.tcp, s.udp);
    CHECK_INT(parse("proto=udp:0.3", &s, &e), 0);
    CHECK(fabs(s.tcp - 0.7) < 1e-12, "udp:0.3 leaves tcp %g", s.tcp);
    CHECK_INT(parse("src_net=172.16.0.0/12,dst_net=8.8.8.0/24,dsts=100", &s, &e), 0);
    CHECK_INT(s.src_len, 12);
    CHECK_INT(s.src_net[1], 16);

    /* Errors name the key and its column, and nothing else is blamed. */
    CHECK_INT(parse("flows=100,flowz=3", &s, &e), -1);
    CHECK(strstr(e.msg, "\"flowz\"") && strstr(e.msg, "unknown key"), "msg: %s", e.msg);
    CHECK_INT(e.col, 11);
    CHECK_STR(e.file, "--synthetic");
    CHECK_INT(parse("packets=12x", &s, &e), -1);
    CHECK(strstr(e.msg, "\"packets\"") && strstr(e.msg, "12x"), "msg: %s", e.msg);
    CHECK_INT(e.col, 1);
    CHECK_INT(parse("zipf=-1", &s, &e), -1);
    CHECK(strstr(e.msg, "\"zipf\""), "msg: %s", e.msg);
    CHECK_INT(parse("flows=10,proto=tcp:0.5+quic:0.5", &s, &e), -1);
    CHECK(strstr(e.msg, "\"proto\"") && strstr(e.msg, "quic"), "msg: %s", e.msg);
    CHECK_INT(e.col, 10);
    CHECK_INT(parse("proto=tcp:0.5+udp:0.2", &s, &e), -1);
    CHECK_INT(parse("seed", &s, &e), -1);
    CHECK(strstr(e.msg, "key=value"), "msg: %s", e.msg);
    CHECK_INT(parse("flows=50,packets=100", &s, &e), 0);
    CHECK(s.srcs == 50 && s.dsts == 50, "defaults clamp to flows: srcs %llu dsts %llu",
          (unsigned long long)s.srcs, (unsigned long long)s.dsts);
    CHECK_INT(parse("flows=10,srcs=20", &s, &e), -1);
    CHECK(strstr(e.msg, "srcs"), "msg: %s", e.msg);
    CHECK_INT(parse("flows=10,packets=5,srcs=5,dsts=5", &s, &e), -1);
    CHECK(strstr(e.msg, "packets"), "msg: %s", e.msg);
    CHECK_INT(parse("src_net=10.0.0.0/30,srcs=10,dsts=5,flows=10,packets=10", &s, &e), -1);
    CHECK(strstr(e.msg, "src_net"), "msg: %s", e.msg);
    CHECK_INT(parse("dst_net=10.0.0.0", &s, &e), -1);
    CHECK(fm_error_exit_code(&e) == FM_EXIT_INPUT, "exit code");
}

static size_t distinct(const fm_trace *t, int dst)
{
    /* Quadratic is fine at this size and shares no code with the engine. */
    size_t n = 0;
    for (size_t i = 0; i < t->nflows; i++) {
        const uint8_t *a = dst ? t->flows[i].dst : t->flows[i].src;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const fm_flow_tuple *o = &t->flows[j];
            seen = o->ipv6 == t->flows[i].ipv6 && !memcmp(dst ? o->dst : o->src, a, 16);
        }
        n += !seen;
    }
    return n;
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The pools, protocols and families the spec asks for. */
static void check_honoured(const fm_trace *tr)
{
    CHECK_INT(tr->npkts, 200000);
    CHECK_INT(tr->nflows, 2000); /* reverse=0: one direction per flow */
    CHECK_INT(distinct(tr, 0), 300);
    CHECK_INT(distinct(tr, 1), 40);
    size_t tcp = 0, udp = 0, other = 0, v6 = 0, src6 = 0, icmp_ports = 0, outside = 0;
    for (size_t f = 0; f < tr->nflows; f++) {
        const fm_flow_tuple *t = &tr->flows[f];
        tcp += t->proto == 6, udp += t->proto == 17, other += t->proto == 1;
        v6 += t->ipv6;
        icmp_ports += t->proto == 1 && (t->sport || t->dport);
        if (!t->ipv6)
            outside += !(t->src[0] == 10 && t->dst[0] == 192 && t->dst[1] == 168);
        else
            src6 += t->src[0] == 0xfd;
    }
    CHECK_INT(icmp_ports, 0);
    CHECK_INT(outside, 0);
    CHECK_INT(tcp, 1500);
    CHECK_INT(udp, 400);
    CHECK_INT(other, 100);
    CHECK_INT(v6, 500);
    CHECK_INT(src6, 500);
    CHECK_INT(tr->stats.ipv6 + tr->stats.ipv4, tr->npkts);
}

/* Zipf: sizes sorted fall as rank^-1.2 (1 packet each + Zipf share). */
static void check_zipf(const fm_trace *tr)
{
    uint64_t *sz = malloc(tr->nflows * sizeof *sz), tot = 0;
    memcpy(sz, tr->flow_pkts, tr->nflows * sizeof *sz);
    qsort(sz, tr->nflows, sizeof *sz, cmp_desc);
    size_t empty = 0;
    for (size_t f = 0; f < tr->nflows; f++)
        tot += sz[f], empty += sz[f] < 1;
    CHECK_INT(empty, 0);
    CHECK_INT(tot, 200000);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 100;
    for (int k = 0; k < n; k++) {
        double x = log(k + 1.0), y = log((double)sz[k] - 1.0);
        sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    CHECK(fabs(slope + 1.2) < 0.05, "log-log slope of the top 100 flows %g, want -1.2", slope);
    double h = 0;
    for (size_t k = 1; k <= 2000; k++)
        h += pow((double)k, -1.2);
    double want_top = (200000.0 - 2000.0) / h + 1;
    CHECK(fabs((double)sz[0] - want_top) <= 1.0, "largest flow %llu, want %.1f",
          (unsigned long long)sz[0], want_top);
    free(sz);
}

/* One spec: deterministic, honoured, Zipf-sized. */
static void test_generate_spec(void)
{
    fm_synth_spec s;
    fm_error e;
    CHECK_INT(parse("flows=2000,packets=200000,zipf=1.2,srcs=300,dsts=40,"
                    "proto=tcp:0.75+udp:0.2+other:0.05,ipv6=0.25,seed=7", &s, &e), 0);
    fm_trace a, b, c;
    CHECK_INT(fm_synth_generate(&s, &a, &e), 0);
    CHECK_INT(fm_synth_generate(&s, &b, &e), 0);
    /* Deterministic. */
    CHECK(a.npkts == b.npkts && a.nflows == b.nflows &&
          !memcmp(a.pkt_flow, b.pkt_flow, a.npkts * sizeof *a.pkt_flow) &&
          !memcmp(a.flows, b.flows, a.nflows * sizeof *a.flows),
          "same spec, different traces");
    s.seed = 8;
    CHECK_INT(fm_synth_generate(&s, &c, &e), 0);
    CHECK(c.nflows != a.nflows || memcmp(c.flows, a.flows, a.nflows * sizeof *a.flows),
          "another seed gave the same trace");
    fm_trace_free(&b), fm_trace_free(&c);

    check_honoured(&a);
    check_zipf(&a);
    fm_trace_free(&a);
}

/* Uniform sizes, reverse traffic, impossible pools. */
static void test_generate_variants(void)
{
    fm_synth_spec s;
    fm_error e;
    fm_trace a;
    /* zipf=0: equal sizes (within one packet). */
    CHECK_INT(parse("flows=1000,packets=10500,zipf=0,srcs=10,dsts=10", &s, &e), 0);
    CHECK_INT(fm_synth_generate(&s, &a, &e), 0);
    uint64_t mn = UINT64_MAX, mx = 0;
    for (size_t f = 0; f < a.nflows; f++)
        mn = a.flow_pkts[f] < mn ? a.flow_pkts[f] : mn,
        mx = a.flow_pkts[f] > mx ? a.flow_pkts[f] : mx;
    CHECK(mx - mn <= 1, "uniform sizes range %llu..%llu", (unsigned long long)mn,
          (unsigned long long)mx);
    fm_trace_free(&a);

    /* reverse: replies are mirrored tuples of existing flows. */
    CHECK_INT(parse("flows=500,packets=20000,reverse=0.5,srcs=50,dsts=5", &s, &e), 0);
    CHECK_INT(fm_synth_generate(&s, &a, &e), 0);
    CHECK(a.nflows > 500 && a.nflows <= 1000, "directional flows %zu", a.nflows);
    uint64_t back = 0;
    for (size_t f = 0; f < a.nflows; f++)
        if (a.flows[f].src[0] == 192)
            back += a.flow_pkts[f];
    double share = (double)back / (double)a.npkts;
    CHECK(share > 0.45 && share < 0.52, "reverse share %g", share);
    fm_trace_free(&a);

    /* Impossible pools are an error, not a silent shortfall. */
    CHECK_INT(parse("flows=100,packets=100,srcs=1,dsts=1,proto=other", &s, &e), 0);
    CHECK_INT(fm_synth_generate(&s, &a, &e), -1);
    CHECK(strstr(e.msg, "distinct flows") != NULL, "msg: %s", e.msg);
    fm_trace_free(&a);
}


static void test_generate(void)
{
    test_generate_spec();
    test_generate_variants();
}

int main(void)
{
    test_parse();
    test_generate();
    return fm_t_done("test_simulate_synth",
                     "spec grammar and errors with key/column; deterministic by "
                     "seed; exact packets, flows, srcs, dsts, protocol and IPv6 "
                     "shares; Zipf slope and top flow; uniform sizes; reverse share");
}
