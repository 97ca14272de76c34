/* The safety invariant, checked just before anything is written.
 *
 * Deliberately independent of the search's predicate (solve_verdict.c): it
 * looks only at the final decisions, the chosen settings and the key bytes.
 * For every NF marked shared-nothing:
 *   - it is stateful, not forced shared, and its key is known fields;
 *   - every device reaching it has a written RSS setting (or is the single
 *     one-core reader), and the fields each of the setting's rules makes the
 *     hash depend on are a subset of the key — for a restricted key this is
 *     verified on the key bits (a field is excluded iff the Toeplitz window
 *     of each of its input bits is zero);
 *   - a symmetric NF gets a mirror-closed field set and a key that is
 *     symmetric (algebraic check of toeplitz.h);
 *   - several devices reaching it hash it identically (same rules, same key
 *     bytes, same queues and threads), or — with --directional — two devices
 *     hash mirrored native sets with the same key;
 *   - an NF with keys per input port (attrs keys_by_port): the rules of each
 *     device depend only on the key of the port it reaches, and any two
 *     (device, port) arrivals either carry identical settings whose rules
 *     depend only on the element's key, or pair their rules pattern by
 *     pattern with the same key bytes, hashing fields that the ports'
 *     "entry" lists match at the same offsets of the Toeplitz input. */
#include <stdarg.h>
#include <string.h>

#include "flowmage/solve.h"
#include "solve_internal.h"

