/* The cost model of docs/cost-model.md: built-in constants, overrides from a
 * JSON file, and the two functions the search uses (sharing penalty, load
 * imbalance of a field set). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/schema.h"
#include "flowmage/solve.h"

void fm_cost_model_default(fm_cost_model *m)
{
    memset(m, 0, sizeof *m);
    m->source = fm_xstrdup("built-in");
    m->share[FM_INTENSITY_NONE] = 3;
    m->share[FM_INTENSITY_PER_FLOW] = 12;
    m->share[FM_INTENSITY_PER_PACKET] = 60;
    m->pointer_chasing = 0.5;
    m->global_state = 60;
    m->missing_cost = 50;
    m->default_cost = 20;
    m->scaling = FM_SCALE_LOG2;
    m->entropy[0] = 16; /* src_ip */
    m->entropy[1] = 16; /* dst_ip */
    m->entropy[2] = 14; /* src_port: ephemeral ports */
    m->entropy[3] = 6;  /* dst_port: a few services */
    m->tie_epsilon = 1e-9;
    m->max_combinations = 100000;
}

void fm_cost_model_free(fm_cost_model *m)
{
    free(m->source);
    for (size_t i = 0; i < m->nweights; i++)
        free(m->weight_names[i]);
    free(m->weight_names);
    free(m->weights);
    memset(m, 0, sizeof *m);
}

/* The format, one line per field (docs/cost-model.md).  Written by hand:
 * an unknown field is a typo and an error.  Every number is finite and in
 * its range before it is read, so the casts below are defined. */
static const char *const scaling_values[] = {"log2", "linear", "flat", NULL};
static const char *const position_values[] = {"low", "high", "spread", NULL};
static const fm_jspec penalty_spec = FM_JNUM(0, 1e12);
static const fm_jspec bits_spec = FM_JNUM(0, 128);
static const fm_jspec bit_spec = FM_JINT(0, 31);
static const fm_jspec epsilon_spec = FM_JNUM(0, 1e12);
static const fm_jspec combinations_spec = FM_JINT(1, 1e8);
static const fm_jspec scaling_spec = FM_JENUM(scaling_values);
/* "low" | "high" | "spread" | [first, last] */
static const fm_jspec position_spec = {.types = FM_J_STR | FM_J_ARR, .oneof = position_values,
                                       .items = &bit_spec};
static const fm_jfield sharing_fields[] = {
    {"none", FM_J_OPTIONAL, &penalty_spec},
    {"per-flow", FM_J_OPTIONAL, &penalty_spec},
    {"per-packet", FM_J_OPTIONAL, &penalty_spec},
    {NULL, 0, NULL}};
static const fm_jspec sharing_spec = FM_JCLOSED(sharing_fields);
static const fm_jspec entropy_spec = {.types = FM_J_OBJ, .map = 1, .items = &bits_spec,
                                      .keys = fm_hashable_names};
static const fm_jspec positions_spec = {.types = FM_J_OBJ, .map = 1, .items = &position_spec,
                                        .keys = fm_hashable_names};
static const fm_jspec weights_spec = FM_JMAP(&penalty_spec);

static const fm_jfield model_fields[] = {
    {"flowmage_cost_model", FM_J_REQUIRED, &fm_jspec_version},
    {"comment", FM_J_OPTIONAL, &fm_jspec_any},
    {"sharing_penalty", FM_J_OPTIONAL, &sharing_spec},
    {"pointer_chasing_factor", FM_J_OPTIONAL, &penalty_spec},
    {"global_state_penalty", FM_J_OPTIONAL, &penalty_spec},
    {"missing_cost", FM_J_OPTIONAL, &penalty_spec},
    {"default_cost", FM_J_OPTIONAL, &penalty_spec},
    {"core_scaling", FM_J_OPTIONAL, &scaling_spec},
    {"field_entropy_bits", FM_J_OPTIONAL, &entropy_spec},
    {"field_entropy_position", FM_J_OPTIONAL, &positions_spec},
    {"tie_epsilon", FM_J_OPTIONAL, &epsilon_spec},
    {"max_combinations", FM_J_OPTIONAL, &combinations_spec},
    {"device_weights", FM_J_OPTIONAL, &weights_spec},
    {NULL, 0, NULL}};
static const fm_jspec model_spec = FM_JCLOSED(model_fields);

