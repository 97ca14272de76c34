/* flowmage simulate — replay a trace through every RSS candidate the solver
 * considered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowmage/simulate.h"
#include "flowmage/solve.h"

static const char help[] =
"usage: flowmage simulate --config CHAIN.click --attrs ATTRS.json\n"
"                         (--trace FILE.pcap | --synthetic SPEC) [OPTIONS]\n"
"\n"
"Solves the configuration as 'flowmage solve' would (nothing is written),\n"
"then replays the trace under every RSS setting the solver evaluated:\n"
"Toeplitz hash and indirection table per packet, as the NIC does.  Prints,\n"
"per setting: the cost model's cycles per packet and predicted relative\n"
"throughput against the chosen (*) and the default (d) setting (what the\n"
"configuration does before solving: its MODE / FLOW_RULES_FILE rules or\n"
"HASHFUNC / HASHKEY, else the NIC's default hashing), the same with the\n"
"load imbalance measured on the trace, the per-core load, the share of\n"
"packets that go through state shared between cores and the share whose\n"
"state entry more than one core touches.\n"
"\n"
"Input:\n"
"  --config FILE        the Click configuration (also accepted as the only\n"
"                       positional argument)\n"
"  --attrs FILE         NF attributes (from 'flowmage analyze')\n"
"  --trace FILE         pcap or pcapng (Ethernet, 802.1Q/QinQ, raw IP, Linux\n"
"                       cooked); replayed on every input device.  Non-IP,\n"
"                       truncated and corrupt packets are counted and skipped\n"
"  --synthetic SPEC     generate the trace instead, deterministically, e.g.\n"
"                       \"flows=10000,packets=1M,zipf=1.1,srcs=1000,dsts=50,\n"
"                       proto=tcp:0.8,seed=1\"; keys (defaults):\n"
"                         flows (10000)  packets (1000000; k/M/G suffixes)\n"
"                         zipf (1.0: flow sizes ~ rank^-zipf; 0 = equal)\n"
"                         srcs (1000), dsts (100), at most flows: distinct\n"
"                           addresses, exact\n"
"                         sports (0 = random ephemeral), dports (16)\n"
"                         proto (tcp:0.8; NAME[:SHARE] joined by '+', NAME in\n"
"                           tcp, udp, other; the rest goes to the unlisted one)\n"
"                         ipv6 (0: share of flows), reverse (0: share of a\n"
"                           flow's packets sent back)\n"
"                         src_net (10.0.0.0/8), dst_net (192.168.0.0/16)\n"
"                         seed (1)\n"
"\n"
"Solver:\n"
"  --cores N            cores per RSS device (overrides N_QUEUES/MAXTHREADS)\n"
"  --nic NAME|FILE      NIC profile (default " FM_SOLVE_DEFAULT_NIC "; docs/nic-profiles.md)\n"
"  --cost-model FILE    cost-model constants (docs/cost-model.md)\n"
"  -p, --profile NAME|FILE\n"
"                       framework profile (default fastclick)\n"
"  --directional        as 'flowmage solve --directional'\n"
"  --two-port A,B       device A gets each connection's first direction,\n"
"                       device B its replies (src and dst swapped); NFs both\n"
"                       reach count state entries across the two sides\n"
"\n"
"Output (FILE '-' is standard output):\n"
"  --csv FILE           one row per setting, device and core, for plotting\n"
"  --svg FILE           bar chart of the per-core load, chosen vs default\n"
"  --dot FILE           the same as a Graphviz graph\n"
"  --json FILE          everything, machine-readable (docs/simulate.md)\n"
"  --top N              at most N settings per device group in the text,\n"
"                       besides the chosen and the default (default 20; 0 = all)\n"
"  --no-nfs             leave the per-NF table out of the text\n"
"  -q, --quiet          no text on standard output\n"
"  -h, --help           this text\n"
"\n"
"Files are written atomically.  Exit codes: 0 ok; 2 bad input or usage\n"
"(unreadable or corrupt trace, bad SPEC, configuration or attributes);\n"
"3 environment (e.g. profiles not found).\n";

enum { O_CONFIG = 256, O_ATTRS, O_TRACE, O_SYNTH, O_COST, O_DIR, O_CSV, O_SVG, O_DOT,
       O_JSON, O_NO_NFS, O_TOP, O_PAIR };

static const struct option own_options[] = {
    {"config", required_argument, 0, O_CONFIG}, {"attrs", required_argument, 0, O_ATTRS},
    {"trace", required_argument, 0, O_TRACE}, {"synthetic", required_argument, 0, O_SYNTH},
    {"cost-model", required_argument, 0, O_COST}, {"directional", no_argument, 0, O_DIR},
    {"csv", required_argument, 0, O_CSV}, {"svg", required_argument, 0, O_SVG},
    {"dot", required_argument, 0, O_DOT}, {"json", required_argument, 0, O_JSON},
    {"no-nfs", no_argument, 0, O_NO_NFS}, {"top", required_argument, 0, O_TOP},
    {"two-port", required_argument, 0, O_PAIR},
    {0, 0, 0, 0},
};

typedef struct args {
    fm_simulate_opts o;
    const char *trace, *synth, *csv, *svg, *dot, *json;
    int quiet, per_nf;
    size_t top;
    char *pair; /* --two-port A,B, cut in two at the comma (owned) */
} args;

