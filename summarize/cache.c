/* The summary cache: one summary per function and NF context, computed
 * on demand; recursion iterates to a fixpoint, cycle members are reused
 * within their head's round. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

void fm_an_trace_slow(an *A, const fm_func *f, double seconds);

/* ---- the summary cache, with recursion ---- */

static uint32_t cache_hash(const fm_func *f, int32_t ctx)
{
    uint64_t h = (uint64_t)(uintptr_t)f * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(ctx + 2) * 0xC2B2AE3D27D4EB4FULL;
    return (uint32_t)(h ^ (h >> 29));
}

static int cache_find(an *A, const fm_func *f, int32_t ctx)
{
    if (!A->ncache_slots)
        return -1;
    uint32_t h = cache_hash(f, ctx) & (A->ncache_slots - 1);
    while (A->cache_slots[h]) {
        sentry *e = &A->cache[(A->cache_slots[h] - 1) & 0x7fffffff];
        uint32_t v = A->cache_slots[h] - 1;
        /* slots store entry index; the alias bit says "context-free alias" */
        int32_t kctx = (v & 0x80000000u) ? -1 : e->ctx;
        if (e->f == f && kctx == ctx)
            return (int)(v & 0x7fffffff);
        h = (h + 1) & (A->ncache_slots - 1);
    }
    return -1;
}

static void cache_put(an *A, const fm_func *f, int32_t ctx, uint32_t idx, int alias)
{
    if ((A->ncache_keys + 1) * 2 > A->ncache_slots) {
        uint32_t ns = A->ncache_slots ? A->ncache_slots * 2 : 4096;
        uint32_t *slots = fm_xcalloc(ns, sizeof *slots);
        for (uint32_t i = 0; i < A->ncache_slots; i++) {
            if (!A->cache_slots[i])
                continue;
            uint32_t v = A->cache_slots[i] - 1;
            const sentry *e = &A->cache[v & 0x7fffffff];
            int32_t kctx = (v & 0x80000000u) ? -1 : e->ctx;
            uint32_t h = cache_hash(e->f, kctx) & (ns - 1);
            while (slots[h])
                h = (h + 1) & (ns - 1);
            slots[h] = A->cache_slots[i];
        }
        free(A->cache_slots);
        A->cache_slots = slots;
        A->ncache_slots = ns;
    }
    uint32_t h = cache_hash(f, ctx) & (A->ncache_slots - 1);
    while (A->cache_slots[h])
        h = (h + 1) & (A->ncache_slots - 1);
    A->cache_slots[h] = (idx | (alias ? 0x80000000u : 0)) + 1;
    A->ncache_keys++;
}

static const summary empty_summary;

static long summary_size(const summary *s)
{
    long n = s->ret.n + s->nstores + s->nacc + s->nidx + s->ntouch;
    for (uint32_t i = 0; i < s->nstores; i++)
        n += s->stores[i].val.n;
    for (uint32_t i = 0; i < s->nacc; i++) {
        n += s->acc[i].k.unresolved.n + s->acc[i].k.npos;
        for (uint32_t p = 0; p < s->acc[i].k.npos; p++)
            n += s->acc[i].k.pos[p].val.n;
    }
    for (uint32_t i = 0; i < s->nidx; i++)
        n += s->idx[i].idx.n;
    return n;
}

void fm_an_forget_ctx(an *A, int32_t ctx, uint32_t from)
{
    for (uint32_t i = from; i < A->ncache; i++) {
        sentry *e = &A->cache[i];
        if (e->ctx != ctx || e->state == SE_NONE || cache_find(A, e->f, -1) == (int)i)
            continue; /* another NF's, or shared by every NF */
        fm_fsum_free(&e->s);
        memset(&e->s, 0, sizeof e->s);
        e->state = SE_NONE;
    }
}

/* The caller on the stack learns that it depends on a frame at depth d. */
static void lower_top(an *A, int d)
{
    if (A->depth > 0) {
        sentry *top = &A->cache[A->stack[A->depth - 1].entry];
        if (d < top->low)
            top->low = d;
    }
}

