/* Staged outputs, exclusive temporary files, leftovers of killed runs, and
 * directory locks (include/flowmage/common.h says what each guarantees). */
#include "flowmage/common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMP_PREFIX ".fm-tmp."

/* ---- paths ---- */

/* Copy with repeated slashes collapsed and trailing ones dropped. */
static char *tidy(const char *path)
{
    char *s = fm_xstrdup(path);
    size_t k = 0;
    for (size_t i = 0; s[i]; i++)
        if (!(s[i] == '/' && k > 0 && s[k - 1] == '/'))
            s[k++] = s[i];
    while (k > 1 && s[k - 1] == '/')
        k--;
    s[k] = 0;
    return s;
}

static char *dir_of(const char *path)
{
    const char *sl = strrchr(path, '/');
    if (!sl)
        return fm_xstrdup(".");
    if (sl == path)
        return fm_xstrdup("/");
    return fm_xstrndup(path, (size_t)(sl - path));
}

static const char *base_of(const char *path)
{
    const char *sl = strrchr(path, '/');
    return sl ? sl + 1 : path;
}

/* The nearest ancestor of path (path itself included) that exists; *top
 * receives the child of it on the way to path (NULL if path exists). */
static char *existing_ancestor(const char *path, char **top)
{
    char *cur = fm_xstrdup(path);
    *top = NULL;
    struct stat st;
    while (stat(cur, &st) != 0 && errno == ENOENT && strcmp(cur, ".") && strcmp(cur, "/")) {
        free(*top);
        *top = cur;
        cur = dir_of(cur);
    }
    return cur;
}

/* ---- temporary names ---- */

static void random_tag(char *out, size_t n)
{
    static unsigned long counter;
    unsigned char r[6];
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        unsigned long x = (unsigned long)time(NULL) ^ (unsigned long)clock() ^ ++counter * 2654435761u;
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)(x >> (8 * i));
    }
    snprintf(out, n, "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

/* The first try's tag may be fixed (FLOWMAGE_TMP_TAG, for tests: a name
 * known in advance can be planted). */
static char *tmp_name(const char *dir, const char *base, int first)
{
    char tag[16];
    const char *fixed = first ? getenv("FLOWMAGE_TMP_TAG") : NULL;
    if (fixed && *fixed)
        snprintf(tag, sizeof tag, "%.12s", fixed);
    else
        random_tag(tag, sizeof tag);
    size_t n = strlen(dir) + strlen(base) + 64;
    char *p = fm_xmalloc(n);
    /* the name's own length stays below NAME_MAX whatever base is */
    snprintf(p, n, "%s/" TMP_PREFIX "%ld.%s.%.200s", dir, (long)getpid(), tag, base);
    return p;
}

/* A new file (its descriptor) or directory (0) under a temporary name in
 * dir, never an existing one. */
static int tmp_create(const char *dir, const char *base, int mode, int is_dir, const char *shown,
                      char **tmp, fm_error *err)
{
    for (int tries = 0; tries < 100; tries++) {
        char *p = tmp_name(dir, base, tries == 0);
        int fd = is_dir ? mkdir(p, (mode_t)mode)
                        : open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0) {
            *tmp = p;
            return fd;
        }
        int e = errno;
        free(p);
        if (e != EEXIST)
            return fm_fail(err, FM_ERR_INPUT, shown, 0, 0, "cannot write into %s: %s", dir,
                           strerror(e));
    }
    return fm_fail(err, FM_ERR_INPUT, shown, 0, 0, "cannot find a free temporary name in %s",
                   dir);
}

