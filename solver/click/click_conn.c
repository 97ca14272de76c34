/* Click connections: elements and declarations inside chains, port lists,
 * element lists ("a, b => c"), implicit compound ports ("[0] -> x",
 * "x -> [0]"), and multiple declarations ("a, b :: X"). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "click_parser.h"

#define MAX_LIST 64 /* ports in one [...] and elements in one list */

typedef struct item {
    int decl;            /* -1: implicit input/output of a compound body */
    int in[MAX_LIST], nin;
    int out[MAX_LIST], nout;
    fm_tok at;           /* first token, for messages */
} item;

typedef struct group {
    item v[MAX_LIST];
    int n;
} group;

static int is_arrow(const fm_tok *t)
{
    return t->kind == TK_ARROW;
}

/* '[' consumed: "n, m, ...]". */
static int parse_ports(parser *p, int *ports, int *n)
{
    fm_tok t, sep;
    char buf[64];
    *n = 0;
    for (;;) {
        if (fm_cp_next(p, &t) != 0)
            return -1;
        int ok = t.kind == TK_IDENT && t.len <= 6;
        for (size_t i = 0; ok && i < t.len; i++)
            ok = isdigit((unsigned char)p->lx.s[t.off + i]);
        if (!ok) {
            fm_cp_describe(p, &t, buf, sizeof buf);
            return fm_cp_fail_tok(p, &t, "expected a port number inside '[...]', got %s",
                                  buf);
        }
        long v = strtol(p->lx.s + t.off, NULL, 10);
        if (v > MAX_PORT)
            return fm_cp_fail_tok(p, &t, "port number %ld is too large", v);
        if (*n == MAX_LIST)
            return fm_cp_fail_tok(p, &t, "more than %d ports in one list", MAX_LIST);
        ports[(*n)++] = (int)v;
        if (fm_cp_next(p, &sep) != 0)
            return -1;
        if (fm_cp_is_char(&sep, ']'))
            return 0;
        if (!fm_cp_is_char(&sep, ',')) {
            fm_cp_describe(p, &sep, buf, sizeof buf);
            return fm_cp_fail_tok(p, &sep, "expected ']' after port number, got %s", buf);
        }
    }
}

static char *anon_name(parser *p, const char *cls)
{
    char buf[32];
    snprintf(buf, sizeof buf, "@%d", ++p->anon);
    size_t n = strlen(cls);
    char *s = fm_xmalloc(n + strlen(buf) + 1);
    memcpy(s, cls, n);
    strcpy(s + n, buf);
    return s;
}

static int redeclared(parser *p, int scope, const fm_tok *name)
{
    int prev = fm_cp_find_decl(p, scope, p->lx.s + name->off, name->len);
    if (prev < 0)
        return fm_cp_check_declared_after_use(p, scope, name);
    if (p->c->decls[prev].pseudo)
        return fm_cp_fail_tok(p, name, "'%.*s' is reserved inside an elementclass body",
                              (int)name->len, p->lx.s + name->off);
    return fm_cp_fail_tok(p, name, "redeclaration of element '%.*s' (first declared at "
                                   "line %ld, col %ld)", (int)name->len,
                          p->lx.s + name->off, p->c->decls[prev].loc.line,
                          p->c->decls[prev].loc.col);
}

/* "name :: Class(config)" or "name :: { body }"; the name is consumed. */
static int parse_declaration(parser *p, int scope, const fm_tok *name, int *decl)
{
    fm_tok colons, cls;
    char buf[64];
    fm_cp_next(p, &colons);
    if (redeclared(p, scope, name) != 0 || fm_cp_next(p, &cls) != 0)
        return -1;
    if (fm_cp_is_char(&cls, '{')) {
        *decl = fm_cp_add_decl(p, scope, fm_cp_tok_str(p, name), fm_xstrdup(""),
                               fm_cp_tok_loc(name), fm_cp_tok_loc(&cls));
        int first;
        if (fm_cp_parse_body(p, scope, "", &cls, &first) != 0)
            return -1;
        p->c->decls[*decl].cls_scope = first;
        p->c->decls[*decl].decl_end = p->lx.pos;
        return fm_cp_maybe_config(p, *decl);
    }
    if (cls.kind != TK_IDENT || fm_cp_is_reserved(p, &cls)) {
        fm_cp_describe(p, &cls, buf, sizeof buf);
        return fm_cp_fail_tok(p, &cls, "expected a class name after '::', got %s", buf);
    }
    *decl = fm_cp_add_decl(p, scope, fm_cp_tok_str(p, name), fm_cp_tok_str(p, &cls),
                           fm_cp_tok_loc(name), fm_cp_tok_loc(&cls));
    return fm_cp_maybe_config(p, *decl);
}

