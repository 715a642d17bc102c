/* SPDX-License-Identifier: MIT */
/* vigie policy: the policy this laptop is judged by (the server's cached copy, else the
 * built-in default), as JSON with every default filled in. `make install` uses
 * --default to ship the built-in policy as a file. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fs-util.h"
#include "i18n.h"
#include "policy.h"

static void help(void) {
        printf(_("Usage: vigie policy [OPTIONS]\n\n"
                 "Prints the effective policy as JSON: the one the server last sent, else the\n"
                 "built-in default.\n\n"
                 "      --default        print the built-in default policy\n"));
        cli_print_common_help();
}

int verb_policy(Cli *cli, int argc, char *argv[]) {
        enum { ARG_DEFAULT = _ARG_VERB_FIRST };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "default", no_argument, NULL, ARG_DEFAULT },
                {}
        };
        _cleanup_(policy_freep) Policy *policy = NULL;
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *cached = NULL, *err = NULL;
        bool builtin = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0) {
                if (cli_common_option(cli, c, optarg))
                        continue;
                switch (c) {
                case 'h': help(); return 0;
                case ARG_DEFAULT: builtin = true; break;
                default: return cli_usage_error("policy ");
                }
        }
        r = cli_no_arguments("policy", argc, argv);
        if (r != 0)
                return r;
        if (!builtin) {
                r = cli_load_config(cli);
                if (r != 0)
                        return r;
                cached = path_join(cli->config->state_dir, "policy.json");
                if (!cached)
                        return EXIT_INTERNAL;
                if (access(cached, F_OK) == 0 && policy_load_file(cached, 0, &policy, &err) < 0) {
                        fprintf(stderr, _("vigie: cached policy \"%s\" is unreadable (%s), "
                                          "showing the built-in one.\n"), cached, strempty(err));
                        policy = NULL;
                }
        }
        if (!policy && !(policy = policy_new_default()))
                return EXIT_INTERNAL;
        j = policy_to_json(policy);
        if (!j)
                return EXIT_INTERNAL;
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        return fflush(stdout) == 0 ? 0 : EXIT_INTERNAL;
}
