/* The abstract domain: value sets, flag composition, locations, labels. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ---- value sets ----
 * Sorted by (payload, kind); the flags are not part of the order: one atom
 * per (kind, payload), its flags merged (see merge_flags). */

#define KEYMASK (~(atom)0xff0)

static uint32_t vs_pos(const vset *s, atom a, int *found)
{
    atom k = a & KEYMASK;
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        atom m = s->v[mid] & KEYMASK;
        if (m == k) {
            *found = 1;
            return mid;
        }
        if (m < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

/* Variants that differ only in flags are merged, or sets grow with every
 * combination of transformations.  The merged flags keep what matters for
 * safety: "mixed", "joined", "selected" and "opaque" if any variant has
 * them, "masked" only if every variant is masked (one unmasked path means
 * the whole field is used). */
static unsigned merge_flags(unsigned a, unsigned b)
{
    unsigned f = ((a | b) & ~(unsigned)(AF_MASKED | AF_ZEROTEST)) | (a & b & AF_MASKED);
    if ((a ^ b) & AF_ZEROTEST)
        f |= AF_OPAQUE; /* a value and its zero test in one: neither key nor flag */
    else
        f |= a & AF_ZEROTEST;
    return f;
}

/* A new buffer of a class is cut from a slab: a build's analysis makes
 * hundreds of thousands, and malloc would add 16 bytes and a call to each.
 * They go back to their free list, never to malloc (nor did they before:
 * the lists kept them). */
#define SLAB_SIZE ((size_t)64 << 10)
void *fm_bufpool_new(fm_bufpool *p, uint32_t cap, int k)
{
    size_t n = ((size_t)cap * p->elsize + 7) & ~(size_t)7;
    if (k < 0)
        return fm_xmalloc(n);
    if (!p->slab || p->slab_used + n > SLAB_SIZE) {
        char *s = fm_xmalloc(SLAB_SIZE);
        memcpy(s, &p->slab, sizeof p->slab); /* (slabs stay reachable) */
        p->slab = s;
        p->slab_used = 8;
    }
    void *b = p->slab + p->slab_used;
    p->slab_used += n;
    return b;
}

void fm_bufpool_put(fm_bufpool *p, void *b, uint32_t cap)
{
    if (!b)
        return;
    int k = fm_bufpool_class(p, cap);
    if (k < 0) {
        free(b);
        return;
    }
    memcpy(b, &p->free[k], sizeof(void *));
    p->free[k] = b;
}

void *fm_bufpool_move(fm_bufpool *p, void *b, uint32_t n, uint32_t cap, uint32_t ncap)
{
    void *d = fm_bufpool_get(p, ncap);
    if (n)
        memcpy(d, b, n * p->elsize);
    fm_bufpool_put(p, b, cap);
    return d;
}

/* Value sets' buffers: 4, 8, ... 128 atoms. */
static _Thread_local fm_bufpool vs_pool = {.nclasses = 6, .elsize = sizeof(atom)};

void fm_vs_reserve(vset *s, uint32_t n)
{
    if (n <= s->cap)
        return;
    uint32_t cap = s->cap ? s->cap : 4;
    while (cap < n)
        cap *= 2;
    s->v = fm_bufpool_move(&vs_pool, s->v, s->n, s->cap, cap);
    s->cap = cap;
}


int fm_vs_add(vset *s, atom a)
{
    /* a huge set keeps its labels (they decide keys) and folds everything
     * else into "unknown": imprecise, never silently smaller; once folded,
     * it stays so (or it would shrink and grow again, and never settle) */
    if ((s->folded || s->n >= VSET_MAX) && atom_kind(a) != AK_LABEL)
        a = mk_atom(AK_UNKNOWN, 0, 0);
    int found;
    uint32_t pos = vs_pos(s, a, &found);
    if (found) {
        unsigned f = merge_flags(atom_flags(s->v[pos]), atom_flags(a));
        if (f == atom_flags(s->v[pos]))
            return 0;
        s->v[pos] = atom_with_flags(s->v[pos], f);
        return 1;
    }
    fm_vs_reserve(s, s->n + 1);
    memmove(s->v + pos + 1, s->v + pos, (s->n - pos) * sizeof *s->v);
    s->v[pos] = a;
    s->n++;
    return 1;
}

/* Linear merge of two sorted sets. */
/* Over VSET_MAX atoms, keep the labels (they decide keys) and fold the
 * rest into one "unknown": imprecise, never silently smaller. */
static void vs_fold(vset *s)
{
    if (s->n <= VSET_MAX)
        return;
    uint32_t n = 0;
    int unknown = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        if (atom_kind(s->v[i]) == AK_LABEL)
            s->v[n++] = s->v[i];
        else
            unknown = 1;
    }
    s->n = n;
    s->folded = 1;
    if (unknown)
        fm_vs_add(s, mk_atom(AK_UNKNOWN, 0, 0));
}

/* The atoms of s (but its pointers if no_ptr), composed with outer, added
 * to a folded d: fm_vs_add turns every atom but a label into one
 * "unknown", so the labels are added, and that "unknown" once. */
static int add_to_folded(vset *d, const vset *s, unsigned outer, int no_ptr)
{
    int grew = 0, other = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        if (no_ptr && atom_kind(s->v[i]) == AK_PTR)
            continue;
        if (atom_kind(s->v[i]) == AK_LABEL)
            grew |= fm_vs_add(d, fm_atom_compose(s->v[i], outer));
        else
            other = 1;
    }
    if (other)
        grew |= fm_vs_add(d, mk_atom(AK_UNKNOWN, 0, 0));
    return grew;
}

