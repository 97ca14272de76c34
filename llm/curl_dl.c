/* libcurl, opened on first use (curl_dl.h). */
#include "curl_dl.h"

FM_CURL_FUNCS(FM_DYNLIB_DEF)

int fm_curl_open(fm_error *err)
{
    static int opened;
    static const char *const names[] = {FM_CURL_FUNCS(FM_DYNLIB_NAME)};
    static void **const ptrs[] = {FM_CURL_FUNCS(FM_DYNLIB_ADDR)};
    return fm_dynlib_open("libcurl.so.4", "libcurl4", names, ptrs,
                          sizeof names / sizeof *names, &opened, err);
}
