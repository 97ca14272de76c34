/* Internal helpers over cJSON shared by the format readers/writers. */
#ifndef FM_COMMON_JSON_H
#define FM_COMMON_JSON_H

#include <cjson/cJSON.h>

#include "flowmage/common.h"

/* Parse text; on failure fill err with file:line:col of the syntax error. */
cJSON *fm_json_parse(const char *text, size_t len, const char *name,
                     fm_error *err);
/* Parse a file. */
cJSON *fm_json_load(const char *path, fm_error *err);
/* Typed getters: return fallback when missing or of another type. */
const char *fm_json_str(const cJSON *o, const char *key, const char *fallback);
double fm_json_num(const cJSON *o, const char *key, double fallback);
int fm_json_bool(const cJSON *o, const char *key, int fallback);
/* Add key: s, or key: null when s is NULL. */
void fm_json_add_str_or_null(cJSON *o, const char *key, const char *s);
/* Add a string array built from a set. */
void fm_json_add_strset(cJSON *o, const char *key, const fm_strset *s);
/* Read a string array into a set; -1 if present but not an array of strings. */
int fm_json_get_strset(const cJSON *o, const char *key, fm_strset *s);
/* keys_by_port (include/flowmage/attrs.h, fm_port_key), shared by the
 * attributes and the summaries: written here (nothing when n is 0), read by
 * fm_attrs_read_ports (common/schema.h). */
struct fm_port_key;
void fm_json_add_port_keys(cJSON *o, const char *key, const struct fm_port_key *v,
                           size_t n);
/* Serialise with two-space indentation and a final newline (deterministic:
 * cJSON keeps insertion order). */
char *fm_json_print(const cJSON *o);

#endif
