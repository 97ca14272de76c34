/* Step 5 of solve: minimal edits.  Only the arguments whose value changes
 * are touched; a missing keyword is appended after the last argument in the
 * separator style the declaration already uses; everything else stays byte
 * for byte.  Dialects: flowrules (MODE flow + FLOW_RULES_FILE and a rules
 * file in testpmd syntax) and hashfunc (HASHFUNC "fields" [+ HASHKEY]). */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "click/click_internal.h"
#include "flowmage/solve.h"
#include "solve_internal.h"
#include "solve_write.h"

static char *join3(const char *a, const char *b, const char *c)
{
    size_t x = strlen(a), y = strlen(b), z = strlen(c);
    char *s = fm_xmalloc(x + y + z + 1);
    memcpy(s, a, x);
    memcpy(s + x, b, y);
    memcpy(s + x + y, c, z + 1);
    return s;
}

typedef fm_planner planner;
typedef fm_want want;

void fm_want_set(fm_want *w, const char *kw, const char *plain)
{
    w->kw = kw;
    w->plain = fm_xstrdup(plain);
    w->value = fm_click_quote(plain);
}

void fm_want_set_quoted(fm_want *w, const char *kw, const char *plain)
{
    w->kw = kw;
    w->plain = fm_xstrdup(plain);
    char *q = fm_click_quote(plain);
    w->value = q[0] == '"' ? q : join3("\"", q, "\"");
    if (w->value != q)
        free(q);
}

void fm_want_free(fm_want *w)
{
    free(w->value);
    free(w->plain);
    memset(w, 0, sizeof *w);
}

/* ---- edits ---- */

/* kw/value: the keyword and new value the edit writes (NULL for pure
 * punctuation). */
static fm_solve_edit *add_edit(planner *p, size_t off, size_t len, const char *text,
                               const fm_target *d, const want *w)
{
    fm_solve_output *o = p->out;
    o->edits = fm_xrealloc(o->edits, (o->nedits + 1) * sizeof *o->edits);
    fm_solve_edit *e = &o->edits[o->nedits++];
    memset(e, 0, sizeof *e);
    e->off = off;
    e->len = len;
    e->text = fm_xstrdup(text);
    e->element = fm_xstrdup(d->name);
    e->keyword = w ? fm_xstrdup(w->kw) : NULL;
    e->new_value = w ? fm_xstrdup(w->value) : NULL;
    e->seq = p->seq++;
    fm_click_locate(p->cfg, off, &e->line, &e->col);
    return e;
}


/* Separator style of a declaration: one argument per line (*newline set,
 * indent = the blanks that start the last argument's line, prefixed with the
 * file's line ending) or the inline text between arguments (", "). */
static void separator(const fm_click_config *cfg, const fm_click_decl *d,
                      const fm_click_arg *prev, const fm_click_arg *last,
                      int *newline, char *indent, size_t n)
{
    const char *t = cfg->text;
    size_t a = prev ? prev->text.off + prev->text.len : d->config.off;
    size_t b = last->text.off;
    size_t nl = SIZE_MAX;
    for (size_t i = a; i < b; i++)
        if (t[i] == '\n')
            nl = i;
    *newline = nl != SIZE_MAX;
    if (*newline) {
        int crlf = nl > 0 && t[nl - 1] == '\r';
        size_t w = 0;
        snprintf(indent, n, "%s", crlf ? "\r\n" : "\n");
        size_t used = strlen(indent);
        while (nl + 1 + w < b && (t[nl + 1 + w] == ' ' || t[nl + 1 + w] == '\t') &&
               used + w + 1 < n)
            w++;
        memcpy(indent + used, t + nl + 1, w);
        indent[used + w] = 0;
        return;
    }
    int clean = prev != NULL && b - a < n;
    for (size_t i = a; clean && i < b; i++)
        clean = t[i] == ',' || t[i] == ' ' || t[i] == '\t';
    if (clean) {
        memcpy(indent, t + a, b - a);
        indent[b - a] = 0;
    } else {
        snprintf(indent, n, ", ");
    }
}

/* After the last argument: blanks, an optional ',', blanks, an optional
 * one-line comment, then the end of the line (or of the configuration).
 * Returns the insertion point (the '\n', or before "\r\n"), or SIZE_MAX. */
static size_t line_tail(const fm_click_config *cfg, const fm_click_decl *d, size_t p,
                        int *comma)
{
    const char *t = cfg->text;
    size_t end = d->config.off + d->config.len, i = p;
    *comma = 0;
    while (i < end && (t[i] == ' ' || t[i] == '\t'))
        i++;
    if (i < end && t[i] == ',') {
        *comma = 1;
        i++;
    }
    while (i < end && (t[i] == ' ' || t[i] == '\t'))
        i++;
    if (i + 1 < end && t[i] == '/' && t[i + 1] == '/') {
        while (i < end && t[i] != '\n')
            i++;
    } else if (i + 1 < end && t[i] == '/' && t[i + 1] == '*') {
        size_t j = fm_click_skip_blank(t, i, end);
        for (size_t k = i; k < j; k++)
            if (t[k] == '\n')
                return SIZE_MAX;
        i = j;
        while (i < end && (t[i] == ' ' || t[i] == '\t'))
            i++;
    }
    if (i + 1 < end && t[i] == '\r' && t[i + 1] == '\n')
        return i;
    return i >= end || t[i] == '\n' ? i : SIZE_MAX;
}

