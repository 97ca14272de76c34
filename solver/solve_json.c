/* The machine-readable solve report (format in docs/solve.md), read by
 * `flowmage simulate`.  Deterministic: same input, same bytes. */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "flowmage/solve.h"
#include "solve_internal.h"

#define MAX_COMBOS_JSON 1000

static void add_fields(cJSON *o, const char *key, fm_fieldset f)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (int i = 0; i < FM_NFIELDS; i++)
        if (f & (1u << i))
            cJSON_AddItemToArray(a, cJSON_CreateString(fm_field_name(i)));
}

static cJSON *choice_json(const fm_solve_result *res, const fm_rss_choice *c)
{
    cJSON *o = cJSON_CreateObject();
    char hex[2 * FM_RSS_KEY_MAX + 1];
    if (c->none) {
        cJSON_AddBoolToObject(o, "none", 1);
        return o;
    }
    add_fields(o, "fields", c->fields);
    add_fields(o, "hashed", c->hashed);
    cJSON_AddStringToObject(o, "key_kind", fm_rss_key_name(c->key_kind));
    fm_solve_hex(c->key4, res->nic->key_len, hex);
    cJSON_AddStringToObject(o, "key", hex);
    fm_solve_hex(c->key6, res->nic->key_len, hex);
    cJSON_AddStringToObject(o, "key6", hex);
    cJSON_AddNumberToObject(o, "reta_inputs", c->reta_inputs);
    cJSON_AddNumberToObject(o, "reach_bits", c->reach_bits);
    cJSON_AddNumberToObject(o, "varying_rank", c->vary_rank);
    cJSON_AddNumberToObject(o, "spread_bits", c->bits);
    return o;
}

static cJSON *cost_json(const fm_cost_model *m)
{
    static const char *const scal[] = {"log2", "linear", "flat"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", m->source);
    cJSON *s = cJSON_AddObjectToObject(o, "sharing_penalty");
    cJSON_AddNumberToObject(s, "none", m->share[FM_INTENSITY_NONE]);
    cJSON_AddNumberToObject(s, "per-flow", m->share[FM_INTENSITY_PER_FLOW]);
    cJSON_AddNumberToObject(s, "per-packet", m->share[FM_INTENSITY_PER_PACKET]);
    cJSON_AddNumberToObject(o, "pointer_chasing_factor", m->pointer_chasing);
    cJSON_AddNumberToObject(o, "global_state_penalty", m->global_state);
    cJSON_AddNumberToObject(o, "missing_cost", m->missing_cost);
    cJSON_AddNumberToObject(o, "default_cost", m->default_cost);
    cJSON_AddStringToObject(o, "core_scaling", scal[m->scaling]);
    cJSON *e = cJSON_AddObjectToObject(o, "field_entropy_bits");
    for (int i = 0; i < 4; i++)
        cJSON_AddNumberToObject(e, fm_field_name(i), m->entropy[i]);
    cJSON *p = cJSON_AddObjectToObject(o, "field_entropy_position");
    for (int i = 0; i < 4; i++) {
        if (m->entropy_at[i] != FM_ENTROPY_RANGE) {
            cJSON_AddStringToObject(p, fm_field_name(i), fm_entropy_at_name(m->entropy_at[i]));
            continue;
        }
        cJSON *r = cJSON_AddArrayToObject(p, fm_field_name(i));
        cJSON_AddItemToArray(r, cJSON_CreateNumber(m->entropy_first[i]));
        cJSON_AddItemToArray(r, cJSON_CreateNumber(m->entropy_last[i]));
    }
    cJSON_AddNumberToObject(o, "tie_epsilon", m->tie_epsilon);
    cJSON_AddNumberToObject(o, "max_combinations", (double)m->max_combinations);
    return o;
}

static cJSON *rules_json(const fm_solve_result *res, const fm_solve_device *d)
{
    cJSON *a = cJSON_CreateArray();
    char *text = fm_solve_rules_text(res, d);
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        cJSON_AddItemToArray(a, cJSON_CreateString(line));
        line = nl ? nl + 1 : line + strlen(line);
    }
    free(text);
    return a;
}

