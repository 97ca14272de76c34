/* `flowmage analyze` end to end: the CLI ($FM_BIN) run as a child process
 * against the fake server.  Exit codes, the one-line report, the key kept
 * out of every output, the cache on a second run, and no attributes file
 * (nor temporary file) after a failed run. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "support/llm_script.h"

extern char **environ;

static char bin[1024], tmp[128], chain[700];

/* Run bin with args; extra env entries "NAME=value" replace the inherited
 * OPENAI_* / XDG_CACHE_HOME (which are dropped). stdout/stderr to files. */
static int run(const char *const *args, const char *const *extra)
{
    const char *env[512];
    int n = 0;
    for (char **e = environ; *e && n < 480; e++)
        if (strncmp(*e, "OPENAI_", 7) && strncmp(*e, "XDG_CACHE_HOME=", 15))
            env[n++] = *e;
    for (; extra && *extra; extra++)
        env[n++] = *extra;
    env[n] = NULL;
    const char *argv[64];
    int a = 0;
    argv[a++] = bin;
    for (; *args; args++)
        argv[a++] = *args;
    argv[a] = NULL;
    char out[200], err[200];
    snprintf(out, sizeof out, "%s/stdout", tmp);
    snprintf(err, sizeof err, "%s/stderr", tmp);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, (char *const *)env);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* A file's text ("" if missing); a bare name is taken in the temp dir. */
