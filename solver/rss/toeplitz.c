/* Toeplitz RSS hashing and RSS key synthesis over GF(2).
 *
 * Conventions used throughout: key bit j is bit (7 - j % 8) of key[j / 8]
 * (most significant first, as the NIC reads it), input bit i likewise, and
 * the window W_i is the 32-bit value whose most significant bit is key bit
 * i.  hash = XOR of W_i over the set input bits i, so output bit k (0 = least
 * significant) of W_i is key bit i + 31 - k.  The math is in docs/toeplitz.md. */
#include "flowmage/toeplitz.h"

#include <stdlib.h>
#include <string.h>

#include "gf2.h"

const uint8_t fm_rss_ms_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
    0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
    0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

enum { PROTO_TCP = 6, PROTO_UDP = 17 };
#define HASHABLE (FM_F_SRC_IP | FM_F_DST_IP | FM_F_SRC_PORT | FM_F_DST_PORT)

/* ---- hashing ---- */

/* Key bytes p..p+7 as a big-endian 64-bit value, zero past keylen. */
static inline uint64_t key_be64(const uint8_t *key, size_t keylen, size_t p)
{
    uint64_t v = 0;
    if (p + 8 <= keylen) {
        memcpy(&v, key + p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        return v;
    }
    for (size_t i = 0; i < 8; i++)
        v = (v << 8) | (p + i < keylen ? key[p + i] : 0);
    return v;
}

/* Window W_i (key bits i .. i+31), zero-extended past keylen. */
static uint32_t window(const uint8_t *key, size_t keylen, size_t i)
{
    return (uint32_t)(key_be64(key, keylen, i / 8) >> (32 - i % 8));
}

/* Input bit j (0 = most significant) of the 32-bit word w selects window
 * v >> (32 - j) of the 64-bit key slice v starting at the word's first byte.
 * Branch-free, because input bits are random and a branch per bit would
 * mispredict half the time; spelled out so every shift is a constant. */
#define TB(j) (h ^= (uint32_t)(v >> (32 - (j))) & (0u - ((w >> (31 - (j))) & 1u)))
#define TB4(j) (TB(j), TB(j + 1), TB(j + 2), TB(j + 3))

uint32_t fm_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *input,
                     size_t inlen)
{
    uint32_t h = 0;
    for (size_t p = 0; p < inlen; p += 4) {
        uint32_t w;
        if (p + 4 <= inlen) {
            w = (uint32_t)input[p] << 24 | (uint32_t)input[p + 1] << 16 |
                (uint32_t)input[p + 2] << 8 | input[p + 3];
        } else { /* tail: missing bytes are zero bits, which add nothing */
            w = 0;
            for (size_t i = 0; i < 4; i++)
                w = (w << 8) | (p + i < inlen ? input[p + i] : 0);
        }
        uint64_t v = key_be64(key, keylen, p);
        TB4(0), TB4(4), TB4(8), TB4(12), TB4(16), TB4(20), TB4(24), TB4(28);
    }
    return h;
}

void fm_toeplitz_ctx_init(fm_toeplitz_ctx *ctx, const uint8_t *key,
                          size_t keylen)
{
    if (keylen > FM_RSS_KEY_MAX)
        keylen = FM_RSS_KEY_MAX;
    memset(ctx->key, 0, sizeof ctx->key);
    memcpy(ctx->key, key, keylen);
    ctx->keylen = keylen;
    for (size_t p = 0; p < FM_RSS_KEY_MAX; p++) {
        uint32_t win[8];
        for (size_t j = 0; j < 8; j++)
            win[j] = window(ctx->key, keylen, 8 * p + j);
        /* Linear in the byte: each entry is a smaller entry plus the window
         * of its lowest set bit (bit value 1 << t is input bit 7 - t). */
        ctx->tab[p][0] = 0;
        for (unsigned b = 1; b < 256; b++)
            ctx->tab[p][b] = ctx->tab[p][b & (b - 1)] ^ win[7 - __builtin_ctz(b)];
    }
}

