/* The profile's primitives (table operations, per-thread accessors,
 * argument parsers, allocators), builtins with fixed semantics (copies,
 * atomics, allocators), and calls flowmage cannot follow: what they
 * return, write and let escape. */
#include <stdlib.h>
#include <string.h>

#include "site.h"

void fm_site_arg_locs(fa *F, const vset *v, uint32_t *out, uint32_t *n)
{
    for (uint32_t i = 0; i < v->n; i++)
        fm_fa_atom_locs(F, v->v[i], out, n, MAXL);
}

/* vals and the lookups among res written where argument `arg` points (an
 * out-pointer or out-array of the call), as the call's store `tag`. */
static void write_out_arg(site *c, int arg, uint64_t tag, vset *vals, const vset *res, evid ev)
{
    uint32_t k = c->k;
    for (uint32_t i = 0; i < res->n; i++)
        if (atom_kind(res->v[i]) == AK_TRES)
            fm_vs_add(vals, res->v[i]);
    uint32_t outs[MAXL], no = 0;
    fm_site_arg_locs(c->F, &c->args[arg], outs, &no);
    for (uint32_t i = 0; i < no; i++)
        fm_fa_write_store(c->F, tag | k, outs[i], (uint64_t)k << 8, vals, k, NULL, ev);
}

static void table_op(site *c, const fm_table_api *api, const fm_table_method *m,
                     const char *method, uint32_t this_arg)
{
    fa *F = c->F;
    an *A = F->A;
    uint32_t k = c->k;
    evid ev = {F->f, F->f->events[k].line};
    uint32_t ts[MAXL], nt = 0;
    if (this_arg < c->nargs)
        fm_site_arg_locs(F, &c->args[this_arg], ts, &nt);
    vset keyv = {0};
    if (m->key_arg >= 0 && (uint32_t)m->key_arg < c->nargs) {
        if (m->key_array) { /* the pointers stored in the array are the keys */
            uint32_t ks[MAXL], nk = 0;
            fm_site_arg_locs(F, &c->args[m->key_arg], ks, &nk);
            for (uint32_t i = 0; i < nk; i++)
                fm_fa_read(F, ks[i], &keyv);
        } else {
            fm_vs_union(&keyv, &c->args[m->key_arg]);
        }
    }
    vset res = {0};
    for (uint32_t t = 0; t < nt; t++) {
        rec_access *r = fm_fa_access(F, ((uint64_t)1 << 62) | k, ts[t], api, method, m->op,
                                  &keyv, k, NULL, ev);
        uint32_t ai = (uint32_t)(r - F->out->acc);
        uint32_t elem = fm_loc_root(A, LR_TABLE, ts[t]);
        fm_vs_add(&res, mk_atom(AK_PTR, 0, elem));
        fm_vs_add(&res, mk_atom(AK_TRES, 0, ai));
        /* the inserted value becomes the element's content */
        if (m->value_arg >= 0 && (uint32_t)m->value_arg < c->nargs) {
            const vset *val = &c->args[m->value_arg];
            for (uint32_t i = 0; i < val->n; i++)
                if (atom_kind(val->v[i]) == AK_PTR)
                    fm_fa_copy(F, elem, (uint32_t)atom_payload(val->v[i]), (uint64_t)k << 8);
            fm_fa_write(F, elem, (uint64_t)k << 8, val);
        }
    }
    /* the value stored in the element, returned through an out-pointer
     * (rte_hash_lookup_data: a user pointer, followed by the caller) */
    if (m->result_arg >= 0 && (uint32_t)m->result_arg < c->nargs) {
        vset stored = {0};
        for (uint32_t t = 0; t < nt; t++)
            fm_vs_add(&stored, mk_atom(AK_CONTENT, 0, fm_loc_root(A, LR_TABLE, ts[t])));
        write_out_arg(c, m->result_arg, (uint64_t)2 << 62, &stored, &res, ev);
        fm_vs_free(&stored);
    }
    /* each key's position, written into an out-array (bulk lookups) */
    if (m->positions_arg >= 0 && (uint32_t)m->positions_arg < c->nargs) {
        vset pos = {0};
        write_out_arg(c, m->positions_arg, (uint64_t)1 << 62, &pos, &res, ev);
        fm_vs_free(&pos);
    }
    if (F->f->events[k].call_flags & FM_CALLF_AGG_RESULT) {
        uint32_t cr = fm_loc_root(A, LR_CALLRET, k);
        fm_fa_write(F, cr, (uint64_t)k << 8, &res);
        fm_vs_clear(&res);
        fm_vs_add(&res, mk_atom(AK_PTR, 0, cr));
    }
    fm_fa_set_val(F, k, &res);
    fm_vs_free(&res);
    fm_vs_free(&keyv);
}

