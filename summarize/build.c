/* Building a function's summary once its events have converged: guards
 * materialised, keys resolved into positions, aggregates returned by
 * value re-rooted, records compacted and, past a size, coarsened. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ---- building the summary ---- */

/* The guards of event `anchor`, from the function's final values. */
static void anchor_guards(fa *F, uint32_t anchor, guards *gd)
{
    const fm_event *e = &F->f->events[anchor];
    for (uint32_t i = 0; i < e->nguards && gd->n < MAX_GUARDS; i++) {
        const fm_event *c = &F->f->events[e->guards[i].cond];
        if (c->kind != FM_EV_COND)
            continue;
        guard g = {0};
        fm_fa_operand(F, &c->a, &g.lhs);
        fm_fa_operand(F, &c->b, &g.rhs);
        g.cmp = c->cmp;
        g.zflags = c->cond_flags;
        g.pol = e->guards[i].polarity;
        fm_guards_add(gd, &g);
        fm_vs_free(&g.lhs);
        fm_vs_free(&g.rhs);
    }
}

/* The guards of each anchor, made once (the records of a block share
 * their anchor): nevents entries. */
typedef struct anchor_memo {
    guards *g;
    uint8_t *made;
} anchor_memo;

/* A record's anchor's guards added to its own. */
static void materialize_guards(fa *F, uint32_t anchor, guards *gd, anchor_memo *memo)
{
    if (anchor == NO_ANCHOR || anchor >= F->f->nevents)
        return;
    guards *m = &memo->g[anchor];
    if (!memo->made[anchor]) {
        anchor_guards(F, anchor, m);
        memo->made[anchor] = 1;
    }
    fm_guards_append(gd, m);
}

static uint32_t result_local(const fm_func *f)
{
    for (uint32_t i = 0; i < f->nlocals; i++)
        if (f->locals[i].flags & FM_LOCAL_RESULT)
            return i;
    return UINT32_MAX;
}

/* Resolve key objects this function owns into positions. */
static void resolve_key(fa *F, key *k, int final)
{
    an *A = F->A;
    vset keep = {0};
    uint32_t rel = fm_loc_root(A, LR_REL, 0);
    for (uint32_t i = 0; i < k->unresolved.n; i++) {
        atom a = k->unresolved.v[i];
        unsigned kind = atom_kind(a);
        int ptr = kind == AK_PTR;
        uint32_t L = ptr ? (uint32_t)atom_payload(a) : 0;
        if ((kind == AK_PARAM || kind == AK_CONTENT || (ptr && fm_fa_liftable_root(A, L))) && !final) {
            fm_vs_add(&keep, a);
            if (!ptr)
                continue;
        }
        if (ptr) {
            int any = 0;
            uint32_t nw;
            uint32_t *list = fm_fa_cells_within(F, L, &nw);
            for (uint32_t j = 0; j < nw; j++) {
                uint32_t c = list[j];
                k->pos = fm_xrealloc(k->pos, (k->npos + 1) * sizeof *k->pos);
                keypos *p = &k->pos[k->npos++];
                memset(p, 0, sizeof *p);
                p->rel = fm_loc_rebase(A, F->cells[c].loc, L, rel);
                p->site = F->cells[c].site;
                if (fm_loc_starred(A, L))
                    fm_vs_blur(&p->val, &F->cells[c].val); /* positions merged: unusable */
                else
                    fm_vs_copy(&p->val, &F->cells[c].val);
                any = 1;
            }
            free(list);
            if (final && !any) {
                vset tmp = {0};
                fm_fa_read(F, L, &tmp);
                k->pos = fm_xrealloc(k->pos, (k->npos + 1) * sizeof *k->pos);
                keypos *p = &k->pos[k->npos++];
                memset(p, 0, sizeof *p);
                p->rel = rel;
                p->val = tmp;
            }
            continue;
        }
        /* a scalar key */
        k->pos = fm_xrealloc(k->pos, (k->npos + 1) * sizeof *k->pos);
        keypos *p = &k->pos[k->npos++];
        memset(p, 0, sizeof *p);
        p->rel = rel;
        fm_vs_add(&p->val, a);
    }
    fm_vs_free(&k->unresolved);
    k->unresolved = keep;
}

/* What is stored inside `from` (this function's object), as stores into
 * the return object `ret` that callers see. */
