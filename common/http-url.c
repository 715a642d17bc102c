/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "http-url.h"
#include "macro.h"
#include "parse-util.h"

void http_url_done(HttpUrl *u) {
        free(u->host);
        free(u->port);
        free(u->path);
        free(u->user);
        if (u->password)
                explicit_bzero(u->password, strlen(u->password));
        free(u->password);
        *u = (HttpUrl) {};
}

/* %XX escapes of userinfo decoded; -EINVAL for a bad escape or a NUL. */
static int percent_decode(const char *s, size_t n, char **ret) {
        _cleanup_free_ char *d = malloc(n + 1);
        size_t k = 0;

        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '%') {
                        d[k++] = s[i];
                        continue;
                }
                if (n - i < 3)
                        return -EINVAL;
                int a = unhexchar(s[i + 1]), b = unhexchar(s[i + 2]);
                if (a < 0 || b < 0 || (a == 0 && b == 0))
                        return -EINVAL;
                d[k++] = (char) (a * 16 + b);
                i += 2;
        }
        d[k] = 0;
        *ret = TAKE_PTR(d);
        return 0;
}

static bool host_char_ok(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
               c == '.' || c == '_';
}

static int parse_authority(const char *s, size_t n, const char *default_port, HttpUrl *u) {
        const char *end = s + n, *host_end, *port = NULL;
        unsigned char buf[sizeof(struct in6_addr)];

        if (n > 0 && s[0] == '[') {
                host_end = memchr(s, ']', n);
                if (!host_end || host_end == s + 1)
                        return -EINVAL;
                if (host_end + 1 < end) {
                        if (host_end[1] != ':')
                                return -EINVAL;
                        port = host_end + 2;
                }
                u->host = strndup(s + 1, (size_t) (host_end - s - 1));
                if (!u->host)
                        return -ENOMEM;
                if (inet_pton(AF_INET6, u->host, buf) != 1)
                        return -EINVAL;
                u->literal = u->ipv6 = true;
        } else {
                host_end = memchr(s, ':', n) ?: end;
                if (host_end == s)
                        return -EINVAL;
                for (const char *p = s; p < host_end; p++)
                        if (!host_char_ok(*p))
                                return -EINVAL;
                if (host_end < end)
                        port = host_end + 1;
                u->host = strndup(s, (size_t) (host_end - s));
                if (!u->host)
                        return -ENOMEM;
                u->literal = inet_pton(AF_INET, u->host, buf) == 1;
        }
        if (port) {
                int p;
                _cleanup_free_ char *ps = strndup(port, (size_t) (end - port));
                if (!ps)
                        return -ENOMEM;
                if (ps[0] < '0' || ps[0] > '9' || parse_int_range(ps, 1, 65535, &p) < 0)
                        return -EINVAL;
                u->port = TAKE_PTR(ps);
        } else if (!(u->port = strdup(default_port)))
                return -ENOMEM;
        return 0;
}

int http_url_parse(const char *url, const char *scheme, HttpUrl *ret) {
        _cleanup_(http_url_done) HttpUrl u = {};
        bool proxy = streq(scheme, "http");
        const char *s = url, *sep, *at, *slash;
        size_t n;
        int r;

        sep = strstr(url, "://");
        if (sep) {
                if ((size_t) (sep - url) != strlen(scheme) || strncasecmp(url, scheme, strlen(scheme)) != 0)
                        return -EINVAL;
                s = sep + 3;
        } else if (!proxy)
                return -EINVAL;
        if (strpbrk(s, "?# \t\r\n"))
                return -EINVAL;
        slash = strchr(s, '/');
        n = slash ? (size_t) (slash - s) : strlen(s);
        at = proxy ? memrchr(s, '@', n) : NULL;
        if (at) {
                const char *colon = memchr(s, ':', (size_t) (at - s));
                if ((r = percent_decode(s, (size_t) ((colon ?: at) - s), &u.user)) < 0 ||
                    (r = percent_decode(colon ? colon + 1 : at, colon ? (size_t) (at - colon - 1) : 0, &u.password)) < 0)
                        return r;
                n -= (size_t) (at + 1 - s);
                s = at + 1;
        }
        if ((r = parse_authority(s, n, proxy ? "1080" : "443", &u)) < 0)
                return r;
        if (!(u.path = strdup(slash && !proxy ? slash : "")))
                return -ENOMEM;
        n = strlen(u.path);
        while (n > 0 && u.path[n - 1] == '/')
                u.path[--n] = 0;
        *ret = u;
        u = (HttpUrl) {};
        return 0;
}

/* host ends with suffix at a label boundary (or is it). */
static bool domain_matches(const char *host, size_t hn, const char *suffix, size_t sn) {
        if (sn > 0 && suffix[0] == '.') {
                suffix++;
                sn--;
        }
        if (sn == 0 || sn > hn || strncasecmp(host + hn - sn, suffix, sn) != 0)
                return false;
        return sn == hn || host[hn - sn - 1] == '.';
}

bool http_no_proxy_matches(const char *no_proxy, const char *host) {
        unsigned char buf[sizeof(struct in6_addr)];
        size_t hn = strlen(host);
        /* An address literal matches itself only, never as a "domain suffix". */
        bool literal = inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;

        for (const char *p = no_proxy; p && *p;) {
                p += strspn(p, " \t,");
                size_t k = strcspn(p, ",");
                size_t e = k;
                while (e > 0 && (p[e - 1] == ' ' || p[e - 1] == '\t'))
                        e--;
                if (e == 1 && p[0] == '*')
                        return true;
                /* "[::1]" as well as "::1". */
                if (e > 2 && p[0] == '[' && p[e - 1] == ']') {
                        if (e - 2 == hn && strncasecmp(p + 1, host, hn) == 0)
                                return true;
                } else if (literal ? e == hn && strncasecmp(p, host, hn) == 0 : e > 0 && domain_matches(host, hn, p, e))
                        return true;
                p += k;
        }
        return false;
}

const char *http_proxy_from_environment(const char *host) {
        const char *proxy = getenv("https_proxy") ?: getenv("HTTPS_PROXY");
        const char *no_proxy = getenv("no_proxy") ?: getenv("NO_PROXY");

        if (!proxy || !*proxy || http_no_proxy_matches(no_proxy, host))
                return NULL;
        return proxy;
}