static int parse_anon_compound(parser *p, int scope, const fm_tok *open, int *decl)
{
    *decl = fm_cp_add_decl(p, scope, anon_name(p, "{}"), fm_xstrdup(""),
                           fm_cp_tok_loc(open), fm_cp_tok_loc(open));
    p->c->decls[*decl].anonymous = 1;
    int first;
    if (fm_cp_parse_body(p, scope, "", open, &first) != 0)
        return -1;
    p->c->decls[*decl].cls_scope = first;
    p->c->decls[*decl].decl_end = p->lx.pos;
    return fm_cp_maybe_config(p, *decl);
}

/* An element in a chain: a reference, a declaration, an anonymous element
 * ("Class(config)" or a class name not declared as an element), or an
 * anonymous compound "{ ... }". */
static int parse_element(parser *p, int scope, int *decl)
{
    fm_tok t, t2;
    char buf[64];
    if (fm_cp_next(p, &t) != 0)
        return -1;
    if (fm_cp_is_char(&t, '{'))
        return parse_anon_compound(p, scope, &t, decl);
    if (t.kind != TK_IDENT || fm_cp_is_reserved(p, &t)) {
        fm_cp_describe(p, &t, buf, sizeof buf);
        return fm_cp_fail_tok(p, &t, "expected an element or class name, got %s", buf);
    }
    if (fm_cp_peek(p, &t2) != 0)
        return -1;
    if (t2.kind == TK_2COLON)
        return parse_declaration(p, scope, &t, decl);
    if (!fm_cp_is_char(&t2, '(')) {
        int d = fm_cp_find_decl(p, scope, p->lx.s + t.off, t.len);
        if (d >= 0) {
            *decl = d;
            return 0;
        }
        if (fm_tok_is(&p->lx, &t, "input") || fm_tok_is(&p->lx, &t, "output"))
            return fm_cp_fail_tok(p, &t, "'%.*s' is only meaningful inside an "
                                         "elementclass body", (int)t.len,
                                  p->lx.s + t.off);
        fm_cp_remember_use(p, scope, &t);
    }
    char *cls = fm_cp_tok_str(p, &t);
    *decl = fm_cp_add_decl(p, scope, anon_name(p, cls), cls, fm_cp_tok_loc(&t),
                           fm_cp_tok_loc(&t));
    p->c->decls[*decl].anonymous = 1;
    return fm_cp_maybe_config(p, *decl);
}

static int starts_element(parser *p, const fm_tok *t)
{
    return fm_cp_is_char(t, '{') || (t->kind == TK_IDENT && !fm_cp_is_reserved(p, t));
}

/* [in-ports] element [out-ports]; the element may be missing (implicit
 * compound port), then decl = -1. */
static int parse_item(parser *p, int scope, item *it)
{
    fm_tok t, t2;
    it->decl = -1;
    it->nin = it->nout = 0;
    if (fm_cp_peek(p, &t) != 0)
        return -1;
    it->at = t;
    if (fm_cp_is_char(&t, '[')) {
        fm_cp_next(p, &t);
        if (parse_ports(p, it->in, &it->nin) != 0 || fm_cp_peek(p, &t) != 0)
            return -1;
    }
    if (starts_element(p, &t) && parse_element(p, scope, &it->decl) != 0)
        return -1;
    if (it->decl < 0 && !it->nin) {
        char buf[64];
        fm_cp_describe(p, &t, buf, sizeof buf);
        return fm_cp_fail_tok(p, &t, "expected an element, got %s", buf);
    }
    if (fm_cp_peek2(p, &t, &t2) != 0)
        return -1;
    if (it->decl >= 0 && fm_cp_is_char(&t, '[')) {
        fm_cp_next(p, &t);
        if (parse_ports(p, it->out, &it->nout) != 0 || fm_cp_peek(p, &t2) != 0)
            return -1;
        if (!is_arrow(&t2) && !fm_cp_is_char(&t2, ','))
            return fm_cp_fail_tok(p, &t, "output port [%d] is not followed by '->' "
                                         "(ports at the end of a chain are ignored by "
                                         "Click)", it->out[0]);
    }
    return 0;
}

