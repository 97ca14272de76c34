/* flowmage check — compare attributes against a baseline (CI, SARIF). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowmage/check.h"

static const char help[] =
"usage: flowmage check --baseline OLD_ATTRS.json NEW_ATTRS.json [OPTIONS]\n"
"\n"
"Compare the attributes of a build (from 'flowmage analyze') with a reviewed\n"
"baseline, for CI on a framework's repository.  Lists, per network function\n"
"(elements of role nf or flow_manager):\n"
"  new        NFs not in the baseline\n"
"  removed    NFs of the baseline that are gone\n"
"  changed    role, stateful, key kind, key, symmetric, intensity, pointer\n"
"             chasing or global state, as old -> new\n"
"  ambiguous  key kind unknown, each \"uncertain\" reason, each static-vs-LLM\n"
"             disagreement of the new attributes (an ambiguity the baseline\n"
"             already had is shown but was accepted then: it never fails)\n"
"with the source location of the evidence (file:line) when there is one.\n"
"\n"
"Options:\n"
"  --baseline FILE       the reviewed attributes (required)\n"
"  --sarif FILE          also write SARIF 2.1.0 (atomically; '-' = stdout)\n"
"  --json                print a JSON report instead of the text\n"
"  --fail-on CLASSES     which classes need a human, comma-separated from\n"
"                        new, removed, changed, ambiguous, all, none\n"
"                        (default: new,changed,ambiguous)\n"
"  --source-root DIR     evidence paths under DIR become relative URIs in the\n"
"                        SARIF (what code-scanning services expect)\n"
"  -h, --help            this text\n"
"\n"
"Findings that need a human are marked '!' in the text and have level\n"
"\"error\" in the SARIF; the others are \"note\".  Output is sorted and\n"
"deterministic.  Exit codes: 0 nothing needs a human; 1 something does;\n"
"2 bad input or usage (an unreadable or invalid attributes file).\n";

enum { O_BASELINE = 256, O_SARIF, O_JSON, O_FAIL_ON, O_ROOT };

static const struct option own_options[] = {
    {"baseline", required_argument, 0, O_BASELINE},
    {"sarif", required_argument, 0, O_SARIF},
    {"json", no_argument, 0, O_JSON},
    {"fail-on", required_argument, 0, O_FAIL_ON},
    {"source-root", required_argument, 0, O_ROOT},
    {0, 0, 0, 0},
};

typedef struct args {
    const char *baseline, *sarif, *root;
    int json;
    unsigned mask;
} args;

static int own_option(void *ud, int c, const char *arg)
{
    args *a = ud;
    fm_error err = {0};
    switch (c) {
    case O_BASELINE: a->baseline = arg; break;
    case O_SARIF: a->sarif = arg; break;
    case O_JSON: a->json = 1; break;
    case O_ROOT: a->root = arg; break;
    case O_FAIL_ON:
        if (fm_check_parse_fail_on(arg, &a->mask, &err) != 0)
            return fm_cli_usage_error("check", "%s", err.msg);
        break;
    }
    return 0;
}

static const fm_cli_command command = {
    .name = "check", .help = help, .own = own_options, .own_option = own_option,
};

int fm_cmd_check(int argc, char **argv)
{
    args a = {.mask = FM_CHECK_FAIL_DEFAULT};
    fm_cli_opts o;
    int rc = fm_cli_parse(&command, argc, argv, &o, &a);
    fm_cli_opts_free(&o);
    if (rc != 0)
        return fm_cli_stop(rc);
    const char *baseline = a.baseline, *sarif = a.sarif, *root = a.root;
    int json = a.json;
    unsigned mask = a.mask;
    fm_error err = {0};
    if (!baseline)
        return fm_cli_usage_error("check", "missing --baseline OLD_ATTRS.json");
    if (optind != argc - 1)
        return fm_cli_usage_error("check", optind >= argc ? "missing NEW_ATTRS.json"
                                                          : "one NEW_ATTRS.json only");
    if (json && sarif && !strcmp(sarif, "-"))
        return fm_cli_usage_error("check", "--json and --sarif - both want stdout");
    const char *cur_path = argv[optind];

    fm_attrs old, cur;
    if (fm_attrs_load(baseline, &old, &err) != 0)
        return fm_cli_report(&err);
    if (fm_attrs_load(cur_path, &cur, &err) != 0) {
        fm_attrs_free(&old);
        return fm_cli_report(&err);
    }
    fm_check_report rep;
    fm_check_compare(&old, &cur, baseline, cur_path, &rep);
    fm_attrs_free(&old);
    fm_attrs_free(&cur);

    rc = fm_check_count_failing(&rep, mask) ? FM_EXIT_FINDINGS : FM_EXIT_OK;
    int to_stdout = sarif && !strcmp(sarif, "-");
    if (sarif) {
        char *s = fm_check_sarif(&rep, mask, root);
        if (to_stdout)
            fputs(s, stdout);
        else if (fm_write_file_atomic(sarif, s, strlen(s), &err) != 0)
            rc = fm_cli_report(&err);
        free(s);
    }
    if (!to_stdout && (rc == FM_EXIT_OK || rc == FM_EXIT_FINDINGS)) {
        char *s = json ? fm_check_json(&rep, mask) : fm_check_text(&rep, mask);
        fputs(s, stdout);
        free(s);
    }
    fm_check_report_free(&rep);
    return rc;
}
