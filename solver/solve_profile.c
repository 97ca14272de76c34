/* Loading the solver's framework knowledge (the "solver" object of a
 * framework profile) and NIC profiles (docs/nic-profiles.md). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "flowmage/solve.h"

#define IP_FIELDS (FM_F_SRC_IP | FM_F_DST_IP)

static char *dup_str(const cJSON *o, const char *key, const char *fallback)
{
    const char *s = fm_json_str(o, key, fallback);
    return s ? fm_xstrdup(s) : NULL;
}

/* ---- framework profile ---- */

static int read_inputs(const cJSON *arr, fm_solver_profile *p, fm_error *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *cls = fm_json_str(it, "class", NULL);
        if (!cls || !*cls)
            return fm_fail(err, FM_ERR_INPUT, p->path, 0, 0,
                           "solver.input_devices: every entry needs a \"class\"");
        p->inputs = fm_xrealloc(p->inputs, (p->ninputs + 1) * sizeof *p->inputs);
        fm_input_class *c = &p->inputs[p->ninputs++];
        memset(c, 0, sizeof *c);
        c->cls = fm_xstrdup(cls);
        c->rss = fm_json_bool(it, "rss", 0);
        fm_strset d = {0};
        if (fm_json_get_strset(it, "dialects", &d) != 0) {
            fm_strset_free(&d);
            return fm_fail(err, FM_ERR_INPUT, p->path, 0, 0,
                           "solver.input_devices[%s].dialects must be strings", cls);
        }
        c->flowrules = fm_strset_has(&d, "flowrules");
        c->hashfunc = fm_strset_has(&d, "hashfunc");
        fm_strset_free(&d);
    }
    return 0;
}

/* "nf_modes": [{"keyword": "SHARED", "shared": "1", "shared_nothing": "0",
 *               "absent": "shared", "classes": [...]}] */
static int read_modes(const cJSON *arr, fm_solver_profile *p, fm_error *err)
{
    const cJSON *it;
    if (arr && !cJSON_IsArray(arr))
        return fm_fail(err, FM_ERR_INPUT, p->path, 0, 0, "solver.nf_modes must be an array");
    cJSON_ArrayForEach(it, arr)
    {
        const char *kw = fm_json_str(it, "keyword", NULL);
        const char *sh = fm_json_str(it, "shared", NULL);
        const char *sn = fm_json_str(it, "shared_nothing", NULL);
        const char *ab = fm_json_str(it, "absent", "unknown");
        if (!kw || !*kw || !sh || !*sh || !sn || !*sn || !strcmp(sh, sn))
            return fm_fail(err, FM_ERR_INPUT, p->path, 0, 0,
                           "solver.nf_modes: every entry needs a \"keyword\" and two "
                           "different values \"shared\" and \"shared_nothing\"");
        int absent = !strcmp(ab, "shared") ? 1 : !strcmp(ab, "shared_nothing") ? 0
                   : !strcmp(ab, "unknown") ? -1 : -2;
        if (absent == -2)
            return fm_fail(err, FM_ERR_INPUT, p->path, 0, 0,
                           "solver.nf_modes[%s].absent must be \"shared\", "
                           "\"shared_nothing\" or \"unknown\"", kw);
        p->modes = fm_xrealloc(p->modes, (p->nmodes + 1) * sizeof *p->modes);
        fm_nf_mode_spec *m = &p->modes[p->nmodes++];
        memset(m, 0, sizeof *m);
        m->keyword = fm_xstrdup(kw);
        m->shared = fm_xstrdup(sh);
        m->shared_nothing = fm_xstrdup(sn);
        m->absent = absent;
        if (fm_json_get_strset(it, "classes", &m->classes) != 0)
            return fm_fail(err, FM_ERR_INPUT, p->path, 0, 0,
                           "solver.nf_modes[%s].classes must be class names", kw);
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
    cJSON *j = fm_json_load(path, err);
    if (!j) {
        fm_solver_profile_free(p);
        return -1;
    }
    int rc = -1;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "solver");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(s, "input_devices");
    if (!cJSON_IsObject(s) || !cJSON_IsArray(in)) {
        fm_fail(err, FM_ERR_INPUT, path, 0, 0,
                "no \"solver\" object with an \"input_devices\" array");
        goto out;
    }
    if (read_inputs(in, p, err) != 0)
        goto out;
    if (fm_json_get_strset(s, "thread_boundaries", &p->boundaries) != 0) {
        fm_fail(err, FM_ERR_INPUT, path, 0, 0,
                "solver.thread_boundaries must be an array of class names");
        goto out;
    }
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(s, "device_keywords");
    p->kw_port = dup_str(kw, "port", "PORT");
    p->kw_queues = dup_str(kw, "queues", "N_QUEUES");
    p->kw_threads = dup_str(kw, "threads", "MAXTHREADS");
    p->kw_thread_offset = dup_str(kw, "thread_offset", "THREADOFFSET");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(s, "dialects");
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(d, "flowrules");
    const cJSON *hf = cJSON_GetObjectItemCaseSensitive(d, "hashfunc");
    p->fr_mode_kw = dup_str(fr, "mode_keyword", "MODE");
    p->fr_mode_value = dup_str(fr, "mode_value", "flow");
    p->fr_file_kw = dup_str(fr, "file_keyword", "FLOW_RULES_FILE");
    p->hf_kw = dup_str(hf, "keyword", "HASHFUNC");
    p->hf_key_kw = dup_str(hf, "key_keyword", "HASHKEY");
    if (fm_json_get_strset(s, "rss_off_modes", &p->rss_off_modes) != 0) {
        fm_fail(err, FM_ERR_INPUT, path, 0, 0,
                "solver.rss_off_modes must be an array of mode values");
        goto out;
    }
    if (read_modes(cJSON_GetObjectItemCaseSensitive(s, "nf_modes"), p, err) != 0)
        goto out;
    rc = 0;
out:
    cJSON_Delete(j);
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

#define NIC_BAD(...) fm_fail(err, FM_ERR_INPUT, path, 0, 0, __VA_ARGS__)

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
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || (unsigned char)*s < 0x20)
            return 0;
    return 1;
}

