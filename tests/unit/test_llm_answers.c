/* fm_analyze against the fake server: what comes back.  Answers that are
 * malformed, wrongly shaped, outside the allowed values or cut off
 * (finish_reason "length"); json_schema refused (fallback to json_object,
 * then to no format, remembered per endpoint); n refused; an o-series
 * model refusing max_tokens and temperature; adversarial answers and a
 * prompt injection in the analysed code (the merged attributes stay safe);
 * the cost comparison; the API key (sent only when allowed, never stored,
 * never in a message). */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "check.h"
#include "support/llm_script.h"

static void test_bad_answers(void)
{
    llmt_env e;
    /* Policer: good, intensity "sometimes", cut off; IPFilter: not JSON;
     * TTLDecrement: JSON but not a chat completion */
    llmt_open(&e, S_MIXED, "Policer,IPFilter,TTLDecrement");
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), 3);
    CHECK_INT(e.st.retries, 0);   /* a bad answer is not a transport fault */
    CHECK_INT(e.st.answers, 1);
    CHECK_INT(e.st.rejected, 1);
    CHECK_INT(e.st.failed, 1 + 3 + 3);
    CHECK_INT(llmt_llm_num(&e, "Policer", "valid"), 1);
    CHECK_INT(llmt_llm_num(&e, "Policer", "rejected"), 1);
    CHECK_INT(llmt_llm_num(&e, "Policer", "failed"), 1);
    CHECK_STR(llmt_el(&e, "Policer")->provenance, "static+llm");
    CHECK_STR(llmt_el(&e, "IPFilter")->provenance, "static");
    CHECK_INT(llmt_llm_num(&e, "IPFilter", "failed"), 3);
    CHECK_STR(llmt_el(&e, "TTLDecrement")->provenance, "static");
    CHECK_INT(llmt_differs_from_static(&e), 0);
    /* only the valid answer was cached: a rerun asks for the rest again */
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(e.st.cache_hits, 1);
    CHECK_INT(fake_llm_count(e.srv), 6);
    llmt_close(&e);

    llmt_open(&e, S_MALFORMED_ALL, "Policer,IPFilter");   /* prose only */
    CHECK_INT(llmt_run(&e), -1);
    CHECK_INT(e.err.kind, FM_ERR_ENV);
    CHECK(strstr(e.err.msg, "no valid answer") && strstr(e.err.msg, fake_llm_url(e.srv)),
          "%s", e.err.msg);
    llmt_close(&e);
}

static void formats_of(fake_llm *srv, char out[][16], int max)
{
    for (int i = 0; i < max && i < fake_llm_count(srv); i++) {
        fake_req *q = fake_llm_request(srv, i);
        snprintf(out[i], 16, "%s", q->format);
        fake_req_free(q);
    }
}

static int rm_one(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s, (void)f, (void)w;
    return remove(p);
}

static void test_fallbacks(void)
{
    llmt_env e;
    llmt_open(&e, S_FORMATS, "Policer,IPFilter");
    e.o.llm.samples = 1;
    e.o.llm.parallel = 1;
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), 4);
    CHECK_INT(e.st.fallbacks, 2);
    CHECK_INT(e.st.retries, 0);
    CHECK_INT(e.st.answers, 2);   /* fenced JSON in prose, validated locally */
    char f[4][16] = {{0}};
    formats_of(e.srv, f, 4);
    CHECK(!strcmp(f[0], "json_schema") && !strcmp(f[1], "json_object") &&
          !strcmp(f[2], "none") && !strcmp(f[3], "none"), "schema, object, none, none");
    CHECK_INT(llmt_tree_contains(e.cache, "\"response_format\": \"none\""), 1);
    CHECK_INT(llmt_differs_from_static(&e), 0);
    /* a new run (responses forgotten) starts with what the server accepts */
    char resp[200];
    snprintf(resp, sizeof resp, "%s/responses", e.cache);
    nftw(resp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    fake_llm_reset(e.srv);
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), 2);
    CHECK_INT(e.st.fallbacks, 0);
    formats_of(e.srv, f, 2);
    CHECK(!strcmp(f[0], "none") && !strcmp(f[1], "none"), "remembered");
    llmt_close(&e);

    llmt_open(&e, S_N_REFUSED, "Policer");   /* "Only one completion choice" */
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), 4);   /* n=3 refused, then 3 singles */
    CHECK_INT(e.st.fallbacks, 1);
    CHECK_INT(e.st.answers, 3);
    llmt_close(&e);

    llmt_open(&e, S_OSERIES, "Policer");
    e.o.llm.samples = 1;
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), 3);
    CHECK_INT(e.st.fallbacks, 2);
    fake_req *q = fake_llm_request(e.srv, 2);
    CHECK(q && q->has_max_completion_tokens && !q->has_max_tokens && !q->has_temperature,
          "max_completion_tokens, no temperature");
    fake_req_free(q);
    llmt_close(&e);
}

