/* Calls: resolving the callee (direct; virtual through the NF's own class,
 * or the overrides the class hierarchy has; through a function pointer,
 * by what the program stores in the member it is loaded from), and
 * handing each body to primitives.c or translate.c. */
#include <stdlib.h>
#include <string.h>

#include "site.h"

static int param_derived(fa *F, const vset *obj)
{
    for (uint32_t i = 0; i < obj->n; i++) {
        atom a = obj->v[i];
        if (atom_kind(a) == AK_PARAM)
            return 1;
        if (atom_kind(a) == AK_PTR) {
            unsigned rk = fm_loc_root_kind(F->A, (uint32_t)atom_payload(a));
            const aloc *l = fm_loc_get(F->A, (uint32_t)atom_payload(a));
            if ((rk == LR_PARAM || rk == LR_SLOT) && l->nderef == 0)
                return 1;
        }
    }
    return 0;
}

/* 1 if some NF context could resolve a virtual call of class vclass: a
 * call through a class no element derives from (an ErrorHandler, a
 * visitor) resolves the same way in every context, so the summary that
 * makes it stays shared across NFs. */
static int vclass_in_contexts(an *A, int32_t vclass)
{
    if (vclass < 0)
        return 1;
    if (A->prof->elements_are_functions)
        return 0; /* the context is always "no NF" */
    if (A->vclass_ctx[vclass] < 0) {
        int in = 0;
        for (size_t t = 0; t < fm_program_ntypes(A->P) && !in; t++)
            in = fm_type_derives(A->P, (int32_t)t, vclass) &&
                 fm_type_derives_named(A->P, (int32_t)t, &A->prof->element_bases);
        A->vclass_ctx[vclass] = (int8_t)in;
    }
    return A->vclass_ctx[vclass];
}

/* The bodies a virtual call can reach through the classes deriving from
 * vclass (class hierarchy analysis): n <= FM_MAX_CALL_TARGETS, or more.
 * Cached: the answer does not depend on the caller. */
static const cha_entry *overrides(an *A, int32_t vclass, uint32_t slot)
{
    uint64_t key = ((uint64_t)(uint32_t)vclass << 32) | slot;
    for (uint32_t i = 0; i < A->ncha; i++)
        if (A->cha[i].key == key)
            return &A->cha[i];
    cha_entry c = {key, 0, {NULL}};
    for (size_t t = 0; t < fm_program_ntypes(A->P) && c.n <= FM_MAX_CALL_TARGETS; t++) {
        if (!fm_type_derives(A->P, (int32_t)t, vclass))
            continue;
        const fm_func *g = fm_class_slot_method(A, (int32_t)t, slot);
        if (!g || (g->flags & FM_FN_DECL))
            continue;
        uint32_t k;
        for (k = 0; k < c.n && k < FM_MAX_CALL_TARGETS && c.f[k] != g; k++)
            ;
        if (k < c.n)
            continue;
        if (c.n < FM_MAX_CALL_TARGETS)
            c.f[c.n] = g;
        c.n++;
    }
    A->cha = fm_xrealloc(A->cha, (A->ncha + 1) * sizeof *A->cha);
    A->cha[A->ncha] = c;
    return &A->cha[A->ncha++];
}

typedef enum { VC_RESOLVED, VC_OTHER_ELEMENT, VC_UNRESOLVED } vcall;

/* A virtual call on the NF object resolves through the NF's own class; on
 * another element (the next one's push) it is that element's business;
 * anything else reaches the one override the program has, or is a call
 * flowmage cannot follow. */
static vcall resolve_virtual(fa *F, const fm_event *e, const fm_func **out, uint32_t *n)
{
    an *A = F->A;
    *n = 0;
    vset obj = {0};
    fm_fa_operand(F, &e->target, &obj);
    int this_like = param_derived(F, &obj);
    fm_vs_free(&obj);
    int element = e->vclass >= 0 && !A->prof->elements_are_functions &&
                  fm_type_derives_named(A->P, e->vclass, &A->prof->element_bases);
    if (!this_like && element)
        return VC_OTHER_ELEMENT; /* its own state, summarised as its own NF */
    if (this_like && vclass_in_contexts(A, e->vclass)) {
        F->out->ctx_dependent = 1;
        if (A->ctx >= 0 && fm_type_derives(A->P, A->ctx, e->vclass)) {
            out[0] = fm_class_slot_method(A, A->ctx, e->vslot);
            if (out[0]) {
                *n = 1;
                return VC_RESOLVED;
            }
            char note[256];
            snprintf(note, sizeof note, "virtual call %s slot %u not resolved",
                     e->vclass >= 0 ? fm_program_type_at(A->P, (size_t)e->vclass)->name : "?",
                     e->vslot);
            fm_strset_add(&F->out->notes, note);
            return VC_UNRESOLVED;
        }
        if (element)
            return VC_UNRESOLVED;
    }
    if (e->vclass < 0)
        return VC_UNRESOLVED;
    const cha_entry *c = overrides(A, e->vclass, e->vslot);
    if (!c->n || c->n > FM_MAX_CALL_TARGETS)
        return VC_UNRESOLVED;
    for (uint32_t i = 0; i < c->n; i++)
        out[i] = c->f[i];
    *n = c->n;
    return VC_RESOLVED;
}

