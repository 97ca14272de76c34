/* Layer 2 of simulate: the text table, CSV and JSON of a simulation
 * (include/flowmage/simulate.h; formats in docs/simulate.md). */
#include "flowmage/simulate.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "flowmage/solve.h"

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void fm_sim_candidate_rss(const fm_simulation *s, const fm_sim_candidate *c, const char *sep,
                          char *out, size_t n)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < c->nruns && used < n; i++) {
        const fm_solve_device *d = &s->solve->devices[c->runs[i].device];
        char f[128];
        fm_rss_choice_format(&d->cands[c->runs[i].cand], f, sizeof f);
        used += (size_t)snprintf(out + used, n - used, "%s%s", i ? sep : "", f);
    }
}

static void num_or_dash(fm_buf *b, const char *fmt, double v, int width)
{
    if (v < 0)
        fm_buf_printf(b, "%*s", width, "-");
    else
        fm_buf_printf(b, fmt, width, v);
}

static void trace_summary(fm_buf *b, const fm_trace *t)
{
    const fm_trace_stats *st = &t->stats;
    fm_buf_printf(b, "trace: %s\n", t->source);
    fm_buf_printf(b, "  %zu packets replayed, %zu flows (one direction each); IPv4 %.1f%%, "
                     "IPv6 %.1f%%; TCP %.1f%%, UDP %.1f%%, other %.1f%%",
                  t->npkts, t->nflows, pct(st->ipv4, st->replayed), pct(st->ipv6, st->replayed),
                  pct(st->tcp, st->replayed), pct(st->udp, st->replayed),
                  pct(st->other_l4, st->replayed));
    if (st->vlan)
        fm_buf_printf(b, "; VLAN-tagged %.1f%%", pct(st->vlan, st->replayed));
    if (st->fragments)
        fm_buf_printf(b, "; fragments %.1f%%", pct(st->fragments, st->replayed));
    fm_buf_puts(b, "\n");
    uint64_t skipped = st->skipped_non_ip + st->skipped_truncated + st->skipped_corrupt;
    if (skipped)
        fm_buf_printf(b, "  skipped %llu of %llu packets: %llu not IP, %llu truncated, "
                         "%llu corrupt\n", (unsigned long long)skipped,
                      (unsigned long long)st->packets, (unsigned long long)st->skipped_non_ip,
                      (unsigned long long)st->skipped_truncated,
                      (unsigned long long)st->skipped_corrupt);
    if (st->truncated_at >= 0)
        fm_buf_printf(b, "  the capture is cut short inside the record at offset %ld "
                         "(the packets before it are replayed)\n", st->truncated_at);
}

/* "----- label -----" exactly `width` wide. */
static void group(fm_buf *b, const char *label, int width)
{
    int n = (int)strlen(label) + 2, left = (width - n) / 2, right = width - n - left;
    for (int i = 0; i < left; i++)
        fm_buf_puts(b, "-");
    fm_buf_printf(b, " %s ", label);
    for (int i = 0; i < right; i++)
        fm_buf_puts(b, "-");
}

static void core_shares(fm_buf *b, const char *label, const fm_sim_candidate *c)
{
    fm_buf_printf(b, "  per-core share, %s:", label);
    for (unsigned k = 0; k < c->cores; k++)
        fm_buf_printf(b, "%s%.1f%%", k % 16 ? " " : (k ? "\n      " : " "),
                      pct(c->core_pkts[k], c->load.total));
    fm_buf_puts(b, "\n");
}

static void nf_cell(char *out, size_t n, const fm_sim_candidate *c, int dev, size_t k)
{
    for (size_t i = 0; i < c->nruns; i++) {
        if (c->runs[i].device != dev)
            continue;
        const fm_sim_nf_result *r = &c->runs[i].res.nf[k];
        const fm_sim_load *l = &c->runs[i].res.load;
        if (!r->shared && !r->violations)
            snprintf(out, n, "shared-nothing");
        else if (!r->shared)
            snprintf(out, n, "shared-nothing, UNSOUND %.1f%%", pct(r->violations, l->total));
        else
            snprintf(out, n, "shared, %.1f%% cross-core", pct(r->contended_pkts, l->total));
        return;
    }
    snprintf(out, n, "-");
}

