/* Loading the solver's framework knowledge (the "solver" object of a
 * framework profile) and NIC profiles (docs/nic-profiles.md). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/schema.h"
#include "flowmage/solve.h"

#define IP_FIELDS (FM_F_SRC_IP | FM_F_DST_IP)

static char *dup_str(const cJSON *o, const char *key, const char *fallback)
{
    const char *s = fm_json_str(o, key, fallback);
    return s ? fm_xstrdup(s) : NULL;
}

/* ---- framework profile ---- */

/* The "solver" object of a framework profile, one line per field
 * (docs/profiles.md); written by hand, so unknown fields are errors.  The
 * rest of the file is summarize's (summarize/profile.c checks it). */
static const char *const dialect_values[] = {"flowrules", "hashfunc", NULL};
static const fm_jspec dialect_spec = FM_JENUM(dialect_values);
static const fm_jspec dialects_spec = FM_JARRAY(&dialect_spec);

static const fm_jfield input_fields[] = {
    {"class", FM_J_REQUIRED, &fm_jspec_name},
    {"rss", FM_J_OPTIONAL, &fm_jspec_bool},
    {"dialects", FM_J_OPTIONAL, &dialects_spec},
    {"comment", FM_J_OPTIONAL, &fm_jspec_string},
    {NULL, 0, NULL}};
static const fm_jspec input_spec = FM_JCLOSED(input_fields);
static const fm_jspec inputs_spec = FM_JARRAY(&input_spec);

static const fm_jfield device_kw_fields[] = {
    {"port", FM_J_OPTIONAL, &fm_jspec_name},
    {"queues", FM_J_OPTIONAL, &fm_jspec_name},
    {"threads", FM_J_OPTIONAL, &fm_jspec_name},
    {"thread_offset", FM_J_OPTIONAL, &fm_jspec_name},
    {NULL, 0, NULL}};
static const fm_jspec device_kw_spec = FM_JCLOSED(device_kw_fields);

static const fm_jfield flowrules_fields[] = {
    {"mode_keyword", FM_J_OPTIONAL, &fm_jspec_name},
    {"mode_value", FM_J_OPTIONAL, &fm_jspec_name},
    {"file_keyword", FM_J_OPTIONAL, &fm_jspec_name},
    {NULL, 0, NULL}};
static const fm_jspec flowrules_spec = FM_JCLOSED(flowrules_fields);
static const fm_jfield hashfunc_fields[] = {
    {"keyword", FM_J_OPTIONAL, &fm_jspec_name},
    {"key_keyword", FM_J_OPTIONAL, &fm_jspec_name},
    {NULL, 0, NULL}};
static const fm_jspec hashfunc_spec = FM_JCLOSED(hashfunc_fields);
static const fm_jfield dialect_fields[] = {
    {"flowrules", FM_J_OPTIONAL, &flowrules_spec},
    {"hashfunc", FM_J_OPTIONAL, &hashfunc_spec},
    {NULL, 0, NULL}};
static const fm_jspec dialect_obj_spec = FM_JCLOSED(dialect_fields);

/* "nf_modes": [{"keyword": "SHARED", "shared": "1", "shared_nothing": "0",
 *               "absent": "shared", "classes": [...]}] */
static const char *const absent_values[] = {"shared", "shared_nothing", "unknown", NULL};
static const fm_jspec absent_spec = FM_JENUM(absent_values);
static const fm_jfield mode_fields[] = {
    {"keyword", FM_J_REQUIRED, &fm_jspec_name},
    {"shared", FM_J_REQUIRED, &fm_jspec_name},
    {"shared_nothing", FM_J_REQUIRED, &fm_jspec_name},
    {"absent", FM_J_OPTIONAL, &absent_spec},
    {"classes", FM_J_OPTIONAL, &fm_jspec_strings},
    {"comment", FM_J_OPTIONAL, &fm_jspec_string},
    {NULL, 0, NULL}};
static const fm_jspec mode_spec = FM_JCLOSED(mode_fields);
static const fm_jspec modes_spec = FM_JARRAY(&mode_spec);

static const fm_jfield solver_fields[] = {
    {"comment", FM_J_OPTIONAL, &fm_jspec_string},
    {"input_devices", FM_J_REQUIRED, &inputs_spec},
    {"thread_boundaries", FM_J_OPTIONAL, &fm_jspec_strings},
    {"device_keywords", FM_J_OPTIONAL, &device_kw_spec},
    {"dialects", FM_J_OPTIONAL, &dialect_obj_spec},
    {"rss_off_modes", FM_J_OPTIONAL, &fm_jspec_strings},
    {"nf_modes", FM_J_OPTIONAL, &modes_spec},
    {NULL, 0, NULL}};
