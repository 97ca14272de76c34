/* Network functions: finding them in the program and concluding, from the
 * summaries of their per-packet entry points, what state they keep, keyed
 * by what, written how often, reached how. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "nf.h"

#define MAXT 64
#define MAXE 16

typedef struct tbl {
    int kind;                   /* 0 table API, 1 array, 2 flow-manager state */
    uint32_t loc;               /* table object / array element region / fcb */
    const fm_table_api *api;
    const char *persistence;
    fm_strset ops;
    const rec_access *acc[64];
    uint32_t nacc;
    vset index[16];             /* array: values choosing the element, one per
                                   distinct index expression (alternatives) */
    uint32_t nindex;
    keyinfo key;
    fm_intensity writes;
    int chase, stateful;
    evid first, write_ev, chase_ev;
} tbl;

typedef struct nfstate {
    nfctx N;
    const fm_func *entry[MAXE];
    const summary *sum[MAXE];
    uint32_t nentries;
    tbl t[MAXT];
    uint32_t nt;
    fm_summary *out;
} nfstate;

/* ---- helpers ---- */


static const char *persistence(nfstate *S, uint32_t loc)
{
    an *A = S->N.A;
    const aloc *r = fm_loc_get(A, fm_loc_get(A, loc)->root);
    int thread = 0;
    for (uint32_t l = loc; l; l = fm_loc_get(A, l)->parent)
        if (fm_loc_get(A, l)->kind == LS_THREAD)
            thread = 1;
    switch (r->kind) {
    case LR_PARAM:
        if ((int)r->arg != S->N.state_param)
            return NULL; /* the packet or another argument */
        return thread ? "per_thread_member" : "member";
    case LR_GLOBAL: {
        const fm_global *g = fm_program_global_at(S->N.P, r->arg);
        if (S->N.A->framework_global[r->arg])
            return NULL; /* the framework's allocator: no element's state */
        return (g->flags & FM_GLOBAL_TLS) || thread ? "per_thread_global" : "global";
    }
    case LR_TABLE: return "nested";
    case LR_FCB: return "flow_manager";
    case LR_UNKNOWN: return "unknown";
    default: return NULL;
    }
}

static void add_ev(fm_summary *o, const char *what, evid ev)
{
    if (!ev.fn)
        return;
    fm_elem_add_evidence(&o->a, what, ev.fn->printable, ev.fn->file, (long)ev.line);
}

/* Something the analysis is unsure of: the NF must run shared. */
static void note(fm_summary *o, const char *fmt, const char *arg)
{
    char buf[512];
    snprintf(buf, sizeof buf, fmt, arg ? arg : "");
    fm_strset_add(&o->a.uncertain, buf);
}

/* Something left out to stay safe: worth knowing, no reason to share. */
static void info(fm_summary *o, const char *fmt, const char *arg)
{
    char buf[512];
    snprintf(buf, sizeof buf, fmt, arg ? arg : "");
    fm_strset_add(&o->a.notes, buf);
}

