/* flowmage check: JSON and SARIF 2.1.0 renderings of a report
 * (include/flowmage/check.h, docs/check.md). */
#include "flowmage/check.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"

#define SARIF_SCHEMA \
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

char *fm_check_json(const fm_check_report *r, unsigned mask)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "flowmage_check", FM_CHECK_REPORT_VERSION);
    cJSON_AddStringToObject(root, "generator", "flowmage " FM_VERSION);
    cJSON_AddStringToObject(root, "baseline", r->baseline_path);
    cJSON_AddStringToObject(root, "new", r->new_path);
    cJSON_AddNumberToObject(root, "baseline_nfs", (double)r->baseline_nfs);
    cJSON_AddNumberToObject(root, "new_nfs", (double)r->new_nfs);
    size_t failing = fm_check_count_failing(r, mask);
    cJSON_AddBoolToObject(root, "needs_human", failing > 0);
    cJSON_AddNumberToObject(root, "failing", (double)failing);
    cJSON *counts = cJSON_AddObjectToObject(root, "counts");
    for (int c = 0; c < FM_CHECK_NCLASSES; c++) {
        size_t n = 0;
        for (size_t i = 0; i < r->n; i++)
            n += r->v[i].cls == (fm_check_class)c;
        cJSON_AddNumberToObject(counts, fm_check_class_name((fm_check_class)c), (double)n);
    }
    size_t nrules;
    const fm_check_rule *rules = fm_check_rules(&nrules);
    cJSON *arr = cJSON_AddArrayToObject(root, "findings");
    for (size_t i = 0; i < r->n; i++) {
        const fm_check_finding *f = &r->v[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "class", fm_check_class_name(f->cls));
        cJSON_AddStringToObject(o, "rule", rules[f->rule].id);
        cJSON_AddStringToObject(o, "nf", f->nf);
        fm_json_add_str_or_null(o, "attribute", f->attr);
        fm_json_add_str_or_null(o, "old", f->old_value);
        fm_json_add_str_or_null(o, "new", f->new_value);
        cJSON_AddStringToObject(o, "message", f->message);
        fm_json_add_str_or_null(o, "file", f->file);
        cJSON_AddNumberToObject(o, "line", (double)f->line);
        cJSON_AddBoolToObject(o, "in_baseline", f->in_baseline);
        cJSON_AddBoolToObject(o, "fails", fm_check_fails(f, mask));
        cJSON_AddItemToArray(arr, o);
    }
    char *s = fm_json_print(root);
    cJSON_Delete(root);
    return s;
}

/* ------------------------------------------------------------ SARIF */

/* What GitHub code scanning requires on top of the schema (its "SARIF
 * support for code scanning" page): at least one location per result
 * (only the first is used), region.startLine in every location,
 * help.text for every rule, partialFingerprints.primaryLocationLineHash
 * (the only fingerprint it reads), URIs relative to the repository root. */

/* RFC 3986: keep unreserved characters and '/', escape the rest. */
static void uri_escape(fm_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
            fm_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            fm_buf_append(b, e, 3);
        }
    }
}

static char *buf_take(fm_buf *b)
{
    char *s = fm_xstrdup(fm_buf_cstr(b));
    fm_buf_free(b);
    return s;
}

/* An absolute path without ".", ".." or repeated slashes ("/" at least). */
static char *normalize(const char *abs)
{
    fm_buf b;
    fm_buf_init(&b);
    const char *p = abs;
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (!n)
            break;
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (b.len && b.data[b.len - 1] != '/')
                b.len--;
            if (b.len)
                b.len--;
        } else {
            fm_buf_puts(&b, "/");
            fm_buf_append(&b, p, n);
        }
        p += n;
    }
    if (!b.len)
        fm_buf_puts(&b, "/");
    return buf_take(&b);
}

/* path made absolute against base (NULL: the current directory),
 * normalized, and with symbolic links resolved when it exists: code
 * scanning cannot show a result reported through a symlink. */
