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
 *         "flow_code": "#/#",                // optional: Click flow code,
 *                                            // which inputs reach which
 *                                            // outputs (absent: all)
 *         "keys_by_port": [                  // optional: the key per input
 *           {"port": 1, "kind": "fields",    // port where it differs from
 *            "fields": ["dst_ip"],           // "key" (below)
 *            "other": [], "symmetric": false,
 *            "entry": ["dst_ip"]}
 *         ],
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
 *
 * Keys per input port ("keys_by_port", optional, docs/attributes.md): some
 * state is reached with different fields on different inputs (a rate
 * monitor counting by source on input 0 and by destination on input 1; a
 * NAT finding a mapping by the inside flow on one input and by the reply on
 * the other).  "key" stays what holds on every port (never larger than the
 * true key of any of them), so a reader that ignores keys_by_port is still
 * safe.  An entry refines one port: "fields" are the packet fields that key
 * the state reached through that port, with the same contract as "key"
 * (kind "none": packets of that port touch no per-flow state).  "entry",
 * optional, says which packets of different ports reach the same state: an
 * ordered list of that port's fields such that, for two ports listing one,
 * the i-th fields of both carry the same value whenever a packet of each
 * reaches the same state (IPRateMonitor: ["src_ip"] on port 0, ["dst_ip"]
 * on port 1; a NAT: ["dst_ip", "dst_port"] for the inside flow,
 * ["src_ip", "src_port"] for the reply).  Ports without "entry" share no
 * known correspondence with the others beyond "key".
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

/* The key of the state reached through one input port (keys_by_port). */
#define FM_PORT_MAX 1024      /* input port numbers are 0 .. FM_PORT_MAX-1 */
typedef struct fm_port_key {
    int port;                 /* input port, 0-based */
    fm_key_kind kind;         /* fields | flow_manager | unknown | none */
    fm_fieldset fields;       /* packet fields keying the state on this port */
    fm_strset other;          /* components outside the five */
    int symmetric;            /* both directions arriving here share it */
    fm_fieldset entry[FM_NFIELDS]; /* one field bit each, in order: entry[i]
                                  of every port listing an entry carries the
                                  same value for packets reaching the same
                                  state; each one of `fields` */
    size_t nentry;            /* 0: no correspondence beyond the element's key */
} fm_port_key;

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
    fm_port_key *ports;    /* keys_by_port, sorted by port, ports unique */
    size_t nports;
    char *flow_code;       /* Click flow code ("#/#"), or NULL: every input
                              port may send packets to every output port */
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
/* The entry of keys_by_port for `port`, added (kind "fields", nothing else
 * set) when missing; the list stays sorted by port. */
fm_port_key *fm_elem_port_key_add(fm_elem_attrs *e, int port);
/* The entry for `port`, or NULL (the port has the element's key). */
const fm_port_key *fm_elem_port_key(const fm_elem_attrs *e, int port);
/* Replace dst's keys_by_port with a copy of src's. */
void fm_elem_copy_port_keys(fm_elem_attrs *dst, const fm_elem_attrs *src);
void fm_elem_clear_port_keys(fm_elem_attrs *e);
/* Click flow codes (common/flowcode.c): 0 if `code` is one ("x/x", "#/#",
 * "xy/x", "#/[^#]"), else -1.  Whether packets entering input `in` may
 * leave by output `out`; 1 when code is NULL or invalid (no knowledge:
 * every input reaches every output). */
int fm_flow_code_check(const char *code);
int fm_flow_code_reaches(const char *code, int in, int out);
/* Free what an element owns (not the element itself). */
void fm_elem_attrs_free(fm_elem_attrs *e);
void fm_attrs_free(fm_attrs *a);

#ifdef __cplusplus
}
#endif
#endif
