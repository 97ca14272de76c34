/* flowmage GCC plugin: registration, options, and the one pass object.
 *
 *   gcc -fplugin=flowmage.so [-fplugin-arg-flowmage-NAME=VALUE ...]
 *     dump-dir=DIR     also write each unit's raw facts to DIR (NAME.PID.fmg)
 *     exclude=P1:P2    functions from files under these path prefixes are
 *                      recorded by name only
 *     max-events=N     per-function cap (default 20000)
 *     verbose          one line of statistics per unit on stderr, and
 *                      the reason for a bad option or a failed dump
 *
 * Silent by default: configure scripts compile test programs with the
 * user's flags and treat unexpected compiler output as failure. */
#include "gcc-common.h"
#include "plugin-version.h"

#include "flowmage/version.h"
#include "fm.h"

int plugin_is_GPL_compatible;

static struct plugin_info fm_info = {
    FM_VERSION,
    "flowmage: records per-function facts into a .flowmage ELF section\n"
    "  -fplugin-arg-flowmage-dump-dir=DIR  -fplugin-arg-flowmage-exclude=P1:P2\n"
    "  -fplugin-arg-flowmage-max-events=N  -fplugin-arg-flowmage-verbose\n"
    "  -fplugin-arg-flowmage-compress"};

fm_options fm_opt = {NULL, NULL, 0, 0, 0, 20000};

bool fm_excluded_path(const char *file)
{
    if (!file)
        return false;
    for (int i = 0; i < fm_opt.nexclude; i++)
        if (!strncmp(file, fm_opt.exclude[i], strlen(fm_opt.exclude[i])))
            return true;
    return false;
}

static void parse_exclude(const char *list)
{
    char *copy = xstrdup(list);
    int n = 1;
    for (char *p = copy; *p; p++)
        n += *p == ':';
    fm_opt.exclude = XNEWVEC(const char *, n);
    for (char *tok = strtok(copy, ":"); tok; tok = strtok(NULL, ":"))
        if (*tok)
            fm_opt.exclude[fm_opt.nexclude++] = tok;
}

/* About an option, with `verbose` only: configure scripts take any
 * compiler output for a failure. */
static void say(bool verbose, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(bool verbose, const char *fmt, ...)
{
    if (!verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("flowmage: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void parse_option(const char *k, const char *v, bool verbose)
{
    static const char *const known[] = {"compress", "dump-dir", "exclude", "max-events",
                                        "verbose"};
    bool is_known = false;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        is_known |= !strcmp(k, known[i]);
    if (!is_known) {
        say(verbose, "unknown option -fplugin-arg-flowmage-%s ignored (known: compress, "
            "dump-dir, exclude, max-events, verbose)", k);
        return;
    }
    if (!strcmp(k, "verbose")) {
        fm_opt.verbose = 1;
        return;
    }
    if (!strcmp(k, "compress")) {
        fm_opt.compress = 1;
        return;
    }
    if (!v || !*v) {
        say(verbose, "option -fplugin-arg-flowmage-%s ignored: it needs a value "
            "(-fplugin-arg-flowmage-%s=VALUE)", k, k);
        return;
    }
    if (!strcmp(k, "dump-dir")) {
        struct stat st;
        /* kept: the directory may appear before the unit ends; each dump
         * that cannot be written is reported too (out.cc) */
        if (stat(v, &st) != 0)
            say(verbose, "dump-dir %s: %s: no dump can be written there", v, xstrerror(errno));
        else if (!S_ISDIR(st.st_mode))
            say(verbose, "dump-dir %s is not a directory: no dump can be written there", v);
        else if (access(v, W_OK | X_OK) != 0)
            say(verbose, "dump-dir %s is not writable (%s): no dump can be written there", v,
                xstrerror(errno));
        fm_opt.dump_dir = xstrdup(v);
    } else if (!strcmp(k, "exclude")) {
        parse_exclude(v);
    } else {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (*end || errno || n <= 0 || n > 100000000)
            say(verbose, "option -fplugin-arg-flowmage-max-events ignored: it needs an integer "
                "in 1..100000000, got '%s'", v);
        else
            fm_opt.max_events = (unsigned)n;
    }
}

static const pass_data fm_pass_data = {
    GIMPLE_PASS, "flowmage", OPTGROUP_NONE, TV_NONE,
    PROP_ssa | PROP_cfg, /* properties_required */
    0, 0, 0, 0,          /* provided, destroyed, todo start, todo finish */
};

/* Read-only: it never changes the IL, so it neither requests nor
 * invalidates anything. */
struct fm_pass : gimple_opt_pass {
    fm_pass(gcc::context *ctx) : gimple_opt_pass(fm_pass_data, ctx) {}
    unsigned int execute(function *fun) override
    {
        if (fun && fun->cfg && fun->gimple_df)
            fm_collect_function(fun);
        return 0;
    }
};

static void finish_unit(void *, void *)
{
    fm_emit_unit();
    fm_types_reset();
    fm_functions_reset();
    fm_reset_unit();
}

int plugin_init(struct plugin_name_args *args, struct plugin_gcc_version *version)
{
    /* A plugin built for another GCC must not break the build: it stays
     * inactive (and says so only when asked to be verbose). */
    bool verbose = false;
    for (int i = 0; i < args->argc; i++)
        if (!strcmp(args->argv[i].key, "verbose"))
            verbose = true;
    if (!plugin_default_version_check(version, &gcc_version)) {
        if (verbose)
            fprintf(stderr, "flowmage: built for GCC %s, not %s: inactive\n",
                    gcc_version.basever, version->basever);
        return 0;
    }
    for (int i = 0; i < args->argc; i++)
        parse_option(args->argv[i].key, args->argv[i].value, verbose);
    register_callback(args->base_name, PLUGIN_INFO, NULL, &fm_info);

    struct register_pass_info pass;
    pass.pass = new fm_pass(g);
    pass.reference_pass_name = "ssa"; /* right after SSA: runs at -O0 too */
    pass.ref_pass_instance_number = 1;
    pass.pos_op = PASS_POS_INSERT_AFTER;
    register_callback(args->base_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &pass);
    register_callback(args->base_name, PLUGIN_FINISH_UNIT, finish_unit, NULL);
    return 0;
}
