/* Internal: function summaries and the analysis run (cells.c, records.c,
 * eval.c, build.c, cache.c, calls.c, translate.c, primitives.c, nf.c).  A
 * summary says, in terms of the function's own parameters, what it
 * returns, what caller-visible memory it writes, which tables it uses with
 * which keys, and which arrays it indexes with which values. */
#ifndef FM_SUMMARIZE_ENGINE_H
#define FM_SUMMARIZE_ENGINE_H

#include "absint.h"

typedef struct evid {
    const fm_func *fn;
    uint32_t line;
} evid;

/* A condition an effect depends on, with values in the recording
 * function's terms. */
typedef struct guard {
    vset lhs, rhs;
    uint8_t cmp, zflags, pol;
} guard;
#define MAX_GUARDS 4

/* Every limit of the analysis, with its default (docs/summaries.md,
 * "Limits").  Hitting one never makes state disappear: the result gets
 * coarser, and where facts may be missing the NF gets an uncertain reason
 * and a state of unknown key (it runs shared).  FLOWMAGE_LIMITS=name=value,...
 * lowers them, for tests. */
typedef struct fm_limits {
    long budget;      /* work units (memory reads) one NF may spend */
    int iterations;   /* fixpoint rounds over one function's events */
    int recursion;    /* rounds of a recursive cycle's head */
    int call_depth;   /* summaries being computed one inside another */
    int cells;        /* memory cells of one function being analysed */
    int records;      /* records of one summary being computed */
    int stores;       /* stores a summary keeps before it is coarsened */
    int targets;      /* places one pointer may point to (<= FM_MAX_TARGETS) */
    int loc_depth;    /* steps of a location (<= FM_LOC_MAX_DEPTH) */
    int loc_deref;    /* pointers a location follows (<= FM_LOC_MAX_DEREF) */
} fm_limits;
#define FM_LIMITS_DEFAULT {4000000L, 8, 6, 200, 20000, 8000, 96, 16, \
                           FM_LOC_MAX_DEPTH, FM_LOC_MAX_DEREF}
#define FM_MAX_TARGETS 16
/* Parses "name=value,..." over *lim; -1 (message in err) on a bad item. */
int fm_limits_parse(fm_limits *lim, const char *spec, char *err, size_t errlen);

/* At most MAX_GUARDS, allocated as they come (most records have none). */
typedef struct guards {
    guard *g;
    uint32_t n;
    uint32_t hash;            /* a final summary's fm_guards_key(); 0: not kept */
} guards;

/* A key position: where inside the key object, which store wrote it. */
typedef struct keypos {
    uint32_t rel;   /* LR_REL location */
    uint64_t site;  /* distinct stores are alternatives */
    vset val;
} keypos;

typedef struct key {
    keypos *pos;
    uint32_t npos;
    vset unresolved; /* pointers to key objects not yet visible */
} key;

#define NO_ANCHOR 0xffffffffu

typedef struct rec_access {   /* a table operation */
    uint64_t id;              /* dedupe key */
    uint32_t anchor;          /* event whose own guards still apply */
    uint32_t table;           /* location of the table object */
    const fm_table_api *api;
    const char *method;
    int op;                   /* fm_table_op */
    key k;
    guards gd;
    evid ev;
} rec_access;

typedef struct rec_store {    /* a write to caller-visible memory */
    uint64_t id;
    uint32_t anchor;
    uint32_t loc;
    vset val;
    int agg;                  /* aggregate copy (val holds sources) */
    int invisible;            /* by a callee flowmage cannot see */
    int coarse;               /* moved up by coarsening: covers all below */
    guards gd;
    evid ev;
} rec_store;

typedef struct rec_index {    /* an array element chosen by a value */
    uint64_t id;
    uint32_t anchor;
    uint32_t loc;             /* location ending in the LS_INDEX step */
    vset idx;
    int is_write;
    guards gd;
    evid ev;
} rec_index;

