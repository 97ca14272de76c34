/* Majority vote over the model's answers, and the merge with the static
 * facts.  The merge is built so that no answer, however wrong or however
 * it was obtained (prompt injection in the analysed code included), can
 * make the attributes less safe than the static ones:
 *
 *   stateful         static true stays true.  Static false + LLM true gives
 *                    stateful with key "unknown": the solver runs it shared.
 *                    (Trusting the LLM's key alone could claim a key that
 *                    is not the true one; keeping "stateless" could lose
 *                    state the static analysis missed.  Only "shared" is
 *                    safe whichever side is right; it costs speed only.)
 *   key              both "fields": the intersection (empty: "unknown");
 *                    different kinds: "unknown"; static "unknown" stays;
 *                    an LLM "unknown" is an abstention (static kept).
 *   symmetric        OR          intensity        the more write-intensive
 *   pointer_chasing  OR
 *
 *   keys_by_port     the static per-port keys pass through (the model
 *                    answers one key for the element, not per port); they
 *                    are dropped when the merge turns the static key
 *                    "unknown" (the element then runs shared, whatever
 *                    its ports).
 *
 * So the key only shrinks or becomes unknown, statefulness only appears,
 * and every other change adds a constraint or cost.  Each difference is
 * recorded in "disagreements" with both values and the resolution. */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "llm_int.h"

/* Text of a key for reports: "fields:src_ip,dst_ip", "flow_manager", ... */
static void key_text(fm_key_kind k, fm_fieldset f, char *out, size_t n)
{
    char t[64];
    if (k == FM_KEY_FIELDS) {
        fm_fieldset_format(f, t, sizeof t);
        snprintf(out, n, "fields:%s", t);
    } else {
        snprintf(out, n, "%s", fm_key_kind_name(k));
    }
}

/* ---- votes ---- */

/* Winner of a boolean vote; a tie goes to true (the cautious value). */
static int vote_bool(int yes, int no, int *votes)
{
    *votes = yes >= no ? yes : no;
    return yes >= no;
}

void fm_llm_vote_attrs(const fm_llm_answer *a, int n, fm_llm_vote *v)
{
    memset(v, 0, sizeof *v);
    v->n = n;
    if (n == 0)
        return;
    int yes = 0, sym = 0, ptr = 0, in[3] = {0};
    for (int i = 0; i < n; i++) {
        yes += a[i].stateful;
        sym += a[i].symmetric;
        ptr += a[i].pointer_chasing;
        in[a[i].intensity]++;
    }
    v->stateful = vote_bool(yes, n - yes, &v->stateful_votes);
    v->symmetric = vote_bool(sym, n - sym, &v->symmetric_votes);
    v->pointer_chasing = vote_bool(ptr, n - ptr, &v->pointer_votes);
    /* intensity: most votes; a tie goes to the more write-intensive */
    v->intensity = FM_INTENSITY_PER_PACKET;
    v->intensity_votes = in[2];
    for (int k = 1; k >= 0; k--)
        if (in[k] > v->intensity_votes) {
            v->intensity = (fm_intensity)k;
            v->intensity_votes = in[k];
        }
    for (int i = 0; i < n && !v->reason; i++)   /* refined below for the key */
        if (a[i].stateful == v->stateful && a[i].reason[0])
            v->reason = a[i].reason;
    /* key: voted among the answers that say stateful, as a whole value */
    v->key_kind = v->stateful ? FM_KEY_UNKNOWN : FM_KEY_NONE;
    if (!v->stateful)
        return;
    int best = 0;
    for (int i = 0; i < n; i++) {   /* the largest number of equal keys */
        if (!a[i].stateful)
            continue;
        v->key_voters++;
        int c = 0;
        for (int k = 0; k < n; k++)
            c += a[k].stateful && a[k].key_kind == a[i].key_kind &&
                 a[k].fields == a[i].fields;
        if (c > best)
            best = c;
    }
    /* every key with that many votes wins together: one winner is itself;
     * tied field sets give their intersection; anything else is unknown */
    int first = 1;
    for (int i = 0; i < n; i++) {
        if (!a[i].stateful)
            continue;
        int c = 0;
        for (int k = 0; k < n; k++)
            c += a[k].stateful && a[k].key_kind == a[i].key_kind &&
                 a[k].fields == a[i].fields;
        if (c != best)
            continue;
        if (first) {
            v->key_kind = a[i].key_kind;
            v->fields = a[i].fields;
            if (a[i].reason[0])
                v->reason = a[i].reason;
            first = 0;
        } else if (a[i].key_kind != v->key_kind || a[i].fields != v->fields) {
            int both = a[i].key_kind == FM_KEY_FIELDS && v->key_kind == FM_KEY_FIELDS;
            v->fields = both ? v->fields & a[i].fields : 0;
            v->key_kind = both && v->fields ? FM_KEY_FIELDS : FM_KEY_UNKNOWN;
        }
    }
    v->key_votes = best;
}

