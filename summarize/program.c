/* The program model: storage, interning, lookups. */
#include <stdlib.h>
#include <string.h>

#include "program.h"

void *fm_arena_alloc(fm_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!n)
        n = 8;
    if (!a->chunk || a->used + n > a->size) {
        /* 64 KB, 256 KB, then 1 MB chunks: a small input (one unit, a
         * fuzzer's) does not pay for a megabyte */
        size_t want = a->nchunks >= 2 ? (size_t)1 << 20 : (size_t)64 << (10 + 2 * a->nchunks);
        size_t sz = n > want ? n : want;
        a->chunks = fm_xrealloc(a->chunks, (a->nchunks + 1) * sizeof *a->chunks);
        a->chunk = fm_xmalloc(sz);
        a->chunks[a->nchunks++] = a->chunk;
        a->used = 0;
        a->size = sz;
    }
    void *r = a->chunk + a->used;
    a->used += n;
    memset(r, 0, n);
    return r;
}

void fm_arena_free(fm_arena *a)
{
    for (size_t i = 0; i < a->nchunks; i++)
        free(a->chunks[i]);
    free(a->chunks);
    memset(a, 0, sizeof *a);
}

/* Eight bytes a step: a build interns a few hundred thousand names, most
 * of them long mangled C++ ones. */
static uint32_t hash_str(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return (uint32_t)(h ^ (h >> 29));
}

static void pool_grow(fm_strpool *sp)
{
    uint32_t ns = sp->nslots ? sp->nslots * 2 : 4096;
    uint64_t *slots = fm_xcalloc(ns, sizeof *slots);
    for (uint32_t i = 0; i < sp->nslots; i++) {
        if (!sp->slots[i])
            continue;
        uint32_t h = (uint32_t)(sp->slots[i] >> 32) & (ns - 1);
        while (slots[h])
            h = (h + 1) & (ns - 1);
        slots[h] = sp->slots[i];
    }
    free(sp->slots);
    sp->slots = slots;
    sp->nslots = ns;
}

uint32_t fm_pool_id(fm_program *p, const char *s, size_t n)
{
    fm_strpool *sp = &p->pool;
    if ((sp->n + 1) * 2 > sp->nslots)
        pool_grow(sp);
    uint32_t full = hash_str(s, n), h = full & (sp->nslots - 1);
    for (uint64_t v; (v = sp->slots[h]); h = (h + 1) & (sp->nslots - 1)) {
        if ((uint32_t)(v >> 32) != full)
            continue;
        uint32_t id = (uint32_t)v - 1;
        const char *c = sp->str[id];
        if (memcmp(c, s, n) == 0 && c[n] == 0)
            return id;
    }
    if (sp->n == sp->cap) {
        sp->cap = sp->cap ? sp->cap * 2 : 4096;
        sp->str = fm_xrealloc(sp->str, sp->cap * sizeof *sp->str);
    }
    char *c = fm_arena_alloc(&p->arena, n + 1);
    memcpy(c, s, n);
    c[n] = 0;
    sp->str[sp->n] = c;
    sp->slots[h] = (uint64_t)full << 32 | (sp->n + 1);
    return sp->n++;
}

const char *fm_pool_str(fm_program *p, const char *s, size_t n)
{
    uint32_t id = fm_pool_id(p, s, n); /* may grow the table */
    return p->pool.str[id];
}

const char *fm_program_str(const fm_program *p, uint32_t id)
{
    return id < p->pool.n ? p->pool.str[id] : "";
}

/* ---- name index: keys are pool strings, so pointer equality suffices
 * after interning; we still compare contents to accept any string ---- */

static void index_grow(fm_index *ix)
{
    uint32_t ns = ix->nslots ? ix->nslots * 2 : 1024;
    const char **key = fm_xcalloc(ns, sizeof *key);
    uint32_t *val = fm_xcalloc(ns, sizeof *val);
    for (uint32_t i = 0; i < ix->nslots; i++) {
        if (!ix->key[i])
            continue;
        uint32_t h = hash_str(ix->key[i], strlen(ix->key[i])) & (ns - 1);
        while (key[h])
            h = (h + 1) & (ns - 1);
        key[h] = ix->key[i];
        val[h] = ix->val[i];
    }
    free(ix->key);
    free(ix->val);
    ix->key = key;
    ix->val = val;
    ix->nslots = ns;
}

