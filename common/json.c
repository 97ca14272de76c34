/* cJSON helpers: located parse errors, typed getters, stable printing. */
#include "json.h"

#include "schema.h"

#include <stdlib.h>
#include <string.h>

cJSON *fm_json_parse(const char *text, size_t len, const char *name,
                     fm_error *err)
{
    fm_jdoc d;
    if (fm_jdoc_parse(&d, text, len, name, err) != 0)
        return NULL;
    return d.root; /* the text is the caller's: nothing else to free */
}

cJSON *fm_json_load(const char *path, fm_error *err)
{
    char *text;
    size_t len;
    if (fm_read_file(path, &text, &len, err) != 0)
        return NULL;
    cJSON *j = fm_json_parse(text, len, path, err);
    free(text);
    return j;
}

const char *fm_json_str(const cJSON *o, const char *key, const char *fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : fallback;
}

double fm_json_num(const cJSON *o, const char *key, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

int fm_json_bool(const cJSON *o, const char *key, int fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

void fm_json_add_str_or_null(cJSON *o, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

void fm_json_add_strset(cJSON *o, const char *key, const fm_strset *s)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (size_t i = 0; i < s->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(s->v[i]));
}

int fm_json_get_strset(const cJSON *o, const char *key, fm_strset *s)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!a)
        return 0;
    if (!cJSON_IsArray(a))
        return -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsString(it))
            return -1;
        fm_strset_add(s, it->valuestring);
    }
    return 0;
}

/* cJSON's formatted printer uses tabs; re-indent with two spaces so files
 * diff well, and end with a newline. */
char *fm_json_print(const cJSON *o)
{
    char *raw = cJSON_Print(o);
    if (!raw)
        return NULL;
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_reserve(&b, strlen(raw) + 2);
    int in_str = 0, esc = 0, line_start = 1;
    const char *run = raw; /* text not yet copied: copied a run at a time */
    for (const char *p = raw; *p; p++) {
        char c = *p;
        if (c == '\t' && !in_str) {
            /* cJSON escapes tabs inside strings: a raw tab is layout */
            fm_buf_append(&b, run, (size_t)(p - run));
            fm_buf_append(&b, line_start ? "  " : " ", line_start ? 2 : 1);
            run = p + 1;
            continue;
        }
        line_start = 0;
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '\n') {
            line_start = 1;
        }
    }
    fm_buf_append(&b, run, strlen(run));
    fm_buf_append(&b, "\n", 1);
    cJSON_free(raw);
    return b.data;
}
