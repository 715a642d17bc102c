/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#include "curl-dl.h"
#include "dl-util.h"
#include "macro.h"

static CurlApi api;
static int api_state; /* 0: not loaded yet, 1: loaded, <0: failed */
static pthread_once_t api_once = PTHREAD_ONCE_INIT;
static char api_error[512];

static void load(void) {
        static const DlSymbol table[] = {
                { "curl_global_init", offsetof(CurlApi, global_init) },
                { "curl_easy_init", offsetof(CurlApi, easy_init) },
                { "curl_easy_setopt", offsetof(CurlApi, easy_setopt) },
                { "curl_easy_perform", offsetof(CurlApi, easy_perform) },
                { "curl_easy_getinfo", offsetof(CurlApi, easy_getinfo) },
                { "curl_easy_header", offsetof(CurlApi, easy_header) },
                { "curl_easy_cleanup", offsetof(CurlApi, easy_cleanup) },
                { "curl_easy_strerror", offsetof(CurlApi, easy_strerror) },
                { "curl_slist_append", offsetof(CurlApi, slist_append) },
                { "curl_slist_free_all", offsetof(CurlApi, slist_free_all) },
        };
        int r = dl_load(CURL_DL_SONAME, table, ELEMENTSOF(table), &api, CURL_DL_INSTALL, api_error,
                        sizeof(api_error));
        api_state = r < 0 ? r : 1;
}

int curl_api_load(const CurlApi **ret) {
        (void) pthread_once(&api_once, load);
        if (api_state < 0)
                return api_state;
        *ret = &api;
        return 0;
}

const char *curl_api_error(void) {
        return api_state < 0 ? api_error : NULL;
}

void curl_api_slist_freep(struct curl_slist **l) {
        if (*l && api_state > 0)
                api.slist_free_all(*l);
}
