/* Per-function facts: GIMPLE (right after SSA construction) translated into
 * the events of include/flowmage/section.h.  Register (SSA) data flow is
 * collapsed here into "origins": for every operand, the set of parameters,
 * events (loads, calls, address computations), locals, globals and strings
 * its value can come from, with flags saying how the value was transformed
 * on the way.  Memory stays explicit (loads and stores with access paths),
 * so the reader can model it interprocedurally.  Read-only: the IL is never
 * changed; a tree this file does not understand is skipped and counted. */
#include "collect.h"

bool fm_fn_truncated;
fn_state fm_fn;
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
    if (fm_fn.nev == fm_fn.capev) {
        fm_fn.capev = fm_fn.capev ? fm_fn.capev * 2 : 64;
        fm_fn.ev = XRESIZEVEC(event, fm_fn.ev, fm_fn.capev);
    }
    event *e = &fm_fn.ev[fm_fn.nev];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->bb = fm_fn.cur_bb;
    e->line = line_of(fm_fn.cur);
    return fm_fn.nev++;
}

static unsigned param_index(tree parm)
{
    unsigned i = 0;
    for (tree p = DECL_ARGUMENTS(fm_fn.fun->decl); p; p = DECL_CHAIN(p), i++)
        if (p == parm)
            return i;
    return 0;
}

static unsigned local_index(tree decl)
{
    for (unsigned i = 0; i < fm_fn.nlocals; i++)
        if (fm_fn.locals[i].decl == decl)
            return i;
    if (fm_fn.nlocals == fm_fn.caplocals) {
        fm_fn.caplocals = fm_fn.caplocals ? fm_fn.caplocals * 2 : 16;
        fm_fn.locals = XRESIZEVEC(local_rec, fm_fn.locals, fm_fn.caplocals);
    }
    local_rec *l = &fm_fn.locals[fm_fn.nlocals];
    l->decl = decl;
    l->name = DECL_NAME(decl) ? fm_str(IDENTIFIER_POINTER(DECL_NAME(decl)))
                              : fm_str(TREE_CODE(decl) == RESULT_DECL ? "$result" : "$tmp");
    tree t = TREE_TYPE(decl);
    l->type1 = t && RECORD_OR_UNION_TYPE_P(t) ? fm_type_index(t) + 1 : 0;
    l->flags = (TREE_ADDRESSABLE(decl) ? FM_LOCAL_ADDRESSED : 0) |
               (t && AGGREGATE_TYPE_P(t) ? FM_LOCAL_AGGREGATE : 0) |
               (TREE_CODE(decl) == RESULT_DECL ? FM_LOCAL_RESULT : 0);
    return fm_fn.nlocals++;
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
    for (unsigned i = fm_fn.nmemo; i-- > 0;)
        if (fm_fn.memo_tree[i] == t)
            return (int)fm_fn.memo_ev[i];
    return -1;
}

