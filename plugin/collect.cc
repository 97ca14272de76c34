/* Per-function facts: GIMPLE (right after SSA construction) translated into
 * the events of include/flowmage/section.h.  Register (SSA) data flow is
 * collapsed here into "origins": for every operand, the set of parameters,
 * events (loads, calls, address computations), locals, globals and strings
 * its value can come from, with flags saying how the value was transformed
 * on the way.  Memory stays explicit (loads and stores with access paths),
 * so the reader can model it interprocedurally.  Read-only: the IL is never
 * changed; a tree this file does not understand is skipped and counted. */
#include "gcc-common.h"

#include "flowmage/section.h"
#include "fm.h"

/* ---- origin sets: sorted arrays of packed (index << 9 | flags << 4 | kind) */

struct oset {
    uint32_t *v;
    unsigned n, cap;
};
#define OSET_MAX 512u

static bool fn_truncated;

static uint32_t pack(unsigned kind, unsigned flags, unsigned index)
{
    return (index << 9) | ((flags & 0x1f) << 4) | (kind & 0xf);
}

static bool oset_add(oset *s, uint32_t x)
{
    unsigned lo = 0, hi = s->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (s->v[mid] == x)
            return false;
        if (s->v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (s->n >= OSET_MAX) {
        fn_truncated = true;
        return false;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->v = XRESIZEVEC(uint32_t, s->v, s->cap);
    }
    memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof *s->v);
    s->v[lo] = x;
    s->n++;
    return true;
}

enum xform { X_PASS, X_MASK, X_MIX, X_SYMJOIN, X_SELECT, X_ZEROTEST };

/* Only the first transforming operation after an origin decides whether a
 * value is a prefix (masked) or a hash (mixed); see docs/facts.md. */
static uint32_t apply(uint32_t e, xform x)
{
    unsigned f = (e >> 4) & 0x1f;
    switch (x) {
    case X_PASS:
        break;
    case X_MASK:
        /* a mask on a joined or hashed value picks a bucket, not a prefix */
        if (!(f & (FM_OF_MASKED | FM_OF_MIXED | FM_OF_SYMJOIN)))
            f |= FM_OF_MASKED;
        break;
    case X_MIX:
        f |= FM_OF_MIXED;
        break;
    case X_SYMJOIN:
        if (!(f & FM_OF_MIXED))
            f |= FM_OF_SYMJOIN;
        break;
    case X_SELECT:
        f |= FM_OF_SELECT;
        break;
    case X_ZEROTEST:
        /* "is it zero" of a plain value; of anything else, a mix */
        f |= f ? FM_OF_MIXED : FM_OF_ZEROTEST;
        break;
    }
    return (e & ~0x1f0u) | (f << 4);
}

static bool oset_union(oset *dst, const oset *src, xform x)
{
    bool changed = false;
    /* src may alias dst (a phi feeding itself): iterate over a snapshot */
    unsigned n = src->n;
    uint32_t stack_copy[64];
    uint32_t *copy = n <= 64 ? stack_copy : XNEWVEC(uint32_t, n);
    memcpy(copy, src->v, n * sizeof *copy);
    for (unsigned i = 0; i < n; i++)
        changed |= oset_add(dst, apply(copy[i], x));
    if (copy != stack_copy)
        free(copy);
    return changed;
}

