/* Calls: resolving the callee (direct, virtual through the NF's own class),
 * the profile's primitives (table operations, per-thread accessors,
 * argument parsers), builtins, and applying a callee's summary with the
 * actual arguments. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define MAXL 16

/* ---- translating a callee's terms into the caller's ---- */

/* What one callee atom became at this call site.  A callee summary
 * repeats the same few atoms (its parameters, their contents) across
 * hundreds of records and guards, and the caller's fixpoint applies it
 * again every round: each atom is translated once per site. */
typedef struct tmemo {
    atom a;                  /* 0: empty slot */
    uint32_t wgen;           /* caller memory generation it was read at */
    vset out;
} tmemo;

/* What one callee record's guards became at this call site: the records
 * of a callee repeat the same path conditions.  Valid while the caller's
 * memory has not grown if they read contents; guards testing lookup
 * results (whose mapping is still being built) are not kept. */
/* Memo tables keyed by a callee's set (its address, a hash of its
 * content): entries start with an mkey; open addressing. */
typedef struct mkey {
    const void *src;         /* NULL: empty slot */
    uint64_t h;
} mkey;

typedef struct mtab {
    char *e;
    uint32_t n, used;
    size_t size;             /* of one entry */
} mtab;

typedef struct gmemo {
    mkey k;
    uint32_t wgen;
    int content, dead;
    guards out;
} gmemo;

typedef struct site {
    fa *F;
    uint32_t k;              /* call event */
    uint32_t off;            /* first record number of this callee (a call
                                reaching several bodies numbers them apart) */
    vset *args;
    uint32_t nargs;
    tmemo *memo;             /* open addressing, nmemo slots (power of 2) */
    uint32_t nmemo, usedmemo;
    mtab gm;                 /* the same for guards (gmemo) */
    mtab vm;                 /* and for whole value sets (vmemo) */
    guards scratch;          /* guards not kept */
} site;

static uint32_t translate_loc(site *c, uint32_t L, uint32_t *out, uint32_t max);

static void translate_atoms(site *c, const vset *in, vset *out);

/* A by-value parameter whose storage the callee used: memory of the caller
 * (an aggregate passed by value arrives as its address) or a scalar. */
static int slot_is_memory(site *c, uint32_t i)
{
    for (uint32_t j = 0; j < c->args[i].n; j++)
        if (atom_kind(c->args[i].v[j]) == AK_PTR)
            return 1;
    return 0;
}

/* The caller's copy of a scalar argument whose address the callee took
 * (a key passed by reference: find(const K &k) called with a value): a
 * place holding that value, so a key read through it keeps its fields. */
static uint32_t arg_copy(site *c, uint32_t i, uint32_t *bases)
{
    uint32_t l = fm_loc_root(c->F->A, LR_ARGCOPY, (c->k << 6) | (i & 63));
    fm_fa_write(c->F, l, ((uint64_t)c->k << 8) | 0x40 | (i & 63), &c->args[i]);
    bases[0] = l;
    return 1;
}

static uint32_t translate_loc(site *c, uint32_t L, uint32_t *out, uint32_t max)
{
    an *A = c->F->A;
    const aloc *l = fm_loc_get(A, L);
    uint32_t root = l->root;
    const aloc *r = fm_loc_get(A, root);
    uint32_t n = 0;
    switch (r->kind) {
    case LR_PARAM:
    case LR_SLOT: {
        uint32_t bases[MAXL], nb = 0;
        if (r->arg < c->nargs)
            for (uint32_t i = 0; i < c->args[r->arg].n; i++) {
                unsigned k = atom_kind(c->args[r->arg].v[i]);
                /* a scalar (a header value passed as a by-value struct)
                 * designates no memory of the caller */
                if (k != AK_LABEL && k != AK_STR && k != AK_TRES)
                    fm_fa_atom_locs(c->F, c->args[r->arg].v[i], bases, &nb, MAXL);
            }
        else
            bases[nb++] = fm_loc_root(A, LR_UNKNOWN, 0);
        if (r->kind == LR_SLOT && r->arg < c->nargs && !slot_is_memory(c, r->arg))
            nb = arg_copy(c, r->arg, bases); /* the callee took a scalar's address */
        for (uint32_t i = 0; i < nb && n < max; i++)
            out[n++] = fm_loc_rebase(A, L, root, bases[i]);
        return n;
    }
    case LR_TABLE: {
        uint32_t ts[MAXL];
        uint32_t nt = translate_loc(c, r->arg, ts, MAXL);
        for (uint32_t i = 0; i < nt && n < max; i++)
            out[n++] = fm_loc_rebase(A, L, root, fm_loc_root(A, LR_TABLE, ts[i]));
        return n;
    }
    case LR_RET:
        out[n++] = fm_loc_rebase(A, L, root, fm_loc_root(A, LR_CALLRET, c->k));
        return n;
    case LR_LOCAL:
    case LR_CALLRET:
    case LR_REL:
    case LR_ARGCOPY:
        return 0;
    default:
        out[n++] = L;
        return n;
    }
}

static void add_composed(vset *out, atom a, unsigned outer)
{
    unsigned k = atom_kind(a);
    if (outer && (k == AK_LABEL || k == AK_PARAM || k == AK_CONTENT || k == AK_TRES))
        a = atom_with_flags(a, fm_flags_compose(atom_flags(a), outer));
    fm_vs_add(out, a);
}

