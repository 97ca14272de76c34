/* Two-port replay (docs/simulate.md, "Two ports"): a trace's connections
 * arrive on one device and their replies on another (inside and outside of
 * a NAT).  The first direction of a connection the trace shows goes to the
 * first device, the other direction to the second.  For every stateful NF
 * both devices reach, packets of both sides are grouped into the NF's state
 * entries in one entry space — through the key of the input port each
 * device reaches and the ports' entry lists (attrs keys_by_port), so the
 * remote host a monitor counts is one entry whether it is the destination
 * of a packet inside or the source of one outside — and the entries reached
 * from two cores are counted. */
#include "flowmage/simulate.h"
#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

#include "flowmage/solve.h"

/* ---- splitting the trace ---- */

void fm_trace_split_directions(const fm_trace *t, fm_trace *fwd, fm_trace *rev)
{
    size_t ns = 64;
    while (ns < t->nflows * 2)
        ns *= 2;
    uint32_t *slot = fm_xmalloc(ns * sizeof *slot);
    memset(slot, 0xff, ns * sizeof *slot);
    uint8_t *side = fm_xcalloc(t->nflows + 1, 1);
    for (size_t f = 0; f < t->nflows; f++) {
        fm_flow_tuple m;
        fm_tuple_mirror(&t->flows[f], &m);
        size_t s = fm_tuple_hash(&m) & (ns - 1);
        while (slot[s] != UINT32_MAX && !fm_tuple_eq(&t->flows[slot[s]], &m))
            s = (s + 1) & (ns - 1);
        side[f] = slot[s] != UINT32_MAX; /* its mirror came first: a reply */
        s = fm_tuple_hash(&t->flows[f]) & (ns - 1);
        while (slot[s] != UINT32_MAX)
            s = (s + 1) & (ns - 1);
        slot[s] = (uint32_t)f;
    }
    char src[600];
    snprintf(src, sizeof src, "%s (first direction)", t->source);
    fm_trace_init(fwd, src);
    snprintf(src, sizeof src, "%s (replies)", t->source);
    fm_trace_init(rev, src);
    for (size_t i = 0; i < t->npkts; i++) {
        uint32_t f = t->pkt_flow[i];
        fm_trace_add(side[f] ? rev : fwd, &t->flows[f]);
    }
    fm_trace_finish(fwd);
    fm_trace_finish(rev);
    free(slot);
    free(side);
}

/* ---- entries across both sides ---- */

#define KEY_MAX 40 /* ipv6 flag, key set, two IPv6 addresses, two ports, proto */

typedef struct emap {
    uint8_t *keys;   /* KEY_MAX bytes each */
    uint32_t *slot;
    size_t nslots, n;
} emap;

static uint32_t emap_id(emap *m, const uint8_t *k)
{
    size_t s = fm_hash64(k, KEY_MAX, 7) & (m->nslots - 1);
    while (m->slot[s] != UINT32_MAX && memcmp(m->keys + (size_t)m->slot[s] * KEY_MAX, k, KEY_MAX))
        s = (s + 1) & (m->nslots - 1);
    if (m->slot[s] == UINT32_MAX) {
        memcpy(m->keys + m->n * KEY_MAX, k, KEY_MAX);
        m->slot[s] = (uint32_t)m->n++;
    }
    return m->slot[s];
}

static size_t put_field(const fm_flow_tuple *t, fm_fieldset f, uint8_t *o)
{
    size_t a = t->ipv6 ? 16 : 4;
    if (f == FM_F_SRC_IP || f == FM_F_DST_IP) {
        memcpy(o, f == FM_F_SRC_IP ? t->src : t->dst, a);
        return a;
    }
    if (f == FM_F_SRC_PORT || f == FM_F_DST_PORT) {
        uint16_t v = f == FM_F_SRC_PORT ? t->sport : t->dport;
        o[0] = (uint8_t)(v >> 8), o[1] = (uint8_t)v;
        return 2;
    }
    o[0] = t->proto;
    return 1;
}

/* How an NF names its entries for packets entering by port p of it: by the
 * ports' entry lists when every port devices reach has one of one length,
 * else by the port's key when one port is reached, else by the element's
 * own key (both directions folded when it is symmetric). */
