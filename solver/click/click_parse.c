/* Click language parser: statements, declarations, connections, compound
 * classes, define/require.  Builds the positional AST of click.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "click_internal.h"
#include "click_parser.h"

/* Statements of scope up to the '}' (or '||') closing open, or to the end
 * of input when open is NULL; bodies nest, so this recurses. */
static int parse_stmts(parser *p, int scope, const fm_tok *open);

int fm_cp_fail_tok(parser *p, const fm_tok *t, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fm_fail(p->err, FM_ERR_INPUT, p->c->path, t->line, t->col, "%s", msg);
}

int fm_cp_next(parser *p, fm_tok *t)
{
    return fm_lex_next(&p->lx, t);
}

int fm_cp_peek(parser *p, fm_tok *t)
{
    fm_lexer save = p->lx;
    int rc = fm_lex_next(&p->lx, t);
    p->lx = save;
    return rc;
}

int fm_cp_peek2(parser *p, fm_tok *t1, fm_tok *t2)
{
    fm_lexer save = p->lx;
    int rc = fm_lex_next(&p->lx, t1);
    if (rc == 0)
        rc = fm_lex_next(&p->lx, t2);
    p->lx = save;
    return rc;
}

int fm_cp_is_char(const fm_tok *t, char c)
{
    return t->kind == TK_CHAR && t->ch == c;
}

char *fm_cp_tok_str(parser *p, const fm_tok *t)
{
    return fm_xstrndup(p->lx.s + t->off, t->len);
}

fm_click_loc fm_cp_tok_loc(const fm_tok *t)
{
    fm_click_loc l = {t->off, t->len, t->line, t->col};
    return l;
}

void fm_cp_describe(parser *p, const fm_tok *t, char *out, size_t n)
{
    fm_tok_describe(&p->lx, t, out, n);
}

int fm_cp_is_reserved(parser *p, const fm_tok *t)
{
    return fm_tok_is(&p->lx, t, "elementclass") || fm_tok_is(&p->lx, t, "require") ||
           fm_tok_is(&p->lx, t, "provide") || fm_tok_is(&p->lx, t, "define");
}

/* ---- building the AST ---- */

static int add_scope(parser *p, int parent, const char *name, fm_click_loc loc)
{
    fm_click_config *c = p->c;
    c->scopes = fm_xrealloc(c->scopes, (c->nscopes + 1) * sizeof *c->scopes);
    fm_click_scope *s = &c->scopes[c->nscopes];
    memset(s, 0, sizeof *s);
    s->parent = parent;
    s->class_name = name ? fm_xstrdup(name) : NULL;
    s->input_decl = s->output_decl = -1;
    s->next_overload = -1;
    s->loc = loc;
    return (int)c->nscopes++;
}

int fm_cp_add_decl(parser *p, int scope, char *name, char *cls, fm_click_loc loc,
                    fm_click_loc cls_loc)
{
    fm_click_config *c = p->c;
    c->decls = fm_xrealloc(c->decls, (c->ndecls + 1) * sizeof *c->decls);
    fm_click_decl *d = &c->decls[c->ndecls];
    memset(d, 0, sizeof *d);
    d->name = name;
    d->cls = cls;
    d->cls_scope = -1;
    d->scope = scope;
    d->loc = loc;
    d->cls_loc = cls_loc;
    d->decl_end = cls_loc.off + cls_loc.len;
    return (int)c->ndecls++;
}

int fm_cp_find_decl(parser *p, int scope, const char *s, size_t n)
{
    fm_click_config *c = p->c;
    for (size_t i = c->ndecls; i-- > 0;) {
        const fm_click_decl *d = &c->decls[i];
        if (d->scope == scope && !d->anonymous && strlen(d->name) == n &&
            memcmp(d->name, s, n) == 0)
            return (int)i;
    }
    return -1;
}

int fm_cp_add_conn(parser *p, int scope, int from, int fport, int to, int tport,
                    const fm_tok *arrow)
{
    fm_click_config *c = p->c;
    const fm_click_scope *s = &c->scopes[scope];
    if (from == s->output_decl)
        return fm_cp_fail_tok(p, arrow, "'output' cannot be the source of a connection");
    if (to == s->input_decl)
        return fm_cp_fail_tok(p, arrow, "'input' cannot be the target of a connection");
    c->conns = fm_xrealloc(c->conns, (c->nconns + 1) * sizeof *c->conns);
    fm_click_conn *k = &c->conns[c->nconns++];
    k->scope = scope;
    k->from = from;
    k->from_port = fport < 0 ? 0 : fport;
    k->to = to;
    k->to_port = tport < 0 ? 0 : tport;
    k->loc = fm_cp_tok_loc(arrow);
    return 0;
}

