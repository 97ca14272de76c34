/* The flowmage CLI: one subcommand per pipeline stage.  Each command parses
 * its flags, calls a library, prints; errors come back as fm_error and are
 * printed here only, as "flowmage: FILE:LINE:COL: message". */
#ifndef FM_CLI_H
#define FM_CLI_H

#include <getopt.h>

#include "flowmage/common.h"
#include "flowmage/llm.h"
#include "flowmage/solve.h"

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

/* Write text to path ('-': stdout) atomically; frees text. */
int fm_cli_emit(const char *path, char *text, fm_error *err);

/* --dialect NAME (flowrules, hashfunc): 0 ok; -1 after cmd's usage error. */
int fm_cli_dialect(const char *cmd, const char *s, fm_dialect *d);

/* How a bad number is worded: analyze says `--samples: "0" is not a number
 * in 1..64` (or `"1.5" is not an integer`), deploy `--samples needs an
 * integer in 1..64, got '0'`.  Both stay: users' scripts match them. */
typedef enum { FM_CLI_NUM_IS_NOT, FM_CLI_NUM_NEEDS } fm_cli_num_wording;

/* s as a number in lo..hi (an integer when `integer`), strtod's syntax.
 * 0 ok; -1 after printing cmd's usage error naming opt. */
int fm_cli_number(const char *cmd, fm_cli_num_wording w, const char *opt, const char *s,
                  double lo, double hi, int integer, double *out);

/* The analyze/LLM flags of 'analyze' and 'deploy' (cli/llm_flags.c):
 * --endpoint --model --api-key-file --allow-key-to-custom-endpoint --samples
 * --temperature --max-tokens --source-root --source-budget --only
 * --no-cost-compare --tie-fraction --parallel --timeout --retries --backoff
 * --cache-dir --no-cache --print-prompts.  Their getopt codes are
 * FM_CLI_LLM_CODES and up; a command's own codes stay below. */
#define FM_CLI_LLM_CODES 0x1000
#define FM_CLI_LLM_NOPTS 19 /* entries, the terminator not counted */
extern const struct option fm_cli_llm_options[FM_CLI_LLM_NOPTS + 1];

/* Room for a command's own table (terminator included) plus the shared one. */
#define FM_CLI_LLM_OPTIONS_LEN(own) (sizeof(own) / sizeof *(own) + FM_CLI_LLM_NOPTS)
/* own's entries, then fm_cli_llm_options', terminated, into out (room:
 * FM_CLI_LLM_OPTIONS_LEN(own)). */
void fm_cli_llm_options_join(struct option *out, const struct option *own);

/* What the flags set.  opts.only points at `only` once --only is given, so
 * the struct stays where it was initialised. */
typedef struct fm_cli_llm {
    const char *cmd;            /* named in usage errors */
    fm_cli_num_wording wording;
    fm_analyze_opts opts;
    fm_strset only;
    const char *endpoint;       /* --endpoint as given (may be "") */
    const char *keyfile;        /* --api-key-file */
} fm_cli_llm;

void fm_cli_llm_init(fm_cli_llm *l, const char *cmd, fm_cli_num_wording w);
void fm_cli_llm_free(fm_cli_llm *l);

enum { FM_CLI_FLAG_BAD = -1, FM_CLI_FLAG_DONE = 0, FM_CLI_FLAG_NOT_MINE = 1 };
/* Apply getopt code c (argument arg) if it is one of the shared flags:
 * FM_CLI_FLAG_DONE; FM_CLI_FLAG_NOT_MINE for any other code (nothing done);
 * FM_CLI_FLAG_BAD for a bad value, its usage error printed. */
int fm_cli_llm_flag(fm_cli_llm *l, int c, const char *arg);

#endif