static int read_rule(const cJSON *o, fm_nic_set *set, const char *path,
                     fm_error *err)
{
    const char *pat = fm_json_str(o, "pattern", NULL);
    const char *types = fm_json_str(o, "types", NULL);
    if (!clean_text(pat) || !clean_text(types))
        return NIC_BAD("every rule needs one-line \"pattern\" and \"types\" strings");
    size_t pl = strlen(pat);
    if (pl < 3 || strcmp(pat + pl - 3, "end") != 0)
        return NIC_BAD("rule pattern \"%s\" must end with \"end\"", pat);
    set->rules = fm_xrealloc(set->rules, (set->nrules + 1) * sizeof *set->rules);
    fm_nic_rule *r = &set->rules[set->nrules++];
    memset(r, 0, sizeof *r);
    r->pattern = fm_xstrdup(pat);
    r->types = fm_xstrdup(types);
    r->priority = (int)fm_json_num(o, "priority", 0);
    const char *fam = fm_json_str(o, "family", NULL);
    int v4 = strstr(pat, "ipv4") != NULL, v6 = strstr(pat, "ipv6") != NULL;
    r->family = v4 == v6 ? FM_TOEPLITZ_BOTH : v6 ? FM_TOEPLITZ_IPV6 : FM_TOEPLITZ_IPV4;
    if (fam && !strcmp(fam, "ipv4"))
        r->family = FM_TOEPLITZ_IPV4;
    else if (fam && !strcmp(fam, "ipv6"))
        r->family = FM_TOEPLITZ_IPV6;
    else if (fam && !strcmp(fam, "both"))
        r->family = FM_TOEPLITZ_BOTH;
    else if (fam)
        return NIC_BAD("rule family must be \"ipv4\", \"ipv6\" or \"both\"");
    r->l4 = fm_json_bool(o, "l4", strstr(pat, "tcp") || strstr(pat, "udp") ||
                                      strstr(pat, "sctp"));
    r->hashed = r->l4 ? set->fields : (set->fields & IP_FIELDS);
    if (r->priority < 0 || r->priority > 1000)
        return NIC_BAD("rule priority %d out of range", r->priority);
    return 0;
}

