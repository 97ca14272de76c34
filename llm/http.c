/* The request engine: chat-completion requests in parallel over libcurl's
 * multi interface, with retries, backoff, Retry-After, a response size cap
 * and fallbacks for parameters a server refuses.
 *
 * One job asks for some samples of one task: all of them at once with "n"
 * while the server is believed to honour it, else one sample per request
 * (with "seed" = the sample's index, so the requests differ).  A job ends
 * with its samples OK, REJECTED or FAILED, or is requeued:
 *   - transient failures (connection errors, timeouts, truncated bodies,
 *     HTTP 408/409/429/5xx) wait (Retry-After, else base * 2^k with jitter)
 *     and retry, at most `retries` times; then the run fails (FM_ERR_ENV);
 *   - a 4xx/5xx naming a parameter we sent (response_format/json_schema, n,
 *     max_tokens, temperature) downgrades the endpoint's capabilities and
 *     resends at once (counted as a fallback, not a retry);
 *   - 401/403/404 and other client errors fail the run at once;
 *   - 400/413/422 otherwise fail only that job's samples (e.g. one prompt
 *     too long for the model's context). */
#include "curl_dl.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "llm_int.h"

typedef struct xfer {          /* what curl's callbacks touch: stable address */
    CURL *easy;
    struct curl_slist *hdrs;
    char *body;
    fm_buf resp;
    size_t max;
    int oversize;
    double retry_after;        /* seconds, -1 when absent */
    double retry_after_ms;
    char errbuf[CURL_ERROR_SIZE];
} xfer;

typedef struct job {
    size_t task;
    int samples[64];           /* FM samples are capped at 64 by the CLI */
    int ns;
    int retried, fallbacks;
    double ready_at;
    int active, done;
    xfer *x;
    int sent_n;
    fm_llm_caps sent;
} job;

typedef struct engine {
    const fm_llm_config *c;
    fm_llm_caps *caps;
    fm_llm_task *tasks;
    size_t ntasks;
    job *jobs;
    size_t njobs, capjobs;
    CURLM *multi;
    char *url;
    char shown[1024];          /* base URL without credentials */
    const char *key;           /* NULL unless it may be sent */
    fm_llm_hooks *hooks;
    fm_analyze_stats *st;
    uint64_t rng;
    int inflight, fatal;
    fm_error *err;
} engine;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double uniform(engine *e)   /* xorshift64*, [0, 1) */
{
    e->rng ^= e->rng >> 12;
    e->rng ^= e->rng << 25;
    e->rng ^= e->rng >> 27;
    return (double)((e->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

double fm_llm_parse_retry_after(const char *v, long now)
{
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v >= '0' && *v <= '9') {
        char *end;
        double s = strtod(v, &end);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        return *end ? -1 : s;
    }
    fm_error err = {0}; /* (without libcurl, an HTTP date is not understood) */
    time_t t = fm_curl_open(&err) == 0 ? curl_getdate(v, NULL) : (time_t)-1;
    if (t == (time_t)-1)
        return -1;
    return t > now ? (double)(t - now) : 0;
}

static size_t job_add(engine *e, size_t task, const int *samples, int ns)
{
    if (e->njobs == e->capjobs) {
        e->capjobs = e->capjobs ? 2 * e->capjobs : 64;
        e->jobs = fm_xrealloc(e->jobs, e->capjobs * sizeof *e->jobs);
    }
    job *j = &e->jobs[e->njobs];
    memset(j, 0, sizeof *j);
    j->task = task;
    j->ns = ns;
    memcpy(j->samples, samples, (size_t)ns * sizeof *samples);
    return e->njobs++;
}

static void fatal(engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fatal(engine *e, const char *fmt, ...)
{
    if (e->fatal)
        return;
    e->fatal = 1;
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fm_fail(e->err, FM_ERR_ENV, "", 0, 0, "endpoint %s: %s", e->shown, msg);
}

static void progress(engine *e)
{
    e->hooks->done++;
    if (e->hooks->progress)
        e->hooks->progress(e->hooks->ud, e->hooks->done, e->hooks->total);
}

static void sample_fail(engine *e, fm_llm_task *t, int s, int rejected,
                        const char *why)
{
    t->state[s] = rejected ? FM_S_REJECTED : FM_S_FAILED;
    if (rejected)
        e->st->rejected++;
    else
        e->st->failed++;
    snprintf(t->why, sizeof t->why, "%s", why);
    progress(e);
}

static void job_fail(engine *e, job *j, const char *why)
{
    for (int i = 0; i < j->ns; i++)
        sample_fail(e, &e->tasks[j->task], j->samples[i], 0, why);
    j->done = 1;
}

/* ---- curl callbacks ---- */

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    xfer *x = ud;
    size_t n = sz * nm;
    if (x->resp.len + n > x->max) {
        x->oversize = 1;
        return 0;   /* curl ends the transfer with CURLE_WRITE_ERROR */
    }
    fm_buf_append(&x->resp, p, n);
    return n;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    xfer *x = ud;
    size_t n = sz * nm;
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {   /* a new response */
        x->retry_after = x->retry_after_ms = -1;
        return n;
    }
    static const char ra[] = "retry-after:", ram[] = "retry-after-ms:";
    char v[128];
    if (n > sizeof ram - 1 && strncasecmp(p, ram, sizeof ram - 1) == 0) {
        snprintf(v, sizeof v, "%.*s", (int)(n - (sizeof ram - 1)), p + sizeof ram - 1);
        double ms = fm_llm_parse_retry_after(v, (long)time(NULL));
        x->retry_after_ms = ms >= 0 && strchr(v, ',') == NULL ? ms : -1;
    } else if (n > sizeof ra - 1 && strncasecmp(p, ra, sizeof ra - 1) == 0) {
        snprintf(v, sizeof v, "%.*s", (int)(n - (sizeof ra - 1)), p + sizeof ra - 1);
        x->retry_after = fm_llm_parse_retry_after(v, (long)time(NULL));
    }
    return n;
}

/* ---- starting a request ---- */

static void job_start(engine *e, size_t ji)
{
    if (e->jobs[ji].ns > 1 && e->caps->n_ok == 0) {
        /* the server gives one choice per request: one job per sample */
        job tmp = e->jobs[ji];
        for (int k = 1; k < tmp.ns; k++)
            job_add(e, tmp.task, &tmp.samples[k], 1);
        e->jobs[ji].ns = 1;
    }
    job *j = &e->jobs[ji];
    const fm_llm_task *t = &e->tasks[j->task];
    int seed = j->ns == 1 && t->nsamples > 1 ? j->samples[0] : -1;
    xfer *x = fm_xcalloc(1, sizeof *x);
    x->max = e->c->max_response_bytes;
    x->retry_after = x->retry_after_ms = -1;
    fm_buf_init(&x->resp);
    x->body = fm_llm_request_body(e->c, e->caps, t, j->ns, seed);
    j->sent = *e->caps;
    j->sent_n = j->ns;
    x->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    x->hdrs = curl_slist_append(x->hdrs, "Accept: application/json");
    x->hdrs = curl_slist_append(x->hdrs, "Expect:");
    if (e->key) {
        size_t kl = strlen(e->key) + 32;
        char *h = fm_xmalloc(kl);
        snprintf(h, kl, "Authorization: Bearer %s", e->key);
        x->hdrs = curl_slist_append(x->hdrs, h);
        memset(h, 0, kl);
        free(h);
    }
    j->x = x;   /* freed with the job, whatever happens next */
    CURL *c = x->easy = curl_easy_init();
    if (!c || !x->hdrs) {
        fatal(e, "cannot set up a request (libcurl)");
        return;
    }
    curl_easy_setopt(c, CURLOPT_URL, e->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);   /* the key goes nowhere else */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->hdrs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "flowmage/" FM_VERSION);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(e->c->timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(e->c->connect_timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)(uintptr_t)ji);
    j->active = 1;
    e->inflight++;
    e->st->requests++;
    curl_multi_add_handle(e->multi, c);
}

static void xfer_free(engine *e, xfer *x)
{
    if (!x)
        return;
    if (x->easy) {
        curl_multi_remove_handle(e->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    for (struct curl_slist *h = x->hdrs; h; h = h->next)   /* wipe the key */
        memset(h->data, 0, strlen(h->data));
    curl_slist_free_all(x->hdrs);
    free(x->body);
    fm_buf_free(&x->resp);
    free(x);
}

/* ---- finishing a request ---- */

static void retry(engine *e, job *j, double retry_after, const char *what)
{
    if (j->retried >= e->c->retries) {
        fatal(e, "%s (gave up after %d attempts)", what, j->retried + 1);
        return;
    }
    double d;
    if (retry_after >= 0) {
        if (retry_after > e->c->retry_after_max_s) {
            fatal(e, "%s: the server asks to wait %.0f s, more than the %.0f s "
                  "limit", what, retry_after, e->c->retry_after_max_s);
            return;
        }
        d = retry_after;
    } else {   /* "equal jitter": half fixed, half random */
        d = e->c->backoff_base_s * pow(2, j->retried);
        if (d > e->c->backoff_max_s)
            d = e->c->backoff_max_s;
        d = d / 2 + uniform(e) * d / 2;
    }
    j->retried++;
    e->st->retries++;
    j->ready_at = now_s() + d * e->c->delay_scale;
}

/* The server's error text (error.message, error, message, detail), else
 * the raw body; sanitized, without the key, at most 200 bytes. */
static char *server_message(engine *e, const fm_buf *b)
{
    cJSON *j = b->len ? cJSON_ParseWithLength(b->data, b->len) : NULL;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
    const char *m = fm_json_str(err, "message", NULL);
    if (!m)
        m = fm_json_str(j, "error", NULL);
    if (!m)
        m = fm_json_str(j, "message", NULL);
    if (!m)
        m = fm_json_str(j, "detail", NULL);
    char *s = m ? fm_llm_sanitize(m, strlen(m), e->c->api_key, 200)
                : fm_llm_sanitize(b->data ? b->data : "", b->len, e->c->api_key, 200);
    cJSON_Delete(j);
    return s;
}

static int mentions(const char *lower, const char *const *words)
{
    for (; *words; words++)
        if (strstr(lower, *words))
            return 1;
    return 0;
}

/* A refusal that names a parameter we sent: learn and resend at once. */
static int fallback(engine *e, job *j, const char *msg)
{
    static const char *const fmt_words[] = {"response_format", "json_schema",
                                            "json schema", "schema", NULL};
    static const char *const n_words[] = {"choice", "'n'", "\"n\"", "`n`",
                                          "parameter n", "n must", "n >", "n>", NULL};
    if (j->fallbacks >= 6)
        return 0;
    char *lower = fm_xstrdup(msg);
    for (char *p = lower; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    fm_llm_caps *c = e->caps;
    int hit = 1;
    if (j->sent.format != FM_FMT_NONE && mentions(lower, fmt_words)) {
        if (c->format <= j->sent.format)
            c->format = j->sent.format + 1;
    } else if (j->sent_n > 1 && mentions(lower, n_words)) {
        c->n_ok = 0;
    } else if (!j->sent.max_completion_tokens && strstr(lower, "max_tokens")) {
        c->max_completion_tokens = 1;
    } else if (!j->sent.no_temperature && strstr(lower, "temperature")) {
        c->no_temperature = 1;
    } else {
        hit = 0;
    }
    free(lower);
    if (hit) {
        c->changed = 1;
        j->fallbacks++;
        e->st->fallbacks++;
        j->ready_at = 0;
    }
    return hit;
}

static void take_answer(engine *e, fm_llm_task *t, int s, const cJSON *choice)
{
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
    const char *content = fm_json_str(msg, "content", NULL);
    const char *finish = fm_json_str(choice, "finish_reason", "");
    char why[240];
    if (strcmp(finish, "length") == 0) {
        sample_fail(e, t, s, 0, "answer cut off (finish_reason \"length\"; "
                                "raise --max-tokens)");
        return;
    }
    if (!content) {
        sample_fail(e, t, s, 0, strcmp(finish, "content_filter") == 0
                                    ? "answer withheld by the server's filter"
                                    : "no content in the answer");
        return;
    }
    /* what the server said is stored (cache, reasons in attrs.json): never
     * with a secret in it, even one the server echoed */
    char *clean = fm_llm_redact(content, e->c->api_key);
    int v = fm_llm_validate(t->q, clean, why, sizeof why);
    if (v != FM_ANS_OK) {
        free(clean);
        sample_fail(e, t, s, v == FM_ANS_REJECTED, why);
        return;
    }
    t->state[s] = FM_S_OK;
    t->content[s] = clean;
    e->st->answers++;
    if (e->hooks->on_answer)
        e->hooks->on_answer(e->hooks->ud, t, s);
    progress(e);
}

/* A count reported by the server, ignored unless plausible. */
static long count(double v)
{
    return v >= 0 && v < 1e12 ? (long)v : 0;
}

static void on_success(engine *e, size_t ji, const fm_buf *b)
{
    job *j = &e->jobs[ji];
    fm_llm_task *t = &e->tasks[j->task];
    cJSON *r = cJSON_ParseWithLength(b->data ? b->data : "", b->len);
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(r, "choices");
    if (!cJSON_IsArray(ch) || cJSON_GetArraySize(ch) == 0) {
        job_fail(e, j, r ? "the reply is not a chat completion (no \"choices\")"
                         : "the reply is not valid JSON");
        cJSON_Delete(r);
        return;
    }
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(r, "usage");
    e->st->prompt_tokens += count(fm_json_num(u, "prompt_tokens", 0));
    e->st->completion_tokens += count(fm_json_num(u, "completion_tokens", 0));
    int got[64] = {0}, received = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, ch)
    {
        if (received == j->ns)
            break;
        double di = fm_json_num(c, "index", -1);
        int idx = di >= 0 && di < j->ns ? (int)di : -1;
        if (idx < 0 || got[idx])
            for (idx = 0; got[idx]; idx++)
                ;
        got[idx] = 1;
        received++;
        take_answer(e, t, j->samples[idx], c);
    }
    cJSON_Delete(r);
    j->done = 1;
    if (j->ns > 1 && received < j->ns) {
        if (received == 1 && e->caps->n_ok != 0)
            e->caps->n_ok = 0, e->caps->changed = 1;
        job left = *j;   /* job_add moves the array */
        for (int i = 0; i < left.ns; i++)
            if (!got[i])
                job_add(e, left.task, &left.samples[i], 1);
    } else if (j->ns > 1 && e->caps->n_ok != 1) {
        e->caps->n_ok = 1;
        e->caps->changed = 1;
    }
}

/* OpenAI's 429 for an account without credit (not a rate limit). */
static int out_of_quota(const fm_buf *body, const char *msg)
{
    return (body->data && strstr(body->data, "insufficient_quota")) ||
           strstr(msg, "exceeded your current quota");
}

static int transient_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT: case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PARTIAL_FILE: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR: case CURLE_BAD_CONTENT_ENCODING:
        return 1;
    default:
        return 0;
    }
}

static void job_finish(engine *e, size_t ji, CURLcode cc)
{
    job *j = &e->jobs[ji];
    xfer *x = j->x;
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    j->active = 0;
    j->x = NULL;
    e->inflight--;
    double ra = x->retry_after_ms >= 0 ? x->retry_after_ms / 1000 : x->retry_after;
    char what[400];
    if (cc == CURLE_WRITE_ERROR && x->oversize) {
        snprintf(what, sizeof what, "reply larger than %zu bytes: refused",
                 x->max);
        job_fail(e, j, what);
    } else if (cc != CURLE_OK) {
        snprintf(what, sizeof what, "%s",
                 x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
        if (transient_curl(cc))
            retry(e, j, -1, what);
        else
            fatal(e, "%s", what);
    } else if (status >= 200 && status < 300) {
        on_success(e, ji, &x->resp);
    } else {
        char *m = server_message(e, &x->resp);
        snprintf(what, sizeof what, "HTTP %ld%s%s", status, *m ? ": " : "", m);
        int transient = status == 408 || status == 409 || status == 429 ||
                        status >= 500;
        if (fallback(e, j, m))
            ;
        else if (status == 429 && out_of_quota(&x->resp, m))
            fatal(e, "%s", what);   /* out of credit: waiting will not help */
        else if (transient)
            retry(e, j, ra, what);
        else if (status == 401 || status == 403)
            fatal(e, "refused the request (HTTP %ld): %s", status, e->key
                  ? "check the API key"
                  : e->c->api_key ? "no key was sent: a key goes to a custom "
                                    "endpoint only with --allow-key-to-custom-endpoint"
                                  : "it needs an API key (OPENAI_API_KEY or "
                                    "--api-key-file)");
        else if (status == 400 || status == 413 || status == 422)
            job_fail(e, j, what);
        else
            fatal(e, "%s%s", what, status == 404 ? " (check the URL and the "
                                                   "model name)" : "");
        free(m);
    }
    xfer_free(e, x);
}

/* ---- the loop ---- */

static void make_jobs(engine *e)
{
    for (size_t i = 0; i < e->ntasks; i++) {
        fm_llm_task *t = &e->tasks[i];
        int pend[64], np = 0;
        for (int s = 0; s < t->nsamples && s < 64; s++)
            if (t->state[s] == FM_S_PENDING)
                pend[np++] = s;
        if (np > 1 && e->caps->n_ok != 0)
            job_add(e, i, pend, np);
        else
            for (int k = 0; k < np; k++)
                job_add(e, i, &pend[k], 1);
    }
}

int fm_llm_run(const fm_llm_config *c, fm_llm_caps *caps, fm_llm_task *tasks,
               size_t ntasks, fm_llm_hooks *hooks, fm_analyze_stats *st,
               fm_error *err)
{
    engine e;
    memset(&e, 0, sizeof e);
    e.c = c;
    e.caps = caps;
    e.tasks = tasks;
    e.ntasks = ntasks;
    e.hooks = hooks;
    e.st = st;
    e.err = err;
    e.key = fm_llm_key_allowed(c) ? c->api_key : NULL;
    e.rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid() ^
            (uint64_t)(uintptr_t)&e;
    e.rng |= 1;
    fm_llm_url_redact(c->base_url, e.shown, sizeof e.shown);
    size_t ul = strlen(c->base_url);
    while (ul && c->base_url[ul - 1] == '/')
        ul--;
    e.url = fm_xmalloc(ul + 32);
    snprintf(e.url, ul + 32, "%.*s/chat/completions", (int)ul, c->base_url);
    make_jobs(&e);
    e.multi = curl_multi_init();
    if (!e.multi)
        fatal(&e, "cannot set up libcurl");
    int parallel = c->parallel > 0 ? c->parallel : 1;
    while (!e.fatal) {
        double t = now_s();
        int waiting = 0;
        for (size_t i = 0; i < e.njobs && !e.fatal; i++) {
            job *j = &e.jobs[i];
            if (j->done || j->active)
                continue;
            if (j->ready_at <= t && e.inflight < parallel)
                job_start(&e, i);
            else
                waiting = 1;
        }
        if (e.fatal || (!e.inflight && !waiting))
            break;
        int running;
        curl_multi_perform(e.multi, &running);
        CURLMsg *m;
        int left;
        while (!e.fatal && (m = curl_multi_info_read(e.multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            void *p;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
            job_finish(&e, (size_t)(uintptr_t)p, m->data.result);
        }
        if (e.fatal)
            break;
        /* sleep until a socket wakes us, a job becomes due, or 200 ms */
        double wait = 0.2;
        t = now_s();
        for (size_t i = 0; i < e.njobs && e.inflight < parallel; i++) {
            const job *j = &e.jobs[i];
            if (!j->done && !j->active && j->ready_at - t < wait)
                wait = j->ready_at - t < 0 ? 0 : j->ready_at - t;
        }
        curl_multi_poll(e.multi, NULL, 0, (int)(wait * 1000), NULL);
    }
    for (size_t i = 0; i < e.njobs; i++)
        if (e.jobs[i].x)
            xfer_free(&e, e.jobs[i].x);
    if (e.multi)
        curl_multi_cleanup(e.multi);
    free(e.jobs);
    free(e.url);
    return e.fatal ? -1 : 0;
}