static char *slurp(const char *name)
{
    char p[300], *t = NULL;
    if (strchr(name, '/'))
        snprintf(p, sizeof p, "%s", name);
    else
        snprintf(p, sizeof p, "%s/%s", tmp, name);
    size_t len;
    if (fm_read_file(p, &t, &len, NULL) != 0)
        return strdup("");
    return t;
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_help_and_usage(void)
{
    const char *h[] = {"analyze", "--help", NULL};
    CHECK_INT(run(h, NULL), 0);
    char *o = slurp("stdout");
    const char *flags[] = {"-o, --output", "--endpoint", "--model", "--api-key-file",
                           "--allow-key-to-custom-endpoint", "--samples", "--temperature",
                           "--parallel", "--timeout", "--retries", "--source-root",
                           "--cache-dir", "--no-cache", "--print-prompts", "--quiet",
                           "Exit codes", NULL};
    for (const char **f = flags; *f; f++)
        CHECK(strstr(o, *f) != NULL, "--help mentions %s", *f);
    free(o);
    const char *a1[] = {"analyze", chain, NULL};
    CHECK_INT(run(a1, NULL), 2);
    const char *a2[] = {"analyze", chain, "-o", "/dev/null", "--samples", "0", NULL};
    CHECK_INT(run(a2, NULL), 2);
    const char *a3[] = {"analyze", chain, "-o", "/dev/null", "--endpoint", "ftp://x/v1", NULL};
    CHECK_INT(run(a3, NULL), 2);
    const char *a4[] = {"analyze", "/nonexistent/dir", "-o", "/dev/null", NULL};
    CHECK_INT(run(a4, NULL), 2);
    const char *a5[] = {"analyze", chain, "-o", "/dev/null", "--only", "NoSuchNF",
                        "--endpoint", "http://127.0.0.1:1/v1", NULL};
    CHECK_INT(run(a5, NULL), 2);
}

static void test_static(void)
{
    char out[200];
    snprintf(out, sizeof out, "%s/static.json", tmp);
    const char *a[] = {"analyze", chain, "-o", out, NULL};
    CHECK_INT(run(a, NULL), 0);
    char *t = slurp(out), *e = slurp("stderr");
    CHECK(strstr(t, "\"provenance\": \"static\"") && !strstr(t, "static+llm") &&
          !strstr(t, "\"llm\""), "static only");
    CHECK_STR(e, "");
    free(t);
    free(e);
}

static void test_llm_runs(void)
{
    llmt_env e;
    llmt_open(&e, S_GOOD, NULL);   /* used only for its server */
    char out[200], url[128], key[128], xdg[200], cache[200];
    snprintf(out, sizeof out, "%s/attrs.json", tmp);
    snprintf(url, sizeof url, "OPENAI_BASE_URL=%s", fake_llm_url(e.srv));
    snprintf(key, sizeof key, "OPENAI_API_KEY=%s", KEY);
    snprintf(xdg, sizeof xdg, "XDG_CACHE_HOME=%s/xdg", tmp);
    snprintf(cache, sizeof cache, "%s/xdg/flowmage", tmp);
    const char *env[] = {url, key, xdg, NULL};
    const char *a[] = {"analyze", chain, "-o", out, "--samples", "2", "--backoff", "0.01",
                       "--allow-key-to-custom-endpoint", "--model", "m1", NULL};
    CHECK_INT(run(a, env), 0);
    char *err = slurp("stderr"), *o = slurp("stdout"), *t = slurp(out);
    CHECK(strstr(err, "flowmage: analyze: 7 requests, 0 cache hits, 0 retries") &&
          strstr(err, "tokens 700 prompt + 140 completion") && lines(err) == 1,
          "one-line report: %s", err);
    CHECK(strstr(t, "\"provenance\": \"static+llm\""), "merged");
    CHECK(!strstr(err, KEY) && !strstr(o, KEY) && !strstr(t, KEY), "no key in outputs");
    CHECK(llmt_tree_contains(cache, "\"content\"") == 14, "14 answers cached");
    CHECK_INT(llmt_tree_contains(cache, KEY), 0);
    fake_req *q = fake_llm_request(e.srv, 0);
    CHECK(q && !strcmp(q->auth, "Bearer " KEY), "key sent (allowed)");
    fake_req_free(q);
    free(err);
    free(o);
    free(t);

    /* the same again: everything from the cache */
    CHECK_INT(run(a, env), 0);
    err = slurp("stderr");
    CHECK(strstr(err, "0 requests, 14 cache hits"), "%s", err);
    CHECK_INT(fake_llm_count(e.srv), 7);
    free(err);

    /* a key but no permission: not sent, and said so */
    const char *b[] = {"analyze", chain, "-o", out, "--model", "m2", "--no-cache",
                       "--only", "Policer", "--samples", "1", NULL};
    CHECK_INT(run(b, env), 0);
    err = slurp("stderr");
    CHECK(strstr(err, "is not sent to") && !strstr(err, KEY), "%s", err);
    q = fake_llm_request(e.srv, 7);
    CHECK(q && q->auth[0] == 0, "no Authorization header");
    fake_req_free(q);
    free(err);
    llmt_close(&e);
}

static void test_failures(void)
{
    char out[200], url[100], keyf[200], prev[200];
    snprintf(out, sizeof out, "%s/fail/attrs.json", tmp);
    snprintf(prev, sizeof prev, "%s/fail", tmp);
    mkdir(prev, 0755);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", fake_dead_port());
    const char *a[] = {"analyze", chain, "-o", out, "--endpoint", url, "--retries", "1",
                       "--backoff", "0.01", "--no-cache", NULL};
    CHECK_INT(run(a, NULL), 3);
    char *err = slurp("stderr");
    CHECK(strstr(err, url) && lines(err) == 1, "one line naming the URL: %s", err);
    CHECK(access(out, F_OK) != 0, "no attributes file");
    CHECK_INT(entries(prev), 0);   /* no temporary file either */
    free(err);
    /* an existing file is left as it was */
    FILE *f = fopen(out, "w");
    fputs("previous\n", f);
    fclose(f);
    CHECK_INT(run(a, NULL), 3);
    char *t = slurp(out);
    CHECK_STR(t, "previous\n");
    CHECK_INT(entries(prev), 1);
    free(t);
    /* a key file readable by others is refused before anything is sent */
    snprintf(keyf, sizeof keyf, "%s/key", tmp);
    f = fopen(keyf, "w");
    fputs(KEY "\n", f);
    fclose(f);
    chmod(keyf, 0644);
    const char *k[] = {"analyze", chain, "-o", out, "--endpoint", url,
                       "--api-key-file", keyf, NULL};
    CHECK_INT(run(k, NULL), 2);
    err = slurp("stderr");
    CHECK(strstr(err, "too open") && !strstr(err, KEY), "%s", err);
    free(err);
}

static void test_print_prompts(void)
{
    char dir[200], src[800], p[300];
    snprintf(dir, sizeof dir, "%s/prompts", tmp);
    snprintf(src, sizeof src, "%s/tests/analyze/src", llmt_root());
    const char *a[] = {"analyze", chain, "--print-prompts", dir, "--source-root", src, NULL};
    CHECK_INT(run(a, NULL), 0);
    snprintf(p, sizeof p, "%s/nf-Policer.txt", dir);
    char *t = slurp(p);
    CHECK(strstr(t, "### system") && strstr(t, "find_insert(IPAddress"), "prompt written");
    free(t);
    snprintf(p, sizeof p, "%s/prompts.tsv", dir);
    t = slurp(p);
    CHECK(lines(t) == 8 && strstr(t, "compare\tFlowCounter vs Policer"), "index: %s", t);
    free(t);
}

static int rm_one(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s, (void)f, (void)w;
    return remove(p);
}

int main(void)
{
    const char *b = getenv("FM_BIN");
    if (b && *b)
        snprintf(bin, sizeof bin, "%s", b);
    else if (getenv("FM_BUILD"))
        snprintf(bin, sizeof bin, "%s/flowmage", getenv("FM_BUILD"));
    if (!bin[0] || access(bin, X_OK) != 0) {
        printf("SKIP test_llm_cli: no flowmage binary (set FM_BIN)\n");
        return 0;
    }
    snprintf(tmp, sizeof tmp, "/tmp/fm-llm-cli.XXXXXX");
    if (!mkdtemp(tmp))
        return 1;
    snprintf(chain, sizeof chain, "%s/tests/analyze/chain", llmt_root());
    test_help_and_usage();
    test_static();
    test_llm_runs();
    test_failures();
    test_print_prompts();
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return fm_t_done("test_llm_cli",
                     "CLI: --help, usage errors exit 2, static run, LLM run with "
                     "one-line report, rerun from cache (0 requests), key only "
                     "when allowed and in no output or cache file, dead endpoint "
                     "exit 3 without attrs or temp file, key file mode, prompts");
}
