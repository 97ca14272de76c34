/* Function bodies decoded when first asked for (fm_program_decode).
 *
 * Checks, on the fixtures built with the plugin: loading decodes no body;
 * fm_program_decode gives a function its events once (the same array
 * after), well formed; summarizing decodes the functions the analysis
 * reads and leaves others encoded; the whole program decoded in reverse
 * order dumps the same bytes as decoded in order (a body decodes alone). */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowmage/facts.h"
#include "flowmage/profile.h"
#include "flowmage/summary.h"

static fm_program *load(const char *path)
{
    fm_error err = {0};
    fm_program *p = fm_program_new();
    CHECK(fm_program_load(p, path, &err) == 0, "load %s: %s", path, err.msg);
    return p;
}

/* Defined functions with events, and how many of them are decoded. */
static size_t with_events(const fm_program *p, size_t *decoded)
{
    size_t n = 0;
    *decoded = 0;
    for (size_t i = 0; i < fm_program_nfuncs(p); i++) {
        const fm_func *f = fm_program_func_at(p, i);
        if (f->nevents) {
            n++;
            *decoded += f->events != NULL;
        }
    }
    return n;
}

static void test_decode_one(const char *path)
{
    fm_program *p = load(path);
    size_t decoded, n = with_events(p, &decoded);
    CHECK(n >= 100, "fixtures define functions with events: %zu", n);
    CHECK_INT((long)decoded, 0);
    const fm_func *f = NULL;
    for (size_t i = 0; i < fm_program_nfuncs(p) && !f; i++)
        if (fm_program_func_at(p, i)->nevents >= 8)
            f = fm_program_func_at(p, i);
    CHECK(f != NULL, "a function of 8 events or more");
    if (f) {
        CHECK(f->events == NULL, "%s not decoded by loading", f->printable);
        fm_program_decode(p, f);
        const fm_event *ev = f->events;
        CHECK(ev != NULL, "%s decoded", f->printable);
        fm_program_decode(p, f);
        CHECK(f->events == ev, "decoded once");
        for (uint32_t k = 0; ev && k < f->nevents; k++) {
            CHECK(ev[k].kind >= FM_EV_LOAD && ev[k].kind <= FM_EV_COND, "event %u kind %u", k,
                  ev[k].kind);
            for (uint32_t g = 0; g < ev[k].nguards; g++)
                CHECK(ev[k].guards[g].cond < f->nevents, "event %u guard in range", k);
        }
        with_events(p, &decoded);
        CHECK_INT((long)decoded, 1);
    }
    fm_program_free(p);
}

static void test_summarize_decodes_some(const char *path)
{
    fm_program *p = load(path);
    fm_error err = {0};
    fm_profile prof;
    CHECK(fm_profile_load("fastclick", &prof, &err) == 0, "profile: %s", err.msg);
    fm_summary_set set;
    CHECK(fm_summarize(p, &prof, &set, &err) == 0, "summarize: %s", err.msg);
    size_t decoded, n = with_events(p, &decoded);
    CHECK(decoded > 0 && decoded < n, "the analysis decodes what it reads: %zu of %zu", decoded,
          n);
    fm_summary_set_free(&set);
    fm_profile_free(&prof);
    fm_program_free(p);
}

static void test_order(const char *path)
{
    fm_program *a = load(path), *b = load(path);
    fm_program_decode_all(a);
    for (size_t i = fm_program_nfuncs(b); i-- > 0;)
        fm_program_decode(b, fm_program_func_at(b, i));
    size_t decoded, n = with_events(b, &decoded);
    CHECK_INT((long)decoded, (long)n);
    char *ja = fm_program_to_json(a), *jb = fm_program_to_json(b);
    CHECK(ja && jb && !strcmp(ja, jb), "decoded in either order, the same program");
    free(ja);
    free(jb);
    fm_program_free(a);
    fm_program_free(b);
}

int main(void)
{
    const char *b = getenv("FM_BUILD");
    if (!b) {
        fprintf(stderr, "FM_BUILD must be set (run through make check)\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/O2", b);
    test_decode_one(path);
    test_summarize_decodes_some(path);
    test_order(path);
    return fm_t_done("test_program_lazy",
                     "loading decodes no body, one decoded once and well formed, the "
                     "analysis decodes some, either order dumps the same");
}
