/* SPDX-License-Identifier: MIT */
/* vigie check: run the checks here and now, print the verdict. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-runner.h"
#include "checks.h"
#include "cleanup.h"
#include "cli.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "parse-util.h"
#include "policy.h"
#include "time-util.h"

static void print_human(CheckResult *const *results, size_t n) {
        bool color = cli_use_colors();
        size_t ok = 0, required = 0;

        for (size_t i = 0; i < n; i++) {
                const CheckResult *r = results[i];
                char buf[RFC3339_MAX];

                printf("%s%-7s%s %s%s%s%s\n", color ? cli_status_color(r->status) : "",
                       cli_status_word(r->status), color ? ANSI_RESET : "", color ? ANSI_BOLD : "",
                       r->title, color ? ANSI_RESET : "", r->required ? "" : _(" (not required)"));
                printf("        %s\n", strempty(r->summary));
                if (r->deadline)
                        printf(_("        Deadline: %s\n"), format_rfc3339(r->deadline, buf));
                if (r->remediation)
                        printf(_("        To fix: %s\n"), r->remediation);
                if (r->required) {
                        required++;
                        ok += check_status_ok(r->status);
                }
        }
        bool compliant = check_results_compliant(results, n);
        printf("\n%s%s%s ", color ? ANSI_BOLD : "", compliant ? _("Compliant.") : _("Not compliant."),
               color ? ANSI_RESET : "");
        printf(_("%zu of %zu required checks pass.\n"), ok, required);
}

static int load_policy(const char *policy_path, const char *state_dir, Policy **ret) {
        _cleanup_free_ char *err = NULL, *cached = NULL;
        int r;

        if (!policy_path && state_dir) {
                /* The policy the server last sent, when there is one. */
                cached = path_join(state_dir, "policy.json");
                if (cached && access(cached, R_OK) == 0 &&
                    policy_load_file(cached, 0, ret, &err) >= 0)
                        return 0;
                free(err);
                err = NULL;
        }
        if (!policy_path) {
                *ret = policy_new_default();
                return *ret ? 0 : -ENOMEM;
        }
        r = policy_load_file(policy_path, 0, ret, &err);
        if (r < 0) {
                fprintf(stderr, _("vigie: bad policy \"%s\": %s\n"), policy_path,
                        err ? err : strerror(-r));
                return r;
        }
        return 0;
}

static void print_check_ids(void) {
        printf(_("\nChecks (--only ID):\n"));
        for (size_t i = 0; i < check_registry_size; i++)
                printf("  %-20s %s\n", check_id(check_registry[i]), _(check_registry[i]->title));
}

static void help(void) {
        printf(_("Usage: vigie check [OPTIONS]\n\n"
                 "Runs the compliance checks on this machine and prints the verdict.\n\n"
                 "      --json           machine-readable output\n"
                 "      --root DIR       check the system under DIR instead of /\n"
                 "      --policy FILE    policy JSON (default: cached server policy, else built-in)\n"
                 "      --only ID        run only this check (repeatable; see below)\n"
                 "      --state FILE     state file for grace periods (default STATE_DIR/state.json\n"
                 "                       when writable); --no-state keeps none\n"));
        cli_print_common_help();
        print_check_ids();
        printf(_("\nExit status: 0 compliant, 1 not compliant, 2 usage or configuration error,\n"
                 "3 internal error.\n"));
}

int verb_check(Cli *cli, int argc, char *argv[]) {
        enum { ARG_JSON = _ARG_VERB_FIRST, ARG_ROOT, ARG_POLICY, ARG_ONLY, ARG_STATE, ARG_NO_STATE };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "json", no_argument, NULL, ARG_JSON },
                { "root", required_argument, NULL, ARG_ROOT },
                { "policy", required_argument, NULL, ARG_POLICY },
                { "only", required_argument, NULL, ARG_ONLY },
                { "state", required_argument, NULL, ARG_STATE },
                { "no-state", no_argument, NULL, ARG_NO_STATE },
                {}
        };
        _cleanup_strv_free_ char **only = NULL;
        _cleanup_(policy_freep) Policy *policy = NULL;
        _cleanup_free_ char *state_path = NULL;
        const char *root = NULL, *policy_path = NULL;
        CheckResult **results = NULL;
        bool json = false, no_state = false;
        size_t n = 0;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0) {
                if (cli_common_option(cli, c, optarg))
                        continue;
                switch (c) {
                case 'h': help(); return 0;
                case ARG_JSON: json = true; break;
                case ARG_ROOT: root = optarg; break;
                case ARG_POLICY: policy_path = optarg; break;
                case ARG_ONLY:
                        if (strv_extend(&only, optarg) < 0)
                                return EXIT_INTERNAL;
                        break;
                case ARG_STATE:
                        free(state_path);
                        if (!(state_path = strdup(optarg)))
                                return EXIT_INTERNAL;
                        break;
                case ARG_NO_STATE: no_state = true; break;
                default: return cli_usage_error("check ");
                }
        }
        if ((r = cli_no_arguments("check", argc, argv)) != 0)
                return r;
        r = cli_load_config(cli);
        if (r != 0)
                return r;
        if (!root)
                root = cli->config->root;
        if (load_policy(policy_path, cli->config->state_dir, &policy) < 0)
                return EXIT_USAGE;
        /* --no-state: nothing kept from run to run, caches included. */
        const char *state_dir = !no_state && access(cli->config->state_dir, W_OK) == 0 ? cli->config->state_dir : NULL;
        if (no_state)
                state_path = (free(state_path), NULL);
        else if (!state_path && state_dir)
                state_path = path_join(state_dir, "state.json");

        CheckRunOptions o = {
                .root = root,
                .policy = policy,
                .config = cli->config,
                .state_dir = state_dir,
                .state_path = state_path,
                .only = only,
        };
        r = checks_run(&o, &results, &n);
        if (r == -ENOENT)
                return EXIT_USAGE;
        if (r < 0)
                return EXIT_INTERNAL;

        if (json) {
                _cleanup_json_ json_object *j = check_results_to_json(results, n);
                if (!j) {
                        check_results_free(results, n);
                        return EXIT_INTERNAL;
                }
                puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
        } else
                print_human(results, n);
        r = check_results_compliant(results, n) ? EXIT_COMPLIANT : EXIT_NONCOMPLIANT;
        check_results_free(results, n);
        if (fflush(stdout) != 0)
                return EXIT_INTERNAL;
        return r;
}
