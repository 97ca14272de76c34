/* A trace as distinct flows + one flow index per packet (include/flowmage/
 * simulate.h).  Flows are deduplicated while the trace is built through an
 * open-addressing index that fm_trace_finish drops. */
#include "flowmage/simulate.h"
#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT32_MAX

uint64_t fm_tuple_hash(const fm_flow_tuple *t)
{
    uint64_t h = fm_hash64(t->src, 16, (uint64_t)t->ipv6 << 8 | t->proto);
    h = fm_hash64(t->dst, 16, h);
    h ^= ((uint64_t)t->sport << 16 | t->dport) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 31);
}

void fm_tuple_mirror(const fm_flow_tuple *t, fm_flow_tuple *m)
{
    *m = *t;
    memcpy(m->src, t->dst, 16);
    memcpy(m->dst, t->src, 16);
    m->sport = t->dport;
    m->dport = t->sport;
}

int fm_tuple_eq(const fm_flow_tuple *a, const fm_flow_tuple *b)
{
    return a->ipv6 == b->ipv6 && a->proto == b->proto && a->sport == b->sport &&
           a->dport == b->dport && memcmp(a->src, b->src, 16) == 0 &&
           memcmp(a->dst, b->dst, 16) == 0;
}

void fm_trace_init(fm_trace *t, const char *source)
{
    memset(t, 0, sizeof *t);
    t->source = fm_xstrdup(source ? source : "");
    t->stats.truncated_at = -1;
}

static void rehash(fm_trace *t, size_t nslots)
{
    free(t->slots);
    t->slots = fm_xmalloc(nslots * sizeof *t->slots);
    for (size_t i = 0; i < nslots; i++)
        t->slots[i] = EMPTY;
    t->nslots = nslots;
    for (size_t f = 0; f < t->nflows; f++) {
        size_t s = (size_t)fm_tuple_hash(&t->flows[f]) & (nslots - 1);
        while (t->slots[s] != EMPTY)
            s = (s + 1) & (nslots - 1);
        t->slots[s] = (uint32_t)f;
    }
}

void fm_trace_add(fm_trace *t, const fm_flow_tuple *tu)
{
    if (!t->slots || (t->nflows + 1) * 2 > t->nslots)
        rehash(t, t->nslots ? t->nslots * 2 : 1024);
    size_t s = (size_t)fm_tuple_hash(tu) & (t->nslots - 1);
    uint32_t f;
    for (;;) {
        f = t->slots[s];
        if (f == EMPTY || fm_tuple_eq(&t->flows[f], tu))
            break;
        s = (s + 1) & (t->nslots - 1);
    }
    if (f == EMPTY) {
        if (t->nflows == t->cap_flows) {
            t->cap_flows = t->cap_flows ? t->cap_flows * 2 : 256;
            t->flows = fm_xrealloc(t->flows, t->cap_flows * sizeof *t->flows);
            t->flow_pkts = fm_xrealloc(t->flow_pkts, t->cap_flows * sizeof *t->flow_pkts);
        }
        f = (uint32_t)t->nflows++;
        t->flows[f] = *tu;
        t->flow_pkts[f] = 0;
        t->slots[s] = f;
    }
    if (t->npkts == t->cap_pkts) {
        t->cap_pkts = t->cap_pkts ? t->cap_pkts * 2 : 4096;
        t->pkt_flow = fm_xrealloc(t->pkt_flow, t->cap_pkts * sizeof *t->pkt_flow);
    }
    t->pkt_flow[t->npkts++] = f;
    t->flow_pkts[f]++;
}

void fm_trace_finish(fm_trace *t)
{
    free(t->slots);
    t->slots = NULL;
    t->nslots = 0;
}

void fm_trace_free(fm_trace *t)
{
    free(t->source);
    free(t->flows);
    free(t->flow_pkts);
    free(t->pkt_flow);
    free(t->slots);
    memset(t, 0, sizeof *t);
}
