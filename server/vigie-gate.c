/* SPDX-License-Identifier: MIT */
/* vigie-gate: OpenVPN asks Vigie before letting a laptop in (docs/enforcement.md).
 *
 * OpenVPN runs it with the connecting laptop's certificate verified (the Vigie device
 * certificate) and its SHA-256 in $tls_digest_sha256_0; vigie-gate asks the posture API
 * with a gateway certificate and exits 0 (let in) or 1 (refuse):
 *   auth-user-pass-verify /usr/bin/vigie-gate via-file   (settings: /etc/vigie/gate.conf)
 *     with auth-user-pass-optional: the reason reaches the laptop as AUTH_FAILED,reason
 *     (written to $auth_failed_reason_file);
 *   tls-verify "vigie-gate …": refuses during the TLS handshake (no reason for the laptop);
 *   client-connect "vigie-gate …": refuses once connected (no reason either).
 * The server unreachable: refused unless Unreachable=allow. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "client-cert.h"
#include "conf-parser.h"
#include "pki.h"
#include "json-util.h"
#include "log.h"
#include "parse-util.h"
#include "transport.h"

#define GATE_ALLOW 0
#define GATE_DENY 1
#define GATE_REASON_MAX 200 /* what fits an AUTH_FAILED control message comfortably */
#define GATE_REPLY_MAX (64u * 1024)

#define GATE_CONFIG SYSCONFDIR "/vigie/gate.conf"

typedef struct Gate {
        char *server, *ca, *cert, *key;
        usec_t timeout;
        bool unreachable_allowed;
} Gate;

static void gate_done(Gate *g) {
        free(g->server);
        free(g->ca);
        free(g->cert);
        free(g->key);
}

static int parse_unreachable(const char *value, void *field) {
        if (!streq(value, "allow") && !streq(value, "deny"))
                return -EINVAL;
        *(bool *) field = streq(value, "allow");
        return 0;
}

static const ConfigTableItem gate_config_table[] = {
        { "Server", "URL", config_parse_string, offsetof(Gate, server), "https://HOST:PORT" },
        { "Server", "CA", config_parse_path, offsetof(Gate, ca), "an absolute path" },
        { "Server", "Timeout", config_parse_duration, offsetof(Gate, timeout), "a duration like 5s" },
        { "Server", "Unreachable", parse_unreachable, offsetof(Gate, unreachable_allowed), "allow or deny" },
        { "Gateway", "Certificate", config_parse_path, offsetof(Gate, cert), "an absolute path" },
        { "Gateway", "Key", config_parse_path, offsetof(Gate, key), "an absolute path" },
        {}
};

static int gate_load(const char *path, Gate *g) {
        _cleanup_free_ char *err = NULL;
        int r = config_load(path, false, gate_config_table, g, NULL, NULL, &err);

        if (r < 0)
                return log_error_errno(r, "Cannot load \"%s\": %s", path, err ? err : strerror(-r));
        if (!g->server || !g->ca || !g->cert || !g->key)
                return log_error_errno(EINVAL, "\"%s\" needs [Server] URL= and CA=, and [Gateway] Certificate= "
                                       "and Key= (from \"vigie-server admin-cert create NAME --role gateway\").", path);
        if (g->timeout < USEC_PER_SEC || g->timeout > 120 * USEC_PER_SEC)
                return log_error_errno(EINVAL, "\"%s\": Timeout= must be 1s to 120s.", path);
        return 0;
}

/* Tells the laptop why, when OpenVPN gave us a place to (auth-user-pass-verify). */
static void tell_client(const char *reason) {
        const char *path = getenv("auth_failed_reason_file");
        _cleanup_close_ int fd = -EBADF;
        char line[GATE_REASON_MAX + 1];
        size_t n;

        if (!path || !*path)
                return;
        n = (size_t) snprintf(line, sizeof line, "%s", reason);
        n = MIN(n, sizeof line - 1);
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) line[i] < 0x20 || line[i] == ',')
                        line[i] = ' '; /* one field of the control message */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, line, n) != (ssize_t) n)
                log_warning_errno(fd < 0 ? -errno : -EIO, "Cannot write the reason into \"%s\": %m", path);
}

static int deny(const char *device, const char *reason) {
        log_notice("%s: refused: %s", device, reason);
        tell_client(reason);
        return GATE_DENY;
}

static int transport(const Gate *g, Transport **ret) {
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_free_ char *uri = NULL;
        int r;

        r = pki_load_cert(g->cert, &cert);
        if (r < 0)
                return log_error_errno(r, "Cannot read the gateway certificate \"%s\": %m — make one with "
                                       "\"vigie-server admin-cert create NAME --role gateway\".", g->cert);
        if (asprintf(&uri, "%s%s", strchr(g->key, ':') ? "" : "file:", g->key) < 0)
                return log_oom();
        r = pki_load_key(uri, &key);
        if (r < 0)
                return log_error_errno(r, "Cannot use the gateway key \"%s\": %m.", g->key);
        r = transport_new(&(TransportOptions) { .server_url = g->server, .ca_file = g->ca, .cert = cert,
                                                .key = key, .connect_timeout = g->timeout, .timeout = g->timeout,
                                                .max_response = GATE_REPLY_MAX },
                          ret);
        if (r < 0)
                return log_error_errno(r, "Cannot set up HTTPS to \"%s\": %s.", g->server, transport_strerror(r));
        return 0;
}

