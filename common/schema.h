/* Strict JSON readers: one table-driven validator for every format flowmage
 * reads (attrs, summaries and their index, NIC profiles, cost models,
 * framework profiles), and a locator that gives FILE:LINE:COL of any value.
 *
 * A format is a tree of fm_jspec values; an object lists its fields in an
 * fm_jfield table, one line per field:
 *
 *     static const fm_jfield elem_fields[] = {
 *         {"name", FM_J_REQUIRED, &fm_jspec_name},
 *         {"stateful", FM_J_OPTIONAL, &fm_jspec_bool},
 *         {"cost", FM_J_OPTIONAL, &cost_spec},
 *         {NULL, 0, NULL}};
 *
 * fm_jdoc_check() then refuses, as one located error, a required field that
 * is missing, a value of another type, a string outside its allowed values,
 * a number out of its range or not an integer where one is needed (so a
 * reader can cast it afterwards without undefined behaviour), a field given
 * twice, and, in closed objects, an unknown field.  Numbers are always
 * finite: 1e999 is refused, not read as infinity.
 *
 * Unknown fields: closed objects (hand-written configuration: profiles, NIC
 * profiles, cost models) refuse them, since a typo would silently disable a
 * setting; open objects (files flowmage writes: attrs, summaries) ignore
 * them, so that a newer writer's optional additions stay readable. */
#ifndef FM_COMMON_SCHEMA_H
#define FM_COMMON_SCHEMA_H

#include <cjson/cJSON.h>

#include "flowmage/common.h"

/* JSON types, as a mask of the types a value may have. */
enum { FM_J_NULL = 1, FM_J_BOOL = 2, FM_J_NUM = 4, FM_J_STR = 8, FM_J_ARR = 16, FM_J_OBJ = 32 };
enum { FM_J_OPTIONAL = 0, FM_J_REQUIRED = 1 };

typedef struct fm_jspec fm_jspec;

typedef struct fm_jfield {
    const char *name;
    int required;           /* FM_J_REQUIRED or FM_J_OPTIONAL */
    const fm_jspec *spec;
} fm_jfield;

struct fm_jspec {
    unsigned types;              /* allowed types (FM_J_* mask) */
    /* numbers */
    int integer;                 /* a whole number */
    int ranged;                  /* min..max applies */
    double min, max;
    /* strings */
    const char *const *oneof;    /* allowed values, NULL-terminated; NULL: any */
    int nonempty;                /* strings and arrays: not empty */
    /* arrays: every item; maps: every value */
    const fm_jspec *items;
    /* objects */
    const fm_jfield *fields;     /* named fields, {NULL} terminated */
    int closed;                  /* unknown fields are errors */
    int map;                     /* free keys, every value follows items */
    const char *const *keys;     /* maps: allowed keys (NULL: any) */
};

#define FM_JNUM(lo, hi) {.types = FM_J_NUM, .ranged = 1, .min = (lo), .max = (hi)}
#define FM_JINT(lo, hi) {.types = FM_J_NUM, .integer = 1, .ranged = 1, .min = (lo), .max = (hi)}
#define FM_JENUM(values) {.types = FM_J_STR, .oneof = (values)}
#define FM_JARRAY(item) {.types = FM_J_ARR, .items = (item)}
#define FM_JOBJECT(f) {.types = FM_J_OBJ, .fields = (f)}
#define FM_JCLOSED(f) {.types = FM_J_OBJ, .fields = (f), .closed = 1}
#define FM_JMAP(value) {.types = FM_J_OBJ, .map = 1, .items = (value)}

/* Shared leaves. */
extern const fm_jspec fm_jspec_any;      /* anything */
extern const fm_jspec fm_jspec_bool;
extern const fm_jspec fm_jspec_string;
extern const fm_jspec fm_jspec_name;     /* a non-empty string */
extern const fm_jspec fm_jspec_strings;  /* an array of strings */
extern const fm_jspec fm_jspec_object;   /* any object (read elsewhere) */
extern const fm_jspec fm_jspec_line;     /* a line number: integer 0..2^31-1 */
extern const fm_jspec fm_jspec_count;    /* an integer 0..2^53 */
extern const fm_jspec fm_jspec_version;  /* a format version: integer 0..2^31-1 */

/* Shared by attrs.json and summaries (common/attrs.c): "keys_by_port", and
 * reading it with "flow_code" into e after the document was checked. */
struct fm_elem_attrs;
struct fm_jdoc;
extern const fm_jspec fm_jspec_port_keys;
/* The parts the attribute and summary formats share (common/attrs.c):
 * role, key, intensity, evidence, and the names their values take. */
extern const char *const fm_role_values[];      /* by fm_role */
extern const char *const fm_key_kind_values[];  /* by fm_key_kind */
extern const char *const fm_intensity_values[]; /* by fm_intensity */
/* The index of s in a NULL-terminated list of names, or -1. */
int fm_name_index(const char *const *names, const char *s);
extern const fm_jspec fm_jspec_role;
extern const fm_jspec fm_jspec_key;
extern const fm_jspec fm_jspec_intensity;
extern const fm_jspec fm_jspec_evidences;
int fm_attrs_read_ports(const struct fm_jdoc *d, const cJSON *o, struct fm_elem_attrs *e,
                        fm_error *err);

/* A parsed document: the text is kept so that errors can be located. */
typedef struct fm_jdoc {
    const char *name;   /* file name in errors */
    const char *text;
    size_t len;
    cJSON *root;
    char *owned;        /* text read by fm_jdoc_load */
} fm_jdoc;

/* Parse text (kept by reference: it must outlive the document).  Syntax
 * errors, and anything but whitespace after the value, are located. */
int fm_jdoc_parse(fm_jdoc *d, const char *text, size_t len, const char *name,
                  fm_error *err);
/* Read and parse a file. */
int fm_jdoc_load(fm_jdoc *d, const char *path, fm_error *err);
void fm_jdoc_free(fm_jdoc *d);

/* Validate node (the root or a value inside it) against spec. */
int fm_jdoc_check(const fm_jdoc *d, const cJSON *node, const fm_jspec *spec,
                  fm_error *err);
/* The document is a flowmage `what` whose version field `field` is in
 * lo..hi, then matches spec: a one-line error naming the file otherwise. */
int fm_jdoc_check_version(const fm_jdoc *d, const char *field, const char *what, int lo,
                          int hi, const fm_jspec *spec, fm_error *err);
/* A located FM_ERR_INPUT about node's value (for the checks a table cannot
 * express: uniqueness, one field depending on another). */
int fm_jdoc_fail(const fm_jdoc *d, const cJSON *node, fm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
