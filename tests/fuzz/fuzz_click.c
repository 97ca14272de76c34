/* libFuzzer harness for the Click parser (solver/click/click_*.c).
 *
 * Beyond "does not crash" (ASan/UBSan), it checks properties the solver's
 * writer relies on: a syntax error always has a line and column inside the
 * input; every recorded position is inside the input and its line/column
 * agree with its byte offset; arguments lie inside their configuration;
 * graph edges point at existing elements. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowmage/click.h"

static void check_loc(const fm_click_config *c, const fm_click_loc *l)
{
    if (l->off > c->len || l->len > c->len - l->off)
        abort();
    long line, col;
    fm_click_locate(c, l->off, &line, &col);
    if (line != l->line || col != l->col)
        abort();
}

static void check_decl(const fm_click_config *c, const fm_click_decl *d)
{
    check_loc(c, &d->loc);
    check_loc(c, &d->cls_loc);
    if (!d->has_config)
        return;
    check_loc(c, &d->config);
    size_t lo = d->config.off, hi = d->config.off + d->config.len;
    for (size_t i = 0; i < d->nargs; i++) {
        const fm_click_arg *a = &d->args[i];
        check_loc(c, &a->raw);
        check_loc(c, &a->text);
        check_loc(c, &a->value);
        if (a->raw.off < lo || a->raw.off + a->raw.len > hi || a->text.off < a->raw.off ||
            a->text.off + a->text.len > a->raw.off + a->raw.len ||
            a->value.off < a->text.off ||
            a->value.off + a->value.len > a->text.off + a->text.len)
            abort();
        free(fm_click_unquote(c->text + a->value.off, a->value.len));
    }
}

static void check_graph(const fm_click_config *c)
{
    fm_click_graph g;
    fm_error err;
    if (fm_click_graph_build(c, &g, &err) != 0) {
        if (err.kind != FM_ERR_INPUT)
            abort();
        return;
    }
    for (size_t i = 0; i < g.nedges; i++)
        if (g.edges[i].from < 0 || (size_t)g.edges[i].from >= g.n || g.edges[i].to < 0 ||
            (size_t)g.edges[i].to >= g.n)
            abort();
    for (size_t i = 0; i < g.n; i++) {
        free(fm_click_elem_keyword(&g.elems[i], "MODE"));
        free(fm_click_elem_positional(&g.elems[i], 0));
        char *q = fm_click_quote(g.elems[i].name);
        free(q);
    }
    fm_click_graph_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fm_click_config c;
    fm_error err;
    memset(&err, 0, sizeof err);
    if (fm_click_parse((const char *)data, size, "fuzz.click", &c, &err) != 0) {
        long lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        if (err.kind != FM_ERR_INPUT || err.line < 1 || err.col < 1 || err.line > lines ||
            !err.msg[0])
            abort();
        return 0;
    }
    for (size_t i = 0; i < c.ndecls; i++)
        check_decl(&c, &c.decls[i]);
    check_graph(&c);
    fm_click_free(&c);
    return 0;
}
