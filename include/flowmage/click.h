/* flowmage — the Click configuration language: parser and element graph.
 *
 * The parser is hand-written and keeps exact source positions: every
 * declaration, its class name, its configuration text and every argument of
 * it (split on top-level commas) carry a byte offset, a length and a 1-based
 * line/column, so that the solver's writer can change one argument in place
 * and leave every other byte of the file alone.
 *
 * Language accepted (what Click and FastClick configurations use; element
 * groups "( ... )" and "..." class extensions are not supported):
 *
 *   a, b :: Class(config);            declarations (';' is optional)
 *   a [1] -> [0] Class(cfg) -> b;     connections with ports, anonymous
 *                                     elements inside chains; the context
 *                                     arrow '~>' is read as '->'
 *   c [0,1] => a, b;                  port and element lists ('=>' for
 *                                     many-to-many, pairwise)
 *   elementclass E { [0] -> x -> [1] }   implicit compound ports
 *   elementclass Name { $x, KW $y | input -> ... -> [1]output || ... }
 *   elementclass Name Other;          compound classes (overloads by arity)
 *   x :: { input -> A -> output }     anonymous compound classes
 *   define($name value, ...)          variables, used as $name or ${name}
 *   require(...), provide(...)
 *   // and / * * / comments, '#' line directives, "strings" with \escapes,
 *   'strings', \<hex> blobs, nested parentheses inside configurations.
 *
 * Ownership: fm_click_parse fills a caller-owned fm_click_config that
 * fm_click_free releases; likewise fm_click_graph_build / fm_click_graph_free.
 */
#ifndef FLOWMAGE_CLICK_H
#define FLOWMAGE_CLICK_H

#include <stddef.h>

#include "flowmage/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A byte range of the source and the line/column (1-based, columns count
 * bytes) of its first byte. */
typedef struct fm_click_loc {
    size_t off, len;
    long line, col;
} fm_click_loc;

/* One configuration argument. */
typedef struct fm_click_arg {
    fm_click_loc raw;   /* everything between its separators (commas/parens) */
    fm_click_loc text;  /* trimmed of surrounding blanks and comments */
    char *keyword;      /* leading upper-case keyword ("MODE"), or NULL */
    fm_click_loc value; /* text after the keyword and its blanks; == text
                           when the argument is positional */
} fm_click_arg;

typedef struct fm_click_decl {
    char *name;          /* as written; "Class@N" for anonymous elements */
    char *cls;           /* class name as written; "" for an inline compound */
    int cls_scope;       /* inline compound ("x :: { ... }"): its scope, else -1 */
    int scope;           /* scope the declaration belongs to */
    int anonymous;       /* declared inside a connection without a name */
    int pseudo;          /* the "input"/"output" of a compound body */
    fm_click_loc loc;    /* the name (or the class, when anonymous) */
    fm_click_loc cls_loc;/* the class name */
    int has_config;      /* written with parentheses */
    fm_click_loc config; /* text between the parentheses (len 0 if none) */
    size_t decl_end;     /* offset just past ')' or past the class name */
    fm_click_arg *args;
    size_t nargs;
} fm_click_decl;

typedef struct fm_click_conn {
    int scope;
    int from, from_port; /* declaration indices */
    int to, to_port;
    fm_click_loc loc;    /* the arrow */
} fm_click_conn;

typedef struct fm_click_formal {
    char *var;           /* without '$'; "..." for a rest formal */
    char *keyword;       /* "KW" for "KW $var", else NULL */
} fm_click_formal;

/* Scope 0 is the file; every elementclass body (each overload) is one more. */
typedef struct fm_click_scope {
    int parent;          /* -1 for the file */
    char *class_name;    /* NULL for the file, "" for an anonymous compound */
    char *synonym;       /* "elementclass A B": "B", body empty */
    fm_click_formal *formals;
    size_t nformals;
    int input_decl, output_decl; /* pseudo declarations, -1 for the file */
    int next_overload;   /* the body after "||", or -1 */
    int is_overload;     /* 1 for the second and later bodies */
    fm_click_loc loc;    /* the class name (or '{' when anonymous) */
} fm_click_scope;

typedef struct fm_click_define {
    int scope;
    char *name;          /* without '$' */
    char *value;         /* unexpanded text */
    fm_click_loc loc;
} fm_click_define;

typedef struct fm_click_config {
    char *path;
    char *text;          /* the whole file, NUL-terminated */
    size_t len;
    fm_click_decl *decls;
    size_t ndecls;
    fm_click_conn *conns;
    size_t nconns;
    fm_click_scope *scopes;
    size_t nscopes;
    fm_click_define *defines;
    size_t ndefines;
    fm_click_loc *requires; /* the inside of each require(...) */
    size_t nrequires;
} fm_click_config;

/* Parse text (need not be NUL-terminated; it is copied).  On a syntax error
 * returns -1 with err = FM_ERR_INPUT, path:line:col and a precise message. */
int fm_click_parse(const char *text, size_t len, const char *path,
                   fm_click_config *out, fm_error *err);
int fm_click_load(const char *path, fm_click_config *out, fm_error *err);
void fm_click_free(fm_click_config *c);

/* Split the configuration text at [off, off+len) of src on top-level commas.
 * line/col locate off.  Empty arguments are kept (text.len == 0); a config
 * made only of blanks has no argument. */
void fm_click_split_args(const char *src, size_t off, size_t len, long line,
                         long col, fm_click_arg **args, size_t *nargs);
void fm_click_args_free(fm_click_arg *args, size_t nargs);

/* Remove one level of Click quoting ("..." with \ escapes, '...') from a
 * value; other text is returned as is.  Result is malloc'd. */
char *fm_click_unquote(const char *s, size_t n);
/* Quote a value for a configuration when it needs it; malloc'd. */
char *fm_click_quote(const char *s);

/* ---- the element graph, after compound expansion ---- */

typedef struct fm_click_elem {
    char *name;          /* "c/x" inside compound instance "c" */
    char *cls;           /* primitive class */
    int decl;            /* source declaration */
    int in_compound;     /* 1 when instantiated from an elementclass body */
    char **args;         /* arguments after $variable expansion, trimmed */
    char **keywords;     /* per argument: keyword or NULL */
    char **values;       /* per argument: value after the keyword */
    size_t nargs;
} fm_click_elem;

typedef struct fm_click_edge {
    int from, from_port, to, to_port;
} fm_click_edge;

typedef struct fm_click_graph {
    fm_click_elem *elems;
    size_t n;
    fm_click_edge *edges;
    size_t nedges;
} fm_click_graph;

/* Instantiate compounds, expand variables, connect.  Errors (unknown formal
 * count, recursion, size limits) carry the declaration's position. */
int fm_click_graph_build(const fm_click_config *c, fm_click_graph *g,
                         fm_error *err);
void fm_click_graph_free(fm_click_graph *g);
int fm_click_graph_find(const fm_click_graph *g, const char *name);
/* Last value given to keyword kw (unquoted, malloc'd), or NULL. */
char *fm_click_elem_keyword(const fm_click_elem *e, const char *kw);
/* Positional argument i (0-based, counting positional ones only),
 * unquoted and malloc'd, or NULL. */
char *fm_click_elem_positional(const fm_click_elem *e, size_t i);

/* Line and column of a byte offset of c->text. */
void fm_click_locate(const fm_click_config *c, size_t off, long *line,
                     long *col);

#ifdef __cplusplus
}
#endif
#endif