static void translate_atom(site *c, atom a, vset *out)
{
    fa *F = c->F;
    unsigned f = atom_flags(a);
    uint32_t locs[MAXL], n;
    switch (atom_kind(a)) {
    case AK_PTR:
        n = translate_loc(c, (uint32_t)atom_payload(a), locs, MAXL);
        for (uint32_t j = 0; j < n; j++)
            fm_vs_add(out, mk_atom(AK_PTR, 0, locs[j]));
        break;
    case AK_CONTENT: {
        const aloc *r = fm_loc_get(F->A, fm_loc_get(F->A, (uint32_t)atom_payload(a))->root);
        if (r->kind == LR_SLOT && r->arg < c->nargs)
            /* part of an aggregate passed by value as a scalar value
             * (e.g. a header field copied whole): that value */
            for (uint32_t t = 0; t < c->args[r->arg].n; t++)
                if (atom_kind(c->args[r->arg].v[t]) != AK_PTR)
                    add_composed(out, c->args[r->arg].v[t], f);
        n = translate_loc(c, (uint32_t)atom_payload(a), locs, MAXL);
        for (uint32_t j = 0; j < n; j++) {
            vset tmp = {0};
            fm_fa_read(F, locs[j], &tmp);
            for (uint32_t t = 0; t < tmp.n; t++)
                add_composed(out, tmp.v[t], f);
            fm_vs_free(&tmp);
        }
        break;
    }
    case AK_PARAM: {
        uint32_t p = (uint32_t)atom_payload(a);
        if (p < c->nargs)
            for (uint32_t t = 0; t < c->args[p].n; t++)
                add_composed(out, c->args[p].v[t], f);
        else
            fm_vs_add(out, mk_atom(AK_UNKNOWN, 0, 0));
        break;
    }
    case AK_TRES: {
        uint32_t x = (uint32_t)atom_payload(a);
        if (F->tres_map && F->tres_map[c->k] && c->off + x < F->tres_n[c->k])
            fm_vs_add(out, mk_atom(AK_TRES, f, F->tres_map[c->k][c->off + x]));
        break;
    }
    default:
        fm_vs_add(out, a);
    }
}

static tmemo *memo_slot(site *c, atom a)
{
    if ((c->usedmemo + 1) * 2 > c->nmemo) {
        uint32_t ns = c->nmemo ? c->nmemo * 2 : 16;
        tmemo *m = fm_xcalloc(ns, sizeof *m);
        for (uint32_t i = 0; i < c->nmemo; i++) {
            if (!c->memo[i].a)
                continue;
            uint32_t h = (uint32_t)((c->memo[i].a * 0x9E3779B97F4A7C15ULL) >> 32) & (ns - 1);
            while (m[h].a)
                h = (h + 1) & (ns - 1);
            m[h] = c->memo[i];
        }
        free(c->memo);
        c->memo = m;
        c->nmemo = ns;
    }
    uint32_t h = (uint32_t)((a * 0x9E3779B97F4A7C15ULL) >> 32) & (c->nmemo - 1);
    while (c->memo[h].a && c->memo[h].a != a)
        h = (h + 1) & (c->nmemo - 1);
    return &c->memo[h];
}

static void add_all(vset *out, const vset *s)
{
    if (!out->n)
        fm_vs_copy(out, s);
    else
        fm_vs_union(out, s);
}

static void translate_each(site *c, const vset *in, vset *out)
{
    fa *F = c->F;
    for (uint32_t i = 0; i < in->n; i++) {
        atom a = in->v[i];
        unsigned k = atom_kind(a);
        if (k == AK_TRES || k == AK_LABEL || k == AK_STR || k == AK_CONST || k == AK_UNKNOWN) {
            translate_atom(c, a, out); /* cheap, or (lookups) still changing */
            continue;
        }
        tmemo *m = memo_slot(c, a);
        if (!m->a || (k == AK_CONTENT && m->wgen != F->wgen)) {
            if (!m->a)
                c->usedmemo++;
            m->a = a;
            m->wgen = F->wgen;
            fm_vs_clear(&m->out);
            translate_atom(c, a, &m->out);
        }
        add_all(out, &m->out);
    }
}

/* The entry for `in` (claimed, *fresh set, if it has none yet). */
static void *mtab_slot(mtab *t, const void *in, uint64_t h,
                       int (*same)(const void *, const void *), int *fresh)
{
    if ((t->used + 1) * 2 > t->n) {
        uint32_t ns = t->n ? t->n * 2 : 16;
        char *e = fm_xcalloc(ns, t->size);
        for (uint32_t i = 0; i < t->n; i++) {
            const mkey *k = (const mkey *)(t->e + i * t->size);
            if (!k->src)
                continue;
            uint32_t p = (uint32_t)(k->h >> 32) & (ns - 1);
            while (((const mkey *)(e + p * t->size))->src)
                p = (p + 1) & (ns - 1);
            memcpy(e + p * t->size, k, t->size);
        }
        free(t->e);
        t->e = e;
        t->n = ns;
    }
    for (uint32_t p = (uint32_t)(h >> 32) & (t->n - 1);; p = (p + 1) & (t->n - 1)) {
        mkey *k = (mkey *)(t->e + p * t->size);
        *fresh = !k->src;
        if (*fresh) {
            k->src = in;
            k->h = h;
            t->used++;
            return k;
        }
        if (k->h == h && same(k->src, in))
            return k;
    }
}

/* A whole value set translated at this site: the records of a callee
 * repeat the same values (the same stored value, the same key). */
typedef struct vmemo {
    mkey k;
    uint32_t wgen;
    int content;
    vset out;
} vmemo;

static int same_vset(const void *a, const void *b) { return fm_vs_equal(a, b); }

static void translate_atoms(site *c, const vset *in, vset *out)
{
    fa *F = c->F;
    F->A->work += 1 + in->n;
    if (in->n < 2) {
        translate_each(c, in, out);
        return;
    }
    uint64_t h = 0xcbf29ce484222325ULL;
    int content = 0;
    for (uint32_t i = 0; i < in->n; i++) {
        unsigned k = atom_kind(in->v[i]);
        if (k == AK_TRES) { /* lookups: their mapping is still being built */
            translate_each(c, in, out);
            return;
        }
        content |= k == AK_CONTENT;
        h = (h ^ in->v[i]) * 0x100000001b3ULL;
        h = (h ^ (in->v[i] >> 32)) * 0x100000001b3ULL;
    }
    int fresh;
    vmemo *m = mtab_slot(&c->vm, in, h, same_vset, &fresh);
    if (fresh || (m->content && m->wgen != F->wgen)) {
        m->content = content;
        m->wgen = F->wgen;
        fm_vs_clear(&m->out);
        translate_each(c, in, &m->out);
    }
    add_all(out, &m->out);
}

