/* attrs.json: load, validate, save (format in include/flowmage/attrs.h). */
#include "flowmage/attrs.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "schema.h"

const char *const fm_role_values[] = {"other", "nf", "flow_manager", NULL};
const char *const fm_key_kind_values[] = {"none", "fields", "flow_manager", "unknown", NULL};
const char *const fm_intensity_values[] = {"none", "per-flow", "per-packet", NULL};

const char *fm_role_name(fm_role r) { return fm_role_values[r]; }
const char *fm_key_kind_name(fm_key_kind k) { return fm_key_kind_values[k]; }
const char *fm_intensity_name(fm_intensity i) { return fm_intensity_values[i]; }

int fm_name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

fm_elem_attrs *fm_attrs_add(fm_attrs *a, const char *name)
{
    a->elems = fm_xrealloc(a->elems, (a->n + 1) * sizeof *a->elems);
    fm_elem_attrs *e = &a->elems[a->n++];
    memset(e, 0, sizeof *e);
    e->name = fm_xstrdup(name);
    e->provenance = fm_xstrdup("static");
    return e;
}

void fm_elem_add_evidence(fm_elem_attrs *e, const char *what,
                          const char *function, const char *file, long line)
{
    e->evidence = fm_xrealloc(e->evidence, (e->nevidence + 1) * sizeof *e->evidence);
    fm_evidence *v = &e->evidence[e->nevidence++];
    v->what = fm_xstrdup(what ? what : "");
    v->function = fm_xstrdup(function ? function : "");
    v->file = fm_xstrdup(file ? file : "");
    v->line = line;
}

void fm_elem_add_disagreement(fm_elem_attrs *e, const char *field,
                              const char *static_value, const char *llm_value,
                              const char *resolution)
{
    e->disagreements = fm_xrealloc(e->disagreements,
                                   (e->ndisagreements + 1) * sizeof *e->disagreements);
    fm_disagreement *d = &e->disagreements[e->ndisagreements++];
    d->field = fm_xstrdup(field);
    d->static_value = fm_xstrdup(static_value);
    d->llm_value = fm_xstrdup(llm_value);
    d->resolution = fm_xstrdup(resolution);
}

/* ---- keys per input port ---- */

fm_port_key *fm_elem_port_key_add(fm_elem_attrs *e, int port)
{
    size_t at = 0;
    while (at < e->nports && e->ports[at].port < port)
        at++;
    if (at < e->nports && e->ports[at].port == port)
        return &e->ports[at];
    e->ports = fm_xrealloc(e->ports, (e->nports + 1) * sizeof *e->ports);
    memmove(&e->ports[at + 1], &e->ports[at], (e->nports - at) * sizeof *e->ports);
    e->nports++;
    fm_port_key *k = &e->ports[at];
    memset(k, 0, sizeof *k);
    k->port = port;
    k->kind = FM_KEY_FIELDS;
    return k;
}

const fm_port_key *fm_elem_port_key(const fm_elem_attrs *e, int port)
{
    for (size_t i = 0; i < e->nports; i++)
        if (e->ports[i].port == port)
            return &e->ports[i];
    return NULL;
}

void fm_elem_clear_port_keys(fm_elem_attrs *e)
{
    for (size_t i = 0; i < e->nports; i++)
        fm_strset_free(&e->ports[i].other);
    free(e->ports);
    e->ports = NULL;
    e->nports = 0;
}

void fm_elem_copy_port_keys(fm_elem_attrs *dst, const fm_elem_attrs *src)
{
    fm_elem_clear_port_keys(dst);
    for (size_t i = 0; i < src->nports; i++) {
        const fm_port_key *s = &src->ports[i];
        fm_port_key *d = fm_elem_port_key_add(dst, s->port);
        fm_strset other = {0};
        for (size_t k = 0; k < s->other.n; k++)
            fm_strset_add(&other, s->other.v[k]);
        *d = *s;
        d->other = other;
    }
}


