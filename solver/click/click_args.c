/* Click configuration strings: splitting into arguments with positions,
 * keywords, quoting, and $variable expansion. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "click_internal.h"

/* A forward-only cursor turning offsets into line/column. */
typedef struct cursor {
    const char *s;
    size_t off;
    long line, col;
} cursor;

static void cursor_move(cursor *c, size_t off)
{
    for (; c->off < off; c->off++) {
        if (c->s[c->off] == '\n') {
            c->line++;
            c->col = 1;
        } else {
            c->col++;
        }
    }
}

static fm_click_loc loc_at(cursor *c, size_t off, size_t len)
{
    cursor_move(c, off);
    fm_click_loc l = {off, len, c->line, c->col};
    return l;
}

/* End of the last character of s[i..end) that is neither blank nor part of
 * a comment (i if there is none). */
static size_t content_end(const char *s, size_t i, size_t end)
{
    size_t last = i;
    while (i < end) {
        char c = s[i];
        if (c == '"' || c == '\'') {
            i = fm_click_skip_quote(s, i, end, NULL);
            last = i;
        } else if (c == '/' && i + 1 < end && (s[i + 1] == '/' || s[i + 1] == '*')) {
            size_t j = fm_click_skip_blank(s, i, end);
            i = j > i ? j : i + 1;
        } else if (isspace((unsigned char)c)) {
            i++;
        } else if (c == '\\' && i + 1 < end && s[i + 1] == '<') {
            while (i < end && s[i] != '>')
                i++;
            i = i < end ? i + 1 : end;
            last = i;
        } else {
            last = ++i;
        }
    }
    return last;
}

static void detect_keyword(const char *s, fm_click_arg *a, cursor *cur)
{
    size_t b = a->text.off, e = a->text.off + a->text.len, k = b;
    a->keyword = NULL;
    a->value = a->text;
    if (k >= e || !isupper((unsigned char)s[k]))
        return;
    while (k < e && (isupper((unsigned char)s[k]) || isdigit((unsigned char)s[k]) ||
                     s[k] == '_'))
        k++;
    /* "KEYWORD value": an upper-case word alone is a positional argument */
    if (k >= e || !isspace((unsigned char)s[k]))
        return;
    size_t v = k;
    while (v < e && isspace((unsigned char)s[v]))
        v++;
    a->keyword = fm_xstrndup(s + b, k - b);
    a->value = loc_at(cur, v, e - v);
}

static void emit(const char *s, size_t a, size_t b, cursor *cur,
                 fm_click_arg **args, size_t *n)
{
    *args = fm_xrealloc(*args, (*n + 1) * sizeof **args);
    fm_click_arg *x = &(*args)[(*n)++];
    memset(x, 0, sizeof *x);
    x->raw = loc_at(cur, a, b - a);
    size_t tb = fm_click_skip_blank(s, a, b);
    size_t te = content_end(s, tb, b);
    if (te < tb)
        te = tb;
    x->text = loc_at(cur, tb, te - tb);
    detect_keyword(s, x, cur);
}

void fm_click_split_args(const char *src, size_t off, size_t len, long line,
                         long col, fm_click_arg **args, size_t *nargs)
{
    *args = NULL;
    *nargs = 0;
    size_t end = off + len;
    if (fm_click_skip_blank(src, off, end) >= end)
        return; /* blank configuration: no argument */
    cursor cur = {src, off, line, col};
    size_t i = off, start = off;
    int depth = 0;
    while (i < end) {
        char c = src[i];
        if (c == '"' || c == '\'') {
            i = fm_click_skip_quote(src, i, end, NULL);
            continue;
        }
        if (c == '/' && i + 1 < end && (src[i + 1] == '/' || src[i + 1] == '*')) {
            size_t j = fm_click_skip_blank(src, i, end);
            i = j > i ? j : i + 1;
            continue;
        }
        if (c == '\\' && i + 1 < end && src[i + 1] == '<') {
            while (i < end && src[i] != '>')
                i++;
            i = i < end ? i + 1 : end;
            continue;
        }
        if (c == '(' || c == '[' || c == '{')
            depth++;
        else if ((c == ')' || c == ']' || c == '}') && depth > 0)
            depth--;
        else if (c == ',' && depth == 0) {
            emit(src, start, i, &cur, args, nargs);
            start = i + 1;
        }
        i++;
    }
    emit(src, start, end, &cur, args, nargs);
}