/* The functions a call through a pointer can reach: addresses it holds,
 * or the functions whose address the program stores in the member it was
 * loaded from.  0 when that is not known or more than the limit. */
static uint32_t pointer_targets(fa *F, const fm_event *e, const fm_func **out)
{
    an *A = F->A;
    vset t = {0};
    fm_fa_operand(F, &e->target, &t);
    uint32_t n = 0;
    int ok = t.n > 0;
    for (uint32_t i = 0; i < t.n && ok; i++) {
        atom a = t.v[i];
        const fm_func *g[FM_MAX_CALL_TARGETS + 1];
        uint32_t m = 0;
        if (atom_kind(a) == AK_FUNC) {
            g[m] = fm_program_func(A->P, fm_program_str(A->P, (uint32_t)atom_payload(a)),
                                   F->f->unit);
            m = g[0] != NULL;
        } else if (atom_kind(a) == AK_CONTENT) {
            uint32_t l = (uint32_t)atom_payload(a);
            while (l && (fm_loc_get(A, l)->kind == LS_INDEX || fm_loc_get(A, l)->kind == LS_THREAD))
                l = fm_loc_get(A, l)->parent;
            const aloc *x = fm_loc_get(A, l);
            const fieldref *fr = x->kind == LS_FIELD ? fm_field_get(A, x->arg) : NULL;
            for (uint32_t s = 0; fr && s < A->nfptr && m <= FM_MAX_CALL_TARGETS; s++)
                if (A->fptr[s].rec == fr->rec && A->fptr[s].field == fr->field)
                    g[m++] = A->fptr[s].f;
        }
        ok = m > 0 && m <= FM_MAX_CALL_TARGETS;
        for (uint32_t j = 0; j < m && ok; j++) {
            uint32_t q;
            for (q = 0; q < n && out[q] != g[j]; q++)
                ;
            if (q == n && n == FM_MAX_CALL_TARGETS)
                ok = 0;
            else if (q == n)
                out[n++] = g[j];
        }
    }
    fm_vs_free(&t);
    return ok ? n : 0;
}

/* One body a call reaches: the profile's primitive, or its summary. */
static void call_body(site *c, const fm_func *g)
{
    fa *F = c->F;
    an *A = F->A;
    if (fm_fn_traits(A, g) & FT_NO_STATE) {
        fm_site_opaque(c, 0);
        return;
    }
    if (fm_site_primitive(c, g))
        return;
    if ((g->flags & (FM_FN_DECL | FM_FN_EXCLUDED)) || g->nevents + g->nstmts == 0) {
        fm_site_invisible_call(c, g);
        return;
    }
    const summary *S = fm_an_summary(A, g);
    fm_fa_call_uses(F, A->last_entry);
    if (S) {
        fm_site_apply_summary(c, g, S);
        c->off += (S->nacc > S->nstores ? S->nacc : S->nstores) + S->nidx + 1;
        return;
    }
    char note[600];
    snprintf(note, sizeof note, "calls nested deeper than %d at %s: facts incomplete",
             A->lim.call_depth, g->printable);
    fm_strset_add(&F->out->notes, note);
    fm_site_invisible_call(c, g);
}

struct call_memo;
static void site_records(site *c, struct call_memo *m, int reuse, const fm_readset *changed);
static site_tables *call_tables(struct call_memo *m);

