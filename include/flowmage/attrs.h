/* flowmage — NF attributes (attrs.json), version 1.
 *
 * Written by `flowmage analyze`, read by `solve`, `simulate` and `check`.
 * Documented with an example in docs/attributes.md.  One entry per element
 * class found in the build (NFs, flow managers, devices and plain elements),
 * so the solver also knows which keywords every element accepts.
 *
 *   {
 *     "flowmage_attrs": 1,
 *     "generator": "flowmage 0.1.0",
 *     "elements": [
 *       {
 *         "name": "Policer",                 // class_name() literal
 *         "class": "Policer",                // C++ class (printable)
 *         "role": "nf",                      // nf | flow_manager | other
 *         "stateful": true,                  // keeps per-flow state
 *         "key": {
 *           "kind": "fields",                // fields | flow_manager | unknown | none
 *           "fields": ["dst_ip"],            // subset of the five, safe
 *           "other": [],                     // components outside the five
 *           "symmetric": false               // both directions reach one state
 *         },
 *         "intensity": "per-packet",         // per-packet | per-flow | none
 *         "pointer_chasing": false,
 *         "cost": 41.5,                      // static per-packet cost
 *         "cost_rank": 2,                    // optional, NFs only: 1 = costliest;
 *                                            // ties within 10% broken by the LLM
 *         "global_state": false,             // shared non-per-flow writes
 *         "keywords": ["BURST", "RATE"],     // configuration keywords accepted
 *         "provenance": "static",            // static | static+llm | manual
 *         "uncertain": ["..."],              // why the analysis is unsure: the
 *                                            // solver runs the NF shared
 *         "notes": ["..."],                  // what the analysis left out to
 *                                            // stay safe (informational)
 *         "evidence": [{"what": "...", "function": "...", "file": "...",
 *                       "line": 12}],
 *         "llm": { ... },                    // optional: votes (analyze)
 *         "disagreements": [{"field": "key", "static": "...", "llm": "...",
 *                            "resolution": "..."}]
 *       }
 *     ]
 *   }
 *
 * Safety contract: "fields" is never larger than the true key.  An NF may run
 * shared-nothing under RSS field set r only if r ⊆ fields (and, when
 * symmetric, the hash is symmetric).  kind "unknown" means: run shared.
 *
 * Kind "flow_manager": the NF's state lives in the flow table of the
 * nearest flow manager upstream and takes that manager's key; when the
 * NF's own "fields" are non-empty they further restrict it (its state is
 * shared by the manager's flows that agree on them), so the effective key
 * is the manager's key ∩ fields.  "uncertain" reasons force the NF shared
 * whatever its key; "notes" are informational and change no decision.
 */
#ifndef FLOWMAGE_ATTRS_H
#define FLOWMAGE_ATTRS_H

#include "flowmage/common.h"
#include "flowmage/fields.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FM_ATTRS_VERSION 1

typedef enum { FM_ROLE_OTHER = 0, FM_ROLE_NF, FM_ROLE_FLOW_MANAGER } fm_role;
typedef enum {
    FM_KEY_NONE = 0,      /* stateless: no per-flow state */
    FM_KEY_FIELDS,        /* keyed by header fields (key_fields, key_other) */
    FM_KEY_FLOW_MANAGER,  /* state handed in by an upstream flow manager */
    FM_KEY_UNKNOWN        /* stateful but key not known: must run shared */
} fm_key_kind;
typedef enum {
    FM_INTENSITY_NONE = 0, FM_INTENSITY_PER_FLOW, FM_INTENSITY_PER_PACKET
} fm_intensity;

typedef struct fm_evidence {
    char *what;       /* e.g. "key field dst_ip" */
    char *function;   /* printable function name */
    char *file;
    long line;
} fm_evidence;

typedef struct fm_disagreement {
    char *field;      /* "stateful", "key", "symmetric", "intensity", ... */
    char *static_value;
    char *llm_value;
    char *resolution;
} fm_disagreement;

typedef struct fm_elem_attrs {
    char *name;
    char *cls;
    fm_role role;
    int stateful;
    fm_key_kind key_kind;
    fm_fieldset key_fields;
    fm_strset key_other;
    int symmetric;
    fm_intensity intensity;
    int pointer_chasing;
    double cost;
    long cost_rank;   /* 1 = costliest NF per packet; 0 = not ranked (absent) */
    int global_state;
    fm_strset keywords;
    char *provenance;
    fm_strset uncertain;   /* unsure: the NF must run shared */
    fm_strset notes;       /* informational: already resolved safely */
    fm_evidence *evidence;
    size_t nevidence;
    fm_disagreement *disagreements;
    size_t ndisagreements;
    char *llm_json;   /* the "llm" object re-serialised, or NULL */
} fm_elem_attrs;

typedef struct fm_attrs {
    int version;
    char *generator;
    fm_elem_attrs *elems;
    size_t n;
} fm_attrs;

const char *fm_role_name(fm_role r);
const char *fm_key_kind_name(fm_key_kind k);
const char *fm_intensity_name(fm_intensity i);

/* Load and validate; an invalid file is an FM_ERR_INPUT naming file and, when
 * known, line. */
int fm_attrs_load(const char *path, fm_attrs *out, fm_error *err);
int fm_attrs_parse(const char *text, size_t len, const char *name,
                   fm_attrs *out, fm_error *err);
/* Serialise deterministically (elements sorted by name). */
char *fm_attrs_to_json(const fm_attrs *a);
int fm_attrs_save(const char *path, const fm_attrs *a, fm_error *err);
const fm_elem_attrs *fm_attrs_find(const fm_attrs *a, const char *name);
/* Append a zeroed element (owned by a) and return it. */
fm_elem_attrs *fm_attrs_add(fm_attrs *a, const char *name);
void fm_elem_add_evidence(fm_elem_attrs *e, const char *what,
                          const char *function, const char *file, long line);
void fm_elem_add_disagreement(fm_elem_attrs *e, const char *field,
                              const char *static_value, const char *llm_value,
                              const char *resolution);
/* Free what an element owns (not the element itself). */
void fm_elem_attrs_free(fm_elem_attrs *e);
void fm_attrs_free(fm_attrs *a);

#ifdef __cplusplus
}
#endif
#endif
