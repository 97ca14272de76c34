/* Synthetic traces: "flows=10000,packets=1M,zipf=1.1,srcs=1000,dsts=50,..."
 * (every key is documented in docs/simulate.md).
 *
 * Deterministic: one xoshiro256** stream seeded from `seed` drives every
 * choice, in a fixed order.  Exact where it matters: `flows` connections,
 * `packets` packets, every flow at least one packet, exactly `srcs` source
 * and `dsts` destination addresses (each pool entry is used by at least one
 * flow, and each flow's first packet goes forward).  Flow sizes follow a
 * Zipf law: the flow of rank r gets 1 + round(extra * r^-zipf / H) packets
 * (largest-remainder rounding), ranks shuffled over the flows. */
#include "flowmage/simulate.h"
#include "sim_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FLOWS 100000000ull
#define MAX_PACKETS 1000000000ull
#define EPHEMERAL_LO 32768
#define EPHEMERAL_N 28232 /* 32768..60999, Linux's default range */
#define MAX_SPORTS 16384

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17 };

/* ------------------------------------------------------------- the spec */

void fm_synth_default(fm_synth_spec *s)
{
    memset(s, 0, sizeof *s);
    s->flows = 10000;
    s->packets = 1000000;
    s->zipf = 1.0;
    s->srcs = 1000;
    s->dsts = 100;
    s->sports = 0;
    s->dports = 16;
    s->tcp = 0.8, s->udp = 0.2, s->other = 0;
    s->ipv6 = 0;
    s->reverse = 0;
    s->src_net[0] = 10, s->src_len = 8;
    s->dst_net[0] = 192, s->dst_net[1] = 168, s->dst_len = 16;
    s->seed = 1;
}

typedef struct spec_ctx {
    const char *spec, *key;
    size_t keylen;
    long col;
    fm_error *err;
} spec_ctx;

static int bad(spec_ctx *c, const char *fmt, const char *value)
{
    char what[200];
    snprintf(what, sizeof what, fmt, value);
    return fm_fail(c->err, FM_ERR_INPUT, "--synthetic", 1, c->col,
                   "key \"%.*s\": %s", (int)c->keylen, c->key, what);
}

static int parse_count(spec_ctx *c, const char *v, uint64_t max, uint64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)v[0]))
        return bad(c, "expected a count (digits, optional k/M/G), got \"%s\"", v);
    double d = strtod(v, &end);
    double mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1e3, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1e6, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1e9, end++;
    d *= mul;
    if (*end || d != floor(d))
        return bad(c, "expected a whole count (digits, optional k/M/G), got \"%s\"", v);
    if (d > (double)max) {
        char m[32];
        snprintf(m, sizeof m, "%llu", (unsigned long long)max);
        return bad(c, "at most %s", m);
    }
    *out = (uint64_t)d;
    return 0;
}

static int parse_real(spec_ctx *c, const char *v, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !(d >= lo && d <= hi)) {
        char m[96];
        snprintf(m, sizeof m, "expected a number in [%g, %g], got \"%%s\"", lo, hi);
        return bad(c, m, v);
    }
    *out = d;
    return 0;
}

static int parse_net(spec_ctx *c, const char *v, uint8_t *net, unsigned *len)
{
    char a[64];
    const char *slash = strchr(v, '/');
    size_t n = slash ? (size_t)(slash - v) : strlen(v);
    if (!slash || n >= sizeof a)
        return bad(c, "expected an IPv4 prefix like 10.0.0.0/8, got \"%s\"", v);
    memcpy(a, v, n);
    a[n] = 0;
    char *end;
    long l = strtol(slash + 1, &end, 10);
    uint8_t addr[4];
    if (inet_pton(AF_INET, a, addr) != 1 || *end || end == slash + 1 || l < 0 || l > 32)
        return bad(c, "expected an IPv4 prefix like 10.0.0.0/8, got \"%s\"", v);
    memset(net, 0, 16);
    memcpy(net, addr, 4);
    *len = (unsigned)l;
    return 0;
}

