/* fm_analyze: static attributes, then (with an endpoint) the questions,
 * the cache, the requests, the votes and the merge. */
#include "curl_dl.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "llm_int.h"

typedef struct run {
    const fm_analyze_opts *o;
    const char *cache;         /* NULL: no cache */
    fm_analyze_stats *st;
    fm_llm_hooks hooks;
} run;

static void on_answer(void *ud, fm_llm_task *t, int s)
{
    run *r = ud;
    if (r->cache && fm_llm_cache_put(r->cache, t->key[s], r->o->llm.model,
                                     t->content[s], NULL) != 0)
        r->st->cache_errors++;
}

static void on_progress(void *ud, long done, long total)
{
    run *r = ud;
    if (r->o->progress)
        r->o->progress(r->o->progress_ud, done, total);
}

/* ---- which questions ---- */

typedef struct by_cost_item {
    size_t i;
    double cost;
    const char *name;
} by_cost_item;

static int cmp_cost(const void *x, const void *y)
{
    const by_cost_item *a = x, *b = y;
    if (a->cost != b->cost)
        return a->cost > b->cost ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* NFs next to each other in cost order whose costs are within the tie
 * fraction: only there can the comparison change a decision. */
static size_t add_compare_tasks(const fm_summary_set *sums, const int *asked,
                                const fm_analyze_opts *o, fm_llm_task *tasks,
                                size_t nt)
{
    by_cost_item *v = fm_xcalloc(sums->n, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < sums->n; i++)
        if (asked[i]) {
            v[n].i = i;
            v[n].cost = sums->v[i].a.cost;
            v[n].name = sums->v[i].a.name;
            n++;
        }
    qsort(v, n, sizeof *v, cmp_cost);
    for (size_t k = 0; k + 1 < n; k++) {
        if (v[k].cost - v[k + 1].cost > o->tie_fraction * v[k].cost)
            continue;
        /* A and B in name order, so position does not follow cost */
        size_t a = v[k].i, b = v[k + 1].i;
        if (strcmp(sums->v[a].a.name, sums->v[b].a.name) > 0) {
            size_t t = a;
            a = b;
            b = t;
        }
        char label[600];
        snprintf(label, sizeof label, "%s vs %s", sums->v[a].a.name,
                 sums->v[b].a.name);
        fm_llm_task *t = &tasks[nt++];
        fm_llm_task_init(t, FM_Q_COMPARE, label, o->llm.samples);
        t->nf = a;
        t->nf_b = b;
        fm_prompt_opts po = {o->source_root, o->source_budget};
        fm_llm_prompt_compare(&sums->v[a], &sums->v[b], &po, t);
    }
    free(v);
    return nt;
}

/* ---- --print-prompts ---- */

static void safe_name(const char *name, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < n; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        out[k] = ok && !(k == 0 && c == '.') ? c : '_';
        k++;
    }
    out[k] = 0;
}

/* The NF's own source file: where its first member function on the
 * per-packet path is defined, else the summary's "file". */
static const char *own_file(const fm_summary *s)
{
    const char *cls = s->a.cls ? s->a.cls : s->a.name;
    size_t cl = strlen(cls);
    for (size_t i = 0; i < s->nfuncs; i++)
        if (strncmp(s->funcs[i].function, cls, cl) == 0 &&
            s->funcs[i].function[cl] == ':' && *s->funcs[i].file)
            return s->funcs[i].file;
    return s->file && *s->file ? s->file : "-";
}

