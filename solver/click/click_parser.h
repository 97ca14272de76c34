/* Private to the Click parser (click_parse.c, click_conn.c). */
#ifndef FM_SOLVER_CLICK_PARSER_H
#define FM_SOLVER_CLICK_PARSER_H

#include "click_internal.h"

#define MAX_NESTING 64
#define MAX_PORT 65535

typedef struct anon_use {
    int scope;
    char *name;
    fm_click_loc loc;
} anon_use;

typedef struct parser {
    fm_lexer lx;
    fm_click_config *c;
    fm_error *err;
    int anon;          /* anonymous element counter */
    int depth;         /* elementclass nesting */
    anon_use *uses;    /* identifiers taken as anonymous classes */
    size_t nuses;
} parser;

int fm_cp_fail_tok(parser *p, const fm_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int fm_cp_next(parser *p, fm_tok *t);
int fm_cp_peek(parser *p, fm_tok *t);
int fm_cp_peek2(parser *p, fm_tok *t1, fm_tok *t2);
int fm_cp_is_char(const fm_tok *t, char c);
char *fm_cp_tok_str(parser *p, const fm_tok *t);
fm_click_loc fm_cp_tok_loc(const fm_tok *t);
void fm_cp_describe(parser *p, const fm_tok *t, char *out, size_t n);
int fm_cp_is_reserved(parser *p, const fm_tok *t);
int fm_cp_add_decl(parser *p, int scope, char *name, char *cls, fm_click_loc loc,
                   fm_click_loc cls_loc);
int fm_cp_find_decl(parser *p, int scope, const char *s, size_t n);
int fm_cp_add_conn(parser *p, int scope, int from, int fport, int to, int tport,
                   const fm_tok *arrow);
void fm_cp_remember_use(parser *p, int scope, const fm_tok *t);
int fm_cp_check_declared_after_use(parser *p, int scope, const fm_tok *t);
int fm_cp_maybe_config(parser *p, int decl);
/* '{' consumed (open): the bodies of an elementclass; *first: its scope. */
int fm_cp_parse_body(parser *p, int parent, const char *name, const fm_tok *open,
                     int *first);
/* One connection statement (or declaration) in scope (click_conn.c). */
int fm_cp_connection(parser *p, int scope);

#endif
