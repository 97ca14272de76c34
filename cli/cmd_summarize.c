/* flowmage summarize: per-NF summaries from objects, archives, binaries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowmage/facts.h"
#include "flowmage/profile.h"
#include "flowmage/summary.h"

static const char help[] =
"usage: flowmage summarize [OPTIONS] INPUT... -o DIR\n"
"\n"
"Read the facts the flowmage GCC plugin stored in INPUT (object files,\n"
"archives, directories of them searched recursively, or a linked\n"
"binary), find the network functions the profile describes, and write\n"
"one JSON summary per element plus index.json into DIR: statefulness,\n"
"the header fields keying the per-flow state, symmetry, write\n"
"intensity, pointer chasing, per-packet cost, configuration keywords,\n"
"each with evidence (function, file:line).  Same input, same bytes.\n"
"\n"
"options:\n"
"  -o, --output DIR      where to write (created if needed; required)\n"
"      --only NAMES      only these elements (comma-separated names)\n"
"  -p, --profile P       framework profile: a name (default fastclick;\n"
"                        also: dpdk) or a path to a profile .json\n"
"  -q, --quiet           no summary line on stderr\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 ok; 2 bad input (unreadable or corrupt facts, unknown\n"
"profile, no element base in the input) or usage.  Format: docs/summaries.md.\n";

enum { O_ONLY = 256 };

static const struct option own_options[] = {
    {"only", required_argument, 0, O_ONLY},
    {0, 0, 0, 0},
};

/* "a,b,c" into the set ud. */
static int own_option(void *ud, int c, const char *arg)
{
    (void)c; /* --only, the one option of its own */
    char *copy = fm_xstrdup(arg), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        fm_strset_add(ud, t);
    free(copy);
    return 0;
}

static const fm_cli_command command = {
    .name = "summarize", .help = help, .shared = FM_CLI_OUTPUT | FM_CLI_PROFILE | FM_CLI_QUIET,
    .own = own_options, .own_option = own_option,
};

int fm_cmd_summarize(int argc, char **argv)
{
    fm_strset only = {0};
    fm_cli_opts o;
    int rc = fm_cli_parse(&command, argc, argv, &o, &only);
    fm_cli_opts_free(&o);
    if (rc == 0 && optind >= argc)
        rc = fm_cli_usage_error("summarize", "no input");
    else if (rc == 0 && !o.output)
        rc = fm_cli_usage_error("summarize", "-o DIR is required");
    if (rc != 0) {
        fm_strset_free(&only);
        return fm_cli_stop(rc);
    }
    const char *out = o.output, *profile = o.profile ? o.profile : "fastclick";
    int quiet = o.quiet;
    fm_error err = {0};
    fm_profile prof;
    if (fm_profile_load(profile, &prof, &err) != 0) {
        fm_strset_free(&only);
        return fm_cli_report(&err);
    }
    fm_program *p = fm_program_new();
    for (int i = optind; i < argc && rc == FM_EXIT_OK; i++)
        if (fm_program_load(p, argv[i], &err) != 0)
            rc = fm_cli_report(&err);
    fm_summary_set set;
    if (rc == FM_EXIT_OK && fm_summarize_only(p, &prof, &only, &set, &err) != 0)
        rc = fm_cli_report(&err);
    else if (rc == FM_EXIT_OK) {
        if (fm_summary_set_save(out, &set, &err) != 0)
            rc = fm_cli_report(&err);
        else if (!quiet) {
            size_t stateful = 0;
            for (size_t i = 0; i < set.n; i++)
                stateful += set.v[i].a.stateful != 0;
            fm_program_stats st = fm_program_get_stats(p);
            fprintf(stderr, "flowmage: %zu elements (%zu stateful) from %zu units in %zu inputs -> %s\n",
                    set.n, stateful, st.units, st.inputs, out);
        }
        /* the process ends here: the kernel takes a build's facts and
         * summaries back at once, where freeing them block by block took
         * 0.7% of a FastClick build's profile (kept reachable, so that
         * leak checkers do not count them) */
        static struct { fm_summary_set set; fm_program *program; } *volatile kept;
        kept = fm_xmalloc(sizeof *kept);
        kept->set = set;
        kept->program = p;
        p = NULL;
    }
    fm_program_free(p);
    fm_profile_free(&prof);
    fm_strset_free(&only);
    return rc;
}
