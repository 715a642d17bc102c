/* SPDX-License-Identifier: MIT */
/* GET /v1/fleet/devices/{id}/reports query strings: from, to, limit, cursor. Whatever
 * parses must give a cursor that parses again, for the same device, at the same report. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cleanup.h"
#include "reports-query.h"

#define DEVICE "0b9f3f4e-2b7c-4d8e-9f10-1a2b3c4d5e6f"

static int parse(const char *s, ReportsQuery *q) {
        struct evkeyvalq params;
        _cleanup_free_ char *err = NULL;
        int r;

        TAILQ_INIT(&params);
        if (evhttp_parse_query_str(s, &params) < 0) {
                evhttp_clear_headers(&params);
                return -1;
        }
        r = reports_query_parse(&params, DEVICE, q, &err);
        evhttp_clear_headers(&params);
        if (r < 0 && !err && r != -ENOMEM)
                abort(); /* every refusal says why */
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL, *c = NULL, *again = NULL;
        ReportsQuery q, q2;

        if (size > 4096)
                return 0;
        s = strndup((const char *) data, size);
        if (!s || parse(s, &q) < 0)
                return 0;
        if (q.limit < 1 || q.limit > REPORTS_LIMIT_MAX)
                abort();
        c = reports_cursor_encode(DEVICE, q.after_seq < 0 ? 0 : q.after_seq);
        if (!c || asprintf(&again, "cursor=%s", c) < 0)
                return 0;
        if (parse(again, &q2) < 0 || q2.after_seq != (q.after_seq < 0 ? 0 : q.after_seq))
                abort();
        return 0;
}
