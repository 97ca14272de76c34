/* The setting each input device has before solving (the configuration's
 * flow rules file, HASHFUNC/HASHKEY, RSS off, else the NIC's default
 * hashing), the candidate that keeps it, the combination where every device
 * keeps it (always evaluated: exhaustive, greedy, and when devices of one
 * port disagree), and the public cost function on every evaluated
 * combination. */
#include <math.h>

#include "solve_test.h"

static char *attrs;

static char tmpdir[512];

/* Write text to tmpdir/name; returns the path (static buffer). */
static const char *tmp_file(const char *name, const char *text)
{
    static char path[640];
    fm_error err;
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    CHECK(fm_write_file_atomic(path, text, strlen(text), &err) == 0, "write %s: %s", path,
          err.msg);
    return path;
}

/* The combination where every device keeps its current setting: flagged,
 * at current_combo, its choices the devices' current_cand. */
static void check_current_combo(st_ctx *c)
{
    for (size_t k = 0; k < c->res.ncomps; k++) {
        const fm_solve_component *comp = &c->res.comps[k];
        size_t flagged = 0;
        for (size_t i = 0; i < comp->ncombos; i++)
            flagged += comp->combos[i].current != 0;
        CHECK_INT(flagged, 1);
        CHECK(comp->current_combo < comp->ncombos, "current_combo in range");
        const fm_solve_combo *x = &comp->combos[comp->current_combo];
        CHECK(x->current, "current_combo is the flagged one");
        for (size_t i = 0; i < comp->ndevices; i++) {
            const fm_solve_device *d = &c->res.devices[comp->devices[i]];
            CHECK(x->choice[i] == d->current_cand, "%s keeps candidate %d (got %d)", d->name,
                  d->current_cand, x->choice[i]);
        }
        /* the public cost function reproduces every evaluated cost, and
         * scales with the imbalance it is given */
        for (size_t i = 0; i < comp->ncombos; i++) {
            const fm_solve_combo *y = &comp->combos[i];
            double imb[16], twice[16];
            for (size_t j = 0; j < comp->ndevices && j < 16; j++) {
                const fm_solve_device *d = &c->res.devices[comp->devices[j]];
                imb[j] = fm_solve_choice_imbalance(&c->res, d, &d->cands[y->choice[j]]);
                twice[j] = 2 * imb[j];
            }
            CHECK(fabs(fm_solve_combo_cost_with(&c->res, comp, y, NULL) - y->cost) < 1e-9,
                  "cost_with(NULL) = cost");
            CHECK(fabs(fm_solve_combo_cost_with(&c->res, comp, y, imb) - y->cost) < 1e-9,
                  "cost_with(model imbalance) = cost");
            CHECK(fabs(fm_solve_combo_cost_with(&c->res, comp, y, twice) - 2 * y->cost) < 1e-6,
                  "twice the imbalance, twice the cost");
        }
    }
}

/* Into cfg: scan16's device reading, through MODE flow, the rules the
 * solver wrote for c (saved as tmpdir/name). */
static void rules_config(st_ctx *c, const char *name, char *cfg, size_t n)
{
    fm_solve_output out;
    CHECK(fm_solve_plan(&c->cfg, &c->res, &c->prof, &out, &c->err) == 0, "plan");
    const char *rules = out.nfiles ? tmp_file(name, out.files[0].text) : "";
    snprintf(cfg, n, "in :: FromDPDKDevice(0, N_QUEUES 16, MODE flow, "
             "FLOW_RULES_FILE %s);\nin -> scan :: PortScanDetector -> Discard;\n", rules);
    fm_solve_output_free(&out);
}

/* No RSS keyword: the NIC's default hashing; then the solver's own rules
 * file read back. */
static void test_default_and_rules(const char *scan)
{
    st_ctx c;
    char cfg[1024] = "";
    /* no RSS keyword: the NIC's default hashing, and its candidate */
    if (st_solve(&c, scan, attrs, "mlx5", NULL) == 0) {
        fm_solve_device *d = st_dev(&c, "in");
        const fm_rss_choice *cur = &d->current;
        CHECK(!cur->none && cur->hashed == (FM_F_ALL & ~FM_F_PROTO) &&
                  cur->key_kind == FM_RSSKEY_DEFAULT && cur->set == 0,
              "default: the widest set, default key");
        CHECK(!strcmp(d->current_from, "the NIC's default hashing"), "from: %s",
              d->current_from);
        CHECK(d->current_cand == 0 && d->cands[0].fields == cur->fields, "its candidate");
        check_current_combo(&c);
        /* the solver's own rules file reads back as the setting it chose */
        rules_config(&c, "scan16.rules", cfg, sizeof cfg);
    }
    st_free(&c);
    if (st_solve(&c, cfg, attrs, "mlx5", NULL) == 0) {
        fm_solve_device *d = st_dev(&c, "in");
        CHECK(d->current.fields == FM_F_SRC_IP && d->current.key_kind == FM_RSSKEY_DEFAULT,
              "rules file: src_ip (%#x)", d->current.fields);
        CHECK(!strncmp(d->current_from, "rules file ", 11), "from: %s", d->current_from);
        CHECK(d->cands[d->current_cand].fields == FM_F_SRC_IP, "its candidate");
        check_current_combo(&c);
    }
    st_free(&c);
}