static char *absolute(const char *path, const char *base)
{
    fm_buf b;
    fm_buf_init(&b);
    char cwd[PATH_MAX];
    if (path[0] != '/') {
        if (!base)
            base = getcwd(cwd, sizeof cwd) ? cwd : "/";
        fm_buf_printf(&b, "%s/", base);
    }
    fm_buf_puts(&b, path);
    char *lexical = normalize(fm_buf_cstr(&b));
    fm_buf_free(&b);
    char *real = realpath(lexical, NULL);
    if (!real)
        return lexical;
    free(lexical);
    return real;
}

/* The part of abs below root, or NULL when abs is not under it. */
static const char *below(const char *abs, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return abs[1] ? abs + 1 : NULL;
    if (strncmp(abs, root, n) || abs[n] != '/' || !abs[n + 1])
        return NULL;
    return abs + n + 1;
}

typedef struct sarif_ctx {
    char *root, *build;        /* absolute */
    char *base_rel, *new_rel;  /* the attributes files under root (new may be NULL) */
} sarif_ctx;

/* path (relative ones taken from base, or the working directory when
 * base is NULL) relative to root; NULL if outside. */
static char *rel_to_root(const sarif_ctx *c, const char *path, const char *base)
{
    char *abs = absolute(path, base);
    const char *rel = below(abs, c->root);
    char *s = rel ? fm_xstrdup(rel) : NULL;
    free(abs);
    return s;
}

/* A file as the compiler saw it (from the build directory). */
static char *in_root(const sarif_ctx *c, const char *file)
{
    return rel_to_root(c, file, c->build);
}

static int ctx_init(sarif_ctx *c, const fm_check_report *r, const fm_check_sarif_opts *o,
                    fm_error *err)
{
    memset(c, 0, sizeof *c);
    c->root = absolute(o && o->source_root ? o->source_root : ".", NULL);
    c->build = o && o->build_dir ? absolute(o->build_dir, NULL) : fm_xstrdup(c->root);
    const char *base = o && o->baseline_file ? o->baseline_file : r->baseline_path;
    const char *cur = o && o->new_file ? o->new_file : r->new_path;
    c->base_rel = rel_to_root(c, base, NULL);
    c->new_rel = rel_to_root(c, cur, NULL);
    if (!c->base_rel)
        return fm_fail(err, FM_ERR_INPUT, base, 0, 0,
                       "the baseline is not under the source root %s, so SARIF results "
                       "could not all be located in the repository (see --source-root)",
                       c->root);
    return 0;
}

static void ctx_free(sarif_ctx *c)
{
    free(c->root), free(c->build), free(c->base_rel), free(c->new_rel);
}

typedef struct sarif_loc {
    char *path;     /* relative to the root, not escaped */
    long line;      /* >= 1 */
    char *outside;  /* the evidence outside the root ("FILE:LINE"), or NULL */
} sarif_loc;

/* The evidence about the attribute, else the NF's class definition, else
 * its entry in the baseline or in the new attributes, else the baseline. */
static void place(const fm_check_finding *f, const sarif_ctx *c, sarif_loc *L)
{
    memset(L, 0, sizeof *L);
    char *ev = f->file ? in_root(c, f->file) : NULL;
    char *def = f->def_file ? in_root(c, f->def_file) : NULL;
    int use_ev = f->file && !(f->generic && def);
    if (use_ev && !ev) {
        fm_buf b;
        fm_buf_init(&b);
        fm_buf_puts(&b, f->file);
        if (f->line > 0)
            fm_buf_printf(&b, ":%ld", f->line);
        L->outside = buf_take(&b);
    }
    if (use_ev && ev) {
        L->path = ev, L->line = f->line, ev = NULL;
    } else if (def) {
        L->path = def, L->line = f->def_line, def = NULL;
    } else if (f->base_entry) {
        L->path = fm_xstrdup(c->base_rel), L->line = f->base_entry;
    } else if (f->new_entry && c->new_rel) {
        L->path = fm_xstrdup(c->new_rel), L->line = f->new_entry;
    } else {
        L->path = fm_xstrdup(c->base_rel), L->line = 1;
    }
    if (L->line < 1)
        L->line = 1;   /* a file without a line: its first, as code scanning does */
    free(ev);
    free(def);
}