/* The NF's key as the device d sees it: with keys per input port, the keys
 * of the ports d reaches ("[0] src_ip [1] dst_ip"). */
static void nf_key(char *key, size_t n, const fm_solve_result *res, const fm_solve_nf *nf,
                   const fm_solve_device *d)
{
    if (nf->by_port) {
        size_t used = 0;
        key[0] = 0;
        for (size_t j = 0; j < nf->narrivals && used < n; j++) {
            const fm_solve_port *p = &nf->ports[nf->arrivals[j].port];
            char f[64];
            if (nf->arrivals[j].device != d - res->devices)
                continue;
            fm_fieldset_format(p->key, f, sizeof f);
            if (p->key == FM_F_ALL)
                snprintf(f, sizeof f, "5-tuple");
            int w = snprintf(key + used, n - used, "%s[%d] %s", used ? " " : "", p->port,
                             p->kind == FM_KEY_FIELDS ? f : fm_key_kind_name(p->kind));
            used += w > 0 ? (size_t)w : 0;
        }
    } else if (nf->key_kind == FM_KEY_FIELDS) {
        fm_fieldset four = FM_F_ALL & ~(fm_fieldset)FM_F_PROTO;
        if (nf->key == FM_F_ALL || nf->key == four)
            snprintf(key, n, "%s", nf->key == four ? "4-tuple" : "5-tuple");
        else
            fm_fieldset_format(nf->key, key, n);
        if (nf->symmetric)
            strncat(key, " (sym)", n - strlen(key) - 1);
    } else {
        snprintf(key, n, "%s", fm_key_kind_name(nf->key_kind));
    }
}

static void nf_table(fm_buf *b, const fm_simulation *s, size_t comp)
{
    const fm_solve_result *res = s->solve;
    const fm_sim_candidate *ch = &s->cands[s->chosen_cand[comp]];
    const fm_sim_candidate *df = s->default_cand[comp] >= 0 ? &s->cands[s->default_cand[comp]] : NULL;
    fm_buf_printf(b, "  %-18s %-22s %-34s %s\n", "NF", "key", "chosen", df ? "default" : "");
    for (size_t i = 0; i < ch->nruns; i++) {
        const fm_solve_device *d = &res->devices[ch->runs[i].device];
        for (size_t k = 0; k < d->nnfs; k++) {
            const fm_solve_nf *nf = &res->nfs[d->nfs[k]];
            if (!nf->stateful)
                continue;
            char key[96], a[96], bcell[96];
            nf_key(key, sizeof key, res, nf, d);
            nf_cell(a, sizeof a, ch, d - res->devices, k);
            if (df)
                nf_cell(bcell, sizeof bcell, df, d - res->devices, k);
            char name[160];
            snprintf(name, sizeof name, "%s%s%s", nf->name, ch->nruns > 1 ? " @" : "",
                     ch->nruns > 1 ? d->name : "");
            fm_buf_printf(b, "  %-18s %-22s %-34s %s\n", name, key, a, df ? bcell : "");
        }
    }
}

static void pair_cell(char *out, size_t n, const fm_sim_candidate *c, int nf)
{
    snprintf(out, n, "-");
    for (size_t i = 0; c && i < c->npair; i++) {
        const fm_sim_pair_result *r = &c->pair[i];
        if (r->nf != nf)
            continue;
        if (!r->shared && r->violations)
            snprintf(out, n, "shared-nothing, UNSOUND: %llu of %llu entries from two cores",
                     (unsigned long long)r->multi_entries, (unsigned long long)r->entries);
        else
            snprintf(out, n, "%s, %llu of %llu entries from two cores",
                     r->shared ? "shared" : "shared-nothing",
                     (unsigned long long)r->multi_entries, (unsigned long long)r->entries);
    }
}

