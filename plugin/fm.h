/* Internal declarations of the flowmage GCC plugin.  Plain structs and free
 * functions; the only class is the pass object GCC requires (flowmage.cc).
 * All facts of a unit are kept here until PLUGIN_FINISH_UNIT writes them into
 * the .flowmage section (format: include/flowmage/section.h). */
#ifndef FM_PLUGIN_FM_H
#define FM_PLUGIN_FM_H

#include <stddef.h>
#include <stdint.h>

/* ---- byte output ---- */
struct fm_wbuf {
    unsigned char *p;
    size_t len, cap;
};
void fm_w_bytes(fm_wbuf *b, const void *p, size_t n);
void fm_w_u(fm_wbuf *b, uint64_t v);   /* unsigned LEB128 */
void fm_w_u32le(fm_wbuf *b, uint32_t v);
void fm_w_free(fm_wbuf *b);

/* ---- interned strings (index 0 is "") ---- */
unsigned fm_str(const char *s);
unsigned fm_strn(const char *s, size_t n);

/* ---- options ---- */
struct fm_options {
    const char *dump_dir;      /* write each unit's raw facts here too */
    const char **exclude;      /* path prefixes: functions recorded by name only */
    int nexclude;
    int verbose;               /* statistics and problems on stderr */
    int compress;              /* store units deflated (smaller, slower to read) */
    unsigned max_events;       /* per function */
};
extern fm_options fm_opt;
bool fm_excluded_path(const char *file);

/* ---- unit-wide tables ---- */
unsigned fm_type_index(tree type);        /* registers on first sight */
unsigned fm_global_index(tree decl);
/* key string of a record type (printable, qualified); never NULL */
const char *fm_type_key(tree type);
unsigned fm_type_count(void);
void fm_types_write(fm_wbuf *b);
void fm_globals_write(fm_wbuf *b);

/* Declaration-only records for callees not defined in the unit. */
void fm_note_callee(tree fndecl);

/* ---- functions ---- */
void fm_collect_function(function *fun);  /* appends to the unit's records */
void fm_functions_write(fm_wbuf *b, unsigned *count);
void fm_functions_reset(void);
void fm_types_reset(void);
void fm_decls_append(fm_wbuf *b);
void fm_function_identity(fm_wbuf *b, tree fndecl, unsigned flags);

/* ---- counters ---- */
struct fm_counters {
    unsigned functions, decls, events, skipped, truncated;
};
extern fm_counters fm_stats;
void fm_skip(const char *what);           /* an unknown tree: counted, skipped */

/* ---- output ---- */
void fm_emit_unit(void);                  /* at PLUGIN_FINISH_UNIT */
void fm_reset_unit(void);

/* printable names through the front end's hook (copied: the C++ FE reuses
 * a small ring of buffers) */
const char *fm_printable(tree decl, int verbosity);

#endif