int fm_vs_union(vset *d, const vset *s)
{
    if (d == s || s->n == 0)
        return 0;
    if (d->n == 0 && !d->folded && s->n <= VSET_MAX) {
        fm_vs_copy(d, s); /* into nothing (a new cell): what the merge would make */
        return 1;
    }
    if (s->folded && !d->folded) {
        for (uint32_t i = 0; i < s->n; i++)
            fm_vs_add(d, s->v[i]);
        d->folded = 1; /* vs_fold only folds past VSET_MAX */
        vs_fold(d);
        return 1;
    }
    if (d->folded)
        return add_to_folded(d, s, 0, 0);
    if (s->n <= 2) {
        int grew = 0;
        for (uint32_t i = 0; i < s->n; i++)
            grew |= fm_vs_add(d, s->v[i]);
        return grew;
    }
    /* in a fixpoint most unions add nothing, and most of those are of
     * equal sets: compare the words first, then count what s adds */
    if (d->n == s->n && !memcmp(d->v, s->v, s->n * sizeof *s->v))
        return 0;
    uint32_t i = 0, j = 0, m = 0;
    int grew = 0;
    atom *dv = d->v;
    const atom *sv = s->v;
    const uint32_t dn = d->n, sn = s->n;
    for (; j < sn; j++) {
        atom b = sv[j] & KEYMASK;
        while (i < dn && (dv[i] & KEYMASK) < b)
            i++;
        if (i == dn || (dv[i] & KEYMASK) != b) {
            m++;
            continue;
        }
        if (atom_flags(dv[i]) != atom_flags(sv[j])) {
            unsigned f = merge_flags(atom_flags(dv[i]), atom_flags(sv[j]));
            if (f != atom_flags(dv[i])) {
                dv[i] = atom_with_flags(dv[i], f);
                grew = 1;
            }
        }
        i++;
    }
    if (m == 0)
        return grew;
    /* merge from the back, in place */
    fm_vs_reserve(d, d->n + m);
    uint32_t n = d->n + m;
    i = d->n;
    j = s->n;
    while (j > 0) {
        if (i > 0 && (d->v[i - 1] & KEYMASK) > (s->v[j - 1] & KEYMASK))
            d->v[--n] = d->v[--i];
        else if (i > 0 && (d->v[i - 1] & KEYMASK) == (s->v[j - 1] & KEYMASK))
            d->v[--n] = d->v[--i], j--; /* flags merged above */
        else
            d->v[--n] = s->v[--j];
    }
    d->n += m;
    grew = 1;
    if (d->n > VSET_MAX) {
        uint32_t before = d->n;
        vs_fold(d);
        grew |= d->n != before;
    }
    return grew;
}