static const fm_jspec solver_spec = FM_JCLOSED(solver_fields);

static void read_inputs(const cJSON *arr, fm_solver_profile *p)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        p->inputs = fm_xrealloc(p->inputs, (p->ninputs + 1) * sizeof *p->inputs);
        fm_input_class *c = &p->inputs[p->ninputs++];
        memset(c, 0, sizeof *c);
        c->cls = fm_xstrdup(fm_json_str(it, "class", ""));
        c->rss = fm_json_bool(it, "rss", 0);
        fm_strset d = {0};
        fm_json_get_strset(it, "dialects", &d);
        c->flowrules = fm_strset_has(&d, "flowrules");
        c->hashfunc = fm_strset_has(&d, "hashfunc");
        fm_strset_free(&d);
    }
}

static int read_modes(const fm_jdoc *d, const cJSON *arr, fm_solver_profile *p, fm_error *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *kw = fm_json_str(it, "keyword", ""), *sh = fm_json_str(it, "shared", "");
        const char *sn = fm_json_str(it, "shared_nothing", "");
        const char *ab = fm_json_str(it, "absent", "unknown");
        if (!strcmp(sh, sn))
            return fm_jdoc_fail(d, cJSON_GetObjectItemCaseSensitive(it, "shared_nothing"), err,
                                "must differ from \"shared\"");
        p->modes = fm_xrealloc(p->modes, (p->nmodes + 1) * sizeof *p->modes);
        fm_nf_mode_spec *m = &p->modes[p->nmodes++];
        memset(m, 0, sizeof *m);
        m->keyword = fm_xstrdup(kw);
        m->shared = fm_xstrdup(sh);
        m->shared_nothing = fm_xstrdup(sn);
        m->absent = !strcmp(ab, "shared") ? 1 : !strcmp(ab, "shared_nothing") ? 0 : -1;
        fm_json_get_strset(it, "classes", &m->classes);
    }
    return 0;
}

const fm_nf_mode_spec *fm_solver_nf_mode(const fm_solver_profile *p, const char *cls,
                                         const fm_strset *keywords)
{
    for (size_t i = 0; i < p->nmodes; i++) {
        const fm_nf_mode_spec *m = &p->modes[i];
        if ((!m->classes.n || fm_strset_has(&m->classes, cls)) && keywords &&
            fm_strset_has(keywords, m->keyword))
            return m;
    }
    return NULL;
}

int fm_solver_profile_load(const char *path, fm_solver_profile *p, fm_error *err)
{
    memset(p, 0, sizeof *p);
    p->path = fm_xstrdup(path);
    fm_jdoc d;
    if (fm_jdoc_load(&d, path, err) != 0) {
        fm_solver_profile_free(p);
        return -1;
    }
    int rc = -1;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(d.root, "solver");
    if (!cJSON_IsObject(d.root) || !s) {
        fm_fail(err, FM_ERR_INPUT, path, 0, 0,
                "no \"solver\" object with an \"input_devices\" array");
        goto out;
    }
    if (fm_jdoc_check(&d, s, &solver_spec, err) != 0)
        goto out;
    read_inputs(cJSON_GetObjectItemCaseSensitive(s, "input_devices"), p);
    fm_json_get_strset(s, "thread_boundaries", &p->boundaries);
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(s, "device_keywords");
    p->kw_port = dup_str(kw, "port", "PORT");
    p->kw_queues = dup_str(kw, "queues", "N_QUEUES");
    p->kw_threads = dup_str(kw, "threads", "MAXTHREADS");
    p->kw_thread_offset = dup_str(kw, "thread_offset", "THREADOFFSET");
    const cJSON *dl = cJSON_GetObjectItemCaseSensitive(s, "dialects");
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(dl, "flowrules");
    const cJSON *hf = cJSON_GetObjectItemCaseSensitive(dl, "hashfunc");
    p->fr_mode_kw = dup_str(fr, "mode_keyword", "MODE");
    p->fr_mode_value = dup_str(fr, "mode_value", "flow");
    p->fr_file_kw = dup_str(fr, "file_keyword", "FLOW_RULES_FILE");
    p->hf_kw = dup_str(hf, "keyword", "HASHFUNC");
    p->hf_key_kw = dup_str(hf, "key_keyword", "HASHKEY");
    fm_json_get_strset(s, "rss_off_modes", &p->rss_off_modes);
    if (read_modes(&d, cJSON_GetObjectItemCaseSensitive(s, "nf_modes"), p, err) != 0)
        goto out;
    rc = 0;
out:
    fm_jdoc_free(&d);
    if (rc != 0)
        fm_solver_profile_free(p);
    return rc;
}

