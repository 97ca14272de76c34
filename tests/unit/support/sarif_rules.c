/* SARIF checks for the tests (sarif_rules.h).  Each rule below says where
 * it comes from: [schema] the OASIS SARIF 2.1.0 schema or specification,
 * [gh] GitHub code scanning's documented upload rules and limits. */
#include "sarif_rules.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    fm_buf *log;
    int bad;
} ctx;

static void need(ctx *c, int ok, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void need(ctx *c, int ok, const char *tag, const char *fmt, ...)
{
    if (ok)
        return;
    c->bad++;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fm_buf_printf(c->log, "%s: %s\n", tag, msg);
}

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

/* A non-empty string ([gh]: "the empty string is not supported for
 * required properties"). */
static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static const char *text_of(const cJSON *o, const char *k) { return str(get(o, k), "text"); }

/* v if it is an array (object), else NULL, to iterate safely. */
static const cJSON *arr(const cJSON *v) { return cJSON_IsArray(v) ? v : NULL; }
static const cJSON *obj(const cJSON *v) { return cJSON_IsObject(v) ? v : NULL; }

static int is_int(const cJSON *v, double lo)
{
    return cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble &&
           v->valuedouble >= lo;
}

static int one_of(const char *s, const char *list)
{
    size_t n = s ? strlen(s) : 0;
    for (const char *p = list; s && *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && !strncmp(p, s, n))
            return 1;
        p += k + (p[k] == ',');
    }
    return 0;
}

static int hexdig(int ch) { return isxdigit((unsigned char)ch); }

/* [schema] "format": "uri-reference" (RFC 3986): only its characters, and
 * every '%' starts an escape. */
static int uri_chars_ok(const char *s)
{
    for (; *s; s++) {
        if (*s == '%') {
            if (!hexdig(s[1]) || !hexdig(s[2]))
                return 0;
            s += 2;
        } else if (!isalnum((unsigned char)*s) && !strchr("-._~!$&'()*+,;=:@/?#[]", *s)) {
            return 0;
        }
    }
    return 1;
}

/* A relative reference code scanning resolves against the repository root:
 * no scheme, no leading '/', no "." or ".." segment. */
static const char *relative_problem(const char *u)
{
    size_t colon = strcspn(u, ":/");
    if (u[colon] == ':')
        return "has a scheme (absolute URI)";
    if (u[0] == '/')
        return "starts with '/'";
    for (const char *p = u; *p;) {
        size_t n = strcspn(p, "/");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return "has a '.' or '..' segment";
        if (n == 0)
            return "has an empty segment";
        p += n + (p[n] == '/');
    }
    return NULL;
}