static void oset_free(oset *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* ---- per-function state ---- */

/* An operand is resolved to an origin set after the SSA fixpoint: either a
 * tree, or one origin known when the event was made. */
struct opref {
    tree t;
    uint32_t direct; /* packed origin, used when t is NULL (0 = none) */
};

struct pathel {
    unsigned rec, field; /* string indices; 0/0 is an array element */
};

struct event {
    unsigned kind, line, flags;
    basic_block bb;
    /* access (LOAD, STORE, ADDR) */
    opref base;
    pathel *path;
    unsigned npath;
    tree *index;
    unsigned nindex;
    /* STORE value, RET value, PTRADD base/offset, COND lhs/rhs */
    opref a, b;
    /* CALL */
    unsigned call_kind, callee, vclass, vslot;
    opref target; /* object (virtual) or pointer (indirect) */
    opref *args;
    unsigned nargs;
    unsigned cmp, cond_flags;
    gasm *asm_stmt; /* STORE by an asm: its value is the asm's (asm_value) */
};

struct local_rec {
    tree decl;
    unsigned name, type1, flags;
};

static struct {
    function *fun;
    event *ev;
    unsigned nev, capev;
    oset *ssa;            /* by SSA version */
    bool *ev_def;         /* SSA version defined by an event (load, call, ...) */
    unsigned nssa;
    local_rec *locals;
    unsigned nlocals, caplocals;
    tree *memo_tree;      /* operand tree -> event, for loads/addresses */
    unsigned *memo_ev;
    unsigned nmemo, capmemo;
    gimple *cur;          /* statement being translated */
    basic_block cur_bb;
} F;

static fm_wbuf fn_records; /* serialised definitions of the unit */
fm_counters fm_stats;

void fm_skip(const char *what)
{
    (void)what;
    fm_stats.skipped++;
}

static unsigned line_of(gimple *g)
{
    location_t loc = g ? gimple_location(g) : UNKNOWN_LOCATION;
    return loc == UNKNOWN_LOCATION ? 0 : (unsigned)LOCATION_LINE(loc);
}

static unsigned new_event(unsigned kind)
{
    if (F.nev == F.capev) {
        F.capev = F.capev ? F.capev * 2 : 64;
        F.ev = XRESIZEVEC(event, F.ev, F.capev);
    }
    event *e = &F.ev[F.nev];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->bb = F.cur_bb;
    e->line = line_of(F.cur);
    return F.nev++;
}

static unsigned param_index(tree parm)
{
    unsigned i = 0;
    for (tree p = DECL_ARGUMENTS(F.fun->decl); p; p = DECL_CHAIN(p), i++)
        if (p == parm)
            return i;
    return 0;
}

static unsigned local_index(tree decl)
{
    for (unsigned i = 0; i < F.nlocals; i++)
        if (F.locals[i].decl == decl)
            return i;
    if (F.nlocals == F.caplocals) {
        F.caplocals = F.caplocals ? F.caplocals * 2 : 16;
        F.locals = XRESIZEVEC(local_rec, F.locals, F.caplocals);
    }
    local_rec *l = &F.locals[F.nlocals];
    l->decl = decl;
    l->name = DECL_NAME(decl) ? fm_str(IDENTIFIER_POINTER(DECL_NAME(decl)))
                              : fm_str(TREE_CODE(decl) == RESULT_DECL ? "$result" : "$tmp");
    tree t = TREE_TYPE(decl);
    l->type1 = t && RECORD_OR_UNION_TYPE_P(t) ? fm_type_index(t) + 1 : 0;
    l->flags = (TREE_ADDRESSABLE(decl) ? FM_LOCAL_ADDRESSED : 0) |
               (t && AGGREGATE_TYPE_P(t) ? FM_LOCAL_AGGREGATE : 0) |
               (TREE_CODE(decl) == RESULT_DECL ? FM_LOCAL_RESULT : 0);
    return F.nlocals++;
}

static bool is_local_var(tree decl)
{
    return VAR_P(decl) && !TREE_STATIC(decl) && !DECL_EXTERNAL(decl) &&
           DECL_CONTEXT(decl) && TREE_CODE(DECL_CONTEXT(decl)) == FUNCTION_DECL;
}

/* The storage a declaration names, as an origin (0 if none). */
static uint32_t decl_origin(tree decl)
{
    switch (TREE_CODE(decl)) {
    case VAR_DECL:
        if (is_local_var(decl))
            return pack(FM_OR_LOCAL, 0, local_index(decl));
        return pack(FM_OR_GLOBAL, 0, fm_global_index(decl));
    case PARM_DECL:
        return pack(FM_OR_PARAMADDR, 0, param_index(decl));
    case RESULT_DECL:
        return pack(FM_OR_LOCAL, 0, local_index(decl));
    case STRING_CST: {
        tree et = TREE_TYPE(TREE_TYPE(decl));
        if (et && TYPE_SIZE_UNIT(et) && integer_onep(TYPE_SIZE_UNIT(et))) {
            int len = TREE_STRING_LENGTH(decl);
            const char *s = TREE_STRING_POINTER(decl);
            while (len > 0 && s[len - 1] == 0)
                len--;
            return pack(FM_OR_STR, 0, fm_strn(s, len > 200 ? 200 : len));
        }
        return 0;
    }
    default:
        return 0;
    }
}

static bool is_memory_ref(tree t)
{
    if (!t)
        return false;
    if (handled_component_p(t) || TREE_CODE(t) == MEM_REF || TREE_CODE(t) == TARGET_MEM_REF)
        return true;
    if (TREE_CODE(t) == VAR_DECL || TREE_CODE(t) == PARM_DECL || TREE_CODE(t) == RESULT_DECL)
        return !is_gimple_reg(t);
    return false;
}

static int memo_find(tree t)
{
    for (unsigned i = F.nmemo; i-- > 0;)
        if (F.memo_tree[i] == t)
            return (int)F.memo_ev[i];
    return -1;
}

static void memo_put(tree t, unsigned ev)
{
    if (F.nmemo == F.capmemo) {
        F.capmemo = F.capmemo ? F.capmemo * 2 : 64;
        F.memo_tree = XRESIZEVEC(tree, F.memo_tree, F.capmemo);
        F.memo_ev = XRESIZEVEC(unsigned, F.memo_ev, F.capmemo);
    }
    F.memo_tree[F.nmemo] = t;
    F.memo_ev[F.nmemo++] = ev;
}

/* Decompose a memory reference into base, member path and indices. */
static void fill_access(unsigned evi, tree ref)
{
    pathel rev[32];
    unsigned nrev = 0;
    tree idx[8];
    unsigned nidx = 0;
    unsigned flags = 0;
    tree rtype = TREE_TYPE(ref);
    if (rtype && AGGREGATE_TYPE_P(rtype))
        flags |= FM_ACC_AGGREGATE;
    if (rtype && POINTER_TYPE_P(rtype))
        flags |= FM_ACC_POINTER;
    if (TREE_THIS_VOLATILE(ref))
        flags |= FM_ACC_VOLATILE;
    opref base = {NULL_TREE, 0};
    tree t = ref;
    for (;;) {
        enum tree_code c = TREE_CODE(t);
        if (c == COMPONENT_REF) {
            tree field = TREE_OPERAND(t, 1);
            tree rec = DECL_CONTEXT(field);
            if (nrev < 32 && rec) {
                fm_type_index(rec);
                bool is_base = DECL_ARTIFICIAL(field) && !DECL_NAME(field) &&
                               RECORD_OR_UNION_TYPE_P(TREE_TYPE(field));
                rev[nrev].rec = fm_str(fm_type_key(rec));
                rev[nrev].field = is_base ? fm_str("$base")
                                  : DECL_NAME(field) ? fm_str(IDENTIFIER_POINTER(DECL_NAME(field)))
                                                     : fm_str("$anon");
                nrev++;
            }
            if (DECL_BIT_FIELD(field))
                flags |= FM_ACC_BITFIELD;
            t = TREE_OPERAND(t, 0);
        } else if (c == ARRAY_REF || c == ARRAY_RANGE_REF) {
            tree i = TREE_OPERAND(t, 1);
            if (TREE_CODE(i) != INTEGER_CST) {
                flags |= FM_ACC_INDEXED;
                if (nidx < 8)
                    idx[nidx++] = i;
            }
            if (nrev < 32)
                rev[nrev].rec = rev[nrev].field = 0, nrev++;
            t = TREE_OPERAND(t, 0);
        } else if (c == BIT_FIELD_REF || c == REALPART_EXPR || c == IMAGPART_EXPR ||
                   c == VIEW_CONVERT_EXPR) {
            t = TREE_OPERAND(t, 0);
        } else if (c == MEM_REF || c == TARGET_MEM_REF) {
            tree p = TREE_OPERAND(t, 0);
            if (TREE_CODE(p) == ADDR_EXPR && DECL_P(TREE_OPERAND(p, 0))) {
                base.direct = decl_origin(TREE_OPERAND(p, 0));
            } else {
                base.t = p;
                flags |= FM_ACC_DEREF;
            }
            break;
        } else if (DECL_P(t) || c == STRING_CST) {
            base.direct = decl_origin(t);
            break;
        } else {
            fm_skip("access base");
            base.direct = pack(FM_OR_UNKNOWN, 0, 0); /* somewhere: never nowhere */
            break;
        }
    }
    event *e = &F.ev[evi];
    e->base = base;
    e->flags |= flags;
    e->npath = nrev;
    e->path = XNEWVEC(pathel, nrev ? nrev : 1);
    for (unsigned i = 0; i < nrev; i++)
        e->path[i] = rev[nrev - 1 - i];
    e->nindex = nidx;
    e->index = XNEWVEC(tree, nidx ? nidx : 1);
    memcpy(e->index, idx, nidx * sizeof *idx);
}

/* Make (or find) the event that produces an operand's value, when the
 * operand is a memory read or an address computation. */
static void prepare_operand(tree t)
{
    if (!t)
        return;
    if (TREE_CODE(t) == ADDR_EXPR) {
        tree inner = TREE_OPERAND(t, 0);
        if (DECL_P(inner) || TREE_CODE(inner) == STRING_CST)
            return;
        if (memo_find(t) >= 0)
            return;
        unsigned k = new_event(FM_EV_ADDR);
        memo_put(t, k);
        fill_access(k, inner);
    } else if (is_memory_ref(t)) {
        if (memo_find(t) >= 0)
            return;
        unsigned k = new_event(FM_EV_LOAD);
        memo_put(t, k);
        fill_access(k, t);
    }
}

/* The origins of an operand (after phase A; SSA sets may still grow). */
static void operand_origins(tree t, oset *out)
{
    if (!t)
        return;
    switch (TREE_CODE(t)) {
    case SSA_NAME:
        if (SSA_NAME_IS_DEFAULT_DEF(t)) {
            tree v = SSA_NAME_VAR(t);
            if (v && TREE_CODE(v) == PARM_DECL)
                oset_add(out, pack(FM_OR_PARAM, 0, param_index(v)));
            else if (v && TREE_CODE(v) == RESULT_DECL)
                oset_add(out, pack(FM_OR_LOCAL, 0, local_index(v)));
            return;
        }
        if (SSA_NAME_VERSION(t) < F.nssa)
            oset_union(out, &F.ssa[SSA_NAME_VERSION(t)], X_PASS);
        return;
    case ADDR_EXPR: {
        tree inner = TREE_OPERAND(t, 0);
        uint32_t d = DECL_P(inner) || TREE_CODE(inner) == STRING_CST ? decl_origin(inner) : 0;
        if (d) {
            oset_add(out, d);
            return;
        }
        if (TREE_CODE(inner) == FUNCTION_DECL) {
            /* a function's address: calls through it can be resolved */
            fm_note_callee(inner);
            oset_add(out, pack(FM_OR_FUNC, 0,
                               fm_str(IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(inner)))));
            return;
        }
        if (TREE_CODE(inner) == LABEL_DECL)
            return;
        break;
    }
    case INTEGER_CST:
        oset_add(out, pack(FM_OR_CONST, 0, integer_zerop(t) ? 0 : 1));
        return;
    case REAL_CST:
    case COMPLEX_CST:
    case VECTOR_CST:
    case STRING_CST:
    case CONSTRUCTOR:
        return;
    default:
        if (!is_memory_ref(t)) {
            fm_skip("operand");
            oset_add(out, pack(FM_OR_UNKNOWN, 0, 0));
            return;
        }
    }
    prepare_operand(t);
    int k = memo_find(t);
    if (k >= 0)
        oset_add(out, pack(FM_OR_EVENT, 0, (unsigned)k));
}

