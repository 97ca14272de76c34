/* Step 3 of solve: group devices that share stateful NFs, evaluate every
 * combination of their candidates with the cost model (greedy descent when
 * the product is too large), order them — cost, then per-packet cost of the
 * NFs made shared-nothing (CCE), then candidate order — and decide. */
#include <stdlib.h>
#include <string.h>

#include "flowmage/solve.h"
#include "solve_internal.h"

typedef struct search {
    fm_solve_result *res;
    fm_solve_component *comp;
    const fm_rss_choice **choice; /* per device of the result */
    int *rank;                    /* component NFs, most expensive first */
    /* An NF reached from one device is decided by that device's candidate
     * alone: its verdict per candidate is cached (-1: not yet), so a
     * combination only re-derives the NFs several devices reach. */
    signed char **sn_of_cand;     /* per component NF: NULL, or per candidate */
    int *dev_pos;                 /* per component NF: its device's position */
} search;

/* ---- components ---- */

static int uf_find(int *p, int x)
{
    while (p[x] != x)
        x = p[x] = p[p[x]];
    return x;
}

static int couples(const fm_solve_nf *nf)
{
    return nf->stateful && !nf->forced;
}

static void build_components(fm_solve_result *res)
{
    int *p = fm_xmalloc((res->ndevices + 1) * sizeof *p);
    for (size_t i = 0; i < res->ndevices; i++)
        p[i] = (int)i;
    for (size_t i = 0; i < res->ndevices; i++) /* one declaration or port */
        p[uf_find(p, (int)i)] = uf_find(p, res->devices[i].group);
    for (size_t k = 0; k < res->nnfs; k++) {
        const fm_solve_nf *nf = &res->nfs[k];
        for (size_t i = 1; couples(nf) && i < nf->ndevices; i++)
            p[uf_find(p, nf->devices[i])] = uf_find(p, nf->devices[0]);
    }
    for (size_t i = 0; i < res->ndevices; i++) {
        int root = uf_find(p, (int)i);
        if (root == (int)i) {
            res->comps = fm_xrealloc(res->comps, (res->ncomps + 1) * sizeof *res->comps);
            memset(&res->comps[res->ncomps], 0, sizeof *res->comps);
            res->devices[i].component = (int)res->ncomps++;
        } else {
            res->devices[i].component = res->devices[root].component;
        }
        fm_solve_component *c = &res->comps[res->devices[i].component];
        c->devices = fm_xrealloc(c->devices, (c->ndevices + 1) * sizeof *c->devices);
        c->devices[c->ndevices++] = (int)i;
    }
    for (size_t k = 0; k < res->nnfs; k++) {
        if (!couples(&res->nfs[k]))
            continue;
        fm_solve_component *c = &res->comps[res->devices[res->nfs[k].devices[0]].component];
        c->nfs = fm_xrealloc(c->nfs, (c->nnfs + 1) * sizeof *c->nfs);
        c->nfs[c->nnfs++] = (int)k;
    }
    free(p);
}

/* ---- evaluation ---- */

static double nf_cost(const fm_solve_result *res, const fm_solve_nf *nf, int shared)
{
    const fm_cost_model *m = res->cost;
    double c = nf->cost;
    /* global (not per-flow) state is contended whatever RSS does */
    if (nf->global_state && nf->cores > 1)
        c += m->global_state * fm_cost_core_factor(m, nf->cores);
    if (!shared || !nf->stateful || nf->cores <= 1)
        return c;
    return c + fm_cost_share_penalty(m, nf->intensity, nf->pointer_chasing, nf->cores);
}

double fm_solve_choice_imbalance(const fm_solve_result *res, const fm_solve_device *d,
                                 const fm_rss_choice *c)
{
    (void)res; /* the model's constants may depend on it one day */
    if (d->cores <= 1 || d->shared_queues)
        return 1; /* threads that share queues share their load */
    if (c->none)
        c = &d->current; /* left alone */
    if (c->none)
        return d->cores; /* RSS off: everything on queue 0 */
    return fm_cost_imbalance_bits(c->bits, d->cores);
}

