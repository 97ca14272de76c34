/* flowmage dump: print the plugin's facts as JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowmage/facts.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: flowmage dump [OPTIONS] FILE|DIR...\n\n"
            "Print the facts the flowmage GCC plugin stored in the .flowmage\n"
            "section of object files, archives, executables, shared objects or\n"
            "raw .fmg dumps (directories are searched recursively), merged into\n"
            "one program (a function emitted by several units appears once).\n\n"
            "options:\n"
            "  -f, --function TEXT  only functions (and types) whose name contains TEXT\n"
            "      --no-types       leave out the type table\n"
            "      --decls          include declared-only callees\n"
            "      --stats          print counts instead of the facts\n"
            "  -o, --output FILE    write to FILE (atomically) instead of stdout\n"
            "  -h, --help           this help\n\n"
            "Exit status: 0 ok; 2 unreadable, corrupt, truncated or future-version\n"
            "input (the error names the file and byte offset).\n");
}

int fm_cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        {"function", required_argument, 0, 'f'}, {"no-types", no_argument, 0, 'T'},
        {"decls", no_argument, 0, 'D'},          {"stats", no_argument, 0, 'S'},
        {"output", required_argument, 0, 'o'},   {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *filter = NULL, *out = NULL;
    int types = 1, decls = 0, stats = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': filter = optarg; break;
        case 'T': types = 0; break;
        case 'D': decls = 1; break;
        case 'S': stats = 1; break;
        case 'o': out = optarg; break;
        case 'h': help(stdout); return FM_EXIT_OK;
        default: return fm_cli_usage_error("dump", "bad option");
        }
    }
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
    int rc = FM_EXIT_OK;
    char *text;
    if (stats) {
        fm_program_stats s = fm_program_get_stats(p);
        fm_buf b;
        fm_buf_init(&b);
        fm_buf_printf(&b,
                      "inputs %zu\nunits %zu\nduplicate_units %zu\nfiles_without_facts %zu\n"
                      "functions %zu\ndeclarations %zu\nduplicate_definitions %zu\ntypes %zu\n"
                      "bytes %zu\n",
                      s.inputs, s.units, s.duplicate_units, s.skipped_files, s.funcs, s.decls,
                      s.duplicates, fm_program_ntypes(p), s.bytes);
        text = (char *)fm_buf_cstr(&b);
    } else {
        text = fm_program_dump_json(p, filter, types, decls);
    }
    if (out) {
        if (fm_write_file_atomic(out, text, strlen(text), &err) != 0)
            rc = fm_cli_report(&err);
    } else {
        fputs(text, stdout);
    }
    free(text);
    fm_program_free(p);
    return rc;
}
