/* SPDX-License-Identifier: MIT */
#pragma once

/* What a verdict needs of a policy: its id, its version and the checks it requires. The
 * server builds it from a parsed Policy (report-verdict.c); an auditor's tool builds it from
 * the policy JSON the server published (`vigie-server policy show`, every check listed with
 * its "required"), without the check registry that parsing a Policy needs. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "report.h"

typedef struct VerdictPolicy {
        char *id;
        int64_t version;
        char **required; /* check ids, NULL-terminated */
} VerdictPolicy;

void verdict_policy_done(VerdictPolicy *p);
/* From a published policy: "policy_id", "version", and each checks.ID whose "required" is
 * true (a check without the key is not required: published policies state it). -EINVAL
 * with "path: reason" in *ret_error when the document is not of that shape. */
int verdict_policy_from_json(json_object *policy, VerdictPolicy *ret, char **ret_error);
/* 0 when the report names this policy and its "compliant" is what its checks give: every
 * required check present and pass or warn. -EINVAL with the reason otherwise. */
int report_claims_check_verdict(const ReportClaims *c, const VerdictPolicy *p, char **ret_error);
