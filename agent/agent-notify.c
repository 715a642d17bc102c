/* SPDX-License-Identifier: MIT */
/* Talking to the service manager: STATUS= one line, WATCHDOG=1 at half WATCHDOG_USEC.
 * Without WATCHDOG_USEC no timer is armed at all. */
#include <inttypes.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "agent.h"
#include "log.h"
#include "time-util.h"

static int on_watchdog(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;

        (void) sd_notify(false, "WATCHDOG=1");
        return sd_event_source_set_time(s, usec + a->watchdog_usec / 2);
}

int agent_watchdog_setup(Agent *a) {
        usec_t now;
        int r;

        r = sd_watchdog_enabled(false, &a->watchdog_usec);
        if (r <= 0)
                return 0;
        (void) sd_event_now(a->event, CLOCK_MONOTONIC, &now);
        r = sd_event_add_time(a->event, &a->watchdog_timer, CLOCK_MONOTONIC, now + a->watchdog_usec / 2,
                              a->watchdog_usec / 20, on_watchdog, a);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the watchdog timer: %m");
        (void) sd_event_source_set_enabled(a->watchdog_timer, SD_EVENT_ON);
        (void) sd_event_source_set_description(a->watchdog_timer, "watchdog");
        return 0;
}

void agent_notify_status(Agent *a) {
        json_object *v;
        const char *verdict = "not checked yet";
        int64_t depth = 0;
        char next[64] = "";

        if (a->last && json_object_object_get_ex(a->last, "compliant", &v))
                verdict = json_object_get_boolean(v) ? "compliant" : "NOT compliant";
        if (a->last && json_object_object_get_ex(a->last, "spool_depth", &v))
                depth = json_object_get_int64(v);
        if (a->next_cycle_realtime) {
                usec_t now = now_realtime();
                usec_t left = a->next_cycle_realtime > now ? a->next_cycle_realtime - now : 0;
                snprintf(next, sizeof(next), "; next cycle in %" PRIu64 " s", left / USEC_PER_SEC);
        }
        switch (a->state) {
        case AGENT_CYCLE:
                (void) sd_notifyf(false, "STATUS=Checking and reporting (last verdict: %s)", verdict);
                break;
        case AGENT_FLUSH:
                (void) sd_notifyf(false, "STATUS=Delivering %" PRId64 " waiting report(s)", depth);
                break;
        default:
                (void) sd_notifyf(false, "STATUS=Idle: %s, %" PRId64 " report(s) waiting%s%s", verdict,
                                  depth, a->delivery_failures ? ", server unreachable" : "", next);
        }
}