double fm_solve_combo_cost_with(const fm_solve_result *res,
                                const fm_solve_component *comp,
                                const fm_solve_combo *x, const double *imbalance)
{
    /* NFs the component decides follow x->sn; every other stateful one is
     * shared (forced, or decided elsewhere) */
    signed char *sn = fm_xmalloc(res->nnfs + 1);
    memset(sn, -1, res->nnfs + 1);
    for (size_t j = 0; j < comp->nnfs; j++)
        sn[comp->nfs[j]] = (signed char)x->sn[j];
    double total = 0;
    for (size_t i = 0; i < comp->ndevices; i++) {
        const fm_solve_device *d = &res->devices[comp->devices[i]];
        double sum = 0;
        for (size_t k = 0; k < d->nnfs; k++) {
            const fm_solve_nf *nf = &res->nfs[d->nfs[k]];
            sum += nf_cost(res, nf, nf->stateful && sn[d->nfs[k]] != 1);
        }
        double imb = imbalance ? imbalance[i]
                               : fm_solve_choice_imbalance(res, d, &d->cands[x->choice[i]]);
        total += fm_cost_device_weight(res->cost, d->name) * imb * sum;
    }
    free(sn);
    return total;
}

static void evaluate(search *s, fm_solve_combo *out)
{
    fm_solve_result *res = s->res;
    fm_solve_component *comp = s->comp;
    for (size_t i = 0; i < comp->ndevices; i++) {
        fm_solve_device *d = &res->devices[comp->devices[i]];
        s->choice[comp->devices[i]] = &d->cands[out->choice[i]];
    }
    char why[300];
    out->nsn = 0;
    for (size_t j = 0; j < comp->nnfs; j++) {
        signed char *cache = s->sn_of_cand[j];
        int cand = cache ? out->choice[s->dev_pos[j]] : -1;
        if (cache && cache[cand] >= 0) {
            out->sn[j] = (unsigned char)cache[cand];
        } else {
            fm_nf_decision v = fm_solve_verdict(res, (size_t)comp->nfs[j], s->choice, why,
                                                sizeof why);
            out->sn[j] = v == FM_NF_SHARED_NOTHING;
            if (cache)
                cache[cand] = (signed char)out->sn[j];
        }
        out->nsn += out->sn[j];
    }
    out->cost = fm_solve_combo_cost_with(res, comp, out, NULL);
}

static int compare(const search *s, const fm_solve_combo *a, const fm_solve_combo *b)
{
    if (a->infeasible != b->infeasible)
        return a->infeasible ? 1 : -1;
    double big = a->cost > b->cost ? a->cost : b->cost;
    double eps = s->res->cost->tie_epsilon * (big > 1 ? big : 1);
    if (a->cost < b->cost - eps)
        return -1;
    if (a->cost > b->cost + eps)
        return 1;
    for (size_t i = 0; i < s->comp->nnfs; i++) {
        int r = s->rank[i];
        if (a->sn[r] != b->sn[r])
            return a->sn[r] ? -1 : 1;
    }
    for (size_t i = 0; i < s->comp->ndevices; i++)
        if (a->choice[i] != b->choice[i])
            return a->choice[i] < b->choice[i] ? -1 : 1;
    return 0;
}