/* Two-port replay: the NFs both devices reach, counted across both sides. */
static void pair_table(fm_buf *b, const fm_simulation *s, size_t comp)
{
    const fm_solve_result *res = s->solve;
    const fm_sim_candidate *ch = &s->cands[s->chosen_cand[comp]];
    const fm_sim_candidate *df = s->default_cand[comp] >= 0 ? &s->cands[s->default_cand[comp]] : NULL;
    if (!ch->npair)
        return;
    fm_buf_printf(b, "  two ports: connections on %s, replies on %s (%llu and %llu packets)\n",
                  res->devices[s->pair_dev[0]].name, res->devices[s->pair_dev[1]].name,
                  (unsigned long long)s->pair_trace[0].npkts,
                  (unsigned long long)s->pair_trace[1].npkts);
    fm_buf_printf(b, "  %-18s %-50s %s\n", "NF", "chosen", df ? "default" : "");
    for (size_t i = 0; i < ch->npair; i++) {
        char a[160], d[160];
        pair_cell(a, sizeof a, ch, ch->pair[i].nf);
        pair_cell(d, sizeof d, df, ch->pair[i].nf);
        fm_buf_printf(b, "  %-18s %-50s %s\n", res->nfs[ch->pair[i].nf].name, a, df ? d : "");
    }
}

/* The devices of component comp, one line each; devs: the rss column's
 * title. */
static void device_lines(fm_buf *b, const fm_simulation *s, size_t comp, char *devs, size_t n)
{
    const fm_solve_result *res = s->solve;
    const fm_solve_component *cp = &res->comps[comp];
    devs[0] = 0;
    for (size_t i = 0; i < cp->ndevices; i++) {
        const fm_solve_device *d = &res->devices[cp->devices[i]];
        fm_buf_printf(b, "device %s (%s): %u cores%s%s\n", d->name, d->cls, d->cores,
                      d->why_not[0] ? "; " : "", d->why_not);
        size_t l = strlen(devs);
        snprintf(devs + l, n - l, "%s%s", i ? " | " : "rss of ", d->name);
    }
    if (cp->ndevices < 2)
        snprintf(devs, n, "rss");
}

/* The rss column's width: its longest entry, at least its title, at most 90. */
static int rss_width(const fm_simulation *s, size_t comp, const char *devs)
{
    int w = 3;
    for (size_t i = 0; i < s->ncands; i++) {
        char rss[512];
        if (s->cands[i].comp != (int)comp)
            continue;
        fm_sim_candidate_rss(s, &s->cands[i], " | ", rss, sizeof rss);
        w = (int)strlen(rss) > w ? (int)strlen(rss) : w;
    }
    return w < (int)strlen(devs) ? (int)strlen(devs) : w > 90 ? 90 : w;
}

static void candidate_row(fm_buf *b, const fm_simulation *s, const fm_sim_candidate *c, int w)
{
    char rss[512], mark[4], range[32];
    fm_sim_candidate_rss(s, c, " | ", rss, sizeof rss);
    snprintf(mark, sizeof mark, "%c%c", c->chosen ? '*' : ' ', c->is_default ? 'd' : ' ');
    snprintf(range, sizeof range, "%.1f..%.1f%%", pct(c->load.min, c->load.total),
             pct(c->load.max, c->load.total));
    double imb_model = c->nruns == 1 ? c->runs[0].imb_model : -1;
    fm_buf_printf(b, "%s%-3zu %-*.*s %8.2f", mark, c->combo + 1, w, w, rss, c->cost);
    num_or_dash(b, " %*.2f", c->tput_chosen, 6);
    num_or_dash(b, " %*.2f", c->tput_default, 6);
    num_or_dash(b, " %*.2f", imb_model, 6);
    fm_buf_printf(b, "  %6.2f", c->load.imbalance);
    num_or_dash(b, " %*.2f", c->tput_trace_chosen, 6);
    num_or_dash(b, " %*.2f", c->tput_trace_default, 6);
    fm_buf_printf(b, "  %13s %5.1f%% %5.1f%% %7llu\n", range, pct(c->shared_pkts, c->pkts),
                  pct(c->contended_pkts, c->pkts), (unsigned long long)c->violations);
}

