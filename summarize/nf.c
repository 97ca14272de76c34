/* Network functions: finding them in the program and concluding, from the
 * summaries of their per-packet entry points, what state they keep, keyed
 * by what, written how often, reached how. */
#include <stdlib.h>
#include <string.h>

#include "nf.h"

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

/* ---- the NF ---- */

static void fill_table(nfstate *S, tbl *t, fm_sum_table *o)
{
    an *A = S->N.A;
    fm_buf b;
    fm_buf_init(&b);
    if (!t->loc)
        fm_buf_puts(&b, "facts incomplete");
    else
        fm_loc_name(A, S->N.P, t->kind == TK_ARRAY ? fm_loc_get(A, t->loc)->parent : t->loc, &b);
    o->location = fm_xstrdup(fm_buf_cstr(&b));
    fm_buf_free(&b);
    o->api = fm_xstrdup(t->kind == TK_API && t->api ? t->api->api
                        : t->kind == TK_ARRAY ? "array"
                        : t->kind == TK_HIDDEN ? "unknown" : "flow_state");
    o->persistence = fm_xstrdup(t->persistence ? t->persistence : "unknown");
    for (size_t i = 0; i < t->ops.n; i++)
        fm_strset_add(&o->ops, t->ops.v[i]);
    o->key_kind = t->kind == TK_FLOW_STATE && !t->key.must && !t->key.unknown ? FM_KEY_FLOW_MANAGER
                : t->key.unknown && !t->key.must ? FM_KEY_UNKNOWN : FM_KEY_FIELDS;
    o->key_fields = t->key.must;
    for (size_t i = 0; i < t->key.other.n; i++)
        fm_strset_add(&o->key_other, t->key.other.v[i]);
    o->symmetric = t->key.symmetric;
    o->writes = t->writes;
    o->pointer_chasing = t->chase || (t->kind == TK_API && t->api && t->api->node_based);
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

static void key_notes(fm_summary *o, const tbl *t)
{
    if (t->key.may & ~t->key.must) {
        char f[64];
        fm_fieldset_format(t->key.may & ~t->key.must, f, sizeof f);
        info(o, "key fields %s reach the key only on some paths: left out", f);
    }
    if (t->key.opaque)
        info(o, "a key field goes through a function flowmage cannot see: left out%s", "");
    if (t->key.unknown && t->key.must)
        info(o, "the key also holds values of unknown origin%s", "");
    if (t->kind == TK_HIDDEN)
        note(o, "%s", t->why);
}

/* A flow manager's flow blocks are its own state, keyed by its own index
 * (its tables); flowmage never assumes that key. */
static void conclude_key(nfstate *S)
{
    fm_summary *o = S->out;
    fm_elem_attrs *a = &o->a;
    int manager = a->role == FM_ROLE_FLOW_MANAGER;
    int fcb = 0, own_fcb = 0, unknown = 0, any = 0;
    fm_fieldset must = FM_F_ALL;
    for (uint32_t i = 0; i < S->nt; i++) {
        tbl *t = &S->t[i];
        if (!t->stateful)
            continue;
        if (t->writes > a->intensity)
            a->intensity = t->writes;
        if (t->chase || (t->kind == TK_API && t->api && t->api->node_based))
            a->pointer_chasing = 1;
        if (t->kind == TK_FLOW_STATE) {
            own_fcb |= manager;
            fcb |= !manager;
            continue;
        }
        any = 1;
        must &= t->key.must;
        if (t->key.unknown && !t->key.must)
            unknown = 1;
        a->symmetric |= t->key.symmetric;
        for (size_t j = 0; j < t->key.other.n; j++)
            fm_strset_add(&a->key_other, t->key.other.v[j]);
        key_notes(o, t);
    }
    if (own_fcb && !any) {
        unknown = any = 1;
        note(o, "a flow manager whose own index flowmage cannot see: key unknown%s", "");
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
            /* per-thread memory is no core's but its own: not shared */
            const char *pers = fm_nf_persistence(S, st->loc);
            if (pers && strstr(pers, "per_thread"))
                continue;
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
                if (S->t[k].kind == TK_ARRAY && S->t[k].stateful &&
                    fm_loc_under(A, S->t[k].loc, st->loc))
                    in_table = 1;
            if (st->invisible && fm_nf_packet_derived(S, &st->val))
                in_table = 1; /* an unknown table (TK_HIDDEN), not a counter */
            if (fm_nf_on_insert(S, sm, &st->gd))
                in_table = 1; /* a table's bookkeeping when a flow starts */
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
                g->per_thread = 0; /* per-thread memory was left out above */
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
    fm_nf_collect_tables(S);
    conclude_key(S);
    conclude_globals(S);
    add_functions(S, cls);
    conclude_cost(S);
    for (uint32_t i = 0; i < S->nt; i++)
        if (S->t[i].kind != TK_NESTED) /* reported with the outer table */
            fill_table(S, &S->t[i], fm_summary_add_table(o));
    /* evidence: entries, key fields, state */
    for (uint32_t e = 0; e < S->nentries; e++)
        add_ev(o, "per-packet entry", (evid){S->entry[e], S->entry[e]->line_begin});
    for (int i = 0; i < FM_NFIELDS; i++) {
        if (!(o->a.key_fields & (1u << i)))
            continue;
        uint32_t lab = fm_label_id(A, fm_field_name(i));
        for (uint32_t e = 0; e < S->nentries && lab < FM_LABEL_EVS; e++)
            if (S->sum[e]->label_ev && S->sum[e]->label_ev[lab].fn) {
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
    for (size_t n = 0; n < S->incomplete.n; n++)
        fm_strset_add(&o->a.uncertain, S->incomplete.v[n]);
    for (uint32_t e = 0; e < S->nentries; e++)
        for (size_t n = 0; n < S->sum[e]->coarse.n; n++)
            fm_strset_add(&o->a.notes, S->sum[e]->coarse.v[n]);
    fm_nf_tables_free(S);
    free(S->N.keyed);
    S->N.keyed = NULL;
    S->N.nkeyed = 0;
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

/* How many inputs an element has, from its port count literal ("2/2",
 * "1-2/1", "-/-"): the most it may have; 2 when it has no bound. */
static int inputs_of(an *A, int32_t cls)
{
    const char *m = A->prof->port_count_method;
    const fm_func *f = m ? fm_class_method_named(A, cls, m) : NULL;
    const char *lit = f && !(f->flags & FM_FN_DECL) ? name_literal(A, f) : NULL;
    if (!lit)
        return 1;
    const char *slash = strchr(lit, '/'), *dash = strchr(lit, '-');
    if (dash && (!slash || dash < slash))
        return dash[1] >= '0' && dash[1] <= '9' ? atoi(dash + 1) : 2;
    return lit[0] >= '0' && lit[0] <= '9' ? atoi(lit) : 2;
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

/* FLOWMAGE_TRACE_WORK: what one NF's analysis cost, and what it reused
 * (calls and callee records found unchanged since they were applied). */
static void trace_work(an *A, const char *name)
{
    if (getenv("FLOWMAGE_TRACE_WORK"))
        fprintf(stderr, "work %ld %s (reused: %ld calls, %ld records)\n", A->work, name,
                A->calls_reused, A->records_reused);
    A->calls_reused = A->records_reused = 0;
}

static void summarize_class(an *A, int32_t cls, const char *name, fm_summary_set *set)
{
    const fm_program *P = A->P;
    const fm_profile *prof = A->prof;
    nfstate *S = fm_xcalloc(1, sizeof *S);
    S->N = (nfctx){A, P, prof, prof->state_param, NULL, 0, NULL, 0};
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
    for (size_t i = 0; i < prof->entries.n && S->nentries < FM_NF_MAX_ENTRIES; i++) {
        const fm_func *f = fm_class_method_named(A, cls, prof->entries.v[i]);
        if (!f || (f->flags & FM_FN_DECL))
            continue;
        fm_an_summary(A, f);
        S->entry[S->nentries++] = f;
        fm_strset_add(&o->entries, f->printable);
    }
    for (uint32_t e = 0; e < S->nentries; e++)
        S->sum[e] = fm_an_summary(A, S->entry[e]);
    if (S->nentries == 0)
        fm_strset_add(&S->incomplete, "no per-packet entry point found");
    if (S->nentries == FM_NF_MAX_ENTRIES)
        fm_strset_add(&S->incomplete, "more per-packet entry points than the analysis looks at");
    if (A->over_budget)
        fm_strset_add(&S->incomplete, "analysis budget exceeded: facts incomplete");
    conclude(S, cls);
    fm_nf_port_keys(S, inputs_of(A, cls));
    for (size_t i = 0; i < prof->configure.n; i++) {
        const fm_func *f = fm_class_method_named(A, cls, prof->configure.v[i]);
        if (f && !(f->flags & FM_FN_DECL))
            fm_nf_keywords(A, cls, f, &o->a.keywords);
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
    fm_strset_free(&S->incomplete);
    trace_work(A, name);
    A->over_budget = 0;
    A->work = 0;
    A->ctx = -2;
    free(S);
}

static void summarize_function_nf(an *A, const fm_func *f, const char *name,
                                  fm_summary_set *set)
{
    nfstate *S = fm_xcalloc(1, sizeof *S);
    S->N = (nfctx){A, A->P, A->prof, A->prof->state_param, NULL, 0, NULL, 0};
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
    if (A->over_budget)
        fm_strset_add(&S->incomplete, "analysis budget exceeded: facts incomplete");
    conclude(S, -1);
    fm_strset_free(&S->incomplete);
    trace_work(A, name);
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
