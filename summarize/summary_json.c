/* Summary files: serialise, parse, directory I/O, static attributes. */
#include "flowmage/summary.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/schema.h"

/* ---- building ---- */

fm_summary *fm_summary_set_add(fm_summary_set *s, const char *name)
{
    s->v = fm_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    fm_summary *x = &s->v[s->n++];
    memset(x, 0, sizeof *x);
    x->a.name = fm_xstrdup(name);
    x->a.provenance = fm_xstrdup("static");
    return x;
}

fm_sum_table *fm_summary_add_table(fm_summary *s)
{
    s->tables = fm_xrealloc(s->tables, (s->ntables + 1) * sizeof *s->tables);
    fm_sum_table *t = &s->tables[s->ntables++];
    memset(t, 0, sizeof *t);
    return t;
}

static void evidence_free(fm_evidence *v)
{
    free(v->what);
    free(v->function);
    free(v->file);
}

void fm_summary_free(fm_summary *s)
{
    fm_elem_attrs_free(&s->a);
    free(s->file);
    fm_strset_free(&s->bases);
    fm_strset_free(&s->entries);
    for (size_t i = 0; i < s->nfuncs; i++) {
        free(s->funcs[i].function);
        free(s->funcs[i].file);
    }
    free(s->funcs);
    for (size_t i = 0; i < s->ntables; i++) {
        fm_sum_table *t = &s->tables[i];
        free(t->location);
        free(t->api);
        free(t->persistence);
        fm_strset_free(&t->ops);
        fm_strset_free(&t->key_other);
        for (size_t k = 0; k < t->nevidence; k++)
            evidence_free(&t->evidence[k]);
        free(t->evidence);
    }
    free(s->tables);
    for (size_t i = 0; i < s->nglobals; i++) {
        free(s->globals[i].location);
        evidence_free(&s->globals[i].where);
    }
    free(s->globals);
    memset(s, 0, sizeof *s);
}

void fm_summary_set_free(fm_summary_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        fm_summary_free(&s->v[i]);
    free(s->v);
    free(s->profile);
    memset(s, 0, sizeof *s);
}

const fm_summary *fm_summary_set_find(const fm_summary_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].a.name, name) == 0)
            return &s->v[i];
    return NULL;
}

/* ---- serialising ---- */

static cJSON *key_json(fm_key_kind kind, fm_fieldset f, const fm_strset *other,
                       int symmetric)
{
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "kind", fm_key_kind_name(kind));
    cJSON *a = cJSON_AddArrayToObject(k, "fields");
    for (int i = 0; i < FM_NFIELDS; i++)
        if (f & (1u << i))
            cJSON_AddItemToArray(a, cJSON_CreateString(fm_field_name(i)));
    fm_json_add_strset(k, "other", other);
    cJSON_AddBoolToObject(k, "symmetric", symmetric);
    return k;
}

static cJSON *evidence_json(const fm_evidence *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "what", v[i].what);
        cJSON_AddStringToObject(x, "function", v[i].function);
        cJSON_AddStringToObject(x, "file", v[i].file);
        cJSON_AddNumberToObject(x, "line", (double)v[i].line);
        cJSON_AddItemToArray(a, x);
    }
    return a;
}

