/* Cost models (solver/solve_cost.c): refused with a located error, or read
 * into a model whose every derived number is finite. */
#include <math.h>

#include "flowmage/solve.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fm_cost_model m;
    fm_error err;
    memset(&err, 0, sizeof err);
    if (fm_cost_model_parse((const char *)data, size, "fuzz.json", &m, &err) != 0) {
        fuzz_check_error(&err, data, size);
        return 0;
    }
    if (m.max_combinations < 1 || m.max_combinations > 100000000)
        abort();
    for (unsigned cores = 1; cores <= 64; cores *= 2) {
        if (!isfinite(fm_cost_core_factor(&m, cores)))
            abort();
        for (fm_fieldset f = 1; f < 16; f++)
            if (!isfinite(fm_cost_imbalance(&m, f, cores)) || !isfinite(fm_cost_entropy(&m, f)))
                abort();
    }
    for (int in = 0; in < 3; in++)
        if (!isfinite(fm_cost_share_penalty(&m, (fm_intensity)in, 1, 8)))
            abort();
    fm_cost_model_free(&m);
    return 0;
}