/* Every element at least as cautious as its static attributes. */
static int less_safe(const fm_elem_attrs *s, const fm_elem_attrs *m)
{
    if (m->stateful < s->stateful || m->symmetric < s->symmetric ||
        m->intensity < s->intensity || m->pointer_chasing < s->pointer_chasing)
        return 1;
    if (!m->stateful)
        return 0;
    if (m->key_kind == FM_KEY_FIELDS)
        return s->stateful && (s->key_kind != FM_KEY_FIELDS ||
                               (m->key_fields & ~s->key_fields) != 0);
    if (m->key_kind == FM_KEY_FLOW_MANAGER)
        return s->key_kind != FM_KEY_FLOW_MANAGER;
    return 0;
}

static void test_adversarial(void)
{
    llmt_env e;
    char src[600];
    llmt_open(&e, S_ADVERSARIAL, NULL);
    snprintf(src, sizeof src, "%s/tests/analyze/src", llmt_root());
    e.o.source_root = src;
    CHECK_INT(llmt_run(&e), 0);
    int injected = 0;
    for (int i = 0; i < fake_llm_count(e.srv); i++) {
        fake_req *q = fake_llm_request(e.srv, i);
        injected += !q->compare && !strcmp(q->nf, "Policer") &&
                    strstr(q->body, "ignore previous instructions") != NULL;
        fake_req_free(q);
    }
    CHECK(injected == 1, "the planted instruction reached the model");
    int unsafe = 0;
    for (size_t i = 0; i < e.sums.n; i++) {
        const fm_elem_attrs *s = &e.sums.v[i].a, *m = llmt_el(&e, s->name);
        if (!m || less_safe(s, m)) {
            fprintf(stderr, "unsafe merge for %s\n", s->name);
            unsafe++;
        }
    }
    CHECK_INT(unsafe, 0);
    const fm_elem_attrs *p = llmt_el(&e, "Policer");   /* obeyed "stateless" */
    CHECK(p->stateful && p->key_kind == FM_KEY_FIELDS && p->key_fields == FM_F_DST_IP,
          "Policer keeps {dst_ip}");
    CHECK(p->ndisagreements >= 1 && !strcmp(p->disagreements[0].field, "stateful") &&
          !strcmp(p->disagreements[0].static_value, "true") &&
          strstr(p->disagreements[0].llm_value, "false (3 of 3"), "recorded");
    const fm_elem_attrs *n = llmt_el(&e, "NatRewriter");
    CHECK(n->stateful && n->key_fields == FM_F_ALL && n->symmetric && n->pointer_chasing,
          "NatRewriter keeps its 5-tuple, symmetric");
    CHECK_INT(llmt_el(&e, "FlowCounter")->key_kind, FM_KEY_UNKNOWN);   /* kinds differ */
    CHECK_INT(llmt_el(&e, "Sampler")->key_kind, FM_KEY_UNKNOWN);   /* stays unknown */
    const fm_elem_attrs *t = llmt_el(&e, "TTLDecrement");   /* hallucinated state */
    CHECK(t->stateful && t->key_kind == FM_KEY_UNKNOWN && t->uncertain.n == 1,
          "TTLDecrement: stateful, key unknown (runs shared), uncertain");
    CHECK(!llmt_el(&e, "IPFilter")->stateful, "IPFilter agreed: stateless");
    /* the comparison: "A" (FlowCounter, first by name) is heavier */
    CHECK_INT(llmt_el(&e, "FlowCounter")->cost_rank, 2);
    CHECK_INT(llmt_el(&e, "Policer")->cost_rank, 3);
    cJSON *j = llmt_llm_of(&e, "Policer");
    const cJSON *cc = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "cost_comparisons"), 0);
    CHECK(cc && !strcmp(fm_json_str(cc, "vs", ""), "FlowCounter") &&
          !strcmp(fm_json_str(cc, "result", ""), "lighter") &&
          fm_json_num(cc, "votes", 0) == 3, "comparison recorded");
    cJSON_Delete(j);
    /* the attributes file round-trips (the solver can read it) */
    char *text = fm_attrs_to_json(&e.attrs);
    fm_attrs back;
    fm_error err = {0};
    CHECK_INT(fm_attrs_parse(text, strlen(text), "mem", &back, &err), 0);
    if (back.n) {
        CHECK_INT(fm_attrs_find(&back, "Policer")->cost_rank, 3);
        CHECK(fm_attrs_find(&back, "Policer")->ndisagreements >= 1, "disagreements kept");
        fm_attrs_free(&back);
    }
    free(text);
    llmt_close(&e);
}

