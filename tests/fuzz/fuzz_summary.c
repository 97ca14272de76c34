/* One summary file (summarize/summary_json.c): refused with a located
 * error, or read and written back to bytes that read the same. */
#include "flowmage/summary.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fm_summary s, t;
    fm_error err;
    memset(&err, 0, sizeof err);
    if (fm_summary_parse((const char *)data, size, "fuzz.json", &s, &err) != 0) {
        fuzz_check_error(&err, data, size);
        return 0;
    }
    char *j = fm_summary_to_json(&s);
    if (fm_summary_parse(j, strlen(j), "written", &t, &err) != 0)
        abort();
    char *k = fm_summary_to_json(&t);
    if (strcmp(j, k) != 0)
        abort();
    fm_attrs a = {0};
    fm_attrs_add_copy(&a, &s.a);
    char *x = fm_attrs_to_json(&a);
    free(x);
    fm_attrs_free(&a);
    free(j);
    free(k);
    fm_summary_free(&s);
    fm_summary_free(&t);
    return 0;
}
