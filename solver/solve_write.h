/* Private to solve_write.c / solve_output.c: planning edits. */
#ifndef FM_SOLVER_SOLVE_WRITE_H
#define FM_SOLVER_SOLVE_WRITE_H

#include "flowmage/solve.h"

typedef struct fm_planner {
    const fm_click_config *cfg;
    fm_solve_result *res;
    const fm_solver_profile *prof;
    fm_solve_output *out;
    int seq;
} fm_planner;

/* A keyword the device must end up with. */
typedef struct fm_want {
    const char *kw;
    char *value;  /* as written in the configuration */
    char *plain;  /* unquoted, to compare with the current value */
} fm_want;

void fm_want_set(fm_want *w, const char *kw, const char *plain);
/* Always written in double quotes (HASHFUNC "src_ip dst_ip"). */
void fm_want_set_quoted(fm_want *w, const char *kw, const char *plain);
void fm_want_free(fm_want *w);

/* An element to edit: its graph element, source declaration and name. */
typedef struct fm_target {
    int elem, decl;
    const char *name;
} fm_target;

/* Edits giving device d (element t) the wanted keyword values. */
int fm_plan_device(fm_planner *p, const fm_solve_device *d, const fm_want *w,
                   size_t n, fm_error *err);
int fm_plan_element(fm_planner *p, const fm_target *t, const fm_want *w, size_t n,
                    fm_error *err);
/* Apply p->out->edits to the configuration text into p->out->config. */
int fm_apply_edits(fm_planner *p, fm_error *err);

#endif