/* A temporary name of a process that no longer runs. */
static int is_leftover(const char *name)
{
    size_t pl = sizeof TMP_PREFIX - 1;
    if (strncmp(name, TMP_PREFIX, pl) != 0)
        return 0;
    char *end;
    long pid = strtol(name + pl, &end, 10);
    if (end == name + pl || *end != '.' || pid <= 0 || pid == (long)getpid())
        return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* rm -r below dfd, never following a link (a planted link is removed, not
 * what it points to). */
static void remove_tree(int dfd, const char *name, int depth)
{
    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT || depth > 16)
        return;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            remove_tree(dirfd(d), e->d_name, depth + 1);
    closedir(d);
    unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Remove what killed runs left in dir: temporary names of processes that
 * no longer run.  Returns how many were removed. */
static int tmp_clean(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (is_leftover(e->d_name)) {
            remove_tree(dirfd(d), e->d_name, 0);
            n++;
        }
    closedir(d);
    return n;
}

static void remove_path(const char *path)
{
    char *dir = dir_of(path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        remove_tree(fd, base_of(path), 0);
        close(fd);
    }
    free(dir);
}

/* ---- the stage ---- */

void fm_stage_init(fm_stage *s)
{
    memset(s, 0, sizeof *s);
}

static fm_stage_item *push(fm_stage *s, const char *path)
{
    s->items = fm_xrealloc(s->items, (s->n + 1) * sizeof *s->items);
    fm_stage_item *it = &s->items[s->n++];
    memset(it, 0, sizeof *it);
    it->path = tidy(path);
    return it;
}

void fm_stage_add(fm_stage *s, const char *path, const void *data, size_t len, int flags)
{
    fm_stage_item *it = push(s, path);
    it->data = fm_xmalloc(len + 1);
    memcpy(it->data, data, len);
    it->len = len;
    it->flags = flags;
}

void fm_stage_remove(fm_stage *s, const char *path)
{
    push(s, path)->remove = 1;
}

static int same_file_name(const fm_stage_item *a, const fm_stage_item *b)
{
    if (!strcmp(a->path, b->path))
        return 1;
    if (strcmp(base_of(a->path), base_of(b->path)))
        return 0;
    char *da = dir_of(a->path), *db = dir_of(b->path);
    struct stat x, y;
    int same = stat(da, &x) == 0 && stat(db, &y) == 0 && x.st_dev == y.st_dev &&
               x.st_ino == y.st_ino;
    free(da);
    free(db);
    return same;
}

static int check_dir(const char *dir, const char *path, fm_error *err)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot write: %s: %s", dir,
                       strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot write: %s is not a directory",
                       dir);
    if (access(dir, W_OK | X_OK) != 0)
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot write into %s: %s", dir,
                       strerror(errno));
    return 0;
}

static int check_item(const fm_stage *s, size_t i, fm_error *err)
{
    const fm_stage_item *it = &s->items[i];
    struct stat st;
    if (!it->path[0] || !strcmp(base_of(it->path), ".") || !strcmp(base_of(it->path), ".."))
        return fm_fail(err, FM_ERR_INPUT, it->path, 0, 0, "not a file name");
    for (size_t k = 0; k < i; k++)
        if (!s->items[k].remove && same_file_name(&s->items[k], it))
            return fm_fail(err, FM_ERR_INPUT, it->path, 0, 0,
                           "given for two outputs of this run (also as %s)", s->items[k].path);
    if (lstat(it->path, &st) == 0 && S_ISDIR(st.st_mode))
        return fm_fail(err, FM_ERR_INPUT, it->path, 0, 0, "cannot write: is a directory");
    char *top, *dir = dir_of(it->path);
    char *anc = existing_ancestor(dir, &top);
    int rc = 0;
    if (top && !(it->flags & FM_STAGE_MKDIRS))
        rc = fm_fail(err, FM_ERR_INPUT, it->path, 0, 0, "cannot write: directory %s does not "
                     "exist", dir);
    else
        rc = check_dir(anc, it->path, err);
    free(top);
    free(anc);
    free(dir);
    return rc;
}

int fm_stage_check(fm_stage *s, fm_error *err)
{
    for (size_t i = 0; i < s->n; i++)
        if (!s->items[i].remove && check_item(s, i, err) != 0)
            return -1;
    return 0;
}

