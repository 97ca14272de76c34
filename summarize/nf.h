/* Internal: per-NF conclusions (nf.c: finding NFs and concluding; tables.c:
 * collecting their state from the entry summaries; keys.c: keys). */
#ifndef FM_SUMMARIZE_NF_H
#define FM_SUMMARIZE_NF_H

#include "engine.h"

/* Per-packet entry points of one NF that are looked up (profile entries). */
#define FM_NF_MAX_ENTRIES 16
/* How many lookups a key may go through (a position returned by a table
 * whose key is itself a position ...); deeper, the key is unknown. */
#define FM_KEY_MAX_NESTING 4

typedef struct nfctx {
    an *A;
    const fm_program *P;
    const fm_profile *prof;
    int state_param;
    const summary *sm;   /* the summary whose records (lookup results) keys name */
    int depth;           /* lookups followed so far (FM_KEY_MAX_NESTING) */
    struct keyed_region *keyed; /* regions keyed by packet data (their content
                                   is per-flow state, no configuration) */
    uint32_t nkeyed;
} nfctx;

typedef struct keyinfo {
    fm_fieldset must, may;
    fm_strset other;
    int symmetric;
    int unknown;   /* something of unknown origin reaches the key */
    int opaque;    /* a label went through a function flowmage cannot see */
} keyinfo;

/* A region keyed by packet data; when it only ever holds fresh indices (an
 * allocator's, put in a map), an index read from it is its key's. */
typedef struct keyed_region {
    uint32_t loc;
    int index_map;
    fm_fieldset must;
} keyed_region;

typedef enum tbl_kind {
    TK_API,        /* a table of one of the profile's APIs */
    TK_ARRAY,      /* array elements chosen by packet-derived values */
    TK_FLOW_STATE, /* per-flow state handed in by a flow manager (or a
                      manager's own flow blocks) */
    TK_HIDDEN,     /* state written where flowmage cannot see how (a callee
                      it cannot follow given packet data, a pointer of
                      unknown origin): key unknown */
    TK_NESTED      /* an array inside the elements of a keyed array (part of
                      their state: reported with the outer table) */
} tbl_kind;

typedef struct tacc {           /* a table access and the summary it is in */
    const rec_access *a;
    const summary *sm;
} tacc;

typedef struct tbl {
    tbl_kind kind;
    uint32_t loc;               /* table object / array element region / fcb */
    const fm_table_api *api;
    const char *persistence;
    fm_strset ops;
    tacc *acc;                  /* TK_API: its accesses */
    uint32_t nacc;
    keyinfo *alt;               /* TK_ARRAY: how each index expression keys it */
    uint32_t nalt;
    int alt_keyed;              /* TK_ARRAY: some index carries packet data */
    keyinfo key;
    fm_intensity writes;
    int chase, stateful;
    evid first, write_ev, chase_ev;
    char *why;                  /* TK_HIDDEN: the reason (uncertain) */
} tbl;

typedef struct nfstate {
    nfctx N;
    const fm_func *entry[FM_NF_MAX_ENTRIES];
    const summary *sum[FM_NF_MAX_ENTRIES];
    uint32_t nentries;
    tbl *t;
    uint32_t nt;
    fm_strset incomplete;       /* why the facts are incomplete (budget) */
    fm_summary *out;
} nfstate;

/* keys.c */
void fm_key_of_access(nfctx *N, const rec_access *a, const vset *extra, keyinfo *ki);
void fm_key_of_value(nfctx *N, const vset *v, keyinfo *ki);
int fm_keys_swap(nfctx *N, const tacc *acc, uint32_t n);
int fm_keyinfo_equal(const keyinfo *a, const keyinfo *b);

/* ports.c: keys_by_port, when the port decides what state a packet reaches */
void fm_nf_port_keys(nfstate *S, int ninputs);

/* keywords.c: the keywords the configure method f of class cls parses */
void fm_nf_keywords(an *A, int32_t cls, const fm_func *f, fm_strset *out);

/* tables.c */
const char *fm_nf_persistence(nfstate *S, uint32_t loc);
/* Collects the NF's tables and computes their keys. */
void fm_nf_collect_tables(nfstate *S);
void fm_nf_tables_free(nfstate *S);
int fm_nf_packet_derived(const nfstate *S, const vset *v);
int fm_nf_on_insert(nfstate *S, const summary *sm, const guards *gd);

#endif
