/* Decisions for NFs whose key differs per input port (attributes
 * keys_by_port): a rate monitor counting by source on input 0 and by
 * destination on input 1, a NAT finding a mapping by the inside flow on one
 * input and by the reply on the other.
 *
 * An arrival is a (device, input port) pair: the device's packets reach the
 * NF through that port.  The NF is shared-nothing when
 *   1. every arrival's device hashes a subset of the key of its port (with
 *      a symmetric hash when that port's state sees both directions), and
 *   2. any two arrivals send packets that reach one state to one core:
 *      either both hash the same fields the same way and those fields are
 *      in the element's own key (which holds on every port), or the ports'
 *      "entry" lists say which field of one carries what the other's does,
 *      and the devices hash corresponding fields, at the same place of the
 *      Toeplitz input, with the same key bytes, queues and threads (inside
 *      hashes dst_ip, outside src_ip: one remote address, one core).
 * The safety check (solve_check.c) re-derives this from the NIC rules. */
#include <string.h>

#include "flowmage/solve.h"
#include "solve_internal.h"

int fm_solve_entry_map(const fm_solve_port *p, const fm_solve_port *q, fm_fieldset f,
                       fm_fieldset *out)
{
    *out = 0;
    if (!p->nentry || p->nentry != q->nentry)
        return -1;
    for (fm_fieldset b = 1; b <= FM_F_PROTO; b <<= 1) {
        if (!(f & b))
            continue;
        size_t i = 0;
        while (i < p->nentry && p->entry[i] != b)
            i++;
        if (i == p->nentry)
            return -1;
        *out |= q->entry[i];
    }
    return 0;
}

/* Fields fa hashed in the input layout of ha (port p) and fb in that of hb
 * (port q) correspond through the entry lists one to one, each at the same
 * bit offset and width of the Toeplitz input (IPv4 and IPv6 layouts): the
 * same values give the same hash under the same key. */
static int same_place(fm_fieldset fa, fm_fieldset ha, fm_fieldset fb, fm_fieldset hb,
                      const fm_solve_port *p, const fm_solve_port *q)
{
    fm_fieldset mapped;
    if (fm_solve_entry_map(p, q, fa, &mapped) != 0 || mapped != fb ||
        __builtin_popcount(fa) != __builtin_popcount(fb))
        return 0;
    for (fm_fieldset b = 1; b <= FM_F_DST_PORT; b <<= 1) {
        if (!(fa & b))
            continue;
        fm_fieldset g;
        fm_solve_entry_map(p, q, b, &g);
        for (int v6 = 0; v6 <= 1; v6++) {
            unsigned oa, wa, ob, wb;
            if (fm_rss_field_bits(ha, v6, b, &oa, &wa) != 0 ||
                fm_rss_field_bits(hb, v6, g, &ob, &wb) != 0 || oa != ob || wa != wb)
                return 0;
        }
    }
    return 1;
}

static int same_threads(const fm_solve_device *a, const fm_solve_device *b)
{
    return a == b || (a->cores == b->cores && a->queues == b->queues && a->thread_offset &&
                      b->thread_offset && strcmp(a->thread_offset, b->thread_offset) == 0);
}

/* Rule 1 for one arrival. */
static int arrival_ok(const fm_solve_result *res, const fm_solve_nf *nf,
                      const fm_solve_arrival *a, const fm_rss_choice *c, int alone,
                      char *why, size_t n)
{
    const fm_solve_device *d = &res->devices[a->device];
    const fm_solve_port *p = &nf->ports[a->port];
    char r[64], k[64];
    if (p->kind != FM_KEY_FIELDS || !(p->key & ~FM_F_PROTO)) {
        snprintf(why, n, "%s reaches its input %d, whose key %s", d->name, p->port,
                 p->kind != FM_KEY_FIELDS ? "is unknown" : "has none of the fields RSS "
                                                           "can hash");
        return 0;
    }
    if (c->none) {
        if (alone && d->cores <= 1)
            return 1;
        snprintf(why, n, "%s's RSS is not set: %s", d->name,
                 d->why_not[0] ? d->why_not : "no choice");
        return 0;
    }
    fm_solve_fields_text(c->fields, r, sizeof r);
    fm_solve_fields_text(p->key & ~FM_F_PROTO, k, sizeof k);
    if (c->fields & ~p->key) {
        snprintf(why, n, "%s hashes %s, not a subset of its key on input %d (%s)", d->name,
                 r, p->port, k);
        return 0;
    }
    if (p->symmetric && (fm_fieldset_mirror(c->fields) != c->fields ||
                         c->key_kind != FM_RSSKEY_SYMMETRIC)) {
        snprintf(why, n, "its state on input %d sees both directions, and %s hashes %s "
                 "with a key that is not symmetric", p->port, d->name, r);
        return 0;
    }
    return 1;
}