char *fm_summary_to_json(const fm_summary *s)
{
    const fm_elem_attrs *a = &s->a;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "flowmage_summary", FM_SUMMARY_VERSION);
    cJSON_AddStringToObject(j, "name", a->name);
    cJSON_AddStringToObject(j, "class", a->cls ? a->cls : a->name);
    cJSON_AddStringToObject(j, "role", fm_role_name(a->role));
    cJSON_AddStringToObject(j, "file", s->file ? s->file : "");
    cJSON_AddNumberToObject(j, "line", (double)s->line);
    fm_json_add_strset(j, "bases", &s->bases);
    fm_json_add_strset(j, "entries", &s->entries);
    cJSON *pf = cJSON_AddArrayToObject(j, "per_packet_functions");
    for (size_t i = 0; i < s->nfuncs; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "function", s->funcs[i].function);
        cJSON_AddStringToObject(x, "file", s->funcs[i].file);
        cJSON_AddNumberToObject(x, "begin", (double)s->funcs[i].begin);
        cJSON_AddNumberToObject(x, "end", (double)s->funcs[i].end);
        cJSON_AddItemToArray(pf, x);
    }
    cJSON_AddBoolToObject(j, "stateful", a->stateful);
    cJSON_AddItemToObject(j, "key", key_json(a->key_kind, a->key_fields,
                                             &a->key_other, a->symmetric));
    fm_json_add_port_keys(j, "keys_by_port", a->ports, a->nports);
    if (a->flow_code)
        cJSON_AddStringToObject(j, "flow_code", a->flow_code);
    cJSON_AddStringToObject(j, "intensity", fm_intensity_name(a->intensity));
    cJSON_AddBoolToObject(j, "pointer_chasing", a->pointer_chasing);
    cJSON *tabs = cJSON_AddArrayToObject(j, "tables");
    for (size_t i = 0; i < s->ntables; i++) {
        const fm_sum_table *t = &s->tables[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "location", t->location);
        cJSON_AddStringToObject(x, "api", t->api);
        cJSON_AddStringToObject(x, "persistence", t->persistence);
        fm_json_add_strset(x, "ops", &t->ops);
        cJSON_AddItemToObject(x, "key", key_json(t->key_kind, t->key_fields,
                                                 &t->key_other, t->symmetric));
        cJSON_AddStringToObject(x, "writes", fm_intensity_name(t->writes));
        cJSON_AddBoolToObject(x, "pointer_chasing", t->pointer_chasing);
        cJSON_AddItemToObject(x, "evidence", evidence_json(t->evidence, t->nevidence));
        cJSON_AddItemToArray(tabs, x);
    }
    cJSON *gs = cJSON_AddArrayToObject(j, "global_state");
    for (size_t i = 0; i < s->nglobals; i++) {
        const fm_sum_global *g = &s->globals[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "location", g->location);
        cJSON_AddBoolToObject(x, "per_thread", g->per_thread);
        cJSON_AddStringToObject(x, "function", g->where.function);
        cJSON_AddStringToObject(x, "file", g->where.file);
        cJSON_AddNumberToObject(x, "line", (double)g->where.line);
        cJSON_AddItemToArray(gs, x);
    }
    cJSON *c = cJSON_AddObjectToObject(j, "cost");
    cJSON_AddNumberToObject(c, "score", s->cost.score);
    cJSON_AddNumberToObject(c, "statements", (double)s->cost.statements);
    cJSON_AddNumberToObject(c, "loops", (double)s->cost.loops);
    cJSON_AddNumberToObject(c, "calls", (double)s->cost.calls);
    cJSON_AddNumberToObject(c, "table_ops", (double)s->cost.table_ops);
    cJSON_AddNumberToObject(c, "pointer_loads", (double)s->cost.pointer_loads);
    fm_json_add_strset(j, "keywords", &a->keywords);
    fm_json_add_strset(j, "uncertain", &a->uncertain);
    fm_json_add_strset(j, "notes", &a->notes);
    cJSON_AddItemToObject(j, "evidence", evidence_json(a->evidence, a->nevidence));
    char *out = fm_json_print(j);
    cJSON_Delete(j);
    return out;
}

/* ---- parsing ---- */

/* The format, one line per field (docs/summaries.md).  Unknown fields are
 * ignored (a newer writer's optional additions stay readable); a known
 * field of the wrong type, a missing required one, a value outside its
 * set or range are located errors. */
static const fm_jspec score_spec = FM_JNUM(0, 1e12);