static int print_prompts(const char *dir, const fm_summary_set *sums,
                         const fm_llm_config *c, fm_llm_task *tasks, size_t nt,
                         fm_error *err)
{
    fm_stage st;
    fm_stage_init(&st);
    fm_buf tsv;
    fm_buf_init(&tsv);
    /* user_bytes: the NF-specific part (the user message, DATA blocks);
     * system_bytes: the part shared by every NF; source_bytes: the source
     * excerpt inside the user message */
    fm_buf_puts(&tsv, "kind\tname\tprompt_bytes\tuser_bytes\tsystem_bytes\t"
                      "source_bytes\tfile\n");
    for (size_t i = 0; i < nt; i++) {
        fm_llm_task *t = &tasks[i];
        char base[300], path[4400];
        if (t->q == FM_Q_ATTRS) {
            safe_name(t->label, base, sizeof base);
        } else {
            char a[140], b[140];
            safe_name(sums->v[t->nf].a.name, a, sizeof a);
            safe_name(sums->v[t->nf_b].a.name, b, sizeof b);
            snprintf(base, sizeof base, "cmp-%s--%s", a, b);
        }
        const char *prefix = t->q == FM_Q_ATTRS ? "nf-" : "";
        fm_buf txt;
        fm_buf_init(&txt);
        fm_buf_printf(&txt, "### system\n%s\n### user\n%s\n", t->system, t->user);
        snprintf(path, sizeof path, "%s/%s%s.txt", dir, prefix, base);
        fm_stage_add(&st, path, txt.data, txt.len, FM_STAGE_MKDIRS);
        fm_buf_free(&txt);
        char *body = fm_llm_request_body(c, NULL, t, 1, -1);
        snprintf(path, sizeof path, "%s/%s%s.json", dir, prefix, base);
        fm_stage_add(&st, path, body, strlen(body), FM_STAGE_MKDIRS);
        free(body);
        fm_buf_printf(&tsv, "%s\t%s\t%zu\t%zu\t%zu\t%zu\t%s\n",
                      t->q == FM_Q_ATTRS ? "nf" : "compare", t->label,
                      strlen(t->system) + strlen(t->user), strlen(t->user),
                      strlen(t->system), t->source_bytes,
                      t->q == FM_Q_ATTRS ? own_file(&sums->v[t->nf]) : "-");
    }
    char path[4400];
    snprintf(path, sizeof path, "%s/prompts.tsv", dir);
    fm_stage_add(&st, path, tsv.data ? tsv.data : "", tsv.len, FM_STAGE_MKDIRS);
    fm_buf_free(&tsv);
    return fm_stage_commit(&st, err);
}

/* ---- cache lookups ---- */

static void lookup_cache(run *r, fm_llm_task *tasks, size_t nt)
{
    for (size_t i = 0; i < nt; i++) {
        fm_llm_task *t = &tasks[i];
        for (int s = 0; s < t->nsamples; s++) {
            fm_llm_cache_key(&r->o->llm, t, s, t->key[s]);
            char *raw, why[240];
            if (!r->cache || fm_llm_cache_get(r->cache, t->key[s], &raw) != 0)
                continue;
            /* entries stored before redaction existed are redacted on use */
            char *content = fm_llm_redact(raw, r->o->llm.api_key);
            free(raw);
            if (fm_llm_validate(t->q, content, why, sizeof why) != FM_ANS_OK) {
                free(content);   /* stale or damaged entry: ask again */
                continue;
            }
            t->state[s] = FM_S_OK;
            t->content[s] = content;
            t->cached[s] = 1;
            r->st->cache_hits++;
            r->st->answers++;
            r->hooks.done++;
        }
    }
}

/* ---- merging ---- */

static int count_state(const fm_llm_task *t, fm_sample_state s)
{
    int n = 0;
    for (int i = 0; i < t->nsamples; i++)
        n += t->state[i] == s;
    return n;
}

static void merge_nf(const fm_llm_task *t, const fm_llm_config *c,
                     fm_elem_attrs *e, cJSON **obj)
{
    fm_llm_answer *a = fm_xcalloc((size_t)t->nsamples, sizeof *a);
    int n = 0;
    char why[240];
    for (int s = 0; s < t->nsamples; s++)
        if (t->state[s] == FM_S_OK &&
            fm_llm_parse_attrs(t->content[s], &a[n], why, sizeof why) == FM_ANS_OK)
            n++;
    fm_llm_vote v;
    fm_llm_vote_attrs(a, n, &v);
    *obj = fm_llm_merge(e, a, n, &v, c->model, t->nsamples,
                        count_state(t, FM_S_REJECTED), count_state(t, FM_S_FAILED));
    free(a);
}

static void add_comparison(cJSON *obj, const char *vs, const char *result,
                           int votes, int valid)
{
    if (!obj)
        return;
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "cost_comparisons");
    if (!arr)
        arr = cJSON_AddArrayToObject(obj, "cost_comparisons");
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "vs", vs);
    cJSON_AddStringToObject(x, "result", result);
    cJSON_AddNumberToObject(x, "votes", votes);
    cJSON_AddNumberToObject(x, "valid", valid);
    cJSON_AddItemToArray(arr, x);
}