/* "tcp:0.8", "tcp:0.7+udp:0.2+other:0.1", "udp", "tcp:0.5+udp". */
static int parse_proto(spec_ctx *c, const char *v, fm_synth_spec *s)
{
    double share[3] = {-1, -1, -1}; /* tcp, udp, other; -1 = not listed */
    int open = -1;
    double sum = 0;
    const char *p = v;
    while (*p) {
        const char *e = p + strcspn(p, "+/");
        char item[64];
        size_t n = (size_t)(e - p);
        if (n == 0 || n >= sizeof item)
            return bad(c, "expected NAME[:SHARE] items joined by '+', got \"%s\"", v);
        memcpy(item, p, n);
        item[n] = 0;
        char *colon = strchr(item, ':');
        if (colon)
            *colon = 0;
        int k = !strcmp(item, "tcp") ? 0 : !strcmp(item, "udp") ? 1
              : (!strcmp(item, "other") || !strcmp(item, "icmp")) ? 2 : -1;
        if (k < 0)
            return bad(c, "unknown protocol \"%s\" (tcp, udp, other)", item);
        if (share[k] >= 0 || open == k)
            return bad(c, "protocol \"%s\" listed twice", item);
        if (colon) {
            char *end;
            double d = strtod(colon + 1, &end);
            if (end == colon + 1 || *end || !(d >= 0 && d <= 1))
                return bad(c, "share of \"%s\" must be a number in [0, 1]", item);
            share[k] = d;
            sum += d;
        } else {
            if (open >= 0)
                return bad(c, "only one protocol may go without a share (\"%s\")", v);
            open = k;
        }
        p = *e ? e + 1 : e;
    }
    if (sum > 1 + 1e-9)
        return bad(c, "shares add up to more than 1 (\"%s\")", v);
    double rest = 1 - sum < 0 ? 0 : 1 - sum;
    if (open < 0 && rest > 1e-9) { /* the remainder goes to the unlisted one */
        open = share[1] < 0 ? 1 : share[0] < 0 ? 0 : -1;
        if (open < 0 || (open == 1 && share[0] < 0))
            return bad(c, "shares add up to less than 1 and no protocol takes "
                          "the rest (\"%s\")", v);
    }
    for (int k = 0; k < 3; k++)
        if (share[k] < 0)
            share[k] = 0;
    if (open >= 0)
        share[open] = rest;
    s->tcp = share[0], s->udp = share[1], s->other = share[2];
    return 0;
}

static const char *const known_keys =
    "flows, packets, zipf, srcs, dsts, sports, dports, proto, ipv6, reverse, "
    "src_net, dst_net, seed";

static int parse_item(spec_ctx *c, const char *v, fm_synth_spec *s)
{
    uint64_t u;
#define KEY(name) (c->keylen == strlen(name) && !strncmp(c->key, name, c->keylen))
    if (KEY("flows"))
        return parse_count(c, v, MAX_FLOWS, &s->flows);
    if (KEY("packets"))
        return parse_count(c, v, MAX_PACKETS, &s->packets);
    if (KEY("srcs"))
        return parse_count(c, v, MAX_FLOWS, &s->srcs);
    if (KEY("dsts"))
        return parse_count(c, v, MAX_FLOWS, &s->dsts);
    if (KEY("seed"))
        return parse_count(c, v, UINT64_MAX / 2, &s->seed);
    if (KEY("sports") || KEY("dports")) {
        uint64_t max = KEY("sports") ? MAX_SPORTS : 65535 - 20000 + 16;
        if (parse_count(c, v, max, &u) != 0)
            return -1;
        *(KEY("sports") ? &s->sports : &s->dports) = (uint32_t)u;
        return 0;
    }
    if (KEY("zipf"))
        return parse_real(c, v, 0, 10, &s->zipf);
    if (KEY("ipv6"))
        return parse_real(c, v, 0, 1, &s->ipv6);
    if (KEY("reverse"))
        return parse_real(c, v, 0, 1, &s->reverse);
    if (KEY("proto"))
        return parse_proto(c, v, s);
    if (KEY("src_net"))
        return parse_net(c, v, s->src_net, &s->src_len);
    if (KEY("dst_net"))
        return parse_net(c, v, s->dst_net, &s->dst_len);
#undef KEY
    char m[200];
    snprintf(m, sizeof m, "unknown key (known: %s)", known_keys);
    return bad(c, "%s", m);
}

