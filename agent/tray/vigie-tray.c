/* SPDX-License-Identifier: MIT */
/* vigie-tray: the employee's view of Vigie (vigie-tray(1)). main() parses; the Tray works. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "i18n.h"
#include "log.h"
#include "tray.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif
#define DEFAULT_STATUS RUNSTATEDIR "/vigie/status.json"

static const char *arg_status = DEFAULT_STATUS;
static bool arg_once = false;
static int arg_verbose = 0;

static void help(void) {
        printf(_("Usage: vigie-tray [OPTIONS]\n\n"
                 "Shows this laptop's compliance in the desktop's tray and as notifications:\n"
                 "compliant, or what to fix and by when. Normally started with the session.\n\n"
                 "      --status FILE  the agent's status file (default %s)\n"
                 "      --once         print the notice and exit\n"
                 "  -v, --verbose      more messages\n"
                 "      --version      print the version\n"
                 "  -h, --help         this help\n"),
               DEFAULT_STATUS);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_STATUS = 0x100, ARG_ONCE, ARG_VERSION };
        static const struct option options[] = {
                { "status", required_argument, NULL, ARG_STATUS },
                { "once", no_argument, NULL, ARG_ONCE },
                { "verbose", no_argument, NULL, 'v' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0)
                switch (c) {
                case 'h': help(); return 0;
                case ARG_VERSION: printf("vigie-tray %s\n", VERSION); return 0;
                case ARG_STATUS: arg_status = optarg; break;
                case ARG_ONCE: arg_once = true; break;
                case 'v': arg_verbose++; break;
                default:
                        fprintf(stderr, _("Try \"vigie-tray --help\".\n"));
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, _("vigie-tray: unexpected argument \"%s\".\n"), argv[optind]);
                return -EINVAL;
        }
        if (!*arg_status) {
                fprintf(stderr, _("vigie-tray: --status needs a file name.\n"));
                return -EINVAL;
        }
        return 1;
}

/* --once: exit status as `vigie status`: 0 compliant, 1 not, 4 nothing to go by. */
static int print_once(void) {
        _cleanup_free_ char *text = NULL;
        TrayStatus s;
        TrayNotice n;
        int r;

        r = tray_status_load(arg_status, &s);
        if (r < 0) {
                fprintf(stderr, _("vigie-tray: cannot read \"%s\": %s\n"), arg_status, strerror(-r));
                return 3;
        }
        s.running = s.present && pid_is_vigie_agent(s.pid);
        r = tray_notice_compose(&s, &n);
        tray_status_done(&s);
        if (r < 0)
                return 3;
        text = tray_notice_text(&n);
        if (text)
                fputs(text, stdout);
        r = n.level == NOTICE_COMPLIANT || n.level == NOTICE_ACTION ? 0 : n.level == NOTICE_NONCOMPLIANT ? 1 : 4;
        tray_notice_done(&n);
        return !text || fflush(stdout) != 0 ? 3 : r;
}

static int run(int argc, char *argv[]) {
        _cleanup_(tray_freep) Tray *t = NULL;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        log_set_max_level(arg_verbose > 1 ? LOG_DEBUG : arg_verbose ? LOG_INFO : LOG_NOTICE);
        if (arg_once)
                return print_once();
        r = tray_new(arg_status, &t);
        if (r < 0)
                return log_oom(), EXIT_FAILURE;
        r = tray_start(t);
        if (r == -EEXIST)
                return EXIT_SUCCESS;
        if (r < 0)
                return EXIT_FAILURE;
        return tray_run(t) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char *argv[]) {
        i18n_setup(I18N_TEXT_AND_DATES);
        log_setup("vigie-tray");
        return run(argc, argv);
}
