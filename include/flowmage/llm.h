/* flowmage — stage 3, analyze: attributes from per-NF summaries, with any
 * OpenAI-compatible chat-completions server (OpenAI, llama.cpp's
 * llama-server, Ollama's /v1, vLLM) as an optional second opinion.
 * Documented in docs/analyze.md.
 *
 * Without an endpoint the result is fm_summary_set_to_attrs() (provenance
 * "static") plus a cost rank.  With one, every NF (role "nf") is asked the
 * paper's four questions N times; the answers are validated, voted field by
 * field and merged with the static facts by rules that can only make the
 * result more conservative (never a larger key, never stateless when static
 * evidence found state), and every disagreement is recorded in attrs.json.
 *
 * The API key is never written anywhere (output, cache, cache key, error
 * messages) and is only sent to the default endpoint unless
 * allow_key_to_custom_endpoint is set. */
#ifndef FLOWMAGE_LLM_H
#define FLOWMAGE_LLM_H

#include "flowmage/attrs.h"
#include "flowmage/common.h"
#include "flowmage/summary.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FM_LLM_DEFAULT_BASE_URL "https://api.openai.com/v1"
#define FM_LLM_DEFAULT_MODEL "gpt-4o-mini"
/* Responses larger than this are refused (a misbehaving server must not be
 * able to make flowmage allocate without bound). */
#define FM_LLM_DEFAULT_MAX_RESPONSE (4u << 20)
/* Upper bound of the source lines shown per NF with a source root
 * (--source-budget). */
#define FM_LLM_DEFAULT_SOURCE_BUDGET 1024

/* How to reach the server.  Strings are borrowed (not copied). */
typedef struct fm_llm_config {
    const char *base_url;        /* ".../v1"; NULL or "" = no LLM (static) */
    const char *api_key;         /* NULL = none (local servers need none) */
    int allow_key_to_custom_endpoint; /* send the key to a non-default URL */
    const char *model;
    double temperature;
    int samples;                 /* answers per NF (majority vote) */
    int parallel;                /* requests in flight at once */
    double timeout_s;            /* whole request, per attempt */
    double connect_timeout_s;
    int retries;                 /* extra attempts after the first */
    double backoff_base_s;       /* exponential backoff: base * 2^k, jittered */
    double backoff_max_s;        /* cap of one backoff delay */
    double retry_after_max_s;    /* a longer Retry-After fails the run */
    double delay_scale;          /* multiplies every wait (tests: 0.01) */
    size_t max_response_bytes;
    int max_tokens;              /* completion budget per answer */
} fm_llm_config;

/* Fill the defaults: no endpoint, FM_LLM_DEFAULT_MODEL, temperature 0.5,
 * 5 samples, 4 parallel, 300 s timeout, 10 s connect timeout, 3 retries,
 * backoff 1 s .. 30 s, Retry-After up to 300 s, 4 MiB, 1024 tokens. */
void fm_llm_config_init(fm_llm_config *c);
/* 1 if url is the default OpenAI base URL (trailing '/' ignored). */
int fm_llm_url_is_default(const char *url);
/* Will the key be sent to this endpoint under this configuration? */
int fm_llm_key_allowed(const fm_llm_config *c);
/* url without any "user:password@" part, for messages ("" for NULL). */
void fm_llm_url_redact(const char *url, char *out, size_t n);
/* Read an API key file: it must be a regular file not accessible by group
 * or others (like ssh's private keys); surrounding whitespace is dropped.
 * Returns a malloc'd key (free it with fm_llm_key_free) or NULL + err. */
char *fm_llm_key_file_read(const char *path, fm_error *err);
/* Wipe and free a key. */
void fm_llm_key_free(char *key);

typedef struct fm_analyze_stats {
    long requests;          /* HTTP requests sent (retries included) */
    long cache_hits;        /* answers served from the cache */
    long retries;           /* requests repeated after a transient failure */
    long fallbacks;         /* requests repeated without an unsupported parameter */
    long answers;           /* valid answers used in votes */
    long failed;            /* answers lost: HTTP 4xx, malformed, truncated, too long */
    long rejected;          /* well-formed answers with values outside the allowed set */
    long prompt_tokens, completion_tokens;
    long tasks;             /* questions asked (NFs + cost comparisons) */
    long cache_errors;      /* cache entries that could not be written */
} fm_analyze_stats;

typedef struct fm_analyze_opts {
    fm_llm_config llm;
    const char *source_root;     /* show per-packet source lines from here */
    size_t source_budget;        /* at most this many bytes of them per NF
                                    (FM_LLM_DEFAULT_SOURCE_BUDGET) */
    const char *cache_dir;       /* NULL: $XDG_CACHE_HOME/flowmage or ~/.cache/flowmage */
    int no_cache;                /* neither read nor write the cache */
    const char *print_prompts_dir; /* write every prompt here (no network needed) */
    int compare_costs;           /* pairwise cost question for near-ties */
    double tie_fraction;         /* "near tie": costs within this fraction (0.10) */
    const fm_strset *only;       /* ask only about these NFs (NULL: every NF) */
    /* progress: called after each answer (done of total); may be NULL */
    void (*progress)(void *ud, long done, long total);
    void *progress_ud;
} fm_analyze_opts;

void fm_analyze_opts_init(fm_analyze_opts *o);

/* The default cache directory ($XDG_CACHE_HOME/flowmage or
 * $HOME/.cache/flowmage); -1 if neither variable is set. */
int fm_llm_default_cache_dir(char *out, size_t n);

/* Attributes for every summary in sums.  out is filled on success only.
 * Errors: FM_ERR_ENV when the endpoint cannot be used (down, refusing the
 * key, failing after every retry, no valid answer at all): the message names
 * the URL (without credentials); FM_ERR_INPUT for unreadable inputs.
 * stats (may be NULL) is filled in both cases. */
int fm_analyze(const fm_summary_set *sums, const fm_analyze_opts *o,
               fm_attrs *out, fm_analyze_stats *stats, fm_error *err);

/* One-line report of stats ("12 requests, 3 cache hits, ...") into out. */
void fm_analyze_stats_format(const fm_analyze_stats *s, char *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif
