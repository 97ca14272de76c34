/* Helpers shared by the solve unit tests (tests/unit/test_solve_*.c): run
 * the solver on configuration and attribute texts, find NFs and devices.
 * Data files are read from $FM_ROOT (the source tree). */
#ifndef FM_TEST_SOLVE_TEST_H
#define FM_TEST_SOLVE_TEST_H

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flowmage/attrs.h"
#include "flowmage/click.h"
#include "flowmage/solve.h"

typedef struct st_ctx {
    fm_click_config cfg;
    fm_click_graph graph;
    fm_attrs attrs;
    fm_solver_profile prof;
    fm_nic_profile nic;
    fm_cost_model cost;
    fm_solve_result res;
    fm_error err;
    int loaded; /* bit per loaded part, for st_free */
} st_ctx;

static inline const char *st_root(void)
{
    const char *r = getenv("FM_ROOT");
    return r && *r ? r : ".";
}

/* $FM_ROOT/rel, malloc'd text (NULL if unreadable). */
static inline char *st_read(const char *rel)
{
    char path[4096], *text = NULL;
    size_t len;
    fm_error err;
    snprintf(path, sizeof path, "%s/%s", st_root(), rel);
    return fm_read_file(path, &text, &len, &err) == 0 ? text : NULL;
}

/* tests/solve/name, malloc'd ("" after a failed check if unreadable). */
static inline char *st_config(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/solve/%s", name);
    char *t = st_read(rel);
    CHECK(t != NULL, "cannot read %s", rel);
    return t ? t : fm_xstrdup("");
}

/* text with the first `old` replaced by `new_`, malloc'd (a failed check,
 * and text unchanged, when `old` is not there). */
static inline char *st_replace(const char *text, const char *old, const char *new_)
{
    const char *p = strstr(text, old);
    CHECK(p != NULL, "'%s' not found", old);
    if (!p)
        return fm_xstrdup(text);
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_append(&b, text, (size_t)(p - text));
    fm_buf_puts(&b, new_);
    fm_buf_puts(&b, p + strlen(old));
    return (char *)fm_buf_cstr(&b);
}

#define SN FM_NF_SHARED_NOTHING
#define SH FM_NF_SHARED

/* Load everything but solve; nic is a profile name or a path under FM_ROOT. */
static inline int st_load(st_ctx *c, const char *config, const char *attrs,
                          const char *nic)
{
    char path[4096];
    memset(c, 0, sizeof *c);
    if (fm_click_parse(config, strlen(config), "t.click", &c->cfg, &c->err) != 0)
        return -1;
    c->loaded |= 1;
    if (fm_click_graph_build(&c->cfg, &c->graph, &c->err) != 0)
        return -1;
    c->loaded |= 2;
    if (fm_attrs_parse(attrs, strlen(attrs), "attrs.json", &c->attrs, &c->err) != 0)
        return -1;
    c->loaded |= 4;
    snprintf(path, sizeof path, "%s/profiles/fastclick.json", st_root());
    if (fm_solver_profile_load(path, &c->prof, &c->err) != 0)
        return -1;
    c->loaded |= 8;
    if (strchr(nic, '/'))
        snprintf(path, sizeof path, "%s/%s", st_root(), nic);
    else
        snprintf(path, sizeof path, "%s/profiles/nics/%s.json", st_root(), nic);
    if (fm_nic_load(path, &c->nic, &c->err) != 0)
        return -1;
    c->loaded |= 16;
    fm_cost_model_default(&c->cost);
    c->loaded |= 32;
    return 0;
}

static inline int st_run(st_ctx *c, const fm_solve_options *opts)
{
    fm_solve_options def;
    memset(&def, 0, sizeof def);
    def.output = "t.opt.click";
    if (fm_solve_run(&c->cfg, &c->graph, &c->attrs, &c->prof, &c->nic, &c->cost,
                     opts ? opts : &def, &c->res, &c->err) != 0)
        return -1;
    c->loaded |= 64;
    return 0;
}

/* Load and solve; on failure prints the error as a failed check. */
static inline int st_solve(st_ctx *c, const char *config, const char *attrs,
                           const char *nic, const fm_solve_options *opts)
{
    int rc = st_load(c, config, attrs, nic);
    if (rc == 0)
        rc = st_run(c, opts);
    CHECK(rc == 0, "solve failed: %s:%ld:%ld: %s", c->err.file, c->err.line, c->err.col,
          c->err.msg);
    return rc;
}

/* Load and solve with a cost model given as JSON text (NULL: built-in). */
static inline int st_solve_model(st_ctx *c, const char *config, const char *attrs,
                                 const char *nic, const char *model)
{
    int rc = st_load(c, config, attrs, nic);
    if (rc == 0 && model) {
        fm_cost_model_free(&c->cost);
        rc = fm_cost_model_parse(model, strlen(model), "cm.json", &c->cost, &c->err);
        if (rc != 0)
            fm_cost_model_default(&c->cost); /* st_free frees it */
    }
    if (rc == 0)
        rc = st_run(c, NULL);
    CHECK(rc == 0, "solve failed: %s", c->err.msg);
    return rc;
}

static inline void st_free(st_ctx *c)
{
    if (c->loaded & 64)
        fm_solve_result_free(&c->res);
    if (c->loaded & 32)
        fm_cost_model_free(&c->cost);
    if (c->loaded & 16)
        fm_nic_free(&c->nic);
    if (c->loaded & 8)
        fm_solver_profile_free(&c->prof);
    if (c->loaded & 4)
        fm_attrs_free(&c->attrs);
    if (c->loaded & 2)
        fm_click_graph_free(&c->graph);
    if (c->loaded & 1)
        fm_click_free(&c->cfg);
    c->loaded = 0;
}

static inline fm_solve_nf *st_nf(st_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->res.nnfs; i++)
        if (!strcmp(c->res.nfs[i].name, name))
            return &c->res.nfs[i];
    CHECK(0, "no NF named %s", name);
    return NULL;
}

static inline fm_solve_device *st_dev(st_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->res.ndevices; i++)
        if (!strcmp(c->res.devices[i].name, name))
            return &c->res.devices[i];
    CHECK(0, "no device named %s", name);
    return NULL;
}

/* The fields a device's chosen setting hashes, as text ("none"). */
static inline const char *st_chosen(st_ctx *c, const char *dev)
{
    static char buf[128];
    fm_solve_device *d = st_dev(c, dev);
    if (!d)
        return "?";
    fm_rss_choice_format(fm_solve_chosen(d), buf, sizeof buf);
    return buf;
}

#define CHECK_DECISION(ctx, name, want)                                        \
    do {                                                                       \
        fm_solve_nf *nf_ = st_nf(ctx, name);                                   \
        CHECK(nf_ && nf_->decision == (want), "%s: %s (%s), want %s", name,    \
              nf_ ? fm_nf_decision_name(nf_->decision) : "?",                  \
              nf_ ? nf_->why : "", fm_nf_decision_name(want));                 \
    } while (0)

#endif
