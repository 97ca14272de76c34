/* fm_analyze against the fake server: transport faults.  Good answers and
 * the cache (second run: zero requests), servers ignoring "n", 429 with
 * Retry-After (seconds, HTTP-date, too long), 500 then success, a dropped
 * connection, 503 for ever, a slow endpoint (timeout then retry), a dead
 * endpoint, a truncated body, an oversized body, requests in parallel. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "check.h"
#include "support/llm_script.h"

/* 6 NFs + 1 cost comparison (Policer 42.5 vs FlowCounter 40: within 10%) */
enum { TASKS = 7, SAMPLES = 3 };

static void test_good_and_cache(void)
{
    llmt_env e;
    llmt_open(&e, S_GOOD, NULL);
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), TASKS);   /* n = 3: one request per task */
    CHECK_INT(e.st.requests, TASKS);
    CHECK_INT(e.st.answers, TASKS * SAMPLES);
    CHECK_INT(e.st.retries + e.st.failed + e.st.rejected + e.st.cache_hits, 0);
    CHECK_INT(e.st.prompt_tokens, 100 * TASKS);
    CHECK_INT(e.st.completion_tokens, 30 * TASKS);
    CHECK_INT(llmt_differs_from_static(&e), 0);
    CHECK_STR(llmt_el(&e, "Policer")->provenance, "static+llm");
    CHECK_STR(llmt_el(&e, "FlowManager")->provenance, "static");   /* not an NF */
    CHECK(llmt_el(&e, "Queue")->llm_json == NULL, "non-NFs are not asked");
    cJSON *j = llmt_llm_of(&e, "Policer");
    CHECK_STR(fm_json_str(j, "model", ""), "fake-model");
    CHECK(fm_json_num(cJSON_GetObjectItem(j, "agreement"), "key", 0) == 1, "agreement 1");
    CHECK(fm_json_num(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "votes"), "key"),
                      "fields:dst_ip", 0) == 3, "3 votes for dst_ip");
    const cJSON *cc = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "cost_comparisons"), 0);
    CHECK(cc && !strcmp(fm_json_str(cc, "vs", ""), "FlowCounter") &&
          !strcmp(fm_json_str(cc, "result", ""), "same"), "comparison recorded");
    cJSON_Delete(j);
    /* "same": the static order stands */
    CHECK_INT(llmt_el(&e, "NatRewriter")->cost_rank, 1);
    CHECK_INT(llmt_el(&e, "Policer")->cost_rank, 2);
    CHECK_INT(llmt_el(&e, "FlowCounter")->cost_rank, 3);
    CHECK(e.progress_calls == TASKS * SAMPLES && e.progress_done == e.progress_total,
          "progress %ld/%ld in %ld calls", e.progress_done, e.progress_total,
          e.progress_calls);
    fake_req *q = fake_llm_request(e.srv, 0);
    CHECK(q && !strcmp(q->method, "POST") && !strcmp(q->path, "/v1/chat/completions") &&
          !strcmp(q->format, "json_schema") && q->n == SAMPLES && q->seed == -1,
          "request shape");
    fake_req_free(q);
    char *first = fm_attrs_to_json(&e.attrs);

    /* the second run is served from the cache: zero requests */
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), TASKS);
    CHECK_INT(e.st.requests, 0);
    CHECK_INT(e.st.cache_hits, TASKS * SAMPLES);
    char *second = fm_attrs_to_json(&e.attrs);
    CHECK(strcmp(first, second) == 0, "identical attributes from the cache");
    free(first);
    free(second);
    /* --no-cache asks again */
    e.o.no_cache = 1;
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(e.st.requests, TASKS);
    llmt_close(&e);
}

static void test_one_choice(void)
{
    llmt_env e;
    llmt_open(&e, S_ONE_CHOICE, NULL);
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(e.st.requests, TASKS * SAMPLES);   /* then one request per sample */
    CHECK_INT(e.st.answers, TASKS * SAMPLES);
    CHECK_INT(llmt_differs_from_static(&e), 0);
    int seeds[3] = {0}, singles = 0;
    for (int i = 0; i < fake_llm_count(e.srv); i++) {
        fake_req *q = fake_llm_request(e.srv, i);
        if (q->n == 1 && !strcmp(q->nf, "IPFilter") && !q->compare) {
            singles++;
            if (q->seed >= 0 && q->seed < 3)
                seeds[q->seed]++;
        }
        fake_req_free(q);
    }
    CHECK(singles >= 2 && seeds[1] == 1 && seeds[2] == 1,
          "single requests carry distinct seeds (%d singles)", singles);
    CHECK_INT(llmt_tree_contains(e.cache, "\"n\": false"), 1);
    /* rerun: all from the cache although the requests were shaped differently */
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(e.st.requests, 0);
    llmt_close(&e);
}

static double gap(fake_llm *srv, int a, int b)
{
    fake_req *x = fake_llm_request(srv, a), *y = fake_llm_request(srv, b);
    double g = x && y ? y->t - x->t : -1;
    fake_req_free(x);
    fake_req_free(y);
    return g;
}

static void one_nf(llmt_env *e, int scenario)
{
    llmt_open(e, scenario, "Policer");
    e->o.llm.samples = 1;
    e->o.llm.parallel = 1;
}