static void apply_call(fa *F, uint32_t k, struct call_memo *m, int reuse,
                       const fm_readset *changed)
{
    an *A = F->A;
    const fm_event *e = &F->f->events[k];
    site c = {.F = F, .k = k, .nargs = e->nargs};
    site_records(&c, m, reuse, changed);
    site_tables *keep = A->reuse ? call_tables(m) : NULL;
    fm_site_memo_init(&c, keep);
    c.args = fm_xcalloc(e->nargs ? e->nargs : 1, sizeof *c.args);
    for (uint32_t i = 0; i < e->nargs; i++)
        fm_fa_operand(F, &e->args[i], &c.args[i]);
    const fm_func *g[FM_MAX_CALL_TARGETS];
    uint32_t ng = 0;
    vcall vc = VC_RESOLVED;
    if (e->call_kind == FM_CALL_DIRECT) {
        g[0] = fm_program_callee(A->P, F->f, e); /* looked up once per call event */
        ng = g[0] != NULL;
    } else if (e->call_kind == FM_CALL_VIRTUAL) {
        vc = resolve_virtual(F, e, g, &ng);
    } else {
        ng = pointer_targets(F, e, g);
    }
    if (vc == VC_OTHER_ELEMENT || (e->call_kind == FM_CALL_VIRTUAL && e->vclass >= 0 &&
                                   fm_type_derives_named(A->P, e->vclass,
                                                         &A->prof->no_state_classes))) {
        /* what another element does is its own state; the framework's
         * logging keeps none */
        fm_site_opaque(&c, 0);
    } else if (ng) {
        for (uint32_t i = 0; i < ng; i++)
            call_body(&c, g[i]);
    } else if (e->call_kind == FM_CALL_DIRECT && fm_site_builtin(&c, e->callee)) {
        /* a callee the plugin never saw, known by its mangled name */
    } else {
        fm_site_invisible_call(&c, NULL);
    }
    for (uint32_t i = 0; i < e->nargs; i++)
        fm_vs_free(&c.args[i]);
    free(c.args);
    fm_site_memo_free(&c, keep);
}

/* ---- calls applied again only when what they read changed ---- */

/* What one application of a call reads, as it goes: places (each once,
 * numbered in the order first read, the last application's first: the
 * numbers are readsets' bits) and the summaries it applies.  One per
 * function analysed, reused. */
#define CALL_SUMS_MAX 8
typedef struct call_deps {
    uint32_t *loc;
    uint32_t n, cap;
    uint32_t *slot, *stamp;   /* places seen: their number where stamp is ours */
    uint32_t nslots, now;
    uint32_t sum[CALL_SUMS_MAX], version[CALL_SUMS_MAX]; /* cache entries */
    uint32_t nsum;
    int over;                 /* applied more summaries than kept */
} call_deps;

/* What the last application of a call event read: places, and the
 * versions of the summaries it applied; the generations of memory and
 * values when it began. */
typedef struct call_memo {
    uint32_t *loc;            /* n places */
    uint32_t n, nsum;
    uint32_t sum[CALL_SUMS_MAX], version[CALL_SUMS_MAX];
    uint32_t wgen, vgen;
    long work;                /* what it counted against the budget, copies
                                 aside (a skipped call would not make them) */
    int valid;
    rec_cache *rc;            /* per record number: what it read */
    uint32_t nrc;
    site_tables tables;       /* its memo tables */
} call_memo;

static site_tables *call_tables(call_memo *m)
{
    return &m->tables;
}

static void deps_rehash(call_deps *d)
{
    uint32_t ns = d->nslots ? d->nslots * 2 : 256;
    free(d->slot);
    free(d->stamp);
    d->slot = fm_xcalloc(ns, sizeof *d->slot);
    d->stamp = fm_xcalloc(ns, sizeof *d->stamp);
    d->nslots = ns;
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t h = (d->loc[i] * 0x9E3779B1u) & (ns - 1);
        while (d->stamp[h] == d->now)
            h = (h + 1) & (ns - 1);
        d->slot[h] = i;
        d->stamp[h] = d->now;
    }
}

uint32_t fm_fa_call_reads(fa *F, uint32_t loc)
{
    call_deps *d = F->deps;
    if (!d)
        return FM_READ_BITS;
    if ((d->n + 1) * 2 > d->nslots)
        deps_rehash(d);
    uint32_t h = (loc * 0x9E3779B1u) & (d->nslots - 1);
    for (; d->stamp[h] == d->now; h = (h + 1) & (d->nslots - 1))
        if (d->loc[d->slot[h]] == loc)
            return d->slot[h];
    d->slot[h] = d->n;
    d->stamp[h] = d->now;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->loc = fm_xrealloc(d->loc, d->cap * sizeof *d->loc);
    }
    d->loc[d->n] = loc;
    return d->n++;
}

int fm_readset_changed(fa *F, const fm_readset *r, uint32_t since)
{
    if (r->over || !F->deps)
        return 1;
    for (int w = 0; w < FM_READ_BITS / 64; w++)
        for (uint64_t b = r->w[w]; b; b &= b - 1) {
            uint32_t i = (uint32_t)w * 64 + (uint32_t)__builtin_ctzll(b);
            if (fm_fa_read_changed(F, F->deps->loc[i], since))
                return 1;
        }
    return 0;
}