int fm_index_get(const fm_index *ix, const char *key, uint32_t *val)
{
    if (!ix->nslots || !key)
        return 0;
    uint32_t h = hash_str(key, strlen(key)) & (ix->nslots - 1);
    while (ix->key[h]) {
        if (ix->key[h] == key || strcmp(ix->key[h], key) == 0) {
            *val = ix->val[h];
            return 1;
        }
        h = (h + 1) & (ix->nslots - 1);
    }
    return 0;
}

void fm_index_put(fm_index *ix, const char *key, uint32_t val)
{
    if ((ix->n + 1) * 2 > ix->nslots)
        index_grow(ix);
    uint32_t h = hash_str(key, strlen(key)) & (ix->nslots - 1);
    while (ix->key[h]) {
        if (strcmp(ix->key[h], key) == 0) {
            ix->val[h] = val;
            return;
        }
        h = (h + 1) & (ix->nslots - 1);
    }
    ix->key[h] = key;
    ix->val[h] = val;
    ix->n++;
}

void fm_index_free(fm_index *ix)
{
    free(ix->key);
    free(ix->val);
    memset(ix, 0, sizeof *ix);
}

static void callees_clear(fm_callee_memo *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->of[i]);
    free(m->of);
    free(m->name);
    free(m->def);
    memset(m, 0, sizeof *m);
}

fm_program *fm_program_new(void)
{
    fm_program *p = fm_xcalloc(1, sizeof(fm_program));
    p->callees = fm_xcalloc(1, sizeof *p->callees);
    p->gen = 1;
    return p;
}

void fm_program_free(fm_program *p)
{
    if (!p)
        return;
    free(p->types);
    free(p->globals);
    free(p->funcs);
    free(p->bodies);
    free(p->units);
    free(p->umaps);
    free(p->seen_units);
    free(p->pool.str);
    free(p->pool.slots);
    fm_index_free(&p->type_ix);
    fm_index_free(&p->global_ix);
    fm_index_free(&p->func_ix);
    fm_index_free(&p->static_ix);
    fm_index_free(&p->static_names);
    fm_arena_free(&p->arena);
    callees_clear(p->callees);
    free(p->callees);
    free(p);
}

size_t fm_program_nfuncs(const fm_program *p) { return p->nfuncs; }
const fm_func *fm_program_func_at(const fm_program *p, size_t i) { return &p->funcs[i]; }
size_t fm_program_ntypes(const fm_program *p) { return p->ntypes; }
const fm_type *fm_program_type_at(const fm_program *p, size_t i) { return &p->types[i]; }
size_t fm_program_nglobals(const fm_program *p) { return p->nglobals; }
const fm_global *fm_program_global_at(const fm_program *p, size_t i) { return &p->globals[i]; }
size_t fm_program_nunits(const fm_program *p) { return p->nunits; }
const fm_unit_info *fm_program_unit_at(const fm_program *p, size_t i) { return &p->units[i]; }
fm_program_stats fm_program_get_stats(const fm_program *p) { return p->stats; }

int32_t fm_program_type_index(const fm_program *p, const char *key)
{
    uint32_t v;
    return fm_index_get(&p->type_ix, key, &v) ? (int32_t)v : -1;
}

static const fm_func *lookup_one(const fm_program *p, const char *mangled, uint32_t from_unit)
{
    uint32_t v;
    char buf[512];
    /* (most names no unit defines non-public: no key to make for them) */
    if (fm_index_get(&p->static_names, mangled, &v) && strlen(mangled) < sizeof buf - 16) {
        snprintf(buf, sizeof buf, "%u#%s", from_unit, mangled);
        if (fm_index_get(&p->static_ix, buf, &v))
            return &p->funcs[v];
    }
    return fm_index_get(&p->func_ix, mangled, &v) ? &p->funcs[v] : NULL;
}

/* Itanium C++ ABI: complete and base constructors (C1/C2) and destructors
 * (D1/D2) usually share one body that GCC emits under one of the names;
 * a call to the other name reaches that body. */
