/* SPDX-License-Identifier: MIT */
/* vigie cycle (internal): one cycle as vigie-agent runs it in its child process, by hand
 * (cycle-process.h). The TLS session to offer is read from --tls-session (empty: none;
 * agent/tls-session.h); the result leaves as one JSON object on stdout, with the session
 * to keep when --tls-session was given. Not for people: `vigie report` is. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "cycle-process.h"
#include "fs-util.h"
#include "tls-session.h"

int verb_cycle(Cli *cli, int argc, char *argv[]) {
        enum { ARG_KIND = _ARG_VERB_FIRST, ARG_NO_DELIVER, ARG_TLS_SESSION };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "kind", required_argument, NULL, ARG_KIND },
                { "no-deliver", no_argument, NULL, ARG_NO_DELIVER },
                { "tls-session", required_argument, NULL, ARG_TLS_SESSION },
                {}
        };
        _cleanup_free_ char *tls_session = NULL;
        const char *tls_session_path = NULL;
        CycleKind kind = CYCLE_FULL;
        bool deliver = true;
        size_t size = 0;
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
                case ARG_TLS_SESSION: tls_session_path = optarg; break;
                default: return cli_usage_error("cycle ");
                }
        }
        r = cli_no_arguments("cycle", argc, argv);
        if (r != 0)
                return r;
        r = cli_load_config(cli);
        if (r != 0)
                return r;
        /* An unreadable session costs a full handshake, nothing more. */
        if (tls_session_path)
                (void) read_file_full(tls_session_path, TLS_SESSION_JSON_MAX, &tls_session, &size);
        r = cycle_process_run(cli->config, kind, deliver, tls_session, tls_session_path != NULL);
        if (tls_session)
                explicit_bzero(tls_session, size);
        return r;
}
