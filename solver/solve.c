/* solve: orchestration, result lifetime, small shared helpers. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "flowmage/solve.h"
#include "solve_internal.h"

const char *fm_dialect_name(fm_dialect d)
{
    return d == FM_DIALECT_HASHFUNC ? "hashfunc" : "flowrules";
}

const char *fm_rss_key_name(fm_rss_key k)
{
    static const char *const names[] = {"default", "symmetric", "restricted", "custom"};
    return names[k];
}

const char *fm_nf_decision_name(fm_nf_decision d)
{
    static const char *const names[] = {"stateless", "shared", "shared-nothing"};
    return names[d];
}

void fm_solve_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

void fm_solve_note(fm_solve_result *res, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    res->notes = fm_xrealloc(res->notes, (res->nnotes + 1) * sizeof *res->notes);
    res->notes[res->nnotes++] = fm_xstrdup(buf);
}

const fm_rss_choice *fm_solve_chosen(const fm_solve_device *d)
{
    return &d->cands[d->chosen];
}

void fm_rss_choice_format(const fm_rss_choice *c, char *out, size_t n)
{
    if (c->none) {
        snprintf(out, n, "none");
        return;
    }
    char f[64];
    fm_fieldset_format(c->fields, f, sizeof f);
    if (c->key_kind == FM_RSSKEY_DEFAULT)
        snprintf(out, n, "%s", f);
    else
        snprintf(out, n, "%s [%s key]", f, fm_rss_key_name(c->key_kind));
}

int fm_solve_same_port(const fm_solve_device *a, const fm_solve_device *b)
{
    return a->rss && b->rss && a->port && b->port && !strcmp(a->port, b->port);
}

/* Devices sharing a declaration or a port get one setting: group them (the
 * group is its first device).  A shared declaration is written once, so its
 * devices must agree on everything the written text depends on. */
void fm_solve_group_devices(fm_solve_result *res)
{
    for (size_t i = 0; i < res->ndevices; i++) {
        fm_solve_device *d = &res->devices[i];
        d->group = (int)i;
        for (size_t j = 0; j < i; j++) {
            const fm_solve_device *e = &res->devices[j];
            if (e->decl_id == d->decl_id || fm_solve_same_port(e, d)) {
                d->group = e->group;
                break;
            }
        }
    }
    for (size_t i = 0; i < res->ndevices; i++) {
        const fm_solve_device *d = &res->devices[i], *f = &res->devices[d->group];
        if ((int)i == d->group || f->decl_id != d->decl_id)
            continue;
        int same = d->queues == f->queues && d->cores == f->cores &&
                   d->writable == f->writable &&
                   (!d->thread_offset) == (!f->thread_offset) &&
                   (!d->thread_offset || !strcmp(d->thread_offset, f->thread_offset));
        if (same)
            continue;
        /* one text cannot say two things: leave the whole declaration alone */
        for (size_t k = 0; k < res->ndevices; k++) {
            fm_solve_device *e = &res->devices[k];
            if (e->decl_id != d->decl_id || !e->writable)
                continue;
            e->writable = 0;
            snprintf(e->why_not, sizeof e->why_not, "its declaration also declares %s, "
                     "which needs other queue or thread counts", e == d ? f->name : d->name);
        }
    }
}

int fm_solve_analyze(const fm_click_config *cfg, const fm_click_graph *g,
                     const fm_attrs *attrs, const fm_solver_profile *prof,
                     const fm_nic_profile *nic, const fm_cost_model *cost,
                     const fm_solve_options *opts, fm_solve_result *res,
                     fm_error *err)
{
    memset(res, 0, sizeof *res);
    res->opts = *opts;
    res->cfg = cfg;
    res->attrs = attrs;
    res->prof = prof;
    res->nic = nic;
    res->cost = cost;
    res->graph = g;
    if (fm_solve_chain(res, cfg, attrs, prof, err) != 0) {
        fm_solve_result_free(res);
        return -1;
    }
    fm_solve_current(res, cfg);
    fm_solve_modes_read(res);
    if (res->ndevices == 0)
        fm_solve_note(res, "no input device (classes listed in %s) in %s: nothing to "
                      "solve", prof->path, cfg->path);
    for (size_t i = 0; i < res->ndevices; i++) {
        const fm_solve_device *d = &res->devices[i];
        if (d->rss && d->cores > 1 && !d->writable)
            fm_solve_note(res, "%s: nothing will be written, its NFs stay shared: %s",
                          d->name, d->why_not);
    }
    return 0;
}

int fm_solve_run(const fm_click_config *cfg, const fm_click_graph *g,
                 const fm_attrs *attrs, const fm_solver_profile *prof,
                 const fm_nic_profile *nic, const fm_cost_model *cost,
                 const fm_solve_options *opts, fm_solve_result *res, fm_error *err)
{
    if (fm_solve_analyze(cfg, g, attrs, prof, nic, cost, opts, res, err) != 0 ||
        fm_solve_candidates(res, err) != 0 || fm_solve_search(res, err) != 0 ||
        fm_solve_check_invariant(res, err) != 0) {
        fm_solve_result_free(res);
        return -1;
    }
    return 0;
}

static void free_device(fm_solve_device *d)
{
    free(d->name);
    free(d->cls);
    free(d->port);
    free(d->thread_offset);
    free(d->nfs);
    free(d->cands);
    for (size_t i = 0; i < d->nexcluded; i++)
        free(d->excluded[i]);
    free(d->excluded);
    free(d->rules_path);
}

void fm_solve_result_free(fm_solve_result *res)
{
    for (size_t i = 0; i < res->ndevices; i++)
        free_device(&res->devices[i]);
    free(res->devices);
    for (size_t k = 0; k < res->nnfs; k++) {
        free(res->nfs[k].name);
        free(res->nfs[k].cls);
        free(res->nfs[k].key_from);
        free(res->nfs[k].forced);
        free(res->nfs[k].devices);
        free(res->nfs[k].ports);
        free(res->nfs[k].arrivals);
        free(res->nfs[k].mode.current);
    }
    free(res->nfs);
    for (size_t c = 0; c < res->ncomps; c++) {
        fm_solve_component *x = &res->comps[c];
        for (size_t i = 0; i < x->ncombos; i++) {
            free(x->combos[i].choice);
            free(x->combos[i].sn);
        }
        free(x->combos);
        free(x->devices);
        free(x->nfs);
    }
    free(res->comps);
    for (size_t i = 0; i < res->nnotes; i++)
        free(res->notes[i]);
    free(res->notes);
    memset(res, 0, sizeof *res);
}
