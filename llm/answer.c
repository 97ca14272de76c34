/* The model's replies: the JSON schemas we ask for, finding the JSON object
 * in a reply, and validating it against the allowed values.
 *
 * A reply is FM_ANS_MALFORMED when it holds no usable JSON object or a field
 * is missing or of the wrong type, FM_ANS_REJECTED when the shape is right
 * but a value is outside the allowed set (an unknown key field, an unknown
 * intensity) or the answer contradicts itself (stateless with a key).
 * Neither kind is ever voted. */
#include <stdlib.h>
#include <string.h>

#include "llm_int.h"

static const char *const kinds[] = {"none", "fields", "flow_manager", "unknown"};
static const char *const intens[] = {"none", "per-flow", "per-packet"};
static const char *const fields[] = {"src_ip", "dst_ip", "src_port",
                                     "dst_port", "proto"};
static const char *const cmps[] = {"A", "B", "same"};

#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

static cJSON *str_enum(const char *const *v, int n)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "string");
    cJSON *e = cJSON_AddArrayToObject(o, "enum");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(e, cJSON_CreateString(v[i]));
    return o;
}

static cJSON *typed(const char *type)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", type);
    return o;
}

/* Strict-mode compatible (OpenAI): every property required, no extras. */
cJSON *fm_llm_schema(fm_question q)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "type", "object");
    cJSON *p = cJSON_AddObjectToObject(s, "properties");
    cJSON *req = cJSON_AddArrayToObject(s, "required");
    if (q == FM_Q_ATTRS) {
        cJSON_AddItemToObject(p, "stateful", typed("boolean"));
        cJSON_AddItemToObject(p, "key_kind", str_enum(kinds, NELEM(kinds)));
        cJSON *kf = typed("array");
        cJSON_AddItemToObject(kf, "items", str_enum(fields, NELEM(fields)));
        cJSON_AddItemToObject(p, "key_fields", kf);
        cJSON_AddItemToObject(p, "symmetric", typed("boolean"));
        cJSON_AddItemToObject(p, "intensity", str_enum(intens, NELEM(intens)));
        cJSON_AddItemToObject(p, "pointer_chasing", typed("boolean"));
    } else {
        cJSON_AddItemToObject(p, "heavier", str_enum(cmps, NELEM(cmps)));
    }
    cJSON_AddItemToObject(p, "reason", typed("string"));
    for (cJSON *it = p->child; it; it = it->next)
        cJSON_AddItemToArray(req, cJSON_CreateString(it->string));
    cJSON_AddBoolToObject(s, "additionalProperties", 0);
    return s;
}

const char *fm_llm_schema_name(fm_question q)
{
    return q == FM_Q_ATTRS ? "nf_attributes" : "nf_cost_comparison";
}

/* ---- finding the object ---- */

/* Drop <think>...</think> blocks that reasoning models put before the
 * answer (an unterminated one swallows the rest: no answer). */
static char *strip_think(const char *s)
{
    fm_buf b;
    fm_buf_init(&b);
    for (;;) {
        const char *t = strstr(s, "<think>");
        if (!t) {
            fm_buf_puts(&b, s);
            break;
        }
        fm_buf_append(&b, s, (size_t)(t - s));
        const char *e = strstr(t, "</think>");
        if (!e)
            break;
        s = e + strlen("</think>");
    }
    return (char *)fm_buf_cstr(&b);
}

/* The first parsable JSON object in text that has the field `must`:
 * the whole text, else each '{' in turn (covers ```json fences and prose
 * around the object).  Bounded: at most 64 attempts. */
static cJSON *find_object(const char *content, const char *must)
{
    char *text = strip_think(content);
    cJSON *j = cJSON_Parse(text);
    if (cJSON_IsObject(j) && cJSON_GetObjectItemCaseSensitive(j, must)) {
        free(text);
        return j;
    }
    cJSON_Delete(j);
    j = NULL;
    int tries = 0;
    for (const char *p = strchr(text, '{'); p && tries < 64;
         p = strchr(p + 1, '{'), tries++) {
        cJSON *o = cJSON_ParseWithOpts(p, NULL, 0);
        if (cJSON_IsObject(o) && cJSON_GetObjectItemCaseSensitive(o, must)) {
            j = o;
            break;
        }
        cJSON_Delete(o);
    }
    free(text);
    return j;
}

static int lookup(const char *const *v, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return i;
    return -1;
}

static void copy_reason(const cJSON *j, char *out, size_t n)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "reason");
    out[0] = 0;
    if (!cJSON_IsString(r) || !r->valuestring)
        return;
    size_t k = 0;
    for (const char *p = r->valuestring; *p && k + 1 < n; p++)
        out[k++] = (unsigned char)*p < 0x20 ? ' ' : *p;
    out[k] = 0;
}

#define WHY(...) snprintf(why, whyn, __VA_ARGS__)

static int get_bool(const cJSON *j, const char *k, int *out, char *why, size_t whyn)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    if (!v) {
        WHY("no \"%s\"", k);
        return -1;
    }
    if (!cJSON_IsBool(v)) {
        WHY("\"%s\" is not a boolean", k);
        return -1;
    }
    *out = cJSON_IsTrue(v);
    return 0;
}

