/* simulate's binding to the solver, on tests/sh/simulate/chain.click and the
 * paper's scan16 chain, for two NIC profiles: every combination the solver
 * evaluated is replayed, in the solver's order, with its cost; per-core
 * counts equal a bit-by-bit Toeplitz + round-robin RETA recomputed here from
 * the solver's own candidate (hashed fields, keys); NF modes follow the
 * solver's shared-nothing flags; the solver's shared-nothing decisions are
 * sound on a trace with reverse traffic (no state entry split across
 * cores); throughput ratios are cost ratios; renderings are deterministic. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "naive_rss.h"
#include "flowmage/simulate.h"
#include "flowmage/solve.h"

static unsigned naive_core(const fm_flow_tuple *t, fm_fieldset f, const uint8_t *key,
                           size_t klen, unsigned reta_size, unsigned cores)
{
    uint8_t in[40];
    size_t n = naive_input(t, f, in);
    return (naive_toeplitz(key, klen, in, n) % reta_size) % cores;
}

static const char *root(void)
{
    const char *r = getenv("FM_ROOT");
    return r ? r : ".";
}

typedef struct counts {
    size_t bad_cores, bad_modes, bad_sum, naive_checked;
} counts;

/* Run r of candidate c: per-core counts against the naive hash (each
 * device setting once: combinations repeat them), NF modes against the
 * solver's flags. */
static void check_run(const fm_simulation *s, const fm_trace *t, const fm_sim_candidate *c,
                      size_t r, unsigned char checked[8][64], counts *n)
{
    const fm_solve_result *res = s->solve;
    const fm_solve_component *cp = &res->comps[c->comp];
    const fm_solve_combo *x = &cp->combos[c->combo];
    const fm_sim_device_run *run = &c->runs[r];
    const fm_solve_device *d = &res->devices[run->device];
    const fm_rss_choice *ch = &d->cands[run->cand];
    CHECK_INT(run->cand, x->choice[r]);
    uint64_t want[64] = {0}, sum = 0;
    /* every packet of a flow has the flow's hash */
    int fresh = !ch->none && run->cand < 64 && !checked[run->device][run->cand];
    if (fresh) {
        checked[run->device][run->cand] = 1;
        for (size_t f = 0; f < t->nflows; f++) {
            const fm_flow_tuple *ft = &t->flows[f];
            want[naive_core(ft, ch->hashed, ft->ipv6 ? ch->key6 : ch->key4,
                            res->nic->key_len, res->nic->reta_size, d->cores)] +=
                t->flow_pkts[f];
        }
        n->naive_checked++;
    }
    for (unsigned k = 0; k < run->res.cores; k++) {
        sum += run->res.core_pkts[k];
        n->bad_cores += fresh && run->res.core_pkts[k] != want[k];
    }
    n->bad_sum += sum != t->npkts;
    for (size_t k = 0; k < d->nnfs; k++) {
        const fm_solve_nf *nf = &res->nfs[d->nfs[k]];
        int sn = 0;
        for (size_t j = 0; j < cp->nnfs; j++)
            if (cp->nfs[j] == d->nfs[k])
                sn = x->sn[j];
        n->bad_modes += run->res.nf[k].shared != (nf->stateful && !sn);
    }
}

/* Every combination the solver evaluated is replayed, in its order, with
 * its cost, soundly. */
