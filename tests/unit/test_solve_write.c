/* The minimal-edit writer: exact output texts for each separator style
 * (inline, one per line with comments, trailing comma, no parentheses),
 * value replacement keeping quotes, values from $variables, idempotence,
 * rules file contents and placement, the hashfunc dialect, and refusing to
 * overwrite rules flowmage did not write. */
#include <unistd.h>

#include "solve_test.h"

static char *attrs;

typedef struct planned {
    char *config;
    size_t nedits, nfiles;
    char *rules;      /* text of the first rules file */
    char *rules_path;
    char err[1200];
} planned;

static void planned_free(planned *p)
{
    free(p->config);
    free(p->rules);
    free(p->rules_path);
    memset(p, 0, sizeof *p);
}

static int plan(const char *config, const fm_solve_options *opts, planned *out)
{
    st_ctx c;
    fm_solve_output o;
    memset(out, 0, sizeof *out);
    int rc = st_load(&c, config, attrs, "mlx5");
    if (rc == 0)
        rc = st_run(&c, opts);
    if (rc == 0)
        rc = fm_solve_plan(&c.cfg, &c.res, &c.prof, &o, &c.err);
    if (rc == 0) {
        size_t kw = 0;
        for (size_t i = 0; i < o.nedits; i++)
            kw += o.edits[i].keyword != NULL;
        out->config = fm_xstrndup(o.config, o.len);
        out->nedits = kw;
        out->nfiles = o.nfiles;
        if (o.nfiles) {
            out->rules = fm_xstrdup(o.files[0].text);
            out->rules_path = fm_xstrdup(o.files[0].path);
        }
        fm_solve_output_free(&o);
    } else {
        snprintf(out->err, sizeof out->err, "%s:%ld:%ld: %s", c.err.file, c.err.line,
                 c.err.col, c.err.msg);
    }
    st_free(&c);
    return rc;
}

static fm_solve_options opts_with(const char *rules, unsigned cores, fm_dialect d)
{
    fm_solve_options o;
    memset(&o, 0, sizeof o);
    o.output = "/tmp/t.opt.click";
    o.rules_file = rules;
    o.cores = cores;
    o.dialect = d;
    return o;
}

/* Solve `in`, expect `want`, and solving `want` again must change nothing. */
static void expect_rewrite(const char *what, const char *in, const fm_solve_options *o,
                           const char *want)
{
    planned p, q;
    CHECK(plan(in, o, &p) == 0, "%s: %s", what, p.err);
    if (p.config)
        CHECK(!strcmp(p.config, want), "%s: got\n%s\nwant\n%s", what, p.config, want);
    if (p.config && plan(p.config, o, &q) == 0) {
        CHECK(q.nedits == 0 && !strcmp(q.config, p.config), "%s: idempotent", what);
        CHECK((!p.rules && !q.rules) || (p.rules && q.rules && !strcmp(p.rules, q.rules)),
              "%s: rules file stable", what);
        planned_free(&q);
    }
    planned_free(&p);
}

static const char chain[] = "\nfd -> scan :: PortScanDetector -> Discard;\n";

static char *with_chain(const char *decl)
{
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_puts(&b, decl);
    fm_buf_puts(&b, chain);
    return (char *)fm_buf_cstr(&b);
}

