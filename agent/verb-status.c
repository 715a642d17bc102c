/* SPDX-License-Identifier: MIT */
/* vigie status: what the running agent last found and sent, from /run/vigie/status.json
 * (world-readable, so any user may ask). Says plainly when the agent is not running or
 * the laptop is not enrolled. */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "proc-util.h"

static const char *str(json_object *o, const char *key) {
        json_object *v;
        return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

static int64_t num(json_object *o, const char *key, int64_t def) {
        json_object *v;
        return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
                       ? json_object_get_int64(v)
                       : def;
}

static int boolean(json_object *o, const char *key) {
        json_object *v;
        return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean)
                       ? json_object_get_boolean(v)
                       : -1;
}

bool status_agent_running(json_object *status) {
        json_object *agent = NULL;

        if (!json_object_object_get_ex(status, "agent", &agent))
                return false;
        return pid_is_vigie_agent(num(agent, "pid", 0));
}

int status_load(const char *runtime_dir, json_object **ret) {
        _cleanup_free_ char *path = path_join(runtime_dir, "status.json");
        if (!path)
                return -ENOMEM;
        return json_parse_file(path, 1024 * 1024, ret, NULL);
}

static void print_checks(json_object *checks, bool color) {
        size_t n = checks && json_object_is_type(checks, json_type_array) ? json_object_array_length(checks) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_array_get_idx(checks, i);
                CheckStatus s = check_status_from_string(strempty(str(c, "status")));

                printf("  %s%-7s%s %s%s%s%s\n", color ? cli_status_color(s) : "", cli_status_word(s),
                       color ? ANSI_RESET : "", color ? ANSI_BOLD : "", strempty(str(c, "title")),
                       color ? ANSI_RESET : "", boolean(c, "required") == 0 ? _(" (not required)") : "");
                if (str(c, "summary"))
                        printf("          %s\n", str(c, "summary"));
                if (str(c, "deadline"))
                        printf(_("          Deadline: %s\n"), str(c, "deadline"));
                if (str(c, "remediation"))
                        printf(_("          To fix: %s\n"), str(c, "remediation"));
        }
}

/* What a gateway will do with this laptop (status.json "access"): said only when it
 * matters, during the grace period and once blocked. */
static void print_access(json_object *st, bool color) {
        json_object *access = NULL;
        const char *state, *reason;

        if (!json_object_object_get_ex(st, "access", &access) || !(state = str(access, "state")))
                return;
        reason = str(access, "reason") ?: _("see the checks above");
        if (streq(state, "grace"))
                printf(_("%sAccess to company resources will be blocked at %s unless this is fixed:%s %s\n"),
                       color ? ANSI_BOLD : "", strempty(str(access, "grace_until")), color ? ANSI_RESET : "", reason);
        else if (streq(state, "blocked"))
                printf(_("%sAccess to company resources is blocked:%s %s\n"), color ? ANSI_BOLD : "",
                       color ? ANSI_RESET : "", reason);
}

