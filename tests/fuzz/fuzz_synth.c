/* Synthetic trace specs (simulate/synth.c, --synthetic): refused with an
 * error whose column lies inside the spec, or parsed into a spec whose
 * canonical text parses to the same spec; small specs are generated and
 * honour their packet count exactly and their flow count (reversed packets
 * add the mirrored flows). */
#include "flowmage/simulate.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *spec = malloc(size + 1);
    memcpy(spec, data, size);
    spec[size] = 0;
    size_t len = strlen(spec); /* the CLI sees a C string */
    fm_synth_spec s, again;
    fm_error err;
    memset(&err, 0, sizeof err);
    if (fm_synth_parse(spec, &s, &err) != 0) {
        if (err.kind != FM_ERR_INPUT || !err.msg[0] || err.col < 0 || (size_t)err.col > len + 1)
            abort();
        free(spec);
        return 0;
    }
    char canon[1024], canon2[1024];
    fm_synth_format(&s, canon, sizeof canon);
    if (fm_synth_parse(canon, &again, &err) != 0)
        abort();
    fm_synth_format(&again, canon2, sizeof canon2);
    if (strcmp(canon, canon2) != 0)
        abort();
    if (s.flows <= 2000 && s.packets <= 20000) {
        fm_trace t;
        if (fm_synth_generate(&s, &t, &err) == 0) {
            /* reversed packets are flows of their own (the mirrored tuple) */
            if (t.npkts != s.packets || t.nflows < s.flows || t.nflows > 2 * s.flows)
                abort();
            fm_trace_free(&t);
        } else if (err.kind != FM_ERR_INPUT) {
            abort();
        }
    }
    free(spec);
    return 0;
}
