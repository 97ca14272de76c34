/* Step 2 of solve: the RSS settings each input device can use — every field
 * set of the NIC profile, symmetric variants (synthesised Toeplitz key) when
 * a reached NF's state sees both directions, and, on NICs without
 * src-only/dst-only types, subsets obtained by zeroing key bits. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "flowmage/solve.h"
#include "rss/gf2.h"
#include "solve_internal.h"

void fm_solve_exclude(fm_solve_device *d, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    d->excluded = fm_xrealloc(d->excluded, (d->nexcluded + 1) * sizeof *d->excluded);
    d->excluded[d->nexcluded++] = fm_xstrdup(buf);
}

static fm_rss_choice *add_cand(fm_solve_device *d)
{
    d->cands = fm_xrealloc(d->cands, (d->ncands + 1) * sizeof *d->cands);
    fm_rss_choice *c = &d->cands[d->ncands++];
    memset(c, 0, sizeof *c);
    c->set = -1;
    return c;
}

static int set_has_family(const fm_nic_set *s, int family)
{
    for (size_t i = 0; i < s->nrules; i++)
        if (s->rules[i].family == family)
            return 1;
    return 0;
}

static int set_has_ipv6(const fm_nic_set *s)
{
    return set_has_family(s, FM_TOEPLITZ_IPV6) || set_has_family(s, FM_TOEPLITZ_BOTH);
}

int fm_solve_uses_ipv6(const fm_solve_result *res, const fm_rss_choice *c)
{
    return !c->none && c->set >= 0 && set_has_ipv6(&res->nic->sets[c->set]);
}

static int spreads(const fm_solve_result *res, const fm_rss_choice *c)
{
    const fm_nic_profile *nic = res->nic;
    unsigned bits = fm_nic_reta_bits(nic);
    if (!fm_toeplitz_spreads(c->key4, nic->key_len, c->fields, 0, bits))
        return 0;
    return !fm_solve_uses_ipv6(res, c) ||
           fm_toeplitz_spreads(c->key6, nic->key_len, c->fields, 1, bits);
}

static void describe(const fm_rss_choice *c, char *out, size_t n)
{
    char f[64];
    fm_fieldset_format(c->fields, f, sizeof f);
    if (c->key_kind == FM_RSSKEY_DEFAULT)
        snprintf(out, n, "%s", f);
    else
        snprintf(out, n, "%s (%s key)", f, fm_rss_key_name(c->key_kind));
}

/* The input bits (IPv4 layout of c->hashed) of c's fields where the cost
 * model says the traffic varies: what a restricted key should let reach the
 * RETA index when the Toeplitz constraints allow it. */
static void varying_mask(const fm_solve_result *res, const fm_rss_choice *c,
                         uint8_t *mask)
{
    memset(mask, 0, FM_RSS_INPUT_MAX);
    for (int i = 0; i < 4; i++) {
        fm_fieldset f = 1u << i;
        unsigned off, width;
        if (!(c->fields & f) || fm_rss_field_bits(c->hashed, 0, f, &off, &width) != 0)
            continue;
        for (unsigned b = 0; b < width; b++)
            if (fm_cost_bit_entropy(res->cost, f, b, width) > 0)
                mask[(off + b) / 8] |= (uint8_t)(0x80u >> ((off + b) % 8));
    }
}

static int synth_one(const fm_solve_result *res, fm_rss_choice *c, int layout,
                     uint8_t *out, fm_error *err)
{
    const fm_nic_profile *nic = res->nic;
    unsigned bits = fm_nic_reta_bits(nic);
    if (c->key_kind == FM_RSSKEY_SYMMETRIC)
        return fm_toeplitz_symmetric_key(c->hashed, layout, nic->default_key,
                                         nic->key_len, bits, out, err);
    /* the model's varying positions are IPv4 ones */
    uint8_t mask[FM_RSS_INPUT_MAX];
    varying_mask(res, c, mask);
    return fm_toeplitz_restrict_key_prefer(c->hashed, c->fields, layout, nic->default_key,
                                           nic->key_len, bits,
                                           layout == FM_TOEPLITZ_IPV6 ? NULL : mask, out,
                                           NULL, err);
}

/* Synthesise c's keys: one key valid for IPv4 and IPv6 when the set has IPv6
 * rules (what a single-key dialect needs), else per family (flowrules writes
 * a key per rule). */