typedef struct rec_touch {    /* a load through a pointer (pointer chasing) */
    uint64_t id;
    uint32_t loc;
    evid ev;
} rec_touch;

#define FM_LABEL_EVS 32

typedef struct summary {
    vset ret;
    rec_store *stores;
    uint32_t nstores, capstores; /* (caps: what records.c allocated) */
    rec_access *acc;
    uint32_t nacc, capacc;
    rec_index *idx;
    uint32_t nidx, capidx;
    rec_touch *touch;
    uint32_t ntouch, captouch;
    rec_touch *escape;        /* memory whose address reached code flowmage
                                 cannot see (it may be written later through
                                 a pointer of unknown origin) */
    uint32_t nescape;
    evid *label_ev;           /* where each label was first read: NULL until
                                 one is, then FM_LABEL_EVS entries */
    const fm_func **reach;    /* functions on the path (not system headers) */
    uint32_t nreach;
    fm_strset notes;          /* reasons for uncertainty: facts incomplete */
    fm_strset coarse;         /* sound approximations made (limits hit) */
    int ctx_dependent;        /* a virtual call was resolved through the NF */
} summary;

void fm_fsum_free(summary *s);

typedef enum sentry_state {
    SE_NONE,                  /* not computed (or forgotten) */
    SE_BUSY,                  /* being computed: a recursive call uses it as is */
    SE_DONE,                  /* final */
    SE_TENTATIVE              /* a cycle member, or cut short by the budget */
} sentry_state;

/* summary cache entry */
typedef struct sentry {
    const fm_func *f;
    int32_t ctx;              /* context it was computed in (-2: no NF) */
    sentry_state state;
    int depth, low, used_partial;
    int cut;                  /* tentative because the budget ran out: never reused */
    uint32_t round;           /* id of its current (or last) fixpoint round */
    uint32_t version;         /* bumped whenever its summary is replaced */
    uint32_t head, head_round; /* tentative: the cycle head, and its round then */
    summary s;
} sentry;

/* analysis stack frame */
typedef struct frame {
    uint32_t entry;           /* cache index */
} frame;

/* A call reaching more bodies than this (overrides of a virtual method,
 * functions a pointer may hold) is one flowmage cannot follow. */
#define FM_MAX_CALL_TARGETS 4

typedef struct cha_entry {
    uint64_t key;             /* class << 32 | vtable slot */
    uint32_t n;               /* overrides, FM_MAX_CALL_TARGETS + 1 for more */
    const fm_func *f[FM_MAX_CALL_TARGETS];
} cha_entry;

typedef struct fptr_store {   /* a function's address stored in a member */
    const char *rec, *field;  /* program strings (compared by address) */
    const fm_func *f;
} fptr_store;

/* A direct-mapped memo of fm_loc_rebase (loc 0: empty). */
typedef struct fm_rebase_memo {
    uint32_t loc, from, to, out;
} fm_rebase_memo;
#define FM_REBASE_MEMO 8192