/* nl_indent: line ending and indentation of a new argument line. */
static void append_newline_style(planner *p, const fm_target *d,
                                 const fm_click_decl *decl, size_t at,
                                 const char *nl_indent, char **items, const want *w,
                                 size_t n)
{
    int comma;
    size_t eol = line_tail(p->cfg, decl, at, &comma);
    if (eol == SIZE_MAX) { /* something odd after the argument: insert here */
        for (size_t i = 0; i < n; i++) {
            char *s = join3(",", nl_indent, items[i]);
            add_edit(p, at, 0, s, d, &w[i]);
            free(s);
        }
        return;
    }
    if (!comma)
        add_edit(p, at, 0, ",", d, NULL);
    for (size_t i = 0; i < n; i++) {
        char *s = join3(i ? "," : "", nl_indent, items[i]);
        if (comma && i + 1 == n) {
            char *t = join3(s, ",", "");
            free(s);
            s = t;
        }
        add_edit(p, eol, 0, s, d, &w[i]);
        free(s);
    }
}

static void append_args(planner *p, const fm_target *d, char **items,
                        const want *w, size_t n)
{
    const fm_click_decl *decl = &p->cfg->decls[d->decl];
    if (!decl->has_config) {
        for (size_t i = 0; i < n; i++) {
            char *s = join3(i ? ", " : "(", items[i], i + 1 == n ? ")" : "");
            add_edit(p, decl->cls_loc.off + decl->cls_loc.len, 0, s, d, &w[i]);
            free(s);
        }
        return;
    }
    const fm_click_arg *last = NULL, *prev = NULL;
    for (size_t i = 0; i < decl->nargs; i++)
        if (decl->args[i].text.len) {
            prev = last;
            last = &decl->args[i];
        }
    if (!last) {
        for (size_t i = 0; i < n; i++) {
            char *s = join3(i ? ", " : "", items[i], "");
            add_edit(p, decl->config.off, 0, s, d, &w[i]);
            free(s);
        }
        return;
    }
    char indent[128];
    int newline;
    separator(p->cfg, decl, prev, last, &newline, indent, sizeof indent);
    size_t at = last->text.off + last->text.len;
    if (newline) {
        append_newline_style(p, d, decl, at, indent, items, w, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char *s = join3(indent, items[i], "");
        add_edit(p, at, 0, s, d, &w[i]);
        free(s);
    }
}

static int set_value(planner *p, const fm_target *d, const want *w,
                     char **appended, const want **awant, size_t *nappend,
                     fm_error *err)
{
    const fm_click_elem *e = &p->res->graph->elems[d->elem];
    const fm_click_decl *decl = &p->cfg->decls[d->decl];
    char *cur = fm_click_elem_keyword(e, w->kw);
    int same = cur && strcmp(cur, w->plain) == 0, found = 0;
    for (size_t i = 0; !same && i < decl->nargs; i++) {
        const fm_click_arg *a = &decl->args[i];
        if (!a->keyword || strcmp(a->keyword, w->kw) != 0)
            continue;
        found = 1;
        const char *old = p->cfg->text + a->value.off;
        int quoted = a->value.len && old[0] == '"' && w->value[0] != '"';
        char *v = quoted ? join3("\"", w->plain, "\"") : fm_xstrdup(w->value);
        char *text = a->value.len ? fm_xstrdup(v) : join3(" ", v, "");
        fm_solve_edit *ed = add_edit(p, a->value.off, a->value.len, text, d, w);
        ed->old_value = fm_xstrndup(old, a->value.len);
        free(ed->new_value);
        ed->new_value = v;
        free(text);
    }
    if (!same && !found && cur) {
        free(cur);
        return fm_fail(err, FM_ERR_INPUT, p->cfg->path, decl->loc.line, decl->loc.col,
                       "cannot change %s of '%s': its value comes from a $variable "
                       "that expands to several arguments; edit it by hand",
                       w->kw, d->name);
    }
    if (!same && !found) {
        appended[*nappend] = join3(w->kw, " ", w->value);
        awant[(*nappend)++] = w;
    }
    free(cur);
    return 0;
}

int fm_plan_device(planner *p, const fm_solve_device *dev, const want *w, size_t n,
                   fm_error *err)
{
    fm_target t = {dev->elem, dev->decl, dev->name};
    return fm_plan_element(p, &t, w, n, err);
}

int fm_plan_element(planner *p, const fm_target *d, const want *w, size_t n,
                    fm_error *err)
{
    char *appended[4];
    const want *aw[4];
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        if (set_value(p, d, &w[i], appended, aw, &na, err) != 0)
            return -1;
    if (na) {
        want tmp[4];
        for (size_t i = 0; i < na; i++)
            tmp[i] = *aw[i];
        append_args(p, d, appended, tmp, na);
    }
    for (size_t i = 0; i < na; i++)
        free(appended[i]);
    return 0;
}

static int by_position(const void *a, const void *b)
{
    const fm_solve_edit *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int fm_apply_edits(planner *p, fm_error *err)
{
    fm_solve_output *o = p->out;
    if (o->nedits)
        qsort(o->edits, o->nedits, sizeof *o->edits, by_position);
    fm_buf b;
    fm_buf_init(&b);
    size_t pos = 0;
    for (size_t i = 0; i < o->nedits; i++) {
        const fm_solve_edit *e = &o->edits[i];
        if (e->off < pos) {
            fm_buf_free(&b);
            return fm_fail(err, FM_ERR_INTERNAL, p->cfg->path, e->line, e->col,
                           "overlapping edits (internal error)");
        }
        fm_buf_append(&b, p->cfg->text + pos, e->off - pos);
        fm_buf_puts(&b, e->text);
        pos = e->off + e->len;
    }
    fm_buf_append(&b, p->cfg->text + pos, p->cfg->len - pos);
    fm_buf_cstr(&b);
    o->config = b.data;
    o->len = b.len;
    return 0;
}
