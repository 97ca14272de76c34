/* Internal: per-NF conclusions (nf.c, keys.c). */
#ifndef FM_SUMMARIZE_NF_H
#define FM_SUMMARIZE_NF_H

#include "engine.h"

typedef struct nfctx {
    an *A;
    const fm_program *P;
    const fm_profile *prof;
    int state_param;
} nfctx;

typedef struct keyinfo {
    fm_fieldset must, may;
    fm_strset other;
    int symmetric;
    int unknown;   /* something of unknown origin reaches the key */
    int opaque;    /* a label went through a function flowmage cannot see */
} keyinfo;

void fm_key_of_access(nfctx *N, const rec_access *a, const vset *extra, keyinfo *ki);
void fm_key_of_value(nfctx *N, const vset *v, keyinfo *ki);
int fm_keys_swap(nfctx *N, const rec_access *const *acc, uint32_t n);

#endif
