/* SPDX-License-Identifier: MIT */
/* The verdict of a report under the policy it names. Apart from report.c: it needs the
 * policy and so the check registry, which report readers such as vigiectl must not link. */
#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"
#include "policy.h"
#include "report.h"
#include "verdict-policy.h"

int report_claims_check_policy(const ReportClaims *c, const Policy *p, char **ret_error) {
        _cleanup_free_ char **required = calloc(policy_check_schemas_size + 1, sizeof(char *));
        VerdictPolicy v = { .id = p->policy_id, .version = p->version };
        size_t n = 0;

        if (!required)
                return -ENOMEM;
        for (size_t k = 0; k < policy_check_schemas_size; k++)
                if (policy_check_required(p, policy_check_schemas[k]->name))
                        required[n++] = (char *) policy_check_schemas[k]->name;
        required[n] = NULL;
        v.required = required;
        return report_claims_check_verdict(c, &v, ret_error);
}
