/* flowmage — per-NF summaries, version 2: the output of `flowmage summarize`
 * and the input of `flowmage analyze`.  Documented in docs/summaries.md.
 * Version 2 adds "keys_by_port" (the key per input port where it differs
 * from "key"; its format is fm_port_key of attrs.h); version-1 files, which
 * have none, are still read.
 *
 * A summary directory holds index.json and one <name>.json per element:
 *
 *   index.json: {"flowmage_summary_index": 2, "profile": "fastclick",
 *                "inputs": N, "elements": [{"name": "Policer",
 *                "file": "Policer.json", "role": "nf", "stateful": true}],
 *                "stats": {...}}
 *
 *   <name>.json:
 *   {
 *     "flowmage_summary": 2,
 *     "name": "Policer", "class": "Policer", "role": "nf",
 *     "file": "nfs/policer.cc", "line": 12,
 *     "bases": ["Element", "Hooked<Policer>"],
 *     "entries": ["Policer::simple_action(Packet*)"],
 *     "per_packet_functions": [{"function": "...", "file": "...",
 *                               "begin": 10, "end": 20}],
 *     "stateful": true,
 *     "key": {"kind": "fields", "fields": ["dst_ip"], "other": [],
 *             "symmetric": false},
 *     "keys_by_port": [{"port": 1, "kind": "fields", "fields": [...],
 *                       "other": [], "symmetric": false,
 *                       "entry": [...]}],   // optional (attrs.h)
 *     "intensity": "per-packet",
 *     "pointer_chasing": false,
 *     "tables": [{"location": "Policer::_buckets", "api": "HashTable",
 *                 "persistence": "member", "ops": ["find", "find_insert"],
 *                 "key": {...}, "writes": "per-packet",
 *                 "pointer_chasing": false, "evidence": [...]}],
 *     "global_state": [{"location": "Policer::_count", "per_thread": false,
 *                       "function": "...", "file": "...", "line": 40}],
 *     "cost": {"score": 42.5, "statements": 30, "loops": 0, "calls": 5,
 *              "table_ops": 2, "pointer_loads": 3},
 *     "keywords": ["BURST", "RATE"],
 *     "uncertain": [],                 // unsure: the solver runs it shared
 *     "notes": [],                     // left out to stay safe
 *     "evidence": [{"what": "...", "function": "...", "file": "...",
 *                   "line": 0}]
 *   }
 */
#ifndef FLOWMAGE_SUMMARY_H
#define FLOWMAGE_SUMMARY_H

#include "flowmage/attrs.h"
#include "flowmage/common.h"
#include "flowmage/facts.h"
#include "flowmage/profile.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FM_SUMMARY_VERSION 2
#define FM_SUMMARY_VERSION_OLDEST 1  /* still read: no keys_by_port */

typedef struct fm_sum_func {
    char *function;
    char *file;
    long begin, end;
} fm_sum_func;

typedef struct fm_sum_table {
    char *location;       /* "Class::member", "global name", "fcb" */
    char *api;            /* "HashTable", "std::unordered_map", "array", ... */
    char *persistence;    /* member | per_thread_member | global | flow_manager */
    fm_strset ops;
    fm_key_kind key_kind;
    fm_fieldset key_fields;
    fm_strset key_other;
    int symmetric;
    fm_intensity writes;
    int pointer_chasing;
    fm_evidence *evidence;
    size_t nevidence;
} fm_sum_table;

typedef struct fm_sum_global {
    char *location;
    int per_thread;
    fm_evidence where;
} fm_sum_global;

typedef struct fm_sum_cost {
    double score;
    long statements, loops, calls, table_ops, pointer_loads;
} fm_sum_cost;

typedef struct fm_summary {
    /* NF-level conclusions in the attributes' terms (name, class, role,
     * stateful, key, keys_by_port (a.ports: fill with fm_elem_port_key_add),
     * intensity, pointer_chasing, cost, global_state, keywords, uncertain,
     * evidence). */
    fm_elem_attrs a;
    char *file;
    long line;
    fm_strset bases;
    fm_strset entries;
    fm_sum_func *funcs;
    size_t nfuncs;
    fm_sum_table *tables;
    size_t ntables;
    fm_sum_global *globals;
    size_t nglobals;
    fm_sum_cost cost;
} fm_summary;

typedef struct fm_summary_set {
    char *profile;
    long inputs;
    fm_summary *v;
    size_t n;
} fm_summary_set;

/* The stage: find the NFs of a program (as the profile defines them) and
 * summarise each.  Fails (FM_ERR_INPUT) when the profile's element base does
 * not occur in the program. */
int fm_summarize(const fm_program *P, const fm_profile *prof, fm_summary_set *out,
                 fm_error *err);
/* The same for the elements named in `only` (all when NULL or empty). */
int fm_summarize_only(const fm_program *P, const fm_profile *prof, const fm_strset *only,
                      fm_summary_set *out, fm_error *err);

/* Serialise one summary (deterministic). */
char *fm_summary_to_json(const fm_summary *s);
int fm_summary_parse(const char *text, size_t len, const char *name,
                     fm_summary *out, fm_error *err);
/* Write index.json and one file per element into dir (created if needed):
 * under a lock on dir (fm_lock_dir), every path checked, then all files
 * written and renamed (fm_stage; a new dir appears whole); files of
 * elements no longer present are removed. */
int fm_summary_set_save(const char *dir, const fm_summary_set *s, fm_error *err);
/* The same outputs added to a stage the caller commits (holding the lock). */
int fm_summary_set_stage(const char *dir, const fm_summary_set *s, fm_stage *st,
                         fm_error *err);
/* Read a directory written by fm_summary_set_save. */
int fm_summary_set_load(const char *dir, fm_summary_set *out, fm_error *err);
const fm_summary *fm_summary_set_find(const fm_summary_set *s, const char *name);
/* Static attributes from summaries (provenance "static"). */
void fm_summary_set_to_attrs(const fm_summary_set *s, fm_attrs *out);
/* Copy the attributes part of a summary into a fresh element of out. */
fm_elem_attrs *fm_attrs_add_copy(fm_attrs *out, const fm_elem_attrs *src);

fm_summary *fm_summary_set_add(fm_summary_set *s, const char *name);
fm_sum_table *fm_summary_add_table(fm_summary *s);
void fm_summary_free(fm_summary *s);
void fm_summary_set_free(fm_summary_set *s);

#ifdef __cplusplus
}
#endif
#endif
