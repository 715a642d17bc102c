/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "macro.h"
#include "parse-util.h"
#include "verdict-policy.h"

void verdict_policy_done(VerdictPolicy *p) {
        free(p->id);
        strv_free(p->required);
        *p = (VerdictPolicy) {};
}

int verdict_policy_from_json(json_object *policy, VerdictPolicy *ret, char **ret_error) {
        VerdictPolicy p = {};
        json_object *checks;
        const char *id;
        int r;

        if (!json_object_is_type(policy, json_type_object))
                return json_error(ret_error, "policy: expected a JSON object");
        if ((r = json_get_string(policy, "", "policy_id", &id, ret_error)) < 0 ||
            (r = json_get_int(policy, "", "version", 0, INT64_MAX, &p.version, ret_error)) < 0)
                return r == -ENOENT ? json_error(ret_error, "policy_id and version are required") : r;
        if (!json_object_object_get_ex(policy, "checks", &checks) || !json_object_is_type(checks, json_type_object))
                return json_error(ret_error, "checks: expected object");
        if (!(p.id = strdup(id)))
                return -ENOMEM;
        json_object_object_foreach(checks, check_id, section) {
                json_object *req;
                if (json_object_object_get_ex(section, "required", &req) && json_object_get_boolean(req) &&
                    strv_extend(&p.required, check_id) < 0) {
                        verdict_policy_done(&p);
                        return -ENOMEM;
                }
        }
        *ret = p;
        return 0;
}

int report_claims_check_verdict(const ReportClaims *c, const VerdictPolicy *p, char **ret_error) {
        bool compliant = true;

        if (!streq(c->policy_id, p->id) || c->policy_version != p->version)
                return json_error(ret_error, "policy: report names \"%s\" version %lld, not \"%s\" version %lld",
                                  c->policy_id, (long long) c->policy_version, p->id, (long long) p->version);
        for (char **id = p->required; id && *id; id++) {
                bool found = false;
                for (size_t i = 0; i < c->n_checks; i++)
                        if (streq(c->checks[i]->id, *id)) {
                                found = true;
                                compliant = compliant && check_status_ok(c->checks[i]->status);
                        }
                compliant = compliant && found;
        }
        if (compliant != c->compliant)
                return json_error(ret_error, "compliant: %s, but the checks under policy \"%s\" give %s",
                                  c->compliant ? "true" : "false", p->id, compliant ? "true" : "false");
        return 0;
}