static void add_field_list(cJSON *o, const char *key, fm_fieldset f)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (int i = 0; i < FM_NFIELDS; i++)
        if (f & (1u << i))
            cJSON_AddItemToArray(a, cJSON_CreateString(fm_field_name(i)));
}

void fm_json_add_port_keys(cJSON *o, const char *key, const fm_port_key *v, size_t n)
{
    if (!n)
        return;
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (size_t i = 0; i < n; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "port", v[i].port);
        cJSON_AddStringToObject(x, "kind", fm_key_kind_name(v[i].kind));
        add_field_list(x, "fields", v[i].fields);
        fm_json_add_strset(x, "other", &v[i].other);
        cJSON_AddBoolToObject(x, "symmetric", v[i].symmetric);
        if (v[i].nentry) {
            cJSON *e = cJSON_AddArrayToObject(x, "entry");
            for (size_t k = 0; k < v[i].nentry; k++)
                cJSON_AddItemToArray(e, cJSON_CreateString(
                                            fm_field_name(__builtin_ctz(v[i].entry[k]))));
        }
        cJSON_AddItemToArray(a, x);
    }
}

void fm_elem_attrs_free(fm_elem_attrs *e)
{
    free(e->name);
    free(e->cls);
    fm_strset_free(&e->key_other);
    fm_strset_free(&e->keywords);
    fm_strset_free(&e->uncertain);
    fm_strset_free(&e->notes);
    free(e->provenance);
    for (size_t i = 0; i < e->nevidence; i++) {
        free(e->evidence[i].what);
        free(e->evidence[i].function);
        free(e->evidence[i].file);
    }
    free(e->evidence);
    for (size_t i = 0; i < e->ndisagreements; i++) {
        fm_disagreement *d = &e->disagreements[i];
        free(d->field);
        free(d->static_value);
        free(d->llm_value);
        free(d->resolution);
    }
    free(e->disagreements);
    free(e->llm_json);
    free(e->flow_code);
    fm_elem_clear_port_keys(e);
    memset(e, 0, sizeof *e);
}

void fm_attrs_free(fm_attrs *a)
{
    for (size_t i = 0; i < a->n; i++)
        fm_elem_attrs_free(&a->elems[i]);
    free(a->elems);
    free(a->generator);
    memset(a, 0, sizeof *a);
}

const fm_elem_attrs *fm_attrs_find(const fm_attrs *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->elems[i].name, name) == 0)
            return &a->elems[i];
    return NULL;
}

/* ---- reading ---- */

/* The format, one line per field (docs/attributes.md).  Unknown fields are
 * ignored: a newer writer's optional additions stay readable. */
const fm_jspec fm_jspec_role = FM_JENUM(fm_role_values);
static const fm_jspec kind_spec = FM_JENUM(fm_key_kind_values);
const fm_jspec fm_jspec_intensity = FM_JENUM(fm_intensity_values);
static const fm_jspec field_spec = FM_JENUM(fm_field_names);
static const fm_jspec fields_spec = FM_JARRAY(&field_spec);
static const fm_jspec cost_spec = FM_JNUM(0, 1e12);
static const fm_jspec rank_spec = FM_JINT(0, 1e9);

static const fm_jfield key_fields[] = {
    {"kind", FM_J_REQUIRED, &kind_spec},
    {"fields", FM_J_OPTIONAL, &fields_spec},
    {"other", FM_J_OPTIONAL, &fm_jspec_strings},
    {"symmetric", FM_J_OPTIONAL, &fm_jspec_bool},
    {NULL, 0, NULL}};
const fm_jspec fm_jspec_key = FM_JOBJECT(key_fields);

static const fm_jfield evidence_fields[] = {
    {"what", FM_J_OPTIONAL, &fm_jspec_string},
    {"function", FM_J_OPTIONAL, &fm_jspec_string},
    {"file", FM_J_OPTIONAL, &fm_jspec_string},
    {"line", FM_J_OPTIONAL, &fm_jspec_line},
    {NULL, 0, NULL}};