static void stores_as_ret(fa *F, uint32_t from, uint32_t ret)
{
    an *A = F->A;
    uint32_t n;
    uint32_t *list = fm_fa_cells_within(F, from, &n);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t c = list[j];
        vset v = {0};
        fm_vs_copy(&v, &F->cells[c].val);
        fm_fa_store(F, F->cells[c].site ^ 0x5245540000000000ULL,
                 fm_loc_rebase(A, F->cells[c].loc, from, ret), &v, 0, NO_ANCHOR, NULL,
                 (evid){F->f, F->f->line_begin});
        fm_vs_free(&v);
    }
    free(list);
}

/* Once guards are materialised, the same write or index reached through
 * several call sites is one record: keep the first, merge the conditions
 * (conservatively), so summaries do not grow with the call tree. */
static void compact_records(fa *F)
{
    summary *s = F->out;
    locidx by = {0};
    uint32_t keep = 0;
    for (uint32_t i = 0; i < s->nstores; i++) {
        rec_store *r = &s->stores[i];
        uint32_t n;
        const uint32_t *kept = fm_locidx_get(&by, r->loc, &n);
        int merged = 0;
        for (uint32_t j = 0; j < n && !merged; j++) {
            rec_store *o = &s->stores[kept[j]];
            if (o->agg == r->agg && fm_vs_equal(&o->val, &r->val)) {
                fm_merge_guards(&o->gd, &r->gd, 0);
                o->invisible |= r->invisible;
                o->coarse |= r->coarse;
                merged = 1;
            }
        }
        if (merged) {
            fm_vs_free(&r->val);
            fm_guards_free(&r->gd);
            continue;
        }
        if (keep != i)
            s->stores[keep] = *r;
        fm_locidx_add(&by, s->stores[keep].loc, keep);
        keep++;
    }
    s->nstores = keep;
    fm_locidx_free(&by);
    keep = 0;
    for (uint32_t i = 0; i < s->nidx; i++) {
        rec_index *r = &s->idx[i];
        uint32_t n;
        const uint32_t *kept = fm_locidx_get(&by, r->loc, &n);
        int merged = 0;
        for (uint32_t j = 0; j < n && !merged; j++) {
            rec_index *o = &s->idx[kept[j]];
            if (o->is_write == r->is_write && fm_vs_equal(&o->idx, &r->idx)) {
                fm_merge_guards(&o->gd, &r->gd, 0);
                merged = 1;
            }
        }
        if (merged) {
            fm_vs_free(&r->idx);
            fm_guards_free(&r->gd);
            continue;
        }
        if (keep != i)
            s->idx[keep] = *r;
        fm_locidx_add(&by, s->idx[keep].loc, keep);
        keep++;
    }
    s->nidx = keep;
    fm_locidx_free(&by);
}

/* The allocated objects a summary's callers can reach, and those whose
 * own writes are still to be followed. */
typedef struct heapwalk {
    locidx seen;              /* LR_HEAP roots reached */
    uint32_t *todo, ntodo, cap;
} heapwalk;

/* Whether loc is no allocated object's, or one already reached. */
static int reached(heapwalk *w, const an *A, uint32_t loc)
{
    uint32_t root = fm_loc_get(A, loc)->root, n;
    if (fm_loc_get(A, root)->kind != LR_HEAP)
        return 1;
    fm_locidx_get(&w->seen, root, &n);
    return n > 0;
}

static void reach_root(heapwalk *w, const an *A, uint32_t loc)
{
    if (reached(w, A, loc))
        return;
    uint32_t root = fm_loc_get(A, loc)->root;
    fm_locidx_add(&w->seen, root, 0);
    if (w->ntodo == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->todo = fm_xrealloc(w->todo, w->cap * sizeof *w->todo);
    }
    w->todo[w->ntodo++] = root;
}

static void reach_values(heapwalk *w, const an *A, const vset *v)
{
    for (uint32_t i = 0; i < v->n; i++)
        if (atom_kind(v->v[i]) == AK_PTR || atom_kind(v->v[i]) == AK_CONTENT)
            reach_root(w, A, (uint32_t)atom_payload(v->v[i]));
}

/* Writes into objects the code allocated that no caller can reach: no
 * pointer to them is returned, stored in memory callers see, part of a
 * key or of an index, or handed to code flowmage cannot see.  An
 * allocated object is never an element's state (nf.c), so such writes
 * only cost every caller their translation. */
