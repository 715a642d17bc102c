/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cleanup.h"
#include "conf-parser.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "macro.h"
#include "vigiectl-client.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(CURL *, curl_easy_cleanup)
DEFINE_TRIVIAL_CLEANUP_FUNC(char *, curl_free)

CtlConfig *ctl_config_free(CtlConfig *c) {
        if (!c)
                return NULL;
        free(c->server);
        free(c->ca);
        free(c->cert);
        free(c->key);
        free(c);
        return NULL;
}

static int parse_timeout(const char *value, void *field) {
        uint64_t *t = &(uint64_t) { 0 };
        int r = config_parse_duration(value, t);
        if (r < 0)
                return r;
        if (*t < USEC_PER_SEC || *t > 3600 * USEC_PER_SEC)
                return -ERANGE;
        *(unsigned *) field = (unsigned) (*t / USEC_PER_SEC);
        return 0;
}

static const ConfigTableItem ctl_config_table[] = {
        { "Server", "URL", config_parse_string, offsetof(CtlConfig, server), "https://HOST:PORT" },
        { "Server", "CA", config_parse_path, offsetof(CtlConfig, ca), "an absolute path" },
        { "Server", "Timeout", parse_timeout, offsetof(CtlConfig, timeout_s), "1s to 1h" },
        { "Admin", "Certificate", config_parse_path, offsetof(CtlConfig, cert), "an absolute path" },
        { "Admin", "Key", config_parse_path, offsetof(CtlConfig, key), "an absolute path" },
        {}
};

static char *default_config_path(void) {
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        char *p = NULL;

        if (xdg && *xdg == '/')
                return asprintf(&p, "%s/vigie/vigiectl.conf", xdg) < 0 ? NULL : p;
        if (home && *home == '/')
                return asprintf(&p, "%s/.config/vigie/vigiectl.conf", home) < 0 ? NULL : p;
        return NULL;
}

static int override(char **field, const char *value) {
        char *v;
        if (!value)
                return 0;
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        free(*field);
        *field = v;
        return 0;
}

int ctl_config_load(const char *path, const char *server, const char *ca, const char *cert,
                    const char *key, CtlConfig **ret) {
        _cleanup_(ctl_config_freep) CtlConfig *c = calloc(1, sizeof(CtlConfig));
        _cleanup_free_ char *def = NULL, *err = NULL;
        int r;

        if (!c)
                return VIGIECTL_EXIT_INTERNAL;
        c->timeout_s = 60;
        if (!path)
                path = def = default_config_path();
        if (path) {
                r = config_load(path, !!def, ctl_config_table, c, NULL, NULL, &err);
                if (r < 0) {
                        if (err)
                                fprintf(stderr, _("vigiectl: bad configuration: %s\n"), err);
                        else
                                fprintf(stderr, _("vigiectl: cannot read configuration \"%s\": %s\n"),
                                        path, strerror(-r));
                        return VIGIECTL_EXIT_USAGE;
                }
        }
        if (override(&c->server, server) < 0 || override(&c->ca, ca) < 0 ||
            override(&c->cert, cert) < 0 || override(&c->key, key) < 0)
                return VIGIECTL_EXIT_INTERNAL;
        if (!c->server) {
                fprintf(stderr, _("vigiectl: no server given: use --server https://HOST:PORT or "
                                  "URL= in [Server] of %s\n"), strempty(path));
                return VIGIECTL_EXIT_USAGE;
        }
        if (!startswith_str(c->server, "https://")) {
                fprintf(stderr, _("vigiectl: server \"%s\" is not an https:// URL\n"), c->server);
                return VIGIECTL_EXIT_USAGE;
        }
        if (!c->cert || !c->key || !c->ca) {
                fprintf(stderr, _("vigiectl: an admin certificate, its key and the server CA are "
                                  "needed: use --cert, --key and --ca (from \"vigie-server "
                                  "admin-cert create\"), or [Admin] Certificate=, Key= and "
                                  "[Server] CA= in %s\n"), strempty(path));
                return VIGIECTL_EXIT_USAGE;
        }
        for (const char *const *f = (const char *const[]) { c->ca, c->cert, c->key, NULL }; *f; f++)
                if (access(*f, R_OK) < 0) {
                        fprintf(stderr, _("vigiectl: cannot read \"%s\": %s\n"), *f, strerror(errno));
                        return VIGIECTL_EXIT_USAGE;
                }
        *ret = TAKE_PTR(c);
        return 0;
}

typedef struct Sink {
        FILE *out;      /* streaming target, used once the status is 200 */
        CURL *curl;
        char *buf;
        size_t size, allocated;
        bool too_big;
} Sink;

static size_t sink_write(char *data, size_t size, size_t nmemb, void *userdata) {
        Sink *s = userdata;
        size_t n = size * nmemb;
        long code = 0;

        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
        if (s->out && code == 200)
                return fwrite(data, 1, n, s->out) == n ? n : 0;
        if (s->size + n > VIGIECTL_BODY_MAX) {
                s->too_big = true;
                return 0;
        }
        if (s->size + n + 1 > s->allocated) {
                size_t a = MAX(s->allocated * 2, s->size + n + 1);
                char *b = realloc(s->buf, MAX(a, (size_t) 4096));
                if (!b)
                        return 0;
                s->buf = b;
                s->allocated = MAX(a, (size_t) 4096);
        }
        memcpy(s->buf + s->size, data, n);
        s->size += n;
        s->buf[s->size] = 0;
        return n;
}

/* The server's {"error","detail"} as one line, or the raw start of the body. */
static void print_http_error(const char *url, long code, const char *body) {
        _cleanup_json_ json_object *j = NULL;
        const char *error = NULL, *detail = NULL;

        if (body && json_parse(body, strlen(body), &j, NULL) >= 0 &&
            json_object_is_type(j, json_type_object)) {
                (void) json_get_string(j, "", "error", &error, NULL);
                (void) json_get_string(j, "", "detail", &detail, NULL);
        }
        fprintf(stderr, _("vigiectl: %s: HTTP %ld"), url, code);
        if (error)
                fprintf(stderr, ": %s", error);
        if (detail)
                fprintf(stderr, " — %s", detail);
        if (!error && body && *body)
                fprintf(stderr, ": %.200s", body);
        fputc('\n', stderr);
}

static bool tls_alert_about_certificate(const char *msg) {
        return strstr(msg, "alert") &&
               (strstr(msg, "certificate") || strstr(msg, "unknown ca") || strstr(msg, "access denied"));
}

int ctl_get(const CtlConfig *c, const char *path_and_query, FILE *out, char **ret_body,
            size_t *ret_size) {
        _cleanup_(curl_easy_cleanupp) CURL *curl = curl_easy_init();
        _cleanup_free_ char *url = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        Sink sink = { .out = out };
        long code = 0;
        CURLcode e;

        if (!curl || asprintf(&url, "%s%s", c->server, path_and_query) < 0)
                return VIGIECTL_EXIT_INTERNAL;
        sink.curl = curl;
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
        curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
        curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca);
        curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
        curl_easy_setopt(curl, CURLOPT_SSLCERT, c->cert);
        curl_easy_setopt(curl, CURLOPT_SSLKEY, c->key);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
        if (!out) /* an export streams as long as data flows */
                curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long) c->timeout_s);
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long) c->timeout_s);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "vigiectl/" VERSION);

        e = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        if (e != CURLE_OK && code == 0) {
                const char *msg = *errbuf ? errbuf : curl_easy_strerror(e);
                free(sink.buf);
                if (e == CURLE_SSL_CERTPROBLEM) {
                        fprintf(stderr, _("vigiectl: cannot use the admin certificate \"%s\" "
                                          "with key \"%s\": %s\n"), c->cert, c->key, msg);
                        return VIGIECTL_EXIT_USAGE;
                }
                if (tls_alert_about_certificate(msg)) {
                        fprintf(stderr, _("vigiectl: the server at %s refused our certificate "
                                          "\"%s\": %s — is it an admin certificate from this "
                                          "server's CA?\n"), c->server, c->cert, msg);
                        return VIGIECTL_EXIT_REFUSED;
                }
                if (e == CURLE_PEER_FAILED_VERIFICATION || e == CURLE_SSL_CACERT_BADFILE) {
                        fprintf(stderr, _("vigiectl: the server at %s is not the one CA \"%s\" "
                                          "vouches for: %s\n"), c->server, c->ca, msg);
                        return VIGIECTL_EXIT_UNREACHABLE;
                }
                fprintf(stderr, _("vigiectl: cannot reach the server at %s: %s — is vigie-server "
                                  "running, and is --server right?\n"), c->server, msg);
                return VIGIECTL_EXIT_UNREACHABLE;
        }
        if (code != 200) {
                print_http_error(url, code, sink.buf);
                free(sink.buf);
                if (code == 401 || code == 403)
                        return VIGIECTL_EXIT_REFUSED;
                return code == 404 ? VIGIECTL_EXIT_NOT_FOUND : VIGIECTL_EXIT_SERVER;
        }
        if (e != CURLE_OK) {
                free(sink.buf);
                if (sink.too_big)
                        fprintf(stderr, _("vigiectl: %s: answer larger than %u bytes\n"), url,
                                VIGIECTL_BODY_MAX);
                else
                        fprintf(stderr, _("vigiectl: %s: transfer failed: %s\n"), url,
                                *errbuf ? errbuf : curl_easy_strerror(e));
                return VIGIECTL_EXIT_UNREACHABLE;
        }
        if (ret_body)
                *ret_body = sink.buf;
        else
                free(sink.buf);
        if (ret_size)
                *ret_size = sink.size;
        return 0;
}

int ctl_get_json(const CtlConfig *c, const char *path_and_query, json_object **ret) {
        _cleanup_free_ char *body = NULL, *err = NULL;
        size_t size = 0;
        int r;

        r = ctl_get(c, path_and_query, NULL, &body, &size);
        if (r != 0)
                return r;
        if (json_parse(body ? body : "", size, ret, &err) < 0) {
                fprintf(stderr, _("vigiectl: %s%s: the server's answer is not JSON: %s\n"),
                        c->server, path_and_query, strnull(err));
                return VIGIECTL_EXIT_SERVER;
        }
        return 0;
}

char *ctl_url_escape(const char *s) {
        _cleanup_(curl_freep) char *e = curl_easy_escape(NULL, s, 0);
        return e ? strdup(e) : NULL;
}