static void opref_origins(const opref *r, oset *out)
{
    if (r->t)
        operand_origins(r->t, out);
    else if (r->direct)
        oset_add(out, r->direct);
}

/* ---- phase A: events ---- */

static void set_ssa_event(tree lhs, unsigned k)
{
    if (lhs && TREE_CODE(lhs) == SSA_NAME && SSA_NAME_VERSION(lhs) < F.nssa) {
        oset_add(&F.ssa[SSA_NAME_VERSION(lhs)], pack(FM_OR_EVENT, 0, k));
        F.ev_def[SSA_NAME_VERSION(lhs)] = true;
    }
}

/* GIMPLE's atomic internal functions write memory: they become calls to
 * FM_ATOMIC_IFN_PREFIX + name (section.h). */
static bool atomic_internal(gimple *g)
{
    return gimple_call_internal_p(g) &&
           !strncmp(internal_fn_name(gimple_call_internal_fn(g)), "ATOMIC_", 7);
}

static bool transparent_builtin(gimple *g)
{
    if (gimple_call_internal_p(g))
        return !atomic_internal(g);
    if (!gimple_call_builtin_p(g, BUILT_IN_NORMAL))
        return false;
    switch (DECL_FUNCTION_CODE(gimple_call_fndecl(g))) {
    case BUILT_IN_EXPECT:
    case BUILT_IN_ASSUME_ALIGNED:
    case BUILT_IN_BSWAP16:
    case BUILT_IN_BSWAP32:
    case BUILT_IN_BSWAP64:
        return true;
    default:
        return false;
    }
}

static void translate_store(gimple *g, tree lhs, tree rhs)
{
    prepare_operand(rhs);
    unsigned k = new_event(FM_EV_STORE);
    fill_access(k, lhs);
    F.ev[k].a.t = rhs;
    (void)g;
}

