/* Seeds for fuzz_section: for each .flowmage unit in the given raw section
 * dumps (objcopy --dump-section), OUT/NAME-N.whole holds byte 0 and the
 * unit as stored (headers fuzzed), OUT/NAME-N.raw byte 1 and the unit's
 * payload inflated (the harness wraps it in a valid uncompressed header,
 * so mutations reach the decoder).  Built and run by run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "flowmage/section.h"

static unsigned long get32(const unsigned char *p)
{
    return (unsigned long)p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 |
           (unsigned long)p[3] << 24;
}

static void put(const char *out, const char *name, int n, const char *ext, int mode,
                const unsigned char *p, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-%d.%s", out, name, n, ext);
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fputc(mode, f);
    fwrite(p, 1, len, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    for (int a = 2; a < argc; a++) {
        FILE *f = fopen(argv[a], "rb");
        if (!f)
            continue;
        static unsigned char buf[1 << 24];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
        size_t at = 0;
        for (int n = 0; at + FM_SECTION_HEADER_SIZE <= len; n++) {
            while (at < len && buf[at] == 0) /* padding between units */
                at++;
            if (at + FM_SECTION_HEADER_SIZE > len || memcmp(buf + at, FM_SECTION_MAGIC, 4))
                break;
            unsigned long stored = get32(buf + at + 8);
            if (stored > len - at - FM_SECTION_HEADER_SIZE)
                break;
            const unsigned char *pay = buf + at + FM_SECTION_HEADER_SIZE;
            put(argv[1], name, n, "whole", 0, buf + at, FM_SECTION_HEADER_SIZE + stored);
            if ((buf[at + 6] & FM_HDR_DEFLATE) && stored > 4) {
                uLongf raw = get32(pay);
                unsigned char *u = malloc(raw ? raw : 1);
                if (u && uncompress(u, &raw, pay + 4, stored - 4) == Z_OK)
                    put(argv[1], name, n, "raw", 1, u, raw);
                free(u);
            } else {
                put(argv[1], name, n, "raw", 1, pay, stored);
            }
            at += FM_SECTION_HEADER_SIZE + stored;
        }
    }
    return 0;
}
