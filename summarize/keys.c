/* Keys: from the values that reach a table's key to field sets.
 *
 * Safety: a shared-nothing RSS set must be a subset of the true key, so
 * the key reported is what every path agrees on (a "must" set); fields seen
 * on only some paths are reported as uncertain, never added.  Symmetry is
 * the opposite: any evidence that both directions reach one state makes the
 * key symmetric. */
#include <string.h>

#include "nf.h"

static const char *const mirror_pairs[][2] = {{"src_ip", "dst_ip"}, {"src_port", "dst_port"}};

/* A lookup's result used as (part of) a key or an index: the position or
 * element a table returned for its own key is a function of that key, so
 * records chosen by it are keyed like the table (rte_hash positions
 * selecting records in a parallel array).  A mask on the position makes a
 * group of keys, not a key. */
static void classify_position(nfctx *N, atom a, keyinfo *ki, unsigned *five)
{
    uint32_t x = (uint32_t)atom_payload(a);
    unsigned fl = atom_flags(a);
    if (!N->sm || x >= N->sm->nacc || N->depth >= FM_KEY_MAX_NESTING || (fl & AF_OPAQUE)) {
        ki->unknown = 1;
        return;
    }
    if (fl & AF_MASKED) {
        fm_strset_add(&ki->other, "position_prefix");
        return;
    }
    keyinfo sub;
    N->depth++;
    fm_key_of_access(N, &N->sm->acc[x], NULL, &sub);
    N->depth--;
    *five |= sub.must;
    ki->unknown |= sub.unknown;
    ki->opaque |= sub.opaque;
    ki->symmetric |= sub.symmetric;
    for (size_t i = 0; i < sub.other.n; i++)
        fm_strset_add(&ki->other, sub.other.v[i]);
    fm_strset_free(&sub.other);
}

static const keyed_region *in_keyed_region(const nfctx *N, uint32_t loc)
{
    for (uint32_t i = 0; i < N->nkeyed; i++)
        if (fm_loc_under(N->A, N->keyed[i].loc, loc))
            return &N->keyed[i];
    return NULL;
}

/* What a value atom contributes to a key, at the NF's entry. */
static void classify_atom(nfctx *N, atom a, keyinfo *ki, unsigned *five, unsigned *sel,
                          unsigned *sym)
{
    an *A = N->A;
    unsigned fl = atom_flags(a);
    if (fl & AF_BLURRED) {
        ki->unknown = 1; /* read back from memory past the limits */
        if (atom_kind(a) == AK_LABEL)
            fm_strset_add(&ki->other, "packet_data_beyond_limits");
        return;
    }
    switch (atom_kind(a)) {
    case AK_LABEL: {
        const char *name = fm_label_name(A, (uint32_t)atom_payload(a));
        fm_fieldset b = fm_field_bit(name);
        if (fl & AF_OPAQUE) {
            char o[64];
            snprintf(o, sizeof o, "%s_through_unknown_function", name);
            fm_strset_add(&ki->other, o);
            ki->opaque = 1;
        } else if ((fl & (AF_MASKED | AF_ZEROTEST)) && b) {
            /* part of an address or port: not the field itself */
            char o[64];
            snprintf(o, sizeof o, "%s_prefix", name);
            fm_strset_add(&ki->other, o);
        } else if (b) {
            *five |= b;
            if (fl & AF_SELECT)
                *sel |= b;
            if (fl & AF_SYMJOIN)
                *sym |= b;
        } else {
            fm_strset_add(&ki->other, name);
        }
        return;
    }
    case AK_PARAM:
        if ((int)atom_payload(a) != N->state_param)
            fm_strset_add(&ki->other, "entry_argument");
        return; /* the NF object itself: configuration */
    case AK_CONTENT: {
        const keyed_region *kr;
        uint32_t l = (uint32_t)atom_payload(a);
        unsigned rk = fm_loc_root_kind(A, l);
        const aloc *r = fm_loc_get(A, fm_loc_get(A, l)->root);
        if (rk == LR_PARAM && (int)r->arg != N->state_param) {
            fm_strset_add(&ki->other, "packet_data");
        } else if ((kr = in_keyed_region(N, l)) && kr->index_map && kr->must) {
            *five |= kr->must; /* the fresh index a map keeps for this key */
        } else if (rk == LR_TABLE || rk == LR_FCB || kr) {
            /* read from per-flow state (an index a map keeps for a key):
             * per flow, but whose alone flowmage cannot prove */
            ki->unknown = 1;
            fm_strset_add(&ki->other, "table_content");
        } else if (rk == LR_UNKNOWN) {
            ki->unknown = 1;
        }
        return; /* members and globals: configuration, constant per flow */
    }
    case AK_TRES:
        classify_position(N, a, ki, five);
        return;
    case AK_UNKNOWN:
        ki->unknown = 1;
        return;
    default:
        return;
    }
}

