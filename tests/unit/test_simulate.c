/* The replay engine against independent computations: per-packet cores from
 * a bit-by-bit Toeplitz hash written here and an explicit RETA, per-core
 * sums, the load statistics, and the state-sharing counts recomputed by
 * brute force. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "naive_rss.h"
#include "flowmage/simulate.h"

#define H4 (FM_F_SRC_IP | FM_F_DST_IP | FM_F_SRC_PORT | FM_F_DST_PORT)

static unsigned naive_core(const fm_flow_tuple *t, fm_fieldset f, const uint8_t *k4,
                           const uint8_t *k6, size_t klen, const uint16_t *reta,
                           unsigned reta_size)
{
    uint8_t in[64];
    size_t n = naive_input(t, f, in);
    uint32_t h = naive_toeplitz(t->ipv6 ? k6 : k4, klen, in, n);
    return reta[h % reta_size];
}

static uint64_t rs = 88172645463325252ull;
static uint32_t rnd(void)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return (uint32_t)(rs >> 16);
}

/* A small mixed trace: IPv4 and IPv6, TCP, UDP and ICMP, few addresses so
 * that entries are shared, and reverse packets. */
static void small_trace(fm_trace *t, size_t npkts)
{
    fm_trace_init(t, "test");
    for (size_t i = 0; i < npkts; i++) {
        fm_flow_tuple f;
        memset(&f, 0, sizeof f);
        f.ipv6 = rnd() % 4 == 0;
        size_t a = f.ipv6 ? 16 : 4;
        f.src[0] = 10, f.dst[0] = 192;
        f.src[a - 1] = (uint8_t)(rnd() % 7), f.dst[a - 1] = (uint8_t)(rnd() % 5);
        unsigned p = rnd() % 10;
        f.proto = p < 6 ? 6 : p < 9 ? 17 : 1;
        if (f.proto != 1)
            f.sport = (uint16_t)(1024 + rnd() % 6), f.dport = (uint16_t)(80 + rnd() % 2);
        if (rnd() % 3 == 0) { /* a reply */
            uint8_t tmp[16];
            memcpy(tmp, f.src, 16), memcpy(f.src, f.dst, 16), memcpy(f.dst, tmp, 16);
            uint16_t q = f.sport;
            f.sport = f.dport, f.dport = q;
        }
        fm_trace_add(t, &f);
    }
    fm_trace_finish(t);
}

static void test_hash_matches_naive(void)
{
    fm_trace t;
    small_trace(&t, 3000);
    uint8_t key6[40];
    for (int i = 0; i < 40; i++)
        key6[i] = (uint8_t)rnd();
    uint16_t reta[128];
    for (int i = 0; i < 128; i++)
        reta[i] = (uint16_t)(rnd() % 6);
    const fm_fieldset sets[] = {H4, FM_F_SRC_IP | FM_F_DST_IP, FM_F_SRC_IP,
                                FM_F_DST_IP | FM_F_DST_PORT, FM_F_SRC_PORT};
    uint16_t *got = malloc(t.npkts * sizeof *got);
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        for (int custom = 0; custom < 2; custom++) {
            fm_sim_rss_spec sp = {.hashed = sets[s], .cores = 6, .reta_size = 128};
            if (custom)
                sp.key4 = fm_rss_ms_key, sp.key4_len = 40, sp.key6 = key6,
                sp.key6_len = 40, sp.reta = reta;
            fm_sim_rss r;
            fm_error e = {0};
            CHECK_INT(fm_sim_rss_init(&r, &sp, &e), 0);
            fm_sim_assign(&t, &r, got);
            uint16_t rr[128];
            for (int i = 0; i < 128; i++)
                rr[i] = custom ? reta[i] : (uint16_t)(i % 6);
            size_t bad = 0;
            for (size_t i = 0; i < t.npkts; i++) {
                const fm_flow_tuple *f = &t.flows[t.pkt_flow[i]];
                unsigned want = naive_core(f, sets[s], fm_rss_ms_key,
                                           custom ? key6 : fm_rss_ms_key, 40, rr, 128);
                bad += got[i] != want;
            }
            CHECK(bad == 0, "fields %#x custom %d: %zu of %zu packets on another core",
                  sets[s], custom, bad, t.npkts);
            /* Per-core sums: every packet counted once, every flow once. */
            fm_sim_result res;
            CHECK_INT(fm_sim_replay(&t, &r, NULL, NULL, &res, &e), 0);
            uint64_t sp_ = 0, sf = 0, want_c[6] = {0};
            for (size_t i = 0; i < t.npkts; i++)
                want_c[got[i]]++;
            for (unsigned c = 0; c < 6; c++) {
                sp_ += res.core_pkts[c], sf += res.core_flows[c];
                CHECK_INT(res.core_pkts[c], want_c[c]);
            }
            CHECK_INT(sp_, t.npkts);
            CHECK_INT(sf, t.nflows);
            CHECK_INT(res.load.total, t.npkts);
            fm_sim_result_free(&res);
            fm_sim_rss_free(&r);
        }
    }
    free(got);
    fm_trace_free(&t);
}

