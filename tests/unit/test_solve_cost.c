/* The cost model: sharing penalty ordering and scaling, load imbalance of
 * coarse field sets, JSON overrides and their validation, and an override
 * (few destinations) changing the decision. */
#include <math.h>

#include "solve_test.h"

static void test_penalties(void)
{
    fm_cost_model m;
    fm_cost_model_default(&m);
    double pp = fm_cost_share_penalty(&m, FM_INTENSITY_PER_PACKET, 0, 16);
    double pf = fm_cost_share_penalty(&m, FM_INTENSITY_PER_FLOW, 0, 16);
    double no = fm_cost_share_penalty(&m, FM_INTENSITY_NONE, 0, 16);
    CHECK(pp > pf && pf > no && no > 0, "per-packet > per-flow > none (%g %g %g)", pp, pf, no);
    CHECK(fm_cost_share_penalty(&m, FM_INTENSITY_PER_PACKET, 1, 16) > pp,
          "pointer chasing costs more");
    CHECK(fm_cost_share_penalty(&m, FM_INTENSITY_PER_PACKET, 0, 32) > pp,
          "more cores cost more");
    CHECK(fm_cost_share_penalty(&m, FM_INTENSITY_PER_PACKET, 0, 1) == 0, "one core: free");
    CHECK(fabs(pp - 60 * 4) < 1e-9, "60 cycles x log2(16) (%g)", pp);
    m.scaling = FM_SCALE_LINEAR;
    CHECK(fabs(fm_cost_share_penalty(&m, FM_INTENSITY_PER_PACKET, 0, 16) - 60 * 15) < 1e-9,
          "linear scaling");
    fm_cost_model_free(&m);
}

static void test_imbalance(void)
{
    fm_cost_model m;
    fm_cost_model_default(&m);
    CHECK(fm_cost_imbalance_bits(3, 1) == 1, "one core: balanced");
    CHECK(fm_cost_imbalance_bits(2, 16) >= 4, "4 keys on 16 cores: at least 4x the mean");
    CHECK(fm_cost_imbalance_bits(0, 16) == 16, "one key: all on one core");
    double s = fm_cost_imbalance(&m, FM_F_SRC_IP, 16);
    double t = fm_cost_imbalance(&m, FM_F_SRC_IP | FM_F_DST_IP | FM_F_SRC_PORT, 16);
    CHECK(s > t && t >= 1, "fewer bits spread worse (%g > %g)", s, t);
    CHECK(fm_cost_imbalance(&m, FM_F_DST_PORT, 16) > s, "dst_port alone is coarse");
    fm_cost_model_free(&m);
}

static int parse_model(const char *text, fm_cost_model *m, fm_error *err)
{
    memset(err, 0, sizeof *err);
    return fm_cost_model_parse(text, strlen(text), "cm.json", m, err);
}

/* Where a field's entropy sits: by default its least significant bits
 * (addresses of one prefix, ephemeral ports); "high", "spread" and a
 * [first, last] range move it.  Summed over the field it is the entropy
 * (capped by the width or the range). */
static double sum_bits(const fm_cost_model *m, fm_fieldset f, unsigned width,
                       unsigned from, unsigned to)
{
    double s = 0;
    for (unsigned b = from; b <= to; b++)
        s += fm_cost_bit_entropy(m, f, b, width);
    return s;
}

