/* Decoding .flowmage units (include/flowmage/section.h) into the program
 * model; elf.c finds the sections in files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "program.h"

/* ---- a bounds-checked cursor over one unit's payload ---- */

typedef struct cursor {
    const unsigned char *p, *end, *start;
    const char *source;
    long base_offset; /* file offset of start */
    fm_error *err;
    int failed;
} cursor;

static int cur_fail(cursor *c, const char *what)
{
    if (!c->failed)
        fm_fail_at_offset(c->err, c->source, c->base_offset + (long)(c->p - c->start),
                          "corrupt .flowmage section: %s", what);
    c->failed = 1;
    c->p = c->end;
    return -1;
}

static uint64_t get_u_long(cursor *c);

/* Most numbers fit one byte: that case inline, the rest out of line. */
static inline uint64_t get_u(cursor *c)
{
    if (c->p < c->end && *c->p < 0x80)
        return *c->p++;
    return get_u_long(c);
}

static uint64_t get_u_long(cursor *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end) {
            cur_fail(c, "truncated number");
            return 0;
        }
        unsigned char b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    cur_fail(c, "number too long");
    return 0;
}

static uint32_t get_u32(cursor *c, uint32_t limit, const char *what)
{
    uint64_t v = get_u(c);
    if (v > limit) {
        cur_fail(c, what);
        return 0;
    }
    return (uint32_t)v;
}

/* Per-unit decoding state: unit-local indices to program-wide ones (the
 * maps outlive the unit's reading: bodies are decoded later). */
typedef struct unit_ctx {
    fm_program *p;
    cursor *c;
    uint32_t unit;
    uint32_t *str_id;     /* unit string table: pool ids */
    uint32_t nstr;
    int32_t *type_map;
    uint32_t ntypes;
    uint32_t *global_map;
    uint32_t nglobals;
    int skim;             /* checked, not kept: a second definition, or a body */
    int names_func;       /* a function's address was read */
} unit_ctx;

static const char *get_s(unit_ctx *u)
{
    uint32_t i = get_u32(u->c, u->nstr ? u->nstr - 1 : 0, "string index out of range");
    return i ? u->p->pool.str[u->str_id[i]] : NULL;
}

static const char *get_s_nonnull(unit_ctx *u)
{
    const char *s = get_s(u);
    return s ? s : "";
}

static int32_t get_type1(unit_ctx *u)
{
    uint32_t t = get_u32(u->c, u->ntypes, "type index out of range");
    return t ? u->type_map[t - 1] : -1;
}

static void read_strtab(unit_ctx *u)
{
    cursor *c = u->c;
    uint32_t n = get_u32(c, (uint32_t)(c->end - c->p), "string count too large");
    u->nstr = n;
    u->str_id = fm_arena_alloc(&u->p->arena, (n ? n : 1) * sizeof *u->str_id);
    for (uint32_t i = 0; i < n && !c->failed; i++) {
        uint64_t len = get_u(c);
        if (len > (uint64_t)(c->end - c->p)) {
            cur_fail(c, "string runs past the end");
            return;
        }
        u->str_id[i] = fm_pool_id(u->p, (const char *)c->p, (size_t)len);
        c->p += len;
    }
}

/* Types: first allocate (or find) every key, then fill details, so field
 * and base references can point forward. */