static int validate(const fm_synth_spec *s, fm_error *err)
{
#define NO(...) fm_fail(err, FM_ERR_INPUT, "--synthetic", 0, 0, __VA_ARGS__)
    if (s->flows < 1)
        return NO("flows must be at least 1");
    if (s->packets < s->flows)
        return NO("packets (%llu) must be at least flows (%llu): every flow "
                  "has a packet", (unsigned long long)s->packets,
                  (unsigned long long)s->flows);
    if (s->srcs < 1 || s->dsts < 1 || s->dports < 1)
        return NO("srcs, dsts and dports must be at least 1");
    if (s->srcs > s->flows || s->dsts > s->flows)
        return NO("srcs (%llu) and dsts (%llu) cannot exceed flows (%llu): "
                  "every address starts a flow", (unsigned long long)s->srcs,
                  (unsigned long long)s->dsts, (unsigned long long)s->flows);
    if ((s->src_len < 32 && s->srcs > (1ull << (32 - s->src_len))) ||
        (s->src_len == 32 && s->srcs > 1))
        return NO("src_net /%u holds fewer than srcs=%llu addresses", s->src_len,
                  (unsigned long long)s->srcs);
    if ((s->dst_len < 32 && s->dsts > (1ull << (32 - s->dst_len))) ||
        (s->dst_len == 32 && s->dsts > 1))
        return NO("dst_net /%u holds fewer than dsts=%llu addresses", s->dst_len,
                  (unsigned long long)s->dsts);
    return 0;
#undef NO
}

int fm_synth_parse(const char *spec, fm_synth_spec *out, fm_error *err)
{
    fm_synth_default(out);
    int srcs_given = 0, dsts_given = 0;
    const char *p = spec;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        if (!*p)
            break;
        const char *end = p + strcspn(p, ",");
        const char *eq = memchr(p, '=', (size_t)(end - p));
        spec_ctx c = {spec, p, (size_t)((eq ? eq : end) - p), (long)(p - spec) + 1, err};
        if (!eq)
            return bad(&c, "%s", "expected key=value");
        size_t vlen = (size_t)(end - eq - 1);
        char *v = fm_xstrndup(eq + 1, vlen);
        int rc = parse_item(&c, v, out);
        free(v);
        if (rc != 0)
            return -1;
        srcs_given |= c.keylen == 4 && !strncmp(c.key, "srcs", 4);
        dsts_given |= c.keylen == 4 && !strncmp(c.key, "dsts", 4);
        p = end;
    }
    /* Defaults never exceed the flows; explicit values are checked. */
    if (!srcs_given && out->srcs > out->flows)
        out->srcs = out->flows;
    if (!dsts_given && out->dsts > out->flows)
        out->dsts = out->flows;
    return validate(out, err);
}

void fm_synth_format(const fm_synth_spec *s, char *out, size_t n)
{
    char sn[INET_ADDRSTRLEN], dn[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, s->src_net, sn, sizeof sn);
    inet_ntop(AF_INET, s->dst_net, dn, sizeof dn);
    snprintf(out, n,
             "flows=%llu,packets=%llu,zipf=%g,srcs=%llu,dsts=%llu,sports=%u,"
             "dports=%u,proto=tcp:%g+udp:%g+other:%g,ipv6=%g,reverse=%g,"
             "src_net=%s/%u,dst_net=%s/%u,seed=%llu",
             (unsigned long long)s->flows, (unsigned long long)s->packets, s->zipf,
             (unsigned long long)s->srcs, (unsigned long long)s->dsts, s->sports,
             s->dports, s->tcp, s->udp, s->other, s->ipv6, s->reverse, sn,
             s->src_len, dn, s->dst_len, (unsigned long long)s->seed);
}

/* ---------------------------------------------------------- generation */

typedef struct rng { uint64_t s[4]; } rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next(rng *r) /* xoshiro256** */
{
    uint64_t res = rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;
    r->s[2] ^= r->s[0], r->s[3] ^= r->s[1], r->s[1] ^= r->s[2], r->s[0] ^= r->s[3];
    r->s[2] ^= t, r->s[3] = rotl(r->s[3], 45);
    return res;
}

static uint64_t below(rng *r, uint64_t n) { return n ? next(r) % n : 0; }
static double unit(rng *r) { return (double)(next(r) >> 11) * 0x1p-53; }

static void shuffle32(rng *r, uint32_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)below(r, i);
        uint32_t t = v[i - 1];
        v[i - 1] = v[j], v[j] = t;
    }
}

/* n values in [0, pool): each of 0..pool-1 at least once (n >= pool), the
 * rest uniform, in random order. */
