/* SPDX-License-Identifier: MIT */
/* The verdict of a report under the policy it names. Apart from report.c: it needs the
 * policy and so the check registry, which report readers such as vigiectl must not link. */
#include <errno.h>
#include <stdbool.h>

#include "json-util.h"
#include "macro.h"
#include "policy.h"
#include "report.h"

int report_claims_check_policy(const ReportClaims *c, const Policy *p, char **ret_error) {
        bool compliant = true;

        if (!streq(c->policy_id, p->policy_id) || c->policy_version != p->version)
                return json_error(ret_error, "policy: report names \"%s\" version %lld, not \"%s\" version %lld",
                                  c->policy_id, (long long) c->policy_version, p->policy_id,
                                  (long long) p->version);
        for (size_t k = 0; k < policy_check_schemas_size; k++) {
                const char *id = policy_check_schemas[k]->name;
                bool found = false;
                if (!policy_check_required(p, id))
                        continue;
                for (size_t i = 0; i < c->n_checks; i++)
                        if (streq(c->checks[i]->id, id)) {
                                found = true;
                                compliant = compliant && check_status_ok(c->checks[i]->status);
                        }
                compliant = compliant && found;
        }
        if (compliant != c->compliant)
                return json_error(ret_error, "compliant: %s, but the checks under policy \"%s\" give %s",
                                  c->compliant ? "true" : "false", p->policy_id, compliant ? "true" : "false");
        return 0;
}
