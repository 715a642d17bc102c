/* SPDX-License-Identifier: MIT */
/* vigie enroll: key, CSR, POST /v1/enroll with a token (or, enrolled already, with the
 * current certificate), store the certificate. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "enrollment.h"
#include "fs-util.h"
#include "i18n.h"
#include "identity.h"
#include "key-rotation.h"

static void help(void) {
        printf(_("Usage: vigie enroll [--server URL] [--token TOKEN | --token-file FILE] [--ca FILE] [--force]\n"
                 "       vigie enroll --rotate-key\n\n"
                 "Enrolls this device with the Vigie server: creates the device key when there is\n"
                 "none, sends a certificate request with a one-time token, stores the certificate.\n\n"
                 "      --server URL       server (default: Server= of the configuration)\n"
                 "      --token TOKEN      enrollment token\n"
                 "      --token-file FILE  read the token from FILE (default: EnrollTokenFile=,\n"
                 "                         %s)\n"
                 "      --ca FILE          CA that signed the server's certificate; pinned in the\n"
                 "                         state directory for every later connection\n"
                 "      --force            enroll again although this device is enrolled: with its\n"
                 "                         current certificate (no token needed), or with a one-time\n"
                 "                         token from \"vigie-server device reset ID\"\n"
                 "      --new-key          with --force: set the old device key aside and make a new\n"
                 "                         one (a TPM that lost its key; needs a device reset token)\n"
                 "      --rotate-key       replace the device key by a new one (in the TPM when\n"
                 "                         KeyStorage= allows), certified under the current one\n"),
               SYSCONFDIR "/vigie/enroll.token");
        cli_print_common_help();
}

/* device.key → device.key.replaced: kept, never used again (a TPM blob is useless anyway;
 * a file key is evidence for whoever investigates). The next enrollment makes a new key. */
static int set_key_aside(const AgentConfig *cfg) {
        _cleanup_free_ char *key = path_join(cfg->state_dir, IDENTITY_KEY_FILE), *aside = NULL;

        if (!key || asprintf(&aside, "%s.replaced", key) < 0)
                return -ENOMEM;
        if (rename(key, aside) < 0 && errno != ENOENT)
                return -errno;
        return fsync_directory_of(key) < 0 && errno != ENOENT ? -errno : 0;
}

int verb_enroll(Cli *cli, int argc, char *argv[]) {
        enum { ARG_SERVER = _ARG_VERB_FIRST, ARG_TOKEN, ARG_TOKEN_FILE, ARG_CA, ARG_FORCE, ARG_NEW_KEY, ARG_ROTATE_KEY };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "server", required_argument, NULL, ARG_SERVER },
                { "token", required_argument, NULL, ARG_TOKEN },
                { "token-file", required_argument, NULL, ARG_TOKEN_FILE },
                { "ca", required_argument, NULL, ARG_CA },
                { "force", no_argument, NULL, ARG_FORCE },
                { "new-key", no_argument, NULL, ARG_NEW_KEY },
                { "rotate-key", no_argument, NULL, ARG_ROTATE_KEY },
                {}
        };
        _cleanup_erase_free_ char *token = NULL;
        _cleanup_free_ char *device_id = NULL, *err = NULL;
        const char *server = NULL, *token_file = NULL, *ca_arg = NULL;
        bool force = false, enrolled, rotate = false, new_key = false;
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
                case ARG_NEW_KEY: new_key = true; break;
                case ARG_ROTATE_KEY: rotate = true; break;
                default: return cli_usage_error("enroll ");
                }
        }
        if ((r = cli_no_arguments("enroll", argc, argv)) != 0)
                return r;
        if ((r = cli_load_config(cli)) != 0)
                return r;
        AgentConfig *cfg = cli->config;
        if (server) {
                free(cfg->server_url);
                if (!(cfg->server_url = strdup(server)))
                        return EXIT_INTERNAL;
        }
        if (rotate) {
                const char *kind = NULL;
                if (token || token_file || ca_arg || force || new_key)
                        return cli_usage_error("enroll ");
                r = key_rotate(cfg, &kind, &err);
                if (r < 0) {
                        fprintf(stderr, _("vigie enroll: %s\n"), err ? err : strerror(-r));
                        return r == -ENOMEM ? EXIT_INTERNAL : EXIT_USAGE;
                }
                printf(kind && streq(kind, "tpm") ? _("New device key made in the TPM and certified.\n")
                                                  : _("New device key (a file) made and certified.\n"));
                return 0;
        }
        enrolled = enroll_is_enrolled(cfg);
        /* An enrolled device re-enrolls with its certificate: the token is optional then. */
        if (!token && (token_file || !(force && enrolled))) {
                token_file = token_file ?: cfg->enroll_token_file;
                r = enroll_read_token(token_file, &token, &err);
                if (r < 0) {
                        fprintf(stderr, _("vigie enroll: %s — give --token or --token-file.\n"), err);
                        return EXIT_USAGE;
                }
        }
        if (!force && enrolled) {
                _cleanup_free_ char *crt_path = path_join(cfg->state_dir, IDENTITY_CERT_FILE), *cn = NULL;
                _cleanup_(X509_freep) X509 *old = NULL;
                if (crt_path && pki_load_cert(crt_path, &old) >= 0)
                        (void) cert_common_name(old, &cn);
                printf(_("This device is already enrolled as %s (certificate \"%s\"); nothing changed.\n"
                         "Use --force to enroll again.\n"), cn ? cn : "?", strnull(crt_path));
                return 0;
        }
        if (new_key) {
                if (!force)
                        return cli_usage_error("enroll ");
                r = set_key_aside(cfg);
                if (r < 0) {
                        fprintf(stderr, _("vigie enroll: cannot set the old device key aside in \"%s\": %s\n"),
                                cfg->state_dir, strerror(-r));
                        return EXIT_INTERNAL;
                }
        }
        r = enroll_device(cfg, token, ca_arg, &device_id, &err);
        if (r < 0) {
                fprintf(stderr, _("vigie enroll: %s\n"), err ? err : strerror(-r));
                return r == -EINVAL ? EXIT_USAGE : EXIT_INTERNAL;
        }
        printf(_("Enrolled as %s.\n"), device_id);
        return 0;
}
