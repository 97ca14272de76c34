/* flowmage check, the library: every rule fires on a crafted pair and only
 * it, with old -> new values and the evidence location; ambiguity already in
 * the baseline does not fail; --fail-on; determinism under reordering; and
 * the SARIF output checked against the SARIF 2.1.0 schema's required
 * properties and value constraints by a small checker written here. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flowmage/check.h"

static void attrs(const char *elements, fm_attrs *a)
{
    char text[8192];
    snprintf(text, sizeof text, "{\"flowmage_attrs\": 1, \"elements\": [%s]}", elements);
    fm_error e = {0};
    if (fm_attrs_parse(text, strlen(text), "inline", a, &e) != 0) {
        fprintf(stderr, "bad fixture: %s\n%s\n", e.msg, elements);
        exit(1);
    }
}

#define EV "\"evidence\": [{\"what\": \"key field dst_ip\", \"function\": \"X::push\", " \
           "\"file\": \"nfs/x.cc\", \"line\": 7}, {\"what\": \"write X.n per packet\", " \
           "\"function\": \"X::push\", \"file\": \"nfs/x.cc\", \"line\": 9}]"
#define BASE "\"name\": \"X\", \"role\": \"nf\", \"stateful\": true, " \
             "\"key\": {\"kind\": \"fields\", \"fields\": [\"dst_ip\"]}, " \
             "\"intensity\": \"per-packet\", " EV

typedef struct { const char *rule, *old_el, *new_el, *oldv, *newv; long line; const char *also; } rule_case;

static const rule_case cases[] = {
    {"key-changed", "{" BASE "}",
     "{\"name\": \"X\", \"role\": \"nf\", \"stateful\": true, \"key\": {\"kind\": \"fields\", "
     "\"fields\": [\"dst_ip\", \"dst_port\"]}, \"intensity\": \"per-packet\", " EV "}",
     "{dst_ip}", "{dst_ip,dst_port}", 7, NULL},
    {"key-changed", "{" BASE "}",
     "{\"name\": \"X\", \"role\": \"nf\", \"stateful\": true, \"key\": {\"kind\": \"fields\", "
     "\"fields\": [\"dst_ip\"], \"other\": [\"vlan\"]}, \"intensity\": \"per-packet\", " EV "}",
     "{dst_ip}", "{dst_ip} + vlan", 7, NULL},
    {"key-kind-changed", "{" BASE "}",
     "{\"name\": \"X\", \"role\": \"nf\", \"stateful\": true, \"key\": {\"kind\": \"flow_manager\"}, "
     "\"intensity\": \"per-packet\", " EV "}", "fields {dst_ip}", "flow_manager", 7, NULL},
    {"symmetric-changed", "{" BASE "}",
     "{\"name\": \"X\", \"role\": \"nf\", \"stateful\": true, \"key\": {\"kind\": \"fields\", "
     "\"fields\": [\"dst_ip\"], \"symmetric\": true}, \"intensity\": \"per-packet\", " EV "}",
     "no", "yes", 7, NULL},
    {"intensity-changed", "{" BASE "}",
     "{\"name\": \"X\", \"role\": \"nf\", \"stateful\": true, \"key\": {\"kind\": \"fields\", "
     "\"fields\": [\"dst_ip\"]}, \"intensity\": \"per-flow\", " EV "}", "per-packet", "per-flow", 9, NULL},
    {"pointer-chasing-changed", "{" BASE "}", "{" BASE ", \"pointer_chasing\": true}", "no", "yes", 7, NULL},
    {"global-state-changed", "{" BASE "}", "{" BASE ", \"global_state\": true}", "no", "yes", 7, NULL},
    {"role-changed", "{" BASE "}",
     "{\"name\": \"X\", \"role\": \"flow_manager\", \"stateful\": true, \"key\": {\"kind\": \"fields\", "
     "\"fields\": [\"dst_ip\"]}, \"intensity\": \"per-packet\", " EV "}", "nf", "flow_manager", 7, NULL},
    {"stateful-changed",
     "{\"name\": \"X\", \"role\": \"nf\", \"stateful\": true, \"key\": {\"kind\": \"flow_manager\"}, "
     "\"intensity\": \"per-packet\", " EV "}",
     "{\"name\": \"X\", \"role\": \"nf\", \"stateful\": false, \"key\": {\"kind\": \"flow_manager\"}, "
     "\"intensity\": \"per-packet\", " EV "}", "yes", "no", 7, NULL},
    {"new-nf", "{\"name\": \"Y\", \"role\": \"other\"}", "{\"name\": \"Y\", \"role\": \"other\"}, {" BASE "}",
     NULL, "stateful, key {dst_ip}, per-packet", 7, NULL},
    {"new-nf", "{\"name\": \"X\", \"role\": \"other\"}", "{" BASE "}", NULL, NULL, 7, NULL},
    {"removed-nf", "{" BASE "}", "{\"name\": \"Y\", \"role\": \"other\"}", NULL, NULL, 0, NULL},
    {"key-unknown", "{\"name\": \"X\", \"role\": \"other\"}, {\"name\": \"Z\", \"role\": \"nf\", "
     "\"stateful\": true, \"key\": {\"kind\": \"fields\", \"fields\": [\"src_ip\"]}, \"intensity\": \"per-flow\"}",
     "{\"name\": \"X\", \"role\": \"other\"}, {\"name\": \"Z\", \"role\": \"nf\", \"stateful\": true, "
     "\"key\": {\"kind\": \"unknown\"}, \"intensity\": \"per-flow\"}", NULL, "unknown", 0, "key-kind-changed"},
    {"uncertain", "{" BASE "}", "{" BASE ", \"uncertain\": [\"state reached through a virtual call\"]}",
     NULL, "state reached through a virtual call", 7, NULL},
    {"llm-disagreement", "{" BASE "}", "{" BASE ", \"disagreements\": [{\"field\": \"intensity\", "
     "\"static\": \"per-packet\", \"llm\": \"per-flow\", \"resolution\": \"per-packet\"}]}",
     "per-packet", "per-flow", 9, NULL},
};

static void test_rules(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const rule_case *c = &cases[i];
        fm_attrs o, n;
        attrs(c->old_el, &o);
        attrs(c->new_el, &n);
        fm_check_report r;
        fm_check_compare(&o, &n, "old.json", "new.json", &r);
        size_t nr;
        const fm_check_rule *rules = fm_check_rules(&nr);
        size_t hits = 0, others = 0;
        for (size_t k = 0; k < r.n; k++) {
            const fm_check_finding *f = &r.v[k];
            if (c->also && !strcmp(rules[f->rule].id, c->also))
                continue;
            if (strcmp(rules[f->rule].id, c->rule)) {
                others++;
                fprintf(stderr, "  case %zu: also %s: %s\n", i, rules[f->rule].id, f->message);
                continue;
            }
            hits++;
            CHECK(f->cls == rules[f->rule].cls, "class of %s", c->rule);
            if (c->oldv)
                CHECK(f->old_value && !strcmp(f->old_value, c->oldv), "%s: old \"%s\", want \"%s\"",
                      c->rule, f->old_value ? f->old_value : "(null)", c->oldv);
            if (c->newv)
                CHECK(f->new_value && !strcmp(f->new_value, c->newv), "%s: new \"%s\", want \"%s\"",
                      c->rule, f->new_value ? f->new_value : "(null)", c->newv);
            CHECK_INT(f->line, c->line);
            if (c->line)
                CHECK_STR(f->file, "nfs/x.cc");
            else
                CHECK(f->file == NULL, "%s: location without evidence", c->rule);
            CHECK(f->message && strstr(f->message, f->nf) == f->message, "message names the NF");
            CHECK(fm_check_fails(f, FM_CHECK_FAIL_DEFAULT) == (f->cls != FM_CHECK_REMOVED),
                  "%s: default fail-on", c->rule);
        }
        CHECK(hits == 1 && others == 0, "case %zu (%s): %zu hits, %zu other findings", i,
              c->rule, hits, others);
        /* No findings the other way round for a pure rename of nothing. */
        fm_check_report same;
        fm_check_compare(&n, &n, "a", "a", &same);
        size_t amb = 0;
        for (size_t k = 0; k < same.n; k++)
            amb += same.v[k].cls == FM_CHECK_AMBIGUOUS && same.v[k].in_baseline;
        CHECK(same.n == amb, "comparing a file with itself: %zu findings", same.n);
        CHECK_INT(fm_check_count_failing(&same, FM_CHECK_FAIL_DEFAULT), 0);
        fm_check_report_free(&same);
        fm_check_report_free(&r);
        fm_attrs_free(&o);
        fm_attrs_free(&n);
    }
}