/* The value a callee flowmage cannot see returns.  A CONST function (GCC:
 * no memory, the arguments only, e.g. __builtin_ia32_crc32si) mixes its
 * arguments, usable in keys; a known hash function likewise; anything else
 * is "unknown" plus what its arguments and their pointees hold, marked
 * opaque (never key fields). */
static void invisible_value(site *c, int usable, vset *v)
{
    fa *F = c->F;
    unsigned fl = AF_MIXED | (usable ? 0 : AF_OPAQUE);
    if (!usable)
        fm_vs_add(v, mk_atom(AK_UNKNOWN, 0, 0));
    for (uint32_t i = 0; i < c->nargs; i++) {
        vset in = {0};
        fm_vs_union(&in, &c->args[i]);
        uint32_t ls[MAXL], n = 0;
        for (uint32_t j = 0; j < c->args[i].n; j++)
            if (atom_kind(c->args[i].v[j]) == AK_PTR)
                fm_fa_atom_locs(F, c->args[i].v[j], ls, &n, MAXL);
        for (uint32_t j = 0; j < n; j++)
            fm_fa_read(F, ls[j], &in);
        for (uint32_t j = 0; j < in.n; j++)
            if (fm_atom_scalar(in.v[j]))
                fm_vs_add(v, fm_atom_compose(in.v[j], fl));
        fm_vs_free(&in);
    }
}

void fm_site_opaque(site *c, int usable)
{
    vset v = {0};
    invisible_value(c, usable, &v);
    fm_fa_set_val(c->F, c->k, &v);
    fm_vs_free(&v);
}

/* A pointer read from memory and handed to a callee flowmage cannot see
 * may be followed there (pointer chasing: a per-flow record's pointer given
 * to a scanning library on every batch). */
static void invisible_touches(site *c)
{
    fa *F = c->F;
    evid ev = {F->f, F->f->events[c->k].line};
    for (uint32_t i = 0; i < c->nargs; i++)
        for (uint32_t j = 0; j < c->args[i].n; j++) {
            atom a = c->args[i].v[j];
            uint32_t l;
            if (atom_kind(a) == AK_PARAM)
                l = fm_loc_root(F->A, LR_PARAM, (uint32_t)atom_payload(a));
            else if (atom_kind(a) == AK_CONTENT &&
                     fm_loc_may_hold_pointer(F->A, (uint32_t)atom_payload(a)))
                l = fm_loc_child(F->A, (uint32_t)atom_payload(a), LS_DEREF, 0);
            else
                continue;
            if (fm_fa_liftable_root(F->A, l) && fm_loc_root_kind(F->A, l) != LR_UNKNOWN)
                fm_fa_touch(F, ((uint64_t)3 << 60) | ((uint64_t)c->k << 8) | i, l, ev);
        }
}

