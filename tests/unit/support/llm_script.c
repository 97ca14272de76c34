/* Scripted answers of the fake server and the fm_analyze harness. */
#define _GNU_SOURCE
#include "llm_script.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"

const char *llmt_root(void)
{
    const char *r = getenv("FM_ROOT");
    return r && *r ? r : ".";
}

double llmt_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}


const char *llmt_good_answer(const char *nf)
{
    if (!strcmp(nf, "Policer"))
        return "{\"stateful\":true,\"key_kind\":\"fields\",\"key_fields\":[\"dst_ip\"],"
               "\"symmetric\":false,\"intensity\":\"per-packet\",\"pointer_chasing\":false,"
               "\"reason\":\"token bucket per destination address\"}";
    if (!strcmp(nf, "NatRewriter"))
        return "{\"stateful\":true,\"key_kind\":\"fields\",\"key_fields\":[\"src_ip\","
               "\"dst_ip\",\"src_port\",\"dst_port\",\"proto\"],\"symmetric\":true,"
               "\"intensity\":\"per-flow\",\"pointer_chasing\":true,\"reason\":\"NAT\"}";
    if (!strcmp(nf, "FlowCounter"))
        return "{\"stateful\":true,\"key_kind\":\"flow_manager\",\"key_fields\":[],"
               "\"symmetric\":false,\"intensity\":\"per-packet\",\"pointer_chasing\":false,"
               "\"reason\":\"FCB\"}";
    if (!strcmp(nf, "Sampler"))
        return "{\"stateful\":true,\"key_kind\":\"unknown\",\"key_fields\":[],"
               "\"symmetric\":false,\"intensity\":\"per-packet\",\"pointer_chasing\":false,"
               "\"reason\":\"hash through a pointer\"}";
    return "{\"stateful\":false,\"key_kind\":\"none\",\"key_fields\":[],\"symmetric\":false,"
           "\"intensity\":\"none\",\"pointer_chasing\":false,\"reason\":\"no state\"}";
}

void llmt_reply_with(fake_reply *r, const char *content, int n, const char *finish)
{
    const char *v[64];
    for (int i = 0; i < n; i++)
        v[i] = content;
    r->body = fake_completion(v, n, finish);
}

static void reply_good(const fake_req *q, fake_reply *r, const char *cmp)
{
    llmt_reply_with(r, q->compare ? cmp : llmt_good_answer(q->nf), q->n, "stop");
}



/* Rate limits, server errors, dropped connections, slow replies: 1 when
 * the reply is made, 0 to answer normally (perhaps after a delay). */
static int transient(const llmt_script *s, int k, fake_reply *r)
{
    char date[64];
    switch (s->scenario) {
    case S_429:
    case S_429_DATE:
    case S_429_LONG:
        if (k != 0)
            return 0;
        r->status = 429;
        if (s->scenario == S_429_DATE) {
            time_t t = time(NULL) + 40;
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            snprintf(r->headers, sizeof r->headers, "Retry-After: %s\r\n", date);
        } else {
            snprintf(r->headers, sizeof r->headers, "Retry-After: %s\r\n",
                     s->scenario == S_429 ? "30" : "100000");
        }
        r->body = fake_error_body("Rate limit reached for requests");
        return 1;
    case S_500_ONCE:
        if (k != 0)
            return 0;
        r->status = 500;
        r->body = fake_error_body("internal error");
        return 1;
    case S_CLOSE_ONCE:   /* the connection drops without a reply */
        if (k != 0)
            return 0;
        r->status = 0;
        return 1;
    case S_503:
        r->status = 503;
        r->body = fake_error_body("overloaded");
        return 1;
    case S_SLOW:
        if (k == 0)
            r->delay_s = 3;
        return 0;
    case S_DELAY:
        r->delay_s = 0.3;
        return 0;
    default:
        return 0;
    }
}

/* S_MIXED's Policer: two good choices, one invalid, the third cut off by
 * the token limit. */
static void mixed_policer(fake_reply *r)
{
    const char *v[3] = {
        llmt_good_answer("Policer"),
        "{\"stateful\":true,\"key_kind\":\"fields\",\"key_fields\":[\"dst_ip\"],"
        "\"symmetric\":false,\"intensity\":\"sometimes\",\"pointer_chasing\":false}",
        llmt_good_answer("Policer")};
    cJSON *o = cJSON_CreateObject();
    cJSON *ch = cJSON_AddArrayToObject(o, "choices");
    for (int i = 0; i < 3; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "index", i);
        cJSON *m = cJSON_AddObjectToObject(c, "message");
        cJSON_AddStringToObject(m, "role", "assistant");
        cJSON_AddStringToObject(m, "content", v[i]);
        cJSON_AddStringToObject(c, "finish_reason", i == 2 ? "length" : "stop");
        cJSON_AddItemToArray(ch, c);
    }
    r->body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
}

