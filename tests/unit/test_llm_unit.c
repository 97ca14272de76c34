/* analyze internals without a network: SHA-256, answer validation, votes,
 * the merge rules (including a randomized proof that no answer makes the
 * attributes less safe), Retry-After, the key's rules, cache keys,
 * cost ranks. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "llm/llm_int.h"
#include "check.h"

static const char *root(void)
{
    const char *r = getenv("FM_ROOT");
    return r && *r ? r : ".";
}

static void test_sha256(void)
{
    char hex[65];
    fm_sha256_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    fm_sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    fm_sha256_hex(m, strlen(m), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    fm_sha256 s;   /* a million 'a', fed in uneven pieces */
    fm_sha256_init(&s);
    char a[997];
    memset(a, 'a', sizeof a);
    size_t left = 1000000;
    while (left) {
        size_t k = left < sizeof a ? left : sizeof a;
        fm_sha256_update(&s, a, k);
        left -= k;
    }
    fm_sha256_hex_final(&s, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

#define GOOD "{\"stateful\":true,\"key_kind\":\"fields\",\"key_fields\":[\"dst_ip\"]," \
             "\"symmetric\":false,\"intensity\":\"per-packet\",\"pointer_chasing\":false," \
             "\"reason\":\"token bucket per destination\"}"

static void test_validation(void)
{
    fm_llm_answer a;
    char why[240];
    CHECK_INT(fm_llm_parse_attrs(GOOD, &a, why, sizeof why), FM_ANS_OK);
    CHECK(a.stateful && a.key_kind == FM_KEY_FIELDS && a.fields == FM_F_DST_IP &&
          a.intensity == FM_INTENSITY_PER_PACKET, "good answer parsed");
    CHECK_STR(a.reason, "token bucket per destination");
    CHECK_INT(fm_llm_parse_attrs("```json\n" GOOD "\n```", &a, why, sizeof why), FM_ANS_OK);
    CHECK_INT(fm_llm_parse_attrs("<think>{\"stateful\": maybe}</think>Sure! " GOOD
                                 " Hope that helps.", &a, why, sizeof why), FM_ANS_OK);
    CHECK_INT(fm_llm_parse_attrs("no JSON here", &a, why, sizeof why), FM_ANS_MALFORMED);
    CHECK_INT(fm_llm_parse_attrs("{\"stateful\":true", &a, why, sizeof why), FM_ANS_MALFORMED);
    CHECK_INT(fm_llm_parse_attrs("<think>" GOOD, &a, why, sizeof why), FM_ANS_MALFORMED);
    CHECK_INT(fm_llm_parse_attrs("{\"stateful\":\"yes\",\"key_kind\":\"none\","
                                 "\"key_fields\":[],\"symmetric\":false,\"intensity\":"
                                 "\"none\",\"pointer_chasing\":false}", &a, why, sizeof why),
              FM_ANS_MALFORMED);
    CHECK(strstr(why, "stateful") != NULL, "why names the field: %s", why);
    CHECK_INT(fm_llm_parse_attrs("{\"stateful\":true}", &a, why, sizeof why), FM_ANS_MALFORMED);
    /* shape right, values outside the allowed sets: rejected */
    CHECK_INT(fm_llm_parse_attrs("{\"stateful\":true,\"key_kind\":\"fields\",\"key_fields\":"
                                 "[\"vlan\"],\"symmetric\":false,\"intensity\":\"per-packet\","
                                 "\"pointer_chasing\":false}", &a, why, sizeof why),
              FM_ANS_REJECTED);
    CHECK(strstr(why, "vlan") != NULL, "why names the value: %s", why);
    CHECK_INT(fm_llm_parse_attrs("{\"stateful\":true,\"key_kind\":\"fields\",\"key_fields\":"
                                 "[\"dst_ip\"],\"symmetric\":false,\"intensity\":\"sometimes\","
                                 "\"pointer_chasing\":false}", &a, why, sizeof why),
              FM_ANS_REJECTED);
    CHECK_INT(fm_llm_parse_attrs("{\"stateful\":true,\"key_kind\":\"tuple\",\"key_fields\":"
                                 "[],\"symmetric\":false,\"intensity\":\"per-flow\","
                                 "\"pointer_chasing\":false}", &a, why, sizeof why),
              FM_ANS_REJECTED);
    /* self-contradictions: rejected */
    CHECK_INT(fm_llm_parse_attrs("{\"stateful\":false,\"key_kind\":\"fields\",\"key_fields\":"
                                 "[\"dst_ip\"],\"symmetric\":false,\"intensity\":\"none\","
                                 "\"pointer_chasing\":false}", &a, why, sizeof why),
              FM_ANS_REJECTED);
    CHECK_INT(fm_llm_parse_attrs("{\"stateful\":true,\"key_kind\":\"fields\",\"key_fields\":"
                                 "[],\"symmetric\":false,\"intensity\":\"per-flow\","
                                 "\"pointer_chasing\":false}", &a, why, sizeof why),
              FM_ANS_REJECTED);
    CHECK_INT(fm_llm_parse_attrs("{\"stateful\":true,\"key_kind\":\"none\",\"key_fields\":"
                                 "[],\"symmetric\":false,\"intensity\":\"per-flow\","
                                 "\"pointer_chasing\":false}", &a, why, sizeof why),
              FM_ANS_REJECTED);
    fm_cmp_answer c;
    CHECK_INT(fm_llm_parse_cmp("{\"heavier\":\"B\",\"reason\":\"x\"}", &c, why, sizeof why),
              FM_ANS_OK);
    CHECK_INT(c.heavier, FM_CMP_B);
    CHECK_INT(fm_llm_parse_cmp("{\"heavier\":\"C\"}", &c, why, sizeof why), FM_ANS_REJECTED);
    CHECK_INT(fm_llm_parse_cmp("{\"heavier\":2}", &c, why, sizeof why), FM_ANS_MALFORMED);
    /* the schema is strict-mode shaped: every property required */
    cJSON *s = fm_llm_schema(FM_Q_ATTRS);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(s, "required")),
              cJSON_GetArraySize(cJSON_GetObjectItem(s, "properties")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(s, "additionalProperties")), "no extras");
    cJSON_Delete(s);
}

