/* Strict readers (common/schema.c): every format flowmage reads refuses a
 * value of the wrong type, a missing required field, a value outside its
 * set or range (numbers before any cast: the test build has
 * -fsanitize=float-cast-overflow) and text after the document, with one
 * error naming FILE:LINE:COL of the offending value.  Each case below was
 * read silently before (a fallback value, or undefined behaviour). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "flowmage/attrs.h"
#include "flowmage/profile.h"
#include "flowmage/solve.h"
#include "flowmage/summary.h"

typedef enum { ATTRS, SUMMARY, NIC, COST, PROFILE, SOLVER } format;

/* One element of attrs.json, on line 3 of the document. */
#define ATTRS_DOC(el) "{\"flowmage_attrs\": 1,\n \"elements\": [\n" el "]}"
#define SCAN "{\"name\": \"ScanWatch\", \"role\": \"nf\", "

#define SUMMARY_DOC(rest) "{\"flowmage_summary\": 1, \"name\": \"X\",\n" rest "}"
#define SUM_OK "\"role\": \"nf\", \"stateful\": true, \"key\": {\"kind\": \"unknown\"}"

#define NIC_DOC(rest) "{\"flowmage_nic\": 1, \"name\": \"n\",\n" rest "}"
#define NIC_SETS "\"sets\": [{\"fields\": [\"src_ip\"], \"rules\": [{\"pattern\": \"end\", " \
                 "\"types\": \"ipv4\"}]}]"

#define COST_DOC(rest) "{\"flowmage_cost_model\": 1,\n" rest "}"

#define PROFILE_DOC(el, rest) "{\"flowmage_profile\": 1, \"summarize\": {\n" \
    "\"elements\": {\"bases\": [\"Element\"]" el "}, \"entries\": [\"push\"]" rest "}}"

#define SOLVER_DOC(rest) "{\"solver\": {\n\"input_devices\": [{\"class\": \"D\"" rest "}]}}"

typedef struct tcase {
    format f;
    const char *text;
    long line, col;
    const char *msg;
} tcase;

