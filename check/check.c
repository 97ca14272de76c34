/* flowmage check: attributes against a baseline (include/flowmage/check.h).
 * Comparison and the text rendering; JSON and SARIF are in check_sarif.c. */
#include "flowmage/check.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* help: what a maintainer does about a finding (SARIF help.text). */
#define ACCEPT " If the change is intended, refresh the baseline after review " \
               "(docs/check.md, \"Refreshing the baseline\")."
static const fm_check_rule rules[] = {
    {"new-nf", "NewNetworkFunction", FM_CHECK_NEW,
     "New network function",
     "An element that keeps or may keep per-flow state appeared since the "
     "baseline. Review its attributes before the solver relies on them.",
     "Check the new NF's attributes (statefulness, key fields, intensity) "
     "against its code: the solver keeps it shared-nothing only on RSS fields "
     "within its key." ACCEPT},
    {"removed-nf", "RemovedNetworkFunction", FM_CHECK_REMOVED,
     "Network function removed",
     "An NF of the baseline is no longer found in the build.",
     "Configurations that still use the element will not deploy; if it was "
     "removed on purpose, drop it from the baseline." ACCEPT},
    {"role-changed", "RoleChanged", FM_CHECK_CHANGED,
     "Role changed",
     "The element changed between network function and flow manager.",
     "A flow manager's key becomes the key of the NFs downstream of it: "
     "check the chains that use the element." ACCEPT},
    {"stateful-changed", "StatefulnessChanged", FM_CHECK_CHANGED,
     "Statefulness changed",
     "The element started or stopped keeping per-flow state.",
     "A newly stateful NF constrains the RSS choice of every chain that "
     "uses it; check that the state is really per flow." ACCEPT},
    {"key-kind-changed", "KeyKindChanged", FM_CHECK_CHANGED,
     "Kind of state key changed",
     "The state key changed kind (header fields, flow manager, unknown, none).",
     "Check what now keys the NF's state; an unknown key makes it run on "
     "shared state." ACCEPT},
    {"key-changed", "KeyChanged", FM_CHECK_CHANGED,
     "State key changed",
     "The header fields keying the NF's per-flow state changed; the RSS "
     "fields that keep it shared-nothing change with them.",
     "Check the fields the code now uses as the state's key; deployments "
     "hashing on fields outside the new key would share its state across "
     "cores." ACCEPT},
    {"symmetric-changed", "SymmetryChanged", FM_CHECK_CHANGED,
     "Symmetry changed",
     "Whether both directions of a connection reach one state entry changed.",
     "A symmetric NF needs a symmetric RSS hash to stay shared-nothing; "
     "check that both directions really share one entry." ACCEPT},
    {"intensity-changed", "IntensityChanged", FM_CHECK_CHANGED,
     "State write intensity changed",
     "The NF now writes its state per packet instead of per flow, or back.",
     "Per-packet writes make shared state costly; check where the code "
     "writes the state." ACCEPT},
    {"pointer-chasing-changed", "PointerChasingChanged", FM_CHECK_CHANGED,
     "Pointer chasing changed",
     "Whether the per-flow state holds pointers followed per packet changed.",
     "Pointers followed per packet raise the cost of sharing the state; "
     "check the state's type." ACCEPT},
    {"global-state-changed", "GlobalStateChanged", FM_CHECK_CHANGED,
     "Global state changed",
     "Whether the NF writes state shared by all flows changed.",
     "State shared by all flows is shared by all cores whatever the RSS "
     "choice; check that the write is needed." ACCEPT},
    {"key-unknown", "KeyUnknown", FM_CHECK_AMBIGUOUS,
     "State key unknown",
     "The NF keeps per-flow state but the analysis could not tell its key, "
     "so it always runs on shared state.",
     "Make the key visible to the analysis (header fields read directly, "
     "no opaque hash), or accept that the NF runs shared." ACCEPT},
    {"uncertain", "AnalysisUncertain", FM_CHECK_AMBIGUOUS,
     "Analysis uncertain",
     "The analysis reports a reason to doubt one of the NF's attributes.",
     "The NF runs on shared state while the doubt stands; the message says "
     "what the analysis could not follow." ACCEPT},
    {"llm-disagreement", "StaticLlmDisagreement", FM_CHECK_AMBIGUOUS,
     "Static analysis and LLM disagree",
     "The compiler facts and the LLM's answer differ; the safe value was "
     "kept, a human should confirm it.",
     "Read the code at the location and confirm the value kept, or correct "
     "the attribute by hand (provenance manual)." ACCEPT},
};
#define NRULES (sizeof rules / sizeof rules[0])