/* Rule 2 for two arrivals; *via_entry says which way it holds. */
static int pair_ok(const fm_solve_result *res, const fm_solve_nf *nf,
                   const fm_solve_arrival *a, const fm_solve_arrival *b,
                   const fm_rss_choice *ca, const fm_rss_choice *cb, int *via_entry,
                   char *why, size_t n)
{
    const fm_solve_device *da = &res->devices[a->device], *db = &res->devices[b->device];
    const fm_solve_port *p = &nf->ports[a->port], *q = &nf->ports[b->port];
    size_t kl = res->nic->key_len;
    *via_entry = 0;
    if (ca->none || cb->none) { /* one core reads one device: arrival_ok */
        if (da != db)
            snprintf(why, n, "reached from %s and %s, and %s's RSS is not set", da->name,
                     db->name, ca->none ? da->name : db->name);
        return da == db;
    }
    if (!same_threads(da, db)) {
        snprintf(why, n, "%s and %s may read a flow's queue on different threads (they "
                 "need the same THREADOFFSET, queue and thread counts)", da->name, db->name);
        return 0;
    }
    if (fm_solve_same_hash(res, ca, cb) && nf->key_kind == FM_KEY_FIELDS &&
        !(ca->fields & ~nf->key))
        return 1;
    *via_entry = 1;
    if (ca->fields == ca->hashed && cb->fields == cb->hashed &&
        !memcmp(ca->key4, cb->key4, kl) &&
        ((!fm_solve_uses_ipv6(res, ca) && !fm_solve_uses_ipv6(res, cb)) ||
         !memcmp(ca->key6, cb->key6, kl)) &&
        same_place(ca->fields, ca->hashed, cb->fields, cb->hashed, p, q))
        return 1;
    char fa[64], fb[64];
    fm_solve_fields_text(ca->fields, fa, sizeof fa);
    fm_solve_fields_text(cb->fields, fb, sizeof fb);
    if (da == db)
        snprintf(why, n, "%s reaches inputs %d and %d, and %s does not name one state on "
                 "both", da->name, p->port, q->port, fa);
    else
        snprintf(why, n, "%s (input %d) hashes %s and %s (input %d) %s: packets reaching "
                 "one state may land on two cores", da->name, p->port, fa, db->name,
                 q->port, fb);
    return 0;
}

static void describe(const fm_solve_result *res, const fm_solve_nf *nf,
                     const fm_rss_choice *const *choice, int crossed, char *why, size_t n)
{
    size_t used = 0;
    why[0] = 0;
    for (size_t i = 0; i < nf->narrivals && used < n; i++) {
        const fm_solve_arrival *a = &nf->arrivals[i];
        const fm_solve_port *p = &nf->ports[a->port];
        if (p->kind == FM_KEY_NONE)
            continue;
        char r[64], k[64];
        fm_solve_fields_text(choice[a->device]->fields, r, sizeof r);
        fm_solve_fields_text(p->key & ~FM_F_PROTO, k, sizeof k);
        int w = choice[a->device]->none
                    ? snprintf(why + used, n - used, "%sone core reads %s", used ? "; " : "",
                               res->devices[a->device].name)
                    : snprintf(why + used, n - used, "%s%s hashes %s, in its key on input %d "
                               "(%s)", used ? "; " : "", res->devices[a->device].name, r,
                               p->port, k);
        used += w > 0 ? (size_t)w : 0;
    }
    if (crossed && used < n)
        snprintf(why + used, n - used, "; same key, queues and threads: one state, one core");
}

fm_nf_decision fm_solve_port_verdict(const fm_solve_result *res, const fm_solve_nf *nf,
                                     const fm_rss_choice *const *choice, char *why,
                                     size_t n)
{
    size_t active = 0;
    int first_dev = -1, one_device = 1;
    for (size_t i = 0; i < nf->narrivals; i++) {
        const fm_solve_arrival *a = &nf->arrivals[i];
        if (nf->ports[a->port].kind == FM_KEY_NONE)
            continue; /* packets of that port touch no per-flow state */
        active++;
        if (first_dev < 0)
            first_dev = a->device;
        one_device &= a->device == first_dev;
    }
    if (!active) {
        snprintf(why, n, "no device reaches an input that touches its state");
        return FM_NF_SHARED_NOTHING;
    }
    for (size_t i = 0; i < nf->narrivals; i++) {
        const fm_solve_arrival *a = &nf->arrivals[i];
        if (nf->ports[a->port].kind != FM_KEY_NONE &&
            !arrival_ok(res, nf, a, choice[a->device], one_device, why, n))
            return FM_NF_SHARED;
    }
    int crossed = 0;
    for (size_t i = 0; i < nf->narrivals; i++)
        for (size_t j = i + 1; j < nf->narrivals; j++) {
            const fm_solve_arrival *a = &nf->arrivals[i], *b = &nf->arrivals[j];
            int via;
            if (nf->ports[a->port].kind == FM_KEY_NONE || nf->ports[b->port].kind == FM_KEY_NONE)
                continue;
            if (!pair_ok(res, nf, a, b, choice[a->device], choice[b->device], &via, why, n))
                return FM_NF_SHARED;
            crossed |= via || a->device != b->device;
        }
    describe(res, nf, choice, crossed, why, n);
    return FM_NF_SHARED_NOTHING;
}