static void check_styles(void)
{
    fm_solve_options o = opts_with("r.rules", 0, FM_DIALECT_FLOWRULES);
    static const char *const cases[][3] = {
        {"inline", "fd :: FromDPDKDevice(0, N_QUEUES 4);",
         "fd :: FromDPDKDevice(0, N_QUEUES 4, MODE flow, FLOW_RULES_FILE r.rules);"},
        {"tight", "fd :: FromDPDKDevice(0,N_QUEUES 4);",
         "fd :: FromDPDKDevice(0,N_QUEUES 4,MODE flow,FLOW_RULES_FILE r.rules);"},
        {"per line, comment after the last argument",
         "fd :: FromDPDKDevice(\n\tPORT 0, // port\n\tN_QUEUES 4 // four\n);",
         "fd :: FromDPDKDevice(\n\tPORT 0, // port\n\tN_QUEUES 4, // four\n"
         "\tMODE flow,\n\tFLOW_RULES_FILE r.rules\n);"},
        {"trailing comma", "fd :: FromDPDKDevice(\n    0,\n    N_QUEUES 4,\n);",
         "fd :: FromDPDKDevice(\n    0,\n    N_QUEUES 4,\n    MODE flow,\n"
         "    FLOW_RULES_FILE r.rules,\n);"},
        {"one argument on its own line", "fd :: FromDPDKDevice(\n  N_QUEUES 4\n);",
         "fd :: FromDPDKDevice(\n  N_QUEUES 4,\n  MODE flow,\n  FLOW_RULES_FILE r.rules\n);"},
        {"replace, keep quotes", "fd :: FromDPDKDevice(0, MODE \"rss\", N_QUEUES 4);",
         "fd :: FromDPDKDevice(0, MODE \"flow\", N_QUEUES 4, FLOW_RULES_FILE r.rules);"},
        {"value from a variable already right",
         "define($m flow)\nfd :: FromDPDKDevice(0, MODE $m, N_QUEUES 4);",
         "define($m flow)\nfd :: FromDPDKDevice(0, MODE $m, N_QUEUES 4, "
         "FLOW_RULES_FILE r.rules);"},
        {"value from a variable, wrong",
         "define($m rss)\nfd :: FromDPDKDevice(0, MODE $m, N_QUEUES 4);",
         "define($m rss)\nfd :: FromDPDKDevice(0, MODE flow, N_QUEUES 4, "
         "FLOW_RULES_FILE r.rules);"},
        {"comment before the last argument on its line",
         "fd :: FromDPDKDevice(\n\t0,\n\t/* q */ N_QUEUES 4\n);",
         "fd :: FromDPDKDevice(\n\t0,\n\t/* q */ N_QUEUES 4,\n\tMODE flow,\n"
         "\tFLOW_RULES_FILE r.rules\n);"},
        {"CRLF line endings", "fd :: FromDPDKDevice(\r\n  0,\r\n  N_QUEUES 4\r\n);",
         "fd :: FromDPDKDevice(\r\n  0,\r\n  N_QUEUES 4,\r\n  MODE flow,\r\n"
         "  FLOW_RULES_FILE r.rules\r\n);"},
        {"block comment spanning lines after the last argument",
         "fd :: FromDPDKDevice(\n  0,\n  N_QUEUES 4 /* a\n b */\n);",
         "fd :: FromDPDKDevice(\n  0,\n  N_QUEUES 4,\n  MODE flow,\n  FLOW_RULES_FILE "
         "r.rules /* a\n b */\n);"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *in = with_chain(cases[i][1]), *want = with_chain(cases[i][2]);
        expect_rewrite(cases[i][0], in, &o, want);
        free(in);
        free(want);
    }
    fm_solve_options four = opts_with("r.rules", 4, FM_DIALECT_FLOWRULES);
    char *in = with_chain("fd :: FromDPDKDevice;");
    char *want = with_chain("fd :: FromDPDKDevice(MODE flow, FLOW_RULES_FILE r.rules);");
    expect_rewrite("no parentheses", in, &four, want);
    free(in);
    free(want);
    in = with_chain("fd :: FromDPDKDevice();");
    want = with_chain("fd :: FromDPDKDevice(MODE flow, FLOW_RULES_FILE r.rules);");
    expect_rewrite("empty parentheses", in, &four, want);
    free(in);
    free(want);
}

static void check_multiline_file(void)
{
    char *in = st_read("tests/solve/multiline.click");
    CHECK(in != NULL, "multiline.click");
    if (!in)
        return;
    fm_solve_options o = opts_with("m.rules", 0, FM_DIALECT_FLOWRULES);
    planned p;
    CHECK(plan(in, &o, &p) == 0, "plan: %s", p.err);
    if (p.config) {
        /* every byte outside the two edits is the input's */
        const char *old1 = "MODE rss,\n\tBURST 32 // keep bursts small\n";
        const char *new1 = "MODE flow,\n\tBURST 32, // keep bursts small\n"
                           "\tFLOW_RULES_FILE m.rules\n";
        const char *a = strstr(in, old1), *b = strstr(p.config, new1);
        CHECK(a && b && a - in == b - p.config, "edit in place");
        CHECK(a && b && !memcmp(in, p.config, (size_t)(a - in)), "prefix identical");
        CHECK(a && b && !strcmp(a + strlen(old1), b + strlen(new1)), "suffix identical");
        CHECK_INT(p.nedits, 2);
        CHECK(p.rules && !strncmp(p.rules, "flow create 0 ingress pattern eth / ipv4 / end "
                                           "actions rss types ipv4 l3-src-only end queues 0 "
                                           "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 end key ", 111),
              "rules: %s", p.rules ? p.rules : "");
    }
    planned_free(&p);
    free(in);
}

static void check_rules_text(void)
{
    char *in = st_read("tests/solve/policer.click");
    fm_solve_options o = opts_with("p.rules", 0, FM_DIALECT_FLOWRULES);
    planned p;
    if (in && plan(in, &o, &p) == 0) {
        const char *key = "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c"
                          "6a42b73bbeac01fa";
        char want[1024];
        snprintf(want, sizeof want,
                 "flow create 0 ingress pattern eth / ipv4 / end actions rss types ipv4 "
                 "l3-dst-only end queues 0 1 2 3 4 5 6 7 end key %s / end\n"
                 "flow create 0 ingress pattern eth / ipv6 / end actions rss types ipv6 "
                 "l3-dst-only end queues 0 1 2 3 4 5 6 7 end key %s / end\n", key, key);
        CHECK_STR(p.rules, want);
        CHECK_STR(p.rules_path, "p.rules");
    }
    planned_free(&p);
    free(in);
}

static void check_paths(void)
{
    const char *two = "d0 :: FromDPDKDevice(0, N_QUEUES 4);\nd1 :: FromDPDKDevice(1, "
                      "N_QUEUES 4);\nd0 -> a :: SourceCounter -> Discard;\n"
                      "d1 -> b :: SourceCounter -> Discard;\n";
    fm_solve_options o = opts_with("out/{dev}-rss.rules", 0, FM_DIALECT_FLOWRULES);
    planned p;
    if (plan(two, &o, &p) == 0) {
        CHECK_INT(p.nfiles, 2);
        CHECK_STR(p.rules_path, "out/d0-rss.rules");
        CHECK(strstr(p.config, "FLOW_RULES_FILE out/d1-rss.rules") != NULL, "d1 path");
    }
    planned_free(&p);
    o = opts_with("x/all.rules", 0, FM_DIALECT_FLOWRULES);
    if (plan(two, &o, &p) == 0)
        CHECK_STR(p.rules_path, "x/all.d0.rules");
    planned_free(&p);
    o = opts_with(NULL, 0, FM_DIALECT_FLOWRULES);
    o.output = "/tmp/chain.opt.click";
    if (plan(two, &o, &p) == 0)
        CHECK_STR(p.rules_path, "/tmp/chain.opt.d0.rules");
    planned_free(&p);
    const char *existing = "fd :: FromDPDKDevice(0, N_QUEUES 4, MODE flow, "
                           "FLOW_RULES_FILE \"/tmp/fm-keep me.rules\");\n"
                           "fd -> a :: SourceCounter -> Discard;\n";
    unlink("/tmp/fm-keep me.rules");
    if (plan(existing, &o, &p) == 0) {
        CHECK_STR(p.rules_path, "/tmp/fm-keep me.rules");
        CHECK_INT(p.nedits, 0);
    }
    planned_free(&p);
}

static void check_foreign_rules(void)
{
    char path[] = "/tmp/fm-solve-foreign-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "temp file");
    if (fd < 0)
        return;
    const char *theirs = "flow create 0 ingress pattern eth / ipv4 dst is 10.0.0.1 / end "
                         "actions queue index 3 / end\n";
    CHECK(write(fd, theirs, strlen(theirs)) == (ssize_t)strlen(theirs), "write");
    close(fd);
    char cfg[512];
    snprintf(cfg, sizeof cfg, "fd :: FromDPDKDevice(0, N_QUEUES 4, FLOW_RULES_FILE %s);\n"
                              "fd -> a :: SourceCounter -> Discard;\n", path);
    fm_solve_options o = opts_with(NULL, 0, FM_DIALECT_FLOWRULES);
    planned p;
    CHECK(plan(cfg, &o, &p) != 0, "refuses to overwrite");
    CHECK(strstr(p.err, "refusing to overwrite") && strstr(p.err, path), "says so: %s",
          p.err);
    planned_free(&p);
    o.rules_file = path; /* an explicit --rules-file is the user's decision */
    CHECK(plan(cfg, &o, &p) == 0, "explicit path accepted: %s", p.err);
    planned_free(&p);
    unlink(path);
}

static void check_hashfunc(void)
{
    fm_solve_options o = opts_with(NULL, 0, FM_DIALECT_HASHFUNC);
    char *in = with_chain("fd :: FromDPDKDevice(0, N_QUEUES 4, HASHFUNC \"dst_ip\");");
    char *want = with_chain("fd :: FromDPDKDevice(0, N_QUEUES 4, HASHFUNC \"src_ip\");");
    expect_rewrite("hashfunc replace", in, &o, want);
    free(in);
    free(want);
    char *nat = st_read("tests/solve/nat.click");
    planned p;
    if (nat && plan(nat, &o, &p) == 0) {
        CHECK(strstr(p.config, "inside :: FromDPDKDevice(0, N_QUEUES 8, MAXTHREADS 8, THREADOFFSET 0, HASHFUNC \"src_ip "
                               "dst_ip src_port dst_port\", HASHKEY ") != NULL,
              "HASHFUNC and the symmetric HASHKEY: %s", p.config);
        CHECK_INT(p.nfiles, 0);
    }
    planned_free(&p);
    free(nat);
}

static void check_compound(void)
{
    char *in = st_read("tests/solve/compound.click");
    fm_solve_options o = opts_with("c.rules", 0, FM_DIALECT_FLOWRULES);
    planned p;
    if (in && plan(in, &o, &p) == 0)
        CHECK(strstr(p.config, "    dev :: FromDPDKDevice($p, N_QUEUES $q, MODE flow, "
                               "FLOW_RULES_FILE c.rules) -> output;\n") != NULL,
              "edited inside the elementclass body");
    planned_free(&p);
    free(in);
    in = st_read("tests/solve/compound-twice.click");
    if (in && plan(in, &o, &p) == 0) {
        CHECK_INT(p.nedits, 2); /* one declaration, two devices: written once */
        CHECK_INT(p.nfiles, 1);
        CHECK(strstr(p.config, "FromDPDKDevice($p, N_QUEUES 4, MODE flow, FLOW_RULES_FILE "
                               "c.Port_2_FromDPDKDevice_1.rules) -> output }") != NULL,
              "shared declaration edited once: %s", p.config);
    }
    planned_free(&p);
    free(in);
    const char *differ = "elementclass Port { $p, $q | FromDPDKDevice($p, N_QUEUES $q) "
                         "-> output }\nPort(0, 4) -> a :: SourceCounter -> Discard;\n"
                         "Port(1, 8) -> b :: SourceCounter -> Discard;\n";
    if (plan(differ, &o, &p) == 0) {
        CHECK_INT(p.nedits, 0); /* one text cannot say 4 and 8 queues */
        CHECK_INT(p.nfiles, 0);
    }
    planned_free(&p);
}

int main(void)
{
    attrs = st_read("tests/solve/attrs.json");
    CHECK(attrs != NULL, "tests/solve/attrs.json (is FM_ROOT set?)");
    if (!attrs)
        return fm_t_done("test_solve_write", "writer");
    check_styles();
    check_multiline_file();
    check_rules_text();
    check_paths();
    check_foreign_rules();
    check_hashfunc();
    check_compound();
    free(attrs);
    return fm_t_done("test_solve_write", "minimal edits in every separator style, "
                     "quotes, variables, idempotence, rules text and paths, hashfunc, "
                     "compounds, foreign rules files");
}