static fm_llm_answer ans(int st, fm_key_kind k, fm_fieldset f, int sym,
                         fm_intensity in, int pc)
{
    fm_llm_answer a;
    memset(&a, 0, sizeof a);
    a.stateful = st;
    a.key_kind = k;
    a.fields = f;
    a.symmetric = sym;
    a.intensity = in;
    a.pointer_chasing = pc;
    return a;
}

static void test_vote(void)
{
    fm_llm_vote v;
    fm_llm_answer a[5] = {
        ans(1, FM_KEY_FIELDS, FM_F_DST_IP, 0, FM_INTENSITY_PER_PACKET, 0),
        ans(1, FM_KEY_FIELDS, FM_F_DST_IP, 0, FM_INTENSITY_PER_PACKET, 0),
        ans(1, FM_KEY_FIELDS, FM_F_DST_IP, 0, FM_INTENSITY_PER_FLOW, 0),
        ans(1, FM_KEY_FIELDS, FM_F_SRC_IP | FM_F_DST_IP, 0, FM_INTENSITY_PER_FLOW, 1),
        ans(0, FM_KEY_NONE, 0, 0, FM_INTENSITY_NONE, 0),
    };
    fm_llm_vote_attrs(a, 5, &v);
    CHECK(v.stateful && v.stateful_votes == 4, "stateful 4 of 5");
    CHECK(v.key_kind == FM_KEY_FIELDS && v.fields == FM_F_DST_IP, "key dst_ip");
    CHECK(v.key_votes == 3 && v.key_voters == 4, "key 3 of 4 stateful answers");
    CHECK_INT(v.intensity, FM_INTENSITY_PER_PACKET);
    CHECK_INT(v.intensity_votes, 2);
    CHECK(!v.pointer_chasing && v.pointer_votes == 4, "pointer chasing false 4/5");
    /* ties resolve to the cautious value */
    fm_llm_answer t[2] = {
        ans(1, FM_KEY_FIELDS, FM_F_SRC_IP | FM_F_DST_IP, 1, FM_INTENSITY_PER_FLOW, 1),
        ans(0, FM_KEY_NONE, 0, 0, FM_INTENSITY_NONE, 0),
    };
    fm_llm_vote_attrs(t, 2, &v);
    CHECK(v.stateful && v.symmetric && v.pointer_chasing, "boolean ties go to true");
    CHECK_INT(v.intensity, FM_INTENSITY_PER_FLOW);   /* per-flow vs none: more intensive */
    fm_llm_answer k[2] = {
        ans(1, FM_KEY_FIELDS, FM_F_SRC_IP | FM_F_DST_IP, 0, FM_INTENSITY_PER_FLOW, 0),
        ans(1, FM_KEY_FIELDS, FM_F_DST_IP | FM_F_DST_PORT, 0, FM_INTENSITY_PER_PACKET, 0),
    };
    fm_llm_vote_attrs(k, 2, &v);
    CHECK(v.key_kind == FM_KEY_FIELDS && v.fields == FM_F_DST_IP, "tied keys: intersection");
    CHECK_INT(v.intensity, FM_INTENSITY_PER_PACKET);
    k[1] = ans(1, FM_KEY_FLOW_MANAGER, 0, 0, FM_INTENSITY_PER_FLOW, 0);
    fm_llm_vote_attrs(k, 2, &v);
    CHECK_INT(v.key_kind, FM_KEY_UNKNOWN);
    k[1] = ans(1, FM_KEY_FIELDS, FM_F_SRC_PORT, 0, FM_INTENSITY_PER_FLOW, 0);
    fm_llm_vote_attrs(k, 2, &v);
    CHECK_INT(v.key_kind, FM_KEY_UNKNOWN);   /* disjoint tie: nothing in common */
}

