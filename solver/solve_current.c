/* Step 1, continued: what each input device does before solving — the RSS
 * setting its configuration asks for (the mode keyword and the flow rules
 * file it names, or HASHFUNC / HASHKEY), else the NIC's default hashing.
 * `flowmage simulate` replays it as the "default" and the search always
 * evaluates the combination where every device keeps it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "flowmage/solve.h"
#include "solve_internal.h"

/* ---- small parsers ---- */

/* Exactly `want` bytes of hex (blanks and ':' between bytes allowed). */
static int parse_hex(const char *s, uint8_t *out, size_t want)
{
    size_t n = 0;
    while (*s) {
        if (isspace((unsigned char)*s) || *s == ':') {
            s++;
            continue;
        }
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) || n == want)
            return -1;
        char b[3] = {s[0], s[1], 0};
        out[n++] = (uint8_t)strtoul(b, NULL, 16);
        s += 2;
    }
    return n == want ? 0 : -1;
}

/* s[0..n) with runs of blanks collapsed to one space, trimmed; malloc'd. */
static char *squeeze(const char *s, size_t n)
{
    char *o = fm_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (isspace((unsigned char)s[i])) {
            if (k && o[k - 1] != ' ')
                o[k++] = ' ';
        } else {
            o[k++] = s[i];
        }
    }
    while (k && o[k - 1] == ' ')
        k--;
    o[k] = 0;
    return o;
}

/* ---- flow rules files (testpmd "flow create" lines, docs/solve.md) ---- */

typedef struct rule_line {
    char *pattern, *types;
    int has_key;
    uint8_t key[FM_RSS_KEY_MAX];
} rule_line;

/* One "flow create ... pattern P actions rss types T end ... [key K] ..."
 * line; 0 if it is one. */
static int parse_rule(const char *l, size_t keylen, rule_line *r)
{
    memset(r, 0, sizeof *r);
    const char *pat = strstr(l, " pattern ");
    const char *act = pat ? strstr(pat, " actions ") : NULL;
    const char *rss = act ? strstr(act, " rss ") : NULL;
    const char *types = rss ? strstr(rss, " types ") : NULL;
    const char *tend = types ? strstr(types + 7, " end") : NULL;
    if (strncmp(l, "flow create ", 12) != 0 || !tend)
        return -1;
    r->pattern = squeeze(pat + 9, (size_t)(act - pat - 9));
    r->types = squeeze(types + 7, (size_t)(tend - types - 7));
    const char *key = strstr(tend, " key ");
    if (key) {
        key += 5;
        size_t n = strcspn(key, " \t/");
        char *hex = fm_xstrndup(key, n);
        r->has_key = parse_hex(hex, r->key, keylen) == 0;
        free(hex);
        if (!r->has_key) { /* a key we cannot read: not a rule we understand */
            free(r->pattern);
            free(r->types);
            return -1;
        }
    }
    return 0;
}

static const rule_line *find_rule(const rule_line *v, size_t n, const fm_nic_rule *want)
{
    char *p = squeeze(want->pattern, strlen(want->pattern));
    char *t = squeeze(want->types, strlen(want->types));
    const rule_line *hit = NULL;
    for (size_t i = 0; i < n && !hit; i++)
        if (!strcmp(v[i].pattern, p) && !strcmp(v[i].types, t))
            hit = &v[i];
    free(p);
    free(t);
    return hit;
}

/* The NIC set whose every rule the file holds (the one with most rules when
 * several do), with the keys of its rules; -1 when none. */
static int match_rules(const fm_nic_profile *nic, const rule_line *v, size_t n,
                       fm_rss_choice *c)
{
    int best = -1;
    size_t most = 0;
    for (size_t s = 0; s < nic->nsets; s++) {
        const fm_nic_set *set = &nic->sets[s];
        size_t k = 0;
        while (k < set->nrules && find_rule(v, n, &set->rules[k]))
            k++;
        if (k == set->nrules && k > most) {
            best = (int)s;
            most = k;
        }
    }
    if (best < 0)
        return -1;
    const fm_nic_set *set = &nic->sets[best];
    memcpy(c->key4, nic->default_key, nic->key_len);
    memcpy(c->key6, nic->default_key, nic->key_len);
    for (size_t k = 0; k < set->nrules; k++) {
        const rule_line *r = find_rule(v, n, &set->rules[k]);
        if (!r->has_key)
            continue;
        int fam = set->rules[k].family;
        if (fam != FM_TOEPLITZ_IPV6)
            memcpy(c->key4, r->key, nic->key_len);
        if (fam != FM_TOEPLITZ_IPV4)
            memcpy(c->key6, r->key, nic->key_len);
    }
    c->set = best;
    c->hashed = set->fields;
    return 0;
}

