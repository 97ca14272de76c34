/* The summarize stage: facts in, per-NF summaries out. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"
#include "site.h"

int fm_nf_find_and_summarize(an *A, fm_summary_set *set, fm_error *err);

static int fptr_cmp(const void *a, const void *b)
{
    const fptr_store *x = a, *y = b;
    if (x->rec != y->rec)
        return x->rec < y->rec ? -1 : 1;
    if (x->field != y->field)
        return x->field < y->field ? -1 : 1;
    return x->f == y->f ? 0 : x->f < y->f ? -1 : 1;
}

static void fptr_add(an *A, const fm_event *store, const fm_func *g, uint32_t *cap)
{
    if (A->nfptr == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        A->fptr = fm_xrealloc(A->fptr, *cap * sizeof *A->fptr);
    }
    const fm_pathel *last = &store->path[store->npath - 1];
    A->fptr[A->nfptr++] = (fptr_store){last->rec, last->field, g};
}

static int member_store(const fm_event *e)
{
    return e->kind == FM_EV_STORE && e->npath && e->path[e->npath - 1].rec;
}

/* A function's address stored by the callee that received it (an init
 * function setting a map's hash function from its argument). */
static void fptr_through_call(an *A, const fm_func *f, const fm_event *call, uint32_t *cap)
{
    const fm_program *P = A->P;
    int has_func = 0; /* most calls pass no function's address: no lookup */
    for (uint32_t a = 0; a < call->nargs && !has_func; a++)
        for (uint32_t o = 0; o < call->args[a].n; o++)
            has_func |= call->args[a].v[o].kind == FM_OR_FUNC;
    if (!has_func)
        return;
    const fm_func *h = fm_program_callee(P, f, call);
    if (!h || (h->flags & FM_FN_DECL))
        return;
    fm_program_decode(P, h);
    for (uint32_t a = 0; a < call->nargs; a++)
        for (uint32_t o = 0; o < call->args[a].n; o++) {
            const fm_origin *x = &call->args[a].v[o];
            const fm_func *g = x->kind == FM_OR_FUNC
                                   ? fm_program_func(P, fm_program_str(P, x->index), f->unit)
                                   : NULL;
            for (uint32_t k = 0; g && k < h->nevents; k++) {
                const fm_event *s = &h->events[k];
                for (uint32_t v = 0; member_store(s) && v < s->a.n; v++)
                    if (s->a.v[v].kind == FM_OR_PARAM && s->a.v[v].index == a)
                        fptr_add(A, s, g, cap);
            }
        }
}

/* Every member some function stores a function's address into, itself or
 * through the callee it passed the address to: calls through that member
 * reach those functions (whatever stores them, at configuration time or
 * per packet).  Only the functions that name a function are looked at
 * (the reader marked them). */
static void fptr_init(an *A)
{
    const fm_program *P = A->P;
    uint32_t cap = 0;
    for (size_t i = 0; i < fm_program_nfuncs(P); i++) {
        if (!P->bodies[i].names_func)
            continue;
        const fm_func *f = fm_program_func_at(P, i);
        fm_program_decode(P, f);
        for (uint32_t k = 0; k < f->nevents; k++) {
            const fm_event *e = &f->events[k];
            if (e->kind == FM_EV_CALL && e->call_kind == FM_CALL_DIRECT)
                fptr_through_call(A, f, e, &cap);
            for (uint32_t o = 0; member_store(e) && o < e->a.n; o++) {
                if (e->a.v[o].kind != FM_OR_FUNC)
                    continue;
                const fm_func *g = fm_program_func(P, fm_program_str(P, e->a.v[o].index), f->unit);
                if (g)
                    fptr_add(A, e, g, &cap);
            }
        }
    }
    if (A->nfptr)
        qsort(A->fptr, A->nfptr, sizeof *A->fptr, fptr_cmp);
}

void fm_an_init(an *A, const fm_program *P, const fm_profile *prof)
{
    memset(A, 0, sizeof *A);
    A->P = P;
    A->prof = prof;
    A->caplocs = 4096;
    A->locs = fm_xcalloc(A->caplocs, sizeof *A->locs);
    A->nlocs = 1; /* id 0: none */
    A->rebase_memo = fm_xcalloc(FM_REBASE_MEMO, sizeof *A->rebase_memo);
    A->capfields = 1024;
    A->fields = fm_xcalloc(A->capfields, sizeof *A->fields);
    A->field_label = fm_xcalloc(A->capfields, sizeof *A->field_label);
    A->nfields = 1;
    A->ctx = -2;
    A->lim = (fm_limits)FM_LIMITS_DEFAULT;
    const char *slow = getenv("FLOWMAGE_TRACE_SLOW");
    A->trace_slow = slow ? atof(slow) : -1;
    const char *reuse = getenv("FLOWMAGE_REUSE");
    A->reuse = !(reuse && !strcmp(reuse, "0"));
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
    A->slot_fn = fm_xcalloc(nt ? nt : 1, sizeof *A->slot_fn);
    A->fn_traits = fm_xcalloc(fm_program_nfuncs(P) + 1, 1);
    A->parser_params = fm_xcalloc(fm_program_nfuncs(P) + 1, sizeof *A->parser_params);
    A->vclass_ctx = fm_xmalloc(nt ? nt : 1);
    memset(A->vclass_ctx, -1, nt ? nt : 1);
    for (size_t i = 0; i < fm_program_nfuncs(P); i++) {
        int32_t c = fm_program_func_at(P, i)->cls;
        if (c < 0)
            continue;
        A->methods[c] = fm_xrealloc(A->methods[c], (A->nmethods[c] + 1) * sizeof **A->methods);
        A->methods[c][A->nmethods[c]++] = (uint32_t)i;
    }
    fptr_init(A);
    /* the five fields get the first label ids, so evidence slots exist */
    for (int i = 0; i < FM_NFIELDS; i++)
        fm_label_id(A, fm_field_name(i));
}