static void memo_free(site *c)
{
    for (uint32_t i = 0; i < c->nmemo; i++)
        fm_vs_free(&c->memo[i].out);
    free(c->memo);
    for (uint32_t i = 0; i < c->gm.n; i++)
        fm_guards_free(&((gmemo *)(c->gm.e + i * c->gm.size))->out);
    free(c->gm.e);
    for (uint32_t i = 0; i < c->vm.n; i++)
        fm_vs_free(&((vmemo *)(c->vm.e + i * c->vm.size))->out);
    free(c->vm.e);
    fm_guards_free(&c->scratch);
}

/* A guard the call site settles: its tested side is only constants (a
 * flag the caller passes as a literal).  Returns 1 if it cannot hold. */
static int guard_false(const guard *g)
{
    const vset *side = (g->zflags & FM_CONDF_RHS_ZERO) ? &g->lhs
                     : (g->zflags & FM_CONDF_LHS_ZERO) ? &g->rhs : NULL;
    if (!side || !side->n || (g->cmp != FM_CMP_EQ && g->cmp != FM_CMP_NE))
        return 0;
    int zero = 0, nonzero = 0;
    for (uint32_t i = 0; i < side->n; i++) {
        unsigned fl = atom_flags(side->v[i]);
        if (atom_kind(side->v[i]) != AK_CONST || (fl & ~(AF_SELECT | AF_ZEROTEST)))
            return 0; /* not only plain constants: unknown */
        /* c, or "c == 0" when zero-tested */
        if ((atom_payload(side->v[i]) != 0) != ((fl & AF_ZEROTEST) != 0))
            nonzero = 1;
        else
            zero = 1;
    }
    if (zero && nonzero)
        return 0;
    int holds = g->cmp == FM_CMP_EQ ? zero : nonzero;
    return holds != g->pol;
}

/* Translate a callee effect's guards; returns 1 if the effect is dead at
 * this call site. */
static int translate_guards_now(site *c, const guards *in, guards *out)
{
    int dead = 0;
    for (uint32_t i = 0; i < in->n; i++) {
        guard g = {0};
        translate_atoms(c, &in->g[i].lhs, &g.lhs);
        translate_atoms(c, &in->g[i].rhs, &g.rhs);
        g.cmp = in->g[i].cmp;
        g.zflags = in->g[i].zflags;
        g.pol = in->g[i].pol;
        dead |= guard_false(&g);
        fm_guards_add(out, &g);
        fm_vs_free(&g.lhs);
        fm_vs_free(&g.rhs);
    }
    return dead;
}

static uint64_t guards_hash(const guards *g, int *content, int *tres)
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
                *content |= atom_kind(a) == AK_CONTENT;
                *tres |= atom_kind(a) == AK_TRES;
                MIX(a);
                MIX(a >> 32);
            }
    }
#undef MIX
    return h;
}

static int same_guards(const void *a, const void *b) { return fm_guards_equal(a, b); }

/* The callee guards `in` at this call site (valid until the next call);
 * *dead: the effect cannot happen here. */
static const guards *translate_guards(site *c, const guards *in, int *dead)
{
    if (!in->n) {
        *dead = 0;
        return in;
    }
    int content = 0, tres = 0;
    uint64_t h = guards_hash(in, &content, &tres);
    if (tres) {
        fm_guards_free(&c->scratch);
        *dead = translate_guards_now(c, in, &c->scratch);
        return &c->scratch;
    }
    int fresh;
    gmemo *m = mtab_slot(&c->gm, in, h, same_guards, &fresh);
    if (fresh || (m->content && m->wgen != c->F->wgen)) {
        fm_guards_free(&m->out);
        m->content = content;
        m->dead = translate_guards_now(c, in, &m->out);
        m->wgen = c->F->wgen;
    } else {
        c->F->A->work += in->n; /* the budget counts what it stands for */
    }
    *dead = m->dead;
    return &m->out;
}

/* Identity of an effect lifted from call event k, the callee's record i:
 * stable while this function is analysed (a callee's record ids are not,
 * across the rounds of a recursion, so they must not enter it). */
static uint64_t lifted_id(uint32_t k, uint32_t i)
{
    return ((uint64_t)(k + 1) << 24) | (i + 1);
}

/* ---- applying a summary ---- */

static void apply_accesses(site *c, const summary *S)
{
    fa *F = c->F;
    if (!F->tres_map) {
        F->tres_map = fm_xcalloc(F->f->nevents, sizeof *F->tres_map);
        F->tres_n = fm_xcalloc(F->f->nevents, sizeof *F->tres_n);
    }
    if (F->tres_n[c->k] < c->off + S->nacc) {
        F->tres_map[c->k] = fm_xrealloc(F->tres_map[c->k],
                                        (c->off + S->nacc) * sizeof **F->tres_map);
        F->tres_n[c->k] = c->off + S->nacc;
    }
    for (uint32_t i = 0; i < S->nacc; i++) {
        const rec_access *a = &S->acc[i];
        uint32_t ts[MAXL];
        uint32_t nt = translate_loc(c, a->table, ts, MAXL);
        vset keyv = {0};
        translate_atoms(c, &a->k.unresolved, &keyv);
        int dead;
        const guards *gd = translate_guards(c, &a->gd, &dead);
        if (dead)
            nt = 0; /* settled false by a constant argument */
        F->tres_map[c->k][c->off + i] = UINT32_MAX;
        for (uint32_t t = 0; t < nt; t++) {
            rec_access *r = fm_fa_access(F, lifted_id(c->k, c->off + i), ts[t], a->api,
                                      a->method, a->op, &keyv, c->k, gd, a->ev);
            for (uint32_t p = 0; p < a->k.npos; p++) {
                const keypos *kp = &a->k.pos[p];
                uint32_t q;
                for (q = 0; q < r->k.npos; q++)
                    if (r->k.pos[q].rel == kp->rel && r->k.pos[q].site == kp->site)
                        break;
                if (q == r->k.npos) {
                    r->k.pos = fm_xrealloc(r->k.pos, (r->k.npos + 1) * sizeof *r->k.pos);
                    memset(&r->k.pos[q], 0, sizeof r->k.pos[q]);
                    r->k.pos[q].rel = kp->rel;
                    r->k.pos[q].site = kp->site;
                    r->k.npos++;
                    F->changed = 1;
                }
                vset tv = {0};
                translate_atoms(c, &kp->val, &tv);
                if (fm_vs_union(&r->k.pos[q].val, &tv))
                    F->changed = 1;
                fm_vs_free(&tv);
            }
            if (F->tres_map[c->k][c->off + i] == UINT32_MAX)
                F->tres_map[c->k][c->off + i] = (uint32_t)(r - F->out->acc);
        }
        fm_vs_free(&keyv);
    }
}

