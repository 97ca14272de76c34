/* flowmage solve — choose RSS fields for a Click chain and rewrite it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowmage/attrs.h"
#include "flowmage/click.h"
#include "flowmage/solve.h"

static const char help[] =
"usage: flowmage solve CONFIG.click --attrs ATTRS.json [options]\n"
"\n"
"Chooses, for every input device of a Click configuration, the header\n"
"fields the NIC hashes (RSS) so that the most, and the most expensive,\n"
"stateful NFs run shared-nothing, and writes the choice back with minimal\n"
"edits. An NF is made shared-nothing only when every device reaching it\n"
"hashes a subset of its key (symmetrically if its state sees both\n"
"directions); anything uncertain stays shared and is reported.\n"
"\n"
"options:\n"
"  --attrs FILE          NF attributes (from 'flowmage analyze'); required\n"
"  -o, --output FILE     rewritten configuration (default CONFIG.opt.click)\n"
"  --nic NAME|FILE       NIC profile: a name under profiles/nics/ or a file\n"
"                        (default " FM_SOLVE_DEFAULT_NIC "; see docs/nic-profiles.md)\n"
"  --cores N             cores reading each RSS device; overrides the\n"
"                        devices' N_QUEUES / MAXTHREADS\n"
"  --dialect D           how the choice is written:\n"
"                          flowrules (default): MODE flow + FLOW_RULES_FILE\n"
"                            and a rules file in testpmd flow syntax, for\n"
"                            upstream FastClick's FromDPDKDevice\n"
"                          hashfunc: HASHFUNC \"src_ip dst_ip\" (+ HASHKEY\n"
"                            <hex> for a synthesised key)\n"
"  --rules-file PATH     where the flow rules go; \"{dev}\" is replaced by\n"
"                        the device name (default: the device's current\n"
"                        FLOW_RULES_FILE, else OUTPUT without .click +\n"
"                        .rules, absolute)\n"
"  --directional         each input device carries one direction of the\n"
"                        traffic: allows mirrored src-only/dst-only\n"
"                        settings on two devices for symmetric state\n"
"  --cost-model FILE     override cost-model constants (docs/cost-model.md)\n"
"  -p, --profile NAME|FILE\n"
"                        framework profile: a name under profiles/ or a file\n"
"                        (default fastclick)\n"
"  --explain             print, per device, every candidate's cost (best\n"
"                        first), the choice, and a table of NFs: key,\n"
"                        intensity, pointer chasing, cost, decision, why\n"
"  --dot FILE            write the chain and decisions as Graphviz DOT\n"
"  --json FILE           write the machine-readable report (docs/solve.md);\n"
"                        '-' for standard output\n"
"  --dry-run             decide and explain, write no configuration or rules\n"
"  -q, --quiet           no summary on standard output\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 solved (even if some NFs stay shared), 2 bad input (syntax\n"
"errors are reported as FILE:LINE:COL), 3 environment.\n";

typedef struct args {
    fm_cli_opts o;
    const char *config, *attrs, *output;
    char *default_output;
} args;

enum { O_ATTRS = 256 };

static const struct option own_options[] = {
    {"attrs", required_argument, 0, O_ATTRS},
    {0, 0, 0, 0},
};

static int own_option(void *ud, int c, const char *arg)
{
    (void)c; /* --attrs, the one option of its own */
    ((args *)ud)->attrs = arg;
    return 0;
}

static const fm_cli_command command = {
    .name = "solve", .help = help,
    .shared = FM_CLI_OUTPUT | FM_CLI_NIC | FM_CLI_CORES | FM_CLI_PROFILE | FM_CLI_QUIET |
              FM_CLI_SOLVE,
    .max_cores = FM_CLI_MAX_CORES, .own = own_options, .own_option = own_option,
};

/* 0 ok, else a code for fm_cli_stop. */
static int parse_args(int argc, char **argv, args *a)
{
    int rc = fm_cli_parse(&command, argc, argv, &a->o, a);
    if (rc != 0)
        return rc;
    if (optind + 1 != argc)
        return fm_cli_usage_error("solve", optind >= argc ? "missing CONFIG.click"
                                                          : "expected one CONFIG.click");
    a->config = argv[optind];
    if (!a->attrs)
        return fm_cli_usage_error("solve", "--attrs ATTRS.json is required");
    a->output = a->o.output;
    if (!a->output)
        a->output = a->default_output = fm_cli_default_output(a->config);
    a->o.solve.opts.output = a->output;
    a->o.solve.opts.cores = a->o.cores;
    return 0;
}