static uint32_t *cover(rng *r, size_t n, uint64_t pool)
{
    uint32_t *v = fm_xmalloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (uint32_t)(i < pool ? i : below(r, pool));
    shuffle32(r, v, n);
    return v;
}

/* Distinct pseudo-random offsets inside a 2^bits space: i -> a*i + b mod
 * 2^bits is a bijection for odd a. */
typedef struct scatter { uint64_t a, b, mask; } scatter;

static scatter scatter_new(rng *r, unsigned bits)
{
    scatter s = {next(r) | 1, next(r), bits >= 64 ? ~0ull : (1ull << bits) - 1};
    return s;
}

static uint64_t scatter_at(const scatter *s, uint64_t i) { return (s->a * i + s->b) & s->mask; }

static void v4_addr(const uint8_t *net, unsigned len, const scatter *sc,
                    uint64_t i, uint8_t *out)
{
    uint32_t base = (uint32_t)net[0] << 24 | (uint32_t)net[1] << 16 |
                    (uint32_t)net[2] << 8 | net[3];
    uint32_t host = len >= 32 ? 0 : (uint32_t)scatter_at(sc, i);
    uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
    uint32_t a = (base & mask) | (host & ~mask);
    out[0] = (uint8_t)(a >> 24), out[1] = (uint8_t)(a >> 16);
    out[2] = (uint8_t)(a >> 8), out[3] = (uint8_t)a;
}

/* fd00::/8 unique local addresses: a random 56-bit site part per pool, the
 * low 64 bits scattered. */
static void v6_addr(const uint8_t *site, const scatter *sc, uint64_t i, uint8_t *out)
{
    out[0] = 0xfd;
    memcpy(out + 1, site, 7);
    uint64_t h = scatter_at(sc, i);
    for (int b = 0; b < 8; b++)
        out[8 + b] = (uint8_t)(h >> (56 - 8 * b));
}

static const uint16_t common_ports[16] = {80, 443, 53, 22, 8080, 25, 123, 3306,
                                          5432, 6379, 11211, 1194, 500, 4500,
                                          8443, 9000};

static uint16_t dport_of(uint32_t i)
{
    return i < 16 ? common_ports[i] : (uint16_t)(20000 + (i - 16));
}

/* Per-flow packet counts: 1 each plus a Zipf share of the rest. */
typedef struct rem { double frac; uint64_t rank; } rem;