static void test_symmetric(void)
{
    fm_trace t;
    small_trace(&t, 2000);
    fm_sim_rss r;
    fm_error e = {0};
    fm_sim_rss_spec sp = {.hashed = H4, .cores = 4, .symmetric = 1};
    CHECK_INT(fm_sim_rss_init(&r, &sp, &e), 0);
    size_t bad = 0;
    for (size_t f = 0; f < t.nflows; f++) {
        fm_flow_tuple m = t.flows[f];
        memcpy(m.src, t.flows[f].dst, 16), memcpy(m.dst, t.flows[f].src, 16);
        m.sport = t.flows[f].dport, m.dport = t.flows[f].sport;
        bad += fm_sim_rss_core(&r, &m) != fm_sim_rss_core(&r, &t.flows[f]);
    }
    CHECK(bad == 0, "%zu flows and their mirrors on different cores", bad);
    fm_sim_rss_free(&r);
    /* A given key that is not symmetric is refused when symmetry is asked. */
    sp.key4 = fm_rss_ms_key, sp.key4_len = 40;
    CHECK_INT(fm_sim_rss_init(&r, &sp, &e), -1);
    CHECK(strstr(e.msg, "symmetric") != NULL, "message: %s", e.msg);
    /* Bad shapes. */
    fm_sim_rss_spec b1 = {.hashed = H4, .cores = 0};
    CHECK_INT(fm_sim_rss_init(&r, &b1, &e), -1);
    fm_sim_rss_spec b2 = {.hashed = H4, .cores = 4, .reta_size = 100};
    CHECK_INT(fm_sim_rss_init(&r, &b2, &e), -1);
    CHECK(strstr(e.msg, "power of two") != NULL, "message: %s", e.msg);
    fm_sim_rss_spec b3 = {.hashed = H4, .cores = 16, .reta_size = 8};
    CHECK_INT(fm_sim_rss_init(&r, &b3, &e), -1);
    fm_trace_free(&t);
}

static void test_load_math(void)
{
    fm_sim_load l;
    uint64_t even[4] = {10, 10, 10, 10};
    fm_sim_load_compute(even, 4, &l);
    CHECK(fabs(l.imbalance - 1.0) < 1e-12, "imbalance %g", l.imbalance);
    CHECK(fabs(l.cv) < 1e-12, "cv %g", l.cv);
    CHECK_INT(l.idle, 0);
    uint64_t one[4] = {40, 0, 0, 0};
    fm_sim_load_compute(one, 4, &l);
    CHECK(fabs(l.imbalance - 4.0) < 1e-12, "all on one of 4: imbalance %g", l.imbalance);
    CHECK_INT(l.idle, 3);
    CHECK_INT(l.min, 0);
    CHECK_INT(l.max, 40);
    uint64_t mix[4] = {1, 2, 3, 6};
    fm_sim_load_compute(mix, 4, &l);
    CHECK(fabs(l.mean - 3.0) < 1e-12, "mean %g", l.mean);
    CHECK(fabs(l.imbalance - 2.0) < 1e-12, "imbalance %g", l.imbalance);
    CHECK(fabs(l.cv - sqrt(3.5) / 3.0) < 1e-12, "cv %g", l.cv);
    uint64_t none[3] = {0, 0, 0};
    fm_sim_load_compute(none, 3, &l);
    CHECK(fabs(l.imbalance - 1.0) < 1e-12, "empty: imbalance %g", l.imbalance);
}

