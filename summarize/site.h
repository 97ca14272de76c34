/* Internal: one call site being applied (calls.c dispatches; translate.c
 * turns a callee's summary into the caller's terms; primitives.c handles
 * the profile's primitives, builtins and calls flowmage cannot follow). */
#ifndef FM_SUMMARIZE_SITE_H
#define FM_SUMMARIZE_SITE_H

#include "engine.h"

#define MAXL FM_MAX_TARGETS

/* What one callee atom became at this call site.  A callee summary
 * repeats the same few atoms (its parameters, their contents) across
 * hundreds of records and guards, and the caller's fixpoint applies it
 * again every round: each atom is translated once per site and round. */
typedef struct tmemo {
    atom a;                  /* 0: empty slot */
    uint32_t epoch;          /* the slot is empty unless it is the site's */
    uint32_t wgen;           /* caller memory generation it was read at,
                                or last found unchanged at (contents) */
    long work;               /* what reading it counted against the budget */
    fm_readset reads;        /* the places its translation read */
    vset out;
} tmemo;

/* Memo tables keyed by a callee's set (a hash of its content, and a copy
 * of it in the entry: the callee's summary may be replaced while the
 * table is kept): entries start with an mkey; open addressing. */
typedef struct mkey {
    uint64_t h;
    uint32_t epoch;          /* the slot is empty unless it is the table's */
    uint32_t full;           /* 0: never used */
} mkey;

typedef struct mtab {
    char *e;
    uint32_t n, used;
    uint32_t epoch;
    size_t size;             /* of one entry */
    void (*drop)(void *entry); /* frees what an entry holds */
} mtab;

/* What a call's record read when it was last applied (calls.c keeps one
 * per record number of the call, across rounds). */
typedef struct rec_cache {
    fm_readset reads;
    int valid;
    long work;               /* what applying it counted against the budget */
} rec_cache;

/* A site's memo tables (a call keeps them from one application to the
 * next). */
typedef struct site_tables {
    tmemo *memo;             /* open addressing, nmemo slots (power of 2) */
    uint32_t nmemo, usedmemo, epoch;
    mtab gm;                 /* the same for guards (gmemo) */
    mtab vm;                 /* and for whole value sets (vmemo) */
    int kept;                /* (a call's: it holds tables) */
} site_tables;

typedef struct site {
    fa *F;
    uint32_t k;              /* call event */
    uint32_t off;            /* first record number of this callee (a call
                                reaching several bodies numbers them apart) */
    vset *args;
    uint32_t nargs;
    site_tables t;           /* its memo tables */
    guards scratch;          /* guards not kept */
    rec_cache **rc;          /* the call's record caches (NULL: none) */
    uint32_t *nrc;
    int reuse;               /* same arguments and summaries as when they
                                were made: a record that read nothing that
                                grew since is not applied again */
    fm_readset changed;      /* the places read then that grew since */
} site;

/* translate.c.  The memo tables of a site are its call's from the last
 * application when only memory grew since (an entry is used again unless
 * what it read grew), else come from a small pool: a site's slots are told
 * from an earlier site's by an epoch, so a table is reused without being
 * cleared (nor its buffers freed).  They stay with the call (keep) until
 * the function's analysis ends (fm_site_tables_free). */
void fm_site_memo_init(site *c, site_tables *keep);
void fm_site_pool_free(an *A);
void fm_site_apply_summary(site *c, const fm_func *g, const summary *S);
void fm_site_memo_free(site *c, site_tables *keep);
void fm_site_tables_free(an *A, site_tables *keep);

/* primitives.c */
void fm_site_arg_locs(fa *F, const vset *v, uint32_t *out, uint32_t *n);
int fm_site_primitive(site *c, const fm_func *g);
int fm_site_builtin(site *c, const char *name);
void fm_site_opaque(site *c, int usable);
void fm_site_invisible_call(site *c, const fm_func *g);

#endif
