/* Step 1 of solve: the input devices of the graph, the NFs reached from each
 * (branches and merges), their keys (inherited from the nearest upstream
 * flow manager when their state lives in its flow table), cores, and which
 * devices the chosen dialect can write. */
#include <stdlib.h>
#include <string.h>

#include "flowmage/solve.h"
#include "solve_internal.h"

/* ---- devices ---- */

static int parse_count(const char *s, long *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    long v = strtol(s, &end, 10);
    if (*end || v > 65535)
        return -1;
    *out = v;
    return 0;
}

static int read_count(const fm_click_elem *e, const char *kw, long *out,
                      const char *dev, const fm_click_config *cfg,
                      const fm_click_loc *at, fm_error *err)
{
    *out = 0;
    char *v = kw ? fm_click_elem_keyword(e, kw) : NULL;
    if (!v)
        return 0;
    int rc = 0;
    if (parse_count(v, out) != 0)
        rc = fm_fail(err, FM_ERR_INPUT, cfg->path, at->line, at->col,
                     "%s '%s' of '%s' is not a number", kw, v, dev);
    free(v);
    return rc;
}

static int device_cores(fm_solve_result *res, const fm_click_config *cfg,
                        const fm_solver_profile *prof, fm_solve_device *d,
                        fm_error *err)
{
    const fm_click_elem *e = &res->graph->elems[d->elem];
    const fm_click_loc *at = &cfg->decls[d->decl].loc;
    d->queues = d->cores = 1;
    if (!d->rss)
        return 0;
    if (res->opts.cores) {
        d->queues = d->cores = res->opts.cores;
    } else {
        long q, t;
        if (read_count(e, prof->kw_queues, &q, d->name, cfg, at, err) != 0 ||
            read_count(e, prof->kw_threads, &t, d->name, cfg, at, err) != 0)
            return -1;
        if (q > 0) {
            d->queues = (unsigned)q;
            d->cores = t > 0 ? (unsigned)t : (unsigned)q;
            d->shared_queues = t > q;
        } else if (t > 0) {
            d->queues = d->cores = (unsigned)t;
        } else {
            return fm_fail(err, FM_ERR_INPUT, cfg->path, at->line, at->col,
                           "cannot tell how many cores read '%s': set %s or %s on it, "
                           "or pass --cores N", d->name, prof->kw_queues,
                           prof->kw_threads);
        }
    }
    if (d->queues > res->nic->max_queues)
        return fm_fail(err, FM_ERR_INPUT, cfg->path, at->line, at->col,
                       "'%s' uses %u queues but NIC profile %s has at most %u",
                       d->name, d->queues, res->nic->name, res->nic->max_queues);
    return 0;
}

/* The dialect's keywords must be accepted by the class (attrs "keywords");
 * devices sharing a declaration are checked by fm_solve_group_devices. */
static void device_writable(fm_solve_result *res, const fm_attrs *attrs,
                            const fm_solver_profile *prof, const fm_input_class *ic,
                            fm_solve_device *d)
{
    const fm_elem_attrs *ea = fm_attrs_find(attrs, d->cls);
    int flowrules = res->opts.dialect == FM_DIALECT_FLOWRULES;
    const char *k1 = flowrules ? prof->fr_mode_kw : prof->hf_kw;
    const char *k2 = flowrules ? prof->fr_file_kw : NULL;
    d->writable = 0;
    if (d->shared_queues)
        snprintf(d->why_not, sizeof d->why_not, "it has more threads (%s) than queues "
                 "(%s): several threads read one queue, so no RSS setting keeps a flow "
                 "on one core", prof->kw_threads, prof->kw_queues);
    else if (!d->rss)
        snprintf(d->why_not, sizeof d->why_not, "%s has no RSS (one thread reads it)",
                 d->cls);
    else if (flowrules ? !ic->flowrules : !ic->hashfunc)
        snprintf(d->why_not, sizeof d->why_not, "the profile does not allow dialect "
                 "%s for %s", fm_dialect_name(res->opts.dialect), d->cls);
    else if (!ea)
        snprintf(d->why_not, sizeof d->why_not, "no attributes for %s: cannot confirm "
                 "it accepts %s%s%s", d->cls, k1, k2 ? " and " : "", k2 ? k2 : "");
    else if (!fm_strset_has(&ea->keywords, k1) || (k2 && !fm_strset_has(&ea->keywords, k2)))
        snprintf(d->why_not, sizeof d->why_not, "%s does not accept keyword %s "
                 "(attributes list its keywords)", d->cls,
                 !fm_strset_has(&ea->keywords, k1) ? k1 : k2);
    else
        d->writable = 1;
}