static void test_retry_after(void)
{
    llmt_env e;
    one_nf(&e, S_429);
    e.o.llm.delay_scale = 0.01;   /* Retry-After: 30 -> 0.3 s */
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), 2);
    CHECK_INT(e.st.retries, 1);
    CHECK(gap(e.srv, 0, 1) >= 0.28, "waited for Retry-After: %.3f s", gap(e.srv, 0, 1));
    CHECK_STR(llmt_el(&e, "Policer")->provenance, "static+llm");
    llmt_close(&e);

    one_nf(&e, S_429_DATE);
    e.o.llm.delay_scale = 0.01;   /* 40 s ahead -> about 0.4 s */
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(e.st.retries, 1);
    CHECK(gap(e.srv, 0, 1) >= 0.3, "waited for the HTTP-date: %.3f s", gap(e.srv, 0, 1));
    llmt_close(&e);

    one_nf(&e, S_429_LONG);   /* Retry-After: 100000 > the 300 s limit */
    CHECK_INT(llmt_run(&e), -1);
    CHECK_INT(e.err.kind, FM_ERR_ENV);
    CHECK(strstr(e.err.msg, "asks to wait 100000 s"), "%s", e.err.msg);
    CHECK_INT(fake_llm_count(e.srv), 1);
    llmt_close(&e);
}

static void test_500_503(void)
{
    llmt_env e;
    one_nf(&e, S_500_ONCE);
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), 2);
    CHECK_INT(e.st.retries, 1);
    CHECK_INT(e.st.answers, 1);
    llmt_close(&e);

    one_nf(&e, S_CLOSE_ONCE);
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), 2);
    CHECK_INT(e.st.retries, 1);
    llmt_close(&e);

    one_nf(&e, S_503);
    e.o.llm.retries = 2;
    CHECK_INT(llmt_run(&e), -1);
    CHECK_INT(fake_llm_count(e.srv), 3);
    CHECK_INT(e.st.retries, 2);
    CHECK_INT(e.err.kind, FM_ERR_ENV);
    CHECK(strstr(e.err.msg, fake_llm_url(e.srv)) && strstr(e.err.msg, "HTTP 503") &&
          strstr(e.err.msg, "gave up after 3 attempts"), "%s", e.err.msg);
    llmt_close(&e);
}

static void test_slow_and_dead(void)
{
    llmt_env e;
    one_nf(&e, S_SLOW);   /* the first reply takes 3 s; the timeout is 0.3 s */
    e.o.llm.timeout_s = 0.3;
    double t0 = llmt_mono();
    CHECK_INT(llmt_run(&e), 0);
    CHECK(llmt_mono() - t0 < 2.5, "did not wait for the slow reply");
    CHECK_INT(fake_llm_count(e.srv), 2);
    CHECK_INT(e.st.retries, 1);
    CHECK_INT(e.st.answers, 1);
    llmt_close(&e);

    one_nf(&e, S_GOOD);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", fake_dead_port());
    e.o.llm.base_url = url;
    e.o.llm.retries = 2;
    CHECK_INT(llmt_run(&e), -1);
    CHECK_INT(e.err.kind, FM_ERR_ENV);
    CHECK_INT(fm_error_exit_code(&e.err), FM_EXIT_ENV);
    CHECK(strstr(e.err.msg, url) && strstr(e.err.msg, "gave up after 3 attempts"),
          "%s", e.err.msg);
    CHECK_INT(e.st.requests, 3);
    CHECK(e.attrs.n == 0, "no attributes on failure");
    llmt_close(&e);
}

static void test_truncated_oversized(void)
{
    llmt_env e;
    one_nf(&e, S_TRUNCATED);   /* Content-Length 5000, 20 bytes, close */
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), 2);
    CHECK_INT(e.st.retries, 1);
    CHECK_INT(e.st.answers, 1);
    llmt_close(&e);

    llmt_open(&e, S_OVERSIZED, "Policer,IPFilter");   /* Policer: a 5 MiB reply */
    e.o.llm.samples = 1;
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(fake_llm_count(e.srv), 2);   /* refused, not retried */
    CHECK_INT(e.st.failed, 1);
    CHECK_INT(e.st.answers, 1);
    CHECK_STR(llmt_el(&e, "Policer")->provenance, "static");
    CHECK_INT(llmt_llm_num(&e, "Policer", "failed"), 1);
    CHECK_STR(llmt_el(&e, "IPFilter")->provenance, "static+llm");
    llmt_close(&e);
}

static void test_parallel(void)
{
    llmt_env e;
    llmt_open(&e, S_DELAY, NULL);   /* every reply takes 0.3 s */
    e.o.llm.parallel = 4;
    double t0 = llmt_mono();
    CHECK_INT(llmt_run(&e), 0);
    double took = llmt_mono() - t0;
    /* one at a time would take 7 x 0.3 s, and request 3 would only come
     * after the reply to request 0 */
    CHECK(took < 2.0, "7 requests of 0.3 s, 4 at a time: %.2f s", took);
    CHECK(gap(e.srv, 0, 3) < 0.25, "the first 4 requests overlap: %.3f s",
          gap(e.srv, 0, 3));
    llmt_close(&e);
}

int main(void)
{
    test_good_and_cache();
    test_one_choice();
    test_retry_after();
    test_500_503();
    test_slow_and_dead();
    test_truncated_oversized();
    test_parallel();
    return fm_t_done("test_llm_client",
                     "fake server: good answers + cache (0 requests on rerun), "
                     "servers ignoring n, 429 Retry-After seconds/HTTP-date/too "
                     "long, 500 then ok, dropped connection, 503 exhausted, "
                     "timeout then retry, dead endpoint, truncated and 5 MiB "
                     "bodies, parallel requests");
}