static void read_types(unit_ctx *u)
{
    cursor *c = u->c;
    fm_program *p = u->p;
    u->ntypes = get_u32(c, (uint32_t)(c->end - c->p), "type count too large");
    u->type_map = fm_arena_alloc(&p->arena, (u->ntypes ? u->ntypes : 1) * sizeof *u->type_map);
    const unsigned char *save = c->p;
    for (int pass = 0; pass < 2 && !c->failed; pass++) {
        c->p = save;
        for (uint32_t i = 0; i < u->ntypes && !c->failed; i++) {
            const char *key = get_s_nonnull(u);
            const char *name = get_s_nonnull(u);
            const char *tmpl = get_s_nonnull(u);
            uint32_t flags = get_u32(c, 0xffff, "bad type flags");
            uint64_t size = get_u(c);
            if (pass == 0) {
                uint32_t v;
                if (!fm_index_get(&p->type_ix, key, &v)) {
                    if (p->ntypes == p->captypes) {
                        p->captypes = p->captypes ? p->captypes * 2 : 256;
                        p->types = fm_xrealloc(p->types, p->captypes * sizeof *p->types);
                    }
                    v = (uint32_t)p->ntypes++;
                    memset(&p->types[v], 0, sizeof p->types[v]);
                    p->types[v].key = key;
                    p->types[v].name = name;
                    p->types[v].tmpl = tmpl;
                    fm_index_put(&p->type_ix, key, v);
                }
                u->type_map[i] = (int32_t)v;
            }
            fm_type *t = &p->types[u->type_map[i]];
            /* keep the first complete description */
            int fill = pass == 1 && !(t->flags & FM_TYPE_COMPLETE) && (flags & FM_TYPE_COMPLETE);
            if (pass == 1 && !(t->flags & FM_TYPE_COMPLETE))
                t->flags |= flags;
            if (fill)
                t->size = size;
            uint32_t nb = get_u32(c, 4096, "too many bases");
            if (fill) {
                t->bases = fm_arena_alloc(&p->arena, nb * sizeof *t->bases);
                t->nbases = nb;
            }
            for (uint32_t k = 0; k < nb && !c->failed; k++) {
                uint32_t ti = get_u32(c, u->ntypes ? u->ntypes - 1 : 0, "base type out of range");
                uint64_t off = get_u(c);
                uint32_t bf = get_u32(c, 0xff, "bad base flags");
                if (fill)
                    t->bases[k] = (fm_base){u->type_map[ti], bf, off};
            }
            uint32_t ns = get_u32(c, 1u << 16, "too many vtable slots");
            if (fill) {
                t->slots = fm_arena_alloc(&p->arena, ns * sizeof *t->slots);
                t->nslots = ns;
            }
            for (uint32_t k = 0; k < ns && !c->failed; k++) {
                const char *m = get_s(u);
                if (fill)
                    t->slots[k] = m;
            }
            uint32_t nf = get_u32(c, 1u << 16, "too many fields");
            if (fill) {
                t->fields = fm_arena_alloc(&p->arena, nf * sizeof *t->fields);
                t->nfields = nf;
            }
            for (uint32_t k = 0; k < nf && !c->failed; k++) {
                const char *fname = get_s_nonnull(u);
                const char *tname = get_s_nonnull(u);
                int32_t ft = get_type1(u);
                uint32_t ff = get_u32(c, 0xffff, "bad field flags");
                uint64_t off = get_u(c);
                if (fill)
                    t->fields[k] = (fm_field){fname, tname, ft, ff, off};
            }
        }
    }
}

static void read_globals(unit_ctx *u)
{
    cursor *c = u->c;
    fm_program *p = u->p;
    u->nglobals = get_u32(c, (uint32_t)(c->end - c->p), "global count too large");
    u->global_map = fm_arena_alloc(&p->arena,
                                   (u->nglobals ? u->nglobals : 1) * sizeof *u->global_map);
    for (uint32_t i = 0; i < u->nglobals && !c->failed; i++) {
        const char *m = get_s_nonnull(u);
        const char *pr = get_s_nonnull(u);
        int32_t ty = get_type1(u);
        uint32_t fl = get_u32(c, 0xffff, "bad global flags");
        /* file-local statics of different units stay distinct */
        const char *key = m;
        char buf[600];
        if ((fl & (FM_GLOBAL_STATIC | FM_GLOBAL_EXTERN)) == FM_GLOBAL_STATIC &&
            (fl & FM_GLOBAL_FN_LOCAL || strchr(m, '.'))) {
            snprintf(buf, sizeof buf, "%u#%s", u->unit, m);
            key = fm_pool_str(p, buf, strlen(buf));
        }
        uint32_t v;
        if (!fm_index_get(&p->global_ix, key, &v)) {
            if (p->nglobals == p->capglobals) {
                p->capglobals = p->capglobals ? p->capglobals * 2 : 256;
                p->globals = fm_xrealloc(p->globals, p->capglobals * sizeof *p->globals);
            }
            v = (uint32_t)p->nglobals++;
            p->globals[v] = (fm_global){m, pr, ty, fl};
            fm_index_put(&p->global_ix, key, v);
        }
        u->global_map[i] = v;
    }
}