static const fm_jfield func_fields[] = {
    {"function", FM_J_REQUIRED, &fm_jspec_string},
    {"file", FM_J_OPTIONAL, &fm_jspec_string},
    {"begin", FM_J_OPTIONAL, &fm_jspec_line},
    {"end", FM_J_OPTIONAL, &fm_jspec_line},
    {NULL, 0, NULL}};
static const fm_jspec func_spec = FM_JOBJECT(func_fields);
static const fm_jspec funcs_spec = FM_JARRAY(&func_spec);

static const fm_jfield table_fields[] = {
    {"location", FM_J_REQUIRED, &fm_jspec_string},
    {"api", FM_J_OPTIONAL, &fm_jspec_string},
    {"persistence", FM_J_OPTIONAL, &fm_jspec_string},
    {"ops", FM_J_OPTIONAL, &fm_jspec_strings},
    {"key", FM_J_REQUIRED, &fm_jspec_key},
    {"writes", FM_J_OPTIONAL, &fm_jspec_intensity},
    {"pointer_chasing", FM_J_OPTIONAL, &fm_jspec_bool},
    {"evidence", FM_J_OPTIONAL, &fm_jspec_evidences},
    {NULL, 0, NULL}};
static const fm_jspec table_spec = FM_JOBJECT(table_fields);
static const fm_jspec tables_spec = FM_JARRAY(&table_spec);

static const fm_jfield global_fields[] = {
    {"location", FM_J_REQUIRED, &fm_jspec_string},
    {"per_thread", FM_J_OPTIONAL, &fm_jspec_bool},
    {"function", FM_J_OPTIONAL, &fm_jspec_string},
    {"file", FM_J_OPTIONAL, &fm_jspec_string},
    {"line", FM_J_OPTIONAL, &fm_jspec_line},
    {NULL, 0, NULL}};
static const fm_jspec global_spec = FM_JOBJECT(global_fields);
static const fm_jspec globals_spec = FM_JARRAY(&global_spec);

static const fm_jfield cost_fields[] = {
    {"score", FM_J_OPTIONAL, &score_spec},
    {"statements", FM_J_OPTIONAL, &fm_jspec_count},
    {"loops", FM_J_OPTIONAL, &fm_jspec_count},
    {"calls", FM_J_OPTIONAL, &fm_jspec_count},
    {"table_ops", FM_J_OPTIONAL, &fm_jspec_count},
    {"pointer_loads", FM_J_OPTIONAL, &fm_jspec_count},
    {NULL, 0, NULL}};
static const fm_jspec cost_spec = FM_JOBJECT(cost_fields);

static const fm_jfield summary_fields[] = {
    {"flowmage_summary", FM_J_REQUIRED, &fm_jspec_version},
    {"name", FM_J_REQUIRED, &fm_jspec_name},
    {"class", FM_J_OPTIONAL, &fm_jspec_string},
    {"role", FM_J_REQUIRED, &fm_jspec_role},
    {"file", FM_J_OPTIONAL, &fm_jspec_string},
    {"line", FM_J_OPTIONAL, &fm_jspec_line},
    {"bases", FM_J_OPTIONAL, &fm_jspec_strings},
    {"entries", FM_J_OPTIONAL, &fm_jspec_strings},
    {"per_packet_functions", FM_J_OPTIONAL, &funcs_spec},
    {"stateful", FM_J_REQUIRED, &fm_jspec_bool},
    {"key", FM_J_REQUIRED, &fm_jspec_key},
    {"keys_by_port", FM_J_OPTIONAL, &fm_jspec_port_keys}, /* version 2 */
    {"flow_code", FM_J_OPTIONAL, &fm_jspec_string},
    {"intensity", FM_J_OPTIONAL, &fm_jspec_intensity},
    {"pointer_chasing", FM_J_OPTIONAL, &fm_jspec_bool},
    {"tables", FM_J_OPTIONAL, &tables_spec},
    {"global_state", FM_J_OPTIONAL, &globals_spec},
    {"cost", FM_J_OPTIONAL, &cost_spec},
    {"keywords", FM_J_OPTIONAL, &fm_jspec_strings},
    {"uncertain", FM_J_OPTIONAL, &fm_jspec_strings},
    {"notes", FM_J_OPTIONAL, &fm_jspec_strings},
    {"evidence", FM_J_OPTIONAL, &fm_jspec_evidences},
    {NULL, 0, NULL}};
