/* SPDX-License-Identifier: MIT */
#pragma once

/* libcurl, loaded when a transport is first made (dlopen of libcurl.so.4) rather than
 * linked: its dependencies (GnuTLS, Kerberos, LDAP, libssh2, librtmp… about 30 shared
 * objects) cost every process ~6 ms of CPU at start-up, and most runs of the vigie CLI
 * (`vigie check`) never speak HTTP. */

#include <curl/curl.h>

typedef struct CurlApi {
        __typeof__(curl_global_init) *global_init;
        __typeof__(curl_easy_init) *easy_init;
        __typeof__(curl_easy_setopt) *easy_setopt;
        __typeof__(curl_easy_perform) *easy_perform;
        __typeof__(curl_easy_getinfo) *easy_getinfo;
        __typeof__(curl_easy_header) *easy_header;
        __typeof__(curl_easy_cleanup) *easy_cleanup;
        __typeof__(curl_easy_strerror) *easy_strerror;
        __typeof__(curl_slist_append) *slist_append;
        __typeof__(curl_slist_free_all) *slist_free_all;
} CurlApi;

#define CURL_DL_SONAME "libcurl.so.4"
#define CURL_DL_INSTALL "install the package libcurl4 (Debian, Ubuntu) or libcurl (Fedora, RHEL)"

/* The loaded library (once per process). Returns 0, or -ELIBACC when libcurl.so.4 or one
 * of its functions cannot be loaded (the package libcurl4 is missing or too old). */
int curl_api_load(const CurlApi **ret);
/* After -ELIBACC: what could not be loaded and which package to install; else NULL. */
const char *curl_api_error(void);
/* For _cleanup_: frees a list made with the loaded library's slist_append. */
void curl_api_slist_freep(struct curl_slist **l);
