/* SPDX-License-Identifier: MIT */
#pragma once

/* Fleet history (docs/internals/fleet-history.md): snapshots of the fleet summary — device
 * counts per verdict and per check status — one per hour and one per day, stored as
 * (step, at, check_id, status) → n rows in fleet_snapshots. check_id is "" for the device
 * counts, whose status is one of history_device_counts[]. */

#include <stdbool.h>
#include <stdint.h>

#include "store-fleet.h"

typedef enum HistoryStep {
        HISTORY_HOUR,
        HISTORY_DAY,
        _HISTORY_STEP_MAX,
        _HISTORY_STEP_INVALID = -EINVAL,
} HistoryStep;
const char *history_step_to_string(HistoryStep s);
HistoryStep history_step_from_string(const char *s);
/* Seconds per step. */
int64_t history_step_seconds(HistoryStep s);

/* The device counts of a snapshot, in the order of FleetSummary's fields. */
#define HISTORY_N_DEVICE_COUNTS 8
extern const char *const history_device_counts[HISTORY_N_DEVICE_COUNTS];
/* &sum->enrolled, &sum->reporting… in the order of history_device_counts. */
int64_t *history_device_count(FleetSummary *sum, size_t i);

/* Creates the table (idempotent); store_open calls it. */
int store_history_schema(Store *s);
/* 1 when the snapshot (step, at) exists, 0 when not. */
int store_history_has(Store *s, HistoryStep step, int64_t at);
/* Records sum as the snapshot (step, at); rows another instance wrote first are kept. */
int store_history_add(Store *s, HistoryStep step, int64_t at, const FleetSummary *sum);
/* Deletes the step's snapshots older than before. */
int store_history_prune(Store *s, HistoryStep step, int64_t before);

typedef int (*HistoryPointFn)(int64_t at, const FleetSummary *sum, void *userdata);
/* Calls fn once per snapshot with from <= at < to, oldest first. */
int store_history_list(Store *s, HistoryStep step, int64_t from, int64_t to, HistoryPointFn fn,
                       void *userdata);
