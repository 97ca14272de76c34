/* Keys per input port, through to the solver: the attributes and summary
 * formats (keys_by_port with entry lists, flow codes; summaries version 2,
 * version 1 still read), which device reaches which input port through the
 * Click graph, the two-port chain of tests/solve/twoport.click (inside hashes
 * dst_ip, outside src_ip: the rate monitor and the NAT shared-nothing),
 * checked bit by bit with the naive Toeplitz reference (one remote address,
 * one core, from either side), and the cases that must stay shared. */
#include "naive_rss.h"
#include "solve_test.h"
#include "flowmage/summary.h"

static char *attrs;

/* ---- formats ---- */

static const char *const port_attrs =
    "{\"flowmage_attrs\": 1, \"elements\": [{\"name\": \"Mon\", \"role\": \"nf\", "
    "\"stateful\": true, \"key\": {\"kind\": \"fields\", \"fields\": []}, "
    "\"flow_code\": \"#/#\", \"keys_by_port\": ["
    "{\"port\": 1, \"fields\": [\"dst_ip\"], \"entry\": [\"dst_ip\"]},"
    "{\"port\": 0, \"kind\": \"fields\", \"fields\": [\"src_ip\", \"proto\"], "
    "\"other\": [\"vlan\"], \"symmetric\": true, \"entry\": [\"src_ip\"]},"
    "{\"port\": 3, \"kind\": \"none\"}], \"intensity\": \"per-packet\"}]}";