void fm_cp_remember_use(parser *p, int scope, const fm_tok *t)
{
    p->uses = fm_xrealloc(p->uses, (p->nuses + 1) * sizeof *p->uses);
    anon_use *u = &p->uses[p->nuses++];
    u->scope = scope;
    u->name = fm_cp_tok_str(p, t);
    u->loc = fm_cp_tok_loc(t);
}

/* A name declared after being used as an anonymous class is almost always
 * a mistake (Click does the same check). */
int fm_cp_check_declared_after_use(parser *p, int scope, const fm_tok *t)
{
    for (size_t i = 0; i < p->nuses; i++) {
        const anon_use *u = &p->uses[i];
        if (u->scope == scope && strlen(u->name) == t->len &&
            memcmp(u->name, p->lx.s + t->off, t->len) == 0)
            return fm_cp_fail_tok(p, t,
                            "element '%s' is declared after its use at line %ld, "
                            "col %ld (which made it an anonymous '%s' element); "
                            "declare elements before connecting them",
                            u->name, u->loc.line, u->loc.col, u->name);
    }
    return 0;
}

/* ---- configuration strings ---- */

static int parse_config(parser *p, int decl, const fm_tok *open)
{
    fm_click_loc inner;
    if (fm_lex_config(&p->lx, open, &inner) != 0)
        return -1;
    fm_click_decl *d = &p->c->decls[decl];
    d->has_config = 1;
    d->config = inner;
    d->decl_end = inner.off + inner.len + 1;
    fm_click_split_args(p->lx.s, inner.off, inner.len, inner.line, inner.col,
                        &d->args, &d->nargs);
    return 0;
}

int fm_cp_maybe_config(parser *p, int decl)
{
    fm_tok t;
    if (fm_cp_peek(p, &t) != 0)
        return -1;
    if (!fm_cp_is_char(&t, '('))
        return 0;
    fm_cp_next(p, &t);
    return parse_config(p, decl, &t);
}

/* ---- elementclass bodies ---- */

static int add_formal(parser *p, int scope, char *var, char *kw)
{
    fm_click_scope *s = &p->c->scopes[scope];
    s->formals = fm_xrealloc(s->formals, (s->nformals + 1) * sizeof *s->formals);
    s->formals[s->nformals].var = var;
    s->formals[s->nformals].keyword = kw;
    s->nformals++;
    return 0;
}

static int parse_one_formal(parser *p, int scope)
{
    fm_tok t, v;
    char buf[64];
    if (fm_cp_next(p, &t) != 0)
        return -1;
    if (t.kind == TK_3DOT)
        return add_formal(p, scope, fm_xstrdup("..."), NULL);
    if (t.kind == TK_VAR)
        return add_formal(p, scope, fm_xstrndup(p->lx.s + t.off + 1, t.len - 1), NULL);
    if (t.kind == TK_IDENT) {
        if (fm_cp_next(p, &v) != 0)
            return -1;
        if (v.kind != TK_VAR) {
            fm_cp_describe(p, &v, buf, sizeof buf);
            return fm_cp_fail_tok(p, &v, "expected a '$variable' after keyword formal, got %s",
                            buf);
        }
        return add_formal(p, scope, fm_xstrndup(p->lx.s + v.off + 1, v.len - 1),
                          fm_cp_tok_str(p, &t));
    }
    fm_cp_describe(p, &t, buf, sizeof buf);
    return fm_cp_fail_tok(p, &t, "expected a formal parameter ('$name'), got %s", buf);
}

static int parse_formals(parser *p, int scope)
{
    fm_tok t1, t2;
    char buf[64];
    if (fm_cp_peek2(p, &t1, &t2) != 0)
        return -1;
    if (fm_cp_is_char(&t1, '|')) {
        fm_cp_next(p, &t1);
        return 0;
    }
    int has = t1.kind == TK_VAR || t1.kind == TK_3DOT ||
              (t1.kind == TK_IDENT && t2.kind == TK_VAR);
    if (!has)
        return 0;
    for (;;) {
        if (parse_one_formal(p, scope) != 0 || fm_cp_next(p, &t1) != 0)
            return -1;
        if (fm_cp_is_char(&t1, '|'))
            return 0;
        if (!fm_cp_is_char(&t1, ',')) {
            fm_cp_describe(p, &t1, buf, sizeof buf);
            return fm_cp_fail_tok(p, &t1, "expected ',' or '|' in the formal parameter "
                                    "list, got %s", buf);
        }
    }
}