static const char *baseline_state(const fm_check_finding *f)
{
    switch (f->cls) {
    case FM_CHECK_NEW: return "new";
    case FM_CHECK_REMOVED: return "absent";
    case FM_CHECK_CHANGED: return "updated";
    case FM_CHECK_AMBIGUOUS: break;
    }
    return f->in_baseline ? "unchanged" : "new";
}

static cJSON *text_obj(const char *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", s);
    return o;
}

static cJSON *sarif_rules(unsigned mask)
{
    size_t n;
    const fm_check_rule *rules = fm_check_rules(&n);
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", rules[i].id);
        cJSON_AddStringToObject(o, "name", rules[i].name);
        cJSON_AddItemToObject(o, "shortDescription", text_obj(rules[i].short_desc));
        cJSON_AddItemToObject(o, "fullDescription", text_obj(rules[i].full_desc));
        cJSON_AddItemToObject(o, "help", text_obj(rules[i].help));
        char uri[256];
        snprintf(uri, sizeof uri, "%s#%s", FM_CHECK_DOCS_URI, rules[i].id);
        cJSON_AddStringToObject(o, "helpUri", uri);
        cJSON *cfg = cJSON_AddObjectToObject(o, "defaultConfiguration");
        cJSON_AddStringToObject(cfg, "level", mask & (1u << rules[i].cls) ? "error" : "note");
        cJSON *props = cJSON_AddObjectToObject(o, "properties");
        cJSON_AddStringToObject(props, "category", fm_check_class_name(rules[i].cls));
        cJSON *tags = cJSON_AddArrayToObject(props, "tags");
        cJSON_AddItemToArray(tags, cJSON_CreateString("flowmage"));
        cJSON_AddItemToArray(tags, cJSON_CreateString(fm_check_class_name(rules[i].cls)));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* A finding's identity: rule, NF, attribute and (ambiguity) value, never
 * a file or a line, so moving code keeps the alert. */
static unsigned long long identity(const fm_check_finding *f, const fm_check_rule *rule)
{
    fm_buf id;
    fm_buf_init(&id);
    fm_buf_printf(&id, "%s\n%s\n%s\n%s", rule->id, f->nf, f->attr ? f->attr : "",
                  f->cls == FM_CHECK_AMBIGUOUS && f->new_value ? f->new_value : "");
    unsigned long long h = fm_hash64(id.data, id.len, 0x666d);
    fm_buf_free(&id);
    return h;
}

static cJSON *sarif_location(const sarif_loc *L)
{
    cJSON *loc = cJSON_CreateObject();
    cJSON *phys = cJSON_AddObjectToObject(loc, "physicalLocation");
    cJSON *art = cJSON_AddObjectToObject(phys, "artifactLocation");
    fm_buf b;
    fm_buf_init(&b);
    uri_escape(&b, L->path);
    cJSON_AddStringToObject(art, "uri", fm_buf_cstr(&b));
    fm_buf_free(&b);
    cJSON_AddStringToObject(art, "uriBaseId", FM_CHECK_SRCROOT);
    cJSON *reg = cJSON_AddObjectToObject(phys, "region");
    cJSON_AddNumberToObject(reg, "startLine", (double)L->line);
    return loc;
}

/* occurrence: how many earlier results of the run share this identity
 * (the ":N" of code scanning's own fingerprints). */
static cJSON *sarif_result(const fm_check_finding *f, unsigned mask, const sarif_ctx *c,
                           unsigned long long h, int occurrence)
{
    size_t n;
    const fm_check_rule *rules = fm_check_rules(&n);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ruleId", rules[f->rule].id);
    cJSON_AddNumberToObject(o, "ruleIndex", (double)f->rule);
    cJSON_AddStringToObject(o, "level", fm_check_fails(f, mask) ? "error" : "note");
    sarif_loc L;
    place(f, c, &L);
    fm_buf msg;
    fm_buf_init(&msg);
    fm_buf_puts(&msg, f->message);
    if (L.outside)
        fm_buf_printf(&msg, " (evidence outside the source root: %s)", L.outside);
    cJSON_AddItemToObject(o, "message", text_obj(fm_buf_cstr(&msg)));
    fm_buf_free(&msg);
    cJSON *locs = cJSON_AddArrayToObject(o, "locations");
    cJSON_AddItemToArray(locs, sarif_location(&L));
    cJSON_AddStringToObject(o, "baselineState", baseline_state(f));
    char fp[40];
    cJSON *pf = cJSON_AddObjectToObject(o, "partialFingerprints");
    snprintf(fp, sizeof fp, "%016llx:%d", h, occurrence + 1);
    cJSON_AddStringToObject(pf, "primaryLocationLineHash", fp);
    snprintf(fp, sizeof fp, "%016llx", h);
    cJSON_AddStringToObject(pf, "flowmageFinding/v1", fp);
    cJSON *props = cJSON_AddObjectToObject(o, "properties");
    cJSON_AddStringToObject(props, "nf", f->nf);
    cJSON_AddStringToObject(props, "class", fm_check_class_name(f->cls));
    if (f->attr)
        cJSON_AddStringToObject(props, "attribute", f->attr);
    if (f->old_value)
        cJSON_AddStringToObject(props, "old", f->old_value);
    if (f->new_value)
        cJSON_AddStringToObject(props, "new", f->new_value);
    free(L.path);
    free(L.outside);
    return o;
}

static cJSON *sarif_base_ids(const sarif_ctx *c)
{
    cJSON *ids = cJSON_CreateObject();
    cJSON *root = cJSON_AddObjectToObject(ids, FM_CHECK_SRCROOT);
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_puts(&b, "file://");
    uri_escape(&b, c->root);
    if (b.data[b.len - 1] != '/')
        fm_buf_puts(&b, "/");
    cJSON_AddStringToObject(root, "uri", fm_buf_cstr(&b));
    fm_buf_free(&b);
    cJSON_AddItemToObject(root, "description",
                          text_obj("The repository root (flowmage check --source-root)."));
    return ids;
}

int fm_check_sarif(const fm_check_report *r, unsigned mask, const fm_check_sarif_opts *opts,
                   char **out, fm_error *err)
{
    sarif_ctx c;
    if (ctx_init(&c, r, opts, err) != 0) {
        ctx_free(&c);
        return -1;
    }
    size_t nrules;
    const fm_check_rule *rules = fm_check_rules(&nrules);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "$schema", SARIF_SCHEMA);
    cJSON_AddStringToObject(root, "version", "2.1.0");
    cJSON *runs = cJSON_AddArrayToObject(root, "runs");
    cJSON *run = cJSON_CreateObject();
    cJSON_AddItemToArray(runs, run);
    cJSON *tool = cJSON_AddObjectToObject(run, "tool");
    cJSON *driver = cJSON_AddObjectToObject(tool, "driver");
    cJSON_AddStringToObject(driver, "name", "flowmage");
    cJSON_AddStringToObject(driver, "version", FM_VERSION);
    cJSON_AddStringToObject(driver, "semanticVersion", FM_VERSION);
    cJSON_AddStringToObject(driver, "informationUri", FM_CHECK_INFO_URI);
    cJSON_AddItemToObject(driver, "rules", sarif_rules(mask));
    cJSON_AddItemToObject(run, "originalUriBaseIds", sarif_base_ids(&c));
    cJSON *results = cJSON_AddArrayToObject(run, "results");
    unsigned long long *seen = fm_xcalloc(r->n + 1, sizeof *seen);
    for (size_t i = 0; i < r->n; i++) {
        seen[i] = identity(&r->v[i], &rules[r->v[i].rule]);
        int occurrence = 0;
        for (size_t k = 0; k < i; k++)
            occurrence += seen[k] == seen[i];
        cJSON_AddItemToArray(results, sarif_result(&r->v[i], mask, &c, seen[i], occurrence));
    }
    free(seen);
    cJSON *props = cJSON_AddObjectToObject(run, "properties");
    cJSON_AddStringToObject(props, "baseline", r->baseline_path);
    cJSON_AddStringToObject(props, "attributes", r->new_path);
    *out = fm_json_print(root);
    cJSON_Delete(root);
    ctx_free(&c);
    return 0;
}
