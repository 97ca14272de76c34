/* Shared checks of the flowmage fuzz harnesses (tests/fuzz/run.sh builds
 * each fuzz_NAME.c with libFuzzer, ASan and UBSan).  Beyond "does not
 * crash", every harness checks that a refused input gets an input error
 * with a message whose position lies inside the input, and that what was
 * accepted can be used (and, where a writer exists, written and read back
 * to the same bytes). */
#ifndef FM_FUZZ_COMMON_H
#define FM_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowmage/common.h"

/* line:col must name a byte of the input, or the position just after it. */
static inline void fuzz_check_position(const fm_error *err, const uint8_t *d, size_t n)
{
    if (err->line <= 0)
        return;
    long line = 1;
    size_t i = 0;
    for (; i < n && line < err->line; i++)
        if (d[i] == '\n')
            line++;
    if (line != err->line)
        abort(); /* no such line */
    size_t len = 0;
    while (i + len < n && d[i + len] != '\n')
        len++;
    if (err->col < 1 || (size_t)err->col > len + 1)
        abort();
}

static inline void fuzz_check_error(const fm_error *err, const uint8_t *d, size_t n)
{
    if (err->kind != FM_ERR_INPUT || !err->msg[0])
        abort();
    if (err->is_offset) {
        if (err->line < 0 || (size_t)err->line > n)
            abort();
        return;
    }
    fuzz_check_position(err, d, n);
}

#endif