/* ixgbe: a restricted key reads back as restricted, from a rules file and
 * from HASHFUNC + HASHKEY. */
static void test_restricted_readback(const char *scan)
{
    st_ctx c;
    char cfg[1024] = "";
    /* ixgbe: a restricted key reads back as restricted */
    const char *high = "{\"flowmage_cost_model\": 1,"
                       " \"field_entropy_position\": {\"src_ip\": \"high\"}}";
    if (st_solve_model(&c, scan, attrs, "ixgbe", high) == 0) {
        rules_config(&c, "ixgbe.rules", cfg, sizeof cfg);
        /* and HASHFUNC + HASHKEY with that key */
        char hex[2 * FM_RSS_KEY_MAX + 1];
        const fm_rss_choice *ch = fm_solve_chosen(st_dev(&c, "in"));
        for (unsigned i = 0; i < c.nic.key_len; i++)
            snprintf(hex + 2 * i, 3, "%02x", ch->key4[i]);
        st_ctx h;
        char hcfg[512];
        snprintf(hcfg, sizeof hcfg, "in :: FromDPDKDevice(0, N_QUEUES 16, HASHFUNC \"src_ip\","
                 " HASHKEY %s);\nin -> scan :: PortScanDetector -> Discard;\n", hex);
        if (st_solve(&h, hcfg, attrs, "ixgbe", NULL) == 0) {
            fm_solve_device *d = st_dev(&h, "in");
            CHECK(d->current.key_kind == FM_RSSKEY_RESTRICTED &&
                      d->current.fields == FM_F_SRC_IP &&
                      d->current.hashed == (FM_F_SRC_IP | FM_F_DST_IP),
                  "HASHFUNC src_ip + restricted HASHKEY on ixgbe: %s", d->current_from);
            CHECK(!strcmp(d->current_from, "HASHFUNC + HASHKEY"), "from: %s", d->current_from);
            check_current_combo(&h);
        }
        st_free(&h);
    }
    st_free(&c);
    if (st_solve(&c, cfg, attrs, "ixgbe", NULL) == 0) {
        fm_solve_device *d = st_dev(&c, "in");
        const fm_rss_choice *cur = &d->current;
        CHECK(cur->key_kind == FM_RSSKEY_RESTRICTED && cur->fields == FM_F_SRC_IP &&
                  cur->hashed == (FM_F_SRC_IP | FM_F_DST_IP),
              "restricted src_ip read back (%#x/%#x, %s)", cur->fields, cur->hashed,
              fm_rss_key_name(cur->key_kind));
        const fm_rss_choice *k = &d->cands[d->current_cand];
        CHECK(!k->none && k->key_kind == FM_RSSKEY_RESTRICTED && k->fields == FM_F_SRC_IP,
              "the restricted candidate keeps it");
        CHECK(cur->bits == 0, "its spread under the default model: %g bits", cur->bits);
        CHECK(fm_solve_chosen(d)->fields != FM_F_SRC_IP, "and it is not kept");
        check_current_combo(&c);
    }
    st_free(&c);
}

/* A custom key, RSS off. */
static void test_custom_and_off(void)
{
    st_ctx c;
    /* HASHFUNC on a native set; a custom key is a candidate of its own */
    static const char *const custom =
        "in :: FromDPDKDevice(0, N_QUEUES 8, HASHFUNC \"src_ip dst_ip src_port dst_port\", "
        "HASHKEY 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef);\n"
        "in -> fc :: FlowCounter -> Discard;\n";
    if (st_solve(&c, custom, attrs, "mlx5", NULL) == 0) {
        fm_solve_device *d = st_dev(&c, "in");
        CHECK(d->current.key_kind == FM_RSSKEY_CUSTOM && d->current.set == 0,
              "custom key on the 4-tuple set (%s)", fm_rss_key_name(d->current.key_kind));
        CHECK(d->current_cand == (int)d->ncands - 1 &&
                  d->cands[d->current_cand].key_kind == FM_RSSKEY_CUSTOM,
              "added as the last candidate");
        check_current_combo(&c);
        CHECK(fm_solve_check_invariant(&c.res, &c.err) == 0, "invariant: %s", c.err.msg);
    }
    st_free(&c);
    /* RSS off: every packet on queue 0; "leave it alone" costs `cores` */
    static const char *const off = "in :: FromDPDKDevice(0, N_QUEUES 8, MODE none);\n"
                                   "in -> src :: SourceCounter -> Discard;\n";
    if (st_solve(&c, off, attrs, "mlx5", NULL) == 0) {
        fm_solve_device *d = st_dev(&c, "in");
        CHECK(d->current.none && strstr(d->current_from, "RSS off"), "from: %s",
              d->current_from);
        const fm_rss_choice *k = &d->cands[d->current_cand];
        CHECK(k->none, "kept by leaving it alone");
        CHECK(fm_solve_choice_imbalance(&c.res, d, k) == 8, "all on one of 8 cores");
        CHECK_STR(st_chosen(&c, "in"), "src_ip");
        check_current_combo(&c);
    }
    st_free(&c);
}