void fm_solver_profile_free(fm_solver_profile *p)
{
    for (size_t i = 0; i < p->ninputs; i++)
        free(p->inputs[i].cls);
    free(p->inputs);
    fm_strset_free(&p->boundaries);
    fm_strset_free(&p->rss_off_modes);
    for (size_t i = 0; i < p->nmodes; i++) {
        free(p->modes[i].keyword);
        free(p->modes[i].shared);
        free(p->modes[i].shared_nothing);
        fm_strset_free(&p->modes[i].classes);
    }
    free(p->modes);
    free(p->path);
    free(p->kw_port);
    free(p->kw_queues);
    free(p->kw_threads);
    free(p->kw_thread_offset);
    free(p->fr_mode_kw);
    free(p->fr_mode_value);
    free(p->fr_file_kw);
    free(p->hf_kw);
    free(p->hf_key_kw);
    memset(p, 0, sizeof *p);
}

const fm_input_class *fm_solver_input_class(const fm_solver_profile *p,
                                            const char *cls)
{
    for (size_t i = 0; i < p->ninputs; i++)
        if (strcmp(p->inputs[i].cls, cls) == 0)
            return &p->inputs[i];
    return NULL;
}

/* ---- NIC profiles ---- */

/* The format, one line per field (docs/nic-profiles.md).  NIC profiles are
 * written by hand: an unknown field is a typo and an error. */
static const char *const family_values[] = {"ipv4", "ipv6", "both", NULL};
static const fm_jspec hashable_spec = FM_JENUM(fm_hashable_names);
static const fm_jspec set_fields_spec = FM_JARRAY(&hashable_spec);
static const fm_jspec family_spec = FM_JENUM(family_values);
static const fm_jspec priority_spec = FM_JINT(0, 1000);
static const fm_jspec key_len_spec = FM_JINT(16, FM_RSS_KEY_MAX);
static const fm_jspec reta_spec = FM_JINT(2, 65536);
static const fm_jspec queues_spec = FM_JINT(1, 65535);

static const fm_jfield rule_fields[] = {
    {"pattern", FM_J_REQUIRED, &fm_jspec_name},
    {"types", FM_J_REQUIRED, &fm_jspec_name},
    {"priority", FM_J_OPTIONAL, &priority_spec},
    {"family", FM_J_OPTIONAL, &family_spec},
    {"l4", FM_J_OPTIONAL, &fm_jspec_bool},
    {"comment", FM_J_OPTIONAL, &fm_jspec_string},
    {NULL, 0, NULL}};
static const fm_jspec rule_spec = FM_JCLOSED(rule_fields);
static const fm_jspec rules_spec = {.types = FM_J_ARR, .items = &rule_spec, .nonempty = 1};

static const fm_jfield set_fields[] = {
    {"fields", FM_J_REQUIRED, &set_fields_spec},
    {"rules", FM_J_REQUIRED, &rules_spec},
    {"comment", FM_J_OPTIONAL, &fm_jspec_string},
    {NULL, 0, NULL}};
static const fm_jspec set_spec = FM_JCLOSED(set_fields);
static const fm_jspec sets_spec = {.types = FM_J_ARR, .items = &set_spec, .nonempty = 1};

static const fm_jfield nic_fields[] = {
    {"flowmage_nic", FM_J_REQUIRED, &fm_jspec_version},
    {"name", FM_J_REQUIRED, &fm_jspec_name},
    {"description", FM_J_OPTIONAL, &fm_jspec_string},
    {"comment", FM_J_OPTIONAL, &fm_jspec_string},
    {"key_len", FM_J_OPTIONAL, &key_len_spec},
    {"reta_size", FM_J_OPTIONAL, &reta_spec},
    {"max_queues", FM_J_OPTIONAL, &queues_spec},
    {"default_key", FM_J_OPTIONAL, &fm_jspec_string},
    {"symmetric_by_key", FM_J_OPTIONAL, &fm_jspec_bool},
    {"restrict_by_key", FM_J_OPTIONAL, &fm_jspec_bool},
    {"always_write_key", FM_J_OPTIONAL, &fm_jspec_bool},
    {"sets", FM_J_REQUIRED, &sets_spec},
    {NULL, 0, NULL}};
