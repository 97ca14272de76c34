/* The source part of a prompt (--source-root): not whole functions, only
 * the lines of the NF's per-packet functions that bear on the answers, in
 * this order of priority until the byte budget is spent:
 *   1. the lines the evidence points at (where a key field is read, a table
 *      used, state written, a pointer followed, other state written);
 *   2. the signature of every per-packet function worth showing;
 *   3. one line of context before and after each evidence line;
 *   4. only when the analysis found no state at all (nothing to point at):
 *      the other lines of the NF's own per-packet member functions, in
 *      order, so that the model can notice state the analysis missed.
 * Comments and blank lines are removed first, so they never take budget
 * (nor carry text into the prompt); indentation is reduced to one space per
 * nesting level.  Only lines inside the begin..end range of a per-packet
 * function listed in the summary are ever shown, and only from files under
 * the source root. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "llm_int.h"

enum {
    CONTEXT = 1,           /* code lines shown each side of an evidence line */
    MAX_LINE = 160,        /* longer code lines are cut */
    MAX_SIG_LINES = 3,     /* a signature spread over more lines is cut */
    MAX_RANGE = 100000,    /* a function claiming more lines is not shown */
    MAX_FILES = 32,        /* distinct files read per NF */
};

/* ---- helpers shared with prompt.c ---- */

void fm_llm_put_clean(fm_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; s && i < n && s[i]; i++) {
        char c = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
        fm_buf_append(b, &c, 1);
    }
}

size_t fm_llm_func_name_len(const char *f)
{
    size_t n = f ? strlen(f) : 0;
    if (!n || f[n - 1] != ')')
        return n;
    int depth = 0;
    for (size_t i = n; i-- > 0;) {
        if (f[i] == ')')
            depth++;
        else if (f[i] == '(' && --depth == 0) {
            /* "Foo::operator()" keeps its parentheses */
            if (i == 0 || (i >= 8 && !strncmp(f + i - 8, "operator", 8)))
                return n;
            return i;
        }
    }
    return n;
}

/* A name with long template arguments shortened: "RateEWMAX<RateEWMAX
 * Parameters<4, 10, long unsigned int, long int> >::update_time" becomes
 * "RateEWMAX<...>::update_time" (the arguments rarely bear on the answers;
 * short ones such as "<Bucket>" stay). n bytes of s. */
void fm_llm_put_name(fm_buf *b, const char *s, size_t n)
{
    enum { LONG_ARGS = 16 };
    size_t i = 0;
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        if (!lt) {
            fm_llm_put_clean(b, s + i, n - i);
            return;
        }
        size_t at = (size_t)(lt - s), end = at;
        int depth = 0;
        int op = at >= 8 && !strncmp(s + at - 8, "operator", 8);
        for (; !op && end < n; end++) {
            depth += s[end] == '<' ? 1 : s[end] == '>' ? -1 : 0;
            if (!depth)
                break;
        }
        if (op || end >= n || end - at - 1 <= LONG_ARGS) {   /* keep as is */
            fm_llm_put_clean(b, s + i, at + 1 - i);
            i = at + 1;
            continue;
        }
        fm_llm_put_clean(b, s + i, at - i);
        fm_buf_puts(b, "<...>");
        i = end + 1;
    }
}

/* ---- files ---- */

/* Resolve file under root (realpath'd): a relative name under the root, an
 * absolute name as is, then every shorter suffix of the name under the root
 * (objects built elsewhere record absolute paths).  The result must be a
 * regular file inside the root: nothing outside it is ever shown. */
static int try_path(const char *root, size_t rl, const char *path, char *out)
{
    struct stat st;
    return realpath(path, out) && strncmp(out, root, rl) == 0 &&
                   (out[rl] == '/' || rl == 1) && stat(out, &st) == 0 && S_ISREG(st.st_mode)
               ? 0 : -1;
}

