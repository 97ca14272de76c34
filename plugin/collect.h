/* Internal to the collector (collect.cc: per-function state and phase A,
 * the events; flow.cc: phase B, SSA value flow; events.cc: phase C, the
 * events serialised): origin sets and the state of the function being
 * collected. */
#ifndef FM_PLUGIN_COLLECT_H
#define FM_PLUGIN_COLLECT_H

#include "gcc-common.h"

#include "flowmage/section.h"
#include "fm.h"

/* set when an origin set overflows: the function's facts are incomplete */
extern bool fm_fn_truncated;

/* ---- origin sets: sorted arrays of packed (index << 9 | flags << 4 | kind) */

struct oset {
    uint32_t *v;
    unsigned n, cap;
};
#define OSET_MAX 512u


static inline uint32_t pack(unsigned kind, unsigned flags, unsigned index)
{
    return (index << 9) | ((flags & 0x1f) << 4) | (kind & 0xf);
}

static inline bool oset_add(oset *s, uint32_t x)
{
    unsigned lo = 0, hi = s->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (s->v[mid] == x)
            return false;
        if (s->v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (s->n >= OSET_MAX) {
        fm_fn_truncated = true;
        return false;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->v = XRESIZEVEC(uint32_t, s->v, s->cap);
    }
    memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof *s->v);
    s->v[lo] = x;
    s->n++;
    return true;
}

enum xform { X_PASS, X_MASK, X_MIX, X_SYMJOIN, X_SELECT, X_ZEROTEST };

/* Only the first transforming operation after an origin decides whether a
 * value is a prefix (masked) or a hash (mixed); see docs/facts.md. */
static inline uint32_t apply(uint32_t e, xform x)
{
    unsigned f = (e >> 4) & 0x1f;
    switch (x) {
    case X_PASS:
        break;
    case X_MASK:
        /* a mask on a joined or hashed value picks a bucket, not a prefix */
        if (!(f & (FM_OF_MASKED | FM_OF_MIXED | FM_OF_SYMJOIN)))
            f |= FM_OF_MASKED;
        break;
    case X_MIX:
        f |= FM_OF_MIXED;
        break;
    case X_SYMJOIN:
        if (!(f & FM_OF_MIXED))
            f |= FM_OF_SYMJOIN;
        break;
    case X_SELECT:
        f |= FM_OF_SELECT;
        break;
    case X_ZEROTEST:
        /* "is it zero" of a plain value; of anything else, a mix */
        f |= f ? FM_OF_MIXED : FM_OF_ZEROTEST;
        break;
    }
    return (e & ~0x1f0u) | (f << 4);
}

static inline bool oset_union(oset *dst, const oset *src, xform x)
{
    bool changed = false;
    /* src may alias dst (a phi feeding itself): iterate over a snapshot */
    unsigned n = src->n;
    uint32_t stack_copy[64];
    uint32_t *copy = n <= 64 ? stack_copy : XNEWVEC(uint32_t, n);
    memcpy(copy, src->v, n * sizeof *copy);
    for (unsigned i = 0; i < n; i++)
        changed |= oset_add(dst, apply(copy[i], x));
    if (copy != stack_copy)
        free(copy);
    return changed;
}

static inline void oset_free(oset *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* ---- per-function state ---- */

/* An operand is resolved to an origin set after the SSA fixpoint: either a
 * tree, or one origin known when the event was made. */
struct opref {
    tree t;
    uint32_t direct; /* packed origin, used when t is NULL (0 = none) */
};

struct pathel {
    unsigned rec, field; /* string indices; 0/0 is an array element */
};

struct event {
    unsigned kind, line, flags;
    basic_block bb;
    /* access (LOAD, STORE, ADDR) */
    opref base;
    pathel *path;
    unsigned npath;
    tree *index;
    unsigned nindex;
    /* STORE value, RET value, PTRADD base/offset, COND lhs/rhs */
    opref a, b;
    /* CALL */
    unsigned call_kind, callee, vclass, vslot;
    opref target; /* object (virtual) or pointer (indirect) */
    opref *args;
    unsigned nargs;
    unsigned cmp, cond_flags;
    gasm *asm_stmt; /* STORE by an asm: its value is the asm's (asm_value) */
};

struct local_rec {
    tree decl;
    unsigned name, type1, flags;
};

struct fn_state {
    function *fun;
    event *ev;
    unsigned nev, capev;
    oset *ssa;            /* by SSA version */
    bool *ev_def;         /* SSA version defined by an event (load, call, ...) */
    unsigned nssa;
    local_rec *locals;
    unsigned nlocals, caplocals;
    tree *memo_tree;      /* operand tree -> event, for loads/addresses */
    unsigned *memo_ev;
    unsigned nmemo, capmemo;
    gimple *cur;          /* statement being translated */
    basic_block cur_bb;
};
extern fn_state fm_fn;


/* collect.cc */
void fm_operand_origins(tree t, oset *out);
void fm_opref_origins(const opref *r, oset *out);
void fm_asm_value(gasm *g, oset *out);
bool fm_transparent_builtin(gimple *g);
/* flow.cc */
void fm_ssa_fixpoint(void);
/* events.cc */
void fm_write_event(fm_wbuf *b, const event *e, const int *cond_of_bb);

#endif