const fm_check_rule *fm_check_rules(size_t *n)
{
    *n = NRULES;
    return rules;
}

static const char *const class_names[FM_CHECK_NCLASSES] = {"new", "removed",
                                                           "changed", "ambiguous"};

const char *fm_check_class_name(fm_check_class c) { return class_names[c]; }

static size_t rule_index(const char *id)
{
    for (size_t i = 0; i < NRULES; i++)
        if (!strcmp(rules[i].id, id))
            return i;
    abort(); /* a typo in this file */
}

/* ------------------------------------------------------------ findings */

static int is_nf(const fm_elem_attrs *e)
{
    return e->role == FM_ROLE_NF || e->role == FM_ROLE_FLOW_MANAGER;
}

static size_t count_nfs(const fm_attrs *a)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += is_nf(&a->elems[i]);
    return n;
}

/* The evidence that best locates an attribute: the first whose "what"
 * mentions one of the words, else (*generic set) the first with a file. */
static const fm_evidence *locate(const fm_elem_attrs *e, const char *attr, int *generic)
{
    *generic = 0;
    static const struct { const char *attr, *words[4]; } hints[] = {
        {"key", {"key", NULL}},
        {"key_kind", {"key", "flow manager", NULL}},
        {"symmetric", {"symmetric", "key", NULL}},
        {"intensity", {"write", "per packet", "per-packet", "insert"}},
        {"pointer_chasing", {"pointer", NULL}},
        {"stateful", {"table", "state", "key", NULL}},
        {"global_state", {"global", NULL}},
    };
    for (size_t h = 0; attr && h < sizeof hints / sizeof hints[0]; h++) {
        if (strcmp(hints[h].attr, attr))
            continue;
        for (size_t w = 0; w < 4 && hints[h].words[w]; w++)
            for (size_t i = 0; i < e->nevidence; i++)
                if (e->evidence[i].file && e->evidence[i].file[0] &&
                    e->evidence[i].what && strstr(e->evidence[i].what, hints[h].words[w]))
                    return &e->evidence[i];
    }
    *generic = 1;
    for (size_t i = 0; i < e->nevidence; i++)
        if (e->evidence[i].file && e->evidence[i].file[0])
            return &e->evidence[i];
    return NULL;
}

static void set_evidence(fm_check_finding *f, const fm_elem_attrs *e, const char *attr)
{
    const fm_evidence *ev = locate(e, attr, &f->generic);
    if (ev) {
        f->file = fm_xstrdup(ev->file);
        f->line = ev->line > 0 ? ev->line : 0;
    }
}

static fm_check_finding *add(fm_check_report *r, fm_check_class cls,
                             const char *rule, const fm_elem_attrs *e,
                             const char *attr, const char *old_value,
                             const char *new_value, const fm_elem_attrs *where)
{
    r->v = fm_xrealloc(r->v, (r->n + 1) * sizeof *r->v);
    fm_check_finding *f = &r->v[r->n++];
    memset(f, 0, sizeof *f);
    f->cls = cls;
    f->rule = rule_index(rule);
    f->nf = fm_xstrdup(e->name);
    f->attr = attr ? fm_xstrdup(attr) : NULL;
    f->old_value = old_value ? fm_xstrdup(old_value) : NULL;
    f->new_value = new_value ? fm_xstrdup(new_value) : NULL;
    if (where)
        set_evidence(f, where, attr);
    return f;
}

static void set_message(fm_check_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_message(fm_check_finding *f, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    f->message = fm_xstrdup(tmp);
}

/* "{src_ip,dst_ip}" plus other components: "{dst_ip} + vlan". */
static void key_text(const fm_elem_attrs *e, char *out, size_t n)
{
    char f[80];
    fm_fieldset_format(e->key_fields, f, sizeof f);
    size_t used = (size_t)snprintf(out, n, "{%s}", f);
    for (size_t i = 0; i < e->key_other.n && used < n; i++)
        used += (size_t)snprintf(out + used, n - used, " + %s", e->key_other.v[i]);
}

static const char *yesno(int b) { return b ? "yes" : "no"; }

static int same_strset(const fm_strset *a, const fm_strset *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]))
            return 0;
    return 1;
}