/* Field index 0..3 of a hashable field name, or -1. */
static int field_index(const char *name)
{
    fm_fieldset b = fm_field_bit(name);
    if (!b || b == FM_F_PROTO)
        return -1;
    int i = 0;
    while (!(b & (1u << i)))
        i++;
    return i;
}

/* Width of a field in the IPv4 hash input, the layout the model reasons in. */
static unsigned field_width(int i)
{
    return i < 2 ? 32u : 16u;
}

static void read_num(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v)
        *out = v->valuedouble;
}

static int read_position(const fm_jdoc *d, fm_cost_model *m, fm_error *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(d->root, "field_entropy_position"))
    {
        int i = field_index(it->string);
        unsigned w = field_width(i);
        if (cJSON_IsString(it)) {
            const char *v = it->valuestring;
            m->entropy_at[i] = !strcmp(v, "low")    ? FM_ENTROPY_LOW
                               : !strcmp(v, "high") ? FM_ENTROPY_HIGH
                                                    : FM_ENTROPY_SPREAD;
            continue;
        }
        /* integers in 0..31 (bit_spec) */
        const cJSON *a = cJSON_GetArrayItem(it, 0), *b = cJSON_GetArrayItem(it, 1);
        if (cJSON_GetArraySize(it) != 2 || b->valuedouble < a->valuedouble ||
            b->valuedouble >= w)
            return fm_jdoc_fail(d, it, err, "a range is [first, last], bit positions with "
                                "0 <= first <= last < %u (0 = the most significant bit)", w);
        m->entropy_at[i] = FM_ENTROPY_RANGE;
        m->entropy_first[i] = (unsigned)a->valuedouble;
        m->entropy_last[i] = (unsigned)b->valuedouble;
    }
    return 0;
}

/* A range cannot carry more entropy than it has bits. */
static int check_ranges(const fm_jdoc *d, const fm_cost_model *m, fm_error *err)
{
    const cJSON *pos = cJSON_GetObjectItemCaseSensitive(d->root, "field_entropy_position");
    for (int i = 0; i < 4; i++) {
        unsigned len = m->entropy_last[i] - m->entropy_first[i] + 1;
        if (m->entropy_at[i] == FM_ENTROPY_RANGE && m->entropy[i] > len)
            return fm_jdoc_fail(d, cJSON_GetObjectItemCaseSensitive(pos, fm_field_name(i)),
                                err, "field_entropy_bits.%s (%g) is more than the %u bits of "
                                "field_entropy_position.%s [%u, %u]", fm_field_name(i),
                                m->entropy[i], len, fm_field_name(i), m->entropy_first[i],
                                m->entropy_last[i]);
    }
    return 0;
}

static void read_values(const cJSON *j, fm_cost_model *m)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "sharing_penalty"), *it;
    const char *names[3] = {"none", "per-flow", "per-packet"};
    for (int i = 0; i < 3; i++)
        read_num(s, names[i], &m->share[i]);
    read_num(j, "pointer_chasing_factor", &m->pointer_chasing);
    read_num(j, "global_state_penalty", &m->global_state);
    read_num(j, "missing_cost", &m->missing_cost);
    read_num(j, "default_cost", &m->default_cost);
    read_num(j, "tie_epsilon", &m->tie_epsilon);
    const cJSON *mc = cJSON_GetObjectItemCaseSensitive(j, "max_combinations");
    if (mc)
        m->max_combinations = (unsigned long)mc->valuedouble; /* an integer in 1..1e8 */
    const char *sc = fm_json_str(j, "core_scaling", "log2");
    m->scaling = !strcmp(sc, "linear") ? FM_SCALE_LINEAR
                 : !strcmp(sc, "flat") ? FM_SCALE_FLAT
                                       : FM_SCALE_LOG2;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "field_entropy_bits"))
        m->entropy[field_index(it->string)] = it->valuedouble;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "device_weights"))
    {
        m->weight_names = fm_xrealloc(m->weight_names, (m->nweights + 1) * sizeof(char *));
        m->weights = fm_xrealloc(m->weights, (m->nweights + 1) * sizeof(double));
        m->weight_names[m->nweights] = fm_xstrdup(it->string);
        m->weights[m->nweights++] = it->valuedouble;
    }
}