static void translate_assign(gimple *g)
{
    if (gimple_clobber_p(g))
        return;
    tree lhs = gimple_assign_lhs(g);
    tree rhs1 = gimple_assign_rhs1(g);
    if (TREE_CODE(lhs) != SSA_NAME) {
        if (gimple_assign_single_p(g)) {
            translate_store(g, lhs, rhs1);
        } else { /* not seen in GIMPLE so far: a write of something */
            fm_skip("store of an expression");
            unsigned k = new_event(FM_EV_STORE);
            fill_access(k, lhs);
            F.ev[k].a.direct = pack(FM_OR_UNKNOWN, 0, 0);
        }
        return;
    }
    enum tree_code code = gimple_assign_rhs_code(g);
    if (code == POINTER_PLUS_EXPR) {
        unsigned k = new_event(FM_EV_PTRADD);
        F.ev[k].a.t = rhs1;
        F.ev[k].b.t = gimple_assign_rhs2(g);
        set_ssa_event(lhs, k);
        return;
    }
    if (gimple_assign_single_p(g)) {
        prepare_operand(rhs1);
        int k = memo_find(rhs1);
        if (k >= 0)
            set_ssa_event(lhs, (unsigned)k);
        return;
    }
    for (unsigned i = 1; i < gimple_num_ops(g); i++)
        prepare_operand(gimple_op(g, i));
}

static void translate_call(gimple *g)
{
    tree lhs = gimple_call_lhs(g);
    unsigned nargs = gimple_call_num_args(g);
    for (unsigned i = 0; i < nargs; i++)
        prepare_operand(gimple_call_arg(g, i));
    if (transparent_builtin(g))
        return; /* value flow handled in the SSA fixpoint */
    unsigned k = new_event(FM_EV_CALL);
    event *e = &F.ev[k];
    tree fn = gimple_call_fn(g);
    tree fndecl = gimple_call_fndecl(g);
    if (atomic_internal(g)) {
        char name[96];
        snprintf(name, sizeof name, "%s%s", FM_ATOMIC_IFN_PREFIX,
                 internal_fn_name(gimple_call_internal_fn(g)));
        e->call_kind = FM_CALL_DIRECT;
        e->callee = fm_str(name);
    } else if (fndecl) {
        e->call_kind = FM_CALL_DIRECT;
        e->callee = fm_str(IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(fndecl)));
        fm_note_callee(fndecl);
        if (fndecl_built_in_p(fndecl))
            e->flags |= FM_CALLF_BUILTIN;
    } else if (fn && TREE_CODE(fn) == OBJ_TYPE_REF && tree_fits_uhwi_p(OBJ_TYPE_REF_TOKEN(fn))) {
        e->call_kind = FM_CALL_VIRTUAL;
        tree cls = obj_type_ref_class(fn);
        e->vclass = cls ? fm_type_index(cls) : 0;
        e->vslot = (unsigned)tree_to_uhwi(OBJ_TYPE_REF_TOKEN(fn));
        e->target.t = OBJ_TYPE_REF_OBJECT(fn);
    } else {
        e->call_kind = FM_CALL_INDIRECT;
        e->target.t = fn && TREE_CODE(fn) == OBJ_TYPE_REF ? OBJ_TYPE_REF_EXPR(fn) : fn;
    }
    if (gimple_call_noreturn_p(g))
        e->flags |= FM_CALLF_NORETURN;
    if (loops_for_fn(F.fun) && gimple_bb(g) && bb_loop_depth(gimple_bb(g)) > 0)
        e->flags |= FM_CALLF_IN_LOOP;
    e->nargs = nargs;
    e->args = XCNEWVEC(opref, nargs ? nargs : 1);
    for (unsigned i = 0; i < nargs; i++)
        e->args[i].t = gimple_call_arg(g, i);
    if (lhs && TREE_CODE(lhs) == SSA_NAME) {
        set_ssa_event(lhs, k);
    } else if (lhs) {
        /* a struct returned in memory: the call writes the lhs object */
        F.ev[k].flags |= FM_CALLF_AGG_RESULT;
        unsigned s = new_event(FM_EV_STORE);
        fill_access(s, lhs);
        F.ev[s].flags |= FM_ACC_AGGREGATE;
        F.ev[s].a.direct = pack(FM_OR_EVENT, 0, k);
    }
}

static unsigned cmp_code(enum tree_code c)
{
    switch (c) {
    case EQ_EXPR: return FM_CMP_EQ;
    case NE_EXPR: return FM_CMP_NE;
    case LT_EXPR: return FM_CMP_LT;
    case LE_EXPR: return FM_CMP_LE;
    case GT_EXPR: return FM_CMP_GT;
    case GE_EXPR: return FM_CMP_GE;
    default: return FM_CMP_OTHER;
    }
}

static bool bool_valued(tree t)
{
    tree ty = TREE_TYPE(t);
    return ty && (TREE_CODE(ty) == BOOLEAN_TYPE ||
                  (INTEGRAL_TYPE_P(ty) && TYPE_PRECISION(ty) == 1));
}

/* The value a comparison with zero really tests, walking back through
 * copies and widenings, and whether the test is inverted on the way
 * (`(b ^ 1) != 0` is `b == 0`: C++'s `!flag`).  *exact is false when a
 * step does not keep zero as zero (`x - 1`, `x & m`, a narrowing): the
 * comparison then says nothing about the value being zero. */