/* The places a callee flowmage cannot see is given the address of. */
static uint32_t pointer_args(site *c, uint32_t i, uint32_t *ls)
{
    fa *F = c->F;
    uint32_t n = 0;
    for (uint32_t j = 0; j < c->args[i].n; j++) {
        atom a = c->args[i].v[j];
        unsigned k = atom_kind(a);
        if ((k == AK_PARAM || k == AK_CONTENT) && (atom_flags(a) & (AF_MIXED | AF_MASKED)))
            continue; /* arithmetic on it (a size, a count): no address */
        if (k == AK_PTR || k == AK_PARAM ||
            (k == AK_CONTENT && fm_loc_may_hold_pointer(F->A, (uint32_t)atom_payload(a))))
            fm_fa_atom_locs(F, a, ls, &n, MAXL);
    }
    return n;
}

/* What a callee flowmage cannot see may write: whatever its pointer
 * arguments reach, unless GCC says it writes no memory, or only reads
 * through them.  The written value is what it was given (opaque): the NF
 * tells an unknown table API fed with packet data from a counter. */
static void invisible_writes(site *c, unsigned fnflags, const vset *v)
{
    fa *F = c->F;
    an *A = F->A;
    evid ev = {F->f, F->f->events[c->k].line};
    if (fnflags & (FM_FN_CONST | FM_FN_PURE))
        return;
    for (uint32_t i = 0; i < c->nargs; i++) {
        uint32_t ls[MAXL], n = pointer_args(c, i, ls);
        for (uint32_t j = 0; j < n; j++) {
            if (fm_loc_root_kind(A, ls[j]) == LR_UNKNOWN)
                continue;
            /* what it is given the address of may be written later,
             * through pointers flowmage cannot trace (it may keep them) */
            if (fm_fa_liftable_root(A, ls[j]))
                fm_fa_escape(F, ls[j], ev);
            if (fnflags & FM_FN_NO_ARG_WRITES)
                continue;
            uint64_t site = ((uint64_t)c->k << 8) | 0x80 | (i & 0x7f);
            fm_fa_write(F, ls[j], site, v);
            if (fm_fa_liftable_root(A, ls[j]) && fm_loc_root_kind(A, ls[j]) != LR_SLOT)
                fm_fa_store_invisible(F, ((uint64_t)5 << 59) | site, ls[j], v, c->k, ev);
        }
    }
}

/* A call flowmage cannot follow: a declaration only, a function excluded
 * from the facts, a call through a pointer, a virtual call it cannot
 * resolve to one body. */
void fm_site_invisible_call(site *c, const fm_func *g)
{
    unsigned fl = g ? g->flags : 0;
    vset v = {0}; /* also what it writes, when it may write */
    invisible_value(c, (fl & FM_FN_CONST) != 0, &v);
    fm_fa_set_val(c->F, c->k, &v);
    invisible_touches(c);
    invisible_writes(c, fl, &v);
    fm_vs_free(&v);
}

static int is_any(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(name, *list))
            return 1;
    return 0;
}

static const char *const allocators[] = {"_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t",
                                         "_ZnamRKSt9nothrow_t", "malloc", "calloc",
                                         "realloc", "__builtin_malloc", "__builtin_calloc",
                                         "rte_malloc", "rte_zmalloc", NULL};
/* Freeing memory is no state written (what was in it is gone). */
static const char *const deallocators[] = {"_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm",
                                           "_ZdlPvSt11align_val_t", "_ZdaPvSt11align_val_t",
                                           "_ZdlPvmSt11align_val_t", "free", "rte_free",
                                           "__builtin_free", NULL};
static const char *const copiers[] = {"memcpy", "memmove", "__builtin_memcpy",
                                      "__builtin_memmove", "rte_memcpy", NULL};
static const char *const setters[] = {"memset", "__builtin_memset", NULL};

/* __atomic_* / __sync_* read-modify-write builtins write their first
 * argument's pointee (atomic counters are state too). */
