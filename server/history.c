/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <event2/event.h>

#include "api-fleet.h"
#include "cleanup.h"
#include "log.h"
#include "store-history.h"
#include "time-util.h"
#include "history.h"

#define HISTORY_HOURLY_KEEP (48 * 3600)
#define HISTORY_TICK_SEC 60

static int64_t slot(HistoryStep step, int64_t now) {
        return now - now % history_step_seconds(step);
}

/* Inside a transaction on the write connection. Reads the summary only when a slot is
 * missing: most ticks cost two indexed lookups. */
static int snapshot(Server *s, int64_t now) {
        _cleanup_(fleet_summary_done) FleetSummary sum = {};
        bool missing[_HISTORY_STEP_MAX] = {}, any = false;
        FleetTimes t;
        int r;

        for (HistoryStep i = 0; i < _HISTORY_STEP_MAX; i++) {
                r = store_history_has(s->store, i, slot(i, now));
                if (r < 0)
                        return r;
                missing[i] = r == 0;
                any = any || missing[i];
        }
        if (!any)
                return 0;
        r = fleet_times(s, &t);
        if (r >= 0)
                r = store_fleet_summary(s->store, &t, &sum);
        for (HistoryStep i = 0; r >= 0 && i < _HISTORY_STEP_MAX; i++)
                if (missing[i])
                        r = store_history_add(s->store, i, slot(i, now), &sum);
        if (r >= 0)
                r = store_history_prune(s->store, HISTORY_HOUR, now - HISTORY_HOURLY_KEEP);
        if (r >= 0)
                r = store_history_prune(s->store, HISTORY_DAY,
                                        now - (int64_t) (s->config->history_retention / USEC_PER_SEC));
        return r;
}

static int64_t now_sec(void) {
        return (int64_t) (now_realtime() / USEC_PER_SEC);
}

/* A transaction of its own, or a savepoint inside the group commit's batch. */
static int record_now(Server *s) {
        int r = store_begin(s->store);

        if (r >= 0) {
                r = snapshot(s, now_sec());
                int k = r >= 0 ? store_commit(s->store) : store_rollback(s->store);
                r = r < 0 ? r : k;
        }
        if (r < 0)
                log_warning_errno(r, "Cannot record the fleet history snapshot: %s — retrying in a minute.",
                                  store_error(s->store));
        return r;
}

static int snapshot_job(Server *s, void *userdata, struct evhttp_request *req) {
        (void) userdata, (void) req;
        return record_now(s);
}

static void tick(evutil_socket_t fd, short what, void *userdata) {
        Server *s = userdata;
        int64_t now = now_sec();

        (void) fd, (void) what;
        /* a cheap read first: the job joins a write batch only when a slot is missing */
        if (store_history_has(s->store_ro, HISTORY_HOUR, slot(HISTORY_HOUR, now)) > 0 &&
            store_history_has(s->store_ro, HISTORY_DAY, slot(HISTORY_DAY, now)) > 0)
                return;
        (void) server_submit(s, NULL, snapshot_job, NULL, NULL);
}

int history_start(Server *s) {
        static const struct timeval minute = { .tv_sec = HISTORY_TICK_SEC };

        (void) record_now(s);
        s->history_timer = event_new(s->base, -1, EV_PERSIST, tick, s);
        if (!s->history_timer || event_add(s->history_timer, &minute) < 0)
                return -ENOMEM;
        return 0;
}