/* name, offset in fm_limits, smallest value that keeps the analysis going */
static const struct {
    const char *name;
    size_t off;
    long min, max;
} limit_names[] = {
    {"budget", offsetof(fm_limits, budget), 1, 1L << 40},
    {"iterations", offsetof(fm_limits, iterations), 1, 1 << 20},
    {"recursion", offsetof(fm_limits, recursion), 1, 1 << 20},
    {"call_depth", offsetof(fm_limits, call_depth), 1, 1 << 20},
    {"cells", offsetof(fm_limits, cells), 1, 1 << 30},
    {"records", offsetof(fm_limits, records), 1, 1 << 30},
    {"stores", offsetof(fm_limits, stores), 1, 1 << 30},
    {"targets", offsetof(fm_limits, targets), 1, FM_MAX_TARGETS},
    {"loc_depth", offsetof(fm_limits, loc_depth), 1, FM_LOC_MAX_DEPTH},
    {"loc_deref", offsetof(fm_limits, loc_deref), 1, FM_LOC_MAX_DEREF},
};

int fm_limits_parse(fm_limits *lim, const char *spec, char *err, size_t errlen)
{
    char *copy = fm_xstrdup(spec), *save = NULL;
    int rc = 0;
    for (char *it = strtok_r(copy, ",", &save); it && !rc; it = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(it, '='), *end = NULL;
        size_t k = 0, n = sizeof limit_names / sizeof limit_names[0];
        while (eq && k < n && (strlen(limit_names[k].name) != (size_t)(eq - it) ||
                               strncmp(limit_names[k].name, it, (size_t)(eq - it))))
            k++;
        long v = eq ? strtol(eq + 1, &end, 10) : 0;
        if (!eq || k == n || !end || *end || end == eq + 1 || v < limit_names[k].min ||
            v > limit_names[k].max) {
            snprintf(err, errlen, "bad limit \"%s\" (name=value; names: budget, iterations, "
                     "recursion, call_depth, cells, records, stores, targets (<= %d), "
                     "loc_depth (<= %d), loc_deref (<= %d); values >= 1)", it,
                     FM_MAX_TARGETS, FM_LOC_MAX_DEPTH, FM_LOC_MAX_DEREF);
            rc = -1;
        } else if (limit_names[k].off == offsetof(fm_limits, budget)) {
            lim->budget = v;
        } else {
            *(int *)((char *)lim + limit_names[k].off) = (int)v;
        }
    }
    free(copy);
    return rc;
}

void fm_an_free(an *A)
{
    fm_site_pool_free(A);
    for (uint32_t i = 0; i < A->ncache; i++)
        fm_fsum_free(&A->cache[i].s);
    free(A->cache);
    free(A->cha);
    free(A->fptr);
    free(A->cache_slots);
    free(A->stack);
    free(A->locs);
    free(A->loc_slots);
    free(A->rebase_memo);
    free(A->fields);
    free(A->field_label);
    free(A->field_slots);
    for (uint32_t i = 0; i < A->nlabels; i++)
        free(A->labels[i]);
    free(A->labels);
    free(A->flow_state_globals);
    free(A->framework_global);
    for (size_t i = 0; i < fm_program_ntypes(A->P); i++) {
        free(A->methods[i]);
        free(A->slot_fn[i]);
    }
    free(A->slot_fn);
    free(A->parser_params);
    free(A->fn_traits);
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
    const char *spec = getenv("FLOWMAGE_LIMITS");
    char why[200];
    if (spec && *spec && fm_limits_parse(&A.lim, spec, why, sizeof why) != 0) {
        fm_an_free(&A);
        fm_summary_set_free(out);
        return fm_fail(err, FM_ERR_INPUT, "FLOWMAGE_LIMITS", 0, 0, "%s", why);
    }
    int rc = fm_nf_find_and_summarize(&A, out, err);
    fm_an_free(&A);
    if (rc != 0)
        fm_summary_set_free(out);
    return rc;
}
