/* Deploying the whole decision: NF mode keywords (the profile's nf_modes:
 * SHARED 1 / 0 on the FastClick research elements) written with the
 * minimal-edit writer, only where the class accepts the keyword, the shared
 * value whatever the configuration said when the NF is shared, idempotent;
 * no-op awareness (the port's current setting: nothing written, no rules
 * file); rules files within what every parser reads. */
#include "solve_test.h"

static char *attrs;

/* Solve and plan; returns the new configuration text (malloc'd) or NULL. */
static char *solve_plan(st_ctx *c, const char *cfg, const char *at, fm_solve_output *out)
{
    memset(out, 0, sizeof *out);
    if (st_solve(c, cfg, at, "mlx5", NULL) != 0)
        return NULL;
    int rc = fm_solve_plan(&c->cfg, &c->res, &c->prof, out, &c->err);
    CHECK(rc == 0, "plan: %s", c->err.msg);
    return rc == 0 ? fm_xstrdup(out->config) : NULL;
}

static size_t keyword_edits(const fm_solve_output *out, const char *kw)
{
    size_t n = 0;
    for (size_t i = 0; i < out->nedits; i++)
        n += out->edits[i].keyword && !strcmp(out->edits[i].keyword, kw);
    return n;
}

/* The Figure 7 chain: src_ip; the detector and the counter get SHARED 0, the
 * policer keeps SHARED 1; solving the output again changes nothing. */
static void test_fig7(void)
{
    char *cfg = st_config("fig7.click");
    st_ctx c;
    fm_solve_output out;
    char *text = solve_plan(&c, cfg, attrs, &out);
    if (text) {
        CHECK_STR(st_chosen(&c, "FromDPDKDevice@1"), "src_ip");
        CHECK_DECISION(&c, "IPortScanDetector@4", SN);
        CHECK_DECISION(&c, "ISourceCounter@6", SN);
        CHECK_DECISION(&c, "IPolicer@5", SH);
        fm_solve_nf *pol = st_nf(&c, "IPolicer@5"), *det = st_nf(&c, "IPortScanDetector@4");
        CHECK(pol && pol->mode.spec && pol->mode.current_shared == 1 &&
                  !strcmp(pol->mode.value, "1"), "policer: SHARED 1 kept");
        CHECK(det && det->mode.value && !strcmp(det->mode.value, "0"), "detector: SHARED 0");
        CHECK(!st_nf(&c, "FlowCounter@8")->mode.spec, "FlowCounter takes no mode keyword");
        CHECK(strstr(text, "IPortScanDetector(SIZE 1000000, SHARED 0, LIMIT 10) -> "
                           "IPolicer(SIZE 1000000, SHARED 1)") != NULL, "in place: %s", text);
        CHECK(strstr(text, "ISourceCounter(SIZE 1000000, SHARED 0)") != NULL, "%s", text);
        CHECK_INT(keyword_edits(&out, "SHARED"), 2);
        char *ex = fm_solve_explain(&c.res, &out);
        CHECK(strstr(ex, "shared-nothing  SHARED 1->0  ") && strstr(ex, "shared          "
                                                                          "SHARED 1     "),
              "--explain lists modes: %s", ex);
        CHECK(strstr(ex, "IPortScanDetector@4 SHARED: 1 -> 0") != NULL, "edit listed");
        free(ex);
        char *js = fm_solve_report_json(&c.res, &out, &c.cfg, "o.click");
        CHECK(strstr(js, "\"mode\": {\n        \"keyword\": \"SHARED\",\n        "
                         "\"current\": \"1\",\n        \"current_shared\": true,\n        "
                         "\"value\": \"0\"") != NULL, "--json lists modes: %s", js);
        free(js);
        char *dot = fm_solve_dot(&c.res);
        CHECK(strstr(dot, "shared-nothing\\nSHARED 1->0") != NULL, "--dot lists modes");
        free(dot);
    }
    fm_solve_output_free(&out);
    st_free(&c);
    /* idempotent: the modes of the output are already right */
    if (text) {
        char *again = solve_plan(&c, text, attrs, &out);
        CHECK_INT(keyword_edits(&out, "SHARED"), 0);
        CHECK(again && !strcmp(again, text), "the output again: unchanged");
        free(again);
        fm_solve_output_free(&out);
        st_free(&c);
    }
    free(text);
    free(cfg);
}

