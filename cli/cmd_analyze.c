/* flowmage analyze — attributes from summaries (+ optional LLM cross-check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "flowmage/llm.h"
#include "flowmage/summary.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char help[] =
"usage: flowmage analyze SUMMARY_DIR -o ATTRS.json [OPTIONS]\n"
"\n"
"Attributes of every element (statefulness, flow key, R/W intensity, pointer\n"
"chasing, cost) from the summaries written by 'flowmage summarize'.  With no\n"
"endpoint they come from the static facts alone (provenance \"static\"), with\n"
"no network access.  With an OpenAI-compatible chat-completions endpoint\n"
"(OpenAI, llama.cpp's llama-server, Ollama's /v1, vLLM) every NF is also\n"
"asked the four questions N times; the majority is merged with the static\n"
"facts so that it can only make the result more conservative (the key kept\n"
"is the intersection; static evidence of state stands), and every\n"
"disagreement is recorded in the output (provenance \"static+llm\").\n"
"\n"
"Output:\n"
"  -o, --output FILE        attributes file, written atomically (required\n"
"                           unless --print-prompts is given)\n"
"\n"
"Endpoint:\n"
"  --endpoint URL           base URL ending in /v1 (default: $OPENAI_BASE_URL;\n"
"                           none: static attributes only)\n"
"  --no-llm                 static attributes only, even if OPENAI_BASE_URL is set\n"
"  --model NAME             model (default " FM_LLM_DEFAULT_MODEL ")\n"
"  --api-key-file FILE      read the API key from FILE (mode 600 or stricter);\n"
"                           default: $OPENAI_API_KEY.  The key is never printed,\n"
"                           logged or cached, and is only sent to\n"
"                           " FM_LLM_DEFAULT_BASE_URL " unless\n"
"  --allow-key-to-custom-endpoint   lets it go to the --endpoint URL too\n"
"\n"
"Questions:\n"
"  --samples N              answers per NF, majority vote (default 5, 1..64)\n"
"  --temperature T          sampling temperature (default 0.5)\n"
"  --max-tokens N           completion budget per answer (default 1024)\n"
"  --source-root DIR        also show source lines from the files under DIR:\n"
"                           in each NF's per-packet functions, the lines its\n"
"                           evidence points at, a line of context and the\n"
"                           signatures (its own code when no state was\n"
"                           found); no comments, never whole files\n"
"  --source-budget BYTES    at most BYTES of such lines per NF (default\n"
"                           " STR(FM_LLM_DEFAULT_SOURCE_BUDGET) "; 0: none)\n"
"  --only NAME[,NAME...]    ask only about these NFs (others stay static)\n"
"  --no-cost-compare        skip the pairwise cost question (asked for NFs\n"
"                           whose static costs are within the tie fraction)\n"
"  --tie-fraction F         near-tie threshold for costs (default 0.10)\n"
"\n"
"Requests:\n"
"  --parallel P             requests in flight (default 4)\n"
"  --timeout S              seconds per request attempt (default 300)\n"
"  --retries R              retries after 408/409/429/5xx, connection errors\n"
"                           and timeouts (default 3); Retry-After is honoured\n"
"  --backoff S              first backoff delay, doubled per retry, with\n"
"                           jitter (default 1)\n"
"\n"
"Cache:\n"
"  --cache-dir DIR          default $XDG_CACHE_HOME/flowmage or ~/.cache/flowmage;\n"
"                           answers are keyed by a SHA-256 of (endpoint, model,\n"
"                           request body): an unchanged NF sends no request\n"
"  --no-cache               neither read nor write the cache\n"
"\n"
"Other:\n"
"  --print-prompts DIR      write every prompt (and request body) into DIR;\n"
"                           without an endpoint nothing is sent\n"
"  -q, --quiet              no progress, no final report\n"
"  -h, --help               this text\n"
"\n"
"Progress goes to stderr when it is a terminal; a one-line report (requests,\n"
"cache hits, retries, failures, tokens) ends every run that used an endpoint.\n"
"Exit codes: 0 ok; 2 bad input or usage; 3 endpoint unusable (down, refusing\n"
"the key, failing after every retry): then no output file is written.\n"
"\n"
"Examples:\n"
"  flowmage analyze sums/ -o attrs.json                     # static, offline\n"
"  OPENAI_API_KEY=sk-... flowmage analyze sums/ -o attrs.json \\\n"
"      --endpoint https://api.openai.com/v1 --source-root ~/fastclick\n"
"  flowmage analyze sums/ -o attrs.json --endpoint http://127.0.0.1:8080/v1\n"
"  flowmage analyze sums/ -o attrs.json --endpoint http://127.0.0.1:11434/v1 \\\n"
"      --model qwen2.5-coder:7b                             # Ollama\n"
"More in docs/analyze.md.\n";

enum { O_NO_LLM = 256 };

/* Besides the shared analyze/LLM flags (fm_cli_llm_options). */
static const struct option own_options[] = {
    {"no-llm", no_argument, 0, O_NO_LLM},
    {0, 0, 0, 0},
};

