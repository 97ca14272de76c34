/* Framework profiles: load and query (format in docs/profiles.md). */
#include "flowmage/profile.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static const char *const op_names[] = {"", "lookup", "lookup_insert", "insert", "erase"};

#define BAD(...) fm_fail(err, FM_ERR_INPUT, p->path, 0, 0, __VA_ARGS__)

static int strset_of(const cJSON *o, const char *key, fm_strset *s, fm_profile *p,
                     fm_error *err)
{
    if (fm_json_get_strset(o, key, s) != 0)
        return BAD("\"%s\" must be an array of strings", key);
    return 0;
}

static int read_methods(const cJSON *o, fm_table_method **out, size_t *n, fm_profile *p,
                        const char *api, fm_error *err)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, o)
    {
        int op = -1;
        const char *opn = fm_json_str(m, "op", "");
        for (int i = 1; i < 5; i++)
            if (!strcmp(op_names[i], opn))
                op = i;
        if (op < 0)
            return BAD("table \"%s\", \"%s\": unknown op \"%s\" (lookup, lookup_insert, "
                       "insert, erase)", api, m->string, opn);
        *out = fm_xrealloc(*out, (*n + 1) * sizeof **out);
        fm_table_method *t = &(*out)[(*n)++];
        t->name = fm_xstrdup(m->string);
        t->op = (fm_table_op)op;
        t->key_arg = (int)fm_json_num(m, "key", 1);
        t->value_arg = (int)fm_json_num(m, "value", -1);
        t->result_arg = (int)fm_json_num(m, "result", -1);
        t->positions_arg = (int)fm_json_num(m, "positions", -1);
        const char *form = fm_json_str(m, "key_form", "key");
        if (strcmp(form, "key") && strcmp(form, "pointer_array"))
            return BAD("table \"%s\", \"%s\": key_form must be \"key\" or \"pointer_array\"",
                       api, m->string);
        t->key_array = !strcmp(form, "pointer_array");
    }
    return 0;
}

static int read_tables(const cJSON *arr, fm_profile *p, fm_error *err)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, arr)
    {
        p->tables = fm_xrealloc(p->tables, (p->ntables + 1) * sizeof *p->tables);
        fm_table_api *a = &p->tables[p->ntables++];
        memset(a, 0, sizeof *a);
        a->api = fm_xstrdup(fm_json_str(t, "api", "table"));
        a->node_based = fm_json_bool(t, "node_based", 0);
        if (strset_of(t, "classes", &a->classes, p, err) ||
            read_methods(cJSON_GetObjectItemCaseSensitive(t, "methods"), &a->methods,
                         &a->nmethods, p, a->api, err) ||
            read_methods(cJSON_GetObjectItemCaseSensitive(t, "functions"), &a->functions,
                         &a->nfunctions, p, a->api, err))
            return -1;
    }
    return 0;
}

/* A typo in a profile must not silently disable a rule. */
static int known_keys(const cJSON *o, const char *where, const char *const *keys,
                      fm_profile *p, fm_error *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        int ok = 0;
        for (const char *const *k = keys; *k; k++)
            ok |= !strcmp(it->string, *k);
        if (!ok)
            return BAD("unknown key \"%s\" in %s", it->string, where);
    }
    return 0;
}

static const char *const summarize_keys[] = {
    "elements", "entries", "configure", "flow_managers", "flow_state", "framework_state",
    "packet_records",
    "headers", "tables", "per_thread", "arg_parsers", "hash_functions",
    "identity_functions", "no_state_functions", "no_state_classes", "framework_values",
    "index_allocators", "ports", NULL};
static const char *const element_keys[] = {"kind", "bases", "name_method", "state_param",
                                           "entry_suffix", "not_nfs", NULL};

