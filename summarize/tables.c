/* Collecting an NF's state from the summaries of its per-packet entries:
 * tables of the profile's APIs, arrays whose element is chosen by packet-
 * derived values (including positions a table returned), per-flow state
 * handed in by a flow manager, and state written where flowmage cannot see
 * how.  Then each table's key.
 *
 * Soundness: every write to persistent memory on the per-packet path ends
 * in a table here, or in global_state (nf.c), or - when flowmage cannot tell
 * which - in a TK_HIDDEN table: stateful, key unknown, with the reason. */
#include <stdlib.h>
#include <string.h>

#include "nf.h"

/* Where a table lives, or NULL if it is not the NF's persistent memory. */
const char *fm_nf_persistence(nfstate *S, uint32_t loc)
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
        if (S->N.A->framework_global[r->arg] || (g->flags & (FM_GLOBAL_CONST | FM_GLOBAL_VTABLE)))
            return NULL; /* the framework's allocator, read-only data */
        return (g->flags & FM_GLOBAL_TLS) || thread ? "per_thread_global" : "global";
    }
    case LR_TABLE: return "nested";
    case LR_FCB: return "flow_manager";
    case LR_UNKNOWN: return "unknown";
    default: return NULL;
    }
}

static tbl *table_for(nfstate *S, tbl_kind kind, uint32_t loc)
{
    for (uint32_t i = 0; i < S->nt; i++)
        if (S->t[i].kind == kind && S->t[i].loc == loc)
            return &S->t[i];
    S->t = fm_xrealloc(S->t, (S->nt + 1) * sizeof *S->t);
    tbl *t = &S->t[S->nt++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->loc = loc;
    return t;
}

static tbl *find_table(nfstate *S, tbl_kind kind, uint32_t loc)
{
    for (uint32_t i = 0; i < S->nt; i++)
        if (S->t[i].kind == kind && S->t[i].loc == loc)
            return &S->t[i];
    return NULL;
}

/* The array elements an indexed access chooses among: the index step, or
 * the place past the limits that stands for it. */
static uint32_t index_region(an *A, uint32_t loc)
{
    for (uint32_t l = loc; l; l = fm_loc_get(A, l)->parent)
        if (fm_loc_get(A, l)->kind == LS_INDEX || fm_loc_get(A, l)->kind == LS_STAR)
            return l;
    return 0;
}

/* A write lands in region: below it, or a coarsened write above it. */
static int writes_into(an *A, const rec_store *st, uint32_t region)
{
    return fm_loc_under(A, region, st->loc) || (st->coarse && fm_loc_under(A, st->loc, region));
}

static void note_write(tbl *t, fm_intensity w, evid ev)
{
    if (w > t->writes) {
        t->writes = w;
        t->write_ev = ev;
    }
    if (!t->first.fn)
        t->first = ev;
}

static void note_chase(tbl *t, evid ev)
{
    if (!t->chase)
        t->chase_ev = ev;
    t->chase = 1;
}

/* ---- intensity: writes that only happen when a flow's state is created ---- */

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

static int on_insert_path(const an *A, const summary *sm, const guards *gd, uint32_t table,
                          uint32_t region)
{
    for (uint32_t i = 0; i < gd->n; i++)
        if ((table && not_found_guard(sm, &gd->g[i], table)) ||
            (region && uninitialised_guard(A, &gd->g[i], region)))
            return 1;
    return 0;
}

/* A write only made when some flow's state is created (after a lookup
 * found nothing): the table's own bookkeeping (an eviction ring), once per
 * flow, not per packet. */
int fm_nf_on_insert(nfstate *S, const summary *sm, const guards *gd)
{
    for (uint32_t i = 0; i < gd->n; i++)
        for (uint32_t x = 0; x < sm->nacc; x++)
            if (not_found_guard(sm, &gd->g[i], sm->acc[x].table))
                return 1;
    (void)S;
    return 0;
}

static fm_intensity write_intensity(nfstate *S, const summary *sm, const guards *gd,
                                    uint32_t table)
{
    an *A = S->N.A;
    uint32_t region = table ? fm_loc_root(A, LR_TABLE, table) : fm_loc_root(A, LR_FCB, 0);
    return on_insert_path(A, sm, gd, table, region) ? FM_INTENSITY_PER_FLOW
                                                    : FM_INTENSITY_PER_PACKET;
}

/* ---- tables of the profile's APIs ---- */

static void collect_accesses(nfstate *S, const summary *sm)
{
    for (uint32_t i = 0; i < sm->nacc; i++) {
        const rec_access *a = &sm->acc[i];
        const char *p = fm_nf_persistence(S, a->table);
        if (!p)
            continue;
        tbl *t = table_for(S, TK_API, a->table);
        t->api = a->api;
        t->persistence = p;
        fm_strset_add(&t->ops, a->method);
        t->acc = fm_xrealloc(t->acc, (t->nacc + 1) * sizeof *t->acc);
        t->acc[t->nacc++] = (tacc){a, sm};
        if (!t->first.fn)
            t->first = a->ev;
        if (a->op == FM_OP_LOOKUP_INSERT || a->op == FM_OP_ERASE)
            note_write(t, FM_INTENSITY_PER_FLOW, a->ev);
        else if (a->op == FM_OP_INSERT)
            note_write(t, write_intensity(S, sm, &a->gd, a->table), a->ev);
    }
}

static void collect_api_tables(nfstate *S, const summary *sm)
{
    an *A = S->N.A;
    collect_accesses(S, sm);
    for (uint32_t i = 0; i < sm->nstores; i++) { /* writes into elements */
        const rec_store *st = &sm->stores[i];
        const aloc *r = fm_loc_get(A, fm_loc_get(A, st->loc)->root);
        tbl *t = r->kind == LR_TABLE ? find_table(S, TK_API, r->arg) : NULL;
        if (t)
            note_write(t, write_intensity(S, sm, &st->gd, r->arg), st->ev);
    }
    for (uint32_t i = 0; i < sm->ntouch; i++) {
        const aloc *l = fm_loc_get(A, sm->touch[i].loc);
        const aloc *r = fm_loc_get(A, l->root);
        tbl *t = r->kind == LR_TABLE && l->nderef ? find_table(S, TK_API, r->arg) : NULL;
        if (t)
            note_chase(t, sm->touch[i].ev);
    }
}

/* ---- arrays whose element is chosen by data ---- */

static void add_alternative(tbl *t, keyinfo *ki)
{
    for (uint32_t q = 0; q < t->nalt; q++)
        if (fm_keyinfo_equal(&t->alt[q], ki)) {
            fm_strset_free(&ki->other);
            return;
        }
    t->alt = fm_xrealloc(t->alt, (t->nalt + 1) * sizeof *t->alt);
    t->alt[t->nalt++] = *ki;
}

static void collect_index(nfstate *S, const summary *sm, const rec_index *x)
{
    an *A = S->N.A;
    if (x->idx.n == 0)
        return; /* a constant or a loop counter: not chosen by data */
    uint32_t region = index_region(A, x->loc);
    const char *p = region ? fm_nf_persistence(S, region) : NULL;
    if (!p || !strcmp(p, "nested") || !strcmp(p, "unknown"))
        return; /* element arrays, and memory of unknown origin (TK_HIDDEN) */
    keyinfo ki;
    S->N.sm = sm;
    fm_key_of_value(&S->N, &x->idx, &ki);
    /* keyed by packet data (a field, other packet data, data that went
     * through code flowmage cannot see, a position a table returned); an
     * index of unknown origin without any of these (a clock, a random
     * number) keys it only where it is written directly */
    int others = (int)ki.other.n - fm_strset_has(&ki.other, "entry_argument");
    int keyed = ki.may || others > 0 || (ki.unknown && x->is_write);
    if (!keyed) {
        fm_strset_free(&ki.other);
        return; /* loop counters, configuration: not a per-key table */
    }
    tbl *t = table_for(S, TK_ARRAY, region);
    t->persistence = p;
    fm_strset_add(&t->ops, x->is_write ? "index-write" : "index");
    t->alt_keyed |= ki.may || others > 0;
    add_alternative(t, &ki);
    if (!t->first.fn)
        t->first = x->ev;
    if (x->is_write)
        note_write(t, FM_INTENSITY_PER_PACKET, x->ev);
}

/* Writes and pointers followed inside an element of a keyed array. */
static void array_effects(nfstate *S, const summary *sm, tbl *t)
{
    an *A = S->N.A;
    for (uint32_t i = 0; i < sm->nstores; i++)
        if (writes_into(A, &sm->stores[i], t->loc))
            note_write(t, FM_INTENSITY_PER_PACKET, sm->stores[i].ev);
    for (uint32_t i = 0; i < sm->ntouch; i++)
        for (uint32_t u = sm->touch[i].loc; u; u = fm_loc_get(A, u)->parent) {
            const aloc *l = fm_loc_get(A, u);
            if ((l->kind == LS_DEREF || l->kind == LS_STAR) && fm_loc_within(A, t->loc, l->parent))
                note_chase(t, sm->touch[i].ev);
        }
}

/* ---- per-flow state handed in by a flow manager ---- */

static void collect_flow_state(nfstate *S, const summary *sm)
{
    an *A = S->N.A;
    uint32_t fcb = fm_loc_root(A, LR_FCB, 0);
    for (uint32_t i = 0; i < sm->nstores; i++) {
        if (fm_loc_root_kind(A, sm->stores[i].loc) != LR_FCB)
            continue;
        tbl *t = table_for(S, TK_FLOW_STATE, fcb);
        t->persistence = "flow_manager";
        fm_strset_add(&t->ops, "write");
        note_write(t, write_intensity(S, sm, &sm->stores[i].gd, 0), sm->stores[i].ev);
    }
    for (uint32_t i = 0; i < sm->ntouch; i++) {
        const aloc *l = fm_loc_get(A, sm->touch[i].loc);
        if (fm_loc_root_kind(A, sm->touch[i].loc) != LR_FCB || !l->nderef)
            continue;
        note_chase(table_for(S, TK_FLOW_STATE, fcb), sm->touch[i].ev);
    }
}

/* ---- state written where flowmage cannot see how ---- */

/* A value that depends on the packet: a header field or packet bytes, or
 * an argument of the entry other than the NF's state (the packet). */
int fm_nf_packet_derived(const nfstate *S, const vset *v)
{
    an *A = S->N.A;
    for (uint32_t i = 0; i < v->n; i++) {
        atom a = v->v[i];
        switch (atom_kind(a)) {
        case AK_LABEL:
            return 1;
        case AK_PARAM:
            if ((int)atom_payload(a) != S->N.state_param)
                return 1;
            break;
        case AK_CONTENT: {
            const aloc *r = fm_loc_get(A, fm_loc_get(A, (uint32_t)atom_payload(a))->root);
            if (r->kind == LR_PARAM && (int)r->arg != S->N.state_param)
                return 1;
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

static void hidden(nfstate *S, uint32_t loc, const char *what, const rec_store *st)
{
    an *A = S->N.A;
    tbl *t = table_for(S, TK_HIDDEN, loc);
    /* a library keeping state flowmage cannot see may chase pointers */
    t->chase |= st->invisible;
    const char *p = fm_nf_persistence(S, loc);
    t->persistence = p ? p : "unknown";
    fm_strset_add(&t->ops, "write");
    note_write(t, FM_INTENSITY_PER_PACKET, st->ev);
    if (!t->why) {
        fm_buf b;
        fm_buf_init(&b);
        fm_buf_printf(&b, "%s (", what);
        fm_loc_name(A, S->N.P, st->loc, &b);
        fm_buf_printf(&b, ") at %s:%u: key unknown",
                      st->ev.fn ? st->ev.fn->file : "?", st->ev.line);
        t->why = fm_xstrdup(fm_buf_cstr(&b));
        fm_buf_free(&b);
    }
}

/* A member of a packet record (or memory its pointers lead to) on the way:
 * a write there is to a packet, whatever pointer it went through. */
static int in_packet(an *A, uint32_t loc)
{
    for (uint32_t l = loc; l; l = fm_loc_get(A, l)->parent) {
        const aloc *x = fm_loc_get(A, l);
        if (x->kind == LS_FIELD &&
            fm_strset_has(&A->prof->packet_records, fm_field_get(A, x->arg)->rec))
            return 1;
    }
    return 0;
}

/* The NF's own memory whose address reached code flowmage cannot see:
 * only then can a pointer of unknown origin lead into it. */
static const rec_touch *state_escaped(nfstate *S)
{
    for (uint32_t e = 0; e < S->nentries; e++)
        for (uint32_t i = 0; i < S->sum[e]->nescape; i++) {
            const char *p = fm_nf_persistence(S, S->sum[e]->escape[i].loc);
            if (p && strcmp(p, "unknown"))
                return &S->sum[e]->escape[i];
        }
    return NULL;
}

/* Writes flowmage cannot attribute: through a pointer of unknown origin
 * once the NF's memory escaped, or by a callee it cannot follow that was
 * given packet data.  Packets are never the NF's state. */
static void collect_hidden(nfstate *S, const summary *sm, const rec_touch *escaped)
{
    an *A = S->N.A;
    for (uint32_t i = 0; i < sm->nstores; i++) {
        const rec_store *st = &sm->stores[i];
        unsigned rk = fm_loc_root_kind(A, st->loc);
        if (in_packet(A, st->loc))
            continue;
        if (rk == LR_UNKNOWN && escaped) {
            char what[1024];
            fm_buf b;
            fm_buf_init(&b);
            fm_loc_name(A, S->N.P, escaped->loc, &b);
            snprintf(what, sizeof what, "a write through a pointer of unknown origin, after "
                     "the NF's memory (%s) reached code flowmage cannot see at %s:%u",
                     fm_buf_cstr(&b), escaped->ev.fn ? escaped->ev.fn->file : "?",
                     escaped->ev.line);
            fm_buf_free(&b);
            hidden(S, fm_loc_get(A, st->loc)->root, what, st);
        }
        else if (st->invisible && rk != LR_UNKNOWN && rk != LR_FCB && rk != LR_TABLE &&
                 fm_nf_persistence(S, st->loc) && fm_nf_packet_derived(S, &st->val))
            hidden(S, fm_loc_get(A, st->loc)->root,
                   "a call flowmage cannot follow, given packet data, writes the NF's state", st);
    }
}

/* Facts missing (a limit was hit, a virtual call was not resolved): the
 * state they would show is unknown, so there is some, keyed by anything. */
static void collect_incomplete(nfstate *S, const fm_strset *notes)
{
    if (!notes->n)
        return;
    tbl *t = table_for(S, TK_HIDDEN, 0);
    t->persistence = "unknown";
    t->writes = FM_INTENSITY_PER_PACKET;
    if (!t->why)
        t->why = fm_xstrdup(notes->v[0]);
}

/* An array reached through a pointer stored in an element of a keyed
 * array is part of that element's state (a per-flow record owning a heap
 * array): its writes are the outer table's, reaching it is pointer
 * chasing, and its own index selects inside the record, not a flow. */
static void nest_arrays(nfstate *S)
{
    an *A = S->N.A;
    for (uint32_t i = 0; i < S->nt; i++) {
        tbl *in = &S->t[i];
        if (in->kind != TK_ARRAY)
            continue;
        for (uint32_t j = 0; j < S->nt; j++) {
            tbl *out = &S->t[j];
            if (j == i || out->kind != TK_ARRAY || !fm_loc_under(A, out->loc, in->loc) ||
                (!out->alt_keyed))
                continue;
            note_write(out, in->writes, in->write_ev);
            if (fm_loc_get(A, in->loc)->nderef > fm_loc_get(A, out->loc)->nderef)
                note_chase(out, in->chase_ev.fn ? in->chase_ev : in->first);
            in->kind = TK_NESTED;
            break;
        }
    }
}

static void collect_once(nfstate *S);

static void table_keys(nfstate *S);

/* Only fresh indices (and constants, and what the region held already) are
 * ever stored in the region. */
static int holds_fresh_only(const nfstate *S, uint32_t region)
{
    int any = 0;
    for (uint32_t e = 0; e < S->nentries; e++)
        for (uint32_t i = 0; i < S->sum[e]->nstores; i++) {
            const rec_store *st = &S->sum[e]->stores[i];
            if (!writes_into(S->N.A, st, region))
                continue;
            for (uint32_t v = 0; v < st->val.n; v++) {
                atom a = st->val.v[v];
                unsigned k = atom_kind(a);
                if (k == AK_CONTENT && fm_loc_under(S->N.A, region, (uint32_t)atom_payload(a)))
                    continue;
                if (k != AK_FRESH && k != AK_CONST)
                    return 0;
                any |= k == AK_FRESH;
            }
        }
    return any;
}

/* Keys read from per-flow state depend on which regions are keyed: collect
 * again until that set is stable (it only grows). */
void fm_nf_collect_tables(nfstate *S)
{
    for (int round = 0; round < 4; round++) {
        collect_once(S);
        table_keys(S);
        uint32_t n = 0;
        keyed_region *keyed = fm_xcalloc(S->nt + 1, sizeof *keyed);
        for (uint32_t i = 0; i < S->nt; i++) {
            const tbl *t = &S->t[i];
            if (!(t->kind == TK_ARRAY && t->alt_keyed) && t->kind != TK_API)
                continue;
            uint32_t loc = t->kind == TK_API ? fm_loc_root(S->N.A, LR_TABLE, t->loc) : t->loc;
            keyed[n++] = (keyed_region){loc, t->kind == TK_ARRAY && holds_fresh_only(S, loc),
                                        t->key.must};
        }
        int same = n == S->N.nkeyed && (n == 0 || !memcmp(keyed, S->N.keyed, n * sizeof *keyed));
        free(S->N.keyed);
        S->N.keyed = keyed;
        S->N.nkeyed = n;
        if (same || round == 3)
            return; /* (a fourth round's set is as good as its own: it only grew) */
        fm_nf_tables_free(S);
    }
}

static void collect_once(nfstate *S)
{
    const rec_touch *escaped = state_escaped(S);
    collect_incomplete(S, &S->incomplete);
    for (uint32_t e = 0; e < S->nentries; e++) {
        collect_incomplete(S, &S->sum[e]->notes);
        collect_api_tables(S, S->sum[e]);
        for (uint32_t i = 0; i < S->sum[e]->nidx; i++)
            collect_index(S, S->sum[e], &S->sum[e]->idx[i]);
        collect_flow_state(S, S->sum[e]);
        collect_hidden(S, S->sum[e], escaped);
    }
    for (uint32_t e = 0; e < S->nentries; e++)
        for (uint32_t k = 0; k < S->nt; k++)
            if (S->t[k].kind == TK_ARRAY)
                array_effects(S, S->sum[e], &S->t[k]);
    nest_arrays(S);
}

/* ---- keys ---- */

static void merge_key(keyinfo *k, keyinfo *a)
{
    k->must &= a->must;
    k->may |= a->may;
    k->symmetric |= a->symmetric;
    k->unknown |= a->unknown;
    k->opaque |= a->opaque;
    for (size_t j = 0; j < a->other.n; j++)
        fm_strset_add(&k->other, a->other.v[j]);
}

/* Every way a table is keyed must agree: must fields intersect. */
static void table_key(nfstate *S, tbl *t)
{
    keyinfo *k = &t->key;
    memset(k, 0, sizeof *k);
    if (t->kind == TK_FLOW_STATE || t->kind == TK_NESTED)
        return; /* keyed by the flow manager (nf.c) / by the outer table */
    if (t->kind == TK_HIDDEN) {
        k->unknown = 1;
        return;
    }
    k->must = FM_F_ALL;
    uint32_t n = t->kind == TK_ARRAY ? t->nalt : t->nacc;
    for (uint32_t i = 0; i < n; i++) {
        if (t->kind == TK_ARRAY) {
            merge_key(k, &t->alt[i]);
            continue;
        }
        keyinfo a;
        S->N.sm = t->acc[i].sm;
        fm_key_of_access(&S->N, t->acc[i].a, NULL, &a);
        merge_key(k, &a);
        fm_strset_free(&a.other);
    }
    if (!n)
        k->must = 0;
    if (t->kind == TK_API && fm_keys_swap(&S->N, t->acc, t->nacc))
        k->symmetric = 1;
}

static int is_state_table(const tbl *t)
{
    if (!t->persistence || t->writes == FM_INTENSITY_NONE || t->kind == TK_NESTED)
        return 0;
    if (t->kind == TK_FLOW_STATE || t->kind == TK_HIDDEN)
        return 1;
    return t->key.may || t->key.other.n || t->key.unknown;
}

static void table_keys(nfstate *S)
{
    for (uint32_t i = 0; i < S->nt; i++) {
        fm_strset_free(&S->t[i].key.other);
        table_key(S, &S->t[i]);
        S->t[i].stateful = is_state_table(&S->t[i]);
    }
}

void fm_nf_tables_free(nfstate *S)
{
    for (uint32_t i = 0; i < S->nt; i++) {
        tbl *t = &S->t[i];
        fm_strset_free(&t->ops);
        fm_strset_free(&t->key.other);
        for (uint32_t q = 0; q < t->nalt; q++)
            fm_strset_free(&t->alt[q].other);
        free(t->alt);
        free(t->acc);
        free(t->why);
    }
    free(S->t);
    S->t = NULL;
    S->nt = 0;
}
