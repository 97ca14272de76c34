/* NF mode keywords (the profile's "nf_modes", docs/solve.md): an element
 * that takes one (FastClick research elements: SHARED 1 for one table
 * shared by every core, SHARED 0 for a table per core) must be told what
 * the decision is.  A table per core behind RSS that splits its keys over
 * cores splits the state; one shared table where RSS keeps every key on one
 * core pays for locks it does not need.  So every NF whose class accepts
 * the keyword (its attributes' keywords) gets the value of its decision:
 * shared-nothing writes the per-core value, shared the shared one, whatever
 * the configuration said before. */
#include <stdlib.h>
#include <string.h>

#include "flowmage/solve.h"
#include "solve_internal.h"

void fm_solve_modes_read(fm_solve_result *res)
{
    for (size_t k = 0; k < res->nnfs; k++) {
        fm_solve_nf *nf = &res->nfs[k];
        const fm_elem_attrs *ea = fm_attrs_find(res->attrs, nf->cls);
        const fm_nf_mode_spec *m =
            ea ? fm_solver_nf_mode(res->prof, nf->cls, &ea->keywords) : NULL;
        if (!m)
            continue;
        nf->mode.spec = m;
        nf->mode.current = fm_click_elem_keyword(&res->graph->elems[nf->elem], m->keyword);
        const char *c = nf->mode.current;
        nf->mode.current_shared = !c                           ? m->absent
                                  : !strcmp(c, m->shared)         ? 1
                                  : !strcmp(c, m->shared_nothing) ? 0 : -1;
    }
}

/* One declaration is written once: its elements (an elementclass
 * instantiated twice) must agree, else all get the shared value, which is
 * right whatever RSS does. */
void fm_solve_modes_decide(fm_solve_result *res)
{
    for (size_t k = 0; k < res->nnfs; k++) {
        fm_solve_nf *nf = &res->nfs[k];
        const fm_nf_mode_spec *m = nf->mode.spec;
        nf->mode.conflict = 0;
        nf->mode.value = !m || nf->decision == FM_NF_STATELESS ? NULL
                         : nf->decision == FM_NF_SHARED_NOTHING ? m->shared_nothing
                                                                : m->shared;
    }
    for (size_t k = 0; k < res->nnfs; k++) {
        fm_solve_nf *nf = &res->nfs[k];
        int decl = res->graph->elems[nf->elem].decl;
        for (size_t j = 0; nf->mode.value && j < res->nnfs; j++) {
            fm_solve_nf *o = &res->nfs[j];
            if (j == k || res->graph->elems[o->elem].decl != decl || !o->mode.value ||
                !strcmp(o->mode.value, nf->mode.value))
                continue;
            nf->mode.conflict = o->mode.conflict = 1;
            nf->mode.value = nf->mode.spec->shared;
            o->mode.value = o->mode.spec->shared;
        }
    }
}

void fm_solve_mode_text(const fm_solve_nf *nf, char *out, size_t n)
{
    const fm_solve_mode *md = &nf->mode;
    if (!md->spec) {
        snprintf(out, n, "-");
        return;
    }
    const char *cur = md->current ? md->current : "(absent)";
    if (!md->value)
        snprintf(out, n, "%s %s", md->spec->keyword, cur);
    else if (md->current && !strcmp(md->current, md->value))
        snprintf(out, n, "%s %s", md->spec->keyword, md->value);
    else
        snprintf(out, n, "%s %s->%s", md->spec->keyword, cur, md->value);
}
