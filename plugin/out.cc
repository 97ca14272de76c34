/* Byte output, the unit's string table, and writing the .flowmage section
 * through the assembler output at the end of the unit. */
#include "gcc-common.h"

#include <zlib.h>

#include "flowmage/section.h"
#include "fm.h"

/* ---- byte buffers ---- */

void fm_w_bytes(fm_wbuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->p = (unsigned char *)xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void fm_w_u(fm_wbuf *b, uint64_t v)
{
    unsigned char tmp[10];
    int n = 0;
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        tmp[n++] = c | (v ? 0x80 : 0);
    } while (v);
    fm_w_bytes(b, tmp, n);
}

void fm_w_u32le(fm_wbuf *b, uint32_t v)
{
    unsigned char t[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    fm_w_bytes(b, t, 4);
}

void fm_w_free(fm_wbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- string table: open addressing over (hash, index) ---- */

struct strtab {
    char **str;          /* by index */
    size_t *slen;
    unsigned n, cap;
    unsigned *slots;     /* index + 1, 0 = empty */
    unsigned nslots;
};
static strtab st;

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void st_grow(void)
{
    unsigned ns = st.nslots ? st.nslots * 2 : 1024;
    unsigned *slots = XCNEWVEC(unsigned, ns);
    for (unsigned i = 0; i < st.n; i++) {
        uint32_t h = hash_bytes(st.str[i], st.slen[i]) & (ns - 1);
        while (slots[h])
            h = (h + 1) & (ns - 1);
        slots[h] = i + 1;
    }
    free(st.slots);
    st.slots = slots;
    st.nslots = ns;
}

unsigned fm_strn(const char *s, size_t n)
{
    if (!s || !n)
        return 0;
    if (st.n == 0) { /* entry 0 is "" */
        st.cap = 256;
        st.str = XNEWVEC(char *, st.cap);
        st.slen = XNEWVEC(size_t, st.cap);
        st.str[0] = xstrdup("");
        st.slen[0] = 0;
        st.n = 1;
    }
    if ((st.n + 1) * 2 > st.nslots)
        st_grow();
    uint32_t h = hash_bytes(s, n) & (st.nslots - 1);
    while (st.slots[h]) {
        unsigned i = st.slots[h] - 1;
        if (st.slen[i] == n && memcmp(st.str[i], s, n) == 0)
            return i;
        h = (h + 1) & (st.nslots - 1);
    }
    if (st.n == st.cap) {
        st.cap *= 2;
        st.str = XRESIZEVEC(char *, st.str, st.cap);
        st.slen = XRESIZEVEC(size_t, st.slen, st.cap);
    }
    char *c = XNEWVEC(char, n + 1);
    memcpy(c, s, n);
    c[n] = 0;
    st.str[st.n] = c;
    st.slen[st.n] = n;
    st.slots[h] = st.n + 1;
    return st.n++;
}

unsigned fm_str(const char *s)
{
    return s ? fm_strn(s, strlen(s)) : 0;
}

static void strtab_write(fm_wbuf *b)
{
    if (st.n == 0)
        fm_str("x"), st.n = 1; /* keep entry 0 only */
    fm_w_u(b, st.n);
    for (unsigned i = 0; i < st.n; i++) {
        fm_w_u(b, st.slen[i]);
        fm_w_bytes(b, st.str[i], st.slen[i]);
    }
}

static void strtab_reset(void)
{
    for (unsigned i = 0; i < st.n; i++)
        free(st.str[i]);
    free(st.str);
    free(st.slen);
    free(st.slots);
    memset(&st, 0, sizeof st);
}

/* ---- the unit ---- */

static void unit_payload(fm_wbuf *pay)
{
    fm_wbuf body = {};
    /* unit_info strings must be interned before the table is written */
    unsigned producer = fm_str("GCC " FM_GCC_VERSION_STRING);
    unsigned lang = fm_str(lang_hooks.name);
    unsigned mainf = fm_str(main_input_filename);
    fm_w_u(&body, producer);
    fm_w_u(&body, lang);
    fm_w_u(&body, mainf);
    fm_w_u(&body, (in_lto_p ? FM_UNIT_LTO : 0) | (optimize ? FM_UNIT_OPTIMIZED : 0));
    fm_w_u(&body, fm_stats.skipped);
    /* types and globals were registered while functions were collected;
     * the function records are already serialised */
    fm_wbuf fns = {};
    unsigned nfns = 0;
    fm_functions_write(&fns, &nfns);
    fm_wbuf types = {}, globals = {};
    fm_types_write(&types);
    fm_globals_write(&globals);
    strtab_write(pay);
    fm_w_bytes(pay, body.p, body.len);
    fm_w_bytes(pay, types.p, types.len);
    fm_w_bytes(pay, globals.p, globals.len);
    fm_w_u(pay, nfns);
    fm_w_bytes(pay, fns.p, fns.len);
    fm_w_free(&body);
    fm_w_free(&fns);
    fm_w_free(&types);
    fm_w_free(&globals);
}

static void write_dump(const unsigned char *p, size_t n)
{
    const char *base = lbasename(main_input_filename ? main_input_filename : "unit");
    char *path = concat(fm_opt.dump_dir, "/", base, ".", "XXXXXX", NULL);
    /* unique per compiler process, written whole then renamed */
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    char *final_path = concat(fm_opt.dump_dir, "/", base, ".", pid, ".fmg", NULL);
    int fd = mkstemp(path);
    bool ok = fd >= 0;
    if (fd >= 0) {
        ok = write(fd, p, n) == (ssize_t)n;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(path, final_path) != 0) {
            ok = false;
            unlink(path);
        }
    }
    if (!ok && fm_opt.verbose) /* silent otherwise: the build must not see it */
        fprintf(stderr, "flowmage: %s: cannot write the facts dump into %s: %s\n",
                main_input_filename ? main_input_filename : "unit", fm_opt.dump_dir,
                xstrerror(errno));
    free(path);
    free(final_path);
}

/* Emit bytes as .ascii lines; the assembler string syntax needs ", \ and
 * non-printable bytes escaped (octal escapes take at most three digits). */
static void emit_ascii(FILE *f, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 64) {
        size_t end = i + 64 < n ? i + 64 : n;
        fputs("\t.ascii \"", f);
        for (size_t k = i; k < end; k++) {
            unsigned c = p[k];
            if (c == '"' || c == '\\')
                fprintf(f, "\\%c", c);
            else if (c >= 0x20 && c < 0x7f)
                fputc(c, f);
            else
                fprintf(f, "\\%03o", c);
        }
        fputs("\"\n", f);
    }
}

