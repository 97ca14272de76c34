/* The configuration keywords an element accepts: the string literals its
 * configure methods (and what they call, directly or through the element's
 * own virtual methods) hand to the profile's argument parsers.  A walk over
 * the calls, not an analysis of the values: configuration code (address
 * and pattern parsers) is large, and the keywords are literals. */
#include <stdlib.h>
#include <string.h>

#include "nf.h"

/* How deep the walk goes from configure, and how many functions it visits. */
#define FM_KEYWORD_DEPTH 6
#define FM_KEYWORD_FUNCS 256

typedef struct walk {
    an *A;
    int32_t cls;
    const fm_func *seen[FM_KEYWORD_FUNCS];
    uint32_t nseen;
    fm_strset *out;
} walk;

static int keyword_like(const char *s)
{
    if (!s[0] || s[0] < 'A' || s[0] > 'Z')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static void add_literals(walk *w, const fm_opnd *o)
{
    for (uint32_t i = 0; i < o->n; i++)
        if (o->v[i].kind == FM_OR_STR) {
            const char *s = fm_program_str(w->A->P, o->v[i].index);
            if (keyword_like(s))
                fm_strset_add(w->out, s);
        }
}

/* The parameters base..base+62 of g that reach one of its parser calls as
 * is (a helper taking the keyword: helper(args, "RATE", &rate)), as a mask. */
static uint64_t parser_params_from(an *A, const fm_func *g, uint32_t base)
{
    uint64_t m = 0;
    fm_program_decode(A->P, g);
    for (uint32_t k = 0; k < g->nevents; k++) {
        const fm_event *e = &g->events[k];
        if (e->kind != FM_EV_CALL || e->call_kind != FM_CALL_DIRECT)
            continue;
        const fm_func *h = fm_program_callee(A->P, g, e);
        if (!h || !fm_parser_call(A, h))
            continue;
        for (uint32_t a = 0; a < e->nargs; a++)
            for (uint32_t o = 0; o < e->args[a].n; o++) {
                const fm_origin *x = &e->args[a].v[o];
                if (x->kind == FM_OR_PARAM && x->index >= base && x->index - base < 63)
                    m |= 1ULL << (x->index - base);
            }
    }
    return m;
}

/* Whether parameter i of g reaches a parser call.  Every NF asks about the
 * same helpers: the answer for parameters 0..62 is kept per function (bit
 * 63: computed). */
static int passes_to_parser(an *A, const fm_func *g, uint32_t i)
{
    if (i >= 63)
        return (int)(parser_params_from(A, g, i) & 1);
    uint64_t *m = &A->parser_params[g - fm_program_func_at(A->P, 0)];
    if (!*m)
        *m = 1ULL << 63 | parser_params_from(A, g, 0);
    return (int)(*m >> i & 1);
}

static const fm_func *callee(walk *w, const fm_func *f, const fm_event *e)
{
    if (e->call_kind == FM_CALL_DIRECT)
        return fm_program_callee(w->A->P, f, e);
    if (e->call_kind == FM_CALL_VIRTUAL && fm_type_derives(w->A->P, w->cls, e->vclass))
        return fm_class_slot_method(w->A, w->cls, e->vslot);
    return NULL;
}

static void visit(walk *w, const fm_func *f, int depth)
{
    if (!f || (f->flags & (FM_FN_DECL | FM_FN_EXCLUDED)) || depth > FM_KEYWORD_DEPTH)
        return;
    for (uint32_t i = 0; i < w->nseen; i++)
        if (w->seen[i] == f)
            return;
    if (w->nseen == FM_KEYWORD_FUNCS)
        return;
    w->seen[w->nseen++] = f;
    fm_program_decode(w->A->P, f);
    for (uint32_t k = 0; k < f->nevents; k++) {
        const fm_event *e = &f->events[k];
        if (e->kind != FM_EV_CALL)
            continue;
        const fm_func *g = callee(w, f, e);
        if (!g)
            continue;
        if (fm_parser_call(w->A, g)) {
            for (uint32_t a = 0; a < e->nargs; a++)
                add_literals(w, &e->args[a]);
            continue;
        }
        for (uint32_t a = 0; a < e->nargs; a++)
            if (passes_to_parser(w->A, g, a))
                add_literals(w, &e->args[a]);
        visit(w, g, depth + 1);
    }
}

void fm_nf_keywords(an *A, int32_t cls, const fm_func *configure, fm_strset *out)
{
    walk *w = fm_xcalloc(1, sizeof *w);
    w->A = A;
    w->cls = cls;
    w->out = out;
    visit(w, configure, 0);
    free(w);
}
