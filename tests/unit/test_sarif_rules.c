/* The SARIF checks of tests/unit/support/sarif_rules.c: with no argument, a
 * self-test (the golden SARIF passes; each of the faults code scanning
 * rejects or mishandles, made in a copy of it, is caught by the rule meant
 * for it).  With arguments, the checker that shell tests run on every SARIF
 * file they produce (tests/sh/lib.sh assert_sarif):
 *
 *   test_sarif_rules [--files] FILE...
 *   test_sarif_rules --list FILE
 *
 * --files: every location must also be an existing file, and line, under
 * the %SRCROOT% of the log.  Rule anchors are checked against
 * $FM_ROOT/docs/check.md.  Exit 0 when every file passes.  --list prints
 * each result as code scanning lists an alert, one per line:
 * RULE LEVEL URI:LINE FINGERPRINT MESSAGE (tab-separated). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "support/sarif_rules.h"

/* $FM_ROOT/rel, or exit 2 (the test cannot run). */
static char *root_file(const char *rel)
{
    const char *root = getenv("FM_ROOT");
    char path[4096], *text = NULL;
    snprintf(path, sizeof path, "%s/%s", root ? root : ".", rel);
    fm_error e = {0};
    if (fm_read_file(path, &text, NULL, &e) != 0) {
        fprintf(stderr, "test_sarif_rules: %s: %s\n", path, e.msg);
        exit(2);
    }
    return text;
}

static int check_files(int argc, char **argv)
{
    fm_sarif_opts o = {root_file("docs/check.md"), 0};
    int bad = 0, files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--files")) {
            o.files_exist = 1;
            continue;
        }
        char *text;
        fm_error e = {0};
        if (fm_read_file(argv[i], &text, NULL, &e) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], e.msg);
            bad++;
            continue;
        }
        fm_buf log;
        fm_buf_init(&log);
        int n = fm_sarif_check(text, &o, &log);
        if (n)
            fprintf(stderr, "%s: %d SARIF violation%s:\n%s", argv[i], n, n == 1 ? "" : "s",
                    fm_buf_cstr(&log));
        bad += n > 0;
        files++;
        fm_buf_free(&log);
        free(text);
    }
    free((char *)o.docs);
    printf("%d SARIF file%s checked, %d failed\n", files, files == 1 ? "" : "s", bad);
    return bad ? 1 : 0;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "-";
}

static int list(const char *path)
{
    char *text;
    fm_error e = {0};
    if (fm_read_file(path, &text, NULL, &e) != 0) {
        fprintf(stderr, "%s: %s\n", path, e.msg);
        return 2;
    }
    cJSON *j = cJSON_Parse(text);
    free(text);
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0),
                                               "results")) {
        const cJSON *pl = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(it, "locations"), 0),
                                              "physicalLocation");
        const cJSON *line = cJSON_GetObjectItem(cJSON_GetObjectItem(pl, "region"), "startLine");
        printf("%s\t%s\t%s:%.0f\t%s\t%s\n", jstr(it, "ruleId"), jstr(it, "level"),
               jstr(cJSON_GetObjectItem(pl, "artifactLocation"), "uri"),
               cJSON_IsNumber(line) ? line->valuedouble : 0.0,
               jstr(cJSON_GetObjectItem(it, "partialFingerprints"), "primaryLocationLineHash"),
               jstr(cJSON_GetObjectItem(it, "message"), "text"));
    }
    cJSON_Delete(j);
    return 0;
}

/* ---- self-test: faults made in a copy of the golden file ---- */

