/* Optional libraries opened on first use (common/dynlib.h).
 *
 * Checks: a library that is there gives its functions (the same as the
 * linked ones) and is opened once; a missing library and a missing
 * function are FM_ERR_ENV naming the library, the function and the Debian
 * package, and leave no pointer set; the flowmage binary itself needs
 * neither libcurl nor libpcap at start (they are opened by the code that
 * uses them). */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/dynlib.h"

#define ZFUNCS(X) X(zlibVersion) X(crc32)
ZFUNCS(FM_DYNLIB_PTR)
ZFUNCS(FM_DYNLIB_DEF)

static void test_present(void)
{
    int opened = 0;
    const char *const names[] = {ZFUNCS(FM_DYNLIB_NAME)};
    void **const ptrs[] = {ZFUNCS(FM_DYNLIB_ADDR)};
    fm_error err = {0};
    CHECK_INT(fm_dynlib_open("libz.so.1", "zlib1g", names, ptrs, 2, &opened, &err), 0);
    CHECK(opened, "opened is set");
    CHECK(fm_dl_zlibVersion == zlibVersion, "the function opened is the linked one");
    CHECK_STR(fm_dl_zlibVersion(), zlibVersion());
    CHECK_INT((long)fm_dl_crc32(0L, (const Bytef *)"abc", 3), (long)crc32(0L, (const Bytef *)"abc", 3));
    /* opened once: a second call does not look again */
    fm_dl_crc32 = NULL;
    CHECK_INT(fm_dynlib_open("libz.so.1", "zlib1g", names, ptrs, 2, &opened, &err), 0);
    CHECK(fm_dl_crc32 == NULL, "a second open does nothing");
}

static void test_missing(void)
{
    int opened = 0;
    void *a = NULL, *b = NULL;
    void **const ptrs[] = {&a, &b};
    const char *const names[] = {"zlibVersion", "fm_no_such_function"};
    fm_error err = {0};
    CHECK_INT(fm_dynlib_open("libfm-no-such-lib.so.9", "fm-no-such-pkg", names, ptrs, 2,
                             &opened, &err), -1);
    CHECK_INT(err.kind, FM_ERR_ENV);
    CHECK_STR(err.file, "libfm-no-such-lib.so.9");
    CHECK(strstr(err.msg, "install fm-no-such-pkg") != NULL, "names the package: %s", err.msg);
    CHECK(!opened, "not opened");

    memset(&err, 0, sizeof err);
    CHECK_INT(fm_dynlib_open("libz.so.1", "zlib1g", names, ptrs, 2, &opened, &err), -1);
    CHECK_INT(err.kind, FM_ERR_ENV);
    CHECK(strstr(err.msg, "has no fm_no_such_function") != NULL, "names the function: %s",
          err.msg);
    CHECK(a == NULL && b == NULL, "no pointer left set");
    CHECK(!opened, "not opened");
}

/* The binary's own DT_NEEDED list. */
static void test_binary_needs(void)
{
    const char *build = getenv("FM_BUILD");
    if (!build)
        build = "build";
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "readelf -d '%s/flowmage' 2>&1", build);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL, "readelf runs");
    if (!p)
        return;
    char line[1024];
    int needed = 0, curl = 0, pcap = 0;
    while (fgets(line, sizeof line, p)) {
        if (!strstr(line, "(NEEDED)"))
            continue;
        needed++;
        curl |= strstr(line, "libcurl") != NULL;
        pcap |= strstr(line, "libpcap") != NULL;
    }
    pclose(p);
    CHECK(needed > 0, "readelf lists what flowmage needs");
    CHECK(!curl, "flowmage does not need libcurl to start");
    CHECK(!pcap, "flowmage does not need libpcap to start");
}

int main(void)
{
    test_present();
    test_missing();
    test_binary_needs();
    return fm_t_done("test_dynlib",
                     "functions of an opened library, opened once, missing library and "
                     "function named with the package, nothing left set, the binary needs "
                     "neither libcurl nor libpcap");
}
