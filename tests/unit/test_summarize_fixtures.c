/* The summarizer against the fixtures' expected attributes
 * (tests/fixtures/expected.json, reviewed by hand): every NF at -O0, -O2
 * and -O3, read from objects, from the archive and from the linked binary;
 * the plain-C NFs with the dpdk profile; cost ordering; evidence. */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "check.h"
#include "flowmage/facts.h"
#include "flowmage/profile.h"
#include "flowmage/summary.h"

static char root[2048], build[2048];

static fm_fieldset fields_of(const cJSON *a)
{
    fm_fieldset f = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a) f |= fm_field_bit(it->valuestring);
    return f;
}

static int same_strings(const cJSON *a, const fm_strset *s)
{
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        if (!fm_strset_has(s, it->valuestring))
            return 0;
        n++;
    }
    return n == s->n;
}

static const char *int_name(fm_intensity i)
{
    return fm_intensity_name(i);
}

/* keys_by_port: the ports listed, each with its kind, fields and entry;
 * none when the element lists none. */
static void check_ports(const cJSON *e, const fm_elem_attrs *a, const char *where)
{
    const char *name = fm_json_str(e, "name", "?");
    const cJSON *ports = cJSON_GetObjectItem(e, "keys_by_port");
    CHECK(a->nports == (size_t)cJSON_GetArraySize(ports), "%s: %s has %zu port keys", where,
          name, a->nports);
    const cJSON *p;
    cJSON_ArrayForEach(p, ports)
    {
        const fm_port_key *k = fm_elem_port_key(a, (int)fm_json_num(p, "port", -1));
        CHECK(k && !strcmp(fm_key_kind_name(k->kind), fm_json_str(p, "kind", "")) &&
                  k->fields == fields_of(cJSON_GetObjectItem(p, "fields")),
              "%s: %s port %d key", where, name, (int)fm_json_num(p, "port", -1));
        const cJSON *en = cJSON_GetObjectItem(p, "entry");
        CHECK(k && k->nentry == (size_t)cJSON_GetArraySize(en) &&
                  (!k->nentry || k->entry[0] == fields_of(en)),
              "%s: %s port %d entry", where, name, (int)fm_json_num(p, "port", -1));
    }
}

/* Compare one element; returns the number of mismatches. */
static int check_element(const cJSON *e, const fm_summary_set *set, const char *where)
{
    const char *name = fm_json_str(e, "name", "?");
    const fm_summary *s = fm_summary_set_find(set, name);
    CHECK(s != NULL, "%s: %s not summarized", where, name);
    if (!s)
        return 1;
    const fm_elem_attrs *a = &s->a;
    int before = fm_t_failures;
    const cJSON *k = cJSON_GetObjectItem(e, "key");
    CHECK(a->stateful == fm_json_bool(e, "stateful", -1), "%s: %s stateful %d", where, name,
          a->stateful);
    CHECK(!strcmp(fm_role_name(a->role), fm_json_str(e, "role", "")), "%s: %s role %s", where,
          name, fm_role_name(a->role));
    CHECK(!strcmp(fm_key_kind_name(a->key_kind), fm_json_str(k, "kind", "")),
          "%s: %s key kind %s", where, name, fm_key_kind_name(a->key_kind));
    char got[64], want[64];
    fm_fieldset_format(a->key_fields, got, sizeof got);
    fm_fieldset_format(fields_of(cJSON_GetObjectItem(k, "fields")), want, sizeof want);
    CHECK(!strcmp(got, want), "%s: %s key fields {%s}, want {%s}", where, name, got, want);
    CHECK(same_strings(cJSON_GetObjectItem(k, "other"), &a->key_other),
          "%s: %s other key parts differ (%zu got)", where, name, a->key_other.n);
    CHECK(a->symmetric == fm_json_bool(k, "symmetric", -1), "%s: %s symmetric %d", where, name,
          a->symmetric);
    CHECK(!strcmp(int_name(a->intensity), fm_json_str(e, "intensity", "")),
          "%s: %s intensity %s", where, name, int_name(a->intensity));
    CHECK(a->pointer_chasing == fm_json_bool(e, "pointer_chasing", -1),
          "%s: %s pointer chasing %d", where, name, a->pointer_chasing);
    CHECK(a->global_state == fm_json_bool(e, "global_state", -1), "%s: %s global state %d",
          where, name, a->global_state);
    CHECK(same_strings(cJSON_GetObjectItem(e, "keywords"), &a->keywords),
          "%s: %s keywords differ (%zu got)", where, name, a->keywords.n);
    check_ports(e, a, where);
    /* every key field comes with the place it was read */
    for (int i = 0; i < FM_NFIELDS; i++) {
        if (!(a->key_fields & (1u << i)))
            continue;
        char what[64];
        snprintf(what, sizeof what, "key field %s read", fm_field_name(i));
        int found = 0;
        for (size_t v = 0; v < a->nevidence; v++)
            if (!strcmp(a->evidence[v].what, what) && a->evidence[v].line > 0 &&
                a->evidence[v].file[0])
                found = 1;
        CHECK(found, "%s: %s has no evidence for %s", where, name, fm_field_name(i));
    }
    return fm_t_failures - before;
}

