/* flowmage check: JSON and SARIF 2.1.0 renderings of a report
 * (include/flowmage/check.h, docs/check.md). */
#include "flowmage/check.h"

#include <stdlib.h>
#include <string.h>

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

static char *artifact_uri(const char *file, const char *root)
{
    fm_buf b;
    fm_buf_init(&b);
    const char *rel = file;
    if (root && root[0] && file[0] == '/') {
        size_t n = strlen(root);
        while (n > 1 && root[n - 1] == '/')
            n--;
        if (!strncmp(file, root, n) && file[n] == '/')
            rel = file + n + 1;
    }
    if (rel[0] == '/')
        fm_buf_puts(&b, "file://");
    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    uri_escape(&b, rel);
    char *s = fm_xstrdup(fm_buf_cstr(&b));
    fm_buf_free(&b);
    return s;
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
        cJSON *cfg = cJSON_AddObjectToObject(o, "defaultConfiguration");
        cJSON_AddStringToObject(cfg, "level", mask & (1u << rules[i].cls) ? "error" : "note");
        cJSON *props = cJSON_AddObjectToObject(o, "properties");
        cJSON_AddStringToObject(props, "category", fm_check_class_name(rules[i].cls));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *sarif_result(const fm_check_finding *f, unsigned mask, const char *root)
{
    size_t n;
    const fm_check_rule *rules = fm_check_rules(&n);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ruleId", rules[f->rule].id);
    cJSON_AddNumberToObject(o, "ruleIndex", (double)f->rule);
    cJSON_AddStringToObject(o, "level", fm_check_fails(f, mask) ? "error" : "note");
    cJSON_AddItemToObject(o, "message", text_obj(f->message));
    if (f->file) {
        cJSON *locs = cJSON_AddArrayToObject(o, "locations");
        cJSON *loc = cJSON_CreateObject();
        cJSON *phys = cJSON_AddObjectToObject(loc, "physicalLocation");
        cJSON *art = cJSON_AddObjectToObject(phys, "artifactLocation");
        char *uri = artifact_uri(f->file, root);
        cJSON_AddStringToObject(art, "uri", uri);
        free(uri);
        if (f->line > 0) {
            cJSON *reg = cJSON_AddObjectToObject(phys, "region");
            cJSON_AddNumberToObject(reg, "startLine", (double)f->line);
        }
        cJSON_AddItemToArray(locs, loc);
    }
    cJSON_AddStringToObject(o, "baselineState", baseline_state(f));
    /* Stable identity across runs, so services track one finding over time. */
    fm_buf id;
    fm_buf_init(&id);
    fm_buf_printf(&id, "%s\n%s\n%s\n%s", rules[f->rule].id, f->nf, f->attr ? f->attr : "",
                  f->cls == FM_CHECK_AMBIGUOUS && f->new_value ? f->new_value : "");
    char fp[17];
    snprintf(fp, sizeof fp, "%016llx",
             (unsigned long long)fm_hash64(id.data, id.len, 0x666d));
    fm_buf_free(&id);
    cJSON *pf = cJSON_AddObjectToObject(o, "partialFingerprints");
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
    return o;
}

char *fm_check_sarif(const fm_check_report *r, unsigned mask, const char *source_root)
{
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
    cJSON *results = cJSON_AddArrayToObject(run, "results");
    for (size_t i = 0; i < r->n; i++)
        cJSON_AddItemToArray(results, sarif_result(&r->v[i], mask, source_root));
    cJSON *props = cJSON_AddObjectToObject(run, "properties");
    cJSON_AddStringToObject(props, "baseline", r->baseline_path);
    cJSON_AddStringToObject(props, "attributes", r->new_path);
    char *s = fm_json_print(root);
    cJSON_Delete(root);
    return s;
}
