/* Record types, globals and declared callees seen in the unit.  Types are
 * keyed by their printable qualified name (the same in every unit that
 * includes the definition), so the reader can merge them across objects. */
#include "gcc-common.h"

#include "flowmage/section.h"
#include "fm.h"

const char *fm_printable(tree decl, int verbosity)
{
    const char *s = lang_hooks.decl_printable_name(decl, verbosity);
    return s ? s : "";
}

/* ---- a string-keyed index (open addressing) ---- */

struct key_index {
    unsigned *slots; /* value + 1 */
    unsigned *keys;  /* string index per slot */
    unsigned nslots, n;
};

static unsigned *ki_find(key_index *ki, unsigned key)
{
    if ((ki->n + 1) * 2 > ki->nslots) {
        unsigned ns = ki->nslots ? ki->nslots * 2 : 256;
        unsigned *slots = XCNEWVEC(unsigned, ns), *keys = XCNEWVEC(unsigned, ns);
        for (unsigned i = 0; i < ki->nslots; i++) {
            if (!ki->slots[i])
                continue;
            unsigned h = (ki->keys[i] * 2654435761u) & (ns - 1);
            while (slots[h])
                h = (h + 1) & (ns - 1);
            slots[h] = ki->slots[i];
            keys[h] = ki->keys[i];
        }
        free(ki->slots);
        free(ki->keys);
        ki->slots = slots;
        ki->keys = keys;
        ki->nslots = ns;
    }
    unsigned h = (key * 2654435761u) & (ki->nslots - 1);
    while (ki->slots[h] && ki->keys[h] != key)
        h = (h + 1) & (ki->nslots - 1);
    if (!ki->slots[h])
        ki->n++; /* every caller fills a new slot */
    ki->keys[h] = key;
    return &ki->slots[h];
}

static void ki_free(key_index *ki)
{
    free(ki->slots);
    free(ki->keys);
    memset(ki, 0, sizeof *ki);
}

/* ---- types ---- */

struct fm_field_rec {
    unsigned name, type_name, type_index1, flags;
    uint64_t offset;
};
struct fm_base_rec {
    unsigned type_index, flags;
    uint64_t offset;
};
struct fm_type_rec {
    unsigned key, name, tmpl, flags;
    uint64_t size;
    fm_base_rec *bases;
    unsigned nbases;
    unsigned *slots;
    unsigned nslots;
    fm_field_rec *fields;
    unsigned nfields;
};

static fm_type_rec *types;
static unsigned ntypes, captypes;
static key_index type_ix;
static int type_depth;

unsigned fm_type_count(void) { return ntypes; }

static char anon_buf[256];

const char *fm_type_key(tree type)
{
    type = TYPE_MAIN_VARIANT(type);
    tree name = TYPE_NAME(type);
    if (name && TREE_CODE(name) == TYPE_DECL && DECL_NAME(name)) {
        /* C++: the printable name; C: the typedef or tag name */
        if (!strncmp(lang_hooks.name, "GNU C++", 7))
            return fm_printable(name, 2);
        return IDENTIFIER_POINTER(DECL_NAME(name));
    }
    if (name && TREE_CODE(name) == IDENTIFIER_NODE) {
        snprintf(anon_buf, sizeof anon_buf, "%s %s",
                 TREE_CODE(type) == UNION_TYPE ? "union" : "struct",
                 IDENTIFIER_POINTER(name));
        return anon_buf;
    }
    /* anonymous: name it after where its first field is declared */
    tree f = TYPE_FIELDS(type);
    location_t loc = f ? DECL_SOURCE_LOCATION(f) : UNKNOWN_LOCATION;
    expanded_location x = expand_location(loc);
    snprintf(anon_buf, sizeof anon_buf, "<anonymous@%s:%d>",
             x.file ? lbasename(x.file) : "?", x.line);
    return anon_buf;
}

