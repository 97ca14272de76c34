/* Internal: the abstract domain of the summarizer (see docs/summaries.md,
 * "How the analysis works").
 *
 * Memory is named by locations: a root (a parameter's pointee, a local, a
 * global, a table element, a flow control block, ...) followed by steps
 * (a struct member, an array element, a per-thread slot, or following the
 * pointer stored there).  Values are sets of atoms: header labels (src_ip,
 * ...) with how they were transformed, pointers to locations, the unknown
 * initial content of a location, parameter values, string literals, table
 * lookup results, or "unknown". */
#ifndef FM_SUMMARIZE_ABSINT_H
#define FM_SUMMARIZE_ABSINT_H

#include <stdint.h>
#include <string.h>

#include "flowmage/facts.h"
#include "flowmage/profile.h"
#include "flowmage/summary.h"

/* ---- locations ---- */
enum {
    LR_PARAM = 1, /* what parameter i points to */
    LR_SLOT,      /* parameter i's own storage (by-value aggregates) */
    LR_LOCAL,     /* local i of the function being analysed */
    LR_GLOBAL,    /* program global i */
    LR_RET,       /* the function's aggregate return object */
    LR_CALLRET,   /* aggregate result of call event i (caller side) */
    LR_TABLE,     /* elements of the table at location arg */
    LR_FCB,       /* per-flow state handed in by a flow manager */
    LR_HEAP,      /* allocation site arg */
    LR_UNKNOWN,   /* memory reached through a value of unknown origin */
    LR_REL,       /* relative position inside a key (no real root) */
    LR_ARGCOPY,   /* caller side: the scalar argument a callee took the
                     address of (arg: call event << 6 | parameter) */
    LS_FIELD = 16, LS_INDEX, LS_THREAD, LS_DEREF,
    LS_STAR       /* everything reachable below the parent: past the limits */
};
/* A path longer than FM_LOC_MAX_DEPTH steps, or following more than
 * FM_LOC_MAX_DEREF pointers, ends in one LS_STAR node below the last place
 * it could name: the memory stays attributed to its root (a write there is
 * still the NF's state), and values read back from it never count as key
 * fields (docs/summaries.md, "Limits"). */
#define FM_LOC_MAX_DEPTH 16
#define FM_LOC_MAX_DEREF 5

typedef struct aloc {
    uint32_t parent; /* 0 for roots */
    uint8_t kind;
    uint8_t depth;
    uint8_t nderef;
    uint8_t starred; /* is or lies below a LS_STAR node */
    uint32_t arg;    /* root argument, or field id for LS_FIELD */
    uint32_t root;   /* id of the root location */
} aloc;

typedef struct fieldref {
    const char *rec, *field; /* pool strings */
} fieldref;

/* ---- atoms: kind 4 bits | flags 8 bits | payload ---- */
typedef uint64_t atom;
enum { AK_LABEL = 1, AK_PTR, AK_CONTENT, AK_PARAM, AK_STR, AK_TRES, AK_UNKNOWN,
       AK_CONST, /* payload 0: zero/null, 1: another integer */
       AK_FUNC,  /* the address of a function: payload the string id of its
                    mangled name */
       AK_FRESH  /* an index an allocator handed out (the profile's
                    index_allocators): no other flow's; payload the call */ };
enum {
    AF_MASKED = 1, AF_MIXED = 2, AF_SYMJOIN = 4, AF_SELECT = 8, /* = FM_OF_* */
    AF_OPAQUE = 16, /* went through a function flowmage cannot see */
    AF_BLURRED = 32, /* read from memory past the limits (LS_STAR): may have
                        been stored anywhere below, so never a key field */
    AF_ZEROTEST = 64 /* the value is "origin == 0" (= FM_OF_ZEROTEST) */
};
/* Atom flags of a plugin origin's FM_OF_* flags. */
static inline unsigned af_of(unsigned of)
{
    return (of & 0xf) | ((of & 16) ? AF_ZEROTEST : 0);
}
static inline atom mk_atom(unsigned kind, unsigned flags, uint64_t payload)
{
    return (payload << 12) | ((uint64_t)(flags & 0xff) << 4) | (kind & 0xf);
}
static inline unsigned atom_kind(atom a) { return (unsigned)(a & 0xf); }
static inline unsigned atom_flags(atom a) { return (unsigned)((a >> 4) & 0xff); }
static inline uint64_t atom_payload(atom a) { return a >> 12; }
static inline atom atom_with_flags(atom a, unsigned f)
{
    return (a & ~(uint64_t)0xff0) | ((uint64_t)(f & 0xff) << 4);
}

/* ---- free lists of buffers whose capacity (in elements) is a power of
 * two from 4: nclasses of them (4, 8, ...), cut from 64 KB slabs; larger
 * ones are malloc's ---- */
typedef struct fm_bufpool {
    void *free[8];
    int nclasses;             /* at most 8 */
    size_t elsize;            /* at least 2 bytes: a buffer of 4 holds a pointer */
    char *slab;               /* the newest slab (each starts with the previous's address) */
    size_t slab_used;
} fm_bufpool;
/* Buffers made and dropped by the million, most of a few elements, are
 * kept on free lists instead of going back to malloc.  Under
 * AddressSanitizer they do go back, so that it still sees every use of a
 * dropped buffer. */
