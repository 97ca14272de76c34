/* The replay engine: RSS configurations, per-packet core assignment, load
 * statistics and state sharing per NF (include/flowmage/simulate.h).
 *
 * A packet's queue is the RETA entry its Toeplitz hash picks (through the
 * fm_toeplitz_ctx tables of its address family), as on the NIC; it depends
 * only on the packet's flow, so a replay hashes each distinct flow once and
 * counts packets through the flows' cores (fm_sim_assign hashes every
 * packet, for checking).  Likewise the state entry an NF reaches depends
 * only on the flow: entries are computed per flow once per trace
 * (fm_sim_nfs_build). */
#include "flowmage/simulate.h"
#include "sim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RETA 65536
#define DEFAULT_RETA 512

/* ------------------------------------------------------------ RSS setup */

static unsigned log2u(unsigned v)
{
    unsigned b = 0;
    while ((1u << b) < v)
        b++;
    return b;
}

static int check_symmetric(const uint8_t *key, size_t len, fm_fieldset hashed,
                           int ipv6, fm_error *err)
{
    if (fm_toeplitz_is_symmetric(key, len, hashed, ipv6))
        return 0;
    char f[64];
    fm_fieldset_format(hashed, f, sizeof f);
    return fm_fail(err, FM_ERR_INPUT, NULL, 0, 0,
                   "the %s key does not hash {%s} symmetrically",
                   ipv6 ? "IPv6" : "IPv4", f);
}

int fm_sim_rss_init(fm_sim_rss *r, const fm_sim_rss_spec *s, fm_error *err)
{
    memset(r, 0, sizeof *r);
    unsigned reta_size = s->reta_size ? s->reta_size : DEFAULT_RETA;
    if (s->cores < 1 || s->cores > FM_SIM_MAX_CORES)
        return fm_fail(err, FM_ERR_INPUT, NULL, 0, 0,
                       "cores must be 1..%d (got %u)", FM_SIM_MAX_CORES, s->cores);
    if (reta_size > MAX_RETA || (reta_size & (reta_size - 1)))
        return fm_fail(err, FM_ERR_INPUT, NULL, 0, 0,
                       "RETA size must be a power of two up to %d (got %u)",
                       MAX_RETA, reta_size);
    if (!s->reta && reta_size < s->cores)
        return fm_fail(err, FM_ERR_INPUT, NULL, 0, 0,
                       "a RETA of %u entries cannot reach %u cores", reta_size,
                       s->cores);
    if (s->reta)
        for (unsigned i = 0; i < reta_size; i++)
            if (s->reta[i] >= s->cores)
                return fm_fail(err, FM_ERR_INPUT, NULL, 0, 0,
                               "RETA entry %u names queue %u of %u", i,
                               s->reta[i], s->cores);
    fm_fieldset hashed = s->hashed & ~(fm_fieldset)FM_F_PROTO;
    uint8_t key4[FM_RSS_KEY_MAX], key6[FM_RSS_KEY_MAX];
    size_t len4 = 40, len6;
    if (s->key4) {
        len4 = s->key4_len < FM_RSS_KEY_MAX ? s->key4_len : FM_RSS_KEY_MAX;
        memcpy(key4, s->key4, len4);
    } else if (s->symmetric) {
        if (fm_toeplitz_symmetric_key(hashed, FM_TOEPLITZ_BOTH, NULL, 40,
                                      log2u(reta_size), key4, err) != 0)
            return -1;
    } else {
        memcpy(key4, fm_rss_ms_key, 40);
    }
    if (s->key6) {
        len6 = s->key6_len < FM_RSS_KEY_MAX ? s->key6_len : FM_RSS_KEY_MAX;
        memcpy(key6, s->key6, len6);
    } else {
        len6 = len4;
        memcpy(key6, key4, len4);
    }
    if (s->symmetric && s->key4 &&
        (check_symmetric(key4, len4, hashed, FM_TOEPLITZ_IPV4, err) != 0 ||
         check_symmetric(key6, len6, hashed, FM_TOEPLITZ_IPV6, err) != 0))
        return -1;

    r->hashed = hashed;
    r->cores = s->cores;
    r->reta_size = reta_size;
    r->symmetric = s->symmetric;
    r->reta = fm_xmalloc(reta_size * sizeof *r->reta);
    for (unsigned i = 0; i < reta_size; i++)
        r->reta[i] = s->reta ? s->reta[i] : (uint16_t)(i % s->cores);
    r->ctx4 = fm_xmalloc(sizeof *r->ctx4);
    fm_toeplitz_ctx_init(r->ctx4, key4, len4);
    if (len6 == len4 && memcmp(key4, key6, len4) == 0) {
        r->ctx6 = r->ctx4;
    } else {
        r->ctx6 = fm_xmalloc(sizeof *r->ctx6);
        fm_toeplitz_ctx_init(r->ctx6, key6, len6);
    }
    return 0;
}

