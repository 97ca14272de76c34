/* Dense linear algebra over GF(2) for RSS key synthesis (see gf2.h). */
#include "gf2.h"

#include <stdlib.h>
#include <string.h>

#include "flowmage/common.h"

int fm_gf2_lowest(const fm_gf2_vec *v)
{
    for (int i = 0; i < FM_GF2_WORDS; i++)
        if (v->w[i])
            return i * 64 + __builtin_ctzll(v->w[i]);
    return -1;
}

fm_gf2_sys *fm_gf2_sys_new(unsigned nvars)
{
    fm_gf2_sys *s = fm_xcalloc(1, sizeof *s);
    s->nvars = nvars > FM_GF2_MAXVARS ? FM_GF2_MAXVARS : nvars;
    s->reduced = 1;
    return s;
}

void fm_gf2_sys_free(fm_gf2_sys *s)
{
    free(s);
}

int fm_gf2_sys_add(fm_gf2_sys *s, const fm_gf2_vec *coef, int rhs)
{
    fm_gf2_vec v = *coef;
    int b = rhs & 1;
    for (unsigned i = s->nvars; i < FM_GF2_MAXVARS; i++) /* outside the system */
        fm_gf2_set(&v, i, 0);
    /* Rows keep their pivot as their lowest set column, so each reduction
     * step clears v's lowest column and only touches higher ones. */
    for (;;) {
        int c = fm_gf2_lowest(&v);
        if (c < 0) {
            if (b) {
                s->inconsistent = 1;
                return -1;
            }
            return 0;
        }
        if (!s->has[c]) {
            s->row[c] = v;
            s->rhs[c] = (unsigned char)b;
            s->has[c] = 1;
            s->rank++;
            s->reduced = 0;
            return 1;
        }
        fm_gf2_xor(&v, &s->row[c]);
        b ^= s->rhs[c];
    }
}

int fm_gf2_sys_add_equal(fm_gf2_sys *s, unsigned a, unsigned b)
{
    if (a == b)
        return 0;
    fm_gf2_vec v;
    fm_gf2_vec_zero(&v);
    fm_gf2_set(&v, a, 1);
    fm_gf2_set(&v, b, 1);
    return fm_gf2_sys_add(s, &v, 0);
}

int fm_gf2_sys_add_value(fm_gf2_sys *s, unsigned a, int val)
{
    fm_gf2_vec v;
    fm_gf2_vec_zero(&v);
    fm_gf2_set(&v, a, 1);
    return fm_gf2_sys_add(s, &v, val);
}

static void sys_reduce(fm_gf2_sys *s)
{
    if (s->reduced)
        return;
    /* Descending pivots: when row c is used, every higher pivot has already
     * been cleared from it, so it holds c plus free columns only. */
    for (int c = (int)s->nvars - 1; c >= 0; c--) {
        if (!s->has[c])
            continue;
        for (int r = 0; r < c; r++)
            if (s->has[r] && fm_gf2_get(&s->row[r], (unsigned)c)) {
                fm_gf2_xor(&s->row[r], &s->row[c]);
                s->rhs[r] ^= s->rhs[c];
            }
    }
    s->reduced = 1;
}

int fm_gf2_sys_solve(fm_gf2_sys *s, const fm_gf2_vec *hint, fm_gf2_vec *x)
{
    if (s->inconsistent)
        return -1;
    sys_reduce(s);
    fm_gf2_vec_zero(x);
    for (unsigned v = 0; v < s->nvars; v++)
        if (!s->has[v] && fm_gf2_get(hint, v))
            fm_gf2_set(x, v, 1);
    for (unsigned c = 0; c < s->nvars; c++) {
        if (!s->has[c])
            continue;
        /* row . x = rhs with x_c still 0 and all pivots other than c absent
         * from the row: x_c = rhs + (row . x). */
        unsigned par = s->rhs[c];
        for (int i = 0; i < FM_GF2_WORDS; i++)
            par ^= (unsigned)__builtin_parityll(s->row[c].w[i] & x->w[i]);
        fm_gf2_set(x, c, (int)(par & 1));
    }
    return 0;
}

unsigned fm_gf2_sys_null_basis(fm_gf2_sys *s, fm_gf2_vec *out)
{
    sys_reduce(s);
    unsigned n = 0;
    for (unsigned f = 0; f < s->nvars; f++) {
        if (s->has[f])
            continue;
        fm_gf2_vec *v = &out[n++];
        fm_gf2_vec_zero(v);
        fm_gf2_set(v, f, 1);
        for (unsigned c = 0; c < s->nvars; c++)
            if (s->has[c] && fm_gf2_get(&s->row[c], f))
                fm_gf2_set(v, c, 1);
    }
    return n;
}

int fm_gf2_sys_nearest(fm_gf2_sys *s, const fm_gf2_vec *target, fm_gf2_vec *x)
{
    if (fm_gf2_sys_solve(s, target, x) < 0)
        return -1;
    unsigned nfree = s->nvars - s->rank;
    if (nfree == 0)
        return 0;
    fm_gf2_vec *basis = fm_xmalloc(nfree * sizeof *basis);
    nfree = fm_gf2_sys_null_basis(s, basis);
    /* Coordinate descent: flipping basis vector v changes exactly the
     * positions in v, so it helps iff more of them disagree with the target
     * than agree.  Each accepted flip lowers the distance: terminates. */
    for (int changed = 1; changed;) {
        changed = 0;
        for (unsigned k = 0; k < nfree; k++) {
            unsigned wt = 0, bad = 0;
            for (int i = 0; i < FM_GF2_WORDS; i++) {
                uint64_t m = basis[k].w[i];
                wt += (unsigned)__builtin_popcountll(m);
                bad += (unsigned)__builtin_popcountll(m & (x->w[i] ^ target->w[i]));
            }
            if (2 * bad > wt) {
                fm_gf2_xor(x, &basis[k]);
                changed = 1;
            }
        }
    }
    free(basis);
    return 0;
}

unsigned fm_gf2_rank32(const uint32_t *v, size_t n)
{
    uint32_t piv[32] = {0}; /* piv[b]: reduced vector whose top bit is b */
    unsigned rank = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = v[i];
        while (x) {
            int b = 31 - __builtin_clz(x);
            if (!piv[b]) {
                piv[b] = x;
                rank++;
                break;
            }
            x ^= piv[b];
        }
    }
    return rank;
}
