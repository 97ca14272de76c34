/* Function summaries by abstract interpretation of the plugin's events.
 *
 * Within a function the analysis is flow-insensitive: every event is
 * evaluated until nothing changes (values only grow).  Calls apply the
 * callee's summary with the actual arguments (calls.c), so summaries compose
 * bottom-up across translation units; recursion iterates to a fixpoint. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

void an_trace(an *A, const fm_func *f, const summary *s);
void an_trace_slow(an *A, const fm_func *f, double seconds);

/* ---- guards ---- */

/* Guards only matter for telling "written when a flow's state is created"
 * from "written per packet": a comparison of a lookup result, or of
 * memory content, or of a parameter that may become one of those.  Keep
 * just those atoms, and only such guards (fewer guards makes a write look
 * more frequent: the conservative side). */
/* The atoms of s that can say "absent"; s is sorted, so is the result. */
static void guard_atoms(vset *d, const vset *s)
{
    vs_clear(d);
    for (uint32_t i = 0; i < s->n; i++) {
        unsigned k = atom_kind(s->v[i]);
        if (k != AK_TRES && k != AK_CONTENT && k != AK_PARAM)
            continue;
        if (d->n == d->cap) {
            d->cap = d->cap ? d->cap * 2 : 4;
            d->v = fm_xrealloc(d->v, d->cap * sizeof *d->v);
        }
        d->v[d->n++] = s->v[i];
    }
}

void guards_add(guards *gd, const guard *g)
{
    if (gd->n >= MAX_GUARDS || !(g->zflags & (FM_CONDF_RHS_ZERO | FM_CONDF_LHS_ZERO)))
        return; /* only comparisons with zero/null say "absent" */
    guard *d = &gd->g[gd->n];
    memset(d, 0, sizeof *d);
    guard_atoms(&d->lhs, &g->lhs);
    guard_atoms(&d->rhs, &g->rhs);
    if (!d->lhs.n && !d->rhs.n) {
        vs_free(&d->lhs);
        vs_free(&d->rhs);
        return;
    }
    d->cmp = g->cmp;
    d->zflags = g->zflags;
    d->pol = g->pol;
    gd->n++;
}

void guards_free(guards *gd)
{
    for (uint32_t i = 0; i < gd->n; i++) {
        vs_free(&gd->g[i].lhs);
        vs_free(&gd->g[i].rhs);
    }
    gd->n = 0;
}

static void key_free(key *k)
{
    for (uint32_t i = 0; i < k->npos; i++)
        vs_free(&k->pos[i].val);
    free(k->pos);
    vs_free(&k->unresolved);
    memset(k, 0, sizeof *k);
}

void summary_free(summary *s)
{
    vs_free(&s->ret);
    for (uint32_t i = 0; i < s->nstores; i++) {
        vs_free(&s->stores[i].val);
        guards_free(&s->stores[i].gd);
    }
    free(s->stores);
    for (uint32_t i = 0; i < s->nacc; i++) {
        key_free(&s->acc[i].k);
        guards_free(&s->acc[i].gd);
    }
    free(s->acc);
    for (uint32_t i = 0; i < s->nidx; i++) {
        vs_free(&s->idx[i].idx);
        guards_free(&s->idx[i].gd);
    }
    free(s->idx);
    free(s->touch);
    vs_free(&s->keywords);
    free(s->reach);
    fm_strset_free(&s->notes);
    memset(s, 0, sizeof *s);
}

/* ---- operands and memory ---- */

static int is_scalar_kind(unsigned k)
{
    return k == AK_LABEL || k == AK_PARAM || k == AK_CONTENT || k == AK_TRES;
}

static atom add_flags(atom a, unsigned outer)
{
    if (!outer || !is_scalar_kind(atom_kind(a)))
        return a;
    return atom_with_flags(a, flags_compose(atom_flags(a), outer));
}

void fa_operand(fa *F, const fm_opnd *o, vset *out)
{
    an *A = F->A;
    for (uint32_t i = 0; i < o->n; i++) {
        const fm_origin *x = &o->v[i];
        switch (x->kind) {
        case FM_OR_PARAM:
            vs_add(out, mk_atom(AK_PARAM, x->flags, x->index));
            break;
        case FM_OR_PARAMADDR:
            vs_add(out, mk_atom(AK_PTR, 0, loc_root(A, LR_SLOT, x->index)));
            break;
        case FM_OR_EVENT: {
            const vset *v = &F->val[x->index];
            for (uint32_t k = 0; k < v->n; k++)
                vs_add(out, add_flags(v->v[k], x->flags));
            break;
        }
        case FM_OR_LOCAL:
            vs_add(out, mk_atom(AK_PTR, 0, loc_root(A, LR_LOCAL, x->index)));
            break;
        case FM_OR_GLOBAL:
            vs_add(out, mk_atom(AK_PTR, 0, loc_root(A, LR_GLOBAL, x->index)));
            break;
        case FM_OR_STR:
            vs_add(out, mk_atom(AK_STR, 0, x->index));
            break;
        case FM_OR_CONST:
            vs_add(out, mk_atom(AK_CONST, 0, x->index));
            break;
        }
    }
}

static int is_flow_state_global(const an *A, uint32_t g)
{
    for (uint32_t i = 0; i < A->nflow_state_globals; i++)
        if ((uint32_t)A->flow_state_globals[i] == g)
            return 1;
    return 0;
}

/* Where a pointer value can point. */
void fa_atom_locs(fa *F, atom a, uint32_t *locs, uint32_t *n, uint32_t max)
{
    an *A = F->A;
    uint32_t l = 0;
    /* a value computed by a function flowmage cannot see carries its
     * arguments' taint, not their addresses: as a pointer it is unknown */
    if (atom_flags(a) & AF_OPAQUE)
        a = mk_atom(AK_UNKNOWN, 0, 0);
    switch (atom_kind(a)) {
    case AK_PTR:
        l = (uint32_t)atom_payload(a);
        break;
    case AK_PARAM:
        l = loc_root(A, LR_PARAM, (uint32_t)atom_payload(a));
        break;
    case AK_CONTENT: {
        uint32_t c = (uint32_t)atom_payload(a);
        const aloc *cl = loc_get(A, c);
        if (!cl->parent && cl->kind == LR_GLOBAL && is_flow_state_global(A, cl->arg))
            l = loc_root(A, LR_FCB, 0); /* the flow manager's per-flow block */
        else
            l = loc_child(A, c, LS_DEREF, 0);
        break;
    }
    case AK_STR:
    case AK_TRES:
    case AK_CONST:
        return; /* markers and constants, not addresses */
    default:
        l = loc_root(A, LR_UNKNOWN, 0);
    }
    for (uint32_t i = 0; i < *n; i++)
        if (locs[i] == l)
            return;
    if (*n < max)
        locs[(*n)++] = l;
}