/* One group of devices: its settings (the chosen, the default and the first
 * top others), the per-core shares, the NF table. */
static void component_table(fm_buf *b, const fm_simulation *s, size_t comp, int per_nf,
                            size_t top)
{
    char devs[256];
    fm_buf_puts(b, "\n");
    device_lines(b, s, comp, devs, sizeof devs);
    int w = rss_width(s, comp, devs);
    fm_buf_printf(b, "  %-3s %-*s ", "", w, "");
    group(b, "cost model", 29);
    fm_buf_puts(b, "  ");
    group(b, "on the trace", 20);
    fm_buf_puts(b, "  ");
    group(b, "trace", 35);
    fm_buf_puts(b, "\n");
    fm_buf_printf(b, "  %-3s %-*s %8s %6s %6s %6s  %6s %6s %6s  %13s %6s %6s %7s\n",
                  "#", w, devs, "cyc/pkt", "tput/*", "tput/d", "imb", "imb", "tput/*",
                  "tput/d", "core min..max", "shared", "x-core", "unsound");
    size_t shown = 0, hidden = 0;
    for (size_t i = 0; i < s->ncands; i++) {
        const fm_sim_candidate *c = &s->cands[i];
        if (c->comp != (int)comp)
            continue;
        if (top && shown >= top && !c->chosen && !c->is_default) {
            hidden++;
            continue;
        }
        shown++;
        candidate_row(b, s, c, w);
    }
    if (hidden)
        fm_buf_printf(b, "  ... %zu more settings (--top 0 shows them; --csv and --json "
                         "have all)\n", hidden);
    const fm_sim_candidate *ch = &s->cands[s->chosen_cand[comp]];
    core_shares(b, "chosen (*)", ch);
    if (s->default_cand[comp] >= 0 && s->default_cand[comp] != s->chosen_cand[comp])
        core_shares(b, "default (d)", &s->cands[s->default_cand[comp]]);
    else if (s->default_cand[comp] < 0)
        fm_buf_puts(b, "  default (d): not among the combinations the solver evaluated\n");
    if (per_nf)
        nf_table(b, s, comp);
    pair_table(b, s, comp);
}

char *fm_simulation_table(const fm_simulation *s, int per_nf, size_t top)
{
    fm_buf b;
    fm_buf_init(&b);
    const fm_solve_result *res = s->solve;
    fm_buf_printf(&b, "flowmage simulate: NIC %s (RETA %u), cost model %s\n", res->nic->name,
                  res->nic->reta_size, res->cost->source);
    trace_summary(&b, s->trace);
    for (size_t comp = 0; comp < s->ncomps; comp++)
        component_table(&b, s, comp, per_nf, top);
    fm_buf_puts(&b, "\n"
        "tput/* and tput/d: relative throughput (1 / cycles per packet) against the\n"
        "  chosen (*) and the default (d) setting; imb: busiest core / mean; \"on trace\"\n"
        "  puts the imbalance measured on the trace in place of the model's estimate.\n"
        "  shared: packets through at least one NF on shared state; x-core: packets\n"
        "  whose state entry several cores touch; unsound: packets reaching a\n"
        "  shared-nothing NF's entry from two cores (always 0 for a sound setting).\n");
    char *out = fm_xstrdup(fm_buf_cstr(&b));
    fm_buf_free(&b);
    return out;
}

/* ------------------------------------------------------------ CSV */

static void csv_num(fm_buf *b, double v)
{
    if (v < 0)
        fm_buf_puts(b, ",");
    else
        fm_buf_printf(b, ",%.6g", v);
}

/* A quoted field; commas inside (field lists) become '+' so that the file
 * also splits with a plain `cut -d,` or `awk -F,`. */