static int atomic_rmw(site *c, const char *name)
{
    fa *F = c->F;
    if (strncmp(name, "__atomic_", 9) && strncmp(name, "__sync_", 7))
        return 0;
    if (strstr(name, "load") || strstr(name, "thread_fence") || strstr(name, "signal_fence") ||
        strstr(name, "always_lock_free") || strstr(name, "is_lock_free") || !c->nargs)
        return 0;
    uint32_t ls[MAXL], n = 0;
    fm_site_arg_locs(F, &c->args[0], ls, &n);
    vset v = {0};
    for (uint32_t i = 1; i < c->nargs; i++)
        fm_vs_union(&v, &c->args[i]);
    evid ev = {F->f, F->f->events[c->k].line};
    for (uint32_t i = 0; i < n; i++) {
        vset cur = {0};
        fm_fa_read(F, ls[i], &cur);
        fm_vs_union(&cur, &v);
        fm_fa_write_store(F, c->k, ls[i], (uint64_t)c->k << 8, &cur, c->k, NULL, ev);
        fm_vs_free(&cur);
    }
    fm_vs_free(&v);
    return 1;
}

/* Could fm_site_builtin handle a function of this name (for some call)?
 * It asks this first, so a builtin added there must be named here. */
static int builtin_name(const char *name)
{
    return !strncmp(name, "__atomic_", 9) || !strncmp(name, "__sync_", 7) ||
           is_any(name, deallocators) || is_any(name, allocators) || is_any(name, copiers) ||
           is_any(name, setters);
}

/* Known functions with fixed semantics; returns 1 if handled. */
int fm_site_builtin(site *c, const char *name)
{
    fa *F = c->F;
    an *A = F->A;
    if (!builtin_name(name))
        return 0;
    if (atomic_rmw(c, name))
        return 1;
    if (is_any(name, deallocators)) {
        vset none = {0};
        fm_fa_set_val(F, c->k, &none);
        return 1;
    }
    if (is_any(name, allocators)) {
        vset v = {0};
        /* one abstract object per allocation site (function, call) */
        uint32_t site = 2166136261u;
        for (const char *m = F->f->mangled; *m; m++)
            site = (site ^ (unsigned char)*m) * 16777619u;
        site ^= c->k * 40503u;
        fm_vs_add(&v, mk_atom(AK_PTR, 0, fm_loc_root(A, LR_HEAP, site)));
        fm_fa_set_val(F, c->k, &v);
        fm_vs_free(&v);
        return 1;
    }
    evid ev = {F->f, F->f->events[c->k].line};
    if (is_any(name, copiers) && c->nargs >= 2) {
        /* a copy callers see, like a struct assignment (a key copied into
         * a slot of a key array) */
        uint32_t d[MAXL], nd = 0, s[MAXL], ns = 0;
        fm_site_arg_locs(F, &c->args[0], d, &nd);
        fm_site_arg_locs(F, &c->args[1], s, &ns);
        for (uint32_t i = 0; i < nd; i++)
            for (uint32_t j = 0; j < ns; j++) {
                /* within one object (a buffer shifted), a local copy */
                if (fm_loc_get(A, d[i])->root == fm_loc_get(A, s[j])->root)
                    fm_fa_copy(F, d[i], s[j], (uint64_t)c->k << 8);
                else
                    fm_fa_store_agg(F, c->k, d[i], s[j], (uint64_t)c->k << 8, c->k, NULL, ev);
            }
        fm_fa_set_val(F, c->k, &c->args[0]);
        return 1;
    }
    if (is_any(name, setters) && c->nargs >= 1) {
        /* the fill byte, everywhere in the destination */
        uint32_t d[MAXL], nd = 0;
        fm_site_arg_locs(F, &c->args[0], d, &nd);
        vset fill = {0};
        if (c->nargs >= 2)
            fm_vs_union(&fill, &c->args[1]);
        for (uint32_t i = 0; i < nd; i++)
            fm_fa_write_store(F, c->k, d[i], (uint64_t)c->k << 8, &fill, c->k, NULL, ev);
        fm_vs_free(&fill);
        fm_fa_set_val(F, c->k, &c->args[0]);
        return 1;
    }
    return 0;
}

/* The profile's I/O and logging (functions, and methods of classes): they
 * keep no element state, whether flowmage sees their code or not. */
