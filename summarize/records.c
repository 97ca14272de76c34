/* Summary records: the guards an effect depends on, and the effects a
 * summary lists (stores, table accesses, indexed arrays, pointers
 * followed), deduplicated by id and by content. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ---- guards ---- */

/* Guards only matter for telling "written when a flow's state is created"
 * from "written per packet": a comparison of a lookup result, or of
 * memory content, or of a parameter that may become one of those.  Keep
 * just those atoms, and only such guards (fewer guards makes a write look
 * more frequent: the conservative side). */
/* The atoms of s that can say "absent"; s is sorted, so is the result. */
static void guard_atoms(vset *d, const vset *s)
{
    fm_vs_clear(d);
    for (uint32_t i = 0; i < s->n; i++) {
        unsigned k = atom_kind(s->v[i]);
        if (k != AK_TRES && k != AK_CONTENT && k != AK_PARAM)
            continue;
        fm_vs_reserve(d, d->n + 1);
        d->v[d->n++] = s->v[i];
    }
}

/* A guard comparing one side with zero, settled when every atom of that
 * side is plain (at most selected or zero-tested) and `known` gives its
 * value (1 non-zero, 0 zero, -1 not known).  Returns 1 if it cannot hold. */
int fm_guard_false_by(const guard *g, int (*known)(atom a, const void *ctx), const void *ctx)
{
    const vset *side = (g->zflags & FM_CONDF_RHS_ZERO) ? &g->lhs
                     : (g->zflags & FM_CONDF_LHS_ZERO) ? &g->rhs : NULL;
    if (!side || !side->n || (g->cmp != FM_CMP_EQ && g->cmp != FM_CMP_NE))
        return 0;
    int zero = 0, nonzero = 0;
    for (uint32_t i = 0; i < side->n; i++) {
        unsigned fl = atom_flags(side->v[i]);
        int v = known(side->v[i], ctx);
        if (v < 0 || (fl & ~(AF_SELECT | AF_ZEROTEST)))
            return 0;
        /* v, or "v == 0" when zero-tested */
        if ((v != 0) != ((fl & AF_ZEROTEST) != 0))
            nonzero = 1;
        else
            zero = 1;
    }
    if (zero && nonzero)
        return 0;
    int holds = g->cmp == FM_CMP_EQ ? zero : nonzero;
    return holds != g->pol;
}

void fm_guards_add(guards *gd, const guard *g)
{
    if (gd->n >= MAX_GUARDS || !(g->zflags & (FM_CONDF_RHS_ZERO | FM_CONDF_LHS_ZERO)))
        return; /* only comparisons with zero/null say "absent" */
    guard d = {0};
    guard_atoms(&d.lhs, &g->lhs);
    guard_atoms(&d.rhs, &g->rhs);
    if (!d.lhs.n && !d.rhs.n) {
        fm_vs_free(&d.lhs);
        fm_vs_free(&d.rhs);
        return;
    }
    d.cmp = g->cmp;
    d.zflags = g->zflags;
    d.pol = g->pol;
    gd->g = fm_xrealloc(gd->g, (gd->n + 1) * sizeof *gd->g);
    gd->g[gd->n++] = d;
    gd->hash = 0;
}

void fm_guards_free(guards *gd)
{
    for (uint32_t i = 0; i < gd->n; i++) {
        fm_vs_free(&gd->g[i].lhs);
        fm_vs_free(&gd->g[i].rhs);
    }
    free(gd->g);
    gd->g = NULL;
    gd->n = 0;
    gd->hash = 0;
}

void fm_guards_append(guards *d, const guards *s)
{
    uint32_t n = s->n < MAX_GUARDS - d->n ? s->n : MAX_GUARDS - d->n;
    if (n)
        d->g = fm_xrealloc(d->g, (d->n + n) * sizeof *d->g); /* (once, not per guard) */
    for (uint32_t i = 0; i < n; i++) {
        guard g = {.cmp = s->g[i].cmp, .zflags = s->g[i].zflags, .pol = s->g[i].pol};
        fm_vs_copy(&g.lhs, &s->g[i].lhs);
        fm_vs_copy(&g.rhs, &s->g[i].rhs);
        d->g[d->n++] = g;
    }
    d->hash = 0;
}