/* A short printable spelling of any type, for field listings. */
static void type_string(tree t, char *out, size_t n, int depth)
{
    if (!t || depth > 4) {
        snprintf(out, n, "?");
        return;
    }
    switch (TREE_CODE(t)) {
    case POINTER_TYPE:
    case REFERENCE_TYPE: {
        char inner[200];
        type_string(TREE_TYPE(t), inner, sizeof inner, depth + 1);
        snprintf(out, n, "%s*", inner);
        return;
    }
    case ARRAY_TYPE: {
        char inner[200];
        type_string(TREE_TYPE(t), inner, sizeof inner, depth + 1);
        snprintf(out, n, "%s[]", inner);
        return;
    }
    case RECORD_TYPE:
    case UNION_TYPE:
    case QUAL_UNION_TYPE:
        snprintf(out, n, "%s", fm_type_key(t));
        return;
    case FUNCTION_TYPE:
    case METHOD_TYPE:
        snprintf(out, n, "function");
        return;
    default:
        if (TYPE_NAME(t) && TREE_CODE(TYPE_NAME(t)) == TYPE_DECL && DECL_NAME(TYPE_NAME(t)))
            snprintf(out, n, "%s", IDENTIFIER_POINTER(DECL_NAME(TYPE_NAME(t))));
        else if (TYPE_NAME(t) && TREE_CODE(TYPE_NAME(t)) == IDENTIFIER_NODE)
            snprintf(out, n, "%s", IDENTIFIER_POINTER(TYPE_NAME(t)));
        else
            snprintf(out, n, "%s", get_tree_code_name(TREE_CODE(t)));
    }
}

static bool is_record(tree t)
{
    return t && (TREE_CODE(t) == RECORD_TYPE || TREE_CODE(t) == UNION_TYPE ||
                 TREE_CODE(t) == QUAL_UNION_TYPE);
}

static bool is_base_field(tree f)
{
    return DECL_ARTIFICIAL(f) && !DECL_NAME(f) && is_record(TREE_TYPE(f));
}

static uint64_t const_u(tree t)
{
    return t && TREE_CODE(t) == INTEGER_CST && tree_fits_uhwi_p(t) ? tree_to_uhwi(t) : 0;
}

static void record_fields(fm_type_rec *r, tree type, bool system)
{
    unsigned n = 0;
    for (tree f = TYPE_FIELDS(type); f; f = DECL_CHAIN(f))
        if (TREE_CODE(f) == FIELD_DECL)
            n++;
    r->fields = XCNEWVEC(fm_field_rec, n ? n : 1);
    for (tree f = TYPE_FIELDS(type); f; f = DECL_CHAIN(f)) {
        if (TREE_CODE(f) != FIELD_DECL)
            continue;
        fm_field_rec *fr = &r->fields[r->nfields++];
        tree ft = TREE_TYPE(f);
        char tbuf[256];
        type_string(ft, tbuf, sizeof tbuf, 0);
        fr->type_name = fm_str(tbuf);
        if (is_base_field(f)) {
            fr->name = fm_str("$base");
            fr->flags |= FM_FIELD_BASE;
        } else {
            fr->name = DECL_NAME(f) ? fm_str(IDENTIFIER_POINTER(DECL_NAME(f))) : fm_str("$anon");
        }
        if (DECL_VIRTUAL_P(f))
            fr->flags |= FM_FIELD_VPTR;
        tree elem = ft;
        while (elem && TREE_CODE(elem) == ARRAY_TYPE) {
            fr->flags |= FM_FIELD_ARRAY;
            elem = TREE_TYPE(elem);
        }
        if (elem && (TREE_CODE(elem) == POINTER_TYPE || TREE_CODE(elem) == REFERENCE_TYPE)) {
            fr->flags |= FM_FIELD_POINTER;
            tree pt = TREE_TYPE(elem);
            if (pt && (TREE_CODE(pt) == FUNCTION_TYPE || TREE_CODE(pt) == METHOD_TYPE))
                fr->flags |= FM_FIELD_FUNCPTR;
        } else if (is_record(elem)) {
            fr->flags |= FM_FIELD_RECORD;
            /* system types (std::...) are recorded by name, not expanded */
            if (!system || (fr->flags & FM_FIELD_BASE))
                fr->type_index1 = fm_type_index(elem) + 1;
        }
        if (DECL_FIELD_OFFSET(f) && TREE_CODE(DECL_FIELD_OFFSET(f)) == INTEGER_CST &&
            DECL_FIELD_BIT_OFFSET(f) && TREE_CODE(DECL_FIELD_BIT_OFFSET(f)) == INTEGER_CST)
            fr->offset = (uint64_t)int_byte_position(f);
    }
}