static void merge_compare(const fm_llm_task *t, const fm_summary_set *sums,
                          cJSON **objs, int *wins)
{
    int cnt[3] = {0}, n = 0;
    char why[240];
    for (int s = 0; s < t->nsamples; s++) {
        fm_cmp_answer c;
        if (t->state[s] == FM_S_OK &&
            fm_llm_parse_cmp(t->content[s], &c, why, sizeof why) == FM_ANS_OK) {
            cnt[c.heavier]++;
            n++;
        }
    }
    /* a tie between A and B, or with "same", is "same" */
    fm_cmp w = FM_CMP_SAME;
    if (cnt[FM_CMP_A] > cnt[FM_CMP_B] && cnt[FM_CMP_A] > cnt[FM_CMP_SAME])
        w = FM_CMP_A;
    else if (cnt[FM_CMP_B] > cnt[FM_CMP_A] && cnt[FM_CMP_B] > cnt[FM_CMP_SAME])
        w = FM_CMP_B;
    const char *an = sums->v[t->nf].a.name, *bn = sums->v[t->nf_b].a.name;
    const char *ra = n == 0 ? "unknown" : w == FM_CMP_A ? "heavier"
                         : w == FM_CMP_B ? "lighter" : "same";
    const char *rb = n == 0 ? "unknown" : w == FM_CMP_B ? "heavier"
                         : w == FM_CMP_A ? "lighter" : "same";
    add_comparison(objs[t->nf], bn, ra, cnt[w], n);
    add_comparison(objs[t->nf_b], an, rb, cnt[w], n);
    if (n > 0 && w != FM_CMP_SAME) {
        wins[w == FM_CMP_A ? t->nf : t->nf_b]++;
        wins[w == FM_CMP_A ? t->nf_b : t->nf]--;
    }
}

/* ---- the entry point ---- */

static int check_opts(const fm_summary_set *sums, const fm_analyze_opts *o,
                      fm_error *err)
{
    const fm_llm_config *c = &o->llm;
    if (c->samples < 1 || c->samples > 64)
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0, "samples must be 1..64");
    if (c->parallel < 1 || c->parallel > 256)
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0, "parallel must be 1..256");
    if (!c->model || !*c->model)
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0, "no model name");
    if (c->base_url && *c->base_url && strncmp(c->base_url, "http://", 7) != 0 &&
        strncmp(c->base_url, "https://", 8) != 0)
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0,
                       "the endpoint must be an http:// or https:// URL");
    struct stat st;
    if (o->source_root && (stat(o->source_root, &st) != 0 || !S_ISDIR(st.st_mode)))
        return fm_fail(err, FM_ERR_INPUT, o->source_root, 0, 0,
                       "the source root is not a directory");
    for (size_t i = 0; o->only && i < o->only->n; i++)
        if (!fm_summary_set_find(sums, o->only->v[i]))
            return fm_fail(err, FM_ERR_INPUT, "", 0, 0,
                           "no summary for an element named \"%s\"", o->only->v[i]);
    return 0;
}

/* One task per NF asked about (asked[i]), then the cost comparisons. */
static size_t build_tasks(const fm_summary_set *sums, const int *asked,
                          const fm_analyze_opts *o, fm_llm_task *tasks)
{
    size_t nt = 0;
    for (size_t i = 0; i < sums->n; i++) {
        if (!asked[i])
            continue;
        fm_llm_task *t = &tasks[nt++];
        fm_llm_task_init(t, FM_Q_ATTRS, sums->v[i].a.name, o->llm.samples);
        t->nf = i;
        fm_prompt_opts po = {o->source_root, o->source_budget};
        fm_llm_prompt_attrs(&sums->v[i], &po, t);
    }
    if (o->compare_costs)
        nt = add_compare_tasks(sums, asked, o, tasks, nt);
    return nt;
}

/* The answers to the tasks: from the cache, else from the endpoint.  0 when
 * at least one answer is valid, -1 with err. */