static void apply_stores(site *c, const summary *S, int agg_result)
{
    fa *F = c->F;
    an *A = F->A;
    for (uint32_t i = 0; i < S->nstores; i++) {
        const rec_store *st = &S->stores[i];
        unsigned rk = fm_loc_root_kind(A, st->loc);
        if (rk == LR_SLOT)
            continue;
        (void)agg_result;
        uint32_t ds[MAXL];
        uint32_t nd = translate_loc(c, st->loc, ds, MAXL);
        vset v = {0};
        translate_atoms(c, &st->val, &v);
        int dead;
        const guards *gd = translate_guards(c, &st->gd, &dead);
        if (dead)
            nd = 0; /* settled false by a constant argument */
        uint64_t s = lifted_id(c->k, c->off + i);
        for (uint32_t d = 0; d < nd; d++) {
            if (st->agg) {
                for (uint32_t j = 0; j < v.n; j++)
                    if (atom_kind(v.v[j]) == AK_PTR)
                        fm_fa_store_agg(F, s, ds[d], (uint32_t)atom_payload(v.v[j]), s, c->k, gd,
                                     st->ev);
            } else {
                fm_fa_write(F, ds[d], s, &v);
                if (fm_fa_liftable_root(A, ds[d]) && fm_loc_root_kind(A, ds[d]) != LR_SLOT) {
                    rec_store *r = fm_fa_store(F, s, ds[d], &v, 0, c->k, gd, st->ev);
                    r->invisible |= st->invisible;
                    r->coarse |= st->coarse;
                }
            }
        }
        fm_vs_free(&v);
    }
}

static void apply_rest(site *c, const summary *S)
{
    fa *F = c->F;
    summary *o = F->out;
    for (uint32_t i = 0; i < S->nidx; i++) {
        const rec_index *x = &S->idx[i];
        uint32_t ls[MAXL];
        uint32_t n = translate_loc(c, x->loc, ls, MAXL);
        vset v = {0};
        translate_atoms(c, &x->idx, &v);
        int dead;
        const guards *gd = translate_guards(c, &x->gd, &dead);
        if (dead)
            n = 0; /* settled false by a constant argument */
        for (uint32_t j = 0; j < n; j++)
            fm_fa_index(F, lifted_id(c->k, c->off + i), ls[j], &v, x->is_write, c->k,
                     gd, x->ev);
        fm_vs_free(&v);
    }
    for (uint32_t i = 0; i < S->nescape; i++) {
        uint32_t ls[MAXL];
        uint32_t n = translate_loc(c, S->escape[i].loc, ls, MAXL);
        for (uint32_t j = 0; j < n; j++)
            if (fm_fa_liftable_root(F->A, ls[j]) && fm_loc_root_kind(F->A, ls[j]) != LR_UNKNOWN)
                fm_fa_escape(F, ls[j], S->escape[i].ev);
    }
    for (uint32_t i = 0; i < S->ntouch; i++) {
        uint32_t ls[MAXL];
        uint32_t n = translate_loc(c, S->touch[i].loc, ls, MAXL);
        for (uint32_t j = 0; j < n; j++)
            if (fm_fa_liftable_root(F->A, ls[j]))
                fm_fa_touch(F, S->touch[i].id, ls[j], S->touch[i].ev);
    }
    vset kw = {0};
    translate_atoms(c, &S->keywords, &kw);
    if (fm_vs_union(&o->keywords, &kw))
        F->changed = 1;
    fm_vs_free(&kw);
    for (uint32_t l = 0; l < 32; l++)
        if (S->label_ev[l].fn)
            fm_fa_label_ev(F, l, S->label_ev[l]);
    for (uint32_t i = 0; i < S->nreach; i++)
        fm_fa_reach(F, S->reach[i]);
    for (size_t i = 0; i < S->notes.n; i++)
        fm_strset_add(&o->notes, S->notes.v[i]);
    for (size_t i = 0; i < S->coarse.n; i++)
        fm_strset_add(&o->coarse, S->coarse.v[i]);
    o->ctx_dependent |= S->ctx_dependent;
}

static void apply_summary(site *c, const fm_func *g, const summary *S)
{
    fa *F = c->F;
    const fm_event *e = &F->f->events[c->k];
    int agg = (e->call_flags & FM_CALLF_AGG_RESULT) != 0;
    apply_accesses(c, S);
    apply_stores(c, S, agg);
    vset v = {0};
    if (agg)
        fm_vs_add(&v, mk_atom(AK_PTR, 0, fm_loc_root(F->A, LR_CALLRET, c->k)));
    else
        translate_atoms(c, &S->ret, &v);
    fm_fa_set_val(F, c->k, &v);
    fm_vs_free(&v);
    apply_rest(c, S);
    fm_fa_reach(F, g);
}

/* ---- primitives ---- */

static void arg_locs(fa *F, const vset *v, uint32_t *out, uint32_t *n)
{
    for (uint32_t i = 0; i < v->n; i++)
        fm_fa_atom_locs(F, v->v[i], out, n, MAXL);
}

