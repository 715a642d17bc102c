/* SPDX-License-Identifier: MIT */
/* vigie enroll: key, CSR, POST /v1/enroll with a one-time token, store the certificate. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "cleanup.h"
#include "cli.h"
#include "fs-util.h"
#include "i18n.h"
#include "identity.h"
#include "log.h"
#include "json-util.h"
#include "reporter.h"
#include "transport.h"

#define TOKEN_MAX 1024

static void help(void) {
        printf(_("Usage: vigie enroll [--server URL] [--token TOKEN | --token-file FILE] [--ca FILE] [--force]\n\n"
                 "Enrolls this device with the Vigie server: creates the device key when there is\n"
                 "none, sends a certificate request with a one-time token, stores the certificate.\n\n"
                 "      --server URL       server (default: Server= of the configuration)\n"
                 "      --token TOKEN      enrollment token\n"
                 "      --token-file FILE  read the token from FILE (default: EnrollTokenFile=,\n"
                 "                         %s)\n"
                 "      --ca FILE          CA that signed the server's certificate; pinned in the\n"
                 "                         state directory for every later connection\n"
                 "      --force            enroll again although this device is enrolled\n"),
               SYSCONFDIR "/vigie/enroll.token");
        cli_print_common_help();
}

static int read_token(const char *path, char **ret) {
        _cleanup_erase_free_ char *buf = NULL;
        size_t size;
        int r = read_file_full(path, TOKEN_MAX, &buf, &size);

        if (r < 0)
                return r;
        while (size > 0 && strchr(" \t\r\n", buf[size - 1]))
                buf[--size] = 0;
        if (size == 0 || memchr(buf, 0, size))
                return -EBADMSG;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Checks what the server sent back against what we asked for, and stores it. */
static int store_enrollment(const AgentConfig *c, EVP_PKEY *key, const char *device_id,
                            json_object *resp, const char *ca_arg) {
        _cleanup_free_ char *cn = NULL, *crt_path = path_join(c->state_dir, IDENTITY_CERT_FILE),
                            *ca_path = path_join(c->state_dir, IDENTITY_CA_FILE), *ca_tmp = NULL,
                            *err = NULL, *ca_copy = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_(BIO_free_allp) BIO *bio = NULL;
        const char *id = NULL, *pem = NULL, *ca = NULL;
        size_t ca_size;
        int r;

        if (!crt_path || !ca_path)
                return log_oom();
        if (json_get_string(resp, "", "device_id", &id, &err) < 0 ||
            json_get_string(resp, "", "certificate", &pem, &err) < 0 ||
            json_get_string(resp, "", "ca", &ca, &err) < 0) {
                fprintf(stderr, _("vigie: the server's enrollment answer is incomplete: %s\n"),
                        err ? err : _("device_id, certificate and ca are required"));
                return -EBADMSG;
        }
        if (!streq(id, device_id)) {
                fprintf(stderr, _("vigie: the server enrolled device \"%s\", not this device \"%s\".\n"), id, device_id);
                return -EBADMSG;
        }
        bio = BIO_new_mem_buf(pem, -1);
        cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        ERR_clear_error();
        if (!cert || cert_common_name(cert, &cn) < 0 || !streq(cn, device_id) ||
            X509_check_private_key(cert, key) != 1) {
                ERR_clear_error();
                fprintf(stderr, _("vigie: the certificate the server sent is not for this device's key and id.\n"));
                return -EBADMSG;
        }
        /* The issued certificate must chain to the CA the server names. */
        if (asprintf(&ca_tmp, "%s/.enroll-ca.pem", c->state_dir) < 0)
                return log_oom();
        r = write_file_atomic(ca_tmp, ca, strlen(ca), 0644);
        if (r >= 0) {
                r = identity_verify_cert(cert, ca_tmp, &err);
                (void) unlink(ca_tmp);
        }
        if (r < 0) {
                fprintf(stderr, _("vigie: the server's certificate for this device is not valid: %s\n"),
                        err ? err : strerror(-r));
                return r;
        }
        /* --ca pins the server CA for later runs; device.crt last: its presence means "enrolled". */
        if (ca_arg) {
                r = read_file_full(ca_arg, 1024 * 1024, &ca_copy, &ca_size);
                if (r >= 0 && !streq(ca_arg, ca_path))
                        r = write_file_atomic(ca_path, ca_copy, ca_size, 0644);
                if (r < 0)
                        return log_error_errno(r, "Failed to store the CA in \"%s\": %m", ca_path);
        }
        r = write_file_atomic(crt_path, pem, strlen(pem), 0644);
        if (r < 0)
                return log_error_errno(r, "Failed to store the certificate in \"%s\": %m", crt_path);
        return 0;
}