static void changed(fm_check_report *r, const char *rule, const fm_elem_attrs *e,
                    const char *attr, const char *label, const char *ov,
                    const char *nv)
{
    fm_check_finding *f = add(r, FM_CHECK_CHANGED, rule, e, attr, ov, nv, e);
    set_message(f, "%s: %s changed from %s to %s", e->name, label, ov, nv);
}

static void compare_nf(fm_check_report *r, const fm_elem_attrs *o,
                       const fm_elem_attrs *e)
{
    if (o->role != e->role)
        changed(r, "role-changed", e, "role", "role", fm_role_name(o->role),
                fm_role_name(e->role));
    if (o->stateful != e->stateful)
        changed(r, "stateful-changed", e, "stateful", "stateful",
                yesno(o->stateful), yesno(e->stateful));
    char ok[256], nk[256];
    key_text(o, ok, sizeof ok);
    key_text(e, nk, sizeof nk);
    if (o->key_kind != e->key_kind) {
        char ov[300], nv[300];
        snprintf(ov, sizeof ov, "%s%s%s", fm_key_kind_name(o->key_kind),
                 o->key_kind == FM_KEY_FIELDS ? " " : "",
                 o->key_kind == FM_KEY_FIELDS ? ok : "");
        snprintf(nv, sizeof nv, "%s%s%s", fm_key_kind_name(e->key_kind),
                 e->key_kind == FM_KEY_FIELDS ? " " : "",
                 e->key_kind == FM_KEY_FIELDS ? nk : "");
        changed(r, "key-kind-changed", e, "key_kind", "key kind", ov, nv);
    } else if (o->key_fields != e->key_fields || !same_strset(&o->key_other, &e->key_other)) {
        changed(r, "key-changed", e, "key", "key", ok, nk);
    }
    if (o->symmetric != e->symmetric)
        changed(r, "symmetric-changed", e, "symmetric", "symmetric",
                yesno(o->symmetric), yesno(e->symmetric));
    if (o->intensity != e->intensity)
        changed(r, "intensity-changed", e, "intensity", "intensity",
                fm_intensity_name(o->intensity), fm_intensity_name(e->intensity));
    if (o->pointer_chasing != e->pointer_chasing)
        changed(r, "pointer-chasing-changed", e, "pointer_chasing",
                "pointer chasing", yesno(o->pointer_chasing), yesno(e->pointer_chasing));
    if (o->global_state != e->global_state)
        changed(r, "global-state-changed", e, "global_state", "global state",
                yesno(o->global_state), yesno(e->global_state));
}

static int had_disagreement(const fm_elem_attrs *o, const fm_disagreement *d)
{
    for (size_t i = 0; o && i < o->ndisagreements; i++) {
        const fm_disagreement *x = &o->disagreements[i];
        if (!strcmp(x->field, d->field) && !strcmp(x->static_value, d->static_value) &&
            !strcmp(x->llm_value, d->llm_value))
            return 1;
    }
    return 0;
}

/* Disagreement fields to evidence hints. */
static const char *disagreement_attr(const char *field)
{
    if (!strcmp(field, "key") || !strcmp(field, "symmetric") || !strcmp(field, "intensity") ||
        !strcmp(field, "stateful") || !strcmp(field, "pointer_chasing"))
        return field;
    return NULL;
}

static void ambiguities(fm_check_report *r, const fm_elem_attrs *o, const fm_elem_attrs *e)
{
    if (e->stateful && e->key_kind == FM_KEY_UNKNOWN) {
        fm_check_finding *f = add(r, FM_CHECK_AMBIGUOUS, "key-unknown", e, "key_kind",
                                  NULL, "unknown", e);
        f->in_baseline = o && o->stateful && o->key_kind == FM_KEY_UNKNOWN;
        set_message(f, "%s: keeps per-flow state but its key is unknown, so it "
                       "always runs shared", e->name);
    }
    for (size_t i = 0; i < e->uncertain.n; i++) {
        fm_check_finding *f = add(r, FM_CHECK_AMBIGUOUS, "uncertain", e, NULL,
                                  NULL, e->uncertain.v[i], e);
        f->in_baseline = o && fm_strset_has(&o->uncertain, e->uncertain.v[i]);
        set_message(f, "%s: analysis uncertain: %s", e->name, e->uncertain.v[i]);
    }
    for (size_t i = 0; i < e->ndisagreements; i++) {
        const fm_disagreement *d = &e->disagreements[i];
        fm_check_finding *f = add(r, FM_CHECK_AMBIGUOUS, "llm-disagreement", e, d->field,
                                  d->static_value, d->llm_value, NULL);
        set_evidence(f, e, disagreement_attr(d->field));
        f->in_baseline = had_disagreement(o, d);
        set_message(f, "%s: static analysis and LLM disagree on %s (static: %s, "
                       "LLM: %s; kept: %s)", e->name, d->field, d->static_value,
                    d->llm_value, d->resolution && d->resolution[0] ? d->resolution : "static");
    }
}