static void csv_str(fm_buf *b, const char *s)
{
    fm_buf_puts(b, ",\"");
    for (; *s; s++) {
        if (*s == '"')
            fm_buf_puts(b, "\"");
        fm_buf_append(b, *s == ',' ? "+" : s, 1);
    }
    fm_buf_puts(b, "\"");
}

char *fm_simulation_csv(const fm_simulation *s)
{
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_puts(&b, "component,rank,chosen,default,device,rss,hashed,key_kind,cores,core,"
                    "packets,flows,share,imbalance_trace,imbalance_model,cost_model,cost_trace,"
                    "tput_chosen,tput_default,tput_trace_chosen,tput_trace_default,"
                    "shared_share,contended_share,violations\n");
    for (size_t i = 0; i < s->ncands; i++) {
        const fm_sim_candidate *c = &s->cands[i];
        for (size_t r = 0; r < c->nruns; r++) {
            const fm_sim_device_run *run = &c->runs[r];
            const fm_solve_device *d = &s->solve->devices[run->device];
            const fm_rss_choice *ch = &d->cands[run->cand];
            char f[128], h[128];
            fm_rss_choice_format(ch, f, sizeof f);
            fm_fieldset_format(ch->hashed, h, sizeof h);
            for (unsigned k = 0; k < run->res.cores; k++) {
                fm_buf_printf(&b, "%d,%zu,%d,%d", c->comp, c->combo + 1, c->chosen, c->is_default);
                csv_str(&b, d->name);
                csv_str(&b, f);
                csv_str(&b, ch->none ? "" : h);
                csv_str(&b, ch->none ? "none" : fm_rss_key_name(ch->key_kind));
                fm_buf_printf(&b, ",%u,%u,%llu,%llu", run->res.cores, k,
                              (unsigned long long)run->res.core_pkts[k],
                              (unsigned long long)run->res.core_flows[k]);
                csv_num(&b, pct(run->res.core_pkts[k], run->res.load.total) / 100);
                csv_num(&b, run->res.load.imbalance);
                csv_num(&b, run->imb_model);
                csv_num(&b, c->cost);
                csv_num(&b, c->cost_trace);
                csv_num(&b, c->tput_chosen);
                csv_num(&b, c->tput_default);
                csv_num(&b, c->tput_trace_chosen);
                csv_num(&b, c->tput_trace_default);
                csv_num(&b, pct(c->shared_pkts, c->pkts) / 100);
                csv_num(&b, pct(c->contended_pkts, c->pkts) / 100);
                fm_buf_printf(&b, ",%llu\n", (unsigned long long)c->violations);
            }
        }
    }
    char *out = fm_xstrdup(fm_buf_cstr(&b));
    fm_buf_free(&b);
    return out;
}

/* ------------------------------------------------------------ JSON */

static void add_num(cJSON *o, const char *k, double v)
{
    if (v < 0)
        cJSON_AddNullToObject(o, k);
    else
        cJSON_AddNumberToObject(o, k, v);
}

static cJSON *u64_array(const uint64_t *v, unsigned n)
{
    cJSON *a = cJSON_CreateArray();
    for (unsigned i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
    return a;
}

static cJSON *fields_json(fm_fieldset f)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < FM_NFIELDS; i++)
        if (f & (1u << i))
            cJSON_AddItemToArray(a, cJSON_CreateString(fm_field_name(i)));
    return a;
}

static cJSON *load_json(const fm_sim_load *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "max_over_mean", l->imbalance);
    cJSON_AddNumberToObject(o, "cv", l->cv);
    cJSON_AddNumberToObject(o, "min", (double)l->min);
    cJSON_AddNumberToObject(o, "max", (double)l->max);
    cJSON_AddNumberToObject(o, "mean", l->mean);
    cJSON_AddNumberToObject(o, "idle_cores", l->idle);
    return o;
}

