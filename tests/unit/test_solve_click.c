/* The Click parser: positions of declarations and arguments, keywords,
 * quoting, define/$variables, compound elements, port and element lists,
 * and syntax errors with exact line:col. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flowmage/click.h"

static int parse(const char *text, fm_click_config *c, fm_error *err)
{
    memset(err, 0, sizeof *err);
    return fm_click_parse(text, strlen(text), "t.click", c, err);
}

static int find_decl(const fm_click_config *c, const char *name)
{
    for (size_t i = 0; i < c->ndecls; i++)
        if (!strcmp(c->decls[i].name, name))
            return (int)i;
    return -1;
}

static char *slice(const fm_click_config *c, fm_click_loc l)
{
    return fm_xstrndup(c->text + l.off, l.len);
}

#define CHECK_SLICE(c, loc, want)                                              \
    do {                                                                       \
        char *s_ = slice(c, loc);                                              \
        CHECK_STR(s_, want);                                                   \
        free(s_);                                                              \
    } while (0)

static void test_positions(void)
{
    const char *text =
        "// header\n"
        "fd :: FromDPDKDevice(\n"
        "\tPORT 0, // the port\n"
        "\tN_QUEUES 4,\n"
        "\t/* c */ MODE \"rss\",\n"
        "\tX \"a,b\", Y (1, 2), Z '$q', LABEL\n"
        ");\n";
    fm_click_config c;
    fm_error err;
    CHECK(parse(text, &c, &err) == 0, "parse: %s", err.msg);
    int d = find_decl(&c, "fd");
    CHECK(d >= 0, "fd declared");
    const fm_click_decl *x = &c.decls[d];
    CHECK_INT(x->loc.line, 2);
    CHECK_INT(x->loc.col, 1);
    CHECK_SLICE(&c, x->cls_loc, "FromDPDKDevice");
    CHECK_INT(x->cls_loc.col, 7);
    CHECK_INT(x->nargs, 7);
    CHECK_STR(x->args[0].keyword, "PORT");
    CHECK_SLICE(&c, x->args[0].value, "0");
    CHECK_INT(x->args[0].text.line, 3);
    CHECK_INT(x->args[0].text.col, 2);
    CHECK_SLICE(&c, x->args[2].text, "MODE \"rss\"");
    CHECK_INT(x->args[2].text.line, 5);
    CHECK_INT(x->args[2].text.col, 10);
    CHECK_SLICE(&c, x->args[2].value, "\"rss\"");
    CHECK_INT(x->args[2].value.col, 15);
    CHECK_SLICE(&c, x->args[3].value, "\"a,b\"");   /* quoted comma: one argument */
    CHECK_SLICE(&c, x->args[4].value, "(1, 2)");    /* nested comma: one argument */
    CHECK_SLICE(&c, x->args[5].value, "'$q'");
    CHECK(x->args[6].keyword == NULL, "a lone upper-case word is positional");
    CHECK_SLICE(&c, x->args[6].text, "LABEL");
    CHECK(x->config.off == (size_t)(strchr(text, '(') - text) + 1, "config starts after '('");
    CHECK(x->config.off + x->config.len == (size_t)(strrchr(text, ')') - text),
          "config ends before ')'");
    CHECK(x->decl_end == (size_t)(strrchr(text, ')') - text) + 1, "decl_end after ')'");
    fm_click_free(&c);
}

static void test_quoting(void)
{
    char *s = fm_click_unquote("\"a\\\"b\\n\"", 8);
    CHECK_STR(s, "a\"b\n");
    free(s);
    s = fm_click_unquote("'x\\y'", 5);
    CHECK_STR(s, "x\\y");
    free(s);
    s = fm_click_unquote("pre\"fix\"", 8);
    CHECK_STR(s, "prefix");
    free(s);
    s = fm_click_quote("flow");
    CHECK_STR(s, "flow");
    free(s);
    s = fm_click_quote("/tmp/a b.rules");
    CHECK_STR(s, "\"/tmp/a b.rules\"");
    free(s);
    s = fm_click_quote("say \"hi\"");
    CHECK_STR(s, "\"say \\\"hi\\\"\"");
    free(s);
}

