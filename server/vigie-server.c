/* SPDX-License-Identifier: MIT */
/* vigie-server: the collector and its administration. Subcommands in server-cli.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "parse-util.h"
#include "server-cli.h"
#include "server-conf.h"

enum {
        ARG_DIR = 0x100,
        ARG_DB,
        ARG_NAME,
        ARG_USES,
        ARG_TTL,
        ARG_LABEL,
        ARG_OUT,
        ARG_ROLE,
        ARG_LISTEN,
        ARG_LIFETIME,
        ARG_JSON,
        ARG_VERSION,
};

static const struct option options[] = {
        { "dir", required_argument, NULL, ARG_DIR },
        { "db", required_argument, NULL, ARG_DB },
        { "name", required_argument, NULL, ARG_NAME },
        { "uses", required_argument, NULL, ARG_USES },
        { "ttl", required_argument, NULL, ARG_TTL },
        { "label", required_argument, NULL, ARG_LABEL },
        { "out", required_argument, NULL, ARG_OUT },
        { "role", required_argument, NULL, ARG_ROLE },
        { "listen", required_argument, NULL, ARG_LISTEN },
        { "lifetime", required_argument, NULL, ARG_LIFETIME },
        { "json", no_argument, NULL, ARG_JSON },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        {}
};

static void help(void) {
        printf(_("Usage: vigie-server COMMAND [--dir DIR] [--db URL] [OPTIONS]\n\n"
                 "The Vigie collector: enrollment CA, signed-report ingest over mutual TLS.\n"
                 "DIR defaults to %s; the database to DIR/%s (SQLite).\n\nCommands:\n"),
               SERVER_DIR_DEFAULT, SERVER_DB_FILE);
        for (size_t i = 0; i < server_verbs_count; i++)
                printf("  %-70s\n      %s\n", server_verbs[i].usage, _(server_verbs[i].summary));
}

static int usage_error(const char *fmt, const char *arg) {
        fprintf(stderr, "vigie-server: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, _("\nTry 'vigie-server --help'.\n"));
        return 2;
}

static int run(int argc, char *argv[]) {
        ServerCli cli = { .dir = getenv("VIGIE_SERVER_DIR") ?: SERVER_DIR_DEFAULT, .uses = 1,
                          .ttl = 7 * USEC_PER_DAY };
        const ServerVerb *verb = NULL;
        int c, verbosity = 0, words = 0;

        if (argc >= 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
                help();
                return 0;
        }
        if (argc >= 2 && streq(argv[1], "--version")) {
                printf("vigie-server %s\n", VERSION);
                return 0;
        }
        /* The verb is one or two words: "serve", "token create". */
        for (size_t i = 0; i < server_verbs_count && !verb; i++) {
                const char *n = server_verbs[i].name, *sp = strchr(n, ' ');
                if (argc >= 2 && !sp && streq(argv[1], n))
                        verb = &server_verbs[i], words = 1;
                else if (argc >= 3 && sp && strncmp(argv[1], n, sp - n) == 0 &&
                         strlen(argv[1]) == (size_t) (sp - n) && streq(argv[2], sp + 1))
                        verb = &server_verbs[i], words = 2;
        }
        if (!verb) {
                if (argc < 2) {
                        help();
                        return 2;
                }
                return usage_error(_("unknown command \"%s\"."), argv[1]);
        }
        argc -= words;
        argv += words;
        optind = 1;
        while ((c = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                switch (c) {
                case ARG_DIR: cli.dir = optarg; break;
                case ARG_DB: cli.db = optarg; break;
                case ARG_NAME: cli.name = optarg; break;
                case ARG_LABEL: cli.label = optarg; break;
                case ARG_OUT: cli.out = optarg; break;
                case ARG_ROLE: cli.role = optarg; break;
                case ARG_LISTEN: cli.listen = optarg; break;
                case ARG_JSON: cli.json = true; break;
                case ARG_USES:
                        if (parse_int64(optarg, &cli.uses) < 0 || cli.uses < 1)
                                return usage_error(_("--uses \"%s\": expected a number ≥ 1."), optarg);
                        break;
                case ARG_TTL:
                        if (parse_duration(optarg, &cli.ttl) < 0)
                                return usage_error(_("--ttl \"%s\": expected a duration like 7d or 12h (0: never)."), optarg);
                        break;
                case ARG_LIFETIME:
                        if (parse_duration(optarg, &cli.lifetime) < 0 || cli.lifetime < USEC_PER_HOUR)
                                return usage_error(_("--lifetime \"%s\": expected a duration ≥ 1h like 365d."), optarg);
                        break;
                case 'v': verbosity++; break;
                case 'h':
                        printf("Usage: vigie-server %s\n  %s\n", verb->usage, _(verb->summary));
                        return 0;
                default:
                        return usage_error("%s", _("invalid option."));
                }
        }
        cli.args = argv + optind;
        cli.n_args = argc - optind;
        if (cli.n_args < verb->min_args || cli.n_args > verb->max_args)
                return usage_error(_("usage: vigie-server %s"), verb->usage);
        if (verbosity)
                log_set_max_level(verbosity > 1 ? LOG_DEBUG : LOG_INFO);
        return verb->run(&cli) < 0 ? 1 : 0;
}

int main(int argc, char *argv[]) {
        i18n_setup(I18N_TEXT);
        log_setup("vigie-server");
        log_set_max_level(LOG_INFO);
        return run(argc, argv);
}
