/* solve: loading everything a solve needs besides the attributes, in the
 * order that reports the user's own file first (the configuration), so that
 * `flowmage deploy` can validate its inputs before any work is done. */
#include <string.h>

#include "flowmage/solve.h"

static int load_profile(const char *name_or_path, fm_solver_profile *p, fm_error *err)
{
    const char *want = name_or_path ? name_or_path : "fastclick";
    size_t n = strlen(want);
    if (strchr(want, '/') || (n > 5 && !strcmp(want + n - 5, ".json")))
        return fm_solver_profile_load(want, p, err);
    char rel[512], path[4096];
    snprintf(rel, sizeof rel, "profiles/%s.json", want);
    if (fm_find_data_file(rel, path, sizeof path) != 0)
        return fm_fail(err, name_or_path ? FM_ERR_INPUT : FM_ERR_ENV, rel, 0, 0,
                       "framework profile \"%s\" not found (set FLOWMAGE_DATADIR "
                       "or pass a profile file)", want);
    return fm_solver_profile_load(path, p, err);
}

int fm_solve_inputs_load(fm_solve_inputs *in, const char *config,
                         const char *profile, const char *nic,
                         const char *cost_model, fm_error *err)
{
    memset(in, 0, sizeof *in);
    if (fm_click_load(config, &in->cfg, err) != 0)
        return -1;
    in->have_cfg = 1;
    if (fm_click_graph_build(&in->cfg, &in->graph, err) != 0)
        goto fail;
    in->have_graph = 1;
    if (load_profile(profile, &in->prof, err) != 0)
        goto fail;
    in->have_prof = 1;
    if (fm_nic_load(nic ? nic : FM_SOLVE_DEFAULT_NIC, &in->nic, err) != 0)
        goto fail;
    in->have_nic = 1;
    if (cost_model) {
        if (fm_cost_model_load(cost_model, &in->cost, err) != 0)
            goto fail;
    } else {
        fm_cost_model_default(&in->cost);
    }
    in->have_cost = 1;
    return 0;
fail:
    fm_solve_inputs_free(in);
    return -1;
}

void fm_solve_inputs_free(fm_solve_inputs *in)
{
    if (in->have_graph)
        fm_click_graph_free(&in->graph);
    if (in->have_cfg)
        fm_click_free(&in->cfg);
    if (in->have_prof)
        fm_solver_profile_free(&in->prof);
    if (in->have_nic)
        fm_nic_free(&in->nic);
    if (in->have_cost)
        fm_cost_model_free(&in->cost);
    memset(in, 0, sizeof *in);
}