static const fm_click_elem *elem(const fm_click_graph *g, const char *name)
{
    int i = fm_click_graph_find(g, name);
    CHECK(i >= 0, "element %s exists", name);
    return i >= 0 ? &g->elems[i] : NULL;
}

static int has_edge(const fm_click_graph *g, const char *a, int ap, const char *b, int bp)
{
    int x = fm_click_graph_find(g, a), y = fm_click_graph_find(g, b);
    for (size_t i = 0; i < g->nedges; i++)
        if (g->edges[i].from == x && g->edges[i].to == y && g->edges[i].from_port == ap &&
            g->edges[i].to_port == bp)
            return 1;
    return 0;
}

static void test_defines(void)
{
    const char *text = "define($q 4, $t $q, $f \"x y\")\n"
                       "fd :: FromDPDKDevice(0, N_QUEUES $t, MAXTHREADS ${q}, "
                       "FLOW_RULES_FILE $f, LIT '$q');\n";
    fm_click_config c;
    fm_click_graph g;
    fm_error err;
    CHECK(parse(text, &c, &err) == 0, "parse: %s", err.msg);
    CHECK_INT(c.ndefines, 3);
    CHECK(fm_click_graph_build(&c, &g, &err) == 0, "graph: %s", err.msg);
    const fm_click_elem *e = elem(&g, "fd");
    char *v = fm_click_elem_keyword(e, "N_QUEUES");
    CHECK_STR(v, "4");
    free(v);
    v = fm_click_elem_keyword(e, "MAXTHREADS");
    CHECK_STR(v, "4");
    free(v);
    v = fm_click_elem_keyword(e, "FLOW_RULES_FILE");
    CHECK_STR(v, "x y");
    free(v);
    v = fm_click_elem_keyword(e, "LIT");
    CHECK_STR(v, "$q"); /* single quotes protect variables */
    free(v);
    v = fm_click_elem_positional(e, 0);
    CHECK_STR(v, "0");
    free(v);
    fm_click_graph_free(&g);
    fm_click_free(&c);
}

static void test_compounds(void)
{
    const char *text =
        "elementclass Pol { $rate, BURST $b |\n"
        "  input -> p :: Policer(RATE $rate, BURST $b) -> output;\n"
        "  p[1] -> [1]output }\n"
        "elementclass Two { $a | input -> A($a) -> output || $a, $b | input -> B($a, $b) -> output }\n"
        "elementclass Same Pol;\n"
        "src :: FromDump(f);\n"
        "src -> pol :: Pol(10, BURST 3) -> Discard;\n"
        "pol[1] -> d2 :: Discard;\n"
        "src -> t1 :: Two(1) -> Discard;\n"
        "src -> t2 :: Two(1, 2) -> { input -> inner :: Counter -> output } -> Discard;\n"
        "src -> s :: Same(5) -> Discard;\n";
    fm_click_config c;
    fm_click_graph g;
    fm_error err;
    CHECK(parse(text, &c, &err) == 0, "parse: %s", err.msg);
    CHECK(fm_click_graph_build(&c, &g, &err) == 0, "graph: %s", err.msg);
    const fm_click_elem *p = elem(&g, "pol/p");
    if (p) {
        CHECK_STR(p->cls, "Policer");
        CHECK_INT(p->in_compound, 1);
        char *v = fm_click_elem_keyword(p, "RATE");
        CHECK_STR(v, "10");
        free(v);
        v = fm_click_elem_keyword(p, "BURST");
        CHECK_STR(v, "3");
        free(v);
    }
    CHECK(has_edge(&g, "src", 0, "pol/p", 0), "input of compound reaches its body");
    CHECK(has_edge(&g, "pol/p", 1, "d2", 0), "p[1] -> [1]output -> d2 through port 1");
    CHECK(fm_click_graph_find(&g, "pol") < 0, "compound itself is not an element");
    const fm_click_elem *a = elem(&g, "t1/A@1"), *b = elem(&g, "t2/B@2");
    CHECK(a && b, "overloads chosen by argument count");
    CHECK(has_edge(&g, "t2/B@2", 0, "{}@5/inner", 0), "anonymous compound instantiated");
    CHECK(fm_click_graph_find(&g, "s/p") >= 0, "synonym class instantiated");
    fm_click_graph_free(&g);
    fm_click_free(&c);
}

