/* GF(2) linear algebra behind Toeplitz key synthesis (solver/rss/gf2.h, private).
 *
 * Checks: solutions of random systems satisfy every equation; rank and
 * redundancy reporting; inconsistency detection; the null-space basis; the
 * nearest solution of equality/fixed-value systems equals the brute-force
 * optimum on small systems; fm_gf2_rank32 against a slow rank. */
#include "check.h"

#include <stdint.h>
#include <string.h>

#include "solver/rss/gf2.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int dot(const fm_gf2_vec *a, const fm_gf2_vec *b)
{
    int p = 0;
    for (int i = 0; i < FM_GF2_WORDS; i++)
        p ^= __builtin_parityll(a->w[i] & b->w[i]);
    return p;
}

static void rand_vec(fm_gf2_vec *v, unsigned nvars, unsigned density)
{
    fm_gf2_vec_zero(v);
    for (unsigned i = 0; i < nvars; i++)
        if (rnd() % 100 < density)
            fm_gf2_set(v, i, 1);
}

/* Random consistent systems (built from a planted solution): solve gives a
 * solution, rank is what independent additions reported, every null-basis
 * vector solves the homogeneous system. */
static void test_random_systems(void)
{
    unsigned bad_sol = 0, bad_null = 0, bad_rank = 0, bad_hint = 0;
    static fm_gf2_vec eq[600], basis[FM_GF2_MAXVARS];
    static int rhs[600];
    for (int round = 0; round < 30; round++) {
        unsigned nvars = 1 + (unsigned)(rnd() % FM_GF2_MAXVARS);
        unsigned neq = (unsigned)(rnd() % 600);
        fm_gf2_vec planted;
        rand_vec(&planted, nvars, 50);
        fm_gf2_sys *s = fm_gf2_sys_new(nvars);
        unsigned indep = 0;
        for (unsigned e = 0; e < neq; e++) {
            rand_vec(&eq[e], nvars, round % 2 ? 3 : 40);
            rhs[e] = dot(&eq[e], &planted);
            int r = fm_gf2_sys_add(s, &eq[e], rhs[e]);
            indep += r == 1;
            CHECK(r >= 0, "consistent system reported inconsistent");
        }
        bad_rank += indep != s->rank || s->rank > nvars;
        fm_gf2_vec hint, x;
        rand_vec(&hint, nvars, 50);
        CHECK(fm_gf2_sys_solve(s, &hint, &x) == 0, "solve failed");
        for (unsigned e = 0; e < neq; e++)
            bad_sol += dot(&eq[e], &x) != rhs[e];
        /* Free variables keep the hint's values. */
        for (unsigned v = 0; v < nvars; v++)
            if (fm_gf2_sys_is_free(s, v))
                bad_hint += fm_gf2_get(&x, v) != fm_gf2_get(&hint, v);
        unsigned n = fm_gf2_sys_null_basis(s, basis);
        bad_rank += n != nvars - s->rank;
        for (unsigned k = 0; k < n; k++)
            for (unsigned e = 0; e < neq; e++)
                bad_null += dot(&eq[e], &basis[k]) != 0;
        fm_gf2_sys_free(s);
    }
    CHECK_INT(bad_sol, 0);
    CHECK_INT(bad_null, 0);
    CHECK_INT(bad_rank, 0);
    CHECK_INT(bad_hint, 0);
}

static void test_inconsistent(void)
{
    fm_gf2_sys *s = fm_gf2_sys_new(8);
    CHECK_INT(fm_gf2_sys_add_equal(s, 0, 1), 1);
    CHECK_INT(fm_gf2_sys_add_equal(s, 1, 2), 1);
    CHECK_INT(fm_gf2_sys_add_equal(s, 0, 2), 0); /* implied */
    CHECK_INT(fm_gf2_sys_add_equal(s, 3, 3), 0); /* trivial */
    CHECK_INT(fm_gf2_sys_add_value(s, 0, 1), 1);
    CHECK_INT(fm_gf2_sys_add_value(s, 2, 0), -1); /* x0 = x2 = 1 */
    fm_gf2_vec hint, x;
    fm_gf2_vec_zero(&hint);
    CHECK_INT(fm_gf2_sys_solve(s, &hint, &x), -1);
    CHECK_INT(fm_gf2_sys_nearest(s, &hint, &x), -1);
    fm_gf2_sys_free(s);
}