static void static_elem(fm_elem_attrs *e, int st, fm_key_kind k, fm_fieldset f,
                        int sym, fm_intensity in, int pc)
{
    memset(e, 0, sizeof *e);
    e->name = fm_xstrdup("X");
    e->provenance = fm_xstrdup("static");
    e->role = FM_ROLE_NF;
    e->stateful = st;
    e->key_kind = k;
    e->key_fields = f;
    e->symmetric = sym;
    e->intensity = in;
    e->pointer_chasing = pc;
}

static const fm_disagreement *find_dis(const fm_elem_attrs *e, const char *field)
{
    for (size_t i = 0; i < e->ndisagreements; i++)
        if (strcmp(e->disagreements[i].field, field) == 0)
            return &e->disagreements[i];
    return NULL;
}

/* merge one unanimous answer (3 copies) into a static element */
static void merge1(fm_elem_attrs *e, fm_llm_answer a)
{
    fm_llm_answer v3[3] = {a, a, a};
    fm_llm_vote v;
    fm_llm_vote_attrs(v3, 3, &v);
    cJSON *o = fm_llm_merge(e, v3, 3, &v, "m", 3, 0, 0);
    cJSON_Delete(o);
}

/* Statefulness: static evidence stands; LLM-only state runs shared. */
static void test_merge_state(void)
{
    fm_elem_attrs e;
    /* static stateful wins over an LLM "stateless" */
    static_elem(&e, 1, FM_KEY_FIELDS, FM_F_DST_IP, 0, FM_INTENSITY_PER_PACKET, 0);
    merge1(&e, ans(0, FM_KEY_NONE, 0, 0, FM_INTENSITY_NONE, 0));
    CHECK(e.stateful && e.key_kind == FM_KEY_FIELDS && e.key_fields == FM_F_DST_IP,
          "static stateful stands");
    CHECK(find_dis(&e, "stateful") != NULL, "stateful disagreement recorded");
    CHECK_STR(e.provenance, "static+llm");
    fm_elem_attrs_free(&e);
    /* static stateless + LLM stateful: stateful, key unknown, uncertain */
    static_elem(&e, 0, FM_KEY_NONE, 0, 0, FM_INTENSITY_NONE, 0);
    merge1(&e, ans(1, FM_KEY_FIELDS, FM_F_SRC_IP, 0, FM_INTENSITY_PER_FLOW, 0));
    CHECK(e.stateful && e.key_kind == FM_KEY_UNKNOWN && e.key_fields == 0,
          "LLM-only state runs shared");
    CHECK_INT(e.intensity, FM_INTENSITY_PER_FLOW);
    CHECK(e.uncertain.n == 1, "an uncertain reason is added");
    const fm_disagreement *d = find_dis(&e, "stateful");
    CHECK(d && strcmp(d->static_value, "false") == 0 &&
          strstr(d->llm_value, "true (3 of 3") == d->llm_value, "both answers recorded");
    fm_elem_attrs_free(&e);
}

