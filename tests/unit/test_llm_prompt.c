/* The prompts of analyze, without a network: the terse facts (each key
 * field with its evidence line, nothing repeated, no JSON), the system
 * message (the same for every NF: instructions and schema live there, not
 * in the user message), and the source excerpt (only lines of per-packet
 * functions, comments stripped, never over the byte budget, never a whole
 * function when there is evidence to point at, never a file outside the
 * source root). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llm/llm_int.h"
#include "check.h"

static const char *root(void)
{
    const char *r = getenv("FM_ROOT");
    return r && *r ? r : ".";
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[800];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        CHECK(0, "cannot write %s", path);
        return;
    }
    fputs(text, f);
    fclose(f);
}

/* The excerpt part of a user message: every "fn" header and "N|" line.
 * Checks that each N| line lies inside the begin..end range of the
 * per-packet function its header names; returns the excerpt's bytes, or
 * (size_t)-1 when a line lies outside. */
static size_t excerpt_bytes(const fm_summary *s, const char *user, int *nlines)
{
    size_t bytes = 0;
    const fm_sum_func *cur = NULL;
    int bad = 0;
    *nlines = 0;
    for (const char *p = user; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
        if (!strncmp(p, "fn ", 3)) {
            cur = NULL;
            for (size_t k = 0; k < s->nfuncs && !cur; k++) {
                fm_buf nm;   /* the name as prompts show it */
                fm_buf_init(&nm);
                fm_llm_put_name(&nm, s->funcs[k].function,
                                fm_llm_func_name_len(s->funcs[k].function));
                if (!strncmp(p + 3, fm_buf_cstr(&nm), nm.len) &&
                    (p[3 + nm.len] == ' ' || p[3 + nm.len] == '\n'))
                    cur = &s->funcs[k];
                fm_buf_free(&nm);
            }
            if (!cur)
                bad++;
            bytes += len;
        } else if (p[0] >= '1' && p[0] <= '9' && strchr(p, '|') && strchr(p, '|') < p + len) {
            long n = strtol(p, NULL, 10);
            if (!cur || n < cur->begin || n > cur->end)
                bad++;
            bytes += len;
            ++*nlines;
        }
        p += len;
    }
    CHECK(bad == 0, "%d excerpt lines outside the per-packet functions", bad);
    return bad ? (size_t)-1 : bytes;
}

/* The facts part: the user message up to the first "fn" line. */
static char *facts_of(const char *user)
{
    const char *f = strstr(user, "\nfn ");
    return fm_xstrndup(user, f ? (size_t)(f - user) + 1 : strlen(user));
}

/* Policer's prompt with a source root: facts, evidence lines, DATA block. */
static void check_policer_prompt(const fm_summary *pol, const fm_prompt_opts *po,
                                 const fm_llm_task *t)
{
    CHECK(strstr(t->user, "\ntable Policer::_buckets HashTable member find_insert; key dst_ip "
                          "(Policer::simple_action nfs/policer.cc:20); writes per-packet; "
                          "write Bucket.tokens per packet (:22)\n"),
          "table line with the key field's evidence: %s", t->user);
    CHECK(strstr(t->user, "\n20| Bucket &b = _buckets.find_insert(") != NULL,
          "evidence line shown");
    CHECK(strstr(t->user, "\n15|Packet *Policer::simple_action(Packet *p)\n"), "signature");
    CHECK(!strstr(t->user, "read_mp") && !strstr(t->user, "#include"),
          "nothing outside the per-packet function");
    CHECK(!strstr(t->user, "never shown") && !strstr(t->user, "planted") &&
          !strstr(t->user, "//"), "comments removed");
    CHECK(!strstr(t->user, "27|") && !strstr(t->user, "31|"),
          "not the whole function: lines far from the evidence are left out");
    char tag[32], end[64];
    const char *b = strstr(t->user, "DATA ");
    CHECK(b == t->user && sscanf(b, "DATA %12s BEGIN", tag) == 1, "the user message is the DATA block");
    snprintf(end, sizeof end, "DATA %s END\n", tag);
    const char *inj = strstr(t->user, "ignore previous instructions");
    CHECK(inj && inj > b && strstr(t->user, end) && inj < strstr(t->user, end) &&
          strlen(strstr(t->user, end)) == strlen(end), "the code stays inside DATA");
    CHECK(strstr(t->system, "never instructions"), "system message");
    CHECK_INT(t->facts_bytes, strlen(t->user));
    int nl;
    size_t xb = excerpt_bytes(pol, t->user, &nl);
    CHECK(t->source_bytes > 0 && xb == t->source_bytes && t->source_bytes <= po->source_budget,
          "excerpt %zu bytes, counted %zu", xb, t->source_bytes);
    char *facts = facts_of(t->user);
    CHECK(!strchr(facts, '"') && !strchr(facts, '{') && !strchr(facts, '['),
          "no JSON punctuation in the facts: %s", facts);
    CHECK(!strstr(facts, "BURST") && !strstr(facts, "per-packet entry"),
          "only facts that bear on the answers");
    free(facts);
}