int fm_cost_model_parse(const char *text, size_t len, const char *path,
                        fm_cost_model *m, fm_error *err)
{
    fm_cost_model_default(m);
    free(m->source);
    m->source = fm_xstrdup(path);
    fm_jdoc d;
    if (fm_jdoc_parse(&d, text, len, path, err) != 0) {
        fm_cost_model_free(m);
        return -1;
    }
    int rc = -1;
    if (fm_jdoc_check_version(&d, "flowmage_cost_model", "cost model", FM_COST_MODEL_VERSION,
                              FM_COST_MODEL_VERSION, &model_spec, err) == 0) {
        read_values(d.root, m);
        if (read_position(&d, m, err) == 0 && check_ranges(&d, m, err) == 0)
            rc = 0;
    }
    fm_jdoc_free(&d);
    if (rc != 0)
        fm_cost_model_free(m);
    return rc;
}

int fm_cost_model_load(const char *path, fm_cost_model *m, fm_error *err)
{
    char *text;
    size_t len;
    memset(m, 0, sizeof *m);
    if (fm_read_file(path, &text, &len, err) != 0)
        return -1;
    int rc = fm_cost_model_parse(text, len, path, m, err);
    free(text);
    return rc;
}

double fm_cost_core_factor(const fm_cost_model *m, unsigned cores)
{
    if (cores <= 1)
        return 0;
    switch (m->scaling) {
    case FM_SCALE_LINEAR:
        return (double)(cores - 1);
    case FM_SCALE_FLAT:
        return 1;
    default:
        return log2((double)cores);
    }
}

double fm_cost_share_penalty(const fm_cost_model *m, fm_intensity in,
                             int pointer_chasing, unsigned cores)
{
    double p = m->share[in] * fm_cost_core_factor(m, cores);
    return pointer_chasing ? p * (1 + m->pointer_chasing) : p;
}

double fm_cost_entropy(const fm_cost_model *m, fm_fieldset fields)
{
    double bits = 0;
    for (int i = 0; i < 4; i++)
        if (fields & (1u << i))
            bits += m->entropy[i];
    return bits;
}

const char *fm_entropy_at_name(fm_entropy_at a)
{
    static const char *const names[] = {"low", "high", "spread", "range"};
    return names[a];
}

/* `e` bits on `n` positions packed from one end: 1 bit each on the first
 * floor(e), the fraction on the next, 0 after; `k` counts from that end. */
static double packed(double e, unsigned k)
{
    if (k + 1 <= e)
        return 1;
    return k < e ? e - k : 0;
}

double fm_cost_bit_entropy(const fm_cost_model *m, fm_fieldset f, unsigned bit,
                           unsigned width)
{
    int i = 0;
    while (i < 4 && f != (1u << i))
        i++;
    if (i == 4 || bit >= width)
        return 0;
    double e = m->entropy[i];
    switch (m->entropy_at[i]) {
    case FM_ENTROPY_HIGH:
        return packed(e < width ? e : width, bit);
    case FM_ENTROPY_SPREAD:
        return (e < width ? e : width) / width;
    case FM_ENTROPY_RANGE: {
        unsigned first = m->entropy_first[i], last = m->entropy_last[i];
        if (last >= width)
            last = width - 1;
        if (bit < first || bit > last || first > last)
            return 0;
        double len = last - first + 1;
        return (e < len ? e : len) / len;
    }
    default: /* FM_ENTROPY_LOW: the least significant bits vary */
        return packed(e < width ? e : width, width - 1 - bit);
    }
}

double fm_cost_imbalance(const fm_cost_model *m, fm_fieldset fields,
                         unsigned cores)
{
    return fm_cost_imbalance_bits(fm_cost_entropy(m, fields), cores);
}

/* Balls into bins: K = 2^bits equally likely keys onto n queues; the
 * busiest queue carries about 1 + sqrt(2 n ln n / K) times the mean, and at
 * least n / K times it when there are fewer keys than queues. */
double fm_cost_imbalance_bits(double bits, unsigned cores)
{
    if (cores <= 1)
        return 1;
    if (bits < 0)
        bits = 0;
    if (bits > 60)
        bits = 60;
    double keys = exp2(bits), n = cores;
    double imb = 1 + sqrt(2 * n * log(n) / keys);
    if (n / keys > imb)
        imb = n / keys;
    return imb > n ? n : imb;
}

double fm_cost_device_weight(const fm_cost_model *m, const char *device)
{
    for (size_t i = 0; i < m->nweights; i++)
        if (strcmp(m->weight_names[i], device) == 0)
            return m->weights[i];
    return 1;
}