static tree zero_tested(tree t, bool *negated, bool *exact)
{
    *negated = false;
    *exact = true;
    for (int i = 0; i < 16 && TREE_CODE(t) == SSA_NAME; i++) {
        gimple *d = SSA_NAME_DEF_STMT(t);
        if (!d || !is_gimple_assign(d))
            return t; /* a call's result, a phi, a parameter */
        enum tree_code code = gimple_assign_rhs_code(d);
        tree a = gimple_assign_rhs1(d), lt = TREE_TYPE(gimple_assign_lhs(d));
        tree at = TREE_TYPE(a);
        switch (gimple_assign_rhs_class(d)) {
        case GIMPLE_SINGLE_RHS:
            if (TREE_CODE(a) != SSA_NAME)
                return t; /* a load: the value itself */
            t = a;
            continue;
        case GIMPLE_UNARY_RHS:
            if (CONVERT_EXPR_CODE_P(code) &&
                ((INTEGRAL_TYPE_P(lt) && INTEGRAL_TYPE_P(at) &&
                  TYPE_PRECISION(lt) >= TYPE_PRECISION(at)) ||
                 (POINTER_TYPE_P(lt) && POINTER_TYPE_P(at)))) {
                t = a;
                continue;
            }
            if (code == NEGATE_EXPR || code == PAREN_EXPR || code == ABS_EXPR) {
                t = a;
                continue;
            }
            if (code == TRUTH_NOT_EXPR || (code == BIT_NOT_EXPR && bool_valued(a))) {
                *negated = !*negated;
                t = a;
                continue;
            }
            break;
        case GIMPLE_BINARY_RHS: {
            tree b = gimple_assign_rhs2(d);
            if (code == BIT_XOR_EXPR && integer_onep(b) && bool_valued(a)) {
                *negated = !*negated;
                t = a;
                continue;
            }
            if ((code == NE_EXPR || code == EQ_EXPR) && integer_zerop(b)) {
                if (code == EQ_EXPR)
                    *negated = !*negated;
                t = a;
                continue;
            }
            break;
        }
        default:
            break;
        }
        *exact = false;
        return t;
    }
    return t;
}

static void translate_cond(gcond *c)
{
    unsigned k = new_event(FM_EV_COND);
    event *e = &F.ev[k];
    tree lhs = gimple_cond_lhs(c), rhs = gimple_cond_rhs(c);
    e->cmp = cmp_code(gimple_cond_code(c));
    bool rz = integer_zerop(rhs), lz = integer_zerop(lhs), exact = true;
    if ((e->cmp == FM_CMP_EQ || e->cmp == FM_CMP_NE) && (rz || lz)) {
        bool neg;
        if (rz)
            lhs = zero_tested(lhs, &neg, &exact);
        else
            rhs = zero_tested(rhs, &neg, &exact);
        if (neg)
            e->cmp = e->cmp == FM_CMP_EQ ? FM_CMP_NE : FM_CMP_EQ;
    }
    e->a.t = lhs;
    e->b.t = rhs;
    if (rz && exact)
        e->cond_flags |= FM_CONDF_RHS_ZERO;
    if (lz && exact)
        e->cond_flags |= FM_CONDF_LHS_ZERO;
}

/* ---- asm: what it writes and what its outputs hold ---- */

static bool asm_clobbers_memory(gasm *g)
{
    for (unsigned i = 0; i < gimple_asm_nclobbers(g); i++) {
        tree c = TREE_VALUE(gimple_asm_clobber_op(g, i));
        if (TREE_CODE(c) == STRING_CST && !strcmp(TREE_STRING_POINTER(c), "memory"))
            return true;
    }
    return false;
}

static void asm_store_through(gasm *g, tree ptr)
{
    unsigned k = new_event(FM_EV_STORE);
    F.ev[k].base.t = ptr;
    F.ev[k].flags |= FM_ACC_DEREF;
    F.ev[k].path = XNEWVEC(pathel, 1);
    F.ev[k].index = XNEWVEC(tree, 1);
    F.ev[k].asm_stmt = g;
}

/* Memory outputs ("=m", "+m": a lock-prefixed increment) are stores; with a
 * "memory" clobber, so is whatever each pointer operand points to.  Register
 * outputs get their value in the SSA fixpoint (asm_flow). */
static void translate_asm(gasm *g)
{
    for (unsigned i = 0; i < gimple_asm_ninputs(g); i++)
        prepare_operand(TREE_VALUE(gimple_asm_input_op(g, i)));
    for (unsigned i = 0; i < gimple_asm_noutputs(g); i++) {
        tree o = TREE_VALUE(gimple_asm_output_op(g, i));
        if (!is_memory_ref(o))
            continue;
        unsigned k = new_event(FM_EV_STORE);
        fill_access(k, o);
        F.ev[k].asm_stmt = g;
    }
    if (!asm_clobbers_memory(g))
        return;
    for (unsigned i = 0; i < gimple_asm_ninputs(g); i++) {
        tree in = TREE_VALUE(gimple_asm_input_op(g, i));
        if (TREE_TYPE(in) && POINTER_TYPE_P(TREE_TYPE(in)))
            asm_store_through(g, in);
    }
}

/* The value an asm produces: something the plugin cannot trace, mixed
 * with everything it reads. */
static void asm_value(gasm *g, oset *out)
{
    oset_add(out, pack(FM_OR_UNKNOWN, 0, 0));
    for (unsigned i = 0; i < gimple_asm_ninputs(g); i++) {
        oset in = {};
        operand_origins(TREE_VALUE(gimple_asm_input_op(g, i)), &in);
        oset_union(out, &in, X_MIX);
        oset_free(&in);
    }
}

static void translate_stmt(gimple *g)
{
    switch (gimple_code(g)) {
    case GIMPLE_ASSIGN:
        translate_assign(g);
        break;
    case GIMPLE_CALL:
        translate_call(g);
        break;
    case GIMPLE_RETURN: {
        tree r = gimple_return_retval(as_a<greturn *>(g));
        if (!r)
            break;
        prepare_operand(r);
        unsigned k = new_event(FM_EV_RET);
        if (TREE_CODE(r) == RESULT_DECL && !is_gimple_reg(r))
            F.ev[k].a.direct = pack(FM_OR_LOCAL, 0, local_index(r));
        else
            F.ev[k].a.t = r;
        break;
    }
    case GIMPLE_COND:
        translate_cond(as_a<gcond *>(g));
        break;
    case GIMPLE_SWITCH: {
        unsigned k = new_event(FM_EV_COND);
        F.ev[k].cmp = FM_CMP_OTHER;
        F.ev[k].a.t = gimple_switch_index(as_a<gswitch *>(g));
        break;
    }
    case GIMPLE_ASM:
        translate_asm(as_a<gasm *>(g));
        break;
    default:
        break;
    }
}

