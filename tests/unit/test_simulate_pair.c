/* simulate on two ports and with NF modes: a trace's connections arrive on
 * `inside` and their replies on `outside` (tests/solve/twoport.click); the
 * chosen setting (inside dst_ip, outside src_ip) reaches no entry of the
 * rate monitor or the NAT from two cores, checked against a brute-force
 * count with the naive Toeplitz reference; the default setting does.  The
 * default row follows the NF mode keywords the configuration sets: SHARED 1
 * runs shared whatever RSS does, SHARED 0 behind a hash that splits its key
 * is unsound. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "naive_rss.h"
#include "flowmage/simulate.h"
#include "flowmage/solve.h"

static const char *root(void)
{
    const char *r = getenv("FM_ROOT");
    return r ? r : ".";
}

static int gen(const char *spec, fm_trace *t)
{
    fm_synth_spec sp;
    fm_error e = {0};
    int rc = fm_synth_parse(spec, &sp, &e) == 0 ? fm_synth_generate(&sp, t, &e) : -1;
    CHECK(rc == 0, "%s: %s", spec, e.msg);
    return rc;
}

static void test_split(void)
{
    fm_trace t, f, r;
    if (gen("flows=3000,packets=30k,reverse=0.4,ipv6=0.2,seed=5", &t) != 0)
        return;
    fm_trace_split_directions(&t, &f, &r);
    CHECK_INT(f.npkts + r.npkts, t.npkts);
    CHECK_INT(f.nflows + r.nflows, t.nflows);
    CHECK_INT(f.nflows, 3000); /* one first direction per connection */
    CHECK(r.nflows > 2000, "replies: %zu", r.nflows);
    size_t mirrored = 0;
    for (size_t i = 0; i < r.nflows && i < 200; i++)
        for (size_t k = 0; k < f.nflows; k++)
            if (!memcmp(f.flows[k].src, r.flows[i].dst, 16) &&
                !memcmp(f.flows[k].dst, r.flows[i].src, 16) &&
                f.flows[k].sport == r.flows[i].dport && f.flows[k].dport == r.flows[i].sport &&
                f.flows[k].proto == r.flows[i].proto) {
                mirrored++;
                break;
            }
    CHECK_INT(mirrored, r.nflows < 200 ? r.nflows : 200);
    fm_trace_free(&f);
    fm_trace_free(&r);
    fm_trace_free(&t);
}

static unsigned naive_core(const fm_solve_result *res, const fm_solve_device *d,
                           const fm_rss_choice *ch, const fm_flow_tuple *t)
{
    uint8_t in[FM_RSS_INPUT_MAX];
    size_t n = naive_input(t, ch->hashed, in);
    uint32_t h = naive_toeplitz(t->ipv6 ? ch->key6 : ch->key4, res->nic->key_len, in, n);
    return (h & (res->nic->reta_size - 1)) % d->cores;
}

/* The monitor's entries by brute force: the remote host of every packet
 * (destination inside, source outside), and the cores that see it. */
static size_t brute_multi(const fm_simulation *s, const fm_sim_candidate *c, size_t *entries)
{
    const fm_solve_result *res = s->solve;
    const fm_rss_choice *ch[2];
    for (int p = 0; p < 2; p++)
        for (size_t r = 0; r < c->nruns; r++)
            if (c->runs[r].device == s->pair_dev[p])
                ch[p] = &res->devices[c->runs[r].device].cands[c->runs[r].cand];
    size_t n = 0, multi = 0, cap = s->pair_trace[0].nflows + s->pair_trace[1].nflows;
    uint8_t(*addr)[17] = calloc(cap + 1, sizeof *addr);
    int *core = calloc(cap + 1, sizeof *core);
    for (int p = 0; p < 2; p++) {
        const fm_trace *t = &s->pair_trace[p];
        const fm_solve_device *d = &res->devices[s->pair_dev[p]];
        for (size_t f = 0; f < t->nflows; f++) {
            uint8_t a[17];
            a[0] = (uint8_t)t->flows[f].ipv6;
            memcpy(a + 1, p == 0 ? t->flows[f].dst : t->flows[f].src, 16);
            int k = naive_core(res, d, ch[p], &t->flows[f]), found = 0;
            for (size_t e = 0; e < n && !found; e++)
                if (!memcmp(addr[e], a, 17)) {
                    found = 1;
                    if (core[e] >= 0 && core[e] != k) {
                        core[e] = -1;
                        multi++;
                    }
                }
            if (!found) {
                memcpy(addr[n], a, 17);
                core[n++] = k;
            }
        }
    }
    free(addr);
    free(core);
    *entries = n;
    return multi;
}

static const fm_sim_pair_result *pair_of(const fm_simulation *s, const fm_sim_candidate *c,
                                         const char *nf)
{
    for (size_t i = 0; i < c->npair; i++)
        if (!strcmp(s->solve->nfs[c->pair[i].nf].name, nf))
            return &c->pair[i];
    CHECK(0, "no two-port result for %s", nf);
    return NULL;
}