/* Open the rules file: as written (FastClick opens it from its working
 * directory), else next to the configuration. */
static int read_rules(const fm_click_config *cfg, const char *path, char **text,
                      char *where, size_t wn)
{
    size_t len;
    fm_error e;
    snprintf(where, wn, "%s", path);
    if (fm_read_file(path, text, &len, &e) == 0)
        return 0;
    const char *slash = cfg->path ? strrchr(cfg->path, '/') : NULL;
    if (path[0] == '/' || !slash)
        return -1;
    snprintf(where, wn, "%.*s/%s", (int)(slash - cfg->path), cfg->path, path);
    return fm_read_file(where, text, &len, &e);
}

/* 0 and c->set/hashed/keys when the file holds the rules of a NIC set; else
 * -1 with why filled. */
static int current_from_rules(const fm_solve_result *res, const fm_click_config *cfg,
                              const char *path, fm_rss_choice *c, char *why, size_t wn)
{
    char *text = NULL, where[1024];
    if (read_rules(cfg, path, &text, where, sizeof where) != 0) {
        snprintf(why, wn, "rules file %s cannot be read", path);
        return -1;
    }
    rule_line *v = NULL;
    size_t n = 0, bad = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        /* FastClick skips lines that start with a blank, and empty ones */
        if (*line && !isspace((unsigned char)*line)) {
            v = fm_xrealloc(v, (n + 1) * sizeof *v);
            if (parse_rule(line, res->nic->key_len, &v[n]) == 0)
                n++;
            else
                bad++;
        }
        line = nl ? nl + 1 : line + strlen(line);
    }
    int rc = bad ? -1 : match_rules(res->nic, v, n, c);
    if (rc != 0)
        snprintf(why, wn, "rules file %s holds %s", where,
                 bad ? "lines that are not RSS flow rules flowmage reads"
                     : "no complete rule set of the NIC profile");
    for (size_t i = 0; i < n; i++) {
        free(v[i].pattern);
        free(v[i].types);
    }
    free(v);
    free(text);
    return rc;
}

/* ---- what a key does ---- */

static int set_has_v6(const fm_nic_profile *nic, int set)
{
    if (set < 0)
        return 0;
    for (size_t i = 0; i < nic->sets[set].nrules; i++)
        if (nic->sets[set].rules[i].family != FM_TOEPLITZ_IPV4)
            return 1;
    return 0;
}

/* The key excludes field f from the hash of c->hashed (every family the
 * setting hashes). */
static int key_excludes(const fm_solve_result *res, const fm_rss_choice *c, fm_fieldset f)
{
    size_t kl = res->nic->key_len;
    fm_fieldset rest = c->hashed & ~f;
    return fm_toeplitz_is_restricted(c->key4, kl, c->hashed, rest, FM_TOEPLITZ_IPV4) &&
           (!set_has_v6(res->nic, c->set) ||
            fm_toeplitz_is_restricted(c->key6, kl, c->hashed, rest, FM_TOEPLITZ_IPV6));
}

