/* Internals of the analyze stage, shared by the files of llm/ only (the contract with
 * the rest of flowmage is include/flowmage/llm.h). */
#ifndef FM_LLM_INT_H
#define FM_LLM_INT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "flowmage/llm.h"

/* ---- sha256.c ---- */
typedef struct fm_sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t nbuf;
} fm_sha256;
void fm_sha256_init(fm_sha256 *s);
void fm_sha256_update(fm_sha256 *s, const void *p, size_t n);
void fm_sha256_hex_final(fm_sha256 *s, char out[65]);
void fm_sha256_hex(const void *p, size_t n, char out[65]);

/* ---- questions and answers (answer.c) ---- */
typedef enum { FM_Q_ATTRS = 0, FM_Q_COMPARE } fm_question;

/* One validated answer to the four questions. */
typedef struct fm_llm_answer {
    int stateful;
    fm_key_kind key_kind;
    fm_fieldset fields;      /* only for FM_KEY_FIELDS */
    int symmetric;
    fm_intensity intensity;
    int pointer_chasing;
    char reason[200];
} fm_llm_answer;

/* One validated answer to the cost comparison. */
typedef enum { FM_CMP_A = 0, FM_CMP_B, FM_CMP_SAME } fm_cmp;
typedef struct fm_cmp_answer {
    fm_cmp heavier;
    char reason[200];
} fm_cmp_answer;

/* Outcome of validating a model's reply. */
enum { FM_ANS_OK = 0, FM_ANS_REJECTED = 1, FM_ANS_MALFORMED = -1 };

/* Find the JSON object in content (bare, in ``` fences, after <think>) and
 * validate it: FM_ANS_OK, FM_ANS_REJECTED (values outside the allowed sets,
 * or inconsistent), FM_ANS_MALFORMED (no object, missing fields, wrong
 * types).  why gets a short reason when not OK. */
int fm_llm_parse_attrs(const char *content, fm_llm_answer *a, char *why, size_t n);
int fm_llm_parse_cmp(const char *content, fm_cmp_answer *a, char *why, size_t n);
int fm_llm_validate(fm_question q, const char *content, char *why, size_t n);
/* The JSON schema of the answer to q (caller deletes). */
cJSON *fm_llm_schema(fm_question q);
const char *fm_llm_schema_name(fm_question q);

/* ---- capabilities of an endpoint, learned from its refusals ---- */
typedef enum { FM_FMT_SCHEMA = 0, FM_FMT_OBJECT, FM_FMT_NONE } fm_llm_format;
typedef struct fm_llm_caps {
    int format;                /* fm_llm_format the server accepts */
    int n_ok;                  /* -1 unknown, 0 no (one choice per request), 1 yes */
    int max_completion_tokens; /* send max_completion_tokens, not max_tokens */
    int no_temperature;        /* the model refuses a temperature */
    int changed;               /* learned something this run */
} fm_llm_caps;
void fm_llm_caps_init(fm_llm_caps *c);

/* ---- a question asked N times ---- */
typedef enum {
    FM_S_PENDING = 0, FM_S_OK, FM_S_REJECTED, FM_S_FAILED
} fm_sample_state;

typedef struct fm_llm_task {
    fm_question q;
    char *label;               /* NF name, or "A vs B" */
    size_t nf, nf_b;           /* index of the NF(s) in the summary set */
    char *system, *user;       /* the two messages */
    size_t facts_bytes;        /* bytes of the user message taken from the NF(s) */
    size_t source_bytes;       /* of which source excerpt (fn/N| lines) */
    int nsamples;
    fm_sample_state *state;
    char **content;            /* the raw reply of every OK sample */
    int *cached;               /* 1 when the sample came from the cache */
    char (*key)[65];           /* cache key of every sample */
    char why[240];             /* last failure, for reports */
} fm_llm_task;

void fm_llm_task_init(fm_llm_task *t, fm_question q, const char *label,
                      int nsamples);
void fm_llm_task_free(fm_llm_task *t);

/* ---- prompt.c ---- */
typedef struct fm_prompt_opts {
    const char *source_root;   /* NULL: facts only */
    size_t source_budget;      /* bytes of source excerpt per NF */
} fm_prompt_opts;
/* The system message of question q: the same for every NF (and pair). */
const char *fm_llm_system_message(fm_question q);
/* Build the messages of the attributes question for s (po may be NULL). */
void fm_llm_prompt_attrs(const fm_summary *s, const fm_prompt_opts *po,
                         fm_llm_task *t);
/* Build the messages of the cost comparison of a and b ("A" and "B"). */
void fm_llm_prompt_compare(const fm_summary *a, const fm_summary *b,
                           const fm_prompt_opts *po, fm_llm_task *t);
/* Request body.  caps decides the optional parts; n > 1 asks for n choices,
 * seed >= 0 adds a seed.  canonical = 1 builds the form hashed for the cache
 * key (full response_format, max_tokens, no n, no seed) whatever caps say. */
char *fm_llm_request_body(const fm_llm_config *c, const fm_llm_caps *caps,
                          const fm_llm_task *t, int n, int seed);
