/* The flowmage CLI: one subcommand per pipeline stage.  Each command parses
 * its flags, calls a library, prints; errors come back as fm_error and are
 * printed here only, as "flowmage: FILE:LINE:COL: message". */
#ifndef FM_CLI_H
#define FM_CLI_H

#include "flowmage/common.h"

int fm_cmd_dump(int argc, char **argv);
int fm_cmd_summarize(int argc, char **argv);
int fm_cmd_analyze(int argc, char **argv);
int fm_cmd_solve(int argc, char **argv);
int fm_cmd_simulate(int argc, char **argv);
int fm_cmd_check(int argc, char **argv);
int fm_cmd_deploy(int argc, char **argv);

/* Print err as "flowmage: ..." and return its exit code. */
int fm_cli_report(const fm_error *err);
/* Print "flowmage: <cmd>: message" plus a hint, return FM_EXIT_INPUT. */
int fm_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