static cJSON *run0(cJSON *j) { return cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0); }
static cJSON *result(cJSON *j, int i) { return cJSON_GetArrayItem(cJSON_GetObjectItem(run0(j), "results"), i); }
static cJSON *rule(cJSON *j, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(run0(j), "tool"), "driver"), "rules"), i);
}
static cJSON *phys(cJSON *j, int i)
{
    return cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(result(j, i), "locations"), 0),
                               "physicalLocation");
}
static cJSON *art(cJSON *j, int i) { return cJSON_GetObjectItem(phys(j, i), "artifactLocation"); }
static void set_str(cJSON *o, const char *k, const char *v)
{
    cJSON_DeleteItemFromObject(o, k);
    cJSON_AddStringToObject(o, k, v);
}
static void set_num(cJSON *o, const char *k, double v)
{
    cJSON_DeleteItemFromObject(o, k);
    cJSON_AddNumberToObject(o, k, v);
}

static void f_no_locations(cJSON *j) { cJSON_DeleteItemFromObject(result(j, 1), "locations"); }
static void f_empty_locations(cJSON *j) { cJSON_ReplaceItemInObject(result(j, 1), "locations", cJSON_CreateArray()); }
static void f_no_region(cJSON *j) { cJSON_DeleteItemFromObject(phys(j, 2), "region"); }
static void f_line_zero(cJSON *j) { set_num(cJSON_GetObjectItem(phys(j, 0), "region"), "startLine", 0); }
static void f_absolute_uri(cJSON *j) { set_str(art(j, 0), "uri", "file:///src/fw/nfs/flowcounter.cc"); }
static void f_outside_uri(cJSON *j) { set_str(art(j, 0), "uri", "../outside/b.cc"); }
static void f_slash_uri(cJSON *j) { set_str(art(j, 0), "uri", "/src/fw/nfs/flowcounter.cc"); }
static void f_space_uri(cJSON *j) { set_str(art(j, 0), "uri", "nfs/my nat.cc"); }
static void f_bad_escape(cJSON *j) { set_str(art(j, 0), "uri", "nfs/my%2nat.cc"); }
static void f_no_base(cJSON *j) { cJSON_DeleteItemFromObject(art(j, 0), "uriBaseId"); }
static void f_other_base(cJSON *j) { set_str(art(j, 0), "uriBaseId", "BUILDROOT"); }
static void f_no_base_ids(cJSON *j) { cJSON_DeleteItemFromObject(run0(j), "originalUriBaseIds"); }
static void f_root_no_slash(cJSON *j)
{
    set_str(cJSON_GetObjectItem(cJSON_GetObjectItem(run0(j), "originalUriBaseIds"), "%SRCROOT%"),
            "uri", "file:///ROOT");
}
static void f_no_help(cJSON *j) { cJSON_DeleteItemFromObject(rule(j, 3), "help"); }
static void f_empty_help(cJSON *j) { set_str(cJSON_GetObjectItem(rule(j, 3), "help"), "text", ""); }
static void f_no_help_uri(cJSON *j) { cJSON_DeleteItemFromObject(rule(j, 0), "helpUri"); }
static void f_dead_anchor(cJSON *j)
{
    set_str(rule(j, 0), "helpUri", "https://github.com/flowmage/flowmage/blob/main/docs/check.md#no-such-rule");
}
static void f_no_full(cJSON *j) { cJSON_DeleteItemFromObject(rule(j, 1), "fullDescription"); }
static void f_long_short(cJSON *j)
{
    char s[1100];
    memset(s, 'x', sizeof s - 1);
    s[sizeof s - 1] = 0;
    set_str(cJSON_GetObjectItem(rule(j, 1), "shortDescription"), "text", s);
}
static void f_level_none(cJSON *j)
{
    set_str(cJSON_GetObjectItem(rule(j, 2), "defaultConfiguration"), "level", "none");
}
static void f_dup_rule(cJSON *j) { set_str(rule(j, 1), "id", "new-nf"); }
static void f_no_fingerprint(cJSON *j)
{
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(result(j, 0), "partialFingerprints"),
                               "primaryLocationLineHash");
}
static void f_same_fingerprint(cJSON *j)
{
    const char *fp = cJSON_GetObjectItem(cJSON_GetObjectItem(result(j, 0), "partialFingerprints"),
                                         "primaryLocationLineHash")->valuestring;
    char copy[64];
    snprintf(copy, sizeof copy, "%s", fp);
    set_str(cJSON_GetObjectItem(result(j, 3), "partialFingerprints"), "primaryLocationLineHash", copy);
}
static void f_empty_message(cJSON *j) { set_str(cJSON_GetObjectItem(result(j, 0), "message"), "text", ""); }
static void f_bad_index(cJSON *j) { set_num(result(j, 0), "ruleIndex", 0); }
static void f_bad_rule(cJSON *j) { set_str(result(j, 0), "ruleId", "no-such-rule"); }
static void f_bad_level(cJSON *j) { set_str(result(j, 0), "level", "fatal"); }
static void f_version(cJSON *j) { set_str(j, "version", "2.0.0"); }
static void f_no_schema(cJSON *j) { cJSON_DeleteItemFromObject(j, "$schema"); }
static void f_many_runs(cJSON *j)
{
    cJSON *runs = cJSON_GetObjectItem(j, "runs");
    for (int i = 0; i < 20; i++)
        cJSON_AddItemToArray(runs, cJSON_Duplicate(run0(j), 1));
}
static void f_no_driver_name(cJSON *j)
{
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(cJSON_GetObjectItem(run0(j), "tool"), "driver"), "name");
}
static void f_many_tags(cJSON *j)
{
    cJSON *tags = cJSON_GetObjectItem(cJSON_GetObjectItem(rule(j, 0), "properties"), "tags");
    for (int i = 0; i < 20; i++)
        cJSON_AddItemToArray(tags, cJSON_CreateString("t"));
}

