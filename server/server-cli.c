/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "ca.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "log.h"
#include "malloc-tune.h"
#include "parse-util.h"
#include "policy.h"
#include "server-cli.h"
#include "server-conf.h"
#include "server.h"
#include "store.h"
#include "store-identity.h"
#include "store-policy.h"
#include "time-util.h"
#include "tokens.h"

static int64_t now_sec(void) {
        return (int64_t) (now_realtime() / USEC_PER_SEC);
}

/* The store named by --db, else by DIR/server.conf. */
static int open_store(ServerCli *cli, Store **ret) {
        _cleanup_(server_config_freep) ServerConfig *c = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = server_config_load(cli->dir, &c, &error);
        if (r < 0)
                return log_error_errno(r, "%s", strnull(error));
        r = store_open(cli->db ?: c->database, ret, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot open the database: %s", strnull(error));
        return 0;
}

static int load_config(ServerCli *cli, ServerConfig **ret) {
        _cleanup_free_ char *error = NULL;
        int r = server_config_load(cli->dir, ret, &error);
        if (r < 0)
                return log_error_errno(r, "%s", strnull(error));
        return 0;
}

static int store_policy(Store *s, const Policy *p) {
        return store_policy_publish(s, p, now_sec());
}

static bool is_ip_address(const char *s) {
        unsigned char buf[16];
        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int verb_init(ServerCli *cli) {
        _cleanup_(ca_freep) Ca *ca = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_(store_freep) Store *store = NULL;
        _cleanup_(policy_freep) Policy *policy = NULL;
        _cleanup_(server_config_freep) ServerConfig *config = NULL;
        _cleanup_free_ char *ca_key = path_join(cli->dir, CA_KEY_FILE), *key_path = path_join(cli->dir, SERVER_KEY_FILE),
                            *cert_path = path_join(cli->dir, SERVER_CERT_FILE), *conf = path_join(cli->dir, SERVER_CONF_FILE);
        char *dns[3] = {}, *ips[3] = {};
        size_t nd = 0, ni = 0;
        int r;

        if (!cli->name)
                return log_error_errno(EINVAL, "init needs --name HOST: the name (or address) agents use to reach this server.");
        if (!ca_key || !key_path || !cert_path || !conf)
                return log_oom();
        r = mkdir_p(cli->dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create \"%s\": %m", cli->dir);
        if (access(ca_key, F_OK) == 0)
                return log_error_errno(EEXIST, "\"%s\" already holds a Vigie CA; refusing to replace it (remove the directory to start over).", cli->dir);
        if (access(conf, F_OK) < 0) {
                r = write_file_atomic(conf, server_config_template, strlen(server_config_template), 0644);
                if (r < 0)
                        return log_error_errno(r, "Cannot write \"%s\": %m", conf);
        }
        r = load_config(cli, &config);
        if (r < 0)
                return r;

        r = ca_create(cli->name, &ca);
        if (r < 0)
                return log_error_errno(r, "Cannot create the CA: %m");
        /* Agents reach the server by --name; tests and the demo by loopback. */
        if (is_ip_address(cli->name))
                ips[ni++] = (char *) cli->name;
        else
                dns[nd++] = (char *) cli->name;
        if (!streq(cli->name, "localhost"))
                dns[nd++] = (char *) "localhost";
        if (!streq(cli->name, "127.0.0.1"))
                ips[ni++] = (char *) "127.0.0.1";
        ips[ni++] = (char *) "::1";
        r = key_new_p256(&key);
        if (r >= 0)
                r = ca_issue(ca, key, &(CertRequest) { .cn = cli->name, .role = "server", .server = true,
                                                       .dns = dns, .ips = ips,
                                                       .lifetime = 2 * 365 * USEC_PER_DAY }, &cert);
        if (r < 0)
                return log_error_errno(r, "Cannot issue the server certificate: %m");
        r = store_open(cli->db ?: config->database, &store, NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot create the database \"%s\": %m", cli->db ?: config->database);
        policy = policy_new_default();
        if (!policy)
                return log_oom();
        r = store_policy(store, policy);
        if (r < 0)
                return log_error_errno(r, "Cannot initialise the database: %s", store_error(store));
        /* The CA key last: its presence is what marks the directory as initialised. */
        r = pem_write_key(key_path, key);
        if (r >= 0)
                r = pem_write_cert(cert_path, cert, ca->cert);
        if (r >= 0)
                r = ca_save(ca, cli->dir);
        if (r < 0)
                return log_error_errno(r, "Cannot write the keys into \"%s\": %m", cli->dir);
        printf(_("Initialised %s for \"%s\":\n  CA certificate (give it to agents): %s/%s\n"
                 "  database: %s\nNext: vigie-server token create --dir %s\n"),
               cli->dir, cli->name, cli->dir, CA_CERT_FILE, cli->db ?: config->database, cli->dir);
        return 0;
}

static int verb_token_create(ServerCli *cli) {
        _cleanup_(store_freep) Store *store = NULL;
        _cleanup_erase_free_ char *token = NULL;
        char hash[SHA256_HEX_SIZE];
        int64_t now = now_sec();
        int r;

        if (cli->uses < 1)
                return log_error_errno(EINVAL, "--uses must be at least 1.");
        r = open_store(cli, &store);
        if (r < 0)
                return r;
        r = token_generate(&token, hash);
        if (r < 0)
                return log_error_errno(r, "Cannot generate a token: %m");
        r = store_token_add(store, hash, &(StoreToken) {
                .label = (char *) cli->label, .uses_left = cli->uses, .created_at = now,
                .expires_at = cli->ttl ? now + (int64_t) (cli->ttl / USEC_PER_SEC) : 0 });
        if (r < 0)
                return log_error_errno(r, "Cannot store the token: %s", store_error(store));
        puts(token);
        return 0;
}

static int print_token(const StoreToken *t, void *userdata) {
        ServerCli *cli = userdata;
        char exp[RFC3339_MAX] = "never";
        const char *state = t->revoked_at ? "revoked"
                            : t->expires_at && t->expires_at <= now_sec() ? "expired"
                            : t->uses_left <= 0 ? "used-up" : "valid";

        if (t->expires_at)
                format_rfc3339((usec_t) t->expires_at * USEC_PER_SEC, exp);
        if (cli->json) {
                _cleanup_json_ json_object *j = json_object_new_object();
                if (!j || json_add_string(j, "id", t->id) < 0 || json_add_string(j, "label", t->label) < 0 ||
                    json_add_int(j, "uses_left", t->uses_left) < 0 ||
                    json_add_string(j, "expires", t->expires_at ? exp : NULL) < 0 ||
                    json_add_string(j, "state", state) < 0)
                        return -ENOMEM;
                puts(json_compact(j));
        } else
                printf("%-12s  %-8s  %4" PRId64 "  %-20s  %s\n", t->id, state, t->uses_left, exp, strempty(t->label));
        return 0;
}

static int verb_token_list(ServerCli *cli) {
        _cleanup_(store_freep) Store *store = NULL;
        int r = open_store(cli, &store);
        if (r < 0)
                return r;
        if (!cli->json)
                printf("%-12s  %-8s  %4s  %-20s  %s\n", "ID", "STATE", "USES", "EXPIRES", "LABEL");
        r = store_token_list(store, print_token, cli);
        if (r < 0)
                return log_error_errno(r, "Cannot list tokens: %s", store_error(store));
        return 0;
}

static int verb_token_revoke(ServerCli *cli) {
        _cleanup_(store_freep) Store *store = NULL;
        int r = open_store(cli, &store);
        if (r < 0)
                return r;
        r = store_token_revoke(store, cli->args[0], now_sec());
        if (r == -EINVAL)
                return log_error_errno(r, "\"%s\" is not a token id: use the ID column of \"token list\" (at least 6 hex digits).", cli->args[0]);
        if (r == -ENOENT)
                return log_error_errno(r, "No token with id \"%s\".", cli->args[0]);
        if (r == -ENOTUNIQ)
                return log_error_errno(r, "\"%s\" matches several tokens; give more digits.", cli->args[0]);
        if (r == -EALREADY)
                return log_error_errno(r, "Token \"%s\" is already revoked.", cli->args[0]);
        if (r < 0)
                return log_error_errno(r, "Cannot revoke the token: %s", store_error(store));
        printf(_("Token %s revoked.\n"), cli->args[0]);
        return 0;
}

static int verb_revoke(ServerCli *cli) {
        _cleanup_(store_freep) Store *store = NULL;
        int r = open_store(cli, &store);
        if (r < 0)
                return r;
        r = store_device_revoke(store, cli->args[0], now_sec());
        if (r == -ENOENT)
                return log_error_errno(r, "No enrolled device \"%s\" (or it is already revoked).", cli->args[0]);
        if (r < 0)
                return log_error_errno(r, "Cannot revoke: %s", store_error(store));
        printf(_("Device %s revoked: its connections and reports are refused from now on.\n"), cli->args[0]);
        return 0;
}

/* A one-time token that re-enrolls this one device id (a reinstalled laptop that lost its
 * key); the fleet token cannot. */
static int verb_device_reset(ServerCli *cli) {
        _cleanup_(store_freep) Store *store = NULL;
        _cleanup_(store_device_done) StoreDevice dev = {};
        _cleanup_erase_free_ char *token = NULL;
        char hash[SHA256_HEX_SIZE];
        const char *id = cli->args[0];
        int64_t now = now_sec();
        int r = open_store(cli, &store);

        if (r < 0)
                return r;
        r = store_device_get(store, id, &dev);
        if (r == -ENOENT)
                return log_error_errno(r, "No enrolled device \"%s\": a new device enrolls with an enrollment token.", id);
        if (r < 0)
                return log_error_errno(r, "Cannot read the device: %s", store_error(store));
        if (dev.revoked_at)
                return log_error_errno(EPERM, "Device %s is revoked; a revoked device cannot re-enroll.", id);
        r = token_generate(&token, hash);
        if (r < 0)
                return log_error_errno(r, "Cannot generate a token: %m");
        r = store_begin(store);
        if (r >= 0)
                r = store_reset_add(store, hash, id, now, now + (int64_t) ((cli->ttl ?: 7 * USEC_PER_DAY) / USEC_PER_SEC));
        if (r >= 0)
                r = store_identity_event_add(store, id, now, "reset_issued", NULL, NULL);
        if (r >= 0)
                r = store_commit(store);
        else
                (void) store_rollback(store);
        if (r < 0)
                return log_error_errno(r, "Cannot store the reset token: %s", store_error(store));
        puts(token);
        return 0;
}

static int verb_admin_cert_create(ServerCli *cli) {
        _cleanup_(store_freep) Store *store = NULL;
        _cleanup_(ca_freep) Ca *ca = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_(server_config_freep) ServerConfig *config = NULL;
        _cleanup_free_ char *kp = NULL, *cp = NULL, *cap = NULL;
        const char *name = cli->args[0], *role = cli->role ?: "admin";
        CertRole cr = cert_role_from_string(role);
        CertInfo info;
        int r;

        if (cr != CERT_ROLE_ADMIN && cr != CERT_ROLE_SCRAPER && cr != CERT_ROLE_GATEWAY)
                return log_error_errno(EINVAL, "--role must be \"admin\", \"scraper\" or \"gateway\", not \"%s\".", role);
        if (!cli->out)
                return log_error_errno(EINVAL, "admin-cert create needs --out DIR.");
        if (!*name || strchr(name, '/') || string_has_cc(name) || strlen(name) > 64)
                return log_error_errno(EINVAL, "\"%s\" cannot name a certificate: use letters, digits, '-', '.'.", name);
        r = load_config(cli, &config);
        if (r < 0)
                return r;
        r = ca_load(cli->dir, &ca);
        if (r < 0)
                return log_error_errno(r, "Cannot load the CA from \"%s\": %m", cli->dir);
        r = open_store(cli, &store);
        if (r < 0)
                return r;
        r = key_new_p256(&key);
        if (r >= 0)
                r = ca_issue(ca, key, &(CertRequest) { .cn = name, .role = role,
                                                       .lifetime = cli->lifetime ?: config->client_cert_lifetime }, &cert);
        if (r >= 0)
                r = cert_get_info(cert, &info);
        if (r < 0)
                return log_error_errno(r, "Cannot issue the certificate: %m");
        r = store_cert_add(store, &(StoreCert) { .serial = info.serial, .role = cr, .subject = name,
                                                 .fingerprint = info.fingerprint, .not_before = info.not_before,
                                                 .not_after = info.not_after, .issued_at = now_sec() });
        if (r < 0)
                return log_error_errno(r, "Cannot record the certificate: %s", store_error(store));
        r = mkdir_p(cli->out, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create \"%s\": %m", cli->out);
        if (asprintf(&kp, "%s/%s.key", cli->out, name) < 0 || asprintf(&cp, "%s/%s.pem", cli->out, name) < 0 ||
            !(cap = path_join(cli->out, CA_CERT_FILE)))
                return log_oom();
        r = pem_write_key(kp, key);
        if (r >= 0)
                r = pem_write_cert(cp, cert, NULL);
        if (r >= 0)
                r = pem_write_cert(cap, ca->cert, NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot write into \"%s\": %m", cli->out);
        printf(_("Wrote %s (key, keep it private), %s and %s (serial %s, role %s).\n"), kp, cp, cap,
               info.serial, role);
        return 0;
}

static int verb_policy_set(ServerCli *cli) {
        _cleanup_(store_freep) Store *store = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = policy_load_file(cli->args[0], POLICY_STRICT, &p, &error);
        if (r < 0)
                return log_error_errno(r, "Policy \"%s\" refused: %s", cli->args[0], error ? error : strerror(-r));
        r = open_store(cli, &store);
        if (r < 0)
                return r;
        r = store_policy(store, p);
        if (r == -EEXIST)
                return log_error_errno(r, "Policy \"%s\" version %" PRId64 " was already published with other "
                                       "content; give the new policy a higher \"version\".", p->policy_id, p->version);
        if (r < 0)
                return log_error_errno(r, "Cannot store the policy: %s", store_error(store));
        printf(_("Policy \"%s\" version %" PRId64 " set; agents fetch it on their next report; "
                 "%d device verdict(s) changed.\n"),
               p->policy_id, p->version, r);
        return 0;
}

static int verb_policy_show(ServerCli *cli) {
        _cleanup_(store_freep) Store *store = NULL;
        _cleanup_free_ char *text = NULL;
        int r = open_store(cli, &store);
        if (r < 0)
                return r;
        r = store_meta_get(store, "policy", &text);
        if (r < 0)
                return log_error_errno(r, "Cannot read the policy: %m");
        puts(text);
        return 0;
}

/* Each report's body, inflated text and decoded claims (40–50 KB for a laptop's) are
 * allocated and freed again and again: kept mapped, they cost no page faults (a real report
 * took 6.6 faults and 388 µs of CPU, 0.03 and 264 µs kept; docs/performance.md). A burst's
 * freed heap above 16 MiB still goes back to the system. */
#define SERVE_HEAP_KEEP (16u << 20)
#define SERVE_MMAP_MIN (2u << 20) /* above MaxBodySize's default, 1 MiB, and its inflate */

static int verb_serve(ServerCli *cli) {
        _cleanup_(server_freep) Server *s = NULL;
        int r;

        if (malloc_keep_freed(SERVE_HEAP_KEEP, SERVE_MMAP_MIN) < 0)
                log_debug("malloc keeps its defaults (mallopt refused: a sanitizer build?)");
        r = server_new(cli->dir, cli->listen, cli->db, &s);
        if (r < 0)
                return r;
        return server_run(s);
}

const ServerVerb server_verbs[] = {
        { "init", "init --dir DIR --name HOST", N_("create the CA, the server certificate, the database and the default policy"), 0, 0, verb_init },
        { "token create", "token create [--uses N] [--ttl 7d] [--label L]", N_("print a new enrollment token"), 0, 0, verb_token_create },
        { "token list", "token list [--json]", N_("list enrollment tokens"), 0, 0, verb_token_list },
        { "token revoke", "token revoke ID", N_("revoke an enrollment token"), 1, 1, verb_token_revoke },
        { "revoke", "revoke DEVICE", N_("revoke a device: its certificates and reports are refused"), 1, 1, verb_revoke },
        { "device reset", "device reset DEVICE [--ttl 7d]", N_("print a one-time token that re-enrolls this device id (a reinstalled laptop)"), 1, 1, verb_device_reset },
        { "admin-cert create", "admin-cert create NAME --out DIR [--role admin|scraper|gateway] [--lifetime 365d]", N_("issue a client certificate for security teams, a metrics scraper or an access gateway"), 1, 1, verb_admin_cert_create },
        { "policy set", "policy set FILE", N_("validate and publish the policy agents fetch"), 1, 1, verb_policy_set },
        { "policy show", "policy show", N_("print the current policy"), 0, 0, verb_policy_show },
        { "serve", "serve [--listen ADDR:PORT] [--db sqlite:PATH|postgres:CONNINFO]", N_("run the collector"), 0, 0, verb_serve },
};
const size_t server_verbs_count = ELEMENTSOF(server_verbs);