/* Entry of a flow for an NF, written independently: compare every pair. */
static int same_entry(const fm_flow_tuple *a, const fm_flow_tuple *b,
                      const fm_sim_nf *nf)
{
    if (nf->global)
        return 1;
    for (int mirror = 0; mirror < 2; mirror++) {
        if (mirror && !(nf->symmetric && fm_fieldset_mirror(nf->key) == nf->key))
            break;
        const uint8_t *bs = mirror ? b->dst : b->src, *bd = mirror ? b->src : b->dst;
        uint16_t bsp = mirror ? b->dport : b->sport, bdp = mirror ? b->sport : b->dport;
        size_t al = a->ipv6 ? 16 : 4;
        if (a->ipv6 != b->ipv6)
            return 0;
        if ((nf->key & FM_F_SRC_IP) && memcmp(a->src, bs, al))
            continue;
        if ((nf->key & FM_F_DST_IP) && memcmp(a->dst, bd, al))
            continue;
        if ((nf->key & FM_F_SRC_PORT) && a->sport != bsp)
            continue;
        if ((nf->key & FM_F_DST_PORT) && a->dport != bdp)
            continue;
        if ((nf->key & FM_F_PROTO) && a->proto != b->proto)
            continue;
        return 1;
    }
    return 0;
}

/* Each NF's counts under one setting against brute force over every pair
 * of flows (fc: each flow's core); any[f] set when flow f crosses cores on
 * shared state.  Returns the violations expected in total. */
static uint64_t check_nf_counts(const fm_trace *t, const fm_sim_nf *nfs, size_t n,
                                const int *shared, const unsigned *fc,
                                const fm_sim_result *res, uint8_t *any)
{
    uint64_t want_viol = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t crossed = 0, entries = 0;
        for (size_t f = 0; f < t->nflows; f++) {
            int multi = 0, first = 1;
            for (size_t g = 0; g < t->nflows; g++) {
                if (!same_entry(&t->flows[f], &t->flows[g], &nfs[k]))
                    continue;
                if (g < f)
                    first = 0;
                if (fc[g] != fc[f])
                    multi = 1;
            }
            entries += first;
            if (multi && nfs[k].stateful) {
                crossed += t->flow_pkts[f];
                if (shared[k])
                    any[f] = 1;
            }
        }
        const fm_sim_nf_result *o = &res->nf[k];
        if (!nfs[k].stateful) {
            CHECK(o->shared_pkts == 0 && o->contended_pkts == 0 && !o->shared,
                  "stateless NF counted");
            continue;
        }
        CHECK_INT(o->entries, nfs[k].global ? 1 : entries);
        CHECK_INT(o->shared_pkts, shared[k] ? t->npkts : 0);
        CHECK_INT(o->contended_pkts, shared[k] ? crossed : 0);
        CHECK_INT(o->violations, shared[k] ? 0 : crossed);
        want_viol += shared[k] ? 0 : crossed;
    }
    return want_viol;
}

