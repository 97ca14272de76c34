/* flowmage — check: compare a framework's attributes against a baseline, for
 * CI (docs/check.md).
 *
 * Findings, per NF (elements of role "nf" or "flow_manager"):
 *   new        an NF absent from the baseline (or not an NF there)
 *   removed    an NF of the baseline absent from the new attributes
 *   changed    role, stateful, key kind, key (fields and other components),
 *              symmetric, intensity, pointer chasing or global state differ
 *   ambiguous  in the new attributes: a stateful NF whose key kind is
 *              "unknown", each "uncertain" reason, each static-vs-LLM
 *              disagreement; marked in_baseline when the baseline already
 *              had the same ambiguity (accepted then, so it does not fail)
 *
 * Rendered as text, JSON or SARIF 2.1.0.  Findings are sorted (NF name, then
 * class, then rule), so every output is deterministic.
 */
#ifndef FLOWMAGE_CHECK_H
#define FLOWMAGE_CHECK_H

#include <stddef.h>

#include "flowmage/attrs.h"
#include "flowmage/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FM_CHECK_REPORT_VERSION 1
/* Where SARIF viewers send a user who wants to know what flowmage is. */
#define FM_CHECK_INFO_URI "https://github.com/flowmage/flowmage"

typedef enum {
    FM_CHECK_NEW = 0, FM_CHECK_REMOVED, FM_CHECK_CHANGED, FM_CHECK_AMBIGUOUS
} fm_check_class;
#define FM_CHECK_NCLASSES 4

/* --fail-on classes, as bits (1u << fm_check_class). */
#define FM_CHECK_FAIL_DEFAULT \
    (1u << FM_CHECK_NEW | 1u << FM_CHECK_CHANGED | 1u << FM_CHECK_AMBIGUOUS)

typedef struct fm_check_rule {
    const char *id;          /* "key-changed" (SARIF ruleId) */
    const char *name;        /* "KeyChanged" (SARIF rule name) */
    fm_check_class cls;
    const char *short_desc;
    const char *full_desc;
} fm_check_rule;

/* Every rule, in a fixed order (the SARIF rules array). */
const fm_check_rule *fm_check_rules(size_t *n);
const char *fm_check_class_name(fm_check_class c);

typedef struct fm_check_finding {
    fm_check_class cls;
    size_t rule;             /* index into fm_check_rules() */
    char *nf;
    char *attr;              /* "key", "intensity", ...; NULL for new/removed */
    char *old_value, *new_value; /* NULL when not applicable */
    char *message;           /* one sentence, no trailing newline */
    char *file;              /* source location from the evidence, or NULL */
    long line;               /* 0 when unknown */
    int in_baseline;         /* ambiguous only: the baseline had it too */
} fm_check_finding;

typedef struct fm_check_report {
    char *baseline_path, *new_path;
    size_t baseline_nfs, new_nfs;
    fm_check_finding *v;
    size_t n;
} fm_check_report;

/* Compare; never fails (both inputs are already validated). */
void fm_check_compare(const fm_attrs *baseline, const fm_attrs *cur,
                      const char *baseline_path, const char *new_path,
                      fm_check_report *out);
void fm_check_report_free(fm_check_report *r);

/* "new,changed,ambiguous" (also "removed", "all", "none") to a class mask. */
int fm_check_parse_fail_on(const char *text, unsigned *mask, fm_error *err);
/* Does this finding need a human under mask (ambiguity already in the
 * baseline never does)? */
int fm_check_fails(const fm_check_finding *f, unsigned mask);
size_t fm_check_count_failing(const fm_check_report *r, unsigned mask);

/* Renderings (malloc'd, NUL-terminated, ending in a newline). */
char *fm_check_text(const fm_check_report *r, unsigned mask);
char *fm_check_json(const fm_check_report *r, unsigned mask);
/* SARIF 2.1.0.  source_root (may be NULL): evidence paths under it become
 * relative URIs (what code-scanning services expect); other absolute paths
 * become file:// URIs. */
char *fm_check_sarif(const fm_check_report *r, unsigned mask,
                     const char *source_root);

#ifdef __cplusplus
}
#endif
#endif