static int add_pseudo(parser *p, int scope, const char *name, fm_click_loc loc)
{
    int d = fm_cp_add_decl(p, scope, fm_xstrdup(name), fm_xstrdup(name), loc, loc);
    p->c->decls[d].pseudo = 1;
    return d;
}

/* '{' already consumed (open).  Returns the first overload's scope. */
int fm_cp_parse_body(parser *p, int parent, const char *name, const fm_tok *open,
                      int *first)
{
    if (++p->depth > MAX_NESTING)
        return fm_cp_fail_tok(p, open, "elementclass bodies nested more than %d deep",
                        MAX_NESTING);
    int prev = -1;
    *first = -1;
    for (;;) {
        int s = add_scope(p, parent, name, fm_cp_tok_loc(open));
        if (*first < 0)
            *first = s;
        if (prev >= 0) {
            p->c->scopes[prev].next_overload = s;
            p->c->scopes[s].is_overload = 1;
        }
        int in = add_pseudo(p, s, "input", fm_cp_tok_loc(open));
        int out = add_pseudo(p, s, "output", fm_cp_tok_loc(open));
        p->c->scopes[s].input_decl = in;
        p->c->scopes[s].output_decl = out;
        if (parse_formals(p, s) != 0 || parse_stmts(p, s, open) != 0)
            return -1;
        fm_tok t;
        if (fm_cp_next(p, &t) != 0)
            return -1;
        if (t.kind == TK_2BAR) {
            prev = s;
            continue;
        }
        break; /* '}' (parse_stmts stops only there or at '||') */
    }
    p->depth--;
    return 0;
}

static int parse_elementclass(parser *p, int scope, const fm_tok *kw)
{
    fm_tok name, t;
    char buf[64];
    if (fm_cp_next(p, &name) != 0)
        return -1;
    if (name.kind != TK_IDENT || fm_cp_is_reserved(p, &name)) {
        fm_cp_describe(p, &name, buf, sizeof buf);
        return fm_cp_fail_tok(p, &name, "expected a class name after 'elementclass', got %s",
                        buf);
    }
    (void)kw;
    char *n = fm_cp_tok_str(p, &name);
    if (fm_cp_next(p, &t) != 0) {
        free(n);
        return -1;
    }
    int rc;
    if (fm_cp_is_char(&t, '{')) {
        int first;
        rc = fm_cp_parse_body(p, scope, n, &t, &first);
        if (rc == 0)
            p->c->scopes[first].loc = fm_cp_tok_loc(&name);
    } else if (t.kind == TK_IDENT && !fm_cp_is_reserved(p, &t)) {
        int s = add_scope(p, scope, n, fm_cp_tok_loc(&name));
        p->c->scopes[s].synonym = fm_cp_tok_str(p, &t);
        rc = 0;
    } else {
        fm_cp_describe(p, &t, buf, sizeof buf);
        rc = fm_cp_fail_tok(p, &t, "expected '{' or a class name after 'elementclass %s', "
                             "got %s", n, buf);
    }
    free(n);
    return rc;
}

/* ---- define / require / provide ---- */

static int add_define(parser *p, int scope, const fm_click_arg *a)
{
    const char *s = p->lx.s + a->text.off;
    size_t n = a->text.len, k = 1;
    if (n < 2 || s[0] != '$')
        return fm_fail(p->err, FM_ERR_INPUT, p->c->path, a->text.line, a->text.col,
                       "define: expected '$name value', got '%.*s'",
                       (int)(n > 40 ? 40 : n), s);
    while (k < n && (isalnum((unsigned char)s[k]) || s[k] == '_'))
        k++;
    if (k == 1 || (k < n && !isspace((unsigned char)s[k])))
        return fm_fail(p->err, FM_ERR_INPUT, p->c->path, a->text.line, a->text.col,
                       "define: '%.*s' is not a valid variable name",
                       (int)(k > 40 ? 40 : k), s);
    size_t v = k;
    while (v < n && isspace((unsigned char)s[v]))
        v++;
    fm_click_config *c = p->c;
    c->defines = fm_xrealloc(c->defines, (c->ndefines + 1) * sizeof *c->defines);
    fm_click_define *d = &c->defines[c->ndefines++];
    d->scope = scope;
    d->name = fm_xstrndup(s + 1, k - 1);
    d->value = fm_xstrndup(s + v, n - v);
    d->loc = a->text;
    return 0;
}

