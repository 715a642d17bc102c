/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"
#include "store-history.h"

static const char *const step_names[_HISTORY_STEP_MAX] = {
        [HISTORY_HOUR] = "hour",
        [HISTORY_DAY] = "day",
};

const char *history_step_to_string(HistoryStep s) {
        return s >= 0 && s < _HISTORY_STEP_MAX ? step_names[s] : NULL;
}

HistoryStep history_step_from_string(const char *s) {
        for (int i = 0; s && i < _HISTORY_STEP_MAX; i++)
                if (streq(s, step_names[i]))
                        return i;
        return _HISTORY_STEP_INVALID;
}

int64_t history_step_seconds(HistoryStep s) {
        return s == HISTORY_DAY ? 86400 : 3600;
}

const char *const history_device_counts[HISTORY_N_DEVICE_COUNTS] = {
        "enrolled", "reporting", "compliant", "noncompliant",
        "stale",    "pending",   "revoked",   "flagged",
};

int64_t *history_device_count(FleetSummary *sum, size_t i) {
        int64_t *const fields[HISTORY_N_DEVICE_COUNTS] = {
                &sum->enrolled, &sum->reporting, &sum->compliant, &sum->noncompliant,
                &sum->stale,    &sum->pending,   &sum->revoked,   &sum->flagged,
        };
        return i < HISTORY_N_DEVICE_COUNTS ? fields[i] : NULL;
}

int store_history_schema(Store *s) {
        return s->backend->exec(s,
                "CREATE TABLE IF NOT EXISTS fleet_snapshots ("
                "  step TEXT NOT NULL, at BIGINT NOT NULL, check_id TEXT NOT NULL,"
                "  status TEXT NOT NULL, n BIGINT NOT NULL,"
                "  PRIMARY KEY (step, at, check_id, status));");
}

/* Statement ids: after store-fleet.c's fixed ones, below its device-list variants. */
enum {
        Q_HISTORY_HAS = 950,
        Q_HISTORY_ADD,
        Q_HISTORY_PRUNE,
        Q_HISTORY_LIST,
};

int store_history_has(Store *s, HistoryStep step, int64_t at) {
        const StoreValue p[] = { SV_TEXT(history_step_to_string(step)), SV_INT(at) };
        int r = store_query(s, Q_HISTORY_HAS,
                      "SELECT 1 FROM fleet_snapshots WHERE step = $1 AND at = $2 LIMIT 1",
                      p, 2, NULL, NULL);
        return r < 0 ? r : r > 0;
}

static int add_row(Store *s, HistoryStep step, int64_t at, const char *check_id,
                   const char *status, int64_t n) {
        const StoreValue p[] = { SV_TEXT(history_step_to_string(step)), SV_INT(at),
                                 SV_TEXT(check_id), SV_TEXT(status), SV_INT(n) };
        int r = store_query(s, Q_HISTORY_ADD,
                      "INSERT INTO fleet_snapshots(step, at, check_id, status, n) "
                      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                      p, 5, NULL, NULL);
        return r < 0 ? r : 0;
}

int store_history_add(Store *s, HistoryStep step, int64_t at, const FleetSummary *sum) {
        FleetSummary copy = *sum;
        int r;

        for (size_t i = 0; i < HISTORY_N_DEVICE_COUNTS; i++) {
                r = add_row(s, step, at, "", history_device_counts[i], *history_device_count(&copy, i));
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < sum->n_checks; i++)
                for (CheckStatus st = 0; st < _CHECK_STATUS_MAX; st++) {
                        r = add_row(s, step, at, sum->checks[i].check_id, check_status_to_string(st),
                                    sum->checks[i].n[st]);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int store_history_prune(Store *s, HistoryStep step, int64_t before) {
        const StoreValue p[] = { SV_TEXT(history_step_to_string(step)), SV_INT(before) };
        int r = store_query(s, Q_HISTORY_PRUNE, "DELETE FROM fleet_snapshots WHERE step = $1 AND at < $2",
                      p, 2, NULL, NULL);
        return r < 0 ? r : 0;
}

typedef struct ListRows {
        HistoryPointFn fn;
        void *userdata;
        int64_t at;
        bool any;
        FleetSummary sum;
} ListRows;

static int flush_point(ListRows *l) {
        int r = 0;
        if (l->any)
                r = l->fn(l->at, &l->sum, l->userdata);
        fleet_summary_done(&l->sum);
        l->any = false;
        return r;
}

static int row_list(const char *const *c, size_t n, void *userdata) {
        ListRows *l = userdata;
        int64_t at = 0, v = 0;
        int r;

        if (n < 4 || !c[0] || !c[1] || !c[2] || parse_int64(c[0], &at) < 0 ||
            parse_int64(c[3] ?: "0", &v) < 0)
                return -EIO;
        if (l->any && at != l->at) {
                r = flush_point(l);
                if (r < 0)
                        return r;
        }
        l->at = at;
        l->any = true;
        if (c[1][0] == 0) {
                for (size_t i = 0; i < HISTORY_N_DEVICE_COUNTS; i++)
                        if (streq(c[2], history_device_counts[i]))
                                *history_device_count(&l->sum, i) = v;
                return 0;
        }
        CheckStatus st = check_status_from_string(c[2]);
        if (st < 0)
                return 0;
        if (l->sum.n_checks == 0 || !streq(l->sum.checks[l->sum.n_checks - 1].check_id, c[1])) {
                FleetCheckCount *a = reallocarray(l->sum.checks, l->sum.n_checks + 1, sizeof(FleetCheckCount));
                if (!a)
                        return -ENOMEM;
                l->sum.checks = a;
                a[l->sum.n_checks] = (FleetCheckCount) { .check_id = strdup(c[1]) };
                if (!a[l->sum.n_checks].check_id)
                        return -ENOMEM;
                l->sum.n_checks++;
        }
        l->sum.checks[l->sum.n_checks - 1].n[st] = v;
        return 0;
}

int store_history_list(Store *s, HistoryStep step, int64_t from, int64_t to, HistoryPointFn fn,
                       void *userdata) {
        ListRows l = { .fn = fn, .userdata = userdata };
        const StoreValue p[] = { SV_TEXT(history_step_to_string(step)), SV_INT(from), SV_INT(to) };
        int r = store_query(s, Q_HISTORY_LIST,
                      "SELECT at, check_id, status, n FROM fleet_snapshots "
                      "WHERE step = $1 AND at >= $2 AND at < $3 ORDER BY at, check_id, status",
                      p, 3, row_list, &l);
        if (r >= 0)
                r = flush_point(&l);
        fleet_summary_done(&l.sum);
        return r < 0 ? r : 0;
}