struct an {
    const fm_program *P;
    const fm_profile *prof;
    aloc *locs;
    uint32_t nlocs, caplocs;
    uint32_t *loc_slots;      /* hash: id */
    uint32_t nloc_slots;
    fm_rebase_memo *rebase_memo; /* FM_REBASE_MEMO entries */
    fieldref *fields;
    int32_t *field_label;     /* per field: header label id + 1, 0 none, -1 not yet */
    uint32_t nfields, capfields;
    uint32_t *field_slots;
    uint32_t nfield_slots;
    char **labels;
    uint32_t nlabels;
    /* summaries */
    sentry *cache;
    uint32_t ncache, capcache;
    uint32_t *cache_slots;
    uint32_t ncache_slots, ncache_keys;
    int depth;                /* current analysis stack depth */
    frame *stack;
    uint32_t capstack;
    int32_t ctx;              /* NF class being analysed, -2 for none */
    uint32_t rounds;          /* fixpoint round ids handed out */
    uint32_t **methods;       /* function indices per class (type index) */
    uint32_t *nmethods;
    int8_t *vclass_ctx;       /* per class: some NF context derives from it (-1: not known yet) */
    const fm_func ***slot_fn; /* per class: its vtable's functions, looked up once */
    struct site_pool *site_pool; /* call sites' memo tables for reuse (translate.c) */
    uint8_t *fn_traits;       /* per function: FT_* bits, the profile's verdicts
                                 on it (names looked up once) */
    uint64_t *parser_params;  /* per function: parameters it hands to a parser as is
                                 (bit 63: computed), keywords.c */
    uint8_t *framework_global;   /* per program global: the framework's own memory */
    int32_t *flow_state_globals; /* program global indices */
    uint32_t nflow_state_globals;
    cha_entry *cha;           /* virtual calls resolved by class hierarchy */
    uint32_t ncha;
    fptr_store *fptr;         /* sorted by (rec, field) */
    uint32_t nfptr;
    long analysed;            /* statistics */
    const fm_strset *only;    /* summarise only these elements (NULL: all) */
    fm_limits lim;
    long work;                /* work units spent on the current NF */
    double trace_slow;        /* FLOWMAGE_TRACE_SLOW seconds, or -1: off */
    int over_budget;          /* the current NF's analysis was cut short */
    int32_t last_entry;       /* cache entry fm_an_summary last answered with (-1: none) */
    int reuse;                /* calls, records and copies found unchanged are not
                                 made again (FLOWMAGE_REUSE=0: they are, to
                                 check that this changes nothing) */
    long calls_reused, records_reused; /* statistics, for the current NF */
};

void fm_an_init(an *A, const fm_program *P, const fm_profile *prof);
/* The profile's verdicts on a function, by its names (computed once). */
#define FT_KNOWN 1
#define FT_NO_STATE 2  /* I/O or logging: keeps no element state */
#define FT_PARSER 4    /* a configuration argument parser */
#define FT_PRIM_SHIFT 3 /* above: the profile primitive for its calls (primitives.c) */
unsigned fm_fn_traits(const an *A, const fm_func *g);
void fm_an_free(an *A);

/* Summary of f in the current context (computed on demand, cached); NULL
 * when calls are nested deeper than lim.call_depth.  A->last_entry tells
 * which cache entry answered. */
const summary *fm_an_summary(an *A, const fm_func *f);
/* Frees the summaries only NF class ctx can use (it is done); its entries
 * all come at or after cache index `from`. */
void fm_an_forget_ctx(an *A, int32_t ctx, uint32_t from);

/* Class helpers (classes.c) */
int fm_type_derives(const fm_program *P, int32_t t, int32_t base);
int fm_type_derives_named(const fm_program *P, int32_t t, const fm_strset *names);
/* The method for vtable slot of class t (most-derived implementation). */
const fm_func *fm_class_slot_method(const an *A, int32_t t, uint32_t slot);
/* The most-derived method named `name` of class t (walking bases). */
const fm_func *fm_class_method_named(const an *A, int32_t t, const char *name);

/* ---- one function being analysed (cells.c, records.c, eval.c, build.c, calls.c) ---- */
typedef struct cell {
    uint32_t loc;
    uint32_t root;            /* of loc: cells of other roots never overlap */
    uint64_t site;
    uint32_t gen;             /* copies it went through (FM_COPY_GENERATIONS) */
    uint32_t grown;           /* fa wgen of its last growth */
    uint32_t regen;           /* fa wgen + 1 when gen last rose */
    uint32_t vhash;           /* of val (val_hash), 0 until it is compared */
    vset val;
} cell;
/* A value copied (memcpy, struct copies) more often than this keeps one
 * place per copy instead of one per original store, blurred: chains of
 * copies in loops (a buffer grown again and again) then converge. */
#define FM_COPY_GENERATIONS 4

/* loc -> cell indices (a slot's fields side by side: a probe reads one
 * line) */