/* Keys: the intersection, or unknown. */
static void test_merge_keys(void)
{
    fm_elem_attrs e;
    const fm_disagreement *d;
    /* a larger LLM key: the static key (the intersection) */
    static_elem(&e, 1, FM_KEY_FIELDS, FM_F_DST_IP, 0, FM_INTENSITY_PER_PACKET, 0);
    merge1(&e, ans(1, FM_KEY_FIELDS, FM_F_ALL, 0, FM_INTENSITY_PER_PACKET, 0));
    CHECK_INT(e.key_fields, FM_F_DST_IP);
    d = find_dis(&e, "key");
    CHECK(d && strcmp(d->static_value, "fields:dst_ip") == 0 &&
          strstr(d->resolution, "intersection kept: dst_ip"), "key disagreement");
    fm_elem_attrs_free(&e);
    /* overlapping keys: the intersection */
    static_elem(&e, 1, FM_KEY_FIELDS, FM_F_SRC_IP | FM_F_DST_IP, 0, FM_INTENSITY_PER_FLOW, 0);
    merge1(&e, ans(1, FM_KEY_FIELDS, FM_F_DST_IP | FM_F_DST_PORT, 0, FM_INTENSITY_PER_FLOW, 0));
    CHECK(e.key_kind == FM_KEY_FIELDS && e.key_fields == FM_F_DST_IP, "intersection");
    fm_elem_attrs_free(&e);
    /* disjoint keys: unknown */
    static_elem(&e, 1, FM_KEY_FIELDS, FM_F_SRC_IP, 0, FM_INTENSITY_PER_FLOW, 0);
    merge1(&e, ans(1, FM_KEY_FIELDS, FM_F_DST_IP, 0, FM_INTENSITY_PER_FLOW, 0));
    CHECK_INT(e.key_kind, FM_KEY_UNKNOWN);
    fm_elem_attrs_free(&e);
    /* kinds differ: unknown */
    static_elem(&e, 1, FM_KEY_FLOW_MANAGER, 0, 0, FM_INTENSITY_PER_PACKET, 0);
    merge1(&e, ans(1, FM_KEY_FIELDS, FM_F_DST_IP, 0, FM_INTENSITY_PER_PACKET, 0));
    CHECK_INT(e.key_kind, FM_KEY_UNKNOWN);
    fm_elem_attrs_free(&e);
    /* static unknown stays unknown */
    static_elem(&e, 1, FM_KEY_UNKNOWN, 0, 0, FM_INTENSITY_PER_PACKET, 0);
    merge1(&e, ans(1, FM_KEY_FIELDS, FM_F_DST_IP, 0, FM_INTENSITY_PER_PACKET, 0));
    CHECK(e.key_kind == FM_KEY_UNKNOWN && e.key_fields == 0, "static unknown stays");
    CHECK(find_dis(&e, "key") != NULL, "recorded");
    fm_elem_attrs_free(&e);
    /* an LLM "unknown" abstains */
    static_elem(&e, 1, FM_KEY_FIELDS, FM_F_DST_IP, 0, FM_INTENSITY_PER_PACKET, 0);
    merge1(&e, ans(1, FM_KEY_UNKNOWN, 0, 0, FM_INTENSITY_PER_PACKET, 0));
    CHECK(e.key_kind == FM_KEY_FIELDS && e.key_fields == FM_F_DST_IP, "abstention");
    fm_elem_attrs_free(&e);
}

