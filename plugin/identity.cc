/* A function's identity record: names, class, flags, source position
 * (layout: include/flowmage/section.h).  Written for every definition and
 * for every callee the unit only declares. */
#include "gcc-common.h"

#include "flowmage/section.h"
#include "fm.h"

/* A printf-like function (format attribute) reads its variable arguments. */
static bool printf_like(tree fndecl)
{
    for (tree a = lookup_attribute("format", DECL_ATTRIBUTES(fndecl)); a;
         a = lookup_attribute("format", TREE_CHAIN(a))) {
        tree args = TREE_VALUE(a);
        tree kind = args ? TREE_VALUE(args) : NULL_TREE;
        const char *k = kind && TREE_CODE(kind) == IDENTIFIER_NODE ? IDENTIFIER_POINTER(kind) : "";
        if (strstr(k, "printf"))
            return true;
    }
    return false;
}

/* Every pointer parameter points to const: a callee flowmage cannot see
 * writes nothing its caller passed it. */
static bool no_arg_writes(tree fndecl)
{
    tree t = TREE_TYPE(fndecl);
    if (!t || !FUNC_OR_METHOD_TYPE_P(t))
        return false;
    tree p = TYPE_ARG_TYPES(t);
    for (; p && p != void_list_node; p = TREE_CHAIN(p)) {
        tree pt = TREE_VALUE(p);
        if (pt && (POINTER_TYPE_P(pt)) && !TYPE_READONLY(TREE_TYPE(pt)))
            return false;
    }
    return p == void_list_node || printf_like(fndecl);
}

static unsigned fn_flags(tree fndecl)
{
    unsigned f = 0;
    if (DECL_VIRTUAL_P(fndecl)) f |= FM_FN_VIRTUAL;
    if (TREE_CODE(TREE_TYPE(fndecl)) == FUNCTION_TYPE && DECL_CONTEXT(fndecl) &&
        RECORD_OR_UNION_TYPE_P(DECL_CONTEXT(fndecl)))
        f |= FM_FN_STATIC;
    if (DECL_CXX_CONSTRUCTOR_P(fndecl)) f |= FM_FN_CTOR;
    if (DECL_CXX_DESTRUCTOR_P(fndecl)) f |= FM_FN_DTOR;
    if (DECL_IN_SYSTEM_HEADER(fndecl)) f |= FM_FN_SYSTEM;
    if (DECL_COMDAT(fndecl) || DECL_DECLARED_INLINE_P(fndecl)) f |= FM_FN_COMDAT;
    if (TREE_PUBLIC(fndecl)) f |= FM_FN_PUBLIC;
    if (DECL_ARTIFICIAL(fndecl)) f |= FM_FN_ARTIFICIAL;
    if (DECL_NAME(fndecl) && !strncmp(IDENTIFIER_POINTER(DECL_NAME(fndecl)), "operator", 8))
        f |= FM_FN_OPERATOR;
    int ecf = flags_from_decl_or_type(fndecl);
    if (ecf & ECF_CONST)
        f |= FM_FN_CONST;
    if (ecf & ECF_PURE)
        f |= FM_FN_PURE;
    if (no_arg_writes(fndecl))
        f |= FM_FN_NO_ARG_WRITES;
    return f;
}

void fm_function_identity(fm_wbuf *b, tree fndecl, unsigned extra_flags)
{
    tree ctx = DECL_CONTEXT(fndecl);
    unsigned cls1 = ctx && RECORD_OR_UNION_TYPE_P(ctx) ? fm_type_index(ctx) + 1 : 0;
    expanded_location x = expand_location(DECL_SOURCE_LOCATION(fndecl));
    unsigned end = 0;
    function *fun = DECL_STRUCT_FUNCTION(fndecl);
    if (fun && !(extra_flags & FM_FN_DECL))
        end = (unsigned)LOCATION_LINE(fun->function_end_locus);
    unsigned vslot1 = 0;
    if (DECL_VINDEX(fndecl) && tree_fits_uhwi_p(DECL_VINDEX(fndecl)))
        vslot1 = (unsigned)tree_to_uhwi(DECL_VINDEX(fndecl)) + 1;
    fm_w_u(b, fm_str(IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(fndecl))));
    fm_w_u(b, fm_str(fm_printable(fndecl, 1)));
    fm_w_u(b, DECL_NAME(fndecl) ? fm_str(IDENTIFIER_POINTER(DECL_NAME(fndecl))) : 0);
    fm_w_u(b, cls1);
    fm_w_u(b, fn_flags(fndecl) | extra_flags);
    fm_w_u(b, vslot1);
    fm_w_u(b, fm_str(x.file));
    fm_w_u(b, x.line > 0 ? (unsigned)x.line : 0);
    fm_w_u(b, end);
}