/* One of the command's own options. 0 ok, else a usage error's code. */
static int own_option(void *ud, int c, const char *arg)
{
    args *a = ud;
    switch (c) {
    case O_CONFIG: a->o.config = arg; break;
    case O_ATTRS: a->o.attrs = arg; break;
    case O_TRACE: a->trace = arg; break;
    case O_SYNTH: a->synth = arg; break;
    case O_COST: a->o.cost_model = arg; break;
    case O_DIR: a->o.directional = 1; break;
    case O_CSV: a->csv = arg; break;
    case O_SVG: a->svg = arg; break;
    case O_DOT: a->dot = arg; break;
    case O_JSON: a->json = arg; break;
    case O_NO_NFS: a->per_nf = 0; break;
    case O_TOP: {
        char *end;
        long v = strtol(arg, &end, 10);
        if (!*arg || *end || v < 0)
            return fm_cli_usage_error("simulate", "--top needs a count (0 = all), got '%s'",
                                      arg);
        a->top = (size_t)v;
        break;
    }
    case O_PAIR: {
        const char *comma = strchr(arg, ',');
        if (!comma || comma == arg || !comma[1] || strchr(comma + 1, ','))
            return fm_cli_usage_error("simulate", "--two-port needs two device names, "
                                      "A,B, got '%s'", arg);
        free(a->pair);
        a->pair = fm_xstrdup(arg);
        a->pair[comma - arg] = 0;
        a->o.pair[0] = a->pair;
        a->o.pair[1] = a->pair + (comma - arg) + 1;
        break;
    }
    }
    return 0;
}

static const fm_cli_command command = {
    .name = "simulate", .help = help,
    .shared = FM_CLI_CORES | FM_CLI_NIC | FM_CLI_PROFILE | FM_CLI_QUIET,
    .max_cores = FM_SIM_MAX_CORES, .own = own_options, .own_option = own_option,
};

/* 0 ok, else a code for fm_cli_stop. */
static int parse_args(int argc, char **argv, args *a)
{
    a->per_nf = 1;
    a->top = 20;
    fm_cli_opts co;
    int rc = fm_cli_parse(&command, argc, argv, &co, a);
    fm_cli_opts_free(&co);
    if (rc != 0)
        return rc;
    a->o.cores = co.cores;
    a->o.nic = co.nic;
    a->o.profile = co.profile;
    a->quiet = co.quiet;
    if (optind < argc && !a->o.config)
        a->o.config = argv[optind++];
    if (optind < argc)
        return fm_cli_usage_error("simulate", "unexpected argument '%s'", argv[optind]);
    if (!a->o.config)
        return fm_cli_usage_error("simulate", "missing --config CHAIN.click");
    if (!a->o.attrs)
        return fm_cli_usage_error("simulate", "missing --attrs ATTRS.json");
    if (!a->trace == !a->synth)
        return fm_cli_usage_error("simulate", "give exactly one of --trace FILE and "
                                  "--synthetic SPEC");
    int to_stdout = 0;
    const char *outs[] = {a->csv, a->svg, a->dot, a->json};
    for (size_t i = 0; i < 4; i++)
        to_stdout += outs[i] && !strcmp(outs[i], "-");
    if (to_stdout > 1 || (to_stdout && !a->quiet))
        return fm_cli_usage_error("simulate", "only one output can go to '-', and only "
                                  "with --quiet");
    return 0;
}

/* The trace to replay, read or generated: 0 ok, -1 with err. */
static int load_trace(const args *a, fm_trace *tr, fm_error *err)
{
    if (a->synth) {
        fm_synth_spec spec;
        if (fm_synth_parse(a->synth, &spec, err) != 0 || fm_synth_generate(&spec, tr, err) != 0)
            return -1;
    } else if (fm_trace_read_pcap(a->trace, tr, err) != 0) {
        return -1;
    }
    if (tr->npkts == 0) {
        fm_trace_free(tr);
        return fm_fail(err, FM_ERR_INPUT, a->trace, 0, 0, "no IPv4/IPv6 packet to replay");
    }
    return 0;
}

/* The outputs and the table, then a warning per violated chosen setting. */
static int report(const args *a, const fm_simulation *sim, fm_error *err)
{
    /* every output staged, checked and written together */
    fm_stage st;
    fm_buf piped;
    fm_stage_init(&st);
    fm_buf_init(&piped);
    if (a->csv)
        fm_cli_stage(&st, a->csv, fm_simulation_csv(sim), &piped);
    if (a->svg)
        fm_cli_stage(&st, a->svg, fm_simulation_svg(sim), &piped);
    if (a->dot)
        fm_cli_stage(&st, a->dot, fm_simulation_dot(sim), &piped);
    if (a->json)
        fm_cli_stage(&st, a->json, fm_simulation_json(sim), &piped);
    if (fm_cli_commit(&st, &piped, err) != 0)
        return -1;
    if (!a->quiet) {
        char *t = fm_simulation_table(sim, a->per_nf, a->top);
        fputs(t, stdout);
        free(t);
    }
    for (size_t i = 0; i < sim->ncomps; i++) {
        const fm_sim_candidate *ch = &sim->cands[sim->chosen_cand[i]];
        if (ch->violations)
            fprintf(stderr, "flowmage: simulate: warning: under the chosen setting %llu "
                            "packets reach a shared-nothing NF's state from two cores; the "
                            "attributes do not match this trace (see the NF table)\n",
                    (unsigned long long)ch->violations);
    }
    return 0;
}

int fm_cmd_simulate(int argc, char **argv)
{
    args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    fm_error err = {0};
    fm_trace tr;
    if (rc != 0) {
        rc = fm_cli_stop(rc);
    } else if (load_trace(&a, &tr, &err) != 0) {
        rc = fm_cli_report(&err);
    } else {
        a.o.trace = &tr;
        fm_simulation sim;
        rc = FM_EXIT_OK;
        if (fm_simulate_run(&a.o, &sim, &err) != 0 || report(&a, &sim, &err) != 0)
            rc = fm_cli_report(&err);
        fm_simulation_free(&sim);
        fm_trace_free(&tr);
    }
    free(a.pair);
    return rc;
}