static int resolve(const char *root, const char *file, char *out)
{
    size_t rl = strlen(root);
    char path[PATH_MAX * 2];
    if (!file || !*file)
        return -1;
    if (file[0] != '/')
        snprintf(path, sizeof path, "%s/%s", root, file);
    else
        snprintf(path, sizeof path, "%s", file);
    if (try_path(root, rl, path, out) == 0)
        return 0;
    for (const char *p = strchr(file + 1, '/'); p; p = strchr(p + 1, '/')) {
        snprintf(path, sizeof path, "%s/%s", root, p + 1);
        if (try_path(root, rl, path, out) == 0)
            return 0;
    }
    return -1;
}

const char *fm_llm_show_path(const char *root, const char *file, char *buf)
{
    size_t rl = root ? strlen(root) : 0;
    if (root && resolve(root, file, buf) == 0)
        return buf + (rl == 1 ? 1 : rl + 1);
    while (!strncmp(file, "./", 2) || !strncmp(file, "../", 3))
        file += file[1] == '/' ? 2 : 3;
    return file;
}

static int ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Blank out // and block comments (newlines kept, so line numbers stay),
 * leaving string and character literals (raw strings too) alone. */
static void strip_comments(char *s)
{
    enum { CODE, LINE, BLOCK, STR, CHR } st = CODE;
    for (char *p = s; *p; p++) {
        switch (st) {
        case CODE:
            if (p[0] == '/' && p[1] == '/') {
                st = LINE;
                *p++ = ' ';
                *p = ' ';
            } else if (p[0] == '/' && p[1] == '*') {
                st = BLOCK;
                *p++ = ' ';
                *p = ' ';
            } else if (*p == '"' && p > s && p[-1] == 'R' &&
                       (p - 1 == s || !ident_char(p[-2]) || strchr("uUL8", p[-2]))) {
                const char *open = strchr(p + 1, '(');
                char close[24];
                size_t dl = open ? (size_t)(open - p - 1) : 99;
                if (dl > 16 || memchr(p + 1, '\n', dl))
                    break;
                snprintf(close, sizeof close, ")%.*s\"", (int)dl, p + 1);
                char *e = strstr(open, close);
                if (!e)
                    return;
                p = e + strlen(close) - 1;
            } else if (*p == '"') {
                st = STR;
            } else if (*p == '\'') {
                /* a digit separator (1'000'000) is not a character literal */
                const char *q = p;
                while (q > s && ident_char(q[-1]))
                    q--;
                if (q == p || !isdigit((unsigned char)*q))
                    st = CHR;
            }
            break;
        case LINE:
            if (*p == '\n' && p[-1] != '\\')
                st = CODE;
            else if (*p != '\n')
                *p = ' ';
            break;
        case BLOCK:
            if (p[0] == '*' && p[1] == '/') {
                *p++ = ' ';
                *p = ' ';
                st = CODE;
            } else if (*p != '\n') {
                *p = ' ';
            }
            break;
        case STR:
        case CHR:
            if (*p == '\\' && p[1] && p[1] != '\n')
                p++;
            else if (*p == (st == STR ? '"' : '\'') || *p == '\n')
                st = CODE;
            break;
        }
    }
}

typedef struct src {
    char path[PATH_MAX];
    const char *rel;           /* path below the root, for the prompt */
    char *text;
    long nlines;
    const char **line;         /* line[i] starts line i + 1 */
    size_t *len;               /* its length, trailing blanks removed */
} src;

static void src_index(src *f)
{
    long n = 1;
    for (const char *p = f->text; *p; p++)
        n += *p == '\n';
    f->line = fm_xcalloc((size_t)n, sizeof *f->line);
    f->len = fm_xcalloc((size_t)n, sizeof *f->len);
    const char *p = f->text;
    for (long i = 0; i < n; i++) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        f->line[i] = p;
        while (l && isspace((unsigned char)p[l - 1]))
            l--;
        size_t k = 0;
        while (k < l && isspace((unsigned char)p[k]))
            k++;
        f->len[i] = k == l ? 0 : l;    /* 0: blank once comments are gone */
        p = e ? e + 1 : p + l;
    }
    f->nlines = n;
}

/* ---- the selection ---- */

typedef struct shown {
    const fm_sum_func *f;
    src *file;                 /* NULL: not found under the root */
    long begin, end;           /* clipped to the file */
    char *sel;                 /* sel[line - begin]: chosen */
    int started;               /* its header is paid for */
    int own;                   /* a member function of the NF's class */
    size_t indent, unit;       /* common indentation, one nesting level */
} shown;