/* What the cache already answers for entry i, or NULL to (re)compute. */
static const summary *cached(an *A, const fm_func *f, int i)
{
    sentry *e = &A->cache[i];
    if (e->state == SE_DONE)
        return &e->s;
    if (e->state == SE_BUSY) {
        /* recursion: use what we have; the head iterates */
        e->used_partial = 1;
        lower_top(A, e->depth);
        return &e->s;
    }
    if (e->state == SE_TENTATIVE && !e->cut) {
        /* a cycle member computed in its head's current round is reused
         * until the head iterates again; one computed in the head's last
         * round is as final as the head */
        sentry *h = &A->cache[e->head];
        if (h->round == e->head_round && h->state == SE_DONE) {
            e->state = SE_DONE;
            if (!e->s.ctx_dependent && cache_find(A, f, -1) < 0)
                cache_put(A, f, -1, (uint32_t)i, 1);
            return &A->cache[i].s;
        }
        if (h->round == e->head_round && h->state == SE_BUSY) {
            lower_top(A, h->depth);
            return &e->s;
        }
    }
    return NULL; /* tentative: recompute, reusing the entry */
}

static int new_entry(an *A, const fm_func *f)
{
    if (A->ncache == A->capcache) {
        A->capcache = A->capcache ? A->capcache * 2 : 1024;
        A->cache = fm_xrealloc(A->cache, A->capcache * sizeof *A->cache);
    }
    int i = (int)A->ncache++;
    memset(&A->cache[i], 0, sizeof A->cache[i]);
    A->cache[i].f = f;
    A->cache[i].ctx = A->ctx;
    cache_put(A, f, A->ctx, (uint32_t)i, 0);
    return i;
}

/* Analyse f into entry i until a recursion through it stops growing. */
static void analyse_rounds(an *A, const fm_func *f, int i)
{
    long prev = -1;
    for (int round = 0;; round++) {
        summary s;
        memset(&s, 0, sizeof s);
        A->cache[i].used_partial = 0;
        A->cache[i].round = ++A->rounds;
        fm_fa_analyse(A, f, &s);
        long size = summary_size(&s);
        fm_fsum_free(&A->cache[i].s);
        A->cache[i].s = s;
        A->cache[i].version++; /* calls that applied the old one apply it again */
        if (!A->cache[i].used_partial || size == prev)
            return;
        if (round + 1 >= A->lim.recursion) {
            char note[600];
            snprintf(note, sizeof note, "recursion through %s did not converge: facts incomplete",
                     f->printable);
            fm_strset_add(&A->cache[i].s.notes, note);
            return;
        }
        prev = size;
    }
}

/* Entry i, just analysed at depth: final, or tentative within a cycle. */
static void settle(an *A, const fm_func *f, int i, int depth)
{
    sentry *e = &A->cache[i];
    if (A->over_budget) {
        e->state = SE_TENTATIVE; /* cut short: never reuse it */
        e->cut = 1;
    } else if (e->low < depth) {
        e->state = SE_TENTATIVE; /* part of a cycle headed further up */
        e->cut = 0;
        e->head = A->stack[e->low - 1].entry;
        e->head_round = A->cache[e->head].round;
        lower_top(A, e->low);
    } else {
        e->state = SE_DONE;
        if (!e->s.ctx_dependent && cache_find(A, f, -1) < 0)
            cache_put(A, f, -1, (uint32_t)i, 1);
    }
}

const summary *fm_an_summary(an *A, const fm_func *f)
{
    /* a context-free summary serves every context; otherwise the one
     * computed for this NF class (or for "no NF", -2) */
    A->last_entry = -1;
    int i = cache_find(A, f, -1);
    if (i < 0)
        i = cache_find(A, f, A->ctx);
    if (i >= 0) {
        const summary *s = cached(A, f, i);
        if (s) {
            A->last_entry = i;
            return s;
        }
    }
    if (A->over_budget)
        return &empty_summary; /* give up on this path: the NF is marked */
    if (A->depth >= A->lim.call_depth)
        return NULL; /* the caller treats it as a call it cannot follow */
    if (i < 0)
        i = new_entry(A, f);
    if ((uint32_t)A->depth >= A->capstack) {
        A->capstack = A->capstack ? A->capstack * 2 : 64;
        A->stack = fm_xrealloc(A->stack, A->capstack * sizeof *A->stack);
    }
    int depth = ++A->depth;
    A->stack[depth - 1].entry = (uint32_t)i;
    A->cache[i].state = SE_BUSY;
    A->cache[i].depth = depth;
    A->cache[i].low = depth;
    /* clock() is a system call: only when the trace asks for it */
    clock_t t0 = A->trace_slow >= 0 ? clock() : 0;
    analyse_rounds(A, f, i);
    if (A->trace_slow >= 0)
        fm_an_trace_slow(A, f, (double)(clock() - t0) / CLOCKS_PER_SEC);
    A->depth--;
    settle(A, f, i, depth);
    A->last_entry = i;
    return &A->cache[i].s;
}
