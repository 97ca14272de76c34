/* flowmage deploy — summarize + analyze + solve in one go, through the
 * stages' libraries.  Every input is loaded and every stage run before the
 * first byte is written; then the work directory (the intermediate results)
 * and finally the configuration are written, each file atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "flowmage/attrs.h"
#include "flowmage/click.h"
#include "flowmage/facts.h"
#include "flowmage/llm.h"
#include "flowmage/profile.h"
#include "flowmage/solve.h"
#include "flowmage/summary.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char help[] =
"usage: flowmage deploy --build PATH... --config CHAIN.click [-o OUT.click]\n"
"                       [--work DIR] [OPTIONS]\n"
"\n"
"From a build to a configuration in one command: reads the facts the\n"
"flowmage GCC plugin stored in the build (summarize), derives every\n"
"element's attributes (analyze: from the static facts alone, offline,\n"
"unless --endpoint is given), chooses the header fields each input device's\n"
"NIC hashes (RSS) so that the most, and the most expensive, stateful NFs\n"
"run shared-nothing, and writes that choice into the configuration with\n"
"minimal edits (solve).  Every input is checked and every stage run before\n"
"anything is written; a failure leaves every file as it was.  The\n"
"intermediate results stay in the work directory, to inspect or to rerun\n"
"one stage by hand:\n"
"\n"
"  WORK/summaries/  index.json + one summary per element (docs/summaries.md)\n"
"  WORK/attrs.json  the attributes solve used (docs/attributes.md)\n"
"  WORK/solve.json  the solver's report (docs/solve.md)\n"
"\n"
"Input and output:\n"
"  --build PATH           object files, archives, a directory of them\n"
"                         (searched recursively) or a linked binary, compiled\n"
"                         with -fplugin=flowmage; repeatable, and every\n"
"                         non-option argument is one more PATH (required)\n"
"  --config FILE          the Click configuration to optimise (required)\n"
"  -o, --output FILE      the rewritten configuration (default\n"
"                         CONFIG.opt.click); may be CONFIG itself\n"
"  --work DIR             where the intermediate results go (default\n"
"                         .flowmage/ in OUTPUT's directory)\n"
"  -p, --profile NAME|FILE\n"
"                         framework profile for summarize and solve, with a\n"
"                         \"solver\" object (default fastclick; docs/profiles.md)\n"
"\n"
"Analyze (as 'flowmage analyze'; docs/analyze.md):\n"
"  --endpoint URL         also ask an OpenAI-compatible server (base URL\n"
"                         ending in /v1); without it nothing touches the\n"
"                         network ($OPENAI_BASE_URL is not read by deploy)\n"
"  --model NAME           model (default " FM_LLM_DEFAULT_MODEL ")\n"
"  --api-key-file FILE    API key file (mode 600); default $OPENAI_API_KEY;\n"
"                         sent only to " FM_LLM_DEFAULT_BASE_URL " unless\n"
"  --allow-key-to-custom-endpoint   is given\n"
"  --samples N            answers per NF, majority vote (default 5)\n"
"  --temperature T        sampling temperature (default 0.5)\n"
"  --max-tokens N         completion budget per answer (default 1024)\n"
"  --source-root DIR      show the NFs' per-packet source lines from DIR\n"
"  --source-budget BYTES  at most BYTES of such lines per NF (default " STR(FM_LLM_DEFAULT_SOURCE_BUDGET) ")\n"
"  --only NAME[,NAME...]  ask only about these NFs\n"
"  --no-cost-compare      skip the pairwise cost question for near ties\n"
"  --tie-fraction F       near-tie threshold for costs (default 0.10)\n"
"  --parallel P           requests in flight (default 4)\n"
"  --timeout S            seconds per request attempt (default 300)\n"
"  --retries R            retries after transient failures (default 3)\n"
"  --backoff S            first backoff delay (default 1)\n"
"  --cache-dir DIR        answer cache (default ~/.cache/flowmage)\n"
"  --no-cache             neither read nor write the cache\n"
"  --print-prompts DIR    also write every prompt into DIR\n"
"\n"
"Solve (as 'flowmage solve'; docs/solve.md):\n"
"  --nic NAME|FILE        NIC profile (default " FM_SOLVE_DEFAULT_NIC "; docs/nic-profiles.md)\n"
"  --cores N              cores reading each RSS device (default: the\n"
"                         devices' N_QUEUES / MAXTHREADS)\n"
"  --dialect D            flowrules (default: MODE flow + FLOW_RULES_FILE and\n"
"                         a testpmd rules file) or hashfunc (HASHFUNC keyword)\n"
"  --rules-file PATH      where the flow rules go (\"{dev}\": the device name;\n"
"                         default: the device's FLOW_RULES_FILE, else OUTPUT\n"
"                         without .click + .rules)\n"
"  --directional          each input device carries one traffic direction\n"
"  --cost-model FILE      cost-model constants (docs/cost-model.md)\n"
"  --explain              print every candidate's cost and the table of NFs:\n"
"                         key, intensity, cost, decision and why\n"
"  --dot FILE             the chain and the decisions as Graphviz DOT\n"
"  --json FILE            the solver's report also here ('-': stdout)\n"
"  --dry-run              decide and explain; write only the work directory,\n"
"                         no configuration and no rules file\n"
"\n"
"  -q, --quiet            no stage lines on stderr, no summary on stdout\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 deployed (some NFs may stay shared: that is a result);\n"
"2 bad usage or input (configuration errors as FILE:LINE:COL, a build\n"
"without flowmage facts, corrupt objects); 3 environment (data files not\n"
"found, the LLM endpoint unusable).\n"
"\n"
"Examples:\n"
"  flowmage deploy --build ~/fastclick/userlevel --config router.click \\\n"
"      -o router.opt.click --explain\n"
"  flowmage deploy --build bin/click --config router.click --cores 8 \\\n"
"      --endpoint http://127.0.0.1:8080/v1          # + llama-server\n";

enum { O_BUILD = 256, O_CONFIG, O_WORK };

/* Besides the shared ones, solve's and analyze's (fm_cli_llm_options). */
static const struct option own_options[] = {
    {"build", required_argument, 0, O_BUILD},
    {"config", required_argument, 0, O_CONFIG},
    {"work", required_argument, 0, O_WORK},
    {0, 0, 0, 0},
};

