/* SPDX-License-Identifier: MIT */
#pragma once

/* Published policies. The server keeps every version it publishes (a report is judged by
 * the policy it names, however old) and the checks each one names; the current one is in
 * meta "policy". The fleet's verdicts (table latest) always follow the current policy:
 * publishing re-evaluates every device's latest check results at once, and each report
 * re-evaluates its device (docs/internals/ingest.md). */

#include <stdint.h>

#include "policy.h"
#include "store.h"

/* Creates the tables (idempotent) and records the current policy of a database that
 * predates them; store_open calls it. */
int store_policy_schema(Store *s);

/* Publishes p and makes it current, in one transaction: -EEXIST when this id and version
 * were published with other content (a new policy needs a new version). Returns the
 * number of devices whose verdict changed. */
int store_policy_publish(Store *s, const Policy *p, int64_t now);

/* The JSON of a published version; -ENOENT when this server never published it. */
int store_policy_get(Store *s, const char *policy_id, int64_t version, char **ret_json);

/* The checks a published version names (a strv, empty for an unknown version): only those
 * of the current version count in the fleet state (latest_checks, the per-check counters,
 * the summary, /metrics). A version's checks never change once published. */
int store_policy_checks(Store *s, const char *policy_id, int64_t version, char ***ret);

/* Records that device_id's latest report named this policy version (table latest_policy):
 * while it is not the current one, the fleet view marks the device "policy_current":
 * false. */
int store_policy_note_report(Store *s, const char *device_id, const char *policy_id, int64_t version);

/* Recomputes the verdict of device_id's latest state (every device's if NULL, after
 * dropping the latest results of checks the current policy no longer names) from its
 * latest check results and the current policy's required checks; drops counters at zero.
 * Returns the number of devices whose verdict changed. */
int store_policy_reevaluate(Store *s, const char *device_id, int64_t now);
/* The same for the device that just sent a report under policy_id/version: nothing to
 * recompute when that is the current policy (the caller skips it then: one statement less
 * per report). Counters are not pruned: store_report_insert() does when it changed them. */
int store_policy_reevaluate_report(Store *s, const char *device_id, const char *policy_id, int64_t version,
                                   int64_t now);
/* Drops the per-check counters at zero (a status change, a check no longer reported). */
int store_policy_prune_counts(Store *s);