static void test_baseline_and_fail_on(void)
{
    fm_attrs o, n;
    attrs("{" BASE ", \"uncertain\": [\"a\"], \"disagreements\": [{\"field\": \"key\", "
          "\"static\": \"dst_ip\", \"llm\": \"src_ip\", \"resolution\": \"\"}]}",
          &o);
    attrs("{" BASE ", \"uncertain\": [\"a\", \"b\"], \"disagreements\": [{\"field\": \"key\", "
          "\"static\": \"dst_ip\", \"llm\": \"src_ip\", \"resolution\": \"\"}, {\"field\": \"key\", "
          "\"static\": \"dst_ip\", \"llm\": \"dst_ip,dst_port\", \"resolution\": \"\"}]}",
          &n);
    fm_check_report r;
    fm_check_compare(&o, &n, "o", "n", &r);
    CHECK_INT(r.n, 4);
    size_t accepted = 0;
    for (size_t i = 0; i < r.n; i++)
        accepted += r.v[i].in_baseline;
    CHECK_INT(accepted, 2);
    CHECK_INT(fm_check_count_failing(&r, FM_CHECK_FAIL_DEFAULT), 2);
    unsigned m;
    fm_error e = {0};
    CHECK_INT(fm_check_parse_fail_on("new,changed", &m, &e), 0);
    CHECK_INT(fm_check_count_failing(&r, m), 0);
    CHECK_INT(fm_check_parse_fail_on("none", &m, &e), 0);
    CHECK_INT(m, 0);
    CHECK_INT(fm_check_parse_fail_on("all", &m, &e), 0);
    CHECK_INT(m, 15);
    CHECK_INT(fm_check_parse_fail_on("removed", &m, &e), 0);
    CHECK_INT(m, 1u << FM_CHECK_REMOVED);
    CHECK_INT(fm_check_parse_fail_on("new,chnged", &m, &e), -1);
    CHECK(strstr(e.msg, "\"chnged\"") != NULL, "msg: %s", e.msg);
    char *t = fm_check_text(&r, FM_CHECK_FAIL_DEFAULT);
    CHECK(strstr(t, "(already in the baseline)") && strstr(t, "2 need a human"), "text: %s", t);
    free(t);
    fm_check_report_free(&r);
    fm_attrs_free(&o);
    fm_attrs_free(&n);
}

