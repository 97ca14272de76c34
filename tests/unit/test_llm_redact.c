/* Secrets in what the LLM says are never stored (issue 12, item 7): a
 * server that echoes the API key, a bearer token and other credential-
 * shaped strings in an answer's "reason" leaves none of them in the cache
 * or in the attributes (attrs.json's "llm" reasons), from a fresh run or
 * from a cache entry written before redaction existed.  Plus the redactor
 * itself on the shapes it knows, and on text it must leave alone. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "support/llm_script.h"

static void check_clean(const char *text, const char *what)
{
    const char *secrets[] = {"SECRET-0123456789", "abcDEF123456789", GHTOKEN, "eyJhbGci"};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
        CHECK(!strstr(text, secrets[i]), "%s holds '%s'", what, secrets[i]);
}

/* Put the key back where the redactor wrote "[redacted]" (an entry as an
 * older flowmage stored it). */
static int unredact(const char *p, const struct stat *st, int flag, struct FTW *w)
{
    (void)st, (void)w;
    if (flag != FTW_F || !strstr(p, ".json"))
        return 0;
    char *text;
    size_t len;
    fm_error err = {0};
    if (fm_read_file(p, &text, &len, &err) != 0)
        return 0;
    fm_buf b;
    fm_buf_init(&b);
    const char *at, *from = text;
    while ((at = strstr(from, "[redacted]"))) {
        fm_buf_append(&b, from, (size_t)(at - from));
        fm_buf_puts(&b, KEY);
        from = at + strlen("[redacted]");
    }
    fm_buf_puts(&b, from);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(fm_buf_cstr(&b), f);
        fclose(f);
    }
    fm_buf_free(&b);
    free(text);
    return 0;
}

static void test_echoing_server(void)
{
    llmt_env e;
    llmt_open(&e, S_ECHO_SECRET, "Policer");
    e.o.llm.api_key = KEY;
    CHECK_INT(llmt_run(&e), 0);
    CHECK(e.st.answers > 0, "answers: %ld (%s)", e.st.answers, e.err.msg);
    char *j = fm_attrs_to_json(&e.attrs);
    check_clean(j, "attrs.json");
    CHECK(strstr(j, "request had [redacted] in Authorization: Bearer [redacted]; also "
                    "[redacted] and [redacted]") != NULL,
          "the reason is kept, redacted: %s", j);
    free(j);
    const char *needles[] = {"SECRET-0123456789", "abcDEF123456789", GHTOKEN, "eyJhbGci"};
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        CHECK_INT(llmt_tree_contains(e.cache, needles[i]), 0);
    CHECK(llmt_tree_contains(e.cache, "[redacted]") > 0, "cache entries written");

    /* an entry stored by an older flowmage, secret and all, is redacted
     * when it is used */
    CHECK(nftw(e.cache, unredact, 8, FTW_PHYS) == 0, "cache rewritten");
    CHECK(llmt_tree_contains(e.cache, "SECRET-0123456789") > 0, "the old entries hold the key");
    CHECK_INT(llmt_run(&e), 0);
    CHECK_INT(e.st.requests, 0);
    CHECK(e.st.cache_hits > 0, "served from the cache");
    j = fm_attrs_to_json(&e.attrs);
    check_clean(j, "attrs.json from old cache entries");
    free(j);
    llmt_close(&e);
}

static void test_redactor(void)
{
    static const char *const cases[][2] = {
        {"key " KEY " here", "key [redacted] here"},
        {"Authorization: bearer  tok_ABCDEFGH.ij/k=", "Authorization: bearer  [redacted]"},
        {"x " GHTOKEN ".", "x [redacted]."},
        {"aws AKIAIOSFODNN7EXAMPLE1 end", "aws [redacted] end"},
        {JWT, "[redacted]"},
        {"slack xoxb-1234567890123-abcdefghijkl", "slack [redacted]"},
        /* left alone: ordinary words, short tokens, prefixes inside words */
        {"the sk-learn risk_model desk-top", "the sk-learn risk_model desk-top"},
        {"Bearer of bad news", "Bearer of bad news"},
        {"task-0123456789abcdef0123", "task-0123456789abcdef0123"},
        {"per-packet state keyed by dst_ip", "per-packet state keyed by dst_ip"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *r = fm_llm_redact(cases[i][0], KEY);
        CHECK_STR(r, cases[i][1]);
        free(r);
    }
    /* a key with JSON-special characters, as it reads inside a JSON string */
    char *r = fm_llm_redact("{\"reason\": \"k=ab\\\"cd-efgh\"}", "ab\"cd-efgh");
    CHECK_STR(r, "{\"reason\": \"k=[redacted]\"}");
    free(r);
}

int main(void)
{
    test_redactor();
    test_echoing_server();
    return fm_t_done("test_llm_redact", "the API key, bearer tokens and key-shaped strings "
                     "echoed in answers reach neither the cache nor attrs.json");
}