static void test_bit_entropy(void)
{
    fm_cost_model m;
    fm_error err;
    fm_cost_model_default(&m);
    CHECK(m.entropy_at[0] == FM_ENTROPY_LOW && m.entropy_at[3] == FM_ENTROPY_LOW,
          "default: the low-order bits vary");
    CHECK(sum_bits(&m, FM_F_SRC_IP, 32, 0, 15) == 0 && sum_bits(&m, FM_F_SRC_IP, 32, 16, 31) == 16,
          "src_ip: 16 bits, all in the last 16 positions");
    CHECK(fm_cost_bit_entropy(&m, FM_F_SRC_IP, 31, 32) == 1 &&
              fm_cost_bit_entropy(&m, FM_F_SRC_IP, 15, 32) == 0,
          "one bit at the last position, none at position 15");
    CHECK(sum_bits(&m, FM_F_SRC_PORT, 16, 0, 1) == 0 && sum_bits(&m, FM_F_SRC_PORT, 16, 2, 15) == 14,
          "src_port: 14 low bits");
    m.entropy[3] = 2.5;
    CHECK(fabs(fm_cost_bit_entropy(&m, FM_F_DST_PORT, 13, 16) - 0.5) < 1e-12 &&
              fm_cost_bit_entropy(&m, FM_F_DST_PORT, 14, 16) == 1,
          "a fractional entropy: half a bit above two full ones");
    CHECK(fm_cost_bit_entropy(&m, FM_F_PROTO, 0, 8) == 0 &&
              fm_cost_bit_entropy(&m, FM_F_SRC_IP, 32, 32) == 0,
          "proto and out-of-range positions carry nothing");
    fm_cost_model_free(&m);
    const char *pos = "{\"flowmage_cost_model\": 1, \"field_entropy_bits\": {\"dst_ip\": 8},"
                      " \"field_entropy_position\": {\"src_ip\": \"high\", \"dst_ip\": [8, 23],"
                      " \"src_port\": \"spread\"}}";
    CHECK(parse_model(pos, &m, &err) == 0, "positions: %s", err.msg);
    CHECK(m.entropy_at[0] == FM_ENTROPY_HIGH && m.entropy_at[1] == FM_ENTROPY_RANGE &&
              m.entropy_at[2] == FM_ENTROPY_SPREAD && m.entropy_at[3] == FM_ENTROPY_LOW,
          "parsed");
    CHECK(sum_bits(&m, FM_F_SRC_IP, 32, 0, 15) == 16 && sum_bits(&m, FM_F_SRC_IP, 32, 16, 31) == 0,
          "high: the first 16 positions");
    CHECK(sum_bits(&m, FM_F_DST_IP, 32, 0, 7) == 0 && sum_bits(&m, FM_F_DST_IP, 32, 24, 31) == 0 &&
              fabs(fm_cost_bit_entropy(&m, FM_F_DST_IP, 8, 32) - 0.5) < 1e-12 &&
              fabs(sum_bits(&m, FM_F_DST_IP, 32, 8, 23) - 8) < 1e-9,
          "range: 8 bits over positions 8..23");
    CHECK(fabs(fm_cost_bit_entropy(&m, FM_F_SRC_PORT, 0, 16) - 14.0 / 16) < 1e-12,
          "spread: 14/16 of a bit everywhere");
    CHECK_STR(fm_entropy_at_name(m.entropy_at[1]), "range");
    fm_cost_model_free(&m);
    static const char *const bad[][2] = {
        {"{\"flowmage_cost_model\": 1, \"field_entropy_position\": {\"src_ip\": \"middle\"}}",
         "\"middle\" is not one of low, high or spread"},
        {"{\"flowmage_cost_model\": 1, \"field_entropy_position\": {\"src_port\": [4, 16]}}",
         "last < 16"},
        {"{\"flowmage_cost_model\": 1, \"field_entropy_position\": {\"src_ip\": [9, 3]}}",
         "first <= last"},
        {"{\"flowmage_cost_model\": 1, \"field_entropy_position\": {\"proto\": \"low\"}}",
         "\"proto\" is not src_ip"},
        {"{\"flowmage_cost_model\": 1, \"field_entropy_position\": {\"src_ip\": [24, 31]}}",
         "field_entropy_bits.src_ip (16) is more than the 8 bits"},
        {"{\"flowmage_cost_model\": 1, \"field_entropy_position\": [\"low\"]}",
         "expected an object, got an array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(parse_model(bad[i][0], &m, &err) != 0, "bad position %zu rejected", i);
        CHECK(strstr(err.msg, bad[i][1]) != NULL, "bad position %zu: '%s' lacks '%s'", i,
              err.msg, bad[i][1]);
    }
}

static void test_parse(void)
{
    fm_cost_model m;
    fm_error err;
    const char *ok = "{\"flowmage_cost_model\": 1, \"sharing_penalty\": {\"per-packet\": 100},"
                     " \"core_scaling\": \"linear\", \"field_entropy_bits\": {\"dst_ip\": 3},"
                     " \"device_weights\": {\"fd0\": 2.5}, \"max_combinations\": 50}";
    CHECK(parse_model(ok, &m, &err) == 0, "valid model: %s", err.msg);
    CHECK(m.share[FM_INTENSITY_PER_PACKET] == 100, "override applied");
    CHECK(m.share[FM_INTENSITY_PER_FLOW] == 12, "others keep their default");
    CHECK(m.scaling == FM_SCALE_LINEAR, "scaling");
    CHECK(m.entropy[1] == 3 && m.entropy[0] == 16, "entropy");
    CHECK(fm_cost_device_weight(&m, "fd0") == 2.5 && fm_cost_device_weight(&m, "x") == 1,
          "weights");
    CHECK(m.max_combinations == 50, "limit");
    CHECK_STR(m.source, "cm.json");
    fm_cost_model_free(&m);
    static const char *const bad[][2] = {
        {"{\"sharing_penalty\": {}}", "not a flowmage cost model"},
        {"{\"flowmage_cost_model\": 1, \"sharing\": 3}", "unknown field \"sharing\""},
        {"{\"flowmage_cost_model\": 1, \"missing_cost\": -1}",
         "the number -1 is out of range (a number in 0..1e+12)"},
        {"{\"flowmage_cost_model\": 1, \"core_scaling\": \"cubic\"}", "core_scaling"},
        {"{\"flowmage_cost_model\": 1, \"field_entropy_bits\": {\"proto\": 2}}", "proto"},
        {"{\"flowmage_cost_model\": 1, \"max_combinations\": 0}", "max_combinations"},
        {"{\"flowmage_cost_model\": 1,", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(parse_model(bad[i][0], &m, &err) != 0, "bad model %zu rejected", i);
        CHECK(strstr(err.msg, bad[i][1]) != NULL, "bad model %zu: '%s' lacks '%s'", i,
              err.msg, bad[i][1]);
        CHECK(err.kind == FM_ERR_INPUT && !strcmp(err.file, "cm.json"), "input error");
    }
}

/* Scenario (a) picks dst_ip on a tie; if the trace says there are only a
 * few destinations, hashing dst_ip cannot spread load and src_ip wins. */
static void test_override_changes_choice(void)
{
    char *attrs = st_read("tests/solve/attrs.json");
    char *cfg = st_read("tests/solve/policer.click");
    CHECK(attrs && cfg, "test inputs readable (FM_ROOT)");
    st_ctx c;
    if (attrs && cfg && st_load(&c, cfg, attrs, "mlx5") == 0) {
        fm_error err;
        fm_cost_model_free(&c.cost);
        const char *few = "{\"flowmage_cost_model\": 1, \"field_entropy_bits\": {\"dst_ip\": 2}}";
        CHECK(parse_model(few, &c.cost, &err) == 0, "model: %s", err.msg);
        if (st_run(&c, NULL) == 0) {
            CHECK_STR(st_chosen(&c, "fd"), "src_ip");
            CHECK_DECISION(&c, "src", FM_NF_SHARED_NOTHING);
            CHECK_DECISION(&c, "pol", FM_NF_SHARED);
        } else {
            CHECK(0, "solve: %s", c.err.msg);
        }
    }
    st_free(&c);
    free(attrs);
    free(cfg);
}

/* A search limit below the candidate product switches to greedy descent and
 * says so; the result is still safe. */
static void test_greedy(void)
{
    char *attrs = st_read("tests/solve/attrs.json");
    char *cfg = st_read("tests/solve/nat.click");
    st_ctx c;
    if (attrs && cfg && st_load(&c, cfg, attrs, "mlx5") == 0) {
        c.cost.max_combinations = 10;
        if (st_run(&c, NULL) == 0) {
            CHECK(!c.res.comps[0].exhaustive, "greedy");
            CHECK(c.res.nnotes >= 1 && strstr(c.res.notes[c.res.nnotes - 1], "greedy"),
                  "reported");
            CHECK_DECISION(&c, "nat", FM_NF_SHARED_NOTHING);
        } else {
            CHECK(0, "solve: %s", c.err.msg);
        }
    }
    st_free(&c);
    free(attrs);
    free(cfg);
}

int main(void)
{
    test_penalties();
    test_imbalance();
    test_parse();
    test_bit_entropy();
    test_override_changes_choice();
    test_greedy();
    return fm_t_done("test_solve_cost", "sharing penalties, imbalance, entropy positions, model overrides "
                     "and validation, override flips a decision, greedy search");
}
