/* Every limit of the analysis (docs/summaries.md, "Limits"), lowered to its
 * smallest value on the fixtures: no state may disappear, no key field may
 * appear that the full analysis does not find, and any attribute that
 * changes must come with a reason naming the limit (in `uncertain` when
 * facts are missing, in `notes` when the result is only coarser).  Each
 * limit must be reached on the fixtures, so that the check means
 * something. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flowmage/facts.h"
#include "flowmage/profile.h"
#include "flowmage/summary.h"

typedef struct limit_case {
    const char *spec;   /* FLOWMAGE_LIMITS */
    const char *reason; /* what the reason it leaves says */
} limit_case;

static const limit_case cases[] = {
    {"budget=1", "budget exceeded:"},
    {"iterations=1", "analysis did not converge in"},
    {"recursion=1", "recursion through"},
    {"call_depth=1", "calls nested deeper"},
    {"call_depth=3", "calls nested deeper"},
    {"cells=1", "budget exceeded in"},
    {"records=1", "budget exceeded in"},
    {"stores=1", "merged by member"},
    {"targets=1", "possible targets"},
    {"loc_depth=1", "steps or"},
    {"loc_deref=1", "pointers deep"},
};

static int summarize(const fm_program *p, const char *profile, const char *spec,
                     fm_summary_set *out)
{
    fm_error err = {0};
    fm_profile prof;
    CHECK(fm_profile_load(profile, &prof, &err) == 0, "profile %s: %s", profile, err.msg);
    if (spec)
        setenv("FLOWMAGE_LIMITS", spec, 1);
    else
        unsetenv("FLOWMAGE_LIMITS");
    int rc = fm_summarize(p, &prof, out, &err);
    CHECK(rc == 0, "summarize with %s: %s", spec ? spec : "defaults", err.msg);
    fm_profile_free(&prof);
    return rc;
}

/* A reason about `what` in a that b does not give: the limit's own. */
static int new_reason(const fm_elem_attrs *a, const fm_elem_attrs *b, const char *what)
{
    const fm_strset *sets[2] = {&a->uncertain, &a->notes};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < sets[s]->n; i++)
            if (strstr(sets[s]->v[i], what) && !fm_strset_has(&b->uncertain, sets[s]->v[i]) &&
                !fm_strset_has(&b->notes, sets[s]->v[i]))
                return 1;
    return 0;
}

static int same_attrs(const fm_elem_attrs *a, const fm_elem_attrs *b)
{
    return a->stateful == b->stateful && a->key_kind == b->key_kind &&
           a->key_fields == b->key_fields && a->intensity == b->intensity &&
           a->symmetric == b->symmetric;
}

/* One limit against the full analysis; returns 1 if it was reached. */
static int check_case(const fm_summary_set *full, const fm_summary_set *lim,
                      const limit_case *lc, const char *profile)
{
    int reached = 0;
    for (size_t i = 0; i < full->n; i++) {
        const fm_elem_attrs *f = &full->v[i].a;
        const fm_summary *ls = fm_summary_set_find(lim, full->v[i].a.name);
        CHECK(ls != NULL, "%s %s: %s missing", profile, lc->spec, full->v[i].a.name);
        if (!ls)
            continue;
        const fm_elem_attrs *l = &ls->a;
        const char *n = full->v[i].a.name;
        reached |= new_reason(l, f, lc->reason);
        CHECK(!f->stateful || l->stateful, "%s %s: %s lost its state", profile, lc->spec, n);
        if (l->key_kind == FM_KEY_FIELDS && l->stateful)
            CHECK(f->key_kind == FM_KEY_FIELDS && (l->key_fields & ~f->key_fields) == 0,
                  "%s %s: %s key fields 0x%x not within 0x%x", profile, lc->spec, n,
                  l->key_fields, f->key_fields);
        if (!same_attrs(f, l))
            CHECK(new_reason(l, f, lc->reason), "%s %s: %s changed without saying why", profile,
                  lc->spec, n);
    }
    return reached;
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
    fm_error err = {0};
    fm_program *p = fm_program_new();
    CHECK(fm_program_load(p, path, &err) == 0, "load %s: %s", path, err.msg);
    const char *profiles[] = {"fastclick", "dpdk"};
    int reached[sizeof cases / sizeof cases[0]] = {0};
    for (int pi = 0; pi < 2; pi++) {
        fm_summary_set full;
        if (summarize(p, profiles[pi], NULL, &full) != 0)
            continue;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            fm_summary_set lim;
            if (summarize(p, profiles[pi], cases[c].spec, &lim) != 0)
                continue;
            reached[c] |= check_case(&full, &lim, &cases[c], profiles[pi]);
            fm_summary_set_free(&lim);
        }
        fm_summary_set_free(&full);
    }
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        CHECK(reached[c], "%s is never reached on the fixtures: the check says nothing",
              cases[c].spec);
    setenv("FLOWMAGE_LIMITS", "iterations=0", 1);
    fm_summary_set bad;
    fm_profile prof;
    CHECK(fm_profile_load("fastclick", &prof, &err) == 0, "profile: %s", err.msg);
    CHECK(fm_summarize(p, &prof, &bad, &err) != 0 && strstr(err.msg, "iterations=0"),
          "a limit of 0 is refused (%s)", err.msg);
    fm_profile_free(&prof);
    fm_program_free(p);
    return fm_t_done("test_summarize_limits",
                     "each analysis limit at its smallest value: state kept, keys within the "
                     "full analysis's, every change explained");
}