static const fm_jspec evidence_spec = FM_JOBJECT(evidence_fields);
const fm_jspec fm_jspec_evidences = FM_JARRAY(&evidence_spec);

static const fm_jfield disagreement_fields[] = {
    {"field", FM_J_OPTIONAL, &fm_jspec_string},
    {"static", FM_J_OPTIONAL, &fm_jspec_string},
    {"llm", FM_J_OPTIONAL, &fm_jspec_string},
    {"resolution", FM_J_OPTIONAL, &fm_jspec_string},
    {NULL, 0, NULL}};
static const fm_jspec disagreement_spec = FM_JOBJECT(disagreement_fields);
static const fm_jspec disagreements_spec = FM_JARRAY(&disagreement_spec);

/* "stateful" is required too unless the role is "other" (read_elem): the
 * solver ignores the state of such elements, and hand-written files list
 * devices without it. */
static const fm_jfield elem_fields[] = {
    {"name", FM_J_REQUIRED, &fm_jspec_name},
    {"class", FM_J_OPTIONAL, &fm_jspec_string},
    {"role", FM_J_REQUIRED, &fm_jspec_role},
    {"stateful", FM_J_OPTIONAL, &fm_jspec_bool},
    {"key", FM_J_OPTIONAL, &fm_jspec_key},
    {"keys_by_port", FM_J_OPTIONAL, &fm_jspec_port_keys},
    {"flow_code", FM_J_OPTIONAL, &fm_jspec_string},
    {"intensity", FM_J_OPTIONAL, &fm_jspec_intensity},
    {"pointer_chasing", FM_J_OPTIONAL, &fm_jspec_bool},
    {"cost", FM_J_OPTIONAL, &cost_spec},
    {"cost_rank", FM_J_OPTIONAL, &rank_spec},
    {"global_state", FM_J_OPTIONAL, &fm_jspec_bool},
    {"keywords", FM_J_OPTIONAL, &fm_jspec_strings},
    {"provenance", FM_J_OPTIONAL, &fm_jspec_string},
    {"uncertain", FM_J_OPTIONAL, &fm_jspec_strings},
    {"notes", FM_J_OPTIONAL, &fm_jspec_strings},
    {"evidence", FM_J_OPTIONAL, &fm_jspec_evidences},
    {"llm", FM_J_OPTIONAL, &fm_jspec_object},
    {"disagreements", FM_J_OPTIONAL, &disagreements_spec},
    {NULL, 0, NULL}};
static const fm_jspec elem_spec = FM_JOBJECT(elem_fields);

/* Keys per input port, shared with summaries (version 2). */
static const fm_jspec port_spec = FM_JINT(0, FM_PORT_MAX - 1);
static const fm_jfield port_key_fields[] = {
    {"port", FM_J_REQUIRED, &port_spec},
    {"kind", FM_J_OPTIONAL, &kind_spec},
    {"fields", FM_J_OPTIONAL, &fields_spec},
    {"other", FM_J_OPTIONAL, &fm_jspec_strings},
    {"symmetric", FM_J_OPTIONAL, &fm_jspec_bool},
    {"entry", FM_J_OPTIONAL, &fields_spec},
    {NULL, 0, NULL}};
static const fm_jspec port_key_spec = FM_JOBJECT(port_key_fields);
const fm_jspec fm_jspec_port_keys = FM_JARRAY(&port_key_spec);

/* One keys_by_port entry, valid against port_key_spec (types, ranges and
 * names hold); what the format cannot say is checked here: entry fields
 * once each, among the port's fields, and only for kind "fields". */