static cJSON *device_json(const fm_solve_result *res, const fm_click_config *cfg,
                          const fm_solve_device *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddStringToObject(o, "class", d->cls);
    if (cfg) {
        cJSON_AddNumberToObject(o, "line", (double)cfg->decls[d->decl].loc.line);
        cJSON_AddNumberToObject(o, "col", (double)cfg->decls[d->decl].loc.col);
    }
    fm_json_add_str_or_null(o, "port", d->port);
    cJSON_AddNumberToObject(o, "queues", d->queues);
    cJSON_AddNumberToObject(o, "cores", d->cores);
    fm_json_add_str_or_null(o, "thread_offset", d->thread_offset);
    cJSON_AddBoolToObject(o, "rss", d->rss);
    cJSON_AddBoolToObject(o, "writable", d->writable);
    fm_json_add_str_or_null(o, "why_not", d->why_not[0] ? d->why_not : NULL);
    cJSON_AddNumberToObject(o, "group", d->group);
    cJSON_AddNumberToObject(o, "component", d->component);
    const fm_rss_choice *c = fm_solve_chosen(d);
    cJSON *ch = choice_json(res, c);
    cJSON_AddNumberToObject(ch, "candidate", d->chosen);
    if (!c->none)
        cJSON_AddBoolToObject(ch, "unchanged", d->chosen == d->current_cand);
    if (!c->none && res->opts.dialect == FM_DIALECT_FLOWRULES) {
        fm_json_add_str_or_null(ch, "rules_file", d->rules_path);
        cJSON_AddItemToObject(ch, "rules", rules_json(res, d));
    }
    cJSON_AddItemToObject(o, "chosen", ch);
    cJSON *cur = choice_json(res, &d->current);
    cJSON_AddStringToObject(cur, "from", d->current_from);
    cJSON_AddNumberToObject(cur, "candidate", d->current_cand);
    cJSON_AddItemToObject(o, "current", cur);
    cJSON *cands = cJSON_AddArrayToObject(o, "candidates");
    for (size_t i = 0; i < d->ncands; i++)
        cJSON_AddItemToArray(cands, choice_json(res, &d->cands[i]));
    cJSON *ex = cJSON_AddArrayToObject(o, "excluded");
    for (size_t i = 0; i < d->nexcluded; i++)
        cJSON_AddItemToArray(ex, cJSON_CreateString(d->excluded[i]));
    cJSON *nfs = cJSON_AddArrayToObject(o, "nfs");
    for (size_t i = 0; i < d->nnfs; i++)
        cJSON_AddItemToArray(nfs, cJSON_CreateString(res->nfs[d->nfs[i]].name));
    return o;
}

static cJSON *component_json(const fm_solve_result *res, const fm_solve_component *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *devs = cJSON_AddArrayToObject(o, "devices");
    for (size_t i = 0; i < c->ndevices; i++)
        cJSON_AddItemToArray(devs, cJSON_CreateString(res->devices[c->devices[i]].name));
    cJSON_AddStringToObject(o, "search", c->exhaustive ? "exhaustive" : "greedy");
    cJSON_AddNumberToObject(o, "space", (double)c->space);
    cJSON_AddNumberToObject(o, "evaluated", (double)c->ncombos);
    cJSON_AddNumberToObject(o, "current_combination", (double)c->current_combo);
    cJSON *arr = cJSON_AddArrayToObject(o, "combinations");
    for (size_t i = 0; i < c->ncombos && i < MAX_COMBOS_JSON; i++) {
        const fm_solve_combo *x = &c->combos[i];
        cJSON *e = cJSON_CreateObject();
        cJSON *ch = cJSON_AddObjectToObject(e, "choice");
        for (size_t k = 0; k < c->ndevices; k++)
            cJSON_AddNumberToObject(ch, res->devices[c->devices[k]].name, x->choice[k]);
        cJSON_AddNumberToObject(e, "cost", x->cost);
        cJSON *sn = cJSON_AddArrayToObject(e, "shared_nothing");
        for (size_t j = 0; j < c->nnfs; j++)
            if (x->sn[j])
                cJSON_AddItemToArray(sn, cJSON_CreateString(res->nfs[c->nfs[j]].name));
        cJSON_AddBoolToObject(e, "chosen", i == 0);
        if (x->current)
            cJSON_AddBoolToObject(e, "current", 1);
        if (x->infeasible)
            cJSON_AddBoolToObject(e, "infeasible", 1);
        cJSON_AddItemToArray(arr, e);
    }
    return o;
}

