/* SPDX-License-Identifier: MIT */
#pragma once

/* The server's own verdict on a report: the policy version the report names must be one
 * this server published, and "compliant" must equal the verdict recomputed from the
 * report's checks under it (report_claims_check_policy). Parsed policy versions are
 * cached: a published version never changes (store_policy_publish refuses that). */

#include "report.h"
#include "store.h"

typedef struct VerdictCache VerdictCache;

VerdictCache *verdict_cache_free(VerdictCache *c);

/* 0 when the claims hold; -ENOENT unknown policy version, -EINVAL a verdict that disagrees
 * (a message for the device in *ret_error either way); another -errno when the store fails.
 * *cache is created on first use. */
int verdict_check(VerdictCache **cache, Store *s, const ReportClaims *c, char **ret_error);
/* The policy currently published (owned by the cache): what the fleet state follows.
 * policy_id and version as read in the transaction (StoreHeadInfo); -ENOENT for NULL
 * (nothing published yet). */
int verdict_current_policy(VerdictCache **cache, Store *s, const char *policy_id, int64_t version,
                           const Policy **ret);
/* Whether p (from verdict_current_policy()) names check_id among the checks recorded with
 * its version (policy_checks), answered from the cache: no statement per report. */
bool verdict_policy_names(const VerdictCache *cache, const Policy *p, const char *check_id);