typedef struct args {
    fm_cli_opts o; /* the shared options, solve's and analyze's */
    const char **builds;
    size_t nbuilds;
    const char *config, *output, *work, *profile;
    int profile_given;
    char *owned_output, *owned_work; /* derived defaults */
} args;

static void args_free(args *a)
{
    free(a->builds);
    fm_cli_opts_free(&a->o);
    free(a->owned_output);
    free(a->owned_work);
}

/* OUT's directory + "/.flowmage" (".flowmage" when OUT has no directory). */
static char *default_work(const char *output)
{
    const char *slash = strrchr(output, '/');
    if (!slash)
        return fm_xstrdup(".flowmage");
    size_t n = (size_t)(slash - output);
    char *s = fm_xmalloc(n + sizeof "/.flowmage");
    memcpy(s, output, n);
    strcpy(s + n, "/.flowmage"); /* "/x.click": "/.flowmage" */
    return s;
}

static void add_build(args *a, const char *path)
{
    a->builds = fm_xrealloc(a->builds, (a->nbuilds + 1) * sizeof *a->builds);
    a->builds[a->nbuilds++] = path;
}

static int own_option(void *ud, int c, const char *arg)
{
    args *a = ud;
    switch (c) {
    case O_BUILD: add_build(a, arg); break;
    case O_CONFIG: a->config = arg; break;
    case O_WORK: a->work = arg; break;
    }
    return 0;
}

static const fm_cli_command command = {
    .name = "deploy", .help = help,
    .shared = FM_CLI_OUTPUT | FM_CLI_NIC | FM_CLI_CORES | FM_CLI_PROFILE | FM_CLI_QUIET |
              FM_CLI_SOLVE | FM_CLI_LLM,
    .max_cores = FM_CLI_MAX_CORES, .wording = FM_CLI_NUM_NEEDS, .own = own_options,
    .own_option = own_option,
};

/* 0 ok, else a code for fm_cli_stop. */
static int parse_args(int argc, char **argv, args *a)
{
    int rc = fm_cli_parse(&command, argc, argv, &a->o, a);
    if (rc != 0)
        return rc;
    fm_cli_llm *l = &a->o.llm;
    a->profile = a->o.profile ? a->o.profile : "fastclick";
    a->profile_given = a->o.profile != NULL;
    for (int i = optind; i < argc; i++)
        add_build(a, argv[i]);
    if (!a->nbuilds)
        return fm_cli_usage_error("deploy", "no build given (--build PATH: objects, "
                                  "archives, a directory or a binary)");
    if (!a->config)
        return fm_cli_usage_error("deploy", "--config CHAIN.click is required");
    if (l->opts.cache_dir && l->opts.no_cache)
        return fm_cli_usage_error("deploy", "--cache-dir and --no-cache exclude each other");
    if (l->endpoint && !*l->endpoint)
        l->endpoint = NULL;
    a->output = a->o.output;
    if (!a->output)
        a->output = a->owned_output = fm_cli_default_output(a->config);
    if (!a->work)
        a->work = a->owned_work = default_work(a->output);
    a->o.solve.opts.output = a->output;
    a->o.solve.opts.cores = a->o.cores;
    l->opts.llm.base_url = l->endpoint;
    return 0;
}