/* Fields the queue depends on and the kind of key, from hashed + keys. */
static void classify(const fm_solve_result *res, fm_rss_choice *c)
{
    size_t kl = res->nic->key_len;
    int v6 = set_has_v6(res->nic, c->set);
    c->fields = c->hashed;
    for (fm_fieldset f = FM_F_SRC_IP; f <= FM_F_DST_PORT; f <<= 1)
        if ((c->hashed & f) && key_excludes(res, c, f))
            c->fields &= ~f;
    if (!memcmp(c->key4, res->nic->default_key, kl) &&
        (!v6 || !memcmp(c->key6, res->nic->default_key, kl)))
        c->key_kind = FM_RSSKEY_DEFAULT;
    else if (c->fields != c->hashed)
        c->key_kind = FM_RSSKEY_RESTRICTED;
    else if (fm_fieldset_mirror(c->hashed) == c->hashed &&
             fm_toeplitz_is_symmetric(c->key4, kl, c->hashed, FM_TOEPLITZ_IPV4) &&
             (!v6 || fm_toeplitz_is_symmetric(c->key6, kl, c->hashed, FM_TOEPLITZ_IPV6)))
        c->key_kind = FM_RSSKEY_SYMMETRIC;
    else
        c->key_kind = FM_RSSKEY_CUSTOM;
}

/* The NIC's widest native set: what a port hashes unless told otherwise
 * (FastClick asks DPDK for IP, TCP and UDP hashing). */
static int widest_set(const fm_nic_profile *nic)
{
    int best = -1, bestn = -1;
    for (size_t s = 0; s < nic->nsets; s++) {
        int n = __builtin_popcount(nic->sets[s].fields);
        if (n > bestn)
            best = (int)s, bestn = n;
    }
    return best;
}

static void nic_default(const fm_solve_result *res, fm_rss_choice *c)
{
    const fm_nic_profile *nic = res->nic;
    c->set = widest_set(nic);
    c->hashed = c->set >= 0 ? nic->sets[c->set].fields : 0;
    memcpy(c->key4, nic->default_key, nic->key_len);
    memcpy(c->key6, nic->default_key, nic->key_len);
}

/* HASHFUNC "fields" [HASHKEY hex]: the native set hashing exactly those
 * fields, else the smallest native set the key restricts to them, else no
 * set (the element hashes them some way the NIC profile does not list). */
static void current_from_hashfunc(const fm_solve_result *res, const char *fields,
                                   const char *key, fm_rss_choice *c, char *from,
                                   size_t fn)
{
    const fm_nic_profile *nic = res->nic;
    fm_fieldset f = 0;
    char bad[64];
    if (fm_fieldset_parse(fields, &f, bad, sizeof bad) != 0 || !(f & FM_HASHABLE)) {
        nic_default(res, c);
        snprintf(from, fn, "the NIC's default hashing (%s \"%s\" names no hashable "
                 "field)", res->prof->hf_kw, fields);
        return;
    }
    f &= FM_HASHABLE;
    memcpy(c->key4, nic->default_key, nic->key_len);
    int keyed = key && parse_hex(key, c->key4, nic->key_len) == 0;
    memcpy(c->key6, c->key4, nic->key_len);
    c->hashed = f;
    c->set = fm_nic_find_set(nic, f);
    int best = -1;
    for (size_t s = 0; c->set < 0 && s < nic->nsets; s++) {
        fm_rss_choice t = *c;
        t.set = (int)s;
        t.hashed = nic->sets[s].fields;
        if ((t.hashed & f) != f)
            continue;
        classify(res, &t);
        if (t.fields == f && (best < 0 || __builtin_popcount(t.hashed) <
                                              __builtin_popcount(nic->sets[best].fields)))
            best = (int)s;
    }
    if (c->set < 0 && best >= 0) {
        c->set = best;
        c->hashed = nic->sets[best].fields;
    }
    snprintf(from, fn, "%s%s%s%s", res->prof->hf_kw, keyed ? " + " : "",
             keyed ? res->prof->hf_key_kw : "",
             key && !keyed ? " (its key is not hex of the NIC's key length: the NIC's "
                             "default key assumed)" : "");
}