static void read_opnd(unit_ctx *u, fm_opnd *o, uint32_t nevents, uint32_t nparams,
                      uint32_t nlocals)
{
    cursor *c = u->c;
    uint32_t n = get_u32(c, (uint32_t)(c->end - c->p), "operand too large");
    o->n = n;
    o->v = n && !u->skim ? fm_arena_alloc(&u->p->arena, n * sizeof *o->v) : NULL;
    for (uint32_t i = 0; i < n && !c->failed; i++) {
        uint32_t kf = get_u32(c, 0x1ff, "bad origin");
        uint32_t idx = get_u32(c, 0xffffffu, "origin index too large");
        fm_origin skimmed, *x = u->skim ? &skimmed : &o->v[i];
        x->kind = kf & 0xf;
        x->flags = (uint8_t)(kf >> 4);
        x->index = idx;
        switch (x->kind) {
        case FM_OR_PARAM:
        case FM_OR_PARAMADDR:
            if (idx >= nparams && nparams)
                cur_fail(c, "parameter index out of range");
            break;
        case FM_OR_EVENT:
            if (idx >= nevents)
                cur_fail(c, "event index out of range");
            break;
        case FM_OR_LOCAL:
            if (idx >= nlocals)
                cur_fail(c, "local index out of range");
            break;
        case FM_OR_GLOBAL:
            if (idx >= u->nglobals)
                cur_fail(c, "global index out of range");
            else
                x->index = u->global_map[idx];
            break;
        case FM_OR_CONST:
            if (idx > 1)
                cur_fail(c, "bad constant origin");
            break;
        case FM_OR_UNKNOWN:
            if (idx != 0)
                cur_fail(c, "bad unknown origin");
            break;
        case FM_OR_FUNC:
            if (idx >= u->nstr)
                cur_fail(c, "string index out of range");
            else
                x->index = u->str_id[idx];
            u->names_func = 1;
            break;
        case FM_OR_STR:
            if (idx >= u->nstr)
                cur_fail(c, "string index out of range");
            else
                x->index = u->str_id[idx];
            break;
        default:
            cur_fail(c, "unknown origin kind");
        }
    }
}

static void read_access(unit_ctx *u, fm_event *e, fm_func *f)
{
    cursor *c = u->c;
    read_opnd(u, &e->base, f->nevents, f->nparams, f->nlocals);
    e->npath = get_u32(c, 64, "access path too long");
    e->path = e->npath && !u->skim ? fm_arena_alloc(&u->p->arena, e->npath * sizeof *e->path)
                                   : NULL;
    for (uint32_t i = 0; i < e->npath && !c->failed; i++) {
        const char *rec = get_s(u), *field = get_s(u);
        if (e->path) {
            e->path[i].rec = rec;
            e->path[i].field = field;
        }
    }
    read_opnd(u, &e->index, f->nevents, f->nparams, f->nlocals);
}