static void check_replays(const fm_simulation *s, const fm_trace *t, const char *config,
                          const char *nic)
{
    const fm_solve_result *res = s->solve;
    size_t total = 0, unsound = 0;
    for (size_t c = 0; c < res->ncomps; c++)
        total += res->comps[c].ncombos;
    CHECK_INT(s->ncands, total);
    counts n = {0};
    static unsigned char checked[8][64];
    memset(checked, 0, sizeof checked);
    CHECK(res->ndevices <= 8, "fixture has at most 8 devices");
    for (size_t i = 0; i < s->ncands; i++) {
        const fm_sim_candidate *c = &s->cands[i];
        const fm_solve_combo *x = &res->comps[c->comp].combos[c->combo];
        CHECK(c->cost == x->cost, "cost of combination %zu", c->combo);
        CHECK(c->chosen == (c->combo == 0), "chosen flag");
        CHECK(c->tput_chosen > 0 &&
              fabs(c->tput_chosen - s->cands[s->chosen_cand[c->comp]].cost / c->cost) < 1e-12,
              "tput vs chosen is a cost ratio");
        unsound += c->violations;
        for (size_t r = 0; r < c->nruns; r++)
            check_run(s, t, c, r, checked, &n);
    }
    CHECK(n.bad_cores == 0, "%s/%s: %zu per-core counts differ from the naive replay", config,
          nic, n.bad_cores);
    CHECK(n.bad_sum == 0, "per-core counts do not sum to the packets");
    CHECK(n.naive_checked >= 4, "%zu device settings checked against the naive hash",
          n.naive_checked);
    CHECK(n.bad_modes == 0, "%zu NF modes differ from the solver's flags", n.bad_modes);
    CHECK(unsound == 0, "%s/%s: %zu packets split a shared-nothing NF's state", config, nic,
          unsound);
}

/* The chosen row is combination 0; the default row replays the
 * configuration's own setting (want_default: the NIC's 4-tuple hashing). */
static void check_defaults(const fm_simulation *s, int want_default)
{
    const fm_solve_result *res = s->solve;
    for (size_t c = 0; c < s->ncomps; c++) {
        CHECK_INT(s->cands[s->chosen_cand[c]].combo, 0);
        int di = s->default_cand[c];
        CHECK(di >= 0, "default setting evaluated");
        if (di < 0)
            continue;
        const fm_sim_candidate *df = &s->cands[di];
        CHECK(fabs(df->tput_default - 1) < 1e-12, "default vs itself");
        CHECK(df->combo == res->comps[c].current_combo, "default = the solver's all-current");
        for (size_t r = 0; r < df->nruns; r++) {
            const fm_solve_device *d = &res->devices[df->runs[r].device];
            const fm_rss_choice *ch = &d->cands[df->runs[r].cand];
            CHECK(df->runs[r].cand == d->current_cand, "%s keeps its setting", d->name);
            /* what runs is the pre-solve setting: the candidate equal to
             * it, or "none" (left alone, replayed as d->current) */
            const fm_rss_choice *run = ch->none ? &d->current : ch;
            CHECK(run->none == d->current.none && run->hashed == d->current.hashed &&
                      !memcmp(run->key4, d->current.key4, res->nic->key_len),
                  "%s: default replays the configuration's own setting", d->name);
            if (want_default)
                CHECK(!d->current.none && d->current.key_kind == FM_RSSKEY_DEFAULT &&
                          d->current.hashed == (FM_F_SRC_IP | FM_F_DST_IP | FM_F_SRC_PORT |
                                                FM_F_DST_PORT),
                      "no RSS keyword: the NIC's default hashing, the 4-tuple");
        }
    }
}

/* The trace's imbalance in place of the model's, for every group
 * (multi-device ones too): the solver's own cost function. */
static void check_trace_costs(const fm_simulation *s)
{
    const fm_solve_result *res = s->solve;
    for (size_t i = 0; i < s->ncands; i++) {
        const fm_sim_candidate *c = &s->cands[i];
        const fm_solve_component *cp = &res->comps[c->comp];
        double imb[8];
        for (size_t r = 0; r < c->nruns && r < 8; r++)
            imb[r] = c->runs[r].res.load.imbalance;
        double want = fm_solve_combo_cost_with(res, cp, &cp->combos[c->combo], imb);
        CHECK(c->cost_trace >= 0 && fabs(c->cost_trace - want) < 1e-9 * (1 + want),
              "cost on the trace, combination %zu: %g vs %g", c->combo, c->cost_trace, want);
        if (c->nruns == 1)
            CHECK(fabs(c->cost_trace - c->cost / c->runs[0].imb_model *
                                           c->runs[0].res.load.imbalance) < 1e-6 * (1 + want),
                  "one device: cost scaled by trace/model imbalance");
        CHECK(c->tput_trace_default > 0 && c->tput_trace_chosen > 0, "trace ratios defined");
    }
}

