/* flowmage check, the library: every rule fires on a crafted pair and only
 * it, with old -> new values and the evidence location; ambiguity already in
 * the baseline does not fail; --fail-on; determinism under reordering; and
 * SARIF locations (evidence, class definition, attributes entries, the
 * source root and build directory, symlinks), fingerprints that survive
 * moved lines, and every SARIF rendered here checked with
 * support/sarif_rules.c (schema and code-scanning rules). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "flowmage/check.h"
#include "support/sarif_rules.h"

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

/* SARIF of r, checked against the schema and code-scanning rules. */
static char *sarif(const fm_check_report *r, const char *root, const char *build,
                   const char *base, const char *cur)
{
    fm_check_sarif_opts o = {root, build, base, cur};
    char *s = NULL;
    fm_error e = {0};
    CHECK(fm_check_sarif(r, FM_CHECK_FAIL_DEFAULT, &o, &s, &e) == 0, "fm_check_sarif: %s", e.msg);
    if (!s)
        return fm_xstrdup("{}");
    fm_buf log;
    fm_buf_init(&log);
    fm_sarif_opts so = {NULL, 0};
    CHECK(fm_sarif_check(s, &so, &log) == 0, "SARIF rules:\n%s", fm_buf_cstr(&log));
    fm_buf_free(&log);
    return s;
}

/* The result for (rule, nf): its location and fingerprint. */
typedef struct { const char *uri; long line; const char *msg, *fp; } res;
static res find(cJSON *j, const char *rule, const char *nf)
{
    res out = {NULL, 0, NULL, NULL};
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0),
                                               "results")) {
        const cJSON *props = cJSON_GetObjectItem(it, "properties");
        if (strcmp(cJSON_GetObjectItem(it, "ruleId")->valuestring, rule) ||
            strcmp(cJSON_GetObjectItem(props, "nf")->valuestring, nf))
            continue;
        const cJSON *pl = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(it, "locations"), 0),
                                              "physicalLocation");
        out.uri = cJSON_GetObjectItem(cJSON_GetObjectItem(pl, "artifactLocation"), "uri")->valuestring;
        out.line = (long)cJSON_GetObjectItem(cJSON_GetObjectItem(pl, "region"), "startLine")->valuedouble;
        out.msg = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "message"), "text")->valuestring;
        out.fp = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "partialFingerprints"),
                                     "primaryLocationLineHash")->valuestring;
    }
    return out;
}

static void expect(cJSON *j, const char *rule, const char *nf, const char *uri, long line,
                   const char *in_msg)
{
    res x = find(j, rule, nf);
    CHECK(x.uri && !strcmp(x.uri, uri) && x.line == line, "%s %s at %s:%ld, want %s:%ld", rule,
          nf, x.uri ? x.uri : "(none)", x.line, uri, line);
    if (in_msg)
        CHECK(x.msg && strstr(x.msg, in_msg), "%s %s: \"%s\" not in \"%s\"", rule, nf, in_msg,
              x.msg ? x.msg : "");
    else
        CHECK(x.msg && !strstr(x.msg, "outside the source root"), "%s %s: %s", rule, nf, x.msg);
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
        CHECK(rules[k].help && strlen(rules[k].help) > 40, "rule %s has help", rules[k].id);
    }
    char *s1 = sarif(&r, "/src/fw", NULL, "/src/fw/ci/baseline.json", "/src/fw/out/new.json");
    CHECK(strstr(s1, "\"uri\": \"nfs/my%20nat.cc\"") != NULL, "space escaped in URI");
    CHECK(strstr(s1, "\"uri\": \"elements/ratelimiter.cc\"") != NULL, "--source-root made relative");
    CHECK(strstr(s1, "\"uri\": \"file:///src/fw/\"") != NULL, "%%SRCROOT%% defined");
    CHECK(strstr(s1, "file:///src/fw/elements") == NULL, "no absolute location");

    /* Deterministic: the same inputs with the elements in another order. */
    fm_attrs n2 = n;
    n2.elems = malloc(n.n * sizeof *n.elems);
    for (size_t i = 0; i < n.n; i++)
        n2.elems[i] = n.elems[n.n - 1 - i];
    fm_check_report r2;
    fm_check_compare(&o, &n2, "baseline.json", "new.json", &r2);
    char *s3 = sarif(&r2, "/src/fw", NULL, "/src/fw/ci/baseline.json", "/src/fw/out/new.json");
    CHECK(!strcmp(s1, s3), "SARIF depends on element order");
    char *t1 = fm_check_text(&r, FM_CHECK_FAIL_DEFAULT), *t2 = fm_check_text(&r2, FM_CHECK_FAIL_DEFAULT);
    CHECK(!strcmp(t1, t2), "text depends on element order");
    char *j1 = fm_check_json(&r, FM_CHECK_FAIL_DEFAULT), *j2 = fm_check_json(&r2, FM_CHECK_FAIL_DEFAULT);
    CHECK(!strcmp(j1, j2), "JSON depends on element order");
    cJSON *jj = cJSON_Parse(j1);
    CHECK(jj && cJSON_IsTrue(cJSON_GetObjectItem(jj, "needs_human")) &&
          cJSON_GetArraySize(cJSON_GetObjectItem(jj, "findings")) == (int)r.n, "JSON report shape");
    cJSON_Delete(jj);

    /* The baseline must be in the repository: it is the last resort. */
    fm_check_sarif_opts bad = {"/src/fw", NULL, "/elsewhere/baseline.json", "/src/fw/new.json"};
    char *none = NULL;
    fm_error e = {0};
    CHECK(fm_check_sarif(&r, FM_CHECK_FAIL_DEFAULT, &bad, &none, &e) == -1 && !none &&
          e.kind == FM_ERR_INPUT && strstr(e.msg, "source root"), "baseline outside: %s", e.msg);
    free(s1), free(s3), free(t1), free(t2), free(j1), free(j2);
    free(n2.elems);
    fm_check_report_free(&r2);
    fm_check_report_free(&r);
    fm_attrs_free(&o);
    fm_attrs_free(&n);
}

