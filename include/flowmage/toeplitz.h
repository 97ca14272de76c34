/* flowmage — Toeplitz RSS hashing and RSS key synthesis over GF(2).
 *
 * Model.  The NIC hashes an input string built from the packet's fields in
 * the Microsoft RSS order (IPv4: src_ip 4 bytes, dst_ip 4, src_port 2,
 * dst_port 2; IPv6: src 16, dst 16, ports), keeping only the fields the
 * configured RSS types select (a "src-only" type keeps only src_ip, ...).
 * proto is never hashed (it selects the packet type).  The hash of input bits
 * b_0..b_{n-1} is XOR over set bits i of the 32-bit window of the key that
 * starts at key bit i; it is linear in the input and in the key, so
 * constraints on it are linear equations over GF(2) in the key bits.
 * The indirection table (RETA) index is hash & (reta_size - 1).
 */
#ifndef FLOWMAGE_TOEPLITZ_H
#define FLOWMAGE_TOEPLITZ_H

#include <stddef.h>
#include <stdint.h>

#include "flowmage/common.h"
#include "flowmage/fields.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FM_RSS_KEY_MAX 64

/* Microsoft's RSS verification key (40 bytes), also the common default. */
extern const uint8_t fm_rss_ms_key[40];

/* The Toeplitz hash of input (inlen bytes) under key (keylen bytes); the key
 * must be at least inlen + 4 bytes long.  (Bits past keylen count as zero,
 * so a short key is well defined, just weak; it is never read past keylen.) */
uint32_t fm_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *input,
                     size_t inlen);

/* Longest RSS input fm_rss_input writes: two IPv6 addresses and two ports. */
#define FM_RSS_INPUT_MAX 36

/* Precomputed per-key tables for fast hashing (e.g. replaying a trace):
 * tab[p][b] is the hash contribution of byte value b at input position p, so
 * a hash is one table lookup and XOR per input byte.  About 64 KiB; init
 * once per key (cheap: ~16 K entries), then hash from any number of threads.
 * Results are identical to fm_toeplitz / fm_rss_hash with the same key. */
typedef struct fm_toeplitz_ctx {
    uint8_t key[FM_RSS_KEY_MAX];
    size_t keylen;          /* bytes of key used (at most FM_RSS_KEY_MAX) */
    uint32_t tab[FM_RSS_KEY_MAX][256];
} fm_toeplitz_ctx;

/* keylen above FM_RSS_KEY_MAX is truncated to it. */
void fm_toeplitz_ctx_init(fm_toeplitz_ctx *ctx, const uint8_t *key,
                          size_t keylen);
/* fm_toeplitz(key, keylen, input, len) for the ctx's key. */
uint32_t fm_toeplitz_ctx_hash(const fm_toeplitz_ctx *ctx, const uint8_t *input,
                              size_t len);

/* A flow's header fields, host byte order.  (Addresses are octets in wire
 * order: 66.9.149.187 is {66, 9, 149, 187}; ports are numeric values; proto
 * is the IP protocol number and ports enter the RSS input only when it is
 * TCP (6) or UDP (17).) */
typedef struct fm_flow_tuple {
    int ipv6;
    uint8_t src[16], dst[16]; /* IPv4 uses the first 4 bytes */
    uint16_t sport, dport;
    uint8_t proto;
} fm_flow_tuple;

/* Build the RSS input for the given hashed fields (subset of src_ip, dst_ip,
 * src_port, dst_port; ports only for TCP/UDP).  Returns its length. */
size_t fm_rss_input(const fm_flow_tuple *t, fm_fieldset hashed, uint8_t *out);

/* hash(input of t) with the given key and fields. */
uint32_t fm_rss_hash(const uint8_t *key, size_t keylen, const fm_flow_tuple *t,
                     fm_fieldset hashed);
/* fm_rss_hash with the ctx's key, via its tables (the fast path). */
uint32_t fm_toeplitz_ctx_rss_hash(const fm_toeplitz_ctx *ctx,
                                  const fm_flow_tuple *t, fm_fieldset hashed);

/* Values of the `ipv6` argument of the synthesis and checking functions
 * below: 0 / 1 select the IPv4 / IPv6 input layout; FM_TOEPLITZ_BOTH asks
 * for (or checks) both layouts at once, since a NIC port usually has one key
 * for every packet type. */
enum { FM_TOEPLITZ_IPV4 = 0, FM_TOEPLITZ_IPV6 = 1, FM_TOEPLITZ_BOTH = 2 };

/* Synthesise a key (keylen bytes) such that for every flow the hash of the
 * hashed fields equals the hash of the mirrored flow (src<->dst swapped), and
 * the RETA index bits still spread (see fm_toeplitz_spreads).  Starts from
 * base (e.g. fm_rss_ms_key; NULL means that key, repeated to keylen) and
 * changes as few bits as the solver finds.
 * Returns 0, or -1 with err set when no such key exists (e.g. the hashed set
 * is not closed under mirroring). */
int fm_toeplitz_symmetric_key(fm_fieldset hashed, int ipv6, const uint8_t *base,
                              size_t keylen, unsigned reta_bits, uint8_t *out,
                              fm_error *err);

