/* Layer 2 of simulate: per-core load of the chosen and the default setting
 * as a hand-written SVG bar chart or a Graphviz graph. */
#include "flowmage/simulate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flowmage/solve.h"

#define C_CHOSEN "#2b6cb0"
#define C_DEFAULT "#dd6b20"

static double share(const fm_sim_candidate *c, unsigned k)
{
    return c->load.total ? 100.0 * (double)c->core_pkts[k] / (double)c->load.total : 0;
}

static void xml_text(fm_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fm_buf_puts(b, "&lt;"); break;
        case '>': fm_buf_puts(b, "&gt;"); break;
        case '&': fm_buf_puts(b, "&amp;"); break;
        case '"': fm_buf_puts(b, "&quot;"); break;
        default: fm_buf_append(b, s, 1);
        }
    }
}

static void devices_label(const fm_simulation *s, size_t comp, char *out, size_t n)
{
    const fm_solve_component *cp = &s->solve->comps[comp];
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < cp->ndevices && used < n; i++)
        used += (size_t)snprintf(out + used, n - used, "%s%s", i ? ", " : "",
                                 s->solve->devices[cp->devices[i]].name);
}

/* 1, 2, 2.5 or 5 times a power of ten, at least x. */
static double nice_step(double x)
{
    if (x <= 0)
        return 1;
    double p = pow(10, floor(log10(x)));
    static const double m[] = {1, 2, 2.5, 5, 10};
    for (int i = 0; i < 5; i++)
        if (m[i] * p >= x)
            return m[i] * p;
    return 10 * p;
}

/* One panel: grouped bars per core, ideal share dashed. */
static void panel(fm_buf *b, const fm_simulation *s, size_t comp, double y0, double width)
{
    const fm_sim_candidate *ch = &s->cands[s->chosen_cand[comp]];
    int di = s->default_cand[comp];
    const fm_sim_candidate *df = di >= 0 && di != s->chosen_cand[comp] ? &s->cands[di] : NULL;
    unsigned cores = ch->cores;
    if (df && df->cores > cores)
        cores = df->cores;
    const double left = 56, plot_h = 150, top = y0 + 66;
    double plot_w = width - left - 16, slot = plot_w / (cores ? cores : 1);
    double bw = slot * (df ? 0.38 : 0.7);
    double top_share = 0;
    for (unsigned k = 0; k < cores; k++) {
        if (k < ch->cores && share(ch, k) > top_share)
            top_share = share(ch, k);
        if (df && k < df->cores && share(df, k) > top_share)
            top_share = share(df, k);
    }
    double ideal = cores ? 100.0 / cores : 100;
    double ymax = (top_share > ideal ? top_share : ideal) * 1.1, step = nice_step(ymax / 4);
    ymax = step * ceil(ymax / step);
    char devs[256], rc[256], rd[256];
    devices_label(s, comp, devs, sizeof devs);
    fm_sim_candidate_rss(s, ch, "; ", rc, sizeof rc);
    fm_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">", left, y0 + 16);
    xml_text(b, devs);
    fm_buf_printf(b, ": per-core share of packets (%u cores)</text>\n", cores);
    fm_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"" C_CHOSEN
                     "\"/><text x=\"%.1f\" y=\"%.1f\">chosen: ", left, y0 + 25, left + 14, y0 + 34);
    xml_text(b, rc);
    fm_buf_printf(b, " (max/mean %.2f)%s</text>\n", ch->load.imbalance,
                  di == s->chosen_cand[comp] ? " = default" : "");
    if (df) {
        fm_sim_candidate_rss(s, df, "; ", rd, sizeof rd);
        fm_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"" C_DEFAULT
                         "\"/><text x=\"%.1f\" y=\"%.1f\">default: ", left, y0 + 41,
                      left + 14, y0 + 50);
        xml_text(b, rd);
        fm_buf_printf(b, " (max/mean %.2f)</text>\n", df->load.imbalance);
    }
    /* axes and ticks */
    fm_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n",
                  left, top, left, top + plot_h);
    fm_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n",
                  left, top + plot_h, left + plot_w, top + plot_h);
    for (double v = 0; v <= ymax + step / 2; v += step) {
        double y = top + plot_h - plot_h * v / ymax;
        fm_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">"
                         "%g%%</text>\n", left - 4, y + 3, v);
    }
    double yi = top + plot_h - plot_h * ideal / ymax;
    fm_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" "
                     "stroke-dasharray=\"4 3\"><title>ideal %.2f%%</title></line>\n",
                  left, yi, left + plot_w, yi, ideal);
    for (unsigned k = 0; k < cores; k++) {
        double x = left + slot * k + (slot - (df ? 2 * bw : bw)) / 2;
        for (int series = 0; series < (df ? 2 : 1); series++) {
            const fm_sim_candidate *c = series ? df : ch;
            double v = k < c->cores ? share(c, k) : 0, h = plot_h * v / ymax;
            fm_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                             "fill=\"%s\"><title>core %u, %s: %.2f%% (%llu packets)</title>"
                             "</rect>\n", x + series * bw, top + plot_h - h, bw, h,
                          series ? C_DEFAULT : C_CHOSEN, k, series ? "default" : "chosen", v,
                          (unsigned long long)(k < c->cores ? c->core_pkts[k] : 0));
        }
        if (cores <= 32 || k % (cores / 16) == 0)
            fm_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                             "font-size=\"10\">%u</text>\n", left + slot * k + slot / 2,
                          top + plot_h + 12, k);
    }
    fm_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">"
                     "core</text>\n", left + plot_w / 2, top + plot_h + 26);
}

