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
/* Add text for path to a stage, or to `out` (printed by fm_cli_commit) when
 * path is "-"; frees text. */
void fm_cli_stage(fm_stage *st, const char *path, char *text, fm_buf *out);
/* Commit the stage, then print `out`; frees both. */
int fm_cli_commit(fm_stage *st, fm_buf *out, fm_error *err);
/* The checks of a stage of these outputs (NULL and "-" skipped; flags
 * FM_STAGE_*), early: before a slow stage or one that writes elsewhere
 * (the LLM cache), so a bad output path costs nothing.  Written later. */
int fm_cli_check_outputs(const char *const *paths, const int *flags, size_t n, fm_error *err);

/* CONFIG.click's default output: CONFIG.opt.click (".click" replaced when
 * present, else appended to); malloc'd. */
char *fm_cli_default_output(const char *config);

/* solve's outputs added to a stage (or to_stdout for "-"): the
 * configuration and its rules unless a dry run, --json (report: the JSON
 * report when already made, else made here; taken), --dot. */
struct fm_cli_solve;
void fm_cli_stage_solve(fm_stage *st, fm_buf *to_stdout, const struct fm_cli_solve *o,
                        const fm_solve_result *res, const fm_solve_output *out,
                        const fm_click_config *cfg, const char *output, char *report);
/* What solve and deploy print on stdout: a line per device, what was
 * written (or not, on a dry run), the work directory when there is one,
 * and the notes unless --explain listed them. */
void fm_cli_solve_summary(const fm_solve_result *res, const fm_solve_output *out,
                          const char *output, const char *work, int dry_run, int explain);

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
 * FM_CLI_LLM_CODES and up; a command's own codes stay below 0x1000. */
#define FM_CLI_LLM_CODES 0x1000
#define FM_CLI_LLM_NOPTS 19 /* entries, the terminator not counted */
extern const struct option fm_cli_llm_options[FM_CLI_LLM_NOPTS + 1];

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

/* The API key (--api-key-file, else $OPENAI_API_KEY) into *key (the
 * caller's, for fm_llm_key_free) and c->api_key, and a note on stderr,
 * unless quiet, when it will not go to c->base_url.  0 ok, -1 with err (an
 * unreadable or loosely protected key file). */
int fm_cli_llm_key(const fm_cli_llm *l, fm_llm_config *c, int quiet, char **key,
                   fm_error *err);

/* ---- the skeleton every command parses its arguments with (cli/options.c) ----
 *
 * The options several commands take are spelled, parsed and checked in one
 * place; a command names the groups it takes and handles only its own:
 *
 *     static int own_option(void *ud, int code, const char *arg) { ... }
 *     static const fm_cli_command command = {.name = "solve", .help = help,
 *         .shared = FM_CLI_OUTPUT | FM_CLI_QUIET, .own = own_options,
 *         .own_option = own_option};
 *     fm_cli_opts o;
 *     int rc = fm_cli_parse(&command, argc, argv, &o, &my_args);
 *     if (rc != 0)
 *         return fm_cli_stop(rc);    // 0 after --help, 2 after a usage error
 *     ... operands: argv[optind..argc-1] ...
 *     fm_cli_opts_free(&o);
 *
 * Every usage error is one line, "flowmage: CMD: what (see 'flowmage CMD
 * --help')", exit 2; --help prints to stdout and exits 0, for every command. */

/* The groups of shared options a command takes (fm_cli_command.shared). */
enum {
    FM_CLI_OUTPUT = 1u << 0,  /* -o, --output ARG: the command's main output */
    FM_CLI_QUIET = 1u << 1,   /* -q, --quiet */
    FM_CLI_CORES = 1u << 2,   /* --cores N, an integer in 1..max_cores */
    FM_CLI_NIC = 1u << 3,     /* --nic NAME|FILE */
    FM_CLI_PROFILE = 1u << 4, /* -p, --profile NAME|FILE */
    FM_CLI_LLM = 1u << 5,     /* the analyze/LLM flags above */
    FM_CLI_SOLVE = 1u << 6,   /* solve's flags: --dialect --rules-file --directional
                                 --cost-model --explain --dot --json --dry-run */
};

/* --cores' bound for the solver's commands: a device's queue count. */
#define FM_CLI_MAX_CORES 65535
/* getopt codes of the shared long-only options; a command's own stay below. */
#define FM_CLI_SHARED_CODES 0x2000
/* Room for every long option of one command (shared, own, LLM, --help). */
#define FM_CLI_MAX_OPTIONS 64

typedef struct fm_cli_command {
    const char *name;         /* "solve": in "flowmage solve" and its errors */
    const char *help;         /* the --help text */
    unsigned shared;          /* FM_CLI_* groups */
    unsigned max_cores;       /* with FM_CLI_CORES */
    fm_cli_num_wording wording; /* with FM_CLI_LLM: how its bad numbers read */
    const struct option *own; /* its own long options, {0}-terminated, or NULL */
    const char *own_short;    /* its own short options ("f:"), or NULL */
    /* One of its own options (code from own or own_short, arg its value):
     * 0, or an exit code once a usage error is printed. */
    int (*own_option)(void *ud, int code, const char *arg);
} fm_cli_command;

/* What solve's flags set (FM_CLI_SOLVE). */
typedef struct fm_cli_solve {
    fm_solve_options opts; /* dialect, rules_file, directional */
    const char *cost, *dot, *json;
    int explain, dry_run;
} fm_cli_solve;

/* What the shared options set (NULL / 0 when not given).  Stays where
 * fm_cli_parse filled it (llm.opts points into llm). */
typedef struct fm_cli_opts {
    const char *output, *nic, *profile;
    unsigned cores;
    int quiet;
    fm_cli_solve solve; /* FM_CLI_SOLVE */
    fm_cli_llm llm;     /* FM_CLI_LLM */
} fm_cli_opts;

/* Parse argv (argv[0] is the command's name) into *o, the command's own
 * options through cmd->own_option(ud, ...).  0 when every option is read
 * (the operands are argv[optind..argc-1]); else a code for fm_cli_stop,
 * once --help or a usage error is printed.  Free o in every case. */
int fm_cli_parse(const fm_cli_command *cmd, int argc, char **argv, fm_cli_opts *o, void *ud);
void fm_cli_opts_free(fm_cli_opts *o);

enum { FM_CLI_HELP = -2, FM_CLI_BAD = -3 };
/* The exit code after FM_CLI_HELP (0) or FM_CLI_BAD (2); any other code is
 * already one (a command's checks may return fm_cli_usage_error's). */
int fm_cli_stop(int code);

#endif