static int synthesise(const fm_solve_result *res, fm_rss_choice *c, fm_error *err)
{
    size_t kl = res->nic->key_len;
    if (!fm_solve_uses_ipv6(res, c)) {
        memcpy(c->key6, res->nic->default_key, kl);
        return synth_one(res, c, FM_TOEPLITZ_IPV4, c->key4, err);
    }
    if (synth_one(res, c, FM_TOEPLITZ_BOTH, c->key4, err) == 0) {
        memcpy(c->key6, c->key4, kl);
        return 0;
    }
    /* a rule for both families carries one key; so does hashfunc */
    if (res->opts.dialect == FM_DIALECT_HASHFUNC ||
        set_has_family(&res->nic->sets[c->set], FM_TOEPLITZ_BOTH))
        return -1;
    return synth_one(res, c, FM_TOEPLITZ_IPV4, c->key4, err) != 0 ||
                   synth_one(res, c, FM_TOEPLITZ_IPV6, c->key6, err) != 0
               ? -1 : 0;
}

/* Entropy the cost model may count on (docs/cost-model.md): what the fields
 * carry, but only at the bit positions that reach the RETA index under this
 * key — a restricted key lets only the first reta_bits bits of an address
 * through, while addresses vary in their last bits — and at most the rank
 * of the RETA map over the varying positions when that rank leaves RETA
 * entries unreachable. */
void fm_solve_spread_bits(const fm_solve_result *res, fm_rss_choice *c)
{
    const fm_nic_profile *nic = res->nic;
    unsigned rb = fm_nic_reta_bits(nic);
    uint32_t col[FM_RSS_INPUT_MAX * 8], vary[FM_RSS_INPUT_MAX * 8];
    size_t nvary = 0;
    unsigned inputs = 0;
    double reach = 0;
    fm_toeplitz_reta_map(c->key4, nic->key_len, c->hashed, FM_TOEPLITZ_IPV4, rb, col);
    for (int i = 0; i < 4; i++) {
        fm_fieldset f = 1u << i;
        unsigned off, width;
        if (!(c->fields & f) ||
            fm_rss_field_bits(c->hashed, FM_TOEPLITZ_IPV4, f, &off, &width) != 0)
            continue;
        for (unsigned b = 0; b < width; b++) {
            double h = fm_cost_bit_entropy(res->cost, f, b, width);
            inputs += col[off + b] != 0;
            if (col[off + b])
                reach += h;
            if (h > 0)
                vary[nvary++] = col[off + b];
        }
    }
    c->reta_inputs = inputs;
    c->reach_bits = reach;
    c->vary_rank = fm_gf2_rank32(vary, nvary);
    double bits = fm_cost_entropy(res->cost, c->fields);
    if (c->key_kind == FM_RSSKEY_SYMMETRIC && bits >= 1)
        bits -= 1; /* a flow and its mirror are one key */
    if (bits > reach)
        bits = reach;
    if (c->vary_rank < rb && bits > c->vary_rank)
        bits = c->vary_rank;
    c->bits = bits;
}

/* Keep candidate c (the last one added) only if its key works; else record
 * why it was dropped. */
static void keep_if_valid(fm_solve_result *res, fm_solve_device *d, int synth)
{
    fm_rss_choice *c = &d->cands[d->ncands - 1];
    char what[96];
    describe(c, what, sizeof what);
    fm_error e;
    memset(&e, 0, sizeof e);
    if (synth && synthesise(res, c, &e) != 0) {
        fm_solve_exclude(d, "%s: no such key: %s", what, e.msg);
        d->ncands--;
        return;
    }
    if (synth && res->opts.dialect == FM_DIALECT_HASHFUNC && fm_solve_uses_ipv6(res, c) &&
        memcmp(c->key4, c->key6, res->nic->key_len) != 0) {
        fm_solve_exclude(d, "%s: IPv4 and IPv6 need different keys, and the hashfunc dialect "
                   "writes one", what);
        d->ncands--;
        return;
    }
    fm_solve_spread_bits(res, c);
    if (c->key_kind != FM_RSSKEY_RESTRICTED && !spreads(res, c)) {
        fm_solve_exclude(d, "%s: the key does not spread these fields over the %u-entry "
                   "indirection table", what, res->nic->reta_size);
        d->ncands--;
    }
}