static void test_lists_and_implicit_ports(void)
{
    const char *text =
        "elementclass Split { [0] -> c :: Classifier(-, -) [0,1] => [0,1]output }\n"
        "i :: Idle; a, b :: Discard;\n"
        "i -> s :: Split [0,1] => a, b;\n"
        "i -> x :: Counter ~> y :: Counter => [0] z :: Discard;\n";
    fm_click_config c;
    fm_click_graph g;
    fm_error err;
    CHECK(parse(text, &c, &err) == 0, "parse: %s", err.msg);
    CHECK(fm_click_graph_build(&c, &g, &err) == 0, "graph: %s", err.msg);
    CHECK(has_edge(&g, "i", 0, "s/c", 0), "[0] at start of a body is input[0]");
    CHECK(has_edge(&g, "s/c", 0, "a", 0), "[0,1] => a, b: port 0 to a");
    CHECK(has_edge(&g, "s/c", 1, "b", 0), "[0,1] => a, b: port 1 to b");
    CHECK(has_edge(&g, "x", 0, "y", 0), "context arrow read as a connection");
    CHECK(has_edge(&g, "y", 0, "z", 0), "=> read as a connection");
    CHECK_INT(g.n, 7);
    fm_click_graph_free(&g);
    fm_click_free(&c);
}

static void test_anonymous_and_comments(void)
{
    const char *text = "# 1 \"gen\"\n"
                       "FromDump(\"a)b\", /* ) */ STOP true) // x -> y\n"
                       "  -> Strip(14) -> Discard;\n"
                       "require(package \"fastclick\")\n";
    fm_click_config c;
    fm_click_graph g;
    fm_error err;
    CHECK(parse(text, &c, &err) == 0, "parse: %s", err.msg);
    CHECK_INT(c.nrequires, 1);
    CHECK(fm_click_graph_build(&c, &g, &err) == 0, "graph: %s", err.msg);
    CHECK_INT(g.n, 3);
    CHECK_INT(g.nedges, 2);
    const fm_click_elem *f = elem(&g, "FromDump@1");
    if (f) {
        CHECK_INT(f->nargs, 2);
        char *v = fm_click_elem_positional(f, 0);
        CHECK_STR(v, "a)b");
        free(v);
    }
    CHECK(has_edge(&g, "FromDump@1", 0, "Strip@2", 0), "anonymous chain");
    fm_click_graph_free(&g);
    fm_click_free(&c);
}

typedef struct bad {
    const char *text;
    long line, col;
    const char *msg; /* a substring of the message */
} bad;

