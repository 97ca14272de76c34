/* The facts reader never trusts its input: a real unit with bytes changed
 * at many places (and the checksum fixed so the decoder sees them) either
 * loads or fails with an error that names an offset inside the input; it
 * never crashes or reads out of bounds (the test build runs under ASan). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "flowmage/facts.h"

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* The .flowmage section of a fixture object, read into *data; 0 ok. */
static int read_section(char **data, size_t *len)
{
    const char *b = getenv("FM_BUILD");
    char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/O0/policer.o", b ? b : "build");
    char cmd[8300];
    snprintf(cmd, sizeof cmd,
             "objcopy --dump-section .flowmage=/tmp/fm-fuzz-%d.bin %s /tmp/fm-fuzz-%d.o",
             (int)getpid(), path, (int)getpid());
    CHECK(system(cmd) == 0, "objcopy failed");
    snprintf(path, sizeof path, "/tmp/fm-fuzz-%d.bin", (int)getpid());
    fm_error err = {0};
    int rc = fm_read_file(path, data, len, &err);
    CHECK(rc == 0, "%s", err.msg);
    remove(path);
    snprintf(path, sizeof path, "/tmp/fm-fuzz-%d.o", (int)getpid());
    remove(path);
    return rc;
}

/* Mutate the decoder's input, not a compressed stream: the unit stored
 * uncompressed (flags 0, as the plugin stores it unless asked to deflate),
 * with its size and checksum fixed. */
static void store_uncompressed(char **data, size_t *len)
{
    unsigned char *d = (unsigned char *)*data;
    if (!(d[6] & FM_HDR_DEFLATE))
        return;
    uLongf raw = (uLongf)d[16] | (uLongf)d[17] << 8 | (uLongf)d[18] << 16 | (uLongf)d[19] << 24;
    unsigned char *u = malloc(FM_SECTION_HEADER_SIZE + raw);
    memcpy(u, d, FM_SECTION_HEADER_SIZE);
    uLongf got = raw;
    size_t stored = (size_t)d[8] | (size_t)d[9] << 8 | (size_t)d[10] << 16 | (size_t)d[11] << 24;
    CHECK(uncompress(u + FM_SECTION_HEADER_SIZE, &got, d + 20, stored - 4) == Z_OK && got == raw,
          "inflate");
    u[6] = 0;
    put32(u + 8, (uint32_t)raw);
    put32(u + 12, (uint32_t)crc32(0, u + FM_SECTION_HEADER_SIZE, (uInt)raw));
    free(*data);
    *data = (char *)u;
    *len = FM_SECTION_HEADER_SIZE + raw;
}

/* One mutant of data (round: which; odd ones truncated): it loads and
 * dumps, or fails naming an offset inside it.  1 if it loaded. */
static int try_mutant(const char *data, size_t len, unsigned char *buf, int round)
{
    memcpy(buf, data, len);
    int flips = 1 + rand() % 4;
    for (int f = 0; f < flips; f++) {
        size_t at = FM_SECTION_HEADER_SIZE + (size_t)rand() % (len - FM_SECTION_HEADER_SIZE);
        buf[at] = (unsigned char)rand();
    }
    /* a truncated payload half the time */
    size_t use = len;
    if (round & 1) {
        use = FM_SECTION_HEADER_SIZE + (size_t)rand() % (len - FM_SECTION_HEADER_SIZE);
        put32(buf + 8, (uint32_t)(use - FM_SECTION_HEADER_SIZE));
    }
    put32(buf + 12, (uint32_t)crc32(0, buf + FM_SECTION_HEADER_SIZE,
                                    (uInt)(use - FM_SECTION_HEADER_SIZE)));
    fm_program *p = fm_program_new();
    fm_error err = {0};
    int loaded = fm_program_load_bytes(p, buf, use, "mutant", 1000, &err) == 0;
    if (loaded) {
        char *j = fm_program_to_json(p); /* walk everything that loaded */
        CHECK(j != NULL, "dump failed");
        free(j);
    } else {
        CHECK(err.is_offset && err.line >= 1000 && err.line <= 1000 + (long)use,
              "error offset %ld outside the input (%s)", err.line, err.msg);
        CHECK(strstr(err.msg, "corrupt") || strstr(err.msg, "truncated"),
              "unexpected message: %s", err.msg);
    }
    fm_program_free(p);
    return loaded;
}

int main(void)
{
    char *data = NULL;
    size_t len = 0;
    if (read_section(&data, &len) != 0)
        len = 0;
    CHECK(len > FM_SECTION_HEADER_SIZE + 100, "section too small: %zu", len);
    if (len <= FM_SECTION_HEADER_SIZE + 100)
        return fm_t_done("test_reader_fuzz", "no section to mutate");
    store_uncompressed(&data, &len);
    /* the uncompressed form loads as well as the compressed one */
    fm_error err = {0};
    fm_program *p0 = fm_program_new();
    CHECK(fm_program_load_bytes(p0, data, len, "plain", 0, &err) == 0, "%s", err.msg);
    fm_program_free(p0);
    unsigned char *buf = malloc(len);
    srand(12345);
    int loaded = 0, failed = 0;
    for (int round = 0; round < 3000; round++) {
        if (try_mutant(data, len, buf, round))
            loaded++;
        else
            failed++;
    }
    printf("note test_reader_fuzz: %d mutants loaded, %d rejected\n", loaded, failed);
    CHECK(failed > 100, "almost nothing rejected: %d", failed);
    free(buf);
    free(data);
    return fm_t_done("test_reader_fuzz", "3000 mutated and truncated units: load or fail with an offset");
}