static void record_bases(fm_type_rec *r, tree type)
{
    tree binfo = TYPE_BINFO(type);
    if (!binfo)
        return;
    unsigned n = BINFO_N_BASE_BINFOS(binfo);
    r->bases = XCNEWVEC(fm_base_rec, n ? n : 1);
    for (unsigned i = 0; i < n; i++) {
        tree b = BINFO_BASE_BINFO(binfo, i);
        fm_base_rec *br = &r->bases[r->nbases++];
        br->type_index = fm_type_index(BINFO_TYPE(b));
        br->offset = const_u(BINFO_OFFSET(b));
        br->flags = (BINFO_VIRTUAL_P(b) ? FM_BASE_VIRTUAL : 0) |
                    (i == 0 && br->offset == 0 ? FM_BASE_PRIMARY : 0);
    }
    /* the primary vtable, in slot order (lost under -flto's free_lang_data;
     * the reader then falls back to the methods' own slot numbers) */
    unsigned ns = 0;
    for (tree v = BINFO_VIRTUALS(binfo); v; v = TREE_CHAIN(v))
        ns++;
    if (!ns)
        return;
    r->slots = XCNEWVEC(unsigned, ns);
    for (tree v = BINFO_VIRTUALS(binfo); v; v = TREE_CHAIN(v)) {
        tree fn = TREE_VALUE(v);
        r->slots[r->nslots++] = fn && TREE_CODE(fn) == FUNCTION_DECL
                                    ? fm_str(IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(fn)))
                                    : 0;
        if (fn && TREE_CODE(fn) == FUNCTION_DECL)
            fm_note_callee(fn);
    }
}

unsigned fm_type_index(tree type)
{
    type = TYPE_MAIN_VARIANT(type);
    unsigned key = fm_str(fm_type_key(type));
    unsigned *slot = ki_find(&type_ix, key);
    if (*slot)
        return *slot - 1;
    if (ntypes == captypes) {
        captypes = captypes ? captypes * 2 : 64;
        types = XRESIZEVEC(fm_type_rec, types, captypes);
    }
    unsigned idx = ntypes++;
    *slot = idx + 1;
    fm_type_rec r = {};
    r.key = key;
    tree name = TYPE_NAME(type);
    bool system = name && TREE_CODE(name) == TYPE_DECL && DECL_IN_SYSTEM_HEADER(name);
    if (name && TREE_CODE(name) == TYPE_DECL && DECL_NAME(name)) {
        r.name = fm_str(fm_printable(name, 2));
        r.tmpl = fm_str(fm_printable(name, 1));
    } else {
        r.name = key;
        r.tmpl = key;
    }
    r.flags = (system ? FM_TYPE_SYSTEM : 0) |
              (TREE_CODE(type) == UNION_TYPE ? FM_TYPE_UNION : 0);
    types[idx] = r; /* visible to recursive registrations below */
    if (COMPLETE_TYPE_P(type) && type_depth < 8) {
        type_depth++;
        fm_type_rec full = r;
        full.flags |= FM_TYPE_COMPLETE;
        full.size = const_u(TYPE_SIZE_UNIT(type));
        record_fields(&full, type, system);
        record_bases(&full, type);
        for (unsigned i = 0; i < full.nfields; i++)
            if (full.fields[i].flags & FM_FIELD_VPTR)
                full.flags |= FM_TYPE_POLYMORPHIC;
        if (full.nslots)
            full.flags |= FM_TYPE_POLYMORPHIC;
        type_depth--;
        types[idx] = full;
    }
    return idx;
}

static void compute_has_pointer(void)
{
    /* fixpoint: a type has pointers if a field does, or a by-value record
     * field or base has */
    bool changed = true;
    while (changed) {
        changed = false;
        for (unsigned i = 0; i < ntypes; i++) {
            fm_type_rec *r = &types[i];
            if (r->flags & FM_TYPE_HAS_POINTER)
                continue;
            bool has = false;
            for (unsigned k = 0; k < r->nfields && !has; k++) {
                const fm_field_rec *f = &r->fields[k];
                if ((f->flags & FM_FIELD_POINTER) && !(f->flags & FM_FIELD_VPTR))
                    has = true;
                else if (f->type_index1 && (types[f->type_index1 - 1].flags & FM_TYPE_HAS_POINTER))
                    has = true;
            }
            if (has) {
                r->flags |= FM_TYPE_HAS_POINTER;
                changed = true;
            }
        }
    }
}