int verb_enroll(Cli *cli, int argc, char *argv[]) {
        enum { ARG_SERVER = _ARG_VERB_FIRST, ARG_TOKEN, ARG_TOKEN_FILE, ARG_CA, ARG_FORCE };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "server", required_argument, NULL, ARG_SERVER },
                { "token", required_argument, NULL, ARG_TOKEN },
                { "token-file", required_argument, NULL, ARG_TOKEN_FILE },
                { "ca", required_argument, NULL, ARG_CA },
                { "force", no_argument, NULL, ARG_FORCE },
                {}
        };
        _cleanup_erase_free_ char *token = NULL;
        _cleanup_free_ char *key_uri = NULL, *crt_path = NULL, *csr = NULL, *ca = NULL, *err = NULL,
                            *describe = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(transport_freep) Transport *t = NULL;
        _cleanup_json_ json_object *req = NULL, *resp_json = NULL;
        const char *server = NULL, *token_file = NULL, *ca_arg = NULL, *body;
        char device_id[DEVICE_ID_SIZE];
        TransportResponse resp = {};
        bool force = false, provider;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0) {
                if (cli_common_option(cli, c, optarg))
                        continue;
                switch (c) {
                case 'h': help(); return 0;
                case ARG_SERVER: server = optarg; break;
                case ARG_TOKEN:
                        free(token);
                        if (!(token = strdup(optarg)))
                                return EXIT_INTERNAL;
                        break;
                case ARG_TOKEN_FILE: token_file = optarg; break;
                case ARG_CA: ca_arg = optarg; break;
                case ARG_FORCE: force = true; break;
                default: return cli_usage_error("enroll ");
                }
        }
        if (optind < argc) {
                fprintf(stderr, _("vigie enroll: unexpected argument \"%s\".\n"), argv[optind]);
                return cli_usage_error("enroll ");
        }
        if ((r = cli_load_config(cli)) != 0)
                return r;
        AgentConfig *cfg = cli->config;
        if (server) {
                free(cfg->server_url);
                if (!(cfg->server_url = strdup(server)))
                        return EXIT_INTERNAL;
        }
        if (!cfg->server_url || strncmp(cfg->server_url, "https://", 8) != 0) {
                fprintf(stderr, _("vigie enroll: no https:// server: give --server URL or set Server= in [Agent].\n"));
                return EXIT_USAGE;
        }
        if (!token) {
                token_file = token_file ?: cfg->enroll_token_file;
                r = read_token(token_file, &token);
                if (r < 0) {
                        fprintf(stderr, _("vigie enroll: cannot read the enrollment token from \"%s\": %s — give --token or --token-file.\n"),
                                token_file, r == -EBADMSG ? _("empty or not text") : strerror(-r));
                        return EXIT_USAGE;
                }
        }
        if ((r = mkdir_p(cfg->state_dir, 0700)) < 0) {
                fprintf(stderr, _("vigie enroll: cannot create the state directory \"%s\": %s\n"), cfg->state_dir, strerror(-r));
                return EXIT_USAGE;
        }
        crt_path = path_join(cfg->state_dir, IDENTITY_CERT_FILE);
        if (!crt_path)
                return EXIT_INTERNAL;
        if (!force && access(crt_path, F_OK) == 0) {
                _cleanup_(X509_freep) X509 *old = NULL;
                _cleanup_free_ char *cn = NULL;
                if (identity_load_cert(crt_path, &old) >= 0)
                        (void) cert_common_name(old, &cn);
                printf(_("This device is already enrolled as %s (certificate \"%s\"); nothing changed.\n"
                         "Use --force to enroll again.\n"), cn ? cn : "?", crt_path);
                return 0;
        }
        if ((r = device_id_get(cfg->device_id_seed, device_id)) < 0) {
                fprintf(stderr, _("vigie enroll: cannot derive the device id from the machine id: %s\n"), strerror(-r));
                return EXIT_INTERNAL;
        }
        if ((r = identity_key_uri(cfg, &key_uri, &provider)) < 0)
                return EXIT_INTERNAL;
        if (!provider) {
                const char *path = key_uri + strlen("file:");
                r = identity_generate_key(path);
                if (r < 0 && r != -EEXIST) {
                        fprintf(stderr, _("vigie enroll: cannot create the device key \"%s\": %s\n"), path, strerror(-r));
                        return EXIT_INTERNAL;
                }
        }
        r = identity_load_key(key_uri, &key);
        if (r < 0) {
                fprintf(stderr, _("vigie enroll: cannot load the device key \"%s\": %s\n"), key_uri,
                        r == -EINVAL ? _("not an ECDSA P-256 key") : strerror(-r));
                return EXIT_USAGE;
        }
        if ((r = identity_make_csr(key, device_id, &csr)) < 0) {
                fprintf(stderr, _("vigie enroll: cannot make the certificate request: %s\n"), strerror(-r));
                return EXIT_INTERNAL;
        }
        req = json_object_new_object();
        if (!req || json_add_string(req, "token", token) < 0 || json_add_string(req, "csr", csr) < 0)
                return EXIT_INTERNAL;
        if (ca_arg && access(ca_arg, R_OK) < 0) {
                fprintf(stderr, _("vigie enroll: cannot read the CA \"%s\": %s\n"), ca_arg, strerror(errno));
                return EXIT_USAGE;
        }
        if (!ca_arg && identity_ca_path(cfg, &ca) < 0)
                return EXIT_INTERNAL;
        TransportOptions o = {
                .server_url = cfg->server_url,
                .ca_file = ca_arg ? ca_arg : ca,
                .connect_timeout = cfg->connect_timeout,
                .timeout = cfg->timeout,
        };
        if ((r = transport_new(&o, &t)) < 0) {
                fprintf(stderr, _("vigie enroll: cannot set up HTTPS: %s\n"), strerror(-r));
                return EXIT_INTERNAL;
        }
        body = json_compact(req);
        r = transport_request(t, "POST", "/v1/enroll", "application/json", body, strlen(body), NULL, &resp, &err);
        explicit_bzero((char *) body, strlen(body)); /* it held the token */
        if (r < 0) {
                fprintf(stderr, _("vigie enroll: cannot reach \"%s\": %s\n"), cfg->server_url, strnull(err));
                return EXIT_INTERNAL;
        }
        if (resp.status != 200 && resp.status != 201) {
                describe = transport_response_describe(&resp);
                fprintf(stderr, _("vigie enroll: the server refused the enrollment: %s\n"), strnull(describe));
                transport_response_done(&resp);
                return EXIT_INTERNAL;
        }
        r = json_parse(resp.body, resp.body_size, &resp_json, &err);
        transport_response_done(&resp);
        if (r < 0) {
                fprintf(stderr, _("vigie enroll: the server's answer is not JSON: %s\n"), strnull(err));
                return EXIT_INTERNAL;
        }
        if (store_enrollment(cfg, key, device_id, resp_json, ca_arg) < 0)
                return EXIT_INTERNAL;
        printf(_("Enrolled as %s.\n"), device_id);
        return 0;
}