static const fm_jspec summary_spec = FM_JOBJECT(summary_fields);

static const fm_jfield index_elem_fields[] = {
    {"name", FM_J_REQUIRED, &fm_jspec_name},
    {"file", FM_J_REQUIRED, &fm_jspec_name},
    {"role", FM_J_OPTIONAL, &fm_jspec_role},
    {"stateful", FM_J_OPTIONAL, &fm_jspec_bool},
    {NULL, 0, NULL}};
static const fm_jspec index_elem_spec = FM_JOBJECT(index_elem_fields);
static const fm_jspec index_elems_spec = FM_JARRAY(&index_elem_spec);
static const fm_jfield index_fields[] = {
    {"flowmage_summary_index", FM_J_REQUIRED, &fm_jspec_version},
    {"profile", FM_J_OPTIONAL, &fm_jspec_string},
    {"inputs", FM_J_OPTIONAL, &fm_jspec_count},
    {"elements", FM_J_REQUIRED, &index_elems_spec},
    {"stats", FM_J_OPTIONAL, &fm_jspec_object},
    {NULL, 0, NULL}};
static const fm_jspec index_spec = FM_JOBJECT(index_fields);

/* The readers below run on validated documents: every present field has
 * its type, every number its range, every enum one of its values. */
static void parse_key(const cJSON *k, fm_key_kind *kind, fm_fieldset *f, fm_strset *other,
                      int *sym)
{
    *kind = (fm_key_kind)fm_name_index(fm_key_kind_values, fm_json_str(k, "kind", "unknown"));
    *f = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(k, "fields"))
        *f |= fm_field_bit(it->valuestring);
    fm_json_get_strset(k, "other", other);
    *sym = fm_json_bool(k, "symmetric", 0);
}

static void parse_evidence(const cJSON *a, fm_evidence **v, size_t *n)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        *v = fm_xrealloc(*v, (*n + 1) * sizeof **v);
        fm_evidence *e = &(*v)[(*n)++];
        e->what = fm_xstrdup(fm_json_str(it, "what", ""));
        e->function = fm_xstrdup(fm_json_str(it, "function", ""));
        e->file = fm_xstrdup(fm_json_str(it, "file", ""));
        e->line = (long)fm_json_num(it, "line", 0);
    }
}

static void parse_tables(const cJSON *j, fm_summary *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "tables"))
    {
        fm_sum_table *t = fm_summary_add_table(s);
        t->location = fm_xstrdup(fm_json_str(it, "location", ""));
        t->api = fm_xstrdup(fm_json_str(it, "api", ""));
        t->persistence = fm_xstrdup(fm_json_str(it, "persistence", ""));
        fm_json_get_strset(it, "ops", &t->ops);
        parse_key(cJSON_GetObjectItemCaseSensitive(it, "key"), &t->key_kind, &t->key_fields,
                  &t->key_other, &t->symmetric);
        t->writes = (fm_intensity)fm_name_index(fm_intensity_values, fm_json_str(it, "writes", "none"));
        t->pointer_chasing = fm_json_bool(it, "pointer_chasing", 0);
        parse_evidence(cJSON_GetObjectItemCaseSensitive(it, "evidence"), &t->evidence,
                       &t->nevidence);
    }
}

static void parse_globals(const cJSON *j, fm_summary *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "global_state"))
    {
        s->globals = fm_xrealloc(s->globals, (s->nglobals + 1) * sizeof *s->globals);
        fm_sum_global *g = &s->globals[s->nglobals++];
        g->location = fm_xstrdup(fm_json_str(it, "location", ""));
        g->per_thread = fm_json_bool(it, "per_thread", 0);
        g->where.what = fm_xstrdup("global state write");
        g->where.function = fm_xstrdup(fm_json_str(it, "function", ""));
        g->where.file = fm_xstrdup(fm_json_str(it, "file", ""));
        g->where.line = (long)fm_json_num(it, "line", 0);
    }
}

