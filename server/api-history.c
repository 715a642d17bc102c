/* SPDX-License-Identifier: MIT */
/* GET /v1/fleet/history?from=&to=&step=hour|day: the recorded snapshots of the fleet's
 * counts (history.c records them; docs/api.md describes the reply). */
#include <errno.h>
#include <string.h>
#include <sys/queue.h>

#include "api-fleet.h"
#include "cleanup.h"
#include "fleet-query.h"
#include "json-util.h"
#include "log.h"
#include "store-history.h"
#include "time-util.h"

/* Points one reply may span: 41 days of hours or 2.7 years of days. */
#define HISTORY_MAX_POINTS 1000

typedef struct HistoryRange {
        HistoryStep step;
        int64_t from, to; /* from <= at < to */
} HistoryRange;

static int parse_range(Request *r, HistoryRange *ret) {
        HistoryRange h = { .step = HISTORY_DAY };
        int64_t now = (int64_t) (now_realtime() / USEC_PER_SEC);
        bool from_set = false, to_set = false;
        struct evkeyval *kv;

        TAILQ_FOREACH(kv, &r->query, next) {
                usec_t t;
                if (streq(kv->key, "step")) {
                        h.step = history_step_from_string(kv->value);
                        if (h.step < 0)
                                return http_error(r, 400, "bad_filter", "step=\"%s\": expected hour or day",
                                                  kv->value);
                } else if (streq(kv->key, "from") || streq(kv->key, "to")) {
                        if (fleet_parse_time(kv->value, &t) < 0)
                                return http_error(r, 400, "bad_filter",
                                                  "%s=\"%s\": expected an RFC 3339 time or a duration "
                                                  "meaning that long ago (\"7d\")", kv->key, kv->value);
                        *(streq(kv->key, "from") ? &h.from : &h.to) = (int64_t) (t / USEC_PER_SEC);
                        *(streq(kv->key, "from") ? &from_set : &to_set) = true;
                } else
                        return http_error(r, 400, "bad_filter",
                                          "unknown parameter \"%s\": expected from, to or step", kv->key);
        }
        if (!to_set)
                h.to = now + 1;
        if (!from_set)
                h.from = h.to - (h.step == HISTORY_HOUR ? 48 : 30) * history_step_seconds(h.step);
        if (h.from >= h.to)
                return http_error(r, 400, "bad_filter", "from must be before to");
        if ((h.to - h.from) / history_step_seconds(h.step) > HISTORY_MAX_POINTS)
                return http_error(r, 400, "bad_filter",
                                  "from..to spans more than %d %ss: narrow it or use step=day",
                                  HISTORY_MAX_POINTS, history_step_to_string(h.step));
        *ret = h;
        return 0;
}

static int add_time(json_object *o, const char *key, int64_t t) {
        char buf[RFC3339_MAX];
        return json_add_string(o, key, format_rfc3339((usec_t) t * USEC_PER_SEC, buf));
}

static int add_point(int64_t at, const FleetSummary *sum, void *userdata) {
        json_object *points = userdata, *p = json_object_new_object();

        if (!p || json_object_array_add(points, p) < 0) {
                json_object_put(p);
                return -ENOMEM;
        }
        if (add_time(p, "at", at) < 0 || fleet_counts_json(p, sum) < 0)
                return -ENOMEM;
        return 0;
}

int route_fleet_history(Request *r) {
        _cleanup_json_ json_object *j = json_object_new_object();
        json_object *points = json_object_new_array();
        HistoryRange h = {};
        int k;

        if (!j || json_add(j, "points", points) < 0 || !points)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        if (parse_range(r, &h) < 0)
                return -EINVAL;
        if (json_add_string(j, "step", history_step_to_string(h.step)) < 0 ||
            add_time(j, "from", h.from) < 0 || add_time(j, "to", h.to) < 0)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        k = store_history_list(r->server->store_ro, h.step, h.from, h.to, add_point, points);
        if (k == -ENOMEM)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        if (k < 0) {
                log_error_errno(k, "Fleet query %s failed: %s", r->path, store_error(r->server->store_ro));
                return http_error(r, 503, "storage_unavailable", "cannot read the fleet history now; retry later");
        }
        return http_reply_json(r, 200, j);
}