void fm_guards_copy(guards *d, const guards *s)
{
    fm_guards_free(d);
    fm_guards_append(d, s);
    d->hash = s->hash;
}

static uint64_t guards_hash(const guards *g, int *tres)
{
    uint64_t h = 0xcbf29ce484222325ULL;
#define MIX(x) (h = (h ^ (uint64_t)(x)) * 0x100000001b3ULL)
    for (uint32_t i = 0; i < g->n; i++) {
        const guard *x = &g->g[i];
        MIX(x->cmp | x->zflags << 8 | x->pol << 16 | (uint64_t)x->lhs.n << 24);
        const vset *sides[2] = {&x->lhs, &x->rhs};
        for (int s = 0; s < 2; s++)
            for (uint32_t j = 0; j < sides[s]->n; j++) {
                atom a = sides[s]->v[j];
                *tres |= atom_kind(a) == AK_TRES;
                MIX(a);
                MIX(a >> 32);
            }
    }
#undef MIX
    return h;
}

uint32_t fm_guards_key(const guards *g)
{
    if (g->hash)
        return g->hash;
    int tres = 0;
    uint64_t h = guards_hash(g, &tres);
    return ((uint32_t)(h ^ (h >> 32)) & ~3u) | 1 | (tres ? 2 : 0);
}

static void key_free(key *k)
{
    for (uint32_t i = 0; i < k->npos; i++)
        fm_vs_free(&k->pos[i].val);
    free(k->pos);
    fm_vs_free(&k->unresolved);
    memset(k, 0, sizeof *k);
}

void fm_fsum_free(summary *s)
{
    fm_vs_free(&s->ret);
    for (uint32_t i = 0; i < s->nstores; i++) {
        fm_vs_free(&s->stores[i].val);
        fm_guards_free(&s->stores[i].gd);
    }
    free(s->stores);
    for (uint32_t i = 0; i < s->nacc; i++) {
        key_free(&s->acc[i].k);
        fm_guards_free(&s->acc[i].gd);
    }
    free(s->acc);
    for (uint32_t i = 0; i < s->nidx; i++) {
        fm_vs_free(&s->idx[i].idx);
        fm_guards_free(&s->idx[i].gd);
    }
    free(s->idx);
    free(s->touch);
    free(s->escape);
    free(s->reach);
    fm_strset_free(&s->notes);
    fm_strset_free(&s->coarse);
    free(s->label_ev);
    memset(s, 0, sizeof *s);
}

/* ---- records: deduplicated by id (the same effect growing across
 * iterations) and by content (the same effect lifted through many call
 * sites), looked up by location ---- */

static int guard_equal(const guard *a, const guard *b)
{
    return a->cmp == b->cmp && a->zflags == b->zflags && a->pol == b->pol &&
           fm_vs_equal(&a->lhs, &b->lhs) && fm_vs_equal(&a->rhs, &b->rhs);
}

int fm_guards_equal(const guards *a, const guards *b)
{
    if (a->n != b->n)
        return 0;
    for (uint32_t i = 0; i < a->n; i++)
        if (!guard_equal(&a->g[i], &b->g[i]))
            return 0;
    return 1;
}

/* One effect reached under different conditions happens under their
 * common part; keeping none of them is the conservative approximation
 * (an unconditional write counts per packet). */
void fm_merge_guards(guards *into, const guards *gd, int first)
{
    static const guards none;
    if (!gd)
        gd = &none;
    if (first) {
        for (uint32_t i = 0; i < gd->n; i++)
            fm_guards_add(into, &gd->g[i]);
    } else if (!fm_guards_equal(into, gd)) {
        fm_guards_free(into);
    }
}

/* Room for one more record in *v (n used, *cap allocated): doubling, as
 * summaries grow one record at a time. */