/* ---- phase B: SSA value flow to a fixpoint ---- */

static bool is_const(tree t)
{
    return t && (CONSTANT_CLASS_P(t) || TREE_CODE(t) == ADDR_EXPR);
}

static bool all_ones_mask(tree c, tree type)
{
    if (TREE_CODE(c) != INTEGER_CST || !INTEGRAL_TYPE_P(type))
        return false;
    unsigned prec = TYPE_PRECISION(type);
    return wi::eq_p(wi::to_wide(c), wi::mask(prec, false, TYPE_PRECISION(TREE_TYPE(c))));
}

static bool flow_into(tree lhs, tree op, xform x)
{
    if (!op || TREE_CODE(lhs) != SSA_NAME || SSA_NAME_VERSION(lhs) >= F.nssa)
        return false;
    oset tmp = {};
    operand_origins(op, &tmp);
    bool changed = oset_union(&F.ssa[SSA_NAME_VERSION(lhs)], &tmp, x);
    oset_free(&tmp);
    return changed;
}

static xform unary_xform(gimple *g)
{
    enum tree_code code = gimple_assign_rhs_code(g);
    tree lt = TREE_TYPE(gimple_assign_lhs(g)), rt = TREE_TYPE(gimple_assign_rhs1(g));
    if (CONVERT_EXPR_CODE_P(code)) {
        if (lt && rt && INTEGRAL_TYPE_P(lt) && INTEGRAL_TYPE_P(rt) &&
            TYPE_PRECISION(lt) < TYPE_PRECISION(rt))
            return X_MASK; /* narrowing keeps only low bits */
        return X_PASS;
    }
    if (code == NEGATE_EXPR || code == BIT_NOT_EXPR || code == FLOAT_EXPR ||
        code == FIX_TRUNC_EXPR || code == PAREN_EXPR || code == ABS_EXPR)
        return X_PASS;
    return X_MIX;
}

static bool assign_flow(gimple *g)
{
    tree lhs = gimple_assign_lhs(g);
    if (TREE_CODE(lhs) != SSA_NAME || F.ev_def[SSA_NAME_VERSION(lhs)])
        return false;
    enum tree_code code = gimple_assign_rhs_code(g);
    tree a = gimple_assign_rhs1(g);
    switch (gimple_assign_rhs_class(g)) {
    case GIMPLE_SINGLE_RHS:
        return flow_into(lhs, a, X_PASS);
    case GIMPLE_UNARY_RHS:
        return flow_into(lhs, a, unary_xform(g));
    case GIMPLE_BINARY_RHS: {
        tree b = gimple_assign_rhs2(g);
        bool ca = is_const(a), cb = is_const(b);
        tree var = ca ? b : a, cst = ca ? a : b;
        xform x;
        switch (code) {
        case BIT_AND_EXPR:
            /* "and" loses bits whatever the other side is (a configured
             * netmask is not a constant here but still makes a prefix) */
            if (ca || cb)
                x = all_ones_mask(cst, TREE_TYPE(var)) ? X_PASS : X_MASK;
            else
                x = X_MASK;
            break;
        case RSHIFT_EXPR:
        case TRUNC_DIV_EXPR: case CEIL_DIV_EXPR: case FLOOR_DIV_EXPR:
        case ROUND_DIV_EXPR: case EXACT_DIV_EXPR:
        case TRUNC_MOD_EXPR: case CEIL_MOD_EXPR: case FLOOR_MOD_EXPR:
        case ROUND_MOD_EXPR:
            x = cb ? X_MASK : X_MIX;
            if (cb)
                return flow_into(lhs, a, x);
            break;
        case EQ_EXPR:
        case NE_EXPR:
            /* x == 0 / x != 0: a flag (port == 0) that a caller's constant
             * can settle; other comparisons mix */
            if (ca || cb)
                return flow_into(lhs, var, code == EQ_EXPR && integer_zerop(cst) ? X_ZEROTEST
                                           : integer_zerop(cst) ? X_PASS : X_MIX);
            x = X_MIX;
            break;
        case PLUS_EXPR: case BIT_XOR_EXPR: case BIT_IOR_EXPR:
            x = (ca || cb) ? X_PASS : X_SYMJOIN;
            break;
        case MULT_EXPR:
            x = (ca || cb) ? X_MIX : X_SYMJOIN;
            break;
        case MIN_EXPR: case MAX_EXPR: {
            bool c = flow_into(lhs, a, X_SYMJOIN);
            c |= flow_into(lhs, b, X_SYMJOIN);
            c |= flow_into(lhs, a, X_SELECT);
            return flow_into(lhs, b, X_SELECT) || c;
        }
        default:
            x = X_MIX;
        }
        bool c = flow_into(lhs, a, x);
        return flow_into(lhs, b, x) || c;
    }
    case GIMPLE_TERNARY_RHS: {
        if (code == COND_EXPR) {
            bool c = flow_into(lhs, a, X_MIX);
            c |= flow_into(lhs, gimple_assign_rhs2(g), X_SELECT);
            return flow_into(lhs, gimple_assign_rhs3(g), X_SELECT) || c;
        }
        bool c = flow_into(lhs, a, X_MIX);
        c |= flow_into(lhs, gimple_assign_rhs2(g), X_MIX);
        return flow_into(lhs, gimple_assign_rhs3(g), X_MIX) || c;
    }
    default:
        return false;
    }
}

static bool call_flow(gimple *g)
{
    tree lhs = gimple_call_lhs(g);
    if (!lhs || TREE_CODE(lhs) != SSA_NAME || !transparent_builtin(g))
        return false;
    if (gimple_call_internal_p(g)) {
        bool c = false;
        for (unsigned i = 0; i < gimple_call_num_args(g); i++)
            c |= flow_into(lhs, gimple_call_arg(g, i), X_MIX);
        return c;
    }
    return gimple_call_num_args(g) ? flow_into(lhs, gimple_call_arg(g, 0), X_PASS) : false;
}