static void read_event(unit_ctx *u, fm_event *e, fm_func *f)
{
    cursor *c = u->c;
    fm_arena *a = &u->p->arena;
    e->kind = (uint8_t)get_u32(c, FM_EV_COND, "unknown event kind");
    if (e->kind == 0)
        cur_fail(c, "unknown event kind");
    e->line = get_u32(c, 0xffffffu, "bad line");
    e->nguards = get_u32(c, 64, "too many guards");
    fm_guard g[64];
    memset(g, 0, e->nguards * sizeof *g); /* (padding, compared below) */
    for (uint32_t i = 0; i < e->nguards && !c->failed; i++) {
        g[i].cond = get_u32(c, f->nevents ? f->nevents - 1 : 0, "guard out of range");
        g[i].polarity = (uint8_t)get_u32(c, 1, "bad guard polarity");
    }
    /* the events of a block share its conditions: one copy of them */
    if (!e->nguards || u->skim) {
        e->guards = NULL;
    } else if (e > f->events && e[-1].nguards == e->nguards &&
               !memcmp(e[-1].guards, g, e->nguards * sizeof *g)) {
        e->guards = e[-1].guards;
    } else {
        e->guards = fm_arena_alloc(a, e->nguards * sizeof *g);
        memcpy(e->guards, g, e->nguards * sizeof *g);
    }
    uint32_t ne = f->nevents, np = f->nparams, nl = f->nlocals;
    switch (e->kind) {
    case FM_EV_LOAD:
    case FM_EV_ADDR:
        read_access(u, e, f);
        e->acc_flags = get_u32(c, 0xffff, "bad access flags");
        break;
    case FM_EV_STORE:
        read_access(u, e, f);
        e->acc_flags = get_u32(c, 0xffff, "bad access flags");
        read_opnd(u, &e->a, ne, np, nl);
        break;
    case FM_EV_PTRADD:
        read_opnd(u, &e->a, ne, np, nl);
        read_opnd(u, &e->b, ne, np, nl);
        break;
    case FM_EV_CALL:
        e->call_kind = (uint8_t)get_u32(c, FM_CALL_INDIRECT, "unknown call kind");
        e->vclass = -1;
        if (e->call_kind == FM_CALL_DIRECT) {
            e->callee = get_s_nonnull(u);
        } else if (e->call_kind == FM_CALL_VIRTUAL) {
            uint32_t t = get_u32(c, u->ntypes ? u->ntypes - 1 : 0, "class out of range");
            e->vclass = u->ntypes ? u->type_map[t] : -1;
            e->vslot = get_u32(c, 1u << 16, "bad vtable slot");
            read_opnd(u, &e->target, ne, np, nl);
        } else if (e->call_kind == FM_CALL_INDIRECT) {
            read_opnd(u, &e->target, ne, np, nl);
        } else {
            cur_fail(c, "unknown call kind");
        }
        e->call_flags = get_u32(c, 0xffff, "bad call flags");
        e->nargs = get_u32(c, 1024, "too many call arguments");
        e->args = e->nargs && !u->skim ? fm_arena_alloc(a, e->nargs * sizeof *e->args) : NULL;
        for (uint32_t i = 0; i < e->nargs && !c->failed; i++) {
            fm_opnd skimmed;
            read_opnd(u, e->args ? &e->args[i] : &skimmed, ne, np, nl);
        }
        break;
    case FM_EV_RET:
        read_opnd(u, &e->a, ne, np, nl);
        break;
    case FM_EV_COND:
        e->cmp = (uint8_t)get_u32(c, FM_CMP_OTHER, "bad comparison");
        e->cond_flags = (uint8_t)get_u32(c, 3, "bad condition flags");
        read_opnd(u, &e->a, ne, np, nl);
        read_opnd(u, &e->b, ne, np, nl);
        break;
    }
}

/* Where a function is looked up: the public index (found: at *v), or -1
 * for a non-public definition (a unit's own, under "unit#name"). */
static int lookup_public(unit_ctx *u, const fm_func *f, uint32_t *v)
{
    if (!(f->flags & FM_FN_DECL) && !(f->flags & FM_FN_PUBLIC))
        return -1;
    return fm_index_get(&u->p->func_ix, f->mangled, v);
}