/* The cautious side of the rest; agreement; no valid answer. */
static void test_merge_cautious(void)
{
    fm_elem_attrs e;
    /* symmetric OR, intensity max, pointer chasing OR */
    static_elem(&e, 1, FM_KEY_FIELDS, FM_F_ALL, 0, FM_INTENSITY_PER_FLOW, 0);
    merge1(&e, ans(1, FM_KEY_FIELDS, FM_F_ALL, 1, FM_INTENSITY_PER_PACKET, 1));
    CHECK(e.symmetric && e.intensity == FM_INTENSITY_PER_PACKET && e.pointer_chasing,
          "OR / max / OR");
    CHECK(find_dis(&e, "symmetric") && find_dis(&e, "intensity") &&
          find_dis(&e, "pointer_chasing"), "each recorded");
    CHECK(!find_dis(&e, "key"), "equal keys are no disagreement");
    fm_elem_attrs_free(&e);
    static_elem(&e, 1, FM_KEY_FIELDS, FM_F_ALL, 1, FM_INTENSITY_PER_PACKET, 1);
    merge1(&e, ans(1, FM_KEY_FIELDS, FM_F_ALL, 0, FM_INTENSITY_PER_FLOW, 0));
    CHECK(e.symmetric && e.intensity == FM_INTENSITY_PER_PACKET && e.pointer_chasing,
          "the static cautious values stay");
    fm_elem_attrs_free(&e);
    /* agreement: no disagreement, provenance static+llm */
    static_elem(&e, 0, FM_KEY_NONE, 0, 0, FM_INTENSITY_NONE, 0);
    merge1(&e, ans(0, FM_KEY_NONE, 0, 0, FM_INTENSITY_NONE, 0));
    CHECK(e.ndisagreements == 0 && !e.stateful, "agreement");
    CHECK_STR(e.provenance, "static+llm");
    fm_elem_attrs_free(&e);
    /* no valid answer: nothing changes */
    static_elem(&e, 1, FM_KEY_FIELDS, FM_F_DST_IP, 0, FM_INTENSITY_PER_PACKET, 0);
    fm_llm_vote v;
    fm_llm_vote_attrs(NULL, 0, &v);
    cJSON *o = fm_llm_merge(&e, NULL, 0, &v, "m", 3, 1, 2);
    CHECK_STR(e.provenance, "static");
    CHECK(strstr(cJSON_GetObjectItem(o, "status")->valuestring, "no valid answer"), "status");
    cJSON_Delete(o);
    fm_elem_attrs_free(&e);
}


static void test_merge_rules(void)
{
    test_merge_state();
    test_merge_keys();
    test_merge_cautious();
}

static fm_llm_answer random_answer(unsigned *seed)
{
    int st = rand_r(seed) % 2;
    fm_key_kind k = st ? (fm_key_kind)(1 + rand_r(seed) % 3) : FM_KEY_NONE;
    fm_fieldset f = k == FM_KEY_FIELDS ? (fm_fieldset)(1 + rand_r(seed) % 31) : 0;
    return ans(st, k, f, st && rand_r(seed) % 2,
               st ? (fm_intensity)(rand_r(seed) % 3) : FM_INTENSITY_NONE,
               rand_r(seed) % 2);
}

/* Whatever the answers, the merge never loses safety: every RSS set allowed
 * after the merge was allowed before it. */
static void test_merge_never_less_safe(void)
{
    unsigned seed = 12345;
    int bad = 0;
    for (int it = 0; it < 20000; it++) {
        fm_llm_answer s = random_answer(&seed), a[5];
        int n = 1 + rand_r(&seed) % 5;
        for (int i = 0; i < n; i++)
            a[i] = random_answer(&seed);
        fm_elem_attrs e;
        static_elem(&e, s.stateful, s.key_kind, s.fields, s.symmetric, s.intensity,
                    s.pointer_chasing);
        fm_llm_vote v;
        fm_llm_vote_attrs(a, n, &v);
        cJSON_Delete(fm_llm_merge(&e, a, n, &v, "m", n, 0, 0));
        int ok = e.stateful >= s.stateful && e.symmetric >= s.symmetric &&
                 e.pointer_chasing >= s.pointer_chasing && e.intensity >= s.intensity;
        /* allowed shared-nothing RSS sets may only shrink */
        for (fm_fieldset r = 1; r <= FM_F_ALL && ok; r++) {
            int before = !s.stateful || (s.key_kind == FM_KEY_FIELDS &&
                                         (r & ~s.fields) == 0);
            int after = !e.stateful || (e.key_kind == FM_KEY_FIELDS &&
                                        (r & ~e.key_fields) == 0);
            if (after && !before)
                ok = 0;
        }
        if (s.key_kind != FM_KEY_FIELDS && e.key_kind == FM_KEY_FIELDS)
            ok = 0;
        if (s.key_kind == FM_KEY_FLOW_MANAGER && e.key_kind != FM_KEY_FLOW_MANAGER &&
            e.key_kind != FM_KEY_UNKNOWN)
            ok = 0;
        bad += !ok;
        fm_elem_attrs_free(&e);
    }
    CHECK_INT(bad, 0);
}

