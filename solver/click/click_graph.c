/* The element graph: compound classes instantiated, $variables expanded,
 * the pseudo input/output elements of compounds bypassed port by port. */
#include <stdlib.h>
#include <string.h>

#include "click_internal.h"

#define MAX_DEPTH 32
#define MAX_ELEMS 20000
#define MAX_EDGES 200000
#define MAX_EXPANDED ((size_t)16 << 20) /* bytes of expanded configurations */

/* Variables visible in one compound instance (formals, local defines),
 * chained to the enclosing instance and finally to the file's defines. */
typedef struct env {
    const struct env *parent;
    char **names, **values;
    size_t n;
} env;

typedef struct builder {
    const fm_click_config *c;
    fm_click_graph *g;
    fm_error *err;
    unsigned char *pseudo; /* per node */
    size_t cap_elems, cap_edges;
    size_t expanded;       /* total bytes produced by variable expansion */
} builder;

static const char *env_lookup(void *ctx, const char *name, size_t n)
{
    for (const env *e = ctx; e; e = e->parent)
        for (size_t i = e->n; i-- > 0;)
            if (strlen(e->names[i]) == n && memcmp(e->names[i], name, n) == 0)
                return e->values[i];
    return NULL;
}

static void env_add(env *e, const char *name, char *value)
{
    e->names = fm_xrealloc(e->names, (e->n + 1) * sizeof *e->names);
    e->values = fm_xrealloc(e->values, (e->n + 1) * sizeof *e->values);
    e->names[e->n] = fm_xstrdup(name);
    e->values[e->n++] = value;
}

static void env_free(env *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->names[i]);
        free(e->values[i]);
    }
    free(e->names);
    free(e->values);
}

static int fail_decl(builder *b, int decl, const char *fmt, const char *a,
                     long x)
{
    const fm_click_loc *l = &b->c->decls[decl].loc;
    return fm_fail(b->err, FM_ERR_INPUT, b->c->path, l->line, l->col, fmt, a, x);
}

/* Expand with the builder's budget; NULL (err set at loc) when exceeded. */
static char *expand(builder *b, const char *text, size_t n, const env *e,
                    const fm_click_loc *loc)
{
    size_t left = b->expanded < MAX_EXPANDED ? MAX_EXPANDED - b->expanded : 0;
    size_t max = left < FM_CLICK_MAX_EXPANSION ? left : FM_CLICK_MAX_EXPANSION;
    size_t added = 0;
    char *x = fm_click_expand(text, n, env_lookup, (void *)e, max, &added);
    if (!x) {
        fm_fail(b->err, FM_ERR_INPUT, b->c->path, loc->line, loc->col,
                "$variables here expand to more than %zu bytes", max);
        return NULL;
    }
    b->expanded += added; /* what variables add; the text itself is bounded by the file */
    return x;
}

static int env_add_defines(builder *b, int scope, env *e)
{
    const fm_click_config *c = b->c;
    for (size_t i = 0; i < c->ndefines; i++)
        if (c->defines[i].scope == scope) {
            const char *v = c->defines[i].value;
            char *x = expand(b, v, strlen(v), e, &c->defines[i].loc);
            if (!x)
                return -1;
            env_add(e, c->defines[i].name, x);
        }
    return 0;
}

static int add_node(builder *b, char *name, const char *cls, int decl, int pseudo,
                    int in_compound)
{
    fm_click_graph *g = b->g;
    if (g->n >= MAX_ELEMS) {
        free(name);
        return fail_decl(b, decl, "configuration expands to more than %s%ld elements",
                         "", (long)MAX_ELEMS);
    }
    if (g->n == b->cap_elems) {
        b->cap_elems = b->cap_elems ? 2 * b->cap_elems : 64;
        g->elems = fm_xrealloc(g->elems, b->cap_elems * sizeof *g->elems);
        b->pseudo = fm_xrealloc(b->pseudo, b->cap_elems);
    }
    fm_click_elem *e = &g->elems[g->n];
    memset(e, 0, sizeof *e);
    e->name = name;
    e->cls = fm_xstrdup(cls);
    e->decl = decl;
    e->in_compound = in_compound;
    b->pseudo[g->n] = (unsigned char)pseudo;
    return (int)g->n++;
}