/* Systems of equalities and fixed values on n <= 14 variables: nearest()
 * must reach the exact minimum distance, found by enumerating all 2^n
 * assignments. */
static void test_nearest_exact(void)
{
    unsigned worse = 0, invalid = 0;
    for (int round = 0; round < 200; round++) {
        unsigned n = 2 + (unsigned)(rnd() % 13);
        unsigned m = (unsigned)(rnd() % (n + 3));
        unsigned a[20], b[20], kind[20];
        fm_gf2_sys *s = fm_gf2_sys_new(n);
        for (unsigned e = 0; e < m; e++) {
            a[e] = (unsigned)(rnd() % n);
            b[e] = (unsigned)(rnd() % n);
            kind[e] = rnd() % 5 == 0; /* 1: x_a = 0, else x_a = x_b */
            if (kind[e])
                fm_gf2_sys_add_value(s, a[e], 0);
            else
                fm_gf2_sys_add_equal(s, a[e], b[e]);
        }
        fm_gf2_vec target, x;
        rand_vec(&target, n, 50);
        CHECK(fm_gf2_sys_nearest(s, &target, &x) == 0, "nearest failed");
        unsigned best = ~0u;
        uint32_t tgt = (uint32_t)target.w[0];
        for (uint32_t c = 0; c < (1u << n); c++) {
            int ok = 1;
            for (unsigned e = 0; e < m && ok; e++)
                ok = kind[e] ? !((c >> a[e]) & 1) : ((c >> a[e]) & 1) == ((c >> b[e]) & 1);
            if (ok && (unsigned)__builtin_popcount(c ^ tgt) < best)
                best = (unsigned)__builtin_popcount(c ^ tgt);
        }
        uint32_t got = (uint32_t)x.w[0];
        for (unsigned e = 0; e < m; e++)
            invalid += kind[e] ? (got >> a[e]) & 1 : ((got >> a[e]) & 1) != ((got >> b[e]) & 1);
        worse += (unsigned)__builtin_popcount(got ^ tgt) != best;
        fm_gf2_sys_free(s);
    }
    CHECK_INT(invalid, 0);
    CHECK_INT(worse, 0);
}

static unsigned slow_rank(const uint32_t *v, size_t n)
{
    uint32_t m[64];
    memcpy(m, v, n * sizeof *v);
    unsigned r = 0;
    for (int bit = 31; bit >= 0; bit--) {
        size_t p = r;
        while (p < n && !((m[p] >> bit) & 1))
            p++;
        if (p == n)
            continue;
        uint32_t t = m[p];
        m[p] = m[r];
        m[r] = t;
        for (size_t i = 0; i < n; i++)
            if (i != r && ((m[i] >> bit) & 1))
                m[i] ^= m[r];
        r++;
    }
    return r;
}

static void test_rank32(void)
{
    unsigned bad = 0;
    for (int round = 0; round < 2000; round++) {
        uint32_t v[64];
        size_t n = (size_t)(rnd() % 64);
        uint32_t mask = (uint32_t)rnd();
        for (size_t i = 0; i < n; i++)
            v[i] = (uint32_t)rnd() & mask & (uint32_t)rnd();
        bad += fm_gf2_rank32(v, n) != slow_rank(v, n);
    }
    CHECK_INT(bad, 0);
    uint32_t id[32];
    for (int i = 0; i < 32; i++)
        id[i] = 1u << i;
    CHECK_INT(fm_gf2_rank32(id, 32), 32);
}

int main(void)
{
    test_random_systems();
    test_inconsistent();
    test_nearest_exact();
    test_rank32();
    return fm_t_done("test_toeplitz_gf2",
                     "GF(2) solve/rank/null space on random systems, "
                     "inconsistency, exact nearest solution vs brute force, rank32");
}
