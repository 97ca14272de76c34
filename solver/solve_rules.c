/* Flow rules files (dialect flowrules): the text, and what every consumer
 * of it can read.
 *
 * FastClick's flow rule parser copies each rule into a 512-byte buffer
 * (511 characters: a longer line is cut and fails to parse) after putting
 * its own port number in place of the one written; DPDK testpmd's
 * interactive line holds 512 bytes, and its RSS action at most 128 queues
 * (ACTION_RSS_QUEUE_NUM).  Lines are kept to FM_RULES_LINE_MAX bytes so
 * that the same rule still fits with a two-digit port number and as `flow
 * validate` (two bytes longer than `flow create`), which is how the tests
 * check every file with testpmd itself.  Rules with the same pattern do not
 * share one RSS spread, so a long queue list cannot be split over several
 * rules: a candidate whose rules do not fit is excluded, and a device none
 * of whose candidates fits is refused. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "flowmage/solve.h"
#include "solve_internal.h"

/* The device shares a setting or stateful NFs with another device (its
 * component has several): the rules carry the key so that both provably
 * use the same one. */
static int coupled(const fm_solve_result *res, const fm_solve_device *d)
{
    for (size_t i = 0; i < res->ndevices; i++)
        if (&res->devices[i] != d && res->devices[i].group == d->group)
            return 1;
    for (size_t k = 0; k < d->nnfs; k++) {
        const fm_solve_nf *nf = &res->nfs[d->nfs[k]];
        if (nf->stateful && !nf->forced && nf->ndevices > 1)
            return 1;
    }
    return 0;
}

static char *rules_text(const fm_solve_result *res, const fm_solve_device *d,
                        const fm_rss_choice *c, unsigned queues)
{
    const fm_nic_profile *nic = res->nic;
    if (c->none || c->set < 0)
        return fm_xstrdup("");
    const fm_nic_set *set = &nic->sets[c->set];
    /* FastClick replaces "flow create N" with the reading device's port, so
     * a group of devices (one declaration) shares one file named by its
     * first device */
    const char *port = res->devices[d->group].port;
    int port_ok = port && *port;
    for (const char *s = port; port_ok && *s; s++)
        port_ok = isdigit((unsigned char)*s);
    int key = nic->always_write_key || c->key_kind != FM_RSSKEY_DEFAULT || coupled(res, d);
    fm_buf b;
    fm_buf_init(&b);
    for (int prio = 0; prio <= 1000; prio++) {
        for (size_t i = 0; i < set->nrules; i++) {
            const fm_nic_rule *r = &set->rules[i];
            if (r->priority != prio)
                continue;
            fm_buf_printf(&b, "flow create %s ", port_ok ? port : "0");
            if (prio)
                fm_buf_printf(&b, "priority %d ", prio);
            fm_buf_printf(&b, "ingress pattern %s actions rss types %s end queues",
                          r->pattern, r->types);
            for (unsigned q = 0; q < queues; q++)
                fm_buf_printf(&b, " %u", q);
            fm_buf_puts(&b, " end");
            if (key) {
                char hex[2 * FM_RSS_KEY_MAX + 1];
                fm_solve_hex(r->family == FM_TOEPLITZ_IPV6 ? c->key6 : c->key4, nic->key_len,
                             hex);
                fm_buf_printf(&b, " key %s", hex);
            }
            fm_buf_puts(&b, " / end\n");
        }
    }
    fm_buf_cstr(&b);
    return b.data;
}

char *fm_solve_rules_text(const fm_solve_result *res, const fm_solve_device *d)
{
    return rules_text(res, d, fm_solve_chosen(d), d->queues);
}

static size_t longest_line(const char *text)
{
    size_t best = 0;
    while (*text) {
        size_t n = strcspn(text, "\n");
        best = n > best ? n : best;
        text += n + (text[n] == '\n');
    }
    return best;
}

int fm_solve_rules_fit(const fm_solve_result *res, const fm_solve_device *d,
                       const fm_rss_choice *c, unsigned queues, size_t *longest)
{
    char *t = rules_text(res, d, c, queues);
    size_t n = longest_line(t);
    free(t);
    if (longest)
        *longest = n;
    return queues <= FM_RULES_QUEUES_MAX && n <= FM_RULES_LINE_MAX;
}

/* The largest queue count whose rules fit for c (0: none). */
static unsigned max_queues(const fm_solve_result *res, const fm_solve_device *d,
                           const fm_rss_choice *c)
{
    unsigned q = FM_RULES_QUEUES_MAX;
    while (q > 0 && !fm_solve_rules_fit(res, d, c, q, NULL))
        q--;
    return q;
}

/* The error when no setting's rules fit: the queue counts that would. */
static int no_fit(const fm_solve_result *res, const fm_solve_device *d, fm_error *err)
{
    unsigned fit_all = FM_RULES_QUEUES_MAX, fit_one = 0;
    for (size_t i = 0; i < d->ncands; i++) {
        if (d->cands[i].none)
            continue;
        unsigned m = max_queues(res, d, &d->cands[i]);
        fit_all = m < fit_all ? m : fit_all;
        fit_one = m > fit_one ? m : fit_one;
    }
    const fm_click_config *cfg = res->cfg;
    const fm_click_loc *at = &cfg->decls[d->decl].loc;
    return fm_fail(err, FM_ERR_INPUT, cfg->path, at->line, at->col,
                   "'%s' has %u queues, more than a flow rule holds (at most %d queues and "
                   "%d bytes a line): at most %u queues fit every setting of NIC %s "
                   "(%u the shortest rules); lower %s or use --dialect hashfunc",
                   d->name, d->queues, FM_RULES_QUEUES_MAX, FM_RULES_LINE_MAX, fit_all,
                   res->nic->name, fit_one, res->prof->kw_queues);
}

int fm_solve_rules_limit(fm_solve_result *res, fm_solve_device *d, fm_error *err)
{
    size_t nfit = 0, nrules = 0;
    size_t *longest = fm_xcalloc(d->ncands ? d->ncands : 1, sizeof *longest);
    unsigned char *fits = fm_xcalloc(d->ncands ? d->ncands : 1, 1);
    for (size_t i = 0; i < d->ncands; i++) {
        fm_rss_choice *c = &d->cands[i];
        nrules += !c->none;
        fits[i] = c->none || fm_solve_rules_fit(res, d, c, d->queues, &longest[i]);
        nfit += fits[i];
    }
    int rc = 0;
    if (nrules && !nfit)
        rc = no_fit(res, d, err);
    size_t keep = 0;
    for (size_t i = 0; i < d->ncands && rc == 0; i++) {
        fm_rss_choice *c = &d->cands[i];
        if (fits[i]) {
            d->cands[keep++] = *c;
            continue;
        }
        char f[96];
        fm_rss_choice_format(c, f, sizeof f);
        if (d->queues > FM_RULES_QUEUES_MAX)
            fm_solve_exclude(d, "%s: a flow rule lists at most %d queues, not %u", f,
                             FM_RULES_QUEUES_MAX, d->queues);
        else
            fm_solve_exclude(d, "%s: its flow rules for %u queues have a %zu-byte line "
                             "(at most %d)", f, d->queues, longest[i], FM_RULES_LINE_MAX);
    }
    if (rc == 0)
        d->ncands = keep;
    free(longest);
    free(fits);
    return rc;
}
