/* Function summaries by abstract interpretation of the plugin's events.
 *
 * Within a function the analysis is flow-insensitive: every event is
 * evaluated until nothing changes (values only grow).  Calls apply the
 * callee's summary with the actual arguments (calls.c), so summaries compose
 * bottom-up across translation units; recursion iterates to a fixpoint. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

void an_trace(an *A, const fm_func *f, const summary *s);

/* ---- guards ---- */

void guards_add(guards *gd, const guard *g)
{
    if (gd->n >= MAX_GUARDS)
        return;
    guard *d = &gd->g[gd->n++];
    memset(d, 0, sizeof *d);
    vs_copy(&d->lhs, &g->lhs);
    vs_copy(&d->rhs, &g->rhs);
    d->cmp = g->cmp;
    d->zflags = g->zflags;
    d->pol = g->pol;
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
        return; /* markers, not addresses */
    default:
        l = loc_root(A, LR_UNKNOWN, 0);
    }
    for (uint32_t i = 0; i < *n; i++)
        if (locs[i] == l)
            return;
    if (*n < max)
        locs[(*n)++] = l;
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
    cell *c = &F->cells[F->ncells++];
    memset(c, 0, sizeof *c);
    c->loc = loc;
    c->root = loc_get(F->A, loc)->root;
    c->site = site;
    F->cell_slots[h] = F->ncells;
    return c;
}

void fa_write(fa *F, uint32_t loc, uint64_t site, const vset *v)
{
    cell *c = cell_get(F, loc, site);
    if (vs_union(&c->val, v))
        F->changed = 1;
}

int fa_liftable_root(const an *A, uint32_t loc)
{
    unsigned k = loc_root_kind(A, loc);
    return k != LR_LOCAL && k != LR_CALLRET && k != LR_REL;
}

/* A header field anywhere on the location's path (e.g. the bytes of
 * click_ether.ether_shost read through a pointer to them). */
static const char *loc_header(an *A, uint32_t loc)
{
    for (uint32_t l = loc; l; l = loc_get(A, l)->parent) {
        const aloc *x = loc_get(A, l);
        if (x->kind != LS_FIELD)
            continue;
        const fieldref *f = field_get(A, x->arg);
        const char *h = fm_profile_header(A->prof, f->rec, f->field);
        if (h)
            return h;
    }
    return NULL;
}