static int read_summarize(const cJSON *s, fm_profile *p, fm_error *err)
{
    if (known_keys(s, "summarize", summarize_keys, p, err) ||
        known_keys(cJSON_GetObjectItemCaseSensitive(s, "elements"), "summarize.elements",
                   element_keys, p, err))
        return -1;
    const cJSON *el = cJSON_GetObjectItemCaseSensitive(s, "elements");
    const char *kind = fm_json_str(el, "kind", "classes");
    if (strcmp(kind, "classes") && strcmp(kind, "functions"))
        return BAD("summarize.elements.kind must be \"classes\" or \"functions\"");
    p->elements_are_functions = !strcmp(kind, "functions");
    if (strset_of(el, "bases", &p->element_bases, p, err) ||
        strset_of(el, "not_nfs", &p->not_nfs, p, err))
        return -1;
    p->name_method = fm_xstrdup(fm_json_str(el, "name_method", "class_name"));
    p->entry_suffix = fm_xstrdup(fm_json_str(el, "entry_suffix", ""));
    p->state_param = (int)fm_json_num(el, "state_param", 0);
    if (!p->elements_are_functions && p->element_bases.n == 0)
        return BAD("summarize.elements.bases is empty: no way to find elements");
    if (p->elements_are_functions && !p->entry_suffix[0])
        return BAD("summarize.elements.entry_suffix is needed when elements are functions");
    const cJSON *fm = cJSON_GetObjectItemCaseSensitive(s, "flow_managers");
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(s, "flow_state");
    const cJSON *fw = cJSON_GetObjectItemCaseSensitive(s, "framework_state");
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(s, "per_thread");
    const cJSON *ap = cJSON_GetObjectItemCaseSensitive(s, "arg_parsers");
    if (strset_of(s, "entries", &p->entries, p, err) ||
        strset_of(s, "configure", &p->configure, p, err) ||
        strset_of(fm, "bases", &p->flow_manager_bases, p, err) ||
        strset_of(fs, "globals", &p->flow_state_globals, p, err) ||
        strset_of(fw, "globals", &p->framework_globals, p, err) ||
        strset_of(s, "packet_records", &p->packet_records, p, err) ||
        strset_of(pt, "classes", &p->per_thread_classes, p, err) ||
        strset_of(pt, "accessors", &p->per_thread_accessors, p, err) ||
        strset_of(ap, "classes", &p->parser_classes, p, err) ||
        strset_of(ap, "functions", &p->parser_functions, p, err) ||
        strset_of(s, "hash_functions", &p->hash_functions, p, err) ||
        strset_of(s, "identity_functions", &p->identity_functions, p, err) ||
        strset_of(s, "no_state_functions", &p->no_state_functions, p, err) ||
        strset_of(s, "no_state_classes", &p->no_state_classes, p, err) ||
        strset_of(s, "framework_values", &p->framework_values, p, err) ||
        strset_of(s, "index_allocators", &p->index_allocators, p, err))
        return -1;
    p->parser_method_prefix = fm_xstrdup(fm_json_str(ap, "method_prefix", "read"));
    const cJSON *po = cJSON_GetObjectItemCaseSensitive(s, "ports");
    p->port_param = (int)fm_json_num(po, "param", -1);
    const char *pcm = fm_json_str(po, "count_method", NULL);
    p->port_count_method = pcm ? fm_xstrdup(pcm) : NULL;
    if (strset_of(po, "entries", &p->port_entries, p, err))
        return -1;
    if (p->entries.n == 0 && !p->elements_are_functions)
        return BAD("summarize.entries is empty: no per-packet entry points");
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(s, "headers"))
    {
        const char *dot = h->string ? strrchr(h->string, '.') : NULL;
        if (!dot || !cJSON_IsString(h) || dot == h->string || !dot[1])
            return BAD("summarize.headers: \"%s\" must map \"record.field\" to a label",
                       h->string ? h->string : "?");
        p->headers = fm_xrealloc(p->headers, (p->nheaders + 1) * sizeof *p->headers);
        fm_header_map *m = &p->headers[p->nheaders++];
        m->rec = fm_xstrndup(h->string, (size_t)(dot - h->string));
        m->field = fm_xstrdup(dot + 1);
        m->attr = fm_xstrdup(h->valuestring);
    }
    return read_tables(cJSON_GetObjectItemCaseSensitive(s, "tables"), p, err);
}