/* An unreadable rules file, the greedy search, a port whose two
 * declarations disagree. */
static void test_odd_settings(void)
{
    st_ctx c;
    /* MODE flow with a rules file that does not exist: the NIC's default,
     * and a note saying so */
    static const char *const gone =
        "in :: FromDPDKDevice(0, N_QUEUES 8, MODE flow, FLOW_RULES_FILE /nonexistent/x.rules);\n"
        "in -> src :: SourceCounter -> Discard;\n";
    if (st_solve(&c, gone, attrs, "mlx5", NULL) == 0) {
        fm_solve_device *d = st_dev(&c, "in");
        CHECK(d->current.set == 0 && d->current.key_kind == FM_RSSKEY_DEFAULT &&
                  strstr(d->current_from, "cannot be read"),
              "from: %s", d->current_from);
        CHECK(c.res.nnotes == 1 && strstr(c.res.notes[0], "before solving"), "noted");
    }
    st_free(&c);
    /* greedy search: the all-current combination is evaluated all the same */
    char *nat = st_config("nat.click");
    if (st_load(&c, nat, attrs, "mlx5") == 0) {
        c.cost.max_combinations = 2;
        if (st_run(&c, NULL) == 0) {
            CHECK(!c.res.comps[0].exhaustive, "greedy");
            check_current_combo(&c);
        } else {
            CHECK(0, "solve: %s", c.err.msg);
        }
    }
    st_free(&c);
    free(nat);
    /* two declarations on one port that disagree today: the all-current
     * combination is evaluated but flagged infeasible and never chosen */
    static const char *const split =
        "a :: FromDPDKDevice(0, N_QUEUES 4, THREADOFFSET 0, HASHFUNC \"src_ip\");\n"
        "b :: FromDPDKDevice(0, N_QUEUES 4, THREADOFFSET 0, HASHFUNC \"dst_ip\");\n"
        "a -> s1 :: SourceCounter -> Discard; b -> s2 :: SourceCounter -> Discard;\n";
    if (st_solve(&c, split, attrs, "mlx5", NULL) == 0) {
        const fm_solve_component *k = &c.res.comps[0];
        CHECK(c.res.ncomps == 1 && k->ndevices == 2, "one port, one component");
        CHECK(k->combos[k->current_combo].infeasible, "all-current is infeasible");
        CHECK(!k->combos[0].infeasible && k->current_combo != 0, "and not chosen");
        check_current_combo(&c);
        CHECK(fm_solve_check_invariant(&c.res, &c.err) == 0, "invariant: %s", c.err.msg);
    }
    st_free(&c);
}

static void test_current(void)
{
    char *scan = st_config("scan16.click");
    test_default_and_rules(scan);
    test_restricted_readback(scan);
    test_custom_and_off();
    test_odd_settings();
    free(scan);
}

int main(void)
{
    attrs = st_read("tests/solve/attrs.json");
    CHECK(attrs != NULL, "tests/solve/attrs.json (is FM_ROOT set?)");
    if (!attrs)
        return fm_t_done("test_solve_current", "pre-solve settings");
    snprintf(tmpdir, sizeof tmpdir, "%s/fm-solve-test-XXXXXX",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    CHECK(mkdtemp(tmpdir) != NULL, "temporary directory");
    test_current();
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf '%s'", tmpdir);
    CHECK(system(rm) == 0, "cleanup");
    free(attrs);
    return fm_t_done("test_solve_current",
                     "pre-solve settings (NIC default, the solver's own rules file read "
                     "back, restricted key via rules and HASHFUNC+HASHKEY, custom key, "
                     "RSS off, unreadable rules file) and the candidate keeping each; the "
                     "all-current combination (exhaustive, greedy, infeasible on one "
                     "port); fm_solve_combo_cost_with = every evaluated cost");
}
