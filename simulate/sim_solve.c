/* Layer 2 of simulate: ask the solver (include/flowmage/solve.h) for every
 * device's candidates and every combination it evaluated with its cost, and
 * replay the trace under each (include/flowmage/simulate.h). */
#include "flowmage/simulate.h"

#include <stdlib.h>
#include <string.h>

#include "flowmage/attrs.h"
#include "flowmage/click.h"
#include "flowmage/solve.h"

/* The NIC `flowmage solve` assumes without --nic (cli/cmd_solve.c). */
#define DEFAULT_NIC "mlx5"

typedef struct fm_simulation_inputs {
    fm_click_config cfg;
    fm_click_graph graph;
    fm_attrs attrs;
    fm_solver_profile prof;
    fm_nic_profile nic;
    fm_cost_model cost;
    fm_solve_result res;
    int have_cfg, have_graph, have_attrs, have_prof, have_nic, have_cost, have_res;
    int *dflt;               /* per device: its default candidate */
} fm_simulation_inputs;

static int load(const fm_simulate_opts *o, fm_simulation_inputs *in, fm_error *err)
{
    char prof[4096];
    const char *pp = o->profile;
    if (!pp) {
        if (fm_find_data_file("profiles/fastclick.json", prof, sizeof prof) != 0)
            return fm_fail(err, FM_ERR_ENV, "profiles/fastclick.json", 0, 0,
                           "framework profile not found (set FLOWMAGE_DATADIR or "
                           "pass --profile)");
        pp = prof;
    }
    if (fm_click_load(o->config, &in->cfg, err) != 0)
        return -1;
    in->have_cfg = 1;
    if (fm_click_graph_build(&in->cfg, &in->graph, err) != 0)
        return -1;
    in->have_graph = 1;
    if (fm_attrs_load(o->attrs, &in->attrs, err) != 0)
        return -1;
    in->have_attrs = 1;
    if (fm_solver_profile_load(pp, &in->prof, err) != 0)
        return -1;
    in->have_prof = 1;
    if (fm_nic_load(o->nic ? o->nic : DEFAULT_NIC, &in->nic, err) != 0)
        return -1;
    in->have_nic = 1;
    if (o->cost_model) {
        if (fm_cost_model_load(o->cost_model, &in->cost, err) != 0)
            return -1;
    } else {
        fm_cost_model_default(&in->cost);
    }
    in->have_cost = 1;
    return 0;
}

static void unload(fm_simulation_inputs *in)
{
    if (in->have_res)
        fm_solve_result_free(&in->res);
    if (in->have_graph)
        fm_click_graph_free(&in->graph);
    if (in->have_cfg)
        fm_click_free(&in->cfg);
    if (in->have_attrs)
        fm_attrs_free(&in->attrs);
    if (in->have_prof)
        fm_solver_profile_free(&in->prof);
    if (in->have_nic)
        fm_nic_free(&in->nic);
    if (in->have_cost)
        fm_cost_model_free(&in->cost);
    free(in->dflt);
}

/* The NIC's widest native set: what a DPDK port hashes unless told
 * otherwise (IP addresses and TCP/UDP ports). */
static int widest_set(const fm_nic_profile *nic)
{
    int best = -1, bestn = -1;
    for (size_t s = 0; s < nic->nsets; s++) {
        int n = __builtin_popcount(nic->sets[s].fields);
        if (n > bestn)
            best = (int)s, bestn = n;
    }
    return best;
}

/* The candidate that reproduces the configuration before solving: the
 * widest native set with the NIC's default key; "none" if there is none. */
static int default_candidate(const fm_nic_profile *nic, const fm_solve_device *d)
{
    int wide = widest_set(nic), none = -1;
    for (size_t c = 0; c < d->ncands; c++) {
        const fm_rss_choice *ch = &d->cands[c];
        if (ch->none && none < 0)
            none = (int)c;
        if (!ch->none && ch->set == wide && ch->key_kind == FM_RSSKEY_DEFAULT)
            return (int)c;
    }
    return none >= 0 ? none : 0;
}