static int rem_cmp(const void *a, const void *b)
{
    const rem *x = a, *y = b;
    if (x->frac != y->frac)
        return x->frac > y->frac ? -1 : 1;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static uint64_t *flow_sizes(const fm_synth_spec *s, rng *r)
{
    size_t n = (size_t)s->flows;
    uint64_t extra = s->packets - s->flows;
    double *w = fm_xmalloc(n * sizeof *w), sum = 0;
    for (size_t k = 0; k < n; k++)
        sum += w[k] = pow((double)(k + 1), -s->zipf);
    uint64_t *by_rank = fm_xmalloc(n * sizeof *by_rank), given = 0;
    rem *rm = fm_xmalloc(n * sizeof *rm);
    for (size_t k = 0; k < n; k++) {
        double q = (double)extra * w[k] / sum;
        by_rank[k] = (uint64_t)floor(q);
        given += by_rank[k];
        rm[k].frac = q - floor(q);
        rm[k].rank = k;
    }
    qsort(rm, n, sizeof *rm, rem_cmp);
    for (size_t k = 0; given < extra && k < n; k++, given++)
        by_rank[rm[k].rank]++;
    /* Ranks to flows at random, so size does not follow address order. */
    uint32_t *perm = fm_xmalloc(n * sizeof *perm);
    for (size_t k = 0; k < n; k++)
        perm[k] = (uint32_t)k;
    shuffle32(r, perm, n);
    uint64_t *size = fm_xmalloc(n * sizeof *size);
    for (size_t k = 0; k < n; k++)
        size[perm[k]] = 1 + by_rank[k];
    free(w), free(by_rank), free(rm), free(perm);
    return size;
}

typedef struct pools {
    uint64_t n4, n6;              /* v4 / v6 flows (v6 are the first n6 ids) */
    uint64_t src4, src6, dst4, dst6;
} pools;

/* Split flows, sources and destinations between the families alike. */
static int split_family(const fm_synth_spec *s, pools *p, fm_error *err)
{
    p->n6 = (uint64_t)llround((double)s->flows * s->ipv6);
    p->n4 = s->flows - p->n6;
    p->src6 = p->n6 ? (uint64_t)llround((double)s->srcs * s->ipv6) : 0;
    p->dst6 = p->n6 ? (uint64_t)llround((double)s->dsts * s->ipv6) : 0;
    if (p->n6 && !p->src6)
        p->src6 = 1;
    if (p->n6 && !p->dst6)
        p->dst6 = 1;
    p->src4 = s->srcs - p->src6;
    p->dst4 = s->dsts - p->dst6;
    if ((p->n4 && (!p->src4 || !p->dst4)) || p->src4 > p->n4 || p->dst4 > p->n4 ||
        p->src6 > p->n6 || p->dst6 > p->n6 || s->srcs < p->src6 || s->dsts < p->dst6)
        return fm_fail(err, FM_ERR_INPUT, "--synthetic", 0, 0,
                       "ipv6=%g cannot split flows=%llu, srcs=%llu and dsts=%llu "
                       "between IPv4 and IPv6 (each family needs a source and a "
                       "destination per flow of it)", s->ipv6,
                       (unsigned long long)s->flows, (unsigned long long)s->srcs,
                       (unsigned long long)s->dsts);
    return 0;
}

/* A set of tuples, to keep flows distinct. */
typedef struct tset { fm_flow_tuple *v; uint32_t *slot; size_t n, nslots; } tset;

static uint64_t th(const fm_flow_tuple *t)
{
    uint64_t h = fm_hash64(t->src, 16, (uint64_t)t->ipv6 << 8 | t->proto);
    h = fm_hash64(t->dst, 16, h) ^ ((uint64_t)t->sport << 16 | t->dport) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static int tset_add(tset *s, const fm_flow_tuple *t) /* 0 if already there */
{
    size_t i = (size_t)th(t) & (s->nslots - 1);
    for (; s->slot[i] != UINT32_MAX; i = (i + 1) & (s->nslots - 1)) {
        const fm_flow_tuple *o = &s->v[s->slot[i]];
        if (o->ipv6 == t->ipv6 && o->proto == t->proto && o->sport == t->sport &&
            o->dport == t->dport && !memcmp(o->src, t->src, 16) &&
            !memcmp(o->dst, t->dst, 16))
            return 0;
    }
    s->v[s->n] = *t;
    s->slot[i] = (uint32_t)s->n++;
    return 1;
}

static void flow_addrs(const fm_synth_spec *s, const pools *p, rng *r, fm_flow_tuple *t)
{
    size_t n = (size_t)s->flows;
    scatter s4 = scatter_new(r, 32 - s->src_len), d4 = scatter_new(r, 32 - s->dst_len);
    scatter s6 = scatter_new(r, 64), d6 = scatter_new(r, 64);
    uint8_t site_s[7], site_d[7];
    for (int b = 0; b < 7; b++)
        site_s[b] = (uint8_t)next(r), site_d[b] = (uint8_t)next(r);
    uint32_t *src6 = cover(r, (size_t)p->n6, p->src6), *dst6 = cover(r, (size_t)p->n6, p->dst6);
    uint32_t *src4 = cover(r, (size_t)p->n4, p->src4), *dst4 = cover(r, (size_t)p->n4, p->dst4);
    for (size_t f = 0; f < n; f++) {
        memset(&t[f], 0, sizeof t[f]);
        if (f < p->n6) {
            t[f].ipv6 = 1;
            v6_addr(site_s, &s6, src6[f], t[f].src);
            v6_addr(site_d, &d6, dst6[f], t[f].dst);
        } else {
            v4_addr(s->src_net, s->src_len, &s4, src4[f - p->n6], t[f].src);
            v4_addr(s->dst_net, s->dst_len, &d4, dst4[f - p->n6], t[f].dst);
        }
    }
    free(src6), free(dst6), free(src4), free(dst4);
}

/* Addresses first (exact pools), then protocols: portless ("other") flows
 * go to address pairs not used by another portless flow, so that they stay
 * distinct; TCP/UDP flows get ports, the source port redrawn on a clash (a
 * new connection from the same client to the same service). */
static int make_flows(const fm_synth_spec *s, rng *r, fm_flow_tuple *flows,
                      fm_error *err)
{
    pools p;
    if (split_family(s, &p, err) != 0)
        return -1;
    size_t n = (size_t)s->flows;
    size_t ntcp = (size_t)llround((double)n * s->tcp);
    size_t nudp = (size_t)llround((double)n * s->udp);
    if (ntcp > n) ntcp = n;
    if (nudp > n - ntcp) nudp = n - ntcp;
    size_t nother = n - ntcp - nudp, tcp_left = ntcp;
    fm_flow_tuple *addr = fm_xmalloc(n * sizeof *addr);
    flow_addrs(s, &p, r, addr);
    uint32_t *order = fm_xmalloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    shuffle32(r, order, n);
    uint32_t *dp = cover(r, n, s->dports < n ? s->dports : n);
    scatter sp = scatter_new(r, 14);

    tset set = {flows, NULL, 0, 64};
    while (set.nslots < 2 * n)
        set.nslots *= 2;
    set.slot = fm_xmalloc(set.nslots * sizeof *set.slot);
    memset(set.slot, 0xff, set.nslots * sizeof *set.slot);
    uint8_t *l4 = fm_xcalloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        fm_flow_tuple t = addr[order[i]];
        t.proto = PROTO_ICMP;
        l4[i] = set.n == nother || !tset_add(&set, &t);
    }
    int rc = set.n == nother ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!l4[i])
            continue;
        fm_flow_tuple t = addr[order[i]];
        t.proto = tcp_left ? PROTO_TCP : PROTO_UDP;
        tcp_left -= tcp_left > 0;
        t.dport = dport_of(dp[i]);
        for (int tries = 0;; tries++) {
            t.sport = s->sports ? (uint16_t)(EPHEMERAL_LO + scatter_at(&sp, below(r, s->sports)))
                                : (uint16_t)(EPHEMERAL_LO + below(r, EPHEMERAL_N));
            if (tset_add(&set, &t))
                break;
            if (tries == 64) {
                rc = -1;
                break;
            }
        }
    }
    if (rc != 0)
        fm_fail(err, FM_ERR_INPUT, "--synthetic", 0, 0,
                "cannot make %llu distinct flows from these address and port pools "
                "(raise srcs, dsts, sports or dports, or lower the share of other)",
                (unsigned long long)s->flows);
    free(set.slot), free(addr), free(order), free(dp), free(l4);
    return rc;
}