/* Everything one run holds; freed by state_free(). */
typedef struct state {
    fm_profile prof;
    fm_solve_inputs in;
    fm_program *program;
    fm_summary_set sums;
    fm_attrs attrs;
    fm_analyze_stats stats;
    fm_solve_result res;
    fm_solve_output out;
    int have_prof, have_in, have_sums, have_attrs;
    char *key;
    char sums_dir[4096], attrs_path[4096], report_path[4096];
} state;

static void state_free(state *s)
{
    fm_solve_output_free(&s->out);
    fm_solve_result_free(&s->res);
    if (s->have_attrs)
        fm_attrs_free(&s->attrs);
    if (s->have_sums)
        fm_summary_set_free(&s->sums);
    if (s->program)
        fm_program_free(s->program);
    if (s->have_in)
        fm_solve_inputs_free(&s->in);
    if (s->have_prof)
        fm_profile_free(&s->prof);
    fm_llm_key_free(s->key);
}

static void show_progress(void *ud, long done, long total)
{
    (void)ud;
    fprintf(stderr, "\rflowmage: deploy: analyze: %ld/%ld samples", done, total);
    fflush(stderr);
}

/* Stage 2: the build's facts into summaries (in memory). */
static int summarize(const args *a, state *s, fm_error *err)
{
    s->program = fm_program_new();
    for (size_t i = 0; i < a->nbuilds; i++)
        if (fm_program_load(s->program, a->builds[i], err) != 0)
            return -1;
    fm_program_stats st = fm_program_get_stats(s->program);
    if (st.units == 0)
        return fm_fail(err, FM_ERR_INPUT, a->builds[0], 0, 0,
                       "no flowmage facts in the build (%zu input%s, %zu file%s without "
                       "a .flowmage section): compile it with -fplugin=flowmage "
                       "(docs/fastclick.md)", st.inputs, st.inputs == 1 ? "" : "s",
                       st.skipped_files, st.skipped_files == 1 ? "" : "s");
    if (fm_summarize(s->program, &s->prof, &s->sums, err) != 0)
        return -1;
    s->have_sums = 1;
    return 0;
}

/* Stage 3: attributes (static unless an endpoint was given). */
static int analyze(const args *a, state *s, fm_error *err)
{
    fm_analyze_opts o = a->o.llm.opts;
    if (a->o.llm.endpoint) {
        if (fm_cli_llm_key(&a->o.llm, &o.llm, a->o.quiet, &s->key, err) != 0)
            return -1;
        if (isatty(2) && !a->o.quiet)
            o.progress = show_progress;
    }
    int rc = fm_analyze(&s->sums, &o, &s->attrs, &s->stats, err);
    if (o.progress && s->stats.requests + s->stats.cache_hits > 0)
        fputs("\r\033[K", stderr);
    if (rc != 0)
        return -1;
    s->have_attrs = 1;
    return 0;
}

/* Stage 4: decide and plan the edits (nothing written yet). */
static int solve(const args *a, state *s, fm_error *err)
{
    fm_solve_inputs *in = &s->in;
    if (fm_solve_run(&in->cfg, &in->graph, &s->attrs, &in->prof, &in->nic, &in->cost,
                     &a->o.solve.opts, &s->res, err) != 0)
        return -1;
    if (fm_solve_plan(&in->cfg, &s->res, &in->prof, &s->out, err) != 0)
        return -1;
    /* the invariant once more, right before anything is written */
    return fm_solve_check_invariant(&s->res, err);
}

/* Stage 5: every output staged (the work directory first, the
 * configuration and rules, then --json and --dot), every path checked, and
 * all written together under a lock on the work directory: a failure at
 * any output leaves every file as it was. */