/* One RSS setting (hashed fields, symmetric or not) replayed on t. */
static void check_setting(const fm_trace *t, const fm_sim_nf *nfs, size_t n,
                          const fm_sim_nfs *ns, fm_fieldset hashed, int sym)
{
    fm_sim_rss r;
    fm_error e = {0};
    fm_sim_rss_spec sp = {.hashed = hashed, .cores = 4, .symmetric = sym};
    if (fm_sim_rss_init(&r, &sp, &e) != 0) {
        CHECK(hashed == FM_F_DST_IP && sym, "init: %s", e.msg);
        return; /* {dst_ip} cannot be symmetric */
    }
    int shared[6] = {1, 0, 1, 0, 1, 0}; /* mix both modes */
    fm_sim_result res;
    CHECK_INT(fm_sim_replay(t, &r, ns, shared, &res, &e), 0);
    unsigned *fc = malloc(t->nflows * sizeof *fc);
    for (size_t f = 0; f < t->nflows; f++)
        fc[f] = fm_sim_rss_core(&r, &t->flows[f]);
    uint8_t *any = calloc(t->nflows, 1);
    uint64_t want_viol = check_nf_counts(t, nfs, n, shared, fc, &res, any);
    uint64_t want_any = 0;
    for (size_t f = 0; f < t->nflows; f++)
        want_any += any[f] ? t->flow_pkts[f] : 0;
    CHECK_INT(res.contended_pkts, want_any);
    CHECK_INT(res.shared_pkts, t->npkts);
    CHECK_INT(res.violations, want_viol);
    /* The soundness rule the solver relies on: hashing r ⊆ key keeps
     * an NF's entries on one core (symmetric state: symmetric hash). */
    if (hashed == H4 && sym)
        CHECK_INT(res.nf[1].violations, 0);
    if (hashed == (FM_F_SRC_IP | FM_F_DST_IP) && sym)
        CHECK_INT(res.nf[3].violations, 0);
    if (hashed == H4 && !sym) /* replies exist: one-way hash splits */
        CHECK(res.nf[1].violations > 0, "no violation for a symmetric NF "
              "under an asymmetric hash");
    free(fc), free(any);
    fm_sim_result_free(&res);
    fm_sim_rss_free(&r);
}

/* One core: nothing is ever contended. */
static void check_one_core(const fm_trace *t, const fm_sim_nfs *ns)
{
    fm_sim_rss r;
    fm_error e = {0};
    fm_sim_rss_spec one = {.hashed = H4, .cores = 1};
    CHECK_INT(fm_sim_rss_init(&r, &one, &e), 0);
    fm_sim_result res;
    fm_sim_replay(t, &r, ns, NULL, &res, &e);
    CHECK_INT(res.contended_pkts, 0);
    CHECK_INT(res.shared_pkts, t->npkts);
    CHECK(fabs(res.load.imbalance - 1.0) < 1e-12, "one core: imbalance %g", res.load.imbalance);
    fm_sim_result_free(&res);
    fm_sim_rss_free(&r);
}

static void test_sharing(void)
{
    fm_trace t;
    small_trace(&t, 2500);
    const fm_sim_nf nfs[] = {
        {"ByDst", 1, FM_F_DST_IP, 0, 0},
        {"Conn", 1, H4 | FM_F_PROTO, 1, 0},
        {"ConnOneWay", 1, H4 | FM_F_PROTO, 0, 0},
        {"Pairs", 1, FM_F_SRC_IP | FM_F_DST_IP, 1, 0},
        {"Global", 1, 0, 0, 1},
        {"Stateless", 0, 0, 0, 0},
    };
    const size_t n = sizeof nfs / sizeof nfs[0];
    fm_sim_nfs ns;
    CHECK_INT(fm_sim_nfs_build(&ns, &t, nfs, n), 0);
    const fm_fieldset sets[] = {H4, FM_F_DST_IP, FM_F_SRC_IP | FM_F_DST_IP};
    for (size_t s = 0; s < 3; s++)
        for (int sym = 0; sym < 2; sym++)
            check_setting(&t, nfs, n, &ns, sets[s], sym);
    check_one_core(&t, &ns);
    fm_sim_nfs_free(&ns);
    fm_trace_free(&t);
}

int main(void)
{
    test_hash_matches_naive();
    test_symmetric();
    test_load_math();
    test_sharing();
    return fm_t_done("test_simulate",
                     "per-packet cores equal a bit-by-bit Toeplitz + explicit "
                     "RETA (IPv4/IPv6, 5 field sets, default and custom keys and "
                     "RETA); per-core sums; symmetric keys; load math; "
                     "shared/contended/violation counts equal brute force");
}
