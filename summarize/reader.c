/* Decoding .flowmage units (include/flowmage/section.h) into the program
 * model; elf.c finds the sections in files. */
#include <stdlib.h>
#include <string.h>
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

/* Per-unit decoding state: unit-local indices to program-wide ones. */
typedef struct unit_ctx {
    fm_program *p;
    cursor *c;
    uint32_t unit;
    const char **str;     /* unit string table (pool strings) */
    uint32_t *str_id;     /* pool ids */
    uint32_t nstr;
    int32_t *type_map;
    uint32_t ntypes;
    uint32_t *global_map;
    uint32_t nglobals;
    fm_arena *body;       /* where the current function's body is decoded */
} unit_ctx;

static const char *get_s(unit_ctx *u)
{
    uint32_t i = get_u32(u->c, u->nstr ? u->nstr - 1 : 0, "string index out of range");
    return i ? u->str[i] : NULL;
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
    u->str = fm_xcalloc(n ? n : 1, sizeof *u->str);
    u->str_id = fm_xcalloc(n ? n : 1, sizeof *u->str_id);
    for (uint32_t i = 0; i < n && !c->failed; i++) {
        uint64_t len = get_u(c);
        if (len > (uint64_t)(c->end - c->p)) {
            cur_fail(c, "string runs past the end");
            return;
        }
        u->str_id[i] = fm_pool_id(u->p, (const char *)c->p, (size_t)len);
        u->str[i] = fm_program_str(u->p, u->str_id[i]);
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
    u->type_map = fm_xcalloc(u->ntypes ? u->ntypes : 1, sizeof *u->type_map);
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
    u->global_map = fm_xcalloc(u->nglobals ? u->nglobals : 1, sizeof *u->global_map);
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
    o->v = n ? fm_arena_alloc(u->body, n * sizeof *o->v) : NULL;
    for (uint32_t i = 0; i < n && !c->failed; i++) {
        uint32_t kf = get_u32(c, 0x1ff, "bad origin");
        uint32_t idx = get_u32(c, 0xffffffu, "origin index too large");
        fm_origin *x = &o->v[i];
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
    e->path = e->npath ? fm_arena_alloc(u->body, e->npath * sizeof *e->path) : NULL;
    for (uint32_t i = 0; i < e->npath && !c->failed; i++) {
        e->path[i].rec = get_s(u);
        e->path[i].field = get_s(u);
    }
    read_opnd(u, &e->index, f->nevents, f->nparams, f->nlocals);
}

static void read_event(unit_ctx *u, fm_event *e, fm_func *f)
{
    cursor *c = u->c;
    fm_arena *a = u->body;
    e->kind = (uint8_t)get_u32(c, FM_EV_COND, "unknown event kind");
    if (e->kind == 0)
        cur_fail(c, "unknown event kind");
    e->line = get_u32(c, 0xffffffu, "bad line");
    e->nguards = get_u32(c, 64, "too many guards");
    e->guards = e->nguards ? fm_arena_alloc(a, e->nguards * sizeof *e->guards) : NULL;
    for (uint32_t i = 0; i < e->nguards && !c->failed; i++) {
        e->guards[i].cond = get_u32(c, f->nevents ? f->nevents - 1 : 0, "guard out of range");
        e->guards[i].polarity = (uint8_t)get_u32(c, 1, "bad guard polarity");
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
        e->args = e->nargs ? fm_arena_alloc(a, e->nargs * sizeof *e->args) : NULL;
        for (uint32_t i = 0; i < e->nargs && !c->failed; i++)
            read_opnd(u, &e->args[i], ne, np, nl);
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

static void add_function(unit_ctx *u, fm_func *f)
{
    fm_program *p = u->p;
    int is_decl = (f->flags & FM_FN_DECL) != 0;
    uint32_t v;
    if (!is_decl && !(f->flags & FM_FN_PUBLIC)) {
        char buf[600];
        snprintf(buf, sizeof buf, "%u#%s", u->unit, f->mangled);
        const char *key = fm_pool_str(p, buf, strlen(buf));
        if (fm_index_get(&p->static_ix, key, &v))
            return;
        fm_index_put(&p->static_ix, key, (uint32_t)p->nfuncs);
    } else if (fm_index_get(&p->func_ix, f->mangled, &v)) {
        fm_func *old = &p->funcs[v];
        /* a definition replaces a declaration; the first definition wins */
        if (is_decl || !(old->flags & FM_FN_DECL)) {
            if (!is_decl)
                p->stats.duplicates++;
            return;
        }
        p->stats.decls--;
        *old = *f;
        p->gen++;
        p->stats.funcs++;
        return;
    } else {
        fm_index_put(&p->func_ix, f->mangled, (uint32_t)p->nfuncs);
    }
    if (p->nfuncs == p->capfuncs) {
        p->capfuncs = p->capfuncs ? p->capfuncs * 2 : 1024;
        p->funcs = fm_xrealloc(p->funcs, p->capfuncs * sizeof *p->funcs);
    }
    p->funcs[p->nfuncs++] = *f;
    p->gen++;
    if (is_decl)
        p->stats.decls++;
    else
        p->stats.funcs++;
}

static int redefinition(unit_ctx *u, const fm_func *f)
{
    uint32_t v;
    if ((f->flags & FM_FN_DECL) || !(f->flags & FM_FN_PUBLIC) ||
        !fm_index_get(&u->p->func_ix, f->mangled, &v))
        return 0;
    return !(u->p->funcs[v].flags & FM_FN_DECL);
}

static void read_functions(unit_ctx *u)
{
    cursor *c = u->c;
    uint32_t n = get_u32(c, (uint32_t)(c->end - c->p), "function count too large");
    for (uint32_t i = 0; i < n && !c->failed; i++) {
        fm_func f;
        memset(&f, 0, sizeof f);
        f.unit = u->unit;
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
         * a header, an object and the binary holding it) is decoded, to be
         * checked, but into scratch memory: add_function keeps the first */
        u->body = redefinition(u, &f) ? &u->p->scratch : &u->p->arena;
        if (!(f.flags & FM_FN_DECL)) {
            f.nparams = get_u32(c, 4096, "too many parameters");
            f.nstmts = get_u32(c, 0xffffffu, "bad statement count");
            f.nloops = get_u32(c, 0xffffffu, "bad loop count");
            f.nlocals = get_u32(c, 1u << 20, "too many locals");
            f.locals = f.nlocals ? fm_arena_alloc(u->body, f.nlocals * sizeof *f.locals) : NULL;
            for (uint32_t k = 0; k < f.nlocals && !c->failed; k++) {
                f.locals[k].name = get_s_nonnull(u);
                f.locals[k].type = get_type1(u);
                f.locals[k].flags = get_u32(c, 0xff, "bad local flags");
            }
            f.nevents = get_u32(c, (uint32_t)(c->end - c->p), "too many events");
            f.events = f.nevents ? fm_arena_alloc(u->body, f.nevents * sizeof *f.events) : NULL;
            for (uint32_t k = 0; k < f.nevents && !c->failed; k++)
                read_event(u, &f.events[k], &f);
        }
        if (!c->failed)
            add_function(u, &f);
        if (u->body == &u->p->scratch)
            fm_arena_rewind(&u->p->scratch);
    }
}

static int read_unit(fm_program *p, const unsigned char *pay, size_t len,
                     const char *source, long offset, fm_error *err)
{
    cursor c = {pay, pay + len, pay, source, offset, err, 0};
    if (p->nunits == p->capunits) {
        p->capunits = p->capunits ? p->capunits * 2 : 64;
        p->units = fm_xrealloc(p->units, p->capunits * sizeof *p->units);
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
    free(u.str);
    free(u.str_id);
    free(u.type_map);
    free(u.global_map);
    p->stats.units++;
    p->stats.bytes += len;
    return c.failed ? -1 : 0;
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
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
        if (len - off < FM_SECTION_HEADER_SIZE)
            return fm_fail_at_offset(err, source, at, "truncated .flowmage unit header");
        if (memcmp(b + off, FM_SECTION_MAGIC, 4) != 0)
            return fm_fail_at_offset(err, source, at, "corrupt .flowmage section: bad magic");
        if (b[off + 4] < FM_SECTION_MAJOR_OLDEST || b[off + 4] > FM_SECTION_MAJOR)
            return fm_fail_at_offset(err, source, at,
                                     ".flowmage unit of format version %u.%u; this flowmage "
                                     "reads versions %d to %d (rebuild with a matching plugin)",
                                     b[off + 4], b[off + 5], FM_SECTION_MAJOR_OLDEST,
                                     FM_SECTION_MAJOR);
        uint32_t plen = le32(b + off + 8), crc = le32(b + off + 12);
        if (plen > len - off - FM_SECTION_HEADER_SIZE)
            return fm_fail_at_offset(err, source, at,
                                     "truncated .flowmage unit: %u payload bytes announced, "
                                     "%zu present", plen, len - off - FM_SECTION_HEADER_SIZE);
        const unsigned char *pay = b + off + FM_SECTION_HEADER_SIZE;
        unsigned flags = (unsigned)b[off + 6] | (unsigned)b[off + 7] << 8;
        if (flags & ~(unsigned)FM_HDR_DEFLATE)
            return fm_fail_at_offset(err, source, at,
                                     ".flowmage unit with unknown flags 0x%x (newer plugin?)", flags);
        /* a directory holds the objects and the archives and binaries made
         * of them: read each unit once.  A unit is known by its checksum
         * and size, so a copy of one already read and checked is skipped
         * unchecked: its bytes would not be used either way */
        uint64_t id = (uint64_t)crc << 32 | plen;
        int dup = 0;
        for (size_t i = 0; i < p->nseen && !dup; i++)
            dup = p->seen_units[i] == id;
        if (dup) {
            p->stats.duplicate_units++;
            off += FM_SECTION_HEADER_SIZE + plen;
            continue;
        }
        if ((uint32_t)crc32(0L, pay, plen) != crc)
            return fm_fail_at_offset(err, source, at, "corrupt .flowmage unit: checksum mismatch");
        if (p->nseen == p->capseen) {
            p->capseen = p->capseen ? p->capseen * 2 : 256;
            p->seen_units = fm_xrealloc(p->seen_units, p->capseen * sizeof *p->seen_units);
        }
        p->seen_units[p->nseen++] = id;
        int rc;
        if (flags & FM_HDR_DEFLATE) {
            /* offsets in errors then point into the inflated payload,
             * counted from the unit's start */
            uint32_t raw = plen >= 4 ? le32(pay) : 0;
            uLongf got = raw;
            unsigned char *buf = raw && raw <= FM_SECTION_MAX_RAW ? malloc(raw) : NULL;
            if (!buf || uncompress(buf, &got, pay + 4, plen - 4) != Z_OK || got != raw) {
                free(buf);
                return fm_fail_at_offset(err, source, at,
                                         "corrupt .flowmage unit: compressed payload does not inflate");
            }
            rc = read_unit(p, buf, raw, source, at + FM_SECTION_HEADER_SIZE, err);
            p->stats.bytes = p->stats.bytes - raw + plen; /* count what is stored */
            free(buf);
        } else {
            rc = read_unit(p, pay, plen, source, at + FM_SECTION_HEADER_SIZE, err);
        }
        if (rc != 0)
            return -1;
        off += FM_SECTION_HEADER_SIZE + plen;
    }
    return 0;
}