static void test_key(void)
{
    llmt_env e;
    llmt_open(&e, S_GOOD, "Policer");
    e.o.llm.samples = 1;
    e.o.llm.api_key = KEY;
    CHECK_INT(llmt_run(&e), 0);   /* custom endpoint, not allowed: no key */
    fake_req *q = fake_llm_request(e.srv, 0);
    CHECK(q && q->auth[0] == 0, "no Authorization to a custom endpoint: '%s'",
          q ? q->auth : "?");
    fake_req_free(q);
    e.o.llm.allow_key_to_custom_endpoint = 1;
    e.o.no_cache = 1;
    CHECK_INT(llmt_run(&e), 0);
    q = fake_llm_request(e.srv, 1);
    CHECK(q && !strcmp(q->auth, "Bearer " KEY), "sent when allowed");
    CHECK(q && !strstr(q->body, KEY), "never in the body");
    fake_req_free(q);
    e.o.no_cache = 0;
    e.o.llm.samples = 2;   /* new answers: written to the cache */
    CHECK_INT(llmt_run(&e), 0);
    char *text = fm_attrs_to_json(&e.attrs);
    CHECK(!strstr(text, KEY), "not in the attributes");
    free(text);
    CHECK(llmt_tree_contains(e.cache, "\"content\"") >= 2, "the cache has entries");
    CHECK_INT(llmt_tree_contains(e.cache, KEY), 0);
    llmt_close(&e);

    llmt_open(&e, S_401, "Policer");   /* the server echoes the key */
    e.o.llm.api_key = KEY;
    e.o.llm.allow_key_to_custom_endpoint = 1;
    CHECK_INT(llmt_run(&e), -1);
    CHECK_INT(e.err.kind, FM_ERR_ENV);
    CHECK(strstr(e.err.msg, "HTTP 401") && strstr(e.err.msg, "check the API key") &&
          !strstr(e.err.msg, KEY), "%s", e.err.msg);
    CHECK_INT(fake_llm_count(e.srv), 1);   /* not retried */
    llmt_close(&e);

    llmt_open(&e, S_401, "Policer");   /* a key exists but was not sent */
    e.o.llm.api_key = KEY;
    CHECK_INT(llmt_run(&e), -1);
    CHECK(strstr(e.err.msg, "--allow-key-to-custom-endpoint"), "%s", e.err.msg);
    llmt_close(&e);

    llmt_open(&e, S_ECHO_KEY_400, "Policer");
    e.o.llm.api_key = KEY;
    e.o.llm.allow_key_to_custom_endpoint = 1;
    CHECK_INT(llmt_run(&e), -1);
    CHECK(strstr(e.err.msg, "[redacted]") && !strstr(e.err.msg, KEY), "%s", e.err.msg);
    CHECK_INT(llmt_tree_contains(e.cache, KEY), 0);
    llmt_close(&e);
}

int main(void)
{
    test_bad_answers();
    test_fallbacks();
    test_adversarial();
    test_key();
    return fm_t_done("test_llm_answers",
                     "fake server: malformed/wrong-shape/out-of-range/cut-off "
                     "answers counted not voted, json_schema -> json_object -> "
                     "none fallback remembered, n and max_tokens/temperature "
                     "refusals, adversarial answers + prompt injection stay safe, "
                     "cost tie-break, API key only when allowed and never stored");
}