static int ask(const fm_analyze_opts *o, fm_llm_task *tasks, size_t nt,
               fm_analyze_stats *st, fm_error *err)
{
    const fm_llm_config *c = &o->llm;
    run r = {.o = o, .st = st};
    char cache[4096];
    if (!o->no_cache && (o->cache_dir || fm_llm_default_cache_dir(cache, sizeof cache) == 0))
        r.cache = o->cache_dir ? o->cache_dir : cache;
    fm_llm_caps caps;
    fm_llm_caps_load(r.cache, c->base_url, c->model, &caps);
    r.hooks.on_answer = on_answer;
    r.hooks.progress = on_progress;
    r.hooks.ud = &r;
    for (size_t i = 0; i < nt; i++)
        r.hooks.total += tasks[i].nsamples;
    lookup_cache(&r, tasks, nt);
    int rc = 0;
    if (r.hooks.done < r.hooks.total && (rc = fm_curl_open(err)) == 0) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        rc = fm_llm_run(c, &caps, tasks, nt, &r.hooks, st, err);
        curl_global_cleanup();
    }
    if (caps.changed && r.cache &&
        fm_llm_caps_save(r.cache, c->base_url, c->model, &caps, NULL) != 0)
        st->cache_errors++;
    if (rc != 0 || st->answers > 0)
        return rc;
    char u[1024];
    fm_llm_url_redact(c->base_url, u, sizeof u);
    const char *why = "";
    for (size_t i = 0; i < nt && !*why; i++)
        why = tasks[i].why;
    return fm_fail(err, FM_ERR_ENV, "", 0, 0, "endpoint %s: no valid answer to any question (%s)",
                   u, *why ? why : "no reason given");
}

/* The votes merged into res (objs[i]: NF i's "llm" object), wins counted. */
static void merge_all(const fm_summary_set *sums, const fm_llm_config *c, fm_llm_task *tasks,
                      size_t nt, fm_attrs *res, cJSON **objs, int *wins)
{
    for (size_t i = 0; i < nt; i++)
        if (tasks[i].q == FM_Q_ATTRS)
            merge_nf(&tasks[i], c, &res->elems[tasks[i].nf], &objs[tasks[i].nf]);
    for (size_t i = 0; i < nt; i++)
        if (tasks[i].q == FM_Q_COMPARE)
            merge_compare(&tasks[i], sums, objs, wins);
    for (size_t i = 0; i < sums->n; i++)
        if (objs[i]) {
            char *s = cJSON_PrintUnformatted(objs[i]);
            res->elems[i].llm_json = fm_xstrdup(s);
            cJSON_free(s);
        }
    free(res->generator);
    res->generator = fm_xstrdup("flowmage " FM_VERSION " (static+llm)");
}

int fm_analyze(const fm_summary_set *sums, const fm_analyze_opts *o,
               fm_attrs *out, fm_analyze_stats *stats, fm_error *err)
{
    fm_analyze_stats local;
    fm_analyze_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    if (check_opts(sums, o, err) != 0)
        return -1;
    const fm_llm_config *c = &o->llm;
    int llm_on = c->base_url && *c->base_url;
    fm_attrs res;
    fm_summary_set_to_attrs(sums, &res);   /* res.elems[i] is sums->v[i] */
    int *is_nf = fm_xcalloc(sums->n + 1, sizeof *is_nf);
    int *asked = fm_xcalloc(sums->n + 1, sizeof *asked);
    int *wins = fm_xcalloc(sums->n + 1, sizeof *wins);
    cJSON **objs = fm_xcalloc(sums->n + 1, sizeof *objs);
    size_t nasked = 0;
    for (size_t i = 0; i < sums->n; i++) {
        is_nf[i] = sums->v[i].a.role == FM_ROLE_NF;
        asked[i] = is_nf[i] && (!o->only || fm_strset_has(o->only, sums->v[i].a.name));
        nasked += asked[i];
    }
    fm_llm_task *tasks = fm_xcalloc(2 * nasked + 1, sizeof *tasks);
    size_t nt = 0;
    int rc = 0;
    if (llm_on || o->print_prompts_dir) {
        nt = build_tasks(sums, asked, o, tasks);
        st->tasks = (long)nt;
        if (o->print_prompts_dir)
            rc = print_prompts(o->print_prompts_dir, sums, c, tasks, nt, err);
        if (rc == 0 && llm_on && nt > 0 && (rc = ask(o, tasks, nt, st, err)) == 0)
            merge_all(sums, c, tasks, nt, &res, objs, wins);
    }
    if (rc == 0) {
        fm_llm_cost_ranks(&res, is_nf, wins, o->tie_fraction);
        *out = res;
    } else {
        fm_attrs_free(&res);
    }
    for (size_t i = 0; i < nt; i++)
        fm_llm_task_free(&tasks[i]);
    for (size_t i = 0; i < sums->n; i++)
        cJSON_Delete(objs[i]);
    free(tasks);
    free(objs);
    free(wins);
    free(asked);
    free(is_nf);
    return rc;
}
