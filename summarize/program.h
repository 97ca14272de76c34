/* Internal: the program model's storage, shared by the reader (reader.c),
 * the model (program.c) and the dump (dump.c). */
#ifndef FM_SUMMARIZE_PROGRAM_H
#define FM_SUMMARIZE_PROGRAM_H

#include "flowmage/facts.h"

/* Bump allocator: facts live as long as the program. */
typedef struct fm_arena {
    char *chunk;
    size_t used, size;
    char **chunks;
    size_t nchunks;
} fm_arena;
void *fm_arena_alloc(fm_arena *a, size_t n);
void fm_arena_free(fm_arena *a);

/* String -> id hash (open addressing). */
typedef struct fm_strpool {
    const char **str;
    uint32_t n, cap;
    uint64_t *slots; /* full hash << 32 | (id + 1): the hash is compared
                        before the bytes, in the slot itself */
    uint32_t nslots;
} fm_strpool;

/* name -> index hash. */
typedef struct fm_index {
    const char **key;
    uint32_t *val;
    uint32_t n, nslots;
} fm_index;
int fm_index_get(const fm_index *ix, const char *key, uint32_t *val);
void fm_index_put(fm_index *ix, const char *key, uint32_t val);
void fm_index_free(fm_index *ix);

/* fm_program_callee's answers: per function (by index), one per event,
 * made when its calls are first resolved; they hold while gen is the
 * program's. */
typedef struct fm_callee_memo {
    const fm_func ***of;      /* NULL: none asked yet */
    size_t n;
    uint32_t gen;
    /* and by name: a pool string (so its address is the name) that no
     * unit defines non-public, found as a definition */
    const char **name;
    const fm_func **def;
    uint32_t nnames, nslots;
} fm_callee_memo;

/* A function's events as the unit stored them, decoded when first asked
 * for (fm_program_decode): a FastClick build defines 22,000 functions and
 * an analysis reads a fifth of them; decoded, the rest would be 30 MB. */
typedef struct fm_body {
    const unsigned char *enc; /* NULL: decoded, or none */
    uint32_t len;             /* (its unit: the function's) */
    uint8_t names_func;       /* an operand is a function's address */
} fm_body;

/* What a unit's indices are program-wide, for decoding its bodies. */
typedef struct fm_unit_maps {
    uint32_t *str_id;         /* pool ids */
    uint32_t nstr;
    int32_t *type_map;
    uint32_t ntypes;
    uint32_t *global_map;
    uint32_t nglobals;
} fm_unit_maps;

struct fm_program {
    fm_arena arena;
    fm_strpool pool;
    fm_type *types;
    size_t ntypes, captypes;
    fm_index type_ix;
    fm_global *globals;
    size_t nglobals, capglobals;
    fm_index global_ix;
    fm_func *funcs;
    fm_body *bodies;          /* one per function */
    size_t nfuncs, capfuncs;
    fm_index func_ix;   /* public definitions and declarations */
    fm_index static_ix; /* "unit#mangled" for non-public definitions */
    fm_index static_names; /* the mangled names some unit defines non-public */
    fm_unit_info *units;
    fm_unit_maps *umaps;      /* one per unit */
    size_t nunits, capunits;
    fm_program_stats stats;
    fm_callee_memo *callees;
    uint32_t gen;             /* bumped whenever a function is added or replaced */
    uint64_t *seen_units;     /* (crc << 32 | size) of units already read */
    size_t nseen, capseen;
};

uint32_t fm_pool_id(fm_program *p, const char *s, size_t n);
/* fm_program_func for a name that is a pool string (an event's callee, a
 * vtable slot): remembered by address. */
const fm_func *fm_program_func_pooled(const fm_program *p, const char *mangled,
                                      uint32_t from_unit);
const char *fm_pool_str(fm_program *p, const char *s, size_t n);

#endif
