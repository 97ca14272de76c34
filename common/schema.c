/* The table-driven JSON validator and the locator of schema.h.
 *
 * cJSON keeps no positions, but it keeps every member (duplicates included)
 * in text order.  So a value is found again by its ordinal path: the
 * position of each member or item from the root down, replayed over the
 * text by a small scanner that only skips what cJSON already accepted. */
#include "schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const fm_jspec fm_jspec_any = {.types = FM_J_NULL | FM_J_BOOL | FM_J_NUM | FM_J_STR |
                                        FM_J_ARR | FM_J_OBJ};
const fm_jspec fm_jspec_bool = {.types = FM_J_BOOL};
const fm_jspec fm_jspec_string = {.types = FM_J_STR};
const fm_jspec fm_jspec_name = {.types = FM_J_STR, .nonempty = 1};
const fm_jspec fm_jspec_strings = {.types = FM_J_ARR, .items = &fm_jspec_string};
const fm_jspec fm_jspec_object = {.types = FM_J_OBJ};
const fm_jspec fm_jspec_line = FM_JINT(0, 2147483647.0);
const fm_jspec fm_jspec_count = FM_JINT(0, 9007199254740992.0);
const fm_jspec fm_jspec_version = FM_JINT(0, 2147483647.0);

/* ---- scanning the text ---- */

static size_t skip_ws(const char *t, size_t n, size_t i)
{
    while (i < n && (unsigned char)t[i] <= 32)
        i++;
    return i;
}

static size_t skip_string(const char *t, size_t n, size_t i)
{
    for (i++; i < n && t[i] != '"'; i++)
        if (t[i] == '\\')
            i++;
    return i < n ? i + 1 : n;
}