/* -1 missing or not a string (malformed), -2 not allowed (rejected). */
static int get_enum(const cJSON *j, const char *k, const char *const *v, int n,
                    char *why, size_t whyn)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, k);
    if (!cJSON_IsString(x) || !x->valuestring) {
        WHY("\"%s\" missing or not a string", k);
        return -1;
    }
    int i = lookup(v, n, x->valuestring);
    if (i < 0) {
        WHY("\"%s\": \"%.40s\" is not an allowed value", k, x->valuestring);
        return -2;
    }
    return i;
}

int fm_llm_parse_attrs(const char *content, fm_llm_answer *a, char *why, size_t whyn)
{
    memset(a, 0, sizeof *a);
    if (whyn)
        why[0] = 0;
    cJSON *j = content ? find_object(content, "stateful") : NULL;
    if (!j) {
        WHY("no JSON object with \"stateful\" in the reply");
        return FM_ANS_MALFORMED;
    }
    int rc = FM_ANS_MALFORMED, k = 0, in = 0;
    if (get_bool(j, "stateful", &a->stateful, why, whyn) ||
        get_bool(j, "symmetric", &a->symmetric, why, whyn) ||
        get_bool(j, "pointer_chasing", &a->pointer_chasing, why, whyn))
        goto out;
    if ((k = get_enum(j, "key_kind", kinds, NELEM(kinds), why, whyn)) < 0 ||
        (in = get_enum(j, "intensity", intens, NELEM(intens), why, whyn)) < 0) {
        if ((k == -2 || in == -2))
            rc = FM_ANS_REJECTED;
        goto out;
    }
    a->key_kind = (fm_key_kind)k;
    a->intensity = (fm_intensity)in;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "key_fields");
    if (!cJSON_IsArray(f)) {
        WHY("\"key_fields\" missing or not an array");
        goto out;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, f)
    {
        if (!cJSON_IsString(it)) {
            WHY("\"key_fields\" holds a non-string");
            goto out;
        }
        fm_fieldset b = fm_field_bit(it->valuestring);
        if (!b) {
            WHY("key field \"%.40s\" is not one of src_ip, dst_ip, src_port, "
                "dst_port, proto", it->valuestring);
            rc = FM_ANS_REJECTED;
            goto out;
        }
        a->fields |= b;
    }
    rc = FM_ANS_REJECTED;
    if (!a->stateful && a->key_kind != FM_KEY_NONE) {
        WHY("stateless but key_kind \"%s\"", kinds[a->key_kind]);
        goto out;
    }
    if (a->stateful && a->key_kind == FM_KEY_NONE) {
        WHY("stateful but key_kind \"none\"");
        goto out;
    }
    if (a->key_kind == FM_KEY_FIELDS && !a->fields) {
        WHY("key_kind \"fields\" with no field");
        goto out;
    }
    if (a->key_kind != FM_KEY_FIELDS)
        a->fields = 0;
    if (!a->stateful)
        a->symmetric = 0;
    copy_reason(j, a->reason, sizeof a->reason);
    rc = FM_ANS_OK;
out:
    cJSON_Delete(j);
    return rc;
}

int fm_llm_parse_cmp(const char *content, fm_cmp_answer *a, char *why, size_t whyn)
{
    memset(a, 0, sizeof *a);
    if (whyn)
        why[0] = 0;
    cJSON *j = content ? find_object(content, "heavier") : NULL;
    if (!j) {
        WHY("no JSON object with \"heavier\" in the reply");
        return FM_ANS_MALFORMED;
    }
    int h = get_enum(j, "heavier", cmps, NELEM(cmps), why, whyn);
    int rc = h == -1 ? FM_ANS_MALFORMED : h == -2 ? FM_ANS_REJECTED : FM_ANS_OK;
    if (rc == FM_ANS_OK) {
        a->heavier = (fm_cmp)h;
        copy_reason(j, a->reason, sizeof a->reason);
    }
    cJSON_Delete(j);
    return rc;
}

int fm_llm_validate(fm_question q, const char *content, char *why, size_t n)
{
    if (q == FM_Q_ATTRS) {
        fm_llm_answer a;
        return fm_llm_parse_attrs(content, &a, why, n);
    }
    fm_cmp_answer c;
    return fm_llm_parse_cmp(content, &c, why, n);
}

/* ---- tasks ---- */

void fm_llm_caps_init(fm_llm_caps *c)
{
    memset(c, 0, sizeof *c);
    c->format = FM_FMT_SCHEMA;
    c->n_ok = -1;
}

void fm_llm_task_init(fm_llm_task *t, fm_question q, const char *label,
                      int nsamples)
{
    memset(t, 0, sizeof *t);
    t->q = q;
    t->label = fm_xstrdup(label);
    t->nsamples = nsamples;
    t->state = fm_xcalloc((size_t)nsamples, sizeof *t->state);
    t->content = fm_xcalloc((size_t)nsamples, sizeof *t->content);
    t->cached = fm_xcalloc((size_t)nsamples, sizeof *t->cached);
    t->key = fm_xcalloc((size_t)nsamples, sizeof *t->key);
}

void fm_llm_task_free(fm_llm_task *t)
{
    free(t->label);
    free(t->system);
    free(t->user);
    for (int i = 0; i < t->nsamples; i++)
        free(t->content[i]);
    free(t->content);
    free(t->state);
    free(t->cached);
    free(t->key);
    memset(t, 0, sizeof *t);
}