typedef struct locslot {
    uint32_t key;             /* loc + 1, 0 = empty */
    uint32_t n, cap;
    uint32_t grown;           /* the last growth of a cell listed (cell index) */
    uint32_t *cells;
} locslot;
typedef struct locidx {
    locslot *s;
    uint32_t nslots, used;
} locidx;

typedef struct fa {
    an *A;
    const fm_func *f;
    summary *out;
    vset *val;                /* value of each event */
    cell *cells;
    uint32_t ncells, capcells;
    uint32_t *cell_slots;     /* hash (loc, site) -> cell index + 1 */
    uint32_t ncell_slots;
    locidx exact;             /* cells stored at exactly that location */
    locidx within;            /* cells at or below it in the same object */
    locidx store_ix, acc_ix, idx_ix, touch_ix; /* records by location */
    int changed;
    uint32_t wgen;            /* bumped whenever a cell's value grows */
    uint32_t *val_gen;        /* per event: vgen when its value last grew */
    uint32_t vgen;
    struct call_memo **calls; /* per call event: what it last read (calls.c) */
    struct call_deps *deps;   /* the call being applied: what it reads */
    struct call_deps *deps_buf;
    long copy_charged;        /* work counted by aggregate copies (fm_fa_copy):
                                 a call or record found unchanged counts what
                                 it stands for but these, which it would not
                                 make again */
    const fm_func **reached;  /* out->reach as a hash set (512 slots) */
    uint32_t **tres_map;      /* per call event: callee access -> ours */
    uint32_t *tres_n;
    int overflow;             /* a pointer had more targets than lim.targets */
    struct copy_memo *copies; /* (dst, src, site) -> memory generation it was
                                 copied at: nothing to copy again until the
                                 memory grows */
    uint32_t ncopies;         /* slots (power of 2), used = ncopies_used */
    uint32_t ncopies_used;
    int starred;              /* memory past the location limits was used */
    struct fm_readset *reads; /* where fm_fa_read notes the places it reads */
    struct read_memo *read_memo; /* loc -> what its cells held (cells.c) */
    uint32_t nreads, nreads_used;
} fa;

/* The places some translation read (fm_fa_read), as bits: bit i stands
 * for the i-th place the call being applied reads (calls.c numbers them,
 * the same in every application of that call); a place past the bits
 * makes the set "over" (any change counts). */
#define FM_READ_BITS 256
typedef struct fm_readset {
    uint64_t w[FM_READ_BITS / 64];
    int over;
} fm_readset;
void fm_readset_set(fm_readset *r, uint32_t bit);
void fm_readset_merge(fm_readset *into, const fm_readset *r);
/* Whether a place of r grew after generation since (calls.c: during an
 * application of a call). */
int fm_readset_changed(fa *F, const fm_readset *r, uint32_t since);

/* cells.c, records.c */
void fm_fa_operand(fa *F, const fm_opnd *o, vset *out);
void fm_fa_atom_locs(fa *F, atom a, uint32_t *locs, uint32_t *n, uint32_t max);
/* Add place l to locs unless there: past max (and lim.targets), each
 * root's places become its one place past the limits. */
void fm_fa_add_target(fa *F, uint32_t *locs, uint32_t *n, uint32_t max, uint32_t l);
void fm_fa_read(fa *F, uint32_t loc, vset *out);
/* Whether what fm_fa_read(loc) sees grew after memory generation `since`. */
int fm_fa_read_changed(fa *F, uint32_t loc, uint32_t since);
void fm_fa_write(fa *F, uint32_t loc, uint64_t site, const vset *v);
/* Aggregate copy of src's cells to dst; 0 if it would add nothing to what
 * the same copy added before (nothing it copies grew since). */
