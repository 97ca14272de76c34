/* flowmage solve — choose RSS fields for a Click chain and rewrite it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowmage/attrs.h"
#include "flowmage/click.h"
#include "flowmage/solve.h"

static void usage(FILE *out)
{
    fprintf(out,
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
        "  --profile NAME|FILE   framework profile: a name under profiles/ or a file\n"
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
        "errors are reported as FILE:LINE:COL), 3 environment.\n");
}

typedef struct args {
    const char *config, *attrs, *output, *nic, *cost, *profile, *dot, *json;
    fm_solve_options opts;
    int explain, dry_run, quiet;
    char *default_output;
} args;

static int parse_cores(const char *s, unsigned *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < 1 || v > 65535)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static char *derive_output(const char *config)
{
    size_t n = strlen(config);
    if (n > 6 && !strcmp(config + n - 6, ".click"))
        n -= 6;
    char *s = malloc(n + 11);
    if (!s)
        return NULL;
    memcpy(s, config, n);
    strcpy(s + n, ".opt.click");
    return s;
}

static int parse_args(int argc, char **argv, args *a)
{
    enum { O_ATTRS = 256, O_NIC, O_CORES, O_DIALECT, O_RULES, O_DIR, O_COST,
           O_PROFILE, O_EXPLAIN, O_DOT, O_JSON, O_DRY };
    static const struct option longs[] = {
        {"attrs", 1, 0, O_ATTRS}, {"output", 1, 0, 'o'}, {"nic", 1, 0, O_NIC},
        {"cores", 1, 0, O_CORES}, {"dialect", 1, 0, O_DIALECT},
        {"rules-file", 1, 0, O_RULES}, {"directional", 0, 0, O_DIR},
        {"cost-model", 1, 0, O_COST}, {"profile", 1, 0, O_PROFILE},
        {"explain", 0, 0, O_EXPLAIN}, {"dot", 1, 0, O_DOT}, {"json", 1, 0, O_JSON},
        {"dry-run", 0, 0, O_DRY}, {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qh", longs, NULL)) != -1) {
        switch (c) {
        case O_ATTRS: a->attrs = optarg; break;
        case 'o': a->output = optarg; break;
        case O_NIC: a->nic = optarg; break;
        case O_CORES:
            if (parse_cores(optarg, &a->opts.cores) != 0)
                return fm_cli_usage_error("solve", "--cores needs a number in 1..65535, "
                                          "got '%s'", optarg);
            break;
        case O_DIALECT:
            if (fm_cli_dialect("solve", optarg, &a->opts.dialect) != 0)
                return FM_EXIT_INPUT;
            break;
        case O_RULES: a->opts.rules_file = optarg; break;
        case O_DIR: a->opts.directional = 1; break;
        case O_COST: a->cost = optarg; break;
        case O_PROFILE: a->profile = optarg; break;
        case O_EXPLAIN: a->explain = 1; break;
        case O_DOT: a->dot = optarg; break;
        case O_JSON: a->json = optarg; break;
        case O_DRY: a->dry_run = 1; break;
        case 'q': a->quiet = 1; break;
        case 'h': usage(stdout); return -2;
        case ':':
            return fm_cli_usage_error("solve", "option '%s' needs a value", argv[optind - 1]);
        default:
            return fm_cli_usage_error("solve", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return fm_cli_usage_error("solve", optind >= argc ? "missing CONFIG.click"
                                                          : "expected one CONFIG.click");
    a->config = argv[optind];
    if (!a->attrs)
        return fm_cli_usage_error("solve", "--attrs ATTRS.json is required");
    if (!a->output)
        a->output = a->default_output = derive_output(a->config);
    a->opts.output = a->output;
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
    if (fm_solve_inputs_load(&in->in, a->config, a->profile, a->nic, a->cost, err) != 0)
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

static void summary(const fm_solve_result *res, const fm_solve_output *out,
                    const args *a)
{
    fm_buf lines;
    fm_buf_init(&lines);
    fm_solve_decisions(res, &lines);
    fputs(fm_buf_cstr(&lines), stdout);
    fm_buf_free(&lines);
    size_t edits = 0;
    for (size_t i = 0; i < out->nedits; i++)
        edits += out->edits[i].keyword != NULL;
    if (a->dry_run)
        printf("dry run: %zu edit%s not written\n", edits, edits == 1 ? "" : "s");
    else
        printf("wrote %s (%zu edit%s)%s", a->output, edits, edits == 1 ? "" : "s",
               out->nfiles ? ", rules:" : "\n");
    for (size_t i = 0; !a->dry_run && i < out->nfiles; i++)
        printf(" %s%s", out->files[i].path, i + 1 == out->nfiles ? "\n" : "");
    for (size_t i = 0; !a->explain && i < res->nnotes; i++) /* --explain lists them */
        printf("note: %s\n", res->notes[i]);
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
                          &a->opts, &res, err);
    if (rc == 0)
        rc = fm_solve_plan(&si->cfg, &res, &si->prof, &out, err);
    /* the invariant once more, right before anything is written */
    if (rc == 0)
        rc = fm_solve_check_invariant(&res, err);
    if (rc == 0 && !a->dry_run)
        rc = fm_solve_commit(&out, a->output, err);
    if (rc == 0 && a->json)
        rc = fm_cli_emit(a->json, fm_solve_report_json(&res, &out, &si->cfg, a->output), err);
    if (rc == 0 && a->dot)
        rc = fm_cli_emit(a->dot, fm_solve_dot(&res), err);
    if (rc == 0 && a->explain) {
        char *s = fm_solve_explain(&res, &out);
        fputs(s, stdout);
        free(s);
    }
    if (rc == 0 && !a->quiet)
        summary(&res, &out, a);
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
    if (rc != 0) {
        free(a.default_output);
        return rc == -2 ? FM_EXIT_OK : rc;
    }
    fm_error err;
    memset(&err, 0, sizeof err);
    rc = run(&a, &err) == 0 ? FM_EXIT_OK : fm_cli_report(&err);
    free(a.default_output);
    return rc;
}