static int read_port_key(const fm_jdoc *d, const cJSON *o, fm_port_key *k, fm_error *err)
{
    k->port = (int)cJSON_GetObjectItemCaseSensitive(o, "port")->valuedouble;
    k->kind = (fm_key_kind)fm_name_index(fm_key_kind_values, fm_json_str(o, "kind", "fields"));
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "fields"))
        k->fields |= fm_field_bit(it->valuestring);
    fm_json_get_strset(o, "other", &k->other);
    k->symmetric = fm_json_bool(o, "symmetric", 0);
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(o, "entry");
    fm_fieldset seen = 0;
    cJSON_ArrayForEach(it, entry)
    {
        fm_fieldset b = fm_field_bit(it->valuestring);
        if (seen & b)
            return fm_jdoc_fail(d, it, err, "entry lists \"%s\" twice", it->valuestring);
        if (!(k->fields & b))
            return fm_jdoc_fail(d, it, err, "entry field \"%s\" is outside the port's fields",
                                it->valuestring);
        seen |= b;
        k->entry[k->nentry++] = b;
    }
    if (k->nentry && k->kind != FM_KEY_FIELDS)
        return fm_jdoc_fail(d, entry, err, "an entry needs kind \"fields\"");
    return 0;
}

int fm_attrs_read_ports(const fm_jdoc *d, const cJSON *o, fm_elem_attrs *e, fm_error *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "keys_by_port"))
    {
        fm_port_key k;
        memset(&k, 0, sizeof k);
        int rc = read_port_key(d, it, &k, err);
        if (rc == 0 && fm_elem_port_key(e, k.port))
            rc = fm_jdoc_fail(d, cJSON_GetObjectItemCaseSensitive(it, "port"), err,
                              "keys_by_port lists port %d twice", k.port);
        if (rc != 0) {
            fm_strset_free(&k.other);
            fm_elem_clear_port_keys(e);
            return -1;
        }
        *fm_elem_port_key_add(e, k.port) = k;
    }
    const cJSON *fc = cJSON_GetObjectItemCaseSensitive(o, "flow_code");
    if (fc && fm_flow_code_check(fc->valuestring))
        return fm_jdoc_fail(d, fc, err, "must be a Click flow code such as \"x/x\" or "
                            "\"#/#\"");
    e->flow_code = fc ? fm_xstrdup(fc->valuestring) : NULL;
    return 0;
}
static const fm_jspec elems_spec = FM_JARRAY(&elem_spec);

static const fm_jfield top_fields[] = {
    {"flowmage_attrs", FM_J_REQUIRED, &fm_jspec_version},
    {"generator", FM_J_OPTIONAL, &fm_jspec_string},
    {"elements", FM_J_REQUIRED, &elems_spec},
    {NULL, 0, NULL}};
static const fm_jspec top_spec = FM_JOBJECT(top_fields);

/* The document is valid against top_spec: types and ranges hold. */
static int read_key(const fm_jdoc *d, const cJSON *k, fm_elem_attrs *e, fm_error *err)
{
    if (!k) {
        e->key_kind = e->stateful ? FM_KEY_UNKNOWN : FM_KEY_NONE;
        return 0;
    }
    e->key_kind = (fm_key_kind)fm_name_index(fm_key_kind_values, fm_json_str(k, "kind", "unknown"));
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(k, "fields"))
        e->key_fields |= fm_field_bit(it->valuestring);
    fm_json_get_strset(k, "other", &e->key_other);
    e->symmetric = fm_json_bool(k, "symmetric", 0);
    if (e->stateful && e->key_kind == FM_KEY_NONE)
        return fm_jdoc_fail(d, cJSON_GetObjectItemCaseSensitive(k, "kind"), err,
                            "element \"%s\" is stateful but its key kind is \"none\"", e->name);
    return 0;
}

