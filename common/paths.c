/* Finding the data files (profiles) that ship with flowmage. */
#include "flowmage/common.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int try_path(const char *dir, const char *rel, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, rel);
    return access(out, R_OK) == 0 ? 0 : -1;
}

int fm_find_data_file(const char *rel, char *out, size_t n)
{
    const char *env = getenv("FLOWMAGE_DATADIR");
    if (env && *env && try_path(env, rel, out, n) == 0)
        return 0;
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return -1;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = 0; /* exe is now the executable's directory */
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/../share/flowmage", exe);
    if (try_path(dir, rel, out, n) == 0)
        return 0;
    snprintf(dir, sizeof dir, "%s/..", exe); /* build/ inside the source tree */
    if (try_path(dir, rel, out, n) == 0)
        return 0;
    snprintf(dir, sizeof dir, "%s/../..", exe); /* build/tests/ */
    return try_path(dir, rel, out, n);
}
