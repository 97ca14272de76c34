/* Click language lexer: tokens with exact positions, configuration strings
 * scanned as raw text up to their matching parenthesis. */
#include <ctype.h>
#include <string.h>

#include "click_internal.h"

void fm_lex_init(fm_lexer *lx, const char *s, size_t n, const char *path,
                 fm_error *err)
{
    lx->s = s;
    lx->n = n;
    lx->pos = 0;
    lx->line = 1;
    lx->line_start = 0;
    lx->path = path;
    lx->err = err;
}

static long col_of(const fm_lexer *lx, size_t off)
{
    return (long)(off - lx->line_start) + 1;
}

static int fail_at(fm_lexer *lx, size_t off, long line, long col,
                   const char *msg)
{
    (void)off;
    return fm_fail(lx->err, FM_ERR_INPUT, lx->path, line, col, "%s", msg);
}

/* Advance to index i, counting newlines on the way. */
static void advance_to(fm_lexer *lx, size_t i)
{
    for (size_t k = lx->pos; k < i && k < lx->n; k++)
        if (lx->s[k] == '\n') {
            lx->line++;
            lx->line_start = k + 1;
        }
    lx->pos = i;
}

static int is_word(int c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '@';
}

size_t fm_click_skip_quote(const char *s, size_t i, size_t end, int *closed)
{
    char q = s[i];
    for (i++; i < end; i++) {
        if (q == '"' && s[i] == '\\' && i + 1 < end) {
            i++;
        } else if (s[i] == q) {
            if (closed)
                *closed = 1;
            return i + 1;
        }
    }
    if (closed)
        *closed = 0;
    return end;
}

/* Index past a comment starting at s[i] ("//" or slash-star), or i if none;
 * *open is set when a block comment is not closed. */
static size_t skip_comment(const char *s, size_t i, size_t end, int *open)
{
    *open = 0;
    if (i + 1 >= end || s[i] != '/')
        return i;
    if (s[i + 1] == '/') {
        while (i < end && s[i] != '\n')
            i++;
        return i;
    }
    if (s[i + 1] == '*') {
        for (size_t k = i + 2; k + 1 < end; k++)
            if (s[k] == '*' && s[k + 1] == '/')
                return k + 2;
        *open = 1;
        return end;
    }
    return i;
}

size_t fm_click_skip_blank(const char *s, size_t i, size_t end)
{
    for (;;) {
        while (i < end && isspace((unsigned char)s[i]))
            i++;
        int open;
        size_t j = skip_comment(s, i, end, &open);
        if (j == i)
            return i;
        i = j;
    }
}

static int at_line_start(const fm_lexer *lx, size_t i)
{
    return i == 0 || lx->s[i - 1] == '\n' || lx->s[i - 1] == '\r';
}

/* Blanks, comments and '#' line directives before the next token. */
static int skip_trivia(fm_lexer *lx)
{
    const char *s = lx->s;
    size_t i = lx->pos;
    for (;;) {
        while (i < lx->n && isspace((unsigned char)s[i]))
            i++;
        if (i < lx->n && s[i] == '#' && at_line_start(lx, i)) {
            while (i < lx->n && s[i] != '\n')
                i++;
            continue;
        }
        int open;
        size_t j = skip_comment(s, i, lx->n, &open);
        if (open) {
            advance_to(lx, i);
            return fail_at(lx, i, lx->line, col_of(lx, i),
                           "unterminated comment ('/*' without '*/')");
        }
        if (j == i)
            break;
        i = j;
    }
    advance_to(lx, i);
    return 0;
}

static void set_tok(fm_lexer *lx, fm_tok *t, fm_tok_kind k, size_t len)
{
    t->kind = k;
    t->ch = lx->s[lx->pos];
    t->off = lx->pos;
    t->len = len;
    t->line = lx->line;
    t->col = col_of(lx, lx->pos);
    advance_to(lx, lx->pos + len);
}

static size_t word_len(const fm_lexer *lx, size_t i)
{
    size_t k = i;
    for (;;) {
        while (k < lx->n && is_word(lx->s[k]))
            k++;
        if (k + 1 < lx->n && lx->s[k] == '/' && is_word(lx->s[k + 1]))
            k++;
        else
            return k - i;
    }
}

static int lex_context_arrow(fm_lexer *lx, fm_tok *t)
{
    size_t k = lx->pos + 1;
    while (k < lx->n && (isalnum((unsigned char)lx->s[k]) || lx->s[k] == '/'))
        k++;
    if (k >= lx->n || lx->s[k] != '>')
        return fail_at(lx, lx->pos, lx->line, col_of(lx, lx->pos),
                       "malformed context arrow (expected '~>' or '~name>')");
    set_tok(lx, t, TK_ARROW, k + 1 - lx->pos);
    return 0;
}