typedef struct { const char *tag; void (*fault)(cJSON *); const char *what; } fault;
static const fault faults[] = {
    {"result.locations", f_no_locations, "a result without locations"},
    {"result.locations", f_empty_locations, "an empty locations array"},
    {"region.startLine", f_no_region, "a location without region"},
    {"region.startLine", f_line_zero, "startLine 0"},
    {"location.relative", f_absolute_uri, "an absolute file:// URI"},
    {"location.relative", f_outside_uri, "a URI out of the root"},
    {"location.relative", f_slash_uri, "a URI starting with '/'"},
    {"location.uri", f_space_uri, "an unescaped space"},
    {"location.uri", f_bad_escape, "a broken %-escape"},
    {"location.uriBaseId", f_no_base, "no uriBaseId"},
    {"location.uriBaseId", f_other_base, "an undefined uriBaseId"},
    {"run.originalUriBaseIds", f_no_base_ids, "no originalUriBaseIds"},
    {"run.originalUriBaseIds", f_root_no_slash, "a root URI without the final '/'"},
    {"rule.help", f_no_help, "a rule without help"},
    {"rule.help", f_empty_help, "an empty help.text"},
    {"rule.helpUri", f_no_help_uri, "a rule without helpUri"},
    {"rule.helpUri", f_dead_anchor, "a helpUri to no heading of docs/check.md"},
    {"rule.fullDescription", f_no_full, "a rule without fullDescription"},
    {"rule.shortDescription", f_long_short, "a 1099-character shortDescription"},
    {"rule.level", f_level_none, "defaultConfiguration.level none"},
    {"rule.id", f_dup_rule, "two rules with one id"},
    {"rule.tags", f_many_tags, "22 tags"},
    {"result.fingerprint", f_no_fingerprint, "no primaryLocationLineHash"},
    {"result.fingerprint", f_same_fingerprint, "two results with one fingerprint"},
    {"result.message", f_empty_message, "an empty message"},
    {"result.ruleIndex", f_bad_index, "ruleIndex at another rule"},
    {"result.ruleId", f_bad_rule, "an undefined ruleId"},
    {"result.level", f_bad_level, "level fatal"},
    {"version", f_version, "version 2.0.0"},
    {"$schema", f_no_schema, "no $schema"},
    {"runs", f_many_runs, "21 runs"},
    {"driver.name", f_no_driver_name, "no driver name"},
};

