/* SPDX-License-Identifier: MIT */
/* vigie verify: check a stored report's signature and claims against a device certificate. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fs-util.h"
#include "i18n.h"
#include "identity.h"
#include "json-util.h"
#include "report.h"

static void help(void) {
        printf(_("Usage: vigie verify FILE|- --cert CERT [--ca CA]\n\n"
                 "Verifies a signed report (compact JWS) as an auditor would: ES256 signature by\n"
                 "the key of CERT, kid = SHA-256 of CERT, the claims well-formed and about CERT's\n"
                 "device, and with --ca, CERT issued by CA and valid when the report was signed\n"
                 "(revocation is the server's record: ask it). Prints the claims.\n\n"
                 "      --cert CERT      the device certificate (PEM)\n"
                 "      --ca CA          the Vigie CA (PEM) the certificate must chain to\n"
                 "      --prev HASH      also require the report's prev to be HASH\n"));
        cli_print_common_help();
        printf(_("\nExit status: 0 verified, 1 verification failed, 2 usage error.\n"));
}

int verb_verify(Cli *cli, int argc, char *argv[]) {
        enum { ARG_CERT = _ARG_VERB_FIRST, ARG_CA, ARG_PREV };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "cert", required_argument, NULL, ARG_CERT },
                { "ca", required_argument, NULL, ARG_CA },
                { "prev", required_argument, NULL, ARG_PREV },
                {}
        };
        _cleanup_(report_claims_freep) ReportClaims *claims = NULL;
        _cleanup_(jws_freep) Jws *jws = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *data = NULL, *err = NULL;
        const char *cert_path = NULL, *ca_path = NULL, *prev = NULL, *input;
        char hash[REPORT_HASH_SIZE];
        size_t size;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0) {
                if (cli_common_option(cli, c, optarg))
                        continue;
                switch (c) {
                case 'h': help(); return 0;
                case ARG_CERT: cert_path = optarg; break;
                case ARG_CA: ca_path = optarg; break;
                case ARG_PREV: prev = optarg; break;
                default: return cli_usage_error("verify ");
                }
        }
        if (optind + 1 != argc || !cert_path) {
                fprintf(stderr, _("vigie verify: give one report FILE (or - for standard input) and --cert CERT.\n"));
                return cli_usage_error("verify ");
        }
        input = argv[optind];
        r = streq(input, "-") ? read_fd_full(STDIN_FILENO, JWS_MAX_SIZE, &data, &size)
                              : read_file_full(input, JWS_MAX_SIZE, &data, &size);
        if (r < 0) {
                fprintf(stderr, _("vigie verify: cannot read \"%s\": %s\n"), input,
                        r == -EFBIG ? _("larger than a report can be") : strerror(-r));
                return EXIT_USAGE;
        }
        /* A report saved with echo or a text editor ends with a newline that is not part of it. */
        while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
                data[--size] = 0;
        r = pki_load_cert(cert_path, &cert);
        if (r < 0) {
                fprintf(stderr, _("vigie verify: cannot read the certificate \"%s\": %s\n"), cert_path,
                        r == -EBADMSG ? _("not a PEM certificate") : strerror(-r));
                return EXIT_USAGE;
        }
        r = report_verify(data, size, cert, &jws, &claims, &err);
        if (r == -ENOMEM)
                return EXIT_INTERNAL;
        if (r < 0) {
                fprintf(stderr, _("vigie verify: FAILED: \"%s\": %s\n"), input, strnull(err));
                return EXIT_NONCOMPLIANT;
        }
        /* At the time the report was signed: an old report stays verifiable after its
         * certificate expired. */
        if (ca_path && (r = identity_verify_cert_at(cert, ca_path, claims->iat, &err)) < 0) {
                fprintf(stderr, _("vigie verify: FAILED: %s\n"), strnull(err));
                return r == -ENOENT ? EXIT_USAGE : EXIT_NONCOMPLIANT;
        }
        if (prev && !streq_ptr(claims->prev, prev)) {
                fprintf(stderr, _("vigie verify: FAILED: prev is %s, expected %s — a report is missing or altered in the chain.\n"),
                        strnull(claims->prev), prev);
                return EXIT_NONCOMPLIANT;
        }
        if (report_hash(data, size, hash) < 0 ||
            json_parse((const char *) jws->payload, jws->payload_size, &j, NULL) < 0)
                return EXIT_INTERNAL;
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        fprintf(stderr, _("Verified: device %s, seq %lld, signed by kid %s%s; report hash %s.\n"), claims->sub,
                (long long) claims->seq, jws->kid, ca_path ? _(" (certificate chains to the CA)") : "", hash);
        return fflush(stdout) == 0 ? 0 : EXIT_INTERNAL;
}
