/* SPDX-License-Identifier: MIT */
#pragma once

/* Per-key request budgets (the generic cell rate algorithm): a key may make `burst`
 * requests at once, then one per `interval`. The server keys it by device id, so one
 * device sending faster than its budget gets 429 with Retry-After while every other
 * device is served. One timestamp per key that was active within burst × interval; keys
 * idle longer are forgotten when the table grows, so its size follows the active devices.
 * Per server instance (several instances behind one PostgreSQL each keep their own). */

#include <stdint.h>

#include "macro.h"

typedef struct Budget Budget;

Budget *budget_new(unsigned burst, usec_t interval);
Budget *budget_free(Budget *b);
static inline void budget_freep(Budget **b) {
        budget_free(*b);
}

/* Takes one request from key's budget at time now: 0, or -EBUSY with the seconds until
 * the next request fits in *ret_retry_after_s; -ENOMEM. */
int budget_take(Budget *b, const char *key, usec_t now, uint64_t *ret_retry_after_s);