/* Renderings: well-formed enough, and deterministic (o run again). */
static void check_renderings(const fm_simulation *s, const fm_simulate_opts *o)
{
    char *csv = fm_simulation_csv(s), *json = fm_simulation_json(s);
    char *svg = fm_simulation_svg(s), *dot = fm_simulation_dot(s), *tab = fm_simulation_table(s, 1, 0);
    size_t rows = 0, want_rows = 1;
    for (const char *p = csv; *p; p++)
        rows += *p == '\n';
    for (size_t i = 0; i < s->ncands; i++)
        for (size_t r = 0; r < s->cands[i].nruns; r++)
            want_rows += s->cands[i].runs[r].res.cores;
    CHECK_INT(rows, want_rows);
    cJSON *j = cJSON_Parse(json);
    CHECK(j && cJSON_GetArraySize(cJSON_GetObjectItem(j, "components")) == (int)s->ncomps, "JSON");
    cJSON_Delete(j);
    CHECK(!strncmp(svg, "<svg ", 5) && strstr(svg, "</svg>\n"), "SVG frame");
    CHECK(!strncmp(dot, "digraph", 7), "DOT");
    CHECK(strstr(tab, "\n* 1 ") || strstr(tab, "\n*d1 "), "table marks the chosen setting");
    fm_simulation s2;
    fm_error e = {0};
    CHECK_INT(fm_simulate_run(o, &s2, &e), 0);
    char *csv2 = fm_simulation_csv(&s2), *svg2 = fm_simulation_svg(&s2), *tab2 = fm_simulation_table(&s2, 1, 0);
    CHECK(!strcmp(csv, csv2) && !strcmp(svg, svg2) && !strcmp(tab, tab2), "deterministic");
    free(csv), free(json), free(svg), free(dot), free(tab), free(csv2), free(svg2), free(tab2);
    fm_simulation_free(&s2);
}

/* The trace of spec into *t, simulated as o says into *s: 0, or -1 after
 * a failed check naming what. */
static int simulate(const char *spec, fm_simulate_opts *o, fm_trace *t, fm_simulation *s,
                    const char *what)
{
    fm_synth_spec sp;
    fm_error e = {0};
    CHECK_INT(fm_synth_parse(spec, &sp, &e), 0);
    CHECK_INT(fm_synth_generate(&sp, t, &e), 0);
    o->trace = t;
    if (fm_simulate_run(o, s, &e) == 0)
        return 0;
    CHECK(0, "%s: %s", what, e.msg);
    return -1;
}

static void run_case(const char *config, const char *attrs, const char *nic, const char *spec,
                     int want_default)
{
    char cfg[1024], at[1024], prof[1024], nicp[1024], what[200];
    snprintf(cfg, sizeof cfg, "%s/%s", root(), config);
    snprintf(at, sizeof at, "%s/%s", root(), attrs);
    snprintf(prof, sizeof prof, "%s/profiles/fastclick.json", root());
    snprintf(nicp, sizeof nicp, "%s/profiles/nics/%s.json", root(), nic);
    snprintf(what, sizeof what, "%s with %s", config, nic);
    fm_trace t;
    fm_simulate_opts o = {cfg, at, nicp, prof, NULL, 0, 0, NULL, {NULL, NULL}};
    fm_simulation s;
    if (simulate(spec, &o, &t, &s, what) == 0) {
        check_replays(&s, &t, config, nic);
        check_defaults(&s, want_default);
        check_trace_costs(&s);
        check_renderings(&s, &o);
    }
    fm_simulation_free(&s);
    fm_trace_free(&t);
}

/* A configuration that sets its RSS before solving: the default rows are
 * its own settings — port a hashing src_ip (HASHFUNC), port b with RSS off
 * (every packet on queue 0) — and the chosen ones beat them on the trace. */