static void device_current(fm_solve_result *res, const fm_click_config *cfg,
                           fm_solve_device *d)
{
    const fm_solver_profile *prof = res->prof;
    const fm_click_elem *e = &res->graph->elems[d->elem];
    fm_rss_choice *c = &d->current;
    char *from = d->current_from;
    size_t fn = sizeof d->current_from;
    memset(c, 0, sizeof *c);
    c->set = -1;
    if (!d->rss || d->queues <= 1) {
        c->none = 1;
        snprintf(from, fn, "%s", !d->rss ? "not a multi-queue RSS input" : "one queue");
        return;
    }
    char *mode = prof->fr_mode_kw ? fm_click_elem_keyword(e, prof->fr_mode_kw) : NULL;
    char *file = prof->fr_file_kw ? fm_click_elem_keyword(e, prof->fr_file_kw) : NULL;
    char *hf = prof->hf_kw ? fm_click_elem_keyword(e, prof->hf_kw) : NULL;
    char *hk = prof->hf_key_kw ? fm_click_elem_keyword(e, prof->hf_key_kw) : NULL;
    char why[1200];
    int flow = mode && prof->fr_mode_value && !strcasecmp(mode, prof->fr_mode_value);
    if (flow && file && *file &&
        current_from_rules(res, cfg, file, c, why, sizeof why) == 0) {
        classify(res, c);
        snprintf(from, fn, "rules file %s", file);
    } else if (hf) {
        current_from_hashfunc(res, hf, hk, c, from, fn);
        classify(res, c);
    } else if (mode && fm_strset_has(&prof->rss_off_modes, mode)) {
        c->none = 1;
        snprintf(from, fn, "%s %s: RSS off, every packet on queue 0", prof->fr_mode_kw,
                 mode);
    } else {
        nic_default(res, c);
        classify(res, c);
        if (flow)
            snprintf(from, fn, "the NIC's default hashing (%s %s, but %.240s)",
                     prof->fr_mode_kw, mode, file && *file ? why : "no rules file named");
        else
            snprintf(from, fn, "the NIC's default hashing");
        if (flow)
            fm_solve_note(res, "%s: before solving: %s", d->name, from);
    }
    if (!c->none && !c->fields) { /* a key that hashes nothing: one queue */
        c->none = 1;
        size_t n = strlen(from);
        snprintf(from + n, fn - n, " (its key hashes no field: every packet on one "
                 "queue)");
    }
    if (!c->none)
        fm_solve_spread_bits(res, c);
    free(mode);
    free(file);
    free(hf);
    free(hk);
}

void fm_solve_current(fm_solve_result *res, const fm_click_config *cfg)
{
    for (size_t i = 0; i < res->ndevices; i++)
        device_current(res, cfg, &res->devices[i]);
}

/* ---- the candidate that keeps it ---- */

static int same_choice(const fm_solve_result *res, const fm_rss_choice *a,
                       const fm_rss_choice *b)
{
    return a->none == b->none && (a->none || fm_solve_same_hash(res, a, b));
}

/* After the candidates exist: the one keeping the current setting, added
 * when missing (the current setting itself when the writer can express it,
 * else "none": leave the device alone). */
void fm_solve_current_candidate(fm_solve_result *res, fm_solve_device *d)
{
    const fm_rss_choice *cur = &d->current;
    d->current_cand = -1;
    for (size_t i = 0; i < d->ncands && d->current_cand < 0; i++)
        if (same_choice(res, &d->cands[i], cur) ||
            (d->cands[i].none && (!d->writable || d->cores <= 1)))
            d->current_cand = (int)i;
    if (d->current_cand >= 0)
        return;
    int flowrules = res->opts.dialect == FM_DIALECT_FLOWRULES;
    int expressible = !cur->none && cur->set >= 0 && d->writable && d->cores > 1 &&
                      (flowrules ? fm_solve_rules_fit(res, d, cur, d->queues, NULL)
                                 : !memcmp(cur->key4, cur->key6, res->nic->key_len));
    if (res->opts.dialect == FM_DIALECT_HASHFUNC && cur->key_kind != FM_RSSKEY_DEFAULT) {
        const fm_elem_attrs *ea = fm_attrs_find(res->attrs, d->cls);
        expressible &= ea && fm_strset_has(&ea->keywords, res->prof->hf_key_kw);
    }
    for (size_t i = 0; !expressible && i < d->ncands; i++)
        if (d->cands[i].none) {
            d->current_cand = (int)i;
            return;
        }
    d->cands = fm_xrealloc(d->cands, (d->ncands + 1) * sizeof *d->cands);
    fm_rss_choice *c = &d->cands[d->ncands];
    if (expressible) {
        *c = *cur;
    } else {
        memset(c, 0, sizeof *c);
        c->none = 1;
        c->set = -1;
    }
    d->current_cand = (int)d->ncands++;
}