int fm_synth_generate(const fm_synth_spec *s, fm_trace *out, fm_error *err)
{
    char text[512];
    fm_synth_format(s, text, sizeof text);
    char src[600];
    snprintf(src, sizeof src, "synthetic:%s", text);
    memset(out, 0, sizeof *out);
    if (validate(s, err) != 0)
        return -1;
    rng r;
    uint64_t x = s->seed;
    for (int i = 0; i < 4; i++)
        r.s[i] = splitmix(&x);
    size_t n = (size_t)s->flows;
    fm_flow_tuple *flows = fm_xmalloc(n * sizeof *flows);
    if (make_flows(s, &r, flows, err) != 0) {
        free(flows);
        return -1;
    }
    uint64_t *size = flow_sizes(s, &r);
    /* The packet sequence: every flow's packets, shuffled. */
    uint32_t *seq = fm_xmalloc((size_t)s->packets * sizeof *seq);
    size_t k = 0;
    for (size_t f = 0; f < n; f++)
        for (uint64_t j = 0; j < size[f]; j++)
            seq[k++] = (uint32_t)f;
    shuffle32(&r, seq, k);
    fm_trace_init(out, src);
    uint8_t *started = fm_xcalloc(n, 1);
    for (size_t i = 0; i < k; i++) {
        uint32_t f = seq[i];
        const fm_flow_tuple *t = &flows[f];
        fm_flow_tuple m;
        int back = started[f] && s->reverse > 0 && unit(&r) < s->reverse;
        started[f] = 1;
        if (back)
            fm_tuple_mirror(t, &m);
        fm_trace_add(out, back ? &m : t);
        out->stats.packets++;
        out->stats.replayed++;
        if (t->ipv6)
            out->stats.ipv6++;
        else
            out->stats.ipv4++;
        if (t->proto == PROTO_TCP)
            out->stats.tcp++;
        else if (t->proto == PROTO_UDP)
            out->stats.udp++;
        else
            out->stats.other_l4++;
    }
    fm_trace_finish(out);
    free(started), free(seq), free(size), free(flows);
    return 0;
}