typedef struct excerpt {
    const char *root;
    size_t rl;
    src files[MAX_FILES];
    size_t nfiles;
    shown *fn;
    size_t nfn;
    size_t used, budget;
} excerpt;

static src *load(excerpt *x, const char *file)
{
    char path[PATH_MAX];
    if (resolve(x->root, file, path) != 0)
        return NULL;
    for (size_t i = 0; i < x->nfiles; i++)
        if (!strcmp(x->files[i].path, path))
            return &x->files[i];
    if (x->nfiles == MAX_FILES)
        return NULL;
    src *f = &x->files[x->nfiles];
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    if (fm_read_file(path, &f->text, NULL, NULL) != 0)
        return NULL;
    x->nfiles++;
    f->rel = f->path + x->rl + (f->path[x->rl] == '/');
    strip_comments(f->text);
    src_index(f);
    return f;
}

static size_t width(const char *p, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
        w = p[i] == '\t' ? (w / 8 + 1) * 8 : w + 1;
    return w;
}

static size_t lead(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i;
}

static void measure_indent(shown *h)
{
    size_t lo = (size_t)-1, unit = 0;
    for (long l = h->begin; l <= h->end; l++)
        if (h->file->len[l - 1]) {
            size_t w = width(h->file->line[l - 1], h->file->len[l - 1]);
            lo = w < lo ? w : lo;
        }
    for (long l = h->begin; l <= h->end && lo != (size_t)-1; l++)
        if (h->file->len[l - 1]) {
            size_t d = width(h->file->line[l - 1], h->file->len[l - 1]) - lo;
            if (d && (!unit || d < unit))
                unit = d;
        }
    h->indent = lo == (size_t)-1 ? 0 : lo;
    h->unit = unit ? unit : 1;
}

static size_t level(const shown *h, long l)
{
    size_t w = width(h->file->line[l - 1], h->file->len[l - 1]);
    size_t v = (w > h->indent ? w - h->indent : 0) / h->unit;
    return v > 8 ? 8 : v;
}