uint32_t fm_toeplitz_ctx_hash(const fm_toeplitz_ctx *ctx, const uint8_t *input,
                              size_t len)
{
    /* Input bytes at or past FM_RSS_KEY_MAX meet only zero key bits. */
    if (len > FM_RSS_KEY_MAX)
        len = FM_RSS_KEY_MAX;
    uint32_t h = 0;
    for (size_t p = 0; p < len; p++)
        h ^= ctx->tab[p][input[p]];
    return h;
}

size_t fm_rss_input(const fm_flow_tuple *t, fm_fieldset hashed, uint8_t *out)
{
    size_t n = 0, alen = t->ipv6 ? 16 : 4;
    if (hashed & FM_F_SRC_IP) {
        memcpy(out + n, t->src, alen);
        n += alen;
    }
    if (hashed & FM_F_DST_IP) {
        memcpy(out + n, t->dst, alen);
        n += alen;
    }
    if (t->proto == PROTO_TCP || t->proto == PROTO_UDP) {
        if (hashed & FM_F_SRC_PORT) {
            out[n++] = (uint8_t)(t->sport >> 8);
            out[n++] = (uint8_t)t->sport;
        }
        if (hashed & FM_F_DST_PORT) {
            out[n++] = (uint8_t)(t->dport >> 8);
            out[n++] = (uint8_t)t->dport;
        }
    }
    return n;
}

uint32_t fm_rss_hash(const uint8_t *key, size_t keylen, const fm_flow_tuple *t,
                     fm_fieldset hashed)
{
    uint8_t in[FM_RSS_INPUT_MAX];
    size_t n = fm_rss_input(t, hashed, in);
    return fm_toeplitz(key, keylen, in, n);
}

uint32_t fm_toeplitz_ctx_rss_hash(const fm_toeplitz_ctx *ctx,
                                  const fm_flow_tuple *t, fm_fieldset hashed)
{
    uint8_t in[FM_RSS_INPUT_MAX];
    size_t n = fm_rss_input(t, hashed, in);
    uint32_t h = 0;
    for (size_t p = 0; p < n; p++)
        h ^= ctx->tab[p][in[p]];
    return h;
}

/* ---- input layout ---- */

/* One hashed field's place in the input, in bits. */
typedef struct seg {
    fm_fieldset f;
    unsigned off, bits;
} seg;

typedef struct layout {
    unsigned n, bits; /* segments, total input bits */
    seg s[4];
} layout;

/* The Microsoft-order layout of `hashed` (ports assumed present: TCP/UDP). */
static void layout_make(fm_fieldset hashed, int v6, layout *l)
{
    static const fm_fieldset order[4] = {FM_F_SRC_IP, FM_F_DST_IP,
                                         FM_F_SRC_PORT, FM_F_DST_PORT};
    l->n = l->bits = 0;
    for (int i = 0; i < 4; i++) {
        if (!(hashed & order[i]))
            continue;
        unsigned w = i < 2 ? (v6 ? 128u : 32u) : 16u;
        l->s[l->n++] = (seg){order[i], l->bits, w};
        l->bits += w;
    }
}

static const seg *layout_find(const layout *l, fm_fieldset f)
{
    for (unsigned i = 0; i < l->n; i++)
        if (l->s[i].f == f)
            return &l->s[i];
    return NULL;
}

/* Key bits the layout's hash can touch. */
static unsigned layout_key_bits(const layout *l)
{
    return l->bits ? l->bits + 31 : 0;
}

/* The layouts selected by an `ipv6` argument: 1 or 2 of them. */
static unsigned layouts_for(fm_fieldset hashed, int ipv6, layout out[2])
{
    if (ipv6 == FM_TOEPLITZ_BOTH) {
        layout_make(hashed, 0, &out[0]);
        layout_make(hashed, 1, &out[1]);
        return 2;
    }
    layout_make(hashed, ipv6 != 0, &out[0]);
    return 1;
}

/* ---- algebraic checks ---- */

static int layout_symmetric(const uint8_t *key, size_t keylen, const layout *l)
{
    for (unsigned i = 0; i < l->n; i++) {
        const seg *a = &l->s[i];
        const seg *b = layout_find(l, fm_fieldset_mirror(a->f));
        /* A field whose mirror is not hashed appears on one side only: its
         * windows must vanish.  Otherwise paired bits need equal windows. */
        for (unsigned k = 0; k < a->bits; k++) {
            uint32_t wa = window(key, keylen, a->off + k);
            uint32_t wb = b ? window(key, keylen, b->off + k) : 0;
            if (wa != wb)
                return 0;
        }
    }
    return 1;
}