static void test_two_ports(void)
{
    char cfg[1024], at[1024];
    snprintf(cfg, sizeof cfg, "%s/tests/solve/twoport.click", root());
    snprintf(at, sizeof at, "%s/tests/solve/attrs.json", root());
    fm_trace t;
    if (gen("flows=6000,packets=60k,srcs=800,dsts=120,reverse=0.5,ipv6=0.1,seed=9", &t) != 0)
        return;
    fm_simulate_opts o;
    memset(&o, 0, sizeof o);
    o.config = cfg;
    o.attrs = at;
    o.trace = &t;
    o.pair[0] = "inside";
    o.pair[1] = "outside";
    fm_simulation s;
    fm_error e = {0};
    if (fm_simulate_run(&o, &s, &e) != 0) {
        CHECK(0, "simulate: %s", e.msg);
        fm_simulation_free(&s);
        fm_trace_free(&t);
        return;
    }
    const fm_sim_candidate *ch = &s.cands[s.chosen_cand[0]];
    const fm_sim_candidate *df = &s.cands[s.default_cand[0]];
    CHECK_INT(s.pair_trace[0].npkts + s.pair_trace[1].npkts, t.npkts);
    const fm_sim_pair_result *mon = pair_of(&s, ch, "mon"), *nat = pair_of(&s, ch, "nat");
    if (mon && nat) {
        CHECK(!mon->shared && !nat->shared, "both shared-nothing");
        CHECK(mon->entries >= 100 && nat->entries > 1000, "entries: %llu %llu",
              (unsigned long long)mon->entries, (unsigned long long)nat->entries);
        CHECK_INT(mon->multi_entries, 0);
        CHECK_INT(nat->multi_entries, 0);
        CHECK_INT(mon->pkts, t.npkts);
        size_t n, multi = brute_multi(&s, ch, &n);
        CHECK_INT(n, mon->entries);
        CHECK_INT(multi, 0);
    }
    CHECK_INT(ch->violations, 0);
    const fm_sim_pair_result *dmon = pair_of(&s, df, "mon");
    if (dmon) {
        size_t n, multi = brute_multi(&s, df, &n);
        CHECK(dmon->shared && dmon->multi_entries > 0, "default: monitor entries split");
        CHECK_INT(dmon->multi_entries, multi);
        CHECK_INT(dmon->entries, n);
    }
    char *table = fm_simulation_table(&s, 1, 3);
    CHECK(strstr(table, "two ports: connections on inside, replies on outside") &&
              strstr(table, "shared-nothing, 0 of "), "table: %s", table);
    free(table);
    char *js = fm_simulation_json(&s);
    CHECK(strstr(js, "\"two_port\": [") && strstr(js, "\"multi_core_entries\": 0"), "json");
    free(js);
    fm_simulation_free(&s);
    /* unknown device names are refused with the devices there are */
    o.pair[1] = "nope";
    CHECK(fm_simulate_run(&o, &s, &e) != 0 &&
              strstr(e.msg, "--two-port: no input device named 'nope' (its input devices: "
                            "inside, outside)"), "%s", e.msg);
    fm_simulation_free(&s);
    fm_trace_free(&t);
}

/* The default row runs the NFs as their mode keywords say. */
static void test_modes(void)
{
    char cfg[1024], at[1024];
    snprintf(cfg, sizeof cfg, "%s/modes.click", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    snprintf(at, sizeof at, "%s/tests/solve/attrs.json", root());
    FILE *f = fopen(cfg, "w");
    CHECK(f != NULL, "write %s", cfg);
    if (!f)
        return;
    fputs("FromDPDKDevice(0, N_QUEUES 8, HASHFUNC \"src_ip\")\n"
          "  -> IPortScanDetector(SHARED 1) -> IPolicer(SHARED 0) -> Discard;\n", f);
    fclose(f);
    fm_trace t;
    if (gen("flows=4000,packets=40k,srcs=500,dsts=60,seed=2", &t) != 0)
        return;
    fm_simulate_opts o;
    memset(&o, 0, sizeof o);
    o.config = cfg;
    o.attrs = at;
    o.trace = &t;
    fm_simulation s;
    fm_error e = {0};
    if (fm_simulate_run(&o, &s, &e) == 0) {
        const fm_sim_candidate *ch = &s.cands[s.chosen_cand[0]];
        const fm_sim_candidate *df = &s.cands[s.default_cand[0]];
        CHECK(ch->runs[0].cand == df->runs[0].cand, "the RSS stays (src_ip)");
        const fm_sim_nf_result *cd = &ch->runs[0].res.nf[0], *cp = &ch->runs[0].res.nf[1];
        const fm_sim_nf_result *dd = &df->runs[0].res.nf[0], *dp = &df->runs[0].res.nf[1];
        CHECK(!cd->shared && cp->shared, "chosen: the modes of the decisions");
        CHECK(dd->shared, "default: SHARED 1 runs shared although src_ip keeps it apart");
        CHECK(!dp->shared && dp->violations > 0, "default: SHARED 0 on a split key: unsound");
        CHECK_INT(ch->violations, 0);
        CHECK(df->violations > 0, "the default row is unsound");
    } else {
        CHECK(0, "simulate: %s", e.msg);
    }
    fm_simulation_free(&s);
    fm_trace_free(&t);
    remove(cfg);
}

int main(void)
{
    test_split();
    test_two_ports();
    test_modes();
    return fm_t_done("test_simulate_pair",
                     "direction split; two-port replay of the two-port chain: zero entries "
                     "from two cores under the chosen setting, the default's split entries, "
                     "both equal to a brute-force count with the naive Toeplitz reference; "
                     "NF modes in the default row (SHARED 1 shared, SHARED 0 on a split key "
                     "unsound)");
}