static void summarize_path(const char *path, const char *profile, fm_summary_set *set)
{
    fm_error err = {0};
    fm_profile prof;
    CHECK(fm_profile_load(profile, &prof, &err) == 0, "profile %s: %s", profile, err.msg);
    fm_program *p = fm_program_new();
    CHECK(fm_program_load(p, path, &err) == 0, "load %s: %s", path, err.msg);
    CHECK(fm_summarize(p, &prof, set, &err) == 0, "summarize %s: %s", path, err.msg);
    fm_program_free(p);
    fm_profile_free(&prof);
}

static void check_all(const cJSON *expected, const char *path, const char *label)
{
    fm_summary_set cpp, c;
    summarize_path(path, "fastclick", &cpp);
    summarize_path(path, "dpdk", &c);
    int bad = 0, n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(expected, "elements"))
    {
        const char *name = fm_json_str(e, "name", "");
        int is_c = strchr(name, '_') && !strchr(name, ':') && name[0] >= 'a' && name[0] <= 'z';
        bad += check_element(e, is_c ? &c : &cpp, label) ? 1 : 0;
        n++;
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(expected, "devices"))
    {
        const fm_summary *s = fm_summary_set_find(&cpp, fm_json_str(e, "name", ""));
        CHECK(s && s->a.role == FM_ROLE_OTHER && !s->a.stateful, "%s: device %s", label,
              fm_json_str(e, "name", ""));
        if (s)
            CHECK(same_strings(cJSON_GetObjectItem(e, "keywords"), &s->a.keywords),
                  "%s: device %s keywords", label, fm_json_str(e, "name", ""));
    }
    /* per-packet cost ranks NFs the way their code does */
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(expected, "cost_order"))
    {
        const fm_summary *hi = fm_summary_set_find(&cpp, fm_json_str(e, "costlier", ""));
        const fm_summary *lo = fm_summary_set_find(&cpp, fm_json_str(e, "cheaper", ""));
        CHECK(hi && lo && hi->a.cost > lo->a.cost, "%s: cost %s (%.1f) should exceed %s (%.1f)",
              label, fm_json_str(e, "costlier", ""), hi ? hi->a.cost : -1,
              fm_json_str(e, "cheaper", ""), lo ? lo->a.cost : -1);
    }
    printf("note %s: %d of %d NFs match expected.json\n", label, n - bad, n);
    fm_summary_set_free(&cpp);
    fm_summary_set_free(&c);
}

/* With the fixture map library's allocator named in a profile, the
 * records an allocated index selects are keyed by the map's key. */
static void check_allocator(const cJSON *expected, const char *path)
{
    char prof[4096];
    snprintf(prof, sizeof prof, "%s/tests/fixtures/dpdk-alloc.json", root);
    fm_summary_set set;
    summarize_path(path, prof, &set);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(expected, "elements"))
    {
        const cJSON *want = cJSON_GetObjectItem(e, "key_with_allocator");
        if (!want)
            continue;
        const fm_summary *s = fm_summary_set_find(&set, fm_json_str(e, "name", ""));
        char got[64], w[64];
        fm_fieldset_format(s ? s->a.key_fields : 0, got, sizeof got);
        fm_fieldset_format(fields_of(want), w, sizeof w);
        CHECK(s && s->a.key_kind == FM_KEY_FIELDS && !strcmp(got, w),
              "with the allocator named: %s key {%s}, want {%s}", fm_json_str(e, "name", ""), got,
              w);
        n++;
    }
    CHECK(n >= 2, "key_with_allocator entries: %d", n);
    fm_summary_set_free(&set);
}

int main(void)
{
    const char *r = getenv("FM_ROOT"), *b = getenv("FM_BUILD");
    if (!r || !b) {
        fprintf(stderr, "FM_ROOT and FM_BUILD must be set (run through make check)\n");
        return 2;
    }
    snprintf(root, sizeof root, "%s", r);
    snprintf(build, sizeof build, "%s", b);
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/expected.json", root);
    fm_error err = {0};
    cJSON *expected = fm_json_load(path, &err);
    CHECK(expected != NULL, "%s", err.msg);
    if (!expected)
        return fm_t_done("test_summarize_fixtures", "expected.json");
    const char *levels[] = {"O0", "O2", "O3"};
    for (int i = 0; i < 3; i++) {
        char label[64];
        snprintf(path, sizeof path, "%s/fixtures/%s", build, levels[i]);
        snprintf(label, sizeof label, "-%s objects", levels[i]);
        check_all(expected, path, label);
    }
    snprintf(path, sizeof path, "%s/fixtures/O2/libnfs.a", build);
    check_all(expected, path, "-O2 archive");
    snprintf(path, sizeof path, "%s/fixtures/O2/nfs-bin", build);
    check_all(expected, path, "-O2 linked binary");
    snprintf(path, sizeof path, "%s/fixtures/O2", build);
    check_allocator(expected, path);
    cJSON_Delete(expected);
    return fm_t_done("test_summarize_fixtures",
                     "every fixture NF's attributes at -O0/-O2/-O3, from objects, archive and "
                     "binary; C NFs with the dpdk profile; device roles; cost order; evidence");
}