static void test_retry_after(void)
{
    long now = (long)time(NULL);
    CHECK(fm_llm_parse_retry_after("30", now) == 30, "seconds");
    CHECK(fm_llm_parse_retry_after(" 2\r\n", now) == 2, "seconds with CRLF");
    CHECK(fm_llm_parse_retry_after("1.5", now) == 1.5, "fractional");
    CHECK(fm_llm_parse_retry_after("soon", now) < 0, "bogus");
    CHECK(fm_llm_parse_retry_after("12abc", now) < 0, "trailing junk");
    char date[64];
    time_t t = (time_t)now + 120;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    double d = fm_llm_parse_retry_after(date, now);
    CHECK(d >= 119 && d <= 120, "HTTP-date 120 s ahead: %g", d);
    CHECK(fm_llm_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 0,
          "a past date means now");
}

static void test_key_rules(void)
{
    char dir[] = "/tmp/fm-llm-key.XXXXXX", path[300], out[256];
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    snprintf(path, sizeof path, "%s/key", dir);
    FILE *f = fopen(path, "w");
    fputs("  sk-test-0123456789abcdef\n", f);
    fclose(f);
    fm_error err = {0};
    chmod(path, 0644);
    char *k = fm_llm_key_file_read(path, &err);
    CHECK(k == NULL && strstr(err.msg, "too open") && strstr(err.msg, "chmod 600"),
          "0644 refused: %s", err.msg);
    CHECK(!strstr(err.msg, "sk-test"), "the refusal does not show the key");
    chmod(path, 0640);
    CHECK(fm_llm_key_file_read(path, &err) == NULL, "0640 refused");
    chmod(path, 0600);
    k = fm_llm_key_file_read(path, &err);
    CHECK(k && strcmp(k, "sk-test-0123456789abcdef") == 0, "0600 read and trimmed");
    fm_llm_key_free(k);
    f = fopen(path, "w");
    fputs("\n\n", f);
    fclose(f);
    CHECK(fm_llm_key_file_read(path, &err) == NULL && strstr(err.msg, "empty"), "empty");
    unlink(path);
    rmdir(dir);

    CHECK(fm_llm_url_is_default("https://api.openai.com/v1/"), "default with /");
    CHECK(!fm_llm_url_is_default("https://api.openai.com.evil.example/v1"), "lookalike");
    CHECK(!fm_llm_url_is_default("http://127.0.0.1:8080/v1"), "local");
    fm_llm_config c;
    fm_llm_config_init(&c);
    c.api_key = "sk-x";
    c.base_url = "http://127.0.0.1:8080/v1";
    CHECK(!fm_llm_key_allowed(&c), "no key to a custom endpoint");
    c.allow_key_to_custom_endpoint = 1;
    CHECK(fm_llm_key_allowed(&c), "unless allowed");
    c.allow_key_to_custom_endpoint = 0;
    c.base_url = FM_LLM_DEFAULT_BASE_URL;
    CHECK(fm_llm_key_allowed(&c), "default endpoint");
    fm_llm_url_redact("https://user:pw@host:8080/v1", out, sizeof out);
    CHECK_STR(out, "https://host:8080/v1");
    fm_llm_url_redact("http://host/v1?a=b@c", out, sizeof out);
    CHECK_STR(out, "http://host/v1?a=b@c");
    const char *msg = "Incorrect API key provided: sk-SECRET-123.\n";
    char *s = fm_llm_sanitize(msg, strlen(msg), "sk-SECRET-123", 200);
    CHECK_STR(s, "Incorrect API key provided: [redacted].");
    free(s);
    s = fm_llm_sanitize("aaaa", 4, NULL, 2);
    CHECK_STR(s, "aa");
    free(s);
}