int fm_profile_load(const char *name_or_path, fm_profile *out, fm_error *err)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    if (strchr(name_or_path, '/') || strstr(name_or_path, ".json")) {
        snprintf(path, sizeof path, "%s", name_or_path);
    } else {
        char rel[512];
        snprintf(rel, sizeof rel, "profiles/%s.json", name_or_path);
        if (fm_find_data_file(rel, path, sizeof path) != 0)
            return fm_fail(err, FM_ERR_INPUT, rel, 0, 0,
                           "no profile named \"%s\" (looked in $FLOWMAGE_DATADIR, "
                           "the install and the source tree)", name_or_path);
    }
    out->path = fm_xstrdup(path);
    cJSON *j = fm_json_load(path, err);
    if (!j) {
        fm_profile_free(out);
        return -1;
    }
    fm_profile *p = out;
    int rc = 0;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "flowmage_profile");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "summarize");
    if (!cJSON_IsNumber(v) || v->valueint != 1)
        rc = BAD("not a flowmage profile of version 1 (\"flowmage_profile\": 1)");
    else if (!cJSON_IsObject(s))
        rc = BAD("profile has no \"summarize\" object");
    else {
        p->name = fm_xstrdup(fm_json_str(j, "name", "unnamed"));
        rc = read_summarize(s, p, err);
    }
    cJSON_Delete(j);
    if (rc != 0)
        fm_profile_free(out);
    return rc;
}

static void free_methods(fm_table_method *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].name);
    free(m);
}

void fm_profile_free(fm_profile *p)
{
    free(p->name);
    free(p->path);
    fm_strset_free(&p->element_bases);
    free(p->name_method);
    free(p->entry_suffix);
    free(p->port_count_method);
    fm_strset *sets[] = {&p->not_nfs, &p->entries, &p->configure, &p->flow_manager_bases,
                         &p->flow_state_globals, &p->framework_globals, &p->packet_records,
                         &p->per_thread_classes, &p->per_thread_accessors,
                         &p->parser_classes, &p->parser_functions, &p->hash_functions,
                         &p->identity_functions, &p->no_state_functions,
                         &p->no_state_classes, &p->framework_values,
                         &p->index_allocators, &p->port_entries};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        fm_strset_free(sets[i]);
    for (size_t i = 0; i < p->nheaders; i++) {
        free(p->headers[i].rec);
        free(p->headers[i].field);
        free(p->headers[i].attr);
    }
    free(p->headers);
    for (size_t i = 0; i < p->ntables; i++) {
        free(p->tables[i].api);
        fm_strset_free(&p->tables[i].classes);
        free_methods(p->tables[i].methods, p->tables[i].nmethods);
        free_methods(p->tables[i].functions, p->tables[i].nfunctions);
    }
    free(p->tables);
    free(p->parser_method_prefix);
    memset(p, 0, sizeof *p);
}

const char *fm_profile_header(const fm_profile *p, const char *rec, const char *field)
{
    if (!rec || !field)
        return NULL;
    for (size_t i = 0; i < p->nheaders; i++)
        if (!strcmp(p->headers[i].field, field) && !strcmp(p->headers[i].rec, rec))
            return p->headers[i].attr;
    return NULL;
}

const fm_table_api *fm_profile_table_method(const fm_profile *p, const char *tmpl,
                                            const char *method,
                                            const fm_table_method **m)
{
    for (size_t i = 0; i < p->ntables; i++) {
        const fm_table_api *a = &p->tables[i];
        if (!fm_strset_has(&a->classes, tmpl))
            continue;
        for (size_t k = 0; k < a->nmethods; k++)
            if (!strcmp(a->methods[k].name, method)) {
                *m = &a->methods[k];
                return a;
            }
    }
    return NULL;
}

const fm_table_api *fm_profile_table_function(const fm_profile *p, const char *fn,
                                              const fm_table_method **m)
{
    for (size_t i = 0; i < p->ntables; i++)
        for (size_t k = 0; k < p->tables[i].nfunctions; k++)
            if (!strcmp(p->tables[i].functions[k].name, fn)) {
                *m = &p->tables[i].functions[k];
                return &p->tables[i];
            }
    return NULL;
}
