/* SPDX-License-Identifier: MIT */
/* vigie: the laptop's command line. Each verb lives in its verb-*.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "log.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

static const Verb verbs[] = {
        { "check", N_("run the compliance checks and print the verdict"), verb_check },
        { "status", N_("show what the agent last found and sent"), verb_status },
        { "policy", N_("print the policy this laptop is judged by"), verb_policy },
        { "cycle", NULL, verb_cycle }, /* internal: one cycle of vigie-agent */
        { "enroll", N_("enroll this device with the Vigie server"), verb_enroll },
        { "report", N_("check, sign and send a report (queued when offline)"), verb_report },
        { "verify", N_("verify a signed report against a device certificate"), verb_verify },
};

static void help(void) {
        printf(_("Usage: vigie [--version] [--help] COMMAND [OPTIONS]\n\n"
                 "Vigie checks that this laptop meets the security part of the remote-work\n"
                 "policy: disk encryption, patch level and backups.\n\nCommands:\n"));
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (verbs[i].summary)
                        printf("  %-8s %s\n", verbs[i].name, _(verbs[i].summary));
        printf(_("\nRun 'vigie COMMAND --help' for a command's options.\n"));
}

static int run(int argc, char *argv[]) {
        Cli cli = {};
        int r;

        if (argc < 2) {
                help();
                return EXIT_USAGE;
        }
        if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
                help();
                return 0;
        }
        if (streq(argv[1], "--version")) {
                printf("vigie %s\n", VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[1], verbs[i].name)) {
                        r = verbs[i].run(&cli, argc - 1, argv + 1);
                        agent_config_free(cli.config);
                        return r;
                }
        fprintf(stderr, _("vigie: unknown command \"%s\".\n"), argv[1]);
        return cli_usage_error(NULL);
}

int main(int argc, char *argv[]) {
        i18n_setup(I18N_TEXT);
        log_setup("vigie");
        log_set_target_stderr(true);
        log_set_max_level(LOG_NOTICE);
        return run(argc, argv);
}
