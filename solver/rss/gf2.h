/* flowmage — small dense linear algebra over GF(2), private to the solver.
 *
 * Sized for RSS keys: at most FM_GF2_MAXVARS unknowns (one per key bit of a
 * 64-byte key).  A system is kept in echelon form as rows are added (the row
 * whose lowest set column is c is stored at row[c]), so adding thousands of
 * mostly redundant equations costs little; the queries below first bring it
 * to reduced row-echelon form, after which every pivot variable is an
 * explicit XOR of free variables (plus the right-hand side). */
#ifndef FLOWMAGE_SOLVER_GF2_H
#define FLOWMAGE_SOLVER_GF2_H

#include <stddef.h>
#include <stdint.h>

#define FM_GF2_MAXVARS 512
#define FM_GF2_WORDS (FM_GF2_MAXVARS / 64)

typedef struct fm_gf2_vec {
    uint64_t w[FM_GF2_WORDS];
} fm_gf2_vec;

static inline void fm_gf2_vec_zero(fm_gf2_vec *v)
{
    for (int i = 0; i < FM_GF2_WORDS; i++)
        v->w[i] = 0;
}
static inline int fm_gf2_get(const fm_gf2_vec *v, unsigned i)
{
    return (int)((v->w[i >> 6] >> (i & 63)) & 1u);
}
static inline void fm_gf2_set(fm_gf2_vec *v, unsigned i, int bit)
{
    uint64_t m = (uint64_t)1 << (i & 63);
    if (bit)
        v->w[i >> 6] |= m;
    else
        v->w[i >> 6] &= ~m;
}
static inline void fm_gf2_flip(fm_gf2_vec *v, unsigned i)
{
    v->w[i >> 6] ^= (uint64_t)1 << (i & 63);
}
static inline void fm_gf2_xor(fm_gf2_vec *dst, const fm_gf2_vec *src)
{
    for (int i = 0; i < FM_GF2_WORDS; i++)
        dst->w[i] ^= src->w[i];
}
/* Index of the lowest set bit, or -1 for the zero vector. */
int fm_gf2_lowest(const fm_gf2_vec *v);

/* A linear system A x = b over GF(2) in nvars unknowns. */
typedef struct fm_gf2_sys {
    unsigned nvars;
    unsigned rank;
    int inconsistent;     /* some added equation reduced to 0 = 1 */
    int reduced;          /* in reduced row-echelon form */
    unsigned char has[FM_GF2_MAXVARS];  /* row[c] holds the pivot-c row */
    unsigned char rhs[FM_GF2_MAXVARS];
    fm_gf2_vec row[FM_GF2_MAXVARS];
} fm_gf2_sys;

/* nvars must be 1..FM_GF2_MAXVARS. */
fm_gf2_sys *fm_gf2_sys_new(unsigned nvars);
void fm_gf2_sys_free(fm_gf2_sys *s);

/* Add the equation coef . x = rhs.  Returns 1 if it was independent of the
 * rows so far, 0 if implied by them, -1 if it contradicts them (the system
 * is then marked inconsistent). */
int fm_gf2_sys_add(fm_gf2_sys *s, const fm_gf2_vec *coef, int rhs);

/* Convenience forms of the two equations RSS constraints need. */
int fm_gf2_sys_add_equal(fm_gf2_sys *s, unsigned a, unsigned b); /* x_a = x_b */
int fm_gf2_sys_add_value(fm_gf2_sys *s, unsigned a, int v);      /* x_a = v */

/* 1 if variable v has no pivot row (its value can be chosen freely). */
static inline int fm_gf2_sys_is_free(const fm_gf2_sys *s, unsigned v)
{
    return !s->has[v];
}

/* The solution whose free variables take their values from hint
 * (back-substitution).  Reduces the system first.  Returns -1 if the system
 * is inconsistent, else 0. */
int fm_gf2_sys_solve(fm_gf2_sys *s, const fm_gf2_vec *hint, fm_gf2_vec *x);

/* A basis of the null space (one vector per free variable: that variable
 * set, the pivot variables that follow it set accordingly).  out must hold
 * nvars - rank vectors; returns how many were written.  Adding any of them
 * to a solution gives another solution. */
unsigned fm_gf2_sys_null_basis(fm_gf2_sys *s, fm_gf2_vec *out);

/* A solution close to target in Hamming distance: start from the
 * back-substituted solution with free variables copied from target, then
 * flip null-space basis vectors while each flip strictly lowers the
 * distance.  Exact (the nearest solution) when every variable occurs in at
 * most one basis vector, which is the case for systems of equalities and
 * fixed values; a local optimum otherwise.  Returns -1 if inconsistent. */
int fm_gf2_sys_nearest(fm_gf2_sys *s, const fm_gf2_vec *target, fm_gf2_vec *x);

/* Rank of n vectors of at most 32 bits each (destroys nothing). */
unsigned fm_gf2_rank32(const uint32_t *v, size_t n);

#endif