static void entry_key(const fm_solve_nf *nf, const fm_solve_port *p, const fm_flow_tuple *t,
                      uint8_t *k)
{
    memset(k, 0, KEY_MAX);
    k[0] = (uint8_t)t->ipv6;
    size_t n = 1;
    int entries = nf->by_port && p && p->nentry;
    for (size_t i = 0; entries && i < nf->nports; i++)
        entries = nf->ports[i].kind == FM_KEY_NONE || nf->ports[i].nentry == p->nentry;
    if (entries) {
        for (size_t i = 0; i < p->nentry; i++)
            n += put_field(t, p->entry[i], k + n);
        return;
    }
    fm_fieldset key = nf->by_port && nf->nports == 1 && p ? p->key : nf->key;
    fm_flow_tuple v = *t;
    if (nf->symmetric && fm_fieldset_mirror(key) == key) {
        int c = memcmp(v.src, v.dst, 16);
        if (c > 0 || (c == 0 && v.sport > v.dport))
            fm_tuple_mirror(t, &v);
    }
    k[1] = (uint8_t)key;
    n = 2;
    for (fm_fieldset f = 1; f <= FM_F_PROTO; f <<= 1)
        if (key & f)
            n += put_field(&v, f, k + n);
}

/* The port of nf device dev reaches (the first when several). */
static const fm_solve_port *port_of(const fm_solve_nf *nf, int dev)
{
    for (size_t i = 0; i < nf->narrivals; i++)
        if (nf->arrivals[i].device == dev)
            return &nf->ports[nf->arrivals[i].port];
    return NULL;
}

int fm_sim_pair_nf(const struct fm_solve_result *res, int nfi, const int dev[2],
                   const fm_trace *side[2], const fm_sim_rss *rss[2], int shared,
                   fm_sim_pair_result *out)
{
    const fm_solve_nf *nf = &res->nfs[nfi];
    memset(out, 0, sizeof *out);
    out->nf = nfi;
    out->shared = shared;
    size_t total = side[0]->nflows + side[1]->nflows;
    emap m = {0};
    m.nslots = 64;
    while (m.nslots < total * 2)
        m.nslots *= 2;
    m.slot = fm_xmalloc(m.nslots * sizeof *m.slot);
    memset(m.slot, 0xff, m.nslots * sizeof *m.slot);
    m.keys = fm_xmalloc((total + 1) * KEY_MAX);
    uint32_t *id[2];
    for (int s = 0; s < 2; s++) {
        const fm_solve_port *p = port_of(nf, dev[s]);
        id[s] = fm_xmalloc((side[s]->nflows + 1) * sizeof *id[s]);
        uint8_t k[KEY_MAX];
        for (size_t f = 0; f < side[s]->nflows; f++) {
            entry_key(nf, p, &side[s]->flows[f], k);
            id[s][f] = emap_id(&m, k);
        }
    }
    /* the core of each entry: first seen, then "several" */
    uint16_t *core = fm_xmalloc((m.n + 1) * sizeof *core);
    for (size_t e = 0; e < m.n; e++)
        core[e] = 0xffff;
    for (int s = 0; s < 2; s++)
        for (size_t f = 0; f < side[s]->nflows; f++) {
            uint16_t c = (uint16_t)fm_sim_rss_core(rss[s], &side[s]->flows[f]);
            uint16_t *e = &core[id[s][f]];
            *e = *e == 0xffff ? c : *e != c ? 0xfffe : *e;
        }
    out->entries = m.n;
    for (size_t e = 0; e < m.n; e++)
        out->multi_entries += core[e] == 0xfffe;
    for (int s = 0; s < 2; s++)
        for (size_t f = 0; f < side[s]->nflows; f++) {
            out->pkts += side[s]->flow_pkts[f];
            if (core[id[s][f]] == 0xfffe)
                out->contended_pkts += side[s]->flow_pkts[f];
        }
    out->violations = shared ? 0 : out->contended_pkts;
    free(core);
    free(id[0]);
    free(id[1]);
    free(m.slot);
    free(m.keys);
    return 0;
}