/* The prompts themselves are tested in test_llm_prompt.c. */
static void test_cache_keys(void)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/tests/analyze/chain", root());
    fm_summary_set set;
    fm_error err = {0};
    if (fm_summary_set_load(dir, &set, &err) != 0) {
        CHECK(0, "load %s: %s", dir, err.msg);
        return;
    }
    fm_llm_task t;
    fm_llm_task_init(&t, FM_Q_ATTRS, "Policer", 2);
    fm_llm_prompt_attrs(fm_summary_set_find(&set, "Policer"), NULL, &t);

    /* cache keys: stable, per sample and model, independent of the API key */
    fm_llm_config c;
    fm_llm_config_init(&c);
    c.base_url = "http://127.0.0.1:1/v1";
    char k1[65], k2[65], k3[65], k4[65];
    fm_llm_cache_key(&c, &t, 0, k1);
    c.api_key = "sk-secret";
    c.allow_key_to_custom_endpoint = 1;
    fm_llm_cache_key(&c, &t, 0, k2);
    CHECK_STR(k1, k2);
    fm_llm_cache_key(&c, &t, 1, k3);
    CHECK(strcmp(k1, k3) != 0, "per sample");
    c.model = "other";
    fm_llm_cache_key(&c, &t, 0, k4);
    CHECK(strcmp(k1, k4) != 0, "per model");
    c.model = FM_LLM_DEFAULT_MODEL;
    c.base_url = "http://127.0.0.1:1/v1/";
    fm_llm_cache_key(&c, &t, 0, k4);
    CHECK_STR(k1, k4);   /* trailing slash is the same endpoint */
    /* bodies follow the capabilities; the key does not appear */
    fm_llm_caps caps;
    fm_llm_caps_init(&caps);
    char *body = fm_llm_request_body(&c, &caps, &t, 2, -1);
    CHECK(strstr(body, "\"json_schema\"") && strstr(body, "\"n\":2") &&
          !strstr(body, "sk-secret"), "schema + n");
    free(body);
    caps.format = FM_FMT_NONE;
    caps.max_completion_tokens = 1;
    caps.no_temperature = 1;
    body = fm_llm_request_body(&c, &caps, &t, 1, 1);
    CHECK(!strstr(body, "response_format") && strstr(body, "max_completion_tokens") &&
          !strstr(body, "temperature") && strstr(body, "\"seed\":1"), "fallback body");
    free(body);
    fm_llm_task_free(&t);
    fm_summary_set_free(&set);
}

static void test_cost_ranks(void)
{
    fm_attrs a = {0};
    const char *names[] = {"A", "B", "C", "D", "Q"};
    double costs[] = {100, 42.5, 40, 10, 500};
    int nf[] = {1, 1, 1, 1, 0}, wins[] = {0, 0, 0, 0, 0};
    for (int i = 0; i < 5; i++)
        fm_attrs_add(&a, names[i])->cost = costs[i];
    fm_llm_cost_ranks(&a, nf, NULL, 0.10);
    CHECK(a.elems[0].cost_rank == 1 && a.elems[1].cost_rank == 2 &&
          a.elems[2].cost_rank == 3 && a.elems[3].cost_rank == 4 &&
          a.elems[4].cost_rank == 0, "static order; non-NFs unranked");
    wins[2] = 1;
    wins[1] = -1;   /* the LLM says C is heavier than B (a near tie) */
    fm_llm_cost_ranks(&a, nf, wins, 0.10);
    CHECK(a.elems[2].cost_rank == 2 && a.elems[1].cost_rank == 3, "tie broken");
    wins[0] = -5;   /* A is not in a near tie: wins cannot move it */
    fm_llm_cost_ranks(&a, nf, wins, 0.10);
    CHECK_INT(a.elems[0].cost_rank, 1);
    fm_attrs_free(&a);
}

int main(void)
{
    test_sha256();
    test_validation();
    test_vote();
    test_merge_rules();
    test_merge_never_less_safe();
    test_retry_after();
    test_key_rules();
    test_cache_keys();
    test_cost_ranks();
    return fm_t_done("test_llm_unit",
                     "SHA-256 vectors, answer validation, votes and ties, merge "
                     "rules, 20000 random merges never less safe, Retry-After, "
                     "key file/URL rules, cache keys and request bodies, cost ranks");
}
