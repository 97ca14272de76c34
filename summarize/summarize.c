/* The summarize stage: facts in, per-NF summaries out. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

int fm_nf_find_and_summarize(an *A, fm_summary_set *set, fm_error *err);

void fm_an_init(an *A, const fm_program *P, const fm_profile *prof)
{
    memset(A, 0, sizeof *A);
    A->P = P;
    A->prof = prof;
    A->caplocs = 4096;
    A->locs = fm_xcalloc(A->caplocs, sizeof *A->locs);
    A->nlocs = 1; /* id 0: none */
    A->capfields = 1024;
    A->fields = fm_xcalloc(A->capfields, sizeof *A->fields);
    A->field_label = fm_xcalloc(A->capfields, sizeof *A->field_label);
    A->nfields = 1;
    A->ctx = -2;
    A->budget = FM_SUMMARIZE_BUDGET;
    A->framework_global = fm_xcalloc(fm_program_nglobals(P) + 1, 1);
    for (size_t i = 0; i < fm_program_nglobals(P); i++) {
        const fm_global *g = fm_program_global_at(P, i);
        A->framework_global[i] = fm_strset_has(&prof->framework_globals, g->printable) ||
                                 fm_strset_has(&prof->framework_globals, g->mangled);
        if (fm_strset_has(&prof->flow_state_globals, g->printable) ||
            fm_strset_has(&prof->flow_state_globals, g->mangled)) {
            A->flow_state_globals = fm_xrealloc(A->flow_state_globals,
                                                (A->nflow_state_globals + 1) * sizeof(int32_t));
            A->flow_state_globals[A->nflow_state_globals++] = (int32_t)i;
        }
    }
    /* methods per class, for virtual dispatch and entry points */
    size_t nt = fm_program_ntypes(P);
    A->methods = fm_xcalloc(nt ? nt : 1, sizeof *A->methods);
    A->nmethods = fm_xcalloc(nt ? nt : 1, sizeof *A->nmethods);
    A->vclass_ctx = fm_xmalloc(nt ? nt : 1);
    memset(A->vclass_ctx, -1, nt ? nt : 1);
    for (size_t i = 0; i < fm_program_nfuncs(P); i++) {
        int32_t c = fm_program_func_at(P, i)->cls;
        if (c < 0)
            continue;
        A->methods[c] = fm_xrealloc(A->methods[c], (A->nmethods[c] + 1) * sizeof **A->methods);
        A->methods[c][A->nmethods[c]++] = (uint32_t)i;
    }
    /* the five fields get the first label ids, so evidence slots exist */
    for (int i = 0; i < FM_NFIELDS; i++)
        fm_label_id(A, fm_field_name(i));
}

void fm_an_free(an *A)
{
    for (uint32_t i = 0; i < A->ncache; i++)
        fm_fsum_free(&A->cache[i].s);
    free(A->cache);
    free(A->cache_slots);
    free(A->stack);
    free(A->locs);
    free(A->loc_slots);
    free(A->fields);
    free(A->field_label);
    free(A->field_slots);
    for (uint32_t i = 0; i < A->nlabels; i++)
        free(A->labels[i]);
    free(A->labels);
    free(A->flow_state_globals);
    free(A->framework_global);
    for (size_t i = 0; i < fm_program_ntypes(A->P); i++)
        free(A->methods[i]);
    free(A->methods);
    free(A->nmethods);
    free(A->vclass_ctx);
    memset(A, 0, sizeof *A);
}

int fm_summarize(const fm_program *P, const fm_profile *prof, fm_summary_set *out,
                 fm_error *err)
{
    return fm_summarize_only(P, prof, NULL, out, err);
}

int fm_summarize_only(const fm_program *P, const fm_profile *prof, const fm_strset *only,
                      fm_summary_set *out, fm_error *err)
{
    memset(out, 0, sizeof *out);
    out->profile = fm_xstrdup(prof->name);
    out->inputs = (long)fm_program_get_stats(P).inputs;
    an A;
    fm_an_init(&A, P, prof);
    A.only = only && only->n ? only : NULL;
    int rc = fm_nf_find_and_summarize(&A, out, err);
    fm_an_free(&A);
    if (rc != 0)
        fm_summary_set_free(out);
    return rc;
}
