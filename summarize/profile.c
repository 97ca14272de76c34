/* Framework profiles: load and query (format in docs/profiles.md). */
#include "flowmage/profile.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/schema.h"

static const char *const op_names[] = {"", "lookup", "lookup_insert", "insert", "erase"};

/* The format, one line per field (docs/profiles.md).  Profiles are written
 * by hand: an unknown field is a typo that would silently disable a rule,
 * so it is an error.  The "solver" object is the solver's to check. */
static const char *const op_values[] = {"lookup", "lookup_insert", "insert", "erase", NULL};
static const char *const form_values[] = {"key", "pointer_array", NULL};
static const fm_jspec form_spec = FM_JENUM(form_values);
static const char *const kind_values[] = {"classes", "functions", NULL};
static const fm_jspec op_spec = FM_JENUM(op_values);
static const fm_jspec kind_spec = FM_JENUM(kind_values);
static const fm_jspec arg_spec = FM_JINT(0, 64);
static const fm_jspec opt_arg_spec = FM_JINT(-1, 64); /* -1: none */

static const fm_jfield method_fields[] = {
    {"op", FM_J_REQUIRED, &op_spec},
    {"key", FM_J_OPTIONAL, &arg_spec},
    {"value", FM_J_OPTIONAL, &opt_arg_spec},
    {"result", FM_J_OPTIONAL, &opt_arg_spec},
    {"positions", FM_J_OPTIONAL, &opt_arg_spec},
    {"key_form", FM_J_OPTIONAL, &form_spec},
    {NULL, 0, NULL}};
static const fm_jspec method_spec = FM_JCLOSED(method_fields);
static const fm_jspec methods_spec = FM_JMAP(&method_spec);

static const fm_jfield table_fields[] = {
    {"api", FM_J_OPTIONAL, &fm_jspec_name},
    {"classes", FM_J_OPTIONAL, &fm_jspec_strings},
    {"node_based", FM_J_OPTIONAL, &fm_jspec_bool},
    {"methods", FM_J_OPTIONAL, &methods_spec},
    {"functions", FM_J_OPTIONAL, &methods_spec},
    {NULL, 0, NULL}};
static const fm_jspec table_spec = FM_JCLOSED(table_fields);
static const fm_jspec tables_spec = FM_JARRAY(&table_spec);

static const fm_jfield element_fields[] = {
    {"kind", FM_J_OPTIONAL, &kind_spec},
    {"bases", FM_J_OPTIONAL, &fm_jspec_strings},
    {"name_method", FM_J_OPTIONAL, &fm_jspec_name},
    {"state_param", FM_J_OPTIONAL, &arg_spec},
    {"entry_suffix", FM_J_OPTIONAL, &fm_jspec_string},
    {"not_nfs", FM_J_OPTIONAL, &fm_jspec_strings},
    {NULL, 0, NULL}};
static const fm_jspec element_spec = FM_JCLOSED(element_fields);

static const fm_jfield bases_fields[] = {{"bases", FM_J_OPTIONAL, &fm_jspec_strings},
                                         {NULL, 0, NULL}};
static const fm_jspec bases_spec = FM_JCLOSED(bases_fields);
static const fm_jfield globals_fields[] = {{"globals", FM_J_OPTIONAL, &fm_jspec_strings},
                                           {NULL, 0, NULL}};
static const fm_jspec globals_spec = FM_JCLOSED(globals_fields);
static const fm_jfield per_thread_fields[] = {
    {"classes", FM_J_OPTIONAL, &fm_jspec_strings},
    {"accessors", FM_J_OPTIONAL, &fm_jspec_strings},
    {NULL, 0, NULL}};
static const fm_jspec per_thread_spec = FM_JCLOSED(per_thread_fields);
static const fm_jfield parser_fields[] = {
    {"classes", FM_J_OPTIONAL, &fm_jspec_strings},
    {"functions", FM_J_OPTIONAL, &fm_jspec_strings},
    {"method_prefix", FM_J_OPTIONAL, &fm_jspec_string},
    {NULL, 0, NULL}};
static const fm_jspec parser_spec = FM_JCLOSED(parser_fields);
static const fm_jspec headers_spec = FM_JMAP(&fm_jspec_name);
static const fm_jfield ports_fields[] = {
    {"param", FM_J_OPTIONAL, &opt_arg_spec},
    {"count_method", FM_J_OPTIONAL, &fm_jspec_name},
    {"entries", FM_J_OPTIONAL, &fm_jspec_strings},
    {NULL, 0, NULL}};
static const fm_jspec ports_spec = FM_JCLOSED(ports_fields);

