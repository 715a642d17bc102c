/* SPDX-License-Identifier: MIT */
/* vigie cycle (internal): what vigie-agent runs in a child process for each cycle. The
 * configuration arrives as the daemon's snapshot (--config /proc/self/fd/3), the result
 * leaves as one JSON object on stdout. Not for people: `vigie report` is. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent-cycle.h"
#include "cleanup.h"
#include "cli.h"
#include "json-util.h"
#include "log.h"

int verb_cycle(Cli *cli, int argc, char *argv[]) {
        enum { ARG_KIND = _ARG_VERB_FIRST, ARG_NO_DELIVER };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "kind", required_argument, NULL, ARG_KIND },
                { "no-deliver", no_argument, NULL, ARG_NO_DELIVER },
                {}
        };
        _cleanup_json_ json_object *result = NULL;
        CycleKind kind = CYCLE_FULL;
        bool deliver = true;
        const char *text;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "v", options, NULL)) >= 0) {
                if (cli_common_option(cli, c, optarg))
                        continue;
                switch (c) {
                case ARG_KIND:
                        if (streq(optarg, "full"))
                                kind = CYCLE_FULL;
                        else if (streq(optarg, "flush"))
                                kind = CYCLE_FLUSH;
                        else
                                return cli_usage_error("cycle ");
                        break;
                case ARG_NO_DELIVER: deliver = false; break;
                default: return cli_usage_error("cycle ");
                }
        }
        r = cli_no_arguments("cycle", argc, argv);
        if (r != 0)
                return r;
        agent_cycle_setup_signals();
        r = cli_load_config(cli);
        if (r != 0)
                return r;
        /* Under the daemon stderr is the journal: log there, at the configured level. */
        log_set_target_stderr(false);
        log_set_max_level(cli->config->log_level);
        r = agent_cycle_run(cli->config, kind, deliver, &result);
        if (r < 0)
                return EXIT_INTERNAL;
        text = json_compact(result);
        if (!text || puts(text) < 0 || fflush(stdout) != 0)
                return EXIT_INTERNAL;
        return 0;
}