static int own_option(void *ud, int c, const char *arg)
{
    (void)c, (void)arg; /* --no-llm, the one option of its own */
    *(int *)ud = 1;
    return 0;
}

static const fm_cli_command command = {
    .name = "analyze", .help = help, .shared = FM_CLI_OUTPUT | FM_CLI_QUIET | FM_CLI_LLM,
    .wording = FM_CLI_NUM_IS_NOT, .own = own_options, .own_option = own_option,
};

static void show_progress(void *ud, long done, long total)
{
    (void)ud;
    fprintf(stderr, "\rflowmage: analyze: %ld/%ld samples", done, total);
    fflush(stderr);
}

/* The options into *o (and *no_llm), the summary directory into *dir.
 * 0 ok, else a code for fm_cli_stop (--help printed, or a usage error). */
static int parse_args(int argc, char **argv, fm_cli_opts *o, int *no_llm, const char **dir)
{
    int rc = fm_cli_parse(&command, argc, argv, o, no_llm);
    if (rc != 0)
        return rc;
    if (optind != argc - 1)
        return fm_cli_usage_error("analyze", optind >= argc
                                  ? "missing SUMMARY_DIR" : "one SUMMARY_DIR only");
    if (!o->output && !o->llm.opts.print_prompts_dir)
        return fm_cli_usage_error("analyze", "missing -o ATTRS.json");
    if (o->llm.opts.cache_dir && o->llm.opts.no_cache)
        return fm_cli_usage_error("analyze", "--cache-dir and --no-cache exclude each other");
    *dir = argv[optind];
    return 0;
}

/* The endpoint (--endpoint, else $OPENAI_BASE_URL; none with --no-llm or
 * an empty one) and the API key into l->opts.llm.  0 ok, -1 with err. */
static int setup_llm(fm_cli_llm *l, int no_llm, int quiet, char **key, fm_error *err)
{
    fm_analyze_opts *o = &l->opts;
    const char *endpoint = l->endpoint;
    if (!endpoint)
        endpoint = getenv("OPENAI_BASE_URL");
    if (no_llm || (endpoint && !*endpoint))
        endpoint = NULL;
    o->llm.base_url = endpoint;
    if (fm_cli_llm_key(l, &o->llm, quiet, key, err) != 0)
        return -1;
    if (isatty(2) && !quiet && endpoint) {
        o->progress = show_progress;
        o->progress_ud = NULL;
    }
    return 0;
}

/* Load, analyze, save; the report line when an endpoint was used. */
static int run(const char *dir, const char *out, const fm_analyze_opts *o, int quiet,
               fm_error *err)
{
    fm_summary_set sums;
    fm_attrs attrs;
    fm_analyze_stats st;
    /* -o checked before any request, prompt or cache entry is written */
    const char *outs[] = {out};
    const int flags[] = {0};
    if (fm_cli_check_outputs(outs, flags, 1, err) != 0)
        return fm_cli_report(err);
    if (fm_summary_set_load(dir, &sums, err) != 0)
        return fm_cli_report(err);
    int r = fm_analyze(&sums, o, &attrs, &st, err);
    if (o->progress && st.requests + st.cache_hits > 0)
        fputs("\r\033[K", stderr);
    fm_summary_set_free(&sums);
    if (r != 0)
        return fm_cli_report(err);
    int rc = FM_EXIT_OK;
    if (out && fm_attrs_save(out, &attrs, err) != 0)
        rc = fm_cli_report(err);
    fm_attrs_free(&attrs);
    if (o->llm.base_url && !quiet && rc == FM_EXIT_OK) {
        char line[400];
        fm_analyze_stats_format(&st, line, sizeof line);
        fprintf(stderr, "flowmage: analyze: %s\n", line);
        if (st.cache_errors)
            fprintf(stderr, "flowmage: analyze: note: %ld cache entries could "
                            "not be written\n", st.cache_errors);
    }
    return rc;
}

int fm_cmd_analyze(int argc, char **argv)
{
    fm_cli_opts o;
    const char *dir = NULL;
    int no_llm = 0;
    char *key = NULL;
    fm_error err = {0};
    int rc = parse_args(argc, argv, &o, &no_llm, &dir);
    if (rc != 0)
        rc = fm_cli_stop(rc);
    else
        rc = setup_llm(&o.llm, no_llm, o.quiet, &key, &err) != 0
             ? fm_cli_report(&err) : run(dir, o.output, &o.llm.opts, o.quiet, &err);
    fm_llm_key_free(key);
    fm_cli_opts_free(&o);
    return rc;
}
