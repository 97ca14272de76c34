/* `flowmage dump`: the program model as JSON, for people and golden tests. */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "program.h"

static const char *const ev_names[] = {"?", "load", "store", "addr", "ptradd",
                                       "call", "ret", "cond"};
static const char *const cmp_names[] = {"?", "==", "!=", "<", "<=", ">", ">=", "other"};

static void origin_text(const fm_program *p, const fm_func *f, const fm_origin *o,
                        fm_buf *b)
{
    switch (o->kind) {
    case FM_OR_PARAM:
        fm_buf_printf(b, "param%u", o->index);
        break;
    case FM_OR_PARAMADDR:
        fm_buf_printf(b, "&param%u", o->index);
        break;
    case FM_OR_EVENT:
        fm_buf_printf(b, "ev%u", o->index);
        break;
    case FM_OR_LOCAL:
        fm_buf_printf(b, "&%s", o->index < f->nlocals ? f->locals[o->index].name : "?");
        break;
    case FM_OR_GLOBAL:
        fm_buf_printf(b, "&%s", o->index < p->nglobals ? p->globals[o->index].printable : "?");
        break;
    case FM_OR_STR:
        fm_buf_printf(b, "\"%s\"", fm_program_str(p, o->index));
        break;
    case FM_OR_CONST:
        fm_buf_puts(b, o->index ? "const" : "0");
        break;
    case FM_OR_UNKNOWN:
        fm_buf_puts(b, "unknown");
        break;
    case FM_OR_FUNC:
        fm_buf_printf(b, "&%s()", fm_program_str(p, o->index));
        break;
    default:
        fm_buf_puts(b, "?");
    }
    if (o->flags) {
        const char *sep = "[";
        if (o->flags & FM_OF_MASKED) fm_buf_printf(b, "%smasked", sep), sep = ",";
        if (o->flags & FM_OF_MIXED) fm_buf_printf(b, "%smixed", sep), sep = ",";
        if (o->flags & FM_OF_SYMJOIN) fm_buf_printf(b, "%ssymjoin", sep), sep = ",";
        if (o->flags & FM_OF_SELECT) fm_buf_printf(b, "%sselect", sep), sep = ",";
        if (o->flags & FM_OF_ZEROTEST) fm_buf_printf(b, "%szerotest", sep);
        fm_buf_puts(b, "]");
    }
}

static cJSON *opnd_json(const fm_program *p, const fm_func *f, const fm_opnd *o)
{
    cJSON *a = cJSON_CreateArray();
    for (uint32_t i = 0; i < o->n; i++) {
        fm_buf b;
        fm_buf_init(&b);
        origin_text(p, f, &o->v[i], &b);
        cJSON_AddItemToArray(a, cJSON_CreateString(fm_buf_cstr(&b)));
        fm_buf_free(&b);
    }
    return a;
}

static void path_text(const fm_event *e, fm_buf *b)
{
    for (uint32_t i = 0; i < e->npath; i++) {
        if (!e->path[i].rec) {
            fm_buf_puts(b, "[]");
            continue;
        }
        if (i == 0)
            fm_buf_puts(b, e->path[i].rec);
        fm_buf_printf(b, ".%s", e->path[i].field ? e->path[i].field : "?");
    }
}

static void add_flag_list(cJSON *o, const char *key, uint32_t flags,
                          const char *const *names, int n)
{
    if (!flags)
        return;
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (int i = 0; i < n; i++)
        if (flags & (1u << i))
            cJSON_AddItemToArray(a, cJSON_CreateString(names[i]));
}

static const char *const acc_flag_names[] = {"deref", "indexed", "aggregate", "bitfield",
                                             "volatile", "clobber", "pointer"};
static const char *const call_flag_names[] = {"agg_result", "noreturn", "builtin", "in_loop"};
static const char *const fn_flag_names[] = {"virtual", "static", "ctor", "dtor", "system",
                                            "comdat", "public", "artificial", "excluded",
                                            "truncated", "decl", "operator", "const", "pure",
                                            "no_arg_writes"};
static const char *const type_flag_names[] = {"polymorphic", "union", "system", "complete",
                                              "has_pointer"};
static const char *const field_flag_names[] = {"pointer", "array", "record", "base", "vptr",
                                               "funcptr"};

