/* Explaining a solution: the --explain text (per device: candidates with
 * their costs, the chosen one, a table of NFs and decisions) and the --dot
 * drawing of the chain. */
#include <stdlib.h>
#include <string.h>

#include "flowmage/solve.h"
#include "solve_internal.h"

#define MAX_LISTED 40

static void fields_text(fm_fieldset key, char *f, size_t n)
{
    fm_fieldset_format(key, f, (unsigned)n);
    if (key == FM_F_ALL)
        snprintf(f, n, "5-tuple");
    if (!f[0])
        snprintf(f, n, "(none)");
}

/* Per input port: "[0] src_ip [1] dst_ip" over the ports devices reach. */
static void port_key_text(const fm_solve_nf *nf, char *out, size_t n)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < nf->nports && used < n; i++) {
        const fm_solve_port *p = &nf->ports[i];
        char f[64];
        if (p->kind == FM_KEY_FIELDS)
            fields_text(p->key, f, sizeof f);
        else
            snprintf(f, sizeof f, "%s", fm_key_kind_name(p->kind));
        int w = snprintf(out + used, n - used, "%s[%d] %s%s", i ? " " : "", p->port, f,
                         p->symmetric ? " sym" : "");
        used += w > 0 ? (size_t)w : 0;
    }
}

/* "src_ip,dst_ip sym via fm" / "unknown" / "-" for an NF's key. */
static void key_text(const fm_solve_nf *nf, char *out, size_t n)
{
    char f[64];
    if (nf->by_port && nf->nports) {
        port_key_text(nf, out, n);
    } else if (nf->key_kind == FM_KEY_FIELDS) {
        fields_text(nf->key, f, sizeof f);
        snprintf(out, n, "%s%s%s%s", f, nf->symmetric ? " sym" : "",
                 nf->key_from ? " via " : "", nf->key_from ? nf->key_from : "");
    } else if (!nf->stateful) {
        snprintf(out, n, "-");
    } else {
        snprintf(out, n, "%s", nf->missing ? "unknown (no attrs)" : "unknown");
    }
}

static void sn_list(const fm_solve_result *res, const fm_solve_component *c,
                    const fm_solve_combo *x, fm_buf *b)
{
    size_t n = 0;
    for (size_t j = 0; j < c->nnfs; j++)
        if (x->sn[j])
            fm_buf_printf(b, "%s%s", n++ ? ", " : "", res->nfs[c->nfs[j]].name);
    if (!n)
        fm_buf_puts(b, "-");
}

static void combo_label(const fm_solve_result *res, const fm_solve_component *c,
                        const fm_solve_combo *x, char *out, size_t n)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < c->ndevices && used < n; i++) {
        const fm_solve_device *d = &res->devices[c->devices[i]];
        char f[96];
        fm_rss_choice_format(&d->cands[x->choice[i]], f, sizeof f);
        int w = c->ndevices > 1 ? snprintf(out + used, n - used, "%s%s=%s", i ? " " : "",
                                           d->name, f)
                                : snprintf(out + used, n - used, "%s", f);
        used += w > 0 ? (size_t)w : 0;
    }
}

static void explain_candidates(const fm_solve_result *res, const fm_solve_component *c,
                               fm_buf *b)
{
    char label[256];
    size_t width = 6;
    for (size_t i = 0; i < c->ncombos && i < MAX_LISTED; i++) {
        combo_label(res, c, &c->combos[i], label, sizeof label);
        width = strlen(label) > width ? strlen(label) : width;
    }
    fm_buf_printf(b, "  candidates, best first (%s search, %zu evaluated):\n",
                  c->exhaustive ? "exhaustive" : "greedy", c->ncombos);
    fm_buf_printf(b, "       %-*s  %10s  %s\n", (int)width, "rss", "cost",
                  "shared-nothing");
    for (size_t i = 0; i < c->ncombos && i < MAX_LISTED; i++) {
        combo_label(res, c, &c->combos[i], label, sizeof label);
        fm_buf_printf(b, "   %s %2zu %-*s  %10.2f  ", i ? " " : "*", i + 1, (int)width,
                      label, c->combos[i].cost);
        sn_list(res, c, &c->combos[i], b);
        fm_buf_puts(b, "\n");
    }
    if (c->ncombos > MAX_LISTED)
        fm_buf_printf(b, "      ... %zu more (all in --json)\n", c->ncombos - MAX_LISTED);
}

