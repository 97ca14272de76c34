/* flowmage — shared plumbing: errors, growable buffers, atomic file output.
 *
 * Errors are returned, never printed from library code: a function that can
 * fail returns 0 / -1 and fills a caller-owned fm_error.  Only the CLI prints,
 * as "flowmage: FILE:LINE:COL: message". */
#ifndef FLOWMAGE_COMMON_H
#define FLOWMAGE_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flowmage/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exit codes of the CLI (README.md, docs/flowmage.1). */
enum { FM_EXIT_OK = 0, FM_EXIT_FINDINGS = 1, FM_EXIT_INPUT = 2, FM_EXIT_ENV = 3 };

/* Kind of failure, so the CLI can pick the exit code. */
typedef enum { FM_ERR_NONE = 0, FM_ERR_INPUT, FM_ERR_ENV, FM_ERR_INTERNAL } fm_err_kind;

typedef struct fm_error {
    fm_err_kind kind;
    char file[512];     /* "" when not about a file */
    long line;          /* 0 when unknown; for binary input, the byte offset */
    long col;           /* 0 when unknown */
    int is_offset;      /* line holds a byte offset ("offset N") */
    char msg[512];
} fm_error;

/* Fill err (if not NULL) and return -1. */
int fm_fail(fm_error *err, fm_err_kind kind, const char *file, long line,
            long col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int fm_fail_at_offset(fm_error *err, const char *file, long offset,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Format as "FILE:LINE:COL: msg" (parts omitted when unknown). */
void fm_error_format(const fm_error *err, char *out, size_t n);
int fm_error_exit_code(const fm_error *err);

/* Growable byte buffer. */
typedef struct fm_buf {
    char *data;
    size_t len, cap;
} fm_buf;

void fm_buf_init(fm_buf *b);
void fm_buf_free(fm_buf *b);
void fm_buf_reserve(fm_buf *b, size_t extra);
void fm_buf_append(fm_buf *b, const void *p, size_t n);
void fm_buf_puts(fm_buf *b, const char *s);
void fm_buf_printf(fm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Make data NUL-terminated (not counted in len) and return it. */
const char *fm_buf_cstr(fm_buf *b);

/* Allocation that aborts on exhaustion: callers never see NULL. */
void *fm_xmalloc(size_t n);
void *fm_xcalloc(size_t n, size_t sz);
void *fm_xrealloc(void *p, size_t n);
char *fm_xstrdup(const char *s);
/* Grow malloc's heap by `bytes` at once and ask the kernel to back it with
 * huge pages (advice: nothing changes where glibc or THP is absent). */
void fm_heap_prefer_huge_pages(size_t bytes);
char *fm_xstrndup(const char *s, size_t n);

/* Read a whole file (NUL-terminated, *len excludes the NUL). */
int fm_read_file(const char *path, char **data, size_t *len, fm_error *err);
/* Write one file atomically (an fm_stage of one file). */
int fm_write_file_atomic(const char *path, const void *data, size_t len,
                         fm_error *err);

/* Outputs written together (common/stage.c).  Add every output, then
 * commit: every path is checked first (its directory exists, or may be
 * created; it is not a directory; no path is given twice) before anything
 * is written; then each file is written to a temporary name in its final
 * directory, created exclusively and never through a symbolic link
 * (O_CREAT|O_EXCL|O_NOFOLLOW); then all are renamed into place, in the
 * order added.  A directory that does not exist yet is built whole under a
 * temporary name beside it and renamed at once, so it never appears half
 * filled.  A failure before the renames leaves every output path as it
 * was, and removes the temporary files.
 *
 * Temporary names are ".fm-tmp.PID.RANDOM.NAME"; the next stage writing
 * into a directory removes those of processes that no longer run (a run
 * killed half way).  Not fsync'd unless asked (FM_STAGE_SYNC): a crash of
 * the process loses nothing, a crash of the machine may. */
enum { FM_STAGE_MKDIRS = 1,   /* create missing parent directories */
       FM_STAGE_SYNC = 2,     /* fsync before the rename */
       FM_STAGE_PRIVATE = 4   /* mode 0600 (directories 0700) instead of 0644 */ };
typedef struct fm_stage_item {
    char *path, *tmp;     /* final and temporary path */
    char *data;
    size_t len;
    int flags;
    int newdir;           /* inside new directory number newdir-1, else 0 */
    int remove;           /* remove path after the renames (no data) */
    int done;
} fm_stage_item;
typedef struct fm_stage_dir {
    char *path, *tmp;     /* the top-most directory that did not exist */
    int renamed;
} fm_stage_dir;
typedef struct fm_stage {
    fm_stage_item *items;
    size_t n;
    fm_stage_dir *dirs;
    size_t ndirs;
} fm_stage;
void fm_stage_init(fm_stage *s);
/* Add an output (data copied); flags FM_STAGE_*. */
void fm_stage_add(fm_stage *s, const char *path, const void *data, size_t len, int flags);
/* Remove path after the renames, if it is a regular file. */
void fm_stage_remove(fm_stage *s, const char *path);
/* The checks alone: nothing is written. */
int fm_stage_check(fm_stage *s, fm_error *err);
/* Checks, temporary files, renames.  The stage is empty afterwards. */
int fm_stage_commit(fm_stage *s, fm_error *err);
/* Drop everything not committed (temporary files removed). */
void fm_stage_free(fm_stage *s);

/* An exclusive lock on a directory (flock on its own descriptor: nothing is
 * created).  A directory that does not exist yet is locked through its
 * nearest existing ancestor.  Waits up to $FLOWMAGE_LOCK_TIMEOUT seconds
 * (default 600), then fails with FM_ERR_ENV naming the directory. */
typedef struct fm_lock {
    int fd;
} fm_lock;
int fm_lock_dir(const char *dir, fm_lock *l, fm_error *err);
void fm_unlock_dir(fm_lock *l);

/* Sorted, de-duplicated string set (small; linear structures). */
typedef struct fm_strset {
    char **v;
    size_t n, cap;
} fm_strset;
void fm_strset_add(fm_strset *s, const char *str);
int fm_strset_has(const fm_strset *s, const char *str);
void fm_strset_free(fm_strset *s);

/* Locate a data file shipped with flowmage (e.g. "profiles/fastclick.json"):
 * $FLOWMAGE_DATADIR, then <exe>/../share/flowmage, then the source tree the
 * executable was built in (<exe>/..).  Returns 0 and the path, or -1. */
int fm_find_data_file(const char *rel, char *out, size_t n);

/* 64-bit FNV-1a, for cache keys and hash tables (not security). */
uint64_t fm_hash64(const void *p, size_t n, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