static int parse_special(parser *p, int scope, const fm_tok *kw)
{
    fm_tok open;
    char buf[64];
    if (fm_cp_next(p, &open) != 0)
        return -1;
    if (!fm_cp_is_char(&open, '(')) {
        fm_cp_describe(p, &open, buf, sizeof buf);
        return fm_cp_fail_tok(p, &open, "expected '(' after '%.*s', got %s", (int)kw->len,
                        p->lx.s + kw->off, buf);
    }
    fm_click_loc inner;
    if (fm_lex_config(&p->lx, &open, &inner) != 0)
        return -1;
    fm_click_config *c = p->c;
    if (!fm_tok_is(&p->lx, kw, "define")) {
        if (fm_tok_is(&p->lx, kw, "require")) {
            c->requires = fm_xrealloc(c->requires, (c->nrequires + 1) * sizeof *c->requires);
            c->requires[c->nrequires++] = inner;
        }
        return 0;
    }
    fm_click_arg *args;
    size_t n;
    fm_click_split_args(p->lx.s, inner.off, inner.len, inner.line, inner.col, &args, &n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (args[i].text.len)
            rc = add_define(p, scope, &args[i]);
    fm_click_args_free(args, n);
    return rc;
}

/* ---- statements ---- */

static int parse_stmts(parser *p, int scope, const fm_tok *open)
{
    fm_tok t;
    char buf[64];
    for (;;) {
        if (fm_cp_peek(p, &t) != 0)
            return -1;
        if (t.kind == TK_EOF) {
            if (open)
                return fm_cp_fail_tok(p, open, "missing '}': this elementclass body is "
                                         "never closed");
            return 0;
        }
        if (fm_cp_is_char(&t, ';')) {
            fm_cp_next(p, &t);
            continue;
        }
        if (fm_cp_is_char(&t, '}') || t.kind == TK_2BAR) {
            if (open)
                return 0;
            fm_cp_describe(p, &t, buf, sizeof buf);
            return fm_cp_fail_tok(p, &t, "unexpected %s outside an elementclass body", buf);
        }
        int rc;
        if (fm_tok_is(&p->lx, &t, "elementclass")) {
            fm_cp_next(p, &t);
            rc = parse_elementclass(p, scope, &t);
        } else if (fm_cp_is_reserved(p, &t)) {
            fm_cp_next(p, &t);
            rc = parse_special(p, scope, &t);
        } else {
            rc = fm_cp_connection(p, scope);
        }
        if (rc != 0)
            return -1;
    }
}

int fm_click_parse(const char *text, size_t len, const char *path,
                   fm_click_config *out, fm_error *err)
{
    memset(out, 0, sizeof *out);
    out->path = fm_xstrdup(path ? path : "<config>");
    out->text = fm_xstrndup(text, len);
    out->len = len;
    parser p;
    memset(&p, 0, sizeof p);
    p.c = out;
    p.err = err;
    fm_lex_init(&p.lx, out->text, len, out->path, err);
    fm_click_loc top = {0, 0, 1, 1};
    add_scope(&p, -1, NULL, top);
    int rc = parse_stmts(&p, 0, NULL);
    for (size_t i = 0; i < p.nuses; i++)
        free(p.uses[i].name);
    free(p.uses);
    if (rc != 0)
        fm_click_free(out);
    return rc;
}

int fm_click_load(const char *path, fm_click_config *out, fm_error *err)
{
    char *text;
    size_t len;
    memset(out, 0, sizeof *out);
    if (fm_read_file(path, &text, &len, err) != 0)
        return -1;
    if (memchr(text, 0, len)) {
        free(text);
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0,
                       "not a Click configuration (contains NUL bytes)");
    }
    int rc = fm_click_parse(text, len, path, out, err);
    free(text);
    return rc;
}

void fm_click_free(fm_click_config *c)
{
    for (size_t i = 0; i < c->ndecls; i++) {
        free(c->decls[i].name);
        free(c->decls[i].cls);
        fm_click_args_free(c->decls[i].args, c->decls[i].nargs);
    }
    free(c->decls);
    free(c->conns);
    for (size_t i = 0; i < c->nscopes; i++) {
        fm_click_scope *s = &c->scopes[i];
        free(s->class_name);
        free(s->synonym);
        for (size_t k = 0; k < s->nformals; k++) {
            free(s->formals[k].var);
            free(s->formals[k].keyword);
        }
        free(s->formals);
    }
    free(c->scopes);
    for (size_t i = 0; i < c->ndefines; i++) {
        free(c->defines[i].name);
        free(c->defines[i].value);
    }
    free(c->defines);
    free(c->requires);
    free(c->path);
    free(c->text);
    memset(c, 0, sizeof *c);
}

void fm_click_locate(const fm_click_config *c, size_t off, long *line, long *col)
{
    long l = 1, k = 1;
    for (size_t i = 0; i < off && i < c->len; i++) {
        if (c->text[i] == '\n') {
            l++;
            k = 1;
        } else {
            k++;
        }
    }
    *line = l;
    *col = k;
}
