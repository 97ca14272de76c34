/* Optional shared libraries (dynlib.h). */
#include <dlfcn.h>

#include "common/dynlib.h"

int fm_dynlib_open(const char *soname, const char *pkg, const char *const *names,
                   void **const *ptrs, size_t n, int *opened, fm_error *err)
{
    if (*opened)
        return 0;
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return fm_fail(err, FM_ERR_ENV, soname, 0, 0, "cannot load (install %s): %s", pkg,
                       dlerror());
    for (size_t i = 0; i < n; i++) {
        *ptrs[i] = dlsym(h, names[i]);
        if (!*ptrs[i]) {
            for (size_t k = 0; k < i; k++)
                *ptrs[k] = NULL;
            dlclose(h);
            return fm_fail(err, FM_ERR_ENV, soname, 0, 0, "has no %s (install %s)", names[i],
                           pkg);
        }
    }
    *opened = 1; /* (the handle stays open for the process's life) */
    return 0;
}
