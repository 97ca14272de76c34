/* The memory of one function being analysed: operands as value sets,
 * where pointers point, and cells (what was stored where, by which store),
 * indexed so that a read looks at a location's own cells, its ancestors'
 * and its descendants', never at the whole memory. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ---- operands and memory ---- */

void fm_fa_operand(fa *F, const fm_opnd *o, vset *out)
{
    an *A = F->A;
    for (uint32_t i = 0; i < o->n; i++) {
        const fm_origin *x = &o->v[i];
        switch (x->kind) {
        case FM_OR_PARAM:
            fm_vs_add(out, mk_atom(AK_PARAM, af_of(x->flags), x->index));
            break;
        case FM_OR_PARAMADDR:
            fm_vs_add(out, mk_atom(AK_PTR, 0, fm_loc_root(A, LR_SLOT, x->index)));
            break;
        case FM_OR_EVENT: {
            fm_vs_union_composed(out, &F->val[x->index], af_of(x->flags), 0);
            break;
        }
        case FM_OR_LOCAL:
            fm_vs_add(out, mk_atom(AK_PTR, 0, fm_loc_root(A, LR_LOCAL, x->index)));
            break;
        case FM_OR_GLOBAL:
            fm_vs_add(out, mk_atom(AK_PTR, 0, fm_loc_root(A, LR_GLOBAL, x->index)));
            break;
        case FM_OR_STR:
            fm_vs_add(out, mk_atom(AK_STR, 0, x->index));
            break;
        case FM_OR_CONST:
            fm_vs_add(out, mk_atom(AK_CONST, 0, x->index));
            break;
        case FM_OR_UNKNOWN:
            fm_vs_add(out, mk_atom(AK_UNKNOWN, 0, 0));
            break;
        case FM_OR_FUNC:
            fm_vs_add(out, mk_atom(AK_FUNC, 0, x->index));
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

/* More targets than kept: each root's targets become that root's one
 * place past the limits (writes stay the root's); only with more roots
 * than places is a target left out, and the facts marked incomplete. */
static void coarsen_targets(fa *F, uint32_t *locs, uint32_t *n, uint32_t max, uint32_t extra)
{
    an *A = F->A;
    uint32_t out[FM_MAX_TARGETS + 1], m = 0;
    for (uint32_t i = 0; i <= *n; i++) {
        uint32_t l = i < *n ? locs[i] : extra;
        uint32_t root = fm_loc_get(A, l)->root;
        uint32_t star = root == l ? l : fm_loc_child(A, root, LS_STAR, 0);
        uint32_t k;
        for (k = 0; k < m && out[k] != star; k++)
            ;
        if (k == m)
            out[m++] = star;
    }
    if (m > max) {
        F->overflow = 1; /* a target left out: the function's facts are incomplete */
        m = max;
    }
    memcpy(locs, out, m * sizeof *locs);
    *n = m;
}

/* Where a pointer value can point. */
void fm_fa_atom_locs(fa *F, atom a, uint32_t *locs, uint32_t *n, uint32_t max)
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
        l = fm_loc_root(A, LR_PARAM, (uint32_t)atom_payload(a));
        break;
    case AK_CONTENT: {
        uint32_t c = (uint32_t)atom_payload(a);
        const aloc *cl = fm_loc_get(A, c);
        if (!cl->parent && cl->kind == LR_GLOBAL && is_flow_state_global(A, cl->arg))
            l = fm_loc_root(A, LR_FCB, 0); /* the flow manager's per-flow block */
        else
            l = fm_loc_child(A, c, LS_DEREF, 0);
        break;
    }
    case AK_STR:
    case AK_TRES:
    case AK_CONST:
    case AK_FUNC:
    case AK_FRESH:
        return; /* markers and constants, not addresses */
    default:
        l = fm_loc_root(A, LR_UNKNOWN, 0);
    }
    fm_fa_add_target(F, locs, n, max, l);
}

void fm_fa_add_target(fa *F, uint32_t *locs, uint32_t *n, uint32_t max, uint32_t l)
{
    for (uint32_t i = 0; i < *n; i++)
        if (locs[i] == l)
            return;
    if (max > (uint32_t)F->A->lim.targets)
        max = (uint32_t)F->A->lim.targets;
    if (*n < max)
        locs[(*n)++] = l;
    else
        coarsen_targets(F, locs, n, max, l);
}

/* ---- the cell index: reads look at a location's own cells, its
 * ancestors' and its descendants', never at the whole memory ---- */

static void locidx_grow(locidx *x)
{
    uint32_t ns = x->nslots ? x->nslots * 2 : 64;
    locslot *s = fm_xcalloc(ns, sizeof *s);
    for (uint32_t i = 0; i < x->nslots; i++) {
        if (!x->s[i].key)
            continue;
        uint32_t h = (x->s[i].key * 2654435761u) & (ns - 1);
        while (s[h].key)
            h = (h + 1) & (ns - 1);
        s[h] = x->s[i];
    }
    free(x->s);
    x->s = s;
    x->nslots = ns;
}

/* Slot of loc, or NULL if absent and not created. */
static locslot *locidx_slot(locidx *x, uint32_t loc, int create)
{
    if (create && (x->used + 1) * 2 > x->nslots)
        locidx_grow(x);
    if (!x->nslots)
        return NULL;
    uint32_t h = ((loc + 1) * 2654435761u) & (x->nslots - 1);
    while (x->s[h].key && x->s[h].key != loc + 1)
        h = (h + 1) & (x->nslots - 1);
    if (!x->s[h].key) {
        if (!create)
            return NULL;
        x->s[h].key = loc + 1;
        x->used++;
    }
    return &x->s[h];
}

/* Every function analysed makes and drops thousands of index lists, most
 * of a few entries: 4, 8, ... 512 of them are kept (absint.h). */
static _Thread_local fm_bufpool ix_pool = {.nclasses = 8, .elsize = sizeof(uint32_t)};

void fm_locidx_add(locidx *x, uint32_t loc, uint32_t cell)
{
    locslot *s = locidx_slot(x, loc, 1);
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 4;
        s->cells = fm_bufpool_move(&ix_pool, s->cells, s->n, s->cap, cap);
        s->cap = cap;
    }
    s->cells[s->n++] = cell;
}