static int add_devices(fm_solve_result *res, const fm_click_config *cfg,
                       const fm_attrs *attrs, const fm_solver_profile *prof,
                       fm_error *err)
{
    const fm_click_graph *g = res->graph;
    for (size_t i = 0; i < g->n; i++) {
        const fm_input_class *ic = fm_solver_input_class(prof, g->elems[i].cls);
        if (!ic)
            continue;
        res->devices = fm_xrealloc(res->devices, (res->ndevices + 1) * sizeof *res->devices);
        fm_solve_device *d = &res->devices[res->ndevices++];
        memset(d, 0, sizeof *d);
        d->name = fm_xstrdup(g->elems[i].name);
        d->cls = fm_xstrdup(g->elems[i].cls);
        d->elem = (int)i;
        d->decl = g->elems[i].decl;
        d->decl_id = cfg->decls[d->decl].cls_loc.off;
        d->rss = ic->rss;
        d->chosen = 0;
        d->port = prof->kw_port ? fm_click_elem_keyword(&g->elems[i], prof->kw_port) : NULL;
        if (!d->port)
            d->port = fm_click_elem_positional(&g->elems[i], 0);
        d->thread_offset = fm_click_elem_keyword(&g->elems[i], prof->kw_thread_offset);
        if (device_cores(res, cfg, prof, d, err) != 0)
            return -1;
        device_writable(res, attrs, prof, ic, d);
    }
    fm_solve_group_devices(res);
    return 0;
}

/* ---- reachability ---- */

typedef struct visit {
    int fm, boundary, port;
} visit;

/* A walk state: element, the input port the packets enter it by, nearest
 * flow manager upstream (-1: none), thread boundary crossed (element + 1,
 * 0: none). */
typedef struct bstate {
    int node, port, fm, boundary;
} bstate;

typedef struct vlist {
    visit *v;
    size_t n;
} vlist;

typedef struct walk {
    fm_solve_result *res;
    const fm_attrs *attrs;
    const fm_solver_profile *prof;
    size_t *first;        /* CSR of out-edges */
    int *order;           /* edges sorted by source */
    int *nf_of;           /* per element: NF index or -1 */
    int **fms;            /* per NF: flow managers seen (-1 = none) */
    size_t *nfms;
    int *boundary;        /* per NF: boundary element + 1, 0 = none */
} walk;

/* One visit per (manager, boundary, input port): the port matters for the
 * NF there (keys per input port), not for what lies downstream, but the
 * walk stays small (ports are few). */
static int seen(vlist *l, int fm, int boundary, int port)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].fm == fm && l->v[i].boundary == boundary && l->v[i].port == port)
            return 1;
    l->v = fm_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n].fm = fm;
    l->v[l->n].port = port;
    l->v[l->n++].boundary = boundary;
    return 0;
}

static void int_add_unique(int **v, size_t *n, int x)
{
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i] == x)
            return;
    *v = fm_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = x;
}

static int nf_for(walk *w, int elem)
{
    fm_solve_result *res = w->res;
    if (w->nf_of[elem] >= 0)
        return w->nf_of[elem];
    res->nfs = fm_xrealloc(res->nfs, (res->nnfs + 1) * sizeof *res->nfs);
    w->fms = fm_xrealloc(w->fms, (res->nnfs + 1) * sizeof *w->fms);
    w->nfms = fm_xrealloc(w->nfms, (res->nnfs + 1) * sizeof *w->nfms);
    w->boundary = fm_xrealloc(w->boundary, (res->nnfs + 1) * sizeof *w->boundary);
    fm_solve_nf *nf = &res->nfs[res->nnfs];
    memset(nf, 0, sizeof *nf);
    nf->name = fm_xstrdup(res->graph->elems[elem].name);
    nf->cls = fm_xstrdup(res->graph->elems[elem].cls);
    nf->elem = elem;
    w->fms[res->nnfs] = NULL;
    w->nfms[res->nnfs] = 0;
    w->boundary[res->nnfs] = 0;
    w->nf_of[elem] = (int)res->nnfs;
    return (int)res->nnfs++;
}