/* The configuration says otherwise, or nothing: the decision's value is
 * written (a missing keyword appended); a class that does not list the
 * keyword is never given it. */
static void test_modes_forced(void)
{
    char *cfg = st_config("fig7.click");
    char *c1 = st_replace(cfg, "IPolicer(SIZE 1000000, SHARED 1)", "IPolicer(SIZE 1000000, SHARED 0)");
    char *c2 = st_replace(c1, "IPortScanDetector(SIZE 1000000, SHARED 1, LIMIT 10)",
                       "IPortScanDetector(SIZE 1000000, LIMIT 10)");
    st_ctx c;
    fm_solve_output out;
    char *text = solve_plan(&c, c2, attrs, &out);
    if (text) {
        CHECK(strstr(text, "IPolicer(SIZE 1000000, SHARED 1)") != NULL,
              "shared NF: the shared value even though the configuration said 0: %s", text);
        CHECK(strstr(text, "IPortScanDetector(SIZE 1000000, LIMIT 10, SHARED 0)") != NULL,
              "absent keyword appended: %s", text);
        fm_solve_nf *det = st_nf(&c, "IPortScanDetector@4");
        CHECK(det && !det->mode.current && det->mode.current_shared == 1,
              "absent: the profile says shared");
    }
    free(text);
    fm_solve_output_free(&out);
    st_free(&c);
    /* attributes without SHARED among the detector's keywords: left alone */
    char *a1 = st_replace(attrs, "\"keywords\": [\"LIMIT\", \"SHARED\", \"SIZE\"]",
                       "\"keywords\": [\"LIMIT\", \"SIZE\"]");
    text = solve_plan(&c, cfg, a1, &out);
    if (text) {
        CHECK(strstr(text, "IPortScanDetector(SIZE 1000000, SHARED 1, LIMIT 10)") != NULL,
              "not accepted: not written: %s", text);
        CHECK(!st_nf(&c, "IPortScanDetector@4")->mode.spec, "no mode");
    }
    free(text);
    fm_solve_output_free(&out);
    st_free(&c);
    free(a1);
    free(c1);
    free(c2);
    free(cfg);
}

/* One declaration made twice (an elementclass) whose elements get different
 * decisions: written once, with the shared value. */
static void test_modes_conflict(void)
{
    const char *cfg =
        "elementclass Det { input -> IPortScanDetector(SHARED 0, LIMIT 5) -> output }\n"
        "a :: FromDPDKDevice(0, N_QUEUES 8, THREADOFFSET 0);\n"
        "b :: FromDPDKDevice(1, N_QUEUES 2, MAXTHREADS 4, THREADOFFSET 8);\n"
        "a -> da :: Det -> Discard;\n"
        "b -> db :: Det -> Discard;\n";
    st_ctx c;
    fm_solve_output out;
    char *text = solve_plan(&c, cfg, attrs, &out);
    if (text) {
        CHECK_DECISION(&c, "db/IPortScanDetector@1", SH); /* threads share queues */
        fm_solve_nf *x = st_nf(&c, "da/IPortScanDetector@1");
        CHECK(x && x->mode.conflict && !strcmp(x->mode.value, "1"), "conflict: shared value");
        CHECK(strstr(text, "IPortScanDetector(SHARED 1, LIMIT 5)") != NULL, "%s", text);
        CHECK_INT(keyword_edits(&out, "SHARED"), 1);
    }
    free(text);
    fm_solve_output_free(&out);
    st_free(&c);
}