/* The mode column appears only when some NF of the device takes a mode
 * keyword (profile "nf_modes"). */
static void explain_nfs(const fm_solve_result *res, const fm_solve_device *d, fm_buf *b)
{
    size_t wn = 2, wc = 5, wk = 3, wm = 0;
    char key[160], mode[96];
    for (size_t i = 0; i < d->nnfs; i++) {
        const fm_solve_nf *nf = &res->nfs[d->nfs[i]];
        key_text(nf, key, sizeof key);
        fm_solve_mode_text(nf, mode, sizeof mode);
        wn = strlen(nf->name) > wn ? strlen(nf->name) : wn;
        wc = strlen(nf->cls) > wc ? strlen(nf->cls) : wc;
        wk = strlen(key) > wk ? strlen(key) : wk;
        if (nf->mode.spec && strlen(mode) > wm)
            wm = strlen(mode) > 4 ? strlen(mode) : 4;
    }
    fm_buf_printf(b, "  %-*s  %-*s  %-*s  %-10s  %-3s  %7s  %-14s  ", (int)wn, "NF",
                  (int)wc, "class", (int)wk, "key", "intensity", "ptr", "cost", "decision");
    if (wm)
        fm_buf_printf(b, "%-*s  ", (int)wm, "mode");
    fm_buf_puts(b, "why\n");
    for (size_t i = 0; i < d->nnfs; i++) {
        const fm_solve_nf *nf = &res->nfs[d->nfs[i]];
        key_text(nf, key, sizeof key);
        fm_solve_mode_text(nf, mode, sizeof mode);
        fm_buf_printf(b, "  %-*s  %-*s  %-*s  %-10s  %-3s  %7.1f  %-14s  ", (int)wn,
                      nf->name, (int)wc, nf->cls, (int)wk, key,
                      nf->stateful ? fm_intensity_name(nf->intensity) : "-",
                      nf->stateful ? (nf->pointer_chasing ? "yes" : "no") : "-", nf->cost,
                      fm_nf_decision_name(nf->decision));
        if (wm)
            fm_buf_printf(b, "%-*s  ", (int)wm, mode);
        fm_buf_printf(b, "%s%s\n", nf->why,
                      nf->mode.conflict ? " (mode: its declaration also makes an element "
                                          "that runs shared: shared value written)" : "");
    }
}

static void explain_device(const fm_solve_result *res, const fm_solve_device *d,
                           const fm_solve_component *alone, fm_buf *b)
{
    char f[96];
    const fm_rss_choice *c = fm_solve_chosen(d);
    fm_rss_choice_format(c, f, sizeof f);
    fm_buf_printf(b, "device %s (%s", d->name, d->cls);
    if (d->port)
        fm_buf_printf(b, ", port %s", d->port);
    fm_buf_printf(b, "): %u queue%s, %u core%s\n", d->queues, d->queues == 1 ? "" : "s",
                  d->cores, d->cores == 1 ? "" : "s");
    if (d->rss) {
        char cur[96];
        fm_rss_choice_format(&d->current, cur, sizeof cur);
        fm_buf_printf(b, "  before solving: %s (%s)\n", cur, d->current_from);
    }
    if (alone && alone->ncombos > 1)
        explain_candidates(res, alone, b);
    for (size_t i = 0; i < d->nexcluded; i++)
        fm_buf_printf(b, "  excluded: %s\n", d->excluded[i]);
    fm_buf_printf(b, "  chosen: %s", f);
    if (c->none)
        fm_buf_printf(b, " (%s)", d->why_not[0] ? d->why_not : "nothing to set");
    else if (d->unchanged || (!d->rules_path && d->chosen == d->current_cand))
        fm_buf_puts(b, " (what it already does: nothing written, no rules file)");
    else if (d->rules_path)
        fm_buf_printf(b, " (rules file %s)", d->rules_path);
    fm_buf_puts(b, "\n");
    if (d->nnfs)
        explain_nfs(res, d, b);
    else
        fm_buf_puts(b, "  (no elements downstream)\n");
}

