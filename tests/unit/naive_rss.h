/* Independent reference for the RSS tests: Toeplitz hashing and the hash
 * input written out by hand, straight from Microsoft's specification, so
 * that flowmage's own (table-driven) code is checked against something it
 * does not share. */
#ifndef FM_TEST_NAIVE_RSS_H
#define FM_TEST_NAIVE_RSS_H

#include <stddef.h>
#include <stdint.h>

#include "flowmage/simulate.h"

/* Microsoft's pseudocode: for every set input bit, XOR the 32 key bits that
 * start at it. */
static inline uint32_t naive_toeplitz(const uint8_t *key, size_t keylen,
                               const uint8_t *in, size_t n)
{
    uint32_t h = 0;
    for (size_t i = 0; i < n * 8; i++) {
        if (!((in[i / 8] >> (7 - i % 8)) & 1))
            continue;
        uint32_t w = 0;
        for (size_t j = 0; j < 32; j++) {
            size_t b = i + j;
            unsigned bit = b < keylen * 8 ? (key[b / 8] >> (7 - b % 8)) & 1u : 0u;
            w = (w << 1) | bit;
        }
        h ^= w;
    }
    return h;
}

/* The RSS input written out by hand (Microsoft order, ports for TCP/UDP). */
static inline size_t naive_input(const fm_flow_tuple *t, fm_fieldset f, uint8_t *o)
{
    size_t n = 0, a = t->ipv6 ? 16 : 4;
    if (f & FM_F_SRC_IP)
        for (size_t i = 0; i < a; i++)
            o[n++] = t->src[i];
    if (f & FM_F_DST_IP)
        for (size_t i = 0; i < a; i++)
            o[n++] = t->dst[i];
    if (t->proto == 6 || t->proto == 17) {
        if (f & FM_F_SRC_PORT)
            o[n++] = (uint8_t)(t->sport >> 8), o[n++] = (uint8_t)(t->sport & 255);
        if (f & FM_F_DST_PORT)
            o[n++] = (uint8_t)(t->dport >> 8), o[n++] = (uint8_t)(t->dport & 255);
    }
    return n;
}

#endif