static cJSON *event_json(const fm_program *p, const fm_func *f, uint32_t i)
{
    const fm_event *e = &f->events[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "i", i);
    cJSON_AddStringToObject(o, "kind", e->kind <= FM_EV_COND ? ev_names[e->kind] : "?");
    cJSON_AddNumberToObject(o, "line", e->line);
    if (e->nguards) {
        cJSON *g = cJSON_AddArrayToObject(o, "guards");
        for (uint32_t k = 0; k < e->nguards; k++) {
            char buf[32];
            snprintf(buf, sizeof buf, "ev%u:%s", e->guards[k].cond,
                     e->guards[k].polarity ? "true" : "false");
            cJSON_AddItemToArray(g, cJSON_CreateString(buf));
        }
    }
    switch (e->kind) {
    case FM_EV_LOAD:
    case FM_EV_STORE:
    case FM_EV_ADDR: {
        fm_buf b;
        fm_buf_init(&b);
        path_text(e, &b);
        cJSON_AddStringToObject(o, "path", b.len ? fm_buf_cstr(&b) : "");
        fm_buf_free(&b);
        cJSON_AddItemToObject(o, "base", opnd_json(p, f, &e->base));
        if (e->index.n)
            cJSON_AddItemToObject(o, "index", opnd_json(p, f, &e->index));
        add_flag_list(o, "flags", e->acc_flags, acc_flag_names, 7);
        if (e->kind == FM_EV_STORE)
            cJSON_AddItemToObject(o, "value", opnd_json(p, f, &e->a));
        break;
    }
    case FM_EV_PTRADD:
        cJSON_AddItemToObject(o, "base", opnd_json(p, f, &e->a));
        cJSON_AddItemToObject(o, "offset", opnd_json(p, f, &e->b));
        break;
    case FM_EV_CALL: {
        if (e->call_kind == FM_CALL_DIRECT) {
            const fm_func *c = fm_program_func(p, e->callee, f->unit);
            cJSON_AddStringToObject(o, "callee", c && c->printable[0] ? c->printable : e->callee);
            cJSON_AddStringToObject(o, "mangled", e->callee);
        } else if (e->call_kind == FM_CALL_VIRTUAL) {
            cJSON_AddStringToObject(o, "virtual", e->vclass >= 0 ? p->types[e->vclass].name : "?");
            cJSON_AddNumberToObject(o, "slot", e->vslot);
            cJSON_AddItemToObject(o, "object", opnd_json(p, f, &e->target));
        } else {
            cJSON_AddItemToObject(o, "indirect", opnd_json(p, f, &e->target));
        }
        add_flag_list(o, "flags", e->call_flags, call_flag_names, 4);
        cJSON *a = cJSON_AddArrayToObject(o, "args");
        for (uint32_t k = 0; k < e->nargs; k++)
            cJSON_AddItemToArray(a, opnd_json(p, f, &e->args[k]));
        break;
    }
    case FM_EV_RET:
        cJSON_AddItemToObject(o, "value", opnd_json(p, f, &e->a));
        break;
    case FM_EV_COND:
        cJSON_AddStringToObject(o, "cmp", e->cmp <= FM_CMP_OTHER ? cmp_names[e->cmp] : "?");
        cJSON_AddItemToObject(o, "lhs", opnd_json(p, f, &e->a));
        cJSON_AddItemToObject(o, "rhs", opnd_json(p, f, &e->b));
        if (e->cond_flags & FM_CONDF_RHS_ZERO)
            cJSON_AddBoolToObject(o, "rhs_zero", 1);
        if (e->cond_flags & FM_CONDF_LHS_ZERO)
            cJSON_AddBoolToObject(o, "lhs_zero", 1);
        break;
    }
    return o;
}

static cJSON *func_json(const fm_program *p, const fm_func *f)
{
    fm_program_decode(p, f);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", f->printable);
    cJSON_AddStringToObject(o, "mangled", f->mangled);
    if (f->cls >= 0)
        cJSON_AddStringToObject(o, "class", p->types[f->cls].name);
    add_flag_list(o, "flags", f->flags, fn_flag_names, 12);
    if (f->vslot >= 0)
        cJSON_AddNumberToObject(o, "vslot", f->vslot);
    cJSON_AddStringToObject(o, "file", f->file);
    cJSON *l = cJSON_AddArrayToObject(o, "lines");
    cJSON_AddItemToArray(l, cJSON_CreateNumber(f->line_begin));
    cJSON_AddItemToArray(l, cJSON_CreateNumber(f->line_end));
    if (f->flags & FM_FN_DECL)
        return o;
    cJSON_AddNumberToObject(o, "params", f->nparams);
    cJSON_AddNumberToObject(o, "statements", f->nstmts);
    cJSON_AddNumberToObject(o, "loops", f->nloops);
    if (f->nlocals) {
        cJSON *a = cJSON_AddArrayToObject(o, "locals");
        for (uint32_t i = 0; i < f->nlocals; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(f->locals[i].name));
    }
    cJSON *ev = cJSON_AddArrayToObject(o, "events");
    for (uint32_t i = 0; i < f->nevents; i++)
        cJSON_AddItemToArray(ev, event_json(p, f, i));
    return o;
}

