/* Step 5 of solve, continued: what each device gets written (per dialect),
 * where its rules file goes, refusing to overwrite rules flowmage did not
 * write, and the atomic commit. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowmage/solve.h"
#include "solve_internal.h"
#include "solve_write.h"

/* ---- rules file location ---- */

static char *dev_token(const char *name)
{
    char *s = fm_xstrdup(name);
    for (char *p = s; *p; p++)
        if (*p == '/' || *p == ' ' || *p == '@' || *p == '{' || *p == '}')
            *p = '_';
    return s;
}

static char *replace_dev(const char *tmpl, const char *dev)
{
    const char *at = strstr(tmpl, "{dev}");
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_append(&b, tmpl, (size_t)(at - tmpl));
    fm_buf_puts(&b, dev);
    fm_buf_puts(&b, at + 5);
    return (char *)fm_buf_cstr(&b);
}

/* "dir/x.rules" + "fd0" -> "dir/x.fd0.rules" */
static char *insert_dev(const char *path, const char *dev)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    size_t cut = dot && (!slash || dot > slash) && dot != (slash ? slash + 1 : path)
                     ? (size_t)(dot - path) : strlen(path);
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_append(&b, path, cut);
    fm_buf_printf(&b, ".%s%s", dev, path + cut);
    return (char *)fm_buf_cstr(&b);
}

static char *default_rules_path(const char *output, const char *dev, int several)
{
    const char *slash = strrchr(output, '/');
    char dir[PATH_MAX], abs[PATH_MAX];
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - output), output);
    else
        snprintf(dir, sizeof dir, ".");
    if (!*dir)
        snprintf(dir, sizeof dir, "/");
    const char *base = slash ? slash + 1 : output;
    size_t bl = strlen(base);
    if (bl > 6 && strcmp(base + bl - 6, ".click") == 0)
        bl -= 6;
    const char *d = realpath(dir, abs) ? abs : dir;
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_printf(&b, "%s%s%.*s", d, strcmp(d, "/") ? "/" : "", (int)bl, base);
    if (several)
        fm_buf_printf(&b, ".%s", dev);
    fm_buf_puts(&b, ".rules");
    return (char *)fm_buf_cstr(&b);
}


static char *rules_path(const fm_solve_result *res, const fm_solver_profile *prof,
                        const fm_solve_device *d, int several, int *explicit_path)
{
    /* one declaration or port: one rules file, named after the group */
    char *dev = dev_token(res->devices[d->group].name);
    char *path;
    *explicit_path = res->opts.rules_file != NULL;
    if (res->opts.rules_file) {
        const char *t = res->opts.rules_file;
        path = strstr(t, "{dev}") ? replace_dev(t, dev)
                                  : several ? insert_dev(t, dev) : fm_xstrdup(t);
    } else {
        char *cur = fm_click_elem_keyword(&res->graph->elems[d->elem], prof->fr_file_kw);
        if (cur && *cur) {
            path = cur;
        } else {
            free(cur);
            path = default_rules_path(res->opts.output ? res->opts.output : "out.click",
                                      dev, several);
        }
    }
    free(dev);
    return path;
}

/* ---- is an existing rules file ours to replace? ---- */

static int known_pattern(const fm_nic_profile *nic, const char *s, size_t n)
{
    for (size_t i = 0; i < nic->nsets; i++)
        for (size_t k = 0; k < nic->sets[i].nrules; k++) {
            const char *p = nic->sets[i].rules[k].pattern;
            if (strlen(p) == n && memcmp(p, s, n) == 0)
                return 1;
        }
    return 0;
}

/* Every line is an RSS rule over one of the NIC profile's patterns: what
 * flowmage writes.  Anything else (queue steering, drops, marks) is the
 * user's and must not be overwritten. */
static int rss_rules_only(const fm_nic_profile *nic, const char *text)
{
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char *l = fm_xstrndup(line, n);
        const char *pat = strstr(l, " ingress pattern ");
        const char *act = pat ? strstr(pat, " actions rss ") : NULL;
        int ok = n == 0 || (!strncmp(l, "flow create ", 12) && pat && act &&
                            known_pattern(nic, pat + 17, (size_t)(act - pat - 17)) &&
                            n >= 6 && !strcmp(l + n - 6, " / end"));
        free(l);
        if (!ok)
            return 0;
        line = end ? end + 1 : line + n;
    }
    return 1;
}

static int check_replaceable(const fm_solve_result *res, const fm_solve_device *d,
                             const char *path, const char *text, fm_error *err)
{
    if (access(path, F_OK) != 0)
        return 0;
    char *cur;
    size_t len;
    fm_error e;
    if (fm_read_file(path, &cur, &len, &e) != 0)
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot read the existing rules "
                       "file of '%s': %s", d->name, e.msg);
    int ok = strcmp(cur, text) == 0 || rss_rules_only(res->nic, cur);
    free(cur);
    if (!ok)
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "holds flow rules flowmage did "
                       "not write (rules file of '%s'); refusing to overwrite it — pass "
                       "--rules-file to choose where the RSS rules go", d->name);
    return 0;
}

static int add_file(fm_solve_output *out, const fm_solve_device *d, char *path,
                    char *text, fm_error *err)
{
    for (size_t i = 0; i < out->nfiles; i++) {
        if (strcmp(out->files[i].path, path) != 0)
            continue;
        int same = strcmp(out->files[i].text, text) == 0;
        free(path);
        free(text);
        if (same)
            return 0;
        return fm_fail(err, FM_ERR_INPUT, out->files[i].path, 0, 0,
                       "'%s' would share this rules file with another device that "
                       "needs different rules; pass --rules-file with {dev} in it",
                       d->name);
    }
    out->files = fm_xrealloc(out->files, (out->nfiles + 1) * sizeof *out->files);
    out->files[out->nfiles].path = path;
    out->files[out->nfiles++].text = text;
    return 0;
}