/* Where each kind of finding lands: evidence, class definition, the
 * attributes files' entries; outside evidence named in the message; the
 * build directory; symbolic links. */
#define NF(name, extra) "{\"name\": \"" name "\", \"role\": \"nf\", \"stateful\": true, " \
    "\"key\": {\"kind\": \"fields\", \"fields\": [\"dst_ip\"]}, \"intensity\": \"per-packet\"" extra "}"
static const char base_text[] =
    "{\"flowmage_attrs\": 1, \"elements\": [\n"
    NF("Gone", "") ",\n"
    NF("Keyed", ", \"evidence\": [{\"what\": \"key field dst_ip\", \"file\": \"../elements/k.cc\", \"line\": 30}]") ",\n"
    NF("Far", "") ",\n"
    NF("Plain", "") "\n]}\n";
static const char new_text[] =
    "{\"flowmage_attrs\": 1, \"elements\": [\n"
    NF("Keyed", ", \"pointer_chasing\": true, \"evidence\": [{\"what\": \"per-packet entry\", \"file\": "
       "\"../lib/element.cc\", \"line\": 68}, {\"what\": \"key field dst_ip\", \"file\": "
       "\"../elements/k.cc\", \"line\": 30}]") ",\n"
    NF("Far", ", \"pointer_chasing\": true, \"evidence\": [{\"what\": \"pointer Far.next\", \"file\": "
       "\"/usr/include/x/far.h\", \"line\": 7}]") ",\n"
    NF("Plain", ", \"global_state\": true, \"evidence\": [{\"what\": \"global write\", \"file\": \"../elements/p.cc\"}]") ",\n"
    NF("Fresh", "") ",\n"
    NF("Defined", ", \"uncertain\": [\"state reached through a virtual call\"]") "\n]}\n";

static cJSON *located(const char *bt, const char *nt, long shift, char **text)
{
    fm_attrs o, n;
    fm_error e = {0};
    CHECK(fm_attrs_parse(bt, strlen(bt), "b", &o, &e) == 0, "%s", e.msg);
    CHECK(fm_attrs_parse(nt, strlen(nt), "n", &n, &e) == 0, "%s", e.msg);
    fm_check_report r;
    fm_check_compare(&o, &n, "ci/base.json", "out/attrs.json", &r);
    fm_check_set_entries(&r, bt, nt);
    fm_check_set_definition(&r, "Keyed", "../elements/k.hh", 12 + shift);
    fm_check_set_definition(&r, "Defined", "../elements/d.hh", 40 + shift);
    fm_check_set_definition(&r, "Far", "../elements/far.hh", 3 + shift);
    *text = sarif(&r, "/repo", "/repo/userlevel", "/repo/ci/base.json", "/repo/out/attrs.json");
    fm_check_report_free(&r);
    fm_attrs_free(&o);
    fm_attrs_free(&n);
    return cJSON_Parse(*text);
}