static cJSON *trace_json(const fm_trace *t)
{
    const fm_trace_stats *st = &t->stats;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", t->source);
    cJSON_AddNumberToObject(o, "packets_read", (double)st->packets);
    cJSON_AddNumberToObject(o, "packets", (double)t->npkts);
    cJSON_AddNumberToObject(o, "flows", (double)t->nflows);
    cJSON_AddNumberToObject(o, "skipped_non_ip", (double)st->skipped_non_ip);
    cJSON_AddNumberToObject(o, "skipped_truncated", (double)st->skipped_truncated);
    cJSON_AddNumberToObject(o, "skipped_corrupt", (double)st->skipped_corrupt);
    cJSON_AddNumberToObject(o, "ipv4", (double)st->ipv4);
    cJSON_AddNumberToObject(o, "ipv6", (double)st->ipv6);
    cJSON_AddNumberToObject(o, "tcp", (double)st->tcp);
    cJSON_AddNumberToObject(o, "udp", (double)st->udp);
    cJSON_AddNumberToObject(o, "other_l4", (double)st->other_l4);
    cJSON_AddNumberToObject(o, "vlan", (double)st->vlan);
    cJSON_AddNumberToObject(o, "fragments", (double)st->fragments);
    if (st->truncated_at >= 0)
        cJSON_AddNumberToObject(o, "cut_short_at", (double)st->truncated_at);
    else
        cJSON_AddNullToObject(o, "cut_short_at");
    return o;
}

static cJSON *run_json(const fm_simulation *s, const fm_sim_device_run *run)
{
    const fm_solve_result *res = s->solve;
    const fm_solve_device *d = &res->devices[run->device];
    const fm_rss_choice *ch = &d->cands[run->cand];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device", d->name);
    cJSON_AddNumberToObject(o, "candidate", run->cand);
    cJSON_AddBoolToObject(o, "none", ch->none);
    cJSON_AddItemToObject(o, "fields", fields_json(ch->none ? 0 : ch->fields));
    cJSON_AddItemToObject(o, "hashed", fields_json(ch->none ? 0 : ch->hashed));
    cJSON_AddStringToObject(o, "key_kind", ch->none ? "none" : fm_rss_key_name(ch->key_kind));
    cJSON_AddNumberToObject(o, "cores", run->res.cores);
    cJSON_AddNumberToObject(o, "imbalance_model", run->imb_model);
    cJSON_AddItemToObject(o, "load", load_json(&run->res.load));
    cJSON_AddItemToObject(o, "core_packets", u64_array(run->res.core_pkts, run->res.cores));
    cJSON_AddItemToObject(o, "core_flows", u64_array(run->res.core_flows, run->res.cores));
    cJSON *nfs = cJSON_AddArrayToObject(o, "nfs");
    for (size_t k = 0; k < run->res.nnf; k++) {
        const fm_solve_nf *nf = &res->nfs[d->nfs[k]];
        const fm_sim_nf_result *r = &run->res.nf[k];
        if (!nf->stateful)
            continue;
        cJSON *n = cJSON_CreateObject();
        cJSON_AddStringToObject(n, "name", nf->name);
        cJSON_AddBoolToObject(n, "shared", r->shared);
        cJSON_AddNumberToObject(n, "entries", (double)r->entries);
        cJSON_AddNumberToObject(n, "multi_core_entries", (double)r->multi_entries);
        cJSON_AddNumberToObject(n, "shared_packets", (double)r->shared_pkts);
        cJSON_AddNumberToObject(n, "contended_packets", (double)r->contended_pkts);
        cJSON_AddNumberToObject(n, "violations", (double)r->violations);
        cJSON_AddItemToArray(nfs, n);
    }
    return o;
}

/* Two-port replay: per NF both devices reach, counted across both sides. */
static cJSON *pair_json(const fm_simulation *s, const fm_sim_candidate *c)
{
    cJSON *tp = cJSON_CreateArray();
    for (size_t k = 0; k < c->npair; k++) {
        const fm_sim_pair_result *r = &c->pair[k];
        cJSON *n = cJSON_CreateObject();
        cJSON_AddStringToObject(n, "name", s->solve->nfs[r->nf].name);
        cJSON_AddBoolToObject(n, "shared", r->shared);
        cJSON_AddNumberToObject(n, "entries", (double)r->entries);
        cJSON_AddNumberToObject(n, "multi_core_entries", (double)r->multi_entries);
        cJSON_AddNumberToObject(n, "packets", (double)r->pkts);
        cJSON_AddNumberToObject(n, "contended_packets", (double)r->contended_pkts);
        cJSON_AddNumberToObject(n, "violations", (double)r->violations);
        cJSON_AddItemToArray(tp, n);
    }
    return tp;
}