/* ---- the cell index: reads look at a location's own cells, its
 * ancestors' and its descendants', never at the whole memory ---- */

static void locidx_grow(locidx *x)
{
    locidx old = *x;
    uint32_t ns = x->nslots ? x->nslots * 2 : 64;
    x->key = fm_xcalloc(ns, sizeof *x->key);
    x->cells = fm_xcalloc(ns, sizeof *x->cells);
    x->n = fm_xcalloc(ns, sizeof *x->n);
    x->cap = fm_xcalloc(ns, sizeof *x->cap);
    x->nslots = ns;
    for (uint32_t i = 0; i < old.nslots; i++) {
        if (!old.key[i])
            continue;
        uint32_t h = (old.key[i] * 2654435761u) & (ns - 1);
        while (x->key[h])
            h = (h + 1) & (ns - 1);
        x->key[h] = old.key[i];
        x->cells[h] = old.cells[i];
        x->n[h] = old.n[i];
        x->cap[h] = old.cap[i];
    }
    free(old.key);
    free(old.cells);
    free(old.n);
    free(old.cap);
}

/* Slot of loc, or -1 if absent and not created. */
static long locidx_slot(locidx *x, uint32_t loc, int create)
{
    if (create && (x->used + 1) * 2 > x->nslots)
        locidx_grow(x);
    if (!x->nslots)
        return -1;
    uint32_t h = ((loc + 1) * 2654435761u) & (x->nslots - 1);
    while (x->key[h] && x->key[h] != loc + 1)
        h = (h + 1) & (x->nslots - 1);
    if (!x->key[h]) {
        if (!create)
            return -1;
        x->key[h] = loc + 1;
        x->used++;
    }
    return (long)h;
}

static void locidx_add(locidx *x, uint32_t loc, uint32_t cell)
{
    long h = locidx_slot(x, loc, 1);
    if (x->n[h] == x->cap[h]) {
        x->cap[h] = x->cap[h] ? x->cap[h] * 2 : 4;
        x->cells[h] = fm_xrealloc(x->cells[h], x->cap[h] * sizeof **x->cells);
    }
    x->cells[h][x->n[h]++] = cell;
}

static const uint32_t *locidx_get(locidx *x, uint32_t loc, uint32_t *count)
{
    long h = locidx_slot(x, loc, 0);
    *count = h < 0 ? 0 : x->n[h];
    return h < 0 ? NULL : x->cells[h];
}

static void locidx_free(locidx *x)
{
    for (uint32_t i = 0; i < x->nslots; i++)
        free(x->cells[i]);
    free(x->key);
    free(x->cells);
    free(x->n);
    free(x->cap);
    memset(x, 0, sizeof *x);
}

/* Within-object ancestors of loc, itself first: loc_within(a, loc). */
static uint32_t object_ancestors(const an *A, uint32_t loc, uint32_t *out, uint32_t max)
{
    uint32_t n = 0;
    while (loc && n < max) {
        out[n++] = loc;
        const aloc *l = loc_get(A, loc);
        if (l->kind == LS_DEREF)
            break;
        loc = l->parent;
    }
    return n;
}

uint32_t *fa_cells_within(fa *F, uint32_t loc, uint32_t *n)
{
    const uint32_t *list = locidx_get(&F->within, loc, n);
    uint32_t *copy = fm_xmalloc((*n ? *n : 1) * sizeof *copy);
    if (*n)
        memcpy(copy, list, *n * sizeof *copy);
    return copy;
}

static uint32_t cell_hash(uint32_t loc, uint64_t site)
{
    uint64_t h = loc * 0x9E3779B97F4A7C15ULL ^ site * 0xC2B2AE3D27D4EB4FULL;
    return (uint32_t)(h ^ (h >> 31));
}

static cell *cell_get(fa *F, uint32_t loc, uint64_t site)
{
    if ((F->ncells + 1) * 2 > F->ncell_slots) {
        uint32_t ns = F->ncell_slots ? F->ncell_slots * 2 : 64;
        uint32_t *slots = fm_xcalloc(ns, sizeof *slots);
        for (uint32_t i = 0; i < F->ncells; i++) {
            uint32_t h = cell_hash(F->cells[i].loc, F->cells[i].site) & (ns - 1);
            while (slots[h])
                h = (h + 1) & (ns - 1);
            slots[h] = i + 1;
        }
        free(F->cell_slots);
        F->cell_slots = slots;
        F->ncell_slots = ns;
    }
    uint32_t h = cell_hash(loc, site) & (F->ncell_slots - 1);
    while (F->cell_slots[h]) {
        cell *c = &F->cells[F->cell_slots[h] - 1];
        if (c->loc == loc && c->site == site)
            return c;
        h = (h + 1) & (F->ncell_slots - 1);
    }
    if (F->ncells == F->capcells) {
        F->capcells = F->capcells ? F->capcells * 2 : 32;
        F->cells = fm_xrealloc(F->cells, F->capcells * sizeof *F->cells);
    }
    uint32_t ci = F->ncells++;
    cell *c = &F->cells[ci];
    memset(c, 0, sizeof *c);
    c->loc = loc;
    c->root = loc_get(F->A, loc)->root;
    c->site = site;
    F->cell_slots[h] = F->ncells;
    locidx_add(&F->exact, loc, ci);
    uint32_t anc[LOC_MAX_DEPTH + 2];
    uint32_t na = object_ancestors(F->A, loc, anc, LOC_MAX_DEPTH + 2);
    for (uint32_t i = 0; i < na; i++)
        locidx_add(&F->within, anc[i], ci);
    return c;
}

/* Another store already holds exactly these values here: a new site adds
 * no alternative (and sites multiply through deep call trees). */
static int same_values_stored(fa *F, uint32_t loc, uint64_t site, const vset *v)
{
    uint32_t n;
    const uint32_t *at = locidx_get(&F->exact, loc, &n);
    int have_site = 0, same = 0;
    for (uint32_t i = 0; i < n; i++) {
        have_site |= F->cells[at[i]].site == site;
        same |= vs_equal(&F->cells[at[i]].val, v);
    }
    return !have_site && same;
}

