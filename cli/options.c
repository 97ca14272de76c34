/* The argument skeleton every command shares (cli.h): one table for the
 * options several commands take, one spelling of --help, and one precise
 * line per usage error instead of getopt's message plus a generic one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    O_CORES = FM_CLI_SHARED_CODES, O_NIC,
    /* solve's flags */
    O_DIALECT, O_RULES, O_DIR, O_COST, O_EXPLAIN, O_DOT, O_JSON, O_DRY
};

static const struct {
    unsigned group;
    struct option opt;
    const char *short_opt; /* its short form in getopt's syntax, or "" */
} shared[] = {
    {FM_CLI_OUTPUT, {"output", required_argument, 0, 'o'}, "o:"},
    {FM_CLI_QUIET, {"quiet", no_argument, 0, 'q'}, "q"},
    {FM_CLI_CORES, {"cores", required_argument, 0, O_CORES}, ""},
    {FM_CLI_NIC, {"nic", required_argument, 0, O_NIC}, ""},
    {FM_CLI_PROFILE, {"profile", required_argument, 0, 'p'}, "p:"},
    {FM_CLI_SOLVE, {"dialect", required_argument, 0, O_DIALECT}, ""},
    {FM_CLI_SOLVE, {"rules-file", required_argument, 0, O_RULES}, ""},
    {FM_CLI_SOLVE, {"directional", no_argument, 0, O_DIR}, ""},
    {FM_CLI_SOLVE, {"cost-model", required_argument, 0, O_COST}, ""},
    {FM_CLI_SOLVE, {"explain", no_argument, 0, O_EXPLAIN}, ""},
    {FM_CLI_SOLVE, {"dot", required_argument, 0, O_DOT}, ""},
    {FM_CLI_SOLVE, {"json", required_argument, 0, O_JSON}, ""},
    {FM_CLI_SOLVE, {"dry-run", no_argument, 0, O_DRY}, ""},
};
#define NSHARED (sizeof shared / sizeof shared[0])

/* getopt's tables for one command. */
typedef struct table {
    struct option longopts[FM_CLI_MAX_OPTIONS];
    char shortopts[32];
    size_t n;
} table;

static void add_option(table *t, const fm_cli_command *cmd, const struct option *o)
{
    if (t->n + 2 > FM_CLI_MAX_OPTIONS) { /* a table too small is a bug, not input */
        fprintf(stderr, "flowmage: %s: more options than FM_CLI_MAX_OPTIONS\n", cmd->name);
        abort();
    }
    t->longopts[t->n++] = *o; /* longopts[n] stays {0}: the terminator */
}

static void build_table(table *t, const fm_cli_command *cmd)
{
    memset(t, 0, sizeof *t);
    /* ':' first: a missing value comes back as ':', not as '?' */
    strcpy(t->shortopts, ":h");
    for (size_t i = 0; i < NSHARED; i++)
        if (cmd->shared & shared[i].group) {
            add_option(t, cmd, &shared[i].opt);
            strcat(t->shortopts, shared[i].short_opt);
        }
    for (const struct option *o = cmd->own; o && o->name; o++)
        add_option(t, cmd, o);
    for (size_t i = 0; (cmd->shared & FM_CLI_LLM) && i < FM_CLI_LLM_NOPTS; i++)
        add_option(t, cmd, &fm_cli_llm_options[i]);
    add_option(t, cmd, &(struct option){"help", no_argument, 0, 'h'});
    if (cmd->own_short && strlen(t->shortopts) + strlen(cmd->own_short) < sizeof t->shortopts)
        strcat(t->shortopts, cmd->own_short);
}

/* The long option the argument "--name[=value]" names, exactly or as the
 * only option it is a prefix of; NULL if none.  *len: the name's length. */
static const struct option *long_named(const table *t, const char *arg, size_t *len)
{
    const char *name = arg + 2;
    *len = strcspn(name, "=");
    const struct option *found = NULL;
    int n = 0;
    for (const struct option *o = t->longopts; o->name; o++) {
        if (strncmp(o->name, name, *len))
            continue;
        if (strlen(o->name) == *len)
            return o;
        found = o;
        n++;
    }
    return n == 1 ? found : NULL;
}

/* "--name": unknown, or a prefix of several (say which). */
static void unknown_long(const table *t, const char *cmd, const char *name, size_t len)
{
    fm_buf b;
    fm_buf_init(&b);
    for (const struct option *p = t->longopts; p->name; p++)
        if (!strncmp(p->name, name, len))
            fm_buf_printf(&b, "%s--%s", b.len ? ", " : "", p->name);
    if (b.len)
        fm_cli_usage_error(cmd, "option '--%.*s' is ambiguous: %s", (int)len, name,
                           fm_buf_cstr(&b));
    else
        fm_cli_usage_error(cmd, "unknown option '--%.*s'", (int)len, name);
    fm_buf_free(&b);
}