static int add_edge(builder *b, int from, int fport, int to, int tport)
{
    fm_click_graph *g = b->g;
    if (g->nedges >= MAX_EDGES)
        return fm_fail(b->err, FM_ERR_INPUT, b->c->path, 0, 0,
                       "configuration expands to more than %d connections", MAX_EDGES);
    if (g->nedges == b->cap_edges) {
        b->cap_edges = b->cap_edges ? 2 * b->cap_edges : 64;
        g->edges = fm_xrealloc(g->edges, b->cap_edges * sizeof *g->edges);
    }
    fm_click_edge e = {from, fport, to, tport};
    g->edges[g->nedges++] = e;
    return 0;
}

/* Arguments of a declaration after variable expansion (Click expands the
 * whole configuration, then splits it). */
static int expand_args(builder *b, const fm_click_decl *d, const env *e,
                       fm_click_elem *out)
{
    if (!d->has_config)
        return 0;
    char *x = expand(b, b->c->text + d->config.off, d->config.len, e, &d->loc);
    if (!x)
        return -1;
    fm_click_arg *args;
    size_t n;
    fm_click_split_args(x, 0, strlen(x), 1, 1, &args, &n);
    out->args = fm_xcalloc(n, sizeof *out->args);
    out->keywords = fm_xcalloc(n, sizeof *out->keywords);
    out->values = fm_xcalloc(n, sizeof *out->values);
    for (size_t i = 0; i < n; i++) {
        out->args[i] = fm_xstrndup(x + args[i].text.off, args[i].text.len);
        out->keywords[i] = args[i].keyword ? fm_xstrdup(args[i].keyword) : NULL;
        out->values[i] = fm_xstrndup(x + args[i].value.off, args[i].value.len);
    }
    out->nargs = n;
    fm_click_args_free(args, n);
    free(x);
    return 0;
}

/* The compound scope a class name means at declaration `decl`, or -1 for a
 * primitive class.  Lexical: the latest definition before the use, in the
 * declaring scope or an enclosing one; synonyms followed. */
static int resolve_class(const fm_click_config *c, int scope, const char *name,
                         size_t before, int hops)
{
    for (int s = scope; s >= 0 && hops < MAX_DEPTH; s = c->scopes[s].parent) {
        int best = -1;
        for (size_t k = 0; k < c->nscopes; k++) {
            const fm_click_scope *x = &c->scopes[k];
            if (x->parent == s && x->class_name && *x->class_name &&
                !x->is_overload && x->loc.off < before &&
                strcmp(x->class_name, name) == 0 &&
                (best < 0 || x->loc.off > c->scopes[best].loc.off))
                best = (int)k;
        }
        if (best < 0)
            continue;
        const fm_click_scope *x = &c->scopes[best];
        if (x->synonym)
            return resolve_class(c, x->parent, x->synonym, x->loc.off, hops + 1);
        return best;
    }
    return -1;
}

static int overload_fits(const fm_click_scope *s, const fm_click_elem *args)
{
    size_t npos = 0, fpos = 0;
    int rest = 0;
    for (size_t i = 0; i < s->nformals; i++) {
        if (strcmp(s->formals[i].var, "...") == 0)
            rest = 1;
        else if (!s->formals[i].keyword)
            fpos++;
    }
    for (size_t i = 0; i < args->nargs; i++) {
        if (!args->keywords[i]) {
            npos++;
            continue;
        }
        int known = 0;
        for (size_t k = 0; k < s->nformals; k++)
            if (s->formals[k].keyword && strcmp(s->formals[k].keyword, args->keywords[i]) == 0)
                known = 1;
        if (!known && !rest)
            return 0;
    }
    return npos == fpos || (rest && npos >= fpos);
}