static const fm_func *ctor_variant(const fm_program *p, const char *mangled, uint32_t from_unit)
{
    size_t n = strlen(mangled);
    if (n >= 480)
        return NULL;
    char buf[512];
    for (size_t i = 1; i + 2 < n; i++) {
        char c = mangled[i], d = mangled[i + 1], e = mangled[i + 2];
        if (!((c == 'C' && (d == '1' || d == '2')) || (c == 'D' && (d == '1' || d == '2'))))
            continue;
        if (e != 'E' && e != 'I' && e != 'B')
            continue;
        memcpy(buf, mangled, n + 1);
        buf[i + 1] = d == '1' ? '2' : '1';
        const fm_func *f = lookup_one(p, buf, from_unit);
        if (f && !(f->flags & FM_FN_DECL))
            return f;
    }
    return NULL;
}

const fm_func *fm_program_func(const fm_program *p, const char *mangled,
                               uint32_t from_unit)
{
    const fm_func *f = lookup_one(p, mangled, from_unit);
    if (f && !(f->flags & FM_FN_DECL))
        return f;
    const fm_func *alt = ctor_variant(p, mangled, from_unit);
    return alt ? alt : f;
}

/* The memo is for the program as it is (gen): cleared when it grows. */
static void callees_fresh(const fm_program *p, fm_callee_memo *m)
{
    if (m->gen != p->gen || m->n != p->nfuncs) {
        callees_clear(m);
        m->of = fm_xcalloc(p->nfuncs ? p->nfuncs : 1, sizeof *m->of);
        m->n = p->nfuncs;
        m->gen = p->gen;
    }
}

static uint32_t ptr_slot(const fm_callee_memo *m, const char *s)
{
    uint32_t h = (uint32_t)(((uintptr_t)s * 0x9E3779B97F4A7C15ULL) >> 40) & (m->nslots - 1);
    while (m->name[h] && m->name[h] != s)
        h = (h + 1) & (m->nslots - 1);
    return h;
}

static void names_grow(fm_callee_memo *m)
{
    fm_callee_memo old = *m;
    m->nslots = m->nslots ? m->nslots * 2 : 4096;
    m->name = fm_xcalloc(m->nslots, sizeof *m->name);
    m->def = fm_xcalloc(m->nslots, sizeof *m->def);
    for (uint32_t i = 0; i < old.nslots; i++)
        if (old.name[i]) {
            uint32_t h = ptr_slot(m, old.name[i]);
            m->name[h] = old.name[i];
            m->def[h] = old.def[i];
        }
    free(old.name);
    free(old.def);
}

const fm_func *fm_program_func_pooled(const fm_program *p, const char *mangled,
                                      uint32_t from_unit)
{
    fm_callee_memo *m = p->callees;
    callees_fresh(p, m);
    if (m->nslots) {
        uint32_t h = ptr_slot(m, mangled);
        if (m->name[h])
            return m->def[h];
    }
    const fm_func *f = fm_program_func(p, mangled, from_unit);
    uint32_t v;
    /* only what no unit's own static could change, and a definition
     * found by its own name (a constructor's other name may be static) */
    if (!f || (f->flags & FM_FN_DECL) || fm_index_get(&p->static_names, mangled, &v) ||
        strcmp(f->mangled, mangled) != 0)
        return f;
    if ((m->nnames + 1) * 2 > m->nslots)
        names_grow(m);
    uint32_t h = ptr_slot(m, mangled);
    m->name[h] = mangled;
    m->def[h] = f;
    m->nnames++;
    return f;
}

/* The analysis asks for the same callees again and again (every call
 * site, every NF, every round): each call's name is looked up once. */
const fm_func *fm_program_callee(const fm_program *p, const fm_func *f, const fm_event *e)
{
    static const fm_func none; /* "looked up: no such function" */
    fm_callee_memo *m = p->callees;
    size_t fi = (size_t)(f - p->funcs);
    if (f < p->funcs || fi >= p->nfuncs || e < f->events || e >= f->events + f->nevents)
        return fm_program_func(p, e->callee, f->unit);
    callees_fresh(p, m);
    if (!m->of[fi])
        m->of[fi] = fm_xcalloc(f->nevents, sizeof *m->of[fi]);
    const fm_func **slot = &m->of[fi][e - f->events];
    if (!*slot) {
        const fm_func *g = fm_program_func_pooled(p, e->callee, f->unit);
        *slot = g ? g : &none;
    }
    return *slot == &none ? NULL : *slot;
}