void fm_emit_unit(void)
{
    if (fm_stats.functions == 0 && fm_stats.decls == 0)
        return; /* e.g. lto1: nothing was collected in this process */
    fm_wbuf raw = {};
    unit_payload(&raw);
    /* Stored as they are by default: summarize then reads them in place,
     * and skips the copies of a unit (objects, archives, binaries) at its
     * header.  Deflated on request: about 2.8x smaller, but every reader
     * pays the inflating. */
    fm_wbuf pay = {};
    unsigned flags = 0;
    uLongf zlen = fm_opt.compress ? compressBound((uLong)raw.len) : 0;
    unsigned char *z = zlen ? (unsigned char *)xmalloc(zlen) : NULL;
    if (z && compress2(z, &zlen, raw.p, (uLong)raw.len, 6) == Z_OK && zlen + 4 < raw.len) {
        fm_w_u32le(&pay, (uint32_t)raw.len);
        fm_w_bytes(&pay, z, zlen);
        flags = FM_HDR_DEFLATE;
    } else {
        fm_w_bytes(&pay, raw.p, raw.len);
    }
    free(z);
    fm_wbuf unit = {};
    fm_w_bytes(&unit, FM_SECTION_MAGIC, 4);
    unsigned char ver[4] = {FM_SECTION_MAJOR, FM_SECTION_MINOR, (unsigned char)flags, 0};
    fm_w_bytes(&unit, ver, 4);
    fm_w_u32le(&unit, (uint32_t)pay.len);
    fm_w_u32le(&unit, (uint32_t)crc32(0L, pay.p, (uInt)pay.len));
    fm_w_bytes(&unit, pay.p, pay.len);
    if (asm_out_file) {
        /* a plain non-allocated section: kept by ld, --gc-sections, strip */
        fprintf(asm_out_file, "\t.pushsection %s,\"\",@progbits\n", FM_SECTION_NAME);
        emit_ascii(asm_out_file, unit.p, unit.len);
        fputs("\t.popsection\n", asm_out_file);
    }
    if (fm_opt.dump_dir)
        write_dump(unit.p, unit.len);
    if (fm_opt.verbose)
        fprintf(stderr,
                "flowmage: %s: %u functions, %u declarations, %u events, "
                "%u types, %u skipped trees, %u truncated, %zu bytes (%zu raw)\n",
                main_input_filename, fm_stats.functions, fm_stats.decls,
                fm_stats.events, fm_type_count(), fm_stats.skipped,
                fm_stats.truncated, unit.len, raw.len);
    fm_w_free(&raw);
    fm_w_free(&pay);
    fm_w_free(&unit);
}

void fm_reset_unit(void)
{
    strtab_reset();
}