static tbl *table_for(nfstate *S, int kind, uint32_t loc)
{
    for (uint32_t i = 0; i < S->nt; i++)
        if (S->t[i].kind == kind && S->t[i].loc == loc)
            return &S->t[i];
    if (S->nt == MAXT)
        return NULL;
    tbl *t = &S->t[S->nt++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->loc = loc;
    return t;
}

static uint32_t index_region(an *A, uint32_t loc)
{
    for (uint32_t l = loc; l; l = fm_loc_get(A, l)->parent)
        if (fm_loc_get(A, l)->kind == LS_INDEX)
            return l;
    return 0;
}

/* Is this guard "the lookup found nothing"? */
static int not_found_guard(const summary *sm, const guard *g, uint32_t table)
{
    const vset *sides[2] = {&g->lhs, &g->rhs};
    for (int s = 0; s < 2; s++) {
        int other_zero = s == 0 ? (g->zflags & FM_CONDF_RHS_ZERO) : (g->zflags & FM_CONDF_LHS_ZERO);
        if (!other_zero)
            continue;
        for (uint32_t i = 0; i < sides[s]->n; i++) {
            atom a = sides[s]->v[i];
            if (atom_kind(a) != AK_TRES || (atom_flags(a) & AF_MIXED))
                continue;
            uint32_t x = (uint32_t)atom_payload(a);
            if (x >= sm->nacc || sm->acc[x].table != table)
                continue;
            /* null pointer, or a negative status (rte_hash: -ENOENT) */
            if ((g->cmp == FM_CMP_EQ && g->pol) || (g->cmp == FM_CMP_NE && !g->pol) ||
                (s == 0 && ((g->cmp == FM_CMP_LT && g->pol) || (g->cmp == FM_CMP_GE && !g->pol))))
                return 1;
        }
    }
    return 0;
}

/* Is this guard "the state is still zero", i.e. not initialised yet (e.g.
 * `if (!flow->assigned)`)?  Writes under it happen once per flow. */
static int uninitialised_guard(const an *A, const guard *g, uint32_t region)
{
    const vset *sides[2] = {&g->lhs, &g->rhs};
    if (!((g->cmp == FM_CMP_EQ && g->pol) || (g->cmp == FM_CMP_NE && !g->pol)))
        return 0;
    for (int s = 0; s < 2; s++) {
        int other_zero = s == 0 ? (g->zflags & FM_CONDF_RHS_ZERO) : (g->zflags & FM_CONDF_LHS_ZERO);
        if (!other_zero)
            continue;
        for (uint32_t i = 0; i < sides[s]->n; i++) {
            atom a = sides[s]->v[i];
            if (atom_kind(a) == AK_CONTENT && !(atom_flags(a) & AF_MIXED) &&
                fm_loc_under(A, region, (uint32_t)atom_payload(a)))
                return 1;
        }
    }
    return 0;
}

/* Writes that only happen when a flow's state is created: under "the
 * lookup found nothing" or "the state is still zero". */
static int on_insert_path_in(const an *A, const summary *sm, const guards *gd, uint32_t table,
                             uint32_t region)
{
    for (uint32_t i = 0; i < gd->n; i++)
        if ((table && not_found_guard(sm, &gd->g[i], table)) ||
            (region && uninitialised_guard(A, &gd->g[i], region)))
            return 1;
    return 0;
}

#define on_insert_path(sm, gd, table) \
    on_insert_path_in(A, sm, gd, table, fm_loc_root(A, LR_TABLE, table))

static void note_write(tbl *t, fm_intensity w, evid ev)
{
    if (w > t->writes) {
        t->writes = w;
        t->write_ev = ev;
    }
}

/* ---- collecting tables ---- */

static void collect_api_tables(nfstate *S)
{
    an *A = S->N.A;
    for (uint32_t e = 0; e < S->nentries; e++) {
        const summary *sm = S->sum[e];
        for (uint32_t i = 0; i < sm->nacc; i++) {
            const rec_access *a = &sm->acc[i];
            const char *p = persistence(S, a->table);
            tbl *t = p ? table_for(S, 0, a->table) : NULL;
            if (!t)
                continue;
            t->api = a->api;
            t->persistence = p;
            fm_strset_add(&t->ops, a->method);
            if (t->nacc < 64)
                t->acc[t->nacc++] = a;
            if (!t->first.fn)
                t->first = a->ev;
            if (a->op == FM_OP_LOOKUP_INSERT || a->op == FM_OP_ERASE)
                note_write(t, FM_INTENSITY_PER_FLOW, a->ev);
            else if (a->op == FM_OP_INSERT)
                note_write(t, on_insert_path(sm, &a->gd, a->table) ? FM_INTENSITY_PER_FLOW
                                                                   : FM_INTENSITY_PER_PACKET,
                           a->ev);
        }
        /* writes into elements */
        for (uint32_t i = 0; i < sm->nstores; i++) {
            const rec_store *st = &sm->stores[i];
            const aloc *r = fm_loc_get(A, fm_loc_get(A, st->loc)->root);
            if (r->kind != LR_TABLE)
                continue;
            tbl *t = NULL;
            for (uint32_t k = 0; k < S->nt; k++)
                if (S->t[k].kind == 0 && S->t[k].loc == r->arg)
                    t = &S->t[k];
            if (t)
                note_write(t, on_insert_path(sm, &st->gd, r->arg) ? FM_INTENSITY_PER_FLOW
                                                                  : FM_INTENSITY_PER_PACKET,
                           st->ev);
        }
        for (uint32_t i = 0; i < sm->ntouch; i++) {
            const aloc *l = fm_loc_get(A, sm->touch[i].loc);
            const aloc *r = fm_loc_get(A, l->root);
            if (r->kind != LR_TABLE || !l->nderef)
                continue;
            for (uint32_t k = 0; k < S->nt; k++)
                if (S->t[k].kind == 0 && S->t[k].loc == r->arg && !S->t[k].chase) {
                    S->t[k].chase = 1;
                    S->t[k].chase_ev = sm->touch[i].ev;
                }
        }
    }
}

static void collect_arrays(nfstate *S)
{
    an *A = S->N.A;
    for (uint32_t e = 0; e < S->nentries; e++) {
        const summary *sm = S->sum[e];
        for (uint32_t i = 0; i < sm->nidx; i++) {
            const rec_index *x = &sm->idx[i];
            if (x->idx.n == 0)
                continue; /* a constant or a loop counter: not chosen by data */
            uint32_t region = index_region(A, x->loc);
            const char *p = region ? persistence(S, region) : NULL;
            if (!p || !strcmp(p, "nested") || !strcmp(p, "unknown"))
                continue; /* element arrays, and memory of unknown origin */
            keyinfo ki;
            fm_key_of_value(&S->N, &x->idx, &ki);
            int others = (int)ki.other.n - fm_strset_has(&ki.other, "entry_argument");
            int keyed = ki.may || others > 0 || (ki.unknown && x->is_write);
            fm_strset_free(&ki.other);
            if (!keyed)
                continue; /* loop counters, constants: not a per-key table */
            tbl *t = table_for(S, 1, region);
            if (!t)
                continue;
            t->persistence = p;
            fm_strset_add(&t->ops, x->is_write ? "index-write" : "index");
            uint32_t q;
            for (q = 0; q < t->nindex && !fm_vs_equal(&t->index[q], &x->idx); q++)
                ;
            if (q == t->nindex && q < 16)
                fm_vs_copy(&t->index[t->nindex++], &x->idx);
            else if (q == t->nindex)
                fm_vs_union(&t->index[15], &x->idx); /* beyond 16: merged (may) */
            if (!t->first.fn)
                t->first = x->ev;
            if (x->is_write)
                note_write(t, FM_INTENSITY_PER_PACKET, x->ev);
        }
    }
    for (uint32_t e = 0; e < S->nentries; e++) {
        const summary *sm = S->sum[e];
        for (uint32_t k = 0; k < S->nt; k++) {
            tbl *t = &S->t[k];
            if (t->kind != 1)
                continue;
            for (uint32_t i = 0; i < sm->nstores; i++)
                if (fm_loc_under(A, t->loc, sm->stores[i].loc))
                    note_write(t, FM_INTENSITY_PER_PACKET, sm->stores[i].ev);
            for (uint32_t i = 0; i < sm->ntouch; i++) {
                uint32_t l = sm->touch[i].loc;
                /* a pointer followed from inside the element */
                for (uint32_t u = l; u; u = fm_loc_get(A, u)->parent)
                    if (fm_loc_get(A, u)->kind == LS_DEREF && fm_loc_within(A, t->loc, fm_loc_get(A, u)->parent)) {
                        if (!t->chase)
                            t->chase_ev = sm->touch[i].ev;
                        t->chase = 1;
                    }
            }
        }
    }
}

static void collect_flow_state(nfstate *S)
{
    an *A = S->N.A;
    for (uint32_t e = 0; e < S->nentries; e++) {
        const summary *sm = S->sum[e];
        for (uint32_t i = 0; i < sm->nstores; i++) {
            if (fm_loc_root_kind(A, sm->stores[i].loc) != LR_FCB)
                continue;
            uint32_t fcb = fm_loc_root(A, LR_FCB, 0);
            tbl *t = table_for(S, 2, fcb);
            if (!t)
                continue;
            t->persistence = "flow_manager";
            fm_strset_add(&t->ops, "write");
            if (!t->first.fn)
                t->first = sm->stores[i].ev;
            note_write(t, on_insert_path_in(A, sm, &sm->stores[i].gd, 0, fcb)
                              ? FM_INTENSITY_PER_FLOW : FM_INTENSITY_PER_PACKET,
                       sm->stores[i].ev);
        }
        for (uint32_t i = 0; i < sm->ntouch; i++) {
            const aloc *l = fm_loc_get(A, sm->touch[i].loc);
            if (fm_loc_root_kind(A, sm->touch[i].loc) != LR_FCB || !l->nderef)
                continue;
            tbl *t = table_for(S, 2, fm_loc_root(A, LR_FCB, 0));
            if (t && !t->chase) {
                t->chase = 1;
                t->chase_ev = sm->touch[i].ev;
            }
        }
    }
}

/* ---- keys ---- */

static void table_key(nfstate *S, tbl *t)
{
    keyinfo *k = &t->key;
    memset(k, 0, sizeof *k);
    if (t->kind == 2)
        return; /* keyed by the flow manager */
    k->must = FM_F_ALL;
    int any = 0;
    /* every way the table is keyed must agree: must fields intersect */
    uint32_t nalt = t->kind == 1 ? t->nindex : t->nacc;
    for (uint32_t i = 0; i < nalt; i++) {
        keyinfo a;
        if (t->kind == 1)
            fm_key_of_value(&S->N, &t->index[i], &a);
        else
            fm_key_of_access(&S->N, t->acc[i], NULL, &a);
        k->must &= a.must;
        k->may |= a.may;
        k->symmetric |= a.symmetric;
        k->unknown |= a.unknown;
        k->opaque |= a.opaque;
        for (size_t j = 0; j < a.other.n; j++)
            fm_strset_add(&k->other, a.other.v[j]);
        fm_strset_free(&a.other);
        any = 1;
    }
    if (!any)
        k->must = 0;
    if (t->kind == 0 && fm_keys_swap(&S->N, (const rec_access *const *)t->acc, t->nacc))
        k->symmetric = 1;
}

/* ---- the NF ---- */

static void fill_table(nfstate *S, tbl *t, fm_sum_table *o)
{
    an *A = S->N.A;
    fm_buf b;
    fm_buf_init(&b);
    fm_loc_name(A, S->N.P, t->kind == 1 ? fm_loc_get(A, t->loc)->parent : t->loc, &b);
    o->location = fm_xstrdup(fm_buf_cstr(&b));
    fm_buf_free(&b);
    o->api = fm_xstrdup(t->kind == 0 && t->api ? t->api->api : t->kind == 1 ? "array" : "flow_state");
    o->persistence = fm_xstrdup(t->persistence ? t->persistence : "unknown");
    for (size_t i = 0; i < t->ops.n; i++)
        fm_strset_add(&o->ops, t->ops.v[i]);
    o->key_kind = t->kind == 2 ? FM_KEY_FLOW_MANAGER
                : t->key.unknown && !t->key.must ? FM_KEY_UNKNOWN : FM_KEY_FIELDS;
    o->key_fields = t->key.must;
    for (size_t i = 0; i < t->key.other.n; i++)
        fm_strset_add(&o->key_other, t->key.other.v[i]);
    o->symmetric = t->key.symmetric;
    o->writes = t->writes;
    o->pointer_chasing = t->chase || (t->kind == 0 && t->api && t->api->node_based);
    evid evs[3] = {t->first, t->write_ev, t->chase_ev};
    const char *what[3] = {"table used", "state written", "pointer followed"};
    for (int i = 0; i < 3; i++) {
        if (!evs[i].fn)
            continue;
        o->evidence = fm_xrealloc(o->evidence, (o->nevidence + 1) * sizeof *o->evidence);
        fm_evidence *v = &o->evidence[o->nevidence++];
        v->what = fm_xstrdup(what[i]);
        v->function = fm_xstrdup(evs[i].fn->printable);
        v->file = fm_xstrdup(evs[i].fn->file);
        v->line = (long)evs[i].line;
    }
}

static int is_state_table(const tbl *t)
{
    if (!t->persistence || t->writes == FM_INTENSITY_NONE)
        return 0;
    if (t->kind == 2)
        return 1;
    return t->key.may || t->key.other.n || t->key.unknown;
}

static void conclude_key(nfstate *S)
{
    fm_summary *o = S->out;
    fm_elem_attrs *a = &o->a;
    int fcb = 0, unknown = 0, any = 0;
    fm_fieldset must = FM_F_ALL;
    for (uint32_t i = 0; i < S->nt; i++) {
        tbl *t = &S->t[i];
        if (!t->stateful)
            continue;
        if (t->writes > a->intensity)
            a->intensity = t->writes;
        if (t->chase || (t->kind == 0 && t->api && t->api->node_based))
            a->pointer_chasing = 1;
        if (t->kind == 2) {
            fcb = 1;
            continue;
        }
        any = 1;
        must &= t->key.must;
        if (t->key.unknown && !t->key.must)
            unknown = 1;
        a->symmetric |= t->key.symmetric;
        for (size_t j = 0; j < t->key.other.n; j++)
            fm_strset_add(&a->key_other, t->key.other.v[j]);
        if (t->key.may & ~t->key.must) {
            char f[64];
            fm_fieldset_format(t->key.may & ~t->key.must, f, sizeof f);
            info(o, "key fields %s reach the key only on some paths: left out", f);
        }
        if (t->key.opaque)
            info(o, "a key field goes through a function flowmage cannot see: left out%s", "");
        if (t->key.unknown && t->key.must)
            info(o, "the key also holds values of unknown origin%s", "");
    }
    a->stateful = fcb || any;
    if (!a->stateful)
        a->key_kind = FM_KEY_NONE;
    else if (fcb)
        a->key_kind = FM_KEY_FLOW_MANAGER;
    else if (unknown)
        a->key_kind = FM_KEY_UNKNOWN;
    else
        a->key_kind = FM_KEY_FIELDS;
    a->key_fields = a->stateful && (any && !unknown) ? must : 0;
    if (a->key_kind == FM_KEY_UNKNOWN)
        info(o, "key of unknown origin: the NF must run shared%s", "");
}

static void conclude_globals(nfstate *S)
{
    an *A = S->N.A;
    fm_summary *o = S->out;
    for (uint32_t e = 0; e < S->nentries; e++) {
        const summary *sm = S->sum[e];
        for (uint32_t i = 0; i < sm->nstores; i++) {
            const rec_store *st = &sm->stores[i];
            const aloc *r = fm_loc_get(A, fm_loc_get(A, st->loc)->root);
            int member = r->kind == LR_PARAM && (int)r->arg == S->N.state_param;
            int global = 0;
            if (r->kind == LR_GLOBAL) {
                const fm_global *g = fm_program_global_at(S->N.P, r->arg);
                global = !(g->flags & (FM_GLOBAL_TLS | FM_GLOBAL_CONST | FM_GLOBAL_VTABLE)) &&
                         !A->framework_global[r->arg];
            }
            if (!member && !global)
                continue;
            int in_table = 0;
            for (uint32_t k = 0; k < S->nt; k++)
                if (S->t[k].kind == 1 && S->t[k].stateful && fm_loc_under(A, S->t[k].loc, st->loc))
                    in_table = 1;
            if (in_table)
                continue;
            fm_buf b;
            fm_buf_init(&b);
            fm_loc_name(A, S->N.P, st->loc, &b);
            int dup = 0;
            for (size_t g = 0; g < o->nglobals; g++)
                if (!strcmp(o->globals[g].location, fm_buf_cstr(&b)))
                    dup = 1;
            if (!dup) {
                o->globals = fm_xrealloc(o->globals, (o->nglobals + 1) * sizeof *o->globals);
                fm_sum_global *g = &o->globals[o->nglobals++];
                g->location = fm_xstrdup(fm_buf_cstr(&b));
                g->per_thread = strcmp(persistence(S, st->loc) ? persistence(S, st->loc) : "",
                                       "per_thread_member") == 0 ||
                                (persistence(S, st->loc) && !strcmp(persistence(S, st->loc), "per_thread_global"));
                g->where.what = fm_xstrdup("global state write");
                g->where.function = fm_xstrdup(st->ev.fn ? st->ev.fn->printable : "");
                g->where.file = fm_xstrdup(st->ev.fn ? st->ev.fn->file : "");
                g->where.line = (long)st->ev.line;
            }
            fm_buf_free(&b);
        }
    }
    o->a.global_state = o->nglobals > 0;
}

static int keyword_like(const char *s)
{
    if (!isupper((unsigned char)s[0]))
        return 0;
    for (; *s; s++)
        if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

static void add_keywords(nfstate *S, const summary *sm)
{
    for (uint32_t i = 0; i < sm->keywords.n; i++) {
        atom a = sm->keywords.v[i];
        if (atom_kind(a) != AK_STR)
            continue;
        const char *s = fm_program_str(S->N.P, (uint32_t)atom_payload(a));
        if (keyword_like(s))
            fm_strset_add(&S->out->a.keywords, s);
    }
}

/* The NF's own per-packet functions: those of its class and of the
 * classes between it and the element base, or free functions outside
 * system headers.  Listed for the LLM (per_packet_functions), and the
 * basis of the cost estimate: framework plumbing is the same for every NF
 * and would only drown the differences. */
static int own_function(nfstate *S, int32_t cls, const fm_func *f)
{
    if (f->flags & FM_FN_SYSTEM)
        return 0;
    if (f->cls < 0 || cls < 0)
        return f->line_end > 0;
    return fm_type_derives(S->N.P, cls, f->cls) &&
           !fm_strset_has(&S->N.prof->element_bases,
                          fm_program_type_at(S->N.P, (size_t)f->cls)->tmpl);
}

static void add_functions(nfstate *S, int32_t cls)
{
    fm_summary *o = S->out;
    const fm_func **seen = NULL;
    size_t nseen = 0;
    for (uint32_t e = 0; e < S->nentries; e++) {
        const summary *sm = S->sum[e];
        for (uint32_t i = 0; i < sm->nreach; i++) {
            const fm_func *f = sm->reach[i];
            int dup = 0;
            for (size_t k = 0; k < nseen && !dup; k++)
                dup = seen[k] == f;
            if (dup || !own_function(S, cls, f))
                continue;
            seen = fm_xrealloc(seen, (nseen + 1) * sizeof *seen);
            seen[nseen++] = f;
            o->cost.statements += f->nstmts;
            o->cost.loops += f->nloops;
            if (o->nfuncs >= 64)
                continue;
            o->funcs = fm_xrealloc(o->funcs, (o->nfuncs + 1) * sizeof *o->funcs);
            fm_sum_func *x = &o->funcs[o->nfuncs++];
            x->function = fm_xstrdup(f->printable);
            x->file = fm_xstrdup(f->file);
            x->begin = f->line_begin;
            x->end = f->line_end;
        }
    }
    free(seen);
}

/* Per-packet cost, in rough cycles: the NF's own statements, loops, table
 * operations, pointers followed, calls out.  Used to rank NFs (which one
 * should get to be shared-nothing on a tie) and by the cost model. */
static void conclude_cost(nfstate *S)
{
    fm_summary *o = S->out;
    for (uint32_t e = 0; e < S->nentries; e++) {
        const summary *sm = S->sum[e];
        if ((long)sm->nacc > o->cost.table_ops)
            o->cost.table_ops = sm->nacc;
        if ((long)sm->ntouch > o->cost.pointer_loads)
            o->cost.pointer_loads = sm->ntouch;
        if ((long)sm->nreach > o->cost.calls)
            o->cost.calls = sm->nreach;
    }
    double score = (double)o->cost.statements + 8.0 * o->cost.loops +
                   40.0 * o->cost.table_ops + 3.0 * o->cost.pointer_loads +
                   2.0 * o->cost.calls;
    o->a.cost = (double)(long)(score * 10 + 0.5) / 10.0;
    o->cost.score = o->a.cost;
}

static void conclude(nfstate *S, int32_t cls)
{
    an *A = S->N.A;
    fm_summary *o = S->out;
    collect_api_tables(S);
    collect_arrays(S);
    collect_flow_state(S);
    for (uint32_t i = 0; i < S->nt; i++) {
        table_key(S, &S->t[i]);
        S->t[i].stateful = is_state_table(&S->t[i]);
    }
    conclude_key(S);
    conclude_globals(S);
    add_functions(S, cls);
    conclude_cost(S);
    for (uint32_t i = 0; i < S->nt; i++)
        fill_table(S, &S->t[i], fm_summary_add_table(o));
    /* evidence: entries, key fields, state */
    for (uint32_t e = 0; e < S->nentries; e++)
        add_ev(o, "per-packet entry", (evid){S->entry[e], S->entry[e]->line_begin});
    for (int i = 0; i < FM_NFIELDS; i++) {
        if (!(o->a.key_fields & (1u << i)))
            continue;
        uint32_t lab = fm_label_id(A, fm_field_name(i));
        for (uint32_t e = 0; e < S->nentries && lab < 32; e++)
            if (S->sum[e]->label_ev[lab].fn) {
                char what[64];
                snprintf(what, sizeof what, "key field %s read", fm_field_name(i));
                add_ev(o, what, S->sum[e]->label_ev[lab]);
                break;
            }
    }
    for (uint32_t i = 0; i < S->nt; i++)
        if (S->t[i].stateful) {
            add_ev(o, "per-flow state used", S->t[i].first);
            add_ev(o, o->a.intensity == FM_INTENSITY_PER_PACKET ? "state written per packet"
                                                                : "state written on insert",
                   S->t[i].write_ev);
        }
    for (uint32_t e = 0; e < S->nentries; e++)
        for (size_t n = 0; n < S->sum[e]->notes.n; n++)
            fm_strset_add(&o->a.uncertain, S->sum[e]->notes.v[n]);
    for (uint32_t i = 0; i < S->nt; i++) {
        fm_strset_free(&S->t[i].ops);
        fm_strset_free(&S->t[i].key.other);
        for (uint32_t q = 0; q < S->t[i].nindex; q++)
            fm_vs_free(&S->t[i].index[q]);
    }
}

/* ---- discovering NFs ---- */

static const char *name_literal(an *A, const fm_func *f)
{
    const summary *s = fm_an_summary(A, f);
    const char *name = NULL;
    for (uint32_t i = 0; i < s->ret.n; i++) {
        atom a = s->ret.v[i];
        if (atom_kind(a) != AK_STR)
            return NULL;
        const char *lit = fm_program_str(A->P, (uint32_t)atom_payload(a));
        if (name && strcmp(name, lit) != 0)
            return NULL; /* two different names: not a literal */
        name = lit;
    }
    return name;
}

static void bases_of(const fm_program *P, int32_t t, fm_strset *out)
{
    const fm_type *ty = fm_program_type_at(P, (size_t)t);
    for (uint32_t i = 0; i < ty->nbases; i++) {
        if (ty->bases[i].type < 0)
            continue;
        fm_strset_add(out, fm_program_type_at(P, (size_t)ty->bases[i].type)->name);
        bases_of(P, ty->bases[i].type, out);
    }
}

static void summarize_class(an *A, int32_t cls, const char *name, fm_summary_set *set)
{
    const fm_program *P = A->P;
    const fm_profile *prof = A->prof;
    nfstate *S = fm_xcalloc(1, sizeof *S);
    S->N = (nfctx){A, P, prof, prof->state_param};
    S->out = fm_summary_set_add(set, name);
    fm_summary *o = S->out;
    const fm_type *ty = fm_program_type_at(P, (size_t)cls);
    o->a.cls = fm_xstrdup(ty->name);
    o->a.role = fm_strset_has(&prof->not_nfs, name) ? FM_ROLE_OTHER
              : fm_type_derives_named(P, cls, &prof->flow_manager_bases) ? FM_ROLE_FLOW_MANAGER
                                                                      : FM_ROLE_NF;
    bases_of(P, cls, &o->bases);
    A->ctx = cls;
    A->work = 0;
    A->over_budget = 0;
    /* per-packet entries: compute, then fetch (the cache may have moved) */
    for (size_t i = 0; i < prof->entries.n && S->nentries < MAXE; i++) {
        const fm_func *f = fm_class_method_named(A, cls, prof->entries.v[i]);
        if (!f || (f->flags & FM_FN_DECL))
            continue;
        fm_an_summary(A, f);
        S->entry[S->nentries++] = f;
        fm_strset_add(&o->entries, f->printable);
    }
    for (uint32_t e = 0; e < S->nentries; e++)
        S->sum[e] = fm_an_summary(A, S->entry[e]);
    conclude(S, cls);
    for (size_t i = 0; i < prof->configure.n; i++) {
        const fm_func *f = fm_class_method_named(A, cls, prof->configure.v[i]);
        if (f && !(f->flags & FM_FN_DECL))
            add_keywords(S, fm_an_summary(A, f));
    }
    /* where the NF is: its own entry point, else its naming method */
    const fm_func *where = NULL;
    for (uint32_t e = 0; e < S->nentries; e++)
        if (S->entry[e]->cls == cls)
            where = S->entry[e];
    if (!where)
        where = fm_class_method_named(A, cls, prof->name_method);
    o->file = fm_xstrdup(where ? where->file : "");
    o->line = where ? where->line_begin : 0;
    if (S->nentries == 0)
        note(o, "no per-packet entry point found%s", "");
    if (A->over_budget)
        note(o, "analysis budget exceeded: facts incomplete%s", "");
    if (getenv("FLOWMAGE_TRACE_WORK"))
        fprintf(stderr, "work %ld %s\n", A->work, name);
    A->over_budget = 0;
    A->work = 0;
    A->ctx = -2;
    free(S);
}

static void summarize_function_nf(an *A, const fm_func *f, const char *name,
                                  fm_summary_set *set)
{
    nfstate *S = fm_xcalloc(1, sizeof *S);
    S->N = (nfctx){A, A->P, A->prof, A->prof->state_param};
    S->out = fm_summary_set_add(set, name);
    S->out->a.cls = fm_xstrdup(f->printable);
    S->out->a.role = FM_ROLE_NF;
    A->ctx = -2;
    A->work = 0;
    A->over_budget = 0;
    fm_an_summary(A, f);
    S->entry[0] = f;
    S->sum[0] = fm_an_summary(A, f);
    S->nentries = 1;
    fm_strset_add(&S->out->entries, f->printable);
    conclude(S, -1);
    if (A->over_budget)
        note(S->out, "analysis budget exceeded: facts incomplete%s", "");
    A->over_budget = 0;
    S->out->file = fm_xstrdup(f->file);
    S->out->line = f->line_begin;
    free(S);
}

static int by_key(const void *a, const void *b)
{
    const fm_type *x = *(const fm_type *const *)a, *y = *(const fm_type *const *)b;
    return strcmp(x->key, y->key);
}

int fm_nf_find_and_summarize(an *A, fm_summary_set *set, fm_error *err)
{
    const fm_program *P = A->P;
    const fm_profile *prof = A->prof;
    if (prof->elements_are_functions) {
        size_t suf = strlen(prof->entry_suffix);
        for (size_t i = 0; i < fm_program_nfuncs(P); i++) {
            const fm_func *f = fm_program_func_at(P, i);
            size_t l = strlen(f->simple);
            if ((f->flags & FM_FN_DECL) || l <= suf || strcmp(f->simple + l - suf, prof->entry_suffix))
                continue;
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(l - suf), f->simple);
            if (A->only && !fm_strset_has(A->only, name))
                continue;
            if (!fm_summary_set_find(set, name))
                summarize_function_nf(A, f, name, set);
        }
        return 0;
    }
    /* classes deriving from an element base that name themselves */
    size_t nt = fm_program_ntypes(P);
    int have_base = 0;
    for (size_t i = 0; i < nt; i++) {
        const fm_type *t = fm_program_type_at(P, i);
        if (fm_strset_has(&prof->element_bases, t->tmpl) || fm_strset_has(&prof->element_bases, t->name))
            have_base = 1;
    }
    if (!have_base)
        return fm_fail(err, FM_ERR_INPUT, prof->path, 0, 0,
                       "no class in the input derives from the element base%s %s of profile "
                       "\"%s\" (wrong --profile, or objects built without the plugin?)",
                       prof->element_bases.n > 1 ? "s" : "",
                       prof->element_bases.n ? prof->element_bases.v[0] : "?", prof->name);
    const fm_type **order = fm_xcalloc(nt, sizeof *order);
    for (size_t i = 0; i < nt; i++)
        order[i] = fm_program_type_at(P, i);
    qsort(order, nt, sizeof *order, by_key); /* deterministic */
    for (size_t i = 0; i < nt; i++) {
        int32_t cls = fm_program_type_index(P, order[i]->key);
        if (!fm_type_derives_named(P, cls, &prof->element_bases) ||
            fm_strset_has(&prof->element_bases, order[i]->tmpl))
            continue;
        /* the class itself must define the naming method */
        const fm_func *nm = NULL;
        for (uint32_t k = 0; k < A->nmethods[cls] && !nm; k++) {
            const fm_func *f = fm_program_func_at(P, A->methods[cls][k]);
            if (!(f->flags & FM_FN_DECL) && !strcmp(f->simple, prof->name_method))
                nm = f;
        }
        if (!nm)
            continue;
        uint32_t first = A->ncache; /* this class's own summaries start here */
        A->ctx = cls;
        const char *name = name_literal(A, nm);
        A->ctx = -2;
        if (name && !fm_summary_set_find(set, name) && (!A->only || fm_strset_has(A->only, name)))
            summarize_class(A, cls, name, set);
        fm_an_forget_ctx(A, cls, first);
    }
    free(order);
    return 0;
}