static void drop_unreachable_heap(fa *F)
{
    an *A = F->A;
    summary *s = F->out;
    heapwalk w = {0};
    locidx in_heap = {0}; /* allocated object -> the writes into it */
    reach_values(&w, A, &s->ret);
    for (uint32_t i = 0; i < s->nstores; i++) {
        uint32_t root = fm_loc_get(A, s->stores[i].loc)->root;
        if (fm_loc_get(A, root)->kind == LR_HEAP)
            fm_locidx_add(&in_heap, root, i);
        else
            reach_values(&w, A, &s->stores[i].val);
    }
    for (uint32_t i = 0; i < s->nacc; i++) {
        reach_values(&w, A, &s->acc[i].k.unresolved);
        for (uint32_t p = 0; p < s->acc[i].k.npos; p++)
            reach_values(&w, A, &s->acc[i].k.pos[p].val);
    }
    for (uint32_t i = 0; i < s->nidx; i++)
        reach_values(&w, A, &s->idx[i].idx);
    for (uint32_t i = 0; i < s->nescape; i++)
        reach_root(&w, A, s->escape[i].loc);
    while (w.ntodo > 0) { /* what reachable objects point to */
        uint32_t n;
        const uint32_t *in = fm_locidx_get(&in_heap, w.todo[--w.ntodo], &n);
        for (uint32_t j = 0; j < n; j++)
            reach_values(&w, A, &s->stores[in[j]].val);
    }
    uint32_t keep = 0;
    for (uint32_t i = 0; i < s->nstores; i++) {
        rec_store *r = &s->stores[i];
        if (!reached(&w, A, r->loc)) {
            fm_vs_free(&r->val);
            fm_guards_free(&r->gd);
            continue;
        }
        if (keep != i)
            s->stores[keep] = *r;
        keep++;
    }
    s->nstores = keep;
    free(w.todo);
    fm_locidx_free(&w.seen);
    fm_locidx_free(&in_heap);
}

/* A summary with too many writes is coarsened: every write moves up to
 * the member it is under (first level below the root), values merged.
 * Reads of the finer places still see the values (locations overlap), so
 * this loses precision, not soundness.  A write that went through a
 * pointer below that member stays where it is: moved up, it would be filed
 * under the object holding the pointer, not the one it points to. */
static uint32_t coarse_loc(const an *A, uint32_t loc)
{
    uint32_t chain[FM_LOC_MAX_DEPTH + 2], n = 0;
    for (uint32_t l = loc; l && n < FM_LOC_MAX_DEPTH + 2; l = fm_loc_get(A, l)->parent)
        chain[n++] = l;
    /* chain[n-1] is the root, chain[n-2] the member under it */
    for (uint32_t j = 0; j + 2 < n; j++) {
        unsigned k = fm_loc_get(A, chain[j])->kind;
        if (k == LS_DEREF || k == LS_STAR)
            return loc;
    }
    return n >= 2 ? chain[n - 2] : loc;
}

static void coarsen_records(fa *F)
{
    summary *s = F->out;
    if (s->nstores <= (uint32_t)F->A->lim.stores)
        return;
    an *A = F->A;
    char why[600];
    snprintf(why, sizeof why, "more than %d writes in %s: they were merged by member",
             A->lim.stores, F->f->printable);
    fm_strset_add(&s->coarse, why);
    for (uint32_t i = 0; i < s->nstores; i++) {
        rec_store *r = &s->stores[i];
        if (r->agg)
            continue; /* copies keep their shape: they carry keys */
        r->loc = coarse_loc(A, r->loc);
        r->coarse = 1;
        fm_guards_free(&r->gd); /* merged writes count as unconditional */
    }
    locidx by = {0};
    uint32_t keep = 0;
    for (uint32_t i = 0; i < s->nstores; i++) {
        rec_store *r = &s->stores[i];
        uint32_t n;
        const uint32_t *k = r->agg ? NULL : fm_locidx_get(&by, r->loc, &n);
        if (k && n) {
            fm_vs_union(&s->stores[k[0]].val, &r->val);
            s->stores[k[0]].invisible |= r->invisible;
            s->stores[k[0]].coarse = 1;
            fm_vs_free(&r->val);
            continue;
        }
        if (keep != i)
            s->stores[keep] = *r;
        if (!s->stores[keep].agg)
            fm_locidx_add(&by, s->stores[keep].loc, keep);
        keep++;
    }
    s->nstores = keep;
    fm_locidx_free(&by);
}