static const tcase cases[] = {
    /* issue 12, item 1: a mistyped "stateful" was read as false */
    {ATTRS, ATTRS_DOC(SCAN "\"stateful\": \"true\"}"), 3, 49,
     "elements[0] (\"ScanWatch\").stateful: expected true or false, got the string \"true\""},
    {ATTRS, ATTRS_DOC(SCAN "\"stateful\": 1}"), 3, 49,
     "elements[0] (\"ScanWatch\").stateful: expected true or false, got the number 1"},
    {ATTRS, ATTRS_DOC(SCAN "\"key\": {\"kind\": \"fields\"}}"), 3, 1,
     "elements[0] (\"ScanWatch\"): missing required field \"stateful\""},
    {ATTRS, ATTRS_DOC("{\"name\": \"X\", \"role\": \"NF\", \"stateful\": true}"), 3, 23,
     "elements[0] (\"X\").role: the string \"NF\" is not one of other, nf or flow_manager"},
    {ATTRS, ATTRS_DOC("{\"name\": \"X\", \"stateful\": true}"), 3, 1,
     "elements[0] (\"X\"): missing required field \"role\""},
    {ATTRS, ATTRS_DOC(SCAN "\"stateful\": true, \"key\": {\"fields\": [\"dst_ip\"]}}"), 3, 62,
     "elements[0] (\"ScanWatch\").key: missing required field \"kind\""},
    {ATTRS, ATTRS_DOC(SCAN "\"stateful\": true, \"key\": {\"kind\": \"fields\", \"fields\": "
                           "[\"dst_mac\"]}}"), 3, 92, "elements[0] (\"ScanWatch\").key.fields[0]: the string \"dst_mac\" is not one of src_ip"},
    /* item 4: numbers out of range were cast (undefined) or read as inf */
    {ATTRS, ATTRS_DOC(SCAN "\"stateful\": false, \"cost\": 1e999}"), 3, 64,
     "elements[0] (\"ScanWatch\").cost: the number 1e999 is out of range (a number in 0..1e+12)"},
    {ATTRS, ATTRS_DOC(SCAN "\"stateful\": false, \"cost_rank\": 1e300}"), 3, 69,
     "elements[0] (\"ScanWatch\").cost_rank: the number 1e300 is out of range (an integer in 0..1e+09)"},
    {ATTRS, ATTRS_DOC(SCAN "\"stateful\": false, \"cost_rank\": 1.5}"), 3, 69,
     "the number 1.5 is not an integer"},
    {ATTRS, ATTRS_DOC(SCAN "\"stateful\": false, \"evidence\": [{\"line\": -1e300}]}"), 3, 78,
     "elements[0] (\"ScanWatch\").evidence[0].line: the number -1e300 is out of range"},
    {ATTRS, ATTRS_DOC(SCAN "\"stateful\": false, \"stateful\": true}"), 3, 56,
     "elements[0] (\"ScanWatch\"): field \"stateful\" is given twice"},
    {ATTRS, ATTRS_DOC(SCAN "\"stateful\": false}") " trailing", 3, 58,
     "invalid JSON: text after the value"},
    {ATTRS, "{\"flowmage_attrs\": \"1\", \"elements\": []}", 1, 20,
     "flowmage_attrs: expected an integer, got the string \"1\""},
    {ATTRS, "{\"flowmage_attrs\": 2, \"elements\": []}", 1, 20, "attributes version 2 is not"},
    {SUMMARY, SUMMARY_DOC("\"role\": \"NF\", \"stateful\": true, \"key\": {\"kind\": \"unknown\"}"),
     2, 9, "role: the string \"NF\" is not one of other, nf or flow_manager"},
    {SUMMARY, SUMMARY_DOC("\"role\": \"nf\", \"stateful\": \"yes\", \"key\": {\"kind\": \"unknown\"}"),
     2, 27, "stateful: expected true or false"},
    {SUMMARY, SUMMARY_DOC("\"role\": \"nf\", \"key\": {\"kind\": \"unknown\"}"), 1, 1,
     "missing required field \"stateful\""},
    {SUMMARY, SUMMARY_DOC(SUM_OK ", \"line\": 1e300"), 2, 69,
     "line: the number 1e300 is out of range"},
    {SUMMARY, SUMMARY_DOC(SUM_OK ", \"cost\": {\"statements\": -5}"), 2, 84,
     "cost.statements: the number -5 is out of range"},
    {SUMMARY, SUMMARY_DOC(SUM_OK ", \"tables\": [{\"location\": \"t\", \"key\": {\"kind\": 3}}]"), 2, 106, "tables[0].key.kind: expected a string, got the number 3"},
    {NIC, NIC_DOC(NIC_SETS ", \"key_len\": \"40\""), 2, 94,
     "key_len: expected an integer, got the string \"40\""},
    {NIC, NIC_DOC("\"sets\": [{\"fields\": [\"src_ip\"], \"rules\": [{\"pattern\": \"end\", "
                  "\"types\": \"ipv4\", \"priority\": 1e10}]}]"), 2, 91, "sets[0].rules[0].priority: the number 1e10 is out of range"},
    {NIC, NIC_DOC(NIC_SETS ", \"symetric_by_key\": true"), 2, 83,
     "unknown field \"symetric_by_key\""},
    {NIC, NIC_DOC("\"sets\": [{\"fields\": [\"proto\"], \"rules\": []}]"), 2, 22,
     "sets[0].fields[0]: the string \"proto\" is not one of src_ip, dst_ip, src_port or dst_port"},
    {COST, COST_DOC("\"field_entropy_position\": {\"src_ip\": [1e10, 3]}"), 2, 39,
     "field_entropy_position.src_ip[0]: the number 1e10 is out of range (an integer in 0..31)"},
    {COST, COST_DOC("\"tie_epsilon\": 1e999"), 2, 16, "the number 1e999 is out of range"},
    {COST, COST_DOC("\"device_weights\": {\"fd\": true}"), 2, 26,
     "device_weights.fd: expected a number, got true"},
    {PROFILE, PROFILE_DOC(", \"state_param\": 1e99", ""), 2, 51,
     "summarize.elements.state_param: the number 1e99 is out of range (an integer in 0..64)"},
    {PROFILE, PROFILE_DOC("", ", \"tables\": [{\"methods\": {\"find\": {\"op\": \"lookup\", "
                              "\"key\": -3e40}}}]"), 2, 114, "summarize.tables[0].methods.find.key: the number -3e40 is out of range"},
    {PROFILE, PROFILE_DOC("", ", \"hash_functions\": \"h\""), 2, 76,
     "summarize.hash_functions: expected an array, got the string \"h\""},
    {SOLVER, SOLVER_DOC(", \"rss\": \"yes\""), 2, 41,
     "solver.input_devices[0].rss: expected true or false, got the string \"yes\""},
    {SOLVER, SOLVER_DOC(", \"dialect\": [\"flowrules\"]"), 2, 34,
     "solver.input_devices[0]: unknown field \"dialect\""},
};

/* the solver's loader reads a file: its path is set in main */
static char solver_path[64];
static const char *names[] = {"attrs.json", "summary.json", "nic.json", "cost.json",
                              "profile.json", solver_path};

