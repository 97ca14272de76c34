/* Optional shared libraries, opened the first time a command needs them.
 * libcurl (with its TLS, Kerberos and LDAP libraries) and libpcap linked
 * into the binary made every command spend 12 ms starting, more than a
 * small run's own work, for code only `analyze` and trace replay use.
 *
 * A library's header declares, with FM_DYNLIB_PTR, one pointer per
 * function the code calls and #defines each name to call through it: the
 * call sites read as plain calls, and the prototypes are the library's. */
#ifndef FM_COMMON_DYNLIB_H
#define FM_COMMON_DYNLIB_H

#include <stddef.h>

#include "flowmage/common.h"

#define FM_DYNLIB_PTR(f) extern __typeof__(f) *fm_dl_##f;
#define FM_DYNLIB_DEF(f) __typeof__(fm_dl_##f) fm_dl_##f;
#define FM_DYNLIB_NAME(f) #f,
#define FM_DYNLIB_ADDR(f) (void **)&fm_dl_##f,

/* Opens soname (once: later calls return 0 at once) and fills ptrs[i] with
 * names[i]; -1 with FM_ERR_ENV naming the library, the missing symbol and
 * the Debian package (pkg) that provides it. */
int fm_dynlib_open(const char *soname, const char *pkg, const char *const *names,
                   void **const *ptrs, size_t n, int *opened, fm_error *err);

#endif