static void parse_body(const cJSON *j, fm_summary *s)
{
    fm_elem_attrs *a = &s->a;
    a->cls = fm_xstrdup(fm_json_str(j, "class", a->name));
    a->role = (fm_role)fm_name_index(fm_role_values, fm_json_str(j, "role", "other"));
    s->file = fm_xstrdup(fm_json_str(j, "file", ""));
    s->line = (long)fm_json_num(j, "line", 0);
    fm_json_get_strset(j, "bases", &s->bases);
    fm_json_get_strset(j, "entries", &s->entries);
    fm_json_get_strset(j, "keywords", &a->keywords);
    fm_json_get_strset(j, "uncertain", &a->uncertain);
    fm_json_get_strset(j, "notes", &a->notes);
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "per_packet_functions"))
    {
        s->funcs = fm_xrealloc(s->funcs, (s->nfuncs + 1) * sizeof *s->funcs);
        fm_sum_func *f = &s->funcs[s->nfuncs++];
        f->function = fm_xstrdup(fm_json_str(it, "function", ""));
        f->file = fm_xstrdup(fm_json_str(it, "file", ""));
        f->begin = (long)fm_json_num(it, "begin", 0);
        f->end = (long)fm_json_num(it, "end", 0);
    }
    a->stateful = fm_json_bool(j, "stateful", 0);
    parse_key(cJSON_GetObjectItemCaseSensitive(j, "key"), &a->key_kind, &a->key_fields,
              &a->key_other, &a->symmetric);
    a->intensity = (fm_intensity)fm_name_index(fm_intensity_values, fm_json_str(j, "intensity", "none"));
    a->pointer_chasing = fm_json_bool(j, "pointer_chasing", 0);
    parse_tables(j, s);
    parse_globals(j, s);
    a->global_state = s->nglobals > 0;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "cost");
    s->cost.score = fm_json_num(c, "score", 0);
    s->cost.statements = (long)fm_json_num(c, "statements", 0);
    s->cost.loops = (long)fm_json_num(c, "loops", 0);
    s->cost.calls = (long)fm_json_num(c, "calls", 0);
    s->cost.table_ops = (long)fm_json_num(c, "table_ops", 0);
    s->cost.pointer_loads = (long)fm_json_num(c, "pointer_loads", 0);
    a->cost = s->cost.score;
    parse_evidence(cJSON_GetObjectItemCaseSensitive(j, "evidence"), &a->evidence,
                   &a->nevidence);
}

/* Check the version field (FM_SUMMARY_VERSION_OLDEST..FM_SUMMARY_VERSION),
 * then the whole document against spec. */
static int check_doc(const fm_jdoc *d, const char *field, const char *what,
                     const fm_jspec *spec, fm_error *err)
{
    return fm_jdoc_check_version(d, field, what, FM_SUMMARY_VERSION_OLDEST, FM_SUMMARY_VERSION,
                                 spec, err);
}

int fm_summary_parse(const char *text, size_t len, const char *name,
                     fm_summary *out, fm_error *err)
{
    memset(out, 0, sizeof *out);
    fm_jdoc d;
    if (fm_jdoc_parse(&d, text, len, name, err) != 0)
        return -1;
    int rc = check_doc(&d, "flowmage_summary", "summary", &summary_spec, err);
    if (rc == 0) {
        out->a.name = fm_xstrdup(fm_json_str(d.root, "name", ""));
        out->a.provenance = fm_xstrdup("static");
        parse_body(d.root, out);
        rc = fm_attrs_read_ports(&d, d.root, &out->a, err);
        if (rc != 0)
            fm_summary_free(out);
    }
    fm_jdoc_free(&d);
    return rc;
}