void fm_llm_cache_key(const fm_llm_config *c, const fm_llm_task *t, int sample,
                      char out[65]);

/* ---- excerpt.c ---- */
/* Append the source lines of s's per-packet functions that bear on the
 * answers (evidence lines, signatures, a line of context), comments and
 * blank lines removed, files resolved under root: at most budget bytes.
 * Returns the bytes appended (0 when root is NULL or unusable). */
size_t fm_llm_excerpt(const fm_summary *s, const char *root, size_t budget,
                      fm_buf *b);
/* Append at most n bytes of s, control characters turned into spaces. */
void fm_llm_put_clean(fm_buf *b, const char *s, size_t n);
/* Length of a function's name without its parameter list. */
size_t fm_llm_func_name_len(const char *function);
/* How a source file is named in a prompt: relative to root (realpath'd,
 * may be NULL) when it resolves under it, else without leading "./" and
 * "../".  buf has PATH_MAX bytes. */
const char *fm_llm_show_path(const char *root, const char *file, char *buf);
/* Append n bytes of a C++ name with long template arguments shortened to
 * "<...>" ("RateEWMAX<...>::update_time"; "<Bucket>" stays). */
void fm_llm_put_name(fm_buf *b, const char *name, size_t n);

/* ---- cache.c ---- */
/* Entries: DIR/responses/xx/KEY.json, mode 0600, written to a temporary
 * name and renamed (atomic; not fsync'd: an entry lost in a crash is a
 * miss, a damaged one fails validation and is a miss too). */
int fm_llm_cache_get(const char *dir, const char *key, char **content);
int fm_llm_cache_put(const char *dir, const char *key, const char *model,
                     const char *content, fm_error *err);
/* What an endpoint accepted: DIR/endpoints/HASH(url, model).json */
void fm_llm_caps_load(const char *dir, const char *url, const char *model,
                      fm_llm_caps *caps);
int fm_llm_caps_save(const char *dir, const char *url, const char *model,
                     const fm_llm_caps *caps, fm_error *err);

/* ---- http.c: the request engine over curl's multi interface ---- */
typedef struct fm_llm_hooks {
    /* a sample became FM_S_OK (write it to the cache) */
    void (*on_answer)(void *ud, fm_llm_task *t, int sample);
    void (*progress)(void *ud, long done, long total);
    void *ud;
    long done, total;          /* progress counters (answers) */
} fm_llm_hooks;

/* Ask every FM_S_PENDING sample of tasks.  Returns 0 when every request got
 * an HTTP answer (samples may still be FAILED/REJECTED), -1 with an
 * FM_ERR_ENV error when the endpoint could not be used. */
int fm_llm_run(const fm_llm_config *c, fm_llm_caps *caps, fm_llm_task *tasks,
               size_t ntasks, fm_llm_hooks *hooks, fm_analyze_stats *st,
               fm_error *err);
/* Seconds from a Retry-After value (delta-seconds or HTTP-date), -1 if
 * unparsable. */
double fm_llm_parse_retry_after(const char *value, long now);
/* Copy of text with every occurrence of secret replaced by "[redacted]",
 * control characters turned to spaces, cut to max bytes (malloc'd). */
char *fm_llm_sanitize(const char *text, size_t len, const char *secret,
                      size_t max);
/* Copy of a text to be stored (the cache, attrs.json reasons) with the API
 * key (also JSON-escaped) and anything shaped like a credential replaced by
 * "[redacted]": "Bearer <token>", well-known key prefixes (sk-, ghp_,
 * xoxb-, AKIA, ...) followed by 16+ token characters, JSON web tokens. */
char *fm_llm_redact(const char *text, const char *secret);

/* ---- merge.c ---- */
typedef struct fm_llm_vote {
    int n;                     /* valid answers */
    int stateful, stateful_votes;
    fm_key_kind key_kind;
    fm_fieldset fields;
    int key_votes, key_voters; /* key votes among the "stateful" answers */
    int symmetric, symmetric_votes;
    fm_intensity intensity;
    int intensity_votes;
    int pointer_chasing, pointer_votes;
    const char *reason;        /* a reason given by an answer of the majority */
} fm_llm_vote;

void fm_llm_vote_attrs(const fm_llm_answer *a, int n, fm_llm_vote *v);
/* Merge the vote into e (a copy of the static attributes), recording every
 * disagreement; returns the "llm" object (votes, agreement) to attach. */
cJSON *fm_llm_merge(fm_elem_attrs *e, const fm_llm_answer *a, int n,
                    const fm_llm_vote *v, const char *model, int samples,
                    int rejected, int failed);
/* Rank the NFs of attrs by static cost (1 = costliest); ties closer than
 * the tie fraction are ordered by wins in the comparisons (wins[i] counts
 * +1 per comparison won, -1 per comparison lost, for attrs->elems[i]). */
void fm_llm_cost_ranks(fm_attrs *attrs, const int *is_nf, const int *wins,
                       double tie_fraction);

#endif