static void *grow_records(void *v, uint32_t n, uint32_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 8;
    return fm_xrealloc(v, *cap * size);
}

static void index_record(locidx *ix, uint32_t loc, uint32_t i)
{
    fm_locidx_add(ix, loc, i);
}

static rec_store *store(fa *F, uint64_t id, uint32_t loc, const vset *v, int agg, int inv,
                        uint32_t anchor, const guards *gd, evid ev);

rec_store *fm_fa_store(fa *F, uint64_t id, uint32_t loc, const vset *v, int agg,
                    uint32_t anchor, const guards *gd, evid ev)
{
    return store(F, id, loc, v, agg, 0, anchor, gd, ev);
}

rec_store *fm_fa_write_store(fa *F, uint64_t id, uint32_t loc, uint64_t site, const vset *v,
                             uint32_t anchor, const guards *gd, evid ev)
{
    fm_fa_write(F, loc, site, v);
    if (!fm_fa_liftable_root(F->A, loc) || fm_loc_root_kind(F->A, loc) == LR_SLOT)
        return NULL;
    return fm_fa_store(F, id, loc, v, 0, anchor, gd, ev);
}

/* A write by a callee flowmage cannot see: kept apart from ordinary
 * writes of the same values (tables.c tells them apart). */
rec_store *fm_fa_store_invisible(fa *F, uint64_t id, uint32_t loc, const vset *v,
                                 uint32_t anchor, evid ev)
{
    return store(F, id, loc, v, 0, 1, anchor, NULL, ev);
}

static rec_store *store(fa *F, uint64_t id, uint32_t loc, const vset *v, int agg, int inv,
                        uint32_t anchor, const guards *gd, evid ev)
{
    if (fm_fa_framework_mem(F->A, loc))
        return NULL;
    summary *s = F->out;
    uint32_t n;
    const uint32_t *cand = fm_locidx_get(&F->store_ix, loc, &n);
    for (uint32_t j = 0; j < n; j++) {
        rec_store *r = &s->stores[cand[j]];
        if (r->id == id) {
            if (fm_vs_union(&r->val, v))
                F->changed = 1;
            return r;
        }
    }
    for (uint32_t j = 0; j < n; j++) {
        rec_store *r = &s->stores[cand[j]];
        if (r->agg == agg && r->invisible == inv && fm_vs_equal(&r->val, v) &&
            r->anchor == anchor) {
            fm_merge_guards(&r->gd, gd, 0);
            return r;
        }
    }
    s->stores = grow_records(s->stores, s->nstores, &s->capstores, sizeof *s->stores);
    rec_store *r = &s->stores[s->nstores];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->loc = loc;
    r->agg = agg;
    r->invisible = inv;
    r->anchor = anchor;
    r->ev = ev;
    fm_vs_union(&r->val, v);
    fm_merge_guards(&r->gd, gd, 1);
    index_record(&F->store_ix, loc, s->nstores++);
    F->changed = 1;
    return r;
}

rec_access *fm_fa_access(fa *F, uint64_t id, uint32_t table, const fm_table_api *api,
                      const char *method, int op, const vset *keyatoms,
                      uint32_t anchor, const guards *gd, evid ev)
{
    summary *s = F->out;
    uint32_t n;
    const uint32_t *cand = fm_locidx_get(&F->acc_ix, table, &n);
    for (uint32_t j = 0; j < n; j++) {
        rec_access *r = &s->acc[cand[j]];
        if (r->id == id) {
            if (keyatoms && fm_vs_union(&r->k.unresolved, keyatoms))
                F->changed = 1;
            return r;
        }
    }
    s->acc = grow_records(s->acc, s->nacc, &s->capacc, sizeof *s->acc);
    rec_access *r = &s->acc[s->nacc];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->table = table;
    r->api = api;
    r->method = method;
    r->op = op;
    r->anchor = anchor;
    r->ev = ev;
    if (keyatoms)
        fm_vs_union(&r->k.unresolved, keyatoms);
    fm_merge_guards(&r->gd, gd, 1);
    index_record(&F->acc_ix, table, s->nacc++);
    F->changed = 1;
    return r;
}