static void print_human(json_object *st, bool running) {
        json_object *agent = NULL, *cert = NULL, *checks = NULL;
        bool color = cli_use_colors();
        int compliant = boolean(st, "compliant"), reachable = boolean(st, "server_reachable");

        (void) json_object_object_get_ex(st, "agent", &agent);
        (void) json_object_object_get_ex(st, "certificate", &cert);
        (void) json_object_object_get_ex(st, "checks", &checks);
        if (running)
                printf(_("Vigie agent: running (pid %" PRId64 ", %s). Next check: %s.\n"),
                       num(agent, "pid", 0), strempty(str(agent, "state")),
                       str(agent, "next_check") ? str(agent, "next_check") : _("when this one ends"));
        else
                printf(_("Vigie agent: NOT running. Start it with \"systemctl start vigie-agent\".\n"
                         "What follows is the last state it recorded.\n"));
        if (boolean(st, "enrolled") == 0)
                printf(_("This laptop is not enrolled: reports are not sent. Run (as root)\n"
                         "  vigie enroll --server URL --token TOKEN\n"));
        printf("\n");
        if (compliant < 0)
                printf(_("Verdict: not checked yet.\n"));
        else
                printf(_("Verdict: %s%s%s (checked %s)\n"), color ? ANSI_BOLD : "",
                       compliant ? _("compliant") : _("NOT compliant"), color ? ANSI_RESET : "",
                       strempty(str(st, "last_check")));
        print_checks(checks, color);
        print_access(st, color);
        printf("\n");
        printf(_("Server: %s. Last delivery: %s. Reports waiting: %" PRId64 ".\n"),
               reachable < 0 ? _("not contacted yet") : reachable ? _("reachable") : _("unreachable"),
               str(st, "last_delivery") ? str(st, "last_delivery") : _("never"), num(st, "spool_depth", 0));
        if (str(st, "delivery_error"))
                printf(_("Last delivery error: %s\n"), str(st, "delivery_error"));
        if (agent && str(agent, "next_retry"))
                printf(_("Next delivery attempt: %s\n"), str(agent, "next_retry"));
        if (cert && str(cert, "not_after"))
                printf(_("Certificate: valid until %s%s\n"), str(cert, "not_after"),
                       boolean(cert, "renewal_failing") == 1 ? _(" — renewal is FAILING, see the journal") : "");
        if (str(st, "last_error"))
                printf(_("Problem: %s\n"), str(st, "last_error"));
        if (str(st, "identity_problem"))
                printf(_("Reports stopped: %s. Contact IT: this laptop must be enrolled again with a reset token.\n"),
                       str(st, "identity_problem"));
}

static void help(void) {
        printf(_("Usage: vigie status [OPTIONS]\n\n"
                 "Shows what the Vigie agent last found and sent.\n\n"
                 "      --json           the status document, for scripts\n"));
        cli_print_common_help();
        printf(_("\nExit status: 0 compliant, 1 not compliant, 2 usage error, 4 agent not running,\n"
                 "not enrolled or not checked yet.\n"));
}

int verb_status(Cli *cli, int argc, char *argv[]) {
        enum { ARG_JSON = _ARG_VERB_FIRST };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "json", no_argument, NULL, ARG_JSON },
                {}
        };
        _cleanup_json_ json_object *st = NULL;
        bool json = false, running;
        int c, r, compliant;

        optind = 0;
        while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0) {
                if (cli_common_option(cli, c, optarg))
                        continue;
                switch (c) {
                case 'h': help(); return 0;
                case ARG_JSON: json = true; break;
                default: return cli_usage_error("status ");
                }
        }
        r = cli_no_arguments("status", argc, argv);
        if (r != 0)
                return r;
        r = cli_load_config(cli);
        if (r != 0)
                return r;
        r = status_load(cli->config->runtime_dir, &st);
        if (r < 0) {
                if (json)
                        printf("{\"running\":false,\"status\":null}\n");
                else if (r == -ENOENT)
                        fprintf(stderr, _("vigie: the Vigie agent is not running (no \"%s/status.json\").\n"
                                          "Start it with \"systemctl start vigie-agent\", or run \"vigie check\".\n"),
                                cli->config->runtime_dir);
                else
                        fprintf(stderr, _("vigie: cannot read \"%s/status.json\": %s\n"),
                                cli->config->runtime_dir, strerror(-r));
                return EXIT_NO_AGENT;
        }
        running = status_agent_running(st);
        if (json) {
                (void) json_add_bool(st, "running", running);
                puts(json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        } else
                print_human(st, running);
        if (fflush(stdout) != 0)
                return EXIT_INTERNAL;
        compliant = boolean(st, "compliant");
        if (!running || boolean(st, "enrolled") == 0 || compliant < 0)
                return EXIT_NO_AGENT;
        return compliant ? EXIT_COMPLIANT : EXIT_NONCOMPLIANT;
}