static void bind_formals(const fm_click_scope *s, const fm_click_elem *args, env *e)
{
    size_t pos = 0;
    for (size_t i = 0; i < s->nformals; i++) {
        const fm_click_formal *f = &s->formals[i];
        if (strcmp(f->var, "...") == 0)
            continue;
        char *v = NULL;
        if (f->keyword) {
            for (size_t k = 0; k < args->nargs; k++)
                if (args->keywords[k] && strcmp(args->keywords[k], f->keyword) == 0) {
                    free(v);
                    v = fm_xstrdup(args->values[k]);
                }
        } else {
            while (pos < args->nargs && args->keywords[pos])
                pos++;
            if (pos < args->nargs)
                v = fm_xstrdup(args->args[pos++]);
        }
        env_add(e, f->var, v ? v : fm_xstrdup(""));
    }
}

static void free_elem_args(fm_click_elem *e)
{
    for (size_t i = 0; i < e->nargs; i++) {
        free(e->args[i]);
        free(e->keywords[i]);
        free(e->values[i]);
    }
    free(e->args);
    free(e->keywords);
    free(e->values);
    e->args = e->keywords = e->values = NULL;
    e->nargs = 0;
}

static char *join_name(const char *prefix, const char *name)
{
    size_t a = strlen(prefix), n = strlen(name);
    char *s = fm_xmalloc(a + n + 1);
    memcpy(s, prefix, a);
    memcpy(s + a, name, n + 1);
    return s;
}

static int instantiate(builder *b, int scope, const char *prefix, const env *outer,
                       int in_node, int out_node, int depth);

static int instantiate_compound(builder *b, int decl, int body, const char *prefix,
                                const env *e, int depth, int *in, int *out)
{
    const fm_click_config *c = b->c;
    const fm_click_decl *d = &c->decls[decl];
    if (depth >= MAX_DEPTH)
        return fail_decl(b, decl, "elementclass '%s' instantiated more than %ld "
                                  "levels deep (recursive?)", d->cls, (long)MAX_DEPTH);
    fm_click_elem args;
    memset(&args, 0, sizeof args);
    if (expand_args(b, d, e, &args) != 0)
        return -1;
    int s = body;
    while (s >= 0 && !overload_fits(&c->scopes[s], &args))
        s = c->scopes[s].next_overload;
    if (s < 0) {
        long n = (long)args.nargs;
        free_elem_args(&args);
        return fail_decl(b, decl, "no definition of elementclass '%s' takes these "
                                  "%ld arguments", *d->cls ? d->cls : "{...}", n);
    }
    env inner = {e, NULL, NULL, 0};
    bind_formals(&c->scopes[s], &args, &inner);
    free_elem_args(&args);
    char *name = join_name(prefix, d->name);
    char *sub = join_name(name, "/");
    int rc = -1;
    *in = add_node(b, fm_xstrdup(name), "<input>", decl, 1, depth > 0);
    if (*in >= 0)
        *out = add_node(b, join_name(name, "/<output>"), "<output>", decl, 1, depth > 0);
    if (*in >= 0 && *out >= 0)
        rc = instantiate(b, s, sub, &inner, *in, *out, depth + 1);
    free(name);
    free(sub);
    env_free(&inner);
    return rc;
}

static int instantiate_decl(builder *b, int i, const char *prefix, const env *e,
                            int depth, int *in, int *out)
{
    const fm_click_config *c = b->c;
    const fm_click_decl *d = &c->decls[i];
    int body = d->cls_scope >= 0 ? d->cls_scope
                                 : resolve_class(c, d->scope, d->cls, d->loc.off, 0);
    if (body >= 0)
        return instantiate_compound(b, i, body, prefix, e, depth, in, out);
    int n = add_node(b, join_name(prefix, d->name), d->cls, i, 0, depth > 0);
    if (n < 0)
        return -1;
    *in = *out = n;
    return expand_args(b, d, e, &b->g->elems[n]);
}