static const fm_jspec nic_spec = FM_JCLOSED(nic_fields);

static int parse_hex_key(const char *hex, uint8_t *out, unsigned n)
{
    if (strlen(hex) != 2 * (size_t)n)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        int hi = isxdigit((unsigned char)hex[2 * i]) ? hex[2 * i] : -1;
        int lo = isxdigit((unsigned char)hex[2 * i + 1]) ? hex[2 * i + 1] : -1;
        if (hi < 0 || lo < 0)
            return -1;
        char b[3] = {(char)hi, (char)lo, 0};
        out[i] = (uint8_t)strtoul(b, NULL, 16);
    }
    return 0;
}

static int clean_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20)
            return 0;
    return 1;
}

/* Semantic checks on a validated rule (types and ranges already hold). */
static int read_rule(const fm_jdoc *d, const cJSON *o, fm_nic_set *set, fm_error *err)
{
    const cJSON *pj = cJSON_GetObjectItemCaseSensitive(o, "pattern");
    const cJSON *tj = cJSON_GetObjectItemCaseSensitive(o, "types");
    const char *pat = pj->valuestring, *types = tj->valuestring;
    if (!clean_text(pat) || !clean_text(types))
        return fm_jdoc_fail(d, clean_text(pat) ? tj : pj, err,
                            "\"pattern\" and \"types\" must be one line of text");
    size_t pl = strlen(pat);
    if (pl < 3 || strcmp(pat + pl - 3, "end") != 0)
        return fm_jdoc_fail(d, pj, err, "rule pattern \"%s\" must end with \"end\"", pat);
    set->rules = fm_xrealloc(set->rules, (set->nrules + 1) * sizeof *set->rules);
    fm_nic_rule *r = &set->rules[set->nrules++];
    memset(r, 0, sizeof *r);
    r->pattern = fm_xstrdup(pat);
    r->types = fm_xstrdup(types);
    r->priority = (int)fm_json_num(o, "priority", 0); /* an integer in 0..1000 */
    const char *fam = fm_json_str(o, "family", NULL);
    int v4 = strstr(pat, "ipv4") != NULL, v6 = strstr(pat, "ipv6") != NULL;
    r->family = v4 == v6 ? FM_TOEPLITZ_BOTH : v6 ? FM_TOEPLITZ_IPV6 : FM_TOEPLITZ_IPV4;
    if (fam)
        r->family = !strcmp(fam, "ipv4")   ? FM_TOEPLITZ_IPV4
                    : !strcmp(fam, "ipv6") ? FM_TOEPLITZ_IPV6
                                           : FM_TOEPLITZ_BOTH;
    r->l4 = fm_json_bool(o, "l4", strstr(pat, "tcp") || strstr(pat, "udp") ||
                                      strstr(pat, "sctp"));
    r->hashed = r->l4 ? set->fields : (set->fields & IP_FIELDS);
    return 0;
}

static int read_set(const fm_jdoc *d, const cJSON *o, fm_nic_profile *nic, fm_error *err)
{
    fm_fieldset f = 0;
    const cJSON *fj = cJSON_GetObjectItemCaseSensitive(o, "fields"), *it;
    cJSON_ArrayForEach(it, fj)
        f |= fm_field_bit(it->valuestring);
    char buf[64];
    fm_fieldset_format(f, buf, sizeof buf);
    if (!(f & IP_FIELDS))
        return fm_jdoc_fail(d, fj, err, "set {%s}: every set must hash an IP address", buf);
    if (fm_nic_find_set(nic, f) >= 0)
        return fm_jdoc_fail(d, fj, err, "set {%s} is listed twice", buf);
    nic->sets = fm_xrealloc(nic->sets, (nic->nsets + 1) * sizeof *nic->sets);
    fm_nic_set *s = &nic->sets[nic->nsets++];
    memset(s, 0, sizeof *s);
    s->fields = f;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "rules"))
    {
        if (read_rule(d, it, s, err) != 0)
            return -1;
        nic->ipv6 |= s->rules[s->nrules - 1].family != FM_TOEPLITZ_IPV4;
    }
    return 0;
}

