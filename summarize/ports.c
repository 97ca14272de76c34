/* Keys per input port.  An element whose per-packet code branches on the
 * input port (`update(p, port == 0)`: the source address on input 0, the
 * destination on input 1) keeps state keyed differently per port.  Each
 * port's key is the NF's tables collected again without the effects its
 * port rules out (a guard on the port parameter that port settles false);
 * the element's key stays what every port agrees on. */
#include <stdlib.h>
#include <string.h>

#include "nf.h"

/* Input ports analysed apart: 0, and "any other" (1), which stands for
 * every port above 0 (its effects are those of some port above 0). */
#define FM_PORTS_APART 2

typedef struct port_arg {
    int param, port;
} port_arg;

/* The port parameter's value on this port. */
static int port_value(atom a, const void *ctx)
{
    const port_arg *p = ctx;
    return atom_kind(a) == AK_PARAM && (int)atom_payload(a) == p->param ? p->port != 0 : -1;
}

/* A guard its port settles false: the tested side is the port parameter
 * alone (or "port == 0"), compared with zero. */
static int dead_guard(const guard *g, int param, int port)
{
    port_arg p = {param, port};
    return fm_guard_false_by(g, port_value, &p);
}

static int dead(const guards *gd, int param, int port)
{
    for (uint32_t i = 0; i < gd->n; i++)
        if (dead_guard(&gd->g[i], param, port))
            return 1;
    return 0;
}

static int port_entry(const nfstate *S, uint32_t e)
{
    return fm_strset_has(&S->N.prof->port_entries, S->entry[e]->simple);
}

/* Does any effect of a port entry depend on the port? */
static int port_matters(const nfstate *S)
{
    int p = S->N.prof->port_param;
    for (uint32_t e = 0; e < S->nentries; e++) {
        const summary *sm = S->sum[e];
        if (!port_entry(S, e))
            continue;
        for (uint32_t i = 0; i < sm->nstores; i++)
            if (dead(&sm->stores[i].gd, p, 0) || dead(&sm->stores[i].gd, p, 1))
                return 1;
        for (uint32_t i = 0; i < sm->nacc; i++)
            if (dead(&sm->acc[i].gd, p, 0) || dead(&sm->acc[i].gd, p, 1))
                return 1;
        for (uint32_t i = 0; i < sm->nidx; i++)
            if (dead(&sm->idx[i].gd, p, 0) || dead(&sm->idx[i].gd, p, 1))
                return 1;
    }
    return 0;
}

/* A shallow copy of sm without what `port` rules out; accesses keep their
 * numbers (lookup results name them): a dead one loses its table. */
static summary *port_view(const summary *sm, int param, int port)
{
    summary *v = fm_xcalloc(1, sizeof *v);
    *v = *sm;
    v->stores = fm_xmalloc((sm->nstores + 1) * sizeof *v->stores);
    v->idx = fm_xmalloc((sm->nidx + 1) * sizeof *v->idx);
    v->acc = fm_xmalloc((sm->nacc + 1) * sizeof *v->acc);
    v->nstores = v->nidx = 0;
    v->capstores = sm->nstores + 1;
    v->capidx = sm->nidx + 1;
    v->capacc = sm->nacc + 1;
    for (uint32_t i = 0; i < sm->nstores; i++)
        if (!dead(&sm->stores[i].gd, param, port))
            v->stores[v->nstores++] = sm->stores[i];
    for (uint32_t i = 0; i < sm->nidx; i++)
        if (!dead(&sm->idx[i].gd, param, port))
            v->idx[v->nidx++] = sm->idx[i];
    for (uint32_t i = 0; i < sm->nacc; i++) {
        v->acc[i] = sm->acc[i];
        if (dead(&sm->acc[i].gd, param, port))
            v->acc[i].table = 0;
    }
    return v;
}

static void view_free(summary *v)
{
    free(v->stores);
    free(v->idx);
    free(v->acc);
    free(v);
}

