/* The cost model of docs/cost-model.md: built-in constants, overrides from a
 * JSON file, and the two functions the search uses (sharing penalty, load
 * imbalance of a field set). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
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

#define CM_BAD(...) fm_fail(err, FM_ERR_INPUT, path, 0, 0, __VA_ARGS__)

static const char *const known_keys[] = {
    "flowmage_cost_model", "comment", "sharing_penalty", "pointer_chasing_factor",
    "global_state_penalty", "missing_cost", "default_cost", "core_scaling",
    "field_entropy_bits", "field_entropy_position", "tie_epsilon", "max_combinations",
    "device_weights"};

static int check_keys(const cJSON *j, const char *path, fm_error *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, j)
    {
        int ok = 0;
        for (size_t i = 0; i < sizeof known_keys / sizeof *known_keys; i++)
            ok |= strcmp(it->string, known_keys[i]) == 0;
        if (!ok)
            return CM_BAD("unknown cost model key \"%s\"", it->string);
    }
    return 0;
}

/* Read a non-negative number if present. */
static int read_num(const cJSON *o, const char *key, double *out, const char *path,
                    fm_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || !isfinite(v->valuedouble))
        return CM_BAD("\"%s\" must be a non-negative number", key);
    *out = v->valuedouble;
    return 0;
}

static int read_sharing(const cJSON *j, fm_cost_model *m, const char *path,
                        fm_error *err)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "sharing_penalty");
    if (!s)
        return 0;
    if (!cJSON_IsObject(s))
        return CM_BAD("\"sharing_penalty\" must be an object");
    const char *names[3] = {"none", "per-flow", "per-packet"};
    for (int i = 0; i < 3; i++)
        if (read_num(s, names[i], &m->share[i], path, err) != 0)
            return -1;
    return 0;
}

static int read_entropy(const cJSON *j, fm_cost_model *m, const char *path,
                        fm_error *err)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "field_entropy_bits");
    if (!e)
        return 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, e)
    {
        fm_fieldset b = fm_field_bit(it->string);
        if (!b || b == FM_F_PROTO)
            return CM_BAD("field_entropy_bits: \"%s\" is not src_ip, dst_ip, "
                          "src_port or dst_port", it->string);
        int i = 0;
        while (!(b & (1u << i)))
            i++;
        if (read_num(e, it->string, &m->entropy[i], path, err) != 0)
            return -1;
        if (m->entropy[i] > 128)
            return CM_BAD("field_entropy_bits.%s above 128", it->string);
    }
    return 0;
}

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

static int read_position(const cJSON *j, fm_cost_model *m, const char *path,
                         fm_error *err)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "field_entropy_position");
    if (!e)
        return 0;
    if (!cJSON_IsObject(e))
        return CM_BAD("\"field_entropy_position\" must be an object");
    const cJSON *it;
    cJSON_ArrayForEach(it, e)
    {
        int i = field_index(it->string);
        if (i < 0)
            return CM_BAD("field_entropy_position: \"%s\" is not src_ip, dst_ip, "
                          "src_port or dst_port", it->string);
        unsigned w = field_width(i);
        if (cJSON_IsString(it)) {
            const char *v = it->valuestring;
            if (!strcmp(v, "low"))
                m->entropy_at[i] = FM_ENTROPY_LOW;
            else if (!strcmp(v, "high"))
                m->entropy_at[i] = FM_ENTROPY_HIGH;
            else if (!strcmp(v, "spread"))
                m->entropy_at[i] = FM_ENTROPY_SPREAD;
            else
                return CM_BAD("field_entropy_position.%s: \"%s\" is not \"low\", "
                              "\"high\", \"spread\" or [first, last]", it->string, v);
            continue;
        }
        const cJSON *a = cJSON_GetArrayItem(it, 0), *b = cJSON_GetArrayItem(it, 1);
        if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 || !cJSON_IsNumber(a) ||
            !cJSON_IsNumber(b) || a->valuedouble != (double)(int)a->valuedouble ||
            b->valuedouble != (double)(int)b->valuedouble || a->valueint < 0 ||
            b->valueint < a->valueint || (unsigned)b->valueint >= w)
            return CM_BAD("field_entropy_position.%s: a range is [first, last], bit "
                          "positions with 0 <= first <= last < %u (0 = the most "
                          "significant bit)", it->string, w);
        m->entropy_at[i] = FM_ENTROPY_RANGE;
        m->entropy_first[i] = (unsigned)a->valueint;
        m->entropy_last[i] = (unsigned)b->valueint;
    }
    return 0;
}

