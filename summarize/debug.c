/* Developer aid: FLOWMAGE_TRACE=substring prints the summary of every
 * function whose name contains it, as it is computed (stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static void atom_text(const an *A, atom a, fm_buf *b)
{
    unsigned f = atom_flags(a);
    uint64_t p = atom_payload(a);
    switch (atom_kind(a)) {
    case AK_LABEL: fm_buf_printf(b, "%s", fm_label_name(A, (uint32_t)p)); break;
    case AK_PTR: fm_buf_puts(b, "&"); fm_loc_name(A, A->P, (uint32_t)p, b); break;
    case AK_CONTENT: fm_buf_puts(b, "content("); fm_loc_name(A, A->P, (uint32_t)p, b); fm_buf_puts(b, ")"); break;
    case AK_PARAM: fm_buf_printf(b, "param%u", (unsigned)p); break;
    case AK_STR: fm_buf_printf(b, "\"%s\"", fm_program_str(A->P, (uint32_t)p)); break;
    case AK_TRES: fm_buf_printf(b, "lookup#%u", (unsigned)p); break;
    case AK_FRESH: fm_buf_printf(b, "fresh#%u", (unsigned)p); break;
    case AK_FUNC: fm_buf_printf(b, "&%s()", fm_program_str(A->P, (uint32_t)p)); break;
    default: fm_buf_puts(b, "unknown");
    }
    if (f)
        fm_buf_printf(b, "{%s%s%s%s%s%s}", f & AF_ZEROTEST ? "z" : "", f & AF_MASKED ? "m" : "", f & AF_MIXED ? "x" : "",
                      f & AF_SYMJOIN ? "j" : "", f & AF_SELECT ? "s" : "", f & AF_OPAQUE ? "o" : "");
}

static void vs_text(const an *A, const vset *v, fm_buf *b)
{
    fm_buf_puts(b, "{");
    for (uint32_t i = 0; i < v->n; i++) {
        if (i)
            fm_buf_puts(b, ", ");
        atom_text(A, v->v[i], b);
    }
    fm_buf_puts(b, "}");
}

void fm_an_trace(an *A, const fm_func *f, const summary *s)
{
    const char *want = getenv("FLOWMAGE_TRACE");
    if (!want || !strstr(f->printable, want))
        return;
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_printf(&b, "== %s (ctx %d)\n  ret ", f->printable, A->ctx);
    vs_text(A, &s->ret, &b);
    for (uint32_t i = 0; i < s->nstores; i++) {
        fm_buf_puts(&b, "\n  store ");
        fm_loc_name(A, A->P, s->stores[i].loc, &b);
        fm_buf_puts(&b, " <- ");
        vs_text(A, &s->stores[i].val, &b);
        fm_buf_printf(&b, " guards %u", s->stores[i].gd.n);
    }
    for (uint32_t i = 0; i < s->nacc; i++) {
        const rec_access *a = &s->acc[i];
        fm_buf_puts(&b, "\n  table ");
        fm_loc_name(A, A->P, a->table, &b);
        fm_buf_printf(&b, " %s key unresolved ", a->method);
        vs_text(A, &a->k.unresolved, &b);
        for (uint32_t p = 0; p < a->k.npos; p++) {
            fm_buf_puts(&b, " pos ");
            fm_loc_name(A, A->P, a->k.pos[p].rel, &b);
            fm_buf_puts(&b, "=");
            vs_text(A, &a->k.pos[p].val, &b);
        }
    }
    for (uint32_t i = 0; i < s->nidx; i++) {
        fm_buf_puts(&b, "\n  index ");
        fm_loc_name(A, A->P, s->idx[i].loc, &b);
        fm_buf_puts(&b, " by ");
        vs_text(A, &s->idx[i].idx, &b);
    }
    for (size_t i = 0; i < s->notes.n; i++)
        fm_buf_printf(&b, "\n  note %s", s->notes.v[i]);
    fprintf(stderr, "%s\n", fm_buf_cstr(&b));
    fm_buf_free(&b);
}

/* FLOWMAGE_TRACE_SLOW=seconds prints every function whose summary took
 * longer (including its callees) to compute. */
void fm_an_trace_slow(an *A, const fm_func *f, double seconds)
{
    if (seconds >= A->trace_slow)
        fprintf(stderr, "slow %.3fs depth %d ctx %d %s (%u events)\n", seconds, A->depth, A->ctx,
                f->printable, f->nevents);
}