static void test_errors(void)
{
    static const bad cases[] = {
        {"a :: A(1,\n  2", 1, 7, "missing ')'"},
        {"a -> ;", 1, 6, "expected an element after '->'"},
        {"x :: ;", 1, 6, "expected a class name after '::'"},
        {"a :: A;\n  /* open", 2, 3, "unterminated comment"},
        {"a :: A(\"abc)\n", 1, 8, "unterminated string"},
        {"elementclass E {\n input -> output\n", 1, 16, "missing '}'"},
        {"a :: A;\n}", 2, 1, "unexpected '}'"},
        {"a :: A;\nb :: B; a :: C;", 2, 9, "redeclaration of element 'a' (first declared at line 1, col 1)"},
        {"a :: A; a [x] -> b :: B;", 1, 12, "expected a port number"},
        {"a -> b;\nb :: B;", 2, 1, "declared after its use at line 1, col 6"},
        {"a :: A; a[0] ;", 1, 10, "output port [0] is not followed by '->'"},
        {"define(x 1)", 1, 8, "define: expected '$name value'"},
        {"input -> a :: A;", 1, 1, "only meaningful inside an elementclass"},
        {"a :: A ~x b", 1, 8, "malformed context arrow"},
        {"a :: A; [1]a -> b :: B;", 1, 9, "input port needs a connection"},
        {"a, b :: A; c :: C; a, b -> c;", 1, 20, ""},
        {"a :: A; b :: B; c :: C; d :: D; a, b -> c, d;", 1, 38, "many-to-many connections need '=>'"},
        {"elementclass E { $a, | input -> output }", 1, 22, "expected a formal parameter"},
        {"a :: A [0,1] => b :: B, c :: C, d :: D", 1, 14, "connection mismatch: 2 outputs connected to 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fm_click_config c;
        fm_error err;
        int rc = parse(cases[i].text, &c, &err);
        if (rc == 0) {
            /* case 15 is legal: "a, b -> c" is an element list */
            CHECK(cases[i].msg[0] == 0, "case %zu should fail: %s", i, cases[i].text);
            fm_click_free(&c);
            continue;
        }
        CHECK(err.kind == FM_ERR_INPUT, "case %zu: input error", i);
        CHECK(err.line == cases[i].line && err.col == cases[i].col,
              "case %zu (%s): at %ld:%ld, want %ld:%ld (%s)", i, cases[i].text, err.line,
              err.col, cases[i].line, cases[i].col, err.msg);
        CHECK(strstr(err.msg, cases[i].msg) != NULL, "case %zu: message '%s' lacks '%s'",
              i, err.msg, cases[i].msg);
        CHECK_STR(err.file, "t.click");
    }
}

static void test_graph_errors(void)
{
    static const bad cases[] = {
        {"elementclass E { $a | input -> output }\ni :: Idle; i -> e :: E(1, 2) -> Discard;",
         2, 17, "no definition of elementclass 'E' takes these 2 arguments"},
        {"elementclass R { input -> r :: R -> output }\nr :: R;", 1, 27,
         "instantiated more than 32 levels deep"},
        {"define($a xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,"
         "$b $a$a$a$a$a$a$a$a$a$a$a$a$a$a$a$a, $c $b$b$b$b$b$b$b$b$b$b$b$b$b$b$b$b,"
         "$d $c$c$c$c$c$c$c$c$c$c$c$c$c$c$c$c, $e $d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d)",
         1, 181, "expand to more than"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fm_click_config c;
        fm_click_graph g;
        fm_error err;
        CHECK(parse(cases[i].text, &c, &err) == 0, "case %zu parses: %s", i, err.msg);
        int rc = fm_click_graph_build(&c, &g, &err);
        CHECK(rc != 0, "case %zu: graph must fail", i);
        if (rc == 0) {
            fm_click_graph_free(&g);
        } else {
            CHECK(err.line == cases[i].line && err.col == cases[i].col,
                  "graph case %zu: at %ld:%ld, want %ld:%ld (%s)", i, err.line, err.col,
                  cases[i].line, cases[i].col, err.msg);
            CHECK(strstr(err.msg, cases[i].msg) != NULL, "graph case %zu: '%s' lacks '%s'",
                  i, err.msg, cases[i].msg);
        }
        fm_click_free(&c);
    }
}

int main(void)
{
    test_positions();
    test_quoting();
    test_defines();
    test_compounds();
    test_lists_and_implicit_ports();
    test_anonymous_and_comments();
    test_errors();
    test_graph_errors();
    return fm_t_done("test_solve_click", "Click parser: positions, keywords, quoting, "
                     "define, compounds, lists, implicit ports, error positions");
}