int fm_toeplitz_is_symmetric(const uint8_t *key, size_t keylen,
                             fm_fieldset hashed, int ipv6)
{
    layout l[2];
    unsigned nl = layouts_for(hashed & HASHABLE, ipv6, l);
    for (unsigned i = 0; i < nl; i++)
        if (!layout_symmetric(key, keylen, &l[i]))
            return 0;
    return 1;
}

static int layout_restricted(const uint8_t *key, size_t keylen, const layout *l,
                             fm_fieldset only)
{
    for (unsigned i = 0; i < l->n; i++) {
        if (l->s[i].f & only)
            continue;
        for (unsigned k = 0; k < l->s[i].bits; k++)
            if (window(key, keylen, l->s[i].off + k))
                return 0;
    }
    return 1;
}

int fm_toeplitz_is_restricted(const uint8_t *key, size_t keylen,
                              fm_fieldset hashed, fm_fieldset only, int ipv6)
{
    layout l[2];
    unsigned nl = layouts_for(hashed & HASHABLE, ipv6, l);
    for (unsigned i = 0; i < nl; i++)
        if (!layout_restricted(key, keylen, &l[i], only))
            return 0;
    return 1;
}

static uint32_t reta_mask(unsigned reta_bits)
{
    return reta_bits >= 32 ? 0xffffffffu : (1u << reta_bits) - 1;
}

/* Low reta_bits of the windows of `over`'s input bits; returns how many. */
static size_t reta_columns(const uint8_t *key, size_t keylen, const layout *l,
                           fm_fieldset over, unsigned reta_bits, uint32_t *col)
{
    size_t n = 0;
    uint32_t m = reta_mask(reta_bits);
    for (unsigned i = 0; i < l->n; i++) {
        if (!(l->s[i].f & over))
            continue;
        for (unsigned k = 0; k < l->s[i].bits; k++)
            col[n++] = window(key, keylen, l->s[i].off + k) & m;
    }
    return n;
}

unsigned fm_toeplitz_reta_rank(const uint8_t *key, size_t keylen,
                               fm_fieldset hashed, fm_fieldset over, int ipv6,
                               unsigned reta_bits)
{
    layout l[2];
    unsigned nl = layouts_for(hashed & HASHABLE, ipv6, l), best = 32;
    uint32_t col[FM_RSS_INPUT_MAX * 8];
    for (unsigned i = 0; i < nl; i++) {
        size_t n = reta_columns(key, keylen, &l[i], over, reta_bits, col);
        unsigned r = fm_gf2_rank32(col, n);
        if (r < best)
            best = r;
    }
    return best;
}

unsigned fm_toeplitz_reta_inputs(const uint8_t *key, size_t keylen,
                                 fm_fieldset hashed, fm_fieldset over,
                                 int ipv6, unsigned reta_bits)
{
    layout l[2];
    unsigned nl = layouts_for(hashed & HASHABLE, ipv6, l), best = ~0u;
    uint32_t col[FM_RSS_INPUT_MAX * 8];
    for (unsigned i = 0; i < nl; i++) {
        size_t n = reta_columns(key, keylen, &l[i], over, reta_bits, col);
        unsigned c = 0;
        for (size_t k = 0; k < n; k++)
            c += col[k] != 0;
        if (c < best)
            best = c;
    }
    return best;
}

int fm_toeplitz_spreads(const uint8_t *key, size_t keylen, fm_fieldset fields,
                        int ipv6, unsigned reta_bits)
{
    unsigned want = reta_bits > 32 ? 32 : reta_bits;
    return fm_toeplitz_reta_rank(key, keylen, fields, fields, ipv6, reta_bits) >= want;
}

int fm_rss_field_bits(fm_fieldset hashed, int ipv6, fm_fieldset field,
                      unsigned *off, unsigned *width)
{
    layout l;
    layout_make(hashed & HASHABLE, ipv6 != 0, &l);
    const seg *sg = layout_find(&l, field);
    if (!sg)
        return -1;
    *off = sg->off;
    *width = sg->bits;
    return 0;
}

