/* attrs.json (common/attrs.c): refused with a located error, or read and
 * written back to bytes that read the same. */
#include "flowmage/attrs.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fm_attrs a, b;
    fm_error err;
    memset(&err, 0, sizeof err);
    if (fm_attrs_parse((const char *)data, size, "fuzz.json", &a, &err) != 0) {
        fuzz_check_error(&err, data, size);
        return 0;
    }
    for (size_t i = 0; i < a.n; i++)
        if (!a.elems[i].name[0] || (a.elems[i].stateful && a.elems[i].key_kind == FM_KEY_NONE) ||
            a.elems[i].cost < 0 || a.elems[i].cost_rank < 0)
            abort();
    char *j = fm_attrs_to_json(&a);
    if (fm_attrs_parse(j, strlen(j), "written", &b, &err) != 0)
        abort();
    char *k = fm_attrs_to_json(&b);
    if (strcmp(j, k) != 0)
        abort();
    free(j);
    free(k);
    fm_attrs_free(&a);
    fm_attrs_free(&b);
    return 0;
}