void fa_write(fa *F, uint32_t loc, uint64_t site, const vset *v)
{
    /* memory reached through pointers of unknown origin is not modelled:
     * what is stored there is not read back (reads give "unknown"), or
     * every such store would pollute every such read */
    if (loc_root_kind(F->A, loc) == LR_UNKNOWN)
        return;
    /* nor is the framework's own memory (its packet pools): no element's
     * state, and what it holds is recycled packets of every flow */
    const aloc *r = loc_get(F->A, loc_get(F->A, loc)->root);
    if (r->kind == LR_GLOBAL && F->A->framework_global[r->arg])
        return;
    if (same_values_stored(F, loc, site, v))
        return;
    cell *c = cell_get(F, loc, site);
    if (vs_union(&c->val, v)) {
        F->changed = 1;
        F->wgen++;
    }
}

int fa_liftable_root(const an *A, uint32_t loc)
{
    unsigned k = loc_root_kind(A, loc);
    return k != LR_LOCAL && k != LR_CALLRET && k != LR_REL;
}

/* A header field anywhere on the location's path (e.g. the bytes of
 * click_ether.ether_shost read through a pointer to them). */
static int32_t field_header(an *A, uint32_t fid)
{
    if (A->field_label[fid] < 0) {
        const fieldref *f = field_get(A, fid);
        const char *h = fm_profile_header(A->prof, f->rec, f->field);
        A->field_label[fid] = h ? (int32_t)label_id(A, h) + 1 : 0;
    }
    return A->field_label[fid];
}

static const char *loc_header(an *A, uint32_t loc)
{
    for (uint32_t l = loc; l; l = loc_get(A, l)->parent) {
        const aloc *x = loc_get(A, l);
        if (x->kind == LS_FIELD && field_header(A, x->arg))
            return label_name(A, (uint32_t)field_header(A, x->arg) - 1);
    }
    return NULL;
}

void fa_read(fa *F, uint32_t loc, vset *out)
{
    an *A = F->A;
    A->work += 1 + out->n;
    const char *h = loc_header(A, loc);
    if (h) {
        vs_add(out, mk_atom(AK_LABEL, 0, label_id(A, h)));
        return;
    }
    /* cells at or below loc, and cells at its ancestors in the object */
    uint32_t n;
    const uint32_t *below = locidx_get(&F->within, loc, &n);
    for (uint32_t i = 0; i < n; i++)
        vs_union(out, &F->cells[below[i]].val);
    uint32_t anc[LOC_MAX_DEPTH + 2];
    uint32_t na = object_ancestors(A, loc, anc, LOC_MAX_DEPTH + 2);
    for (uint32_t a = 1; a < na; a++) {
        const uint32_t *at = locidx_get(&F->exact, anc[a], &n);
        for (uint32_t i = 0; i < n; i++)
            vs_union(out, &F->cells[at[i]].val);
    }
    const aloc *l = loc_get(A, loc);
    const aloc *r = loc_get(A, l->root);
    switch (r->kind) {
    case LR_LOCAL:
    case LR_CALLRET:
    case LR_HEAP:
    case LR_REL:
        return; /* no content before this function stores some */
    case LR_SLOT:
        if (loc == l->root) {
            vs_add(out, mk_atom(AK_PARAM, 0, r->arg));
            return;
        }
        break;
    default:
        break;
    }
    vs_add(out, mk_atom(AK_CONTENT, 0, loc));
}

/* Aggregate copy: everything stored inside src, re-rooted at dst; and the
 * unknown initial content of src when it is visible to callers. */
void fa_copy(fa *F, uint32_t dst, uint32_t src, uint64_t site)
{
    an *A = F->A;
    uint32_t n;
    uint32_t *list = fa_cells_within(F, src, &n);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t i = list[j];
        uint32_t d = loc_rebase(A, F->cells[i].loc, src, dst);
        uint64_t s = site * 1000003u ^ F->cells[i].site;
        vset tmp = {0};
        vs_copy(&tmp, &F->cells[i].val); /* cells may move when adding */
        fa_write(F, d, s, &tmp);
        vs_free(&tmp);
    }
    free(list);
    if (fa_liftable_root(A, src)) {
        vset tmp = {0};
        vs_add(&tmp, mk_atom(AK_CONTENT, 0, src));
        fa_write(F, dst, site, &tmp);
        vs_free(&tmp);
    }
}

/* An aggregate copy that callers must see: either they copy from the
 * (translated) source themselves, or, when the source is this function's
 * own memory, they get each copied member as a store. */
void fa_store_agg(fa *F, uint64_t id, uint32_t dst, uint32_t src, uint64_t site,
                  uint32_t anchor, const guards *gd, evid ev)
{
    an *A = F->A;
    fa_copy(F, dst, src, site);
    if (!fa_liftable_root(A, dst) || loc_root_kind(A, dst) == LR_SLOT)
        return;
    if (fa_liftable_root(A, src)) {
        vset v = {0};
        vs_add(&v, mk_atom(AK_PTR, 0, src));
        fa_store(F, id, dst, &v, 1, anchor, gd, ev);
        vs_free(&v);
        return;
    }
    uint32_t n;
    uint32_t *list = fa_cells_within(F, src, &n);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t i = list[j];
        vset v = {0};
        vs_copy(&v, &F->cells[i].val);
        uint32_t d = loc_rebase(A, F->cells[i].loc, src, dst);
        fa_store(F, id ^ (F->cells[i].site * 0x9E3779B97F4A7C15ULL), d, &v, 0, anchor, gd, ev);
        vs_free(&v);
    }
    free(list);
}

void fa_set_val(fa *F, uint32_t k, const vset *v)
{
    if (vs_union(&F->val[k], v))
        F->changed = 1;
}

/* ---- records: deduplicated by id (the same effect growing across
 * iterations) and by content (the same effect lifted through many call
 * sites), looked up by location ---- */

static int guard_equal(const guard *a, const guard *b)
{
    return a->cmp == b->cmp && a->zflags == b->zflags && a->pol == b->pol &&
           vs_equal(&a->lhs, &b->lhs) && vs_equal(&a->rhs, &b->rhs);
}