static void rss_spec(const fm_simulation_inputs *in, const fm_solve_device *d,
                     const fm_rss_choice *ch, fm_sim_rss_spec *sp)
{
    const fm_nic_profile *nic = &in->nic;
    memset(sp, 0, sizeof *sp);
    sp->cores = d->cores ? d->cores : 1;
    sp->reta_size = nic->reta_size; /* fm_sim_rss_init refuses one too small */
    sp->key4_len = sp->key6_len = nic->key_len;
    if (ch->none) { /* left alone: the NIC's own default hashing */
        int s = widest_set(nic);
        sp->hashed = s >= 0 ? nic->sets[s].fields : 0;
        sp->key4 = sp->key6 = nic->default_key;
    } else {
        sp->hashed = ch->hashed;
        sp->key4 = ch->key4;
        sp->key6 = ch->key6;
    }
}

/* Per device, the engine's view of the NFs it reaches (device->nfs order). */
static int build_nfs(const fm_solve_result *res, const fm_solve_device *d,
                     const fm_trace *t, fm_sim_nfs *out)
{
    fm_sim_nf *v = fm_xcalloc(d->nnfs + 1, sizeof *v);
    for (size_t k = 0; k < d->nnfs; k++) {
        const fm_solve_nf *nf = &res->nfs[d->nfs[k]];
        v[k].name = nf->name;
        v[k].stateful = nf->stateful;
        v[k].key = nf->key;
        v[k].symmetric = nf->symmetric;
        v[k].global = nf->key_kind != FM_KEY_FIELDS || nf->global_state;
    }
    int rc = fm_sim_nfs_build(out, t, v, d->nnfs);
    free(v);
    return rc;
}

/* Whether result NF k runs shared under combo x of component comp. */
static int nf_shared(const fm_solve_result *res, const fm_solve_component *comp,
                     const fm_solve_combo *x, int k)
{
    if (!res->nfs[k].stateful)
        return 0;
    for (size_t j = 0; j < comp->nnfs; j++)
        if (comp->nfs[j] == k)
            return !x->sn[j];
    return 1; /* forced shared, or decided elsewhere: shared */
}

static int replay_candidate(fm_simulation *s, const fm_sim_nfs *dev_nfs, int ci,
                            size_t xi, fm_sim_candidate *out, fm_error *err)
{
    const fm_simulation_inputs *in = s->in;
    const fm_solve_result *res = &in->res;
    const fm_solve_component *comp = &res->comps[ci];
    const fm_solve_combo *x = &comp->combos[xi];
    memset(out, 0, sizeof *out);
    out->comp = ci;
    out->combo = xi;
    out->chosen = xi == 0;
    out->cost = x->cost;
    out->is_default = 1;
    out->runs = fm_xcalloc(comp->ndevices, sizeof *out->runs);
    out->nruns = comp->ndevices;
    for (size_t i = 0; i < comp->ndevices; i++) {
        int dev = comp->devices[i];
        const fm_solve_device *d = &res->devices[dev];
        const fm_rss_choice *ch = &d->cands[x->choice[i]];
        out->is_default &= x->choice[i] == in->dflt[dev];
        fm_sim_rss_spec sp;
        rss_spec(in, d, ch, &sp);
        fm_sim_rss r;
        if (fm_sim_rss_init(&r, &sp, err) != 0)
            return -1;
        int *shared = fm_xcalloc(d->nnfs + 1, sizeof *shared);
        for (size_t k = 0; k < d->nnfs; k++)
            shared[k] = nf_shared(res, comp, x, d->nfs[k]);
        fm_sim_device_run *run = &out->runs[i];
        run->device = dev;
        run->cand = x->choice[i];
        run->imb_model = ch->none ? 1 : fm_cost_imbalance_bits(ch->bits, d->cores);
        int rc = fm_sim_replay(s->trace, &r, &dev_nfs[dev], shared, &run->res, err);
        free(shared);
        fm_sim_rss_free(&r);
        if (rc != 0)
            return -1;
        if (sp.cores > out->cores)
            out->cores = sp.cores;
    }
    out->core_pkts = fm_xcalloc(out->cores, sizeof *out->core_pkts);
    for (size_t i = 0; i < out->nruns; i++) {
        const fm_sim_result *rr = &out->runs[i].res;
        for (unsigned c = 0; c < rr->cores; c++)
            out->core_pkts[c] += rr->core_pkts[c];
        out->pkts += rr->load.total;
        out->shared_pkts += rr->shared_pkts;
        out->contended_pkts += rr->contended_pkts;
        out->violations += rr->violations;
    }
    fm_sim_load_compute(out->core_pkts, out->cores, &out->load);
    /* The model is weight * imbalance * per-packet cost per device; with one
     * device, swapping its imbalance for the trace's is exact. */
    out->cost_trace = -1;
    if (out->nruns == 1 && out->runs[0].imb_model > 0)
        out->cost_trace = x->cost / out->runs[0].imb_model * out->runs[0].res.load.imbalance;
    return 0;
}

