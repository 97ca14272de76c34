/* Phase B of the collector: SSA value flow to a fixpoint.  Every SSA name's
 * origin set grows from its definition's operands (assignments, phis,
 * calls, asm outputs), with the transformation on the way (masked, mixed,
 * joined, selected, zero-tested), until nothing changes. */
#include "collect.h"

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
    if (!op || TREE_CODE(lhs) != SSA_NAME || SSA_NAME_VERSION(lhs) >= fm_fn.nssa)
        return false;
    oset tmp = {};
    fm_operand_origins(op, &tmp);
    bool changed = oset_union(&fm_fn.ssa[SSA_NAME_VERSION(lhs)], &tmp, x);
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
    if (TREE_CODE(lhs) != SSA_NAME || fm_fn.ev_def[SSA_NAME_VERSION(lhs)])
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
    if (!lhs || TREE_CODE(lhs) != SSA_NAME || !fm_transparent_builtin(g))
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
        if (TREE_CODE(o) != SSA_NAME || SSA_NAME_VERSION(o) >= fm_fn.nssa)
            continue;
        oset v = {};
        fm_asm_value(g, &v);
        changed |= oset_union(&fm_fn.ssa[SSA_NAME_VERSION(o)], &v, X_PASS);
        oset_free(&v);
    }
    return changed;
}

void fm_ssa_fixpoint(void)
{
    basic_block bb;
    for (int iter = 0; iter < 64; iter++) {
        bool changed = false;
        FOR_EACH_BB_FN(bb, fm_fn.fun) {
            fm_fn.cur_bb = bb;
            for (gphi_iterator pi = gsi_start_phis(bb); !gsi_end_p(pi); gsi_next(&pi)) {
                gphi *phi = pi.phi();
                tree res = gimple_phi_result(phi);
                if (virtual_operand_p(res))
                    continue;
                fm_fn.cur = phi;
                for (unsigned i = 0; i < gimple_phi_num_args(phi); i++)
                    changed |= flow_into(res, gimple_phi_arg_def(phi, i), X_SELECT);
            }
            for (gimple_stmt_iterator gi = gsi_start_bb(bb); !gsi_end_p(gi); gsi_next(&gi)) {
                gimple *g = gsi_stmt(gi);
                fm_fn.cur = g;
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
    fm_fn_truncated = true; /* did not converge: facts may be incomplete */
}