static int finding_cmp(const void *a, const void *b)
{
    const fm_check_finding *x = a, *y = b;
    int c = strcmp(x->nf, y->nf);
    if (c)
        return c;
    if (x->cls != y->cls)
        return (int)x->cls - (int)y->cls;
    if (x->rule != y->rule)
        return x->rule < y->rule ? -1 : 1;
    c = strcmp(x->new_value ? x->new_value : "", y->new_value ? y->new_value : "");
    if (c)
        return c;
    c = strcmp(x->attr ? x->attr : "", y->attr ? y->attr : "");
    return c ? c : strcmp(x->message, y->message);
}

void fm_check_compare(const fm_attrs *base, const fm_attrs *cur,
                      const char *base_path, const char *new_path,
                      fm_check_report *out)
{
    memset(out, 0, sizeof *out);
    out->baseline_path = fm_xstrdup(base_path ? base_path : "");
    out->new_path = fm_xstrdup(new_path ? new_path : "");
    out->baseline_nfs = count_nfs(base);
    out->new_nfs = count_nfs(cur);
    for (size_t i = 0; i < cur->n; i++) {
        const fm_elem_attrs *e = &cur->elems[i];
        if (!is_nf(e))
            continue;
        const fm_elem_attrs *o = fm_attrs_find(base, e->name);
        if (!o || !is_nf(o)) {
            char what[300], key[256];
            key_text(e, key, sizeof key);
            if (e->stateful)
                snprintf(what, sizeof what, "stateful, key %s, %s",
                         e->key_kind == FM_KEY_FIELDS ? key : fm_key_kind_name(e->key_kind),
                         fm_intensity_name(e->intensity));
            else
                snprintf(what, sizeof what, "stateless");
            fm_check_finding *f = add(out, FM_CHECK_NEW, "new-nf", e, NULL, NULL, what, e);
            set_message(f, "%s: new %s (%s)%s", e->name,
                        e->role == FM_ROLE_FLOW_MANAGER ? "flow manager" : "network function",
                        what, o ? "; it was a plain element in the baseline" : "");
            ambiguities(out, NULL, e);
            continue;
        }
        compare_nf(out, o, e);
        ambiguities(out, o, e);
    }
    for (size_t i = 0; i < base->n; i++) {
        const fm_elem_attrs *o = &base->elems[i];
        const fm_elem_attrs *e = fm_attrs_find(cur, o->name);
        if (!is_nf(o) || (e && is_nf(e)))
            continue;
        fm_check_finding *f = add(out, FM_CHECK_REMOVED, "removed-nf", o, NULL, NULL, NULL, NULL);
        set_message(f, "%s: %s", o->name, e ? "no longer a network function"
                                            : "no longer found in the build");
    }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, finding_cmp);
}

void fm_check_report_free(fm_check_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        fm_check_finding *f = &r->v[i];
        free(f->nf), free(f->attr), free(f->old_value), free(f->new_value);
        free(f->message), free(f->file), free(f->def_file);
    }
    free(r->v);
    free(r->baseline_path);
    free(r->new_path);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------ locations */

void fm_check_set_definition(fm_check_report *r, const char *nf, const char *file,
                             long line)
{
    if (!file || !file[0])
        return;
    for (size_t i = 0; i < r->n; i++) {
        fm_check_finding *f = &r->v[i];
        if (strcmp(f->nf, nf))
            continue;
        free(f->def_file);
        f->def_file = fm_xstrdup(file);
        f->def_line = line > 0 ? line : 0;
    }
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Attributes files name elements with plain class_name() literals, so
 * matching the JSON text literally is enough (no escapes to undo). */
long fm_check_entry_line(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text ? strstr(text, "\"name\"") : NULL; p;
         p = strstr(p + 1, "\"name\"")) {
        const char *q = p + 6;
        while (is_space(*q))
            q++;
        if (*q++ != ':')
            continue;
        while (is_space(*q))
            q++;
        if (*q != '"' || strncmp(q + 1, name, n) || q[1 + n] != '"')
            continue;
        long line = 1;
        for (const char *c = text; c < p; c++)
            line += *c == '\n';
        return line;
    }
    return 0;
}