static int count_tag(const char *text, const fm_sarif_opts *o, const char *tag, fm_buf *log)
{
    fm_buf_init(log);
    int n = fm_sarif_check(text, o, log);
    char want[64];
    snprintf(want, sizeof want, "%s: ", tag);
    int hits = 0;
    for (const char *p = fm_buf_cstr(log); (p = strstr(p, want)); p++)
        hits += p == log->data || p[-1] == '\n';
    return n && hits ? hits : 0;
}

static void self_test(void)
{
    char *g = root_file("tests/sh/check/expected.sarif"), *docs = root_file("docs/check.md");
    fm_sarif_opts o = {docs, 0};
    fm_buf log;
    fm_buf_init(&log);
    CHECK(fm_sarif_check(g, &o, &log) == 0, "golden SARIF: %s", fm_buf_cstr(&log));
    fm_buf_free(&log);
    cJSON *base = cJSON_Parse(g);
    CHECK(base && cJSON_GetArraySize(cJSON_GetObjectItem(run0(base), "results")) >= 4,
          "golden has results");
    for (size_t i = 0; base && i < sizeof faults / sizeof faults[0]; i++) {
        cJSON *j = cJSON_Duplicate(base, 1);
        faults[i].fault(j);
        char *t = cJSON_Print(j);
        CHECK(count_tag(t, &o, faults[i].tag, &log) > 0, "%s not caught as %s; got:\n%s",
              faults[i].what, faults[i].tag, fm_buf_cstr(&log));
        fm_buf_free(&log);
        free(t);
        cJSON_Delete(j);
    }
    /* --files: the golden's files are not in tests/sh/check (only the
     * attributes are), so every location but those on the attributes
     * fails; pointing one at baseline.json's last line passes. */
    const char *root = getenv("FM_ROOT");
    char uri[4096];
    snprintf(uri, sizeof uri, "file://%s/tests/sh/check/", root ? root : "");
    cJSON *j = cJSON_Duplicate(base, 1);
    set_str(cJSON_GetObjectItem(cJSON_GetObjectItem(run0(j), "originalUriBaseIds"), "%SRCROOT%"),
            "uri", uri);
    o.files_exist = 1;
    char *t = cJSON_Print(j);
    CHECK(count_tag(t, &o, "location.file", &log) >= 5, "missing files not caught:\n%s",
          fm_buf_cstr(&log));
    fm_buf_free(&log);
    free(t);
    cJSON *results = cJSON_GetObjectItem(run0(j), "results");
    while (cJSON_GetArraySize(results) > 1)
        cJSON_DeleteItemFromArray(results, 1);
    set_str(art(j, 0), "uri", "baseline.json");
    set_num(cJSON_GetObjectItem(phys(j, 0), "region"), "startLine", 24);
    t = cJSON_Print(j);
    CHECK(fm_sarif_check(t, &o, &log) == 0, "an existing file and line: %s", fm_buf_cstr(&log));
    fm_buf_free(&log);
    free(t);
    set_num(cJSON_GetObjectItem(phys(j, 0), "region"), "startLine", 999);
    t = cJSON_Print(j);
    CHECK(count_tag(t, &o, "location.line", &log) == 1, "line past the end not caught:\n%s",
          fm_buf_cstr(&log));
    fm_buf_free(&log);
    free(t);
    cJSON_Delete(j);
    cJSON_Delete(base);
    free(g);
    free(docs);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--list"))
        return list(argv[2]);
    if (argc > 1)
        return check_files(argc, argv);
    self_test();
    return fm_t_done("test_sarif_rules",
                     "golden SARIF passes the schema and code-scanning rules; 32 faults "
                     "(no or empty locations, no region, startLine 0, absolute, rooted and "
                     "'..' URIs, bad escapes, uriBaseId and originalUriBaseIds, help, "
                     "helpUri anchors, descriptions, levels, duplicate ids and fingerprints, "
                     "limits) each caught by its rule; --files catches missing files and lines");
}
