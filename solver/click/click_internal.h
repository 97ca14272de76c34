/* Private to the Click parser (solver/click/click_*.c): the lexer and helpers. */
#ifndef FM_SOLVER_CLICK_INTERNAL_H
#define FM_SOLVER_CLICK_INTERNAL_H

#include "flowmage/click.h"

typedef enum {
    TK_EOF = 0,
    TK_IDENT,   /* word: [A-Za-z0-9_@] and '/' between word characters */
    TK_VAR,     /* $name */
    TK_ARROW,   /* "->", "=>" and the context arrow "~...>" */
    TK_2COLON,  /* "::" */
    TK_2BAR,    /* "||" */
    TK_3DOT,    /* "..." */
    TK_CHAR     /* any other single character (ch) */
} fm_tok_kind;

typedef struct fm_tok {
    fm_tok_kind kind;
    char ch;
    size_t off, len;
    long line, col;
} fm_tok;

typedef struct fm_lexer {
    const char *s;
    size_t n, pos;
    long line;
    size_t line_start;
    const char *path;
    fm_error *err;
} fm_lexer;

void fm_lex_init(fm_lexer *lx, const char *s, size_t n, const char *path,
                 fm_error *err);
/* Next token; -1 (err set) on an unterminated comment or a bad character. */
int fm_lex_next(fm_lexer *lx, fm_tok *t);
/* After the '(' token `open`, scan to the matching ')' (quotes, comments,
 * nested parentheses, \<hex>); inner receives the text between them. */
int fm_lex_config(fm_lexer *lx, const fm_tok *open, fm_click_loc *inner);
/* 1 if token t (an identifier) spells word. */
int fm_tok_is(const fm_lexer *lx, const fm_tok *t, const char *word);
/* Human-readable description of a token for error messages. */
void fm_tok_describe(const fm_lexer *lx, const fm_tok *t, char *out, size_t n);

/* Skip blanks and comments in s[i..end); returns the new index. */
size_t fm_click_skip_blank(const char *s, size_t i, size_t end);
/* Index just past a quoted string starting at s[i] (a quote), or end when
 * it is not closed (*closed, if not NULL, tells which). */
size_t fm_click_skip_quote(const char *s, size_t i, size_t end, int *closed);

/* Expand $name / ${name} in text using lookup (NULL = leave as is).  Single
 * quotes protect their content.  Result malloc'd, or NULL when the values
 * substituted add up to more than max bytes (nested definitions can grow
 * exponentially); text copied as it is never counts, however long.
 * *added (if not NULL) receives the bytes substituted. */
typedef const char *(*fm_click_lookup)(void *ctx, const char *name, size_t n);
char *fm_click_expand(const char *text, size_t n, fm_click_lookup lookup,
                      void *ctx, size_t max, size_t *added);
#define FM_CLICK_MAX_EXPANSION ((size_t)1 << 20)

#endif