void fm_sim_rss_free(fm_sim_rss *r)
{
    if (r->ctx6 != r->ctx4)
        free(r->ctx6);
    free(r->ctx4);
    free(r->reta);
    memset(r, 0, sizeof *r);
}

void fm_sim_assign(const fm_trace *t, const fm_sim_rss *r, uint16_t *out)
{
    /* Packets visit flows in trace order, i.e. at random: fetch ahead. */
    const size_t ahead = 16;
    for (size_t i = 0; i < t->npkts; i++) {
        if (i + ahead < t->npkts)
            __builtin_prefetch(&t->flows[t->pkt_flow[i + ahead]]);
        out[i] = (uint16_t)fm_sim_rss_core(r, &t->flows[t->pkt_flow[i]]);
    }
}

/* ------------------------------------------------------------ NF entries */

/* The part of a flow that keys the NF's state: the key fields only, the two
 * directions folded onto one when the state is symmetric. */
static void project(const fm_flow_tuple *f, const fm_sim_nf *nf, fm_flow_tuple *k)
{
    memset(k, 0, sizeof *k);
    k->ipv6 = f->ipv6;
    size_t alen = f->ipv6 ? 16 : 4;
    if (nf->key & FM_F_SRC_IP)
        memcpy(k->src, f->src, alen);
    if (nf->key & FM_F_DST_IP)
        memcpy(k->dst, f->dst, alen);
    if (nf->key & FM_F_SRC_PORT)
        k->sport = f->sport;
    if (nf->key & FM_F_DST_PORT)
        k->dport = f->dport;
    if (nf->key & FM_F_PROTO)
        k->proto = f->proto;
    /* Folding needs a key closed under mirroring ({src_ip,dst_ip}, the
     * 4-tuple); for another key "symmetric" has no per-entry meaning. */
    if (nf->symmetric && fm_fieldset_mirror(nf->key) == nf->key) {
        int c = memcmp(k->src, k->dst, 16);
        if (c > 0 || (c == 0 && k->sport > k->dport)) {
            uint8_t tmp[16];
            memcpy(tmp, k->src, 16);
            memcpy(k->src, k->dst, 16);
            memcpy(k->dst, tmp, 16);
            uint16_t p = k->sport;
            k->sport = k->dport;
            k->dport = p;
        }
    }
}

static uint32_t *build_entries(const fm_trace *t, const fm_sim_nf *nf,
                               uint32_t *nentries)
{
    uint32_t *entry = fm_xmalloc((t->nflows ? t->nflows : 1) * sizeof *entry);
    size_t nslots = 64;
    while (nslots < t->nflows * 2)
        nslots *= 2;
    uint32_t *slot = fm_xmalloc(nslots * sizeof *slot); /* a flow per entry */
    memset(slot, 0xff, nslots * sizeof *slot);
    fm_flow_tuple *keys = fm_xmalloc((t->nflows ? t->nflows : 1) * sizeof *keys);
    uint32_t n = 0;
    for (size_t f = 0; f < t->nflows; f++) {
        fm_flow_tuple k;
        project(&t->flows[f], nf, &k);
        size_t s = (size_t)fm_tuple_hash(&k) & (nslots - 1);
        while (slot[s] != UINT32_MAX && !fm_tuple_eq(&keys[slot[s]], &k))
            s = (s + 1) & (nslots - 1);
        if (slot[s] == UINT32_MAX) {
            keys[n] = k;
            slot[s] = n++;
        }
        entry[f] = slot[s];
    }
    free(slot);
    free(keys);
    *nentries = n;
    return entry;
}

int fm_sim_nfs_build(fm_sim_nfs *out, const fm_trace *t, const fm_sim_nf *nfs,
                     size_t n)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    out->nf = fm_xcalloc(n, sizeof *out->nf);
    out->entry = fm_xcalloc(n, sizeof *out->entry);
    out->nentries = fm_xcalloc(n, sizeof *out->nentries);
    for (size_t i = 0; i < n; i++) {
        out->nf[i] = nfs[i];
        out->nf[i].name = fm_xstrdup(nfs[i].name ? nfs[i].name : "");
        if (!nfs[i].stateful)
            continue;
        if (nfs[i].global)
            out->nentries[i] = t->nflows ? 1 : 0;
        else
            out->entry[i] = build_entries(t, &nfs[i], &out->nentries[i]);
    }
    return 0;
}

void fm_sim_nfs_free(fm_sim_nfs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free((char *)s->nf[i].name);
        free(s->entry[i]);
    }
    free(s->nf);
    free(s->entry);
    free(s->nentries);
    memset(s, 0, sizeof *s);
}

/* --------------------------------------------------------------- replay */