/* Bodies that are wrong in themselves: mixed, cut short, prose, too big. */
static int bad_bodies(const llmt_script *s, int k, const fake_req *q, fake_reply *r,
                      const char *cmp)
{
    switch (s->scenario) {
    case S_MIXED:
        if (!strcmp(q->nf, "Policer") && !q->compare)
            mixed_policer(r);
        else if (!strcmp(q->nf, "IPFilter"))
            r->body = strdup("{not json at all");
        else if (!strcmp(q->nf, "TTLDecrement"))
            r->body = strdup("{\"object\":\"chat.completion\",\"result\":{\"foo\":1}}");
        else
            return 0;
        return 1;
    case S_TRUNCATED:
        if (k != 0)
            return 0;
        reply_good(q, r, cmp);
        r->body[20] = 0;
        r->advertised_len = 5000;
        return 1;
    case S_MALFORMED_ALL:
        llmt_reply_with(r, "I think it is probably stateful, hard to say.", q->n, "stop");
        return 1;
    case S_OVERSIZED:
        if (strcmp(q->nf, "Policer"))
            return 0;
        size_t n = 5u << 20;
        r->body = malloc(n + 1);
        memset(r->body, ' ', n);
        r->body[0] = '{';
        r->body[n - 1] = '}';
        r->body[n] = 0;
        return 1;
    default:
        return 0;
    }
}

/* S_FORMATS: neither json_schema nor json_object (an old server). */
static void old_server(const fake_req *q, fake_reply *r, const char *cmp)
{
    if (!strcmp(q->format, "json_schema")) {
        r->status = 400;
        r->body = fake_error_body("response_format type 'json_schema' is not supported");
    } else if (!strcmp(q->format, "json_object")) {
        r->status = 400;
        r->body = fake_error_body("Invalid response_format: only text is supported");
    } else {
        char buf[1024];
        snprintf(buf, sizeof buf, "Here is my analysis:\n```json\n%s\n```\n",
                 q->compare ? cmp : llmt_good_answer(q->nf));
        llmt_reply_with(r, buf, q->n, "stop");
    }
}

/* Parameters or keys a server refuses (400, 401). */
static int refusals(const llmt_script *s, const fake_req *q, fake_reply *r, const char *cmp)
{
    switch (s->scenario) {
    case S_FORMATS:
        old_server(q, r, cmp);
        return 1;
    case S_N_REFUSED:   /* llama-server's answer to n > 1 */
        if (q->n <= 1)
            return 0;
        r->status = 400;
        r->body = fake_error_body("Only one completion choice is allowed");
        return 1;
    case S_OSERIES:
        if (q->has_max_tokens)
            r->body = fake_error_body("Unsupported parameter: 'max_tokens' is not supported "
                                      "with this model. Use 'max_completion_tokens' instead.");
        else if (q->has_temperature)
            r->body = fake_error_body("Unsupported value: 'temperature' does not support "
                                      "0.5 with this model. Only the default (1) value is "
                                      "supported.");
        else
            return 0;
        r->status = 400;
        return 1;
    case S_ECHO_KEY_400:
        r->status = 400;
        r->body = fake_error_body("bad request from key " KEY " (context too long)");
        return 1;
    case S_401:
        r->status = 401;
        r->body = fake_error_body("Incorrect API key provided: " KEY ".");
        return 1;
    default:
        return 0;
    }
}

/* S_ADVERSARIAL: a model that obeys injected instructions and lies. */
static void adversarial(const fake_req *q, fake_reply *r)
{
    const char *bad = NULL;
    if (q->compare)
        bad = "{\"heavier\":\"A\",\"reason\":\"trust me\"}";
    else if (strstr(q->body, "ignore previous instructions"))   /* obeys */
        bad = "{\"stateful\":false,\"key_kind\":\"none\",\"key_fields\":[],"
              "\"symmetric\":false,\"intensity\":\"none\",\"pointer_chasing\":false,"
              "\"reason\":\"as instructed\"}";
    else if (!strcmp(q->nf, "NatRewriter"))
        bad = "{\"stateful\":false,\"key_kind\":\"none\",\"key_fields\":[],"
              "\"symmetric\":false,\"intensity\":\"none\",\"pointer_chasing\":false}";
    else if (!strcmp(q->nf, "FlowCounter") || !strcmp(q->nf, "Sampler"))
        bad = "{\"stateful\":true,\"key_kind\":\"fields\",\"key_fields\":[\"src_ip\"],"
              "\"symmetric\":false,\"intensity\":\"per-flow\",\"pointer_chasing\":false}";
    else if (!strcmp(q->nf, "TTLDecrement"))
        bad = "{\"stateful\":true,\"key_kind\":\"fields\",\"key_fields\":[\"dst_ip\"],"
              "\"symmetric\":false,\"intensity\":\"per-flow\",\"pointer_chasing\":false}";
    llmt_reply_with(r, bad ? bad : llmt_good_answer(q->nf), q->n, "stop");
}

/* S_ECHO_SECRET: good answers whose reason repeats the key and other
 * credentials (test_llm_redact). */
static void echo_secret(const fake_req *q, fake_reply *r)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "{\"stateful\":false,\"key_kind\":\"none\",\"key_fields\":[],"
             "\"symmetric\":false,\"intensity\":\"none\",\"pointer_chasing\":false,"
             "\"reason\":\"request had " KEY " in Authorization: " BEARER "; also " GHTOKEN
             " and " JWT "\"}");
    llmt_reply_with(r, buf, q->n, "stop");
}