/* The best setting is what the port does already: nothing written. */
static void test_noop(void)
{
    /* only a flow counter: the NIC's default 4-tuple is best */
    const char *cfg = "fd :: FromDPDKDevice(0, N_QUEUES 8);\n"
                      "fd -> FlowCounter -> Discard;\n";
    st_ctx c;
    fm_solve_output out;
    char *text = solve_plan(&c, cfg, attrs, &out);
    if (text) {
        fm_solve_device *d = st_dev(&c, "fd");
        CHECK(d && d->unchanged && d->chosen == d->current_cand, "unchanged");
        CHECK_STR(text, cfg);
        CHECK_INT(out.nedits, 0);
        CHECK_INT(out.nfiles, 0);
        char *ex = fm_solve_explain(&c.res, &out);
        CHECK(strstr(ex, "(what it already does: nothing written, no rules file)") &&
                  strstr(ex, "edits: none (the configuration already says this"), "%s", ex);
        free(ex);
        char *js = fm_solve_report_json(&c.res, &out, &c.cfg, "o.click");
        CHECK(strstr(js, "\"unchanged\": true,\n        \"rules_file\": null") &&
                  strstr(js, "\n  \"unchanged\": true,\n"), "--json says so");
        free(js);
    }
    free(text);
    fm_solve_output_free(&out);
    st_free(&c);
}

/* Rules files: a candidate whose lines would be too long is excluded; a
 * device none of whose candidates fits is refused in one line. */
static void test_rules_limits(void)
{
    char *cfg = st_config("fig7.click");
    char *c108 = st_replace(cfg, "N_QUEUES 16", "N_QUEUES 108");
    st_ctx c;
    if (st_solve(&c, c108, attrs, "mlx5", NULL) == 0) {
        fm_solve_device *d = st_dev(&c, "FromDPDKDevice@1");
        size_t excluded = 0;
        for (size_t i = 0; d && i < d->nexcluded; i++)
            excluded += strstr(d->excluded[i], "have a 531-byte line (at most 510)") != NULL;
        CHECK_INT(excluded, 4); /* the four sets with l3 and l4 "only" types */
        CHECK_STR(st_chosen(&c, "FromDPDKDevice@1"), "src_ip");
        char *rules = d ? fm_solve_rules_text(&c.res, d) : NULL;
        size_t longest = 0;
        for (char *l = rules; l && *l;) {
            size_t n = strcspn(l, "\n");
            longest = n > longest ? n : longest;
            l += n + (l[n] == '\n');
        }
        CHECK(longest > 500 && longest <= FM_RULES_LINE_MAX, "longest line %zu", longest);
        free(rules);
    }
    st_free(&c);
    char *c1024 = st_replace(cfg, "N_QUEUES 16", "N_QUEUES 1024");
    int rc = st_load(&c, c1024, attrs, "mlx5");
    if (rc == 0)
        rc = st_run(&c, NULL);
    CHECK(rc != 0 && c.err.kind == FM_ERR_INPUT && c.err.line == 6 &&
              !strcmp(c.err.msg, "'FromDPDKDevice@1' has 1024 queues, more than a flow rule "
                                 "holds (at most 128 queues and 510 bytes a line): at most 102 "
                                 "queues fit every setting of NIC mlx5 (111 the shortest "
                                 "rules); lower N_QUEUES or use --dialect hashfunc"),
          "refused: %s", c.err.msg);
    st_free(&c);
    /* the hashfunc dialect writes no rules: 1024 queues are fine */
    fm_solve_options o;
    memset(&o, 0, sizeof o);
    o.dialect = FM_DIALECT_HASHFUNC;
    o.output = "t.opt.click";
    if (st_load(&c, c1024, attrs, "mlx5") == 0)
        CHECK(st_run(&c, &o) == 0, "hashfunc: %s", c.err.msg);
    st_free(&c);
    free(c108);
    free(c1024);
    free(cfg);
}

int main(void)
{
    attrs = st_read("tests/solve/attrs.json");
    CHECK(attrs != NULL, "tests/solve/attrs.json (is FM_ROOT set?)");
    if (!attrs)
        return fm_t_done("test_solve_modes", "NF modes");
    test_fig7();
    test_modes_forced();
    test_modes_conflict();
    test_noop();
    test_rules_limits();
    free(attrs);
    return fm_t_done("test_solve_modes",
                     "Figure 7: SHARED 0 on the detector and the source counter, SHARED 1 "
                     "kept on the policer, in --explain, --json, --dot, idempotent; the "
                     "shared value written over a configured 0, appended when absent, never "
                     "for a class without the keyword, shared for a declaration with "
                     "conflicting elements; no-op: output = input, no rules file; 108 "
                     "queues exclude lines over 510 bytes, 1024 queues refused in one line");
}