/* Adds f (its body b) unless the program has it already; known and v are
 * lookup_public's answer for it. */
static void add_function(unit_ctx *u, fm_func *f, const fm_body *b, int known, uint32_t v)
{
    fm_program *p = u->p;
    int is_decl = (f->flags & FM_FN_DECL) != 0;
    if (known < 0) {
        char buf[600];
        snprintf(buf, sizeof buf, "%u#%s", u->unit, f->mangled);
        const char *key = fm_pool_str(p, buf, strlen(buf));
        if (fm_index_get(&p->static_ix, key, &v))
            return;
        fm_index_put(&p->static_ix, key, (uint32_t)p->nfuncs);
        fm_index_put(&p->static_names, f->mangled, 1);
    } else if (known) {
        fm_func *old = &p->funcs[v];
        /* a definition replaces a declaration; the first definition wins */
        if (is_decl || !(old->flags & FM_FN_DECL)) {
            if (!is_decl)
                p->stats.duplicates++;
            return;
        }
        p->stats.decls--;
        *old = *f;
        p->bodies[v] = *b;
        p->gen++;
        p->stats.funcs++;
        return;
    } else {
        fm_index_put(&p->func_ix, f->mangled, (uint32_t)p->nfuncs);
    }
    if (p->nfuncs == p->capfuncs) {
        p->capfuncs = p->capfuncs ? p->capfuncs * 2 : 1024;
        p->funcs = fm_xrealloc(p->funcs, p->capfuncs * sizeof *p->funcs);
        p->bodies = fm_xrealloc(p->bodies, p->capfuncs * sizeof *p->bodies);
    }
    p->bodies[p->nfuncs] = *b;
    p->funcs[p->nfuncs++] = *f;
    p->gen++;
    if (is_decl)
        p->stats.decls++;
    else
        p->stats.funcs++;
}

static int redefinition(unit_ctx *u, const fm_func *f, int known, uint32_t v)
{
    return !(f->flags & FM_FN_DECL) && (f->flags & FM_FN_PUBLIC) && known > 0 &&
           !(u->p->funcs[v].flags & FM_FN_DECL);
}

static void read_functions(unit_ctx *u)
{
    cursor *c = u->c;
    uint32_t n = get_u32(c, (uint32_t)(c->end - c->p), "function count too large");
    for (uint32_t i = 0; i < n && !c->failed; i++) {
        fm_func f;
        memset(&f, 0, sizeof f);
        f.unit = u->unit;
        fm_body body = {NULL, 0, 0};
        f.mangled = get_s_nonnull(u);
        f.printable = get_s_nonnull(u);
        f.simple = get_s_nonnull(u);
        f.cls = get_type1(u);
        f.flags = get_u32(c, 0xffff, "bad function flags");
        uint32_t vs = get_u32(c, 1u << 16, "bad vtable slot");
        f.vslot = vs ? (int32_t)vs - 1 : -1;
        f.file = get_s_nonnull(u);
        f.line_begin = get_u32(c, 0xffffffu, "bad line");
        f.line_end = get_u32(c, 0xffffffu, "bad line");
        /* a second definition of a public function (an inline function of
         * a header, an object and the binary holding it) is checked, but
         * not kept: add_function keeps the first */
        uint32_t v = 0;
        int known = lookup_public(u, &f, &v);
        u->skim = redefinition(u, &f, known, v);
        if (!(f.flags & FM_FN_DECL)) {
            f.nparams = get_u32(c, 4096, "too many parameters");
            f.nstmts = get_u32(c, 0xffffffu, "bad statement count");
            f.nloops = get_u32(c, 0xffffffu, "bad loop count");
            f.nlocals = get_u32(c, 1u << 20, "too many locals");
            f.locals = f.nlocals && !u->skim
                           ? fm_arena_alloc(&u->p->arena, f.nlocals * sizeof *f.locals) : NULL;
            for (uint32_t k = 0; k < f.nlocals && !c->failed; k++) {
                fm_local skimmed, *l = f.locals ? &f.locals[k] : &skimmed;
                l->name = get_s_nonnull(u);
                l->type = get_type1(u);
                l->flags = get_u32(c, 0xff, "bad local flags");
            }
            f.nevents = get_u32(c, (uint32_t)(c->end - c->p), "too many events");
            /* the events are checked now and kept as they are stored,
             * for fm_program_decode */
            const unsigned char *ev = c->p;
            int keep = !u->skim;
            u->skim = 1;
            u->names_func = 0;
            for (uint32_t k = 0; k < f.nevents && !c->failed; k++) {
                fm_event skimmed;
                read_event(u, &skimmed, &f);
            }
            if (keep && f.nevents && !c->failed) {
                body.len = (uint32_t)(c->p - ev);
                unsigned char *enc = fm_arena_alloc(&u->p->arena, body.len);
                memcpy(enc, ev, body.len);
                body.enc = enc;
                body.names_func = (uint8_t)u->names_func;
            }
        }
        if (!c->failed)
            add_function(u, &f, &body, known, v);
    }
}

