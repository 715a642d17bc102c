/* SPDX-License-Identifier: MIT */
#pragma once

/* Retention (docs/server.md, [Retention]): report bodies past their age are pruned in small
 * batches, each report keeping its seq, iat, hash, prev and verdict, so that a device's
 * chain stays provable: reports.jws becomes '' and the report's check results go; chunks no
 * report can use any more are deleted; check status changes past their own age too. */

#include <stdint.h>

#include "store.h"

/* The partial index keeps the search for prunable rows off the rows already pruned. */
#define STORE_PRUNE_SCHEMA                                                                  \
        "CREATE INDEX IF NOT EXISTS reports_unpruned ON reports(received_at) WHERE jws <> '';" \
        "CREATE INDEX IF NOT EXISTS check_history_changed ON check_history(changed_at);"

typedef struct StorePruned {
        unsigned reports, chunks, history;
} StorePruned;

/* One batch of at most max rows of each kind: report bodies received before
 * reports_before, check history changed before history_before (0: neither). */
int store_prune(Store *s, int64_t reports_before, int64_t history_before, unsigned max, StorePruned *ret);