/* item (',' item)* */
static int parse_group(parser *p, int scope, group *g)
{
    fm_tok t;
    g->n = 0;
    for (;;) {
        if (g->n == MAX_LIST)
            return fm_cp_fail_tok(p, &g->v[0].at, "more than %d elements in one list",
                                  MAX_LIST);
        if (parse_item(p, scope, &g->v[g->n]) != 0)
            return -1;
        g->n++;
        if (fm_cp_peek(p, &t) != 0)
            return -1;
        if (!fm_cp_is_char(&t, ','))
            return 0;
        fm_cp_next(p, &t);
    }
}

/* Implicit compound ports: "[0] -> x" is input[0], "x -> [1]" is [1]output. */
static int resolve_implicit(parser *p, int scope, group *g, int left)
{
    const fm_click_scope *s = &p->c->scopes[scope];
    for (int i = 0; i < g->n; i++) {
        item *it = &g->v[i];
        if (it->decl >= 0)
            continue;
        if (s->input_decl < 0)
            return fm_cp_fail_tok(p, &it->at, left ? "an input port needs a connection "
                                                     "before it ('x -> [port]y')"
                                                   : "expected an element after the port");
        if (left) {
            it->decl = s->input_decl;
            memcpy(it->out, it->in, sizeof it->in);
            it->nout = it->nin;
            it->nin = 0;
        } else {
            it->decl = s->output_decl;
        }
    }
    return 0;
}

typedef struct end {
    int decl, port;
} end;

static int expand(const group *g, int outputs, end *v)
{
    int n = 0;
    for (int i = 0; i < g->n; i++) {
        const item *it = &g->v[i];
        int np = outputs ? it->nout : it->nin;
        const int *ports = outputs ? it->out : it->in;
        for (int k = 0; k < (np ? np : 1); k++) {
            v[n].decl = it->decl;
            v[n++].port = np ? ports[k] : 0;
        }
    }
    return n;
}

static int connect(parser *p, int scope, const group *l, const group *r,
                   const fm_tok *arrow)
{
    end *outs = fm_xmalloc(sizeof(end) * MAX_LIST * MAX_LIST);
    end *ins = fm_xmalloc(sizeof(end) * MAX_LIST * MAX_LIST);
    int no = expand(l, 1, outs), ni = expand(r, 0, ins), rc = 0;
    int two = arrow->len == 2 && p->lx.s[arrow->off] == '=';
    if (no > 1 && ni > 1 && !two)
        rc = fm_cp_fail_tok(p, arrow, "many-to-many connections need '=>' (%d outputs, "
                                      "%d inputs)", no, ni);
    else if (no > 1 && ni > 1 && no != ni)
        rc = fm_cp_fail_tok(p, arrow, "connection mismatch: %d outputs connected to %d "
                                      "inputs", no, ni);
    for (int i = 0; rc == 0 && i < (no > ni ? no : ni); i++) {
        const end *o = &outs[no == 1 ? 0 : i], *x = &ins[ni == 1 ? 0 : i];
        rc = fm_cp_add_conn(p, scope, o->decl, o->port, x->decl, x->port, arrow);
    }
    free(outs);
    free(ins);
    return rc;
}

/* "a, b, c :: Class(config)": all names and the class are identifiers. */
static int is_multi_decl(parser *p)
{
    fm_lexer save = p->lx;
    fm_tok t;
    int names = 0, result = 0;
    for (;;) {
        if (fm_cp_next(p, &t) != 0 || t.kind != TK_IDENT || fm_cp_is_reserved(p, &t))
            break;
        names++;
        if (fm_cp_next(p, &t) != 0)
            break;
        if (t.kind == TK_2COLON) {
            result = names > 1;
            break;
        }
        if (!fm_cp_is_char(&t, ','))
            break;
    }
    p->lx = save;
    return result;
}