static int read_elem(const fm_jdoc *d, const cJSON *o, fm_attrs *a, fm_error *err)
{
    const char *n = fm_json_str(o, "name", "");
    if (fm_attrs_find(a, n))
        return fm_jdoc_fail(d, cJSON_GetObjectItemCaseSensitive(o, "name"), err,
                            "element \"%s\" appears twice", n);
    fm_elem_attrs *e = fm_attrs_add(a, n);
    e->cls = fm_xstrdup(fm_json_str(o, "class", n));
    e->role = (fm_role)fm_name_index(fm_role_values, fm_json_str(o, "role", "other"));
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "stateful");
    if (!st && e->role != FM_ROLE_OTHER)
        return fm_jdoc_fail(d, o, err, "missing required field \"stateful\" (element \"%s\" "
                            "has role \"%s\")", n, fm_role_name(e->role));
    e->stateful = cJSON_IsTrue(st);
    if (read_key(d, cJSON_GetObjectItemCaseSensitive(o, "key"), e, err) != 0)
        return -1;
    e->intensity = (fm_intensity)fm_name_index(fm_intensity_values, fm_json_str(o, "intensity", "none"));
    e->pointer_chasing = fm_json_bool(o, "pointer_chasing", 0);
    e->cost = fm_json_num(o, "cost", 0);
    e->cost_rank = (long)fm_json_num(o, "cost_rank", 0); /* an integer in 0..1e9 */
    e->global_state = fm_json_bool(o, "global_state", 0);
    fm_json_get_strset(o, "keywords", &e->keywords);
    fm_json_get_strset(o, "uncertain", &e->uncertain);
    fm_json_get_strset(o, "notes", &e->notes);
    free(e->provenance);
    e->provenance = fm_xstrdup(fm_json_str(o, "provenance", "static"));
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "evidence"))
        fm_elem_add_evidence(e, fm_json_str(it, "what", ""),
                             fm_json_str(it, "function", ""),
                             fm_json_str(it, "file", ""),
                             (long)fm_json_num(it, "line", 0));
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "disagreements"))
        fm_elem_add_disagreement(e, fm_json_str(it, "field", ""),
                                 fm_json_str(it, "static", ""),
                                 fm_json_str(it, "llm", ""),
                                 fm_json_str(it, "resolution", ""));
    if (fm_attrs_read_ports(d, o, e, err) != 0)
        return -1;
    const cJSON *llm = cJSON_GetObjectItemCaseSensitive(o, "llm");
    if (llm)
        e->llm_json = cJSON_PrintUnformatted(llm);
    return 0;
}

int fm_attrs_parse(const char *text, size_t len, const char *name,
                   fm_attrs *out, fm_error *err)
{
    memset(out, 0, sizeof *out);
    fm_jdoc d;
    if (fm_jdoc_parse(&d, text, len, name, err) != 0)
        return -1;
    int rc = -1;
    if (fm_jdoc_check_version(&d, "flowmage_attrs", "attributes", FM_ATTRS_VERSION,
                              FM_ATTRS_VERSION, &top_spec, err) != 0)
        goto out;
    out->version = FM_ATTRS_VERSION;
    out->generator = fm_xstrdup(fm_json_str(d.root, "generator", ""));
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(d.root, "elements"))
    {
        if (read_elem(&d, it, out, err) != 0)
            goto out;
    }
    rc = 0;
out:
    fm_jdoc_free(&d);
    if (rc != 0)
        fm_attrs_free(out);
    return rc;
}

int fm_attrs_load(const char *path, fm_attrs *out, fm_error *err)
{
    char *text;
    size_t len;
    if (fm_read_file(path, &text, &len, err) != 0)
        return -1;
    int rc = fm_attrs_parse(text, len, path, out, err);
    free(text);
    return rc;
}

/* ---- writing ---- */