static void table_op(site *c, const fm_table_api *api, const fm_table_method *m,
                     const char *method, uint32_t this_arg)
{
    fa *F = c->F;
    an *A = F->A;
    uint32_t k = c->k;
    evid ev = {F->f, F->f->events[k].line};
    uint32_t ts[MAXL], nt = 0;
    if (this_arg < c->nargs)
        arg_locs(F, &c->args[this_arg], ts, &nt);
    vset keyv = {0};
    if (m->key_arg >= 0 && (uint32_t)m->key_arg < c->nargs) {
        if (m->key_array) { /* the pointers stored in the array are the keys */
            uint32_t ks[MAXL], nk = 0;
            arg_locs(F, &c->args[m->key_arg], ks, &nk);
            for (uint32_t i = 0; i < nk; i++)
                fm_fa_read(F, ks[i], &keyv);
        } else {
            fm_vs_union(&keyv, &c->args[m->key_arg]);
        }
    }
    vset res = {0};
    for (uint32_t t = 0; t < nt; t++) {
        rec_access *r = fm_fa_access(F, ((uint64_t)1 << 62) | k, ts[t], api, method, m->op,
                                  &keyv, k, NULL, ev);
        uint32_t ai = (uint32_t)(r - F->out->acc);
        uint32_t elem = fm_loc_root(A, LR_TABLE, ts[t]);
        fm_vs_add(&res, mk_atom(AK_PTR, 0, elem));
        fm_vs_add(&res, mk_atom(AK_TRES, 0, ai));
        /* the inserted value becomes the element's content */
        if (m->value_arg >= 0 && (uint32_t)m->value_arg < c->nargs) {
            const vset *val = &c->args[m->value_arg];
            for (uint32_t i = 0; i < val->n; i++)
                if (atom_kind(val->v[i]) == AK_PTR)
                    fm_fa_copy(F, elem, (uint32_t)atom_payload(val->v[i]), (uint64_t)k << 8);
            fm_fa_write(F, elem, (uint64_t)k << 8, val);
        }
    }
    /* the value stored in the element, returned through an out-pointer
     * (rte_hash_lookup_data: a user pointer, followed by the caller) */
    if (m->result_arg >= 0 && (uint32_t)m->result_arg < c->nargs) {
        vset stored = {0};
        for (uint32_t t = 0; t < nt; t++)
            fm_vs_add(&stored, mk_atom(AK_CONTENT, 0, fm_loc_root(A, LR_TABLE, ts[t])));
        for (uint32_t i = 0; i < res.n; i++)
            if (atom_kind(res.v[i]) == AK_TRES)
                fm_vs_add(&stored, res.v[i]);
        uint32_t outs[MAXL], no = 0;
        arg_locs(F, &c->args[m->result_arg], outs, &no);
        for (uint32_t i = 0; i < no; i++) {
            fm_fa_write(F, outs[i], (uint64_t)k << 8, &stored);
            if (fm_fa_liftable_root(A, outs[i]) && fm_loc_root_kind(A, outs[i]) != LR_SLOT)
                fm_fa_store(F, ((uint64_t)2 << 62) | k, outs[i], &stored, 0, k, NULL, ev);
        }
        fm_vs_free(&stored);
    }
    /* each key's position, written into an out-array (bulk lookups) */
    if (m->positions_arg >= 0 && (uint32_t)m->positions_arg < c->nargs) {
        vset pos = {0};
        for (uint32_t i = 0; i < res.n; i++)
            if (atom_kind(res.v[i]) == AK_TRES)
                fm_vs_add(&pos, res.v[i]);
        uint32_t outs[MAXL], no = 0;
        arg_locs(F, &c->args[m->positions_arg], outs, &no);
        for (uint32_t i = 0; i < no; i++) {
            fm_fa_write(F, outs[i], (uint64_t)k << 8, &pos);
            if (fm_fa_liftable_root(A, outs[i]) && fm_loc_root_kind(A, outs[i]) != LR_SLOT)
                fm_fa_store(F, ((uint64_t)1 << 62) | k, outs[i], &pos, 0, k, NULL, ev);
        }
        fm_vs_free(&pos);
    }
    if (F->f->events[k].call_flags & FM_CALLF_AGG_RESULT) {
        uint32_t cr = fm_loc_root(A, LR_CALLRET, k);
        fm_fa_write(F, cr, (uint64_t)k << 8, &res);
        fm_vs_clear(&res);
        fm_vs_add(&res, mk_atom(AK_PTR, 0, cr));
    }
    fm_fa_set_val(F, k, &res);
    fm_vs_free(&res);
    fm_vs_free(&keyv);
}

/* The value a callee flowmage cannot see returns.  A CONST function (GCC:
 * no memory, the arguments only, e.g. __builtin_ia32_crc32si) mixes its
 * arguments, usable in keys; a known hash function likewise; anything else
 * is "unknown" plus what its arguments and their pointees hold, marked
 * opaque (never key fields). */
static void invisible_value(site *c, int usable, vset *v)
{
    fa *F = c->F;
    unsigned fl = AF_MIXED | (usable ? 0 : AF_OPAQUE);
    if (!usable)
        fm_vs_add(v, mk_atom(AK_UNKNOWN, 0, 0));
    for (uint32_t i = 0; i < c->nargs; i++) {
        vset in = {0};
        fm_vs_union(&in, &c->args[i]);
        uint32_t ls[MAXL], n = 0;
        for (uint32_t j = 0; j < c->args[i].n; j++)
            if (atom_kind(c->args[i].v[j]) == AK_PTR)
                fm_fa_atom_locs(F, c->args[i].v[j], ls, &n, MAXL);
        for (uint32_t j = 0; j < n; j++)
            fm_fa_read(F, ls[j], &in);
        for (uint32_t j = 0; j < in.n; j++) {
            unsigned k = atom_kind(in.v[j]);
            if (k == AK_LABEL || k == AK_PARAM || k == AK_CONTENT || k == AK_TRES)
                fm_vs_add(v, atom_with_flags(in.v[j], fm_flags_compose(atom_flags(in.v[j]), fl)));
        }
        fm_vs_free(&in);
    }
}

