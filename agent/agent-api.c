/* SPDX-License-Identifier: MIT */
/* What local users may ask the agent, on the system bus: org.vigie.Agent1 at
 * /org/vigie/Agent1. One method, CheckNow(), the details window's "Check again". The bus
 * policy (org.vigie.Agent1.conf) lets any local user call it; the agent bounds what that
 * costs: one accepted request per CHECK_NOW_INTERVAL, whoever asks, and a request while a
 * cycle runs is queued behind it as any other. Nothing of the caller's goes into the cycle. */
#include <errno.h>

#include "agent.h"
#include "cleanup.h"
#include "log.h"
#include "time-util.h"

#define AGENT_API_NAME "org.vigie.Agent1"
#define AGENT_API_PATH "/org/vigie/Agent1"
#define AGENT_API_ERROR_TOO_SOON "org.vigie.Agent1.Error.TooSoon"
/* A cycle takes ~25 ms of CPU and some disk: a user may not make it a loop. */
#define CHECK_NOW_INTERVAL (60 * USEC_PER_SEC)

static int method_check_now(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Agent *a = userdata;
        usec_t now = now_monotonic();
        uid_t uid = (uid_t) -1;
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;

        if (sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds) >= 0)
                (void) sd_bus_creds_get_euid(creds, &uid);
        if (a->check_now_at && now < a->check_now_at + CHECK_NOW_INTERVAL) {
                log_debug("Refused CheckNow from uid %d: the last one was accepted less than %llu s ago.", (int) uid,
                          (unsigned long long) (CHECK_NOW_INTERVAL / USEC_PER_SEC));
                return sd_bus_error_setf(ret_error, AGENT_API_ERROR_TOO_SOON,
                                         "A check was asked for less than %llu s ago; try again later.",
                                         (unsigned long long) (CHECK_NOW_INTERVAL / USEC_PER_SEC));
        }
        a->check_now_at = now;
        log_info("A check was asked for over D-Bus (uid %d).", (int) uid);
        (void) agent_request_cycle(a, 0, "asked for over D-Bus");
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable api_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("CheckNow", "", "", method_check_now, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

int agent_api_start(Agent *a) {
        int r;

        r = sd_bus_add_object_vtable(a->bus, &a->api_slot, AGENT_API_PATH, AGENT_API_NAME, api_vtable, a);
        if (r < 0)
                return log_warning_errno(r, "Cannot publish %s on the system bus: %m", AGENT_API_NAME);
        /* Asynchronous: a bus that refuses the name (no policy file installed) only costs
         * "Check again"; the reply is logged. */
        r = sd_bus_request_name_async(a->bus, NULL, AGENT_API_NAME, 0, NULL, NULL);
        if (r < 0)
                return log_warning_errno(r, "Cannot own %s on the system bus: %m", AGENT_API_NAME);
        return 0;
}
