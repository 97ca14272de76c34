/* Layer 2 of simulate: ask the solver (include/flowmage/solve.h) for every
 * device's candidates and every combination it evaluated with its cost, and
 * replay the trace under each (include/flowmage/simulate.h). */
#include "flowmage/simulate.h"

#include <stdlib.h>
#include <string.h>

#include "flowmage/attrs.h"
#include "flowmage/click.h"
#include "flowmage/solve.h"

typedef struct fm_simulation_inputs {
    fm_solve_inputs in;      /* the solver's loader (shared with solve, deploy) */
    fm_attrs attrs;
    fm_solve_result res;
    int have_in, have_attrs, have_res;
} fm_simulation_inputs;

static int load(const fm_simulate_opts *o, fm_simulation_inputs *in, fm_error *err)
{
    if (fm_solve_inputs_load(&in->in, o->config, o->profile, o->nic, o->cost_model,
                             err) != 0)
        return -1;
    in->have_in = 1;
    if (fm_attrs_load(o->attrs, &in->attrs, err) != 0)
        return -1;
    in->have_attrs = 1;
    return 0;
}

static void unload(fm_simulation_inputs *in)
{
    if (in->have_res)
        fm_solve_result_free(&in->res);
    if (in->have_attrs)
        fm_attrs_free(&in->attrs);
    if (in->have_in)
        fm_solve_inputs_free(&in->in);
}

/* What the NIC does under a device's choice: a "none" choice leaves the
 * device as the configuration has it (the solver's `current`: its rules,
 * HASHFUNC or the NIC's default hashing; no field hashed when RSS is off,
 * so every packet lands on queue 0). */
static void rss_spec(const fm_simulation_inputs *in, const fm_solve_device *d,
                     const fm_rss_choice *ch, fm_sim_rss_spec *sp)
{
    const fm_nic_profile *nic = &in->in.nic;
    memset(sp, 0, sizeof *sp);
    sp->cores = d->cores ? d->cores : 1;
    sp->reta_size = nic->reta_size; /* fm_sim_rss_init refuses one too small */
    sp->key4_len = sp->key6_len = nic->key_len;
    if (ch->none)
        ch = &d->current;
    sp->hashed = ch->none ? 0 : ch->hashed;
    sp->key4 = ch->none ? nic->default_key : ch->key4;
    sp->key6 = ch->none ? nic->default_key : ch->key6;
}

/* Per device, the engine's view of the NFs it reaches (device->nfs order). */
static int build_nfs(const fm_solve_result *res, const fm_solve_device *d,
                     const fm_trace *t, fm_sim_nfs *out)
{
    fm_sim_nf *v = fm_xcalloc(d->nnfs + 1, sizeof *v);
    int dev = (int)(d - res->devices);
    for (size_t k = 0; k < d->nnfs; k++) {
        const fm_solve_nf *nf = &res->nfs[d->nfs[k]];
        v[k].name = nf->name;
        v[k].stateful = nf->stateful;
        v[k].key = nf->key;
        v[k].symmetric = nf->symmetric;
        v[k].global = nf->key_kind != FM_KEY_FIELDS || nf->global_state;
        if (!nf->by_port)
            continue;
        /* keys per input port: the key of the ports this device reaches
         * (their intersection when several: coarser entries, never fewer
         * contended ones) */
        int any = 0, unknown = 0, sym = 0;
        fm_fieldset key = FM_F_ALL;
        for (size_t a = 0; a < nf->narrivals; a++) {
            const fm_solve_port *p = &nf->ports[nf->arrivals[a].port];
            if (nf->arrivals[a].device != dev || p->kind == FM_KEY_NONE)
                continue;
            any = 1;
            unknown |= p->kind != FM_KEY_FIELDS;
            key &= p->key;
            sym |= p->symmetric;
        }
        v[k].stateful = nf->stateful && any;
        v[k].key = key;
        v[k].symmetric = sym;
        v[k].global = unknown || nf->global_state;
    }
    int rc = fm_sim_nfs_build(out, t, v, d->nnfs);
    free(v);
    return rc;
}

/* Whether result NF k runs shared under combo x of component comp.  What
 * the configuration does before solving (as_configured) follows the NF's
 * mode keyword when it has one (SHARED 1: one shared table whatever RSS
 * does; SHARED 0: a table per core, so state that RSS splits is split);
 * every combination solve would deploy writes the mode its decision needs. */
static int nf_shared(const fm_solve_result *res, const fm_solve_component *comp,
                     const fm_solve_combo *x, int k, int as_configured)
{
    if (!res->nfs[k].stateful)
        return 0;
    const fm_solve_mode *md = &res->nfs[k].mode;
    if (as_configured && md->spec && md->current_shared >= 0)
        return md->current_shared;
    for (size_t j = 0; j < comp->nnfs; j++)
        if (comp->nfs[j] == k)
            return !x->sn[j];
    return 1; /* forced shared, or decided elsewhere: shared */
}