static cJSON *elem_json(const fm_elem_attrs *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", e->name);
    cJSON_AddStringToObject(o, "class", e->cls ? e->cls : e->name);
    cJSON_AddStringToObject(o, "role", fm_role_name(e->role));
    cJSON_AddBoolToObject(o, "stateful", e->stateful);
    cJSON *k = cJSON_AddObjectToObject(o, "key");
    cJSON_AddStringToObject(k, "kind", fm_key_kind_name(e->key_kind));
    cJSON *f = cJSON_AddArrayToObject(k, "fields");
    for (int i = 0; i < FM_NFIELDS; i++)
        if (e->key_fields & (1u << i))
            cJSON_AddItemToArray(f, cJSON_CreateString(fm_field_name(i)));
    fm_json_add_strset(k, "other", &e->key_other);
    cJSON_AddBoolToObject(k, "symmetric", e->symmetric);
    fm_json_add_port_keys(o, "keys_by_port", e->ports, e->nports);
    if (e->flow_code)
        cJSON_AddStringToObject(o, "flow_code", e->flow_code);
    cJSON_AddStringToObject(o, "intensity", fm_intensity_name(e->intensity));
    cJSON_AddBoolToObject(o, "pointer_chasing", e->pointer_chasing);
    cJSON_AddNumberToObject(o, "cost", e->cost);
    if (e->cost_rank > 0)
        cJSON_AddNumberToObject(o, "cost_rank", (double)e->cost_rank);
    cJSON_AddBoolToObject(o, "global_state", e->global_state);
    fm_json_add_strset(o, "keywords", &e->keywords);
    cJSON_AddStringToObject(o, "provenance", e->provenance ? e->provenance : "static");
    fm_json_add_strset(o, "uncertain", &e->uncertain);
    if (e->notes.n)
        fm_json_add_strset(o, "notes", &e->notes);
    cJSON *ev = cJSON_AddArrayToObject(o, "evidence");
    for (size_t i = 0; i < e->nevidence; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "what", e->evidence[i].what);
        cJSON_AddStringToObject(x, "function", e->evidence[i].function);
        cJSON_AddStringToObject(x, "file", e->evidence[i].file);
        cJSON_AddNumberToObject(x, "line", (double)e->evidence[i].line);
        cJSON_AddItemToArray(ev, x);
    }
    if (e->llm_json) {
        cJSON *llm = cJSON_Parse(e->llm_json);
        if (llm)
            cJSON_AddItemToObject(o, "llm", llm);
    }
    if (e->ndisagreements) {
        cJSON *d = cJSON_AddArrayToObject(o, "disagreements");
        for (size_t i = 0; i < e->ndisagreements; i++) {
            const fm_disagreement *x = &e->disagreements[i];
            cJSON *y = cJSON_CreateObject();
            cJSON_AddStringToObject(y, "field", x->field);
            cJSON_AddStringToObject(y, "static", x->static_value);
            cJSON_AddStringToObject(y, "llm", x->llm_value);
            cJSON_AddStringToObject(y, "resolution", x->resolution);
            cJSON_AddItemToArray(d, y);
        }
    }
    return o;
}

static int by_name(const void *a, const void *b)
{
    const fm_elem_attrs *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

char *fm_attrs_to_json(const fm_attrs *a)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "flowmage_attrs", FM_ATTRS_VERSION);
    cJSON_AddStringToObject(j, "generator",
                            a->generator ? a->generator : "flowmage " FM_VERSION);
    cJSON *el = cJSON_AddArrayToObject(j, "elements");
    const fm_elem_attrs **order = fm_xcalloc(a->n, sizeof *order);
    for (size_t i = 0; i < a->n; i++)
        order[i] = &a->elems[i];
    qsort(order, a->n, sizeof *order, by_name);
    for (size_t i = 0; i < a->n; i++)
        cJSON_AddItemToArray(el, elem_json(order[i]));
    free(order);
    char *s = fm_json_print(j);
    cJSON_Delete(j);
    return s;
}

int fm_attrs_save(const char *path, const fm_attrs *a, fm_error *err)
{
    char *s = fm_attrs_to_json(a);
    int rc = fm_write_file_atomic(path, s, strlen(s), err);
    free(s);
    return rc;
}
