/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <getopt.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "i18n.h"
#include "log.h"

int cli_common_option(Cli *cli, int c, const char *arg) {
        switch (c) {
        case ARG_CONFIG:
                cli->config_path = arg;
                return 1;
        case ARG_STATE_DIR:
                cli->state_dir = arg;
                return 1;
        case 'v':
                cli->verbosity++;
                log_set_max_level(cli->verbosity > 1 ? LOG_DEBUG : LOG_INFO);
                return 1;
        }
        return 0;
}

int cli_load_config(Cli *cli) {
        _cleanup_free_ char *err = NULL;
        const char *path = cli->config_path ? cli->config_path : AGENT_CONFIG_PATH;
        int r;

        if (cli->config)
                return 0;
        if (cli->config_path && access(cli->config_path, F_OK) < 0) {
                fprintf(stderr, _("vigie: cannot read configuration \"%s\": %s\n"), path,
                        strerror(errno));
                return EXIT_USAGE;
        }
        r = agent_config_load(path, &cli->config, &err);
        if (r < 0) {
                if (err)
                        fprintf(stderr, _("vigie: bad configuration: %s\n"), err);
                else
                        fprintf(stderr, _("vigie: cannot read configuration \"%s\": %s\n"), path,
                                strerror(-r));
                return EXIT_USAGE;
        }
        if (cli->state_dir) {
                char *s = strdup(cli->state_dir);
                if (!s)
                        return EXIT_INTERNAL;
                free(cli->config->state_dir);
                cli->config->state_dir = s;
        }
        if (cli->verbosity == 0)
                log_set_max_level(cli->config->log_level < LOG_NOTICE ? cli->config->log_level : LOG_NOTICE);
        return 0;
}

int cli_no_arguments(const char *verb, int argc, char *argv[]) {
        if (optind >= argc)
                return 0;
        fprintf(stderr, _("vigie %s: unexpected argument \"%s\".\n"), verb, argv[optind]);
        fprintf(stderr, _("Try 'vigie %s --help' for more information.\n"), verb);
        return EXIT_USAGE;
}

int cli_usage_error(const char *verb) {
        fprintf(stderr, _("Try 'vigie %s--help' for more information.\n"), verb ? verb : "");
        return EXIT_USAGE;
}

void cli_print_common_help(void) {
        printf(_("      --config FILE    configuration file (default %s)\n"
                 "      --state-dir DIR  state directory (default: StateDirectory= of the config)\n"
                 "  -v, --verbose        more messages (repeat for debug)\n"
                 "  -h, --help           this help\n"),
               AGENT_CONFIG_PATH);
}

bool cli_use_colors(void) {
        const char *term = getenv("TERM");
        return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && !streq(term, "dumb");
}

const char *cli_status_color(CheckStatus s) {
        switch (s) {
        case CHECK_PASS: return "\033[1;32m";
        case CHECK_WARN: return "\033[1;33m";
        case CHECK_FAIL: return "\033[1;31m";
        default: return "\033[1;35m";
        }
}

const char *cli_status_word(CheckStatus s) {
        switch (s) {
        case CHECK_PASS: return _("PASS");
        case CHECK_WARN: return _("WARN");
        case CHECK_FAIL: return _("FAIL");
        case CHECK_UNKNOWN: return _("UNKNOWN");
        default: return _("ERROR");
        }
}