static int stage_all(const args *a, state *s, fm_stage *st, fm_buf *to_stdout, fm_error *err)
{
    snprintf(s->sums_dir, sizeof s->sums_dir, "%s/summaries", a->work);
    snprintf(s->report_path, sizeof s->report_path, "%s/solve.json", a->work);
    if (fm_summary_set_stage(s->sums_dir, &s->sums, st, err) != 0)
        return -1;
    char *attrs = fm_attrs_to_json(&s->attrs);
    fm_stage_add(st, s->attrs_path, attrs, strlen(attrs), FM_STAGE_MKDIRS);
    free(attrs);
    const fm_solve_inputs *in = &s->in;
    char *rep = fm_solve_report_json(&s->res, &s->out, &in->cfg, a->output);
    fm_stage_add(st, s->report_path, rep, strlen(rep), FM_STAGE_MKDIRS);
    fm_cli_stage_solve(st, to_stdout, &a->o.solve, &s->res, &s->out, &in->cfg, a->output, rep);
    return 0;
}

static int write_all(const args *a, state *s, fm_error *err)
{
    fm_lock lk;
    if (fm_lock_dir(a->work, &lk, err) != 0)
        return -1;
    fm_stage st;
    fm_buf to_stdout;
    fm_stage_init(&st);
    fm_buf_init(&to_stdout);
    int rc = stage_all(a, s, &st, &to_stdout, err);
    if (rc == 0)
        rc = fm_cli_commit(&st, &to_stdout, err);
    else {
        fm_stage_free(&st);
        fm_buf_free(&to_stdout);
    }
    fm_unlock_dir(&lk);
    return rc;
}

static void report_stages(const args *a, const state *s)
{
    size_t stateful = 0;
    for (size_t i = 0; i < s->sums.n; i++)
        stateful += s->sums.v[i].a.stateful != 0;
    fm_program_stats st = fm_program_get_stats(s->program);
    fprintf(stderr, "flowmage: deploy: summarize: %zu elements (%zu stateful) from %zu "
                    "units -> %s\n", s->sums.n, stateful, st.units, s->sums_dir);
    if (a->o.llm.endpoint) {
        char line[400], u[1024];
        fm_analyze_stats_format(&s->stats, line, sizeof line);
        fm_llm_url_redact(a->o.llm.endpoint, u, sizeof u);
        fprintf(stderr, "flowmage: deploy: analyze: %s (%s) -> %s\n", line, u, s->attrs_path);
    } else {
        fprintf(stderr, "flowmage: deploy: analyze: static attributes (no --endpoint) "
                        "-> %s\n", s->attrs_path);
    }
    size_t edits = fm_solve_output_nedits(&s->out);
    fprintf(stderr, "flowmage: deploy: solve: %zu device%s, %zu edit%s -> %s\n",
            s->res.ndevices, s->res.ndevices == 1 ? "" : "s", edits, edits == 1 ? "" : "s",
            s->report_path);
}

static int run(const args *a, state *s, fm_error *err)
{
    /* Inputs first, the user's configuration before anything slow. */
    if (fm_profile_load(a->profile, &s->prof, err) != 0) {
        if (!a->profile_given) /* the shipped profile is missing: environment */
            err->kind = FM_ERR_ENV;
        return -1;
    }
    s->have_prof = 1;
    if (fm_solve_inputs_load(&s->in, a->config, s->prof.path, a->o.nic, a->o.solve.cost, err) != 0)
        return -1;
    s->have_in = 1;
    /* the outputs checked now too: the slow stages (and the LLM cache) run
     * only when they can be written; rules paths are known after solve */
    snprintf(s->attrs_path, sizeof s->attrs_path, "%s/attrs.json", a->work);
    const char *outs[] = {s->attrs_path, a->o.solve.dry_run ? NULL : a->output, a->o.solve.json,
                          a->o.solve.dot};
    const int flags[] = {FM_STAGE_MKDIRS, 0, 0, 0};
    if (fm_cli_check_outputs(outs, flags, 4, err) != 0)
        return -1;
    if (summarize(a, s, err) != 0 || analyze(a, s, err) != 0 || solve(a, s, err) != 0 ||
        write_all(a, s, err) != 0)
        return -1;
    if (!a->o.quiet)
        report_stages(a, s);
    if (a->o.solve.explain) {
        char *t = fm_solve_explain(&s->res, &s->out);
        fputs(t, stdout);
        free(t);
    }
    if (!a->o.quiet)
        fm_cli_solve_summary(&s->res, &s->out, a->output, a->work, a->o.solve.dry_run, a->o.solve.explain);
    return 0;
}

int fm_cmd_deploy(int argc, char **argv)
{
    args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        args_free(&a);
        return fm_cli_stop(rc);
    }
    state s;
    memset(&s, 0, sizeof s);
    fm_error err;
    memset(&err, 0, sizeof err);
    rc = run(&a, &s, &err) == 0 ? FM_EXIT_OK : fm_cli_report(&err);
    state_free(&s);
    args_free(&a);
    return rc;
}