void fm_click_args_free(fm_click_arg *args, size_t nargs)
{
    for (size_t i = 0; i < nargs; i++)
        free(args[i].keyword);
    free(args);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One backslash escape inside "..." at s[i] == '\\'; returns chars used. */
static size_t unescape(const char *s, size_t i, size_t n, fm_buf *b)
{
    if (i + 1 >= n) {
        fm_buf_append(b, "\\", 1);
        return 1;
    }
    char c = s[i + 1], o;
    switch (c) {
    case 'n': o = '\n'; break;
    case 't': o = '\t'; break;
    case 'r': o = '\r'; break;
    case 'a': o = '\a'; break;
    case 'b': o = '\b'; break;
    case 'f': o = '\f'; break;
    case 'v': o = '\v'; break;
    case 'x':
        if (i + 3 < n && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
            o = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
            fm_buf_append(b, &o, 1);
            return 4;
        }
        o = 'x';
        break;
    case '\n':
        return 2; /* line continuation */
    default:
        o = c;
    }
    fm_buf_append(b, &o, 1);
    return 2;
}

char *fm_click_unquote(const char *s, size_t n)
{
    fm_buf b;
    fm_buf_init(&b);
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '"') {
            for (i++; i < n && s[i] != '"';)
                if (s[i] == '\\')
                    i += unescape(s, i, n, &b);
                else
                    fm_buf_append(&b, &s[i++], 1);
            i++;
        } else if (c == '\'') {
            size_t j = i + 1;
            while (j < n && s[j] != '\'')
                j++;
            fm_buf_append(&b, s + i + 1, j - i - 1);
            i = j + 1;
        } else {
            fm_buf_append(&b, &c, 1);
            i++;
        }
    }
    fm_buf_cstr(&b);
    return b.data;
}

static int plain_char(int c)
{
    return isalnum(c) || strchr("_./:+@%-", c) != NULL;
}

char *fm_click_quote(const char *s)
{
    int plain = *s != 0;
    for (const char *p = s; *p && plain; p++)
        plain = plain_char((unsigned char)*p);
    if (plain)
        return fm_xstrdup(s);
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_append(&b, "\"", 1);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            fm_buf_printf(&b, "\\%c", c);
        else if (c == '\n')
            fm_buf_puts(&b, "\\n");
        else if (c == '\t')
            fm_buf_puts(&b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            fm_buf_printf(&b, "\\x%02x", c);
        else
            fm_buf_append(&b, p, 1);
    }
    fm_buf_append(&b, "\"", 1);
    return b.data;
}

static int var_char(int c)
{
    return isalnum(c) || c == '_';
}

char *fm_click_expand(const char *text, size_t n, fm_click_lookup lookup,
                      void *ctx, size_t max, size_t *added)
{
    fm_buf b;
    fm_buf_init(&b);
    size_t i = 0, sub = 0;
    while (i < n) {
        if (sub > max) {
            fm_buf_free(&b);
            return NULL;
        }
        char c = text[i];
        if (c == '\'') {
            size_t j = fm_click_skip_quote(text, i, n, NULL);
            fm_buf_append(&b, text + i, j - i);
            i = j;
            continue;
        }
        if (c == '\\' && i + 1 < n) {
            fm_buf_append(&b, text + i, 2);
            i += 2;
            continue;
        }
        if (c == '$' && lookup) {
            size_t ns = i + 1, ne;
            int brace = ns < n && text[ns] == '{';
            if (brace)
                ns++;
            for (ne = ns; ne < n && var_char((unsigned char)text[ne]); ne++)
                ;
            int ok = ne > ns && (!brace || (ne < n && text[ne] == '}'));
            const char *v = ok ? lookup(ctx, text + ns, ne - ns) : NULL;
            if (v) {
                size_t vl = strlen(v);
                sub += vl;
                if (sub > max)
                    continue; /* refused at the top of the loop */
                fm_buf_append(&b, v, vl);
                i = ne + (size_t)brace;
                continue;
            }
        }
        fm_buf_append(&b, &c, 1);
        i++;
    }
    if (sub > max) {
        fm_buf_free(&b);
        return NULL;
    }
    if (added)
        *added = sub;
    fm_buf_cstr(&b);
    return b.data;
}