void fm_program_decode(const fm_program *cp, const fm_func *cf)
{
    size_t fi = (size_t)(cf - cp->funcs);
    if (cf->events || cf < cp->funcs || fi >= cp->nfuncs || !cp->bodies[fi].enc)
        return;
    /* the program is the same once decoded: only its storage changes */
    fm_program *p = (fm_program *)cp;
    fm_func *f = &p->funcs[fi];
    fm_body *b = &p->bodies[fi];
    const fm_unit_maps *m = &p->umaps[f->unit];
    fm_error err;
    cursor c = {b->enc, b->enc + b->len, b->enc, p->units[f->unit].source, 0, &err, 0};
    unit_ctx u = {p, &c, f->unit, m->str_id, m->nstr, m->type_map, m->ntypes, m->global_map,
                  m->nglobals, 0, 0};
    f->events = fm_arena_alloc(&p->arena, f->nevents * sizeof *f->events);
    for (uint32_t k = 0; k < f->nevents && !c.failed; k++)
        read_event(&u, &f->events[k], f);
    if (c.failed || c.p != c.end) { /* checked when it was read: cannot be */
        fprintf(stderr, "flowmage: internal error: decoding %s again failed\n", f->printable);
        abort();
    }
    b->enc = NULL;
}

void fm_program_decode_all(const fm_program *p)
{
    for (size_t i = 0; i < p->nfuncs; i++)
        fm_program_decode(p, &p->funcs[i]);
}

static int read_unit(fm_program *p, const unsigned char *pay, size_t len,
                     const char *source, long offset, fm_error *err)
{
    cursor c = {pay, pay + len, pay, source, offset, err, 0};
    if (p->nunits == p->capunits) {
        p->capunits = p->capunits ? p->capunits * 2 : 64;
        p->units = fm_xrealloc(p->units, p->capunits * sizeof *p->units);
        p->umaps = fm_xrealloc(p->umaps, p->capunits * sizeof *p->umaps);
    }
    unit_ctx u = {.p = p, .c = &c, .unit = (uint32_t)p->nunits};
    fm_unit_info *ui = &p->units[p->nunits];
    memset(ui, 0, sizeof *ui);
    ui->source = fm_pool_str(p, source, strlen(source));
    ui->bytes = len;
    read_strtab(&u);
    if (!c.failed) {
        ui->producer = get_s_nonnull(&u);
        ui->language = get_s_nonnull(&u);
        ui->main_file = get_s_nonnull(&u);
        ui->flags = get_u32(&c, 0xffff, "bad unit flags");
        ui->skipped = get_u32(&c, 0xffffffffu, "bad skipped count");
    }
    p->nunits++;
    if (!c.failed)
        read_types(&u);
    if (!c.failed)
        read_globals(&u);
    if (!c.failed)
        read_functions(&u);
    if (!c.failed && c.p != c.end)
        cur_fail(&c, "trailing bytes in unit");
    p->umaps[u.unit] = (fm_unit_maps){u.str_id, u.nstr, u.type_map, u.ntypes,
                                      u.global_map, u.nglobals};
    p->stats.units++;
    p->stats.bytes += len;
    return c.failed ? -1 : 0;
}

