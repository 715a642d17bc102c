/* SPDX-License-Identifier: MIT */
/* vigie report --now: the running agent is asked for a cycle with SIGUSR1 (its pid from
 * status.json, checked against /proc so a recycled pid is never signalled), then we wait
 * for status.json to show the cycle done. Only root may signal the root agent, which is
 * the access control we want. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "cli.h"
#include "i18n.h"
#include "json-util.h"
#include "time-util.h"

static int64_t agent_field(json_object *st, const char *key) {
        json_object *agent, *v;
        if (!json_object_object_get_ex(st, "agent", &agent) || !json_object_object_get_ex(agent, key, &v))
                return -1;
        return json_object_get_int64(v);
}

static const char *agent_state(json_object *st) {
        json_object *agent, *v;
        if (!json_object_object_get_ex(st, "agent", &agent) || !json_object_object_get_ex(agent, "state", &v))
                return "";
        return strempty(json_object_get_string(v));
}

int agent_request_report_now(const AgentConfig *cfg) {
        _cleanup_json_ json_object *st = NULL;
        usec_t deadline = now_monotonic() + cfg->cycle_timeout + 30 * USEC_PER_SEC;
        int64_t pid, cycles;
        json_object *v;

        if (status_load(cfg->runtime_dir, &st) < 0 || !status_agent_running(st)) {
                fprintf(stderr, _("vigie report: the Vigie agent is not running — start it with "
                                  "\"systemctl start vigie-agent\", or run \"vigie report\" without --now.\n"));
                return EXIT_NO_AGENT;
        }
        pid = agent_field(st, "pid");
        cycles = agent_field(st, "cycles");
        if (kill((pid_t) pid, SIGUSR1) < 0) {
                fprintf(stderr, errno == EPERM ? _("vigie report: only root may ask the agent for a cycle "
                                                   "(try \"sudo vigie report --now\").\n")
                                               : _("vigie report: cannot signal the agent: %s\n"),
                        strerror(errno));
                return errno == EPERM ? EXIT_USAGE : EXIT_INTERNAL;
        }
        for (;;) {
                const struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
                json_object *next = NULL;

                if (now_monotonic() > deadline) {
                        fprintf(stderr, _("vigie report: the agent has not finished its cycle; see "
                                          "\"journalctl -u vigie-agent\".\n"));
                        return EXIT_INTERNAL;
                }
                (void) nanosleep(&tick, NULL);
                if (status_load(cfg->runtime_dir, &next) < 0)
                        continue;
                json_object_put(st);
                st = next;
                if (!status_agent_running(st)) {
                        fprintf(stderr, _("vigie report: the agent stopped during the cycle.\n"));
                        return EXIT_NO_AGENT;
                }
                if (agent_field(st, "cycles") > cycles && streq(agent_state(st), "idle"))
                        break;
        }
        printf(_("Cycle done: %s"), json_object_object_get_ex(st, "compliant", &v) && json_object_get_boolean(v)
                                            ? _("compliant") : _("NOT compliant"));
        if (json_object_object_get_ex(st, "seq", &v))
                printf(_(", report %" PRId64), json_object_get_int64(v));
        if (json_object_object_get_ex(st, "spool_depth", &v))
                printf(_(", %" PRId64 " waiting"), json_object_get_int64(v));
        printf(".\n");
        return 0;
}