/* ---- merge ---- */

static void disagree(fm_elem_attrs *e, const char *field, const char *s,
                     const char *l, int votes, int of, const char *resolution)
{
    char lv[200];
    snprintf(lv, sizeof lv, "%s (%d of %d answers)", l, votes, of);
    fm_elem_add_disagreement(e, field, s, lv, resolution);
}

static const char *tf(int b) { return b ? "true" : "false"; }

static void merge_key(fm_elem_attrs *e, const fm_llm_vote *v)
{
    char st[80], lt[80], res[200];
    key_text(e->key_kind, e->key_fields, st, sizeof st);
    key_text(v->key_kind, v->fields, lt, sizeof lt);
    if (e->key_kind == v->key_kind && e->key_fields == v->fields)
        return;
    const char *r;
    if (e->key_kind == FM_KEY_UNKNOWN) {
        r = "static key unknown: the LLM's key is not trusted alone; runs shared";
    } else if (v->key_kind == FM_KEY_UNKNOWN) {
        r = "the LLM could not tell the key: static key kept";
    } else if (e->key_kind == FM_KEY_FIELDS && v->key_kind == FM_KEY_FIELDS) {
        fm_fieldset both = e->key_fields & v->fields;
        if (both) {
            char t[64];
            fm_fieldset_format(both, t, sizeof t);
            snprintf(res, sizeof res, "intersection kept: %s", t);
            e->key_fields = both;
        } else {
            snprintf(res, sizeof res, "no field in common: key unknown (runs shared)");
            e->key_kind = FM_KEY_UNKNOWN;
            e->key_fields = 0;
        }
        r = res;
    } else {
        r = "the key kinds differ: key unknown (runs shared)";
        e->key_kind = FM_KEY_UNKNOWN;
        e->key_fields = 0;
    }
    disagree(e, "key", st, lt, v->key_votes, v->key_voters, r);
}

static cJSON *counts_json(const fm_llm_answer *a, int n, int which)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < n; i++) {
        char k[80];
        switch (which) {
        case 0: snprintf(k, sizeof k, "%s", tf(a[i].stateful)); break;
        case 1:
            if (!a[i].stateful)
                continue;
            key_text(a[i].key_kind, a[i].fields, k, sizeof k);
            break;
        case 2: snprintf(k, sizeof k, "%s", tf(a[i].symmetric)); break;
        case 3: snprintf(k, sizeof k, "%s", fm_intensity_name(a[i].intensity)); break;
        default: snprintf(k, sizeof k, "%s", tf(a[i].pointer_chasing)); break;
        }
        cJSON *c = cJSON_GetObjectItemCaseSensitive(o, k);
        if (c)
            cJSON_SetNumberValue(c, c->valuedouble + 1);
        else
            cJSON_AddNumberToObject(o, k, 1);
    }
    return o;
}

