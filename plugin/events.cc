/* Phase C of the collector: the events serialised in the section format of
 * include/flowmage/section.h, with the conditions that guard each one. */
#include "collect.h"

/* ---- phase C: serialise ---- */

static void write_oset(fm_wbuf *b, const oset *s)
{
    fm_w_u(b, s->n);
    for (unsigned i = 0; i < s->n; i++) {
        uint32_t x = s->v[i];
        fm_w_u(b, x & 0x1ff);  /* kind | flags << 4 */
        fm_w_u(b, x >> 9);
    }
}

static void write_opref(fm_wbuf *b, const opref *r)
{
    oset s = {};
    fm_opref_origins(r, &s);
    write_oset(b, &s);
    oset_free(&s);
}

static void write_access(fm_wbuf *b, const event *e)
{
    write_opref(b, &e->base);
    fm_w_u(b, e->npath);
    for (unsigned i = 0; i < e->npath; i++) {
        fm_w_u(b, e->path[i].rec);
        fm_w_u(b, e->path[i].field);
    }
    oset s = {};
    for (unsigned i = 0; i < e->nindex; i++)
        fm_operand_origins(e->index[i], &s);
    write_oset(b, &s);
    oset_free(&s);
}

/* Conditions an event is control dependent on: walking up the dominator
 * tree, every block entered only through one edge of a GIMPLE_COND. */
static void write_guards(fm_wbuf *b, const event *e, const int *cond_of_bb)
{
    unsigned gk[8], gp[8], n = 0;
    basic_block a = e->bb;
    while (a && a != ENTRY_BLOCK_PTR_FOR_FN(fm_fn.fun) && n < 8) {
        if (single_pred_p(a)) {
            edge in = single_pred_edge(a);
            basic_block p = in->src;
            if (p->index >= 0 && p->index < last_basic_block_for_fn(fm_fn.fun) &&
                cond_of_bb[p->index] >= 0 && (in->flags & (EDGE_TRUE_VALUE | EDGE_FALSE_VALUE))) {
                gk[n] = (unsigned)cond_of_bb[p->index];
                gp[n] = (in->flags & EDGE_TRUE_VALUE) ? 1 : 0;
                n++;
            }
        }
        a = get_immediate_dominator(CDI_DOMINATORS, a);
    }
    fm_w_u(b, n);
    for (unsigned i = 0; i < n; i++) {
        fm_w_u(b, gk[i]);
        fm_w_u(b, gp[i]);
    }
}

void fm_write_event(fm_wbuf *b, const event *e, const int *cond_of_bb)
{
    fm_w_u(b, e->kind);
    fm_w_u(b, e->line);
    write_guards(b, e, cond_of_bb);
    switch (e->kind) {
    case FM_EV_LOAD:
    case FM_EV_ADDR:
        write_access(b, e);
        fm_w_u(b, e->flags);
        break;
    case FM_EV_STORE:
        write_access(b, e);
        fm_w_u(b, e->flags);
        if (e->asm_stmt) {
            oset v = {};
            fm_asm_value(e->asm_stmt, &v);
            write_oset(b, &v);
            oset_free(&v);
        } else {
            write_opref(b, &e->a);
        }
        break;
    case FM_EV_PTRADD:
        write_opref(b, &e->a);
        write_opref(b, &e->b);
        break;
    case FM_EV_CALL:
        fm_w_u(b, e->call_kind);
        if (e->call_kind == FM_CALL_DIRECT) {
            fm_w_u(b, e->callee);
        } else if (e->call_kind == FM_CALL_VIRTUAL) {
            fm_w_u(b, e->vclass);
            fm_w_u(b, e->vslot);
            write_opref(b, &e->target);
        } else {
            write_opref(b, &e->target);
        }
        fm_w_u(b, e->flags);
        fm_w_u(b, e->nargs);
        for (unsigned i = 0; i < e->nargs; i++)
            write_opref(b, &e->args[i]);
        break;
    case FM_EV_RET:
        write_opref(b, &e->a);
        break;
    case FM_EV_COND:
        fm_w_u(b, e->cmp);
        fm_w_u(b, e->cond_flags);
        write_opref(b, &e->a);
        write_opref(b, &e->b);
        break;
    }
}