/* The atoms of s (but its pointers if no_ptr) composed with outer, as a
 * set t (new flags keep the order). */
static inline void composed_copy(vset *t, const vset *s, unsigned outer, int no_ptr)
{
    fm_vs_copy(t, s);
    t->folded = 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->n; i++)
        if (!no_ptr || atom_kind(t->v[i]) != AK_PTR)
            t->v[n++] = fm_atom_compose(t->v[i], outer);
    t->n = n;
}

/* Where an atom could reach the size limit, atoms are added one by one (a
 * merge folds differently past it); else in bulk. */
void fm_vs_union_composed(vset *d, const vset *s, unsigned outer, int no_ptr)
{
    if (d->folded) {
        add_to_folded(d, s, outer, no_ptr);
        return;
    }
    if (d->n + s->n > VSET_MAX) {
        for (uint32_t i = 0; i < s->n; i++)
            if (!no_ptr || atom_kind(s->v[i]) != AK_PTR)
                fm_vs_add(d, fm_atom_compose(s->v[i], outer));
        return;
    }
    if (!outer && !no_ptr && !s->folded) { /* nothing to compose: merge s itself */
        fm_vs_union(d, s);
        return;
    }
    if (d->n == 0) { /* composed in place: the union would copy it */
        composed_copy(d, s, outer, no_ptr);
        return;
    }
    vset t = {0};
    composed_copy(&t, s, outer, no_ptr);
    fm_vs_union(d, &t);
    fm_vs_free(&t);
}

void fm_vs_blur(vset *d, const vset *s)
{
    atom unknown = mk_atom(AK_UNKNOWN, 0, 0);
    if (d->folded || d->n + s->n + 1 > VSET_MAX) {
        fm_vs_union_composed(d, s, AF_BLURRED, 0);
        fm_vs_add(d, unknown);
        return;
    }
    if (d->n == 0) { /* (the common case: blurring into a new set) */
        composed_copy(d, s, AF_BLURRED, 0);
        fm_vs_add(d, unknown);
        return;
    }
    vset t = {0}; /* "unknown" added to the few atoms, not to d */
    composed_copy(&t, s, AF_BLURRED, 0);
    fm_vs_add(&t, unknown);
    fm_vs_union(d, &t);
    fm_vs_free(&t);
}

uint64_t fm_vs_hash(const vset *s)
{
    /* a sum of products, which the CPU overlaps, not a chain of them */
    uint64_t a = s->n + ((uint64_t)s->folded << 32), b = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        a += s->v[i] * 0x9E3779B97F4A7C15ULL;
        b += (s->v[i] ^ (s->v[i] >> 29)) * 0xC2B2AE3D27D4EB4FULL;
    }
    return (a ^ (b + (a >> 31))) * 0xff51afd7ed558ccdULL;
}

int fm_vs_has(const vset *s, atom a)
{
    int found;
    vs_pos(s, a, &found);
    return found;
}

int fm_vs_equal(const vset *a, const vset *b)
{
    return a->n == b->n && a->folded == b->folded &&
           (a->n == 0 || !memcmp(a->v, b->v, a->n * sizeof *a->v));
}

void fm_vs_copy(vset *d, const vset *s)
{
    fm_vs_clear(d);
    fm_vs_reserve(d, s->n);
    if (s->n)
        memcpy(d->v, s->v, s->n * sizeof *s->v);
    d->n = s->n;
    d->folded = s->folded;
}

void fm_vs_clear(vset *s)
{
    s->n = 0;
    s->folded = 0;
}

void fm_vs_free(vset *s)
{
    fm_bufpool_put(&vs_pool, s->v, s->cap);
    s->v = NULL;
    s->n = s->cap = 0;
    s->folded = 0;
}

/* ---- locations ---- */

static uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ULL ^ (uint64_t)b * 0xC2B2AE3D27D4EB4FULL ^
                 (uint64_t)c * 0x165667B19E3779F9ULL;
    return (uint32_t)(h ^ (h >> 29));
}

static void loc_rehash(an *A)
{
    uint32_t ns = A->nloc_slots ? A->nloc_slots * 2 : 4096;
    uint32_t *slots = fm_xcalloc(ns, sizeof *slots);
    for (uint32_t id = 1; id < A->nlocs; id++) {
        const aloc *l = &A->locs[id];
        uint32_t h = hash3(l->parent, l->kind, l->arg) & (ns - 1);
        while (slots[h])
            h = (h + 1) & (ns - 1);
        slots[h] = id;
    }
    free(A->loc_slots);
    A->loc_slots = slots;
    A->nloc_slots = ns;
}

static uint32_t loc_intern(an *A, uint32_t parent, unsigned kind, uint32_t arg)
{
    if ((A->nlocs + 1) * 2 > A->nloc_slots)
        loc_rehash(A);
    uint32_t h = hash3(parent, kind, arg) & (A->nloc_slots - 1);
    while (A->loc_slots[h]) {
        const aloc *l = &A->locs[A->loc_slots[h]];
        if (l->parent == parent && l->kind == kind && l->arg == arg)
            return A->loc_slots[h];
        h = (h + 1) & (A->nloc_slots - 1);
    }
    if (A->nlocs == A->caplocs) {
        A->caplocs *= 2;
        A->locs = fm_xrealloc(A->locs, A->caplocs * sizeof *A->locs);
    }
    uint32_t id = A->nlocs++;
    aloc *l = &A->locs[id];
    l->parent = parent;
    l->kind = (uint8_t)kind;
    l->arg = arg;
    if (parent) {
        const aloc *p = &A->locs[parent];
        l->depth = p->depth + 1;
        l->nderef = p->nderef + (kind == LS_DEREF || kind == LS_STAR);
        l->starred = p->starred || kind == LS_STAR;
        l->root = p->root;
    } else {
        l->depth = 0;
        l->nderef = 0;
        l->starred = 0;
        l->root = id;
    }
    A->loc_slots[h] = id;
    return id;
}

uint32_t fm_loc_root(an *A, unsigned kind, uint32_t arg)
{
    return loc_intern(A, 0, kind, arg);
}

/* The member a pointer is read from (looking through array elements), as
 * a field id, or 0. */
static uint32_t pointer_member(const an *A, uint32_t loc)
{
    while (loc) {
        const aloc *l = &A->locs[loc];
        if (l->kind == LS_FIELD)
            return l->arg;
        if (l->kind != LS_INDEX && l->kind != LS_THREAD)
            return 0;
        loc = l->parent;
    }
    return 0;
}

uint32_t fm_loc_child(an *A, uint32_t parent, unsigned kind, uint32_t arg)
{
    const aloc *p = &A->locs[parent];
    /* a repeated array step adds nothing */
    if ((kind == LS_INDEX || kind == LS_THREAD) && p->kind == kind)
        return parent;
    /* recursive structures: following the same pointer member again (a
     * list's next, a tree's child[i]) folds back onto the node reached the
     * first time */
    if (kind == LS_DEREF) {
        uint32_t f = pointer_member(A, parent);
        if (f) {
            for (uint32_t a = p->parent; a; a = A->locs[a].parent) {
                const aloc *x = &A->locs[a];
                if (x->kind == LS_DEREF && pointer_member(A, x->parent) == f)
                    return a;
            }
        }
    }
    /* objects of one record type reached again through pointers on the
     * same path (a tree's parent, a free list) are folded onto the first:
     * recursive structures get one abstract node per type */
    if (kind == LS_FIELD && p->kind == LS_DEREF && parent) {
        const char *rec = A->fields[arg].rec;
        uint32_t prev = parent;
        for (uint32_t a = p->parent; a; prev = a, a = A->locs[a].parent) {
            const aloc *x = &A->locs[a];
            if (x->kind == LS_DEREF && prev != parent && A->locs[prev].kind == LS_FIELD &&
                A->fields[A->locs[prev].arg].rec == rec)
                return loc_intern(A, a, LS_FIELD, arg);
        }
    }
    /* beyond the bounds, one node stands for everything below: the memory
     * keeps its root (writes there are still state), and what is read back
     * is marked as not usable for keys (fm_fa_read) */
    if (p->kind == LS_STAR)
        return parent;
    if (p->depth >= A->lim.loc_depth || (kind == LS_DEREF && p->nderef >= A->lim.loc_deref))
        return loc_intern(A, parent, LS_STAR, 0);
    return loc_intern(A, parent, kind, arg);
}

