/* Shared plumbing: errors, buffers, allocation, atomic files. */
#include "flowmage/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void set_file(fm_error *err, const char *file)
{
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
}

int fm_fail(fm_error *err, fm_err_kind kind, const char *file, long line,
            long col, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->kind = kind;
    set_file(err, file);
    err->line = line;
    err->col = col;
    err->is_offset = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int fm_fail_at_offset(fm_error *err, const char *file, long offset,
                      const char *fmt, ...)
{
    if (!err)
        return -1;
    err->kind = FM_ERR_INPUT;
    set_file(err, file);
    err->line = offset;
    err->col = 0;
    err->is_offset = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

void fm_error_format(const fm_error *err, char *out, size_t n)
{
    if (!err->file[0])
        snprintf(out, n, "%s", err->msg);
    else if (err->is_offset)
        snprintf(out, n, "%s: offset %ld: %s", err->file, err->line, err->msg);
    else if (err->line > 0 && err->col > 0)
        snprintf(out, n, "%s:%ld:%ld: %s", err->file, err->line, err->col,
                 err->msg);
    else if (err->line > 0)
        snprintf(out, n, "%s:%ld: %s", err->file, err->line, err->msg);
    else
        snprintf(out, n, "%s: %s", err->file, err->msg);
}

int fm_error_exit_code(const fm_error *err)
{
    return err->kind == FM_ERR_ENV ? FM_EXIT_ENV : FM_EXIT_INPUT;
}

/* summarize holds a build's facts and its analysis (over 100 MB for
 * FastClick) in millions of small blocks it reaches in no order: in 4 KB
 * pages, faulting them in and missing the TLB cost an eighth of its time.
 * glibc only advises huge pages for its heap when told by an environment
 * tunable, so the heap is grown once, here, by a large top pad, and that
 * stretch is advised; blocks up to 32 MB stay on it.  Not under
 * AddressSanitizer, whose allocator is not glibc's heap. */
void fm_heap_prefer_huge_pages(size_t bytes)
{
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE) && !defined(__SANITIZE_ADDRESS__)
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (bytes > INT32_MAX)
        bytes = INT32_MAX;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TOP_PAD, (int)bytes);
    mallopt(M_TRIM_THRESHOLD, (int)bytes);
    uintptr_t b0 = (uintptr_t)sbrk(0);
    void *volatile p = malloc(1 << 20); /* volatile: not optimised away */
    uintptr_t b1 = (uintptr_t)sbrk(0);
    free(p);
    uintptr_t a = (b0 + huge - 1) & ~(huge - 1), end = b1 & ~(huge - 1);
    if (b0 != (uintptr_t)-1 && b1 != (uintptr_t)-1 && end > a)
        madvise((void *)a, end - a, MADV_HUGEPAGE); /* advice: failure is harmless */
#else
    (void)bytes;
#endif
}

void *fm_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("flowmage: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *fm_xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) {
        fputs("flowmage: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *fm_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("flowmage: out of memory\n", stderr);
        abort();
    }
    return p;
}

char *fm_xstrdup(const char *s)
{
    return fm_xstrndup(s, strlen(s));
}

char *fm_xstrndup(const char *s, size_t n)
{
    char *d = fm_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void fm_buf_init(fm_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void fm_buf_free(fm_buf *b)
{
    free(b->data);
    fm_buf_init(b);
}

void fm_buf_reserve(fm_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = fm_xrealloc(b->data, cap);
    b->cap = cap;
}

void fm_buf_append(fm_buf *b, const void *p, size_t n)
{
    fm_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void fm_buf_puts(fm_buf *b, const char *s)
{
    fm_buf_append(b, s, strlen(s));
}

void fm_buf_printf(fm_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        fm_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

const char *fm_buf_cstr(fm_buf *b)
{
    fm_buf_reserve(b, 0);
    b->data[b->len] = 0;
    return b->data;
}

int fm_read_file(const char *path, char **data, size_t *len, fm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot open: %s",
                       strerror(errno));
    fm_buf b;
    fm_buf_init(&b);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        fm_buf_append(&b, tmp, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fm_buf_free(&b);
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "read error");
    }
    fm_buf_cstr(&b);
    *data = b.data;
    if (len)
        *len = b.len;
    return 0;
}

static size_t strset_pos(const fm_strset *s, const char *str, int *found)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->v[mid], str);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

void fm_strset_add(fm_strset *s, const char *str)
{
    int found;
    size_t pos = strset_pos(s, str, &found);
    if (found)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = fm_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    memmove(s->v + pos + 1, s->v + pos, (s->n - pos) * sizeof *s->v);
    s->v[pos] = fm_xstrdup(str);
    s->n++;
}

int fm_strset_has(const fm_strset *s, const char *str)
{
    int found;
    strset_pos(s, str, &found);
    return found;
}

void fm_strset_free(fm_strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

uint64_t fm_hash64(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *c = p;
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 1099511628211ULL;
    }
    return h;
}
