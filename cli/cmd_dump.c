/* flowmage dump: print the plugin's facts as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowmage/facts.h"

static const char help[] =
"usage: flowmage dump [OPTIONS] FILE|DIR...\n"
"\n"
"Print the facts the flowmage GCC plugin stored in the .flowmage\n"
"section of object files, archives, executables, shared objects or\n"
"raw .fmg dumps (directories are searched recursively), merged into\n"
"one program (a function emitted by several units appears once).\n"
"\n"
"options:\n"
"  -f, --function TEXT  only functions (and types) whose name contains TEXT\n"
"      --no-types       leave out the type table\n"
"      --decls          include declared-only callees\n"
"      --stats          print counts instead of the facts\n"
"  -o, --output FILE    write to FILE (atomically) instead of stdout\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 ok; 2 unreadable, corrupt, truncated or future-version\n"
"input (the error names the file and byte offset), or bad usage.\n";

enum { O_TYPES = 256, O_DECLS, O_STATS };

static const struct option own_options[] = {
    {"function", required_argument, 0, 'f'},
    {"no-types", no_argument, 0, O_TYPES},
    {"decls", no_argument, 0, O_DECLS},
    {"stats", no_argument, 0, O_STATS},
    {0, 0, 0, 0},
};

typedef struct args {
    const char *filter;
    int types, decls, stats;
} args;

static int own_option(void *ud, int c, const char *arg)
{
    args *a = ud;
    switch (c) {
    case 'f': a->filter = arg; break;
    case O_TYPES: a->types = 0; break;
    case O_DECLS: a->decls = 1; break;
    case O_STATS: a->stats = 1; break;
    }
    return 0;
}

static const fm_cli_command command = {
    .name = "dump", .help = help, .shared = FM_CLI_OUTPUT, .own = own_options,
    .own_short = "f:", .own_option = own_option,
};

/* The counts --stats prints. */
static char *stats_text(fm_program *p)
{
    fm_program_stats s = fm_program_get_stats(p);
    fm_buf b;
    fm_buf_init(&b);
    fm_buf_printf(&b,
                  "inputs %zu\nunits %zu\nduplicate_units %zu\nfiles_without_facts %zu\n"
                  "functions %zu\ndeclarations %zu\nduplicate_definitions %zu\ntypes %zu\n"
                  "bytes %zu\n",
                  s.inputs, s.units, s.duplicate_units, s.skipped_files, s.funcs, s.decls,
                  s.duplicates, fm_program_ntypes(p), s.bytes);
    return (char *)fm_buf_cstr(&b);
}

int fm_cmd_dump(int argc, char **argv)
{
    args a = {.types = 1};
    fm_cli_opts o;
    int rc = fm_cli_parse(&command, argc, argv, &o, &a);
    fm_cli_opts_free(&o);
    if (rc != 0)
        return fm_cli_stop(rc);
    if (optind >= argc)
        return fm_cli_usage_error("dump", "no input files");
    fm_program *p = fm_program_new();
    fm_error err = {0};
    for (int i = optind; i < argc; i++) {
        if (fm_program_load(p, argv[i], &err) != 0) {
            fm_program_free(p);
            return fm_cli_report(&err);
        }
    }
    char *text = a.stats ? stats_text(p)
                         : fm_program_dump_json(p, a.filter, a.types, a.decls);
    if (fm_cli_emit(o.output ? o.output : "-", text, &err) != 0)
        rc = fm_cli_report(&err);
    fm_program_free(p);
    return rc;
}
