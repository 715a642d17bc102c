/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "curl-dl.h"
#include "macro.h"

static CurlApi api;
static int api_state; /* 0: not loaded yet, 1: loaded, <0: failed */
static pthread_once_t api_once = PTHREAD_ONCE_INIT;
static char api_error[512];

static void load(void) {
        static const struct {
                const char *name;
                size_t offset;
        } table[] = {
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
        /* Never unloaded: libcurl keeps global state (curl_global_init). */
        void *h = dlopen(CURL_DL_SONAME, RTLD_NOW | RTLD_LOCAL);

        api_state = -ELIBACC;
        if (!h) {
                const char *e = dlerror();
                (void) snprintf(api_error, sizeof(api_error), "cannot load %s (%s): " CURL_DL_INSTALL, CURL_DL_SONAME,
                                e ? e : "not found");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                void *f = dlsym(h, table[i].name);
                if (!f) {
                        (void) snprintf(api_error, sizeof(api_error),
                                        "%s has no %s (too old): " CURL_DL_INSTALL " (a newer one),",
                                        CURL_DL_SONAME, table[i].name);
                        return;
                }
                *(void **) ((char *) &api + table[i].offset) = f;
        }
        api_state = 1;
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