static int no_state(const an *A, const fm_func *g)
{
    const fm_profile *p = A->prof;
    return fm_strset_has(&p->no_state_functions, g->simple) ||
           fm_strset_has(&p->no_state_functions, g->mangled) ||
           fm_strset_has(&p->no_state_functions, g->printable) ||
           (g->cls >= 0 && fm_type_derives_named(A->P, g->cls, &p->no_state_classes));
}

static int parser_call(const an *A, const fm_func *g);
static unsigned primitive_kind(const an *A, const fm_func *g);

/* Computed once per function: a call is applied at every round of its
 * caller, and these are name lookups. */
unsigned fm_fn_traits(const an *A, const fm_func *g)
{
    uint8_t *t = &A->fn_traits[g - fm_program_func_at(A->P, 0)];
    if (!*t)
        *t = (uint8_t)(FT_KNOWN | (no_state(A, g) ? FT_NO_STATE : 0) |
                       (parser_call(A, g) ? FT_PARSER : 0) |
                       primitive_kind(A, g) << FT_PRIM_SHIFT);
    return *t;
}

int fm_parser_call(an *A, const fm_func *g)
{
    return (fm_fn_traits(A, g) & FT_PARSER) != 0;
}

static int parser_call(const an *A, const fm_func *g)
{
    const fm_profile *p = A->prof;
    if (fm_strset_has(&p->parser_functions, g->simple) ||
        fm_strset_has(&p->parser_functions, g->mangled))
        return 1;
    if (g->cls < 0)
        return 0;
    const fm_type *t = fm_program_type_at(A->P, (size_t)g->cls);
    return fm_strset_has(&p->parser_classes, t->tmpl) &&
           !strncmp(g->simple, p->parser_method_prefix, strlen(p->parser_method_prefix));
}

/* The output argument of an index allocator (-1: the return value), or -2
 * if g is none ("name" or "name:N" in the profile). */
static int index_allocator(const fm_profile *p, const fm_func *g)
{
    const char *name = g->simple[0] ? g->simple : g->mangled;
    size_t len = strlen(name);
    for (size_t i = 0; i < p->index_allocators.n; i++) {
        const char *s = p->index_allocators.v[i];
        if (strncmp(s, name, len) || (s[len] && s[len] != ':'))
            continue;
        return s[len] ? atoi(s + len + 1) : -1;
    }
    return -2;
}

/* A fresh index: no other flow's while it is in use.  The allocator's own
 * bookkeeping is not followed (it is not per flow). */
static void fresh_index(site *c, int out)
{
    fa *F = c->F;
    vset v = {0};
    fm_vs_add(&v, mk_atom(AK_FRESH, 0, c->k));
    if (out < 0) {
        fm_fa_set_val(F, c->k, &v);
    } else if ((uint32_t)out < c->nargs) {
        evid ev = {F->f, F->f->events[c->k].line};
        uint32_t ls[MAXL], n = 0;
        fm_site_arg_locs(F, &c->args[out], ls, &n);
        for (uint32_t i = 0; i < n; i++)
            fm_fa_write_store(F, ((uint64_t)7 << 58) | c->k, ls[i], (uint64_t)c->k << 8, &v, c->k,
                              NULL, ev);
        vset ok = {0}; /* a success flag */
        fm_vs_add(&ok, mk_atom(AK_CONST, 0, 0));
        fm_vs_add(&ok, mk_atom(AK_CONST, 0, 1));
        fm_fa_set_val(F, c->k, &ok);
        fm_vs_free(&ok);
    }
    fm_vs_free(&v);
}

/* Which profile primitive handles calls to g, by its names alone (the
 * first that applies, in this order). */
enum { PK_NONE, PK_TABLE, PK_PER_THREAD, PK_PARSER, PK_INDEX_ALLOCATOR, PK_FRAMEWORK_VALUE,
       PK_HASH, PK_IDENTITY, PK_BUILTIN };