static int parse(const tcase *c, fm_error *err)
{
    size_t n = strlen(c->text);
    const char *name = names[c->f];
    switch (c->f) {
    case ATTRS: {
        fm_attrs a;
        int rc = fm_attrs_parse(c->text, n, name, &a, err);
        if (rc == 0)
            fm_attrs_free(&a);
        return rc;
    }
    case SUMMARY: {
        fm_summary s;
        int rc = fm_summary_parse(c->text, n, name, &s, err);
        if (rc == 0)
            fm_summary_free(&s);
        return rc;
    }
    case NIC: {
        fm_nic_profile p;
        int rc = fm_nic_parse(c->text, n, name, &p, err);
        if (rc == 0)
            fm_nic_free(&p);
        return rc;
    }
    case COST: {
        fm_cost_model m;
        int rc = fm_cost_model_parse(c->text, n, name, &m, err);
        if (rc == 0)
            fm_cost_model_free(&m);
        return rc;
    }
    case PROFILE: {
        fm_profile p;
        int rc = fm_profile_parse(c->text, n, name, &p, err);
        if (rc == 0)
            fm_profile_free(&p);
        return rc;
    }
    case SOLVER: {
        FILE *f = fopen(name, "w");
        if (!f)
            return fm_fail(err, FM_ERR_ENV, name, 0, 0, "cannot write the test file");
        fputs(c->text, f);
        fclose(f);
        fm_solver_profile sp;
        int rc = fm_solver_profile_load(name, &sp, err);
        if (rc == 0)
            fm_solver_profile_free(&sp);
        unlink(name);
        return rc;
    }
    }
    return 0;
}

/* The same documents with the offending value fixed load (so each case
 * fails for the reason it names), spot-checked on a few. */
static void test_valid(void)
{
    fm_error err = {0};
    fm_attrs a;
    const char *t = ATTRS_DOC(SCAN "\"stateful\": true, \"cost\": 12.5, \"cost_rank\": 2}");
    CHECK(fm_attrs_parse(t, strlen(t), "a", &a, &err) == 0, "%s", err.msg);
    if (err.kind == FM_ERR_NONE) {
        CHECK(a.n == 1 && a.elems[0].stateful && a.elems[0].key_kind == FM_KEY_UNKNOWN,
              "stateful, no key: unknown");
        CHECK(a.elems[0].cost == 12.5 && a.elems[0].cost_rank == 2, "numbers read");
        fm_attrs_free(&a);
    }
    /* role "other" may omit stateful (devices in hand-written files) */
    t = ATTRS_DOC("{\"name\": \"Queue\", \"role\": \"other\"}");
    CHECK(fm_attrs_parse(t, strlen(t), "a", &a, &err) == 0, "%s", err.msg);
    if (err.kind == FM_ERR_NONE)
        fm_attrs_free(&a);
    /* unknown fields of machine-written formats are ignored (forward
     * compatible), known ones are still checked */
    t = ATTRS_DOC(SCAN "\"stateful\": true, \"per_port_keys\": [{\"port\": 0}]}");
    CHECK(fm_attrs_parse(t, strlen(t), "a", &a, &err) == 0, "%s", err.msg);
    if (err.kind == FM_ERR_NONE)
        fm_attrs_free(&a);
    fm_summary s;
    t = SUMMARY_DOC(SUM_OK ", \"line\": 12, \"bulk_apis\": {}");
    CHECK(fm_summary_parse(t, strlen(t), "s", &s, &err) == 0, "%s", err.msg);
    if (err.kind == FM_ERR_NONE) {
        CHECK(s.line == 12 && s.a.role == FM_ROLE_NF && s.a.stateful, "summary read");
        fm_summary_free(&s);
    }
}

int main(void)
{
    snprintf(solver_path, sizeof solver_path, "/tmp/fm-strict-%ld.json", (long)getpid());
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const tcase *c = &cases[i];
        fm_error err;
        memset(&err, 0, sizeof err);
        int rc = parse(c, &err);
        CHECK(rc != 0, "case %zu (%s) accepted:\n%s", i, names[c->f], c->text);
        if (rc == 0)
            continue;
        char line[1200];
        fm_error_format(&err, line, sizeof line);
        CHECK(err.kind == FM_ERR_INPUT, "case %zu: error kind %d", i, (int)err.kind);
        CHECK(strstr(err.msg, c->msg) != NULL, "case %zu: '%s' lacks '%s'", i, line, c->msg);
        CHECK(err.line == c->line && err.col == c->col, "case %zu: at %ld:%ld, want %ld:%ld (%s)",
              i, err.line, err.col, c->line, c->col, line);
        CHECK(!strcmp(err.file, names[c->f]), "case %zu: file '%s'", i, err.file);
    }
    test_valid();
    return fm_t_done("test_strict_readers",
                     "attrs, summaries, NIC profiles, cost models and framework profiles: wrong "
                     "types, missing fields, values outside their sets or ranges, duplicates and "
                     "trailing text are one located error each");
}