static int needs_symmetric(const fm_solve_result *res, const fm_solve_device *d)
{
    for (size_t i = 0; i < d->nnfs; i++) {
        const fm_solve_nf *nf = &res->nfs[d->nfs[i]];
        if (!nf->stateful || nf->forced)
            continue;
        if (nf->symmetric)
            return 1;
        for (size_t a = 0; a < nf->narrivals; a++)
            if (nf->arrivals[a].device == (int)(d - res->devices) &&
                nf->ports[nf->arrivals[a].port].symmetric)
                return 1;
    }
    return 0;
}

static int can_write_keys(const fm_solve_result *res, const fm_solve_device *d,
                          const fm_attrs *attrs, const fm_solver_profile *prof)
{
    if (res->opts.dialect == FM_DIALECT_FLOWRULES)
        return 1;
    const fm_elem_attrs *ea = fm_attrs_find(attrs, d->cls);
    return ea && fm_strset_has(&ea->keywords, prof->hf_key_kw);
}

static void add_native(fm_solve_result *res, fm_solve_device *d, int symmetric)
{
    const fm_nic_profile *nic = res->nic;
    for (size_t s = 0; s < nic->nsets; s++) {
        fm_fieldset f = nic->sets[s].fields;
        if (symmetric && fm_fieldset_mirror(f) != f)
            continue;
        fm_rss_choice *c = add_cand(d);
        c->set = (int)s;
        c->fields = c->hashed = f;
        c->key_kind = symmetric ? FM_RSSKEY_SYMMETRIC : FM_RSSKEY_DEFAULT;
        memcpy(c->key4, nic->default_key, nic->key_len);
        memcpy(c->key6, nic->default_key, nic->key_len);
        keep_if_valid(res, d, symmetric);
    }
}

/* Smallest native set strictly containing `only` (profile order on ties). */
static int base_set(const fm_nic_profile *nic, fm_fieldset only)
{
    int best = -1, bestn = 99;
    for (size_t s = 0; s < nic->nsets; s++) {
        fm_fieldset f = nic->sets[s].fields;
        int n = __builtin_popcount(f);
        if ((f & only) == only && f != only && n < bestn) {
            best = (int)s;
            bestn = n;
        }
    }
    return best;
}

static void add_restricted(fm_solve_result *res, fm_solve_device *d)
{
    const fm_nic_profile *nic = res->nic;
    for (fm_fieldset only = FM_HASHABLE; only > 0; only--) {
        if ((only & ~FM_HASHABLE) || !(only & FM_IP_FIELDS) ||
            fm_nic_find_set(nic, only) >= 0)
            continue;
        int s = base_set(nic, only);
        if (s < 0)
            continue;
        fm_rss_choice *c = add_cand(d);
        c->set = s;
        c->fields = only;
        c->hashed = nic->sets[s].fields;
        c->key_kind = FM_RSSKEY_RESTRICTED;
        keep_if_valid(res, d, 1);
    }
}

static void add_none(fm_solve_device *d)
{
    fm_rss_choice *c = add_cand(d);
    c->none = 1;
}

static void device_candidates(fm_solve_result *res, fm_solve_device *d)
{
    const fm_attrs *attrs = res->attrs;
    const fm_solver_profile *prof = res->prof;
    if (!d->rss || d->cores <= 1 || !d->writable) {
        if (d->rss && d->cores <= 1 && !d->why_not[0])
            snprintf(d->why_not, sizeof d->why_not, "one core reads it: nothing to "
                     "spread");
        add_none(d);
        return;
    }
    int keys = can_write_keys(res, d, attrs, prof);
    add_native(res, d, 0);
    if (res->nic->symmetric_by_key && needs_symmetric(res, d)) {
        if (keys)
            add_native(res, d, 1);
        else
            fm_solve_exclude(d, "symmetric keys: %s does not accept %s", d->cls, prof->hf_key_kw);
    }
    if (res->nic->restrict_by_key) {
        if (keys)
            add_restricted(res, d);
        else
            fm_solve_exclude(d, "restricted keys: %s does not accept %s", d->cls, prof->hf_key_kw);
    }
    if (d->ncands == 0) {
        snprintf(d->why_not, sizeof d->why_not, "no RSS setting of NIC %s is usable",
                 res->nic->name);
        add_none(d);
    }
}

int fm_solve_candidates(fm_solve_result *res, fm_error *err)
{
    for (size_t i = 0; i < res->ndevices; i++) {
        fm_solve_device *d = &res->devices[i];
        device_candidates(res, d);
        if (res->opts.dialect == FM_DIALECT_FLOWRULES &&
            fm_solve_rules_limit(res, d, err) != 0)
            return -1;
        fm_solve_current_candidate(res, d);
    }
    return 0;
}