static void explain_edits(const fm_solve_output *out, fm_buf *b)
{
    if (!out)
        return;
    size_t n = 0;
    for (size_t i = 0; i < out->nedits; i++) {
        const fm_solve_edit *e = &out->edits[i];
        if (!e->keyword)
            continue;
        if (!n++)
            fm_buf_puts(b, "\nedits:\n");
        if (e->old_value)
            fm_buf_printf(b, "  line %ld: %s %s: %s -> %s\n", e->line, e->element,
                          e->keyword, e->old_value, e->new_value);
        else
            fm_buf_printf(b, "  line %ld: %s: added %s %s\n", e->line, e->element,
                          e->keyword, e->new_value);
    }
    if (!n)
        fm_buf_puts(b, "\nedits: none (the configuration already says this: the output "
                       "equals the input, no rules file written)\n");
    for (size_t i = 0; i < out->nfiles; i++)
        fm_buf_printf(b, "rules file: %s\n", out->files[i].path);
}

void fm_solve_decisions(const fm_solve_result *res, fm_buf *b)
{
    for (size_t i = 0; i < res->ndevices; i++) {
        const fm_solve_device *d = &res->devices[i];
        char f[96];
        fm_rss_choice_format(fm_solve_chosen(d), f, sizeof f);
        fm_buf_printf(b, "%s: %s%s", d->name, f, d->unchanged ? " (unchanged)" : "");
        for (int want = FM_NF_SHARED_NOTHING; want >= FM_NF_SHARED; want--) {
            size_t n = 0;
            for (size_t k = 0; k < d->nnfs; k++) {
                const fm_solve_nf *nf = &res->nfs[d->nfs[k]];
                if ((int)nf->decision == want)
                    fm_buf_printf(b, "%s%s", n++ ? ", "
                                             : want == FM_NF_SHARED ? "; shared: "
                                                                    : "; shared-nothing: ",
                                  nf->name);
            }
        }
        fm_buf_puts(b, "\n");
    }
}

char *fm_solve_explain(const fm_solve_result *res, const fm_solve_output *out)
{
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_printf(&b, "NIC %s, dialect %s, cost model %s; total cost %.2f cycles/packet\n",
                  res->nic->name, fm_dialect_name(res->opts.dialect), res->cost->source,
                  res->total_cost);
    for (size_t ci = 0; ci < res->ncomps; ci++) {
        const fm_solve_component *c = &res->comps[ci];
        fm_buf_puts(&b, "\n");
        if (c->ndevices > 1) {
            fm_buf_puts(&b, "devices");
            for (size_t i = 0; i < c->ndevices; i++)
                fm_buf_printf(&b, "%s %s", i ? "," : "", res->devices[c->devices[i]].name);
            fm_buf_puts(&b, " are solved together (they share stateful NFs, a "
                            "declaration or a NIC port)\n");
            explain_candidates(res, c, &b);
        }
        for (size_t i = 0; i < c->ndevices; i++) {
            if (c->ndevices > 1)
                fm_buf_puts(&b, "\n");
            explain_device(res, &res->devices[c->devices[i]], c->ndevices == 1 ? c : NULL,
                           &b);
        }
    }
    explain_edits(out, &b);
    if (res->nnotes)
        fm_buf_puts(&b, "\nnotes:\n");
    for (size_t i = 0; i < res->nnotes; i++)
        fm_buf_printf(&b, "  - %s\n", res->notes[i]);
    fm_buf_cstr(&b);
    return b.data;
}