/* GET /v1/posture?fingerprint= → GATE_ALLOW or GATE_DENY, said in the log. */
static int ask(const Gate *g, const char *fp) {
        _cleanup_(transport_freep) Transport *t = NULL;
        _cleanup_(transport_response_done) TransportResponse resp = {};
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *err = NULL, *path = NULL, *d = NULL;
        const char *device = "-", *reason = NULL, *state = "?";
        bool allowed = false;
        int r;

        if (transport(g, &t) < 0)
                return deny(fp, "the VPN gateway cannot ask Vigie (misconfigured); ask IT");
        if (asprintf(&path, "/v1/posture?fingerprint=%s", fp) < 0)
                return log_oom(), GATE_DENY;
        r = transport_request(t, "GET", path, NULL, NULL, 0, NULL, &resp, &err);
        if (r < 0) {
                log_error("Cannot reach the Vigie server at %s: %s", g->server, err ? err : strerror(-r));
                if (g->unreachable_allowed) {
                        log_notice("%s: let in: the Vigie server is unreachable (Unreachable=allow)", fp);
                        return GATE_ALLOW;
                }
                return deny(fp, "the Vigie server cannot be reached to check this laptop; try again later");
        }
        if (resp.status == 404)
                return deny(fp, "this certificate is not a Vigie device certificate of this company");
        if (resp.status != 200) {
                d = transport_response_describe(&resp);
                log_error("The Vigie server refused the posture question: %s", strnull(d));
                return deny(fp, "the VPN gateway cannot ask Vigie (refused); ask IT");
        }
        if (json_parse(resp.body, resp.body_size, &j, NULL) < 0 ||
            json_get_bool(j, "", "allowed", &allowed, NULL) < 0 ||
            json_get_string(j, "", "device_id", &device, NULL) < 0)
                return deny(fp, "the Vigie server's answer is unreadable; ask IT");
        (void) json_get_string(j, "", "reason", &reason, NULL);
        (void) json_get_string(j, "", "state", &state, NULL);
        if (!allowed) {
                _cleanup_free_ char *why = NULL;
                if (asprintf(&why, "Vigie: %s. Run \"vigie check\" on this laptop to fix it",
                             reason ? reason : "this laptop is not allowed") < 0)
                        return log_oom(), GATE_DENY;
                return deny(device, why);
        }
        log_info("%s: let in (%s)%s%s", device, state, reason ? ": " : "", strempty(reason));
        return GATE_ALLOW;
}

static int run(const Gate *g, int argc, char *argv[]) {
        const char *type = getenv("script_type"), *digest = getenv("tls_digest_sha256_0");
        char fp[SHA256_HEX_SIZE];
        int depth;

        /* tls-verify runs once per certificate of the chain: only the laptop's (depth 0) */
        if (streq_ptr(type, "tls-verify")) {
                if (argc < 1 || parse_int_range(argv[0], 0, 64, &depth) < 0)
                        return log_error("tls-verify: expected the certificate depth as the first argument."), GATE_DENY;
                if (depth > 0)
                        return GATE_ALLOW;
        }
        if (!digest)
                return deny("-", "no client certificate (OpenVPN did not set tls_digest_sha256_0)");
        if (openvpn_fingerprint_parse(digest, fp) < 0)
                return deny("-", "the client certificate's fingerprint is malformed");
        return ask(g, fp);
}

static void help(void) {
        printf("Usage: vigie-gate [--config FILE] [-v]\n\n"
               "Lets a laptop into OpenVPN only if Vigie allows it. In the OpenVPN server's\n"
               "configuration (docs/enforcement.md):\n"
               "  script-security 2\n"
               "  auth-user-pass-optional\n"
               "  auth-user-pass-verify /usr/bin/vigie-gate via-file\n\n"
               "      --config FILE   settings (default " GATE_CONFIG "):\n"
               "                      [Server] URL=, CA=, Timeout=5s, Unreachable=deny|allow\n"
               "                      [Gateway] Certificate=, Key= (role gateway)\n"
               "  -v, --verbose       say why each laptop is let in\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "verbose", no_argument, NULL, 'v' },
                { "config", required_argument, NULL, 'c' },
                {}
        };
        _cleanup_(gate_done) Gate g = { .timeout = 5 * USEC_PER_SEC };
        const char *config = GATE_CONFIG;
        int c;

        log_setup("vigie-gate");
        log_set_target_stderr(true);
        log_set_max_level(LOG_NOTICE);
        /* OpenVPN appends its own arguments (depth and subject, or a file): stop at them. */
        while ((c = getopt_long(argc, argv, "+hv", options, NULL)) >= 0)
                switch (c) {
                case 'h': help(); return 0;
                case 'v': log_set_max_level(LOG_INFO); break;
                case 'c': config = optarg; break;
                default: return GATE_DENY;
                }
        if (gate_load(config, &g) < 0)
                return GATE_DENY;
        return run(&g, argc - optind, argv + optind);
}