/* A zlib stream (RFC 1950) of exactly raw bytes into buf.  Its Adler-32
 * is not checked: the unit's CRC-32 already covered every stored byte. */
static int inflate_payload(unsigned char *buf, uint32_t raw, const unsigned char *z, uint32_t n)
{
    if (n < 6 || (z[0] & 0x0f) != Z_DEFLATED || (z[0] >> 4) > 7 || (z[1] & 0x20) ||
        ((unsigned)z[0] << 8 | z[1]) % 31 != 0)
        return -1; /* not a zlib header, or one that needs a dictionary */
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK)
        return -1;
    s.next_in = (unsigned char *)z + 2;
    s.avail_in = n - 2;
    s.next_out = buf;
    s.avail_out = raw;
    int rc = inflate(&s, Z_FINISH);
    int ok = rc == Z_STREAM_END && s.total_out == raw;
    inflateEnd(&s);
    return ok ? 0 : -1;
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A unit's header at b, avail bytes before the section ends: its stored
 * payload's size, checksum and flags. */
static int unit_header(const unsigned char *b, size_t avail, const char *source, long at,
                       uint32_t *plen, uint32_t *crc, unsigned *flags, fm_error *err)
{
    if (avail < FM_SECTION_HEADER_SIZE)
        return fm_fail_at_offset(err, source, at, "truncated .flowmage unit header");
    if (memcmp(b, FM_SECTION_MAGIC, 4) != 0)
        return fm_fail_at_offset(err, source, at, "corrupt .flowmage section: bad magic");
    if (b[4] < FM_SECTION_MAJOR_OLDEST || b[4] > FM_SECTION_MAJOR)
        return fm_fail_at_offset(err, source, at,
                                 ".flowmage unit of format version %u.%u; this flowmage "
                                 "reads versions %d to %d (rebuild with a matching plugin)",
                                 b[4], b[5], FM_SECTION_MAJOR_OLDEST, FM_SECTION_MAJOR);
    *plen = le32(b + 8);
    *crc = le32(b + 12);
    if (*plen > avail - FM_SECTION_HEADER_SIZE)
        return fm_fail_at_offset(err, source, at,
                                 "truncated .flowmage unit: %u payload bytes announced, "
                                 "%zu present", *plen, avail - FM_SECTION_HEADER_SIZE);
    *flags = (unsigned)b[6] | (unsigned)b[7] << 8;
    if (*flags & ~(unsigned)FM_HDR_DEFLATE)
        return fm_fail_at_offset(err, source, at,
                                 ".flowmage unit with unknown flags 0x%x (newer plugin?)", *flags);
    return 0;
}

/* A directory holds the objects and the archives and binaries made of
 * them: each unit is read once.  A unit is known by its checksum and
 * size, so a copy of one already read and checked is skipped unchecked:
 * its bytes would not be used either way. */
static int seen_unit(fm_program *p, uint32_t crc, uint32_t plen)
{
    uint64_t id = (uint64_t)crc << 32 | plen;
    for (size_t i = 0; i < p->nseen; i++)
        if (p->seen_units[i] == id) {
            p->stats.duplicate_units++;
            return 1;
        }
    return 0;
}

/* A unit not seen before: its stored payload checked, inflated if it is
 * deflated, and decoded. */