/* Print the usage error for getopt's '?' or ':' (code). */
static void usage_error(const table *t, const char *cmd, int argc, char **argv, int code)
{
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    int is_long = !strncmp(arg, "--", 2) && arg[2];
    size_t len = 0;
    const struct option *o = is_long ? long_named(t, arg, &len) : NULL;
    if (code == ':' && is_long)
        fm_cli_usage_error(cmd, "option '--%.*s' needs a value", (int)len, arg + 2);
    else if (code == ':')
        fm_cli_usage_error(cmd, "option '-%c' needs a value", optopt);
    else if (o && o->val == optopt && o->has_arg == no_argument)
        fm_cli_usage_error(cmd, "option '--%s' takes no value", o->name);
    else if (is_long && !o)
        unknown_long(t, cmd, arg + 2, len);
    else
        fm_cli_usage_error(cmd, "unknown option '-%c'", optopt);
}

/* Apply solve's flag c: 1 done, 0 not one of them, -1 bad value. */
static int apply_solve(const fm_cli_command *cmd, fm_cli_solve *s, int c, const char *arg)
{
    switch (c) {
    case O_DIALECT: return fm_cli_dialect(cmd->name, arg, &s->opts.dialect) == 0 ? 1 : -1;
    case O_RULES: s->opts.rules_file = arg; return 1;
    case O_DIR: s->opts.directional = 1; return 1;
    case O_COST: s->cost = arg; return 1;
    case O_EXPLAIN: s->explain = 1; return 1;
    case O_DOT: s->dot = arg; return 1;
    case O_JSON: s->json = arg; return 1;
    case O_DRY: s->dry_run = 1; return 1;
    default: return 0;
    }
}

/* Apply a shared option: 1 done, 0 not a shared one, -1 bad value. */
static int apply_shared(const fm_cli_command *cmd, fm_cli_opts *o, int c, const char *arg)
{
    double d;
    switch (c) {
    case 'o': o->output = arg; return 1;
    case 'q': o->quiet = 1; return 1;
    case 'p': o->profile = arg; return 1;
    case O_NIC: o->nic = arg; return 1;
    case O_CORES:
        if (fm_cli_number(cmd->name, FM_CLI_NUM_NEEDS, "--cores", arg, 1, cmd->max_cores, 1,
                          &d) != 0)
            return -1;
        o->cores = (unsigned)d;
        return 1;
    default:
        if (cmd->shared & FM_CLI_SOLVE)
            return apply_solve(cmd, &o->solve, c, arg);
        return 0;
    }
}

/* One option c (getopt's code, arg its value): 0 ok, else an exit code
 * or FM_CLI_HELP / FM_CLI_BAD. */
static int apply(const fm_cli_command *cmd, fm_cli_opts *o, int c, const char *arg, void *ud)
{
    if (c == 'h') {
        fputs(cmd->help, stdout);
        return FM_CLI_HELP;
    }
    int r = apply_shared(cmd, o, c, arg);
    if (r != 0)
        return r > 0 ? 0 : FM_CLI_BAD;
    if (cmd->shared & FM_CLI_LLM) {
        r = fm_cli_llm_flag(&o->llm, c, arg);
        if (r != FM_CLI_FLAG_NOT_MINE)
            return r == FM_CLI_FLAG_DONE ? 0 : FM_CLI_BAD;
    }
    return cmd->own_option ? cmd->own_option(ud, c, arg) : 0;
}

int fm_cli_parse(const fm_cli_command *cmd, int argc, char **argv, fm_cli_opts *o, void *ud)
{
    memset(o, 0, sizeof *o);
    fm_cli_llm_init(&o->llm, cmd->name, cmd->wording);
    table t;
    build_table(&t, cmd);
    optind = 0; /* glibc: start afresh, even after another argv */
    opterr = 0; /* the messages are ours */
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, t.shortopts, t.longopts, NULL)) != -1) {
        if (c == '?' || c == ':') {
            usage_error(&t, cmd->name, argc, argv, c);
            return FM_CLI_BAD;
        }
        rc = apply(cmd, o, c, optarg, ud);
    }
    return rc;
}

void fm_cli_opts_free(fm_cli_opts *o)
{
    fm_cli_llm_free(&o->llm);
}

int fm_cli_stop(int code)
{
    return code == FM_CLI_HELP ? FM_EXIT_OK : code == FM_CLI_BAD ? FM_EXIT_INPUT : code;
}
