/* SPDX-License-Identifier: MIT */
/* vigie report: run the checks, sign the verdict, spool it, send the spool. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "i18n.h"
#include "log.h"
#include "reporter.h"

static void help(void) {
        printf(_("Usage: vigie report [--offline|--now]\n\n"
                 "Runs the checks with the server's policy (fetched when the server is reachable,\n"
                 "else the cached one), signs the report with the device key, adds it to the\n"
                 "spool and sends every waiting report, oldest first. When the server cannot be\n"
                 "reached the reports stay queued and the command still succeeds.\n\n"
                 "      --offline        do not contact the server: sign and queue only\n"
                 "      --now            ask the running agent for a cycle now and wait for it\n"));
        cli_print_common_help();
        printf(_("\nExit status: 0 report made (sent or queued), 2 usage or configuration error\n"
                 "(not enrolled…), 3 the server refused this device, or another error.\n"));
}

int verb_report(Cli *cli, int argc, char *argv[]) {
        enum { ARG_OFFLINE = _ARG_VERB_FIRST, ARG_NOW };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "offline", no_argument, NULL, ARG_OFFLINE },
                { "now", no_argument, NULL, ARG_NOW },
                {}
        };
        _cleanup_(identity_freep) Identity *id = NULL;
        _cleanup_(transport_freep) Transport *t = NULL;
        _cleanup_(spool_freep) Spool *spool = NULL;
        _cleanup_(reporter_run_done) ReporterRun run = { .report = true };
        _cleanup_free_ char *err = NULL;
        bool offline = false, now = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0) {
                if (cli_common_option(cli, c, optarg))
                        continue;
                switch (c) {
                case 'h': help(); return 0;
                case ARG_OFFLINE: offline = true; break;
                case ARG_NOW: now = true; break;
                default: return cli_usage_error("report ");
                }
        }
        if ((r = cli_no_arguments("report", argc, argv)) != 0)
                return r;
        if ((r = cli_load_config(cli)) != 0)
                return r;
        AgentConfig *cfg = cli->config;
        if (now)
                return offline ? cli_usage_error("report ") : agent_request_report_now(cfg);

        r = identity_load(cfg, &id, &err);
        if (r == -ENODEV) {
                fprintf(stderr, _("vigie report: %s. Nothing is signed with another key: IT must re-enroll this laptop with a device reset token (docs/agent.md, \"When the TPM key is lost\").\n"),
                        err);
                return EXIT_USAGE;
        }
        if (r < 0) {
                fprintf(stderr, r == -ENOENT ?
                        _("vigie report: this device is not enrolled (no certificate in \"%s\") — run \"vigie enroll\".\n") :
                        _("vigie report: the device identity in \"%s\" is unusable (key and certificate do not match?) — run \"vigie enroll --force\".\n"),
                        cfg->state_dir);
                return EXIT_USAGE;
        }
        if (!offline && !cfg->server_url) {
                fprintf(stderr, _("vigie report: no server configured: set Server= in [Agent] or use --offline.\n"));
                return EXIT_USAGE;
        }
        /* One report at a time: the lock also covers the policy cache and the checks' state. */
        SpoolLimits limits = { .max_reports = cfg->spool_max_reports, .max_bytes = cfg->spool_max_bytes };
        r = spool_open(cfg->state_dir, &limits, 0, &spool, &err);
        if (r < 0) {
                fprintf(stderr, _("vigie report: cannot open the spool: %s\n"), strnull(err));
                return EXIT_INTERNAL;
        }
        if (!offline && (r = reporter_transport(cfg, id, &t, &err)) < 0) {
                fprintf(stderr, "vigie report: %s\n", strnull(err));
                return EXIT_USAGE;
        }
        r = reporter_run(cfg, id, spool, t, &run, &err);
        if (r < 0) {
                switch (run.failed_step) {
                case REPORTER_STEP_POLICY:
                        fprintf(stderr, _("vigie report: the cached policy is unusable: %s\n"), strnull(err));
                        break;
                case REPORTER_STEP_CHECKS:
                        fprintf(stderr, _("vigie report: the checks could not run under \"%s\".\n"), cfg->root);
                        break;
                case REPORTER_STEP_SIGN:
                        fprintf(stderr, "vigie report: %s\n", strnull(err));
                        break;
                }
                return EXIT_INTERNAL;
        }
        if (offline) {
                printf(_("Report %lld signed; queued, %zu waiting.\n"), (long long) run.seq,
                       run.delivery.waiting);
                return 0;
        }
        const FlushStats *st = &run.delivery;
        if (st->rejected > 0)
                fprintf(stderr,
                        ngettext("vigie report: %zu report refused by the server, kept in \"%s/spool/rejected/\": %s\n",
                                 "vigie report: %zu reports refused by the server, kept in \"%s/spool/rejected/\": %s\n",
                                 st->rejected),
                        st->rejected, cfg->state_dir, strnull(run.delivery_error));
        if (run.delivery_r == -EACCES) {
                fprintf(stderr, _("vigie report: the server refused this device: %s — queued, %zu waiting.\n"
                                  "The device may be revoked: ask IT, then run \"vigie enroll --force\".\n"),
                        strnull(run.delivery_error), st->waiting);
                return EXIT_INTERNAL;
        }
        if (run.delivery_r < 0 || st->waiting > 0) {
                printf(_("Report %lld signed; queued, %zu waiting (%s).\n"), (long long) run.seq, st->waiting,
                       run.delivery_error ? run.delivery_error : _("more to send next time"));
                return 0;
        }
        printf(_("Report %lld signed and sent (%zu sent).\n"), (long long) run.seq, st->sent);
        return 0;
}