static size_t skip_value(const char *t, size_t n, size_t i)
{
    if (i >= n)
        return n;
    if (t[i] == '"')
        return skip_string(t, n, i);
    if (t[i] == '{' || t[i] == '[') {
        long depth = 0;
        while (i < n) {
            char c = t[i];
            if (c == '"') {
                i = skip_string(t, n, i);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return n;
    }
    while (i < n && (unsigned char)t[i] > 32 && t[i] != ',' && t[i] != ']' && t[i] != '}')
        i++;
    return i;
}

/* Offset of member/item k of the container starting at i; *key receives
 * where a member's name starts (the value's offset otherwise). */
static size_t nth(const char *t, size_t n, size_t i, size_t k, size_t *key)
{
    int object = t[i] == '{';
    i++;
    for (size_t m = 0;; m++) {
        i = skip_ws(t, n, i);
        *key = i;
        if (object) {
            i = skip_ws(t, n, skip_string(t, n, i));
            if (i < n && t[i] == ':')
                i = skip_ws(t, n, i + 1);
        }
        if (m == k || i >= n)
            return i < n ? i : n;
        i = skip_ws(t, n, skip_value(t, n, i));
        if (i < n && t[i] == ',')
            i++;
    }
}

static size_t bom(const fm_jdoc *d)
{
    return d->len >= 3 && !memcmp(d->text, "\xEF\xBB\xBF", 3) ? 3 : 0;
}

/* ---- finding a node ---- */

typedef struct trail {
    size_t *at;       /* ordinal of each step */
    const cJSON **node;
    size_t n, cap;
} trail;

static int find(const cJSON *from, const cJSON *want, trail *t)
{
    if (from == want)
        return 1;
    size_t k = 0;
    for (const cJSON *c = from->child; c; c = c->next, k++) {
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 16;
            t->at = fm_xrealloc(t->at, t->cap * sizeof *t->at);
            t->node = fm_xrealloc(t->node, t->cap * sizeof *t->node);
        }
        t->at[t->n] = k;
        t->node[t->n] = c;
        t->n++;
        if (find(c, want, t))
            return 1;
        t->n--;
    }
    return 0;
}

/* Offset of node's value (or member name); -1 when not in the document. */
static long offset_of(const fm_jdoc *d, const cJSON *node, int want_key, trail *t)
{
    if (!d->root || !find(d->root, node, t))
        return -1;
    size_t i = skip_ws(d->text, d->len, bom(d)), key = i;
    for (size_t s = 0; s < t->n && i < d->len; s++)
        i = nth(d->text, d->len, i, t->at[s], &key);
    return (long)(want_key && t->n ? key : i);
}

static void line_col(const fm_jdoc *d, long off, long *line, long *col)
{
    *line = 1;
    *col = 1;
    for (long k = 0; k < off && (size_t)k < d->len; k++) {
        if (d->text[k] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* "elements[3] (\"Policer\").key.kind": an item with a "name" is named */
static void path_text(const trail *t, char *out, size_t n)
{
    size_t k = 0;
    out[0] = 0;
    for (size_t s = 0; s < t->n && k + 1 < n; s++) {
        const cJSON *c = t->node[s];
        const cJSON *nm = c->string ? NULL : cJSON_GetObjectItemCaseSensitive(c, "name");
        int w = c->string ? snprintf(out + k, n - k, "%s%s", k ? "." : "", c->string)
            : cJSON_IsString(nm) ? snprintf(out + k, n - k, "[%zu] (\"%.60s\")", t->at[s],
                                            nm->valuestring)
                                 : snprintf(out + k, n - k, "[%zu]", t->at[s]);
        k = w < 0 || (size_t)w >= n - k ? n - 1 : k + (size_t)w;
    }
}

static int vfail(const fm_jdoc *d, const cJSON *node, int key, fm_error *err,
                 const char *fmt, va_list ap)
{
    trail t = {0};
    long off = offset_of(d, node, key, &t), line = 0, col = 0;
    if (off >= 0)
        line_col(d, off, &line, &col);
    char path[200], msg[400];
    if (key && t.n)
        t.n--; /* about a member name: the path is its object's */
    path_text(&t, path, sizeof path);
    free(t.at);
    free(t.node);
    vsnprintf(msg, sizeof msg, fmt, ap);
    return fm_fail(err, FM_ERR_INPUT, d->name, line, col, "%s%s%s", path,
                   path[0] ? ": " : "", msg);
}

int fm_jdoc_fail(const fm_jdoc *d, const cJSON *node, fm_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(d, node, 0, err, fmt, ap);
    va_end(ap);
    return -1;
}

int fm_jdoc_check_version(const fm_jdoc *d, const char *field, const char *what, int lo,
                          int hi, const fm_jspec *spec, fm_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->root, field);
    if (!cJSON_IsObject(d->root) || !v)
        return fm_fail(err, FM_ERR_INPUT, d->name, 0, 0, "not a flowmage %s (no \"%s\" "
                       "version)", what, field);
    /* the version first: another version may have another shape */
    if (fm_jdoc_check(d, v, &fm_jspec_version, err) != 0)
        return -1;
    if (v->valuedouble < lo || v->valuedouble > hi) {
        if (lo == hi)
            return fm_jdoc_fail(d, v, err, "%s version %d is not supported (this flowmage "
                                "reads %d)", what, v->valueint, hi);
        return fm_jdoc_fail(d, v, err, "%s version %d is not supported (this flowmage reads "
                            "%d to %d)", what, v->valueint, lo, hi);
    }
    return fm_jdoc_check(d, d->root, spec, err);
}

static int fail_key(const fm_jdoc *d, const cJSON *node, fm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_key(const fm_jdoc *d, const cJSON *node, fm_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(d, node, 1, err, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- parsing ---- */

int fm_jdoc_parse(fm_jdoc *d, const char *text, size_t len, const char *name,
                  fm_error *err)
{
    memset(d, 0, sizeof *d);
    d->name = name;
    d->text = text;
    d->len = len;
    const char *end = NULL;
    d->root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    size_t at = len;
    if (!d->root) {
        const char *e = end ? end : cJSON_GetErrorPtr();
        at = e && e >= text && e <= text + len ? (size_t)(e - text) : len;
    } else if (end && end >= text && end <= text + len &&
               (at = skip_ws(text, len, (size_t)(end - text))) == len) {
        return 0;
    }
    long line, col;
    line_col(d, (long)at, &line, &col);
    int trailing = d->root != NULL;
    fm_jdoc_free(d);
    return fm_fail(err, FM_ERR_INPUT, name, line, col,
                   trailing ? "invalid JSON: text after the value" : "invalid JSON");
}

int fm_jdoc_load(fm_jdoc *d, const char *path, fm_error *err)
{
    char *text;
    size_t len;
    memset(d, 0, sizeof *d);
    if (fm_read_file(path, &text, &len, err) != 0)
        return -1;
    if (fm_jdoc_parse(d, text, len, path, err) != 0) {
        free(text);
        return -1;
    }
    d->owned = text;
    return 0;
}

void fm_jdoc_free(fm_jdoc *d)
{
    cJSON_Delete(d->root);
    free(d->owned);
    memset(d, 0, sizeof *d);
}

/* ---- checking ---- */

static unsigned type_of(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return FM_J_NULL;
    if (cJSON_IsBool(v))
        return FM_J_BOOL;
    if (cJSON_IsNumber(v))
        return FM_J_NUM;
    if (cJSON_IsString(v))
        return FM_J_STR;
    if (cJSON_IsArray(v))
        return FM_J_ARR;
    return FM_J_OBJ;
}

static void expected(const fm_jspec *s, char *out, size_t n)
{
    static const struct {
        unsigned t;
        const char *what;
    } names[] = {{FM_J_STR, "a string"}, {FM_J_NUM, "a number"}, {FM_J_BOOL, "true or false"},
                 {FM_J_ARR, "an array"}, {FM_J_OBJ, "an object"}, {FM_J_NULL, "null"}};
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (!(s->types & names[i].t))
            continue;
        const char *w = names[i].t == FM_J_NUM && s->integer ? "an integer" : names[i].what;
        int r = snprintf(out + k, n - k, "%s%s", k ? " or " : "", w);
        if (r < 0 || (size_t)r >= n - k)
            break;
        k += (size_t)r;
    }
}

/* The value as written (numbers keep their spelling: "1e999", not inf). */
static void shown(const fm_jdoc *d, const cJSON *v, char *out, size_t n)
{
    unsigned t = type_of(v);
    if (t == FM_J_OBJ || t == FM_J_ARR) {
        snprintf(out, n, t == FM_J_OBJ ? "an object" : "an array");
        return;
    }
    trail tr = {0};
    long off = offset_of(d, v, 0, &tr);
    free(tr.at);
    free(tr.node);
    size_t end = off < 0 ? 0 : skip_value(d->text, d->len, (size_t)off);
    size_t len = off < 0 ? 0 : end - (size_t)off, cut = len > 40 ? 40 : len;
    char lit[48];
    for (size_t i = 0; i < cut; i++) {
        unsigned char c = (unsigned char)d->text[(size_t)off + i];
        lit[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    lit[cut] = 0;
    const char *kind = t == FM_J_STR ? "the string " : t == FM_J_NUM ? "the number " : "";
    snprintf(out, n, "%s%s%s", kind, lit, len > cut ? "..." : "");
}

static void list_values(const char *const *v, char *out, size_t n)
{
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; v[i]; i++) {
        int r = snprintf(out + k, n - k, "%s%s", i ? (v[i + 1] ? ", " : " or ") : "", v[i]);
        if (r < 0 || (size_t)r >= n - k)
            break;
        k += (size_t)r;
    }
}

static int in_list(const char *const *v, const char *s)
{
    for (size_t i = 0; v[i]; i++)
        if (!strcmp(v[i], s))
            return 1;
    return 0;
}

static int check(const fm_jdoc *d, const cJSON *v, const fm_jspec *s, fm_error *err);

static int cmp_member(const void *a, const void *b)
{
    const cJSON *const *x = a, *const *y = b;
    int c = strcmp((*x)->string, (*y)->string);
    if (c)
        return c;
    return *x < *y ? -1 : *x > *y; /* never equal pointers: stable by address */
}

/* A field given twice would be read as its first copy: refuse it.  The
 * second copy is the one reported. */
static int check_duplicates(const fm_jdoc *d, const cJSON *o, fm_error *err)
{
    size_t n = 0;
    for (const cJSON *c = o->child; c; c = c->next)
        n++;
    if (n < 2)
        return 0;
    const cJSON **v = fm_xcalloc(n, sizeof *v);
    size_t k = 0;
    for (const cJSON *c = o->child; c; c = c->next)
        v[k++] = c;
    qsort(v, n, sizeof *v, cmp_member);
    const cJSON *dup = NULL;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(v[i - 1]->string, v[i]->string))
            continue;
        /* report the later of the two in text order */
        const cJSON *later = NULL;
        for (const cJSON *c = o->child; c && !later; c = c->next)
            if (c == v[i - 1] || c == v[i])
                later = c == v[i - 1] ? v[i] : v[i - 1];
        if (!dup)
            dup = later;
    }
    free(v);
    if (dup)
        return fail_key(d, dup, err, "field \"%s\" is given twice", dup->string);
    return 0;
}

static const fm_jfield *field_of(const fm_jspec *s, const char *name)
{
    for (const fm_jfield *f = s->fields; f && f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

static int check_object(const fm_jdoc *d, const cJSON *o, const fm_jspec *s, fm_error *err)
{
    if (check_duplicates(d, o, err) != 0)
        return -1;
    for (const fm_jfield *f = s->fields; f && f->name; f++)
        if (f->required && !cJSON_GetObjectItemCaseSensitive(o, f->name))
            return fm_jdoc_fail(d, o, err, "missing required field \"%s\"", f->name);
    for (const cJSON *c = o->child; c; c = c->next) {
        const fm_jfield *f = s->map ? NULL : field_of(s, c->string);
        const fm_jspec *sub = f ? f->spec : s->map ? s->items : NULL;
        if (s->map && s->keys && !in_list(s->keys, c->string)) {
            char l[300];
            list_values(s->keys, l, sizeof l);
            return fail_key(d, c, err, "\"%s\" is not %s", c->string, l);
        }
        if (!sub && s->closed) {
            char l[600] = "";
            size_t k = 0;
            for (const fm_jfield *g = s->fields; g && g->name && k + 1 < sizeof l; g++) {
                int r = snprintf(l + k, sizeof l - k, "%s%s", k ? ", " : "", g->name);
                k = r < 0 || (size_t)r >= sizeof l - k ? sizeof l - 1 : k + (size_t)r;
            }
            return fail_key(d, c, err, "unknown field \"%s\" (known: %s)", c->string, l);
        }
        if (sub && check(d, c, sub, err) != 0)
            return -1;
    }
    return 0;
}

/* 65535, 1e+12, 2147483647, 0.5: %g unless it would round the bound */
static void bound(double x, char *out, size_t n)
{
    snprintf(out, n, "%g", x);
    if (strtod(out, NULL) != x)
        snprintf(out, n, "%.17g", x);
}

static int check_number(const fm_jdoc *d, const cJSON *v, const fm_jspec *s, fm_error *err)
{
    double x = v->valuedouble;
    char lit[64];
    if (!isfinite(x) || (s->ranged && (x < s->min || x > s->max))) {
        shown(d, v, lit, sizeof lit);
        if (!s->ranged)
            return fm_jdoc_fail(d, v, err, "%s is not a finite number", lit);
        char lo[32], hi[32];
        bound(s->min, lo, sizeof lo);
        bound(s->max, hi, sizeof hi);
        return fm_jdoc_fail(d, v, err, "%s is out of range (%s %s..%s)", lit,
                            s->integer ? "an integer in" : "a number in", lo, hi);
    }
    /* the range check above keeps this comparison free of overflow for the
     * ranges used (all within +-2^53) */
    if (s->integer && floor(x) != x) {
        shown(d, v, lit, sizeof lit);
        return fm_jdoc_fail(d, v, err, "%s is not an integer", lit);
    }
    return 0;
}

static int check(const fm_jdoc *d, const cJSON *v, const fm_jspec *s, fm_error *err)
{
    unsigned t = type_of(v);
    char want[120], got[64];
    if (!(s->types & t)) {
        expected(s, want, sizeof want);
        shown(d, v, got, sizeof got);
        return fm_jdoc_fail(d, v, err, "expected %s, got %s", want, got);
    }
    switch (t) {
    case FM_J_NUM:
        return check_number(d, v, s, err);
    case FM_J_STR:
        if (s->nonempty && !v->valuestring[0])
            return fm_jdoc_fail(d, v, err, "must not be empty");
        if (s->oneof && !in_list(s->oneof, v->valuestring)) {
            char l[300];
            list_values(s->oneof, l, sizeof l);
            shown(d, v, got, sizeof got);
            return fm_jdoc_fail(d, v, err, "%s is not %s%s", got,
                                s->oneof[0] && s->oneof[1] ? "one of " : "", l);
        }
        return 0;
    case FM_J_ARR:
        if (s->nonempty && !v->child)
            return fm_jdoc_fail(d, v, err, "must not be empty");
        for (const cJSON *c = v->child; c && s->items; c = c->next)
            if (check(d, c, s->items, err) != 0)
                return -1;
        return 0;
    case FM_J_OBJ:
        return check_object(d, v, s, err);
    default:
        return 0;
    }
}

int fm_jdoc_check(const fm_jdoc *d, const cJSON *node, const fm_jspec *spec, fm_error *err)
{
    return check(d, node, spec, err);
}