static const fm_jfield summarize_fields[] = {
    {"elements", FM_J_REQUIRED, &element_spec},
    {"entries", FM_J_OPTIONAL, &fm_jspec_strings},
    {"configure", FM_J_OPTIONAL, &fm_jspec_strings},
    {"flow_managers", FM_J_OPTIONAL, &bases_spec},
    {"flow_state", FM_J_OPTIONAL, &globals_spec},
    {"framework_state", FM_J_OPTIONAL, &globals_spec},
    {"packet_records", FM_J_OPTIONAL, &fm_jspec_strings},
    {"headers", FM_J_OPTIONAL, &headers_spec},
    {"tables", FM_J_OPTIONAL, &tables_spec},
    {"per_thread", FM_J_OPTIONAL, &per_thread_spec},
    {"arg_parsers", FM_J_OPTIONAL, &parser_spec},
    {"hash_functions", FM_J_OPTIONAL, &fm_jspec_strings},
    {"identity_functions", FM_J_OPTIONAL, &fm_jspec_strings},
    {"no_state_functions", FM_J_OPTIONAL, &fm_jspec_strings},
    {"no_state_classes", FM_J_OPTIONAL, &fm_jspec_strings},
    {"framework_values", FM_J_OPTIONAL, &fm_jspec_strings},
    {"index_allocators", FM_J_OPTIONAL, &fm_jspec_strings},
    {"ports", FM_J_OPTIONAL, &ports_spec},
    {NULL, 0, NULL}};
static const fm_jspec summarize_spec = FM_JCLOSED(summarize_fields);

static const fm_jfield profile_fields[] = {
    {"flowmage_profile", FM_J_REQUIRED, &fm_jspec_version},
    {"name", FM_J_OPTIONAL, &fm_jspec_string},
    {"description", FM_J_OPTIONAL, &fm_jspec_string},
    {"comment", FM_J_OPTIONAL, &fm_jspec_any},
    {"summarize", FM_J_REQUIRED, &summarize_spec},
    {"solver", FM_J_OPTIONAL, &fm_jspec_object},
    {NULL, 0, NULL}};
static const fm_jspec profile_spec = FM_JCLOSED(profile_fields);

/* The readers below run on a validated document. */
static void read_methods(const cJSON *o, fm_table_method **out, size_t *n)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, o)
    {
        const char *opn = fm_json_str(m, "op", "");
        int op = 1;
        while (op < 4 && strcmp(op_names[op], opn))
            op++;
        *out = fm_xrealloc(*out, (*n + 1) * sizeof **out);
        fm_table_method *t = &(*out)[(*n)++];
        t->name = fm_xstrdup(m->string);
        t->op = (fm_table_op)op;
        /* integers in -1..64 (method_spec) */
        t->key_arg = (int)fm_json_num(m, "key", 1);
        t->value_arg = (int)fm_json_num(m, "value", -1);
        t->result_arg = (int)fm_json_num(m, "result", -1);
        t->positions_arg = (int)fm_json_num(m, "positions", -1);
        t->key_array = !strcmp(fm_json_str(m, "key_form", "key"), "pointer_array");
    }
}

static void read_tables(const cJSON *arr, fm_profile *p)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, arr)
    {
        p->tables = fm_xrealloc(p->tables, (p->ntables + 1) * sizeof *p->tables);
        fm_table_api *a = &p->tables[p->ntables++];
        memset(a, 0, sizeof *a);
        a->api = fm_xstrdup(fm_json_str(t, "api", "table"));
        a->node_based = fm_json_bool(t, "node_based", 0);
        fm_json_get_strset(t, "classes", &a->classes);
        read_methods(cJSON_GetObjectItemCaseSensitive(t, "methods"), &a->methods, &a->nmethods);
        read_methods(cJSON_GetObjectItemCaseSensitive(t, "functions"), &a->functions,
                     &a->nfunctions);
    }
}

static int read_headers(const fm_jdoc *d, const cJSON *s, fm_profile *p, fm_error *err)
{
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(s, "headers"))
    {
        const char *dot = strrchr(h->string, '.');
        if (!dot || dot == h->string || !dot[1])
            return fm_jdoc_fail(d, h, err, "\"%s\" must map \"record.field\" to a label",
                                h->string);
        p->headers = fm_xrealloc(p->headers, (p->nheaders + 1) * sizeof *p->headers);
        fm_header_map *m = &p->headers[p->nheaders++];
        m->rec = fm_xstrndup(h->string, (size_t)(dot - h->string));
        m->field = fm_xstrdup(dot + 1);
        m->attr = fm_xstrdup(h->valuestring);
    }
    return 0;
}

