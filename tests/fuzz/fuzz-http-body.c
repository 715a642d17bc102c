/* SPDX-License-Identifier: MIT */
/* POST /v1/reports body: one compact JWS or a JSON array of them, then each item through
 * the JWS parser and the claims validator, as the server runs them before the signature. */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "ingest.h"
#include "jws.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(report_batch_done) ReportBatch b = {};
        _cleanup_free_ char *err = NULL;

        if (report_batch_parse((const char *) data, size, 500, &b, &err) < 0)
                return 0;
        if (b.n_items == 0 || b.n_items > 500)
                abort();
        for (size_t i = 0; i < b.n_items; i++) {
                _cleanup_(jws_freep) Jws *jws = NULL;
                _cleanup_(report_claims_freep) ReportClaims *c = NULL;
                _cleanup_free_ char *e1 = NULL, *e2 = NULL;

                if (!b.json && (b.items[i].size == 0 || b.items[i].jws[0] == ' '))
                        abort(); /* a single body is trimmed and never empty */
                if (jws_parse(b.items[i].jws, b.items[i].size, &jws, &e1) < 0)
                        continue;
                (void) report_claims_parse(jws->payload, jws->payload_size, &c, &e2);
        }
        return 0;
}