/* Everything loaded for one run: the solver's shared loader
 * (fm_solve_inputs_load, also used by simulate and deploy) plus the
 * attributes. */
typedef struct inputs {
    fm_solve_inputs in;
    fm_attrs attrs;
    int have_in, have_attrs;
} inputs;

static int load(const args *a, inputs *in, fm_error *err)
{
    if (fm_solve_inputs_load(&in->in, a->config, a->o.profile, a->o.nic, a->o.solve.cost, err) != 0)
        return -1;
    in->have_in = 1;
    if (fm_attrs_load(a->attrs, &in->attrs, err) != 0)
        return -1;
    in->have_attrs = 1;
    return 0;
}

static void unload(inputs *in)
{
    if (in->have_attrs)
        fm_attrs_free(&in->attrs);
    if (in->have_in)
        fm_solve_inputs_free(&in->in);
}

static int run(const args *a, fm_error *err)
{
    inputs in;
    memset(&in, 0, sizeof in);
    fm_solve_result res;
    fm_solve_output out;
    memset(&res, 0, sizeof res);
    memset(&out, 0, sizeof out);
    int rc = load(a, &in, err);
    fm_solve_inputs *si = &in.in;
    if (rc == 0)
        rc = fm_solve_run(&si->cfg, &si->graph, &in.attrs, &si->prof, &si->nic, &si->cost,
                          &a->o.solve.opts, &res, err);
    if (rc == 0)
        rc = fm_solve_plan(&si->cfg, &res, &si->prof, &out, err);
    /* the invariant once more, right before anything is written */
    if (rc == 0)
        rc = fm_solve_check_invariant(&res, err);
    /* every output staged, checked and written together: a bad --json
     * path fails before the configuration is touched */
    if (rc == 0) {
        fm_stage st;
        fm_buf to_stdout;
        fm_stage_init(&st);
        fm_buf_init(&to_stdout);
        fm_cli_stage_solve(&st, &to_stdout, &a->o.solve, &res, &out, &si->cfg, a->output, NULL);
        rc = fm_cli_commit(&st, &to_stdout, err);
    }
    if (rc == 0 && a->o.solve.explain) {
        char *s = fm_solve_explain(&res, &out);
        fputs(s, stdout);
        free(s);
    }
    if (rc == 0 && !a->o.quiet)
        fm_cli_solve_summary(&res, &out, a->output, NULL, a->o.solve.dry_run, a->o.solve.explain);
    fm_solve_output_free(&out);
    fm_solve_result_free(&res);
    unload(&in);
    return rc;
}

int fm_cmd_solve(int argc, char **argv)
{
    args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    fm_error err;
    memset(&err, 0, sizeof err);
    if (rc != 0)
        rc = fm_cli_stop(rc);
    else
        rc = run(&a, &err) == 0 ? FM_EXIT_OK : fm_cli_report(&err);
    fm_cli_opts_free(&a.o);
    free(a.default_output);
    return rc;
}

void fm_cli_solve_summary(const fm_solve_result *res, const fm_solve_output *out,
                          const char *output, const char *work, int dry_run, int explain)
{
    fm_buf lines;
    fm_buf_init(&lines);
    fm_solve_decisions(res, &lines);
    fputs(fm_buf_cstr(&lines), stdout);
    fm_buf_free(&lines);
    size_t edits = fm_solve_output_nedits(out);
    if (dry_run)
        printf("dry run: %zu edit%s not written\n", edits, edits == 1 ? "" : "s");
    else
        printf("wrote %s (%zu edit%s%s)%s", output, edits, edits == 1 ? "" : "s",
               edits || out->nfiles ? "" : ": it already says this, no rules file",
               out->nfiles ? ", rules:" : "\n");
    for (size_t i = 0; !dry_run && i < out->nfiles; i++)
        printf(" %s%s", out->files[i].path, i + 1 == out->nfiles ? "\n" : "");
    if (work)
        printf("work: %s (summaries/, attrs.json, solve.json)\n", work);
    for (size_t i = 0; !explain && i < res->nnotes; i++) /* --explain lists them */
        printf("note: %s\n", res->notes[i]);
}
