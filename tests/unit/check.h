/* Minimal assertion helpers for flowmage's C unit tests.  Every CHECK is
 * counted; a test binary prints one line per failure and a final verdict,
 * and exits non-zero if anything failed. */
#ifndef FM_TEST_CHECK_H
#define FM_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fm_t_checks, fm_t_failures;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        fm_t_checks++;                                                        \
        if (!(cond)) {                                                        \
            fm_t_failures++;                                                  \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

#define CHECK_STR(got, want)                                                  \
    do {                                                                      \
        const char *g_ = (got), *w_ = (want);                                 \
        CHECK(g_ && w_ && strcmp(g_, w_) == 0, "got \"%s\", want \"%s\"",     \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                        \
    } while (0)

#define CHECK_INT(got, want)                                                  \
    do {                                                                      \
        long long g_ = (long long)(got), w_ = (long long)(want);              \
        CHECK(g_ == w_, "got %lld, want %lld", g_, w_);                       \
    } while (0)

/* Print the verdict; `what` says what the test checked. */
static inline int fm_t_done(const char *name, const char *what)
{
    if (fm_t_failures) {
        printf("FAIL %s: %d of %d checks failed (%s)\n", name, fm_t_failures,
               fm_t_checks, what);
        return 1;
    }
    printf("PASS %s: %d checks (%s)\n", name, fm_t_checks, what);
    return 0;
}

#endif