static int write_fd(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int fill(int fd, const fm_stage_item *it, const char *shown, fm_error *err)
{
    int bad = write_fd(fd, it->data, it->len) != 0 ||
              ((it->flags & FM_STAGE_SYNC) && fsync(fd) != 0);
    int e = errno;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad)
        return fm_fail(err, FM_ERR_INPUT, shown, 0, 0, "write failed: %s", strerror(e));
    return 0;
}

/* The temporary copy of a new directory for an output under it: created
 * once (beside the top-most missing directory), reused by the others. */
static int new_dir(fm_stage *s, const char *anc, const char *top, int mode, fm_error *err)
{
    for (size_t k = 0; k < s->ndirs; k++)
        if (!strcmp(s->dirs[k].path, top))
            return (int)k;
    char *tmp = NULL;
    tmp_clean(anc);
    if (tmp_create(anc, base_of(top), mode, 1, anc, &tmp, err) != 0)
        return -1;
    s->dirs = fm_xrealloc(s->dirs, (s->ndirs + 1) * sizeof *s->dirs);
    s->dirs[s->ndirs].path = fm_xstrdup(top);
    s->dirs[s->ndirs].tmp = tmp;
    s->dirs[s->ndirs].renamed = 0;
    return (int)s->ndirs++;
}

/* An output inside a directory that does not exist yet. */
static int stage_in_new_dir(fm_stage *s, fm_stage_item *it, const char *anc, const char *top,
                            fm_error *err)
{
    int priv = it->flags & FM_STAGE_PRIVATE;
    int k = new_dir(s, anc, top, priv ? 0700 : 0755, err);
    if (k < 0)
        return -1;
    it->newdir = k + 1;
    size_t tl = strlen(s->dirs[k].tmp);
    it->tmp = fm_xmalloc(tl + strlen(it->path) + 1);
    sprintf(it->tmp, "%s%s", s->dirs[k].tmp, it->path + strlen(top));
    for (char *p = it->tmp + tl + 1; *p; p++) { /* the directories in between */
        if (*p != '/')
            continue;
        *p = 0;
        int bad = mkdir(it->tmp, priv ? 0700 : 0755) != 0 && errno != EEXIST;
        *p = '/';
        if (bad)
            return fm_fail(err, FM_ERR_INPUT, it->path, 0, 0, "cannot create its directory: %s",
                           strerror(errno));
    }
    int fd = open(it->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  priv ? 0600 : 0644);
    if (fd < 0)
        return fm_fail(err, FM_ERR_INPUT, it->path, 0, 0, "cannot write: %s", strerror(errno));
    return fill(fd, it, it->path, err);
}

static int stage_item(fm_stage *s, fm_stage_item *it, fm_strset *cleaned, fm_error *err)
{
    char *top, *dir = dir_of(it->path);
    char *anc = existing_ancestor(dir, &top);
    int rc;
    if (top) {
        rc = stage_in_new_dir(s, it, anc, top, err);
    } else {
        if (!fm_strset_has(cleaned, dir)) {
            tmp_clean(dir);
            fm_strset_add(cleaned, dir);
        }
        int fd = tmp_create(dir, base_of(it->path), it->flags & FM_STAGE_PRIVATE ? 0600 : 0644,
                            0, it->path, &it->tmp, err);
        rc = fd < 0 ? -1 : fill(fd, it, it->path, err);
    }
    free(top);
    free(anc);
    free(dir);
    return rc;
}

static void discard(fm_stage *s)
{
    for (size_t i = 0; i < s->n; i++) {
        fm_stage_item *it = &s->items[i];
        if (it->tmp && !it->done && !it->newdir)
            unlink(it->tmp);
        free(it->path);
        free(it->tmp);
        free(it->data);
    }
    for (size_t k = 0; k < s->ndirs; k++) {
        if (!s->dirs[k].renamed)
            remove_path(s->dirs[k].tmp);
        free(s->dirs[k].path);
        free(s->dirs[k].tmp);
    }
    free(s->items);
    free(s->dirs);
    memset(s, 0, sizeof *s);
}

void fm_stage_free(fm_stage *s)
{
    discard(s);
}