int fm_lex_next(fm_lexer *lx, fm_tok *t)
{
    if (skip_trivia(lx) != 0)
        return -1;
    if (lx->pos >= lx->n) {
        t->kind = TK_EOF;
        t->ch = 0;
        t->off = lx->n;
        t->len = 0;
        t->line = lx->line;
        t->col = col_of(lx, lx->n);
        return 0;
    }
    const char *p = lx->s + lx->pos;
    size_t left = lx->n - lx->pos;
    if (is_word(*p)) {
        set_tok(lx, t, TK_IDENT, word_len(lx, lx->pos));
        return 0;
    }
    if (*p == '$' && left > 1 && (isalnum((unsigned char)p[1]) || p[1] == '_')) {
        size_t k = 1;
        while (k < left && (isalnum((unsigned char)p[k]) || p[k] == '_'))
            k++;
        set_tok(lx, t, TK_VAR, k);
        return 0;
    }
    if (*p == '~')
        return lex_context_arrow(lx, t);
    if (left >= 2) {
        if ((p[0] == '-' || p[0] == '=') && p[1] == '>') {
            set_tok(lx, t, TK_ARROW, 2);
            return 0;
        }
        if (p[0] == ':' && p[1] == ':') {
            set_tok(lx, t, TK_2COLON, 2);
            return 0;
        }
        if (p[0] == '|' && p[1] == '|') {
            set_tok(lx, t, TK_2BAR, 2);
            return 0;
        }
    }
    if (left >= 3 && p[0] == '.' && p[1] == '.' && p[2] == '.') {
        set_tok(lx, t, TK_3DOT, 3);
        return 0;
    }
    set_tok(lx, t, TK_CHAR, 1);
    return 0;
}

/* Skip "\<...>" starting at s[i] == '\\'. */
static size_t skip_backslash_angle(const char *s, size_t i, size_t end)
{
    for (i += 2; i < end; i++)
        if (s[i] == '>')
            return i + 1;
    return end;
}

int fm_lex_config(fm_lexer *lx, const fm_tok *open, fm_click_loc *inner)
{
    const char *s = lx->s;
    size_t start = lx->pos, i = lx->pos;
    unsigned depth = 1;
    while (i < lx->n) {
        char c = s[i];
        if (c == '(') {
            depth++;
        } else if (c == ')') {
            if (--depth == 0)
                break;
        } else if (c == '"' || c == '\'') {
            int closed;
            size_t j = fm_click_skip_quote(s, i, lx->n, &closed);
            if (!closed) {
                advance_to(lx, i);
                return fail_at(lx, i, lx->line, col_of(lx, i),
                               c == '"' ? "unterminated string (missing '\"')"
                                        : "unterminated string (missing \"'\")");
            }
            i = j;
            continue;
        } else if (c == '/') {
            int unclosed;
            size_t j = skip_comment(s, i, lx->n, &unclosed);
            if (unclosed) {
                advance_to(lx, i);
                return fail_at(lx, i, lx->line, col_of(lx, i),
                               "unterminated comment ('/*' without '*/')");
            }
            if (j != i) {
                i = j;
                continue;
            }
        } else if (c == '\\' && i + 1 < lx->n && s[i + 1] == '<') {
            i = skip_backslash_angle(s, i, lx->n);
            continue;
        }
        i++;
    }
    if (i >= lx->n)
        return fail_at(lx, open->off, open->line, open->col,
                       "missing ')': this '(' is never closed");
    long line = lx->line, col = col_of(lx, start);
    inner->off = start;
    inner->len = i - start;
    inner->line = line;
    inner->col = col;
    advance_to(lx, i + 1);
    return 0;
}

int fm_tok_is(const fm_lexer *lx, const fm_tok *t, const char *word)
{
    size_t n = strlen(word);
    return t->kind == TK_IDENT && t->len == n &&
           memcmp(lx->s + t->off, word, n) == 0;
}

void fm_tok_describe(const fm_lexer *lx, const fm_tok *t, char *out, size_t n)
{
    if (t->kind == TK_EOF) {
        snprintf(out, n, "end of file");
        return;
    }
    int len = t->len > 40 ? 40 : (int)t->len;
    const char *p = lx->s + t->off;
    if (t->kind == TK_CHAR && !isprint((unsigned char)*p))
        snprintf(out, n, "character 0x%02x", (unsigned char)*p);
    else
        snprintf(out, n, "'%.*s'", len, p);
}