int guards_equal(const guards *a, const guards *b)
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
static void merge_guards(guards *into, const guards *gd, int first)
{
    static const guards none;
    if (!gd)
        gd = &none;
    if (first) {
        for (uint32_t i = 0; i < gd->n; i++)
            guards_add(into, &gd->g[i]);
    } else if (!guards_equal(into, gd)) {
        guards_free(into);
    }
}

static void index_record(locidx *ix, uint32_t loc, uint32_t i)
{
    locidx_add(ix, loc, i);
}

rec_store *fa_store(fa *F, uint64_t id, uint32_t loc, const vset *v, int agg,
                    uint32_t anchor, const guards *gd, evid ev)
{
    summary *s = F->out;
    uint32_t n;
    const uint32_t *cand = locidx_get(&F->store_ix, loc, &n);
    for (uint32_t j = 0; j < n; j++) {
        rec_store *r = &s->stores[cand[j]];
        if (r->id == id) {
            if (vs_union(&r->val, v))
                F->changed = 1;
            return r;
        }
    }
    for (uint32_t j = 0; j < n; j++) {
        rec_store *r = &s->stores[cand[j]];
        if (r->agg == agg && vs_equal(&r->val, v) && r->anchor == anchor) {
            merge_guards(&r->gd, gd, 0);
            return r;
        }
    }
    s->stores = fm_xrealloc(s->stores, (s->nstores + 1) * sizeof *s->stores);
    rec_store *r = &s->stores[s->nstores];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->loc = loc;
    r->agg = agg;
    r->anchor = anchor;
    r->ev = ev;
    vs_union(&r->val, v);
    merge_guards(&r->gd, gd, 1);
    index_record(&F->store_ix, loc, s->nstores++);
    F->changed = 1;
    return r;
}

rec_access *fa_access(fa *F, uint64_t id, uint32_t table, const fm_table_api *api,
                      const char *method, int op, const vset *keyatoms,
                      uint32_t anchor, const guards *gd, evid ev)
{
    summary *s = F->out;
    uint32_t n;
    const uint32_t *cand = locidx_get(&F->acc_ix, table, &n);
    for (uint32_t j = 0; j < n; j++) {
        rec_access *r = &s->acc[cand[j]];
        if (r->id == id) {
            if (keyatoms && vs_union(&r->k.unresolved, keyatoms))
                F->changed = 1;
            return r;
        }
    }
    s->acc = fm_xrealloc(s->acc, (s->nacc + 1) * sizeof *s->acc);
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
        vs_union(&r->k.unresolved, keyatoms);
    merge_guards(&r->gd, gd, 1);
    index_record(&F->acc_ix, table, s->nacc++);
    F->changed = 1;
    return r;
}

void fa_index(fa *F, uint64_t id, uint32_t loc, const vset *idx, int is_write,
              uint32_t anchor, const guards *gd, evid ev)
{
    summary *s = F->out;
    uint32_t n;
    const uint32_t *cand = locidx_get(&F->idx_ix, loc, &n);
    for (uint32_t j = 0; j < n; j++) {
        rec_index *r = &s->idx[cand[j]];
        if (r->id == id) {
            if (vs_union(&r->idx, idx))
                F->changed = 1;
            r->is_write |= is_write;
            return;
        }
        if (r->is_write == is_write && vs_equal(&r->idx, idx)) {
            merge_guards(&r->gd, gd, 0);
            return;
        }
    }
    s->idx = fm_xrealloc(s->idx, (s->nidx + 1) * sizeof *s->idx);
    rec_index *r = &s->idx[s->nidx];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->loc = loc;
    r->is_write = is_write;
    r->anchor = anchor;
    r->ev = ev;
    vs_union(&r->idx, idx);
    merge_guards(&r->gd, gd, 1);
    index_record(&F->idx_ix, loc, s->nidx++);
    F->changed = 1;
}

void fa_touch(fa *F, uint64_t id, uint32_t loc, evid ev)
{
    summary *s = F->out;
    uint32_t n;
    locidx_get(&F->touch_ix, loc, &n);
    if (n)
        return;
    s->touch = fm_xrealloc(s->touch, (s->ntouch + 1) * sizeof *s->touch);
    s->touch[s->ntouch] = (rec_touch){id, loc, ev};
    index_record(&F->touch_ix, loc, s->ntouch++);
    F->changed = 1;
}

void fa_label_ev(fa *F, uint32_t label, evid ev)
{
    if (label < 32 && !F->out->label_ev[label].fn)
        F->out->label_ev[label] = ev;
}

void fa_reach(fa *F, const fm_func *g)
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

/* ---- events ---- */

static int is_packet_data(an *A, uint32_t loc)
{
    /* memory reached by following a pointer member of a packet record */
    while (loc) {
        const aloc *l = loc_get(A, loc);
        if (l->kind == LS_DEREF && l->parent) {
            const aloc *p = loc_get(A, l->parent);
            if (p->kind == LS_FIELD &&
                fm_strset_has(&A->prof->packet_records, field_get(A, p->arg)->rec))
                return 1;
        }
        loc = l->parent;
    }
    return 0;
}

/* Locations an access event designates (base locations + member path). */
static uint32_t access_locs(fa *F, const fm_event *e, uint32_t *out, uint32_t max)
{
    an *A = F->A;
    vset base = {0};
    fa_operand(F, &e->base, &base);
    uint32_t n = 0;
    for (uint32_t i = 0; i < base.n; i++)
        fa_atom_locs(F, base.v[i], out, &n, max);
    vs_free(&base);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l = out[i];
        for (uint32_t k = 0; k < e->npath; k++) {
            const fm_pathel *pe = &e->path[k];
            if (!pe->rec)
                l = loc_child(A, l, LS_INDEX, 0);
            else if (pe->field && strcmp(pe->field, "$base") != 0)
                l = loc_child(A, l, LS_FIELD, field_id(A, pe->rec, pe->field));
        }
        out[i] = l;
    }
    return n;
}

static const char *header_label(const an *A, const fm_event *e)
{
    for (uint32_t k = 0; k < e->npath; k++) {
        const char *h = fm_profile_header(A->prof, e->path[k].rec, e->path[k].field);
        if (h)
            return h;
    }
    return NULL;
}

static evid ev_of(fa *F, uint32_t k)
{
    return (evid){F->f, F->f->events[k].line};
}

#define MAXL 16