/* ---- directories ---- */

/* Element names are class_name() literals; keep file names tame. */
static void file_name_for(const char *name, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = name; *p && k + 6 < n; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        out[k] = ok && !(k == 0 && c == '.') ? c : '_';
        k++;
    }
    snprintf(out + k, n - k, ".json");
}

static int by_summary_name(const void *a, const void *b)
{
    const fm_summary *const *x = a, *const *y = b;
    return strcmp((*x)->a.name, (*y)->a.name);
}

/* Summaries of elements that disappeared since the last run: *.json files
 * in dir that flowmage wrote as summaries and this run does not. */
static void stage_stale(const char *dir, const fm_strset *written, fm_stage *st)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0 ||
            strcmp(de->d_name, "index.json") == 0 || fm_strset_has(written, de->d_name))
            continue;
        char path[4096], *text = NULL;
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (fm_read_file(path, &text, &len, NULL) == 0 && strstr(text, "\"flowmage_summary\""))
            fm_stage_remove(st, path);
        free(text);
    }
    if (d)
        closedir(d);
}

int fm_summary_set_stage(const char *dir, const fm_summary_set *s, fm_stage *st,
                         fm_error *err)
{
    const fm_summary **order = fm_xcalloc(s->n, sizeof *order);
    for (size_t i = 0; i < s->n; i++)
        order[i] = &s->v[i];
    qsort(order, s->n, sizeof *order, by_summary_name);
    fm_strset written = {0};
    cJSON *idx = cJSON_CreateObject();
    cJSON_AddNumberToObject(idx, "flowmage_summary_index", FM_SUMMARY_VERSION);
    cJSON_AddStringToObject(idx, "profile", s->profile ? s->profile : "");
    cJSON_AddNumberToObject(idx, "inputs", (double)s->inputs);
    cJSON *els = cJSON_AddArrayToObject(idx, "elements");
    int rc = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        char fname[300], path[4096];
        file_name_for(order[i]->a.name, fname, sizeof fname);
        if (fm_strset_has(&written, fname)) {
            rc = fm_fail(err, FM_ERR_INPUT, dir, 0, 0,
                         "two elements map to the same file name %s", fname);
            break;
        }
        fm_strset_add(&written, fname);
        snprintf(path, sizeof path, "%s/%s", dir, fname);
        char *text = fm_summary_to_json(order[i]);
        /* hundreds of files: no fsync each (a killed run loses nothing) */
        fm_stage_add(st, path, text, strlen(text), FM_STAGE_MKDIRS);
        free(text);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", order[i]->a.name);
        cJSON_AddStringToObject(e, "file", fname);
        cJSON_AddStringToObject(e, "role", fm_role_name(order[i]->a.role));
        cJSON_AddBoolToObject(e, "stateful", order[i]->a.stateful);
        cJSON_AddItemToArray(els, e);
    }
    if (rc == 0) {
        /* the index goes last: a reader never sees an index naming files
         * that are not there yet */
        char path[4096];
        snprintf(path, sizeof path, "%s/index.json", dir);
        char *text = fm_json_print(idx);
        fm_stage_add(st, path, text, strlen(text), FM_STAGE_MKDIRS);
        free(text);
        stage_stale(dir, &written, st);
    }
    cJSON_Delete(idx);
    fm_strset_free(&written);
    free(order);
    return rc;
}

int fm_summary_set_save(const char *dir, const fm_summary_set *s, fm_error *err)
{
    /* one writer at a time: two runs into one directory would otherwise
     * mix one's index with the other's element files */
    fm_lock lk;
    if (fm_lock_dir(dir, &lk, err) != 0)
        return -1;
    fm_stage st;
    fm_stage_init(&st);
    int rc = fm_summary_set_stage(dir, s, &st, err);
    rc = rc == 0 ? fm_stage_commit(&st, err) : (fm_stage_free(&st), rc);
    fm_unlock_dir(&lk);
    return rc;
}