/* The trace device dev gets: its side of a two-port replay, else all. */
static const fm_trace *trace_of(const fm_simulation *s, int dev)
{
    for (int i = 0; i < 2; i++)
        if (s->pair_dev[i] == dev)
            return &s->pair_trace[i];
    return s->trace;
}

/* NFs both paired devices reach, counted across the two sides; their
 * per-device violations are replaced by the cross-side ones. */
static void replay_pair(fm_simulation *s, const fm_solve_component *comp,
                        const fm_solve_combo *x, const fm_sim_rss *rss[2],
                        int as_configured, fm_sim_candidate *out)
{
    const fm_solve_result *res = &s->in->res;
    const fm_trace *side[2] = {&s->pair_trace[0], &s->pair_trace[1]};
    for (size_t k = 0; k < res->nnfs; k++) {
        const fm_solve_nf *nf = &res->nfs[k];
        int both = 0;
        for (size_t i = 0; i < nf->ndevices; i++)
            both += nf->devices[i] == s->pair_dev[0] || nf->devices[i] == s->pair_dev[1];
        if (!nf->stateful || both != 2)
            continue;
        out->pair = fm_xrealloc(out->pair, (out->npair + 1) * sizeof *out->pair);
        fm_sim_pair_result *p = &out->pair[out->npair++];
        fm_sim_pair_nf(res, (int)k, s->pair_dev, side, rss, nf_shared(res, comp, x, (int)k, as_configured), p);
        for (size_t r = 0; r < out->nruns; r++) {
            const fm_solve_device *d = &res->devices[out->runs[r].device];
            for (size_t j = 0; j < d->nnfs; j++)
                if (d->nfs[j] == (int)k && (out->runs[r].device == s->pair_dev[0] ||
                                            out->runs[r].device == s->pair_dev[1]))
                    out->violations -= out->runs[r].res.nf[j].violations;
        }
        out->violations += p->violations;
    }
}

/* as_configured: the NFs run as the configuration's mode keywords say (the
 * default row), else as solve writes them. */
static int replay_candidate(fm_simulation *s, const fm_sim_nfs *dev_nfs, int ci,
                            size_t xi, int as_configured, fm_sim_candidate *out,
                            fm_error *err)
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
    out->is_default = xi == comp->current_combo;
    out->runs = fm_xcalloc(comp->ndevices, sizeof *out->runs);
    out->nruns = comp->ndevices;
    fm_sim_rss pair_rss[2];
    int kept[2] = {0, 0}, rc = 0;
    for (size_t i = 0; i < comp->ndevices && rc == 0; i++) {
        int dev = comp->devices[i];
        const fm_solve_device *d = &res->devices[dev];
        const fm_rss_choice *ch = &d->cands[x->choice[i]];
        fm_sim_rss_spec sp;
        rss_spec(in, d, ch, &sp);
        fm_sim_rss r;
        if (fm_sim_rss_init(&r, &sp, err) != 0) {
            rc = -1;
            break;
        }
        int *shared = fm_xcalloc(d->nnfs + 1, sizeof *shared);
        for (size_t k = 0; k < d->nnfs; k++)
            shared[k] = nf_shared(res, comp, x, d->nfs[k], as_configured);
        fm_sim_device_run *run = &out->runs[i];
        run->device = dev;
        run->cand = x->choice[i];
        run->imb_model = fm_solve_choice_imbalance(res, d, ch);
        rc = fm_sim_replay(trace_of(s, dev), &r, &dev_nfs[dev], shared, &run->res, err);
        free(shared);
        int paired = s->pair_dev[0] == dev ? 0 : s->pair_dev[1] == dev ? 1 : -1;
        if (paired >= 0) { /* kept for the count across both sides */
            pair_rss[paired] = r;
            kept[paired] = 1;
        } else {
            fm_sim_rss_free(&r);
        }
        if (sp.cores > out->cores)
            out->cores = sp.cores;
    }
    out->core_pkts = fm_xcalloc(out->cores + 1, sizeof *out->core_pkts);
    for (size_t i = 0; rc == 0 && i < out->nruns; i++) {
        const fm_sim_result *rr = &out->runs[i].res;
        for (unsigned c = 0; c < rr->cores; c++)
            out->core_pkts[c] += rr->core_pkts[c];
        out->pkts += rr->load.total;
        out->shared_pkts += rr->shared_pkts;
        out->contended_pkts += rr->contended_pkts;
        out->violations += rr->violations;
    }
    if (rc == 0 && kept[0] && kept[1]) {
        const fm_sim_rss *pr[2] = {&pair_rss[0], &pair_rss[1]};
        replay_pair(s, comp, x, pr, as_configured, out);
    }
    for (int p = 0; p < 2; p++)
        if (kept[p])
            fm_sim_rss_free(&pair_rss[p]);
    if (rc != 0)
        return -1;
    fm_sim_load_compute(out->core_pkts, out->cores, &out->load);
    /* The model is, per device, weight * imbalance * per-packet cost: put
     * each device's measured imbalance in place of the model's. */
    double *imb = fm_xmalloc((out->nruns + 1) * sizeof *imb);
    for (size_t i = 0; i < out->nruns; i++)
        imb[i] = out->runs[i].res.load.imbalance;
    out->cost_trace = fm_solve_combo_cost_with(res, comp, x, imb);
    free(imb);
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