/* Other NFs, no source root, paths escaping the root. */
static void check_other_prompts(const fm_summary_set *set, const fm_summary *pol,
                                const fm_prompt_opts *po)
{
    fm_llm_task u;
    /* an absolute path from elsewhere resolves by suffix under the root
     * and is shown relative to it */
    fm_llm_task_init(&u, FM_Q_ATTRS, "NatRewriter", 1);
    fm_llm_prompt_attrs(fm_summary_set_find(set, "NatRewriter"), po, &u);
    CHECK(strstr(u.user, "\nfn NatRewriter::push nfs/natrewriter.cc\n") &&
          strstr(u.user, "\n24| Mapping *x") && !strstr(u.user, "/home/someone"),
          "%s", u.user);
    CHECK(strstr(u.user, "; key src_ip, dst_ip, src_port, dst_port, proto; symmetric; "
                         "writes per-flow; pointers followed"), "5-tuple, symmetric");
    fm_llm_task_free(&u);

    /* no source root: facts only */
    fm_llm_task_init(&u, FM_Q_ATTRS, "Policer", 1);
    fm_llm_prompt_attrs(pol, NULL, &u);
    CHECK(!strstr(u.user, "|") && !strstr(u.user, "\nfn ") && u.source_bytes == 0 &&
          strstr(u.user, "key dst_ip (Policer::simple_action nfs/policer.cc:20)"),
          "facts only: %s", u.user);
    fm_llm_task_free(&u);

    /* a path escaping the root is never read; plumbing outside the NF's
     * class without evidence is not shown */
    fm_summary evil = *pol;
    fm_sum_func f[2] = {{"Policer::f()", "../../../../../../../etc/passwd", 1, 3},
                        {"Framework::loop()", "nfs/policer.cc", 5, 11}};
    evil.funcs = f;
    evil.nfuncs = 2;
    fm_llm_task_init(&u, FM_Q_ATTRS, "Evil", 1);
    fm_llm_prompt_attrs(&evil, po, &u);
    CHECK(strstr(u.user, "root:") == NULL && strstr(u.user, "fn Policer::f (not found under"),
          "outside the root: not shown: %s", u.user);
    CHECK(!strstr(u.user, "Framework::loop") && !strstr(u.user, "read_mp"),
          "plumbing not shown");
    fm_llm_task_free(&u);
}

static void check_system_messages(const fm_summary_set *set, const fm_prompt_opts *po,
                                  const fm_llm_task *t)
{
    fm_llm_task u;
    /* the system message is the same for every NF and holds the questions
     * and the schema; the user message holds neither */
    for (size_t i = 0; i < set->n; i++) {
        fm_llm_task_init(&u, FM_Q_ATTRS, set->v[i].a.name, 1);
        fm_llm_prompt_attrs(&set->v[i], po, &u);
        CHECK(!strcmp(u.system, t->system) &&
                  !strcmp(u.system, fm_llm_system_message(FM_Q_ATTRS)),
              "%s: system message differs", set->v[i].a.name);
        CHECK(!strstr(u.user, "pointer_chasing") && !strstr(u.user, "key_kind"),
              "%s: no question in the user message", set->v[i].a.name);
        for (size_t k = 0; k < set->n; k++)
            CHECK(!strstr(u.system, set->v[k].a.name), "NF name %s in the system message",
                  set->v[k].a.name);
        fm_llm_task_free(&u);
    }
    CHECK(strstr(t->system, "\"key_fields\":[str]") && strstr(t->system, "pointer_chasing") &&
          strstr(t->system, "src_ip, dst_ip, src_port, dst_port, proto"), "schema in the system message");
}