/* Per input port reached: its key and the devices reaching it. */
static cJSON *ports_json(const fm_solve_result *res, const fm_solve_nf *nf)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < nf->nports; i++) {
        const fm_solve_port *p = &nf->ports[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "port", p->port);
        cJSON_AddBoolToObject(o, "listed", p->listed);
        cJSON_AddStringToObject(o, "kind", fm_key_kind_name(p->kind));
        add_fields(o, "fields", p->kind == FM_KEY_FIELDS ? p->key : 0);
        cJSON_AddBoolToObject(o, "symmetric", p->symmetric);
        cJSON *e = cJSON_AddArrayToObject(o, "entry");
        for (size_t k = 0; k < p->nentry; k++)
            cJSON_AddItemToArray(e, cJSON_CreateString(
                                        fm_field_name(__builtin_ctz(p->entry[k]))));
        cJSON *devs = cJSON_AddArrayToObject(o, "devices");
        for (size_t k = 0; k < nf->narrivals; k++)
            if (nf->arrivals[k].port == (int)i)
                cJSON_AddItemToArray(devs, cJSON_CreateString(
                                               res->devices[nf->arrivals[k].device].name));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *nf_json(const fm_solve_result *res, const fm_solve_nf *nf)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", nf->name);
    cJSON_AddStringToObject(o, "class", nf->cls);
    cJSON *devs = cJSON_AddArrayToObject(o, "devices");
    for (size_t i = 0; i < nf->ndevices; i++)
        cJSON_AddItemToArray(devs, cJSON_CreateString(res->devices[nf->devices[i]].name));
    cJSON_AddBoolToObject(o, "missing_attrs", nf->missing);
    cJSON_AddStringToObject(o, "role", fm_role_name(nf->role));
    cJSON_AddBoolToObject(o, "stateful", nf->stateful);
    cJSON *k = cJSON_AddObjectToObject(o, "key");
    cJSON_AddStringToObject(k, "kind", fm_key_kind_name(nf->key_kind));
    add_fields(k, "fields", nf->key_kind == FM_KEY_FIELDS ? nf->key : 0);
    cJSON_AddBoolToObject(k, "symmetric", nf->symmetric);
    fm_json_add_str_or_null(k, "from_flow_manager", nf->key_from);
    cJSON_AddStringToObject(o, "intensity", fm_intensity_name(nf->intensity));
    cJSON_AddBoolToObject(o, "pointer_chasing", nf->pointer_chasing);
    cJSON_AddBoolToObject(o, "global_state", nf->global_state);
    cJSON_AddNumberToObject(o, "cost", nf->cost);
    cJSON_AddNumberToObject(o, "cores", nf->cores);
    cJSON_AddStringToObject(o, "decision", fm_nf_decision_name(nf->decision));
    cJSON_AddStringToObject(o, "why", nf->why);
    if (nf->by_port)
        cJSON_AddItemToObject(o, "ports", ports_json(res, nf));
    if (nf->mode.spec) {
        cJSON *m = cJSON_AddObjectToObject(o, "mode");
        cJSON_AddStringToObject(m, "keyword", nf->mode.spec->keyword);
        fm_json_add_str_or_null(m, "current", nf->mode.current);
        if (nf->mode.current_shared < 0)
            cJSON_AddNullToObject(m, "current_shared");
        else
            cJSON_AddBoolToObject(m, "current_shared", nf->mode.current_shared);
        fm_json_add_str_or_null(m, "value", nf->mode.value);
        cJSON_AddBoolToObject(m, "conflict", nf->mode.conflict);
    }
    return o;
}