size_t fm_toeplitz_reta_map(const uint8_t *key, size_t keylen, fm_fieldset hashed,
                            int ipv6, unsigned reta_bits, uint32_t *col)
{
    layout l;
    layout_make(hashed & HASHABLE, ipv6 != 0, &l);
    uint32_t m = reta_mask(reta_bits);
    for (unsigned i = 0; i < l.bits; i++)
        col[i] = window(key, keylen, i) & m;
    return l.bits;
}

/* ---- synthesis ---- */

typedef enum { SYNTH_SYMMETRIC, SYNTH_RESTRICT } synth_kind;

static void key_to_vec(const uint8_t *key, size_t keylen, fm_gf2_vec *v)
{
    fm_gf2_vec_zero(v);
    for (unsigned j = 0; j < keylen * 8; j++)
        if ((key[j / 8] >> (7 - j % 8)) & 1)
            fm_gf2_set(v, j, 1);
}

static void vec_to_key(const fm_gf2_vec *v, size_t keylen, uint8_t *key)
{
    memset(key, 0, keylen);
    for (unsigned j = 0; j < keylen * 8; j++)
        if (fm_gf2_get(v, j))
            key[j / 8] |= (uint8_t)(0x80u >> (j % 8));
}

/* Symmetry: W_i = W_m(i) for each input bit i and its mirror m(i), i.e.
 * key bit i+t equals key bit m(i)+t for t = 0..31. */
static void add_symmetric(fm_gf2_sys *s, const layout *l)
{
    for (unsigned i = 0; i < l->n; i++) {
        const seg *a = &l->s[i];
        const seg *b = layout_find(l, fm_fieldset_mirror(a->f));
        if (!b || b->off <= a->off)
            continue; /* each pair once; callers reject unpaired fields */
        for (unsigned k = 0; k < a->bits; k++)
            for (unsigned t = 0; t < 32; t++)
                fm_gf2_sys_add_equal(s, a->off + k + t, b->off + k + t);
    }
}

/* Restriction: W_i = 0 for every input bit i of a field outside `only`. */
static void add_restrict(fm_gf2_sys *s, const layout *l, fm_fieldset only)
{
    for (unsigned i = 0; i < l->n; i++) {
        if (l->s[i].f & only)
            continue;
        for (unsigned k = 0; k < l->s[i].bits + 31; k++)
            fm_gf2_sys_add_value(s, l->s[i].off + k, 0);
    }
}

typedef struct synth {
    synth_kind kind;
    fm_fieldset hashed, only;
    int ipv6;
    size_t keylen;
    unsigned reta_bits;
    layout l[2];
    unsigned nl;
    const uint8_t *prefer; /* input-bit mask over l[0], or NULL */
    int want_prefer;       /* synth_ok also asks for full rank over prefer */
} synth;

static int prefer_bit(const uint8_t *prefer, unsigned i)
{
    return (prefer[i / 8] >> (7 - i % 8)) & 1;
}

/* Rank of the RETA map over the preferred input bits of layout 0. */
static unsigned prefer_rank(const synth *y, const uint8_t *key)
{
    const layout *l = &y->l[0];
    uint32_t col[FM_RSS_INPUT_MAX * 8], m = reta_mask(y->reta_bits);
    size_t n = 0;
    for (unsigned i = 0; i < l->n; i++) {
        if (!(l->s[i].f & y->only))
            continue;
        for (unsigned k = 0; k < l->s[i].bits; k++)
            if (prefer_bit(y->prefer, l->s[i].off + k))
                col[n++] = window(key, y->keylen, l->s[i].off + k) & m;
    }
    return fm_gf2_rank32(col, n);
}