static void read_sets(const cJSON *s, fm_profile *p)
{
    const cJSON *el = cJSON_GetObjectItemCaseSensitive(s, "elements");
    const cJSON *fm = cJSON_GetObjectItemCaseSensitive(s, "flow_managers");
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(s, "flow_state");
    const cJSON *fw = cJSON_GetObjectItemCaseSensitive(s, "framework_state");
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(s, "per_thread");
    const cJSON *ap = cJSON_GetObjectItemCaseSensitive(s, "arg_parsers");
    fm_json_get_strset(el, "bases", &p->element_bases);
    fm_json_get_strset(el, "not_nfs", &p->not_nfs);
    fm_json_get_strset(s, "entries", &p->entries);
    fm_json_get_strset(s, "configure", &p->configure);
    fm_json_get_strset(fm, "bases", &p->flow_manager_bases);
    fm_json_get_strset(fs, "globals", &p->flow_state_globals);
    fm_json_get_strset(fw, "globals", &p->framework_globals);
    fm_json_get_strset(s, "packet_records", &p->packet_records);
    fm_json_get_strset(pt, "classes", &p->per_thread_classes);
    fm_json_get_strset(pt, "accessors", &p->per_thread_accessors);
    fm_json_get_strset(ap, "classes", &p->parser_classes);
    fm_json_get_strset(ap, "functions", &p->parser_functions);
    fm_json_get_strset(s, "hash_functions", &p->hash_functions);
    fm_json_get_strset(s, "identity_functions", &p->identity_functions);
    fm_json_get_strset(s, "no_state_functions", &p->no_state_functions);
    fm_json_get_strset(s, "no_state_classes", &p->no_state_classes);
    fm_json_get_strset(s, "framework_values", &p->framework_values);
    fm_json_get_strset(s, "index_allocators", &p->index_allocators);
    p->parser_method_prefix = fm_xstrdup(fm_json_str(ap, "method_prefix", "read"));
    const cJSON *po = cJSON_GetObjectItemCaseSensitive(s, "ports");
    p->port_param = (int)fm_json_num(po, "param", -1); /* an integer in -1..64 */
    const char *pcm = fm_json_str(po, "count_method", NULL);
    p->port_count_method = pcm ? fm_xstrdup(pcm) : NULL;
    fm_json_get_strset(po, "entries", &p->port_entries);
}

/* "name" or "name:N" with N an argument index (0..64). */
static int check_allocators(const fm_jdoc *d, const cJSON *s, fm_error *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(s, "index_allocators"))
    {
        const char *colon = strchr(it->valuestring, ':');
        if (!colon)
            continue;
        char *end;
        long n = strtol(colon + 1, &end, 10);
        if (colon == it->valuestring || !colon[1] || *end || n < 0 || n > 64)
            return fm_jdoc_fail(d, it, err, "\"%s\" must be \"name\" or \"name:N\" with N "
                                "an argument index in 0..64", it->valuestring);
    }
    return 0;
}

static int read_summarize(const fm_jdoc *d, const cJSON *s, fm_profile *p, fm_error *err)
{
    const cJSON *el = cJSON_GetObjectItemCaseSensitive(s, "elements");
    p->elements_are_functions = !strcmp(fm_json_str(el, "kind", "classes"), "functions");
    p->name_method = fm_xstrdup(fm_json_str(el, "name_method", "class_name"));
    p->entry_suffix = fm_xstrdup(fm_json_str(el, "entry_suffix", ""));
    p->state_param = (int)fm_json_num(el, "state_param", 0); /* an integer in 0..64 */
    read_sets(s, p);
    if (!p->elements_are_functions && p->element_bases.n == 0)
        return fm_jdoc_fail(d, el, err, "bases is empty: no way to find elements");
    if (p->elements_are_functions && !p->entry_suffix[0])
        return fm_jdoc_fail(d, el, err, "entry_suffix is needed when elements are functions");
    if (p->entries.n == 0 && !p->elements_are_functions)
        return fm_jdoc_fail(d, s, err, "entries is empty: no per-packet entry points");
    if (read_headers(d, s, p, err) != 0 || check_allocators(d, s, err) != 0)
        return -1;
    read_tables(cJSON_GetObjectItemCaseSensitive(s, "tables"), p);
    return 0;
}

static int parse_doc(const fm_jdoc *d, fm_profile *p, fm_error *err)
{
    if (fm_jdoc_check_version(d, "flowmage_profile", "profile", 1, 1, &profile_spec, err) != 0)
        return -1;
    p->name = fm_xstrdup(fm_json_str(d->root, "name", "unnamed"));
    return read_summarize(d, cJSON_GetObjectItemCaseSensitive(d->root, "summarize"), p, err);
}

int fm_profile_parse(const char *text, size_t len, const char *path, fm_profile *out,
                     fm_error *err)
{
    memset(out, 0, sizeof *out);
    out->path = fm_xstrdup(path);
    fm_jdoc d;
    int rc = fm_jdoc_parse(&d, text, len, path, err);
    if (rc == 0)
        rc = parse_doc(&d, out, err);
    fm_jdoc_free(&d);
    if (rc != 0)
        fm_profile_free(out);
    return rc;
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
    char *text;
    size_t len;
    if (fm_read_file(path, &text, &len, err) != 0)
        return -1;
    int rc = fm_profile_parse(text, len, path, out, err);
    free(text);
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