static int is_fm(const walk *w, int elem)
{
    const fm_elem_attrs *ea = fm_attrs_find(w->attrs, w->res->graph->elems[elem].cls);
    return ea && ea->role == FM_ROLE_FLOW_MANAGER;
}

static void record(walk *w, int dev, const bstate *s)
{
    int k = nf_for(w, s->node);
    fm_solve_nf *nf = &w->res->nfs[k];
    fm_solve_device *d = &w->res->devices[dev];
    int_add_unique(&nf->devices, &nf->ndevices, dev);
    int_add_unique(&d->nfs, &d->nnfs, k);
    /* the port number for now; an index into nf->ports after the walk */
    int known = 0;
    for (size_t i = 0; i < nf->narrivals; i++)
        known |= nf->arrivals[i].device == dev && nf->arrivals[i].port == s->port;
    if (!known) {
        nf->arrivals = fm_xrealloc(nf->arrivals, (nf->narrivals + 1) * sizeof *nf->arrivals);
        nf->arrivals[nf->narrivals].device = dev;
        nf->arrivals[nf->narrivals++].port = s->port;
    }
    int_add_unique(&w->fms[k], &w->nfms[k], s->fm);
    if (s->boundary && !w->boundary[k])
        w->boundary[k] = s->boundary;
}

static void reach(walk *w, int dev)
{
    const fm_click_graph *g = w->res->graph;
    vlist *vis = fm_xcalloc(g->n, sizeof *vis);
    bstate *q = NULL;
    size_t nq = 0, head = 0, cap = 0;
    int start = w->res->devices[dev].elem;
    bstate s0 = {start, 0, -1, 0};
    q = fm_xrealloc(q, ++cap * sizeof *q);
    q[nq++] = s0;
    seen(&vis[start], -1, 0, 0);
    while (head < nq) {
        bstate s = q[head++];
        if (s.node != start)
            record(w, dev, &s);
        int fm = is_fm(w, s.node) ? s.node : s.fm;
        /* which outputs the packets entering by s.port may leave by */
        const fm_elem_attrs *ea = s.node != start
                                      ? fm_attrs_find(w->attrs, g->elems[s.node].cls) : NULL;
        const char *flow = ea ? ea->flow_code : NULL;
        int b = s.boundary;
        if (!b && s.node != start &&
            fm_strset_has(&w->prof->boundaries, g->elems[s.node].cls))
            b = s.node + 1;
        for (size_t i = w->first[s.node]; i < w->first[s.node + 1]; i++) {
            int to = g->edges[w->order[i]].to, port = g->edges[w->order[i]].to_port;
            if (!fm_flow_code_reaches(flow, s.port, g->edges[w->order[i]].from_port) ||
                fm_solver_input_class(w->prof, g->elems[to].cls) ||
                seen(&vis[to], fm, b, port))
                continue;
            if (nq == cap) {
                cap *= 2;
                q = fm_xrealloc(q, cap * sizeof *q);
            }
            bstate t = {to, port, fm, b};
            q[nq++] = t;
        }
    }
    for (size_t i = 0; i < g->n; i++)
        free(vis[i].v);
    free(vis);
    free(q);
}

static void build_csr(walk *w)
{
    const fm_click_graph *g = w->res->graph;
    w->first = fm_xcalloc(g->n + 2, sizeof *w->first);
    w->order = fm_xmalloc((g->nedges + 1) * sizeof *w->order);
    for (size_t i = 0; i < g->nedges; i++)
        w->first[g->edges[i].from + 1]++;
    for (size_t i = 0; i < g->n; i++)
        w->first[i + 1] += w->first[i];
    size_t *fill = fm_xcalloc(g->n + 1, sizeof *fill);
    for (size_t i = 0; i < g->nedges; i++) {
        int f = g->edges[i].from;
        w->order[w->first[f] + fill[f]++] = (int)i;
    }
    free(fill);
}