void fm_fa_index(fa *F, uint64_t id, uint32_t loc, const vset *idx, int is_write,
              uint32_t anchor, const guards *gd, evid ev)
{
    /* an array in the framework's memory, of unknown origin or allocated
     * by the code (its place never becomes the caller's parameter) is no
     * element's keyed array (tables.c) */
    unsigned rk = fm_loc_root_kind(F->A, loc);
    if (rk == LR_UNKNOWN || rk == LR_HEAP || fm_fa_framework_mem(F->A, loc))
        return;
    summary *s = F->out;
    uint32_t n;
    const uint32_t *cand = fm_locidx_get(&F->idx_ix, loc, &n);
    for (uint32_t j = 0; j < n; j++) {
        rec_index *r = &s->idx[cand[j]];
        if (r->id == id) {
            if (fm_vs_union(&r->idx, idx))
                F->changed = 1;
            r->is_write |= is_write;
            return;
        }
        if (r->is_write == is_write && fm_vs_equal(&r->idx, idx)) {
            fm_merge_guards(&r->gd, gd, 0);
            return;
        }
    }
    s->idx = grow_records(s->idx, s->nidx, &s->capidx, sizeof *s->idx);
    rec_index *r = &s->idx[s->nidx];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->loc = loc;
    r->is_write = is_write;
    r->anchor = anchor;
    r->ev = ev;
    fm_vs_union(&r->idx, idx);
    fm_merge_guards(&r->gd, gd, 1);
    index_record(&F->idx_ix, loc, s->nidx++);
    F->changed = 1;
}

/* Escapes are few and matter per root: one record per root. */
void fm_fa_escape(fa *F, uint32_t loc, evid ev)
{
    summary *s = F->out;
    uint32_t root = fm_loc_get(F->A, loc)->root;
    for (uint32_t i = 0; i < s->nescape; i++)
        if (fm_loc_get(F->A, s->escape[i].loc)->root == root)
            return;
    s->escape = fm_xrealloc(s->escape, (s->nescape + 1) * sizeof *s->escape);
    s->escape[s->nescape++] = (rec_touch){0, loc, ev};
    F->changed = 1;
}

void fm_fa_touch(fa *F, uint64_t id, uint32_t loc, evid ev)
{
    summary *s = F->out;
    uint32_t n;
    fm_locidx_get(&F->touch_ix, loc, &n);
    if (n)
        return;
    s->touch = grow_records(s->touch, s->ntouch, &s->captouch, sizeof *s->touch);
    s->touch[s->ntouch] = (rec_touch){id, loc, ev};
    index_record(&F->touch_ix, loc, s->ntouch++);
    F->changed = 1;
}

void fm_fa_label_ev(fa *F, uint32_t label, evid ev)
{
    if (label >= FM_LABEL_EVS)
        return;
    if (!F->out->label_ev)
        F->out->label_ev = fm_xcalloc(FM_LABEL_EVS, sizeof *F->out->label_ev);
    if (!F->out->label_ev[label].fn)
        F->out->label_ev[label] = ev;
}

void fm_fa_reach(fa *F, const fm_func *g)
{
    summary *s = F->out;
    if (!g || (g->flags & FM_FN_SYSTEM) || s->nreach >= 256)
        return;
    if (!F->reached)
        F->reached = fm_xcalloc(512, sizeof *F->reached);
    uint32_t h = (uint32_t)(((uintptr_t)g * 0x9E3779B97F4A7C15ULL) >> 40) & 511;
    while (F->reached[h] && F->reached[h] != g)
        h = (h + 1) & 511;
    if (F->reached[h])
        return;
    F->reached[h] = g;
    s->reach = fm_xrealloc(s->reach, (s->nreach + 1) * sizeof *s->reach);
    s->reach[s->nreach++] = g;
}