static bool asm_flow(gasm *g)
{
    bool changed = false;
    for (unsigned i = 0; i < gimple_asm_noutputs(g); i++) {
        tree o = TREE_VALUE(gimple_asm_output_op(g, i));
        if (TREE_CODE(o) != SSA_NAME || SSA_NAME_VERSION(o) >= F.nssa)
            continue;
        oset v = {};
        asm_value(g, &v);
        changed |= oset_union(&F.ssa[SSA_NAME_VERSION(o)], &v, X_PASS);
        oset_free(&v);
    }
    return changed;
}

static void ssa_fixpoint(void)
{
    basic_block bb;
    for (int iter = 0; iter < 64; iter++) {
        bool changed = false;
        FOR_EACH_BB_FN(bb, F.fun) {
            F.cur_bb = bb;
            for (gphi_iterator pi = gsi_start_phis(bb); !gsi_end_p(pi); gsi_next(&pi)) {
                gphi *phi = pi.phi();
                tree res = gimple_phi_result(phi);
                if (virtual_operand_p(res))
                    continue;
                F.cur = phi;
                for (unsigned i = 0; i < gimple_phi_num_args(phi); i++)
                    changed |= flow_into(res, gimple_phi_arg_def(phi, i), X_SELECT);
            }
            for (gimple_stmt_iterator gi = gsi_start_bb(bb); !gsi_end_p(gi); gsi_next(&gi)) {
                gimple *g = gsi_stmt(gi);
                F.cur = g;
                if (is_gimple_assign(g))
                    changed |= assign_flow(g);
                else if (is_gimple_call(g))
                    changed |= call_flow(g);
                else if (gimple_code(g) == GIMPLE_ASM)
                    changed |= asm_flow(as_a<gasm *>(g));
            }
        }
        if (!changed)
            return;
    }
    fn_truncated = true; /* did not converge: facts may be incomplete */
}

/* ---- phase C: serialise ---- */

static void write_oset(fm_wbuf *b, const oset *s)
{
    fm_w_u(b, s->n);
    for (unsigned i = 0; i < s->n; i++) {
        uint32_t x = s->v[i];
        fm_w_u(b, x & 0x1ff);  /* kind | flags << 4 */
        fm_w_u(b, x >> 9);
    }
}

static void write_opref(fm_wbuf *b, const opref *r)
{
    oset s = {};
    opref_origins(r, &s);
    write_oset(b, &s);
    oset_free(&s);
}

static void write_access(fm_wbuf *b, const event *e)
{
    write_opref(b, &e->base);
    fm_w_u(b, e->npath);
    for (unsigned i = 0; i < e->npath; i++) {
        fm_w_u(b, e->path[i].rec);
        fm_w_u(b, e->path[i].field);
    }
    oset s = {};
    for (unsigned i = 0; i < e->nindex; i++)
        operand_origins(e->index[i], &s);
    write_oset(b, &s);
    oset_free(&s);
}

/* Conditions an event is control dependent on: walking up the dominator
 * tree, every block entered only through one edge of a GIMPLE_COND. */
static void write_guards(fm_wbuf *b, const event *e, const int *cond_of_bb)
{
    unsigned gk[8], gp[8], n = 0;
    basic_block a = e->bb;
    while (a && a != ENTRY_BLOCK_PTR_FOR_FN(F.fun) && n < 8) {
        if (single_pred_p(a)) {
            edge in = single_pred_edge(a);
            basic_block p = in->src;
            if (p->index >= 0 && p->index < last_basic_block_for_fn(F.fun) &&
                cond_of_bb[p->index] >= 0 && (in->flags & (EDGE_TRUE_VALUE | EDGE_FALSE_VALUE))) {
                gk[n] = (unsigned)cond_of_bb[p->index];
                gp[n] = (in->flags & EDGE_TRUE_VALUE) ? 1 : 0;
                n++;
            }
        }
        a = get_immediate_dominator(CDI_DOMINATORS, a);
    }
    fm_w_u(b, n);
    for (unsigned i = 0; i < n; i++) {
        fm_w_u(b, gk[i]);
        fm_w_u(b, gp[i]);
    }
}

static void write_event(fm_wbuf *b, const event *e, const int *cond_of_bb)
{
    fm_w_u(b, e->kind);
    fm_w_u(b, e->line);
    write_guards(b, e, cond_of_bb);
    switch (e->kind) {
    case FM_EV_LOAD:
    case FM_EV_ADDR:
        write_access(b, e);
        fm_w_u(b, e->flags);
        break;
    case FM_EV_STORE:
        write_access(b, e);
        fm_w_u(b, e->flags);
        if (e->asm_stmt) {
            oset v = {};
            asm_value(e->asm_stmt, &v);
            write_oset(b, &v);
            oset_free(&v);
        } else {
            write_opref(b, &e->a);
        }
        break;
    case FM_EV_PTRADD:
        write_opref(b, &e->a);
        write_opref(b, &e->b);
        break;
    case FM_EV_CALL:
        fm_w_u(b, e->call_kind);
        if (e->call_kind == FM_CALL_DIRECT) {
            fm_w_u(b, e->callee);
        } else if (e->call_kind == FM_CALL_VIRTUAL) {
            fm_w_u(b, e->vclass);
            fm_w_u(b, e->vslot);
            write_opref(b, &e->target);
        } else {
            write_opref(b, &e->target);
        }
        fm_w_u(b, e->flags);
        fm_w_u(b, e->nargs);
        for (unsigned i = 0; i < e->nargs; i++)
            write_opref(b, &e->args[i]);
        break;
    case FM_EV_RET:
        write_opref(b, &e->a);
        break;
    case FM_EV_COND:
        fm_w_u(b, e->cmp);
        fm_w_u(b, e->cond_flags);
        write_opref(b, &e->a);
        write_opref(b, &e->b);
        break;
    }
}

