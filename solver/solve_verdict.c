/* The safety predicate the search uses: may NF k run shared-nothing under a
 * given RSS choice of every input device?  (fm_solve_check_invariant checks
 * the final decisions again, independently, before anything is written.) */
#include <string.h>

#include "flowmage/solve.h"
#include "solve_internal.h"

void fm_solve_fields_text(fm_fieldset f, char *out, size_t n)
{
    fm_fieldset_format(f, out, (unsigned)n);
    if (!*out)
        snprintf(out, n, "nothing");
}

int fm_solve_same_hash(const fm_solve_result *res, const fm_rss_choice *a,
                       const fm_rss_choice *b)
{
    if (a->none || b->none || a->fields != b->fields || a->hashed != b->hashed ||
        a->set != b->set || a->key_kind != b->key_kind)
        return 0;
    size_t kl = res->nic->key_len;
    if (memcmp(a->key4, b->key4, kl) != 0)
        return 0;
    return !fm_solve_uses_ipv6(res, a) || memcmp(a->key6, b->key6, kl) == 0;
}

/* One hashing function (possibly shared by several devices: who is then
 * plural and verb "hash"). */
static fm_nf_decision single(const fm_solve_nf *nf, const fm_rss_choice *c,
                             const char *who, const char *verb, char *why, size_t n)
{
    char r[64], k[64];
    fm_solve_fields_text(c->fields, r, sizeof r);
    fm_solve_fields_text(nf->key & ~FM_F_PROTO, k, sizeof k);
    if (c->fields & ~nf->key) {
        snprintf(why, n, "%s %s %s, not a subset of its key (%s)", who, verb, r, k);
        return FM_NF_SHARED;
    }
    if (nf->symmetric && (fm_fieldset_mirror(c->fields) != c->fields ||
                          c->key_kind != FM_RSSKEY_SYMMETRIC)) {
        snprintf(why, n, "its state sees both directions, and %s %s %s with a key "
                 "that is not symmetric", who, verb, r);
        return FM_NF_SHARED;
    }
    snprintf(why, n, "%s %s %s, a subset of its key (%s)%s", who, verb, r, k,
             nf->symmetric ? ", with a symmetric key" : "");
    return FM_NF_SHARED_NOTHING;
}

/* Queue q of every device is read by the same thread only when they all
 * say so: FastClick gives devices without THREADOFFSET disjoint threads. */
static int same_threads(const fm_solve_result *res, const fm_solve_nf *nf)
{
    const fm_solve_device *a = &res->devices[nf->devices[0]];
    for (size_t i = 1; i < nf->ndevices; i++) {
        const fm_solve_device *b = &res->devices[nf->devices[i]];
        if (a->cores != b->cores || a->queues != b->queues || !a->thread_offset ||
            !b->thread_offset || strcmp(a->thread_offset, b->thread_offset) != 0)
            return 0;
    }
    return 1;
}

/* Two devices, one per direction: a hashes r, b hashes mirror(r) with the
 * same key and both NIC-native (so the selected fields sit at the same
 * offsets of the hash input). */
static int mirrored(const fm_solve_result *res, const fm_solve_nf *nf,
                    const fm_rss_choice *a, const fm_rss_choice *b)
{
    size_t kl = res->nic->key_len;
    return res->opts.directional && nf->ndevices == 2 && nf->symmetric &&
           a->key_kind == FM_RSSKEY_DEFAULT && b->key_kind == FM_RSSKEY_DEFAULT &&
           a->fields != b->fields && b->fields == fm_fieldset_mirror(a->fields) &&
           !(a->fields & ~nf->key) && !(b->fields & ~fm_fieldset_mirror(nf->key)) &&
           memcmp(a->key4, b->key4, kl) == 0 && memcmp(a->key6, b->key6, kl) == 0;
}

static fm_nf_decision several(const fm_solve_result *res, const fm_solve_nf *nf,
                              const fm_rss_choice *const *choice, char *why, size_t n)
{
    const fm_solve_device *d0 = &res->devices[nf->devices[0]];
    const fm_rss_choice *c0 = choice[nf->devices[0]];
    if (!same_threads(res, nf)) {
        snprintf(why, n, "reached from %zu devices that may read a flow's queue on "
                 "different threads (they need the same THREADOFFSET, queue and thread "
                 "counts)", nf->ndevices);
        return FM_NF_SHARED;
    }
    for (size_t i = 0; i < nf->ndevices; i++) {
        const fm_solve_device *d = &res->devices[nf->devices[i]];
        if (choice[nf->devices[i]]->none) {
            snprintf(why, n, "reached from %zu devices, and %s's RSS is not set (%s)",
                     nf->ndevices, d->name, d->why_not[0] ? d->why_not : "none");
            return FM_NF_SHARED;
        }
    }
    int same = 1;
    for (size_t i = 1; i < nf->ndevices; i++)
        same &= fm_solve_same_hash(res, c0, choice[nf->devices[i]]);
    char who[128];
    if (same) {
        if (nf->ndevices == 2)
            snprintf(who, sizeof who, "%s and %s", d0->name,
                     res->devices[nf->devices[1]].name);
        else
            snprintf(who, sizeof who, "all %zu devices reaching it", nf->ndevices);
        return single(nf, c0, who, "hash", why, n);
    }
    const fm_rss_choice *c1 = choice[nf->devices[1]];
    if (mirrored(res, nf, c0, c1)) {
        char a[64], b[64];
        fm_solve_fields_text(c0->fields, a, sizeof a);
        fm_solve_fields_text(c1->fields, b, sizeof b);
        snprintf(why, n, "%s hashes %s and %s hashes %s: both directions of a "
                 "connection meet on one core (--directional)", d0->name, a,
                 res->devices[nf->devices[1]].name, b);
        return FM_NF_SHARED_NOTHING;
    }
    snprintf(why, n, "reached from %zu devices that do not hash it the same way",
             nf->ndevices);
    return FM_NF_SHARED;
}

fm_nf_decision fm_solve_verdict(const fm_solve_result *res, size_t k,
                                const fm_rss_choice *const *choice, char *why,
                                size_t n)
{
    const fm_solve_nf *nf = &res->nfs[k];
    if (!nf->stateful) {
        snprintf(why, n, "no per-flow state");
        return FM_NF_STATELESS;
    }
    if (nf->forced) {
        snprintf(why, n, "%s", nf->forced);
        return FM_NF_SHARED;
    }
    if (nf->by_port)
        return fm_solve_port_verdict(res, nf, choice, why, n);
    if (nf->ndevices > 1)
        return several(res, nf, choice, why, n);
    const fm_solve_device *d = &res->devices[nf->devices[0]];
    const fm_rss_choice *c = choice[nf->devices[0]];
    if (c->none) {
        if (d->cores <= 1) {
            snprintf(why, n, "one core reads %s", d->name);
            return FM_NF_SHARED_NOTHING;
        }
        snprintf(why, n, "%s's RSS is not set: %s", d->name,
                 d->why_not[0] ? d->why_not : "no choice");
        return FM_NF_SHARED;
    }
    return single(nf, c, d->name, "hashes", why, n);
}