static double frac(int votes, int of) { return of ? (double)votes / of : 0; }

/* The record of the vote: counts, the majority, the agreement per answer. */
static void add_votes(cJSON *o, const fm_llm_answer *a, int n, const fm_llm_vote *v)
{
    cJSON *votes = cJSON_AddObjectToObject(o, "votes");
    static const char *const names[] = {"stateful", "key", "symmetric",
                                        "intensity", "pointer_chasing"};
    for (int k = 0; k < 5; k++)
        cJSON_AddItemToObject(votes, names[k], counts_json(a, n, k));
    cJSON *maj = cJSON_AddObjectToObject(o, "majority");
    char kt[80];
    key_text(v->key_kind, v->fields, kt, sizeof kt);
    cJSON_AddBoolToObject(maj, "stateful", v->stateful);
    cJSON_AddStringToObject(maj, "key", kt);
    cJSON_AddBoolToObject(maj, "symmetric", v->symmetric);
    cJSON_AddStringToObject(maj, "intensity", fm_intensity_name(v->intensity));
    cJSON_AddBoolToObject(maj, "pointer_chasing", v->pointer_chasing);
    cJSON *ag = cJSON_AddObjectToObject(o, "agreement");
    cJSON_AddNumberToObject(ag, "stateful", frac(v->stateful_votes, n));
    if (v->stateful)
        cJSON_AddNumberToObject(ag, "key", frac(v->key_votes, v->key_voters));
    cJSON_AddNumberToObject(ag, "symmetric", frac(v->symmetric_votes, n));
    cJSON_AddNumberToObject(ag, "intensity", frac(v->intensity_votes, n));
    cJSON_AddNumberToObject(ag, "pointer_chasing", frac(v->pointer_votes, n));
    if (v->reason && *v->reason)
        cJSON_AddStringToObject(o, "reason", v->reason);
}

/* Statefulness and key: static evidence of state stands; state only the
 * LLM sees makes the NF stateful with an unknown key (it runs shared). */
static void merge_state(fm_elem_attrs *e, const fm_llm_vote *v, int n)
{
    fm_key_kind static_kind = e->key_kind;
    if (e->stateful && !v->stateful) {
        disagree(e, "stateful", "true", "false", v->stateful_votes, n,
                 "static evidence of per-flow state stands: stateful");
    } else if (!e->stateful && v->stateful) {
        char lt[80];
        key_text(v->key_kind, v->fields, lt, sizeof lt);
        disagree(e, "stateful", "false", "true", v->stateful_votes, n,
                 "stateful with key unknown (runs shared): the LLM reports "
                 "per-flow state that static analysis did not find");
        fm_elem_add_disagreement(e, "key", "none", lt,
                                 "not trusted alone: key unknown (runs shared)");
        e->stateful = 1;
        e->key_kind = FM_KEY_UNKNOWN;
        e->key_fields = 0;
        fm_strset_add(&e->uncertain, "the LLM reports per-flow state that "
                                     "static analysis did not find");
    } else if (e->stateful && v->stateful) {
        merge_key(e, v);
    }
    /* per-port keys refine the static key; when the merge turns that key
     * unknown, the element runs shared whatever reaches it */
    if (e->key_kind == FM_KEY_UNKNOWN && static_kind != FM_KEY_UNKNOWN && e->nports) {
        fm_elem_clear_port_keys(e);
        fm_elem_add_disagreement(e, "keys_by_port", "per-port keys", "-",
                                 "dropped with the key: runs shared");
    }
}