char *fm_simulation_svg(const fm_simulation *s)
{
    fm_buf b;
    fm_buf_init(&b);
    unsigned maxc = 1;
    for (size_t i = 0; i < s->ncands; i++)
        if (s->cands[i].cores > maxc)
            maxc = s->cands[i].cores;
    double width = 72 + 28.0 * maxc;
    if (width < 640)
        width = 640;
    if (width > 1600)
        width = 1600;
    const double ph = 260;
    double height = ph * (double)(s->ncomps ? s->ncomps : 1) + 10;
    fm_buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
                  width, height, width, height);
    fm_buf_puts(&b, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    for (size_t comp = 0; comp < s->ncomps; comp++)
        panel(&b, s, comp, ph * (double)comp, width);
    fm_buf_puts(&b, "</svg>\n");
    char *out = fm_xstrdup(fm_buf_cstr(&b));
    fm_buf_free(&b);
    return out;
}

/* ------------------------------------------------------------ DOT */

static void dot_series(fm_buf *b, const fm_simulation *s, const fm_sim_candidate *c,
                       const char *tag, const char *color)
{
    char rss[256];
    fm_sim_candidate_rss(s, c, "; ", rss, sizeof rss);
    fm_buf_printf(b, "  subgraph cluster_%s_%d {\n    label=\"%s: %s (max/mean %.2f)\";\n"
                     "    color=\"%s\";\n", tag, c->comp, tag, rss, c->load.imbalance, color);
    for (size_t r = 0; r < c->nruns; r++) {
        const fm_sim_device_run *run = &c->runs[r];
        const char *dev = s->solve->devices[run->device].name;
        fm_buf_printf(b, "    \"%s_%d_%s\" [label=\"%s\", shape=box];\n", tag, c->comp, dev, dev);
        for (unsigned k = 0; k < run->res.cores; k++) {
            double v = run->res.load.total
                           ? 100.0 * (double)run->res.core_pkts[k] / (double)run->res.load.total
                           : 0;
            if (r == 0)
                fm_buf_printf(b, "    \"%s_%d_core%u\" [label=\"core %u\", shape=ellipse];\n",
                              tag, c->comp, k, k);
            double pen = 1 + 7 * v * run->res.cores / 100.0 / run->res.load.imbalance;
            fm_buf_printf(b, "    \"%s_%d_%s\" -> \"%s_%d_core%u\" [label=\"%.1f%%\", "
                             "penwidth=%.2f, color=\"%s\"];\n", tag, c->comp, dev, tag, c->comp,
                          k, v, pen, color);
        }
    }
    fm_buf_puts(b, "  }\n");
}

char *fm_simulation_dot(const fm_simulation *s)
{
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_puts(&b, "digraph flowmage_simulate {\n  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n"
                    "  edge [fontname=\"sans-serif\", fontsize=10];\n");
    for (size_t comp = 0; comp < s->ncomps; comp++) {
        const fm_sim_candidate *ch = &s->cands[s->chosen_cand[comp]];
        dot_series(&b, s, ch, "chosen", C_CHOSEN);
        int di = s->default_cand[comp];
        if (di >= 0 && di != s->chosen_cand[comp])
            dot_series(&b, s, &s->cands[di], "default", C_DEFAULT);
    }
    fm_buf_puts(&b, "}\n");
    char *out = fm_xstrdup(fm_buf_cstr(&b));
    fm_buf_free(&b);
    return out;
}