static unsigned count_stmts(void)
{
    unsigned n = 0;
    basic_block bb;
    FOR_EACH_BB_FN(bb, F.fun)
    for (gimple_stmt_iterator gi = gsi_start_bb(bb); !gsi_end_p(gi); gsi_next(&gi)) {
        gimple *g = gsi_stmt(gi);
        if (is_gimple_debug(g) || gimple_code(g) == GIMPLE_LABEL ||
            gimple_code(g) == GIMPLE_NOP || gimple_code(g) == GIMPLE_PREDICT ||
            gimple_clobber_p(g))
            continue;
        n++;
    }
    return n;
}

static unsigned count_loops(void)
{
    unsigned n = 0;
    basic_block bb;
    FOR_EACH_BB_FN(bb, F.fun) {
        edge e;
        edge_iterator ei;
        FOR_EACH_EDGE(e, ei, bb->succs)
        if (e->dest != EXIT_BLOCK_PTR_FOR_FN(F.fun) &&
            dominated_by_p(CDI_DOMINATORS, e->src, e->dest))
            n++;
    }
    return n;
}

static void reset_function_state(void)
{
    for (unsigned i = 0; i < F.nev; i++) {
        free(F.ev[i].path);
        free(F.ev[i].index);
        free(F.ev[i].args);
    }
    free(F.ev);
    for (unsigned i = 0; i < F.nssa; i++)
        oset_free(&F.ssa[i]);
    free(F.ssa);
    free(F.ev_def);
    free(F.locals);
    free(F.memo_tree);
    free(F.memo_ev);
    memset(&F, 0, sizeof F);
}

/* Phase A over the whole body: phis' operands, then every statement. */
static void translate_body(function *fun)
{
    basic_block bb;
    FOR_EACH_BB_FN(bb, fun) {
        F.cur_bb = bb;
        for (gphi_iterator pi = gsi_start_phis(bb); !gsi_end_p(pi); gsi_next(&pi)) {
            gphi *phi = pi.phi();
            if (virtual_operand_p(gimple_phi_result(phi)))
                continue;
            F.cur = phi;
            for (unsigned i = 0; i < gimple_phi_num_args(phi); i++)
                prepare_operand(gimple_phi_arg_def(phi, i));
        }
        for (gimple_stmt_iterator gi = gsi_start_bb(bb); !gsi_end_p(gi); gsi_next(&gi)) {
            F.cur = gsi_stmt(gi);
            if (!is_gimple_debug(F.cur))
                translate_stmt(F.cur);
        }
    }
}

/* Phase C: every event, with the condition ending each block (guards). */
static void write_events(fm_wbuf *evbuf)
{
    int nbb = last_basic_block_for_fn(F.fun);
    int *cond_of_bb = XNEWVEC(int, nbb ? nbb : 1);
    for (int i = 0; i < nbb; i++)
        cond_of_bb[i] = -1;
    for (unsigned i = 0; i < F.nev; i++)
        if (F.ev[i].kind == FM_EV_COND && F.ev[i].bb && F.ev[i].bb->index < nbb)
            cond_of_bb[F.ev[i].bb->index] = (int)i;
    /* writing can create events for operands met late (lazy loads): loop
     * on the growing count */
    for (unsigned i = 0; i < F.nev; i++) {
        event copy = F.ev[i];
        write_event(evbuf, &copy, cond_of_bb);
    }
    free(cond_of_bb);
}

void fm_collect_function(function *fun)
{
    tree fndecl = fun->decl;
    memset(&F, 0, sizeof F);
    F.fun = fun;
    fn_truncated = false;
    expanded_location x = expand_location(DECL_SOURCE_LOCATION(fndecl));
    if (fm_excluded_path(x.file)) {
        fm_function_identity(&fn_records, fndecl, FM_FN_EXCLUDED);
        for (int i = 0; i < 5; i++)
            fm_w_u(&fn_records, 0); /* params, stmts, loops, locals, events */
        fm_stats.functions++;
        return;
    }
    bool had_dom = dom_info_available_p(fun, CDI_DOMINATORS);
    if (!had_dom)
        calculate_dominance_info(CDI_DOMINATORS);

    F.nssa = num_ssa_names;
    F.ssa = XCNEWVEC(oset, F.nssa ? F.nssa : 1);
    F.ev_def = XCNEWVEC(bool, F.nssa ? F.nssa : 1);
    translate_body(fun);
    ssa_fixpoint();

    fm_wbuf evbuf = {};
    write_events(&evbuf);
    unsigned nev = F.nev;
    bool too_many = nev > fm_opt.max_events;
    unsigned nparams = 0;
    for (tree p = DECL_ARGUMENTS(fndecl); p; p = DECL_CHAIN(p))
        nparams++;

    unsigned flags = (fn_truncated || too_many) ? FM_FN_TRUNCATED : 0;
    fm_function_identity(&fn_records, fndecl, flags);
    fm_w_u(&fn_records, nparams);
    fm_w_u(&fn_records, count_stmts());
    fm_w_u(&fn_records, count_loops());
    fm_w_u(&fn_records, F.nlocals);
    for (unsigned i = 0; i < F.nlocals; i++) {
        fm_w_u(&fn_records, F.locals[i].name);
        fm_w_u(&fn_records, F.locals[i].type1);
        fm_w_u(&fn_records, F.locals[i].flags);
    }
    if (too_many) {
        fm_w_u(&fn_records, 0);
    } else {
        fm_w_u(&fn_records, nev);
        fm_w_bytes(&fn_records, evbuf.p, evbuf.len);
    }
    fm_stats.functions++;
    fm_stats.events += too_many ? 0 : nev;
    if (flags)
        fm_stats.truncated++;
    fm_w_free(&evbuf);
    if (!had_dom)
        free_dominance_info(CDI_DOMINATORS);
    reset_function_state();
}

void fm_functions_write(fm_wbuf *b, unsigned *count)
{
    fm_w_bytes(b, fn_records.p, fn_records.len);
    fm_decls_append(b);
    *count = fm_stats.functions + fm_stats.decls;
}

void fm_functions_reset(void)
{
    fm_w_free(&fn_records);
    memset(&fm_stats, 0, sizeof fm_stats);
}