static void opaque(site *c, int usable)
{
    vset v = {0};
    invisible_value(c, usable, &v);
    fm_fa_set_val(c->F, c->k, &v);
    fm_vs_free(&v);
}

/* A pointer read from memory and handed to a callee flowmage cannot see
 * may be followed there (pointer chasing: a per-flow record's pointer given
 * to a scanning library on every batch). */
static void invisible_touches(site *c)
{
    fa *F = c->F;
    evid ev = {F->f, F->f->events[c->k].line};
    for (uint32_t i = 0; i < c->nargs; i++)
        for (uint32_t j = 0; j < c->args[i].n; j++) {
            atom a = c->args[i].v[j];
            uint32_t l;
            if (atom_kind(a) == AK_PARAM)
                l = fm_loc_root(F->A, LR_PARAM, (uint32_t)atom_payload(a));
            else if (atom_kind(a) == AK_CONTENT &&
                     fm_loc_may_hold_pointer(F->A, (uint32_t)atom_payload(a)))
                l = fm_loc_child(F->A, (uint32_t)atom_payload(a), LS_DEREF, 0);
            else
                continue;
            if (fm_fa_liftable_root(F->A, l) && fm_loc_root_kind(F->A, l) != LR_UNKNOWN)
                fm_fa_touch(F, ((uint64_t)3 << 60) | ((uint64_t)c->k << 8) | i, l, ev);
        }
}

/* What a callee flowmage cannot see may write: whatever its pointer
 * arguments reach, unless GCC says it writes no memory, or only reads
 * through them.  The written value is what it was given (opaque): the NF
 * tells an unknown table API fed with packet data from a counter. */
/* The places a callee flowmage cannot see is given the address of. */
static uint32_t pointer_args(site *c, uint32_t i, uint32_t *ls)
{
    fa *F = c->F;
    uint32_t n = 0;
    for (uint32_t j = 0; j < c->args[i].n; j++) {
        atom a = c->args[i].v[j];
        unsigned k = atom_kind(a);
        if ((k == AK_PARAM || k == AK_CONTENT) && (atom_flags(a) & (AF_MIXED | AF_MASKED)))
            continue; /* arithmetic on it (a size, a count): no address */
        if (k == AK_PTR || k == AK_PARAM ||
            (k == AK_CONTENT && fm_loc_may_hold_pointer(F->A, (uint32_t)atom_payload(a))))
            fm_fa_atom_locs(F, a, ls, &n, MAXL);
    }
    return n;
}

static void invisible_writes(site *c, unsigned fnflags)
{
    fa *F = c->F;
    an *A = F->A;
    evid ev = {F->f, F->f->events[c->k].line};
    /* what it is given the address of may be written later, through
     * pointers flowmage cannot trace (it may keep them) */
    for (uint32_t i = 0; i < c->nargs && !(fnflags & (FM_FN_CONST | FM_FN_PURE)); i++) {
        uint32_t ls[MAXL], n = pointer_args(c, i, ls);
        for (uint32_t j = 0; j < n; j++)
            if (fm_fa_liftable_root(A, ls[j]) && fm_loc_root_kind(A, ls[j]) != LR_UNKNOWN)
                fm_fa_escape(F, ls[j], ev);
    }
    if (fnflags & (FM_FN_CONST | FM_FN_PURE | FM_FN_NO_ARG_WRITES))
        return;
    vset v = {0};
    invisible_value(c, 0, &v);
    for (uint32_t i = 0; i < c->nargs; i++) {
        uint32_t ls[MAXL], n = pointer_args(c, i, ls);
        for (uint32_t j = 0; j < n; j++) {
            if (fm_loc_root_kind(A, ls[j]) == LR_UNKNOWN)
                continue;
            uint64_t site = ((uint64_t)c->k << 8) | 0x80 | (i & 0x7f);
            fm_fa_write(F, ls[j], site, &v);
            if (fm_fa_liftable_root(A, ls[j]) && fm_loc_root_kind(A, ls[j]) != LR_SLOT) {
                fm_fa_store_invisible(F, ((uint64_t)5 << 59) | site, ls[j], &v, c->k, ev);
            }
        }
    }
    fm_vs_free(&v);
}

/* A call flowmage cannot follow: a declaration only, a function excluded
 * from the facts, a call through a pointer, a virtual call it cannot
 * resolve to one body. */
static void invisible_call(site *c, const fm_func *g)
{
    unsigned fl = g ? g->flags : 0;
    opaque(c, (fl & FM_FN_CONST) != 0);
    invisible_touches(c);
    invisible_writes(c, fl);
}

static int is_any(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(name, *list))
            return 1;
    return 0;
}

static const char *const allocators[] = {"_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t",
                                         "_ZnamRKSt9nothrow_t", "malloc", "calloc",
                                         "realloc", "__builtin_malloc", "__builtin_calloc",
                                         "rte_malloc", "rte_zmalloc", NULL};
/* Freeing memory is no state written (what was in it is gone). */
static const char *const deallocators[] = {"_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm",
                                           "_ZdlPvSt11align_val_t", "_ZdaPvSt11align_val_t",
                                           "_ZdlPvmSt11align_val_t", "free", "rte_free",
                                           "__builtin_free", NULL};
static const char *const copiers[] = {"memcpy", "memmove", "__builtin_memcpy",
                                      "__builtin_memmove", "rte_memcpy", NULL};
static const char *const setters[] = {"memset", "__builtin_memset", NULL};

/* __atomic_* / __sync_* read-modify-write builtins write their first
 * argument's pointee (atomic counters are state too). */