void fm_sim_load_compute(const uint64_t *counts, unsigned n, fm_sim_load *out)
{
    memset(out, 0, sizeof *out);
    if (!n)
        return;
    out->min = UINT64_MAX;
    for (unsigned i = 0; i < n; i++) {
        out->total += counts[i];
        if (counts[i] > out->max)
            out->max = counts[i];
        if (counts[i] < out->min)
            out->min = counts[i];
        if (!counts[i])
            out->idle++;
    }
    out->mean = (double)out->total / n;
    if (out->total == 0) {
        out->imbalance = 1.0;
        return;
    }
    double var = 0;
    for (unsigned i = 0; i < n; i++) {
        double d = (double)counts[i] - out->mean;
        var += d * d;
    }
    out->imbalance = (double)out->max / out->mean;
    out->cv = sqrt(var / n) / out->mean;
}

#define UNSET 0xffffu
#define MULTI 0xfffeu

/* Which flows reach an entry that more than one core reaches. */
static void mark_multi(const fm_trace *t, const uint32_t *entry, uint32_t nentries,
                       const uint16_t *flow_core, uint8_t *multi,
                       uint64_t *multi_entries)
{
    uint16_t *st = fm_xmalloc((nentries ? nentries : 1) * sizeof *st);
    for (uint32_t e = 0; e < nentries; e++)
        st[e] = UNSET;
    for (size_t f = 0; f < t->nflows; f++) {
        uint16_t *s = &st[entry[f]];
        if (*s == UNSET)
            *s = flow_core[f];
        else if (*s != flow_core[f])
            *s = MULTI;
    }
    *multi_entries = 0;
    for (uint32_t e = 0; e < nentries; e++)
        *multi_entries += st[e] == MULTI;
    for (size_t f = 0; f < t->nflows; f++)
        multi[f] = st[entry[f]] == MULTI;
    free(st);
}

static void replay_nfs(const fm_trace *t, const fm_sim_nfs *nfs, const int *shared,
                       const uint16_t *flow_core, fm_sim_result *res)
{
    uint8_t *multi = fm_xmalloc(t->nflows ? t->nflows : 1);
    uint8_t *any_contended = fm_xcalloc(t->nflows ? t->nflows : 1, 1);
    int any_shared = 0;
    unsigned busy = res->cores - res->load.idle;
    for (size_t i = 0; i < nfs->n; i++) {
        fm_sim_nf_result *o = &res->nf[i];
        const fm_sim_nf *nf = &nfs->nf[i];
        o->shared = nf->stateful && (!shared || shared[i]);
        if (!nf->stateful)
            continue;
        o->entries = nfs->nentries[i];
        if (nf->global) {
            int many = busy > 1;
            memset(multi, many, t->nflows);
            o->multi_entries = many && t->nflows;
        } else {
            mark_multi(t, nfs->entry[i], nfs->nentries[i], flow_core, multi,
                       &o->multi_entries);
        }
        uint64_t crossed = 0;
        for (size_t f = 0; f < t->nflows; f++) {
            if (!multi[f])
                continue;
            crossed += t->flow_pkts[f];
            if (o->shared)
                any_contended[f] = 1;
        }
        if (o->shared) {
            any_shared = 1;
            o->shared_pkts = res->load.total;
            o->contended_pkts = crossed;
        } else {
            o->violations = crossed;
            res->violations += crossed;
        }
    }
    res->shared_pkts = any_shared ? res->load.total : 0;
    for (size_t f = 0; f < t->nflows; f++)
        if (any_contended[f])
            res->contended_pkts += t->flow_pkts[f];
    free(multi);
    free(any_contended);
}

int fm_sim_replay(const fm_trace *t, const fm_sim_rss *r, const fm_sim_nfs *nfs,
                  const int *shared, fm_sim_result *out, fm_error *err)
{
    (void)err;
    memset(out, 0, sizeof *out);
    out->cores = r->cores;
    out->core_pkts = fm_xcalloc(r->cores, sizeof *out->core_pkts);
    out->core_flows = fm_xcalloc(r->cores, sizeof *out->core_flows);
    uint16_t *flow_core = fm_xmalloc((t->nflows ? t->nflows : 1) * sizeof *flow_core);

    /* Every packet of a flow hashes alike: hash each distinct flow once
     * (Toeplitz tables + RETA) and give its core the flow's packets.  The
     * same counts as hashing every packet (fm_sim_assign; the tests compare
     * them), without redoing identical work. */
    for (size_t f = 0; f < t->nflows; f++) {
        unsigned c = fm_sim_rss_core(r, &t->flows[f]);
        flow_core[f] = (uint16_t)c;
        out->core_pkts[c] += t->flow_pkts[f];
        out->core_flows[c]++;
    }
    fm_sim_load_compute(out->core_pkts, r->cores, &out->load);

    if (nfs) {
        out->nnf = nfs->n;
        out->nf = fm_xcalloc(nfs->n ? nfs->n : 1, sizeof *out->nf);
        replay_nfs(t, nfs, shared, flow_core, out);
    }
    free(flow_core);
    return 0;
}

void fm_sim_result_free(fm_sim_result *res)
{
    free(res->core_pkts);
    free(res->core_flows);
    free(res->nf);
    memset(res, 0, sizeof *res);
}