void fa_read(fa *F, uint32_t loc, vset *out)
{
    an *A = F->A;
    const char *h = loc_header(A, loc);
    if (h) {
        vs_add(out, mk_atom(AK_LABEL, 0, label_id(A, h)));
        return;
    }
    uint32_t root = loc_get(A, loc)->root;
    for (uint32_t i = 0; i < F->ncells; i++) {
        const cell *c = &F->cells[i];
        if (c->root == root && (loc_within(A, c->loc, loc) || loc_within(A, loc, c->loc)))
            vs_union(out, &c->val);
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
    uint32_t n = F->ncells, sroot = loc_get(A, src)->root;
    for (uint32_t i = 0; i < n; i++) {
        if (F->cells[i].root != sroot || !loc_within(A, src, F->cells[i].loc))
            continue;
        uint32_t d = loc_rebase(A, F->cells[i].loc, src, dst);
        uint64_t s = site * 1000003u ^ F->cells[i].site;
        vset tmp = {0};
        vs_copy(&tmp, &F->cells[i].val); /* cells may move when adding */
        fa_write(F, d, s, &tmp);
        vs_free(&tmp);
    }
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
    for (uint32_t i = 0; i < F->ncells; i++) {
        if (!loc_within(A, src, F->cells[i].loc))
            continue;
        vset v = {0};
        vs_copy(&v, &F->cells[i].val); /* fa_store may not move cells, but be safe */
        uint32_t d = loc_rebase(A, F->cells[i].loc, src, dst);
        fa_store(F, id ^ (F->cells[i].site * 0x9E3779B97F4A7C15ULL), d, &v, 0, anchor, gd, ev);
        vs_free(&v);
    }
}

void fa_set_val(fa *F, uint32_t k, const vset *v)
{
    if (vs_union(&F->val[k], v))
        F->changed = 1;
}

/* ---- records (deduplicated by id) ---- */

static int merge_guards(guards *into, const guards *gd)
{
    int grew = 0;
    if (!gd)
        return 0;
    /* keep the first set of guards: alternatives of one effect are rare and
     * adding more conditions could only make an effect look rarer */
    if (into->n == 0 && gd->n)
        for (uint32_t i = 0; i < gd->n; i++, grew = 1)
            guards_add(into, &gd->g[i]);
    return grew;
}

rec_store *fa_store(fa *F, uint64_t id, uint32_t loc, const vset *v, int agg,
                    uint32_t anchor, const guards *gd, evid ev)
{
    summary *s = F->out;
    for (uint32_t i = 0; i < s->nstores; i++)
        if (s->stores[i].id == id && s->stores[i].loc == loc) {
            if (vs_union(&s->stores[i].val, v))
                F->changed = 1;
            return &s->stores[i];
        }
    s->stores = fm_xrealloc(s->stores, (s->nstores + 1) * sizeof *s->stores);
    rec_store *r = &s->stores[s->nstores++];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->loc = loc;
    r->agg = agg;
    r->anchor = anchor;
    r->ev = ev;
    vs_union(&r->val, v);
    merge_guards(&r->gd, gd);
    F->changed = 1;
    return r;
}

rec_access *fa_access(fa *F, uint64_t id, uint32_t table, const fm_table_api *api,
                      const char *method, int op, const vset *keyatoms,
                      uint32_t anchor, const guards *gd, evid ev)
{
    summary *s = F->out;
    for (uint32_t i = 0; i < s->nacc; i++)
        if (s->acc[i].id == id && s->acc[i].table == table) {
            if (keyatoms && vs_union(&s->acc[i].k.unresolved, keyatoms))
                F->changed = 1;
            return &s->acc[i];
        }
    s->acc = fm_xrealloc(s->acc, (s->nacc + 1) * sizeof *s->acc);
    rec_access *r = &s->acc[s->nacc++];
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
    merge_guards(&r->gd, gd);
    F->changed = 1;
    return r;
}

void fa_index(fa *F, uint64_t id, uint32_t loc, const vset *idx, int is_write,
              uint32_t anchor, const guards *gd, evid ev)
{
    summary *s = F->out;
    for (uint32_t i = 0; i < s->nidx; i++)
        if (s->idx[i].id == id && s->idx[i].loc == loc) {
            if (vs_union(&s->idx[i].idx, idx))
                F->changed = 1;
            s->idx[i].is_write |= is_write;
            return;
        }
    s->idx = fm_xrealloc(s->idx, (s->nidx + 1) * sizeof *s->idx);
    rec_index *r = &s->idx[s->nidx++];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->loc = loc;
    r->is_write = is_write;
    r->anchor = anchor;
    r->ev = ev;
    vs_union(&r->idx, idx);
    merge_guards(&r->gd, gd);
    F->changed = 1;
}

void fa_touch(fa *F, uint64_t id, uint32_t loc, evid ev)
{
    summary *s = F->out;
    for (uint32_t i = 0; i < s->ntouch; i++)
        if (s->touch[i].loc == loc)
            return;
    s->touch = fm_xrealloc(s->touch, (s->ntouch + 1) * sizeof *s->touch);
    s->touch[s->ntouch++] = (rec_touch){id, loc, ev};
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
    for (uint32_t i = 0; i < s->nreach; i++)
        if (s->reach[i] == g)
            return;
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
static void record_indexed(fa *F, uint32_t k, const uint32_t *locs, uint32_t n, int is_write)
{
    const fm_event *e = &F->f->events[k];
    if (!(e->acc_flags & FM_ACC_INDEXED))
        return;
    vset idx = {0};
    fa_operand(F, &e->index, &idx);
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
            for (uint32_t c = 0; c < F->ncells; c++) {
                if (!loc_within(A, L, F->cells[c].loc))
                    continue;
                k->pos = fm_xrealloc(k->pos, (k->npos + 1) * sizeof *k->pos);
                keypos *p = &k->pos[k->npos++];
                memset(p, 0, sizeof *p);
                p->rel = loc_rebase(A, F->cells[c].loc, L, rel);
                p->site = F->cells[c].site;
                vs_copy(&p->val, &F->cells[c].val);
                any = 1;
            }
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
    for (uint32_t c = 0; c < F->ncells; c++) {
        if (!loc_within(A, from, F->cells[c].loc))
            continue;
        vset v = {0};
        vs_copy(&v, &F->cells[c].val);
        fa_store(F, F->cells[c].site ^ 0x5245540000000000ULL,
                 loc_rebase(A, F->cells[c].loc, from, ret), &v, 0, NO_ANCHOR, NULL,
                 (evid){F->f, F->f->line_begin});
        vs_free(&v);
    }
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
    s->statements += F->f->nstmts;
    s->loops += F->f->nloops;
    s->cost += F->f->nstmts + 8.0 * F->f->nloops;
}

static void fa_free(fa *F)
{
    for (uint32_t i = 0; i < F->f->nevents; i++)
        vs_free(&F->val[i]);
    free(F->val);
    free(F->callee);
    free(F->callee_known);
    for (uint32_t i = 0; i < F->ncells; i++)
        vs_free(&F->cells[i].val);
    free(F->cells);
    free(F->cell_slots);
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
    for (int iter = 0; iter < 24; iter++) {
        F.changed = 0;
        out->cost = 0;
        out->statements = out->loops = out->calls = out->table_ops = out->pointer_loads = 0;
        for (uint32_t k = 0; k < f->nevents; k++)
            eval_event(&F, k);
        if (!F.changed)
            break;
        if (iter == 23)
            fm_strset_add(&out->notes, "analysis did not converge");
    }
    for (uint32_t i = 0; i < out->ntouch; i++)
        out->pointer_loads++;
    out->cost += 3.0 * out->pointer_loads;
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
        /* tentative: recompute below, reusing the entry */
    }
    if (A->depth >= 200)
        return &empty_summary; /* pathological depth: give up on this path */
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
    for (int round = 0; round < 6; round++) {
        summary s;
        memset(&s, 0, sizeof s);
        A->cache[i].used_partial = 0;
        analyse(A, f, &s);
        long size = summary_size(&s);
        summary_free(&A->cache[i].s);
        A->cache[i].s = s;
        if (!A->cache[i].used_partial || size == prev)
            break;
        prev = size;
    }
    A->depth--;
    sentry *e = &A->cache[i];
    if (e->low < depth) {
        e->state = 3; /* part of a cycle headed further up */
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