int fm_fa_copy(fa *F, uint32_t dst, uint32_t src, uint64_t site);
void fm_fa_read_memo_free(fa *F);
/* The cells at or below loc (same object), as a copy the caller frees. */
uint32_t *fm_fa_cells_within(fa *F, uint32_t loc, uint32_t *n);
void fm_fa_set_val(fa *F, uint32_t k, const vset *v);
void fm_fa_store_agg(fa *F, uint64_t id, uint32_t dst, uint32_t src, uint64_t site,
                  uint32_t anchor, const guards *gd, evid ev);
int fm_fa_liftable_root(const an *A, uint32_t loc);
/* The framework's own memory (a profile's framework_state globals): no
 * element's state, so no cell and no record is kept for a write there. */
int fm_fa_framework_mem(const an *A, uint32_t loc);
rec_store *fm_fa_store(fa *F, uint64_t id, uint32_t loc, const vset *v, int agg,
                    uint32_t anchor, const guards *gd, evid ev);
/* A write of v at loc, recorded as a store when callers can see loc (NULL
 * when they cannot). */
rec_store *fm_fa_write_store(fa *F, uint64_t id, uint32_t loc, uint64_t site, const vset *v,
                             uint32_t anchor, const guards *gd, evid ev);
rec_store *fm_fa_store_invisible(fa *F, uint64_t id, uint32_t loc, const vset *v,
                                 uint32_t anchor, evid ev);
rec_access *fm_fa_access(fa *F, uint64_t id, uint32_t table, const fm_table_api *api,
                      const char *method, int op, const vset *keyatoms,
                      uint32_t anchor, const guards *gd, evid ev);
void fm_fa_index(fa *F, uint64_t id, uint32_t loc, const vset *idx, int is_write,
              uint32_t anchor, const guards *gd, evid ev);
void fm_fa_touch(fa *F, uint64_t id, uint32_t loc, evid ev);
void fm_fa_escape(fa *F, uint32_t loc, evid ev);
/* 0 if the content of loc is known not to be a pointer (a scalar member) */
int fm_loc_may_hold_pointer(an *A, uint32_t loc);
void fm_fa_label_ev(fa *F, uint32_t label, evid ev);
void fm_fa_reach(fa *F, const fm_func *g);
void fm_guards_add(guards *gd, const guard *g);
int fm_guard_false_by(const guard *g, int (*known)(atom a, const void *ctx), const void *ctx);
int fm_guards_equal(const guards *a, const guards *b);
void fm_guards_free(guards *gd);
/* s's guards added to d's (up to MAX_GUARDS), or d made a copy of s. */
void fm_guards_append(guards *d, const guards *s);
void fm_guards_copy(guards *d, const guards *s);
/* Equal guards have equal keys: a hash, | 1, and | 2 if a side holds a
 * lookup result (the kept one if g has it). */
uint32_t fm_guards_key(const guards *g);

void fm_locidx_add(locidx *x, uint32_t loc, uint32_t cell);
const uint32_t *fm_locidx_get(locidx *x, uint32_t loc, uint32_t *count);
void fm_locidx_free(locidx *x);

/* records.c */
void fm_merge_guards(guards *into, const guards *gd, int first);

/* eval.c, build.c */
void fm_fa_analyse(an *A, const fm_func *f, summary *out);
void fm_fa_build_summary(fa *F);
void fm_fa_free(fa *F);

/* calls.c */
/* Applies call event k, unless nothing it read (argument values, memory,
 * summaries) changed since it was last applied: then it would add nothing. */
void fm_fa_call(fa *F, uint32_t k);
/* Notes that the call being applied reads loc; its bit in readsets
 * (FM_READ_BITS or more: none, or outside a call). */
uint32_t fm_fa_call_reads(fa *F, uint32_t loc);
/* Notes that it applied the summary of cache entry i (A->last_entry). */
void fm_fa_call_uses(fa *F, int32_t i);
void fm_fa_calls_free(fa *F);
/* primitives.c: g is one of the profile's argument parsers (Args::read*) */
int fm_parser_call(an *A, const fm_func *g);

#endif