static void check_compare_prompts(const fm_summary_set *set, const fm_summary *pol,
                                  const fm_prompt_opts *po, const fm_llm_task *t)
{
    /* comparisons: one system message for every pair; both NFs' costs */
    fm_llm_task c1, c2;
    fm_llm_task_init(&c1, FM_Q_COMPARE, "FlowCounter vs Policer", 1);
    fm_llm_prompt_compare(fm_summary_set_find(set, "FlowCounter"), pol, po, &c1);
    fm_llm_task_init(&c2, FM_Q_COMPARE, "IPFilter vs NatRewriter", 1);
    fm_llm_prompt_compare(fm_summary_set_find(set, "IPFilter"),
                          fm_summary_set_find(set, "NatRewriter"), po, &c2);
    CHECK(!strcmp(c1.system, c2.system) && !strcmp(c1.system, fm_llm_system_message(FM_Q_COMPARE)) &&
          strstr(c1.system, "Which NF, A or B") && strcmp(c1.system, t->system) != 0,
          "compare system message");
    CHECK(!strncmp(c1.user, "A:\nDATA ", 8) && strstr(c1.user, "\nB:\nDATA ") &&
          strstr(c1.user, "\ncost 40.0: 20 statements, 1 loops, 2 calls, 1 table ops, 1 pointer loads\n") &&
          strstr(c1.user, "\ncost 42.5: ") && c1.facts_bytes == strlen(c1.user),
          "%s", c1.user);
    fm_llm_task_free(&c1);
    fm_llm_task_free(&c2);
}

static void test_chain_prompts(void)
{
    char dir[600], src[600];
    snprintf(dir, sizeof dir, "%s/tests/analyze/chain", root());
    snprintf(src, sizeof src, "%s/tests/analyze/src", root());
    fm_summary_set set;
    fm_error err = {0};
    if (fm_summary_set_load(dir, &set, &err) != 0) {
        CHECK(0, "load %s: %s", dir, err.msg);
        return;
    }
    fm_prompt_opts po = {src, FM_LLM_DEFAULT_SOURCE_BUDGET};
    const fm_summary *pol = fm_summary_set_find(&set, "Policer");
    fm_llm_task t;
    fm_llm_task_init(&t, FM_Q_ATTRS, "Policer", 1);
    fm_llm_prompt_attrs(pol, &po, &t);
    check_policer_prompt(pol, &po, &t);
    check_other_prompts(&set, pol, &po);
    check_system_messages(&set, &po, &t);
    check_compare_prompts(&set, pol, &po, &t);
    fm_llm_task_free(&t);
    fm_summary_set_free(&set);
}

/* An NF whose key fields are read in a helper, with a long per-packet
 * function full of comments, to test the key evidence and the budget. */
static const char key_summary[] =
    "{\"flowmage_summary\": 1, \"name\": \"KeyNF\", \"class\": \"KeyNF\", \"role\": \"nf\","
    " \"file\": \"nfs/keynf.cc\", \"line\": 3, \"bases\": [\"Element\"],"
    " \"entries\": [\"KeyNF::push\"],"
    " \"per_packet_functions\": ["
    "  {\"function\": \"Framework::run(Packet*)\", \"file\": \"fw/loop.cc\", \"begin\": 1, \"end\": 4},"
    "  {\"function\": \"KeyNF::push(int, Packet*)\", \"file\": \"nfs/keynf.cc\", \"begin\": 20, \"end\": 220},"
    "  {\"function\": \"key_hash(const click_ip*)\", \"file\": \"nfs/keyhelp.cc\", \"begin\": 4, \"end\": 9}],"
    " \"stateful\": true, \"key\": {\"kind\": \"fields\", \"fields\": [\"src_ip\", \"dst_port\"]},"
    " \"intensity\": \"per-packet\","
    " \"tables\": [{\"location\": \"KeyNF::_t\", \"api\": \"HashTable\", \"persistence\": \"member\","
    "   \"ops\": [\"find_insert\"], \"key\": {\"kind\": \"fields\", \"fields\": [\"src_ip\", \"dst_port\"]},"
    "   \"writes\": \"per-packet\", \"pointer_chasing\": false, \"evidence\": ["
    "    {\"what\": \"table used\", \"function\": \"KeyNF::push(int, Packet*)\", \"file\": \"nfs/keynf.cc\", \"line\": 30},"
    "    {\"what\": \"state written\", \"function\": \"KeyNF::push(int, Packet*)\", \"file\": \"nfs/keynf.cc\", \"line\": 36}]}],"
    " \"evidence\": ["
    "  {\"what\": \"per-packet entry\", \"function\": \"KeyNF::push(int, Packet*)\", \"file\": \"nfs/keynf.cc\", \"line\": 20},"
    "  {\"what\": \"key field src_ip read\", \"function\": \"key_hash(const click_ip*)\", \"file\": \"nfs/keyhelp.cc\", \"line\": 5},"
    "  {\"what\": \"key field dst_port read\", \"function\": \"key_hash(const click_ip*)\", \"file\": \"nfs/keyhelp.cc\", \"line\": 7},"
    "  {\"what\": \"per-flow state used\", \"function\": \"KeyNF::push(int, Packet*)\", \"file\": \"nfs/keynf.cc\", \"line\": 30},"
    "  {\"what\": \"state written per packet\", \"function\": \"KeyNF::push(int, Packet*)\", \"file\": \"nfs/keynf.cc\", \"line\": 36},"
    "  {\"what\": \"key field proto read\", \"function\": \"KeyNF::push(int, Packet*)\", \"file\": \"nfs/keynf.cc\", \"line\": 26}]}";