const uint32_t *fm_locidx_get(locidx *x, uint32_t loc, uint32_t *count)
{
    const locslot *s = locidx_slot(x, loc, 0);
    *count = s ? s->n : 0;
    return s ? s->cells : NULL;
}

void fm_locidx_free(locidx *x)
{
    for (uint32_t i = 0; i < x->nslots; i++)
        fm_bufpool_put(&ix_pool, x->s[i].cells, x->s[i].cap);
    free(x->s);
    memset(x, 0, sizeof *x);
}

/* Within-object ancestors of loc, itself first: fm_loc_within(a, loc). */
static uint32_t object_ancestors(const an *A, uint32_t loc, uint32_t *out, uint32_t max)
{
    uint32_t n = 0;
    while (loc && n < max) {
        out[n++] = loc;
        const aloc *l = fm_loc_get(A, loc);
        if (l->kind == LS_DEREF || l->kind == LS_STAR)
            break;
        loc = l->parent;
    }
    return n;
}

uint32_t *fm_fa_cells_within(fa *F, uint32_t loc, uint32_t *n)
{
    const uint32_t *list = fm_locidx_get(&F->within, loc, n);
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

/* Room for n more cells without moving them. */
static void cells_reserve(fa *F, uint32_t n)
{
    if (F->ncells + n <= F->capcells)
        return;
    uint32_t cap = F->capcells ? F->capcells : 32;
    while (cap < F->ncells + n)
        cap *= 2;
    F->cells = fm_xrealloc(F->cells, cap * sizeof *F->cells);
    F->capcells = cap;
}

/* The cell of (loc, site), or NULL. */
static cell *cell_find(fa *F, uint32_t loc, uint64_t site)
{
    if (!F->ncell_slots)
        return NULL;
    for (uint32_t h = cell_hash(loc, site) & (F->ncell_slots - 1); F->cell_slots[h];
         h = (h + 1) & (F->ncell_slots - 1)) {
        cell *c = &F->cells[F->cell_slots[h] - 1];
        if (c->loc == loc && c->site == site)
            return c;
    }
    return NULL;
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
    c->root = fm_loc_get(F->A, loc)->root;
    c->site = site;
    F->cell_slots[h] = F->ncells;
    fm_locidx_add(&F->exact, loc, ci);
    uint32_t anc[FM_LOC_MAX_DEPTH + 2];
    uint32_t na = object_ancestors(F->A, loc, anc, FM_LOC_MAX_DEPTH + 2);
    for (uint32_t i = 0; i < na; i++)
        fm_locidx_add(&F->within, anc[i], ci);
    return c;
}

/* Cell c grew, at generation g: so did the lists that hold it (made with
 * it by cell_get(): their slots exist). */
static void cell_grew(fa *F, const cell *c, uint32_t g)
{
    locidx_slot(&F->exact, c->loc, 0)->grown = g;
    uint32_t anc[FM_LOC_MAX_DEPTH + 2];
    uint32_t na = object_ancestors(F->A, c->loc, anc, FM_LOC_MAX_DEPTH + 2);
    for (uint32_t i = 0; i < na; i++)
        locidx_slot(&F->within, anc[i], 0)->grown = g;
}

/* A value set's hash in a cell (0: not computed). */
static uint32_t val_hash(const vset *v)
{
    uint64_t h = fm_vs_hash(v);
    return (uint32_t)(h ^ (h >> 32)) | 1;
}

/* Another store already holds exactly these values here: a new site adds
 * no alternative (and sites multiply through deep call trees).  Cells are
 * told apart by their sizes and hashes before their atoms; vh, if not
 * NULL, keeps v's hash (a copied cell's: copied again and again). */
static int same_values_stored(fa *F, uint32_t loc, uint64_t site, const vset *v, uint32_t *vh)
{
    if (cell_find(F, loc, site))
        return 0;
    uint32_t n, h = vh ? *vh : 0;
    const uint32_t *at = fm_locidx_get(&F->exact, loc, &n);
    for (uint32_t i = 0; i < n; i++) {
        cell *c = &F->cells[at[i]];
        if (c->val.n != v->n)
            continue;
        if (v->n && !h) {
            h = val_hash(v);
            if (vh)
                *vh = h;
        }
        if (v->n && !c->vhash)
            c->vhash = val_hash(&c->val);
        if ((v->n && c->vhash != h) || !fm_vs_equal(&c->val, v))
            continue;
        fm_fa_call_reads(F, loc); /* while those cells stay as they are */
        return 1;
    }
    return 0;
}

static void write_gen(fa *F, uint32_t loc, uint64_t site, const vset *v, uint32_t *vh,
                      uint32_t gen);

void fm_fa_write(fa *F, uint32_t loc, uint64_t site, const vset *v)
{
    write_gen(F, loc, site, v, NULL, 0);
}

/* Memory whose cells are not kept.  Memory reached through pointers of
 * unknown origin: what is stored there is not read back (reads give
 * "unknown"), or every such store would pollute every such read.  The
 * framework's own memory (its packet pools): no element's state, and what
 * it holds is recycled packets of every flow. */
static int not_modelled(const an *A, uint32_t loc)
{
    return fm_loc_root_kind(A, loc) == LR_UNKNOWN || fm_fa_framework_mem(A, loc);
}

int fm_fa_framework_mem(const an *A, uint32_t loc)
{
    const aloc *r = fm_loc_get(A, fm_loc_get(A, loc)->root);
    return r->kind == LR_GLOBAL && A->framework_global[r->arg];
}

static void write_gen(fa *F, uint32_t loc, uint64_t site, const vset *v, uint32_t *vh,
                      uint32_t gen)
{
    F->A->work += 1 + v->n; /* the budget counts writes too */
    if (not_modelled(F->A, loc))
        return;
    if (same_values_stored(F, loc, site, v, vh))
        return;
    F->starred |= fm_loc_starred(F->A, loc);
    cell *c = cell_get(F, loc, site);
    if (gen > c->gen) {
        c->gen = gen;
        c->regen = F->wgen + 1;
    }
    if (fm_vs_union(&c->val, v)) {
        F->changed = 1;
        c->grown = ++F->wgen;
        c->vhash = 0; /* (computed when compared) */
        cell_grew(F, c, c->grown);
    }
}

int fm_fa_liftable_root(const an *A, uint32_t loc)
{
    unsigned k = fm_loc_root_kind(A, loc);
    return k != LR_LOCAL && k != LR_CALLRET && k != LR_REL && k != LR_ARGCOPY;
}

/* A header field anywhere on the location's path (e.g. the bytes of
 * click_ether.ether_shost read through a pointer to them). */
static int32_t field_header(an *A, uint32_t fid)
{
    if (A->field_label[fid] < 0) {
        const fieldref *f = fm_field_get(A, fid);
        const char *h = fm_profile_header(A->prof, f->rec, f->field);
        A->field_label[fid] = h ? (int32_t)fm_label_id(A, h) + 1 : 0;
    }
    return A->field_label[fid];
}

static const char *loc_header(an *A, uint32_t loc)
{
    for (uint32_t l = loc; l; l = fm_loc_get(A, l)->parent) {
        const aloc *x = fm_loc_get(A, l);
        if (x->kind == LS_FIELD && field_header(A, x->arg))
            return fm_label_name(A, (uint32_t)field_header(A, x->arg) - 1);
    }
    return NULL;
}

static void read_cells(fa *F, uint32_t loc, vset *out);

/* Memory past the limits holds what any path below it stored: values read
 * there are blurred (never key fields), and may be anything. */
static void read_starred(fa *F, uint32_t loc, vset *out)
{
    vset v = {0};
    read_cells(F, loc, &v);
    fm_vs_blur(out, &v);
    fm_vs_free(&v);
}

/* The cells a read of loc sees, as lists of cell indices: those at or
 * below it, then those exactly at each of its ancestors in the object. */
#define READ_LISTS (FM_LOC_MAX_DEPTH + 2)
static uint32_t read_lists(fa *F, uint32_t loc, const uint32_t **list, uint32_t *n)
{
    uint32_t anc[READ_LISTS];
    uint32_t na = object_ancestors(F->A, loc, anc, READ_LISTS);
    list[0] = fm_locidx_get(&F->within, loc, &n[0]);
    for (uint32_t a = 1; a < na; a++)
        list[a] = fm_locidx_get(&F->exact, anc[a], &n[a]);
    return na ? na : 1;
}

typedef struct read_memo read_memo;
static read_memo *read_entry(fa *F, uint32_t loc);
static uint32_t last_growth(fa *F, read_memo *m, uint32_t loc);

int fm_fa_read_changed(fa *F, uint32_t loc, uint32_t since)
{
    return last_growth(F, read_entry(F, loc), loc) > since;
}

void fm_readset_set(fm_readset *r, uint32_t bit)
{
    if (bit < FM_READ_BITS)
        r->w[bit / 64] |= 1ULL << (bit % 64);
    else
        r->over = 1;
}

void fm_readset_merge(fm_readset *into, const fm_readset *r)
{
    for (int i = 0; i < FM_READ_BITS / 64; i++)
        into->w[i] |= r->w[i];
    into->over |= r->over;
}

void fm_fa_read(fa *F, uint32_t loc, vset *out)
{
    uint32_t bit = fm_fa_call_reads(F, loc);
    if (F->reads)
        fm_readset_set(F->reads, bit);
    if (fm_loc_starred(F->A, loc)) {
        F->starred = 1;
        read_starred(F, loc, out);
    }
    else
        read_cells(F, loc, out);
}

/* What the cells of a place held when it was last read, and the memory
 * generation then: most reads in a function see a place again before
 * anything stored at or around it changed (each call site translates the
 * same callee terms). */
struct read_memo {
    uint32_t key;             /* loc + 1; 0: empty */
    uint32_t wgen;            /* val is what the cells held then */
    int has_val;
    uint32_t seen;            /* memory generation + 1 grown was found at (0: never) */
    uint32_t grown;           /* the last growth of a cell a read of loc sees */
    vset val;
};

static read_memo *read_slot(fa *F, uint32_t loc)
{
    if ((F->nreads_used + 1) * 2 > F->nreads) {
        uint32_t ns = F->nreads ? F->nreads * 2 : 64;
        read_memo *m = fm_xcalloc(ns, sizeof *m);
        for (uint32_t i = 0; i < F->nreads; i++) {
            if (!F->read_memo[i].key)
                continue;
            uint32_t h = (F->read_memo[i].key * 0x9E3779B1u) & (ns - 1);
            while (m[h].key)
                h = (h + 1) & (ns - 1);
            m[h] = F->read_memo[i];
        }
        free(F->read_memo);
        F->read_memo = m;
        F->nreads = ns;
    }
    uint32_t h = ((loc + 1) * 0x9E3779B1u) & (F->nreads - 1);
    while (F->read_memo[h].key && F->read_memo[h].key != loc + 1)
        h = (h + 1) & (F->nreads - 1);
    return &F->read_memo[h];
}

static read_memo *read_entry(fa *F, uint32_t loc)
{
    read_memo *m = read_slot(F, loc);
    if (!m->key) {
        F->nreads_used++;
        m->key = loc + 1;
    }
    return m;
}

/* Checked again only once the memory has grown: a fixpoint round that
 * adds nothing asks the same places again and again. */
static uint32_t last_growth(fa *F, read_memo *m, uint32_t loc)
{
    if (m->seen == F->wgen + 1)
        return m->grown;
    /* the lists read_lists() gives: their last growths */
    uint32_t anc[READ_LISTS], g = 0;
    uint32_t na = object_ancestors(F->A, loc, anc, READ_LISTS);
    const locslot *s = locidx_slot(&F->within, loc, 0);
    if (s)
        g = s->grown;
    for (uint32_t a = 1; a < na; a++) {
        s = locidx_slot(&F->exact, anc[a], 0);
        if (s && s->grown > g)
            g = s->grown;
    }
    m->seen = F->wgen + 1;
    m->grown = g;
    return g;
}

void fm_fa_read_memo_free(fa *F)
{
    for (uint32_t i = 0; i < F->nreads; i++)
        fm_vs_free(&F->read_memo[i].val);
    free(F->read_memo);
}

/* The cells a read of loc sees, merged, and what loc held before this
 * function (a symbol) where that can be anything. */
static void collect_cells(fa *F, uint32_t loc, vset *out)
{
    an *A = F->A;
    const uint32_t *list[READ_LISTS];
    uint32_t n[READ_LISTS];
    uint32_t nl = read_lists(F, loc, list, n);
    for (uint32_t l = 0; l < nl; l++)
        for (uint32_t i = 0; i < n[l]; i++)
            fm_vs_union(out, &F->cells[list[l][i]].val);
    const aloc *l = fm_loc_get(A, loc);
    const aloc *r = fm_loc_get(A, l->root);
    switch (r->kind) {
    case LR_LOCAL:
    case LR_CALLRET:
    case LR_ARGCOPY:
    case LR_HEAP:
    case LR_REL:
        return; /* no content before this function stores some */
    case LR_SLOT:
        if (loc == l->root) {
            fm_vs_add(out, mk_atom(AK_PARAM, 0, r->arg));
            return;
        }
        break;
    default:
        break;
    }
    fm_vs_add(out, mk_atom(AK_CONTENT, 0, loc));
}

static void read_cells(fa *F, uint32_t loc, vset *out)
{
    an *A = F->A;
    A->work += 1 + out->n;
    const char *h = loc_header(A, loc);
    if (h) {
        fm_vs_add(out, mk_atom(AK_LABEL, 0, fm_label_id(A, h)));
        return;
    }
    read_memo *m = read_entry(F, loc);
    if (!m->has_val || last_growth(F, m, loc) > m->wgen) {
        m->has_val = 1;
        m->wgen = F->wgen;
        fm_vs_clear(&m->val);
        collect_cells(F, loc, &m->val);
    }
    if (!out->n)
        fm_vs_copy(out, &m->val);
    else
        fm_vs_union(out, &m->val);
}

/* The copies made, and the memory generation each was made at. */
typedef struct copy_memo {
    uint32_t dst, src;        /* dst 0: empty */
    uint64_t site;
    uint32_t wgen;            /* the generation after it, + 1 (0: never) */
    uint32_t before;          /* the generation before it, + 1 */
    uint32_t recorded;        /* the same for its records (fm_fa_store_agg) */
} copy_memo;

/* The memo entry of a copy (wgen 0 if it was never made). */
static copy_memo *copy_slot(fa *F, uint32_t dst, uint32_t src, uint64_t site)
{
    if ((F->ncopies_used + 1) * 2 > F->ncopies) {
        uint32_t ns = F->ncopies ? F->ncopies * 2 : 64;
        copy_memo *m = fm_xcalloc(ns, sizeof *m);
        for (uint32_t i = 0; i < F->ncopies; i++) {
            if (!F->copies[i].dst)
                continue;
            uint32_t h = (uint32_t)((F->copies[i].dst * 0x9E3779B1u) ^ F->copies[i].src ^
                                    F->copies[i].site) & (ns - 1);
            while (m[h].dst)
                h = (h + 1) & (ns - 1);
            m[h] = F->copies[i];
        }
        free(F->copies);
        F->copies = m;
        F->ncopies = ns;
    }
    uint32_t h = (uint32_t)((dst * 0x9E3779B1u) ^ src ^ site) & (F->ncopies - 1);
    while (F->copies[h].dst &&
           !(F->copies[h].dst == dst && F->copies[h].src == src && F->copies[h].site == site))
        h = (h + 1) & (F->ncopies - 1);
    if (!F->copies[h].dst) {
        F->copies[h] = (copy_memo){dst, src, site, 0, 0, 0};
        F->ncopies_used++;
    }
    return &F->copies[h];
}

/* What a copy into memory that is not modelled counts against the budget:
 * the writes it would make (their values before blurring), each dropped by
 * write_gen. */
static void copy_work(fa *F, const uint32_t *list, uint32_t n, uint32_t src)
{
    for (uint32_t j = 0; j < n; j++)
        F->A->work += 1 + F->cells[list[j]].val.n;
    if (fm_fa_liftable_root(F->A, src))
        F->A->work += 2;
}

/* Whether every cell of the list grew before generation since. */
static int grown_before(const fa *F, const uint32_t *list, uint32_t n, uint32_t since)
{
    for (uint32_t j = 0; j < n; j++)
        if (F->cells[list[j]].grown >= since)
            return 0;
    return 1;
}

static int copy(fa *F, uint32_t dst, uint32_t src, uint64_t site);

int fm_fa_copy(fa *F, uint32_t dst, uint32_t src, uint64_t site)
{
    long w0 = F->A->work;
    int made = copy(F, dst, src, site);
    F->copy_charged += F->A->work - w0;
    return made;
}

/* Aggregate copy: everything stored inside src, re-rooted at dst; and the
 * unknown initial content of src when it is visible to callers.  Made
 * again, it writes only the cells that grew (or went through one more
 * copy) since it was last made: the others are there as they are. */
static int copy(fa *F, uint32_t dst, uint32_t src, uint64_t site)
{
    an *A = F->A;
    fm_fa_call_reads(F, src);
    /* nothing grew since this very copy was made: it would add nothing */
    copy_memo *m = copy_slot(F, dst, src, site);
    if (m->wgen == F->wgen + 1)
        return 0;
    uint32_t n;
    const uint32_t *in = fm_locidx_get(&F->within, src, &n);
    /* nor did anything it copies (its own writes count: a copy into
     * its source goes on) */
    if (m->wgen && grown_before(F, in, n, m->before))
        return 0;
    uint32_t *list = fm_fa_cells_within(F, src, &n); /* (its writes may move the index) */
    uint32_t since = m->wgen && A->reuse ? m->before : 0;
    m->before = F->wgen + 1;
    if (not_modelled(A, dst)) {
        copy_work(F, list, n, src);
        free(list);
        m->wgen = F->wgen + 1;
        return 1;
    }
    cells_reserve(F, n); /* each write adds at most one cell: none moves */
    for (uint32_t j = 0; j < n; j++) {
        uint32_t i = list[j];
        uint32_t d = fm_loc_rebase(A, F->cells[i].loc, src, dst);
        uint32_t gen = F->cells[i].gen + 1;
        uint64_t s = site * 1000003u ^ F->cells[i].site;
        if (gen <= FM_COPY_GENERATIONS && F->cells[i].grown < since &&
            F->cells[i].regen < since && cell_find(F, d, s)) {
            /* the last copy wrote it as it is into its own cell there:
             * nothing to add (the budget still counts the write) */
            A->work += 1 + F->cells[i].val.n;
            continue;
        }
        if (gen > FM_COPY_GENERATIONS) { /* one place per copy, blurred */
            vset tmp = {0};
            fm_vs_blur(&tmp, &F->cells[i].val);
            write_gen(F, d, site * 1000003u ^ 0xC0B1ULL, &tmp, NULL, FM_COPY_GENERATIONS);
            fm_vs_free(&tmp);
        } else {
            write_gen(F, d, s, &F->cells[i].val, &F->cells[i].vhash, gen); /* (no cell moves) */
        }
    }
    free(list);
    if (fm_fa_liftable_root(A, src)) {
        vset tmp = {0};
        fm_vs_add(&tmp, mk_atom(AK_CONTENT, 0, src));
        fm_fa_write(F, dst, site, &tmp);
        fm_vs_free(&tmp);
    }
    m->wgen = F->wgen + 1; /* (0 means never) */
    return 1;
}

/* An aggregate copy that callers must see: either they copy from the
 * (translated) source themselves, or, when the source is this function's
 * own memory, they get each copied member as a store. */
void fm_fa_store_agg(fa *F, uint64_t id, uint32_t dst, uint32_t src, uint64_t site,
                  uint32_t anchor, const guards *gd, evid ev)
{
    an *A = F->A;
    if (!fm_fa_copy(F, dst, src, site))
        return; /* as copied before: the records are there */
    if (!fm_fa_liftable_root(A, dst) || fm_loc_root_kind(A, dst) == LR_SLOT ||
        fm_fa_framework_mem(A, dst)) /* (store() would keep no record) */
        return;
    if (fm_fa_liftable_root(A, src)) {
        vset v = {0};
        fm_vs_add(&v, mk_atom(AK_PTR, 0, src));
        fm_fa_store(F, id, dst, &v, 1, anchor, gd, ev);
        fm_vs_free(&v);
        return;
    }
    /* records only (the cells stay put), for the cells that grew since
     * the last time: the others' records are there as they are */
    copy_memo *m = copy_slot(F, dst, src, site);
    uint32_t since = A->reuse ? m->recorded : 0;
    m->recorded = F->wgen + 1;
    uint32_t n;
    const uint32_t *list = fm_locidx_get(&F->within, src, &n); /* (records move no cell) */
    for (uint32_t j = 0; j < n; j++) {
        uint32_t i = list[j];
        if (F->cells[i].grown < since)
            continue;
        uint32_t d = fm_loc_rebase(A, F->cells[i].loc, src, dst);
        fm_fa_store(F, id ^ (F->cells[i].site * 0x9E3779B97F4A7C15ULL), d, &F->cells[i].val, 0,
                    anchor, gd, ev);
    }
}

void fm_fa_set_val(fa *F, uint32_t k, const vset *v)
{
    if (fm_vs_union(&F->val[k], v)) {
        F->changed = 1;
        F->val_gen[k] = ++F->vgen;
    }
}