/* Turn the positions of one access into must/may sets. */
void fm_key_of_access(nfctx *N, const rec_access *a, const vset *extra, keyinfo *ki)
{
    memset(ki, 0, sizeof *ki);
    /* group positions by relative location; sites are alternatives */
    typedef struct { uint32_t rel; unsigned must, may, sel, sym; int n; } posacc;
    posacc ps[64];
    uint32_t nps = 0;
    for (uint32_t i = 0; i <= a->k.npos; i++) {
        const vset *v;
        uint32_t rel;
        if (i < a->k.npos) {
            v = &a->k.pos[i].val;
            rel = a->k.pos[i].rel;
        } else if (extra && extra->n) {
            v = extra;
            rel = fm_loc_root(N->A, LR_REL, 0);
        } else {
            break;
        }
        unsigned five = 0, sel = 0, sym = 0;
        int unknown_before = ki->unknown;
        size_t other_before = ki->other.n;
        for (uint32_t j = 0; j < v->n; j++)
            classify_atom(N, v->v[j], ki, &five, &sel, &sym);
        /* a store of constants only (e.g. port 0 for non-TCP/UDP) is the
         * field's absence, not an alternative key */
        if (!five && ki->unknown == unknown_before && ki->other.n == other_before &&
            i < a->k.npos)
            continue;
        uint32_t q;
        for (q = 0; q < nps; q++)
            if (ps[q].rel == rel)
                break;
        if (q == nps) {
            if (nps == 64)
                continue;
            ps[nps++] = (posacc){rel, five, 0, 0, 0, 0};
        }
        ps[q].must &= five;
        ps[q].may |= five;
        ps[q].sel |= sel;
        ps[q].sym |= sym;
        ps[q].n++;
    }
    for (uint32_t q = 0; q < nps; q++) {
        unsigned must = ps[q].must;
        for (int m = 0; m < 2; m++) {
            fm_fieldset s = fm_field_bit(mirror_pairs[m][0]), d = fm_field_bit(mirror_pairs[m][1]);
            if ((ps[q].may & (s | d)) != (s | d))
                continue;
            int joined = (ps[q].sym & (s | d)) == (s | d);
            int other_pos = 0; /* the pair canonicalised across two positions */
            for (uint32_t r = 0; r < nps; r++)
                if (r != q && (ps[r].may & (s | d)) == (s | d))
                    other_pos = 1;
            int alt = ps[q].n > 1;                 /* different stores */
            int sel = (ps[q].sel & (s | d)) != 0;  /* chosen on a branch */
            /* every store put both ends there (a pair copied as one word):
             * the pair itself, in order */
            int both = (ps[q].must & (s | d)) == (s | d) && !sel;
            if (both && !joined)
                continue;
            if (joined || other_pos || alt || sel)
                ki->symmetric = 1; /* one place holds either end */
            if (!joined && !other_pos && (alt || sel))
                must &= ~(s | d); /* either end, not the pair */
            else if (other_pos && (alt || sel))
                must |= s | d; /* the pair in either order (a canonical key) */
        }
        ki->must |= must;
        ki->may |= ps[q].may;
    }
    if (nps == 0)
        ki->unknown = 1; /* nothing reached the key: cannot say */
}

/* Positional symmetry across the accesses of one table: the same place in
 * the key holds src in one access and dst in another (a reverse entry). */
int fm_keys_swap(nfctx *N, const tacc *acc, uint32_t n)
{
    for (int m = 0; m < 2; m++) {
        fm_fieldset s = fm_field_bit(mirror_pairs[m][0]), d = fm_field_bit(mirror_pairs[m][1]);
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t p = 0; p < acc[i].a->k.npos; p++) {
                keyinfo ki1;
                memset(&ki1, 0, sizeof ki1);
                unsigned f1 = 0, x, y;
                N->sm = acc[i].sm;
                for (uint32_t t = 0; t < acc[i].a->k.pos[p].val.n; t++)
                    classify_atom(N, acc[i].a->k.pos[p].val.v[t], &ki1, &f1, &x, &y);
                fm_strset_free(&ki1.other);
                if (!(f1 & s) || (f1 & d))
                    continue; /* only a clean src here can be swapped */
                for (uint32_t j = 0; j < n; j++)
                    for (uint32_t q = 0; q < acc[j].a->k.npos; q++) {
                        if (acc[j].a->k.pos[q].rel != acc[i].a->k.pos[p].rel)
                            continue;
                        keyinfo ki2;
                        memset(&ki2, 0, sizeof ki2);
                        unsigned f2 = 0;
                        N->sm = acc[j].sm;
                        for (uint32_t t = 0; t < acc[j].a->k.pos[q].val.n; t++)
                            classify_atom(N, acc[j].a->k.pos[q].val.v[t], &ki2, &f2, &x, &y);
                        fm_strset_free(&ki2.other);
                        if ((f2 & d) && !(f2 & s))
                            return 1;
                    }
            }
    }
    return 0;
}

int fm_keyinfo_equal(const keyinfo *a, const keyinfo *b)
{
    if (a->must != b->must || a->may != b->may || a->symmetric != b->symmetric ||
        a->unknown != b->unknown || a->opaque != b->opaque || a->other.n != b->other.n)
        return 0;
    for (size_t i = 0; i < a->other.n; i++)
        if (!fm_strset_has(&b->other, a->other.v[i]))
            return 0;
    return 1;
}

/* An index value as a one-position key. */
void fm_key_of_value(nfctx *N, const vset *v, keyinfo *ki)
{
    rec_access fake;
    memset(&fake, 0, sizeof fake);
    fm_key_of_access(N, &fake, v, ki);
}