/* The NF's key through `port`: what its stateful tables agree on. */
static void port_key(nfstate *T, fm_port_key *k)
{
    int any = 0, unknown = 0, fcb = 0;
    fm_fieldset must = FM_F_ALL;
    uint32_t keyed = 0;
    for (uint32_t i = 0; i < T->nt; i++) {
        const tbl *t = &T->t[i];
        if (!t->stateful)
            continue;
        if (t->kind == TK_FLOW_STATE) {
            fcb = 1;
            continue;
        }
        any = 1;
        must &= t->key.must;
        unknown |= t->key.unknown && !t->key.must;
        k->symmetric |= t->key.symmetric;
        for (size_t j = 0; j < t->key.other.n; j++)
            fm_strset_add(&k->other, t->key.other.v[j]);
        keyed++;
    }
    k->kind = !any && !fcb ? FM_KEY_NONE : fcb && !any ? FM_KEY_FLOW_MANAGER
            : unknown ? FM_KEY_UNKNOWN : FM_KEY_FIELDS;
    k->fields = k->kind == FM_KEY_FIELDS ? must : 0;
    /* one table keyed by one field: every port reaching it by one field
     * reaches the same entry when those fields are equal */
    if (keyed == 1 && k->kind == FM_KEY_FIELDS && k->fields && !(k->fields & (k->fields - 1))) {
        k->entry[0] = k->fields;
        k->nentry = 1;
    }
}

static void analyse_port(nfstate *S, int port, fm_port_key *k)
{
    nfstate *T = fm_xcalloc(1, sizeof *T);
    T->N = S->N;
    T->N.keyed = NULL;
    T->N.nkeyed = 0;
    T->out = S->out;
    T->nentries = S->nentries;
    summary *views[FM_NF_MAX_ENTRIES] = {0};
    for (uint32_t e = 0; e < S->nentries; e++) {
        T->entry[e] = S->entry[e];
        views[e] = port_entry(S, e) ? port_view(S->sum[e], S->N.prof->port_param, port) : NULL;
        T->sum[e] = views[e] ? views[e] : S->sum[e];
    }
    fm_nf_collect_tables(T);
    port_key(T, k);
    fm_nf_tables_free(T);
    free(T->N.keyed);
    for (uint32_t e = 0; e < S->nentries; e++)
        if (views[e])
            view_free(views[e]);
    free(T);
}

static int same_key(const fm_port_key *a, const fm_port_key *b)
{
    return a->kind == b->kind && a->fields == b->fields && a->symmetric == b->symmetric &&
           a->nentry == b->nentry && (!a->nentry || a->entry[0] == b->entry[0]);
}

void fm_nf_port_keys(nfstate *S, int ninputs)
{
    if (S->N.prof->port_param < 0 || ninputs < 2 || !port_matters(S))
        return;
    fm_port_key k[FM_PORTS_APART];
    memset(k, 0, sizeof k);
    for (int p = 0; p < FM_PORTS_APART; p++)
        analyse_port(S, p, &k[p]);
    if (same_key(&k[0], &k[1])) {
        for (int p = 0; p < FM_PORTS_APART; p++)
            fm_strset_free(&k[p].other);
        return;
    }
    for (int port = 0; port < ninputs && port < FM_PORT_MAX; port++) {
        const fm_port_key *src = &k[port ? 1 : 0];
        fm_port_key *d = fm_elem_port_key_add(&S->out->a, port);
        d->kind = src->kind;
        d->fields = src->fields;
        d->symmetric = src->symmetric;
        d->nentry = src->nentry;
        memcpy(d->entry, src->entry, sizeof d->entry);
        for (size_t j = 0; j < src->other.n; j++)
            fm_strset_add(&d->other, src->other.v[j]);
    }
    for (int p = 0; p < FM_PORTS_APART; p++)
        fm_strset_free(&k[p].other);
}