static const char *class_tmpl(const an *A, const fm_func *g)
{
    return g->cls >= 0 ? fm_program_type_at(A->P, (size_t)g->cls)->tmpl : NULL;
}

/* The table API a call to g is an operation of (its method in *m), or NULL.
 * C APIs are functions; their table handle is the first argument's
 * pointee. */
static const fm_table_api *table_api(const an *A, const fm_func *g, const fm_table_method **m)
{
    const char *tmpl = class_tmpl(A, g);
    if (tmpl)
        return fm_profile_table_method(A->prof, tmpl, g->simple, m);
    return fm_profile_table_function(A->prof, g->simple[0] ? g->simple : g->mangled, m);
}

static unsigned primitive_kind(const an *A, const fm_func *g)
{
    const fm_profile *p = A->prof;
    const fm_table_method *m;
    const char *tmpl = class_tmpl(A, g);
    if (table_api(A, g, &m))
        return PK_TABLE;
    if (tmpl && fm_strset_has(&p->per_thread_classes, tmpl) &&
        fm_strset_has(&p->per_thread_accessors, g->simple))
        return PK_PER_THREAD;
    if (parser_call(A, g))
        return PK_PARSER;
    if (index_allocator(p, g) != -2)
        return PK_INDEX_ALLOCATOR;
    if (fm_strset_has(&p->framework_values, g->printable) ||
        fm_strset_has(&p->framework_values, g->mangled))
        return PK_FRAMEWORK_VALUE;
    if (fm_strset_has(&p->hash_functions, g->simple))
        return PK_HASH;
    if (fm_strset_has(&p->identity_functions, g->simple) ||
        fm_strset_has(&p->identity_functions, g->mangled))
        return PK_IDENTITY;
    if (builtin_name(g->simple[0] ? g->simple : g->mangled) || builtin_name(g->mangled))
        return PK_BUILTIN; /* whether it is one depends on the arguments too */
    return PK_NONE;
}

/* Profile primitives; returns 1 if the call was handled. */
int fm_site_primitive(site *c, const fm_func *g)
{
    fa *F = c->F;
    an *A = F->A;
    switch (fm_fn_traits(A, g) >> FT_PRIM_SHIFT) {
    case PK_TABLE: {
        const fm_table_method *m;
        const fm_table_api *api = table_api(A, g, &m);
        table_op(c, api, m, g->simple, 0);
        return 1;
    }
    case PK_PER_THREAD: {
        uint32_t ls[MAXL], n = 0;
        if (c->nargs)
            fm_site_arg_locs(F, &c->args[0], ls, &n);
        vset v = {0};
        for (uint32_t i = 0; i < n; i++)
            fm_vs_add(&v, mk_atom(AK_PTR, 0, fm_loc_child(A, ls[i], LS_THREAD, 0)));
        fm_fa_set_val(F, c->k, &v);
        fm_vs_free(&v);
        return 1;
    }
    case PK_PARSER: /* its keywords: keywords.c, by a walk of configure */
        if (c->nargs)
            fm_fa_set_val(F, c->k, &c->args[0]); /* Args& chaining */
        return 1;
    case PK_INDEX_ALLOCATOR:
        fresh_index(c, index_allocator(A->prof, g));
        return 1;
    case PK_FRAMEWORK_VALUE: {
        vset v = {0}; /* some number of the framework's: no packet data */
        fm_vs_add(&v, mk_atom(AK_CONST, 0, 1));
        fm_fa_set_val(F, c->k, &v);
        fm_vs_free(&v);
        return 1;
    }
    case PK_HASH:
        fm_site_opaque(c, 1);
        return 1;
    case PK_IDENTITY:
        if (c->nargs)
            fm_fa_set_val(F, c->k, &c->args[0]);
        return 1;
    case PK_BUILTIN:
        return fm_site_builtin(c, g->simple[0] ? g->simple : g->mangled) ||
               fm_site_builtin(c, g->mangled);
    }
    return 0;
}