static int instantiate(builder *b, int scope, const char *prefix, const env *outer,
                       int in_node, int out_node, int depth)
{
    const fm_click_config *c = b->c;
    env e = {outer, NULL, NULL, 0};
    int *in = fm_xmalloc(c->ndecls * sizeof *in * 2 + 1);
    int *out = in + c->ndecls;
    int rc = env_add_defines(b, scope, &e);
    for (size_t i = 0; i < c->ndecls && rc == 0; i++) {
        const fm_click_decl *d = &c->decls[i];
        in[i] = out[i] = -1;
        if (d->scope != scope)
            continue;
        if (d->pseudo)
            in[i] = out[i] = (int)i == c->scopes[scope].input_decl ? in_node : out_node;
        else
            rc = instantiate_decl(b, (int)i, prefix, &e, depth, &in[i], &out[i]);
    }
    for (size_t k = 0; k < c->nconns && rc == 0; k++) {
        const fm_click_conn *x = &c->conns[k];
        if (x->scope == scope)
            rc = add_edge(b, out[x->from], x->from_port, in[x->to], x->to_port);
    }
    free(in);
    env_free(&e);
    return rc;
}

/* Replace the pseudo nodes (compound input/output) by direct edges: the
 * real targets reached from pseudo node P's port k are memoised, so chains of
 * nested compounds cost linear time; pure pseudo cycles contribute nothing. */
typedef struct tgt {
    int node, port;
} tgt;
typedef struct memo_ent {
    int port, done;
    tgt *v;
    size_t n;
} memo_ent;
typedef struct memo {
    memo_ent *e;
    size_t n;
} memo;

typedef struct bypass {
    builder *b;
    fm_click_edge *edges; /* the edges before bypassing, sorted by source */
    size_t nedges;
    size_t *first;        /* per node: first edge index (CSR) */
    memo *m;
    size_t work;
} bypass;

static memo_ent *memo_get(memo *m, int port)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].port == port)
            return &m->e[i];
    m->e = fm_xrealloc(m->e, (m->n + 1) * sizeof *m->e);
    memo_ent *x = &m->e[m->n++];
    memset(x, 0, sizeof *x);
    x->port = port;
    return x;
}

static void tgt_add(memo_ent *x, int node, int port)
{
    x->v = fm_xrealloc(x->v, (x->n + 1) * sizeof *x->v);
    x->v[x->n].node = node;
    x->v[x->n++].port = port;
}

static int targets(bypass *bp, int p, int port, memo_ent **res)
{
    memo_ent *x = memo_get(&bp->m[p], port);
    *res = x;
    if (x->done)
        return 0;
    x->done = 1; /* also marks "in progress": a cycle sees an empty list */
    for (size_t i = bp->first[p]; i < bp->first[p + 1]; i++) {
        const fm_click_edge *e = &bp->edges[i];
        if (e->from_port != port)
            continue;
        if (++bp->work > (size_t)MAX_EDGES * 8)
            return fm_fail(bp->b->err, FM_ERR_INPUT, bp->b->c->path, 0, 0,
                           "configuration expands to too many connections");
        if (!bp->b->pseudo[e->to]) {
            tgt_add(memo_get(&bp->m[p], port), e->to, e->to_port);
            continue;
        }
        memo_ent *sub;
        if (targets(bp, e->to, e->to_port, &sub) != 0)
            return -1;
        size_t n = sub->n;
        if (!n)
            continue;
        tgt *copy = fm_xmalloc(n * sizeof *copy);
        memcpy(copy, sub->v, n * sizeof *copy);
        x = memo_get(&bp->m[p], port); /* sub may have moved the array */
        for (size_t k = 0; k < n; k++)
            tgt_add(x, copy[k].node, copy[k].port);
        free(copy);
    }
    *res = memo_get(&bp->m[p], port);
    return 0;
}

static int cmp_int(int a, int b)
{
    return a < b ? -1 : a > b;
}

/* A total order, so the result does not depend on qsort's stability. */
static int by_source(const void *a, const void *b)
{
    const fm_click_edge *x = a, *y = b;
    int c = cmp_int(x->from, y->from);
    if (!c)
        c = cmp_int(x->from_port, y->from_port);
    if (!c)
        c = cmp_int(x->to, y->to);
    return c ? c : cmp_int(x->to_port, y->to_port);
}