static int same_guards(const fm_event *a, const fm_event *b)
{
    if (a->nguards != b->nguards)
        return 0;
    for (uint32_t i = 0; i < a->nguards; i++)
        if (a->guards[i].cond != b->guards[i].cond ||
            a->guards[i].polarity != b->guards[i].polarity)
            return 0;
    return 1;
}

/* A local read right after a store to the same place, under the same
 * conditions, reads that store (e.g. "a = b = 0" reads b back): a strong
 * update where the flow-insensitive model would mix every store. */
static int forwarded(fa *F, uint32_t k, uint32_t loc, vset *out)
{
    an *A = F->A;
    const fm_event *e = &F->f->events[k];
    for (uint32_t j = k; j-- > 0 && k - j <= 8;) {
        const fm_event *s = &F->f->events[j];
        if (s->kind == FM_EV_CALL)
            return 0;
        if (s->kind != FM_EV_STORE)
            continue;
        uint32_t locs[MAXL];
        uint32_t n = access_locs(F, s, locs, MAXL);
        int hits = 0, overlap = 0;
        for (uint32_t i = 0; i < n; i++) {
            hits += locs[i] == loc;
            overlap |= loc_within(A, locs[i], loc) || loc_within(A, loc, locs[i]);
        }
        if (n == 1 && hits == 1 && !(s->acc_flags & FM_ACC_AGGREGATE) && same_guards(e, s)) {
            fa_operand(F, &s->a, out);
            return 1;
        }
        if (overlap)
            return 0;
    }
    return 0;
}

/* An access with a non-constant array index: which element is chosen by
 * what (arrays indexed by packet data are per-key tables). */
/* Constants choose no element by data: only the rest of an index counts. */
static void drop_consts(vset *v)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->n; i++)
        if (atom_kind(v->v[i]) != AK_CONST)
            v->v[n++] = v->v[i];
    v->n = n;
}

static void record_indexed(fa *F, uint32_t k, const uint32_t *locs, uint32_t n, int is_write)
{
    const fm_event *e = &F->f->events[k];
    if (!(e->acc_flags & FM_ACC_INDEXED))
        return;
    vset idx = {0};
    fa_operand(F, &e->index, &idx);
    drop_consts(&idx);
    for (uint32_t i = 0; i < n; i++)
        fa_index(F, k, locs[i], &idx, is_write, k, NULL, ev_of(F, k));
    vs_free(&idx);
}

static void eval_load(fa *F, uint32_t k)
{
    an *A = F->A;
    const fm_event *e = &F->f->events[k];
    uint32_t locs[MAXL];
    uint32_t n = access_locs(F, e, locs, MAXL);
    vset v = {0};
    const char *h = header_label(A, e);
    if (h) {
        uint32_t lab = label_id(A, h);
        vs_add(&v, mk_atom(AK_LABEL, 0, lab));
        fa_label_ev(F, lab, ev_of(F, k));
    }
    for (uint32_t i = 0; i < n && !h; i++) {
        if (is_packet_data(A, locs[i])) {
            vs_add(&v, mk_atom(AK_LABEL, 0, label_id(A, "packet_data")));
        } else if (e->acc_flags & FM_ACC_AGGREGATE) {
            vs_add(&v, mk_atom(AK_PTR, 0, locs[i]));
        } else if (!(n == 1 && loc_root_kind(A, locs[i]) == LR_LOCAL &&
                     forwarded(F, k, locs[i], &v))) {
            fa_read(F, locs[i], &v);
        }
        if (loc_get(A, locs[i])->nderef && fa_liftable_root(A, locs[i]))
            fa_touch(F, k, locs[i], ev_of(F, k));
    }
    fa_set_val(F, k, &v);
    vs_free(&v);
    record_indexed(F, k, locs, n, 0);
}

static void eval_store(fa *F, uint32_t k)
{
    an *A = F->A;
    const fm_event *e = &F->f->events[k];
    uint32_t locs[MAXL];
    uint32_t n = access_locs(F, e, locs, MAXL);
    vset v = {0};
    fa_operand(F, &e->a, &v);
    int agg = (e->acc_flags & FM_ACC_AGGREGATE) != 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t d = locs[i];
        if (agg) {
            vset scalars = {0};
            for (uint32_t j = 0; j < v.n; j++) {
                if (atom_kind(v.v[j]) == AK_PTR)
                    fa_store_agg(F, k, d, (uint32_t)atom_payload(v.v[j]), (uint64_t)k << 8, k,
                                 NULL, ev_of(F, k));
                else
                    vs_add(&scalars, v.v[j]);
            }
            if (scalars.n) {
                fa_write(F, d, (uint64_t)k << 8, &scalars);
                if (fa_liftable_root(A, d) && loc_root_kind(A, d) != LR_SLOT)
                    fa_store(F, k, d, &scalars, 0, k, NULL, ev_of(F, k));
            }
            vs_free(&scalars);
        } else {
            fa_write(F, d, (uint64_t)k << 8, &v);
            if (fa_liftable_root(A, d) && loc_root_kind(A, d) != LR_SLOT)
                fa_store(F, k, d, &v, 0, k, NULL, ev_of(F, k));
        }
        if (loc_get(A, d)->nderef && fa_liftable_root(A, d))
            fa_touch(F, k, d, ev_of(F, k));
    }
    vs_free(&v);
    record_indexed(F, k, locs, n, 1);
}

static void eval_addr(fa *F, uint32_t k)
{
    const fm_event *e = &F->f->events[k];
    uint32_t locs[MAXL];
    uint32_t n = access_locs(F, e, locs, MAXL);
    vset v = {0};
    for (uint32_t i = 0; i < n; i++)
        vs_add(&v, mk_atom(AK_PTR, 0, locs[i]));
    fa_set_val(F, k, &v);
    vs_free(&v);
    record_indexed(F, k, locs, n, 0);
}

static void eval_ptradd(fa *F, uint32_t k)
{
    an *A = F->A;
    const fm_event *e = &F->f->events[k];
    vset base = {0}, off = {0}, v = {0};
    fa_operand(F, &e->a, &base);
    fa_operand(F, &e->b, &off);
    drop_consts(&off); /* p + 8 is a member, not an element chosen by data */
    uint32_t locs[MAXL], n = 0;
    for (uint32_t i = 0; i < base.n; i++)
        fa_atom_locs(F, base.v[i], locs, &n, MAXL);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l = off.n ? loc_child(A, locs[i], LS_INDEX, 0) : locs[i];
        vs_add(&v, mk_atom(AK_PTR, 0, l));
        if (off.n)
            fa_index(F, k, l, &off, 0, k, NULL, ev_of(F, k));
    }
    fa_set_val(F, k, &v);
    vs_free(&base);
    vs_free(&off);
    vs_free(&v);
}

