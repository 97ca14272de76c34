/* Staged outputs (common/stage.c), issue 12 items 3 and 6:
 *  - a symbolic link planted at the temporary name the writer used to
 *    pick (PATH.tmp.PID) is neither followed nor overwritten, and the
 *    output ends up a regular file;
 *  - every path is checked before anything is written: one bad output
 *    (missing directory, a directory in the way, a path given twice)
 *    leaves all of them untouched and no temporary file behind;
 *  - a directory that does not exist appears whole;
 *  - temporary files and directories of killed runs are removed by the
 *    next writer (a link among them is removed, not followed), those of
 *    live processes are kept;
 *  - fm_lock_dir: a second holder waits, then fails clearly after the
 *    timeout (FM_ERR_ENV), and gets the lock once it is released; a
 *    missing directory is locked through its parent. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "flowmage/common.h"

static char root[64];

/* root/rel (one of 8 rotating buffers: copy what must live longer) */
static char *at(const char *rel)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
    return buf[k];
}

static char *slurp(const char *path)
{
    char *t = NULL;
    size_t n;
    fm_error err = {0};
    return fm_read_file(path, &t, &n, &err) == 0 ? t : NULL;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot create %s", path);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int count_entries(const char *dir, const char *prefix)
{
    char cmd[700];
    int n = 0;
    snprintf(cmd, sizeof cmd, "ls -A '%s' 2>/dev/null | grep -c '^%s'", dir, prefix);
    FILE *p = popen(cmd, "r");
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

/* Item 3: a link planted at the very name the writer tries first (its tag
 * fixed by FLOWMAGE_TMP_TAG) is neither followed nor replaced: the writer
 * takes another name. */
static void test_planted_link(void)
{
    char victim[512], out[512];
    snprintf(victim, sizeof victim, "%s", at("victim"));
    snprintf(out, sizeof out, "%s", at("out.click"));
    put(victim, "precious\n");
    pid_t pid = fork();
    if (pid == 0) {
        char tmp[600];
        snprintf(tmp, sizeof tmp, "%s/.fm-tmp.%ld.planted.out.click", at(""), (long)getpid());
        if (symlink(victim, tmp) != 0)
            _exit(3);
        setenv("FLOWMAGE_TMP_TAG", "planted", 1);
        fm_error err = {0};
        int rc = fm_write_file_atomic(out, "new output\n", 11, &err);
        struct stat ls;
        int still_link = lstat(tmp, &ls) == 0 && S_ISLNK(ls.st_mode);
        unlink(tmp);
        _exit(rc != 0 ? 4 : !still_link ? 5 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "write with a planted link: %d", status);
    char *v = slurp(victim), *o = slurp(out);
    CHECK_STR(v, "precious\n");
    CHECK_STR(o, "new output\n");
    struct stat st;
    CHECK(lstat(out, &st) == 0 && S_ISREG(st.st_mode), "the output is a regular file");
    free(v);
    free(o);
}

static void test_checks_first(void)
{
    char a[512], b[512];
    snprintf(a, sizeof a, "%s", at("a.txt"));
    snprintf(b, sizeof b, "%s", at("b.txt"));
    put(a, "old a\n");
    mkdir(at("adir"), 0755);
    const char *bad[] = {at("missing/x.json"), at("adir"), a, at("a.txt/x")};
    const char *why[] = {"directory", "is a directory", "two outputs", "not a directory"};
    for (size_t i = 0; i < 4; i++) {
        fm_stage st;
        fm_stage_init(&st);
        fm_stage_add(&st, a, "new a\n", 6, 0);
        fm_stage_add(&st, b, "new b\n", 6, 0);
        fm_stage_add(&st, bad[i], "x", 1, 0);
        fm_error err = {0};
        CHECK(fm_stage_commit(&st, &err) != 0, "bad output %zu accepted", i);
        CHECK(strstr(err.msg, why[i]) != NULL, "bad output %zu: '%s' lacks '%s'", i, err.msg,
              why[i]);
        char *t = slurp(a);
        CHECK_STR(t, "old a\n");
        free(t);
        CHECK(access(b, F_OK) != 0, "b not written (bad output %zu)", i);
        CHECK_INT(count_entries(root, ".fm-tmp."), 0);
    }
    /* with MKDIRS, a new directory tree appears whole, beside a file */
    fm_stage st;
    fm_stage_init(&st);
    fm_stage_add(&st, at("w/s/1.json"), "1", 1, FM_STAGE_MKDIRS);
    fm_stage_add(&st, at("w/s/2.json"), "2", 1, FM_STAGE_MKDIRS);
    fm_stage_add(&st, at("w/attrs.json"), "3", 1, FM_STAGE_MKDIRS);
    fm_stage_add(&st, b, "new b\n", 6, 0);
    fm_error err = {0};
    CHECK(fm_stage_commit(&st, &err) == 0, "%s", err.msg);
    char *t = slurp(at("w/s/2.json"));
    CHECK_STR(t, "2");
    free(t);
    t = slurp(b);
    CHECK_STR(t, "new b\n");
    free(t);
    CHECK_INT(count_entries(root, ".fm-tmp."), 0);
}

static void make_leftover(const char *name, int dir)
{
    if (dir) {
        mkdir(at(name), 0755);
        char inner[600];
        snprintf(inner, sizeof inner, "%s/inner.json", at(name));
        put(inner, "half");
    } else {
        put(at(name), "half");
    }
}

static void test_leftovers(void)
{
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    char n1[128], n2[128], n3[128], n4[128];
    snprintf(n1, sizeof n1, ".fm-tmp.%ld.abc123.out.click", (long)dead);
    snprintf(n2, sizeof n2, ".fm-tmp.%ld.def456.work", (long)dead);
    snprintf(n3, sizeof n3, ".fm-tmp.%ld.aaa111.link", (long)dead);
    snprintf(n4, sizeof n4, ".fm-tmp.%ld.bbb222.mine", (long)getppid()); /* alive */
    make_leftover(n1, 0);
    make_leftover(n2, 1);
    CHECK(symlink(at("victim"), at(n3)) == 0, "planted link");
    make_leftover(n4, 0);
    CHECK_INT(count_entries(root, ".fm-tmp."), 4);
    fm_error err = {0};
    CHECK(fm_write_file_atomic(at("next.click"), "x", 1, &err) == 0, "%s", err.msg);
    CHECK_INT(count_entries(root, ".fm-tmp."), 1);
    CHECK(access(at(n4), F_OK) == 0, "a live process's temporary file is kept");
    char *v = slurp(at("victim"));
    CHECK_STR(v, "precious\n");
    free(v);
    unlink(at(n4));
}

static void test_lock(void)
{
    int pipefd[2];
    CHECK(pipe(pipefd) == 0, "pipe");
    pid_t child = fork();
    if (child == 0) {
        fm_lock l;
        fm_error err = {0};
        if (fm_lock_dir(root, &l, &err) != 0)
            _exit(3);
        if (write(pipefd[1], "L", 1) != 1)
            _exit(4);
        usleep(700 * 1000);
        fm_unlock_dir(&l);
        _exit(0);
    }
    char c;
    CHECK(read(pipefd[0], &c, 1) == 1, "the child holds the lock");
    setenv("FLOWMAGE_LOCK_TIMEOUT", "0.2", 1);
    fm_lock l;
    fm_error err = {0};
    CHECK(fm_lock_dir(root, &l, &err) != 0, "locked twice");
    CHECK(err.kind == FM_ERR_ENV && strstr(err.msg, "in use by another flowmage run"),
          "clear failure: %s", err.msg);
    setenv("FLOWMAGE_LOCK_TIMEOUT", "10", 1);
    memset(&err, 0, sizeof err);
    CHECK(fm_lock_dir(root, &l, &err) == 0, "the lock once released: %s", err.msg);
    fm_unlock_dir(&l);
    waitpid(child, NULL, 0);
    /* a directory that does not exist yet: its parent is locked */
    CHECK(fm_lock_dir(at("not/yet"), &l, &err) == 0, "%s", err.msg);
    CHECK(access(at("not"), F_OK) != 0, "nothing created by locking");
    fm_unlock_dir(&l);
    close(pipefd[0]);
    close(pipefd[1]);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/fm-stage.XXXXXX");
    if (!mkdtemp(root))
        return 2;
    test_planted_link();
    test_checks_first();
    test_leftovers();
    test_lock();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return fm_t_done("test_stage", "planted links at temporary names, checks before any "
                     "write, new directories whole, leftovers of killed runs removed, "
                     "directory locks");
}
