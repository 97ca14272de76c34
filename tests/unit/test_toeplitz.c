/* Toeplitz RSS hashing and key synthesis (include/flowmage/toeplitz.h).
 *
 * Checks: the published Microsoft verification vectors (IPv4 and IPv6, with
 * and without ports) through every hashing entry point; agreement with a
 * bit-by-bit reference on random data; the RSS input layout; linearity;
 * symmetric and restricted key synthesis (algebraic checks, 10^5-flow
 * empirical checks, RETA spread, closeness to the base key); clean failure
 * of impossible requests; recognition of the well-known symmetric key. */
#include "check.h"

#include <stdint.h>
#include <string.h>

#include "flowmage/toeplitz.h"

/* ---- helpers ---- */

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The reference: Microsoft's pseudocode taken literally — for each input bit
 * from the left, XOR in the leftmost 32 key bits, then shift the key left by
 * one bit (bits past the key's end are zero). */
static uint32_t ref_toeplitz(const uint8_t *key, size_t keylen,
                             const uint8_t *in, size_t n)
{
    uint32_t h = 0, v = 0;
    size_t next = 32; /* next key bit to shift in */
    for (size_t j = 0; j < 32; j++)
        v = (v << 1) | (j < keylen * 8 ? (key[j / 8] >> (7 - j % 8)) & 1u : 0u);
    for (size_t i = 0; i < n * 8; i++) {
        if ((in[i / 8] >> (7 - i % 8)) & 1)
            h ^= v;
        v = (v << 1) |
            (next < keylen * 8 ? (key[next / 8] >> (7 - next % 8)) & 1u : 0u);
        next++;
    }
    return h;
}

static void ip4(uint8_t *a, int b0, int b1, int b2, int b3)
{
    memset(a, 0, 16);
    a[0] = (uint8_t)b0, a[1] = (uint8_t)b1, a[2] = (uint8_t)b2, a[3] = (uint8_t)b3;
}

static void rand_tuple(fm_flow_tuple *t, int v6)
{
    memset(t, 0, sizeof *t);
    t->ipv6 = v6;
    for (int i = 0; i < 16; i++) {
        t->src[i] = (uint8_t)rnd();
        t->dst[i] = (uint8_t)rnd();
    }
    if (!v6)
        for (int i = 4; i < 16; i++)
            t->src[i] = t->dst[i] = 0;
    t->sport = (uint16_t)rnd();
    t->dport = (uint16_t)rnd();
    t->proto = (rnd() & 1) ? 6 : 17;
}

static void mirror(const fm_flow_tuple *t, fm_flow_tuple *m)
{
    *m = *t;
    memcpy(m->src, t->dst, 16);
    memcpy(m->dst, t->src, 16);
    m->sport = t->dport;
    m->dport = t->sport;
}

static unsigned hamming(const uint8_t *a, const uint8_t *b, size_t n)
{
    unsigned d = 0;
    for (size_t i = 0; i < n; i++)
        d += (unsigned)__builtin_popcount((unsigned)(a[i] ^ b[i]));
    return d;
}

/* Count flows (of n random ones, family v6) whose hash differs from their
 * mirror's. */
static unsigned asymmetric_flows(const uint8_t *key, size_t keylen,
                                 fm_fieldset hashed, int v6, unsigned n)
{
    unsigned bad = 0;
    for (unsigned i = 0; i < n; i++) {
        fm_flow_tuple t, m;
        rand_tuple(&t, v6);
        mirror(&t, &m);
        bad += fm_rss_hash(key, keylen, &t, hashed) != fm_rss_hash(key, keylen, &m, hashed);
    }
    return bad;
}

#define TUPLE2 (FM_F_SRC_IP | FM_F_DST_IP)
#define TUPLE4 (FM_F_SRC_IP | FM_F_DST_IP | FM_F_SRC_PORT | FM_F_DST_PORT)

/* ---- Microsoft verification vectors ---- */

/* Source: Microsoft, "Verifying the RSS Hash Calculation" (Windows driver
 * docs, learn.microsoft.com/windows-hardware/drivers/network/
 * verifying-the-rss-hash-calculation), key 6d5a56da...01fa.  The same tables
 * appear in Intel's 82599 datasheet, section 7.1.2.8.3 "RSS Verification
 * Suite", and DPDK's app/test/test_thash.c, from which the IPv6 rows were
 * cross-checked. */
static const struct {
    uint8_t src[4], dst[4];
    uint16_t sport, dport;
    uint32_t h2, h4; /* IPv4 only, IPv4 with TCP */
} ms_v4[] = {
    {{66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766, 0x323e8fc2, 0x51ccc178},
    {{199, 92, 111, 2}, {65, 69, 140, 83}, 14230, 4739, 0xd718262a, 0xc626b0ea},
    {{24, 19, 198, 95}, {12, 22, 207, 184}, 12898, 38024, 0xd2d0a5de, 0x5c2b394a},
    {{38, 27, 205, 30}, {209, 142, 163, 6}, 48228, 2217, 0x82989176, 0xafc7327f},
    {{153, 39, 163, 191}, {202, 188, 127, 2}, 44251, 1303, 0x5d1809c5, 0x10e828a2},
};
static const struct {
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint32_t h2, h4; /* IPv6 only, IPv6 with TCP */
} ms_v6[] = {
    /* 3ffe:2501:200:1fff::7 -> 3ffe:2501:200:3::1 */
    {{0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x07},
     {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0x01},
     2794, 1766, 0x2cc18cd5, 0x40207d3d},
    /* 3ffe:501:8::260:97ff:fe40:efab -> ff02::1 */
    {{0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0, 0, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab},
     {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01},
     14230, 4739, 0x0f0c461c, 0xdde51bbf},
    /* 3ffe:1900:4545:3:200:f8ff:fe21:67cf -> fe80::200:f8ff:fe21:67cf */
    {{0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
     {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
     44251, 38024, 0x4b61e985, 0x02d1feef},
};

static const uint8_t ms_key_text[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
    0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
    0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static fm_toeplitz_ctx ms_ctx; /* 64 KiB: keep it off the stack */

/* Every row through fm_rss_hash, fm_toeplitz on the hand-built input, the
 * table-driven ctx, and the reference. */
static void test_ms_vectors(void)
{
    CHECK(memcmp(fm_rss_ms_key, ms_key_text, 40) == 0, "fm_rss_ms_key differs from the published key");
    fm_toeplitz_ctx_init(&ms_ctx, fm_rss_ms_key, 40);
    for (size_t r = 0; r < sizeof ms_v4 / sizeof ms_v4[0]; r++) {
        fm_flow_tuple t;
        memset(&t, 0, sizeof t);
        memcpy(t.src, ms_v4[r].src, 4);
        memcpy(t.dst, ms_v4[r].dst, 4);
        t.sport = ms_v4[r].sport;
        t.dport = ms_v4[r].dport;
        t.proto = 6;
        uint8_t in[12];
        memcpy(in, ms_v4[r].src, 4);
        memcpy(in + 4, ms_v4[r].dst, 4);
        in[8] = (uint8_t)(t.sport >> 8), in[9] = (uint8_t)t.sport;
        in[10] = (uint8_t)(t.dport >> 8), in[11] = (uint8_t)t.dport;
        CHECK(fm_rss_hash(fm_rss_ms_key, 40, &t, TUPLE2) == ms_v4[r].h2, "v4 row %zu 2-tuple: got %08x", r, fm_rss_hash(fm_rss_ms_key, 40, &t, TUPLE2));
        CHECK(fm_rss_hash(fm_rss_ms_key, 40, &t, TUPLE4) == ms_v4[r].h4, "v4 row %zu 4-tuple: got %08x", r, fm_rss_hash(fm_rss_ms_key, 40, &t, TUPLE4));
        CHECK(fm_toeplitz(fm_rss_ms_key, 40, in, 8) == ms_v4[r].h2, "v4 row %zu raw 8 bytes", r);
        CHECK(fm_toeplitz(fm_rss_ms_key, 40, in, 12) == ms_v4[r].h4, "v4 row %zu raw 12 bytes", r);
        CHECK(fm_toeplitz_ctx_hash(&ms_ctx, in, 12) == ms_v4[r].h4, "v4 row %zu ctx", r);
        CHECK(fm_toeplitz_ctx_rss_hash(&ms_ctx, &t, TUPLE2) == ms_v4[r].h2, "v4 row %zu ctx 2-tuple", r);
        CHECK(fm_toeplitz_ctx_rss_hash(&ms_ctx, &t, TUPLE4) == ms_v4[r].h4, "v4 row %zu ctx 4-tuple", r);
        CHECK(ref_toeplitz(fm_rss_ms_key, 40, in, 12) == ms_v4[r].h4, "v4 row %zu reference", r);
        t.proto = 17; /* UDP hashes the same fields */
        CHECK(fm_rss_hash(fm_rss_ms_key, 40, &t, TUPLE4) == ms_v4[r].h4, "v4 row %zu UDP", r);
        t.proto = 1; /* ICMP has no ports: falls back to the addresses */
        CHECK(fm_rss_hash(fm_rss_ms_key, 40, &t, TUPLE4) == ms_v4[r].h2, "v4 row %zu ICMP", r);
    }
    for (size_t r = 0; r < sizeof ms_v6 / sizeof ms_v6[0]; r++) {
        fm_flow_tuple t;
        memset(&t, 0, sizeof t);
        t.ipv6 = 1;
        memcpy(t.src, ms_v6[r].src, 16);
        memcpy(t.dst, ms_v6[r].dst, 16);
        t.sport = ms_v6[r].sport;
        t.dport = ms_v6[r].dport;
        t.proto = 6;
        uint8_t in[FM_RSS_INPUT_MAX];
        CHECK_INT(fm_rss_input(&t, TUPLE4, in), 36);
        CHECK(fm_rss_hash(fm_rss_ms_key, 40, &t, TUPLE2) == ms_v6[r].h2, "v6 row %zu 2-tuple: got %08x", r, fm_rss_hash(fm_rss_ms_key, 40, &t, TUPLE2));
        CHECK(fm_rss_hash(fm_rss_ms_key, 40, &t, TUPLE4) == ms_v6[r].h4, "v6 row %zu 4-tuple: got %08x", r, fm_rss_hash(fm_rss_ms_key, 40, &t, TUPLE4));
        CHECK(fm_toeplitz_ctx_rss_hash(&ms_ctx, &t, TUPLE2) == ms_v6[r].h2, "v6 row %zu ctx 2-tuple", r);
        CHECK(fm_toeplitz_ctx_rss_hash(&ms_ctx, &t, TUPLE4) == ms_v6[r].h4, "v6 row %zu ctx 4-tuple", r);
        CHECK(ref_toeplitz(fm_rss_ms_key, 40, in, 36) == ms_v6[r].h4, "v6 row %zu reference", r);
    }
}

/* fm_toeplitz and the ctx tables against the reference on random keys of
 * every length 0..64 (short keys: bits past the end count as zero) and
 * random inputs of every length 0..64. */
static void test_reference_random(void)
{
    static fm_toeplitz_ctx ctx;
    unsigned bad_fast = 0, bad_ctx = 0;
    for (size_t keylen = 0; keylen <= FM_RSS_KEY_MAX; keylen++) {
        uint8_t key[FM_RSS_KEY_MAX];
        for (size_t i = 0; i < keylen; i++)
            key[i] = (uint8_t)rnd();
        fm_toeplitz_ctx_init(&ctx, key, keylen);
        for (size_t n = 0; n <= 64; n++) {
            uint8_t in[64];
            for (size_t i = 0; i < n; i++)
                in[i] = (uint8_t)rnd();
            uint32_t want = ref_toeplitz(key, keylen, in, n);
            bad_fast += fm_toeplitz(key, keylen, in, n) != want;
            bad_ctx += fm_toeplitz_ctx_hash(&ctx, in, n) != want;
        }
    }
    CHECK_INT(bad_fast, 0);
    CHECK_INT(bad_ctx, 0);
}

/* fm_rss_input: Microsoft order, only the selected fields, ports big-endian
 * and only for TCP/UDP, 16-byte IPv6 addresses; ctx and plain hashing agree
 * on every field subset. */
static void test_rss_input(void)
{
    fm_flow_tuple t;
    memset(&t, 0, sizeof t);
    ip4(t.src, 10, 0, 0, 1);
    ip4(t.dst, 192, 168, 1, 2);
    t.sport = 0x1234;
    t.dport = 0xabcd;
    t.proto = 6;
    uint8_t out[FM_RSS_INPUT_MAX];
    static const uint8_t want4[12] = {10, 0, 0, 1, 192, 168, 1, 2, 0x12, 0x34, 0xab, 0xcd};
    CHECK_INT(fm_rss_input(&t, TUPLE4, out), 12);
    CHECK(memcmp(out, want4, 12) == 0, "4-tuple layout");
    CHECK_INT(fm_rss_input(&t, TUPLE4 | FM_F_PROTO, out), 12); /* proto never hashed */
    CHECK_INT(fm_rss_input(&t, FM_F_DST_IP | FM_F_DST_PORT, out), 6);
    CHECK(memcmp(out, want4 + 4, 4) == 0 && out[4] == 0xab && out[5] == 0xcd, "dst_ip,dst_port layout");
    CHECK_INT(fm_rss_input(&t, FM_F_SRC_PORT, out), 2);
    CHECK(out[0] == 0x12 && out[1] == 0x34, "src_port big-endian");
    CHECK_INT(fm_rss_input(&t, 0, out), 0);
    t.proto = 1;
    CHECK_INT(fm_rss_input(&t, TUPLE4, out), 8);
    CHECK_INT(fm_rss_input(&t, FM_F_SRC_PORT, out), 0);
    t.ipv6 = 1;
    t.proto = 17;
    CHECK_INT(fm_rss_input(&t, TUPLE4, out), 36);
    CHECK_INT(fm_rss_input(&t, FM_F_SRC_IP | FM_F_DST_PORT, out), 18);
    CHECK(out[16] == 0xab && out[17] == 0xcd, "v6 dst_port after 16-byte src");

    unsigned bad = 0;
    for (int i = 0; i < 2000; i++) {
        rand_tuple(&t, (int)(rnd() & 1));
        t.proto = (uint8_t)((int[]){1, 6, 17, 47}[rnd() % 4]);
        fm_fieldset h = (fm_fieldset)(rnd() & FM_F_ALL);
        bad += fm_rss_hash(fm_rss_ms_key, 40, &t, h) != fm_toeplitz_ctx_rss_hash(&ms_ctx, &t, h);
    }
    CHECK_INT(bad, 0);
}

/* The hash is linear over GF(2) in the input and in the key. */
static void test_linearity(void)
{
    unsigned bad_in = 0, bad_key = 0;
    for (int i = 0; i < 2000; i++) {
        uint8_t a[36], b[36], c[36], k1[40], k2[40], k3[40];
        for (int j = 0; j < 36; j++) {
            a[j] = (uint8_t)rnd(), b[j] = (uint8_t)rnd();
            c[j] = a[j] ^ b[j];
        }
        for (int j = 0; j < 40; j++) {
            k1[j] = (uint8_t)rnd(), k2[j] = (uint8_t)rnd();
            k3[j] = k1[j] ^ k2[j];
        }
        size_t n = 1 + rnd() % 36;
        bad_in += fm_toeplitz(k1, 40, c, n) != (fm_toeplitz(k1, 40, a, n) ^ fm_toeplitz(k1, 40, b, n));
        bad_key += fm_toeplitz(k3, 40, a, n) != (fm_toeplitz(k1, 40, a, n) ^ fm_toeplitz(k2, 40, a, n));
    }
    CHECK_INT(bad_in, 0);
    CHECK_INT(bad_key, 0);
    uint8_t zero[36] = {0};
    CHECK(fm_toeplitz(fm_rss_ms_key, 40, zero, 36) == 0, "hash of zero input");
}

/* ---- symmetric keys ---- */

/* For {src_ip,dst_ip} over IPv4 the constraints are "key bit j = key bit
 * j+32" for j = 0..62: classes of key bits j mod 32 within bits 0..94.  The
 * nearest symmetric key takes each class's majority bit of the base; compute
 * that distance independently. */
static unsigned optimal_distance_v4_pair(const uint8_t *base)
{
    unsigned d = 0;
    for (unsigned r = 0; r < 32; r++) {
        unsigned ones = 0, n = 0;
        for (unsigned j = r; j <= 94; j += 32, n++)
            ones += (base[j / 8] >> (7 - j % 8)) & 1;
        d += ones < n - ones ? ones : n - ones;
    }
    return d;
}

static void test_symmetric(void)
{
    static const struct {
        fm_fieldset h;
        int fam;
        const char *name;
    } cases[] = {
        {TUPLE2, FM_TOEPLITZ_IPV4, "v4 2-tuple"}, {TUPLE4, FM_TOEPLITZ_IPV4, "v4 4-tuple"},
        {TUPLE2, FM_TOEPLITZ_IPV6, "v6 2-tuple"}, {TUPLE4, FM_TOEPLITZ_IPV6, "v6 4-tuple"},
        {TUPLE2, FM_TOEPLITZ_BOTH, "v4+v6 2-tuple"}, {TUPLE4, FM_TOEPLITZ_BOTH, "v4+v6 4-tuple"},
    };
    static const unsigned reta[] = {7, 9};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t r = 0; r < 2; r++) {
            uint8_t key[40];
            fm_error err = {0};
            int rc = fm_toeplitz_symmetric_key(cases[c].h, cases[c].fam, fm_rss_ms_key, 40,
                                               reta[r], key, &err);
            CHECK(rc == 0, "%s, %u bits: %s", cases[c].name, reta[r], err.msg);
            if (rc)
                continue;
            CHECK(fm_toeplitz_is_symmetric(key, 40, cases[c].h, cases[c].fam), "%s: algebraic", cases[c].name);
            CHECK(fm_toeplitz_spreads(key, 40, cases[c].h, cases[c].fam, reta[r]), "%s: spreads over %u", cases[c].name, reta[r]);
            CHECK_INT(fm_toeplitz_reta_rank(key, 40, cases[c].h, cases[c].h, cases[c].fam, reta[r]), reta[r]);
            /* (Nearly) every input bit still reaches the RETA index: a few
             * windows may have all-zero low bits by chance, as with any key. */
            unsigned all = cases[c].fam == FM_TOEPLITZ_IPV4 || cases[c].fam == FM_TOEPLITZ_BOTH
                               ? (cases[c].h == TUPLE4 ? 96u : 64u)
                               : (cases[c].h == TUPLE4 ? 288u : 256u);
            unsigned reach = fm_toeplitz_reta_inputs(key, 40, cases[c].h, cases[c].h, cases[c].fam, reta[r]);
            CHECK(reach <= all && reach >= all - all / 16, "%s: %u of %u input bits reach the RETA index", cases[c].name, reach, all);
            /* Empirically: 10^5 random flows hash like their mirrors, for each
             * family the key was made for; a 4-tuple key is also symmetric for
             * port-less packets, which the NIC hashes by the addresses. */
            for (int v6 = 0; v6 <= 1; v6++) {
                if (cases[c].fam != FM_TOEPLITZ_BOTH && cases[c].fam != v6)
                    continue;
                CHECK_INT(asymmetric_flows(key, 40, cases[c].h, v6, 100000), 0);
                CHECK_INT(asymmetric_flows(key, 40, TUPLE2, v6, 1000), 0);
            }
            /* Key bits no hash reads keep the base's values. */
            unsigned span = cases[c].fam == FM_TOEPLITZ_IPV4 ? (cases[c].h == TUPLE4 ? 127 : 95)
                                                             : (cases[c].h == TUPLE4 ? 319 : 287);
            unsigned kept = 1;
            for (unsigned j = span; j < 320; j++)
                kept &= ((key[j / 8] ^ fm_rss_ms_key[j / 8]) >> (7 - j % 8) & 1) == 0;
            CHECK(kept, "%s: bits past %u changed", cases[c].name, span);
            if (c == 0)
                CHECK_INT(hamming(key, fm_rss_ms_key, 40), optimal_distance_v4_pair(fm_rss_ms_key));
        }

    /* Deterministic: the same request gives the same key. */
    uint8_t k1[40], k2[40];
    CHECK(fm_toeplitz_symmetric_key(TUPLE4, 0, fm_rss_ms_key, 40, 9, k1, NULL) == 0, "repeat 1");
    CHECK(fm_toeplitz_symmetric_key(TUPLE4, 0, fm_rss_ms_key, 40, 9, k2, NULL) == 0, "repeat 2");
    CHECK(memcmp(k1, k2, 40) == 0, "same request, different keys");
    /* NULL base means the Microsoft key; 52-byte keys also work. */
    CHECK(fm_toeplitz_symmetric_key(TUPLE4, 0, NULL, 40, 9, k2, NULL) == 0 && memcmp(k1, k2, 40) == 0, "NULL base");
    uint8_t k52[52];
    CHECK(fm_toeplitz_symmetric_key(TUPLE4, FM_TOEPLITZ_BOTH, NULL, 52, 9, k52, NULL) == 0, "52-byte key");
    CHECK(fm_toeplitz_is_symmetric(k52, 52, TUPLE4, FM_TOEPLITZ_BOTH), "52-byte key symmetric");

    /* A base with no spread at all (all zero): the search must move away
     * from it and still find a symmetric key that spreads. */
    uint8_t zero[40] = {0}, kz[40];
    fm_error err = {0};
    CHECK(fm_toeplitz_symmetric_key(TUPLE4, 0, zero, 40, 7, kz, &err) == 0, "zero base: %s", err.msg);
    CHECK(fm_toeplitz_is_symmetric(kz, 40, TUPLE4, 0) && fm_toeplitz_spreads(kz, 40, TUPLE4, 0, 7), "zero base result");
}

/* The algebraic check agrees with hashing: random keys, synthesised keys,
 * and synthesised keys with one relevant bit flipped. */
static void test_symmetric_crosscheck(void)
{
    unsigned disagree = 0, flipped_caught = 0, flipped = 0;
    for (int i = 0; i < 40; i++) {
        uint8_t key[40];
        int v6 = i & 1;
        fm_fieldset h = (i & 2) ? TUPLE4 : TUPLE2;
        for (int j = 0; j < 40; j++)
            key[j] = (uint8_t)rnd();
        if (i % 4 < 2) { /* half of them symmetric by construction */
            fm_error err = {0};
            CHECK(fm_toeplitz_symmetric_key(h, v6, key, 40, 7, key, &err) == 0, "%s", err.msg);
        }
        int alg = fm_toeplitz_is_symmetric(key, 40, h, v6);
        int emp = asymmetric_flows(key, 40, h, v6, 2000) == 0;
        disagree += alg != emp;
        if (alg) { /* break it: flip one key bit the hash reads */
            unsigned span = (v6 ? 256u : 64u) + (h == TUPLE4 ? 32u : 0u) + 31u;
            unsigned j = (unsigned)(rnd() % span);
            key[j / 8] ^= (uint8_t)(0x80u >> (j % 8));
            flipped++;
            flipped_caught += !fm_toeplitz_is_symmetric(key, 40, h, v6) &&
                              asymmetric_flows(key, 40, h, v6, 2000) > 0;
        }
    }
    CHECK_INT(disagree, 0);
    CHECK(flipped > 0 && flipped_caught == flipped, "%u of %u broken keys caught", flipped_caught, flipped);
}

/* The well-known symmetric key (0x6d5a repeated, Woo & Park) is recognised
 * as symmetric everywhere; Microsoft's key is not. */
static void test_known_keys(void)
{
    uint8_t k[40];
    for (int i = 0; i < 40; i += 2)
        k[i] = 0x6d, k[i + 1] = 0x5a;
    for (int fam = 0; fam <= FM_TOEPLITZ_BOTH; fam++) {
        CHECK(fm_toeplitz_is_symmetric(k, 40, TUPLE2, fam), "6d5a 2-tuple fam %d", fam);
        CHECK(fm_toeplitz_is_symmetric(k, 40, TUPLE4, fam), "6d5a 4-tuple fam %d", fam);
        CHECK(!fm_toeplitz_is_symmetric(fm_rss_ms_key, 40, TUPLE2, fam), "MS key 2-tuple fam %d", fam);
        CHECK(!fm_toeplitz_is_symmetric(fm_rss_ms_key, 40, TUPLE4, fam), "MS key 4-tuple fam %d", fam);
    }
    CHECK_INT(asymmetric_flows(k, 40, TUPLE4, 0, 10000), 0);
    CHECK_INT(asymmetric_flows(k, 40, TUPLE4, 1, 10000), 0);
    CHECK(asymmetric_flows(fm_rss_ms_key, 40, TUPLE4, 0, 1000) > 900, "MS key looks symmetric");
    /* A field set not closed under mirroring is symmetric only if its hash is
     * constant: the zero key is, the 6d5a key is not. */
    uint8_t zero[40] = {0};
    CHECK(fm_toeplitz_is_symmetric(zero, 40, FM_F_SRC_IP, 0), "zero key, {src_ip}");
    CHECK(!fm_toeplitz_is_symmetric(k, 40, FM_F_SRC_IP, 0), "6d5a key, {src_ip}");
    /* Spread of the known keys; the zero key spreads over nothing. */
    CHECK(fm_toeplitz_spreads(fm_rss_ms_key, 40, TUPLE4, 0, 9), "MS key spreads");
    CHECK(fm_toeplitz_spreads(k, 40, TUPLE4, 0, 9), "6d5a key spreads");
    CHECK(!fm_toeplitz_spreads(zero, 40, TUPLE4, 0, 1), "zero key spreads");
    CHECK(fm_toeplitz_spreads(zero, 40, TUPLE4, 0, 0), "0 RETA bits always spread");
}

/* ---- restricted keys ---- */

static void test_restrict(void)
{
    static const unsigned reta[] = {7, 9};
    for (int fam = 0; fam <= FM_TOEPLITZ_BOTH; fam++)
        for (size_t r = 0; r < 2; r++) {
            uint8_t key[40];
            fm_error err = {0};
            int rc = fm_toeplitz_restrict_key(TUPLE4, FM_F_SRC_IP, fam, fm_rss_ms_key, 40,
                                              reta[r], key, &err);
            CHECK(rc == 0, "restrict to src_ip, fam %d, %u bits: %s", fam, reta[r], err.msg);
            if (rc)
                continue;
            CHECK(fm_toeplitz_is_restricted(key, 40, TUPLE4, FM_F_SRC_IP, fam), "algebraic, fam %d", fam);
            CHECK(!fm_toeplitz_is_restricted(fm_rss_ms_key, 40, TUPLE4, FM_F_SRC_IP, fam), "MS key is not restricted");
            CHECK(fm_toeplitz_spreads(key, 40, TUPLE4, fam, reta[r]), "spreads, fam %d", fam);
            CHECK_INT(fm_toeplitz_reta_rank(key, 40, TUPLE4, FM_F_SRC_IP, fam, reta[r]), reta[r]);
            /* Documented limitation: when the fields after the kept one are
             * zeroed, only its first width - 32 + reta_bits bits can reach
             * the RETA index: all but 32 - reta_bits bits of an IPv6
             * address, just the first reta_bits bits of an IPv4 one. */
            unsigned reach = fm_toeplitz_reta_inputs(key, 40, TUPLE4, FM_F_SRC_IP, fam, reta[r]);
            if (fam == FM_TOEPLITZ_IPV6)
                CHECK(reach <= 96 + reta[r] && reach >= 90, "v6: %u src_ip bits reach the RETA index", reach);
            else
                CHECK_INT(reach, reta[r]);
            /* Empirically: varying dst_ip and both ports never changes the
             * hash; varying src_ip does. */
            for (int v6 = 0; v6 <= 1; v6++) {
                if (fam != FM_TOEPLITZ_BOTH && fam != v6)
                    continue;
                unsigned changed = 0, src_moves = 0;
                for (int i = 0; i < 20000; i++) {
                    fm_flow_tuple a, b;
                    rand_tuple(&a, v6);
                    rand_tuple(&b, v6);
                    memcpy(b.src, a.src, 16);
                    changed += fm_rss_hash(key, 40, &a, TUPLE4) != fm_rss_hash(key, 40, &b, TUPLE4);
                    b = a;
                    b.src[0] ^= (uint8_t)(1 + rnd() % 255);
                    src_moves += fm_rss_hash(key, 40, &a, TUPLE4) != fm_rss_hash(key, 40, &b, TUPLE4);
                }
                CHECK_INT(changed, 0);
                CHECK(src_moves == 20000, "src_ip change left the hash alone %u times", 20000 - src_moves);
            }
        }

    /* The last field keeps a rich dependence: dst_port alone. */
    uint8_t key[40];
    fm_error err = {0};
    CHECK(fm_toeplitz_restrict_key(TUPLE4, FM_F_DST_PORT, 0, fm_rss_ms_key, 40, 9, key, &err) == 0, "%s", err.msg);
    CHECK(fm_toeplitz_is_restricted(key, 40, TUPLE4, FM_F_DST_PORT, 0), "dst_port restricted");
    CHECK_INT(fm_toeplitz_reta_inputs(key, 40, TUPLE4, FM_F_DST_PORT, 0, 9), 16);
    /* dst_ip of a 2-tuple is last too. */
    CHECK(fm_toeplitz_restrict_key(TUPLE2, FM_F_DST_IP, 1, fm_rss_ms_key, 40, 9, key, &err) == 0, "%s", err.msg);
    CHECK(fm_toeplitz_is_restricted(key, 40, TUPLE2, FM_F_DST_IP, 1), "v6 dst_ip restricted");
    unsigned reach = fm_toeplitz_reta_inputs(key, 40, TUPLE2, FM_F_DST_IP, 1, 9);
    CHECK(reach >= 120 && reach <= 128, "v6 dst_ip: %u bits reach the RETA index", reach);
    /* Keeping everything changes nothing when the base already spreads. */
    CHECK(fm_toeplitz_restrict_key(TUPLE4, TUPLE4, 0, fm_rss_ms_key, 40, 9, key, &err) == 0, "%s", err.msg);
    CHECK(memcmp(key, fm_rss_ms_key, 40) == 0, "identity restriction changed the key");
    /* Key bits no hash reads keep the base's values. */
    CHECK(fm_toeplitz_restrict_key(TUPLE4, FM_F_SRC_IP | FM_F_SRC_PORT, 0, fm_rss_ms_key, 40, 7, key, &err) == 0, "%s", err.msg);
    CHECK(memcmp(key + 16, fm_rss_ms_key + 16, 24) == 0, "bits past the IPv4 windows changed");
}

/* ---- the RETA map bit by bit, and keys that favour the varying bits ---- */

/* Low `n` bits of every address and port of the IPv4 layout of `hashed`
 * restricted to `only`, as an input-bit mask. */
static void low_mask(fm_fieldset hashed, fm_fieldset only, unsigned n_ip, unsigned n_port,
                     uint8_t *mask)
{
    memset(mask, 0, FM_RSS_INPUT_MAX);
    for (int f = 0; f < 4; f++) {
        unsigned off, w;
        if (!(only & (1u << f)) || fm_rss_field_bits(hashed, 0, 1u << f, &off, &w) != 0)
            continue;
        unsigned n = f < 2 ? n_ip : n_port;
        for (unsigned b = w - n; b < w; b++)
            mask[(off + b) / 8] |= (uint8_t)(0x80u >> ((off + b) % 8));
    }
}

static unsigned masked_rank(const uint8_t *key, fm_fieldset hashed, const uint8_t *mask,
                            unsigned reta_bits)
{
    uint32_t col[FM_RSS_INPUT_MAX * 8];
    size_t n = fm_toeplitz_reta_map(key, 40, hashed, 0, reta_bits, col), k = 0;
    uint32_t v[FM_RSS_INPUT_MAX * 8];
    for (size_t i = 0; i < n; i++)
        if ((mask[i / 8] >> (7 - i % 8)) & 1)
            v[k++] = col[i];
    /* Gaussian elimination on at most 32-bit columns */
    unsigned r = 0;
    for (int bit = 31; bit >= 0; bit--) {
        size_t p = k;
        for (size_t i = r; i < k; i++)
            if ((v[i] >> bit) & 1) {
                p = i;
                break;
            }
        if (p == k)
            continue;
        uint32_t t = v[p];
        v[p] = v[r];
        v[r] = t;
        for (size_t i = 0; i < k; i++)
            if (i != r && ((v[i] >> bit) & 1))
                v[i] ^= v[r];
        r++;
    }
    return r;
}

static void test_reta_map(void)
{
    unsigned off, w;
    CHECK(fm_rss_field_bits(TUPLE4, 0, FM_F_DST_IP, &off, &w) == 0 && off == 32 && w == 32,
          "v4 dst_ip at bit 32, 32 wide (%u, %u)", off, w);
    CHECK(fm_rss_field_bits(TUPLE4, 1, FM_F_DST_PORT, &off, &w) == 0 && off == 272 && w == 16,
          "v6 dst_port at bit 272, 16 wide (%u, %u)", off, w);
    CHECK(fm_rss_field_bits(FM_F_SRC_IP | FM_F_DST_PORT, 0, FM_F_DST_PORT, &off, &w) == 0 &&
              off == 32,
          "an unhashed field takes no room (%u)", off);
    CHECK(fm_rss_field_bits(TUPLE2, 0, FM_F_SRC_PORT, &off, &w) == -1, "not hashed: -1");
    /* Column i is what flipping input bit i does to the RETA index, on the
     * hash itself (linearity), for both layouts. */
    uint32_t col[FM_RSS_INPUT_MAX * 8];
    unsigned bad = 0;
    for (int v6 = 0; v6 <= 1; v6++) {
        size_t n = fm_toeplitz_reta_map(fm_rss_ms_key, 40, TUPLE4, v6, 9, col);
        CHECK_INT(n, v6 ? 288 : 96);
        for (size_t i = 0; i < n; i++) {
            fm_flow_tuple a;
            rand_tuple(&a, v6);
            uint8_t in[FM_RSS_INPUT_MAX], in2[FM_RSS_INPUT_MAX];
            size_t len = fm_rss_input(&a, TUPLE4, in);
            memcpy(in2, in, len);
            in2[i / 8] ^= (uint8_t)(0x80u >> (i % 8));
            uint32_t d = fm_toeplitz(fm_rss_ms_key, 40, in, len) ^
                         fm_toeplitz(fm_rss_ms_key, 40, in2, len);
            bad += (d & 511u) != col[i];
        }
    }
    CHECK_INT(bad, 0);
    /* Its non-zero columns are what fm_toeplitz_reta_inputs counts. */
    uint8_t key[40];
    fm_error err = {0};
    CHECK(fm_toeplitz_restrict_key(TUPLE4, FM_F_SRC_IP, 0, fm_rss_ms_key, 40, 7, key, &err) == 0,
          "%s", err.msg);
    size_t n = fm_toeplitz_reta_map(key, 40, TUPLE4, 0, 7, col);
    unsigned nz = 0, first = 0;
    for (size_t i = 0; i < 32 && i < n; i++)
        if (col[i])
            nz++, first += i < 7;
    CHECK(nz == fm_toeplitz_reta_inputs(key, 40, TUPLE4, FM_F_SRC_IP, 0, 7) && nz == 7 && first == 7,
          "a src_ip restriction: the first 7 address bits reach the index (%u, %u)", nz, first);
}

static void test_restrict_prefer(void)
{
    uint8_t mask[FM_RSS_INPUT_MAX], plain[40], pref[40], weak[40];
    fm_error err = {0};
    int preferred = -1;
    /* The Microsoft key: the nearest restricted key already lets the low 16
     * bits of both addresses reach the index, so the preference is free. */
    low_mask(TUPLE4, TUPLE2, 16, 0, mask);
    CHECK(fm_toeplitz_restrict_key(TUPLE4, TUPLE2, 0, fm_rss_ms_key, 40, 7, plain, &err) == 0,
          "%s", err.msg);
    CHECK(fm_toeplitz_restrict_key_prefer(TUPLE4, TUPLE2, 0, fm_rss_ms_key, 40, 7, mask, pref,
                                          &preferred, &err) == 0, "%s", err.msg);
    CHECK(preferred == 1 && !memcmp(plain, pref, 40), "MS key: same key, preference met");
    /* A base weak in bytes 2..7: the nearest key spreads over the address
     * bits as a whole (their first bits), but not over their last 16 bits,
     * where addresses vary.  The preference finds a key that does. */
    memcpy(weak, fm_rss_ms_key, 40);
    memset(weak + 2, 0, 6);
    CHECK(fm_toeplitz_restrict_key(TUPLE4, TUPLE2, 0, weak, 40, 7, plain, &err) == 0, "%s",
          err.msg);
    CHECK(masked_rank(plain, TUPLE4, mask, 7) < 7, "plain key: rank over the low bits %u",
          masked_rank(plain, TUPLE4, mask, 7));
    preferred = -1;
    CHECK(fm_toeplitz_restrict_key_prefer(TUPLE4, TUPLE2, 0, weak, 40, 7, mask, pref,
                                          &preferred, &err) == 0, "%s", err.msg);
    CHECK_INT(preferred, 1);
    CHECK_INT(masked_rank(pref, TUPLE4, mask, 7), 7);
    CHECK(fm_toeplitz_is_restricted(pref, 40, TUPLE4, TUPLE2, 0), "still restricted");
    CHECK(fm_toeplitz_spreads(pref, 40, TUPLE2, 0, 7) &&
              fm_toeplitz_reta_rank(pref, 40, TUPLE4, TUPLE2, 0, 7) == 7,
          "still spreads over the kept fields");
    /* Empirically: flows differing only in the last 16 bits of their
     * addresses now reach all 128 RETA entries; under the plain key fewer. */
    unsigned char hit_p[128] = {0}, hit_k[128] = {0};
    unsigned np = 0, nk = 0;
    for (int i = 0; i < 20000; i++) {
        fm_flow_tuple t;
        rand_tuple(&t, 0);
        t.src[0] = 10, t.src[1] = 1, t.dst[0] = 192, t.dst[1] = 168;
        unsigned a = fm_rss_hash(pref, 40, &t, TUPLE4) & 127, b = fm_rss_hash(plain, 40, &t, TUPLE4) & 127;
        np += !hit_p[a], hit_p[a] = 1;
        nk += !hit_k[b], hit_k[b] = 1;
    }
    CHECK(np == 128 && nk < 128, "RETA entries hit: preferred %u, plain %u", np, nk);
    /* Impossible preference (src_ip of a 4-tuple: only its first 7 bits can
     * reach the index): the plain key, flagged as such. */
    low_mask(TUPLE4, FM_F_SRC_IP, 16, 0, mask);
    CHECK(fm_toeplitz_restrict_key(TUPLE4, FM_F_SRC_IP, FM_TOEPLITZ_BOTH, fm_rss_ms_key, 40, 7,
                                   plain, &err) == 0, "%s", err.msg);
    preferred = -1;
    CHECK(fm_toeplitz_restrict_key_prefer(TUPLE4, FM_F_SRC_IP, FM_TOEPLITZ_BOTH, fm_rss_ms_key,
                                          40, 7, mask, pref, &preferred, &err) == 0, "%s",
          err.msg);
    CHECK(preferred == 0 && !memcmp(plain, pref, 40), "impossible: plain key (%d)", preferred);
    /* NULL mask: exactly fm_toeplitz_restrict_key. */
    CHECK(fm_toeplitz_restrict_key_prefer(TUPLE4, TUPLE2, 0, weak, 40, 7, NULL, pref, NULL,
                                          &err) == 0 &&
              fm_toeplitz_restrict_key(TUPLE4, TUPLE2, 0, weak, 40, 7, plain, &err) == 0 &&
              !memcmp(plain, pref, 40),
          "no preference, no change");
}

/* ---- impossible or malformed requests ---- */

static void expect_fail(int rc, const uint8_t *out, const char *what, const char *needle,
                        const fm_error *err)
{
    static const uint8_t sentinel[40] = {0xee, 0xee, 0xee, 0xee};
    CHECK(rc == -1, "%s: succeeded", what);
    CHECK(err->kind == FM_ERR_INPUT, "%s: kind %d", what, (int)err->kind);
    CHECK(strstr(err->msg, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what, err->msg, needle);
    CHECK(memcmp(out, sentinel, 4) == 0, "%s: output written on failure", what);
}

static void test_impossible(void)
{
    uint8_t out[64];
    fm_error err;
#define TRY(call, what, needle)                                                \
    do {                                                                       \
        memset(&err, 0, sizeof err);                                           \
        memset(out, 0xee, sizeof out);                                         \
        expect_fail(call, out, what, needle, &err);                            \
    } while (0)
    TRY(fm_toeplitz_symmetric_key(FM_F_SRC_IP, 0, fm_rss_ms_key, 40, 7, out, &err),
        "symmetric {src_ip}", "not closed under src/dst mirroring");
    TRY(fm_toeplitz_symmetric_key(FM_F_SRC_IP | FM_F_DST_IP | FM_F_SRC_PORT, 1, NULL, 40, 7, out, &err),
        "symmetric {src_ip,dst_ip,src_port}", "mirror is {src_ip,dst_ip,dst_port}");
    TRY(fm_toeplitz_symmetric_key(FM_F_PROTO, 0, NULL, 40, 7, out, &err),
        "symmetric {proto}", "no hashable field");
    TRY(fm_toeplitz_symmetric_key(TUPLE4, 1, fm_rss_ms_key, 36, 7, out, &err),
        "36-byte key for IPv6 4-tuple", "needs 40");
    TRY(fm_toeplitz_symmetric_key(TUPLE4, 0, NULL, 65, 7, out, &err),
        "65-byte key", "cannot hash");
    TRY(fm_toeplitz_symmetric_key(TUPLE4, 0, NULL, 40, 33, out, &err),
        "33 RETA bits", "at most 32");
    TRY(fm_toeplitz_symmetric_key(TUPLE4, 3, NULL, 40, 7, out, &err),
        "family 3", "bad address family");
    /* Symmetric over the two ports alone forces key bits 0..62 to period
     * 16: 16 distinct windows, so at most 16 independent RETA bits. */
    TRY(fm_toeplitz_symmetric_key(FM_F_SRC_PORT | FM_F_DST_PORT, 0, NULL, 40, 17, out, &err),
        "symmetric ports with 17 RETA bits", "no symmetric key");
    CHECK(fm_toeplitz_symmetric_key(FM_F_SRC_PORT | FM_F_DST_PORT, 0, NULL, 40, 16, out, &err) == 0,
          "symmetric ports with 16 RETA bits: %s", err.msg);
    /* src_port sits between fields whose zeroed windows cover its own. */
    TRY(fm_toeplitz_restrict_key(TUPLE4, FM_F_SRC_PORT, 0, fm_rss_ms_key, 40, 7, out, &err),
        "restrict to src_port", "no restricted key");
    TRY(fm_toeplitz_restrict_key(TUPLE2, FM_F_SRC_PORT, 0, fm_rss_ms_key, 40, 7, out, &err),
        "restrict to unhashed field", "non-empty subset");
    TRY(fm_toeplitz_restrict_key(TUPLE4, 0, 0, fm_rss_ms_key, 40, 7, out, &err),
        "restrict to nothing", "non-empty subset");
#undef TRY
    /* NULL err is allowed. */
    CHECK(fm_toeplitz_symmetric_key(FM_F_SRC_IP, 0, NULL, 40, 7, out, NULL) == -1, "NULL err");
}

int main(void)
{
    test_ms_vectors();
    test_reference_random();
    test_rss_input();
    test_linearity();
    test_symmetric();
    test_symmetric_crosscheck();
    test_known_keys();
    test_restrict();
    test_reta_map();
    test_restrict_prefer();
    test_impossible();
    return fm_t_done("test_toeplitz",
                     "MS RSS vectors v4/v6 2- and 4-tuple via 4 paths, reference "
                     "agreement, input layout, linearity, symmetric keys (10^5 "
                     "flows, 7/9 RETA bits, v4/v6/both), restricted keys, RETA map per "
                     "input bit, restricted keys preferring the varying bits, "
                     "impossible requests, known keys");
}