void fm_types_write(fm_wbuf *b)
{
    compute_has_pointer();
    fm_w_u(b, ntypes);
    for (unsigned i = 0; i < ntypes; i++) {
        const fm_type_rec *r = &types[i];
        fm_w_u(b, r->key);
        fm_w_u(b, r->name);
        fm_w_u(b, r->tmpl);
        fm_w_u(b, r->flags);
        fm_w_u(b, r->size);
        fm_w_u(b, r->nbases);
        for (unsigned k = 0; k < r->nbases; k++) {
            fm_w_u(b, r->bases[k].type_index);
            fm_w_u(b, r->bases[k].offset);
            fm_w_u(b, r->bases[k].flags);
        }
        fm_w_u(b, r->nslots);
        for (unsigned k = 0; k < r->nslots; k++)
            fm_w_u(b, r->slots[k]);
        fm_w_u(b, r->nfields);
        for (unsigned k = 0; k < r->nfields; k++) {
            const fm_field_rec *f = &r->fields[k];
            fm_w_u(b, f->name);
            fm_w_u(b, f->type_name);
            fm_w_u(b, f->type_index1);
            fm_w_u(b, f->flags);
            fm_w_u(b, f->offset);
        }
    }
}

/* ---- globals ---- */

struct fm_global_rec {
    unsigned mangled, printable, type1, flags;
};
static fm_global_rec *globals;
static unsigned nglobals, capglobals;
static key_index global_ix;

unsigned fm_global_index(tree decl)
{
    unsigned mangled = fm_str(IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(decl)));
    unsigned *slot = ki_find(&global_ix, mangled);
    if (*slot)
        return *slot - 1;
    if (nglobals == capglobals) {
        capglobals = capglobals ? capglobals * 2 : 64;
        globals = XRESIZEVEC(fm_global_rec, globals, capglobals);
    }
    unsigned idx = nglobals++;
    *slot = idx + 1;
    fm_global_rec *g = &globals[idx];
    g->mangled = mangled;
    g->printable = DECL_NAME(decl) ? fm_str(fm_printable(decl, 1)) : mangled;
    tree t = TREE_TYPE(decl);
    while (t && TREE_CODE(t) == ARRAY_TYPE)
        t = TREE_TYPE(t);
    g->type1 = is_record(t) ? fm_type_index(t) + 1 : 0;
    tree ctx = DECL_CONTEXT(decl);
    g->flags = (DECL_THREAD_LOCAL_P(decl) ? FM_GLOBAL_TLS : 0) |
               (TREE_STATIC(decl) ? FM_GLOBAL_STATIC : 0) |
               (ctx && TREE_CODE(ctx) == FUNCTION_DECL ? FM_GLOBAL_FN_LOCAL : 0) |
               (TREE_READONLY(decl) ? FM_GLOBAL_CONST : 0) |
               (DECL_EXTERNAL(decl) ? FM_GLOBAL_EXTERN : 0) |
               (DECL_VIRTUAL_P(decl) ? FM_GLOBAL_VTABLE : 0);
    return idx;
}

void fm_globals_write(fm_wbuf *b)
{
    fm_w_u(b, nglobals);
    for (unsigned i = 0; i < nglobals; i++) {
        fm_w_u(b, globals[i].mangled);
        fm_w_u(b, globals[i].printable);
        fm_w_u(b, globals[i].type1);
        fm_w_u(b, globals[i].flags);
    }
}

/* ---- declared callees ---- */

static key_index callee_ix;
static fm_wbuf callee_records;

void fm_note_callee(tree fndecl)
{
    unsigned mangled = fm_str(IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(fndecl)));
    unsigned *slot = ki_find(&callee_ix, mangled);
    if (*slot)
        return;
    *slot = 1;
    fm_function_identity(&callee_records, fndecl, FM_FN_DECL);
    fm_stats.decls++;
}

/* Declaration records go after the definitions; a callee that is also
 * defined in the unit appears twice, and the reader keeps the definition. */
void fm_decls_append(fm_wbuf *b)
{
    fm_w_bytes(b, callee_records.p, callee_records.len);
}

void fm_types_reset(void)
{
    for (unsigned i = 0; i < ntypes; i++) {
        free(types[i].bases);
        free(types[i].slots);
        free(types[i].fields);
    }
    free(types);
    types = NULL;
    ntypes = captypes = 0;
    free(globals);
    globals = NULL;
    nglobals = capglobals = 0;
    ki_free(&type_ix);
    ki_free(&global_ix);
    ki_free(&callee_ix);
    fm_w_free(&callee_records);
}
