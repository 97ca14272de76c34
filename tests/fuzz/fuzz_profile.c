/* Framework profiles (summarize/profile.c): refused with a located error,
 * or read into a profile that answers queries. */
#include "flowmage/profile.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fm_profile p;
    fm_error err;
    memset(&err, 0, sizeof err);
    if (fm_profile_parse((const char *)data, size, "fuzz.json", &p, &err) != 0) {
        fuzz_check_error(&err, data, size);
        return 0;
    }
    if (!p.elements_are_functions && p.element_bases.n == 0)
        abort();
    for (size_t i = 0; i < p.nheaders; i++)
        if (fm_profile_header(&p, p.headers[i].rec, p.headers[i].field) == NULL)
            abort();
    for (size_t i = 0; i < p.ntables; i++) {
        const fm_table_method *m;
        for (size_t k = 0; k < p.tables[i].nfunctions; k++)
            if (!fm_profile_table_function(&p, p.tables[i].functions[k].name, &m) ||
                m->key_arg < 0 || m->key_arg > 64)
                abort();
        if (p.tables[i].classes.n && p.tables[i].nmethods &&
            !fm_profile_table_method(&p, p.tables[i].classes.v[0], p.tables[i].methods[0].name, &m))
            abort();
    }
    fm_profile_free(&p);
    return 0;
}