static size_t digits(long v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static size_t code_len(const shown *h, long l)
{
    size_t k = lead(h->file->line[l - 1], h->file->len[l - 1]);
    size_t n = h->file->len[l - 1] - k;
    return n > MAX_LINE ? MAX_LINE : n;
}

static void put_fn_name(fm_buf *b, const char *function)
{
    fm_llm_put_name(b, function, fm_llm_func_name_len(function));
}

/* "fn NAME FILE\n" (the file is left out when the previous header named
 * the same one; the budget counts it always). */
static size_t header_cost(const shown *h)
{
    fm_buf t;
    fm_buf_init(&t);
    put_fn_name(&t, h->f->function);
    size_t n = 3 + t.len + 1;
    fm_buf_free(&t);
    return n + (h->file ? 1 + strlen(h->file->rel)
                        : strlen(" (not found under the source root)"));
}

static size_t line_cost(const shown *h, long l)
{
    return digits(l) + 1 + level(h, l) + code_len(h, l) + 1;
}

/* Only braces and semicolons: says nothing on its own. */
static int bare(const shown *h, long l)
{
    const char *p = h->file->line[l - 1];
    for (size_t i = 0; i < h->file->len[l - 1]; i++)
        if (!strchr(" \t{};", p[i]))
            return 0;
    return 1;
}

/* Choose line l of h if it is code, not chosen yet, and fits. */
static void pick(excerpt *x, shown *h, long l)
{
    if (!h->file || l < h->begin || l > h->end || h->sel[l - h->begin] ||
        !h->file->len[l - 1] || bare(h, l))
        return;
    size_t c = line_cost(h, l) + (h->started ? 0 : header_cost(h));
    if (x->used + c > x->budget)
        return;
    x->used += c;
    h->started = 1;
    h->sel[l - h->begin] = 1;
}

/* The next line from l in direction dir that says something. */
static long code_line(const shown *h, long l, int dir)
{
    for (l += dir; l >= h->begin && l <= h->end; l += dir)
        if (h->file->len[l - 1] && !bare(h, l))
            return l;
    return 0;
}

/* Whose lines are worth showing: the NF's own member functions and the
 * functions some evidence points into (where the key is read, the state
 * used or written).  The rest of the per-packet path (framework plumbing:
 * batch loops, checksum helpers) is left out. */
static int own_function(const fm_summary *s, const fm_sum_func *f)
{
    const char *cls = s->a.cls ? s->a.cls : s->a.name;
    size_t cl = strlen(cls);
    return strncmp(f->function, cls, cl) == 0 && f->function[cl] == ':';
}

static int worth_showing(const fm_summary *s, const fm_sum_func *f)
{
    if (own_function(s, f))
        return 1;
    for (size_t i = 0; i < s->a.nevidence; i++)
        if (!strcmp(s->a.evidence[i].function, f->function) &&
            !(s->a.evidence[i].line == f->begin && !strcmp(s->a.evidence[i].file, f->file)))
            return 1;
    for (size_t t = 0; t < s->ntables; t++)
        for (size_t i = 0; i < s->tables[t].nevidence; i++)
            if (!strcmp(s->tables[t].evidence[i].function, f->function))
                return 1;
    for (size_t g = 0; g < s->nglobals; g++)
        if (!strcmp(s->globals[g].where.function, f->function))
            return 1;
    return 0;
}

/* The evidence lines, most telling first: key fields read, the tables'
 * own evidence, the NF's other evidence, other state written. */
typedef struct evline {
    const char *function, *file;
    long line;
} evline;

static size_t evidence_lines(const fm_summary *s, evline **out)
{
    size_t n = 0, cap = 8;
    evline *v = fm_xcalloc(cap, sizeof *v);
#define ADD(fn_, file_, line_) do {                                   \
        if (n == cap)                                                 \
            v = fm_xrealloc(v, (cap *= 2) * sizeof *v);               \
        v[n++] = (evline){(fn_), (file_), (line_)};                   \
    } while (0)
    for (size_t i = 0; i < s->a.nevidence; i++)
        if (!strncmp(s->a.evidence[i].what, "key field ", 10))
            ADD(s->a.evidence[i].function, s->a.evidence[i].file, s->a.evidence[i].line);
    for (size_t t = 0; t < s->ntables; t++)
        for (size_t i = 0; i < s->tables[t].nevidence; i++) {
            const fm_evidence *e = &s->tables[t].evidence[i];
            ADD(e->function, e->file, e->line);
        }
    for (size_t i = 0; i < s->a.nevidence; i++)
        if (strncmp(s->a.evidence[i].what, "key field ", 10) &&
            strcmp(s->a.evidence[i].what, "per-packet entry"))
            ADD(s->a.evidence[i].function, s->a.evidence[i].file, s->a.evidence[i].line);
    for (size_t g = 0; g < s->nglobals; g++)
        ADD(s->globals[g].where.function, s->globals[g].where.file, s->globals[g].where.line);
#undef ADD
    *out = v;
    return n;
}

static int in_func(const shown *h, const evline *e)
{
    return e->line >= h->begin && e->line <= h->end &&
           ((e->function && !strcmp(e->function, h->f->function)) ||
            (e->file && !strcmp(e->file, h->f->file)));
}