static int atomic_rmw(site *c, const char *name)
{
    fa *F = c->F;
    if (strncmp(name, "__atomic_", 9) && strncmp(name, "__sync_", 7))
        return 0;
    if (strstr(name, "load") || strstr(name, "thread_fence") || strstr(name, "signal_fence") ||
        strstr(name, "always_lock_free") || strstr(name, "is_lock_free") || !c->nargs)
        return 0;
    uint32_t ls[MAXL], n = 0;
    arg_locs(F, &c->args[0], ls, &n);
    vset v = {0};
    for (uint32_t i = 1; i < c->nargs; i++)
        fm_vs_union(&v, &c->args[i]);
    evid ev = {F->f, F->f->events[c->k].line};
    for (uint32_t i = 0; i < n; i++) {
        vset cur = {0};
        fm_fa_read(F, ls[i], &cur);
        fm_vs_union(&cur, &v);
        fm_fa_write(F, ls[i], (uint64_t)c->k << 8, &cur);
        if (fm_fa_liftable_root(F->A, ls[i]) && fm_loc_root_kind(F->A, ls[i]) != LR_SLOT)
            fm_fa_store(F, c->k, ls[i], &cur, 0, c->k, NULL, ev);
        fm_vs_free(&cur);
    }
    fm_vs_free(&v);
    return 1;
}

/* Known functions with fixed semantics; returns 1 if handled. */
static int builtin(site *c, const char *name)
{
    fa *F = c->F;
    an *A = F->A;
    if (atomic_rmw(c, name))
        return 1;
    if (is_any(name, deallocators)) {
        vset none = {0};
        fm_fa_set_val(F, c->k, &none);
        return 1;
    }
    if (is_any(name, allocators)) {
        vset v = {0};
        /* one abstract object per allocation site (function, call) */
        uint32_t site = 2166136261u;
        for (const char *m = F->f->mangled; *m; m++)
            site = (site ^ (unsigned char)*m) * 16777619u;
        site ^= c->k * 40503u;
        fm_vs_add(&v, mk_atom(AK_PTR, 0, fm_loc_root(A, LR_HEAP, site)));
        fm_fa_set_val(F, c->k, &v);
        fm_vs_free(&v);
        return 1;
    }
    evid ev = {F->f, F->f->events[c->k].line};
    if (is_any(name, copiers) && c->nargs >= 2) {
        /* a copy callers see, like a struct assignment (a key copied into
         * a slot of a key array) */
        uint32_t d[MAXL], nd = 0, s[MAXL], ns = 0;
        arg_locs(F, &c->args[0], d, &nd);
        arg_locs(F, &c->args[1], s, &ns);
        for (uint32_t i = 0; i < nd; i++)
            for (uint32_t j = 0; j < ns; j++) {
                /* within one object (a buffer shifted), a local copy */
                if (fm_loc_get(A, d[i])->root == fm_loc_get(A, s[j])->root)
                    fm_fa_copy(F, d[i], s[j], (uint64_t)c->k << 8);
                else
                    fm_fa_store_agg(F, c->k, d[i], s[j], (uint64_t)c->k << 8, c->k, NULL, ev);
            }
        fm_fa_set_val(F, c->k, &c->args[0]);
        return 1;
    }
    if (is_any(name, setters) && c->nargs >= 1) {
        /* the fill byte, everywhere in the destination */
        uint32_t d[MAXL], nd = 0;
        arg_locs(F, &c->args[0], d, &nd);
        vset fill = {0};
        if (c->nargs >= 2)
            fm_vs_union(&fill, &c->args[1]);
        for (uint32_t i = 0; i < nd; i++) {
            fm_fa_write(F, d[i], (uint64_t)c->k << 8, &fill);
            if (fm_fa_liftable_root(A, d[i]) && fm_loc_root_kind(A, d[i]) != LR_SLOT)
                fm_fa_store(F, c->k, d[i], &fill, 0, c->k, NULL, ev);
        }
        fm_vs_free(&fill);
        fm_fa_set_val(F, c->k, &c->args[0]);
        return 1;
    }
    return 0;
}

int fm_parser_call(an *A, const fm_func *g)
{
    const fm_profile *p = A->prof;
    if (fm_strset_has(&p->parser_functions, g->simple) ||
        fm_strset_has(&p->parser_functions, g->mangled))
        return 1;
    if (g->cls < 0)
        return 0;
    const fm_type *t = fm_program_type_at(A->P, (size_t)g->cls);
    return fm_strset_has(&p->parser_classes, t->tmpl) &&
           !strncmp(g->simple, p->parser_method_prefix, strlen(p->parser_method_prefix));
}

/* The output argument of an index allocator (-1: the return value), or -2
 * if g is none ("name" or "name:N" in the profile). */
static int index_allocator(const fm_profile *p, const fm_func *g)
{
    const char *name = g->simple[0] ? g->simple : g->mangled;
    size_t len = strlen(name);
    for (size_t i = 0; i < p->index_allocators.n; i++) {
        const char *s = p->index_allocators.v[i];
        if (strncmp(s, name, len) || (s[len] && s[len] != ':'))
            continue;
        return s[len] ? atoi(s + len + 1) : -1;
    }
    return -2;
}

/* A fresh index: no other flow's while it is in use.  The allocator's own
 * bookkeeping is not followed (it is not per flow). */
static void fresh_index(site *c, int out)
{
    fa *F = c->F;
    an *A = F->A;
    vset v = {0};
    fm_vs_add(&v, mk_atom(AK_FRESH, 0, c->k));
    if (out < 0) {
        fm_fa_set_val(F, c->k, &v);
    } else if ((uint32_t)out < c->nargs) {
        evid ev = {F->f, F->f->events[c->k].line};
        uint32_t ls[MAXL], n = 0;
        arg_locs(F, &c->args[out], ls, &n);
        for (uint32_t i = 0; i < n; i++) {
            fm_fa_write(F, ls[i], (uint64_t)c->k << 8, &v);
            if (fm_fa_liftable_root(A, ls[i]) && fm_loc_root_kind(A, ls[i]) != LR_SLOT)
                fm_fa_store(F, ((uint64_t)7 << 58) | c->k, ls[i], &v, 0, c->k, NULL, ev);
        }
        vset ok = {0}; /* a success flag */
        fm_vs_add(&ok, mk_atom(AK_CONST, 0, 0));
        fm_vs_add(&ok, mk_atom(AK_CONST, 0, 1));
        fm_fa_set_val(F, c->k, &ok);
        fm_vs_free(&ok);
    }
    fm_vs_free(&v);
}