static inline int fm_bufpool_class(const fm_bufpool *p, uint32_t cap)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)p;
    (void)cap;
    return -1;
#else
    int k = __builtin_ctz(cap) - 2;
    return k < p->nclasses ? k : -1;
#endif
}
void *fm_bufpool_new(fm_bufpool *p, uint32_t cap, int k);
static inline void *fm_bufpool_get(fm_bufpool *p, uint32_t cap)
{
    int k = fm_bufpool_class(p, cap);
    if (k >= 0 && p->free[k]) {
        void *b = p->free[k];
        memcpy(&p->free[k], b, sizeof(void *)); /* (the next one, kept in it) */
        return b;
    }
    return fm_bufpool_new(p, cap, k);
}
void fm_bufpool_put(fm_bufpool *p, void *b, uint32_t cap);
/* The n elements of b (capacity cap, or NULL) in a new buffer of capacity
 * ncap; b goes back to the pool. */
void *fm_bufpool_move(fm_bufpool *p, void *b, uint32_t n, uint32_t cap, uint32_t ncap);

/* ---- value sets: sorted, unique ---- */
typedef struct vset {
    atom *v;
    uint32_t n, cap;
    uint32_t folded;  /* grew past VSET_MAX once: holds its labels and
                         "unknown", which stands for every other atom */
} vset;
#define VSET_MAX 64

int fm_vs_add(vset *s, atom a);            /* 1 if added */
int fm_vs_union(vset *d, const vset *s);   /* 1 if d grew */
int fm_vs_has(const vset *s, atom a);
/* d |= s with every scalar marked AF_BLURRED, plus "unknown": values whose
 * place or alternative is no longer known (never key fields). */
void fm_vs_blur(vset *d, const vset *s);
int fm_vs_equal(const vset *a, const vset *b);
/* Equal sets hash equal. */
uint64_t fm_vs_hash(const vset *s);
void fm_vs_copy(vset *d, const vset *s);
void fm_vs_free(vset *s);
void fm_vs_reserve(vset *s, uint32_t n);   /* room for n atoms */
void fm_vs_clear(vset *s);

/* Flag composition: `outer` transformations applied after `inner` ones;
 * only the first transforming operation decides masked vs mixed. */
static inline unsigned fm_flags_compose(unsigned inner, unsigned outer)
{
    unsigned f = inner;
    /* replay outer's transformations in the order they can have happened:
     * a join is only recorded before mixing, masking only before mixing */
    if ((outer & AF_SYMJOIN) && !(f & AF_MIXED))
        f |= AF_SYMJOIN;
    if ((outer & AF_MASKED) && !(f & (AF_MASKED | AF_MIXED | AF_SYMJOIN)))
        f |= AF_MASKED;
    /* "is it zero" of something transformed already: a mix */
    if (outer & AF_ZEROTEST)
        f |= f ? AF_MIXED : AF_ZEROTEST;
    f |= outer & (AF_MIXED | AF_SELECT | AF_OPAQUE | AF_BLURRED);
    return f;
}
/* Labels, parameters, contents and lookups: the atoms that carry flags. */
static inline int fm_atom_scalar(atom a)
{
    unsigned k = atom_kind(a);
    return k == AK_LABEL || k == AK_PARAM || k == AK_CONTENT || k == AK_TRES;
}
/* a with outer's transformations composed into its flags (scalars only). */
static inline atom fm_atom_compose(atom a, unsigned outer)
{
    if (!outer || !fm_atom_scalar(a))
        return a;
    return atom_with_flags(a, fm_flags_compose(atom_flags(a), outer));
}
/* The atoms of s (but its pointers if no_ptr), composed with outer, added
 * to d as fm_vs_add would add them one by one. */
void fm_vs_union_composed(vset *d, const vset *s, unsigned outer, int no_ptr);

/* ---- the analysis run ---- */
typedef struct an an;

uint32_t fm_loc_root(an *A, unsigned kind, uint32_t arg);
uint32_t fm_loc_child(an *A, uint32_t parent, unsigned kind, uint32_t arg);
const aloc *fm_loc_get(const an *A, uint32_t id);
uint32_t fm_field_id(an *A, const char *rec, const char *field);
const fieldref *fm_field_get(const an *A, uint32_t id);
/* 1 if anc is loc or an ancestor of it within the same object (no DEREF
 * step between them) */
int fm_loc_within(const an *A, uint32_t anc, uint32_t loc);
/* 1 if loc is or lies below a LS_STAR node (memory past the limits) */
int fm_loc_starred(const an *A, uint32_t loc);
/* 1 if anc is loc or any ancestor, through pointers too */
int fm_loc_under(const an *A, uint32_t anc, uint32_t loc);
/* loc re-rooted: the steps of loc below `from` appended to `to` */
uint32_t fm_loc_rebase(an *A, uint32_t loc, uint32_t from, uint32_t to);
/* Human-readable: "Policer::_state", "fcb", "global counter", ... */
void fm_loc_name(const an *A, const fm_program *P, uint32_t loc, fm_buf *out);
unsigned fm_loc_root_kind(const an *A, uint32_t loc);

uint32_t fm_label_id(an *A, const char *name);
const char *fm_label_name(const an *A, uint32_t id);

#endif
