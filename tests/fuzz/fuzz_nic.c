/* NIC profiles (solver/solve_profile.c): refused with a located error, or
 * read into a profile whose invariants hold. */
#include "flowmage/solve.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fm_nic_profile nic;
    fm_error err;
    memset(&err, 0, sizeof err);
    if (fm_nic_parse((const char *)data, size, "fuzz.json", &nic, &err) != 0) {
        fuzz_check_error(&err, data, size);
        return 0;
    }
    if (nic.key_len < 16 || nic.key_len > FM_RSS_KEY_MAX || nic.reta_size < 2 ||
        (nic.reta_size & (nic.reta_size - 1)) || nic.max_queues < 1 || nic.nsets == 0 ||
        (1u << fm_nic_reta_bits(&nic)) != nic.reta_size)
        abort();
    for (size_t i = 0; i < nic.nsets; i++) {
        const fm_nic_set *s = &nic.sets[i];
        if (!s->nrules || !(s->fields & (FM_F_SRC_IP | FM_F_DST_IP)) ||
            fm_nic_find_set(&nic, s->fields) != (int)i)
            abort();
        for (size_t k = 0; k < s->nrules; k++)
            if (s->rules[k].priority < 0 || s->rules[k].priority > 1000 ||
                (s->rules[k].hashed & ~s->fields))
                abort();
    }
    fm_nic_free(&nic);
    return 0;
}