static int read_nic_header(const fm_jdoc *d, fm_nic_profile *nic, fm_error *err)
{
    const cJSON *j = d->root;
    nic->name = dup_str(j, "name", "");
    nic->description = dup_str(j, "description", "");
    /* integers in their ranges (nic_spec) */
    nic->key_len = (unsigned)fm_json_num(j, "key_len", 40);
    nic->reta_size = (unsigned)fm_json_num(j, "reta_size", 128);
    nic->max_queues = (unsigned)fm_json_num(j, "max_queues", 128);
    if (nic->reta_size & (nic->reta_size - 1))
        return fm_jdoc_fail(d, cJSON_GetObjectItemCaseSensitive(j, "reta_size"), err,
                            "reta_size must be a power of two in 2..65536");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(j, "default_key");
    if (key) {
        if (parse_hex_key(key->valuestring, nic->default_key, nic->key_len) != 0)
            return fm_jdoc_fail(d, key, err, "default_key must be %u hex bytes", nic->key_len);
    } else {
        if (nic->key_len > sizeof fm_rss_ms_key)
            return fm_jdoc_fail(d, cJSON_GetObjectItemCaseSensitive(j, "key_len"), err,
                                "key_len above 40 needs a \"default_key\"");
        memcpy(nic->default_key, fm_rss_ms_key, nic->key_len);
    }
    nic->symmetric_by_key = fm_json_bool(j, "symmetric_by_key", 1);
    nic->restrict_by_key = fm_json_bool(j, "restrict_by_key", 0);
    nic->always_write_key = fm_json_bool(j, "always_write_key", 1);
    return 0;
}

int fm_nic_parse(const char *text, size_t len, const char *path,
                 fm_nic_profile *nic, fm_error *err)
{
    memset(nic, 0, sizeof *nic);
    nic->path = fm_xstrdup(path);
    fm_jdoc d;
    if (fm_jdoc_parse(&d, text, len, path, err) != 0) {
        fm_nic_free(nic);
        return -1;
    }
    int rc = -1;
    const cJSON *it;
    if (fm_jdoc_check_version(&d, "flowmage_nic", "NIC profile", FM_NIC_PROFILE_VERSION,
                              FM_NIC_PROFILE_VERSION, &nic_spec, err) != 0 ||
        read_nic_header(&d, nic, err) != 0)
        goto out;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(d.root, "sets"))
    {
        if (read_set(&d, it, nic, err) != 0)
            goto out;
    }
    rc = 0;
out:
    fm_jdoc_free(&d);
    if (rc != 0)
        fm_nic_free(nic);
    return rc;
}

int fm_nic_load(const char *name_or_path, fm_nic_profile *nic, fm_error *err)
{
    char found[4096];
    const char *path = name_or_path;
    size_t n = strlen(name_or_path);
    int is_path = strchr(name_or_path, '/') || (n > 5 && !strcmp(name_or_path + n - 5, ".json"));
    if (!is_path) {
        char rel[512];
        snprintf(rel, sizeof rel, "profiles/nics/%s.json", name_or_path);
        if (fm_find_data_file(rel, found, sizeof found) != 0)
            return fm_fail(err, FM_ERR_INPUT, name_or_path, 0, 0,
                           "no NIC profile named \"%s\" (looked for %s among "
                           "flowmage's data files; pass a file path instead)",
                           name_or_path, rel);
        path = found;
    }
    char *text;
    size_t len;
    if (fm_read_file(path, &text, &len, err) != 0)
        return -1;
    int rc = fm_nic_parse(text, len, path, nic, err);
    free(text);
    return rc;
}

void fm_nic_free(fm_nic_profile *nic)
{
    for (size_t i = 0; i < nic->nsets; i++) {
        for (size_t k = 0; k < nic->sets[i].nrules; k++) {
            free(nic->sets[i].rules[k].pattern);
            free(nic->sets[i].rules[k].types);
        }
        free(nic->sets[i].rules);
    }
    free(nic->sets);
    free(nic->name);
    free(nic->description);
    free(nic->path);
    memset(nic, 0, sizeof *nic);
}

unsigned fm_nic_reta_bits(const fm_nic_profile *nic)
{
    unsigned b = 0;
    while ((1u << (b + 1)) <= nic->reta_size)
        b++;
    return b;
}

int fm_nic_find_set(const fm_nic_profile *nic, fm_fieldset fields)
{
    for (size_t i = 0; i < nic->nsets; i++)
        if (nic->sets[i].fields == fields)
            return (int)i;
    return -1;
}
