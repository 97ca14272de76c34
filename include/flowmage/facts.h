/* flowmage — the facts the plugin stored, read back from objects, archives,
 * executables, shared objects or raw .fmg dumps, and merged into one program
 * model: a function emitted by several units (inline functions, template
 * instantiations) appears once; types merge by key, globals by name.
 * The on-disk format is include/flowmage/section.h. */
#ifndef FLOWMAGE_FACTS_H
#define FLOWMAGE_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include "flowmage/common.h"
#include "flowmage/section.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fm_origin {
    uint8_t kind;   /* FM_OR_* */
    uint8_t flags;  /* FM_OF_* */
    uint32_t index;
} fm_origin;

typedef struct fm_opnd {
    fm_origin *v;
    uint32_t n;
} fm_opnd;

typedef struct fm_pathel {
    const char *rec;   /* record key, NULL for an array element */
    const char *field; /* "$base" for a base subobject */
} fm_pathel;

typedef struct fm_guard {
    uint32_t cond;     /* index of a COND event of the same function */
    uint8_t polarity;  /* 1: the condition held */
} fm_guard;

typedef struct fm_event {
    /* (fields ordered to pack, and an access's and a call's own fields
     * share their place: a build holds hundreds of thousands; read only
     * the fields of the event's kind) */
    uint8_t kind;      /* FM_EV_* */
    uint8_t call_kind; /* CALL: FM_CALL_* */
    uint8_t cmp, cond_flags; /* COND */
    uint32_t line;
    fm_guard *guards;
    uint32_t nguards;
    /* STORE value, RET value, PTRADD base (a) and offset (b), COND lhs/rhs */
    fm_opnd a, b;
    union {
        struct { /* LOAD / STORE / ADDR */
            fm_opnd base;
            fm_opnd index;
            fm_pathel *path;
            uint32_t npath;
            uint32_t acc_flags;
        };
        struct { /* CALL */
            fm_opnd target;       /* VIRTUAL object, INDIRECT pointer */
            fm_opnd *args;
            const char *callee;   /* DIRECT: mangled name */
            uint32_t nargs;
            int32_t vclass;       /* VIRTUAL: program type index */
            uint32_t vslot;
            uint32_t call_flags;
        };
    };
} fm_event;

typedef struct fm_local {
    const char *name;
    int32_t type;      /* program type index or -1 */
    uint32_t flags;    /* FM_LOCAL_* */
} fm_local;

/* A defined function's events are decoded the first time they are asked
 * for: events is NULL (nevents is their count) until fm_program_decode. */
typedef struct fm_func {
    const char *mangled, *printable, *simple;
    int32_t cls;       /* program type index or -1 */
    uint32_t flags;    /* FM_FN_* */
    int32_t vslot;     /* -1 if not virtual */
    const char *file;
    uint32_t line_begin, line_end;
    uint32_t nparams, nstmts, nloops;
    fm_local *locals;
    uint32_t nlocals;
    fm_event *events;
    uint32_t nevents;
    uint32_t unit;     /* index into fm_program.units */
} fm_func;

typedef struct fm_field {
    const char *name, *type_name;
    int32_t type;      /* program type index of a by-value record, or -1 */
    uint32_t flags;    /* FM_FIELD_* */
    uint64_t offset;
} fm_field;

typedef struct fm_base {
    int32_t type;
    uint32_t flags;    /* FM_BASE_* */
    uint64_t offset;
} fm_base;

typedef struct fm_type {
    const char *key, *name, *tmpl;
    uint32_t flags;    /* FM_TYPE_* */
    uint64_t size;
    fm_base *bases;
    uint32_t nbases;
    const char **slots; /* mangled method per vtable slot (NULL if unknown) */
    uint32_t nslots;
    fm_field *fields;
    uint32_t nfields;
} fm_type;

typedef struct fm_global {
    const char *mangled, *printable;
    int32_t type;
    uint32_t flags;    /* FM_GLOBAL_* */
} fm_global;

typedef struct fm_unit_info {
    const char *source;   /* the file it was read from ("lib.a(x.o)") */
    const char *producer, *language, *main_file;
    uint32_t flags, skipped;
    uint64_t bytes;
} fm_unit_info;

typedef struct fm_program fm_program;

fm_program *fm_program_new(void);
void fm_program_free(fm_program *p);

/* Read every unit in path: an ELF object, archive, executable or shared
 * object, a raw .fmg dump, or a directory (searched recursively, in name
 * order, for such files).  A file without a .flowmage section is skipped
 * (counted); a corrupt, truncated or future-version section is an error
 * naming the file and the offset. */
int fm_program_load(fm_program *p, const char *path, fm_error *err);
/* Parse one section's bytes (several units back to back). */
int fm_program_load_bytes(fm_program *p, const void *data, size_t len,
                          const char *source, long file_offset, fm_error *err);
/* The same, for the len bytes at pos of file fd: a unit already read is
 * skipped at its header, unread (file_offset: pos as errors show it). */
int fm_program_load_fd(fm_program *p, int fd, uint64_t pos, uint64_t len,
                       const char *source, long file_offset, fm_error *err);

size_t fm_program_nfuncs(const fm_program *p);
const fm_func *fm_program_func_at(const fm_program *p, size_t i);
/* Sets f->events (a function of p: checked when it was read, decoded now,
 * once); the same for every function. */
void fm_program_decode(const fm_program *p, const fm_func *f);
void fm_program_decode_all(const fm_program *p);
/* The definition a call from unit `from_unit` reaches (its own static
 * function first, else the public one), or a declaration, or NULL. */
const fm_func *fm_program_func(const fm_program *p, const char *mangled,
                               uint32_t from_unit);
/* The same for direct call e of function f, remembered. */
const fm_func *fm_program_callee(const fm_program *p, const fm_func *f, const fm_event *e);
size_t fm_program_ntypes(const fm_program *p);
const fm_type *fm_program_type_at(const fm_program *p, size_t i);
int32_t fm_program_type_index(const fm_program *p, const char *key);
size_t fm_program_nglobals(const fm_program *p);
const fm_global *fm_program_global_at(const fm_program *p, size_t i);
size_t fm_program_nunits(const fm_program *p);
const fm_unit_info *fm_program_unit_at(const fm_program *p, size_t i);
/* Origins of kind FM_OR_GLOBAL index fm_program_global_at; FM_OR_STR index
 * the program's string pool. */
const char *fm_program_str(const fm_program *p, uint32_t id);
typedef struct fm_program_stats {
    size_t inputs, units, skipped_files, funcs, decls, duplicates, bytes;
    size_t duplicate_units;   /* identical units met again (archive, binary) */
} fm_program_stats;
fm_program_stats fm_program_get_stats(const fm_program *p);

/* The program as JSON (flowmage dump); deterministic.  The filtered form
 * keeps functions (and, with types, types) whose printable name contains
 * filter (NULL: all). */
char *fm_program_to_json(const fm_program *p);
char *fm_program_dump_json(const fm_program *p, const char *filter, int with_types,
                           int with_decls);

#ifdef __cplusplus
}
#endif
#endif