static void make_sources(const char *dir)
{
    char d[700];
    snprintf(d, sizeof d, "%s/nfs", dir);
    mkdir(d, 0700);
    snprintf(d, sizeof d, "%s/fw", dir);
    mkdir(d, 0700);
    write_file(dir, "fw/loop.cc", "void Framework::run(Packet *p) {\n  FRAMEWORK_ONLY(p);\n}\n\n");
    write_file(dir, "nfs/keyhelp.cc",
               "// helper\n\n\n"
               "uint64_t key_hash(const click_ip *iph) {\n"             /* 4 */
               "    uint64_t k = iph->ip_src.s_addr;   // the source\n"  /* 5 */
               "    /* the port */\n"                                   /* 6 */
               "    k = k << 16 | port_of(iph);\n"                      /* 7 */
               "    return k;\n"                                        /* 8 */
               "}\n");                                                  /* 9 */
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_puts(&b, "// KeyNF: COMMENT_TEXT at the top\n");
    for (int l = 2; l < 20; l++)
        fm_buf_printf(&b, l == 10 ? "int KeyNF::configure() { CONFIGURE_ONLY(); }\n" : "\n");
    fm_buf_puts(&b, "void KeyNF::push(int port,\n");                  /* 20 */
    fm_buf_puts(&b, "                 Packet *p)\n");                 /* 21 */
    fm_buf_puts(&b, "{\n");                                           /* 22 */
    for (int l = 23; l < 220; l++) {
        if (l == 26)
            fm_buf_puts(&b, "    uint8_t proto = p->ip_header()->ip_p;\n");
        else if (l == 29)
            fm_buf_puts(&b, "    uint64_t k = key_hash(p->ip_header());\n");
        else if (l == 30)
            fm_buf_puts(&b, "    State *s = _t.find_insert(k);\n");
        else if (l == 31 || l == 32)
            fm_buf_puts(&b, l == 31 ? "    /* COMMENT_TEXT spanning\n" : "       two lines */\n");
        else if (l == 33)
            fm_buf_puts(&b, "\n");
        else if (l == 34)
            fm_buf_puts(&b, "    if (s) {   // COMMENT_TEXT after code\n");
        else if (l == 35)
            fm_buf_puts(&b, "        s->url = \"http://not-a-comment\";\n");
        else if (l == 36)
            fm_buf_puts(&b, "        s->packets++;\n");
        else if (l == 37)
            fm_buf_puts(&b, "    }\n");
        else
            fm_buf_printf(&b, "    filler_%d(p); // COMMENT_TEXT %d\n", l, l);
    }
    fm_buf_puts(&b, "}\n");                                           /* 220 */
    write_file(dir, "nfs/keynf.cc", fm_buf_cstr(&b));
    fm_buf_free(&b);
}