static int prepare(fm_stage *s, fm_error *err)
{
    if (fm_stage_check(s, err) != 0)
        return -1;
    fm_strset cleaned = {0};
    int rc = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++)
        if (!s->items[i].remove)
            rc = stage_item(s, &s->items[i], &cleaned, err);
    fm_strset_free(&cleaned);
    return rc;
}

int fm_stage_commit(fm_stage *s, fm_error *err)
{
    int rc = prepare(s, err);
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        fm_stage_item *it = &s->items[i];
        if (it->remove)
            continue;
        if (it->newdir) {
            fm_stage_dir *d = &s->dirs[it->newdir - 1];
            if (!d->renamed && rename(d->tmp, d->path) != 0)
                rc = fm_fail(err, FM_ERR_INPUT, d->path, 0, 0, "cannot create: %s",
                             strerror(errno));
            d->renamed = rc == 0;
        } else if (rename(it->tmp, it->path) != 0) {
            rc = fm_fail(err, FM_ERR_INPUT, it->path, 0, 0, "cannot replace: %s",
                         strerror(errno));
        }
        it->done = rc == 0;
    }
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        struct stat st;
        if (s->items[i].remove && lstat(s->items[i].path, &st) == 0 && S_ISREG(st.st_mode))
            unlink(s->items[i].path);
    }
    discard(s);
    return rc;
}

int fm_write_file_atomic(const char *path, const void *data, size_t len, fm_error *err)
{
    fm_stage s;
    fm_stage_init(&s);
    fm_stage_add(&s, path, data, len, FM_STAGE_SYNC);
    return fm_stage_commit(&s, err);
}

/* ---- locks ---- */

static double lock_timeout(void)
{
    const char *e = getenv("FLOWMAGE_LOCK_TIMEOUT");
    char *end;
    double t = e && *e ? strtod(e, &end) : 600;
    return e && *e && (*end || !(t >= 0 && t <= 1e6)) ? 600 : t;
}

static int wait_lock(int fd, double timeout)
{
    struct timespec start, now, nap = {0, 10 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double waited = (double)(now.tv_sec - start.tv_sec) +
                        (double)(now.tv_nsec - start.tv_nsec) / 1e9;
        if (waited >= timeout) {
            errno = EWOULDBLOCK;
            return -1;
        }
        nanosleep(&nap, NULL);
        if (nap.tv_nsec < 100 * 1000 * 1000)
            nap.tv_nsec *= 2;
    }
}

int fm_lock_dir(const char *dir, fm_lock *l, fm_error *err)
{
    l->fd = -1;
    char *path = tidy(dir);
    double timeout = lock_timeout();
    for (;;) {
        char *top, *anc = existing_ancestor(path, &top);
        int fd = open(anc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            fm_fail(err, FM_ERR_INPUT, anc, 0, 0, "cannot open directory: %s", strerror(errno));
            free(top);
            free(anc);
            free(path);
            return -1;
        }
        if (wait_lock(fd, timeout) != 0) {
            int e = errno;
            close(fd);
            free(top);
            free(anc);
            if (e == EWOULDBLOCK)
                fm_fail(err, FM_ERR_ENV, path, 0, 0, "in use by another flowmage run (still "
                        "locked after %g s; FLOWMAGE_LOCK_TIMEOUT sets the wait)", timeout);
            else
                fm_fail(err, FM_ERR_ENV, path, 0, 0, "cannot lock: %s", strerror(e));
            free(path);
            return -1;
        }
        /* the directory may have been created while we waited: then the
         * lock to hold is its own */
        char *top2, *anc2 = existing_ancestor(path, &top2);
        int same = !strcmp(anc, anc2);
        free(top);
        free(anc);
        free(top2);
        free(anc2);
        if (same) {
            l->fd = fd;
            free(path);
            return 0;
        }
        close(fd);
    }
}

void fm_unlock_dir(fm_lock *l)
{
    if (l->fd >= 0)
        close(l->fd); /* closing the descriptor releases the flock */
    l->fd = -1;
}
