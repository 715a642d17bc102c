/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "macro.h"
#include "store-body.h"
#include "store-prune.h"

/* Statement ids, apart from store.c's, store-fleet.c's and store-body.c's ranges. */
enum {
        Q_PRUNE_CHECKS = 870,
        Q_PRUNE_REPORTS,
        Q_PRUNE_CHUNKS,
        Q_PRUNE_HISTORY,
};

/* The same batch twice, in one transaction: oldest first, a total order. */
#define PRUNABLE                                                                           \
        "(SELECT device_id, seq FROM reports WHERE jws <> '' AND received_at < $1 "       \
        "ORDER BY received_at, device_id, seq LIMIT $2)"

static const char *const prune_sql[] = {
        [Q_PRUNE_CHECKS - Q_PRUNE_CHECKS] = "DELETE FROM check_results WHERE (device_id, seq) IN " PRUNABLE,
        [Q_PRUNE_REPORTS - Q_PRUNE_CHECKS] = "UPDATE reports SET jws = '' WHERE (device_id, seq) IN " PRUNABLE,
        /* used_at is refreshed at most once per STORE_BODY_REFRESH: a chunk older than the
         * limit by more than that serves no report that is kept. */
        [Q_PRUNE_CHUNKS - Q_PRUNE_CHECKS] =
                "DELETE FROM report_chunks WHERE hash IN (SELECT hash FROM report_chunks "
                "WHERE used_at < $1 ORDER BY used_at LIMIT $2)",
        [Q_PRUNE_HISTORY - Q_PRUNE_CHECKS] =
                "DELETE FROM check_history WHERE (device_id, check_id, seq) IN (SELECT device_id, "
                "check_id, seq FROM check_history WHERE changed_at < $1 ORDER BY changed_at LIMIT $2)",
};

static int run(Store *s, unsigned id, int64_t before, unsigned max) {
        const StoreValue v[] = { SV_INT(before), SV_INT(max) };
        return s->backend->query(s, id, prune_sql[id - Q_PRUNE_CHECKS], v, ELEMENTSOF(v), NULL, NULL);
}

int store_prune(Store *s, int64_t reports_before, int64_t history_before, unsigned max, StorePruned *ret) {
        StorePruned p = {};
        int r;

        if (reports_before > 0) {
                r = run(s, Q_PRUNE_CHECKS, reports_before, max);
                if (r >= 0)
                        r = run(s, Q_PRUNE_REPORTS, reports_before, max);
                if (r < 0)
                        return r;
                p.reports = (unsigned) r;
                r = run(s, Q_PRUNE_CHUNKS, reports_before - STORE_BODY_REFRESH, max);
                if (r < 0)
                        return r;
                p.chunks = (unsigned) r;
        }
        if (history_before > 0) {
                r = run(s, Q_PRUNE_HISTORY, history_before, max);
                if (r < 0)
                        return r;
                p.history = (unsigned) r;
        }
        *ret = p;
        return 0;
}
