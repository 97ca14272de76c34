/* Class helpers over the program model: derivation, and the method a
 * virtual slot or a name reaches in a class (most-derived first). */
#include <string.h>

#include "engine.h"
#include "program.h"

int fm_type_derives(const fm_program *P, int32_t t, int32_t base)
{
    if (t < 0 || base < 0)
        return 0;
    if (t == base)
        return 1;
    const fm_type *ty = fm_program_type_at(P, (size_t)t);
    for (uint32_t i = 0; i < ty->nbases; i++)
        if (fm_type_derives(P, ty->bases[i].type, base))
            return 1;
    return 0;
}

int fm_type_derives_named(const fm_program *P, int32_t t, const fm_strset *names)
{
    if (t < 0)
        return 0;
    const fm_type *ty = fm_program_type_at(P, (size_t)t);
    if (fm_strset_has(names, ty->tmpl) || fm_strset_has(names, ty->name))
        return 1;
    for (uint32_t i = 0; i < ty->nbases; i++)
        if (fm_type_derives_named(P, ty->bases[i].type, names))
            return 1;
    return 0;
}

static const fm_func *method_in(const an *A, int32_t t, const char *name, int slot)
{
    const fm_program *P = A->P;
    const fm_func *decl = NULL;
    uint32_t n = t >= 0 ? A->nmethods[t] : 0;
    for (uint32_t m = 0; m < n; m++) {
        const fm_func *f = fm_program_func_at(P, A->methods[t][m]);
        if (name ? strcmp(f->simple, name) != 0 : f->vslot != slot)
            continue;
        if (!(f->flags & FM_FN_DECL))
            return f;
        decl = f;
    }
    return decl;
}

/* The function in slot s of class t's vtable (NULL if none): entry points
 * and virtual calls ask per NF, the names are looked up once. */
static const fm_func *slot_func(const an *A, int32_t t, uint32_t s)
{
    const fm_type *ty = fm_program_type_at(A->P, (size_t)t);
    if (!A->slot_fn[t]) {
        A->slot_fn[t] = fm_xcalloc(ty->nslots ? ty->nslots : 1, sizeof **A->slot_fn);
        for (uint32_t k = 0; k < ty->nslots; k++)
            A->slot_fn[t][k] = ty->slots[k] ? fm_program_func_pooled(A->P, ty->slots[k], 0)
                                            : NULL;
    }
    return A->slot_fn[t][s];
}

const fm_func *fm_class_slot_method(const an *A, int32_t t, uint32_t slot)
{
    const fm_program *P = A->P;
    if (t < 0)
        return NULL;
    const fm_type *ty = fm_program_type_at(P, (size_t)t);
    if (slot < ty->nslots && ty->slots[slot])
        return slot_func(A, t, slot);
    /* no vtable listing (-flto): the most-derived method with that slot */
    const fm_func *f = method_in(A, t, NULL, (int)slot);
    if (f)
        return f;
    for (uint32_t i = 0; i < ty->nbases; i++)
        if ((ty->bases[i].flags & FM_BASE_PRIMARY) &&
            (f = fm_class_slot_method(A, ty->bases[i].type, slot)))
            return f;
    return NULL;
}

const fm_func *fm_class_method_named(const an *A, int32_t t, const char *name)
{
    const fm_program *P = A->P;
    if (t < 0)
        return NULL;
    const fm_type *ty = fm_program_type_at(P, (size_t)t);
    /* prefer the vtable: it names the most-derived override */
    for (uint32_t s = 0; s < ty->nslots; s++) {
        const fm_func *f = slot_func(A, t, s);
        if (f && !strcmp(f->simple, name))
            return f;
    }
    const fm_func *f = method_in(A, t, name, -1);
    if (f)
        return f;
    for (uint32_t i = 0; i < ty->nbases; i++)
        if ((f = fm_class_method_named(A, ty->bases[i].type, name)))
            return f;
    return NULL;
}