int fm_summary_set_load(const char *dir, fm_summary_set *out, fm_error *err)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    snprintf(path, sizeof path, "%s/index.json", dir);
    fm_jdoc d;
    if (fm_jdoc_load(&d, path, err) != 0)
        return -1;
    int rc = check_doc(&d, "flowmage_summary_index", "summary index", &index_spec, err);
    if (rc != 0)
        goto out;
    out->profile = fm_xstrdup(fm_json_str(d.root, "profile", ""));
    out->inputs = (long)fm_json_num(d.root, "inputs", 0);
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(d.root, "elements"))
    {
        const cJSON *fj = cJSON_GetObjectItemCaseSensitive(it, "file");
        const char *f = fj->valuestring;
        if (strchr(f, '/') || !strcmp(f, ".") || !strcmp(f, "..")) {
            rc = fm_jdoc_fail(&d, fj, err, "\"%s\" is not a plain file name", f);
            break;
        }
        char p2[4096], *text;
        size_t len;
        snprintf(p2, sizeof p2, "%s/%s", dir, f);
        if ((rc = fm_read_file(p2, &text, &len, err)) != 0)
            break;
        out->v = fm_xrealloc(out->v, (out->n + 1) * sizeof *out->v);
        rc = fm_summary_parse(text, len, p2, &out->v[out->n], err);
        free(text);
        if (rc != 0)
            break;
        const char *want = fm_json_str(it, "name", "");
        if (strcmp(out->v[out->n].a.name, want) != 0) {
            rc = fm_jdoc_fail(&d, cJSON_GetObjectItemCaseSensitive(it, "name"), err,
                              "the index names \"%s\" but %s holds \"%s\"", want, f,
                              out->v[out->n].a.name);
            fm_summary_free(&out->v[out->n]);
            break;
        }
        out->n++;
    }
out:
    fm_jdoc_free(&d);
    if (rc != 0)
        fm_summary_set_free(out);
    return rc;
}

/* ---- attributes ---- */

fm_elem_attrs *fm_attrs_add_copy(fm_attrs *out, const fm_elem_attrs *a)
{
    fm_elem_attrs *e = fm_attrs_add(out, a->name);
    e->cls = fm_xstrdup(a->cls ? a->cls : a->name);
    e->role = a->role;
    e->stateful = a->stateful;
    e->key_kind = a->key_kind;
    e->key_fields = a->key_fields;
    for (size_t i = 0; i < a->key_other.n; i++)
        fm_strset_add(&e->key_other, a->key_other.v[i]);
    e->symmetric = a->symmetric;
    e->intensity = a->intensity;
    e->pointer_chasing = a->pointer_chasing;
    e->cost = a->cost;
    e->global_state = a->global_state;
    for (size_t i = 0; i < a->keywords.n; i++)
        fm_strset_add(&e->keywords, a->keywords.v[i]);
    for (size_t i = 0; i < a->uncertain.n; i++)
        fm_strset_add(&e->uncertain, a->uncertain.v[i]);
    for (size_t i = 0; i < a->notes.n; i++)
        fm_strset_add(&e->notes, a->notes.v[i]);
    for (size_t i = 0; i < a->nevidence; i++)
        fm_elem_add_evidence(e, a->evidence[i].what, a->evidence[i].function,
                             a->evidence[i].file, a->evidence[i].line);
    fm_elem_copy_port_keys(e, a);
    e->flow_code = a->flow_code ? fm_xstrdup(a->flow_code) : NULL;
    return e;
}

void fm_summary_set_to_attrs(const fm_summary_set *s, fm_attrs *out)
{
    memset(out, 0, sizeof *out);
    out->version = FM_ATTRS_VERSION;
    out->generator = fm_xstrdup("flowmage " FM_VERSION " (static)");
    for (size_t i = 0; i < s->n; i++)
        fm_attrs_add_copy(out, &s->v[i].a);
}