/* The candidate meets every requirement (spread included). */
static int synth_ok(const synth *y, const uint8_t *key)
{
    for (unsigned i = 0; i < y->nl; i++) {
        const layout *l = &y->l[i];
        if (y->kind == SYNTH_SYMMETRIC ? !layout_symmetric(key, y->keylen, l)
                                       : !layout_restricted(key, y->keylen, l, y->only))
            return 0;
        uint32_t col[FM_RSS_INPUT_MAX * 8];
        size_t n = reta_columns(key, y->keylen, l, y->only, y->reta_bits, col);
        if (fm_gf2_rank32(col, n) < y->reta_bits)
            return 0;
    }
    return !y->want_prefer || prefer_rank(y, key) >= y->reta_bits;
}

/* Augmenting path for the bipartite matching of prefer_possible. */
static int match_from(const uint32_t *adj, unsigned i, int *owner, unsigned *seen,
                      unsigned stamp)
{
    for (unsigned k = 0; k < 32; k++) {
        if (!((adj[i] >> k) & 1) || seen[k] == stamp)
            continue;
        seen[k] = stamp;
        if (owner[k] < 0 || match_from(adj, (unsigned)owner[k], owner, seen, stamp)) {
            owner[k] = (int)i;
            return 1;
        }
    }
    return 0;
}

/* Can any key of the system reach full rank over the preferred bits?
 * Output bit k of preferred input bit i reads key bit i + 31 - k; if that
 * bit is forced (a restriction pins it to zero) the entry is zero in every
 * solution.  The largest matching between RETA bits and preferred input
 * bits over the entries that may be non-zero bounds the rank from above
 * (term rank), so a bound below reta_bits proves it impossible. */
static int prefer_possible(const synth *y, const fm_gf2_sys *s)
{
    const layout *l = &y->l[0];
    uint32_t adj[FM_RSS_INPUT_MAX * 8];
    unsigned n = 0;
    for (unsigned i = 0; i < l->n; i++) {
        if (!(l->s[i].f & y->only))
            continue;
        for (unsigned k = 0; k < l->s[i].bits; k++) {
            unsigned bit = l->s[i].off + k;
            if (!prefer_bit(y->prefer, bit))
                continue;
            uint32_t a = 0;
            for (unsigned r = 0; r < y->reta_bits; r++) {
                unsigned j = bit + 31 - r;
                if (j < s->nvars && fm_gf2_sys_is_free(s, j))
                    a |= 1u << r;
            }
            if (a)
                adj[n++] = a;
        }
    }
    int owner[32];
    unsigned seen[32] = {0}, matched = 0;
    for (unsigned k = 0; k < 32; k++)
        owner[k] = -1;
    for (unsigned i = 0; i < n && matched < y->reta_bits; i++)
        matched += (unsigned)match_from(adj, i, owner, seen, i + 1);
    return matched >= y->reta_bits;
}

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Number of random candidates tried after the single-flip pass. */
#define SEARCH_TRIES 4096

/* Walk the solution space from x for a key meeting synth_ok: x itself,
 * then x plus each single null-space vector, then random combinations from
 * a fixed seed (reproducible).  Counts the keys tried into *tried. */
static int walk(const synth *y, const fm_gf2_vec *x, const fm_gf2_vec *basis,
                unsigned nfree, uint8_t *key, unsigned *tried)
{
    vec_to_key(x, y->keylen, key);
    ++*tried;
    if (synth_ok(y, key))
        return 1;
    fm_gf2_vec c;
    for (unsigned k = 0; k < nfree; k++) {
        c = *x;
        fm_gf2_xor(&c, &basis[k]);
        vec_to_key(&c, y->keylen, key);
        ++*tried;
        if (synth_ok(y, key))
            return 1;
    }
    uint64_t seed = 0x9e3779b97f4a7c15ull ^ ((uint64_t)y->hashed << 40) ^
                    ((uint64_t)y->only << 32) ^ ((uint64_t)y->reta_bits << 8) ^
                    (uint64_t)y->kind;
    for (unsigned a = 0; a < SEARCH_TRIES && nfree; a++) {
        c = *x;
        unsigned flips = 2 + a / 256;
        for (unsigned f = 0; f < flips; f++)
            fm_gf2_xor(&c, &basis[xorshift64(&seed) % nfree]);
        vec_to_key(&c, y->keylen, key);
        ++*tried;
        if (synth_ok(y, key))
            return 1;
    }
    return 0;
}