static void add_graph(cJSON *root, const fm_click_graph *g)
{
    cJSON *gr = cJSON_AddObjectToObject(root, "graph");
    cJSON *els = cJSON_AddArrayToObject(gr, "elements");
    for (size_t i = 0; i < g->n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", g->elems[i].name);
        cJSON_AddStringToObject(e, "class", g->elems[i].cls);
        cJSON_AddItemToArray(els, e);
    }
    cJSON *eds = cJSON_AddArrayToObject(gr, "edges");
    for (size_t i = 0; i < g->nedges; i++) {
        const fm_click_edge *x = &g->edges[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "from", g->elems[x->from].name);
        cJSON_AddNumberToObject(e, "from_port", x->from_port);
        cJSON_AddStringToObject(e, "to", g->elems[x->to].name);
        cJSON_AddNumberToObject(e, "to_port", x->to_port);
        cJSON_AddItemToArray(eds, e);
    }
}

static void add_output(cJSON *root, const fm_solve_output *out)
{
    cJSON *ed = cJSON_AddArrayToObject(root, "edits");
    cJSON *files = cJSON_AddArrayToObject(root, "files");
    if (!out)
        return;
    for (size_t i = 0; i < out->nedits; i++) {
        const fm_solve_edit *e = &out->edits[i];
        if (!e->keyword)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "element", e->element);
        cJSON_AddStringToObject(o, "keyword", e->keyword);
        fm_json_add_str_or_null(o, "old", e->old_value);
        fm_json_add_str_or_null(o, "new", e->new_value);
        cJSON_AddNumberToObject(o, "line", (double)e->line);
        cJSON_AddNumberToObject(o, "col", (double)e->col);
        cJSON_AddItemToArray(ed, o);
    }
    for (size_t i = 0; i < out->nfiles; i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(out->files[i].path));
}

char *fm_solve_report_json(const fm_solve_result *res, const fm_solve_output *out,
                           const fm_click_config *cfg, const char *output_path)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "flowmage_solve_report", FM_SOLVE_REPORT_VERSION);
    cJSON_AddStringToObject(root, "generator", "flowmage " FM_VERSION);
    fm_json_add_str_or_null(root, "config", cfg ? cfg->path : NULL);
    fm_json_add_str_or_null(root, "output", output_path);
    cJSON *nic = cJSON_AddObjectToObject(root, "nic");
    cJSON_AddStringToObject(nic, "name", res->nic->name);
    cJSON_AddNumberToObject(nic, "key_len", res->nic->key_len);
    cJSON_AddNumberToObject(nic, "reta_size", res->nic->reta_size);
    cJSON_AddStringToObject(root, "dialect", fm_dialect_name(res->opts.dialect));
    cJSON_AddBoolToObject(root, "directional", res->opts.directional);
    cJSON_AddItemToObject(root, "cost_model", cost_json(res->cost));
    cJSON_AddNumberToObject(root, "total_cost", res->total_cost);
    cJSON *devs = cJSON_AddArrayToObject(root, "devices");
    for (size_t i = 0; i < res->ndevices; i++)
        cJSON_AddItemToArray(devs, device_json(res, cfg, &res->devices[i]));
    cJSON *comps = cJSON_AddArrayToObject(root, "components");
    for (size_t i = 0; i < res->ncomps; i++)
        cJSON_AddItemToArray(comps, component_json(res, &res->comps[i]));
    cJSON *nfs = cJSON_AddArrayToObject(root, "nfs");
    for (size_t i = 0; i < res->nnfs; i++)
        cJSON_AddItemToArray(nfs, nf_json(res, &res->nfs[i]));
    add_graph(root, res->graph);
    add_output(root, out);
    if (out) /* nothing to change: the output is the input */
        cJSON_AddBoolToObject(root, "unchanged", !fm_solve_output_nedits(out) && !out->nfiles);
    cJSON *notes = cJSON_AddArrayToObject(root, "notes");
    for (size_t i = 0; i < res->nnotes; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(res->notes[i]));
    char *s = fm_json_print(root);
    cJSON_Delete(root);
    return s;
}
