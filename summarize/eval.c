/* Evaluating one function's events to a fixpoint: loads, stores,
 * addresses, pointer arithmetic, calls (calls.c) and returns.
 *
 * Within a function the analysis is flow-insensitive: every event is
 * evaluated until nothing changes (values only grow). */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

void fm_an_trace(an *A, const fm_func *f, const summary *s);

/* ---- events ---- */

static int is_packet_data(an *A, uint32_t loc)
{
    /* memory reached by following a pointer member of a packet record */
    while (loc) {
        const aloc *l = fm_loc_get(A, loc);
        if ((l->kind == LS_DEREF || l->kind == LS_STAR) && l->parent) {
            const aloc *p = fm_loc_get(A, l->parent);
            if (p->kind == LS_FIELD &&
                fm_strset_has(&A->prof->packet_records, fm_field_get(A, p->arg)->rec))
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
    fm_fa_operand(F, &e->base, &base);
    uint32_t n = 0;
    for (uint32_t i = 0; i < base.n; i++)
        fm_fa_atom_locs(F, base.v[i], out, &n, max);
    fm_vs_free(&base);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l = out[i];
        for (uint32_t k = 0; k < e->npath; k++) {
            const fm_pathel *pe = &e->path[k];
            if (!pe->rec)
                l = fm_loc_child(A, l, LS_INDEX, 0);
            else if (pe->field && strcmp(pe->field, "$base") != 0)
                l = fm_loc_child(A, l, LS_FIELD, fm_field_id(A, pe->rec, pe->field));
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
            overlap |= fm_loc_within(A, locs[i], loc) || fm_loc_within(A, loc, locs[i]);
        }
        if (n == 1 && hits == 1 && !(s->acc_flags & FM_ACC_AGGREGATE) && same_guards(e, s)) {
            fm_fa_operand(F, &s->a, out);
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
    fm_fa_operand(F, &e->index, &idx);
    drop_consts(&idx);
    for (uint32_t i = 0; i < n; i++)
        fm_fa_index(F, k, locs[i], &idx, is_write, k, NULL, ev_of(F, k));
    fm_vs_free(&idx);
}

/* An element of a constant global array (a CRC or hash table). */
static int read_only_table(an *A, uint32_t loc)
{
    const aloc *r = fm_loc_get(A, fm_loc_get(A, loc)->root);
    return r->kind == LR_GLOBAL &&
           (fm_program_global_at(A->P, r->arg)->flags & FM_GLOBAL_CONST);
}

/* What is read from a read-only table at a computed index carries that
 * index's fields, mixed: a hash written with table lookups and shifts
 * keeps its input's fields whether or not its name is known. */
static void mix_index(fa *F, const fm_event *e, vset *v)
{
    if (!(e->acc_flags & FM_ACC_INDEXED))
        return;
    vset idx = {0};
    fm_fa_operand(F, &e->index, &idx);
    for (uint32_t i = 0; i < idx.n; i++) {
        unsigned k = atom_kind(idx.v[i]);
        if (k == AK_LABEL || k == AK_PARAM || k == AK_CONTENT || k == AK_TRES || k == AK_UNKNOWN)
            fm_vs_add(v, atom_with_flags(idx.v[i], fm_flags_compose(atom_flags(idx.v[i]), AF_MIXED)));
    }
    fm_vs_free(&idx);
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
        uint32_t lab = fm_label_id(A, h);
        fm_vs_add(&v, mk_atom(AK_LABEL, 0, lab));
        fm_fa_label_ev(F, lab, ev_of(F, k));
    }
    for (uint32_t i = 0; i < n && !h; i++) {
        if (is_packet_data(A, locs[i])) {
            fm_vs_add(&v, mk_atom(AK_LABEL, 0, fm_label_id(A, "packet_data")));
        } else if (e->acc_flags & FM_ACC_AGGREGATE) {
            fm_vs_add(&v, mk_atom(AK_PTR, 0, locs[i]));
        } else if (!(n == 1 && fm_loc_root_kind(A, locs[i]) == LR_LOCAL &&
                     forwarded(F, k, locs[i], &v))) {
            fm_fa_read(F, locs[i], &v);
        }
        if (fm_loc_get(A, locs[i])->nderef && fm_fa_liftable_root(A, locs[i]))
            fm_fa_touch(F, k, locs[i], ev_of(F, k));
        if (!h && read_only_table(A, locs[i]))
            mix_index(F, e, &v);
    }
    fm_fa_set_val(F, k, &v);
    fm_vs_free(&v);
    record_indexed(F, k, locs, n, 0);
}

static void eval_store(fa *F, uint32_t k)
{
    an *A = F->A;
    const fm_event *e = &F->f->events[k];
    uint32_t locs[MAXL];
    uint32_t n = access_locs(F, e, locs, MAXL);
    vset v = {0};
    fm_fa_operand(F, &e->a, &v);
    int agg = (e->acc_flags & FM_ACC_AGGREGATE) != 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t d = locs[i];
        if (agg) {
            vset scalars = {0};
            for (uint32_t j = 0; j < v.n; j++) {
                if (atom_kind(v.v[j]) == AK_PTR)
                    fm_fa_store_agg(F, k, d, (uint32_t)atom_payload(v.v[j]), (uint64_t)k << 8, k,
                                 NULL, ev_of(F, k));
                else
                    fm_vs_add(&scalars, v.v[j]);
            }
            if (scalars.n) {
                fm_fa_write_store(F, k, d, (uint64_t)k << 8, &scalars, k, NULL, ev_of(F, k));
            }
            fm_vs_free(&scalars);
        } else {
            fm_fa_write_store(F, k, d, (uint64_t)k << 8, &v, k, NULL, ev_of(F, k));
        }
        if (fm_loc_get(A, d)->nderef && fm_fa_liftable_root(A, d))
            fm_fa_touch(F, k, d, ev_of(F, k));
    }
    fm_vs_free(&v);
    record_indexed(F, k, locs, n, 1);
}

static void eval_addr(fa *F, uint32_t k)
{
    const fm_event *e = &F->f->events[k];
    uint32_t locs[MAXL];
    uint32_t n = access_locs(F, e, locs, MAXL);
    vset v = {0};
    for (uint32_t i = 0; i < n; i++)
        fm_vs_add(&v, mk_atom(AK_PTR, 0, locs[i]));
    fm_fa_set_val(F, k, &v);
    fm_vs_free(&v);
    record_indexed(F, k, locs, n, 0);
}

static void eval_ptradd(fa *F, uint32_t k)
{
    an *A = F->A;
    const fm_event *e = &F->f->events[k];
    vset base = {0}, off = {0}, v = {0};
    fm_fa_operand(F, &e->a, &base);
    fm_fa_operand(F, &e->b, &off);
    drop_consts(&off); /* p + 8 is a member, not an element chosen by data */
    uint32_t locs[MAXL], n = 0;
    for (uint32_t i = 0; i < base.n; i++)
        fm_fa_atom_locs(F, base.v[i], locs, &n, MAXL);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l = off.n ? fm_loc_child(A, locs[i], LS_INDEX, 0) : locs[i];
        fm_vs_add(&v, mk_atom(AK_PTR, 0, l));
        if (off.n)
            fm_fa_index(F, k, l, &off, 0, k, NULL, ev_of(F, k));
    }
    fm_fa_set_val(F, k, &v);
    fm_vs_free(&base);
    fm_vs_free(&off);
    fm_vs_free(&v);
}

