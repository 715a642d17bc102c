/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "retention.h"
#include "store-partition.h"
#include "store-prune.h"
#include "time-util.h"

/* Rows of each kind per batch: a few milliseconds of work inside one group commit. */
#define PRUNE_BATCH 500

static int64_t cutoff(usec_t limit) {
        int64_t now = (int64_t) (now_realtime() / USEC_PER_SEC);
        return limit ? now - (int64_t) (limit / USEC_PER_SEC) : 0;
}

static void arm(Server *s, bool now) {
        usec_t t = now ? 0 : s->config->prune_interval;
        struct timeval tv = { .tv_sec = (time_t) (t / USEC_PER_SEC), .tv_usec = (suseconds_t) (t % USEC_PER_SEC) };
        evtimer_add(s->prune_timer, &tv);
}

static int prune_job(Server *s, void *userdata, struct evhttp_request *req) {
        StorePruned p = {};
        unsigned dropped = 0;
        int r;

        (void) userdata, (void) req;
        r = server_tx_begin(s);
        if (r >= 0)
                r = store_partition_maintain(s->store, (int64_t) (now_realtime() / USEC_PER_SEC),
                                             cutoff(s->config->retain_reports), &dropped);
        if (r >= 0) {
                r = store_prune(s->store, cutoff(s->config->retain_reports), cutoff(s->config->retain_history),
                                PRUNE_BATCH, &p);
                (void) server_tx_end(s, r >= 0);
        }
        if (r < 0)
                log_warning_errno(r, "Cannot prune old reports now (will retry): %s", store_error(s->store));
        else if (dropped)
                log_info("Dropped %u monthly partition(s) of reports past retention.", dropped);
        if (r >= 0 && (p.reports || p.chunks || p.history))
                log_info("Pruned %u report bodies, %u chunks, %u status changes past retention.", p.reports,
                         p.chunks, p.history);
        /* A full batch: there is more, go on at once (the next batch, not this one). */
        if (!s->stopping && r >= 0 &&
            (p.reports == PRUNE_BATCH || p.chunks == PRUNE_BATCH || p.history == PRUNE_BATCH))
                arm(s, true);
        return 0;
}

static void prune_tick(evutil_socket_t fd, short what, void *userdata) {
        Server *s = userdata;

        (void) fd, (void) what;
        if (s->stopping)
                return;
        (void) server_submit(s, NULL, prune_job, NULL, NULL);
        arm(s, false);
}

int retention_start(Server *s) {
        /* PostgreSQL: the job also creates the months ahead, retention or not. */
        if (!s->config->retain_reports && !s->config->retain_history && !store_partitioned(s->store))
                return 0;
        s->prune_timer = evtimer_new(s->base, prune_tick, s);
        if (!s->prune_timer)
                return -ENOMEM;
        arm(s, false);
        return 0;
}

void retention_stop(Server *s) {
        if (s->prune_timer)
                event_free(s->prune_timer);
        s->prune_timer = NULL;
}
