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
 * must be at least inlen + 4 bytes long. */
uint32_t fm_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *input,
                     size_t inlen);

/* A flow's header fields, host byte order. */
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

/* Synthesise a key (keylen bytes) such that for every flow the hash of the
 * hashed fields equals the hash of the mirrored flow (src<->dst swapped), and
 * the RETA index bits still spread (see fm_toeplitz_spreads).  Starts from
 * base (e.g. fm_rss_ms_key) and changes as few bits as the solver finds.
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

#ifdef __cplusplus
}
#endif
#endif