static void memo_put(tree t, unsigned ev)
{
    if (fm_fn.nmemo == fm_fn.capmemo) {
        fm_fn.capmemo = fm_fn.capmemo ? fm_fn.capmemo * 2 : 64;
        fm_fn.memo_tree = XRESIZEVEC(tree, fm_fn.memo_tree, fm_fn.capmemo);
        fm_fn.memo_ev = XRESIZEVEC(unsigned, fm_fn.memo_ev, fm_fn.capmemo);
    }
    fm_fn.memo_tree[fm_fn.nmemo] = t;
    fm_fn.memo_ev[fm_fn.nmemo++] = ev;
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
    event *e = &fm_fn.ev[evi];
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
void fm_operand_origins(tree t, oset *out)
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
        if (SSA_NAME_VERSION(t) < fm_fn.nssa)
            oset_union(out, &fm_fn.ssa[SSA_NAME_VERSION(t)], X_PASS);
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

void fm_opref_origins(const opref *r, oset *out)
{
    if (r->t)
        fm_operand_origins(r->t, out);
    else if (r->direct)
        oset_add(out, r->direct);
}

/* ---- phase A: events ---- */

static void set_ssa_event(tree lhs, unsigned k)
{
    if (lhs && TREE_CODE(lhs) == SSA_NAME && SSA_NAME_VERSION(lhs) < fm_fn.nssa) {
        oset_add(&fm_fn.ssa[SSA_NAME_VERSION(lhs)], pack(FM_OR_EVENT, 0, k));
        fm_fn.ev_def[SSA_NAME_VERSION(lhs)] = true;
    }
}

/* GIMPLE's atomic internal functions write memory: they become calls to
 * FM_ATOMIC_IFN_PREFIX + name (section.h). */
static bool atomic_internal(gimple *g)
{
    return gimple_call_internal_p(g) &&
           !strncmp(internal_fn_name(gimple_call_internal_fn(g)), "ATOMIC_", 7);
}

bool fm_transparent_builtin(gimple *g)
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
    fm_fn.ev[k].a.t = rhs;
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
            fm_fn.ev[k].a.direct = pack(FM_OR_UNKNOWN, 0, 0);
        }
        return;
    }
    enum tree_code code = gimple_assign_rhs_code(g);
    if (code == POINTER_PLUS_EXPR) {
        unsigned k = new_event(FM_EV_PTRADD);
        fm_fn.ev[k].a.t = rhs1;
        fm_fn.ev[k].b.t = gimple_assign_rhs2(g);
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
    if (fm_transparent_builtin(g))
        return; /* value flow handled in the SSA fixpoint */
    unsigned k = new_event(FM_EV_CALL);
    event *e = &fm_fn.ev[k];
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
    if (loops_for_fn(fm_fn.fun) && gimple_bb(g) && bb_loop_depth(gimple_bb(g)) > 0)
        e->flags |= FM_CALLF_IN_LOOP;
    e->nargs = nargs;
    e->args = XCNEWVEC(opref, nargs ? nargs : 1);
    for (unsigned i = 0; i < nargs; i++)
        e->args[i].t = gimple_call_arg(g, i);
    if (lhs && TREE_CODE(lhs) == SSA_NAME) {
        set_ssa_event(lhs, k);
    } else if (lhs) {
        /* a struct returned in memory: the call writes the lhs object */
        fm_fn.ev[k].flags |= FM_CALLF_AGG_RESULT;
        unsigned s = new_event(FM_EV_STORE);
        fill_access(s, lhs);
        fm_fn.ev[s].flags |= FM_ACC_AGGREGATE;
        fm_fn.ev[s].a.direct = pack(FM_OR_EVENT, 0, k);
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
    event *e = &fm_fn.ev[k];
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
    fm_fn.ev[k].base.t = ptr;
    fm_fn.ev[k].flags |= FM_ACC_DEREF;
    fm_fn.ev[k].path = XNEWVEC(pathel, 1);
    fm_fn.ev[k].index = XNEWVEC(tree, 1);
    fm_fn.ev[k].asm_stmt = g;
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
        fm_fn.ev[k].asm_stmt = g;
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
void fm_asm_value(gasm *g, oset *out)
{
    oset_add(out, pack(FM_OR_UNKNOWN, 0, 0));
    for (unsigned i = 0; i < gimple_asm_ninputs(g); i++) {
        oset in = {};
        fm_operand_origins(TREE_VALUE(gimple_asm_input_op(g, i)), &in);
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
            fm_fn.ev[k].a.direct = pack(FM_OR_LOCAL, 0, local_index(r));
        else
            fm_fn.ev[k].a.t = r;
        break;
    }
    case GIMPLE_COND:
        translate_cond(as_a<gcond *>(g));
        break;
    case GIMPLE_SWITCH: {
        unsigned k = new_event(FM_EV_COND);
        fm_fn.ev[k].cmp = FM_CMP_OTHER;
        fm_fn.ev[k].a.t = gimple_switch_index(as_a<gswitch *>(g));
        break;
    }
    case GIMPLE_ASM:
        translate_asm(as_a<gasm *>(g));
        break;
    default:
        break;
    }
}

static unsigned count_stmts(void)
{
    unsigned n = 0;
    basic_block bb;
    FOR_EACH_BB_FN(bb, fm_fn.fun)
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
    FOR_EACH_BB_FN(bb, fm_fn.fun) {
        edge e;
        edge_iterator ei;
        FOR_EACH_EDGE(e, ei, bb->succs)
        if (e->dest != EXIT_BLOCK_PTR_FOR_FN(fm_fn.fun) &&
            dominated_by_p(CDI_DOMINATORS, e->src, e->dest))
            n++;
    }
    return n;
}

static void reset_function_state(void)
{
    for (unsigned i = 0; i < fm_fn.nev; i++) {
        free(fm_fn.ev[i].path);
        free(fm_fn.ev[i].index);
        free(fm_fn.ev[i].args);
    }
    free(fm_fn.ev);
    for (unsigned i = 0; i < fm_fn.nssa; i++)
        oset_free(&fm_fn.ssa[i]);
    free(fm_fn.ssa);
    free(fm_fn.ev_def);
    free(fm_fn.locals);
    free(fm_fn.memo_tree);
    free(fm_fn.memo_ev);
    memset(&fm_fn, 0, sizeof fm_fn);
}

/* Phase A over the whole body: phis' operands, then every statement. */
static void translate_body(function *fun)
{
    basic_block bb;
    FOR_EACH_BB_FN(bb, fun) {
        fm_fn.cur_bb = bb;
        for (gphi_iterator pi = gsi_start_phis(bb); !gsi_end_p(pi); gsi_next(&pi)) {
            gphi *phi = pi.phi();
            if (virtual_operand_p(gimple_phi_result(phi)))
                continue;
            fm_fn.cur = phi;
            for (unsigned i = 0; i < gimple_phi_num_args(phi); i++)
                prepare_operand(gimple_phi_arg_def(phi, i));
        }
        for (gimple_stmt_iterator gi = gsi_start_bb(bb); !gsi_end_p(gi); gsi_next(&gi)) {
            fm_fn.cur = gsi_stmt(gi);
            if (!is_gimple_debug(fm_fn.cur))
                translate_stmt(fm_fn.cur);
        }
    }
}

/* Phase C: every event, with the condition ending each block (guards). */
static void write_events(fm_wbuf *evbuf)
{
    int nbb = last_basic_block_for_fn(fm_fn.fun);
    int *cond_of_bb = XNEWVEC(int, nbb ? nbb : 1);
    for (int i = 0; i < nbb; i++)
        cond_of_bb[i] = -1;
    for (unsigned i = 0; i < fm_fn.nev; i++)
        if (fm_fn.ev[i].kind == FM_EV_COND && fm_fn.ev[i].bb && fm_fn.ev[i].bb->index < nbb)
            cond_of_bb[fm_fn.ev[i].bb->index] = (int)i;
    /* writing can create events for operands met late (lazy loads): loop
     * on the growing count */
    for (unsigned i = 0; i < fm_fn.nev; i++) {
        event copy = fm_fn.ev[i];
        fm_write_event(evbuf, &copy, cond_of_bb);
    }
    free(cond_of_bb);
}

void fm_collect_function(function *fun)
{
    tree fndecl = fun->decl;
    memset(&fm_fn, 0, sizeof fm_fn);
    fm_fn.fun = fun;
    fm_fn_truncated = false;
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

    fm_fn.nssa = num_ssa_names;
    fm_fn.ssa = XCNEWVEC(oset, fm_fn.nssa ? fm_fn.nssa : 1);
    fm_fn.ev_def = XCNEWVEC(bool, fm_fn.nssa ? fm_fn.nssa : 1);
    translate_body(fun);
    fm_ssa_fixpoint();

    fm_wbuf evbuf = {};
    write_events(&evbuf);
    unsigned nev = fm_fn.nev;
    bool too_many = nev > fm_opt.max_events;
    unsigned nparams = 0;
    for (tree p = DECL_ARGUMENTS(fndecl); p; p = DECL_CHAIN(p))
        nparams++;

    unsigned flags = (fm_fn_truncated || too_many) ? FM_FN_TRUNCATED : 0;
    fm_function_identity(&fn_records, fndecl, flags);
    fm_w_u(&fn_records, nparams);
    fm_w_u(&fn_records, count_stmts());
    fm_w_u(&fn_records, count_loops());
    fm_w_u(&fn_records, fm_fn.nlocals);
    for (unsigned i = 0; i < fm_fn.nlocals; i++) {
        fm_w_u(&fn_records, fm_fn.locals[i].name);
        fm_w_u(&fn_records, fm_fn.locals[i].type1);
        fm_w_u(&fn_records, fm_fn.locals[i].flags);
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