/* A range cannot carry more entropy than it has bits. */
static int check_ranges(const fm_cost_model *m, const char *path, fm_error *err)
{
    for (int i = 0; i < 4; i++) {
        unsigned len = m->entropy_last[i] - m->entropy_first[i] + 1;
        if (m->entropy_at[i] == FM_ENTROPY_RANGE && m->entropy[i] > len)
            return CM_BAD("field_entropy_bits.%s (%g) is more than the %u bits of "
                          "field_entropy_position.%s [%u, %u]", fm_field_name(i),
                          m->entropy[i], len, fm_field_name(i), m->entropy_first[i],
                          m->entropy_last[i]);
    }
    return 0;
}

static int read_weights(const cJSON *j, fm_cost_model *m, const char *path,
                        fm_error *err)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "device_weights");
    const cJSON *it;
    cJSON_ArrayForEach(it, w)
    {
        double v = -1;
        if (read_num(w, it->string, &v, path, err) != 0)
            return -1;
        m->weight_names = fm_xrealloc(m->weight_names, (m->nweights + 1) * sizeof(char *));
        m->weights = fm_xrealloc(m->weights, (m->nweights + 1) * sizeof(double));
        m->weight_names[m->nweights] = fm_xstrdup(it->string);
        m->weights[m->nweights++] = v;
    }
    return 0;
}

static int read_scaling(const cJSON *j, fm_cost_model *m, const char *path,
                        fm_error *err)
{
    const char *s = fm_json_str(j, "core_scaling", NULL);
    if (!s)
        return 0;
    if (!strcmp(s, "log2"))
        m->scaling = FM_SCALE_LOG2;
    else if (!strcmp(s, "linear"))
        m->scaling = FM_SCALE_LINEAR;
    else if (!strcmp(s, "flat"))
        m->scaling = FM_SCALE_FLAT;
    else
        return CM_BAD("core_scaling must be \"log2\", \"linear\" or \"flat\"");
    return 0;
}

int fm_cost_model_parse(const char *text, size_t len, const char *path,
                        fm_cost_model *m, fm_error *err)
{
    fm_cost_model_default(m);
    free(m->source);
    m->source = fm_xstrdup(path);
    cJSON *j = fm_json_parse(text, len, path, err);
    if (!j) {
        fm_cost_model_free(m);
        return -1;
    }
    int rc = -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "flowmage_cost_model");
    double maxc = (double)m->max_combinations;
    if (!cJSON_IsObject(j) || !cJSON_IsNumber(v) || v->valueint != FM_COST_MODEL_VERSION)
        CM_BAD("not a flowmage cost model (need \"flowmage_cost_model\": %d)",
               FM_COST_MODEL_VERSION);
    else if (check_keys(j, path, err) == 0 && read_sharing(j, m, path, err) == 0 &&
             read_num(j, "pointer_chasing_factor", &m->pointer_chasing, path, err) == 0 &&
             read_num(j, "global_state_penalty", &m->global_state, path, err) == 0 &&
             read_num(j, "missing_cost", &m->missing_cost, path, err) == 0 &&
             read_num(j, "default_cost", &m->default_cost, path, err) == 0 &&
             read_num(j, "tie_epsilon", &m->tie_epsilon, path, err) == 0 &&
             read_num(j, "max_combinations", &maxc, path, err) == 0 &&
             read_scaling(j, m, path, err) == 0 && read_entropy(j, m, path, err) == 0 &&
             read_position(j, m, path, err) == 0 && check_ranges(m, path, err) == 0 &&
             read_weights(j, m, path, err) == 0) {
        if (maxc < 1 || maxc > 1e8)
            CM_BAD("max_combinations must be in 1..100000000");
        else {
            m->max_combinations = (unsigned long)maxc;
            rc = 0;
        }
    }
    cJSON_Delete(j);
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