static int read_set(const cJSON *o, fm_nic_profile *nic, const char *path,
                    fm_error *err)
{
    fm_fieldset f = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "fields"))
    {
        fm_fieldset b = cJSON_IsString(it) ? fm_field_bit(it->valuestring) : 0;
        if (!b || b == FM_F_PROTO)
            return NIC_BAD("set fields must be among src_ip, dst_ip, src_port, "
                           "dst_port (proto is never hashed)");
        f |= b;
    }
    char buf[64];
    fm_fieldset_format(f, buf, sizeof buf);
    if (!(f & IP_FIELDS))
        return NIC_BAD("set {%s}: every set must hash an IP address", buf);
    if (fm_nic_find_set(nic, f) >= 0)
        return NIC_BAD("set {%s} is listed twice", buf);
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(o, "rules");
    if (!cJSON_IsArray(rules) || cJSON_GetArraySize(rules) == 0)
        return NIC_BAD("set {%s} needs a non-empty \"rules\" array", buf);
    nic->sets = fm_xrealloc(nic->sets, (nic->nsets + 1) * sizeof *nic->sets);
    fm_nic_set *s = &nic->sets[nic->nsets++];
    memset(s, 0, sizeof *s);
    s->fields = f;
    cJSON_ArrayForEach(it, rules)
    {
        if (read_rule(it, s, path, err) != 0)
            return -1;
        nic->ipv6 |= s->rules[s->nrules - 1].family != FM_TOEPLITZ_IPV4;
    }
    return 0;
}

static int read_nic_header(const cJSON *j, fm_nic_profile *nic, const char *path,
                           fm_error *err)
{
    nic->name = dup_str(j, "name", "");
    nic->description = dup_str(j, "description", "");
    double kl = fm_json_num(j, "key_len", 40), rs = fm_json_num(j, "reta_size", 128);
    double mq = fm_json_num(j, "max_queues", 128);
    if (!*nic->name)
        return NIC_BAD("NIC profile needs a \"name\"");
    if (kl < 16 || kl > FM_RSS_KEY_MAX || kl != (unsigned)kl)
        return NIC_BAD("key_len must be an integer in 16..%d", FM_RSS_KEY_MAX);
    if (rs < 2 || rs > 65536 || rs != (unsigned)rs || ((unsigned)rs & ((unsigned)rs - 1)))
        return NIC_BAD("reta_size must be a power of two in 2..65536");
    if (mq < 1 || mq > 65535 || mq != (unsigned)mq)
        return NIC_BAD("max_queues must be an integer in 1..65535");
    nic->key_len = (unsigned)kl;
    nic->reta_size = (unsigned)rs;
    nic->max_queues = (unsigned)mq;
    const char *key = fm_json_str(j, "default_key", NULL);
    if (key) {
        if (parse_hex_key(key, nic->default_key, nic->key_len) != 0)
            return NIC_BAD("default_key must be %u hex bytes", nic->key_len);
    } else {
        if (nic->key_len > sizeof fm_rss_ms_key)
            return NIC_BAD("key_len above 40 needs a \"default_key\"");
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
    cJSON *j = fm_json_parse(text, len, path, err);
    if (!j) {
        fm_nic_free(nic);
        return -1;
    }
    int rc = -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "flowmage_nic");
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(j, "sets");
    const cJSON *it;
    if (!cJSON_IsNumber(v) || v->valueint != FM_NIC_PROFILE_VERSION) {
        NIC_BAD("not a flowmage NIC profile (need \"flowmage_nic\": %d)",
                FM_NIC_PROFILE_VERSION);
        goto out;
    }
    if (read_nic_header(j, nic, path, err) != 0)
        goto out;
    if (!cJSON_IsArray(sets) || cJSON_GetArraySize(sets) == 0) {
        NIC_BAD("NIC profile needs a non-empty \"sets\" array");
        goto out;
    }
    cJSON_ArrayForEach(it, sets)
    {
        if (read_set(it, nic, path, err) != 0)
            goto out;
    }
    rc = 0;
out:
    cJSON_Delete(j);
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
