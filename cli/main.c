/* flowmage — entry point and subcommand dispatch. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
    int facts; /* reads a build's facts: a heap of huge pages pays */
} commands[] = {
    {"dump", fm_cmd_dump, "print the facts the plugin stored in objects, as JSON", 1},
    {"summarize", fm_cmd_summarize, "per-NF summaries from objects, archives or binaries", 1},
    {"analyze", fm_cmd_analyze, "attributes from summaries (+ optional LLM cross-check)", 0},
    {"solve", fm_cmd_solve, "choose RSS fields and rewrite a Click configuration", 0},
    {"simulate", fm_cmd_simulate, "replay a trace through each RSS candidate", 0},
    {"check", fm_cmd_check, "compare attributes against a baseline (CI, SARIF)", 0},
    {"deploy", fm_cmd_deploy, "summarize + analyze + solve in one go", 1},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out,
            "usage: flowmage COMMAND [OPTIONS]\n\n"
            "flowmage finds the RSS configuration that keeps the most network\n"
            "functions of a chain shared-nothing, from facts a GCC plugin\n"
            "(-fplugin=flowmage) stores in the object files.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(out, "\nRun 'flowmage COMMAND --help' for a command's options.\n"
                 "Exit codes: 0 ok, 1 findings (check), 2 bad input or usage,\n"
                 "3 environment (e.g. LLM endpoint down).\n");
}

int fm_cli_report(const fm_error *err)
{
    char buf[1200];
    fm_error_format(err, buf, sizeof buf);
    fprintf(stderr, "flowmage: %s\n", buf);
    return fm_error_exit_code(err);
}

int fm_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "flowmage: %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'flowmage %s --help')\n", cmd);
    return FM_EXIT_INPUT;
}

int fm_cli_emit(const char *path, char *text, fm_error *err)
{
    int rc = 0;
    if (!strcmp(path, "-"))
        fputs(text, stdout);
    else
        rc = fm_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

char *fm_cli_default_output(const char *config)
{
    size_t n = strlen(config);
    if (n > 6 && !strcmp(config + n - 6, ".click"))
        n -= 6;
    char *s = fm_xmalloc(n + sizeof ".opt.click");
    memcpy(s, config, n);
    strcpy(s + n, ".opt.click");
    return s;
}

void fm_cli_stage(fm_stage *st, const char *path, char *text, fm_buf *out)
{
    if (!strcmp(path, "-"))
        fm_buf_puts(out, text);
    else
        fm_stage_add(st, path, text, strlen(text), FM_STAGE_SYNC);
    free(text);
}

void fm_cli_stage_solve(fm_stage *st, fm_buf *to_stdout, const fm_cli_solve *o,
                        const fm_solve_result *res, const fm_solve_output *out,
                        const fm_click_config *cfg, const char *output, char *report)
{
    if (!o->dry_run)
        fm_solve_stage(out, output, st);
    if (o->json)
        fm_cli_stage(st, o->json, report ? report : fm_solve_report_json(res, out, cfg, output),
                     to_stdout);
    else
        free(report);
    if (o->dot)
        fm_cli_stage(st, o->dot, fm_solve_dot(res), to_stdout);
}

int fm_cli_commit(fm_stage *st, fm_buf *out, fm_error *err)
{
    int rc = fm_stage_commit(st, err);
    if (rc == 0 && out->len)
        fputs(fm_buf_cstr(out), stdout);
    fm_buf_free(out);
    return rc;
}

int fm_cli_check_outputs(const char *const *paths, const int *flags, size_t n, fm_error *err)
{
    fm_stage st;
    fm_stage_init(&st);
    for (size_t i = 0; i < n; i++)
        if (paths[i] && strcmp(paths[i], "-"))
            fm_stage_add(&st, paths[i], "", 0, flags[i]);
    int rc = fm_stage_check(&st, err);
    fm_stage_free(&st);
    return rc;
}

int fm_cli_dialect(const char *cmd, const char *s, fm_dialect *d)
{
    if (!strcmp(s, "flowrules"))
        *d = FM_DIALECT_FLOWRULES;
    else if (!strcmp(s, "hashfunc"))
        *d = FM_DIALECT_HASHFUNC;
    else {
        fm_cli_usage_error(cmd, "--dialect must be flowrules or hashfunc, got '%s'", s);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return FM_EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return FM_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("flowmage %s\n", FM_VERSION);
        return FM_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(cmd, commands[i].name)) {
            if (commands[i].facts)
                fm_heap_prefer_huge_pages((size_t)256 << 20);
            return commands[i].run(argc - 1, argv + 1);
        }
    fm_buf names;
    fm_buf_init(&names);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fm_buf_printf(&names, "%s%s", i ? ", " : "", commands[i].name);
    fprintf(stderr, "flowmage: unknown command '%s' (one of %s; see 'flowmage --help')\n", cmd,
            fm_buf_cstr(&names));
    fm_buf_free(&names);
    return FM_EXIT_INPUT;
}