static void merge_sort(const search *s, fm_solve_combo *v, fm_solve_combo *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2, i = 0, j = h, k = 0;
    merge_sort(s, v, tmp, h);
    merge_sort(s, v + h, tmp, n - h);
    while (i < h && j < n)
        tmp[k++] = compare(s, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

/* ---- enumeration ---- */

static fm_solve_combo *new_combo(search *s, const int *choice)
{
    fm_solve_component *c = s->comp;
    c->combos = fm_xrealloc(c->combos, (c->ncombos + 1) * sizeof *c->combos);
    fm_solve_combo *x = &c->combos[c->ncombos++];
    x->choice = fm_xmalloc((c->ndevices + 1) * sizeof *x->choice);
    memcpy(x->choice, choice, c->ndevices * sizeof *choice);
    x->sn = fm_xcalloc(c->nnfs + 1, 1);
    x->current = x->infeasible = 0;
    evaluate(s, x);
    return x;
}

static int same_setting(const fm_solve_result *res, const fm_rss_choice *x,
                        const fm_rss_choice *y)
{
    return x->none == y->none && x->set == y->set && x->fields == y->fields &&
           x->key_kind == y->key_kind &&
           (x->none || !memcmp(x->key4, y->key4, res->nic->key_len));
}

/* Devices of one group (one declaration or NIC port) must get the same
 * setting when both get one. */
static int feasible(const search *s, const int *choice)
{
    const fm_solve_component *c = s->comp;
    for (size_t i = 0; i < c->ndevices; i++)
        for (size_t j = i + 1; j < c->ndevices; j++) {
            const fm_solve_device *a = &s->res->devices[c->devices[i]];
            const fm_solve_device *b = &s->res->devices[c->devices[j]];
            const fm_rss_choice *x = &a->cands[choice[i]], *y = &b->cands[choice[j]];
            if (a->group == b->group && !x->none && !y->none && !same_setting(s->res, x, y))
                return 0;
        }
    return 1;
}

static void exhaustive(search *s)
{
    fm_solve_component *c = s->comp;
    int *idx = fm_xcalloc(c->ndevices + 1, sizeof *idx);
    for (;;) {
        if (feasible(s, idx))
            new_combo(s, idx);
        size_t i = 0;
        while (i < c->ndevices) {
            size_t n = s->res->devices[c->devices[i]].ncands;
            if ((size_t)++idx[i] < n)
                break;
            idx[i++] = 0;
        }
        if (i == c->ndevices)
            break;
    }
    if (!c->ncombos) { /* cannot happen with one NIC profile; stay defined */
        memset(idx, 0, c->ndevices * sizeof *idx);
        new_combo(s, idx);
    }
    free(idx);
}

static int seen_combo(const search *s, const int *choice)
{
    for (size_t i = 0; i < s->comp->ncombos; i++)
        if (!memcmp(s->comp->combos[i].choice, choice, s->comp->ndevices * sizeof *choice))
            return (int)i;
    return -1;
}

/* The candidate of device d equal (same set, fields, key kind) to cand, or
 * -1. */
static int same_candidate(const fm_solve_result *res, const fm_solve_device *d,
                          const fm_rss_choice *cand)
{
    for (size_t i = 0; i < d->ncands; i++)
        if (same_setting(res, &d->cands[i], cand))
            return (int)i;
    return -1;
}

/* Aligned starts: every device on the same setting (what NFs reached from
 * several devices need); returns the best. */
static int aligned_starts(search *s, int *cur)
{
    fm_solve_component *c = s->comp;
    const fm_solve_device *d0 = &s->res->devices[c->devices[0]];
    int best = -1;
    for (size_t v = 0; v < d0->ncands; v++) {
        int ok = 1;
        for (size_t i = 0; i < c->ndevices && ok; i++) {
            cur[i] = same_candidate(s->res, &s->res->devices[c->devices[i]], &d0->cands[v]);
            ok = cur[i] >= 0;
        }
        if (!ok || seen_combo(s, cur) >= 0)
            continue;
        new_combo(s, cur);
        if (best < 0 || compare(s, &c->combos[c->ncombos - 1], &c->combos[best]) < 0)
            best = (int)c->ncombos - 1;
    }
    if (best < 0) {
        memset(cur, 0, c->ndevices * sizeof *cur);
        new_combo(s, cur);
        best = (int)c->ncombos - 1;
    }
    return best;
}

/* Greedy search: the best aligned start, then coordinate descent (change
 * one device at a time while it helps). */
static void greedy(search *s)
{
    fm_solve_component *c = s->comp;
    int *cur = fm_xcalloc(c->ndevices + 1, sizeof *cur);
    int best = aligned_starts(s, cur);
    for (int round = 0, moved = 1; moved && round < 50; round++) {
        moved = 0;
        for (size_t i = 0; i < c->ndevices; i++) {
            size_t n = s->res->devices[c->devices[i]].ncands;
            for (size_t v = 0; v < n; v++) {
                int *trial = fm_xmalloc((c->ndevices + 1) * sizeof *trial);
                memcpy(trial, c->combos[best].choice, c->ndevices * sizeof *trial);
                trial[i] = (int)v;
                int at = seen_combo(s, trial);
                if (at < 0 && !feasible(s, trial)) {
                    free(trial);
                    continue;
                }
                if (at < 0) {
                    new_combo(s, trial);
                    at = (int)c->ncombos - 1;
                }
                if (compare(s, &c->combos[at], &c->combos[best]) < 0) {
                    best = at;
                    moved = 1;
                }
                free(trial);
            }
        }
    }
    free(cur);
}

/* The combination where every device keeps its current setting is always
 * evaluated (what `flowmage simulate` compares with): found among those
 * the search evaluated, else added — even when devices of one declaration
 * or port disagree today (then flagged infeasible, never chosen). */
static void add_current(search *s)
{
    fm_solve_component *c = s->comp;
    int *cur = fm_xmalloc((c->ndevices + 1) * sizeof *cur);
    for (size_t i = 0; i < c->ndevices; i++)
        cur[i] = s->res->devices[c->devices[i]].current_cand;
    int at = seen_combo(s, cur);
    if (at < 0) {
        int ok = feasible(s, cur);
        new_combo(s, cur)->infeasible = !ok;
        at = (int)c->ncombos - 1;
    }
    c->combos[at].current = 1;
    free(cur);
}

/* CCE order: the attributes' cost_rank when both NFs have one (1 = the
 * costliest), else the per-packet cost; then the name, for a stable order. */
static int costlier(const fm_solve_nf *a, const fm_solve_nf *b)
{
    if (a->cost_rank > 0 && b->cost_rank > 0 && a->cost_rank != b->cost_rank)
        return a->cost_rank < b->cost_rank;
    if (a->cost != b->cost)
        return a->cost > b->cost;
    return strcmp(a->name, b->name) < 0;
}

static void rank_nfs(search *s)
{
    const fm_solve_component *c = s->comp;
    const fm_solve_result *res = s->res;
    s->rank = fm_xmalloc((c->nnfs + 1) * sizeof *s->rank);
    for (size_t i = 0; i < c->nnfs; i++)
        s->rank[i] = (int)i;
    /* insertion sort: most expensive first, then by name (stable order) */
    for (size_t i = 1; i < c->nnfs; i++) {
        int x = s->rank[i];
        size_t j = i;
        while (j > 0) {
            const fm_solve_nf *a = &res->nfs[c->nfs[x]], *b = &res->nfs[c->nfs[s->rank[j - 1]]];
            if (!costlier(a, b))
                break;
            s->rank[j] = s->rank[j - 1];
            j--;
        }
        s->rank[j] = x;
    }
}

static void solve_component(fm_solve_result *res, fm_solve_component *comp,
                            const fm_rss_choice **choice)
{
    search s = {res, comp, choice, NULL, NULL, NULL};
    rank_nfs(&s);
    s.sn_of_cand = fm_xcalloc(comp->nnfs + 1, sizeof *s.sn_of_cand);
    s.dev_pos = fm_xcalloc(comp->nnfs + 1, sizeof *s.dev_pos);
    for (size_t j = 0; j < comp->nnfs; j++) {
        const fm_solve_nf *nf = &res->nfs[comp->nfs[j]];
        if (nf->ndevices != 1)
            continue;
        for (size_t i = 0; i < comp->ndevices; i++)
            if (comp->devices[i] == nf->devices[0])
                s.dev_pos[j] = (int)i;
        size_t n = res->devices[nf->devices[0]].ncands;
        s.sn_of_cand[j] = fm_xmalloc(n + 1);
        memset(s.sn_of_cand[j], -1, n + 1);
    }
    unsigned long space = 1, limit = res->cost->max_combinations;
    for (size_t i = 0; i < comp->ndevices; i++) {
        size_t n = res->devices[comp->devices[i]].ncands;
        space = space > limit ? space : space * (unsigned long)n;
    }
    comp->space = space;
    comp->exhaustive = space <= limit;
    if (comp->exhaustive) {
        exhaustive(&s);
    } else {
        greedy(&s);
        fm_solve_note(res, "devices of component %d: %lu+ combinations exceed the "
                      "search limit %lu; used greedy descent (raise max_combinations "
                      "in --cost-model for an exhaustive search)",
                      res->devices[comp->devices[0]].component, space, limit);
    }
    add_current(&s);
    fm_solve_combo *tmp = fm_xmalloc((comp->ncombos + 1) * sizeof *tmp);
    merge_sort(&s, comp->combos, tmp, comp->ncombos);
    free(tmp);
    for (size_t i = 0; i < comp->ncombos; i++)
        if (comp->combos[i].current)
            comp->current_combo = i;
    for (size_t i = 0; i < comp->ndevices; i++)
        res->devices[comp->devices[i]].chosen = comp->combos[0].choice[i];
    res->total_cost += comp->combos[0].cost;
    for (size_t j = 0; j < comp->nnfs; j++)
        free(s.sn_of_cand[j]);
    free(s.sn_of_cand);
    free(s.dev_pos);
    free(s.rank);
}

int fm_solve_search(fm_solve_result *res, fm_error *err)
{
    (void)err;
    build_components(res);
    const fm_rss_choice **choice = fm_xcalloc(res->ndevices + 1, sizeof *choice);
    for (size_t i = 0; i < res->ncomps; i++)
        solve_component(res, &res->comps[i], choice);
    for (size_t i = 0; i < res->ndevices; i++)
        choice[i] = fm_solve_chosen(&res->devices[i]);
    for (size_t k = 0; k < res->nnfs; k++) {
        fm_solve_nf *nf = &res->nfs[k];
        nf->decision = fm_solve_verdict(res, k, choice, nf->why, sizeof nf->why);
    }
    free(choice);
    fm_solve_modes_decide(res);
    return 0;
}