static void test_attrs_format(void)
{
    fm_attrs a;
    fm_error err;
    CHECK(fm_attrs_parse(port_attrs, strlen(port_attrs), "a.json", &a, &err) == 0, "%s",
          err.msg);
    const fm_elem_attrs *e = fm_attrs_find(&a, "Mon");
    CHECK(e && e->nports == 3, "three ports");
    if (e && e->nports == 3) {
        CHECK_INT(e->ports[0].port, 0); /* sorted by port */
        CHECK_INT(e->ports[0].fields, FM_F_SRC_IP | FM_F_PROTO);
        CHECK(e->ports[0].symmetric && fm_strset_has(&e->ports[0].other, "vlan"), "port 0");
        CHECK_INT(e->ports[0].nentry, 1);
        CHECK_INT(e->ports[0].entry[0], FM_F_SRC_IP);
        CHECK_INT(e->ports[1].kind, FM_KEY_FIELDS); /* default kind */
        CHECK_INT(e->ports[1].entry[0], FM_F_DST_IP);
        CHECK_INT(e->ports[2].kind, FM_KEY_NONE);
        CHECK(fm_elem_port_key(e, 1) == &e->ports[1] && !fm_elem_port_key(e, 2), "lookup");
        CHECK_STR(e->flow_code, "#/#");
    }
    /* written and read back: the same */
    char *j = fm_attrs_to_json(&a);
    CHECK(strstr(j, "\"keys_by_port\"") && strstr(j, "\"entry\": [\"dst_ip\"]") &&
              strstr(j, "\"flow_code\": \"#/#\""), "written: %s", j);
    fm_attrs b;
    CHECK(fm_attrs_parse(j, strlen(j), "b.json", &b, &err) == 0, "%s", err.msg);
    char *j2 = fm_attrs_to_json(&b);
    CHECK_STR(j2, j);
    free(j);
    free(j2);
    fm_attrs_free(&b);
    fm_attrs_free(&a);

    /* what is refused, naming the element */
    static const struct {
        const char *from, *to, *msg;
    } bad[] = {
        {"\"entry\": [\"dst_ip\"]}", "\"entry\": [\"src_ip\"]}", "outside the port's fields"},
        {"{\"port\": 3, \"kind\": \"none\"}", "{\"port\": 1, \"kind\": \"none\"}",
         "lists port 1 twice"},
        {"{\"port\": 3,", "{\"port\": -1,", "out of range (an integer in 0..1023)"},
        {"\"#/#\"", "\"#/\"", "flow_code: must be a Click flow code"},
        {"\"entry\": [\"dst_ip\"]}", "\"entry\": [\"dst_ip\", \"dst_ip\"]}", "twice"},
        {"{\"port\": 3, \"kind\": \"none\"}", "{\"port\": 3, \"kind\": \"none\", "
         "\"entry\": []}, {\"port\": 4, \"kind\": \"bogus\"}", "\"bogus\" is not one of"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *t = st_replace(port_attrs, bad[i].from, bad[i].to);
        memset(&err, 0, sizeof err);
        int rc = fm_attrs_parse(t, strlen(t), "bad.json", &a, &err);
        CHECK(rc != 0 && strstr(err.msg, bad[i].msg) && strstr(err.msg, "\"Mon\""),
              "case %zu: %s", i, err.msg);
        if (rc == 0)
            fm_attrs_free(&a);
        free(t);
    }
}

static void test_summary_format(void)
{
    const char *v1 = "{\"flowmage_summary\": 1, \"name\": \"Old\", \"role\": \"nf\", "
                     "\"stateful\": true, \"key\": {\"kind\": \"fields\", \"fields\": "
                     "[\"src_ip\"]}, \"intensity\": \"per-flow\"}";
    fm_summary s;
    fm_error err;
    CHECK(fm_summary_parse(v1, strlen(v1), "Old.json", &s, &err) == 0, "version 1 read: %s",
          err.msg);
    CHECK_INT(s.a.nports, 0);
    /* the analysis fills keys per port through fm_elem_port_key_add */
    fm_port_key *k = fm_elem_port_key_add(&s.a, 1);
    k->fields = FM_F_DST_IP;
    k->entry[k->nentry++] = FM_F_DST_IP;
    k = fm_elem_port_key_add(&s.a, 0);
    k->fields = FM_F_SRC_IP;
    k->entry[k->nentry++] = FM_F_SRC_IP;
    CHECK(fm_elem_port_key_add(&s.a, 1) == &s.a.ports[1], "add finds the existing one");
    s.a.flow_code = fm_xstrdup("#/#");
    char *j = fm_summary_to_json(&s);
    CHECK(strstr(j, "\"flowmage_summary\": 2") != NULL, "written as version 2");
    fm_summary t;
    CHECK(fm_summary_parse(j, strlen(j), "New.json", &t, &err) == 0, "%s", err.msg);
    CHECK(t.a.nports == 2 && t.a.ports[0].port == 0 && t.a.ports[1].fields == FM_F_DST_IP,
          "keys per port read back");
    CHECK_STR(t.a.flow_code, "#/#");
    /* static attributes carry them */
    fm_summary_set set = {0};
    set.v = &t;
    set.n = 1;
    fm_attrs at;
    fm_summary_set_to_attrs(&set, &at);
    CHECK(at.n == 1 && at.elems[0].nports == 2 && at.elems[0].ports[1].entry[0] == FM_F_DST_IP,
          "fm_summary_set_to_attrs copies keys_by_port");
    CHECK(at.n == 1 && at.elems[0].flow_code && !strcmp(at.elems[0].flow_code, "#/#"),
          "and the flow code");
    fm_attrs_free(&at);
    const char *v3 = "{\"flowmage_summary\": 3, \"name\": \"Future\"}";
    fm_summary u;
    CHECK(fm_summary_parse(v3, strlen(v3), "F.json", &u, &err) != 0 &&
              strstr(err.msg, "version 3 is not supported (this flowmage reads 1 to 2)"),
          "a newer version is refused: %s", err.msg);
    free(j);
    fm_summary_free(&t);
    fm_summary_free(&s);
}

static void test_flow_codes(void)
{
    CHECK(fm_flow_code_reaches("#/#", 1, 1) && !fm_flow_code_reaches("#/#", 0, 1), "#/#");
    CHECK(fm_flow_code_reaches("x/x", 0, 3) && fm_flow_code_reaches(NULL, 2, 0), "x/x, none");
    CHECK(!fm_flow_code_reaches("x/y", 0, 0), "x/y: nothing passes");
    CHECK(fm_flow_code_reaches("xy/x", 0, 0) && !fm_flow_code_reaches("xy/x", 1, 0) &&
              !fm_flow_code_reaches("xy/x", 1, 2), "xy/x: the last code repeats");
    CHECK(!fm_flow_code_reaches("#/[^#]", 2, 2) && fm_flow_code_reaches("#/[^#]", 2, 0),
          "EtherSwitch: every other port");
    CHECK(fm_flow_code_reaches("[ab]/b", 0, 5) && !fm_flow_code_reaches("[ab]/c", 0, 0),
          "bracketed sets");
    CHECK(fm_flow_code_check("#/[^#]") == 0 && fm_flow_code_check("x") != 0 &&
              fm_flow_code_check("x/y/z") != 0 && fm_flow_code_check("x/[ab") != 0 &&
              fm_flow_code_check("x/1") != 0, "syntax");
    CHECK(fm_flow_code_reaches("garbage", 0, 1), "invalid: every input reaches every output");
}

/* ---- the two-port chain ---- */

static const fm_solve_port *port_of(const fm_solve_nf *nf, int port)
{
    for (size_t i = 0; i < nf->nports; i++)
        if (nf->ports[i].port == port)
            return &nf->ports[i];
    return NULL;
}

/* Which device reaches which input port (the monitor passes input i to
 * output i: flow code "#/#"). */
static void check_arrivals(st_ctx *c)
{
    fm_solve_nf *mon = st_nf(c, "mon"), *nat = st_nf(c, "nat");
    int in = (int)(st_dev(c, "inside") - c->res.devices);
    if (!mon || !nat)
        return;
    CHECK(mon->by_port && nat->by_port, "decided per port");
    CHECK_INT(mon->narrivals, 2);
    CHECK_INT(nat->narrivals, 2);
    for (size_t i = 0; i < nat->narrivals; i++) {
        int p = nat->ports[nat->arrivals[i].port].port;
        CHECK(p == (nat->arrivals[i].device == in ? 0 : 1), "nat: inside on input 0, "
              "outside on input 1 (device %d on %d)", nat->arrivals[i].device, p);
        p = mon->ports[mon->arrivals[i].port].port;
        CHECK(p == (mon->arrivals[i].device == in ? 1 : 0), "mon: inside on input 1");
    }
    const fm_solve_port *p1 = port_of(mon, 1);
    CHECK(p1 && p1->listed && p1->key == FM_F_DST_IP, "mon input 1 keyed by dst_ip");
}

/* Core of a packet under a device's chosen setting, by the naive reference:
 * bit-by-bit Toeplitz over the hand-built input, RETA round robin. */
static unsigned naive_core(const st_ctx *c, const fm_solve_device *d,
                           const fm_flow_tuple *t)
{
    const fm_rss_choice *ch = fm_solve_chosen(d);
    uint8_t in[FM_RSS_INPUT_MAX];
    size_t n = naive_input(t, ch->fields, in);
    uint32_t h = naive_toeplitz(t->ipv6 ? ch->key6 : ch->key4, c->nic.key_len, in, n);
    return (h & (c->nic.reta_size - 1)) % d->queues;
}

static uint64_t rng = 88172645463325252ull;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static void random_tuple(fm_flow_tuple *t, int ipv6)
{
    memset(t, 0, sizeof *t);
    t->ipv6 = ipv6;
    for (int i = 0; i < 16; i++) {
        t->src[i] = (uint8_t)next_rand();
        t->dst[i] = (uint8_t)next_rand();
    }
    if (!ipv6)
        memset(t->src + 4, 0, 12), memset(t->dst + 4, 0, 12);
    t->proto = next_rand() % 3 ? 6 : 17;
    t->sport = (uint16_t)next_rand();
    t->dport = (uint16_t)next_rand();
}

/* A flow leaves inside towards remote host X; its reply (translated by the
 * NAT: new source address and port inside) comes back on outside from X.
 * Both must land on one core, which also serves the monitor's entry X. */
static void check_toeplitz(st_ctx *c)
{
    const fm_solve_device *in = st_dev(c, "inside"), *out = st_dev(c, "outside");
    if (!in || !out)
        return;
    int same = 0, spread[64] = {0};
    for (int i = 0; i < 4000; i++) {
        fm_flow_tuple fwd, reply;
        random_tuple(&fwd, i % 4 == 3);
        random_tuple(&reply, fwd.ipv6);
        reply.proto = fwd.proto;
        memcpy(reply.src, fwd.dst, 16); /* the remote end, unchanged */
        reply.sport = fwd.dport;
        unsigned a = naive_core(c, in, &fwd), b = naive_core(c, out, &reply);
        same += a == b;
        if (a < 64)
            spread[a]++;
    }
    CHECK_INT(same, 4000);
    int used = 0;
    for (int q = 0; q < 64; q++)
        used += spread[q] > 0;
    CHECK_INT(used, (int)in->queues); /* and they spread */
}

static void test_two_ports(void)
{
    st_ctx c;
    char *cfg = st_config("twoport.click");
    if (st_solve(&c, cfg, attrs, "mlx5", NULL) == 0) {
        CHECK_STR(st_chosen(&c, "inside"), "dst_ip");
        CHECK_STR(st_chosen(&c, "outside"), "src_ip");
        CHECK_DECISION(&c, "mon", SN);
        CHECK_DECISION(&c, "nat", SN);
        fm_solve_nf *mon = st_nf(&c, "mon");
        CHECK(mon && strstr(mon->why, "inside hashes dst_ip, in its key on input 1 (dst_ip)"),
              "why: %s", mon ? mon->why : "");
        check_arrivals(&c);
        check_toeplitz(&c);
        CHECK(fm_solve_check_invariant(&c.res, &c.err) == 0, "invariant: %s", c.err.msg);
        char *ex = fm_solve_explain(&c.res, NULL);
        CHECK(strstr(ex, "RateMonitorLike  [0] src_ip [1] dst_ip") != NULL,
              "--explain shows the key per input port: %s", ex);
        free(ex);
        /* the independent check catches a device that hashes the wrong side */
        fm_solve_device *out = st_dev(&c, "outside");
        int keep = out->chosen;
        for (size_t i = 0; i < out->ncands; i++)
            if (!out->cands[i].none && out->cands[i].fields == FM_F_DST_IP)
                out->chosen = (int)i;
        CHECK(out->chosen != keep, "a dst_ip candidate");
        memset(&c.err, 0, sizeof c.err);
        CHECK(fm_solve_check_invariant(&c.res, &c.err) != 0 &&
                  strstr(c.err.msg, "safety invariant violated: mon"), "caught: %s",
              c.err.msg);
        out->chosen = keep;
    }
    st_free(&c);
    free(cfg);
}

/* No combination the search evaluated makes NF `name` shared-nothing. */
static int never_shared_nothing(st_ctx *c, const char *name)
{
    fm_solve_nf *nf = st_nf(c, name);
    if (!nf)
        return 0;
    int k = (int)(nf - c->res.nfs);
    for (size_t ci = 0; ci < c->res.ncomps; ci++) {
        const fm_solve_component *comp = &c->res.comps[ci];
        for (size_t j = 0; j < comp->nnfs; j++)
            for (size_t x = 0; comp->nfs[j] == k && x < comp->ncombos; x++)
                if (comp->combos[x].sn[j])
                    return 0;
    }
    return 1;
}

/* What must stay shared: threads that differ, no entry lists, one device
 * reaching both inputs of the monitor, a port whose key is unknown. */
static void test_two_ports_shared(void)
{
    char *cfg = st_config("twoport.click");
    st_ctx c;
    /* outside without THREADOFFSET: queue q of the two ports, two threads */
    char *c1 = st_replace(cfg, "MAXTHREADS 4, THREADOFFSET 0);\nmon", "MAXTHREADS 4);\nmon");
    if (st_solve(&c, c1, attrs, "mlx5", NULL) == 0) {
        CHECK_DECISION(&c, "mon", SH);
        CHECK_DECISION(&c, "nat", SH);
        CHECK_INT(never_shared_nothing(&c, "mon"), 1);
        CHECK_INT(never_shared_nothing(&c, "nat"), 1);
    }
    st_free(&c);
    /* no entry lists: nothing says which field of one port is which of the other */
    char *a1 = st_replace(attrs, "\"fields\": [\"src_ip\"], \"entry\": [\"src_ip\"]}",
                       "\"fields\": [\"src_ip\"]}");
    if (st_solve(&c, cfg, a1, "mlx5", NULL) == 0) {
        CHECK_DECISION(&c, "mon", SH);
        CHECK_INT(never_shared_nothing(&c, "mon"), 1);
        CHECK_DECISION(&c, "nat", SN); /* the NAT's entries still match */
    }
    st_free(&c);
    /* a NAT whose reply input says nothing of how its fields relate to the
     * inside flow's (they are translated): its element key, proto, is all
     * that holds on both inputs, and no hashing keeps it shared-nothing */
    char *a2 = st_replace(attrs, ",\n        \"entry\": [\"src_ip\", \"src_port\", \"proto\"]", "");
    if (st_solve(&c, cfg, a2, "mlx5", NULL) == 0) {
        CHECK_DECISION(&c, "nat", SH);
        CHECK_INT(never_shared_nothing(&c, "nat"), 1);
    }
    st_free(&c);
    /* one device into both inputs of the monitor: src_ip on one, dst_ip on
     * the other name one entry, which no field set sends to one core */
    const char *one = "fd :: FromDPDKDevice(0, N_QUEUES 4);\n"
                      "fd -> c :: Classifier(12/0800, -);\n"
                      "c[0] -> [0]mon :: RateMonitorLike; c[1] -> [1]mon;\n"
                      "mon[0] -> Discard; mon[1] -> Discard;\n";
    if (st_solve(&c, one, attrs, "mlx5", NULL) == 0) {
        CHECK_DECISION(&c, "mon", SH);
        CHECK_INT(never_shared_nothing(&c, "mon"), 1);
        fm_solve_nf *mon = st_nf(&c, "mon");
        CHECK(mon && mon->narrivals == 2, "one device, two inputs");
    }
    st_free(&c);
    /* one input of the monitor keyed by something unknown */
    char *a3 = st_replace(attrs, "{\"port\": 1, \"kind\": \"fields\", \"fields\": [\"dst_ip\"], "
                              "\"entry\": [\"dst_ip\"]}",
                       "{\"port\": 1, \"kind\": \"unknown\"}");
    if (st_solve(&c, cfg, a3, "mlx5", NULL) == 0) {
        CHECK_DECISION(&c, "mon", SH);
        fm_solve_nf *mon = st_nf(&c, "mon");
        CHECK(mon && strstr(mon->why, "input 1, whose key is unknown"), "why: %s",
              mon ? mon->why : "");
    }
    st_free(&c);
    /* without the flow code the monitor sends input 1 to output 0 as well:
     * inside then reaches both inputs of the NAT, which must stay shared */
    char *a4 = st_replace(attrs, "\"flow_code\": \"#/#\",\n     \"intensity\": \"per-packet\"",
                       "\"intensity\": \"per-packet\"");
    if (st_solve(&c, cfg, a4, "mlx5", NULL) == 0) {
        CHECK_DECISION(&c, "nat", SH);
        CHECK_INT(never_shared_nothing(&c, "nat"), 1);
        fm_solve_nf *nat = st_nf(&c, "nat");
        CHECK(nat && nat->narrivals == 4, "every device on every input (%zu)",
              nat ? nat->narrivals : 0);
    }
    st_free(&c);
    free(a1);
    free(a2);
    free(a3);
    free(a4);
    free(c1);
    free(cfg);
}

/* An NF listing keys_by_port reached through one port only: that port's key
 * decides, even when the element's own key has no hashable field. */
static void test_one_port(void)
{
    const char *one = "fd :: FromDPDKDevice(0, N_QUEUES 8);\n"
                      "fd -> [1]mon :: RateMonitorLike; mon[1] -> Discard;\n";
    st_ctx c;
    if (st_solve(&c, one, attrs, "mlx5", NULL) == 0) {
        CHECK_STR(st_chosen(&c, "fd"), "dst_ip");
        CHECK_DECISION(&c, "mon", SN);
        CHECK(fm_solve_check_invariant(&c.res, &c.err) == 0, "%s", c.err.msg);
    }
    st_free(&c);
}

int main(void)
{
    attrs = st_read("tests/solve/attrs.json");
    CHECK(attrs != NULL, "tests/solve/attrs.json (is FM_ROOT set?)");
    if (!attrs)
        return fm_t_done("test_solve_ports", "keys per input port");
    test_attrs_format();
    test_summary_format();
    test_flow_codes();
    test_two_ports();
    test_two_ports_shared();
    test_one_port();
    free(attrs);
    return fm_t_done("test_solve_ports",
                     "keys_by_port and flow codes in attributes and summaries (v1 still "
                     "read, v2 written, copied into static attributes); which device "
                     "reaches which input port; two ports: inside dst_ip, outside src_ip, "
                     "monitor and NAT shared-nothing, one core per remote address by the "
                     "naive Toeplitz reference (IPv4, IPv6); threads, missing entries, "
                     "translated fields, one device on two inputs, unknown port keys and "
                     "missing flow codes stay shared; the invariant catches a wrong side");
}
