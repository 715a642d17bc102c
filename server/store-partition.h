/* SPDX-License-Identifier: MIT */
#pragma once

/* PostgreSQL only (docs/internals/store.md, "Partitions"): reports is range-partitioned by
 * month of received_at, on the key (CASE WHEN jws = '' THEN 0 ELSE received_at END):
 *
 *  - reports_pYYYYMM: the reports received that month (UTC) whose body is kept;
 *  - reports_chain (key < 1): pruned reports, i.e. the chain rows (seq, iat, hash, prev,
 *    verdict) that stay forever. Pruning a body (store-prune.c: jws = '') moves its row
 *    there, so a month's partition empties as retention passes it;
 *  - reports_default: the safety net for a month without a partition; its rows are moved
 *    into their month's partition when that partition is created.
 *
 * A month wholly older than the retention limit and empty is detached and dropped: its
 * space goes back at once, with no VACUUM of the big table. SQLite: all no-ops. */

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* Months ahead of now that always have a partition (this one, the next two). */
#define STORE_PARTITION_AHEAD 3

bool store_partitioned(Store *s);

/* At start: converts an unpartitioned reports table (one transaction, under an advisory
 * lock so that two instances never both do it), then creates the partitions ahead. */
int store_partition_setup(Store *s, int64_t now);

/* From the retention job (inside its transaction): partitions ahead, the default
 * partition emptied, and the empty months received before reports_before (0: none)
 * dropped; ret_dropped (optional): how many. */
int store_partition_maintain(Store *s, int64_t now, int64_t reports_before, unsigned *ret_dropped);