/* ---- NF attributes and keys ---- */

static void set_forced(fm_solve_nf *nf, const char *why)
{
    if (!nf->forced)
        nf->forced = fm_xstrdup(why);
}

static void inherit_key(walk *w, int k, fm_solve_nf *nf)
{
    char buf[300];
    const fm_click_graph *g = w->res->graph;
    nf->key_kind = FM_KEY_UNKNOWN;
    if (w->nfms[k] != 1 || w->fms[k][0] < 0) {
        int none = 0;
        for (size_t i = 0; i < w->nfms[k]; i++)
            none |= w->fms[k][i] < 0;
        snprintf(buf, sizeof buf, none ? "its state comes from a flow manager, but "
                 "some path reaches it without one" : "its state comes from a flow "
                 "manager, and paths reach it through different ones");
        set_forced(nf, buf);
        return;
    }
    const fm_click_elem *fe = &g->elems[w->fms[k][0]];
    const fm_elem_attrs *fa = fm_attrs_find(w->attrs, fe->cls);
    nf->key_from = fm_xstrdup(fe->name);
    if (!fa || fa->key_kind != FM_KEY_FIELDS) {
        snprintf(buf, sizeof buf, "the key of flow manager '%s' is unknown", fe->name);
        set_forced(nf, buf);
        return;
    }
    /* The NF's own "fields", when it lists some, narrow the manager's key:
     * its state is per manager flow but shared by flows agreeing on those
     * fields (attrs.h), so only their intersection keeps a key on one core. */
    fm_fieldset own = nf->key;
    nf->key_kind = FM_KEY_FIELDS;
    nf->key = own ? fa->key_fields & own : fa->key_fields;
    nf->symmetric |= fa->symmetric;
}

/* The ports devices reach, by number, each with its key: the attributes'
 * keys_by_port entry for it when the NF is decided per port, else the NF's
 * own key (after flow-manager inheritance); arrivals then index ports. */
static void resolve_ports(fm_solve_nf *nf, const fm_elem_attrs *ea)
{
    for (size_t i = 0; i < nf->narrivals; i++) {
        int num = nf->arrivals[i].port;
        size_t at = 0;
        while (at < nf->nports && nf->ports[at].port < num)
            at++;
        if (at < nf->nports && nf->ports[at].port == num)
            continue;
        nf->ports = fm_xrealloc(nf->ports, (nf->nports + 1) * sizeof *nf->ports);
        memmove(&nf->ports[at + 1], &nf->ports[at], (nf->nports - at) * sizeof *nf->ports);
        nf->nports++;
        fm_solve_port *p = &nf->ports[at];
        memset(p, 0, sizeof *p);
        p->port = num;
        const fm_port_key *pk = nf->by_port && ea ? fm_elem_port_key(ea, num) : NULL;
        p->listed = pk != NULL;
        p->kind = nf->key_kind;
        p->key = nf->key;
        p->symmetric = nf->symmetric;
        if (!pk)
            continue;
        p->symmetric = pk->symmetric;
        p->nentry = pk->nentry;
        memcpy(p->entry, pk->entry, sizeof p->entry);
        if (pk->kind == FM_KEY_FLOW_MANAGER) {
            /* the manager's key (resolved on the NF), narrowed by the
             * port's own fields as for the element's key */
            p->key = pk->fields && nf->key_kind == FM_KEY_FIELDS ? nf->key & pk->fields
                                                                 : nf->key;
            p->symmetric |= nf->symmetric;
        } else {
            p->kind = pk->kind;
            p->key = pk->fields;
        }
    }
    for (size_t i = 0; i < nf->narrivals; i++)
        for (size_t j = 0; j < nf->nports; j++)
            if (nf->ports[j].port == nf->arrivals[i].port) {
                nf->arrivals[i].port = (int)j;
                break;
            }
}