char *fm_simulation_json(const fm_simulation *s)
{
    const fm_solve_result *res = s->solve;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "flowmage_simulate", 1);
    cJSON_AddStringToObject(root, "generator", "flowmage " FM_VERSION);
    cJSON_AddStringToObject(root, "nic", res->nic->name);
    cJSON_AddNumberToObject(root, "reta_size", res->nic->reta_size);
    cJSON_AddStringToObject(root, "cost_model_source", res->cost->source);
    cJSON_AddItemToObject(root, "trace", trace_json(s->trace));
    cJSON *comps = cJSON_AddArrayToObject(root, "components");
    for (size_t comp = 0; comp < s->ncomps; comp++) {
        cJSON *co = cJSON_CreateObject();
        cJSON *devs = cJSON_AddArrayToObject(co, "devices");
        for (size_t i = 0; i < res->comps[comp].ndevices; i++)
            cJSON_AddItemToArray(devs, cJSON_CreateString(res->devices[res->comps[comp].devices[i]].name));
        cJSON *cands = cJSON_AddArrayToObject(co, "candidates");
        for (size_t i = 0; i < s->ncands; i++) {
            const fm_sim_candidate *c = &s->cands[i];
            if (c->comp != (int)comp)
                continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "rank", (double)(c->combo + 1));
            cJSON_AddBoolToObject(o, "chosen", c->chosen);
            cJSON_AddBoolToObject(o, "default", c->is_default);
            cJSON_AddNumberToObject(o, "cost_model", c->cost);
            add_num(o, "cost_trace", c->cost_trace);
            add_num(o, "tput_vs_chosen", c->tput_chosen);
            add_num(o, "tput_vs_default", c->tput_default);
            add_num(o, "tput_trace_vs_chosen", c->tput_trace_chosen);
            add_num(o, "tput_trace_vs_default", c->tput_trace_default);
            cJSON_AddNumberToObject(o, "packets", (double)c->pkts);
            cJSON_AddNumberToObject(o, "shared_state_packets", (double)c->shared_pkts);
            cJSON_AddNumberToObject(o, "cross_core_packets", (double)c->contended_pkts);
            cJSON_AddNumberToObject(o, "unsound_packets", (double)c->violations);
            if (c->npair)
                cJSON_AddItemToObject(o, "two_port", pair_json(s, c));
            cJSON_AddItemToObject(o, "load", load_json(&c->load));
            cJSON_AddItemToObject(o, "core_packets", u64_array(c->core_pkts, c->cores));
            cJSON *runs = cJSON_AddArrayToObject(o, "devices");
            for (size_t r = 0; r < c->nruns; r++)
                cJSON_AddItemToArray(runs, run_json(s, &c->runs[r]));
            cJSON_AddItemToArray(cands, o);
        }
        cJSON_AddItemToArray(comps, co);
    }
    char *raw = cJSON_Print(root);
    cJSON_Delete(root);
    /* cJSON indents with tabs (a tab inside a string is escaped, so every
     * raw tab is layout): two spaces per level, one after a colon. */
    fm_buf b;
    fm_buf_init(&b);
    int line_start = 1;
    for (const char *p = raw; *p; p++) {
        if (*p == '\t')
            fm_buf_puts(&b, line_start ? "  " : " ");
        else
            fm_buf_append(&b, p, 1), line_start = *p == '\n';
    }
    fm_buf_puts(&b, "\n");
    cJSON_free(raw);
    char *out = fm_xstrdup(fm_buf_cstr(&b));
    fm_buf_free(&b);
    return out;
}