static void eval_event(fa *F, uint32_t k)
{
    switch (F->f->events[k].kind) {
    case FM_EV_LOAD: eval_load(F, k); break;
    case FM_EV_STORE: eval_store(F, k); break;
    case FM_EV_ADDR: eval_addr(F, k); break;
    case FM_EV_PTRADD: eval_ptradd(F, k); break;
    case FM_EV_CALL: fm_fa_call(F, k); break;
    case FM_EV_RET: {
        vset v = {0};
        fm_fa_operand(F, &F->f->events[k].a, &v);
        if (fm_vs_union(&F->out->ret, &v))
            F->changed = 1;
        fm_vs_free(&v);
        break;
    }
    default:
        break;
    }
}

static void note_limit(summary *out, const char *what, const fm_func *f)
{
    char note[600];
    snprintf(note, sizeof note, "%s %s: facts incomplete", what, f->printable);
    fm_strset_add(&out->notes, note);
}

/* Every event evaluated until nothing grows, within the limits. */
void fm_fa_analyse(an *A, const fm_func *f, summary *out)
{
    fa F;
    memset(&F, 0, sizeof F);
    fm_program_decode(A->P, f);
    F.A = A;
    F.f = f;
    F.out = out;
    F.val = fm_xcalloc(f->nevents ? f->nevents : 1, sizeof *F.val);
    F.val_gen = fm_xcalloc(f->nevents ? f->nevents : 1, sizeof *F.val_gen);
    if (f->flags & FM_FN_TRUNCATED)
        fm_strset_add(&out->notes, "facts incomplete (function too large)");
    fm_fa_reach(&F, f);
    for (int iter = 0; iter < A->lim.iterations; iter++) {
        F.changed = 0;
        /* the budget is checked after every event: past it, nothing this
         * NF still computes is kept, so stop at once */
        for (uint32_t k = 0; k < f->nevents && !A->over_budget; k++) {
            eval_event(&F, k);
            if (A->lim.budget && A->work > A->lim.budget)
                A->over_budget = 1;
        }
        if (!F.changed || A->over_budget)
            break;
        if (iter == A->lim.iterations - 1)
            note_limit(out, "analysis did not converge in", f);
        /* a budget per function: beyond it the facts are incomplete, and
         * the NFs that reach this function run shared */
        if (F.ncells > (uint32_t)A->lim.cells ||
            out->nstores + out->nidx + out->nacc > (uint32_t)A->lim.records) {
            note_limit(out, "analysis budget exceeded in", f);
            break;
        }
    }
    if (F.overflow)
        note_limit(out, "a pointer with more possible targets than the analysis keeps in", f);
    if (F.starred) {
        char why[600];
        snprintf(why, sizeof why, "memory more than %d steps or %d pointers deep is one "
                 "place in %s (values read there are no key)", A->lim.loc_depth,
                 A->lim.loc_deref, f->printable);
        fm_strset_add(&out->coarse, why);
    }
    fm_fa_build_summary(&F);
    fm_an_trace(A, f, out);
    fm_fa_free(&F);
    A->analysed++;
}