void fm_check_set_entries(fm_check_report *r, const char *base_text, const char *new_text)
{
    for (size_t i = 0; i < r->n; i++) {
        fm_check_finding *f = &r->v[i];
        f->base_entry = fm_check_entry_line(base_text, f->nf);
        f->new_entry = fm_check_entry_line(new_text, f->nf);
    }
}

/* Where the text points: the evidence about the attribute, else the class
 * definition, else whatever evidence the NF has. */
static const char *shown_location(const fm_check_finding *f, long *line)
{
    if (f->file && !(f->generic && f->def_file)) {
        *line = f->line;
        return f->file;
    }
    *line = f->def_line;
    return f->def_file;
}

/* ------------------------------------------------------------ fail-on */

int fm_check_parse_fail_on(const char *text, unsigned *mask, fm_error *err)
{
    unsigned m = 0;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = 0;
        for (int c = 0; c < FM_CHECK_NCLASSES; c++)
            if (n == strlen(class_names[c]) && !strncmp(p, class_names[c], n))
                m |= 1u << c, found = 1;
        if (n == 3 && !strncmp(p, "all", 3))
            m = (1u << FM_CHECK_NCLASSES) - 1, found = 1;
        if (n == 4 && !strncmp(p, "none", 4))
            found = 1;
        if (!found && n)
            return fm_fail(err, FM_ERR_INPUT, NULL, 0, 0,
                           "--fail-on: unknown class \"%.*s\" (new, removed, "
                           "changed, ambiguous, all, none)", (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    *mask = m;
    return 0;
}

int fm_check_fails(const fm_check_finding *f, unsigned mask)
{
    if (!(mask & (1u << f->cls)))
        return 0;
    return !(f->cls == FM_CHECK_AMBIGUOUS && f->in_baseline);
}

size_t fm_check_count_failing(const fm_check_report *r, unsigned mask)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += (size_t)fm_check_fails(&r->v[i], mask);
    return n;
}

/* ------------------------------------------------------------ text */

char *fm_check_text(const fm_check_report *r, unsigned mask)
{
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_printf(&b, "flowmage check: %s (%zu NFs) -> %s (%zu NFs)\n", r->baseline_path,
                  r->baseline_nfs, r->new_path, r->new_nfs);
    size_t count[FM_CHECK_NCLASSES] = {0}, accepted = 0;
    for (size_t i = 0; i < r->n; i++) {
        const fm_check_finding *f = &r->v[i];
        count[f->cls]++;
        accepted += f->cls == FM_CHECK_AMBIGUOUS && f->in_baseline;
        fm_buf_printf(&b, "  %c %-9s %s", fm_check_fails(f, mask) ? '!' : ' ',
                      class_names[f->cls], f->message);
        long line;
        const char *file = shown_location(f, &line);
        if (file && line)
            fm_buf_printf(&b, "  [%s:%ld]", file, line);
        else if (file)
            fm_buf_printf(&b, "  [%s]", file);
        if (f->in_baseline)
            fm_buf_puts(&b, "  (already in the baseline)");
        fm_buf_puts(&b, "\n");
    }
    size_t failing = fm_check_count_failing(r, mask);
    if (!r->n)
        fm_buf_puts(&b, "no changes, nothing ambiguous\n");
    else
        fm_buf_printf(&b, "%zu finding%s: %zu new, %zu removed, %zu changed, %zu ambiguous "
                          "(%zu already in the baseline)\n",
                      r->n, r->n == 1 ? "" : "s", count[FM_CHECK_NEW],
                      count[FM_CHECK_REMOVED], count[FM_CHECK_CHANGED],
                      count[FM_CHECK_AMBIGUOUS], accepted);
    if (failing)
        fm_buf_printf(&b, "%zu need%s a human (marked !): exit 1\n", failing,
                      failing == 1 ? "s" : "");
    else
        fm_buf_puts(&b, "nothing needs a human: exit 0\n");
    char *s = fm_xstrdup(fm_buf_cstr(&b));
    fm_buf_free(&b);
    return s;
}