static void select_lines(excerpt *x, const fm_summary *s)
{
    evline *ev;
    size_t nev = evidence_lines(s, &ev);
    for (size_t e = 0; e < nev; e++)          /* 1. the evidence */
        for (size_t i = 0; i < x->nfn; i++)
            if (in_func(&x->fn[i], &ev[e]))
                pick(x, &x->fn[i], ev[e].line);
    for (size_t i = 0; i < x->nfn; i++) {     /* 2. signatures */
        shown *h = &x->fn[i];
        if (!h->file) {                       /* say it is missing */
            size_t c = header_cost(h);
            if (x->used + c <= x->budget) {
                x->used += c;
                h->started = 1;
            }
            continue;
        }
        for (long l = h->begin, k = 0; k < MAX_SIG_LINES && l <= h->end; l++, k++) {
            const char *p = h->file->line[l - 1];
            size_t len = h->file->len[l - 1];
            pick(x, h, l);
            if (memchr(p, '{', len) || memchr(p, ';', len))
                break;
        }
    }
    for (size_t e = 0; e < nev; e++)          /* 3. context */
        for (size_t i = 0; i < x->nfn; i++) {
            shown *h = &x->fn[i];
            if (!h->file || !in_func(h, &ev[e]))
                continue;
            for (int d = -1; d <= 1; d += 2)
                for (long l = ev[e].line, k = 0; k < CONTEXT; k++)
                    if ((l = code_line(h, l, d)))
                        pick(x, h, l);
        }
    /* 4. nothing found to point at: the NF's own code is what the model
     *    can find missed state in (the one correction the merge takes) */
    for (size_t i = 0; i < x->nfn && !s->ntables && !s->nglobals; i++)
        for (long l = x->fn[i].begin; x->fn[i].own && l <= x->fn[i].end; l++)
            pick(x, &x->fn[i], l);
    free(ev);
}

static void render(excerpt *x, fm_buf *b)
{
    const char *prev = NULL;
    for (size_t i = 0; i < x->nfn; i++) {
        shown *h = &x->fn[i];
        if (!h->started)
            continue;
        fm_buf_puts(b, "fn ");
        put_fn_name(b, h->f->function);
        if (!h->file) {
            fm_buf_puts(b, " (not found under the source root)\n");
            continue;
        }
        if (!prev || strcmp(prev, h->file->rel)) {
            fm_buf_puts(b, " ");
            fm_llm_put_clean(b, h->file->rel, (size_t)-1);
        }
        prev = h->file->rel;
        fm_buf_puts(b, "\n");
        for (long l = h->begin; l <= h->end; l++) {
            if (!h->sel[l - h->begin])
                continue;
            const char *p = h->file->line[l - 1];
            size_t k = lead(p, h->file->len[l - 1]), n = code_len(h, l);
            fm_buf_printf(b, "%ld|%*s", l, (int)level(h, l), "");
            for (size_t j = 0; j < n; j++) {
                char c = (unsigned char)p[k + j] < 0x20 ? ' ' : p[k + j];
                fm_buf_append(b, &c, 1);
            }
            fm_buf_puts(b, "\n");
        }
    }
}

size_t fm_llm_excerpt(const fm_summary *s, const char *root, size_t budget,
                      fm_buf *b)
{
    char rroot[PATH_MAX];
    if (!root || !budget || !realpath(root, rroot))
        return 0;
    excerpt x = {.root = rroot, .rl = strlen(rroot), .budget = budget};
    if (x.rl == 1)
        x.rl = 0;                             /* the root is "/" */
    x.fn = fm_xcalloc(s->nfuncs + 1, sizeof *x.fn);
    for (size_t i = 0; i < s->nfuncs; i++) {
        const fm_sum_func *f = &s->funcs[i];
        int dup = 0;   /* same range already taken (inline copies) */
        for (size_t k = 0; k < i && !dup; k++)
            dup = strcmp(s->funcs[k].file, f->file) == 0 &&
                  s->funcs[k].begin <= f->begin && s->funcs[k].end >= f->end;
        if (dup || f->begin <= 0 || f->end < f->begin ||
            f->end - f->begin > MAX_RANGE || !worth_showing(s, f))
            continue;
        shown *h = &x.fn[x.nfn++];
        h->f = f;
        h->own = own_function(s, f);
        h->file = load(&x, f->file);
        if (!h->file)
            continue;
        h->begin = f->begin;
        h->end = f->end < h->file->nlines ? f->end : h->file->nlines;
        if (h->begin > h->end) {
            h->file = NULL;
            continue;
        }
        h->sel = fm_xcalloc((size_t)(h->end - h->begin + 1), 1);
        measure_indent(h);
    }
    select_lines(&x, s);
    size_t before = b->len;
    render(&x, b);
    for (size_t i = 0; i < x.nfn; i++)
        free(x.fn[i].sel);
    free(x.fn);
    for (size_t i = 0; i < x.nfiles; i++) {
        free(x.files[i].text);
        free(x.files[i].line);
        free(x.files[i].len);
    }
    return b->len - before;
}