/* Some NF of the component runs otherwise as configured than solve writes. */
static int modes_differ(const fm_solve_result *res, const fm_solve_component *cp)
{
    for (size_t i = 0; i < cp->ndevices; i++) {
        const fm_solve_device *d = &res->devices[cp->devices[i]];
        for (size_t j = 0; j < d->nnfs; j++) {
            const fm_solve_mode *md = &res->nfs[d->nfs[j]].mode;
            if (md->spec && md->value && md->current_shared >= 0 &&
                md->current_shared != !strcmp(md->value, md->spec->shared))
                return 1;
        }
    }
    return 0;
}

/* --two-port A,B: the devices, and the trace split between them. */
static int pair_devices(const fm_simulate_opts *o, fm_simulation *s, fm_error *err)
{
    const fm_solve_result *res = s->solve;
    for (int p = 0; p < 2; p++) {
        for (size_t d = 0; d < res->ndevices; d++)
            if (o->pair[p] && !strcmp(res->devices[d].name, o->pair[p]))
                s->pair_dev[p] = (int)d;
        if (s->pair_dev[p] < 0) {
            fm_buf names;
            fm_buf_init(&names);
            for (size_t d = 0; d < res->ndevices; d++)
                fm_buf_printf(&names, "%s%s", d ? ", " : "", res->devices[d].name);
            fm_fail(err, FM_ERR_INPUT, o->config, 0, 0, "--two-port: no input device named "
                    "'%s' (its input devices: %s)", o->pair[p] ? o->pair[p] : "",
                    names.len ? fm_buf_cstr(&names) : "none");
            fm_buf_free(&names);
            return -1;
        }
    }
    if (s->pair_dev[0] == s->pair_dev[1])
        return fm_fail(err, FM_ERR_INPUT, o->config, 0, 0,
                       "--two-port needs two different devices, not '%s' twice", o->pair[0]);
    fm_trace_split_directions(o->trace, &s->pair_trace[0], &s->pair_trace[1]);
    return 0;
}

int fm_simulate_run(const fm_simulate_opts *o, fm_simulation *out, fm_error *err)
{
    memset(out, 0, sizeof *out);
    out->pair_dev[0] = out->pair_dev[1] = -1;
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
    fm_solve_inputs *si = &in->in;
    if (fm_solve_run(&si->cfg, &si->graph, &in->attrs, &si->prof, &si->nic, &si->cost,
                     &so, &in->res, err) != 0)
        return -1;
    in->have_res = 1;
    const fm_solve_result *res = &in->res;
    out->solve = res;
    if (o->pair[0] && pair_devices(o, out, err) != 0)
        return -1;
    fm_sim_nfs *dev_nfs = fm_xcalloc(res->ndevices + 1, sizeof *dev_nfs);
    for (size_t d = 0; d < res->ndevices; d++)
        build_nfs(res, &res->devices[d], trace_of(out, (int)d), &dev_nfs[d]);
    out->ncomps = res->ncomps;
    out->default_cand = fm_xmalloc((res->ncomps + 1) * sizeof *out->default_cand);
    out->chosen_cand = fm_xmalloc((res->ncomps + 1) * sizeof *out->chosen_cand);
    size_t total = 0;
    for (size_t c = 0; c < res->ncomps; c++)
        total += res->comps[c].ncombos;
    out->cands = fm_xcalloc(total + res->ncomps + 1, sizeof *out->cands);
    int rc = 0;
    for (size_t c = 0; c < res->ncomps && rc == 0; c++) {
        const fm_solve_component *cp = &res->comps[c];
        out->default_cand[c] = -1;
        out->chosen_cand[c] = (int)out->ncands;
        for (size_t x = 0; x < cp->ncombos && rc == 0; x++) {
            /* chosen and current alike: one row, unless the configuration's
             * modes differ from what solve writes: then a default row too */
            int twice = x == 0 && cp->current_combo == 0 && modes_differ(res, cp);
            for (int pass = 0; pass <= twice && rc == 0; pass++) {
                fm_sim_candidate *sc = &out->cands[out->ncands];
                int as_configured = x == cp->current_combo && (!twice || pass);
                rc = replay_candidate(out, dev_nfs, (int)c, x, as_configured, sc, err);
                out->ncands++;
                if (twice) {
                    sc->is_default = pass;
                    sc->chosen = !pass;
                }
                if (rc == 0 && sc->is_default) /* the solver always evaluates it */
                    out->default_cand[c] = (int)out->ncands - 1;
            }
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
        free(c->pair);
    }
    if (s->pair_dev[0] >= 0) {
        fm_trace_free(&s->pair_trace[0]);
        fm_trace_free(&s->pair_trace[1]);
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
