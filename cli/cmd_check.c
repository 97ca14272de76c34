/* flowmage check — compare attributes against a baseline (CI, SARIF). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowmage/check.h"
#include "flowmage/summary.h"

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
"  --summaries DIR       the summaries the new attributes came from: findings\n"
"                        without evidence about their attribute point at the\n"
"                        NF's class definition\n"
"\n"
"SARIF locations (GitHub code scanning's rules, docs/check.md):\n"
"  --source-root DIR     the repository root (default: the current directory);\n"
"                        every location is a path relative to it; evidence\n"
"                        outside it is named in the message, the result is\n"
"                        placed at the NF's own location; the baseline must\n"
"                        lie under it\n"
"  --build-dir DIR       where the compiler ran: relative source paths in the\n"
"                        evidence are relative to it (default: the source\n"
"                        root; FastClick: userlevel)\n"
"  -h, --help            this text\n"
"\n"
"Findings that need a human are marked '!' in the text and have level\n"
"\"error\" in the SARIF; the others are \"note\".  Output is sorted and\n"
"deterministic.  Exit codes: 0 nothing needs a human; 1 something does;\n"
"2 bad input or usage (an unreadable or invalid attributes file).\n";

enum { O_BASELINE = 256, O_SARIF, O_JSON, O_FAIL_ON, O_ROOT, O_BUILD_DIR, O_SUMMARIES };

static const struct option own_options[] = {
    {"baseline", required_argument, 0, O_BASELINE},
    {"sarif", required_argument, 0, O_SARIF},
    {"json", no_argument, 0, O_JSON},
    {"fail-on", required_argument, 0, O_FAIL_ON},
    {"source-root", required_argument, 0, O_ROOT},
    {"build-dir", required_argument, 0, O_BUILD_DIR},
    {"summaries", required_argument, 0, O_SUMMARIES},
    {0, 0, 0, 0},
};

/* Load both attributes files (keeping their text, which locates each NF's
 * entry), compare, and add the class definitions from the summaries. */
static int compare(const char *base_path, const char *cur_path, const char *sums_dir,
                   fm_check_report *rep, fm_error *err)
{
    char *text[2] = {NULL, NULL};
    const char *path[2] = {base_path, cur_path};
    fm_attrs a[2];
    int loaded = 0, rc = 0;
    for (; loaded < 2; loaded++) {
        size_t len;
        if (fm_read_file(path[loaded], &text[loaded], &len, err) != 0 ||
            fm_attrs_parse(text[loaded], len, path[loaded], &a[loaded], err) != 0) {
            rc = -1;
            break;
        }
    }
    fm_summary_set sums = {0};
    if (!rc && sums_dir && fm_summary_set_load(sums_dir, &sums, err) != 0)
        rc = -1;
    if (!rc) {
        fm_check_compare(&a[0], &a[1], base_path, cur_path, rep);
        fm_check_set_entries(rep, text[0], text[1]);
        for (size_t i = 0; i < sums.n; i++)
            fm_check_set_definition(rep, sums.v[i].a.name, sums.v[i].file, sums.v[i].line);
    }
    fm_summary_set_free(&sums);
    for (int i = 0; i < loaded; i++)
        fm_attrs_free(&a[i]);
    free(text[0]);
    free(text[1]);
    return rc;
}

typedef struct args {
    const char *baseline, *sarif, *root, *build_dir, *sums_dir;
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
    case O_BUILD_DIR: a->build_dir = arg; break;
    case O_SUMMARIES: a->sums_dir = arg; break;
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
    const char *build_dir = a.build_dir, *sums_dir = a.sums_dir;
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

    fm_check_report rep;
    if (compare(baseline, cur_path, sums_dir, &rep, &err) != 0)
        return fm_cli_report(&err);

    rc = fm_check_count_failing(&rep, mask) ? FM_EXIT_FINDINGS : FM_EXIT_OK;
    int to_stdout = sarif && !strcmp(sarif, "-");
    if (sarif) {
        fm_check_sarif_opts o = {root, build_dir, baseline, cur_path};
        char *s = NULL;
        if (fm_check_sarif(&rep, mask, &o, &s, &err) != 0 || fm_cli_emit(sarif, s, &err) != 0)
            rc = fm_cli_report(&err);
    }
    if (!to_stdout && (rc == FM_EXIT_OK || rc == FM_EXIT_FINDINGS)) {
        char *s = json ? fm_check_json(&rep, mask) : fm_check_text(&rep, mask);
        fputs(s, stdout);
        free(s);
    }
    fm_check_report_free(&rep);
    return rc;
}
