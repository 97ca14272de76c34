/* Applying a callee's summary at a call site: its terms (parameters,
 * what they point to, its lookups) translated into the caller's, each atom,
 * value set and set of guards once per site and round; then its accesses,
 * stores, indexed arrays, pointers followed and escapes, as the caller's. */
#include <stdlib.h>
#include <string.h>

#include "site.h"

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

/* Memory whose content before this function is none: what a pointer
 * stored there designates is what was stored, never a symbol. */
static int holds_only_stored(const an *A, uint32_t loc)
{
    unsigned k = fm_loc_root_kind(A, loc);
    return k == LR_LOCAL || k == LR_CALLRET || k == LR_ARGCOPY || k == LR_HEAP;
}

/* How a value read from the caller's own memory is followed: 1 for a
 * pointer to the NF's memory (a global, a parameter's, a table's or a flow
 * manager's element), 0 for a value that is no address (a label, a
 * constant), -1 for anything else: then the place stays a symbol below
 * the caller's memory, as before (following such values does not converge
 * in loops that walk lists). */
static int follow_kind(const an *A, atom a)
{
    switch (atom_kind(a)) {
    case AK_PTR: {
        unsigned rk = fm_loc_root_kind(A, (uint32_t)atom_payload(a));
        return rk == LR_TABLE || rk == LR_FCB || rk == LR_GLOBAL || rk == LR_PARAM ? 1 : -1;
    }
    case AK_LABEL:
    case AK_CONST:
    case AK_STR:
    case AK_TRES:
    case AK_FRESH:
    case AK_FUNC:
        return 0;
    default:
        return -1;
    }
}

/* One step (kind, arg) of a callee's path below the caller's own memory
 * at cur: a pointer followed (DEREF), or everything reachable (STAR, a
 * limit or merged writes), is what was stored there, read now.  (The
 * step by value: new locations move the table it is in.) */
static void step_resolved(site *c, uint32_t cur, unsigned kind, uint32_t arg, uint32_t *next,
                          uint32_t *m)
{
    an *A = c->F->A;
    uint32_t self = fm_loc_child(A, cur, kind, arg);
    if ((kind != LS_DEREF && kind != LS_STAR) || !holds_only_stored(A, cur)) {
        fm_fa_add_target(c->F, next, m, MAXL, self);
        return;
    }
    vset v = {0};
    fm_fa_read(c->F, cur, &v);
    uint32_t ls[MAXL], nl = 0;
    int other = 0;
    for (uint32_t t = 0; t < v.n; t++)
        other |= follow_kind(A, v.v[t]) < 0;
    for (uint32_t t = 0; !other && t < v.n; t++)
        if (follow_kind(A, v.v[t]) > 0)
            fm_fa_atom_locs(c->F, v.v[t], ls, &nl, MAXL);
    fm_vs_free(&v);
    /* a STAR also covers the caller's memory below cur */
    if (other || nl == 0 || kind == LS_STAR)
        fm_fa_add_target(c->F, next, m, MAXL, self);
    for (uint32_t t = 0; t < nl; t++)
        fm_fa_add_target(c->F, next, m, MAXL,
                kind == LS_STAR ? fm_loc_child(A, ls[t], LS_STAR, 0) : ls[t]);
}

/* The callee's path L (below root) taken from the caller's base.  A
 * pointer the path follows inside the caller's own memory is what was
 * stored there (an iterator returned into a temporary, its table element
 * followed by the callee; a cursor struct holding the address of a slot):
 * as a symbol below a local, a write there would be the caller's scratch,
 * and lost. */