static int bypass_pseudo(builder *b)
{
    fm_click_graph *g = b->g;
    bypass bp = {b, g->edges, g->nedges, NULL, NULL, 0};
    if (bp.nedges)
        qsort(bp.edges, bp.nedges, sizeof *bp.edges, by_source);
    bp.first = fm_xcalloc(g->n + 2, sizeof *bp.first);
    for (size_t i = 0; i < bp.nedges; i++)
        bp.first[bp.edges[i].from + 1]++;
    for (size_t i = 0; i < g->n; i++)
        bp.first[i + 1] += bp.first[i];
    bp.m = fm_xcalloc(g->n + 1, sizeof *bp.m);
    g->edges = NULL;
    g->nedges = b->cap_edges = 0;
    int rc = 0;
    for (size_t i = 0; i < bp.nedges && rc == 0; i++) {
        fm_click_edge e = bp.edges[i];
        if (b->pseudo[e.from])
            continue;
        if (!b->pseudo[e.to]) {
            rc = add_edge(b, e.from, e.from_port, e.to, e.to_port);
            continue;
        }
        memo_ent *x;
        rc = targets(&bp, e.to, e.to_port, &x);
        for (size_t k = 0; rc == 0 && k < x->n; k++)
            rc = add_edge(b, e.from, e.from_port, x->v[k].node, x->v[k].port);
    }
    for (size_t i = 0; i < g->n; i++) {
        for (size_t k = 0; k < bp.m[i].n; k++)
            free(bp.m[i].e[k].v);
        free(bp.m[i].e);
    }
    free(bp.m);
    free(bp.first);
    free(bp.edges);
    return rc;
}

static void drop_pseudo(builder *b)
{
    fm_click_graph *g = b->g;
    int *map = fm_xmalloc((g->n + 1) * sizeof *map);
    size_t w = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (b->pseudo[i]) {
            map[i] = -1;
            free(g->elems[i].name);
            free(g->elems[i].cls);
            free_elem_args(&g->elems[i]);
            continue;
        }
        map[i] = (int)w;
        g->elems[w++] = g->elems[i];
    }
    g->n = w;
    for (size_t i = 0; i < g->nedges; i++) {
        g->edges[i].from = map[g->edges[i].from];
        g->edges[i].to = map[g->edges[i].to];
    }
    free(map);
}

int fm_click_graph_build(const fm_click_config *c, fm_click_graph *g, fm_error *err)
{
    memset(g, 0, sizeof *g);
    builder b = {c, g, err, NULL, 0, 0, 0};
    int rc = instantiate(&b, 0, "", NULL, -1, -1, 0);
    if (rc == 0)
        rc = bypass_pseudo(&b);
    if (rc == 0)
        drop_pseudo(&b);
    else
        fm_click_graph_free(g);
    free(b.pseudo);
    return rc;
}

void fm_click_graph_free(fm_click_graph *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->elems[i].name);
        free(g->elems[i].cls);
        free_elem_args(&g->elems[i]);
    }
    free(g->elems);
    free(g->edges);
    memset(g, 0, sizeof *g);
}

int fm_click_graph_find(const fm_click_graph *g, const char *name)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->elems[i].name, name) == 0)
            return (int)i;
    return -1;
}

char *fm_click_elem_keyword(const fm_click_elem *e, const char *kw)
{
    for (size_t i = e->nargs; i-- > 0;)
        if (e->keywords[i] && strcmp(e->keywords[i], kw) == 0)
            return fm_click_unquote(e->values[i], strlen(e->values[i]));
    return NULL;
}

char *fm_click_elem_positional(const fm_click_elem *e, size_t i)
{
    for (size_t k = 0; k < e->nargs; k++) {
        if (e->keywords[k])
            continue;
        if (i-- == 0)
            return fm_click_unquote(e->args[k], strlen(e->args[k]));
    }
    return NULL;
}