static int parse_multi_decl(parser *p, int scope)
{
    fm_tok names[MAX_LIST], t, cls, open;
    size_t n = 0;
    char buf[64];
    do {
        if (n == MAX_LIST)
            return fm_cp_fail_tok(p, &names[0], "more than %d names in one declaration",
                                  MAX_LIST);
        fm_cp_next(p, &names[n++]);
        fm_cp_next(p, &t);
    } while (fm_cp_is_char(&t, ','));
    if (fm_cp_next(p, &cls) != 0)
        return -1;
    if (cls.kind != TK_IDENT || fm_cp_is_reserved(p, &cls)) {
        fm_cp_describe(p, &cls, buf, sizeof buf);
        return fm_cp_fail_tok(p, &cls, "expected a class name after '::', got %s", buf);
    }
    int has_cfg = fm_cp_peek(p, &open) == 0 && fm_cp_is_char(&open, '(');
    fm_click_loc inner = {0, 0, 0, 0};
    if (has_cfg) {
        fm_cp_next(p, &open);
        if (fm_lex_config(&p->lx, &open, &inner) != 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (redeclared(p, scope, &names[i]) != 0)
            return -1;
        int d = fm_cp_add_decl(p, scope, fm_cp_tok_str(p, &names[i]),
                               fm_cp_tok_str(p, &cls), fm_cp_tok_loc(&names[i]),
                               fm_cp_tok_loc(&cls));
        fm_click_decl *x = &p->c->decls[d];
        if (has_cfg) {
            x->has_config = 1;
            x->config = inner;
            x->decl_end = inner.off + inner.len + 1;
            fm_click_split_args(p->lx.s, inner.off, inner.len, inner.line, inner.col,
                                &x->args, &x->nargs);
        }
    }
    if (fm_cp_peek(p, &t) != 0)
        return -1;
    if (is_arrow(&t))
        return fm_cp_fail_tok(p, &t, "a declaration of several elements cannot be "
                                     "connected; connect the elements by name");
    return 0;
}

int fm_cp_connection(parser *p, int scope)
{
    if (is_multi_decl(p))
        return parse_multi_decl(p, scope);
    group *l = fm_xmalloc(sizeof *l), *r = fm_xmalloc(sizeof *r);
    fm_tok t;
    int rc = parse_group(p, scope, l);
    for (int i = 0; rc == 0 && i < l->n; i++)
        if (l->v[i].decl >= 0 && l->v[i].nin)
            rc = fm_cp_fail_tok(p, &l->v[i].at, "an input port needs a connection before "
                                                "it ('x -> [port]y')");
    if (rc == 0)
        rc = resolve_implicit(p, scope, l, 1);
    while (rc == 0 && (rc = fm_cp_peek(p, &t)) == 0 && is_arrow(&t)) {
        fm_tok arrow, after;
        fm_cp_next(p, &arrow);
        if ((rc = fm_cp_peek(p, &after)) != 0)
            break;
        if (after.kind == TK_EOF || fm_cp_is_char(&after, ';') ||
            (fm_cp_is_char(&after, '}') && p->c->scopes[scope].input_decl < 0)) {
            rc = fm_cp_fail_tok(p, &after, "expected an element after '->'");
            break;
        }
        if (fm_cp_is_char(&after, '}'))
            rc = fm_cp_fail_tok(p, &after, "expected an element or '[port]' after '->'");
        if (rc == 0)
            rc = parse_group(p, scope, r);
        if (rc == 0)
            rc = resolve_implicit(p, scope, r, 0);
        if (rc == 0)
            rc = connect(p, scope, l, r, &arrow);
        group *tmp = l;
        l = r;
        r = tmp;
    }
    if (rc == 0 && l->n > 1 && l->v[0].decl >= 0 && !is_arrow(&t))
        for (int i = 0; i < l->n; i++)
            if (l->v[i].nout)
                rc = fm_cp_fail_tok(p, &l->v[i].at, "output ports ignored at the end of "
                                                    "a chain");
    free(l);
    free(r);
    return rc;
}