/* ---- a checker for SARIF 2.1.0's required properties ---- */

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }
static int is_str(const cJSON *o, const char *k) { return cJSON_IsString(get(o, k)) && get(o, k)->valuestring[0]; }
static int is_int(const cJSON *v, double lo) { return cJSON_IsNumber(v) && v->valuedouble == (double)(long)v->valuedouble && v->valuedouble >= lo; }

static int uri_ref_ok(const char *s)
{
    for (; *s; s++)
        if (*s <= ' ' || strchr("\"<>\\^`{|}", *s))
            return 0;
    return 1;
}

static int one_of(const char *s, const char *const *v)
{
    for (; *v; v++)
        if (!strcmp(s, *v))
            return 1;
    return 0;
}

/* Returns the number of violations (each reported unless quiet). */
static int sarif_check(const char *text, int quiet)
{
    int bad = 0;
#define NEED(cond, ...) do { if (!(cond)) { bad++; if (!quiet) { fprintf(stderr, "SARIF: " __VA_ARGS__); fputc('\n', stderr); } } } while (0)
    cJSON *j = cJSON_Parse(text);
    NEED(j && cJSON_IsObject(j), "not a JSON object");
    if (!j)
        return bad;
    NEED(is_str(j, "version") && !strcmp(get(j, "version")->valuestring, "2.1.0"), "version");
    NEED(is_str(j, "$schema") && strstr(get(j, "$schema")->valuestring, "sarif-schema-2.1.0"), "$schema");
    const cJSON *runs = get(j, "runs");
    NEED(cJSON_IsArray(runs) && cJSON_GetArraySize(runs) >= 1, "runs");
    const cJSON *run = cJSON_GetArrayItem(runs, 0);
    const cJSON *driver = get(get(run, "tool"), "driver");
    NEED(cJSON_IsObject(driver), "runs[0].tool.driver");
    NEED(is_str(driver, "name"), "driver.name");
    NEED(is_str(driver, "version"), "driver.version");
    NEED(is_str(driver, "informationUri") &&
         !strncmp(get(driver, "informationUri")->valuestring, "https://", 8), "driver.informationUri");
    const cJSON *rules = get(driver, "rules"), *it;
    NEED(cJSON_IsArray(rules), "driver.rules");
    int nrules = cJSON_GetArraySize(rules);
    cJSON_ArrayForEach(it, rules) {
        NEED(is_str(it, "id"), "rule without id");
        NEED(is_str(get(it, "shortDescription"), "text"), "rule without shortDescription.text");
        const cJSON *dc = get(it, "defaultConfiguration");
        static const char *const levels[] = {"none", "note", "warning", "error", NULL};
        NEED(!dc || (is_str(dc, "level") && one_of(get(dc, "level")->valuestring, levels)),
             "rule defaultConfiguration.level");
    }
    const cJSON *results = get(run, "results");
    NEED(cJSON_IsArray(results), "runs[0].results");
    cJSON_ArrayForEach(it, results) {
        NEED(is_str(get(it, "message"), "text"), "result without message.text");
        NEED(is_str(it, "ruleId"), "result without ruleId");
        const cJSON *ri = get(it, "ruleIndex");
        NEED(is_int(ri, 0) && ri->valuedouble < nrules, "ruleIndex");
        const cJSON *rule = cJSON_GetArrayItem(rules, ri ? ri->valueint : -1);
        NEED(rule && is_str(it, "ruleId") &&
             !strcmp(get(rule, "id")->valuestring, get(it, "ruleId")->valuestring),
             "ruleId %s not the rule at ruleIndex", is_str(it, "ruleId") ? get(it, "ruleId")->valuestring : "?");
        static const char *const levels[] = {"none", "note", "warning", "error", NULL};
        NEED(is_str(it, "level") && one_of(get(it, "level")->valuestring, levels), "level");
        static const char *const states[] = {"new", "unchanged", "updated", "absent", NULL};
        NEED(!get(it, "baselineState") || (is_str(it, "baselineState") &&
             one_of(get(it, "baselineState")->valuestring, states)), "baselineState");
        const cJSON *locs = get(it, "locations"), *l;
        NEED(!locs || cJSON_IsArray(locs), "locations is not an array");
        cJSON_ArrayForEach(l, locs) {
            const cJSON *pl = get(l, "physicalLocation");
            const cJSON *al = get(pl, "artifactLocation");
            NEED(cJSON_IsObject(pl) && cJSON_IsObject(al), "location shape");
            NEED(is_str(al, "uri") && uri_ref_ok(get(al, "uri")->valuestring), "artifactLocation.uri");
            const cJSON *reg = get(pl, "region");
            NEED(!reg || is_int(get(reg, "startLine"), 1), "region.startLine");
        }
        const cJSON *pf = get(it, "partialFingerprints"), *p;
        cJSON_ArrayForEach(p, pf)
            NEED(cJSON_IsString(p), "partialFingerprints values are strings");
    }
    cJSON_Delete(j);
    return bad;
#undef NEED
}