/* Synthesise a key such that, although the NIC hashes `hashed`, the hash
 * depends only on the fields in `only` (zeroing the key bits that reach the
 * other fields' input bits), and the RETA bits still spread over `only`.
 * For NICs without src-only / dst-only types.  Returns 0 or -1. */
int fm_toeplitz_restrict_key(fm_fieldset hashed, fm_fieldset only, int ipv6,
                             const uint8_t *base, size_t keylen,
                             unsigned reta_bits, uint8_t *out, fm_error *err);

/* 1 if the map from the input bits of `fields` to the low reta_bits bits of
 * the hash has full rank reta_bits (every RETA entry is reachable and, for
 * uniform inputs, equally likely); 0 otherwise. */
int fm_toeplitz_spreads(const uint8_t *key, size_t keylen, fm_fieldset fields,
                        int ipv6, unsigned reta_bits);

/* 1 if hash(t) == hash(mirror(t)) for every t (checked algebraically). */
int fm_toeplitz_is_symmetric(const uint8_t *key, size_t keylen,
                             fm_fieldset hashed, int ipv6);

/* The rank behind fm_toeplitz_spreads, generalised: the input layout is that
 * of `hashed`, and only the input bits of the fields in `over` (a subset of
 * hashed) are mapped to the low reta_bits hash bits.  With FM_TOEPLITZ_BOTH,
 * the smaller of the two ranks.  reta_bits is clamped to 32. */
unsigned fm_toeplitz_reta_rank(const uint8_t *key, size_t keylen,
                               fm_fieldset hashed, fm_fieldset over, int ipv6,
                               unsigned reta_bits);

/* How many input bits of the fields in `over` (layout of `hashed`) change
 * the RETA index at all.  Full rank is necessary but not sufficient for
 * real traffic: a key restricted to a field that other hashed fields follow
 * (src_ip of a 2- or 4-tuple, say) has full rank, yet the last
 * 32 - reta_bits bits of that field cannot reach the RETA index, so an IPv4
 * src_ip restriction sends by the first reta_bits bits of the address only
 * and addresses sharing that prefix share a queue.  This is Toeplitz
 * hashing, not the solver (see docs/toeplitz.md).  With FM_TOEPLITZ_BOTH,
 * the smaller count. */
unsigned fm_toeplitz_reta_inputs(const uint8_t *key, size_t keylen,
                                 fm_fieldset hashed, fm_fieldset over,
                                 int ipv6, unsigned reta_bits);

/* Where field `field` (one bit) sits in the RSS input of `hashed` in the
 * layout `ipv6` (0 or 1; ports counted as present): its first input bit
 * (0 = most significant bit of the first byte) and its width in bits (32 or
 * 128 for addresses, 16 for ports).  Returns 0, or -1 if it is not hashed. */
int fm_rss_field_bits(fm_fieldset hashed, int ipv6, fm_fieldset field,
                      unsigned *off, unsigned *width);

/* The RETA index as a linear map of the input bits: col[i] is the low
 * reta_bits bits of window W_i, i.e. the RETA index bits that flipping input
 * bit i of the layout of `hashed` (ipv6 0 or 1) flips.  col must hold
 * FM_RSS_INPUT_MAX * 8 entries; returns the number of input bits.  What
 * fm_toeplitz_reta_rank and fm_toeplitz_reta_inputs summarise, bit by bit:
 * the solver's cost model weighs each column by the entropy the traffic
 * carries at that bit position (docs/cost-model.md). */
size_t fm_toeplitz_reta_map(const uint8_t *key, size_t keylen, fm_fieldset hashed,
                            int ipv6, unsigned reta_bits, uint32_t *col);

/* fm_toeplitz_restrict_key with a preference: among the restricted keys,
 * look first for one under which the RETA index has full rank over the
 * input bits marked in `prefer` (the bit positions where the traffic really
 * varies, e.g. the low-order bits of addresses; input bit i is bit
 * 7 - i % 8 of prefer[i / 8], in the layout of `hashed` for IPv4 — for
 * FM_TOEPLITZ_IPV6 alone, the IPv6 layout; with FM_TOEPLITZ_BOTH the IPv6
 * layout keeps the plain criterion).  When the constraints make that
 * impossible (a quick rank bound over the key bits left free says so) or
 * the search finds none, falls back to the plain criterion: the result is
 * then exactly fm_toeplitz_restrict_key's.  *preferred (may be NULL) says
 * which criterion the returned key meets.  prefer NULL: no preference. */
int fm_toeplitz_restrict_key_prefer(fm_fieldset hashed, fm_fieldset only, int ipv6,
                                    const uint8_t *base, size_t keylen,
                                    unsigned reta_bits, const uint8_t *prefer,
                                    uint8_t *out, int *preferred, fm_error *err);

/* 1 if, with the NIC hashing `hashed`, the hash depends on no field outside
 * `only` (checked algebraically: those fields' key windows are zero). */
int fm_toeplitz_is_restricted(const uint8_t *key, size_t keylen,
                              fm_fieldset hashed, fm_fieldset only, int ipv6);

#ifdef __cplusplus
}
#endif
#endif
