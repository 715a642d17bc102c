/* SPDX-License-Identifier: MIT */
/* The one-pass claims reader (report_claims_scan) against the tree reader
 * (report_claims_parse): what one accepts the other accepts with the same fields, what the
 * scan refuses the tree refuses; the scan may only leave a decision to the tree
 * (-EAGAIN). report_claims_read() must then decide as the tree does. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "report.h"

static bool str_same(const char *a, const char *b) {
        return (!a && !b) || (a && b && streq(a, b));
}

static bool check_same(const CheckResult *a, const CheckResult *b) {
        return str_same(a->id, b->id) && str_same(a->title, b->title) && a->status == b->status &&
               str_same(a->summary, b->summary) && str_same(a->remediation, b->remediation) &&
               a->deadline == b->deadline && a->duration_us == b->duration_us && a->required == b->required;
}

static bool claims_same(const ReportClaims *a, const ReportClaims *b) {
        if (!str_same(a->sub, b->sub) || a->iat != b->iat || a->seq != b->seq || !str_same(a->prev, b->prev) ||
            !str_same(a->agent_version, b->agent_version) || !str_same(a->agent_key, b->agent_key) ||
            !str_same(a->hostname, b->hostname) || !str_same(a->os_id, b->os_id) ||
            !str_same(a->os_version_id, b->os_version_id) || !str_same(a->os_pretty, b->os_pretty) ||
            !str_same(a->kernel, b->kernel) || !str_same(a->policy_id, b->policy_id) ||
            a->policy_version != b->policy_version || a->compliant != b->compliant ||
            a->dropped != b->dropped || a->n_checks != b->n_checks)
                return false;
        for (size_t i = 0; i < a->n_checks; i++)
                if (!check_same(a->checks[i], b->checks[i]))
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(report_claims_freep) ReportClaims *tree = NULL, *scanned = NULL, *read = NULL;
        _cleanup_free_ char *err = NULL, *read_err = NULL;
        int t = report_claims_parse(data, size, &tree, &err);
        int s = report_claims_scan(data, size, &scanned);
        int r = report_claims_read(data, size, &read, &read_err);

        if (t == -ENOMEM || s == -ENOMEM || r == -ENOMEM)
                return 0;
        if (s == 0 && (t < 0 || !claims_same(scanned, tree)))
                abort(); /* the scan accepts what the tree refuses, or reads it otherwise */
        if (s < 0 && s != -EAGAIN && t == 0)
                abort(); /* the scan refuses what the tree accepts */
        if (s < 0 && s != -EAGAIN && s != -EINVAL && s != -EBADMSG)
                abort();
        if ((r == 0) != (t == 0) || (r == 0 && !claims_same(read, tree)))
                abort();
        if (r < 0 && (!read_err || !streq(read_err, err)))
                abort(); /* a refusal is worded by the tree reader */
        for (size_t i = 0; s == 0 && i < scanned->n_checks; i++)
                if (scanned->checks[i]->evidence)
                        abort(); /* validated, never built */
        return 0;
}