/* *preferred (may be NULL): whether the key meets the preference too. */
static int synthesize(synth *y, const uint8_t *base, uint8_t *out, int *preferred,
                      fm_error *err)
{
    unsigned nvars = (unsigned)y->keylen * 8;
    fm_gf2_sys *s = fm_gf2_sys_new(nvars);
    for (unsigned i = 0; i < y->nl; i++) {
        if (y->kind == SYNTH_SYMMETRIC)
            add_symmetric(s, &y->l[i]);
        else
            add_restrict(s, &y->l[i], y->only);
    }
    fm_gf2_vec target, x;
    key_to_vec(base, y->keylen, &target);
    if (fm_gf2_sys_nearest(s, &target, &x) < 0) { /* homogeneous: cannot */
        fm_gf2_sys_free(s);
        return fm_fail(err, FM_ERR_INTERNAL, "", 0, 0,
                       "toeplitz: inconsistent key constraints");
    }
    /* The null space, minus free key bits past every window the hash reads
     * (flipping those changes nothing). */
    unsigned nfree = nvars - s->rank, span = 0, tried = 0;
    for (unsigned i = 0; i < y->nl; i++)
        if (layout_key_bits(&y->l[i]) > span)
            span = layout_key_bits(&y->l[i]);
    fm_gf2_vec *basis = fm_xmalloc((nfree + 1) * sizeof *basis);
    if (nfree) {
        nfree = fm_gf2_sys_null_basis(s, basis);
        unsigned n = 0;
        for (unsigned k = 0; k < nfree; k++) {
            int lo = fm_gf2_lowest(&basis[k]);
            if (lo >= 0 && (unsigned)lo < span)
                basis[n++] = basis[k];
        }
        nfree = n;
    }
    uint8_t key[FM_RSS_KEY_MAX];
    int found = 0;
    y->want_prefer = y->prefer && prefer_possible(y, s);
    if (y->want_prefer)
        found = walk(y, &x, basis, nfree, key, &tried);
    if (!found) { /* the plain criterion */
        y->want_prefer = 0;
        found = walk(y, &x, basis, nfree, key, &tried);
    }
    free(basis);
    unsigned free_bits = 0; /* free key bits the hash actually reads */
    for (unsigned j = 0; j < span && j < nvars; j++)
        free_bits += fm_gf2_sys_is_free(s, j);
    fm_gf2_sys_free(s);
    if (!found) {
        char o[64];
        fm_fieldset_format(y->only, o, sizeof o);
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0,
                       "toeplitz: no %s key makes the RETA index (%u bits) "
                       "spread over {%s}: the constraints leave %u of the %u "
                       "key bits the hash reads free (%u candidates tried)",
                       y->kind == SYNTH_SYMMETRIC ? "symmetric" : "restricted",
                       y->reta_bits, o, free_bits, span, tried);
    }
    if (preferred)
        *preferred = y->want_prefer;
    memcpy(out, key, y->keylen);
    return 0;
}

/* Checks shared by both synthesis entry points. */
static int synth_prepare(synth *y, fm_fieldset hashed, int ipv6, size_t keylen,
                         unsigned reta_bits, fm_error *err)
{
    char names[64];
    y->hashed = hashed & HASHABLE;
    y->ipv6 = ipv6;
    y->keylen = keylen;
    y->reta_bits = reta_bits;
    y->prefer = NULL;
    y->want_prefer = 0;
    if (ipv6 != FM_TOEPLITZ_IPV4 && ipv6 != FM_TOEPLITZ_IPV6 &&
        ipv6 != FM_TOEPLITZ_BOTH)
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0,
                       "toeplitz: bad address family selector %d", ipv6);
    if (!y->hashed)
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0,
                       "toeplitz: no hashable field selected (proto is never hashed)");
    if (reta_bits > 32)
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0,
                       "toeplitz: %u RETA bits requested; a 32-bit hash has at most 32",
                       reta_bits);
    y->nl = layouts_for(y->hashed, ipv6, y->l);
    unsigned need = 0;
    for (unsigned i = 0; i < y->nl; i++) {
        unsigned b = (layout_key_bits(&y->l[i]) + 7) / 8;
        if (b > need)
            need = b;
    }
    fm_fieldset_format(y->hashed, names, sizeof names);
    if (keylen > FM_RSS_KEY_MAX || keylen < need)
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0,
                       "toeplitz: a %zu-byte key cannot hash {%s} over %s "
                       "(needs %u to %d bytes)",
                       keylen, names,
                       ipv6 == FM_TOEPLITZ_BOTH ? "IPv4 and IPv6"
                                                : ipv6 ? "IPv6" : "IPv4",
                       need, FM_RSS_KEY_MAX);
    return 0;
}