static uint32_t rebase_resolved(site *c, uint32_t L, uint32_t root, uint32_t base,
                                uint32_t *out, uint32_t max)
{
    an *A = c->F->A;
    if (!holds_only_stored(A, base))
        return (out[0] = fm_loc_rebase(A, L, root, base)), 1;
    uint32_t chain[FM_LOC_MAX_DEPTH + 2], nc = 0;
    for (uint32_t l = L; l && l != root && nc < FM_LOC_MAX_DEPTH + 2; l = fm_loc_get(A, l)->parent)
        chain[nc++] = l;
    uint32_t cur[MAXL], n = 1;
    cur[0] = base;
    while (nc-- > 0 && n > 0) {
        const aloc *st = fm_loc_get(A, chain[nc]);
        unsigned kind = st->kind;
        uint32_t arg = st->arg, next[MAXL], m = 0;
        for (uint32_t i = 0; i < n; i++)
            step_resolved(c, cur[i], kind, arg, next, &m);
        memcpy(cur, next, m * sizeof *cur);
        n = m;
    }
    if (n > max) {
        c->F->overflow = 1;
        n = max;
    }
    memcpy(out, cur, n * sizeof *out);
    return n;
}

static uint32_t translate_loc(site *c, uint32_t L, uint32_t *out, uint32_t max)
{
    an *A = c->F->A;
    uint32_t root = fm_loc_get(A, L)->root;
    /* (by value: new locations move the table) */
    unsigned kind = fm_loc_get(A, root)->kind;
    uint32_t arg = fm_loc_get(A, root)->arg, n = 0;
    switch (kind) {
    case LR_PARAM:
    case LR_SLOT: {
        uint32_t bases[MAXL], nb = 0;
        if (arg < c->nargs)
            for (uint32_t i = 0; i < c->args[arg].n; i++) {
                unsigned k = atom_kind(c->args[arg].v[i]);
                /* a scalar (a header value passed as a by-value struct)
                 * designates no memory of the caller */
                if (k != AK_LABEL && k != AK_STR && k != AK_TRES)
                    fm_fa_atom_locs(c->F, c->args[arg].v[i], bases, &nb, MAXL);
            }
        else
            bases[nb++] = fm_loc_root(A, LR_UNKNOWN, 0);
        if (kind == LR_SLOT && arg < c->nargs && !slot_is_memory(c, arg))
            nb = arg_copy(c, arg, bases); /* the callee took a scalar's address */
        for (uint32_t i = 0; i < nb && n < max; i++)
            n += rebase_resolved(c, L, root, bases[i], out + n, max - n);
        return n;
    }
    case LR_TABLE: {
        uint32_t ts[MAXL];
        uint32_t nt = translate_loc(c, arg, ts, MAXL);
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
            fm_vs_union_composed(out, &c->args[r->arg], f, 1);
        n = translate_loc(c, (uint32_t)atom_payload(a), locs, MAXL);
        for (uint32_t j = 0; j < n; j++) {
            vset tmp = {0};
            fm_fa_read(F, locs[j], &tmp);
            fm_vs_union_composed(out, &tmp, f, 0);
            fm_vs_free(&tmp);
        }
        break;
    }
    case AK_PARAM: {
        uint32_t p = (uint32_t)atom_payload(a);
        if (p < c->nargs)
            fm_vs_union_composed(out, &c->args[p], f, 0);
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

static int memo_live(const site *c, const tmemo *m)
{
    return m->a && m->epoch == c->t.epoch;
}

static tmemo *memo_slot(site *c, atom a)
{
    if ((c->t.usedmemo + 1) * 2 > c->t.nmemo) {
        uint32_t ns = c->t.nmemo ? c->t.nmemo * 2 : 16;
        tmemo *m = fm_xcalloc(ns, sizeof *m);
        for (uint32_t i = 0; i < c->t.nmemo; i++) {
            if (!memo_live(c, &c->t.memo[i])) {
                fm_vs_free(&c->t.memo[i].out); /* an earlier site's */
                continue;
            }
            uint32_t h = (uint32_t)((c->t.memo[i].a * 0x9E3779B97F4A7C15ULL) >> 32) & (ns - 1);
            while (m[h].a)
                h = (h + 1) & (ns - 1);
            m[h] = c->t.memo[i];
        }
        free(c->t.memo);
        c->t.memo = m;
        c->t.nmemo = ns;
    }
    uint32_t h = (uint32_t)((a * 0x9E3779B97F4A7C15ULL) >> 32) & (c->t.nmemo - 1);
    while (memo_live(c, &c->t.memo[h]) && c->t.memo[h].a != a)
        h = (h + 1) & (c->t.nmemo - 1);
    return &c->t.memo[h];
}

static void add_all(vset *out, const vset *s)
{
    if (!out->n)
        fm_vs_copy(out, s);
    else
        fm_vs_union(out, s);
}

/* Whether a translation read any place (one that read none stays valid
 * while the call's arguments do). */
static int reads_any(const fm_readset *r)
{
    for (int i = 0; i < FM_READ_BITS / 64; i++)
        if (r->w[i])
            return 1;
    return 0;
}

/* Whether an entry computed at generation wgen that read r is stale: a
 * place it read grew since (the memory grows in many places at once, only
 * those matter); if not, it is as good as computed now. */
static int stale(fa *F, const fm_readset *r, uint32_t *wgen)
{
    if (*wgen == F->wgen)
        return 0;
    if (fm_readset_changed(F, r, *wgen))
        return 1;
    *wgen = F->wgen; /* the memory grew elsewhere */
    return 0;
}

/* Reads are noted in the innermost readset being gathered (a memo entry's,
 * a callee record's); what it read, its enclosing ones read too. */
static fm_readset *reads_begin(fa *F, fm_readset *r)
{
    fm_readset *outer = F->reads;
    memset(r, 0, sizeof *r);
    F->reads = r;
    return outer;
}

static void reads_end(fa *F, fm_readset *outer)
{
    if (outer)
        fm_readset_merge(outer, F->reads);
    F->reads = outer;
}

/* A memo entry used as it is: the reads it stands for count as made. */
static void reads_reused(fa *F, const fm_readset *r)
{
    if (F->reads)
        fm_readset_merge(F->reads, r);
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
        int live = memo_live(c, m);
        int reads = m->reads.over || reads_any(&m->reads);
        if (live && reads && m->wgen != F->wgen && !fm_readset_changed(F, &m->reads, m->wgen)) {
            m->wgen = F->wgen; /* the memory grew elsewhere */
            F->A->work += m->work; /* the budget counts the reads it stands for */
            reads_reused(F, &m->reads);
        } else if (!live || (reads && m->wgen != F->wgen)) {
            if (!live)
                c->t.usedmemo++;
            m->a = a;
            m->epoch = c->t.epoch;
            m->wgen = F->wgen;
            fm_vs_clear(&m->out);
            long w0 = F->A->work;
            fm_readset *outer = reads_begin(F, &m->reads);
            translate_atom(c, a, &m->out);
            reads_end(F, outer);
            m->work = F->A->work - w0;
        } else {
            reads_reused(F, &m->reads);
        }
        add_all(out, &m->out);
    }
}

static int mtab_live(const mtab *t, const mkey *k)
{
    return k->full && k->epoch == t->epoch;
}

/* The entry for `in` (claimed, *fresh set, if it has none yet: the
 * caller then copies `in` into it); same(entry, in) compares with the
 * entry's copy. */
static void *mtab_slot(mtab *t, const void *in, uint64_t h,
                       int (*same)(const void *, const void *), int *fresh)
{
    if ((t->used + 1) * 2 > t->n) {
        uint32_t ns = t->n ? t->n * 2 : 16;
        char *e = fm_xcalloc(ns, t->size);
        for (uint32_t i = 0; i < t->n; i++) {
            const mkey *k = (const mkey *)(t->e + i * t->size);
            if (!mtab_live(t, k)) {
                t->drop(t->e + i * t->size); /* an earlier site's */
                continue;
            }
            uint32_t p = (uint32_t)(k->h >> 32) & (ns - 1);
            while (((const mkey *)(e + p * t->size))->full) /* all live here */
                p = (p + 1) & (ns - 1);
            memcpy(e + p * t->size, k, t->size);
        }
        free(t->e);
        t->e = e;
        t->n = ns;
    }
    for (uint32_t p = (uint32_t)(h >> 32) & (t->n - 1);; p = (p + 1) & (t->n - 1)) {
        mkey *k = (mkey *)(t->e + p * t->size);
        *fresh = !mtab_live(t, k);
        if (*fresh) {
            k->full = 1;
            k->h = h;
            k->epoch = t->epoch;
            t->used++;
            return k;
        }
        if (k->h == h && same(k, in))
            return k;
    }
}

/* What one callee record's guards became at this call site: the records
 * of a callee repeat the same path conditions.  Valid while the caller's
 * memory has not grown if they read contents; guards testing lookup
 * results (whose mapping is still being built) are not kept. */
typedef struct gmemo {
    mkey k;
    uint32_t wgen;
    int dead;
    fm_readset reads;
    guards key, out;
} gmemo;

/* A whole value set translated at this site: the records of a callee
 * repeat the same values (the same stored value, the same key). */
typedef struct vmemo {
    mkey k;
    uint32_t wgen;
    fm_readset reads;
    vset key, out;
} vmemo;

static int same_vset(const void *m, const void *in)
{
    return fm_vs_equal(&((const vmemo *)m)->key, in);
}

static void translate_atoms(site *c, const vset *in, vset *out)
{
    fa *F = c->F;
    F->A->work += 1 + in->n;
    if (in->n < 2) {
        translate_each(c, in, out);
        return;
    }
    for (uint32_t i = 0; i < in->n; i++)
        if (atom_kind(in->v[i]) == AK_TRES) { /* lookups: their mapping is still being built */
            translate_each(c, in, out);
            return;
        }
    int fresh;
    vmemo *m = mtab_slot(&c->t.vm, in, fm_vs_hash(in), same_vset, &fresh);
    if (fresh)
        fm_vs_copy(&m->key, in);
    if (fresh || stale(F, &m->reads, &m->wgen)) {
        m->wgen = F->wgen;
        fm_vs_clear(&m->out);
        fm_readset *outer = reads_begin(F, &m->reads);
        translate_each(c, in, &m->out);
        reads_end(F, outer);
    } else {
        reads_reused(F, &m->reads);
    }
    add_all(out, &m->out);
}

static void drop_gmemo(void *e)
{
    fm_guards_free(&((gmemo *)e)->key);
    fm_guards_free(&((gmemo *)e)->out);
}

static void drop_vmemo(void *e)
{
    fm_vs_free(&((vmemo *)e)->key);
    fm_vs_free(&((vmemo *)e)->out);
}

#define POOL 4            /* tables kept per kind */
#define POOL_MAX_N 512    /* larger tables are freed, not kept */

typedef struct site_pool {
    struct { tmemo *e; uint32_t n, epoch; } memo[POOL];
    uint32_t nm;
    mtab gm[POOL], vm[POOL];
    uint32_t ngm, nvm;
} site_pool;

static void memo_table_free(tmemo *m, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        fm_vs_free(&m[i].out);
    free(m);
}

static void mtab_free(mtab *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        t->drop(t->e + i * t->size);
    free(t->e);
}

/* Every entry of t dropped at once: a new epoch. */
static void mtab_clear(mtab *t)
{
    t->used = 0;
    t->epoch++;
}

/* A pooled table (cleared), else an empty one. */
static void mtab_take(mtab *pool, uint32_t *np, mtab *t, size_t size, void (*drop)(void *))
{
    if (*np) {
        *t = pool[--*np];
        mtab_clear(t);
    } else {
        *t = (mtab){NULL, 0, 0, 1, size, drop};
    }
}

static void mtab_give(mtab *pool, uint32_t *np, mtab *t)
{
    if (t->e && t->n <= POOL_MAX_N && *np < POOL)
        pool[(*np)++] = *t;
    else
        mtab_free(t);
}

void fm_site_memo_init(site *c, site_tables *keep)
{
    an *A = c->F->A;
    if (keep && keep->kept) {
        c->t = *keep;
        keep->kept = 0;
        if (!c->reuse) { /* other arguments or summaries: all anew */
            c->t.epoch++;
            c->t.usedmemo = 0;
            mtab_clear(&c->t.gm);
            mtab_clear(&c->t.vm);
        }
        return;
    }
    if (!A->site_pool)
        A->site_pool = fm_xcalloc(1, sizeof *A->site_pool);
    site_pool *p = A->site_pool;
    c->t = (site_tables){0};
    c->t.epoch = 1;
    if (p->nm) {
        p->nm--;
        c->t.memo = p->memo[p->nm].e;
        c->t.nmemo = p->memo[p->nm].n;
        c->t.epoch = p->memo[p->nm].epoch + 1;
    }
    mtab_take(p->gm, &p->ngm, &c->t.gm, sizeof(gmemo), drop_gmemo);
    mtab_take(p->vm, &p->nvm, &c->t.vm, sizeof(vmemo), drop_vmemo);
}

/* Tables back to the pool (or freed, past what it keeps). */
static void give_tables(an *A, site_tables *t)
{
    if (!A->site_pool)
        A->site_pool = fm_xcalloc(1, sizeof *A->site_pool);
    site_pool *p = A->site_pool;
    if (t->memo && t->nmemo <= POOL_MAX_N && p->nm < POOL) {
        p->memo[p->nm].e = t->memo;
        p->memo[p->nm].n = t->nmemo;
        p->memo[p->nm++].epoch = t->epoch;
    } else {
        memo_table_free(t->memo, t->nmemo);
    }
    mtab_give(p->gm, &p->ngm, &t->gm);
    mtab_give(p->vm, &p->nvm, &t->vm);
}

void fm_site_memo_free(site *c, site_tables *keep)
{
    fm_guards_free(&c->scratch);
    if (keep) {
        *keep = c->t;
        keep->kept = 1;
    } else {
        give_tables(c->F->A, &c->t);
    }
}

void fm_site_tables_free(an *A, site_tables *keep)
{
    if (keep->kept)
        give_tables(A, keep);
    keep->kept = 0;
}

void fm_site_pool_free(an *A)
{
    site_pool *p = A->site_pool;
    if (!p)
        return;
    for (uint32_t i = 0; i < p->nm; i++)
        memo_table_free(p->memo[i].e, p->memo[i].n);
    for (uint32_t i = 0; i < p->ngm; i++)
        mtab_free(&p->gm[i]);
    for (uint32_t i = 0; i < p->nvm; i++)
        mtab_free(&p->vm[i]);
    free(p);
    A->site_pool = NULL;
}

/* A constant's value (a flag the caller passes as a literal). */
static int const_value(atom a, const void *ctx)
{
    (void)ctx;
    return atom_kind(a) == AK_CONST ? atom_payload(a) != 0 : -1;
}

/* A guard the call site settles: its tested side is only constants.
 * Returns 1 if it cannot hold. */
static int guard_false(const guard *g)
{
    return fm_guard_false_by(g, const_value, NULL);
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

static int same_guards(const void *m, const void *in)
{
    return fm_guards_equal(&((const gmemo *)m)->key, in);
}

/* The callee guards `in` at this call site (valid until the next call);
 * *dead: the effect cannot happen here. */
static const guards *translate_guards(site *c, const guards *in, int *dead)
{
    if (!in->n) {
        *dead = 0;
        return in;
    }
    uint32_t key = fm_guards_key(in); /* (a final summary's records keep theirs) */
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ULL;
    if (key & 2) {
        fm_guards_free(&c->scratch);
        *dead = translate_guards_now(c, in, &c->scratch);
        return &c->scratch;
    }
    int fresh;
    gmemo *m = mtab_slot(&c->t.gm, in, h, same_guards, &fresh);
    if (fresh)
        fm_guards_copy(&m->key, in);
    if (fresh || stale(c->F, &m->reads, &m->wgen)) {
        fm_guards_free(&m->out);
        fm_readset *outer = reads_begin(c->F, &m->reads);
        m->dead = translate_guards_now(c, in, &m->out);
        reads_end(c->F, outer);
        m->wgen = c->F->wgen;
    } else {
        c->F->A->work += in->n; /* the budget counts what it stands for */
        reads_reused(c->F, &m->reads);
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

/* One callee record at this site: its places (none when a constant
 * argument settles its guards false), its values and its guards. */
static uint32_t translate_record(site *c, uint32_t loc, const vset *val, const guards *gin,
                                 uint32_t *locs, vset *v, const guards **gd)
{
    uint32_t n = translate_loc(c, loc, locs, MAXL);
    translate_atoms(c, val, v);
    int dead;
    *gd = translate_guards(c, gin, &dead);
    return dead ? 0 : n;
}

static void apply_accesses(site *c, const summary *S)
{
    fa *F = c->F;
    if (!F->tres_map) {
        F->tres_map = fm_xcalloc(F->f->nevents, sizeof *F->tres_map);
        F->tres_n = fm_xcalloc(F->f->nevents, sizeof *F->tres_n);
    }
    if (F->tres_n[c->k] < c->off + S->nacc) {
        /* a lookup not mapped yet (one the callee's earlier records test)
         * is no record: unknown, until a later round maps it */
        F->tres_map[c->k] = fm_xrealloc(F->tres_map[c->k],
                                        (c->off + S->nacc) * sizeof **F->tres_map);
        for (uint32_t i = F->tres_n[c->k]; i < c->off + S->nacc; i++)
            F->tres_map[c->k][i] = UINT32_MAX;
        F->tres_n[c->k] = c->off + S->nacc;
    }
    for (uint32_t i = 0; i < S->nacc; i++) {
        const rec_access *a = &S->acc[i];
        uint32_t ts[MAXL];
        vset keyv = {0};
        const guards *gd;
        uint32_t nt = translate_record(c, a->table, &a->k.unresolved, &a->gd, ts, &keyv, &gd);
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

/* The cache entry of this call's record number i (NULL: none kept). */
static rec_cache *record_cache(site *c, uint32_t i)
{
    if (!c->rc)
        return NULL;
    if (i >= *c->nrc) {
        uint32_t n = i + 1 > *c->nrc * 2 ? i + 1 : *c->nrc * 2;
        *c->rc = fm_xrealloc(*c->rc, n * sizeof **c->rc);
        memset(*c->rc + *c->nrc, 0, (n - *c->nrc) * sizeof **c->rc);
        *c->nrc = n;
    }
    return *c->rc + i;
}

/* A callee record this call applied before, with the same arguments and
 * summary, whose translation read nothing that grew since: its writes
 * (and, for an aggregate copy, its sources) are as they were, so applying
 * it again adds nothing; it counts what it stands for against the budget
 * (but aggregate copies, which it would not make again). */
static int record_unchanged(site *c, const rec_cache *rc)
{
    if (!rc || !c->reuse || !rc->valid || rc->reads.over)
        return 0;
    for (int i = 0; i < FM_READ_BITS / 64; i++)
        if (rc->reads.w[i] & c->changed.w[i])
            return 0;
    c->F->A->work += rc->work;
    c->F->A->records_reused++;
    return 1;
}

/* One callee record being applied: what its translation reads goes to
 * its cache (record_read), and what it counts against the budget. */
typedef struct record_run {
    rec_cache *rc;
    fm_readset scratch, *outer;
    long w0, c0;
} record_run;

/* Starts applying record number i; 0 if it is unchanged (nothing to do). */
static int record_begin(site *c, uint32_t i, record_run *r)
{
    fa *F = c->F;
    r->rc = record_cache(c, i);
    if (record_unchanged(c, r->rc))
        return 0;
    r->w0 = F->A->work;
    r->c0 = F->copy_charged;
    r->outer = reads_begin(F, r->rc ? &r->rc->reads : &r->scratch);
    return 1;
}

/* Its translation is done: what it reads from now on is not its own. */
static void record_translated(site *c, record_run *r)
{
    reads_end(c->F, r->outer);
}

/* It also depends on loc (the source of an aggregate copy). */
static void record_read(site *c, record_run *r, uint32_t loc)
{
    if (r->rc)
        fm_readset_set(&r->rc->reads, fm_fa_call_reads(c->F, loc));
}

static void record_end(site *c, record_run *r)
{
    fa *F = c->F;
    if (r->rc) {
        r->rc->valid = !r->rc->reads.over;
        r->rc->work = (F->A->work - r->w0) - (F->copy_charged - r->c0);
    }
}

static void apply_stores(site *c, const summary *S)
{
    fa *F = c->F;
    an *A = F->A;
    for (uint32_t i = 0; i < S->nstores; i++) {
        const rec_store *st = &S->stores[i];
        unsigned rk = fm_loc_root_kind(A, st->loc);
        if (rk == LR_SLOT)
            continue;
        record_run run;
        if (!record_begin(c, c->off + i, &run))
            continue;
        uint32_t ds[MAXL];
        vset v = {0};
        const guards *gd;
        uint32_t nd = translate_record(c, st->loc, &st->val, &st->gd, ds, &v, &gd);
        record_translated(c, &run);
        uint64_t s = lifted_id(c->k, c->off + i);
        for (uint32_t d = 0; d < nd; d++) {
            if (st->agg) {
                for (uint32_t j = 0; j < v.n; j++)
                    if (atom_kind(v.v[j]) == AK_PTR) {
                        uint32_t src = (uint32_t)atom_payload(v.v[j]);
                        record_read(c, &run, src); /* what it copies */
                        fm_fa_store_agg(F, s, ds[d], src, s, c->k, gd, st->ev);
                    }
            } else {
                rec_store *r = fm_fa_write_store(F, s, ds[d], s, &v, c->k, gd, st->ev);
                if (r) {
                    r->invisible |= st->invisible;
                    r->coarse |= st->coarse;
                }
            }
        }
        record_end(c, &run);
        fm_vs_free(&v);
    }
}

static void apply_rest(site *c, const summary *S)
{
    fa *F = c->F;
    summary *o = F->out;
    uint32_t first_idx = c->off + (S->nacc > S->nstores ? S->nacc : S->nstores);
    for (uint32_t i = 0; i < S->nidx; i++) {
        const rec_index *x = &S->idx[i];
        record_run run;
        if (!record_begin(c, first_idx + i, &run))
            continue;
        uint32_t ls[MAXL];
        vset v = {0};
        const guards *gd;
        uint32_t n = translate_record(c, x->loc, &x->idx, &x->gd, ls, &v, &gd);
        record_translated(c, &run);
        for (uint32_t j = 0; j < n; j++)
            fm_fa_index(F, lifted_id(c->k, c->off + i), ls[j], &v, x->is_write, c->k,
                     gd, x->ev);
        record_end(c, &run);
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
    for (uint32_t l = 0; S->label_ev && l < FM_LABEL_EVS; l++)
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

void fm_site_apply_summary(site *c, const fm_func *g, const summary *S)
{
    fa *F = c->F;
    const fm_event *e = &F->f->events[c->k];
    int agg = (e->call_flags & FM_CALLF_AGG_RESULT) != 0;
    apply_accesses(c, S);
    apply_stores(c, S);
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