void fm_fa_call_uses(fa *F, int32_t i)
{
    call_deps *d = F->deps;
    if (!d || i < 0)
        return;
    if (d->nsum == CALL_SUMS_MAX) {
        d->over = 1;
        return;
    }
    d->sum[d->nsum] = (uint32_t)i;
    d->version[d->nsum++] = F->A->cache[i].version;
}

static int operand_grew(const fa *F, const fm_opnd *o, uint32_t since)
{
    for (uint32_t i = 0; i < o->n; i++)
        if (o->v[i].kind == FM_OR_EVENT && F->val_gen[o->v[i].index] > since)
            return 1;
    return 0;
}

/* What applying call k again would read, against its last time:
 * CALL_SAME (the same argument values, the same summaries, memory that
 * did not grow where it looked), CALL_MEMORY (only memory grew there:
 * *changed says which of its places), or CALL_OTHER.  Its own writes
 * count: a call that reads what it wrote goes again. */
enum { CALL_OTHER, CALL_MEMORY, CALL_SAME };
static int call_unchanged(fa *F, uint32_t k, fm_readset *changed)
{
    const call_memo *m = F->calls ? F->calls[k] : NULL;
    if (!m || !m->valid || !F->A->reuse)
        return CALL_OTHER;
    for (uint32_t i = 0; i < m->nsum; i++)
        if (F->A->cache[m->sum[i]].version != m->version[i])
            return CALL_OTHER;
    const fm_event *e = &F->f->events[k];
    if (operand_grew(F, &e->target, m->vgen))
        return CALL_OTHER;
    for (uint32_t i = 0; i < e->nargs; i++)
        if (operand_grew(F, &e->args[i], m->vgen))
            return CALL_OTHER;
    int grew = 0;
    for (uint32_t i = 0; i < m->n; i++)
        if (fm_fa_read_changed(F, m->loc[i], m->wgen)) {
            fm_readset_set(changed, i);
            grew = 1;
        }
    return grew ? CALL_MEMORY : CALL_SAME;
}

/* The site's record caches: the call's, reused when only memory grew
 * (changed: which of the places it read then grew since). */
static void site_records(site *c, call_memo *m, int reuse, const fm_readset *changed)
{
    c->rc = &m->rc;
    c->nrc = &m->nrc;
    c->reuse = reuse;
    c->changed = *changed;
}

void fm_fa_call(fa *F, uint32_t k)
{
    fm_readset changed = {{0}, 0};
    int same = call_unchanged(F, k, &changed);
    if (same == CALL_SAME) {
        F->A->work += F->calls[k]->work; /* the budget counts what it stands for */
        F->A->calls_reused++;
        return;
    }
    if (!F->calls) {
        F->calls = fm_xcalloc(F->f->nevents, sizeof *F->calls);
        F->deps_buf = fm_xcalloc(1, sizeof *F->deps_buf);
    }
    if (!F->calls[k])
        F->calls[k] = fm_xcalloc(1, sizeof *F->calls[k]);
    call_memo *m = F->calls[k];
    call_deps *d = F->deps_buf;
    d->n = d->nsum = 0;
    d->over = 0;
    if (++d->now == 0) { /* stamps wrapped: forget them all */
        if (d->nslots)
            memset(d->stamp, 0, d->nslots * sizeof *d->stamp);
        d->now = 1;
    }
    F->deps = d;
    for (uint32_t i = 0; i < m->n; i++) /* the same numbers as last time */
        fm_fa_call_reads(F, m->loc[i]);
    uint32_t wgen = F->wgen, vgen = F->vgen;
    long w0 = F->A->work, c0 = F->copy_charged;
    apply_call(F, k, m, same == CALL_MEMORY, &changed);
    F->deps = NULL;
    m->wgen = wgen;
    m->vgen = vgen;
    m->work = (F->A->work - w0) - (F->copy_charged - c0);
    m->n = d->n;
    free(m->loc);
    m->loc = fm_xmalloc((m->n ? m->n : 1) * sizeof *m->loc);
    if (m->n)
        memcpy(m->loc, d->loc, m->n * sizeof *m->loc);
    m->nsum = d->nsum;
    memcpy(m->sum, d->sum, sizeof m->sum);
    memcpy(m->version, d->version, sizeof m->version);
    m->valid = !d->over && !F->A->over_budget;
}

void fm_fa_calls_free(fa *F)
{
    if (!F->calls)
        return;
    for (uint32_t i = 0; i < F->f->nevents; i++) {
        call_memo *m = F->calls[i];
        if (!m)
            continue;
        free(m->loc);
        free(m->rc);
        fm_site_tables_free(F->A, &m->tables);
        free(m);
    }
    free(F->calls);
    free(F->deps_buf->loc);
    free(F->deps_buf->slot);
    free(F->deps_buf->stamp);
    free(F->deps_buf);
}