static double ratio(double num, double den)
{
    return num >= 0 && den > 0 ? num / den : -1;
}

static void relate(fm_simulation *s)
{
    for (size_t i = 0; i < s->ncands; i++) {
        fm_sim_candidate *c = &s->cands[i];
        const fm_sim_candidate *ch = &s->cands[s->chosen_cand[c->comp]];
        int di = s->default_cand[c->comp];
        const fm_sim_candidate *df = di >= 0 ? &s->cands[di] : NULL;
        /* Throughput goes as 1 / cycles per packet. */
        c->tput_chosen = ratio(ch->cost, c->cost);
        c->tput_trace_chosen = ratio(ch->cost_trace, c->cost_trace);
        c->tput_default = df ? ratio(df->cost, c->cost) : -1;
        c->tput_trace_default = df ? ratio(df->cost_trace, c->cost_trace) : -1;
        if (c->cost_trace < 0)
            c->tput_trace_chosen = c->tput_trace_default = -1;
    }
}

int fm_simulate_run(const fm_simulate_opts *o, fm_simulation *out, fm_error *err)
{
    memset(out, 0, sizeof *out);
    fm_simulation_inputs *in = fm_xcalloc(1, sizeof *in);
    out->in = in;
    out->trace = o->trace;
    if (load(o, in, err) != 0)
        return -1;
    fm_solve_options so;
    memset(&so, 0, sizeof so);
    so.cores = o->cores;
    so.directional = o->directional;
    so.output = o->config;
    if (fm_solve_run(&in->cfg, &in->graph, &in->attrs, &in->prof, &in->nic, &in->cost,
                     &so, &in->res, err) != 0)
        return -1;
    in->have_res = 1;
    const fm_solve_result *res = &in->res;
    out->solve = res;
    in->dflt = fm_xcalloc(res->ndevices + 1, sizeof *in->dflt);
    fm_sim_nfs *dev_nfs = fm_xcalloc(res->ndevices + 1, sizeof *dev_nfs);
    for (size_t d = 0; d < res->ndevices; d++) {
        in->dflt[d] = default_candidate(&in->nic, &res->devices[d]);
        build_nfs(res, &res->devices[d], o->trace, &dev_nfs[d]);
    }
    out->ncomps = res->ncomps;
    out->default_cand = fm_xmalloc((res->ncomps + 1) * sizeof *out->default_cand);
    out->chosen_cand = fm_xmalloc((res->ncomps + 1) * sizeof *out->chosen_cand);
    size_t total = 0;
    for (size_t c = 0; c < res->ncomps; c++)
        total += res->comps[c].ncombos;
    out->cands = fm_xcalloc(total + 1, sizeof *out->cands);
    int rc = 0;
    for (size_t c = 0; c < res->ncomps && rc == 0; c++) {
        out->default_cand[c] = -1;
        out->chosen_cand[c] = (int)out->ncands;
        for (size_t x = 0; x < res->comps[c].ncombos && rc == 0; x++) {
            fm_sim_candidate *sc = &out->cands[out->ncands];
            rc = replay_candidate(out, dev_nfs, (int)c, x, sc, err);
            out->ncands++;
            if (rc == 0 && sc->is_default && out->default_cand[c] < 0)
                out->default_cand[c] = (int)out->ncands - 1;
        }
    }
    for (size_t d = 0; d < res->ndevices; d++)
        fm_sim_nfs_free(&dev_nfs[d]);
    free(dev_nfs);
    if (rc == 0)
        relate(out);
    return rc;
}

void fm_simulation_free(fm_simulation *s)
{
    for (size_t i = 0; i < s->ncands; i++) {
        fm_sim_candidate *c = &s->cands[i];
        for (size_t r = 0; r < c->nruns; r++)
            fm_sim_result_free(&c->runs[r].res);
        free(c->runs);
        free(c->core_pkts);
    }
    free(s->cands);
    free(s->default_cand);
    free(s->chosen_cand);
    if (s->in) {
        unload(s->in);
        free(s->in);
    }
    memset(s, 0, sizeof *s);
}