static char *percent_decode(const char *s)
{
    char *out = fm_xmalloc(strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if (*s == '%' && hexdig(s[1]) && hexdig(s[2])) {
            char h[3] = {s[1], s[2], 0};
            *o++ = (char)strtol(h, NULL, 16);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = 0;
    return out;
}

/* Lines in the file at root + uri, or -1 if it cannot be read. */
static long file_lines(const char *root_uri, const char *uri)
{
    if (strncmp(root_uri, "file://", 7))
        return -1;
    char *root = percent_decode(root_uri + 7), *rel = percent_decode(uri);
    char path[4096];
    snprintf(path, sizeof path, "%s%s", root, rel);
    free(root);
    free(rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    long lines = 0;
    int ch, last = '\n';
    while ((ch = fgetc(f)) != EOF) {
        lines += ch == '\n';
        last = ch;
    }
    fclose(f);
    return lines + (last != '\n');
}

/* GitHub's heading anchors: lower case, punctuation other than '-' and
 * '_' dropped, spaces to '-'. */
static int docs_has_anchor(const char *docs, const char *frag)
{
    for (const char *p = docs; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (*p != '#')
            continue;
        while (*p == '#')
            p++;
        while (*p == ' ')
            p++;
        char slug[256];
        size_t n = 0;
        for (; *p && *p != '\n' && n + 1 < sizeof slug; p++) {
            unsigned char ch = (unsigned char)*p;
            if (isalnum(ch) || ch == '-' || ch == '_')
                slug[n++] = (char)tolower(ch);
            else if (ch == ' ')
                slug[n++] = '-';
        }
        slug[n] = 0;
        if (!strcmp(slug, frag))
            return 1;
    }
    return 0;
}

static void check_rule(ctx *c, const cJSON *rule, const cJSON *rules, int idx,
                       const fm_sarif_opts *o)
{
    const char *id = str(rule, "id");
    need(c, id != NULL, "rule.id", "rule %d has no id", idx);
    id = id ? id : "?";
    for (int k = 0; k < idx; k++)
        need(c, !str(cJSON_GetArrayItem(rules, k), "id") ||
                    strcmp(str(cJSON_GetArrayItem(rules, k), "id"), id),
             "rule.id", "rule id %s used twice", id);
    const cJSON *name = get(rule, "name");
    need(c, !name || (str(rule, "name") && strlen(str(rule, "name")) <= 255), "rule.name",
         "%s: name empty or over 255 characters", id);
    const char *sd = text_of(rule, "shortDescription"), *fd = text_of(rule, "fullDescription");
    need(c, sd && strlen(sd) <= 1024, "rule.shortDescription", "%s: shortDescription.text "
         "missing, empty or over 1024 characters", id);
    need(c, fd && strlen(fd) <= 1024, "rule.fullDescription", "%s: fullDescription.text "
         "missing, empty or over 1024 characters", id);
    need(c, text_of(rule, "help") != NULL, "rule.help", "%s: no help.text", id);
    const char *hu = str(rule, "helpUri");
    need(c, hu && !strncmp(hu, "https://", 8) && uri_chars_ok(hu), "rule.helpUri",
         "%s: helpUri missing or not an https URI", id);
    if (hu && o && o->docs && strstr(hu, "/docs/check.md")) {
        const char *frag = strchr(hu, '#');
        need(c, frag && docs_has_anchor(o->docs, frag + 1), "rule.helpUri",
             "%s: %s has no anchor that docs/check.md defines", id, hu);
    }
    const cJSON *dc = get(rule, "defaultConfiguration");
    need(c, !dc || one_of(str(dc, "level"), "note,warning,error"), "rule.level",
         "%s: defaultConfiguration.level is not note, warning or error", id);
    const cJSON *tags = get(get(rule, "properties"), "tags");
    need(c, !tags || (cJSON_IsArray(tags) && cJSON_GetArraySize(tags) <= 20), "rule.tags",
         "%s: properties.tags not an array of at most 20", id);
}

static void check_location(ctx *c, const cJSON *loc, const cJSON *bases, int r,
                           const fm_sarif_opts *o)
{
    const cJSON *pl = get(loc, "physicalLocation"), *al = get(pl, "artifactLocation");
    need(c, cJSON_IsObject(pl) && cJSON_IsObject(al), "location.shape",
         "result %d: no physicalLocation.artifactLocation", r);
    const char *uri = str(al, "uri");
    need(c, uri && uri_chars_ok(uri), "location.uri",
         "result %d: artifactLocation.uri missing, empty or not a URI reference", r);
    const char *why = uri ? relative_problem(uri) : NULL;
    need(c, !why, "location.relative", "result %d: uri \"%s\" %s", r, uri ? uri : "", why ? why : "");
    const char *base = str(al, "uriBaseId");
    need(c, base && !strcmp(base, "%SRCROOT%"), "location.uriBaseId",
         "result %d: uriBaseId is not %%SRCROOT%%", r);
    need(c, !base || cJSON_IsObject(get(bases, base)), "location.uriBaseId",
         "result %d: uriBaseId %s not in run.originalUriBaseIds", r, base ? base : "");
    const cJSON *reg = get(pl, "region");
    const cJSON *sl = get(reg, "startLine"), *el = get(reg, "endLine");
    need(c, is_int(sl, 1), "region.startLine", "result %d: region.startLine missing or < 1", r);
    need(c, !el || (is_int(el, 1) && el->valuedouble >= (sl ? sl->valuedouble : 1)),
         "region.endLine", "result %d: endLine before startLine", r);
    need(c, !get(reg, "startColumn") || is_int(get(reg, "startColumn"), 1), "region.startColumn",
         "result %d: startColumn < 1", r);
    if (o && o->files_exist && uri && !why && is_int(sl, 1)) {
        const char *root = str(get(bases, "%SRCROOT%"), "uri");
        long lines = root ? file_lines(root, uri) : -1;
        need(c, lines >= 0, "location.file", "result %d: %s is not a file under %s", r, uri,
             root ? root : "%SRCROOT%");
        need(c, lines < 0 || sl->valuedouble <= lines, "location.line",
             "result %d: %s has %ld lines, startLine %.0f", r, uri, lines, sl->valuedouble);
    }
}

static void check_result(ctx *c, const cJSON *res, int r, const cJSON *rules,
                         const cJSON *bases, const fm_sarif_opts *o)
{
    need(c, text_of(res, "message") != NULL, "result.message", "result %d: no message.text", r);
    const char *rid = str(res, "ruleId");
    const cJSON *rule = NULL, *it;
    cJSON_ArrayForEach(it, rules)
        if (rid && str(it, "id") && !strcmp(str(it, "id"), rid))
            rule = it;
    need(c, rule != NULL, "result.ruleId", "result %d: ruleId %s is not a rule of the driver",
         r, rid ? rid : "(none)");
    const cJSON *ri = get(res, "ruleIndex");
    const cJSON *at = is_int(ri, 0) ? cJSON_GetArrayItem(rules, ri->valueint) : NULL;
    need(c, !ri || (at && rid && str(at, "id") && !strcmp(str(at, "id"), rid)),
         "result.ruleIndex", "result %d: ruleIndex does not point at rule %s", r, rid ? rid : "");
    need(c, !get(res, "level") || one_of(str(res, "level"), "none,note,warning,error"),
         "result.level", "result %d: level", r);
    need(c, !get(res, "baselineState") ||
                one_of(str(res, "baselineState"), "new,unchanged,updated,absent"),
         "result.baselineState", "result %d: baselineState", r);
    const cJSON *locs = get(res, "locations");
    int nl = cJSON_IsArray(locs) ? cJSON_GetArraySize(locs) : 0;
    need(c, nl >= 1 && nl <= 1000, "result.locations",
         "result %d: %d locations (code scanning needs 1 to 1000)", r, nl);
    cJSON_ArrayForEach(it, arr(locs))
        check_location(c, it, bases, r, o);
    const cJSON *pf = get(res, "partialFingerprints");
    need(c, str(pf, "primaryLocationLineHash") != NULL, "result.fingerprint",
         "result %d: no partialFingerprints.primaryLocationLineHash", r);
    cJSON_ArrayForEach(it, obj(pf))
        need(c, cJSON_IsString(it), "result.fingerprint", "result %d: fingerprint %s not a string",
             r, it->string);
}

/* [schema] originalUriBaseIds: an entry without uriBaseId has an absolute
 * URI ending in '/', or none. */
static void check_bases(ctx *c, const cJSON *bases)
{
    need(c, cJSON_IsObject(bases), "run.originalUriBaseIds", "run has no originalUriBaseIds");
    need(c, cJSON_IsObject(get(bases, "%SRCROOT%")), "run.originalUriBaseIds",
         "originalUriBaseIds does not define %%SRCROOT%%");
    const cJSON *it;
    cJSON_ArrayForEach(it, obj(bases)) {
        const char *u = str(it, "uri");
        if (!u || get(it, "uriBaseId"))
            continue;
        size_t n = strlen(u), colon = strcspn(u, ":/");
        need(c, u[colon] == ':' && uri_chars_ok(u) && u[n - 1] == '/',
             "run.originalUriBaseIds", "%s: uri %s is not absolute or lacks the final '/'",
             it->string, u);
    }
}

static void check_run(ctx *c, const cJSON *run, const fm_sarif_opts *o)
{
    const cJSON *driver = get(get(run, "tool"), "driver");
    need(c, str(driver, "name") != NULL, "driver.name", "no tool.driver.name");
    const cJSON *rules = get(driver, "rules"), *it;
    need(c, cJSON_IsArray(rules) && cJSON_GetArraySize(rules) <= 25000, "driver.rules",
         "tool.driver.rules missing or over 25000");
    int i = 0;
    cJSON_ArrayForEach(it, arr(rules))
        check_rule(c, it, rules, i++, o);
    const cJSON *bases = get(run, "originalUriBaseIds");
    check_bases(c, bases);
    const cJSON *results = get(run, "results");
    need(c, cJSON_IsArray(results) && cJSON_GetArraySize(results) <= 25000, "run.results",
         "results missing or over 25000");
    i = 0;
    cJSON_ArrayForEach(it, arr(results)) {
        check_result(c, it, i, rules, bases, o);
        /* Code scanning merges results with one fingerprint into one alert. */
        const char *fp = str(get(it, "partialFingerprints"), "primaryLocationLineHash");
        const cJSON *prev;
        int k = 0;
        cJSON_ArrayForEach(prev, results) {
            if (k++ >= i)
                break;
            const char *pfp = str(get(prev, "partialFingerprints"), "primaryLocationLineHash");
            need(c, !fp || !pfp || strcmp(fp, pfp), "result.fingerprint",
                 "results %d and %d share fingerprint %s", k - 1, i, fp);
        }
        i++;
    }
}

int fm_sarif_check(const char *text, const fm_sarif_opts *o, fm_buf *log)
{
    ctx c = {log, 0};
    cJSON *j = cJSON_Parse(text);
    need(&c, cJSON_IsObject(j), "json", "not a JSON object");
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return c.bad;
    }
    need(&c, str(j, "version") && !strcmp(str(j, "version"), "2.1.0"), "version",
         "version is not \"2.1.0\"");
    const char *schema = str(j, "$schema");
    need(&c, schema && strstr(schema, "sarif") && strstr(schema, "2.1.0") && uri_chars_ok(schema),
         "$schema", "$schema is not a SARIF 2.1.0 schema URI");
    const cJSON *runs = get(j, "runs"), *run;
    int nruns = cJSON_IsArray(runs) ? cJSON_GetArraySize(runs) : 0;
    need(&c, nruns >= 1 && nruns <= 20, "runs", "%d runs (1 to 20)", nruns);
    cJSON_ArrayForEach(run, arr(runs))
        check_run(&c, run, o);
    cJSON_Delete(j);
    return c.bad;
}