int fm_loc_under(const an *A, uint32_t anc, uint32_t loc)
{
    for (; loc; loc = A->locs[loc].parent)
        if (loc == anc)
            return 1;
    return 0;
}

const aloc *fm_loc_get(const an *A, uint32_t id)
{
    return &A->locs[id];
}

unsigned fm_loc_root_kind(const an *A, uint32_t loc)
{
    return A->locs[A->locs[loc].root].kind;
}

int fm_loc_may_hold_pointer(an *A, uint32_t loc)
{
    const aloc *l = &A->locs[loc];
    while (l->kind == LS_INDEX && l->parent) /* an element: its array's type */
        l = &A->locs[l->parent];
    if (l->kind != LS_FIELD)
        return 1;
    const fieldref *f = &A->fields[l->arg];
    int32_t t = fm_program_type_index(A->P, f->rec);
    if (t < 0)
        return 1;
    const fm_type *ty = fm_program_type_at(A->P, (size_t)t);
    if (!(ty->flags & FM_TYPE_COMPLETE))
        return 1;
    for (uint32_t i = 0; i < ty->nfields; i++)
        if (!strcmp(ty->fields[i].name, f->field))
            return (ty->fields[i].flags & (FM_FIELD_POINTER | FM_FIELD_ARRAY | FM_FIELD_RECORD)) != 0;
    return 1;
}

int fm_loc_starred(const an *A, uint32_t loc)
{
    return A->locs[loc].starred;
}

int fm_loc_within(const an *A, uint32_t anc, uint32_t loc)
{
    while (loc) {
        if (loc == anc)
            return 1;
        const aloc *l = &A->locs[loc];
        if (l->kind == LS_DEREF || l->kind == LS_STAR)
            return 0;
        loc = l->parent;
    }
    return 0;
}

uint32_t fm_loc_rebase(an *A, uint32_t loc, uint32_t from, uint32_t to)
{
    if (loc == from)
        return to;
    const aloc *l = &A->locs[loc];
    if (!l->parent)
        return to; /* from was not an ancestor: coarse */
    /* the same paths are rebased again and again (every record of a
     * summary, every round): the answer never changes */
    uint32_t h = hash3(loc, from, to) & (FM_REBASE_MEMO - 1);
    fm_rebase_memo *m = &A->rebase_memo[h];
    if (m->loc == loc && m->from == from && m->to == to)
        return m->out;
    uint32_t kind = l->kind, arg = l->arg;
    uint32_t base = fm_loc_rebase(A, l->parent, from, to);
    uint32_t out = fm_loc_child(A, base, kind, arg);
    A->rebase_memo[h] = (fm_rebase_memo){loc, from, to, out};
    return out;
}

/* ---- fields and labels ---- */

