/* .flowmage sections (summarize/reader.c): the bytes are refused with an
 * error at an offset inside them, or loaded into a program that dumps.
 * The first byte picks how the rest is used: even, as a whole section as
 * found in an object (headers fuzzed too); odd, as the payload of one
 * uncompressed unit whose header (length, checksum) is made right, so that
 * the decoder itself is explored. */
#include <zlib.h>

#include "flowmage/facts.h"
#include "flowmage/section.h"
#include "fuzz_common.h"

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int wrap = data[0] & 1;
    data++;
    size--;
    uint8_t *buf = NULL;
    const uint8_t *in = data;
    size_t n = size;
    if (wrap) {
        n = FM_SECTION_HEADER_SIZE + size;
        buf = malloc(n ? n : 1);
        memcpy(buf, FM_SECTION_MAGIC, 4);
        buf[4] = FM_SECTION_MAJOR;
        buf[5] = FM_SECTION_MINOR;
        buf[6] = buf[7] = 0;
        put32(buf + 8, (uint32_t)size);
        put32(buf + 12, (uint32_t)crc32(0, data, (uInt)size));
        memcpy(buf + FM_SECTION_HEADER_SIZE, data, size);
        in = buf;
    }
    fm_program *p = fm_program_new();
    fm_error err;
    memset(&err, 0, sizeof err);
    if (fm_program_load_bytes(p, in, n, "fuzz.fmg", 0, &err) != 0) {
        if (err.kind != FM_ERR_INPUT || !err.is_offset || err.line < 0 || (size_t)err.line > n ||
            !err.msg[0])
            abort();
    } else if (n <= 4096) {
        /* walks everything that loaded (costly: small inputs only) */
        char *j = fm_program_to_json(p);
        if (!j)
            abort();
        free(j);
    } else {
        fm_program_stats st = fm_program_get_stats(p);
        if (st.units > n)
            abort();
    }
    fm_program_free(p);
    free(buf);
    return 0;
}