/* a (n used of *cap) reallocated to n. */
static void *fit(void *a, uint32_t n, uint32_t *cap, size_t size)
{
    if (!a || n >= *cap)
        return a;
    *cap = n ? n : 1;
    return fm_xrealloc(a, *cap * size);
}

static void keep_hash(guards *g)
{
    g->hash = 0; /* (made anew from the guards as they are now) */
    g->hash = fm_guards_key(g);
}

void fm_fa_build_summary(fa *F)
{
    an *A = F->A;
    summary *s = F->out;
    uint32_t ne = F->f->nevents ? F->f->nevents : 1;
    anchor_memo memo = {fm_xcalloc(ne, sizeof *memo.g), fm_xcalloc(ne, 1)};
    for (uint32_t i = 0; i < s->nstores; i++) {
        materialize_guards(F, s->stores[i].anchor, &s->stores[i].gd, &memo);
        s->stores[i].anchor = NO_ANCHOR;
    }
    for (uint32_t i = 0; i < s->nacc; i++) {
        materialize_guards(F, s->acc[i].anchor, &s->acc[i].gd, &memo);
        s->acc[i].anchor = NO_ANCHOR;
        resolve_key(F, &s->acc[i].k, 0);
    }
    for (uint32_t i = 0; i < s->nidx; i++) {
        materialize_guards(F, s->idx[i].anchor, &s->idx[i].gd, &memo);
        s->idx[i].anchor = NO_ANCHOR;
    }
    for (uint32_t i = 0; i < F->f->nevents; i++)
        fm_guards_free(&memo.g[i]);
    free(memo.g);
    free(memo.made);
    /* an aggregate returned by value (in memory or from a local object)
     * becomes the RET root for callers: its members become stores there */
    uint32_t ret = fm_loc_root(A, LR_RET, 0);
    vset r = {0};
    uint32_t rl = result_local(F->f);
    for (uint32_t i = 0; i < s->ret.n; i++) {
        atom a = s->ret.v[i];
        uint32_t L = atom_kind(a) == AK_PTR ? (uint32_t)atom_payload(a) : 0;
        if (!L || fm_fa_liftable_root(A, L)) {
            fm_vs_add(&r, a);
            continue;
        }
        stores_as_ret(F, L, ret);
        fm_vs_add(&r, mk_atom(AK_PTR, 0, ret));
    }
    if (rl != UINT32_MAX && !fm_vs_has(&r, mk_atom(AK_PTR, 0, ret))) {
        /* result object written through its address, returned implicitly */
        stores_as_ret(F, fm_loc_root(A, LR_LOCAL, rl), ret);
    }
    fm_vs_free(&s->ret);
    s->ret = r;
    compact_records(F);
    drop_unreachable_heap(F);
    coarsen_records(F);
    /* the summary is final: its record arrays lose their spare room, and
     * their guards keep their hashes (translated at every call site) */
    for (uint32_t i = 0; i < s->nstores; i++)
        keep_hash(&s->stores[i].gd);
    for (uint32_t i = 0; i < s->nacc; i++)
        keep_hash(&s->acc[i].gd);
    for (uint32_t i = 0; i < s->nidx; i++)
        keep_hash(&s->idx[i].gd);
    s->stores = fit(s->stores, s->nstores, &s->capstores, sizeof *s->stores);
    s->acc = fit(s->acc, s->nacc, &s->capacc, sizeof *s->acc);
    s->idx = fit(s->idx, s->nidx, &s->capidx, sizeof *s->idx);
    s->touch = fit(s->touch, s->ntouch, &s->captouch, sizeof *s->touch);
}

void fm_fa_free(fa *F)
{
    free(F->copies);
    fm_fa_read_memo_free(F);
    for (uint32_t i = 0; i < F->f->nevents; i++)
        fm_vs_free(&F->val[i]);
    free(F->val);
    free(F->val_gen);
    fm_fa_calls_free(F);
    free(F->reached);
    for (uint32_t i = 0; i < F->ncells; i++)
        fm_vs_free(&F->cells[i].val);
    free(F->cells);
    free(F->cell_slots);
    fm_locidx_free(&F->exact);
    fm_locidx_free(&F->within);
    fm_locidx_free(&F->store_ix);
    fm_locidx_free(&F->acc_ix);
    fm_locidx_free(&F->idx_ix);
    fm_locidx_free(&F->touch_ix);
    if (F->tres_map) {
        for (uint32_t i = 0; i < F->f->nevents; i++)
            free(F->tres_map[i]);
        free(F->tres_map);
        free(F->tres_n);
    }
}