static int violation(fm_error *err, const fm_solve_nf *nf, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int violation(fm_error *err, const fm_solve_nf *nf, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fm_fail(err, FM_ERR_INTERNAL, "", 0, 0,
                   "safety invariant violated: %s (%s) marked shared-nothing but %s",
                   nf->name, nf->cls, msg);
}

static int key_bit(const uint8_t *key, unsigned j)
{
    return (key[j / 8] >> (7 - j % 8)) & 1;
}

/* Bit offset and width of field bit f in the hash input of `hashed`. */
static void layout(fm_fieldset hashed, int ipv6, fm_fieldset f, unsigned *off,
                   unsigned *len)
{
    static const fm_fieldset order[4] = {FM_F_SRC_IP, FM_F_DST_IP, FM_F_SRC_PORT,
                                         FM_F_DST_PORT};
    *off = 0;
    for (int i = 0; i < 4; i++) {
        unsigned w = i < 2 ? (ipv6 ? 128u : 32u) : 16u;
        if (order[i] == f) {
            *len = w;
            return;
        }
        if (hashed & order[i])
            *off += w;
    }
    *len = 0;
}

/* 1 if the hash under key does not depend on field f of input `hashed`. */
static int excluded_by_key(const uint8_t *key, unsigned keylen, fm_fieldset hashed,
                           int ipv6, fm_fieldset f)
{
    unsigned off, len;
    layout(hashed, ipv6, f, &off, &len);
    if (off + len + 31 > keylen * 8)
        return 0;
    for (unsigned j = off; j < off + len + 31; j++)
        if (key_bit(key, j))
            return 0;
    return 1;
}

/* The key a rule carries (rules for both families carry key4). */
static const uint8_t *rule_key(const fm_rss_choice *c, const fm_nic_rule *r)
{
    return r->family == FM_TOEPLITZ_IPV6 ? c->key6 : c->key4;
}

/* Fields the hash of rule r really depends on under choice c, or -1 if a
 * restricted key does not exclude what it claims (checked on every input
 * layout the rule hashes). */
static long rule_depends(const fm_solve_result *res, const fm_rss_choice *c,
                         const fm_nic_rule *r)
{
    if (c->key_kind != FM_RSSKEY_RESTRICTED)
        return (long)r->hashed;
    const uint8_t *key = rule_key(c, r);
    for (int v6 = 0; v6 <= 1; v6++) {
        if ((v6 && r->family == FM_TOEPLITZ_IPV4) || (!v6 && r->family == FM_TOEPLITZ_IPV6))
            continue;
        for (fm_fieldset f = 1; f <= FM_F_DST_PORT; f <<= 1)
            if ((r->hashed & f) && !(c->fields & f) &&
                !excluded_by_key(key, res->nic->key_len, r->hashed, v6, f))
                return -1;
    }
    return (long)(r->hashed & c->fields);
}

static int check_choice(const fm_solve_result *res, const fm_solve_nf *nf,
                        const fm_solve_device *d, const fm_rss_choice *c,
                        fm_fieldset key, int symmetric, fm_error *err)
{
    if (!d->writable)
        return violation(err, nf, "device %s cannot be written", d->name);
    if (c->set < 0 || (size_t)c->set >= res->nic->nsets ||
        res->nic->sets[c->set].fields != c->hashed)
        return violation(err, nf, "device %s has no valid NIC setting", d->name);
    const fm_nic_set *set = &res->nic->sets[c->set];
    for (size_t i = 0; i < set->nrules; i++) {
        const fm_nic_rule *r = &set->rules[i];
        long dep = rule_depends(res, c, r);
        if (dep < 0)
            return violation(err, nf, "the restricted key of %s still hashes fields "
                             "outside the chosen set (rule '%s')", d->name, r->types);
        if ((fm_fieldset)dep & ~key)
            return violation(err, nf, "rule '%s' of %s hashes fields outside its key",
                             r->types, d->name);
        if (!dep)
            return violation(err, nf, "rule '%s' of %s hashes nothing", r->types, d->name);
        if (!symmetric)
            continue;
        if (fm_fieldset_mirror(r->hashed) != r->hashed ||
            !fm_toeplitz_is_symmetric(rule_key(c, r), res->nic->key_len, r->hashed,
                                      r->family))
            return violation(err, nf, "its state sees both directions and rule '%s' "
                             "of %s is not symmetric", r->types, d->name);
    }
    return 0;
}

/* ---- keys per input port ---- */

static int offsets_match(fm_fieldset ha, fm_fieldset fa, fm_fieldset hb, fm_fieldset fb,
                         int family)
{
    for (int v6 = 0; v6 <= 1; v6++) {
        if ((v6 && family == FM_TOEPLITZ_IPV4) || (!v6 && family == FM_TOEPLITZ_IPV6))
            continue;
        unsigned oa, la, ob, lb;
        layout(ha, v6, fa, &oa, &la);
        layout(hb, v6, fb, &ob, &lb);
        if (oa != ob || la != lb)
            return 0;
    }
    return 1;
}

/* Rule r of a and its partner (same pattern) in b hash what reaches one
 * state alike: same key bytes, fields the entry lists pair, same offsets. */
static int rules_pair(const fm_solve_result *res, const fm_rss_choice *a,
                      const fm_nic_rule *r, const fm_rss_choice *b, const fm_nic_set *sb,
                      const fm_solve_port *p, const fm_solve_port *q)
{
    const fm_nic_rule *t = NULL;
    for (size_t i = 0; i < sb->nrules && !t; i++)
        if (!strcmp(sb->rules[i].pattern, r->pattern) && sb->rules[i].family == r->family)
            t = &sb->rules[i];
    long da = t ? rule_depends(res, a, r) : -1, db = t ? rule_depends(res, b, t) : -1;
    fm_fieldset m;
    if (da <= 0 || db <= 0 || fm_solve_entry_map(p, q, (fm_fieldset)da, &m) != 0 ||
        m != (fm_fieldset)db || memcmp(rule_key(a, r), rule_key(b, t), res->nic->key_len))
        return 0;
    for (fm_fieldset f = 1; f <= FM_F_DST_PORT; f <<= 1) {
        fm_fieldset g;
        if ((fm_fieldset)da & f && (fm_solve_entry_map(p, q, f, &g) != 0 ||
                                    !offsets_match(r->hashed, f, t->hashed, g, r->family)))
            return 0;
    }
    return 1;
}

static int within_key(const fm_solve_result *res, const fm_rss_choice *c, fm_fieldset key)
{
    const fm_nic_set *set = &res->nic->sets[c->set];
    for (size_t i = 0; i < set->nrules; i++) {
        long dep = rule_depends(res, c, &set->rules[i]);
        if (dep < 0 || ((fm_fieldset)dep & ~key))
            return 0;
    }
    return 1;
}

static int identical(const fm_solve_result *res, const fm_rss_choice *a,
                     const fm_rss_choice *b);
static int same_threads(const fm_solve_device *a, const fm_solve_device *b);

static int check_pair(const fm_solve_result *res, const fm_solve_nf *nf,
                      const fm_solve_arrival *x, const fm_solve_arrival *y, fm_error *err)
{
    const fm_solve_device *da = &res->devices[x->device], *db = &res->devices[y->device];
    const fm_rss_choice *a = fm_solve_chosen(da), *b = fm_solve_chosen(db);
    const fm_solve_port *p = &nf->ports[x->port], *q = &nf->ports[y->port];
    if (a->none || b->none)
        return da == db ? 0 : violation(err, nf, "%s or %s has no RSS setting", da->name,
                                        db->name);
    if (!same_threads(da, db))
        return violation(err, nf, "devices %s and %s use different threads", da->name,
                         db->name);
    if (identical(res, a, b) && nf->key_kind == FM_KEY_FIELDS && within_key(res, a, nf->key))
        return 0;
    const fm_nic_set *sa = &res->nic->sets[a->set], *sb = &res->nic->sets[b->set];
    int ok = sa->nrules == sb->nrules;
    for (size_t i = 0; ok && i < sa->nrules; i++)
        ok = rules_pair(res, a, &sa->rules[i], b, sb, p, q);
    if (!ok)
        return violation(err, nf, "%s (input %d) and %s (input %d) may send packets of "
                         "one state to two cores", da->name, p->port, db->name, q->port);
    return 0;
}

static int check_by_port(const fm_solve_result *res, const fm_solve_nf *nf, fm_error *err)
{
    int first = -1, one_device = 1;
    for (size_t i = 0; i < nf->narrivals; i++)
        if (nf->ports[nf->arrivals[i].port].kind != FM_KEY_NONE) {
            first = first < 0 ? nf->arrivals[i].device : first;
            one_device &= nf->arrivals[i].device == first;
        }
    for (size_t i = 0; i < nf->narrivals; i++) {
        const fm_solve_arrival *x = &nf->arrivals[i];
        const fm_solve_port *p = &nf->ports[x->port];
        const fm_solve_device *d = &res->devices[x->device];
        const fm_rss_choice *c = fm_solve_chosen(d);
        if (p->kind == FM_KEY_NONE)
            continue;
        if (p->kind != FM_KEY_FIELDS)
            return violation(err, nf, "the key of its input %d is %s", p->port,
                             fm_key_kind_name(p->kind));
        if (c->none && !(one_device && d->cores <= 1))
            return violation(err, nf, "%s spreads over %u cores with no RSS setting",
                             d->name, d->cores);
        if (!c->none && check_choice(res, nf, d, c, p->key, p->symmetric, err) != 0)
            return -1;
        for (size_t j = i + 1; j < nf->narrivals; j++)
            if (nf->ports[nf->arrivals[j].port].kind != FM_KEY_NONE &&
                check_pair(res, nf, x, &nf->arrivals[j], err) != 0)
                return -1;
    }
    return 0;
}

static int identical(const fm_solve_result *res, const fm_rss_choice *a,
                     const fm_rss_choice *b)
{
    size_t kl = res->nic->key_len;
    return a->set == b->set && a->fields == b->fields && a->hashed == b->hashed &&
           memcmp(a->key4, b->key4, kl) == 0 && memcmp(a->key6, b->key6, kl) == 0;
}

static int same_threads(const fm_solve_device *a, const fm_solve_device *b)
{
    if (a == b)
        return 1;
    return a->cores == b->cores && a->queues == b->queues && a->thread_offset &&
           b->thread_offset && strcmp(a->thread_offset, b->thread_offset) == 0;
}

static int check_mirrored(const fm_solve_result *res, const fm_solve_nf *nf,
                          fm_error *err)
{
    const fm_solve_device *da = &res->devices[nf->devices[0]];
    const fm_solve_device *db = &res->devices[nf->devices[1]];
    const fm_rss_choice *a = fm_solve_chosen(da), *b = fm_solve_chosen(db);
    size_t kl = res->nic->key_len;
    if (!res->opts.directional || nf->ndevices != 2 || !nf->symmetric ||
        a->fields != a->hashed || b->fields != b->hashed ||
        b->fields != fm_fieldset_mirror(a->fields) || memcmp(a->key4, b->key4, kl) ||
        memcmp(a->key6, b->key6, kl))
        return violation(err, nf, "devices %s and %s hash it differently", da->name,
                         db->name);
    if (check_choice(res, nf, da, a, nf->key, 0, err) != 0)
        return -1;
    return check_choice(res, nf, db, b, fm_fieldset_mirror(nf->key), 0, err);
}

static int check_nf(const fm_solve_result *res, const fm_solve_nf *nf, fm_error *err)
{
    if (!nf->stateful || nf->forced)
        return violation(err, nf, "%s", nf->forced ? nf->forced : "it is stateless");
    if (nf->ndevices == 0)
        return violation(err, nf, "no device reaches it");
    if (nf->by_port)
        return check_by_port(res, nf, err);
    const fm_solve_device *d0 = &res->devices[nf->devices[0]];
    const fm_rss_choice *c0 = fm_solve_chosen(d0);
    if (nf->ndevices == 1 && c0->none) {
        if (d0->cores > 1)
            return violation(err, nf, "%s spreads over %u cores with no RSS setting",
                             d0->name, d0->cores);
        return 0;
    }
    if (nf->key_kind != FM_KEY_FIELDS)
        return violation(err, nf, "its key is %s", fm_key_kind_name(nf->key_kind));
    for (size_t i = 0; i < nf->ndevices; i++) {
        const fm_solve_device *d = &res->devices[nf->devices[i]];
        if (fm_solve_chosen(d)->none)
            return violation(err, nf, "device %s has no RSS setting", d->name);
        if (!same_threads(d0, d))
            return violation(err, nf, "devices %s and %s use different threads",
                             d0->name, d->name);
    }
    int same = 1;
    for (size_t i = 1; i < nf->ndevices; i++)
        same &= identical(res, c0, fm_solve_chosen(&res->devices[nf->devices[i]]));
    if (!same)
        return check_mirrored(res, nf, err);
    return check_choice(res, nf, d0, c0, nf->key, nf->symmetric, err);
}

/* One declaration (or NIC port) is written with one setting. */
static int check_groups(const fm_solve_result *res, fm_error *err)
{
    for (size_t i = 0; i < res->ndevices; i++)
        for (size_t j = i + 1; j < res->ndevices; j++) {
            const fm_solve_device *a = &res->devices[i], *b = &res->devices[j];
            const fm_rss_choice *x = fm_solve_chosen(a), *y = fm_solve_chosen(b);
            int shared = a->decl_id == b->decl_id || fm_solve_same_port(a, b);
            if (shared && !x->none && !y->none && !identical(res, x, y))
                return fm_fail(err, FM_ERR_INTERNAL, "", 0, 0,
                               "safety invariant violated: %s and %s share a "
                               "declaration or port but got different RSS settings",
                               a->name, b->name);
        }
    return 0;
}

int fm_solve_check_invariant(const fm_solve_result *res, fm_error *err)
{
    if (check_groups(res, err) != 0)
        return -1;
    for (size_t k = 0; k < res->nnfs; k++) {
        const fm_solve_nf *nf = &res->nfs[k];
        if (nf->decision == FM_NF_SHARED_NOTHING && check_nf(res, nf, err) != 0)
            return -1;
        if (nf->decision == FM_NF_STATELESS && nf->stateful)
            return fm_fail(err, FM_ERR_INTERNAL, "", 0, 0,
                           "safety invariant violated: stateful %s marked stateless",
                           nf->name);
    }
    return 0;
}
