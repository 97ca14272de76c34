/* Our own checks of a SARIF log against what flowmage's output must satisfy
 * to be uploaded to GitHub code scanning: the SARIF 2.1.0 schema's
 * structure and value rules for the properties flowmage writes, plus code
 * scanning's documented upload rules ("SARIF support for code scanning":
 * required properties, at least one location per result, region.startLine,
 * help.text, primaryLocationLineHash, size limits) and the repository-
 * relative URIs that let it map a result onto a file.  No schema is copied
 * here; tests/sh/lib.sh may add a schema validator when one is installed. */
#ifndef FM_TEST_SARIF_RULES_H
#define FM_TEST_SARIF_RULES_H

#include "flowmage/common.h"

typedef struct fm_sarif_opts {
    /* Text of docs/check.md: every helpUri anchor must be a heading there
     * (NULL: not checked). */
    const char *docs;
    /* Every location must name an existing file under the %SRCROOT% of
     * run.originalUriBaseIds, with at least startLine lines. */
    int files_exist;
} fm_sarif_opts;

/* Append one line "tag: detail" to log per violation; return how many. */
int fm_sarif_check(const char *text, const fm_sarif_opts *o, fm_buf *log);

#endif
