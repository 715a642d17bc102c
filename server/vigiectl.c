/* SPDX-License-Identifier: MIT */
/* vigiectl: the security team's view of the fleet, over the server's admin API. Each verb
 * lives in vigiectl-fleet.c or vigiectl-audit.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "vigiectl.h"

static const CtlVerb verbs[] = {
        { "summary", N_("fleet totals: compliant, non-compliant, stale, per check"), verb_summary },
        { "devices", N_("list devices, with filters"), verb_devices },
        { "device", N_("one device: identity, latest report, history"), verb_device },
        { "reports", N_("a device's stored signed reports"), verb_reports },
        { "audit", N_("verify a device's reports: signatures, certificates, seq/prev chain"), verb_audit },
        { "history", N_("the fleet's counts over time, per hour or per day"), verb_history },
        { "export", N_("the latest state of every device, as CSV or JSON lines"), verb_export },
};

static void help(void) {
        printf(_("Usage: vigiectl [--version] [--help] COMMAND [OPTIONS]\n\n"
                 "Queries a Vigie server's fleet with an admin certificate.\n\nCommands:\n"));
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-8s %s\n", verbs[i].name, _(verbs[i].summary));
        printf(_("\nOptions of every command:\n%s\nRun 'vigiectl COMMAND --help' for a "
                 "command's own options.\n"), CTL_COMMON_HELP);
}

static int run(int argc, char *argv[]) {
        Ctl ctl = {};
        int r;

        if (argc < 2) {
                help();
                return VIGIECTL_EXIT_USAGE;
        }
        if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
                help();
                return 0;
        }
        if (streq(argv[1], "--version")) {
                printf("vigiectl %s\n", VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[1], verbs[i].name)) {
                        r = verbs[i].run(&ctl, argc - 1, argv + 1);
                        ctl_config_free(ctl.config);
                        return r;
                }
        fprintf(stderr, _("vigiectl: unknown command \"%s\".\n"), argv[1]);
        return ctl_usage_error(NULL);
}

int main(int argc, char *argv[]) {
        i18n_setup(I18N_TEXT);
        log_setup("vigiectl");
        log_set_target_stderr(true);
        return run(argc, argv);
}