static int load_unit(fm_program *p, const unsigned char *pay, uint32_t plen, uint32_t crc,
                     unsigned flags, const char *source, long at, fm_error *err)
{
    if ((uint32_t)crc32(0L, pay, plen) != crc)
        return fm_fail_at_offset(err, source, at, "corrupt .flowmage unit: checksum mismatch");
    if (p->nseen == p->capseen) {
        p->capseen = p->capseen ? p->capseen * 2 : 256;
        p->seen_units = fm_xrealloc(p->seen_units, p->capseen * sizeof *p->seen_units);
    }
    p->seen_units[p->nseen++] = (uint64_t)crc << 32 | plen;
    if (!(flags & FM_HDR_DEFLATE))
        return read_unit(p, pay, plen, source, at + FM_SECTION_HEADER_SIZE, err);
    /* offsets in errors then point into the inflated payload, counted
     * from the unit's start */
    uint32_t raw = plen >= 4 ? le32(pay) : 0;
    unsigned char *buf = raw && raw <= FM_SECTION_MAX_RAW ? malloc(raw) : NULL;
    if (!buf || inflate_payload(buf, raw, pay + 4, plen - 4) != 0) {
        free(buf);
        return fm_fail_at_offset(err, source, at,
                                 "corrupt .flowmage unit: compressed payload does not inflate");
    }
    int rc = read_unit(p, buf, raw, source, at + FM_SECTION_HEADER_SIZE, err);
    p->stats.bytes = p->stats.bytes - raw + plen; /* count what is stored */
    free(buf);
    return rc;
}

int fm_program_load_bytes(fm_program *p, const void *data, size_t len,
                          const char *source, long file_offset, fm_error *err)
{
    const unsigned char *b = data;
    size_t off = 0;
    while (off < len) {
        if (b[off] == 0) { /* alignment padding between units */
            off++;
            continue;
        }
        long at = file_offset + (long)off;
        uint32_t plen, crc;
        unsigned flags;
        if (unit_header(b + off, len - off, source, at, &plen, &crc, &flags, err) != 0)
            return -1;
        if (!seen_unit(p, crc, plen) &&
            load_unit(p, b + off + FM_SECTION_HEADER_SIZE, plen, crc, flags, source, at, err) != 0)
            return -1;
        off += FM_SECTION_HEADER_SIZE + plen;
    }
    return 0;
}

static int read_at(int fd, void *buf, size_t n, uint64_t pos)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(pos + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            errno = 0; /* the file ends sooner */
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

int fm_program_load_fd(fm_program *p, int fd, uint64_t pos, uint64_t len,
                       const char *source, long file_offset, fm_error *err)
{
    unsigned char hdr[FM_SECTION_HEADER_SIZE], *pay = NULL;
    size_t cap = 0;
    int rc = 0;
    for (uint64_t off = 0; off < len && rc == 0;) {
        long at = file_offset + (long)off;
        size_t want = len - off < sizeof hdr ? (size_t)(len - off) : sizeof hdr, z = 0;
        if (read_at(fd, hdr, want, pos + off) != 0) {
            rc = fm_fail_at_offset(err, source, at, "cannot read .flowmage section: %s",
                                   errno ? strerror(errno) : "end of file");
            break;
        }
        while (z < want && hdr[z] == 0) /* alignment padding between units */
            z++;
        if (z) {
            off += z;
            continue;
        }
        uint32_t plen, crc;
        unsigned flags;
        rc = unit_header(hdr, (size_t)(len - off), source, at, &plen, &crc, &flags, err);
        if (rc == 0 && !seen_unit(p, crc, plen)) {
            if (plen > cap) {
                cap = plen;
                free(pay);
                pay = fm_xmalloc(cap);
            }
            if (read_at(fd, pay, plen, pos + off + FM_SECTION_HEADER_SIZE) != 0)
                rc = fm_fail_at_offset(err, source, at, "cannot read .flowmage unit: %s",
                                       errno ? strerror(errno) : "end of file");
            else
                rc = load_unit(p, pay, plen, crc, flags, source, at, err);
        }
        off += FM_SECTION_HEADER_SIZE + plen;
    }
    free(pay);
    return rc;
}
