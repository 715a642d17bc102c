/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "conf-parser.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "macro.h"
#include "pki.h"
#include "transport.h"
#include "vigiectl-client.h"

CtlConfig *ctl_config_free(CtlConfig *c) {
        if (!c)
                return NULL;
        free(c->server);
        free(c->ca);
        free(c->cert);
        free(c->key);
        transport_free(c->transport);
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

static bool tls_alert_about_certificate(const char *msg) {
        return strstr(msg, "alert") &&
               (strstr(msg, "certificate") || strstr(msg, "unknown ca") || strstr(msg, "access denied"));
}

/* The admin certificate and key, then one Transport (common/transport.c: pinned CA, TLS
 * 1.2+, timeouts, bounded bodies) kept for every request of this run. The key is read
 * through OSSL_STORE, so Key= may also be a provider URI (a TPM-held key). */
static int ctl_transport(CtlConfig *c, Transport **ret) {
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_free_ char *uri = NULL;
        int r;

        if (c->transport) {
                *ret = c->transport;
                return 0;
        }
        r = pki_load_cert(c->cert, &cert);
        if (r < 0) {
                fprintf(stderr, _("vigiectl: cannot read the admin certificate \"%s\": %s\n"), c->cert,
                        r == -ENOMEM ? strerror(-r) : _("not a PEM certificate"));
                return VIGIECTL_EXIT_USAGE;
        }
        if (asprintf(&uri, "%s%s", strchr(c->key, ':') ? "" : "file:", c->key) < 0)
                return VIGIECTL_EXIT_INTERNAL;
        r = pki_load_key(uri, &key);
        if (r < 0) {
                fprintf(stderr, _("vigiectl: cannot use the admin key \"%s\": %s\n"), c->key,
                        r == -EINVAL ? _("not a P-256 key") : r == -ENOENT ? _("no private key in it")
                                                                             : strerror(-r));
                return VIGIECTL_EXIT_USAGE;
        }
        r = transport_new(&(TransportOptions) { .server_url = c->server, .ca_file = c->ca,
                                                .cert = cert, .key = key,
                                                .timeout = (usec_t) c->timeout_s * USEC_PER_SEC,
                                                .max_response = VIGIECTL_BODY_MAX },
                          &c->transport);
        if (r < 0) {
                fprintf(stderr, _("vigiectl: cannot set up HTTPS to %s: %s\n"), c->server, transport_strerror(r));
                return VIGIECTL_EXIT_INTERNAL;
        }
        *ret = c->transport;
        return 0;
}

int ctl_get(CtlConfig *c, const char *path_and_query, FILE *out, char **ret_body,
            size_t *ret_size) {
        _cleanup_(transport_response_done) TransportResponse resp = {};
        _cleanup_free_ char *err = NULL, *describe = NULL;
        Transport *t;
        int r;

        r = ctl_transport(c, &t);
        if (r != 0)
                return r;
        r = transport_request(t, "GET", path_and_query, NULL, NULL, 0, NULL, &resp, &err);
        if (r == -ENOMEM)
                return VIGIECTL_EXIT_INTERNAL;
        if (r == -EFBIG) {
                fprintf(stderr, _("vigiectl: %s%s: answer larger than %u bytes\n"), c->server,
                        path_and_query, VIGIECTL_BODY_MAX);
                return VIGIECTL_EXIT_SERVER;
        }
        if (r < 0) {
                const char *msg = err ? err : strerror(-r);
                if (r == -EPROTO && tls_alert_about_certificate(msg)) {
                        fprintf(stderr, _("vigiectl: the server at %s refused our certificate \"%s\": "
                                          "%s — is it an admin certificate from this server's CA?\n"),
                                c->server, c->cert, msg);
                        return VIGIECTL_EXIT_REFUSED;
                }
                if (r == -EPROTO)
                        fprintf(stderr, _("vigiectl: no trusted TLS connection to %s: %s — is it the "
                                          "server the CA \"%s\" vouches for?\n"), c->server, msg, c->ca);
                else
                        fprintf(stderr, _("vigiectl: cannot reach the server at %s: %s — is "
                                          "vigie-server running, and is --server right?\n"), c->server, msg);
                return VIGIECTL_EXIT_UNREACHABLE;
        }
        if (resp.status != 200) {
                describe = transport_response_describe(&resp);
                fprintf(stderr, "vigiectl: %s%s: %s\n", c->server, path_and_query, strnull(describe));
                if (resp.status == 401 || resp.status == 403)
                        return VIGIECTL_EXIT_REFUSED;
                return resp.status == 404 ? VIGIECTL_EXIT_NOT_FOUND : VIGIECTL_EXIT_SERVER;
        }
        if (out) {
                if (fwrite(resp.body, 1, resp.body_size, out) != resp.body_size) {
                        fprintf(stderr, _("vigiectl: cannot write the output: %m\n"));
                        return VIGIECTL_EXIT_INTERNAL;
                }
                return 0;
        }
        if (ret_size)
                *ret_size = resp.body_size;
        *ret_body = TAKE_PTR(resp.body);
        return 0;
}

int ctl_get_json(CtlConfig *c, const char *path_and_query, json_object **ret) {
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

static json_object *page_items(CtlConfig *c, json_object *page, const char *path, const char *key) {
        json_object *items;
        if (json_object_object_get_ex(page, key, &items) && json_object_is_type(items, json_type_array))
                return items;
        fprintf(stderr, _("vigiectl: %s%s: the server's answer lacks \"%s\"\n"), c->server, path, key);
        return NULL;
}

int ctl_get_json_pages(CtlConfig *c, const char *path_and_query, const char *array_key, json_object **ret) {
        _cleanup_json_ json_object *all = NULL;
        json_object *items;
        int r;

        r = ctl_get_json(c, path_and_query, &all);
        if (r != 0)
                return r;
        items = page_items(c, all, path_and_query, array_key);
        if (!items)
                return VIGIECTL_EXIT_SERVER;
        for (;;) {
                _cleanup_json_ json_object *page = NULL;
                _cleanup_free_ char *cursor = NULL, *path = NULL;
                json_object *nc = json_object_object_get(all, "next_cursor"), *more;

                if (!nc || !json_object_is_type(nc, json_type_string))
                        break;
                cursor = ctl_url_escape(json_object_get_string(nc));
                if (!cursor || asprintf(&path, "%s%c" "cursor=%s", path_and_query,
                                        strchr(path_and_query, '?') ? '&' : '?', cursor) < 0)
                        return VIGIECTL_EXIT_INTERNAL;
                r = ctl_get_json(c, path, &page);
                if (r != 0)
                        return r;
                more = page_items(c, page, path, array_key);
                if (!more)
                        return VIGIECTL_EXIT_SERVER;
                for (size_t i = 0; i < json_object_array_length(more); i++)
                        if (json_object_array_add(items, json_object_get(json_object_array_get_idx(more, i))) < 0)
                                return VIGIECTL_EXIT_INTERNAL;
                /* A server answering the same cursor again would keep us here for ever. */
                if (json_object_equal(json_object_object_get(page, "next_cursor"), nc)) {
                        fprintf(stderr, _("vigiectl: %s%s: the server returned its own cursor again\n"),
                                c->server, path);
                        return VIGIECTL_EXIT_SERVER;
                }
                if (json_object_object_add(all, "next_cursor",
                                           json_object_get(json_object_object_get(page, "next_cursor"))) < 0)
                        return VIGIECTL_EXIT_INTERNAL;
        }
        *ret = TAKE_PTR(all);
        return 0;
}

/* RFC 3986 unreserved characters stay, everything else is %XX. */
char *ctl_url_escape(const char *s) {
        char *out = malloc(3 * strlen(s) + 1), *o = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                unsigned char ch = (unsigned char) *s;
                if (isalnum(ch) || strchr("-._~", ch))
                        *o++ = (char) ch;
                else {
                        *o++ = '%';
                        *o++ = "0123456789ABCDEF"[ch >> 4];
                        *o++ = "0123456789ABCDEF"[ch & 15];
                }
        }
        *o = 0;
        return out;
}
