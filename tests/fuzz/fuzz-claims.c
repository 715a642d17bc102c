/* SPDX-License-Identifier: MIT */
/* Report claims validator: what the server, `vigie verify` and `vigiectl audit` run on the
 * payload of a signed report. What validates must serialise and validate again, unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(report_claims_freep) ReportClaims *c = NULL, *again = NULL;
        _cleanup_(policy_freep) Policy *p = policy_new_default();
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *err = NULL, *copy = NULL;
        const char *text;

        if (report_claims_parse(data, size, &c, &err) < 0) {
                if (!err)
                        abort();
                return 0;
        }
        if (report_claims_to_json(c, &j) < 0)
                abort();
        text = json_compact(j);
        copy = strdup(text);
        if (!copy || report_claims_parse(copy, strlen(copy), &again, NULL) < 0)
                abort();
        j = (json_object_put(j), NULL);
        if (report_claims_to_json(again, &j) < 0 || !streq(json_compact(j), copy))
                abort();
        if (p)
                (void) report_claims_check_policy(c, p, NULL);
        return 0;
}