/* ---- DOT ---- */

static void dot_str(fm_buf *b, const char *s)
{
    fm_buf_puts(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fm_buf_printf(b, "\\%c", *s);
        else if (*s == '\n')
            fm_buf_puts(b, "\\n");
        else
            fm_buf_append(b, s, 1);
    }
    fm_buf_puts(b, "\"");
}

static void dot_node(const fm_solve_result *res, size_t i, const int *nf_of,
                     const int *dev_of, fm_buf *b)
{
    const fm_click_elem *e = &res->graph->elems[i];
    char label[512], key[160];
    const char *fill = "#ffffff", *style = "rounded,filled", *shape = "box";
    if (dev_of[i] >= 0) {
        char f[96];
        fm_rss_choice_format(fm_solve_chosen(&res->devices[dev_of[i]]), f, sizeof f);
        snprintf(label, sizeof label, "%s\n%s\nRSS: %s", e->name, e->cls, f);
        fill = "#9ecae1";
        shape = "cds";
    } else if (nf_of[i] >= 0) {
        const fm_solve_nf *nf = &res->nfs[nf_of[i]];
        key_text(nf, key, sizeof key);
        char mode[96] = "";
        if (nf->mode.spec) {
            mode[0] = '\n';
            fm_solve_mode_text(nf, mode + 1, sizeof mode - 1);
        }
        snprintf(label, sizeof label, "%s\n%s\nkey %s\n%s%s", e->name, e->cls, key,
                 fm_nf_decision_name(nf->decision), mode);
        fill = nf->decision == FM_NF_SHARED_NOTHING ? "#a1d99b"
               : nf->decision == FM_NF_SHARED       ? "#fc9272" : "#f0f0f0";
        if (nf->missing)
            style = "rounded,filled,dashed";
    } else {
        snprintf(label, sizeof label, "%s\n%s", e->name, e->cls);
        fill = "#f7f7f7";
    }
    fm_buf_puts(b, "  ");
    dot_str(b, e->name);
    fm_buf_puts(b, " [label=");
    dot_str(b, label);
    fm_buf_printf(b, ", shape=%s, style=\"%s\", fillcolor=\"%s\"];\n", shape, style, fill);
}

char *fm_solve_dot(const fm_solve_result *res)
{
    const fm_click_graph *g = res->graph;
    int *nf_of = fm_xmalloc((g->n + 1) * sizeof *nf_of);
    int *dev_of = fm_xmalloc((g->n + 1) * sizeof *dev_of);
    for (size_t i = 0; i < g->n; i++)
        nf_of[i] = dev_of[i] = -1;
    for (size_t k = 0; k < res->nnfs; k++)
        nf_of[res->nfs[k].elem] = (int)k;
    for (size_t d = 0; d < res->ndevices; d++)
        dev_of[res->devices[d].elem] = (int)d;
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_puts(&b, "digraph flowmage {\n  rankdir=LR;\n"
                    "  node [fontname=\"Helvetica\", fontsize=10];\n"
                    "  edge [fontname=\"Helvetica\", fontsize=8];\n"
                    "  // green: shared-nothing, red: shared, grey: stateless, "
                    "dashed: no attributes\n");
    for (size_t i = 0; i < g->n; i++)
        dot_node(res, i, nf_of, dev_of, &b);
    for (size_t i = 0; i < g->nedges; i++) {
        const fm_click_edge *e = &g->edges[i];
        fm_buf_puts(&b, "  ");
        dot_str(&b, g->elems[e->from].name);
        fm_buf_puts(&b, " -> ");
        dot_str(&b, g->elems[e->to].name);
        if (e->from_port || e->to_port)
            fm_buf_printf(&b, " [label=\"%d>%d\"]", e->from_port, e->to_port);
        fm_buf_puts(&b, ";\n");
    }
    fm_buf_puts(&b, "}\n");
    free(nf_of);
    free(dev_of);
    fm_buf_cstr(&b);
    return b.data;
}
