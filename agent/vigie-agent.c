/* SPDX-License-Identifier: MIT */
/* vigie-agent: the compliance daemon (vigie-agent(8)). main() parses; the Agent works. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "cleanup.h"
#include "i18n.h"
#include "log.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

static const char *arg_config = AGENT_CONFIG_PATH;

static void help(void) {
        printf(_("Usage: vigie-agent [OPTIONS]\n\n"
                 "The Vigie compliance agent: checks this laptop every report interval, signs the\n"
                 "verdict and sends it to the server. Normally started by vigie-agent.service.\n\n"
                 "      --config FILE  configuration file (default %s)\n"
                 "      --version      print the version\n"
                 "  -h, --help         this help\n\n"
                 "Signals: SIGUSR1 runs a cycle now, SIGHUP reloads, SIGTERM stops.\n"),
               AGENT_CONFIG_PATH);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_CONFIG = 0x100, ARG_VERSION };
        static const struct option options[] = {
                { "config", required_argument, NULL, ARG_CONFIG },
                { "version", no_argument, NULL, ARG_VERSION },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h': help(); return 0;
                case ARG_VERSION: printf("vigie-agent %s\n", VERSION); return 0;
                case ARG_CONFIG: arg_config = optarg; break;
                default: return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, _("vigie-agent: unexpected argument \"%s\".\n"), argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_(agent_freep) Agent *a = NULL;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        r = agent_new(arg_config, &a);
        if (r < 0)
                return EXIT_FAILURE;
        log_set_max_level(a->config->log_level);
        r = agent_start(a);
        if (r < 0)
                return EXIT_FAILURE;
        return agent_run(a) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        /* Summaries in status.json and the reports are read by people in the laptop's
         * language, while systemd starts services with the C locale. */
        i18n_use_system_locale(I18N_SYSTEM_LOCALE_FILES);
        i18n_setup(I18N_TEXT);
        log_setup("vigie-agent");
        return run(argc, argv);
}