static void load(const char *rel, fm_attrs *a)
{
    char path[1024];
    const char *root = getenv("FM_ROOT");
    snprintf(path, sizeof path, "%s/%s", root ? root : ".", rel);
    fm_error e = {0};
    if (fm_attrs_load(path, a, &e) != 0) {
        fprintf(stderr, "cannot load %s: %s\n", path, e.msg);
        exit(1);
    }
}

static void test_sarif_and_determinism(void)
{
    fm_attrs o, n;
    load("tests/sh/check/baseline.json", &o);
    load("tests/sh/check/new.json", &n);
    fm_check_report r;
    fm_check_compare(&o, &n, "baseline.json", "new.json", &r);
    CHECK(r.n >= 15, "fixture findings %zu", r.n);
    /* Every rule fires on the fixture pair. */
    size_t nr;
    const fm_check_rule *rules = fm_check_rules(&nr);
    for (size_t k = 0; k < nr; k++) {
        int seen = 0;
        for (size_t i = 0; i < r.n; i++)
            seen |= r.v[i].rule == k;
        CHECK(seen, "rule %s never fires on the fixtures", rules[k].id);
    }
    char *s1 = fm_check_sarif(&r, FM_CHECK_FAIL_DEFAULT, "/src/fw");
    CHECK_INT(sarif_check(s1, 0), 0);
    CHECK(strstr(s1, "\"uri\": \"nfs/my%20nat.cc\"") != NULL, "space escaped in URI");
    CHECK(strstr(s1, "\"uri\": \"elements/ratelimiter.cc\"") != NULL, "--source-root made relative");
    char *s2 = fm_check_sarif(&r, FM_CHECK_FAIL_DEFAULT, NULL);
    CHECK_INT(sarif_check(s2, 0), 0);
    CHECK(strstr(s2, "\"uri\": \"file:///src/fw/elements/ratelimiter.cc\"") != NULL,
          "absolute path as file URI");
    /* The checker can fail. */
    CHECK(sarif_check("{\"version\": \"2.0.0\", \"runs\": [{\"tool\": {\"driver\": {}}, "
                      "\"results\": [{\"ruleId\": \"zz\", \"ruleIndex\": 3, \"level\": \"fatal\", "
                      "\"message\": {}, \"locations\": [{\"physicalLocation\": {\"region\": "
                      "{\"startLine\": 0}}}]}]}]}", 1) >= 8, "the SARIF checker accepts garbage");

    /* Deterministic: the same inputs with the elements in another order. */
    fm_attrs n2 = n;
    n2.elems = malloc(n.n * sizeof *n.elems);
    for (size_t i = 0; i < n.n; i++)
        n2.elems[i] = n.elems[n.n - 1 - i];
    fm_check_report r2;
    fm_check_compare(&o, &n2, "baseline.json", "new.json", &r2);
    char *s3 = fm_check_sarif(&r2, FM_CHECK_FAIL_DEFAULT, "/src/fw");
    CHECK(!strcmp(s1, s3), "SARIF depends on element order");
    char *t1 = fm_check_text(&r, FM_CHECK_FAIL_DEFAULT), *t2 = fm_check_text(&r2, FM_CHECK_FAIL_DEFAULT);
    CHECK(!strcmp(t1, t2), "text depends on element order");
    char *j1 = fm_check_json(&r, FM_CHECK_FAIL_DEFAULT), *j2 = fm_check_json(&r2, FM_CHECK_FAIL_DEFAULT);
    CHECK(!strcmp(j1, j2), "JSON depends on element order");
    cJSON *jj = cJSON_Parse(j1);
    CHECK(jj && cJSON_IsTrue(get(jj, "needs_human")) && cJSON_IsArray(get(jj, "findings")) &&
          cJSON_GetArraySize(get(jj, "findings")) == (int)r.n, "JSON report shape");
    cJSON_Delete(jj);
    free(s1), free(s2), free(s3), free(t1), free(t2), free(j1), free(j2);
    free(n2.elems);
    fm_check_report_free(&r2);
    fm_check_report_free(&r);
    fm_attrs_free(&o);
    fm_attrs_free(&n);
}

int main(void)
{
    test_rules();
    test_baseline_and_fail_on();
    test_sarif_and_determinism();
    return fm_t_done("test_check",
                     "each of 13 rules fires alone on a crafted pair with old/new "
                     "values and evidence line; accepted ambiguity does not fail; "
                     "--fail-on; SARIF 2.1.0 required fields, rule ids/indices, "
                     "levels, locations, URIs; deterministic under reordering");
}