static void fill_nf(walk *w, int k)
{
    fm_solve_nf *nf = &w->res->nfs[k];
    const fm_cost_model *m = w->res->cost;
    const fm_elem_attrs *ea = fm_attrs_find(w->attrs, nf->cls);
    char buf[300];
    if (!ea) {
        nf->missing = nf->stateful = 1;
        nf->role = FM_ROLE_NF;
        nf->key_kind = FM_KEY_UNKNOWN;
        nf->intensity = FM_INTENSITY_PER_PACKET;
        nf->cost = m->missing_cost;
        snprintf(buf, sizeof buf, "no attributes for class %s: treated as stateful "
                 "with an unknown key", nf->cls);
        set_forced(nf, buf);
        resolve_ports(nf, NULL);
        return;
    }
    nf->role = ea->role;
    nf->intensity = ea->intensity;
    nf->pointer_chasing = ea->pointer_chasing;
    nf->global_state = ea->global_state;
    nf->key_kind = ea->key_kind;
    nf->key = ea->key_fields;
    nf->symmetric = ea->symmetric;
    nf->stateful = ea->role != FM_ROLE_OTHER && (ea->stateful || ea->uncertain.n);
    nf->cost = ea->cost > 0 ? ea->cost : (nf->stateful ? m->default_cost : 0);
    nf->cost_rank = ea->cost_rank;
    nf->by_port = nf->stateful && ea->nports > 0;
    if (!nf->stateful) {
        resolve_ports(nf, ea);
        return;
    }
    if (ea->uncertain.n) {
        snprintf(buf, sizeof buf, "analysis uncertain: %s", ea->uncertain.v[0]);
        set_forced(nf, buf);
    }
    if (nf->key_kind == FM_KEY_NONE)
        nf->key_kind = FM_KEY_UNKNOWN;
    if (nf->key_kind == FM_KEY_FLOW_MANAGER)
        inherit_key(w, k, nf);
    resolve_ports(nf, ea);
    /* per port, the key of each port a device reaches decides
     * (solve_ports.c); else the element's key must be usable */
    if (nf->by_port)
        ;
    else if (nf->key_kind == FM_KEY_UNKNOWN)
        set_forced(nf, "its key is unknown");
    else if (nf->key_kind == FM_KEY_FIELDS && !(nf->key & ~FM_F_PROTO))
        set_forced(nf, "its key has none of the fields RSS can hash");
    if (w->boundary[k]) {
        const fm_click_elem *b = &w->res->graph->elems[w->boundary[k] - 1];
        snprintf(buf, sizeof buf, "it runs behind thread boundary '%s' (%s)", b->name,
                 b->cls);
        set_forced(nf, buf);
    }
}

static void finish_nfs(walk *w)
{
    fm_solve_result *res = w->res;
    for (size_t k = 0; k < res->nnfs; k++) {
        fill_nf(w, (int)k);
        fm_solve_nf *nf = &res->nfs[k];
        for (size_t i = 0; i < nf->ndevices; i++)
            if (res->devices[nf->devices[i]].cores > nf->cores)
                nf->cores = res->devices[nf->devices[i]].cores;
        if (nf->stateful && nf->forced)
            fm_solve_note(res, "%s (%s) runs shared: %s", nf->name, nf->cls, nf->forced);
    }
}

int fm_solve_chain(fm_solve_result *res, const fm_click_config *cfg,
                   const fm_attrs *attrs, const fm_solver_profile *prof,
                   fm_error *err)
{
    if (add_devices(res, cfg, attrs, prof, err) != 0)
        return -1;
    walk w;
    memset(&w, 0, sizeof w);
    w.res = res;
    w.attrs = attrs;
    w.prof = prof;
    build_csr(&w);
    w.nf_of = fm_xmalloc((res->graph->n + 1) * sizeof *w.nf_of);
    for (size_t i = 0; i < res->graph->n; i++)
        w.nf_of[i] = -1;
    for (size_t d = 0; d < res->ndevices; d++)
        reach(&w, (int)d);
    finish_nfs(&w);
    for (size_t k = 0; k < res->nnfs; k++)
        free(w.fms[k]);
    free(w.fms);
    free(w.nfms);
    free(w.boundary);
    free(w.nf_of);
    free(w.first);
    free(w.order);
    return 0;
}
