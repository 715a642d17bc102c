/* SPDX-License-Identifier: MIT */
/* vigie cycle (internal): what vigie-agent runs in a child process for each cycle. The
 * configuration arrives as the daemon's snapshot (--config /proc/self/fd/3), the TLS
 * session it kept from the previous cycle as --tls-session /proc/self/fd/4 (empty: none;
 * agent/tls-session.h), the result leaves as one JSON object on stdout, with the session
 * to keep when --tls-session was given; --parent-pid names the daemon, with which the cycle
 * dies. Not for people: `vigie report` is. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <openssl/provider.h>

#include "agent-cycle.h"
#include "cleanup.h"
#include "cli.h"
#include "fs-util.h"
#include "json-util.h"
#include "log.h"
#include "malloc-tune.h"
#include "parse-util.h"
#include "tls-session.h"

/* About what a cycle's heap grows to (1.6 MB here with this machine's package lists; more on
 * a laptop with more): mapped in one system call instead of ~280 page faults, ~8 µs each in
 * a VM, 1–2 µs on bare metal. */
#define CYCLE_HEAP_PREFAULT (2u << 20)

/* A cycle's process ends without exit()'s handlers: OpenSSL's frees its tables one by one
 * (~1.4 M instructions, ~0.8 ms of a cycle here), which the kernel does at once when the
 * process ends. Not when another provider was loaded (the TPM's ends its TPM sessions in
 * its teardown), nor in the sanitizer build, whose leak check runs at exit(). */
#ifdef VIGIE_SANITIZE
static bool end_without_exit_handlers(void) {
        return false;
}
#else
static int count_foreign_provider(OSSL_PROVIDER *p, void *userdata) {
        const char *name = OSSL_PROVIDER_get0_name(p);

        if (!streq(name, "default") && !streq(name, "base"))
                (*(unsigned *) userdata)++;
        return 1;
}

static bool end_without_exit_handlers(void) {
        unsigned foreign = 0;

        OSSL_PROVIDER_do_all(NULL, count_foreign_provider, &foreign);
        return foreign == 0;
}
#endif

/* The daemon's kept session: an unreadable one costs a full handshake, nothing more. */
static json_object *read_tls_session(const char *path) {
        _cleanup_free_ char *text = NULL, *err = NULL;
        json_object *j = NULL;
        size_t size;

        if (read_file_full(path, TLS_SESSION_JSON_MAX, &text, &size) < 0 || size == 0)
                return NULL;
        if (json_parse(text, size, &j, &err) < 0)
                log_warning("The kept TLS session is not JSON (%s): a full handshake instead.", strempty(err));
        explicit_bzero(text, size);
        return j;
}

int verb_cycle(Cli *cli, int argc, char *argv[]) {
        enum { ARG_KIND = _ARG_VERB_FIRST, ARG_NO_DELIVER, ARG_TLS_SESSION, ARG_PARENT_PID };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "kind", required_argument, NULL, ARG_KIND },
                { "no-deliver", no_argument, NULL, ARG_NO_DELIVER },
                { "tls-session", required_argument, NULL, ARG_TLS_SESSION },
                { "parent-pid", required_argument, NULL, ARG_PARENT_PID },
                {}
        };
        _cleanup_json_ json_object *result = NULL, *tls_session = NULL;
        const char *tls_session_path = NULL;
        CycleKind kind = CYCLE_FULL;
        bool deliver = true;
        const char *text;
        int c, r, parent = 0;

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
                case ARG_PARENT_PID:
                        if (parse_int_range(optarg, 1, INT_MAX, &parent) < 0)
                                return cli_usage_error("cycle ");
                        break;
                default: return cli_usage_error("cycle ");
                }
        }
        r = cli_no_arguments("cycle", argc, argv);
        if (r != 0)
                return r;
        /* The cycle dies with the daemon (kill -9, crash): the spool is atomic. The daemon
         * may have died before this line, leaving us to another parent. */
        if (parent > 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
                return EXIT_FAILURE;
        r = malloc_prefault(CYCLE_HEAP_PREFAULT);
        if (r < 0)
                log_debug("The heap is not mapped ahead (%s): each page faults in as it is used.", strerror(-r));
        agent_cycle_setup_signals();
        r = cli_load_config(cli);
        if (r != 0)
                return r;
        /* Under the daemon stderr is the journal: log there, at the configured level. */
        log_set_target_stderr(false);
        log_set_max_level(cli->config->log_level);
        if (tls_session_path)
                tls_session = read_tls_session(tls_session_path);
        r = agent_cycle_run(cli->config, kind, deliver, tls_session, tls_session_path, &result);
        if (r < 0)
                return EXIT_INTERNAL;
        text = json_compact(result);
        if (!text || puts(text) < 0 || fflush(stdout) != 0)
                return EXIT_INTERNAL;
        if (end_without_exit_handlers())
                _exit(0);
        return 0;
}