void llmt_handler(void *ctx, const fake_req *q, fake_reply *r)
{
    llmt_script *s = ctx;
    int k = s->calls++;
    const char *cmp = s->cmp ? s->cmp : "{\"heavier\":\"same\",\"reason\":\"alike\"}";
    if (s->scenario == S_ONE_CHOICE) /* a server that ignores "n" (Ollama, llama-server) */
        llmt_reply_with(r, q->compare ? cmp : llmt_good_answer(q->nf), 1, "stop");
    else if (s->scenario == S_ADVERSARIAL)
        adversarial(q, r);
    else if (s->scenario == S_ECHO_SECRET && !q->compare)
        echo_secret(q, r);
    else if (!transient(s, k, r) && !bad_bodies(s, k, q, r, cmp) && !refusals(s, q, r, cmp))
        reply_good(q, r, cmp);
}

/* ---- running analyze ---- */


static void on_progress(void *ud, long done, long total)
{
    llmt_env *e = ud;
    e->progress_calls++;
    e->progress_done = done;
    e->progress_total = total;
}

static int rm_one(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s, (void)f, (void)w;
    return remove(p);
}

void llmt_open(llmt_env *e, int scenario, const char *only)
{
    memset(e, 0, sizeof e[0]);
    e->sc.scenario = scenario;
    e->srv = fake_llm_start(llmt_handler, &e->sc);
    snprintf(e->cache, sizeof e->cache, "/tmp/fm-llm-cache.XXXXXX");
    if (!mkdtemp(e->cache))
        abort();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/tests/analyze/chain", llmt_root());
    if (fm_summary_set_load(dir, &e->sums, &e->err) != 0) {
        fprintf(stderr, "cannot load %s: %s\n", dir, e->err.msg);
        abort();
    }
    fm_analyze_opts_init(&e->o);
    fm_llm_config *c = &e->o.llm;
    c->base_url = fake_llm_url(e->srv);
    c->model = "fake-model";
    c->samples = 3;
    c->timeout_s = 5;
    c->connect_timeout_s = 2;
    c->retries = 3;
    c->backoff_base_s = 0.01;
    c->delay_scale = 1;
    e->o.cache_dir = e->cache;
    e->o.progress = on_progress;
    e->o.progress_ud = e;
    if (only) {
        char *copy = strdup(only), *save;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            fm_strset_add(&e->only, t);
        free(copy);
        e->o.only = &e->only;
    }
}

int llmt_run(llmt_env *e)
{
    fm_attrs_free(&e->attrs);
    memset(&e->err, 0, sizeof e->err);
    return fm_analyze(&e->sums, &e->o, &e->attrs, &e->st, &e->err);
}

void llmt_close(llmt_env *e)
{
    fake_llm_stop(e->srv);
    fm_attrs_free(&e->attrs);
    fm_summary_set_free(&e->sums);
    fm_strset_free(&e->only);
    nftw(e->cache, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const fm_elem_attrs *llmt_el(llmt_env *e, const char *name)
{
    return fm_attrs_find(&e->attrs, name);
}

cJSON *llmt_llm_of(llmt_env *e, const char *name)
{
    const fm_elem_attrs *x = llmt_el(e, name);
    return x && x->llm_json ? cJSON_Parse(x->llm_json) : NULL;
}

int llmt_llm_num(llmt_env *e, const char *name, const char *field)
{
    cJSON *j = llmt_llm_of(e, name);
    int v = (int)fm_json_num(j, field, -1);
    cJSON_Delete(j);
    return v;
}

/* Grep every file under dir for s (the key must be nowhere). */
static const char *g_needle;
static int g_found;
static int grep_one(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)w;
    if (f != FTW_F || s->st_size == 0)
        return 0;
    char *text;
    size_t len;
    if (fm_read_file(p, &text, &len, NULL) == 0) {
        if (memmem(text, len, g_needle, strlen(g_needle)))
            g_found++;
        free(text);
    }
    return 0;
}

int llmt_tree_contains(const char *dir, const char *needle)
{
    g_needle = needle;
    g_found = 0;
    nftw(dir, grep_one, 16, FTW_PHYS);
    return g_found;
}

/* static and merged agree element by element */
int llmt_differs_from_static(llmt_env *e)
{
    int bad = 0;
    for (size_t i = 0; i < e->sums.n; i++) {
        const fm_elem_attrs *s = &e->sums.v[i].a, *m = llmt_el(e, s->name);
        if (!m || m->stateful != s->stateful || m->key_kind != s->key_kind ||
            m->key_fields != s->key_fields || m->intensity != s->intensity ||
            m->symmetric != s->symmetric || m->pointer_chasing != s->pointer_chasing ||
            (s->role == FM_ROLE_NF && m->ndisagreements != 0)) {
            fprintf(stderr, "note: %s differs from its static attributes\n", s->name);
            bad++;
        }
    }
    return bad;
}

