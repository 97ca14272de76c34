/* The analyze/LLM flags 'flowmage analyze' and 'flowmage deploy' share, and
 * the number parser every command's flags go through. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Above any command's own codes (those start at 256). */
enum {
    O_ENDPOINT = FM_CLI_LLM_CODES, O_MODEL, O_KEYFILE, O_ALLOW_KEY, O_SAMPLES,
    O_TEMP, O_MAXTOK, O_ROOT, O_BUDGET, O_ONLY, O_NO_CMP, O_TIE, O_PARALLEL,
    O_TIMEOUT, O_RETRIES, O_BACKOFF, O_CACHE, O_NO_CACHE, O_PROMPTS
};

const struct option fm_cli_llm_options[FM_CLI_LLM_NOPTS + 1] = {
    {"endpoint", required_argument, 0, O_ENDPOINT},
    {"model", required_argument, 0, O_MODEL},
    {"api-key-file", required_argument, 0, O_KEYFILE},
    {"allow-key-to-custom-endpoint", no_argument, 0, O_ALLOW_KEY},
    {"samples", required_argument, 0, O_SAMPLES},
    {"temperature", required_argument, 0, O_TEMP},
    {"max-tokens", required_argument, 0, O_MAXTOK},
    {"source-root", required_argument, 0, O_ROOT},
    {"source-budget", required_argument, 0, O_BUDGET},
    {"only", required_argument, 0, O_ONLY},
    {"no-cost-compare", no_argument, 0, O_NO_CMP},
    {"tie-fraction", required_argument, 0, O_TIE},
    {"parallel", required_argument, 0, O_PARALLEL},
    {"timeout", required_argument, 0, O_TIMEOUT},
    {"retries", required_argument, 0, O_RETRIES},
    {"backoff", required_argument, 0, O_BACKOFF},
    {"cache-dir", required_argument, 0, O_CACHE},
    {"no-cache", no_argument, 0, O_NO_CACHE},
    {"print-prompts", required_argument, 0, O_PROMPTS},
    {0, 0, 0, 0},
};

int fm_cli_number(const char *cmd, fm_cli_num_wording w, const char *opt, const char *s,
                  double lo, double hi, int integer, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    int not_number = errno || end == s || *end || !isfinite(v) || v < lo || v > hi;
    if (!not_number && !(integer && v != floor(v))) {
        *out = v;
        return 0;
    }
    if (w == FM_CLI_NUM_NEEDS)
        fm_cli_usage_error(cmd, "%s needs %s in %g..%g, got '%s'", opt,
                           integer ? "an integer" : "a number", lo, hi, s);
    else if (not_number)
        fm_cli_usage_error(cmd, "%s: \"%s\" is not a number in %g..%g", opt, s, lo, hi);
    else
        fm_cli_usage_error(cmd, "%s: \"%s\" is not an integer", opt, s);
    return -1;
}

void fm_cli_llm_init(fm_cli_llm *l, const char *cmd, fm_cli_num_wording w)
{
    memset(l, 0, sizeof *l);
    l->cmd = cmd;
    l->wording = w;
    fm_analyze_opts_init(&l->opts);
}

void fm_cli_llm_free(fm_cli_llm *l)
{
    fm_strset_free(&l->only);
}

static int real(const fm_cli_llm *l, const char *opt, const char *s, double lo, double hi,
                double *out)
{
    return fm_cli_number(l->cmd, l->wording, opt, s, lo, hi, 0, out) == 0
           ? FM_CLI_FLAG_DONE : FM_CLI_FLAG_BAD;
}

static int integer(const fm_cli_llm *l, const char *opt, const char *s, int lo, int hi,
                   int *out)
{
    double v;
    if (fm_cli_number(l->cmd, l->wording, opt, s, lo, hi, 1, &v) != 0)
        return FM_CLI_FLAG_BAD;
    *out = (int)v;
    return FM_CLI_FLAG_DONE;
}

int fm_cli_llm_flag(fm_cli_llm *l, int c, const char *arg)
{
    fm_analyze_opts *o = &l->opts;
    int rc = FM_CLI_FLAG_DONE, v = 0;
    double d = 0;
    switch (c) {
    case O_ENDPOINT: l->endpoint = arg; break;
    case O_MODEL: o->llm.model = arg; break;
    case O_KEYFILE: l->keyfile = arg; break;
    case O_ALLOW_KEY: o->llm.allow_key_to_custom_endpoint = 1; break;
    case O_SAMPLES: rc = integer(l, "--samples", arg, 1, 64, &o->llm.samples); break;
    case O_TEMP: rc = real(l, "--temperature", arg, 0, 2, &o->llm.temperature); break;
    case O_MAXTOK: rc = integer(l, "--max-tokens", arg, 16, 1000000, &o->llm.max_tokens); break;
    case O_ROOT: o->source_root = arg; break;
    case O_BUDGET:
        rc = integer(l, "--source-budget", arg, 0, 1 << 20, &v);
        o->source_budget = (size_t)v;
        break;
    case O_ONLY: {
        char *copy = fm_xstrdup(arg), *save = NULL;
        for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
            fm_strset_add(&l->only, t);
        free(copy);
        o->only = &l->only;
        break;
    }
    case O_NO_CMP: o->compare_costs = 0; break;
    case O_TIE: rc = real(l, "--tie-fraction", arg, 0, 1, &o->tie_fraction); break;
    case O_PARALLEL: rc = integer(l, "--parallel", arg, 1, 256, &o->llm.parallel); break;
    case O_TIMEOUT:
        rc = real(l, "--timeout", arg, 0.001, 86400, &o->llm.timeout_s);
        if (rc == FM_CLI_FLAG_DONE && o->llm.connect_timeout_s > o->llm.timeout_s)
            o->llm.connect_timeout_s = o->llm.timeout_s;
        break;
    case O_RETRIES: rc = integer(l, "--retries", arg, 0, 100, &o->llm.retries); break;
    case O_BACKOFF:
        rc = real(l, "--backoff", arg, 0, 3600, &d);
        if (rc == FM_CLI_FLAG_DONE) {
            o->llm.backoff_base_s = d;
            if (o->llm.backoff_max_s < d)
                o->llm.backoff_max_s = d;
        }
        break;
    case O_CACHE: o->cache_dir = arg; break;
    case O_NO_CACHE: o->no_cache = 1; break;
    case O_PROMPTS: o->print_prompts_dir = arg; break;
    default: rc = FM_CLI_FLAG_NOT_MINE;
    }
    return rc;
}

int fm_cli_llm_key(const fm_cli_llm *l, fm_llm_config *o, int quiet, char **key,
                   fm_error *err)
{
    if (l->keyfile) {
        if (!(*key = fm_llm_key_file_read(l->keyfile, err)))
            return -1;
    } else if (getenv("OPENAI_API_KEY") && *getenv("OPENAI_API_KEY")) {
        *key = fm_xstrdup(getenv("OPENAI_API_KEY"));
    }
    o->api_key = *key;
    if (o->base_url && *key && !fm_llm_key_allowed(o) && !quiet) {
        char u[1024];
        fm_llm_url_redact(o->base_url, u, sizeof u);
        fprintf(stderr, "flowmage: %s: note: the API key is not sent to %s "
                        "(only to " FM_LLM_DEFAULT_BASE_URL " unless "
                        "--allow-key-to-custom-endpoint)\n", l->cmd, u);
    }
    return 0;
}