static void test_locations(void)
{
    CHECK_INT(fm_check_entry_line(base_text, "Keyed"), 3);
    CHECK_INT(fm_check_entry_line("{\"name\" :\n \"A\"}", "A"), 1);
    CHECK_INT(fm_check_entry_line("{\"name\": \"AB\"}", "A"), 0);
    CHECK_INT(fm_check_entry_line(NULL, "A"), 0);
    char *t1;
    cJSON *j = located(base_text, new_text, 0, &t1);
    /* evidence about the attribute, through the build directory */
    expect(j, "pointer-chasing-changed", "Keyed", "elements/k.hh", 12, NULL);
    expect(j, "global-state-changed", "Plain", "elements/p.cc", 1, NULL);
    /* outside the root: the NF's class definition, the path in the message */
    expect(j, "pointer-chasing-changed", "Far", "elements/far.hh", 3,
           "(evidence outside the source root: /usr/include/x/far.h:7)");
    /* nothing but the attributes files */
    expect(j, "removed-nf", "Gone", "ci/base.json", 2, NULL);
    expect(j, "new-nf", "Fresh", "out/attrs.json", 5, NULL);
    expect(j, "uncertain", "Defined", "elements/d.hh", 40, NULL);
    /* Moving lines moves the locations, never the fingerprints. */
    char moved_new[sizeof new_text + 64];
    snprintf(moved_new, sizeof moved_new, "\n\n%s", new_text);
    char *t2;
    cJSON *k = located(base_text, moved_new, 5, &t2);
    expect(k, "uncertain", "Defined", "elements/d.hh", 45, NULL);
    expect(k, "new-nf", "Fresh", "out/attrs.json", 7, NULL);
    const char *const pairs[][2] = {{"pointer-chasing-changed", "Keyed"}, {"pointer-chasing-changed", "Far"},
                                    {"removed-nf", "Gone"}, {"new-nf", "Fresh"},
                                    {"uncertain", "Defined"}, {"global-state-changed", "Plain"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        res a = find(j, pairs[i][0], pairs[i][1]), b = find(k, pairs[i][0], pairs[i][1]);
        CHECK(a.fp && b.fp && !strcmp(a.fp, b.fp), "%s %s: fingerprint moved with the code",
              pairs[i][0], pairs[i][1]);
    }
    cJSON_Delete(j), cJSON_Delete(k);
    free(t1), free(t2);
}

/* Evidence reached through a symbolic link is reported at the real path:
 * code scanning cannot show a result in a symlinked file. */
static void test_symlink(void)
{
    char dir[] = "/tmp/fm-check-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char real[300], link[300], file[300], base[300];
    snprintf(real, sizeof real, "%s/repo", dir);
    snprintf(link, sizeof link, "%s/alias", dir);
    snprintf(file, sizeof file, "%s/alias/a.cc", dir);
    snprintf(base, sizeof base, "%s/repo/base.json", dir);
    CHECK(mkdir(real, 0700) == 0 && symlink("repo", link) == 0, "setup");
    FILE *f = fopen(file, "w");
    if (f)
        fclose(f);
    char bt[512], nt[512];
    snprintf(bt, sizeof bt, "{\"flowmage_attrs\": 1, \"elements\": []}");
    snprintf(nt, sizeof nt, "{\"flowmage_attrs\": 1, \"elements\": [" NF("S", ", \"evidence\": "
             "[{\"what\": \"key\", \"file\": \"%s\", \"line\": 1}]") "]}", file);
    fm_attrs o, n;
    fm_error e = {0};
    CHECK(fm_attrs_parse(bt, strlen(bt), "b", &o, &e) == 0 && fm_attrs_parse(nt, strlen(nt), "n", &n, &e) == 0,
          "%s", e.msg);
    fm_check_report r;
    fm_check_compare(&o, &n, base, base, &r);
    char *t = sarif(&r, link, NULL, base, base);
    cJSON *j = cJSON_Parse(t);
    expect(j, "new-nf", "S", "a.cc", 1, NULL);
    cJSON_Delete(j);
    free(t);
    fm_check_report_free(&r);
    fm_attrs_free(&o);
    fm_attrs_free(&n);
    remove(file), remove(link), rmdir(real), rmdir(dir);
}

int main(void)
{
    test_rules();
    test_baseline_and_fail_on();
    test_sarif_and_determinism();
    test_locations();
    test_symlink();
    return fm_t_done("test_check",
                     "each of 13 rules fires alone on a crafted pair with old/new "
                     "values and evidence line; accepted ambiguity does not fail; "
                     "--fail-on; every SARIF passes the schema and code-scanning checks; "
                     "locations from evidence, class definitions (build dir), "
                     "attributes entries, outside evidence named, symlinks resolved; "
                     "fingerprints survive moved lines; deterministic under reordering");
}