/* The base key, or Microsoft's key repeated when none is given. */
static void base_or_default(const uint8_t *base, size_t keylen, uint8_t *out)
{
    for (size_t i = 0; i < keylen; i++)
        out[i] = base ? base[i] : fm_rss_ms_key[i % sizeof fm_rss_ms_key];
}

int fm_toeplitz_symmetric_key(fm_fieldset hashed, int ipv6, const uint8_t *base,
                              size_t keylen, unsigned reta_bits, uint8_t *out,
                              fm_error *err)
{
    synth y;
    if (synth_prepare(&y, hashed, ipv6, keylen, reta_bits, err) < 0)
        return -1;
    y.kind = SYNTH_SYMMETRIC;
    y.only = y.hashed;
    if (fm_fieldset_mirror(y.hashed) != y.hashed) {
        char h[64], m[64];
        fm_fieldset_format(y.hashed, h, sizeof h);
        fm_fieldset_format(fm_fieldset_mirror(y.hashed), m, sizeof m);
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0,
                       "toeplitz: no symmetric key for {%s}: the hashed fields "
                       "are not closed under src/dst mirroring (mirror is {%s})",
                       h, m);
    }
    uint8_t b[FM_RSS_KEY_MAX], key[FM_RSS_KEY_MAX];
    base_or_default(base, keylen, b);
    if (synthesize(&y, b, key, NULL, err) < 0)
        return -1;
    if (!fm_toeplitz_is_symmetric(key, keylen, y.hashed, ipv6))
        return fm_fail(err, FM_ERR_INTERNAL, "", 0, 0,
                       "toeplitz: synthesised key failed the symmetry check");
    memcpy(out, key, keylen);
    return 0;
}

int fm_toeplitz_restrict_key(fm_fieldset hashed, fm_fieldset only, int ipv6,
                             const uint8_t *base, size_t keylen,
                             unsigned reta_bits, uint8_t *out, fm_error *err)
{
    return fm_toeplitz_restrict_key_prefer(hashed, only, ipv6, base, keylen, reta_bits,
                                           NULL, out, NULL, err);
}

int fm_toeplitz_restrict_key_prefer(fm_fieldset hashed, fm_fieldset only, int ipv6,
                                    const uint8_t *base, size_t keylen,
                                    unsigned reta_bits, const uint8_t *prefer,
                                    uint8_t *out, int *preferred, fm_error *err)
{
    synth y;
    if (synth_prepare(&y, hashed, ipv6, keylen, reta_bits, err) < 0)
        return -1;
    y.kind = SYNTH_RESTRICT;
    y.only = only & HASHABLE;
    y.prefer = prefer;
    if (!y.only || (y.only & ~y.hashed)) {
        char h[64], o[64];
        fm_fieldset_format(y.hashed, h, sizeof h);
        fm_fieldset_format(only, o, sizeof o);
        return fm_fail(err, FM_ERR_INPUT, "", 0, 0,
                       "toeplitz: cannot restrict a hash of {%s} to {%s}: the "
                       "kept fields must be a non-empty subset of the hashed ones",
                       h, o);
    }
    uint8_t b[FM_RSS_KEY_MAX], key[FM_RSS_KEY_MAX];
    int pref = 0;
    base_or_default(base, keylen, b);
    if (synthesize(&y, b, key, &pref, err) < 0)
        return -1;
    if (!fm_toeplitz_is_restricted(key, keylen, y.hashed, y.only, ipv6))
        return fm_fail(err, FM_ERR_INTERNAL, "", 0, 0,
                       "toeplitz: synthesised key still depends on excluded fields");
    memcpy(out, key, keylen);
    if (preferred)
        *preferred = pref;
    return 0;
}