/* Everything else: the cautious side of each attribute. */
static void merge_cautious(fm_elem_attrs *e, const fm_llm_vote *v, int n)
{
    if (!e->symmetric && v->symmetric && e->stateful) {
        disagree(e, "symmetric", "false", "true", v->symmetric_votes, n,
                 "either side says symmetric: symmetric");
        e->symmetric = 1;
    } else if (e->symmetric && !v->symmetric) {
        disagree(e, "symmetric", "true", "false", v->symmetric_votes, n,
                 "either side says symmetric: symmetric");
    }
    if (e->intensity != v->intensity) {
        fm_intensity m = e->intensity > v->intensity ? e->intensity : v->intensity;
        char r[96];
        snprintf(r, sizeof r, "the more write-intensive kept: %s",
                 fm_intensity_name(m));
        disagree(e, "intensity", fm_intensity_name(e->intensity),
                 fm_intensity_name(v->intensity), v->intensity_votes, n, r);
        e->intensity = m;
    }
    if (e->stateful && e->intensity == FM_INTENSITY_NONE)
        e->intensity = FM_INTENSITY_PER_PACKET;   /* stateful: assume the worst */
    if (e->pointer_chasing != v->pointer_chasing) {
        disagree(e, "pointer_chasing", tf(e->pointer_chasing),
                 tf(v->pointer_chasing), v->pointer_votes, n,
                 "either side says pointer chasing: true");
        e->pointer_chasing = 1;
    }
}

cJSON *fm_llm_merge(fm_elem_attrs *e, const fm_llm_answer *a, int n,
                    const fm_llm_vote *v, const char *model, int samples,
                    int rejected, int failed)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", model);
    cJSON_AddNumberToObject(o, "samples", samples);
    cJSON_AddNumberToObject(o, "valid", n);
    cJSON_AddNumberToObject(o, "rejected", rejected);
    cJSON_AddNumberToObject(o, "failed", failed);
    if (n == 0) {
        cJSON_AddStringToObject(o, "status", "no valid answer: static attributes kept");
        return o;
    }
    free(e->provenance);
    e->provenance = fm_xstrdup("static+llm");
    add_votes(o, a, n, v);
    merge_state(e, v, n);
    merge_cautious(e, v, n);
    return o;
}

/* ---- cost ranks ---- */

typedef struct rank_item {
    size_t i;
    double cost;
    int cluster, wins;
    const char *name;
} rank_item;

static int by_cost(const void *x, const void *y)
{
    const rank_item *a = x, *b = y;
    if (a->cost != b->cost)
        return a->cost > b->cost ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int by_rank(const void *x, const void *y)
{
    const rank_item *a = x, *b = y;
    if (a->cluster != b->cluster)
        return a->cluster - b->cluster;
    if (a->wins != b->wins)
        return b->wins - a->wins;
    return by_cost(x, y);
}

static int same_rank(const rank_item *a, const rank_item *b)
{
    return a->cluster == b->cluster && a->wins == b->wins && a->cost == b->cost;
}

void fm_llm_cost_ranks(fm_attrs *attrs, const int *is_nf, const int *wins,
                       double tie_fraction)
{
    rank_item *v = fm_xcalloc(attrs->n, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < attrs->n; i++) {
        attrs->elems[i].cost_rank = 0;
        if (!is_nf[i])
            continue;
        v[n].i = i;
        v[n].cost = attrs->elems[i].cost;
        v[n].wins = wins ? wins[i] : 0;
        v[n].name = attrs->elems[i].name;
        n++;
    }
    qsort(v, n, sizeof *v, by_cost);
    for (size_t k = 1; k < n; k++)   /* chains of near-ties share a cluster */
        v[k].cluster = v[k - 1].cost - v[k].cost <= tie_fraction * v[k - 1].cost
                           ? v[k - 1].cluster : (int)k;
    qsort(v, n, sizeof *v, by_rank);
    for (size_t k = 0; k < n; k++) {
        long r = (long)k + 1;
        if (k > 0 && same_rank(&v[k], &v[k - 1]))
            r = attrs->elems[v[k - 1].i].cost_rank;
        attrs->elems[v[k].i].cost_rank = r;
    }
    free(v);
}