static void eval_event(fa *F, uint32_t k)
{
    switch (F->f->events[k].kind) {
    case FM_EV_LOAD: eval_load(F, k); break;
    case FM_EV_STORE: eval_store(F, k); break;
    case FM_EV_ADDR: eval_addr(F, k); break;
    case FM_EV_PTRADD: eval_ptradd(F, k); break;
    case FM_EV_CALL: fa_call(F, k); break;
    case FM_EV_RET: {
        vset v = {0};
        fa_operand(F, &F->f->events[k].a, &v);
        if (vs_union(&F->out->ret, &v))
            F->changed = 1;
        vs_free(&v);
        break;
    }
    default:
        break;
    }
}

/* ---- building the summary ---- */

static void materialize_guards(fa *F, uint32_t anchor, guards *gd)
{
    if (anchor == NO_ANCHOR || anchor >= F->f->nevents)
        return;
    const fm_event *e = &F->f->events[anchor];
    for (uint32_t i = 0; i < e->nguards && gd->n < MAX_GUARDS; i++) {
        const fm_event *c = &F->f->events[e->guards[i].cond];
        if (c->kind != FM_EV_COND)
            continue;
        guard g = {0};
        fa_operand(F, &c->a, &g.lhs);
        fa_operand(F, &c->b, &g.rhs);
        g.cmp = c->cmp;
        g.zflags = c->cond_flags;
        g.pol = e->guards[i].polarity;
        guards_add(gd, &g);
        vs_free(&g.lhs);
        vs_free(&g.rhs);
    }
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
    uint32_t rel = loc_root(A, LR_REL, 0);
    for (uint32_t i = 0; i < k->unresolved.n; i++) {
        atom a = k->unresolved.v[i];
        unsigned kind = atom_kind(a);
        int ptr = kind == AK_PTR;
        uint32_t L = ptr ? (uint32_t)atom_payload(a) : 0;
        if ((kind == AK_PARAM || kind == AK_CONTENT || (ptr && fa_liftable_root(A, L))) && !final) {
            vs_add(&keep, a);
            if (!ptr)
                continue;
        }
        if (ptr) {
            int any = 0;
            uint32_t nw;
            uint32_t *list = fa_cells_within(F, L, &nw);
            for (uint32_t j = 0; j < nw; j++) {
                uint32_t c = list[j];
                k->pos = fm_xrealloc(k->pos, (k->npos + 1) * sizeof *k->pos);
                keypos *p = &k->pos[k->npos++];
                memset(p, 0, sizeof *p);
                p->rel = loc_rebase(A, F->cells[c].loc, L, rel);
                p->site = F->cells[c].site;
                vs_copy(&p->val, &F->cells[c].val);
                any = 1;
            }
            free(list);
            if (final && !any) {
                vset tmp = {0};
                fa_read(F, L, &tmp);
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
        vs_add(&p->val, a);
    }
    vs_free(&k->unresolved);
    k->unresolved = keep;
}

/* What is stored inside `from` (this function's object), as stores into
 * the return object `ret` that callers see. */
static void stores_as_ret(fa *F, uint32_t from, uint32_t ret)
{
    an *A = F->A;
    uint32_t n;
    uint32_t *list = fa_cells_within(F, from, &n);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t c = list[j];
        vset v = {0};
        vs_copy(&v, &F->cells[c].val);
        fa_store(F, F->cells[c].site ^ 0x5245540000000000ULL,
                 loc_rebase(A, F->cells[c].loc, from, ret), &v, 0, NO_ANCHOR, NULL,
                 (evid){F->f, F->f->line_begin});
        vs_free(&v);
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
        const uint32_t *kept = locidx_get(&by, r->loc, &n);
        int merged = 0;
        for (uint32_t j = 0; j < n && !merged; j++) {
            rec_store *o = &s->stores[kept[j]];
            if (o->agg == r->agg && vs_equal(&o->val, &r->val)) {
                merge_guards(&o->gd, &r->gd, 0);
                merged = 1;
            }
        }
        if (merged) {
            vs_free(&r->val);
            guards_free(&r->gd);
            continue;
        }
        if (keep != i)
            s->stores[keep] = *r;
        locidx_add(&by, s->stores[keep].loc, keep);
        keep++;
    }
    s->nstores = keep;
    locidx_free(&by);
    keep = 0;
    for (uint32_t i = 0; i < s->nidx; i++) {
        rec_index *r = &s->idx[i];
        uint32_t n;
        const uint32_t *kept = locidx_get(&by, r->loc, &n);
        int merged = 0;
        for (uint32_t j = 0; j < n && !merged; j++) {
            rec_index *o = &s->idx[kept[j]];
            if (o->is_write == r->is_write && vs_equal(&o->idx, &r->idx)) {
                merge_guards(&o->gd, &r->gd, 0);
                merged = 1;
            }
        }
        if (merged) {
            vs_free(&r->idx);
            guards_free(&r->gd);
            continue;
        }
        if (keep != i)
            s->idx[keep] = *r;
        locidx_add(&by, s->idx[keep].loc, keep);
        keep++;
    }
    s->nidx = keep;
    locidx_free(&by);
}

/* A summary with too many writes is coarsened: every write moves up to
 * the member it is under (first level below the root, or the pointer it
 * went through), values merged.  Reads of the finer places still see the
 * values (locations overlap), so this loses precision, not soundness. */
static uint32_t coarse_loc(const an *A, uint32_t loc)
{
    uint32_t chain[LOC_MAX_DEPTH + 2], n = 0;
    for (uint32_t l = loc; l && n < LOC_MAX_DEPTH + 2; l = loc_get(A, l)->parent)
        chain[n++] = l;
    /* chain[n-1] is the root; keep the root and its first step */
    return n >= 2 ? chain[n - 2] : loc;
}

#define MAX_STORES 96

static void coarsen_records(fa *F)
{
    summary *s = F->out;
    if (s->nstores <= MAX_STORES)
        return;
    an *A = F->A;
    for (uint32_t i = 0; i < s->nstores; i++) {
        rec_store *r = &s->stores[i];
        if (r->agg)
            continue; /* copies keep their shape: they carry keys */
        r->loc = coarse_loc(A, r->loc);
        guards_free(&r->gd); /* merged writes count as unconditional */
    }
    locidx by = {0};
    uint32_t keep = 0;
    for (uint32_t i = 0; i < s->nstores; i++) {
        rec_store *r = &s->stores[i];
        uint32_t n;
        const uint32_t *k = r->agg ? NULL : locidx_get(&by, r->loc, &n);
        if (k && n) {
            vs_union(&s->stores[k[0]].val, &r->val);
            vs_free(&r->val);
            continue;
        }
        if (keep != i)
            s->stores[keep] = *r;
        if (!s->stores[keep].agg)
            locidx_add(&by, s->stores[keep].loc, keep);
        keep++;
    }
    s->nstores = keep;
    locidx_free(&by);
}

static void build_summary(fa *F)
{
    an *A = F->A;
    summary *s = F->out;
    for (uint32_t i = 0; i < s->nstores; i++) {
        materialize_guards(F, s->stores[i].anchor, &s->stores[i].gd);
        s->stores[i].anchor = NO_ANCHOR;
    }
    for (uint32_t i = 0; i < s->nacc; i++) {
        materialize_guards(F, s->acc[i].anchor, &s->acc[i].gd);
        s->acc[i].anchor = NO_ANCHOR;
        resolve_key(F, &s->acc[i].k, 0);
    }
    for (uint32_t i = 0; i < s->nidx; i++) {
        materialize_guards(F, s->idx[i].anchor, &s->idx[i].gd);
        s->idx[i].anchor = NO_ANCHOR;
    }
    /* an aggregate returned by value (in memory or from a local object)
     * becomes the RET root for callers: its members become stores there */
    uint32_t ret = loc_root(A, LR_RET, 0);
    vset r = {0};
    uint32_t rl = result_local(F->f);
    for (uint32_t i = 0; i < s->ret.n; i++) {
        atom a = s->ret.v[i];
        uint32_t L = atom_kind(a) == AK_PTR ? (uint32_t)atom_payload(a) : 0;
        if (!L || fa_liftable_root(A, L)) {
            vs_add(&r, a);
            continue;
        }
        stores_as_ret(F, L, ret);
        vs_add(&r, mk_atom(AK_PTR, 0, ret));
    }
    if (rl != UINT32_MAX && !vs_has(&r, mk_atom(AK_PTR, 0, ret))) {
        /* result object written through its address, returned implicitly */
        stores_as_ret(F, loc_root(A, LR_LOCAL, rl), ret);
    }
    vs_free(&s->ret);
    s->ret = r;
    compact_records(F);
    coarsen_records(F);
}

static void fa_free(fa *F)
{
    for (uint32_t i = 0; i < F->f->nevents; i++)
        vs_free(&F->val[i]);
    free(F->val);
    free(F->callee);
    free(F->callee_known);
    free(F->reached);
    for (uint32_t i = 0; i < F->ncells; i++)
        vs_free(&F->cells[i].val);
    free(F->cells);
    free(F->cell_slots);
    locidx_free(&F->exact);
    locidx_free(&F->within);
    locidx_free(&F->store_ix);
    locidx_free(&F->acc_ix);
    locidx_free(&F->idx_ix);
    locidx_free(&F->touch_ix);
    if (F->tres_map) {
        for (uint32_t i = 0; i < F->f->nevents; i++)
            free(F->tres_map[i]);
        free(F->tres_map);
        free(F->tres_n);
    }
}

/* Per-call costs are added by calls.c as calls are applied; they are reset
 * at every iteration so the last (complete) one counts. */
static void analyse(an *A, const fm_func *f, summary *out)
{
    fa F;
    memset(&F, 0, sizeof F);
    F.A = A;
    F.f = f;
    F.out = out;
    F.val = fm_xcalloc(f->nevents ? f->nevents : 1, sizeof *F.val);
    F.callee = fm_xcalloc(f->nevents ? f->nevents : 1, sizeof *F.callee);
    F.callee_known = fm_xcalloc(f->nevents ? f->nevents : 1, 1);
    if (f->flags & FM_FN_TRUNCATED)
        fm_strset_add(&out->notes, "facts incomplete (function too large)");
    fa_reach(&F, f);
    for (int iter = 0; iter < FM_MAX_ITER; iter++) {
        F.changed = 0;
        for (uint32_t k = 0; k < f->nevents && !A->over_budget; k++)
            eval_event(&F, k);
        if (A->budget && A->work > A->budget)
            A->over_budget = 1;
        if (!F.changed || A->over_budget)
            break;
        if (iter == FM_MAX_ITER - 1)
            fm_strset_add(&out->notes, "analysis did not converge");
        /* a budget per function: beyond it the facts are incomplete, and
         * the NFs that reach this function run shared */
        if (F.ncells > 20000 || out->nstores + out->nidx + out->nacc > 8000) {
            char note[600];
            snprintf(note, sizeof note, "analysis budget exceeded in %s", f->printable);
            fm_strset_add(&out->notes, note);
            break;
        }
    }
    build_summary(&F);
    an_trace(A, f, out);
    fa_free(&F);
    A->analysed++;
}

/* ---- the summary cache, with recursion ---- */

static uint32_t cache_hash(const fm_func *f, int32_t ctx)
{
    uint64_t h = (uint64_t)(uintptr_t)f * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(ctx + 2) * 0xC2B2AE3D27D4EB4FULL;
    return (uint32_t)(h ^ (h >> 29));
}

static int cache_find(an *A, const fm_func *f, int32_t ctx)
{
    if (!A->ncache_slots)
        return -1;
    uint32_t h = cache_hash(f, ctx) & (A->ncache_slots - 1);
    while (A->cache_slots[h]) {
        sentry *e = &A->cache[(A->cache_slots[h] - 1) & 0x7fffffff];
        uint32_t v = A->cache_slots[h] - 1;
        /* slots store entry index; the alias bit says "context-free alias" */
        int32_t kctx = (v & 0x80000000u) ? -1 : e->ctx;
        if (e->f == f && kctx == ctx)
            return (int)(v & 0x7fffffff);
        h = (h + 1) & (A->ncache_slots - 1);
    }
    return -1;
}

static void cache_put(an *A, const fm_func *f, int32_t ctx, uint32_t idx, int alias)
{
    if ((A->ncache_keys + 1) * 2 > A->ncache_slots) {
        uint32_t ns = A->ncache_slots ? A->ncache_slots * 2 : 4096;
        uint32_t *slots = fm_xcalloc(ns, sizeof *slots);
        for (uint32_t i = 0; i < A->ncache_slots; i++) {
            if (!A->cache_slots[i])
                continue;
            uint32_t v = A->cache_slots[i] - 1;
            const sentry *e = &A->cache[v & 0x7fffffff];
            int32_t kctx = (v & 0x80000000u) ? -1 : e->ctx;
            uint32_t h = cache_hash(e->f, kctx) & (ns - 1);
            while (slots[h])
                h = (h + 1) & (ns - 1);
            slots[h] = A->cache_slots[i];
        }
        free(A->cache_slots);
        A->cache_slots = slots;
        A->ncache_slots = ns;
    }
    uint32_t h = cache_hash(f, ctx) & (A->ncache_slots - 1);
    while (A->cache_slots[h])
        h = (h + 1) & (A->ncache_slots - 1);
    A->cache_slots[h] = (idx | (alias ? 0x80000000u : 0)) + 1;
    A->ncache_keys++;
}

static const summary empty_summary;

static long summary_size(const summary *s)
{
    long n = s->ret.n + s->nstores + s->nacc + s->nidx + s->ntouch + s->keywords.n;
    for (uint32_t i = 0; i < s->nstores; i++)
        n += s->stores[i].val.n;
    for (uint32_t i = 0; i < s->nacc; i++) {
        n += s->acc[i].k.unresolved.n + s->acc[i].k.npos;
        for (uint32_t p = 0; p < s->acc[i].k.npos; p++)
            n += s->acc[i].k.pos[p].val.n;
    }
    for (uint32_t i = 0; i < s->nidx; i++)
        n += s->idx[i].idx.n;
    return n;
}

void an_forget_ctx(an *A, int32_t ctx, uint32_t from)
{
    for (uint32_t i = from; i < A->ncache; i++) {
        sentry *e = &A->cache[i];
        if (e->ctx != ctx || e->state == 0 || cache_find(A, e->f, -1) == (int)i)
            continue; /* another NF's, or shared by every NF */
        summary_free(&e->s);
        memset(&e->s, 0, sizeof e->s);
        e->state = 0;
    }
}

const summary *an_summary(an *A, const fm_func *f)
{
    /* a context-free summary serves every context; otherwise the one
     * computed for this NF class (or for "no NF", -2) */
    int i = cache_find(A, f, -1);
    if (i < 0)
        i = cache_find(A, f, A->ctx);
    if (i >= 0) {
        sentry *e = &A->cache[i];
        if (e->state == 2)
            return &e->s;
        if (e->state == 1) {
            /* recursion: use what we have; the head iterates */
            e->used_partial = 1;
            if (A->depth > 0) {
                sentry *top = &A->cache[A->stack[A->depth - 1].entry];
                if (e->depth < top->low)
                    top->low = e->depth;
            }
            return &e->s;
        }
        if (e->state == 3 && !e->cut) {
            /* a cycle member computed in its head's current round is
             * reused until the head iterates again; one computed in the
             * head's last round is as final as the head */
            sentry *h = &A->cache[e->head];
            if (h->round == e->head_round && h->state == 2) {
                e->state = 2;
                if (!e->s.ctx_dependent && cache_find(A, f, -1) < 0)
                    cache_put(A, f, -1, (uint32_t)i, 1);
                return &A->cache[i].s;
            }
            if (h->round == e->head_round && h->state == 1) {
                if (A->depth > 0) {
                    sentry *top = &A->cache[A->stack[A->depth - 1].entry];
                    if (h->depth < top->low)
                        top->low = h->depth;
                }
                return &e->s;
            }
        }
        /* tentative: recompute below, reusing the entry */
    }
    if (A->depth >= 200 || A->over_budget)
        return &empty_summary; /* give up on this path: the NF is marked */
    if (i < 0) {
        if (A->ncache == A->capcache) {
            A->capcache = A->capcache ? A->capcache * 2 : 1024;
            A->cache = fm_xrealloc(A->cache, A->capcache * sizeof *A->cache);
        }
        i = (int)A->ncache++;
        memset(&A->cache[i], 0, sizeof A->cache[i]);
        A->cache[i].f = f;
        A->cache[i].ctx = A->ctx;
        cache_put(A, f, A->ctx, (uint32_t)i, 0);
    }
    if ((uint32_t)A->depth >= A->capstack) {
        A->capstack = A->capstack ? A->capstack * 2 : 64;
        A->stack = fm_xrealloc(A->stack, A->capstack * sizeof *A->stack);
    }
    int depth = ++A->depth;
    A->stack[depth - 1].entry = (uint32_t)i;
    A->cache[i].state = 1;
    A->cache[i].depth = depth;
    A->cache[i].low = depth;
    long prev = -1;
    clock_t t0 = clock();
    for (int round = 0; round < 6; round++) {
        summary s;
        memset(&s, 0, sizeof s);
        A->cache[i].used_partial = 0;
        A->cache[i].round = ++A->rounds;
        analyse(A, f, &s);
        long size = summary_size(&s);
        summary_free(&A->cache[i].s);
        A->cache[i].s = s;
        if (!A->cache[i].used_partial || size == prev)
            break;
        prev = size;
    }
    an_trace_slow(A, f, (double)(clock() - t0) / CLOCKS_PER_SEC);
    A->depth--;
    sentry *e = &A->cache[i];
    if (A->over_budget) {
        e->state = 3; /* cut short: never reuse it */
        e->cut = 1;
    } else if (e->low < depth) {
        e->state = 3; /* part of a cycle headed further up */
        e->cut = 0;
        e->head = A->stack[e->low - 1].entry;
        e->head_round = A->cache[e->head].round;
        if (A->depth > 0) {
            sentry *top = &A->cache[A->stack[A->depth - 1].entry];
            if (e->low < top->low)
                top->low = e->low;
        }
    } else {
        e->state = 2;
        if (!e->s.ctx_dependent && cache_find(A, f, -1) < 0)
            cache_put(A, f, -1, (uint32_t)i, 1);
    }
    return &A->cache[i].s;
}