uint32_t fm_field_id(an *A, const char *rec, const char *field)
{
    if ((A->nfields + 1) * 2 > A->nfield_slots) {
        uint32_t ns = A->nfield_slots ? A->nfield_slots * 2 : 1024;
        uint32_t *slots = fm_xcalloc(ns, sizeof *slots);
        for (uint32_t i = 1; i < A->nfields; i++) {
            uint32_t h = hash3((uint32_t)(uintptr_t)A->fields[i].rec,
                               (uint32_t)(uintptr_t)A->fields[i].field, 0) & (ns - 1);
            while (slots[h])
                h = (h + 1) & (ns - 1);
            slots[h] = i;
        }
        free(A->field_slots);
        A->field_slots = slots;
        A->nfield_slots = ns;
    }
    uint32_t h = hash3((uint32_t)(uintptr_t)rec, (uint32_t)(uintptr_t)field, 0) &
                 (A->nfield_slots - 1);
    while (A->field_slots[h]) {
        const fieldref *f = &A->fields[A->field_slots[h]];
        if (f->rec == rec && f->field == field)
            return A->field_slots[h];
        h = (h + 1) & (A->nfield_slots - 1);
    }
    if (A->nfields == A->capfields) {
        A->capfields *= 2;
        A->fields = fm_xrealloc(A->fields, A->capfields * sizeof *A->fields);
        A->field_label = fm_xrealloc(A->field_label, A->capfields * sizeof *A->field_label);
    }
    A->fields[A->nfields] = (fieldref){rec, field};
    A->field_label[A->nfields] = -1;
    A->field_slots[h] = A->nfields;
    return A->nfields++;
}

const fieldref *fm_field_get(const an *A, uint32_t id)
{
    return &A->fields[id];
}

uint32_t fm_label_id(an *A, const char *name)
{
    for (uint32_t i = 0; i < A->nlabels; i++)
        if (!strcmp(A->labels[i], name))
            return i;
    A->labels = fm_xrealloc(A->labels, (A->nlabels + 1) * sizeof *A->labels);
    A->labels[A->nlabels] = fm_xstrdup(name);
    return A->nlabels++;
}

const char *fm_label_name(const an *A, uint32_t id)
{
    return id < A->nlabels ? A->labels[id] : "?";
}

/* ---- names for reports ---- */

static const char *short_rec(const char *rec)
{
    return rec ? rec : "?";
}

void fm_loc_name(const an *A, const fm_program *P, uint32_t loc, fm_buf *out)
{
    const aloc *l = &A->locs[loc];
    if (!l->parent) {
        switch (l->kind) {
        case LR_PARAM: fm_buf_printf(out, "*param%u", l->arg); break;
        case LR_SLOT: fm_buf_printf(out, "param%u", l->arg); break;
        case LR_LOCAL: fm_buf_printf(out, "local%u", l->arg); break;
        case LR_GLOBAL:
            fm_buf_puts(out, l->arg < fm_program_nglobals(P)
                                 ? fm_program_global_at(P, l->arg)->printable : "global");
            break;
        case LR_RET: fm_buf_puts(out, "return"); break;
        case LR_CALLRET: fm_buf_printf(out, "call%u", l->arg); break;
        case LR_ARGCOPY: fm_buf_printf(out, "arg%u of call%u", l->arg & 63, l->arg >> 6); break;
        case LR_TABLE:
            fm_buf_puts(out, "element of ");
            fm_loc_name(A, P, l->arg, out);
            break;
        case LR_FCB: fm_buf_puts(out, "flow state (fcb)"); break;
        case LR_HEAP: fm_buf_puts(out, "heap"); break;
        case LR_REL: fm_buf_puts(out, "key"); break;
        default: fm_buf_puts(out, "unknown"); break;
        }
        return;
    }
    const aloc *p = &A->locs[l->parent];
    int this_root = !p->parent && p->kind == LR_PARAM && p->arg == 0;
    if (l->kind == LS_FIELD) {
        const fieldref *f = &A->fields[l->arg];
        if (this_root) {
            /* members of the element itself read as Class::member */
            fm_buf_printf(out, "%s::%s", short_rec(f->rec), f->field);
            return;
        }
        fm_loc_name(A, P, l->parent, out);
        fm_buf_printf(out, ".%s", f->field);
        return;
    }
    fm_loc_name(A, P, l->parent, out);
    switch (l->kind) {
    case LS_INDEX: fm_buf_puts(out, "[i]"); break;
    case LS_THREAD: fm_buf_puts(out, "[thread]"); break;
    case LS_DEREF: fm_buf_puts(out, "->"); break;
    case LS_STAR: fm_buf_puts(out, "->..."); break;
    }
}