static void test_key_evidence_and_budget(void)
{
    char dir[] = "/tmp/fm-llm-prompt.XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    make_sources(dir);
    fm_summary s;
    fm_error err = {0};
    if (fm_summary_parse(key_summary, strlen(key_summary), "KeyNF", &s, &err) != 0) {
        CHECK(0, "parse: %s", err.msg);
        return;
    }
    fm_llm_task t;
    fm_prompt_opts po = {dir, FM_LLM_DEFAULT_SOURCE_BUDGET};
    fm_llm_task_init(&t, FM_Q_ATTRS, "KeyNF", 1);
    fm_llm_prompt_attrs(&s, &po, &t);
    /* every key field followed by the line that reads it; later evidence
     * leaves out what repeats; duplicates of a table's evidence not shown */
    CHECK(strstr(t.user, "\nNF KeyNF : Element\ntable KeyNF::_t HashTable member find_insert; "
                         "key src_ip (key_hash nfs/keyhelp.cc:5), dst_port (:7); "
                         "writes per-packet (KeyNF::push nfs/keynf.cc:36); used (:30)\n"
                         "ev key field proto read (:26)\nfn "),
          "facts: %s", t.user);
    CHECK(!strstr(t.user, "per-packet entry") && !strstr(t.user, "state written per packet"),
          "no repeated evidence");
    CHECK(strstr(t.user, "\n5| uint64_t k = iph->ip_src.s_addr;\n") &&
          strstr(t.user, "\n7| k = k << 16 | port_of(iph);\n") &&
          strstr(t.user, "\n30| State *s = _t.find_insert(k);\n") &&
          strstr(t.user, "\n36|  s->packets++;\n") &&
          strstr(t.user, "\n35|  s->url = \"http://not-a-comment\";\n") &&
          strstr(t.user, "\n29| uint64_t k = key_hash(p->ip_header());\n") &&
          strstr(t.user, "\n34| if (s) {\n") &&
          strstr(t.user, "\nfn KeyNF::push nfs/keynf.cc\n20|void KeyNF::push(int port,\n21|"),
          "evidence, context across removed comments, signature: %s", t.user);
    CHECK(!strstr(t.user, "COMMENT_TEXT") && !strstr(t.user, "CONFIGURE_ONLY") &&
          !strstr(t.user, "FRAMEWORK_ONLY") && !strstr(t.user, "Framework::run"),
          "no comments, no configure(), no plumbing");
    int nl;
    size_t xb = excerpt_bytes(&s, t.user, &nl);
    CHECK(xb == t.source_bytes && xb <= po.source_budget && nl < 20,
          "an excerpt (%d lines, %zu bytes), not the 200-line function", nl, xb);
    fm_llm_task_free(&t);

    /* the budget is an upper bound, whatever it is; the evidence goes first */
    size_t budgets[] = {0, 20, 50, 90, 120, 200, 400, 100000};
    for (size_t i = 0; i < sizeof budgets / sizeof *budgets; i++) {
        po.source_budget = budgets[i];
        fm_llm_task_init(&t, FM_Q_ATTRS, "KeyNF", 1);
        fm_llm_prompt_attrs(&s, &po, &t);
        xb = excerpt_bytes(&s, t.user, &nl);
        CHECK(xb == t.source_bytes && xb <= budgets[i],
              "budget %zu: %zu bytes (counted %zu)", budgets[i], xb, t.source_bytes);
        if (budgets[i] >= 200)
            CHECK(strstr(t.user, "\n5| ") && strstr(t.user, "\n7| ") && strstr(t.user, "\n30| "),
                  "budget %zu: the evidence lines first: %s", budgets[i], t.user);
        if (budgets[i] == 0)
            CHECK(!strstr(t.user, "\nfn "), "budget 0: no source");
        if (budgets[i] == 100000)
            CHECK(nl < 20, "budget 100000: still %d lines, not whole functions", nl);
        fm_llm_task_free(&t);
    }

    /* no state found: nothing to point at, so the NF's own code is shown
     * (up to the budget) for the model to find what the analysis missed */
    fm_summary bare = s;
    bare.ntables = 0;
    bare.a.nevidence = 0;
    po.source_budget = 300;
    fm_llm_task_init(&t, FM_Q_ATTRS, "KeyNF", 1);
    fm_llm_prompt_attrs(&bare, &po, &t);
    xb = excerpt_bytes(&bare, t.user, &nl);
    CHECK(strstr(t.user, "\ntable none\n") && xb == t.source_bytes && xb <= 300 && nl > 5 &&
          strstr(t.user, "\n23| filler_23(p);\n") && !strstr(t.user, "key_hash nfs") &&
          !strstr(t.user, "COMMENT_TEXT"), "%s", t.user);
    fm_llm_task_free(&t);
    fm_summary_free(&s);

    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

static void test_names_and_paths(void)
{
    fm_buf b;
    fm_buf_init(&b);
    const char *n = "RateEWMAX<RateEWMAXParameters<4, 10, long unsigned int, long int> >::update_time";
    fm_llm_put_name(&b, n, strlen(n));
    CHECK_STR(fm_buf_cstr(&b), "RateEWMAX<...>::update_time");
    b.len = 0;
    n = "HashedStateElement<Bucket>::_state";
    fm_llm_put_name(&b, n, strlen(n));
    CHECK_STR(fm_buf_cstr(&b), n);
    b.len = 0;
    n = "Foo::operator<<(std::ostream&)";
    fm_llm_put_name(&b, n, fm_llm_func_name_len(n));
    CHECK_STR(fm_buf_cstr(&b), "Foo::operator<<");
    b.len = 0;
    n = "Foo::operator()(Packet*)";
    fm_llm_put_name(&b, n, fm_llm_func_name_len(n));
    CHECK_STR(fm_buf_cstr(&b), "Foo::operator()");
    fm_buf_free(&b);
    char buf[4096];
    CHECK_STR(fm_llm_show_path(NULL, "../../src/elements/x.cc", buf), "src/elements/x.cc");
    char src[600];
    snprintf(src, sizeof src, "%s/tests/analyze/src", root());
    char rroot[4096];
    if (realpath(src, rroot))
        CHECK_STR(fm_llm_show_path(rroot, "/elsewhere/build/src/nfs/policer.cc", buf),
                  "nfs/policer.cc");
}

/* A summary of real code can list dozens of tables: the written ones keyed
 * by header fields come first, past four one line sums up the rest, and
 * tables only read are counted. */
static void test_many_tables(void)
{
    fm_buf j;
    fm_buf_init(&j);
    fm_buf_puts(&j, "{\"flowmage_summary\": 1, \"name\": \"Many\", \"role\": \"nf\", "
                    "\"stateful\": true, "
                    "\"key\": {\"kind\": \"unknown\"}, \"tables\": [");
    const char *kinds[] = {"unknown", "unknown", "unknown", "unknown", "fields", "unknown",
                           "unknown", "flow_manager"};
    const char *writes[] = {"per-packet", "none", "per-flow", "per-packet", "per-flow",
                            "per-packet", "none", "per-packet"};
    for (int i = 0; i < 8; i++)
        fm_buf_printf(&j, "%s{\"location\": \"Many::_t%d\", \"api\": \"array\", "
                          "\"persistence\": \"member\", \"writes\": \"%s\", "
                          "\"pointer_chasing\": %s, \"key\": {\"kind\": \"%s\"%s}}",
                      i ? ", " : "", i, writes[i], i == 5 ? "true" : "false", kinds[i],
                      i == 4 ? ", \"fields\": [\"dst_ip\"]" : "");
    fm_buf_puts(&j, "]}");
    fm_summary s;
    fm_error err = {0};
    if (fm_summary_parse(fm_buf_cstr(&j), j.len, "Many", &s, &err) != 0) {
        CHECK(0, "parse: %s", err.msg);
        fm_buf_free(&j);
        return;
    }
    fm_llm_task t;
    fm_llm_task_init(&t, FM_Q_ATTRS, "Many", 1);
    fm_llm_prompt_attrs(&s, NULL, &t);
    CHECK(strstr(t.user, "\nNF Many\n"
                         "table Many::_t4 array member; key dst_ip; writes per-flow\n"
                         "table Many::_t7 array member; key flow_manager; writes per-packet\n"
                         "table Many::_t0 array member; key unknown; writes per-packet\n"
                         "table Many::_t2 array member; key unknown; writes per-flow\n"
                         "table ... 2 more; key unknown; writes per-packet; pointers followed\n"
                         "read-only tables: 2\n"), "%s", t.user);
    fm_llm_task_free(&t);
    fm_summary_free(&s);
    fm_buf_free(&j);
}

int main(void)
{
    test_many_tables();
    test_names_and_paths();
    test_chain_prompts();
    test_key_evidence_and_budget();
    return fm_t_done("test_llm_prompt",
                     "terse facts with each key field's evidence line, one system "
                     "message for every NF with the questions and schema, excerpt "
                     "lines only from per-packet functions, comments stripped, "
                     "within the byte budget at every size, paths kept under the root, "
                     "short names and paths, many tables summed up");
}