/* ---- per device ---- */

static void fields_words(fm_fieldset f, char *out, size_t n)
{
    fm_fieldset_format(f, out, (unsigned)n);
    for (char *p = out; *p; p++)
        if (*p == ',')
            *p = ' ';
}

static int wants_for(fm_planner *p, fm_solve_device *d, int several, fm_want *w,
                     size_t *n, fm_error *err)
{
    const fm_solver_profile *prof = p->prof;
    const fm_rss_choice *c = fm_solve_chosen(d);
    *n = 0;
    if (p->res->opts.dialect == FM_DIALECT_FLOWRULES) {
        int explicit_path;
        char *path = rules_path(p->res, prof, d, several, &explicit_path);
        char *text = fm_solve_rules_text(p->res, d);
        if (!explicit_path && check_replaceable(p->res, d, path, text, err) != 0) {
            free(path);
            free(text);
            return -1;
        }
        free(d->rules_path);
        d->rules_path = fm_xstrdup(path);
        fm_want_set(&w[(*n)++], prof->fr_mode_kw, prof->fr_mode_value);
        fm_want_set(&w[(*n)++], prof->fr_file_kw, path);
        return add_file(p->out, d, path, text, err);
    }
    char words[64];
    fields_words(c->fields, words, sizeof words);
    fm_want_set_quoted(&w[(*n)++], prof->hf_kw, words);
    if (c->key_kind != FM_RSSKEY_DEFAULT) {
        char hex[2 * FM_RSS_KEY_MAX + 1];
        fm_solve_hex(c->key4, p->res->nic->key_len, hex);
        fm_want_set(&w[(*n)++], prof->hf_key_kw, hex);
    }
    return 0;
}

/* NF mode keywords (solve_modes.c): one edit per declaration, by the same
 * minimal-edit writer as the devices; a value already right is left. */
static int plan_modes(fm_planner *p, fm_error *err)
{
    const fm_solve_result *res = p->res;
    for (size_t k = 0; k < res->nnfs; k++) {
        const fm_solve_nf *nf = &res->nfs[k];
        int decl = res->graph->elems[nf->elem].decl, done = 0;
        if (!nf->mode.value)
            continue;
        for (size_t j = 0; j < k; j++)
            done |= res->nfs[j].mode.value && res->graph->elems[res->nfs[j].elem].decl == decl;
        if (done)
            continue;
        fm_want w;
        fm_want_set(&w, nf->mode.spec->keyword, nf->mode.value);
        fm_target t = {nf->elem, decl, nf->name};
        int rc = fm_plan_element(p, &t, &w, 1, err);
        fm_want_free(&w);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int fm_solve_plan(const fm_click_config *cfg, fm_solve_result *res,
                  const fm_solver_profile *prof, fm_solve_output *out, fm_error *err)
{
    memset(out, 0, sizeof *out);
    fm_planner p = {cfg, res, prof, out, 0};
    int several = 0;
    for (size_t i = 0; i < res->ndevices; i++)
        several += !fm_solve_chosen(&res->devices[i])->none;
    several = several > 1;
    for (size_t i = 0; i < res->ndevices; i++) {
        fm_solve_device *d = &res->devices[i];
        /* the setting it already has: nothing to write, no rules file */
        d->unchanged = !fm_solve_chosen(d)->none && d->chosen == d->current_cand;
        if (fm_solve_chosen(d)->none || d->unchanged)
            continue;
        int done = 0; /* a shared declaration is edited once */
        for (size_t j = 0; j < i; j++)
            done |= res->devices[j].decl_id == d->decl_id && !fm_solve_chosen(&res->devices[j])->none;
        fm_want w[4];
        size_t n;
        int rc = wants_for(&p, d, several, w, &n, err);
        if (rc == 0 && done) {
            for (size_t k = 0; k < n; k++)
                fm_want_free(&w[k]);
            continue;
        }
        if (rc == 0)
            rc = fm_plan_device(&p, d, w, n, err);
        for (size_t k = 0; k < n; k++)
            fm_want_free(&w[k]);
        if (rc != 0) {
            fm_solve_output_free(out);
            return -1;
        }
    }
    if (plan_modes(&p, err) != 0 || fm_apply_edits(&p, err) != 0) {
        fm_solve_output_free(out);
        return -1;
    }
    return 0;
}

void fm_solve_stage(const fm_solve_output *out, const char *config_path, fm_stage *st)
{
    /* the rules before the configuration that names them */
    for (size_t i = 0; i < out->nfiles; i++)
        fm_stage_add(st, out->files[i].path, out->files[i].text, strlen(out->files[i].text),
                     FM_STAGE_SYNC);
    fm_stage_add(st, config_path, out->config, out->len, FM_STAGE_SYNC);
}

size_t fm_solve_output_nedits(const fm_solve_output *out)
{
    size_t n = 0;
    for (size_t i = 0; i < out->nedits; i++)
        n += out->edits[i].keyword != NULL;
    return n;
}

void fm_solve_output_free(fm_solve_output *out)
{
    free(out->config);
    for (size_t i = 0; i < out->nedits; i++) {
        fm_solve_edit *e = &out->edits[i];
        free(e->text);
        free(e->element);
        free(e->keyword);
        free(e->old_value);
        free(e->new_value);
    }
    free(out->edits);
    for (size_t i = 0; i < out->nfiles; i++) {
        free(out->files[i].path);
        free(out->files[i].text);
    }
    free(out->files);
    memset(out, 0, sizeof *out);
}
