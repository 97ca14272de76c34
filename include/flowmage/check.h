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
/* Each rule's helpUri is this plus "#" and the rule id (a heading there). */
#define FM_CHECK_DOCS_URI FM_CHECK_INFO_URI "/blob/main/docs/check.md"
/* The uriBaseId of every SARIF location: the repository root. */
#define FM_CHECK_SRCROOT "%SRCROOT%"

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
    const char *help;        /* what to do about it (SARIF help.text) */
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
    int generic;             /* file is just the NF's first evidence, not
                                evidence about this attribute */
    int in_baseline;         /* ambiguous only: the baseline had it too */
    char *def_file;          /* the NF's class definition, or NULL */
    long def_line;           /*   (fm_check_set_definition) */
    long base_entry, new_entry; /* line of the NF's entry in the baseline and
                                   new attributes files; 0 = not there
                                   (fm_check_set_entries) */
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

/* Where an NF's class is defined (from its summary: file as the compiler
 * saw it, line), for every finding about it.  It locates findings that
 * have no evidence about their attribute, and those whose evidence lies
 * outside the source root (SARIF). */
void fm_check_set_definition(fm_check_report *r, const char *nf, const char *file,
                             long line);
/* The line of each finding's NF entry ("name": "NF") in the text of the
 * baseline and of the new attributes file (either may be NULL). */
void fm_check_set_entries(fm_check_report *r, const char *base_text,
                          const char *new_text);
/* The line of the first `"name": "NAME"` in an attributes file's text, or 0. */
long fm_check_entry_line(const char *text, const char *name);

/* "new,changed,ambiguous" (also "removed", "all", "none") to a class mask. */
int fm_check_parse_fail_on(const char *text, unsigned *mask, fm_error *err);
/* Does this finding need a human under mask (ambiguity already in the
 * baseline never does)? */
int fm_check_fails(const fm_check_finding *f, unsigned mask);
size_t fm_check_count_failing(const fm_check_report *r, unsigned mask);

/* Renderings (malloc'd, NUL-terminated, ending in a newline). */
char *fm_check_text(const fm_check_report *r, unsigned mask);
char *fm_check_json(const fm_check_report *r, unsigned mask);

/* SARIF 2.1.0 as GitHub code scanning accepts it (docs/check.md): every
 * result has one location under the source root, as a URI relative to it
 * (uriBaseId %SRCROOT%, defined in run.originalUriBaseIds) with
 * region.startLine >= 1; evidence outside the root is reported at the NF's
 * own location (class definition, else its entry in the baseline or new
 * attributes file) with the outside path in the message. */
typedef struct fm_check_sarif_opts {
    const char *source_root;   /* the repository root; NULL = "." */
    const char *build_dir;     /* where the compiler ran: relative paths in
                                  evidence are relative to it; NULL = root */
    const char *baseline_file; /* the files as opened (relative to the current */
    const char *new_file;      /*   directory); NULL = the report's paths */
} fm_check_sarif_opts;

/* Paths are made absolute against the current directory, "." and ".."
 * removed, and symbolic links resolved when the file exists.  Fails
 * (FM_ERR_INPUT) when the baseline file is not under the source root: it
 * is the location of last resort and must be in the repository. */
int fm_check_sarif(const fm_check_report *r, unsigned mask,
                   const fm_check_sarif_opts *opts, char **out, fm_error *err);

#ifdef __cplusplus
}
#endif
#endif