static void test_presolve(const char *spec)
{
    char cfg[1024], at[1024];
    snprintf(cfg, sizeof cfg, "%s/tests/sh/simulate/presolve.click", root());
    snprintf(at, sizeof at, "%s/tests/sh/simulate/attrs.json", root());
    fm_trace t;
    fm_simulate_opts o = {cfg, at, NULL, NULL, NULL, 0, 0, NULL, {NULL, NULL}};
    fm_simulation s;
    if (simulate(spec, &o, &t, &s, "presolve.click") != 0) {
        fm_simulation_free(&s);
        fm_trace_free(&t);
        return;
    }
    const fm_solve_result *res = s.solve;
    CHECK_STR(res->nic->name, FM_SOLVE_DEFAULT_NIC);
    size_t seen = 0;
    for (size_t c = 0; c < s.ncomps; c++) {
        const fm_sim_candidate *df = &s.cands[s.default_cand[c]];
        for (size_t r = 0; r < df->nruns; r++) {
            const fm_solve_device *d = &res->devices[df->runs[r].device];
            const fm_sim_result *rr = &df->runs[r].res;
            if (!strcmp(d->name, "a")) {
                seen++;
                const fm_rss_choice *ch = &d->cands[df->runs[r].cand];
                CHECK(!ch->none && ch->hashed == FM_F_SRC_IP, "a: default hashes src_ip");
                /* flows of one source share a core: per-core counts follow
                 * the sources alone */
                uint64_t want[4] = {0};
                for (size_t f = 0; f < t.nflows; f++)
                    want[naive_core(&t.flows[f], FM_F_SRC_IP,
                                    t.flows[f].ipv6 ? ch->key6 : ch->key4, res->nic->key_len,
                                    res->nic->reta_size, 4)] += t.flow_pkts[f];
                CHECK(rr->cores == 4 && !memcmp(rr->core_pkts, want, sizeof want),
                      "a: default per-core counts = src_ip hashing");
            } else {
                seen++;
                CHECK(d->current.none, "b: RSS off before solving");
                CHECK(rr->core_pkts[0] == t.npkts && rr->load.imbalance == 4,
                      "b: default puts every packet on queue 0 (imbalance %g)",
                      rr->load.imbalance);
                CHECK(df->runs[r].imb_model == 4, "b: and the model says so");
            }
        }
        const fm_sim_candidate *ch = &s.cands[s.chosen_cand[c]];
        CHECK(ch->tput_trace_default >= 1, "chosen at least as fast as the default on the "
              "trace (%g)", ch->tput_trace_default);
    }
    CHECK_INT(seen, 2);
    fm_simulation_free(&s);
    fm_trace_free(&t);
}

int main(void)
{
    const char *spec = "flows=1500,packets=20000,srcs=300,dsts=40,reverse=0.4,ipv6=0.2,"
                       "proto=tcp:0.7+udp:0.25+other:0.05,seed=3";
    run_case("tests/sh/simulate/chain.click", "tests/sh/simulate/attrs.json", "ixgbe", spec, 1);
    run_case("tests/sh/simulate/chain.click", "tests/sh/simulate/attrs.json", "mlx5", spec, 1);
    run_case("tests/sh/simulate/twoports.click", "tests/sh/simulate/attrs.json", "mlx5", spec, 1);
    run_case("tests/sh/simulate/presolve.click", "tests/sh/simulate/attrs.json", "mlx5", spec, 0);
    test_presolve(spec);

    /* Bad input comes back as an error, not a crash. */
    fm_trace t;
    fm_synth_spec sp;
    fm_error e = {0};
    fm_synth_parse("flows=10,packets=10,srcs=5,dsts=5", &sp, &e);
    fm_synth_generate(&sp, &t, &e);
    fm_simulate_opts o = {"/nonexistent/chain.click", "x.json", NULL, NULL, NULL, 0, 0, &t, {NULL, NULL}};
    fm_simulation s;
    CHECK_INT(fm_simulate_run(&o, &s, &e), -1);
    CHECK(strstr(e.file, "chain.click") || strstr(e.msg, "chain.click") ||
          strstr(e.file, "fastclick.json"), "error names a file: %s: %s", e.file, e.msg);
    fm_simulation_free(&s);
    fm_trace_free(&t);
    return fm_t_done("test_simulate_solve",
                     "every solver combination replayed with its cost; per-core counts "
                     "= bit-by-bit Toeplitz of the solver's candidates (ixgbe, mlx5; IPv4 "
                     "and IPv6; symmetric and restricted keys); NF modes = solver flags; "
                     "no shared-nothing state split on a trace with replies; tput = cost "
                     "ratios; trace costs via fm_solve_combo_cost_with (multi-device too); "
                     "default = the configuration's own pre-solve setting (NIC default, "
                     "HASHFUNC, RSS off); renderings deterministic");
}
