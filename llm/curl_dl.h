/* libcurl, opened when the first request is made (common/dynlib.h): the
 * llm stage's files include curl through this header only.  Without
 * curl's type-checking macros and its three-argument wrappers, which are
 * macros of the names redirected here. */
#ifndef FM_LLM_CURL_DL_H
#define FM_LLM_CURL_DL_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "common/dynlib.h"

#define FM_CURL_FUNCS(X)                                                                \
    X(curl_global_init) X(curl_global_cleanup) X(curl_easy_init) X(curl_easy_setopt)    \
    X(curl_easy_getinfo) X(curl_easy_cleanup) X(curl_easy_strerror) X(curl_getdate)     \
    X(curl_multi_init) X(curl_multi_add_handle) X(curl_multi_remove_handle)             \
    X(curl_multi_perform) X(curl_multi_info_read) X(curl_multi_poll)                    \
    X(curl_multi_cleanup) X(curl_slist_append) X(curl_slist_free_all)
FM_CURL_FUNCS(FM_DYNLIB_PTR)

/* Opens libcurl.so.4; -1 (FM_ERR_ENV) if it is missing. */
int fm_curl_open(fm_error *err);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (*fm_dl_curl_global_init)
#define curl_global_cleanup (*fm_dl_curl_global_cleanup)
#define curl_easy_init (*fm_dl_curl_easy_init)
#define curl_easy_setopt (*fm_dl_curl_easy_setopt)
#define curl_easy_getinfo (*fm_dl_curl_easy_getinfo)
#define curl_easy_cleanup (*fm_dl_curl_easy_cleanup)
#define curl_easy_strerror (*fm_dl_curl_easy_strerror)
#define curl_getdate (*fm_dl_curl_getdate)
#define curl_multi_init (*fm_dl_curl_multi_init)
#define curl_multi_add_handle (*fm_dl_curl_multi_add_handle)
#define curl_multi_remove_handle (*fm_dl_curl_multi_remove_handle)
#define curl_multi_perform (*fm_dl_curl_multi_perform)
#define curl_multi_info_read (*fm_dl_curl_multi_info_read)
#define curl_multi_poll (*fm_dl_curl_multi_poll)
#define curl_multi_cleanup (*fm_dl_curl_multi_cleanup)
#define curl_slist_append (*fm_dl_curl_slist_append)
#define curl_slist_free_all (*fm_dl_curl_slist_free_all)

#endif