/* Profile primitives; returns 1 if the call was handled. */
static int primitive(site *c, const fm_func *g)
{
    fa *F = c->F;
    an *A = F->A;
    const fm_profile *p = A->prof;
    const fm_table_method *m;
    const fm_table_api *api;
    const char *tmpl = g->cls >= 0 ? fm_program_type_at(A->P, (size_t)g->cls)->tmpl : NULL;
    if (tmpl && (api = fm_profile_table_method(p, tmpl, g->simple, &m))) {
        table_op(c, api, m, g->simple, 0);
        return 1;
    }
    if (!tmpl && (api = fm_profile_table_function(p, g->simple[0] ? g->simple : g->mangled, &m))) {
        /* C APIs: the table handle is the first argument's pointee */
        table_op(c, api, m, g->simple, 0);
        return 1;
    }
    if (tmpl && fm_strset_has(&p->per_thread_classes, tmpl) &&
        fm_strset_has(&p->per_thread_accessors, g->simple)) {
        uint32_t ls[MAXL], n = 0;
        if (c->nargs)
            arg_locs(F, &c->args[0], ls, &n);
        vset v = {0};
        for (uint32_t i = 0; i < n; i++)
            fm_vs_add(&v, mk_atom(AK_PTR, 0, fm_loc_child(A, ls[i], LS_THREAD, 0)));
        fm_fa_set_val(F, c->k, &v);
        fm_vs_free(&v);
        return 1;
    }
    if (fm_parser_call(A, g)) {
        for (uint32_t i = 0; i < c->nargs; i++)
            for (uint32_t j = 0; j < c->args[i].n; j++) {
                atom a = c->args[i].v[j];
                unsigned k = atom_kind(a);
                if ((k == AK_STR || k == AK_PARAM || k == AK_CONTENT) &&
                    fm_vs_add(&F->out->keywords, atom_with_flags(a, 0)))
                    F->changed = 1;
            }
        if (c->nargs)
            fm_fa_set_val(F, c->k, &c->args[0]); /* Args& chaining */
        return 1;
    }
    int out = index_allocator(p, g);
    if (out != -2) {
        fresh_index(c, out);
        return 1;
    }
    if (fm_strset_has(&p->framework_values, g->printable) ||
        fm_strset_has(&p->framework_values, g->mangled)) {
        vset v = {0}; /* some number of the framework's: no packet data */
        fm_vs_add(&v, mk_atom(AK_CONST, 0, 1));
        fm_fa_set_val(F, c->k, &v);
        fm_vs_free(&v);
        return 1;
    }
    if (fm_strset_has(&p->hash_functions, g->simple)) {
        opaque(c, 1);
        return 1;
    }
    if (fm_strset_has(&p->identity_functions, g->simple) ||
        fm_strset_has(&p->identity_functions, g->mangled)) {
        if (c->nargs)
            fm_fa_set_val(F, c->k, &c->args[0]);
        return 1;
    }
    return builtin(c, g->simple[0] ? g->simple : g->mangled) || builtin(c, g->mangled);
}

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

/* The profile's I/O and logging (functions, and methods of classes): they
 * keep no element state, whether flowmage sees their code or not. */
static int no_state(const an *A, const fm_func *g)
{
    const fm_profile *p = A->prof;
    return fm_strset_has(&p->no_state_functions, g->simple) ||
           fm_strset_has(&p->no_state_functions, g->mangled) ||
           fm_strset_has(&p->no_state_functions, g->printable) ||
           (g->cls >= 0 && fm_type_derives_named(A->P, g->cls, &p->no_state_classes));
}

/* One body a call reaches: the profile's primitive, or its summary. */
static void call_body(site *c, const fm_func *g)
{
    fa *F = c->F;
    an *A = F->A;
    if (no_state(A, g)) {
        opaque(c, 0);
        return;
    }
    if (primitive(c, g))
        return;
    if ((g->flags & (FM_FN_DECL | FM_FN_EXCLUDED)) || g->nevents + g->nstmts == 0) {
        invisible_call(c, g);
        return;
    }
    const summary *S = fm_an_summary(A, g);
    if (S) {
        apply_summary(c, g, S);
        c->off += (S->nacc > S->nstores ? S->nacc : S->nstores) + S->nidx + 1;
        return;
    }
    char note[600];
    snprintf(note, sizeof note, "calls nested deeper than %d at %s: facts incomplete",
             A->lim.call_depth, g->printable);
    fm_strset_add(&F->out->notes, note);
    invisible_call(c, g);
}

void fm_fa_call(fa *F, uint32_t k)
{
    an *A = F->A;
    const fm_event *e = &F->f->events[k];
    site c = {.F = F, .k = k, .nargs = e->nargs,
              .gm = {.size = sizeof(gmemo)}, .vm = {.size = sizeof(vmemo)}};
    c.args = fm_xcalloc(e->nargs ? e->nargs : 1, sizeof *c.args);
    for (uint32_t i = 0; i < e->nargs; i++)
        fm_fa_operand(F, &e->args[i], &c.args[i]);
    const fm_func *g[FM_MAX_CALL_TARGETS];
    uint32_t ng = 0;
    vcall vc = VC_RESOLVED;
    if (e->call_kind == FM_CALL_DIRECT) {
        if (!F->callee_known[k]) { /* name lookups once, not every iteration */
            F->callee[k] = fm_program_func(A->P, e->callee, F->f->unit);
            F->callee_known[k] = 1;
        }
        g[0] = F->callee[k];
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
        opaque(&c, 0);
    } else if (ng) {
        for (uint32_t i = 0; i < ng; i++)
            call_body(&c, g[i]);
    } else if (e->call_kind == FM_CALL_DIRECT && builtin(&c, e->callee)) {
        /* a callee the plugin never saw, known by its mangled name */
    } else {
        invisible_call(&c, NULL);
    }
    for (uint32_t i = 0; i < e->nargs; i++)
        fm_vs_free(&c.args[i]);
    free(c.args);
    memo_free(&c);
}