static cJSON *type_json(const fm_program *p, const fm_type *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", t->name);
    if (strcmp(t->tmpl, t->name) != 0)
        cJSON_AddStringToObject(o, "template", t->tmpl);
    add_flag_list(o, "flags", t->flags, type_flag_names, 5);
    cJSON_AddNumberToObject(o, "size", (double)t->size);
    if (t->nbases) {
        cJSON *a = cJSON_AddArrayToObject(o, "bases");
        for (uint32_t i = 0; i < t->nbases; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(
                                        t->bases[i].type >= 0 ? p->types[t->bases[i].type].name : "?"));
    }
    if (t->nslots) {
        cJSON *a = cJSON_AddArrayToObject(o, "vtable");
        for (uint32_t i = 0; i < t->nslots; i++) {
            const fm_func *m = t->slots[i] ? fm_program_func(p, t->slots[i], 0) : NULL;
            cJSON_AddItemToArray(a, cJSON_CreateString(m ? m->printable : t->slots[i] ? t->slots[i] : "?"));
        }
    }
    if (t->nfields) {
        cJSON *a = cJSON_AddArrayToObject(o, "fields");
        for (uint32_t i = 0; i < t->nfields; i++) {
            const fm_field *fl = &t->fields[i];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", fl->name);
            cJSON_AddStringToObject(x, "type", fl->type_name);
            add_flag_list(x, "flags", fl->flags, field_flag_names, 6);
            cJSON_AddNumberToObject(x, "offset", (double)fl->offset);
            cJSON_AddItemToArray(a, x);
        }
    }
    return o;
}

static int cmp_func(const void *a, const void *b)
{
    const fm_func *x = *(const fm_func *const *)a, *y = *(const fm_func *const *)b;
    int c = strcmp(x->printable, y->printable);
    return c ? c : strcmp(x->mangled, y->mangled);
}

static int cmp_type(const void *a, const void *b)
{
    return strcmp((*(const fm_type *const *)a)->key, (*(const fm_type *const *)b)->key);
}

char *fm_program_dump_json(const fm_program *p, const char *filter, int with_types,
                           int with_decls)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "flowmage_dump", FM_SECTION_MAJOR);
    cJSON *us = cJSON_AddArrayToObject(j, "units");
    for (size_t i = 0; i < p->nunits; i++) {
        const fm_unit_info *u = &p->units[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "main_file", u->main_file ? u->main_file : "");
        cJSON_AddStringToObject(o, "language", u->language ? u->language : "");
        cJSON_AddStringToObject(o, "producer", u->producer ? u->producer : "");
        cJSON_AddNumberToObject(o, "skipped_trees", u->skipped);
        cJSON_AddItemToArray(us, o);
    }
    if (with_types) {
        const fm_type **ts = fm_xcalloc(p->ntypes, sizeof *ts);
        for (size_t i = 0; i < p->ntypes; i++)
            ts[i] = &p->types[i];
        qsort(ts, p->ntypes, sizeof *ts, cmp_type);
        cJSON *a = cJSON_AddArrayToObject(j, "types");
        for (size_t i = 0; i < p->ntypes; i++)
            if (!filter || strstr(ts[i]->name, filter))
                cJSON_AddItemToArray(a, type_json(p, ts[i]));
        free(ts);
    }
    const fm_func **fs = fm_xcalloc(p->nfuncs, sizeof *fs);
    for (size_t i = 0; i < p->nfuncs; i++)
        fs[i] = &p->funcs[i];
    qsort(fs, p->nfuncs, sizeof *fs, cmp_func);
    cJSON *a = cJSON_AddArrayToObject(j, "functions");
    for (size_t i = 0; i < p->nfuncs; i++) {
        if (!with_decls && (fs[i]->flags & FM_FN_DECL))
            continue;
        if (filter && !strstr(fs[i]->printable, filter))
            continue;
        cJSON_AddItemToArray(a, func_json(p, fs[i]));
    }
    free(fs);
    char *s = fm_json_print(j);
    cJSON_Delete(j);
    return s;
}

char *fm_program_to_json(const fm_program *p)
{
    return fm_program_dump_json(p, NULL, 1, 1);
}
