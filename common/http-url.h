/* SPDX-License-Identifier: MIT */
#pragma once

/* The pieces of the URLs the HTTPS client uses, and which proxy the environment sets for
 * a host (what libcurl read: https_proxy/HTTPS_PROXY, no_proxy/NO_PROXY). No I/O. */

#include <stdbool.h>

typedef struct HttpUrl {
        char *host;     /* an IPv6 literal without its brackets */
        char *port;     /* decimal, the scheme's default when the URL has none */
        char *path;     /* "" or "/prefix" without a trailing slash */
        char *user;     /* decoded userinfo (proxy URLs only), NULL if none */
        char *password;
        bool literal;   /* host is an IP address literal */
        bool ipv6;
} HttpUrl;

/* "https://host[:port][/path]" (scheme "https", port 443) or, for a proxy,
 * "[http://][user[:password]@]host[:port]" (scheme "http", port 1080 as libcurl's). -EINVAL
 * for another scheme, an empty or bad host or port, a query or fragment. */
int http_url_parse(const char *url, const char *scheme, HttpUrl *ret);
void http_url_done(HttpUrl *u);

/* Whether no_proxy (comma-separated host names, domain suffixes with or without a leading
 * dot, IP literals, or "*") exempts host. */
bool http_no_proxy_matches(const char *no_proxy, const char *host);
/* The proxy URL to reach host through, from the environment, or NULL for a direct
 * connection. */
const char *http_proxy_from_environment(const char *host);
